//! The Network Firewall policy kind (`nfw-policy`): default actions, rule order and the
//! stateful rule groups in priority order.

use std::sync::Arc;

use airgap_catalog::spec::{Id, NfwPolicySpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, Kind, KindError, Observed, Readiness, Resolved, Scope,
    Updated,
};
use async_trait::async_trait;
use aws_sdk_networkfirewall::types::{
    FirewallPolicy, ResourceStatus, RuleOrder, StatefulEngineOptions, StatefulRuleGroupReference,
};

use super::{
    adopt, arn_created, arn_out, build_err, candidates, nfw_tags, observed, ready_from_status,
    resource_name, status_str, tag_map, update_with_token, Nfw,
};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{all_pages, delete_call, lookup, made, set_of, with_tag_drift};

/// The firewall policy: stateless default (forward to the stateful engine), rule order,
/// stateful default actions (strict order only) and the stateful rule groups in
/// priority order (100, 200, ...).
pub struct NfwPolicy(pub Arc<Nfw>);

fn policy_body(s: &NfwPolicySpec) -> Result<FirewallPolicy, KindError> {
    let order = s.rule_order.as_deref().unwrap_or("DEFAULT_ACTION_ORDER");
    let strict = order == "STRICT_ORDER";
    let refs = s
        .rule_groups
        .iter()
        .enumerate()
        .map(|(i, arn)| {
            let mut r = StatefulRuleGroupReference::builder().resource_arn(arn.get()?);
            if strict {
                r = r.priority(i32::try_from(i + 1).unwrap_or(i32::MAX / 100) * 100);
            }
            r.build().map_err(build_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let defaults = s.stateful_default.clone();
    FirewallPolicy::builder()
        .stateless_default_actions(s.stateless_default.clone())
        .stateless_fragment_default_actions(s.stateless_default.clone())
        .set_stateful_rule_group_references((!refs.is_empty()).then_some(refs))
        .set_stateful_default_actions((strict && !defaults.is_empty()).then_some(defaults))
        .stateful_engine_options(
            StatefulEngineOptions::builder().rule_order(RuleOrder::from(order)).build(),
        )
        .build()
        .map_err(build_err)
}

/// A policy as observed, in the spec's shape: the rule groups in priority order.
pub(crate) fn policy_spec(p: &FirewallPolicy) -> NfwPolicySpec {
    let mut refs: Vec<_> = p.stateful_rule_group_references().iter().collect();
    refs.sort_by_key(|r| r.priority().unwrap_or(i32::MAX));
    NfwPolicySpec {
        rule_groups: refs.iter().map(|r| Id::from(r.resource_arn())).collect(),
        rule_order: Some(
            p.stateful_engine_options()
                .and_then(|o| o.rule_order())
                .map_or("DEFAULT_ACTION_ORDER", |o| o.as_str())
                .to_string(),
        ),
        stateless_default: p.stateless_default_actions().join(","),
        stateless_fragment_default: Some(p.stateless_fragment_default_actions().join(",")),
        stateful_default: set_of(p.stateful_default_actions()),
    }
}

/// The desired spec in observe's form: fragments get the stateless default too.
fn policy_comparable(mut s: NfwPolicySpec) -> NfwPolicySpec {
    s.stateful_default = set_of(&s.stateful_default);
    s.stateless_fragment_default = Some(s.stateless_default.clone());
    s
}

#[async_trait]
impl Kind for NfwPolicy {
    kind_meta!(NFW_POLICY);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        // Attributes that are not a policy's spec are compared as they are: the update
        // then reports why they do not read.
        let desired = NfwPolicySpec::from_attrs(desired)
            .map_or_else(|_| desired.clone(), |s| policy_comparable(s).to_attrs());
        with_tag_drift(self.facts().diff(&desired, &observed.attrs), observed)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let listed = all_pages!(c.list_firewall_policies())?;
        let mut out = Vec::new();
        for (name, arn) in candidates(env, listed.iter().map(|m| (m.name(), m.arn()))) {
            // No list returns tags or the policy: one Describe per candidate.
            let Some(d) =
                lookup(c.describe_firewall_policy().firewall_policy_arn(&arn).send()).await?
            else {
                continue;
            };
            let (Some(resp), Some(body)) = (d.firewall_policy_response(), d.firewall_policy())
            else {
                continue;
            };
            if resp.firewall_policy_status() == Some(&ResourceStatus::Deleting) {
                continue;
            }
            let parents = body
                .stateful_rule_group_references()
                .iter()
                .map(|r| r.resource_arn().to_string())
                .collect();
            out.extend(observed(
                env,
                &tag_map(resp.tags()),
                &arn,
                policy_spec(body).to_attrs(),
                arn_out(&arn, &name),
                parents,
            ));
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = NfwPolicySpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let name = resource_name(node);
        let existing =
            lookup(c.describe_firewall_policy().firewall_policy_name(&name).send()).await?;
        if let Some(resp) = existing.as_ref().and_then(|d| d.firewall_policy_response()) {
            return adopt(
                "firewall policy",
                &name,
                node,
                &tag_map(resp.tags()),
                resp.firewall_policy_arn(),
            );
        }
        let out = c
            .create_firewall_policy()
            .firewall_policy_name(&name)
            .firewall_policy(policy_body(&spec)?)
            .set_tags(Some(nfw_tags(&node.env, &node.id.0)?))
            .send()
            .await
            .map_err(classify)?;
        let arn = out.firewall_policy_response().map(|r| r.firewall_policy_arn());
        Ok(arn_created(made(arn, "CreateFirewallPolicy")?, &name))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let body = policy_body(&NfwPolicySpec::from_attrs(&change.node.attrs)?)?;
        let c = self.0.client(&change.node.scope)?;
        let arn = &change.current.physical_id;
        update_with_token(
            c,
            change,
            c.describe_firewall_policy().firewall_policy_arn(arn).send(),
            |d| d.update_token(),
            |token| {
                c.update_firewall_policy()
                    .firewall_policy_arn(arn)
                    .update_token(token)
                    .firewall_policy(body)
                    .send()
            },
        )
        .await
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_firewall_policy()
                .firewall_policy_arn(&current.physical_id)
                .send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let d = lookup(
            self.0
                .client(check.scope)?
                .describe_firewall_policy()
                .firewall_policy_arn(check.physical_id)
                .send(),
        )
        .await?;
        let status = d.map(|d| {
            status_str(d.firewall_policy_response().and_then(|r| r.firewall_policy_status()))
        });
        ready_from_status(check.op, status, check.physical_id, check.outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nfw::tests::observed;

    #[test]
    fn policies_compare_default_actions_as_sets_and_groups_in_order() {
        let k = NfwPolicy(Arc::new(Nfw::new()));
        let spec = |groups: &[&str]| NfwPolicySpec {
            rule_groups: groups.iter().map(|g| Id::from(*g)).collect(),
            rule_order: Some("STRICT_ORDER".into()),
            stateless_default: "aws:forward_to_sfe".into(),
            stateless_fragment_default: None,
            stateful_default: vec!["aws:drop_established".into(), "aws:alert_established".into()],
        };
        let desired = |groups: &[&str]| spec(groups).to_attrs();
        let body = policy_body(&spec(&["arn:a", "arn:b"])).unwrap();
        let refs = body.stateful_rule_group_references();
        assert_eq!(refs.iter().map(|r| r.priority()).collect::<Vec<_>>(), [Some(100), Some(200)]);
        let seen = observed(policy_spec(&body).to_attrs());
        assert!(k.diff(&desired(&["arn:a", "arn:b"]), &seen).is_empty());
        let d = k.diff(&desired(&["arn:b", "arn:a"]), &seen);
        assert_eq!(d.changes.len(), 1);
        assert!(!d.requires_replacement());
    }
}
