//! The Kubernetes versions EKS offers, and when EKS stops running each.
//!
//! Source: the EKS user guide, "Understand the Kubernetes version lifecycle on EKS" (14
//! months of standard support, then 12 of extended support; a cluster still on the
//! version afterwards is upgraded by EKS), and its release calendar as published in
//! February 2026 ([`AS_OF`]). EKS adds a minor version about every four months: a
//! version newer than the table is not refused here (EKS decides), one older than its
//! first entry is.

/// When the table was taken from EKS's release calendar.
pub const AS_OF: &str = "2026-02";

/// (minor version of 1.x, last day of extended support), oldest first.
pub const EKS_VERSIONS: &[(u32, &str)] = &[
    (28, "2025-11-26"),
    (29, "2026-03-23"),
    (30, "2026-07-23"),
    (31, "2026-11-26"),
    (32, "2027-03-23"),
    (33, "2027-07-29"),
    (34, "2027-12-02"),
    (35, "2028-03-27"),
];

/// The minor of a `1.NN` version.
pub fn minor(v: &str) -> Option<u32> {
    v.strip_prefix("1.")?.parse().ok()
}

/// The oldest version the table knows.
pub fn oldest() -> u32 {
    EKS_VERSIONS[0].0
}

/// The last day EKS runs `version` (end of extended support), if the table knows it.
pub fn end_of_support(version: &str) -> Option<&'static str> {
    let m = minor(version)?;
    EKS_VERSIONS.iter().find(|(v, _)| *v == m).map(|(_, end)| *end)
}

/// The account of the regional ECR registry EKS serves its add-on images from (vpc-cni,
/// coredns, kube-proxy, ...). Nodes pull them through the VPC's ECR endpoints, so an
/// endpoint policy must let those pulls through. Source: the EKS user guide, "View Amazon
/// container image registries for Amazon EKS add-ons" (the same table is in
/// awslabs/amazon-eks-ami's ECR lookup): one account for the regions open by default,
/// one of its own for each opt-in region and partition.
pub fn eks_addon_registry_account(region: &str) -> &'static str {
    match region {
        "af-south-1" => "877085696533",
        "ap-east-1" => "800184023465",
        "ap-east-2" => "533267051163",
        "ap-south-2" => "900889452093",
        "ap-southeast-3" => "296578399912",
        "ap-southeast-4" => "491585149902",
        "ap-southeast-5" => "151610086707",
        "ap-southeast-6" => "333609536671",
        "ap-southeast-7" => "121268973566",
        "ca-west-1" => "761377655185",
        "cn-north-1" => "918309763551",
        "cn-northwest-1" => "961992271922",
        "eu-central-2" => "900612956339",
        "eu-south-1" => "590381155156",
        "eu-south-2" => "455263428931",
        "il-central-1" => "066635153087",
        "me-central-1" => "759879836304",
        "me-south-1" => "558608220178",
        "mx-central-1" => "730335286997",
        "us-gov-east-1" => "151742754352",
        "us-gov-west-1" => "013241004608",
        _ => "602401143452",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_order_and_answers_by_version() {
        assert!(EKS_VERSIONS.windows(2).all(|w| w[0].0 + 1 == w[1].0 && w[0].1 < w[1].1));
        assert_eq!(end_of_support("1.31"), Some("2026-11-26"));
        assert_eq!(end_of_support("1.12"), None);
        assert_eq!((minor("1.9"), minor("2.0"), minor("1.x")), (Some(9), None, None));
    }
}
