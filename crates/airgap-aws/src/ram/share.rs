//! The resource share kind (`ram-share`): the owner's resources (the transit gateway)
//! shared with the environment's other accounts.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::spec::{Id, RamShareSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_ram::types::{
    ResourceOwner, ResourceShareAssociationStatus, ResourceShareAssociationType,
    ResourceShareStatus,
};

use super::{all_shares, ram_tags, shares, tag_map, Ram};
use crate::ec2::kind_meta;
use crate::errors::{classify, found};
use crate::kit::{changes, delete_call, made, page_items, set_of};
use crate::tags;

pub struct RamShare(pub Arc<Ram>);

fn share_out(arn: &str) -> Attrs {
    Attrs::from([("id".to_string(), Value::str(arn)), ("arn".to_string(), Value::str(arn))])
}

/// The resource ARNs of a spec's list, resolved.
fn arns(ids: &[Id]) -> Result<Vec<String>, KindError> {
    Ok(ids.iter().map(|id| id.get().map(str::to_string)).collect::<Result<_, _>>()?)
}

/// An ACTIVE share's resources: each is shared once its association is ASSOCIATED. RAM
/// associates them after CreateResourceShare answers (an association is ASSOCIATING,
/// then ASSOCIATED or FAILED with a `statusMessage`: API reference,
/// ResourceShareAssociation), and a principal cannot use a resource that is not yet, or
/// never, associated: a FAILED one is reported by name, as no waiting mends it.
async fn resource_readiness(c: &aws_sdk_ram::Client, arn: &str) -> Result<Readiness, KindError> {
    let links = page_items!(
        c.get_resource_share_associations()
            .association_type(ResourceShareAssociationType::Resource)
            .resource_share_arns(arn),
        resource_share_associations
    )?;
    if let Some(failed) =
        links.iter().find(|a| a.status() == Some(&ResourceShareAssociationStatus::Failed))
    {
        return Err(KindError::fatal(
            "ResourceAssociationFailed",
            format!(
                "sharing {} through {arn} failed: {}",
                failed.associated_entity().unwrap_or("a resource"),
                failed.status_message().unwrap_or("RAM gave no reason")
            ),
        ));
    }
    let pending = links.iter().find_map(|a| match a.status() {
        Some(ResourceShareAssociationStatus::Associated) | None => None,
        Some(st) => Some(st.as_str().to_ascii_lowercase()),
    });
    Ok(match pending {
        Some(st) => Readiness::Pending(format!("resource {st}")),
        None => Readiness::Ready(share_out(arn)),
    })
}

#[async_trait]
impl Kind for RamShare {
    kind_meta!(RAM_SHARE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let owned = shares(&self.0, env, scope).await?;
        if owned.is_empty() {
            return Ok(Vec::new());
        }
        // One more call for the resources of every share at once.
        let listed = page_items!(
            self.0
                .client(scope)?
                .list_resources()
                .resource_owner(ResourceOwner::SelfValue)
                .set_resource_share_arns(Some(
                    owned
                        .iter()
                        .filter_map(|sh| sh.resource_share_arn().map(str::to_string))
                        .collect(),
                )),
            resources
        )?;
        let mut resources: HashMap<String, Vec<String>> = HashMap::new();
        for r in listed {
            if let (Some(share), Some(arn)) = (r.resource_share_arn(), r.arn()) {
                resources.entry(share.to_string()).or_default().push(arn.to_string());
            }
        }
        Ok(owned
            .iter()
            .filter_map(|sh| {
                let id = tags::owned_id(&tag_map(sh), env)?;
                let arn = sh.resource_share_arn()?.to_string();
                let res = set_of(resources.remove(&arn).unwrap_or_default());
                let spec = RamShareSpec {
                    name: sh.name().unwrap_or_default().to_string(),
                    resources: res.iter().map(|r| Id::from(r.as_str())).collect(),
                    allow_external_principals: sh.allow_external_principals().unwrap_or(false),
                };
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: spec.to_attrs(),
                    outputs: share_out(&arn),
                    physical_id: arn,
                    parents: res,
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = RamShareSpec::from_attrs(&node.attrs)?;
        let out = self
            .0
            .client(&node.scope)?
            .create_resource_share()
            .name(&spec.name)
            .set_resource_arns(Some(arns(&spec.resources)?))
            .allow_external_principals(spec.allow_external_principals)
            .set_tags(Some(ram_tags(tags::standard(&node.env, &node.id.0))))
            .client_token(node.client_token())
            .send()
            .await
            .map_err(classify)?;
        let arn = made(
            out.resource_share().and_then(|sh| sh.resource_share_arn()),
            "CreateResourceShare",
        )?;
        Ok(Created { physical_id: arn.to_string(), outputs: share_out(arn) })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let spec = RamShareSpec::from_attrs(&change.node.attrs)?;
        let c = self.0.client(&change.node.scope)?;
        let arn = &change.current.physical_id;
        if changes(change.diff, &["name", "allowExternalPrincipals"]) {
            c.update_resource_share()
                .resource_share_arn(arn)
                .name(&spec.name)
                .allow_external_principals(spec.allow_external_principals)
                .send()
                .await
                .map_err(classify)?;
        }
        if !changes(change.diff, &["resources"]) {
            return Ok(change.done());
        }
        let want = arns(&spec.resources)?;
        let have = arns(&RamShareSpec::from_attrs(&change.current.attrs)?.resources)?;
        let add: Vec<String> = want.iter().filter(|r| !have.contains(r)).cloned().collect();
        let remove: Vec<String> = have.iter().filter(|r| !want.contains(r)).cloned().collect();
        if !add.is_empty() {
            c.associate_resource_share()
                .resource_share_arn(arn)
                .set_resource_arns(Some(add))
                .send()
                .await
                .map_err(classify)?;
        }
        if !remove.is_empty() {
            c.disassociate_resource_share()
                .resource_share_arn(arn)
                .set_resource_arns(Some(remove))
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_resource_share()
                .resource_share_arn(&current.physical_id)
                .send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let r = all_shares(
            self.0
                .client(check.scope)?
                .get_resource_shares()
                .resource_owner(ResourceOwner::SelfValue)
                .resource_share_arns(check.physical_id),
        )
        .await;
        let share = found(r)?.and_then(|o| o.into_iter().next());
        let status = share
            .as_ref()
            .and_then(|sh| sh.status().cloned())
            .unwrap_or(ResourceShareStatus::Deleted);
        Ok(match (check.op, status) {
            (Op::Delete, ResourceShareStatus::Deleted) => Readiness::Gone,
            (Op::Delete, st) => Readiness::Pending(st.as_str().to_string()),
            (_, ResourceShareStatus::Active) => {
                resource_readiness(self.0.client(check.scope)?, check.physical_id).await?
            }
            (_, ResourceShareStatus::Failed) => {
                return Err(KindError::fatal(
                    "ResourceShareFailed",
                    share
                        .and_then(|sh| sh.status_message().map(str::to_string))
                        .unwrap_or_default(),
                ))
            }
            (_, st) => Readiness::Pending(st.as_str().to_string()),
        })
    }
}
