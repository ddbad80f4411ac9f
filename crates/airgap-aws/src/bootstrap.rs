//! `airgapctl bootstrap`: the deployer role of one account, with the trust and the
//! derived managed policies, created or brought up to date; idempotent.
//!
//! IAM calls and their rules (IAM API Reference):
//! - `CreateRole` (role names 1-64 characters; `PermissionsBoundary` an ARN; tags in the
//!   same call), `UpdateAssumeRolePolicy`, `PutRolePermissionsBoundary`, `TagRole`.
//! - `CreatePolicy` under the path `/airgap/` with its tags; a changed document becomes a
//!   new default version (`CreatePolicyVersion` with `SetAsDefault`); a policy keeps at
//!   most five versions ("LimitExceeded" otherwise), so the oldest non-default one is
//!   deleted first. Whether a document changed is told by the tag
//!   `airgap:policy-hash`, not by decoding `GetPolicyVersion`'s URL-encoded document.
//! - `AttachRolePolicy` is idempotent; policies of the environment beyond the current
//!   count (the policy shrank) are detached and deleted, versions first
//!   (`DeletePolicy` refuses a policy with non-default versions or attachments).
//!
//! IAM is eventually consistent ("Changes that I make are not always immediately
//! visible", IAM User Guide): a role just created may not be assumable for some seconds.

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;
use serde_json::Value;
use thiserror::Error;

use crate::tags;

/// The path of the deployer's managed policies.
pub const POLICY_PATH: &str = "/airgap/";
const HASH_TAG: &str = "airgap:policy-hash";
/// IAM keeps at most five versions of a managed policy.
const MAX_VERSIONS: usize = 5;

/// What one account's deployer role should be.
#[derive(Clone, Debug)]
pub struct RoleSpec {
    pub account: String,
    pub partition: String,
    pub env: String,
    pub role_name: String,
    pub trust: Value,
    pub permissions_boundary: Option<String>,
    /// The managed policy documents, in order.
    pub documents: Vec<Value>,
}

impl RoleSpec {
    /// The name of the `i`-th (from 1) managed policy.
    pub fn policy_name(&self, i: usize) -> String {
        format!("airgap-{}-deployer-{i}", self.env)
    }

    pub fn policy_arn(&self, name: &str) -> String {
        format!("arn:{}:iam::{}:policy{POLICY_PATH}{name}", self.partition, self.account)
    }

    pub fn role_arn(&self) -> String {
        format!("arn:{}:iam::{}:role/{}", self.partition, self.account, self.role_name)
    }
}

/// The trust policy: `principal` may assume the role, with `external_id` if given.
pub fn trust_policy(principal: &str, external_id: Option<&str>) -> Value {
    let mut st = serde_json::json!({
        "Effect": "Allow",
        "Principal": { "AWS": principal },
        "Action": "sts:AssumeRole",
    });
    if let Some(id) = external_id {
        st["Condition"] = serde_json::json!({ "StringEquals": { "sts:ExternalId": id } });
    }
    serde_json::json!({ "Version": "2012-10-17", "Statement": [st] })
}

/// What bootstrapping an account did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub role_created: bool,
    pub policies_created: usize,
    pub policies_updated: usize,
    pub policies_unchanged: usize,
    pub policies_removed: usize,
}

#[derive(Debug, Error)]
#[error("{operation} in account {account}: {detail}")]
pub struct BootstrapError {
    pub account: String,
    pub operation: &'static str,
    pub detail: String,
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build().expect("key and value set")
}

fn std_tags() -> Vec<Tag> {
    vec![tag(tags::MANAGED_BY, tags::MANAGER), tag("airgap:bootstrap", "deployer")]
}

/// Creates or updates the deployer role of `spec` with `conf` (an administrator's
/// credentials in that account).
pub async fn ensure(
    conf: &aws_types::SdkConfig,
    spec: &RoleSpec,
) -> Result<Outcome, BootstrapError> {
    let client = &Client::new(conf);
    let fail = |operation: &'static str| {
        let account = spec.account.clone();
        move |e: String| BootstrapError { account, operation, detail: e }
    };
    // One IAM call: its request sent, a failure named by the operation.
    macro_rules! call {
        ($operation:literal, $request:expr) => {
            $request.send().await.map_err(|e| fail($operation)(sdk(e)))?
        };
    }
    let mut outcome = Outcome::default();
    let trust = spec.trust.to_string();
    let exists = match client.get_role().role_name(&spec.role_name).send().await {
        Ok(_) => true,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => false,
        Err(e) => return Err(fail("GetRole")(sdk(e))),
    };
    if exists {
        call!(
            "UpdateAssumeRolePolicy",
            client.update_assume_role_policy().role_name(&spec.role_name).policy_document(&trust)
        );
        call!("TagRole", client.tag_role().role_name(&spec.role_name).set_tags(Some(std_tags())));
        if let Some(b) = &spec.permissions_boundary {
            call!(
                "PutRolePermissionsBoundary",
                client
                    .put_role_permissions_boundary()
                    .role_name(&spec.role_name)
                    .permissions_boundary(b)
            );
        }
    } else {
        call!(
            "CreateRole",
            client
                .create_role()
                .role_name(&spec.role_name)
                .assume_role_policy_document(&trust)
                .description("airgapctl's deployer role (airgapctl bootstrap)")
                .set_permissions_boundary(spec.permissions_boundary.clone())
                .set_tags(Some(std_tags()))
        );
        outcome.role_created = true;
    }

    for (i, doc) in spec.documents.iter().enumerate() {
        let name = spec.policy_name(i + 1);
        let arn = spec.policy_arn(&name);
        let text = doc.to_string();
        let hash = format!("{:016x}", airgap_engine::fnv1a(&[text.as_bytes()]));
        match client.get_policy().policy_arn(&arn).send().await {
            Ok(found) => {
                let tagged = found
                    .policy()
                    .map(|p| p.tags())
                    .unwrap_or_default()
                    .iter()
                    .find(|t| t.key() == HASH_TAG)
                    .map(|t| t.value().to_string());
                if tagged.as_deref() == Some(hash.as_str()) {
                    outcome.policies_unchanged += 1;
                } else {
                    new_version(client, &arn, &text).await.map_err(fail("CreatePolicyVersion"))?;
                    call!(
                        "TagPolicy",
                        client.tag_policy().policy_arn(&arn).tags(tag(HASH_TAG, &hash))
                    );
                    outcome.policies_updated += 1;
                }
            }
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => {
                let mut tags = std_tags();
                tags.push(tag(tags::ENV, &spec.env));
                tags.push(tag(HASH_TAG, &hash));
                let what = format!("airgapctl deployer, environment {}, part {}", spec.env, i + 1);
                call!(
                    "CreatePolicy",
                    client
                        .create_policy()
                        .policy_name(&name)
                        .path(POLICY_PATH)
                        .policy_document(&text)
                        .description(what)
                        .set_tags(Some(tags))
                );
                outcome.policies_created += 1;
            }
            Err(e) => return Err(fail("GetPolicy")(sdk(e))),
        }
        call!(
            "AttachRolePolicy",
            client.attach_role_policy().role_name(&spec.role_name).policy_arn(&arn)
        );
    }

    // Parts beyond today's count: the policy shrank since the last bootstrap.
    let attached = client
        .list_attached_role_policies()
        .role_name(&spec.role_name)
        .path_prefix(POLICY_PATH)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| fail("ListAttachedRolePolicies")(sdk(e)))?;
    let prefix = format!("airgap-{}-deployer-", spec.env);
    for p in attached {
        let (Some(name), Some(arn)) = (p.policy_name(), p.policy_arn()) else { continue };
        let part = name.strip_prefix(&prefix).and_then(|n| n.parse::<usize>().ok());
        if part.is_some_and(|n| n > spec.documents.len()) {
            call!(
                "DetachRolePolicy",
                client.detach_role_policy().role_name(&spec.role_name).policy_arn(arn)
            );
            delete_policy(client, arn).await.map_err(fail("DeletePolicy"))?;
            outcome.policies_removed += 1;
        }
    }
    Ok(outcome)
}

/// A new default version of `arn`, the oldest non-default one deleted first when the
/// policy has all five.
async fn new_version(client: &Client, arn: &str, text: &str) -> Result<(), String> {
    let mut old = old_versions(client, arn).await?;
    // The non-default versions and the default one.
    if old.len() + 1 >= MAX_VERSIONS {
        old.sort_by_key(|v| v.create_date().map(|d| d.secs()));
        if let Some(v) = old.first() {
            delete_version(client, arn, v).await?;
        }
    }
    client
        .create_policy_version()
        .policy_arn(arn)
        .policy_document(text)
        .set_as_default(true)
        .send()
        .await
        .map_err(sdk)?;
    Ok(())
}

/// A policy deleted: IAM refuses while it has versions other than the default.
async fn delete_policy(client: &Client, arn: &str) -> Result<(), String> {
    for v in old_versions(client, arn).await? {
        delete_version(client, arn, &v).await?;
    }
    client.delete_policy().policy_arn(arn).send().await.map_err(sdk)?;
    Ok(())
}

/// The versions of `arn` other than its default one.
async fn old_versions(
    client: &Client,
    arn: &str,
) -> Result<Vec<aws_sdk_iam::types::PolicyVersion>, String> {
    let versions = client.list_policy_versions().policy_arn(arn).send().await.map_err(sdk)?;
    Ok(versions.versions().iter().filter(|v| !v.is_default_version()).cloned().collect())
}

async fn delete_version(
    client: &Client,
    arn: &str,
    v: &aws_sdk_iam::types::PolicyVersion,
) -> Result<(), String> {
    let Some(id) = v.version_id() else { return Ok(()) };
    let req = client.delete_policy_version().policy_arn(arn).version_id(id);
    req.send().await.map_err(sdk)?;
    Ok(())
}

/// `Code: message` as AWS answered, or the SDK's whole story when AWS did not answer
/// (credentials, network).
fn sdk<E, R>(e: aws_sdk_iam::error::SdkError<E, R>) -> String
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_iam::error::ProvideErrorMetadata;
    match e.code() {
        Some(code) => format!("{code}: {}", e.message().unwrap_or_default()),
        None => aws_sdk_iam::error::DisplayErrorContext(&e).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::operation::create_policy_version::CreatePolicyVersionOutput;
    use aws_sdk_iam::operation::delete_policy::DeletePolicyOutput;
    use aws_sdk_iam::operation::delete_policy_version::DeletePolicyVersionOutput;
    use aws_sdk_iam::operation::list_policy_versions::ListPolicyVersionsOutput;
    use aws_sdk_iam::types::PolicyVersion;
    use aws_smithy_mocks::{mock, MockResponseInterceptor, Rule, RuleMode};

    const ARN: &str = "arn:aws:iam::111111111111:policy/airgap/demo/airgap-demo-deployer-1";

    fn client(rules: &[&Rule]) -> Client {
        let mut i = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
        for r in rules {
            i = i.with_rule(r);
        }
        let conf = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "AKID", "SECRET", None, None, "mock",
            ))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(i)
            .build();
        Client::from_conf(conf)
    }

    /// `n` versions, v1 the oldest; `default` is the default one.
    fn versions(n: i64, default: i64) -> Rule {
        mock!(Client::list_policy_versions).then_output(move || {
            // Newest first, as IAM lists them: the oldest is found by its date.
            let list = (1..=n).rev().map(|v| {
                PolicyVersion::builder()
                    .version_id(format!("v{v}"))
                    .is_default_version(v == default)
                    .create_date(aws_smithy_types::DateTime::from_secs(1_700_000_000 + v))
                    .build()
            });
            ListPolicyVersionsOutput::builder().set_versions(Some(list.collect())).build()
        })
    }

    fn deleted(id: &'static str) -> Rule {
        mock!(Client::delete_policy_version)
            .match_requests(move |r| r.version_id() == Some(id))
            .then_output(|| DeletePolicyVersionOutput::builder().build())
    }

    fn created() -> Rule {
        mock!(Client::create_policy_version)
            .match_requests(|r| r.set_as_default() == Some(true))
            .then_output(|| CreatePolicyVersionOutput::builder().build())
    }

    // IAM keeps at most five versions of a policy: with five, the oldest that is not
    // the default goes before the new default is made (the default, v1 here, stays).
    #[tokio::test]
    async fn a_sixth_version_replaces_the_oldest_non_default_one() {
        let (list, v2, made) = (versions(5, 1), deleted("v2"), created());
        new_version(&client(&[&list, &v2, &made]), ARN, "{}").await.expect("new version");
        assert_eq!((v2.num_calls(), made.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn with_room_left_no_version_is_deleted() {
        let (list, any, made) = (versions(4, 4), mock!(Client::delete_policy_version), created());
        let any = any.then_output(|| DeletePolicyVersionOutput::builder().build());
        new_version(&client(&[&list, &any, &made]), ARN, "{}").await.expect("new version");
        assert_eq!((any.num_calls(), made.num_calls()), (0, 1));
    }

    // DeletePolicy is refused while versions other than the default exist; the default
    // goes with the policy.
    #[tokio::test]
    async fn a_policy_is_deleted_after_its_other_versions() {
        let (list, v1, v3) = (versions(3, 2), deleted("v1"), deleted("v3"));
        let gone =
            mock!(Client::delete_policy).then_output(|| DeletePolicyOutput::builder().build());
        delete_policy(&client(&[&list, &v1, &v3, &gone]), ARN).await.expect("deleted");
        assert_eq!((v1.num_calls(), v3.num_calls(), gone.num_calls()), (1, 1, 1));
    }
}
