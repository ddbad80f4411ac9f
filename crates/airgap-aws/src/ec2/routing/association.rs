//! The route table association kind (`route-table-association`): a subnet's
//! association, recorded on its route table as `airgap:assoc:<subnet>`.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;

use super::route_tables;
use crate::ec2::{filter, kind_meta, mark, tag_map, unmark, Ec2};
use crate::errors::{classify, code_of};
use crate::kit::{created, id_out, update_keeps_outputs};
use crate::tags;
use airgap_catalog::spec::{RouteTableAssociationSpec, Spec};

pub struct RouteTableAssociation(pub Arc<Ec2>);

#[async_trait]
impl Kind for RouteTableAssociation {
    kind_meta!(ROUTE_TABLE_ASSOCIATION);

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
                    attrs: RouteTableAssociationSpec {
                        subnet: subnet.into(),
                        route_table: rt_id.into(),
                    }
                    .to_attrs(),
                    outputs: id_out(assoc),
                    parents: vec![rt_id.to_string(), subnet.to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = RouteTableAssociationSpec::from_attrs(&node.attrs)?;
        let (subnet, rt) = (
            spec.subnet.get()?.to_string(),
            spec.route_table.get()?.to_string(),
        );
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
        Ok(created(&assoc))
    }

    update_keeps_outputs!();

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
