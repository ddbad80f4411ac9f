//! The main loop: it owns all state, fires timers, dispatches ready calls and
//! handles each step's result (completion, failure and what it skips).

use tokio::time::{sleep_until, Instant};

use super::{Exec, Outcome, Report, SlotMode, State, StepResult, Timer};
use crate::events::Event;
use crate::kind::{ErrorClass, KindError, Op, Readiness, Updated};
use crate::value::Value;

impl Exec<'_> {
    pub(super) async fn run(&mut self) -> Report {
        self.events.emit(|| Event::RunStarted { operations: self.g.len() });
        for o in 0..self.g.len() {
            if self.st[o].preds_left == 0 {
                self.make_ready(o);
            }
        }
        let mut cancelling = false;
        loop {
            if !cancelling && self.opts.cancel.is_cancelled() {
                cancelling = true;
                self.events
                    .emit(|| Event::Cancelling { at_s: self.at(), in_flight: self.tasks.len() });
            }
            let mut wake: Option<Instant> = None;
            if !cancelling {
                // Timers first: a retried call becomes ready and can go out at once.
                wake = self.fire_timers();
                if let Some(t) = self.dispatch() {
                    wake = Some(wake.map_or(t, |w| w.min(t)));
                }
            }
            if self.tasks.is_empty() && (cancelling || wake.is_none()) {
                break;
            }
            tokio::select! {
                biased;
                Some(joined) = self.tasks.join_next() => {
                    let (o, result) = joined.expect("step task panicked");
                    self.on_result(o, result);
                }
                _ = self.opts.cancel.cancelled(), if !cancelling => {}
                _ = sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {}
            }
        }
        self.finish(cancelling)
    }

    fn release_call_slot(&mut self, o: usize) {
        self.calls_in_flight -= 1;
        if self.opts.slots == SlotMode::Calls && self.st[o].holds_slot {
            self.st[o].holds_slot = false;
            self.slots_used -= 1;
        }
    }

    fn release_any_slot(&mut self, o: usize) {
        if self.st[o].holds_slot {
            self.st[o].holds_slot = false;
            self.slots_used -= 1;
        }
    }

    pub(super) fn on_result(&mut self, o: usize, result: StepResult) {
        let now = Instant::now();
        let op = self.g.ops[o].op;
        let pix = self.g.ops[o].plan_ix;
        match result {
            StepResult::Created(r) => {
                self.release_call_slot(o);
                match r {
                    Ok(c) => {
                        self.created_at[pix] = Some(now);
                        self.st[o].physical_id = Some(c.physical_id);
                        self.st[o].outputs = c.outputs;
                        self.begin_wait(o, now);
                    }
                    Err(e) => self.on_error(o, e, true),
                }
            }
            StepResult::Updated(r) => {
                self.release_call_slot(o);
                match r {
                    Ok(Updated { outputs, handle, remaining }) => {
                        let cur =
                            self.plan.nodes[pix].current.as_ref().expect("update has current");
                        self.st[o].physical_id = Some(cur.physical_id.clone());
                        let mut merged = cur.outputs.clone();
                        merged.extend(outputs);
                        self.st[o].outputs = merged;
                        self.st[o].handle = handle;
                        self.st[o].remaining = remaining;
                        self.begin_wait(o, now);
                    }
                    Err(e) => self.on_error(o, e, true),
                }
            }
            StepResult::Deleted(r) => {
                self.release_call_slot(o);
                let cur = self.plan.nodes[pix].current.as_ref().expect("delete has current");
                self.st[o].physical_id = Some(cur.physical_id.clone());
                self.st[o].outputs = cur.outputs.clone();
                match r {
                    Ok(()) => self.begin_wait(o, now),
                    // Already gone is what a delete wants.
                    Err(e) if e.class == ErrorClass::NotFound => self.complete(o),
                    Err(e) => self.on_error(o, e, true),
                }
            }
            StepResult::PolledMany(answers) => {
                for (m, r) in answers {
                    self.on_result(m, StepResult::Polled(r));
                }
            }
            StepResult::Polled(r) => match r {
                Ok(Readiness::Ready(outputs)) if op != Op::Delete => {
                    self.st[o].outputs.extend(outputs);
                    self.seen_finished(o);
                    self.complete(o);
                }
                Ok(Readiness::Gone) if op == Op::Delete => {
                    self.seen_finished(o);
                    self.complete(o);
                }
                Ok(Readiness::Ready(_)) | Ok(Readiness::Gone) => {
                    let e = KindError::fatal(
                        "UnexpectedState",
                        format!("readiness answer does not fit a {op}"),
                    );
                    self.fail(o, e);
                }
                Ok(Readiness::Pending(status)) => {
                    let timeout = self.scaled(self.kinds[o].timing().timeout);
                    let waited = now.saturating_duration_since(self.st[o].called.unwrap_or(now));
                    if waited > timeout {
                        let msg = format!(
                            "timed out after {:.0}s waiting for {op} to finish (last status: {status})",
                            waited.as_secs_f64()
                        );
                        self.fail(o, KindError::fatal("Timeout", msg));
                        return;
                    }
                    if status != self.st[o].last_status {
                        self.events.emit(|| Event::Waiting {
                            at_s: self.at(),
                            node: self.node_id(o).clone(),
                            op,
                            status: status.clone(),
                        });
                        self.st[o].last_status = status;
                    }
                    self.st[o].state = State::Waiting;
                    let next = now + self.poll_delay(o, waited);
                    self.schedule(o, Timer::Poll, next);
                }
                Err(e) if op == Op::Delete && e.class == ErrorClass::NotFound => {
                    self.seen_finished(o);
                    self.complete(o);
                }
                Err(e) => self.on_error(o, e, false),
            },
        }
    }

    /// A check found `o` finished: it became so after the check before went out, so
    /// the time between the two bounds how late it was seen.
    fn seen_finished(&mut self, o: usize) {
        if let [Some(before), Some(last)] = self.st[o].checked {
            self.st[o].lag_bound = Some(last.saturating_duration_since(before));
        }
    }

    fn complete(&mut self, o: usize) {
        let now = Instant::now();
        self.in_wait.remove(&o);
        self.release_any_slot(o);
        let pix = self.g.ops[o].plan_ix;
        let op = self.g.ops[o].op;
        let elapsed = now.saturating_duration_since(self.st[o].started.unwrap_or(now));
        self.st[o].state = State::Done;
        self.st[o].outcome = Some(Outcome::Done { elapsed_s: elapsed.as_secs_f64() });
        match op {
            Op::Create | Op::Update => {
                let mut out = std::mem::take(&mut self.st[o].outputs);
                if let Some(p) = &self.st[o].physical_id {
                    out.entry("id".to_string()).or_insert_with(|| Value::Str(p.clone()));
                }
                self.outputs[pix] = Some(out);
            }
            Op::Delete => {
                if !self.g.ops[o].replaced {
                    self.outputs[pix] = None;
                }
            }
        }
        self.replan_checks();
        self.events.emit(|| Event::Done {
            at_s: self.at(),
            node: self.node_id(o).clone(),
            op,
            elapsed_s: elapsed.as_secs_f64(),
        });
        for i in 0..self.g.succ[o].len() {
            let s = self.g.succ[o][i];
            self.st[s].preds_left -= 1;
            if self.st[s].preds_left == 0 && self.st[s].state == State::Blocked {
                self.make_ready(s);
            }
        }
    }

    /// The operation failed for good: its error keeps its class (and code), so reports
    /// and `--output json` can tell a refusal from a timeout or a lost dependency.
    pub(super) fn fail(&mut self, o: usize, e: KindError) {
        self.release_any_slot(o);
        self.in_wait.remove(&o);
        let op = self.g.ops[o].op;
        self.st[o].state = State::Failed;
        let error = e.to_string();
        self.st[o].outcome = Some(Outcome::Failed { error: error.clone(), class: e.class });
        let cause = self.node_id(o).clone();
        self.events.emit(|| Event::Failed {
            at_s: self.at(),
            node: cause.clone(),
            op,
            error,
            class: e.class,
        });
        // Skip everything downstream; those are consequences, not causes.
        let mut stack: Vec<usize> = self.g.succ[o].clone();
        while let Some(s) = stack.pop() {
            if self.st[s].state != State::Blocked {
                continue;
            }
            self.st[s].state = State::Skipped;
            self.st[s].outcome = Some(Outcome::Skipped { cause: cause.clone() });
            self.events.emit(|| Event::Skipped {
                node: self.node_id(s).clone(),
                op: self.g.ops[s].op,
                cause: cause.clone(),
            });
            stack.extend(self.g.succ[s].iter().copied());
        }
    }
}
