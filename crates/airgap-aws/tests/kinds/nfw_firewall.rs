//! The firewall kind against mocked Network Firewall responses (aws-smithy-mocks): its
//! change protections.
//!
//! botocore's CreateFirewallRequest, on `SubnetChangeProtection` and
//! `FirewallPolicyChangeProtection`: "When you create a firewall, the operation initializes
//! this setting to TRUE", and while one is on, AWS refuses the change it protects
//! (AssociateSubnets/DisassociateSubnets, AssociateFirewallPolicy). airgapctl makes those
//! changes itself, so it creates firewalls with both off, and lifts one that is on (a
//! firewall made without them) before the change that needs it. And its logging: one
//! destination change per UpdateLoggingConfiguration, a destination's type never changed
//! in place. And its subnet changes: made only to a firewall that has settled (READY, no
//! endpoint still going), an old subnet out before a new one joins, each step judged
//! against the firewall as described now so that a retried update redoes only what is left.

use crate::mock::ENV;
use airgap_aws::nfw::Firewall;
use airgap_catalog::spec::{FirewallSpec, Id, Spec};
use airgap_engine::{
    Attrs, Change, Diff, ErrorClass, FieldChange, Kind, Observed, Resolved, Value,
};
use aws_sdk_networkfirewall::error::ErrorMetadata;
use aws_sdk_networkfirewall::operation::associate_firewall_policy::AssociateFirewallPolicyOutput;
use aws_sdk_networkfirewall::operation::associate_subnets::AssociateSubnetsOutput;
use aws_sdk_networkfirewall::operation::create_firewall::CreateFirewallOutput;
use aws_sdk_networkfirewall::operation::describe_firewall::{
    DescribeFirewallError, DescribeFirewallOutput,
};
use aws_sdk_networkfirewall::operation::describe_logging_configuration::DescribeLoggingConfigurationOutput;
use aws_sdk_networkfirewall::operation::disassociate_subnets::DisassociateSubnetsOutput;
use aws_sdk_networkfirewall::operation::update_logging_configuration::{
    UpdateLoggingConfigurationInput, UpdateLoggingConfigurationOutput,
};
use aws_sdk_networkfirewall::operation::update_subnet_change_protection::UpdateSubnetChangeProtectionOutput;
use aws_sdk_networkfirewall::types::{
    Attachment, AttachmentStatus, ConfigurationSyncState, Firewall as Described, FirewallStatus,
    FirewallStatusValue, LogDestinationConfig, LogDestinationType, LogType, LoggingConfiguration,
    SubnetMapping, SyncState,
};
use aws_sdk_networkfirewall::Client;
use aws_smithy_mocks::{mock, Rule};

const NODE: &str = "hub/firewall";
const ARN: &str = "arn:aws:network-firewall:eu-central-1:111111111111:firewall/airgap-demo-hub";
const POLICY: &str = "arn:aws:network-firewall:eu-central-1:111111111111:firewall-policy/p";

fn mapping(subnet: &str) -> SubnetMapping {
    SubnetMapping::builder().subnet_id(subnet).build().unwrap()
}

/// The firewall in subnet-a, as AWS describes it.
fn firewall() -> aws_sdk_networkfirewall::types::builders::FirewallBuilder {
    Described::builder()
        .firewall_name("airgap-demo-hub")
        .firewall_arn(ARN)
        .firewall_id("id-1")
        .firewall_policy_arn(POLICY)
        .vpc_id("vpc-1")
        .subnet_mappings(mapping("subnet-a"))
}

fn kind(rules: &[&Rule]) -> Firewall {
    Firewall(mocked!(aws_sdk_networkfirewall, rules))
}

fn spec(subnets: &[&str]) -> FirewallSpec {
    FirewallSpec {
        policy: Id::from(POLICY),
        vpc: Id::from("vpc-1"),
        subnets: subnets.iter().map(|s| Id::from(*s)).collect(),
        deletion_protection: false,
        alert_log_group: None,
        flow_log_group: None,
    }
}

fn node(subnets: &[&str]) -> Resolved {
    crate::mock::node(NODE, spec(subnets).to_attrs())
}

/// A firewall status: `status`, with a READY endpoint in each of `endpoints` (zone a, b, ...).
fn status(status: FirewallStatusValue, endpoints: &[&str]) -> FirewallStatus {
    let sync = endpoints.iter().zip('a'..).map(|(subnet, zone)| {
        let attachment = Attachment::builder()
            .subnet_id(*subnet)
            .endpoint_id(format!("vpce-{subnet}"))
            .status(AttachmentStatus::Ready)
            .build();
        (format!("eu-central-1{zone}"), SyncState::builder().attachment(attachment).build())
    });
    FirewallStatus::builder()
        .status(status)
        .configuration_sync_state_summary(ConfigurationSyncState::InSync)
        .set_sync_states(Some(sync.collect()))
        .build()
        .unwrap()
}

/// What DescribeFirewall answers: the token, the firewall, its status.
fn description(
    token: &str,
    firewall: Described,
    status: Option<FirewallStatus>,
) -> DescribeFirewallOutput {
    DescribeFirewallOutput::builder()
        .update_token(token)
        .firewall(firewall)
        .set_firewall_status(status)
        .build()
}

/// The firewall in subnet-a and READY, its subnet change protection as given, its token
/// `token-1`.
fn described(subnet_protected: bool) -> Rule {
    mock!(Client::describe_firewall).match_requests(|r| r.firewall_arn() == Some(ARN)).then_output(
        move || {
            description(
                "token-1",
                firewall().subnet_change_protection(subnet_protected).build().unwrap(),
                Some(status(FirewallStatusValue::Ready, &["subnet-a"])),
            )
        },
    )
}

/// AssociateSubnets of subnet-b, answered only with the token `token`.
fn associated(token: &'static str) -> Rule {
    mock!(Client::associate_subnets)
        .match_requests(move |r| {
            r.update_token() == Some(token)
                && r.subnet_mappings().iter().map(|m| m.subnet_id()).eq(["subnet-b"])
        })
        .then_output(|| AssociateSubnetsOutput::builder().update_token("token-3").build())
}

fn lifted() -> Rule {
    mock!(Client::update_subnet_change_protection)
        .match_requests(|r| {
            r.update_token() == Some("token-1") && r.subnet_change_protection() == Some(false)
        })
        .then_output(|| {
            UpdateSubnetChangeProtectionOutput::builder().update_token("token-2").build()
        })
}

fn current() -> Observed {
    Observed {
        id: NODE.into(),
        physical_id: ARN.into(),
        attrs: spec(&["subnet-a"]).to_attrs(),
        outputs: Attrs::new(),
        parents: vec![],
    }
}

#[tokio::test]
async fn a_subnet_change_lifts_the_protection_first_only_where_it_is_on() {
    // (protected, the token AssociateSubnets must carry, lifts made)
    for (protected, token, lifts) in [(true, "token-2", 1), (false, "token-1", 0)] {
        let (describe, lift, associate) = (described(protected), lifted(), associated(token));
        let k = kind(&[&describe, &lift, &associate]);
        let node = node(&["subnet-a", "subnet-b"]);
        k.update(Change {
            node: &node,
            current: &current(),
            diff: &crate::mock::changed(&["subnets"]),
        })
        .await
        .expect("update");
        // The association carries the token of the call just before it.
        assert_eq!((lift.num_calls(), associate.num_calls()), (lifts, 1), "{protected}");
    }
}

#[tokio::test]
async fn a_firewall_is_created_with_both_change_protections_off() {
    let none = mock!(Client::describe_firewall).then_error(|| {
        DescribeFirewallError::generic(
            ErrorMetadata::builder()
                .code("ResourceNotFoundException")
                .message("no such firewall")
                .build(),
        )
    });
    let create = mock!(Client::create_firewall)
        .match_requests(|r| {
            r.subnet_change_protection() == Some(false)
                && r.firewall_policy_change_protection() == Some(false)
                && r.delete_protection() == Some(false)
                && r.tags().iter().any(|t| t.key() == "airgap:env" && t.value() == ENV)
        })
        .then_output(|| {
            CreateFirewallOutput::builder().firewall(firewall().build().unwrap()).build()
        });
    let logging = mock!(Client::describe_logging_configuration)
        .then_output(|| DescribeLoggingConfigurationOutput::builder().firewall_arn(ARN).build());
    let k = kind(&[&none, &create, &logging]);
    let made = k.create(&node(&["subnet-a"])).await.expect("create");
    assert_eq!(made.physical_id, ARN);
    assert_eq!(create.num_calls(), 1, "the create asked for both protections off");
}

fn log_destination(
    ty: LogType,
    to: LogDestinationType,
    key: &str,
    at: &str,
) -> LogDestinationConfig {
    LogDestinationConfig::builder()
        .log_type(ty)
        .log_destination_type(to)
        .log_destination(key, at)
        .build()
        .unwrap()
}

/// The destinations an UpdateLoggingConfiguration sets: (log type, destination type, where).
fn destinations(r: &UpdateLoggingConfigurationInput) -> Vec<(String, String, String)> {
    let configs =
        r.logging_configuration().map(|l| l.log_destination_configs()).unwrap_or_default();
    configs
        .iter()
        .map(|d| {
            let at = d.log_destination().values().next().cloned().unwrap_or_default();
            (d.log_type().as_str().into(), d.log_destination_type().as_str().into(), at)
        })
        .collect()
}

#[tokio::test]
async fn a_flow_log_sent_elsewhere_is_removed_then_added_as_a_log_group() {
    // Someone pointed the FLOW logs at a bucket; the blueprint wants them in a log group.
    let logging = mock!(Client::describe_logging_configuration).then_output(|| {
        let alert = log_destination(
            LogType::Alert,
            LogDestinationType::CloudwatchLogs,
            "logGroup",
            "alerts",
        );
        let flow =
            log_destination(LogType::Flow, LogDestinationType::S3, "bucketName", "elsewhere");
        DescribeLoggingConfigurationOutput::builder()
            .firewall_arn(ARN)
            .logging_configuration(
                LoggingConfiguration::builder()
                    .log_destination_configs(alert)
                    .log_destination_configs(flow)
                    .build()
                    .unwrap(),
            )
            .build()
    });
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&sent);
    let update = mock!(Client::update_logging_configuration).then_compute_output(move |r| {
        seen.lock().unwrap().push(destinations(r));
        UpdateLoggingConfigurationOutput::builder().firewall_arn(ARN).build()
    });
    let k = kind(&[&described(false), &logging, &update]);
    let mut wanted = spec(&["subnet-a"]);
    wanted.alert_log_group = Some(Id::from("alerts"));
    wanted.flow_log_group = Some(Id::from("flows"));
    let node = crate::mock::node(NODE, wanted.to_attrs());
    let diff = Diff {
        refused: Vec::new(),
        changes: vec![FieldChange {
            field: "flowLogGroup".into(),
            old: None,
            new: Value::str("flows"),
            forces_replacement: false,
        }],
    };
    k.update(Change { node: &node, current: &current(), diff: &diff }).await.expect("update");
    let alert = ("ALERT".to_string(), "CloudWatchLogs".to_string(), "alerts".to_string());
    let flow = ("FLOW".to_string(), "CloudWatchLogs".to_string(), "flows".to_string());
    // Two calls, each one change: the bucket removed, then the log group added.
    assert_eq!(*sent.lock().unwrap(), vec![vec![alert.clone()], vec![alert, flow]]);
}

#[tokio::test]
async fn a_subnet_replaced_in_its_zone_leaves_before_the_new_one_joins() {
    // One subnet per zone: subnet-a out (with the described token); the update is then a
    // Conflict, and on the engine's retry, with subnet-a gone and the firewall READY,
    // subnet-b joins with the token of that description.
    let out = mock!(Client::disassociate_subnets)
        .match_requests(|r| {
            r.update_token() == Some("token-1") && r.subnet_ids().iter().eq(["subnet-a"])
        })
        .then_output(|| DisassociateSubnetsOutput::builder().update_token("token-2").build());
    let describe = mock!(Client::describe_firewall)
        .sequence()
        .output(|| {
            let ready = status(FirewallStatusValue::Ready, &["subnet-a"]);
            description("token-1", firewall().build().unwrap(), Some(ready))
        })
        .output(|| {
            let unmapped = firewall().set_subnet_mappings(Some(vec![])).build().unwrap();
            description("token-2", unmapped, Some(status(FirewallStatusValue::Ready, &[])))
        })
        .build();
    let into = associated("token-2");
    let k = kind(&[&describe, &out, &into]);
    let node = node(&["subnet-b"]);
    let (current, diff) = (current(), crate::mock::changed(&["subnets"]));
    let change = || Change { node: &node, current: &current, diff: &diff };
    let first = k.update(change()).await.expect_err("the new subnet waits for the old to go");
    assert_eq!(first.class, ErrorClass::Conflict, "{first}");
    assert_eq!((out.num_calls(), into.num_calls()), (1, 0));
    k.update(change()).await.expect("the retried update");
    // subnet-a is not disassociated again: the retry judged by the firewall as it is.
    assert_eq!((out.num_calls(), into.num_calls()), (1, 1));
}

#[tokio::test]
async fn no_subnet_change_goes_to_a_firewall_that_has_not_settled() {
    // PROVISIONING; READY but with the endpoint of an unmapped subnet still listed (going
    // after a DisassociateSubnets); no status at all.
    let cases = [
        Some(status(FirewallStatusValue::Provisioning, &["subnet-a"])),
        Some(status(FirewallStatusValue::Ready, &["subnet-a", "subnet-old"])),
        None,
    ];
    for case in cases {
        let shown = format!("{case:?}");
        let describe = mock!(Client::describe_firewall)
            .then_output(move || description("token-1", firewall().build().unwrap(), case.clone()));
        let into = associated("token-1");
        let k = kind(&[&describe, &into]);
        let node = node(&["subnet-a", "subnet-b"]);
        let err = k
            .update(Change {
                node: &node,
                current: &current(),
                diff: &crate::mock::changed(&["subnets"]),
            })
            .await
            .expect_err("the change waits");
        assert_eq!(err.class, ErrorClass::Conflict, "{shown}: {err}");
        assert_eq!(into.num_calls(), 0, "{shown}");
    }
}

#[tokio::test]
async fn a_policy_change_already_made_is_not_made_again() {
    // The plan saw the old policy; a retry of the update finds the firewall on the new one
    // (this one, POLICY) and makes no call.
    let associate = mock!(Client::associate_firewall_policy)
        .then_output(|| AssociateFirewallPolicyOutput::builder().update_token("token-2").build());
    let describe = described(false);
    let k = kind(&[&describe, &associate]);
    let node = node(&["subnet-a"]);
    let diff = Diff {
        refused: Vec::new(),
        changes: vec![FieldChange {
            field: "policy".into(),
            old: None,
            new: Value::str(POLICY),
            forces_replacement: false,
        }],
    };
    k.update(Change { node: &node, current: &current(), diff: &diff }).await.expect("update");
    assert_eq!(associate.num_calls(), 0);
}
