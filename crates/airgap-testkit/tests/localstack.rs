//! The test kit against a real LocalStack (started by `LocalStack::connect` when it is not running),
//! through the real AWS SDK. Every test uses fresh accounts, so they run in parallel.

use airgap_testkit::{Account, LocalStack, TestkitError};
use aws_sdk_ec2::config::retry::RetryConfig;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types::{Filter, ResourceType, Tag, TagSpecification};
use aws_types::SdkConfig;
use serde_json::json;

type TestResult = Result<(), Box<dyn std::error::Error>>;

const TAG: &str = "airgap-testkit";

async fn localstack() -> LocalStack {
    match LocalStack::connect().await {
        Ok(ls) => ls,
        Err(e) => panic!("LocalStack: {e}"),
    }
}

fn ec2_with_attempts(config: &SdkConfig, attempts: u32) -> aws_sdk_ec2::Client {
    let conf = aws_sdk_ec2::config::Builder::from(config)
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
        .build();
    aws_sdk_ec2::Client::from_conf(conf)
}

async fn create_tagged_vpc(
    ec2: &aws_sdk_ec2::Client,
    marker: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let out = ec2
        .create_vpc()
        .cidr_block("10.42.0.0/16")
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::Vpc)
                .tags(Tag::builder().key(TAG).value(marker).build())
                .build(),
        )
        .send()
        .await?;
    Ok(out.vpc().and_then(|v| v.vpc_id()).ok_or("CreateVpc returned no VpcId")?.to_string())
}

async fn vpcs_tagged(
    ec2: &aws_sdk_ec2::Client,
    marker: &str,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let out = ec2
        .describe_vpcs()
        .filters(Filter::builder().name(format!("tag:{TAG}")).values(marker).build())
        .send()
        .await?;
    Ok(out.vpcs().iter().filter_map(|v| v.vpc_id().map(str::to_string)).collect())
}

fn rule_by_id(rules: &[serde_json::Value], id: &str) -> serde_json::Value {
    rules
        .iter()
        .find(|r| r["id"].as_str() == Some(id))
        .cloned()
        .unwrap_or_else(|| panic!("rule {id} not listed in {rules:?}"))
}

#[tokio::test]
async fn fresh_accounts_are_distinct_twelve_digit_ids() {
    let ls = localstack().await;
    let ids: std::collections::HashSet<Account> = (0..500).map(|_| ls.fresh_account()).collect();
    assert_eq!(ids.len(), 500);
    for a in &ids {
        assert_eq!(a.id().len(), 12);
        assert!(a.id().bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(a.id(), "000000000000");
    }
}

#[tokio::test]
async fn assumed_role_lands_in_its_own_account() -> TestResult {
    let ls = localstack().await;
    for account in [ls.account().await?, ls.account().await?] {
        let config = ls.sdk_config(&account).await?;
        assert_eq!(config.region().map(|r| r.as_ref()), Some("eu-central-1"));
        let me = aws_sdk_sts::Client::new(&config).get_caller_identity().send().await?;
        assert_eq!(me.account(), Some(account.id()));
        let arn = me.arn().unwrap_or_default();
        assert!(
            arn.contains(&format!(":{}:assumed-role/airgap-deployer/airgap-testkit", account.id())),
            "{arn}"
        );
    }
    // An account without the deployer role: STS refuses, as AWS does.
    let bare = ls.fresh_account();
    match ls.sdk_config(&bare).await {
        Err(airgap_testkit::TestkitError::AssumeRole { detail, .. }) => {
            assert!(detail.contains("AccessDenied"), "{detail}")
        }
        other => panic!("assumed a role that does not exist: {other:?}"),
    }
    // the base config is LocalStack's default account
    let base = ls.base_config().await;
    let me = aws_sdk_sts::Client::new(&base).get_caller_identity().send().await?;
    assert_eq!(me.account(), Some("000000000000"));
    Ok(())
}

#[tokio::test]
async fn vpcs_are_isolated_between_accounts_and_regions() -> TestResult {
    let ls = localstack().await;
    let (owner, other) = (ls.account().await?, ls.account().await?);
    let marker = format!("vpc-isolation-{owner}");
    let owner_ec2 = aws_sdk_ec2::Client::new(&ls.sdk_config(&owner).await?);
    let other_ec2 = aws_sdk_ec2::Client::new(&ls.sdk_config(&other).await?);

    let vpc_id = create_tagged_vpc(&owner_ec2, &marker).await?;
    assert_eq!(vpcs_tagged(&owner_ec2, &marker).await?, vec![vpc_id.clone()]);
    assert_eq!(vpcs_tagged(&other_ec2, &marker).await?, Vec::<String>::new());

    // same account, another region: not there either
    let west = ls.clone().with_region("us-west-2");
    let west_config = west.sdk_config(&owner).await?;
    assert_eq!(west_config.region().map(|r| r.as_ref()), Some("us-west-2"));
    let west_ec2 = aws_sdk_ec2::Client::new(&west_config);
    assert_eq!(vpcs_tagged(&west_ec2, &marker).await?, Vec::<String>::new());

    owner_ec2.delete_vpc().vpc_id(&vpc_id).send().await?;
    assert_eq!(vpcs_tagged(&owner_ec2, &marker).await?, Vec::<String>::new());
    Ok(())
}

#[tokio::test]
async fn injected_fault_reaches_the_sdk_in_its_account_only() -> TestResult {
    let ls = localstack().await;
    let (target, bystander) = (ls.account().await?, ls.account().await?);
    let ec2 = ec2_with_attempts(&ls.sdk_config(&target).await?, 1);
    let bystander_ec2 = ec2_with_attempts(&ls.sdk_config(&bystander).await?, 1);

    let fault = ls
        .inject_fault(json!({
            "service": "ec2", "operation": "DescribeVpcs", "fault": "throttling",
            "count": 1, "account": target.id(),
        }))
        .await?;
    assert_eq!(fault.rule["fault"], "throttling");
    assert_eq!(fault.rule["account"], target.id());

    // another account's call does not consume the rule
    bystander_ec2.describe_vpcs().send().await?;
    assert_eq!(rule_by_id(&ls.faults().await?, &fault.id)["remaining"], 1);

    let err = ec2.describe_vpcs().send().await.expect_err("the injected throttling");
    assert_eq!(err.code(), Some("RequestLimitExceeded"), "{err:?}");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(503));
    let rule = rule_by_id(&ls.faults().await?, &fault.id);
    assert_eq!((rule["hits"].as_u64(), rule["remaining"].as_u64()), (Some(1), Some(0)));

    // count exhausted: the next call goes through
    ec2.describe_vpcs().send().await?;
    ls.remove_fault(&fault.id).await?;
    assert!(ls.faults().await?.iter().all(|r| r["id"].as_str() != Some(fault.id.as_str())));
    Ok(())
}

#[tokio::test]
async fn sdk_retries_absorb_injected_server_errors_and_overrides_apply() -> TestResult {
    let ls = localstack().await;
    let account = ls.account().await?;
    let config = ls.sdk_config(&account).await?;

    // two 500s, then success: the standard retry policy (3 attempts) hides them
    let flaky = ls
        .inject_fault(json!({
            "service": "ec2", "operation": "DescribeSubnets", "fault": "server_error",
            "count": 2, "account": account.id(),
        }))
        .await?;
    ec2_with_attempts(&config, 3).describe_subnets().send().await?;
    assert_eq!(rule_by_id(&ls.faults().await?, &flaky.id)["hits"], 2);
    ls.remove_fault(&flaky.id).await?;

    // code/status/message overrides, on another service (STS, query protocol)
    let custom = ls
        .inject_fault(json!({
            "service": "sts", "operation": "GetCallerIdentity", "fault": "server_error",
            "code": "AccessDenied", "status": 403, "message": "injected by airgap-testkit",
            "account": account.id(),
        }))
        .await?;
    let err = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await
        .expect_err("the injected AccessDenied");
    assert_eq!(err.code(), Some("AccessDenied"), "{err:?}");
    assert_eq!(err.message(), Some("injected by airgap-testkit"));
    ls.remove_fault(&custom.id).await?;
    Ok(())
}

#[tokio::test]
async fn invalid_fault_rules_are_rejected_with_the_extensions_message() {
    let ls = localstack().await;
    let err = ls
        .inject_fault(json!({"service": "ec2", "fault": "meteor_strike"}))
        .await
        .expect_err("an unknown fault");
    match err {
        TestkitError::Status { status, body, .. } => {
            assert_eq!(status, 400);
            assert!(body.contains("'fault' must be one of"), "{body}");
        }
        other => panic!("expected a 400, got {other:?}"),
    }
    let err = ls.remove_fault("no-such-rule").await.expect_err("unknown rule id");
    assert!(matches!(err, TestkitError::Status { status: 404, .. }), "{err:?}");
}

#[tokio::test]
async fn time_scale_is_per_account_and_round_trips() -> TestResult {
    let ls = localstack().await;
    let (tuned, untouched) = (ls.fresh_account(), ls.fresh_account());
    let global = ls.airgap_config().await?["time_scale"].as_f64().ok_or("no global time_scale")?;

    ls.set_time_scale(&tuned, 0.25).await?;
    assert_eq!(ls.time_scale(&tuned).await?, 0.25);
    assert_eq!(ls.time_scale(&untouched).await?, global);
    let config = ls.airgap_config().await?;
    assert_eq!(config["account_time_scales"][tuned.id()], 0.25);
    assert!(config["account_time_scales"].get(untouched.id()).is_none());

    ls.set_time_scale(&tuned, 0.0).await?;
    assert_eq!(ls.time_scale(&tuned).await?, 0.0);

    let err = ls.set_time_scale(&tuned, -1.0).await.expect_err("negative scale");
    assert!(matches!(err, TestkitError::Status { status: 400, .. }), "{err:?}");
    assert_eq!(ls.time_scale(&tuned).await?, 0.0);
    Ok(())
}

#[tokio::test]
async fn a_remote_endpoint_that_does_not_answer_is_not_started() {
    let err = LocalStack::connect_to("http://airgap-testkit.invalid:4566")
        .await
        .expect_err("nothing answers there");
    match &err {
        TestkitError::Unreachable { endpoint, .. } => {
            assert_eq!(endpoint, "http://airgap-testkit.invalid:4566")
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
    assert!(matches!(
        LocalStack::connect_to("https://127.0.0.1:4566").await,
        Err(TestkitError::InvalidEndpoint { .. })
    ));
}
