//! The security group kind (`security-group`).

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::ResourceType;

use crate::ec2::{env_filter, filter, kind_meta, retag, tag_map, tag_spec, Blockers, Ec2, Held};
use crate::errors::{classify, code_of};
use crate::kit::{all_pages, created, delete_progress, id_out, missing_tags, s, with_tag_drift};
use crate::tags;

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

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(desired, &observed.attrs, self.facts().replace_fields),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let groups = all_pages!(self
            .0
            .client(scope)?
            .describe_security_groups()
            .filters(env_filter(env)))?;
        Ok(groups
            .into_iter()
            .filter_map(|g| {
                let t = tag_map(g.tags());
                let id = tags::owned_id(&t, env)?;
                let gid = g.group_id()?.to_string();
                let vpc = g.vpc_id().unwrap_or_default().to_string();
                let mut attrs = Attrs::from([
                    ("vpc".to_string(), Value::str(vpc.as_str())),
                    (
                        "description".to_string(),
                        Value::str(g.description().unwrap_or_default()),
                    ),
                ]);
                attrs.extend(missing_tags(&t, env, &id));
                Some(Observed {
                    id: id.as_str().into(),
                    attrs,
                    outputs: id_out(&gid),
                    physical_id: gid,
                    parents: vec![vpc],
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let vpc = s(&node.attrs, "vpc")?;
        let name = group_name(&node.env, &node.id.0);
        let made = c
            .create_security_group()
            .group_name(&name)
            .description(s(&node.attrs, "description")?)
            .vpc_id(&vpc)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, &node.env, &node.id.0))
            .send()
            .await;
        let gid = match made {
            Ok(o) => o.group_id().unwrap_or_default().to_string(),
            // The name is our idempotency key: an interrupted run made it already.
            Err(e) if code_of(&e) == Some("InvalidGroup.Duplicate") => {
                let found = c
                    .describe_security_groups()
                    .filters(filter("vpc-id", [vpc.as_str()]))
                    .filters(filter("group-name", [name.as_str()]))
                    .send()
                    .await
                    .map_err(classify)?;
                found
                    .security_groups()
                    .first()
                    .and_then(|g| g.group_id())
                    .ok_or_else(|| classify(e))?
                    .to_string()
            }
            Err(e) => return Err(classify(e)),
        };
        Ok(created(&gid))
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        retag(
            self.0.client(&node.scope)?,
            diff,
            &current.physical_id,
            &node.env,
            &node.id.0,
        )
        .await?;
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        match self
            .0
            .client(scope)?
            .delete_security_group()
            .group_id(&current.physical_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => match classify(e) {
                e if e.class == ErrorClass::NotFound => Ok(()),
                e if e.class == ErrorClass::DependencyViolation => Err(self
                    .1
                    .clear(scope, Held::SecurityGroup, &current.physical_id, e)
                    .await),
                e => Err(e),
            },
        }
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
            .describe_security_groups()
            .group_ids(physical_id)
            .send()
            .await
            .map_err(classify);
        delete_progress(r, |o| !o.security_groups().is_empty(), "deleting")
    }
}
