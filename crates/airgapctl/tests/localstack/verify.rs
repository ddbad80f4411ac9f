//! Issue 15 against LocalStack: `verify --live` on plans/hub-spoke.yaml as applied in
//! three accounts passes; then the air gap is broken out of band, with plain SDK calls
//! and without airgapctl's tags, one break at a time, and verify must fail on exactly the
//! checks that break concerns, naming the broken hop; each break is repaired before the
//! next, and verify passes again at the end.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use airgap_testkit::cli::Cli;
use airgap_testkit::{Account, LocalStack};
use aws_sdk_ec2::types::Filter;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");
const SCALE: &str = "0.01";
/// The workload VPC's CIDR in plans/hub-spoke.yaml.
const WORKLOAD_CIDR: &str = "10.10.0.0/16";

fn blueprint(env: &str, ids: [&str; 3]) -> String {
    let text = crate::support::hub_spoke(env, ids);
    assert!(text.contains(WORKLOAD_CIDR), "the workload VPC's CIDR in hub-spoke.yaml");
    text
}

/// `verify --live --output json`: the document, after checking the exit code (0 when
/// every check passes, 5 when one fails).
async fn verify(cli: &Cli, what: &str) -> Value {
    let run = cli.run_async(&["verify", "-f", "bp.yaml", "--live", "--output", "json"]).await;
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{what}: verify JSON: {e}\n{}", run.report()));
    let want = if doc["passed"] == Value::Bool(true) { 0 } else { 5 };
    run.check(want, &format!("verify --live ({what})"));
    assert_eq!(doc["source"], "live", "{what}");
    doc
}

/// `verify`, expecting exactly the checks `want` to fail.
async fn broken(cli: &Cli, what: &str, want: &[&str]) -> Value {
    let doc = verify(cli, what).await;
    expect_failing(&doc, want, what);
    doc
}

/// `verify --live --aws-analyzer --output json`: the document's `aws_analyzer` runs, and
/// whether the whole verification passed.
async fn analyzer(cli: &Cli, what: &str) -> (Vec<Value>, bool) {
    let run = cli
        .run_async(&["verify", "-f", "bp.yaml", "--live", "--aws-analyzer", "--output", "json"])
        .await;
    let doc: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{what}: verify JSON: {e}\n{}", run.report()));
    let passed = doc["passed"] == Value::Bool(true);
    run.check(if passed { 0 } else { 5 }, &format!("verify --aws-analyzer ({what})"));
    (doc["aws_analyzer"].as_array().expect("aws_analyzer").clone(), passed)
}

fn failing(doc: &Value) -> BTreeSet<String> {
    doc["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter(|c| c["status"] == "fail")
        .filter_map(|c| c["id"].as_str().map(str::to_string))
        .collect()
}

/// The check `id` of a JSON report.
fn check<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).expect(id)
}

/// The findings of one check, as JSON text (resources, messages, paths).
fn findings(doc: &Value, id: &str) -> String {
    check(doc, id)["findings"].to_string()
}

#[track_caller]
fn expect_failing(doc: &Value, want: &[&str], what: &str) {
    let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
    assert_eq!(failing(doc), want, "{what}: {}", serde_json::to_string_pretty(doc).unwrap());
}

/// Whether EC2 tags hold `key` = `value`.
fn has_tag(tags: &[aws_sdk_ec2::types::Tag], key: &str, value: &str) -> bool {
    tags.iter().any(|t| t.key() == Some(key) && t.value() == Some(value))
}

fn tagged(key: &str, value: &str) -> Filter {
    Filter::builder().name(format!("tag:{key}")).values(value).build()
}

struct Env {
    name: String,
}

impl Env {
    fn ours(&self, id: &str) -> [Filter; 2] {
        [tagged("airgap:env", &self.name), tagged("airgap:id", id)]
    }
}

async fn route_table(
    ec2: &aws_sdk_ec2::Client,
    env: &Env,
    id: &str,
) -> aws_sdk_ec2::types::RouteTable {
    let [a, b] = env.ours(id);
    let out = ec2.describe_route_tables().filters(a).filters(b).send().await.unwrap();
    out.route_tables()[0].clone()
}

/// The target of a route table's 0.0.0.0/0 route (gateway, NAT or transit gateway id).
fn default_target(rt: &aws_sdk_ec2::types::RouteTable) -> (String, &'static str) {
    let r = rt
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .expect("a default route");
    if let Some(t) = r.transit_gateway_id() {
        (t.to_string(), "tgw")
    } else if let Some(n) = r.nat_gateway_id() {
        (n.to_string(), "nat")
    } else {
        (r.gateway_id().expect("a gateway").to_string(), "gateway")
    }
}

async fn set_default_route(ec2: &aws_sdk_ec2::Client, rt: &str, target: &str, kind: &str) {
    let mut req = ec2.replace_route().route_table_id(rt).destination_cidr_block("0.0.0.0/0");
    req = match kind {
        "tgw" => req.transit_gateway_id(target),
        "nat" => req.nat_gateway_id(target),
        _ => req.gateway_id(target),
    };
    req.send().await.unwrap();
}

/// An internet gateway nobody tagged, attached to `vpc`.
async fn rogue_igw(ec2: &aws_sdk_ec2::Client, vpc: &str) -> String {
    let igw = ec2.create_internet_gateway().send().await.unwrap();
    let id = igw.internet_gateway().unwrap().internet_gateway_id().unwrap().to_string();
    ec2.attach_internet_gateway().internet_gateway_id(&id).vpc_id(vpc).send().await.unwrap();
    id
}

async fn remove_igw(ec2: &aws_sdk_ec2::Client, igw: &str, vpc: &str) {
    ec2.detach_internet_gateway().internet_gateway_id(igw).vpc_id(vpc).send().await.unwrap();
    ec2.delete_internet_gateway().internet_gateway_id(igw).send().await.unwrap();
}

async fn nfw_named(
    nfw: &aws_sdk_networkfirewall::Client,
    env: &str,
    suffix: &str,
) -> (String, String) {
    let prefix = format!("airgap-{env}-");
    if suffix == "policy" {
        let list = nfw.list_firewall_policies().send().await.unwrap();
        let p = list
            .firewall_policies()
            .iter()
            .find(|p| p.name().is_some_and(|n| n.starts_with(&prefix)))
            .expect("the environment's firewall policy");
        (p.name().unwrap().to_string(), p.arn().unwrap().to_string())
    } else {
        let list = nfw.list_rule_groups().send().await.unwrap();
        let g = list
            .rule_groups()
            .iter()
            .find(|g| g.name().is_some_and(|n| n.starts_with(&prefix) && n.ends_with(suffix)))
            .unwrap_or_else(|| panic!("a rule group ending {suffix}: {list:?}"));
        (g.name().unwrap().to_string(), g.arn().unwrap().to_string())
    }
}

async fn set_public_access(eks: &aws_sdk_eks::Client, cluster: &str, on: bool) {
    eks.update_cluster_config()
        .name(cluster)
        .resources_vpc_config(
            aws_sdk_eks::types::VpcConfigRequest::builder().endpoint_public_access(on).build(),
        )
        .send()
        .await
        .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let d = eks.describe_cluster().name(cluster).send().await.unwrap();
        let c = d.cluster().unwrap();
        let now = c.resources_vpc_config().unwrap().endpoint_public_access();
        let active = c.status().map(|s| s.as_str()) == Some("ACTIVE");
        if now == on && active {
            return;
        }
        assert!(Instant::now() < until, "public access did not become {on}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn live_verify_fails_on_each_break_of_the_gap_made_out_of_band_and_names_the_hop() {
    let ls = LocalStack::connect().await.expect("LocalStack");
    let [net, shared, work] = ls.account_set().await.expect("accounts");
    let accounts: [&Account; 3] = [&net, &shared, &work];
    for a in accounts {
        ls.set_time_scale(a, 0.01).await.unwrap();
    }
    let env = Env { name: format!("verify-{}", &net.id()[..6]) };
    let cli = Cli::new(BIN, "verify-live", ls.endpoint()).env("AIRGAP_TIME_SCALE", SCALE);
    cli.write("bp.yaml", &blueprint(&env.name, [net.id(), shared.id(), work.id()]));
    let apply = cli.run_async(&["apply", "-f", "bp.yaml", "--auto-approve"]).await;
    apply.check(0, "apply");

    // As applied: every check passes on what exists.
    let doc = broken(&cli, "as applied", &[]).await;
    let calls = doc["reads"]["calls"].as_u64().expect("reads.calls");
    eprintln!(
        "verify --live as applied: {calls} API calls, read in {:.2} s",
        doc["reads"]["seconds"].as_f64().unwrap()
    );
    assert!(calls > 20, "a read of three accounts: {calls} calls");
    // The VPN is read (its endpoint, associations, rules and routes) and checked.
    let vpn = check(&doc, "vpn.cluster-api");
    assert_eq!(vpn["status"], "pass", "{vpn}");
    // Safe because the traffic goes out through the firewall, not because all of it
    // drops: the example path leaves by the inspection VPC's internet gateway after a
    // firewall endpoint.
    let evidence = doc["checks"][0]["evidence"].to_string();
    assert!(
        evidence.contains("firewall endpoint") && evidence.contains("internet gateway"),
        "{evidence}"
    );

    // AWS's analyzer (emulated: a subnet's direct route to an internet gateway) agrees:
    // one analysis in each account with spoke subnets (the network account's access VPC
    // among them), nothing found.
    let (runs, passed) = analyzer(&cli, "as applied").await;
    assert!(passed);
    let accounts: BTreeSet<&str> = runs.iter().filter_map(|r| r["account"].as_str()).collect();
    assert_eq!(accounts, BTreeSet::from([net.id(), shared.id(), work.id()]), "{runs:?}");
    assert!(runs
        .iter()
        .all(|r| r["status"] == "succeeded" && r["findings"] == Value::Array(vec![])));

    let net_ec2 = aws_sdk_ec2::Client::new(&ls.sdk_config(&net).await.unwrap());
    let work_conf = ls.sdk_config(&work).await.unwrap();
    let work_ec2 = aws_sdk_ec2::Client::new(&work_conf);
    let nfw = aws_sdk_networkfirewall::Client::new(&ls.sdk_config(&net).await.unwrap());
    let eks = aws_sdk_eks::Client::new(&work_conf);
    let workload_vpc = {
        let [a, b] = env.ours("vpc/workload");
        let out = work_ec2.describe_vpcs().filters(a).filters(b).send().await.unwrap();
        out.vpcs()[0].vpc_id().unwrap().to_string()
    };

    // 1. An internet gateway in a spoke, and a spoke route table's default route to it.
    let rt = route_table(&work_ec2, &env, "vpc/workload/rt/dataPlane/a").await;
    let rt_id = rt.route_table_id().unwrap().to_string();
    let (tgw, kind) = default_target(&rt);
    assert_eq!(kind, "tgw");
    let igw = rogue_igw(&work_ec2, &workload_vpc).await;
    set_default_route(&work_ec2, &rt_id, &igw, "gateway").await;
    let doc =
        broken(&cli, "IGW in a spoke", &["egress.firewall-first", "spoke.no-public-surface"]).await;
    let egress = findings(&doc, "egress.firewall-first");
    assert!(
        egress.contains(&format!("internet gateway {igw}"))
            && egress.contains("vpc/workload/rt/dataPlane/a:0.0.0.0/0"),
        "the path names the route and the gateway: {egress}"
    );
    assert!(egress.contains(&rt_id), "the route table's AWS id is given: {egress}");
    assert!(findings(&doc, "spoke.no-public-surface").contains(&igw));
    let (runs, passed) = analyzer(&cli, "IGW in a spoke").await;
    assert!(!passed);
    let work_run = runs.iter().find(|r| r["account"] == work.id()).expect("the workload's run");
    let found = work_run["findings"].to_string();
    assert!(found.contains(&igw) && found.contains(&rt_id), "{found}");
    assert!(runs
        .iter()
        .filter(|r| r["account"] != work.id())
        .all(|r| r["findings"] == Value::Array(vec![])));
    set_default_route(&work_ec2, &rt_id, &tgw, "tgw").await;
    remove_igw(&work_ec2, &igw, &workload_vpc).await;

    // 2. A static route in the spokes' TGW route table that sends 0.0.0.0/0 to a spoke's
    // attachment. Alone it loops (the spoke sends it back to the TGW) and the gap holds;
    // where that spoke has a way out of its own, the other spokes' traffic leaves by it.
    // By the tags read back, not only the request's tag filters: the emulator (moto)
    // ignores tag filters on DescribeTransitGatewayRouteTables.
    let tables = net_ec2
        .describe_transit_gateway_route_tables()
        .set_filters(Some(env.ours("tgw/rt/spoke").to_vec()))
        .send()
        .await
        .unwrap();
    let spoke_rt = tables
        .transit_gateway_route_tables()
        .iter()
        .find(|t| has_tag(t.tags(), "airgap:id", "tgw/rt/spoke"))
        .and_then(|t| t.transit_gateway_route_table_id())
        .expect("the spokes' TGW route table")
        .to_string();
    let atts = work_ec2
        .describe_transit_gateway_vpc_attachments()
        .set_filters(Some(env.ours("tgw/attachment/workload").to_vec()))
        .send()
        .await
        .unwrap();
    let workload_att = atts.transit_gateway_vpc_attachments()[0]
        .transit_gateway_attachment_id()
        .unwrap()
        .to_string();
    let routes = net_ec2
        .search_transit_gateway_routes()
        .transit_gateway_route_table_id(&spoke_rt)
        .filters(Filter::builder().name("type").values("static").build())
        .send()
        .await
        .unwrap();
    let inspection_att = routes
        .routes()
        .iter()
        .find(|r| r.destination_cidr_block() == Some("0.0.0.0/0"))
        .and_then(|r| r.transit_gateway_attachments().first())
        .and_then(|a| a.transit_gateway_attachment_id())
        .expect("the spokes' default route to the inspection VPC")
        .to_string();
    let replace = |att: String| {
        net_ec2
            .replace_transit_gateway_route()
            .transit_gateway_route_table_id(&spoke_rt)
            .destination_cidr_block("0.0.0.0/0")
            .transit_gateway_attachment_id(att)
            .send()
    };
    replace(workload_att.clone()).await.unwrap();
    // No way out, but the admins' way in is cut: the cluster's replies to the VPN's
    // subnet now go back into the workload VPC.
    let doc = broken(&cli, "TGW default to a spoke, no way out there", &["vpn.cluster-api"]).await;
    let cut = findings(&doc, "vpn.cluster-api");
    assert!(cut.contains("replies of cluster/apps's API"), "{cut}");
    // The spoke's transit subnets route only within the VPC (the TGW brings traffic in):
    // the way out is a default route to a gateway nobody tagged.
    let transit = route_table(&work_ec2, &env, "vpc/workload/rt/transit/a").await;
    let transit_id = transit.route_table_id().unwrap().to_string();
    assert!(transit.routes().iter().all(|r| r.destination_cidr_block() != Some("0.0.0.0/0")));
    let igw = rogue_igw(&work_ec2, &workload_vpc).await;
    work_ec2
        .create_route()
        .route_table_id(&transit_id)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .unwrap();
    let doc = broken(
        &cli,
        "TGW default to a spoke with a way out",
        &["egress.firewall-first", "spoke.no-public-surface", "vpn.cluster-api"],
    )
    .await;
    let egress = findings(&doc, "egress.firewall-first");
    assert!(
        egress.contains("tgw/rt/spoke:0.0.0.0/0") && egress.contains("vpc/tooling/subnet"),
        "the tooling VPC's traffic is sent by the TGW route to the workload's gateway: {egress}"
    );
    replace(inspection_att).await.unwrap();
    work_ec2
        .delete_route()
        .route_table_id(&transit_id)
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    remove_igw(&work_ec2, &igw, &workload_vpc).await;

    // 3. A more specific route around the firewall in one zone of the inspection VPC.
    let rt = route_table(&net_ec2, &env, "vpc/inspection/rt/transit/a").await;
    let rt_id = rt.route_table_id().unwrap().to_string();
    let nat = {
        let out = net_ec2
            .describe_nat_gateways()
            .set_filter(Some(env.ours("vpc/inspection/nat/a").to_vec()))
            .send()
            .await
            .unwrap();
        let nats = out.nat_gateways();
        assert_eq!(nats.len(), 1, "NAT gateways are looked up by their tags: {nats:?}");
        nats[0].nat_gateway_id().unwrap().to_string()
    };
    net_ec2
        .create_route()
        .route_table_id(&rt_id)
        .destination_cidr_block("0.0.0.0/1")
        .nat_gateway_id(&nat)
        .send()
        .await
        .unwrap();
    let doc =
        broken(&cli, "a route around the firewall in zone a", &["egress.firewall-first"]).await;
    let egress = findings(&doc, "egress.firewall-first");
    assert!(
        egress.contains("vpc/inspection/rt/transit/a:0.0.0.0/1")
            && egress.contains("NAT gateway vpc/inspection/nat/a"),
        "the more specific route to the NAT is named: {egress}"
    );
    assert!(!egress.contains("rt/transit/b"), "zone b still goes through the firewall: {egress}");
    net_ec2
        .delete_route()
        .route_table_id(&rt_id)
        .destination_cidr_block("0.0.0.0/1")
        .send()
        .await
        .unwrap();

    // 4. The firewall policy's stateless default changed to pass.
    let (policy_name, _) = nfw_named(&nfw, &env.name, "policy").await;
    let describe = || nfw.describe_firewall_policy().firewall_policy_name(&policy_name).send();
    let set_policy = |body: aws_sdk_networkfirewall::types::FirewallPolicy| async {
        let token = describe().await.unwrap().update_token().to_string();
        let update = nfw.update_firewall_policy().firewall_policy_name(&policy_name);
        update.update_token(token).firewall_policy(body).send().await.unwrap();
    };
    let original = describe().await.unwrap().firewall_policy().unwrap().clone();
    let mut passing = original.clone();
    passing.stateless_default_actions = vec!["aws:pass".into()];
    passing.stateless_fragment_default_actions = vec!["aws:pass".into()];
    set_policy(passing).await;
    let doc = broken(&cli, "default action pass", &["firewall.default-drop"]).await;
    assert!(findings(&doc, "firewall.default-drop").contains("aws:pass"));
    set_policy(original).await;

    // 5. The workload VPC's CIDR removed from a rule group's HOME_NET.
    let (group, _) = nfw_named(&nfw, &env.name, "domains").await;
    let stateful = aws_sdk_networkfirewall::types::RuleGroupType::Stateful;
    let describe = || nfw.describe_rule_group().rule_group_name(&group).r#type(stateful.clone());
    let set_group = |body: aws_sdk_networkfirewall::types::RuleGroup| async {
        let token = describe().send().await.unwrap().update_token().to_string();
        let update = nfw.update_rule_group().rule_group_name(&group).r#type(stateful.clone());
        update.update_token(token).rule_group(body).send().await.unwrap();
    };
    let original = describe().send().await.unwrap().rule_group().unwrap().clone();
    let mut narrowed = original.clone();
    let vars = narrowed.rule_variables.as_mut().expect("rule variables");
    let sets = vars.ip_sets.as_mut().expect("IP sets");
    let home = sets.get_mut("HOME_NET").expect("HOME_NET");
    assert!(home.definition.iter().any(|c| c == WORKLOAD_CIDR), "{home:?}");
    home.definition.retain(|c| c != WORKLOAD_CIDR);
    set_group(narrowed).await;
    let doc = broken(&cli, "HOME_NET without the workload", &["firewall.home-net"]).await;
    assert!(findings(&doc, "firewall.home-net").contains(WORKLOAD_CIDR));
    set_group(original).await;

    // 6. Public endpoint access turned on.
    let cluster = {
        let list = eks.list_clusters().send().await.unwrap();
        list.clusters().first().expect("the cluster").to_string()
    };
    set_public_access(&eks, &cluster, true).await;
    let doc = broken(&cli, "public endpoint", &["eks.private-endpoint"]).await;
    assert!(findings(&doc, "eks.private-endpoint").contains("cluster/apps"));
    set_public_access(&eks, &cluster, false).await;

    // 7. The workload's ECR API endpoint policy widened to everything.
    let ep = {
        let out = work_ec2
            .describe_vpc_endpoints()
            .set_filters(Some(env.ours("vpc/workload/endpoint/ecr.api").to_vec()))
            .send()
            .await
            .unwrap();
        out.vpc_endpoints()[0].clone()
    };
    let ep_id = ep.vpc_endpoint_id().unwrap().to_string();
    let wide = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
    work_ec2
        .modify_vpc_endpoint()
        .vpc_endpoint_id(&ep_id)
        .policy_document(wide)
        .send()
        .await
        .unwrap();
    let doc = broken(&cli, "ECR endpoint open", &["endpoints.ecr-policy"]).await;
    let found = findings(&doc, "endpoints.ecr-policy");
    assert!(found.contains("vpc/workload/endpoint/ecr.api") && found.contains(&ep_id), "{found}");
    work_ec2
        .modify_vpc_endpoint()
        .vpc_endpoint_id(&ep_id)
        .policy_document(ep.policy_document().expect("the applied policy"))
        .send()
        .await
        .unwrap();

    // 8. The VPN opened to everything: an authorization rule for 0.0.0.0/0 added by hand
    //    on the environment's Client VPN endpoint.
    let cvpn = {
        let out = net_ec2.describe_client_vpn_endpoints().send().await.unwrap();
        let e = out
            .client_vpn_endpoints()
            .iter()
            .find(|e| has_tag(e.tags(), "airgap:env", &env.name))
            .expect("the environment's Client VPN endpoint");
        e.client_vpn_endpoint_id().unwrap().to_string()
    };
    net_ec2
        .authorize_client_vpn_ingress()
        .client_vpn_endpoint_id(&cvpn)
        .target_network_cidr("0.0.0.0/0")
        .authorize_all_groups(true)
        .send()
        .await
        .unwrap();
    let doc =
        broken(&cli, "VPN authorized for everything", &["vpn.split-tunnel", "vpn.authorization"])
            .await;
    let found = findings(&doc, "vpn.authorization");
    assert!(found.contains("access/vpn:authorize/0.0.0.0/0"), "{found}");
    net_ec2
        .revoke_client_vpn_ingress()
        .client_vpn_endpoint_id(&cvpn)
        .target_network_cidr("0.0.0.0/0")
        .revoke_all_groups(true)
        .send()
        .await
        .unwrap();

    // 9. The partners' PrivateLink service opened by hand: every AWS account allowed, and
    //    connections accepted without asking.
    let svc = {
        let out = work_ec2.describe_vpc_endpoint_service_configurations().send().await.unwrap();
        let s = out
            .service_configurations()
            .iter()
            .find(|s| has_tag(s.tags(), "airgap:env", &env.name))
            .expect("the environment's endpoint service");
        s.service_id().unwrap().to_string()
    };
    let open = |accept: bool, add: &str, remove: &str| {
        let (ec2, svc) = (work_ec2.clone(), svc.clone());
        let (add, remove) = (add.to_string(), remove.to_string());
        async move {
            let permissions = ec2.modify_vpc_endpoint_service_permissions().service_id(&svc);
            let permissions = if add.is_empty() {
                permissions.remove_allowed_principals(remove)
            } else {
                permissions.add_allowed_principals(add)
            };
            permissions.send().await.unwrap();
            ec2.modify_vpc_endpoint_service_configuration()
                .service_id(&svc)
                .acceptance_required(accept)
                .send()
                .await
                .unwrap();
        }
    };
    open(false, "*", "").await;
    let doc = broken(&cli, "PrivateLink service opened", &["privatelink.exposure"]).await;
    let found = findings(&doc, "privatelink.exposure");
    assert!(
        found.contains("access/privatelink/partners")
            && found.contains("allows principal `*`")
            && found.contains("accepts connections without asking"),
        "{found}"
    );
    open(true, "", "*").await;

    // Every break repaired: every check passes again, and the environment goes.
    broken(&cli, "repaired", &[]).await;

    // Without the blueprint, from the environment's record in the hub account.
    let run = cli
        .run_async(&[
            "verify",
            "--env",
            &env.name,
            "--hub-account",
            net.id(),
            "--role",
            "airgap-deployer",
            "--region",
            ls.region(),
            "--output",
            "json",
        ])
        .await;
    run.check(0, "verify --env --hub-account");
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!((&doc["source"], &doc["file"]), (&Value::from("live"), &Value::Null));
    assert_eq!(doc["summary"]["fail"], 0, "{doc:#}");

    // --dns from this machine: the cluster endpoint's name is not an address inside the
    // VPC here (it does not resolve, or resolves elsewhere), which must fail, naming it.
    let run =
        cli.run_async(&["verify", "-f", "bp.yaml", "--live", "--dns", "--output", "json"]).await;
    run.check(5, "verify --live --dns");
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON");
    expect_failing(&doc, &["eks.endpoint-dns"], "--dns outside the VPC");
    let dns = findings(&doc, "eks.endpoint-dns");
    assert!(dns.contains("cluster/apps") && dns.contains("https://"), "{dns}");
    eprintln!("--dns: {dns}");
    cli.run_async(&["destroy", "-f", "bp.yaml", "--auto-approve"]).await.check(0, "destroy");
}
