//! The TGW route table kind (`tgw-route-table`); its associations, propagations and static
//! routes, which cannot be tagged, are found under it (see `link.rs`, `route.rs`).

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, TransitGatewayRouteTableState};

use super::{table_gone, tgw_route_tables};
use crate::ec2::{
    adopted, describe_one, diff_with_tag_drift, kind_meta, lookup, made, observe_tagged, tag_spec,
    Ec2, TagDrift, Tagged,
};
use crate::kit::{created, ready_when_available, send_once};
use airgap_catalog::spec::{Spec, TgwRouteTableSpec};

pub struct TgwRouteTable(pub Arc<Ec2>);

#[async_trait]
impl Kind for TgwRouteTable {
    kind_meta!(TGW_ROUTE_TABLE);

    diff_with_tag_drift!();

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let tables = tgw_route_tables(&self.0, env, scope).await?;
        Ok(observe_tagged(tables, env, TagDrift::Shown, |t, o| {
            let tgw = t.transit_gateway_id().unwrap_or_default().to_string();
            Observed {
                attrs: TgwRouteTableSpec { tgw: tgw.as_str().into() }.to_attrs(),
                parents: vec![tgw],
                ..o
            }
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = TgwRouteTableSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let found =
            lookup!(c.describe_transit_gateway_route_tables(), node, transit_gateway_route_tables);
        let live = found.iter().filter(|t| !table_gone(t));
        if let Some(id) = adopted(node, live).and_then(Tagged::physical_id) {
            return Ok(created(id));
        }
        let out = send_once!(
            aws_sdk_ec2,
            c.create_transit_gateway_route_table()
                .transit_gateway_id(spec.tgw.get()?)
                .tag_specifications(tag_spec(
                    ResourceType::TransitGatewayRouteTable,
                    &node.env,
                    &node.id.0,
                ))
        )?;
        let t = out.transit_gateway_route_table();
        let id = t.and_then(|t| t.transit_gateway_route_table_id());
        Ok(created(made(id, "CreateTransitGatewayRouteTable")?))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        crate::ec2::retag_only(&self.0, change).await
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (c, id) = (self.0.client(scope)?, current.physical_id.as_str());
        crate::kit::delete_call(
            c.delete_transit_gateway_route_table().transit_gateway_route_table_id(id).send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let t = describe_one!(
            c.describe_transit_gateway_route_tables()
                .transit_gateway_route_table_ids(check.physical_id),
            transit_gateway_route_tables
        );
        let state =
            t.as_ref().map(|t| t.state().map_or("pending", TransitGatewayRouteTableState::as_str));
        ready_when_available(check.op, check.physical_id, state)
    }
}
