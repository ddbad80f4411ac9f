//! Static knowledge about AWS: regions and their AZs, endpoint services,
//! add-ons. Kept static so validation never needs credentials or network.

/// Commercial regions with the AZ letters an account normally sees.
///
/// Letters are not always contiguous (ap-northeast-1 has no `b`, new
/// accounts in us-west-1 get `b` and `c`), so a count expands to the first
/// letters of this list.
pub const REGIONS: &[(&str, &str)] = &[
    ("af-south-1", "abc"),
    ("ap-east-1", "abc"),
    ("ap-northeast-1", "acd"),
    ("ap-northeast-2", "abcd"),
    ("ap-northeast-3", "abc"),
    ("ap-south-1", "abc"),
    ("ap-south-2", "abc"),
    ("ap-southeast-1", "abc"),
    ("ap-southeast-2", "abc"),
    ("ap-southeast-3", "abc"),
    ("ap-southeast-4", "abc"),
    ("ap-southeast-5", "abc"),
    ("ap-southeast-7", "abc"),
    ("ca-central-1", "abd"),
    ("ca-west-1", "abc"),
    ("eu-central-1", "abc"),
    ("eu-central-2", "abc"),
    ("eu-north-1", "abc"),
    ("eu-south-1", "abc"),
    ("eu-south-2", "abc"),
    ("eu-west-1", "abc"),
    ("eu-west-2", "abc"),
    ("eu-west-3", "abc"),
    ("il-central-1", "abc"),
    ("me-central-1", "abc"),
    ("me-south-1", "abc"),
    ("mx-central-1", "abc"),
    ("sa-east-1", "abc"),
    ("us-east-1", "abcdef"),
    ("us-east-2", "abc"),
    ("us-west-1", "bc"),
    ("us-west-2", "abcd"),
];

/// AZ letters of a known region, or `None` for a region not in [`REGIONS`].
pub fn az_letters(region: &str) -> Option<&'static str> {
    REGIONS.iter().find(|(r, _)| *r == region).map(|(_, l)| *l)
}

/// Services that have a gateway endpoint.
pub const GATEWAY_SERVICES: &[&str] = &["s3", "dynamodb"];

/// Interface endpoint services known to be useful in an air-gapped EKS
/// environment (the catalogue's list). Names are the suffix of
/// `com.amazonaws.<region>.<name>`.
pub use airgap_catalog::dns::INTERFACE_SERVICES;

/// The private DNS name of an interface endpoint of `service` (the catalogue's table):
/// what a central endpoint's private hosted zone answers. `None`: no zone of ours can
/// serve it (S3, DynamoDB).
pub fn private_dns_name(service: &str, region: &str) -> Option<String> {
    airgap_catalog::dns::private_dns_name(service, region)
}

/// Whether `service` can be a central endpoint (see [`private_dns_name`]).
pub fn centralizable(service: &str) -> bool {
    private_dns_name(service, "region").is_some()
}

/// The interface endpoints a private EKS cluster with managed node groups
/// needs; the default when a VPC does not list `endpoints`.
pub const EKS_INTERFACE_DEFAULT: &[&str] = &[
    "ecr.api",
    "ecr.dkr",
    "sts",
    "ec2",
    "logs",
    "eks",
    "eks-auth",
    "elasticloadbalancing",
    "autoscaling",
];

/// EKS add-ons that are published by AWS and can be installed without
/// reaching a marketplace.
pub const ADDONS: &[&str] = &[
    "adot",
    "amazon-cloudwatch-observability",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "aws-guardduty-agent",
    "aws-mountpoint-s3-csi-driver",
    "coredns",
    "eks-node-monitoring-agent",
    "eks-pod-identity-agent",
    "kube-proxy",
    "snapshot-controller",
    "vpc-cni",
];

/// EKS managed node group AMI types.
pub const AMI_TYPES: &[&str] = &[
    "AL2023_x86_64_STANDARD",
    "AL2023_ARM_64_STANDARD",
    "AL2023_x86_64_NVIDIA",
    "AL2023_x86_64_NEURON",
    "AL2_x86_64",
    "AL2_x86_64_GPU",
    "AL2_ARM_64",
    "BOTTLEROCKET_x86_64",
    "BOTTLEROCKET_ARM_64",
    "BOTTLEROCKET_x86_64_NVIDIA",
    "BOTTLEROCKET_ARM_64_NVIDIA",
];

/// EKS control plane log types.
pub const CLUSTER_LOG_TYPES: &[&str] =
    &["api", "audit", "authenticator", "controllerManager", "scheduler"];

/// Retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// Levenshtein edit distance, used for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a typo
/// (distance at most a third of the word's length, at least 1, case-insensitive).
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = word.chars().count();
    let limit = (len / 3).max(1);
    let lw = word.to_ascii_lowercase();
    candidates
        .into_iter()
        // The distance is at least the difference in length; without this, a long value
        // (a hostile file's kilobytes) costs its length times every candidate's.
        .filter(|c| c.chars().count().abs_diff(len) <= limit)
        .map(|c| (edit_distance(&lw, &c.to_ascii_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(did_you_mean("eu-centrl-1", REGIONS.iter().map(|r| r.0)), Some("eu-central-1"));
        assert_eq!(did_you_mean("cidrr", ["cidr", "name"]), Some("cidr"));
        assert_eq!(did_you_mean("zzzzzz", ["cidr", "name"]), None);
        assert_eq!(did_you_mean("ApiVersion", ["apiVersion"]), Some("apiVersion"));
        assert_eq!(did_you_mean("cidr-cidr-cidr", ["cidr"]), None);
    }

    #[test]
    fn tables_are_sorted_and_unique() {
        for w in REGIONS.windows(2) {
            assert!(w[0].0 < w[1].0, "{} / {}", w[0].0, w[1].0);
        }
        for w in INTERFACE_SERVICES.windows(2) {
            assert!(w[0] < w[1]);
        }
        for s in EKS_INTERFACE_DEFAULT {
            assert!(INTERFACE_SERVICES.contains(s));
        }
        assert_eq!(az_letters("us-east-1"), Some("abcdef"));
        assert_eq!(az_letters("mars-north-1"), None);
    }
}
