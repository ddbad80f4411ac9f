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
    let versions = client.list_policy_versions().policy_arn(arn).send().await.map_err(sdk)?;
    let mut old: Vec<_> = versions.versions().iter().filter(|v| !v.is_default_version()).collect();
    if versions.versions().len() >= MAX_VERSIONS {
        old.sort_by_key(|v| v.create_date().map(|d| d.secs()));
        if let Some(id) = old.first().and_then(|v| v.version_id()) {
            client
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(id)
                .send()
                .await
                .map_err(sdk)?;
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

async fn delete_policy(client: &Client, arn: &str) -> Result<(), String> {
    let versions = client.list_policy_versions().policy_arn(arn).send().await.map_err(sdk)?;
    for v in versions.versions().iter().filter(|v| !v.is_default_version()) {
        if let Some(id) = v.version_id() {
            client
                .delete_policy_version()
                .policy_arn(arn)
                .version_id(id)
                .send()
                .await
                .map_err(sdk)?;
        }
    }
    client.delete_policy().policy_arn(arn).send().await.map_err(sdk)?;
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
