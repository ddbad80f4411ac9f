//! Amazon EKS: the private cluster, its managed node groups, add-ons and access
//! entries (with their access policy association).
//!
//! EKS has no list-with-details and no tag filter: the env's clusters are found with
//! `ListClusters`, then one `DescribeCluster` per cluster (the tags come with the
//! description). That is the least the API allows; the four EKS kinds observe
//! concurrently, so the listing is shared between them (per env and scope, until an EKS
//! cluster is created, updated or deleted, and never longer than a few seconds). Node
//! groups, add-ons and access entries are listed per cluster of the env, then
//! described one by one (their tags, again, come only with the description).
//!
//! EKS runs one update at a time per cluster, node group or add-on. An update that
//! needs several (a version bump and a logging change, say) starts the first and
//! answers `Conflict`, so the engine calls it again once the first is done; a busy
//! resource (`ResourceInUseException`, or a status other than ACTIVE) is a `Conflict`
//! too, waited out. Readiness after an update follows the update's id
//! (`DescribeUpdate`), then the resource's status. Updates carry no client token: the
//! spec-derived token of a create would make EKS answer a later, identical update
//! (the same scaling again after a change back and forth) with the old one; a retried
//! update call finds the resource UPDATING instead, a Conflict.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Registry,
    ReplaceMode, Resolved, Scope, Value,
};
use async_trait::async_trait;
use aws_sdk_eks::types::{
    AccessScope, AccessScopeType, AddonStatus, AuthenticationMode, Cluster, ClusterStatus,
    CreateAccessConfigRequest, EncryptionConfig, LaunchTemplateSpecification, LogSetup, LogType,
    Logging, Nodegroup, NodegroupScalingConfig, NodegroupStatus, Provider, ResolveConflicts, Taint,
    TaintEffect, UpdateAccessConfigRequest, UpdateLabelsPayload, UpdateStatus, UpdateTaintsPayload,
    VpcConfigRequest,
};
use tokio::sync::OnceCell;

use crate::clients::PerScope;
use crate::ec2::{kind_meta, spec};
use crate::errors::{classify, code_of, gone_is_ok};
use crate::kit::{b, id_set, list, opt_s, s, sorted_lists};
use crate::tags;

/// The logical name of a node group (its AWS name may carry a suffix after a
/// create-before-destroy replacement).
pub const NAME_TAG: &str = "airgap:name";
/// The Kubernetes version an add-on was installed or last updated for.
pub const K8S_VERSION_TAG: &str = "airgap:kubernetes-version";

/// How long a cluster listing is shared between the EKS kinds at most.
const LISTING_TTL: Duration = Duration::from_secs(5);

type Listing = Arc<OnceCell<Arc<Vec<Cluster>>>>;

/// EKS clients per account and region, and the shared listing of the env's clusters.
#[derive(Default)]
pub struct Eks {
    clients: PerScope<aws_sdk_eks::Client>,
    listings: Mutex<HashMap<(String, Scope), (Instant, Listing)>>,
}

impl Eks {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, scope: &Scope, client: aws_sdk_eks::Client) {
        self.clients.insert(scope, client);
    }

    fn client(&self, scope: &Scope) -> Result<&aws_sdk_eks::Client, KindError> {
        self.clients.client(scope)
    }

    /// The env's clusters in `scope` (not being deleted): `ListClusters`, then
    /// `DescribeCluster` per cluster, shared by concurrent observes.
    async fn clusters(&self, env: &str, scope: &Scope) -> Result<Arc<Vec<Cluster>>, KindError> {
        let cell = {
            let mut m = self.listings.lock().expect("listings poisoned");
            let key = (env.to_string(), scope.clone());
            match m.get(&key) {
                Some((at, cell)) if at.elapsed() < LISTING_TTL => Arc::clone(cell),
                _ => {
                    let cell: Listing = Arc::new(OnceCell::new());
                    m.insert(key, (Instant::now(), Arc::clone(&cell)));
                    cell
                }
            }
        };
        let c = self.client(scope)?;
        cell.get_or_try_init(|| async {
            let names: Vec<String> = c
                .list_clusters()
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(classify)?;
            let mut out = Vec::new();
            for name in names {
                let cl = match c.describe_cluster().name(&name).send().await {
                    Ok(o) => o.cluster,
                    Err(e) => match classify(e) {
                        e if e.class == ErrorClass::NotFound => None,
                        e => return Err(e),
                    },
                };
                if let Some(cl) = cl.filter(|cl| {
                    cluster_id(cl, env).is_some() && cl.status() != Some(&ClusterStatus::Deleting)
                }) {
                    out.push(cl);
                }
            }
            Ok(Arc::new(out))
        })
        .await
        .cloned()
    }

    /// Forgets the shared listings after a change to a cluster.
    fn invalidate(&self) {
        self.listings.lock().expect("listings poisoned").clear();
    }
}

/// The clients of the cluster kinds, per account: IAM, KMS and EKS, while they are
/// being made (see [`ClusterClients::build`]).
#[derive(Default)]
pub struct ClusterClients {
    iam: crate::iam::Iam,
    kms: crate::kms::Kms,
    eks: Eks,
}

impl ClusterClients {
    pub fn new() -> Self {
        Self::default()
    }

    /// Clients for one account's scope, counting their calls in `stats`.
    pub fn insert(&mut self, scope: &Scope, conf: &aws_types::SdkConfig, stats: &crate::CallStats) {
        let iam = aws_sdk_iam::config::Builder::from(conf)
            .interceptor(stats.clone())
            .build();
        self.iam.insert(scope, aws_sdk_iam::Client::from_conf(iam));
        let kms = aws_sdk_kms::config::Builder::from(conf)
            .interceptor(stats.clone())
            .build();
        self.kms.insert(scope, aws_sdk_kms::Client::from_conf(kms));
        let eks = aws_sdk_eks::config::Builder::from(conf)
            .interceptor(stats.clone())
            .build();
        self.eks.insert(scope, aws_sdk_eks::Client::from_conf(eks));
    }

    pub fn build(self) -> ClusterServices {
        ClusterServices {
            iam: Arc::new(self.iam),
            kms: Arc::new(self.kms),
            eks: Arc::new(self.eks),
        }
    }
}

/// The IAM, KMS and EKS clients the cluster kinds share.
pub struct ClusterServices {
    iam: Arc<crate::iam::Iam>,
    kms: Arc<crate::kms::Kms>,
    eks: Arc<Eks>,
}

impl ClusterServices {
    /// Registers the IAM, KMS and EKS kinds.
    pub fn register(&self, registry: &mut Registry) {
        crate::iam::register(registry, &self.iam);
        crate::kms::register(registry, &self.kms);
        register(registry, &self.eks);
    }
}

pub fn register(registry: &mut Registry, eks: &Arc<Eks>) {
    registry
        .register(Arc::new(EksCluster(Arc::clone(eks))))
        .register(Arc::new(EksNodegroup(Arc::clone(eks))))
        .register(Arc::new(EksAddon(Arc::clone(eks))))
        .register(Arc::new(EksAccessEntry(Arc::clone(eks))));
}

// ---- shared helpers ----------------------------------------------------------------

fn tag_map(t: Option<&HashMap<String, String>>) -> HashMap<String, String> {
    t.cloned().unwrap_or_default()
}

fn cluster_id(cl: &Cluster, env: &str) -> Option<String> {
    tags::owned_id(&tag_map(cl.tags()), env)
}

fn std_tags(env: &str, id: &str) -> HashMap<String, String> {
    tags::standard(env, id).into_iter().collect()
}

fn busy(what: &str, status: &str) -> KindError {
    KindError::new(
        ErrorClass::Conflict,
        "ResourceBusy",
        format!("{what} is {status}; waiting for it to be ACTIVE"),
    )
}

/// A further update must wait for the one just started (EKS runs one at a time).
fn more_to_do(what: &str, started: &str, rest: &[&str]) -> KindError {
    KindError::new(
        ErrorClass::Conflict,
        "UpdateInProgress",
        format!(
            "{what}: started {started}; {} follow{} once it completes",
            rest.join(", "),
            if rest.len() == 1 { "s" } else { "" }
        ),
    )
}

fn str_list(items: &[String]) -> Value {
    Value::List(items.iter().map(|s| Value::str(s.as_str())).collect())
}

fn int(attrs: &Attrs, key: &str) -> Result<i32, KindError> {
    match attrs.get(key) {
        Some(Value::Int(v)) => i32::try_from(*v)
            .map_err(|_| KindError::fatal("BadAttribute", format!("{key} {v} out of range"))),
        other => Err(KindError::fatal(
            "BadAttribute",
            format!("{key} is missing or not a number: {other:?}"),
        )),
    }
}

/// Minor of a `1.NN` Kubernetes version.
fn minor(v: &str) -> Option<u32> {
    v.strip_prefix("1.")?.parse().ok()
}

/// The version an upgrade from `current` towards `target` goes to next: EKS upgrades
/// one minor version at a time and never downgrades.
fn next_version(current: &str, target: &str) -> Result<String, KindError> {
    match (minor(current), minor(target)) {
        (Some(c), Some(t)) if t > c + 1 => Ok(format!("1.{}", c + 1)),
        (Some(c), Some(t)) if t < c => Err(KindError::fatal(
            "Downgrade",
            format!("EKS cannot downgrade a cluster from {current} to {target}"),
        )),
        _ => Ok(target.to_string()),
    }
}

/// Where an update started by `update()` stands: `None` once it succeeded.
async fn update_pending(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    update: &str,
    nodegroup: Option<&str>,
    addon: Option<&str>,
) -> Result<Option<String>, KindError> {
    let u = c
        .describe_update()
        .name(cluster)
        .update_id(update)
        .set_nodegroup_name(nodegroup.map(str::to_string))
        .set_addon_name(addon.map(str::to_string))
        .send()
        .await
        .map_err(classify)?
        .update;
    let Some(u) = u else { return Ok(None) };
    match u.status() {
        Some(UpdateStatus::Successful) | None => Ok(None),
        Some(UpdateStatus::InProgress) => Ok(Some("UPDATING".into())),
        Some(st) => Err(KindError::fatal(
            "UpdateFailed",
            format!(
                "update {update} of {} is {}: {}",
                addon.or(nodegroup).unwrap_or(cluster),
                st.as_str(),
                u.errors()
                    .iter()
                    .filter_map(|e| e.error_message())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        )),
    }
}

fn with_update(mut outputs: Attrs, update: Option<&str>) -> Attrs {
    if let Some(u) = update {
        outputs.insert("update".into(), Value::str(u));
    }
    outputs
}

// ---- cluster -----------------------------------------------------------------------

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
    kind_meta!("eks-cluster");

    fn replace_fields(&self) -> &'static [&'static str] {
        // A cluster keeps its name and role for life; its secrets key can be added
        // later (AssociateEncryptionConfig) but never changed (see `diff`).
        &["name", "role"]
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        let mut d = Diff::compute(
            &sorted_lists(desired, &["subnets", "securityGroups", "logging"]),
            &observed.attrs,
            self.replace_fields(),
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
            req = req.encryption_config(
                EncryptionConfig::builder()
                    .provider(Provider::builder().key_arn(key).build())
                    .build(),
            );
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
                    .encryption_config(
                        EncryptionConfig::builder()
                            .provider(Provider::builder().key_arn(s(a, "secretsKey")?).build())
                            .build(),
                    )
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

// ---- node groups -------------------------------------------------------------------

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
    kind_meta!("eks-nodegroup");

    fn replace_fields(&self) -> &'static [&'static str] {
        // The catalogue's (instance types), and what EKS cannot change in place either.
        const FIELDS: &[&str] = &[
            "instanceTypes",
            "cluster",
            "name",
            "role",
            "subnets",
            "amiType",
            "launchTemplate",
        ];
        debug_assert!(spec("eks-nodegroup")
            .replace_fields
            .iter()
            .all(|f| FIELDS.contains(f)));
        FIELDS
    }

    fn replace_mode(&self) -> ReplaceMode {
        spec("eks-nodegroup").replace_mode
    }

    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        Diff::compute(
            &ng_comparable(desired, &observed.attrs),
            &observed.attrs,
            self.replace_fields(),
        )
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for cl in self.0.clusters(env, scope).await?.iter() {
            let Some(cname) = cl.name() else { continue };
            let names: Vec<String> = match c
                .list_nodegroups()
                .cluster_name(cname)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(classify)
            {
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
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send()
                .await
                .map_err(classify),
        )
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
                return Err(KindError::new(
                    ErrorClass::NotFound,
                    "NotVisibleYet",
                    format!("node group {name} is not visible yet"),
                ))
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

// ---- add-ons -----------------------------------------------------------------------

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
    let infos = c
        .describe_addon_versions()
        .addon_name(addon)
        .kubernetes_version(k8s)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(classify)?;
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
    kind_meta!("eks-addon");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["cluster", "name"]
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for cl in self.0.clusters(env, scope).await?.iter() {
            let Some(cname) = cl.name() else { continue };
            let names: Vec<String> = match c
                .list_addons()
                .cluster_name(cname)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(classify)
            {
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
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_addon()
                .cluster_name(s(&current.attrs, "cluster")?)
                .addon_name(s(&current.attrs, "name")?)
                .send()
                .await
                .map_err(classify),
        )
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
            (_, None) => {
                return Err(KindError::new(
                    ErrorClass::NotFound,
                    "NotVisibleYet",
                    format!("add-on {name} is not visible yet"),
                ))
            }
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

// ---- access entries ----------------------------------------------------------------

pub struct EksAccessEntry(pub Arc<Eks>);

fn entry_out(cluster: &str, principal: &str, arn: &str) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(arn)),
        ("arn".to_string(), Value::str(arn)),
        ("cluster".to_string(), Value::str(cluster)),
        ("principal".to_string(), Value::str(principal)),
    ])
}

async fn describe_entry(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
) -> Result<Option<aws_sdk_eks::types::AccessEntry>, KindError> {
    match c
        .describe_access_entry()
        .cluster_name(cluster)
        .principal_arn(principal)
        .send()
        .await
    {
        Ok(o) => Ok(o.access_entry),
        Err(e) => match classify(e) {
            e if e.class == ErrorClass::NotFound => Ok(None),
            e => Err(e),
        },
    }
}

async fn associate(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    principal: &str,
    policy: &str,
) -> Result<(), KindError> {
    c.associate_access_policy()
        .cluster_name(cluster)
        .principal_arn(principal)
        .policy_arn(policy)
        .access_scope(
            AccessScope::builder()
                .r#type(AccessScopeType::Cluster)
                .build(),
        )
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

#[async_trait]
impl Kind for EksAccessEntry {
    kind_meta!("eks-access-entry");

    fn replace_fields(&self) -> &'static [&'static str] {
        &["cluster", "principal"]
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let c = self.0.client(scope)?;
        let mut out = Vec::new();
        for cl in self.0.clusters(env, scope).await?.iter() {
            let Some(cname) = cl.name() else { continue };
            let principals: Vec<String> = match c
                .list_access_entries()
                .cluster_name(cname)
                .into_paginator()
                .items()
                .send()
                .try_collect()
                .await
                .map_err(classify)
            {
                Ok(p) => p,
                Err(e) if e.class == ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            };
            for p in principals {
                // Entries carry their tags only in their description; the cluster
                // creator's bootstrap entry has none and is left alone.
                let Some(entry) = describe_entry(c, cname, &p).await? else {
                    continue;
                };
                let Some(id) = tags::owned_id(&tag_map(entry.tags()), env) else {
                    continue;
                };
                let policies: Vec<String> = c
                    .list_associated_access_policies()
                    .cluster_name(cname)
                    .principal_arn(&p)
                    .into_paginator()
                    .items()
                    .send()
                    .try_collect()
                    .await
                    .map_err(classify)?
                    .iter()
                    .filter_map(|a| a.policy_arn().map(str::to_string))
                    .collect();
                let policy = match policies.as_slice() {
                    [] => Value::Null,
                    [one] => Value::str(one.as_str()),
                    many => id_set(many.to_vec()),
                };
                let arn = entry.access_entry_arn().unwrap_or_default();
                out.push(Observed {
                    id: id.as_str().into(),
                    physical_id: arn.to_string(),
                    attrs: Attrs::from([
                        ("cluster".to_string(), Value::str(cname)),
                        ("principal".to_string(), Value::str(p.as_str())),
                        ("policy".to_string(), policy),
                    ]),
                    outputs: entry_out(cname, &p, arn),
                    parents: vec![cl.arn().unwrap_or_default().to_string()],
                });
            }
        }
        Ok(out)
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = self.0.client(&node.scope)?;
        let a = &node.attrs;
        let (cluster, principal) = (s(a, "cluster")?, s(a, "principal")?);
        let entry = match c
            .create_access_entry()
            .cluster_name(&cluster)
            .principal_arn(&principal)
            .set_tags(Some(std_tags(&node.env, &node.id.0)))
            .client_request_token(node.client_token())
            .send()
            .await
        {
            Ok(o) => o.access_entry,
            Err(e) if code_of(&e) == Some("ResourceInUseException") => {
                match describe_entry(c, &cluster, &principal).await? {
                    Some(en)
                        if tags::owned_id(&tag_map(en.tags()), &node.env).as_deref()
                            == Some(node.id.0.as_str()) =>
                    {
                        Some(en)
                    }
                    Some(_) => {
                        return Err(KindError::fatal(
                            "ResourceInUseException",
                            format!(
                                "cluster {cluster} already has an access entry for {principal} \
                                 that airgapctl did not create (the cluster creator's own entry?); \
                                 remove the principal from `admins` or delete the entry"
                            ),
                        ))
                    }
                    None => return Err(classify(e)),
                }
            }
            Err(e) => return Err(classify(e)),
        };
        let arn = entry
            .as_ref()
            .and_then(|e| e.access_entry_arn())
            .unwrap_or_default()
            .to_string();
        if let Some(policy) = opt_s(a, "policy") {
            associate(c, &cluster, &principal, &policy).await?;
        }
        Ok(Created {
            outputs: entry_out(&cluster, &principal, &arn),
            physical_id: arn,
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        // Only the policy differs in place: associate the wanted one, drop the others.
        let c = self.0.client(&node.scope)?;
        let (cluster, principal) = (s(&node.attrs, "cluster")?, s(&node.attrs, "principal")?);
        let want = opt_s(&node.attrs, "policy");
        if let Some(p) = &want {
            associate(c, &cluster, &principal, p).await?;
        }
        let had: Vec<String> = match current.attrs.get("policy") {
            Some(Value::Str(p)) => vec![p.clone()],
            Some(Value::List(_)) => list(&current.attrs, "policy")?,
            _ => Vec::new(),
        };
        for p in had.iter().filter(|p| Some(*p) != want.as_ref()) {
            gone_is_ok(
                c.disassociate_access_policy()
                    .cluster_name(&cluster)
                    .principal_arn(&principal)
                    .policy_arn(p)
                    .send()
                    .await
                    .map_err(classify),
            )?;
        }
        Ok(current.outputs.clone())
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        gone_is_ok(
            self.0
                .client(scope)?
                .delete_access_entry()
                .cluster_name(s(&current.attrs, "cluster")?)
                .principal_arn(s(&current.attrs, "principal")?)
                .send()
                .await
                .map_err(classify),
        )
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        _physical_id: &str,
        outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        let (cluster, principal) = (s(outputs, "cluster")?, s(outputs, "principal")?);
        let found = describe_entry(self.0.client(scope)?, &cluster, &principal).await?;
        Ok(match (op, found) {
            (Op::Delete, None) => Readiness::Gone,
            (Op::Delete, Some(_)) => Readiness::Pending("deleting".into()),
            (_, Some(_)) => Readiness::Ready(outputs.clone()),
            (_, None) => {
                return Err(KindError::new(
                    ErrorClass::NotFound,
                    "NotVisibleYet",
                    format!("the access entry of {principal} is not visible yet"),
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_go_up_one_minor_at_a_time() {
        assert_eq!(next_version("1.30", "1.31").unwrap(), "1.31");
        assert_eq!(next_version("1.30", "1.33").unwrap(), "1.31");
        assert_eq!(
            next_version("1.31", "1.30").unwrap_err().class,
            ErrorClass::Fatal
        );
    }

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
