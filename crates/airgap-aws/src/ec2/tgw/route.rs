//! The static TGW route kind (`tgw-route`). Routes cannot be tagged: the static routes of
//! the environment's TGW route tables are its own, paired with their nodes by table and
//! CIDR.

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;

use super::env_tables;
use crate::ec2::table_route::{self, TableRoute};
use crate::ec2::{child, filter, kind_meta, Ec2};
use crate::errors::classify;
use crate::kit::{settled, unless_done};
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
        table_route::create::<TgwRouteSpec>(&self.0, node).await
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        table_route::update::<TgwRouteSpec>(&self.0, change).await
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        table_route::delete::<TgwRouteSpec>(&self.0, scope, current).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        Ok(settled(check.op, check.outputs))
    }
}

#[async_trait]
impl TableRoute for TgwRouteSpec {
    const TARGET: &'static str = "attachment";

    fn table_and_cidr(&self) -> Result<(&str, &str), KindError> {
        Ok((self.route_table.get()?, &self.cidr))
    }

    async fn create(&self, c: &aws_sdk_ec2::Client) -> Result<bool, KindError> {
        let (rt, cidr) = self.table_and_cidr()?;
        let r = c
            .create_transit_gateway_route()
            .transit_gateway_route_table_id(rt)
            .destination_cidr_block(cidr)
            .transit_gateway_attachment_id(self.attachment.get()?)
            .send()
            .await;
        Ok(unless_done(r, &["RouteAlreadyExists"])?.is_some())
    }

    async fn replace(&self, c: &aws_sdk_ec2::Client) -> Result<(), KindError> {
        let (rt, cidr) = self.table_and_cidr()?;
        c.replace_transit_gateway_route()
            .transit_gateway_route_table_id(rt)
            .destination_cidr_block(cidr)
            .transit_gateway_attachment_id(self.attachment.get()?)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    async fn delete(&self, c: &aws_sdk_ec2::Client) -> Result<(), KindError> {
        let (rt, cidr) = self.table_and_cidr()?;
        c.delete_transit_gateway_route()
            .transit_gateway_route_table_id(rt)
            .destination_cidr_block(cidr)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}
