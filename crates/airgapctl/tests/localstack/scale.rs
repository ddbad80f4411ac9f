//! Issue 14, point 13: an environment of 100 spoke accounts plans, applies and destroys, in
//! the simulator and against LocalStack. What AWS cannot tag (RAM principal associations
//! and acceptances, TGW associations, propagations, routes and attachment acceptances) used
//! to be recorded as tags on a shared parent, two per spoke account on the RAM share:
//! against EC2's and RAM's limit of 50 tags per resource, an environment stopped near 21
//! spoke accounts. Now nothing is written on a parent, and the plan's calls in the network
//! account follow its route tables and shares, not the spokes.
//!
//! The simulator runs 100 spoke accounts. Against LocalStack, 100 take about 2.5 minutes on
//! a fresh LocalStack but several times that late in the suite, when LocalStack holds every
//! earlier test's resources; so the suite runs 50 by default, past the 46 at which the
//! transit gateway's acceptance marks alone broke EC2's 50-tag limit, and
//! `AIRGAP_SCALE_SPOKES=100` runs the full count.

use std::collections::BTreeMap;
use std::time::Instant;

use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::{Account, LocalStack};
use aws_sdk_ec2::types::Filter;
use aws_sdk_ram::types::{ResourceOwner, ResourceShareAssociationType};

const SPOKES: usize = 100;

/// Spoke accounts of the LocalStack run (see the module's comment).
fn localstack_spokes() -> usize {
    std::env::var("AIRGAP_SCALE_SPOKES").ok().and_then(|v| v.parse().ok()).unwrap_or(50)
}
const SCALE: f64 = 0.01;

/// A hub and `SPOKES` spoke accounts with one small VPC each (no endpoints, one zone): the
/// resources that grow with the spokes are the shared ones, which is what this tests.
fn blueprint(env: &str, net: &str, spokes: &[String]) -> String {
    let mut s = format!(
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: {env}\n  \
         region: eu-central-1\naccounts:\n  network: {{ id: \"{net}\", role: airgap-deployer }}\n"
    );
    for (i, id) in spokes.iter().enumerate() {
        s.push_str(&format!("  s{i:03}: {{ id: \"{id}\", role: airgap-deployer }}\n"));
    }
    s.push_str(
        "availabilityZones: 1\nhub:\n  account: network\n  transitGateway: { asn: 64512 }\n  \
         inspectionVpc: { cidr: 100.64.0.0/22 }\nvpcs:\n",
    );
    for i in 0..spokes.len() {
        s.push_str(&format!(
            "  - name: s{i:03}\n    account: s{i:03}\n    cidr: 10.{i}.0.0/16\n    \
             subnets: {{ dataPlane: 24, transit: 28 }}\n    \
             endpoints: {{ interface: [], gateway: [] }}\n"
        ));
    }
    s
}

/// The call table of `--stats`: `service:Operation` -> count.
fn call_table(run: &Run) -> BTreeMap<String, u64> {
    run.stdout
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let (call, n) = (parts.next()?, parts.next()?);
            (call.contains(':') && parts.next().is_none())
                .then(|| Some((call.to_string(), n.parse().ok()?)))?
        })
        .collect()
}

#[test]
fn a_hundred_spoke_accounts_in_the_simulator() {
    let dir = Cli::new(env!("CARGO_BIN_EXE_airgapctl"), "scale-sim", "http://127.0.0.1:9");
    let spokes: Vec<String> =
        (0..SPOKES).map(|i| format!("{}", 200_000_000_000u64 + i as u64)).collect();
    dir.write("bp.yaml", &blueprint("scale", "100000000000", &spokes));
    let sim = ["--simulate", "--sim-time-scale", "0.001"];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter().chain(sim.iter()).map(|s| s.to_string()).collect()
    };
    let run = |args: Vec<String>| dir.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    run(with(&["apply", "-f", "bp.yaml", "--auto-approve", "--skip-verify"])).check(0, "apply");
    run(with(&["plan", "-f", "bp.yaml", "--detailed-exitcode"])).check(0, "plan after apply");
    run(with(&["destroy", "-f", "bp.yaml", "--auto-approve"])).check(0, "destroy");
    let after = run(with(&["plan", "-f", "bp.yaml", "--output", "json"]));
    after.check(0, "plan after destroy");
    let v: serde_json::Value = serde_json::from_str(&after.stdout).expect("plan JSON");
    let creates = v["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .filter(|n| n["action"]["action"] == "create")
        .count();
    assert!(creates > 20 * SPOKES, "everything is to be made again: {creates}");
}

async fn ec2(ls: &LocalStack, a: &Account) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&ls.sdk_config(a).await.expect("assume role"))
}

#[tokio::test(flavor = "multi_thread")]
async fn many_spoke_accounts_apply_plan_and_destroy() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let net = ls.account().await.expect("an account");
    let count = localstack_spokes();
    let spokes: Vec<Account> = ls.accounts(count).await.expect("accounts");
    for a in std::iter::once(&net).chain(&spokes) {
        ls.set_time_scale(a, SCALE).await.unwrap();
    }
    let env = format!("scale{}", &net.id()[..6]);
    let ids: Vec<String> = spokes.iter().map(|a| a.id().to_string()).collect();
    let dir = Cli::new(env!("CARGO_BIN_EXE_airgapctl"), "scale", ls.endpoint())
        .env("AIRGAP_TIME_SCALE", &SCALE.to_string())
        .env("AIRGAP_SKIP_VERIFY", "1");
    dir.write("bp.yaml", &blueprint(&env, net.id(), &ids));

    let t = Instant::now();
    dir.run(&["apply", "-f", "bp.yaml", "--auto-approve"]).check(0, "apply");
    let apply_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let plan = dir.run(&["plan", "-f", "bp.yaml", "--stats", "--detailed-exitcode"]);
    plan.check(0, "plan after apply: no changes");
    let plan_s = t.elapsed().as_secs_f64();
    let calls = call_table(&plan);
    // The network account reads the links and routes of its two TGW route tables once each,
    // and the principal associations of its one share once: not once per spoke.
    for (call, n) in [
        ("EC2:GetTransitGatewayRouteTableAssociations", 2),
        ("EC2:GetTransitGatewayRouteTablePropagations", 2),
        ("EC2:SearchTransitGatewayRoutes", 2),
    ] {
        assert_eq!(calls.get(call).copied(), Some(n), "{call}: {:?}", calls);
    }
    // One per spoke account for its own acceptance (the owner's view of it and its own
    // invitations), and one for the owner's associations.
    let links = calls.get("RAM:GetResourceShareAssociations").copied().unwrap_or(0);
    assert!(links <= 2 * count as u64 + 1, "{links} GetResourceShareAssociations");
    // Every account's zones are listed once for the zones and once for the associations
    // (shared by every account's observe): not once per account and observing account.
    let zones = calls.get("Route 53:ListHostedZones").copied().unwrap_or(0);
    assert!(zones <= 2 * (count as u64 + 1), "{zones} ListHostedZones");

    // Nothing is recorded on the shared parents: their tags are the four standard ones.
    let net_ec2 = ec2(&ls, &net).await;
    let env_filter = Filter::builder().name("tag:airgap:env").values(&env).build();
    let tables = net_ec2
        .describe_transit_gateway_route_tables()
        .filters(env_filter.clone())
        .send()
        .await
        .unwrap();
    // By the env tag here too: not every EC2 implementation filters route tables by tag.
    let tagged = |tags: &[aws_sdk_ec2::types::Tag]| {
        tags.iter().any(|t| t.key() == Some("airgap:env") && t.value() == Some(env.as_str()))
    };
    let tables: Vec<_> =
        tables.transit_gateway_route_tables().iter().filter(|t| tagged(t.tags())).collect();
    assert_eq!(tables.len(), 2);
    for t in tables {
        assert_eq!(t.tags().len(), 4, "{:?}", t.tags());
    }
    let tgws = net_ec2.describe_transit_gateways().filters(env_filter).send().await.unwrap();
    for t in tgws.transit_gateways().iter().filter(|t| tagged(t.tags())) {
        assert_eq!(t.tags().len(), 4, "{:?}", t.tags());
    }
    let ram = aws_sdk_ram::Client::new(&ls.sdk_config(&net).await.expect("assume role"));
    let shares =
        ram.get_resource_shares().resource_owner(ResourceOwner::SelfValue).send().await.unwrap();
    let share = shares
        .resource_shares()
        .iter()
        .find(|s| s.tags().iter().any(|t| t.key() == Some("airgap:env") && t.value() == Some(&env)))
        .expect("the environment's share");
    assert_eq!(share.tags().len(), 4, "{:?}", share.tags());
    let mut principals = Vec::new();
    let mut next = None;
    loop {
        let page = ram
            .get_resource_share_associations()
            .association_type(ResourceShareAssociationType::Principal)
            .resource_share_arns(share.resource_share_arn().unwrap_or_default())
            .set_next_token(next)
            .send()
            .await
            .unwrap();
        principals.extend(
            page.resource_share_associations()
                .iter()
                .filter(|a| a.status().map(|s| s.as_str()) == Some("ASSOCIATED"))
                .filter_map(|a| a.associated_entity().map(str::to_string)),
        );
        next = page.next_token().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    principals.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(principals, want, "every spoke account accepted");

    let t = Instant::now();
    dir.run(&["destroy", "-f", "bp.yaml", "--auto-approve"]).check(0, "destroy");
    let destroy_s = t.elapsed().as_secs_f64();
    for a in std::iter::once(&net).chain(&spokes) {
        let c = ec2(&ls, a).await;
        let f = Filter::builder().name("tag:airgap:env").values(&env).build();
        let vpcs = c.describe_vpcs().filters(f.clone()).send().await.unwrap();
        let atts = c.describe_transit_gateway_attachments().filters(f).send().await.unwrap();
        let live_atts = atts
            .transit_gateway_attachments()
            .iter()
            .filter(|x| x.state().map(|s| s.as_str()) != Some("deleted"))
            .count();
        assert!(vpcs.vpcs().is_empty() && live_atts == 0, "left in {}", a.id());
    }
    eprintln!(
        "{count} spoke accounts at time scale {SCALE}: apply {apply_s:.1}s, plan {plan_s:.1}s \
         ({} API calls over {} accounts), destroy {destroy_s:.1}s\n{}",
        plan.observe_calls(),
        count + 1,
        plan.stdout
    );
}
