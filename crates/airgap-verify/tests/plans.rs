//! The example blueprints of plans/, verified as planned: what each passes and fails.

use airgap_blueprint::examples;
use airgap_verify::topology::VpcRole;
use airgap_verify::{verify_plan, Report, Status};

fn report(file: &str) -> Report {
    let bp = examples::blueprint(file).unwrap();
    let g = examples::graph(file).unwrap().seal().unwrap();
    verify_plan(&g, &bp, &bp.metadata.name.value).unwrap()
}

fn statuses(r: &Report) -> Vec<(&str, Status)> {
    r.checks.iter().map(|c| (c.id, c.status)).collect()
}

#[test]
fn hub_spoke_passes_every_check() {
    let r = report("hub-spoke.yaml");
    for (id, status) in statuses(&r) {
        // A plan has no endpoint to look up: the DNS check runs on what exists only.
        let want = if id == "eks.endpoint-dns" { Status::NotApplicable } else { Status::Pass };
        assert_eq!(status, want, "{id}: {:#?}", r.get(id));
    }
    // Its endpoint policies name the environment's two repositories, on four endpoints.
    let ecr = &r.get("endpoints.ecr-policy").unwrap().evidence;
    assert!(
        ecr[0].ends_with("vpc/tooling/endpoint/ecr.api, vpc/tooling/endpoint/ecr.dkr"),
        "{ecr:?}"
    );
    assert!(ecr[1].contains("repository/mirror/nginx"), "{ecr:?}");
    let s3 = &r.get("endpoints.s3-policy").unwrap().evidence;
    assert_eq!(s3[0], "endpoints: vpc/workload/endpoint/s3, vpc/tooling/endpoint/s3");
    // The egress evidence: every spoke subnet, every class outside the environment.
    let e = &r.get("egress.firewall-first").unwrap().evidence[0];
    assert!(e.starts_with("24 spoke subnets x 5 destination classes"), "{e}");
    // The VPN, as a path in: into the access VPC's endpoints subnet, on to the cluster's
    // API through the firewall, and to the subnets of the resolver endpoint's addresses
    // it hands out as DNS servers.
    let e = &r.get("vpn.split-tunnel").unwrap().evidence;
    assert_eq!(
        e[0],
        "vpn access/vpn: clients 10.250.0.0/22 -> 10.10.0.0/16, 10.30.0.128/27, 10.30.0.160/27 through vpc/access/subnet/endpoints/a, split tunnel"
    );
    let e = &r.get("vpn.authorization").unwrap().evidence;
    assert_eq!(
        e[0],
        "vpn access/vpn: clients 10.250.0.0/22 authorized for 10.10.0.0/16 (cluster/apps in vpc/workload), 10.30.0.128/27 (its DNS servers), 10.30.0.160/27 (its DNS servers)"
    );
    let e = &r.get("vpn.cluster-api").unwrap().evidence;
    assert!(
        e[0].starts_with("vpn access/vpn: clients 10.250.0.0/22 -> cluster/apps API on 443"),
        "{e:?}"
    );
    assert!(
        e[0].contains("delivered in vpc/workload (passed by firewall (firewall/rules/flows))"),
        "{e:?}"
    );
    // The partners' way in: one account, an internal NLB in the workload VPC.
    let e = &r.get("privatelink.exposure").unwrap().evidence;
    assert_eq!(
        e,
        &["endpoint service access/privatelink/partners: principals arn:aws:iam::444455556666:root -> access/privatelink/partners/nlb (internal, in vpc/workload), each connection accepted by hand"]
    );
}

/// The blueprint's text with `from` (found once) replaced by `to`, verified as planned.
fn report_of_changed(file: &str, from: &str, to: &str) -> Report {
    let (_, text) = examples::ALL.iter().find(|(n, _)| *n == file).unwrap();
    assert_eq!(text.matches(from).count(), 1, "{file} changed shape");
    let bp = airgap_blueprint::parse(file, &text.replace(from, to)).unwrap();
    let g = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
    verify_plan(&g, &bp, &bp.metadata.name.value).unwrap()
}

/// The access VPC is a spoke: its subnets, the one the VPN's clients enter by among them,
/// are among those egress.firewall-first follows out.
#[test]
fn the_access_vpc_is_a_spoke_whose_egress_is_analysed() {
    let bp = examples::blueprint("hub-spoke.yaml").unwrap();
    let g = examples::graph("hub-spoke.yaml").unwrap().seal().unwrap();
    let t = airgap_verify::from_graph::topology(&g, "eu-central-1").unwrap();
    assert_eq!(t.vpcs["vpc/access"].role, VpcRole::Spoke);
    let vpns = t.client_vpns.as_ref().unwrap();
    assert_eq!(vpns.len(), 1);
    assert_eq!(vpns[0].subnets, ["vpc/access/subnet/endpoints/a"]);
    // The route AWS adds for the VPC's own range with the association is in the model.
    let routes: Vec<String> = vpns[0].routes.iter().map(|r| r.dest.to_string()).collect();
    assert_eq!(routes, ["10.30.0.0/22", "10.10.0.0/16"]);
    let r = verify_plan(&g, &bp, "hub-spoke").unwrap();
    let e = r.get("egress.firewall-first").unwrap();
    assert!(e.evidence.iter().any(|l| l.contains("e.g. vpc/access/subnet/")), "{:?}", e.evidence);
}

/// A destination declared outside the environment is routed through the VPN and so into
/// the environment: split-tunnel fails (authorization does not: it was declared).
#[test]
fn hub_spoke_with_a_vpn_destination_outside_the_environment_fails_split_tunnel() {
    let r = report_of_changed(
        "hub-spoke.yaml",
        "    clusters: [apps]
",
        "    clusters: [apps]
    cidrs: [8.8.8.0/24]
",
    );
    let failed: Vec<&str> =
        r.checks.iter().filter(|c| c.status == Status::Fail).map(|c| c.id).collect();
    assert_eq!(failed, ["vpn.split-tunnel"]);
    let f: Vec<&str> =
        r.get("vpn.split-tunnel").unwrap().findings.iter().map(|f| f.resource.as_str()).collect();
    assert_eq!(
        f,
        [
            "access/vpn:route/8.8.8.0/24@vpc/access/subnet/endpoints/a",
            "access/vpn:authorize/8.8.8.0/24"
        ]
    );
}

#[test]
fn single_account_passes_its_network_and_endpoint_checks() {
    let r = report("single-account.yaml");
    for (id, status) in statuses(&r) {
        // No cluster, no registry, no VPN, no PrivateLink service: those checks have
        // nothing to look at.
        let want =
            if ["eks.", "registry.", "vpn.", "privatelink."].iter().any(|p| id.starts_with(p)) {
                Status::NotApplicable
            } else {
                Status::Pass
            };
        assert_eq!(status, want, "{id}: {:#?}", r.get(id));
    }
    let e = &r.get("egress.firewall-first").unwrap().evidence[0];
    assert!(e.starts_with("8 spoke subnets x 3 destination classes"), "{e}");
    // No domain is allowed: everything not bound for the endpoints is dropped.
    let a = &r.get("firewall.allowlist").unwrap().evidence;
    assert_eq!(a[0], "allowed domains: none");
}

/// A VPN associated with the cluster's own VPC: its clients reach the API locally (the
/// firewall is not on the way), and every check still passes.
#[test]
fn hub_spoke_with_the_vpn_in_the_clusters_vpc_passes() {
    let r = report_of_changed(
        "hub-spoke.yaml",
        "  vpn:\n    vpc: access\n",
        "  vpn:\n    vpc: workload\n",
    );
    for c in &r.checks {
        let want = if c.id == "eks.endpoint-dns" { Status::NotApplicable } else { Status::Pass };
        assert_eq!(c.status, want, "{}: {:#?}", c.id, c.findings);
    }
    let e = &r.get("vpn.cluster-api").unwrap().evidence[0];
    assert!(e.contains("from vpc/workload/subnet/endpoints/a"), "{e}");
    assert!(e.contains("(no firewall on the way)"), "{e}");
}
