//! The route table kind (`route-table`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use super::route_tables;
use crate::ec2::{kind_meta, not_visible, retag, tag_map, tag_spec, Ec2};
use crate::errors::{classify, found, unless_gone};
use crate::kit::{created, id_out, missing_tags, presence, with_tag_drift};
use crate::tags;
use airgap_catalog::spec::{RouteTableSpec, Spec};

pub struct RouteTable(pub Arc<Ec2>);

#[async_trait]
impl Kind for RouteTable {
    kind_meta!(ROUTE_TABLE);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(desired, &observed.attrs, self.facts().replace_fields),
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
                let mut attrs = RouteTableSpec {
                    vpc: vpc.as_str().into(),
                }
                .to_attrs();
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
            .vpc_id(RouteTableSpec::from_attrs(&node.attrs)?.vpc.get()?)
            .tag_specifications(tag_spec(ResourceType::RouteTable, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .route_table()
            .and_then(|r| r.route_table_id())
            .ok_or_else(|| KindError::fatal("NoId", "CreateRouteTable returned no id"))?;
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
        let rt = found(r)?.filter(|o| !o.route_tables().is_empty());
        presence(op, rt, |_| id_out(physical_id), || not_visible(physical_id))
    }
}
