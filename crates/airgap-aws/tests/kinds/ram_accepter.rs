//! The invitation accepter against mocked RAM answers (aws-smithy-mocks): an owner that
//! removed this account (a destroy stopped half-way) and added it again sent a new
//! invitation, while the one accepted before stays listed as ACCEPTED; the new one is
//! accepted, not taken for done.

use airgap_aws::ram::RamInvitationAccepter;
use airgap_catalog::spec::{RamInvitationAccepterSpec, Spec};
use airgap_engine::Kind;
use aws_sdk_ram::operation::accept_resource_share_invitation::AcceptResourceShareInvitationOutput;
use aws_sdk_ram::operation::get_resource_share_invitations::GetResourceShareInvitationsOutput;
use aws_sdk_ram::types::{ResourceShareInvitation, ResourceShareInvitationStatus as S};
use aws_sdk_ram::Client;
use aws_smithy_mocks::mock;

const SHARE: &str = "arn:aws:ram:eu-central-1:222222222222:resource-share/s-1";

fn invitation(arn: &str, status: S) -> ResourceShareInvitation {
    ResourceShareInvitation::builder()
        .resource_share_invitation_arn(arn)
        .resource_share_arn(SHARE)
        .status(status)
        .build()
}

#[tokio::test]
async fn a_new_invitation_is_accepted_beside_an_old_accepted_one() {
    let listed = mock!(Client::get_resource_share_invitations).then_output(|| {
        GetResourceShareInvitationsOutput::builder()
            .resource_share_invitations(invitation("inv-old", S::Accepted))
            .resource_share_invitations(invitation("inv-new", S::Pending))
            .build()
    });
    let accept = mock!(Client::accept_resource_share_invitation)
        .match_requests(|r| r.resource_share_invitation_arn() == Some("inv-new"))
        .then_output(|| AcceptResourceShareInvitationOutput::builder().build());
    let kind = RamInvitationAccepter(mocked!(aws_sdk_ram, &[&listed, &accept]));
    let spec = RamInvitationAccepterSpec { share: SHARE.into() };
    let made =
        kind.create(&crate::mock::node("ram/accept/workload", spec.to_attrs())).await.unwrap();
    assert_eq!(accept.num_calls(), 1, "the pending invitation was accepted");
    assert_eq!(made.physical_id, format!("{SHARE}#accept"));
}
