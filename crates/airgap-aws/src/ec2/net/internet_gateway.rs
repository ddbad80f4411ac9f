//! The internet gateway kind (`internet-gateway`), attached to its VPC.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use crate::ec2::{
    adopted, describe_one, env_pages, kind_meta, lookup, made, not_visible, observe_tagged,
    tag_spec, Ec2, TagDrift,
};
use crate::errors::gone_is_ok;
use crate::kit::{created, delete_call, id_out, on_fresh, presence, send_once, unless_done};
use airgap_catalog::spec::{InternetGatewaySpec, Spec};

pub struct InternetGateway(pub Arc<Ec2>);

#[async_trait]
impl Kind for InternetGateway {
    kind_meta!(INTERNET_GATEWAY);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let igws = env_pages!(self.0, scope, env, describe_internet_gateways)?;
        Ok(observe_tagged(igws, env, TagDrift::Ignored, |g, o| {
            // A detached gateway has no VPC to compare: its attachment is the drift.
            let vpc = g.attachments().iter().find_map(|a| a.vpc_id());
            Observed {
                attrs: vpc
                    .map_or_else(Attrs::new, |v| InternetGatewaySpec { vpc: v.into() }.to_attrs()),
                parents: vpc.into_iter().map(str::to_string).collect(),
                ..o
            }
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = InternetGatewaySpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let found = lookup!(c.describe_internet_gateways(), node, internet_gateways);
        let (igw_id, attached) = match adopted(node, &found) {
            Some(g) => (
                g.internet_gateway_id().unwrap_or_default().to_string(),
                !g.attachments().is_empty(),
            ),
            None => {
                let out = send_once!(
                    aws_sdk_ec2,
                    c.create_internet_gateway().tag_specifications(tag_spec(
                        ResourceType::InternetGateway,
                        &node.env,
                        &node.id.0,
                    ))
                )?;
                let g = out.internet_gateway();
                let id = made(g.and_then(|g| g.internet_gateway_id()), "CreateInternetGateway")?;
                (id.to_string(), false)
            }
        };
        if !attached {
            attach(c, &igw_id, spec.vpc.get()?).await?;
        }
        Ok(created(&igw_id))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let (node, current) = (change.node, change.current);
        let c = self.0.client(&node.scope)?;
        if let Some(old) = current.attrs.get("vpc").and_then(Value::as_str) {
            detach(c, &current.physical_id, old).await?;
        }
        let spec = InternetGatewaySpec::from_attrs(&node.attrs)?;
        attach(c, &current.physical_id, spec.vpc.get()?).await?;
        Ok(Updated::done(current.outputs.clone()))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        if let Some(vpc) = current.attrs.get("vpc").and_then(Value::as_str) {
            detach(c, &current.physical_id, vpc).await?;
        }
        delete_call(c.delete_internet_gateway().internet_gateway_id(&current.physical_id).send())
            .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let igw = describe_one!(
            c.describe_internet_gateways().internet_gateway_ids(check.physical_id),
            internet_gateways
        );
        presence(check.op, igw, |_| id_out(check.physical_id), || not_visible(check.physical_id))
    }
}

/// Attaches the gateway to its VPC; a retried attach after one that went through is done.
/// The gateway (and the VPC) may be moments old: their ids may not be visible yet.
async fn attach(c: &aws_sdk_ec2::Client, igw: &str, vpc: &str) -> Result<(), KindError> {
    on_fresh(|| async {
        let r = c.attach_internet_gateway().internet_gateway_id(igw).vpc_id(vpc).send().await;
        unless_done(r, &["Resource.AlreadyAssociated"]).map(drop)
    })
    .await
}

/// Detaches the gateway from its VPC; not attached (any more), or gone, is done.
async fn detach(c: &aws_sdk_ec2::Client, igw: &str, vpc: &str) -> Result<(), KindError> {
    let r = c.detach_internet_gateway().internet_gateway_id(igw).vpc_id(vpc).send().await;
    gone_is_ok(unless_done(r, &["Gateway.NotAttached"]))
}
