//! The egress analysis: where a packet from a spoke subnet to a destination outside the
//! environment goes, hop by hop, and whether it meets a firewall endpoint before a NAT
//! gateway, an internet gateway or anything that leaves the model.
//!
//! Exhaustive without enumerating addresses: every decision on the way is a longest
//! prefix match over prefixes the topology holds (VPC routes, local routes, TGW static
//! and propagated routes), so the address space splits at the prefixes' ends into
//! intervals whose addresses all take the same decisions. One address per interval
//! decides for all of it. A path may fork where the transit gateway chooses a zone
//! (appliance mode, or no interface in the packet's zone): every branch is followed.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::prefix::{cover, AddrSet, Prefix, SPACE_END};
use crate::topology::{Target, TgwTarget, Topology, VpcRole};

/// One step of a path: where the packet was and the route entry that moved it on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hop {
    /// The route table (VPC or TGW), attachment or gateway.
    pub at: String,
    /// What happened, in words (`0.0.0.0/0 -> transit gateway tgw`).
    pub step: String,
    /// The id of the route entry used, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
}

/// How a path ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum End {
    /// No route, a blackhole, or a gateway that cannot carry it.
    Dropped { reason: String },
    /// Out of an internet gateway.
    Internet { gateway: String },
    /// Delivered inside a VPC of the environment (a local route).
    Delivered { vpc: String },
    /// Into an AWS service through a gateway endpoint (governed by its policy).
    AwsService { endpoint: String },
    /// To a target the model does not follow (peering, egress-only gateway, ...).
    Escaped { target: String },
    /// The same route table twice in one zone: a routing loop, the packet dies.
    Loop { at: String },
}

/// A packet's way from a subnet to where it ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Path {
    pub hops: Vec<Hop>,
    pub end: End,
    /// Index of the hop that sent it into a firewall endpoint first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inspected_at: Option<usize>,
    /// Index of the first hop to a NAT gateway, an internet gateway or an unmodelled
    /// target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exposed_at: Option<usize>,
}

impl Path {
    /// Dropped, or inspected before anything that reaches out.
    pub fn is_safe(&self) -> bool {
        match self.exposed_at {
            None => true,
            Some(e) => self.inspected_at.is_some_and(|i| i < e),
        }
    }

    /// The hop that made it unsafe, if it is.
    pub fn breach(&self) -> Option<&Hop> {
        if self.is_safe() {
            return None;
        }
        self.exposed_at.map(|i| &self.hops[i])
    }

    /// The hops as one line each, for text output.
    pub fn lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .hops
            .iter()
            .map(|h| match &h.route {
                Some(r) => format!("{}: {} [{}]", h.at, h.step, r),
                None => format!("{}: {}", h.at, h.step),
            })
            .collect();
        v.push(match &self.end {
            End::Dropped { reason } => format!("dropped: {reason}"),
            End::Internet { gateway } => format!("internet through {gateway}"),
            End::Delivered { vpc } => format!("delivered in {vpc}"),
            End::AwsService { endpoint } => format!("AWS service through {endpoint}"),
            End::Escaped { target } => format!("leaves the environment through {target}"),
            End::Loop { at } => format!("routing loop at {at}"),
        });
        v
    }
}

/// Every hop limit is far above a real path (about 8 hops); it only bounds a model
/// built wrong.
const MAX_HOPS: usize = 64;

#[derive(Clone)]
struct State {
    hops: Vec<Hop>,
    inspected_at: Option<usize>,
    exposed_at: Option<usize>,
    visited: Vec<String>,
}

impl State {
    fn push(&mut self, at: &str, step: String, route: Option<&str>) -> usize {
        self.hops.push(Hop { at: at.to_string(), step, route: route.map(str::to_string) });
        self.hops.len() - 1
    }

    fn end(self, end: End, out: &mut Vec<Path>) {
        out.push(Path {
            hops: self.hops,
            end,
            inspected_at: self.inspected_at,
            exposed_at: self.exposed_at,
        });
    }

    /// False (and the path ended as a loop) when `key` was seen on this path.
    fn enter(&mut self, key: String, out: &mut Vec<Path>) -> bool {
        if self.visited.contains(&key) || self.hops.len() > MAX_HOPS {
            self.clone().end(End::Loop { at: key }, out);
            return false;
        }
        self.visited.push(key);
        true
    }
}

struct Walker<'a> {
    t: &'a Topology,
    addr: u32,
}

impl Walker<'_> {
    /// At the route table of `subnet`'s VPC that routes packets leaving `subnet`.
    fn start(&self, subnet: &str, mut s: State, out: &mut Vec<Path>) {
        let Some(sub) = self.t.subnets.get(subnet) else {
            return s.end(End::Dropped { reason: format!("no subnet {subnet}") }, out);
        };
        if !s.enter(format!("{subnet}@{}", sub.az), out) {
            return;
        }
        self.in_vpc(&sub.vpc, subnet, &sub.az, s, out)
    }

    fn in_vpc(&self, vpc_id: &str, subnet: &str, az: &str, mut s: State, out: &mut Vec<Path>) {
        let t = self.t;
        if !t.vpcs.contains_key(vpc_id) {
            return s.end(End::Dropped { reason: format!("no VPC {vpc_id}") }, out);
        }
        let (at, found) = vpc_route(t, subnet, self.addr);
        let Some(Lookup { dest, target, route }) = found else {
            s.push(&at, "no route".into(), None);
            return s.end(End::Dropped { reason: format!("no route in {at}") }, out);
        };
        let route = route.as_deref();
        let i = s.push(&at, format!("{dest} -> {target}"), route);
        match target {
            Target::Local => s.end(End::Delivered { vpc: vpc_id.to_string() }, out),
            Target::Blackhole { id } => {
                s.end(End::Dropped { reason: format!("blackhole route to {id}") }, out)
            }
            Target::TransitGateway { id } => {
                let att = t.attachments.values().find(|a| a.tgw == id && a.vpc == vpc_id);
                match att {
                    None => s.end(
                        End::Dropped { reason: format!("{vpc_id} is not attached to {id}") },
                        out,
                    ),
                    Some(a) => self.in_tgw(&a.id, az, s, out),
                }
            }
            // A gateway that is not in the VPC carries nothing (AWS would show the route
            // as a blackhole): only a usable one exposes the packet.
            Target::NatGateway { id } => {
                let nat = t.nat_gateways.iter().find(|n| n.id == id);
                match nat.and_then(|n| t.subnets.get(&n.subnet)) {
                    Some(ns) if ns.vpc == vpc_id => {
                        s.exposed_at.get_or_insert(i);
                        if s.enter(format!("{id}@{}", ns.az), out) {
                            let nsid = ns.id.clone();
                            self.in_vpc(vpc_id, &nsid, &ns.az.clone(), s, out)
                        }
                    }
                    _ => s.end(End::Dropped { reason: format!("{id} is not in {vpc_id}") }, out),
                }
            }
            Target::InternetGateway { id } => {
                let attached = t
                    .internet_gateways
                    .iter()
                    .any(|g| g.id == id && g.vpc.as_deref() == Some(vpc_id));
                if attached {
                    s.exposed_at.get_or_insert(i);
                    s.end(End::Internet { gateway: id }, out)
                } else {
                    s.end(End::Dropped { reason: format!("{id} is not attached to {vpc_id}") }, out)
                }
            }
            Target::FirewallEndpoint { firewall, az: faz } => {
                let fw = t.firewall(&firewall).filter(|f| f.vpc == vpc_id);
                let fsub = fw.and_then(|f| {
                    f.subnets.iter().filter_map(|id| t.subnets.get(id)).find(|s| s.az == faz)
                });
                match fsub {
                    Some(fs) => {
                        s.inspected_at.get_or_insert(i);
                        if s.enter(format!("{firewall}@{faz}"), out) {
                            let fsid = fs.id.clone();
                            self.in_vpc(vpc_id, &fsid, &faz, s, out)
                        }
                    }
                    None => s.end(
                        End::Dropped {
                            reason: format!("{firewall} has no endpoint in {faz} of {vpc_id}"),
                        },
                        out,
                    ),
                }
            }
            Target::GatewayEndpoint { id } => s.end(End::AwsService { endpoint: id }, out),
            Target::Other { id } => {
                s.exposed_at.get_or_insert(i);
                s.end(End::Escaped { target: id }, out)
            }
        }
    }

    /// In the transit gateway, arrived through attachment `att_in` from zone `az`.
    fn in_tgw(&self, att_in: &str, az: &str, mut s: State, out: &mut Vec<Path>) {
        let t = self.t;
        let Some(rt) =
            t.tgw_route_tables.values().find(|r| r.associations.iter().any(|a| a == att_in))
        else {
            s.push(att_in, "no associated TGW route table".into(), None);
            return s.end(
                End::Dropped { reason: format!("{att_in} is associated with no TGW route table") },
                out,
            );
        };
        if !s.enter(format!("{}@{az}", rt.id), out) {
            return;
        }
        // Longest prefix; on a tie a static route (or blackhole) wins over a propagated one.
        let mut best: Option<(u8, TgwTarget, String, Prefix)> = None;
        for r in &rt.routes {
            if r.dest.contains_addr(self.addr) && best.as_ref().is_none_or(|b| r.dest.len() > b.0) {
                best = Some((r.dest.len(), r.target.clone(), r.id.clone(), r.dest));
            }
        }
        for p in &rt.propagations {
            let Some(cidr) = t.attachments.get(p).and_then(|a| t.vpcs.get(&a.vpc)).map(|v| v.cidr)
            else {
                continue;
            };
            if cidr.contains_addr(self.addr) && best.as_ref().is_none_or(|b| cidr.len() > b.0) {
                best = Some((
                    cidr.len(),
                    TgwTarget::Attachment { id: p.clone() },
                    format!("{}: propagation of {p}", rt.id),
                    cidr,
                ));
            }
        }
        let Some((_, target, route, dest)) = best else {
            s.push(&rt.id, "no route".into(), None);
            return s.end(End::Dropped { reason: format!("no route in {}", rt.id) }, out);
        };
        let id = match target {
            TgwTarget::Blackhole => {
                s.push(&rt.id, format!("{dest} -> blackhole"), Some(&route));
                return s.end(End::Dropped { reason: format!("blackhole in {}", rt.id) }, out);
            }
            TgwTarget::Attachment { id } => id,
        };
        s.push(&rt.id, format!("{dest} -> attachment {id}"), Some(&route));
        let Some(att) = t.attachments.get(&id) else {
            return s.end(End::Dropped { reason: format!("attachment {id} does not exist") }, out);
        };
        let subnets: Vec<_> = att.subnets.iter().filter_map(|x| t.subnets.get(x)).collect();
        // The zone the packet leaves in: with appliance mode the gateway hashes the flow
        // onto one of the attachment's zones; without, it keeps the packet's zone when
        // the attachment has an interface there. Every possible zone is a branch.
        let same: Vec<_> = subnets.iter().filter(|x| x.az == az).copied().collect();
        let chosen = if att.appliance_mode || same.is_empty() { subnets } else { same };
        if chosen.is_empty() {
            return s.end(End::Dropped { reason: format!("attachment {id} has no subnet") }, out);
        }
        for sub in chosen {
            let mut b = s.clone();
            b.push(&id, format!("into {} in {} through subnet {}", att.vpc, sub.az, sub.id), None);
            self.in_vpc(&att.vpc, &sub.id, &sub.az, b, out);
        }
    }
}

/// The route entry a VPC route table picks for an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The matching prefix.
    pub dest: Prefix,
    pub target: Target,
    /// The route's id; `None` for the implicit local route.
    pub route: Option<String>,
}

/// Where the route table of `subnet` sends `addr` (longest prefix; the implicit local
/// route wins a tie), and the table's name for the report.
pub fn vpc_route(t: &Topology, subnet: &str, addr: u32) -> (String, Option<Lookup>) {
    let Some(sub) = t.subnets.get(subnet) else {
        return (subnet.to_string(), None);
    };
    let rt = t.route_table_of(sub);
    let at =
        rt.map_or_else(|| format!("{} (main route table, local only)", sub.vpc), |r| r.id.clone());
    let mut best: Option<Lookup> = None;
    if let Some(vpc) = t.vpcs.get(&sub.vpc).filter(|v| v.cidr.contains_addr(addr)) {
        best = Some(Lookup { dest: vpc.cidr, target: Target::Local, route: None });
    }
    for r in rt.iter().flat_map(|rt| &rt.routes) {
        if r.dest.contains_addr(addr) && best.as_ref().is_none_or(|b| r.dest.len() > b.dest.len()) {
            best =
                Some(Lookup { dest: r.dest, target: r.target.clone(), route: Some(r.id.clone()) });
        }
    }
    (at, best)
}

/// Every path a packet from `subnet` to `addr` can take.
pub fn trace(t: &Topology, subnet: &str, addr: u32) -> Vec<Path> {
    let mut out = Vec::new();
    let s = State { hops: Vec::new(), inspected_at: None, exposed_at: None, visited: Vec::new() };
    Walker { t, addr }.start(subnet, s, &mut out);
    out
}

/// The intervals `[lo, hi)` on which every routing decision of `t` is the same, with
/// whether they are outside the environment's own ranges.
pub fn classes(t: &Topology) -> Vec<(u64, u64, bool)> {
    let mut cuts = vec![0, SPACE_END];
    let mut add = |p: &Prefix| {
        let (lo, hi) = p.range();
        cuts.push(lo);
        cuts.push(hi);
    };
    t.vpcs.values().for_each(|v| add(&v.cidr));
    t.route_tables.values().flat_map(|r| &r.routes).for_each(|r| add(&r.dest));
    t.tgw_route_tables.values().flat_map(|r| &r.routes).for_each(|r| add(&r.dest));
    cuts.sort_unstable();
    cuts.dedup();
    let private = AddrSet::of_prefixes(&t.private_ranges());
    cuts.windows(2).map(|w| (w[0], w[1], !private.contains_addr(w[0] as u32))).collect()
}

/// Failing destinations of one subnet that share one path.
#[derive(Clone, Debug, Serialize)]
pub struct Breach {
    pub subnet: String,
    /// The destinations, as the fewest prefixes.
    pub destinations: Vec<Prefix>,
    /// One of them, traced.
    pub example: std::net::Ipv4Addr,
    /// The destinations are every address outside the environment.
    pub everywhere: bool,
    pub path: Path,
}

/// The outcome of [`analyze`].
#[derive(Clone, Debug, Serialize)]
pub struct Egress {
    /// Subnets of spoke VPCs analysed.
    pub subnets: usize,
    /// Destination classes outside the environment (intervals of equal routing).
    pub classes: usize,
    /// Paths followed (classes x subnets x zone branches).
    pub paths: usize,
    /// How the safe paths ended, counted.
    pub ends: BTreeMap<String, usize>,
    /// Why the dropped ones were, counted: a default route hijacked into a dead end
    /// passes, and shows here.
    pub drops: BTreeMap<String, usize>,
    pub breaches: Vec<Breach>,
}

fn end_name(e: &End) -> &'static str {
    match e {
        End::Dropped { .. } => "dropped",
        End::Internet { .. } => "internet",
        End::Delivered { .. } => "delivered",
        End::AwsService { .. } => "aws-service",
        End::Escaped { .. } => "escaped",
        End::Loop { .. } => "loop",
    }
}

/// Every spoke subnet against every destination class outside the environment.
pub fn analyze(t: &Topology) -> Egress {
    let spokes: Vec<&str> = t.vpcs_of(VpcRole::Spoke).map(|v| v.id.as_str()).collect();
    let subnets: Vec<&str> = t
        .subnets
        .values()
        .filter(|s| spokes.contains(&s.vpc.as_str()))
        .map(|s| s.id.as_str())
        .collect();
    let external: Vec<(u64, u64)> =
        classes(t).into_iter().filter(|c| c.2).map(|(l, h, _)| (l, h)).collect();
    let mut all_external = AddrSet::empty();
    external.iter().for_each(|&r| all_external.insert(r));
    let mut e = Egress {
        subnets: subnets.len(),
        classes: external.len(),
        paths: 0,
        ends: BTreeMap::new(),
        drops: BTreeMap::new(),
        breaches: Vec::new(),
    };
    for sub in &subnets {
        // Unsafe paths of this subnet, by their hops: the classes sharing one are merged.
        let mut bad: Vec<(Path, AddrSet)> = Vec::new();
        for &(lo, hi) in &external {
            for p in trace(t, sub, lo as u32) {
                e.paths += 1;
                if p.is_safe() {
                    *e.ends.entry(end_name(&p.end).to_string()).or_default() += 1;
                    if let End::Dropped { reason } = &p.end {
                        *e.drops.entry(reason.clone()).or_default() += 1;
                    }
                    continue;
                }
                match bad.iter_mut().find(|b| b.0 == p) {
                    Some(b) => b.1.insert((lo, hi)),
                    None => {
                        let mut set = AddrSet::empty();
                        set.insert((lo, hi));
                        bad.push((p, set));
                    }
                }
            }
        }
        for (path, set) in bad {
            // The example: the start of the widest range (every address of the set
            // takes this path; 0.0.0.0 would read oddly).
            let widest = set.ranges().iter().max_by_key(|&&(l, h)| (h - l, u64::MAX - l));
            let well_known = u32::from(std::net::Ipv4Addr::new(8, 8, 8, 8));
            let example = if set.contains_addr(well_known) {
                well_known
            } else {
                widest.map_or(0, |&(l, _)| l as u32)
            };
            e.breaches.push(Breach {
                subnet: sub.to_string(),
                destinations: set.ranges().iter().flat_map(|&(l, h)| cover(l, h)).collect(),
                example: example.into(),
                everywhere: set == all_external,
                path,
            });
        }
    }
    e
}

/// Whether any path from any spoke subnet to one of `addrs` (those outside the
/// environment) is unsafe: the brute-force check the property test compares
/// [`analyze`] with.
pub fn brute_force(t: &Topology, addrs: &[u32]) -> bool {
    let private = AddrSet::of_prefixes(&t.private_ranges());
    let spokes: Vec<&str> = t.vpcs_of(VpcRole::Spoke).map(|v| v.id.as_str()).collect();
    t.subnets.values().filter(|s| spokes.contains(&s.vpc.as_str())).all(|s| {
        addrs
            .iter()
            .filter(|&&a| !private.contains_addr(a))
            .all(|&a| trace(t, &s.id, a).iter().all(Path::is_safe))
    })
}
