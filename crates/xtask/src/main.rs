//! `cargo xtask demo | test | bench`: the project's two README commands and the
//! benchmarks, as one small program so they behave the same on every machine.

mod advisories;
mod deny;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("demo") => demo(),
        Some("bench") => bench(&args[1..]),
        // The supply-chain check `test` runs first, alone.
        Some("deny") => deny::check(&std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .map(|summary| eprintln!("xtask: supply chain: {summary}")),
        _ => {
            eprintln!("usage: cargo xtask <test | demo | bench [schedule [SCENARIO...]] | deny>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/xtask sits two levels below the workspace root")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(step: &str, mut cmd: Command) -> Result {
    let t = Instant::now();
    eprintln!("xtask: {step}");
    let status = cmd.status().map_err(|e| format!("{step}: cannot run: {e}"))?;
    eprintln!(
        "xtask: {step}: {} in {:.1}s",
        if status.success() { "ok" } else { "FAILED" },
        t.elapsed().as_secs_f64()
    );
    if status.success() {
        Ok(())
    } else {
        Err(format!("{step} failed ({status})"))
    }
}

/// Starts LocalStack in the background (idempotent: an instance already running is
/// reused), so its install overlaps with compiling.
fn start_localstack() -> Result<Child> {
    eprintln!("xtask: localstack/start (in the background)");
    Command::new(root().join("localstack/start"))
        .current_dir(root())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("localstack/start: cannot run: {e}"))
}

fn wait_localstack(mut child: Child) -> Result {
    let status = child.wait().map_err(|e| format!("localstack/start: {e}"))?;
    if status.success() {
        eprintln!("xtask: LocalStack is up");
        Ok(())
    } else {
        Err(format!("localstack/start failed ({status}); see localstack/.state/localstack.log"))
    }
}

/// Compiles the workspace's crates through clippy-driver, as `cargo clippy` does (it sets
/// the same RUSTC_WORKSPACE_WRAPPER and CLIPPY_ARGS), so a build of the tests also runs
/// every clippy lint on every target it compiles and fails on a warning, like `cargo
/// clippy --workspace --all-targets -- -D warnings`. Dependencies compile with rustc as
/// always (the wrapper is for workspace members only), once, with code: clippy's own
/// metadata-only build of them is saved.
fn with_clippy(cmd: &mut Command) {
    let driver = Command::new("rustup")
        .args(["which", "clippy-driver"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "clippy-driver".to_string());
    cmd.env("RUSTC_WORKSPACE_WRAPPER", driver).env("CLIPPY_ARGS", "-Dwarnings");
}

/// Everything CI runs: formatting, lints, the Rust tests (unit, engine, CLI, and those
/// against LocalStack), and the LocalStack extension's own pytest suite.
fn test() -> Result {
    let ls = start_localstack()?;
    let mut steps: Vec<(&str, Command)> = Vec::new();
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    steps.push(("cargo fmt --check", fmt));
    // Clippy's lints run inside the test build (see `with_clippy`), not as a build of
    // their own: `cargo clippy` would check every dependency again, which took a third of
    // CI's time.
    let mut build = cargo();
    build.args(["test", "--workspace", "--all-targets", "--locked", "--no-run"]);
    with_clippy(&mut build);
    steps.push(("build tests, with clippy's lints as errors", build));
    let mut failures = Vec::new();
    if let Err(e) = oci_tools() {
        failures.push(e);
    }
    let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    match deny::check(&cargo_bin) {
        Ok(summary) => eprintln!("xtask: supply chain: {summary}"),
        Err(e) => failures.push(format!("supply chain:\n{e}")),
    }
    for (name, cmd) in steps {
        if let Err(e) = run(name, cmd) {
            failures.push(e);
        }
    }
    wait_localstack(ls)?;
    // The extension's own suite first, on a LocalStack that holds nothing yet: a few of its
    // tests time the server (rate-limit bursts), which the Rust tests' thousands of
    // resources (the many-accounts run) would slow down enough to fail them.
    let mut py = Command::new(root().join("localstack/test"));
    py.current_dir(root());
    if let Err(e) = run("localstack/test (extension pytest suite)", py) {
        failures.push(e);
    }
    let before = validation_counts();
    let mut tests = cargo();
    // Every test binary runs even when one fails, so a CI run reports every failure at once.
    tests.args(["test", "--workspace", "--locked", "--no-fail-fast"]);
    // As built above, so nothing is compiled again.
    with_clippy(&mut tests);
    if let Err(e) = run("cargo test", tests) {
        failures.push(e);
    }
    // The emulator checks every request against AWS's model (localstack/airgap_ext/
    // validation.py): airgapctl's own requests must all pass.
    match (before, validation_counts()) {
        (Some((checked0, refused0)), Some((checked, refused))) => {
            eprintln!(
                "xtask: model validation: {} requests of the Rust tests checked, {} refused",
                checked - checked0,
                refused - refused0
            );
            if refused > refused0 {
                failures.push(format!(
                    "{} requests of the Rust tests break AWS's model; see {LOCALSTACK}/_airgap/validation",
                    refused - refused0
                ));
            }
        }
        _ => {
            failures.push(format!("no model validation report at {LOCALSTACK}/_airgap/validation"))
        }
    }
    if failures.is_empty() {
        eprintln!("xtask: all checks passed (LocalStack left running; localstack/stop stops it)");
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// The artifact tests' source registry (Debian's `docker-registry`, the distribution
/// project's) and independent OCI client (`skopeo`): installed from Debian's packages
/// when missing and this is root on a Debian machine (CI's and a fresh one's case), else
/// named for the user to install.
fn oci_tools() -> Result {
    let missing: Vec<&str> = ["docker-registry", "skopeo"]
        .into_iter()
        .filter(|t| {
            !Command::new("sh")
                .args(["-c", &format!("command -v {t}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let apt = Path::new("/usr/bin/apt-get").exists();
    if !(root && apt) {
        return Err(format!(
            "the artifact tests need {}: apt-get install docker-registry skopeo",
            missing.join(" and ")
        ));
    }
    let mut update = Command::new("apt-get");
    update.args(["update", "-qq"]);
    run("apt-get update", update)?;
    let mut install = Command::new("apt-get");
    install
        .args(["install", "-y", "-qq", "--no-install-recommends", "docker-registry", "skopeo"])
        .env("DEBIAN_FRONTEND", "noninteractive");
    run("apt-get install docker-registry skopeo", install)
}

/// (requests checked, requests refused) by the emulator's model validation so far.
fn validation_counts() -> Option<(u64, u64)> {
    let out = Command::new("curl")
        .args(["-fsS", "-m", "5", &format!("{LOCALSTACK}/_airgap/validation")])
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let number = |key: &str| -> Option<u64> {
        let rest = &text[text.find(&format!("\"{key}\":"))? + key.len() + 3..];
        rest.trim_start().split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()
    };
    Some((number("validated")?, number("violations")?))
}

/// The blueprint the demo applies, and its accounts (airgapctl assumes
/// `airgap-deployer` in each, from LocalStack's base credentials).
const DEMO_BLUEPRINT: &str = "plans/hub-spoke.yaml";
const DEMO_ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
const LOCALSTACK: &str = "http://127.0.0.1:4566";

/// Starts LocalStack, builds airgapctl and applies the full air-gapped environment to
/// it (network, firewall, endpoints, private EKS over three accounts): plan, apply
/// (waits exercised at 1% of AWS time), a second plan that must show no changes, and
/// what now exists. The environment is left up to look at.
fn demo() -> Result {
    let ls = start_localstack()?;
    let mut build = cargo();
    build.args(["build", "--quiet", "-p", "airgapctl"]);
    run("build airgapctl", build)?;
    wait_localstack(ls)?;
    // Resources go from CREATING to available at 1% of their AWS durations.
    for account in DEMO_ACCOUNTS {
        let mut scale = Command::new("curl");
        scale.args([
            "-fsS",
            "-o",
            "/dev/null",
            "-X",
            "POST",
            "-H",
            "content-type: application/json",
            "-d",
            &format!(r#"{{"time_scale": 0.01, "account": "{account}"}}"#),
            &format!("{LOCALSTACK}/_airgap/config"),
        ]);
        run(&format!("LocalStack time scale 0.01 for {account}"), scale)?;
        deployer_role(account)?;
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"));
    let exe = target.join("debug/airgapctl");
    let ctl = |args: &[&str]| {
        let mut c = Command::new(&exe);
        c.current_dir(root())
            .args(args)
            .args(["-f", DEMO_BLUEPRINT])
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_ENDPOINT_URL", LOCALSTACK)
            .env("AIRGAP_TIME_SCALE", "0.01")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_REGION");
        c
    };
    eprintln!("\n== airgapctl validate -f {DEMO_BLUEPRINT}");
    run("validate", ctl(&["validate"]))?;
    eprintln!("\n== airgapctl plan -f {DEMO_BLUEPRINT} --stats (against LocalStack)");
    let mut plan = ctl(&["plan", "--stats"]);
    plan.stdout(Stdio::piped());
    let out = plan.output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    for l in lines.iter().take(12) {
        println!("{l}");
    }
    if lines.len() > 12 {
        println!("  ...");
        let from = lines
            .iter()
            .position(|l| l.starts_with("Plan:") || l.starts_with("No changes"))
            .unwrap_or(lines.len());
        for l in &lines[from..] {
            println!("{l}");
        }
    }
    eprintln!("\n== airgapctl apply --auto-approve");
    run("apply", ctl(&["apply", "--auto-approve"]))?;
    eprintln!("\n== airgapctl plan --detailed-exitcode (a second run: expect no changes)");
    run("plan again", ctl(&["plan", "--detailed-exitcode"]))?;
    eprintln!("\n== airgapctl show (what exists now, found by its tags)");
    run("show", ctl(&["show"]))?;
    eprintln!("\n== airgapctl verify --live (the air gap, proved on what exists)");
    run("verify --live", ctl(&["verify", "--live"]))?;
    eprintln!(
        "\nThe environment stays up in LocalStack. Tear it down with:\n  \
         AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test \
         target/debug/airgapctl destroy -f {DEMO_BLUEPRINT} --endpoint-url {LOCALSTACK} --time-scale 0.01\n\
         and stop LocalStack with localstack/stop."
    );
    Ok(())
}

/// Gives `account` the role the demo blueprint assumes, trusting the demo's credentials
/// (`test`, LocalStack's account 000000000000), as a platform team sets its accounts up: the
/// emulator refuses AssumeRole into a role that is missing or does not trust the caller, as
/// AWS does. IAM's query API through curl, as the account's administrator (LocalStack takes
/// a 12-digit access key id as the account); a second run finds the role there (409).
fn deployer_role(account: &str) -> Result {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}"#;
    let out = Command::new("curl")
        .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST"])
        .args([
            "-H",
            &format!(
                "Authorization: AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0"
            ),
        ])
        .args(["--data-urlencode", "Action=CreateRole", "--data-urlencode", "Version=2010-05-08"])
        .args(["--data-urlencode", "RoleName=airgap-deployer"])
        .args(["--data-urlencode", &format!("AssumeRolePolicyDocument={trust}")])
        .arg(format!("{LOCALSTACK}/"))
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    match String::from_utf8_lossy(&out.stdout).trim() {
        "200" | "409" => Ok(()),
        code => Err(format!(
            "creating airgap-deployer in {account} answered HTTP {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

fn bench(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        Some("schedule") | None => {
            let mut c = cargo();
            c.args(["bench", "--quiet", "-p", "airgap-engine", "--bench", "schedule", "--"]);
            c.args(args.iter().skip(1));
            run("bench schedule", c)
        }
        Some(other) => Err(format!("unknown benchmark {other:?}; known: schedule")),
    }
}
