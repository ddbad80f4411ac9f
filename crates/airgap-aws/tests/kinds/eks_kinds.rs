//! The EKS cluster, add-on and access entry kinds against mocked EKS responses
//! (aws-smithy-mocks): observe mapping into their specs, create with the client token
//! or adopting after `ResourceInUseException`, and deletes of what is already gone.

use crate::eks_mock::{
    cluster, eks, env_cluster, error, scope, tags, CLUSTER, CLUSTER_ARN, CLUSTER_NODE, ENV,
};
use airgap_aws::eks::{EksAccessEntry, EksAddon, EksCluster};
use airgap_catalog::spec::{EksAccessEntrySpec, EksAddonSpec, EksClusterSpec, Id, Policies, Spec};
use airgap_engine::{Check, ErrorClass, Kind, Observed, Op, Readiness, Value};
use aws_sdk_eks::operation::associate_access_policy::AssociateAccessPolicyOutput;
use aws_sdk_eks::operation::create_access_entry::CreateAccessEntryError;
use aws_sdk_eks::operation::create_cluster::CreateClusterOutput;
use aws_sdk_eks::operation::delete_access_entry::DeleteAccessEntryError;
use aws_sdk_eks::operation::delete_addon::DeleteAddonError;
use aws_sdk_eks::operation::describe_access_entry::DescribeAccessEntryOutput;
use aws_sdk_eks::operation::describe_addon::{DescribeAddonError, DescribeAddonOutput};
use aws_sdk_eks::operation::describe_cluster::DescribeClusterOutput;
use aws_sdk_eks::operation::list_access_entries::ListAccessEntriesOutput;
use aws_sdk_eks::operation::list_addons::ListAddonsOutput;
use aws_sdk_eks::operation::list_associated_access_policies::ListAssociatedAccessPoliciesOutput;
use aws_sdk_eks::types::{
    AccessConfigResponse, AccessEntry, Addon, AddonStatus, AssociatedAccessPolicy,
    AuthenticationMode, ClusterStatus, EncryptionConfig, LogSetup, LogType, Logging, Provider,
    VpcConfigResponse,
};
use aws_sdk_eks::Client;
use aws_smithy_mocks::mock;

const ROLE: &str = "arn:aws:iam::111111111111:role/cluster";
const KEY: &str = "arn:aws:kms:eu-central-1:111111111111:key/1";
const ADMIN: &str = "arn:aws:iam::111111111111:role/admin";
const CREATOR: &str = "arn:aws:iam::111111111111:role/creator";
const POLICY: &str = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const ENTRY_ARN: &str = "arn:aws:eks:eu-central-1:111111111111:access-entry/demo-apps/role/1";

fn cluster_spec() -> EksClusterSpec {
    let mut s = EksClusterSpec::private(
        CLUSTER.into(),
        ROLE.into(),
        vec!["subnet-b".into(), "subnet-a".into()],
        vec!["sg-1".into()],
    );
    s.logging = vec!["audit".into(), "api".into()];
    s.version = Some("1.31".into());
    s.secrets_key = Some(KEY.into());
    s
}

use crate::eks_mock::node as resolved;

/// The private cluster as EKS describes it: everything the spec names, in EKS's order.
fn described_cluster(
    c: aws_sdk_eks::types::builders::ClusterBuilder,
) -> aws_sdk_eks::types::builders::ClusterBuilder {
    c.role_arn(ROLE)
        .version("1.31")
        .resources_vpc_config(
            VpcConfigResponse::builder()
                .subnet_ids("subnet-a")
                .subnet_ids("subnet-b")
                .security_group_ids("sg-1")
                .endpoint_private_access(true)
                .endpoint_public_access(false)
                .build(),
        )
        .access_config(
            AccessConfigResponse::builder().authentication_mode(AuthenticationMode::Api).build(),
        )
        .logging(
            Logging::builder()
                .cluster_logging(
                    LogSetup::builder()
                        .types(LogType::Audit)
                        .types(LogType::Api)
                        .enabled(true)
                        .build(),
                )
                .cluster_logging(
                    LogSetup::builder().types(LogType::Scheduler).enabled(false).build(),
                )
                .build(),
        )
        .encryption_config(
            EncryptionConfig::builder().provider(Provider::builder().key_arn(KEY).build()).build(),
        )
}

#[tokio::test]
async fn a_cluster_is_observed_in_its_specs_shape_and_plans_no_change() {
    let [listed, described] = cluster(described_cluster);
    let k = EksCluster(eks(&[&listed, &described]));
    let found = k.observe(ENV, &scope()).await.expect("observe");
    assert_eq!(found.len(), 1);
    let o = &found[0];
    assert_eq!((o.id.0.as_str(), o.physical_id.as_str()), (CLUSTER_NODE, CLUSTER_ARN));
    let seen = EksClusterSpec::from_attrs(&o.attrs).expect("the spec's shape");
    assert_eq!(seen, cluster_spec().sorted());
    assert!(k.diff(&cluster_spec().to_attrs(), o).is_empty());
    // A public endpoint turned on by hand is drift, changed in place.
    let mut public = cluster_spec();
    public.endpoint_public_access = true;
    let d = k.diff(&public.to_attrs(), o);
    assert_eq!(d.changes.len(), 1);
    assert_eq!(d.changes[0].field, "endpointPublicAccess");
    assert!(!d.requires_replacement());
}

/// A cluster EKS is still creating (a run was killed meanwhile) offers no `id` to the
/// add-ons, node groups and access entries that reference it, so the next plan waits
/// for it; once ACTIVE it does.
#[tokio::test]
async fn a_cluster_still_creating_offers_no_id_to_its_dependents() {
    let [listed, described] =
        cluster(|c| described_cluster(c).status(aws_sdk_eks::types::ClusterStatus::Creating));
    let found = EksCluster(eks(&[&listed, &described])).observe(ENV, &scope()).await.unwrap();
    assert!(!found[0].outputs.contains_key("id"), "{:?}", found[0].outputs);
    assert!(found[0].outputs.contains_key("name"), "ready() finds it by name");
    let [listed, described] = cluster(described_cluster);
    let found = EksCluster(eks(&[&listed, &described])).observe(ENV, &scope()).await.unwrap();
    assert!(found[0].outputs.contains_key("id"));
}

#[tokio::test]
async fn a_cluster_is_created_private_with_the_client_token() {
    let node = resolved(CLUSTER_NODE, cluster_spec().to_attrs());
    let token = node.client_token();
    let created = mock!(Client::create_cluster)
        .match_requests(move |r| {
            let vpc = r.resources_vpc_config();
            r.client_request_token() == Some(token.as_str())
                && vpc.and_then(|v| v.endpoint_private_access()) == Some(true)
                && vpc.and_then(|v| v.endpoint_public_access()) == Some(false)
                && r.access_config().and_then(|a| a.authentication_mode())
                    == Some(&AuthenticationMode::Api)
                && r.encryption_config().len() == 1
        })
        .then_output(|| {
            CreateClusterOutput::builder()
                .cluster(described_cluster(env_cluster(ClusterStatus::Creating)).build())
                .build()
        });
    let c = EksCluster(eks(&[&created])).create(&node).await.expect("created");
    assert_eq!(created.num_calls(), 1, "private, API access, secrets key, token");
    assert_eq!(c.physical_id, CLUSTER_ARN);
    assert_eq!(c.outputs["name"], Value::str(CLUSTER));
}

fn entry(principal: &str, owner: Option<&str>) -> AccessEntry {
    AccessEntry::builder()
        .cluster_name(CLUSTER)
        .principal_arn(principal)
        .access_entry_arn(ENTRY_ARN)
        .set_tags(owner.map(tags))
        .build()
}

fn entry_spec() -> EksAccessEntrySpec {
    EksAccessEntrySpec {
        cluster: CLUSTER.into(),
        principal: ADMIN.into(),
        policy: Some(Policies::One(POLICY.into())),
    }
}

/// The cluster creator's own entry carries no tags: left alone.
#[tokio::test]
async fn observe_maps_this_envs_access_entries_with_their_policy() {
    let [listed, described] = cluster(|c| c);
    let entries = mock!(Client::list_access_entries).then_output(|| {
        ListAccessEntriesOutput::builder().access_entries(ADMIN).access_entries(CREATOR).build()
    });
    let admin = mock!(Client::describe_access_entry)
        .match_requests(|r| r.principal_arn() == Some(ADMIN))
        .then_output(|| {
            DescribeAccessEntryOutput::builder()
                .access_entry(entry(ADMIN, Some("cluster/apps/access/0")))
                .build()
        });
    let creator = mock!(Client::describe_access_entry)
        .match_requests(|r| r.principal_arn() == Some(CREATOR))
        .then_output(|| {
            DescribeAccessEntryOutput::builder().access_entry(entry(CREATOR, None)).build()
        });
    let policies = mock!(Client::list_associated_access_policies).then_output(|| {
        ListAssociatedAccessPoliciesOutput::builder()
            .cluster_name(CLUSTER)
            .principal_arn(ADMIN)
            .associated_access_policies(
                AssociatedAccessPolicy::builder().policy_arn(POLICY).build(),
            )
            .build()
    });
    let k = EksAccessEntry(eks(&[&listed, &described, &entries, &admin, &creator, &policies]));
    let found = k.observe(ENV, &scope()).await.expect("observe");
    assert_eq!(found.len(), 1, "only the env's entry");
    assert_eq!(found[0].id.0, "cluster/apps/access/0");
    assert_eq!(
        EksAccessEntrySpec::from_attrs(&found[0].attrs).expect("the spec's shape"),
        entry_spec()
    );
    assert!(k.diff(&entry_spec().to_attrs(), &found[0]).is_empty());
}

#[tokio::test]
async fn an_access_entry_of_this_node_is_adopted_and_its_policy_associated() {
    let in_use = mock!(Client::create_access_entry)
        .then_error(|| CreateAccessEntryError::generic(error("ResourceInUseException")));
    let mine = mock!(Client::describe_access_entry).then_output(|| {
        DescribeAccessEntryOutput::builder()
            .access_entry(entry(ADMIN, Some("cluster/apps/access/0")))
            .build()
    });
    let associated = mock!(Client::associate_access_policy)
        .match_requests(|r| r.policy_arn() == Some(POLICY))
        .then_output(|| AssociateAccessPolicyOutput::builder().build());
    let c = EksAccessEntry(eks(&[&in_use, &mine, &associated]))
        .create(&resolved("cluster/apps/access/0", entry_spec().to_attrs()))
        .await
        .expect("adopted");
    assert_eq!(c.physical_id, ENTRY_ARN);
    assert_eq!(associated.num_calls(), 1);

    // The creator's own entry (no tags) is not taken over.
    let creators = mock!(Client::describe_access_entry).then_output(|| {
        DescribeAccessEntryOutput::builder().access_entry(entry(ADMIN, None)).build()
    });
    let in_use = mock!(Client::create_access_entry)
        .then_error(|| CreateAccessEntryError::generic(error("ResourceInUseException")));
    let err = EksAccessEntry(eks(&[&in_use, &creators]))
        .create(&resolved("cluster/apps/access/0", entry_spec().to_attrs()))
        .await
        .expect_err("someone else's entry");
    assert_eq!(err.class, ErrorClass::Fatal, "{err}");
}

fn observed(attrs: airgap_engine::Attrs, outputs: &[(&str, &str)]) -> Observed {
    Observed {
        id: "x".into(),
        physical_id: "arn:x".into(),
        attrs,
        outputs: outputs.iter().map(|(k, v)| (k.to_string(), Value::str(*v))).collect(),
        parents: vec![],
    }
}

#[tokio::test]
async fn deletes_of_what_is_already_gone_succeed() {
    let gone = mock!(Client::delete_access_entry)
        .then_error(|| DeleteAccessEntryError::generic(error("ResourceNotFoundException")));
    EksAccessEntry(eks(&[&gone]))
        .delete(&scope(), &observed(entry_spec().to_attrs(), &[]))
        .await
        .expect("an entry already gone");
    assert_eq!(gone.num_calls(), 1);

    let addon = EksAddonSpec {
        cluster: Id::from(CLUSTER),
        name: "coredns".into(),
        kubernetes_version: None,
    };
    let gone = mock!(Client::delete_addon)
        .then_error(|| DeleteAddonError::generic(error("ResourceNotFoundException")));
    let not_found = mock!(Client::describe_addon)
        .then_error(|| DescribeAddonError::generic(error("ResourceNotFoundException")));
    let k = EksAddon(eks(&[&gone, &not_found]));
    let o = observed(addon.to_attrs(), &[("cluster", CLUSTER), ("id", "coredns")]);
    k.delete(&scope(), &o).await.expect("an add-on already gone");
    assert_eq!(
        k.ready(Check {
            scope: &scope(),
            op: Op::Delete,
            physical_id: "arn:x",
            outputs: &o.outputs,
            handle: None,
        })
        .await
        .expect("readiness"),
        Readiness::Gone
    );
}

/// The Kubernetes version an add-on was installed for is read back from its tag.
#[tokio::test]
async fn an_addon_is_observed_with_its_recorded_kubernetes_version() {
    let [listed, described] = cluster(|c| c);
    let addons = mock!(Client::list_addons)
        .then_output(|| ListAddonsOutput::builder().addons("coredns").build());
    let addon = mock!(Client::describe_addon).then_output(|| {
        let mut t = tags("cluster/apps/addon/coredns");
        t.insert("airgap:kubernetes-version".into(), "1.31".into());
        DescribeAddonOutput::builder()
            .addon(
                Addon::builder()
                    .addon_name("coredns")
                    .cluster_name(CLUSTER)
                    .addon_arn("arn:addon")
                    .addon_version("v1.11.3-eksbuild.1")
                    .status(AddonStatus::Active)
                    .set_tags(Some(t))
                    .build(),
            )
            .build()
    });
    let found = EksAddon(eks(&[&listed, &described, &addons, &addon]))
        .observe(ENV, &scope())
        .await
        .expect("observe");
    assert_eq!(found.len(), 1);
    assert_eq!(
        EksAddonSpec::from_attrs(&found[0].attrs).expect("the spec's shape"),
        EksAddonSpec {
            cluster: CLUSTER.into(),
            name: "coredns".into(),
            kubernetes_version: Some("1.31".into()),
        }
    );
    assert_eq!(found[0].outputs["addonVersion"], Value::str("v1.11.3-eksbuild.1"));
}

/// After an accepted DeleteCluster, a cluster still ACTIVE did not start deleting: the
/// SDK's `ClusterDeleted` waiter counts that as failure, and a cluster has no
/// DELETE_FAILED to say so. DELETING stays pending.
#[tokio::test]
async fn a_cluster_still_active_after_its_delete_fails_the_delete() {
    let [_, active] = cluster(|c| c);
    let k = EksCluster(eks(&[&active]));
    let (outputs, at) =
        ([("name".to_string(), Value::str(CLUSTER))].into_iter().collect(), scope());
    let check = || Check {
        scope: &at,
        op: Op::Delete,
        physical_id: CLUSTER_ARN,
        outputs: &outputs,
        handle: None,
    };
    let e = k.ready(check()).await.expect_err("an ACTIVE cluster after its delete");
    assert_eq!((e.class, e.code.as_str()), (ErrorClass::Fatal, "DeleteFailed"), "{e:?}");

    let deleting = mock!(Client::describe_cluster).then_output(|| {
        DescribeClusterOutput::builder()
            .cluster(env_cluster(ClusterStatus::Deleting).build())
            .build()
    });
    let k = EksCluster(eks(&[&deleting]));
    assert_eq!(k.ready(check()).await.expect("readiness"), Readiness::Pending("DELETING".into()));
}
