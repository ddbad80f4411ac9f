//! The endpoint policies a VPC gets when the environment has `registries` and the VPC
//! declares none for ECR's endpoints: without a policy AWS lets anything through an
//! endpoint (any registry, pushes included; any bucket through the S3 gateway), which
//! would leave the air gap to IAM alone.
//!
//! - `ecr.api` and `ecr.dkr`: `ecr:GetAuthorizationToken` (it takes no resource but `*`),
//!   pulls from exactly the environment's repositories and, in a VPC that holds a
//!   cluster, from the region's EKS add-on repositories (vpc-cni, coredns, kube-proxy
//!   come from there). A VPC of the registry account is where the artifact pipeline runs:
//!   it may also push and run what `airgapctl artifacts sync` and `scan` call, on the
//!   same repositories, and on the quarantine repositories (`registries.quarantine`).
//!   Those are pulled from only to promote an approved artifact (`sync --approved`), in
//!   a registry-account VPC that holds no cluster: no node's pull can reach quarantine
//!   through an endpoint.
//! - `s3`, in a VPC that pulls from ECR (it lists `ecr.dkr`): `s3:GetObject` on the
//!   region's layer bucket, where ECR keeps image layers ("Amazon ECR interface VPC
//!   endpoints (AWS PrivateLink)", ECR user guide, which names
//!   `arn:aws:s3:::prod-region-starport-layer-bucket/*` for the gateway's policy).
//!
//! A policy the VPC declares for a service is used as written.

use serde_json::{json, Value};

use crate::model::{Blueprint, Vpc};

/// What the EKS nodes' kubelet and container runtime call to pull an image.
pub const PULL: [&str; 3] =
    ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"];

/// A push (the layer upload and PutImage), plus what `artifacts sync` and `scan` call on a
/// repository besides (CreateRepository tags in the same call, so TagResource too).
pub const PIPELINE: [&str; 11] = [
    "ecr:InitiateLayerUpload",
    "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload",
    "ecr:PutImage",
    "ecr:DescribeRepositories",
    "ecr:CreateRepository",
    "ecr:TagResource",
    "ecr:DescribeImages",
    "ecr:StartImageScan",
    "ecr:DescribeImageScanFindings",
    "ecr:BatchDeleteImage",
];

/// The policy of `vpc`'s endpoint for `service`: the one it declares, else the one made
/// for it (see the module), else `None` (AWS's full access).
pub fn effective(bp: &Blueprint, vpc: &Vpc, service: &str) -> Option<Value> {
    match vpc.endpoints.policies.iter().find(|(k, _)| k.value == service) {
        Some((_, doc)) => Some(doc.value.clone()),
        None => generated(bp, vpc, service),
    }
}

/// The ARNs of the environment's repositories, in declaration order.
pub fn repository_arns(bp: &Blueprint) -> Vec<String> {
    let Some(reg) = &bp.registries else { return Vec::new() };
    let Some(account) = bp.account(&reg.account.value) else { return Vec::new() };
    let region = &bp.metadata.region.value;
    let partition = airgap_catalog::names::partition(region);
    reg.repositories
        .iter()
        .map(|r| {
            format!("arn:{partition}:ecr:{region}:{}:repository/{}", account.id.value, r.value)
        })
        .collect()
}

/// The ARNs of the environment's quarantine repositories (`registries.quarantine`).
pub fn quarantine_arns(bp: &Blueprint) -> Vec<String> {
    let Some(reg) = &bp.registries else { return Vec::new() };
    let Some(account) = bp.account(&reg.account.value) else { return Vec::new() };
    let region = &bp.metadata.region.value;
    let partition = airgap_catalog::names::partition(region);
    reg.quarantine_repositories()
        .iter()
        .map(|r| format!("arn:{partition}:ecr:{region}:{}:repository/{r}", account.id.value))
        .collect()
}

/// ECR's bucket of image layers in `region`, which pulls through an S3 gateway endpoint
/// fetch from.
pub fn layer_bucket(region: &str) -> String {
    format!("prod-{region}-starport-layer-bucket")
}

/// The ARN prefix (ending in `repository/`) of the repositories EKS serves its add-on
/// images from in `region`, in the region's partition.
pub fn eks_addon_repositories(region: &str) -> String {
    let partition = airgap_catalog::names::partition(region);
    let account = airgap_catalog::k8s::eks_addon_registry_account(region);
    format!("arn:{partition}:ecr:{region}:{account}:repository/")
}

fn generated(bp: &Blueprint, vpc: &Vpc, service: &str) -> Option<Value> {
    let reg = bp.registries.as_ref()?;
    let region = &bp.metadata.region.value;
    let partition = airgap_catalog::names::partition(region);
    let lists = |svc: &str| vpc.endpoints.interface.iter().any(|s| s.value == svc);
    let holds_cluster = bp.clusters.iter().any(|c| c.vpc.value == vpc.name.value);
    match service {
        "ecr.api" | "ecr.dkr" => {
            let mut statements = vec![json!({
                "Sid": "Authenticate",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["ecr:GetAuthorizationToken"],
                "Resource": "*",
            })];
            let repositories = repository_arns(bp);
            if !repositories.is_empty() {
                if vpc.account.value == reg.account.value {
                    let actions: Vec<&str> = PULL.iter().chain(&PIPELINE).copied().collect();
                    statements.push(json!({
                        "Sid": "PullAndPushEnvironmentRepositories",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": actions,
                        "Resource": repositories,
                    }));
                    // The pipeline pushes and scans in quarantine, and pulls from it to
                    // promote what was approved; not where nodes run, whose pulls must
                    // not reach unapproved images (a same-account node role's identity
                    // policy may allow ecr pulls on every repository).
                    let quarantine = quarantine_arns(bp);
                    if !quarantine.is_empty() {
                        let (sid, actions): (_, Vec<&str>) = if holds_cluster {
                            ("PushQuarantineRepositories", PIPELINE.to_vec())
                        } else {
                            let both = PULL.iter().chain(&PIPELINE).copied().collect();
                            ("PushAndPromoteQuarantineRepositories", both)
                        };
                        statements.push(json!({
                            "Sid": sid,
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": actions,
                            "Resource": quarantine,
                        }));
                    }
                } else {
                    statements.push(json!({
                        "Sid": "PullEnvironmentRepositories",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": PULL,
                        "Resource": repositories,
                    }));
                }
            }
            if holds_cluster {
                statements.push(json!({
                    "Sid": "PullEksAddOnImages",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": PULL,
                    "Resource": [format!("{}*", eks_addon_repositories(region))],
                }));
            }
            Some(json!({"Version": "2012-10-17", "Statement": statements}))
        }
        "s3" if lists("ecr.dkr") => Some(json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "EcrImageLayers",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["s3:GetObject"],
                "Resource": [format!("arn:{partition}:s3:::{}/*", layer_bucket(region))],
            }],
        })),
        _ => None,
    }
}
