//! The environment lock as the commands use it: `apply` and `destroy` on AWS hold the
//! lease of `airgap_aws::lock` from before planning until the run ends; simulated runs
//! take none (their state is a local file).

use std::path::Path;
use std::time::Duration;

use airgap_aws::lock::{rfc3339, Lease, LeaseOptions, LockError, LockTable, DEFAULT_LEASE};
use miette::miette;

use super::{Backend, Target};
use crate::cli::parse_duration;
use crate::exit::Failure;

/// Overrides the lease duration (e.g. `5s` in tests, where a killed holder's lease
/// should run out quickly). Default 60 s.
pub const LEASE_ENV: &str = "AIRGAP_LOCK_LEASE";

/// Lease and heartbeat durations, from [`LEASE_ENV`] or the default.
pub fn lease_options() -> Result<LeaseOptions, Failure> {
    let lease = match std::env::var(LEASE_ENV) {
        Ok(v) if !v.trim().is_empty() => {
            let d = parse_duration(v.trim())
                .map_err(|e| Failure::invalid(miette!("{LEASE_ENV}: {e}")))?;
            if d < Duration::from_secs(1) {
                return Err(Failure::invalid(miette!("{LEASE_ENV} must be at least 1s, got {v}")));
            }
            d
        }
        _ => DEFAULT_LEASE,
    };
    Ok(LeaseOptions::with_lease(lease))
}

/// The lock table of the target's hub account; None for the simulated cloud.
pub fn table(target: &Target) -> Result<Option<LockTable>, Failure> {
    let (Backend::Aws(provider), Some(span)) = (&target.backend, &target.span) else {
        return Ok(None);
    };
    let config = provider.sdk_config(&span.hub_account).ok_or_else(|| {
        Failure::failed(miette!(
            "no credentials for the hub account {} (a bug in airgapctl)",
            span.hub_account
        ))
    })?;
    Ok(Some(LockTable::new(config)))
}

/// The command that removes the lock of `env` kept in `hub`'s table.
pub fn unlock_command(env: &str, file: Option<&Path>, hub: &str) -> String {
    match file {
        Some(f) => format!("airgapctl unlock --env {env} -f {}", f.display()),
        None => format!("airgapctl unlock --env {env} --hub-account {hub}"),
    }
}

/// Takes the lock of the target's environment for `operation`, waiting up to
/// `timeout` for another holder. None for the simulated cloud.
pub async fn acquire(
    target: &Target,
    operation: &str,
    timeout: Duration,
    file: Option<&Path>,
) -> Result<Option<Lease>, Failure> {
    let Some(table) = table(target)? else {
        return Ok(None);
    };
    let hub = target.span.as_ref().map_or("", |s| s.hub_account.as_str());
    let opts = lease_options()?;
    let holder = airgap_aws::lock::Holder::current();
    let env = &target.env;
    let waiting = |info: &airgap_aws::lock::LockInfo| {
        eprintln!(
            "Environment {env} is locked by {} ({} since {}); waiting up to {} s for it ...",
            info.holder,
            info.operation,
            rfc3339(info.acquired_at_ms),
            timeout.as_secs()
        );
    };
    match table.acquire(env, operation, &holder, opts, timeout, waiting).await {
        Ok(lease) => {
            tracing::info!(env = %env, holder = %holder.name, "took the lock");
            Ok(Some(lease))
        }
        Err(e @ LockError::Held { .. }) => {
            let LockError::Held { info, .. } = &e else { unreachable!() };
            Err(Failure::failed(miette!(
                help = format!(
                    "wait for it with --lock-timeout (e.g. --lock-timeout 10m); if that process \
                     is gone, its lease expires by itself at {}, or remove it now with `{}`",
                    rfc3339(info.expires_at_ms),
                    unlock_command(env, file, hub)
                ),
                "{e}"
            )))
        }
        Err(e) => Err(Failure::failed(miette!("cannot take the lock of environment {env}: {e}"))),
    }
}

/// Releases a lease at the end of a run. A lease lost during the run was reported
/// by the run already; anything else is a warning (the lease expires by itself).
pub async fn release(lease: Option<Lease>) {
    let Some(lease) = lease else { return };
    let env = lease.info().env.clone();
    match lease.release().await {
        Ok(()) => tracing::info!(env = %env, "released the lock"),
        Err(LockError::Lost { .. }) => {}
        Err(e) => eprintln!("Warning: could not release the lock of environment {env}: {e}"),
    }
}
