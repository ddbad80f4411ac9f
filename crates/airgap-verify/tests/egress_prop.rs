//! Random route tables: the verdict of the analysis over equivalence classes equals a
//! brute-force check of sampled addresses (every prefix's edges and random ones), and
//! every counterexample it gives really leaks.

use airgap_verify::egress::{analyze, brute_force, trace, Path};
use airgap_verify::fixture::{att, fw, hub, igw, nat, route, tgw, tgw_route, ZONES};
use airgap_verify::prefix::Prefix;
use airgap_verify::topology::{InternetGateway, Target, TgwTarget};
use airgap_verify::Topology;
use proptest::prelude::*;

const TABLES: [&str; 8] = [
    "spoke/rt/app/a",
    "spoke/rt/app/b",
    "spoke/rt/transit/a",
    "insp/rt/transit/a",
    "insp/rt/transit/b",
    "insp/rt/firewall/a",
    "insp/rt/firewall/b",
    "insp/rt/public/b",
];

/// Bases that make prefixes overlap each other and the environment's ranges.
const BASES: [u32; 7] =
    [0, 0x0800_0000, 0x0808_0000, 0x0A01_0000, 0x3400_0000, 0x6440_0000, 0x8000_0000];

fn target(i: usize) -> Target {
    match i {
        0 => tgw(),
        1 => nat(ZONES[0]),
        2 => nat(ZONES[1]),
        3 => igw("igw"),
        4 => igw("igw/spoke"),
        5 => fw(ZONES[0]),
        6 => fw(ZONES[1]),
        7 => Target::Blackhole { id: "gone".into() },
        8 => Target::GatewayEndpoint { id: "vpce-s3".into() },
        _ => Target::Other { id: "pcx-1".into() },
    }
}

fn tgw_target(i: usize) -> TgwTarget {
    match i {
        0 => att("att/insp"),
        1 => att("att/spoke"),
        _ => TgwTarget::Blackhole,
    }
}

fn prefix() -> impl Strategy<Value = Prefix> {
    (0..BASES.len(), 0u8..=32, any::<u16>())
        .prop_map(|(b, len, low)| Prefix::new(BASES[b].wrapping_add(u32::from(low) << 8), len))
}

fn topology() -> impl Strategy<Value = Topology> {
    (
        prop::collection::vec((0..TABLES.len(), prefix(), 0usize..10), 0..10),
        prop::collection::vec((0usize..2, prefix(), 0usize..3), 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(routes, tgw_routes, appliance, spoke_igw)| {
            let mut t = hub();
            if spoke_igw {
                t.internet_gateways
                    .push(InternetGateway { id: "igw/spoke".into(), vpc: Some("spoke".into()) });
            }
            t.attachments.get_mut("att/insp").unwrap().appliance_mode = appliance;
            for (rt, p, target_i) in routes {
                route(&mut t, TABLES[rt], &p.to_string(), target(target_i));
            }
            for (rt, p, target_i) in tgw_routes {
                let rt = ["tgw-rt/spoke", "tgw-rt/inspection"][rt];
                tgw_route(&mut t, rt, &p.to_string(), tgw_target(target_i));
            }
            t
        })
}

/// The edges of every prefix of the topology, and the addresses just outside them.
fn edges(t: &Topology) -> Vec<u32> {
    let mut prefixes: Vec<Prefix> = t.vpcs.values().map(|v| v.cidr).collect();
    prefixes.extend(t.route_tables.values().flat_map(|r| r.routes.iter().map(|x| x.dest)));
    prefixes.extend(t.tgw_route_tables.values().flat_map(|r| r.routes.iter().map(|x| x.dest)));
    let mut v = Vec::new();
    for p in prefixes {
        v.extend([p.first(), p.last(), p.first().wrapping_sub(1), p.last().wrapping_add(1)]);
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn classes_agree_with_sampled_addresses(t in topology(), random in prop::collection::vec(any::<u32>(), 64)) {
        let e = analyze(&t);
        let mut samples = edges(&t);
        samples.extend(random);
        prop_assert_eq!(e.breaches.is_empty(), brute_force(&t, &samples), "{:#?}", e.breaches);
        for b in &e.breaches {
            let paths = trace(&t, &b.subnet, u32::from(b.example));
            prop_assert!(paths.iter().any(|p| !p.is_safe()));
            prop_assert!(paths.contains(&b.path));
            // Every address the breach names takes the same path.
            for d in &b.destinations {
                for a in [d.first(), d.last()] {
                    prop_assert!(trace(&t, &b.subnet, a).iter().any(|p: &Path| p == &b.path));
                }
            }
        }
    }
}
