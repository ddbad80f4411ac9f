//! What the mocked tests of every service share: one account and region, and the
//! clients of a service whose calls the mock rules answer.

// Each test file uses a part of it.
#![allow(dead_code)]

use airgap_engine::Scope;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode};

pub const ACCOUNT: &str = "111111111111";
pub const REGION: &str = "eu-central-1";
pub const ENV: &str = "demo";

pub fn scope() -> Scope {
    Scope::new(ACCOUNT, REGION)
}

/// An interceptor answering with the first of `rules` that matches each call.
pub fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    let mut i = MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny);
    for r in rules {
        i = i.with_rule(r);
    }
    i
}

/// The clients (`PerScope`, in an `Arc`) of SDK crate `$sdk` for [`scope`], answered by
/// the mock `$rules`. A macro: the SDKs' configs share no trait.
macro_rules! mocked {
    ($sdk:ident, $rules:expr) => {{
        let conf = $sdk::Config::builder()
            .behavior_version($sdk::config::BehaviorVersion::latest())
            .region($sdk::config::Region::new($crate::mock::REGION))
            .credentials_provider($sdk::config::Credentials::new(
                "AKID", "SECRET", None, None, "mock",
            ))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor($crate::mock::interceptor($rules))
            .build();
        let mut clients = airgap_aws::clients::PerScope::new();
        clients.insert(&$crate::mock::scope(), $sdk::Client::from_conf(conf));
        std::sync::Arc::new(clients)
    }};
}
