//! The EKS cluster kind (`eks-cluster`): the private control plane, its version,
//! logging, access configuration and secrets key.

use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{
    AuthenticationMode, Cluster, ClusterStatus, CreateAccessConfigRequest, EncryptionConfig,
    LogSetup, LogType, Logging, Provider, UpdateAccessConfigRequest, VpcConfigRequest,
};

use super::{
    busy, cluster_id, more_to_do, next_version, std_tags, update_pending, with_update, Eks,
};
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of, gone_is_ok};
use crate::kit::{b, id_set, list, opt_s, s, sorted_lists};

pub struct EksCluster(pub Arc<Eks>);

fn cluster_out(cl: &Cluster) -> Attrs {
    let vpc = cl.resources_vpc_config();
    let mut out = Attrs::from([
        ("id".to_string(), Value::str(cl.name().unwrap_or_default())),
        (
            "name".to_string(),
            Value::str(cl.name().unwrap_or_default()),
        ),
        ("arn".to_string(), Value::str(cl.arn().unwrap_or_default())),
        (
            "endpoint".to_string(),
            Value::str(cl.endpoint().unwrap_or_default()),
        ),
        (
            "version".to_string(),
            Value::str(cl.version().unwrap_or_default()),
        ),
    ]);
    if let Some(sg) = vpc.and_then(|v| v.cluster_security_group_id()) {
        out.insert("clusterSecurityGroup".into(), Value::str(sg));
    }
    // What a node needs to join (the launch template of a custom AMI).
    if let Some(ca) = cl.certificate_authority().and_then(|c| c.data()) {
        out.insert("ca".into(), Value::str(ca));
    }
    if let Some(cidr) = cl
        .kubernetes_network_config()
        .and_then(|k| k.service_ipv4_cidr())
    {
        out.insert("serviceCidr".into(), Value::str(cidr));
    }
    out
}

fn enabled_logs(cl: &Cluster) -> Vec<String> {
    let mut v: Vec<String> = cl
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The KMS key of the cluster's envelope encryption (EKS now encrypts all API data
/// with it; `resources: [secrets]` is deprecated and left out).
fn secrets_key(cl: &Cluster) -> Option<String> {
    cl.encryption_config()
        .iter()
        .find_map(|e| e.provider()?.key_arn().map(str::to_string))
}

fn cluster_attrs(cl: &Cluster) -> Attrs {
    let vpc = cl.resources_vpc_config();
    let mut a = Attrs::from([
        (
            "name".to_string(),
            Value::str(cl.name().unwrap_or_default()),
        ),
        (
            "role".to_string(),
            Value::str(cl.role_arn().unwrap_or_default()),
        ),
        (
            "subnets".to_string(),
            id_set(vpc.map(|v| v.subnet_ids().to_vec()).unwrap_or_default()),
        ),
        (
            "securityGroups".to_string(),
            id_set(
                vpc.map(|v| v.security_group_ids().to_vec())
                    .unwrap_or_default(),
            ),
        ),
        (
            "endpointPrivateAccess".to_string(),
            Value::Bool(vpc.is_some_and(|v| v.endpoint_private_access())),
        ),
        (
            "endpointPublicAccess".to_string(),
            Value::Bool(vpc.is_some_and(|v| v.endpoint_public_access())),
        ),
        (
            "authenticationMode".to_string(),
            Value::str(
                cl.access_config()
                    .and_then(|a| a.authentication_mode())
                    .map_or("CONFIG_MAP", |m| m.as_str()),
            ),
        ),
        ("logging".to_string(), id_set(enabled_logs(cl))),
        (
            "version".to_string(),
            Value::str(cl.version().unwrap_or_default()),
        ),
    ]);
    if let Some(k) = secrets_key(cl) {
        a.insert("secretsKey".into(), Value::Str(k));
    }
    a
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
    const ALL: [&str; 5] = [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ];
    let off: Vec<String> = ALL
        .iter()
        .filter(|t| !wanted.iter().any(|w| w == *t))
        .map(|t| t.to_string())
        .collect();
    let mut l = Logging::builder();
    if !wanted.is_empty() {
        l = l.cluster_logging(
            LogSetup::builder()
                .set_types(Some(log_types(wanted)))
                .enabled(true)
                .build(),
        );
    }
    if !off.is_empty() {
        l = l.cluster_logging(
            LogSetup::builder()
                .set_types(Some(log_types(&off)))
                .enabled(false)
                .build(),
        );
    }
    l.build()
}

async fn describe_cluster(
    c: &aws_sdk_eks::Client,
    name: &str,
) -> Result<Option<Cluster>, KindError> {
    match c.describe_cluster().name(name).send().await {
        Ok(o) => Ok(o.cluster),
        Err(e) => match classify(e) {
            e if e.class == ErrorClass::NotFound => Ok(None),
            e => Err(e),
        },
    }
}

#[async_trait]
impl Kind for EksCluster {
    kind_meta!(EKS_CLUSTER);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let mut d = Diff::compute(
            &sorted_lists(desired, &["subnets", "securityGroups", "logging"]),
            &observed.attrs,
            self.facts().replace_fields,
        );
        for ch in &mut d.changes {
            if ch.field == "secretsKey" && ch.old.is_some() {
                ch.forces_replacement = true;
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
                    attrs: cluster_attrs(cl),
                    outputs: cluster_out(cl),
                    parents: cluster_parents(cl),
                })
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let name = s(a, "name")?;
        let mut req = c
            .create_cluster()
            .name(&name)
            .set_version(opt_s(a, "version"))
            .role_arn(s(a, "role")?)
            .resources_vpc_config(
                VpcConfigRequest::builder()
                    .set_subnet_ids(Some(list(a, "subnets")?))
                    .set_security_group_ids(Some(list(a, "securityGroups")?))
                    .endpoint_private_access(b(a, "endpointPrivateAccess", true))
                    .endpoint_public_access(b(a, "endpointPublicAccess", false))
                    .build(),
            )
            .logging(logging(&list(a, "logging")?))
            .access_config(
                CreateAccessConfigRequest::builder()
                    .authentication_mode(AuthenticationMode::from(
                        opt_s(a, "authenticationMode").as_deref().unwrap_or("API"),
                    ))
                    .build(),
            )
            .set_tags(Some(std_tags(&node.env, &node.id.0)))
            .client_request_token(node.client_token());
        if let Some(key) = opt_s(a, "secretsKey") {
            req = req.encryption_config(secrets_encryption(&key));
        }
        let out = req.send().await;
        self.0.invalidate();
        let cl = match out {
            Ok(o) => o.cluster,
            // Another spec (so another token) made it before: adopt it if it is this
            // node's and not on its way out.
            Err(e) if code_of(&e) == Some("ResourceInUseException") => {
                let found = describe_cluster(c, &name).await?;
                match found {
                    Some(cl) if cluster_id(&cl, &node.env).as_deref() == Some(&node.id.0) => {
                        if cl.status() == Some(&ClusterStatus::Deleting) {
                            return Err(busy(&format!("cluster {name}"), "DELETING"));
                        }
                        Some(cl)
                    }
                    Some(_) => {
                        return Err(KindError::fatal(
                            "ResourceInUseException",
                            format!(
                                "a cluster named {name} exists in {} and is not {} of env {}",
                                node.scope, node.id, node.env
                            ),
                        ))
                    }
                    None => return Err(classify(e)),
                }
            }
            Err(e) => return Err(classify(e)),
        };
        let cl = cl.ok_or_else(|| KindError::fatal("NoCluster", "CreateCluster returned none"))?;
        Ok(Created {
            physical_id: cl.arn().unwrap_or_default().to_string(),
            outputs: cluster_out(&cl),
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let name = s(a, "name")?;
        let what = format!("cluster {name}");
        let Some(cl) = describe_cluster(c, &name).await? else {
            return Err(KindError::new(
                ErrorClass::NotFound,
                "ResourceNotFoundException",
                what,
            ));
        };
        match cl.status() {
            Some(ClusterStatus::Active) => {}
            st => return Err(busy(&what, st.map_or("unknown", |s| s.as_str()))),
        }
        // What still differs, freshly described, in the order the changes are made.
        let now = cluster_attrs(&cl);
        let want = sorted_lists(a, &["subnets", "securityGroups", "logging"]);
        let differs = |k: &str| want.get(k).is_some_and(|v| now.get(k) != Some(v));
        let mut todo: Vec<&str> = Vec::new();
        if differs("version") {
            todo.push("version");
        }
        if differs("endpointPrivateAccess") || differs("endpointPublicAccess") {
            todo.push("endpoint access");
        }
        if differs("subnets") || differs("securityGroups") {
            todo.push("subnets and security groups");
        }
        if differs("logging") {
            todo.push("logging");
        }
        if differs("authenticationMode") {
            todo.push("authentication mode");
        }
        if differs("secretsKey") {
            todo.push("secrets encryption");
        }
        let Some(&first) = todo.first() else {
            return Ok(cluster_out(&cl));
        };
        let mut first = first.to_string();
        let update = match first.as_str() {
            "version" => {
                let target = next_version(cl.version().unwrap_or_default(), &s(a, "version")?)?;
                if Some(target.as_str()) != opt_s(a, "version").as_deref() {
                    first = format!("version {target}");
                    todo.insert(1, "the next version");
                }
                c.update_cluster_version()
                    .name(&name)
                    .version(target)
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            "endpoint access" => {
                c.update_cluster_config()
                    .name(&name)
                    .resources_vpc_config(
                        VpcConfigRequest::builder()
                            .endpoint_private_access(b(a, "endpointPrivateAccess", true))
                            .endpoint_public_access(b(a, "endpointPublicAccess", false))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            "subnets and security groups" => {
                c.update_cluster_config()
                    .name(&name)
                    .resources_vpc_config(
                        VpcConfigRequest::builder()
                            .set_subnet_ids(Some(list(a, "subnets")?))
                            .set_security_group_ids(Some(list(a, "securityGroups")?))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            "logging" => {
                c.update_cluster_config()
                    .name(&name)
                    .logging(logging(&list(a, "logging")?))
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            "authentication mode" => {
                c.update_cluster_config()
                    .name(&name)
                    .access_config(
                        UpdateAccessConfigRequest::builder()
                            .authentication_mode(AuthenticationMode::from(
                                s(a, "authenticationMode")?.as_str(),
                            ))
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
            _ => {
                c.associate_encryption_config()
                    .cluster_name(&name)
                    .encryption_config(secrets_encryption(&s(a, "secretsKey")?))
                    .send()
                    .await
                    .map_err(classify)?
                    .update
            }
        };
        self.0.invalidate();
        if todo.len() > 1 {
            return Err(more_to_do(&what, &first, &todo[1..]));
        }
        Ok(with_update(
            current.outputs.clone(),
            update.as_ref().and_then(|u| u.id()),
        ))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        // Node groups still attached, or an update running: ResourceInUseException,
        // a Conflict the engine waits out.
        let r = self
            .0
            .client(scope)?
            .delete_cluster()
            .name(s(&current.attrs, "name")?)
            .send()
            .await
            .map_err(classify);
        self.0.invalidate();
        gone_is_ok(r)
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        _physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let c = self.0.client(scope)?;
        let name = s(outputs, "name")?;
        if op == Op::Update {
            if let Some(u) = opt_s(outputs, "update") {
                if let Some(st) = update_pending(c, &name, &u, None, None).await? {
                    return Ok(Readiness::Pending(st));
                }
            }
        }
        let cl = describe_cluster(c, &name).await?;
        let status = cl.as_ref().and_then(|cl| cl.status().cloned());
        let answer = match (op, status) {
            (Op::Delete, None) => Readiness::Gone,
            (Op::Delete, Some(st)) => Readiness::Pending(st.as_str().to_string()),
            (_, None) => {
                return Err(KindError::new(
                    ErrorClass::NotFound,
                    "NotVisibleYet",
                    format!("cluster {name} is not visible yet"),
                ))
            }
            (_, Some(ClusterStatus::Active)) => {
                let mut out = cluster_out(cl.as_ref().expect("status implies a cluster"));
                out.extend(
                    outputs
                        .get("update")
                        .map(|u| ("update".to_string(), u.clone())),
                );
                Readiness::Ready(out)
            }
            (_, Some(ClusterStatus::Failed)) => {
                let issues: Vec<String> = cl
                    .as_ref()
                    .and_then(|cl| cl.health())
                    .map(|h| {
                        h.issues()
                            .iter()
                            .filter_map(|i| i.message().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                return Err(KindError::fatal(
                    "ClusterFailed",
                    format!("cluster {name} FAILED: {}", issues.join("; ")),
                ));
            }
            (_, Some(st)) => Readiness::Pending(st.as_str().to_string()),
        };
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
    EncryptionConfig::builder()
        .provider(Provider::builder().key_arn(key).build())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logging_enables_exactly_the_wanted_types() {
        let l = logging(&["api".to_string(), "audit".to_string()]);
        let on: Vec<&str> = l.cluster_logging()[0]
            .types()
            .iter()
            .map(|t| t.as_str())
            .collect();
        assert_eq!(on, ["api", "audit"]);
        assert_eq!(l.cluster_logging()[1].enabled(), Some(false));
        assert_eq!(l.cluster_logging()[1].types().len(), 3);
    }
}
