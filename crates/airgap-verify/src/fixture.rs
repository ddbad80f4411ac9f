//! Small hand-built topologies: one spoke and the inspection VPC in two zones, wired as
//! the expansion wires them, for tests of the analysis (here and in other crates) to
//! change one thing at a time.

use crate::prefix::Prefix;
use crate::topology::{
    ClientVpn, Firewall, FirewallPolicy, InternetGateway, NatGateway, Route, RouteTable, RuleGroup,
    Subnet, Target, TgwAttachment, TgwRoute, TgwRouteTable, TgwTarget, Topology, Vpc, VpcRole,
    VpnAuthorization, VpnRoute,
};

pub const ZONES: [&str; 2] = ["eu-central-1a", "eu-central-1b"];

fn p(s: &str) -> Prefix {
    s.parse().expect("fixture prefixes are valid")
}

/// The zone's letter.
pub fn z(az: &str) -> &str {
    &az[az.len() - 1..]
}

/// Adds a VPC with no subnets.
pub fn vpc(t: &mut Topology, id: &str, cidr: &str, role: VpcRole) {
    t.vpcs.insert(id.into(), Vpc { id: id.into(), cidr: p(cidr), role, main_route_table: None });
}

/// Adds subnet `{vpc}/{name}` with its own route table `{vpc}/rt/{name}`.
pub fn subnet(t: &mut Topology, vpc: &str, name: &str, cidr: &str, az: &str) -> String {
    let id = format!("{vpc}/{name}");
    let rt = format!("{vpc}/rt/{name}");
    t.subnets.insert(
        id.clone(),
        Subnet {
            id: id.clone(),
            vpc: vpc.into(),
            cidr: p(cidr),
            az: az.into(),
            route_table: Some(rt.clone()),
            map_public_ip_on_launch: false,
        },
    );
    t.route_tables.insert(rt.clone(), RouteTable { id: rt, vpc: vpc.into(), routes: Vec::new() });
    id
}

/// Adds a route `cidr -> target` to route table `rt`; its id is `{rt}:{cidr}`.
pub fn route(t: &mut Topology, rt: &str, cidr: &str, target: Target) {
    let r = t.route_tables.get_mut(rt).unwrap_or_else(|| panic!("no route table {rt}"));
    r.routes.push(Route { dest: p(cidr), target, id: format!("{rt}:{cidr}") });
}

/// Adds a static route (or blackhole) to TGW route table `rt`.
pub fn tgw_route(t: &mut Topology, rt: &str, cidr: &str, target: TgwTarget) {
    let r = t.tgw_route_tables.get_mut(rt).unwrap_or_else(|| panic!("no TGW route table {rt}"));
    r.routes.push(TgwRoute { dest: p(cidr), target, id: format!("{rt}:{cidr}") });
}

pub fn tgw() -> Target {
    Target::TransitGateway { id: "tgw".into() }
}

pub fn nat(az: &str) -> Target {
    Target::NatGateway { id: format!("nat/{}", z(az)) }
}

pub fn igw(id: &str) -> Target {
    Target::InternetGateway { id: id.into() }
}

pub fn fw(az: &str) -> Target {
    Target::FirewallEndpoint { firewall: "fw".into(), az: az.into() }
}

pub fn att(id: &str) -> TgwTarget {
    TgwTarget::Attachment { id: id.into() }
}

/// A spoke VPC `name` with `app` and `transit` subnets in both zones, the app route
/// tables sending 0.0.0.0/0 to the transit gateway, attached (`att/{name}`), associated
/// with `tgw-rt/spoke` and propagated into `tgw-rt/inspection`.
pub fn spoke(t: &mut Topology, name: &str, octet: u8) {
    vpc(t, name, &format!("10.{octet}.0.0/16"), VpcRole::Spoke);
    let mut transit = Vec::new();
    for (i, az) in ZONES.iter().enumerate() {
        subnet(t, name, &format!("app/{}", z(az)), &format!("10.{octet}.{i}.0/24"), az);
        route(t, &format!("{name}/rt/app/{}", z(az)), "0.0.0.0/0", tgw());
        transit.push(subnet(
            t,
            name,
            &format!("transit/{}", z(az)),
            &format!("10.{octet}.10{i}.0/28"),
            az,
        ));
    }
    let a = format!("att/{name}");
    t.attachments.insert(
        a.clone(),
        TgwAttachment {
            id: a.clone(),
            tgw: "tgw".into(),
            vpc: name.into(),
            subnets: transit,
            appliance_mode: false,
        },
    );
    if let Some(rt) = t.tgw_route_tables.get_mut("tgw-rt/spoke") {
        rt.associations.push(a.clone());
    }
    if let Some(rt) = t.tgw_route_tables.get_mut("tgw-rt/inspection") {
        rt.propagations.push(a);
    }
}

/// The environment of `plans/hub-spoke.yaml` in small: one spoke (`spoke`,
/// 10.1.0.0/16) and the inspection VPC (`insp`, 100.64.0.0/22) with a firewall (`fw`),
/// a NAT gateway per zone and the internet gateway `igw`.
pub fn hub() -> Topology {
    let mut t = Topology { region: "eu-central-1".into(), ..Topology::default() };
    for rt in ["tgw-rt/spoke", "tgw-rt/inspection"] {
        t.tgw_route_tables.insert(
            rt.into(),
            TgwRouteTable {
                id: rt.into(),
                tgw: "tgw".into(),
                associations: Vec::new(),
                propagations: Vec::new(),
                routes: Vec::new(),
            },
        );
    }
    vpc(&mut t, "insp", "100.64.0.0/22", VpcRole::Inspection);
    let (mut transit, mut fws) = (Vec::new(), Vec::new());
    for (i, az) in ZONES.iter().enumerate() {
        let l = z(az);
        transit.push(subnet(
            &mut t,
            "insp",
            &format!("transit/{l}"),
            &format!("100.64.0.{}/28", 16 * i),
            az,
        ));
        fws.push(subnet(
            &mut t,
            "insp",
            &format!("firewall/{l}"),
            &format!("100.64.1.{}/28", 16 * i),
            az,
        ));
        let public =
            subnet(&mut t, "insp", &format!("public/{l}"), &format!("100.64.2.{}/28", 16 * i), az);
        t.nat_gateways.push(NatGateway { id: format!("nat/{l}"), subnet: public });
        route(&mut t, &format!("insp/rt/transit/{l}"), "0.0.0.0/0", fw(az));
        route(&mut t, &format!("insp/rt/firewall/{l}"), "0.0.0.0/0", nat(az));
        route(&mut t, &format!("insp/rt/public/{l}"), "0.0.0.0/0", igw("igw"));
    }
    t.internet_gateways.push(InternetGateway { id: "igw".into(), vpc: Some("insp".into()) });
    t.attachments.insert(
        "att/insp".into(),
        TgwAttachment {
            id: "att/insp".into(),
            tgw: "tgw".into(),
            vpc: "insp".into(),
            subnets: transit,
            appliance_mode: true,
        },
    );
    t.tgw_route_tables.get_mut("tgw-rt/inspection").unwrap().associations.push("att/insp".into());
    tgw_route(&mut t, "tgw-rt/spoke", "0.0.0.0/0", att("att/insp"));
    t.firewalls.push(Firewall {
        id: "fw".into(),
        vpc: "insp".into(),
        subnets: fws,
        policy: Some(FirewallPolicy {
            id: "fw/policy".into(),
            rule_order: Some("STRICT_ORDER".into()),
            stateless_default: "aws:forward_to_sfe".into(),
            stateless_fragment_default: None,
            stateful_default: vec!["aws:drop_established".into()],
            rule_groups: vec![RuleGroup {
                id: "fw/rules".into(),
                rule_order: Some("STRICT_ORDER".into()),
                home_net: vec![p("10.0.0.0/8")],
                domains: vec!["example.com".into()],
                target_types: vec!["TLS_SNI".into()],
                rules: Vec::new(),
            }],
            missing_groups: Vec::new(),
        }),
        alert_log: Some("logs/alert".into()),
        flow_log: Some("logs/flow".into()),
    });
    spoke(&mut t, "spoke", 1);
    // Replies to the spokes: public -> firewall (same zone), firewall -> TGW.
    for az in ZONES {
        let l = z(az);
        route(&mut t, &format!("insp/rt/public/{l}"), "10.0.0.0/8", fw(az));
        route(&mut t, &format!("insp/rt/firewall/{l}"), "10.0.0.0/8", tgw());
    }
    t
}

/// `access.vpn` of the hub in small: a spoke `access` (10.2.0.0/16, as [`spoke`] makes
/// it) and a split-tunnel Client VPN endpoint `vpn` (clients 10.250.0.0/22) associated
/// with `access/app/a`, authorized and routed to the spoke `spoke` (10.1.0.0/16) besides
/// the route AWS adds for its own VPC; the firewall passes TCP 443 from the access VPC to
/// the spoke. What a cluster in `spoke` needs besides (its security group admitting
/// 10.2.0.0/16 on 443) is the caller's.
pub fn vpn(t: &mut Topology) {
    spoke(t, "access", 2);
    let entry = "access/app/a".to_string();
    let route = |cidr: &str| VpnRoute {
        id: format!("vpn:route/{cidr}@{entry}"),
        dest: p(cidr),
        subnet: entry.clone(),
    };
    let v = ClientVpn {
        id: "vpn".into(),
        vpc: "access".into(),
        client_cidr: p("10.250.0.0/22"),
        split_tunnel: true,
        subnets: vec![entry.clone()],
        authorizations: vec![VpnAuthorization {
            id: "vpn:authorize/10.1.0.0/16".into(),
            dest: p("10.1.0.0/16"),
        }],
        routes: vec![route("10.2.0.0/16"), route("10.1.0.0/16")],
    };
    t.client_vpns.get_or_insert_with(Vec::new).push(v);
    let fw = t.firewalls.iter_mut().find(|f| f.id == "fw").expect("the hub's firewall");
    let group = &mut fw.policy.as_mut().expect("the hub's policy").rule_groups[0];
    group.rules.push(
        "pass tcp 10.2.0.0/16 any -> 10.1.0.0/16 443 (msg:\"VPN to the API\"; flow:to_server; sid:2000;)"
            .into(),
    );
}
