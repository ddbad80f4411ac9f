//! Issue 14, bug 3: the owner's acceptance of a cross-account VPC attachment, against
//! mocked EC2 responses (aws-smithy-mocks).
//!
//! EC2 API reference, TransitGatewayVpcAttachment.state
//! (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayVpcAttachment.html):
//! `initiating | initiatingRequest | pendingAcceptance | rollingBack | pending | available |
//! modifying | deleting | deleted | failed | rejected | rejecting | failing`; and
//! AcceptTransitGatewayVpcAttachment: "The VPC attachment must be in the pendingAcceptance
//! state" (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AcceptTransitGatewayVpcAttachment.html).
//! `pending` is the state of a new attachment on its way to `pendingAcceptance` as well
//! as that of an accepted one on its way to `available` (terraform-provider-aws waits on
//! `pending` for both: hashicorp/terraform-provider-aws#8679), so it proves nothing
//! about acceptance; only `available` and `modifying` (a change to an attachment in use)
//! come after it.

mod mock;

use airgap_aws::ec2::TgwAttachmentAccepter;
use airgap_engine::{Attrs, ErrorClass, Kind, Resolved, Scope, Value};
use aws_sdk_ec2::error::ErrorMetadata;
use aws_sdk_ec2::operation::accept_transit_gateway_vpc_attachment::AcceptTransitGatewayVpcAttachmentError;
use aws_sdk_ec2::operation::create_tags::CreateTagsOutput;
use aws_sdk_ec2::operation::describe_transit_gateway_attachments::DescribeTransitGatewayAttachmentsOutput;
use aws_sdk_ec2::operation::describe_transit_gateways::DescribeTransitGatewaysOutput;
use aws_sdk_ec2::types::{
    Tag, TransitGateway, TransitGatewayAttachment, TransitGatewayAttachmentState,
};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, Rule};

const ACCOUNT: &str = "111111111111";
const REGION: &str = "eu-central-1";
const ENV: &str = "demo";
const TGW: &str = "tgw-0123456789abcdef0";
const ATT: &str = "tgw-attach-0123456789abcdef0";
const NODE: &str = "tgw/attachment/workload/accept";

fn scope() -> Scope {
    Scope::new(ACCOUNT, REGION)
}

fn accepter(rules: &[&Rule]) -> TgwAttachmentAccepter {
    TgwAttachmentAccepter(mock::ec2(rules))
}

/// The attachment as the owner sees it, in `state`.
fn attachment_in(state: &'static str) -> Rule {
    mock!(Client::describe_transit_gateway_attachments)
        .match_requests(|r| {
            r.transit_gateway_attachment_ids().is_empty()
                && r.filters().iter().any(|f| {
                    f.name() == Some("transit-gateway-attachment-id") && f.values() == [ATT]
                })
        })
        .then_output(move || {
            DescribeTransitGatewayAttachmentsOutput::builder()
                .transit_gateway_attachments(
                    TransitGatewayAttachment::builder()
                        .transit_gateway_attachment_id(ATT)
                        .transit_gateway_id(TGW)
                        .state(TransitGatewayAttachmentState::from(state))
                        .build(),
                )
                .build()
        })
}

/// AWS's answer to an accept outside `pendingAcceptance`.
fn accept_refused(state: &'static str) -> Rule {
    mock!(Client::accept_transit_gateway_vpc_attachment).then_error(move || {
        AcceptTransitGatewayVpcAttachmentError::generic(
            ErrorMetadata::builder()
                .code("IncorrectState")
                .message(format!("tgw-attachment {ATT} is in invalid state {state}"))
                .build(),
        )
    })
}

fn tags_written() -> Rule {
    mock!(Client::create_tags).then_output(|| CreateTagsOutput::builder().build())
}

fn node() -> Resolved {
    Resolved {
        env: ENV.into(),
        id: NODE.into(),
        scope: scope(),
        attrs: Attrs::from([
            ("attachment".to_string(), Value::str(ATT)),
            ("tgw".to_string(), Value::str(TGW)),
        ]),
        replaces: None,
    }
}

/// A kill before the attachment reached `pendingAcceptance`: the accept is refused while
/// it is still `pending`. That is not an acceptance: the create must be retried (and
/// write no acceptance mark), or the re-run waits out its timeout on `pendingAcceptance`.
#[tokio::test]
async fn create_does_not_take_a_pending_attachment_for_accepted() {
    let (refused, described, marked) =
        (accept_refused("pending"), attachment_in("pending"), tags_written());
    let k = accepter(&[&refused, &described, &marked]);
    let err = k.create(&node()).await.expect_err("a pending attachment is not accepted yet");
    assert_eq!(err.class, ErrorClass::Conflict, "{err}");
    assert_eq!(refused.num_calls(), 1);
    assert_eq!(marked.num_calls(), 0, "no acceptance mark for a pending attachment");
}

/// Accepted by an earlier, interrupted run: the accept is refused because the attachment
/// is `available` already, which only an acceptance leads to.
#[tokio::test]
async fn create_takes_an_available_attachment_for_accepted() {
    for state in ["available", "modifying"] {
        let (refused, described, marked) =
            (accept_refused(state), attachment_in(state), tags_written());
        let k = accepter(&[&refused, &described, &marked]);
        let created = k.create(&node()).await.expect("accepted before");
        assert_eq!(created.physical_id, format!("{ATT}_accept"));
        assert_eq!(marked.num_calls(), 1, "{state}: the acceptance is recorded");
    }
}

/// The environment's transit gateway, carrying the acceptance mark of the attachment.
fn marked_tgw() -> Rule {
    tgw_marked_for(&[ATT])
}

/// The environment's transit gateway, carrying acceptance marks of `attachments`.
fn tgw_marked_for(attachments: &'static [&'static str]) -> Rule {
    mock!(Client::describe_transit_gateways).then_output(move || {
        let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
        let tgw = TransitGateway::builder()
            .transit_gateway_id(TGW)
            .owner_id(ACCOUNT)
            .tags(tag("airgap:env", ENV))
            .tags(tag("airgap:id", "tgw"));
        let tgw = attachments
            .iter()
            .fold(tgw, |t, att| t.tags(tag(&format!("airgap:accept:{att}"), NODE)));
        DescribeTransitGatewaysOutput::builder().transit_gateways(tgw.build()).build()
    })
}

/// Observe counts an acceptance only once the attachment is past it.
#[tokio::test]
async fn observe_counts_only_states_after_acceptance() {
    for (state, accepted) in
        [("pending", false), ("pendingAcceptance", false), ("available", true), ("modifying", true)]
    {
        let (tgw, described) = (marked_tgw(), attachment_in(state));
        let found = accepter(&[&tgw, &described]).observe(ENV, &scope()).await.expect("observe");
        assert_eq!(
            found.iter().map(|o| o.id.0.as_str()).collect::<Vec<_>>(),
            if accepted { vec![NODE] } else { vec![] },
            "attachment {state}"
        );
    }
}

/// A stopped destroy can leave the mark of an attachment it deleted; once AWS forgets
/// that attachment, asking for it by id fails the whole Describe
/// (InvalidTransitGatewayAttachmentID.NotFound). Observe asks by filter, which leaves it
/// out, so the live acceptance beside it is still seen.
#[tokio::test]
async fn a_forgotten_attachments_mark_does_not_hide_the_live_acceptance() {
    const OLD: &str = "tgw-attach-0fedcba9876543210";
    let tgw = tgw_marked_for(&[OLD, ATT]);
    let by_filter = mock!(Client::describe_transit_gateway_attachments)
        .match_requests(|r| {
            let mut asked: Vec<&str> = r
                .filters()
                .iter()
                .filter(|f| f.name() == Some("transit-gateway-attachment-id"))
                .flat_map(|f| f.values().iter().map(String::as_str))
                .collect();
            asked.sort_unstable();
            r.transit_gateway_attachment_ids().is_empty() && asked == [ATT, OLD]
        })
        .then_output(|| {
            DescribeTransitGatewayAttachmentsOutput::builder()
                .transit_gateway_attachments(
                    TransitGatewayAttachment::builder()
                        .transit_gateway_attachment_id(ATT)
                        .transit_gateway_id(TGW)
                        .state(TransitGatewayAttachmentState::Available)
                        .build(),
                )
                .build()
        });
    let found = accepter(&[&tgw, &by_filter]).observe(ENV, &scope()).await.expect("observe");
    assert_eq!(
        found.iter().map(|o| o.physical_id.as_str()).collect::<Vec<_>>(),
        [format!("{ATT}_accept")]
    );
    assert_eq!(by_filter.num_calls(), 1);
}
