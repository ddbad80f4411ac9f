//! The invitation accepter kind (`ram-invitation-accepter`): a principal account
//! outside the organization accepting the invitation to a share.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use airgap_catalog::spec::{RamInvitationAccepterSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Readiness, Resolved,
    Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ram::types::{ResourceOwner, ResourceShareInvitationStatus};

use super::{all_shares, association_failed, link_status, live, principal_links, tag_map, Ram};
use crate::ec2::{child, kind_meta};
use crate::errors::{classify, code_of, found};
use crate::kit::acceptance::accepted_of;
use crate::kit::page_items;
use crate::tags;

pub struct RamInvitationAccepter(pub Arc<Ram>);

#[async_trait]
impl Kind for RamInvitationAccepter {
    kind_meta!(RAM_INVITATION_ACCEPTER);

    /// The acceptances of this (principal) account. Nothing here filters the shares of
    /// other accounts by tag (AWS refuses it, see [`shares`]) or relies on their tags
    /// being visible to a principal: this account lists what is shared with it, unfiltered,
    /// for the owners; each owner that is one of the environment's accounts then says,
    /// with its own credentials and tags, which of its shares are the environment's, and
    /// its principal association whether this account accepted (see [`accepted_shares`]).
    /// An acceptance is no resource and has no tags: it is paired with its node by share.
    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let shared = all_shares(
            self.0
                .client(scope)?
                .get_resource_shares()
                .resource_owner(ResourceOwner::OtherAccounts),
        )
        .await?;
        let mut by_owner: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for sh in shared.into_iter().filter(live) {
            if let (Some(owner), Some(arn)) = (sh.owning_account_id(), sh.resource_share_arn()) {
                by_owner.entry(owner.to_string()).or_default().push(arn.to_string());
            }
        }
        let mut found = Vec::new();
        for (owner, arns) in by_owner {
            // An owner outside the environment's accounts shares nothing of it (and there
            // are no credentials for it).
            let Ok(oc) = self.0.client(&Scope::new(owner, scope.region.clone())) else {
                continue;
            };
            let accepted = accepted_shares(oc, env, arns, &scope.account).await?;
            if accepted.is_empty() {
                continue;
            }
            // Within the organization (sharing with it enabled) a principal is ASSOCIATED
            // without an invitation: nothing was accepted, and no node accepts.
            let invited = invitations_accepted(
                self.0.client(scope)?,
                accepted.iter().map(|(arn, _)| arn.clone()).collect(),
            )
            .await?;
            found.extend(accepted.into_iter().filter(|(arn, _)| invited.contains(arn)).filter_map(
                |(arn, share_tags)| {
                    let spec = RamInvitationAccepterSpec { share: arn.as_str().into() };
                    let id = format!("{arn}{ACCEPT_SUFFIX}");
                    child(&share_tags, env, &scope.account, id, spec.to_attrs(), vec![arn])
                },
            ));
        }
        Ok(found)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = RamInvitationAccepterSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let arn = spec.share.get()?;
        let invitations = page_items!(
            c.get_resource_share_invitations().resource_share_arns(arn),
            resource_share_invitations
        )?;
        use ResourceShareInvitationStatus as S;
        // A pending invitation first: an owner that removed this account (a destroy
        // stopped half-way) and added it again sent a new one, while the one accepted
        // before stays in the list as ACCEPTED.
        let Some(inv) = invitations.iter().find(|i| i.status() == Some(&S::Pending)) else {
            if invitations.iter().any(|i| i.status() == Some(&S::Accepted)) {
                return Ok(accepted(arn));
            }
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
                format!("no invitation to {arn} has arrived in {} yet", node.scope.account),
            ));
        };
        match c
            .accept_resource_share_invitation()
            .resource_share_invitation_arn(inv.resource_share_invitation_arn().unwrap_or_default())
            .client_token(node.client_token())
            .send()
            .await
        {
            Ok(_) => Ok(accepted(arn)),
            Err(e) if code_of(&e) == Some("ResourceShareInvitationAlreadyAcceptedException") => {
                Ok(accepted(arn))
            }
            Err(e) => Err(classify(e)),
        }
    }

    // The share forces a replacement: nothing changes in place.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    /// Nothing to undo here: the owner removing the principal ends the sharing.
    async fn delete(&self, _scope: &Scope, _current: &Observed) -> Result<(), KindError> {
        Ok(())
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let Some(arn) = accepted_of(&check, ACCEPT_SUFFIX) else {
            return Ok(Readiness::Gone);
        };
        // What observe counts as accepted: the owner's principal association.
        let owner =
            arn.split(':').nth(4).ok_or_else(|| KindError::fatal("BadId", check.physical_id))?;
        let oc = self.0.client(&Scope::new(owner, check.scope.region.clone()))?;
        let status = link_status(oc, arn, &check.scope.account).await?;
        Ok(match status.as_deref() {
            Some("ASSOCIATED") => Readiness::Ready(Attrs::new()),
            Some("FAILED") => return Err(association_failed(arn, &check.scope.account)),
            Some(st) => Readiness::Pending(st.to_string()),
            None => Readiness::Pending("accepting".into()),
        })
    }
}

/// Of the shares `arns` of the owner whose client is `oc`: the environment's ones
/// `principal` is ASSOCIATED with, with the share's tags. The owner's tags say which are
/// the environment's; an account outside the organization stays ASSOCIATING until it
/// accepts the invitation, and is ASSOCIATED after (RAM API reference,
/// ResourceShareAssociation `status`:
/// https://docs.aws.amazon.com/ram/latest/APIReference/API_ResourceShareAssociation.html).
async fn accepted_shares(
    oc: &aws_sdk_ram::Client,
    env: &str,
    arns: Vec<String>,
    principal: &str,
) -> Result<Vec<(String, HashMap<String, String>)>, KindError> {
    let owned = all_shares(
        oc.get_resource_shares()
            .resource_owner(ResourceOwner::SelfValue)
            .set_resource_share_arns(Some(arns)),
    )
    .await;
    // None: deleted since this account listed it.
    let Some(owned) = found(owned)? else {
        return Ok(Vec::new());
    };
    let mut envs: HashMap<String, HashMap<String, String>> = owned
        .into_iter()
        .filter(live)
        .filter_map(|sh| {
            let t = tag_map(&sh);
            tags::owned_id(&t, env)?;
            Some((sh.resource_share_arn()?.to_string(), t))
        })
        .collect();
    if envs.is_empty() {
        return Ok(Vec::new());
    }
    let links = found(principal_links(oc, envs.keys().cloned().collect(), Some(principal)).await)?;
    Ok(links
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, p, st)| p == principal && st == "ASSOCIATED")
        .filter_map(|(arn, _, _)| {
            let t = envs.remove(&arn)?;
            Some((arn, t))
        })
        .collect())
}

/// Which of the shares `arns` this account (client `c`) has an ACCEPTED invitation to
/// (GetResourceShareInvitations, by share ARN).
async fn invitations_accepted(
    c: &aws_sdk_ram::Client,
    arns: Vec<String>,
) -> Result<std::collections::HashSet<String>, KindError> {
    let invitations = page_items!(
        c.get_resource_share_invitations().set_resource_share_arns(Some(arns)),
        resource_share_invitations
    )?;
    Ok(invitations
        .iter()
        .filter(|i| i.status() == Some(&ResourceShareInvitationStatus::Accepted))
        .filter_map(|i| i.resource_share_arn().map(str::to_string))
        .collect())
}

/// The acceptance's physical id: unlike the share's, as physical ids order deletes.
const ACCEPT_SUFFIX: &str = "#accept";

fn accepted(arn: &str) -> Created {
    Created { physical_id: format!("{arn}{ACCEPT_SUFFIX}"), outputs: Attrs::new() }
}
