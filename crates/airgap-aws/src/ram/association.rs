//! The principal association kind (`ram-association`): a share's association with one
//! account. It cannot be tagged: the principal associations of the environment's shares
//! are its own, read with one GetResourceShareAssociations for all of them and paired
//! with their nodes by share and principal. Nothing is recorded on the share, whose tags
//! would otherwise grow with the spoke accounts (RAM allows 50 per share).

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::spec::{RamAssociationSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Updated,
};
use async_trait::async_trait;

use super::{association_failed, link_status, principal_links, shares, tag_map, Ram};
use crate::ec2::{child, kind_meta};
use crate::errors::classify;
use crate::kit::{delete_call, not_visible_yet};

pub struct RamAssociation(pub Arc<Ram>);

/// `<share ARN>#<principal>`.
fn physical_id(arn: &str, principal: &str) -> String {
    format!("{arn}#{principal}")
}

#[async_trait]
impl Kind for RamAssociation {
    kind_meta!(RAM_ASSOCIATION);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let owned: HashMap<String, HashMap<String, String>> = shares(&self.0, env, scope)
            .await?
            .iter()
            .filter_map(|sh| Some((sh.resource_share_arn()?.to_string(), tag_map(sh))))
            .collect();
        if owned.is_empty() {
            return Ok(Vec::new());
        }
        let links =
            principal_links(self.0.client(scope)?, owned.keys().cloned().collect(), None).await?;
        Ok(links
            .into_iter()
            .filter(|(_, _, st)| st == "ASSOCIATED" || st == "ASSOCIATING")
            .filter_map(|(arn, principal, _)| {
                let spec = RamAssociationSpec { share: arn.as_str().into(), principal };
                let id = physical_id(&arn, &spec.principal);
                child(&owned[&arn], env, &spec.principal, id, spec.to_attrs(), vec![arn.clone()])
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
        Ok(Created { physical_id: physical_id(arn, &spec.principal), outputs: Attrs::new() })
    }

    // The share and principal force a replacement: nothing changes in place.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let spec = RamAssociationSpec::from_attrs(&current.attrs)?;
        let c = self.0.client(scope)?;
        let (arn, principal) = (spec.share.get()?, &spec.principal);
        delete_call(
            c.disassociate_resource_share().resource_share_arn(arn).principals(principal).send(),
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
