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
    // None declared: the ECR and S3 policies are made from `registries`.
    assert!(workload.endpoints.policies.is_empty());
    assert!(bp.vpc("tooling").unwrap().endpoints.policies.is_empty());
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

/// The policy document of the endpoint node `id`.
fn endpoint_policy(g: &airgap_engine::Graph, id: &str) -> serde_json::Value {
    let n = g.nodes().find(|n| n.id.as_str() == id).unwrap_or_else(|| panic!("{id}"));
    match n.attrs.get("policy") {
        Some(airgap_engine::Value::Str(text)) => serde_json::from_str(text).unwrap(),
        other => panic!("{id}: policy {other:?}"),
    }
}

/// hub-spoke declares no endpoint policy: the expansion writes them from `registries`.
/// The workload VPC (a cluster, another account) may pull exactly the two repositories
/// and EKS's add-on images; the tooling VPC (the registry's account) may also push and
/// scan them; both S3 gateways reach only the region's ECR layer bucket.
#[test]
fn hub_spoke_endpoint_policies_name_exactly_its_repositories() {
    use serde_json::{json, Value};
    let bp = load("hub-spoke.yaml");
    let g = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
    let policy = |id: &str| endpoint_policy(&g, id);
    let repos = json!([
        "arn:aws:ecr:eu-central-1:222222222222:repository/mirror/nginx",
        "arn:aws:ecr:eu-central-1:222222222222:repository/mirror/busybox"
    ]);
    let allowed = |doc: &Value, sid: &str| -> Value {
        let st = doc["Statement"].as_array().unwrap();
        st.iter().find(|s| s["Sid"] == sid).unwrap_or_else(|| panic!("{sid} in {doc}"))["Resource"]
            .clone()
    };
    for svc in ["ecr.api", "ecr.dkr"] {
        let doc = policy(&format!("vpc/workload/endpoint/{svc}"));
        assert_eq!(allowed(&doc, "Authenticate"), "*");
        assert_eq!(allowed(&doc, "PullEnvironmentRepositories"), repos);
        assert_eq!(
            allowed(&doc, "PullEksAddOnImages"),
            json!(["arn:aws:ecr:eu-central-1:602401143452:repository/*"])
        );
        assert_eq!(doc["Statement"].as_array().unwrap().len(), 3, "{doc}");
        let doc = policy(&format!("vpc/tooling/endpoint/{svc}"));
        assert_eq!(allowed(&doc, "PullAndPushEnvironmentRepositories"), repos);
        let st = doc["Statement"].as_array().unwrap();
        assert_eq!(st.len(), 2, "no cluster in the tooling VPC, so no add-on images: {doc}");
        let actions = &st[1]["Action"];
        for a in ["ecr:BatchGetImage", "ecr:PutImage", "ecr:StartImageScan"] {
            assert!(actions.as_array().unwrap().contains(&json!(a)), "{a} in {actions}");
        }
    }
    for vpc in ["workload", "tooling"] {
        let doc = policy(&format!("vpc/{vpc}/endpoint/s3"));
        assert_eq!(
            allowed(&doc, "EcrImageLayers"),
            json!(["arn:aws:s3:::prod-eu-central-1-starport-layer-bucket/*"])
        );
    }
    // dynamodb's gateway is not ECR's business: AWS's default.
    let n = g.nodes().find(|n| n.id.as_str() == "vpc/workload/endpoint/dynamodb").unwrap();
    assert!(
        matches!(n.attrs.get("policy"), None | Some(airgap_engine::Value::Null)),
        "{:?}",
        n.attrs
    );
}

/// `registries.quarantine`: a registry-account VPC without a cluster (hub-spoke's tooling)
/// may push, scan and pull there (`sync --approved` promotes from quarantine); one that
/// holds a cluster (the registry moved to the workload account) may push and scan only,
/// so no node's pull reaches an unapproved image through its endpoints.
#[test]
fn quarantine_is_pulled_from_only_where_no_cluster_runs() {
    use serde_json::{json, Value};
    let text = std::fs::read_to_string(plans_dir().join("hub-spoke.yaml")).unwrap();
    let text = text.replace(
        "  repositories: [mirror/nginx, mirror/busybox]\n",
        "  repositories: [mirror/nginx, mirror/busybox]\n  quarantine: quarantine\n",
    );
    let quarantine = |account: &str| {
        json!([
            format!("arn:aws:ecr:eu-central-1:{account}:repository/quarantine/mirror/nginx"),
            format!("arn:aws:ecr:eu-central-1:{account}:repository/quarantine/mirror/busybox"),
        ])
    };
    let statement = |text: &str, vpc: &str| -> Value {
        let bp = airgap_blueprint::parse("hub-spoke.yaml", text)
            .unwrap_or_else(|e| panic!("{:?}", miette::Report::new(e)));
        let g = airgap_blueprint::expand(&bp).unwrap().seal().unwrap();
        let doc = endpoint_policy(&g, &format!("vpc/{vpc}/endpoint/ecr.dkr"));
        let st = doc["Statement"].as_array().unwrap();
        st.iter().find(|s| s["Resource"].to_string().contains("quarantine")).cloned().unwrap()
    };
    let tooling = statement(&text, "tooling");
    assert_eq!(tooling["Sid"], "PushAndPromoteQuarantineRepositories");
    assert_eq!(tooling["Resource"], quarantine("222222222222"));
    let actions = tooling["Action"].as_array().unwrap();
    for a in ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:PutImage"] {
        assert!(actions.contains(&json!(a)), "{a} in {tooling}");
    }

    let text =
        text.replace("registries:\n  account: shared\n", "registries:\n  account: workload\n");
    let workload = statement(&text, "workload");
    assert_eq!(workload["Sid"], "PushQuarantineRepositories");
    assert_eq!(workload["Resource"], quarantine("333333333333"));
    let actions = workload["Action"].as_array().unwrap();
    assert!(actions.contains(&json!("ecr:PutImage")), "{workload}");
    for a in ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] {
        assert!(!actions.contains(&json!(a)), "{a} in {workload}");
    }
}
