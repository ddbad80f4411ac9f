//! The NAT gateway kind against mocked EC2 answers (aws-smithy-mocks): a create whose
//! Elastic IP is still associated (the NAT gateway a stopped destroy left deleting holds
//! it) waits instead of making a NAT gateway AWS would fail with
//! Resource.AlreadyAssociated; a free address is used, with the run's client token and
//! the tags in the same call.

use crate::mock::{ec2, node};
use airgap_aws::ec2::NatGateway;
use airgap_catalog::spec::{NatGatewaySpec, Spec};
use airgap_engine::{ErrorClass, Kind};
use aws_sdk_ec2::operation::create_nat_gateway::CreateNatGatewayOutput;
use aws_sdk_ec2::operation::describe_addresses::DescribeAddressesOutput;
use aws_sdk_ec2::types::{Address, NatGateway as Ec2Nat};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::mock;

const EIP: &str = "eipalloc-0123456789abcdef0";
const SUBNET: &str = "subnet-0123456789abcdef0";
const NODE: &str = "vpc/inspection/nat/a";

fn address(associated_with: Option<&str>) -> DescribeAddressesOutput {
    let a = Address::builder().allocation_id(EIP).public_ip("198.51.100.7");
    let a = match associated_with {
        Some(eni) => a.association_id("eipassoc-1").network_interface_id(eni),
        None => a,
    };
    DescribeAddressesOutput::builder().addresses(a.build()).build()
}

fn spec() -> airgap_engine::Attrs {
    NatGatewaySpec { subnet: SUBNET.into(), eip: EIP.into() }.to_attrs()
}

#[tokio::test]
async fn create_waits_while_its_address_is_still_associated() {
    let held = mock!(Client::describe_addresses)
        .match_requests(|r| r.allocation_ids() == [EIP])
        .then_output(|| address(Some("eni-0ld")));
    let create =
        mock!(Client::create_nat_gateway).then_output(|| CreateNatGatewayOutput::builder().build());
    let err = NatGateway(ec2(&[&held, &create]))
        .create(&node(NODE, spec()))
        .await
        .expect_err("the address is held");
    assert_eq!(err.class, ErrorClass::Conflict, "{err}");
    assert_eq!(err.code, "Resource.AlreadyAssociated");
    assert!(err.message.contains("eni-0ld"), "{err}");
    assert_eq!(create.num_calls(), 0, "no NAT gateway AWS would fail");
}

#[tokio::test]
async fn create_with_a_free_address_sends_token_and_tags() {
    let free = mock!(Client::describe_addresses).then_output(|| address(None));
    let create = mock!(Client::create_nat_gateway)
        .match_requests(|r| {
            r.subnet_id() == Some(SUBNET)
                && r.allocation_id() == Some(EIP)
                && r.client_token().is_some_and(|t| !t.is_empty())
                && r.tag_specifications()
                    .iter()
                    .flat_map(|t| t.tags())
                    .any(|t| t.key() == Some("airgap:id") && t.value() == Some(NODE))
        })
        .then_output(|| {
            CreateNatGatewayOutput::builder()
                .nat_gateway(Ec2Nat::builder().nat_gateway_id("nat-1").build())
                .build()
        });
    let made =
        NatGateway(ec2(&[&free, &create])).create(&node(NODE, spec())).await.expect("created");
    assert_eq!(made.physical_id, "nat-1");
    assert_eq!((free.num_calls(), create.num_calls()), (1, 1));
}
