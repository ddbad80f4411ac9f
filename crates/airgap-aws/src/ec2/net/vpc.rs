//! The VPC kind (`vpc`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Change, Check, Created, Diff, Kind, KindError, Observed, Readiness, Resolved, Scope,
    Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{AttributeBooleanValue, ResourceType};

use crate::ec2::{
    adopted, available_or_gone, describe_one, env_pages, kind_meta, lookup, made, observe_tagged,
    tag_spec, Blockers, Ec2, Held, TagDrift, Tagged,
};
use crate::errors::classify;
use crate::kit::{created, delete_call, on_fresh, send_once};
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
        self.facts().diff(&d, &observed.attrs)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let vpcs = env_pages!(self.0, scope, env, describe_vpcs)?;
        Ok(observe_tagged(vpcs, env, TagDrift::Ignored, |v, o| Observed {
            attrs: Attrs::from([(
                "cidr".to_string(),
                Value::str(v.cidr_block().unwrap_or_default()),
            )]),
            ..o
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = VpcSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let found = lookup!(c.describe_vpcs(), node, vpcs);
        let vpc_id = match adopted(node, &found).and_then(Tagged::physical_id) {
            Some(id) => id.to_string(),
            None => {
                let out = send_once!(
                    aws_sdk_ec2,
                    c.create_vpc().cidr_block(&spec.cidr).tag_specifications(tag_spec(
                        ResourceType::Vpc,
                        &node.env,
                        &node.id.0
                    ))
                )?;
                made(out.vpc().and_then(|v| v.vpc_id()), "CreateVpc")?.to_string()
            }
        };
        self.dns(c, &vpc_id, &spec).await?;
        Ok(created(&vpc_id))
    }

    // The CIDR forces a replacement; DNS support and hostnames are not observed (see
    // `diff`), so an update sets both.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let (node, current) = (change.node, change.current);
        let spec = VpcSpec::from_attrs(&node.attrs)?;
        self.dns(self.0.client(&node.scope)?, &current.physical_id, &spec).await?;
        Ok(Updated::done(current.outputs.clone()))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let id = &current.physical_id;
        let c = self.0.client(scope)?;
        let r = delete_call(c.delete_vpc().vpc_id(id).send()).await;
        self.1.unless_held(scope, Held::Vpc, id, r).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let vpc = describe_one!(c.describe_vpcs().vpc_ids(check.physical_id), vpcs);
        available_or_gone(
            check.op,
            check.physical_id,
            vpc.as_ref().map(|v| v.state().map(|s| s.as_str())),
        )
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
        let on = |v: bool| Some(AttributeBooleanValue::builder().value(v).build());
        // One attribute a call (ModifyVpcAttribute takes one). The VPC may be moments old
        // (create): its id may not be visible yet.
        for (support, hostnames) in
            [(on(spec.enable_dns_support), None), (None, on(spec.enable_dns_hostnames))]
        {
            on_fresh(|| async {
                c.modify_vpc_attribute()
                    .vpc_id(vpc_id)
                    .set_enable_dns_support(support.clone())
                    .set_enable_dns_hostnames(hostnames.clone())
                    .send()
                    .await
                    .map_err(classify)
            })
            .await?;
        }
        Ok(())
    }
}
