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

mod access_entry;
mod addon;
mod cluster;
mod nodegroup;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airgap_engine::{Attrs, ErrorClass, KindError, Registry, Scope, Value};
use aws_sdk_eks::types::{Cluster, ClusterStatus, UpdateStatus};
use tokio::sync::OnceCell;

use crate::clients::PerScope;
use crate::errors::classify;
use crate::kit::all_pages;
use crate::tags;

pub use access_entry::EksAccessEntry;
pub use addon::EksAddon;
pub use cluster::EksCluster;
pub use nodegroup::EksNodegroup;

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
            let names: Vec<String> = all_pages!(c.list_clusters())?;
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
}
