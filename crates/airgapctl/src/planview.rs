//! What a reviewer reads a plan by, shared by the text (`render::plan_with`) and the JSON
//! document (`plan --output json`): nodes grouped by account and VPC, counts per account
//! and kind, and which desired attributes are known only after apply (and from which
//! output). Pure: plans in, values out.

use std::collections::BTreeMap;

use airgap_engine::{Action, Plan, PlanMode, PlannedNode, Ref, Scope, Value};
use serde::Serialize;

/// The version of the JSON plan document: bumped when a field changes meaning or goes
/// away (fields are only ever added within one version).
pub const FORMAT_VERSION: u32 = 1;

/// The VPC a node belongs to: `vpc/<name>` and everything under it (`vpc/<name>/...`,
/// and a duplicate's `vpc/<name>#<physical id>`). Other nodes belong to their account.
pub fn vpc_of(id: &str) -> Option<&str> {
    let rest = id.strip_prefix("vpc/")?;
    let end = rest.find(['/', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|name| !name.is_empty())
}

/// Changes of one kind of action, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub wait: usize,
}

impl Counts {
    pub fn add(&mut self, action: &Action) {
        match action {
            Action::Create => self.create += 1,
            Action::Update { .. } => self.update += 1,
            Action::Replace { .. } => self.replace += 1,
            Action::Delete => self.delete += 1,
            Action::Await { .. } => self.wait += 1,
            Action::NoOp => {}
        }
    }

    pub fn total(&self) -> usize {
        self.create + self.update + self.replace + self.delete + self.wait
    }
}

/// The changed nodes of one account and region.
pub struct AccountGroup<'a> {
    pub scope: &'a Scope,
    /// The account's name in the blueprint, when known.
    pub name: Option<&'a str>,
    /// Nodes outside any VPC, by id.
    pub nodes: Vec<&'a PlannedNode>,
    /// Nodes of each VPC, by VPC name, then id.
    pub vpcs: BTreeMap<&'a str, Vec<&'a PlannedNode>>,
    pub counts: Counts,
}

/// The changed nodes (no-ops left out), grouped by account and region (in id order),
/// then VPC. `names`: blueprint account names by account id.
pub fn groups<'a>(plan: &'a Plan, names: &'a BTreeMap<String, String>) -> Vec<AccountGroup<'a>> {
    let mut by_scope: BTreeMap<(&str, &str), AccountGroup<'a>> = BTreeMap::new();
    let mut nodes: Vec<&PlannedNode> =
        plan.nodes.iter().filter(|n| n.action != Action::NoOp).collect();
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    for n in nodes {
        let g =
            by_scope.entry((&n.scope.account, &n.scope.region)).or_insert_with(|| AccountGroup {
                scope: &n.scope,
                name: names.get(&n.scope.account).map(String::as_str),
                nodes: Vec::new(),
                vpcs: BTreeMap::new(),
                counts: Counts::default(),
            });
        g.counts.add(&n.action);
        match vpc_of(&n.id.0) {
            Some(vpc) => g.vpcs.entry(vpc).or_default().push(n),
            None => g.nodes.push(n),
        }
    }
    by_scope.into_values().collect()
}

/// Changes by resource kind, every account together.
pub fn by_kind(plan: &Plan) -> BTreeMap<&str, Counts> {
    let mut out: BTreeMap<&str, Counts> = BTreeMap::new();
    for n in plan.nodes.iter().filter(|n| n.action != Action::NoOp) {
        out.entry(n.kind.as_str()).or_default().add(&n.action);
    }
    out
}

/// One desired attribute (or a part of one) that is known only after apply: its path
/// (`subnets[1]`, `tags.Name`) and, when the declared node says, the output it comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Unknown {
    pub path: String,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub reference: Option<Ref>,
}

/// Every unknown in `n`'s desired attributes, in attribute order.
pub fn unknowns(n: &PlannedNode) -> Vec<Unknown> {
    let mut out = Vec::new();
    let Some(desired) = &n.desired else { return out };
    for (k, v) in desired {
        let declared = n.declared.as_ref().and_then(|d| d.attrs.get(k));
        collect_unknowns(k.clone(), v, declared, &mut out);
    }
    out
}

fn collect_unknowns(path: String, v: &Value, declared: Option<&Value>, out: &mut Vec<Unknown>) {
    match v {
        Value::Unknown(_) => out.push(Unknown { path, reference: reference(declared) }),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_unknowns(format!("{path}[{i}]"), item, declared_item(declared, i), out);
            }
        }
        Value::Map(m) => {
            for (k, item) in m {
                collect_unknowns(format!("{path}.{k}"), item, declared_entry(declared, k), out);
            }
        }
        _ => {}
    }
}

/// The reference a declared value is, if it is one.
pub fn reference(declared: Option<&Value>) -> Option<Ref> {
    match declared {
        Some(Value::Ref(r)) => Some(r.clone()),
        _ => None,
    }
}

/// Item `i` of a declared list, walked beside its resolved value.
pub fn declared_item(declared: Option<&Value>, i: usize) -> Option<&Value> {
    match declared {
        Some(Value::List(items)) => items.get(i),
        _ => None,
    }
}

/// Entry `k` of a declared map, walked beside its resolved value.
pub fn declared_entry<'a>(declared: Option<&'a Value>, k: &str) -> Option<&'a Value> {
    match declared {
        Some(Value::Map(m)) => m.get(k),
        _ => None,
    }
}

/// The JSON plan: the engine's plan as before (every existing field kept, with its name),
/// plus `format_version`, per node its account name, VPC and unknowns, and the groups and
/// counts the text shows.
#[derive(Serialize)]
pub struct Document<'a> {
    pub format_version: u32,
    #[serde(flatten)]
    plan: PlanFields<'a>,
    /// Changed nodes per account and region, and their counts.
    pub accounts: Vec<AccountJson<'a>>,
    pub by_kind: BTreeMap<&'a str, Counts>,
}

#[derive(Serialize)]
struct PlanFields<'a> {
    env: &'a str,
    mode: PlanMode,
    nodes: Vec<NodeJson<'a>>,
    observations: usize,
    #[serde(skip_serializing_if = "is_empty")]
    refused: &'a [(airgap_engine::NodeId, String)],
}

fn is_empty<T>(items: &&[T]) -> bool {
    items.is_empty()
}

#[derive(Serialize)]
struct NodeJson<'a> {
    #[serde(flatten)]
    node: &'a PlannedNode,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vpc: Option<&'a str>,
    /// Desired attributes known only after apply (`desired` has `{"$unknown": true}` there).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    known_after_apply: Vec<Unknown>,
}

#[derive(Serialize)]
pub struct AccountJson<'a> {
    account: &'a str,
    region: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    /// Ids of the changed nodes outside any VPC.
    nodes: Vec<&'a str>,
    /// Ids of the changed nodes of each VPC, by VPC name.
    vpcs: BTreeMap<&'a str, Vec<&'a str>>,
    counts: Counts,
}

/// The JSON document of `plan`; `names`: blueprint account names by id.
pub fn document<'a>(plan: &'a Plan, names: &'a BTreeMap<String, String>) -> Document<'a> {
    let ids = |nodes: &[&'a PlannedNode]| nodes.iter().map(|n| n.id.0.as_str()).collect();
    let accounts = groups(plan, names)
        .into_iter()
        .map(|g| AccountJson {
            account: &g.scope.account,
            region: &g.scope.region,
            name: g.name,
            nodes: ids(&g.nodes),
            vpcs: g.vpcs.iter().map(|(vpc, nodes)| (*vpc, ids(nodes))).collect(),
            counts: g.counts,
        })
        .collect();
    let nodes = plan
        .nodes
        .iter()
        .map(|n| NodeJson {
            node: n,
            account_name: names.get(&n.scope.account).map(String::as_str),
            vpc: vpc_of(&n.id.0),
            known_after_apply: unknowns(n),
        })
        .collect();
    Document {
        format_version: FORMAT_VERSION,
        plan: PlanFields {
            env: &plan.env,
            mode: plan.mode,
            nodes,
            observations: plan.observations,
            refused: &plan.refused,
        },
        accounts,
        by_kind: by_kind(plan),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpc_membership_is_by_id() {
        assert_eq!(vpc_of("vpc/workload"), Some("workload"));
        assert_eq!(vpc_of("vpc/workload/subnet/a"), Some("workload"));
        assert_eq!(vpc_of("vpc/a#vpc-4"), Some("a"));
        assert_eq!(vpc_of("tgw/attachment/workload"), None);
        assert_eq!(vpc_of("vpcx/a"), None);
        assert_eq!(vpc_of("vpc/"), None);
    }
}
