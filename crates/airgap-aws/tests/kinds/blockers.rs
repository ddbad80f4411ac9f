//! What holds a subnet, against mocked EC2 answers (aws-smithy-mocks): the interfaces a
//! transit gateway VPC attachment puts in its subnets (untagged, described "Network
//! Interface for Transit Gateway Attachment tgw-attach-...") are waited for when the
//! attachment is the environment's or going away, and named as foreign otherwise. A
//! stopped destroy leaves an attachment `deleting`, which observe no longer lists, so the
//! next destroy's subnet delete meets its interfaces.

use crate::mock::{scope, tag, ENV};
use airgap_aws::clients::PerScope;
use airgap_aws::ec2::{Blockers, Held};
use airgap_engine::{ErrorClass, KindError};
use aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput;
use aws_sdk_ec2::operation::describe_subnets::DescribeSubnetsOutput;
use aws_sdk_ec2::operation::describe_transit_gateway_attachments::DescribeTransitGatewayAttachmentsOutput;
use aws_sdk_ec2::types::{
    NetworkInterface, NetworkInterfaceType, Subnet, TransitGatewayAttachment,
    TransitGatewayAttachmentState,
};
use aws_sdk_ec2::Client;
use aws_sdk_elasticloadbalancingv2 as elbv2;
use aws_smithy_mocks::{mock, Rule};

const SUBNET: &str = "subnet-0123456789abcdef0";

fn held_subnet() -> Rule {
    mock!(Client::describe_subnets).then_output(|| {
        DescribeSubnetsOutput::builder()
            .subnets(
                Subnet::builder()
                    .subnet_id(SUBNET)
                    .vpc_id("vpc-1")
                    .tags(tag("airgap:env", ENV))
                    .build(),
            )
            .build()
    })
}

fn interface_of(att: &str, eni: &str) -> NetworkInterface {
    NetworkInterface::builder()
        .network_interface_id(eni)
        .subnet_id(SUBNET)
        .description(format!("Network Interface for Transit Gateway Attachment {att}"))
        .interface_type(NetworkInterfaceType::TransitGateway)
        .requester_managed(true)
        .build()
}

/// `attachments`: (id, state, the environment's tag or not), as DescribeTransitGateway-
/// Attachments lists them (one AWS forgot is simply not listed).
async fn verdict(
    interfaces: Vec<(&'static str, &'static str)>,
    attachments: Vec<(&'static str, &'static str, bool)>,
) -> KindError {
    let enis = mock!(Client::describe_network_interfaces).then_output(move || {
        DescribeNetworkInterfacesOutput::builder()
            .set_network_interfaces(Some(
                interfaces.iter().map(|(att, eni)| interface_of(att, eni)).collect(),
            ))
            .build()
    });
    let atts = mock!(Client::describe_transit_gateway_attachments)
        .match_requests(|r| {
            r.transit_gateway_attachment_ids().is_empty()
                && r.filters().iter().any(|f| f.name() == Some("transit-gateway-attachment-id"))
        })
        .then_output(move || {
            DescribeTransitGatewayAttachmentsOutput::builder()
                .set_transit_gateway_attachments(Some(
                    attachments
                        .iter()
                        .map(|(id, state, ours)| {
                            let a = TransitGatewayAttachment::builder()
                                .transit_gateway_attachment_id(*id)
                                .state(TransitGatewayAttachmentState::from(*state));
                            if *ours { a.tags(tag("airgap:env", ENV)) } else { a }.build()
                        })
                        .collect(),
                ))
                .build()
        });
    let lbs = mock!(elbv2::Client::describe_load_balancers).then_output(|| {
        elbv2::operation::describe_load_balancers::DescribeLoadBalancersOutput::builder().build()
    });
    let elb = crate::mock::elb(&[&lbs]);
    let subnet = held_subnet();
    let blockers =
        Blockers { ec2: crate::mock::ec2(&[&subnet, &enis, &atts]), elb, eks: PerScope::new() };
    let dv = KindError::new(
        ErrorClass::DependencyViolation,
        "DependencyViolation",
        format!("The subnet '{SUBNET}' has dependencies and cannot be deleted."),
    );
    blockers.clear(&scope(), Held::Subnet, SUBNET, dv).await
}

#[tokio::test]
async fn interfaces_of_an_attachment_going_away_are_waited_for() {
    for (state, ours) in [("deleting", false), ("deleted", false), ("available", true)] {
        let e = verdict(vec![("tgw-attach-1", "eni-1")], vec![("tgw-attach-1", state, ours)]).await;
        assert_eq!(e.class, ErrorClass::DependencyViolation, "{state}: {e}");
        assert!(e.message.contains("transit gateway attachment tgw-attach-1"), "{e}");
    }
    // One AWS no longer lists at all is gone; its interface follows.
    let e = verdict(vec![("tgw-attach-2", "eni-2")], vec![]).await;
    assert_eq!(e.class, ErrorClass::DependencyViolation, "{e}");
}

#[tokio::test]
async fn interfaces_of_someone_elses_attachment_are_named_not_waited_for() {
    let e = verdict(
        vec![("tgw-attach-1", "eni-1"), ("tgw-attach-9", "eni-9")],
        vec![("tgw-attach-1", "deleting", true), ("tgw-attach-9", "available", false)],
    )
    .await;
    assert_eq!(e.class, ErrorClass::Fatal, "{e}");
    assert_eq!(e.code, "ForeignDependency");
    assert!(e.message.contains("eni-9"), "{e}");
    assert!(e.message.contains("tgw-attach-9"), "{e}");
}
