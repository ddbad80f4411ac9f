//! The security group ingress rule kind (`security-group-rule`), recorded on its group
//! as `airgap:rule:<protocol>:<port>:<cidr>`.

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange};

use crate::ec2::{env_pages, kind_meta, mark_made, marked, parents_of_env, unmark_removed, Ec2};
use crate::kit::{settled, unless_done};
use crate::tags;
use airgap_catalog::spec::{SecurityGroupRuleSpec, Spec};

pub struct SecurityGroupRule(pub Arc<Ec2>);

/// The rule's mark on its group.
fn rule_key(r: &SecurityGroupRuleSpec) -> String {
    format!("{}{}:{}:{}", tags::RULE_MARK, r.protocol, r.port, r.cidr)
}

/// Its physical id: the group's, the direction and the permission.
fn rule_id(r: &SecurityGroupRuleSpec) -> Result<String, KindError> {
    Ok(format!("{}_ingress_{}_{}_{}", r.group.get()?, r.protocol, r.port, r.cidr))
}

fn permission(r: &SecurityGroupRuleSpec) -> IpPermission {
    IpPermission::builder()
        .ip_protocol(&r.protocol)
        .from_port(r.port)
        .to_port(r.port)
        .ip_ranges(IpRange::builder().cidr_ip(&r.cidr).build())
        .build()
}

#[async_trait]
impl Kind for SecurityGroupRule {
    kind_meta!(SECURITY_GROUP_RULE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let groups = env_pages!(self.0, scope, env, describe_security_groups)?;
        let mut out = Vec::new();
        for (g, t) in parents_of_env(groups, env) {
            let gid = g.group_id().unwrap_or_default();
            for p in g.ip_permissions() {
                let (Some(proto), Some(from)) = (p.ip_protocol(), p.from_port()) else {
                    continue;
                };
                out.extend(p.ip_ranges().iter().filter_map(|r| {
                    let rule = SecurityGroupRuleSpec {
                        group: gid.into(),
                        protocol: proto.to_string(),
                        port: from,
                        cidr: r.cidr_ip()?.to_string(),
                    };
                    let id = rule_id(&rule).ok()?;
                    marked(&t, &rule_key(&rule), id, rule.to_attrs(), vec![gid.into()])
                }));
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let rule = SecurityGroupRuleSpec::from_attrs(&node.attrs)?;
        let gid = rule.group.get()?;
        let r = c
            .authorize_security_group_ingress()
            .group_id(gid)
            .ip_permissions(permission(&rule))
            .send()
            .await;
        unless_done(r, &["InvalidPermission.Duplicate"])?;
        mark_made(c, gid, &rule_key(&rule), node, rule_id(&rule)?).await
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(Updated::done(change.current.outputs.clone()))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let rule = SecurityGroupRuleSpec::from_attrs(&current.attrs)?;
        let gid = rule.group.get()?;
        let r = c
            .revoke_security_group_ingress()
            .group_id(gid)
            .ip_permissions(permission(&rule))
            .send()
            .await;
        let revoked = unless_done(r, &["InvalidPermission.NotFound"]);
        unmark_removed(c, revoked, gid, &rule_key(&rule)).await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        Ok(settled(check.op, check.outputs))
    }
}
