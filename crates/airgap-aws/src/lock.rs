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

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, TableStatus,
};
use aws_sdk_dynamodb::Client;
use aws_types::SdkConfig;
use rand::Rng;
use thiserror::Error;
use tokio::sync::watch;
use tokio::task::JoinHandle;

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
    Held {
        env: String,
        info: LockInfo,
        waited: Duration,
    },
    /// The lease was taken over by someone else (ours had expired), or could not be
    /// renewed before it expired.
    #[error("lost the lock of environment {env}: {reason}")]
    Lost { env: String, reason: String },
    /// The lock a caller meant to remove is not (or no longer) the one in the table.
    #[error("environment {env} is not locked{}", changed.as_ref().map(|h| format!(" by that holder any more (now: {h})")).unwrap_or_default())]
    NotLocked {
        env: String,
        changed: Option<String>,
    },
    /// A DynamoDB call failed.
    #[error("lock table {table}: {operation} failed: {detail}")]
    Aws {
        table: String,
        operation: &'static str,
        detail: String,
    },
    /// The table was created but did not become usable.
    #[error("lock table {table} is still {status} after {waited_s} s")]
    NotActive {
        table: String,
        status: String,
        waited_s: u64,
    },
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
        Holder {
            name: name.into(),
            token: format!("{token:032x}"),
        }
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

/// The lock table of one hub account and region.
#[derive(Clone, Debug)]
pub struct LockTable {
    client: Client,
    name: String,
}

impl LockTable {
    /// The table [`TABLE`] reached with `config` (the hub account's credentials).
    pub fn new(config: &SdkConfig) -> LockTable {
        LockTable::with_client(Client::new(config), TABLE)
    }

    pub fn with_client(client: Client, name: impl Into<String>) -> LockTable {
        LockTable {
            client,
            name: name.into(),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn aws_err<E, R>(&self, operation: &'static str, e: SdkError<E, R>) -> LockError
    where
        E: std::error::Error + ProvideErrorMetadata + 'static,
        R: std::fmt::Debug,
    {
        LockError::Aws {
            table: self.name.clone(),
            operation,
            detail: DisplayErrorContext(&e).to_string(),
        }
    }

    /// Whether the table exists (and is not being deleted).
    pub async fn exists(&self) -> Result<bool, LockError> {
        match self
            .client
            .describe_table()
            .table_name(&self.name)
            .send()
            .await
        {
            Ok(out) => Ok(!matches!(
                out.table().and_then(|t| t.table_status()),
                Some(TableStatus::Deleting)
            )),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(self.aws_err("DescribeTable", e)),
        }
    }

    /// Creates the table unless it exists, and waits until it is ACTIVE. Two processes
    /// creating it at once both succeed (the loser's `ResourceInUseException` is fine).
    pub async fn ensure(&self) -> Result<(), LockError> {
        let started = tokio::time::Instant::now();
        let mut created = false;
        loop {
            let status = match self
                .client
                .describe_table()
                .table_name(&self.name)
                .send()
                .await
            {
                Ok(out) => out
                    .table()
                    .and_then(|t| t.table_status())
                    .cloned()
                    .unwrap_or(TableStatus::Active),
                Err(e)
                    if !created
                        && e.as_service_error()
                            .is_some_and(|se| se.is_resource_not_found_exception()) =>
                {
                    self.create().await?;
                    created = true;
                    continue;
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|se| se.is_resource_not_found_exception()) =>
                {
                    // Just created: DescribeTable may lag behind CreateTable.
                    TableStatus::Creating
                }
                Err(e) => return Err(self.aws_err("DescribeTable", e)),
            };
            if status == TableStatus::Active {
                return Ok(());
            }
            let waited = started.elapsed();
            if waited > Duration::from_secs(300) {
                return Err(LockError::NotActive {
                    table: self.name.clone(),
                    status: status.as_str().to_string(),
                    waited_s: waited.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    async fn create(&self) -> Result<(), LockError> {
        let def = AttributeDefinition::builder()
            .attribute_name("env")
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("name and type are set");
        let key = KeySchemaElement::builder()
            .attribute_name("env")
            .key_type(KeyType::Hash)
            .build()
            .expect("name and type are set");
        match self
            .client
            .create_table()
            .table_name(&self.name)
            .attribute_definitions(def)
            .key_schema(key)
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
        {
            Ok(_) => {
                tracing::info!(table = %self.name, "created the lock table");
                Ok(())
            }
            // Someone else created it at the same time.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(self.aws_err("CreateTable", e)),
        }
    }

    /// The lease of `env`, expired or not; None if there is none (or no table).
    pub async fn get(&self, env: &str) -> Result<Option<LockInfo>, LockError> {
        self.get_item(env)
            .await
            .map(|item| item.as_ref().and_then(LockInfo::from_item))
    }

    pub(crate) async fn get_item(&self, key: &str) -> Result<Option<Item>, LockError> {
        match self
            .client
            .get_item()
            .table_name(&self.name)
            .key("env", str_val(key))
            .consistent_read(true)
            .send()
            .await
        {
            Ok(out) => Ok(out.item),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_resource_not_found_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(self.aws_err("GetItem", e)),
        }
    }

    /// One attempt: the lease if it is free or expired, else [`LockError::Held`].
    pub async fn try_acquire(
        &self,
        env: &str,
        operation: &str,
        holder: &Holder,
        opts: LeaseOptions,
    ) -> Result<LockInfo, LockError> {
        let now = now_ms();
        let info = LockInfo {
            env: env.to_string(),
            holder: holder.name.clone(),
            token: holder.token.clone(),
            operation: operation.to_string(),
            acquired_at_ms: now,
            expires_at_ms: now.saturating_add(ms(opts.lease)),
        };
        let result = self
            .client
            .put_item()
            .table_name(&self.name)
            .item("env", str_val(env))
            .item("item", str_val("lock"))
            .item("holder", str_val(&info.holder))
            .item("token", str_val(&info.token))
            .item("operation", str_val(&info.operation))
            .item("acquired_at", num(info.acquired_at_ms))
            .item("expires_at", num(info.expires_at_ms))
            .condition_expression("attribute_not_exists(#env) OR #exp < :now")
            .expression_attribute_names("#env", "env")
            .expression_attribute_names("#exp", "expires_at")
            .expression_attribute_values(":now", num(now))
            .send()
            .await;
        match result {
            Ok(_) => Ok(info),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                let current = self.get(env).await?;
                match current {
                    Some(info) => Err(LockError::Held {
                        env: env.to_string(),
                        info,
                        waited: Duration::ZERO,
                    }),
                    // Released between the two calls: try again at once.
                    None => Box::pin(self.try_acquire(env, operation, holder, opts)).await,
                }
            }
            Err(e) => Err(self.aws_err("PutItem", e)),
        }
    }

    /// Takes the lease of `env`, creating the table first if needed. While another
    /// process holds it, tries again every `opts.poll` until `timeout` has passed
    /// (zero: one attempt), calling `waiting` once with the holder. The lease is renewed
    /// in the background until [`Lease::release`] (or until the process ends: then it
    /// expires after `opts.lease`).
    pub async fn acquire(
        &self,
        env: &str,
        operation: &str,
        holder: &Holder,
        opts: LeaseOptions,
        timeout: Duration,
        mut waiting: impl FnMut(&LockInfo),
    ) -> Result<Lease, LockError> {
        self.ensure().await?;
        let started = tokio::time::Instant::now();
        let mut told = false;
        loop {
            match self.try_acquire(env, operation, holder, opts).await {
                Ok(info) => return Ok(Lease::start(self.clone(), info, opts)),
                Err(LockError::Held { env, info, .. }) => {
                    let waited = started.elapsed();
                    if waited >= timeout {
                        return Err(LockError::Held { env, info, waited });
                    }
                    if !told {
                        waiting(&info);
                        told = true;
                    }
                    tokio::time::sleep(opts.poll.min(timeout - waited)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Removes the lease of `env` whoever holds it, if it is still the one with
    /// `token` (None: any). For `airgapctl unlock`; returns what was removed.
    pub async fn force_release(
        &self,
        env: &str,
        token: Option<&str>,
    ) -> Result<LockInfo, LockError> {
        let current = self.get(env).await?.ok_or_else(|| LockError::NotLocked {
            env: env.to_string(),
            changed: None,
        })?;
        let token = token.unwrap_or(&current.token);
        match self.delete_if_token(env, token).await {
            Ok(()) => Ok(current),
            Err(LockError::NotLocked { .. }) => {
                let now = self.get(env).await?;
                Err(LockError::NotLocked {
                    env: env.to_string(),
                    changed: now.map(|i| i.holder),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn delete_if_token(&self, env: &str, token: &str) -> Result<(), LockError> {
        match self
            .client
            .delete_item()
            .table_name(&self.name)
            .key("env", str_val(env))
            .condition_expression("#token = :token")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":token", str_val(token))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Err(LockError::NotLocked {
                    env: env.to_string(),
                    changed: None,
                })
            }
            Err(e) => Err(self.aws_err("DeleteItem", e)),
        }
    }

    /// Extends our lease to `expires_at_ms`; `Lost` if the token is no longer ours.
    async fn renew(&self, env: &str, token: &str, expires_at_ms: i64) -> Result<(), LockError> {
        match self
            .client
            .update_item()
            .table_name(&self.name)
            .key("env", str_val(env))
            .update_expression("SET #exp = :exp, #hb = :now")
            .condition_expression("#token = :token")
            .expression_attribute_names("#exp", "expires_at")
            .expression_attribute_names("#hb", "heartbeat_at")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":exp", num(expires_at_ms))
            .expression_attribute_values(":now", num(now_ms()))
            .expression_attribute_values(":token", str_val(token))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                let by = self.get(env).await.ok().flatten();
                Err(LockError::Lost {
                    env: env.to_string(),
                    reason: match by {
                        Some(i) => format!("it was taken over by {}", i.holder),
                        None => "it was removed (airgapctl unlock?)".to_string(),
                    },
                })
            }
            Err(e) => Err(self.aws_err("UpdateItem", e)),
        }
    }
}

/// A held lease, renewed in the background until released.
pub struct Lease {
    table: LockTable,
    info: LockInfo,
    lost: watch::Receiver<Option<String>>,
    heartbeat: JoinHandle<()>,
}

impl Lease {
    fn start(table: LockTable, info: LockInfo, opts: LeaseOptions) -> Lease {
        let (tx, lost) = watch::channel(None);
        let heartbeat = tokio::spawn(heartbeat(table.clone(), info.clone(), opts, tx));
        Lease {
            table,
            info,
            lost,
            heartbeat,
        }
    }

    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Resolves with the reason once the lease is lost (never, while it is held).
    pub fn lost(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let mut rx = self.lost.clone();
        async move {
            loop {
                if let Some(reason) = rx.borrow_and_update().clone() {
                    return reason;
                }
                if rx.changed().await.is_err() {
                    // The heartbeat ended without losing the lease: released.
                    std::future::pending::<()>().await;
                }
            }
        }
    }

    /// Whether the lease was lost, and why.
    pub fn lost_reason(&self) -> Option<String> {
        self.lost.borrow().clone()
    }

    /// Stops the heartbeat and deletes the lease (if it is still ours).
    pub async fn release(self) -> Result<(), LockError> {
        self.heartbeat.abort();
        if let Some(reason) = self.lost_reason() {
            return Err(LockError::Lost {
                env: self.info.env.clone(),
                reason,
            });
        }
        match self
            .table
            .delete_if_token(&self.info.env, &self.info.token)
            .await
        {
            Ok(()) => Ok(()),
            Err(LockError::NotLocked { .. }) => Err(LockError::Lost {
                env: self.info.env.clone(),
                reason: "it was no longer ours when released".to_string(),
            }),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Not released: the lease expires on its own.
        self.heartbeat.abort();
    }
}

async fn heartbeat(
    table: LockTable,
    info: LockInfo,
    opts: LeaseOptions,
    lost: watch::Sender<Option<String>>,
) {
    let mut valid_until = info.expires_at_ms;
    let retry = opts.poll.min(opts.heartbeat);
    let mut next = opts.heartbeat;
    loop {
        tokio::time::sleep(next).await;
        let expires = now_ms().saturating_add(ms(opts.lease));
        match table.renew(&info.env, &info.token, expires).await {
            Ok(()) => {
                valid_until = expires;
                next = opts.heartbeat;
            }
            Err(LockError::Lost { reason, .. }) => {
                let _ = lost.send(Some(reason));
                return;
            }
            Err(e) => {
                tracing::warn!(env = %info.env, error = %e, "could not renew the lock");
                if now_ms() >= valid_until {
                    let _ = lost.send(Some(format!(
                        "it expired at {} before it could be renewed ({e})",
                        rfc3339(valid_until)
                    )));
                    return;
                }
                next = retry;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holders_are_user_host_pid_and_never_share_a_token() {
        let (a, b) = (Holder::current(), Holder::current());
        assert!(a.name.contains('@'), "{}", a.name);
        assert!(
            a.name.ends_with(&format!(" pid {}", std::process::id())),
            "{}",
            a.name
        );
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
        let err = LockError::Held {
            env: "e".into(),
            info,
            waited: Duration::from_secs(3),
        };
        let text = err.to_string();
        assert!(
            text.contains("locked by h (apply since 1970-01-01T00:00:00Z"),
            "{text}"
        );
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
