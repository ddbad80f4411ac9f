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
    TgwAttachmentAccepter(crate::mock::ec2(rules))
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
        assert_eq!(marked.num_calls(), 0, "{state}: nothing is written on the gateway");
    }
}

/// The environment's transit gateway (no marks: acceptances are read from the
/// attachments).
fn env_tgw() -> Rule {
    mock!(Client::describe_transit_gateways).then_output(move || {
        let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
        let tgw = TransitGateway::builder()
            .transit_gateway_id(TGW)
            .owner_id(ACCOUNT)
            .tags(tag("airgap:env", ENV))
            .tags(tag("airgap:id", "tgw"));
        DescribeTransitGatewaysOutput::builder().transit_gateways(tgw.build()).build()
    })
}

/// The gateway's attachments as its owner lists them (by the `transit-gateway-id`
/// filter): (id, owner account, state).
fn listed(atts: &'static [(&'static str, &'static str, &'static str)]) -> Rule {
    mock!(Client::describe_transit_gateway_attachments)
        .match_requests(|r| {
            r.filters()
                .iter()
                .any(|f| f.name() == Some("transit-gateway-id") && f.values() == [TGW])
        })
        .then_output(move || {
            atts.iter()
                .fold(DescribeTransitGatewayAttachmentsOutput::builder(), |b, (id, owner, st)| {
                    b.transit_gateway_attachments(
                        TransitGatewayAttachment::builder()
                            .transit_gateway_attachment_id(*id)
                            .transit_gateway_id(TGW)
                            .resource_owner_id(*owner)
                            .state(TransitGatewayAttachmentState::from(*st))
                            .build(),
                    )
                })
                .build()
        })
}

const SPOKE: &str = "222222222222";

/// Observe counts an acceptance only once the attachment is past it, and names it after
/// the gateway until the plan pairs it with its node by identity.
#[tokio::test]
async fn observe_counts_only_states_after_acceptance() {
    for (state, accepted) in
        [("pending", false), ("pendingAcceptance", false), ("available", true), ("modifying", true)]
    {
        let atts: &'static [_] = Box::leak(Box::new([(ATT, SPOKE, state)]));
        let (tgw, described) = (env_tgw(), listed(atts));
        let found = accepter(&[&tgw, &described]).observe(ENV, &scope()).await.expect("observe");
        let ids: Vec<_> = found.iter().map(|o| o.id.0.clone()).collect();
        let want = if accepted { vec![format!("tgw~{ATT}")] } else { vec![] };
        assert_eq!(ids, want, "attachment {state}");
    }
}

/// The owner's own attachments need no acceptance: they are not acceptances.
#[tokio::test]
async fn the_owners_own_attachments_are_not_acceptances() {
    const OWN: &str = "tgw-attach-0fedcba9876543210";
    let (tgw, described) =
        (env_tgw(), listed(&[(OWN, ACCOUNT, "available"), (ATT, SPOKE, "available")]));
    let found = accepter(&[&tgw, &described]).observe(ENV, &scope()).await.expect("observe");
    assert_eq!(
        found.iter().map(|o| o.physical_id.as_str()).collect::<Vec<_>>(),
        [format!("{ATT}_accept")]
    );
    assert_eq!(described.num_calls(), 1, "one Describe for every spoke");
}
