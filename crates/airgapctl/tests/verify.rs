//! `airgapctl verify -f FILE` on the plan of a blueprint: the real binary, no AWS and no
//! LocalStack (the plan-time checks read the expanded graph only).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");
/// `verify`'s exit status when a check fails (docs/cli.md).
const VERIFY_FAILED: i32 = 5;

fn plans() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

fn hub_spoke() -> String {
    std::fs::read_to_string(plans().join("hub-spoke.yaml")).unwrap()
}

/// A scratch directory per test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("airgapctl-verify-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_remove("RUST_LOG")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The check `id` of a JSON report.
fn check<'a>(doc: &'a Value, id: &str) -> &'a Value {
    let checks = doc["checks"].as_array().unwrap();
    checks.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}"))
}

fn status<'a>(doc: &'a Value, id: &str) -> &'a str {
    check(doc, id)["status"].as_str().unwrap()
}

#[test]
fn hub_spoke_as_shipped_passes_every_check() {
    let dir = scratch("shipped");
    let plan = plans().join("hub-spoke.yaml");
    let plan = plan.to_str().unwrap();
    let o = run(&dir, &["verify", "-f", plan]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", String::from_utf8_lossy(&o.stderr));
    // The DNS check looks up endpoints that exist: not applicable to a plan.
    assert!(out.contains("20 checks: 19 passed, 0 failed, 1 not applicable."), "{out}");
    assert!(out.contains("N/A  eks.endpoint-dns"), "{out}");
    // One line per check, with its evidence.
    assert!(out.contains("PASS egress.firewall-first"), "{out}");
    assert!(out.contains("24 spoke subnets x "), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("PASS ")).count(), 19, "{out}");
    // The VPN, named as a path into the environment.
    assert!(
        out.contains("vpn access/vpn: clients 10.250.0.0/22 -> 10.10.0.0/16, 10.30.0.128/27, 10.30.0.160/27 through vpc/access/subnet/endpoints/a, split tunnel"),
        "{out}"
    );
    // --evidence: every line, the traced example path of the egress check among them.
    let o = run(&dir, &["verify", "-f", plan, "--evidence"]);
    let out = stdout(&o);
    assert!(out.contains("e.g. vpc/access/subnet/controlPlane/a -> 1.1.1.1:"), "{out}");
    assert!(out.contains("firewall endpoint firewall (eu-central-1a)"), "{out}");
    assert!(out.contains("allowed domains: .amazonaws.com, api.partner.example"), "{out}");

    let o = run(&dir, &["verify", "-f", plan, "--output", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let doc = json(&o);
    assert_eq!(doc["format_version"], 1);
    assert_eq!(doc["source"], "plan");
    assert_eq!(doc["env"], "hub-spoke");
    assert_eq!(doc["passed"], true);
    assert_eq!(doc["summary"]["pass"], 19);
    let first = check(&doc, "vpn.cluster-api")["evidence"][0].as_str().unwrap();
    assert!(
        first.starts_with("vpn access/vpn: clients 10.250.0.0/22 -> cluster/apps API on 443"),
        "{first}"
    );
}

/// `verify --output json` of hub-spoke.yaml with `from` (found `times` times, or the plan
/// changed shape) replaced by `to`, which must fail; its JSON document.
fn failing_with(name: &str, from: &str, times: usize, to: &str) -> Value {
    let dir = scratch(name);
    let text = hub_spoke();
    assert_eq!(text.matches(from).count(), times, "hub-spoke.yaml changed shape");
    std::fs::write(dir.join("bp.yaml"), text.replace(from, to)).unwrap();
    let o = run(&dir, &["verify", "-f", "bp.yaml", "--output", "json"]);
    assert_eq!(o.status.code(), Some(VERIFY_FAILED), "{}", stdout(&o));
    json(&o)
}

#[test]
fn an_ecr_endpoint_policy_open_to_every_repository_fails() {
    // Both VPCs declare their ECR policies instead of the ones made from `registries`:
    // pulls from every repository of the registry account.
    let wide = "      policies:\n        ecr.api: &wide { Version: \"2012-10-17\", Statement: [{ Effect: Allow, Principal: \"*\", Action: [ecr:BatchGetImage], Resource: [\"arn:aws:ecr:eu-central-1:222222222222:repository/*\"] }] }\n        ecr.dkr: *wide\n";
    let workload = "replaces the made one.\n";
    let tooling = "on the same repositories only.\n";
    let dir = scratch("ecr-wildcard");
    let mut text = hub_spoke();
    for at in [workload, tooling] {
        assert_eq!(text.matches(at).count(), 1, "hub-spoke.yaml changed shape");
        let policies = if at == workload {
            wide.to_string()
        } else {
            "      policies: { ecr.api: *wide, ecr.dkr: *wide }\n".to_string()
        };
        text = text.replace(at, &format!("{at}{policies}"));
    }
    std::fs::write(dir.join("bp.yaml"), text).unwrap();
    let o = run(&dir, &["verify", "-f", "bp.yaml", "--output", "json"]);
    assert_eq!(o.status.code(), Some(VERIFY_FAILED), "{}", stdout(&o));
    let doc = json(&o);
    assert_eq!(doc["passed"], false);
    for c in doc["checks"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let want = match id {
            "endpoints.ecr-policy" => "fail",
            "eks.endpoint-dns" => "not-applicable",
            _ => "pass",
        };
        assert_eq!(c["status"], want, "{id}: {c:#}");
    }
    let c = check(&doc, "endpoints.ecr-policy");
    let at: Vec<&str> =
        c["findings"].as_array().unwrap().iter().map(|f| f["resource"].as_str().unwrap()).collect();
    assert_eq!(
        at,
        [
            "vpc/workload/endpoint/ecr.api",
            "vpc/workload/endpoint/ecr.dkr",
            "vpc/tooling/endpoint/ecr.api",
            "vpc/tooling/endpoint/ecr.dkr"
        ]
    );
}

/// hub-spoke.yaml without `hub.firewall`: egress goes straight to the NAT gateways.
fn hub_spoke_without_firewall() -> String {
    let text = hub_spoke();
    let start = text.find("  firewall:\n").unwrap();
    let end = text.find("    deletionProtection: false\n").unwrap()
        + "    deletionProtection: false\n".len();
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn a_blueprint_without_its_firewall_fails_naming_the_hop_that_lets_traffic_out() {
    let dir = scratch("no-firewall");
    std::fs::write(dir.join("bp.yaml"), hub_spoke_without_firewall()).unwrap();

    let o = run(&dir, &["verify", "-f", "bp.yaml"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(VERIFY_FAILED), "{out}");
    assert!(out.contains("FAIL egress.firewall-first"), "{out}");
    // The hop, with the route entry used, and the whole path.
    assert!(
        out.contains("let out at vpc/inspection/rt/transit/a: 0.0.0.0/0 -> NAT gateway vpc/inspection/nat/a [vpc/inspection/rt/transit/a/default]"),
        "{out}"
    );
    assert!(out.contains("2. tgw/rt/spoke: 0.0.0.0/0 -> attachment tgw/attachment/inspection [tgw/rt/spoke/default]"), "{out}");

    let doc = json(&run(&dir, &["verify", "-f", "bp.yaml", "--output", "json"]));
    assert_eq!(status(&doc, "egress.firewall-first"), "fail");
    assert_eq!(status(&doc, "egress.return-symmetry"), "not-applicable");
    let c = check(&doc, "egress.firewall-first");
    let f = &c["findings"][0];
    assert_eq!(f["resource"], "vpc/inspection/rt/transit/a/default");
    assert_eq!(f["path"]["end"]["type"], "internet");
    let hops: Vec<&str> =
        f["path"]["hops"].as_array().unwrap().iter().map(|h| h["at"].as_str().unwrap()).collect();
    assert_eq!(
        hops[1..],
        [
            "tgw/rt/spoke",
            "tgw/attachment/inspection",
            "vpc/inspection/rt/transit/a",
            "vpc/inspection/rt/public/a"
        ]
    );
    assert_eq!(f["path"]["exposed_at"], 3);
    assert!(f["path"].get("inspected_at").is_none());
}

#[test]
fn a_firewall_without_alert_logs_fails_the_logging_check_alone() {
    let logging = "logging: { alert: cloudwatch, flow: cloudwatch, retentionDays: 30 }";
    let doc = failing_with("logs", logging, 1, "logging: { alert: none, flow: none }");
    assert_eq!(status(&doc, "firewall.logging"), "fail");
    assert_eq!(doc["summary"]["fail"], 1);
}

#[test]
fn sarif_has_a_rule_per_check_and_a_result_per_finding() {
    let dir = scratch("sarif");
    let plan = dir.join("bp.yaml");
    std::fs::write(&plan, hub_spoke_without_firewall()).unwrap();
    let o = run(&dir, &["verify", "-f", plan.to_str().unwrap(), "--sarif", "-"]);
    assert_eq!(o.status.code(), Some(VERIFY_FAILED));
    let s = json(&o);
    assert_eq!(s["version"], "2.1.0");
    let run0 = &s["runs"][0];
    assert_eq!(run0["tool"]["driver"]["rules"].as_array().unwrap().len(), 20);
    let results = run0["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "egress.firewall-first"
        && r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
            == "vpc/inspection/rt/transit/a/default"));
    assert!(results.iter().all(|r| r["level"] == "error"));
    // Located on the line that declares the resource: the inspection VPC's CIDR.
    let text = std::fs::read_to_string(&plan).unwrap();
    let line = text.lines().position(|l| l.contains("inspectionVpc: { cidr:")).unwrap() + 1;
    let egress = results.iter().find(|r| r["ruleId"] == "egress.firewall-first").unwrap();
    assert_eq!(egress["locations"][0]["physicalLocation"]["region"]["startLine"], line);
    let doc = json(&run(&dir, &["verify", "-f", plan.to_str().unwrap(), "--output", "json"]));
    let c = check(&doc, "egress.firewall-first");
    assert_eq!(c["findings"][0]["line"], line);

    // To a file, beside the text report.
    let o = run(&dir, &["verify", "-f", plan.to_str().unwrap(), "--sarif", "out.sarif"]);
    assert_eq!(o.status.code(), Some(VERIFY_FAILED));
    assert!(stdout(&o).contains("FAIL egress.firewall-first"));
    let file: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out.sarif")).unwrap()).unwrap();
    assert_eq!(file["runs"][0]["results"].as_array().unwrap().len(), results.len());
}

#[test]
fn an_invalid_blueprint_is_invalid_input() {
    let dir = scratch("invalid");
    std::fs::write(dir.join("bp.yaml"), "apiVersion: nope\n").unwrap();
    let o = run(&dir, &["verify", "-f", "bp.yaml"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stdout(&o).is_empty());
}

#[test]
fn apply_refuses_a_plan_that_breaks_the_gap_before_any_aws_call_unless_told_to_skip() {
    let dir = scratch("apply-gate");
    std::fs::write(dir.join("bp.yaml"), hub_spoke_without_firewall()).unwrap();
    // Against an endpoint where nothing listens: refused with the report, not a
    // connection error, so no call was made.
    let o = run(
        &dir,
        &["apply", "-f", "bp.yaml", "--auto-approve", "--endpoint-url", "http://127.0.0.1:9"],
    );
    let (out, err) = (stdout(&o), String::from_utf8_lossy(&o.stderr).into_owned());
    assert_eq!(o.status.code(), Some(VERIFY_FAILED), "{out}{err}");
    assert!(out.contains("FAIL egress.firewall-first"), "{out}");
    assert!(out.contains("PASS spoke.no-public-surface"), "the whole report: {out}");
    assert!(err.contains("not applied: the plan would break the air gap"), "{err}");
    assert!(err.contains("egress.firewall-first") && err.contains("--skip-verify"), "{err}");
    assert!(!err.contains("127.0.0.1:9"), "no call was attempted: {err}");
    // Told to skip (the flag, or AIRGAP_SKIP_VERIFY), it applies: here to the simulated
    // cloud.
    let sim = ["apply", "-f", "bp.yaml", "--auto-approve", "--simulate", "--sim-time-scale"];
    let o = run(&dir, &[&sim[..], &["0.0001", "--skip-verify"]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new(BIN)
        .args([&sim[..], &["0.0001", "--env", "other"]].concat())
        .current_dir(&dir)
        .stdin(Stdio::null())
        .env("AIRGAP_SKIP_VERIFY", "1")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    // A blueprint that passes is applied without a word from verify.
    std::fs::write(dir.join("ok.yaml"), hub_spoke()).unwrap();
    let o = run(
        &dir,
        &["apply", "-f", "ok.yaml", "--auto-approve", "--simulate", "--sim-time-scale", "0.0001"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!stdout(&o).contains("egress.firewall-first"), "{}", stdout(&o));
}
