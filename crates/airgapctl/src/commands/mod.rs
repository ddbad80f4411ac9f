//! One module per subcommand, plus what they share: resolving the target
//! (a simulated cloud for now) and writing to stdout.

pub mod apply;
pub mod graph;
pub mod plan;
pub mod validate;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use airgap_engine::sim::{self, FaultRule, SimCloud};
use airgap_engine::{ErrorClass, Graph, Op, RateLimits, Registry};
use miette::miette;

use crate::cli::{Scenario, Source};
use crate::exit::Failure;

/// Writes to stdout. A closed pipe (`airgapctl plan | head`) is not an error
/// worth a panic; the command still ends with its own status.
pub fn out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// The environment a command works on: a simulated cloud with a built-in scenario.
pub struct Target {
    pub env: String,
    pub graph: Graph,
    /// Hash of the text of the blueprint (`-f`) the graph was expanded from.
    pub blueprint_hash: Option<u64>,
    pub cloud: Arc<SimCloud>,
    pub registry: Registry,
    pub state_path: PathBuf,
    pub time_scale: f64,
}

impl Target {
    /// The declared graph and the simulated cloud it is applied to. Without
    /// `--simulate` there is nothing to run against yet.
    pub fn resolve(source: &Source) -> Result<Target, Failure> {
        let Declared {
            graph,
            env,
            blueprint_hash,
        } = declared(source, true)?;
        if !(source.sim_time_scale.is_finite() && source.sim_time_scale > 0.0) {
            return Err(Failure::invalid(miette!(
                "--sim-time-scale must be a positive number, got {}",
                source.sim_time_scale
            )));
        }
        let state_path = source
            .sim_state
            .clone()
            .unwrap_or_else(|| PathBuf::from(".airgap/sim").join(format!("{env}.json")));
        let cloud = SimCloud::load(&state_path, source.sim_time_scale).map_err(|e| {
            Failure::invalid(miette!(
                "cannot read the simulated state {}: {e}",
                state_path.display()
            ))
        })?;
        for node in &source.sim_fail {
            if graph.get(&node.as_str().into()).is_none() {
                return Err(Failure::invalid(miette!(
                    "--sim-fail {node}: no such node (see `airgapctl graph`)"
                )));
            }
            for op in [Op::Create, Op::Update, Op::Delete] {
                cloud.inject(FaultRule {
                    node: node.as_str().into(),
                    op,
                    class: ErrorClass::Fatal,
                    code: "SimulatedFailure",
                    times: None,
                });
            }
        }
        Ok(Target {
            env,
            graph,
            blueprint_hash,
            registry: sim::registry(&cloud),
            cloud,
            state_path,
            time_scale: source.sim_time_scale,
        })
    }

    pub fn save(&self) -> Result<(), Failure> {
        self.cloud.save(&self.state_path).map_err(|e| {
            Failure::failed(miette!(
                "cannot save the simulated state to {}: {e}",
                self.state_path.display()
            ))
        })
    }

    pub fn rate_limits(&self) -> RateLimits {
        scaled_limits(self.time_scale)
    }
}

/// AWS's rate limits, sped up like everything else in the simulation: at 1% of
/// AWS time a bucket refills 100 times faster, or runs would be limit-bound.
fn scaled_limits(time_scale: f64) -> RateLimits {
    let aws = RateLimits::aws();
    if time_scale >= 1.0 {
        return aws;
    }
    let buckets: BTreeSet<&'static str> = sim::KINDS
        .iter()
        .flat_map(|k| [k.bucket, k.read_bucket])
        .collect();
    let mut scaled = aws.clone();
    for b in buckets {
        if let Some(l) = aws.get(b) {
            scaled.set(b, l.burst, l.refill_per_s / time_scale);
        }
    }
    scaled
}

/// What a [`Source`] declares.
pub struct Declared {
    /// The sealed resource graph.
    pub graph: Graph,
    /// The environment name.
    pub env: String,
    /// Hash of the blueprint's text, with `-f`.
    pub blueprint_hash: Option<u64>,
}

/// The sealed graph `source` declares, and the environment name. `-f FILE` is
/// validated first whatever else is wrong; `need_provider` is false for commands
/// that only look at the graph.
pub fn declared(source: &Source, need_provider: bool) -> Result<Declared, Failure> {
    let loaded = source.file.as_deref().map(validate::load).transpose()?;
    let blueprint_hash = loaded.as_ref().map(|(_, hash)| *hash);
    let bp = loaded.map(|(bp, _)| bp);
    let builder = match (source.simulate, &bp) {
        (None, _) if need_provider => {
            return Err(Failure::invalid(miette!(
                help = "use --simulate to run against the simulated cloud",
                "the AWS provider is not available yet; only --simulate is supported"
            )))
        }
        (Some(Some(scenario)), Some(_)) => {
            return Err(Failure::invalid(miette!(
                "--simulate {} and -f both name the resources; give one of them",
                scenario.name()
            )))
        }
        (_, Some(bp)) => airgap_blueprint::expand(bp).map_err(|e| {
            Failure::invalid(miette!("cannot expand the blueprint into resources: {e}"))
        })?,
        (Some(scenario), None) => match scenario.unwrap_or(Scenario::HubSpoke) {
            Scenario::HubSpoke => sim::hub_spoke(),
            Scenario::Random1k => sim::random_layered(1000, 1),
        },
        (None, None) => {
            return Err(Failure::invalid(miette!(
                "give a blueprint (-f FILE) or --simulate [SCENARIO]"
            )))
        }
    };
    let graph = builder.seal().map_err(|errs| {
        let list: Vec<String> = errs.iter().map(ToString::to_string).collect();
        Failure::failed(miette!(
            "the resource graph is invalid (a bug in airgapctl): {}",
            list.join("; ")
        ))
    })?;
    let env = match (&source.env, &bp) {
        (Some(env), _) => env.clone(),
        (None, Some(bp)) => bp.metadata.name.value.clone(),
        (None, None) => "demo".to_string(),
    };
    check_env_name(&env)?;
    Ok(Declared {
        graph,
        env,
        blueprint_hash,
    })
}

/// The env name becomes a file name and an AWS tag value: keep it to safe characters.
fn check_env_name(env: &str) -> Result<(), Failure> {
    let ok = !env.is_empty()
        && env.len() <= 64
        && env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Failure::invalid(miette!(
            "invalid --env {env:?}: use 1 to 64 letters, digits, '-' or '_'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_refill_as_fast_as_simulated_time_runs() {
        let aws = RateLimits::aws();
        let scaled = scaled_limits(0.01);
        for bucket in ["ec2-endpoint", "ec2-describe", "eks"] {
            let (a, s) = (aws.get(bucket).unwrap(), scaled.get(bucket).unwrap());
            assert_eq!(s.burst, a.burst, "{bucket}");
            assert!(
                (s.refill_per_s - a.refill_per_s * 100.0).abs() < 1e-9,
                "{bucket}"
            );
        }
        let real = scaled_limits(1.0).get("ec2-endpoint").unwrap();
        assert_eq!(real, aws.get("ec2-endpoint").unwrap());
    }

    #[test]
    fn env_names_are_file_and_tag_safe() {
        for ok in ["demo", "team-a_1", &"x".repeat(64)] {
            assert!(check_env_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../x", "a b", "a/b", &"x".repeat(65)] {
            assert!(check_env_name(bad).is_err(), "{bad}");
        }
    }
}
