//! Calls a create makes on the id it was just given meet EC2's eventual consistency:
//! "if you run a command to modify or describe the resource that you just created, its
//! ID might not have propagated throughout the system, and you will get an error
//! responding that the resource does not exist" (Amazon EC2 developer guide, "Eventual
//! consistency in the Amazon EC2 API"). The create calls again on that id instead of
//! failing the step (whose retry would look the VPC up by tag, itself eventually
//! consistent, and could make a second one).

use std::sync::Arc;

use crate::mock::{ec2, node};
use airgap_aws::clients::PerScope;
use airgap_aws::ec2::{Blockers, Vpc};
use airgap_catalog::spec::{Spec, VpcSpec};
use airgap_engine::{ErrorClass, Kind};
use aws_sdk_ec2::error::ErrorMetadata;
use aws_sdk_ec2::operation::create_vpc::CreateVpcOutput;
use aws_sdk_ec2::operation::describe_vpcs::DescribeVpcsOutput;
use aws_sdk_ec2::operation::modify_vpc_attribute::{
    ModifyVpcAttributeError, ModifyVpcAttributeOutput,
};
use aws_sdk_ec2::types::Vpc as AwsVpc;
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, Rule};

fn not_yet() -> ModifyVpcAttributeError {
    ModifyVpcAttributeError::generic(
        ErrorMetadata::builder()
            .code("InvalidVpcID.NotFound")
            .message("The vpc ID 'vpc-1' does not exist")
            .build(),
    )
}

fn spec() -> VpcSpec {
    VpcSpec { cidr: "10.0.0.0/16".into(), enable_dns_support: true, enable_dns_hostnames: true }
}

async fn create_with(modify: &Rule) -> Result<airgap_engine::Created, airgap_engine::KindError> {
    let none = mock!(Client::describe_vpcs).then_output(|| DescribeVpcsOutput::builder().build());
    let create = mock!(Client::create_vpc).then_output(|| {
        CreateVpcOutput::builder().vpc(AwsVpc::builder().vpc_id("vpc-1").build()).build()
    });
    let c = ec2(&[&none, &create, modify]);
    let blockers = Blockers { ec2: Arc::clone(&c), elb: PerScope::new(), eks: PerScope::new() };
    let vpc = Vpc(c, Arc::new(blockers));
    let r = vpc.create(&node("vpc/workload", spec().to_attrs())).await;
    assert_eq!(create.num_calls(), 1, "one VPC, whatever the attribute calls answered");
    r
}

#[tokio::test(start_paused = true)]
async fn dns_attributes_are_set_once_the_new_vpc_id_is_visible() {
    let modify = mock!(Client::modify_vpc_attribute)
        .sequence()
        .error(not_yet)
        .times(2)
        .output(|| ModifyVpcAttributeOutput::builder().build())
        .repeatedly()
        .build();
    let made = create_with(&modify).await.expect("created");
    assert_eq!(made.physical_id, "vpc-1");
    assert_eq!(modify.num_calls(), 4, "two refused while the id propagates, then both");
}

#[tokio::test(start_paused = true)]
async fn an_id_that_never_appears_fails_the_step_as_not_found() {
    let modify = mock!(Client::modify_vpc_attribute).then_error(not_yet);
    let e = create_with(&modify).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::NotFound);
    assert!(modify.num_calls() > 2, "called again with backoff: {}", modify.num_calls());
}
