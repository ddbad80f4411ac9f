//! The route table association kind (`route-table-association`): a subnet's
//! association with one of the environment's route tables. Associations cannot be
//! tagged: those of the environment's tables are its own, paired with their nodes by
//! table and subnet.

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;

use super::route_tables;
use crate::ec2::{child, filter, kind_meta, parents_of_env, Ec2};
use crate::errors::{classify, code_of, gone_is_ok};
use crate::kit::{created, id_out, settled};
use airgap_catalog::spec::{RouteTableAssociationSpec, Spec};

pub struct RouteTableAssociation(pub Arc<Ec2>);

#[async_trait]
impl Kind for RouteTableAssociation {
    kind_meta!(ROUTE_TABLE_ASSOCIATION);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let mut out = Vec::new();
        for (rt, t) in parents_of_env(route_tables(&self.0, env, scope).await?, env) {
            let rt_id = rt.route_table_id().unwrap_or_default();
            out.extend(rt.associations().iter().filter_map(|a| {
                let (subnet, assoc) = (a.subnet_id()?, a.route_table_association_id()?);
                let spec =
                    RouteTableAssociationSpec { subnet: subnet.into(), route_table: rt_id.into() };
                let mut o = child(
                    &t,
                    env,
                    subnet,
                    assoc.to_string(),
                    spec.to_attrs(),
                    vec![rt_id.to_string(), subnet.to_string()],
                )?;
                o.outputs = id_out(assoc);
                Some(o)
            }));
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = RouteTableAssociationSpec::from_attrs(&node.attrs)?;
        let (subnet, rt) = (spec.subnet.get()?.to_string(), spec.route_table.get()?.to_string());
        let assoc =
            match c.associate_route_table().subnet_id(&subnet).route_table_id(&rt).send().await {
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
                        Some((true, a)) => {
                            a.route_table_association_id().unwrap_or_default().to_string()
                        }
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
        Ok(created(&assoc))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        gone_is_ok(
            c.disassociate_route_table()
                .association_id(&current.physical_id)
                .send()
                .await
                .map_err(classify),
        )
    }

    // Associations take effect with the call.
    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        Ok(settled(check.op, check.outputs))
    }
}
