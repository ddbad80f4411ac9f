//! The interface endpoint kind's subnet and group changes against mocked EC2 answers
//! (aws-smithy-mocks). AWS keeps one subnet per zone (DuplicateSubnetsInSameZone,
//! recorded for ModifyVpcEndpoint in terraform-aws-modules/terraform-aws-vpc#583) and
//! documents no answer to a call that removes a zone's subnet and adds another: subnets
//! leave in a call of their own before others join, each call judged by the endpoint as
//! described now, so that a retried update does only what is left.

use crate::mock::{changed, ec2, moved_in_two_calls, node, subnet_change_waits};
use airgap_aws::ec2::InterfaceEndpoint;
use airgap_catalog::spec::{Spec, VpcEndpointInterfaceSpec};
use airgap_engine::{Attrs, Change, Kind, Observed};
use aws_sdk_ec2::operation::describe_vpc_endpoints::DescribeVpcEndpointsOutput;
use aws_sdk_ec2::operation::modify_vpc_endpoint::{
    ModifyVpcEndpointInput, ModifyVpcEndpointOutput,
};
use aws_sdk_ec2::types::{SecurityGroupIdentifier, State, VpcEndpoint, VpcEndpointType};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, Rule};

const EP: &str = "vpce-0123456789abcdef0";
const NODE: &str = "vpc/workload/endpoint/sts";

fn spec(subnets: &[&str], groups: &[&str]) -> VpcEndpointInterfaceSpec {
    VpcEndpointInterfaceSpec {
        vpc: "vpc-1".into(),
        service: "com.amazonaws.eu-central-1.sts".into(),
        subnets: subnets.iter().map(|s| (*s).into()).collect(),
        security_groups: groups.iter().map(|s| (*s).into()).collect(),
        private_dns: true,
        policy: None,
    }
}

fn endpoint(state: &str, subnets: &[&str], groups: &[&str]) -> DescribeVpcEndpointsOutput {
    let e = VpcEndpoint::builder()
        .vpc_endpoint_id(EP)
        .vpc_endpoint_type(VpcEndpointType::Interface)
        .vpc_id("vpc-1")
        .state(State::from(state))
        .set_subnet_ids(Some(subnets.iter().map(|s| s.to_string()).collect()))
        .set_groups(Some(
            groups
                .iter()
                .map(|g| SecurityGroupIdentifier::builder().group_id(*g).build())
                .collect(),
        ))
        .build();
    DescribeVpcEndpointsOutput::builder().vpc_endpoints(e).build()
}

/// The endpoint as planned: subnet-a and subnet-b, group sg-1.
fn current() -> Observed {
    Observed {
        id: NODE.into(),
        physical_id: EP.into(),
        attrs: spec(&["subnet-a", "subnet-b"], &["sg-1"]).to_attrs(),
        outputs: Attrs::new(),
        parents: vec![],
    }
}

fn sends(r: &ModifyVpcEndpointInput, add: &[&str], remove: &[&str]) -> bool {
    r.add_subnet_ids().iter().eq(add.iter()) && r.remove_subnet_ids().iter().eq(remove.iter())
}

fn modified(add: &'static [&'static str], remove: &'static [&'static str]) -> Rule {
    mock!(Client::modify_vpc_endpoint)
        .match_requests(move |r| sends(r, add, remove))
        .then_output(|| ModifyVpcEndpointOutput::builder().r#return(true).build())
}

#[tokio::test]
async fn a_subnet_leaves_before_another_joins() {
    // subnet-a is to go and subnet-c to come, and the group sg-1 gives way to sg-2: the
    // first call removes subnet-a and moves the groups; the update is then a Conflict, and
    // the engine's retry, finding the endpoint without subnet-a and with sg-2, adds
    // subnet-c alone.
    let describe = mock!(Client::describe_vpc_endpoints)
        .sequence()
        .output(|| endpoint("available", &["subnet-a", "subnet-b"], &["sg-1"]))
        .output(|| endpoint("available", &["subnet-b"], &["sg-2"]))
        .build();
    let out = mock!(Client::modify_vpc_endpoint)
        .match_requests(|r| {
            sends(r, &[], &["subnet-a"])
                && r.add_security_group_ids().iter().eq(["sg-2"].iter())
                && r.remove_security_group_ids().iter().eq(["sg-1"].iter())
        })
        .then_output(|| ModifyVpcEndpointOutput::builder().r#return(true).build());
    let into = mock!(Client::modify_vpc_endpoint)
        .match_requests(|r| {
            sends(r, &["subnet-c"], &[])
                && r.add_security_group_ids().is_empty()
                && r.remove_security_group_ids().is_empty()
        })
        .then_output(|| ModifyVpcEndpointOutput::builder().r#return(true).build());
    let k = InterfaceEndpoint(ec2(&[&describe, &out, &into]), Default::default());
    let node = node(NODE, spec(&["subnet-b", "subnet-c"], &["sg-2"]).to_attrs());
    let (current, diff) = (current(), changed(&["subnets", "securityGroups"]));
    moved_in_two_calls(&k, Change { node: &node, current: &current, diff: &diff }, &out, &into)
        .await;
}

#[tokio::test]
async fn a_pending_endpoint_is_left_until_it_is_available() {
    let describe = mock!(Client::describe_vpc_endpoints)
        .then_output(|| endpoint("pending", &["subnet-a", "subnet-b"], &["sg-1"]));
    let any = mock!(Client::modify_vpc_endpoint)
        .then_output(|| ModifyVpcEndpointOutput::builder().r#return(true).build());
    let k = InterfaceEndpoint(ec2(&[&describe, &any]), Default::default());
    let node = node(NODE, spec(&["subnet-a", "subnet-b", "subnet-c"], &["sg-1"]).to_attrs());
    subnet_change_waits(&k, &node, &current(), &any).await;
}

#[tokio::test]
async fn subnets_only_added_or_only_removed_take_one_call() {
    for (want, add, remove) in [
        (&["subnet-a", "subnet-b", "subnet-c"][..], &["subnet-c"][..], &[][..]),
        (&["subnet-a"][..], &[][..], &["subnet-b"][..]),
    ] {
        let describe = mock!(Client::describe_vpc_endpoints)
            .then_output(|| endpoint("available", &["subnet-a", "subnet-b"], &["sg-1"]));
        let call = modified(add, remove);
        let k = InterfaceEndpoint(ec2(&[&describe, &call]), Default::default());
        let node = node(NODE, spec(want, &["sg-1"]).to_attrs());
        k.update(Change { node: &node, current: &current(), diff: &changed(&["subnets"]) })
            .await
            .expect("one call");
        assert_eq!(call.num_calls(), 1, "{want:?}");
    }
}
