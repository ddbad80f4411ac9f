//! Client-side token buckets, per scope (account and region) and API bucket, so the
//! executor spreads calls the way AWS meters them instead of collecting throttles.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::graph::Scope;

/// Capacity and refill of one bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BucketLimit {
    pub burst: f64,
    pub refill_per_s: f64,
}

/// Limits by bucket name; a bucket without a limit is not metered.
#[derive(Clone, Debug, Default)]
pub struct RateLimits {
    limits: HashMap<&'static str, BucketLimit>,
}

impl RateLimits {
    pub fn none() -> Self {
        Self::default()
    }

    /// The same limits sped up by `1 / time_scale`: at 1% of real time a bucket refills
    /// 100 times faster (bursts unchanged), or runs against a sped-up cloud would be bound
    /// by limits that no longer match its clock. A scale of 1 or more changes nothing.
    pub fn scaled(&self, time_scale: f64) -> Self {
        if time_scale >= 1.0 || time_scale <= 0.0 {
            return self.clone();
        }
        let mut out = self.clone();
        for l in out.limits.values_mut() {
            l.refill_per_s /= time_scale;
        }
        out
    }

    pub fn set(&mut self, bucket: &'static str, burst: f64, refill_per_s: f64) -> &mut Self {
        self.limits.insert(bucket, BucketLimit { burst, refill_per_s });
        self
    }

    pub fn get(&self, bucket: &str) -> Option<BucketLimit> {
        self.limits.get(bucket).copied()
    }
}

/// Refill arithmetic in floating point can leave 0.999999... tokens after exactly the
/// computed wait; without this tolerance a waiter would wake to a 0 ns wait forever.
const EPSILON: f64 = 1e-6;

/// How long until `missing` tokens have refilled, never less than a millisecond.
fn wait_for(missing: f64, limit: BucketLimit) -> Duration {
    Duration::from_secs_f64(missing / limit.refill_per_s).max(Duration::from_millis(1))
}

#[derive(Debug)]
struct Bucket {
    limit: BucketLimit,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + dt * self.limit.refill_per_s).min(self.limit.burst);
        self.at = now;
    }
}

/// All buckets of a run. Owned by the executor's single loop, so no locking.
#[derive(Debug)]
pub struct Limiter {
    limits: RateLimits,
    buckets: HashMap<(Scope, &'static str), Bucket>,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Limiter { limits, buckets: HashMap::new() }
    }

    /// Takes a token if one is available now; otherwise says how long until one is.
    pub fn try_take(
        &mut self,
        scope: &Scope,
        bucket: &'static str,
        now: Instant,
    ) -> Result<(), Duration> {
        self.check(scope, bucket, now, true)
    }

    /// Whether a token is available now, without taking it.
    pub fn available(
        &mut self,
        scope: &Scope,
        bucket: &'static str,
        now: Instant,
    ) -> Result<(), Duration> {
        self.check(scope, bucket, now, false)
    }

    fn check(
        &mut self,
        scope: &Scope,
        bucket: &'static str,
        now: Instant,
        take: bool,
    ) -> Result<(), Duration> {
        let Some(limit) = self.limits.get(bucket) else {
            return Ok(());
        };
        let b = self.buckets.entry((scope.clone(), bucket)).or_insert(Bucket {
            limit,
            tokens: limit.burst,
            at: now,
        });
        b.refill(now);
        if b.tokens < 1.0 - EPSILON {
            return Err(wait_for(1.0 - b.tokens, limit));
        }
        if take {
            b.tokens = (b.tokens - 1.0).max(0.0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_limits_refill_as_fast_as_the_clock_runs() {
        let mut real = RateLimits::none();
        real.set("ep", 4.0, 0.3).set("describe", 100.0, 20.0);
        let fast = real.scaled(0.01);
        for b in ["ep", "describe"] {
            let (r, f) = (real.get(b).unwrap(), fast.get(b).unwrap());
            assert_eq!(f.burst, r.burst, "{b}");
            assert!((f.refill_per_s - r.refill_per_s * 100.0).abs() < 1e-9, "{b}");
        }
        assert_eq!(real.scaled(1.0).get("ep"), real.get("ep"));
    }

    #[tokio::test(start_paused = true)]
    async fn bucket_allows_burst_then_refill_rate() {
        let mut limits = RateLimits::none();
        limits.set("ep", 4.0, 0.5);
        let mut l = Limiter::new(limits);
        let s = Scope::new("1", "r");
        let t0 = Instant::now();
        for _ in 0..4 {
            assert!(l.try_take(&s, "ep", t0).is_ok());
        }
        let wait = l.try_take(&s, "ep", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(2));
        assert!(l.try_take(&s, "ep", t0 + Duration::from_secs(2)).is_ok());
        // Other scopes and unmetered buckets are independent.
        assert!(l.try_take(&Scope::new("2", "r"), "ep", t0).is_ok());
        assert!(l.try_take(&s, "other", t0).is_ok());
    }
}
