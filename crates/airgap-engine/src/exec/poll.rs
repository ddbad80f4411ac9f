//! Timers and the readiness polling schedule: when to check a resource again
//! and when a retried call goes out.

use std::cmp::Reverse;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Exec, SlotMode, State, StepResult, Timer};
use crate::kind::Check;

impl Exec<'_> {
    pub(super) fn fire_timers(&mut self) -> Option<Instant> {
        let now = Instant::now();
        while let Some(&Reverse((at, _, o, kind))) = self.timers.peek() {
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

    pub(super) fn schedule(&mut self, o: usize, timer: Timer, at: Instant) {
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
        let handle = self.st[o].handle.clone();
        self.tasks.spawn(async move {
            let check = Check {
                scope: &scope,
                op,
                physical_id: &physical,
                outputs: &outputs,
                handle: handle.as_deref(),
            };
            (o, StepResult::Polled(kind.ready(check).await))
        });
    }

    pub(super) fn begin_wait(&mut self, o: usize, now: Instant) {
        self.st[o].called = Some(now);
        self.st[o].state = State::Waiting;
        let first = self.poll_delay(o, Duration::ZERO);
        self.schedule(o, Timer::Poll, now + first);
    }

    /// Polls densely around the expected duration and back off once well past it:
    /// half the expected time first, then steps of 1.5% of it (0.5 s to 10 s), then,
    /// past twice the expected time, doubling up to 30 s.
    pub(super) fn poll_delay(&self, o: usize, waited: Duration) -> Duration {
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
}
