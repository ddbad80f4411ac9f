//! CloudWatch Logs: the log groups the firewall logs to.
//!
//! DescribeLogGroups returns no tags and takes no tag filter, and the Resource Groups
//! Tagging API is not everywhere (LocalStack): observe lists the groups under
//! [`LOG_GROUP_PREFIX`] (one paginated call) and reads the tags of those alone, one
//! ListTagsForResource each. Every group airgapctl creates is named under the prefix
//! (create refuses other names), so observe finds them all, and the calls grow only
//! with airgapctl's own groups in the account and region, not with everything else
//! logging there. Groups of environments created under the earlier prefix
//! ([`LEGACY_LOG_GROUP_PREFIX`]) are listed too, one more call, so they are replaced
//! or destroyed like the rest.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::spec::{LogGroupSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, ErrorClass, Kind, KindError, Observed, Readiness,
    Registry, Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_cloudwatchlogs::types::LogGroup;

use crate::clients::PerScope;
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{all_pages, changes, delete_call, lookup, not_visible_yet, ours, presence};
use crate::tags;

pub type Logs = PerScope<aws_sdk_cloudwatchlogs::Client>;

pub use airgap_catalog::names::{LEGACY_LOG_GROUP_PREFIX, LOG_GROUP_PREFIX};

pub fn register(registry: &mut Registry, logs: &Arc<Logs>) {
    registry.register(Arc::new(LogGroupKind(Arc::clone(logs))));
}

pub struct LogGroupKind(pub Arc<Logs>);

/// The group's ARN without the `:*` DescribeLogGroups appends to `arn`.
fn arn_of(g: &LogGroup) -> Option<String> {
    g.log_group_arn()
        .map(str::to_string)
        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
}

fn outputs(name: &str, arn: &str) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(name)),
        ("name".to_string(), Value::str(name)),
        ("arn".to_string(), Value::str(arn)),
    ])
}

/// A group as observed, in the spec's shape: no retention is no value.
fn spec_of(g: &LogGroup) -> LogGroupSpec {
    LogGroupSpec {
        name: g.log_group_name().unwrap_or_default().to_string(),
        retention_days: g.retention_in_days().map(i64::from),
    }
}

/// The desired retention; 0 or absent keeps logs forever.
fn retention(spec: &LogGroupSpec) -> Option<i32> {
    spec.retention_days.filter(|d| *d > 0).and_then(|d| i32::try_from(d).ok())
}

impl LogGroupKind {
    /// Groups whose name starts with `prefix`.
    async fn groups(&self, scope: &Scope, prefix: &str) -> Result<Vec<LogGroup>, KindError> {
        all_pages!(self.0.client(scope)?.describe_log_groups().log_group_name_prefix(prefix))
    }

    /// A group's tags; None once it is gone.
    async fn tags_of(
        &self,
        scope: &Scope,
        arn: &str,
    ) -> Result<Option<HashMap<String, String>>, KindError> {
        let out =
            lookup(self.0.client(scope)?.list_tags_for_resource().resource_arn(arn).send()).await?;
        Ok(out.map(|o| o.tags().cloned().unwrap_or_default()))
    }

    /// The group named `name`, if it exists.
    async fn find(&self, scope: &Scope, name: &str) -> Result<Option<LogGroup>, KindError> {
        Ok(self.groups(scope, name).await?.into_iter().find(|g| g.log_group_name() == Some(name)))
    }

    async fn set_retention(&self, scope: &Scope, spec: &LogGroupSpec) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        match retention(spec) {
            Some(days) => {
                c.put_retention_policy()
                    .log_group_name(&spec.name)
                    .retention_in_days(days)
                    .send()
                    .await
                    .map_err(classify)?;
            }
            None => {
                c.delete_retention_policy()
                    .log_group_name(&spec.name)
                    .send()
                    .await
                    .map_err(classify)?;
            }
        }
        Ok(())
    }
}

#[async_trait]
impl Kind for LogGroupKind {
    kind_meta!(LOG_GROUP);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        // No retention is "never expire", which AWS shows as no value.
        let desired = match LogGroupSpec::from_attrs(desired) {
            Ok(mut s) => {
                s.retention_days = retention(&s).map(i64::from);
                s.to_attrs()
            }
            // Compared as they are: the update reports why they do not read.
            Err(_) => desired.clone(),
        };
        self.facts().diff(&desired, &observed.attrs)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let mut out = Vec::new();
        let mut groups = self.groups(scope, LOG_GROUP_PREFIX).await?;
        groups.extend(self.groups(scope, LEGACY_LOG_GROUP_PREFIX).await?);
        for g in groups {
            let (Some(name), Some(arn)) = (g.log_group_name(), arn_of(&g)) else {
                continue;
            };
            // No list call returns tags: one call per airgapctl group (see the module
            // doc); a group deleted between the two calls is skipped.
            let Some(t) = self.tags_of(scope, &arn).await? else {
                continue;
            };
            let Some(id) = tags::owned_id(&t, env) else {
                continue;
            };
            out.push(Observed {
                id: id.as_str().into(),
                attrs: spec_of(&g).to_attrs(),
                outputs: outputs(name, &arn),
                physical_id: arn,
                parents: vec![],
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = LogGroupSpec::from_attrs(&node.attrs)?;
        let name = &spec.name;
        if !name.starts_with(LOG_GROUP_PREFIX) {
            return Err(KindError::fatal(
                "BadLogGroupName",
                format!(
                    "log group {name:?}: airgapctl creates log groups under {LOG_GROUP_PREFIX} only"
                ),
            ));
        }
        // No client token: a group of this name may be what an interrupted create made.
        let existing = self.find(&node.scope, name).await?;
        if let Some(g) = &existing {
            let arn = arn_of(g).unwrap_or_default();
            let t = self
                .tags_of(&node.scope, &arn)
                .await?
                .ok_or_else(|| not_visible_yet(format!("log group {name} went away")))?;
            ours("LogGroupExists", &format!("log group {name}"), node, &t, &arn)?;
        } else {
            let mut req = self.0.client(&node.scope)?.create_log_group().log_group_name(name);
            for (k, v) in tags::standard(&node.env, &node.id.0) {
                req = req.tags(k, v);
            }
            match req.send().await.map_err(classify) {
                Ok(_) => {}
                // Created in the meantime: the engine retries, and the lookup decides.
                Err(e) if e.code == "ResourceAlreadyExistsException" => {
                    return Err(KindError::new(ErrorClass::Conflict, e.code, e.message));
                }
                Err(e) => return Err(e),
            }
        }
        self.set_retention(&node.scope, &spec).await?;
        let g = match existing {
            Some(g) => Some(g),
            None => self.find(&node.scope, name).await?,
        };
        let arn = g
            .as_ref()
            .and_then(arn_of)
            .ok_or_else(|| not_visible_yet(format!("log group {name} is not visible yet")))?;
        Ok(Created { outputs: outputs(name, &arn), physical_id: arn })
    }

    /// The name forces a replacement: only the retention changes in place.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        if changes(change.diff, &["retentionDays"]) {
            self.set_retention(&change.node.scope, &LogGroupSpec::from_attrs(&change.node.attrs)?)
                .await?;
        }
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let spec = LogGroupSpec::from_attrs(&current.attrs)?;
        delete_call(self.0.client(scope)?.delete_log_group().log_group_name(spec.name).send()).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let name = check
            .outputs
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| check.physical_id.split_once(":log-group:").map(|(_, n)| n.to_string()))
            .unwrap_or_default();
        let found = self.find(check.scope, &name).await?;
        presence(
            check.op,
            found,
            |g| outputs_or(&name, &g, check.physical_id),
            || not_visible_yet(format!("log group {name} is not visible yet")),
        )
    }
}

fn outputs_or(name: &str, g: &LogGroup, physical_id: &str) -> Attrs {
    outputs(name, &arn_of(g).unwrap_or_else(|| physical_id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_retention_compares_as_never_expire() {
        let k = LogGroupKind(Arc::new(Logs::new()));
        let observed = Observed {
            id: "firewall/logs/alert".into(),
            physical_id: "arn:aws:logs:r:1:log-group:/airgap/x".into(),
            attrs: LogGroupSpec { name: "/airgap/x".into(), retention_days: None }.to_attrs(),
            outputs: Attrs::new(),
            parents: vec![],
        };
        let mut desired = LogGroupSpec { name: "/airgap/x".into(), retention_days: Some(0) };
        assert!(k.diff(&desired.to_attrs(), &observed).is_empty());
        desired.retention_days = Some(30);
        let d = k.diff(&desired.to_attrs(), &observed);
        assert_eq!(d.changes.len(), 1);
        assert!(!d.requires_replacement());
        desired.name = "/airgap/y".into();
        assert!(k.diff(&desired.to_attrs(), &observed).requires_replacement());
    }
}
