//! `airgapctl apply` and `airgapctl destroy`: plan, confirm, execute, report.

use std::io::{BufRead, IsTerminal};
use std::sync::Arc;

use airgap_engine::{execute, Events, ExecOptions, PlanMode};
use miette::miette;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{out, plan, Target};
use crate::cli::{ApplyArgs, Global, Output};
use crate::exit::{CmdResult, ExitStatus, Failure};
use crate::interrupt::{self, Interrupts};
use crate::progress::{self, Style};
use crate::render;

pub async fn run(args: &ApplyArgs, mode: PlanMode, global: &Global) -> CmdResult {
    let output = global.output;
    let target = Target::resolve(&args.source, global).await?;
    // Refuse before observing anything: the answer could never come.
    if !args.auto_approve && !std::io::stdin().is_terminal() {
        return Err(Failure::invalid(miette!(
            help = "pass --auto-approve to run without confirmation",
            "stdin is not a terminal, so no one can confirm the plan; use --auto-approve"
        )));
    }
    let plan = plan::make(&target, mode).await?;
    match output {
        Output::Text => out(&match mode {
            PlanMode::Apply => render::plan(&plan),
            PlanMode::Destroy => render::destroy_counts(&plan),
        }),
        Output::Json => out(&format!("{}\n", json!({ "event": "plan", "plan": &plan }))),
    }
    if !plan.has_changes() {
        // JSON consumers still get a complete run_started .. run_finished stream.
        if output == Output::Text {
            return Ok(ExitStatus::Success);
        }
    } else if !args.auto_approve {
        confirm(mode, &target.env, output)?;
    }

    let (tx, rx) = mpsc::unbounded_channel();
    let style = match output {
        Output::Json => Style::Json,
        Output::Text if std::io::stdout().is_terminal() => Style::Bar,
        Output::Text => Style::Lines,
    };
    let reporter = tokio::spawn(progress::run(rx, style));
    let mut events = Events::none();
    events.subscribe(Arc::new(tx));

    let cancel = CancellationToken::new();
    let sigint = Interrupts::listen()
        .map_err(|e| Failure::failed(miette!("cannot listen for Ctrl-C: {e}")))?;
    let save = target.save_hook();
    let interrupts = tokio::spawn(interrupt::watch(sigint, cancel.clone(), move || {
        // A real cloud keeps what was created; so does the simulated one.
        save();
        eprintln!("Exiting now; operations in flight were abandoned.");
        std::process::exit(ExitStatus::Aborted.code());
    }));
    let opts = ExecOptions {
        parallelism: usize::from(args.parallelism),
        cancel,
        time_scale: target.time_scale,
        limits: target.rate_limits(),
        ..Default::default()
    };
    let result = execute(&plan, &target.registry, &opts, &events).await;
    interrupts.abort();
    // Dropping the last sender ends the reporter once it has drained the events.
    drop(events);
    let _ = reporter.await;
    // Saved even after a failure: what was created exists.
    target.save()?;
    let report = result.map_err(|e| Failure::failed(miette!("cannot run the plan: {e}")))?;
    if output == Output::Text {
        out(&format!("\n{}", render::report(&report, mode)));
    }
    Ok(if report.succeeded() {
        ExitStatus::Success
    } else if report.cancelled {
        ExitStatus::Interrupted
    } else {
        ExitStatus::Failed
    })
}

/// Asks for "yes" on the terminal (checked by the caller).
fn confirm(mode: PlanMode, env: &str, output: Output) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    let question = match mode {
        PlanMode::Apply => format!("\nApply these changes to environment {env}?\n"),
        PlanMode::Destroy => format!("\nDestroy every resource of environment {env}?\n"),
    };
    let prompt =
        format!("{question}Do you want to perform these actions? Only 'yes' will be accepted: ");
    // In JSON mode stdout belongs to the machine-readable stream.
    match output {
        Output::Text => out(&prompt),
        Output::Json => eprint!("{prompt}"),
    }
    let mut answer = String::new();
    stdin
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Failure::invalid(miette!("cannot read the answer: {e}")))?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(Failure::failed(miette!(
            "cancelled: the answer was not 'yes'"
        )))
    }
}
