//! AWS RAM: the resource share of the transit gateway, its principal associations, and
//! the acceptance of the invitation in each principal account outside the organization.
//! Neither associations nor acceptances can be tagged: they are read from the
//! environment's shares (the owner's GetResourceShareAssociations, the principal's
//! invitations) and paired with their nodes by identity (`KindFacts::identity`).

mod accepter;
mod association;
mod share;

use std::collections::HashMap;
use std::sync::Arc;

use airgap_engine::{KindError, Registry, Scope};
use aws_sdk_ram::operation::get_resource_shares::builders::GetResourceSharesFluentBuilder;
use aws_sdk_ram::types::{
    ResourceOwner, ResourceShare, ResourceShareAssociationType, ResourceShareStatus, Tag, TagFilter,
};

use crate::clients::PerScope;
use crate::errors::found;
use crate::kit::page_items;
use crate::tags;

pub use accepter::RamInvitationAccepter;
pub use association::RamAssociation;
pub use share::RamShare;

pub type Ram = PerScope<aws_sdk_ram::Client>;

pub fn register(registry: &mut Registry, ram: &Arc<Ram>) {
    registry
        .register(Arc::new(RamShare(Arc::clone(ram))))
        .register(Arc::new(RamAssociation(Arc::clone(ram))))
        .register(Arc::new(RamInvitationAccepter(Arc::clone(ram))));
}

fn ram_tags(pairs: impl IntoIterator<Item = (String, String)>) -> Vec<Tag> {
    pairs.into_iter().map(|(k, v)| Tag::builder().key(k).value(v).build()).collect()
}

fn tag_map(share: &ResourceShare) -> HashMap<String, String> {
    tags::to_map(share.tags().iter().map(|t| (t.key(), t.value())))
}

fn live(share: &ResourceShare) -> bool {
    !matches!(share.status(), Some(ResourceShareStatus::Deleted | ResourceShareStatus::Deleting))
}

/// Every share of a GetResourceShares request, all pages.
async fn all_shares(req: GetResourceSharesFluentBuilder) -> Result<Vec<ResourceShare>, KindError> {
    page_items!(req, resource_shares)
}

/// The env's shares that `scope` owns. Only the owner may filter by tag: AWS refuses
/// `resourceOwner=OTHER-ACCOUNTS` with `tagFilters` (400 InvalidParameterException,
/// recorded in https://github.com/hashicorp/terraform-provider-aws/issues/40970).
async fn shares(ram: &Ram, env: &str, scope: &Scope) -> Result<Vec<ResourceShare>, KindError> {
    let owned = all_shares(
        ram.client(scope)?
            .get_resource_shares()
            .resource_owner(ResourceOwner::SelfValue)
            .tag_filters(TagFilter::builder().tag_key(tags::ENV).tag_values(env).build()),
    )
    .await?;
    Ok(owned
        .into_iter()
        .filter(|sh| live(sh) && tags::owned_id(&tag_map(sh), env).is_some())
        .collect())
}

/// Principal associations of some shares: (share ARN, principal, status).
async fn principal_links(
    c: &aws_sdk_ram::Client,
    arns: Vec<String>,
    principal: Option<&str>,
) -> Result<Vec<(String, String, String)>, KindError> {
    let links = page_items!(
        c.get_resource_share_associations()
            .association_type(ResourceShareAssociationType::Principal)
            .set_resource_share_arns(Some(arns))
            .set_principal(principal.map(str::to_string)),
        resource_share_associations
    )?;
    Ok(links
        .into_iter()
        .filter_map(|a| {
            Some((
                a.resource_share_arn()?.to_string(),
                a.associated_entity()?.to_string(),
                a.status().map_or("", |s| s.as_str()).to_string(),
            ))
        })
        .collect())
}

/// The status of the association of share `arn` with `principal`, as its owner (client
/// `c`) sees it; None when there is none (or the share is gone).
async fn link_status(
    c: &aws_sdk_ram::Client,
    arn: &str,
    principal: &str,
) -> Result<Option<String>, KindError> {
    let links = found(principal_links(c, vec![arn.to_string()], Some(principal)).await)?;
    Ok(links.unwrap_or_default().into_iter().find(|(_, p, _)| p == principal).map(|(_, _, st)| st))
}

/// A FAILED association, which no waiting mends.
fn association_failed(arn: &str, principal: &str) -> KindError {
    KindError::fatal("AssociationFailed", format!("sharing {arn} with {principal} failed"))
}
