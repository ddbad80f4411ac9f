//! The example blueprints of plans/, verified as planned.

use airgap_blueprint::examples;
use airgap_verify::{verify_plan, Report, Status};

fn report(file: &str) -> Report {
    let bp = examples::blueprint(file).unwrap();
    let g = examples::graph(file).unwrap().seal().unwrap();
    verify_plan(&g, &bp, &bp.metadata.name.value).unwrap()
}

fn dump(r: &Report) {
    for c in &r.checks {
        eprintln!("{} {}", c.status.as_str(), c.id);
        for e in &c.evidence {
            eprintln!("    {e}");
        }
        for f in &c.findings {
            eprintln!("  ! {}: {}", f.resource, f.message);
        }
    }
}

#[test]
fn hub_spoke() {
    let r = report("hub-spoke.yaml");
    dump(&r);
    assert_eq!(r.get("egress.firewall-first").unwrap().status, Status::Pass);
}

#[test]
fn single_account() {
    let r = report("single-account.yaml");
    dump(&r);
}
