//! Security groups and their ingress rules. Rules are recorded on their group as
//! `airgap:rule:<protocol>:<port>:<cidr>` tags, observed with the group.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType};

use super::{
    env_filter, filter, kind_meta, mark, retag, tag_map, tag_spec, unmark, Blockers, Ec2, Held,
};
use crate::errors::{classify, code_of};
use crate::kit::{id_out, missing_tags, s, with_tag_drift};
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
    kind_meta!("security-group");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["vpc", "description"]
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(desired, &observed.attrs, self.replace_fields()),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let groups = self
            .0
            .client(scope)?
            .describe_security_groups()
            .filters(env_filter(env))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
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
        let created = c
            .create_security_group()
            .group_name(&name)
            .description(s(&node.attrs, "description")?)
            .vpc_id(&vpc)
            .tag_specifications(tag_spec(ResourceType::SecurityGroup, &node.env, &node.id.0))
            .send()
            .await;
        let gid = match created {
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
        Ok(Created {
            outputs: id_out(&gid),
            physical_id: gid,
        })
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
        match self
            .0
            .client(scope)?
            .describe_security_groups()
            .group_ids(physical_id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(o) if !o.security_groups().is_empty() => Ok(Readiness::Pending("deleting".into())),
            Ok(_) => Ok(Readiness::Gone),
            Err(e) if e.class == ErrorClass::NotFound => Ok(Readiness::Gone),
            Err(e) => Err(e),
        }
    }
}

pub struct SecurityGroupRule(pub Arc<Ec2>);

fn port_of(attrs: &Attrs) -> Result<i32, KindError> {
    match attrs.get("port") {
        Some(Value::Int(p)) => i32::try_from(*p)
            .map_err(|_| KindError::fatal("BadAttribute", format!("port {p} out of range"))),
        other => Err(KindError::fatal(
            "BadAttribute",
            format!("port is missing or not a number: {other:?}"),
        )),
    }
}

fn rule_key(proto: &str, port: i32, cidr: &str) -> String {
    format!("{}{proto}:{port}:{cidr}", tags::RULE_MARK)
}

fn permission(proto: &str, port: i32, cidr: &str) -> IpPermission {
    IpPermission::builder()
        .ip_protocol(proto)
        .from_port(port)
        .to_port(port)
        .ip_ranges(IpRange::builder().cidr_ip(cidr).build())
        .build()
}

#[async_trait]
impl Kind for SecurityGroupRule {
    kind_meta!("security-group-rule");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["group", "protocol", "port", "cidr"]
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let groups = self
            .0
            .client(scope)?
            .describe_security_groups()
            .filters(env_filter(env))
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        let mut out = Vec::new();
        for g in groups {
            let t = tag_map(g.tags());
            if tags::owned_id(&t, env).is_none() {
                continue;
            }
            let gid = g.group_id().unwrap_or_default();
            for p in g.ip_permissions() {
                let (Some(proto), Some(from)) = (p.ip_protocol(), p.from_port()) else {
                    continue;
                };
                for r in p.ip_ranges() {
                    let Some(cidr) = r.cidr_ip() else { continue };
                    let Some(id) = t.get(&rule_key(proto, from, cidr)) else {
                        continue;
                    };
                    out.push(Observed {
                        id: id.as_str().into(),
                        physical_id: format!("{gid}_ingress_{proto}_{from}_{cidr}"),
                        attrs: Attrs::from([
                            ("group".to_string(), Value::str(gid)),
                            ("protocol".to_string(), Value::str(proto)),
                            ("port".to_string(), Value::Int(i64::from(from))),
                            ("cidr".to_string(), Value::str(cidr)),
                        ]),
                        outputs: Attrs::new(),
                        parents: vec![gid.to_string()],
                    });
                }
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let (gid, proto, cidr) = (
            s(&node.attrs, "group")?,
            s(&node.attrs, "protocol")?,
            s(&node.attrs, "cidr")?,
        );
        let port = port_of(&node.attrs)?;
        match c
            .authorize_security_group_ingress()
            .group_id(&gid)
            .ip_permissions(permission(&proto, port, &cidr))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code_of(&e) == Some("InvalidPermission.Duplicate") => {}
            Err(e) => return Err(classify(e)),
        }
        mark(c, &gid, &rule_key(&proto, port, &cidr), &node.id.0).await?;
        Ok(Created {
            physical_id: format!("{gid}_ingress_{proto}_{port}_{cidr}"),
            outputs: Attrs::new(),
        })
    }

    async fn update(
        &self,
        _node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let a = &current.attrs;
        let (gid, proto, cidr) = (s(a, "group")?, s(a, "protocol")?, s(a, "cidr")?);
        let port = port_of(a)?;
        match c
            .revoke_security_group_ingress()
            .group_id(&gid)
            .ip_permissions(permission(&proto, port, &cidr))
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code_of(&e) == Some("InvalidPermission.NotFound") => {}
            Err(e) => match classify(e) {
                e if e.class == ErrorClass::NotFound => {}
                e => return Err(e),
            },
        }
        unmark(c, &gid, &rule_key(&proto, port, &cidr)).await
    }

    async fn ready(
        &self,
        _scope: &Scope,
        op: Op,
        _physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        Ok(match op {
            Op::Delete => Readiness::Gone,
            _ => Readiness::Ready(outputs.clone()),
        })
    }
}
