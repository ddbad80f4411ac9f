//! The transit gateway kind (`transit-gateway`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AutoAcceptSharedAttachmentsValue, DefaultRouteTableAssociationValue,
    DefaultRouteTablePropagationValue, DnsSupportValue, ModifyTransitGatewayOptions, ResourceType,
    TransitGatewayRequestOptions, TransitGatewayState,
};

use super::{enable, owned_by};
use crate::ec2::{
    env_filter, is_node, kind_meta, missing, owned_filters, retag, tag_map, tag_spec, Ec2,
};
use crate::errors::{classify, found};
use crate::kit::{all_pages, b, delete_call, id_out, missing_tags, with_tag_drift};
use crate::tags;

pub struct TransitGateway(pub Arc<Ec2>);

fn tgw_out(id: &str, arn: Option<&str>) -> Attrs {
    let mut o = id_out(id);
    if let Some(arn) = arn {
        o.insert("arn".into(), Value::str(arn));
    }
    o
}

#[async_trait]
impl Kind for TransitGateway {
    kind_meta!(TRANSIT_GATEWAY);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(desired, &observed.attrs, self.facts().replace_fields),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let tgws = all_pages!(self
            .0
            .client(scope)?
            .describe_transit_gateways()
            .filters(env_filter(env)))?;
        Ok(tgws
            .into_iter()
            .filter(|t| {
                !matches!(
                    t.state(),
                    Some(TransitGatewayState::Deleted | TransitGatewayState::Deleting)
                ) && owned_by(t.owner_id(), scope)
            })
            .filter_map(|t| {
                let tm = tag_map(t.tags());
                let id = tags::owned_id(&tm, env)?;
                let tgw_id = t.transit_gateway_id()?.to_string();
                let o = t.options();
                let flag = |v: Option<&str>| Value::Bool(v == Some("enable"));
                let mut attrs = Attrs::from([
                    (
                        "asn".to_string(),
                        Value::Int(o.and_then(|o| o.amazon_side_asn()).unwrap_or_default()),
                    ),
                    (
                        "autoAcceptSharedAttachments".to_string(),
                        flag(
                            o.and_then(|o| o.auto_accept_shared_attachments())
                                .map(|v| v.as_str()),
                        ),
                    ),
                    (
                        "defaultRouteTableAssociation".to_string(),
                        flag(
                            o.and_then(|o| o.default_route_table_association())
                                .map(|v| v.as_str()),
                        ),
                    ),
                    (
                        "defaultRouteTablePropagation".to_string(),
                        flag(
                            o.and_then(|o| o.default_route_table_propagation())
                                .map(|v| v.as_str()),
                        ),
                    ),
                ]);
                attrs.extend(missing_tags(&tm, env, &id));
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: tgw_out(&tgw_id, t.transit_gateway_arn()),
                    physical_id: tgw_id,
                    parents: vec![],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_transit_gateways()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some(t) = existing.transit_gateways().iter().find(|t| {
            is_node(t.tags(), node)
                && owned_by(t.owner_id(), &node.scope)
                && node.replaces.as_deref() != t.transit_gateway_id()
                && !matches!(
                    t.state(),
                    Some(TransitGatewayState::Deleted | TransitGatewayState::Deleting)
                )
        }) {
            let id = t.transit_gateway_id().unwrap_or_default();
            return Ok(Created {
                physical_id: id.to_string(),
                outputs: tgw_out(id, t.transit_gateway_arn()),
            });
        }
        let a = &node.attrs;
        let mut opts =
            TransitGatewayRequestOptions::builder()
                .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(enable(b(
                    a,
                    "autoAcceptSharedAttachments",
                    false,
                ))))
                .default_route_table_association(DefaultRouteTableAssociationValue::from(enable(
                    b(a, "defaultRouteTableAssociation", false),
                )))
                .default_route_table_propagation(DefaultRouteTablePropagationValue::from(enable(
                    b(a, "defaultRouteTablePropagation", false),
                )))
                .dns_support(DnsSupportValue::Enable);
        if let Some(Value::Int(asn)) = a.get("asn") {
            opts = opts.amazon_side_asn(*asn);
        }
        let out = c
            .create_transit_gateway()
            .description(format!("airgap {}", node.env))
            .options(opts.build())
            .tag_specifications(tag_spec(
                ResourceType::TransitGateway,
                &node.env,
                &node.id.0,
            ))
            .send()
            .await
            .map_err(classify)?;
        let t = out
            .transit_gateway()
            .ok_or_else(|| KindError::fatal("NoId", "CreateTransitGateway returned nothing"))?;
        let id = t.transit_gateway_id().unwrap_or_default();
        Ok(Created {
            physical_id: id.to_string(),
            outputs: tgw_out(id, t.transit_gateway_arn()),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        retag(c, diff, &current.physical_id, &node.env, &node.id.0).await?;
        if diff.changes.iter().any(|ch| ch.field != "tags") {
            let a = &node.attrs;
            c.modify_transit_gateway()
                .transit_gateway_id(&current.physical_id)
                .options(
                    ModifyTransitGatewayOptions::builder()
                        .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(
                            enable(b(a, "autoAcceptSharedAttachments", false)),
                        ))
                        .default_route_table_association(DefaultRouteTableAssociationValue::from(
                            enable(b(a, "defaultRouteTableAssociation", false)),
                        ))
                        .default_route_table_propagation(DefaultRouteTablePropagationValue::from(
                            enable(b(a, "defaultRouteTablePropagation", false)),
                        ))
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_transit_gateway()
                .transit_gateway_id(&current.physical_id)
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
            .describe_transit_gateways()
            .transit_gateway_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let t = found(r)?.and_then(|o| o.transit_gateways().first().cloned());
        let Some(t) = t else {
            return missing(op, physical_id);
        };
        let state = t.state().cloned().unwrap_or(TransitGatewayState::Pending);
        Ok(match (op, state) {
            (Op::Delete, TransitGatewayState::Deleted) => Readiness::Gone,
            (Op::Delete, st) => Readiness::Pending(st.as_str().to_string()),
            (_, TransitGatewayState::Available) => {
                Readiness::Ready(tgw_out(physical_id, t.transit_gateway_arn()))
            }
            (_, st) => Readiness::Pending(st.as_str().to_string()),
        })
    }
}
