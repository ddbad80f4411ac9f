//! `airgapctl verify`: proves the air gap of what a blueprint's plan will build, or with
//! `--live` of what exists (read by `airgap_aws::inspect`); the checks are
//! `airgap_verify`'s, this prints them. Text: one line per check, then the
//! findings (an egress breach with its path hop by hop); `--output json`: one versioned
//! document; `--sarif FILE`: SARIF 2.1.0 for code-scanning UIs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airgap_aws::analyzer::AnalyzerRun;
use airgap_verify::{CheckResult, Intent, Report, Status, CHECKS};
use miette::miette;
use serde_json::{json, Value as Json};

use super::{check_env_name, declared, out, record, Backend, Target};
use crate::cli::{Global, Output, Source, VerifyArgs};
use crate::exit::{CmdResult, ExitStatus, Failure};

/// The version of the JSON document; a change that removes or renames a field bumps it.
pub const JSON_FORMAT_VERSION: u32 = 1;

/// What was verified: the plan of a blueprint, or what exists (with the blueprint's
/// intent, or from the environment's record without it).
pub struct Subject {
    pub file: Option<PathBuf>,
    pub env: String,
    pub live: bool,
    /// On what exists: resource name -> AWS id or ARN.
    pub aws_ids: BTreeMap<String, String>,
    /// On what exists: the read calls made, and how long the read took.
    pub reads: Option<(u64, Duration)>,
    /// With `--aws-analyzer`: AWS Network Access Analyzer's runs, one per account.
    pub analyzer: Option<Vec<AnalyzerRun>>,
}

impl Subject {
    /// Whether AWS's analyzer found a path (a failure too, whatever verify's checks say).
    fn analyzer_found(&self) -> bool {
        self.analyzer.iter().flatten().any(|r| !r.findings.is_empty())
    }
}

pub async fn run(args: &VerifyArgs, global: &Global) -> CmdResult {
    let live = args.live || args.hub_account.is_some();
    if args.dns && !live {
        return Err(Failure::invalid(miette!(
            help = "add --live to verify what exists; a plan has no endpoint to look up",
            "--dns looks up the endpoints of clusters that exist"
        )));
    }
    if args.aws_analyzer && !live {
        return Err(Failure::invalid(miette!(
            help = "add --live: AWS's analyzer looks at what exists",
            "--aws-analyzer analyses the network as it exists in AWS"
        )));
    }
    let (subject, report, bp) = if let Some(hub) = &args.hub_account {
        let env = args.env.clone().expect("clap requires --env with --hub-account");
        check_env_name(&env)?;
        super::hub::check_account_id(hub)?;
        let table = record::hub_table(global, hub, args.role.as_deref()).await?;
        let rec = record::read(&table, &env, hub).await?;
        let target = record::target(global, &rec, args.role.as_deref(), 1.0).await?;
        let (subject, t) = inspect(&target, None, args).await?;
        let repos =
            t.repositories.iter().filter_map(|r| subject.aws_ids.get(&r.id).cloned()).collect();
        let intent = Intent::without_blueprint(&env, &t, repos);
        (subject, airgap_verify::verify(&t, &intent), None)
    } else {
        let source = Source::aws(args.file.clone(), args.set.clone(), args.env.clone(), 1.0);
        let file = args.file.first().cloned().expect("clap requires -f without --hub-account");
        if live {
            let target = Target::resolve(&source, global).await?;
            let d = declared(&source, false)?;
            let bp = d.blueprint.expect("-f gives a blueprint");
            let (subject, t) = inspect(&target, Some(file), args).await?;
            let report = airgap_verify::verify(&t, &Intent::from_blueprint(&bp, &subject.env));
            (subject, report, Some(bp))
        } else {
            let d = declared(&source, false)?;
            let bp = d.blueprint.expect("-f gives a blueprint");
            let report = airgap_verify::verify_plan(&d.graph, &bp, &d.env).map_err(|e| {
                Failure::failed(miette!(
                    "cannot read the plan into the verifier's model (a bug): {e}"
                ))
            })?;
            let subject = Subject {
                file: Some(file),
                env: d.env,
                live: false,
                aws_ids: BTreeMap::new(),
                reads: None,
                analyzer: None,
            };
            (subject, report, Some(bp))
        }
    };
    print_report(&subject, &report, bp.as_ref(), args, global.output)?;
    let passed = report.passed() && !subject.analyzer_found();
    Ok(if passed { ExitStatus::Success } else { ExitStatus::VerifyFailed })
}

/// `apply`'s gate: the plan-time verification of the blueprint (`-f`); a failing check
/// refuses the apply with the report, exit 5, before any AWS call. A built-in simulated
/// scenario has no blueprint to verify.
pub fn gate(source: &Source, output: Output) -> Result<(), Failure> {
    let Some(file) = source.file.first() else { return Ok(()) };
    let d = declared(source, false)?;
    let bp = d.blueprint.as_ref().expect("-f gives a blueprint");
    let report = airgap_verify::verify_plan(&d.graph, bp, &d.env).map_err(|e| {
        Failure::failed(miette!("cannot read the plan into the verifier's model (a bug): {e}"))
    })?;
    if report.passed() {
        return Ok(());
    }
    let subject = Subject {
        file: Some(file.clone()),
        env: d.env.clone(),
        live: false,
        aws_ids: BTreeMap::new(),
        reads: None,
        analyzer: None,
    };
    let shown = text(&subject, &report, false);
    // The JSON stream of apply is events; the report goes to stderr beside it.
    match output {
        Output::Text => out(&format!("{shown}\n")),
        Output::Json => eprint!("{shown}"),
    }
    let ids: Vec<&str> =
        report.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id).collect();
    Err(Failure {
        status: ExitStatus::VerifyFailed,
        error: miette!(
            help = "fix the blueprint (`airgapctl verify -f FILE` shows every check), or pass \
                    --skip-verify to apply it anyway",
            "not applied: the plan would break the air gap ({})",
            ids.join(", ")
        ),
    })
}

/// Reads what exists of the target's environment into the verifier's model; with `dns`,
/// also looks the cluster endpoints up.
async fn inspect(
    target: &Target,
    file: Option<PathBuf>,
    args: &VerifyArgs,
) -> Result<(Subject, airgap_verify::Topology), Failure> {
    let Backend::Aws(provider) = &target.backend else {
        unreachable!("verify --live reads AWS");
    };
    let before = provider.stats().total();
    let started = Instant::now();
    let found = airgap_aws::inspect::inspect(provider, &target.env).await.map_err(|e| {
        Failure::failed(miette!("cannot read environment {} from AWS: {e}", target.env))
    })?;
    let reads = (provider.stats().total() - before, started.elapsed());
    let analyzer = if args.aws_analyzer {
        let runs = airgap_aws::analyzer::analyze(provider, &target.env, &found)
            .await
            .map_err(|e| Failure::failed(miette!("AWS Network Access Analyzer: {e}")))?;
        Some(runs)
    } else {
        None
    };
    let mut t = found.topology;
    if args.dns {
        for c in &t.clusters {
            let Some(url) = &c.endpoint else { continue };
            t.dns.insert(c.id.clone(), resolve(url).await);
        }
    }
    let subject = Subject {
        file,
        env: target.env.clone(),
        live: true,
        aws_ids: found.aws_ids,
        reads: Some(reads),
        analyzer,
    };
    Ok((subject, t))
}

/// The IPv4 addresses of an endpoint URL's host, by this machine's resolver (what
/// kubectl on it would reach).
async fn resolve(url: &str) -> airgap_verify::topology::Resolution {
    let host = url.split("://").nth(1).unwrap_or(url).split(['/', ':']).next().unwrap_or(url);
    let lookup = tokio::net::lookup_host((host, 443));
    match tokio::time::timeout(Duration::from_secs(10), lookup).await {
        Err(_) => Err("no answer in 10 s".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(addrs)) => Ok(addrs
            .filter_map(|a| match a.ip() {
                std::net::IpAddr::V4(v4) => Some(v4),
                std::net::IpAddr::V6(_) => None,
            })
            .collect()),
    }
}

fn print_report(
    subject: &Subject,
    report: &Report,
    bp: Option<&airgap_blueprint::Blueprint>,
    args: &VerifyArgs,
    output: Output,
) -> Result<(), Failure> {
    let sarif_stdout = args.sarif.as_deref() == Some(Path::new("-"));
    let locate = |resource: &str| bp.and_then(|bp| airgap_verify::intent::locate(bp, resource));
    if let Some(path) = args.sarif.as_ref().filter(|_| !sarif_stdout) {
        write_sarif(path, subject, report, &locate)?;
    }
    if sarif_stdout {
        out(&format!("{}\n", pretty(&sarif(subject, report, &locate))));
    } else {
        match output {
            Output::Text => out(&text(subject, report, args.evidence)),
            Output::Json => out(&format!("{}\n", pretty(&document(subject, report, &locate)))),
        }
    }
    Ok(())
}

fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v).expect("JSON values serialize")
}

/// The 1-based line and column of the blueprint that declares a resource.
type Locate<'a> = dyn Fn(&str) -> Option<(String, usize, usize)> + 'a;

fn write_sarif(
    path: &PathBuf,
    subject: &Subject,
    report: &Report,
    locate: &Locate,
) -> Result<(), Failure> {
    std::fs::write(path, format!("{}\n", pretty(&sarif(subject, report, locate)))).map_err(|e| {
        Failure::failed(miette!("cannot write the SARIF report to {}: {e}", path.display()))
    })
}

/// One line per check: status, id, and its first line of evidence (or its first
/// finding); then, under a failed check, every finding, and an egress breach's path.
pub fn text(subject: &Subject, report: &Report, evidence: bool) -> String {
    let env = &subject.env;
    let mut s = match (&subject.file, subject.live) {
        (Some(f), false) => {
            format!("Verifying the plan of {} (environment {env})\n\n", f.display())
        }
        (_, true) => format!("Verifying what exists of environment {env}\n\n"),
        (None, false) => format!("Verifying environment {env}\n\n"),
    };
    for c in &report.checks {
        s.push_str(&line(c));
        let shown = if evidence { c.evidence.len() } else { 0 };
        for e in &c.evidence[..shown] {
            s.push_str(&format!("       {e}\n"));
        }
        for f in &c.findings {
            s.push_str(&format!("     x {}: {}\n", subject.named(&f.resource), f.message));
            if let Some(p) = &f.path {
                for (i, l) in p.lines().iter().enumerate() {
                    s.push_str(&format!("         {}. {l}\n", i + 1));
                }
            }
        }
    }
    s.push_str(&format!(
        "\n{}: {} passed, {} failed, {} not applicable.\n",
        crate::render::count_of(report.checks.len(), "check", "checks"),
        report.count(Status::Pass),
        report.count(Status::Fail),
        report.count(Status::NotApplicable)
    ));
    if let Some((calls, took)) = subject.reads {
        s.push_str(&format!(
            "Read the environment with {} in {:.1} s.\n",
            crate::render::count(calls, "API call", "API calls"),
            took.as_secs_f64()
        ));
    }
    for r in subject.analyzer.iter().flatten() {
        s.push_str(&format!(
            "\nAWS Network Access Analyzer, account {} (scope {}, analysis {}: {}{}, {} interfaces \
             analysed): {} from {} to an internet gateway, not through a firewall\n",
            r.account,
            r.scope,
            r.analysis,
            r.status,
            r.message.as_deref().map(|m| format!(", {m}")).unwrap_or_default(),
            r.analyzed_enis.map_or("?".to_string(), |n| n.to_string()),
            crate::render::count_of(r.findings.len(), "finding", "findings"),
            crate::render::count_of(r.sources.len(), "spoke subnet", "spoke subnets"),
        ));
        for f in &r.findings {
            s.push_str(&format!("     x {}: {}\n", f.id, f.components.join(" -> ")));
        }
    }
    if subject.analyzer_found() && report.passed() {
        s.push_str(
            "\nAWS's analyzer found paths that verify's model does not: it follows what the \
             model leaves out (docs/verify.md); look at them.\n",
        );
    }
    s
}

impl Subject {
    /// The AWS id of a resource the report names; a route (`<table>:<cidr>`) has none of
    /// its own, so its route table's.
    fn aws_id(&self, resource: &str) -> Option<&String> {
        self.aws_ids.get(resource).or_else(|| {
            let (table, _) = resource.rsplit_once(':')?;
            self.aws_ids.get(table)
        })
    }

    /// A resource as the report names it: its logical id, and on what exists its AWS id.
    fn named(&self, resource: &str) -> String {
        match self.aws_id(resource) {
            Some(aws) => format!("{resource} [{aws}]"),
            None => resource.to_string(),
        }
    }
}

fn line(c: &CheckResult) -> String {
    let status = match c.status {
        Status::Pass => "PASS",
        Status::Fail => "FAIL",
        Status::NotApplicable => "N/A ",
    };
    let detail = match (c.status, c.evidence.first()) {
        (Status::Fail, _) => format!("{} finding(s)", c.findings.len()),
        (_, Some(e)) => e.clone(),
        (_, None) => String::new(),
    };
    format!("{status} {:<26} {}: {detail}\n", c.id, c.title)
}

/// The JSON document (docs/verify.md describes it). Each finding gets the `file`, `line`
/// and `column` of the blueprint that declares its resource, where there is one.
pub fn document(subject: &Subject, report: &Report, locate: &Locate) -> Json {
    let mut checks = serde_json::to_value(&report.checks).expect("results serialize");
    for c in checks.as_array_mut().into_iter().flatten() {
        for f in c["findings"].as_array_mut().into_iter().flatten() {
            if let Some((file, line, column)) = f["resource"].as_str().and_then(locate) {
                f["file"] = json!(file);
                f["line"] = json!(line);
                f["column"] = json!(column);
            }
            if let Some(aws) = f["resource"].as_str().and_then(|r| subject.aws_id(r)) {
                f["aws_id"] = json!(aws);
            }
        }
    }
    let mut doc = json!({
        "format_version": JSON_FORMAT_VERSION,
        "file": subject.file.as_ref().map(|f| f.display().to_string()),
        "env": subject.env,
        "source": if subject.live { "live" } else { "plan" },
        "passed": report.passed(),
        "summary": {
            "pass": report.count(Status::Pass),
            "fail": report.count(Status::Fail),
            "not_applicable": report.count(Status::NotApplicable),
        },
        "checks": checks,
    });
    if let Some((calls, took)) = subject.reads {
        doc["reads"] = json!({ "calls": calls, "seconds": took.as_secs_f64() });
    }
    if let Some(runs) = &subject.analyzer {
        doc["aws_analyzer"] = runs
            .iter()
            .map(|r| {
                json!({
                    "account": r.account,
                    "scope": r.scope,
                    "analysis": r.analysis,
                    "status": r.status,
                    "status_message": r.message,
                    "analyzed_enis": r.analyzed_enis,
                    "sources": r.sources,
                    "findings": r.findings.iter().map(|f| json!({
                        "id": f.id,
                        "components": f.components,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        doc["passed"] = json!(report.passed() && !subject.analyzer_found());
    }
    doc
}

/// SARIF 2.1.0: a rule per check, a result per finding. Findings are on resources of
/// the plan: the location is the line of the blueprint that declares the resource (line
/// 1 when none does), and the resource is a logical location.
pub fn sarif(subject: &Subject, report: &Report, locate: &Locate) -> Json {
    let rules: Vec<Json> = CHECKS
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "name": c.id,
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": c.proves },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let uri = subject.file.as_ref().map(|f| f.display().to_string());
    let results: Vec<Json> = report
        .checks
        .iter()
        .flat_map(|c| {
            let rule = CHECKS.iter().position(|i| i.id == c.id).unwrap_or(0);
            let uri = uri.clone();
            c.findings.iter().map(move |f| {
                let mut text = format!("{}: {}", subject.named(&f.resource), f.message);
                if let Some(p) = &f.path {
                    text.push_str(&format!(" Path: {}", p.lines().join(" -> ")));
                }
                let (file, line, column) = match locate(&f.resource) {
                    Some((file, line, column)) => (Some(file), line, column),
                    None => (None, 1, 1),
                };
                let mut location = json!({
                    "logicalLocations": [{ "fullyQualifiedName": f.resource, "kind": "resource" }]
                });
                // Without a blueprint there is no file to point at: the resource only.
                // With overlays, the file that declares the resource.
                if let Some(uri) = file.as_ref().or(uri.as_ref()) {
                    location["physicalLocation"] = json!({
                        "artifactLocation": { "uri": uri },
                        "region": { "startLine": line, "startColumn": column }
                    });
                }
                json!({
                    "ruleId": c.id,
                    "ruleIndex": rule,
                    "level": "error",
                    "message": { "text": text },
                    "locations": [location],
                })
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "airgapctl",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
