//! The Elastic IP kind (`elastic-ip`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};

use crate::ec2::{
    adopted, env_filter, kind_meta, lookup, made, observe_tagged, tag_spec, Ec2, TagDrift,
};
use crate::errors::classify;
use crate::kit::{id_out, send_once, usable_until_deleted};
use airgap_catalog::spec::{ElasticIpSpec, Spec};

pub struct ElasticIp(pub Arc<Ec2>);

#[async_trait]
impl Kind for ElasticIp {
    kind_meta!(ELASTIC_IP);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        // DescribeAddresses is not paginated.
        let out = self
            .0
            .client(scope)?
            .describe_addresses()
            .filters(env_filter(env))
            .send()
            .await
            .map_err(classify)?;
        Ok(observe_tagged(out.addresses(), env, TagDrift::Ignored, |a, o| Observed {
            attrs: ElasticIpSpec {}.to_attrs(),
            outputs: eip_out(&o.physical_id, a.public_ip()),
            ..o
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        ElasticIpSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let found = lookup!(c.describe_addresses(), node, addresses);
        if let Some(a) = adopted(node, &found) {
            return Ok(address(a.allocation_id(), a.public_ip()));
        }
        let out = send_once!(
            aws_sdk_ec2,
            c.allocate_address().domain(DomainType::Vpc).tag_specifications(tag_spec(
                ResourceType::ElasticIp,
                &node.env,
                &node.id.0
            ))
        )?;
        Ok(address(Some(made(out.allocation_id(), "AllocateAddress")?), out.public_ip()))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (c, id) = (self.0.client(scope)?, current.physical_id.as_str());
        crate::kit::delete_call(c.release_address().allocation_id(id).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let describe = c.describe_addresses().allocation_ids(check.physical_id).send();
        usable_until_deleted(&check, describe, |o| !o.addresses().is_empty(), "releasing").await
    }
}

/// An address made or adopted: its allocation id (always there for the VPC domain).
fn address(alloc: Option<&str>, ip: Option<&str>) -> Created {
    let alloc = alloc.unwrap_or_default();
    Created { physical_id: alloc.to_string(), outputs: eip_out(alloc, ip) }
}

fn eip_out(alloc: &str, ip: Option<&str>) -> Attrs {
    let mut o = id_out(alloc);
    if let Some(ip) = ip {
        o.insert("publicIp".into(), Value::str(ip));
    }
    o
}
