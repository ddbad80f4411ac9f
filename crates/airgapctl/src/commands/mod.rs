//! One module per subcommand, plus what they share: resolving the target
//! (the simulated cloud or AWS) and writing to stdout.

pub mod access;
pub mod adopt;
pub mod apply;
pub mod artifacts;
pub mod cost;
pub mod destroy;
pub mod envs;
pub mod graph;
pub mod hub;
pub mod iam;
pub mod kubeconfig;
pub mod lock;
pub mod output;
pub mod plan;
mod prompt;
pub mod record;
pub mod show;
pub mod unlock;
pub mod validate;
pub mod verify;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use airgap_aws::{AccountSpec, Provider, ProviderConfig};
use airgap_blueprint::Blueprint;
use airgap_engine::sim::{self, FaultRule, SimCloud};
use airgap_engine::{ErrorClass, Graph, Op, RateLimits, Registry, Scope};
use miette::miette;

use crate::cli::{Global, Scenario, Source};
use crate::exit::Failure;

/// Writes to stdout. A closed pipe (`airgapctl plan | head`) is not an error
/// worth a panic; the command still ends with its own status.
pub fn out(text: &str) {
    let text = match line_prefix() {
        Some(p) => prefixed(&p, text),
        None => text.to_string(),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

tokio::task_local! {
    /// Set while several runs share stdout (`gc` destroying environments side by side):
    /// every line they print starts with it.
    pub static LINE_PREFIX: String;
}

/// The prefix of this task's lines, if it has a non-empty one.
pub fn line_prefix() -> Option<String> {
    LINE_PREFIX.try_with(Clone::clone).ok().filter(|p| !p.is_empty())
}

/// `text` with `prefix` before each of its lines.
pub fn prefixed(prefix: &str, text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        s.push_str(prefix);
        s.push_str(line);
    }
    s
}

/// Whether plans are coloured: decided once, at start, from `--no-color`, `NO_COLOR` and
/// whether stdout is a terminal (see [`color`]).
static COLOR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Decides, once, whether plans are coloured.
pub fn init_color(no_color_flag: bool) {
    use std::io::IsTerminal;
    let wanted =
        color_wanted(no_color_flag, std::env::var_os("NO_COLOR"), std::io::stdout().is_terminal());
    COLOR.store(wanted, std::sync::atomic::Ordering::Relaxed);
}

/// Colour only for a person at a terminal who did not opt out: `--no-color`, or
/// `NO_COLOR` set to anything but the empty string (https://no-color.org).
fn color_wanted(flag: bool, no_color_env: Option<std::ffi::OsString>, tty: bool) -> bool {
    tty && !flag && no_color_env.is_none_or(|v| v.is_empty())
}

/// Whether to colour what goes to stdout now: as decided at start, and never in lines
/// that several runs share (`gc`), which are meant for logs.
pub fn color() -> bool {
    COLOR.load(std::sync::atomic::Ordering::Relaxed) && line_prefix().is_none()
}

/// Where the resources live: the simulated cloud, or AWS (or LocalStack) through the SDK.
pub enum Backend {
    Sim { cloud: Arc<SimCloud>, state_path: PathBuf },
    Aws(airgap_aws::Provider),
}

/// The environment a command works on: its declared graph and the backend it lives in.
pub struct Target {
    pub env: String,
    pub graph: Graph,
    /// Hash of the text of the blueprint (`-f`) the graph was expanded from.
    pub blueprint_hash: Option<u64>,
    pub registry: Registry,
    pub backend: Backend,
    /// Expected AWS durations are multiplied by this (poll pacing, rate limits).
    pub time_scale: f64,
    /// On AWS: the accounts and region the environment spans (lock, record).
    pub span: Option<Span>,
    /// The blueprint's account names by account id, for plans; empty when unknown.
    pub account_names: BTreeMap<String, String>,
    /// `--target` and `--replace`: what plans cover and replace (empty: everything,
    /// nothing).
    pub selection: crate::cli::Selection,
}

/// What an environment on AWS spans: its accounts (the hub's holds the lock table and
/// the environment record) and region, and its lifetime.
#[derive(Clone, Debug)]
pub struct Span {
    /// The hub account's id.
    pub hub_account: String,
    pub region: String,
    pub accounts: Vec<AccountSpec>,
    /// `metadata.ttl` of the blueprint.
    pub ttl: Option<std::time::Duration>,
    /// `hub.transitGateway.id`: an existing gateway the environment uses.
    pub existing_tgw: Option<ExistingTgw>,
}

/// An existing transit gateway the blueprint names, checked before an apply plan.
#[derive(Clone, Debug)]
pub struct ExistingTgw {
    pub id: String,
    /// `hub.transitGateway.autoAcceptSharedAttachments`.
    pub auto_accept: bool,
    /// Where the blueprint names it: `file:line:col`.
    pub at: String,
}

impl Target {
    /// The declared graph and where it is applied: the simulated cloud with
    /// `--simulate`, else AWS with the blueprint's accounts.
    pub async fn resolve(source: &Source, global: &Global) -> Result<Target, Failure> {
        if source.simulate.is_some() {
            return Self::simulated(source);
        }
        let Declared { graph, env, blueprint_hash, blueprint } = declared(source, true)?;
        let bp = blueprint.expect("without --simulate a blueprint is required");
        let time_scale = check_time_scale("--time-scale", source.time_scale)?;
        let accounts: Vec<AccountSpec> = bp
            .accounts
            .iter()
            .map(|a| AccountSpec {
                name: a.name.value.clone(),
                id: a.id.value.clone(),
                role: a.role.as_ref().map(|r| r.value.clone()),
                external_id: a.external_id.as_ref().map(|x| x.value.clone()),
                session_name: Some(
                    a.session_name
                        .as_ref()
                        .map_or_else(|| format!("airgapctl-{env}"), |s| s.value.clone()),
                ),
            })
            .collect();
        let region = global.region.clone().unwrap_or_else(|| bp.metadata.region.value.clone());
        let hub = bp.account(&bp.hub.account.value).map(|a| a.id.value.clone());
        let provider = connect(global, &region, &accounts, hub.as_deref()).await?;
        let span = Span {
            hub_account: bp
                .account(&bp.hub.account.value)
                .map(|a| a.id.value.clone())
                .or_else(|| accounts.first().map(|a| a.id.clone()))
                .unwrap_or_default(),
            region,
            accounts,
            ttl: bp.metadata.ttl.as_ref().map(|t| t.value),
            existing_tgw: bp.hub.transit_gateway.existing.as_ref().map(|id| {
                let (file, line, col) = bp.position(id.span.offset());
                ExistingTgw {
                    id: id.value.clone(),
                    auto_accept: bp.hub.transit_gateway.auto_accept_shared_attachments.value,
                    at: format!("{file}:{line}:{col}"),
                }
            }),
        };
        Ok(Target::aws(env, graph, blueprint_hash, provider, time_scale, span))
    }

    /// A target on AWS.
    pub fn aws(
        env: String,
        graph: Graph,
        blueprint_hash: Option<u64>,
        provider: Provider,
        time_scale: f64,
        span: Span,
    ) -> Target {
        let account_names = span.accounts.iter().map(|a| (a.id.clone(), a.name.clone())).collect();
        Target {
            env,
            graph,
            blueprint_hash,
            registry: provider.registry(),
            backend: Backend::Aws(provider),
            time_scale,
            span: Some(span),
            account_names,
            selection: Default::default(),
        }
    }

    fn simulated(source: &Source) -> Result<Target, Failure> {
        let Declared { graph, env, blueprint_hash, blueprint } = declared(source, true)?;
        let time_scale = check_time_scale("--sim-time-scale", source.sim_time_scale)?;
        // The hub-spoke scenario is plans/hub-spoke.yaml: its accounts have names too.
        let blueprint = blueprint.or_else(|| match source.simulate.flatten() {
            None | Some(Scenario::HubSpoke) => {
                airgap_blueprint::examples::blueprint("hub-spoke.yaml")
            }
            Some(Scenario::Random1k) => None,
        });
        let account_names = blueprint.as_ref().map(account_names).unwrap_or_default();
        let state_path = source
            .sim_state
            .clone()
            .unwrap_or_else(|| PathBuf::from(".airgap/sim").join(format!("{env}.json")));
        let cloud = airgap_catalog::sim::load(&state_path, source.sim_time_scale).map_err(|e| {
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
            registry: airgap_catalog::sim::registry(&cloud),
            backend: Backend::Sim { cloud, state_path },
            time_scale,
            span: None,
            account_names,
            selection: Default::default(),
        })
    }

    /// Scopes to observe beyond those the graph has nodes in (declared accounts
    /// without resources may still hold some of an earlier run).
    pub fn extra_scopes(&self) -> Vec<Scope> {
        match &self.backend {
            Backend::Aws(p) => p.scopes().to_vec(),
            Backend::Sim { .. } => Vec::new(),
        }
    }

    /// API calls made so far, by `service:Operation`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        match &self.backend {
            Backend::Sim { cloud, .. } => cloud.calls(),
            Backend::Aws(p) => p.stats().snapshot(),
        }
    }

    /// Keeps what a simulated run created; AWS keeps its own state.
    pub fn save(&self) -> Result<(), Failure> {
        match &self.backend {
            Backend::Sim { cloud, state_path } => cloud.save(state_path).map_err(|e| {
                Failure::failed(miette!(
                    "cannot save the simulated state to {}: {e}",
                    state_path.display()
                ))
            }),
            Backend::Aws(_) => Ok(()),
        }
    }

    /// What to do before exiting on a second Ctrl-C.
    pub fn save_hook(&self) -> Box<dyn Fn() + Send + Sync> {
        match &self.backend {
            Backend::Sim { cloud, state_path } => {
                let (cloud, path) = (Arc::clone(cloud), state_path.clone());
                Box::new(move || {
                    let _ = cloud.save(&path);
                })
            }
            Backend::Aws(_) => Box::new(|| {}),
        }
    }

    pub fn rate_limits(&self) -> RateLimits {
        scaled_limits(self.time_scale)
    }
}

/// The blueprint's account names by account id.
fn account_names(bp: &Blueprint) -> BTreeMap<String, String> {
    bp.accounts.iter().map(|a| (a.id.value.clone(), a.name.value.clone())).collect()
}

/// A time scale given on the command line: a positive number.
pub fn check_time_scale(flag: &str, v: f64) -> Result<f64, Failure> {
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(Failure::invalid(miette!("{flag} must be a positive number, got {v}")))
    }
}

/// Clients for `accounts` in `region`, with the global endpoint and profile: the one
/// place every command builds its provider (from a blueprint, a record, or the hub
/// account alone).
/// `hub`: the account whose availability zone names the blueprint's are.
pub async fn connect(
    global: &Global,
    region: &str,
    accounts: &[AccountSpec],
    hub: Option<&str>,
) -> Result<Provider, Failure> {
    let cfg = ProviderConfig {
        region: region.to_string(),
        endpoint_url: global.endpoint_url.clone(),
        profile: global.profile.clone(),
        zone_names_of: hub.map(str::to_string),
    };
    Provider::connect(&cfg, accounts).await.map_err(|e| {
        // One line and what to set; the SDK's nested error only when asked for (-v).
        let help = match (e.help(), e.detail()) {
            (Some(help), Some(detail)) if global.verbose > 0 => {
                format!("{help}\nThe SDK's error: {detail}")
            }
            (Some(help), Some(_)) => format!("{help} (-v shows the SDK's error)"),
            (help, _) => help.unwrap_or_default().to_string(),
        };
        if help.is_empty() {
            Failure::failed(miette!("{e}"))
        } else {
            Failure::failed(miette!(help = help, "{e}"))
        }
    })
}

/// AWS's rate limits, sped up like everything else in the simulation: at 1% of
/// AWS time a bucket refills 100 times faster, or runs would be limit-bound.
fn scaled_limits(time_scale: f64) -> RateLimits {
    airgap_catalog::client_limits().scaled(time_scale)
}

/// What a [`Source`] declares.
pub struct Declared {
    /// The sealed resource graph.
    pub graph: Graph,
    /// The environment name.
    pub env: String,
    /// Hash of the blueprint's text, with `-f`.
    pub blueprint_hash: Option<u64>,
    /// The blueprint itself, with `-f`.
    pub blueprint: Option<Blueprint>,
}

/// The sealed graph `source` declares, and the environment name. `-f FILE` is
/// validated first whatever else is wrong; `need_provider` is false for commands
/// that only look at the graph.
pub fn declared(source: &Source, need_provider: bool) -> Result<Declared, Failure> {
    let loaded =
        (!source.file.is_empty()).then(|| validate::load(&source.file, &source.set)).transpose()?;
    let blueprint_hash = loaded.as_ref().map(|(_, hash)| *hash);
    let bp = loaded.map(|(bp, _)| bp);
    let builder = match (source.simulate, &bp) {
        (None, None) if need_provider => {
            return Err(Failure::invalid(miette!(
                help = "give the blueprint with -f FILE, or use --simulate for the simulated cloud",
                "nothing to work on: no blueprint given"
            )))
        }
        (Some(Some(scenario)), Some(_)) => {
            return Err(Failure::invalid(miette!(
                "--simulate {} and -f both name the resources; give one of them",
                scenario.name()
            )))
        }
        (_, Some(bp)) => {
            // `--env` over metadata.name: the names of the resources follow it too.
            let env = source.env.as_deref().unwrap_or(&bp.metadata.name.value);
            check_env_name(env)?;
            airgap_blueprint::expand_as(bp, env).map_err(|e| {
                Failure::invalid(miette!("cannot expand the blueprint into resources: {e}"))
            })?
        }
        (Some(scenario), None) => match scenario.unwrap_or(Scenario::HubSpoke) {
            Scenario::HubSpoke => airgap_blueprint::examples::hub_spoke(),
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
    Ok(Declared { graph, env, blueprint_hash, blueprint: bp })
}

/// One rule for environment names wherever they come from (`metadata.name`, `--env`):
/// the blueprint's, since the name goes into AWS resource names, the `airgap:env` tag and
/// a file name of the simulated cloud.
pub fn check_env_name(env: &str) -> Result<(), Failure> {
    airgap_blueprint::check_env_name(env).map_err(|e| {
        Failure::invalid(miette!(
            help = "with a blueprint, leaving --env out uses metadata.name",
            "--env: {e}"
        ))
    })
}

/// The candidates a mistyped `given` most likely meant, closest first (at most 8): those
/// within a few edits of it, containing it, or sharing its parent (`cluster.apps.` of
/// `cluster.apps.endpont`, `vpc/` of `vpc/workloads`).
pub fn similar<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let parent = given.rfind(['.', '/']).map(|i| &given[..=i]).filter(|p| p.len() > 1);
    let budget = (given.chars().count() / 3).max(2);
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let d = edit_distance(given, c);
            let close = d <= budget
                || (!given.is_empty() && c.contains(given))
                || parent.is_some_and(|p| c.starts_with(p));
            close.then_some((d, c))
        })
        .collect();
    near.sort();
    near.dedup();
    near.into_iter().take(8).map(|(_, c)| c).collect()
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1).min(row[j] + 1).min(diag + usize::from(ca != *cb));
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_at_a_terminal_without_an_opt_out() {
        use std::ffi::OsString;
        assert!(color_wanted(false, None, true));
        assert!(!color_wanted(false, None, false), "not a terminal");
        assert!(!color_wanted(true, None, true), "--no-color");
        assert!(!color_wanted(false, Some(OsString::from("1")), true), "NO_COLOR=1");
        // no-color.org: set to the empty string is as good as unset.
        assert!(color_wanted(false, Some(OsString::new()), true));
    }

    #[test]
    fn similar_names_are_near_misses_and_siblings() {
        let names = ["cluster.apps.endpoint", "cluster.apps.ca", "vpc.workload.id", "tgw.id"];
        assert_eq!(similar("cluster.apps.endpont", names)[0], "cluster.apps.endpoint");
        assert_eq!(similar("cluster.apps.x", names), ["cluster.apps.ca", "cluster.apps.endpoint"]);
        assert_eq!(similar("workload", names), ["vpc.workload.id"]);
        assert!(similar("nothing-like-it", names).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn env_names_follow_the_blueprint_rule() {
        for ok in ["demo", "team-a-1", &format!("a{}", "x".repeat(31))] {
            assert!(check_env_name(ok).is_ok(), "{ok}");
        }
        // What the blueprint refuses in metadata.name, --env refuses too.
        for bad in ["", "../x", "a b", "a/b", "team_a", "Demo", &"x".repeat(33)] {
            assert!(check_env_name(bad).is_err(), "{bad}");
            assert!(airgap_blueprint::check_env_name(bad).is_err(), "{bad}");
        }
    }
}
