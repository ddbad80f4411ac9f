//! The path computation on small hand-built topologies (`airgap_verify::fixture`).

use std::net::Ipv4Addr;

use airgap_verify::egress::{analyze, trace, End};
use airgap_verify::fixture::{self, att, fw, hub, igw, nat, route, spoke, tgw, tgw_route};
use airgap_verify::topology::{InternetGateway, Target, TgwTarget};
use airgap_verify::{verify, Intent, Status};

fn ip(s: &str) -> u32 {
    u32::from(s.parse::<Ipv4Addr>().unwrap())
}

fn dests(t: &airgap_verify::Topology) -> Vec<(String, Vec<String>, String)> {
    analyze(t)
        .breaches
        .iter()
        .map(|b| {
            let hop = b.path.breach().unwrap();
            (
                b.subnet.clone(),
                b.destinations.iter().map(ToString::to_string).collect(),
                hop.route.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn the_hub_is_safe_and_every_path_goes_out_through_the_firewall_of_some_zone() {
    let t = hub();
    let e = analyze(&t);
    assert!(e.breaches.is_empty(), "{:#?}", e.breaches);
    // 2 app subnets x 2 zones (appliance mode) + 2 transit subnets (no route).
    let paths = trace(&t, "spoke/app/a", ip("8.8.8.8"));
    assert_eq!(paths.len(), 2);
    let hops: Vec<&str> = paths[0].hops.iter().map(|h| h.at.as_str()).collect();
    assert_eq!(
        hops,
        [
            "spoke/rt/app/a",
            "tgw-rt/spoke",
            "att/insp",
            "insp/rt/transit/a",
            "insp/rt/firewall/a",
            "insp/rt/public/a"
        ]
    );
    assert_eq!(paths[0].end, End::Internet { gateway: "igw".into() });
    assert_eq!(paths[0].inspected_at, Some(3));
    assert_eq!(paths[0].exposed_at, Some(4));
    assert_eq!(paths[1].hops[3].at, "insp/rt/transit/b");
    // The firewall check's view of the same topology.
    let r = verify(
        &t,
        &Intent { allow_domains: Some(vec!["example.com".into()]), ..Intent::default() },
    );
    for id in [
        "egress.firewall-first",
        "egress.return-symmetry",
        "spoke.no-public-surface",
        "firewall.default-drop",
        "firewall.home-net",
    ] {
        assert_eq!(r.get(id).unwrap().status, Status::Pass, "{id}: {:#?}", r.get(id));
    }
}

#[test]
fn overlapping_prefixes_take_the_longest_match_and_only_its_range_fails() {
    let mut t = hub();
    t.internet_gateways.push(InternetGateway { id: "igw/spoke".into(), vpc: Some("spoke".into()) });
    route(&mut t, "spoke/rt/app/a", "8.0.0.0/8", tgw());
    route(&mut t, "spoke/rt/app/a", "8.8.0.0/16", Target::Blackhole { id: "tgw-gone".into() });
    route(&mut t, "spoke/rt/app/a", "8.8.8.0/24", igw("igw/spoke"));
    assert_eq!(
        dests(&t),
        [(
            "spoke/app/a".to_string(),
            vec!["8.8.8.0/24".to_string()],
            "spoke/rt/app/a:8.8.8.0/24".to_string()
        )]
    );
    // Around it: the /16 drops, the /8 goes through the firewall.
    assert!(matches!(trace(&t, "spoke/app/a", ip("8.8.9.1"))[0].end, End::Dropped { .. }));
    assert!(trace(&t, "spoke/app/a", ip("8.9.0.1")).iter().all(|p| p.inspected_at.is_some()));
    // The counterexample's path names the route used.
    let b = &analyze(&t).breaches[0];
    assert_eq!(b.path.hops.len(), 1);
    assert_eq!(b.path.hops[0].step, "8.8.8.0/24 -> internet gateway igw/spoke");
    assert_eq!(b.path.end, End::Internet { gateway: "igw/spoke".into() });
}

#[test]
fn blackholes_drop_and_a_dropped_path_is_safe() {
    let mut t = hub();
    // A TGW blackhole more specific than the default, and a VPC blackhole.
    tgw_route(&mut t, "tgw-rt/spoke", "52.0.0.0/8", TgwTarget::Blackhole);
    route(&mut t, "spoke/rt/app/b", "1.0.0.0/8", Target::Blackhole { id: "nat-0gone".into() });
    assert!(analyze(&t).breaches.is_empty());
    let p = &trace(&t, "spoke/app/a", ip("52.1.2.3"))[0];
    assert_eq!(p.end, End::Dropped { reason: "blackhole in tgw-rt/spoke".into() });
    assert_eq!(p.hops.last().unwrap().route.as_deref(), Some("tgw-rt/spoke:52.0.0.0/8"));
    assert!(matches!(trace(&t, "spoke/app/b", ip("1.1.1.1"))[0].end, End::Dropped { .. }));
    // A blackhole that hides an exit makes the exit unreachable.
    t.internet_gateways.push(InternetGateway { id: "igw/spoke".into(), vpc: Some("spoke".into()) });
    route(&mut t, "spoke/rt/app/b", "2.0.0.0/8", igw("igw/spoke"));
    route(&mut t, "spoke/rt/app/b", "2.2.0.0/16", Target::Blackhole { id: "x".into() });
    let d = dests(&t);
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].1,
        [
            "2.0.0.0/15",
            "2.3.0.0/16",
            "2.4.0.0/14",
            "2.8.0.0/13",
            "2.16.0.0/12",
            "2.32.0.0/11",
            "2.64.0.0/10",
            "2.128.0.0/9"
        ]
    );
}

#[test]
fn a_more_specific_route_around_the_firewall_in_one_zone_is_found_from_every_subnet_it_reaches() {
    let mut t = hub();
    route(&mut t, "insp/rt/transit/a", "52.94.0.0/16", nat(fixture::ZONES[0]));
    let d = dests(&t);
    // Appliance mode: a flow from either zone may be hashed onto zone a.
    assert_eq!(d.len(), 2, "{d:?}");
    for (sub, dest, hop) in &d {
        assert!(sub.starts_with("spoke/app/"));
        assert_eq!(dest, &["52.94.0.0/16"]);
        assert_eq!(hop, "insp/rt/transit/a:52.94.0.0/16");
    }
    let b = &analyze(&t).breaches[0];
    let lines = b.path.lines();
    assert_eq!(
        lines[3],
        "insp/rt/transit/a: 52.94.0.0/16 -> NAT gateway nat/a [insp/rt/transit/a:52.94.0.0/16]"
    );
    // Without appliance mode the gateway keeps the zone: only zone a's subnet leaks.
    t.attachments.get_mut("att/insp").unwrap().appliance_mode = false;
    let d = dests(&t);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, "spoke/app/a");
    let r = verify(&t, &Intent::default());
    assert_eq!(r.get("egress.return-symmetry").unwrap().status, Status::Fail);
}

#[test]
fn a_static_tgw_default_to_a_spoke_attachment_bypasses_the_inspection_vpc() {
    let mut t = hub();
    spoke(&mut t, "rogue", 2);
    // The rogue spoke has a way out of its own in its transit subnets.
    t.internet_gateways.push(InternetGateway { id: "igw/rogue".into(), vpc: Some("rogue".into()) });
    for l in ["a", "b"] {
        route(&mut t, &format!("rogue/rt/transit/{l}"), "0.0.0.0/0", igw("igw/rogue"));
    }
    tgw_route(&mut t, "tgw-rt/spoke", "0.0.0.0/1", att("att/rogue"));
    let e = analyze(&t);
    // Both spokes' app subnets, half of the space, out of the rogue's gateway; and the
    // rogue's transit subnets themselves, straight out.
    assert_eq!(e.breaches.len(), 6, "{:#?}", e.breaches);
    let (apps, direct): (Vec<_>, Vec<_>) =
        e.breaches.iter().partition(|b| b.subnet.contains("/app/"));
    assert_eq!(direct.len(), 2);
    assert!(direct
        .iter()
        .all(|b| b.subnet.starts_with("rogue/transit/") && b.path.hops.len() == 1));
    assert_eq!(apps.len(), 4);
    for b in apps {
        assert_eq!(b.path.hops[1].route.as_deref(), Some("tgw-rt/spoke:0.0.0.0/1"));
        assert_eq!(
            b.path.breach().unwrap().route.as_deref().unwrap(),
            format!("{}:0.0.0.0/0", b.path.hops[3].at)
        );
    }
    // Without a way out of the rogue spoke the same route only drops.
    let mut t = hub();
    spoke(&mut t, "rogue", 2);
    tgw_route(&mut t, "tgw-rt/spoke", "0.0.0.0/0", att("att/rogue"));
    t.tgw_route_tables.get_mut("tgw-rt/spoke").unwrap().routes.remove(0);
    let e = analyze(&t);
    assert!(e.breaches.is_empty());
    // It passes, and the evidence says where everything went.
    assert!(e.drops.keys().any(|r| r == "no route in rogue/rt/transit/a"), "{:?}", e.drops);
    assert!(matches!(trace(&t, "spoke/app/a", ip("8.8.8.8"))[0].end, End::Dropped { .. }));
}

#[test]
fn an_internet_gateway_in_a_spoke_fails_egress_and_the_public_surface_check() {
    let mut t = hub();
    t.internet_gateways.push(InternetGateway { id: "igw/spoke".into(), vpc: Some("spoke".into()) });
    let rt = "spoke/rt/app/b";
    t.route_tables.get_mut(rt).unwrap().routes.clear();
    route(&mut t, rt, "0.0.0.0/0", igw("igw/spoke"));
    let e = analyze(&t);
    assert_eq!(e.breaches.len(), 1);
    assert_eq!(e.breaches[0].subnet, "spoke/app/b");
    assert!(e.breaches[0].everywhere);
    let r = verify(&t, &Intent::default());
    let c = r.get("egress.firewall-first").unwrap();
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.findings[0].resource, "spoke/rt/app/b:0.0.0.0/0");
    assert!(
        c.findings[0].message.contains("every destination outside the environment"),
        "{}",
        c.findings[0].message
    );
    let s = r.get("spoke.no-public-surface").unwrap();
    assert_eq!(s.status, Status::Fail);
    let found: Vec<&str> = s.findings.iter().map(|f| f.resource.as_str()).collect();
    assert_eq!(found, ["igw/spoke", "spoke/rt/app/b:0.0.0.0/0"]);
}

#[test]
fn a_routing_loop_ends_and_is_not_an_exit() {
    let mut t = hub();
    // The spoke table sends everything back to the spoke, whose transit subnets send it
    // to the gateway again.
    t.tgw_route_tables.get_mut("tgw-rt/spoke").unwrap().routes.clear();
    tgw_route(&mut t, "tgw-rt/spoke", "0.0.0.0/0", att("att/spoke"));
    for l in ["a", "b"] {
        route(&mut t, &format!("spoke/rt/transit/{l}"), "0.0.0.0/0", tgw());
    }
    assert!(analyze(&t).breaches.is_empty());
    assert!(matches!(trace(&t, "spoke/app/a", ip("8.8.8.8"))[0].end, End::Loop { .. }));
}

#[test]
fn on_a_tie_a_static_tgw_route_wins_over_a_propagated_one() {
    let mut t = hub();
    // The inspection table learns 10.1.0.0/16 by propagation; a static blackhole for the
    // same prefix wins.
    tgw_route(&mut t, "tgw-rt/inspection", "10.1.0.0/16", TgwTarget::Blackhole);
    let paths = trace(&t, "insp/firewall/a", ip("10.1.0.5"));
    assert_eq!(paths[0].end, End::Dropped { reason: "blackhole in tgw-rt/inspection".into() });
    t.tgw_route_tables.get_mut("tgw-rt/inspection").unwrap().routes.clear();
    let paths = trace(&t, "insp/firewall/a", ip("10.1.0.5"));
    assert_eq!(paths[0].end, End::Delivered { vpc: "spoke".into() });
    assert_eq!(
        paths[0].hops[1].route.as_deref(),
        Some("tgw-rt/inspection: propagation of att/spoke")
    );
}

#[test]
fn a_firewall_endpoint_of_another_firewall_or_zone_is_not_taken_on_trust() {
    let mut t = hub();
    // The route names a zone the firewall has no subnet in: dropped, not "inspected".
    let rt = t.route_tables.get_mut("insp/rt/transit/b").unwrap();
    rt.routes[0].target = fw("eu-central-1c");
    let p = trace(&t, "spoke/app/b", ip("8.8.8.8"));
    assert!(p.iter().any(|p| matches!(&p.end, End::Dropped { reason } if reason.contains("no endpoint in eu-central-1c"))));
    assert!(analyze(&t).breaches.is_empty());
}

#[test]
fn a_route_to_a_gateway_of_another_vpc_carries_nothing() {
    let mut t = hub();
    // The inspection VPC's gateways, named from a spoke route table: AWS would show
    // these routes as blackholes.
    route(&mut t, "spoke/rt/app/a", "1.0.0.0/8", igw("igw"));
    route(&mut t, "spoke/rt/app/a", "2.0.0.0/8", nat(fixture::ZONES[0]));
    assert!(analyze(&t).breaches.is_empty());
    let p = &trace(&t, "spoke/app/a", ip("1.1.1.1"))[0];
    assert_eq!(p.end, End::Dropped { reason: "igw is not attached to spoke".into() });
    assert_eq!(p.exposed_at, None);
}
