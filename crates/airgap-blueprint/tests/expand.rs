//! The example blueprints expand into sealed graphs that apply, re-plan as unchanged
//! and destroy cleanly on the simulated cloud.

use std::collections::BTreeMap;

use airgap_blueprint::{expand, load};
use airgap_engine::sim::{self, SimCloud};
use airgap_engine::{execute, plan, Events, ExecOptions, PlanMode};

fn plans_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plans")
}

async fn round_trip(file: &str) -> BTreeMap<String, usize> {
    let bp = load(plans_dir().join(file)).expect("example blueprint is valid");
    let graph = expand(&bp).expect("expands").seal().expect("seals");
    let env = bp.metadata.name.value.clone();
    let cloud = SimCloud::new(1.0);
    let registry = sim::registry(&cloud);
    let p = plan(&env, &graph, &registry, PlanMode::Apply, &[])
        .await
        .unwrap();
    let report = execute(&p, &registry, &ExecOptions::default(), &Events::none())
        .await
        .unwrap();
    assert!(
        report.succeeded(),
        "{:?}",
        report.root_causes().collect::<Vec<_>>()
    );
    let kinds = cloud.count(&env);
    assert_eq!(kinds.values().sum::<usize>(), graph.len());
    let again = plan(&env, &graph, &registry, PlanMode::Apply, &[])
        .await
        .unwrap();
    assert!(!again.has_changes());
    let p = plan(&env, &graph, &registry, PlanMode::Destroy, &[])
        .await
        .unwrap();
    let report = execute(&p, &registry, &ExecOptions::default(), &Events::none())
        .await
        .unwrap();
    assert!(report.succeeded());
    assert!(cloud.count(&env).is_empty());
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
    assert_eq!(
        kinds["internet-gateway"], 1,
        "the hub alone reaches the internet"
    );
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
    let bp = load(plans_dir().join("hub-spoke.yaml")).unwrap();
    let ids = |g: airgap_engine::Graph| g.nodes().map(|n| n.id.0.clone()).collect::<Vec<_>>();
    let a = ids(expand(&bp).unwrap().seal().unwrap());
    let b = ids(expand(&bp).unwrap().seal().unwrap());
    assert_eq!(a, b);
    assert!(a.contains(&"vpc/workload/subnet/dataPlane/a".to_string()));
    assert!(a.contains(&"vpc/inspection/rt/transit/b/default".to_string()));
}
