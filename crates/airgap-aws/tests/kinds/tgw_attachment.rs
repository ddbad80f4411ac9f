//! The transit gateway VPC attachment kind against mocked EC2 answers
//! (aws-smithy-mocks): observe maps an attachment to the typed spec (subnets as a set,
//! appliance mode read back), and a create adopts what an interrupted run made, found
//! by its tags, instead of attaching the VPC twice.

use crate::mock::{ec2, node, only, owned, scope, ACCOUNT, ENV};
use airgap_aws::ec2::TgwAttachment;
use airgap_catalog::spec::{Spec, TgwAttachmentSpec};
use airgap_engine::Kind;
use aws_sdk_ec2::operation::create_transit_gateway_vpc_attachment::CreateTransitGatewayVpcAttachmentOutput;
use aws_sdk_ec2::operation::describe_transit_gateway_vpc_attachments::DescribeTransitGatewayVpcAttachmentsOutput;
use aws_sdk_ec2::types::{
    ApplianceModeSupportValue, TransitGatewayAttachmentState, TransitGatewayVpcAttachment,
    TransitGatewayVpcAttachmentOptions,
};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::mock;

const ATT: &str = "tgw-attach-0123456789abcdef0";
const TGW: &str = "tgw-0123456789abcdef0";
const NODE: &str = "tgw/attachment/inspection";

fn attachment(state: TransitGatewayAttachmentState) -> TransitGatewayVpcAttachment {
    TransitGatewayVpcAttachment::builder()
        .transit_gateway_attachment_id(ATT)
        .transit_gateway_id(TGW)
        .vpc_id("vpc-1")
        .vpc_owner_id(ACCOUNT)
        // AWS lists them in no particular order.
        .subnet_ids("subnet-b")
        .subnet_ids("subnet-a")
        .state(state)
        .options(
            TransitGatewayVpcAttachmentOptions::builder()
                .appliance_mode_support(ApplianceModeSupportValue::Enable)
                .build(),
        )
        .set_tags(Some(owned(NODE)))
        .build()
}

fn described(state: TransitGatewayAttachmentState) -> aws_smithy_mocks::Rule {
    mock!(Client::describe_transit_gateway_vpc_attachments).then_output(move || {
        DescribeTransitGatewayVpcAttachmentsOutput::builder()
            .transit_gateway_vpc_attachments(attachment(state.clone()))
            .build()
    })
}

fn spec() -> TgwAttachmentSpec {
    TgwAttachmentSpec {
        tgw: TGW.into(),
        vpc: "vpc-1".into(),
        subnets: vec!["subnet-a".into(), "subnet-b".into()],
        appliance_mode: Some(true),
    }
}

#[tokio::test]
async fn observe_maps_an_attachment_to_the_spec() {
    let atts = described(TransitGatewayAttachmentState::Available);
    let found = TgwAttachment(ec2(&[&atts])).observe(ENV, &scope()).await.expect("observe");
    let o = &only(found);
    assert_eq!(o.id.0, NODE);
    assert_eq!(o.physical_id, ATT);
    assert_eq!(o.attrs, spec().to_attrs());
    assert_eq!(o.outputs["id"], airgap_engine::Value::str(ATT));
}

#[tokio::test]
async fn observe_leaves_out_deleted_attachments() {
    let atts = described(TransitGatewayAttachmentState::Deleted);
    let found = TgwAttachment(ec2(&[&atts])).observe(ENV, &scope()).await.expect("observe");
    assert!(found.is_empty(), "{found:?}");
}

#[tokio::test]
async fn create_adopts_the_attachment_an_interrupted_run_made() {
    let existing = described(TransitGatewayAttachmentState::Pending);
    let create = mock!(Client::create_transit_gateway_vpc_attachment)
        .then_output(|| CreateTransitGatewayVpcAttachmentOutput::builder().build());
    let k = TgwAttachment(ec2(&[&existing, &create]));
    let made = k.create(&node(NODE, spec().to_attrs())).await.expect("adopted");
    assert_eq!(made.physical_id, ATT);
    assert_eq!(create.num_calls(), 0, "no second attachment");
}

#[tokio::test]
async fn create_does_not_adopt_the_instance_it_replaces() {
    let existing = described(TransitGatewayAttachmentState::Available);
    let create = mock!(Client::create_transit_gateway_vpc_attachment).then_output(|| {
        CreateTransitGatewayVpcAttachmentOutput::builder()
            .transit_gateway_vpc_attachment(
                TransitGatewayVpcAttachment::builder()
                    .transit_gateway_attachment_id("tgw-attach-new")
                    .build(),
            )
            .build()
    });
    let k = TgwAttachment(ec2(&[&existing, &create]));
    let mut n = node(NODE, spec().to_attrs());
    n.replaces = Some(ATT.into());
    let made = k.create(&n).await.expect("made");
    assert_eq!(made.physical_id, "tgw-attach-new");
    assert_eq!(create.num_calls(), 1);
}
