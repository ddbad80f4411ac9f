//! The example blueprints of plans/, verified as planned: what each passes and fails.

use airgap_blueprint::examples;
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
}

#[test]
fn single_account_passes_its_network_and_endpoint_checks() {
    let r = report("single-account.yaml");
    for (id, status) in statuses(&r) {
        // No cluster and no registry: those checks have nothing to look at.
        let want = if id.starts_with("eks.") || id.starts_with("registry.") {
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
