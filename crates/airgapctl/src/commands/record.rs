//! The environment record (`airgap_aws::record`) as the commands keep it: written by
//! `apply` before it changes anything, deleted by a complete `destroy`, and read by
//! `destroy --env`, `envs` and `gc`, which work without the blueprint.

use std::time::Duration;

use airgap_aws::lock::{now_ms, LockTable};
use airgap_aws::record::{EnvRecord, RecordedAccount};
use airgap_aws::{AccountSpec, Provider};
use airgap_engine::GraphBuilder;
use miette::miette;

use super::{hub, lock, Backend, Span, Target};
use crate::cli::Global;
use crate::exit::Failure;

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Writes the record of an AWS target; returns its expiry (ms since the epoch), from
/// `ttl` (`apply --ttl`) or else the blueprint's `metadata.ttl`. Nothing for the
/// simulated cloud.
pub async fn write(target: &Target, ttl: Option<Duration>) -> Result<Option<i64>, Failure> {
    let (Backend::Aws(provider), Some(span)) = (&target.backend, &target.span) else {
        return Ok(None);
    };
    let table = lock::table(target)?.expect("an AWS target has a lock table");
    let now = now_ms();
    let expires = ttl.or(span.ttl).map(|t| now.saturating_add(ms(t)));
    let rec = EnvRecord {
        env: target.env.clone(),
        region: span.region.clone(),
        hub_account: span.hub_account.clone(),
        accounts: span
            .accounts
            .iter()
            .map(|a| RecordedAccount {
                id: a.id.clone(),
                name: a.name.clone(),
                role: a.role.clone(),
                external_id: a.external_id.clone(),
            })
            .collect(),
        owner: owner(provider, span),
        created_at_ms: now,
        updated_at_ms: now,
        expires_at_ms: expires,
    };
    table.put_record(&rec).await.map_err(|e| {
        Failure::failed(miette!("cannot write the record of environment {}: {e}", target.env))
    })?;
    Ok(expires)
}

/// The caller ARN in the hub account.
fn owner(provider: &Provider, span: &Span) -> String {
    let hub_name = span.accounts.iter().find(|a| a.id == span.hub_account).map(|a| a.name.as_str());
    provider
        .identities()
        .iter()
        .find(|(name, _)| Some(name.as_str()) == hub_name)
        .map(|(_, arn)| arn.clone())
        .unwrap_or_default()
}

/// Tags (or untags) the transit gateway with the expiry; a failure is a warning.
pub async fn tag_expiry(target: &Target, expires: Option<i64>) {
    let (Backend::Aws(provider), Some(span)) = (&target.backend, &target.span) else {
        return;
    };
    let Some(config) = provider.sdk_config(&span.hub_account) else {
        return;
    };
    if let Err(e) =
        airgap_aws::record::tag_expiry(config, &target.env, &span.hub_account, expires).await
    {
        eprintln!("Warning: could not tag the transit gateway with its expiry: {e}");
    }
}

/// Deletes the record after a destroy that left nothing.
pub async fn delete(target: &Target) -> Result<(), Failure> {
    let Some(table) = lock::table(target)? else {
        return Ok(());
    };
    table.delete_record(&target.env).await.map_err(|e| {
        Failure::failed(miette!(
            "the environment {} is destroyed, but its record could not be deleted: {e}",
            target.env
        ))
    })
}

/// The lock table of a hub account reached without a blueprint.
pub async fn hub_table(
    global: &Global,
    hub_account: &str,
    role: Option<&str>,
) -> Result<LockTable, Failure> {
    let provider = hub::connect(global, hub_account, role).await?;
    let config = provider.sdk_config(hub_account).expect("the hub account was connected");
    Ok(LockTable::new(config))
}

/// The record of `env` in `table`, or an error that says where it looked.
pub async fn read(table: &LockTable, env: &str, hub_account: &str) -> Result<EnvRecord, Failure> {
    table
        .get_record(env)
        .await
        .map_err(|e| Failure::failed(miette!("cannot read the record of environment {env}: {e}")))?
        .ok_or_else(|| {
            Failure::failed(miette!(
                help = format!(
                    "`airgapctl envs --hub-account {hub_account}` lists the recorded environments; \
                     an environment applied before records existed is destroyed with -f FILE"
                ),
                "no record of environment {env} in the hub account {hub_account}"
            ))
        })
}

/// A target for the recorded environment: no declared resources, every recorded
/// account observed, so a destroy deletes everything that carries the env tag there.
/// `role` replaces the recorded roles.
pub async fn target(
    global: &Global,
    rec: &EnvRecord,
    role: Option<&str>,
    time_scale: f64,
) -> Result<Target, Failure> {
    let time_scale = super::check_time_scale("--time-scale", time_scale)?;
    let accounts: Vec<AccountSpec> = rec
        .accounts
        .iter()
        .map(|a| AccountSpec {
            name: a.name.clone(),
            id: a.id.clone(),
            role: role.map(str::to_string).or_else(|| a.role.clone()),
            external_id: a.external_id.clone(),
            session_name: Some(format!("airgapctl-{}", rec.env)),
        })
        .collect();
    if !accounts.iter().any(|a| a.id == rec.hub_account) {
        return Err(Failure::failed(miette!(
            "the record of environment {} does not list its hub account {}",
            rec.env,
            rec.hub_account
        )));
    }
    let provider = super::connect(global, &rec.region, &accounts, Some(&rec.hub_account)).await?;
    let graph = GraphBuilder::new().seal().expect("an empty graph is a valid graph");
    let span = Span {
        hub_account: rec.hub_account.clone(),
        region: rec.region.clone(),
        accounts,
        ttl: None,
        existing_tgw: None,
    };
    Ok(Target::aws(rec.env.clone(), graph, None, provider, time_scale, span))
}
