//! The `target-group` kind: an IP target group (TCP) for the load balancer of a
//! privateLink service. Its targets are the workload's (AWS Load Balancer Controller's
//! TargetGroupBinding registers pods), never read or changed here.
//!
//! API rules followed (Elastic Load Balancing API Reference):
//! - CreateTargetGroup is idempotent by name: "If you attempt to create multiple target
//!   groups with the same settings, each call succeeds" and returns the one group; the
//!   same name with other settings is DuplicateTargetGroupName. A retried create
//!   therefore gets the group its lost first try made. The standard tags go in the same
//!   call (`Tags`).
//! - DescribeTargetGroups lists every group of the account without tags; DescribeTags
//!   reads them, 20 ARNs a call.
//! - DeleteTargetGroup refuses a group a listener forwards to (ResourceInUse): the
//!   listener's load balancer is deleted first (graph order); a refusal is waited out.

use std::sync::Arc;

use airgap_catalog::spec::{Spec, TargetGroupSpec};
use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Readiness, Resolved,
    Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, TargetGroup as Group, TargetTypeEnum};

use super::{create_failed, elb_tag_list, owned_arns};
use crate::ec2::{kind_meta, Elb};
use crate::errors::{classify, code_of};
use crate::kit::{all_pages, delete_call, usable_until_deleted};

pub struct TargetGroup(pub Arc<Elb>);

fn outputs(arn: &str) -> Attrs {
    Attrs::from([("id".to_string(), Value::str(arn)), ("arn".to_string(), Value::str(arn))])
}

fn spec_of(g: &Group) -> TargetGroupSpec {
    TargetGroupSpec {
        name: g.target_group_name().unwrap_or_default().to_string(),
        protocol: g.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
        port: g.port().unwrap_or_default(),
        vpc: g.vpc_id().unwrap_or_default().into(),
        target_type: g.target_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
    }
}

#[async_trait]
impl Kind for TargetGroup {
    kind_meta!(TARGET_GROUP);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let all: Vec<Group> = all_pages!(c.describe_target_groups())?;
        let arns = all.iter().filter_map(|g| g.target_group_arn().map(str::to_string)).collect();
        let owned = owned_arns(c, env, arns).await?;
        Ok(owned
            .into_iter()
            .filter_map(|(id, arn)| {
                let g = all.iter().find(|g| g.target_group_arn() == Some(arn.as_str()))?;
                Some(Observed {
                    id: id.as_str().into(),
                    attrs: spec_of(g).to_attrs(),
                    outputs: outputs(&arn),
                    physical_id: arn.clone(),
                    parents: g.vpc_id().into_iter().map(str::to_string).collect(),
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = TargetGroupSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let made = c
            .create_target_group()
            .name(&spec.name)
            .protocol(ProtocolEnum::from(spec.protocol.as_str()))
            .port(spec.port)
            .vpc_id(spec.vpc.get()?)
            .target_type(TargetTypeEnum::from(spec.target_type.as_str()))
            .set_tags(Some(elb_tag_list(&node.env, &node.id.0)))
            .send()
            .await
            .map_err(|e| {
                create_failed(e, "DuplicateTargetGroupName", "a target group", &spec.name, node)
            })?;
        let arn = made
            .target_groups()
            .first()
            .and_then(|g| g.target_group_arn())
            .ok_or_else(|| KindError::fatal("NoTargetGroup", "CreateTargetGroup returned none"))?
            .to_string();
        Ok(Created { physical_id: arn.clone(), outputs: outputs(&arn) })
    }

    /// Nothing of the spec changes in place (catalogue `replace_fields`).
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let r = c.delete_target_group().target_group_arn(&current.physical_id).send().await;
        match r {
            Err(e) if code_of(&e) == Some("ResourceInUse") => {
                let e = classify(e);
                Err(KindError::new(ErrorClass::Conflict, e.code, e.message))
            }
            r => delete_call(async { r }).await,
        }
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let describe = c.describe_target_groups().target_group_arns(check.physical_id).send();
        usable_until_deleted(&check, describe, |o| !o.target_groups().is_empty(), "deleting").await
    }
}
