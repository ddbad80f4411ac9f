//! The VPC kind (`vpc`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType, VpcState};

use crate::ec2::{
    adoptable, env_filter, kind_meta, missing, owned_filters, tag_map, tag_spec, Blockers, Ec2,
    Held,
};
use crate::errors::{classify, found};
use crate::kit::{all_pages, created, delete_call, id_out};
use crate::tags;
use airgap_catalog::spec::{Spec, VpcSpec};

pub struct Vpc(pub Arc<Ec2>, pub Arc<Blockers>);

#[async_trait]
impl Kind for Vpc {
    kind_meta!(VPC);

    /// DNS support and hostnames are set on every create and update; reading them back
    /// costs two calls per VPC, which would make plans grow with the environment.
    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let mut d = desired.clone();
        d.retain(|k, _| k == "cidr");
        Diff::compute(&d, &observed.attrs, self.facts().replace_fields)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let vpcs = all_pages!(self
            .0
            .client(scope)?
            .describe_vpcs()
            .filters(env_filter(env)))?;
        Ok(vpcs
            .into_iter()
            .filter_map(|v| {
                let id = tags::owned_id(&tag_map(v.tags()), env)?;
                let vpc_id = v.vpc_id()?.to_string();
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: Attrs::from([(
                        "cidr".to_string(),
                        Value::str(v.cidr_block().unwrap_or_default()),
                    )]),
                    outputs: id_out(&vpc_id),
                    physical_id: vpc_id,
                    parents: vec![],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = VpcSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_vpcs()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        let found = adoptable(existing.vpcs(), node, |v| v.tags(), |v| v.vpc_id());
        let vpc_id = match found {
            Some((_, id)) => id.to_string(),
            None => c
                .create_vpc()
                .cidr_block(&spec.cidr)
                .tag_specifications(tag_spec(ResourceType::Vpc, &node.env, &node.id.0))
                .send()
                .await
                .map_err(classify)?
                .vpc()
                .and_then(|v| v.vpc_id())
                .ok_or_else(|| KindError::fatal("NoId", "CreateVpc returned no VPC id"))?
                .to_string(),
        };
        self.dns(c, &vpc_id, &spec).await?;
        Ok(created(&vpc_id))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let spec = VpcSpec::from_attrs(&node.attrs)?;
        self.dns(self.0.client(&node.scope)?, &current.physical_id, &spec)
            .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let r = delete_call(
            self.0
                .client(scope)?
                .delete_vpc()
                .vpc_id(&current.physical_id)
                .send(),
        )
        .await;
        match r {
            Err(e) if e.class == ErrorClass::DependencyViolation => Err(self
                .1
                .clear(scope, Held::Vpc, &current.physical_id, e)
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
            .describe_vpcs()
            .vpc_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let vpc = found(r)?.and_then(|o| o.vpcs().first().cloned());
        match vpc {
            None => missing(op, physical_id),
            Some(_) if op == Op::Delete => Ok(Readiness::Pending("deleting".into())),
            Some(v) if v.state() == Some(&VpcState::Available) => {
                Ok(Readiness::Ready(id_out(physical_id)))
            }
            Some(v) => Ok(Readiness::Pending(
                v.state().map_or("pending", |s| s.as_str()).to_string(),
            )),
        }
    }
}

impl Vpc {
    /// Private DNS of interface endpoints needs both attributes; each takes its own call.
    async fn dns(
        &self,
        c: &aws_sdk_ec2::Client,
        vpc_id: &str,
        spec: &VpcSpec,
    ) -> Result<(), KindError> {
        let on = |v: bool| AttributeBooleanValue::builder().value(v).build();
        c.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_support(on(spec.enable_dns_support))
            .send()
            .await
            .map_err(classify)?;
        c.modify_vpc_attribute()
            .vpc_id(vpc_id)
            .enable_dns_hostnames(on(spec.enable_dns_hostnames))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}
