//! The Elastic IP kind (`elastic-ip`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{DomainType, ResourceType};

use crate::ec2::{adoptable, env_filter, kind_meta, owned_filters, tag_map, tag_spec, Ec2};
use crate::errors::classify;
use crate::kit::{delete_call, delete_progress, id_out, update_keeps_outputs};
use crate::tags;

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
        Ok(out
            .addresses()
            .iter()
            .filter_map(|a| {
                let id = tags::owned_id(&tag_map(a.tags()), env)?;
                let alloc = a.allocation_id()?.to_string();
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: Attrs::new(),
                    outputs: eip_out(&alloc, a.public_ip()),
                    physical_id: alloc,
                    parents: vec![],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_addresses()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        if let Some((a, alloc)) = adoptable(
            existing.addresses(),
            node,
            |a| a.tags(),
            |a| a.allocation_id(),
        ) {
            return Ok(Created {
                physical_id: alloc.to_string(),
                outputs: eip_out(alloc, a.public_ip()),
            });
        }
        let out = c
            .allocate_address()
            .domain(DomainType::Vpc)
            .tag_specifications(tag_spec(ResourceType::ElasticIp, &node.env, &node.id.0))
            .send()
            .await
            .map_err(classify)?;
        let alloc = out
            .allocation_id()
            .ok_or_else(|| KindError::fatal("NoId", "AllocateAddress returned no allocation id"))?;
        Ok(Created {
            physical_id: alloc.to_string(),
            outputs: eip_out(alloc, out.public_ip()),
        })
    }

    update_keeps_outputs!();

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .release_address()
                .allocation_id(&current.physical_id)
                .send(),
        )
        .await
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        if op != Op::Delete {
            return Ok(Readiness::Ready(outputs.clone()));
        }
        let r = self
            .0
            .client(scope)?
            .describe_addresses()
            .allocation_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        delete_progress(r, |o| !o.addresses().is_empty(), "releasing")
    }
}

fn eip_out(alloc: &str, ip: Option<&str>) -> Attrs {
    let mut o = id_out(alloc);
    if let Some(ip) = ip {
        o.insert("publicIp".into(), Value::str(ip));
    }
    o
}
