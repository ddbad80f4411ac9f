//! The TGW VPC attachment kind (`tgw-attachment`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    ApplianceModeSupportValue, CreateTransitGatewayVpcAttachmentRequestOptions, DnsSupportValue,
    ModifyTransitGatewayVpcAttachmentRequestOptions, ResourceType, TransitGatewayAttachmentState,
};

use super::{enable, owned_by};
use crate::ec2::{
    env_filter, is_node, kind_meta, missing, owned_filters, retag, tag_map, tag_spec, Ec2,
};
use crate::errors::{classify, found};
use crate::kit::{
    all_pages, b, created, delete_call, id_out, id_set, list, missing_tags, s, sorted_lists,
    with_tag_drift,
};
use crate::tags;

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

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(
                &sorted_lists(desired, &["subnets"]),
                &observed.attrs,
                self.facts().replace_fields,
            ),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let atts = all_pages!(self
            .0
            .client(scope)?
            .describe_transit_gateway_vpc_attachments()
            .filters(env_filter(env)))?;
        Ok(atts
            .into_iter()
            .filter(|a| {
                !a.state().is_some_and(attachment_gone) && owned_by(a.vpc_owner_id(), scope)
            })
            .filter_map(|a| {
                let tm = tag_map(a.tags());
                let id = tags::owned_id(&tm, env)?;
                let att = a.transit_gateway_attachment_id()?.to_string();
                let tgw = a.transit_gateway_id().unwrap_or_default().to_string();
                let vpc = a.vpc_id().unwrap_or_default().to_string();
                let appliance = a
                    .options()
                    .and_then(|o| o.appliance_mode_support())
                    .is_some_and(|v| *v == ApplianceModeSupportValue::Enable);
                let mut attrs = Attrs::from([
                    ("tgw".to_string(), Value::str(tgw.as_str())),
                    ("vpc".to_string(), Value::str(vpc.as_str())),
                    (
                        "subnets".to_string(),
                        id_set(a.subnet_ids().iter().cloned()),
                    ),
                    ("applianceMode".to_string(), Value::Bool(appliance)),
                ]);
                attrs.extend(missing_tags(&tm, env, &id));
                let mut parents = vec![tgw, vpc];
                parents.extend(a.subnet_ids().iter().cloned());
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: id_out(&att),
                    physical_id: att,
                    parents,
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_transit_gateway_vpc_attachments()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(id) = existing
            .transit_gateway_vpc_attachments()
            .iter()
            .filter(|a| {
                !a.state().is_some_and(attachment_gone)
                    && is_node(a.tags(), node)
                    && owned_by(a.vpc_owner_id(), &node.scope)
            })
            .filter_map(|a| a.transit_gateway_attachment_id())
            .find(|id| node.replaces.as_deref() != Some(*id))
        {
            return Ok(created(id));
        }
        let a = &node.attrs;
        let out = c
            .create_transit_gateway_vpc_attachment()
            .transit_gateway_id(s(a, "tgw")?)
            .vpc_id(s(a, "vpc")?)
            .set_subnet_ids(Some(list(a, "subnets")?))
            .options(
                CreateTransitGatewayVpcAttachmentRequestOptions::builder()
                    .dns_support(DnsSupportValue::Enable)
                    .appliance_mode_support(ApplianceModeSupportValue::from(enable(b(
                        a,
                        "applianceMode",
                        false,
                    ))))
                    .build(),
            )
            .tag_specifications(tag_spec(
                ResourceType::TransitGatewayAttachment,
                &node.env,
                &node.id.0,
            ))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .transit_gateway_vpc_attachment()
            .and_then(|t| t.transit_gateway_attachment_id())
            .ok_or_else(|| {
                KindError::fatal("NoId", "CreateTransitGatewayVpcAttachment returned no id")
            })?;
        Ok(created(id))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        retag(c, diff, &current.physical_id, &node.env, &node.id.0).await?;
        if !diff.changes.iter().any(|ch| ch.field != "tags") {
            return Ok(current.outputs.clone());
        }
        let want = list(&node.attrs, "subnets")?;
        let have = match current.attrs.get("subnets") {
            Some(Value::List(v)) => v
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let add: Vec<String> = want.iter().filter(|s| !have.contains(s)).cloned().collect();
        let remove: Vec<String> = have.iter().filter(|s| !want.contains(s)).cloned().collect();
        c.modify_transit_gateway_vpc_attachment()
            .transit_gateway_attachment_id(&current.physical_id)
            .set_add_subnet_ids((!add.is_empty()).then_some(add))
            .set_remove_subnet_ids((!remove.is_empty()).then_some(remove))
            .options(
                ModifyTransitGatewayVpcAttachmentRequestOptions::builder()
                    .appliance_mode_support(ApplianceModeSupportValue::from(enable(b(
                        &node.attrs,
                        "applianceMode",
                        false,
                    ))))
                    .build(),
            )
            .send()
            .await
            .map_err(classify)?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_transit_gateway_vpc_attachment()
                .transit_gateway_attachment_id(&current.physical_id)
                .send(),
        )
        .await
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
            .describe_transit_gateway_vpc_attachments()
            .transit_gateway_attachment_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let a = found(r)?.and_then(|o| o.transit_gateway_vpc_attachments().first().cloned());
        let Some(a) = a else {
            return missing(op, physical_id);
        };
        use TransitGatewayAttachmentState as S;
        let state = a.state().cloned().unwrap_or(S::Pending);
        match (op, state) {
            (Op::Delete, S::Deleted) => Ok(Readiness::Gone),
            (Op::Delete, st) => Ok(Readiness::Pending(st.as_str().to_string())),
            // Cross-account: the owner's acceptance is a node of its own.
            (_, S::Available | S::PendingAcceptance) => Ok(Readiness::Ready(id_out(physical_id))),
            (_, st @ (S::Failed | S::Rejected)) => Err(KindError::fatal(
                "AttachmentFailed",
                format!("attachment {physical_id} is {}", st.as_str()),
            )),
            (_, st) => Ok(Readiness::Pending(st.as_str().to_string())),
        }
    }
}
