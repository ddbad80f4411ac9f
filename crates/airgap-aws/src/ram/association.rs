//! The principal association kind (`ram-association`): a share's association with one
//! account, recorded on the share as `airgap:assoc:<principal>` (it cannot be tagged).

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::spec::{RamAssociationSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Updated,
};
use async_trait::async_trait;

use super::{
    accept_key, assoc_key, association_failed, link_status, principal_links, ram_tags, shares,
    tag_map, Ram,
};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{changes, delete_call, not_visible_yet};
use crate::tags;

pub struct RamAssociation(pub Arc<Ram>);

/// `<share ARN>#<principal>`.
fn physical_id(arn: &str, principal: &str) -> String {
    format!("{arn}#{principal}")
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
        let links =
            principal_links(self.0.client(scope)?, marked.keys().cloned().collect(), None).await?;
        Ok(links
            .into_iter()
            .filter(|(_, _, st)| st == "ASSOCIATED" || st == "ASSOCIATING")
            .filter_map(|(arn, principal, _)| {
                let t = &marked[&arn];
                let id = t.get(&assoc_key(&principal))?;
                let spec = RamAssociationSpec {
                    share: arn.as_str().into(),
                    principal: principal.clone(),
                    accepter: t.get(&accept_key(&principal)).cloned(),
                };
                Some(Observed {
                    id: id.as_str().into(),
                    physical_id: physical_id(&arn, &principal),
                    attrs: spec.to_attrs(),
                    outputs: Attrs::new(),
                    parents: vec![arn],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = RamAssociationSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let arn = spec.share.get()?;
        c.associate_resource_share()
            .resource_share_arn(arn)
            .principals(&spec.principal)
            .client_token(node.client_token())
            .send()
            .await
            .map_err(classify)?;
        mark(c, node, &spec).await?;
        Ok(Created { physical_id: physical_id(arn, &spec.principal), outputs: Attrs::new() })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        // The share and principal force a replacement: only the accepter's mark
        // changes in place.
        if changes(change.diff, &["accepter"]) {
            let spec = RamAssociationSpec::from_attrs(&change.node.attrs)?;
            mark(self.0.client(&change.node.scope)?, change.node, &spec).await?;
        }
        Ok(Updated::done(change.current.outputs.clone()))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let spec = RamAssociationSpec::from_attrs(&current.attrs)?;
        let c = self.0.client(scope)?;
        let (arn, principal) = (spec.share.get()?, &spec.principal);
        delete_call(
            c.disassociate_resource_share().resource_share_arn(arn).principals(principal).send(),
        )
        .await?;
        delete_call(
            c.untag_resource()
                .resource_share_arn(arn)
                .tag_keys(assoc_key(principal))
                .tag_keys(accept_key(principal))
                .send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let Some((arn, principal)) = check.physical_id.split_once('#') else {
            return Err(KindError::fatal("BadId", check.physical_id));
        };
        let found = link_status(self.0.client(check.scope)?, arn, principal).await?;
        Ok(match (check.op, found.as_deref()) {
            (Op::Delete, None | Some("DISASSOCIATED")) => Readiness::Gone,
            (Op::Delete, Some(st)) => Readiness::Pending(st.to_string()),
            // An account outside the organization stays ASSOCIATING until it accepts;
            // that is the accepter's wait, in the other account.
            (_, Some("ASSOCIATED" | "ASSOCIATING")) => Readiness::Ready(Attrs::new()),
            (_, Some("FAILED")) => return Err(association_failed(arn, principal)),
            (_, Some(st)) => Readiness::Pending(st.to_string()),
            (_, None) => return Err(not_visible_yet(check.physical_id)),
        })
    }
}

/// Records the association on the share (and, for a principal outside the
/// organization, the node that accepts it there).
async fn mark(
    c: &aws_sdk_ram::Client,
    node: &Resolved,
    spec: &RamAssociationSpec,
) -> Result<(), KindError> {
    let principal = &spec.principal;
    let mut t = vec![(assoc_key(principal), node.id.0.clone())];
    if let Some(acc) = &spec.accepter {
        t.push((accept_key(principal), acc.clone()));
    }
    c.tag_resource()
        .resource_share_arn(spec.share.get()?)
        .set_tags(Some(ram_tags(t)))
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}
