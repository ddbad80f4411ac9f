//! `airgapctl unlock`: removes the lock of an environment whose holder is gone (a
//! killed CI job), after showing who held it and asking.

use std::io::IsTerminal;

use airgap_aws::lock::{now_ms, rfc3339, LockError, LockTable};
use miette::miette;

use super::prompt::{ask_yes, say};
use super::{check_env_name, hub, lock, Target};
use crate::cli::{Global, Output, Source, UnlockArgs};
use crate::exit::{CmdResult, ExitStatus, Failure};

pub async fn run(args: &UnlockArgs, global: &Global) -> CmdResult {
    if !args.auto_approve && !std::io::stdin().is_terminal() {
        return Err(Failure::invalid(miette!(
            help = "pass --auto-approve to unlock without confirmation",
            "stdin is not a terminal, so no one can confirm; use --auto-approve"
        )));
    }
    let (env, table) = match (&args.file, &args.hub_account) {
        (Some(file), _) => {
            let source = Source::aws(vec![file.clone()], Vec::new(), args.env.clone(), 1.0);
            let target = Target::resolve(&source, global).await?;
            let table = lock::table(&target)?.expect("a blueprint target is on AWS");
            (target.env, table)
        }
        (None, Some(hub_account)) => {
            let env = args.env.clone().expect("clap requires --env without -f");
            check_env_name(&env)?;
            let provider = hub::connect(global, hub_account, args.role.as_deref()).await?;
            let config = provider.sdk_config(hub_account).expect("the hub account was connected");
            (env, LockTable::new(config))
        }
        (None, None) => unreachable!("clap requires -f or --hub-account"),
    };
    let fail = |e: LockError| Failure::failed(miette!("{e}"));
    let Some(info) = table.get(&env).await.map_err(fail)? else {
        say(global.output, &format!("Environment {env} is not locked.\n"));
        return Ok(ExitStatus::Success);
    };
    let state = if info.expired(now_ms()) {
        format!("expired at {}", rfc3339(info.expires_at_ms))
    } else {
        format!("held until {} unless its holder renews it", rfc3339(info.expires_at_ms))
    };
    say(
        global.output,
        &format!(
            "Environment {env} is locked by {} ({} since {}); the lease is {state}.\n",
            info.holder,
            info.operation,
            rfc3339(info.acquired_at_ms)
        ),
    );
    if !args.auto_approve {
        confirm(&env, global.output)?;
    }
    // Only this lease: if its holder released it and someone else took the lock
    // meanwhile, theirs stays.
    table.force_release(&env, Some(&info.token)).await.map_err(fail)?;
    say(global.output, &format!("Removed the lock of environment {env}.\n"));
    Ok(ExitStatus::Success)
}

fn confirm(env: &str, output: Output) -> Result<(), Failure> {
    ask_yes(
        &format!(
            "\nRemove the lock of environment {env}? If its holder still runs, two processes \
             may then change the environment at once.\nOnly 'yes' will be accepted: "
        ),
        output,
    )
}
