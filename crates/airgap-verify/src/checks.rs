//! The checks. Each reads the topology (and the blueprint's intent where the topology
//! cannot say what was meant) and returns its result with evidence.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::egress::{self, classes, vpc_route, End};
use crate::intent::Intent;
use crate::prefix::{AddrSet, Prefix};
use crate::report::{CheckInfo, CheckResult, Finding, Status};
use crate::topology::{Pull, Target, Topology, VpcRole};

/// Every check, in report order. Ids are stable.
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "egress.firewall-first",
        title: "Egress from every spoke subnet meets a firewall endpoint before any NAT or internet gateway",
        proves: "for every subnet of every spoke VPC and every destination outside the environment's VPC CIDRs (all of them, by equivalence classes of prefixes), every path through VPC route tables, transit gateway route tables (associations, propagations, static and blackhole routes) and zones either drops or passes a firewall endpoint before a NAT gateway, an internet gateway or any target the model does not follow",
    },
    CheckInfo {
        id: "egress.return-symmetry",
        title: "Return traffic comes back through the firewall endpoint of the same zone",
        proves: "appliance mode is on for the inspection VPC's attachment, every NAT gateway's subnet routes each spoke CIDR to the firewall endpoint of its own zone, and every firewall subnet routes each spoke CIDR to the transit gateway",
    },
    CheckInfo {
        id: "spoke.no-public-surface",
        title: "No public surface in spokes",
        proves: "no internet gateway, NAT gateway, egress-only gateway or peering connection in a spoke VPC, no subnet that maps public IPs on launch, and no route table outside the inspection VPC with a route to a NAT or internet gateway",
    },
    CheckInfo {
        id: "firewall.default-drop",
        title: "Firewall drops by default, in strict order",
        proves: "the policy and its rule groups evaluate in strict order, the stateful default action drops, and the stateless defaults forward to the stateful engine (or drop) instead of passing",
    },
    CheckInfo {
        id: "firewall.home-net",
        title: "HOME_NET of every rule group covers every spoke CIDR",
        proves: "each stateful rule group's HOME_NET includes every address of every spoke VPC, so the rules written for the spokes match their traffic",
    },
    CheckInfo {
        id: "firewall.allowlist",
        title: "The firewall passes the declared allowlist only",
        proves: "the domain allowlist equals the blueprint's, and no pass rule admits any destination on any port; the allowed domains and rules are listed",
    },
    CheckInfo {
        id: "firewall.logging",
        title: "Firewall alert logs are on",
        proves: "the firewall sends its ALERT logs (what its rules dropped or flagged) to a destination; where FLOW logs go is shown",
    },
    CheckInfo {
        id: "eks.private-endpoint",
        title: "EKS API endpoint is private only",
        proves: "public endpoint access is off and private access on, for every cluster",
    },
    CheckInfo {
        id: "eks.endpoint-dns",
        title: "The cluster endpoint's name resolves inside its VPC",
        proves: "with --dns on what exists: the name of every cluster's API endpoint, looked up with the system resolver of the machine running verify, gives only addresses within the cluster's VPC CIDR (not applicable without --dns)",
    },
    CheckInfo {
        id: "eks.api-access",
        title: "Cluster API (443) open only to apiAccessCidrs",
        proves: "every ingress rule of the cluster's security groups that admits port 443 admits only addresses within the cluster's declared apiAccessCidrs",
    },
    CheckInfo {
        id: "eks.node-endpoints",
        title: "The endpoints nodes need exist, with private DNS",
        proves: "the cluster's VPC has interface endpoints for ec2, ecr.api, ecr.dkr and sts with private DNS on, and an S3 gateway endpoint",
    },
    CheckInfo {
        id: "endpoints.ecr-policy",
        title: "ECR endpoints allow only the environment's repositories",
        proves: "every ecr.api and ecr.dkr endpoint has a policy whose Allow statements name only the environment's repository ARNs (and `*` only for ecr:GetAuthorizationToken)",
    },
    CheckInfo {
        id: "endpoints.s3-policy",
        title: "S3 gateway endpoints allow only ECR's layer bucket and declared buckets",
        proves: "every S3 gateway endpoint has a policy whose Allow statements name only the region's ECR layer bucket and the declared buckets",
    },
    CheckInfo {
        id: "registry.scan-on-push",
        title: "Repositories scan images on push",
        proves: "scan on push is on for every repository of the environment",
    },
    CheckInfo {
        id: "registry.immutable-tags",
        title: "Repositories have immutable tags",
        proves: "tag immutability is on for every repository of the environment",
    },
    CheckInfo {
        id: "registry.pull-principals",
        title: "Only the environment's node roles may pull",
        proves: "each repository policy grants pull to the node roles of the environment's clusters and to no one else",
    },
];

fn result(
    id: &'static str,
    evidence: Vec<String>,
    findings: Vec<Finding>,
    applicable: bool,
) -> CheckResult {
    let info = CHECKS.iter().find(|c| c.id == id).expect("every check is listed in CHECKS");
    let status = if !findings.is_empty() {
        Status::Fail
    } else if applicable {
        Status::Pass
    } else {
        Status::NotApplicable
    };
    CheckResult { id, title: info.title, status, evidence, findings }
}

fn join<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    let v: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

/// Runs every check.
pub fn run(t: &Topology, intent: &Intent) -> Vec<CheckResult> {
    let mut out = vec![egress_check(t), return_symmetry(t), no_public_surface(t)];
    out.extend(firewall_checks(t, intent));
    out.extend(eks_checks(t, intent));
    out.push(ecr_policy(t, intent));
    out.push(s3_policy(t, intent));
    out.extend(registry_checks(t));
    out
}

fn spoke_cidrs(t: &Topology) -> Vec<Prefix> {
    t.vpcs_of(VpcRole::Spoke).map(|v| v.cidr).collect()
}

fn egress_check(t: &Topology) -> CheckResult {
    const ID: &str = "egress.firewall-first";
    if t.vpcs_of(VpcRole::Spoke).next().is_none() {
        return result(ID, vec!["no spoke VPC".into()], vec![], false);
    }
    let e = egress::analyze(t);
    let mut evidence = vec![
        format!(
            "{} spoke subnets x {} destination classes outside the environment's ranges ({}): {} paths followed",
            e.subnets,
            e.classes,
            join(t.private_ranges()),
            e.paths
        ),
        format!(
            "safe paths end: {}",
            join(e.ends.iter().map(|(k, v)| format!("{k} {v}")))
        ),
        format!("dropped: {}", join(e.drops.iter().map(|(k, v)| format!("{k} ({v})")))),
    ];
    // One traced path shows what "safe" looked like.
    let probe = u32::from(std::net::Ipv4Addr::new(1, 1, 1, 1));
    let sample = t
        .subnets
        .values()
        .filter(|s| t.vpcs.get(&s.vpc).is_some_and(|v| v.role == VpcRole::Spoke))
        .filter(|_| !AddrSet::of_prefixes(&t.private_ranges()).contains_addr(probe))
        .flat_map(|s| egress::trace(t, &s.id, probe).into_iter().map(move |p| (s.id.clone(), p)))
        .find(|(_, p)| p.is_safe() && matches!(p.end, End::Internet { .. }));
    if let Some((sub, p)) = sample {
        evidence.push(format!("e.g. {sub} -> 1.1.1.1:"));
        evidence.extend(p.lines().into_iter().map(|l| format!("  {l}")));
    }
    // Breaches that leave at the same hop for the same destinations are one finding,
    // naming every subnet affected and tracing the first.
    let mut findings: Vec<Finding> = Vec::new();
    let mut groups: Vec<(String, Vec<Prefix>, Vec<String>, egress::Breach)> = Vec::new();
    for b in e.breaches {
        let hop = b.path.breach().map_or_else(String::new, |h| {
            format!(
                "{}: {}{}",
                h.at,
                h.step,
                h.route.as_ref().map_or(String::new(), |r| format!(" [{r}]"))
            )
        });
        match groups.iter_mut().find(|g| g.0 == hop && g.1 == b.destinations) {
            Some(g) => g.2.push(b.subnet.clone()),
            None => groups.push((hop, b.destinations.clone(), vec![b.subnet.clone()], b)),
        }
    }
    for (hop, dests, subnets, b) in groups {
        let to = if b.everywhere {
            "every destination outside the environment".to_string()
        } else if dests.len() > 4 {
            format!("{} and {} more prefixes", join(&dests[..4]), dests.len() - 4)
        } else {
            join(&dests)
        };
        let resource =
            b.path.breach().and_then(|h| h.route.clone()).unwrap_or_else(|| b.subnet.clone());
        findings.push(Finding {
            resource,
            message: format!(
                "from {} to {to} (e.g. {}): let out at {hop} before any firewall endpoint",
                join(&subnets),
                b.example
            ),
            destinations: dests,
            path: Some(b.path),
        });
    }
    result(ID, evidence, findings, true)
}

fn return_symmetry(t: &Topology) -> CheckResult {
    const ID: &str = "egress.return-symmetry";
    let Some(fw) = t
        .firewalls
        .iter()
        .find(|f| t.vpcs.get(&f.vpc).is_some_and(|v| v.role == VpcRole::Inspection))
    else {
        return result(ID, vec!["no firewall in the inspection VPC (egress.firewall-first and firewall.* report it)".into()], vec![], false);
    };
    let mut evidence = Vec::new();
    let mut findings = Vec::new();
    match t.attachments.values().find(|a| a.vpc == fw.vpc) {
        None => findings.push(Finding::new(&fw.vpc, "the inspection VPC has no transit gateway attachment")),
        Some(a) if !a.appliance_mode => findings.push(Finding::new(
            &a.id,
            "appliance mode is off: the transit gateway may bring a flow's two directions through the endpoints of different zones, and the stateful firewall drops what it did not see start",
        )),
        Some(a) => evidence.push(format!("appliance mode on: {}", a.id)),
    }
    let spokes = AddrSet::of_prefixes(&spoke_cidrs(t));
    // One address per class inside the spokes decides for the class.
    let probes: Vec<u32> = classes(t)
        .into_iter()
        .filter(|&(lo, _, _)| spokes.contains_addr(lo as u32))
        .map(|(lo, _, _)| lo as u32)
        .collect();
    let mut expect = |subnet: &str, want: &dyn Fn(&Target) -> bool, what: &str| {
        for &a in &probes {
            let (at, found) = vpc_route(t, subnet, a);
            let ok = found.as_ref().is_some_and(|l| want(&l.target));
            if !ok {
                let got =
                    found.map_or("no route".to_string(), |l| format!("{} -> {}", l.dest, l.target));
                findings.push(Finding::new(
                    at.clone(),
                    format!(
                        "replies to {} from {subnet} should go to {what}, but go {got}",
                        std::net::Ipv4Addr::from(a)
                    ),
                ));
                return;
            }
        }
        evidence.push(format!("{subnet}: spoke CIDRs -> {what}"));
    };
    for nat in
        t.nat_gateways.iter().filter(|n| t.subnets.get(&n.subnet).is_some_and(|s| s.vpc == fw.vpc))
    {
        let az = t.subnets[&nat.subnet].az.clone();
        let want = |tg: &Target| matches!(tg, Target::FirewallEndpoint { firewall, az: z } if *firewall == fw.id && *z == az);
        expect(&nat.subnet, &want, &format!("the firewall endpoint in {az}"));
    }
    for sub in &fw.subnets {
        let want = |tg: &Target| matches!(tg, Target::TransitGateway { .. });
        expect(sub, &want, "the transit gateway");
    }
    result(ID, evidence, findings, true)
}

fn no_public_surface(t: &Topology) -> CheckResult {
    const ID: &str = "spoke.no-public-surface";
    let spokes: Vec<&str> = t.vpcs_of(VpcRole::Spoke).map(|v| v.id.as_str()).collect();
    let in_spoke = |vpc: &str| spokes.contains(&vpc);
    let mut findings = Vec::new();
    for g in &t.internet_gateways {
        if let Some(v) = g.vpc.as_deref().filter(|v| in_spoke(v)) {
            findings.push(Finding::new(&g.id, format!("internet gateway attached to spoke {v}")));
        }
    }
    for n in &t.nat_gateways {
        if let Some(s) = t.subnets.get(&n.subnet).filter(|s| in_spoke(&s.vpc)) {
            findings.push(Finding::new(&n.id, format!("NAT gateway in spoke {}", s.vpc)));
        }
    }
    for g in t.other_gateways.iter().filter(|g| in_spoke(&g.vpc)) {
        findings.push(Finding::new(&g.id, format!("{} in spoke {}", g.kind, g.vpc)));
    }
    for s in t.subnets.values().filter(|s| s.map_public_ip_on_launch) {
        findings.push(Finding::new(&s.id, "maps a public IPv4 address on launch"));
    }
    let mut exits = BTreeSet::new();
    for rt in t.route_tables.values() {
        let inspection = t.vpcs.get(&rt.vpc).is_some_and(|v| v.role == VpcRole::Inspection);
        for r in &rt.routes {
            let public = matches!(
                r.target,
                Target::NatGateway { .. } | Target::InternetGateway { .. } | Target::Other { .. }
            );
            if public && inspection {
                exits.insert(rt.id.clone());
            } else if public {
                findings.push(Finding::new(
                    &r.id,
                    format!("{} -> {} outside the inspection VPC", r.dest, r.target),
                ));
            }
        }
    }
    let evidence = vec![
        format!("spoke VPCs: {}", join(&spokes)),
        format!(
            "{} subnets, none mapping public IPs on launch; internet gateways: {}; NAT gateways: {}",
            t.subnets.len(),
            join(t.internet_gateways.iter().map(|g| format!("{} ({})", g.id, g.vpc.as_deref().unwrap_or("detached")))),
            join(t.nat_gateways.iter().map(|n| n.id.as_str()))
        ),
        format!("route tables with a route to a NAT or internet gateway: {}", join(&exits)),
    ];
    result(ID, evidence, findings, !spokes.is_empty())
}

/// A pass rule open to every destination on every port.
fn wide_open(rule: &str) -> bool {
    let w: Vec<&str> = rule.split_whitespace().collect();
    // pass <proto> <src> <sport> -> <dst> <dport> (...)
    let any_dest = |d: &str| matches!(d, "any" | "0.0.0.0/0" | "$EXTERNAL_NET");
    w.len() >= 7 && w[0] == "pass" && w[4] == "->" && any_dest(w[5]) && w[6] == "any"
}

fn firewall_checks(t: &Topology, intent: &Intent) -> Vec<CheckResult> {
    let ids =
        ["firewall.default-drop", "firewall.home-net", "firewall.allowlist", "firewall.logging"];
    let fws: Vec<_> = t
        .firewalls
        .iter()
        .filter(|f| t.vpcs.get(&f.vpc).is_some_and(|v| v.role == VpcRole::Inspection))
        .collect();
    if fws.is_empty() {
        let applies = t.vpcs_of(VpcRole::Spoke).next().is_some();
        return ids
            .iter()
            .map(|id| {
                let f = if applies {
                    vec![Finding::new(
                        "hub.firewall",
                        "the environment has no firewall: nothing inspects its egress",
                    )]
                } else {
                    vec![]
                };
                result(id, vec!["no firewall in the inspection VPC".into()], f, false)
            })
            .collect();
    }
    let spokes = spoke_cidrs(t);
    let (mut drop_e, mut drop_f) = (Vec::new(), Vec::new());
    let (mut home_e, mut home_f) = (Vec::new(), Vec::new());
    let (mut allow_e, mut allow_f) = (Vec::new(), Vec::new());
    let (mut log_e, mut log_f) = (Vec::new(), Vec::new());
    for fw in fws {
        // ALERT logs record what the rules dropped or flagged: the evidence that the gap
        // held. FLOW logs (every flow) are the blueprint's choice, off by default for
        // their cost: shown, not required.
        let flow = fw.flow_log.as_deref().unwrap_or("off");
        match &fw.alert_log {
            Some(a) => log_e.push(format!("{}: ALERT -> {a}, FLOW -> {flow}", fw.id)),
            None => log_f.push(Finding::new(
                &fw.id,
                format!("ALERT logs off (FLOW -> {flow}): nothing records what the firewall drops"),
            )),
        }
        let Some(p) = &fw.policy else {
            for f in [&mut drop_f, &mut home_f, &mut allow_f] {
                f.push(Finding::new(
                    &fw.id,
                    "the firewall's policy is not part of the environment",
                ));
            }
            continue;
        };
        // Default drop.
        if p.rule_order.as_deref() != Some("STRICT_ORDER") {
            drop_f.push(Finding::new(
                &p.id,
                format!(
                    "rule order {}, not STRICT_ORDER",
                    p.rule_order.as_deref().unwrap_or("DEFAULT_ACTION_ORDER")
                ),
            ));
        }
        let drops = p
            .stateful_default
            .iter()
            .any(|a| a == "aws:drop_established" || a == "aws:drop_strict");
        if !drops {
            drop_f.push(Finding::new(
                &p.id,
                format!("stateful default actions [{}] do not drop", p.stateful_default.join(", ")),
            ));
        }
        for (what, action) in [
            ("stateless default", Some(&p.stateless_default)),
            ("stateless fragment default", p.stateless_fragment_default.as_ref()),
        ] {
            if let Some(a) =
                action.filter(|a| !matches!(a.as_str(), "aws:forward_to_sfe" | "aws:drop"))
            {
                drop_f.push(Finding::new(
                    &p.id,
                    format!("{what} {a} lets traffic past the stateful rules"),
                ));
            }
        }
        for g in p.rule_groups.iter().filter(|g| g.rule_order.as_deref() != Some("STRICT_ORDER")) {
            drop_f.push(Finding::new(&g.id, "rule group not in STRICT_ORDER"));
        }
        for g in &p.missing_groups {
            drop_f.push(Finding::new(g, "rule group of the policy is not part of the environment"));
        }
        drop_e.push(format!(
            "{}: rule order {}, stateful default [{}], stateless default {}",
            p.id,
            p.rule_order.as_deref().unwrap_or("DEFAULT_ACTION_ORDER"),
            p.stateful_default.join(", "),
            p.stateless_default
        ));
        // HOME_NET.
        for g in &p.rule_groups {
            let home = AddrSet::of_prefixes(&g.home_net);
            let missing = AddrSet::of_prefixes(&spokes).minus(&home);
            if missing.is_empty() {
                home_e.push(format!(
                    "{}: HOME_NET {} covers {}",
                    g.id,
                    join(&g.home_net),
                    join(&spokes)
                ));
            } else {
                home_f.push(Finding::new(
                    &g.id,
                    format!("HOME_NET {} misses {}", join(&g.home_net), join(missing.prefixes())),
                ));
            }
        }
        // Allowlist.
        let domains: BTreeSet<&str> =
            p.rule_groups.iter().flat_map(|g| g.domains.iter().map(String::as_str)).collect();
        allow_e.push(format!("allowed domains: {}", join(&domains)));
        if domains.iter().any(|d| d.ends_with(".amazonaws.com") && d.starts_with('.')) {
            allow_e.push("note: .amazonaws.com admits every AWS-hosted name, S3 buckets of any account included".into());
        }
        if let Some(declared) = &intent.allow_domains {
            let declared: BTreeSet<&str> = declared.iter().map(String::as_str).collect();
            if declared != domains {
                allow_f.push(Finding::new(
                    &p.id,
                    format!(
                        "allowed domains {} differ from the blueprint's {}",
                        join(&domains),
                        join(&declared)
                    ),
                ));
            }
        }
        for g in &p.rule_groups {
            for r in &g.rules {
                allow_e.push(format!("{}: {r}", g.id));
                if wide_open(r) {
                    allow_f.push(Finding::new(
                        &g.id,
                        format!("rule passes every destination on every port: {r}"),
                    ));
                }
            }
        }
    }
    vec![
        result(ids[0], drop_e, drop_f, true),
        result(ids[1], home_e, home_f, true),
        result(ids[2], allow_e, allow_f, true),
        result(ids[3], log_e, log_f, true),
    ]
}

/// Interface endpoints private nodes need (EKS user guide, "Deploy private clusters
/// with limited internet access"): EC2 (node bootstrap and the VPC CNI), ECR's API and
/// registry (images), STS (IAM roles for service accounts). S3 is a gateway endpoint.
const NODE_INTERFACE_ENDPOINTS: [&str; 4] = ["ec2", "ecr.api", "ecr.dkr", "sts"];

fn eks_checks(t: &Topology, intent: &Intent) -> Vec<CheckResult> {
    let applicable = !t.clusters.is_empty();
    let (mut pe, mut pf) = (Vec::new(), Vec::new());
    let (mut ae, mut af) = (Vec::new(), Vec::new());
    let (mut ne, mut nf) = (Vec::new(), Vec::new());
    for c in &t.clusters {
        if c.public_access {
            pf.push(Finding::new(&c.id, "public endpoint access is on"));
        }
        if !c.private_access {
            pf.push(Finding::new(
                &c.id,
                "private endpoint access is off: nodes cannot reach the API inside the VPC",
            ));
        }
        pe.push(format!(
            "{}: public access {}, private access {}",
            c.id,
            on(c.public_access),
            on(c.private_access)
        ));

        let allowed =
            intent.clusters.iter().find(|i| i.id == c.id).map(|i| i.api_access_cidrs.clone());
        let rules: Vec<_> = t
            .sg_rules
            .iter()
            .filter(|r| c.security_groups.contains(&r.group))
            .filter(|r| {
                (r.protocol == "tcp" && r.port == 443)
                    || matches!(r.protocol.as_str(), "-1" | "all")
            })
            .collect();
        match &allowed {
            None => af.push(Finding::new(
                &c.id,
                "the blueprint declares no such cluster: its apiAccessCidrs are unknown",
            )),
            Some(allowed) => {
                let set = AddrSet::of_prefixes(allowed);
                for r in &rules {
                    if !AddrSet::of_prefixes(&[r.cidr]).minus(&set).is_empty() {
                        af.push(Finding::new(
                            &r.id,
                            format!(
                                "{} port {} open to {}, outside apiAccessCidrs {}",
                                r.protocol,
                                r.port,
                                r.cidr,
                                join(allowed)
                            ),
                        ));
                    }
                }
                ae.push(format!(
                    "{}: 443 open to {} (apiAccessCidrs {})",
                    c.id,
                    join(rules.iter().map(|r| r.cidr)),
                    join(allowed)
                ));
            }
        }

        let vpc = c.subnets.iter().find_map(|s| t.subnets.get(s)).map(|s| s.vpc.clone());
        let Some(vpc) = vpc else {
            nf.push(Finding::new(&c.id, "the cluster's subnets are not part of the environment"));
            continue;
        };
        let eps: Vec<_> = t.endpoints.iter().filter(|e| e.vpc == vpc).collect();
        let mut central = Vec::new();
        for svc in NODE_INTERFACE_ENDPOINTS {
            match eps.iter().find(|e| !e.gateway && e.service == svc) {
                None => match central_endpoint(t, &vpc, svc) {
                    Ok(ep) => central.push(format!("{svc} via {ep}")),
                    Err(why) => nf.push(Finding::new(&vpc, why)),
                },
                Some(e) if !e.private_dns => nf.push(Finding::new(&e.id, "private DNS is off")),
                Some(_) => {}
            }
        }
        if !eps.iter().any(|e| e.gateway && e.service == "s3") {
            nf.push(Finding::new(&vpc, "no S3 gateway endpoint (image layers are pulled from S3)"));
        }
        ne.push(format!(
            "{vpc}: interface {}; gateway {}",
            join(eps.iter().filter(|e| !e.gateway).map(|e| format!(
                "{}{}",
                e.service,
                if e.private_dns { "" } else { " (no private DNS)" }
            ))),
            join(eps.iter().filter(|e| e.gateway).map(|e| e.service.as_str()))
        ));
        if !central.is_empty() {
            ne.push(format!("{vpc}: central {}", join(central)));
        }
    }
    vec![
        result("eks.private-endpoint", pe, pf, applicable),
        endpoint_dns(t),
        result("eks.api-access", ae, af, applicable),
        result("eks.node-endpoints", ne, nf, applicable),
    ]
}

/// The central interface endpoint of `svc` that `vpc` resolves through a private hosted
/// zone associated with it, or why there is none usable: no zone, a zone aliasing to no
/// endpoint of the service, or to one whose own private DNS is on (AWS would then answer
/// the name twice; the zone is there because it is off).
fn central_endpoint(t: &Topology, vpc: &str, svc: &str) -> Result<String, String> {
    let zone = t
        .zones
        .iter()
        .find(|z| z.service.as_deref() == Some(svc) && z.vpcs.iter().any(|v| v == vpc))
        .ok_or_else(|| format!("no {svc} interface endpoint"))?;
    let ep = zone
        .targets
        .iter()
        .find_map(|target| {
            t.endpoints.iter().find(|e| &e.id == target && !e.gateway && e.service == svc)
        })
        .ok_or_else(|| {
            format!("{}: the {svc} zone points at no {svc} interface endpoint", zone.id)
        })?;
    if ep.private_dns {
        return Err(format!("{}: a central endpoint has private DNS on", ep.id));
    }
    Ok(format!("{} ({})", ep.id, zone.id))
}

/// The cluster endpoints' names, as `--dns` resolved them, against their VPCs' CIDRs.
fn endpoint_dns(t: &Topology) -> CheckResult {
    let (mut e, mut f) = (Vec::new(), Vec::new());
    for c in &t.clusters {
        let Some(res) = t.dns.get(&c.id) else { continue };
        let host = c.endpoint.as_deref().unwrap_or("(no endpoint)");
        let vpc = c.subnets.iter().find_map(|s| t.subnets.get(s)).and_then(|s| t.vpcs.get(&s.vpc));
        match (res, vpc) {
            (Err(why), _) => f.push(Finding::new(&c.id, format!("{host} does not resolve: {why}"))),
            (Ok(addrs), _) if addrs.is_empty() => {
                f.push(Finding::new(&c.id, format!("{host} resolves to no IPv4 address")))
            }
            (Ok(_), None) => {
                f.push(Finding::new(&c.id, "the cluster's subnets are not part of the environment"))
            }
            (Ok(addrs), Some(v)) => {
                let outside: Vec<_> =
                    addrs.iter().filter(|a| !v.cidr.contains_addr(u32::from(**a))).collect();
                if outside.is_empty() {
                    e.push(format!("{}: {host} -> {} (in {} {})", c.id, join(addrs), v.id, v.cidr));
                } else {
                    f.push(Finding::new(
                        &c.id,
                        format!(
                            "{host} resolves to {} outside the VPC {} ({}): clients would reach a public endpoint",
                            join(outside),
                            v.id,
                            v.cidr
                        ),
                    ));
                }
            }
        }
    }
    if t.dns.is_empty() {
        e.push("not looked up: `verify --live --dns` resolves the endpoints that exist".into());
    }
    result("eks.endpoint-dns", e, f, !t.dns.is_empty())
}

fn on(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// A policy's statements (one object or a list).
fn statements(p: &Json) -> Vec<&Json> {
    match p.get("Statement") {
        Some(Json::Array(v)) => v.iter().collect(),
        Some(s @ Json::Object(_)) => vec![s],
        _ => Vec::new(),
    }
}

/// A string-or-list field.
fn strings(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The findings of one endpoint's policy: every Allow statement's resources must pass
/// `ok(resource, actions)`.
fn policy_findings(
    id: &str,
    policy: Option<&Json>,
    ok: &dyn Fn(&str, &[String]) -> bool,
) -> Vec<Finding> {
    let Some(p) = policy else {
        return vec![Finding::new(
            id,
            "no policy: AWS's default allows every action on every resource",
        )];
    };
    if !p.is_object() {
        return vec![Finding::new(id, "the policy is not a JSON document")];
    }
    let mut out = Vec::new();
    for st in statements(p) {
        if st.get("Effect").and_then(Json::as_str) != Some("Allow") {
            continue;
        }
        for not in ["NotAction", "NotResource", "NotPrincipal"] {
            if st.get(not).is_some() {
                out.push(Finding::new(
                    id,
                    format!("an Allow statement with {not} allows everything it does not name"),
                ));
            }
        }
        let actions = strings(st.get("Action"));
        for r in strings(st.get("Resource")) {
            if !ok(&r, &actions) {
                out.push(Finding::new(id, format!("allows {} on {r}", join(&actions))));
            }
        }
    }
    out
}

/// What nodes need of EKS's add-on registry: pulling images.
const EKS_PULL: [&str; 3] =
    ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];

fn ecr_policy(t: &Topology, intent: &Intent) -> CheckResult {
    let eps: Vec<_> = t
        .endpoints
        .iter()
        .filter(|e| !e.gateway && matches!(e.service.as_str(), "ecr.api" | "ecr.dkr"))
        .collect();
    let eks = intent.eks_addon_repositories();
    let only = |actions: &[String], allowed: &[&str]| {
        !actions.is_empty()
            && actions.iter().all(|a| allowed.iter().any(|x| a.eq_ignore_ascii_case(x)))
    };
    let ok = |r: &str, actions: &[String]| {
        intent.repositories.iter().any(|x| x == r)
            // GetAuthorizationToken has no resource but `*` (ECR user guide, IAM actions).
            || (r == "*" && only(actions, &["ecr:GetAuthorizationToken"]))
            // EKS's own add-on images, pulled only (AmazonEC2ContainerRegistryReadOnly's
            // image actions): without them the nodes' vpc-cni, coredns and kube-proxy
            // cannot start.
            || (r.starts_with(&eks) && only(actions, &EKS_PULL))
    };
    let mut findings = Vec::new();
    for e in &eps {
        findings.extend(policy_findings(&e.id, e.policy.as_ref(), &ok));
    }
    let evidence = vec![
        format!("endpoints: {}", join(eps.iter().map(|e| e.id.as_str()))),
        format!("environment repositories: {}", join(&intent.repositories)),
        format!("EKS add-on images (pull only): {eks}*"),
    ];
    result("endpoints.ecr-policy", evidence, findings, !eps.is_empty())
}

fn s3_policy(t: &Topology, intent: &Intent) -> CheckResult {
    let eps: Vec<_> = t.endpoints.iter().filter(|e| e.gateway && e.service == "s3").collect();
    let mut buckets = vec![intent.layer_bucket()];
    buckets.extend(intent.buckets.iter().cloned());
    let ok = |r: &str, _: &[String]| {
        let Some(rest) = r.strip_prefix("arn:aws:s3:::") else { return false };
        let bucket = rest.split('/').next().unwrap_or("");
        !bucket.contains(['*', '?']) && buckets.iter().any(|b| b == bucket)
    };
    let mut findings = Vec::new();
    for e in &eps {
        findings.extend(policy_findings(&e.id, e.policy.as_ref(), &ok));
    }
    let evidence = vec![
        format!("endpoints: {}", join(eps.iter().map(|e| e.id.as_str()))),
        format!("allowed buckets: {}", join(&buckets)),
    ];
    result("endpoints.s3-policy", evidence, findings, !eps.is_empty())
}

fn registry_checks(t: &Topology) -> Vec<CheckResult> {
    let applicable = !t.repositories.is_empty();
    let roles: BTreeSet<&str> =
        t.clusters.iter().flat_map(|c| c.node_roles.iter().map(String::as_str)).collect();
    let (mut se, mut sf, mut ie, mut imf, mut pe, mut pf) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for r in &t.repositories {
        if r.scan_on_push {
            se.push(format!("{}: scan on push", r.name))
        } else {
            sf.push(Finding::new(&r.id, "scan on push is off"))
        }
        if r.immutable_tags {
            ie.push(format!("{}: immutable tags", r.name))
        } else {
            imf.push(Finding::new(&r.id, "tags are mutable"))
        }
        match &r.pull {
            Pull::Principals(p) => {
                for x in p.iter().filter(|x| !roles.contains(x.as_str())) {
                    pf.push(Finding::new(
                        &r.id,
                        format!("{x} may pull but is not a node role of the environment"),
                    ));
                }
                pe.push(format!("{}: pull by {}", r.name, join(p)));
            }
            Pull::Other(text) => pf.push(Finding::new(
                &r.id,
                format!("repository policy is not a pull grant to the node roles: {text}"),
            )),
        }
    }
    pe.push(format!("node roles: {}", join(&roles)));
    vec![
        result("registry.scan-on-push", se, sf, applicable),
        result("registry.immutable-tags", ie, imf, applicable),
        result("registry.pull-principals", pe, pf, applicable),
    ]
}
