//! The access checks: a Client VPN endpoint as a path into the environment. Client VPN
//! translates a client's address to that of the endpoint's interface in the associated
//! subnet, so from there on the clients' traffic is the subnet's: the egress analysis
//! already follows it out (the subnet is a spoke's). What these checks add is what comes
//! before: which destinations the endpoint lets clients send to, and that the clusters
//! it is for can be reached through it.

use super::*;
use crate::egress::{trace, Path};
use crate::intent::VpnIntent;
use crate::topology::{ClientVpn, Cluster, Firewall, Subnet};

const IDS: [&str; 3] = ["vpn.split-tunnel", "vpn.authorization", "vpn.cluster-api"];

pub(super) fn vpn_checks(t: &Topology, intent: &Intent) -> Vec<CheckResult> {
    let Some(vpns) = &t.client_vpns else {
        let why = "Client VPN endpoints not read: `--live` does not read them yet (docs/verify.md)";
        return IDS.iter().map(|id| result(id, vec![why.into()], vec![], false)).collect();
    };
    vec![split_tunnel(t, vpns), authorization(t, vpns, intent), cluster_api(t, vpns, intent)]
}

/// The VPN as a path: who enters, to what, where.
fn path_line(v: &ClientVpn) -> String {
    format!(
        "vpn {}: clients {} -> {} through {}, {}",
        v.id,
        v.client_cidr,
        join(v.authorizations.iter().map(|a| a.dest)),
        join(&v.subnets),
        if v.split_tunnel { "split tunnel" } else { "full tunnel" }
    )
}

/// Every address of `p` is in `set`.
fn within(p: Prefix, set: &AddrSet) -> bool {
    AddrSet::of_prefixes(&[p]).minus(set).is_empty()
}

fn split_tunnel(t: &Topology, vpns: &[ClientVpn]) -> CheckResult {
    const ID: &str = "vpn.split-tunnel";
    let ranges = AddrSet::of_prefixes(&t.private_ranges());
    let outside = |p: Prefix| {
        if p == Prefix::ANY {
            "every destination: the clients' internet traffic".to_string()
        } else {
            let out = AddrSet::of_prefixes(&[p]).minus(&ranges);
            format!("{} outside the environment's VPCs", join(out.prefixes()))
        }
    };
    let (mut evidence, mut findings) = (Vec::new(), Vec::new());
    for v in vpns {
        evidence.push(path_line(v));
        if !v.split_tunnel {
            findings.push(Finding::new(
                &v.id,
                "split tunnel is off: every packet of a client goes into the VPN, its internet \
                 traffic included, and leaves by the environment's way out wherever the \
                 endpoint routes it",
            ));
        }
        for r in v.routes.iter().filter(|r| !within(r.dest, &ranges)) {
            findings.push(Finding::new(
                &r.id,
                format!("the endpoint routes {} into {} ({})", r.dest, r.subnet, outside(r.dest)),
            ));
        }
        for a in v.authorizations.iter().filter(|a| !within(a.dest, &ranges)) {
            findings.push(Finding::new(
                &a.id,
                format!("clients are authorized for {} ({})", a.dest, outside(a.dest)),
            ));
        }
        // Where the clients' traffic enters the VPC: spoke subnets, whose way out
        // egress.firewall-first follows.
        for s in &v.subnets {
            let why = match t.subnets.get(s) {
                None => Some(format!("associated subnet {s} is not part of the environment")),
                Some(sub) if sub.vpc != v.vpc => {
                    Some(format!("associated subnet {s} is in {}, not in {}", sub.vpc, v.vpc))
                }
                Some(sub) if t.vpcs.get(&sub.vpc).is_some_and(|x| x.role == VpcRole::Spoke) => None,
                Some(sub) => Some(format!(
                    "associated subnet {s} is not in a spoke ({}): egress.firewall-first does \
                     not follow the clients' traffic from there",
                    sub.vpc
                )),
            };
            if let Some(why) = why {
                findings.push(Finding::new(&v.id, why));
            }
        }
        evidence.push(format!(
            "{}: routes {}",
            v.id,
            join(v.routes.iter().map(|r| format!("{} -> {}", r.dest, r.subnet)))
        ));
        evidence.push(format!(
            "{}: clients enter {} with the address of the endpoint's interface there; \
             egress.firewall-first follows that subnet's traffic out",
            v.id, v.vpc
        ));
    }
    if vpns.is_empty() {
        evidence.push("no Client VPN endpoint".into());
    }
    result(ID, evidence, findings, !vpns.is_empty())
}

fn authorization(t: &Topology, vpns: &[ClientVpn], intent: &Intent) -> CheckResult {
    const ID: &str = "vpn.authorization";
    let (mut evidence, mut findings) = (Vec::new(), Vec::new());
    for v in vpns {
        let Some(want) = intent.vpns.iter().find(|i| i.id == v.id) else {
            findings.push(Finding::new(
                &v.id,
                format!(
                    "a Client VPN endpoint the blueprint does not declare (access.vpn): clients \
                     {} may reach {}",
                    v.client_cidr,
                    join(v.authorizations.iter().map(|a| a.dest))
                ),
            ));
            continue;
        };
        let allowed = allowed(t, want);
        let set = AddrSet::of_prefixes(allowed.iter().map(|(p, _)| p));
        let mut ok = Vec::new();
        for a in &v.authorizations {
            let extra = AddrSet::of_prefixes(&[a.dest]).minus(&set);
            if extra.is_empty() {
                let by = allowed.iter().filter(|(p, _)| p.contains(&a.dest) || a.dest.contains(p));
                ok.push(format!("{} ({})", a.dest, join(by.map(|(_, why)| why))));
            } else {
                findings.push(Finding::new(
                    &a.id,
                    format!(
                        "clients are authorized for {}: {} is neither the VPC of a cluster in \
                         access.vpn.clusters, in access.vpn.cidrs, nor its DNS servers' network",
                        a.dest,
                        join(extra.prefixes())
                    ),
                ));
            }
        }
        evidence.push(format!(
            "vpn {}: clients {} authorized for {}",
            v.id,
            v.client_cidr,
            join(ok)
        ));
        evidence.push(format!(
            "{}: meant for {}",
            v.id,
            join(allowed.iter().map(|(p, why)| format!("{p} ({why})")))
        ));
    }
    if vpns.is_empty() {
        evidence.push("no Client VPN endpoint".into());
    }
    result(ID, evidence, findings, !vpns.is_empty())
}

/// What a VPN is meant to reach: the VPCs of its clusters, its declared CIDRs, the
/// networks of the DNS servers it hands out.
fn allowed(t: &Topology, want: &VpnIntent) -> Vec<(Prefix, String)> {
    let mut out: Vec<(Prefix, String)> = want
        .clusters
        .iter()
        .filter_map(|id| {
            let c = t.clusters.iter().find(|c| &c.id == id)?;
            let vpc = t.vpc_of_cluster(c)?;
            Some((vpc.cidr, format!("{id} in {}", vpc.id)))
        })
        .collect();
    out.extend(want.cidrs.iter().map(|p| (*p, "access.vpn.cidrs".to_string())));
    out.extend(want.dns.iter().map(|p| (*p, "its DNS servers".to_string())));
    out
}

fn cluster_api(t: &Topology, vpns: &[ClientVpn], intent: &Intent) -> CheckResult {
    const ID: &str = "vpn.cluster-api";
    let mut r = Reach::default();
    for want in &intent.vpns {
        let Some(v) = vpns.iter().find(|v| v.id == want.id) else {
            r.fail(
                &want.id,
                "access.vpn declares a Client VPN endpoint and there is none: its clusters \
                 cannot be reached through it",
                None,
            );
            continue;
        };
        if want.clusters.is_empty() {
            r.evidence.push(format!("vpn {}: no cluster named in access.vpn.clusters", v.id));
        }
        for id in &want.clusters {
            match t.clusters.iter().find(|c| &c.id == id) {
                Some(c) => r.cluster(t, v, c),
                None => r.fail(
                    &v.id,
                    format!("access.vpn names {id}, which the environment does not have"),
                    None,
                ),
            }
        }
    }
    if intent.vpns.is_empty() {
        r.evidence.push("no VPN is meant to reach a cluster".into());
    }
    result(ID, r.evidence, r.findings, !intent.vpns.is_empty())
}

/// The findings and evidence of `vpn.cluster-api`, one finding per distinct fault.
#[derive(Default)]
struct Reach {
    evidence: Vec<String>,
    findings: Vec<Finding>,
    example: bool,
}

/// From the subnet VPN clients enter by to one address of a cluster's subnet.
#[derive(Clone, Copy)]
struct Leg<'a> {
    cluster: &'a Cluster,
    /// The cluster's VPC.
    vpc: &'a str,
    entry: &'a Subnet,
    target: &'a Subnet,
    to: std::net::Ipv4Addr,
}

/// One address per class of equal routing decisions within `p`: the classes of
/// [`egress::classes`], split further at the ends of `more` (prefixes that decide too).
fn probes(t: &Topology, more: &[Prefix], p: Prefix) -> Vec<u32> {
    let (lo, hi) = p.range();
    let ends = more.iter().flat_map(|q| {
        let (a, b) = q.range();
        [a, b]
    });
    let mut cuts: Vec<u64> = classes(t).into_iter().map(|(l, _, _)| l).chain(ends).collect();
    cuts.retain(|&c| lo < c && c < hi);
    cuts.push(lo);
    cuts.sort_unstable();
    cuts.dedup();
    cuts.into_iter().map(|c| c as u32).collect()
}

impl Reach {
    fn fail(&mut self, resource: &str, message: impl Into<String>, path: Option<Path>) {
        let message = message.into();
        if !self.findings.iter().any(|f| f.resource == resource && f.message == message) {
            self.findings.push(Finding {
                resource: resource.to_string(),
                message,
                destinations: Vec::new(),
                path,
            });
        }
    }

    /// Cluster `c`'s API (443 on its subnets) from VPN `v`: authorized, routed by the
    /// endpoint, routed from each subnet it enters by to the cluster's VPC (through a
    /// firewall that passes the flow, if any), admitted by the cluster's security
    /// groups, and the replies routed back.
    fn cluster(&mut self, t: &Topology, v: &ClientVpn, c: &Cluster) {
        let before = self.findings.len();
        let Some(cvpc) = t.vpc_of_cluster(c) else {
            return self.fail(&c.id, "the cluster's subnets are not part of the environment", None);
        };
        let targets: Vec<&Subnet> = c.subnets.iter().filter_map(|s| t.subnets.get(s)).collect();
        let authorized = AddrSet::of_prefixes(v.authorizations.iter().map(|a| &a.dest));
        let missing = AddrSet::of_prefixes(targets.iter().map(|s| &s.cidr)).minus(&authorized);
        if !missing.is_empty() {
            self.fail(
                &v.id,
                format!(
                    "clients are not authorized for {} of {}'s subnets",
                    join(missing.prefixes()),
                    c.id
                ),
                None,
            );
        }
        // The endpoint's routes decide too: they split the classes further.
        let vpn_routes: Vec<Prefix> = v.routes.iter().map(|r| r.dest).collect();
        let mut entries: BTreeSet<&str> = BTreeSet::new();
        let mut legs: BTreeSet<(&str, &str)> = BTreeSet::new();
        let mut firewalls: BTreeSet<String> = BTreeSet::new();
        let mut paths = 0;
        for ts in &targets {
            for a in probes(t, &vpn_routes, ts.cidr) {
                let to = std::net::Ipv4Addr::from(a);
                let through = vpn_route(v, a);
                if through.is_empty() {
                    self.fail(
                        &v.id,
                        format!("the endpoint has no route to {to} ({} of {})", ts.id, c.id),
                        None,
                    );
                }
                for entry in through {
                    let Some(es) = t.subnets.get(entry) else {
                        self.fail(
                            &v.id,
                            format!("the endpoint routes {to} into {entry}, not part of the environment"),
                            None,
                        );
                        continue;
                    };
                    entries.insert(&es.id);
                    legs.insert((&es.id, &ts.id));
                    let leg = Leg { cluster: c, vpc: &cvpc.id, entry: es, target: ts, to };
                    for p in trace(t, entry, a) {
                        paths += 1;
                        self.forward(t, &leg, p, &mut firewalls);
                    }
                }
            }
        }
        for e in &entries {
            self.security_groups(t, c, &t.subnets[*e]);
        }
        for (e, ts) in &legs {
            self.replies(t, v, c, &t.subnets[*e], &t.subnets[*ts]);
        }
        if self.findings.len() == before {
            let fw = if firewalls.is_empty() {
                "no firewall on the way".to_string()
            } else {
                format!("passed by {}", join(&firewalls))
            };
            self.evidence.push(format!(
                "vpn {}: clients {} -> {} API on 443 ({}) from {}: authorized, routed, {paths} \
                 path(s) delivered in {} ({fw}), admitted by {}, replies routed back",
                v.id,
                v.client_cidr,
                c.id,
                join(targets.iter().map(|s| s.cidr)),
                join(&entries),
                cvpc.id,
                join(&c.security_groups)
            ));
            // One traced path shows what reaching it looked like.
            let sample = entries.iter().next().zip(targets.first()).and_then(|(e, ts)| {
                let a = probes(t, &vpn_routes, ts.cidr).into_iter().next()?;
                Some((e, a, trace(t, e, a).into_iter().next()?))
            });
            if let (false, Some((e, a, p))) = (self.example, sample) {
                self.example = true;
                self.evidence.push(format!("e.g. {e} -> {}:443:", std::net::Ipv4Addr::from(a)));
                self.evidence.extend(p.lines().into_iter().map(|l| format!("  {l}")));
            }
        }
    }

    /// A path from the subnet clients enter by to the cluster: delivered in its VPC,
    /// through firewalls that pass TCP 443 from that subnet to the cluster's subnet.
    fn forward(&mut self, t: &Topology, leg: &Leg, p: Path, firewalls: &mut BTreeSet<String>) {
        let Leg { cluster: c, vpc: cvpc, entry: es, target: ts, to } = *leg;
        let delivered = matches!(&p.end, End::Delivered { vpc } if vpc == cvpc);
        if !delivered {
            let end = p.lines().pop().unwrap_or_default();
            let at = p.hops.last().map(|h| h.route.clone().unwrap_or_else(|| h.at.clone()));
            return self.fail(
                &at.unwrap_or_else(|| es.id.clone()),
                format!("{} -> {to} ({}'s API): {end}, not delivered in {cvpc}", es.id, c.id),
                Some(p),
            );
        }
        for fw in crossed(t, &p) {
            match pass_rule(fw, es.cidr, ts.cidr, 443) {
                Some(g) => {
                    firewalls.insert(format!("{} ({g})", fw.id));
                }
                None => {
                    let at = fw.policy.as_ref().map_or(fw.id.as_str(), |p| p.id.as_str());
                    self.fail(
                        at,
                        format!(
                            "no pass rule for tcp {} -> {} 443 ({} to {}'s API): the firewall \
                             drops it by default",
                            es.cidr, ts.cidr, es.id, c.id
                        ),
                        Some(p.clone()),
                    );
                }
            }
        }
    }

    /// The cluster's security groups admit, on 443, the subnet clients enter by.
    fn security_groups(&mut self, t: &Topology, c: &Cluster, es: &Subnet) {
        let admitted = t.api_rules(c).map(|r| &r.cidr);
        if !within(es.cidr, &AddrSet::of_prefixes(admitted)) {
            let sg = c.security_groups.first().unwrap_or(&c.id);
            self.fail(
                sg,
                format!(
                    "{}'s security groups ({}) do not admit {} ({}, where the VPN's clients \
                     come from) on 443",
                    c.id,
                    join(&c.security_groups),
                    es.cidr,
                    es.id
                ),
                None,
            );
        }
    }

    /// Replies from the cluster's subnet to the subnet clients enter by are delivered.
    fn replies(&mut self, t: &Topology, v: &ClientVpn, c: &Cluster, es: &Subnet, ts: &Subnet) {
        for b in probes(t, &[], es.cidr) {
            for p in trace(t, &ts.id, b) {
                if matches!(&p.end, End::Delivered { vpc } if *vpc == v.vpc) {
                    continue;
                }
                let end = p.lines().pop().unwrap_or_default();
                let at = p.hops.last().map(|h| h.route.clone().unwrap_or_else(|| h.at.clone()));
                self.fail(
                    &at.unwrap_or_else(|| ts.id.clone()),
                    format!(
                        "replies of {}'s API from {} to {} ({}): {end}, not delivered in {}",
                        c.id,
                        ts.id,
                        std::net::Ipv4Addr::from(b),
                        es.id,
                        v.vpc
                    ),
                    Some(p),
                );
            }
        }
    }
}

/// The associated subnets the endpoint sends `a` into the VPC by: the longest of its
/// routes that contain it (one per target subnet).
fn vpn_route(v: &ClientVpn, a: u32) -> Vec<&str> {
    let best = v.routes.iter().filter(|r| r.dest.contains_addr(a)).map(|r| r.dest.len()).max();
    let out: BTreeSet<&str> = v
        .routes
        .iter()
        .filter(|r| r.dest.contains_addr(a) && Some(r.dest.len()) == best)
        .map(|r| r.subnet.as_str())
        .collect();
    out.into_iter().collect()
}

/// The firewalls whose endpoints a path passes.
fn crossed<'a>(t: &'a Topology, p: &Path) -> Vec<&'a Firewall> {
    t.firewalls
        .iter()
        .filter(|f| {
            let to = format!("-> firewall endpoint {} (", f.id);
            p.hops.iter().any(|h| h.step.contains(&to))
        })
        .collect()
}

/// The rule group of `fw` with a pass rule for TCP from every address of `src` (any
/// source port) to every address of `dst` on `port`, if one has.
fn pass_rule(fw: &Firewall, src: Prefix, dst: Prefix, port: i32) -> Option<&str> {
    let p = fw.policy.as_ref()?;
    p.rule_groups
        .iter()
        .find(|g| g.rules.iter().any(|r| passes(r, &g.home_net, src, dst, port)))
        .map(|g| g.id.as_str())
}

/// Whether Suricata rule `rule` passes TCP from all of `src` to all of `dst` on `port`
/// (`pass tcp|ip <src> any -> <dst> <port>`; addresses as a CIDR, `any`, `$HOME_NET`
/// (the group's) or a list of them; a negation proves nothing).
pub(super) fn passes(rule: &str, home: &[Prefix], src: Prefix, dst: Prefix, port: i32) -> bool {
    let w: Vec<&str> = rule.split_whitespace().collect();
    if w.len() < 7 || w[0] != "pass" || !matches!(w[1], "tcp" | "ip") {
        return false;
    }
    let dir = w[4] == "->" || w[4] == "<>";
    let set = |spec: &str| -> AddrSet {
        let items = spec.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(spec);
        let mut out = AddrSet::empty();
        for item in items.split(',').map(str::trim) {
            let add = match item {
                "any" => AddrSet::all(),
                "$HOME_NET" => AddrSet::of_prefixes(home),
                s if s.starts_with('!') => return AddrSet::empty(),
                s => match s.parse::<Prefix>() {
                    Ok(p) => AddrSet::of_prefixes(&[p]),
                    Err(_) => AddrSet::empty(),
                },
            };
            for &r in add.ranges() {
                out.insert(r);
            }
        }
        out
    };
    let ports = |spec: &str| {
        let items = spec.strip_prefix('[').and_then(|s| s.strip_suffix(']')).unwrap_or(spec);
        spec == "any"
            || items.split(',').map(str::trim).any(|i| match i.split_once(':') {
                Some((lo, hi)) => {
                    lo.parse::<i32>().is_ok_and(|lo| lo <= port)
                        && (hi.is_empty() || hi.parse::<i32>().is_ok_and(|hi| port <= hi))
                }
                None => i.parse::<i32>() == Ok(port),
            })
    };
    dir && within(src, &set(w[2])) && w[3] == "any" && within(dst, &set(w[5])) && ports(w[6])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }

    #[test]
    fn a_pass_rule_must_cover_the_whole_flow() {
        let home = [p("10.0.0.0/8")];
        let ok = |rule: &str| passes(rule, &home, p("10.30.0.64/27"), p("10.10.34.0/28"), 443);
        // What the expansion writes for a cluster's API.
        assert!(ok("pass tcp 10.30.0.0/22 any -> 10.10.0.0/16 443 (msg:\"cluster apps API\"; flow:to_server; sid:1001;)"));
        assert!(ok("pass tcp $HOME_NET any -> [10.10.34.0/24,192.168.0.0/16] [80,443] (sid:1;)"));
        assert!(ok("pass ip any any <> 10.10.0.0/16 any (sid:1;)"));
        assert!(ok("pass tcp 10.30.0.0/22 any -> 10.10.0.0/16 1:1024 (sid:1;)"));
        // Not all of the source, another port, a drop, UDP, a negation, a source port.
        assert!(!ok("pass tcp 10.30.0.64/28 any -> 10.10.0.0/16 443 (sid:1;)"));
        assert!(!ok("pass tcp 10.30.0.0/22 any -> 10.10.0.0/16 8443 (sid:1;)"));
        assert!(!ok("drop tcp 10.30.0.0/22 any -> 10.10.0.0/16 443 (sid:1;)"));
        assert!(!ok("pass udp 10.30.0.0/22 any -> 10.10.0.0/16 443 (sid:1;)"));
        assert!(!ok("pass tcp 10.30.0.0/22 any -> [!10.10.0.0/16] 443 (sid:1;)"));
        assert!(!ok("pass tcp 10.30.0.0/22 443 -> 10.10.0.0/16 443 (sid:1;)"));
        assert!(!ok("pass tcp $EXTERNAL_NET any -> 10.10.0.0/16 443 (sid:1;)"));
    }
}
