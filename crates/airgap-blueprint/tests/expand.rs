//! The example blueprints expand into sealed graphs that apply, re-plan as unchanged
//! and destroy cleanly on the simulated cloud.

use std::collections::BTreeMap;

use airgap_blueprint::{expand, load};
use airgap_engine::{execute, plan, Events, ExecOptions, PlanMode};

fn plans_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

async fn round_trip(file: &str) -> BTreeMap<String, usize> {
    let bp = load(plans_dir().join(file)).expect("example blueprint is valid").blueprint;
    let graph = expand(&bp).expect("expands").seal().expect("seals");
    round_trip_graph(&bp.metadata.name.value, &graph).await
}

/// Applies `graph` on the simulated cloud, re-plans it as unchanged and destroys it;
/// what was built, by kind.
async fn round_trip_graph(env: &str, graph: &airgap_engine::Graph) -> BTreeMap<String, usize> {
    let cloud = airgap_catalog::sim::cloud(1.0);
    let opts = ExecOptions { limits: airgap_catalog::rate_limits(), ..ExecOptions::default() };
    let registry = airgap_catalog::sim::registry(&cloud);
    let p = plan(env, graph, &registry, PlanMode::Apply, &[]).await.unwrap();
    let report = execute(&p, &registry, &opts, &Events::none()).await.unwrap();
    assert!(report.succeeded(), "{:?}", report.root_causes().collect::<Vec<_>>());
    let kinds = cloud.count(env);
    assert_eq!(kinds.values().sum::<usize>(), graph.len());
    let again = plan(env, graph, &registry, PlanMode::Apply, &[]).await.unwrap();
    assert!(!again.has_changes());
    let p = plan(env, graph, &registry, PlanMode::Destroy, &[]).await.unwrap();
    let report = execute(&p, &registry, &opts, &Events::none()).await.unwrap();
    assert!(report.succeeded());
    assert!(cloud.count(env).is_empty());
    kinds
}

#[tokio::test(start_paused = true)]
async fn hub_spoke_expands_into_the_reference_topology() {
    let kinds = round_trip("hub-spoke.yaml").await;
    // 2 AZs: 9 + 7 interface endpoints, 2 + 1 gateway endpoints, one NAT per AZ, one
    // firewall, two nodegroups, three addons.
    assert_eq!(kinds["vpc-endpoint-interface"], 16);
    assert_eq!(kinds["vpc-endpoint-gateway"], 3);
    assert_eq!(kinds["nat-gateway"], 2);
    assert_eq!(kinds["internet-gateway"], 1, "the hub alone reaches the internet");
    assert_eq!(kinds["firewall"], 1);
    assert_eq!(kinds["eks-nodegroup"], 2);
    assert_eq!(kinds["eks-addon"], 3);
    assert_eq!(kinds["tgw-attachment-accepter"], 2, "one per spoke account");
    assert_eq!(kinds["ram-invitation-accepter"], 2);
    assert_eq!(kinds["ecr-repository"], 2);
}

#[tokio::test(start_paused = true)]
async fn single_account_needs_no_sharing() {
    let kinds = round_trip("single-account.yaml").await;
    assert!(!kinds.contains_key("ram-share"));
    assert!(!kinds.contains_key("tgw-attachment-accepter"));
    assert_eq!(kinds["tgw-attachment"], 2);
}

#[test]
fn addresses_are_stable_and_carry_the_tier_and_az() {
    let bp = load(plans_dir().join("hub-spoke.yaml")).unwrap().blueprint;
    let ids = |g: airgap_engine::Graph| g.nodes().map(|n| n.id.0.clone()).collect::<Vec<_>>();
    let a = ids(expand(&bp).unwrap().seal().unwrap());
    let b = ids(expand(&bp).unwrap().seal().unwrap());
    assert_eq!(a, b);
    assert!(a.contains(&"vpc/workload/subnet/dataPlane/a".to_string()));
    assert!(a.contains(&"vpc/inspection/rt/transit/b/default".to_string()));
}

/// One blueprint, two environments (`--env pr-1`, `--env pr-2`) in the same accounts:
/// every name AWS wants unique per account and region differs.
#[test]
fn environments_of_one_blueprint_have_names_of_their_own() {
    use airgap_blueprint::expand_as;
    use airgap_engine::Value;
    let bp = load(plans_dir().join("hub-spoke.yaml")).unwrap().blueprint;
    let unique_kinds = [
        "eks-cluster",
        "iam-role",
        "log-group",
        "kms-alias",
        "nfw-rule-group",
        "nfw-policy",
        "firewall",
    ];
    let names = |env: &str| {
        let g = expand_as(&bp, env).unwrap().seal().unwrap();
        let mut out = BTreeMap::new();
        for n in g.nodes() {
            if let (true, Some(Value::Str(name))) =
                (unique_kinds.contains(&n.kind.as_str()), n.attrs.get("name"))
            {
                out.insert(n.id.0.clone(), name.clone());
            }
        }
        out
    };
    let (a, b) = (names("pr-1"), names("pr-2"));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    let kinds: std::collections::BTreeSet<&str> = unique_kinds
        .iter()
        .copied()
        .filter(|k| {
            let g = expand(&bp).unwrap().seal().unwrap();
            let found = g.nodes().any(|n| n.kind == *k && n.attrs.contains_key("name"));
            found
        })
        .collect();
    assert!(kinds.len() >= 4, "named kinds in the example: {kinds:?}");
    for (id, name) in &a {
        assert_ne!(Some(name), b.get(id), "{id} is named {name} in both environments");
    }
    assert_eq!(names(&bp.metadata.name.value), {
        let g = expand(&bp).unwrap().seal().unwrap();
        g.nodes()
            .filter(|n| unique_kinds.contains(&n.kind.as_str()))
            .filter_map(|n| match n.attrs.get("name") {
                Some(Value::Str(s)) => Some((n.id.0.clone(), s.clone())),
                _ => None,
            })
            .collect::<BTreeMap<_, _>>()
    });
}

#[test]
fn firewall_traffic_passes_the_endpoint_of_its_az_both_ways() {
    use airgap_engine::Value;
    let bp = load(plans_dir().join("hub-spoke.yaml")).unwrap().blueprint;
    let g = expand(&bp).unwrap().seal().unwrap();
    let node = |id: &str| g.get(&id.into()).unwrap_or_else(|| panic!("no node {id}"));
    let attr = |id: &str, key: &str| node(id).attrs.get(key).cloned();
    let r = |n: &str, o: &str| Some(Value::reference(n, o));
    let s = |v: &str| Some(Value::str(v));
    assert_eq!(attr("tgw/attachment/inspection", "applianceMode"), Some(Value::Bool(true)));
    for az in ["a", "b"] {
        let rt = |tier: &str| format!("vpc/inspection/rt/{tier}/{az}");
        let endpoint = r("firewall", &format!("endpoint/{az}"));
        let route = |tier: &str, name: &str| format!("{}/{name}", rt(tier));
        let check = |id: &str, table: &str, cidr: &str, target: Option<Value>| {
            assert_eq!(node(id).kind, "route", "{id}");
            assert_eq!(attr(id, "routeTable"), r(table, "id"), "{id}");
            assert_eq!(attr(id, "cidr"), s(cidr), "{id}");
            assert_eq!(attr(id, "target"), target, "{id}");
        };
        check(&route("transit", "default"), &rt("transit"), "0.0.0.0/0", endpoint.clone());
        check(
            &route("firewall", "default"),
            &rt("firewall"),
            "0.0.0.0/0",
            r(&format!("vpc/inspection/nat/{az}"), "id"),
        );
        check(
            &route("public", "default"),
            &rt("public"),
            "0.0.0.0/0",
            r("vpc/inspection/igw", "id"),
        );
        for (spoke, cidr) in [("workload", "10.10.0.0/16"), ("tooling", "10.20.0.0/20")] {
            check(
                &route("public", &format!("return/{spoke}")),
                &rt("public"),
                cidr,
                endpoint.clone(),
            );
            check(
                &route("firewall", &format!("return/{spoke}")),
                &rt("firewall"),
                cidr,
                r("tgw", "id"),
            );
        }
        assert_eq!(
            attr(&format!("vpc/inspection/nat/{az}"), "subnet"),
            r(&format!("vpc/inspection/subnet/public/{az}"), "id")
        );
    }
    // Both rule groups match the spokes' traffic, in the policy's strict order.
    let home = Some(Value::List(
        ["100.64.0.0/22", "10.10.0.0/16", "10.20.0.0/20", "10.30.0.0/22"]
            .into_iter()
            .map(Value::str)
            .collect(),
    ));
    for group in ["firewall/rules/flows", "firewall/rules/domains", "firewall/rules/allow"] {
        assert_eq!(attr(group, "homeNet"), home, "{group}");
        assert_eq!(attr(group, "ruleOrder"), s("STRICT_ORDER"), "{group}");
    }
    // The cluster API from the tooling VPC (apiAccessCidrs) and from the VPN's access VPC
    // crosses the firewall between two spokes: passed before the domain rules and the
    // policy's drop_established.
    assert_eq!(
        attr("firewall/rules/flows", "rules"),
        Some(Value::List(vec![
            Value::str(
                "pass tcp 10.20.0.0/20 any -> 10.10.0.0/16 443 (msg:\"cluster apps API\"; flow:to_server; sid:1000;)"
            ),
            Value::str(
                "pass tcp 10.30.0.0/22 any -> 10.10.0.0/16 443 (msg:\"cluster apps API\"; flow:to_server; sid:1001;)"
            ),
        ]))
    );
    assert_eq!(attr("firewall/policy", "ruleOrder"), s("STRICT_ORDER"));
    assert_eq!(
        attr("firewall/policy", "ruleGroups"),
        Some(Value::List(vec![
            Value::reference("firewall/rules/flows", "arn"),
            Value::reference("firewall/rules/domains", "arn"),
            Value::reference("firewall/rules/allow", "arn"),
        ]))
    );
    assert_eq!(attr("firewall", "vpc"), r("vpc/inspection", "id"));
    assert_eq!(attr("firewall", "alertLogGroup"), r("firewall/logs/alert", "id"));
    assert_eq!(attr("firewall", "flowLogGroup"), r("firewall/logs/flow", "id"));

    // Without domains there is no domain list group (it could hold no rule).
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let text = text
        .replace(r#"allowDomains: [".amazonaws.com", "api.partner.example"]"#, "allowDomains: []");
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &text).unwrap();
    let g = expand(&bp).unwrap().seal().unwrap();
    assert!(g.get(&"firewall/rules/domains".into()).is_none());
    assert_eq!(
        g.get(&"firewall/policy".into()).unwrap().attrs["ruleGroups"],
        Value::List(vec![
            Value::reference("firewall/rules/flows", "arn"),
            Value::reference("firewall/rules/allow", "arn")
        ])
    );
}

/// A node group's `updateConfig` reaches its spec; a node group without one has none in
/// its attributes, so it is not compared and existing blueprints plan no change.
#[test]
fn a_node_groups_update_config_reaches_its_spec_only_when_set() {
    use airgap_engine::Value;
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let set = text.replacen(
        "        scaling: { min: 2, desired: 3, max: 6 }\n",
        "        scaling: { min: 2, desired: 3, max: 6 }\n        updateConfig: { maxUnavailablePercentage: 25 }\n",
        1,
    );
    assert_ne!(set, text);
    assert_eq!(
        general_node_group(&set).get("updateConfig"),
        Some(&Value::Map(BTreeMap::from([(
            "maxUnavailablePercentage".to_string(),
            Value::Int(25)
        )])))
    );
    assert_eq!(general_node_group(&text).get("updateConfig"), None);
}

/// `capacityType` reaches the spec, On-Demand (EKS's default) when the blueprint says
/// nothing: always there, so a group found Spot where On-Demand is asked is a change. A
/// misspelt value is refused where it is written, with the value it most resembles.
#[test]
fn a_node_groups_capacity_type_reaches_its_spec_and_is_checked() {
    use airgap_engine::Value;
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let with = |v: &str| {
        text.replacen(
            "        scaling: { min: 2, desired: 3, max: 6 }\n",
            &format!(
                "        scaling: {{ min: 2, desired: 3, max: 6 }}\n        capacityType: {v}\n"
            ),
            1,
        )
    };
    assert_eq!(general_node_group(&with("SPOT")).get("capacityType"), Some(&Value::str("SPOT")));
    let on_demand = Some(Value::str("ON_DEMAND"));
    assert_eq!(general_node_group(&with("ON_DEMAND")).get("capacityType"), on_demand.as_ref());
    assert_eq!(general_node_group(&text).get("capacityType"), on_demand.as_ref());
    let bad = airgap_blueprint::parse("hub-spoke.yaml", &with("SPOTS")).unwrap_err();
    let p = &bad.problems()[0];
    assert!(
        p.message().contains("`capacityType` `SPOTS` is not one of: ON_DEMAND, SPOT"),
        "{}",
        p.message()
    );
    assert_eq!(p.help_text(), Some("did you mean `SPOT`?"));
}

/// The attributes of the `general` node group that blueprint `text` expands to.
fn general_node_group(text: &str) -> airgap_engine::Attrs {
    let bp = airgap_blueprint::parse("hub-spoke.yaml", text).unwrap();
    let g = expand(&bp).unwrap().seal().unwrap();
    let ng = g.nodes().find(|n| n.id.0.ends_with("/nodegroup/general"));
    ng.expect("the general node group").attrs.clone()
}

/// EKS refuses a Kubernetes `version` beside a launch template with a custom AMI
/// (CreateNodegroup, UpdateNodegroupVersion): a node group on `amiId` carries none, and a
/// cluster version bump leaves it to its image; one on an EKS AMI type follows the cluster.
#[test]
fn a_custom_ami_node_group_carries_no_kubernetes_version() {
    use airgap_engine::Value;
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let ami_type = "        amiType: AL2023_x86_64_STANDARD\n";
    assert!(text.contains(ami_type), "the example's node group");
    let custom = text.replacen(ami_type, "        amiId: ami-0123456789abcdef0\n", 1);
    let (standard, custom) = (general_node_group(&text), general_node_group(&custom));
    assert!(matches!(standard.get("version"), Some(Value::Str(_))));
    assert_eq!(custom.get("version"), None);
    assert!(matches!(custom.get("launchTemplate"), Some(Value::Ref(_))));
}

#[test]
fn names_built_from_the_longest_allowed_env_and_cluster_fit_their_api_limits() {
    use airgap_blueprint::{expand_as, parse};
    use airgap_catalog::names::*;
    use airgap_engine::Value;
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let cluster = format!("a{}", "p".repeat(99));
    let text = text
        .replacen("  - name: apps\n", &format!("  - name: {cluster}\n"), 1)
        .replacen("clusters: [apps]", &format!("clusters: [{cluster}]"), 1)
        .replacen(
            "        amiType: AL2023_x86_64_STANDARD\n",
            "        amiId: ami-0123456789abcdef0\n",
            1,
        );
    let bp = parse("hub-spoke.yaml", &text).expect("names within the blueprint's own limits");
    let env = "e".repeat(32);
    let g = expand_as(&bp, &env).unwrap().seal().unwrap();
    let limit = |kind: &str| match kind {
        "iam-role" => Some(IAM_ROLE_NAME),
        "eks-cluster" => Some(EKS_CLUSTER_NAME),
        "launch-template" => Some(LAUNCH_TEMPLATE_NAME),
        "eks-nodegroup" => Some(EKS_NODEGROUP_NAME),
        _ => None,
    };
    let mut seen = BTreeMap::new();
    for n in g.nodes() {
        let (Some(max), Some(Value::Str(name))) = (limit(&n.kind), n.attrs.get("name")) else {
            continue;
        };
        assert!(name.len() <= max, "{} `{name}` is {} long, over {max}", n.id.0, name.len());
        seen.entry(n.kind.clone()).or_insert_with(Vec::new).push(name.clone());
    }
    assert_eq!(
        seen.keys().map(String::as_str).collect::<Vec<_>>(),
        ["eks-cluster", "eks-nodegroup", "iam-role", "launch-template"]
    );
    let roles = &seen["iam-role"];
    assert_eq!(roles.len(), 2, "{roles:?}");
    assert_ne!(roles[0], roles[1], "the cluster and node roles stay apart once cut");
    assert!(roles.iter().all(|r| r.starts_with(&format!("airgap-{env}-app"))), "{roles:?}");
}

/// `hub.transitGateway.id`: the environment builds on an existing gateway. No `tgw` node
/// (nothing could change or delete it), its id in every place that named the node's, its
/// ARN in the RAM share, and the graph still applies and destroys on the simulated cloud.
#[tokio::test(start_paused = true)]
async fn an_existing_transit_gateway_is_used_and_never_managed() {
    use airgap_engine::Value;
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let id = "tgw-0123456789abcdef0";
    let existing = text.replacen(
        "transitGateway: { asn: 64512, autoAcceptSharedAttachments: false }",
        &format!("transitGateway: {{ id: {id}, autoAcceptSharedAttachments: false }}"),
        1,
    );
    assert_ne!(existing, text);
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &existing).unwrap();
    let g = expand(&bp).unwrap().seal().unwrap();
    assert!(g.get(&"tgw".into()).is_none(), "no node for the existing gateway");
    let network = bp.account("network").unwrap().id.value.clone();
    let attr = |node: &str, field: &str| g.get(&node.into()).unwrap().attrs.get(field).cloned();
    assert_eq!(attr("tgw/rt/spoke", "tgw"), Some(Value::str(id)));
    assert_eq!(attr("tgw/attachment/workload", "tgw"), Some(Value::str(id)));
    assert_eq!(
        attr("ram/share", "resources"),
        Some(Value::List(vec![Value::str(format!(
            "arn:aws:ec2:eu-central-1:{network}:transit-gateway/{id}"
        ))]))
    );
    for n in g.nodes() {
        assert!(
            !n.dependencies().iter().any(|d| d.0 == "tgw"),
            "{} still depends on a tgw node",
            n.id
        );
    }

    let kinds = round_trip_graph(&bp.metadata.name.value, &g).await;
    assert!(!kinds.contains_key("transit-gateway"));
    assert_eq!(kinds["tgw-route-table"], 2);
}

/// plans/hub-spoke.yaml (its access VPC and the VPN for the `apps` cluster's admins),
/// with `extra` lines added to `access.vpn`.
fn with_vpn(extra: &str) -> String {
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let at = "    clusters: [apps]\n";
    assert!(text.contains(at), "hub-spoke.yaml declares the VPN");
    text.replacen(at, &format!("{at}{extra}"), 1)
}

/// `access.vpn`: the CA, a security group and the endpoint in the access VPC's account,
/// associated with its first endpoints subnet (or every AZ's), authorized and routed to
/// the cluster's VPC; the cluster admits the access VPC on 443 and the firewall passes it.
#[tokio::test(start_paused = true)]
async fn a_vpn_reaches_the_clusters_it_names_and_nothing_else() {
    use airgap_engine::Value;
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &with_vpn("")).unwrap();
    let g = expand(&bp).unwrap().seal().unwrap();
    let network = bp.account("network").unwrap().id.value.clone();
    let vpn = g.get(&"access/vpn".into()).expect("the endpoint");
    assert_eq!(vpn.kind, "client-vpn-endpoint");
    assert_eq!(vpn.scope.account, network);
    let a = &vpn.attrs;
    assert_eq!(a["clientCidr"], Value::str("10.250.0.0/22"));
    // The cluster's VPC, and the endpoints subnets that hold the resolver endpoint's
    // addresses it hands out (Client VPN denies what no rule authorizes); those are in
    // the associated VPC, whose range AWS routes.
    assert_eq!(
        a["authorize"],
        Value::List(vec![
            Value::str("10.10.0.0/16"),
            Value::str("10.30.0.128/27"),
            Value::str("10.30.0.160/27")
        ])
    );
    assert_eq!(a["routes"], Value::List(vec![Value::str("10.10.0.0/16")]));
    // The resolver endpoint of `access.dns`, in the same VPC, answers clients.
    assert_eq!(
        a["dnsServers"],
        Value::List(vec![
            Value::reference("access/dns", "ip0"),
            Value::reference("access/dns", "ip1")
        ])
    );
    assert_eq!(
        a["subnets"],
        Value::List(vec![Value::reference("vpc/access/subnet/endpoints/a", "id")])
    );
    assert_eq!(a["serverCertificate"], Value::reference("access/vpn/pki", "arn"));
    assert!(g.get(&"access/vpn/pki".into()).is_some() && g.get(&"access/vpn/sg".into()).is_some());
    let api_rules: Vec<_> = g
        .nodes()
        .filter(|n| n.id.0.starts_with("cluster/apps/sg/api/"))
        .map(|n| n.attrs["cidr"].clone())
        .collect();
    assert!(api_rules.contains(&Value::str("10.30.0.0/22")), "{api_rules:?}");
    let flows = &g.get(&"firewall/rules/flows".into()).expect("pass rules").attrs["rules"];
    assert!(flows.to_string().contains("pass tcp 10.30.0.0/22 any -> 10.10.0.0/16 443"), "{flows}");

    let ha = airgap_blueprint::parse("hub-spoke.yaml", &with_vpn("    highAvailability: true\n"))
        .unwrap();
    let g2 = expand(&ha).unwrap().seal().unwrap();
    let subnets = &g2.get(&"access/vpn".into()).unwrap().attrs["subnets"];
    assert!(matches!(subnets, Value::List(l) if l.len() == 2), "one per AZ: {subnets}");

    // Applies, re-plans as unchanged (asserted inside) and destroys.
    let kinds = round_trip_graph(&bp.metadata.name.value, &g).await;
    assert_eq!(kinds["client-vpn-endpoint"], 1);
    assert_eq!(kinds["resolver-endpoint"], 1);
}

/// `access.dns`: an inbound resolver endpoint with two addresses in the VPC's endpoints
/// subnets of two AZs, its group admitting DNS from the VPC and `allowFrom`, the firewall
/// passing DNS from `allowFrom` outside the VPC; without it, the VPN hands out the VPC's
/// own resolver (base + 2).
#[test]
fn dns_from_outside_is_a_resolver_endpoint_the_vpn_hands_out() {
    use airgap_engine::Value;
    let text = with_vpn("").replace(
        "  dns:\n    vpc: access\n",
        "  dns:\n    vpc: access\n    allowFrom: [192.168.0.0/16]\n",
    );
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &text).unwrap();
    let g = expand(&bp).unwrap().seal().unwrap();
    let dns = g.get(&"access/dns".into()).expect("the resolver endpoint");
    assert_eq!(dns.kind, "resolver-endpoint");
    assert_eq!(dns.scope.account, bp.account("network").unwrap().id.value);
    assert_eq!(dns.attrs["direction"], Value::str("INBOUND"));
    assert_eq!(
        dns.attrs["subnets"],
        Value::List(vec![
            Value::reference("vpc/access/subnet/endpoints/a", "id"),
            Value::reference("vpc/access/subnet/endpoints/b", "id"),
        ])
    );
    let mut rules: Vec<String> = g
        .nodes()
        .filter(|n| n.id.0.starts_with("access/dns/sg/"))
        .map(|n| format!("{} {} {}", n.attrs["protocol"], n.attrs["port"], n.attrs["cidr"]))
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "\"tcp\" 53 \"10.30.0.0/22\"",
            "\"tcp\" 53 \"192.168.0.0/16\"",
            "\"udp\" 53 \"10.30.0.0/22\"",
            "\"udp\" 53 \"192.168.0.0/16\"",
        ]
    );
    let flows = g.get(&"firewall/rules/flows".into()).unwrap().attrs["rules"].to_string();
    assert!(flows.contains("pass udp 192.168.0.0/16 any -> 10.30.0.0/22 53"), "{flows}");
    assert!(flows.contains("pass tcp 192.168.0.0/16 any -> 10.30.0.0/22 53"), "{flows}");

    let without = with_vpn("").replace("  dns:\n    vpc: access\n", "");
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &without).unwrap();
    let g = expand(&bp).unwrap().seal().unwrap();
    assert!(g.get(&"access/dns".into()).is_none());
    let vpn = g.get(&"access/vpn".into()).unwrap();
    assert_eq!(vpn.attrs["dnsServers"], Value::List(vec![Value::str("10.30.0.2")]));
    assert_eq!(
        vpn.attrs["authorize"],
        Value::List(vec![Value::str("10.10.0.0/16"), Value::str("10.30.0.2/32")])
    );
}

/// `access.privateLink`: a service in a VPC gets an IP target group, an internal NLB in
/// the VPC's endpoints subnets with a listener forwarding to it, and an endpoint service
/// in front requiring acceptance; one naming an operator's NLB gets only the service, in
/// that NLB's account.
#[tokio::test(start_paused = true)]
async fn a_private_link_service_fronts_an_internal_nlb() {
    use airgap_engine::Value;
    // hub-spoke's own privateLink entry (its last lines) replaced by two.
    let text = with_vpn("");
    let text = text[..text.find("  # A partner reaches").expect("hub-spoke's privateLink")].replace(
        "access:\n",
        "access:\n  privateLink:\n    - name: partners\n      vpc: workload\n      port: 8443\n      allowedPrincipals: [arn:aws:iam::444455556666:root]\n    - name: legacy\n      loadBalancerArn: arn:aws:elasticloadbalancing:eu-central-1:222222222222:loadbalancer/net/legacy/0123456789abcdef\n      allowedPrincipals: [arn:aws:iam::444455556666:role/reader]\n      acceptanceRequired: false\n",
    );
    let bp = airgap_blueprint::parse("hub-spoke.yaml", &text).unwrap();
    let g = expand(&bp).unwrap().seal().unwrap();
    let workload = bp.account("workload").unwrap().id.value.clone();
    let svc = g.get(&"access/privatelink/partners".into()).expect("the service");
    assert_eq!(svc.kind, "endpoint-service");
    assert_eq!(svc.scope.account, workload);
    assert_eq!(svc.attrs["acceptanceRequired"], Value::Bool(true));
    assert_eq!(
        svc.attrs["loadBalancers"],
        Value::List(vec![Value::reference("access/privatelink/partners/nlb", "arn")])
    );
    let nlb = g.get(&"access/privatelink/partners/nlb".into()).unwrap();
    assert_eq!(nlb.kind, "load-balancer");
    assert_eq!(nlb.attrs["scheme"], Value::str("internal"));
    let name = nlb.attrs["name"].as_str().unwrap().to_string();
    assert!(name.len() <= 32 && name.ends_with("-partners"), "{name}");
    assert!(nlb.attrs["subnets"].to_string().contains("vpc/workload/subnet/endpoints/a"));
    let listener = nlb.attrs["listeners"].to_string();
    assert!(listener.contains("8443") && listener.contains("access/privatelink/partners/targets"));
    let tg = g.get(&"access/privatelink/partners/targets".into()).unwrap();
    assert_eq!(
        (tg.attrs["targetType"].clone(), tg.attrs["port"].clone()),
        (Value::str("ip"), Value::Int(8443))
    );

    let legacy = g.get(&"access/privatelink/legacy".into()).unwrap();
    assert_eq!(legacy.scope.account, "222222222222");
    assert_eq!(legacy.attrs["acceptanceRequired"], Value::Bool(false));
    assert!(g.get(&"access/privatelink/legacy/nlb".into()).is_none());

    let kinds = round_trip_graph(&bp.metadata.name.value, &g).await;
    assert_eq!(kinds["endpoint-service"], 2);
    assert_eq!(kinds["load-balancer"], 1);
}
