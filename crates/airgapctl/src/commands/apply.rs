//! `airgapctl apply` and `airgapctl destroy`: plan, confirm, execute, report; and
//! `airgapctl apply PLANFILE`: check a saved plan is still current, execute, report.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use airgap_aws::lock::Lease;
use airgap_engine::{execute, Events, ExecOptions, Plan, PlanMode};
use miette::miette;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::prompt::ask_yes;
use super::{lock, out, plan, record, Target};
use crate::cli::{ApplyArgs, Global, Output, Source};
use crate::exit::{CmdResult, ExitStatus, Failure};
use crate::interrupt::{self, Interrupts};
use crate::planfile::{hex, PlanFile, ProviderRef, Resources};
use crate::progress::{self, Style};
use crate::render;

/// What `apply` and `destroy` add to a run beyond [`ApplyArgs`].
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `apply --ttl`: the lifetime from now, over the blueprint's `metadata.ttl`.
    pub ttl: Option<Duration>,
    /// `destroy --dry-run`: plan and show, take no lock, change nothing.
    pub dry_run: bool,
    /// `--target`, `--replace`.
    pub selection: crate::cli::Selection,
}

pub async fn run(
    args: &ApplyArgs,
    mode: PlanMode,
    global: &Global,
    opts: &RunOptions,
) -> CmdResult {
    let mut target = Target::resolve(&args.source, global).await?;
    target.selection = opts.selection.clone();
    run_target(&target, args, mode, global.output, opts).await
}

/// Plans `target` in `mode`, asks, runs: under the environment's lock, with its
/// record written before an apply changes anything and deleted after a complete destroy.
pub async fn run_target(
    target: &Target,
    args: &ApplyArgs,
    mode: PlanMode,
    output: Output,
    opts: &RunOptions,
) -> CmdResult {
    if opts.dry_run {
        let plan = plan::make(target, mode).await?;
        show(target, &plan, output);
        if output == Output::Text {
            out("\nDry run: nothing was changed.\n");
        }
        return Ok(ExitStatus::Success);
    }
    // Refuse before observing anything: the answer could never come.
    if !args.auto_approve && !std::io::stdin().is_terminal() {
        return Err(Failure::invalid(miette!(
            help = "pass --auto-approve to run without confirmation",
            "stdin is not a terminal, so no one can confirm the plan; use --auto-approve"
        )));
    }
    // Held from before planning to the end of the run: what is planned is what runs.
    let lease = lock::acquire(
        target,
        operation(mode),
        args.lock_timeout,
        args.source.file.first().map(PathBuf::as_path),
    )
    .await?;
    let result = plan_and_run(target, mode, args, output, lease.as_ref(), opts).await;
    lock::release(lease).await;
    if args.stats {
        print_stats(&render::calls(&target.calls()), output);
    }
    result
}

/// `--stats` figures: after the text output, or on stderr beside the JSON stream.
fn print_stats(text: &str, output: Output) {
    match output {
        Output::Text => out(&format!("\n{text}")),
        Output::Json => eprint!("{text}"),
    }
}

async fn plan_and_run(
    target: &Target,
    mode: PlanMode,
    args: &ApplyArgs,
    output: Output,
    lease: Option<&Lease>,
    opts: &RunOptions,
) -> CmdResult {
    let plan = plan::make(target, mode).await?;
    show(target, &plan, output);
    refuse_impossible(&plan)?;
    if plan.has_changes() && !args.auto_approve {
        confirm(mode, &target.env, output)?;
    }
    locked_run(target, &plan, args, output, lease, opts.ttl).await
}

/// Runs a confirmed plan under the lock, keeping the environment record: written
/// (with its expiry) before an apply changes anything, so a later `destroy --env` or
/// `gc` finds even a half-built environment; deleted after a destroy that left nothing.
async fn locked_run(
    target: &Target,
    plan: &Plan,
    args: &ApplyArgs,
    output: Output,
    lease: Option<&Lease>,
    ttl: Option<Duration>,
) -> CmdResult {
    let expires = match plan.mode {
        PlanMode::Apply => Some(record::write(target, ttl).await?),
        PlanMode::Destroy => None,
    };
    let status = run_rounds(target, plan, args, output, lease).await;
    match (plan.mode, &status) {
        (PlanMode::Apply, _) => {
            // The transit gateway exists once the run got that far.
            record::tag_expiry(target, expires.flatten()).await;
        }
        (PlanMode::Destroy, Ok(ExitStatus::Success)) => record::delete(target).await?,
        (PlanMode::Destroy, _) => {}
    }
    status
}

/// A plan with a change AWS cannot make (`Plan::refused`) does not start: nothing would
/// be gained by changing the rest first.
fn refuse_impossible(plan: &Plan) -> Result<(), Failure> {
    if plan.refused.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = plan.refused.iter().map(|(n, why)| format!("{n}: {why}")).collect();
    Err(Failure::invalid(miette!(
        help =
            "change the blueprint back, or do what a refusal says (--replace); nothing was changed",
        "the plan asks for what AWS cannot do: {}",
        list.join("; ")
    )))
}

/// How many rounds an apply runs at most: enough for an upgrade across every
/// Kubernetes minor version EKS offers at once, bounded in case a step never lands.
const MAX_ROUNDS: usize = 8;

/// Runs `plan`, then, while it succeeded and some update did one step of several
/// (`Updated::remaining`: an upgrade over several Kubernetes minors, one per round,
/// the node groups following each), plans again and runs that: what was confirmed is
/// where those steps lead.
async fn run_rounds(
    target: &Target,
    plan: &Plan,
    args: &ApplyArgs,
    output: Output,
    lease: Option<&Lease>,
) -> CmdResult {
    // One listener for every round and what follows them: the lock's release and the
    // record's expiry tag are AWS calls, and a second Ctrl-C during them must still
    // exit at once (130), not be swallowed by a listener nobody reads.
    let cancel = CancellationToken::new();
    let over = CancellationToken::new();
    let sigint = Interrupts::listen()
        .map_err(|e| Failure::failed(miette!("cannot listen for Ctrl-C: {e}")))?;
    let save = target.save_hook();
    // Not aborted: it lives until the process exits.
    tokio::spawn(interrupt::watch(sigint, cancel.clone(), over.clone(), move || {
        // A real cloud keeps what was created; so does the simulated one.
        save();
        eprintln!("Exiting now; operations in flight were abandoned.");
        std::process::exit(ExitStatus::Aborted.code());
    }));
    let _over = over.drop_guard();
    let mut ran = run_plan(target, plan, args, output, lease, &cancel).await?;
    for round in 2..=MAX_ROUNDS {
        if ran.status != ExitStatus::Success || ran.remaining.is_empty() {
            return Ok(ran.status);
        }
        if output == Output::Text {
            out(&format!(
                "
Round {round}: planning again for {}.
",
                ran.remaining.join("; ")
            ));
        }
        let next = plan::make(target, plan.mode).await?;
        show(target, &next, output);
        ran = run_plan(target, &next, args, output, lease, &cancel).await?;
    }
    if ran.status == ExitStatus::Success && !ran.remaining.is_empty() {
        return Err(Failure::failed(miette!(
            help = "run apply again to go on, and check the cluster's updates in EKS",
            "still not reached after {MAX_ROUNDS} rounds: {}",
            ran.remaining.join("; ")
        )));
    }
    Ok(ran.status)
}

/// How one run of a plan ended, and what its updates left for another round.
struct Ran {
    status: ExitStatus,
    remaining: Vec<String>,
}

fn operation(mode: PlanMode) -> &'static str {
    match mode {
        PlanMode::Apply => "apply",
        PlanMode::Destroy => "destroy",
    }
}

/// `apply PLANFILE`: the target the file records, planned again; executed without
/// asking if it observed what the saved plan observed.
pub async fn run_saved(
    args: &ApplyArgs,
    file: &Path,
    global: &Global,
    ttl: Option<Duration>,
) -> CmdResult {
    let output = global.output;
    let saved = PlanFile::read(file)?;
    let provider = ProviderRef::of(args.source.simulate.is_some(), global.endpoint_url.as_ref());
    saved.check_provider(&provider, file)?;
    let resources =
        saved.resources().map_err(|msg| Failure::invalid(miette!("{} {msg}", file.display())))?;
    let source = saved_source(&args.source, &saved, &resources, file)?;
    if let Resources::Blueprint { paths, sets, hash } = &resources {
        // Before validating it: a changed blueprint may not be valid any more.
        let now = airgap_blueprint::read_layers_hash(paths, sets).map_err(|e| {
            Failure::invalid(miette!(
                "cannot read the blueprint {} the plan {} was made from: {e}",
                super::validate::sources_name(paths),
                file.display()
            ))
        })?;
        check_blueprint(now, *hash, paths, file)?;
    }
    let mut target = Target::resolve(&source, global).await?;
    target.selection = saved.selection();
    if let (Resources::Blueprint { paths, hash, .. }, Some(now)) =
        (&resources, target.blueprint_hash)
    {
        // What was parsed, in case a file changed since the check above.
        check_blueprint(now, *hash, paths, file)?;
    }
    let lease = lock::acquire(
        &target,
        operation(saved.mode),
        args.lock_timeout,
        source.file.first().map(PathBuf::as_path),
    )
    .await?;
    let result = async {
        let plan = plan::make(&target, saved.mode).await?;
        saved.check_current(&plan, file)?;
        show(&target, &plan, output);
        refuse_impossible(&plan)?;
        // Like terraform: the saved plan was the thing to review; no question.
        locked_run(&target, &plan, args, output, lease.as_ref(), ttl).await
    }
    .await;
    lock::release(lease).await;
    result
}

/// The source a saved plan's target is resolved from: its resources and env, with
/// the provider flags given now.
fn saved_source(
    given: &Source,
    saved: &PlanFile,
    resources: &Resources,
    file: &Path,
) -> Result<Source, Failure> {
    if let Some(Some(scenario)) = given.simulate {
        return Err(Failure::invalid(miette!(
            help = "give --simulate without a scenario",
            "the plan {} records its resources; --simulate {} cannot choose others",
            file.display(),
            scenario.name()
        )));
    }
    let (file, simulate) = match resources {
        Resources::Blueprint { paths, sets, .. } => ((paths.clone(), sets.clone()), given.simulate),
        Resources::Scenario(s) => ((Vec::new(), Vec::new()), given.simulate.map(|_| Some(*s))),
    };
    let (file, set) = file;
    Ok(Source {
        file,
        set,
        simulate,
        env: Some(saved.env.clone()),
        sim_state: given.sim_state.clone(),
        sim_time_scale: given.sim_time_scale,
        time_scale: given.time_scale,
        sim_fail: given.sim_fail.clone(),
    })
}

fn check_blueprint(
    now: u64,
    saved: u64,
    blueprint: &[PathBuf],
    file: &Path,
) -> Result<(), Failure> {
    if now == saved {
        return Ok(());
    }
    Err(Failure::failed(miette!(
        help = format!("hash {} then, {} now", hex(saved), hex(now)),
        "the blueprint {} changed since the plan {} was made; run plan again",
        super::validate::sources_name(blueprint),
        file.display()
    )))
}

fn show(target: &Target, plan: &Plan, output: Output) {
    match output {
        Output::Text => out(&match plan.mode {
            PlanMode::Apply => render::plan_with(plan, None, &plan::style(target)),
            PlanMode::Destroy => render::destroy_counts(plan),
        }),
        Output::Json => {
            let doc = crate::planview::document(plan, &target.account_names);
            out(&format!("{}\n", json!({ "event": "plan", "plan": doc })))
        }
    }
}

/// Executes a plan that was shown (and confirmed where that is asked). Losing the
/// lease stops the run like a Ctrl-C, and fails it.
async fn run_plan(
    target: &Target,
    plan: &Plan,
    args: &ApplyArgs,
    output: Output,
    lease: Option<&Lease>,
    cancel: &CancellationToken,
) -> Result<Ran, Failure> {
    let mode = plan.mode;
    // JSON consumers still get a complete run_started .. run_finished stream.
    if !plan.has_changes() && output == Output::Text {
        return Ok(Ran { status: ExitStatus::Success, remaining: Vec::new() });
    }

    let (tx, rx) = mpsc::unbounded_channel();
    let style = match output {
        Output::Json => Style::Json,
        // Bars cannot share a terminal with other runs' lines.
        Output::Text if std::io::stdout().is_terminal() && super::line_prefix().is_none() => {
            Style::Bar
        }
        Output::Text => Style::Lines,
    };
    let reporter = tokio::spawn(progress::run(rx, style, super::line_prefix()));
    let mut events = Events::none();
    events.subscribe(Arc::new(tx));

    let lost_watch = lease.map(|l| {
        let (lost, cancel) = (l.lost(), cancel.clone());
        tokio::spawn(async move {
            let reason = lost.await;
            eprintln!("Lost the lock of the environment ({reason}); stopping the run.");
            cancel.cancel();
        })
    });
    let opts = ExecOptions {
        parallelism: usize::from(args.parallelism),
        cancel: cancel.clone(),
        time_scale: target.time_scale,
        limits: target.rate_limits(),
        ..Default::default()
    };
    let result = execute(plan, &target.registry, &opts, &events).await;
    if let Some(w) = lost_watch {
        w.abort();
    }
    // Dropping the last sender ends the reporter once it has drained the events.
    drop(events);
    let _ = reporter.await;
    // Saved even after a failure: what was created exists.
    target.save()?;
    let report = result.map_err(|e| Failure::failed(miette!("cannot run the plan: {e}")))?;
    if output == Output::Text {
        out(&format!("\n{}", render::report(&report, mode)));
    }
    if args.stats {
        print_stats(&render::readiness(&report.readiness()), output);
    }
    if let Some(reason) = lease.and_then(Lease::lost_reason) {
        return Err(Failure::failed(miette!(
            help = "another airgapctl may be changing the environment now; check with \
                    `airgapctl plan` once it is done",
            "lost the lock of environment {} during the run: {reason}",
            target.env
        )));
    }
    let status = if report.succeeded() {
        ExitStatus::Success
    } else if report.cancelled {
        ExitStatus::Interrupted
    } else {
        ExitStatus::Failed
    };
    let remaining = report.remaining().map(|(node, what)| format!("{node}: {what}")).collect();
    Ok(Ran { status, remaining })
}

/// Asks for "yes" on the terminal (checked by the caller).
fn confirm(mode: PlanMode, env: &str, output: Output) -> Result<(), Failure> {
    let question = match mode {
        PlanMode::Apply => format!("\nApply these changes to environment {env}?\n"),
        PlanMode::Destroy => format!("\nDestroy every resource of environment {env}?\n"),
    };
    ask_yes(
        &format!("{question}Do you want to perform these actions? Only 'yes' will be accepted: "),
        output,
    )
}
