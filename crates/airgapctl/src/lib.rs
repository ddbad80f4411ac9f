//! airgapctl: the command-line front end of the engine. The only crate of the
//! project that prints; everything else returns values and events.

// std's `eprint!`/`eprintln!` panic when stderr is closed (`2>&-`, or `2>&1 | head` once
// `head` is done), which turns any exit status into 101. These shadow them for the
// whole crate (modules below see them first): the text is lost, the status is kept.
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod cli;
pub mod commands;
pub mod exit;
pub mod interrupt;
pub mod planfile;
pub mod progress;
pub mod render;

use std::io::IsTerminal;

use airgap_engine::PlanMode;
use clap::{CommandFactory, Parser};
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command};
use exit::{CmdResult, ExitStatus, Failure};

/// Parses arguments, runs the command, and returns the process exit code.
pub fn main_entry() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and --version are successes; every usage error is invalid input
            // (clap's own 2 would read as "changes present").
            return if e.exit_code() == 0 { 0 } else { ExitStatus::Invalid.code() };
        }
    };
    init_tracing(cli.global.verbose);
    init_miette();
    let status = match run(cli) {
        Ok(status) => status,
        Err(Failure { status, error }) => {
            eprintln!("{error:?}");
            status
        }
    };
    status.code()
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Always the graphical report (it names file:line:col of each problem). On a
/// terminal: color and wrapping; elsewhere plain, unwrapped text, so logs and
/// greps see flags and messages whole.
fn init_miette() {
    let tty = std::io::stderr().is_terminal();
    let _ = miette::set_hook(Box::new(move |_| {
        Box::new(
            miette::MietteHandlerOpts::new()
                .force_graphical(true)
                .color(tty)
                .unicode(tty)
                .wrap_lines(tty)
                .build(),
        )
    }));
}

fn run(cli: Cli) -> CmdResult {
    let output = cli.global.output;
    tracing::debug!(
        region = ?cli.global.region,
        profile = ?cli.global.profile,
        endpoint_url = ?cli.global.endpoint_url,
        "AWS settings"
    );
    match cli.command {
        Command::Validate { file } => commands::validate::run(&file, output),
        Command::Schema => {
            let schema = airgap_blueprint::json_schema();
            commands::out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&schema).expect("schema serializes")
            ));
            Ok(ExitStatus::Success)
        }
        Command::Completions { shell } => {
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "airgapctl", &mut buf);
            commands::out(&String::from_utf8_lossy(&buf));
            Ok(ExitStatus::Success)
        }
        Command::Graph(args) => commands::graph::run(&args),
        Command::Verify(args) => runtime()?.block_on(commands::verify::run(&args, &cli.global)),
        Command::Cost(cmd) => match &cmd.action {
            Some(cli::CostAction::RefreshPrices(args)) => {
                runtime()?.block_on(commands::cost::refresh(args, &cli.global))
            }
            None => commands::cost::run(&cmd.args, output),
        },
        Command::Show(args) => runtime()?.block_on(commands::show::run(&args, &cli.global)),
        Command::Plan(args) => runtime()?.block_on(commands::plan::run(&args, &cli.global)),
        Command::Apply(cmd) => runtime()?.block_on(async {
            match &cmd.plan_file {
                Some(file) => {
                    commands::apply::run_saved(&cmd.args, file, &cli.global, cmd.ttl).await
                }
                None => {
                    if !cmd.skip_verify {
                        commands::verify::gate(&cmd.args.source, output)?;
                    }
                    let opts = commands::apply::RunOptions { ttl: cmd.ttl, dry_run: false };
                    commands::apply::run(&cmd.args, PlanMode::Apply, &cli.global, &opts).await
                }
            }
        }),
        Command::Destroy(args) => runtime()?.block_on(commands::destroy::run(&args, &cli.global)),
        Command::Envs(args) => runtime()?.block_on(commands::envs::run(&args, &cli.global)),
        Command::Gc(args) => runtime()?.block_on(commands::envs::gc(&args, &cli.global)),
        Command::Unlock(args) => runtime()?.block_on(commands::unlock::run(&args, &cli.global)),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(miette::miette!("cannot start the async runtime: {e}")))
}
