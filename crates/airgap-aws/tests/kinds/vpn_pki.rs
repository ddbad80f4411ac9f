//! The VPN's PKI against mocked ACM and Secrets Manager: a run stopped between storing
//! the CA and importing the server certificate leaves a node known by its secret's ARN,
//! and destroy's readiness must not send that ARN to ACM (whose `Arn` shape refuses
//! anything but `arn:...:acm:...`); the node is gone once Secrets Manager no longer has
//! the secret, which a deletion without recovery removes asynchronously.

use crate::mock::{aws_error, scope};
use airgap_aws::vpn::{VpnClients, VpnPki};
use airgap_engine::{Attrs, Check, Kind, Op, Readiness, Value};
use aws_sdk_acm::operation::describe_certificate::{
    DescribeCertificateError, DescribeCertificateOutput,
};
use aws_sdk_secretsmanager::operation::describe_secret::{
    DescribeSecretError, DescribeSecretOutput,
};
use aws_smithy_mocks::{mock, Rule};
use std::sync::Arc;

const SECRET: &str =
    "arn:aws:secretsmanager:eu-central-1:111111111111:secret:airgap/demo/vpn-ca-AbCdEf";
const CERT: &str = "arn:aws:acm:eu-central-1:111111111111:certificate/0f1e2d3c";

/// The clients out of `mocked!`'s `Arc`: `VpnClients` holds them bare.
fn take<T>(clients: Arc<T>) -> T {
    Arc::into_inner(clients).expect("the only owner")
}

fn pki(acm: &[&Rule], secrets: &[&Rule]) -> VpnPki {
    VpnPki(Arc::new(VpnClients {
        acm: take(mocked!(aws_sdk_acm, acm)),
        secrets: take(mocked!(aws_sdk_secretsmanager, secrets)),
        resolver: take(mocked!(aws_sdk_route53resolver, &[])),
    }))
}

/// The outputs observe gives a node: `cert` empty when no certificate was imported.
fn outputs(cert: &str) -> Attrs {
    let mut o = Attrs::new();
    o.insert("serverCertificateArn".into(), Value::str(cert));
    o.insert("secretArn".into(), Value::str(SECRET));
    o
}

fn certificate_described() -> Rule {
    mock!(aws_sdk_acm::Client::describe_certificate)
        .then_output(|| DescribeCertificateOutput::builder().build())
}

fn certificate_gone() -> Rule {
    mock!(aws_sdk_acm::Client::describe_certificate).then_error(|| {
        DescribeCertificateError::generic(aws_error("ResourceNotFoundException", "gone"))
    })
}

fn secret_described() -> Rule {
    mock!(aws_sdk_secretsmanager::Client::describe_secret)
        .then_output(|| DescribeSecretOutput::builder().arn(SECRET).build())
}

fn secret_gone() -> Rule {
    mock!(aws_sdk_secretsmanager::Client::describe_secret)
        .then_error(|| DescribeSecretError::generic(aws_error("ResourceNotFoundException", "gone")))
}

async fn delete_readiness(kind: &VpnPki, physical_id: &str, cert: &str) -> Readiness {
    let (s, o) = (scope(), outputs(cert));
    let check = Check { scope: &s, op: Op::Delete, physical_id, outputs: &o, handle: None };
    kind.ready(check).await.unwrap()
}

#[tokio::test]
async fn a_pki_without_certificate_is_gone_when_its_secret_is_without_asking_acm() {
    let (acm, secret) = (certificate_described(), secret_gone());
    let kind = pki(&[&acm], &[&secret]);
    let r = delete_readiness(&kind, SECRET, "").await;
    assert!(matches!(r, Readiness::Gone), "{r:?}");
    assert_eq!((acm.num_calls(), secret.num_calls()), (0, 1));
}

#[tokio::test]
async fn either_part_still_described_keeps_the_delete_pending() {
    // (certificate still there, secret still there, what the delete waits for, calls)
    for (cert, secret, waits_for, calls) in
        [(true, false, "certificate", (1, 0)), (false, true, "secret", (1, 1))]
    {
        let acm = if cert { certificate_described() } else { certificate_gone() };
        let sm = if secret { secret_described() } else { secret_gone() };
        let kind = pki(&[&acm], &[&sm]);
        let r = delete_readiness(&kind, CERT, CERT).await;
        assert!(matches!(r, Readiness::Pending(ref why) if why.contains(waits_for)), "{r:?}");
        assert_eq!((acm.num_calls(), sm.num_calls()), calls, "{waits_for}");
    }
}

#[tokio::test]
async fn create_readiness_without_certificate_asks_acm_nothing() {
    let acm = certificate_described();
    let kind = pki(&[&acm], &[]);
    let (s, o) = (scope(), outputs(""));
    let check = Check { scope: &s, op: Op::Create, physical_id: SECRET, outputs: &o, handle: None };
    let e = kind.ready(check).await.unwrap_err();
    assert_eq!(e.class, airgap_engine::ErrorClass::NotFound);
    assert_eq!(acm.num_calls(), 0);
}
