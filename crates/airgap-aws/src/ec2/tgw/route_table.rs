//! The TGW route table kind (`tgw-route-table`); it also carries the marks of its
//! associations, propagations and static routes, which cannot be tagged.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{ResourceType, TransitGatewayRouteTableState};

use super::{table_gone, tgw_route_tables};
use crate::ec2::{adoptable, kind_meta, missing, owned_filters, retag, tag_map, tag_spec, Ec2};
use crate::errors::{classify, found};
use crate::kit::{created, delete_call, id_out, missing_tags, s, with_tag_drift};
use crate::tags;

pub struct TgwRouteTable(pub Arc<Ec2>);

#[async_trait]
impl Kind for TgwRouteTable {
    kind_meta!(TGW_ROUTE_TABLE);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(desired, &observed.attrs, self.facts().replace_fields),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        Ok(tgw_route_tables(&self.0, env, scope)
            .await?
            .into_iter()
            .filter_map(|t| {
                let tm = tag_map(t.tags());
                let id = tags::owned_id(&tm, env)?;
                let rt = t.transit_gateway_route_table_id()?.to_string();
                let tgw = t.transit_gateway_id().unwrap_or_default().to_string();
                let mut attrs = Attrs::from([("tgw".to_string(), Value::str(tgw.as_str()))]);
                attrs.extend(missing_tags(&tm, env, &id));
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: id_out(&rt),
                    physical_id: rt,
                    parents: vec![tgw],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_transit_gateway_route_tables()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        let live = existing
            .transit_gateway_route_tables()
            .iter()
            .filter(|t| !table_gone(t));
        if let Some((_, id)) = adoptable(
            live,
            node,
            |t| t.tags(),
            |t| t.transit_gateway_route_table_id(),
        ) {
            return Ok(created(id));
        }
        let out = c
            .create_transit_gateway_route_table()
            .transit_gateway_id(s(&node.attrs, "tgw")?)
            .tag_specifications(tag_spec(
                ResourceType::TransitGatewayRouteTable,
                &node.env,
                &node.id.0,
            ))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .transit_gateway_route_table()
            .and_then(|t| t.transit_gateway_route_table_id())
            .ok_or_else(|| {
                KindError::fatal("NoId", "CreateTransitGatewayRouteTable returned no id")
            })?;
        Ok(created(id))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        retag(
            self.0.client(&node.scope)?,
            diff,
            &current.physical_id,
            &node.env,
            &node.id.0,
        )
        .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_transit_gateway_route_table()
                .transit_gateway_route_table_id(&current.physical_id)
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
            .describe_transit_gateway_route_tables()
            .transit_gateway_route_table_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let t = found(r)?.and_then(|o| o.transit_gateway_route_tables().first().cloned());
        let Some(t) = t else {
            return missing(op, physical_id);
        };
        let state = t
            .state()
            .cloned()
            .unwrap_or(TransitGatewayRouteTableState::Pending);
        Ok(match (op, state) {
            (Op::Delete, TransitGatewayRouteTableState::Deleted) => Readiness::Gone,
            (Op::Delete, st) => Readiness::Pending(st.as_str().to_string()),
            (_, TransitGatewayRouteTableState::Available) => Readiness::Ready(id_out(physical_id)),
            (_, st) => Readiness::Pending(st.as_str().to_string()),
        })
    }
}
