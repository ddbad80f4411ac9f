//! Limits AWS puts on the names airgapctl derives (from the environment and blueprint
//! names), and the one way a derived name is fitted into its limit.
//!
//! Every limit is the API's own (botocore service models, pinned with LocalStack):
//! `validate` accepts blueprint names up to their own limits, and a name built from two
//! of them (`airgap-<env>-<cluster>-cluster`) can exceed what the API takes. Such a name
//! is cut and ends in a hash of the whole, so it stays stable from run to run (the
//! lookup by name finds it again) and two long names that share a prefix stay apart.

use airgap_engine::fnv1a;

/// IAM `roleName`: 1-64 characters (botocore iam `roleNameType`).
pub const IAM_ROLE_NAME: usize = 64;
/// EKS `CreateCluster` `name`: 1-100 characters (botocore eks `ClusterName`).
pub const EKS_CLUSTER_NAME: usize = 100;
/// EKS node group names: 1-63 characters, starting with a letter or digit (botocore's
/// `nodegroupName` is a plain string; the limit is the one EKS enforces, as the
/// terraform-provider-aws `aws_eks_node_group` documentation records it).
pub const EKS_NODEGROUP_NAME: usize = 63;
/// EC2 `LaunchTemplateName`: 3-128 characters (botocore ec2 `LaunchTemplateName`).
pub const LAUNCH_TEMPLATE_NAME: usize = 128;
/// Network Firewall firewall, policy and rule group names: 1-128 characters
/// (botocore network-firewall `ResourceName`).
pub const NFW_NAME: usize = 128;

/// Where airgapctl's log groups are named. CloudWatch Logs caps an account's resource
/// policy for vended log delivery (Network Firewall's logs) at 5,120 characters, and
/// each log group named outside this prefix adds its own statement; groups under
/// `/aws/vendedlogs/` share one (CloudWatch Logs user guide, "Enabling logging from
/// AWS services"; Step Functions' "Avoiding CloudWatch Logs resource policy size
/// restrictions"), so any number of environments fit in one account.
pub const LOG_GROUP_PREFIX: &str = "/aws/vendedlogs/airgap/";
/// Where environments created before [`LOG_GROUP_PREFIX`] named their log groups:
/// still observed, so those groups are replaced or destroyed, never left behind.
pub const LEGACY_LOG_GROUP_PREFIX: &str = "/airgap/";

/// `name` if it fits in `max` bytes; otherwise its first `max - 9` bytes, a dash and
/// eight hex digits of a hash of the whole name. Names here are ASCII (validated), so
/// bytes are characters.
pub fn fit(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let h = format!("-{:08x}", fnv1a(&[name.as_bytes()]) as u32);
    let mut cut = max.saturating_sub(h.len());
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{h}", &name[..cut])
}

/// The letter of an availability zone (`eu-central-1a` -> `a`): the blueprint's
/// addresses name subnets by it, and the firewall's endpoint outputs are keyed by it so
/// that routes find the endpoint of their subnet's zone. One function, so both agree.
pub fn az_letter(az: &str) -> &str {
    let i = az.rfind(|c: char| c.is_ascii_digit()).map_or(0, |i| i + 1);
    &az[i..]
}

/// The ARN partition of `region`: ARNs built before AWS returns them (a KMS alias's,
/// which CreateAlias does not return; an existing transit gateway's, for its RAM share)
/// must name the partition the region is in, not always `aws`.
pub fn partition(region: &str) -> &'static str {
    const PARTITIONS: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ];
    PARTITIONS.iter().find(|(prefix, _)| region.starts_with(prefix)).map_or("aws", |(_, p)| p)
}

/// JSON text with object keys sorted at every level, whatever map order serde_json
/// was built with (a crate of the build may turn its `preserve_order` on, as a test
/// build's dependencies do): the one form in which documents are compared and sent.
pub fn sorted_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", serde_json::Value::String(k.clone()), sorted_json(&m[k])))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(a) => {
            format!("[{}]", a.iter().map(sorted_json).collect::<Vec<_>>().join(","))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept_and_long_ones_fit_stably_and_apart() {
        assert_eq!(fit("airgap-dev-main-cluster", IAM_ROLE_NAME), "airgap-dev-main-cluster");
        let a = fit(&format!("airgap-{}-{}-cluster", "e".repeat(32), "a".repeat(60)), 64);
        let b = fit(&format!("airgap-{}-{}-node", "e".repeat(32), "a".repeat(60)), 64);
        assert!(a.len() <= 64 && b.len() <= 64, "{a} {b}");
        assert_ne!(a, b, "same prefix, different names");
        assert_eq!(a, fit(&format!("airgap-{}-{}-cluster", "e".repeat(32), "a".repeat(60)), 64));
        let exactly = "x".repeat(64);
        assert_eq!(fit(&exactly, 64), exactly);
        let over = "x".repeat(65);
        assert_eq!(
            fit(&over, 64),
            format!("{}-{:08x}", "x".repeat(55), fnv1a(&[over.as_bytes()]) as u32)
        );
    }

    #[test]
    fn az_letters_are_what_follows_the_region() {
        assert_eq!(az_letter("eu-central-1a"), "a");
        assert_eq!(az_letter("us-east-1f"), "f");
    }
}
