//! The error policy: which errors are retried, for how long, and the backoff
//! between attempts.

use std::time::Duration;

use tokio::time::Instant;
use tracing::debug;

use super::{Exec, State, Timer};
use crate::events::Event;
use crate::kind::{fnv1a, ErrorClass, KindError, Op};

impl Exec<'_> {
    /// The error policy: each class of error maps to a retry or a failure.
    pub(super) fn on_error(&mut self, o: usize, e: KindError, was_call: bool) {
        let now = Instant::now();
        let op = self.g.ops[o].op;
        let pix = self.g.ops[o].plan_ix;
        let since = self.st[o].started.unwrap_or(now);
        let within = |limit: Duration| now.saturating_duration_since(since) <= limit;
        let timeout = self.scaled(self.kinds[o].timing().timeout).max(Duration::from_secs(60));
        let retry = match e.class {
            ErrorClass::Throttled | ErrorClass::Conflict => within(timeout),
            ErrorClass::DependencyViolation => op == Op::Delete && within(timeout),
            ErrorClass::NotFound => {
                // Eventual consistency: something this op needs was created moments ago.
                let recent = |t: Option<Instant>| {
                    t.is_some_and(|t| now.saturating_duration_since(t) <= self.opts.not_found_grace)
                };
                recent(self.created_at[pix])
                    || self.plan.nodes[pix].deps.iter().any(|&d| recent(self.created_at[d]))
            }
            ErrorClass::Fatal => false,
        };
        if !retry {
            self.fail(o, e);
            return;
        }
        let n = if was_call { self.st[o].attempts } else { self.st[o].polls };
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
}

/// Exponential backoff with jitter, 800 ms doubling to 30 s (kube-runtime's curve).
/// The jitter comes from `seed` so simulated runs stay deterministic.
fn backoff(attempt: u32, seed: u64) -> Duration {
    let base = 0.8 * 2f64.powi(attempt.saturating_sub(1).min(6) as i32);
    let capped = base.min(30.0);
    let jitter = 0.5 + (seed % 1000) as f64 / 2000.0; // 0.5 ..= 1.0
    Duration::from_secs_f64(capped * jitter)
}
