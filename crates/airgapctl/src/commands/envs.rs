//! `airgapctl envs` lists the environments recorded in a hub account; `airgapctl gc`
//! destroys the expired ones, each from its record, under its lock.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io::{BufRead, IsTerminal};
use std::sync::Arc;
use std::time::Duration;

use airgap_aws::lock::{now_ms, rfc3339};
use airgap_aws::record::EnvRecord;
use airgap_engine::{Action, PlanMode};
use miette::miette;
use serde_json::json;

use super::apply::{self, RunOptions};
use super::{out, plan, record, LINE_PREFIX};
use crate::cli::{ApplyArgs, EnvsArgs, GcArgs, Global, Output, Source};
use crate::exit::{CmdResult, ExitStatus, Failure};

pub async fn run(args: &EnvsArgs, global: &Global) -> CmdResult {
    let table = record::hub_table(global, &args.hub.hub_account, args.hub.role.as_deref()).await?;
    let records = table
        .list_records()
        .await
        .map_err(|e| Failure::failed(miette!("cannot list the environments: {e}")))?;
    let counts = if args.no_counts {
        vec![None; records.len()]
    } else {
        count_all(global, &records, args.hub.role.as_deref()).await
    };
    let now = now_ms();
    match global.output {
        Output::Json => {
            let items: Vec<_> =
                records.iter().zip(&counts).map(|(r, c)| record_json(r, c.as_ref(), now)).collect();
            out(&format!("{}\n", serde_json::to_string_pretty(&items).expect("records serialize")));
        }
        Output::Text => out(&table_text(&records, &counts, now)),
    }
    Ok(ExitStatus::Success)
}

/// Resources carrying the env tag, by account and kind.
type Counts = BTreeMap<String, BTreeMap<String, usize>>;

/// How many environments are observed at once.
const COUNT_PARALLELISM: usize = 4;

/// The resources of each environment, as a destroy would find them: every recorded
/// account observed by the env tag. An environment that cannot be observed (a role
/// gone, no permission) is a warning and shows no count.
async fn count_all(
    global: &Global,
    records: &[EnvRecord],
    role: Option<&str>,
) -> Vec<Option<Counts>> {
    let tasks = records.iter().map(|r| {
        let (global, r, role) = (global.clone(), r.clone(), role.map(str::to_string));
        async move { count(&global, &r, role.as_deref()).await }
    });
    let results = side_by_side(COUNT_PARALLELISM, tasks).await;
    records
        .iter()
        .zip(results)
        .map(|(r, result)| match result {
            Some(Ok(c)) => Some(c),
            Some(Err(f)) => {
                eprintln!(
                    "Warning: cannot count the resources of environment {}: {:?}",
                    r.env, f.error
                );
                None
            }
            None => {
                eprintln!("Warning: counting the resources of {} failed", r.env);
                None
            }
        })
        .collect()
}

/// Runs `tasks`, at most `limit` at a time, each on its own tokio task; their results
/// in the order given (None for one that panicked).
async fn side_by_side<T, F>(limit: usize, tasks: impl IntoIterator<Item = F>) -> Vec<Option<T>>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    let permits = Arc::new(tokio::sync::Semaphore::new(limit.max(1)));
    let mut set = tokio::task::JoinSet::new();
    let tasks: Vec<F> = tasks.into_iter().collect();
    let mut out: Vec<Option<T>> = tasks.iter().map(|_| None).collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let permits = Arc::clone(&permits);
        set.spawn(async move {
            let _permit = permits.acquire_owned().await;
            (i, task.await)
        });
    }
    while let Some(joined) = set.join_next().await {
        if let Ok((i, v)) = joined {
            out[i] = Some(v);
        }
    }
    out
}

async fn count(global: &Global, r: &EnvRecord, role: Option<&str>) -> Result<Counts, Failure> {
    let target = record::target(global, r, role, 1.0).await?;
    let plan = plan::make(&target, PlanMode::Destroy).await?;
    let mut counts = Counts::new();
    for n in plan.nodes.iter().filter(|n| n.action == Action::Delete) {
        *counts.entry(n.scope.account.clone()).or_default().entry(n.kind.clone()).or_default() += 1;
    }
    Ok(counts)
}

fn total(c: &Counts) -> usize {
    c.values().flat_map(BTreeMap::values).sum()
}

fn record_json(r: &EnvRecord, counts: Option<&Counts>, now: i64) -> serde_json::Value {
    json!({
        "env": r.env,
        "owner": r.owner,
        "region": r.region,
        "hub_account": r.hub_account,
        "created_at": rfc3339(r.created_at_ms),
        "updated_at": rfc3339(r.updated_at_ms),
        "age_s": (now - r.created_at_ms).max(0) / 1000,
        "expires_at": r.expires_at_ms.map(rfc3339),
        "expired": r.expired(now),
        "accounts": r.accounts.iter().map(|a| json!({
            "id": a.id, "name": a.name, "role": a.role, "external_id": a.external_id,
        })).collect::<Vec<_>>(),
        "resources": counts.map(|c| json!({ "total": total(c), "by_account": c })),
    })
}

/// `3d4h`, `2h5m`, `4m10s`, `12s`: the two largest units.
pub fn human(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    let (d, h, m, sec) = (s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m}m")
    } else if m > 0 {
        format!("{m}m{sec}s")
    } else {
        format!("{sec}s")
    }
}

fn expiry(r: &EnvRecord, now: i64) -> String {
    match r.expires_at_ms {
        None => "never".to_string(),
        Some(e) if e <= now => format!("expired {} ago", human(now - e)),
        Some(e) => format!("in {}", human(e - now)),
    }
}

fn table_text(records: &[EnvRecord], counts: &[Option<Counts>], now: i64) -> String {
    if records.is_empty() {
        return "No environments recorded.\n".to_string();
    }
    let rows: Vec<[String; 6]> = records
        .iter()
        .zip(counts)
        .map(|(r, c)| {
            let accounts: Vec<String> =
                r.accounts.iter().map(|a| format!("{} ({})", a.id, a.name)).collect();
            [
                r.env.clone(),
                r.owner.clone(),
                human(now - r.created_at_ms),
                expiry(r, now),
                c.as_ref().map_or_else(|| "-".to_string(), |c| total(c).to_string()),
                accounts.join(", "),
            ]
        })
        .collect();
    let head = ["NAME", "OWNER", "AGE", "EXPIRES", "RESOURCES", "ACCOUNTS"];
    let width: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].len()).chain([head[i].len()]).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for row in std::iter::once(head.map(str::to_string)).chain(rows) {
        let _ = writeln!(
            text,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {:>w4$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2],
            w3 = width[3],
            w4 = width[4]
        );
    }
    text
}

/// `airgapctl gc`: destroys every recorded environment whose expiry passed, one after
/// the other, each as `destroy --env NAME --hub-account ID` would (under its lock; one
/// locked by another process is skipped and counts as a failure).
pub async fn gc(args: &GcArgs, global: &Global) -> CmdResult {
    if !args.dry_run && !args.auto_approve && !std::io::stdin().is_terminal() {
        return Err(Failure::invalid(miette!(
            help = "pass --auto-approve to run without confirmation",
            "stdin is not a terminal, so no one can confirm; use --auto-approve"
        )));
    }
    let hub = &args.hub.hub_account;
    let table = record::hub_table(global, hub, args.hub.role.as_deref()).await?;
    let now = now_ms();
    let expired: Vec<EnvRecord> = table
        .list_records()
        .await
        .map_err(|e| Failure::failed(miette!("cannot list the environments: {e}")))?
        .into_iter()
        .filter(|r| r.expired(now))
        .collect();
    let say = |text: &str| match global.output {
        Output::Text => out(text),
        Output::Json => eprint!("{text}"),
    };
    if expired.is_empty() {
        say("No expired environments.\n");
        return Ok(ExitStatus::Success);
    }
    let mut list = format!("{} expired environment(s):\n", expired.len());
    for r in &expired {
        let _ = writeln!(
            list,
            "  {} (owner {}, {})",
            r.env,
            if r.owner.is_empty() { "?" } else { &r.owner },
            expiry(r, now)
        );
    }
    say(&list);
    if !args.dry_run && !args.auto_approve {
        say("\nDestroy every resource of these environments?\nOnly 'yes' will be accepted: ");
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|e| Failure::invalid(miette!("cannot read the answer: {e}")))?;
        if answer.trim() != "yes" {
            return Err(Failure::failed(miette!("cancelled: the answer was not 'yes'")));
        }
    }
    let opts = RunOptions { ttl: None, dry_run: args.dry_run, ..Default::default() };
    // Side by side: one firewall takes 20 minutes to delete, and ten expired
    // environments should not take ten times that. Each runs under its own lock.
    let concurrency = match global.output {
        Output::Json => 1,
        Output::Text => usize::from(args.concurrency).min(expired.len()),
    };
    let tasks = expired.iter().cloned().map(|r| {
        // No prefix when one runs at a time.
        let prefix = if concurrency > 1 { format!("[{}] ", r.env) } else { String::new() };
        let global = global.clone();
        let (role, time_scale, parallelism) =
            (args.hub.role.clone(), args.time_scale, args.parallelism);
        let opts = opts.clone();
        let run = async move {
            match global.output {
                Output::Text if concurrency == 1 => out(&format!("\n== {} ==\n", r.env)),
                Output::Text => out(&format!("Destroying environment {}\n", r.env)),
                // stdout carries the JSON events.
                Output::Json => eprint!("\n== {} ==\n", r.env),
            }
            let run_args = ApplyArgs {
                source: Source::aws(Vec::new(), Vec::new(), Some(r.env.clone()), time_scale),
                auto_approve: true,
                parallelism,
                lock_timeout: Duration::ZERO,
                stats: false,
            };
            let result = async {
                let target = record::target(&global, &r, role.as_deref(), time_scale).await?;
                apply::run_target(&target, &run_args, PlanMode::Destroy, global.output, &opts).await
            }
            .await;
            match result {
                Ok(ExitStatus::Success) => None,
                Ok(status) => Some(format!("{} (exit {})", r.env, status.code())),
                Err(Failure { error, .. }) => {
                    eprintln!("{}: {error:?}", r.env);
                    Some(r.env.clone())
                }
            }
        };
        LINE_PREFIX.scope(prefix, run)
    });
    let mut failed: Vec<String> = side_by_side(concurrency, tasks)
        .await
        .into_iter()
        .zip(&expired)
        .filter_map(|(result, r)| match result {
            Some(failure) => failure,
            None => Some(format!("{} (the destroy panicked)", r.env)),
        })
        .collect();
    failed.sort();
    let done = expired.len() - failed.len();
    if args.dry_run {
        say(&format!(
            "\nDry run: {} expired environment(s), nothing was changed.\n",
            expired.len()
        ));
    } else {
        say(&format!(
            "\nGarbage collection: {done} of {} expired environment(s) destroyed.\n",
            expired.len()
        ));
    }
    if failed.is_empty() {
        Ok(ExitStatus::Success)
    } else {
        Err(Failure::failed(miette!("could not destroy: {}", failed.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_show_two_units() {
        assert_eq!(human(12_000), "12s");
        assert_eq!(human(250_000), "4m10s");
        assert_eq!(human(7_500_000), "2h5m");
        assert_eq!(human(100 * 3_600_000), "4d4h");
        assert_eq!(human(-5), "0s");
    }
}
