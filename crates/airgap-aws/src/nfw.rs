//! AWS Network Firewall: stateful rule groups (a domain allowlist, or Suricata rules),
//! the firewall policy, and the firewall with its per-AZ endpoints and logging.
//!
//! Names are unique per account, region and type, so they are derived from the env and
//! the node (`airgap-<env>-<node>`, see [`resource_name`]) and a create looks the name
//! up first: Network Firewall has no client tokens.
//!
//! The List calls return names and ARNs only (no tags, no tag filter), so observe lists
//! each type once and describes only the resources whose name carries the env's prefix,
//! one Describe each (the firewall also one DescribeLoggingConfiguration): the calls
//! grow with the env's few firewall resources, not with the account. The env tag is
//! checked on what the Describe returns.
//!
//! Updates carry the resource's UpdateToken, read just before; a token made stale by a
//! concurrent change fails with InvalidTokenException (a Conflict), and the engine's
//! retry reads the resource again.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_engine::{
    fnv1a, Attrs, Created, Diff, ErrorClass, FieldChange, Kind, KindError, Observed, Op, Readiness,
    Registry, ReplaceMode, Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_networkfirewall::error::BuildError;
use aws_sdk_networkfirewall::types::{
    FirewallPolicy, FirewallStatusValue, GeneratedRulesType, IpSet, LogDestinationConfig,
    LogDestinationType, LogType, LoggingConfiguration, ResourceStatus, RuleGroup, RuleGroupType,
    RuleOrder, RuleVariables, RulesSource, RulesSourceList, StatefulEngineOptions,
    StatefulRuleGroupReference, StatefulRuleOptions, SubnetMapping, Tag, TargetType,
};

use crate::clients::PerScope;
use crate::ec2::kind_meta;
use crate::errors::{classify, gone_is_ok};
use crate::kit::{b, id_set, list, missing_tags, opt_s, s, sorted_lists, with_tag_drift};
use crate::tags;

pub type Nfw = PerScope<aws_sdk_networkfirewall::Client>;

pub fn register(registry: &mut Registry, nfw: &Arc<Nfw>) {
    registry
        .register(Arc::new(NfwRuleGroup(Arc::clone(nfw))))
        .register(Arc::new(NfwPolicy(Arc::clone(nfw))))
        .register(Arc::new(Firewall(Arc::clone(nfw))));
}

/// Network Firewall names: letters, digits and dashes, at most 128.
const MAX_NAME: usize = 128;

fn dashed(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The names of the env's resources start with this.
pub fn name_prefix(env: &str) -> String {
    format!("airgap-{}-", dashed(env))
}

/// `airgap-<env>-<node>`. A create-before-destroy replacement needs a name of its own
/// while the old one still exists: it gets a suffix from its spec (`Resolved::replaces`).
pub fn resource_name(node: &Resolved) -> String {
    let base = format!("{}{}", name_prefix(&node.env), dashed(&node.id.0));
    let suffix = node
        .replaces
        .as_ref()
        .map(|_| format!("-{:08x}", fnv1a(&[node.client_token().as_bytes()]) as u32));
    let mut name = base.clone();
    let room = MAX_NAME - suffix.as_ref().map_or(0, String::len);
    if name.len() > room {
        // Still unique: the hash of the whole name replaces its tail.
        let h = format!("-{:08x}", fnv1a(&[base.as_bytes()]) as u32);
        name.truncate(room - h.len());
        name.push_str(&h);
    }
    name.push_str(suffix.as_deref().unwrap_or_default());
    name
}

fn build_err(e: BuildError) -> KindError {
    KindError::fatal("BuildError", e.to_string())
}

fn nfw_tags(env: &str, id: &str) -> Result<Vec<Tag>, KindError> {
    tags::standard(env, id)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build().map_err(build_err))
        .collect()
}

fn tag_map(t: &[Tag]) -> HashMap<String, String> {
    tags::to_map(t.iter().map(|t| (Some(t.key()), Some(t.value()))))
}

fn arn_out(arn: &str, name: &str) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(arn)),
        ("arn".to_string(), Value::str(arn)),
        ("name".to_string(), Value::str(name)),
    ])
}

fn strs(items: &[String]) -> Value {
    Value::List(items.iter().map(|s| Value::str(s.as_str())).collect())
}

/// A found resource with the same name that is not this node's: never adopted.
fn not_ours(what: &str, name: &str, node: &Resolved, t: &HashMap<String, String>) -> KindError {
    KindError::fatal(
        "NameTaken",
        format!(
            "{what} {name} exists but is not {} of env {} (airgap:env={:?}, airgap:id={:?})",
            node.id,
            node.env,
            t.get(tags::ENV),
            t.get(tags::ID)
        ),
    )
}

/// Puts the standard tags back when the diff says some are missing.
async fn retag(
    c: &aws_sdk_networkfirewall::Client,
    diff: &Diff,
    arn: &str,
    node: &Resolved,
) -> Result<(), KindError> {
    if !diff.changes.iter().any(|ch| ch.field == "tags") {
        return Ok(());
    }
    c.tag_resource()
        .resource_arn(arn)
        .set_tags(Some(nfw_tags(&node.env, &node.id.0)?))
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

fn status_str(st: Option<&ResourceStatus>) -> String {
    st.map_or("active", |s| s.as_str()).to_ascii_lowercase()
}

/// Readiness of a rule group or policy from its status (None: not found).
fn ready_from_status(
    op: Op,
    status: Option<String>,
    physical_id: &str,
    outputs: &Attrs,
) -> Result<Readiness, KindError> {
    Ok(match (op, status.as_deref()) {
        (Op::Delete, None) => Readiness::Gone,
        (Op::Delete, Some(st)) => Readiness::Pending(st.to_string()),
        (_, Some("active")) => Readiness::Ready(outputs.clone()),
        (_, Some(st)) => Readiness::Pending(st.to_string()),
        (_, None) => {
            return Err(KindError::new(
                ErrorClass::NotFound,
                "NotVisibleYet",
                physical_id,
            ))
        }
    })
}

// ---- rule groups ------------------------------------------------------------------------

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
    kind_meta!("nfw-rule-group");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["type", "ruleOrder", "capacity"]
    }

    fn replace_mode(&self) -> ReplaceMode {
        ReplaceMode::CreateBeforeDestroy
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let mut diff = Diff::compute(
            &rule_group_comparable(desired),
            &observed.attrs,
            self.replace_fields(),
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
        let listed = c
            .list_rule_groups()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
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
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_rule_group()
                .rule_group_arn(&current.physical_id)
                .send()
                .await
                .map_err(classify),
        )
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

// ---- firewall policy --------------------------------------------------------------------

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
    kind_meta!("nfw-policy");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["ruleOrder"]
    }

    fn replace_mode(&self) -> ReplaceMode {
        // The firewall switches to the new policy in place.
        ReplaceMode::CreateBeforeDestroy
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(
                &policy_comparable(desired),
                &observed.attrs,
                self.replace_fields(),
            ),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let listed = c
            .list_firewall_policies()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
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
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_firewall_policy()
                .firewall_policy_arn(&current.physical_id)
                .send()
                .await
                .map_err(classify),
        )
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

// ---- firewall ---------------------------------------------------------------------------

/// The firewall: its policy, one subnet mapping per AZ, deletion protection, and the
/// CloudWatch log groups of its ALERT and FLOW logs (`alertLogGroup`, `flowLogGroup`:
/// names; absent means not logged). Outputs `endpoint/<az letter>` (`endpoint/a` for
/// eu-central-1a): the endpoint ids of the sync states, once every AZ has one.
pub struct Firewall(pub Arc<Nfw>);

/// The log types, with the attribute naming each one's log group.
const LOGS: [(&str, &str); 2] = [("ALERT", "alertLogGroup"), ("FLOW", "flowLogGroup")];

/// `eu-central-1a` -> `a`, as the blueprint's addresses have it.
fn az_letter(az: &str) -> &str {
    let i = az.rfind(|c: char| c.is_ascii_digit()).map_or(0, |i| i + 1);
    &az[i..]
}

/// Outputs and readiness of a described firewall: the endpoints by AZ letter, and
/// whether every subnet has a READY endpoint while the firewall itself is READY.
fn firewall_state(
    d: &aws_sdk_networkfirewall::operation::describe_firewall::DescribeFirewallOutput,
) -> (Attrs, bool, String) {
    let (arn, name) = d
        .firewall()
        .map(|f| {
            (
                f.firewall_arn().unwrap_or_default(),
                f.firewall_name().unwrap_or_default(),
            )
        })
        .unwrap_or_default();
    let mut out = arn_out(arn, name);
    let subnets = d.firewall().map_or(0, |f| f.subnet_mappings().len());
    let Some(st) = d.firewall_status() else {
        return (out, false, "provisioning".into());
    };
    let mut ready_eps = 0;
    if let Some(sync) = st.sync_states() {
        for (az, state) in sync {
            let Some(att) = state.attachment() else {
                continue;
            };
            if let Some(ep) = att.endpoint_id() {
                out.insert(format!("endpoint/{}", az_letter(az)), Value::str(ep));
                if att.status().map(|s| s.as_str()) == Some("READY") {
                    ready_eps += 1;
                }
            }
        }
    }
    let status = st.status().as_str().to_ascii_lowercase();
    let ready = st.status() == &FirewallStatusValue::Ready && ready_eps >= subnets && subnets > 0;
    let shown = if ready {
        status
    } else {
        format!("{status}, {ready_eps}/{subnets} endpoints ready")
    };
    (out, ready, shown)
}

/// The log group names by log type, from a logging configuration.
fn log_groups(cfg: Option<&LoggingConfiguration>) -> HashMap<String, String> {
    cfg.map(|c| c.log_destination_configs())
        .unwrap_or_default()
        .iter()
        .filter(|d| d.log_destination_type() == &LogDestinationType::CloudwatchLogs)
        .filter_map(|d| {
            Some((
                d.log_type().as_str().to_string(),
                d.log_destination().get("logGroup")?.clone(),
            ))
        })
        .collect()
}

fn destination(ty: &str, group: &str) -> Result<LogDestinationConfig, KindError> {
    LogDestinationConfig::builder()
        .log_type(LogType::from(ty))
        .log_destination_type(LogDestinationType::CloudwatchLogs)
        .log_destination("logGroup", group)
        .build()
        .map_err(build_err)
}

fn firewall_comparable(desired: &Attrs) -> Attrs {
    let mut d = sorted_lists(desired, &["subnets"]);
    for (_, key) in LOGS {
        d.entry(key.to_string()).or_insert(Value::Null);
    }
    d
}

impl Firewall {
    async fn describe(
        &self,
        scope: &Scope,
        arn: &str,
    ) -> Result<
        Option<aws_sdk_networkfirewall::operation::describe_firewall::DescribeFirewallOutput>,
        KindError,
    > {
        match self
            .0
            .client(scope)?
            .describe_firewall()
            .firewall_arn(arn)
            .send()
            .await
            .map_err(classify)
        {
            Ok(d) => Ok(Some(d)),
            Err(e) if e.class == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Moves the logging configuration to the desired one. AWS takes one destination
    /// change per call (add, change or remove one), so this makes one call per change.
    async fn reconcile_logging(
        &self,
        c: &aws_sdk_networkfirewall::Client,
        arn: &str,
        desired: &Attrs,
    ) -> Result<(), KindError> {
        let cur = c
            .describe_logging_configuration()
            .firewall_arn(arn)
            .send()
            .await
            .map_err(classify)?;
        let mut configs: Vec<LogDestinationConfig> = cur
            .logging_configuration()
            .map(|l| l.log_destination_configs().to_vec())
            .unwrap_or_default();
        for (ty, key) in LOGS {
            let want = opt_s(desired, key);
            let have = configs.iter().position(|d| d.log_type().as_str() == ty);
            let same = match (have, &want) {
                (Some(i), Some(g)) => {
                    configs[i].log_destination_type() == &LogDestinationType::CloudwatchLogs
                        && configs[i].log_destination().get("logGroup") == Some(g)
                }
                (None, None) => true,
                _ => false,
            };
            if same {
                continue;
            }
            match (have, want) {
                (Some(i), Some(g)) => configs[i] = destination(ty, &g)?,
                (None, Some(g)) => configs.push(destination(ty, &g)?),
                (Some(i), None) => {
                    configs.remove(i);
                }
                (None, None) => {}
            }
            c.update_logging_configuration()
                .firewall_arn(arn)
                .logging_configuration(
                    LoggingConfiguration::builder()
                        .set_log_destination_configs(Some(configs.clone()))
                        .build()
                        .map_err(build_err)?,
                )
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(())
    }
}

#[async_trait]
impl Kind for Firewall {
    kind_meta!("firewall");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["vpc"]
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        with_tag_drift(
            Diff::compute(
                &firewall_comparable(desired),
                &observed.attrs,
                self.replace_fields(),
            ),
            observed,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let listed = c
            .list_firewalls()
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(classify)?;
        let prefix = name_prefix(env);
        let mut out = Vec::new();
        for m in listed {
            let (Some(name), Some(arn)) = (m.firewall_name(), m.firewall_arn()) else {
                continue;
            };
            if !name.starts_with(&prefix) {
                continue;
            }
            // No list returns tags, subnets or logging: a Describe and a
            // DescribeLoggingConfiguration per candidate.
            let Some(d) = self.describe(scope, arn).await? else {
                continue;
            };
            let Some(fw) = d.firewall() else { continue };
            if d.firewall_status().map(|s| s.status()) == Some(&FirewallStatusValue::Deleting) {
                continue;
            }
            let t = tag_map(fw.tags());
            let Some(id) = tags::owned_id(&t, env) else {
                continue;
            };
            let logging = match c
                .describe_logging_configuration()
                .firewall_arn(arn)
                .send()
                .await
            {
                Ok(l) => l,
                Err(e) => match classify(e) {
                    e if e.class == ErrorClass::NotFound => continue,
                    e => return Err(e),
                },
            };
            let groups = log_groups(logging.logging_configuration());
            let subnets: Vec<String> = fw
                .subnet_mappings()
                .iter()
                .map(|m| m.subnet_id().to_string())
                .collect();
            let mut attrs = Attrs::from([
                ("policy".to_string(), Value::str(fw.firewall_policy_arn())),
                ("vpc".to_string(), Value::str(fw.vpc_id())),
                ("subnets".to_string(), id_set(subnets.iter().cloned())),
                (
                    "deletionProtection".to_string(),
                    Value::Bool(fw.delete_protection()),
                ),
            ]);
            for (ty, key) in LOGS {
                attrs.insert(
                    key.to_string(),
                    groups
                        .get(ty)
                        .map_or(Value::Null, |g| Value::str(g.as_str())),
                );
            }
            attrs.extend(missing_tags(&t, env, &id));
            let (outputs, _, _) = firewall_state(&d);
            let mut parents = vec![
                fw.firewall_policy_arn().to_string(),
                fw.vpc_id().to_string(),
            ];
            parents.extend(subnets);
            out.push(Observed {
                id: id.as_str().into(),
                physical_id: arn.to_string(),
                attrs,
                outputs,
                parents,
            });
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let name = resource_name(node);
        let existing = match c.describe_firewall().firewall_name(&name).send().await {
            Ok(d) => Some(d),
            Err(e) => match classify(e) {
                e if e.class == ErrorClass::NotFound => None,
                e => return Err(e),
            },
        };
        let arn = match existing.as_ref().and_then(|d| d.firewall()) {
            Some(fw) => {
                let t = tag_map(fw.tags());
                let arn = fw.firewall_arn().unwrap_or_default();
                if tags::owned_id(&t, &node.env).as_deref() != Some(node.id.0.as_str())
                    || node.replaces.as_deref() == Some(arn)
                {
                    return Err(not_ours("firewall", &name, node, &t));
                }
                let deleting = existing
                    .as_ref()
                    .and_then(|d| d.firewall_status())
                    .map(|s| s.status())
                    == Some(&FirewallStatusValue::Deleting);
                if deleting {
                    // The name is free only once the old one is gone.
                    return Err(KindError::new(
                        ErrorClass::Conflict,
                        "FirewallDeleting",
                        format!("firewall {name} is still being deleted"),
                    ));
                }
                arn.to_string()
            }
            None => {
                let mappings = list(a, "subnets")?
                    .into_iter()
                    .map(|s| {
                        SubnetMapping::builder()
                            .subnet_id(s)
                            .build()
                            .map_err(build_err)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let out = c
                    .create_firewall()
                    .firewall_name(&name)
                    .firewall_policy_arn(s(a, "policy")?)
                    .vpc_id(s(a, "vpc")?)
                    .set_subnet_mappings(Some(mappings))
                    .delete_protection(b(a, "deletionProtection", false))
                    .set_tags(Some(nfw_tags(&node.env, &node.id.0)?))
                    .send()
                    .await
                    .map_err(classify)?;
                out.firewall()
                    .and_then(|f| f.firewall_arn())
                    .ok_or_else(|| KindError::fatal("NoId", "CreateFirewall returned no ARN"))?
                    .to_string()
            }
        };
        self.reconcile_logging(c, &arn, a).await?;
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
        let a = &node.attrs;
        let arn = &current.physical_id;
        retag(c, diff, arn, node).await?;
        let changed = |f: &str| diff.changes.iter().any(|ch| ch.field == f);
        if changed("policy") || changed("subnets") || changed("deletionProtection") {
            // Each change returns the next token; a stale one is a Conflict (re-read on retry).
            let mut token = self
                .describe(&node.scope, arn)
                .await?
                .and_then(|d| d.update_token().map(str::to_string));
            if changed("policy") {
                token = c
                    .associate_firewall_policy()
                    .firewall_arn(arn)
                    .set_update_token(token)
                    .firewall_policy_arn(s(a, "policy")?)
                    .send()
                    .await
                    .map_err(classify)?
                    .update_token()
                    .map(str::to_string);
            }
            if changed("subnets") {
                let want = list(a, "subnets")?;
                let have = list(&current.attrs, "subnets")?;
                let add: Vec<SubnetMapping> = want
                    .iter()
                    .filter(|s| !have.contains(s))
                    .map(|s| {
                        SubnetMapping::builder()
                            .subnet_id(s)
                            .build()
                            .map_err(build_err)
                    })
                    .collect::<Result<_, _>>()?;
                let remove: Vec<String> =
                    have.iter().filter(|s| !want.contains(s)).cloned().collect();
                if !add.is_empty() {
                    token = c
                        .associate_subnets()
                        .firewall_arn(arn)
                        .set_update_token(token)
                        .set_subnet_mappings(Some(add))
                        .send()
                        .await
                        .map_err(classify)?
                        .update_token()
                        .map(str::to_string);
                }
                if !remove.is_empty() {
                    token = c
                        .disassociate_subnets()
                        .firewall_arn(arn)
                        .set_update_token(token)
                        .set_subnet_ids(Some(remove))
                        .send()
                        .await
                        .map_err(classify)?
                        .update_token()
                        .map(str::to_string);
                }
            }
            if changed("deletionProtection") {
                c.update_firewall_delete_protection()
                    .firewall_arn(arn)
                    .set_update_token(token)
                    .delete_protection(b(a, "deletionProtection", false))
                    .send()
                    .await
                    .map_err(classify)?;
            }
        }
        if LOGS.iter().any(|(_, key)| changed(key)) {
            self.reconcile_logging(c, arn, a).await?;
        }
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_firewall()
                .firewall_arn(&current.physical_id)
                .send()
                .await
                .map_err(classify),
        )
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let Some(d) = self.describe(scope, physical_id).await? else {
            return if op == Op::Delete {
                Ok(Readiness::Gone)
            } else {
                Err(KindError::new(
                    ErrorClass::NotFound,
                    "NotVisibleYet",
                    physical_id,
                ))
            };
        };
        if op == Op::Delete {
            let st = d
                .firewall_status()
                .map_or("deleting", |s| s.status().as_str());
            return Ok(Readiness::Pending(st.to_ascii_lowercase()));
        }
        let (outputs, ready, status) = firewall_state(&d);
        // After an update the configuration must also have reached every endpoint.
        let in_sync = op != Op::Update
            || d.firewall_status()
                .is_some_and(|s| s.configuration_sync_state_summary().as_str() == "IN_SYNC");
        Ok(if ready && in_sync {
            Readiness::Ready(outputs)
        } else {
            Readiness::Pending(status)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airgap_engine::Scope;

    fn node(env: &str, id: &str) -> Resolved {
        Resolved {
            env: env.into(),
            id: id.into(),
            scope: Scope::new("1", "r"),
            attrs: Attrs::new(),
            replaces: None,
        }
    }

    #[test]
    fn names_carry_the_env_and_node_in_allowed_characters() {
        let n = node("hub_spoke", "firewall/rules/domains");
        assert_eq!(resource_name(&n), "airgap-hub-spoke-firewall-rules-domains");
        assert!(resource_name(&n).starts_with(&name_prefix("hub_spoke")));
        let long = node(&"e".repeat(64), &"x/".repeat(60));
        let name = resource_name(&long);
        assert_eq!(name.len(), MAX_NAME);
        assert!(name.starts_with(&name_prefix(&"e".repeat(64))));
        // A replacement exists beside the old one: another name, same prefix.
        let mut r = node("demo", "firewall/policy");
        r.replaces = Some("arn:old".into());
        let name = resource_name(&r);
        assert_ne!(name, "airgap-demo-firewall-policy");
        assert!(name.starts_with("airgap-demo-firewall-policy-"));
    }

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

    fn observed(attrs: Attrs) -> Observed {
        Observed {
            id: "firewall/rules/domains".into(),
            physical_id: "arn:rg".into(),
            attrs,
            outputs: Attrs::new(),
            parents: vec![],
        }
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

    #[test]
    fn az_letters_name_the_endpoints() {
        assert_eq!(az_letter("eu-central-1a"), "a");
        assert_eq!(az_letter("us-east-1f"), "f");
    }
}
