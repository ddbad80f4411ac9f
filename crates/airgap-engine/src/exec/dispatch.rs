//! Ready operations and how they start: the ready queues (critical path or
//! FIFO), parallelism slots and rate-limit buckets, the call itself, and the
//! references it resolves first.

use std::cmp::Reverse;
use std::sync::Arc;

use tokio::time::Instant;
use tracing::{info_span, Instrument};

use super::{Candidate, Exec, Order, State, StepResult};
use crate::events::Event;
use crate::kind::{Change, Diff, KindError, Observed, Op, ReplaceMode, Resolved, Updated};
use crate::plan::Action;
use crate::value::{Attrs, Value};

impl Exec<'_> {
    pub(super) fn make_ready(&mut self, o: usize) {
        self.st[o].state = State::Ready;
        self.seq += 1;
        match self.opts.order {
            Order::Fifo => self.fifo.push_back(o),
            Order::CriticalPath => {
                let key = (self.scope(o).clone(), self.bucket(o));
                self.ready.entry(key).or_default().heap.push((
                    self.g.rank[o],
                    Reverse(self.seq),
                    o,
                ));
            }
        }
    }

    /// Starts as many ready calls as slots and buckets allow. Returns when to look
    /// again if something is held back only by an empty bucket.
    pub(super) fn dispatch(&mut self) -> Option<Instant> {
        let now = Instant::now();
        let mut wake: Option<Instant> = None;
        while self.slots_used < self.opts.parallelism {
            let pick = match self.opts.order {
                Order::Fifo => {
                    let Some(&o) = self.fifo.front() else { break };
                    // No bucket awareness: the head waits for its token, like a
                    // client throttled on its first call.
                    match self.limiter.try_take(&self.scope(o).clone(), self.bucket(o), now) {
                        Ok(()) => {
                            self.fifo.pop_front();
                            o
                        }
                        Err(wait) => {
                            wake = Some(now + wait);
                            break;
                        }
                    }
                }
                Order::CriticalPath => {
                    let mut best: Option<Candidate> = None;
                    for (key, q) in &self.ready {
                        let Some(&(rank, seq, o)) = q.heap.peek() else {
                            continue;
                        };
                        if best.as_ref().is_some_and(|b| (b.0, b.1) >= (rank, seq)) {
                            continue;
                        }
                        match self.limiter.available(&key.0, key.1, now) {
                            Ok(()) => best = Some((rank, seq, o, key.clone())),
                            Err(wait) => {
                                let t = now + wait;
                                wake = Some(wake.map_or(t, |w| w.min(t)));
                            }
                        }
                    }
                    let Some((_, _, o, key)) = best else { break };
                    let q = self.ready.get_mut(&key).expect("key just seen");
                    q.heap.pop();
                    if q.heap.is_empty() {
                        self.ready.remove(&key);
                    }
                    self.limiter.try_take(&key.0, key.1, now).expect("availability checked above");
                    o
                }
            };
            self.slots_used += 1;
            self.st[pick].holds_slot = true;
            self.start_call(pick);
        }
        // With free slots, only an empty bucket holds work back; with none, a
        // finishing call wakes the loop.
        wake
    }

    pub(super) fn start_call(&mut self, o: usize) {
        let now = Instant::now();
        let node = &self.plan.nodes[self.g.ops[o].plan_ix];
        let op = self.g.ops[o].op;
        if self.st[o].started.is_none() {
            self.st[o].started = Some(now);
            self.events.emit(|| Event::Started {
                at_s: self.at(),
                node: node.id.clone(),
                kind: node.kind.clone(),
                op,
            });
        }
        self.st[o].state = State::Calling;
        self.st[o].attempts += 1;
        self.calls_in_flight += 1;
        if matches!(node.action, Action::Await { .. }) {
            // Nothing to call: it exists and only has to become ready.
            self.on_result(o, StepResult::Updated(Ok(Updated::default())));
            return;
        }
        let kind = Arc::clone(&self.kinds[o]);
        let span = info_span!("call", node = %node.id, kind = %node.kind, %op, attempt = self.st[o].attempts);
        match op {
            Op::Create | Op::Update => {
                let resolved = match self.resolve(o) {
                    Ok(r) => r,
                    Err(e) => {
                        self.calls_in_flight -= 1;
                        self.fail(o, KindError::fatal("Unresolved", e));
                        return;
                    }
                };
                if op == Op::Create {
                    self.tasks.spawn(
                        async move { (o, StepResult::Created(kind.create(&resolved).await)) }
                            .instrument(span),
                    );
                } else {
                    let current = node.current.clone().expect("an update has a current resource");
                    let diff = match &node.action {
                        Action::Update { changes } => {
                            Diff { changes: changes.clone(), refused: Vec::new() }
                        }
                        _ => Diff::default(),
                    };
                    self.tasks.spawn(
                        async move {
                            (
                                o,
                                StepResult::Updated(
                                    kind.update(Change {
                                        node: &resolved,
                                        current: &current,
                                        diff: &diff,
                                    })
                                    .await,
                                ),
                            )
                        }
                        .instrument(span),
                    );
                }
            }
            Op::Delete => {
                let current: Observed =
                    node.current.clone().expect("a delete has a current resource");
                let scope = node.scope.clone();
                self.tasks.spawn(
                    async move { (o, StepResult::Deleted(kind.delete(&scope, &current).await)) }
                        .instrument(span),
                );
            }
        }
    }

    /// Resolves references against the outputs of dependencies, all done by now.
    fn resolve(&self, o: usize) -> Result<Resolved, String> {
        let node = &self.plan.nodes[self.g.ops[o].plan_ix];
        let declared = node.declared.as_ref().expect("creates and updates are declared");
        let mut missing = None;
        let lookup = |r: &crate::Ref| -> Value {
            let found = self
                .index
                .get(&r.node)
                .and_then(|&i| self.outputs[i].as_ref())
                .and_then(|out| out.get(&r.output));
            match found {
                Some(v) => v.clone(),
                None => Value::Null,
            }
        };
        let attrs: Attrs = declared
            .attrs
            .iter()
            .map(|(k, v)| {
                let r = v.resolve(&lookup);
                if r == Value::Null && !v.refs().is_empty() && missing.is_none() {
                    missing = Some(v.refs()[0].clone());
                }
                (k.clone(), r)
            })
            .collect();
        if let Some(r) = missing {
            return Err(format!("{} has no output {:?} to give {}", r.node, r.output, node.id));
        }
        let replaces = match node.action {
            Action::Replace { mode: ReplaceMode::CreateBeforeDestroy, .. } => {
                node.current.as_ref().map(|c| c.physical_id.clone())
            }
            _ => None,
        };
        Ok(Resolved {
            env: Arc::clone(&self.env),
            id: node.id.clone(),
            scope: node.scope.clone(),
            attrs,
            replaces,
        })
    }
}
