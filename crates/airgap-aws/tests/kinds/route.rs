//! The route kind against mocked EC2 answers (aws-smithy-mocks): observe maps the routes
//! of the environment's tables to the typed spec (a blackhole shows as drift; the local
//! and propagated routes are no one's), writing nothing on the table; a create that finds
//! the route made already points it where the spec says, and a delete of a route already
//! gone succeeds.

use crate::mock::{aws_error, ec2, node, only, owned, scope, tags_removed, tags_written, ENV};
use airgap_aws::ec2::Route;
use airgap_catalog::spec::{RouteSpec, Spec};
use airgap_engine::{Kind, Observed};
use aws_sdk_ec2::operation::create_route::CreateRouteError;
use aws_sdk_ec2::operation::delete_route::DeleteRouteError;
use aws_sdk_ec2::operation::describe_route_tables::DescribeRouteTablesOutput;
use aws_sdk_ec2::operation::replace_route::ReplaceRouteOutput;
use aws_sdk_ec2::types::{Route as Ec2Route, RouteOrigin, RouteState, RouteTable};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::mock;

const RT: &str = "rtb-0123456789abcdef0";
const TGW: &str = "tgw-0123456789abcdef0";
const NODE: &str = "vpc/workload/rt/dataPlane/a/default";
const TABLE: &str = "vpc/workload/rt/dataPlane/a";

fn spec(target: &str) -> RouteSpec {
    RouteSpec { route_table: RT.into(), cidr: "0.0.0.0/0".into(), target: target.into() }
}

fn table(state: RouteState) -> DescribeRouteTablesOutput {
    DescribeRouteTablesOutput::builder()
        .route_tables(
            RouteTable::builder()
                .route_table_id(RT)
                .vpc_id("vpc-1")
                .set_tags(Some(owned(TABLE)))
                .routes(
                    Ec2Route::builder()
                        .destination_cidr_block("0.0.0.0/0")
                        .transit_gateway_id(TGW)
                        .state(state)
                        .build(),
                )
                // The VPC's local route and a propagated one: not observed.
                .routes(
                    Ec2Route::builder()
                        .destination_cidr_block("10.1.0.0/16")
                        .gateway_id("local")
                        .origin(RouteOrigin::CreateRouteTable)
                        .build(),
                )
                .routes(
                    Ec2Route::builder()
                        .destination_cidr_block("192.168.0.0/16")
                        .gateway_id("vgw-1")
                        .origin(RouteOrigin::EnableVgwRoutePropagation)
                        .build(),
                )
                .build(),
        )
        .build()
}

#[tokio::test]
async fn observe_maps_the_routes_of_the_environments_tables_to_the_spec() {
    for (state, target) in [
        (RouteState::Active, TGW.to_string()),
        // A route whose target is gone is drift, even with the same target id.
        (RouteState::Blackhole, format!("{TGW} (blackhole)")),
    ] {
        let st = state.clone();
        let tables = mock!(Client::describe_route_tables).then_output(move || table(st.clone()));
        let found = Route::new(ec2(&[&tables])).observe(ENV, &scope()).await.expect("observe");
        let o = &only(found);
        // Named after its table until the plan pairs it with its node by identity.
        assert_eq!(o.id.0, format!("{TABLE}~0.0.0.0/0"));
        assert_eq!(o.physical_id, format!("{RT}_0.0.0.0/0"));
        assert_eq!(o.attrs, spec(&target).to_attrs(), "{state:?}");
        assert_eq!(o.parents, vec![RT.to_string(), TGW.to_string()]);
    }
}

#[tokio::test]
async fn create_of_a_route_that_exists_replaces_its_target() {
    let exists = mock!(Client::create_route).then_error(|| {
        CreateRouteError::generic(aws_error(
            "RouteAlreadyExists",
            "the route identified by 0.0.0.0/0 already exists",
        ))
    });
    let replaced = mock!(Client::replace_route)
        .match_requests(|r| r.transit_gateway_id() == Some(TGW))
        .then_output(|| ReplaceRouteOutput::builder().build());
    let marked = tags_written();
    let k = Route::new(ec2(&[&exists, &replaced, &marked]));
    let made = k.create(&node(NODE, spec(TGW).to_attrs())).await.expect("made");
    assert_eq!(made.physical_id, format!("{RT}_0.0.0.0/0"));
    assert_eq!(replaced.num_calls(), 1, "pointed at the transit gateway");
    assert_eq!(marked.num_calls(), 0, "nothing is written on the table");
}

#[tokio::test]
async fn delete_of_a_route_already_gone_succeeds() {
    let gone = mock!(Client::delete_route).then_error(|| {
        DeleteRouteError::generic(aws_error(
            "InvalidRoute.NotFound",
            "no route with destination-cidr-block 0.0.0.0/0 in route table",
        ))
    });
    let unmarked = tags_removed();
    let current = Observed {
        id: NODE.into(),
        physical_id: format!("{RT}_0.0.0.0/0"),
        attrs: spec(TGW).to_attrs(),
        outputs: Default::default(),
        parents: vec![RT.into(), TGW.into()],
    };
    Route::new(ec2(&[&gone, &unmarked])).delete(&scope(), &current).await.expect("gone is fine");
    assert_eq!(unmarked.num_calls(), 0, "nothing was written on the table");
}
