//! The static TGW route kind (`tgw-route`). Routes cannot be tagged: the static routes of
//! the environment's TGW route tables are its own, paired with their nodes by table and
//! CIDR.

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;

use super::env_tables;
use crate::ec2::{child, filter, kind_meta, route_made, Ec2};
use crate::errors::{classify, gone_is_ok};
use crate::kit::{changes, settled, unless_done};
use airgap_catalog::spec::{Spec, TgwRouteSpec};

pub struct TgwRoute(pub Arc<Ec2>);

#[async_trait]
impl Kind for TgwRoute {
    kind_meta!(TGW_ROUTE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for (rt, tm) in env_tables(&self.0, env, scope).await? {
            let rt = rt.as_str();
            let routes = c
                .search_transit_gateway_routes()
                .transit_gateway_route_table_id(rt)
                .filters(filter("type", ["static"]))
                .send()
                .await
                .map_err(classify)?;
            out.extend(routes.routes().iter().filter_map(|r| {
                let cidr = r.destination_cidr_block()?;
                let att = r
                    .transit_gateway_attachments()
                    .iter()
                    .find_map(|a| a.transit_gateway_attachment_id())
                    .unwrap_or_default();
                let spec = TgwRouteSpec {
                    route_table: rt.into(),
                    cidr: cidr.to_string(),
                    attachment: match r.state().map(|s| s.as_str()) {
                        Some("blackhole") => format!("{att} (blackhole)").into(),
                        _ => att.into(),
                    },
                };
                let parents = vec![rt.to_string(), att.to_string()];
                let id = format!("{rt}_{cidr}");
                child(&tm, env, cidr, id, spec.to_attrs(), parents)
            }));
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = TgwRouteSpec::from_attrs(&node.attrs)?;
        let (rt, cidr) = (spec.route_table.get()?, &spec.cidr);
        let r = c
            .create_transit_gateway_route()
            .transit_gateway_route_table_id(rt)
            .destination_cidr_block(cidr)
            .transit_gateway_attachment_id(spec.attachment.get()?)
            .send()
            .await;
        let made = unless_done(r, &["RouteAlreadyExists"])?;
        route_made((rt, cidr), made, replace_tgw_route(c, &spec)).await
    }

    // The table and CIDR force a replacement: what changes in place is the attachment.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        if changes(change.diff, &["attachment"]) {
            let spec = TgwRouteSpec::from_attrs(&change.node.attrs)?;
            replace_tgw_route(self.0.client(&change.node.scope)?, &spec).await?;
        }
        Ok(Updated::done(change.current.outputs.clone()))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let spec = TgwRouteSpec::from_attrs(&current.attrs)?;
        let (rt, cidr) = (spec.route_table.get()?, &spec.cidr);
        gone_is_ok(
            c.delete_transit_gateway_route()
                .transit_gateway_route_table_id(rt)
                .destination_cidr_block(cidr)
                .send()
                .await
                .map_err(classify),
        )
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        Ok(settled(check.op, check.outputs))
    }
}

async fn replace_tgw_route(c: &aws_sdk_ec2::Client, spec: &TgwRouteSpec) -> Result<(), KindError> {
    c.replace_transit_gateway_route()
        .transit_gateway_route_table_id(spec.route_table.get()?)
        .destination_cidr_block(&spec.cidr)
        .transit_gateway_attachment_id(spec.attachment.get()?)
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}
