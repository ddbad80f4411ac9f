//! `airgapctl verify`: proves the air gap of what a blueprint's plan will build (the
//! checks are `airgap_verify`'s; this prints them). Text: one line per check, then the
//! findings (an egress breach with its path hop by hop); `--output json`: one versioned
//! document; `--sarif FILE`: SARIF 2.1.0 for code-scanning UIs.

use std::path::{Path, PathBuf};

use airgap_verify::{CheckResult, Report, Status, CHECKS};
use miette::miette;
use serde_json::{json, Value as Json};

use super::{declared, out};
use crate::cli::{Output, Source, VerifyArgs};
use crate::exit::{CmdResult, ExitStatus, Failure};

/// The version of the JSON document; a change that removes or renames a field bumps it.
pub const JSON_FORMAT_VERSION: u32 = 1;

pub fn run(args: &VerifyArgs, output: Output) -> CmdResult {
    let source = Source::aws(Some(args.file.clone()), args.env.clone(), 1.0);
    let d = declared(&source, false)?;
    let bp = d.blueprint.as_ref().expect("-f gives a blueprint");
    let report = airgap_verify::verify_plan(&d.graph, bp, &d.env).map_err(|e| {
        Failure::failed(miette!("cannot read the plan into the verifier's model (a bug): {e}"))
    })?;
    let sarif_stdout = args.sarif.as_deref() == Some(Path::new("-"));
    let locate = |resource: &str| airgap_verify::intent::locate(bp, resource);
    if let Some(path) = args.sarif.as_ref().filter(|_| !sarif_stdout) {
        write_sarif(path, &args.file, &report, &locate)?;
    }
    if sarif_stdout {
        out(&format!("{}\n", pretty(&sarif(&args.file, &report, &locate))));
    } else {
        match output {
            Output::Text => out(&text(&args.file, &d.env, &report, args.evidence)),
            Output::Json => {
                out(&format!("{}\n", pretty(&document(&args.file, &d.env, &report, &locate))))
            }
        }
    }
    Ok(if report.passed() { ExitStatus::Success } else { ExitStatus::VerifyFailed })
}

fn pretty(v: &Json) -> String {
    serde_json::to_string_pretty(v).expect("JSON values serialize")
}

/// The 1-based line and column of the blueprint that declares a resource.
type Locate<'a> = dyn Fn(&str) -> Option<(usize, usize)> + 'a;

fn write_sarif(
    path: &PathBuf,
    file: &Path,
    report: &Report,
    locate: &Locate,
) -> Result<(), Failure> {
    std::fs::write(path, format!("{}\n", pretty(&sarif(file, report, locate)))).map_err(|e| {
        Failure::failed(miette!("cannot write the SARIF report to {}: {e}", path.display()))
    })
}

/// One line per check: status, id, and its first line of evidence (or its first
/// finding); then, under a failed check, every finding, and an egress breach's path.
pub fn text(file: &Path, env: &str, report: &Report, evidence: bool) -> String {
    let mut s = format!("Verifying the plan of {} (environment {env})\n\n", file.display());
    for c in &report.checks {
        s.push_str(&line(c));
        let shown = if evidence { c.evidence.len() } else { 0 };
        for e in &c.evidence[..shown] {
            s.push_str(&format!("       {e}\n"));
        }
        for f in &c.findings {
            s.push_str(&format!("     x {}: {}\n", f.resource, f.message));
            if let Some(p) = &f.path {
                for (i, l) in p.lines().iter().enumerate() {
                    s.push_str(&format!("         {}. {l}\n", i + 1));
                }
            }
        }
    }
    s.push_str(&format!(
        "\n{} checks: {} passed, {} failed, {} not applicable.\n",
        report.checks.len(),
        report.count(Status::Pass),
        report.count(Status::Fail),
        report.count(Status::NotApplicable)
    ));
    s
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

/// The JSON document (docs/verify.md describes it). Each finding gets the `line` and
/// `column` of the blueprint that declares its resource, where there is one.
pub fn document(file: &Path, env: &str, report: &Report, locate: &Locate) -> Json {
    let mut checks = serde_json::to_value(&report.checks).expect("results serialize");
    for c in checks.as_array_mut().into_iter().flatten() {
        for f in c["findings"].as_array_mut().into_iter().flatten() {
            if let Some((line, column)) = f["resource"].as_str().and_then(locate) {
                f["line"] = json!(line);
                f["column"] = json!(column);
            }
        }
    }
    json!({
        "format_version": JSON_FORMAT_VERSION,
        "file": file.display().to_string(),
        "env": env,
        "source": "plan",
        "passed": report.passed(),
        "summary": {
            "pass": report.count(Status::Pass),
            "fail": report.count(Status::Fail),
            "not_applicable": report.count(Status::NotApplicable),
        },
        "checks": checks,
    })
}

/// SARIF 2.1.0: a rule per check, a result per finding. Findings are on resources of
/// the plan: the location is the line of the blueprint that declares the resource (line
/// 1 when none does), and the resource is a logical location.
pub fn sarif(file: &Path, report: &Report, locate: &Locate) -> Json {
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
    let uri = file.display().to_string();
    let results: Vec<Json> = report
        .checks
        .iter()
        .flat_map(|c| {
            let rule = CHECKS.iter().position(|i| i.id == c.id).unwrap_or(0);
            let uri = uri.clone();
            c.findings.iter().map(move |f| {
                let mut text = format!("{}: {}", f.resource, f.message);
                if let Some(p) = &f.path {
                    text.push_str(&format!(" Path: {}", p.lines().join(" -> ")));
                }
                let (line, column) = locate(&f.resource).unwrap_or((1, 1));
                json!({
                    "ruleId": c.id,
                    "ruleIndex": rule,
                    "level": "error",
                    "message": { "text": text },
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri },
                            "region": { "startLine": line, "startColumn": column }
                        },
                        "logicalLocations": [{ "fullyQualifiedName": f.resource, "kind": "resource" }]
                    }],
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
