//! Snapshots of the text the CLI prints, from plans and reports the engine produced
//! (or, for failures the simulation cannot be asked for, built by hand).

use std::sync::Arc;

use airgap_engine::exec::OpReport;
use airgap_engine::sim::SimCloud;
use airgap_engine::{
    execute, plan, ErrorClass, Event, Events, ExecOptions, GraphBuilder, Node, Op, Outcome,
    PlanMode, RateLimits, Report, Scope, Value,
};
use airgapctl::render;

fn scope(account: &str) -> Scope {
    Scope::new(account, "eu-central-1")
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::str(*s)).collect())
}

// The two versions of a small environment are built from the same nodes, with the
// values that change between them as arguments.

fn vpc(s: &Scope) -> Node {
    Node::new("vpc/a", "vpc", s.clone()).attr("cidr", "10.0.0.0/16").attr("name", "a")
}

fn subnet(id: &str, cidr: &str, s: &Scope) -> Node {
    Node::new(id, "subnet", s.clone())
        .attr("vpc", Value::reference("vpc/a", "id"))
        .attr("cidr", cidr)
}

fn security_group(purpose: &str, s: &Scope) -> Node {
    Node::new("vpc/a/sg", "security-group", s.clone())
        .attr("vpc", Value::reference("vpc/a", "id"))
        .attr("description", "web")
        .attr("purpose", purpose)
}

fn nodegroup(instance_type: &str, size: i64) -> Node {
    Node::new("cluster/ng", "eks-nodegroup", scope("333333333333"))
        .attr("instanceTypes", list(&[instance_type]))
        .attr("size", size)
}

/// The first version of a small environment.
fn v1() -> GraphBuilder {
    let s = scope("111111111111");
    let mut b = GraphBuilder::new();
    b.add(vpc(&s));
    b.add(subnet("vpc/a/subnet/x", "10.0.1.0/24", &s));
    b.add(security_group("old", &s));
    b.add(nodegroup("m5.large", 2));
    b.add(Node::new("logs/gone", "log-group", s).attr("name", "gone"));
    b
}

/// The second version: one of each kind of change.
fn v2() -> GraphBuilder {
    let s = scope("111111111111");
    let mut b = GraphBuilder::new();
    // Unchanged: not listed.
    b.add(vpc(&s));
    // A subnet's CIDR cannot change in place: delete, then create.
    b.add(subnet("vpc/a/subnet/x", "10.0.2.0/24", &s));
    // In-place update, one field changed and one new (a group's description could
    // not change in place: AWS fixes it at creation).
    b.add(security_group("new", &s).attr("owner", "platform"));
    // A nodegroup is replaced create-before-destroy; size alone would not force it.
    b.add(nodegroup("m6i.large", 3));
    // New.
    b.add(subnet("vpc/a/subnet/y", "10.0.3.0/24", &s));
    // logs/gone is no longer declared: deleted.
    b
}

fn fast() -> ExecOptions {
    ExecOptions { time_scale: 0.0001, limits: RateLimits::none(), ..Default::default() }
}

/// Applies v1 to a fresh simulated cloud and returns it.
async fn applied_v1() -> Arc<SimCloud> {
    let cloud = airgap_catalog::sim::cloud(0.0001);
    let reg = airgap_catalog::sim::registry(&cloud);
    let g = v1().seal().unwrap();
    let p = plan("demo", &g, &reg, PlanMode::Apply, &[]).await.unwrap();
    let report = execute(&p, &reg, &fast(), &Events::none()).await.unwrap();
    assert!(report.succeeded());
    cloud
}

/// The plan of `version` in `mode`, against a cloud where v1 is applied.
async fn plan_over_v1(version: GraphBuilder, mode: PlanMode) -> airgap_engine::Plan {
    let cloud = applied_v1().await;
    let reg = airgap_catalog::sim::registry(&cloud);
    plan("demo", &version.seal().unwrap(), &reg, mode, &[]).await.unwrap()
}

#[tokio::test]
async fn plan_with_every_action() {
    let p = plan_over_v1(v2(), PlanMode::Apply).await;
    let s = p.summary();
    assert_eq!((s.create, s.update, s.replace, s.delete, s.unchanged), (1, 1, 2, 1, 1));
    insta::assert_snapshot!(render::plan(&p));
}

#[tokio::test]
async fn plan_without_changes() {
    let p = plan_over_v1(v1(), PlanMode::Apply).await;
    assert_eq!(render::plan(&p), "No changes. The environment matches the blueprint.\n");
}

#[tokio::test]
async fn destroy_counts_by_account_and_kind() {
    let p = plan_over_v1(v1(), PlanMode::Destroy).await;
    insta::assert_snapshot!(render::destroy_counts(&p));
}

fn op(node: &str, kind: &str, op: Op, outcome: Outcome) -> OpReport {
    OpReport {
        node: node.into(),
        kind: kind.to_string(),
        op,
        outcome,
        remaining: None,
        checks: 0,
        lag_bound_s: None,
    }
}

/// A report of `ops`, its figures fixed where the test does not look at them.
fn report(ops: Vec<OpReport>, elapsed_s: f64, cancelled: bool) -> Report {
    Report { readiness_calls: 0, longest_chain_s: 3.0, ops, elapsed_s, cancelled, outputs: vec![] }
}

#[test]
fn report_success() {
    let r = report(
        vec![
            op("vpc/a", "vpc", Op::Create, Outcome::Done { elapsed_s: 3.0 }),
            op("vpc/a/sg", "security-group", Op::Update, Outcome::Done { elapsed_s: 1.0 }),
            op("logs/gone", "log-group", Op::Delete, Outcome::Done { elapsed_s: 1.0 }),
        ],
        4.25,
        false,
    );
    insta::assert_snapshot!(render::report(&r, PlanMode::Apply));
}

#[test]
fn report_failure_lists_root_causes_only() {
    let r = report(
        vec![
            op("vpc/a", "vpc", Op::Create, Outcome::Done { elapsed_s: 3.0 }),
            op(
                "vpc/a/subnet/x",
                "subnet",
                Op::Create,
                Outcome::Failed {
                    error: "InvalidSubnet.Conflict: the CIDR conflicts with another subnet".into(),
                    class: ErrorClass::Fatal,
                },
            ),
            op(
                "vpc/a/subnet/x/rt",
                "route-table-association",
                Op::Create,
                Outcome::Skipped { cause: "vpc/a/subnet/x".into() },
            ),
            op(
                "vpc/a/endpoint/sts",
                "vpc-endpoint-interface",
                Op::Create,
                Outcome::Skipped { cause: "vpc/a/subnet/x".into() },
            ),
        ],
        12.0,
        false,
    );
    insta::assert_snapshot!(render::report(&r, PlanMode::Apply));
}

#[test]
fn report_interrupted() {
    let r = report(
        vec![
            op("vpc/a", "vpc", Op::Delete, Outcome::Done { elapsed_s: 2.0 }),
            op("tgw", "transit-gateway", Op::Delete, Outcome::Interrupted),
            op("firewall", "firewall", Op::Delete, Outcome::NotStarted),
        ],
        30.5,
        true,
    );
    insta::assert_snapshot!(render::report(&r, PlanMode::Destroy));
}

#[test]
fn event_lines() {
    let events = [
        Event::RunStarted { operations: 3 },
        Event::Started {
            at_s: 0.0,
            node: "vpc/workload".into(),
            kind: "vpc".into(),
            op: Op::Create,
        },
        Event::Waiting {
            at_s: 0.2,
            node: "vpc/workload".into(),
            op: Op::Create,
            status: "pending".into(),
        },
        Event::Retrying {
            at_s: 1.5,
            node: "tgw".into(),
            op: Op::Delete,
            error: "DependencyViolation: in use".into(),
            after_s: 0.8,
        },
        Event::Done { at_s: 3.1, node: "vpc/workload".into(), op: Op::Create, elapsed_s: 3.1 },
        Event::Failed {
            at_s: 12.3,
            node: "vpc/workload/sg".into(),
            op: Op::Update,
            error: "InvalidGroup.NotFound: gone".into(),
            class: ErrorClass::NotFound,
        },
        Event::Skipped {
            node: "vpc/workload/sg/https".into(),
            op: Op::Create,
            cause: "vpc/workload/sg".into(),
        },
        Event::Cancelling { at_s: 130.0, in_flight: 2 },
        Event::RunFinished { at_s: 131.0, done: 1, failed: 1, skipped: 1, not_started: 0 },
    ];
    let lines: Vec<String> = events.iter().filter_map(render::event_line).collect();
    insta::assert_snapshot!(lines.join("\n"));
}

#[test]
fn stats_table() {
    let calls =
        [("vpc:observe".to_string(), 3), ("subnet:observe".to_string(), 3)].into_iter().collect();
    insta::assert_snapshot!(render::stats(6, &calls));
}

#[test]
fn readiness_figures_and_the_call_table() {
    let mut r =
        report(vec![op("vpc/a", "vpc", Op::Create, Outcome::Done { elapsed_s: 1.0 })], 1.0, false);
    r.longest_chain_s = 1.0;
    r.ops[0].checks = 4;
    r.ops[0].lag_bound_s = Some(0.5);
    r.readiness_calls = 3;
    assert_eq!(
        render::readiness(&r.readiness()),
        "Readiness: 3 calls for 4 checks (3.0 calls per resource waited for); \
         seen finished at most 0.5 s late (p50), 0.5 s (p99)\n"
    );
    let calls = std::collections::BTreeMap::from([
        ("ec2:DescribeVpcEndpoints".to_string(), 7),
        ("ec2:CreateVpc".to_string(), 1),
    ]);
    assert_eq!(
        render::calls(&calls),
        "API calls: 8\n  ec2:CreateVpc                 1\n  ec2:DescribeVpcEndpoints      7\n"
    );
}
