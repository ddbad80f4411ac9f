//! The EKS node group kind against mocked EKS responses (aws-smithy-mocks): what observe
//! makes of a described node group (taints and labels in the spec's shape), a create
//! with its client token, adopting a node group of this node after
//! `ResourceInUseException`, an update that sends only what the plan changes, and a
//! delete of a node group already gone.
//!
//! EKS API reference: `Taint.effect` is `NO_SCHEDULE | NO_EXECUTE | PREFER_NO_SCHEDULE`
//! (https://docs.aws.amazon.com/eks/latest/APIReference/API_Taint.html); CreateNodegroup
//! takes a `clientRequestToken` "to ensure the idempotency of the request"
//! (https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html).

use std::collections::BTreeMap;

use crate::eks_mock::{cluster, eks, error, scope, tags, CLUSTER, CLUSTER_ARN, ENV};
use airgap_aws::eks::EksNodegroup;
use airgap_catalog::spec::{
    CapacityType, EksNodegroupSpec, Id, MaxUnavailable, Spec, Taint as SpecTaint,
    TaintEffect as Effect,
};
use airgap_engine::{
    Change, Check, Diff, ErrorClass, FieldChange, Kind, Observed, Op, Readiness, Resolved, Value,
};
use aws_sdk_eks::operation::create_nodegroup::{CreateNodegroupError, CreateNodegroupOutput};
use aws_sdk_eks::operation::delete_nodegroup::DeleteNodegroupError;
use aws_sdk_eks::operation::describe_nodegroup::{DescribeNodegroupError, DescribeNodegroupOutput};
use aws_sdk_eks::operation::list_nodegroups::ListNodegroupsOutput;
use aws_sdk_eks::operation::update_nodegroup_config::UpdateNodegroupConfigOutput;
use aws_sdk_eks::types::builders::NodegroupBuilder;
use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, Nodegroup, NodegroupScalingConfig, NodegroupStatus,
    NodegroupUpdateConfig, Taint, TaintEffect, Update, UpdateStatus,
};
use aws_sdk_eks::Client;
use aws_smithy_mocks::{mock, Rule};

const NG: &str = "general";
const NG_ARN: &str = "arn:aws:eks:eu-central-1:111111111111:nodegroup/demo-apps/general/1-2-3";
const NODE: &str = "cluster/apps/nodegroup/general";
const ROLE: &str = "arn:aws:iam::111111111111:role/node";

/// The kind, its calls answered by `rules` and, after them, by the cluster at the
/// spec's version (1.31), which a create or a version update reads first.
fn kind(rules: &[&Rule]) -> EksNodegroup {
    let [_, at_spec_version] = cluster(|c| c.version("1.31"));
    let mut all = rules.to_vec();
    all.push(&at_spec_version);
    EksNodegroup(eks(&all))
}

/// The spec the expansion makes: two taints and a label, subnets in blueprint order.
fn spec() -> EksNodegroupSpec {
    EksNodegroupSpec {
        cluster: CLUSTER.into(),
        name: NG.into(),
        role: ROLE.into(),
        subnets: vec!["subnet-b".into(), "subnet-a".into()],
        instance_types: vec!["m6i.large".into()],
        min: 1,
        desired: 2,
        max: 3,
        labels: BTreeMap::from([("tier".to_string(), "apps".to_string())]),
        taints: vec![
            SpecTaint {
                key: "dedicated".into(),
                value: Some("apps".into()),
                effect: Effect::NoSchedule,
            },
            SpecTaint { key: "batch".into(), value: None, effect: Effect::PreferNoSchedule },
        ],
        version: Some("1.31".into()),
        ami_type: Some("AL2023_x86_64_STANDARD".into()),
        launch_template: None,
        launch_template_version: None,
        update_config: None,
        capacity_type: CapacityType::OnDemand,
        launch_template_name: None,
    }
}

fn node() -> Resolved {
    crate::eks_mock::node(NODE, spec().to_attrs())
}

/// The node group as EKS describes it, tagged as node `owner`'s.
fn described(owner: &str, status: NodegroupStatus) -> Nodegroup {
    described_builder(owner, status).build()
}

/// The same, to change before it is built.
fn described_builder(owner: &str, status: NodegroupStatus) -> NodegroupBuilder {
    Nodegroup::builder()
        .cluster_name(CLUSTER)
        .nodegroup_name(NG)
        .nodegroup_arn(NG_ARN)
        .node_role(ROLE)
        .subnets("subnet-b")
        .subnets("subnet-a")
        .instance_types("m6i.large")
        .scaling_config(
            NodegroupScalingConfig::builder().min_size(1).desired_size(2).max_size(3).build(),
        )
        .labels("tier", "apps")
        // EKS keeps no order: the dedicated taint second here.
        .taints(Taint::builder().key("batch").effect(TaintEffect::PreferNoSchedule).build())
        .taints(
            Taint::builder().key("dedicated").value("apps").effect(TaintEffect::NoSchedule).build(),
        )
        .version("1.31")
        // Every node group has one: EKS's default when the create named none.
        .update_config(NodegroupUpdateConfig::builder().max_unavailable(1).build())
        .ami_type(AmiTypes::Al2023X8664Standard)
        .status(status)
        .set_tags(Some(tags(owner)))
        .tags("airgap:name", NG)
}

fn describe_gives(ng: Nodegroup) -> Rule {
    mock!(Client::describe_nodegroup)
        .match_requests(|r| r.cluster_name() == Some(CLUSTER) && r.nodegroup_name() == Some(NG))
        .then_output(move || DescribeNodegroupOutput::builder().nodegroup(ng.clone()).build())
}

fn describe_not_found() -> Rule {
    mock!(Client::describe_nodegroup)
        .then_error(|| DescribeNodegroupError::generic(error("ResourceNotFoundException")))
}

#[tokio::test]
async fn observe_maps_a_node_group_into_its_spec_with_typed_taints_and_labels() {
    let [clusters, cluster] = cluster(|c| c);
    let groups = mock!(Client::list_nodegroups)
        .then_output(|| ListNodegroupsOutput::builder().nodegroups(NG).build());
    let ng = describe_gives(described(NODE, NodegroupStatus::Active));
    let found =
        kind(&[&clusters, &cluster, &groups, &ng]).observe(ENV, &scope()).await.expect("observe");
    assert_eq!(found.len(), 1);
    let o = &found[0];
    assert_eq!(o.id.0, NODE);
    assert_eq!(o.physical_id, NG_ARN);
    assert_eq!(o.outputs["cluster"], Value::str(CLUSTER));
    assert_eq!(o.outputs["id"], Value::str(NG));
    assert!(o.parents.contains(&CLUSTER_ARN.to_string()));
    let seen = EksNodegroupSpec::from_attrs(&o.attrs).expect("the spec's shape");
    assert_eq!(
        seen.taints.iter().map(|t| (t.key.as_str(), t.effect)).collect::<Vec<_>>(),
        [("batch", Effect::PreferNoSchedule), ("dedicated", Effect::NoSchedule)],
        "taints in (key, effect) order, whatever order EKS keeps"
    );
    assert_eq!(seen.taints[1].value.as_deref(), Some("apps"));
    assert_eq!(seen.labels["tier"], "apps");
    assert_eq!(seen.subnets, [Id::from("subnet-a"), Id::from("subnet-b")]);
    assert_eq!(seen.update_config, Some(MaxUnavailable::Nodes(1)));
    // The taints' attribute form is the one the plan shows.
    assert_eq!(
        o.attrs["taints"],
        Value::List(vec![
            Value::Map(BTreeMap::from([
                ("key".to_string(), Value::str("batch")),
                ("value".to_string(), Value::Null),
                ("effect".to_string(), Value::str("PREFER_NO_SCHEDULE")),
            ])),
            Value::Map(BTreeMap::from([
                ("key".to_string(), Value::str("dedicated")),
                ("value".to_string(), Value::str("apps")),
                ("effect".to_string(), Value::str("NO_SCHEDULE")),
            ])),
        ])
    );
    // What the blueprint asks for is what EKS shows: no change planned.
    let k = kind(&[]);
    assert!(k.diff(&spec().to_attrs(), o).is_empty(), "{:?}", k.diff(&spec().to_attrs(), o));
}

#[tokio::test]
async fn create_sends_the_spec_with_the_client_token() {
    let token = node().client_token();
    let want = token.clone();
    let created = mock!(Client::create_nodegroup)
        .match_requests(move |r| {
            r.client_request_token() == Some(want.as_str())
                && r.nodegroup_name() == Some(NG)
                && r.taints().len() == 2
                && r.taints().iter().any(|t| {
                    t.key() == Some("dedicated")
                        && t.value() == Some("apps")
                        && t.effect() == Some(&TaintEffect::NoSchedule)
                })
                && r.labels().and_then(|l| l.get("tier")).map(String::as_str) == Some("apps")
                && r.tags().and_then(|t| t.get("airgap:id")).map(String::as_str) == Some(NODE)
        })
        .then_output(|| {
            CreateNodegroupOutput::builder()
                .nodegroup(described(NODE, NodegroupStatus::Creating))
                .build()
        });
    let c = kind(&[&created]).create(&node()).await.expect("created");
    assert_eq!(created.num_calls(), 1, "the request carried the spec and token");
    assert_eq!(c.physical_id, NG_ARN);
    assert_eq!(c.outputs["id"], Value::str(NG));
}

/// CreateNodegroup takes the cluster's version only: during an upgrade over several
/// minors a new group starts at the control plane's and follows it in the next round.
#[tokio::test]
async fn create_during_an_upgrade_starts_at_the_clusters_version() {
    let [_, behind] = cluster(|c| c.version("1.30"));
    let created = mock!(Client::create_nodegroup)
        .match_requests(|r| r.version() == Some("1.30"))
        .then_output(|| {
            CreateNodegroupOutput::builder()
                .nodegroup(described(NODE, NodegroupStatus::Creating))
                .build()
        });
    kind(&[&behind, &created]).create(&node()).await.expect("created");
    assert_eq!((behind.num_calls(), created.num_calls()), (1, 1));
}

#[tokio::test]
async fn create_adopts_this_nodes_group_and_refuses_anyone_elses() {
    let in_use = || {
        mock!(Client::create_nodegroup)
            .then_error(|| CreateNodegroupError::generic(error("ResourceInUseException")))
    };
    for (owner, status, refusal) in [
        (NODE, NodegroupStatus::Active, None),
        ("cluster/apps/nodegroup/other", NodegroupStatus::Active, Some(ErrorClass::Fatal)),
        // This node's, on its way out: wait.
        (NODE, NodegroupStatus::Deleting, Some(ErrorClass::Conflict)),
    ] {
        let (refused, found) = (in_use(), describe_gives(described(owner, status.clone())));
        let r = kind(&[&refused, &found]).create(&node()).await;
        match refusal {
            None => assert_eq!(r.expect("adopted").physical_id, NG_ARN),
            Some(class) => {
                assert_eq!(r.expect_err("not adopted").class, class, "{owner} {status:?}")
            }
        }
    }
}

fn observed() -> Observed {
    Observed {
        id: NODE.into(),
        physical_id: NG_ARN.into(),
        attrs: spec().to_attrs(),
        outputs: airgap_engine::Attrs::from([
            ("id".to_string(), Value::str(NG)),
            ("cluster".to_string(), Value::str(CLUSTER)),
            ("arn".to_string(), Value::str(NG_ARN)),
        ]),
        parents: vec![],
    }
}

#[tokio::test]
async fn delete_of_a_group_already_gone_succeeds_and_is_gone() {
    let gone = mock!(Client::delete_nodegroup)
        .then_error(|| DeleteNodegroupError::generic(error("ResourceNotFoundException")));
    let k = kind(&[&gone, &describe_not_found()]);
    k.delete(&scope(), &observed()).await.expect("already gone is fine");
    assert_eq!(gone.num_calls(), 1);
    let r = k
        .ready(Check {
            scope: &scope(),
            op: Op::Delete,
            physical_id: NG_ARN,
            outputs: &observed().outputs,
            handle: None,
        })
        .await
        .expect("readiness");
    assert_eq!(r, Readiness::Gone);
}

#[tokio::test]
async fn an_update_sends_only_the_taints_the_plan_changes() {
    // Declared: the batch taint becomes NO_EXECUTE; EKS has it as PREFER_NO_SCHEDULE.
    let mut want = spec();
    want.taints[1].effect = Effect::NoExecute;
    let node = Resolved { attrs: want.to_attrs(), ..node() };
    let d = Diff {
        refused: Vec::new(),
        changes: vec![FieldChange {
            field: "taints".into(),
            old: observed().attrs.get("taints").cloned(),
            new: want.to_attrs()["taints"].clone(),
            forces_replacement: false,
        }],
    };
    let now = describe_gives(described(NODE, NodegroupStatus::Active));
    let config = mock!(Client::update_nodegroup_config)
        .match_requests(|r| {
            let t = r.taints();
            r.scaling_config().is_none()
                && r.labels().is_none()
                && t.is_some_and(|t| {
                    t.add_or_update_taints().len() == 1
                        && t.add_or_update_taints()[0].effect() == Some(&TaintEffect::NoExecute)
                        && t.remove_taints().len() == 1
                        && t.remove_taints()[0].effect() == Some(&TaintEffect::PreferNoSchedule)
                })
        })
        .then_output(|| {
            UpdateNodegroupConfigOutput::builder()
                .update(Update::builder().id("u-1").status(UpdateStatus::InProgress).build())
                .build()
        });
    let out = kind(&[&now, &config])
        .update(Change { node: &node, current: &observed(), diff: &d })
        .await
        .expect("update started");
    assert_eq!(config.num_calls(), 1, "one config update with the taint change only");
    assert_eq!(out.handle.as_deref(), Some("u-1"), "the update to follow");
}

/// `updateConfig` (EKS API `NodegroupUpdateConfig`: `maxUnavailable` or
/// `maxUnavailablePercentage`, https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupUpdateConfig.html)
/// goes out with the create when the blueprint sets it, and not at all otherwise.
#[tokio::test]
async fn create_sends_the_update_config_only_when_set() {
    for (set, want) in
        [(None, None), (Some(MaxUnavailable::Percentage(25)), Some((None, Some(25))))]
    {
        let mut spec = spec();
        spec.update_config = set;
        let node = Resolved { attrs: spec.to_attrs(), ..node() };
        let created = mock!(Client::create_nodegroup)
            .match_requests(move |r| {
                r.update_config().map(|u| (u.max_unavailable(), u.max_unavailable_percentage()))
                    == want
            })
            .then_output(|| {
                CreateNodegroupOutput::builder()
                    .nodegroup(described(NODE, NodegroupStatus::Creating))
                    .build()
            });
        kind(&[&created]).create(&node).await.expect("created");
        assert_eq!(created.num_calls(), 1, "{set:?}");
    }
}

/// A changed `updateConfig` is planned as an in-place change and sent alone with
/// UpdateNodegroupConfig.
#[tokio::test]
async fn a_changed_update_config_is_updated_in_place() {
    let mut want = spec();
    want.update_config = Some(MaxUnavailable::Nodes(3));
    let seen = observed_as_described();
    let d = kind(&[]).diff(&want.to_attrs(), &seen);
    assert_eq!(
        d.changes.iter().map(|c| (c.field.as_str(), c.forces_replacement)).collect::<Vec<_>>(),
        [("updateConfig", false)]
    );
    let node = Resolved { attrs: want.to_attrs(), ..node() };
    let now = describe_gives(described(NODE, NodegroupStatus::Active));
    let config = mock!(Client::update_nodegroup_config)
        .match_requests(|r| {
            r.scaling_config().is_none()
                && r.labels().is_none()
                && r.taints().is_none()
                && r.update_config().and_then(|u| u.max_unavailable()) == Some(3)
        })
        .then_output(|| {
            UpdateNodegroupConfigOutput::builder()
                .update(Update::builder().id("u-2").status(UpdateStatus::InProgress).build())
                .build()
        });
    let out = kind(&[&now, &config])
        .update(Change { node: &node, current: &seen, diff: &d })
        .await
        .expect("update started");
    assert_eq!(config.num_calls(), 1);
    assert_eq!(out.handle.as_deref(), Some("u-2"), "the update to follow");
}

/// What observe makes of `described`, without calling it.
fn observed_as_described() -> Observed {
    let mut o = observed();
    let mut s = spec();
    s.update_config = Some(MaxUnavailable::Nodes(1));
    o.attrs = s.sorted().to_attrs();
    o
}

/// The update an update call started is its handle: readiness follows it by
/// DescribeUpdate while it runs (the node group itself may still say ACTIVE), and by
/// the group's status once it succeeded.
#[tokio::test]
async fn readiness_after_an_update_follows_its_handle() {
    use aws_sdk_eks::operation::describe_update::DescribeUpdateOutput;
    let update = |status: UpdateStatus| {
        mock!(Client::describe_update)
            .match_requests(|r| {
                r.name() == Some(CLUSTER)
                    && r.update_id() == Some("u-1")
                    && r.nodegroup_name() == Some(NG)
            })
            .then_output(move || {
                DescribeUpdateOutput::builder()
                    .update(Update::builder().id("u-1").status(status.clone()).build())
                    .build()
            })
    };
    let (sc, outputs) = (scope(), observed().outputs);
    let check = |handle| Check {
        scope: &sc,
        op: Op::Update,
        physical_id: NG_ARN,
        outputs: &outputs,
        handle,
    };
    let active = describe_gives(described(NODE, NodegroupStatus::Active));

    let running = update(UpdateStatus::InProgress);
    let r = kind(&[&running, &active]).ready(check(Some("u-1"))).await.expect("readiness");
    assert_eq!(r, Readiness::Pending("UPDATING".into()));
    assert_eq!(running.num_calls(), 1);

    let done = update(UpdateStatus::Successful);
    let r = kind(&[&done, &active]).ready(check(Some("u-1"))).await.expect("readiness");
    assert!(matches!(r, Readiness::Ready(_)), "{r:?}");
    assert_eq!((done.num_calls(), active.num_calls()), (1, 1));

    let failed = update(UpdateStatus::Failed);
    let err = kind(&[&failed, &active])
        .ready(check(Some("u-1")))
        .await
        .expect_err("a failed update fails the step");
    assert_eq!(err.class, ErrorClass::Fatal);

    // No handle (an update that finished with its call): the status alone decides.
    let untouched = update(UpdateStatus::InProgress);
    let r = kind(&[&untouched, &active]).ready(check(None)).await.expect("readiness");
    assert!(matches!(r, Readiness::Ready(_)), "{r:?}");
    assert_eq!(untouched.num_calls(), 0);
}

/// `capacityType` (EKS API `CreateNodegroup`: `ON_DEMAND | SPOT | CAPACITY_BLOCK`,
/// https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateNodegroup.html) is sent
/// on create and read back on observe; `UpdateNodegroupConfig` has no such field, so a
/// change of it replaces the group.
#[tokio::test]
async fn capacity_type_is_created_observed_and_replaces_when_changed() {
    let mut want = spec();
    want.capacity_type = CapacityType::Spot;
    let n = crate::eks_mock::node(NODE, want.to_attrs());
    let created = mock!(Client::create_nodegroup)
        .match_requests(|r| r.capacity_type() == Some(&CapacityTypes::Spot))
        .then_output(|| {
            CreateNodegroupOutput::builder()
                .nodegroup(described(NODE, NodegroupStatus::Creating))
                .build()
        });
    kind(&[&created]).create(&n).await.expect("created");
    assert_eq!(created.num_calls(), 1, "the create asked for Spot capacity");

    let [clusters, cluster] = cluster(|c| c);
    let groups = mock!(Client::list_nodegroups)
        .then_output(|| ListNodegroupsOutput::builder().nodegroups(NG).build());
    let spot = described_builder(NODE, NodegroupStatus::Active);
    let ng = describe_gives(spot.capacity_type(CapacityTypes::Spot).build());
    let found =
        kind(&[&clusters, &cluster, &groups, &ng]).observe(ENV, &scope()).await.expect("observe");
    let seen = EksNodegroupSpec::from_attrs(&found[0].attrs).expect("the spec's shape");
    assert_eq!(seen.capacity_type, CapacityType::Spot);
    assert!(kind(&[]).diff(&want.to_attrs(), &found[0]).is_empty(), "Spot seen as asked");

    // On-Demand asked of a Spot group: a replacement, not an update.
    let d = kind(&[]).diff(&spec().to_attrs(), &found[0]);
    assert_eq!(
        d.changes.iter().map(|c| (c.field.as_str(), c.forces_replacement)).collect::<Vec<_>>(),
        [("capacityType", true)]
    );
}

/// A node group whose create failed stays CREATE_FAILED (the SDK's `NodegroupActive`
/// waiter counts it final): observe says so, and the plan replaces it rather than
/// passing it as unchanged; a failed update (UPDATE_FAILED, DEGRADED) is not replaced.
#[tokio::test]
async fn a_node_group_whose_create_failed_is_replaced_on_the_next_plan() {
    for (status, replaced) in [
        (NodegroupStatus::CreateFailed, true),
        (NodegroupStatus::Degraded, false),
        (NodegroupStatus::Active, false),
    ] {
        let [clusters, cluster] = cluster(|c| c);
        let groups = mock!(Client::list_nodegroups)
            .then_output(|| ListNodegroupsOutput::builder().nodegroups(NG).build());
        let ng = describe_gives(described(NODE, status.clone()));
        let found = kind(&[&clusters, &cluster, &groups, &ng])
            .observe(ENV, &scope())
            .await
            .expect("observe");
        let d = kind(&[]).diff(&spec().to_attrs(), &found[0]);
        let changes: Vec<_> =
            d.changes.iter().map(|c| (c.field.as_str(), c.forces_replacement)).collect();
        let want: &[(&str, bool)] = if replaced { &[("status", true)] } else { &[] };
        assert_eq!(changes, want, "{status:?}");
    }
}
