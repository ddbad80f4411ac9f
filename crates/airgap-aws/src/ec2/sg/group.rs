//! The security group kind (`security-group`).

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use crate::ec2::{
    diff_with_tag_drift, env_pages, filter, kind_meta, observe_tagged, tag_spec, Blockers, Ec2,
    Held, TagDrift,
};
use crate::errors::classify;
use crate::kit::{created, delete_call, unless_done, usable_until_deleted};
use airgap_catalog::spec::{SecurityGroupSpec, Spec};

pub struct SecurityGroup(pub Arc<Ec2>, pub Arc<Blockers>);

/// Group names are unique per VPC and cannot change: derive one from env and node.
fn group_name(env: &str, id: &str) -> String {
    let mut n = format!("airgap-{env}-{}", id.replace('/', "-"));
    n.truncate(255);
    n
}

#[async_trait]
impl Kind for SecurityGroup {
    kind_meta!(SECURITY_GROUP);

    diff_with_tag_drift!();

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let groups = env_pages!(self.0, scope, env, describe_security_groups)?;
        Ok(observe_tagged(groups, env, TagDrift::Shown, |g, o| {
            let vpc = g.vpc_id().unwrap_or_default().to_string();
            let spec = SecurityGroupSpec {
                vpc: vpc.as_str().into(),
                description: g.description().unwrap_or_default().to_string(),
            };
            Observed { attrs: spec.to_attrs(), parents: vec![vpc], ..o }
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = SecurityGroupSpec::from_attrs(&node.attrs)?;
        let vpc = spec.vpc.get()?;
        let name = group_name(&node.env, &node.id.0);
        let made = c
            .create_security_group()
            .group_name(&name)
            .description(&spec.description)
            .vpc_id(vpc)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, &node.env, &node.id.0))
            .send()
            .await;
        // The name is our idempotency key: a duplicate is what an interrupted run made.
        if let Some(o) = unless_done(made, &["InvalidGroup.Duplicate"])? {
            return Ok(created(o.group_id().unwrap_or_default()));
        }
        let found = c
            .describe_security_groups()
            .filters(filter("vpc-id", [vpc]))
            .filters(filter("group-name", [name.as_str()]))
            .send()
            .await
            .map_err(classify)?;
        let gid = found.security_groups().first().and_then(|g| g.group_id());
        gid.map(created).ok_or_else(|| {
            KindError::fatal(
                "InvalidGroup.Duplicate",
                format!("group {name} exists in {vpc} but is not visible"),
            )
        })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        crate::ec2::retag_only(&self.0, change).await
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let id = &current.physical_id;
        let c = self.0.client(scope)?;
        let r = delete_call(c.delete_security_group().group_id(id).send()).await;
        self.1.unless_held(scope, Held::SecurityGroup, id, r).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let describe = c.describe_security_groups().group_ids(check.physical_id).send();
        usable_until_deleted(&check, describe, |o| !o.security_groups().is_empty(), "deleting")
            .await
    }
}
