//! The route kind (`route`). Routes cannot be tagged: the routes of the environment's
//! route tables are its own (other than the table's `local` route and propagated ones),
//! paired with their nodes by table and CIDR.

use std::sync::Arc;

use airgap_engine::{KindError, Observed, Scope};
use async_trait::async_trait;

use super::route_tables;
use crate::ec2::table_route::{RouteKind, TableRoute};
use crate::ec2::{child, parents_of_env, Ec2};
use crate::errors::classify;
use crate::kit::unless_done;
use airgap_catalog::spec::{RouteSpec, Spec};

pub type Route = RouteKind<RouteSpec>;

/// The target of a route, by the prefix of its id.
fn target_of(r: &aws_sdk_ec2::types::Route) -> Option<&str> {
    r.transit_gateway_id()
        .or(r.nat_gateway_id())
        .or(r.vpc_peering_connection_id())
        .or(r.gateway_id())
}

/// Whether a route was made by CreateRoute (or ReplaceRoute): not the table's `local`
/// route (origin CreateRouteTable) nor one propagated from a gateway
/// (EnableVgwRoutePropagation), which are no one's to delete
/// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Route.html, `Origin`).
fn made_by_create_route(r: &aws_sdk_ec2::types::Route) -> bool {
    r.origin().is_none_or(|o| o.as_str() == "CreateRoute") && r.gateway_id() != Some("local")
}

/// CreateRoute's answer when the route is there already.
const DONE: &[&str] = &["RouteAlreadyExists"];

#[async_trait]
impl TableRoute for RouteSpec {
    const TARGET: &'static str = "target";

    async fn observe(ec2: &Arc<Ec2>, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let mut out = Vec::new();
        for (rt, t) in parents_of_env(route_tables(ec2, env, scope).await?, env) {
            let rt_id = rt.route_table_id().unwrap_or_default();
            out.extend(rt.routes().iter().filter(|r| made_by_create_route(r)).filter_map(|r| {
                let cidr = r.destination_cidr_block()?;
                let target = target_of(r).unwrap_or_default();
                let spec = RouteSpec {
                    route_table: rt_id.into(),
                    cidr: cidr.to_string(),
                    // A route whose target is gone is drift, even with the same target id.
                    target: match r.state().map(|s| s.as_str()) {
                        Some("blackhole") => format!("{target} (blackhole)").into(),
                        _ => target.into(),
                    },
                };
                child(
                    &t,
                    env,
                    cidr,
                    format!("{rt_id}_{cidr}"),
                    spec.to_attrs(),
                    vec![rt_id.to_string(), target.to_string()],
                )
            }));
        }
        Ok(out)
    }

    fn table_and_cidr(&self) -> Result<(&str, &str), KindError> {
        Ok((self.route_table.get()?, &self.cidr))
    }

    async fn create(&self, c: &aws_sdk_ec2::Client) -> Result<bool, KindError> {
        let (rt, cidr) = self.table_and_cidr()?;
        let req = c.create_route().route_table_id(rt).destination_cidr_block(cidr);
        Ok(unless_done(with_target!(req, self.target.get()?).send().await, DONE)?.is_some())
    }

    async fn replace(&self, c: &aws_sdk_ec2::Client) -> Result<(), KindError> {
        let (rt, cidr) = self.table_and_cidr()?;
        let req = c.replace_route().route_table_id(rt).destination_cidr_block(cidr);
        with_target!(req, self.target.get()?).send().await.map_err(classify)?;
        Ok(())
    }

    async fn delete(&self, c: &aws_sdk_ec2::Client) -> Result<(), KindError> {
        let (rt, cidr) = self.table_and_cidr()?;
        c.delete_route()
            .route_table_id(rt)
            .destination_cidr_block(cidr)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

/// Sets a route's target by the prefix of its id. CreateRoute and ReplaceRoute take the
/// same target parameters on different builder types, hence a macro.
macro_rules! with_target {
    ($req:expr, $target:expr) => {{
        let (req, target) = ($req, $target);
        match target.split('-').next() {
            Some("igw" | "vgw") => req.gateway_id(target),
            Some("nat") => req.nat_gateway_id(target),
            Some("tgw") => req.transit_gateway_id(target),
            Some("vpce") => req.vpc_endpoint_id(target),
            Some("pcx") => req.vpc_peering_connection_id(target),
            _ => return Err(unknown_target(target)),
        }
    }};
}
use with_target;

fn unknown_target(target: &str) -> KindError {
    KindError::fatal(
        "UnknownRouteTarget",
        format!("cannot route to {target:?}: not an internet, NAT, transit gateway or endpoint id"),
    )
}
