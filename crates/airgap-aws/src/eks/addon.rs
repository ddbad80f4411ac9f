//! The EKS add-on kind (`eks-addon`), at the version EKS installs by default on the
//! cluster's Kubernetes version unless one is given.

use std::sync::Arc;

use airgap_catalog::spec::{EksAddonSpec, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{Addon, ResolveConflicts};

use super::{
    changes, child_update_running, created_as, made_or_adopted, member_out, observed_member,
    readiness, replace_failed, started, std_tags, tag_map, toward_cluster, updatable, Eks,
    Failures, UpdateOf, K8S_VERSION_TAG,
};
use crate::ec2::kind_meta;
use crate::errors::classify;
use crate::kit::{all_pages, delete_call, lookup, opt_s};

pub struct EksAddon(pub Arc<Eks>);

fn addon_out(a: &Addon) -> Attrs {
    let mut out = member_out(
        a.addon_name().unwrap_or_default(),
        a.cluster_name().unwrap_or_default(),
        a.addon_arn().unwrap_or_default(),
    );
    out.insert("addonVersion".into(), Value::str(a.addon_version().unwrap_or_default()));
    out
}

async fn describe_addon(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
) -> Result<Option<Addon>, KindError> {
    Ok(lookup(c.describe_addon().cluster_name(cluster).addon_name(name).send())
        .await?
        .and_then(|o| o.addon))
}

/// The add-on version EKS installs by default on a Kubernetes version.
async fn default_addon_version(
    c: &aws_sdk_eks::Client,
    addon: &str,
    k8s: &str,
) -> Result<Option<String>, KindError> {
    let infos = all_pages!(c.describe_addon_versions().addon_name(addon).kubernetes_version(k8s))?;
    let versions: Vec<_> = infos
        .iter()
        .flat_map(|i| i.addon_versions().iter())
        .filter(|v| v.compatibilities().iter().any(|c| c.cluster_version() == Some(k8s)))
        .collect();
    if versions.is_empty() {
        return Err(KindError::fatal(
            "NoAddonVersion",
            format!("EKS offers no version of {addon} for Kubernetes {k8s}"),
        ));
    }
    let default = versions.iter().find(|v| {
        v.compatibilities().iter().any(|c| c.cluster_version() == Some(k8s) && c.default_version())
    });
    Ok(default.or(versions.first()).and_then(|v| v.addon_version().map(str::to_string)))
}

#[async_trait]
impl Kind for EksAddon {
    kind_meta!(EKS_ADDON);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        replace_failed(self.facts().diff(desired, &observed.attrs), observed)
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let found = self
            .0
            .members(
                env,
                scope,
                |c, cl| async move { all_pages!(c.list_addons().cluster_name(cl)) },
                |c, cl, n| async move { describe_addon(&c, &cl, &n).await },
            )
            .await?;
        Ok(found
            .into_iter()
            .map(|f| {
                let spec = EksAddonSpec {
                    cluster: f.cluster.as_str().into(),
                    name: f.name.clone(),
                    kubernetes_version: tag_map(f.item.tags()).remove(K8S_VERSION_TAG),
                };
                Observed {
                    id: f.id.as_str().into(),
                    physical_id: f.item.addon_arn().unwrap_or_default().to_string(),
                    attrs: spec.to_attrs(),
                    outputs: observed_member(&f.item, addon_out(&f.item)),
                    parents: vec![f.cluster_arn],
                }
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = EksAddonSpec::from_attrs(&node.attrs)?;
        let (cluster, name) = (spec.cluster.get()?, spec.name.as_str());
        let version = match &spec.kubernetes_version {
            Some(v) => default_addon_version(c, name, v).await?,
            None => None,
        };
        let mut t = std_tags(&node.env, &node.id.0);
        if let Some(v) = &spec.kubernetes_version {
            t.insert(K8S_VERSION_TAG.into(), v.clone());
        }
        let sent = c
            .create_addon()
            .cluster_name(cluster)
            .addon_name(name)
            .set_addon_version(version)
            // Take over what EKS installed itself (self-managed vpc-cni, kube-proxy, ...).
            .resolve_conflicts(ResolveConflicts::Overwrite)
            .set_tags(Some(t))
            .client_request_token(node.client_token())
            .send()
            .await;
        let ad = made_or_adopted(
            sent,
            |o| o.addon,
            || describe_addon(c, cluster, name),
            node,
            &format!("add-on {name}"),
            || {
                format!(
                    "cluster {cluster} has an add-on {name} that airgapctl did not \
                     create for {}; delete it or leave it out of the blueprint",
                    node.id
                )
            },
        )
        .await?;
        Ok(created_as(&ad, addon_out))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        // Only the Kubernetes version changes in place (cluster and name replace):
        // move to its default version.
        let spec = EksAddonSpec::from_attrs(&change.node.attrs)?;
        let Some(k8s) =
            spec.kubernetes_version.filter(|_| changes(change.diff, &["kubernetesVersion"]))
        else {
            return Ok(change.done());
        };
        let c = self.0.client(&change.node.scope)?;
        let (cluster, name) = (spec.cluster.get()?, spec.name.as_str());
        let what = format!("add-on {name}");
        let ad =
            updatable(describe_addon(c, cluster, name).await?, &what, &["ACTIVE", "DEGRADED"])?;
        // Each step of an upgrade: the add-on's version for the cluster's minor.
        let (k8s, rest) = toward_cluster(c, cluster, &k8s).await?;
        let version = default_addon_version(c, name, &k8s).await?;
        // The same add-on version may serve both Kubernetes versions: then only the
        // record changes.
        let update = if version.is_some() && version.as_deref() != ad.addon_version() {
            c.update_addon()
                .cluster_name(cluster)
                .addon_name(name)
                .set_addon_version(version)
                .resolve_conflicts(ResolveConflicts::Overwrite)
                .send()
                .await
                .map_err(classify)?
                .update
        } else {
            None
        };
        let mut out = change.current.outputs.clone();
        // Recorded on the add-on once the update succeeded (see `ready`).
        out.insert("kubernetesVersion".into(), Value::Str(k8s));
        Ok(started(out, update.as_ref()).with_remaining(rest))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let spec = EksAddonSpec::from_attrs(&current.attrs)?;
        delete_call(
            self.0
                .client(scope)?
                .delete_addon()
                .cluster_name(spec.cluster.get()?)
                .addon_name(&spec.name)
                .send(),
        )
        .await
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let (cluster, name, running) =
            child_update_running(c, &check, |n| UpdateOf::Addon(n)).await?;
        if let Some(r) = running {
            return Ok(r);
        }
        let ad = describe_addon(c, &cluster, &name).await?;
        // DEGRADED may still turn ACTIVE (coredns waits for nodes): pending.
        let answer = readiness(
            check.op,
            &format!("add-on {name}"),
            ad.as_ref(),
            &Failures {
                code: "AddonFailed",
                failed: &["CREATE_FAILED", "UPDATE_FAILED"],
                delete: &["DELETE_FAILED"],
            },
            addon_out,
        )?;
        if let (Readiness::Ready(_), Op::Update, Some(k8s), Some(arn)) = (
            &answer,
            check.op,
            opt_s(check.outputs, "kubernetesVersion"),
            ad.as_ref().and_then(|a| a.addon_arn()),
        ) {
            c.tag_resource()
                .resource_arn(arn)
                .tags(K8S_VERSION_TAG, k8s)
                .send()
                .await
                .map_err(classify)?;
        }
        Ok(answer)
    }
}
