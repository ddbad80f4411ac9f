//! The EKS managed node group kind (`eks-nodegroup`): scaling, labels, taints and
//! launch template, replaced create-before-destroy.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved, Scope,
    Value,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{
    LaunchTemplateSpecification, Nodegroup, NodegroupScalingConfig, NodegroupStatus, Taint,
    TaintEffect, UpdateLabelsPayload, UpdateTaintsPayload,
};

use super::{
    busy, int, more_to_do, std_tags, str_list, tag_map, update_pending, with_update, Eks, NAME_TAG,
};
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of};
use crate::kit::{all_pages, delete_call, id_set, list, not_visible_yet, opt_s, s, sorted_lists};
use crate::tags;

pub struct EksNodegroup(pub Arc<Eks>);

fn taint_value(t: &Taint) -> Value {
    Value::Map(BTreeMap::from([
        ("key".to_string(), Value::str(t.key().unwrap_or_default())),
        (
            "value".to_string(),
            t.value().map_or(Value::Null, Value::str),
        ),
        (
            "effect".to_string(),
            Value::str(t.effect().map_or("", |e| e.as_str())),
        ),
    ]))
}

fn map_str(v: &Value, key: &str) -> String {
    match v {
        Value::Map(m) => m
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

/// Taints in a stable order (key, effect), as EKS keeps no order.
fn sorted_taints(v: Option<&Value>) -> Value {
    let mut items = match v {
        Some(Value::List(items)) => items.clone(),
        _ => Vec::new(),
    };
    items.sort_by_key(|t| (map_str(t, "key"), map_str(t, "effect")));
    Value::List(items)
}

fn taint_of(v: &Value) -> Taint {
    let value = match v {
        Value::Map(m) => m.get("value").and_then(Value::as_str).map(str::to_string),
        _ => None,
    };
    Taint::builder()
        .key(map_str(v, "key"))
        .set_value(value)
        .effect(TaintEffect::from(map_str(v, "effect").as_str()))
        .build()
}

fn labels_of(v: Option<&Value>) -> HashMap<String, String> {
    match v {
        Some(Value::Map(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect(),
        _ => HashMap::new(),
    }
}

fn ng_attrs(ng: &Nodegroup) -> Attrs {
    let tm = tag_map(ng.tags());
    let name = tm
        .get(NAME_TAG)
        .cloned()
        .unwrap_or_else(|| ng.nodegroup_name().unwrap_or_default().to_string());
    let sc = ng.scaling_config();
    let mut types = ng.instance_types().to_vec();
    types.sort();
    let mut a = Attrs::from([
        (
            "cluster".to_string(),
            Value::str(ng.cluster_name().unwrap_or_default()),
        ),
        ("name".to_string(), Value::Str(name)),
        (
            "role".to_string(),
            Value::str(ng.node_role().unwrap_or_default()),
        ),
        ("subnets".to_string(), id_set(ng.subnets().to_vec())),
        ("instanceTypes".to_string(), str_list(&types)),
        (
            "min".to_string(),
            Value::Int(i64::from(sc.and_then(|s| s.min_size()).unwrap_or(0))),
        ),
        (
            "desired".to_string(),
            Value::Int(i64::from(sc.and_then(|s| s.desired_size()).unwrap_or(0))),
        ),
        (
            "max".to_string(),
            Value::Int(i64::from(sc.and_then(|s| s.max_size()).unwrap_or(0))),
        ),
        (
            "labels".to_string(),
            Value::Map(
                ng.labels()
                    .map(|l| {
                        l.iter()
                            .map(|(k, v)| (k.clone(), Value::str(v.as_str())))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
        ),
        (
            "taints".to_string(),
            sorted_taints(Some(&Value::List(
                ng.taints().iter().map(taint_value).collect(),
            ))),
        ),
        (
            "version".to_string(),
            Value::str(ng.version().unwrap_or_default()),
        ),
    ]);
    match ng.launch_template() {
        Some(lt) => {
            a.insert(
                "launchTemplate".into(),
                Value::str(lt.id().or(lt.name()).unwrap_or_default()),
            );
            if let Some(n) = lt.name() {
                a.insert("launchTemplateName".into(), Value::str(n));
            }
            a.insert(
                "launchTemplateVersion".into(),
                lt.version().map_or(Value::Null, Value::str),
            );
        }
        None => {
            a.insert(
                "amiType".into(),
                Value::str(ng.ami_type().map_or("", |t| t.as_str())),
            );
        }
    }
    a
}

fn ng_out(ng: &Nodegroup) -> Attrs {
    Attrs::from([
        (
            "id".to_string(),
            Value::str(ng.nodegroup_name().unwrap_or_default()),
        ),
        (
            "cluster".to_string(),
            Value::str(ng.cluster_name().unwrap_or_default()),
        ),
        (
            "arn".to_string(),
            Value::str(ng.nodegroup_arn().unwrap_or_default()),
        ),
    ])
}

/// Desired attributes in observe's form: sets sorted, the launch template named as
/// observed.
fn ng_comparable(desired: &Attrs, observed: &Attrs) -> Attrs {
    let mut d = sorted_lists(desired, &["subnets", "instanceTypes"]);
    if let Some(t) = d.get("taints").cloned() {
        d.insert("taints".into(), sorted_taints(Some(&t)));
    }
    // A template given by name compares with the observed name.
    if let (Some(Value::Str(lt)), Some(n)) =
        (d.get("launchTemplate"), observed.get("launchTemplateName"))
    {
        if !lt.starts_with("lt-") {
            let n = n.clone();
            d.insert("launchTemplate".into(), n);
        }
    }
    // No version asked for: the template's default, whatever its number.
    if d.get("launchTemplateVersion") == Some(&Value::Null) {
        d.remove("launchTemplateVersion");
    }
    d
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
    match c
        .describe_nodegroup()
        .cluster_name(cluster)
        .nodegroup_name(name)
        .send()
        .await
    {
        Ok(o) => Ok(o.nodegroup),
        Err(e) => match classify(e) {
            e if e.class == ErrorClass::NotFound => Ok(None),
            e => Err(e),
        },
    }
}

fn ng_health(ng: &Nodegroup) -> String {
    ng.health()
        .map(|h| {
            h.issues()
                .iter()
                .map(|i| {
                    format!(
                        "{}: {}",
                        i.code().map_or("", |c| c.as_str()),
                        i.message().unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

#[async_trait]
impl Kind for EksNodegroup {
    kind_meta!(EKS_NODEGROUP);

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        Diff::compute(
            &ng_comparable(desired, &observed.attrs),
            &observed.attrs,
            self.facts().replace_fields,
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for cl in self.0.clusters(env, scope).await?.iter() {
            let Some(cname) = cl.name() else { continue };
            let names: Vec<String> = match all_pages!(c.list_nodegroups().cluster_name(cname)) {
                Ok(n) => n,
                Err(e) if e.class == ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            };
            for n in names {
                let Some(ng) = describe_ng(c, cname, &n).await? else {
                    continue;
                };
                let Some(id) = tags::owned_id(&tag_map(ng.tags()), env) else {
                    continue;
                };
                if ng.status() == Some(&NodegroupStatus::Deleting) {
                    continue;
                }
                let mut parents = vec![cl.arn().unwrap_or_default().to_string()];
                parents.extend(ng.node_role().map(str::to_string));
                parents.extend(ng.subnets().iter().cloned());
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: ng.nodegroup_arn().unwrap_or_default().to_string(),
                    attrs: ng_attrs(&ng),
                    outputs: ng_out(&ng),
                    parents,
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let cluster = s(a, "cluster")?;
        let base = s(a, "name")?;
        // Names are unique per cluster: a create-before-destroy replacement takes a
        // name beside the old one's (alternating, so names do not grow).
        let aws_name = match node.replaces.as_deref().and_then(ng_names) {
            Some((_, old)) if old == base => {
                let token = node.client_token();
                format!("{base}-{}", &token[token.len() - 8..])
            }
            _ => base.clone(),
        };
        let mut t = std_tags(&node.env, &node.id.0);
        t.insert(NAME_TAG.into(), base.clone());
        let mut req = c
            .create_nodegroup()
            .cluster_name(&cluster)
            .nodegroup_name(&aws_name)
            .node_role(s(a, "role")?)
            .set_subnets(Some(list(a, "subnets")?))
            .set_instance_types(Some(list(a, "instanceTypes")?))
            .scaling_config(
                NodegroupScalingConfig::builder()
                    .min_size(int(a, "min")?)
                    .desired_size(int(a, "desired")?)
                    .max_size(int(a, "max")?)
                    .build(),
            )
            .set_labels(Some(labels_of(a.get("labels"))))
            .set_taints(Some(match a.get("taints") {
                Some(Value::List(items)) => items.iter().map(taint_of).collect(),
                _ => Vec::new(),
            }))
            .set_version(opt_s(a, "version"))
            .set_tags(Some(t))
            .client_request_token(node.client_token());
        if let Some(ami) = opt_s(a, "amiType") {
            req = req.ami_type(ami.as_str().into());
        }
        if let Some(lt) = opt_s(a, "launchTemplate") {
            let spec = if lt.starts_with("lt-") {
                LaunchTemplateSpecification::builder().id(lt)
            } else {
                LaunchTemplateSpecification::builder().name(lt)
            };
            req = req
                .launch_template(spec.set_version(opt_s(a, "launchTemplateVersion")).build())
                // The template's image decides; EKS takes no version beside it then.
                .set_version(None);
        }
        let ng = match req.send().await {
            Ok(o) => o.nodegroup,
            Err(e) if code_of(&e) == Some("ResourceInUseException") => {
                match describe_ng(c, &cluster, &aws_name).await? {
                    Some(ng)
                        if tags::owned_id(&tag_map(ng.tags()), &node.env).as_deref()
                            == Some(node.id.0.as_str()) =>
                    {
                        if ng.status() == Some(&NodegroupStatus::Deleting) {
                            return Err(busy(&format!("node group {aws_name}"), "DELETING"));
                        }
                        Some(ng)
                    }
                    Some(_) => {
                        return Err(KindError::fatal(
                            "ResourceInUseException",
                            format!(
                                "cluster {cluster} has a node group {aws_name} that is not {}",
                                node.id
                            ),
                        ))
                    }
                    // Busy cluster (an update running): wait.
                    None => return Err(classify(e)),
                }
            }
            Err(e) => return Err(classify(e)),
        };
        let ng =
            ng.ok_or_else(|| KindError::fatal("NoNodegroup", "CreateNodegroup returned none"))?;
        Ok(Created {
            physical_id: ng.nodegroup_arn().unwrap_or_default().to_string(),
            outputs: ng_out(&ng),
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
        let (cluster, name) = (s(&current.outputs, "cluster")?, s(&current.outputs, "id")?);
        let what = format!("node group {name}");
        let Some(ng) = describe_ng(c, &cluster, &name).await? else {
            return Err(KindError::new(
                ErrorClass::NotFound,
                "ResourceNotFoundException",
                what,
            ));
        };
        match ng.status() {
            Some(NodegroupStatus::Active) => {}
            st => return Err(busy(&what, st.map_or("unknown", |s| s.as_str()))),
        }
        let now = ng_attrs(&ng);
        let want = ng_comparable(a, &now);
        let differs = |k: &str| want.get(k).is_some_and(|v| now.get(k) != Some(v));
        let version = differs("version") || differs("launchTemplateVersion");
        let config = ["min", "desired", "max", "labels", "taints"]
            .iter()
            .any(|k| differs(k));
        let update = if version {
            let mut req = c
                .update_nodegroup_version()
                .cluster_name(&cluster)
                .nodegroup_name(&name);
            if differs("launchTemplateVersion") {
                let lt = ng.launch_template();
                req = req.launch_template(
                    LaunchTemplateSpecification::builder()
                        .set_id(lt.and_then(|l| l.id()).map(str::to_string))
                        .set_name(lt.and_then(|l| l.name()).map(str::to_string))
                        .set_version(opt_s(a, "launchTemplateVersion"))
                        .build(),
                );
            }
            if differs("version") {
                req = req.set_version(opt_s(a, "version"));
            }
            req.send().await.map_err(classify)?.update
        } else if config {
            let mut req = c
                .update_nodegroup_config()
                .cluster_name(&cluster)
                .nodegroup_name(&name);
            if differs("min") || differs("desired") || differs("max") {
                req = req.scaling_config(
                    NodegroupScalingConfig::builder()
                        .min_size(int(a, "min")?)
                        .desired_size(int(a, "desired")?)
                        .max_size(int(a, "max")?)
                        .build(),
                );
            }
            if differs("labels") {
                let (want, have) = (labels_of(a.get("labels")), labels_of(now.get("labels")));
                let add: HashMap<String, String> = want
                    .iter()
                    .filter(|(k, v)| have.get(*k) != Some(v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let remove: Vec<String> = have
                    .keys()
                    .filter(|k| !want.contains_key(*k))
                    .cloned()
                    .collect();
                req = req.labels(
                    UpdateLabelsPayload::builder()
                        .set_add_or_update_labels((!add.is_empty()).then_some(add))
                        .set_remove_labels((!remove.is_empty()).then_some(remove))
                        .build(),
                );
            }
            if differs("taints") {
                let items = |v: Option<&Value>| match v {
                    Some(Value::List(i)) => i.clone(),
                    _ => Vec::new(),
                };
                let (want, have) = (items(want.get("taints")), items(now.get("taints")));
                let add: Vec<Taint> = want
                    .iter()
                    .filter(|t| !have.contains(t))
                    .map(taint_of)
                    .collect();
                let remove: Vec<Taint> = have
                    .iter()
                    .filter(|h| {
                        !want.iter().any(|w| {
                            map_str(w, "key") == map_str(h, "key")
                                && map_str(w, "effect") == map_str(h, "effect")
                        })
                    })
                    .map(taint_of)
                    .collect();
                req = req.taints(
                    UpdateTaintsPayload::builder()
                        .set_add_or_update_taints((!add.is_empty()).then_some(add))
                        .set_remove_taints((!remove.is_empty()).then_some(remove))
                        .build(),
                );
            }
            req.send().await.map_err(classify)?.update
        } else {
            return Ok(current.outputs.clone());
        };
        if version && config {
            return Err(more_to_do(
                &what,
                "the version update",
                &["the configuration update"],
            ));
        }
        Ok(with_update(
            current.outputs.clone(),
            update.as_ref().and_then(|u| u.id()),
        ))
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
                if let Some(st) = update_pending(c, &cluster, &u, Some(&name), None).await? {
                    return Ok(Readiness::Pending(st));
                }
            }
        }
        let ng = describe_ng(c, &cluster, &name).await?;
        Ok(match (op, ng.as_ref().and_then(|n| n.status().cloned())) {
            (Op::Delete, None) => Readiness::Gone,
            (Op::Delete, Some(NodegroupStatus::DeleteFailed)) => {
                return Err(KindError::fatal(
                    "DeleteFailed",
                    format!(
                        "node group {name}: {}",
                        ng.as_ref().map(ng_health).unwrap_or_default()
                    ),
                ))
            }
            (Op::Delete, Some(st)) => Readiness::Pending(st.as_str().to_string()),
            (_, None) => {
                return Err(not_visible_yet(format!(
                    "node group {name} is not visible yet"
                )))
            }
            (_, Some(NodegroupStatus::Active)) => {
                Readiness::Ready(ng_out(ng.as_ref().expect("status implies a node group")))
            }
            // Nodes that never joined (no way to the endpoints, a wrong role, ...).
            (_, Some(st @ (NodegroupStatus::CreateFailed | NodegroupStatus::Degraded))) => {
                return Err(KindError::fatal(
                    "NodegroupFailed",
                    format!(
                        "node group {name} is {}: {}",
                        st.as_str(),
                        ng.as_ref().map(ng_health).unwrap_or_default()
                    ),
                ))
            }
            (_, Some(st)) => Readiness::Pending(st.as_str().to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodegroup_arns_name_cluster_and_group() {
        assert_eq!(
            ng_names("arn:aws:eks:eu-central-1:1:nodegroup/demo-apps/general/1-2-3"),
            Some(("demo-apps", "general"))
        );
    }

    #[test]
    fn taints_compare_in_any_order() {
        let t = |k: &str, e: &str| {
            Value::Map(BTreeMap::from([
                ("key".to_string(), Value::str(k)),
                ("value".to_string(), Value::Null),
                ("effect".to_string(), Value::str(e)),
            ]))
        };
        let a = Value::List(vec![t("b", "NO_SCHEDULE"), t("a", "NO_EXECUTE")]);
        let b = Value::List(vec![t("a", "NO_EXECUTE"), t("b", "NO_SCHEDULE")]);
        assert_eq!(sorted_taints(Some(&a)), sorted_taints(Some(&b)));
        let back = taint_value(&taint_of(&t("a", "NO_EXECUTE")));
        assert_eq!(back, t("a", "NO_EXECUTE"));
    }
}
