//! The shipped example blueprints must parse without a single diagnostic.

use std::path::PathBuf;

fn plans_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

fn load(name: &str) -> airgap_blueprint::Blueprint {
    match airgap_blueprint::load(plans_dir().join(name)).map(|l| l.blueprint) {
        Ok(bp) => bp,
        Err(e) => panic!("{name}: {:?}", miette::Report::new(e)),
    }
}

#[test]
fn single_account_parses() {
    let bp = load("single-account.yaml");
    assert_eq!(bp.metadata.name.value, "demo");
    assert_eq!(bp.accounts.len(), 1);
    assert!(bp.accounts[0].role.is_none());
    assert_eq!(bp.azs(), ["eu-central-1a", "eu-central-1b"]);
    assert_eq!(bp.vpcs[0].endpoints.interface.len(), 9);
    assert_eq!(bp.vpcs[0].endpoints.policies.len(), 3);
    assert!(bp.hub.firewall.is_some());
    assert_eq!(bp.hub.transit_gateway.asn.value, 64512);
    assert_eq!(bp.metadata.ttl.as_ref().unwrap().value.as_secs(), 8 * 3600);
}

#[test]
fn hub_spoke_parses() {
    let bp = load("hub-spoke.yaml");
    assert_eq!(bp.accounts.len(), 3);
    assert_eq!(
        bp.account("workload").unwrap().role_arn().as_deref(),
        Some("arn:aws:iam::333333333333:role/airgap-deployer")
    );
    let workload = bp.vpc("workload").unwrap();
    assert_eq!(workload.endpoints.interface.len(), 9);
    // s3, ecr.api and ecr.dkr; the tooling VPC the same three.
    assert_eq!(workload.endpoints.policies.len(), 3);
    assert_eq!(bp.vpc("tooling").unwrap().endpoints.policies.len(), 3);
    assert!(bp.vpc("tooling").is_some());
    assert!(bp.hub.firewall.is_some());
    assert_eq!(bp.clusters.len(), 1);
    assert_eq!(bp.clusters[0].nodegroups.len(), 2);
    assert_eq!(bp.clusters[0].addons.len(), 3);
    assert_eq!(bp.registries.as_ref().unwrap().repositories.len(), 2);
    // Spans point back at the text.
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let s = workload.cidr.span;
    assert_eq!(&text[s.offset()..s.offset() + s.len()], "10.10.0.0/16");
}

#[test]
fn hub_spoke_carves_every_vpc() {
    let bp = load("hub-spoke.yaml");
    let azs = bp.azs();
    for vpc in &bp.vpcs {
        let subnets = airgap_blueprint::carve(vpc.cidr.value, &azs, &vpc.subnets.tiers()).unwrap();
        assert_eq!(subnets.len(), 8);
    }
    let insp = airgap_blueprint::carve_inspection(&bp.hub.inspection_vpc, &azs).unwrap();
    let cidrs: Vec<String> =
        insp.iter().map(|s| format!("{:?} {} {}", s.tier, s.az, s.cidr)).collect();
    assert_eq!(
        cidrs,
        [
            "Transit eu-central-1a 100.64.0.0/28",
            "Transit eu-central-1b 100.64.0.16/28",
            "Firewall eu-central-1a 100.64.0.32/28",
            "Firewall eu-central-1b 100.64.0.48/28",
            "Public eu-central-1a 100.64.0.64/28",
            "Public eu-central-1b 100.64.0.80/28",
        ]
    );
}
