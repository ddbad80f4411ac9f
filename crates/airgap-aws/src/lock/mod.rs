//! A lease per environment in DynamoDB, so two airgapctl processes (on one machine or
//! on many CI runners) never apply or destroy the same environment at once.
//!
//! The table `airgapctl-locks` (partition key `env`, on-demand billing) lives in the
//! environment's hub account and is created on first use. A lease is one item keyed by
//! the environment name:
//!
//! * acquire: `PutItem` if `attribute_not_exists(env) OR expires_at < now`, so a lease
//!   is only ever taken over after it expired;
//! * heartbeat: `UpdateItem` of `expires_at` if `token` is still ours, every third of
//!   the lease; a failed condition means the lease was lost;
//! * release: `DeleteItem` if `token` is still ours.
//!
//! Times are the clients' clocks in epoch milliseconds; the lease (60 s by default) must
//! be much longer than the clock skew between the machines that share a table.

mod lease;
mod table;

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use rand::Rng;
use thiserror::Error;

pub use lease::Lease;
pub use table::LockTable;

/// The table's name: one per hub account and region.
pub const TABLE: &str = "airgapctl-locks";
/// How long a lease lasts without a heartbeat, unless configured otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

/// A DynamoDB attribute map.
pub type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Error)]
pub enum LockError {
    /// Another process holds the lease (and still did after waiting `waited`).
    #[error(
        "environment {env} is locked by {} ({} since {}; the lease runs until {}{})",
        info.holder,
        info.operation,
        rfc3339(info.acquired_at_ms),
        rfc3339(info.expires_at_ms),
        waited_note(*waited)
    )]
    Held { env: String, info: LockInfo, waited: Duration },
    /// The lease was taken over by someone else (ours had expired), or could not be
    /// renewed before it expired.
    #[error("lost the lock of environment {env}: {reason}")]
    Lost { env: String, reason: String },
    /// The lock a caller meant to remove is not (or no longer) the one in the table.
    #[error("environment {env} is not locked{}", changed.as_ref().map(|h| format!(" by that holder any more (now: {h})")).unwrap_or_default())]
    NotLocked { env: String, changed: Option<String> },
    /// A DynamoDB call failed.
    #[error("lock table {table}: {operation} failed: {detail}")]
    Aws { table: String, operation: &'static str, detail: String },
    /// The table was created but did not become usable.
    #[error("lock table {table} is still {status} after {waited_s} s")]
    NotActive { table: String, status: String, waited_s: u64 },
}

fn waited_note(waited: Duration) -> String {
    if waited < Duration::from_secs(1) {
        String::new()
    } else {
        format!("; waited {} s", waited.as_secs())
    }
}

/// Who holds a lease: `user@host pid N`, and a random token that only this process
/// knows (two processes of one user on one host never share a lease).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub name: String,
    pub token: String,
}

impl Holder {
    /// This process.
    pub fn current() -> Holder {
        let user = ["USER", "LOGNAME", "USERNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
            .unwrap_or_else(user_name);
        Holder::named(format!("{user}@{} pid {}", hostname(), std::process::id()))
    }

    /// A holder with this name and a fresh token.
    pub fn named(name: impl Into<String>) -> Holder {
        let token: u128 = rand::thread_rng().gen();
        Holder { name: name.into(), token: format!("{token:032x}") }
    }
}

/// The name of the process's user in the password database, else `uid N`.
fn user_name() -> String {
    // SAFETY: getpwuid returns a pointer into static storage or null; the name is
    // copied at once (no other thread of airgapctl calls getpw* functions).
    unsafe {
        let uid = libc::getuid();
        let pw = libc::getpwuid(uid);
        if !pw.is_null() && !(*pw).pw_name.is_null() {
            let name = std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy();
            if !name.is_empty() {
                return name.into_owned();
            }
        }
        format!("uid {uid}")
    }
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that much.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc == 0 {
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let name = String::from_utf8_lossy(&buf[..end]).into_owned();
        if !name.is_empty() {
            return name;
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "unknown-host".to_string())
}

/// A lease as stored in the table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockInfo {
    pub env: String,
    pub holder: String,
    pub token: String,
    /// `apply`, `destroy`, ...
    pub operation: String,
    pub acquired_at_ms: i64,
    pub expires_at_ms: i64,
}

impl LockInfo {
    fn from_item(item: &Item) -> Option<LockInfo> {
        Some(LockInfo {
            env: s(item, "env")?,
            holder: s(item, "holder").unwrap_or_default(),
            token: s(item, "token").unwrap_or_default(),
            operation: s(item, "operation").unwrap_or_default(),
            acquired_at_ms: n(item, "acquired_at").unwrap_or_default(),
            expires_at_ms: n(item, "expires_at").unwrap_or_default(),
        })
    }

    /// Whether the lease ran out at `now_ms` (anyone may take it over then).
    pub fn expired(&self, now_ms: i64) -> bool {
        self.expires_at_ms < now_ms
    }
}

pub(crate) fn s(item: &Item, key: &str) -> Option<String> {
    match item.get(key)? {
        AttributeValue::S(v) => Some(v.clone()),
        _ => None,
    }
}

pub(crate) fn n(item: &Item, key: &str) -> Option<i64> {
    match item.get(key)? {
        AttributeValue::N(v) => v.parse().ok(),
        _ => None,
    }
}

pub(crate) fn num(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn str_val(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// Milliseconds since the epoch, by this machine's clock.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// `2024-05-01T12:00:00Z` (to the second).
pub fn rfc3339(ms: i64) -> String {
    aws_smithy_types::DateTime::from_secs(ms.div_euclid(1000))
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| format!("{ms} ms after the epoch"))
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// How long leases last and how often they are renewed or retried.
#[derive(Clone, Copy, Debug)]
pub struct LeaseOptions {
    /// A lease not renewed for this long may be taken over.
    pub lease: Duration,
    /// Renewal interval (a third of the lease by default).
    pub heartbeat: Duration,
    /// How often a waiting process tries again.
    pub poll: Duration,
}

impl LeaseOptions {
    pub fn with_lease(lease: Duration) -> LeaseOptions {
        LeaseOptions {
            lease,
            heartbeat: lease / 3,
            poll: (lease / 10).clamp(Duration::from_millis(200), Duration::from_secs(5)),
        }
    }
}

impl Default for LeaseOptions {
    fn default() -> Self {
        LeaseOptions::with_lease(DEFAULT_LEASE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_are_user_host_pid_and_never_share_a_token() {
        let (a, b) = (Holder::current(), Holder::current());
        assert!(a.name.contains('@'), "{}", a.name);
        assert!(a.name.ends_with(&format!(" pid {}", std::process::id())), "{}", a.name);
        assert_eq!(a.token.len(), 32);
        assert_ne!(a.token, b.token);
    }

    #[test]
    fn times_print_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_714_564_800_999), "2024-05-01T12:00:00Z");
    }

    #[test]
    fn leases_expire_strictly_after_their_end() {
        let info = LockInfo {
            env: "e".into(),
            holder: "h".into(),
            token: "t".into(),
            operation: "apply".into(),
            acquired_at_ms: 0,
            expires_at_ms: 1000,
        };
        assert!(!info.expired(1000));
        assert!(info.expired(1001));
        let err = LockError::Held { env: "e".into(), info, waited: Duration::from_secs(3) };
        let text = err.to_string();
        assert!(text.contains("locked by h (apply since 1970-01-01T00:00:00Z"), "{text}");
        assert!(text.contains("waited 3 s"), "{text}");
    }

    #[test]
    fn polling_is_a_tenth_of_the_lease_within_bounds() {
        let o = LeaseOptions::with_lease(Duration::from_secs(60));
        assert_eq!(o.heartbeat, Duration::from_secs(20));
        assert_eq!(o.poll, Duration::from_secs(5));
        let o = LeaseOptions::with_lease(Duration::from_secs(1));
        assert_eq!(o.poll, Duration::from_millis(200));
    }
}
