//! The Network Firewall policy kind (`nfw-policy`): default actions, rule order and the
//! stateful rule groups in priority order.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_networkfirewall::types::{
    FirewallPolicy, ResourceStatus, RuleOrder, StatefulEngineOptions, StatefulRuleGroupReference,
};

use super::{
    arn_out, build_err, name_prefix, nfw_tags, not_ours, ready_from_status, resource_name, retag,
    status_str, tag_map, Nfw,
};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{
    all_pages, delete_call, id_set, list, missing_tags, opt_s, s, sorted_lists, with_tag_drift,
};
use crate::tags;

/// The firewall policy: stateless default (forward to the stateful engine), rule order,
/// stateful default actions (strict order only) and the stateful rule groups in
/// priority order (100, 200, ...).
pub struct NfwPolicy(pub Arc<Nfw>);

fn policy_body(a: &Attrs) -> Result<FirewallPolicy, KindError> {
    let stateless = s(a, "statelessDefault")?;
    let order = opt_s(a, "ruleOrder").unwrap_or_else(|| "DEFAULT_ACTION_ORDER".into());
    let strict = order == "STRICT_ORDER";
    let refs = list(a, "ruleGroups")?
        .into_iter()
        .enumerate()
        .map(|(i, arn)| {
            let mut r = StatefulRuleGroupReference::builder().resource_arn(arn);
            if strict {
                r = r.priority(i32::try_from(i + 1).unwrap_or(i32::MAX / 100) * 100);
            }
            r.build().map_err(build_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let defaults = list(a, "statefulDefault")?;
    FirewallPolicy::builder()
        .stateless_default_actions(stateless.clone())
        .stateless_fragment_default_actions(stateless)
        .set_stateful_rule_group_references((!refs.is_empty()).then_some(refs))
        .set_stateful_default_actions((strict && !defaults.is_empty()).then_some(defaults))
        .stateful_engine_options(
            StatefulEngineOptions::builder()
                .rule_order(RuleOrder::from(order.as_str()))
                .build(),
        )
        .build()
        .map_err(build_err)
}

fn policy_attrs(p: &FirewallPolicy) -> Attrs {
    let mut refs: Vec<_> = p.stateful_rule_group_references().iter().collect();
    refs.sort_by_key(|r| r.priority().unwrap_or(i32::MAX));
    Attrs::from([
        (
            "ruleGroups".to_string(),
            Value::List(refs.iter().map(|r| Value::str(r.resource_arn())).collect()),
        ),
        (
            "ruleOrder".to_string(),
            Value::str(
                p.stateful_engine_options()
                    .and_then(|o| o.rule_order())
                    .map_or("DEFAULT_ACTION_ORDER", |o| o.as_str()),
            ),
        ),
        (
            "statelessDefault".to_string(),
            Value::str(p.stateless_default_actions().join(",")),
        ),
        (
            "statelessFragmentDefault".to_string(),
            Value::str(p.stateless_fragment_default_actions().join(",")),
        ),
        (
            "statefulDefault".to_string(),
            id_set(p.stateful_default_actions().iter().cloned()),
        ),
    ])
}

fn policy_comparable(desired: &Attrs) -> Attrs {
    let mut d = sorted_lists(desired, &["statefulDefault"]);
    if let Some(v) = desired.get("statelessDefault") {
        d.insert("statelessFragmentDefault".into(), v.clone());
    }
    d
}

#[async_trait]
impl Kind for NfwPolicy {
    kind_meta!(NFW_POLICY);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(
                &policy_comparable(desired),
                &observed.attrs,
                self.facts().replace_fields,
            ),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let listed = all_pages!(c.list_firewall_policies())?;
        let prefix = name_prefix(env);
        let mut out = Vec::new();
        for m in listed {
            let (Some(name), Some(arn)) = (m.name(), m.arn()) else {
                continue;
            };
            if !name.starts_with(&prefix) {
                continue;
            }
            // No list returns tags or the policy: one Describe per candidate.
            let d = match c
                .describe_firewall_policy()
                .firewall_policy_arn(arn)
                .send()
                .await
            {
                Ok(d) => d,
                Err(e) => match classify(e) {
                    e if e.class == ErrorClass::NotFound => continue,
                    e => return Err(e),
                },
            };
            let (Some(resp), Some(body)) = (d.firewall_policy_response(), d.firewall_policy())
            else {
                continue;
            };
            if resp.firewall_policy_status() == Some(&ResourceStatus::Deleting) {
                continue;
            }
            let t = tag_map(resp.tags());
            let Some(id) = tags::owned_id(&t, env) else {
                continue;
            };
            let mut attrs = policy_attrs(body);
            attrs.extend(missing_tags(&t, env, &id));
            let parents = body
                .stateful_rule_group_references()
                .iter()
                .map(|r| r.resource_arn().to_string())
                .collect();
            out.push(Observed {
                id: id.as_str().into(),
                physical_id: arn.to_string(),
                attrs,
                outputs: arn_out(arn, name),
                parents,
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let name = resource_name(node);
        match c
            .describe_firewall_policy()
            .firewall_policy_name(&name)
            .send()
            .await
        {
            Ok(d) => {
                if let Some(resp) = d.firewall_policy_response() {
                    let t = tag_map(resp.tags());
                    let arn = resp.firewall_policy_arn();
                    if tags::owned_id(&t, &node.env).as_deref() != Some(node.id.0.as_str())
                        || node.replaces.as_deref() == Some(arn)
                    {
                        return Err(not_ours("firewall policy", &name, node, &t));
                    }
                    return Ok(Created {
                        physical_id: arn.to_string(),
                        outputs: arn_out(arn, &name),
                    });
                }
            }
            Err(e) => match classify(e) {
                e if e.class == ErrorClass::NotFound => {}
                e => return Err(e),
            },
        }
        let out = c
            .create_firewall_policy()
            .firewall_policy_name(&name)
            .firewall_policy(policy_body(&node.attrs)?)
            .set_tags(Some(nfw_tags(&node.env, &node.id.0)?))
            .send()
            .await
            .map_err(classify)?;
        let arn = out
            .firewall_policy_response()
            .map(|r| r.firewall_policy_arn().to_string())
            .ok_or_else(|| KindError::fatal("NoId", "CreateFirewallPolicy returned no ARN"))?;
        Ok(Created {
            outputs: arn_out(&arn, &name),
            physical_id: arn,
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        let arn = &current.physical_id;
        retag(c, diff, arn, node).await?;
        if diff.changes.iter().any(|ch| ch.field != "tags") {
            let token = c
                .describe_firewall_policy()
                .firewall_policy_arn(arn)
                .send()
                .await
                .map_err(classify)?
                .update_token()
                .to_string();
            c.update_firewall_policy()
                .firewall_policy_arn(arn)
                .update_token(token)
                .firewall_policy(policy_body(&node.attrs)?)
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(current.outputs.clone())
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

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let status = match self
            .0
            .client(scope)?
            .describe_firewall_policy()
            .firewall_policy_arn(physical_id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(d) => Some(status_str(
                d.firewall_policy_response()
                    .and_then(|r| r.firewall_policy_status()),
            )),
            Err(e) if e.class == ErrorClass::NotFound => None,
            Err(e) => return Err(e),
        };
        ready_from_status(op, status, physical_id, outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nfw::tests::observed;

    #[test]
    fn policies_compare_default_actions_as_sets_and_groups_in_order() {
        let k = NfwPolicy(Arc::new(Nfw::new()));
        let desired = |groups: &[&str]| {
            Attrs::from([
                (
                    "ruleGroups".to_string(),
                    Value::List(groups.iter().map(|g| Value::str(*g)).collect()),
                ),
                ("ruleOrder".to_string(), Value::str("STRICT_ORDER")),
                (
                    "statelessDefault".to_string(),
                    Value::str("aws:forward_to_sfe"),
                ),
                (
                    "statefulDefault".to_string(),
                    Value::List(vec![
                        Value::str("aws:drop_established"),
                        Value::str("aws:alert_established"),
                    ]),
                ),
            ])
        };
        let body = policy_body(&desired(&["arn:a", "arn:b"])).unwrap();
        let refs = body.stateful_rule_group_references();
        assert_eq!(
            refs.iter().map(|r| r.priority()).collect::<Vec<_>>(),
            [Some(100), Some(200)]
        );
        let seen = observed(policy_attrs(&body));
        assert!(k.diff(&desired(&["arn:a", "arn:b"]), &seen).is_empty());
        let d = k.diff(&desired(&["arn:b", "arn:a"]), &seen);
        assert_eq!(d.changes.len(), 1);
        assert!(!d.requires_replacement());
    }
}
