//! What a reviewer reads a plan by, shared by the text (`render::plan_with`) and the JSON
//! document (`plan --output json`): nodes grouped by account and VPC, counts per account
//! and kind, and which desired attributes are known only after apply (and from which
//! output). Pure: plans in, values out.

use std::collections::BTreeMap;

use airgap_engine::{Action, Plan, PlannedNode, Ref, Scope, Value};
use serde::Serialize;

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
