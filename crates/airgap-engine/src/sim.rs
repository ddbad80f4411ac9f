//! A simulated cloud: an in-memory provider whose kinds take as long as their AWS
//! counterparts (../shared/reference/aws-timings.md) and meter calls with the same
//! token buckets. On tokio's paused clock a whole apply runs in virtual time,
//! deterministically, in milliseconds of real time.

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
    fnv1a, Created, Diff, ErrorClass, Kind, KindError, Observed, Op, Readiness, Registry,
    ReplaceMode, Resolved, Timing,
};
use crate::limits::{Limiter, RateLimits};
use crate::value::{Attrs, Value};

/// One simulated kind: AWS-like durations, bucket and replacement rules.
#[derive(Clone, Copy, Debug)]
pub struct KindSpec {
    pub name: &'static str,
    pub timing: Timing,
    pub bucket: &'static str,
    pub read_bucket: &'static str,
    pub replace_fields: &'static [&'static str],
    pub replace_mode: ReplaceMode,
}

const fn ec2(name: &'static str, timing: Timing) -> KindSpec {
    KindSpec {
        name,
        timing,
        bucket: "ec2-mutate",
        read_bucket: "ec2-describe",
        replace_fields: &["cidr", "vpc", "subnet", "az"],
        replace_mode: ReplaceMode::DeleteBeforeCreate,
    }
}

const fn svc(name: &'static str, bucket: &'static str, timing: Timing) -> KindSpec {
    KindSpec {
        name,
        timing,
        bucket,
        read_bucket: bucket,
        replace_fields: &[],
        replace_mode: ReplaceMode::DeleteBeforeCreate,
    }
}

/// Expected durations in seconds (create, update, delete, timeout). Where the timings
/// reference says "unverified", the value is its estimate.
pub const KINDS: &[KindSpec] = &[
    ec2("vpc", Timing::secs(3, 2, 2, 300)),
    ec2("subnet", Timing::secs(2, 2, 2, 300)),
    ec2("route-table", Timing::secs(2, 2, 2, 300)),
    ec2("route-table-association", Timing::secs(1, 1, 1, 300)),
    ec2("route", Timing::secs(1, 1, 1, 300)),
    ec2("internet-gateway", Timing::secs(3, 2, 3, 300)),
    ec2("elastic-ip", Timing::secs(1, 1, 2, 300)),
    KindSpec {
        bucket: "ec2-nat",
        ..ec2("nat-gateway", Timing::secs(107, 10, 240, 900))
    },
    ec2("security-group", Timing::secs(2, 2, 2, 300)),
    ec2("security-group-rule", Timing::secs(1, 1, 1, 300)),
    ec2("transit-gateway", Timing::secs(150, 30, 150, 900)),
    ec2("tgw-route-table", Timing::secs(60, 10, 60, 600)),
    ec2("tgw-association", Timing::secs(30, 30, 30, 600)),
    ec2("tgw-propagation", Timing::secs(30, 30, 30, 600)),
    ec2("tgw-route", Timing::secs(2, 2, 2, 300)),
    ec2("tgw-attachment", Timing::secs(60, 30, 60, 900)),
    ec2("tgw-attachment-accepter", Timing::secs(45, 10, 10, 900)),
    ec2("launch-template", Timing::secs(1, 1, 1, 300)),
    KindSpec {
        bucket: "ec2-endpoint",
        ..ec2("vpc-endpoint-interface", Timing::secs(90, 30, 120, 900))
    },
    KindSpec {
        bucket: "ec2-endpoint",
        ..ec2("vpc-endpoint-gateway", Timing::secs(10, 5, 10, 600))
    },
    svc("ram-share", "ram", Timing::secs(2, 2, 2, 300)),
    svc("ram-association", "ram", Timing::secs(2, 2, 2, 300)),
    svc("ram-invitation-accepter", "ram", Timing::secs(2, 2, 2, 300)),
    svc("log-group", "logs", Timing::secs(1, 1, 1, 120)),
    svc("nfw-rule-group", "nfw", Timing::secs(5, 5, 5, 300)),
    svc("nfw-policy", "nfw", Timing::secs(5, 5, 5, 300)),
    svc("firewall", "nfw", Timing::secs(360, 60, 1260, 3600)),
    // IAM roles are usable by EKS only after propagation, folded into create.
    svc("iam-role", "iam", Timing::secs(10, 2, 2, 300)),
    svc("iam-role-policy", "iam", Timing::secs(1, 1, 1, 300)),
    svc("kms-key", "kms", Timing::secs(2, 2, 2, 300)),
    svc("kms-alias", "kms", Timing::secs(1, 1, 1, 300)),
    svc("eks-cluster", "eks", Timing::secs(600, 1800, 900, 3600)),
    KindSpec {
        replace_fields: &["instanceTypes"],
        replace_mode: ReplaceMode::CreateBeforeDestroy,
        ..svc("eks-nodegroup", "eks", Timing::secs(150, 300, 300, 3600))
    },
    svc("eks-addon", "eks", Timing::secs(90, 90, 60, 1200)),
    svc("eks-access-entry", "eks", Timing::secs(2, 2, 2, 300)),
    svc("ecr-repository", "ecr", Timing::secs(1, 1, 1, 300)),
];

pub fn kind_spec(name: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.name == name)
}

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
    /// Actual durations vary by up to this fraction around the expected ones.
    pub jitter: f64,
}

impl SimCloud {
    pub fn new(time_scale: f64) -> Arc<Self> {
        Arc::new(SimCloud {
            state: Mutex::new(SimState::default()),
            server_limits: Mutex::new(Limiter::new(RateLimits::aws())),
            call_latency: Duration::from_millis(150).mul_f64(time_scale.min(1.0)),
            read_latency: Duration::from_millis(80).mul_f64(time_scale.min(1.0)),
            time_scale,
            jitter: 0.2,
        })
    }

    /// Loads a saved cloud; everything in it has settled (ready or gone).
    pub fn load(path: &Path, time_scale: f64) -> std::io::Result<Arc<Self>> {
        let cloud = Self::new(time_scale);
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
        for r in st
            .resources
            .values()
            .filter(|r| r.env == env && !r.gone(now))
        {
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
    /// varied by a deterministic per-node jitter, scaled.
    pub fn actual(&self, kind: &KindSpec, id: &NodeId, op: Op) -> Duration {
        let h = fnv1a(&[id.0.as_bytes(), op.to_string().as_bytes()]);
        let u = (h % 10_000) as f64 / 10_000.0; // 0 ..< 1
        let factor = 1.0 + self.jitter * (2.0 * u - 1.0);
        kind.timing.expected(op).mul_f64(factor * self.time_scale)
    }

    async fn enter(
        &self,
        kind: &KindSpec,
        bucket: &'static str,
        scope: &Scope,
        label: &str,
        node: Option<(&NodeId, Op)>,
        read: bool,
    ) -> Result<(), KindError> {
        sleep(if read {
            self.read_latency
        } else {
            self.call_latency
        })
        .await;
        let mut st = self.state.lock().expect("sim lock");
        *st.calls
            .entry(format!("{}:{label}", kind.name))
            .or_insert(0) += 1;
        if let Some((id, op)) = node {
            if let Some(rule) = st
                .faults
                .iter_mut()
                .find(|f| &f.node == id && f.op == op && f.times != Some(0))
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
            if self
                .server_limits
                .lock()
                .expect("limits lock")
                .try_take(scope, bucket, now)
                .is_err()
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
    spec: &'static KindSpec,
    cloud: Arc<SimCloud>,
}

/// Every simulated kind, sharing one cloud.
pub fn registry(cloud: &Arc<SimCloud>) -> Registry {
    let mut r = Registry::new();
    for spec in KINDS {
        r.register(Arc::new(SimKind {
            spec,
            cloud: Arc::clone(cloud),
        }));
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

#[async_trait]
impl Kind for SimKind {
    fn name(&self) -> &'static str {
        self.spec.name
    }

    fn timing(&self) -> Timing {
        self.spec.timing
    }

    fn bucket(&self, _op: Op) -> &'static str {
        self.spec.bucket
    }

    fn read_bucket(&self) -> &'static str {
        self.spec.read_bucket
    }

    fn replace_fields(&self) -> &'static [&'static str] {
        self.spec.replace_fields
    }

    fn replace_mode(&self) -> ReplaceMode {
        self.spec.replace_mode
    }

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        self.cloud
            .enter(
                self.spec,
                self.spec.read_bucket,
                scope,
                "observe",
                None,
                true,
            )
            .await?;
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
        c.enter(
            self.spec,
            self.spec.bucket,
            &node.scope,
            "create",
            Some((&node.id, Op::Create)),
            false,
        )
        .await?;
        let now = Instant::now();
        let mut st = c.state.lock().expect("sim lock");
        // Idempotent: a retried create finds the first attempt's resource by tag.
        let tag = (
            self.spec.name.to_string(),
            node.scope.clone(),
            node.env.to_string(),
            node.id.clone(),
        );
        if let Some(r) = st
            .by_tag
            .get(&tag)
            .filter(|p| node.replaces.as_ref() != Some(*p))
            .and_then(|p| st.resources.get(p))
        {
            return Ok(Created {
                physical_id: r.physical_id.clone(),
                outputs: outputs(r, now),
            });
        }
        let mut parents = Vec::new();
        node.attrs
            .values()
            .for_each(|v| physical_ids(v, &mut parents));
        if let Some(missing) = parents
            .iter()
            .find(|p| st.resources.get(*p).is_none_or(|r| r.deleting))
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
            attrs: node.attrs.clone(),
            parents,
            ready_at: Some(now + c.actual(self.spec, &node.id, Op::Create)),
            gone_at: None,
            deleting: false,
        };
        let out = outputs(&r, now);
        st.resources.insert(physical_id.clone(), r);
        st.by_tag.insert(tag, physical_id.clone());
        Ok(Created {
            physical_id,
            outputs: out,
        })
    }

    async fn update(
        &self,
        node: &Resolved,
        current: &Observed,
        _diff: &Diff,
    ) -> Result<Attrs, KindError> {
        let c = &self.cloud;
        c.enter(
            self.spec,
            self.spec.bucket,
            &node.scope,
            "update",
            Some((&node.id, Op::Update)),
            false,
        )
        .await?;
        let now = Instant::now();
        let mut st = c.state.lock().expect("sim lock");
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
        r.attrs.extend(node.attrs.clone());
        r.ready_at = Some(now + c.actual(self.spec, &node.id, Op::Update));
        Ok(outputs(r, now))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let c = &self.cloud;
        c.enter(
            self.spec,
            self.spec.bucket,
            scope,
            "delete",
            Some((&current.id, Op::Delete)),
            false,
        )
        .await?;
        let now = Instant::now();
        let mut st = c.state.lock().expect("sim lock");
        let Some(r) = st.resources.get(&current.physical_id) else {
            return Err(KindError::new(
                ErrorClass::NotFound,
                "NotFound",
                "already gone",
            ));
        };
        if r.deleting {
            return Ok(());
        }
        // Like EC2: nothing goes while something still hangs off it.
        if let Some(child) = st
            .resources
            .values()
            .find(|c| c.parents.contains(&current.physical_id) && !c.gone(now))
        {
            return Err(KindError::new(
                ErrorClass::DependencyViolation,
                "DependencyViolation",
                format!(
                    "{} has a dependent object {}",
                    current.physical_id, child.physical_id
                ),
            ));
        }
        let gone_at = now + c.actual(self.spec, &current.id, Op::Delete);
        let r = st
            .resources
            .get_mut(&current.physical_id)
            .expect("checked above");
        r.deleting = true;
        r.gone_at = Some(gone_at);
        let tag = (r.kind.clone(), r.scope.clone(), r.env.clone(), r.id.clone());
        // A create-before-destroy replacement may already own the tag.
        if st.by_tag.get(&tag) == Some(&current.physical_id) {
            st.by_tag.remove(&tag);
        }
        Ok(())
    }

    async fn ready(
        &self,
        scope: &Scope,
        op: Op,
        physical_id: &str,
        _outputs: &Attrs,
    ) -> Result<Readiness, KindError> {
        self.cloud
            .enter(
                self.spec,
                self.spec.read_bucket,
                scope,
                "describe",
                None,
                true,
            )
            .await?;
        let now = Instant::now();
        let mut st = self.cloud.state.lock().expect("sim lock");
        let Some(r) = st.resources.get(physical_id) else {
            return match op {
                Op::Delete => Ok(Readiness::Gone),
                _ => Err(KindError::new(
                    ErrorClass::NotFound,
                    "NotFound",
                    format!("{physical_id} not found"),
                )),
            };
        };
        Ok(match op {
            Op::Delete if r.gone(now) => {
                st.resources.remove(physical_id);
                Readiness::Gone
            }
            Op::Delete => Readiness::Pending("deleting".into()),
            _ if r.ready_at.is_none_or(|t| now >= t) => Readiness::Ready(outputs(r, now)),
            Op::Create => Readiness::Pending("creating".into()),
            Op::Update => Readiness::Pending("updating".into()),
        })
    }
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
        out.insert(
            "serviceCidr".to_string(),
            Value::Str("172.20.0.0/16".to_string()),
        );
    }
    if r.kind == "launch-template" {
        out.insert("version".to_string(), Value::Str("1".to_string()));
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

/// Accounts of the reference topology.
pub const NETWORK: &str = "111111111111";
pub const SHARED: &str = "222222222222";
pub const WORKLOAD: &str = "333333333333";
pub const REGION: &str = "eu-central-1";

fn r(node: &str, out: &str) -> Value {
    Value::reference(node, out)
}

/// The reference air-gapped topology of DEVELOPERS.md: a network account with the
/// transit gateway, inspection VPC, firewall and NAT; a shared account with a tooling
/// VPC and registries; a workload account with a private VPC, 9 interface endpoints
/// and a private EKS cluster with 2 nodegroups and 3 addons; 2 AZs.
pub fn hub_spoke() -> GraphBuilder {
    let net = Scope::new(NETWORK, REGION);
    let mut b = GraphBuilder::new();
    let azs = ["a", "b"];
    let add = |b: &mut GraphBuilder, n: Node| {
        b.add(n);
    };

    add(
        &mut b,
        Node::new("tgw", "transit-gateway", net.clone()).attr("asn", 64512i64),
    );
    for rt in ["spoke", "inspection"] {
        add(
            &mut b,
            Node::new(
                format!("tgw/rt/{rt}").as_str(),
                "tgw-route-table",
                net.clone(),
            )
            .attr("tgw", r("tgw", "id")),
        );
    }
    add(
        &mut b,
        Node::new("ram/share", "ram-share", net.clone())
            .attr("resources", Value::List(vec![r("tgw", "arn")])),
    );

    // Inspection VPC in the network account.
    let v = "vpc/inspection";
    add(
        &mut b,
        Node::new(v, "vpc", net.clone()).attr("cidr", "100.64.0.0/22"),
    );
    add(
        &mut b,
        Node::new("vpc/inspection/igw", "internet-gateway", net.clone()).attr("vpc", r(v, "id")),
    );
    for (i, az) in azs.iter().enumerate() {
        for (t, tier) in ["transit", "firewall", "public"].iter().enumerate() {
            let s = format!("{v}/subnet/{tier}/{az}");
            let rt = format!("{v}/rt/{tier}/{az}");
            add(
                &mut b,
                Node::new(s.as_str(), "subnet", net.clone())
                    .attr("vpc", r(v, "id"))
                    .attr("cidr", format!("100.64.{}.{}/28", i, t * 16))
                    .attr("az", format!("{REGION}{az}")),
            );
            add(
                &mut b,
                Node::new(rt.as_str(), "route-table", net.clone()).attr("vpc", r(v, "id")),
            );
            add(
                &mut b,
                Node::new(
                    format!("{rt}/assoc").as_str(),
                    "route-table-association",
                    net.clone(),
                )
                .attr("subnet", r(&s, "id"))
                .attr("routeTable", r(&rt, "id")),
            );
        }
        add(
            &mut b,
            Node::new(format!("{v}/eip/{az}").as_str(), "elastic-ip", net.clone()),
        );
        add(
            &mut b,
            Node::new(format!("{v}/nat/{az}").as_str(), "nat-gateway", net.clone())
                .attr("subnet", r(&format!("{v}/subnet/public/{az}"), "id"))
                .attr("eip", r(&format!("{v}/eip/{az}"), "id")),
        );
    }
    add(
        &mut b,
        Node::new("firewall/logs/alert", "log-group", net.clone()),
    );
    add(
        &mut b,
        Node::new("firewall/logs/flow", "log-group", net.clone()),
    );
    add(
        &mut b,
        Node::new("firewall/rules/domains", "nfw-rule-group", net.clone())
            .attr("domains", Value::List(vec![".amazonaws.com".into()])),
    );
    add(
        &mut b,
        Node::new("firewall/rules/allow", "nfw-rule-group", net.clone()),
    );
    add(
        &mut b,
        Node::new("firewall/policy", "nfw-policy", net.clone()).attr(
            "ruleGroups",
            Value::List(vec![
                r("firewall/rules/domains", "arn"),
                r("firewall/rules/allow", "arn"),
            ]),
        ),
    );
    add(
        &mut b,
        Node::new("firewall", "firewall", net.clone())
            .attr("policy", r("firewall/policy", "arn"))
            .attr(
                "subnets",
                Value::List(
                    azs.iter()
                        .map(|az| r(&format!("{v}/subnet/firewall/{az}"), "id"))
                        .collect(),
                ),
            )
            .attr(
                "logs",
                Value::List(vec![
                    r("firewall/logs/alert", "arn"),
                    r("firewall/logs/flow", "arn"),
                ]),
            ),
    );
    add(
        &mut b,
        Node::new("tgw/attachment/inspection", "tgw-attachment", net.clone())
            .attr("tgw", r("tgw", "id"))
            .attr("applianceMode", true)
            .attr(
                "subnets",
                Value::List(
                    azs.iter()
                        .map(|az| r(&format!("{v}/subnet/transit/{az}"), "id"))
                        .collect(),
                ),
            ),
    );
    add(
        &mut b,
        Node::new(
            "tgw/attachment/inspection/assoc",
            "tgw-association",
            net.clone(),
        )
        .attr("attachment", r("tgw/attachment/inspection", "id"))
        .attr("routeTable", r("tgw/rt/inspection", "id")),
    );
    add(
        &mut b,
        Node::new("tgw/rt/spoke/default", "tgw-route", net.clone())
            .attr("cidr", "0.0.0.0/0")
            .attr("routeTable", r("tgw/rt/spoke", "id"))
            .attr("attachment", r("tgw/attachment/inspection", "id")),
    );
    for az in azs {
        let rt = |tier: &str| format!("{v}/rt/{tier}/{az}");
        add(
            &mut b,
            Node::new(
                format!("{}/default", rt("transit")).as_str(),
                "route",
                net.clone(),
            )
            .attr("routeTable", r(&rt("transit"), "id"))
            .attr("cidr", "0.0.0.0/0")
            .attr("target", r("firewall", &format!("endpoint/{az}"))),
        );
        add(
            &mut b,
            Node::new(
                format!("{}/default", rt("firewall")).as_str(),
                "route",
                net.clone(),
            )
            .attr("routeTable", r(&rt("firewall"), "id"))
            .attr("cidr", "0.0.0.0/0")
            .attr("target", r(&format!("{v}/nat/{az}"), "id")),
        );
        add(
            &mut b,
            Node::new(
                format!("{}/default", rt("public")).as_str(),
                "route",
                net.clone(),
            )
            .attr("routeTable", r(&rt("public"), "id"))
            .attr("cidr", "0.0.0.0/0")
            .attr("target", r("vpc/inspection/igw", "id")),
        );
        for (spoke, cidr) in [("workload", "10.10.0.0/16"), ("tooling", "10.20.0.0/16")] {
            add(
                &mut b,
                Node::new(
                    format!("{}/return/{spoke}", rt("public")).as_str(),
                    "route",
                    net.clone(),
                )
                .attr("routeTable", r(&rt("public"), "id"))
                .attr("cidr", cidr)
                .attr("target", r("firewall", &format!("endpoint/{az}"))),
            );
        }
    }

    spoke(
        &mut b,
        "tooling",
        SHARED,
        "10.20.0.0/16",
        &["dataPlane", "endpoints", "transit"],
        &["ecr.api", "ecr.dkr", "sts"],
        &["s3"],
    );
    spoke(
        &mut b,
        "workload",
        WORKLOAD,
        "10.10.0.0/16",
        &["controlPlane", "dataPlane", "endpoints", "transit"],
        &[
            "ecr.api",
            "ecr.dkr",
            "sts",
            "ec2",
            "logs",
            "eks",
            "eks-auth",
            "elasticloadbalancing",
            "autoscaling",
        ],
        &["s3", "dynamodb"],
    );
    for repo in ["mirror/nginx", "mirror/busybox"] {
        add(
            &mut b,
            Node::new(
                format!("registry/{repo}").as_str(),
                "ecr-repository",
                Scope::new(SHARED, REGION),
            ),
        );
    }
    cluster(&mut b);
    b
}

fn spoke(
    b: &mut GraphBuilder,
    name: &str,
    account: &str,
    cidr: &str,
    tiers: &[&str],
    interface: &[&str],
    gateway: &[&str],
) {
    let s = Scope::new(account, REGION);
    let net = Scope::new(NETWORK, REGION);
    let v = format!("vpc/{name}");
    let base = &cidr[..cidr.find(".0.0/").expect("a /16")];
    b.add(
        Node::new(
            format!("ram/principal/{name}").as_str(),
            "ram-association",
            net.clone(),
        )
        .attr("share", r("ram/share", "arn"))
        .attr("principal", account),
    );
    b.add(
        Node::new(
            format!("ram/accept/{name}").as_str(),
            "ram-invitation-accepter",
            s.clone(),
        )
        .attr("share", r("ram/share", "arn"))
        .after(format!("ram/principal/{name}").as_str()),
    );
    b.add(Node::new(v.as_str(), "vpc", s.clone()).attr("cidr", cidr));
    for (i, az) in ["a", "b"].iter().enumerate() {
        for (t, tier) in tiers.iter().enumerate() {
            let sn = format!("{v}/subnet/{tier}/{az}");
            let rt = format!("{v}/rt/{tier}/{az}");
            b.add(
                Node::new(sn.as_str(), "subnet", s.clone())
                    .attr("vpc", r(&v, "id"))
                    .attr("cidr", format!("{base}.{}.0/24", t * 2 + i))
                    .attr("az", format!("{REGION}{az}")),
            );
            b.add(Node::new(rt.as_str(), "route-table", s.clone()).attr("vpc", r(&v, "id")));
            b.add(
                Node::new(
                    format!("{rt}/assoc").as_str(),
                    "route-table-association",
                    s.clone(),
                )
                .attr("subnet", r(&sn, "id"))
                .attr("routeTable", r(&rt, "id")),
            );
            if *tier != "transit" {
                b.add(
                    Node::new(format!("{rt}/default").as_str(), "route", s.clone())
                        .attr("routeTable", r(&rt, "id"))
                        .attr("cidr", "0.0.0.0/0")
                        .attr("target", r("tgw", "id"))
                        .after(format!("tgw/attachment/{name}/accept").as_str()),
                );
            }
        }
    }
    let att = format!("tgw/attachment/{name}");
    b.add(
        Node::new(att.as_str(), "tgw-attachment", s.clone())
            .attr("tgw", r("tgw", "id"))
            .attr(
                "subnets",
                Value::List(
                    ["a", "b"]
                        .iter()
                        .map(|az| r(&format!("{v}/subnet/transit/{az}"), "id"))
                        .collect(),
                ),
            )
            .after(format!("ram/accept/{name}").as_str()),
    );
    b.add(
        Node::new(
            format!("{att}/accept").as_str(),
            "tgw-attachment-accepter",
            net.clone(),
        )
        .attr("attachment", r(&att, "id")),
    );
    b.add(
        Node::new(
            format!("{att}/assoc").as_str(),
            "tgw-association",
            net.clone(),
        )
        .attr("attachment", r(&att, "id"))
        .attr("routeTable", r("tgw/rt/spoke", "id"))
        .after(format!("{att}/accept").as_str()),
    );
    b.add(
        Node::new(
            format!("{att}/propagation").as_str(),
            "tgw-propagation",
            net.clone(),
        )
        .attr("attachment", r(&att, "id"))
        .attr("routeTable", r("tgw/rt/inspection", "id"))
        .after(format!("{att}/accept").as_str()),
    );
    let sg = format!("{v}/sg/endpoints");
    b.add(Node::new(sg.as_str(), "security-group", s.clone()).attr("vpc", r(&v, "id")));
    b.add(
        Node::new(
            format!("{sg}/https").as_str(),
            "security-group-rule",
            s.clone(),
        )
        .attr("group", r(&sg, "id"))
        .attr("port", 443i64)
        .attr("cidr", cidr),
    );
    for svc in interface {
        b.add(
            Node::new(
                format!("{v}/endpoint/{svc}").as_str(),
                "vpc-endpoint-interface",
                s.clone(),
            )
            .attr("vpc", r(&v, "id"))
            .attr("service", *svc)
            .attr(
                "subnets",
                Value::List(
                    ["a", "b"]
                        .iter()
                        .map(|az| r(&format!("{v}/subnet/endpoints/{az}"), "id"))
                        .collect(),
                ),
            )
            .attr("securityGroup", r(&sg, "id")),
        );
    }
    for svc in gateway {
        let rts = tiers
            .iter()
            .filter(|t| **t != "transit")
            .flat_map(|t| ["a", "b"].map(|az| r(&format!("{v}/rt/{t}/{az}"), "id")))
            .collect();
        b.add(
            Node::new(
                format!("{v}/endpoint/{svc}").as_str(),
                "vpc-endpoint-gateway",
                s.clone(),
            )
            .attr("vpc", r(&v, "id"))
            .attr("service", *svc)
            .attr("routeTables", Value::List(rts)),
        );
    }
}

fn cluster(b: &mut GraphBuilder) {
    let s = Scope::new(WORKLOAD, REGION);
    let c = "cluster/apps";
    let v = "vpc/workload";
    b.add(
        Node::new(format!("{c}/role").as_str(), "iam-role", s.clone())
            .attr("service", "eks.amazonaws.com"),
    );
    b.add(
        Node::new(
            format!("{c}/role/policy").as_str(),
            "iam-role-policy",
            s.clone(),
        )
        .attr("role", r(&format!("{c}/role"), "id"))
        .attr("policy", "AmazonEKSClusterPolicy"),
    );
    b.add(
        Node::new(format!("{c}/node-role").as_str(), "iam-role", s.clone())
            .attr("service", "ec2.amazonaws.com"),
    );
    for p in [
        "AmazonEKSWorkerNodePolicy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonEKS_CNI_Policy",
    ] {
        b.add(
            Node::new(
                format!("{c}/node-role/{p}").as_str(),
                "iam-role-policy",
                s.clone(),
            )
            .attr("role", r(&format!("{c}/node-role"), "id"))
            .attr("policy", p),
        );
    }
    b.add(Node::new(format!("{c}/kms").as_str(), "kms-key", s.clone()));
    b.add(
        Node::new(format!("{c}/kms/alias").as_str(), "kms-alias", s.clone())
            .attr("key", r(&format!("{c}/kms"), "id")),
    );
    b.add(
        Node::new(format!("{c}/sg").as_str(), "security-group", s.clone()).attr("vpc", r(v, "id")),
    );
    b.add(
        Node::new(
            format!("{c}/sg/api").as_str(),
            "security-group-rule",
            s.clone(),
        )
        .attr("group", r(&format!("{c}/sg"), "id"))
        .attr("port", 443i64)
        .attr("cidr", "10.200.0.0/16"),
    );
    b.add(
        Node::new(c, "eks-cluster", s.clone())
            .attr("version", "1.31")
            .attr("role", r(&format!("{c}/role"), "arn"))
            .attr(
                "subnets",
                Value::List(
                    ["a", "b"]
                        .iter()
                        .map(|az| r(&format!("{v}/subnet/controlPlane/{az}"), "id"))
                        .collect(),
                ),
            )
            .attr("securityGroup", r(&format!("{c}/sg"), "id"))
            .attr("kms", r(&format!("{c}/kms"), "arn"))
            .after(format!("{c}/role/policy").as_str()),
    );
    b.add(
        Node::new(
            format!("{c}/access/platform-admin").as_str(),
            "eks-access-entry",
            s.clone(),
        )
        .attr("cluster", r(c, "id")),
    );
    for addon in ["vpc-cni", "kube-proxy"] {
        b.add(
            Node::new(
                format!("{c}/addon/{addon}").as_str(),
                "eks-addon",
                s.clone(),
            )
            .attr("cluster", r(c, "id")),
        );
    }
    for ng in ["general", "system"] {
        let mut n = Node::new(
            format!("{c}/nodegroup/{ng}").as_str(),
            "eks-nodegroup",
            s.clone(),
        )
        .attr("cluster", r(c, "id"))
        .attr("role", r(&format!("{c}/node-role"), "arn"))
        .attr("instanceTypes", Value::List(vec!["m6i.large".into()]))
        .attr(
            "subnets",
            Value::List(
                ["a", "b"]
                    .iter()
                    .map(|az| r(&format!("{v}/subnet/dataPlane/{az}"), "id"))
                    .collect(),
            ),
        )
        .after(format!("{c}/addon/vpc-cni").as_str());
        // Nodes join through the endpoints and need the policies in place.
        for svc in ["ecr.api", "ecr.dkr", "sts", "ec2", "s3"] {
            n = n.after(format!("{v}/endpoint/{svc}").as_str());
        }
        for p in [
            "AmazonEKSWorkerNodePolicy",
            "AmazonEC2ContainerRegistryReadOnly",
            "AmazonEKS_CNI_Policy",
        ] {
            n = n.after(format!("{c}/node-role/{p}").as_str());
        }
        b.add(n);
    }
    b.add(
        Node::new(
            format!("{c}/addon/coredns").as_str(),
            "eks-addon",
            s.clone(),
        )
        .attr("cluster", r(c, "id"))
        .after(format!("{c}/nodegroup/general").as_str()),
    );
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
