//! The transit gateway kind (`transit-gateway`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{
    AutoAcceptSharedAttachmentsValue, DefaultRouteTableAssociationValue,
    DefaultRouteTablePropagationValue, DnsSupportValue, ModifyTransitGatewayOptions, ResourceType,
    TransitGatewayRequestOptions, TransitGatewayState,
};

use super::{enable, env_pages, owned_by};
use crate::ec2::{
    adopted, describe_one, diff_with_tag_drift, kind_meta, lookup, made, observe_tagged, retag,
    tag_spec, Ec2, TagDrift,
};
use crate::errors::classify;
use crate::kit::{by_state, id_out, send_once};
use airgap_catalog::spec::{Spec, TransitGatewaySpec};

pub struct TransitGateway(pub Arc<Ec2>);

fn tgw_out(id: &str, arn: Option<&str>) -> Attrs {
    let mut o = id_out(id);
    if let Some(arn) = arn {
        o.insert("arn".into(), Value::str(arn));
    }
    o
}

/// A transit gateway made or adopted: its id and ARN (what the RAM share names).
fn made_tgw(t: &aws_sdk_ec2::types::TransitGateway) -> Created {
    let id = t.transit_gateway_id().unwrap_or_default();
    Created { physical_id: id.to_string(), outputs: tgw_out(id, t.transit_gateway_arn()) }
}

/// A gateway's options as the spec says them: the one reading of them, for observe and
/// for the check of an existing gateway a blueprint names.
pub(super) fn spec_of(t: &aws_sdk_ec2::types::TransitGateway) -> TransitGatewaySpec {
    let opts = t.options();
    let on = |v: Option<&str>| v == Some("enable");
    TransitGatewaySpec {
        asn: opts.and_then(|o| o.amazon_side_asn()).unwrap_or_default(),
        auto_accept_shared_attachments: on(opts
            .and_then(|o| o.auto_accept_shared_attachments())
            .map(|v| v.as_str())),
        default_route_table_association: on(opts
            .and_then(|o| o.default_route_table_association())
            .map(|v| v.as_str())),
        default_route_table_propagation: on(opts
            .and_then(|o| o.default_route_table_propagation())
            .map(|v| v.as_str())),
    }
}

/// Deleted ones linger in Describe; neither observed nor adopted.
fn live(t: &aws_sdk_ec2::types::TransitGateway) -> bool {
    !matches!(t.state(), Some(TransitGatewayState::Deleted | TransitGatewayState::Deleting))
}

#[async_trait]
impl Kind for TransitGateway {
    kind_meta!(TRANSIT_GATEWAY);

    diff_with_tag_drift!();

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let tgws = env_pages!(self.0, scope, env, describe_transit_gateways)?;
        let mine = tgws.into_iter().filter(|t| live(t) && owned_by(t.owner_id(), scope));
        Ok(observe_tagged(mine, env, TagDrift::Shown, |t, o| Observed {
            attrs: spec_of(t).to_attrs(),
            outputs: tgw_out(&o.physical_id, t.transit_gateway_arn()),
            ..o
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = TransitGatewaySpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let found = lookup!(c.describe_transit_gateways(), node, transit_gateways);
        let mine = found.iter().filter(|t| live(t) && owned_by(t.owner_id(), &node.scope));
        if let Some(t) = adopted(node, mine) {
            return Ok(made_tgw(t));
        }
        let opts = TransitGatewayRequestOptions::builder()
            .amazon_side_asn(spec.asn)
            .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(enable(
                spec.auto_accept_shared_attachments,
            )))
            .default_route_table_association(DefaultRouteTableAssociationValue::from(enable(
                spec.default_route_table_association,
            )))
            .default_route_table_propagation(DefaultRouteTablePropagationValue::from(enable(
                spec.default_route_table_propagation,
            )))
            .dns_support(DnsSupportValue::Enable);
        let out = send_once!(
            aws_sdk_ec2,
            c.create_transit_gateway()
                .description(format!("airgap {}", node.env))
                .options(opts.build())
                .tag_specifications(tag_spec(ResourceType::TransitGateway, &node.env, &node.id.0))
        )?;
        let t = out.transit_gateway();
        let id = made(t.and_then(|t| t.transit_gateway_id()), "CreateTransitGateway")?;
        Ok(Created {
            physical_id: id.to_string(),
            outputs: tgw_out(id, t.and_then(|t| t.transit_gateway_arn())),
        })
    }

    // The ASN forces a replacement; the attachment and route table defaults change in
    // place, and missing standard tags are put back.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let c = self.0.client(&change.node.scope)?;
        retag(c, change.diff, &change.current.physical_id, &change.node.env, &change.node.id.0)
            .await?;
        if change.diff.changes.iter().any(|ch| ch.field != "tags") {
            let spec = TransitGatewaySpec::from_attrs(&change.node.attrs)?;
            c.modify_transit_gateway()
                .transit_gateway_id(&change.current.physical_id)
                .options(
                    ModifyTransitGatewayOptions::builder()
                        .auto_accept_shared_attachments(AutoAcceptSharedAttachmentsValue::from(
                            enable(spec.auto_accept_shared_attachments),
                        ))
                        .default_route_table_association(DefaultRouteTableAssociationValue::from(
                            enable(spec.default_route_table_association),
                        ))
                        .default_route_table_propagation(DefaultRouteTablePropagationValue::from(
                            enable(spec.default_route_table_propagation),
                        ))
                        .build(),
                )
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (c, id) = (self.0.client(scope)?, current.physical_id.as_str());
        crate::kit::delete_call(c.delete_transit_gateway().transit_gateway_id(id).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let t = describe_one!(
            c.describe_transit_gateways().transit_gateway_ids(check.physical_id),
            transit_gateways
        );
        by_state(
            check.op,
            check.physical_id,
            t.as_ref().map(|t| t.state().map_or("pending", TransitGatewayState::as_str)),
            &["available"],
            || tgw_out(check.physical_id, t.as_ref().and_then(|t| t.transit_gateway_arn())),
            |_| None,
        )
    }
}
