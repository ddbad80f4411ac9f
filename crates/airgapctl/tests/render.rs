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

/// The plan of `graph` against an empty simulated cloud: every node a create.
async fn first_plan(graph: GraphBuilder) -> airgap_engine::Plan {
    let cloud = airgap_catalog::sim::cloud(0.0001);
    let reg = airgap_catalog::sim::registry(&cloud);
    plan("demo", &graph.seal().unwrap(), &reg, PlanMode::Apply, &[]).await.unwrap()
}

/// Two accounts, a VPC in each and resources outside any VPC; values of every shape:
/// known now, known after apply (alone and in a list), a JSON policy, a long list, a map.
fn two_accounts() -> GraphBuilder {
    let (hub, spoke) = (scope("111111111111"), scope("333333333333"));
    let mut b = GraphBuilder::new();
    b.add(Node::new("tgw", "transit-gateway", hub.clone()).attr("asn", 64512_i64));
    b.add(
        Node::new("firewall/rules/allow", "nfw-rule-group", hub.clone())
            .attr("type", "STATEFUL")
            .attr(
                "rules",
                Value::List(
                    (1..=30)
                        .map(|i| {
                            Value::str(format!(
                                "pass tcp $HOME_NET any -> 10.0.{i}.0/24 443 (sid:{i};)"
                            ))
                        })
                        .collect(),
                ),
            ),
    );
    b.add(Node::new("vpc/inspection", "vpc", hub.clone()).attr("cidr", "100.64.0.0/22"));
    b.add(
        Node::new("vpc/inspection/subnet/public/a", "subnet", hub)
            .attr("vpc", Value::reference("vpc/inspection", "id"))
            .attr("cidr", "100.64.0.0/28")
            .attr("az", "eu-central-1a"),
    );
    b.add(Node::new("vpc/workload", "vpc", spoke.clone()).attr("cidr", "10.10.0.0/16"));
    b.add(
        Node::new("vpc/workload/rt/a", "route-table", spoke.clone())
            .attr("vpc", Value::reference("vpc/workload", "id")),
    );
    b.add(
        Node::new("vpc/workload/endpoint/s3", "vpc-endpoint-gateway", spoke.clone())
            .attr("vpc", Value::reference("vpc/workload", "id"))
            .attr("service", "com.amazonaws.eu-central-1.s3")
            .attr("routeTables", Value::List(vec![Value::reference("vpc/workload/rt/a", "id")]))
            .attr(
                "policy",
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::prod-eu-central-1-starport-layer-bucket/*"]}]}"#,
            ),
    );
    b.add(
        Node::new("cluster/apps/nodegroup/general", "eks-nodegroup", spoke)
            .attr("instanceTypes", list(&["m6i.large", "m6a.large"]))
            .attr(
                "labels",
                Value::Map(
                    [("tier", "general"), ("team", "platform"), ("cost-centre", "cc-1234-shared")]
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), Value::str(v)))
                        .collect(),
                ),
            )
            .attr("size", 3_i64),
    );
    b
}

fn named_accounts() -> render::PlanStyle {
    render::PlanStyle {
        color: false,
        account_names: [("111111111111", "network"), ("333333333333", "workload")]
            .into_iter()
            .map(|(id, name)| (id.to_string(), name.to_string()))
            .collect(),
    }
}

#[tokio::test]
async fn plan_creates_grouped_by_account_and_vpc() {
    let p = first_plan(two_accounts()).await;
    let text = render::plan_with(&p, Some("Monthly cost change: +$1.00"), &named_accounts());
    assert!(!text.contains('\x1b'), "colour off means no escape codes:\n{text}");
    assert!(text.ends_with("Plan: 8 to add, 0 to change, 0 to replace, 0 to destroy.\n"));
    insta::assert_snapshot!(text);
}

#[tokio::test]
async fn plan_in_colour_marks_each_action() {
    let p = plan_over_v1(v2(), PlanMode::Apply).await;
    let style = render::PlanStyle { color: true, ..Default::default() };
    let text = render::plan_with(&p, None, &style);
    for (code, what) in [
        ("\x1b[32m  +\x1b[0m", "create in green"),
        ("\x1b[33m  ~\x1b[0m", "update in yellow"),
        ("\x1b[35m-/+\x1b[0m", "replace in magenta"),
        ("\x1b[35m+/-\x1b[0m", "create-before-destroy replace in magenta"),
        ("\x1b[31m  -\x1b[0m", "delete in red"),
        ("\x1b[31m# forces replacement\x1b[0m", "forcing field in red"),
        ("\x1b[1mAccount 111111111111/eu-central-1:\x1b[0m", "account header in bold"),
    ] {
        assert!(text.contains(code), "{what}: {code:?} not in\n{text}");
    }
    // The summary line stays plain and last.
    assert!(text.ends_with("Plan: 1 to add, 1 to change, 2 to replace, 1 to destroy.\n"));
    // Without colour the same plan has no escape codes at all.
    assert!(!render::plan(&p).contains('\x1b'));
}

#[tokio::test]
async fn json_plan_groups_and_marks_unknowns() {
    let p = first_plan(two_accounts()).await;
    let names = named_accounts().account_names;
    let doc = serde_json::to_value(airgapctl::planview::document(&p, &names)).unwrap();
    assert_eq!(doc["format_version"], 1);
    // Existing fields keep their names and shapes.
    assert_eq!(doc["env"], "demo");
    assert_eq!(doc["mode"], "apply");
    let nodes = doc["nodes"].as_array().unwrap();
    let node = |id: &str| nodes.iter().find(|n| n["id"] == id).unwrap().clone();
    let s3 = node("vpc/workload/endpoint/s3");
    assert_eq!(s3["action"]["action"], "create");
    assert_eq!(s3["scope"]["account"], "333333333333");
    assert_eq!(s3["desired"]["vpc"], serde_json::json!({"$unknown": true}));
    // Added: grouping and where each unknown comes from.
    assert_eq!(s3["account_name"], "workload");
    assert_eq!(s3["vpc"], "workload");
    assert_eq!(
        s3["known_after_apply"],
        serde_json::json!([
            {"path": "routeTables[0]", "ref": {"$ref": "vpc/workload/rt/a", "output": "id"}},
            {"path": "vpc", "ref": {"$ref": "vpc/workload", "output": "id"}},
        ])
    );
    assert!(node("tgw").get("vpc").is_none());
    assert!(node("tgw").get("known_after_apply").is_none());
    // Keys sorted: serde_json keeps insertion order when a crate of the workspace build
    // turns on its preserve_order feature, sorted order otherwise.
    insta::with_settings!({ sort_maps => true }, {
        insta::assert_json_snapshot!("json_plan_accounts", (&doc["accounts"], &doc["by_kind"]));
    });
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
