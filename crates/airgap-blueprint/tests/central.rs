//! `endpoints.mode: central`: what validation refuses, and what the expansion builds.

use airgap_blueprint::{examples, expand, parse};

const HUB_SPOKE: &str = examples::HUB_SPOKE;

fn with(block: &str) -> String {
    format!("{HUB_SPOKE}endpoints:\n{block}")
}

fn problems(text: &str) -> Vec<String> {
    match parse("bp.yaml", text) {
        Ok(_) => Vec::new(),
        Err(d) => d.problems().iter().map(|p| p.message().to_string()).collect(),
    }
}

#[test]
fn central_endpoints_are_refused_where_aws_cannot_serve_them() {
    let p = problems(&with("  mode: central\n"));
    assert!(p.iter().any(|m| m.contains("need `endpoints.vpc`")), "{p:?}");
    let p = problems(&with("  mode: central\n  vpc: toolng\n"));
    assert!(p.iter().any(|m| m.contains("VPC `toolng` is not defined")), "{p:?}");
    let p = problems(&with("  mode: central\n  vpc: tooling\n  services: [s3, ssn]\n"));
    assert!(p.iter().any(|m| m.contains("`s3` cannot be a central endpoint")), "{p:?}");
    assert!(p.iter().any(|m| m.contains("`ssn` cannot be a central endpoint")), "{p:?}");
    let p = problems(&with("  mode: central\n  vpc: tooling\n  services: [kms]\n"));
    assert!(p.iter().any(|m| m.contains("no VPC lists `kms`")), "{p:?}");
    let p = problems(&with("  vpc: tooling\n"));
    assert!(p.iter().any(|m| m.contains("apply to `mode: central` only")), "{p:?}");
    assert!(problems(&with("  mode: central\n  vpc: tooling\n")).is_empty());
}

#[test]
fn shared_services_go_central_with_every_vpcs_policy_limited_to_its_account() {
    let bp = parse("bp.yaml", &with("  mode: central\n  vpc: tooling\n")).unwrap();
    let (host, services) = bp.central().unwrap();
    assert_eq!(host.name.value, "tooling");
    // Only what both VPCs list: the workload's eks, ec2, ... stay in the workload VPC.
    assert_eq!(services, ["ecr.api", "ecr.dkr", "sts", "logs"]);
    let g = expand(&bp).unwrap().seal().unwrap();
    let ids: Vec<&str> = g.nodes().map(|n| n.id.as_str()).collect();
    for want in ["dns/sts", "dns/sts/workload", "dns/sts/tooling", "vpc/workload/endpoint/eks"] {
        assert!(ids.contains(&want), "{want}");
    }
    assert!(!ids.contains(&"vpc/workload/endpoint/sts"));
    assert!(!ids.contains(&"dns/eks"));
    // The ECR policy: the workload's pull statements for its account, the tooling's
    // pull-push ones for its own, the shared "Authenticate" statement once for both.
    let doc: serde_json::Value =
        serde_json::from_str(&airgap_blueprint::central::policy(&bp, "ecr.api").unwrap()).unwrap();
    let st = doc["Statement"].as_array().unwrap();
    let auth = st.iter().find(|s| s["Sid"] == "Authenticate").unwrap();
    assert_eq!(
        auth["Condition"]["StringEquals"]["aws:PrincipalAccount"],
        serde_json::json!(["333333333333", "222222222222"])
    );
    let push = st.iter().find(|s| s["Sid"] == "PullAndPushEnvironmentRepositories").unwrap();
    assert_eq!(
        push["Condition"]["StringEquals"]["aws:PrincipalAccount"],
        serde_json::json!(["222222222222"])
    );
    let sids: Vec<&str> = st.iter().filter_map(|s| s["Sid"].as_str()).collect();
    let mut unique = sids.clone();
    unique.dedup();
    assert_eq!(sids.len(), unique.len(), "{sids:?}");
}
