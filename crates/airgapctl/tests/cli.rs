//! End-to-end: the real binary, in a scratch directory, against the simulated cloud.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");
/// The simulated scenario (plans/hub-spoke.yaml) in well under a second.
const FAST: &[&str] = &["--simulate", "--sim-time-scale", "0.0001"];

/// A scratch directory per test, removed afterwards.
struct Sandbox {
    dir: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("airgapctl-e2e-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Sandbox { dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .env_remove("RUST_LOG")
            .env_remove("AWS_ENDPOINT_URL");
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        Run(self.command(args).output().unwrap())
    }

    /// `args` followed by the fast simulation flags.
    fn sim(&self, args: &[&str]) -> Run {
        let all: Vec<&str> = args.iter().chain(FAST).copied().collect();
        self.run(&all)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Run(Output);

impl Run {
    fn code(&self) -> i32 {
        self.0.status.code().expect("exited, not killed")
    }
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts the exit code, showing both streams when it is not.
    fn expect(self, code: i32) -> Self {
        assert_eq!(self.code(), code, "stdout:\n{}\nstderr:\n{}", self.stdout(), self.stderr());
        self
    }
}

/// How many resources the built-in scenario, plans/hub-spoke.yaml, declares.
fn scenario_len() -> usize {
    airgap_blueprint::examples::hub_spoke().len()
}

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

#[test]
fn plan_apply_plan_destroy_plan() {
    let sb = Sandbox::new("lifecycle");
    let plan = sb.sim(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout().contains("  + vpc/workload (vpc, 333333333333/eu-central-1)\n"));
    assert!(plan.stdout().ends_with(
        format!("Plan: {n} to add, 0 to change, 0 to replace, 0 to destroy.\n", n = scenario_len())
            .as_str()
    ));
    // Without --detailed-exitcode a plan with changes is still a success.
    sb.sim(&["plan"]).expect(0);

    let apply = sb.sim(&["apply", "--auto-approve"]).expect(0);
    let out = apply.stdout();
    // Not a terminal: one line per event.
    assert!(out.contains("+ vpc/workload: creating"), "{out}");
    assert!(out.contains("+ vpc/workload: done in "), "{out}");
    assert!(
        out.contains("Apply complete in ")
            && out.contains(
                format!(": {n} created, 0 updated, 0 deleted.", n = scenario_len()).as_str()
            ),
        "{out}"
    );
    assert!(sb.dir.join(".airgap/sim/demo.json").exists());

    let again = sb.sim(&["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(again.stdout(), "No changes. The environment matches the blueprint.\n");

    let destroy = sb.sim(&["destroy", "--auto-approve"]).expect(0);
    let out = destroy.stdout();
    assert!(out.contains("Account 333333333333: "), "{out}");
    assert!(out.contains(
        format!("Plan: 0 to add, 0 to change, 0 to replace, {n} to destroy.", n = scenario_len())
            .as_str()
    ));
    assert!(
        out.contains(format!(": 0 created, 0 updated, {n} deleted.", n = scenario_len()).as_str()),
        "{out}"
    );

    let after = sb.sim(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(after.stdout().contains(format!("Plan: {n} to add,", n = scenario_len()).as_str()));
}

#[test]
fn failed_apply_reports_root_causes_and_resumes() {
    let sb = Sandbox::new("fail");
    let run = sb.sim(&["apply", "--auto-approve", "--sim-fail", "vpc/workload"]).expect(1);
    let out = run.stdout();
    assert!(out.contains("+ vpc/workload: FAILED: SimulatedFailure: "), "{out}");
    assert!(out.contains("Apply failed after "), "{out}");
    // Only the failed node is listed; what depends on it is counted.
    let errors: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != "Errors:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(errors[0].starts_with("  + vpc/workload (vpc): create: SimulatedFailure"));
    assert!(out.contains("dependent operations were skipped because of the errors above."));
    // What succeeded was kept; a second run does the rest.
    let plan = sb.sim(&["plan"]).expect(0);
    assert!(
        !plan.stdout().contains(format!("Plan: {n} to add", n = scenario_len()).as_str()),
        "{}",
        plan.stdout()
    );
    sb.sim(&["apply", "--auto-approve"]).expect(0);
    sb.sim(&["plan", "--detailed-exitcode"]).expect(0);
    sb.sim(&["plan", "--sim-fail", "no/such/node"]).expect(3);
}

#[test]
fn state_is_per_env_and_path() {
    let sb = Sandbox::new("envs");
    sb.sim(&["apply", "--auto-approve", "--env", "one"]).expect(0);
    // Another env has nothing yet; an explicit state path is honoured.
    sb.sim(&["plan", "--detailed-exitcode", "--env", "two"]).expect(2);
    sb.sim(&["apply", "--auto-approve", "--sim-state", "elsewhere.json"]).expect(0);
    assert!(sb.dir.join("elsewhere.json").exists());
    sb.sim(&["plan", "--detailed-exitcode", "--env", "one"]).expect(0);
}

#[test]
fn json_apply_streams_parseable_events() {
    let sb = Sandbox::new("json");
    let run = sb.sim(&["--output", "json", "apply", "--auto-approve"]).expect(0);
    let lines: Vec<serde_json::Value> = run
        .stdout()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines[0]["event"], "plan");
    assert_eq!(lines[0]["plan"]["nodes"].as_array().unwrap().len(), scenario_len());
    assert_eq!(lines[1]["event"], "run_started");
    assert_eq!(lines[1]["operations"], scenario_len());
    let started = lines.iter().filter(|l| l["event"] == "started").count();
    assert_eq!(started, scenario_len());
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["done"], scenario_len());
    assert_eq!(last["failed"], 0);
}

#[test]
fn json_plan_is_one_document() {
    let sb = Sandbox::new("jsonplan");
    let run = sb.sim(&["plan", "--output", "json"]).expect(0);
    let plan: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(plan["mode"], "apply");
    assert_eq!(plan["env"], "demo");
    assert_eq!(plan["nodes"][0]["action"]["action"], "create");
    // Added in format_version 1, beside the fields above: grouping by the blueprint's
    // accounts (the scenario is plans/hub-spoke.yaml) and VPCs.
    assert_eq!(plan["format_version"], 1);
    let accounts = plan["accounts"].as_array().unwrap();
    let names: Vec<&str> = accounts.iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(names, ["network", "shared", "workload"]);
    assert!(accounts[2]["vpcs"]["workload"].as_array().is_some_and(|ids| !ids.is_empty()));
}

/// `--json` is `--output json` on every command, before or after the subcommand.
#[test]
fn json_is_one_switch_for_every_command() {
    let sb = Sandbox::new("jsonswitch");
    let file = repo_file("plans/hub-spoke.yaml");
    let file = file.to_str().unwrap();
    for args in [
        vec!["validate", "-f", file, "--json"],
        vec!["--json", "validate", "-f", file],
        vec!["plan", "--json"],
        vec!["cost", "-f", file, "--json"],
        vec!["graph", "-f", file, "--json"],
        vec!["verify", "-f", file, "--json"],
    ] {
        let run = if args.contains(&"plan") { sb.sim(&args) } else { sb.run(&args) };
        assert!(run.code() == 0 || run.code() == 5, "{args:?}: {}", run.stderr());
        let doc: Result<serde_json::Value, _> = serde_json::from_str(&run.stdout());
        assert!(doc.is_ok(), "{args:?} is not one JSON document: {}", run.stdout());
    }
    let both = sb.run(&["validate", "-f", file, "--json", "--output", "text"]).expect(3);
    assert!(both.stderr().contains("--output"), "{}", both.stderr());
}

#[test]
fn plans_are_plain_off_a_terminal_and_with_no_color() {
    let sb = Sandbox::new("nocolor");
    // Captured stdout is not a terminal: no colour, whatever the flags.
    for args in [&["plan"][..], &["plan", "--no-color"], &["--no-color", "plan"]] {
        let run = sb.sim(args).expect(0);
        assert!(!run.stdout().contains('\x1b'), "{args:?}");
        assert!(run.stdout().contains("Account workload (333333333333/eu-central-1):"));
        assert!(run.stdout().contains("\n  VPC workload:\n"));
    }
}

#[test]
fn plan_stats_counts_observe_calls() {
    let sb = Sandbox::new("stats");
    let run = sb.sim(&["plan", "--stats"]).expect(0);
    // Every kind of the catalogue observed in 3 accounts, one call each.
    let n = airgap_catalog::ALL.len() * 3;
    assert!(
        run.stdout().contains(&format!("Observe: {n} batches (kinds x scopes), {n} API calls")),
        "{}",
        run.stdout()
    );
    assert!(run.stdout().contains("  vpc:observe "));
}

#[test]
fn graph_formats() {
    let sb = Sandbox::new("graph");
    let dot = sb.sim(&["graph", "--format", "dot"]).expect(0);
    assert!(dot.stdout().starts_with("digraph airgap {"));
    assert!(dot.stdout().contains("\"vpc/workload\" -> \"vpc/workload/subnet/"));
    let json = sb.sim(&["graph", "--format", "json"]).expect(0);
    let g: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(g["nodes"].as_array().unwrap().len(), scenario_len());
    assert!(!g["edges"].as_array().unwrap().is_empty());
    // --output json is JSON here too; with --format dot it is refused.
    let out = sb.sim(&["graph", "--output", "json"]).expect(0);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out.stdout()).unwrap(), g);
    let both = sb.sim(&["graph", "--format", "dot", "--output", "json"]).expect(3);
    assert!(both.stderr().contains("--format dot and --output json ask for two formats"));

    // A picture without Graphviz: the accounts by name, every resource, few arrows.
    let svg = sb.sim(&["graph", "--format", "svg"]).expect(0).stdout();
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert!(svg.contains("account network (111111111111)") && svg.contains("VPC workload"));
    assert_eq!(svg.matches("<tspan").count(), scenario_len(), "one line per resource");
    let html = sb.sim(&["graph", "--format", "html", "--focus", "tgw"]).expect(0).stdout();
    assert!(html.starts_with("<!doctype html>") && html.contains("Environment demo around tgw"));
    assert!(html.matches("<tspan").count() < scenario_len() / 2, "focused");
    let typo = sb.sim(&["graph", "--format", "svg", "--focus", "tgww"]).expect(3);
    assert!(typo.stderr().contains("did you mean tgw"), "{}", typo.stderr());
    sb.sim(&["graph", "--focus", "tgw"]).expect(3);
    sb.sim(&["graph", "--format", "svg", "--output", "json"]).expect(3);
}

#[test]
fn aws_flags_are_refused_where_no_aws_call_is_made() {
    let sb = Sandbox::new("needless-flags");
    let file = repo_file("plans/single-account.yaml");
    let file = file.to_str().unwrap();
    for args in [
        vec!["validate", "-f", file, "--region", "eu-west-1"],
        vec!["--profile", "dev", "schema"],
        vec!["completions", "bash", "--region", "eu-west-1"],
        vec!["graph", "-f", file, "--profile", "dev"],
        vec!["cost", "-f", file, "--region", "eu-west-1"],
        vec!["verify", "-f", file, "--region", "eu-west-1"],
    ] {
        let run = sb.run(&args).expect(3);
        let flag = if args.contains(&"--region") { "--region" } else { "--profile" };
        assert!(
            run.stderr().contains(&format!(
                "{flag} does nothing for `airgapctl {}`",
                args.iter().find(|a| !a.starts_with('-') && **a != "dev").unwrap()
            )),
            "{args:?}: {}",
            run.stderr()
        );
    }
    // From the environment they are not refused, nor --endpoint-url (set for every call).
    let run = sb
        .command(&["validate", "-f", file, "--endpoint-url", "http://127.0.0.1:9"])
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_PROFILE", "dev")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
}

#[test]
fn missing_credentials_are_one_line_and_what_to_set() {
    let sb = Sandbox::new("no-credentials");
    let file = repo_file("plans/single-account.yaml");
    let run = |extra: &[&str]| {
        let mut args = vec!["plan", "-f", file.to_str().unwrap()];
        args.extend(extra);
        // No credentials anywhere: nothing is sent (the endpoint does not listen).
        Run(sb
            .command(&[&args[..], &["--endpoint-url", "http://127.0.0.1:9"]].concat())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &sb.dir)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .output()
            .unwrap())
    };
    let short = run(&[]).expect(1);
    let err = short.stderr();
    assert!(
        err.contains(
            "account main (111111111111): cannot get credentials: no credentials found \
             (environment, profile, SSO, web identity, container or instance role)"
        ),
        "{err}"
    );
    assert!(err.contains("set AWS_PROFILE (or --profile)"), "{err}");
    assert!(err.contains("-v shows the SDK's error"), "{err}");
    // The SDK's structures stay out of it; it is a few lines, not kilobytes.
    assert!(!err.contains("CredentialsNotLoaded") && !err.contains("Attempted"), "{err}");
    assert!(err.len() < 600, "{} bytes: {err}", err.len());
    let long = run(&["-v"]).expect(1);
    assert!(long.stderr().contains("The SDK's error: "), "{}", long.stderr());
    assert!(long.stderr().contains("no credentials found in chain"), "{}", long.stderr());
}

#[test]
fn terraform_single_dash_flags_get_the_two_dash_form() {
    let sb = Sandbox::new("single-dash");
    let run = sb.run(&["apply", "-auto-approve", "--simulate"]).expect(3);
    assert!(
        run.stderr().contains(
            "unexpected argument '-auto-approve': long flags take two dashes\n\n  tip: did you \
             mean '--auto-approve'?"
        ),
        "{}",
        run.stderr()
    );
    assert!(!run.stderr().contains("'-- -a'"), "{}", run.stderr());
    let run = sb.run(&["plan", "--simulate", "-out=p.json"]).expect(3);
    assert!(run.stderr().contains("did you mean '--out=p.json'?"), "{}", run.stderr());
    // A short flag that is not one of ours keeps clap's message.
    let run = sb.run(&["plan", "-x"]).expect(3);
    assert!(run.stderr().contains("unexpected argument '-x'"), "{}", run.stderr());
}

/// `--env` names the environment's AWS resources, so with a blueprint it follows the
/// blueprint's rule for names; a bad one is refused before anything is contacted.
#[test]
fn env_override_of_a_blueprint_is_checked_like_metadata_name() {
    let sb = Sandbox::new("envname");
    let bp = repo_file("plans/hub-spoke.yaml");
    let bp = bp.to_str().unwrap();
    let args = |env: &str| {
        vec![
            "plan".to_string(),
            "-f".into(),
            bp.into(),
            "--env".into(),
            env.into(),
            "--endpoint-url".into(),
            "http://127.0.0.1:9".into(),
        ]
    };
    for bad in ["PR_12", "pr-12-with-a-name-far-longer-than-32"] {
        let a = args(bad);
        let run = sb.run(&a.iter().map(String::as_str).collect::<Vec<_>>()).expect(3);
        let err = run.stderr();
        assert!(err.contains(&format!("environment name `{bad}`")), "{err}");
        assert!(err.contains("lowercase letters, digits and hyphens"), "{err}");
    }
    // `graph` shows the names the override gives.
    let run = sb.run(&["graph", "-f", bp, "--env", "pr-12", "--format", "json"]).expect(0);
    assert!(run.stdout().contains("airgap-pr-12-"), "{}", run.stdout());
}

#[test]
fn validate_reports_file_line_col_and_exits_3() {
    let sb = Sandbox::new("invalid");
    std::fs::write(
        sb.dir.join("bad.yaml"),
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: demo\n  region: eu-nowhere-9\n",
    )
    .unwrap();
    let run = sb.run(&["validate", "-f", "bad.yaml"]).expect(3);
    let err = run.stderr();
    assert!(err.contains("bad.yaml:5:11"), "{err}");
    assert!(err.contains("unknown region `eu-nowhere-9`"), "{err}");
    assert!(err.contains("3 problems found"), "{err}");

    let json = sb.run(&["validate", "-f", "bad.yaml", "--output", "json"]).expect(3);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(v["valid"], false);
    let region = &v["problems"][2];
    assert_eq!(region["code"], "blueprint::region");
    assert_eq!((region["line"].as_u64(), region["column"].as_u64()), (Some(5), Some(11)));
    assert_eq!(v["omitted"], 0);

    // A file with thousands of problems lists the first 100 and counts the rest.
    let many = repo_file("crates/airgap-blueprint/tests/fuzz-regressions/many-problems.yaml");
    let json = sb.run(&["validate", "-f", many.to_str().unwrap(), "--output", "json"]).expect(3);
    let v: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(v["problems"].as_array().map(Vec::len), Some(100));
    assert!(v["omitted"].as_u64().is_some_and(|n| n > 0), "{}", v["omitted"]);

    // plan validates -f before anything else.
    sb.sim(&["plan", "-f", "bad.yaml"]).expect(3);
}

#[test]
fn validate_json_reports_an_unreadable_file_too() {
    let sb = Sandbox::new("validate-missing");
    let run = sb.run(&["validate", "-f", "missing.yaml", "--output", "json"]).expect(3);
    let v: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["file"], "missing.yaml");
    assert_eq!(v["valid"], false);
    let p = &v["problems"][0];
    assert_eq!(p["code"], "blueprint::io");
    assert!(
        p["message"].as_str().unwrap().starts_with("cannot read blueprint missing.yaml: "),
        "{p}"
    );
    assert!(p["line"].is_null() && p["column"].is_null(), "{p}");
    // A UTF-16 file: the hint travels in the document.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend("kind: Environment\n".encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(sb.dir.join("win.yaml"), utf16).unwrap();
    let run = sb.run(&["validate", "-f", "win.yaml", "--output", "json"]).expect(3);
    let v: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    assert_eq!(v["problems"][0]["code"], "blueprint::encoding");
    assert!(v["problems"][0]["help"].as_str().unwrap().contains("iconv"), "{v}");
}

#[test]
fn a_blueprint_is_read_from_stdin_with_dash() {
    use std::io::Write;
    let sb = Sandbox::new("stdin");
    let text = std::fs::read_to_string(repo_file("plans/single-account.yaml")).unwrap();
    let pipe = |args: &[&str], input: &str| {
        let mut child = sb
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        Run(child.wait_with_output().unwrap())
    };
    let run = pipe(&["validate", "-f", "-"], &text).expect(0);
    assert!(run.stdout().starts_with("<stdin>: valid (environment demo"), "{}", run.stdout());
    // Diagnostics name it.
    let bad = text.replacen("region: eu-central-1", "region: eu-nowhere-1", 1);
    let run = pipe(&["validate", "-f", "-"], &bad).expect(3);
    assert!(run.stderr().contains("[<stdin>:"), "{}", run.stderr());
    // apply reads it twice (verify, then plan): from one read of stdin.
    let all: Vec<&str> =
        ["apply", "-f", "-", "--auto-approve"].iter().chain(FAST).copied().collect();
    let run = pipe(&all, &text).expect(0);
    assert!(run.stdout().contains("Apply complete"), "{}", run.stdout());
}

#[test]
fn validate_accepts_the_example_blueprint() {
    let sb = Sandbox::new("valid");
    let file = repo_file("plans/single-account.yaml");
    let run = sb.run(&["validate", "-f", file.to_str().unwrap()]).expect(0);
    // Counts of one are singular.
    assert!(
        run.stdout().contains(
            "valid (environment demo, region eu-central-1, 1 account, 1 VPC, 0 clusters)"
        ),
        "{}",
        run.stdout()
    );
}

#[test]
fn a_kubernetes_version_eks_retired_is_warned_about_at_plan() {
    let sb = Sandbox::new("retired");
    let text = std::fs::read_to_string(repo_file("plans/hub-spoke.yaml")).unwrap();
    let old = text.replacen("    version: \"1.35\"", "    version: \"1.28\"", 1);
    assert_ne!(old, text, "the example names its version");
    std::fs::write(sb.dir.join("old.yaml"), old).unwrap();
    let run = sb.sim(&["plan", "-f", "old.yaml"]).expect(0);
    assert!(
        run.stderr()
            .contains("warning: cluster/apps: EKS ended support for Kubernetes 1.28 on 2025-11-26"),
        "{}",
        run.stderr()
    );
}

#[test]
fn validate_missing_file_is_invalid_input() {
    let sb = Sandbox::new("missing");
    let run = sb.run(&["validate", "-f", "nope.yaml"]).expect(3);
    assert!(run.stderr().contains("cannot read blueprint nope.yaml"));
}

#[test]
fn verbosity_goes_to_stderr() {
    let sb = Sandbox::new("verbose");
    let quiet = sb.sim(&["plan"]).expect(0);
    // A warning that the example's Kubernetes version has retired is the date's doing.
    let noise: Vec<String> =
        quiet.stderr().lines().filter(|l| !l.starts_with("warning: ")).map(String::from).collect();
    assert_eq!(noise, Vec::<String>::new());
    let loud = sb.sim(&["-vv", "plan"]).expect(0);
    assert!(loud.stderr().contains("DEBUG"), "{}", loud.stderr());
    assert_eq!(loud.stdout(), quiet.stdout());
}

#[test]
fn completions_and_schema() {
    let sb = Sandbox::new("completions");
    let run = sb.run(&["completions", "bash"]).expect(0);
    assert!(run.stdout().contains("airgapctl"));
    assert!(run.stdout().contains("--simulate"));
    let schema = sb.run(&["schema"]).expect(0);
    let v: serde_json::Value = serde_json::from_str(&schema.stdout()).unwrap();
    assert!(v["$schema"].as_str().unwrap().contains("json-schema.org"));
}

#[test]
fn apply_without_terminal_needs_auto_approve() {
    let sb = Sandbox::new("noninteractive");
    for cmd in ["apply", "destroy"] {
        let run = sb.sim(&[cmd]).expect(3);
        assert!(
            run.stderr().contains("no one can confirm the plan; use --auto-approve"),
            "{}",
            run.stderr()
        );
    }
    // Nothing was planned or created.
    assert!(!sb.dir.join(".airgap").exists());
}

#[test]
fn usage_errors_exit_3_not_2() {
    let sb = Sandbox::new("usage");
    let run = sb.run(&["plan", "--bogus"]).expect(3);
    assert!(run.stderr().contains("--bogus"));
    sb.run(&["graph", "--simulate", "--format", "png"]).expect(3);
    sb.run(&["apply", "--simulate", "--parallelism", "0"]).expect(3);
    // --sim-state without --simulate is a bad combination.
    sb.run(&["plan", "--sim-state", "x.json"]).expect(3);
    sb.sim(&["plan", "--env", "../escape"]).expect(3);
    sb.run(&["--help"]).expect(0);
}

#[test]
fn without_a_blueprint_or_simulate_there_is_nothing_to_do() {
    let sb = Sandbox::new("nosim");
    for args in [&["plan"][..], &["apply", "--auto-approve"], &["destroy", "--auto-approve"]] {
        let run = sb.run(args).expect(3);
        assert!(run.stderr().contains("no blueprint given"), "{args:?}: {}", run.stderr());
    }
    let run = sb.run(&["graph"]).expect(3);
    assert!(run.stderr().contains("give a blueprint (-f FILE) or --simulate"));
}

#[test]
fn blueprint_drives_the_simulation() {
    let sb = Sandbox::new("blueprint");
    let file = repo_file("plans/hub-spoke.yaml");
    let file = file.to_str().unwrap();
    let plan = sb.sim(&["plan", "-f", file, "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout().contains(" to add, 0 to change"), "{}", plan.stdout());
    sb.sim(&["apply", "-f", file, "--auto-approve"]).expect(0);
    // The env name defaults to the blueprint's metadata.name.
    assert!(sb.dir.join(".airgap/sim/hub-spoke.json").exists());
    let again = sb.sim(&["plan", "-f", file, "--detailed-exitcode"]).expect(0);
    assert!(again.stdout().starts_with("No changes."));
    // The built-in scenario is another set of resources in another env.
    sb.sim(&["plan", "--detailed-exitcode"]).expect(2);

    // The graph needs no provider.
    let dot = sb.run(&["graph", "-f", file]).expect(0);
    assert!(dot.stdout().starts_with("digraph airgap {"));
    // A scenario and a blueprint are alternatives.
    let both = sb.run(&["plan", "-f", file, "--simulate", "random-1k"]).expect(3);
    assert!(both.stderr().contains("give one of them"), "{}", both.stderr());
}

/// Transit subnets resized are replaced delete-before-create (and the control-plane
/// subnets after them move), while the transit gateway attachment's and the cluster's
/// interfaces sit in them: moved in place, those would let go of the old subnets only
/// after the deletes AWS refuses while they are there. The plan says so and how to go on
/// (`--replace` them too), and apply changes nothing until then.
#[test]
fn a_resource_still_used_by_an_update_in_place_is_not_deleted_first() {
    let sb = Sandbox::new("held");
    let text = std::fs::read_to_string(repo_file("plans/hub-spoke.yaml")).unwrap();
    let from = "subnets: { controlPlane: 28, dataPlane: 20, endpoints: 24, transit: 28 }";
    assert_eq!(text.matches(from).count(), 1, "the example changed");
    std::fs::write(sb.dir.join("bp.yaml"), &text).unwrap();
    sb.sim(&["apply", "-f", "bp.yaml", "--auto-approve"]).expect(0);
    std::fs::write(
        sb.dir.join("bp.yaml"),
        text.replace(from, &from.replace("transit: 28", "transit: 27")),
    )
    .unwrap();

    let plan = sb.sim(&["plan", "-f", "bp.yaml"]).expect(0).stdout();
    let refused: Vec<&str> = plan.lines().filter_map(|l| l.strip_prefix("Refused: ")).collect();
    assert!(!refused.is_empty(), "{plan}");
    let held: Vec<&str> = refused.iter().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(held, ["cluster/apps", "tgw/attachment/workload"], "{plan}");
    for (line, node) in refused.iter().zip(&held) {
        assert!(line.contains("still uses vpc/workload/subnet/"), "{line}");
        assert!(line.contains(&format!("--replace {node}")), "{line}");
    }
    let apply = sb.sim(&["apply", "-f", "bp.yaml", "--auto-approve"]).expect(3);
    assert!(apply.stderr().contains("what AWS cannot do"), "{}", apply.stderr());

    // Replaced too, they go first: nothing is refused, and the apply lands.
    let mut args = vec!["apply", "-f", "bp.yaml", "--auto-approve"];
    for node in &held {
        args.extend(["--replace", node]);
    }
    let apply = sb.sim(&args).expect(0);
    assert!(!apply.stdout().contains("Refused: "), "{}", apply.stdout());
    sb.sim(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]).expect(0);
}

/// Starts a slow apply and waits for its first progress line.
#[cfg(unix)]
fn start_slow_apply(sb: &Sandbox) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = sb
        .command(&["apply", "--auto-approve", "--simulate", "--sim-time-scale", "0.01"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !line.contains(": creating") {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "apply ended early");
        assert!(Instant::now() < deadline);
    }
    (child, out)
}

#[cfg(unix)]
fn interrupt(child: &std::process::Child) {
    let ok =
        Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success();
    assert!(ok);
}

#[cfg(unix)]
#[test]
fn first_ctrl_c_cancels_and_reports() {
    use std::io::Read;
    let sb = Sandbox::new("ctrlc");
    let (mut child, mut out) = start_slow_apply(&sb);
    interrupt(&child);
    let status = child.wait().unwrap();
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(status.code(), Some(4), "{rest}");
    assert!(rest.contains("cancelling: no new calls will start"), "{rest}");
    assert!(rest.contains("Apply interrupted after "), "{rest}");
    assert!(rest.contains("not started"), "{rest}");
    // The state was saved: what was created is no longer planned.
    let plan = sb.sim(&["plan"]).expect(0);
    assert!(
        !plan.stdout().contains(format!("Plan: {n} to add", n = scenario_len()).as_str()),
        "{}",
        plan.stdout()
    );
    assert!(plan.stdout().contains("to add"));
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn saved_plan_applies_exactly_and_leaves_no_changes() {
    let sb = Sandbox::new("planfile");
    let plan = sb.sim(&["plan", "--out", "p.json"]).expect(0);
    assert!(
        plan.stdout().contains(
            "Saved the plan to p.json. To apply exactly this plan, run:\n    airgapctl apply p.json --simulate\n"
        ),
        "{}",
        plan.stdout()
    );
    let saved = read_json(&sb.dir.join("p.json"));
    assert_eq!(saved["format_version"], 1);
    assert_eq!(saved["env"], "demo");
    assert_eq!(saved["mode"], "apply");
    assert_eq!(saved["scenario"], "hub-spoke");
    assert!(saved.get("blueprint").is_none());
    assert_eq!(saved["observed_fingerprint"].as_str().unwrap().len(), 16);
    let actions = saved["actions"].as_array().unwrap();
    assert_eq!(actions.len(), scenario_len());
    assert!(actions.iter().all(|a| a["action"]["action"] == "create"));
    // Nothing was changed by planning.
    assert!(!sb.dir.join(".airgap").exists());

    // No confirmation (stdin is not a terminal and there is no --auto-approve).
    let apply = sb.sim(&["apply", "p.json"]).expect(0);
    assert!(
        apply.stdout().contains(format!("Plan: {n} to add,", n = scenario_len()).as_str())
            && apply.stdout().contains(
                format!(": {n} created, 0 updated, 0 deleted.", n = scenario_len()).as_str()
            ),
        "{}",
        apply.stdout()
    );
    let again = sb.sim(&["plan", "--detailed-exitcode"]).expect(0);
    assert!(again.stdout().starts_with("No changes."));

    // A plan is applied once: afterwards the environment is not what it saw.
    let twice = sb.sim(&["apply", "p.json"]).expect(1);
    assert!(
        twice
            .stderr()
            .contains("the environment changed since the plan p.json was made; run plan again"),
        "{}",
        twice.stderr()
    );

    // A saved destroy plan is applied by apply, as with terraform.
    sb.sim(&["plan", "--destroy", "--out", "d.json"]).expect(0);
    assert_eq!(read_json(&sb.dir.join("d.json"))["mode"], "destroy");
    let destroy = sb.sim(&["apply", "d.json"]).expect(0);
    assert!(
        destroy
            .stdout()
            .contains(format!(": 0 created, 0 updated, {n} deleted.", n = scenario_len()).as_str()),
        "{}",
        destroy.stdout()
    );
    sb.sim(&["plan", "--detailed-exitcode"]).expect(2);
}

#[test]
fn saved_plan_of_the_simulated_cloud_is_refused_against_aws() {
    let sb = Sandbox::new("planfile-provider");
    sb.sim(&["plan", "--out", "p.json"]).expect(0);
    let saved = read_json(&sb.dir.join("p.json"));
    assert_eq!(saved["provider"], serde_json::json!({ "simulate": true }));
    // Refused before any AWS call (there are no credentials here).
    let run = sb.run(&["apply", "p.json", "--region", "eu-central-1"]).expect(3);
    assert!(
        run.stderr()
            .contains("the plan p.json was made against the simulated cloud (--simulate), not AWS"),
        "{}",
        run.stderr()
    );
}

#[test]
fn saved_plan_is_refused_when_the_environment_changed() {
    let sb = Sandbox::new("planfile-stale");
    sb.sim(&["plan", "--out", "p.json", "--sim-state", "s.json"]).expect(0);
    // Someone applies meanwhile: part of the environment now exists.
    sb.sim(&["apply", "--auto-approve", "--sim-state", "s.json", "--sim-fail", "vpc/workload"])
        .expect(1);
    let state = std::fs::read(sb.dir.join("s.json")).unwrap();

    let run = sb.sim(&["apply", "p.json", "--sim-state", "s.json"]).expect(1);
    assert!(
        run.stderr()
            .contains("the environment changed since the plan p.json was made; run plan again"),
        "{}",
        run.stderr()
    );
    assert_eq!(run.stdout(), "", "refused before showing or running anything");
    assert_eq!(std::fs::read(sb.dir.join("s.json")).unwrap(), state);

    // A fresh plan of the same environment applies.
    sb.sim(&["plan", "--out", "p.json", "--sim-state", "s.json"]).expect(0);
    sb.sim(&["apply", "p.json", "--sim-state", "s.json"]).expect(0);
    sb.sim(&["plan", "--detailed-exitcode", "--sim-state", "s.json"]).expect(0);
}

#[test]
fn saved_plan_of_a_changed_blueprint_is_refused() {
    let sb = Sandbox::new("planfile-blueprint");
    let text = std::fs::read_to_string(repo_file("plans/single-account.yaml")).unwrap();
    let bp = sb.dir.join("bp.yaml");
    std::fs::write(&bp, &text).unwrap();
    sb.sim(&["plan", "-f", "bp.yaml", "--out", "p.json"]).expect(0);
    let saved = read_json(&sb.dir.join("p.json"));
    assert_eq!(saved["blueprint"]["path"], "bp.yaml");
    assert_eq!(saved["blueprint"]["hash"].as_str().unwrap().len(), 16);
    assert!(saved.get("scenario").is_none());

    // Any edit counts, even one that declares the same resources.
    std::fs::write(&bp, format!("{text}# edited\n")).unwrap();
    let run = sb.sim(&["apply", "p.json"]).expect(1);
    assert!(
        run.stderr().contains(
            "the blueprint bp.yaml changed since the plan p.json was made; run plan again"
        ),
        "{}",
        run.stderr()
    );
    assert!(!sb.dir.join(".airgap").exists(), "nothing was applied");

    // The blueprint is named by the plan: -f, --env and a scenario cannot go with it.
    sb.sim(&["apply", "p.json", "-f", "bp.yaml"]).expect(3);
    sb.sim(&["apply", "p.json", "--env", "other"]).expect(3);
    let scenario = sb.run(&["apply", "p.json", "--simulate", "random-1k"]).expect(3);
    assert!(scenario.stderr().contains("records its resources"), "{}", scenario.stderr());

    std::fs::write(&bp, &text).unwrap();
    sb.sim(&["apply", "p.json"]).expect(0);
    // The env came from the blueprint's metadata.name, as at plan time.
    assert!(sb.dir.join(".airgap/sim/demo.json").exists());
    sb.sim(&["plan", "-f", "bp.yaml", "--detailed-exitcode"]).expect(0);

    std::fs::remove_file(&bp).unwrap();
    let gone = sb.sim(&["apply", "p.json"]).expect(3);
    assert!(
        gone.stderr().contains("cannot read the blueprint bp.yaml the plan p.json was made from"),
        "{}",
        gone.stderr()
    );
}

#[test]
fn unreadable_plan_files_exit_3() {
    let sb = Sandbox::new("planfile-garbage");
    std::fs::write(sb.dir.join("garbage.json"), "not a plan\n").unwrap();
    let run = sb.sim(&["apply", "garbage.json"]).expect(3);
    assert!(
        run.stderr().contains("garbage.json is not an airgapctl plan file"),
        "{}",
        run.stderr()
    );
    std::fs::write(sb.dir.join("other.json"), "{\"nodes\": []}\n").unwrap();
    sb.sim(&["apply", "other.json"]).expect(3);

    let missing = sb.sim(&["apply", "missing.json"]).expect(3);
    assert!(
        missing.stderr().contains("cannot read the plan file missing.json"),
        "{}",
        missing.stderr()
    );

    sb.sim(&["plan", "--out", "p.json"]).expect(0);
    let mut saved = read_json(&sb.dir.join("p.json"));
    saved["format_version"] = 99.into();
    std::fs::write(sb.dir.join("future.json"), saved.to_string()).unwrap();
    let future = sb.sim(&["apply", "future.json"]).expect(3);
    assert!(
        future.stderr().contains("future.json has plan format_version 99, which this airgapctl"),
        "{}",
        future.stderr()
    );
    assert!(!sb.dir.join(".airgap").exists(), "nothing was applied");
}

/// Output to a pipe whose reader is gone (`airgapctl ... 2>&1 | head -1` once `head` is
/// done) is lost, never a panic: the exit status stays the command's own. The readers
/// are dropped right after the spawn, before airgapctl has parsed anything.
#[test]
fn closed_stdout_and_stderr_keep_the_exit_status() {
    let sb = Sandbox::new("closed-pipes");
    std::fs::write(sb.dir.join("bad.yaml"), "metadata:\n  name: x\nbogus: [\n").unwrap();
    for (args, code) in [
        (vec!["validate", "-f", "bad.yaml"], 3),
        (vec!["validate", "-f", "bad.yaml", "--output", "json"], 3),
        (vec!["plan", "--simulate", "hub-spoke"], 0),
    ] {
        let mut child =
            sb.command(&args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take());
        drop(child.stderr.take());
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code), "{args:?}");
    }
}

/// `-f base -f overlay --set path=value`: one environment from several sources, each
/// problem reported in the source that wrote it, and a saved plan that notices a changed
/// overlay.
#[test]
fn overlays_and_settings_make_one_blueprint() {
    let sb = Sandbox::new("overlays");
    std::fs::copy(repo_file("plans/single-account.yaml"), sb.dir.join("base.yaml")).unwrap();
    std::fs::write(sb.dir.join("pr.yaml"), "metadata:\n  name: pr-7\n  ttl: 2h\n").unwrap();
    let ok = sb.run(&["validate", "-f", "base.yaml", "-f", "pr.yaml"]).expect(0);
    assert!(
        ok.stdout().starts_with("base.yaml + pr.yaml: valid (environment pr-7,"),
        "{}",
        ok.stdout()
    );

    // Saved with the overlay and a setting; the environment takes the overlay's name.
    let set = "hub.firewall.logging.retentionDays=7";
    let args = ["plan", "-f", "base.yaml", "-f", "pr.yaml", "--set", set, "--out", "p.plan"];
    sb.sim(&args).expect(0);
    let saved = read_json(&sb.dir.join("p.plan"));
    assert_eq!(saved["env"], "pr-7");
    assert_eq!(saved["blueprint"]["overlays"], serde_json::json!(["pr.yaml"]));
    assert_eq!(saved["blueprint"]["sets"], serde_json::json!([set]));
    sb.sim(&["apply", "p.plan"]).expect(0);
    assert!(sb.dir.join(".airgap/sim/pr-7.json").exists());
    let again = ["plan", "-f", "base.yaml", "-f", "pr.yaml", "--set", set, "--detailed-exitcode"];
    sb.sim(&again).expect(0);
    // Another setting is another blueprint: a change.
    let other = ["plan", "-f", "base.yaml", "-f", "pr.yaml", "--detailed-exitcode"];
    sb.sim(&other).expect(2);
    // A saved plan refuses an overlay changed since.
    sb.sim(&args).expect(0);
    std::fs::write(sb.dir.join("pr.yaml"), "metadata:\n  name: pr-7\n  ttl: 3h\n").unwrap();
    let stale = sb.sim(&["apply", "p.plan"]).expect(1);
    assert!(
        stale.stderr().contains("the blueprint base.yaml + pr.yaml changed since the plan"),
        "{}",
        stale.stderr()
    );

    // A mistake in the overlay is reported in the overlay, at its line and column.
    std::fs::write(
        sb.dir.join("bad.yaml"),
        "vpcs:\n  - name: workload\n    account: main\n    cidr: 10.10.0.0/33\n",
    )
    .unwrap();
    let bad = sb.run(&["validate", "-f", "base.yaml", "-f", "bad.yaml"]).expect(3);
    assert!(bad.stderr().contains("[bad.yaml:4:11]"), "{}", bad.stderr());
    // And a setting's, in the settings.
    let bad = sb.run(&["validate", "-f", "base.yaml", "--set", "availabilityZones=9"]).expect(3);
    assert!(bad.stderr().contains("[--set:1:19]"), "{}", bad.stderr());
    let json = sb
        .run(&["validate", "-f", "base.yaml", "--set", "availabilityZones=9", "--output", "json"])
        .expect(3);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout()).unwrap();
    assert_eq!(doc["file"], "base.yaml");
    assert_eq!(doc["problems"][0]["file"], "--set");
    assert_eq!(
        (doc["problems"][0]["line"].clone(), doc["problems"][0]["column"].clone()),
        (1.into(), 19.into())
    );
    // --set needs a blueprint.
    sb.sim(&["plan", "--set", set]).expect(3);
}

/// `--target ADDR` plans the resource, those under it and what they need, and nothing
/// else; `--replace ADDR` replaces an unchanged resource; both are saved with a plan.
#[test]
fn target_and_replace_select_what_a_plan_covers() {
    let sb = Sandbox::new("target");
    let plan = sb.sim(&["plan", "--target", "cluster/apps/addon/coredns"]).expect(0);
    let text = plan.stdout();
    assert!(plan.stderr().contains("warning: --target: the plan covers"), "{}", plan.stderr());
    for needed in
        ["cluster/apps/addon/coredns", "cluster/apps ", "cluster/apps/role ", "vpc/workload "]
    {
        assert!(text.contains(needed), "{needed} missing:\n{text}");
    }
    for other in ["vpc/tooling", "cluster/apps/access/0", "vpc/inspection"] {
        assert!(!text.contains(other), "{other} planned:\n{text}");
    }
    // Applied alone, the target exists and the rest does not.
    sb.sim(&["apply", "--target", "vpc/tooling", "--auto-approve"]).expect(0);
    sb.sim(&["plan", "--target", "vpc/tooling", "--detailed-exitcode"]).expect(0);
    sb.sim(&["plan", "--detailed-exitcode"]).expect(2);

    // An unchanged resource replaced on request, saved in the plan file.
    let args = ["plan", "--replace", "vpc/tooling/sg/endpoints", "--out", "r.plan"];
    let replace = sb.sim(&args).expect(0);
    assert!(replace.stdout().contains("vpc/tooling/sg/endpoints"), "{}", replace.stdout());
    let saved = read_json(&sb.dir.join("r.plan"));
    assert_eq!(saved["replace"], serde_json::json!(["vpc/tooling/sg/endpoints"]));
    let narrowed = sb
        .sim(&["plan", "--target", "vpc/tooling", "--replace", "vpc/tooling/sg/endpoints"])
        .expect(0);
    assert!(
        narrowed.stdout().contains(" to replace") && !narrowed.stdout().contains("0 to replace"),
        "{}",
        narrowed.stdout()
    );
    let refused = sb.sim(&["apply", "r.plan", "--target", "vpc/tooling"]).expect(3);
    assert!(refused.stderr().contains("records what it covers"), "{}", refused.stderr());

    // Addresses that name nothing are refused with the nearest.
    let typo = sb.sim(&["plan", "--target", "vpc/toolng"]).expect(3);
    assert!(typo.stderr().contains("did you mean vpc/tooling"), "{}", typo.stderr());
    sb.sim(&["plan", "--replace", "vpc/nothing"]).expect(3);
    sb.sim(&["plan", "--destroy", "--replace", "vpc/tooling"]).expect(3);
}

/// `iam-policy`: docs/iam.md shows the policy of plans/hub-spoke.yaml; every statement
/// id and every account's sizes there are the command's, so the page cannot drift from
/// the catalogue. `--read-only` allows no write; `--account` picks one; without AWS.
#[test]
fn iam_policy_matches_its_documentation() {
    let sb = Sandbox::new("iam-policy");
    let hub_spoke = repo_file("plans/hub-spoke.yaml");
    let file = hub_spoke.to_str().unwrap();
    let run = sb.run(&["iam-policy", "-f", file, "--output", "json"]).expect(0);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout()).unwrap();
    let page = std::fs::read_to_string(repo_file("docs/iam.md")).unwrap();
    let accounts = doc["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 3);
    for a in accounts {
        let policies = a["policies"].as_array().unwrap();
        let sizes: Vec<String> = policies.iter().map(|p| p["size"].to_string()).collect();
        let line = format!("{} ({})", policies.len(), sizes.join(" + "));
        assert!(
            page.contains(&line),
            "docs/iam.md lacks `{line}` for {}: python3 docs/tools/iam_md.py",
            a["name"]
        );
        for p in policies {
            assert!(p["size"].as_u64().unwrap() <= 6144);
            for st in p["document"]["Statement"].as_array().unwrap() {
                let sid = format!("| `{}` |", st["Sid"].as_str().unwrap());
                assert!(
                    page.contains(&sid),
                    "docs/iam.md lacks {sid}: python3 docs/tools/iam_md.py"
                );
            }
        }
    }
    let ro = sb.run(&[
        "iam-policy",
        "-f",
        file,
        "--read-only",
        "--account",
        "workload",
        "--output",
        "json",
    ]);
    let ro: serde_json::Value = serde_json::from_str(&ro.expect(0).stdout()).unwrap();
    assert_eq!(ro["accounts"].as_array().unwrap().len(), 1);
    let text = ro.to_string();
    for write in ["ec2:CreateVpc", "ec2:DeleteVpc", "eks:CreateCluster", "iam:PassRole"] {
        assert!(!text.contains(write), "{write} in a read-only policy");
    }
    let bad = sb.run(&["iam-policy", "-f", file, "--account", "nope"]).expect(3);
    assert!(bad.stderr().contains("network, shared, workload"), "{}", bad.stderr());
}
