//! Private ECR repositories (the shared account's registry). ECR has no tag filter on
//! DescribeRepositories: observe lists the account's repositories (paginated) and reads
//! the tags of each with ListTagsForResource, the one per-resource call of a plan,
//! bounded by the repositories of the account.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Registry, Resolved,
    Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ecr::types::{ImageScanningConfiguration, ImageTagMutability, Repository, Tag};

use crate::clients::PerScope;
use crate::ec2::{b, kind_meta, s};
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
