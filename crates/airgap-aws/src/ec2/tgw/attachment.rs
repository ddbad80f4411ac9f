//! The TGW VPC attachment kind (`tgw-attachment`).

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, ErrorClass, Kind, KindError, Observed, Readiness, Resolved, Scope,
    Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    ApplianceModeSupportValue, CreateTransitGatewayVpcAttachmentRequestOptions, DnsSupportValue,
    ModifyTransitGatewayVpcAttachmentRequestOptions, ResourceType, TransitGatewayAttachmentState,
};

use super::{enable, env_pages, owned_by};
use crate::ec2::{
    adopted, describe_one, diff_with_tag_drift, kind_meta, lookup, made, observe_tagged, retag,
    tag_spec, Ec2, TagDrift, Tagged,
};
use crate::errors::classify;
use crate::kit::{
    by_state, changes, created, delta, id_out, ids, removals_first, send_once, some_if,
};
use airgap_catalog::spec::{Spec, TgwAttachmentSpec};

pub struct TgwAttachment(pub Arc<Ec2>);

fn attachment_gone(st: &TransitGatewayAttachmentState) -> bool {
    matches!(
        st,
        TransitGatewayAttachmentState::Deleted
            | TransitGatewayAttachmentState::Deleting
            | TransitGatewayAttachmentState::Failed
            | TransitGatewayAttachmentState::Rejected
    )
}

#[async_trait]
impl Kind for TgwAttachment {
    kind_meta!(TGW_ATTACHMENT);

    diff_with_tag_drift!();

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let atts = env_pages!(self.0, scope, env, describe_transit_gateway_vpc_attachments)?;
        let mine = atts.into_iter().filter(|a| mine(a, scope));
        Ok(observe_tagged(mine, env, TagDrift::Shown, |a, o| {
            let tgw = a.transit_gateway_id().unwrap_or_default().to_string();
            let vpc = a.vpc_id().unwrap_or_default().to_string();
            let mut subnets = a.subnet_ids().to_vec();
            subnets.sort();
            subnets.dedup();
            let appliance = a
                .options()
                .and_then(|o| o.appliance_mode_support())
                .is_some_and(|v| *v == ApplianceModeSupportValue::Enable);
            let spec = TgwAttachmentSpec {
                tgw: tgw.as_str().into(),
                vpc: vpc.as_str().into(),
                subnets: subnets.iter().map(|s| s.as_str().into()).collect(),
                appliance_mode: Some(appliance),
            };
            let mut parents = vec![tgw, vpc];
            parents.extend(a.subnet_ids().iter().cloned());
            Observed { attrs: spec.to_attrs(), parents, ..o }
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = TgwAttachmentSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let found = lookup!(
            c.describe_transit_gateway_vpc_attachments(),
            node,
            transit_gateway_vpc_attachments
        );
        let candidates = found.iter().filter(|a| mine(a, &node.scope));
        if let Some(id) = adopted(node, candidates).and_then(Tagged::physical_id) {
            return Ok(created(id));
        }
        let out = send_once!(
            aws_sdk_ec2,
            c.create_transit_gateway_vpc_attachment()
                .transit_gateway_id(spec.tgw.get()?)
                .vpc_id(spec.vpc.get()?)
                .set_subnet_ids(Some(ids(&spec.subnets)?))
                .options(
                    CreateTransitGatewayVpcAttachmentRequestOptions::builder()
                        .dns_support(DnsSupportValue::Enable)
                        .appliance_mode_support(appliance(&spec))
                        .build(),
                )
                .tag_specifications(tag_spec(
                    ResourceType::TransitGatewayAttachment,
                    &node.env,
                    &node.id.0,
                ))
        )?;
        let a = out.transit_gateway_vpc_attachment();
        let id = a.and_then(|t| t.transit_gateway_attachment_id());
        Ok(created(made(id, "CreateTransitGatewayVpcAttachment")?))
    }

    // The transit gateway and VPC force a replacement; subnets and appliance mode change
    // in place, and missing standard tags are put back.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let c = self.0.client(&change.node.scope)?;
        let id = &change.current.physical_id;
        retag(c, change.diff, id, &change.node.env, &change.node.id.0).await?;
        if !changes(change.diff, &["subnets"]) && !changes(change.diff, &["applianceMode"]) {
            return Ok(change.done());
        }
        let spec = TgwAttachmentSpec::from_attrs(&change.node.attrs)?;
        let (add, remove) = if changes(change.diff, &["subnets"]) {
            // The subnets as they are now, not as planned: an update retried after the
            // removals below adds only what is left.
            let live = describe_one!(
                c.describe_transit_gateway_vpc_attachments().transit_gateway_attachment_ids(id),
                transit_gateway_vpc_attachments
            )
            .ok_or_else(|| {
                KindError::new(
                    ErrorClass::NotFound,
                    "InvalidTransitGatewayAttachmentID.NotFound",
                    format!("attachment {id} was deleted or does not exist"),
                )
            })?;
            if live.state() == Some(&TransitGatewayAttachmentState::Modifying) {
                return Err(KindError::new(
                    ErrorClass::Conflict,
                    "IncorrectState",
                    format!("attachment {id} is modifying; its subnets change once available"),
                ));
            }
            delta(&ids(&spec.subnets)?, live.subnet_ids())
        } else {
            (Vec::new(), Vec::new())
        };
        let (add, later) = removals_first(add, &remove, &format!("attachment {id}"));
        c.modify_transit_gateway_vpc_attachment()
            .transit_gateway_attachment_id(id)
            .set_add_subnet_ids(some_if(add))
            .set_remove_subnet_ids(some_if(remove))
            .options(
                ModifyTransitGatewayVpcAttachmentRequestOptions::builder()
                    .appliance_mode_support(appliance(&spec))
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        match later {
            Some(e) => Err(e),
            None => Ok(change.done()),
        }
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (c, id) = (self.0.client(scope)?, current.physical_id.as_str());
        crate::kit::delete_call(
            c.delete_transit_gateway_vpc_attachment().transit_gateway_attachment_id(id).send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let a = describe_one!(
            c.describe_transit_gateway_vpc_attachments()
                .transit_gateway_attachment_ids(check.physical_id),
            transit_gateway_vpc_attachments
        );
        let state =
            a.as_ref().map(|a| a.state().map_or("pending", TransitGatewayAttachmentState::as_str));
        by_state(
            check.op,
            check.physical_id,
            state,
            // Cross-account: the owner's acceptance is a node of its own.
            &["available", "pendingAcceptance"],
            || id_out(check.physical_id),
            |st| {
                matches!(st, "failed" | "rejected").then(|| {
                    KindError::fatal(
                        "AttachmentFailed",
                        format!("attachment {} is {st}", check.physical_id),
                    )
                })
            },
        )
    }
}

/// Live (not gone nor failed) and, as attachments show in the transit gateway owner's
/// account too, this account's.
fn mine(a: &aws_sdk_ec2::types::TransitGatewayVpcAttachment, scope: &Scope) -> bool {
    !a.state().is_some_and(attachment_gone) && owned_by(a.vpc_owner_id(), scope)
}

fn appliance(spec: &TgwAttachmentSpec) -> ApplianceModeSupportValue {
    ApplianceModeSupportValue::from(enable(spec.appliance_mode.unwrap_or(false)))
}
