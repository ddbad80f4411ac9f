//! Timers and the readiness polling schedule: when to check a resource again, which
//! pending resources one call checks together, and when a retried call goes out.

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Exec, Polling, SlotMode, State, StepResult, Timer};
use crate::graph::Scope;
use crate::kind::Check;

impl Exec<'_> {
    pub(super) fn fire_timers(&mut self) -> Option<Instant> {
        let now = Instant::now();
        while let Some(&Reverse((at, seq, o, kind))) = self.timers.peek() {
            if at > now {
                return Some(at);
            }
            self.timers.pop();
            let timer = if kind == 0 { Timer::Poll } else { Timer::RetryCall };
            match timer {
                Timer::RetryCall => {
                    if self.opts.slots == SlotMode::WholeOperation {
                        // Still holds its slot: call again directly.
                        self.start_call(o);
                    } else {
                        self.make_ready(o);
                    }
                }
                // A batch checked this one since: its own timer no longer counts.
                Timer::Poll if self.st[o].poll_timer != seq => {}
                Timer::Poll => {
                    let scope = self.scope(o).clone();
                    let bucket = self.kinds[o].read_bucket();
                    match self.limiter.try_take(&scope, bucket, now) {
                        Ok(()) => self.start_poll(o, now),
                        Err(wait) => self.schedule(o, Timer::Poll, now + wait),
                    }
                }
            }
        }
        None
    }

    pub(super) fn schedule(&mut self, o: usize, timer: Timer, at: Instant) {
        self.seq += 1;
        let k = match timer {
            Timer::Poll => {
                self.st[o].poll_timer = self.seq;
                self.st[o].poll_due = Some(at);
                if let Some(key) = self.batch_key(o) {
                    self.waiting.entry(key).or_default().insert(o);
                }
                0
            }
            Timer::RetryCall => 1,
        };
        self.timers.push(Reverse((at, self.seq, o, k)));
    }

    /// The group `o` is checked with, when its kind checks many per call: its family
    /// (see [`crate::Kind::ready_family`]) and scope.
    fn batch_key(&self, o: usize) -> Option<(&'static str, Scope)> {
        let kind = &self.kinds[o];
        (self.opts.batch_polls && kind.ready_batch() > 1)
            .then(|| (kind.ready_family(), self.scope(o).clone()))
    }

    /// Checks `o`, and with it, in the same call, the other operations of its kind (or
    /// family) and scope that wait for a check, soonest due first, as many as one call takes: they
    /// cost nothing more, and each is seen as early as the most eager of them is
    /// checked.
    fn start_poll(&mut self, o: usize, now: Instant) {
        let mut batch = vec![o];
        if let Some(key) = self.batch_key(o) {
            let limit = self.kinds[o].ready_batch();
            if let Some(group) = self.waiting.get_mut(&key) {
                group.remove(&o);
                let mut others: Vec<usize> = group.iter().copied().collect();
                others.sort_by_key(|&m| self.st[m].poll_due);
                others.truncate(limit - 1);
                for m in &others {
                    group.remove(m);
                }
                if group.is_empty() {
                    self.waiting.remove(&key);
                }
                batch.extend(others);
            }
        }
        self.readiness_calls += 1;
        let mut checks = Vec::with_capacity(batch.len());
        for &m in &batch {
            let s = &mut self.st[m];
            s.state = State::Polling;
            s.polls += 1;
            s.poll_timer = 0;
            s.poll_due = None;
            s.checked = [s.checked[1], Some(now)];
            checks.push((
                m,
                self.g.ops[m].op,
                s.physical_id.clone().unwrap_or_default(),
                s.outputs.clone(),
                s.handle.clone(),
            ));
        }
        // One call either way: a kind that checks one at a time gets one check.
        let kind = Arc::clone(&self.kinds[o]);
        let scope = self.scope(o).clone();
        self.tasks.spawn(async move {
            let list: Vec<Check<'_>> = checks
                .iter()
                .map(|(_, op, physical, outputs, handle)| Check {
                    scope: &scope,
                    op: *op,
                    physical_id: physical,
                    outputs,
                    handle: handle.as_deref(),
                })
                .collect();
            let mut answers = kind.ready_many(&list).await.into_iter();
            let ops = checks.iter().map(|c| {
                let answer = answers.next().unwrap_or_else(|| {
                    Err(crate::kind::KindError::fatal(
                        "NoAnswer",
                        "the batched readiness check answered fewer resources than it was asked",
                    ))
                });
                (c.0, answer)
            });
            (o, StepResult::PolledMany(ops.collect()))
        });
    }

    pub(super) fn begin_wait(&mut self, o: usize, now: Instant) {
        self.st[o].called = Some(now);
        self.in_wait.insert(o);
        self.st[o].checked = [None, Some(now)];
        self.st[o].state = State::Waiting;
        let first = self.poll_delay(o, Duration::ZERO);
        self.schedule(o, Timer::Poll, now + first);
    }

    /// The delay before the next check of `o`, which has waited `waited` since its call
    /// returned (see [`Polling`]).
    pub(super) fn poll_delay(&self, o: usize, waited: Duration) -> Duration {
        let horizon = self.horizon();
        self.planned_horizon.set(self.planned_horizon.get().max(horizon));
        self.delay_within(o, waited, horizon)
    }

    fn delay_within(&self, o: usize, waited: Duration, horizon: Duration) -> Duration {
        let floor = Duration::from_millis(10);
        let scale = self.opts.time_scale;
        let scaled = |d: Duration| d.mul_f64(scale).max(floor);
        match self.opts.polling {
            Polling::Backoff { first, max } => {
                let n = self.st[o].polls.min(16);
                (scaled(first) * 2u32.pow(n)).min(scaled(max))
            }
            Polling::Adaptive { step, slack } => {
                // Off the critical path, seeing it late costs nothing until the slack
                // is used up: spend a share of it on fewer checks.
                let relaxed = horizon
                    .saturating_sub(self.ends(o, waited))
                    .mul_f64(slack)
                    .min(scaled(Duration::from_secs(30)));
                let expected = self.g.ops[o].expected.mul_f64(scale);
                let early = expected / 4;
                let due = if waited < early {
                    // Probes at 1 s, 2 s, 4 s, ...: cheap, and a resource that is
                    // ready long before AWS usually takes is not left idle.
                    let next = (waited * 2).max(scaled(Duration::from_secs(1))).min(early);
                    next.saturating_sub(waited).max(floor)
                } else {
                    waited
                        .mul_f64(step)
                        .clamp(scaled(Duration::from_millis(500)), scaled(Duration::from_secs(30)))
                };
                due.max(relaxed)
            }
        }
    }

    /// How long from now the chain of `o`, which has waited `waited`, is expected to
    /// take: what is left of its expected duration and the expected chain after it.
    fn ends(&self, o: usize, waited: Duration) -> Duration {
        let expected = self.g.ops[o].expected;
        self.scaled(expected).saturating_sub(waited)
            + self.scaled(self.g.rank[o].saturating_sub(expected))
    }

    /// How long from now the run is projected to take, from what is under way: each
    /// waiting operation's chain ([`Self::ends`]) and each ready one's whole chain. An
    /// operation's slack is this minus its own chain. Taken afresh at each check, so
    /// work that finished early shortens it at once.
    fn horizon(&self) -> Duration {
        let now = Instant::now();
        let waiting = self.in_wait.iter().map(|&p| {
            let called = self.st[p].called.unwrap_or(now);
            self.ends(p, now.saturating_duration_since(called))
        });
        let ready =
            self.ready.values().filter_map(|q| q.heap.peek()).map(|(rank, ..)| self.scaled(*rank));
        let fifo = self.fifo.front().map(|&p| self.scaled(self.g.rank[p]));
        waiting.chain(ready).chain(fifo).max().unwrap_or_default()
    }

    /// After an operation ends: when the projection has shrunk by 5 % since checks
    /// were planned (a long operation finished far sooner than expected), the waiting
    /// operations' next checks are planned again against it, so none keeps a wait its
    /// vanished slack no longer pays for. Rare, so its cost (each waiting operation
    /// against the projection) does not add up.
    pub(super) fn replan_checks(&mut self) {
        if !matches!(self.opts.polling, Polling::Adaptive { .. }) {
            return;
        }
        let horizon = self.horizon();
        if horizon >= self.planned_horizon.get().mul_f64(0.95) {
            return;
        }
        self.planned_horizon.set(horizon);
        let now = Instant::now();
        let waiting: Vec<usize> = self.in_wait.iter().copied().collect();
        for p in waiting {
            let (Some(due), Some(called), Some(last)) =
                (self.st[p].poll_due, self.st[p].called, self.st[p].checked[1])
            else {
                continue;
            };
            if self.st[p].state != State::Waiting {
                continue;
            }
            let sooner =
                last + self.delay_within(p, last.saturating_duration_since(called), horizon);
            if sooner < due {
                self.schedule(p, Timer::Poll, sooner.max(now));
            }
        }
    }
}
