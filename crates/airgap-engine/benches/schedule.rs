//! `cargo xtask bench schedule`: runs each scenario on the simulated cloud in virtual
//! time and prints one JSON line per scenario: the makespan, the lower bound (the
//! larger of the critical path and the bound the rate limits impose), their ratio, the
//! same for a Terraform-like walker (FIFO, parallelism 10, slot held while waiting),
//! and the CPU the executor spent per node.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use airgap_engine::graph::GraphBuilder;
use airgap_engine::opgraph::OpGraph;
use airgap_engine::sim::{self, Spread};
use airgap_engine::{execute, plan, Events, ExecOptions, Op, Order, PlanMode, Polling, SlotMode};

struct Run {
    nodes: usize,
    makespan: Duration,
    lower_bound: Duration,
    critical_path: Duration,
    rate_bound: Duration,
    cpu: Duration,
    throttled: u64,
    failed: usize,
    /// Readiness calls per operation.
    calls_per_op: f64,
    /// Detection lag, p50 and p99.
    lag_p50: Duration,
    lag_p99: Duration,
}

type Scenario = Box<dyn Fn() -> GraphBuilder>;

/// Who walks the graph.
#[derive(Clone, Copy)]
enum Walker {
    /// airgapctl's executor as `apply` runs it.
    Ours,
    /// Terraform's walker: first ready first started, parallelism 10, a slot held through
    /// each wait, one waiter per resource on the plugin SDK's default schedule.
    TerraformLike,
}

impl Walker {
    fn options(self) -> ExecOptions {
        let base = ExecOptions { limits: airgap_catalog::rate_limits(), ..ExecOptions::default() };
        match self {
            Walker::Ours => base,
            Walker::TerraformLike => ExecOptions {
                order: Order::Fifo,
                slots: SlotMode::WholeOperation,
                polling: Polling::TERRAFORM,
                batch_polls: false,
                ..base
            },
        }
    }
}

fn cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn run(build: &dyn Fn() -> GraphBuilder, walker: Walker, spread: Spread) -> Run {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("runtime");
    rt.block_on(async {
        let mut cloud = airgap_catalog::sim::cloud(1.0);
        Arc::get_mut(&mut cloud).expect("not shared yet").spread = spread;
        let registry = airgap_catalog::sim::registry(&cloud);
        let graph = build().seal().expect("scenario graph is valid");
        let plan = plan("bench", &graph, &registry, PlanMode::Apply, &[]).await.expect("plan");
        let opts = walker.options();
        let cpu0 = cpu_time();
        let t0 = tokio::time::Instant::now();
        let report = execute(&plan, &registry, &opts, &Events::none()).await.expect("execute");
        let makespan = t0.elapsed();
        let cpu = cpu_time() - cpu0;

        let g = OpGraph::build(&plan, &registry).expect("op graph");
        let durations: Vec<Duration> = g
            .ops
            .iter()
            .map(|o| {
                let node = &plan.nodes[o.plan_ix];
                let spec = airgap_catalog::get(&node.kind).expect("a catalogued kind");
                cloud.actual(spec, &node.id, o.op) + cloud.call_latency
            })
            .collect();
        let critical_path = g.longest_path(&durations);
        let limits = airgap_catalog::rate_limits();
        let mut per_bucket: HashMap<(String, &'static str), f64> = HashMap::new();
        for o in &g.ops {
            let node = &plan.nodes[o.plan_ix];
            let spec = airgap_catalog::get(&node.kind).expect("a catalogued kind");
            *per_bucket.entry((node.scope.account.clone(), spec.bucket)).or_default() += 1.0;
        }
        let rate_bound = per_bucket
            .iter()
            .filter_map(|((_, b), n)| {
                limits.get(b).map(|l| ((n - l.burst).max(0.0)) / l.refill_per_s)
            })
            .fold(0.0f64, f64::max);
        let rate_bound = Duration::from_secs_f64(rate_bound);
        assert!(g.ops.iter().all(|o| o.op == Op::Create));
        let mut lags = cloud.detection_lags();
        lags.sort();
        let pct = |p: f64| lags.get(((lags.len() as f64 - 1.0) * p).round() as usize).copied();
        let (_, calls) = cloud.readiness_calls();
        Run {
            nodes: graph.len(),
            makespan,
            lower_bound: critical_path.max(rate_bound),
            critical_path,
            rate_bound,
            cpu,
            throttled: cloud.throttled(),
            failed: report.root_causes().count(),
            calls_per_op: calls as f64 / g.len() as f64,
            lag_p50: pct(0.5).unwrap_or_default(),
            lag_p99: pct(0.99).unwrap_or_default(),
        }
    })
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let scenarios: Vec<(&str, Scenario)> = vec![
        // The real example blueprints, expanded as `airgapctl apply` expands them.
        ("hub-spoke", Box::new(airgap_blueprint::examples::hub_spoke)),
        (
            "single-account",
            Box::new(|| {
                airgap_blueprint::examples::graph("single-account.yaml").expect("built in")
            }),
        ),
        ("random-1k", Box::new(|| sim::random_layered(1_000, 7))),
        ("random-10k", Box::new(|| sim::random_layered(10_000, 7))),
    ];
    for (name, build) in &scenarios {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        // `instant`: every resource is ready when its call returns, as an emulator at
        // time scale 0 answers; the run should then be bound by the rate limits, not by
        // waiting to look.
        let instant = Spread::LogNormal { sigma: 0.0, min: 0.0, max: 0.0, seed: 0 };
        for (spread_name, spread) in
            [("narrow", Spread::Uniform(0.2)), ("aws", Spread::AWS), ("instant", instant)]
        {
            // The schedule is deterministic; CPU time is not: keep the quietest of three.
            let ours = (0..3)
                .map(|_| run(build.as_ref(), Walker::Ours, spread))
                .min_by_key(|r| r.cpu)
                .expect("three runs");
            let tf = run(build.as_ref(), Walker::TerraformLike, spread);
            let lb = ours.lower_bound.as_secs_f64();
            println!(
                "{}",
                serde_json::json!({
                    "scenario": name,
                    "spread": spread_name,
                    "nodes": ours.nodes,
                    "makespan_s": round(ours.makespan.as_secs_f64()),
                    "lower_bound_s": round(lb),
                    "ratio": round(ours.makespan.as_secs_f64() / lb),
                    "readiness_calls_per_op": round(ours.calls_per_op),
                    "lag_p50_s": round(ours.lag_p50.as_secs_f64()),
                    "lag_p99_s": round(ours.lag_p99.as_secs_f64()),
                    "terraform_like": {
                        "ratio": round(tf.makespan.as_secs_f64() / lb),
                        "readiness_calls_per_op": round(tf.calls_per_op),
                        "lag_p50_s": round(tf.lag_p50.as_secs_f64()),
                        "lag_p99_s": round(tf.lag_p99.as_secs_f64()),
                    },
                    "overhead_us_per_node": round(ours.cpu.as_secs_f64() * 1e6 / ours.nodes as f64),
                    "critical_path_s": round(ours.critical_path.as_secs_f64()),
                    "rate_limit_bound_s": round(ours.rate_bound.as_secs_f64()),
                    "throttled": ours.throttled,
                    "failed": ours.failed + tf.failed,
                })
            );
        }
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
