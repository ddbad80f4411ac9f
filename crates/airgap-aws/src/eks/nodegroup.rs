//! The EKS managed node group kind (`eks-nodegroup`): scaling, labels, taints and
//! launch template, replaced create-before-destroy.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::names::{fit, EKS_NODEGROUP_NAME};
use airgap_catalog::spec::{CapacityType, EksNodegroupSpec, Id, MaxUnavailable, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, Kind, KindError, Observed, Readiness, Resolved, Scope,
    Updated,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{
    LaunchTemplateSpecification, Nodegroup, NodegroupScalingConfig, NodegroupUpdateConfig, Taint,
    TaintEffect, UpdateLabelsPayload, UpdateTaintsPayload,
};

use super::{
    changes, child_update_running, created_as, ids, made_or_adopted, member_out, more_to_do,
    observed_member, readiness, replace_failed, started, std_tags, tag_map, toward_cluster,
    updatable, Eks, Failures, UpdateOf, NAME_TAG,
};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{all_pages, delete_call, lookup, s};

pub struct EksNodegroup(pub Arc<Eks>);

/// A taint as EKS takes it.
fn sdk_taint(t: &airgap_catalog::spec::Taint) -> Taint {
    Taint::builder()
        .key(&t.key)
        .set_value(t.value.clone())
        .effect(TaintEffect::from(t.effect.as_str()))
        .build()
}

/// A taint as EKS shows it; one of an effect this version does not know is left out
/// (and so put back as declared).
fn spec_taint(t: &Taint) -> Option<airgap_catalog::spec::Taint> {
    Some(airgap_catalog::spec::Taint {
        key: t.key().unwrap_or_default().to_string(),
        value: t.value().map(str::to_string),
        effect: airgap_catalog::spec::TaintEffect::parse(t.effect()?.as_str())?,
    })
}

/// The update configuration as EKS takes it.
fn sdk_update_config(u: MaxUnavailable) -> NodegroupUpdateConfig {
    match u {
        MaxUnavailable::Nodes(n) => NodegroupUpdateConfig::builder().max_unavailable(n),
        MaxUnavailable::Percentage(p) => {
            NodegroupUpdateConfig::builder().max_unavailable_percentage(p)
        }
    }
    .build()
}

/// The update configuration as EKS shows it (every node group has one: EKS's default
/// is one node).
fn spec_update_config(u: &NodegroupUpdateConfig) -> Option<MaxUnavailable> {
    match (u.max_unavailable(), u.max_unavailable_percentage()) {
        (Some(n), _) => Some(MaxUnavailable::Nodes(n)),
        (None, Some(p)) => Some(MaxUnavailable::Percentage(p)),
        (None, None) => None,
    }
}

/// What EKS shows of a node group, in its spec's shape.
fn spec_of(ng: &Nodegroup) -> EksNodegroupSpec {
    let tm = tag_map(ng.tags());
    let name = tm
        .get(NAME_TAG)
        .cloned()
        .unwrap_or_else(|| ng.nodegroup_name().unwrap_or_default().to_string());
    let sc = ng.scaling_config();
    let lt = ng.launch_template();
    EksNodegroupSpec {
        cluster: ng.cluster_name().unwrap_or_default().into(),
        name,
        role: ng.node_role().unwrap_or_default().into(),
        subnets: ng.subnets().iter().map(|s| s.as_str().into()).collect(),
        instance_types: ng.instance_types().to_vec(),
        min: sc.and_then(|s| s.min_size()).unwrap_or(0),
        desired: sc.and_then(|s| s.desired_size()).unwrap_or(0),
        max: sc.and_then(|s| s.max_size()).unwrap_or(0),
        labels: ng
            .labels()
            .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        taints: ng.taints().iter().filter_map(spec_taint).collect(),
        version: Some(ng.version().unwrap_or_default().to_string()),
        // The image of a node group with a launch template is the template's.
        ami_type: lt.is_none().then(|| ng.ami_type().map_or("", |t| t.as_str()).to_string()),
        launch_template: lt.map(|l| l.id().or(l.name()).unwrap_or_default().into()),
        launch_template_version: lt.and_then(|l| l.version()).map(Id::from),
        update_config: ng.update_config().and_then(spec_update_config),
        capacity_type: ng
            .capacity_type()
            .and_then(|c| CapacityType::parse(c.as_str()))
            .unwrap_or_default(),
        launch_template_name: lt.and_then(|l| l.name()).map(str::to_string),
    }
    .sorted()
}

fn ng_out(ng: &Nodegroup) -> Attrs {
    member_out(
        ng.nodegroup_name().unwrap_or_default(),
        ng.cluster_name().unwrap_or_default(),
        ng.nodegroup_arn().unwrap_or_default(),
    )
}

/// The cluster and AWS name of a node group ARN
/// (`arn:aws:eks:<region>:<account>:nodegroup/<cluster>/<name>/<uuid>`).
fn ng_names(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.split_once(":nodegroup/")?.1;
    let mut parts = rest.split('/');
    Some((parts.next()?, parts.next()?))
}

async fn describe_ng(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
) -> Result<Option<Nodegroup>, KindError> {
    Ok(lookup(c.describe_nodegroup().cluster_name(cluster).nodegroup_name(name).send())
        .await?
        .and_then(|o| o.nodegroup))
}

fn scaling(spec: &EksNodegroupSpec) -> NodegroupScalingConfig {
    NodegroupScalingConfig::builder()
        .min_size(spec.min)
        .desired_size(spec.desired)
        .max_size(spec.max)
        .build()
}

/// The label changes from `have` to `want`: EKS takes additions and removals.
fn labels_update(want: &EksNodegroupSpec, have: &EksNodegroupSpec) -> UpdateLabelsPayload {
    let add: HashMap<String, String> = want
        .labels
        .iter()
        .filter(|(k, v)| have.labels.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<String> =
        have.labels.keys().filter(|k| !want.labels.contains_key(*k)).cloned().collect();
    UpdateLabelsPayload::builder()
        .set_add_or_update_labels((!add.is_empty()).then_some(add))
        .set_remove_labels((!remove.is_empty()).then_some(remove))
        .build()
}

/// The taint changes from `have` to `want`: a taint is identified by key and effect,
/// so one whose value changed is added (updated) and not removed.
fn taints_update(want: &EksNodegroupSpec, have: &EksNodegroupSpec) -> UpdateTaintsPayload {
    let add: Vec<Taint> =
        want.taints.iter().filter(|t| !have.taints.contains(t)).map(sdk_taint).collect();
    let remove: Vec<Taint> = have
        .taints
        .iter()
        .filter(|h| !want.taints.iter().any(|w| w.key == h.key && w.effect == h.effect))
        .map(sdk_taint)
        .collect();
    UpdateTaintsPayload::builder()
        .set_add_or_update_taints((!add.is_empty()).then_some(add))
        .set_remove_taints((!remove.is_empty()).then_some(remove))
        .build()
}

#[async_trait]
impl Kind for EksNodegroup {
    kind_meta!(EKS_NODEGROUP);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let want = match (
            EksNodegroupSpec::from_attrs(desired),
            EksNodegroupSpec::from_attrs(&observed.attrs),
        ) {
            (Ok(d), Ok(o)) => d.comparable(&o).to_attrs(),
            _ => desired.clone(),
        };
        replace_failed(self.facts().diff(&want, &observed.attrs), observed)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let found = self
            .0
            .members(
                env,
                scope,
                |c, cl| async move { all_pages!(c.list_nodegroups().cluster_name(cl)) },
                |c, cl, n| async move { describe_ng(&c, &cl, &n).await },
            )
            .await?;
        Ok(found
            .into_iter()
            .map(|f| {
                let ng = &f.item;
                let mut parents = vec![f.cluster_arn];
                parents.extend(ng.node_role().map(str::to_string));
                parents.extend(ng.subnets().iter().cloned());
                Observed {
                    id: f.id.as_str().into(),
                    physical_id: ng.nodegroup_arn().unwrap_or_default().to_string(),
                    attrs: spec_of(ng).to_attrs(),
                    outputs: observed_member(ng, ng_out(ng)),
                    parents,
                }
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = EksNodegroupSpec::from_attrs(&node.attrs)?;
        let cluster = spec.cluster.get()?;
        let base = spec.name.as_str();
        // CreateNodegroup takes the cluster's version only ("this is the only accepted
        // specified value", botocore): a group added during an upgrade over several
        // minors starts at the control plane's and follows it in the next round.
        let version = match &spec.version {
            Some(v) => Some(toward_cluster(c, cluster, v).await?.0),
            None => None,
        };
        // Names are unique per cluster: a create-before-destroy replacement takes a
        // name beside the old one's (alternating, so names do not grow).
        let aws_name = match node.replaces.as_deref().and_then(ng_names) {
            Some((_, old)) if old == base => {
                let tail = format!("{:08x}", node.spec_hash() as u32);
                format!("{}-{tail}", fit(base, EKS_NODEGROUP_NAME - tail.len() - 1))
            }
            _ => base.to_string(),
        };
        let mut t = std_tags(&node.env, &node.id.0);
        t.insert(NAME_TAG.into(), base.to_string());
        let mut req = c
            .create_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name(&aws_name)
            .node_role(spec.role.get()?)
            .set_subnets(Some(ids(&spec.subnets)?))
            .set_instance_types(Some(spec.instance_types.clone()))
            .scaling_config(scaling(&spec))
            .set_labels(Some(spec.labels.clone().into_iter().collect()))
            .set_taints(Some(spec.taints.iter().map(sdk_taint).collect()))
            .set_version(version)
            .set_update_config(spec.update_config.map(sdk_update_config))
            .capacity_type(spec.capacity_type.as_str().into())
            .set_tags(Some(t))
            .client_request_token(node.client_token());
        if let Some(ami) = &spec.ami_type {
            req = req.ami_type(ami.as_str().into());
        }
        if let Some(lt) = &spec.launch_template {
            let lt = lt.get()?;
            let by = if lt.starts_with("lt-") {
                LaunchTemplateSpecification::builder().id(lt)
            } else {
                LaunchTemplateSpecification::builder().name(lt)
            };
            let version = match &spec.launch_template_version {
                Some(v) => Some(v.get()?.to_string()),
                None => None,
            };
            req = req
                .launch_template(by.set_version(version).build())
                // The template's image decides; EKS takes no version beside it then.
                .set_version(None);
        }
        let what = format!("node group {aws_name}");
        let ng = made_or_adopted(
            req.send().await,
            |o| o.nodegroup,
            || describe_ng(c, cluster, &aws_name),
            node,
            &what,
            || format!("cluster {cluster} has a node group {aws_name} that is not {}", node.id),
        )
        .await?;
        Ok(created_as(&ng, ng_out))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let c = self.0.client(&change.node.scope)?;
        let (cluster, name) =
            (s(&change.current.outputs, "cluster")?, s(&change.current.outputs, "id")?);
        let what = format!("node group {name}");
        // DEGRADED takes updates too: a health issue may be what the change mends. A
        // group degraded by a failed scale-out returns to ACTIVE only through a scaling
        // update that succeeds (containers-roadmap#2326), so refusing it here would leave
        // the group stuck; botocore lists no status refusal for UpdateNodegroupConfig.
        let ng = updatable(describe_ng(c, &cluster, &name).await?, &what, &["ACTIVE", "DEGRADED"])?;
        // The fields the plan changes that still differ, freshly described: a first
        // update of two (EKS runs one at a time) may have done its part already.
        let now = spec_of(&ng);
        let want = EksNodegroupSpec::from_attrs(&change.node.attrs)?.comparable(&now);
        let (w, n) = (want.to_attrs(), now.to_attrs());
        let todo = |fields: &[&str]| {
            changes(change.diff, fields)
                && fields.iter().any(|k| w.get(*k).is_some_and(|v| n.get(*k) != Some(v)))
        };
        // Each step of an upgrade: no further than the control plane's version.
        let (k8s, rest) = match want.version.as_deref().filter(|_| todo(&["version"])) {
            Some(v) => toward_cluster(c, &cluster, v).await?,
            None => (String::new(), None),
        };
        let k8s = (!k8s.is_empty() && Some(k8s.as_str()) != now.version.as_deref()).then_some(k8s);
        let version = k8s.is_some() || todo(&["launchTemplateVersion"]);
        let config = todo(&["min", "desired", "max", "labels", "taints", "updateConfig"]);
        let update = if version {
            let mut req = c.update_nodegroup_version().cluster_name(&cluster).nodegroup_name(&name);
            if todo(&["launchTemplateVersion"]) {
                let lt = ng.launch_template();
                let version = match &want.launch_template_version {
                    Some(v) => Some(v.get()?.to_string()),
                    None => None,
                };
                req = req.launch_template(
                    LaunchTemplateSpecification::builder()
                        .set_id(lt.and_then(|l| l.id()).map(str::to_string))
                        .set_name(lt.and_then(|l| l.name()).map(str::to_string))
                        .set_version(version)
                        .build(),
                );
            }
            req = req.set_version(k8s);
            req.send().await.map_err(classify)?.update
        } else if config {
            let mut req = c.update_nodegroup_config().cluster_name(&cluster).nodegroup_name(&name);
            if todo(&["min", "desired", "max"]) {
                req = req.scaling_config(scaling(&want));
            }
            if todo(&["labels"]) {
                req = req.labels(labels_update(&want, &now));
            }
            if todo(&["taints"]) {
                req = req.taints(taints_update(&want, &now));
            }
            if todo(&["updateConfig"]) {
                req = req.set_update_config(want.update_config.map(sdk_update_config));
            }
            req.send().await.map_err(classify)?.update
        } else {
            return Ok(change.done().with_remaining(rest));
        };
        if version && config {
            return Err(more_to_do(&what, "the version update", &["the configuration update"]));
        }
        Ok(started(change.current.outputs.clone(), update.as_ref()).with_remaining(rest))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let (cluster, name) = (s(&current.outputs, "cluster")?, s(&current.outputs, "id")?);
        delete_call(
            self.0
                .client(scope)?
                .delete_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let (cluster, name, running) =
            child_update_running(c, &check, |n| UpdateOf::Nodegroup(n)).await?;
        if let Some(r) = running {
            return Ok(r);
        }
        let ng = describe_ng(c, &cluster, &name).await?;
        // CREATE_FAILED or DEGRADED: nodes that never joined (no way to the endpoints,
        // a wrong role, ...).
        readiness(
            check.op,
            &format!("node group {name}"),
            ng.as_ref(),
            &Failures {
                code: "NodegroupFailed",
                failed: &["CREATE_FAILED", "DEGRADED"],
                delete: &["DELETE_FAILED"],
            },
            ng_out,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use airgap_catalog::spec::TaintEffect as Effect;

    #[test]
    fn nodegroup_arns_name_cluster_and_group() {
        assert_eq!(
            ng_names("arn:aws:eks:eu-central-1:1:nodegroup/demo-apps/general/1-2-3"),
            Some(("demo-apps", "general"))
        );
    }

    #[test]
    fn a_taint_goes_to_eks_and_back_unchanged() {
        for effect in Effect::ALL {
            let t = airgap_catalog::spec::Taint {
                key: "dedicated".into(),
                value: Some("gpu".into()),
                effect,
            };
            let sdk = sdk_taint(&t);
            assert_eq!(sdk.effect().map(|e| e.as_str()), Some(effect.as_str()));
            assert_eq!(spec_taint(&sdk), Some(t));
        }
    }
}
