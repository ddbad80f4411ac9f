//! The subnet kind (`subnet`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, SubnetState};

use crate::ec2::{
    adoptable, env_filter, kind_meta, missing, owned_filters, tag_map, tag_spec, Blockers, Ec2,
    Held,
};
use crate::errors::{classify, found};
use crate::kit::{all_pages, created, delete_call, id_out};
use crate::tags;
use airgap_catalog::spec::{Spec, SubnetSpec};

pub struct Subnet(pub Arc<Ec2>, pub Arc<Blockers>);

#[async_trait]
impl Kind for Subnet {
    kind_meta!(SUBNET);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let subnets = all_pages!(self
            .0
            .client(scope)?
            .describe_subnets()
            .filters(env_filter(env)))?;
        Ok(subnets
            .into_iter()
            .filter_map(|sn| {
                let id = tags::owned_id(&tag_map(sn.tags()), env)?;
                let subnet_id = sn.subnet_id()?.to_string();
                let vpc = sn.vpc_id().unwrap_or_default().to_string();
                let spec = SubnetSpec {
                    vpc: vpc.as_str().into(),
                    cidr: sn.cidr_block().unwrap_or_default().to_string(),
                    az: sn.availability_zone().unwrap_or_default().to_string(),
                    map_public_ip_on_launch: sn.map_public_ip_on_launch().unwrap_or(false),
                };
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: spec.to_attrs(),
                    outputs: id_out(&subnet_id),
                    physical_id: subnet_id,
                    parents: vec![vpc],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = SubnetSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_subnets()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some((_, id)) = adoptable(existing.subnets(), node, |v| v.tags(), |v| v.subnet_id())
        {
            return Ok(created(id));
        }
        let out = c
            .create_subnet()
            .vpc_id(spec.vpc.get()?)
            .cidr_block(&spec.cidr)
            .availability_zone(&spec.az)
            .tag_specifications(tag_spec(ResourceType::Subnet, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let id = out
            .subnet()
            .and_then(|s| s.subnet_id())
            .ok_or_else(|| KindError::fatal("NoId", "CreateSubnet returned no subnet id"))?;
        // A new subnet of a VPC of ours maps no public addresses (AWS's default outside
        // default VPCs); CreateSubnet cannot say otherwise, so only a spec that wants
        // them costs a call.
        if spec.map_public_ip_on_launch {
            map_public_ip(c, id, true).await?;
        }
        Ok(created(id))
    }

    /// The VPC, CIDR and AZ force a replacement (the catalogue says so); what is left
    /// to change in place is the public address mapping.
    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        if diff
            .changes
            .iter()
            .any(|c| c.field == "mapPublicIpOnLaunch")
        {
            let spec = SubnetSpec::from_attrs(&node.attrs)?;
            map_public_ip(
                self.0.client(&node.scope)?,
                &current.physical_id,
                spec.map_public_ip_on_launch,
            )
            .await?;
        }
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let r = delete_call(
            self.0
                .client(scope)?
                .delete_subnet()
                .subnet_id(&current.physical_id)
                .send(),
        )
        .await;
        match r {
            Err(e) if e.class == ErrorClass::DependencyViolation => Err(self
                .1
                .clear(scope, Held::Subnet, &current.physical_id, e)
                .await),
            r => r,
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
            .describe_subnets()
            .subnet_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let sn = found(r)?.and_then(|o| o.subnets().first().cloned());
        match sn {
            None => missing(op, physical_id),
            Some(_) if op == Op::Delete => Ok(Readiness::Pending("deleting".into())),
            Some(v) if v.state() == Some(&SubnetState::Available) => {
                Ok(Readiness::Ready(id_out(physical_id)))
            }
            Some(v) => Ok(Readiness::Pending(
                v.state().map_or("pending", |s| s.as_str()).to_string(),
            )),
        }
    }
}

/// ModifySubnetAttribute takes one attribute per call.
async fn map_public_ip(c: &aws_sdk_ec2::Client, subnet: &str, on: bool) -> Result<(), KindError> {
    c.modify_subnet_attribute()
        .subnet_id(subnet)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}
