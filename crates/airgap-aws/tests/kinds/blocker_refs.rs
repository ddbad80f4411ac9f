//! What holds a VPC or a security group beyond interfaces and load balancers, against
//! mocked EC2 answers (aws-smithy-mocks): an internet gateway someone else attached to the
//! environment's VPC, and a group of someone else's whose rules refer to the
//! environment's group. AWS's DependencyViolation names neither; destroy names them and
//! stops, where it retried until its deadline.

use crate::mock::{scope, tag, ENV};
use airgap_aws::clients::PerScope;
use airgap_aws::ec2::{Blockers, Held};
use airgap_engine::{ErrorClass, KindError};
use aws_sdk_ec2::operation::describe_internet_gateways::DescribeInternetGatewaysOutput;
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::types::{InternetGateway, SecurityGroup, Vpc};
use aws_sdk_ec2::Client;
use aws_sdk_elasticloadbalancingv2 as elbv2;
use aws_smithy_mocks::{mock, Rule};

const VPC: &str = "vpc-0123456789abcdef0";
const GROUP: &str = "sg-0123456789abcdef0";

/// ELBv2 with no load balancers and no target groups.
fn no_load_balancers() -> PerScope<elbv2::Client> {
    let lbs = mock!(elbv2::Client::describe_load_balancers).then_output(|| {
        elbv2::operation::describe_load_balancers::DescribeLoadBalancersOutput::builder().build()
    });
    let tgs = mock!(elbv2::Client::describe_target_groups).then_output(|| {
        elbv2::operation::describe_target_groups::DescribeTargetGroupsOutput::builder().build()
    });
    crate::mock::elb(&[&lbs, &tgs])
}

fn no_interfaces() -> Rule {
    mock!(Client::describe_network_interfaces)
        .then_output(|| DescribeNetworkInterfacesOutput::builder().build())
}

fn group(id: &str, ours: bool) -> SecurityGroup {
    let g = SecurityGroup::builder().group_id(id).group_name(format!("{id}-name")).vpc_id(VPC);
    if ours { g.tags(tag("airgap:env", ENV)) } else { g }.build()
}

/// DescribeSecurityGroups answering `groups` to a request with filter `key`.
fn groups_by(key: &'static str, groups: Vec<SecurityGroup>) -> Rule {
    mock!(Client::describe_security_groups)
        .match_requests(move |r| {
            r.filters().iter().any(|f| f.name() == Some(key) && f.values() == [GROUP])
        })
        .then_output(move || {
            DescribeSecurityGroupsOutput::builder()
                .set_security_groups(Some(groups.clone()))
                .build()
        })
}

fn dv(what: &str) -> KindError {
    KindError::new(
        ErrorClass::DependencyViolation,
        "DependencyViolation",
        format!("The {what} has dependencies and cannot be deleted."),
    )
}

#[tokio::test]
async fn a_gateway_someone_else_attached_to_the_vpc_is_named() {
    let vpc = mock!(Client::describe_vpcs).then_output(|| {
        DescribeVpcsOutput::builder()
            .vpcs(Vpc::builder().vpc_id(VPC).tags(tag("airgap:env", ENV)).build())
            .build()
    });
    let gateways = mock!(Client::describe_internet_gateways)
        .match_requests(|r| {
            r.filters().iter().any(|f| f.name() == Some("attachment.vpc-id") && f.values() == [VPC])
        })
        .then_output(|| {
            DescribeInternetGatewaysOutput::builder()
                .internet_gateways(InternetGateway::builder().internet_gateway_id("igw-9").build())
                .internet_gateways(
                    InternetGateway::builder()
                        .internet_gateway_id("igw-1")
                        .tags(tag("airgap:env", ENV))
                        .build(),
                )
                .build()
        });
    let in_vpc = mock!(Client::describe_security_groups)
        .then_output(|| DescribeSecurityGroupsOutput::builder().build());
    let enis = no_interfaces();
    let blockers = Blockers {
        ec2: crate::mock::ec2(&[&vpc, &enis, &gateways, &in_vpc]),
        elb: no_load_balancers(),
        eks: PerScope::new(),
    };
    let e = blockers.clear(&scope(), Held::Vpc, VPC, dv("vpc")).await;
    assert_eq!(gateways.num_calls(), 1);
    assert_eq!((e.class, e.code.as_str()), (ErrorClass::Fatal, "ForeignDependency"), "{e}");
    assert!(e.message.contains("internet gateway igw-9, attached to it"), "{e}");
    // The environment's own gateway is waited for, not called foreign.
    assert!(!e.message.contains("igw-1, attached"), "{e}");
}

#[tokio::test]
async fn a_group_of_someone_elses_that_refers_to_the_group_is_named_once() {
    let held = mock!(Client::describe_security_groups)
        .match_requests(|r| r.group_ids() == [GROUP])
        .then_output(|| {
            DescribeSecurityGroupsOutput::builder().security_groups(group(GROUP, true)).build()
        });
    // The group itself (a rule of its own), one of the environment's, and a foreign one,
    // which refers to it both ways.
    let inbound = groups_by(
        "ip-permission.group-id",
        vec![group(GROUP, true), group("sg-ours", true), group("sg-theirs", false)],
    );
    let outbound = groups_by("egress.ip-permission.group-id", vec![group("sg-theirs", false)]);
    let enis = no_interfaces();
    let blockers = Blockers {
        ec2: crate::mock::ec2(&[&held, &enis, &inbound, &outbound]),
        elb: no_load_balancers(),
        eks: PerScope::new(),
    };
    let e = blockers.clear(&scope(), Held::SecurityGroup, GROUP, dv("security group")).await;
    assert_eq!((inbound.num_calls(), outbound.num_calls()), (1, 1));
    assert_eq!((e.class, e.code.as_str()), (ErrorClass::Fatal, "ForeignDependency"), "{e}");
    assert_eq!(e.message.matches("security group sg-theirs (").count(), 1, "{e}");
    assert!(!e.message.contains("sg-ours"), "{e}");
}
