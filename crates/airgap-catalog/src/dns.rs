//! The private DNS names of interface endpoint services: what a central endpoint's
//! private hosted zone answers in the VPCs that use it.

/// Interface endpoint services known to be useful in an air-gapped EKS environment,
/// sorted. Names are the suffix of `com.amazonaws.<region>.<name>`.
pub const INTERFACE_SERVICES: &[&str] = &[
    "autoscaling",
    "cloudformation",
    "dynamodb",
    "ebs",
    "ec2",
    "ec2messages",
    "ecr.api",
    "ecr.dkr",
    "eks",
    "eks-auth",
    "elasticfilesystem",
    "elasticloadbalancing",
    "events",
    "kms",
    "logs",
    "monitoring",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "ssmmessages",
    "sts",
    "xray",
];

/// The private DNS name AWS gives an interface endpoint of `service` in `region` when
/// its private DNS is on (DescribeVpcEndpointServices' `PrivateDnsName`). A leading `*.`
/// is a wildcard (ECR's registry host is `<account>.dkr.ecr.<region>.amazonaws.com`).
/// Sources: the ECR user guide, "Amazon ECR interface VPC endpoints"
/// (`api.ecr.<region>.amazonaws.com`, `*.dkr.ecr.<region>.amazonaws.com`); the EKS user
/// guide, "EKS Pod Identity" (the agent calls `eks-auth.<region>.api.aws`); the
/// PrivateLink guide, "AWS services that integrate with AWS PrivateLink"
/// (`<service>.<region>.amazonaws.com` for the rest).
/// `None`: S3 and DynamoDB, whose interface endpoints' names resolve through their
/// gateway endpoints, which cannot be shared across VPCs; and unknown services.
pub fn private_dns_name(service: &str, region: &str) -> Option<String> {
    match service {
        "s3" | "dynamodb" => None,
        "ecr.api" => Some(format!("api.ecr.{region}.amazonaws.com")),
        "ecr.dkr" => Some(format!("*.dkr.ecr.{region}.amazonaws.com")),
        "eks-auth" => Some(format!("eks-auth.{region}.api.aws")),
        s if INTERFACE_SERVICES.contains(&s) => Some(format!("{s}.{region}.amazonaws.com")),
        _ => None,
    }
}

/// The private hosted zone of a central `service`: its apex (the name without `*.`).
pub fn zone_name(service: &str, region: &str) -> Option<String> {
    private_dns_name(service, region).map(|n| n.trim_start_matches("*.").to_string())
}

/// The service whose zone is `zone` (with or without the trailing dot) in `region`.
pub fn service_of_zone(zone: &str, region: &str) -> Option<&'static str> {
    let zone = zone.trim_end_matches('.').to_ascii_lowercase();
    INTERFACE_SERVICES
        .iter()
        .copied()
        .find(|s| zone_name(s, region).as_deref() == Some(zone.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_zones_round_trip() {
        let r = "eu-central-1";
        assert_eq!(private_dns_name("sts", r).unwrap(), "sts.eu-central-1.amazonaws.com");
        assert_eq!(zone_name("ecr.dkr", r).unwrap(), "dkr.ecr.eu-central-1.amazonaws.com");
        assert_eq!(private_dns_name("s3", r), None);
        for s in INTERFACE_SERVICES.iter().filter(|s| !["s3", "dynamodb"].contains(s)) {
            assert_eq!(service_of_zone(&format!("{}.", zone_name(s, r).unwrap()), r), Some(*s));
        }
        assert_eq!(service_of_zone("example.com", r), None);
    }
}
