//! The security group rule kind against mocked EC2 answers (aws-smithy-mocks): observe
//! maps the environment's tagged ingress rules to the rule's typed spec (one
//! DescribeSecurityGroupRules by the env tag; egress rules are not this kind's), a create
//! tags the rule in the same call, a create whose permission exists already (made
//! outside airgapctl, or before rules were tagged) adopts it by tagging it, and a delete
//! of a rule already revoked succeeds.

use crate::mock::{aws_error, ec2, node, only, owned, scope, tags_removed, tags_written, ENV};
use airgap_aws::ec2::SecurityGroupRule;
use airgap_catalog::spec::{SecurityGroupRuleSpec, Spec};
use airgap_engine::Kind;
use aws_sdk_ec2::operation::authorize_security_group_ingress::{
    AuthorizeSecurityGroupIngressError, AuthorizeSecurityGroupIngressOutput,
};
use aws_sdk_ec2::operation::describe_security_group_rules::DescribeSecurityGroupRulesOutput;
use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressError;
use aws_sdk_ec2::types::{ResourceType, SecurityGroupRule as Ec2Rule};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::mock;

const GROUP: &str = "sg-0123456789abcdef0";
const RULE: &str = "sgr-0123456789abcdef0";
const NODE: &str = "vpc/workload/sg/endpoints/https";

fn spec() -> SecurityGroupRuleSpec {
    SecurityGroupRuleSpec {
        group: GROUP.into(),
        protocol: "tcp".into(),
        port: 443,
        cidr: "10.1.0.0/16".into(),
    }
}

fn rule(
    id: &str,
    egress: bool,
    cidr: &str,
) -> aws_sdk_ec2::types::builders::SecurityGroupRuleBuilder {
    Ec2Rule::builder()
        .security_group_rule_id(id)
        .group_id(GROUP)
        .is_egress(egress)
        .ip_protocol("tcp")
        .from_port(443)
        .to_port(443)
        .cidr_ipv4(cidr)
}

#[tokio::test]
async fn observe_maps_the_environments_ingress_rules_to_the_spec() {
    let rules = mock!(Client::describe_security_group_rules)
        .match_requests(|r| {
            r.filters().iter().any(|f| f.name() == Some("tag:airgap:env") && f.values() == [ENV])
        })
        .then_output(|| {
            DescribeSecurityGroupRulesOutput::builder()
                .security_group_rules(
                    rule(RULE, false, "10.1.0.0/16").set_tags(Some(owned(NODE))).build(),
                )
                // An egress rule carrying the env tag is not an ingress rule.
                .security_group_rules(
                    rule("sgr-2", true, "0.0.0.0/0").set_tags(Some(owned("other"))).build(),
                )
                .build()
        });
    let found = SecurityGroupRule(ec2(&[&rules])).observe(ENV, &scope()).await.expect("observe");
    let o = &only(found);
    assert_eq!(o.id.0, NODE);
    assert_eq!(o.physical_id, RULE);
    assert_eq!(o.attrs, spec().to_attrs());
    assert_eq!(o.parents, vec![GROUP.to_string()]);
}

#[tokio::test]
async fn create_tags_the_rule_in_the_same_call() {
    let authorized = mock!(Client::authorize_security_group_ingress)
        .match_requests(|r| {
            r.tag_specifications().iter().any(|t| {
                t.resource_type() == Some(&ResourceType::SecurityGroupRule)
                    && t.tags()
                        .iter()
                        .any(|g| g.key() == Some("airgap:id") && g.value() == Some(NODE))
            })
        })
        .then_output(|| {
            AuthorizeSecurityGroupIngressOutput::builder()
                .security_group_rules(rule(RULE, false, "10.1.0.0/16").build())
                .build()
        });
    let tagged = tags_written();
    let k = SecurityGroupRule(ec2(&[&authorized, &tagged]));
    let made = k.create(&node(NODE, spec().to_attrs())).await.expect("made");
    assert_eq!(made.physical_id, RULE);
    assert_eq!(authorized.num_calls(), 1);
    assert_eq!(tagged.num_calls(), 0, "tagged in the create call");
}

#[tokio::test]
async fn create_of_a_permission_that_exists_adopts_the_rule() {
    let duplicate = mock!(Client::authorize_security_group_ingress).then_error(|| {
        AuthorizeSecurityGroupIngressError::generic(aws_error(
            "InvalidPermission.Duplicate",
            "the specified rule already exists",
        ))
    });
    let listed = mock!(Client::describe_security_group_rules).then_output(|| {
        DescribeSecurityGroupRulesOutput::builder()
            .security_group_rules(rule("sgr-other", false, "192.168.0.0/16").build())
            .security_group_rules(rule(RULE, false, "10.1.0.0/16").build())
            .build()
    });
    let tagged = tags_written();
    let k = SecurityGroupRule(ec2(&[&duplicate, &listed, &tagged]));
    let made = k.create(&node(NODE, spec().to_attrs())).await.expect("made before");
    assert_eq!(made.physical_id, RULE);
    assert_eq!(tagged.num_calls(), 1, "the existing rule is tagged");
}

#[tokio::test]
async fn delete_of_a_rule_already_revoked_succeeds() {
    let gone = mock!(Client::revoke_security_group_ingress).then_error(|| {
        RevokeSecurityGroupIngressError::generic(aws_error(
            "InvalidPermission.NotFound",
            "the specified rule does not exist in this security group",
        ))
    });
    let unmarked = tags_removed();
    let k = SecurityGroupRule(ec2(&[&gone, &unmarked]));
    let current = airgap_engine::Observed {
        id: NODE.into(),
        physical_id: RULE.into(),
        attrs: spec().to_attrs(),
        outputs: Default::default(),
        parents: vec![GROUP.into()],
    };
    k.delete(&scope(), &current).await.expect("gone is fine");
    assert_eq!(gone.num_calls(), 1);
    assert_eq!(unmarked.num_calls(), 0);
}
