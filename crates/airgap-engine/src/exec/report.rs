//! How a run ended: each operation's [`Outcome`] and the [`Report`] that
//! `finish` builds from them once the loop stops.

use std::time::Duration;

use serde::Serialize;

use super::{Exec, State};
use crate::events::Event;
use crate::graph::NodeId;
use crate::kind::{ErrorClass, Op};
use crate::value::Attrs;

/// How one operation ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    Done {
        elapsed_s: f64,
    },
    Failed {
        error: String,
        /// How the kind classed the error (`fatal`, `throttled`, `not-found`, ...).
        class: ErrorClass,
    },
    Skipped {
        cause: NodeId,
    },
    /// Called, but the run was cancelled before it was confirmed ready or gone.
    Interrupted,
    NotStarted,
}

#[derive(Clone, Debug, Serialize)]
pub struct OpReport {
    pub node: NodeId,
    pub kind: String,
    pub op: Op,
    pub outcome: Outcome,
    /// Done, but for this, which a further round reaches (see `Updated::remaining`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining: Option<String>,
    /// Readiness checks of this operation (a batched call checks several).
    pub checks: u32,
    /// The time between the check that found it finished and the one before: how late
    /// it was seen, at most.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag_bound_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub ops: Vec<OpReport>,
    pub elapsed_s: f64,
    /// The longest chain of dependent operations, each as long as it took: what the run
    /// would have taken with unlimited parallelism and no scheduling delay.
    pub longest_chain_s: f64,
    pub cancelled: bool,
    /// Outputs of every node that exists after the run, by id.
    pub outputs: Vec<(NodeId, Attrs)>,
    /// Readiness calls made: a batched call that checks several resources counts once.
    pub readiness_calls: u64,
}

impl Report {
    pub fn succeeded(&self) -> bool {
        !self.cancelled && self.ops.iter().all(|o| matches!(o.outcome, Outcome::Done { .. }))
    }

    /// Failed operations only: their skipped dependents are not causes.
    pub fn root_causes(&self) -> impl Iterator<Item = &OpReport> {
        self.ops.iter().filter(|o| matches!(o.outcome, Outcome::Failed { .. }))
    }

    /// Operations that did one step of several (`Updated::remaining`): after a run that
    /// succeeded, the apply plans and runs again for what they name.
    pub fn remaining(&self) -> impl Iterator<Item = (&NodeId, &str)> {
        self.ops.iter().filter_map(|o| o.remaining.as_deref().map(|r| (&o.node, r)))
    }

    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.ops.iter().filter(|o| f(&o.outcome)).count()
    }

    /// How the run waited: readiness calls per operation that waited, and the p50
    /// and p99 of the bound on detection lag (see [`OpReport::lag_bound_s`]).
    pub fn readiness(&self) -> ReadinessFigures {
        let mut lags: Vec<f64> = self.ops.iter().filter_map(|o| o.lag_bound_s).collect();
        lags.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            lags.get(((lags.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(0.0)
        };
        let waited = self.ops.iter().filter(|o| o.checks > 0).count();
        ReadinessFigures {
            calls: self.readiness_calls,
            checks: self.ops.iter().map(|o| u64::from(o.checks)).sum(),
            calls_per_op: if waited == 0 {
                0.0
            } else {
                self.readiness_calls as f64 / waited as f64
            },
            lag_p50_s: pct(0.5),
            lag_p99_s: pct(0.99),
        }
    }
}

/// Figures of a run's readiness checks (see [`Report::readiness`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ReadinessFigures {
    pub calls: u64,
    pub checks: u64,
    pub calls_per_op: f64,
    pub lag_p50_s: f64,
    pub lag_p99_s: f64,
}

impl Exec<'_> {
    pub(super) fn finish(&mut self, cancelled: bool) -> Report {
        let mut ops = Vec::with_capacity(self.g.len());
        for o in 0..self.g.len() {
            let outcome = match (&self.st[o].outcome, self.st[o].state) {
                (Some(out), _) => out.clone(),
                (None, State::Waiting | State::Polling | State::Calling) => Outcome::Interrupted,
                (None, State::Ready) if self.st[o].started.is_some() => Outcome::Interrupted,
                (None, _) => Outcome::NotStarted,
            };
            let node = &self.plan.nodes[self.g.ops[o].plan_ix];
            ops.push(OpReport {
                node: node.id.clone(),
                kind: node.kind.clone(),
                op: self.g.ops[o].op,
                remaining: self.st[o]
                    .remaining
                    .clone()
                    .filter(|_| matches!(outcome, Outcome::Done { .. })),
                checks: self.st[o].polls,
                lag_bound_s: self.st[o].lag_bound.map(|d| d.as_secs_f64()),
                outcome,
            });
        }
        let mut outputs: Vec<(NodeId, Attrs)> = self
            .plan
            .nodes
            .iter()
            .zip(&self.outputs)
            .filter_map(|(n, out)| out.as_ref().map(|o| (n.id.clone(), o.clone())))
            .collect();
        outputs.sort_by(|a, b| a.0.cmp(&b.0));
        let took: Vec<Duration> = ops
            .iter()
            .map(|o| match o.outcome {
                Outcome::Done { elapsed_s } => Duration::from_secs_f64(elapsed_s.max(0.0)),
                _ => Duration::ZERO,
            })
            .collect();
        let report = Report {
            longest_chain_s: self.g.longest_path(&took).as_secs_f64(),
            ops,
            elapsed_s: self.at(),
            cancelled,
            outputs,
            readiness_calls: self.readiness_calls,
        };
        self.events.emit(|| Event::RunFinished {
            at_s: report.elapsed_s,
            done: report.count(|o| matches!(o, Outcome::Done { .. })),
            failed: report.count(|o| matches!(o, Outcome::Failed { .. })),
            skipped: report.count(|o| matches!(o, Outcome::Skipped { .. })),
            not_started: report.count(|o| matches!(o, Outcome::NotStarted | Outcome::Interrupted)),
        });
        report
    }
}
