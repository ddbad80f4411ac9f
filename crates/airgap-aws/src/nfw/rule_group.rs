//! The Network Firewall rule group kind (`nfw-rule-group`): a stateful domain allowlist
//! or Suricata rules, its capacity sized with room to grow.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, FieldChange, Kind, KindError, Observed, Op, Readiness,
    Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_networkfirewall::types::{
    GeneratedRulesType, IpSet, ResourceStatus, RuleGroup, RuleGroupType, RuleOrder, RuleVariables,
    RulesSource, RulesSourceList, StatefulRuleOptions, TargetType,
};

use super::{
    arn_out, build_err, name_prefix, nfw_tags, not_ours, ready_from_status, resource_name, retag,
    status_str, strs, tag_map, Nfw,
};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{
    all_pages, delete_call, id_set, list, missing_tags, opt_s, s, sorted_lists, with_tag_drift,
};
use crate::tags;

/// A stateful rule group: a domain allowlist (`domains`, `targetTypes`) or Suricata
/// `rules`; `homeNet` sets HOME_NET (the firewall inspects other VPCs' traffic, which
/// the default, the firewall's own VPC, would not match); `ruleOrder` must be the
/// policy's. Capacity is fixed at creation, so it is sized with room to grow; an
/// allowlist that outgrows it needs a new group (create-before-destroy: the policy
/// switches to the new one in place, the firewall stays).
pub struct NfwRuleGroup(pub Arc<Nfw>);

/// Rule group capacity AWS allows at most.
const MAX_CAPACITY: i64 = 30_000;

/// The capacity the desired rules need: a stateful group needs one per rule, and a
/// domain list generates one per domain and target type.
fn needed_capacity(a: &Attrs) -> i64 {
    let domains = list(a, "domains").map_or(0, |d| d.len());
    let n = if domains > 0 {
        domains * list(a, "targetTypes").map_or(2, |t| t.len().max(1))
    } else {
        list(a, "rules").map_or(0, |r| r.len())
    };
    i64::try_from(n).unwrap_or(MAX_CAPACITY).max(1)
}

/// The capacity a new group gets: twice what it needs now, in hundreds, at least 100.
fn planned_capacity(a: &Attrs) -> i64 {
    let want = (needed_capacity(a) * 2).max(100);
    ((want + 99) / 100 * 100).min(MAX_CAPACITY)
}

fn target_types(a: &Attrs) -> Result<Vec<String>, KindError> {
    let t = list(a, "targetTypes")?;
    Ok(if t.is_empty() {
        vec!["TLS_SNI".into(), "HTTP_HOST".into()]
    } else {
        t
    })
}

fn rule_group_body(a: &Attrs) -> Result<RuleGroup, KindError> {
    let domains = list(a, "domains")?;
    let source = if !domains.is_empty() {
        RulesSource::builder()
            .rules_source_list(
                RulesSourceList::builder()
                    .set_targets(Some(domains))
                    .set_target_types(Some(
                        target_types(a)?
                            .iter()
                            .map(|t| TargetType::from(t.as_str()))
                            .collect(),
                    ))
                    .generated_rules_type(GeneratedRulesType::Allowlist)
                    .build()
                    .map_err(build_err)?,
            )
            .build()
    } else {
        let rules = list(a, "rules")?;
        if rules.is_empty() {
            return Err(KindError::fatal(
                "BadAttribute",
                "a rule group needs domains or rules",
            ));
        }
        RulesSource::builder()
            .rules_string(rules.join("\n"))
            .build()
    };
    let mut body = RuleGroup::builder().rules_source(source);
    let home = list(a, "homeNet")?;
    if !home.is_empty() {
        body = body.rule_variables(
            RuleVariables::builder()
                .ip_sets(
                    "HOME_NET",
                    IpSet::builder()
                        .set_definition(Some(home))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
    }
    if let Some(order) = opt_s(a, "ruleOrder") {
        body = body.stateful_rule_options(
            StatefulRuleOptions::builder()
                .rule_order(RuleOrder::from(order.as_str()))
                .build(),
        );
    }
    Ok(body.build())
}

/// Observed attributes of a rule group, in the form of the desired ones.
fn rule_group_attrs(
    resp: &aws_sdk_networkfirewall::types::RuleGroupResponse,
    body: Option<&RuleGroup>,
) -> Attrs {
    let mut a = Attrs::from([
        (
            "type".to_string(),
            Value::str(resp.r#type().map_or("", |t| t.as_str())),
        ),
        (
            "capacity".to_string(),
            Value::Int(i64::from(resp.capacity().unwrap_or(0))),
        ),
        (
            "ruleOrder".to_string(),
            Value::str(
                body.and_then(|b| b.stateful_rule_options())
                    .and_then(|o| o.rule_order())
                    .map_or("DEFAULT_ACTION_ORDER", |o| o.as_str()),
            ),
        ),
    ]);
    let src = body.and_then(|b| b.rules_source());
    if let Some(l) = src.and_then(|s| s.rules_source_list()) {
        a.insert("domains".into(), id_set(l.targets().iter().cloned()));
        a.insert(
            "targetTypes".into(),
            id_set(l.target_types().iter().map(|t| t.as_str().to_string())),
        );
        a.insert(
            "generatedRulesType".into(),
            Value::str(l.generated_rules_type().as_str()),
        );
    }
    if let Some(r) = src.and_then(|s| s.rules_string()) {
        let lines: Vec<String> = r
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        a.insert("rules".into(), strs(&lines));
    }
    let home = body
        .and_then(|b| b.rule_variables())
        .and_then(|v| v.ip_sets())
        .and_then(|m| m.get("HOME_NET"))
        .map(|s| s.definition().to_vec())
        .unwrap_or_default();
    a.insert("homeNet".into(), id_set(home));
    a
}

/// Desired attributes in observe's form.
fn rule_group_comparable(desired: &Attrs) -> Attrs {
    let mut d = sorted_lists(desired, &["domains", "targetTypes", "homeNet"]);
    if list(desired, "domains").is_ok_and(|l| !l.is_empty()) {
        if !d.contains_key("targetTypes") {
            d.insert(
                "targetTypes".into(),
                id_set(["HTTP_HOST".to_string(), "TLS_SNI".to_string()]),
            );
        }
        d.insert("generatedRulesType".into(), Value::str("ALLOWLIST"));
    }
    if !d.contains_key("homeNet") {
        d.insert("homeNet".into(), Value::List(vec![]));
    }
    d
}

#[async_trait]
impl Kind for NfwRuleGroup {
    kind_meta!(NFW_RULE_GROUP);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let mut diff = Diff::compute(
            &rule_group_comparable(desired),
            &observed.attrs,
            self.facts().replace_fields,
        );
        // Capacity is not declared; it matters only once the rules outgrow it.
        if let Some(Value::Int(have)) = observed.attrs.get("capacity") {
            if needed_capacity(desired) > *have {
                diff.changes.push(FieldChange {
                    field: "capacity".into(),
                    old: Some(Value::Int(*have)),
                    new: Value::Int(planned_capacity(desired)),
                    forces_replacement: true,
                });
            }
        }
        with_tag_drift(diff, observed)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let listed = all_pages!(c.list_rule_groups())?;
        let prefix = name_prefix(env);
        let mut out = Vec::new();
        for m in listed {
            let (Some(name), Some(arn)) = (m.name(), m.arn()) else {
                continue;
            };
            if !name.starts_with(&prefix) {
                continue;
            }
            // No list returns tags or rules: one Describe per candidate.
            let d = match c.describe_rule_group().rule_group_arn(arn).send().await {
                Ok(d) => d,
                Err(e) => match classify(e) {
                    e if e.class == ErrorClass::NotFound => continue,
                    e => return Err(e),
                },
            };
            let Some(resp) = d.rule_group_response() else {
                continue;
            };
            if resp.rule_group_status() == Some(&ResourceStatus::Deleting) {
                continue;
            }
            let t = tag_map(resp.tags());
            let Some(id) = tags::owned_id(&t, env) else {
                continue;
            };
            let mut attrs = rule_group_attrs(resp, d.rule_group());
            attrs.extend(missing_tags(&t, env, &id));
            out.push(Observed {
                id: id.as_str().into(),
                physical_id: arn.to_string(),
                attrs,
                outputs: arn_out(arn, name),
                parents: vec![],
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let name = resource_name(node);
        let ty = RuleGroupType::from(s(&node.attrs, "type")?.as_str());
        match c
            .describe_rule_group()
            .rule_group_name(&name)
            .r#type(ty.clone())
            .send()
            .await
        {
            Ok(d) => {
                if let Some(resp) = d.rule_group_response() {
                    let t = tag_map(resp.tags());
                    let arn = resp.rule_group_arn();
                    if tags::owned_id(&t, &node.env).as_deref() != Some(node.id.0.as_str())
                        || node.replaces.as_deref() == Some(arn)
                    {
                        return Err(not_ours("rule group", &name, node, &t));
                    }
                    // What an interrupted create made.
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
            .create_rule_group()
            .rule_group_name(&name)
            .r#type(ty)
            .capacity(i32::try_from(planned_capacity(&node.attrs)).unwrap_or(i32::MAX))
            .rule_group(rule_group_body(&node.attrs)?)
            .set_tags(Some(nfw_tags(&node.env, &node.id.0)?))
            .send()
            .await
            .map_err(classify)?;
        let arn = out
            .rule_group_response()
            .map(|r| r.rule_group_arn().to_string())
            .ok_or_else(|| KindError::fatal("NoId", "CreateRuleGroup returned no ARN"))?;
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
            // The token of the group as it is now; a stale one is a Conflict, retried
            // by the engine with a fresh read.
            let token = c
                .describe_rule_group()
                .rule_group_arn(arn)
                .send()
                .await
                .map_err(classify)?
                .update_token()
                .to_string();
            c.update_rule_group()
                .rule_group_arn(arn)
                .update_token(token)
                .rule_group(rule_group_body(&node.attrs)?)
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
                .delete_rule_group()
                .rule_group_arn(&current.physical_id)
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
            .describe_rule_group()
            .rule_group_arn(physical_id)
            .send()
            .await
            .map_err(classify)
        {
            Ok(d) => Some(status_str(
                d.rule_group_response().and_then(|r| r.rule_group_status()),
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

    fn domains(ds: &[&str]) -> Attrs {
        Attrs::from([
            ("type".to_string(), Value::str("STATEFUL")),
            (
                "domains".to_string(),
                Value::List(ds.iter().map(|d| Value::str(*d)).collect()),
            ),
            (
                "targetTypes".to_string(),
                Value::List(vec![Value::str("TLS_SNI"), Value::str("HTTP_HOST")]),
            ),
            ("ruleOrder".to_string(), Value::str("STRICT_ORDER")),
        ])
    }

    #[test]
    fn allowlist_changes_are_in_place_until_capacity_runs_out() {
        let k = NfwRuleGroup(Arc::new(Nfw::new()));
        let mut seen = rule_group_comparable(&domains(&["b.example", ".a.example"]));
        seen.insert(
            "capacity".into(),
            Value::Int(planned_capacity(&domains(&["x"]))),
        );
        let seen = observed(seen);
        // Same domains in another order: no change.
        assert!(k
            .diff(&domains(&[".a.example", "b.example"]), &seen)
            .is_empty());
        let d = k.diff(&domains(&[".a.example", "c.example"]), &seen);
        assert_eq!(d.changes.len(), 1, "{d:?}");
        assert_eq!(d.changes[0].field, "domains");
        assert!(!d.requires_replacement());
        // 100 domains x 2 target types do not fit the 100 it was made with.
        let many: Vec<String> = (0..100).map(|i| format!("d{i}.example")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let d = k.diff(&domains(&many), &seen);
        assert!(d.requires_replacement());
        assert!(d.changes.iter().any(|c| c.field == "capacity"));
        assert_eq!(planned_capacity(&domains(&many)), 400);
    }
}
