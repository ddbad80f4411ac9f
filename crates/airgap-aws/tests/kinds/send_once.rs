//! Creates that AWS cannot deduplicate are sent once: a 500 (which AWS may send after
//! the work was done) goes back to the engine as a conflict, whose retry looks the
//! resource up first, instead of the SDK sending the create again and making a second
//! one. Reads on the same client are still retried by the SDK. (aws-smithy-mocks.)

use std::sync::Arc;
use std::time::Duration;

use crate::mock::node;
use airgap_aws::ec2::ElasticIp;
use airgap_catalog::spec::{ElasticIpSpec, Spec};
use airgap_engine::{ErrorClass, Kind};
use aws_sdk_ec2::operation::allocate_address::AllocateAddressOutput;
use aws_sdk_ec2::operation::describe_addresses::DescribeAddressesOutput;
use aws_sdk_ec2::Client;
use aws_smithy_mocks::{mock, Rule};

/// EC2's error answer (query protocol XML).
fn ec2_error(code: &str) -> String {
    format!(
        "<Response><Errors><Error><Code>{code}</Code><Message>injected</Message></Error>\
         </Errors><RequestID>r-1</RequestID></Response>"
    )
}

/// EC2 clients of the mock scope with the SDK's standard retries on (the mocked
/// clients of the other tests have none), answered by `rules`.
fn retrying(rules: &[&Rule]) -> Arc<airgap_aws::ec2::Ec2> {
    let conf = aws_sdk_ec2::Config::builder()
        .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
        .region(aws_sdk_ec2::config::Region::new(crate::mock::REGION))
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "AKID", "SECRET", None, None, "mock",
        ))
        .retry_config(
            aws_sdk_ec2::config::retry::RetryConfig::standard()
                .with_max_attempts(4)
                .with_initial_backoff(Duration::from_millis(1)),
        )
        .http_client(aws_smithy_mocks::create_mock_http_client())
        .interceptor(crate::mock::interceptor(rules))
        .build();
    let mut clients = airgap_aws::clients::PerScope::new();
    clients.insert(&crate::mock::scope(), Client::from_conf(conf));
    Arc::new(clients)
}

/// AllocateAddress answering an error first, then an address.
fn allocate_after(status: u16, code: &str) -> Rule {
    mock!(Client::allocate_address)
        .sequence()
        .http_status(status, Some(ec2_error(code)))
        .output(|| AllocateAddressOutput::builder().allocation_id("eipalloc-2").build())
        .build()
}

/// The Elastic IP kind's create, on clients answered by `lookup` and `allocate`.
async fn create(
    lookup: &Rule,
    allocate: &Rule,
) -> Result<airgap_engine::Created, airgap_engine::KindError> {
    ElasticIp(retrying(&[lookup, allocate]))
        .create(&node("vpc/inspection/eip/a", ElasticIpSpec {}.to_attrs()))
        .await
}

#[tokio::test]
async fn a_create_without_an_idempotency_key_is_not_resent_by_the_sdk() {
    // The lookup: a 500 first, retried by the SDK, then nothing found.
    let lookup = mock!(Client::describe_addresses)
        .sequence()
        .http_status(500, Some(ec2_error("InternalError")))
        .output(|| DescribeAddressesOutput::builder().build())
        .build();
    // AllocateAddress: a 500 that may hide an address made; a second call would make
    // another.
    let allocate = allocate_after(500, "InternalError");
    let err = create(&lookup, &allocate).await.expect_err("the 500 reaches the engine");
    assert_eq!(err.class, ErrorClass::Conflict, "{err}");
    assert_eq!(allocate.num_calls(), 1, "AllocateAddress was sent again");
    assert_eq!(lookup.num_calls(), 2, "the read was retried by the SDK");
}

#[tokio::test]
async fn throttling_of_a_create_sent_once_stays_throttling() {
    let lookup = mock!(Client::describe_addresses)
        .then_output(|| DescribeAddressesOutput::builder().build());
    let allocate = allocate_after(503, "RequestLimitExceeded");
    let err = create(&lookup, &allocate).await.expect_err("throttled");
    assert_eq!(err.class, ErrorClass::Throttled, "{err}");
    assert_eq!(allocate.num_calls(), 1);
}
