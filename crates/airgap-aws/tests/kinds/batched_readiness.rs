//! Batched readiness of VPC endpoints and NAT gateways against mocked EC2 answers
//! (aws-smithy-mocks): one Describe, filtered by the ids (a list of ids would fail the
//! whole call when one is missing), answers every check; what it does not list is
//! not visible yet after a create and gone after a delete.

use crate::mock::{ec2, scope};
use airgap_aws::ec2::{InterfaceEndpoint, NatGateway};
use airgap_engine::{Attrs, Check, ErrorClass, Kind, Op, Readiness};
use aws_sdk_ec2::operation::describe_nat_gateways::DescribeNatGatewaysOutput;
use aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput;
use aws_sdk_ec2::types::{NatGatewayState, State, VpcEndpoint};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::mock;

fn filtered_by(filters: &[aws_sdk_ec2::types::Filter], name: &str, ids: &[&str]) -> bool {
    filters.len() == 1
        && filters[0].name() == Some(name)
        && filters[0].values().iter().map(String::as_str).collect::<Vec<_>>() == ids
}

#[tokio::test]
async fn one_describe_answers_every_pending_endpoint() {
    let ids = ["vpce-1", "vpce-2", "vpce-3", "vpce-4"];
    let rule = mock!(Client::describe_vpc_endpoints)
        .match_requests(move |r| {
            r.vpc_endpoint_ids().is_empty() && filtered_by(r.filters(), "vpc-endpoint-id", &ids)
        })
        .then_output(|| {
            let ep =
                |id: &str, st: State| VpcEndpoint::builder().vpc_endpoint_id(id).state(st).build();
            DescribeVpcEndpointsOutput::builder()
                .vpc_endpoints(ep("vpce-1", State::Available))
                .vpc_endpoints(ep("vpce-2", State::Pending))
                .vpc_endpoints(ep("vpce-4", State::Deleting))
                .build()
        });
    let kind = InterfaceEndpoint(ec2(&[&rule]), Default::default());
    assert_eq!(kind.ready_batch(), 100, "EC2 takes 200 filter values; half leaves room");
    let (s, out) = (scope(), Attrs::new());
    let check = |id, op| Check { scope: &s, op, physical_id: id, outputs: &out, handle: None };
    let checks = [
        check("vpce-1", Op::Create),
        check("vpce-2", Op::Create),
        check("vpce-3", Op::Create),
        check("vpce-4", Op::Delete),
    ];
    let answers = kind.ready_many(&checks).await;
    assert_eq!(rule.num_calls(), 1);
    assert!(matches!(answers[0], Ok(Readiness::Ready(_))), "{:?}", answers[0]);
    assert_eq!(answers[1], Ok(Readiness::Pending("pending".into())));
    // Just created, not listed yet: eventual consistency, retried by the engine.
    assert_eq!(answers[2].as_ref().unwrap_err().class, ErrorClass::NotFound);
    assert_eq!(answers[3], Ok(Readiness::Pending("deleting".into())));
}

#[tokio::test]
async fn nat_gateways_are_checked_together_and_a_missing_one_is_gone_after_a_delete() {
    let ids = ["nat-1", "nat-2"];
    let rule = mock!(Client::describe_nat_gateways)
        .match_requests(move |r| {
            r.nat_gateway_ids().is_empty() && filtered_by(r.filter(), "nat-gateway-id", &ids)
        })
        .then_output(|| {
            DescribeNatGatewaysOutput::builder()
                .nat_gateways(
                    aws_sdk_ec2::types::NatGateway::builder()
                        .nat_gateway_id("nat-1")
                        .state(NatGatewayState::Failed)
                        .failure_code("InsufficientFreeAddressesInSubnet")
                        .failure_message("no free addresses")
                        .build(),
                )
                .build()
        });
    let kind = NatGateway(ec2(&[&rule]));
    let (s, out) = (scope(), Attrs::new());
    let checks = [
        Check { scope: &s, op: Op::Create, physical_id: "nat-1", outputs: &out, handle: None },
        Check { scope: &s, op: Op::Delete, physical_id: "nat-2", outputs: &out, handle: None },
    ];
    let answers = kind.ready_many(&checks).await;
    assert_eq!(rule.num_calls(), 1);
    let failed = answers[0].as_ref().unwrap_err();
    assert_eq!(
        (failed.class, failed.code.as_str()),
        (ErrorClass::Fatal, "InsufficientFreeAddressesInSubnet")
    );
    assert_eq!(answers[1], Ok(Readiness::Gone));
}

/// A plan observes every kind at once: the gateway and interface endpoint kinds share
/// one DescribeVpcEndpoints of the scope, each keeping its own type; the next plan
/// describes afresh.
#[tokio::test]
async fn both_endpoint_kinds_observe_through_one_describe() {
    use airgap_aws::ec2::{GatewayEndpoint, SharedDescribe};
    use aws_sdk_ec2::types::VpcEndpointType;
    use std::sync::Arc;
    let rule = mock!(Client::describe_vpc_endpoints).then_output(|| {
        let ep = |id: &str, ty: VpcEndpointType, node: &str| {
            VpcEndpoint::builder()
                .vpc_endpoint_id(id)
                .vpc_endpoint_type(ty)
                .state(State::Available)
                .vpc_id("vpc-1")
                .service_name("com.amazonaws.eu-central-1.s3")
                .set_tags(Some(crate::mock::owned(node)))
                .build()
        };
        DescribeVpcEndpointsOutput::builder()
            .vpc_endpoints(ep("vpce-g", VpcEndpointType::Gateway, "vpc/w/endpoint/s3"))
            .vpc_endpoints(ep("vpce-i", VpcEndpointType::Interface, "vpc/w/endpoint/sts"))
            .build()
    });
    let clients = ec2(&[&rule]);
    let shared = Arc::new(SharedDescribe::default());
    let gateway = GatewayEndpoint(Arc::clone(&clients), Arc::clone(&shared));
    let interface = InterfaceEndpoint(clients, shared);
    let s = scope();
    let (g, i) = tokio::join!(
        gateway.observe(crate::mock::ENV, &s),
        interface.observe(crate::mock::ENV, &s)
    );
    assert_eq!(rule.num_calls(), 1, "one call for both kinds");
    assert_eq!(g.unwrap().iter().map(|o| o.physical_id.as_str()).collect::<Vec<_>>(), ["vpce-g"]);
    assert_eq!(i.unwrap().iter().map(|o| o.physical_id.as_str()).collect::<Vec<_>>(), ["vpce-i"]);
    interface.observe(crate::mock::ENV, &s).await.unwrap();
    assert_eq!(rule.num_calls(), 2, "nothing kept after the plan");
}
