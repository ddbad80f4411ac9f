//! The EKS cluster kind (`eks-cluster`): the private control plane, its version,
//! logging, access configuration and secrets key.

use std::sync::Arc;

use airgap_catalog::spec::{EksClusterSpec, Id, Spec};
use airgap_engine::{
    Attrs, Change, Check, Created, Diff, Kind, KindError, Observed, Readiness, Resolved, Scope,
    Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{
    AuthenticationMode, Cluster, ClusterStatus, CreateAccessConfigRequest, EncryptionConfig,
    LogSetup, LogType, Logging, Provider, UpdateAccessConfigRequest, VpcConfigRequest,
};

use super::{
    changes, cluster_id, created_as, describe_cluster, ids, made_or_adopted, more_to_do,
    next_version, readiness, started, std_tags, updatable, update_running, Eks, Failures, UpdateOf,
};
use crate::ec2::kind_meta;
use crate::errors::{classify, gone_is_ok};
use crate::kit::{s, set_of};

pub struct EksCluster(pub Arc<Eks>);

fn cluster_out(cl: &Cluster) -> Attrs {
    let vpc = cl.resources_vpc_config();
    let mut out = Attrs::from([
        ("id".to_string(), Value::str(cl.name().unwrap_or_default())),
        ("name".to_string(), Value::str(cl.name().unwrap_or_default())),
        ("arn".to_string(), Value::str(cl.arn().unwrap_or_default())),
        ("endpoint".to_string(), Value::str(cl.endpoint().unwrap_or_default())),
        ("version".to_string(), Value::str(cl.version().unwrap_or_default())),
    ]);
    if let Some(sg) = vpc.and_then(|v| v.cluster_security_group_id()) {
        out.insert("clusterSecurityGroup".into(), Value::str(sg));
    }
    // What a node needs to join (the launch template of a custom AMI).
    if let Some(ca) = cl.certificate_authority().and_then(|c| c.data()) {
        out.insert("ca".into(), Value::str(ca));
    }
    if let Some(cidr) = cl.kubernetes_network_config().and_then(|k| k.service_ipv4_cidr()) {
        out.insert("serviceCidr".into(), Value::str(cidr));
    }
    out
}

/// What dependents may use of a cluster observe found: all of [`cluster_out`] but its
/// `id` until the cluster serves (ACTIVE, or UPDATING). Add-ons, node groups and access
/// entries reference the `id`, and EKS refuses them on a cluster that is still CREATING;
/// without it the plan waits for the cluster (`<=`), as after a run killed while EKS was
/// creating it, instead of failing them.
fn observed_out(cl: &Cluster) -> Attrs {
    let mut out = cluster_out(cl);
    if !matches!(cl.status(), Some(ClusterStatus::Active | ClusterStatus::Updating)) {
        out.remove("id");
    }
    out
}

fn enabled_logs(cl: &Cluster) -> Vec<String> {
    let logging = cl.logging().map(|l| l.cluster_logging()).unwrap_or_default();
    let enabled = logging.iter().filter(|s| s.enabled() == Some(true));
    set_of(enabled.flat_map(|s| s.types().iter().map(|t| t.as_str())))
}

/// The KMS key of the cluster's envelope encryption (EKS now encrypts all API data
/// with it; `resources: [secrets]` is deprecated and left out).
fn secrets_key(cl: &Cluster) -> Option<String> {
    cl.encryption_config().iter().find_map(|e| e.provider()?.key_arn().map(str::to_string))
}

/// What EKS shows of a cluster, in its spec's shape.
fn spec_of(cl: &Cluster) -> EksClusterSpec {
    let vpc = cl.resources_vpc_config();
    let listed = |f: fn(&aws_sdk_eks::types::VpcConfigResponse) -> &[String]| -> Vec<Id> {
        vpc.map(|v| f(v).iter().map(|s| s.as_str().into()).collect()).unwrap_or_default()
    };
    EksClusterSpec {
        name: cl.name().unwrap_or_default().to_string(),
        role: cl.role_arn().unwrap_or_default().into(),
        subnets: listed(|v| v.subnet_ids()),
        security_groups: listed(|v| v.security_group_ids()),
        endpoint_private_access: vpc.is_some_and(|v| v.endpoint_private_access()),
        endpoint_public_access: vpc.is_some_and(|v| v.endpoint_public_access()),
        authentication_mode: cl
            .access_config()
            .and_then(|a| a.authentication_mode())
            .map_or("CONFIG_MAP", |m| m.as_str())
            .to_string(),
        logging: enabled_logs(cl),
        version: Some(cl.version().unwrap_or_default().to_string()),
        secrets_key: secrets_key(cl).map(Id::Known),
    }
    .sorted()
}

fn cluster_parents(cl: &Cluster) -> Vec<String> {
    let mut p = Vec::new();
    if let Some(v) = cl.resources_vpc_config() {
        p.extend(v.subnet_ids().iter().cloned());
        p.extend(v.security_group_ids().iter().cloned());
    }
    p.extend(cl.role_arn().map(str::to_string));
    p.extend(secrets_key(cl));
    p
}

fn log_types(types: &[String]) -> Vec<LogType> {
    types.iter().map(|t| LogType::from(t.as_str())).collect()
}

/// Enables exactly `wanted` of the control plane log types, disabling the rest.
fn logging(wanted: &[String]) -> Logging {
    const ALL: [&str; 5] = ["api", "audit", "authenticator", "controllerManager", "scheduler"];
    let off: Vec<String> =
        ALL.iter().filter(|t| !wanted.iter().any(|w| w == *t)).map(|t| t.to_string()).collect();
    let mut l = Logging::builder();
    if !wanted.is_empty() {
        l = l.cluster_logging(
            LogSetup::builder().set_types(Some(log_types(wanted))).enabled(true).build(),
        );
    }
    if !off.is_empty() {
        l = l.cluster_logging(
            LogSetup::builder().set_types(Some(log_types(&off))).enabled(false).build(),
        );
    }
    l.build()
}

#[async_trait]
impl Kind for EksCluster {
    kind_meta!(EKS_CLUSTER);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let want = EksClusterSpec::from_attrs(desired)
            .map(|d| d.sorted().to_attrs())
            .unwrap_or_else(|_| desired.clone());
        let mut d = self.facts().diff(&want, &observed.attrs);
        // A secrets key can be added in place, never changed.
        for ch in &mut d.changes {
            if ch.field == "secretsKey" && ch.old.is_some() {
                ch.forces_replacement = true;
            }
            // EKS upgrades and never downgrades: refused before anything runs.
            if ch.field == "version" {
                let (old, new) = (ch.old.as_ref().and_then(Value::as_str), ch.new.as_str());
                if let (Some(o), Some(n)) = (old, new) {
                    if next_version(o, n).is_err() {
                        d.refused.push(format!(
                            "EKS cannot downgrade a cluster (from {o} to {n}); keep version \"{o}\" or later"
                        ));
                    }
                }
            }
        }
        d
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        Ok(self
            .0
            .clusters(env, scope)
            .await?
            .iter()
            .filter_map(|cl| {
                let id = cluster_id(cl, env)?;
                Some(Observed {
                    id: id.as_str().into(),
                    physical_id: cl.arn()?.to_string(),
                    attrs: spec_of(cl).to_attrs(),
                    outputs: observed_out(cl),
                    parents: cluster_parents(cl),
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let spec = EksClusterSpec::from_attrs(&node.attrs)?;
        let name = spec.name.as_str();
        let mut req = c
            .create_cluster()
            .name(name)
            .set_version(spec.version.clone())
            .role_arn(spec.role.get()?)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(ids(&spec.subnets)?))
                    .set_security_group_ids(Some(ids(&spec.security_groups)?))
                    .endpoint_private_access(spec.endpoint_private_access)
                    .endpoint_public_access(spec.endpoint_public_access)
                    .build(),
            )
            .logging(logging(&spec.logging))
            .access_config(
                CreateAccessConfigRequest::builder()
                    .authentication_mode(AuthenticationMode::from(
                        spec.authentication_mode.as_str(),
                    ))
                    .build(),
            )
            .set_tags(Some(std_tags(&node.env, &node.id.0)))
            .client_request_token(node.client_token());
        if let Some(key) = &spec.secrets_key {
            req = req.encryption_config(secrets_encryption(key.get()?));
        }
        let sent = req.send().await;
        self.0.invalidate();
        let cl = made_or_adopted(
            sent,
            |o| o.cluster,
            || describe_cluster(c, name),
            node,
            &format!("cluster {name}"),
            || {
                format!(
                    "a cluster named {name} exists in {} and is not {} of env {}",
                    node.scope, node.id, node.env
                )
            },
        )
        .await?;
        Ok(created_as(&cl, cluster_out))
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let c = self.0.client(&change.node.scope)?;
        let want = EksClusterSpec::from_attrs(&change.node.attrs)?.sorted();
        let name = want.name.as_str();
        let what = format!("cluster {name}");
        let cl = updatable(describe_cluster(c, name).await?, &what, &["ACTIVE"])?;
        // The fields the plan changes that still differ, freshly described (EKS runs
        // one update at a time: a call after the first finds part of it done), in the
        // order the changes are made.
        let now = spec_of(&cl);
        let (w, n) = (want.to_attrs(), now.to_attrs());
        let todo = |fields: &[&str]| {
            changes(change.diff, fields)
                && fields.iter().any(|k| w.get(*k).is_some_and(|v| n.get(*k) != Some(v)))
        };
        let steps: [(&str, &[&str]); 6] = [
            ("version", &["version"]),
            ("endpoint access", &["endpointPrivateAccess", "endpointPublicAccess"]),
            ("subnets and security groups", &["subnets", "securityGroups"]),
            ("logging", &["logging"]),
            ("authentication mode", &["authenticationMode"]),
            ("secrets encryption", &["secretsKey"]),
        ];
        let todo: Vec<&str> =
            steps.iter().filter(|(_, fields)| todo(fields)).map(|(step, _)| *step).collect();
        let Some(&first) = todo.first() else {
            return Ok(Updated::done(cluster_out(&cl)));
        };
        let config = || c.update_cluster_config().name(name);
        // An upgrade over several minors is one minor per round of the apply: EKS takes
        // one at a time, and the next only once the node groups run the cluster's
        // version (UpdateClusterVersion), which they reach later in the same round.
        let mut rest = None;
        let update = match first {
            "version" => {
                let wanted = want.version.as_deref().unwrap_or_default();
                let target = next_version(cl.version().unwrap_or_default(), wanted)?;
                if target != wanted {
                    rest = Some(format!("version {wanted}, one minor version per round"));
                }
                c.update_cluster_version()
                    .name(name)
                    .version(target)
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            "endpoint access" => {
                config()
                    .resources_vpc_config(
                        VpcConfigRequest::builder()
                            .endpoint_private_access(want.endpoint_private_access)
                            .endpoint_public_access(want.endpoint_public_access)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            "subnets and security groups" => {
                config()
                    .resources_vpc_config(
                        VpcConfigRequest::builder()
                            .set_subnet_ids(Some(ids(&want.subnets)?))
                            .set_security_group_ids(Some(ids(&want.security_groups)?))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            "logging" => {
                config().logging(logging(&want.logging)).send().await.map_err(classify)?.update
            }
            "authentication mode" => {
                config()
                    .access_config(
                        UpdateAccessConfigRequest::builder()
                            .authentication_mode(AuthenticationMode::from(
                                want.authentication_mode.as_str(),
                            ))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            _ => {
                let key = want.secrets_key.as_ref().ok_or_else(|| {
                    KindError::fatal("BadSpec", "a secrets key to add, but none given")
                })?;
                c.associate_encryption_config()
                    .cluster_name(name)
                    .encryption_config(secrets_encryption(key.get()?))
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
        };
        self.0.invalidate();
        if rest.is_some() {
            // What else the diff asks for comes with the next round, after this step.
            return Ok(
                started(change.current.outputs.clone(), update.as_ref()).with_remaining(rest)
            );
        }
        if todo.len() > 1 {
            return Err(more_to_do(&what, first, &todo[1..]));
        }
        Ok(started(change.current.outputs.clone(), update.as_ref()))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        // Node groups still attached, or an update running: ResourceInUseException,
        // a Conflict the engine waits out.
        let r = self
            .0
            .client(scope)?
            .delete_cluster()
            .name(s(&current.outputs, "name")?)
            .send()
            .await
            .map_err(classify);
        self.0.invalidate();
        gone_is_ok(r)
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let c = self.0.client(check.scope)?;
        let name = s(check.outputs, "name")?;
        if let Some(r) = update_running(c, check.op, check.handle, &name, UpdateOf::Cluster).await?
        {
            return Ok(r);
        }
        let cl = describe_cluster(c, &name).await?;
        let answer = readiness(
            check.op,
            &format!("cluster {name}"),
            cl.as_ref(),
            &Failures {
                code: "ClusterFailed",
                failed: &["FAILED"],
                // `ClusterDeleted`: a cluster has no DELETE_FAILED, so without these a
                // delete EKS accepted but did not start would wait out its timeout.
                delete: &["ACTIVE", "CREATING", "PENDING"],
            },
            cluster_out,
        )?;
        if !matches!(answer, Readiness::Pending(_)) {
            self.0.invalidate();
        }
        Ok(answer)
    }
}

/// Envelope encryption of the cluster's Kubernetes API data with `key`. The request does
/// not name `resources`: the EKS API model deprecates it ("Amazon EKS encrypts all
/// Kubernetes API data by default, so this value no longer determines which resources
/// are encrypted").
fn secrets_encryption(key: &str) -> EncryptionConfig {
    EncryptionConfig::builder().provider(Provider::builder().key_arn(key).build()).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logging_enables_exactly_the_wanted_types() {
        let l = logging(&["api".to_string(), "audit".to_string()]);
        let on: Vec<&str> = l.cluster_logging()[0].types().iter().map(|t| t.as_str()).collect();
        assert_eq!(on, ["api", "audit"]);
        assert_eq!(l.cluster_logging()[1].enabled(), Some(false));
        assert_eq!(l.cluster_logging()[1].types().len(), 3);
    }
}
