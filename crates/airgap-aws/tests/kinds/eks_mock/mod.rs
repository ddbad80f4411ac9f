//! What the EKS kinds' mocked tests share: an EKS client answering from
//! aws-smithy-mocks rules, and the env's one cluster as `ListClusters` and
//! `DescribeCluster` show it.

// Not every module of the test binary uses every helper.
#![allow(dead_code)]

use std::sync::Arc;

use airgap_aws::eks::Eks;
use airgap_engine::Scope;
use aws_sdk_eks::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_eks::error::ErrorMetadata;
use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_eks::operation::list_clusters::ListClustersOutput;
use aws_sdk_eks::types::{Cluster, ClusterStatus};
use aws_sdk_eks::Client;
use aws_smithy_mocks::{mock, MockResponseInterceptor, Rule, RuleMode};

pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "eu-central-1";
pub const ENV: &str = "demo";
pub const CLUSTER: &str = "demo-apps";
pub const CLUSTER_ARN: &str = "arn:aws:eks:eu-central-1:111111111111:cluster/demo-apps";
pub const CLUSTER_NODE: &str = "cluster/apps";

pub fn scope() -> Scope {
    Scope::new(ACCOUNT, REGION)
}

/// A node of [`ENV`] in [`scope`] with resolved attributes.
pub fn node(id: &str, attrs: airgap_engine::Attrs) -> airgap_engine::Resolved {
    airgap_engine::Resolved {
        env: ENV.into(),
        id: id.into(),
        scope: scope(),
        attrs,
        replaces: None,
    }
}

/// EKS clients for [`scope`] whose calls the `rules` answer, in any order.
pub fn eks(rules: &[&Rule]) -> Arc<Eks> {
    let mut interceptor = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        interceptor = interceptor.with_rule(r);
    }
    let conf = aws_sdk_eks::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("AKID", "SECRET", None, None, "mock"))
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(interceptor)
        .build();
    let mut eks = Eks::new();
    eks.insert(&scope(), Client::from_conf(conf));
    Arc::new(eks)
}

/// A service error with `code`.
pub fn error(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(format!("{code} (mocked)")).build()
}

/// The standard tags of node `id` of [`ENV`].
pub fn tags(id: &str) -> std::collections::HashMap<String, String> {
    [
        ("airgap:env", ENV.to_string()),
        ("airgap:id", id.to_string()),
        ("airgap:managed-by", "airgapctl".to_string()),
        ("Name", format!("{ENV}/{id}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The env's cluster in `status`, as EKS shows it before the spec's details.
pub fn env_cluster(status: ClusterStatus) -> aws_sdk_eks::types::builders::ClusterBuilder {
    Cluster::builder()
        .name(CLUSTER)
        .arn(CLUSTER_ARN)
        .status(status)
        .set_tags(Some(tags(CLUSTER_NODE)))
}

/// The env's cluster, ACTIVE, as `DescribeCluster` shows it (with `more` added).
pub fn cluster(
    more: impl Fn(
            aws_sdk_eks::types::builders::ClusterBuilder,
        ) -> aws_sdk_eks::types::builders::ClusterBuilder
        + Send
        + Sync
        + 'static,
) -> [Rule; 2] {
    let listed = mock!(Client::list_clusters)
        .then_output(|| ListClustersOutput::builder().clusters(CLUSTER).build());
    let described = mock!(Client::describe_cluster)
        .match_requests(|r| r.name() == Some(CLUSTER))
        .then_output(move || {
            DescribeClusterOutput::builder()
                .cluster(more(env_cluster(ClusterStatus::Active)).build())
                .build()
        });
    [listed, described]
}
