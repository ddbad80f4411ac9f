//! The internet gateway kind (`internet-gateway`), attached to its VPC.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, Kind, KindError, Observed, Op, Readiness, Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use crate::ec2::{
    adoptable, env_filter, kind_meta, not_visible, owned_filters, tag_map, tag_spec, Ec2,
};
use crate::errors::{classify, code_of, found, gone_is_ok};
use crate::kit::{all_pages, created, delete_call, id_out, presence};
use crate::tags;
use airgap_catalog::spec::{InternetGatewaySpec, Spec};

pub struct InternetGateway(pub Arc<Ec2>);

#[async_trait]
impl Kind for InternetGateway {
    kind_meta!(INTERNET_GATEWAY);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let igws = all_pages!(self
            .0
            .client(scope)?
            .describe_internet_gateways()
            .filters(env_filter(env)))?;
        Ok(igws
            .into_iter()
            .filter_map(|g| {
                let id = tags::owned_id(&tag_map(g.tags()), env)?;
                let igw_id = g.internet_gateway_id()?.to_string();
                let vpc = g
                    .attachments()
                    .iter()
                    .find_map(|a| a.vpc_id())
                    .map(str::to_string);
                let mut attrs = Attrs::new();
                if let Some(v) = &vpc {
                    attrs.insert("vpc".into(), Value::str(v.as_str()));
                }
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: id_out(&igw_id),
                    physical_id: igw_id,
                    parents: vpc.into_iter().collect(),
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = InternetGatewaySpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let existing = c
            .describe_internet_gateways()
            .set_filters(Some(owned_filters(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(classify)?;
        let found = adoptable(
            existing.internet_gateways(),
            node,
            |g| g.tags(),
            |g| g.internet_gateway_id(),
        );
        let (igw_id, attached) = match found {
            Some((g, id)) => (id.to_string(), !g.attachments().is_empty()),
            None => {
                let out = c
                    .create_internet_gateway()
                    .tag_specifications(tag_spec(
                        ResourceType::InternetGateway,
                        &node.env,
                        &node.id.0,
                    ))
                    .send()
                    .await
                    .map_err(classify)?;
                let id = out
                    .internet_gateway()
                    .and_then(|g| g.internet_gateway_id())
                    .ok_or_else(|| {
                        KindError::fatal("NoId", "CreateInternetGateway returned no id")
                    })?
                    .to_string();
                (id, false)
            }
        };
        if !attached {
            self.attach(c, &igw_id, spec.vpc.get()?).await?;
        }
        Ok(created(&igw_id))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        if let Some(old) = current.attrs.get("vpc").and_then(Value::as_str) {
            detach(c, &current.physical_id, old).await?;
        }
        let spec = InternetGatewaySpec::from_attrs(&node.attrs)?;
        self.attach(c, &current.physical_id, spec.vpc.get()?)
            .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        if let Some(vpc) = current.attrs.get("vpc").and_then(Value::as_str) {
            detach(c, &current.physical_id, vpc).await?;
        }
        delete_call(
            c.delete_internet_gateway()
                .internet_gateway_id(&current.physical_id)
                .send(),
        )
        .await
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
            .describe_internet_gateways()
            .internet_gateway_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        let igw = found(r)?.filter(|o| !o.internet_gateways().is_empty());
        presence(
            op,
            igw,
            |_| id_out(physical_id),
            || not_visible(physical_id),
        )
    }
}

impl InternetGateway {
    async fn attach(&self, c: &aws_sdk_ec2::Client, igw: &str, vpc: &str) -> Result<(), KindError> {
        match c
            .attach_internet_gateway()
            .internet_gateway_id(igw)
            .vpc_id(vpc)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // A retried attach after one that went through.
            Err(e) if code_of(&e) == Some("Resource.AlreadyAssociated") => Ok(()),
            Err(e) => Err(classify(e)),
        }
    }
}

async fn detach(c: &aws_sdk_ec2::Client, igw: &str, vpc: &str) -> Result<(), KindError> {
    match c
        .detach_internet_gateway()
        .internet_gateway_id(igw)
        .vpc_id(vpc)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if code_of(&e) == Some("Gateway.NotAttached") => Ok(()),
        Err(e) => gone_is_ok(Err::<(), _>(classify(e))),
    }
}
