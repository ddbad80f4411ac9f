//! Planning: observe every kind in every scope once, compare with the declared graph,
//! and decide an action per node. Resources that carry the env tag but are no longer
//! declared are planned for deletion.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::task::JoinSet;

use crate::graph::{Graph, Node, NodeId, Scope};
use crate::kind::{fnv1a, FieldChange, KindError, Observed, Registry, ReplaceMode};
use crate::value::{Attrs, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanMode {
    /// Converge on the declared graph.
    Apply,
    /// Delete everything that carries the env tag.
    Destroy,
}

/// What will happen to a node.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    NoOp,
    Create,
    Update {
        changes: Vec<FieldChange>,
    },
    Replace {
        changes: Vec<FieldChange>,
        mode: ReplaceMode,
    },
    Delete,
    /// Exists but is not ready (a run was stopped while it was being created), and a
    /// dependent needs outputs it only has once ready: wait for it, change nothing.
    Await {
        outputs: Vec<String>,
    },
}

impl Action {
    pub fn symbol(&self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update { .. } => "~",
            Action::Replace { mode: ReplaceMode::CreateBeforeDestroy, .. } => "+/-",
            Action::Replace { .. } => "-/+",
            Action::Delete => "-",
            Action::Await { .. } => "<=",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PlannedNode {
    pub id: NodeId,
    pub kind: String,
    pub scope: Scope,
    pub action: Action,
    /// Desired attributes as far as they are known now (unknowns for outputs of
    /// nodes still to be created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<Attrs>,
    /// The declared node, with its references; `None` for undeclared resources.
    #[serde(skip)]
    pub declared: Option<Node>,
    /// The resource as observed, if it exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Observed>,
    /// Plan indices of the declared dependencies.
    #[serde(skip)]
    pub deps: Vec<usize>,
    /// Plan indices of what the existing resource depends on (orders deletes).
    #[serde(skip)]
    pub current_deps: Vec<usize>,
}

impl PlannedNode {
    /// The outputs of the instance that serves dependents when the run starts: an
    /// existing resource that is kept (unchanged, updated in place, or awaited). A
    /// created or replaced node has none until its step makes them. The one rule the
    /// plan (resolving references) and the executor (seeding outputs) both follow.
    pub fn live_outputs(&self) -> Option<&Attrs> {
        match (&self.action, &self.current) {
            (Action::NoOp | Action::Update { .. } | Action::Await { .. }, Some(c)) => {
                Some(&c.outputs)
            }
            _ => None,
        }
    }
}

/// The plan of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub env: String,
    pub mode: PlanMode,
    pub nodes: Vec<PlannedNode>,
    /// Observe calls made (kinds x scopes); API calls are counted by the provider.
    pub observations: usize,
    /// Changes AWS cannot make (`Diff::refused`), by node: apply refuses such a plan.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<(NodeId, String)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    /// Existing but not ready yet, waited for.
    pub wait: usize,
    pub unchanged: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for n in &self.nodes {
            match n.action {
                Action::NoOp => s.unchanged += 1,
                Action::Create => s.create += 1,
                Action::Update { .. } => s.update += 1,
                Action::Replace { .. } => s.replace += 1,
                Action::Delete => s.delete += 1,
                Action::Await { .. } => s.wait += 1,
            }
        }
        s
    }

    pub fn has_changes(&self) -> bool {
        self.nodes.iter().any(|n| n.action != Action::NoOp)
    }

    /// The plan indices `addr` names (`--target`): the node of that id and those under
    /// it, as a module address in Terraform names its resources: `vpc/workload` names
    /// `vpc/workload/subnet/...` and the resources AWS cannot tag, named
    /// `<parent>~<key>`, of those.
    pub fn addressed(&self, addr: &str) -> Vec<usize> {
        self.nodes.iter().enumerate().filter(|(_, n)| n.id.is_under(addr)).map(|(i, _)| i).collect()
    }

    /// Keeps the nodes at `keep` and what they need, and leaves everything else out of
    /// the plan, untouched (`--target`). An apply needs a node's dependencies (declared,
    /// and what the existing resource uses), and a delete needs what depends on the
    /// resource deleted first; a destroy deletes what depends on a node before it.
    pub fn restrict(&mut self, keep: &[usize]) {
        let n = self.nodes.len();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, node) in self.nodes.iter().enumerate() {
            for &d in node.deps.iter().chain(&node.current_deps) {
                dependents[d].push(i);
            }
        }
        let mut kept = vec![false; n];
        let mut stack = keep.to_vec();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut kept[i], true) {
                continue;
            }
            let node = &self.nodes[i];
            let deletes = matches!(node.action, Action::Delete);
            if self.mode == PlanMode::Apply {
                stack.extend(node.deps.iter().chain(&node.current_deps));
            }
            if self.mode == PlanMode::Destroy || deletes {
                stack.extend(dependents[i].iter().filter(|&&d| {
                    self.mode == PlanMode::Destroy || matches!(self.nodes[d].action, Action::Delete)
                }));
            }
        }
        let mut new_ix = vec![usize::MAX; n];
        let mut nodes = Vec::new();
        for (i, node) in std::mem::take(&mut self.nodes).into_iter().enumerate() {
            if kept[i] {
                new_ix[i] = nodes.len();
                nodes.push(node);
            }
        }
        for node in &mut nodes {
            let remap = |v: &mut Vec<usize>| {
                *v = v.iter().map(|&d| new_ix[d]).filter(|&d| d != usize::MAX).collect();
            };
            remap(&mut node.deps);
            remap(&mut node.current_deps);
        }
        let ids: HashSet<&NodeId> = nodes.iter().map(|n| &n.id).collect();
        self.refused.retain(|(id, _)| ids.contains(id));
        self.nodes = nodes;
    }

    /// A stable hash (FNV-1a, the same on every run and platform) of everything the
    /// plan was computed from that observe returned: per resource its kind, scope,
    /// node id, physical id, attributes, outputs and parents. Every observed resource
    /// is some node's `current`, so two plans of one env, graph and mode with the
    /// same fingerprint saw the same environment and decided the same actions. Independent
    /// of node order. Detects change, not tampering: it is not a cryptographic hash.
    pub fn fingerprint(&self) -> u64 {
        let mut resources: Vec<String> = self
            .nodes
            .iter()
            .filter_map(|n| {
                let o = n.current.as_ref()?;
                Some(
                    serde_json::to_string(&(&n.kind, &n.scope, o))
                        .expect("observed resources serialize"),
                )
            })
            .collect();
        resources.sort_unstable();
        let parts: Vec<&[u8]> = resources.iter().map(|r| r.as_bytes()).collect();
        fnv1a(&parts)
    }
}

#[derive(Debug, Error)]
pub enum PlanError {
    #[error("node {node} has kind {kind}, which no provider offers")]
    UnknownKind { node: NodeId, kind: String },
    #[error("observing {kind} in {scope} failed: {error}")]
    Observe {
        kind: String,
        scope: Scope,
        #[source]
        error: Box<KindError>,
    },
    #[error("the plan's operations form a cycle through {0}")]
    Cycle(NodeId),
}

/// Observes every registered kind in every scope the graph spans (plus `extra_scopes`,
/// where an environment may have left resources), then plans each node.
pub async fn plan(
    env: &str,
    graph: &Graph,
    registry: &Registry,
    mode: PlanMode,
    extra_scopes: &[Scope],
) -> Result<Plan, PlanError> {
    plan_replacing(env, graph, registry, mode, extra_scopes, &HashSet::new()).await
}

/// [`plan`], with the existing resources of the nodes in `replace` replaced whatever
/// their diff says (`--replace`, Terraform's `-replace`): what depends on their outputs
/// sees them as unknown, as after any replacement.
pub async fn plan_replacing(
    env: &str,
    graph: &Graph,
    registry: &Registry,
    mode: PlanMode,
    extra_scopes: &[Scope],
    replace: &HashSet<NodeId>,
) -> Result<Plan, PlanError> {
    for n in graph.nodes() {
        if registry.get(&n.kind).is_none() {
            return Err(PlanError::UnknownKind { node: n.id.clone(), kind: n.kind.clone() });
        }
    }
    let mut scopes = graph.scopes();
    for s in extra_scopes {
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    for kind in registry.kinds() {
        kind.begin_observation();
    }
    let observed = observe_all(env, registry, &scopes).await?;
    let observations = registry.kinds().count() * scopes.len();
    Ok(decide(env, graph, registry, mode, observed, observations, replace))
}

/// Observations in flight at once. Each is a few paginated calls; a hundred accounts make
/// thousands of them, which all at once would open as many connections from one client
/// (and swamp a local emulator). 32 keeps a three-account plan as parallel as before.
const OBSERVE_IN_FLIGHT: usize = 32;

async fn observe_all(
    env: &str,
    registry: &Registry,
    scopes: &[Scope],
) -> Result<Vec<(String, Scope, Observed)>, PlanError> {
    let mut set = JoinSet::new();
    let env: Arc<str> = env.into();
    let slots = Arc::new(tokio::sync::Semaphore::new(OBSERVE_IN_FLIGHT));
    for scope in scopes {
        for kind in registry.kinds() {
            let (kind, scope, env) = (Arc::clone(kind), scope.clone(), Arc::clone(&env));
            let slots = Arc::clone(&slots);
            set.spawn(async move {
                let _slot = slots.acquire_owned().await.expect("the semaphore is never closed");
                let r = kind.observe(&env, &scope).await;
                (kind.name(), scope, r)
            });
        }
    }
    let mut all = Vec::new();
    while let Some(joined) = set.join_next().await {
        let (kind, scope, r) = joined.expect("observe task panicked");
        match r {
            Ok(found) => {
                all.extend(found.into_iter().map(|o| (kind.to_string(), scope.clone(), o)))
            }
            Err(error) => {
                return Err(PlanError::Observe {
                    kind: kind.to_string(),
                    scope,
                    error: Box::new(error),
                })
            }
        }
    }
    // Deterministic order whatever order the observations finished in.
    all.sort_by(|a, b| {
        (&a.0, &a.1, &a.2.id, &a.2.physical_id).cmp(&(&b.0, &b.1, &b.2.id, &b.2.physical_id))
    });
    Ok(all)
}

/// The pure part of planning: observations in, actions out; the existing resources of
/// the nodes in `replace` are replaced whatever their diff says.
pub fn decide(
    env: &str,
    graph: &Graph,
    registry: &Registry,
    mode: PlanMode,
    observed: Vec<(String, Scope, Observed)>,
    observations: usize,
    replace: &HashSet<NodeId>,
) -> Plan {
    // Several resources can carry the same airgap:id when a create was interrupted
    // and retried without a client token; the first is adopted, the others deleted.
    // One resource listed twice (the same physical id) is one resource: deleting the
    // "other" would delete the adopted one.
    let mut by_key: BTreeMap<(String, Scope, NodeId), Observed> = BTreeMap::new();
    let mut extra: Vec<(String, Scope, Observed)> = Vec::new();
    for (kind, scope, mut o) in observed {
        let key = (kind.clone(), scope.clone(), o.id.clone());
        match by_key.entry(key) {
            std::collections::btree_map::Entry::Occupied(kept)
                if kept.get().physical_id == o.physical_id => {}
            // A resource AWS cannot tag is named after its parent: two of them under one
            // name sit in two parents that carry one airgap:id (a duplicate parent). Each
            // is a resource of its own, paired by identity below, not a duplicate.
            std::collections::btree_map::Entry::Occupied(_)
                if registry.get(&kind).is_some_and(|k| !k.facts().identity.is_empty()) =>
            {
                o.id = NodeId(format!("{}#{}", o.id, o.physical_id));
                by_key.insert((kind, scope, o.id.clone()), o);
            }
            std::collections::btree_map::Entry::Occupied(_) => extra.push((kind, scope, o)),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(o);
            }
        }
    }

    // Resources of kinds AWS cannot tag carry no node id: observe names them after their
    // parent, and they are paired with declared nodes by identity (KindFacts::identity).
    let mut by_identity: HashMap<(String, Scope, String), NodeId> = HashMap::new();
    for ((kind, scope, id), o) in &by_key {
        if let Some(ident) = registry.get(kind).and_then(|k| k.identity_of(&o.attrs)) {
            by_identity.insert((kind.clone(), scope.clone(), ident), id.clone());
        }
    }

    let mut nodes: Vec<PlannedNode> = Vec::with_capacity(graph.len() + extra.len());
    let mut refused: Vec<(NodeId, String)> = Vec::new();
    let mut plan_ix_of_graph: Vec<usize> = vec![usize::MAX; graph.len()];
    let mut index_by_id: HashMap<NodeId, usize> = HashMap::new();

    for &gi in graph.topo_order() {
        let node = graph.node(gi);
        let key = (node.kind.clone(), node.scope.clone(), node.id.clone());
        let kind = registry.get(&node.kind).expect("kinds checked by plan()");
        let mut current = by_key.remove(&key);
        if current.is_none() && !kind.facts().identity.is_empty() {
            // A resource AWS cannot tag is this node's when it agrees on the kind's
            // identity with the node's attributes, resolved against what exists now (in
            // a destroy too, so it is deleted in the graph's order, before what it uses).
            let on_record = |r: &crate::Ref| -> Value {
                index_by_id
                    .get(&r.node)
                    .and_then(|&di| nodes[di].current.as_ref())
                    .and_then(|c| c.outputs.get(&r.output).cloned())
                    .unwrap_or(Value::UNKNOWN)
            };
            let now: Attrs =
                node.attrs.iter().map(|(k, v)| (k.clone(), v.resolve(&on_record))).collect();
            current = kind
                .identity_of(&now)
                .and_then(|ident| {
                    by_identity.remove(&(node.kind.clone(), node.scope.clone(), ident))
                })
                .and_then(|found| by_key.remove(&(node.kind.clone(), node.scope.clone(), found)))
                .map(|o| Observed { id: node.id.clone(), ..o });
        }
        let ix = nodes.len();
        plan_ix_of_graph[gi] = ix;
        index_by_id.insert(node.id.clone(), ix);
        let deps: Vec<usize> = graph.dependencies(gi).map(|d| plan_ix_of_graph[d]).collect();

        let (action, desired) = match mode {
            PlanMode::Destroy => {
                (if current.is_some() { Action::Delete } else { Action::NoOp }, None)
            }
            PlanMode::Apply => {
                // Outputs an existing, unchanged dependency does not have (yet).
                let not_ready = std::cell::RefCell::new(Vec::new());
                let lookup = |r: &crate::Ref| -> Value {
                    let Some(&di) = index_by_id.get(&r.node) else {
                        return Value::UNKNOWN;
                    };
                    let dep = &nodes[di];
                    if matches!(dep.action, Action::Update { .. })
                        && registry.get(&dep.kind).is_some_and(|k| {
                            k.outputs_changed_by_update().contains(&r.output.as_str())
                        })
                    {
                        return Value::UNKNOWN;
                    }
                    match dep.live_outputs() {
                        Some(outputs) => outputs.get(&r.output).cloned().unwrap_or_else(|| {
                            if matches!(dep.action, Action::NoOp | Action::Await { .. }) {
                                not_ready.borrow_mut().push((di, r.output.clone()));
                            }
                            Value::UNKNOWN
                        }),
                        None => Value::UNKNOWN,
                    }
                };
                let desired: Attrs =
                    node.attrs.iter().map(|(k, v)| (k.clone(), v.resolve(&lookup))).collect();
                for (di, output) in not_ready.into_inner() {
                    match &mut nodes[di].action {
                        a @ Action::NoOp => *a = Action::Await { outputs: vec![output] },
                        Action::Await { outputs } if !outputs.contains(&output) => {
                            outputs.push(output);
                        }
                        _ => {}
                    }
                }
                let action = match &current {
                    None => Action::Create,
                    Some(cur) => {
                        let diff = kind.diff(&desired, cur);
                        refused.extend(diff.refused.iter().map(|r| (node.id.clone(), r.clone())));
                        let forced = replace.contains(&node.id);
                        if diff.is_empty() && !forced {
                            Action::NoOp
                        } else if diff.requires_replacement() || forced {
                            let mut mode = kind.replace_mode();
                            // A dependency that must be deleted first cannot have a
                            // dependent that outlives it: delete-before-create wins.
                            if deps.iter().any(|&d| {
                                matches!(
                                    nodes[d].action,
                                    Action::Replace { mode: ReplaceMode::DeleteBeforeCreate, .. }
                                )
                            }) {
                                mode = ReplaceMode::DeleteBeforeCreate;
                            }
                            Action::Replace { changes: diff.changes, mode }
                        } else {
                            if let Some(why) =
                                held_too_long(kind.facts(), &node.id, &diff.changes, &deps, &nodes)
                            {
                                refused.push((node.id.clone(), why));
                            }
                            Action::Update { changes: diff.changes }
                        }
                    }
                };
                (action, Some(desired))
            }
        };
        nodes.push(PlannedNode {
            id: node.id.clone(),
            kind: node.kind.clone(),
            scope: node.scope.clone(),
            action,
            desired,
            declared: Some(node.clone()),
            current,
            deps,
            current_deps: Vec::new(),
        });
    }

    // Whatever is left was not declared (or is a duplicate): delete it.
    let leftovers = by_key.into_iter().map(|((kind, scope, _), o)| (kind, scope, o)).chain(extra);
    for (kind, scope, o) in leftovers {
        let id = if index_by_id.contains_key(&o.id) {
            NodeId(format!("{}#{}", o.id, o.physical_id))
        } else {
            o.id.clone()
        };
        index_by_id.entry(id.clone()).or_insert(nodes.len());
        nodes.push(PlannedNode {
            id,
            kind,
            scope,
            action: Action::Delete,
            desired: None,
            declared: None,
            current: Some(o),
            deps: Vec::new(),
            current_deps: Vec::new(),
        });
    }

    // Map each existing resource's parents (physical ids) to plan nodes.
    let by_physical: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .filter_map(|(i, n)| n.current.as_ref().map(|c| (c.physical_id.as_str(), i)))
        .collect();
    let current_deps: Vec<Vec<usize>> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut v: Vec<usize> = n
                .current
                .iter()
                .flat_map(|c| c.parents.iter())
                .filter_map(|p| by_physical.get(p.as_str()).copied())
                .filter(|&p| p != i)
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    for (n, cd) in nodes.iter_mut().zip(current_deps) {
        n.current_deps = cd;
    }

    Plan { env: env.to_string(), mode, nodes, observations, refused }
}

/// An in-place update that would come too late. One of the kind's `holds` fields still
/// names a dependency replaced delete-before-create: its old resource is deleted first,
/// AWS does not delete it while this one uses it (DeleteSubnet and DeleteSecurityGroup
/// answer DependencyViolation, ACM's DeleteCertificate and ELB's DeleteLoadBalancer
/// ResourceInUseException), and this one lets go of it only in its update, which waits
/// for the new resource. Replacing this one too orders its delete before the old one's.
fn held_too_long(
    facts: &crate::KindFacts,
    id: &NodeId,
    changes: &[FieldChange],
    deps: &[usize],
    nodes: &[PlannedNode],
) -> Option<String> {
    let held = changes.iter().filter(|c| facts.holds.contains(&c.field.as_str()));
    for ch in held {
        let Some(old) = &ch.old else { continue };
        for dep in deps.iter().map(|&d| &nodes[d]) {
            let Action::Replace { mode: ReplaceMode::DeleteBeforeCreate, .. } = dep.action else {
                continue;
            };
            let Some(cur) = dep.current.as_ref().filter(|c| names(old, &c.physical_id)) else {
                continue;
            };
            return Some(format!(
                "its `{field}` still uses {dep} ({physical}), which is deleted before it is \
                 made again, and AWS does not delete it while it is in use: {id} would change \
                 only after that delete; replace {id} too (--replace {id}), or keep {dep} as \
                 it is",
                field = ch.field,
                dep = dep.id,
                physical = cur.physical_id,
            ));
        }
    }
    None
}

/// Whether `v` is, or lists, the string `physical`.
fn names(v: &Value, physical: &str) -> bool {
    match v {
        Value::Str(s) => s == physical,
        Value::List(items) => items.iter().any(|i| names(i, physical)),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
