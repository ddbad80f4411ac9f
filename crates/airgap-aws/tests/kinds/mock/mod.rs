//! What the mocked tests of every service share: one account and region, the clients
//! of a service whose calls the mock rules answer, and EC2's tags and nodes.

// Not every module of the test binary uses every helper.
#![allow(dead_code)]

use std::sync::Arc;

use airgap_aws::ec2::Ec2;
use airgap_engine::{
    Attrs, Change, Diff, ErrorClass, FieldChange, Kind, Observed, Resolved, Scope, Value,
};
use aws_sdk_ec2::operation::create_tags::CreateTagsOutput;
use aws_sdk_ec2::operation::delete_tags::DeleteTagsOutput;
use aws_sdk_ec2::types::Tag;
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, MockResponseInterceptor, Rule, RuleMode};

pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "eu-central-1";
pub const ENV: &str = "demo";

pub fn scope() -> Scope {
    Scope::new(ACCOUNT, REGION)
}

/// An interceptor answering with the first of `rules` that matches each call.
pub fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    let mut i = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        i = i.with_rule(r);
    }
    i
}

/// The clients (`PerScope`, in an `Arc`) of SDK crate `$sdk` for [`scope`], answered by
/// the mock `$rules`. A macro: the SDKs' configs share no trait.
macro_rules! mocked {
    ($sdk:ident, $rules:expr) => {{
        let conf = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new($crate::mock::REGION))
            .credentials_provider($sdk::config::Credentials::new(
                "AKID", "SECRET", None, None, "mock",
            ))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor($crate::mock::interceptor($rules))
            .build();
        let mut clients = airgap_aws::clients::PerScope::new();
        clients.insert(&$crate::mock::scope(), $sdk::Client::from_conf(conf));
        std::sync::Arc::new(clients)
    }};
}

/// EC2 clients of [`scope`] whose every call is answered by one of `rules`.
pub fn ec2(rules: &[&Rule]) -> Arc<Ec2> {
    mocked!(aws_sdk_ec2, rules)
}

/// ELBv2 clients of [`scope`] answered by `rules`, bare: the blocker search holds them so.
pub fn elb(
    rules: &[&Rule],
) -> airgap_aws::clients::PerScope<aws_sdk_elasticloadbalancingv2::Client> {
    Arc::into_inner(mocked!(aws_sdk_elasticloadbalancingv2, rules)).expect("the only owner")
}

pub fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build()
}

/// The standard tags of node `id` of [`ENV`].
pub fn owned(id: &str) -> Vec<Tag> {
    vec![
        tag("airgap:env", ENV),
        tag("airgap:id", id),
        tag("airgap:managed-by", "airgapctl"),
        tag("Name", &format!("{ENV}/{id}")),
    ]
}

/// A node of [`ENV`] in [`scope`] with resolved attributes.
pub fn node(id: &str, attrs: Attrs) -> Resolved {
    Resolved { env: ENV.into(), id: id.into(), scope: scope(), attrs, replaces: None }
}

/// CreateTags, which records a sub-resource's mark on its parent.
pub fn tags_written() -> Rule {
    mock!(Client::create_tags).then_output(|| CreateTagsOutput::builder().build())
}

/// DeleteTags, which removes a mark.
pub fn tags_removed() -> Rule {
    mock!(Client::delete_tags).then_output(|| DeleteTagsOutput::builder().build())
}

/// An AWS error answer with `code`.
pub fn aws_error(code: &str, message: &str) -> aws_sdk_ec2::error::ErrorMetadata {
    aws_sdk_ec2::error::ErrorMetadata::builder().code(code).message(message).build()
}

/// The one resource observe found.
pub fn only(found: Vec<airgap_engine::Observed>) -> airgap_engine::Observed {
    assert_eq!(found.len(), 1, "{found:?}");
    found.into_iter().next().expect("one")
}

/// A diff naming `fields` as changed; their values are not what the kinds read.
pub fn changed(fields: &[&str]) -> Diff {
    Diff {
        refused: Vec::new(),
        changes: fields
            .iter()
            .map(|f| FieldChange {
                field: (*f).into(),
                old: None,
                new: Value::Null,
                forces_replacement: false,
            })
            .collect(),
    }
}

/// An update that moves subnets in two calls: the first only removes (`out`) and answers
/// the Conflict `SubnetsMoving`; the engine's retry only adds (`into`).
pub async fn moved_in_two_calls(k: &dyn Kind, change: Change<'_>, out: &Rule, into: &Rule) {
    let first = k.update(change).await.expect_err("the new subnet waits for the old to leave");
    assert_eq!((first.class, first.code.as_str()), (ErrorClass::Conflict, "SubnetsMoving"));
    assert_eq!((out.num_calls(), into.num_calls()), (1, 0));
    k.update(change).await.expect("the retried update");
    // Nothing removed twice: the retry judged by the resource as described.
    assert_eq!((out.num_calls(), into.num_calls()), (1, 1));
}

/// A subnet change to a resource still busy with the last one: a Conflict, retried, and
/// no Modify call (`modify`).
pub async fn subnet_change_waits(k: &dyn Kind, node: &Resolved, current: &Observed, modify: &Rule) {
    let err = k
        .update(Change { node, current, diff: &changed(&["subnets"]) })
        .await
        .expect_err("the change waits");
    assert_eq!(err.class, ErrorClass::Conflict, "{err}");
    assert_eq!(modify.num_calls(), 0);
}
