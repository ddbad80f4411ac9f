//! The route table kind (`route-table`).

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use super::route_tables;
use crate::ec2::{
    describe_one, diff_with_tag_drift, kind_meta, made, not_visible, observe_tagged, tag_spec, Ec2,
    TagDrift,
};
use crate::errors::classify;
use crate::kit::{created, id_out, presence};
use airgap_catalog::spec::{RouteTableSpec, Spec};

pub struct RouteTable(pub Arc<Ec2>);

#[async_trait]
impl Kind for RouteTable {
    kind_meta!(ROUTE_TABLE);

    diff_with_tag_drift!();

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let tables = route_tables(&self.0, env, scope).await?;
        Ok(observe_tagged(tables, env, TagDrift::Shown, |rt, o| {
            let vpc = rt.vpc_id().unwrap_or_default().to_string();
            Observed {
                attrs: RouteTableSpec { vpc: vpc.as_str().into() }.to_attrs(),
                parents: vec![vpc],
                ..o
            }
        }))
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
        let id = out.route_table().and_then(|r| r.route_table_id());
        Ok(created(made(id, "CreateRouteTable")?))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        crate::ec2::retag_only(&self.0, change).await
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (c, id) = (self.0.client(scope)?, current.physical_id.as_str());
        crate::kit::delete_call(c.delete_route_table().route_table_id(id).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let rt = describe_one!(
            c.describe_route_tables().route_table_ids(check.physical_id),
            route_tables
        );
        presence(check.op, rt, |_| id_out(check.physical_id), || not_visible(check.physical_id))
    }
}
