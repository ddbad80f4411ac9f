//! A simulated cloud: an in-memory provider whose kinds take as long as the facts they
//! are given say (the AWS catalogue, `airgap-catalog`, gives AWS's durations) and whose
//! server meters calls with the rate limits it is given. On tokio's paused clock a whole
//! apply runs in virtual time, deterministically, in milliseconds of real time.
//!
//! Scenarios are real blueprints expanded by `airgap-blueprint` (and [`random_layered`]
//! for scale), so the simulated cloud never builds a topology of its own.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::time::{sleep, Instant};

use crate::graph::{GraphBuilder, Node, NodeId, Scope};
use crate::kind::{
    fnv1a, Change, Check, Created, ErrorClass, Kind, KindError, KindFacts, Observed, Op, Readiness,
    Registry, Resolved, Updated,
};
use crate::limits::{Limiter, RateLimits};
use crate::value::{Attrs, Value};

#[derive(Clone, Debug, Serialize, Deserialize)]
struct SimResource {
    physical_id: String,
    kind: String,
    scope: Scope,
    env: String,
    id: NodeId,
    attrs: Attrs,
    parents: Vec<String>,
    #[serde(skip)]
    ready_at: Option<Instant>,
    #[serde(skip)]
    gone_at: Option<Instant>,
    #[serde(default)]
    deleting: bool,
    /// A readiness check has seen the current operation finished (its lag is recorded).
    #[serde(skip)]
    seen: bool,
}

impl SimResource {
    fn gone(&self, now: Instant) -> bool {
        self.deleting && self.gone_at.is_none_or(|t| now >= t)
    }
}

/// A fault the simulated cloud injects.
#[derive(Clone, Debug)]
pub struct FaultRule {
    pub node: NodeId,
    pub op: Op,
    pub class: ErrorClass,
    pub code: &'static str,
    /// How many calls fail; `None` for all.
    pub times: Option<u32>,
}

#[derive(Default, Serialize, Deserialize)]
struct SimState {
    resources: BTreeMap<String, SimResource>,
    counter: u64,
    #[serde(skip)]
    calls: BTreeMap<String, u64>,
    #[serde(skip)]
    faults: Vec<FaultRule>,
    #[serde(skip)]
    throttled: u64,
    #[serde(skip)]
    lags: Vec<Duration>,
    #[serde(skip)]
    checks: u64,
    /// Live resources by kind, scope, env and airgap:id: the lookup by tag a retried
    /// create does, without a scan.
    #[serde(skip)]
    by_tag: HashMap<(String, Scope, String, NodeId), String>,
}

impl SimState {
    fn reindex(&mut self) {
        self.by_tag = self
            .resources
            .values()
            .filter(|r| !r.deleting)
            .map(|r| {
                (
                    (r.kind.clone(), r.scope.clone(), r.env.clone(), r.id.clone()),
                    r.physical_id.clone(),
                )
            })
            .collect();
    }
}

/// The simulated cloud shared by all simulated kinds.
pub struct SimCloud {
    state: Mutex<SimState>,
    server_limits: Mutex<Limiter>,
    /// Latency of a mutating call and of a read.
    pub call_latency: Duration,
    pub read_latency: Duration,
    /// Scales every duration (the CLI runs the simulation at 1% of AWS time).
    pub time_scale: f64,
    /// How actual durations vary around the expected ones.
    pub spread: Spread,
}

/// How far a simulated resource's actual duration strays from its kind's expected one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spread {
    /// Uniform within +-`0` of the expected duration (0.2: 80% to 120%).
    Uniform(f64),
    /// AWS's spread: log-normal around the expected duration with `sigma`, kept within
    /// `min`..`max` times it (a NAT gateway takes 1 to 5 minutes, EKS 7 to 16), drawn
    /// per resource from `seed`.
    LogNormal { sigma: f64, min: f64, max: f64, seed: u64 },
}

impl Spread {
    /// The wide spread the benchmark uses: 0.25x to 3x, skewed towards slow.
    pub const AWS: Spread = Spread::LogNormal { sigma: 0.6, min: 0.25, max: 3.0, seed: 1 };

    fn factor(self, h: u64) -> f64 {
        // Two uniforms in (0, 1) from one hash, for Box-Muller.
        let u = |bits: u64| ((bits & 0xffff_ffff) as f64 + 0.5) / 4_294_967_296.0;
        match self {
            Spread::Uniform(w) => 1.0 + w * (2.0 * u(h) - 1.0),
            Spread::LogNormal { sigma, min, max, seed } => {
                let h = h ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                let h = fnv1a(&[&h.to_le_bytes()]);
                let z = (-2.0 * u(h).ln()).sqrt() * (std::f64::consts::TAU * u(h >> 32)).cos();
                (sigma * z).exp().clamp(min, max)
            }
        }
    }
}

impl SimCloud {
    /// A cloud whose server throttles with `limits` when it runs at full time scale.
    pub fn new(time_scale: f64, limits: RateLimits) -> Arc<Self> {
        Arc::new(SimCloud {
            state: Mutex::new(SimState::default()),
            server_limits: Mutex::new(Limiter::new(limits)),
            call_latency: Duration::from_millis(150).mul_f64(time_scale.min(1.0)),
            read_latency: Duration::from_millis(80).mul_f64(time_scale.min(1.0)),
            time_scale,
            spread: Spread::Uniform(0.2),
        })
    }

    /// Loads a saved cloud; everything in it has settled (ready or gone).
    pub fn load(path: &Path, time_scale: f64, limits: RateLimits) -> std::io::Result<Arc<Self>> {
        let cloud = Self::new(time_scale, limits);
        if path.exists() {
            let text = std::fs::read_to_string(path)?;
            let mut state: SimState = serde_json::from_str(&text)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            state.reindex();
            *cloud.state.lock().expect("sim lock") = state;
        }
        Ok(cloud)
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let now = Instant::now();
        let mut st = self.state.lock().expect("sim lock");
        st.resources.retain(|_, r| !r.gone(now));
        let text = serde_json::to_string_pretty(&*st).expect("sim state serializes");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, text)
    }

    pub fn inject(&self, rule: FaultRule) {
        self.state.lock().expect("sim lock").faults.push(rule);
    }

    /// Calls made, by `kind:operation`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.state.lock().expect("sim lock").calls.clone()
    }

    /// Calls the simulated server throttled (the client's buckets should keep this at 0).
    pub fn throttled(&self) -> u64 {
        self.state.lock().expect("sim lock").throttled
    }

    /// Live resources tagged with `env`, by kind (for tests and `--simulate` output).
    pub fn count(&self, env: &str) -> BTreeMap<String, usize> {
        let now = Instant::now();
        let st = self.state.lock().expect("sim lock");
        let mut out = BTreeMap::new();
        for r in st.resources.values().filter(|r| r.env == env && !r.gone(now)) {
            *out.entry(r.kind.clone()).or_insert(0) += 1;
        }
        out
    }

    /// Removes a resource behind the tool's back (drift, for tests).
    pub fn remove(&self, env: &str, id: &str) -> bool {
        let mut st = self.state.lock().expect("sim lock");
        let before = st.resources.len();
        st.resources.retain(|_, r| !(r.env == env && r.id.0 == id));
        st.reindex();
        st.resources.len() != before
    }

    /// How long `op` on node `id` of `kind` really takes here: the expected duration
    /// varied by the cloud's [`Spread`], deterministically per node, scaled.
    pub fn actual(&self, kind: &KindFacts, id: &NodeId, op: Op) -> Duration {
        let h = fnv1a(&[id.0.as_bytes(), op.to_string().as_bytes()]);
        kind.timing.expected(op).mul_f64(self.spread.factor(h) * self.time_scale)
    }

    /// How late each readiness check saw a resource usable (or gone): the time from the
    /// moment it became so to the first check that answered it, one entry per resource.
    pub fn detection_lags(&self) -> Vec<Duration> {
        self.state.lock().expect("sim lock").lags.clone()
    }

    /// Readiness checks answered and the calls that carried them (one call answers a
    /// batch).
    pub fn readiness_calls(&self) -> (u64, u64) {
        let st = self.state.lock().expect("sim lock");
        (st.checks, st.calls.iter().filter(|(k, _)| k.ends_with(":describe")).map(|(_, n)| n).sum())
    }

    async fn enter(
        &self,
        kind: &KindFacts,
        bucket: &'static str,
        scope: &Scope,
        label: &str,
        node: Option<(&NodeId, Op)>,
        read: bool,
    ) -> Result<(), KindError> {
        sleep(if read { self.read_latency } else { self.call_latency }).await;
        let mut st = self.state.lock().expect("sim lock");
        *st.calls.entry(format!("{}:{label}", kind.name)).or_insert(0) += 1;
        if let Some((id, op)) = node {
            if let Some(rule) =
                st.faults.iter_mut().find(|f| &f.node == id && f.op == op && f.times != Some(0))
            {
                if let Some(t) = rule.times.as_mut() {
                    *t -= 1;
                }
                return Err(KindError::new(
                    rule.class,
                    rule.code,
                    format!("injected fault on {id}"),
                ));
            }
        }
        if self.time_scale >= 1.0 {
            let now = Instant::now();
            if self.server_limits.lock().expect("limits lock").try_take(scope, bucket, now).is_err()
            {
                st.throttled += 1;
                return Err(KindError::new(
                    ErrorClass::Throttled,
                    "RequestLimitExceeded",
                    "Request limit exceeded.",
                ));
            }
        }
        Ok(())
    }
}

/// A kind of the simulated cloud.
pub struct SimKind {
    spec: &'static KindFacts,
    cloud: Arc<SimCloud>,
}

/// A simulated kind for each of `kinds`, sharing one cloud.
pub fn registry(cloud: &Arc<SimCloud>, kinds: &[&'static KindFacts]) -> Registry {
    let mut r = Registry::new();
    for spec in kinds {
        r.register(Arc::new(SimKind { spec, cloud: Arc::clone(cloud) }));
    }
    r
}

fn physical_ids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Str(s) if s.starts_with("sim-") => out.push(s.clone()),
        Value::List(items) => items.iter().for_each(|i| physical_ids(i, out)),
        Value::Map(m) => m.values().for_each(|i| physical_ids(i, out)),
        _ => {}
    }
}

impl SimKind {
    /// A create, update or delete of node `id`: the call enters the cloud (metered,
    /// counted, perhaps failed by a fault rule), then acts at that moment on the state.
    async fn mutating(
        &self,
        scope: &Scope,
        id: &NodeId,
        op: Op,
    ) -> Result<(Instant, std::sync::MutexGuard<'_, SimState>), KindError> {
        let c = &self.cloud;
        c.enter(self.spec, self.spec.bucket, scope, &op.to_string(), Some((id, op)), false).await?;
        Ok((Instant::now(), c.state.lock().expect("sim lock")))
    }
}

#[async_trait]
impl Kind for SimKind {
    fn facts(&self) -> &'static KindFacts {
        self.spec
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        // A throttled read is retried with backoff, as the AWS provider's SDK clients do
        // (their standard retry mode): a plan's observe is not metered by the executor,
        // and a service with a small bucket (Route 53: 5 a second per account) is met by
        // plans made in quick succession.
        let mut wait = Duration::from_millis(50);
        for attempt in 1.. {
            match self
                .cloud
                .enter(self.spec, self.spec.read_bucket, scope, "observe", None, true)
                .await
            {
                Err(e) if e.class == ErrorClass::Throttled && attempt < 8 => {
                    sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                other => {
                    other?;
                    break;
                }
            }
        }
        let now = Instant::now();
        let st = self.cloud.state.lock().expect("sim lock");
        Ok(st
            .resources
            .values()
            .filter(|r| {
                r.kind == self.spec.name
                    && &r.scope == scope
                    && r.env == env
                    && !r.deleting
                    && !r.gone(now)
            })
            .map(|r| Observed {
                id: r.id.clone(),
                physical_id: r.physical_id.clone(),
                attrs: r.attrs.clone(),
                outputs: outputs(r, now),
                parents: r.parents.clone(),
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let c = &self.cloud;
        let (now, mut st) = self.mutating(&node.scope, &node.id, Op::Create).await?;
        // Idempotent: a retried create finds the first attempt's resource by tag.
        let tag =
            (self.spec.name.to_string(), node.scope.clone(), node.env.to_string(), node.id.clone());
        if let Some(r) = st
            .by_tag
            .get(&tag)
            .filter(|p| node.replaces.as_ref() != Some(*p))
            .and_then(|p| st.resources.get(p))
        {
            return Ok(Created { physical_id: r.physical_id.clone(), outputs: outputs(r, now) });
        }
        let mut parents = Vec::new();
        node.attrs.values().for_each(|v| physical_ids(v, &mut parents));
        if let Some(missing) =
            parents.iter().find(|p| st.resources.get(*p).is_none_or(|r| r.deleting))
        {
            return Err(KindError::new(
                ErrorClass::NotFound,
                "InvalidID.NotFound",
                format!("{missing} does not exist"),
            ));
        }
        st.counter += 1;
        let physical_id = format!("sim-{}-{:06x}", self.spec.name, st.counter);
        let r = SimResource {
            physical_id: physical_id.clone(),
            kind: self.spec.name.to_string(),
            scope: node.scope.clone(),
            env: node.env.to_string(),
            id: node.id.clone(),
            // A set the API keeps comes back in its own order; observe reports it sorted.
            attrs: self.spec.comparable(&node.attrs),
            parents,
            ready_at: Some(now + c.actual(self.spec, &node.id, Op::Create)),
            gone_at: None,
            deleting: false,
            seen: false,
        };
        let out = outputs(&r, now);
        st.resources.insert(physical_id.clone(), r);
        st.by_tag.insert(tag, physical_id.clone());
        Ok(Created { physical_id, outputs: out })
    }

    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let Change { node, current, .. } = change;
        let c = &self.cloud;
        let (now, mut st) = self.mutating(&node.scope, &node.id, Op::Update).await?;
        let r = st.resources.get_mut(&current.physical_id).ok_or_else(|| {
            KindError::new(
                ErrorClass::NotFound,
                "NotFound",
                format!("{} is gone", current.physical_id),
            )
        })?;
        if r.ready_at.is_some_and(|t| now < t) {
            return Err(KindError::new(
                ErrorClass::Conflict,
                "ResourceInUseException",
                "an update is in progress",
            ));
        }
        r.attrs.extend(self.spec.comparable(&node.attrs));
        r.ready_at = Some(now + c.actual(self.spec, &node.id, Op::Update));
        r.seen = false;
        Ok(Updated::done(outputs(r, now)))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = &self.cloud;
        let (now, mut st) = self.mutating(scope, &current.id, Op::Delete).await?;
        let Some(r) = st.resources.get(&current.physical_id) else {
            return Err(KindError::new(ErrorClass::NotFound, "NotFound", "already gone"));
        };
        if r.deleting {
            return Ok(());
        }
        // Like EC2: nothing goes while something still hangs off it.
        if let Some(child) =
            st.resources.values().find(|c| c.parents.contains(&current.physical_id) && !c.gone(now))
        {
            return Err(KindError::new(
                ErrorClass::DependencyViolation,
                "DependencyViolation",
                format!("{} has a dependent object {}", current.physical_id, child.physical_id),
            ));
        }
        let gone_at = now + c.actual(self.spec, &current.id, Op::Delete);
        let r = st.resources.get_mut(&current.physical_id).expect("checked above");
        r.deleting = true;
        r.gone_at = Some(gone_at);
        r.seen = false;
        let tag = (r.kind.clone(), r.scope.clone(), r.env.clone(), r.id.clone());
        // A create-before-destroy replacement may already own the tag.
        if st.by_tag.get(&tag) == Some(&current.physical_id) {
            st.by_tag.remove(&tag);
        }
        Ok(())
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let mut answer = self.ready_many(&[check]).await;
        answer.pop().expect("one answer per check")
    }

    /// One Describe answers up to [`SIM_BATCH`] checks, as EC2's Describe calls take
    /// many ids.
    fn ready_batch(&self) -> usize {
        SIM_BATCH
    }

    async fn ready_many(&self, checks: &[Check<'_>]) -> Vec<Result<Readiness, KindError>> {
        let Some(first) = checks.first() else { return Vec::new() };
        if let Err(e) = self
            .cloud
            .enter(self.spec, self.spec.read_bucket, first.scope, "describe", None, true)
            .await
        {
            return checks.iter().map(|_| Err(e.clone())).collect();
        }
        let now = Instant::now();
        let mut st = self.cloud.state.lock().expect("sim lock");
        checks.iter().map(|c| check_one(&mut st, c, now)).collect()
    }
}

/// How many readiness checks one simulated Describe answers.
pub const SIM_BATCH: usize = 100;

/// A readiness check against the simulated state, recording how late it saw the
/// operation finished.
fn check_one(st: &mut SimState, check: &Check<'_>, now: Instant) -> Result<Readiness, KindError> {
    let Check { op, physical_id, .. } = *check;
    st.checks += 1;
    let Some(r) = st.resources.get_mut(physical_id) else {
        return match op {
            Op::Delete => Ok(Readiness::Gone),
            _ => Err(KindError::new(
                ErrorClass::NotFound,
                "NotFound",
                format!("{physical_id} not found"),
            )),
        };
    };
    let finished = match op {
        Op::Delete => r.gone(now).then(|| r.gone_at.unwrap_or(now)),
        _ => r.ready_at.is_none_or(|t| now >= t).then(|| r.ready_at.unwrap_or(now)),
    };
    if let Some(at) = finished {
        if !r.seen {
            r.seen = true;
            st.lags.push(now.saturating_duration_since(at));
        }
    }
    Ok(match op {
        Op::Delete if finished.is_some() => {
            st.resources.remove(physical_id);
            Readiness::Gone
        }
        Op::Delete => Readiness::Pending("deleting".into()),
        _ if finished.is_some() => Readiness::Ready(outputs(r, now)),
        Op::Create => Readiness::Pending("creating".into()),
        Op::Update => Readiness::Pending("updating".into()),
    })
}

fn outputs(r: &SimResource, now: Instant) -> Attrs {
    let mut out = base_outputs(r);
    // A firewall has one endpoint per AZ (read from its sync states on AWS), once it
    // is ready.
    if r.kind == "eks-cluster" {
        out.insert("name".to_string(), Value::Str(r.physical_id.clone()));
        out.insert(
            "endpoint".to_string(),
            Value::Str(format!("https://{}.eks.sim", r.physical_id)),
        );
        out.insert("ca".to_string(), Value::Str("c2lt".to_string()));
        out.insert("serviceCidr".to_string(), Value::Str("172.20.0.0/16".to_string()));
    }
    // An interface endpoint's regional DNS name and its hosted zone (what an alias
    // record of a central endpoint's private zone points at).
    if r.kind == "vpc-endpoint-interface" {
        out.insert("dnsName".to_string(), Value::Str(format!("{}.vpce.sim", r.physical_id)));
        out.insert("dnsZone".to_string(), Value::Str("ZSIMVPCE".to_string()));
    }
    if r.kind == "launch-template" {
        out.insert("version".to_string(), Value::Str("1".to_string()));
    }
    // A resolver endpoint's addresses (the VPN hands them to clients).
    if r.kind == "resolver-endpoint" {
        for i in 0..2 {
            out.insert(format!("ip{i}"), Value::Str(format!("198.18.0.{}", 10 + i)));
        }
    }
    if r.kind == "firewall" && r.ready_at.is_none_or(|t| now >= t) {
        for az in ["a", "b", "c", "d", "e", "f"] {
            out.insert(
                format!("endpoint/{az}"),
                Value::Str(format!("vpce-{}-{az}", r.physical_id)),
            );
        }
    }
    out
}

fn base_outputs(r: &SimResource) -> Attrs {
    Attrs::from([
        ("id".to_string(), Value::Str(r.physical_id.clone())),
        (
            "arn".to_string(),
            Value::Str(format!(
                "arn:sim:{}:{}:{}/{}",
                r.kind, r.scope.region, r.scope.account, r.physical_id
            )),
        ),
    ])
}

/// Accounts and region of the random scenarios.
pub const NETWORK: &str = "111111111111";
pub const SHARED: &str = "222222222222";
pub const WORKLOAD: &str = "333333333333";
pub const REGION: &str = "eu-central-1";

fn r(node: &str, out: &str) -> Value {
    Value::reference(node, out)
}

/// A random layered DAG of `n` simulated nodes over three accounts, with the kind mix
/// of an environment (mostly quick EC2 resources, a few slow ones). Fixed seed.
pub fn random_layered(n: usize, seed: u64) -> GraphBuilder {
    let mut rng = SmallRng::seed_from_u64(seed);
    let scopes = [NETWORK, SHARED, WORKLOAD].map(|a| Scope::new(a, REGION));
    let width = ((n as f64).sqrt() * 1.5).ceil() as usize;
    let mix: &[(&str, u32)] = &[
        ("subnet", 20),
        ("route-table", 15),
        ("route", 25),
        ("security-group-rule", 15),
        ("vpc-endpoint-interface", 2),
        ("tgw-attachment", 2),
        ("nat-gateway", 1),
        ("iam-role", 8),
        ("log-group", 8),
        ("eks-addon", 2),
        ("eks-nodegroup", 1),
        ("firewall", 1),
    ];
    let total: u32 = mix.iter().map(|m| m.1).sum();
    let mut b = GraphBuilder::new();
    let mut layers: Vec<Vec<String>> = Vec::new();
    let mut made = 0;
    while made < n {
        let w = rng.gen_range(width / 2..=width).min(n - made).max(1);
        let mut layer = Vec::with_capacity(w);
        for _ in 0..w {
            let mut pick = rng.gen_range(0..total);
            let kind = mix
                .iter()
                .find(|(_, weight)| {
                    if pick < *weight {
                        true
                    } else {
                        pick -= weight;
                        false
                    }
                })
                .expect("weights cover the range")
                .0;
            let id = format!("n{made}");
            let mut node = Node::new(id.as_str(), kind, scopes[rng.gen_range(0..3)].clone());
            if !layers.is_empty() {
                for _ in 0..rng.gen_range(1..=3) {
                    let back = rng.gen_range(1..=layers.len().min(3));
                    let l = &layers[layers.len() - back];
                    let dep = &l[rng.gen_range(0..l.len())];
                    let key = format!("dep{}", node.attrs.len());
                    node = node.attr(&key, r(dep, "id"));
                }
            }
            b.add(node);
            layer.push(id);
            made += 1;
        }
        layers.push(layer);
    }
    b
}
