//! The firewall policy kind against mocked Network Firewall responses (aws-smithy-mocks):
//! what observe makes of a described policy, and an update that carries the token of
//! the policy as it is now.
//!
//! Network Firewall API reference, UpdateFirewallPolicy: "UpdateToken: A token used for
//! optimistic locking. ... To make a conditional change to the firewall policy, provide
//! the token in your update request" and DescribeFirewallPolicy returns the current one
//! (https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_UpdateFirewallPolicy.html).

use crate::mock::{scope, ENV};
use airgap_aws::nfw::NfwPolicy;
use airgap_catalog::spec::{Id, NfwPolicySpec, Spec};
use airgap_engine::{Attrs, Change, Diff, FieldChange, Kind, Observed, Resolved, Value};
use aws_sdk_networkfirewall::operation::describe_firewall_policy::DescribeFirewallPolicyOutput;
use aws_sdk_networkfirewall::operation::list_firewall_policies::ListFirewallPoliciesOutput;
use aws_sdk_networkfirewall::operation::update_firewall_policy::UpdateFirewallPolicyOutput;
use aws_sdk_networkfirewall::types::{
    FirewallPolicy, FirewallPolicyMetadata, FirewallPolicyResponse, ResourceStatus, RuleOrder,
    StatefulEngineOptions, StatefulRuleGroupReference, Tag,
};
use aws_sdk_networkfirewall::Client;
use aws_smithy_mocks::{mock, Rule};

const NODE: &str = "firewall/policy";
const NAME: &str = "airgap-demo-firewall-policy";
const ARN: &str = "arn:aws:network-firewall:eu-central-1:111111111111:firewall-policy/airgap-demo-firewall-policy";
const GROUP_A: &str = "arn:aws:network-firewall:eu-central-1:111111111111:stateful-rulegroup/a";
const GROUP_B: &str = "arn:aws:network-firewall:eu-central-1:111111111111:stateful-rulegroup/b";

fn kind(rules: &[&Rule]) -> NfwPolicy {
    NfwPolicy(mocked!(aws_sdk_networkfirewall, rules))
}

/// The policy as the expansion declares it, its rule groups resolved.
fn desired() -> NfwPolicySpec {
    NfwPolicySpec {
        rule_groups: vec![Id::from(GROUP_A), Id::from(GROUP_B)],
        rule_order: Some("STRICT_ORDER".into()),
        stateless_default: "aws:forward_to_sfe".into(),
        stateless_fragment_default: None,
        stateful_default: vec!["aws:drop_established".into(), "aws:alert_established".into()],
    }
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

/// The policy as AWS describes it: references in no particular order (their priority
/// says which comes first), default actions in another order, the standard tags but
/// `Name`, and the token `token`.
fn described(token: &'static str) -> Rule {
    mock!(Client::describe_firewall_policy)
        .match_requests(|r| r.firewall_policy_arn() == Some(ARN))
        .then_output(move || {
            let reference = |arn: &str, priority: i32| {
                StatefulRuleGroupReference::builder()
                    .resource_arn(arn)
                    .priority(priority)
                    .build()
                    .unwrap()
            };
            DescribeFirewallPolicyOutput::builder()
                .update_token(token)
                .firewall_policy_response(
                    FirewallPolicyResponse::builder()
                        .firewall_policy_name(NAME)
                        .firewall_policy_arn(ARN)
                        .firewall_policy_id("id-1")
                        .firewall_policy_status(ResourceStatus::Active)
                        .tags(tag("airgap:env", ENV))
                        .tags(tag("airgap:id", NODE))
                        .tags(tag("airgap:managed-by", "airgapctl"))
                        .build()
                        .unwrap(),
                )
                .firewall_policy(
                    FirewallPolicy::builder()
                        .stateless_default_actions("aws:forward_to_sfe")
                        .stateless_fragment_default_actions("aws:forward_to_sfe")
                        .stateful_rule_group_references(reference(GROUP_B, 200))
                        .stateful_rule_group_references(reference(GROUP_A, 100))
                        .stateful_default_actions("aws:alert_established")
                        .stateful_default_actions("aws:drop_established")
                        .stateful_engine_options(
                            StatefulEngineOptions::builder()
                                .rule_order(RuleOrder::StrictOrder)
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        })
}

/// The account's policies: the env's, and one of another env that is never described.
fn listed() -> Rule {
    mock!(Client::list_firewall_policies).then_output(|| {
        let meta =
            |name: &str, arn: &str| FirewallPolicyMetadata::builder().name(name).arn(arn).build();
        ListFirewallPoliciesOutput::builder()
            .firewall_policies(meta(NAME, ARN))
            .firewall_policies(meta("airgap-other-firewall-policy", "arn:other"))
            .build()
    })
}

#[tokio::test]
async fn observe_maps_a_described_policy_into_the_spec() {
    let (list, describe) = (listed(), described("token-1"));
    let k = kind(&[&list, &describe]);
    let found = k.observe(ENV, &scope()).await.expect("observe");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(describe.num_calls(), 1, "only the env's candidate is described");
    let o = &found[0];
    assert_eq!(o.id.0, NODE);
    assert_eq!(o.physical_id, ARN);
    assert_eq!(o.outputs["arn"], Value::str(ARN));
    assert_eq!(o.outputs["name"], Value::str(NAME));
    assert_eq!(o.parents, [GROUP_B, GROUP_A]);
    let spec = NfwPolicySpec::from_attrs(&o.attrs).expect("observed in the spec's shape");
    // Rule groups in priority order, default actions as a set.
    assert_eq!(spec.rule_groups, [Id::from(GROUP_A), Id::from(GROUP_B)]);
    assert_eq!(spec.stateful_default, ["aws:alert_established", "aws:drop_established"]);
    assert_eq!(spec.stateless_fragment_default.as_deref(), Some("aws:forward_to_sfe"));
    assert_eq!(spec.rule_order.as_deref(), Some("STRICT_ORDER"));
    // The removed Name tag is drift, and nothing else.
    assert_eq!(o.attrs["tagsMissing"], Value::List(vec![Value::str("Name")]));
    let d = k.diff(&desired().to_attrs(), o);
    assert_eq!(d.changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), ["tags"]);
}

fn node() -> Resolved {
    crate::mock::node(NODE, desired().to_attrs())
}

fn current() -> Observed {
    let mut seen = desired();
    seen.rule_groups.reverse();
    Observed {
        id: NODE.into(),
        physical_id: ARN.into(),
        attrs: seen.to_attrs(),
        outputs: Attrs::from([("arn".to_string(), Value::str(ARN))]),
        parents: vec![],
    }
}

fn updated() -> Rule {
    mock!(Client::update_firewall_policy)
        .match_requests(|r| {
            r.update_token() == Some("token-7") && r.firewall_policy_arn() == Some(ARN)
        })
        .then_output(|| {
            UpdateFirewallPolicyOutput::builder()
                .update_token("token-8")
                .firewall_policy_response(
                    FirewallPolicyResponse::builder()
                        .firewall_policy_name(NAME)
                        .firewall_policy_arn(ARN)
                        .firewall_policy_id("id-1")
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap()
        })
}

fn change(field: &str) -> Diff {
    Diff {
        refused: Vec::new(),
        changes: vec![FieldChange {
            field: field.into(),
            old: None,
            new: Value::Null,
            forces_replacement: false,
        }],
    }
}

#[tokio::test]
async fn an_update_sends_the_body_with_the_token_read_just_before() {
    let (describe, update) = (described("token-7"), updated());
    let k = kind(&[&describe, &update]);
    let out = k
        .update(Change { node: &node(), current: &current(), diff: &change("ruleGroups") })
        .await
        .expect("update");
    assert_eq!(out.outputs["arn"], Value::str(ARN));
    assert_eq!(out.handle, None);
    assert_eq!((describe.num_calls(), update.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_tag_only_change_neither_reads_a_token_nor_rewrites_the_policy() {
    let (describe, update) = (described("token-7"), updated());
    let retag = mock!(Client::tag_resource).then_output(|| {
        aws_sdk_networkfirewall::operation::tag_resource::TagResourceOutput::builder().build()
    });
    let k = kind(&[&describe, &update, &retag]);
    k.update(Change { node: &node(), current: &current(), diff: &change("tags") })
        .await
        .expect("update");
    assert_eq!(retag.num_calls(), 1);
    assert_eq!((describe.num_calls(), update.num_calls()), (0, 0));
}
