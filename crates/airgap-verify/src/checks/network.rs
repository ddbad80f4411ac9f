//! The network checks: egress through the firewall, return symmetry, no public surface,
//! the firewall's policy, rules and logging.

use super::*;

pub(super) fn egress_check(t: &Topology) -> CheckResult {
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

pub(super) fn return_symmetry(t: &Topology) -> CheckResult {
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

pub(super) fn no_public_surface(t: &Topology) -> CheckResult {
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
pub(super) fn wide_open(rule: &str) -> bool {
    let w: Vec<&str> = rule.split_whitespace().collect();
    // pass <proto> <src> <sport> -> <dst> <dport> (...)
    let any_dest = |d: &str| matches!(d, "any" | "0.0.0.0/0" | "$EXTERNAL_NET");
    w.len() >= 7 && w[0] == "pass" && w[4] == "->" && any_dest(w[5]) && w[6] == "any"
}

pub(super) fn firewall_checks(t: &Topology, intent: &Intent) -> Vec<CheckResult> {
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
