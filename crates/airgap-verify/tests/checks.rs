//! The checks other than the egress paths, on the hand-built hub with one thing changed.

use airgap_verify::fixture::{self, hub, route, subnet};
use airgap_verify::intent::{ClusterIntent, PrivateLinkIntent, VpnIntent};
use airgap_verify::topology::{
    ClientVpn, Cluster, Endpoint, EndpointService, InternetGateway, Pull, Repository,
    ServiceLoadBalancer, SgRule, Target, TgwTarget, VpnAuthorization, VpnRoute,
};
use airgap_verify::{verify, Intent, Report, Status, Topology};
use serde_json::json;

const ENDPOINT: &str = "https://0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com";
const REPO: &str = "arn:aws:ecr:eu-central-1:222222222222:repository/mirror/nginx";
const PARTNER: &str = "arn:aws:iam::444455556666:root";

fn intent() -> Intent {
    Intent {
        env: "t".into(),
        region: "eu-central-1".into(),
        clusters: vec![ClusterIntent {
            id: "cluster".into(),
            // Its own, and the access VPC's (the VPN's clients come from there).
            api_access_cidrs: vec!["10.9.0.0/16".parse().unwrap(), "10.2.0.0/16".parse().unwrap()],
        }],
        repositories: vec![REPO.into()],
        buckets: Vec::new(),
        allow_domains: Some(vec!["example.com".into()]),
        vpns: vec![VpnIntent {
            id: "vpn".into(),
            clusters: vec!["cluster".into()],
            cidrs: Vec::new(),
            dns: Vec::new(),
        }],
        private_links: vec![PrivateLinkIntent {
            id: "access/privatelink/partners".into(),
            acceptance_required: true,
            allowed_principals: vec![PARTNER.into()],
        }],
    }
}

fn endpoint(t: &mut Topology, service: &str, gateway: bool, policy: Option<serde_json::Value>) {
    t.endpoints.push(Endpoint {
        id: format!("spoke/endpoint/{service}"),
        vpc: "spoke".into(),
        service: service.into(),
        gateway,
        private_dns: !gateway,
        policy,
    });
}

fn ecr_policy(resource: serde_json::Value) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": ["ecr:BatchGetImage"], "Resource": resource}
    ]})
}

fn s3_policy(resource: &str) -> serde_json::Value {
    json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": resource}})
}

/// The hub with a private cluster in the spoke, the endpoints its nodes need (with
/// tight policies), one hardened repository and a VPN to the cluster's API: every check
/// passes.
fn full() -> Topology {
    let mut t = hub();
    fixture::vpn(&mut t);
    t.clusters.push(Cluster {
        id: "cluster".into(),
        name: "t-apps".into(),
        subnets: vec!["spoke/app/a".into(), "spoke/app/b".into()],
        security_groups: vec!["cluster/sg".into()],
        public_access: false,
        private_access: true,
        node_roles: vec!["arn:aws:iam::3:role/node".into()],
        endpoint: Some(ENDPOINT.into()),
    });
    // What `--dns` found: the endpoint's name resolves inside the spoke VPC.
    t.dns.insert("cluster".into(), Ok(vec!["10.1.0.20".parse().unwrap()]));
    t.sg_rules.push(SgRule {
        id: "cluster/sg/api/0".into(),
        group: "cluster/sg".into(),
        protocol: "tcp".into(),
        port: 443,
        cidr: "10.9.0.0/16".parse().unwrap(),
    });
    t.sg_rules.push(SgRule {
        id: "cluster/sg/api/vpn".into(),
        group: "cluster/sg".into(),
        protocol: "tcp".into(),
        port: 443,
        cidr: "10.2.0.0/16".parse().unwrap(),
    });
    for svc in ["ec2", "sts"] {
        endpoint(&mut t, svc, false, None);
    }
    for svc in ["ecr.api", "ecr.dkr"] {
        endpoint(&mut t, svc, false, Some(ecr_policy(json!([REPO]))));
    }
    endpoint(
        &mut t,
        "s3",
        true,
        Some(s3_policy("arn:aws:s3:::prod-eu-central-1-starport-layer-bucket/*")),
    );
    t.repositories.push(Repository {
        id: "registry/mirror/nginx".into(),
        name: "mirror/nginx".into(),
        scan_on_push: true,
        immutable_tags: true,
        pull: Pull::Principals(vec!["arn:aws:iam::3:role/node".into()]),
    });
    // A partner reaches a service of the spoke through an internal load balancer.
    t.endpoint_services = Some(vec![EndpointService {
        id: "access/privatelink/partners".into(),
        acceptance_required: true,
        allowed_principals: vec![PARTNER.into()],
        load_balancers: vec![ServiceLoadBalancer {
            id: "access/privatelink/partners/nlb".into(),
            scheme: Some("internal".into()),
            vpc: Some("spoke".into()),
        }],
    }]);
    t
}

fn status(r: &Report, id: &str) -> Status {
    r.get(id).unwrap_or_else(|| panic!("no check {id}")).status
}

/// The resources a check names in its findings.
fn resources<'r>(r: &'r Report, id: &str) -> Vec<&'r str> {
    let c = r.get(id).unwrap_or_else(|| panic!("no check {id}"));
    c.findings.iter().map(|f| f.resource.as_str()).collect()
}

/// The ids of the checks that fail.
fn failing(t: &Topology, i: &Intent) -> Vec<&'static str> {
    verify(t, i).checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id).collect()
}

#[test]
fn the_full_fixture_passes_every_check() {
    let r = verify(&full(), &intent());
    for c in &r.checks {
        assert_eq!(c.status, Status::Pass, "{}: {:#?}", c.id, c.findings);
    }
    assert_eq!(r.checks.len(), airgap_verify::CHECKS.len());
}

#[test]
fn without_clusters_endpoints_or_registries_their_checks_do_not_apply() {
    let r = verify(&hub(), &Intent { allow_domains: Some(vec!["example.com".into()]), ..intent() });
    for id in [
        "eks.private-endpoint",
        "eks.endpoint-dns",
        "eks.api-access",
        "eks.node-endpoints",
        "endpoints.ecr-policy",
        "endpoints.s3-policy",
        "registry.scan-on-push",
        "registry.immutable-tags",
        "registry.pull-principals",
    ] {
        assert_eq!(status(&r, id), Status::NotApplicable, "{id}");
    }
    assert!(r.passed());
}

#[test]
fn a_policy_that_passes_or_does_not_drop_fails_default_drop() {
    let mut t = full();
    let p = t.firewalls[0].policy.as_mut().unwrap();
    p.stateless_default = "aws:pass".into();
    assert_eq!(failing(&t, &intent()), ["firewall.default-drop"]);
    let mut t = full();
    let p = t.firewalls[0].policy.as_mut().unwrap();
    p.stateful_default = vec!["aws:alert_established".into()];
    p.rule_order = None;
    let r = verify(&t, &intent());
    assert_eq!(r.get("firewall.default-drop").unwrap().findings.len(), 2);
}

#[test]
fn home_net_missing_part_of_a_spoke_names_the_addresses() {
    let mut t = full();
    let g = &mut t.firewalls[0].policy.as_mut().unwrap().rule_groups[0];
    // The access VPC (10.2.0.0/16) stays covered: only part of the spoke is missed.
    g.home_net = vec!["10.1.0.0/17".parse().unwrap(), "10.2.0.0/16".parse().unwrap()];
    let r = verify(&t, &intent());
    let c = r.get("firewall.home-net").unwrap();
    assert_eq!(c.status, Status::Fail);
    assert!(c.findings[0].message.ends_with("misses 10.1.128.0/17"), "{}", c.findings[0].message);
}

#[test]
fn the_allowlist_must_be_the_declared_one_and_no_rule_may_pass_everything() {
    let t = full();
    let other = Intent { allow_domains: Some(vec!["example.org".into()]), ..intent() };
    assert_eq!(failing(&t, &other), ["firewall.allowlist"]);
    let mut t = full();
    let g = &mut t.firewalls[0].policy.as_mut().unwrap().rule_groups[0];
    g.rules.push("pass udp $HOME_NET any -> 0.0.0.0/0 123 (sid:100;)".into());
    assert!(failing(&t, &intent()).is_empty());
    let g = &mut t.firewalls[0].policy.as_mut().unwrap().rule_groups[0];
    g.rules.push("pass tcp $HOME_NET any -> $EXTERNAL_NET any (sid:101;)".into());
    assert_eq!(failing(&t, &intent()), ["firewall.allowlist"]);
    let r = verify(&t, &intent());
    // Listed as evidence, both rules.
    assert_eq!(
        r.get("firewall.allowlist")
            .unwrap()
            .evidence
            .iter()
            .filter(|e| e.contains("sid:10"))
            .count(),
        2
    );
}

#[test]
fn without_a_firewall_egress_and_every_firewall_check_fail_and_return_symmetry_does_not_apply() {
    let mut t = full();
    t.firewalls.clear();
    for l in ["a", "b"] {
        let rt = t.route_tables.get_mut(&format!("insp/rt/transit/{l}")).unwrap();
        rt.routes[0].target = Target::NatGateway { id: format!("nat/{l}") };
    }
    let r = verify(&t, &intent());
    assert_eq!(
        failing(&t, &intent()),
        [
            "egress.firewall-first",
            "firewall.default-drop",
            "firewall.home-net",
            "firewall.allowlist",
            "firewall.logging",
            // The VPN's way to the cluster came back from the NAT gateway's subnet through
            // the firewall's endpoint, gone now: dropped.
            "vpn.cluster-api"
        ]
    );
    assert_eq!(status(&r, "egress.return-symmetry"), Status::NotApplicable);
}

#[test]
fn alert_logs_off_fails_logging() {
    let mut t = full();
    t.firewalls[0].alert_log = None;
    assert_eq!(failing(&t, &intent()), ["firewall.logging"]);
    let mut t = full();
    t.firewalls[0].flow_log = None;
    assert!(failing(&t, &intent()).is_empty());
}

#[test]
fn a_public_endpoint_or_a_wider_api_rule_fails_the_eks_checks() {
    let mut t = full();
    t.clusters[0].public_access = true;
    assert_eq!(failing(&t, &intent()), ["eks.private-endpoint"]);
    let mut t = full();
    t.sg_rules.push(SgRule {
        id: "cluster/sg/api/1".into(),
        group: "cluster/sg".into(),
        protocol: "-1".into(),
        port: -1,
        cidr: "0.0.0.0/0".parse().unwrap(),
    });
    let r = verify(&t, &intent());
    let c = r.get("eks.api-access").unwrap();
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.findings[0].resource, "cluster/sg/api/1");
    // A rule on another port of the group is not the API's.
    let mut t = full();
    t.sg_rules.push(SgRule {
        id: "x".into(),
        group: "cluster/sg".into(),
        protocol: "tcp".into(),
        port: 22,
        cidr: "0.0.0.0/0".parse().unwrap(),
    });
    assert!(failing(&t, &intent()).is_empty());
}

#[test]
fn nodes_need_their_endpoints_with_private_dns() {
    let mut t = full();
    t.endpoints.retain(|e| e.service != "sts");
    t.endpoints.iter_mut().find(|e| e.service == "ec2").unwrap().private_dns = false;
    assert_eq!(
        findings(&t, &intent(), "eks.node-endpoints"),
        ["spoke/endpoint/ec2: private DNS is off", "spoke: no sts interface endpoint"]
    );
}

#[test]
fn ecr_endpoint_policies_allow_only_the_environments_repositories() {
    let set = |t: &mut Topology, p: Option<serde_json::Value>| {
        t.endpoints.iter_mut().find(|e| e.service == "ecr.dkr").unwrap().policy = p;
    };
    let mut t = full();
    set(&mut t, None);
    assert_eq!(failing(&t, &intent()), ["endpoints.ecr-policy"]);
    set(&mut t, Some(ecr_policy(json!("*"))));
    assert_eq!(failing(&t, &intent()), ["endpoints.ecr-policy"]);
    set(&mut t, Some(ecr_policy(json!("arn:aws:ecr:eu-central-1:999999999999:repository/*"))));
    assert_eq!(failing(&t, &intent()), ["endpoints.ecr-policy"]);
    set(
        &mut t,
        Some(
            json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "NotResource": REPO}]}),
        ),
    );
    assert_eq!(failing(&t, &intent()), ["endpoints.ecr-policy"]);
    // A Deny of anything is fine.
    set(
        &mut t,
        Some(
            json!({"Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": REPO}, {"Effect": "Deny", "Action": "*", "Resource": "*"}]}),
        ),
    );
    assert!(failing(&t, &intent()).is_empty());
}

/// Nodes pull EKS's add-on images (vpc-cni, coredns, kube-proxy) from EKS's registry of
/// the region through the same endpoints: pulling from it passes, anything more fails, and
/// so does another account's registry.
#[test]
fn ecr_endpoint_policies_may_let_nodes_pull_eks_add_on_images() {
    let set = |t: &mut Topology, p: serde_json::Value| {
        t.endpoints.iter_mut().find(|e| e.service == "ecr.dkr").unwrap().policy = Some(p);
    };
    let region = intent().region;
    let eks = format!(
        "arn:aws:ecr:{region}:{}:repository/*",
        airgap_catalog::k8s::eks_addon_registry_account(&region)
    );
    let pull = json!([
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability"
    ]);
    let with = |actions: serde_json::Value, resource: &str| {
        let mut p = ecr_policy(json!([REPO]));
        p["Statement"].as_array_mut().unwrap().push(
            json!({"Effect": "Allow", "Principal": "*", "Action": actions, "Resource": resource}),
        );
        p
    };
    let mut t = full();
    set(&mut t, with(pull.clone(), &eks));
    assert!(failing(&t, &intent()).is_empty());
    set(&mut t, with(json!(["ecr:BatchGetImage", "ecr:PutImage"]), &eks));
    assert_eq!(failing(&t, &intent()), ["endpoints.ecr-policy"]);
    set(&mut t, with(pull, "arn:aws:ecr:eu-central-1:999999999999:repository/*"));
    assert_eq!(failing(&t, &intent()), ["endpoints.ecr-policy"]);
}

#[test]
fn s3_gateway_policies_allow_only_the_layer_bucket_and_declared_buckets() {
    let set = |t: &mut Topology, p: Option<serde_json::Value>| {
        t.endpoints.iter_mut().find(|e| e.service == "s3").unwrap().policy = p;
    };
    let mut t = full();
    for bad in [
        "arn:aws:s3:::*",
        "arn:aws:s3:::prod-eu-central-1-starport-layer-bucket*/x",
        "arn:aws:s3:::data/*",
        "*",
    ] {
        set(&mut t, Some(s3_policy(bad)));
        assert_eq!(failing(&t, &intent()), ["endpoints.s3-policy"], "{bad}");
    }
    set(&mut t, Some(s3_policy("arn:aws:s3:::data/*")));
    let declared = Intent { buckets: vec!["data".into()], ..intent() };
    assert!(failing(&t, &declared).is_empty());
    set(&mut t, None);
    assert_eq!(failing(&t, &intent()), ["endpoints.s3-policy"]);
}

#[test]
fn repositories_scan_keep_tags_and_let_only_node_roles_pull() {
    let mut t = full();
    let r = &mut t.repositories[0];
    r.scan_on_push = false;
    r.immutable_tags = false;
    r.pull =
        Pull::Principals(vec!["arn:aws:iam::3:role/node".into(), "arn:aws:iam::4:root".into()]);
    assert_eq!(
        failing(&t, &intent()),
        ["registry.scan-on-push", "registry.immutable-tags", "registry.pull-principals"]
    );
    t.repositories[0].pull = Pull::Other("{\"Statement\":[]}".into());
    assert!(failing(&t, &intent()).contains(&"registry.pull-principals"));
}

#[test]
fn a_spoke_nat_gateway_or_public_subnet_is_public_surface() {
    let mut t = full();
    let s = subnet(&mut t, "spoke", "public/a", "10.1.200.0/24", "eu-central-1a");
    t.subnets.get_mut(&s).unwrap().map_public_ip_on_launch = true;
    t.nat_gateways.push(airgap_verify::topology::NatGateway { id: "nat/spoke".into(), subnet: s });
    route(&mut t, "spoke/rt/public/a", "0.0.0.0/0", Target::Other { id: "pcx-1".into() });
    let r = verify(&t, &intent());
    let found = resources(&r, "spoke.no-public-surface");
    assert_eq!(found, ["nat/spoke", "spoke/public/a", "spoke/rt/public/a:0.0.0.0/0"]);
    // The peering route is an escape for the egress analysis too.
    assert_eq!(status(&r, "egress.firewall-first"), Status::Fail);
}

#[test]
fn return_traffic_through_another_zones_endpoint_fails_symmetry() {
    let mut t = full();
    let rt = t.route_tables.get_mut("insp/rt/public/a").unwrap();
    let back = rt.routes.iter_mut().find(|r| r.dest.to_string() == "10.0.0.0/8").unwrap();
    back.target = Target::FirewallEndpoint { firewall: "fw".into(), az: "eu-central-1b".into() };
    let r = verify(&t, &intent());
    let c = r.get("egress.return-symmetry").unwrap();
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.findings[0].resource, "insp/rt/public/a");
}

#[test]
fn the_endpoint_name_must_resolve_inside_the_clusters_vpc() {
    // Not looked up (a plan, or no --dns): the check does not apply.
    let mut t = full();
    t.dns.clear();
    assert_eq!(status(&verify(&t, &intent()), "eks.endpoint-dns"), Status::NotApplicable);
    // A public answer (what the name gives with public access on, or a resolver outside
    // the VPC): fails, naming the address.
    t.dns.insert(
        "cluster".into(),
        Ok(vec!["10.1.0.20".parse().unwrap(), "3.64.1.2".parse().unwrap()]),
    );
    let r = verify(&t, &intent());
    assert_eq!(failing(&t, &intent()), vec!["eks.endpoint-dns"]);
    let f = &r.get("eks.endpoint-dns").unwrap().findings[0];
    assert!(f.message.contains("3.64.1.2") && !f.message.contains("10.1.0.20,"), "{}", f.message);
    // No answer at all fails too: nothing proves the name is private.
    t.dns.insert("cluster".into(), Err("no such host".into()));
    assert_eq!(failing(&t, &intent()), vec!["eks.endpoint-dns"]);
    t.dns.insert("cluster".into(), Ok(vec![]));
    assert_eq!(failing(&t, &intent()), vec!["eks.endpoint-dns"]);
}

#[test]
fn without_a_blueprint_the_api_is_meant_for_the_environments_own_ranges() {
    let t = full();
    let i = Intent::without_blueprint("t", &t, vec![REPO.into()]);
    // The fixture's rule admits 10.9.0.0/16, outside every VPC of the environment.
    assert_eq!(failing(&t, &i), vec!["eks.api-access"]);
    let mut inside = t.clone();
    inside.sg_rules[0].cidr = "10.1.0.0/16".parse().unwrap();
    assert!(verify(&inside, &i).passed());
    // The VPN is meant for what it is authorized, and for the clusters whose VPC that
    // covers.
    assert_eq!(i.vpns.len(), 1);
    assert_eq!(
        (i.vpns[0].id.as_str(), &i.vpns[0].clusters[..]),
        ("vpn", &["cluster".to_string()][..])
    );
    // The allowlist is listed, not compared, and every other check runs as with one.
    assert_eq!(i.allow_domains, None);
    assert_eq!(status(&verify(&inside, &i), "firewall.allowlist"), Status::Pass);
}

/// The findings of a check, as `resource: message`.
fn findings(t: &Topology, i: &Intent, id: &str) -> Vec<String> {
    let r = verify(t, i);
    let c = r.get(id).unwrap_or_else(|| panic!("no check {id}"));
    c.findings.iter().map(|f| format!("{}: {}", f.resource, f.message)).collect()
}

fn the_vpn(t: &mut Topology) -> &mut ClientVpn {
    t.client_vpns.as_mut().unwrap().iter_mut().find(|v| v.id == "vpn").unwrap()
}

#[test]
fn the_vpn_is_named_as_a_path_into_the_environment() {
    let r = verify(&full(), &intent());
    let e = &r.get("vpn.split-tunnel").unwrap().evidence;
    assert_eq!(
        e[0],
        "vpn vpn: clients 10.250.0.0/22 -> 10.1.0.0/16 through access/app/a, split tunnel"
    );
    let e = &r.get("vpn.cluster-api").unwrap().evidence;
    assert!(
        e[0].starts_with("vpn vpn: clients 10.250.0.0/22 -> cluster API on 443 (10.1.0.0/24, 10.1.1.0/24) from access/app/a: authorized, routed"),
        "{e:?}"
    );
    assert!(e[0].contains("delivered in spoke (passed by fw (fw/rules))"), "{e:?}");
    // And the way it goes, hop by hop, through the firewall.
    assert!(e.iter().any(|l| l.contains("-> firewall endpoint fw (eu-central-1a)")), "{e:?}");
}

#[test]
fn a_full_tunnel_or_a_way_to_outside_the_environment_fails_split_tunnel() {
    let mut t = full();
    the_vpn(&mut t).split_tunnel = false;
    assert_eq!(failing(&t, &intent()), ["vpn.split-tunnel"]);

    // A default route: the clients' internet traffic into the environment.
    let mut t = full();
    the_vpn(&mut t).routes.push(VpnRoute {
        id: "vpn:route/0.0.0.0/0@access/app/a".into(),
        dest: "0.0.0.0/0".parse().unwrap(),
        subnet: "access/app/a".into(),
    });
    assert_eq!(failing(&t, &intent()), ["vpn.split-tunnel"]);
    assert_eq!(
        findings(&t, &intent(), "vpn.split-tunnel"),
        ["vpn:route/0.0.0.0/0@access/app/a: the endpoint routes 0.0.0.0/0 into access/app/a (every destination: the clients' internet traffic)"]
    );

    // A declared destination partly outside the environment: authorized as declared, but
    // routed out all the same.
    let mut t = full();
    let v = the_vpn(&mut t);
    v.authorizations.push(VpnAuthorization {
        id: "vpn:authorize/10.0.0.0/15".into(),
        dest: "10.0.0.0/15".parse().unwrap(),
    });
    let mut i = intent();
    i.vpns[0].cidrs.push("10.0.0.0/15".parse().unwrap());
    assert_eq!(failing(&t, &i), ["vpn.split-tunnel"]);
    assert_eq!(
        findings(&t, &i, "vpn.split-tunnel"),
        ["vpn:authorize/10.0.0.0/15: clients are authorized for 10.0.0.0/15 (10.0.0.0/16 outside the environment's VPCs)"]
    );
}

#[test]
fn a_vpn_associated_outside_a_spoke_fails_split_tunnel() {
    // A subnet of the inspection VPC: egress.firewall-first does not follow its traffic.
    let mut t = full();
    let v = the_vpn(&mut t);
    v.vpc = "insp".into();
    v.subnets = vec!["insp/public/a".into()];
    let f = findings(&t, &intent(), "vpn.split-tunnel");
    assert_eq!(
        f,
        ["vpn: associated subnet insp/public/a is not in a spoke (insp): egress.firewall-first does not follow the clients' traffic from there"]
    );
    // One that is not the endpoint's VPC's, or not there at all.
    let mut t = full();
    the_vpn(&mut t).subnets.push("spoke/app/b".into());
    the_vpn(&mut t).subnets.push("nowhere".into());
    assert_eq!(
        findings(&t, &intent(), "vpn.split-tunnel"),
        [
            "vpn: associated subnet spoke/app/b is in spoke, not in access",
            "vpn: associated subnet nowhere is not part of the environment"
        ]
    );
}

#[test]
fn the_vpn_authorizes_only_the_clusters_it_names_and_the_declared_cidrs() {
    // The inspection VPC is the environment's, but nobody declared it.
    let mut t = full();
    the_vpn(&mut t).authorizations.push(VpnAuthorization {
        id: "vpn:authorize/100.64.0.0/22".into(),
        dest: "100.64.0.0/22".parse().unwrap(),
    });
    assert_eq!(failing(&t, &intent()), ["vpn.authorization"]);
    assert_eq!(
        findings(&t, &intent(), "vpn.authorization"),
        ["vpn:authorize/100.64.0.0/22: clients are authorized for 100.64.0.0/22: 100.64.0.0/22 is neither the VPC of a cluster in access.vpn.clusters, in access.vpn.cidrs, nor its DNS servers' network"]
    );
    // Declared in access.vpn.cidrs, it passes; so does the network of the DNS servers
    // the VPN hands out.
    let mut i = intent();
    i.vpns[0].cidrs.push("100.64.0.0/22".parse().unwrap());
    assert!(failing(&t, &i).is_empty());
    let mut i = intent();
    i.vpns[0].dns.push("100.64.0.0/22".parse().unwrap());
    assert!(failing(&t, &i).is_empty());
    // Not naming the cluster, its VPC is not meant either (and there is nothing to reach).
    let mut i = intent();
    i.vpns[0].clusters.clear();
    assert_eq!(failing(&full(), &i), ["vpn.authorization"]);
    // An endpoint the blueprint does not declare at all is a way in nobody meant.
    let i = Intent { vpns: Vec::new(), ..intent() };
    assert_eq!(failing(&full(), &i), ["vpn.authorization"]);
    assert!(findings(&full(), &i, "vpn.authorization")[0]
        .starts_with("vpn: a Client VPN endpoint the blueprint does not declare"));
    assert_eq!(status(&verify(&full(), &i), "vpn.cluster-api"), Status::NotApplicable);
}

#[test]
fn the_vpn_must_reach_the_api_of_the_clusters_it_names() {
    // The cluster's security group does not let the access VPC in.
    let mut t = full();
    t.sg_rules.retain(|r| r.id != "cluster/sg/api/vpn");
    assert_eq!(failing(&t, &intent()), ["vpn.cluster-api"]);
    assert_eq!(
        findings(&t, &intent(), "vpn.cluster-api"),
        ["cluster/sg: cluster's security groups (cluster/sg) do not admit 10.2.0.0/24 (access/app/a, where the VPN's clients come from) on 443"]
    );

    // The firewall has no pass rule for the flow: its default drops it.
    let mut t = full();
    t.firewalls[0].policy.as_mut().unwrap().rule_groups[0].rules.clear();
    assert_eq!(failing(&t, &intent()), ["vpn.cluster-api"]);
    let r = verify(&t, &intent());
    let f = &r.get("vpn.cluster-api").unwrap().findings[0];
    assert_eq!(f.resource, "fw/policy");
    assert!(
        f.message.starts_with("no pass rule for tcp 10.2.0.0/24 -> 10.1.0.0/24 443"),
        "{}",
        f.message
    );
    assert!(f.path.as_ref().is_some_and(|p| p.inspected_at.is_some()));
    // A rule for another port does not do.
    let mut t2 = t.clone();
    t2.firewalls[0].policy.as_mut().unwrap().rule_groups[0]
        .rules
        .push("pass tcp 10.2.0.0/16 any -> 10.1.0.0/16 22 (sid:2001;)".into());
    assert_eq!(failing(&t2, &intent()), ["vpn.cluster-api"]);
    // $HOME_NET (the group's 10.0.0.0/8) on both sides, port 443, does.
    t2.firewalls[0].policy.as_mut().unwrap().rule_groups[0]
        .rules
        .push("pass tcp $HOME_NET any -> $HOME_NET 443 (sid:2002;)".into());
    assert!(failing(&t2, &intent()).is_empty());

    // The endpoint has no route to the cluster's VPC.
    let mut t = full();
    the_vpn(&mut t).routes.retain(|r| r.dest.to_string() != "10.1.0.0/16");
    assert_eq!(failing(&t, &intent()), ["vpn.cluster-api"]);
    assert_eq!(
        findings(&t, &intent(), "vpn.cluster-api")[0],
        "vpn: the endpoint has no route to 10.1.0.0 (spoke/app/a of cluster)"
    );

    // Not authorized for it: nothing unauthorized, but the cluster is out of reach.
    let mut t = full();
    the_vpn(&mut t).authorizations.clear();
    assert_eq!(failing(&t, &intent()), ["vpn.cluster-api"]);
    assert_eq!(
        findings(&t, &intent(), "vpn.cluster-api"),
        ["vpn: clients are not authorized for 10.1.0.0/23 of cluster's subnets"]
    );

    // The transit gateway drops the way there: the path is the evidence.
    let mut t = full();
    fixture::tgw_route(&mut t, "tgw-rt/inspection", "10.1.0.0/16", TgwTarget::Blackhole);
    assert_eq!(failing(&t, &intent()), ["vpn.cluster-api"]);
    let r = verify(&t, &intent());
    let f = &r.get("vpn.cluster-api").unwrap().findings[0];
    assert_eq!(f.resource, "tgw-rt/inspection:10.1.0.0/16");
    assert!(f.message.contains("dropped: blackhole in tgw-rt/inspection"), "{}", f.message);
    assert!(f.path.is_some());

    // The replies do not come back: the access VPC's attachment propagates nowhere.
    let mut t = full();
    let rt = t.tgw_route_tables.get_mut("tgw-rt/inspection").unwrap();
    rt.propagations.retain(|a| a != "att/access");
    assert_eq!(failing(&t, &intent()), ["vpn.cluster-api"]);
    assert!(findings(&t, &intent(), "vpn.cluster-api")
        .iter()
        .all(|f| f.contains("replies of cluster's API from spoke/app/")));

    // A cluster the environment does not have; a declared VPN that does not exist.
    let mut i = intent();
    i.vpns[0].clusters.push("cluster/gone".into());
    assert_eq!(
        findings(&full(), &i, "vpn.cluster-api"),
        ["vpn: access.vpn names cluster/gone, which the environment does not have"]
    );
    let mut t = full();
    t.client_vpns = Some(Vec::new());
    let r = verify(&t, &intent());
    assert_eq!(failing(&t, &intent()), ["vpn.cluster-api"]);
    assert_eq!(status(&r, "vpn.split-tunnel"), Status::NotApplicable);
    assert_eq!(status(&r, "vpn.authorization"), Status::NotApplicable);
}

#[test]
fn vpn_checks_do_not_apply_without_a_vpn_or_when_none_was_read() {
    // Not read (what --live gives until inspect reads Client VPN endpoints): not
    // applicable, saying so, whatever the intent.
    let mut t = full();
    t.client_vpns = None;
    let r = verify(&t, &intent());
    for id in ["vpn.split-tunnel", "vpn.authorization", "vpn.cluster-api"] {
        let c = r.get(id).unwrap();
        assert_eq!(c.status, Status::NotApplicable, "{id}");
        assert!(c.evidence[0].contains("not read"), "{:?}", c.evidence);
    }
    // Read, none there, none meant.
    t.client_vpns = Some(Vec::new());
    let i = Intent { vpns: Vec::new(), ..intent() };
    let r = verify(&t, &i);
    for id in ["vpn.split-tunnel", "vpn.authorization", "vpn.cluster-api"] {
        assert_eq!(status(&r, id), Status::NotApplicable, "{id}");
    }
}

/// The access VPC is a spoke like any other: a way out of it that skips the firewall is
/// what the spoke checks already find (the VPN checks need nothing of their own for it).
#[test]
fn a_way_out_of_the_access_vpc_fails_the_spoke_checks() {
    let mut t = full();
    t.internet_gateways
        .push(InternetGateway { id: "igw/access".into(), vpc: Some("access".into()) });
    route(
        &mut t,
        "access/rt/app/a",
        "8.8.8.0/24",
        Target::InternetGateway { id: "igw/access".into() },
    );
    assert_eq!(failing(&t, &intent()), ["egress.firewall-first", "spoke.no-public-surface"]);
    let r = verify(&t, &intent());
    let egress = &r.get("egress.firewall-first").unwrap().findings;
    assert_eq!(egress[0].resource, "access/rt/app/a:8.8.8.0/24");
    assert!(
        egress[0].message.starts_with("from access/app/a to 8.8.8.0/24"),
        "{}",
        egress[0].message
    );
    let public = resources(&r, "spoke.no-public-surface");
    assert_eq!(public, ["igw/access", "access/rt/app/a:8.8.8.0/24"]);
}

fn the_service(t: &mut Topology) -> &mut EndpointService {
    &mut t.endpoint_services.as_mut().unwrap()[0]
}

#[test]
fn a_private_link_service_admits_only_whom_the_blueprint_names() {
    const ID: &str = "privatelink.exposure";
    let r = verify(&full(), &intent());
    let c = r.get(ID).unwrap();
    assert_eq!(
        c.evidence,
        ["endpoint service access/privatelink/partners: principals arn:aws:iam::444455556666:root \
          -> access/privatelink/partners/nlb (internal, in spoke), each connection accepted by hand"]
    );

    // Every AWS account, and one the blueprint does not name.
    let mut t = full();
    the_service(&mut t).allowed_principals.push("*".into());
    the_service(&mut t).allowed_principals.push("arn:aws:iam::999999999999:root".into());
    assert_eq!(failing(&t, &intent()), [ID]);
    assert_eq!(
        findings(&t, &intent(), ID),
        [
            "access/privatelink/partners: allows principal `*`: every AWS account may create \
             an endpoint to it",
            "access/privatelink/partners: allows arn:aws:iam::999999999999:root, which \
             access.privateLink does not name for it",
        ]
    );

    // Connections accepted without asking, where the blueprint asks for acceptance; the
    // same is what was meant when the blueprint turns acceptance off.
    let mut t = full();
    the_service(&mut t).acceptance_required = false;
    assert_eq!(failing(&t, &intent()), [ID]);
    assert!(findings(&t, &intent(), ID)[0].contains("accepts connections without asking"));
    let mut i = intent();
    i.private_links[0].acceptance_required = false;
    assert_eq!(status(&verify(&t, &i), ID), Status::Pass);

    // An internet-facing load balancer behind it.
    let mut t = full();
    the_service(&mut t).load_balancers[0].scheme = Some("internet-facing".into());
    assert_eq!(
        findings(&t, &intent(), ID),
        ["access/privatelink/partners/nlb: load balancer behind the service is internet-facing: \
          it has addresses the internet reaches, besides the service's endpoints"]
    );

    // A service nobody declared, and a declared one that does not exist.
    let mut t = full();
    the_service(&mut t).id = "vpce-svc-0123456789abcdef0".into();
    assert_eq!(
        findings(&t, &intent(), ID),
        [
            "vpce-svc-0123456789abcdef0: an endpoint service in front of the environment that \
             access.privateLink does not declare: whoever it allows can reach its load balancers",
            "access/privatelink/partners: access.privateLink declares this endpoint service, \
             which does not exist",
        ]
    );
}

#[test]
fn the_private_link_check_does_not_apply_without_services_or_when_none_were_read() {
    const ID: &str = "privatelink.exposure";
    let mut t = full();
    t.endpoint_services = None;
    let c = verify(&t, &intent()).get(ID).unwrap().clone();
    assert_eq!(c.status, Status::NotApplicable);
    assert!(c.evidence[0].contains("not read"), "{:?}", c.evidence);
    t.endpoint_services = Some(Vec::new());
    let i = Intent { private_links: Vec::new(), ..intent() };
    assert_eq!(status(&verify(&t, &i), ID), Status::NotApplicable);
}
