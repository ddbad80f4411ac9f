//! The cost model against hand-computed figures: the endpoint, the example
//! blueprints' lines, TTL periods and the break-even of central endpoints.

use std::time::Duration;

use airgap_blueprint::examples;
use airgap_catalog::spec::{node, Id, ResolverEndpointSpec};
use airgap_cost::inventory::{Billable, Resource};
use airgap_cost::{break_even, estimate, report, Basis, Context, Kind, Prices, Usage};
use airgap_engine::Scope;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn frankfurt() -> Prices {
    Prices::shipped("eu-central-1").unwrap()
}

fn endpoint(account: &str, vpc: &str, service: &str, azs: u32) -> Resource {
    Resource {
        node: format!("vpc/{vpc}/endpoint/{service}"),
        account: account.into(),
        what: Billable::InterfaceEndpoint { vpc: vpc.into(), service: service.into(), azs },
    }
}

/// The figure: $0.012 * 3 * 730.
#[test]
fn one_interface_endpoint_in_3_azs_in_frankfurt_is_26_28_a_month() {
    let r = [endpoint("1", "a", "sts", 3)];
    let e = estimate(&r, &frankfurt(), &Usage::default(), &Context::default());
    let hour = &e.lines[0];
    assert_eq!(hour.kind, Kind::InterfaceEndpoints);
    assert_eq!(hour.basis, Basis::Hour { units: 3.0, rate: 0.012 });
    assert!(close(hour.monthly.unwrap(), 26.28), "{:?}", hour.monthly);
    // No usage file: the data processed is a rate, not a figure.
    assert_eq!(e.lines[1].basis, Basis::Gb { gb: None, rate: 0.01 });
    assert_eq!(e.lines[1].monthly, None);
    assert!(close(e.monthly_total, 26.28));
    assert_eq!(e.traffic_unpriced, 1);
}

fn hub_spoke(usage: &Usage) -> airgap_cost::Report {
    let bp = examples::blueprint("hub-spoke.yaml").unwrap();
    let graph = examples::hub_spoke().seal().unwrap();
    report(&graph, &frankfurt(), usage, &Context::from_blueprint(&bp)).unwrap()
}

/// Every kind of hub-spoke.yaml, computed by hand from the snapshot (2 AZs):
/// 16 endpoints x 2 AZ x 0.012 x 730 = 280.32; 4 attachments x 0.06 x 730 = 175.20;
/// 2 firewall endpoints x 0.395 x 730 = 576.70; 2 NAT gateways waived by the firewall
/// endpoints = 0; 2 Elastic IPs x 0.005 x 730 = 7.30; the Client VPN associated with
/// one subnet (no `highAvailability`) 1 x 0.10 x 730 = 73.00, no connection-hours without
/// a usage file; the Resolver inbound endpoint's 2 addresses x 0.125 x 730 = 182.50; the
/// cluster 0.10 x 730 = 73.00; nodes 3 x m6i.large 0.115 x 730 + 1 x c6i.xlarge 0.194 x
/// 730 = 393.47; 1 KMS key 1.00; the VPN CA's secret 0.40; the PrivateLink service's NLB
/// 0.027 x 730 = 19.71. Total 1782.60 (1762.89 before the PrivateLink service, 1580.39
/// before the Resolver endpoint was counted, 1506.99 before the VPN).
#[test]
fn hub_spoke_costs_what_its_resources_do() {
    let r = hub_spoke(&Usage::default());
    let kinds = r.estimate.by_kind();
    let expect = [
        (Kind::InterfaceEndpoints, 280.32),
        (Kind::TransitGateway, 175.20),
        (Kind::NetworkFirewall, 576.70),
        (Kind::NatGateways, 0.0),
        (Kind::PublicIpv4, 7.30),
        (Kind::ClientVpn, 73.00),
        (Kind::Route53Resolver, 182.50),
        (Kind::EksCluster, 73.00),
        (Kind::Nodes, 393.47),
        (Kind::KmsKeys, 1.00),
        (Kind::Secrets, 0.40),
        (Kind::PrivateLinkLoadBalancer, 19.71),
        (Kind::LogIngestion, 0.0),
    ];
    for (kind, want) in expect {
        assert!(close(kinds[&kind], want), "{kind:?}: {} != {want}", kinds[&kind]);
    }
    assert_eq!(kinds.len(), expect.len(), "{kinds:?}");
    assert!(close(r.estimate.monthly_total, 1782.60), "{}", r.estimate.monthly_total);
    let accounts: Vec<String> = r.estimate.by_account().into_iter().map(|(a, _)| a).collect();
    assert_eq!(accounts, ["network", "shared", "workload"]);
    // The network account: the inspection VPC (firewall, NAT gateways, Elastic IPs, its
    // attachment) and the access VPC (its attachment, the VPN, its CA, the Resolver
    // endpoint): 576.70 + 7.30 + 2 x 43.80 + 73.00 + 0.40 + 182.50 (docs/cost.md).
    let by_account = r.estimate.by_account();
    for ((_, got), want) in by_account.iter().zip([927.50, 166.44, 688.66]) {
        assert!(close(*got, want), "{by_account:?}");
    }
    // The NAT gateways are billed, then waived against the firewall's endpoint hours.
    let nat: Vec<f64> = r
        .estimate
        .lines
        .iter()
        .filter(|l| l.kind == Kind::NatGateways)
        .filter_map(|l| l.monthly)
        .collect();
    assert!(close(nat[0], 75.92) && close(nat[1], -75.92), "{nat:?}");
    assert!(r.estimate.unpriced.is_empty());
    assert_eq!(r.estimate.ttl_hours, None);
    // The VPN, its CA and the Resolver endpoint are billed to the access VPC's account,
    // the network one.
    let vpn: Vec<(&str, &str, Option<f64>)> = r
        .estimate
        .lines
        .iter()
        .filter(|l| matches!(l.kind, Kind::ClientVpn | Kind::Route53Resolver | Kind::Secrets))
        .map(|l| (l.account.as_str(), l.item.as_str(), l.monthly))
        .collect();
    assert_eq!(
        vpn,
        [
            ("network", "access: 1 subnet association(s)", Some(73.0)),
            ("network", "access: 0 connection-hours", Some(0.0)),
            ("network", "access: 2 endpoint address(es)", Some(182.5)),
            ("network", "access/vpn/pki: secret airgap/hub-spoke/vpn-ca", Some(0.40)),
        ],
        "{vpn:?}"
    );
    // Connection-hours default to none, not to a rate: the lines priced per GB only are
    // the 16 endpoints', the 4 attachments', the firewall's egress and 2 log sources.
    assert_eq!(r.estimate.traffic_unpriced, 23);
}

/// The inventory reads the VPN from its typed specs: one association without
/// `highAvailability`, one per AZ with it; the CA's secret by its name.
#[test]
fn the_vpn_and_its_ca_are_read_from_their_specs() {
    let read = |text: &str| {
        let bp = airgap_blueprint::parse("hub-spoke.yaml", text).unwrap();
        let graph = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
        airgap_cost::inventory(&graph)
            .unwrap()
            .into_iter()
            .filter(|r| matches!(r.what, Billable::ClientVpn { .. } | Billable::Secret { .. }))
            .collect::<Vec<Resource>>()
    };
    let vpn = read(examples::HUB_SPOKE);
    assert_eq!(
        vpn,
        [
            Resource {
                node: "access/vpn/pki".into(),
                account: "111111111111".into(),
                what: Billable::Secret { name: "airgap/hub-spoke/vpn-ca".into() },
            },
            Resource {
                node: "access/vpn".into(),
                account: "111111111111".into(),
                what: Billable::ClientVpn { vpc: "access".into(), associations: 1 },
            },
        ]
    );
    let ha = examples::HUB_SPOKE
        .replace("clusters: [apps]", "clusters: [apps]\n    highAvailability: true");
    assert_ne!(ha, examples::HUB_SPOKE);
    let vpn = read(&ha);
    assert_eq!(vpn[1].what, Billable::ClientVpn { vpc: "access".into(), associations: 2 });
}

/// The inventory reads the Resolver endpoint from its typed spec: two addresses in the
/// first two AZs' endpoints subnets, two in three AZs too, one per subnet listed (a subnet
/// listed twice, as in a one-AZ environment, holds two); its VPC from the subnets'.
#[test]
fn the_resolver_endpoint_is_read_from_its_spec() {
    let read = |text: &str| {
        let bp = airgap_blueprint::parse("hub-spoke.yaml", text).unwrap();
        let graph = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
        let found: Vec<Resource> = airgap_cost::inventory(&graph)
            .unwrap()
            .into_iter()
            .filter(|r| matches!(r.what, Billable::ResolverEndpoint { .. }))
            .collect();
        assert_eq!(found.len(), 1, "{found:?}");
        found.into_iter().next().unwrap()
    };
    assert_eq!(
        read(examples::HUB_SPOKE),
        Resource {
            node: "access/dns".into(),
            account: "111111111111".into(),
            what: Billable::ResolverEndpoint { vpc: "access".into(), addresses: 2 },
        }
    );
    let three = examples::HUB_SPOKE.replace("availabilityZones: 2", "availabilityZones: 3");
    assert_ne!(three, examples::HUB_SPOKE);
    let what = read(&three).what;
    assert_eq!(what, Billable::ResolverEndpoint { vpc: "access".into(), addresses: 2 });

    let subnet = Id::of("vpc/access/subnet/endpoints/a", "id");
    let one_az = node(
        "access/dns",
        Scope::new("1", "eu-central-1"),
        &ResolverEndpointSpec {
            name: "airgap-e-inbound".into(),
            direction: "INBOUND".into(),
            security_groups: vec![Id::of("access/dns/sg", "id")],
            subnets: vec![subnet.clone(), subnet],
        },
    );
    let what = airgap_cost::billable(&one_az).unwrap().unwrap().what;
    assert_eq!(what, Billable::ResolverEndpoint { vpc: "access".into(), addresses: 2 });
    // Without access.dns nothing is billed for it.
    let none = examples::HUB_SPOKE.replace("  dns:\n    vpc: access\n", "");
    assert_ne!(none, examples::HUB_SPOKE);
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &none).unwrap();
    let graph = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
    let inventory = airgap_cost::inventory(&graph).unwrap();
    assert!(!inventory.iter().any(|r| matches!(r.what, Billable::ResolverEndpoint { .. })));
}

/// Route 53 Resolver in Frankfurt: 3 addresses x 0.125 x 730 = 273.75 a month, and over an
/// 8-hour TTL 3 x 0.125 x 8 = 3.00; nothing counts the queries.
#[test]
fn a_resolver_endpoint_bills_each_address_by_the_hour() {
    let r = [Resource {
        node: "access/dns".into(),
        account: "1".into(),
        what: Billable::ResolverEndpoint { vpc: "access".into(), addresses: 3 },
    }];
    let ctx = Context { ttl: Some(Duration::from_secs(8 * 3600)), ..Context::default() };
    let e = estimate(&r, &frankfurt(), &Usage::default(), &ctx);
    assert_eq!(e.lines.len(), 1);
    assert_eq!(e.lines[0].kind, Kind::Route53Resolver);
    assert_eq!(e.lines[0].item, "access: 3 endpoint address(es)");
    assert_eq!(e.lines[0].basis, Basis::Hour { units: 3.0, rate: 0.125 });
    assert!(close(e.lines[0].monthly.unwrap(), 273.75), "{:?}", e.lines[0]);
    assert!(close(e.lines[0].ttl_period.unwrap(), 3.0), "{:?}", e.lines[0]);
    assert_eq!(e.traffic_unpriced, 0);
    assert_eq!(Kind::Route53Resolver.title(), "Route 53 Resolver");
    assert_eq!(serde_json::to_value(Kind::Route53Resolver).unwrap(), "route53-resolver");
}

/// hub-spoke.yaml's `access.privateLink` entry `partners` in the workload VPC gets an
/// internal NLB (`access/privatelink/partners/nlb`, in the VPC's endpoints subnets), billed
/// by the hour to the workload account: 0.027 x 730 = 19.71 a month, 1782.60 in all. An
/// entry `legacy` added, naming an operator's load balancer, builds only its endpoint
/// service, which costs its owner nothing: nothing more is billed. NLCU-hours are not
/// counted.
#[test]
fn a_private_link_service_bills_its_load_balancer_by_the_hour() {
    assert!(examples::HUB_SPOKE
        .trim_end()
        .ends_with("allowedPrincipals: [\"arn:aws:iam::444455556666:root\"]"));
    let text = format!(
        "{}    - name: legacy\n      loadBalancerArn: arn:aws:elasticloadbalancing:eu-central-1:222222222222:loadbalancer/net/legacy/0123456789abcdef\n      allowedPrincipals: [arn:aws:iam::444455556666:role/reader]\n",
        examples::HUB_SPOKE
    );
    assert_ne!(text, examples::HUB_SPOKE);
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &text).unwrap();
    let graph = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
    let workload = bp.account("workload").unwrap().id.value.clone();
    let nlbs: Vec<Resource> = airgap_cost::inventory(&graph)
        .unwrap()
        .into_iter()
        .filter(|r| matches!(r.what, Billable::NetworkLoadBalancer { .. }))
        .collect();
    assert_eq!(
        nlbs,
        [Resource {
            node: "access/privatelink/partners/nlb".into(),
            account: workload,
            what: Billable::NetworkLoadBalancer { vpc: "workload".into() },
        }]
    );

    let r = report(&graph, &frankfurt(), &Usage::default(), &Context::from_blueprint(&bp)).unwrap();
    let lines: Vec<_> =
        r.estimate.lines.iter().filter(|l| l.kind == Kind::PrivateLinkLoadBalancer).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0].account, "workload");
    assert_eq!(lines[0].item, "workload: access/privatelink/partners/nlb, Network Load Balancer");
    assert_eq!(lines[0].basis, Basis::Hour { units: 1.0, rate: 0.027 });
    assert!(close(lines[0].monthly.unwrap(), 19.71), "{:?}", lines[0]);
    assert!(close(r.estimate.monthly_total, 1782.60), "{}", r.estimate.monthly_total);
    assert!(r.estimate.unpriced.is_empty());
}

/// A Network Load Balancer in Frankfurt over an 8-hour TTL: 0.027 x 8 = 0.216; in
/// us-east-1 a month: 0.0225 x 730 = 16.425.
#[test]
fn a_network_load_balancer_bills_one_hour_an_hour() {
    let r = [Resource {
        node: "access/privatelink/partners/nlb".into(),
        account: "1".into(),
        what: Billable::NetworkLoadBalancer { vpc: "workload".into() },
    }];
    let ctx = Context { ttl: Some(Duration::from_secs(8 * 3600)), ..Context::default() };
    let e = estimate(&r, &frankfurt(), &Usage::default(), &ctx);
    assert_eq!(e.lines.len(), 1);
    assert!(close(e.lines[0].ttl_period.unwrap(), 0.216), "{:?}", e.lines[0]);
    let virginia = Prices::shipped("us-east-1").unwrap();
    let e = estimate(&r, &virginia, &Usage::default(), &Context::default());
    assert!(close(e.lines[0].monthly.unwrap(), 16.425), "{:?}", e.lines[0]);
    assert_eq!(e.traffic_unpriced, 0);
    assert_eq!(Kind::PrivateLinkLoadBalancer.title(), "PrivateLink load balancer");
    let kind = serde_json::to_value(Kind::PrivateLinkLoadBalancer).unwrap();
    assert_eq!(kind, "private-link-load-balancer");
}

/// AWS Client VPN in Frankfurt: 2 associations x 0.10 x 730 = 146.00; 800
/// connection-hours x 0.05 = 40.00 a month, and over an 8-hour TTL 2 x 0.10 x 8 = 1.60 and
/// 40.00 x 8 / 730 (connections spread over the month like traffic).
#[test]
fn client_vpn_bills_associations_by_the_hour_and_connection_hours_from_the_usage_file() {
    let r = [Resource {
        node: "access/vpn".into(),
        account: "1".into(),
        what: Billable::ClientVpn { vpc: "access".into(), associations: 2 },
    }];
    let usage = Usage::parse("u.yaml", "access:\n  vpn:\n    connectionHours: 800\n").unwrap();
    let ctx = Context { ttl: Some(Duration::from_secs(8 * 3600)), ..Context::default() };
    let e = estimate(&r, &frankfurt(), &usage, &ctx);
    assert_eq!(e.lines.len(), 2);
    assert_eq!(e.lines[0].item, "access: 2 subnet association(s)");
    assert_eq!(e.lines[0].basis, Basis::Hour { units: 2.0, rate: 0.10 });
    assert!(close(e.lines[0].monthly.unwrap(), 146.0), "{:?}", e.lines[0]);
    assert!(close(e.lines[0].ttl_period.unwrap(), 1.60), "{:?}", e.lines[0]);
    assert_eq!(e.lines[1].item, "access: 800 connection-hours");
    assert!(close(e.lines[1].monthly.unwrap(), 40.0), "{:?}", e.lines[1]);
    assert!(close(e.lines[1].ttl_period.unwrap(), 40.0 * 8.0 / 730.0), "{:?}", e.lines[1]);
    assert!(close(e.monthly_total, 186.0), "{}", e.monthly_total);
    assert_eq!(e.traffic_unpriced, 0);

    // A secret: 0.40 a month, prorated by the hour.
    let s = [Resource {
        node: "access/vpn/pki".into(),
        account: "1".into(),
        what: Billable::Secret { name: "ca".into() },
    }];
    let e = estimate(&s, &frankfurt(), &Usage::default(), &ctx);
    assert_eq!(e.lines[0].basis, Basis::Month { units: 1.0, rate: 0.40 });
    assert!(close(e.lines[0].ttl_period.unwrap(), 0.40 * 8.0 / 730.0));
}

#[test]
fn a_usage_file_prices_the_traffic() {
    let usage = Usage::parse(
        "u.yaml",
        "vpcs:\n  workload:\n    endpoints: { ecr.dkr: 300 }\n    transitGateway: 50\n\
         egress: { firewall: 40 }\nlogs: { firewall: 5, apps: 10 }\n\
         access: { vpn: { connectionHours: 160 } }\n",
    )
    .unwrap();
    let base = hub_spoke(&Usage::default()).estimate.monthly_total;
    let r = hub_spoke(&usage);
    // 300 x 0.01 + 50 x 0.02 + 40 x 0.065 (firewall; the NAT GB are waived) +
    // 15 x 0.63 + 160 connection-hours x 0.05 = 3 + 1 + 2.6 + 9.45 + 8.
    assert!(close(r.estimate.monthly_total - base, 24.05), "{}", r.estimate.monthly_total - base);
}

#[test]
fn a_usage_file_naming_what_the_plan_lacks_is_refused() {
    let usage = Usage::parse("u.yaml", "vpcs:\n  workload:\n    endpoints: { ssm: 1 }\n").unwrap();
    let bp = examples::blueprint("hub-spoke.yaml").unwrap();
    let graph = examples::hub_spoke().seal().unwrap();
    let e = report(&graph, &frankfurt(), &usage, &Context::from_blueprint(&bp)).unwrap_err();
    // ssm has an endpoint in tooling, not in workload.
    assert!(e.to_string().starts_with("u.yaml:3:18: \"ssm\" is no interface endpoint"), "{e}");

    // single-account.yaml has no VPN to connect to.
    let usage = Usage::parse("u.yaml", "access:\n  vpn: { connectionHours: 10 }\n").unwrap();
    let bp = examples::blueprint("single-account.yaml").unwrap();
    let graph = examples::graph("single-account.yaml").unwrap().seal().unwrap();
    let e = report(&graph, &frankfurt(), &usage, &Context::from_blueprint(&bp)).unwrap_err();
    assert_eq!(e.to_string(), "u.yaml:2:3: \"vpn\" is no private access of the environment");
}

/// single-account.yaml has `ttl: 8h`: every hourly line costs 8 hours of it.
#[test]
fn a_ttl_period_bills_whole_hours() {
    let bp = examples::blueprint("single-account.yaml").unwrap();
    let graph = examples::graph("single-account.yaml").unwrap().seal().unwrap();
    let ctx = Context::from_blueprint(&bp);
    let r = report(&graph, &frankfurt(), &Usage::default(), &ctx).unwrap();
    assert_eq!(r.estimate.ttl_hours, Some(8));
    // 2 firewall endpoints x 0.395 x 8 hours.
    let fw = r.estimate.lines.iter().find(|l| l.kind == Kind::NetworkFirewall).unwrap();
    assert!(close(fw.ttl_period.unwrap(), 6.32), "{:?}", fw.ttl_period);
    let sum: f64 = r.estimate.lines.iter().filter_map(|l| l.ttl_period).sum();
    assert!(close(r.estimate.ttl_period_total.unwrap(), sum));

    // A key is billed by the month, prorated by the hour.
    let key = [Resource { node: "k".into(), account: "1".into(), what: Billable::KmsKey }];
    let e = estimate(&key, &frankfurt(), &Usage::default(), &ctx);
    assert!(close(e.lines[0].ttl_period.unwrap(), 8.0 / 730.0));
    assert!(close(e.lines[0].monthly.unwrap(), 1.0));

    // 90 minutes bill 2 hours; 2 hours bill 2.
    let one = [endpoint("1", "a", "sts", 3)];
    for (ttl, hours) in [(5400, 2), (7200, 2), (60, 1)] {
        let ctx = Context { ttl: Some(Duration::from_secs(ttl)), ..Context::default() };
        let e = estimate(&one, &frankfurt(), &Usage::default(), &ctx);
        assert_eq!(e.ttl_hours, Some(hours));
        assert!(close(e.ttl_period_total.unwrap(), 0.036 * hours as f64), "{ttl}");
    }
}

#[test]
fn an_instance_type_without_a_price_is_reported_not_guessed() {
    let r = [Resource {
        node: "cluster/c/nodegroup/g".into(),
        account: "1".into(),
        what: Billable::Nodegroup {
            cluster: "c".into(),
            name: "g".into(),
            instance_type: "x9.huge".into(),
            desired: 2,
        },
    }];
    let e = estimate(&r, &frankfurt(), &Usage::default(), &Context::default());
    assert!(e.lines.is_empty());
    assert_eq!(e.unpriced.len(), 1);
    assert!(e.unpriced[0].contains("x9.huge"), "{:?}", e.unpriced);
}

/// hub-spoke.yaml: ecr.api, ecr.dkr, logs and sts are in workload and tooling, 2 AZs
/// each. Per VPC: 2 x 2 x 0.012 x 730 = 35.04; central in tooling (the registries'
/// account): 2 x 0.012 x 730 + 0.50 (hosted zone) = 18.02; a GB to the central endpoint
/// crosses the transit gateway twice and the firewall once (2 x 0.02 + 0.065 = 0.105), so
/// they cross at (35.04 - 18.02) / 0.105 = 162.1 GB a month.
#[test]
fn hub_spoke_break_even_is_162_gb_a_month() {
    let r = hub_spoke(&Usage::default());
    let services: Vec<&str> = r.break_even.iter().map(|b| b.service.as_str()).collect();
    assert_eq!(services, ["ecr.api", "ecr.dkr", "logs", "sts"]);
    for b in &r.break_even {
        assert_eq!(b.host, "tooling");
        assert!(close(b.per_vpc_fixed, 35.04), "{}", b.per_vpc_fixed);
        assert!(close(b.central_fixed, 18.02), "{}", b.central_fixed);
        assert!(close(b.crossing_rate, 0.105), "{}", b.crossing_rate);
        assert!((b.break_even_gb.unwrap() - 162.1).abs() < 0.01, "{:?}", b.break_even_gb);
        assert_eq!(b.crossing_gb, None);
    }
}

/// Three VPCs in 3 AZs, central in a fourth place (the inspection VPC, 3 AZs), with
/// traffic, and no firewall in the hub (the transit gateway twice, 0.04 a GB): per VPC
/// 3 x 3 x 0.012 x 730 = 78.84 + 600 GB x 0.01 = 84.84; central 3 x 0.012 x 730 + 0.50 =
/// 26.78, + 600 x 0.04 + 6 = 56.78; break-even (78.84 - 26.78) / 0.04 = 1301.5 GB.
#[test]
fn break_even_with_traffic_and_the_inspection_vpc_as_host() {
    let r =
        [endpoint("1", "a", "sts", 3), endpoint("2", "b", "sts", 3), endpoint("3", "c", "sts", 3)];
    let usage = Usage::parse(
        "u.yaml",
        "vpcs:\n  a: { endpoints: { sts: 100 } }\n  b: { endpoints: { sts: 200 } }\n  c: { endpoints: { sts: 300 } }\n",
    )
    .unwrap();
    let ctx = Context { hub_account: Some("9".into()), azs: 3, ..Context::default() };
    let b = &break_even(&r, &frankfurt(), &usage, &ctx)[0];
    assert_eq!((b.host.as_str(), b.host_azs), ("inspection", 3));
    assert_eq!(b.crossing_gb, Some(600.0));
    assert!(close(b.per_vpc_monthly.unwrap(), 84.84), "{:?}", b.per_vpc_monthly);
    assert!(close(b.central_monthly.unwrap(), 56.78), "{:?}", b.central_monthly);
    assert!(close(b.break_even_gb.unwrap(), 1301.5), "{:?}", b.break_even_gb);

    // Two 1-AZ endpoints against a central one in 3 AZs: central saves nothing fixed.
    let r = [endpoint("1", "a", "sts", 1), endpoint("2", "b", "sts", 1)];
    let b = &break_even(&r, &frankfurt(), &Usage::default(), &ctx)[0];
    assert_eq!(b.break_even_gb, None);
    // A service in one VPC has nothing to share.
    assert!(break_even(&r[..1], &frankfurt(), &Usage::default(), &ctx).is_empty());
}

/// hub-spoke.yaml with `endpoints: { mode: central, vpc: tooling }` (docs/cost.md): ecr.api,
/// ecr.dkr, sts and logs only in tooling, the workload's five others in place: 12 endpoints
/// x 2 AZ x 0.012 x 730 = 210.24 instead of 280.32, and 4 private hosted zones x 0.50 =
/// 2.00: 68.08 less, 1782.60 - 68.08 = 1714.52 a month.
#[test]
fn hub_spoke_with_central_endpoints_costs_68_08_less() {
    let text = format!("{}endpoints:\n  mode: central\n  vpc: tooling\n", examples::HUB_SPOKE);
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &text).unwrap();
    let graph = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
    let r = report(&graph, &frankfurt(), &Usage::default(), &Context::from_blueprint(&bp)).unwrap();
    let kinds = r.estimate.by_kind();
    assert!(close(kinds[&Kind::InterfaceEndpoints], 210.24), "{kinds:?}");
    assert!(close(kinds[&Kind::HostedZones], 2.0), "{kinds:?}");
    assert!(close(r.estimate.monthly_total, 1714.52), "{}", r.estimate.monthly_total);
}
