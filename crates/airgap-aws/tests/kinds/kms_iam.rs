//! KMS keys and IAM roles against mocked responses (aws-smithy-mocks): neither API has a
//! client token, so a create adopts what an interrupted one made (found by its tags),
//! and a delete of something already gone succeeds.
//!
//! KMS API reference, ScheduleKeyDeletion: NotFoundException for a key that does not
//! exist, KMSInvalidStateException for one already pending deletion and for one in any
//! other state that cannot be scheduled (told apart by DescribeKey's KeyState)
//! (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html);
//! IAM API reference, CreateRole: EntityAlreadyExists for a name in use, and DeleteRole:
//! NoSuchEntity for a role that does not exist
//! (https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteRole.html).

use crate::mock::{scope, ENV};
use airgap_aws::iam::IamRole;
use airgap_aws::kms::KmsKey;
use airgap_catalog::spec::{IamRoleSpec, KmsKeySpec, Spec};
use airgap_engine::{Attrs, ErrorClass, Kind, Observed, Value};
use aws_smithy_mocks::{mock, Rule};

const KEY_NODE: &str = "cluster/apps/kms";
const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN: &str =
    "arn:aws:kms:eu-central-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ROLE_NODE: &str = "cluster/apps/role";
const ROLE: &str = "airgap-demo-apps-cluster";
const ROLE_ARN: &str = "arn:aws:iam::111111111111:role/airgap/demo/airgap-demo-apps-cluster";

use crate::mock::node as resolved;

fn observed(id: &str, physical_id: &str, attrs: Attrs) -> Observed {
    Observed {
        id: id.into(),
        physical_id: physical_id.into(),
        attrs,
        outputs: Attrs::new(),
        parents: vec![],
    }
}

mod kms {
    use super::*;
    use aws_sdk_kms::error::ErrorMetadata;
    use aws_sdk_kms::operation::create_key::CreateKeyOutput;
    use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
    use aws_sdk_kms::operation::enable_key_rotation::EnableKeyRotationOutput;
    use aws_sdk_kms::operation::list_aliases::ListAliasesOutput;
    use aws_sdk_kms::operation::list_keys::ListKeysOutput;
    use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
    use aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionError;
    use aws_sdk_kms::types::{KeyListEntry, KeyMetadata, KeyState, Tag};
    use aws_sdk_kms::Client;

    fn kind(rules: &[&Rule]) -> KmsKey {
        KmsKey(mocked!(aws_sdk_kms, rules))
    }

    fn spec() -> KmsKeySpec {
        KmsKeySpec { description: "EKS secrets of apps".into(), rotation: true }
    }

    fn metadata() -> KeyMetadata {
        KeyMetadata::builder()
            .key_id(KEY_ID)
            .arn(KEY_ARN)
            .description("EKS secrets of apps")
            .key_state(KeyState::Enabled)
            .build()
            .unwrap()
    }

    /// The account holds one key, tagged as this node's: what a create that lost its
    /// answer made.
    fn existing_key() -> Vec<Rule> {
        let tag = |k: &str, v: &str| Tag::builder().tag_key(k).tag_value(v).build().unwrap();
        vec![
            mock!(Client::list_keys).then_output(|| {
                ListKeysOutput::builder()
                    .keys(KeyListEntry::builder().key_id(KEY_ID).key_arn(KEY_ARN).build())
                    .build()
            }),
            mock!(Client::list_aliases).then_output(|| ListAliasesOutput::builder().build()),
            mock!(Client::list_resource_tags).then_output(move || {
                ListResourceTagsOutput::builder()
                    .tags(tag("airgap:env", ENV))
                    .tags(tag("airgap:id", KEY_NODE))
                    .build()
            }),
            mock!(Client::describe_key)
                .then_output(|| DescribeKeyOutput::builder().key_metadata(metadata()).build()),
        ]
    }

    fn made() -> Rule {
        mock!(Client::create_key).then_output(|| {
            CreateKeyOutput::builder()
                .key_metadata(
                    KeyMetadata::builder()
                        .key_id("new-key")
                        .arn("arn:aws:kms:eu-central-1:111111111111:key/new-key")
                        .build()
                        .unwrap(),
                )
                .build()
        })
    }

    fn rotation() -> Rule {
        mock!(Client::enable_key_rotation)
            .then_output(|| EnableKeyRotationOutput::builder().build())
    }

    #[tokio::test]
    async fn a_retried_create_adopts_the_key_tagged_as_the_node() {
        let (found, create, rotate) = (existing_key(), made(), rotation());
        let mut rules: Vec<&Rule> = found.iter().collect();
        rules.extend([&create, &rotate]);
        let created =
            kind(&rules).create(&resolved(KEY_NODE, spec().to_attrs())).await.expect("create");
        assert_eq!(created.physical_id, KEY_ARN);
        assert_eq!(created.outputs["id"], Value::str(KEY_ID));
        assert_eq!(create.num_calls(), 0, "no second key");
        assert_eq!(rotate.num_calls(), 1, "the spec's rotation still applied");
    }

    #[tokio::test]
    async fn a_replacement_does_not_adopt_the_key_it_replaces() {
        let (found, create, rotate) = (existing_key(), made(), rotation());
        let mut rules: Vec<&Rule> = found.iter().collect();
        rules.extend([&create, &rotate]);
        let mut node = resolved(KEY_NODE, spec().to_attrs());
        node.replaces = Some(KEY_ARN.into());
        let created = kind(&rules).create(&node).await.expect("create");
        assert_eq!(create.num_calls(), 1);
        assert_ne!(created.physical_id, KEY_ARN);
    }

    fn refused(code: &'static str) -> Rule {
        mock!(Client::schedule_key_deletion).then_error(move || {
            ScheduleKeyDeletionError::generic(
                ErrorMetadata::builder().code(code).message("refused").build(),
            )
        })
    }

    /// DescribeKey answering the key in `state`.
    fn in_state(state: KeyState) -> Rule {
        mock!(Client::describe_key).then_output(move || {
            let mut m = metadata();
            m.key_state = Some(state.clone());
            DescribeKeyOutput::builder().key_metadata(m).build()
        })
    }

    #[tokio::test]
    async fn deleting_a_key_that_is_gone_or_going_succeeds() {
        let current = observed(KEY_NODE, KEY_ARN, spec().to_attrs());
        let r = refused("NotFoundException");
        kind(&[&r]).delete(&scope(), &current).await.expect("gone");
        assert_eq!(r.num_calls(), 1);
        // KMSInvalidStateException: the key's state decides.
        let (r, d) = (refused("KMSInvalidStateException"), in_state(KeyState::PendingDeletion));
        kind(&[&r, &d]).delete(&scope(), &current).await.expect("already pending deletion");
        assert_eq!((r.num_calls(), d.num_calls()), (1, 1));
        let (r, d) = (refused("KMSInvalidStateException"), in_state(KeyState::Unavailable));
        let err = kind(&[&r, &d])
            .delete(&scope(), &current)
            .await
            .expect_err("an unavailable key is not going away");
        assert_eq!(err.class, ErrorClass::Fatal);
        assert!(err.message.contains("Unavailable"), "{err}");
        let r = refused("AccessDeniedException");
        let err =
            kind(&[&r]).delete(&scope(), &current).await.expect_err("not allowed is not gone");
        assert_eq!(err.class, ErrorClass::Fatal);
    }
}

mod iam {
    use super::*;
    use aws_sdk_iam::error::ErrorMetadata;
    use aws_sdk_iam::operation::create_role::CreateRoleError;
    use aws_sdk_iam::operation::delete_role::DeleteRoleError;
    use aws_sdk_iam::operation::get_role::GetRoleOutput;
    use aws_sdk_iam::primitives::DateTime;
    use aws_sdk_iam::types::{Role, Tag};
    use aws_sdk_iam::Client;

    fn kind(rules: &[&Rule]) -> IamRole {
        IamRole(mocked!(aws_sdk_iam, rules))
    }

    fn spec() -> IamRoleSpec {
        IamRoleSpec { name: ROLE.into(), service: "eks.amazonaws.com".into() }
    }

    fn name_taken() -> Rule {
        mock!(Client::create_role).then_error(|| {
            CreateRoleError::generic(
                ErrorMetadata::builder()
                    .code("EntityAlreadyExists")
                    .message(format!("Role with name {ROLE} already exists."))
                    .build(),
            )
        })
    }

    /// The role of that name, tagged as node `id` of env `env`.
    fn role_of(env: &'static str, id: &'static str) -> Rule {
        mock!(Client::get_role).then_output(move || {
            let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build().unwrap();
            GetRoleOutput::builder()
                .role(
                    Role::builder()
                        .path("/airgap/demo/")
                        .role_name(ROLE)
                        .role_id("AROA1")
                        .arn(ROLE_ARN)
                        .create_date(DateTime::from_secs(0))
                        .tags(tag("airgap:env", env))
                        .tags(tag("airgap:id", id))
                        .build()
                        .unwrap(),
                )
                .build()
        })
    }

    #[tokio::test]
    async fn a_retried_create_adopts_the_role_tagged_as_the_node() {
        let (taken, found) = (name_taken(), role_of(ENV, ROLE_NODE));
        let created = kind(&[&taken, &found])
            .create(&resolved(ROLE_NODE, spec().to_attrs()))
            .await
            .expect("adopted");
        assert_eq!(created.physical_id, ROLE_ARN);
        assert_eq!(created.outputs["id"], Value::str(ROLE));
    }

    #[tokio::test]
    async fn a_role_of_that_name_that_is_not_the_nodes_is_refused() {
        for (env, id) in [("other", ROLE_NODE), (ENV, "cluster/other/role")] {
            let (taken, found) = (name_taken(), role_of(env, id));
            let err = kind(&[&taken, &found])
                .create(&resolved(ROLE_NODE, spec().to_attrs()))
                .await
                .expect_err("not ours");
            assert_eq!(err.class, ErrorClass::Fatal);
            assert_eq!(err.code, "EntityAlreadyExists");
        }
    }

    #[tokio::test]
    async fn deleting_a_role_that_is_gone_succeeds() {
        let gone = mock!(Client::delete_role).then_error(|| {
            DeleteRoleError::generic(
                ErrorMetadata::builder()
                    .code("NoSuchEntity")
                    .message(format!("The role with name {ROLE} cannot be found."))
                    .build(),
            )
        });
        let current = observed(ROLE_NODE, ROLE_ARN, spec().to_attrs());
        kind(&[&gone]).delete(&scope(), &current).await.expect("already gone");
        assert_eq!(gone.num_calls(), 1);
    }
}
