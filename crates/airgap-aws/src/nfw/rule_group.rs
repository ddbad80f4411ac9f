//! The Network Firewall rule group kind (`nfw-rule-group`): a stateful domain allowlist
//! or Suricata rules, its capacity sized with room to grow.

use std::sync::Arc;

use airgap_catalog::spec::{NfwRuleGroupSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, FieldChange, Kind, KindError, Observed, Readiness,
    Resolved, Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_networkfirewall::types::{
    GeneratedRulesType, IpSet, ResourceStatus, RuleGroup, RuleGroupResponse, RuleGroupType,
    RuleOrder, RuleVariables, RulesSource, RulesSourceList, StatefulRuleOptions, TargetType,
};

use super::{
    adopt, arn_created, build_err, candidates, nfw_tags, observed, ready_from_status,
    resource_name, status_str, tag_map, update_with_token, Nfw,
};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{all_pages, delete_call, lookup, made, set_of, with_tag_drift};

/// A stateful rule group: a domain allowlist (`domains`, `targetTypes`) or Suricata
/// `rules`; `homeNet` sets HOME_NET (the firewall inspects other VPCs' traffic, which
/// the default, the firewall's own VPC, would not match); `ruleOrder` must be the
/// policy's. Capacity is fixed at creation, so it is sized with room to grow; an
/// allowlist that outgrows it needs a new group (create-before-destroy: the policy
/// switches to the new one in place, the firewall stays).
pub struct NfwRuleGroup(pub Arc<Nfw>);

fn rule_group_body(s: &NfwRuleGroupSpec) -> Result<RuleGroup, KindError> {
    let source = if !s.domains.is_empty() {
        RulesSource::builder()
            .rules_source_list(
                RulesSourceList::builder()
                    .set_targets(Some(s.domains.clone()))
                    .set_target_types(Some(
                        s.target_types_or_default()
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
        if s.rules.is_empty() {
            return Err(KindError::fatal("BadAttribute", "a rule group needs domains or rules"));
        }
        RulesSource::builder().rules_string(s.rules.join("\n")).build()
    };
    let mut body = RuleGroup::builder().rules_source(source);
    if !s.home_net.is_empty() {
        body = body.rule_variables(
            RuleVariables::builder()
                .ip_sets(
                    "HOME_NET",
                    IpSet::builder()
                        .set_definition(Some(s.home_net.clone()))
                        .build()
                        .map_err(build_err)?,
                )
                .build(),
        );
    }
    if let Some(order) = &s.rule_order {
        body = body.stateful_rule_options(
            StatefulRuleOptions::builder().rule_order(RuleOrder::from(order.as_str())).build(),
        );
    }
    Ok(body.build())
}

/// A rule group as observed, in the spec's shape.
pub(crate) fn rule_group_spec(
    resp: &RuleGroupResponse,
    body: Option<&RuleGroup>,
) -> NfwRuleGroupSpec {
    let src = body.and_then(|b| b.rules_source());
    let list = src.and_then(|s| s.rules_source_list());
    NfwRuleGroupSpec {
        group_type: resp.r#type().map_or("", |t| t.as_str()).to_string(),
        domains: set_of(list.map(|l| l.targets()).unwrap_or_default()),
        target_types: set_of(
            list.map(|l| l.target_types()).unwrap_or_default().iter().map(|t| t.as_str()),
        ),
        generated_rules_type: list.map(|l| l.generated_rules_type().as_str().to_string()),
        rules: src
            .and_then(|s| s.rules_string())
            .map(|r| {
                r.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
            })
            .unwrap_or_default(),
        home_net: set_of(
            body.and_then(|b| b.rule_variables())
                .and_then(|v| v.ip_sets())
                .and_then(|m| m.get("HOME_NET"))
                .map(|s| s.definition())
                .unwrap_or_default(),
        ),
        rule_order: Some(
            body.and_then(|b| b.stateful_rule_options())
                .and_then(|o| o.rule_order())
                .map_or("DEFAULT_ACTION_ORDER", |o| o.as_str())
                .to_string(),
        ),
        capacity: Some(i64::from(resp.capacity().unwrap_or(0))),
    }
}

/// The desired spec in observe's form: sets sorted, the defaults AWS fills in.
fn rule_group_comparable(mut s: NfwRuleGroupSpec) -> NfwRuleGroupSpec {
    s.domains = set_of(&s.domains);
    s.home_net = set_of(&s.home_net);
    s.target_types = set_of(&s.target_types);
    if !s.domains.is_empty() {
        if s.target_types.is_empty() {
            s.target_types = set_of(s.target_types_or_default());
        }
        s.generated_rules_type = Some("ALLOWLIST".into());
    }
    s
}

#[async_trait]
impl Kind for NfwRuleGroup {
    kind_meta!(NFW_RULE_GROUP);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        // Attributes that are not a rule group's spec are compared as they are: the
        // update then reports why they do not read.
        let Ok(spec) = NfwRuleGroupSpec::from_attrs(desired) else {
            return self.facts().diff(desired, &observed.attrs);
        };
        let want = rule_group_comparable(spec.clone()).to_attrs();
        let mut diff = self.facts().diff(&want, &observed.attrs);
        // Capacity is not declared; it matters only once the rules outgrow it.
        if let Some(Value::Int(have)) = observed.attrs.get("capacity") {
            if spec.needed_capacity() > *have {
                diff.changes.push(FieldChange {
                    field: "capacity".into(),
                    old: Some(Value::Int(*have)),
                    new: Value::Int(spec.planned_capacity()),
                    forces_replacement: true,
                });
            }
        }
        with_tag_drift(diff, observed)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let listed = all_pages!(c.list_rule_groups())?;
        let mut out = Vec::new();
        for (name, arn) in candidates(env, listed.iter().map(|m| (m.name(), m.arn()))) {
            // No list returns tags or rules: one Describe per candidate.
            let Some(d) = lookup(c.describe_rule_group().rule_group_arn(&arn).send()).await? else {
                continue;
            };
            let Some(resp) = d
                .rule_group_response()
                .filter(|r| r.rule_group_status() != Some(&ResourceStatus::Deleting))
            else {
                continue;
            };
            let spec = rule_group_spec(resp, d.rule_group());
            let outputs = super::arn_out(&arn, &name);
            out.extend(observed(
                env,
                &tag_map(resp.tags()),
                &arn,
                spec.to_attrs(),
                outputs,
                vec![],
            ));
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = NfwRuleGroupSpec::from_attrs(&node.attrs)?;
        let c = self.0.client(&node.scope)?;
        let name = resource_name(node);
        let ty = RuleGroupType::from(spec.group_type.as_str());
        let existing =
            lookup(c.describe_rule_group().rule_group_name(&name).r#type(ty.clone()).send())
                .await?;
        if let Some(resp) = existing.as_ref().and_then(|d| d.rule_group_response()) {
            // What an interrupted create made.
            return adopt("rule group", &name, node, &tag_map(resp.tags()), resp.rule_group_arn());
        }
        let out = c
            .create_rule_group()
            .rule_group_name(&name)
            .r#type(ty)
            .capacity(i32::try_from(spec.planned_capacity()).unwrap_or(i32::MAX))
            .rule_group(rule_group_body(&spec)?)
            .set_tags(Some(nfw_tags(&node.env, &node.id.0)?))
            .send()
            .await
            .map_err(classify)?;
        let arn = out.rule_group_response().map(|r| r.rule_group_arn());
        Ok(arn_created(made(arn, "CreateRuleGroup")?, &name))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let body = rule_group_body(&NfwRuleGroupSpec::from_attrs(&change.node.attrs)?)?;
        let c = self.0.client(&change.node.scope)?;
        let arn = &change.current.physical_id;
        update_with_token(
            c,
            change,
            c.describe_rule_group().rule_group_arn(arn).send(),
            |d| d.update_token(),
            |token| {
                c.update_rule_group()
                    .rule_group_arn(arn)
                    .update_token(token)
                    .rule_group(body)
                    .send()
            },
        )
        .await
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0.client(scope)?.delete_rule_group().rule_group_arn(&current.physical_id).send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let d = lookup(
            self.0
                .client(check.scope)?
                .describe_rule_group()
                .rule_group_arn(check.physical_id)
                .send(),
        )
        .await?;
        let status =
            d.map(|d| status_str(d.rule_group_response().and_then(|r| r.rule_group_status())));
        ready_from_status(check.op, status, check.physical_id, check.outputs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nfw::tests::observed;

    fn domains(ds: &[&str]) -> NfwRuleGroupSpec {
        NfwRuleGroupSpec {
            group_type: "STATEFUL".into(),
            domains: ds.iter().map(|d| d.to_string()).collect(),
            target_types: vec!["TLS_SNI".into(), "HTTP_HOST".into()],
            generated_rules_type: None,
            rules: vec![],
            home_net: vec![],
            rule_order: Some("STRICT_ORDER".into()),
            capacity: None,
        }
    }

    #[test]
    fn allowlist_changes_are_in_place_until_capacity_runs_out() {
        let k = NfwRuleGroup(Arc::new(Nfw::new()));
        let mut seen = rule_group_comparable(domains(&["b.example", ".a.example"]));
        seen.capacity = Some(domains(&["x"]).planned_capacity());
        let seen = observed(seen.to_attrs());
        // Same domains in another order: no change.
        assert!(k.diff(&domains(&[".a.example", "b.example"]).to_attrs(), &seen).is_empty());
        let d = k.diff(&domains(&[".a.example", "c.example"]).to_attrs(), &seen);
        assert_eq!(d.changes.len(), 1, "{d:?}");
        assert_eq!(d.changes[0].field, "domains");
        assert!(!d.requires_replacement());
        // 100 domains x 2 target types do not fit the 100 it was made with.
        let many: Vec<String> = (0..100).map(|i| format!("d{i}.example")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let d = k.diff(&domains(&many).to_attrs(), &seen);
        assert!(d.requires_replacement());
        assert!(d.changes.iter().any(|c| c.field == "capacity"));
        // (100 x 2 + 2) x 2, in hundreds.
        assert_eq!(domains(&many).planned_capacity(), 500);
    }

    #[test]
    fn a_domain_list_counts_a_unit_more_per_target_type_and_both_types_when_none_is_named() {
        let spec = |n: usize| {
            let names: Vec<String> = (0..n).map(|i| format!("d{i}.example")).collect();
            domains(&names.iter().map(String::as_str).collect::<Vec<_>>())
        };
        // 49 domains x 2 types + 2 = 100 fits a group of 100; 50 would use 100 by the
        // bare count, which AWS's recorded answers put over it.
        assert_eq!(spec(49).needed_capacity(), 100);
        assert_eq!(spec(50).needed_capacity(), 102);
        let none_named = NfwRuleGroupSpec { target_types: vec![], ..spec(50) };
        assert_eq!(none_named.needed_capacity(), 102);
    }
}
