//! The contract every resource kind implements, in the shape of Crossplane's
//! external client: observe (batched), a pure diff, create, update, delete, and
//! readiness. The engine alone decides what to call and when.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::graph::{NodeId, Scope};
use crate::value::{Attrs, Value};

/// The operation a step performs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Create,
    Update,
    Delete,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Create => "create",
            Op::Update => "update",
            Op::Delete => "delete",
        })
    }
}

/// Expected durations of a kind, until it is usable (or gone). They rank ready work
/// (critical path first) and pace readiness polls; `timeout` bounds the wait.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub create: Duration,
    pub update: Duration,
    pub delete: Duration,
    pub timeout: Duration,
}

impl Timing {
    pub const fn secs(create: u64, update: u64, delete: u64, timeout: u64) -> Self {
        Timing {
            create: Duration::from_secs(create),
            update: Duration::from_secs(update),
            delete: Duration::from_secs(delete),
            timeout: Duration::from_secs(timeout),
        }
    }

    pub fn expected(&self, op: Op) -> Duration {
        match op {
            Op::Create => self.create,
            Op::Update => self.update,
            Op::Delete => self.delete,
        }
    }
}

/// What is fixed about a kind, whatever provider implements it: its name, how long it
/// takes, which rate-limit buckets its calls draw from, and what cannot change in place.
/// The values for AWS live in one catalogue (`airgap-catalog`); the engine only reads
/// them through [`Kind`].
#[derive(Clone, Copy, Debug)]
pub struct KindFacts {
    pub name: &'static str,
    pub timing: Timing,
    /// The rate-limit bucket mutating calls draw from (see [`crate::RateLimits`]).
    pub bucket: &'static str,
    /// The bucket readiness checks and observe draw from.
    pub read_bucket: &'static str,
    /// Fields that cannot change in place.
    pub replace_fields: &'static [&'static str],
    pub replace_mode: ReplaceMode,
    /// Outputs an update gives new values (a launch template's version): while one is
    /// planned, dependents see them as known after apply, and follow.
    pub outputs_changed_by_update: &'static [&'static str],
    /// For kinds AWS cannot tag (routes, associations, rules, acceptances): the attributes
    /// that identify one resource, its parent and its key there. Observe finds such a
    /// resource in a parent that carries the env tag and cannot know its node; the plan
    /// pairs it with the declared node whose resolved attributes agree on these fields.
    /// Nothing is written on the parent, so a parent's tags do not grow with its
    /// children (EC2 and RAM allow 50 per resource). Empty: found by its own tags.
    pub identity: &'static [&'static str],
    /// List attributes that are sets to the API (subnets, principals, members): it returns
    /// them in no particular order, so they are compared sorted and without repeats.
    pub unordered: &'static [&'static str],
    /// Attributes naming resources AWS does not delete while this one uses them (the
    /// subnets its network interfaces sit in, the groups they carry, the load balancers an
    /// endpoint service fronts). When one of those is replaced delete-before-create, an
    /// in-place update of this one would let go of it only after the delete it blocks:
    /// the plan refuses that and says to replace this one too.
    pub holds: &'static [&'static str],
}

impl KindFacts {
    /// Desired attributes in the form observe reports them: the [`Self::unordered`]
    /// lists of strings sorted and deduplicated.
    pub fn comparable(&self, desired: &Attrs) -> Attrs {
        let mut a = desired.clone();
        for k in self.unordered {
            if let Some(Value::List(items)) = a.get_mut(*k) {
                if items.iter().all(|v| v.as_str().is_some()) {
                    items.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
                    items.dedup();
                }
            }
        }
        a
    }

    /// What differs between `desired` (as the kind compares it) and the attributes
    /// observe reported: the [`Self::unordered`] lists as sets, and which changes the
    /// [`Self::replace_fields`] make replacements. Every kind's diff goes through here, so
    /// a fact added to the entry holds for the kind whatever else its diff does.
    pub fn diff(&self, desired: &Attrs, observed: &Attrs) -> Diff {
        Diff::compute(&self.comparable(desired), observed, self.replace_fields)
    }
}

/// A resource found by observe, mapped back to its node through the `airgap:id` tag.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub id: NodeId,
    /// The provider's identifier (vpc-0abc..., an ARN, a name).
    pub physical_id: String,
    /// Attributes comparable with the desired ones (same keys, resolved values).
    pub attrs: Attrs,
    /// What dependents may reference (`id`, `arn`, ...).
    pub outputs: Attrs,
    /// Physical ids of resources this one depends on; orders deletes of resources
    /// that are no longer declared.
    #[serde(default)]
    pub parents: Vec<String>,
}

/// What a create call returns; readiness is established afterwards.
#[derive(Clone, Debug, PartialEq)]
pub struct Created {
    pub physical_id: String,
    pub outputs: Attrs,
}

/// Answer of a readiness check.
#[derive(Clone, Debug, PartialEq)]
pub enum Readiness {
    /// Usable; outputs as now observed (ids that exist only once ready, e.g. firewall endpoints).
    Ready(Attrs),
    /// Not yet; the status is shown to the user (`CREATING`, `pending`, ...).
    Pending(String),
    /// Deleted and confirmed gone.
    Gone,
}

/// How a kind's error should be handled; the engine's error policy maps each class
/// to retry-or-fail, so kinds never loop on their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// Throttling after the SDK's own retries gave up: back off and retry.
    Throttled,
    /// Not found: eventual consistency right after a create, or already gone on delete.
    NotFound,
    /// The resource is busy (ResourceInUse, IncorrectState, an update in progress): wait.
    Conflict,
    /// Something still depends on it (DependencyViolation): wait while deleting.
    DependencyViolation,
    /// Retrying will not help.
    Fatal,
}

#[derive(Clone, Debug, Error, PartialEq, Serialize, Deserialize)]
#[error("{code}: {message}")]
pub struct KindError {
    pub class: ErrorClass,
    pub code: String,
    pub message: String,
}

impl KindError {
    pub fn new(class: ErrorClass, code: impl Into<String>, message: impl Into<String>) -> Self {
        KindError { class, code: code.into(), message: message.into() }
    }

    pub fn fatal(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(ErrorClass::Fatal, code, message)
    }
}

/// How a replacement proceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplaceMode {
    /// The old one must go first (e.g. a subnet: the new CIDR may overlap the old).
    DeleteBeforeCreate,
    /// Keep serving until the new one is ready (e.g. a nodegroup).
    CreateBeforeDestroy,
}

/// One field that differs between desired and observed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Option<Value>,
    pub new: Value,
    /// AWS cannot change this field in place.
    pub forces_replacement: bool,
}

/// The result of comparing desired with observed attributes; replacement is data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Diff {
    pub changes: Vec<FieldChange>,
    /// Changes AWS cannot make at all, in place or by replacement (a Kubernetes
    /// downgrade): the plan lists them and apply refuses to start.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn requires_replacement(&self) -> bool {
        self.changes.iter().any(|c| c.forces_replacement)
    }

    /// Compares every desired field with the observed one; `replace_fields` cannot
    /// change in place. Fields that are only observed are ignored (AWS adds defaults).
    pub fn compute(desired: &Attrs, observed: &Attrs, replace_fields: &[&str]) -> Diff {
        let changes = desired
            .iter()
            .filter_map(|(field, new)| {
                let old = observed.get(field);
                if old == Some(new) {
                    return None;
                }
                Some(FieldChange {
                    field: field.clone(),
                    old: old.cloned(),
                    new: new.clone(),
                    forces_replacement: replace_fields.contains(&field.as_str()),
                })
            })
            .collect();
        Diff { changes, refused: Vec::new() }
    }
}

/// A node about to be created or updated: references resolved to concrete values.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub env: Arc<str>,
    pub id: NodeId,
    pub scope: Scope,
    pub attrs: Attrs,
    /// Physical id of the instance a create-before-destroy replaces. It carries the
    /// same `airgap:id`, so a lookup by tag must not adopt it (and a kind whose names
    /// are unique needs a fresh one).
    pub replaces: Option<String>,
}

impl Resolved {
    /// A client token that is the same for the same env, node and spec within one run,
    /// so a retried create returns the first one's resource instead of a duplicate.
    ///
    /// Not across runs: AWS answers a token it has seen with the first call's result
    /// even once that resource is deleted ("returns the same result"), so a later run
    /// re-creating what a partial destroy (or a person) deleted, with unchanged inputs,
    /// would be handed the dead id and wait on it. Across runs the create's lookup by tag
    /// adopts what a killed run made.
    pub fn client_token(&self) -> String {
        let run = run_nonce().to_le_bytes();
        format!("airgap-{:016x}", fnv1a(&[&self.spec_hash().to_le_bytes(), &run]))
    }

    /// A hash of the env, node and spec, the same on every run: for names that must be
    /// found again by a later run (a replacement's name beside the old one's).
    pub fn spec_hash(&self) -> u64 {
        let spec = serde_json::to_string(&self.attrs).unwrap_or_default();
        fnv1a(&[self.env.as_bytes(), self.id.0.as_bytes(), spec.as_bytes()])
    }
}

/// A number drawn once per process (one run): the time and the process id.
fn run_nonce() -> u64 {
    static NONCE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *NONCE.get_or_init(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        fnv1a(&[&now.to_le_bytes(), &std::process::id().to_le_bytes()])
    })
}

/// FNV-1a: stable across runs and platforms, unlike std's hasher.
pub fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.iter().chain([0u8].iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// A resource kind. Implementations hold their own clients per scope.
#[async_trait]
pub trait Kind: Send + Sync + 'static {
    /// The kind's fixed facts (name, durations, buckets, what cannot change in place),
    /// from the provider's catalogue: one place, which no kind overrides.
    fn facts(&self) -> &'static KindFacts;

    /// Pure comparison; the default compares every desired field, the unordered lists
    /// as sets.
    fn diff(&self, desired: &Attrs, observed: &Observed) -> Diff {
        self.facts().diff(desired, &observed.attrs)
    }

    /// Every resource of this kind in `scope` that carries the env tag, in as few
    /// calls as the API allows (one paginated, tag-filtered Describe where possible).
    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError>;

    /// Called once before the observations of one plan (of every scope) begin. A kind
    /// whose observe reads the same thing from every scope (another account's state) may
    /// read it once per plan and share it between the scopes; this is where it forgets the
    /// previous plan's. The default keeps nothing.
    fn begin_observation(&self) {}

    /// Creates the resource, tagged in the same call. Must not fail if a previous,
    /// interrupted attempt already created it (client token or lookup by tag).
    async fn create(&self, node: &Resolved) -> Result<Created, KindError>;

    /// Changes what `change.diff` lists (and nothing else) in place. Replacements never
    /// come here: the engine deletes and creates instead.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError>;

    /// Starts deleting; a resource already gone is not an error. The engine counts a
    /// `NotFound` answer (here or from `ready`) as deleted.
    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError>;

    /// Whether the resource is usable after `check.op` (or gone after a delete).
    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError>;

    /// How many readiness checks one [`Kind::ready_many`] call answers: above 1 when the
    /// API describes several resources in one call (EC2's Describe calls take a list of
    /// ids). The engine then checks the pending resources of this kind and scope
    /// together, on one schedule, so a hundred endpoints cost one call per round, not a
    /// hundred.
    fn ready_batch(&self) -> usize {
        1
    }

    /// Kinds with the same family are checked together too: one Describe reads them all
    /// (gateway and interface VPC endpoints). Every kind of a family must answer the
    /// others' checks in its [`Kind::ready_many`]. By default each kind is its own.
    fn ready_family(&self) -> &'static str {
        self.facts().name
    }

    /// Readiness of several resources of this kind, all in one scope, answered in the
    /// order of `checks`. Kinds whose [`Kind::ready_batch`] is above 1 answer them in
    /// one call; a resource the call does not find is `NotFound` (or `Gone` after a
    /// delete), as for [`Kind::ready`]. The default asks one at a time.
    async fn ready_many(&self, checks: &[Check<'_>]) -> Vec<Result<Readiness, KindError>> {
        let mut out = Vec::with_capacity(checks.len());
        for check in checks {
            out.push(self.ready(*check).await);
        }
        out
    }
}

/// An update to make: the resolved node, the resource as observed, and the fields that
/// differ (the plan's diff; the kind acts on these).
#[derive(Clone, Copy, Debug)]
pub struct Change<'a> {
    pub node: &'a Resolved,
    pub current: &'a Observed,
    pub diff: &'a Diff,
}

impl Change<'_> {
    /// The answer of an update that finished with its calls and changed no output.
    pub fn done(&self) -> Updated {
        Updated::done(self.current.outputs.clone())
    }
}

/// What an update call answers: the outputs it changed, and for an operation that goes
/// on at AWS after the call returns (an EKS update), the handle readiness follows it by.
/// `remaining` says what the update could not reach in this run because AWS takes it in
/// steps that depend on other resources (a Kubernetes upgrade: one minor version at a
/// time, the node groups following each): the step is done, and the apply plans and
/// runs again for the rest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Updated {
    pub outputs: Attrs,
    pub handle: Option<String>,
    pub remaining: Option<String>,
}

impl Updated {
    /// An update that finished with the call, or that readiness follows by the resource's
    /// own status.
    pub fn done(outputs: Attrs) -> Self {
        Updated { outputs, handle: None, remaining: None }
    }

    /// An update AWS goes on with, followed by `handle`.
    pub fn started(outputs: Attrs, handle: impl Into<String>) -> Self {
        Updated { outputs, handle: Some(handle.into()), remaining: None }
    }

    /// This update is one step when `what` says what is left for a further round of
    /// the apply.
    pub fn with_remaining(self, what: Option<String>) -> Self {
        Updated { remaining: what, ..self }
    }
}

/// A readiness check: after `op` on the resource `physical_id`, with the outputs it had
/// or was given and, after an update that returned one, its handle.
#[derive(Clone, Copy, Debug)]
pub struct Check<'a> {
    pub scope: &'a Scope,
    pub op: Op,
    pub physical_id: &'a str,
    pub outputs: &'a Attrs,
    pub handle: Option<&'a str>,
}

/// The facts of a kind, read the same way by everything that schedules or plans it.
impl dyn Kind {
    pub fn name(&self) -> &'static str {
        self.facts().name
    }

    pub fn timing(&self) -> Timing {
        self.facts().timing
    }

    /// The rate-limit bucket the mutating call of `op` draws from (see [`crate::RateLimits`]).
    pub fn bucket(&self, _op: Op) -> &'static str {
        self.facts().bucket
    }

    /// The bucket readiness checks and observe draw from.
    pub fn read_bucket(&self) -> &'static str {
        self.facts().read_bucket
    }

    /// Fields that cannot change in place.
    pub fn replace_fields(&self) -> &'static [&'static str] {
        self.facts().replace_fields
    }

    pub fn replace_mode(&self) -> ReplaceMode {
        self.facts().replace_mode
    }

    /// Outputs an update gives new values; see [`KindFacts::outputs_changed_by_update`].
    pub fn outputs_changed_by_update(&self) -> &'static [&'static str] {
        self.facts().outputs_changed_by_update
    }

    /// The identity of a resource of a kind AWS cannot tag ([`KindFacts::identity`]), from
    /// attributes: a declared node's with its references resolved, or an observed
    /// resource's. None for kinds found by their tags, and while a field is missing or not
    /// known yet (its parent is still to be created: so is the resource).
    pub fn identity_of(&self, attrs: &Attrs) -> Option<String> {
        let fields = self.facts().identity;
        if fields.is_empty() {
            return None;
        }
        let mut parts = Vec::with_capacity(fields.len());
        for f in fields {
            match attrs.get(*f)? {
                v if v.is_unknown() || !v.refs().is_empty() => return None,
                v => parts.push(v),
            }
        }
        serde_json::to_string(&parts).ok()
    }
}

/// The kinds a provider offers, by name.
#[derive(Clone, Default)]
pub struct Registry {
    kinds: HashMap<&'static str, Arc<dyn Kind>>,
    order: Vec<&'static str>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn register(&mut self, kind: Arc<dyn Kind>) -> &mut Self {
        let name = kind.name();
        if self.kinds.insert(name, kind).is_none() {
            self.order.push(name);
        }
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Kind>> {
        self.kinds.get(name)
    }

    /// Kinds in registration order.
    pub fn kinds(&self) -> impl Iterator<Item = &Arc<dyn Kind>> {
        self.order.iter().map(|n| &self.kinds[n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unordered_lists_compare_as_sets() {
        const SHARE: KindFacts = KindFacts {
            name: "share",
            timing: Timing::secs(1, 1, 1, 60),
            bucket: "b",
            read_bucket: "b",
            replace_fields: &[],
            replace_mode: ReplaceMode::DeleteBeforeCreate,
            outputs_changed_by_update: &[],
            identity: &[],
            unordered: &["subnets"],
            holds: &[],
        };
        let list = |items: &[&str]| Value::List(items.iter().map(|s| Value::str(*s)).collect());
        let desired = Attrs::from([
            ("subnets".to_string(), list(&["subnet-b", "subnet-a", "subnet-b"])),
            ("order".to_string(), list(&["b", "a"])),
        ]);
        let c = SHARE.comparable(&desired);
        assert_eq!(c["subnets"], list(&["subnet-a", "subnet-b"]));
        // A list not named unordered keeps its order: it may mean something.
        assert_eq!(c["order"], list(&["b", "a"]));
    }

    #[test]
    fn diff_flags_replacement_fields_as_data() {
        let desired = Attrs::from([
            ("cidr".to_string(), Value::str("10.0.1.0/24")),
            ("name".to_string(), Value::str("b")),
        ]);
        let observed = Attrs::from([
            ("cidr".to_string(), Value::str("10.0.0.0/24")),
            ("name".to_string(), Value::str("b")),
            ("state".to_string(), Value::str("available")),
        ]);
        let d = Diff::compute(&desired, &observed, &["cidr"]);
        assert_eq!(d.changes.len(), 1);
        assert_eq!(d.changes[0].field, "cidr");
        assert!(d.requires_replacement());
    }

    #[test]
    fn client_token_is_stable_and_spec_sensitive() {
        let mut n = Resolved {
            env: "demo".into(),
            id: "vpc/a".into(),
            scope: Scope::new("1", "r"),
            attrs: Attrs::from([("cidr".to_string(), Value::str("10.0.0.0/16"))]),
            replaces: None,
        };
        let (t1, h1) = (n.client_token(), n.spec_hash());
        assert_eq!(t1, n.client_token());
        assert!(t1.len() <= 64);
        // The run's nonce is in the token, not in the hash names are made of.
        assert_ne!(t1, format!("airgap-{h1:016x}"));
        n.attrs.insert("cidr".into(), Value::str("10.1.0.0/16"));
        assert_ne!(t1, n.client_token());
        assert_ne!(h1, n.spec_hash());
    }
}
