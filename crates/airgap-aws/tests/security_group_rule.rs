//! The security group rule kind against mocked EC2 answers (aws-smithy-mocks): observe
//! maps a group's permissions and their marks to the rule's typed spec, a create whose
//! permission exists already (an interrupted run) records it, and a delete of a rule
//! already revoked succeeds.

mod mock;

use airgap_aws::ec2::SecurityGroupRule;
use airgap_catalog::spec::{SecurityGroupRuleSpec, Spec};
use airgap_engine::Kind;
use aws_sdk_ec2::operation::authorize_security_group_ingress::AuthorizeSecurityGroupIngressError;
use aws_sdk_ec2::operation::describe_security_groups::DescribeSecurityGroupsOutput;
use aws_sdk_ec2::operation::revoke_security_group_ingress::RevokeSecurityGroupIngressError;
use aws_sdk_ec2::types::{IpPermission, IpRange, SecurityGroup};
use aws_sdk_ec2::Client;
use aws_smithy_mocks::mock;
use mock::{aws_error, ec2, node, only, owned, scope, tag, tags_removed, tags_written, ENV};

const GROUP: &str = "sg-0123456789abcdef0";
const NODE: &str = "vpc/workload/sg/endpoints/https";

fn spec() -> SecurityGroupRuleSpec {
    SecurityGroupRuleSpec {
        group: GROUP.into(),
        protocol: "tcp".into(),
        port: 443,
        cidr: "10.1.0.0/16".into(),
    }
}

#[tokio::test]
async fn observe_maps_a_marked_permission_to_the_spec_and_skips_unmarked_ones() {
    let groups = mock!(Client::describe_security_groups).then_output(|| {
        let range = |c: &str| IpRange::builder().cidr_ip(c).build();
        DescribeSecurityGroupsOutput::builder()
            .security_groups(
                SecurityGroup::builder()
                    .group_id(GROUP)
                    .vpc_id("vpc-1")
                    .set_tags(Some(owned("vpc/workload/sg/endpoints")))
                    .tags(tag("airgap:rule:tcp:443:10.1.0.0/16", NODE))
                    .ip_permissions(
                        IpPermission::builder()
                            .ip_protocol("tcp")
                            .from_port(443)
                            .to_port(443)
                            // Made outside airgapctl: no mark, not observed.
                            .ip_ranges(range("192.168.0.0/16"))
                            .ip_ranges(range("10.1.0.0/16"))
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let found = SecurityGroupRule(ec2(&[&groups])).observe(ENV, &scope()).await.expect("observe");
    let o = &only(found);
    assert_eq!(o.id.0, NODE);
    assert_eq!(o.physical_id, format!("{GROUP}_ingress_tcp_443_10.1.0.0/16"));
    assert_eq!(o.attrs, spec().to_attrs());
    assert_eq!(o.parents, vec![GROUP.to_string()]);
}

#[tokio::test]
async fn create_of_a_permission_that_exists_records_it() {
    let duplicate = mock!(Client::authorize_security_group_ingress).then_error(|| {
        AuthorizeSecurityGroupIngressError::generic(aws_error(
            "InvalidPermission.Duplicate",
            "the specified rule already exists",
        ))
    });
    let marked = tags_written();
    let k = SecurityGroupRule(ec2(&[&duplicate, &marked]));
    let made = k.create(&node(NODE, spec().to_attrs())).await.expect("made before");
    assert_eq!(made.physical_id, format!("{GROUP}_ingress_tcp_443_10.1.0.0/16"));
    assert_eq!(duplicate.num_calls(), 1);
    assert_eq!(marked.num_calls(), 1, "the rule's mark is written");
}

#[tokio::test]
async fn delete_of_a_rule_already_revoked_succeeds_and_drops_the_mark() {
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
        physical_id: format!("{GROUP}_ingress_tcp_443_10.1.0.0/16"),
        attrs: spec().to_attrs(),
        outputs: Default::default(),
        parents: vec![GROUP.into()],
    };
    k.delete(&scope(), &current).await.expect("gone is fine");
    assert_eq!(unmarked.num_calls(), 1);
}
