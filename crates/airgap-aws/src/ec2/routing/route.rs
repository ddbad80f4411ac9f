//! The route kind (`route`), recorded on its route table as `airgap:route:<cidr>`.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;

use super::route_tables;
use crate::ec2::{kind_meta, mark, tag_map, unmark, Ec2};
use crate::errors::{classify, code_of};
use crate::kit::s;
use crate::tags;

pub struct Route(pub Arc<Ec2>);

/// The target of a route, by the prefix of its id.
fn target_of(r: &aws_sdk_ec2::types::Route) -> Option<&str> {
    r.transit_gateway_id()
        .or(r.nat_gateway_id())
        .or(r.vpc_peering_connection_id())
        .or(r.gateway_id())
}

#[async_trait]
impl Kind for Route {
    kind_meta!(ROUTE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let mut out = Vec::new();
        for rt in route_tables(&self.0, env, scope).await? {
            let t = tag_map(rt.tags());
            if tags::owned_id(&t, env).is_none() {
                continue;
            }
            let rt_id = rt.route_table_id().unwrap_or_default();
            for r in rt.routes() {
                let Some(cidr) = r.destination_cidr_block() else {
                    continue;
                };
                let Some(id) = t.get(&format!("{}{cidr}", tags::ROUTE_MARK)) else {
                    continue;
                };
                let target = target_of(r).unwrap_or_default();
                let mut attrs = Attrs::from([
                    ("routeTable".to_string(), Value::str(rt_id)),
                    ("cidr".to_string(), Value::str(cidr)),
                    ("target".to_string(), Value::str(target)),
                ]);
                // A route whose target is gone is drift, even with the same target id.
                if r.state().map(|s| s.as_str()) == Some("blackhole") {
                    attrs.insert("target".into(), Value::str(format!("{target} (blackhole)")));
                }
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: format!("{rt_id}_{cidr}"),
                    attrs,
                    outputs: Attrs::new(),
                    parents: vec![rt_id.to_string(), target.to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let (rt, cidr, target) = (
            s(&node.attrs, "routeTable")?,
            s(&node.attrs, "cidr")?,
            s(&node.attrs, "target")?,
        );
        let req = c
            .create_route()
            .route_table_id(&rt)
            .destination_cidr_block(&cidr);
        match with_target!(req, target.as_str()).send().await {
            Ok(_) => {}
            // A retry, or a route made outside: point it where the blueprint says.
            Err(e) if code_of(&e) == Some("RouteAlreadyExists") => {
                self.replace(c, &rt, &cidr, &target).await?;
            }
            Err(e) => return Err(classify(e)),
        }
        mark(c, &rt, &format!("{}{cidr}", tags::ROUTE_MARK), &node.id.0).await?;
        Ok(Created {
            physical_id: format!("{rt}_{cidr}"),
            outputs: Attrs::new(),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        self.replace(
            c,
            &s(&node.attrs, "routeTable")?,
            &s(&node.attrs, "cidr")?,
            &s(&node.attrs, "target")?,
        )
        .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let rt = current
            .attrs
            .get("routeTable")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let cidr = current
            .attrs
            .get("cidr")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match c
            .delete_route()
            .route_table_id(rt)
            .destination_cidr_block(cidr)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => match classify(e) {
                e if e.class == ErrorClass::NotFound => {}
                e => return Err(e),
            },
        }
        unmark(c, rt, &format!("{}{cidr}", tags::ROUTE_MARK)).await
    }

    async fn ready(
        &self,
        _scope: &Scope,
        op: Op,
        _physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        Ok(match op {
            Op::Delete => Readiness::Gone,
            _ => Readiness::Ready(outputs.clone()),
        })
    }
}

impl Route {
    async fn replace(
        &self,
        c: &aws_sdk_ec2::Client,
        rt: &str,
        cidr: &str,
        target: &str,
    ) -> Result<(), KindError> {
        let req = c
            .replace_route()
            .route_table_id(rt)
            .destination_cidr_block(cidr);
        with_target!(req, target).send().await.map_err(classify)?;
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
