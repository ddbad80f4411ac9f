//! The lock table of one hub account and region: created on first use; leases are
//! taken, renewed and released by conditional writes.

use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, TableStatus,
};
use aws_sdk_dynamodb::Client;
use aws_types::SdkConfig;

use super::{
    ms, now_ms, num, str_val, Holder, Item, Lease, LeaseOptions, LockError, LockInfo, TABLE,
};

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
        LockTable { client, name: name.into() }
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
        match self.client.describe_table().table_name(&self.name).send().await {
            Ok(out) => Ok(!matches!(
                out.table().and_then(|t| t.table_status()),
                Some(TableStatus::Deleting)
            )),
            Err(e)
                if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) =>
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
            let status = match self.client.describe_table().table_name(&self.name).send().await {
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
            Err(e) if e.as_service_error().is_some_and(|se| se.is_resource_in_use_exception()) => {
                Ok(())
            }
            Err(e) => Err(self.aws_err("CreateTable", e)),
        }
    }

    /// The lease of `env`, expired or not; None if there is none (or no table).
    pub async fn get(&self, env: &str) -> Result<Option<LockInfo>, LockError> {
        self.get_item(env).await.map(|item| item.as_ref().and_then(LockInfo::from_item))
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
                if e.as_service_error().is_some_and(|se| se.is_resource_not_found_exception()) =>
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
            Err(e) if condition_failed(&e) => {
                let current = self.get(env).await?;
                match current {
                    Some(info) => {
                        Err(LockError::Held { env: env.to_string(), info, waited: Duration::ZERO })
                    }
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
        let current = self
            .get(env)
            .await?
            .ok_or_else(|| LockError::NotLocked { env: env.to_string(), changed: None })?;
        let token = token.unwrap_or(&current.token);
        match self.delete_if_token(env, token).await {
            Ok(()) => Ok(current),
            Err(LockError::NotLocked { .. }) => {
                let now = self.get(env).await?;
                Err(LockError::NotLocked { env: env.to_string(), changed: now.map(|i| i.holder) })
            }
            Err(e) => Err(e),
        }
    }

    pub(super) async fn delete_if_token(&self, env: &str, token: &str) -> Result<(), LockError> {
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
            Err(e) if condition_failed(&e) => {
                Err(LockError::NotLocked { env: env.to_string(), changed: None })
            }
            Err(e) => Err(self.aws_err("DeleteItem", e)),
        }
    }

    /// Extends our lease to `expires_at_ms`; `Lost` if the token is no longer ours.
    pub(super) async fn renew(
        &self,
        env: &str,
        token: &str,
        expires_at_ms: i64,
    ) -> Result<(), LockError> {
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
            Err(e) if condition_failed(&e) => {
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

/// Whether a conditional write was refused because its condition did not hold (the lock
/// item is not what the caller expected: held, or its token no longer ours), which each
/// caller answers in its own way, rather than failed.
fn condition_failed<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.as_service_error().and_then(|se| se.code()) == Some("ConditionalCheckFailedException")
}
