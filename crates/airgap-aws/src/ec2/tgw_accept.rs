//! The transit gateway owner's acceptance of a VPC attachment made from another
//! account. An acceptance is no resource and has no tags: the accepted attachments of
//! other accounts on the environment's transit gateways are its acceptances, read in one
//! Describe and paired with their nodes by gateway and attachment.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;

use super::{child, env_filter, filter, kind_meta, parents_of_env, Ec2};
use crate::errors::classify;
use crate::kit::acceptance::accepted_of;
use crate::kit::all_pages;
use airgap_catalog::spec::{Spec, TgwAttachmentAccepterSpec};

pub struct TgwAttachmentAccepter(pub Arc<Ec2>);

/// Physical ids must be unique across kinds (they order deletes): the acceptance is
/// not the attachment.
const ACCEPT_SUFFIX: &str = "_accept";

fn accept_id(att: &str) -> String {
    format!("{att}{ACCEPT_SUFFIX}")
}

/// Whether an attachment in `state` has been accepted. AcceptTransitGatewayVpcAttachment
/// needs `pendingAcceptance`; the states of TransitGatewayVpcAttachment.state are
/// `initiating | initiatingRequest | pendingAcceptance | rollingBack | pending | available |
/// modifying | deleting | deleted | failed | rejected | rejecting | failing`
/// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AcceptTransitGatewayVpcAttachment.html,
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_TransitGatewayVpcAttachment.html).
/// `pending` is both the state of a new attachment on its way to `pendingAcceptance` and
/// that of an accepted one on its way to `available` (terraform-provider-aws waits on it
/// in both places: hashicorp/terraform-provider-aws#8679), so it proves nothing; only
/// `available`, and `modifying` (a change to an attachment in use), come after acceptance.
fn accepted(state: Option<&str>) -> bool {
    matches!(state, Some("available" | "modifying"))
}

/// States of attachments by id, as the owner sees them. By the
/// `transit-gateway-attachment-id` filter, not `TransitGatewayAttachmentIds`: an id AWS has
/// forgotten (deleted attachments stay listed only for a while) fails the whole call with
/// InvalidTransitGatewayAttachmentID.NotFound, while a filter leaves it out.
async fn states(
    c: &aws_sdk_ec2::Client,
    ids: Vec<String>,
) -> Result<HashMap<String, String>, KindError> {
    let out = c
        .describe_transit_gateway_attachments()
        .filters(filter("transit-gateway-attachment-id", ids))
        .send()
        .await
        .map_err(classify)?;
    Ok(out
        .transit_gateway_attachments()
        .iter()
        .filter_map(|a| {
            Some((
                a.transit_gateway_attachment_id()?.to_string(),
                a.state().map_or("", |s| s.as_str()).to_string(),
            ))
        })
        .collect())
}

#[async_trait]
impl Kind for TgwAttachmentAccepter {
    kind_meta!(TGW_ATTACHMENT_ACCEPTER);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let tgws = c
            .describe_transit_gateways()
            .filters(env_filter(env))
            .send()
            .await
            .map_err(classify)?;
        let mine =
            tgws.transit_gateways().iter().filter(|t| super::tgw::owned_by(t.owner_id(), scope));
        let gateways: HashMap<String, HashMap<String, String>> = parents_of_env(mine, env)
            .into_iter()
            .filter_map(|(t, tm)| Some((t.transit_gateway_id()?.to_string(), tm)))
            .collect();
        if gateways.is_empty() {
            return Ok(Vec::new());
        }
        let attachments = all_pages!(c
            .describe_transit_gateway_attachments()
            .filters(filter("transit-gateway-id", gateways.keys().cloned()))
            .filters(filter("resource-type", ["vpc"]))
            .filters(filter("state", ["available", "modifying"])))?;
        Ok(attachments
            .iter()
            // The owner's own attachments need no acceptance.
            .filter(|a| a.resource_owner_id().is_some_and(|o| o != scope.account))
            .filter(|a| accepted(a.state().map(|s| s.as_str())))
            .filter_map(|a| {
                let (att, tgw) = (a.transit_gateway_attachment_id()?, a.transit_gateway_id()?);
                let spec = TgwAttachmentAccepterSpec { attachment: att.into(), tgw: tgw.into() };
                let parents = vec![tgw.to_string(), att.to_string()];
                child(&gateways[tgw], env, att, accept_id(att), spec.to_attrs(), parents)
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = TgwAttachmentAccepterSpec::from_attrs(&node.attrs)?;
        let att = spec.attachment.get()?.to_string();
        if let Err(e) = c
            .accept_transit_gateway_vpc_attachment()
            .transit_gateway_attachment_id(&att)
            .send()
            .await
        {
            let e = classify(e);
            // Accepted already (by an interrupted run): fine. Anything else is the error:
            // IncorrectState while still `pending` (before `pendingAcceptance`, or being
            // accepted) is a Conflict and retried; not visible yet after the share, too.
            let now = states(c, vec![att.clone()]).await.unwrap_or_default();
            if !accepted(now.get(&att).map(String::as_str)) {
                return Err(e);
            }
        }
        Ok(Created { physical_id: accept_id(&att), outputs: Attrs::new() })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    // The spoke deletes the attachment; an acceptance has nothing to undo.
    async fn delete(&self, _scope: &Scope, _current: &Observed) -> Result<(), KindError> {
        Ok(())
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let Some(att) = accepted_of(&check, ACCEPT_SUFFIX) else {
            return Ok(Readiness::Gone);
        };
        let st = states(self.0.client(check.scope)?, vec![att.to_string()]).await?;
        Ok(match st.get(att).map(String::as_str) {
            Some("available") => Readiness::Ready(Attrs::new()),
            Some(st @ ("failed" | "rejected" | "deleted")) => {
                return Err(KindError::fatal(
                    "AttachmentFailed",
                    format!("attachment {} is {st}", check.physical_id),
                ))
            }
            Some(st) => Readiness::Pending(st.to_string()),
            None => Readiness::Pending("not visible yet".into()),
        })
    }
}
