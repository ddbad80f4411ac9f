//! The security group ingress rule kind (`security-group-rule`). Rules are tagged
//! resources of their own (`security-group-rule`, ids `sgr-...`): each is tagged in the
//! AuthorizeSecurityGroupIngress call that makes it and observed with one
//! DescribeSecurityGroupRules by the env tag, so a group's tags do not grow with the
//! VPCs its rules admit, and rules made outside airgapctl are left alone.

use std::sync::Arc;

use airgap_engine::{
    Change, Check, Created, Kind, KindError, Observed, Readiness, Resolved, Scope, Updated,
};
use async_trait::async_trait;
use aws_sdk_ec2::types::{IpPermission, IpRange, ResourceType};

use crate::ec2::{
    env_pages, filter, kind_meta, observe_tagged, tag_spec, tag_standard, Ec2, TagDrift,
};
use crate::errors::{classify, gone_is_ok};
use crate::kit::{id_out, settled, unless_done};
use airgap_catalog::spec::{SecurityGroupRuleSpec, Spec};

pub struct SecurityGroupRule(pub Arc<Ec2>);

fn permission(r: &SecurityGroupRuleSpec) -> IpPermission {
    IpPermission::builder()
        .ip_protocol(&r.protocol)
        .from_port(r.port)
        .to_port(r.port)
        .ip_ranges(IpRange::builder().cidr_ip(&r.cidr).build())
        .build()
}

/// The spec of an ingress rule to an IPv4 range; None for the other rules.
fn spec_of(r: &aws_sdk_ec2::types::SecurityGroupRule) -> Option<SecurityGroupRuleSpec> {
    if r.is_egress() == Some(true) {
        return None;
    }
    Some(SecurityGroupRuleSpec {
        group: r.group_id()?.into(),
        protocol: r.ip_protocol()?.to_string(),
        port: r.from_port()?,
        cidr: r.cidr_ipv4()?.to_string(),
    })
}

#[async_trait]
impl Kind for SecurityGroupRule {
    kind_meta!(SECURITY_GROUP_RULE);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let rules = env_pages!(self.0, scope, env, describe_security_group_rules)?;
        let ingress = rules.iter().filter(|r| spec_of(r).is_some());
        Ok(observe_tagged(ingress, env, TagDrift::Ignored, |r, mut o| {
            if let Some(spec) = spec_of(r) {
                o.parents = vec![spec.group.get().unwrap_or_default().to_string()];
                o.attrs = spec.to_attrs();
            }
            o
        }))
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let rule = SecurityGroupRuleSpec::from_attrs(&node.attrs)?;
        let gid = rule.group.get()?;
        let r = c
            .authorize_security_group_ingress()
            .group_id(gid)
            .ip_permissions(permission(&rule))
            .tag_specifications(tag_spec(ResourceType::SecurityGroupRule, &node.env, &node.id.0))
            .send()
            .await;
        if let Some(made) = unless_done(r, &["InvalidPermission.Duplicate"])? {
            if let Some(id) =
                made.security_group_rules().iter().find_map(|r| r.security_group_rule_id())
            {
                return Ok(Created { physical_id: id.to_string(), outputs: id_out(id) });
            }
        }
        // There already (made outside airgapctl, or before rules were tagged): adopt it by
        // tagging it, so the next plan finds it.
        let id = existing(c, &rule).await?;
        tag_standard(c, &id, &node.env, &node.id.0).await?;
        Ok(Created { physical_id: id.clone(), outputs: id_out(&id) })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        Ok(change.done())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = self.0.client(scope)?;
        let rule = SecurityGroupRuleSpec::from_attrs(&current.attrs)?;
        let r = c
            .revoke_security_group_ingress()
            .group_id(rule.group.get()?)
            .ip_permissions(permission(&rule))
            .send()
            .await;
        gone_is_ok(unless_done(r, &["InvalidPermission.NotFound"]))
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        Ok(settled(check.op, check.outputs))
    }
}

/// The id of the group's existing rule that matches `rule`.
async fn existing(
    c: &aws_sdk_ec2::Client,
    rule: &SecurityGroupRuleSpec,
) -> Result<String, KindError> {
    let gid = rule.group.get()?;
    let found = c
        .describe_security_group_rules()
        .filters(filter("group-id", [gid]))
        .send()
        .await
        .map_err(classify)?;
    found
        .security_group_rules()
        .iter()
        .find(|r| spec_of(r).as_ref() == Some(rule))
        .and_then(|r| r.security_group_rule_id())
        .map(str::to_string)
        .ok_or_else(|| {
            KindError::fatal(
                "InvalidPermission.Duplicate",
                format!(
                    "{gid} has the rule {}:{} from {}, yet no rule id matches it",
                    rule.protocol, rule.port, rule.cidr
                ),
            )
        })
}
