//! The checks other than the egress paths, on the hand-built hub with one thing changed.

use airgap_verify::fixture::{hub, route, subnet};
use airgap_verify::intent::ClusterIntent;
use airgap_verify::topology::{Cluster, Endpoint, Pull, Repository, SgRule, Target};
use airgap_verify::{verify, Intent, Report, Status, Topology};
use serde_json::json;

const ENDPOINT: &str = "https://0123456789ABCDEF.gr7.eu-central-1.eks.amazonaws.com";
const REPO: &str = "arn:aws:ecr:eu-central-1:222222222222:repository/mirror/nginx";

fn intent() -> Intent {
    Intent {
        env: "t".into(),
        region: "eu-central-1".into(),
        clusters: vec![ClusterIntent {
            id: "cluster".into(),
            api_access_cidrs: vec!["10.9.0.0/16".parse().unwrap()],
        }],
        repositories: vec![REPO.into()],
        buckets: Vec::new(),
        allow_domains: Some(vec!["example.com".into()]),
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
/// tight policies) and one hardened repository: every check passes.
fn full() -> Topology {
    let mut t = hub();
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
    t
}

fn status(r: &Report, id: &str) -> Status {
    r.get(id).unwrap_or_else(|| panic!("no check {id}")).status
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
    g.home_net = vec!["10.1.0.0/17".parse().unwrap()];
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
            "firewall.logging"
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
    let r = verify(&t, &intent());
    let msgs: Vec<String> = r
        .get("eks.node-endpoints")
        .unwrap()
        .findings
        .iter()
        .map(|f| format!("{}: {}", f.resource, f.message))
        .collect();
    assert_eq!(
        msgs,
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
    let found: Vec<&str> = r
        .get("spoke.no-public-surface")
        .unwrap()
        .findings
        .iter()
        .map(|f| f.resource.as_str())
        .collect();
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
    // The allowlist is listed, not compared, and every other check runs as with one.
    assert_eq!(i.allow_domains, None);
    assert_eq!(status(&verify(&inside, &i), "firewall.allowlist"), Status::Pass);
}
