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
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use airgap_engine::{
    Attrs, Created, Diff, ErrorClass, FieldChange, KindError, Observed, Op, Readiness, Registry,
    Resolved, Scope, Updated, Value,
};
use aws_sdk_eks::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eks::types::{AccessEntry, Addon, Cluster, Nodegroup, UpdateStatus};
use tokio::sync::OnceCell;

use crate::clients::PerScope;
use crate::errors::{classify, code_of};
use crate::kit::{self, all_pages, lookup, not_visible_yet};
use crate::stats::counted_client;
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
                if let Some(cl) = describe_cluster(c, &name)
                    .await?
                    .filter(|cl| cluster_id(cl, env).is_some() && !cl.deleting())
                {
                    out.push(cl);
                }
            }
            Ok(Arc::new(out))
        })
        .await
        .cloned()
    }

    /// The env's members of one kind (node groups, add-ons, access entries) in every
    /// cluster of the env: `list` per cluster, then `describe` one by one (their tags
    /// come only with the description); those of other envs, without tags (the cluster
    /// creator's own access entry) or being deleted are left out.
    async fn members<T, L, LF, D, DF>(
        &self,
        env: &str,
        scope: &Scope,
        list: L,
        describe: D,
    ) -> Result<Vec<Found<T>>, KindError>
    where
        T: Member,
        L: Fn(aws_sdk_eks::Client, String) -> LF,
        LF: Future<Output = Result<Vec<String>, KindError>>,
        D: Fn(aws_sdk_eks::Client, String, String) -> DF,
        DF: Future<Output = Result<Option<T>, KindError>>,
    {
        let c = self.client(scope)?;
        let mut out = Vec::new();
        for cl in self.clusters(env, scope).await?.iter() {
            let Some(cname) = cl.name() else { continue };
            let names = match list(c.clone(), cname.to_string()).await {
                Ok(n) => n,
                // The cluster went away since it was listed.
                Err(e) if e.class == ErrorClass::NotFound => continue,
                Err(e) => return Err(e),
            };
            for name in names {
                let Some(item) = describe(c.clone(), cname.to_string(), name.clone()).await? else {
                    continue;
                };
                let Some(id) = tags::owned_id(&tag_map(item.tags()), env) else {
                    continue;
                };
                if item.deleting() {
                    continue;
                }
                out.push(Found {
                    id,
                    cluster: cname.to_string(),
                    cluster_arn: cl.arn().unwrap_or_default().to_string(),
                    name,
                    item,
                });
            }
        }
        Ok(out)
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
        self.iam.insert(scope, counted_client!(aws_sdk_iam, conf, stats));
        self.kms.insert(scope, counted_client!(aws_sdk_kms, conf, stats));
        self.eks.insert(scope, counted_client!(aws_sdk_eks, conf, stats));
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

/// One resource of the env found under one of its clusters.
struct Found<T> {
    /// Its node id (`airgap:id`).
    id: String,
    cluster: String,
    cluster_arn: String,
    /// The name it was listed by (for an access entry, the principal).
    name: String,
    item: T,
}

/// What the EKS kinds read alike from their resources' descriptions.
trait Member {
    fn tags(&self) -> Option<&HashMap<String, String>>;
    fn arn(&self) -> Option<&str>;
    /// The status, as EKS spells it (`ACTIVE`, `CREATING`, ...); none for an access
    /// entry, which has none.
    fn status(&self) -> Option<&str>;
    /// Its health issues, for an error message.
    fn issues(&self) -> String;
    fn deleting(&self) -> bool {
        self.status() == Some("DELETING")
    }
}

/// `Member` from the description's own tags, status and health.
macro_rules! member {
    ($t:ty, $arn:ident, $issue:expr) => {
        impl Member for $t {
            fn tags(&self) -> Option<&HashMap<String, String>> {
                self.tags()
            }
            fn arn(&self) -> Option<&str> {
                self.$arn()
            }
            fn status(&self) -> Option<&str> {
                self.status().map(|s| s.as_str())
            }
            fn issues(&self) -> String {
                let issues = self.health().map(|h| h.issues()).unwrap_or_default();
                issues.iter().map($issue).collect::<Vec<String>>().join("; ")
            }
        }
    };
}

member!(Cluster, arn, |i: &aws_sdk_eks::types::ClusterIssue| i
    .message()
    .unwrap_or_default()
    .to_string());
member!(Addon, addon_arn, |i: &aws_sdk_eks::types::AddonIssue| i
    .message()
    .unwrap_or_default()
    .to_string());
member!(Nodegroup, nodegroup_arn, |i: &aws_sdk_eks::types::Issue| format!(
    "{}: {}",
    i.code().map_or("", |c| c.as_str()),
    i.message().unwrap_or_default()
));

impl Member for AccessEntry {
    fn tags(&self) -> Option<&HashMap<String, String>> {
        self.tags()
    }
    fn arn(&self) -> Option<&str> {
        self.access_entry_arn()
    }
    fn status(&self) -> Option<&str> {
        None
    }
    fn issues(&self) -> String {
        String::new()
    }
}

/// A create's answer: the resource's ARN is its physical id.
fn created_as<T: Member>(x: &T, outputs: impl FnOnce(&T) -> Attrs) -> Created {
    Created { physical_id: x.arn().unwrap_or_default().to_string(), outputs: outputs(x) }
}

/// The outputs of a resource under a cluster: its name (`id`), cluster and ARN.
fn member_out(id: &str, cluster: &str, arn: &str) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::str(id)),
        ("cluster".to_string(), Value::str(cluster)),
        ("arn".to_string(), Value::str(arn)),
    ])
}

/// The output observe adds to a node group or add-on whose create failed: its status.
const FAILED_OUTPUT: &str = "status";

/// A member as observe reports it: its outputs, and `status` when it is CREATE_FAILED.
/// EKS leaves such a resource as it is (the SDK's `NodegroupActive` and `AddonActive`
/// waiters count CREATE_FAILED as final), so it would match the blueprint, be planned
/// as unchanged and the apply pass with a resource that never worked.
fn observed_member<T: Member>(x: &T, mut outputs: Attrs) -> Attrs {
    if x.status() == Some("CREATE_FAILED") {
        outputs.insert(FAILED_OUTPUT.into(), Value::str("CREATE_FAILED"));
    }
    outputs
}

/// `diff` with a replacement of a member observe found CREATE_FAILED, as Terraform
/// replaces a resource whose create failed (it marks it tainted): the plan shows it, and
/// the new one is made beside it or after it, by the kind's replacement mode.
fn replace_failed(mut diff: Diff, observed: &Observed) -> Diff {
    if let Some(failed @ Value::Str(_)) = observed.outputs.get(FAILED_OUTPUT) {
        diff.changes.push(FieldChange {
            field: FAILED_OUTPUT.into(),
            old: Some(failed.clone()),
            new: Value::str("ACTIVE"),
            forces_replacement: true,
        });
    }
    diff
}

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

async fn describe_cluster(
    c: &aws_sdk_eks::Client,
    name: &str,
) -> Result<Option<Cluster>, KindError> {
    Ok(lookup(c.describe_cluster().name(name).send()).await?.and_then(|o| o.cluster))
}

/// What a create answered, or the resource it found in its way: a create
/// retried with another spec (so another client token) meets
/// `ResourceInUseException`; the resource there is adopted if it is this node's and
/// not on its way out, refused if it is someone else's (`foreign` says whose), and
/// without one (a busy cluster) the error stands.
async fn made_or_adopted<O, E, R, T, F>(
    sent: Result<O, SdkError<E, R>>,
    made: impl FnOnce(O) -> Option<T>,
    existing: impl FnOnce() -> F,
    node: &Resolved,
    what: &str,
    foreign: impl FnOnce() -> String,
) -> Result<T, KindError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
    T: Member,
    F: Future<Output = Result<Option<T>, KindError>>,
{
    match sent {
        Ok(o) => made(o).ok_or_else(|| {
            KindError::fatal("NothingCreated", format!("the create of {what} returned none"))
        }),
        Err(e) if code_of(&e) == Some("ResourceInUseException") => match existing().await? {
            Some(x)
                if tags::owned_id(&tag_map(x.tags()), &node.env).as_deref()
                    == Some(node.id.0.as_str()) =>
            {
                if x.deleting() {
                    Err(busy(what, "DELETING"))
                } else {
                    Ok(x)
                }
            }
            Some(_) => Err(KindError::fatal("ResourceInUseException", foreign())),
            None => Err(classify(e)),
        },
        Err(e) => Err(classify(e)),
    }
}

/// The resource an update acts on, freshly described: it must exist and be in one of
/// the `ok` statuses (EKS runs one update at a time); otherwise the update waits.
fn updatable<T: Member>(found: Option<T>, what: &str, ok: &[&str]) -> Result<T, KindError> {
    let Some(x) = found else {
        return Err(KindError::new(ErrorClass::NotFound, "ResourceNotFoundException", what));
    };
    match x.status() {
        Some(st) if ok.contains(&st) => Ok(x),
        st => Err(busy(what, st.unwrap_or("unknown"))),
    }
}

/// The statuses that end a wait on an EKS resource in failure, per the SDK's waiters for
/// its kind (botocore eks waiters-2.json), and the error code to report them with.
struct Failures {
    code: &'static str,
    /// After a create or update.
    failed: &'static [&'static str],
    /// After an accepted delete: DELETE_FAILED where the kind has it; a cluster has
    /// none, and one still ACTIVE, CREATING or PENDING did not start deleting.
    delete: &'static [&'static str],
}

/// Readiness from a description: ACTIVE is ready (with `ready`'s outputs), a failure
/// status for the op is fatal (with the health issues); any other status is pending;
/// absent is gone after a delete and not visible yet otherwise.
fn readiness<T: Member>(
    op: Op,
    what: &str,
    found: Option<&T>,
    fails: &Failures,
    ready: impl FnOnce(&T) -> Attrs,
) -> Result<Readiness, KindError> {
    let Some(x) = found else {
        return match op {
            Op::Delete => Ok(Readiness::Gone),
            _ => Err(not_visible_yet(format!("{what} is not visible yet"))),
        };
    };
    let st = x.status().unwrap_or("ACTIVE");
    match (op, st) {
        (Op::Delete, st) if fails.delete.contains(&st) => Err(KindError::fatal(
            "DeleteFailed",
            format!("{what} could not be deleted ({st}): {}", x.issues()),
        )),
        (Op::Delete, st) => Ok(Readiness::Pending(st.to_string())),
        (_, "ACTIVE") => Ok(Readiness::Ready(ready(x))),
        (_, st) if fails.failed.contains(&st) => {
            Err(KindError::fatal(fails.code, format!("{what} is {st}: {}", x.issues())))
        }
        (_, st) => Ok(Readiness::Pending(st.to_string())),
    }
}

/// Which resource under a cluster an update belongs to.
enum UpdateOf<'a> {
    Cluster,
    Nodegroup(&'a str),
    Addon(&'a str),
}

/// After an update, while the update it started (the handle `update` returned) runs:
/// `Pending`; `None` once it succeeded (or there was none), so the resource's own
/// status decides.
async fn update_running(
    c: &aws_sdk_eks::Client,
    op: Op,
    handle: Option<&str>,
    cluster: &str,
    of: UpdateOf<'_>,
) -> Result<Option<Readiness>, KindError> {
    let Some(update) = handle else {
        return Ok(None);
    };
    if op != Op::Update {
        return Ok(None);
    }
    let (nodegroup, addon) = match of {
        UpdateOf::Cluster => (None, None),
        UpdateOf::Nodegroup(n) => (Some(n), None),
        UpdateOf::Addon(a) => (None, Some(a)),
    };
    Ok(update_pending(c, cluster, update, nodegroup, addon).await?.map(Readiness::Pending))
}

/// The cluster and name of the node group or add-on `check` is about (its outputs), and
/// `Some(Pending)` while the update it started runs (see [`update_running`]).
async fn child_update_running(
    c: &aws_sdk_eks::Client,
    check: &airgap_engine::Check<'_>,
    of: impl for<'a> FnOnce(&'a str) -> UpdateOf<'a>,
) -> Result<(String, String, Option<Readiness>), KindError> {
    let (cluster, name) = (kit::s(check.outputs, "cluster")?, kit::s(check.outputs, "id")?);
    let running = update_running(c, check.op, check.handle, &cluster, of(&name)).await?;
    Ok((cluster, name, running))
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

/// Resolved ids, as an API takes them.
fn ids(list: &[airgap_catalog::spec::Id]) -> Result<Vec<String>, KindError> {
    list.iter().map(|i| Ok(i.get()?.to_string())).collect()
}

/// Whether the plan's diff changes any of `fields`.
fn changes(diff: &airgap_engine::Diff, fields: &[&str]) -> bool {
    diff.changes.iter().any(|c| fields.contains(&c.field.as_str()))
}

/// The Kubernetes version a member of `cluster` (a node group, an add-on) can go to on
/// its way to `wanted`: never past the control plane's, which leads each step of an
/// upgrade (UpdateNodegroupVersion refuses a version the cluster does not run yet). The
/// second value names what is left for a further round of the apply.
async fn toward_cluster(
    c: &aws_sdk_eks::Client,
    cluster: &str,
    wanted: &str,
) -> Result<(String, Option<String>), KindError> {
    let cl = describe_cluster(c, cluster)
        .await?
        .ok_or_else(|| not_visible_yet(format!("cluster {cluster}")))?;
    let now = cl.version().unwrap_or(wanted);
    Ok(match (minor(now), minor(wanted)) {
        (Some(n), Some(w)) if w > n => {
            (now.to_string(), Some(format!("version {wanted} once the cluster runs it")))
        }
        _ => (wanted.to_string(), None),
    })
}

use airgap_catalog::k8s::minor;

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
                u.errors().iter().filter_map(|e| e.error_message()).collect::<Vec<_>>().join("; ")
            ),
        )),
    }
}

/// An update call's answer: the outputs, and the id of the update EKS started, which
/// readiness follows ([`update_running`]) before the resource's own status.
fn started(outputs: Attrs, update: Option<&aws_sdk_eks::types::Update>) -> Updated {
    Updated { outputs, handle: update.and_then(|u| u.id()).map(str::to_string), remaining: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_go_up_one_minor_at_a_time() {
        assert_eq!(next_version("1.30", "1.31").unwrap(), "1.31");
        assert_eq!(next_version("1.30", "1.33").unwrap(), "1.31");
        assert_eq!(next_version("1.31", "1.30").unwrap_err().class, ErrorClass::Fatal);
    }
}
