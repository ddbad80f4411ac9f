//! Private ECR repositories (the shared account's registry). ECR has no tag filter on
//! DescribeRepositories: observe lists the account's repositories (paginated) and reads
//! the tags of each with ListTagsForResource, and the repository policy of each of the
//! environment's with GetRepositoryPolicy: the per-resource calls of a plan, bounded by
//! the repositories of the account.
//!
//! Only the owning account may pull from a repository without a repository policy, so the
//! nodes of the environment's clusters (in other accounts) get a policy that lets their
//! node roles pull, nothing more: `pullPrincipals`, written with SetRepositoryPolicy.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Registry, Resolved,
    Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, Repository, Tag};
use serde_json::json;

use crate::clients::PerScope;
use crate::ec2::{b, kind_meta, list, s, sorted_lists};
use crate::errors::{classify, code_of, unless_gone};
use crate::tags;

pub type Ecr = PerScope<aws_sdk_ecr::Client>;

pub fn register(registry: &mut Registry, ecr: &Arc<Ecr>) {
    registry.register(Arc::new(EcrRepository(Arc::clone(ecr))));
}

pub struct EcrRepository(pub Arc<Ecr>);

fn out(repo: &Repository) -> Attrs {
    let mut o = Attrs::new();
    for (k, v) in [
        ("id", repo.repository_name()),
        ("arn", repo.repository_arn()),
        ("uri", repo.repository_uri()),
    ] {
        if let Some(v) = v {
            o.insert(k.to_string(), Value::str(v));
        }
    }
    o
}

/// What pulling an image takes (ECR User Guide, repository policy examples, "allow pull":
/// https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html).
const PULL_ACTIONS: [&str; 3] = [
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
];
const PULL_SID: &str = "AirgapNodesPull";

/// The repository policy that lets `principals` pull, nothing more.
fn pull_policy(principals: &[String]) -> serde_json::Value {
    let mut principals = principals.to_vec();
    principals.sort();
    principals.dedup();
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": PULL_SID,
            "Effect": "Allow",
            "Principal": { "AWS": principals },
            "Action": PULL_ACTIONS,
        }],
    })
}

/// A policy document where formatting, key order, the order of the elements that the IAM
/// policy grammar treats as sets, and a single value written without its list do not
/// count ("Action": "a" is ["a"]; IAM JSON policy element reference:
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html).
/// serde_json's maps keep keys sorted, so equal documents serialize equally.
fn canonical(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    const SETS: [&str; 9] = [
        "Statement",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "AWS",
        "Service",
        "Federated",
        "CanonicalUser",
    ];
    match v {
        J::Object(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = canonical(v);
                    if !SETS.contains(&k.as_str()) {
                        return (k.clone(), v);
                    }
                    let mut items = match v {
                        J::Array(items) => items,
                        one => vec![one],
                    };
                    items.sort_by_key(|i| i.to_string());
                    items.dedup();
                    (k.clone(), J::Array(items))
                })
                .collect(),
        ),
        J::Array(items) => J::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// The `pullPrincipals` a repository policy amounts to: sorted, when it is exactly the one
/// [`pull_policy`] writes for them; else the whole (canonical) document, so it differs
/// from any desired list and is rewritten.
fn pull_principals(policy_text: &str) -> Value {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy_text) else {
        return Value::str(format!("not JSON: {policy_text}"));
    };
    let doc = canonical(&doc);
    let mut principals: Vec<String> = doc["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|st| {
            st["Principal"]["AWS"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    principals.sort();
    principals.dedup();
    if canonical(&pull_policy(&principals)) == doc {
        Value::List(principals.into_iter().map(Value::Str).collect())
    } else {
        Value::str(doc.to_string())
    }
}

/// ECR refuses a policy naming an IAM principal that it does not know (yet): a role IAM
/// has only just created, not yet propagated to ECR. AWS answers 400
/// InvalidParameterException "Invalid parameter at 'PolicyText' failed to satisfy
/// constraint: 'Principal not found'" (recorded in
/// https://github.com/hashicorp/terraform-provider-aws/issues/39064), formerly
/// "... 'Invalid repository policy provided'" (hashicorp/terraform-provider-aws#1164).
/// That is NotFound: the engine retries it while a dependency (the node role) is new.
fn principal_not_visible(e: KindError, principals: &[String]) -> KindError {
    let unknown_principal = e.code == "InvalidParameterException"
        && (e.message.contains("Principal not found")
            || e.message.contains("Invalid repository policy provided"));
    if !unknown_principal {
        return e;
    }
    KindError::new(
        ErrorClass::NotFound,
        e.code,
        format!(
            "{} (pull principals {}: an IAM role that does not exist, or not yet for ECR)",
            e.message,
            principals.join(", ")
        ),
    )
}

/// Makes the repository's policy let exactly `principals` pull; none: no policy.
async fn set_pull_policy(
    c: &aws_sdk_ecr::Client,
    name: &str,
    principals: &[String],
) -> Result<(), KindError> {
    if principals.is_empty() {
        return match c
            .delete_repository_policy()
            .repository_name(name)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if code_of(&e) == Some("RepositoryPolicyNotFoundException") => Ok(()),
            Err(e) => Err(classify(e)),
        };
    }
    c.set_repository_policy()
        .repository_name(name)
        .policy_text(pull_policy(principals).to_string())
        .send()
        .await
        .map_err(|e| principal_not_visible(classify(e), principals))?;
    Ok(())
}

fn mutability(immutable: bool) -> ImageTagMutability {
    if immutable {
        ImageTagMutability::Immutable
    } else {
        ImageTagMutability::Mutable
    }
}

#[async_trait]
impl Kind for EcrRepository {
    kind_meta!(ECR_REPOSITORY);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        Diff::compute(
            &sorted_lists(desired, &["pullPrincipals"]),
            &observed.attrs,
            self.facts().replace_fields,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let repos: Vec<Repository> = c
            .describe_repositories()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        let mut found = Vec::new();
        for r in repos {
            let Some(arn) = r.repository_arn() else {
                continue;
            };
            let t = match c.list_tags_for_resource().resource_arn(arn).send().await {
                Ok(t) => t,
                // Deleted between the two calls.
                Err(e) if classify_ref(&e) == ErrorClass::NotFound => continue,
                Err(e) => return Err(classify(e)),
            };
            let map = tags::to_map(t.tags().iter().map(|t| (Some(t.key()), Some(t.value()))));
            let Some(id) = tags::owned_id(&map, env) else {
                continue;
            };
            let name = r.repository_name().unwrap_or_default().to_string();
            let pull = match c
                .get_repository_policy()
                .repository_name(&name)
                .send()
                .await
            {
                Ok(p) => pull_principals(p.policy_text().unwrap_or_default()),
                // ECR API reference, GetRepositoryPolicy: no policy is this error.
                Err(e) if code_of(&e) == Some("RepositoryPolicyNotFoundException") => {
                    Value::List(Vec::new())
                }
                // Deleted between the calls.
                Err(e) if classify_ref(&e) == ErrorClass::NotFound => continue,
                Err(e) => return Err(classify(e)),
            };
            found.push(Observed {
                id: id.as_str().into(),
                attrs: Attrs::from([
                    ("name".to_string(), Value::str(name.as_str())),
                    (
                        "immutableTags".to_string(),
                        Value::Bool(
                            r.image_tag_mutability() == Some(&ImageTagMutability::Immutable),
                        ),
                    ),
                    (
                        "scanOnPush".to_string(),
                        Value::Bool(
                            r.image_scanning_configuration()
                                .is_some_and(|c| c.scan_on_push()),
                        ),
                    ),
                    ("pullPrincipals".to_string(), pull),
                ]),
                outputs: out(&r),
                physical_id: arn.to_string(),
                parents: vec![],
            });
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let name = s(a, "name")?;
        let mut req = c
            .create_repository()
            .repository_name(&name)
            .image_tag_mutability(mutability(b(a, "immutableTags", true)))
            .image_scanning_configuration(
                ImageScanningConfiguration::builder()
                    .scan_on_push(b(a, "scanOnPush", true))
                    .build(),
            );
        for (k, v) in tags::standard(&node.env, &node.id.0) {
            req = req.tags(
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| KindError::fatal("BadTag", e.to_string()))?,
            );
        }
        let repo = match req.send().await {
            Ok(o) => o.repository().cloned(),
            // The name is unique per account: a retry finds its own repository, which
            // must carry this node's tags to be adopted.
            Err(e) if code_of(&e) == Some("RepositoryAlreadyExistsException") => {
                let found = c
                    .describe_repositories()
                    .repository_names(&name)
                    .send()
                    .await
                    .map_err(classify)?;
                let repo = found.repositories().first().cloned();
                let arn = repo
                    .as_ref()
                    .and_then(|r| r.repository_arn())
                    .unwrap_or_default();
                let t = c
                    .list_tags_for_resource()
                    .resource_arn(arn)
                    .send()
                    .await
                    .map_err(classify)?;
                let map = tags::to_map(t.tags().iter().map(|t| (Some(t.key()), Some(t.value()))));
                if tags::owned_id(&map, &node.env).as_deref() != Some(node.id.0.as_str()) {
                    return Err(KindError::fatal(
                        "RepositoryAlreadyExistsException",
                        format!("repository {name} exists and is not this environment's; rename it in the blueprint or remove it"),
                    ));
                }
                repo
            }
            Err(e) => return Err(classify(e)),
        };
        let repo =
            repo.ok_or_else(|| KindError::fatal("NoId", "CreateRepository returned nothing"))?;
        // Not in the create call (CreateRepository takes no policy). If this fails, the
        // retried create adopts the repository above and sets it again; an interrupted run
        // leaves a repository without it, which the next plan shows as an update.
        let principals = list(a, "pullPrincipals")?;
        if !principals.is_empty() {
            set_pull_policy(c, &name, &principals).await?;
        }
        Ok(Created {
            physical_id: repo.repository_arn().unwrap_or_default().to_string(),
            outputs: out(&repo),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let name = s(a, "name")?;
        if diff.changes.iter().any(|ch| ch.field == "immutableTags") {
            c.put_image_tag_mutability()
                .repository_name(&name)
                .image_tag_mutability(mutability(b(a, "immutableTags", true)))
                .send()
                .await
                .map_err(classify)?;
        }
        if diff.changes.iter().any(|ch| ch.field == "scanOnPush") {
            c.put_image_scanning_configuration()
                .repository_name(&name)
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder()
                        .scan_on_push(b(a, "scanOnPush", true))
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        if diff.changes.iter().any(|ch| ch.field == "pullPrincipals") {
            set_pull_policy(c, &name, &list(a, "pullPrincipals")?).await?;
        }
        Ok(current.outputs.clone())
    }

    /// Images go with the repository: the environment is being torn down.
    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let name = current
            .outputs
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        match self
            .0
            .client(scope)?
            .delete_repository()
            .repository_name(name)
            .force(true)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => unless_gone(classify(e)),
        }
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        if op != Op::Delete {
            return Ok(Readiness::Ready(outputs.clone()));
        }
        let name = physical_id
            .rsplit_once(":repository/")
            .map_or("", |(_, n)| n);
        match self
            .0
            .client(scope)?
            .describe_repositories()
            .repository_names(name)
            .send()
            .await
        {
            Ok(o) if !o.repositories().is_empty() => Ok(Readiness::Pending("deleting".into())),
            Ok(_) => Ok(Readiness::Gone),
            Err(e) => match classify(e) {
                e if e.class == ErrorClass::NotFound => Ok(Readiness::Gone),
                e => Err(e),
            },
        }
    }
}

fn classify_ref<E, R>(e: &aws_sdk_ecr::error::SdkError<E, R>) -> ErrorClass
where
    E: aws_sdk_ecr::error::ProvideErrorMetadata,
{
    match code_of(e) {
        Some(c) => crate::errors::class_of(c, ""),
        None => ErrorClass::Fatal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE_A: &str = "arn:aws:iam::111111111111:role/airgap/demo/airgap-demo-a-node";
    const ROLE_B: &str = "arn:aws:iam::222222222222:role/airgap/demo/airgap-demo-b-node";

    fn strs(v: &[&str]) -> Value {
        Value::List(v.iter().map(|s| Value::str(*s)).collect())
    }

    #[test]
    fn the_written_policy_reads_back_as_its_principals() {
        let text = pull_policy(&[ROLE_B.into(), ROLE_A.into()]).to_string();
        assert_eq!(pull_principals(&text), strs(&[ROLE_A, ROLE_B]));
    }

    #[test]
    fn formatting_order_and_single_values_are_not_drift() {
        // As AWS may hand it back: indented, keys and lists in another order, a single
        // principal as a string.
        let text = format!(
            r#"{{
  "Statement" : [ {{
    "Action" : [ "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "ecr:BatchCheckLayerAvailability" ],
    "Principal" : {{ "AWS" : "{ROLE_A}" }},
    "Effect" : "Allow",
    "Sid" : "AirgapNodesPull"
  }} ],
  "Version" : "2012-10-17"
}}"#
        );
        assert_eq!(pull_principals(&text), strs(&[ROLE_A]));
    }

    #[test]
    fn anything_more_than_pull_is_drift() {
        let mut doc = pull_policy(&[ROLE_A.into()]);
        doc["Statement"][0]["Action"]
            .as_array_mut()
            .unwrap()
            .push(json!("ecr:PutImage"));
        let seen = pull_principals(&doc.to_string());
        assert!(
            matches!(&seen, Value::Str(s) if s.contains("ecr:PutImage")),
            "{seen:?}"
        );
        let mut doc = pull_policy(&[ROLE_A.into()]);
        doc["Statement"].as_array_mut().unwrap().push(json!({
            "Effect": "Allow", "Principal": "*", "Action": "ecr:*"
        }));
        assert!(matches!(pull_principals(&doc.to_string()), Value::Str(_)));
        assert!(matches!(pull_principals("{nope"), Value::Str(_)));
    }

    #[test]
    fn an_unknown_principal_is_retried_while_the_role_is_new() {
        let e = KindError::fatal(
            "InvalidParameterException",
            "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Principal not found'",
        );
        let e = principal_not_visible(e, &[ROLE_A.into()]);
        assert_eq!(e.class, ErrorClass::NotFound);
        assert!(e.message.contains(ROLE_A), "{}", e.message);
        let other = KindError::fatal("InvalidParameterException", "something else");
        assert_eq!(principal_not_visible(other, &[]).class, ErrorClass::Fatal);
    }
}
