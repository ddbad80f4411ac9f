//! The static TGW route kind (`tgw-route`). Routes cannot be tagged: the static routes of
//! the environment's TGW route tables are its own, paired with their nodes by table and
//! CIDR.

use std::sync::Arc;

use airgap_engine::{KindError, Observed, Scope};
use async_trait::async_trait;

use super::env_tables;
use crate::ec2::table_route::{RouteKind, TableRoute};
use crate::ec2::{child, filter, Ec2};
use crate::errors::classify;
use crate::kit::unless_done;
use airgap_catalog::spec::{Spec, TgwRouteSpec};

pub type TgwRoute = RouteKind<TgwRouteSpec>;

#[async_trait]
impl TableRoute for TgwRouteSpec {
    const TARGET: &'static str = "attachment";

    async fn observe(ec2: &Arc<Ec2>, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = ec2.client(scope)?;
        let mut out = Vec::new();
        for (rt, tm) in env_tables(ec2, env, scope).await? {
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
