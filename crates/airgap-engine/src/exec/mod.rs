//! The executor: one loop owns all state and hands single steps (a call or a
//! readiness check) to tasks in a `JoinSet`.
//!
//! - `parallelism` bounds API calls in flight. A resource waiting to become usable
//!   holds no slot ([`SlotMode::Calls`]); its checks draw from the read bucket instead.
//!   [`SlotMode::WholeOperation`] holds the slot through the wait, as Terraform's
//!   walker does; the benchmark uses it for comparison.
//! - Readiness is checked on a schedule that bounds the detection lag relative to
//!   each resource's actual duration ([`Polling`]); pending resources of a kind whose
//!   API describes many per call are checked together, in one call.
//! - Ready operations are taken critical-path first, skipping those whose rate-limit
//!   bucket is empty so one slow bucket does not block the others.
//! - A failed operation skips everything after it; independent branches go on.
//! - On cancellation no new call starts; calls in flight finish and are reported.
//!
//! This file holds the options, the per-operation state and [`execute`], which
//! builds the executor. The rest is split by concern: `run` (the main loop and
//! what happens when a step returns), `dispatch` (ready operations, slots and
//! buckets, starting calls), `poll` (timers and the readiness polling schedule),
//! `retry` (the error policy and backoff) and `report` (outcomes and the
//! final [`Report`]).

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::events::Events;
use crate::graph::{NodeId, Scope};
use crate::kind::{Created, Kind, KindError, Readiness, Registry, Updated};
use crate::limits::{Limiter, RateLimits};
use crate::opgraph::OpGraph;
use crate::plan::{Plan, PlanError};
use crate::value::Attrs;

mod dispatch;
mod poll;
mod report;
mod retry;
mod run;

pub use report::{OpReport, Outcome, ReadinessFigures, Report};

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
    /// When readiness is checked.
    pub polling: Polling,
    /// Whether the pending resources of a kind that describes many per call
    /// ([`Kind::ready_batch`]) are checked together.
    pub batch_polls: bool,
    pub cancel: CancellationToken,
}

/// The readiness schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Polling {
    /// Ours: early probes doubling from 1 s up to a quarter of the expected duration
    /// (a resource AWS finishes early is seen early), then a check every
    /// `step` of the time waited so far (0.5 s to 30 s), so the detection lag stays within
    /// that fraction of how long the resource really took, however far that is from the
    /// expected duration.
    Adaptive { step: f64, slack: f64 },
    /// A waiter that knows nothing of the kind: `first`, doubling to `max`
    /// (terraform-plugin-sdk's `StateChangeConf` without a poll interval: 100 ms to 10 s).
    Backoff { first: Duration, max: Duration },
}

impl Polling {
    /// The schedule `apply` uses.
    pub const DEFAULT: Polling = Polling::Adaptive { step: 0.05, slack: 0.03 };
    /// Terraform's default waiter.
    pub const TERRAFORM: Polling =
        Polling::Backoff { first: Duration::from_millis(100), max: Duration::from_secs(10) };
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
            polling: Polling::DEFAULT,
            batch_polls: true,
            cancel: CancellationToken::new(),
        }
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
    /// What the update call returned to follow it by (see [`Updated::handle`]).
    handle: Option<String>,
    /// What the update left for another round (see [`Updated::remaining`]).
    remaining: Option<String>,
    attempts: u32,
    polls: u32,
    /// The sequence number of the poll timer that counts (0: none); a batch that
    /// checks this operation early leaves its own timer stale.
    poll_timer: u64,
    /// When this operation's next check is due, while it waits.
    poll_due: Option<Instant>,
    /// When the last two checks went out: the time between them bounds how late the
    /// check that found the resource ready saw it.
    checked: [Option<Instant>; 2],
    lag_bound: Option<Duration>,
    last_status: String,
    holds_slot: bool,
    outcome: Option<Outcome>,
}

enum StepResult {
    Created(Result<Created, KindError>),
    Updated(Result<Updated, KindError>),
    Deleted(Result<(), KindError>),
    Polled(Result<Readiness, KindError>),
    /// One readiness call's answers, for the operations it checked (the first is the
    /// step's own).
    PolledMany(Vec<(usize, Result<Readiness, KindError>)>),
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
    /// Operations waiting for a check, by kind and scope, for kinds that check many
    /// per call.
    waiting: HashMap<(&'static str, Scope), BTreeSet<usize>>,
    /// Readiness calls made (a batch is one).
    readiness_calls: u64,
    /// Operations whose call returned and that wait to be seen finished (see
    /// `Exec::horizon`).
    in_wait: BTreeSet<usize>,
    /// The largest projection of the run's remaining time checks were planned against
    /// (see `Exec::replan_checks`).
    planned_horizon: Cell<Duration>,
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
            registry.get(kind).cloned().ok_or_else(|| PlanError::UnknownKind {
                node: plan.nodes[o.plan_ix].id.clone(),
                kind: kind.clone(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = plan.nodes.iter().map(|n| n.live_outputs().cloned()).collect();
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
            handle: None,
            remaining: None,
            attempts: 0,
            polls: 0,
            poll_timer: 0,
            poll_due: None,
            checked: [None; 2],
            lag_bound: None,
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
        index: plan.nodes.iter().enumerate().map(|(i, n)| (&n.id, i)).collect(),
        limiter: Limiter::new(opts.limits.clone()),
        ready: HashMap::new(),
        fifo: VecDeque::new(),
        timers: BinaryHeap::new(),
        waiting: HashMap::new(),
        readiness_calls: 0,
        in_wait: BTreeSet::new(),
        planned_horizon: Cell::new(Duration::ZERO),
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
}
