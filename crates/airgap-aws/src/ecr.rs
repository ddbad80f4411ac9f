//! Private ECR repositories (the shared account's registry). ECR has no tag filter on
//! DescribeRepositories: observe lists the account's repositories (paginated) and reads
//! the tags of each with ListTagsForResource, and the repository and lifecycle policies of
//! each of the environment's with GetRepositoryPolicy and GetLifecyclePolicy: the
//! per-resource calls of a plan, bounded by the repositories of the account.
//!
//! Only the owning account may pull from a repository without a repository policy, so the
//! nodes of the environment's clusters (in other accounts) get a policy that lets their
//! node roles pull, nothing more: `pullPrincipals`, written with SetRepositoryPolicy.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::spec::{EcrRepositorySpec, Id, PullPrincipals, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Readiness, Registry,
    Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, Repository, Tag};
use serde_json::json;

use crate::clients::PerScope;
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of};
use crate::kit::{
    all_pages, changes, delete_call, lookup, ours, set_of, tag_map, usable_until_deleted,
};
use crate::tags;

pub type Ecr = PerScope<aws_sdk_ecr::Client>;

pub fn register(registry: &mut Registry, ecr: &Arc<Ecr>) {
    registry.register(Arc::new(EcrRepository(Arc::clone(ecr))));
    registry.register(Arc::new(crate::ecr_scanning::EcrRegistryScanning(Arc::clone(ecr))));
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
const PULL_ACTIONS: [&str; 3] =
    ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const PULL_SID: &str = "AirgapNodesPull";

/// The repository policy that lets `principals` pull, nothing more.
fn pull_policy(principals: &[String]) -> serde_json::Value {
    let principals = set_of(principals);
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
fn pull_principals(policy_text: &str) -> PullPrincipals {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(policy_text) else {
        return PullPrincipals::Other(format!("not JSON: {policy_text}"));
    };
    let doc = canonical(&doc);
    let principals = set_of(
        doc["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|st| st["Principal"]["AWS"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p.as_str().map(str::to_string)),
    );
    if canonical(&pull_policy(&principals)) == doc {
        PullPrincipals::Principals(principals.into_iter().map(Id::from).collect())
    } else {
        PullPrincipals::Other(doc.to_string())
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
            .map_err(classify)
        {
            Err(e) if e.code != "RepositoryPolicyNotFoundException" => Err(e),
            _ => Ok(()),
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

/// The principals a spec lets pull, resolved.
fn wanted_principals(spec: &EcrRepositorySpec) -> Result<Vec<String>, KindError> {
    match &spec.pull_principals {
        PullPrincipals::Principals(ids) => ids
            .iter()
            .map(|id| id.get().map(str::to_string))
            .collect::<Result<_, _>>()
            .map_err(KindError::from),
        PullPrincipals::Other(doc) => Err(KindError::fatal(
            "BadSpec",
            format!("pull principals are a list of role ARNs, not {doc}"),
        )),
    }
}

fn repo_tags(t: &[Tag]) -> HashMap<String, String> {
    tag_map(t, |t| (t.key(), t.value()))
}

fn mutability(immutable: bool) -> ImageTagMutability {
    if immutable {
        ImageTagMutability::Immutable
    } else {
        ImageTagMutability::Mutable
    }
}

/// CreateRepository with the spec's settings and the environment's tags, in the same call
/// (its pull policy is a call of its own: CreateRepository takes none).
pub(crate) fn create_request(
    c: &aws_sdk_ecr::Client,
    spec: &EcrRepositorySpec,
    env: &str,
    node_id: &str,
) -> Result<
    aws_sdk_ecr::operation::create_repository::builders::CreateRepositoryFluentBuilder,
    KindError,
> {
    let mut req = c
        .create_repository()
        .repository_name(&spec.name)
        .image_tag_mutability(mutability(spec.immutable_tags))
        .image_scanning_configuration(
            ImageScanningConfiguration::builder().scan_on_push(spec.scan_on_push).build(),
        );
    for (k, v) in tags::standard(env, node_id) {
        req = req.tags(
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| KindError::fatal("BadTag", e.to_string()))?,
        );
    }
    Ok(req)
}

/// Sets the repository's lifecycle policy (PutLifecyclePolicy replaces the whole
/// document), or removes it with `None`; a repository without one is not an error.
pub(crate) async fn set_lifecycle_policy(
    c: &aws_sdk_ecr::Client,
    name: &str,
    policy: Option<&str>,
) -> Result<(), KindError> {
    match policy {
        Some(text) => {
            c.put_lifecycle_policy()
                .repository_name(name)
                .lifecycle_policy_text(text)
                .send()
                .await
                .map_err(classify)?;
        }
        None => match c.delete_lifecycle_policy().repository_name(name).send().await {
            Ok(_) => {}
            // ECR API reference, DeleteLifecyclePolicy: nothing to delete.
            Err(e) if code_of(&e) == Some("LifecyclePolicyNotFoundException") => {}
            Err(e) => return Err(classify(e)),
        },
    }
    Ok(())
}

/// The repository's lifecycle policy as the spec holds it (compact JSON, keys sorted, so
/// ECR's formatting of the text it returns is not drift); `None` without one.
async fn lifecycle_policy_of(
    c: &aws_sdk_ecr::Client,
    name: &str,
) -> Result<Option<Option<String>>, KindError> {
    match c.get_lifecycle_policy().repository_name(name).send().await.map_err(classify) {
        Ok(o) => {
            let text = o.lifecycle_policy_text().unwrap_or_default();
            Ok(Some(Some(match serde_json::from_str::<serde_json::Value>(text) {
                Ok(doc) => airgap_catalog::names::sorted_json(&doc),
                Err(_) => text.to_string(),
            })))
        }
        // ECR API reference, GetLifecyclePolicy: no policy is this error.
        Err(e) if e.code == "LifecyclePolicyNotFoundException" => Ok(Some(None)),
        // Deleted between the calls.
        Err(e) if e.class == ErrorClass::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Finding counts by severity, as ECR's maps give them (DescribeImageScanFindings and
/// DescribeImages write them alike).
pub(crate) fn severity_counts(
    m: Option<&HashMap<aws_sdk_ecr::types::FindingSeverity, i32>>,
) -> std::collections::BTreeMap<String, u64> {
    m.map(|m| {
        m.iter().map(|(k, v)| (k.as_str().to_string(), u64::try_from(*v).unwrap_or(0))).collect()
    })
    .unwrap_or_default()
}

/// The environment's repositories with their node ids: every repository of the account
/// (DescribeRepositories has no tag filter), kept by the tags ListTagsForResource reads.
async fn owned(c: &aws_sdk_ecr::Client, env: &str) -> Result<Vec<(String, Repository)>, KindError> {
    let repos: Vec<Repository> = all_pages!(c.describe_repositories())?;
    let mut found = Vec::new();
    for r in repos {
        let Some(arn) = r.repository_arn() else {
            continue;
        };
        // Deleted between the calls: skipped.
        let Some(t) = lookup(c.list_tags_for_resource().resource_arn(arn).send()).await? else {
            continue;
        };
        if let Some(id) = tags::owned_id(&repo_tags(t.tags()), env) {
            found.push((id, r));
        }
    }
    Ok(found)
}

/// The environment's repositories: node id and name.
pub(crate) async fn names_of(
    c: &aws_sdk_ecr::Client,
    env: &str,
) -> Result<Vec<(String, String)>, KindError> {
    Ok(owned(c, env)
        .await?
        .into_iter()
        .map(|(id, r)| (id, r.repository_name().unwrap_or_default().to_string()))
        .collect())
}

/// The repositories of `env` in one account: logical id, the repository, and its spec as
/// observed (its policy read into pull principals). DescribeRepositories has no tag
/// filter, so each repository's tags are listed (one call each).
pub(crate) async fn repositories_of(
    c: &aws_sdk_ecr::Client,
    env: &str,
) -> Result<Vec<(String, Repository, EcrRepositorySpec)>, KindError> {
    let mut found = Vec::new();
    for (id, r) in owned(c, env).await? {
        let name = r.repository_name().unwrap_or_default().to_string();
        let policy =
            c.get_repository_policy().repository_name(&name).send().await.map_err(classify);
        let pull = match policy {
            Ok(p) => pull_principals(p.policy_text().unwrap_or_default()),
            // ECR API reference, GetRepositoryPolicy: no policy is this error.
            Err(e) if e.code == "RepositoryPolicyNotFoundException" => {
                PullPrincipals::Principals(Vec::new())
            }
            // Deleted between the calls.
            Err(e) if e.class == ErrorClass::NotFound => continue,
            Err(e) => return Err(e),
        };
        let Some(lifecycle_policy) = lifecycle_policy_of(c, &name).await? else {
            continue;
        };
        let spec = EcrRepositorySpec {
            name,
            immutable_tags: r.image_tag_mutability() == Some(&ImageTagMutability::Immutable),
            scan_on_push: r.image_scanning_configuration().is_some_and(|c| c.scan_on_push()),
            pull_principals: pull,
            lifecycle_policy,
        };
        found.push((id, r, spec));
    }
    Ok(found)
}

#[async_trait]
impl Kind for EcrRepository {
    kind_meta!(ECR_REPOSITORY);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        Ok(repositories_of(c, env)
            .await?
            .into_iter()
            .map(|(id, r, spec)| Observed {
                id: id.as_str().into(),
                attrs: spec.to_attrs(),
                outputs: out(&r),
                physical_id: r.repository_arn().unwrap_or_default().to_string(),
                parents: vec![],
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = EcrRepositorySpec::from_attrs(&node.attrs)?;
        let principals = wanted_principals(&spec)?;
        let c = self.0.client(&node.scope)?;
        let name = &spec.name;
        let req = create_request(c, &spec, &node.env, &node.id.0)?;
        let repo = match req.send().await {
            Ok(o) => o.repository().cloned(),
            // The name is unique per account: a retry finds its own repository, which
            // must carry this node's tags to be adopted.
            Err(e) if code_of(&e) == Some("RepositoryAlreadyExistsException") => {
                let found = c
                    .describe_repositories()
                    .repository_names(name)
                    .send()
                    .await
                    .map_err(classify)?;
                let repo = found.repositories().first().cloned();
                let arn = repo.as_ref().and_then(|r| r.repository_arn()).unwrap_or_default();
                let t =
                    c.list_tags_for_resource().resource_arn(arn).send().await.map_err(classify)?;
                ours(
                    "RepositoryAlreadyExistsException",
                    &format!("repository {name}"),
                    node,
                    &repo_tags(t.tags()),
                    arn,
                )?;
                repo
            }
            Err(e) => return Err(classify(e)),
        };
        let repo =
            repo.ok_or_else(|| KindError::fatal("NoId", "CreateRepository returned nothing"))?;
        // Not in the create call (CreateRepository takes no policy). If this fails, the
        // retried create adopts the repository above and sets it again; an interrupted run
        // leaves a repository without it, which the next plan shows as an update.
        if !principals.is_empty() {
            set_pull_policy(c, name, &principals).await?;
        }
        if spec.lifecycle_policy.is_some() {
            set_lifecycle_policy(c, name, spec.lifecycle_policy.as_deref()).await?;
        }
        Ok(Created {
            physical_id: repo.repository_arn().unwrap_or_default().to_string(),
            outputs: out(&repo),
        })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = EcrRepositorySpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        let name = &spec.name;
        if changes(change.diff, &["immutableTags"]) {
            c.put_image_tag_mutability()
                .repository_name(name)
                .image_tag_mutability(mutability(spec.immutable_tags))
                .send()
                .await
                .map_err(classify)?;
        }
        if changes(change.diff, &["scanOnPush"]) {
            c.put_image_scanning_configuration()
                .repository_name(name)
                .image_scanning_configuration(
                    ImageScanningConfiguration::builder().scan_on_push(spec.scan_on_push).build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        if changes(change.diff, &["pullPrincipals"]) {
            set_pull_policy(c, name, &wanted_principals(&spec)?).await?;
        }
        if changes(change.diff, &["lifecyclePolicy"]) {
            set_lifecycle_policy(c, name, spec.lifecycle_policy.as_deref()).await?;
        }
        Ok(change.done())
    }

    /// Images go with the repository: the environment is being torn down.
    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let name =
            current.outputs.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        delete_call(
            self.0.client(scope)?.delete_repository().repository_name(name).force(true).send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let name = check.physical_id.rsplit_once(":repository/").map_or("", |(_, n)| n);
        let c = self.0.client(check.scope)?;
        let describe = c.describe_repositories().repository_names(name).send();
        usable_until_deleted(&check, describe, |o| !o.repositories().is_empty(), "deleting").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLE_A: &str = "arn:aws:iam::111111111111:role/airgap/demo/airgap-demo-a-node";
    const ROLE_B: &str = "arn:aws:iam::222222222222:role/airgap/demo/airgap-demo-b-node";

    fn strs(v: &[&str]) -> PullPrincipals {
        PullPrincipals::Principals(v.iter().map(|s| Id::from(*s)).collect())
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
        doc["Statement"][0]["Action"].as_array_mut().unwrap().push(json!("ecr:PutImage"));
        let seen = pull_principals(&doc.to_string());
        assert!(
            matches!(&seen, PullPrincipals::Other(s) if s.contains("ecr:PutImage")),
            "{seen:?}"
        );
        let mut doc = pull_policy(&[ROLE_A.into()]);
        doc["Statement"].as_array_mut().unwrap().push(json!({
            "Effect": "Allow", "Principal": "*", "Action": "ecr:*"
        }));
        assert!(matches!(pull_principals(&doc.to_string()), PullPrincipals::Other(_)));
        assert!(matches!(pull_principals("{nope"), PullPrincipals::Other(_)));
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
