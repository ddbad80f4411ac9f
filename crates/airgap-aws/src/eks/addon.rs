//! The EKS add-on kind (`eks-addon`), at the version EKS installs by default on the
//! cluster's Kubernetes version unless one is given.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{AddonStatus, ResolveConflicts};

use super::{busy, std_tags, tag_map, update_pending, with_update, Eks, K8S_VERSION_TAG};
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of};
use crate::kit::{all_pages, delete_call, not_visible_yet, opt_s, s};
use crate::tags;

pub struct EksAddon(pub Arc<Eks>);

fn addon_out(a: &aws_sdk_eks::types::Addon) -> Attrs {
    Attrs::from([
        (
            "id".to_string(),
            Value::str(a.addon_name().unwrap_or_default()),
        ),
        (
            "cluster".to_string(),
            Value::str(a.cluster_name().unwrap_or_default()),
        ),
        (
            "arn".to_string(),
            Value::str(a.addon_arn().unwrap_or_default()),
        ),
        (
            "addonVersion".to_string(),
            Value::str(a.addon_version().unwrap_or_default()),
        ),
    ])
}

async fn describe_addon(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Addon>, KindError> {
    match c
        .describe_addon()
        .cluster_name(cluster)
        .addon_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.addon),
        Err(e) => match classify(e) {
            e if e.class == ErrorClass::NotFound => Ok(None),
            e => Err(e),
        },
    }
}

/// The add-on version EKS installs by default on a Kubernetes version.
async fn default_addon_version(
    c: &aws_sdk_eks::Client,
    addon: &str,
    k8s: &str,
) -> Result<Option<String>, KindError> {
    let infos = all_pages!(c
        .describe_addon_versions()
        .addon_name(addon)
        .kubernetes_version(k8s))?;
    let versions: Vec<_> = infos
        .iter()
        .flat_map(|i| i.addon_versions().iter())
        .filter(|v| {
            v.compatibilities()
                .iter()
                .any(|c| c.cluster_version() == Some(k8s))
        })
        .collect();
    if versions.is_empty() {
        return Err(KindError::fatal(
            "NoAddonVersion",
            format!("EKS offers no version of {addon} for Kubernetes {k8s}"),
        ));
    }
    let default = versions.iter().find(|v| {
        v.compatibilities()
            .iter()
            .any(|c| c.cluster_version() == Some(k8s) && c.default_version())
    });
    Ok(default
        .or(versions.first())
        .and_then(|v| v.addon_version().map(str::to_string)))
}

#[async_trait]
impl Kind for EksAddon {
    kind_meta!(EKS_ADDON);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for cl in self.0.clusters(env, scope).await?.iter() {
            let Some(cname) = cl.name() else { continue };
            let names: Vec<String> = match all_pages!(c.list_addons().cluster_name(cname)) {
                Ok(n) => n,
                Err(e) if e.class == ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            };
            for n in names {
                let Some(ad) = describe_addon(c, cname, &n).await? else {
                    continue;
                };
                let tm = tag_map(ad.tags());
                let Some(id) = tags::owned_id(&tm, env) else {
                    continue;
                };
                if ad.status() == Some(&AddonStatus::Deleting) {
                    continue;
                }
                let mut attrs = Attrs::from([
                    ("cluster".to_string(), Value::str(cname)),
                    ("name".to_string(), Value::str(n.as_str())),
                ]);
                if let Some(v) = tm.get(K8S_VERSION_TAG) {
                    attrs.insert("kubernetesVersion".into(), Value::str(v.as_str()));
                }
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: ad.addon_arn().unwrap_or_default().to_string(),
                    attrs,
                    outputs: addon_out(&ad),
                    parents: vec![cl.arn().unwrap_or_default().to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let (cluster, name) = (s(&node.attrs, "cluster")?, s(&node.attrs, "name")?);
        let k8s = opt_s(&node.attrs, "kubernetesVersion");
        let version = match &k8s {
            Some(v) => default_addon_version(c, &name, v).await?,
            None => None,
        };
        let mut t = std_tags(&node.env, &node.id.0);
        if let Some(v) = &k8s {
            t.insert(K8S_VERSION_TAG.into(), v.clone());
        }
        let ad = match c
            .create_addon()
            .cluster_name(&cluster)
            .addon_name(&name)
            .set_addon_version(version)
            // Take over what EKS installed itself (self-managed vpc-cni, kube-proxy, ...).
            .resolve_conflicts(ResolveConflicts::Overwrite)
            .set_tags(Some(t))
            .client_request_token(node.client_token())
            .send()
            .await
        {
            Ok(o) => o.addon,
            Err(e) if code_of(&e) == Some("ResourceInUseException") => {
                match describe_addon(c, &cluster, &name).await? {
                    Some(ad)
                        if tags::owned_id(&tag_map(ad.tags()), &node.env).as_deref()
                            == Some(node.id.0.as_str()) =>
                    {
                        if ad.status() == Some(&AddonStatus::Deleting) {
                            return Err(busy(&format!("add-on {name}"), "DELETING"));
                        }
                        Some(ad)
                    }
                    Some(_) => {
                        return Err(KindError::fatal(
                            "ResourceInUseException",
                            format!(
                                "cluster {cluster} has an add-on {name} that airgapctl did not \
                                 create for {}; delete it or leave it out of the blueprint",
                                node.id
                            ),
                        ))
                    }
                    None => return Err(classify(e)),
                }
            }
            Err(e) => return Err(classify(e)),
        };
        let ad = ad.ok_or_else(|| KindError::fatal("NoAddon", "CreateAddon returned none"))?;
        Ok(Created {
            physical_id: ad.addon_arn().unwrap_or_default().to_string(),
            outputs: addon_out(&ad),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        // Only the Kubernetes version can differ in place: move to its default version.
        let c = self.0.client(&node.scope)?;
        let (cluster, name) = (s(&node.attrs, "cluster")?, s(&node.attrs, "name")?);
        let what = format!("add-on {name}");
        let Some(ad) = describe_addon(c, &cluster, &name).await? else {
            return Err(KindError::new(
                ErrorClass::NotFound,
                "ResourceNotFoundException",
                what,
            ));
        };
        match ad.status() {
            Some(AddonStatus::Active | AddonStatus::Degraded) => {}
            st => return Err(busy(&what, st.map_or("unknown", |s| s.as_str()))),
        }
        let Some(k8s) = opt_s(&node.attrs, "kubernetesVersion") else {
            return Ok(current.outputs.clone());
        };
        let version = default_addon_version(c, &name, &k8s).await?;
        // The same add-on version may serve both Kubernetes versions: then only the
        // record changes.
        let update = if version.is_some() && version.as_deref() != ad.addon_version() {
            c.update_addon()
                .cluster_name(&cluster)
                .addon_name(&name)
                .set_addon_version(version)
                .resolve_conflicts(ResolveConflicts::Overwrite)
                .send()
                .await
                .map_err(classify)?
                .update
        } else {
            None
        };
        let mut out = with_update(
            current.outputs.clone(),
            update.as_ref().and_then(|u| u.id()),
        );
        // Recorded on the add-on once the update succeeded (see `ready`).
        out.insert("kubernetesVersion".into(), Value::Str(k8s));
        Ok(out)
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        delete_call(
            self.0
                .client(scope)?
                .delete_addon()
                .cluster_name(s(&current.attrs, "cluster")?)
                .addon_name(s(&current.attrs, "name")?)
                .send(),
        )
        .await
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        _physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let c = self.0.client(scope)?;
        let (cluster, name) = (s(outputs, "cluster")?, s(outputs, "id")?);
        if op == Op::Update {
            if let Some(u) = opt_s(outputs, "update") {
                if let Some(st) = update_pending(c, &cluster, &u, None, Some(&name)).await? {
                    return Ok(Readiness::Pending(st));
                }
            }
        }
        let ad = describe_addon(c, &cluster, &name).await?;
        Ok(match (op, ad.as_ref().and_then(|a| a.status().cloned())) {
            (Op::Delete, None) => Readiness::Gone,
            (Op::Delete, Some(AddonStatus::DeleteFailed)) => {
                return Err(KindError::fatal(
                    "DeleteFailed",
                    format!("add-on {name} could not be deleted"),
                ))
            }
            (Op::Delete, Some(st)) => Readiness::Pending(st.as_str().to_string()),
            (_, None) => return Err(not_visible_yet(format!("add-on {name} is not visible yet"))),
            (_, Some(AddonStatus::Active)) => {
                let ad = ad.as_ref().expect("status implies an add-on");
                if let (Op::Update, Some(k8s), Some(arn)) =
                    (op, opt_s(outputs, "kubernetesVersion"), ad.addon_arn())
                {
                    c.tag_resource()
                        .resource_arn(arn)
                        .tags(K8S_VERSION_TAG, k8s)
                        .send()
                        .await
                        .map_err(classify)?;
                }
                Readiness::Ready(addon_out(ad))
            }
            (_, Some(st @ (AddonStatus::CreateFailed | AddonStatus::UpdateFailed))) => {
                let issues: Vec<String> = ad
                    .as_ref()
                    .and_then(|a| a.health())
                    .map(|h| {
                        h.issues()
                            .iter()
                            .filter_map(|i| i.message().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                return Err(KindError::fatal(
                    "AddonFailed",
                    format!("add-on {name} is {}: {}", st.as_str(), issues.join("; ")),
                ));
            }
            // DEGRADED may still turn ACTIVE (coredns waits for nodes): keep waiting.
            (_, Some(st)) => Readiness::Pending(st.as_str().to_string()),
        })
    }
}
