//! The transit gateway VPC attachment kind against mocked EC2 answers
//! (aws-smithy-mocks): observe maps an attachment to the typed spec (subnets as a set,
//! appliance mode read back), and a create adopts what an interrupted run made, found
//! by its tags, instead of attaching the VPC twice. A subnet change removes subnets in a
//! call of its own before it adds others (AWS keeps one subnet per zone and documents no
//! answer to one call doing both), each judged by the attachment as described now.

use crate::mock::{
    changed, ec2, moved_in_two_calls, node, only, owned, scope, subnet_change_waits, ACCOUNT, ENV,
};
use airgap_aws::ec2::TgwAttachment;
use airgap_catalog::spec::{Spec, TgwAttachmentSpec};
use airgap_engine::{Attrs, Change, Kind, Observed};
use aws_sdk_ec2::operation::create_transit_gateway_vpc_attachment::CreateTransitGatewayVpcAttachmentOutput;
use aws_sdk_ec2::operation::describe_transit_gateway_vpc_attachments::DescribeTransitGatewayVpcAttachmentsOutput;
use aws_sdk_ec2::operation::modify_transit_gateway_vpc_attachment::ModifyTransitGatewayVpcAttachmentOutput;
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
    in_subnets(state, &["subnet-b", "subnet-a"])
}

fn in_subnets(
    state: TransitGatewayAttachmentState,
    subnets: &[&str],
) -> TransitGatewayVpcAttachment {
    TransitGatewayVpcAttachment::builder()
        .transit_gateway_attachment_id(ATT)
        .transit_gateway_id(TGW)
        .vpc_id("vpc-1")
        .vpc_owner_id(ACCOUNT)
        // AWS lists them in no particular order.
        .set_subnet_ids(Some(subnets.iter().map(|s| s.to_string()).collect()))
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

/// The attachment as planned: subnet-a and subnet-b.
fn current() -> Observed {
    Observed {
        id: NODE.into(),
        physical_id: ATT.into(),
        attrs: spec().to_attrs(),
        outputs: Attrs::new(),
        parents: vec![],
    }
}

/// ModifyTransitGatewayVpcAttachment calls that add exactly `add` and remove `remove`.
fn modified(
    add: &'static [&'static str],
    remove: &'static [&'static str],
) -> aws_smithy_mocks::Rule {
    mock!(Client::modify_transit_gateway_vpc_attachment)
        .match_requests(move |r| {
            r.add_subnet_ids().iter().eq(add.iter())
                && r.remove_subnet_ids().iter().eq(remove.iter())
        })
        .then_output(|| ModifyTransitGatewayVpcAttachmentOutput::builder().build())
}

#[tokio::test]
async fn a_subnet_leaves_before_another_joins() {
    // subnet-a is to go and subnet-c (maybe of subnet-a's zone) to come: subnet-a leaves
    // alone and the update is a Conflict; the engine's retry finds the attachment without
    // subnet-a and adds subnet-c, without removing subnet-a again.
    use TransitGatewayAttachmentState::Available;
    let describe = mock!(Client::describe_transit_gateway_vpc_attachments)
        .sequence()
        .output(|| {
            DescribeTransitGatewayVpcAttachmentsOutput::builder()
                .transit_gateway_vpc_attachments(in_subnets(Available, &["subnet-a", "subnet-b"]))
                .build()
        })
        .output(|| {
            DescribeTransitGatewayVpcAttachmentsOutput::builder()
                .transit_gateway_vpc_attachments(in_subnets(Available, &["subnet-b"]))
                .build()
        })
        .build();
    let out = modified(&[], &["subnet-a"]);
    let into = modified(&["subnet-c"], &[]);
    let k = TgwAttachment(ec2(&[&describe, &out, &into]));
    let mut want = spec();
    want.subnets = vec!["subnet-b".into(), "subnet-c".into()];
    let node = node(NODE, want.to_attrs());
    let (current, diff) = (current(), changed(&["subnets"]));
    moved_in_two_calls(&k, Change { node: &node, current: &current, diff: &diff }, &out, &into)
        .await;
}

#[tokio::test]
async fn no_subnet_change_goes_to_an_attachment_still_modifying() {
    let describe = described(TransitGatewayAttachmentState::Modifying);
    let any = mock!(Client::modify_transit_gateway_vpc_attachment)
        .then_output(|| ModifyTransitGatewayVpcAttachmentOutput::builder().build());
    let k = TgwAttachment(ec2(&[&describe, &any]));
    let mut want = spec();
    want.subnets.push("subnet-c".into());
    let node = node(NODE, want.to_attrs());
    subnet_change_waits(&k, &node, &current(), &any).await;
}

#[tokio::test]
async fn a_subnet_added_alone_is_added_at_once() {
    let describe = described(TransitGatewayAttachmentState::Available);
    let into = modified(&["subnet-c"], &[]);
    let k = TgwAttachment(ec2(&[&describe, &into]));
    let mut want = spec();
    want.subnets.push("subnet-c".into());
    let node = node(NODE, want.to_attrs());
    k.update(Change { node: &node, current: &current(), diff: &changed(&["subnets"]) })
        .await
        .expect("one call");
    assert_eq!(into.num_calls(), 1);
}
