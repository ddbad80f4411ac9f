//! `airgapctl cost -f FILE`: the real binary on the example blueprints. No AWS and no
//! LocalStack: the endpoint given is a closed port, so a call would fail the command.

use std::path::{Path, PathBuf};

use airgap_testkit::cli::Cli;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");
/// Nothing listens here (the discard port): `cost` must not call AWS.
const NO_AWS: &str = "http://127.0.0.1:9";
const INVALID: i32 = 3;

fn plan(file: &str) -> String {
    let p: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans").join(file);
    p.to_str().unwrap().to_string()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6
}

#[test]
fn hub_spoke_table_has_accounts_kinds_totals_and_the_break_even() {
    let cli = Cli::new(BIN, "cost-table", NO_AWS);
    let r = cli.run(&["cost", "-f", &plan("hub-spoke.yaml")]).expect(0, "cost");
    // Accounts in the blueprint's order, each with its kinds and a subtotal.
    let (network, shared, workload) =
        (r.line("network a month"), r.line("shared a month"), r.line("workload a month"));
    assert!(network < shared && shared < workload, "{}", r.stdout);
    assert!(r.line("  network firewall") < network);
    assert!(r.stdout.contains("inspection: 2 firewall endpoint(s)"), "{}", r.stdout);
    assert!(r.stdout.contains("workload: ecr.api, 2 AZ"), "{}", r.stdout);
    assert!(r.stdout.contains("apps/general: 3 x m6i.large"), "{}", r.stdout);
    let total = &r.stdout.lines().nth(r.line("Total a month (730 h)")).unwrap();
    assert!(total.ends_with("$1,782.60"), "{total}");
    // No usage file: traffic is per GB, and the output says how to give it.
    assert!(r.stdout.contains("priced per GB only: give the GB a month with --usage FILE"));
    let ecr = &r.stdout.lines().nth(r.line("  ecr.api ")).unwrap();
    assert!(
        ecr.contains("$35.04")
            && ecr.contains("$18.02 in tooling")
            && ecr.ends_with("162 GB/month"),
        "{ecr}"
    );
    // 4 services x 18.02 central against 4 x 35.04 per VPC.
    assert!(
        r.stdout.contains("All 4 central: $72.08 a month instead of $140.16, plus $0.105/GB"),
        "{}",
        r.stdout
    );
}

#[test]
fn json_carries_the_lines_totals_and_break_even() {
    let cli = Cli::new(BIN, "cost-json", NO_AWS);
    let r = cli.run(&["cost", "-f", &plan("hub-spoke.yaml"), "--output", "json"]).expect(0, "cost");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["format_version"], 1);
    let e = &doc["estimate"];
    assert!(close(e["monthlyTotal"].as_f64().unwrap(), 1782.60), "{}", e["monthlyTotal"]);
    assert_eq!(e["region"], "eu-central-1");
    let firewall = doc["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "network-firewall")
        .unwrap();
    assert!(close(firewall["monthly"].as_f64().unwrap(), 576.70));
    let line =
        e["lines"].as_array().unwrap().iter().find(|l| l["item"] == "workload: sts, 2 AZ").unwrap();
    assert_eq!(line["account"], "workload");
    assert_eq!(line["basis"]["per"], "hour");
    assert_eq!(line["basis"]["units"], 2.0);
    let be = doc["break_even"].as_array().unwrap();
    assert_eq!(be.len(), 4);
    assert!((be[0]["breakEvenGb"].as_f64().unwrap() - 162.1).abs() < 0.01);
}

#[test]
fn a_usage_file_prices_traffic_and_a_ttl_gets_its_column() {
    let cli = Cli::new(BIN, "cost-usage", NO_AWS);
    let usage = cli.write(
        "usage.yaml",
        "vpcs:\n  workload:\n    endpoints: { ecr.dkr: 300 }\n    transitGateway: 50\negress:\n  firewall: 40\n",
    );
    let r =
        cli.run(&["cost", "-f", &plan("single-account.yaml"), "--usage", &usage]).expect(0, "cost");
    // single-account.yaml has `ttl: 8h`.
    assert!(r.stdout.contains("8 h TTL"), "{}", r.stdout);
    let dkr = &r.stdout.lines().nth(r.line("workload: ecr.dkr, data processed")).unwrap();
    assert!(dkr.contains("300 GB x $0.01/GB") && dkr.contains("$3.00"), "{dkr}");
}

#[test]
fn a_bad_usage_file_is_refused_at_its_line_and_column() {
    let cli = Cli::new(BIN, "cost-bad-usage", NO_AWS);
    let usage = cli.write("usage.yaml", "vpcs:\n  workload:\n    transitGateway: lots\n");
    let r = cli
        .run(&["cost", "-f", &plan("hub-spoke.yaml"), "--usage", &usage])
        .expect(INVALID, "cost");
    assert!(r.stderr.contains("usage.yaml:3:21: expected GB a month"), "{}", r.stderr);
    // A name the plan lacks: hub-spoke has no VPC "workloads".
    let usage = cli.write("typo.yaml", "vpcs:\n  workloads: { transitGateway: 1 }\n");
    let r = cli
        .run(&["cost", "-f", &plan("hub-spoke.yaml"), "--usage", &usage])
        .expect(INVALID, "cost");
    assert!(r.stderr.contains("typo.yaml:2:3: \"workloads\" is no VPC"), "{}", r.stderr);
    assert!(r.stderr.contains("the environment's: "), "{}", r.stderr);
}

#[test]
fn a_price_file_overrides_the_snapshot_and_must_match_the_region() {
    let cli = Cli::new(BIN, "cost-prices", NO_AWS);
    let shipped: Value =
        serde_json::from_str(include_str!("../../airgap-cost/prices/eu-central-1.json")).unwrap();
    let mut doubled = shipped.clone();
    doubled["eksClusterHour"] = 0.2.into();
    let prices = cli.write("prices.json", &doubled.to_string());
    let r = cli
        .run(&["cost", "-f", &plan("hub-spoke.yaml"), "--prices", &prices, "--output", "json"])
        .expect(0, "cost");
    let doc: Value = serde_json::from_str(&r.stdout).unwrap();
    // The cluster's hour from 0.10 to 0.20: 73.00 more a month.
    assert!(close(doc["estimate"]["monthlyTotal"].as_f64().unwrap(), 1782.60 + 73.0));

    let mut other = shipped;
    other["region"] = "us-east-1".into();
    let prices = cli.write("us.json", &other.to_string());
    let r = cli
        .run(&["cost", "-f", &plan("hub-spoke.yaml"), "--prices", &prices])
        .expect(INVALID, "cost");
    assert!(
        r.stderr.contains("holds the prices of us-east-1, but the environment is in eu-central-1"),
        "{}",
        r.stderr
    );
}

/// `plan` says what the plan changes in the month's cost just before its summary line:
/// the built-in hub-spoke scenario created, then destroyed, on the simulated cloud.
#[test]
fn plan_ends_with_the_monthly_cost_change() {
    let cli = Cli::new(BIN, "cost-plan", NO_AWS);
    let sim = ["--simulate", "--sim-time-scale", "0.0001"];
    let run = |args: &[&str]| cli.run(&[args, &sim[..]].concat());
    let r = run(&["plan"]).expect(0, "plan");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[lines.len() - 1].starts_with("Plan: "), "{}", r.stdout);
    assert!(
        lines[lines.len() - 2]
            .starts_with("Monthly cost change: +$1,782.60 ($0.00 -> $1,782.60 a month"),
        "{}",
        r.stdout
    );
    run(&["apply", "--auto-approve"]).expect(0, "apply");
    // Nothing to change, nothing to say about cost.
    let r = run(&["plan"]).expect(0, "plan");
    assert!(!r.stdout.contains("cost"), "{}", r.stdout);
    let r = run(&["plan", "--destroy"]).expect(0, "plan --destroy");
    assert!(
        r.stdout.contains("Monthly cost change: -$1,782.60 ($1,782.60 -> $0.00 a month"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_region_without_a_snapshot_needs_a_price_file() {
    let cli = Cli::new(BIN, "cost-region", NO_AWS);
    let text = std::fs::read_to_string(plan("hub-spoke.yaml")).unwrap();
    let bp = cli.write("west.yaml", &text.replace("region: eu-central-1", "region: eu-west-1"));
    let r = cli.run(&["cost", "-f", &bp]).expect(INVALID, "cost");
    assert!(
        r.stderr.contains(
            "no price snapshot ships for region eu-west-1 (shipped: eu-central-1, us-east-1)"
        ),
        "{}",
        r.stderr
    );
    // The same prices relabelled for the region are accepted with --prices.
    let mut prices: Value =
        serde_json::from_str(include_str!("../../airgap-cost/prices/eu-central-1.json")).unwrap();
    prices["region"] = "eu-west-1".into();
    let prices = cli.write("west.json", &prices.to_string());
    let r = cli.run(&["cost", "-f", &bp, "--prices", &prices]).expect(0, "cost");
    assert!(r.stdout.contains("$1,782.60"), "{}", r.stdout);
}
