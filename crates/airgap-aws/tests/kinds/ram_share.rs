//! The resource share's readiness against mocked RAM answers (aws-smithy-mocks): an
//! ACTIVE share is ready only once its resources are associated. RAM associates them
//! after CreateResourceShare answers; an association is ASSOCIATING, then ASSOCIATED or
//! FAILED with a `statusMessage` (RAM API reference, ResourceShareAssociation), and a
//! principal cannot use a resource that is not associated.

use crate::mock::scope;
use airgap_aws::ram::RamShare;
use airgap_engine::{Attrs, Check, ErrorClass, Kind, Op, Readiness};
use aws_sdk_ram::operation::get_resource_share_associations::GetResourceShareAssociationsOutput;
use aws_sdk_ram::operation::get_resource_shares::GetResourceSharesOutput;
use aws_sdk_ram::types::{
    ResourceShare, ResourceShareAssociation, ResourceShareAssociationStatus as A,
    ResourceShareAssociationType, ResourceShareStatus,
};
use aws_sdk_ram::Client;
use aws_smithy_mocks::{mock, Rule};

const SHARE: &str = "arn:aws:ram:eu-central-1:111111111111:resource-share/s-1";
const TGW: &str = "arn:aws:ec2:eu-central-1:111111111111:transit-gateway/tgw-1";

fn active() -> Rule {
    mock!(Client::get_resource_shares).then_output(|| {
        GetResourceSharesOutput::builder()
            .resource_shares(
                ResourceShare::builder()
                    .resource_share_arn(SHARE)
                    .status(ResourceShareStatus::Active)
                    .build(),
            )
            .build()
    })
}

/// The share's resource associations: the gateway's, with `status`.
fn resources(status: A) -> Rule {
    mock!(Client::get_resource_share_associations)
        .match_requests(|r| {
            r.association_type() == Some(&ResourceShareAssociationType::Resource)
                && r.resource_share_arns() == [SHARE]
        })
        .then_output(move || {
            GetResourceShareAssociationsOutput::builder()
                .resource_share_associations(
                    ResourceShareAssociation::builder()
                        .resource_share_arn(SHARE)
                        .associated_entity(TGW)
                        .association_type(ResourceShareAssociationType::Resource)
                        .status(status.clone())
                        .set_status_message(
                            (status == A::Failed).then(|| "the resource cannot be shared".into()),
                        )
                        .build(),
                )
                .build()
        })
}

async fn ready(status: A) -> Result<Readiness, airgap_engine::KindError> {
    let (shares, links) = (active(), resources(status));
    let kind = RamShare(mocked!(aws_sdk_ram, &[&shares, &links]));
    let (s, out) = (scope(), Attrs::new());
    let r = kind
        .ready(Check { scope: &s, op: Op::Create, physical_id: SHARE, outputs: &out, handle: None })
        .await;
    assert_eq!(links.num_calls(), 1, "the resource associations were read");
    r
}

#[tokio::test]
async fn an_active_share_waits_for_its_resources_association() {
    assert_eq!(
        ready(A::Associating).await.unwrap(),
        Readiness::Pending("resource associating".into())
    );
    assert!(matches!(ready(A::Associated).await.unwrap(), Readiness::Ready(_)));
}

#[tokio::test]
async fn a_failed_resource_association_is_reported_with_rams_reason() {
    let e = ready(A::Failed).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Fatal);
    assert!(e.message.contains(TGW) && e.message.contains("cannot be shared"), "{e:?}");
}
