//! Route tables, their subnet associations and routes. Associations and routes cannot
//! be tagged: each is recorded as a tag on its route table (`airgap:assoc:<subnet>`,
//! `airgap:route:<cidr>` = logical id) and observed from the same one Describe.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use super::{
    env_filter, filter, kind_meta, mark, not_visible, retag, tag_map, tag_spec, unmark, Ec2,
};
use crate::errors::{classify, code_of, unless_gone};
use crate::kit::{id_out, missing_tags, s, with_tag_drift};
use crate::tags;

async fn route_tables(
    ec2: &Ec2,
    env: &str,
    scope: &Scope,
) -> Result<Vec<aws_sdk_ec2::types::RouteTable>, KindError> {
    ec2.client(scope)?
        .describe_route_tables()
        .filters(env_filter(env))
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(classify)
}

pub struct RouteTable(pub Arc<Ec2>);

#[async_trait]
impl Kind for RouteTable {
    kind_meta!("route-table");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["vpc"]
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(desired, &observed.attrs, self.replace_fields()),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        Ok(route_tables(&self.0, env, scope)
            .await?
            .into_iter()
            .filter_map(|rt| {
                let t = tag_map(rt.tags());
                let id = tags::owned_id(&t, env)?;
                let rt_id = rt.route_table_id()?.to_string();
                let vpc = rt.vpc_id().unwrap_or_default().to_string();
                let mut attrs = Attrs::from([("vpc".to_string(), Value::str(vpc.as_str()))]);
                attrs.extend(missing_tags(&t, env, &id));
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: id_out(&rt_id),
                    physical_id: rt_id,
                    parents: vec![vpc],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let out = self
            .0
            .client(&node.scope)?
            .create_route_table()
            .client_token(node.client_token())
            .vpc_id(s(&node.attrs, "vpc")?)
            .tag_specifications(tag_spec(ResourceType::RouteTable, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .route_table()
            .and_then(|r| r.route_table_id())
            .ok_or_else(|| KindError::fatal("NoId", "CreateRouteTable returned no id"))?;
        Ok(Created {
            physical_id: id.to_string(),
            outputs: id_out(id),
        })
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
        match self
            .0
            .client(scope)?
            .delete_route_table()
            .route_table_id(&current.physical_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => unless_gone(classify(e)),
        }
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
            .describe_route_tables()
            .route_table_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let found = match r {
            Ok(o) => !o.route_tables().is_empty(),
            Err(e) if e.class == ErrorClass::NotFound => false,
            Err(e) => return Err(e),
        };
        match (op, found) {
            (Op::Delete, false) => Ok(Readiness::Gone),
            (Op::Delete, true) => Ok(Readiness::Pending("deleting".into())),
            (_, true) => Ok(Readiness::Ready(id_out(physical_id))),
            (_, false) => Err(not_visible(physical_id)),
        }
    }
}

pub struct RouteTableAssociation(pub Arc<Ec2>);

#[async_trait]
impl Kind for RouteTableAssociation {
    kind_meta!("route-table-association");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["subnet", "routeTable"]
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let mut out = Vec::new();
        for rt in route_tables(&self.0, env, scope).await? {
            let t = tag_map(rt.tags());
            if tags::owned_id(&t, env).is_none() {
                continue;
            }
            let rt_id = rt.route_table_id().unwrap_or_default();
            for a in rt.associations() {
                let (Some(subnet), Some(assoc)) = (a.subnet_id(), a.route_table_association_id())
                else {
                    continue;
                };
                let Some(id) = t.get(&format!("{}{subnet}", tags::ASSOC_MARK)) else {
                    continue;
                };
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: assoc.to_string(),
                    attrs: Attrs::from([
                        ("subnet".to_string(), Value::str(subnet)),
                        ("routeTable".to_string(), Value::str(rt_id)),
                    ]),
                    outputs: id_out(assoc),
                    parents: vec![rt_id.to_string(), subnet.to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let (subnet, rt) = (s(&node.attrs, "subnet")?, s(&node.attrs, "routeTable")?);
        let assoc = match c
            .associate_route_table()
            .subnet_id(&subnet)
            .route_table_id(&rt)
            .send()
            .await
        {
            Ok(o) => o.association_id().unwrap_or_default().to_string(),
            // Associated already: by an interrupted run (adopt it) or to another route
            // table (move it: a subnet has exactly one).
            Err(e) if code_of(&e) == Some("Resource.AlreadyAssociated") => {
                let current = c
                    .describe_route_tables()
                    .filters(filter("association.subnet-id", [subnet.as_str()]))
                    .send()
                    .await
                    .map_err(classify)?;
                let found = current.route_tables().iter().find_map(|t| {
                    t.associations()
                        .iter()
                        .find(|a| a.subnet_id() == Some(subnet.as_str()))
                        .map(|a| (t.route_table_id() == Some(rt.as_str()), a.clone()))
                });
                match found {
                    Some((true, a)) => a
                        .route_table_association_id()
                        .unwrap_or_default()
                        .to_string(),
                    Some((false, a)) => c
                        .replace_route_table_association()
                        .association_id(a.route_table_association_id().unwrap_or_default())
                        .route_table_id(&rt)
                        .send()
                        .await
                        .map_err(classify)?
                        .new_association_id()
                        .unwrap_or_default()
                        .to_string(),
                    None => return Err(classify(e)),
                }
            }
            Err(e) => return Err(classify(e)),
        };
        mark(c, &rt, &format!("{}{subnet}", tags::ASSOC_MARK), &node.id.0).await?;
        Ok(Created {
            outputs: id_out(&assoc),
            physical_id: assoc,
        })
    }

    async fn update(
        &self,
        _node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        match c
            .disassociate_route_table()
            .association_id(&current.physical_id)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) => match classify(e) {
                e if e.class == ErrorClass::NotFound => {}
                e => return Err(e),
            },
        }
        if let (Some(rt), Some(subnet)) = (
            current.attrs.get("routeTable").and_then(Value::as_str),
            current.attrs.get("subnet").and_then(Value::as_str),
        ) {
            unmark(c, rt, &format!("{}{subnet}", tags::ASSOC_MARK)).await?;
        }
        Ok(())
    }

    async fn ready(
        &self,
        _scope: &Scope,
        op: Op,
        _physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        // Associations take effect with the call.
        Ok(match op {
            Op::Delete => Readiness::Gone,
            _ => Readiness::Ready(outputs.clone()),
        })
    }
}

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
    kind_meta!("route");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["routeTable", "cidr"]
    }

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
