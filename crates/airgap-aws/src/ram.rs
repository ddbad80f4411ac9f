//! AWS RAM: the resource share of the transit gateway, its principal associations, and
//! the acceptance of the invitation in each principal account outside the organization.
//! Associations cannot be tagged: each is recorded on the share as
//! `airgap:assoc:<principal>` (and `airgap:accept:<principal>` names the node that
//! accepts it on the other side; that side reads it with the owner's credentials, see
//! [`RamInvitationAccepter`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Registry, Resolved,
    Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ram::types::{
    ResourceOwner, ResourceShare, ResourceShareAssociationType, ResourceShareInvitationStatus,
    ResourceShareStatus, Tag, TagFilter,
};

use crate::clients::PerScope;
use crate::ec2::{id_set, kind_meta, list, s, sorted_lists};
use crate::errors::{classify, code_of, found, gone_is_ok};
use crate::tags;

pub type Ram = PerScope<aws_sdk_ram::Client>;

pub const ACCEPT_MARK: &str = "airgap:accept:";

pub fn register(registry: &mut Registry, ram: &Arc<Ram>) {
    registry
        .register(Arc::new(RamShare(Arc::clone(ram))))
        .register(Arc::new(RamAssociation(Arc::clone(ram))))
        .register(Arc::new(RamInvitationAccepter(Arc::clone(ram))));
}

fn ram_tags(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Tag> {
    pairs
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

fn tag_map(share: &ResourceShare) -> HashMap<String, String> {
    tags::to_map(share.tags().iter().map(|t| (t.key(), t.value())))
}

fn live(share: &ResourceShare) -> bool {
    !matches!(
        share.status(),
        Some(ResourceShareStatus::Deleted | ResourceShareStatus::Deleting)
    )
}

fn share_out(arn: &str) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(arn)),
        ("arn".to_string(), Value::str(arn)),
    ])
}

/// The env's shares that `scope` owns. Only the owner may filter by tag: AWS refuses
/// `resourceOwner=OTHER-ACCOUNTS` with `tagFilters` (400 InvalidParameterException,
/// recorded in https://github.com/hashicorp/terraform-provider-aws/issues/40970).
async fn shares(ram: &Ram, env: &str, scope: &Scope) -> Result<Vec<ResourceShare>, KindError> {
    let pages: Vec<_> = ram
        .client(scope)?
        .get_resource_shares()
        .resource_owner(ResourceOwner::SelfValue)
        .tag_filters(
            TagFilter::builder()
                .tag_key(tags::ENV)
                .tag_values(env)
                .build(),
        )
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(classify)?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.resource_shares.unwrap_or_default())
        .filter(|sh| live(sh) && tags::owned_id(&tag_map(sh), env).is_some())
        .collect())
}

pub struct RamShare(pub Arc<Ram>);

#[async_trait]
impl Kind for RamShare {
    kind_meta!(RAM_SHARE);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        Diff::compute(
            &sorted_lists(desired, &["resources"]),
            &observed.attrs,
            self.facts().replace_fields,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let owned = shares(&self.0, env, scope).await?;
        if owned.is_empty() {
            return Ok(Vec::new());
        }
        // One more call for the resources of every share at once.
        let pages: Vec<_> = self
            .0
            .client(scope)?
            .list_resources()
            .resource_owner(ResourceOwner::SelfValue)
            .set_resource_share_arns(Some(
                owned
                    .iter()
                    .filter_map(|sh| sh.resource_share_arn().map(str::to_string))
                    .collect(),
            ))
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        let mut resources: HashMap<String, Vec<String>> = HashMap::new();
        for r in pages
            .into_iter()
            .flat_map(|p| p.resources.unwrap_or_default())
        {
            if let (Some(share), Some(arn)) = (r.resource_share_arn(), r.arn()) {
                resources
                    .entry(share.to_string())
                    .or_default()
                    .push(arn.to_string());
            }
        }
        Ok(owned
            .iter()
            .filter_map(|sh| {
                let id = tags::owned_id(&tag_map(sh), env)?;
                let arn = sh.resource_share_arn()?.to_string();
                let res = resources.remove(&arn).unwrap_or_default();
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: Attrs::from([
                        (
                            "name".to_string(),
                            Value::str(sh.name().unwrap_or_default()),
                        ),
                        (
                            "allowExternalPrincipals".to_string(),
                            Value::Bool(sh.allow_external_principals().unwrap_or(false)),
                        ),
                        ("resources".to_string(), id_set(res.iter().cloned())),
                    ]),
                    outputs: share_out(&arn),
                    physical_id: arn,
                    parents: res,
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let a = &node.attrs;
        let out = self
            .0
            .client(&node.scope)?
            .create_resource_share()
            .name(s(a, "name")?)
            .set_resource_arns(Some(list(a, "resources")?))
            .allow_external_principals(crate::ec2::b(a, "allowExternalPrincipals", false))
            .set_tags(Some(ram_tags(tags::standard(&node.env, &node.id.0))))
            .client_token(node.client_token())
            .send()
            .await
            .map_err(classify)?;
        let arn = out
            .resource_share()
            .and_then(|sh| sh.resource_share_arn())
            .ok_or_else(|| KindError::fatal("NoId", "CreateResourceShare returned no ARN"))?;
        Ok(Created {
            physical_id: arn.to_string(),
            outputs: share_out(arn),
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
        let arn = &current.physical_id;
        if diff
            .changes
            .iter()
            .any(|ch| ch.field == "name" || ch.field == "allowExternalPrincipals")
        {
            c.update_resource_share()
                .resource_share_arn(arn)
                .name(s(a, "name")?)
                .allow_external_principals(crate::ec2::b(a, "allowExternalPrincipals", false))
                .send()
                .await
                .map_err(classify)?;
        }
        let want = list(a, "resources")?;
        let have = list(&current.attrs, "resources")?;
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
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_resource_share()
                .resource_share_arn(&current.physical_id)
                .send()
                .await
                .map_err(classify),
        )
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let r = self
            .0
            .client(scope)?
            .get_resource_shares()
            .resource_owner(ResourceOwner::SelfValue)
            .resource_share_arns(physical_id)
            .send()
            .await
            .map_err(classify);
        let share = found(r)?.and_then(|o| o.resource_shares().first().cloned());
        let status = share
            .as_ref()
            .and_then(|sh| sh.status().cloned())
            .unwrap_or(ResourceShareStatus::Deleted);
        Ok(match (op, status) {
            (Op::Delete, ResourceShareStatus::Deleted) => Readiness::Gone,
            (Op::Delete, st) => Readiness::Pending(st.as_str().to_string()),
            (_, ResourceShareStatus::Active) => Readiness::Ready(share_out(physical_id)),
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

pub struct RamAssociation(pub Arc<Ram>);

fn assoc_key(principal: &str) -> String {
    format!("{}{principal}", tags::ASSOC_MARK)
}

fn accept_key(principal: &str) -> String {
    format!("{ACCEPT_MARK}{principal}")
}

/// Principal associations of some shares: (share ARN, principal, status).
async fn principal_links(
    c: &aws_sdk_ram::Client,
    arns: Vec<String>,
    principal: Option<&str>,
) -> Result<Vec<(String, String, String)>, KindError> {
    let pages: Vec<_> = c
        .get_resource_share_associations()
        .association_type(ResourceShareAssociationType::Principal)
        .set_resource_share_arns(Some(arns))
        .set_principal(principal.map(str::to_string))
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(classify)?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.resource_share_associations.unwrap_or_default())
        .filter_map(|a| {
            Some((
                a.resource_share_arn()?.to_string(),
                a.associated_entity()?.to_string(),
                a.status().map_or("", |s| s.as_str()).to_string(),
            ))
        })
        .collect())
}

#[async_trait]
impl Kind for RamAssociation {
    kind_meta!(RAM_ASSOCIATION);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let owned = shares(&self.0, env, scope).await?;
        let marked: HashMap<String, HashMap<String, String>> = owned
            .iter()
            .filter_map(|sh| Some((sh.resource_share_arn()?.to_string(), tag_map(sh))))
            .filter(|(_, t)| t.keys().any(|k| k.starts_with(tags::ASSOC_MARK)))
            .collect();
        if marked.is_empty() {
            return Ok(Vec::new());
        }
        let links = principal_links(
            self.0.client(scope)?,
            marked.keys().cloned().collect(),
            None,
        )
        .await?;
        Ok(links
            .into_iter()
            .filter(|(_, _, st)| st == "ASSOCIATED" || st == "ASSOCIATING")
            .filter_map(|(arn, principal, _)| {
                let t = &marked[&arn];
                let id = t.get(&assoc_key(&principal))?;
                let mut attrs = Attrs::from([
                    ("share".to_string(), Value::str(arn.as_str())),
                    ("principal".to_string(), Value::str(principal.as_str())),
                ]);
                if let Some(acc) = t.get(&accept_key(&principal)) {
                    attrs.insert("accepter".into(), Value::str(acc.as_str()));
                }
                Some(Observed {
                    id: id.as_str().into(),
                    physical_id: format!("{arn}#{principal}"),
                    attrs,
                    outputs: Attrs::new(),
                    parents: vec![arn],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let (arn, principal) = (s(&node.attrs, "share")?, s(&node.attrs, "principal")?);
        c.associate_resource_share()
            .resource_share_arn(&arn)
            .principals(&principal)
            .client_token(node.client_token())
            .send()
            .await
            .map_err(classify)?;
        self.mark(c, node, &arn, &principal).await?;
        Ok(Created {
            physical_id: format!("{arn}#{principal}"),
            outputs: Attrs::new(),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        // Only the accepter marker can differ in place.
        let (arn, principal) = (s(&node.attrs, "share")?, s(&node.attrs, "principal")?);
        self.mark(self.0.client(&node.scope)?, node, &arn, &principal)
            .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let (arn, principal) = (s(&current.attrs, "share")?, s(&current.attrs, "principal")?);
        gone_is_ok(
            c.disassociate_resource_share()
                .resource_share_arn(&arn)
                .principals(&principal)
                .send()
                .await
                .map_err(classify),
        )?;
        gone_is_ok(
            c.untag_resource()
                .resource_share_arn(&arn)
                .tag_keys(assoc_key(&principal))
                .tag_keys(accept_key(&principal))
                .send()
                .await
                .map_err(classify),
        )
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let Some((arn, principal)) = physical_id.split_once('#') else {
            return Err(KindError::fatal("BadId", physical_id));
        };
        let found = match principal_links(
            self.0.client(scope)?,
            vec![arn.to_string()],
            Some(principal),
        )
        .await
        {
            Ok(l) => l
                .into_iter()
                .find(|(_, p, _)| p == principal)
                .map(|(_, _, st)| st),
            Err(e) if e.class == ErrorClass::NotFound => None,
            Err(e) => return Err(e),
        };
        Ok(match (op, found.as_deref()) {
            (Op::Delete, None | Some("DISASSOCIATED")) => Readiness::Gone,
            (Op::Delete, Some(st)) => Readiness::Pending(st.to_string()),
            // An account outside the organization stays ASSOCIATING until it accepts;
            // that is the accepter's wait, in the other account.
            (_, Some("ASSOCIATED" | "ASSOCIATING")) => Readiness::Ready(Attrs::new()),
            (_, Some("FAILED")) => {
                return Err(KindError::fatal(
                    "AssociationFailed",
                    format!("sharing {arn} with {principal} failed"),
                ))
            }
            (_, Some(st)) => Readiness::Pending(st.to_string()),
            (_, None) => {
                return Err(KindError::new(
                    ErrorClass::NotFound,
                    "NotVisibleYet",
                    physical_id,
                ))
            }
        })
    }
}

impl RamAssociation {
    async fn mark(
        &self,
        c: &aws_sdk_ram::Client,
        node: &Resolved,
        arn: &str,
        principal: &str,
    ) -> Result<(), KindError> {
        let mut t = vec![(assoc_key(principal), node.id.0.clone())];
        if let Some(acc) = node.attrs.get("accepter").and_then(Value::as_str) {
            t.push((accept_key(principal), acc.to_string()));
        }
        c.tag_resource()
            .resource_share_arn(arn)
            .set_tags(Some(ram_tags(t)))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

pub struct RamInvitationAccepter(pub Arc<Ram>);

#[async_trait]
impl Kind for RamInvitationAccepter {
    kind_meta!(RAM_INVITATION_ACCEPTER);

    /// The acceptances of this (principal) account. Nothing here filters the shares of
    /// other accounts by tag (AWS refuses it, see [`shares`]) or relies on their tags
    /// being visible to a principal: this account lists what is shared with it, unfiltered,
    /// for the owners; each owner that is one of the environment's accounts then says,
    /// with its own credentials and tags, which of its shares are the environment's and
    /// which node accepts for this account, and its principal association says whether
    /// this account accepted (see [`accepted_shares`]).
    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let pages: Vec<_> = self
            .0
            .client(scope)?
            .get_resource_shares()
            .resource_owner(ResourceOwner::OtherAccounts)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        let mut by_owner: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for sh in pages
            .into_iter()
            .flat_map(|p| p.resource_shares.unwrap_or_default())
            .filter(live)
        {
            if let (Some(owner), Some(arn)) = (sh.owning_account_id(), sh.resource_share_arn()) {
                by_owner
                    .entry(owner.to_string())
                    .or_default()
                    .push(arn.to_string());
            }
        }
        let mut found = Vec::new();
        for (owner, arns) in by_owner {
            // An owner outside the environment's accounts shares nothing of it (and there
            // are no credentials for it).
            let Ok(oc) = self.0.client(&Scope::new(owner, scope.region.clone())) else {
                continue;
            };
            found.extend(
                accepted_shares(oc, env, arns, &scope.account)
                    .await?
                    .into_iter()
                    .map(|(arn, id)| Observed {
                        id: id.as_str().into(),
                        attrs: Attrs::from([("share".to_string(), Value::str(arn.as_str()))]),
                        outputs: Attrs::new(),
                        physical_id: format!("{arn}{ACCEPT_SUFFIX}"),
                        parents: vec![arn],
                    }),
            );
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let arn = s(&node.attrs, "share")?;
        let pages: Vec<_> = c
            .get_resource_share_invitations()
            .resource_share_arns(&arn)
            .into_paginator()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        let invitations: Vec<_> = pages
            .into_iter()
            .flat_map(|p| p.resource_share_invitations.unwrap_or_default())
            .collect();
        use ResourceShareInvitationStatus as S;
        if invitations.iter().any(|i| i.status() == Some(&S::Accepted)) {
            return Ok(accepted(&arn));
        }
        let Some(inv) = invitations.iter().find(|i| i.status() == Some(&S::Pending)) else {
            if let Some(i) = invitations.first() {
                return Err(KindError::fatal(
                    "InvitationNotPending",
                    format!(
                        "the invitation to share {arn} is {}",
                        i.status().map_or("unknown", |s| s.as_str())
                    ),
                ));
            }
            // Invitations take a moment to reach the principal: the engine retries.
            return Err(KindError::new(
                ErrorClass::NotFound,
                "InvitationNotYetVisible",
                format!(
                    "no invitation to {arn} has arrived in {} yet",
                    node.scope.account
                ),
            ));
        };
        match c
            .accept_resource_share_invitation()
            .resource_share_invitation_arn(inv.resource_share_invitation_arn().unwrap_or_default())
            .client_token(node.client_token())
            .send()
            .await
        {
            Ok(_) => Ok(accepted(&arn)),
            Err(e) if code_of(&e) == Some("ResourceShareInvitationAlreadyAcceptedException") => {
                Ok(accepted(&arn))
            }
            Err(e) => Err(classify(e)),
        }
    }

    async fn update(
        &self,
        _node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        Ok(current.outputs.clone())
    }

    /// Nothing to undo here: the owner removing the principal ends the sharing.
    async fn delete(&self, _scope: &Scope, _current: &Observed) -> Result<(), KindError> {
        Ok(())
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        if op == Op::Delete {
            return Ok(Readiness::Gone);
        }
        // What observe counts as accepted: the owner's principal association.
        let arn = physical_id
            .strip_suffix(ACCEPT_SUFFIX)
            .unwrap_or(physical_id);
        let owner = arn
            .split(':')
            .nth(4)
            .ok_or_else(|| KindError::fatal("BadId", physical_id))?;
        let oc = self.0.client(&Scope::new(owner, scope.region.clone()))?;
        let status =
            match principal_links(oc, vec![arn.to_string()], Some(scope.account.as_str())).await {
                Ok(l) => l
                    .into_iter()
                    .find(|(_, p, _)| p == &scope.account)
                    .map(|(_, _, st)| st),
                Err(e) if e.class == ErrorClass::NotFound => None,
                Err(e) => return Err(e),
            };
        Ok(match status.as_deref() {
            Some("ASSOCIATED") => Readiness::Ready(Attrs::new()),
            Some("FAILED") => {
                return Err(KindError::fatal(
                    "AssociationFailed",
                    format!("sharing {arn} with {} failed", scope.account),
                ))
            }
            Some(st) => Readiness::Pending(st.to_string()),
            None => Readiness::Pending("accepting".into()),
        })
    }
}

/// Of the shares `arns` of the owner whose client is `oc`: the environment's ones that
/// `principal` accepted, with the node that accepts for it. The owner's tags say which
/// are the environment's and which node accepts (`airgap:accept:<principal>`); an
/// account outside the organization stays ASSOCIATING until it accepts the invitation,
/// and is ASSOCIATED after (RAM API reference, ResourceShareAssociation `status`:
/// https://docs.aws.amazon.com/ram/latest/APIReference/API_ResourceShareAssociation.html).
async fn accepted_shares(
    oc: &aws_sdk_ram::Client,
    env: &str,
    arns: Vec<String>,
    principal: &str,
) -> Result<Vec<(String, String)>, KindError> {
    let pages = oc
        .get_resource_shares()
        .resource_owner(ResourceOwner::SelfValue)
        .set_resource_share_arns(Some(arns))
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(classify);
    let pages = match pages {
        Ok(p) => p,
        // Deleted since this account listed it.
        Err(e) if e.class == ErrorClass::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let nodes: HashMap<String, String> = pages
        .into_iter()
        .flat_map(|p| p.resource_shares.unwrap_or_default())
        .filter(live)
        .filter_map(|sh| {
            let t = tag_map(&sh);
            tags::owned_id(&t, env)?;
            Some((
                sh.resource_share_arn()?.to_string(),
                t.get(&accept_key(principal))?.clone(),
            ))
        })
        .collect();
    if nodes.is_empty() {
        return Ok(Vec::new());
    }
    let links = match principal_links(oc, nodes.keys().cloned().collect(), Some(principal)).await {
        Ok(l) => l,
        Err(e) if e.class == ErrorClass::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(links
        .into_iter()
        .filter(|(_, p, st)| p == principal && st == "ASSOCIATED")
        .filter_map(|(arn, _, _)| {
            let id = nodes.get(&arn)?.clone();
            Some((arn, id))
        })
        .collect())
}

/// The acceptance's physical id: unlike the share's, as physical ids order deletes.
const ACCEPT_SUFFIX: &str = "#accept";

fn accepted(arn: &str) -> Created {
    Created {
        physical_id: format!("{arn}{ACCEPT_SUFFIX}"),
        outputs: Attrs::new(),
    }
}
