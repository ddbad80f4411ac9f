//! End-to-end against LocalStack (issue 4): the real binary plans and applies blueprints
//! through the AWS SDK; what it built is checked with Describe calls of the test's own,
//! never through airgapctl's observe. Each test has a fresh account (and its own env
//! name and scratch directory), so the tests run in parallel.
//!
//! LocalStack is found or started by `airgap_testkit::LocalStack::connect`. The account's
//! time scale is 0.01, and so is the CLI's `--time-scale`: waits happen, but are short.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use airgap_testkit::cli::{Cli, Run};
use airgap_testkit::{Account, LocalStack};
use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, NatGatewayState, Tag, TransitGatewayAttachmentState,
    TransitGatewayRouteTableState, TransitGatewayState, VpcAttributeName,
};

type Res<T = ()> = Result<T, Box<dyn std::error::Error>>;

const BIN: &str = env!("CARGO_BIN_EXE_airgapctl");
const SCALE: f64 = 0.01;
const REGION: &str = "eu-central-1";
const AZS: [&str; 2] = ["a", "b"];
/// The nine interface endpoints of plans/single-account.yaml: it lists the blueprint's
/// default for a private EKS cluster.
const INTERFACE: &[&str] = airgap_blueprint::regions::EKS_INTERFACE_DEFAULT;
/// Spoke tiers with a default route to the transit gateway (transit has none).
const PRIVATE_TIERS: [&str; 3] = ["controlPlane", "dataPlane", "endpoints"];

/// One test's world: a fresh account, an env name, a scratch directory, an EC2 and a
/// Network Firewall client.
struct World {
    account: Account,
    ec2: aws_sdk_ec2::Client,
    nfw: aws_sdk_networkfirewall::Client,
    cli: Cli,
    env: String,
}

impl World {
    /// `name`: a short lowercase prefix of the env name (which ends with the account id).
    async fn new(name: &str) -> Res<World> {
        let ls = LocalStack::connect().await?;
        let account = ls.account().await?;
        ls.set_time_scale(&account, SCALE).await?;
        let conf = ls.sdk_config(&account).await?;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let nfw = aws_sdk_networkfirewall::Client::new(&conf);
        let env = format!("{name}-{}", account.id());
        // Minimal blueprints on purpose (no firewall, no endpoint policies): these tests are not
        // about the air gap, so apply's plan-time verification is off, as with --skip-verify.
        let cli =
            Cli::new(BIN, &format!("network-{env}"), ls.endpoint()).env("AIRGAP_SKIP_VERIFY", "1");
        Ok(World { account, ec2, nfw, cli, env })
    }

    /// A subnet made by hand, as a user would, outside the environment (no tags).
    async fn subnet_by_hand(&self, vpc: &str, cidr: &str, zone: &str) -> Res<String> {
        let made = self
            .ec2
            .create_subnet()
            .vpc_id(vpc)
            .cidr_block(cidr)
            .availability_zone(zone)
            .send()
            .await?;
        Ok(made.subnet().and_then(|s| s.subnet_id()).unwrap_or_default().to_string())
    }

    /// The firewall's endpoint in each AZ (letter -> `vpce-..`): the account is the
    /// test's own, so its one firewall is the env's.
    async fn firewall_endpoints(&self) -> Res<BTreeMap<&'static str, String>> {
        let listed = self.nfw.list_firewalls().send().await?;
        assert_eq!(listed.firewalls().len(), 1, "{listed:?}");
        let arn = listed.firewalls()[0].firewall_arn().unwrap_or_default();
        let fw = self.nfw.describe_firewall().firewall_arn(arn).send().await?;
        let sync = fw.firewall_status().and_then(|s| s.sync_states()).expect("sync states");
        let mut out = BTreeMap::new();
        for az in AZS {
            let att = sync[&format!("{REGION}{az}")].attachment().expect("attachment");
            out.insert(az, att.endpoint_id().expect("endpoint").to_string());
        }
        Ok(out)
    }

    /// plans/single-account.yaml in this world's account (through the deployer role)
    /// and under this world's env name.
    fn single_account(&self) -> String {
        let text = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plans/single-account.yaml"),
        )
        .expect("the example blueprint");
        let account = r#"main: { id: "111111111111" }"#;
        let name = "\n  name: demo\n";
        assert!(text.contains(account) && text.contains(name), "{text}");
        text.replace(
            account,
            &format!(r#"main: {{ id: "{}", role: airgap-deployer }}"#, self.account.id()),
        )
        .replace(name, &format!("\n  name: {}\n", self.env))
    }

    /// A one-account blueprint with the given spoke VPCs: (name, CIDR, interface endpoints);
    /// each also gets the S3 gateway endpoint.
    fn blueprint(&self, env: &str, vpcs: &[(&str, &str, &[&str])]) -> String {
        let mut text = format!(
            "apiVersion: airgapctl.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: {env}\n  \
             region: {REGION}\naccounts:\n  main: {{ id: \"{}\", role: airgap-deployer }}\n\
             availabilityZones: 2\nhub:\n  account: main\n  inspectionVpc: {{ cidr: 100.64.0.0/22 }}\n\
             vpcs:\n",
            self.account.id()
        );
        for (name, cidr, interface) in vpcs {
            text.push_str(&format!(
                "  - name: {name}\n    account: main\n    cidr: {cidr}\n    endpoints:\n      \
                 gateway: [s3]\n      interface: [{}]\n",
                interface.join(", ")
            ));
        }
        text
    }

    /// Writes a blueprint into the scratch directory; returns its file name.
    fn write(&self, file: &str, text: &str) -> String {
        self.cli.write(file, text)
    }

    /// Runs airgapctl against LocalStack with only the base credentials in its environment.
    async fn airgapctl(&self, args: &[&str]) -> Run {
        self.cli.run_async(args).await
    }

    async fn plan(&self, file: &str, extra: &[&str]) -> Run {
        let mut args = vec!["plan", "-f", file, "--time-scale", "0.01"];
        args.extend_from_slice(extra);
        self.airgapctl(&args).await
    }

    async fn apply(&self, file: &str) -> Run {
        self.airgapctl(&["apply", "-f", file, "--auto-approve", "--time-scale", "0.01"]).await
    }

    /// plans/single-account.yaml written as `bp.yaml` and applied: the start of most
    /// tests here. Returns the file's path.
    async fn applied_single_account(&self) -> String {
        let bp = self.write("bp.yaml", &self.single_account());
        self.apply(&bp).await.expect(0, "airgapctl");
        bp
    }

    async fn destroy(&self, file: &str) -> Run {
        self.airgapctl(&["destroy", "-f", file, "--auto-approve", "--time-scale", "0.01"]).await
    }

    /// Everything of `env` in this account, kind by kind.
    async fn sweep(&self, env: &str) -> Res<Inventory> {
        Inventory::sweep(&self.ec2, env).await
    }
}

/// The lines of a plan that make up one node's block: its header and field lines.
fn block(plan: &str, header: &str) -> Option<String> {
    let mut lines = plan.lines().skip_while(|l| !l.starts_with(header));
    let mut block = vec![lines.next()?];
    block.extend(lines.take_while(|l| l.starts_with("      ")));
    Some(block.join("\n"))
}

/// The header lines (`  + id (kind, scope)`) of a plan.
fn plan_headers(plan: &str) -> Vec<&str> {
    plan.lines()
        .filter(|l| matches!(l.get(..4), Some("  + " | "  - " | "  ~ " | "-/+ " | "+/- ")))
        .collect()
}

fn tag_map(tags: &[Tag]) -> HashMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or_default().to_string())))
        .collect()
}

/// Every resource of one env, by kind and `airgap:id`, found by Describe calls over the
/// whole account and filtered here: LocalStack's DescribeTags keeps tags of deleted
/// resources, and not every Describe honours tag filters.
#[derive(Debug, Default)]
struct Inventory {
    vpcs: BTreeMap<String, aws_sdk_ec2::types::Vpc>,
    subnets: BTreeMap<String, aws_sdk_ec2::types::Subnet>,
    route_tables: BTreeMap<String, aws_sdk_ec2::types::RouteTable>,
    igws: BTreeMap<String, aws_sdk_ec2::types::InternetGateway>,
    eips: BTreeMap<String, aws_sdk_ec2::types::Address>,
    nats: BTreeMap<String, aws_sdk_ec2::types::NatGateway>,
    sgs: BTreeMap<String, aws_sdk_ec2::types::SecurityGroup>,
    tgws: BTreeMap<String, aws_sdk_ec2::types::TransitGateway>,
    tgw_rts: BTreeMap<String, aws_sdk_ec2::types::TransitGatewayRouteTable>,
    attachments: BTreeMap<String, aws_sdk_ec2::types::TransitGatewayVpcAttachment>,
    endpoints: BTreeMap<String, aws_sdk_ec2::types::VpcEndpoint>,
    /// Resources of the env whose standard tags are not all there (or are wrong), and
    /// ids carried by two live resources of one kind.
    problems: Vec<String>,
}

impl Inventory {
    async fn sweep(ec2: &aws_sdk_ec2::Client, env: &str) -> Res<Inventory> {
        /// Every page of a Describe, without filters.
        macro_rules! all {
            ($req:expr) => {{
                let items: Vec<_> = $req.into_paginator().items().send().try_collect().await?;
                items
            }};
        }
        let mut inv = Inventory::default();
        for v in all!(ec2.describe_vpcs()) {
            inv.add("vpc", env, v.tags(), v.clone(), |i| &mut i.vpcs);
        }
        for s in all!(ec2.describe_subnets()) {
            inv.add("subnet", env, s.tags(), s.clone(), |i| &mut i.subnets);
        }
        for r in all!(ec2.describe_route_tables()) {
            inv.add("route table", env, r.tags(), r.clone(), |i| &mut i.route_tables);
        }
        for g in all!(ec2.describe_internet_gateways()) {
            inv.add("internet gateway", env, g.tags(), g.clone(), |i| &mut i.igws);
        }
        // DescribeAddresses has no pages.
        for a in ec2.describe_addresses().send().await?.addresses() {
            inv.add("elastic ip", env, a.tags(), a.clone(), |i| &mut i.eips);
        }
        for n in all!(ec2.describe_nat_gateways()) {
            if n.state() != Some(&NatGatewayState::Deleted) {
                inv.add("nat gateway", env, n.tags(), n.clone(), |i| &mut i.nats);
            }
        }
        for g in all!(ec2.describe_security_groups()) {
            inv.add("security group", env, g.tags(), g.clone(), |i| &mut i.sgs);
        }
        for t in all!(ec2.describe_transit_gateways()) {
            if t.state() != Some(&TransitGatewayState::Deleted) {
                inv.add("transit gateway", env, t.tags(), t.clone(), |i| &mut i.tgws);
            }
        }
        for t in all!(ec2.describe_transit_gateway_route_tables()) {
            if t.state() != Some(&TransitGatewayRouteTableState::Deleted) {
                inv.add("tgw route table", env, t.tags(), t.clone(), |i| &mut i.tgw_rts);
            }
        }
        for a in all!(ec2.describe_transit_gateway_vpc_attachments()) {
            if a.state() != Some(&TransitGatewayAttachmentState::Deleted) {
                inv.add("tgw attachment", env, a.tags(), a.clone(), |i| &mut i.attachments);
            }
        }
        for e in all!(ec2.describe_vpc_endpoints()) {
            // EC2 documents `Deleted`, but answers `deleted`.
            if !e.state().is_some_and(|s| s.as_str().eq_ignore_ascii_case("deleted")) {
                inv.add("vpc endpoint", env, e.tags(), e.clone(), |i| &mut i.endpoints);
            }
        }
        Ok(inv)
    }

    /// Keeps `item` when it carries `airgap:env=<env>`, checking its standard tags.
    fn add<T>(
        &mut self,
        kind: &str,
        env: &str,
        tags: &[Tag],
        item: T,
        map: impl FnOnce(&mut Inventory) -> &mut BTreeMap<String, T>,
    ) {
        let t = tag_map(tags);
        if t.get("airgap:env").map(String::as_str) != Some(env) {
            return;
        }
        let Some(id) = t.get("airgap:id").cloned() else {
            self.problems.push(format!("{kind} of {env} without airgap:id: {t:?}"));
            return;
        };
        let name = format!("{env}/{id}");
        for (k, v) in [("airgap:managed-by", "airgapctl"), ("Name", name.as_str())] {
            if t.get(k).map(String::as_str) != Some(v) {
                self.problems.push(format!("{kind} {id}: tag {k} is {:?}, not {v:?}", t.get(k)));
            }
        }
        if map(self).insert(id.clone(), item).is_some() {
            self.problems.push(format!("two live {kind}s carry airgap:id {id}"));
        }
    }

    /// Resource counts by kind, for messages and the empty check.
    fn counts(&self) -> BTreeMap<&'static str, usize> {
        BTreeMap::from([
            ("vpc", self.vpcs.len()),
            ("subnet", self.subnets.len()),
            ("route-table", self.route_tables.len()),
            ("internet-gateway", self.igws.len()),
            ("elastic-ip", self.eips.len()),
            ("nat-gateway", self.nats.len()),
            ("security-group", self.sgs.len()),
            ("transit-gateway", self.tgws.len()),
            ("tgw-route-table", self.tgw_rts.len()),
            ("tgw-attachment", self.attachments.len()),
            ("vpc-endpoint", self.endpoints.len()),
        ])
    }

    /// Every `airgap:id` found, whatever the kind, with the resource's AWS id.
    fn physical(&self) -> BTreeMap<String, String> {
        fn ids<T>(
            m: &BTreeMap<String, T>,
            f: impl Fn(&T) -> Option<&str>,
        ) -> Vec<(String, String)> {
            m.iter().map(|(k, v)| (k.clone(), f(v).unwrap_or_default().to_string())).collect()
        }
        let mut out = BTreeMap::new();
        out.extend(ids(&self.vpcs, |v| v.vpc_id()));
        out.extend(ids(&self.subnets, |v| v.subnet_id()));
        out.extend(ids(&self.route_tables, |v| v.route_table_id()));
        out.extend(ids(&self.igws, |v| v.internet_gateway_id()));
        out.extend(ids(&self.eips, |v| v.allocation_id()));
        out.extend(ids(&self.nats, |v| v.nat_gateway_id()));
        out.extend(ids(&self.sgs, |v| v.group_id()));
        out.extend(ids(&self.tgws, |v| v.transit_gateway_id()));
        out.extend(ids(&self.tgw_rts, |v| v.transit_gateway_route_table_id()));
        out.extend(ids(&self.attachments, |v| v.transit_gateway_attachment_id()));
        out.extend(ids(&self.endpoints, |v| v.vpc_endpoint_id()));
        out
    }

    fn ids(&self) -> BTreeSet<String> {
        self.physical().into_keys().collect()
    }

    fn vpc_id(&self, id: &str) -> String {
        self.vpcs[id].vpc_id().unwrap().to_string()
    }
    fn subnet_id(&self, id: &str) -> String {
        self.subnets[id].subnet_id().unwrap().to_string()
    }
    fn rt_id(&self, id: &str) -> String {
        self.route_tables[id].route_table_id().unwrap().to_string()
    }
    fn tgw_id(&self) -> String {
        self.tgws["tgw"].transit_gateway_id().unwrap().to_string()
    }
    fn tgw_rt_id(&self, id: &str) -> String {
        self.tgw_rts[id].transit_gateway_route_table_id().unwrap().to_string()
    }
    fn attachment_id(&self, id: &str) -> String {
        self.attachments[id].transit_gateway_attachment_id().unwrap().to_string()
    }

    /// The CIDR routes of a route table: destination -> target (`local`, `igw-..`,
    /// `nat-..`, `tgw-..`), with `(state)` appended unless active.
    fn routes(&self, id: &str) -> BTreeMap<String, String> {
        self.route_tables[id]
            .routes()
            .iter()
            .filter_map(|r| {
                let cidr = r.destination_cidr_block()?;
                let target =
                    r.transit_gateway_id().or(r.nat_gateway_id()).or(r.gateway_id()).unwrap_or("?");
                let state = r.state().map_or("?", |s| s.as_str());
                let target = if state == "active" {
                    target.to_string()
                } else {
                    format!("{target} ({state})")
                };
                Some((cidr.to_string(), target))
            })
            .collect()
    }
}

fn set<S: Into<String>>(items: impl IntoIterator<Item = S>) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

fn keys<T>(m: &BTreeMap<String, T>) -> BTreeSet<String> {
    m.keys().cloned().collect()
}

/// The carved subnets of the single-account blueprint: (id, CIDR, AZ letter).
fn expected_subnets() -> Vec<(String, &'static str, &'static str)> {
    let inspection = [
        ("transit", ["100.64.0.0/28", "100.64.0.16/28"]),
        ("firewall", ["100.64.0.32/28", "100.64.0.48/28"]),
        ("public", ["100.64.0.64/28", "100.64.0.80/28"]),
    ];
    let workload = [
        ("dataPlane", ["10.10.0.0/20", "10.10.16.0/20"]),
        ("endpoints", ["10.10.32.0/24", "10.10.33.0/24"]),
        ("controlPlane", ["10.10.34.0/28", "10.10.34.16/28"]),
        ("transit", ["10.10.34.32/28", "10.10.34.48/28"]),
    ];
    let mut out = Vec::new();
    for (vpc, tiers) in [("inspection", &inspection[..]), ("workload", &workload[..])] {
        for (tier, cidrs) in tiers {
            for (az, cidr) in AZS.iter().zip(cidrs) {
                out.push((format!("vpc/{vpc}/subnet/{tier}/{az}"), *cidr, *az));
            }
        }
    }
    out
}

/// Apply plans/single-account.yaml, then check every resource with Describe calls, then
/// plan again: no changes.
#[tokio::test]
async fn apply_builds_the_single_account_network() -> Res {
    let w = World::new("net").await?;
    let bp = w.write("bp.yaml", &w.single_account());
    let apply = w.apply(&bp).await.expect(0, "airgapctl");
    let out = apply.stdout.clone();
    assert!(out.contains(": 89 created, 0 updated, 0 deleted."), "{out}");

    let inv = w.sweep(&w.env).await?;
    // Every resource carries airgap:env, airgap:id, airgap:managed-by and Name.
    assert!(inv.problems.is_empty(), "{:#?}", inv.problems);
    check_vpcs_and_subnets(&w.ec2, &inv).await?;
    check_gateways(&inv);
    check_transit_gateway(&w.ec2, &inv).await?;
    check_vpc_routes(&inv, &w.firewall_endpoints().await?);
    check_endpoints(&inv);

    let again = w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "airgapctl");
    assert_eq!(again.stdout.clone(), "No changes. The environment matches the blueprint.\n");
    Ok(())
}

/// Both VPCs with their DNS attributes; the subnets of every tier in every AZ, carved as
/// documented; a route table per subnet, associated with it and only with it.
async fn check_vpcs_and_subnets(ec2: &aws_sdk_ec2::Client, inv: &Inventory) -> Res {
    assert_eq!(keys(&inv.vpcs), set(["vpc/inspection", "vpc/workload"]));
    assert_eq!(inv.vpcs["vpc/inspection"].cidr_block(), Some("100.64.0.0/22"));
    assert_eq!(inv.vpcs["vpc/workload"].cidr_block(), Some("10.10.0.0/16"));
    for vpc in inv.vpcs.values() {
        let id = vpc.vpc_id().unwrap_or_default();
        let support = ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(VpcAttributeName::EnableDnsSupport)
            .send()
            .await?;
        let hostnames = ec2
            .describe_vpc_attribute()
            .vpc_id(id)
            .attribute(VpcAttributeName::EnableDnsHostnames)
            .send()
            .await?;
        assert_eq!(support.enable_dns_support().and_then(|v| v.value()), Some(true), "{id}");
        assert_eq!(hostnames.enable_dns_hostnames().and_then(|v| v.value()), Some(true), "{id}");
    }

    let subnets = expected_subnets();
    assert_eq!(keys(&inv.subnets), set(subnets.iter().map(|(id, _, _)| id.as_str())));
    let rts = subnets.iter().map(|(id, _, _)| id.replace("/subnet/", "/rt/"));
    assert_eq!(keys(&inv.route_tables), set(rts));
    for (id, cidr, az) in &subnets {
        let vpc = id.split("/subnet/").next().unwrap_or_default();
        let s = &inv.subnets[id];
        assert_eq!(s.cidr_block(), Some(*cidr), "{id}");
        assert_eq!(s.availability_zone(), Some(format!("{REGION}{az}").as_str()), "{id}");
        assert_eq!(s.vpc_id(), Some(inv.vpc_id(vpc).as_str()), "{id}");

        let rt_id = id.replace("/subnet/", "/rt/");
        let rt = &inv.route_tables[&rt_id];
        assert_eq!(rt.vpc_id(), Some(inv.vpc_id(vpc).as_str()), "{rt_id}");
        let assoc: Vec<_> = rt.associations().iter().filter_map(|a| a.subnet_id()).collect();
        assert_eq!(assoc, [inv.subnet_id(id).as_str()], "{rt_id}");
    }
    Ok(())
}

/// The internet gateway attached to the inspection VPC; per AZ an Elastic IP and an
/// available NAT gateway in the public subnet, holding that address.
fn check_gateways(inv: &Inventory) {
    assert_eq!(keys(&inv.igws), set(["vpc/inspection/igw"]));
    let igw = &inv.igws["vpc/inspection/igw"];
    let attached: Vec<_> = igw.attachments().iter().filter_map(|a| a.vpc_id()).collect();
    assert_eq!(attached, [inv.vpc_id("vpc/inspection").as_str()]);
    assert_eq!(keys(&inv.eips), set(AZS.map(|az| format!("vpc/inspection/eip/{az}"))));
    assert_eq!(keys(&inv.nats), set(AZS.map(|az| format!("vpc/inspection/nat/{az}"))));
    for az in AZS {
        let nat = &inv.nats[&format!("vpc/inspection/nat/{az}")];
        let eip = &inv.eips[&format!("vpc/inspection/eip/{az}")];
        let public = inv.subnet_id(&format!("vpc/inspection/subnet/public/{az}"));
        assert_eq!(nat.state(), Some(&NatGatewayState::Available), "nat {az}");
        assert_eq!(nat.subnet_id(), Some(public.as_str()), "nat {az}");
        let allocations: Vec<_> =
            nat.nat_gateway_addresses().iter().filter_map(|a| a.allocation_id()).collect();
        assert_eq!(allocations, [eip.allocation_id().unwrap_or("?")], "nat {az}");
        assert!(eip.public_ip().is_some(), "eip {az}");
    }
}

/// The transit gateway and its two route tables, both attachments available, each
/// associated with its table; the spoke table's static default to the inspection VPC
/// and the inspection table learning the spoke by propagation.
async fn check_transit_gateway(ec2: &aws_sdk_ec2::Client, inv: &Inventory) -> Res {
    assert_eq!(keys(&inv.tgws), set(["tgw"]));
    let tgw = &inv.tgws["tgw"];
    let tgw_id = inv.tgw_id();
    assert_eq!(tgw.state(), Some(&TransitGatewayState::Available));
    let o = tgw.options().ok_or("no TGW options")?;
    assert_eq!(o.amazon_side_asn(), Some(64512));
    let disabled = Some("disable");
    assert_eq!(o.default_route_table_association().map(|v| v.as_str()), disabled);
    assert_eq!(o.default_route_table_propagation().map(|v| v.as_str()), disabled);
    assert_eq!(o.auto_accept_shared_attachments().map(|v| v.as_str()), disabled);

    assert_eq!(keys(&inv.tgw_rts), set(["tgw/rt/spoke", "tgw/rt/inspection"]));
    for rt in inv.tgw_rts.values() {
        assert_eq!(rt.state(), Some(&TransitGatewayRouteTableState::Available));
        assert_eq!(rt.transit_gateway_id(), Some(tgw_id.as_str()));
    }
    assert_eq!(
        keys(&inv.attachments),
        set(["tgw/attachment/inspection", "tgw/attachment/workload"])
    );
    for (vpc, appliance_mode) in [("inspection", "enable"), ("workload", "disable")] {
        let a = &inv.attachments[&format!("tgw/attachment/{vpc}")];
        let transit = AZS.map(|az| inv.subnet_id(&format!("vpc/{vpc}/subnet/transit/{az}")));
        assert_eq!(a.state(), Some(&TransitGatewayAttachmentState::Available), "{vpc}");
        assert_eq!(a.transit_gateway_id(), Some(tgw_id.as_str()), "{vpc}");
        assert_eq!(a.vpc_id(), Some(inv.vpc_id(&format!("vpc/{vpc}")).as_str()), "{vpc}");
        assert_eq!(set(a.subnet_ids().iter().map(String::as_str)), set(transit), "{vpc}");
        let mode = a.options().and_then(|o| o.appliance_mode_support());
        assert_eq!(mode.map(|m| m.as_str()), Some(appliance_mode), "{vpc}");
    }

    let (spoke, inspection) = (inv.tgw_rt_id("tgw/rt/spoke"), inv.tgw_rt_id("tgw/rt/inspection"));
    let insp_att = inv.attachment_id("tgw/attachment/inspection");
    let wl_att = inv.attachment_id("tgw/attachment/workload");
    let (spoke_assoc, spoke_prop) = tgw_links(ec2, &spoke).await?;
    let (insp_assoc, insp_prop) = tgw_links(ec2, &inspection).await?;
    assert_eq!(spoke_assoc, [(wl_att.clone(), "associated".to_string())]);
    assert_eq!(spoke_prop, []);
    assert_eq!(insp_assoc, [(insp_att.clone(), "associated".to_string())]);
    assert_eq!(insp_prop, [(wl_att, "enabled".to_string())]);
    let default = ("0.0.0.0/0".to_string(), insp_att, "active".to_string());
    assert_eq!(tgw_static_routes(ec2, &spoke).await?, [default]);
    assert_eq!(tgw_static_routes(ec2, &inspection).await?, []);
    Ok(())
}

/// (attachment, state) of a TGW route table's associations and propagations.
async fn tgw_links(
    ec2: &aws_sdk_ec2::Client,
    rt: &str,
) -> Res<(Vec<(String, String)>, Vec<(String, String)>)> {
    let assoc = ec2
        .get_transit_gateway_route_table_associations()
        .transit_gateway_route_table_id(rt)
        .send()
        .await?;
    let prop = ec2
        .get_transit_gateway_route_table_propagations()
        .transit_gateway_route_table_id(rt)
        .send()
        .await?;
    let pair = |att: Option<&str>, state: Option<&str>| {
        (att.unwrap_or_default().to_string(), state.unwrap_or_default().to_string())
    };
    Ok((
        assoc
            .associations()
            .iter()
            .map(|a| pair(a.transit_gateway_attachment_id(), a.state().map(|s| s.as_str())))
            .collect(),
        prop.transit_gateway_route_table_propagations()
            .iter()
            .map(|p| pair(p.transit_gateway_attachment_id(), p.state().map(|s| s.as_str())))
            .collect(),
    ))
}

/// (destination, attachment, state) of a TGW route table's static routes.
async fn tgw_static_routes(
    ec2: &aws_sdk_ec2::Client,
    rt: &str,
) -> Res<Vec<(String, String, String)>> {
    let out = ec2
        .search_transit_gateway_routes()
        .transit_gateway_route_table_id(rt)
        .filters(Filter::builder().name("type").values("static").build())
        .send()
        .await?;
    Ok(out
        .routes()
        .iter()
        .map(|r| {
            let att = r
                .transit_gateway_attachments()
                .iter()
                .find_map(|a| a.transit_gateway_attachment_id());
            (
                r.destination_cidr_block().unwrap_or_default().to_string(),
                att.unwrap_or_default().to_string(),
                r.state().map_or("", |s| s.as_str()).to_string(),
            )
        })
        .collect())
}

/// VPC routes, exactly: the spoke tiers out through the transit gateway (the transit
/// tier only local), the inspection transit tier to the NAT of its AZ, the public tier
/// to the internet gateway and back to the spoke through the transit gateway.
fn check_vpc_routes(inv: &Inventory, firewall: &BTreeMap<&str, String>) {
    let tgw = inv.tgw_id();
    let igw = inv.igws["vpc/inspection/igw"].internet_gateway_id().unwrap_or("?");
    let routes = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs.iter().map(|(c, t)| (c.to_string(), t.to_string())).collect()
    };
    let (spoke_local, insp_local) = (("10.10.0.0/16", "local"), ("100.64.0.0/22", "local"));
    for az in AZS {
        for tier in PRIVATE_TIERS {
            let id = format!("vpc/workload/rt/{tier}/{az}");
            assert_eq!(inv.routes(&id), routes(&[spoke_local, ("0.0.0.0/0", &tgw)]), "{id}");
        }
        let id = format!("vpc/workload/rt/transit/{az}");
        assert_eq!(inv.routes(&id), routes(&[spoke_local]), "{id}");
        // Out through the firewall endpoint of the AZ, then NAT; back the same way.
        let nat = inv.nats[&format!("vpc/inspection/nat/{az}")].nat_gateway_id().unwrap_or("?");
        let fw = firewall[az].as_str();
        let id = format!("vpc/inspection/rt/transit/{az}");
        assert_eq!(inv.routes(&id), routes(&[insp_local, ("0.0.0.0/0", fw)]), "{id}");
        let id = format!("vpc/inspection/rt/firewall/{az}");
        let to_nat = routes(&[insp_local, ("0.0.0.0/0", nat), ("10.10.0.0/16", &tgw)]);
        assert_eq!(inv.routes(&id), to_nat, "{id}");
        let id = format!("vpc/inspection/rt/public/{az}");
        let public = routes(&[insp_local, ("0.0.0.0/0", igw), ("10.10.0.0/16", fw)]);
        assert_eq!(inv.routes(&id), public, "{id}");
    }
}

/// The endpoints' security group (HTTPS from the VPC, nothing else); the 9 interface
/// endpoints in the endpoint subnets behind it, with private DNS; the S3 gateway
/// endpoint on the route tables of the spoke tiers.
fn check_endpoints(inv: &Inventory) {
    assert_eq!(keys(&inv.sgs), set(["vpc/workload/sg/endpoints"]));
    let sg = &inv.sgs["vpc/workload/sg/endpoints"];
    let sg_id = sg.group_id().unwrap_or("?");
    let workload = inv.vpc_id("vpc/workload");
    assert_eq!(sg.vpc_id(), Some(workload.as_str()));
    assert_eq!(sg.description(), Some("HTTPS from the VPC to its interface endpoints"));
    let ingress: Vec<_> = sg
        .ip_permissions()
        .iter()
        .flat_map(|p| {
            let rule = (p.ip_protocol().unwrap_or_default(), p.from_port(), p.to_port());
            p.ip_ranges().iter().map(move |r| (rule, r.cidr_ip().unwrap_or_default()))
        })
        .collect();
    assert_eq!(ingress, [(("tcp", Some(443), Some(443)), "10.10.0.0/16")]);

    let mut expected = set(INTERFACE.iter().map(|s| format!("vpc/workload/endpoint/{s}")));
    expected.insert("vpc/workload/endpoint/s3".into());
    assert_eq!(keys(&inv.endpoints), expected);
    let state =
        |e: &aws_sdk_ec2::types::VpcEndpoint| e.state().map(|s| s.as_str().to_ascii_lowercase());
    let subnets = set(AZS.map(|az| inv.subnet_id(&format!("vpc/workload/subnet/endpoints/{az}"))));
    for svc in INTERFACE {
        let e = &inv.endpoints[&format!("vpc/workload/endpoint/{svc}")];
        let groups: Vec<_> = e.groups().iter().filter_map(|g| g.group_id()).collect();
        assert_eq!(e.vpc_endpoint_type().map(|t| t.as_str()), Some("Interface"), "{svc}");
        assert_eq!(state(e).as_deref(), Some("available"), "{svc}");
        assert_eq!(e.vpc_id(), Some(workload.as_str()), "{svc}");
        assert_eq!(e.service_name(), Some(format!("com.amazonaws.{REGION}.{svc}").as_str()));
        assert_eq!(set(e.subnet_ids().iter().map(String::as_str)), subnets, "{svc}");
        assert_eq!(groups, [sg_id], "{svc}");
        assert_eq!(e.private_dns_enabled(), Some(true), "{svc}");
    }
    let s3 = &inv.endpoints["vpc/workload/endpoint/s3"];
    let spoke_rts = PRIVATE_TIERS
        .iter()
        .flat_map(|t| AZS.map(|az| inv.rt_id(&format!("vpc/workload/rt/{t}/{az}"))));
    assert_eq!(s3.vpc_endpoint_type().map(|t| t.as_str()), Some("Gateway"));
    assert_eq!(state(s3).as_deref(), Some("available"));
    assert_eq!(s3.vpc_id(), Some(workload.as_str()));
    assert_eq!(s3.service_name(), Some(format!("com.amazonaws.{REGION}.s3").as_str()));
    assert_eq!(set(s3.route_table_ids().iter().map(String::as_str)), set(spoke_rts));
}

/// Changes made outside airgapctl (a deleted route, a removed `Name` tag, another
/// endpoint policy, an interface endpoint and a transit gateway attachment moved to another
/// subnet of the same zone) show in plan, and apply puts them back. The moves back go
/// through the emulator's one-subnet-per-zone rule: the subnet taken by hand leaves before
/// the blueprint's joins, and is free to delete after.
#[tokio::test]
async fn drift_is_planned_and_repaired() -> Res {
    let w = World::new("drift").await?;
    let bp = w.applied_single_account().await;
    let inv = w.sweep(&w.env).await?;
    let tgw_id = inv.tgw_id();
    let (route_rt, tag_rt) = ("vpc/workload/rt/dataPlane/a", "vpc/workload/rt/endpoints/b");
    assert_eq!(inv.routes(route_rt).get("0.0.0.0/0"), Some(&tgw_id));

    w.ec2
        .delete_route()
        .route_table_id(inv.rt_id(route_rt))
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await?;
    w.ec2
        .delete_tags()
        .resources(inv.rt_id(tag_rt))
        .tags(Tag::builder().key("Name").build())
        .send()
        .await?;
    let s3 = inv.endpoints["vpc/workload/endpoint/s3"].vpc_endpoint_id().unwrap().to_string();
    let narrow = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
    w.ec2.modify_vpc_endpoint().vpc_endpoint_id(&s3).policy_document(narrow).send().await?;
    let (sts, att) = ("vpc/workload/endpoint/sts", "tgw/attachment/workload");
    let sts_id = inv.endpoints[sts].vpc_endpoint_id().unwrap().to_string();
    let att_id = inv.attachment_id(att);
    let vpc = inv.vpcs["vpc/workload"].vpc_id().unwrap();
    let by_hand = w.subnet_by_hand(vpc, "10.10.200.0/28", &format!("{REGION}a")).await?;
    let (endpoints_a, transit_a) = (
        inv.subnet_id("vpc/workload/subnet/endpoints/a"),
        inv.subnet_id("vpc/workload/subnet/transit/a"),
    );
    // Out, then in: one call doing both is refused (DuplicateSubnetsInSameZone).
    let ep = || w.ec2.modify_vpc_endpoint().vpc_endpoint_id(&sts_id);
    ep().remove_subnet_ids(&endpoints_a).send().await?;
    ep().add_subnet_ids(&by_hand).send().await?;
    let tgw_att =
        || w.ec2.modify_transit_gateway_vpc_attachment().transit_gateway_attachment_id(&att_id);
    tgw_att().remove_subnet_ids(&transit_a).send().await?;
    tgw_att().add_subnet_ids(&by_hand).send().await?;

    let plan = w.plan(&bp, &["--detailed-exitcode"]).await.expect(2, "airgapctl");
    let text = plan.stdout.clone();
    let route = block(&text, &format!("  + {route_rt}/default (route, "));
    assert!(route.is_some(), "{text}");
    let tags = block(&text, &format!("  ~ {tag_rt} (route-table, ")).unwrap_or_default();
    assert!(tags.contains("\n      tags: [\"Name\"] -> "), "{text}");
    let policy =
        block(&text, "  ~ vpc/workload/endpoint/s3 (vpc-endpoint-gateway, ").unwrap_or_default();
    assert!(policy.contains("\n      policy: ") && policy.contains("s3:GetObject"), "{text}");
    for (node, kind) in [(sts, "vpc-endpoint-interface"), (att, "tgw-attachment")] {
        let moved = block(&text, &format!("  ~ {node} ({kind}, ")).unwrap_or_default();
        assert!(moved.contains("\n      subnets: ") && moved.contains(&by_hand), "{text}");
    }
    assert_eq!(plan_headers(&text).len(), 5, "{text}");
    assert!(text.ends_with("Plan: 1 to add, 4 to change, 0 to replace, 0 to destroy.\n"), "{text}");

    let apply = w.apply(&bp).await.expect(0, "airgapctl");
    assert!(
        apply.stdout.clone().contains(": 1 created, 4 updated, 0 deleted."),
        "{}",
        apply.stdout.clone()
    );
    let after = w.sweep(&w.env).await?;
    assert!(after.problems.is_empty(), "{:#?}", after.problems);
    assert_eq!(after.routes(route_rt).get("0.0.0.0/0"), Some(&tgw_id));
    let name = tag_map(after.route_tables[tag_rt].tags()).get("Name").cloned();
    assert_eq!(name, Some(format!("{}/{tag_rt}", w.env)));
    let subnets_of = |tier: &str| {
        set(AZS.map(|az| after.subnet_id(&format!("vpc/workload/subnet/{tier}/{az}"))))
    };
    assert_eq!(
        set(after.endpoints[sts].subnet_ids().iter().map(String::as_str)),
        subnets_of("endpoints")
    );
    assert_eq!(
        set(after.attachments[att].subnet_ids().iter().map(String::as_str)),
        subnets_of("transit")
    );
    // Nothing holds the subnet taken by hand any more.
    w.ec2.delete_subnet().subnet_id(&by_hand).send().await?;
    // The blueprint's policy again: ECR's layer bucket only.
    let doc = after.endpoints["vpc/workload/endpoint/s3"].policy_document().unwrap_or_default();
    let doc: serde_json::Value = serde_json::from_str(doc)?;
    let layers = format!("arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*");
    assert_eq!(
        doc["Statement"],
        serde_json::json!([{"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": [layers]}]),
        "{doc}"
    );

    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "airgapctl");
    Ok(())
}

/// A subnet switched by hand to give instances public addresses is drift: the plan
/// shows the one field, and apply puts it back in place (no replacement).
#[tokio::test]
async fn a_subnet_mapping_public_ips_is_put_back() -> Res {
    let w = World::new("publicip").await?;
    let bp = w.applied_single_account().await;
    let inv = w.sweep(&w.env).await?;
    let sn = "vpc/workload/subnet/dataPlane/a";
    let subnet_id = inv.subnet_id(sn);
    assert_eq!(inv.subnets[sn].map_public_ip_on_launch(), Some(false));
    w.ec2
        .modify_subnet_attribute()
        .subnet_id(&subnet_id)
        .map_public_ip_on_launch(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await?;

    let plan = w.plan(&bp, &["--detailed-exitcode"]).await.expect(2, "airgapctl");
    let text = plan.stdout.clone();
    let change = block(&text, &format!("  ~ {sn} (subnet, ")).unwrap_or_default();
    assert!(change.contains("\n      mapPublicIpOnLaunch: true -> false"), "{text}");
    assert!(text.ends_with("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy.\n"), "{text}");
    w.apply(&bp).await.expect(0, "airgapctl");
    let after = w.sweep(&w.env).await?;
    assert_eq!(after.subnet_id(sn), subnet_id, "changed in place");
    assert_eq!(after.subnets[sn].map_public_ip_on_launch(), Some(false));
    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "airgapctl");
    Ok(())
}

/// A transit gateway route pointed elsewhere by hand (a blackhole) is drift of the route
/// the blueprint declares, found in its table without any record on the table: the plan
/// updates it in place (ReplaceTransitGatewayRoute). The mark an earlier version wrote on
/// the table for each route (`airgap:route:<cidr>`) is removed by the same apply, as such
/// marks counted against the table's 50 tags.
#[tokio::test]
async fn a_transit_gateway_route_pointed_elsewhere_is_pointed_back() -> Res {
    let w = World::new("tgwroute").await?;
    let bp = w.applied_single_account().await;
    let tables = w
        .ec2
        .describe_transit_gateway_route_tables()
        .filters(Filter::builder().name("tag:airgap:env").values(&w.env).build())
        .send()
        .await?;
    let routes = |rt: String| {
        w.ec2
            .search_transit_gateway_routes()
            .transit_gateway_route_table_id(rt)
            .filters(Filter::builder().name("type").values("static").build())
            .send()
    };
    let mut found = None;
    for t in tables.transit_gateway_route_tables() {
        let rt = t.transit_gateway_route_table_id().unwrap_or_default().to_string();
        assert!(
            !t.tags().iter().filter_map(|g| g.key()).any(|k| k.starts_with("airgap:route:")),
            "nothing is recorded on the table"
        );
        if let Some(r) = routes(rt.clone()).await?.routes().first() {
            found = Some((rt, r.destination_cidr_block().unwrap_or_default().to_string()));
            break;
        }
    }
    let (rt, cidr) = found.ok_or("no static transit gateway route")?;
    let target = |routes: &[aws_sdk_ec2::types::TransitGatewayRoute]| {
        routes.iter().find(|r| r.destination_cidr_block() == Some(cidr.as_str())).map(|r| {
            r.transit_gateway_attachments()
                .iter()
                .filter_map(|a| a.transit_gateway_attachment_id())
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let before = target(routes(rt.clone()).await?.routes()).ok_or("the route")?;
    let mark = format!("airgap:route:{cidr}");
    w.ec2
        .create_tags()
        .resources(&rt)
        .tags(Tag::builder().key(&mark).value("tgw/rt/spoke/default").build())
        .send()
        .await?;
    w.ec2
        .replace_transit_gateway_route()
        .transit_gateway_route_table_id(&rt)
        .destination_cidr_block(&cidr)
        .blackhole(true)
        .send()
        .await?;

    let plan = w.plan(&bp, &["--detailed-exitcode"]).await.expect(2, "airgapctl");
    assert!(
        plan.stdout.contains("Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy"),
        "{}",
        plan.stdout
    );
    w.apply(&bp).await.expect(0, "airgapctl");
    assert_eq!(target(routes(rt.clone()).await?.routes()), Some(before), "pointed back");
    let t = w.ec2.describe_transit_gateway_route_tables().transit_gateway_route_table_ids(&rt);
    let t = t.send().await?;
    let tags = t.transit_gateway_route_tables()[0].tags();
    assert!(!tags.iter().any(|g| g.key() == Some(mark.as_str())), "the old mark is gone");
    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "airgapctl");
    Ok(())
}

/// A VPC taken out of the blueprint is deleted, with everything that belonged to it
/// and nothing else.
#[tokio::test]
async fn a_removed_vpc_is_deleted() -> Res {
    let w = World::new("shrink").await?;
    let workload: (&str, &str, &[&str]) = ("workload", "10.10.0.0/16", &["sts", "ec2", "logs"]);
    let extra: (&str, &str, &[&str]) = ("extra", "10.20.0.0/16", &["sts"]);
    let two = w.write("two.yaml", &w.blueprint(&w.env, &[workload, extra]));
    let one = w.write("one.yaml", &w.blueprint(&w.env, &[workload]));
    w.apply(&two).await.expect(0, "airgapctl");
    let before = w.sweep(&w.env).await?;
    assert!(before.problems.is_empty(), "{:#?}", before.problems);
    assert!(before.vpcs.contains_key("vpc/extra") && before.vpcs.contains_key("vpc/workload"));
    let extra_ids: BTreeSet<String> = before
        .ids()
        .into_iter()
        .filter(|id| id.starts_with("vpc/extra") || id == "tgw/attachment/extra")
        .collect();

    // From the sweep, which reads tags itself: a tag filter on this Describe is not one
    // every emulator honours, and the first of two attachments would be the wrong one.
    let attachment = before.attachments["tgw/attachment/extra"]
        .transit_gateway_attachment_id()
        .unwrap_or_default()
        .to_string();

    let plan = w.plan(&one, &["--detailed-exitcode"]).await.expect(2, "airgapctl");
    let text = plan.stdout.clone();
    let headers = plan_headers(&text);
    // Every planned change is a delete of something of `extra`: its VPC, subnets, route
    // tables, routes, endpoints, group, attachment and links, and the return routes to it.
    // What AWS cannot tag is named after its parent and key: the return routes by the
    // extra VPC's CIDR, the links by its attachment.
    for h in &headers {
        assert!(h.starts_with("  - "), "not a delete: {h}\n{text}");
        let id = h[4..].split(' ').next().unwrap_or_default();
        assert!(
            id.starts_with("vpc/extra")
                || id.starts_with("tgw/attachment/extra")
                || id.ends_with("~10.20.0.0/16")
                || id.ends_with(&format!(":{attachment}")),
            "{h}\n{text}"
        );
    }
    for id in &extra_ids {
        assert!(text.contains(&format!("  - {id} (")), "{id} not deleted:\n{text}");
    }
    for az in AZS {
        assert!(
            text.contains(&format!("  - vpc/inspection/rt/public/{az}~10.20.0.0/16 (route, ")),
            "{text}"
        );
    }
    for link in ["assoc", "prop"] {
        assert!(text.contains(&format!("~{link}:{attachment} (tgw-")), "{link}: {text}");
    }
    assert!(
        text.ends_with(&format!(
            "Plan: 0 to add, 0 to change, 0 to replace, {} to destroy.\n",
            headers.len()
        )),
        "{text}"
    );

    w.apply(&one).await.expect(0, "airgapctl");
    let after = w.sweep(&w.env).await?;
    assert!(after.problems.is_empty(), "{:#?}", after.problems);
    let left: Vec<_> = after.ids().intersection(&extra_ids).cloned().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Nothing of the extra VPC remains, tagged or not.
    let extra_vpc = before.vpc_id("vpc/extra");
    let vpcs = w.ec2.describe_vpcs().send().await?;
    assert!(!vpcs.vpcs().iter().any(|v| v.vpc_id() == Some(extra_vpc.as_str())));
    // Everything else is intact: the same resources, not replaced, still routed both ways.
    let mut unchanged = before.physical();
    unchanged.retain(|id, _| !extra_ids.contains(id));
    assert_eq!(after.physical(), unchanged);
    assert_eq!(
        after.attachments["tgw/attachment/workload"].state(),
        Some(&TransitGatewayAttachmentState::Available)
    );
    for az in AZS {
        let public = after.routes(&format!("vpc/inspection/rt/public/{az}"));
        assert_eq!(public.get("10.10.0.0/16"), Some(&after.tgw_id()), "{public:?}");
        assert_eq!(public.get("10.20.0.0/16"), None, "{public:?}");
        let spoke = after.routes(&format!("vpc/workload/rt/dataPlane/{az}"));
        assert_eq!(spoke.get("0.0.0.0/0"), Some(&after.tgw_id()), "{spoke:?}");
    }
    w.plan(&one, &["--detailed-exitcode"]).await.expect(0, "airgapctl");
    Ok(())
}

/// After destroy, no resource of any kind carries the env's tag.
#[tokio::test]
async fn destroy_leaves_nothing() -> Res {
    let w = World::new("gone").await?;
    let bp = w.applied_single_account().await;
    // The sweep sees everything apply made, so an empty sweep below means something.
    let built = w.sweep(&w.env).await?;
    let expected = BTreeMap::from([
        ("vpc", 2),
        ("subnet", 14),
        ("route-table", 14),
        ("internet-gateway", 1),
        ("elastic-ip", 2),
        ("nat-gateway", 2),
        ("security-group", 1),
        ("transit-gateway", 1),
        ("tgw-route-table", 2),
        ("tgw-attachment", 2),
        ("vpc-endpoint", 10),
    ]);
    assert_eq!(built.counts(), expected);

    let destroy = w.destroy(&bp).await.expect(0, "airgapctl");
    assert!(
        destroy.stdout.clone().contains(": 0 created, 0 updated, 89 deleted."),
        "{}",
        destroy.stdout.clone()
    );
    let left = w.sweep(&w.env).await?;
    assert!(left.ids().is_empty(), "left behind: {:?}\n{left:#?}", left.counts());
    assert!(left.problems.is_empty(), "{:#?}", left.problems);
    let firewalls = w.nfw.list_firewalls().send().await?;
    assert!(firewalls.firewalls().is_empty(), "left behind: {firewalls:?}");
    let plan = w.plan(&bp, &["--destroy", "--detailed-exitcode"]).await.expect(0, "airgapctl");
    assert_eq!(plan.stdout.clone(), "No changes. The environment has no resources.\n");
    Ok(())
}

/// Invalid blueprints are refused (exit 3, file:line:col) before any AWS call: nothing
/// listens on the endpoint, so a call would fail with exit 1 and a connection error.
#[tokio::test]
async fn invalid_blueprints_make_no_aws_call() -> Res {
    const DEAD: &str = "http://127.0.0.1:9";
    let cli = Cli::new(BIN, "network-invalid", DEAD);
    let valid = "apiVersion: airgapctl.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: invalid\n  \
                 region: eu-central-1\naccounts:\n  main: { id: \"111111111111\", role: airgap-deployer }\n\
                 hub:\n  account: main\n  inspectionVpc: { cidr: 100.64.0.0/22 }\nvpcs:\n  - name: workload\n    \
                 account: main\n    cidr: 10.10.0.0/16\n";
    // (name, blueprint, text at the reported position, its line, diagnostic code)
    let cases = [
        (
            "unknown-key",
            valid
                .replace("  region: eu-central-1\n", "  region: eu-central-1\n  owner: platform\n"),
            "owner: platform",
            "blueprint::unknown_key",
        ),
        (
            "overlap",
            format!("{valid}  - name: tooling\n    account: main\n    cidr: 10.10.128.0/20\n"),
            "10.10.128.0/20",
            "blueprint::cidr_overlap",
        ),
        (
            "subnet-too-big",
            valid.replace(
                "cidr: 10.10.0.0/16\n",
                "cidr: 10.10.0.0/24\n    subnets: { dataPlane: 23 }\n",
            ),
            "23 }",
            "blueprint::subnets_do_not_fit",
        ),
        (
            "undefined-account",
            valid.replace("    account: main\n", "    account: nope\n"),
            "nope",
            "blueprint::undefined_account",
        ),
    ];
    for (name, text, at, code) in &cases {
        assert_ne!(text, valid, "{name}: the mutation did not apply");
        let file = format!("{name}.yaml");
        cli.write(&file, text);
        let (line, col) = text
            .lines()
            .enumerate()
            .find_map(|(i, l)| l.find(at).map(|c| (i + 1, c + 1)))
            .expect("marker in the blueprint");
        let run = cli.run_async(&["plan", "-f", &file]).await.expect(3, "airgapctl");
        let err = run.stderr.clone();
        assert!(
            err.contains(&format!("[{file}:{line}:{col}]")),
            "{name}: expected {file}:{line}:{col}\n{err}"
        );
        assert!(err.contains(code), "{name}: expected {code}\n{err}");
        assert_eq!(run.stdout.clone(), "", "{name}");
    }
    // The control: the valid blueprint does call, and fails to connect.
    cli.write("valid.yaml", valid);
    let run = cli.run_async(&["plan", "-f", "valid.yaml"]).await.expect(1, "airgapctl");
    assert!(run.stderr.clone().contains("Connection refused"), "{}", run.stderr.clone());
    Ok(())
}

/// The plan of plans/single-account.yaml before its first apply.
#[tokio::test]
async fn first_plan_of_the_single_account_blueprint() -> Res {
    let w = World::new("first").await?;
    let bp = w.write("bp.yaml", &w.single_account());
    let plan = w.plan(&bp, &["--detailed-exitcode"]).await.expect(2, "airgapctl");
    let text = plan.stdout.clone();
    assert!(text.contains(&format!("{}/{REGION})", w.account.id())), "{text}");
    // The account is fresh each run, and the env name ends with it: names built from the
    // env (log groups) show it too.
    let filters = vec![
        (r"\b\d{12}/eu-central-1\b", "[account]/eu-central-1"),
        (r"\bfirst-\d{12}\b", "first-[account]"),
    ];
    insta::with_settings!({ filters => filters }, {
        insta::assert_snapshot!("single_account_first_plan", text);
    });
    Ok(())
}

/// `Observe: N batches (kinds x scopes), M API calls` and the per-call table of
/// `plan --stats`.
fn stats_of(stdout: &str) -> (u64, Vec<String>) {
    let mut lines = stdout.lines().skip_while(|l| !l.starts_with("Observe: "));
    let head = lines.next().unwrap_or_else(|| panic!("no stats in:\n{stdout}"));
    let calls = head
        .split(", ")
        .nth(1)
        .and_then(|s| s.strip_suffix(" API calls"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read {head:?}"));
    (calls, lines.map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect())
}

/// Observing costs as many calls for 10 spoke VPCs as for one: calls grow with kinds and
/// accounts, not with resources. Prints the figures (run with --nocapture to see them).
#[tokio::test]
async fn plan_calls_do_not_grow_with_vpcs() -> Res {
    let w = World::new("stats").await?;
    let cidrs: Vec<String> = (1..=10).map(|i| format!("10.{i}.0.0/16")).collect();
    let names: Vec<String> = (1..=10).map(|i| format!("spoke{i}")).collect();
    let vpcs: Vec<(&str, &str, &[&str])> =
        names.iter().zip(&cidrs).map(|(n, c)| (n.as_str(), c.as_str(), &["sts"][..])).collect();
    // Two environments side by side in one account.
    let (env1, env10) = (format!("one-{}", w.account.id()), format!("ten-{}", w.account.id()));
    let one = w.write("one.yaml", &w.blueprint(&env1, &vpcs[..1]));
    let ten = w.write("ten.yaml", &w.blueprint(&env10, &vpcs));

    let apply1 = w.apply(&one).await.expect(0, "airgapctl");
    let apply10 = w.apply(&ten).await.expect(0, "airgapctl");
    let plan1 = w.plan(&one, &["--stats", "--detailed-exitcode"]).await.expect(0, "airgapctl");
    let plan10 = w.plan(&ten, &["--stats", "--detailed-exitcode"]).await.expect(0, "airgapctl");
    let (calls1, table1) = stats_of(&plan1.stdout.clone());
    let (calls10, table10) = stats_of(&plan10.stdout.clone());

    let (inv1, inv10) = (w.sweep(&env1).await?, w.sweep(&env10).await?);
    assert_eq!((inv1.vpcs.len(), inv10.vpcs.len()), (2, 11));
    assert_eq!((inv1.endpoints.len(), inv10.endpoints.len()), (2, 20));
    let resources = |run: &Run| {
        let out = run.stdout.clone();
        out.lines()
            .find_map(|l| l.split(": ").nth(1)?.split(" created").next()?.parse::<usize>().ok())
            .unwrap_or_else(|| panic!("no summary in:\n{out}"))
    };
    eprintln!(
        "plan --stats, 1 spoke VPC: {calls1} API calls, plan {:.2} s; apply of {} resources {:.2} s",
        plan1.took.as_secs_f64(),
        resources(&apply1),
        apply1.took.as_secs_f64()
    );
    eprintln!(
        "plan --stats, 10 spoke VPCs: {calls10} API calls, plan {:.2} s; apply of {} resources {:.2} s",
        plan10.took.as_secs_f64(),
        resources(&apply10),
        apply10.took.as_secs_f64()
    );
    eprintln!("{}", plan10.stdout.clone().trim_end());
    assert_eq!(calls1, calls10, "\n{}\n{}", plan1.stdout.clone(), plan10.stdout.clone());
    assert_eq!(table1, table10);
    Ok(())
}

/// `adopt`: an existing VPC of the account becomes the blueprint's workload VPC, and apply
/// builds in it; one the blueprint would replace (another CIDR) is refused and left as it
/// was; an id of another kind, or a second resource for an adopted node, is refused.
#[tokio::test]
async fn an_existing_vpc_is_adopted_and_one_that_differs_is_not() -> Res {
    let w = World::new("adopt").await?;
    let bp = w.write("bp.yaml", &w.single_account());
    let mut made = Vec::new();
    for cidr in ["10.10.0.0/16", "10.99.0.0/16"] {
        let vpc = w.ec2.create_vpc().cidr_block(cidr).send().await?.vpc;
        made.push(vpc.and_then(|v| v.vpc_id).ok_or("no VPC id")?);
    }
    let (mine, other) = (made[0].clone(), made[1].clone());
    let adopt_args = |id: &str| -> Vec<String> {
        ["adopt", "vpc/workload", id, "-f", &bp, "--time-scale", "0.01"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    async fn run(w: &World, args: Vec<String>) -> Run {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        w.airgapctl(&args).await
    }

    let refused = run(&w, adopt_args(&other)).await.expect(1, "adopting a VPC of another CIDR");
    assert!(
        refused.stderr.contains("would replace it") && refused.stderr.contains("cidr"),
        "{}",
        refused.stderr
    );
    let tags = w
        .ec2
        .describe_tags()
        .filters(Filter::builder().name("resource-id").values(&other).build())
        .send()
        .await?;
    assert!(tags.tags().is_empty(), "its tags are as they were: {tags:?}");
    let wrong = run(&w, adopt_args("subnet-0123")).await.expect(3, "a subnet's id for a VPC");
    assert!(wrong.stderr.contains("is not the id of a vpc"), "{}", wrong.stderr);

    let ok = run(&w, adopt_args(&mine)).await.expect(0, "adopting the VPC");
    assert!(ok.stdout.contains(&format!("Adopted {mine} as vpc/workload")), "{}", ok.stdout);
    let again = run(&w, adopt_args(&mine)).await.expect(0, "adopting it again");
    assert!(again.stdout.contains("nothing to adopt"), "{}", again.stdout);
    let second = run(&w, adopt_args(&other)).await.expect(3, "a second VPC for the node");
    assert!(second.stderr.contains(&format!("vpc/workload is {mine}")), "{}", second.stderr);

    w.apply(&bp).await.expect(0, "airgapctl");
    let inv = w.sweep(&w.env).await?;
    assert!(inv.problems.is_empty(), "{:#?}", inv.problems);
    assert_eq!(inv.vpc_id("vpc/workload"), mine, "apply built in the adopted VPC");
    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "airgapctl");
    Ok(())
}

/// `hub.transitGateway.id`: one that would take the environment's attachments into its
/// default route table is refused before anything is created, with where the blueprint
/// names it and the command that fixes it; one set up for it is built on (route tables
/// and attachments on it), re-plans as unchanged, and is left as it was by destroy.
#[tokio::test]
async fn an_existing_transit_gateway_is_built_on_and_left_alone() -> Res {
    use aws_sdk_ec2::types::{
        DefaultRouteTableAssociationValue as Assoc, DefaultRouteTablePropagationValue as Prop,
        TransitGatewayRequestOptions,
    };
    let w = World::new("tgwx").await?;
    let mut made = Vec::new();
    for defaults in [true, false] {
        let opts = TransitGatewayRequestOptions::builder()
            .default_route_table_association(if defaults { Assoc::Enable } else { Assoc::Disable })
            .default_route_table_propagation(if defaults { Prop::Enable } else { Prop::Disable })
            .build();
        let t = w.ec2.create_transit_gateway().options(opts).send().await?.transit_gateway;
        made.push(t.and_then(|t| t.transit_gateway_id).ok_or("no transit gateway id")?);
    }
    let (loose, fit) = (made[0].clone(), made[1].clone());
    let on = |id: &str| {
        let text = w.blueprint(&w.env, &[("workload", "10.10.0.0/16", &[])]);
        let hub = "hub:\n  account: main\n";
        assert!(text.contains(hub), "{text}");
        text.replacen(hub, &format!("{hub}  transitGateway: {{ id: {id} }}\n"), 1)
    };

    let bad = w.write("loose.yaml", &on(&loose));
    let refused = w.plan(&bad, &[]).await.expect(3, "a gateway with default route tables");
    assert!(
        refused.stderr.contains("loose.yaml:11:25")
            && refused.stderr.contains(&format!("hub.transitGateway.id {loose}"))
            && refused.stderr.contains("DefaultRouteTableAssociation=disable")
            && refused.stderr.contains("DefaultRouteTablePropagation=disable"),
        "{}",
        refused.stderr
    );
    let missing = w.write("missing.yaml", &on("tgw-0123456789abcdef0"));
    let refused = w.plan(&missing, &[]).await.expect(3, "a gateway that does not exist");
    assert!(
        refused.stderr.contains("no transit gateway tgw-0123456789abcdef0"),
        "{}",
        refused.stderr
    );
    assert!(w.sweep(&w.env).await?.ids().is_empty(), "nothing was created");

    // As a user would: the gateway is made, then available, then named in a blueprint.
    for _ in 0..600 {
        let d = w.ec2.describe_transit_gateways().transit_gateway_ids(&fit).send().await?;
        if d.transit_gateways()[0].state() == Some(&TransitGatewayState::Available) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let bp = w.write("fit.yaml", &on(&fit));
    w.apply(&bp).await.expect(0, "airgapctl");
    let tables = w.ec2.describe_transit_gateway_route_tables().send().await?;
    let mine: Vec<_> = tables
        .transit_gateway_route_tables()
        .iter()
        .filter(|t| tag_map(t.tags()).get("airgap:env") == Some(&w.env))
        .collect();
    assert_eq!(mine.len(), 2, "{tables:?}");
    assert!(mine.iter().all(|t| t.transit_gateway_id() == Some(fit.as_str())), "{mine:?}");
    let attachments = w.ec2.describe_transit_gateway_attachments().send().await?;
    let attached: Vec<_> = attachments
        .transit_gateway_attachments()
        .iter()
        .filter(|a| tag_map(a.tags()).get("airgap:env") == Some(&w.env))
        .collect();
    assert_eq!(attached.len(), 2, "{attachments:?}");
    assert!(attached.iter().all(|a| a.transit_gateway_id() == Some(fit.as_str())));
    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "a re-plan");

    w.destroy(&bp).await.expect(0, "airgapctl");
    assert!(w.sweep(&w.env).await?.ids().is_empty(), "the environment is gone");
    let after = w.ec2.describe_transit_gateways().transit_gateway_ids(&fit).send().await?;
    let t = &after.transit_gateways()[0];
    assert_eq!(t.state(), Some(&TransitGatewayState::Available), "{t:?}");
    assert!(t.tags().is_empty(), "never tagged: {:?}", t.tags());
    Ok(())
}

/// `access.vpn` and `access.dns` (issue 21): the endpoint has the server certificate from
/// ACM as its own and its clients' root chain, split tunnel, the addresses of the
/// resolver endpoint `access.dns` makes in the access VPC (inbound, operational, tagged,
/// its group admitting DNS from the VPC and `allowFrom`), one target network, an
/// authorization rule and a route for the workload VPC; `access vpn-config`
/// writes an OpenVPN file naming the endpoint with the user's certificate and key;
/// `--revoke` puts the certificate on the endpoint's revocation list; a re-plan is
/// empty; destroy leaves no endpoint, resolver endpoint, certificate or secret.
#[tokio::test]
async fn a_vpn_is_built_configured_revoked_and_destroyed() -> Res {
    let w = World::new("vpn").await?;
    let conf = airgap_testkit::LocalStack::connect().await?.sdk_config(&w.account).await?;
    let acm = aws_sdk_acm::Client::new(&conf);
    let sm = aws_sdk_secretsmanager::Client::new(&conf);
    let r53r = aws_sdk_route53resolver::Client::new(&conf);
    let text = format!(
        "{}access:\n  vpn:\n    vpc: access\n    clientCidr: 10.250.0.0/22\n    cidrs: [10.10.0.0/16]\n  dns:\n    vpc: access\n    allowFrom: [192.168.0.0/16]\n",
        w.blueprint(&w.env, &[("workload", "10.10.0.0/16", &[]), ("access", "10.30.0.0/16", &[])])
    );
    let bp = w.write("bp.yaml", &text);
    w.apply(&bp).await.expect(0, "airgapctl");

    let eps = w.ec2.describe_client_vpn_endpoints().send().await?;
    let ep = eps
        .client_vpn_endpoints()
        .iter()
        .find(|e| tag_map(e.tags()).get("airgap:env") == Some(&w.env))
        .expect("the environment's endpoint");
    let id = ep.client_vpn_endpoint_id().unwrap().to_string();
    let cert = ep.server_certificate_arn().expect("a server certificate").to_string();
    let auth = &ep.authentication_options()[0];
    assert_eq!(
        auth.mutual_authentication().and_then(|m| m.client_root_certificate_chain()),
        Some(cert.as_str()),
        "{ep:?}"
    );
    assert_eq!(ep.split_tunnel(), Some(true));
    assert_eq!(ep.client_cidr_block(), Some("10.250.0.0/22"));
    let resolvers = r53r.list_resolver_endpoints().send().await?;
    let resolver = resolvers
        .resolver_endpoints()
        .iter()
        .find(|e| {
            e.creator_request_id().is_some_and(|r| r.starts_with(&format!("airgap/{}/", w.env)))
        })
        .expect("the environment's resolver endpoint");
    assert_eq!(resolver.direction().map(|d| d.as_str()), Some("INBOUND"));
    assert_eq!(resolver.status().map(|s| s.as_str()), Some("OPERATIONAL"), "{resolver:?}");
    let arn = resolver.arn().unwrap();
    let tags = r53r.list_tags_for_resource().resource_arn(arn).send().await?;
    assert!(
        tags.tags().iter().any(|t| t.key() == "airgap:env" && t.value() == w.env),
        "tagged in the create: {tags:?}"
    );
    let ips = r53r
        .list_resolver_endpoint_ip_addresses()
        .resolver_endpoint_id(resolver.id().unwrap())
        .send()
        .await?;
    let mut addrs: Vec<String> =
        ips.ip_addresses().iter().filter_map(|a| a.ip().map(str::to_string)).collect();
    addrs.sort_by_key(|a| a.parse::<std::net::Ipv4Addr>().ok());
    assert_eq!(addrs.len(), 2, "{ips:?}");
    assert!(addrs.iter().all(|a| a.starts_with("10.30.")), "in the access VPC: {addrs:?}");
    let mut servers = ep.dns_servers().to_vec();
    servers.sort_by_key(|a| a.parse::<std::net::Ipv4Addr>().ok());
    assert_eq!(servers, addrs, "the VPN hands out the resolver endpoint's addresses");
    let group = resolver.security_group_ids()[0].clone();
    let rules = w
        .ec2
        .describe_security_group_rules()
        .filters(aws_sdk_ec2::types::Filter::builder().name("group-id").values(&group).build())
        .send()
        .await?;
    let dns_in: BTreeSet<String> = rules
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(false) && r.from_port() == Some(53))
        .map(|r| format!("{} {}", r.ip_protocol().unwrap_or(""), r.cidr_ipv4().unwrap_or("")))
        .collect();
    assert_eq!(
        dns_in,
        set(["tcp 10.30.0.0/16", "udp 10.30.0.0/16", "tcp 192.168.0.0/16", "udp 192.168.0.0/16"]),
        "{rules:?}"
    );
    let described = acm.describe_certificate().certificate_arn(&cert).send().await?;
    assert_eq!(
        described.certificate().and_then(|c| c.domain_name()),
        Some(format!("vpn.{}.airgap.internal", w.env).as_str())
    );
    let nets =
        w.ec2.describe_client_vpn_target_networks().client_vpn_endpoint_id(&id).send().await?;
    assert_eq!(nets.client_vpn_target_networks().len(), 1, "{nets:?}");
    let rules =
        w.ec2.describe_client_vpn_authorization_rules().client_vpn_endpoint_id(&id).send().await?;
    let cidrs: Vec<_> =
        rules.authorization_rules().iter().filter_map(|r| r.destination_cidr()).collect();
    // The workload VPC, and the subnets of the DNS servers handed out: Client VPN lets
    // clients reach nothing no rule authorizes, the DNS servers included.
    assert_eq!(cidrs.len(), 3, "{cidrs:?}");
    assert!(cidrs.contains(&"10.10.0.0/16"), "{cidrs:?}");
    let within = |ip: &str, cidr: &str| {
        let (net, bits) = cidr.split_once('/').unwrap();
        let mask = u32::MAX.checked_shl(32 - bits.parse::<u32>().unwrap()).unwrap_or(0);
        let (ip, net): (std::net::Ipv4Addr, std::net::Ipv4Addr) =
            (ip.parse().unwrap(), net.parse().unwrap());
        u32::from(ip) & mask == u32::from(net)
    };
    for server in ep.dns_servers() {
        assert!(cidrs.iter().any(|c| within(server, c)), "{server} authorized: {cidrs:?}");
    }
    let routes = w.ec2.describe_client_vpn_routes().client_vpn_endpoint_id(&id).send().await?;
    assert!(
        routes.routes().iter().any(|r| r.destination_cidr() == Some("10.10.0.0/16")),
        "{routes:?}"
    );
    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "a re-plan");

    // The target network moved by hand to another subnet of its zone (out, then in: a
    // second subnet of a zone is InvalidClientVpnSubnetId.DuplicateAz) is drift; apply
    // moves it back the same way, and the routes through it come back.
    let (subnet, assoc) = {
        let n = &nets.client_vpn_target_networks()[0];
        (n.target_network_id().unwrap().to_string(), n.association_id().unwrap().to_string())
    };
    let zone = w.ec2.describe_subnets().subnet_ids(&subnet).send().await?.subnets()[0]
        .availability_zone()
        .unwrap()
        .to_string();
    let networks = || async {
        let n = w.ec2.describe_client_vpn_target_networks().client_vpn_endpoint_id(&id).send();
        let n = n.await.map(|o| o.client_vpn_target_networks().to_vec()).unwrap_or_default();
        n.iter()
            .map(|n| {
                let state = n.status().and_then(|s| s.code()).map(|c| c.as_str().to_string());
                (n.target_network_id().unwrap_or_default().to_string(), state.unwrap_or_default())
            })
            .collect::<Vec<_>>()
    };
    let settle = |want: Vec<(String, String)>| async move {
        for _ in 0..600 {
            if networks().await == want {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("target networks {:?}, not {want:?}", networks().await);
    };
    w.ec2
        .disassociate_client_vpn_target_network()
        .client_vpn_endpoint_id(&id)
        .association_id(&assoc)
        .send()
        .await?;
    settle(vec![]).await;
    let by_hand = w.subnet_by_hand(ep.vpc_id().unwrap(), "10.30.200.0/27", &zone).await?;
    w.ec2
        .associate_client_vpn_target_network()
        .client_vpn_endpoint_id(&id)
        .subnet_id(&by_hand)
        .send()
        .await?;
    settle(vec![(by_hand.clone(), "associated".into())]).await;
    let drift = w.plan(&bp, &["--detailed-exitcode"]).await.expect(2, "a plan of the move");
    let moved = block(&drift.stdout.clone(), "  ~ access/vpn (client-vpn-endpoint, ");
    assert!(moved.is_some_and(|b| b.contains(&by_hand)), "{}", drift.stdout.clone());
    w.apply(&bp).await.expect(0, "airgapctl");
    assert_eq!(networks().await, [(subnet.clone(), "associated".to_string())]);
    let routes = w.ec2.describe_client_vpn_routes().client_vpn_endpoint_id(&id).send().await?;
    assert!(
        routes.routes().iter().any(|r| r.destination_cidr() == Some("10.10.0.0/16")
            && r.target_subnet() == Some(subnet.as_str())),
        "{routes:?}"
    );
    // Nothing holds the subnet taken by hand any more (it would keep the VPC from going).
    w.ec2.delete_subnet().subnet_id(&by_hand).send().await?;
    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "a re-plan");

    let config = w
        .airgapctl(&["access", "vpn-config", "--user", "alice", "-f", &bp])
        .await
        .expect(0, "vpn-config");
    let ovpn = config.stdout.clone();
    assert!(ovpn.contains(&id), "the file names the endpoint: {ovpn}");
    for section in ["<ca>", "<cert>", "</cert>", "<key>", "</key>", "remote "] {
        assert!(ovpn.contains(section), "{section} in {ovpn}");
    }
    let revoked = w.airgapctl(&["access", "vpn-config", "--revoke", "alice", "-f", &bp]).await;
    revoked.expect(0, "revoke");
    let crl = w
        .ec2
        .export_client_vpn_client_certificate_revocation_list()
        .client_vpn_endpoint_id(&id)
        .send()
        .await?;
    assert!(
        crl.certificate_revocation_list().is_some_and(|c| c.contains("BEGIN X509 CRL")),
        "{crl:?}"
    );
    let unknown = w.airgapctl(&["access", "vpn-config", "--revoke", "bob", "-f", &bp]).await;
    assert!(unknown.expect(1, "revoking a user never issued").stderr.contains("bob"));

    w.destroy(&bp).await.expect(0, "airgapctl");
    let eps = w.ec2.describe_client_vpn_endpoints().send().await?;
    assert!(
        eps.client_vpn_endpoints().iter().all(|e| {
            tag_map(e.tags()).get("airgap:env") != Some(&w.env)
                || e.status().and_then(|s| s.code()).map(|c| c.as_str()) == Some("deleted")
        }),
        "{eps:?}"
    );
    let resolvers = r53r.list_resolver_endpoints().send().await?;
    assert!(resolvers.resolver_endpoints().iter().all(|e| e.arn() != Some(arn)), "{resolvers:?}");
    let certs = acm.list_certificates().send().await?;
    assert!(
        certs.certificate_summary_list().iter().all(|c| c.certificate_arn() != Some(cert.as_str())),
        "{certs:?}"
    );
    let secrets = sm.list_secrets().send().await?;
    assert!(
        secrets
            .secret_list()
            .iter()
            .all(|s| !s.name().unwrap_or_default().starts_with(&format!("airgap/{}/", w.env))),
        "{secrets:?}"
    );
    Ok(())
}

/// `access.privateLink` (issue 21): an internal NLB in the workload VPC's endpoints
/// subnets with a TCP listener forwarding to an IP target group, and an endpoint service
/// in front of it that requires acceptance and allows one other account. That account's
/// interface endpoint waits in `pendingAcceptance`; `access connections` lists it and
/// `--accept` makes it available; a re-plan is empty; destroy rejects the connection and
/// removes the service, the load balancer and the target group.
#[tokio::test]
async fn a_private_link_service_is_offered_connected_and_destroyed() -> Res {
    let w = World::new("plink").await?;
    let ls = LocalStack::connect().await?;
    let conf = ls.sdk_config(&w.account).await?;
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&conf);
    let consumer = ls.account().await?;
    ls.set_time_scale(&consumer, 0.01).await?;
    let cec2 = aws_sdk_ec2::Client::new(&ls.sdk_config(&consumer).await?);
    let principal = format!("arn:aws:iam::{}:root", consumer.id());
    let text = format!(
        "{}access:\n  privateLink:\n    - name: api\n      vpc: workload\n      port: 8443\n      allowedPrincipals: [\"{principal}\"]\n",
        w.blueprint(&w.env, &[("workload", "10.10.0.0/16", &[])])
    );
    let bp = w.write("bp.yaml", &text);
    // The service is made but its answer lost: the SDK's retry, with the same client token,
    // must get that service back, not a second one or a refusal of the load balancer the
    // first one took.
    let lost = ls
        .inject_fault(serde_json::json!({
            "service": "ec2",
            "operation": "CreateVpcEndpointServiceConfiguration",
            "fault": "response_lost",
            "count": 1,
            "account": w.account.id(),
        }))
        .await?;
    w.apply(&bp).await.expect(0, "airgapctl");
    let rule = ls.lift_fault(&lost).await?;
    assert_eq!(rule["hits"], 1, "the create's answer was lost: {rule}");

    let svcs = w.ec2.describe_vpc_endpoint_service_configurations().send().await?;
    let ours: Vec<_> = svcs
        .service_configurations()
        .iter()
        .filter(|s| tag_map(s.tags()).get("airgap:env") == Some(&w.env))
        .collect();
    assert_eq!(ours.len(), 1, "one endpoint service: {ours:?}");
    let svc = ours[0];
    let (sid, name) = (svc.service_id().unwrap(), svc.service_name().unwrap().to_string());
    assert_eq!(svc.acceptance_required(), Some(true));
    let lb_arn = svc.network_load_balancer_arns()[0].clone();
    let lbs = elb.describe_load_balancers().load_balancer_arns(&lb_arn).send().await?;
    let lb = &lbs.load_balancers()[0];
    assert_eq!(lb.scheme().map(|s| s.as_str()), Some("internal"));
    assert_eq!(lb.r#type().map(|t| t.as_str()), Some("network"));
    assert_eq!(lb.availability_zones().len(), 2, "one endpoints subnet per AZ: {lb:?}");
    let listeners = elb.describe_listeners().load_balancer_arn(&lb_arn).send().await?;
    let l = &listeners.listeners()[0];
    assert_eq!((l.port(), l.protocol().map(|p| p.as_str())), (Some(8443), Some("TCP")));
    let tg_arn = l.default_actions()[0].target_group_arn().unwrap().to_string();
    let tgs = elb.describe_target_groups().target_group_arns(&tg_arn).send().await?;
    let tg = &tgs.target_groups()[0];
    assert_eq!(tg.target_type().map(|t| t.as_str()), Some("ip"));
    assert_eq!(tg.port(), Some(8443));
    let perms = w.ec2.describe_vpc_endpoint_service_permissions().service_id(sid).send().await?;
    let allowed: Vec<_> = perms.allowed_principals().iter().filter_map(|p| p.principal()).collect();
    assert_eq!(allowed, [principal.as_str()]);
    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "a re-plan");

    // The third party's endpoint asks to connect.
    let vpc = cec2.create_vpc().cidr_block("10.91.0.0/16").send().await?;
    let vpc = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    let subnet = cec2.create_subnet().vpc_id(&vpc).cidr_block("10.91.0.0/24").send().await?;
    let subnet = subnet.subnet().and_then(|s| s.subnet_id()).unwrap().to_string();
    let ep = cec2
        .create_vpc_endpoint()
        .vpc_endpoint_type(aws_sdk_ec2::types::VpcEndpointType::Interface)
        .vpc_id(&vpc)
        .subnet_ids(&subnet)
        .service_name(&name)
        .send()
        .await?;
    let ep = ep.vpc_endpoint().unwrap();
    let ep_id = ep.vpc_endpoint_id().unwrap().to_string();
    assert_eq!(ep.state().map(|s| s.as_str()), Some("pendingAcceptance"));
    let listed = w.airgapctl(&["access", "connections", "-f", &bp, "--output", "json"]).await;
    let listed: serde_json::Value = serde_json::from_str(&listed.expect(0, "connections").stdout)?;
    assert_eq!(listed[0]["endpointId"], ep_id.as_str(), "{listed}");
    assert_eq!(listed[0]["owner"], consumer.id(), "{listed}");
    assert_eq!(listed[0]["state"], "pendingAcceptance", "{listed}");
    assert_eq!(listed[0]["service"], "access/privatelink/api", "{listed}");
    let unknown = w
        .airgapctl(&["access", "connections", "-f", &bp, "--accept", "vpce-0000000000000000"])
        .await;
    assert!(unknown
        .expect(1, "an endpoint not connected")
        .stderr
        .contains("vpce-0000000000000000"));
    let accepted = w.airgapctl(&["access", "connections", "-f", &bp, "--accept", &ep_id]).await;
    let accepted = accepted.expect(0, "accept").stdout.clone();
    assert!(accepted.contains(&ep_id) && !accepted.contains("pendingAcceptance"), "{accepted}");
    let state = |ec2: aws_sdk_ec2::Client, id: String| async move {
        let r = ec2.describe_vpc_endpoints().vpc_endpoint_ids(id).send().await?;
        Ok::<_, Box<dyn std::error::Error>>(
            r.vpc_endpoints()[0].state().map(|s| s.as_str().to_string()).unwrap_or_default(),
        )
    };
    let mut now = state(cec2.clone(), ep_id.clone()).await?;
    for _ in 0..50 {
        if now == "available" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        now = state(cec2.clone(), ep_id.clone()).await?;
    }
    assert_eq!(now, "available", "accepted, the consumer's endpoint becomes available");
    w.plan(&bp, &["--detailed-exitcode"]).await.expect(0, "a re-plan after accepting");

    w.destroy(&bp).await.expect(0, "airgapctl");
    let svcs = w.ec2.describe_vpc_endpoint_service_configurations().send().await?;
    assert!(
        svcs.service_configurations().iter().all(|s| s.service_id() != Some(sid)
            || matches!(s.service_state().map(|s| s.as_str()), Some("Deleted" | "Deleting"))),
        "{svcs:?}"
    );
    let lbs = elb.describe_load_balancers().send().await?;
    assert!(lbs.load_balancers().iter().all(|l| l.load_balancer_arn() != Some(lb_arn.as_str())));
    let tgs = elb.describe_target_groups().send().await?;
    assert!(tgs.target_groups().iter().all(|t| t.target_group_arn() != Some(tg_arn.as_str())));
    assert_eq!(state(cec2.clone(), ep_id.clone()).await?, "rejected", "destroy rejected it");
    Ok(())
}
