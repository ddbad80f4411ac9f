//! The inspection VPC with AWS Network Firewall against LocalStack, through the real
//! binary: plans/hub-spoke.yaml without its clusters and registries, in three fresh
//! accounts at LocalStack time scale 0.01. Checked with SDK calls: the policy, the rule
//! groups and their domains, the firewall READY with an endpoint per AZ and its logging,
//! appliance mode, every route of the inspection VPC; an allowlist change updates the
//! rule group in place (through a stale UpdateToken), a second plan has no changes, and
//! destroy leaves nothing tagged.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use airgap_engine::opgraph::OpGraph;

use airgap_engine::{plan, PlanMode};
use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::{Account, LocalStack};
use aws_sdk_ec2::types::Filter;
use aws_types::SdkConfig;
use serde_json::Value as Json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");
const SCALE: f64 = 0.01;
const ENV: &str = "hub-spoke";
const AZS: [&str; 2] = ["a", "b"];
const SPOKES: [(&str, &str); 3] =
    [("workload", "10.10.0.0/16"), ("tooling", "10.20.0.0/20"), ("access", "10.30.0.0/22")];
const DOMAINS: [&str; 2] = [".amazonaws.com", "api.partner.example"];
const DOMAINS_V2: [&str; 2] = [".amazonaws.com", "registry.example.org"];

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}

/// plans/hub-spoke.yaml with the test's accounts, without `clusters`, `registries` and
/// `access` (whose VPN reaches a cluster).
fn blueprint(ids: [&str; 3]) -> String {
    let text = std::fs::read_to_string(repo_file("plans/hub-spoke.yaml")).expect("example");
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        let top_level = !line.starts_with([' ', '#', '-']) && line.contains(':');
        if top_level {
            skipping = ["clusters:", "registries:", "access:"].iter().any(|k| line.starts_with(k));
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    for (placeholder, id) in ["111111111111", "222222222222", "333333333333"].iter().zip(ids) {
        assert!(out.contains(placeholder), "{placeholder} in hub-spoke.yaml");
        out = out.replace(placeholder, id);
    }
    assert!(!out.contains("clusters:") && !out.contains("registries:"));
    out
}

fn allowlist(domains: &[&str]) -> String {
    let quoted: Vec<String> = domains.iter().map(|d| format!("{d:?}")).collect();
    format!("allowDomains: [{}]", quoted.join(", "))
}

/// DescribeVpcEndpoints calls in the API call table `--stats` printed in `text` (and
/// the readiness figures, printed).
fn vpc_endpoint_calls(text: &str) -> u64 {
    if let Some(waited) = text.lines().find(|l| l.starts_with("Readiness: ")) {
        eprintln!("{waited}");
    }
    let line = text
        .lines()
        .find(|l| l.trim_start().contains(":DescribeVpcEndpoints "))
        .unwrap_or_else(|| panic!("no DescribeVpcEndpoints in the --stats table:\n{text}"));
    let n = line.split_whitespace().last().and_then(|n| n.parse().ok()).expect("a count");
    eprintln!("  DescribeVpcEndpoints: {n}");
    n
}

/// Runs airgapctl against LocalStack at this file's time scale, with the base
/// credentials `test`/`test` (each account's role is assumed by airgapctl).
async fn airgapctl(cli: &Cli, args: &[&str]) -> Run {
    let scale = SCALE.to_string();
    let mut all = args.to_vec();
    all.extend(["--time-scale", scale.as_str()]);
    cli.run_async(&all).await
}

fn env_tag_filter() -> Filter {
    Filter::builder().name("tag:airgap:env").values(ENV).build()
}

fn ec2_tags(tags: &[aws_sdk_ec2::types::Tag]) -> HashMap<String, String> {
    tags.iter().filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string()))).collect()
}

fn nfw_tags(tags: &[aws_sdk_networkfirewall::types::Tag]) -> HashMap<String, String> {
    tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect()
}

/// The `airgap:id` of a resource of this env.
fn node_of(tags: &HashMap<String, String>) -> Option<String> {
    (tags.get("airgap:env").map(String::as_str) == Some(ENV))
        .then(|| tags.get("airgap:id").cloned())
        .flatten()
}

/// The expected time to build the blueprint's graph: its critical path with the
/// engine's expected create durations, in AWS seconds.
async fn critical_path(file: &Path) -> Duration {
    let bp = airgap_blueprint::load(file).expect("valid blueprint").blueprint;
    let graph = airgap_blueprint::expand(&bp).expect("expands").seal().expect("seals");
    let cloud = airgap_catalog::sim::cloud(1.0);
    let registry = airgap_catalog::sim::registry(&cloud);
    let p = plan(ENV, &graph, &registry, PlanMode::Apply, &[]).await.expect("plan");
    let ops = OpGraph::build(&p, &registry).expect("op graph");
    let durations: Vec<Duration> = ops
        .ops
        .iter()
        .map(|o| airgap_catalog::get(&p.nodes[o.plan_ix].kind).expect("known kind").timing.create)
        .collect();
    ops.longest_path(&durations)
}

/// The nodes `node` of the blueprint's graph depends on.
fn dependencies_of(file: &Path, node: &str) -> Vec<String> {
    let bp = airgap_blueprint::load(file).expect("valid blueprint").blueprint;
    let graph = airgap_blueprint::expand(&bp).expect("expands").seal().expect("seals");
    let i = graph.index_of(&node.into()).expect("the node");
    graph.dependencies(i).map(|d| graph.node(d).id.0.clone()).collect()
}

/// When each node's create started and finished, from `--output json` events.
fn spans(json_lines: &str) -> HashMap<String, (f64, f64)> {
    let mut out: HashMap<String, (f64, f64)> = HashMap::new();
    for l in json_lines.lines() {
        let Ok(e) = serde_json::from_str::<Json>(l) else {
            continue;
        };
        let (Some(node), Some(at)) = (e["node"].as_str(), e["at_s"].as_f64()) else {
            continue;
        };
        match e["event"].as_str() {
            Some("started") => {
                out.insert(node.to_string(), (at, f64::NAN));
            }
            Some("done") => {
                if let Some(s) = out.get_mut(node) {
                    s.1 = at;
                }
            }
            _ => {}
        }
    }
    out
}

/// The firewall of the env (there is one): its description.
async fn firewall(
    nfw: &aws_sdk_networkfirewall::Client,
) -> Result<
    aws_sdk_networkfirewall::operation::describe_firewall::DescribeFirewallOutput,
    Box<dyn std::error::Error>,
> {
    let listed = nfw.list_firewalls().send().await?;
    assert_eq!(listed.firewalls().len(), 1, "{listed:?}");
    let arn = listed.firewalls()[0].firewall_arn().unwrap_or_default();
    Ok(nfw.describe_firewall().firewall_arn(arn).send().await?)
}

/// Rule groups of the env by node id: (ARN, the group).
async fn rule_groups(
    nfw: &aws_sdk_networkfirewall::Client,
) -> Result<
    BTreeMap<
        String,
        (String, aws_sdk_networkfirewall::operation::describe_rule_group::DescribeRuleGroupOutput),
    >,
    Box<dyn std::error::Error>,
> {
    let mut out = BTreeMap::new();
    for m in nfw.list_rule_groups().send().await?.rule_groups() {
        let arn = m.arn().unwrap_or_default().to_string();
        let d = nfw.describe_rule_group().rule_group_arn(&arn).send().await?;
        let tags = nfw_tags(d.rule_group_response().map(|r| r.tags()).unwrap_or_default());
        if let Some(id) = node_of(&tags) {
            out.insert(id, (arn, d));
        }
    }
    Ok(out)
}

fn domains_of(
    d: &aws_sdk_networkfirewall::operation::describe_rule_group::DescribeRuleGroupOutput,
) -> BTreeSet<String> {
    d.rule_group()
        .and_then(|g| g.rules_source())
        .and_then(|s| s.rules_source_list())
        .map(|l| l.targets().iter().cloned().collect())
        .unwrap_or_default()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hub_spoke_with_the_firewall_applies_updates_in_place_and_destroys() -> TestResult {
    let ls = LocalStack::connect().await?;
    let features = ls.airgap_config().await?["features"].clone();
    assert!(
        features
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "network-firewall-vpc-endpoints")),
        "the LocalStack at {} runs an older airgap extension, whose firewall endpoints \
         cannot be routed to: restart it (localstack/stop, localstack/start)",
        ls.endpoint()
    );
    let accounts: Vec<Account> = ls.accounts(3).await?;
    for a in &accounts {
        ls.set_time_scale(a, SCALE).await?;
    }
    let (network, shared, workload) = (&accounts[0], &accounts[1], &accounts[2]);
    // hub-spoke without its clusters and registries: its ECR endpoints then get no policy
    // (they are made from `registries`), which verify refuses; the firewall's lifecycle is
    // what this test is about.
    let cli = Cli::new(BIN, "firewall", ls.endpoint()).env("AIRGAP_SKIP_VERIFY", "1");
    let v1 = blueprint([network.id(), shared.id(), workload.id()]);
    assert!(v1.contains(&allowlist(&DOMAINS)), "the example's allowlist");
    let f = &cli.write("hub-spoke.yaml", &v1);

    // Apply, with events to see what overlapped.
    let t0 = Instant::now();
    let apply =
        airgapctl(&cli, &["--output", "json", "apply", "-f", f, "--auto-approve", "--stats"])
            .await
            .expect(0, "apply");
    // DescribeVpcEndpoints over the whole cycle: the endpoints' readiness is checked in
    // batches, so it stays far below one call per endpoint per check.
    let mut endpoint_calls = vpc_endpoint_calls(&apply.stderr);
    let apply_s = t0.elapsed().as_secs_f64();
    let spans = spans(&apply.stdout);
    let last = apply.stdout.lines().last().unwrap_or_default();
    let finished: Json = serde_json::from_str(last)?;
    assert_eq!(finished["event"], "run_finished", "{last}");
    assert_eq!(finished["failed"], 0, "{last}");
    let engine_s = finished["at_s"].as_f64().unwrap_or(apply_s);
    let cp = critical_path(&cli.dir().join(f)).await.as_secs_f64();
    eprintln!(
        "apply at time scale {SCALE}: {engine_s:.1} s in the engine ({apply_s:.1} s with \
         connecting and planning); critical path {cp:.0} s of AWS time = {:.1} s at this scale",
        cp * SCALE
    );
    // The firewall's wait (360 s) and the transit gateway's (150 s, then attachments)
    // run side by side: the run takes about the longest chain, not the sum. The firewall
    // waits for its own dependencies only: it starts as soon as the last is done, and
    // runs beside the gateway whenever they are done before it. (At this scale the
    // gateway takes ~2 s, about as long as the firewall's dependencies on a busy machine,
    // so whether the two overlap at all depends on the machine, not on the engine.)
    let (fw0, fw1) = spans["firewall"];
    let (tgw0, tgw1) = spans["tgw"];
    let deps_done = dependencies_of(&cli.dir().join(f), "firewall")
        .iter()
        .map(|d| spans[d.as_str()].1)
        .fold(0.0, f64::max);
    assert!(
        fw0 - deps_done < 1.0,
        "the firewall started at {fw0} s, {} s after its last dependency was done",
        fw0 - deps_done
    );
    if deps_done + 1.0 < tgw1 {
        assert!(
            tgw0 < fw1 && fw0 < tgw1,
            "firewall {fw0}-{fw1} s and transit gateway {tgw0}-{tgw1} s did not overlap"
        );
    }
    let sum: f64 = ["firewall", "tgw", "tgw/attachment/inspection"]
        .iter()
        .map(|n| spans[*n].1 - spans[*n].0)
        .sum();
    assert!(
        engine_s < sum + 0.5 * (fw1 - fw0),
        "apply took {engine_s} s; firewall, transit gateway and attachment alone: {sum} s"
    );

    let net_conf: SdkConfig = ls.sdk_config(network).await?;
    let nfw = aws_sdk_networkfirewall::Client::new(&net_conf);
    let ec2 = aws_sdk_ec2::Client::new(&net_conf);
    let logs = aws_sdk_cloudwatchlogs::Client::new(&net_conf);

    // The firewall: READY, one endpoint per AZ in the firewall subnets, logging.
    let fw = firewall(&nfw).await?;
    let fw_arn = fw.firewall().and_then(|f| f.firewall_arn()).unwrap_or_default().to_string();
    let status = fw.firewall_status().expect("status");
    assert_eq!(status.status().as_str(), "READY");
    let subnets = ec2.describe_subnets().filters(env_tag_filter()).send().await?;
    let subnet_of: HashMap<String, (String, String)> = subnets
        .subnets()
        .iter()
        .filter_map(|s| {
            let id = node_of(&ec2_tags(s.tags()))?;
            Some((id, (s.subnet_id()?.to_string(), s.availability_zone()?.to_string())))
        })
        .collect();
    let mut endpoint: HashMap<&str, String> = HashMap::new();
    let sync = status.sync_states().expect("sync states");
    assert_eq!(sync.len(), AZS.len(), "{sync:?}");
    for az in AZS {
        let (subnet, zone) = &subnet_of[&format!("vpc/inspection/subnet/firewall/{az}")];
        assert_eq!(zone, &format!("eu-central-1{az}"));
        let att = sync[zone].attachment().expect("attachment");
        assert_eq!(att.subnet_id(), Some(subnet.as_str()));
        assert_eq!(att.status().map(|s| s.as_str()), Some("READY"));
        endpoint.insert(az, att.endpoint_id().expect("endpoint").to_string());
    }
    let logging = nfw.describe_logging_configuration().firewall_arn(&fw_arn).send().await?;
    let destinations: BTreeMap<String, String> = logging
        .logging_configuration()
        .map(|l| l.log_destination_configs())
        .unwrap_or_default()
        .iter()
        .map(|d| {
            assert_eq!(d.log_destination_type().as_str(), "CloudWatchLogs");
            (d.log_type().as_str().to_string(), d.log_destination()["logGroup"].clone())
        })
        .collect();
    assert_eq!(
        destinations,
        BTreeMap::from([
            ("ALERT".into(), format!("/aws/vendedlogs/airgap/{ENV}/firewall/alert")),
            ("FLOW".into(), format!("/aws/vendedlogs/airgap/{ENV}/firewall/flow")),
        ])
    );
    for group in destinations.values() {
        let g = logs.describe_log_groups().log_group_name_prefix(group).send().await?;
        let g = g.log_groups().first().expect("log group exists");
        assert_eq!(g.retention_in_days(), Some(30));
        let tags = logs
            .list_tags_for_resource()
            .resource_arn(g.log_group_arn().unwrap_or_default())
            .send()
            .await?;
        assert!(node_of(tags.tags().expect("tags")).is_some(), "{tags:?}");
    }

    // The policy: forward to the stateful engine, strict order, drop and alert
    // established, the domain list first and the allow rules after it.
    let groups = rule_groups(&nfw).await?;
    assert_eq!(
        groups.keys().collect::<Vec<_>>(),
        ["firewall/rules/allow", "firewall/rules/domains"]
    );
    let policy_arn = fw.firewall().map(|f| f.firewall_policy_arn()).unwrap_or_default();
    let policy = nfw.describe_firewall_policy().firewall_policy_arn(policy_arn).send().await?;
    let tags = nfw_tags(policy.firewall_policy_response().expect("resp").tags());
    assert_eq!(node_of(&tags).as_deref(), Some("firewall/policy"));
    let body = policy.firewall_policy().expect("policy");
    assert_eq!(body.stateless_default_actions(), ["aws:forward_to_sfe"]);
    assert_eq!(body.stateless_fragment_default_actions(), ["aws:forward_to_sfe"]);
    assert_eq!(
        body.stateful_engine_options().and_then(|o| o.rule_order()).map(|o| o.as_str()),
        Some("STRICT_ORDER")
    );
    assert_eq!(
        body.stateful_default_actions().iter().cloned().collect::<BTreeSet<_>>(),
        set(&["aws:alert_established", "aws:drop_established"])
    );
    let refs: Vec<(&str, Option<i32>)> = body
        .stateful_rule_group_references()
        .iter()
        .map(|r| (r.resource_arn(), r.priority()))
        .collect();
    assert_eq!(
        refs,
        [
            (groups["firewall/rules/domains"].0.as_str(), Some(100)),
            (groups["firewall/rules/allow"].0.as_str(), Some(200)),
        ]
    );

    // The rule groups: the allowlist on TLS SNI and HTTP Host, the UDP rule, both
    // matching the spokes' traffic (HOME_NET) in strict order.
    let home: BTreeSet<String> =
        std::iter::once("100.64.0.0/22").chain(SPOKES.map(|s| s.1)).map(str::to_string).collect();
    for (id, (_, d)) in &groups {
        let g = d.rule_group().expect("rule group");
        assert_eq!(
            d.rule_group_response().and_then(|r| r.r#type()).map(|t| t.as_str()),
            Some("STATEFUL"),
            "{id}"
        );
        assert_eq!(
            g.stateful_rule_options().and_then(|o| o.rule_order()).map(|o| o.as_str()),
            Some("STRICT_ORDER"),
            "{id}"
        );
        let home_net: BTreeSet<String> = g
            .rule_variables()
            .and_then(|v| v.ip_sets())
            .and_then(|m| m.get("HOME_NET"))
            .map(|s| s.definition().iter().cloned().collect())
            .unwrap_or_default();
        assert_eq!(home_net, home, "{id}");
    }
    let (domains_arn, domains) = &groups["firewall/rules/domains"];
    assert_eq!(domains_of(domains), set(&DOMAINS));
    let list = domains
        .rule_group()
        .and_then(|g| g.rules_source())
        .and_then(|s| s.rules_source_list())
        .expect("domain list");
    assert_eq!(list.generated_rules_type().as_str(), "ALLOWLIST");
    assert_eq!(
        list.target_types().iter().map(|t| t.as_str()).collect::<BTreeSet<_>>(),
        ["HTTP_HOST", "TLS_SNI"].into_iter().collect()
    );
    let rules = groups["firewall/rules/allow"]
        .1
        .rule_group()
        .and_then(|g| g.rules_source())
        .and_then(|s| s.rules_string())
        .unwrap_or_default()
        .to_string();
    assert!(rules.contains("pass udp $HOME_NET any -> 0.0.0.0/0 123"), "{rules}");

    // Appliance mode on the inspection VPC's attachment.
    let atts =
        ec2.describe_transit_gateway_vpc_attachments().filters(env_tag_filter()).send().await?;
    let inspection = atts
        .transit_gateway_vpc_attachments()
        .iter()
        .find(|a| node_of(&ec2_tags(a.tags())).as_deref() == Some("tgw/attachment/inspection"))
        .expect("inspection attachment");
    assert_eq!(
        inspection.options().and_then(|o| o.appliance_mode_support()).map(|v| v.as_str()),
        Some("enable")
    );
    let tgw = inspection.transit_gateway_id().unwrap_or_default().to_string();

    // Every route of the inspection VPC, AZ by AZ.
    // Node id -> AWS id, of what the env tag finds.
    let ids = |pairs: Vec<(Option<String>, Option<&str>)>| -> HashMap<String, String> {
        pairs.into_iter().filter_map(|(id, phys)| Some((id?, phys?.to_string()))).collect()
    };
    let found = ec2.describe_nat_gateways().filter(env_tag_filter()).send().await?;
    let nats = ids(found
        .nat_gateways()
        .iter()
        .map(|n| (node_of(&ec2_tags(n.tags())), n.nat_gateway_id()))
        .collect());
    let found = ec2.describe_internet_gateways().filters(env_tag_filter()).send().await?;
    let igws = ids(found
        .internet_gateways()
        .iter()
        .map(|g| (node_of(&ec2_tags(g.tags())), g.internet_gateway_id()))
        .collect());
    let tables = ec2.describe_route_tables().filters(env_tag_filter()).send().await?;
    let routes: HashMap<String, HashMap<String, String>> = tables
        .route_tables()
        .iter()
        .filter_map(|t| {
            let id = node_of(&ec2_tags(t.tags()))?;
            let r = t
                .routes()
                .iter()
                .filter_map(|r| {
                    let target = r.gateway_id().or(r.nat_gateway_id()).or(r.transit_gateway_id())?;
                    Some((r.destination_cidr_block()?.to_string(), target.to_string()))
                })
                .collect();
            Some((id, r))
        })
        .collect();
    for az in AZS {
        let rt = |tier: &str| &routes[&format!("vpc/inspection/rt/{tier}/{az}")];
        let ep = &endpoint[az];
        assert_eq!(rt("transit")["0.0.0.0/0"], *ep, "transit {az} -> firewall");
        let fw_rt = rt("firewall");
        assert_eq!(
            fw_rt["0.0.0.0/0"],
            nats[&format!("vpc/inspection/nat/{az}")],
            "firewall {az} -> NAT"
        );
        let public = rt("public");
        assert_eq!(public["0.0.0.0/0"], igws["vpc/inspection/igw"], "public {az}");
        for (_, cidr) in SPOKES {
            assert_eq!(public[cidr], *ep, "public {az}: {cidr} back through the firewall");
            assert_eq!(fw_rt[cidr], tgw, "firewall {az}: {cidr} back to the spoke");
        }
    }
    let nat_subnets: HashMap<String, String> = ec2
        .describe_nat_gateways()
        .filter(env_tag_filter())
        .send()
        .await?
        .nat_gateways()
        .iter()
        .filter_map(|n| Some((n.nat_gateway_id()?.to_string(), n.subnet_id()?.to_string())))
        .collect();
    for az in AZS {
        assert_eq!(
            nat_subnets[&nats[&format!("vpc/inspection/nat/{az}")]],
            subnet_of[&format!("vpc/inspection/subnet/public/{az}")].0,
            "the NAT of {az} is in the public subnet of {az}"
        );
    }

    // Nothing to do on a second plan.
    let plan = airgapctl(&cli, &["plan", "-f", f, "--detailed-exitcode", "--stats"])
        .await
        .expect(0, "plan after apply");
    endpoint_calls += vpc_endpoint_calls(&plan.stdout);

    // An allowlist change: an in-place update of the rule group, showing the domains
    // added and removed; the first UpdateRuleGroup meets a stale token.
    cli.write(f, &v1.replace(&allowlist(&DOMAINS), &allowlist(&DOMAINS_V2)));
    let plan = airgapctl(&cli, &["plan", "-f", f, "--detailed-exitcode", "--stats"])
        .await
        .expect(2, "plan of the allowlist change");
    endpoint_calls += vpc_endpoint_calls(&plan.stdout);
    assert!(
        plan.stdout.contains("  ~ firewall/rules/domains (nfw-rule-group, ")
            && plan.stdout.contains("        + \"registry.example.org\"\n")
            && plan.stdout.contains("        - \"api.partner.example\"\n")
            && plan.stdout.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."),
        "{}",
        plan.stdout
    );
    let stale = ls
        .inject_fault(serde_json::json!({
            "service": "network-firewall",
            "operation": "UpdateRuleGroup",
            "fault": "server_error",
            "code": "InvalidTokenException",
            "message": "Update token is out of date.",
            "status": 400,
            "count": 1,
            "account": network.id(),
        }))
        .await?;
    let update = airgapctl(&cli, &["apply", "-f", f, "--auto-approve", "--stats"])
        .await
        .expect(0, "apply of the allowlist change");
    endpoint_calls += vpc_endpoint_calls(&update.stdout);
    let rule = ls.lift_fault(&stale).await?;
    assert_eq!(rule["hits"], 1, "the stale token was met: {rule}");
    assert!(
        update.stdout.contains("retrying") && update.stdout.contains("InvalidTokenException"),
        "{}",
        update.stdout
    );
    assert!(update.stdout.contains(": 0 created, 1 updated, 0 deleted."), "{}", update.stdout);
    let after = rule_groups(&nfw).await?;
    assert_eq!(after["firewall/rules/domains"].0, *domains_arn, "same group");
    assert_eq!(domains_of(&after["firewall/rules/domains"].1), set(&DOMAINS_V2));
    let fw_after = firewall(&nfw).await?;
    assert_eq!(
        fw_after.firewall().and_then(|f| f.firewall_arn()),
        Some(fw_arn.as_str()),
        "the firewall stays"
    );
    let plan = airgapctl(&cli, &["plan", "-f", f, "--detailed-exitcode", "--stats"])
        .await
        .expect(0, "plan after the allowlist change");
    endpoint_calls += vpc_endpoint_calls(&plan.stdout);

    // Destroy: nothing tagged remains, kind by kind, in any account.
    let t0 = Instant::now();
    let destroy = airgapctl(&cli, &["destroy", "-f", f, "--auto-approve", "--stats"])
        .await
        .expect(0, "destroy");
    let destroy_calls = vpc_endpoint_calls(&destroy.stdout);
    endpoint_calls += destroy_calls;
    let waited = destroy.stdout.lines().find(|l| l.starts_with("Readiness: ")).unwrap_or_default();
    eprintln!(
        "destroy at time scale {SCALE}: {:.1} s (the firewall's delete: 1260 s on AWS); \
         {destroy_calls} DescribeVpcEndpoints; {waited}",
        t0.elapsed().as_secs_f64()
    );
    // 19 endpoints in 3 accounts, applied, planned 3 times, updated and destroyed.
    eprintln!("one hub-spoke cycle: {endpoint_calls} DescribeVpcEndpoints calls");
    assert!(endpoint_calls <= 60, "{endpoint_calls} DescribeVpcEndpoints calls in one cycle");
    let mut left: Vec<String> = Vec::new();
    for a in &accounts {
        left.extend(sweep(&ls.sdk_config(a).await?, a).await?);
    }
    assert!(left.is_empty(), "left after destroy: {left:?}");
    airgapctl(&cli, &["plan", "-f", f, "--destroy", "--detailed-exitcode"])
        .await
        .expect(0, "destroy plan after destroy");
    Ok(())
}

/// What the env still has in one account, kind by kind.
async fn sweep(conf: &SdkConfig, a: &Account) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let ec2 = aws_sdk_ec2::Client::new(conf);
    let mut left: Vec<String> = crate::support::census::ec2_left(&ec2, ENV)
        .await?
        .into_iter()
        .map(|k| format!("{a}: {k}"))
        .collect();

    // The accounts are the test's own: anything of these services is left over.
    let mut other = Vec::new();
    let nfw = aws_sdk_networkfirewall::Client::new(conf);
    for m in nfw.list_firewalls().send().await?.firewalls() {
        other.push(format!("{a}: firewall {:?}", m.firewall_name()));
    }
    for m in nfw.list_firewall_policies().send().await?.firewall_policies() {
        other.push(format!("{a}: nfw-policy {:?}", m.name()));
    }
    for m in nfw.list_rule_groups().send().await?.rule_groups() {
        other.push(format!("{a}: nfw-rule-group {:?}", m.name()));
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(conf);
    for prefix in ["/aws/vendedlogs/airgap/", "/airgap/"] {
        let found = logs.describe_log_groups().log_group_name_prefix(prefix).send().await?;
        for g in found.log_groups() {
            other.push(format!("{a}: log-group {:?}", g.log_group_name()));
        }
    }
    let ram = aws_sdk_ram::Client::new(conf);
    for sh in ram
        .get_resource_shares()
        .resource_owner(aws_sdk_ram::types::ResourceOwner::SelfValue)
        .send()
        .await?
        .resource_shares()
    {
        let tags: HashMap<String, String> = sh
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
            .collect();
        let st = sh.status().map_or("", |s| s.as_str());
        if let Some(id) = node_of(&tags).filter(|_| st != "DELETED" && st != "DELETING") {
            left.push(format!("{a}: ram-share {id}"));
        }
    }
    left.extend(other);
    Ok(left)
}

/// A run killed (SIGKILL) while the firewall is PROVISIONING leaves a firewall without
/// endpoints, which the routes of the inspection VPC need. The next apply waits for it
/// (`<=` in the plan) instead of failing those routes, and converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_while_the_firewall_provisions_converges() -> TestResult {
    use std::io::BufRead;
    let ls = LocalStack::connect().await?;
    let accounts: Vec<Account> = ls.accounts(3).await?;
    for a in &accounts {
        ls.set_time_scale(a, SCALE).await?;
    }
    // The firewall provisions for 360 s x 0.04 = 14.4 s: room for a kill and a new run
    // (which first waits out the killed run's 2 s lease) even on a busy machine, while
    // the account's other waits (the transit gateway's 6 s) stay within the engine's
    // timeouts scaled by 0.01.
    ls.set_time_scale(&accounts[0], 0.04).await?;
    // hub-spoke without its clusters and registries: its ECR endpoints then get no policy
    // (they are made from `registries`), which verify refuses; the firewall's lifecycle is
    // what this test is about.
    let cli = Cli::new(BIN, "firewall-kill", ls.endpoint()).env("AIRGAP_SKIP_VERIFY", "1");
    let f = &cli.write(
        "hub-spoke.yaml",
        &blueprint([accounts[0].id(), accounts[1].id(), accounts[2].id()]),
    );

    let scale = SCALE.to_string();
    let mut child = cli
        .command_env(
            &["apply", "-f", f, "--auto-approve", "--time-scale", &scale],
            &[("AIRGAP_LOCK_LEASE", "2s")],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    let seen = tokio::task::spawn_blocking(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains("+ firewall: waiting") {
                child.kill().ok();
                child.wait().ok();
                return Some(line);
            }
        }
        child.wait().ok();
        None
    })
    .await?;
    let seen = seen.expect("the apply reached the firewall's provisioning");
    let nfw = aws_sdk_networkfirewall::Client::new(&ls.sdk_config(&accounts[0]).await?);
    let fw = firewall(&nfw).await?;
    let status = fw.firewall_status().map(|s| s.status().as_str().to_string());
    assert_eq!(status.as_deref(), Some("PROVISIONING"), "after `{seen}`");

    let run = airgapctl(&cli, &["apply", "-f", f, "--auto-approve", "--lock-timeout", "60s"])
        .await
        .expect(0, "apply after the kill");
    assert!(
        run.stdout.contains("<= firewall (firewall") && run.stdout.contains("1 to wait for"),
        "{}",
        airgap_testkit::cli::tail(&run.stdout)
    );
    airgapctl(&cli, &["plan", "-f", f, "--detailed-exitcode"])
        .await
        .expect(0, "plan after the re-apply");
    // Back to the scale the run expects: 21 minutes of firewall delete at 0.04 would
    // outlast the engine's timeout scaled by 0.01.
    ls.set_time_scale(&accounts[0], SCALE).await?;
    airgapctl(&cli, &["destroy", "-f", f, "--auto-approve"]).await.expect(0, "destroy");
    let mut left: Vec<String> = Vec::new();
    for a in &accounts {
        left.extend(sweep(&ls.sdk_config(a).await?, a).await?);
    }
    assert!(left.is_empty(), "left after destroy: {left:?}");
    Ok(())
}
