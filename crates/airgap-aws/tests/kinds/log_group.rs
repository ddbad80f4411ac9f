//! The firewall's log groups against mocked CloudWatch Logs responses: new groups are
//! named under `/aws/vendedlogs/` (one vended-logs resource policy for any number of
//! environments, CloudWatch Logs' 5,120-character cap on such policies), and groups an
//! environment made under the earlier `/airgap/` prefix are still observed, so destroy
//! and replacement find them.

use std::collections::HashMap;

use crate::mock::{node, scope, ENV};
use airgap_aws::logs::{LogGroupKind, LEGACY_LOG_GROUP_PREFIX, LOG_GROUP_PREFIX};
use airgap_catalog::spec::{LogGroupSpec, Spec};
use airgap_engine::{ErrorClass, Kind};
use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
use aws_sdk_cloudwatchlogs::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_cloudwatchlogs::types::LogGroup;
use aws_sdk_cloudwatchlogs::Client;
use aws_smithy_mocks::{mock, Rule};

fn group(name: &str) -> LogGroup {
    LogGroup::builder()
        .log_group_name(name)
        .log_group_arn(format!("arn:aws:logs:eu-central-1:111111111111:log-group:{name}"))
        .retention_in_days(30)
        .build()
}

/// DescribeLogGroups answering `groups` for the prefix they start with.
fn listing(prefix: &'static str, groups: Vec<LogGroup>) -> Rule {
    mock!(Client::describe_log_groups)
        .match_requests(move |r| r.log_group_name_prefix() == Some(prefix))
        .then_output(move || {
            DescribeLogGroupsOutput::builder().set_log_groups(Some(groups.clone())).build()
        })
}

fn tagged(id: &str) -> HashMap<String, String> {
    HashMap::from([
        ("airgap:env".to_string(), ENV.to_string()),
        ("airgap:id".to_string(), id.to_string()),
        ("airgap:managed-by".to_string(), "airgapctl".to_string()),
    ])
}

#[tokio::test]
async fn observe_finds_groups_under_both_the_vended_logs_and_the_earlier_prefix() {
    let new = format!("{LOG_GROUP_PREFIX}{ENV}/firewall/alert");
    let old = format!("{LEGACY_LOG_GROUP_PREFIX}{ENV}/firewall/flow");
    let tags = mock!(Client::list_tags_for_resource).then_output(|| {
        ListTagsForResourceOutput::builder().set_tags(Some(tagged("firewall/logs/x"))).build()
    });
    let (a, b) = (
        listing(LOG_GROUP_PREFIX, vec![group(&new)]),
        listing(LEGACY_LOG_GROUP_PREFIX, vec![group(&old)]),
    );
    let kind = LogGroupKind(mocked!(aws_sdk_cloudwatchlogs, &[&a, &b, &tags]));
    let found = kind.observe(ENV, &scope()).await.unwrap();
    let names: Vec<String> =
        found.iter().map(|o| LogGroupSpec::from_attrs(&o.attrs).unwrap().name).collect();
    assert_eq!(names, [new, old]);
    assert_eq!((a.num_calls(), b.num_calls(), tags.num_calls()), (1, 1, 2));
}

#[tokio::test]
async fn create_refuses_a_name_outside_the_vended_logs_prefix_before_any_call() {
    let list = listing(LOG_GROUP_PREFIX, vec![]);
    let kind = LogGroupKind(mocked!(aws_sdk_cloudwatchlogs, &[&list]));
    let spec = LogGroupSpec { name: format!("/airgap/{ENV}/firewall/alert"), retention_days: None };
    let e = kind.create(&node("firewall/logs/alert", spec.to_attrs())).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Fatal);
    assert!(e.to_string().contains(LOG_GROUP_PREFIX), "{e}");
    assert_eq!(list.num_calls(), 0);
}
