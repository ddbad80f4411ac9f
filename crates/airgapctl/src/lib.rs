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
pub mod graphview;
pub mod interrupt;
pub mod planfile;
pub mod planview;
pub mod progress;
pub mod render;

use std::io::IsTerminal;

use airgap_engine::PlanMode;
use clap::{CommandFactory, FromArgMatches};
use tracing_subscriber::EnvFilter;

use cli::{Cli, Command, Output};
use exit::{CmdResult, ExitStatus, Failure};

/// Parses arguments, runs the command, and returns the process exit code.
pub fn main_entry() -> i32 {
    let parsed = Cli::command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m).map(|cli| (cli, m)));
    let cli = match parsed {
        Ok((cli, matches)) => {
            if let Some(flag) = needless_aws_flag(&cli, &matches) {
                init_miette();
                eprintln!("{:?}", needless_flag_error(flag, &cli));
                return ExitStatus::Invalid.code();
            }
            cli
        }
        Err(e) => {
            // Terraform's flags take one dash (`-auto-approve`); clap reads that as `-a`
            // with a value and its tip (`use '-- -a'`) leads astray.
            if e.kind() == clap::error::ErrorKind::UnknownArgument {
                let args: Vec<String> = std::env::args().skip(1).collect();
                if let Some((given, long)) = single_dash_long(&args, &Cli::command()) {
                    eprintln!(
                        "error: unexpected argument '{given}': long flags take two dashes\n\n  \
                         tip: did you mean '{long}'?\n\nFor more information, try '--help'."
                    );
                    return ExitStatus::Invalid.code();
                }
            }
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

/// The command's name as typed, for messages.
fn command_name(cli: &Cli) -> &'static str {
    match &cli.command {
        Command::Validate(_) => "validate",
        Command::Schema => "schema",
        Command::Completions { .. } => "completions",
        Command::Graph(_) => "graph",
        Command::Cost(_) => "cost",
        Command::Verify(_) => "verify",
        Command::Plan(_) => "plan",
        Command::Apply(_) => "apply",
        Command::Destroy(_) => "destroy",
        Command::Envs(_) => "envs",
        Command::Gc(_) => "gc",
        Command::Unlock(_) => "unlock",
        Command::Show(_) => "show",
        Command::Adopt(_) => "adopt",
        Command::Output(_) => "output",
        Command::Kubeconfig(_) => "kubeconfig",
        Command::IamPolicy(_) => "iam-policy",
        Command::Access(_) => "access",
        Command::Artifacts(_) => "artifacts",
        Command::Bootstrap(_) => "bootstrap",
    }
}

/// `--region` or `--profile` given on the command line to a command that makes no AWS
/// call: it would do nothing, which is worse than an error (a user who meant to pick an
/// account's credentials would not find out). The environment variables (AWS_REGION,
/// AWS_PROFILE) are not refused: they are set for every command alike. `--endpoint-url`
/// is not refused either: wrappers and CI pass it to every invocation, as they set
/// AWS_ENDPOINT_URL, to point all of them at LocalStack.
fn needless_aws_flag(cli: &Cli, matches: &clap::ArgMatches) -> Option<&'static str> {
    let aws = match &cli.command {
        Command::Validate(_) | Command::Schema | Command::Completions { .. } => false,
        Command::Graph(_) | Command::IamPolicy(_) => false,
        Command::Bootstrap(args) => !args.print,
        Command::Cost(cmd) => cmd.action.is_some(),
        Command::Verify(args) => args.live || args.hub_account.is_some(),
        _ => true,
    };
    if aws {
        return None;
    }
    let given = |id: &str| {
        matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            || matches.subcommand().is_some_and(|(_, m)| {
                m.try_get_raw(id).is_ok()
                    && m.value_source(id) == Some(clap::parser::ValueSource::CommandLine)
            })
    };
    [("region", "--region"), ("profile", "--profile")]
        .into_iter()
        .find(|(id, _)| given(id))
        .map(|(_, flag)| flag)
}

fn needless_flag_error(flag: &str, cli: &Cli) -> miette::Report {
    miette::miette!(
        help = "drop it: it acts on the commands that call AWS (plan, apply, destroy, show, \
                output, kubeconfig, envs, gc, unlock, verify --live, cost refresh-prices)",
        "{flag} does nothing for `airgapctl {}`: it makes no AWS call",
        command_name(cli)
    )
}

/// The first argument written like a Terraform flag (`-auto-approve`, `-out=p.json`)
/// whose two-dash form is a flag of airgapctl, and that form.
fn single_dash_long(args: &[String], cmd: &clap::Command) -> Option<(String, String)> {
    fn longs(cmd: &clap::Command, all: &mut Vec<String>) {
        all.extend(cmd.get_arguments().filter_map(|a| a.get_long().map(str::to_string)));
        for sub in cmd.get_subcommands() {
            longs(sub, all);
        }
    }
    let mut all = Vec::new();
    longs(cmd, &mut all);
    args.iter().take_while(|a| *a != "--").find_map(|a| {
        let name = a.strip_prefix('-').filter(|n| !n.starts_with('-'))?;
        let (name, value) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (name, None),
        };
        (name.len() > 1 && all.iter().any(|l| l == name)).then(|| {
            let long = match value {
                Some(v) => format!("--{name}={v}"),
                None => format!("--{name}"),
            };
            (a.clone(), long)
        })
    })
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        // The SDK warns when STS refuses a role; the account's error says it, with what to
        // check, so once is enough (-v shows the SDK's own).
        0 => "warn,aws_config::sts::assume_role=error",
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

fn run(mut cli: Cli) -> CmdResult {
    // `--json` is `--output json` wherever it is given: one switch for every command.
    if cli.global.json {
        cli.global.output = Output::Json;
    }
    let output = cli.global.output;
    commands::init_color(cli.global.no_color);
    tracing::debug!(
        region = ?cli.global.region,
        profile = ?cli.global.profile,
        endpoint_url = ?cli.global.endpoint_url,
        "AWS settings"
    );
    match cli.command {
        Command::Validate(b) => commands::validate::run(&b.file, &b.set, output),
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
        Command::Graph(args) => commands::graph::run(&args, output),
        Command::IamPolicy(args) => commands::iam::policy(&args, output),
        Command::Access(cmd) => runtime()?.block_on(commands::access::run(&cmd, &cli.global)),
        Command::Artifacts(cmd) => {
            runtime()?.block_on(commands::artifacts::run(&cmd, &cli.global))
        }
        Command::Bootstrap(args) => runtime()?.block_on(commands::iam::bootstrap(&args, &cli.global)),
        Command::Verify(args) => runtime()?.block_on(commands::verify::run(&args, &cli.global)),
        Command::Cost(cmd) => match &cmd.action {
            Some(cli::CostAction::RefreshPrices(args)) => {
                runtime()?.block_on(commands::cost::refresh(args, &cli.global))
            }
            None => commands::cost::run(&cmd.args, output),
        },
        Command::Show(args) => runtime()?.block_on(commands::show::run(&args, &cli.global)),
        Command::Adopt(args) => runtime()?.block_on(commands::adopt::run(&args, &cli.global)),
        Command::Output(args) => runtime()?.block_on(commands::output::run(&args, &cli.global)),
        Command::Kubeconfig(args) => {
            runtime()?.block_on(commands::kubeconfig::run(&args, &cli.global))
        }
        Command::Plan(args) => runtime()?.block_on(commands::plan::run(&args, &cli.global)),
        Command::Apply(cmd) => runtime()?.block_on(async {
            match &cmd.plan_file {
                Some(file) => {
                    if !cmd.select.is_empty() {
                        return Err(exit::Failure::invalid(miette::miette!(
                            help = "make a new plan with them: airgapctl plan --target/--replace ... --out PLANFILE",
                            "the plan {} records what it covers; --target and --replace cannot change it",
                            file.display()
                        )));
                    }
                    commands::apply::run_saved(&cmd.args, file, &cli.global, cmd.ttl).await
                }
                None => {
                    if !cmd.skip_verify {
                        commands::verify::gate(&cmd.args.source, output)?;
                    }
                    let opts = commands::apply::RunOptions {
                        ttl: cmd.ttl,
                        dry_run: false,
                        selection: cmd.select.clone(),
                    };
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
