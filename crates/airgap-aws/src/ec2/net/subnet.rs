//! The subnet kind (`subnet`).

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use crate::ec2::{
    adopted, available_or_gone, describe_one, env_pages, kind_meta, lookup, made, observe_tagged,
    tag_spec, Blockers, Ec2, Held, TagDrift,
};
use crate::errors::classify;
use crate::kit::{changes, created, delete_call, on_fresh, send_once};
use airgap_catalog::spec::{Spec, SubnetSpec};

/// Subnets, with the zone names of the environment's reference (hub) account.
pub struct Subnet(pub Arc<Ec2>, pub Arc<Blockers>, pub Arc<crate::ec2::zones::Zones>);

#[async_trait]
impl Kind for Subnet {
    kind_meta!(SUBNET);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let subnets = env_pages!(self.0, scope, env, describe_subnets)?;
        // In the hub's names: this account's zone `a` may be the hub's `b`.
        let names = if self.2.translates(scope) {
            self.2.names(&self.0).await?
        } else {
            Default::default()
        };
        Ok(observe_tagged(subnets, env, TagDrift::Ignored, |sn, o| {
            let vpc = sn.vpc_id().unwrap_or_default().to_string();
            let own = sn.availability_zone().unwrap_or_default();
            let az =
                sn.availability_zone_id().and_then(|id| names.get(id)).map_or(own, String::as_str);
            let spec = SubnetSpec {
                vpc: vpc.as_str().into(),
                cidr: sn.cidr_block().unwrap_or_default().to_string(),
                az: az.to_string(),
                map_public_ip_on_launch: sn.map_public_ip_on_launch().unwrap_or(false),
            };
            Observed { attrs: spec.to_attrs(), parents: vec![vpc], ..o }
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = SubnetSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let found = lookup!(c.describe_subnets(), node, subnets);
        if let Some(sn) = adopted(node, &found) {
            let id = sn.subnet_id().unwrap_or_default();
            // What an interrupted create made may not map public addresses yet.
            if spec.map_public_ip_on_launch && sn.map_public_ip_on_launch() != Some(true) {
                map_public_ip(c, id, true).await?;
            }
            return Ok(created(id));
        }
        // By zone ID outside the hub's account: the same physical zone as the hub's name.
        let req = c.create_subnet().vpc_id(spec.vpc.get()?).cidr_block(&spec.cidr);
        let req = if self.2.translates(&node.scope) {
            req.availability_zone_id(self.2.id_of(&self.0, &spec.az).await?)
        } else {
            req.availability_zone(&spec.az)
        };
        let out = send_once!(
            aws_sdk_ec2,
            req.tag_specifications(tag_spec(ResourceType::Subnet, &node.env, &node.id.0))
        )?;
        let id = made(out.subnet().and_then(|s| s.subnet_id()), "CreateSubnet")?;
        // A new subnet of a VPC of ours maps no public addresses (AWS's default outside
        // default VPCs); CreateSubnet cannot say otherwise, so only a spec that wants
        // them costs a call.
        if spec.map_public_ip_on_launch {
            map_public_ip(c, id, true).await?;
        }
        Ok(created(id))
    }

    // The VPC, CIDR and AZ force a replacement (the catalogue says so); what is left
    // to change in place is the public address mapping.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        if changes(change.diff, &["mapPublicIpOnLaunch"]) {
            let spec = SubnetSpec::from_attrs(&change.node.attrs)?;
            map_public_ip(
                self.0.client(&change.node.scope)?,
                &change.current.physical_id,
                spec.map_public_ip_on_launch,
            )
            .await?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let id = &current.physical_id;
        let c = self.0.client(scope)?;
        let r = delete_call(c.delete_subnet().subnet_id(id).send()).await;
        self.1.unless_held(scope, Held::Subnet, id, r).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let sn = describe_one!(c.describe_subnets().subnet_ids(check.physical_id), subnets);
        available_or_gone(
            check.op,
            check.physical_id,
            sn.as_ref().map(|v| v.state().map(|s| s.as_str())),
        )
    }
}

/// ModifySubnetAttribute takes one attribute per call.
/// The subnet may be moments old (create): its id may not be visible yet.
async fn map_public_ip(c: &aws_sdk_ec2::Client, subnet: &str, on: bool) -> Result<(), KindError> {
    on_fresh(|| async {
        c.modify_subnet_attribute()
            .subnet_id(subnet)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(on).build())
            .send()
            .await
            .map_err(classify)
    })
    .await?;
    Ok(())
}
