//! The catalogue of resource kinds: for each kind, its name, what AWS cannot change in
//! place (replace fields and mode), how long AWS takes (create, update, delete and a
//! timeout) and which API rate-limit buckets its calls draw from; and the typed specs
//! ([`spec`]) that the blueprint expansion writes and the AWS kinds read.
//!
//! Everything else reads these facts from here: the AWS kinds (`airgap-aws`), the
//! simulated cloud and the scheduling benchmark (`airgap-engine`, which is given them),
//! the CLI, and the LocalStack extension's time model (`localstack/airgap_ext/timings.json`
//! is generated from [`timings_json`] and a test keeps it in step).
//!
//! Durations come from `../shared/reference/aws-timings.md`; where it says "unverified",
//! the figure is an estimate and the line says so.

pub mod dns;
pub mod iam;
pub mod iam_policy;
pub mod k8s;
pub mod kinds;
pub mod names;
pub mod sim;
pub mod spec;

use airgap_engine::RateLimits;
pub use airgap_engine::{KindFacts, ReplaceMode, Timing};
pub use kinds::*;

/// Calls `$m!` with every kind's name, in the order a provider registers them: the one
/// list that both the catalogue ([`ALL`]) and the IAM table ([`iam::KINDS`]) are made
/// from, each resolving the names in its own module, so neither can miss a kind.
macro_rules! every_kind {
    ($m:ident) => {
        $m![
            VPC,
            SUBNET,
            ROUTE_TABLE,
            ROUTE_TABLE_ASSOCIATION,
            ROUTE,
            INTERNET_GATEWAY,
            ELASTIC_IP,
            NAT_GATEWAY,
            SECURITY_GROUP,
            SECURITY_GROUP_RULE,
            TRANSIT_GATEWAY,
            TGW_ROUTE_TABLE,
            TGW_ASSOCIATION,
            TGW_PROPAGATION,
            TGW_ROUTE,
            TGW_ATTACHMENT,
            TGW_ATTACHMENT_ACCEPTER,
            LAUNCH_TEMPLATE,
            VPC_ENDPOINT_INTERFACE,
            VPC_ENDPOINT_GATEWAY,
            RAM_SHARE,
            RAM_ASSOCIATION,
            RAM_INVITATION_ACCEPTER,
            LOG_GROUP,
            NFW_RULE_GROUP,
            NFW_POLICY,
            FIREWALL,
            IAM_ROLE,
            IAM_ROLE_POLICY,
            KMS_KEY,
            KMS_ALIAS,
            EKS_CLUSTER,
            EKS_NODEGROUP,
            EKS_ADDON,
            EKS_ACCESS_ENTRY,
            ECR_REPOSITORY,
            ROUTE53_ZONE,
            ROUTE53_ASSOCIATION,
            VPN_PKI,
            CLIENT_VPN_ENDPOINT,
            RESOLVER_ENDPOINT,
            TARGET_GROUP,
            LOAD_BALANCER,
            ENDPOINT_SERVICE,
            ECR_REGISTRY_SCANNING,
        ]
    };
}
pub(crate) use every_kind;

/// `&[&A, &B, ...]` from a list of item names.
macro_rules! refs {
    ($($k:ident),* $(,)?) => { &[$(&$k),*] };
}
pub(crate) use refs;

/// Every kind, in the order a provider registers them.
pub const ALL: &[&KindFacts] = every_kind!(refs);

/// The kind of that name.
pub fn get(name: &str) -> Option<&'static KindFacts> {
    ALL.iter().copied().find(|k| k.name == name)
}

/// The API rate limits AWS applies per account and region: the EC2 buckets AWS
/// documents, and conservative guesses for services that publish none. The executor
/// meters its own calls with them, and the simulated cloud throttles with them.
pub fn rate_limits() -> RateLimits {
    let mut r = RateLimits::none();
    // EC2: https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html
    r.set(EC2_DESCRIBE, 100.0, 20.0);
    r.set(EC2_MUTATE, 50.0, 5.0);
    r.set(EC2_ENDPOINT, 4.0, 0.3);
    r.set(EC2_NAT, 10.0, 1.0);
    r.set(EC2_TAGS, 100.0, 10.0);
    // Unpublished: EKS throttles DescribeCluster under heavy polling; stay modest.
    r.set(EKS, 20.0, 5.0);
    r.set(RAM, 20.0, 5.0);
    r.set(NFW, 20.0, 5.0);
    r.set(IAM, 20.0, 10.0);
    r.set(KMS, 50.0, 20.0);
    r.set(LOGS, 20.0, 5.0);
    r.set(ECR, 20.0, 10.0);
    // Route 53: "five requests per second per AWS account" for all its API calls
    // (Developer Guide, "Quotas on API requests").
    r.set(ROUTE53, 5.0, 5.0);
    // ACM and Secrets Manager: unpublished for these calls; a few a second is plenty.
    r.set(ACM, 10.0, 5.0);
    // Route 53 Resolver: unpublished; its calls here are a few per endpoint.
    r.set(RESOLVER, 5.0, 5.0);
    // ELB: unpublished; a few calls per load balancer.
    r.set(ELB, 10.0, 5.0);
    r
}

/// What airgapctl itself sends: AWS's buckets less a cushion on EC2's shared mutating
/// bucket. The executor takes one token when an operation starts, but an operation's
/// later calls (the mark written after a route or a link, the mark removed after a
/// delete) reach AWS when the first call returns, and returns bunch up under load: at
/// the bucket's full size such a bunch can meet an empty bucket (measured at AWS's real
/// rates: 3 DeleteTags refused in one hub-spoke destroy). Other tools in the account
/// draw on the same buckets too.
pub fn client_limits() -> RateLimits {
    let mut r = rate_limits();
    r.set(EC2_MUTATE, 40.0, 5.0);
    r
}

/// Every bucket name the catalogue uses, for reports of the limits in force.
pub fn buckets() -> Vec<&'static str> {
    let mut b: Vec<&'static str> = ALL.iter().flat_map(|k| [k.bucket, k.read_bucket]).collect();
    b.sort_unstable();
    b.dedup();
    b
}

/// The durations the LocalStack extension's time model uses, as JSON:
/// `{"kind": {"create": s, "update": s, "delete": s}}`. Generated into
/// `localstack/airgap_ext/timings.json`, so the emulator and the engine never disagree
/// on how long AWS takes.
pub fn timings_json() -> String {
    // BTreeMaps, not serde_json's Map: its key order depends on a cargo feature
    // (preserve_order) that another crate of the build may switch on.
    let out: std::collections::BTreeMap<&str, std::collections::BTreeMap<&str, u64>> = ALL
        .iter()
        .map(|k| {
            let t = k.timing;
            let phases = [
                ("create", t.create.as_secs()),
                ("update", t.update.as_secs()),
                ("delete", t.delete.as_secs()),
            ];
            (k.name, phases.into_iter().collect())
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&out).expect("a map of numbers serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for k in ALL {
            assert_eq!(get(k.name).map(|f| f.name), Some(k.name));
        }
        let mut names: Vec<_> = ALL.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len(), "a kind is listed twice");
    }

    #[test]
    fn every_bucket_has_a_limit() {
        let limits = rate_limits();
        for b in buckets() {
            assert!(limits.get(b).is_some(), "bucket {b} has no limit");
        }
    }

    #[test]
    fn timings_are_ordered_and_bounded() {
        for k in ALL {
            let t = k.timing;
            assert!(
                t.create < t.timeout && t.update < t.timeout && t.delete < t.timeout,
                "{}: an expected duration reaches the timeout",
                k.name
            );
        }
    }

    /// The emulator's time model is generated from the catalogue; regenerate it with
    /// `AIRGAP_BLESS=1 cargo test -p airgap-catalog`.
    #[test]
    fn the_emulator_timings_are_generated_from_the_catalogue() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../localstack/airgap_ext/timings.json");
        let want = timings_json();
        if std::env::var_os("AIRGAP_BLESS").is_some() {
            std::fs::write(&path, &want).expect("write timings.json");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is out of date with the catalogue: run AIRGAP_BLESS=1 cargo test -p airgap-catalog",
            path.display()
        );
    }
}
