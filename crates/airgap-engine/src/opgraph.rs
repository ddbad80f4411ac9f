//! The operations a plan needs, ordered: creates and updates after what they depend
//! on, deletes after what depends on them, replacements in their declared order. Each
//! operation is ranked by the longest expected time from its start to the end of the
//! run (critical path first).

use std::time::Duration;

use crate::graph::NodeId;
use crate::kind::{Op, Registry, ReplaceMode};
use crate::plan::{Action, Plan, PlanError};

/// One operation on one plan node.
#[derive(Clone, Debug)]
pub struct OpNode {
    pub plan_ix: usize,
    pub op: Op,
    /// Deletes the existing instance of a node being replaced.
    pub replaced: bool,
    pub expected: Duration,
}

pub struct OpGraph {
    pub ops: Vec<OpNode>,
    /// Operations that wait for this one.
    pub succ: Vec<Vec<usize>>,
    pub pred_count: Vec<usize>,
    /// Expected time from this operation's start to the end of its longest chain.
    pub rank: Vec<Duration>,
}

/// Counted for every operation so that chains of instant operations still rank by length.
const CALL_ESTIMATE: Duration = Duration::from_millis(100);

impl OpGraph {
    pub fn build(plan: &Plan, registry: &Registry) -> Result<OpGraph, PlanError> {
        let n = plan.nodes.len();
        let mut ops: Vec<OpNode> = Vec::new();
        let mut apply_op: Vec<Option<usize>> = vec![None; n];
        let mut delete_op: Vec<Option<usize>> = vec![None; n];
        let expected = |ix: usize, op: Op| {
            registry.get(&plan.nodes[ix].kind).map(|k| k.timing().expected(op)).unwrap_or_default()
        };
        for (ix, node) in plan.nodes.iter().enumerate() {
            let mut push = |op: Op, replaced: bool| {
                ops.push(OpNode { plan_ix: ix, op, replaced, expected: expected(ix, op) });
                ops.len() - 1
            };
            match &node.action {
                Action::NoOp => {}
                Action::Create => apply_op[ix] = Some(push(Op::Create, false)),
                // A wait is an update that calls nothing and then polls readiness.
                Action::Update { .. } | Action::Await { .. } => {
                    apply_op[ix] = Some(push(Op::Update, false));
                }
                Action::Replace { .. } => {
                    apply_op[ix] = Some(push(Op::Create, false));
                    delete_op[ix] = Some(push(Op::Delete, true));
                }
                Action::Delete => delete_op[ix] = Some(push(Op::Delete, false)),
            }
        }

        let mut edges: Vec<(usize, usize)> = Vec::new();
        // Creates and updates follow the nearest dependencies that have work to do;
        // unchanged nodes in between pass the ordering through.
        let mut nearest: Vec<Option<Vec<usize>>> = vec![None; n];
        for ix in 0..n {
            if let Some(a) = apply_op[ix] {
                for dep_op in nearest_apply(ix, plan, &apply_op, &mut nearest) {
                    edges.push((dep_op, a));
                }
            }
        }
        // Deletes wait for the deletes of what depends on them.
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (ix, node) in plan.nodes.iter().enumerate() {
            let existing = node.current.is_some();
            for &d in &node.deps {
                if existing && plan.nodes[d].current.is_some() {
                    dependents[d].push(ix);
                }
            }
            for &d in &node.current_deps {
                dependents[d].push(ix);
            }
        }
        for v in &mut dependents {
            v.sort_unstable();
            v.dedup();
        }
        for ix in 0..n {
            let Some(del) = delete_op[ix] else { continue };
            for &m in &dependents[ix] {
                if let Some(dm) = delete_op[m] {
                    edges.push((dm, del));
                }
            }
            if let Action::Replace { mode, .. } = plan.nodes[ix].action {
                let create = apply_op[ix].expect("a replace has a create");
                match mode {
                    ReplaceMode::DeleteBeforeCreate => edges.push((del, create)),
                    ReplaceMode::CreateBeforeDestroy => {
                        edges.push((create, del));
                        // Dependents move to the new instance before the old one goes.
                        for &m in &dependents[ix] {
                            if let Some(am) = apply_op[m] {
                                edges.push((am, del));
                            }
                        }
                    }
                }
            }
        }

        let count = ops.len();
        let mut succ = vec![Vec::new(); count];
        let mut pred_count = vec![0usize; count];
        edges.sort_unstable();
        edges.dedup();
        for (a, b) in edges {
            succ[a].push(b);
            pred_count[b] += 1;
        }
        let order = topo(&succ, &pred_count)
            .ok_or_else(|| PlanError::Cycle(plan.nodes[ops[0].plan_ix].id.clone()))?;
        let mut rank = vec![Duration::ZERO; count];
        for &o in order.iter().rev() {
            let tail = succ[o].iter().map(|&s| rank[s]).max().unwrap_or_default();
            rank[o] = ops[o].expected + CALL_ESTIMATE + tail;
        }
        Ok(OpGraph { ops, succ, pred_count, rank })
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// The longest chain of `durations` (one per operation) through the graph.
    pub fn longest_path(&self, durations: &[Duration]) -> Duration {
        let order = topo(&self.succ, &self.pred_count).expect("sealed at build");
        let mut best = vec![Duration::ZERO; self.ops.len()];
        for &o in order.iter().rev() {
            let tail = self.succ[o].iter().map(|&s| best[s]).max().unwrap_or_default();
            best[o] = durations[o] + tail;
        }
        best.into_iter().max().unwrap_or_default()
    }

    pub fn node_id<'a>(&self, plan: &'a Plan, op: usize) -> &'a NodeId {
        &plan.nodes[self.ops[op].plan_ix].id
    }
}

fn nearest_apply(
    ix: usize,
    plan: &Plan,
    apply_op: &[Option<usize>],
    memo: &mut Vec<Option<Vec<usize>>>,
) -> Vec<usize> {
    if let Some(v) = &memo[ix] {
        return v.clone();
    }
    let mut out = Vec::new();
    for &d in &plan.nodes[ix].deps {
        match apply_op[d] {
            Some(op) => out.push(op),
            None => out.extend(nearest_apply(d, plan, apply_op, memo)),
        }
    }
    out.sort_unstable();
    out.dedup();
    memo[ix] = Some(out.clone());
    out
}

/// Kahn's algorithm; `None` on a cycle.
fn topo(succ: &[Vec<usize>], pred_count: &[usize]) -> Option<Vec<usize>> {
    let mut indeg = pred_count.to_vec();
    let mut stack: Vec<usize> = (0..succ.len()).filter(|&i| indeg[i] == 0).collect();
    let mut order = Vec::with_capacity(succ.len());
    while let Some(o) = stack.pop() {
        order.push(o);
        for &s in &succ[o] {
            indeg[s] -= 1;
            if indeg[s] == 0 {
                stack.push(s);
            }
        }
    }
    (order.len() == succ.len()).then_some(order)
}
