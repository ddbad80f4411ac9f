//! The executor: one loop owns all state and hands single steps (a call or a
//! readiness check) to tasks in a `JoinSet`.
//!
//! - `parallelism` bounds API calls in flight. A resource waiting to become usable
//!   holds no slot ([`SlotMode::Calls`]); its checks draw from the read bucket instead.
//!   [`SlotMode::WholeOperation`] holds the slot through the wait, as Terraform's
//!   walker does; the benchmark uses it for comparison.
//! - Ready operations are taken critical-path first, skipping those whose rate-limit
//!   bucket is empty so one slow bucket does not block the others.
//! - A failed operation skips everything after it; independent branches go on.
//! - On cancellation no new call starts; calls in flight finish and are reported.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::task::JoinSet;
use tokio::time::{sleep_until, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info_span, Instrument};

use crate::events::{Event, Events};
use crate::graph::{NodeId, Scope};
use crate::kind::{
    fnv1a, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Registry,
    ReplaceMode, Resolved,
};
use crate::limits::{Limiter, RateLimits};
use crate::opgraph::OpGraph;
use crate::plan::{Action, Plan, PlanError};
use crate::value::{Attrs, Value};

/// Which ready operation goes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Longest expected remaining chain first.
    CriticalPath,
    /// First ready, first started (Terraform's walker).
    Fifo,
}

/// What a parallelism slot covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotMode {
    Calls,
    WholeOperation,
}

#[derive(Clone)]
pub struct ExecOptions {
    pub parallelism: usize,
    pub order: Order,
    pub slots: SlotMode,
    pub limits: RateLimits,
    /// Scales expected durations, poll pacing and timeouts: 1.0 for AWS, 0.01 for
    /// LocalStack at `AIRGAP_LS_TIME_SCALE=0.01`.
    pub time_scale: f64,
    /// How long NotFound is taken for eventual consistency after a create.
    pub not_found_grace: Duration,
    pub cancel: CancellationToken,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            parallelism: 10,
            order: Order::CriticalPath,
            slots: SlotMode::Calls,
            // The engine knows no provider's limits: callers pass theirs (the AWS
            // catalogue's `rate_limits()`).
            limits: RateLimits::none(),
            time_scale: 1.0,
            // terraform-provider-aws waits 5 minutes for new EC2 resources to appear.
            not_found_grace: Duration::from_secs(300),
            cancel: CancellationToken::new(),
        }
    }
}

/// How one operation ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    Done {
        elapsed_s: f64,
    },
    Failed {
        error: String,
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
}

impl Report {
    pub fn succeeded(&self) -> bool {
        !self.cancelled
            && self
                .ops
                .iter()
                .all(|o| matches!(o.outcome, Outcome::Done { .. }))
    }

    /// Failed operations only: their skipped dependents are not causes.
    pub fn root_causes(&self) -> impl Iterator<Item = &OpReport> {
        self.ops
            .iter()
            .filter(|o| matches!(o.outcome, Outcome::Failed { .. }))
    }

    pub fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.ops.iter().filter(|o| f(&o.outcome)).count()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Blocked,
    Ready,
    Calling,
    Waiting,
    Polling,
    Done,
    Failed,
    Skipped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    Poll,
    RetryCall,
}

/// Per-operation bookkeeping.
struct OpState {
    state: State,
    preds_left: usize,
    started: Option<Instant>,
    /// When the call returned (readiness is measured from here).
    called: Option<Instant>,
    physical_id: Option<String>,
    outputs: Attrs,
    attempts: u32,
    polls: u32,
    last_status: String,
    holds_slot: bool,
    outcome: Option<Outcome>,
}

enum StepResult {
    Created(Result<Created, KindError>),
    Updated(Result<Attrs, KindError>),
    Deleted(Result<(), KindError>),
    Polled(Result<Readiness, KindError>),
}

/// The best ready operation found so far: rank, sequence, operation, its bucket.
type Candidate = (Duration, Reverse<u64>, usize, (Scope, &'static str));

/// Ready operations in one rate-limit bucket, best first.
#[derive(Default)]
struct ReadyQueue {
    heap: BinaryHeap<(Duration, Reverse<u64>, usize)>,
}

struct Exec<'a> {
    plan: &'a Plan,
    g: &'a OpGraph,
    kinds: Vec<Arc<dyn Kind>>,
    opts: &'a ExecOptions,
    events: &'a Events,
    env: Arc<str>,
    st: Vec<OpState>,
    /// Outputs of each plan node's live instance.
    outputs: Vec<Option<Attrs>>,
    created_at: Vec<Option<Instant>>,
    index: HashMap<&'a NodeId, usize>,
    limiter: Limiter,
    ready: HashMap<(Scope, &'static str), ReadyQueue>,
    fifo: VecDeque<usize>,
    timers: BinaryHeap<Reverse<(Instant, u64, usize, u8)>>,
    seq: u64,
    slots_used: usize,
    calls_in_flight: usize,
    t0: Instant,
    tasks: JoinSet<(usize, StepResult)>,
}

/// Applies `plan`. Kinds come from `registry`; progress goes to `events`.
pub async fn execute(
    plan: &Plan,
    registry: &Registry,
    opts: &ExecOptions,
    events: &Events,
) -> Result<Report, PlanError> {
    let g = OpGraph::build(plan, registry)?;
    let kinds = g
        .ops
        .iter()
        .map(|o| {
            let kind = &plan.nodes[o.plan_ix].kind;
            registry
                .get(kind)
                .cloned()
                .ok_or_else(|| PlanError::UnknownKind {
                    node: plan.nodes[o.plan_ix].id.clone(),
                    kind: kind.clone(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = plan
        .nodes
        .iter()
        .map(|n| match (&n.action, &n.current) {
            (Action::NoOp | Action::Update { .. } | Action::Await { .. }, Some(c)) => {
                Some(c.outputs.clone())
            }
            _ => None,
        })
        .collect();
    let st = g
        .pred_count
        .iter()
        .map(|&p| OpState {
            state: State::Blocked,
            preds_left: p,
            started: None,
            called: None,
            physical_id: None,
            outputs: Attrs::new(),
            attempts: 0,
            polls: 0,
            last_status: String::new(),
            holds_slot: false,
            outcome: None,
        })
        .collect();
    let mut ex = Exec {
        plan,
        g: &g,
        kinds,
        opts,
        events,
        env: plan.env.as_str().into(),
        st,
        outputs,
        created_at: vec![None; plan.nodes.len()],
        index: plan
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (&n.id, i))
            .collect(),
        limiter: Limiter::new(opts.limits.clone()),
        ready: HashMap::new(),
        fifo: VecDeque::new(),
        timers: BinaryHeap::new(),
        seq: 0,
        slots_used: 0,
        calls_in_flight: 0,
        t0: Instant::now(),
        tasks: JoinSet::new(),
    };
    Ok(ex.run().await)
}

impl Exec<'_> {
    fn at(&self) -> f64 {
        self.t0.elapsed().as_secs_f64()
    }

    fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.opts.time_scale)
    }

    fn node_id(&self, o: usize) -> &NodeId {
        &self.plan.nodes[self.g.ops[o].plan_ix].id
    }

    fn scope(&self, o: usize) -> &Scope {
        &self.plan.nodes[self.g.ops[o].plan_ix].scope
    }

    fn bucket(&self, o: usize) -> &'static str {
        self.kinds[o].bucket(self.g.ops[o].op)
    }

    async fn run(&mut self) -> Report {
        self.events.emit(|| Event::RunStarted {
            operations: self.g.len(),
        });
        for o in 0..self.g.len() {
            if self.st[o].preds_left == 0 {
                self.make_ready(o);
            }
        }
        let mut cancelling = false;
        loop {
            if !cancelling && self.opts.cancel.is_cancelled() {
                cancelling = true;
                self.events.emit(|| Event::Cancelling {
                    at_s: self.at(),
                    in_flight: self.tasks.len(),
                });
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

    fn make_ready(&mut self, o: usize) {
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
    fn dispatch(&mut self) -> Option<Instant> {
        let now = Instant::now();
        let mut wake: Option<Instant> = None;
        while self.slots_used < self.opts.parallelism {
            let pick = match self.opts.order {
                Order::Fifo => {
                    let Some(&o) = self.fifo.front() else { break };
                    // No bucket awareness: the head waits for its token, like a
                    // client throttled on its first call.
                    match self
                        .limiter
                        .try_take(&self.scope(o).clone(), self.bucket(o), now)
                    {
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
                    self.limiter
                        .try_take(&key.0, key.1, now)
                        .expect("availability checked above");
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

    fn start_call(&mut self, o: usize) {
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
            self.on_result(o, StepResult::Updated(Ok(Attrs::new())));
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
                        self.fail(o, e);
                        return;
                    }
                };
                if op == Op::Create {
                    self.tasks.spawn(
                        async move { (o, StepResult::Created(kind.create(&resolved).await)) }
                            .instrument(span),
                    );
                } else {
                    let current = node
                        .current
                        .clone()
                        .expect("an update has a current resource");
                    let diff = match &node.action {
                        Action::Update { changes } => Diff {
                            changes: changes.clone(),
                        },
                        _ => Diff::default(),
                    };
                    self.tasks.spawn(
                        async move {
                            (
                                o,
                                StepResult::Updated(kind.update(&resolved, &current, &diff).await),
                            )
                        }
                        .instrument(span),
                    );
                }
            }
            Op::Delete => {
                let current: Observed = node
                    .current
                    .clone()
                    .expect("a delete has a current resource");
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
        let declared = node
            .declared
            .as_ref()
            .expect("creates and updates are declared");
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
            return Err(format!(
                "{} has no output {:?} to give {}",
                r.node, r.output, node.id
            ));
        }
        let replaces = match node.action {
            Action::Replace {
                mode: ReplaceMode::CreateBeforeDestroy,
                ..
            } => node.current.as_ref().map(|c| c.physical_id.clone()),
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

    fn fire_timers(&mut self) -> Option<Instant> {
        let now = Instant::now();
        while let Some(&Reverse((at, _, o, kind))) = self.timers.peek() {
            if at > now {
                return Some(at);
            }
            self.timers.pop();
            let timer = if kind == 0 {
                Timer::Poll
            } else {
                Timer::RetryCall
            };
            match timer {
                Timer::RetryCall => {
                    if self.opts.slots == SlotMode::WholeOperation {
                        // Still holds its slot: call again directly.
                        self.start_call(o);
                    } else {
                        self.make_ready(o);
                    }
                }
                Timer::Poll => {
                    let scope = self.scope(o).clone();
                    let bucket = self.kinds[o].read_bucket();
                    match self.limiter.try_take(&scope, bucket, now) {
                        Ok(()) => self.start_poll(o),
                        Err(wait) => self.schedule(o, Timer::Poll, now + wait),
                    }
                }
            }
        }
        None
    }

    fn schedule(&mut self, o: usize, timer: Timer, at: Instant) {
        self.seq += 1;
        let k = match timer {
            Timer::Poll => 0,
            Timer::RetryCall => 1,
        };
        self.timers.push(Reverse((at, self.seq, o, k)));
    }

    fn start_poll(&mut self, o: usize) {
        self.st[o].state = State::Polling;
        self.st[o].polls += 1;
        let kind = Arc::clone(&self.kinds[o]);
        let op = self.g.ops[o].op;
        let scope = self.scope(o).clone();
        let physical = self.st[o].physical_id.clone().unwrap_or_default();
        let outputs = self.st[o].outputs.clone();
        self.tasks.spawn(async move {
            (
                o,
                StepResult::Polled(kind.ready(&scope, op, &physical, &outputs).await),
            )
        });
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

    fn on_result(&mut self, o: usize, result: StepResult) {
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
                    Ok(outputs) => {
                        let cur = self.plan.nodes[pix]
                            .current
                            .as_ref()
                            .expect("update has current");
                        self.st[o].physical_id = Some(cur.physical_id.clone());
                        let mut merged = cur.outputs.clone();
                        merged.extend(outputs);
                        self.st[o].outputs = merged;
                        self.begin_wait(o, now);
                    }
                    Err(e) => self.on_error(o, e, true),
                }
            }
            StepResult::Deleted(r) => {
                self.release_call_slot(o);
                let cur = self.plan.nodes[pix]
                    .current
                    .as_ref()
                    .expect("delete has current");
                self.st[o].physical_id = Some(cur.physical_id.clone());
                self.st[o].outputs = cur.outputs.clone();
                match r {
                    Ok(()) => self.begin_wait(o, now),
                    // Already gone is what a delete wants.
                    Err(e) if e.class == ErrorClass::NotFound => self.complete(o),
                    Err(e) => self.on_error(o, e, true),
                }
            }
            StepResult::Polled(r) => match r {
                Ok(Readiness::Ready(outputs)) if op != Op::Delete => {
                    self.st[o].outputs.extend(outputs);
                    self.complete(o);
                }
                Ok(Readiness::Gone) if op == Op::Delete => self.complete(o),
                Ok(Readiness::Ready(_)) | Ok(Readiness::Gone) => {
                    let e = KindError::fatal(
                        "UnexpectedState",
                        format!("readiness answer does not fit a {op}"),
                    );
                    self.fail(o, e.to_string());
                }
                Ok(Readiness::Pending(status)) => {
                    let timeout = self.scaled(self.kinds[o].timing().timeout);
                    let waited = now.saturating_duration_since(self.st[o].called.unwrap_or(now));
                    if waited > timeout {
                        let msg = format!(
                            "timed out after {:.0}s waiting for {op} to finish (last status: {status})",
                            waited.as_secs_f64()
                        );
                        self.fail(o, msg);
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
                Err(e) if op == Op::Delete && e.class == ErrorClass::NotFound => self.complete(o),
                Err(e) => self.on_error(o, e, false),
            },
        }
    }

    fn begin_wait(&mut self, o: usize, now: Instant) {
        self.st[o].called = Some(now);
        self.st[o].state = State::Waiting;
        let first = self.poll_delay(o, Duration::ZERO);
        self.schedule(o, Timer::Poll, now + first);
    }

    /// Polls densely around the expected duration and back off once well past it:
    /// half the expected time first, then steps of 1.5% of it (0.5 s to 10 s), then,
    /// past twice the expected time, doubling up to 30 s.
    fn poll_delay(&self, o: usize, waited: Duration) -> Duration {
        let expected = self.scaled(self.g.ops[o].expected);
        let floor = Duration::from_millis(10);
        let step = expected.mul_f64(0.015).clamp(
            self.scaled(Duration::from_millis(500)).max(floor),
            self.scaled(Duration::from_secs(10)).max(floor),
        );
        if waited < expected / 2 {
            return (expected / 2 - waited).max(floor);
        }
        if waited > expected * 2 {
            let over = self.st[o].polls.saturating_sub(1).min(8);
            return (step * 2u32.pow(over)).min(self.scaled(Duration::from_secs(30)).max(floor));
        }
        step
    }

    /// The error policy: each class of error maps to a retry or a failure.
    fn on_error(&mut self, o: usize, e: KindError, was_call: bool) {
        let now = Instant::now();
        let op = self.g.ops[o].op;
        let pix = self.g.ops[o].plan_ix;
        let since = self.st[o].started.unwrap_or(now);
        let within = |limit: Duration| now.saturating_duration_since(since) <= limit;
        let timeout = self
            .scaled(self.kinds[o].timing().timeout)
            .max(Duration::from_secs(60));
        let retry = match e.class {
            ErrorClass::Throttled | ErrorClass::Conflict => within(timeout),
            ErrorClass::DependencyViolation => op == Op::Delete && within(timeout),
            ErrorClass::NotFound => {
                // Eventual consistency: something this op needs was created moments ago.
                let recent = |t: Option<Instant>| {
                    t.is_some_and(|t| now.saturating_duration_since(t) <= self.opts.not_found_grace)
                };
                recent(self.created_at[pix])
                    || self.plan.nodes[pix]
                        .deps
                        .iter()
                        .any(|&d| recent(self.created_at[d]))
            }
            ErrorClass::Fatal => false,
        };
        if !retry {
            self.fail(o, e.to_string());
            return;
        }
        let n = if was_call {
            self.st[o].attempts
        } else {
            self.st[o].polls
        };
        let after = backoff(n, fnv1a(&[self.node_id(o).0.as_bytes(), &n.to_le_bytes()]));
        debug!(node = %self.node_id(o), %op, error = %e, ?after, "retrying");
        self.events.emit(|| Event::Retrying {
            at_s: self.at(),
            node: self.node_id(o).clone(),
            op,
            error: e.to_string(),
            after_s: after.as_secs_f64(),
        });
        if was_call {
            self.st[o].state = State::Ready;
            self.schedule(o, Timer::RetryCall, now + after);
        } else {
            self.st[o].state = State::Waiting;
            self.schedule(o, Timer::Poll, now + after);
        }
    }

    fn complete(&mut self, o: usize) {
        let now = Instant::now();
        self.release_any_slot(o);
        let pix = self.g.ops[o].plan_ix;
        let op = self.g.ops[o].op;
        let elapsed = now.saturating_duration_since(self.st[o].started.unwrap_or(now));
        self.st[o].state = State::Done;
        self.st[o].outcome = Some(Outcome::Done {
            elapsed_s: elapsed.as_secs_f64(),
        });
        match op {
            Op::Create | Op::Update => {
                let mut out = std::mem::take(&mut self.st[o].outputs);
                if let Some(p) = &self.st[o].physical_id {
                    out.entry("id".to_string())
                        .or_insert_with(|| Value::Str(p.clone()));
                }
                self.outputs[pix] = Some(out);
            }
            Op::Delete => {
                if !self.g.ops[o].replaced {
                    self.outputs[pix] = None;
                }
            }
        }
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

    fn fail(&mut self, o: usize, error: String) {
        self.release_any_slot(o);
        let op = self.g.ops[o].op;
        self.st[o].state = State::Failed;
        self.st[o].outcome = Some(Outcome::Failed {
            error: error.clone(),
        });
        let cause = self.node_id(o).clone();
        self.events.emit(|| Event::Failed {
            at_s: self.at(),
            node: cause.clone(),
            op,
            error,
        });
        // Skip everything downstream; those are consequences, not causes.
        let mut stack: Vec<usize> = self.g.succ[o].clone();
        while let Some(s) = stack.pop() {
            if self.st[s].state != State::Blocked {
                continue;
            }
            self.st[s].state = State::Skipped;
            self.st[s].outcome = Some(Outcome::Skipped {
                cause: cause.clone(),
            });
            self.events.emit(|| Event::Skipped {
                node: self.node_id(s).clone(),
                op: self.g.ops[s].op,
                cause: cause.clone(),
            });
            stack.extend(self.g.succ[s].iter().copied());
        }
    }

    fn finish(&mut self, cancelled: bool) -> Report {
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

/// Exponential backoff with jitter, 800 ms doubling to 30 s (kube-runtime's curve).
/// The jitter comes from `seed` so simulated runs stay deterministic.
fn backoff(attempt: u32, seed: u64) -> Duration {
    let base = 0.8 * 2f64.powi(attempt.saturating_sub(1).min(6) as i32);
    let capped = base.min(30.0);
    let jitter = 0.5 + (seed % 1000) as f64 / 2000.0; // 0.5 ..= 1.0
    Duration::from_secs_f64(capped * jitter)
}
