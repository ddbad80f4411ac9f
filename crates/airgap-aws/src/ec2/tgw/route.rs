//! The static TGW route kind (`tgw-route`), recorded on its route table as
//! `airgap:route:<cidr>`.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;

use super::tgw_route_tables;
use crate::ec2::{filter, kind_meta, mark, tag_map, unmark, Ec2};
use crate::errors::{classify, code_of};
use crate::kit::{delete_call, s};
use crate::tags;

pub struct TgwRoute(pub Arc<Ec2>);

#[async_trait]
impl Kind for TgwRoute {
    kind_meta!(TGW_ROUTE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for t in tgw_route_tables(&self.0, env, scope).await? {
            let tm = tag_map(t.tags());
            let Some(rt) = t.transit_gateway_route_table_id() else {
                continue;
            };
            if !tm.keys().any(|k| k.starts_with(tags::ROUTE_MARK)) {
                continue;
            }
            let routes = c
                .search_transit_gateway_routes()
                .transit_gateway_route_table_id(rt)
                .filters(filter("type", ["static"]))
                .send()
                .await
                .map_err(classify)?;
            for r in routes.routes() {
                let Some(cidr) = r.destination_cidr_block() else {
                    continue;
                };
                let Some(id) = tm.get(&format!("{}{cidr}", tags::ROUTE_MARK)) else {
                    continue;
                };
                let att = r
                    .transit_gateway_attachments()
                    .iter()
                    .find_map(|a| a.transit_gateway_attachment_id())
                    .unwrap_or_default();
                let target = if r.state().map(|s| s.as_str()) == Some("blackhole") {
                    format!("{att} (blackhole)")
                } else {
                    att.to_string()
                };
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: format!("{rt}_{cidr}"),
                    attrs: Attrs::from([
                        ("routeTable".to_string(), Value::str(rt)),
                        ("cidr".to_string(), Value::str(cidr)),
                        ("attachment".to_string(), Value::Str(target)),
                    ]),
                    outputs: Attrs::new(),
                    parents: vec![rt.to_string(), att.to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let (rt, cidr, att) = (s(a, "routeTable")?, s(a, "cidr")?, s(a, "attachment")?);
        match c
            .create_transit_gateway_route()
            .transit_gateway_route_table_id(&rt)
            .destination_cidr_block(&cidr)
            .transit_gateway_attachment_id(&att)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code_of(&e) == Some("RouteAlreadyExists") => {
                replace_tgw_route(c, &rt, &cidr, &att).await?;
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
        let a = &node.attrs;
        replace_tgw_route(
            self.0.client(&node.scope)?,
            &s(a, "routeTable")?,
            &s(a, "cidr")?,
            &s(a, "attachment")?,
        )
        .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let (rt, cidr) = (s(&current.attrs, "routeTable")?, s(&current.attrs, "cidr")?);
        delete_call(
            c.delete_transit_gateway_route()
                .transit_gateway_route_table_id(&rt)
                .destination_cidr_block(&cidr)
                .send(),
        )
        .await?;
        unmark(c, &rt, &format!("{}{cidr}", tags::ROUTE_MARK)).await
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

async fn replace_tgw_route(
    c: &aws_sdk_ec2::Client,
    rt: &str,
    cidr: &str,
    att: &str,
) -> Result<(), KindError> {
    c.replace_transit_gateway_route()
        .transit_gateway_route_table_id(rt)
        .destination_cidr_block(cidr)
        .transit_gateway_attachment_id(att)
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}
