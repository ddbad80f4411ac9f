//! Command-line arguments.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod access;
mod artifacts;
mod cost;

pub use access::*;
pub use artifacts::*;
pub use cost::*;

#[derive(Debug, Parser)]
#[command(
    name = "airgapctl",
    version,
    about = "Build and tear down air-gapped Amazon EKS environments",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Debug, Args)]
pub struct Global {
    /// AWS region for API calls (defaults to the blueprint's region).
    #[arg(long, global = true, env = "AWS_REGION")]
    pub region: Option<String>,
    /// AWS shared-config profile to take credentials from.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// Send every AWS API call to this endpoint (e.g. LocalStack).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    /// Output format of plans, progress and results.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    pub output: Output,
    /// Same as `--output json`, on every command.
    #[arg(long, global = true, conflicts_with = "output")]
    pub json: bool,
    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// No colour in plans. There is none anyway when stdout is not a terminal or the
    /// NO_COLOR environment variable is set (https://no-color.org).
    #[arg(long, global = true)]
    pub no_color: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a blueprint and report every problem in it.
    #[command(
        after_help = "Examples:\n  airgapctl validate -f plans/hub-spoke.yaml\n  airgapctl validate -f plans/hub-spoke.yaml --output json"
    )]
    Validate(Blueprint),
    /// Show what apply would change, without changing anything.
    #[command(
        after_help = "Examples:\n  airgapctl plan -f plans/hub-spoke.yaml\n  airgapctl plan -f plans/hub-spoke.yaml --out hub.plan\n  airgapctl plan --simulate --detailed-exitcode\n  airgapctl plan -f plans/hub-spoke.yaml --destroy --output json"
    )]
    Plan(PlanArgs),
    /// Create or update the environment so it matches the blueprint, or apply a saved plan.
    #[command(
        after_help = "Examples:\n  airgapctl apply -f plans/hub-spoke.yaml\n  airgapctl apply -f plans/hub-spoke.yaml --env pr-42 --ttl 4h --auto-approve\n  airgapctl apply hub.plan\n  airgapctl apply --simulate --auto-approve"
    )]
    Apply(ApplyCmd),
    /// Delete every resource of the environment (with -f FILE, or --env NAME
    /// --hub-account ID from the environment's record).
    #[command(
        after_help = "Examples:\n  airgapctl destroy -f plans/hub-spoke.yaml\n  airgapctl destroy -f plans/hub-spoke.yaml --dry-run\n  airgapctl destroy --env pr-42 --hub-account 111111111111 --region eu-central-1"
    )]
    Destroy(DestroyArgs),
    /// List the environments recorded in a hub account: owner, age, expiry, accounts.
    #[command(
        after_help = "Examples:\n  airgapctl envs --hub-account 111111111111 --region eu-central-1\n  airgapctl envs --hub-account 111111111111 --region eu-central-1 --no-counts --output json"
    )]
    Envs(EnvsArgs),
    /// Destroy the expired environments recorded in a hub account.
    #[command(
        after_help = "Examples:\n  airgapctl gc --hub-account 111111111111 --region eu-central-1 --dry-run\n  airgapctl gc --hub-account 111111111111 --region eu-central-1 --auto-approve"
    )]
    Gc(GcArgs),
    /// Remove the lock of an environment whose holder is gone.
    #[command(
        after_help = "Examples:\n  airgapctl unlock -f plans/hub-spoke.yaml\n  airgapctl unlock --env pr-42 --hub-account 111111111111 --region eu-central-1 --auto-approve"
    )]
    Unlock(UnlockArgs),
    /// Print the resource graph.
    #[command(
        after_help = "Examples:\n  airgapctl graph -f plans/hub-spoke.yaml --format html > graph.html\n  airgapctl graph -f plans/hub-spoke.yaml --format svg --focus cluster/apps > apps.svg\n  airgapctl graph -f plans/hub-spoke.yaml | dot -Tsvg > graph.svg\n  airgapctl graph -f plans/hub-spoke.yaml --output json"
    )]
    Graph(GraphArgs),
    /// Prove the air gap of what the blueprint's plan will build: egress paths,
    /// firewall, private EKS, endpoint policies, registries (docs/verify.md).
    #[command(
        after_help = "Examples:\n  airgapctl verify -f plans/hub-spoke.yaml\n  airgapctl verify -f plans/hub-spoke.yaml --sarif verify.sarif\n  airgapctl verify -f plans/hub-spoke.yaml --live --dns"
    )]
    Verify(VerifyArgs),
    /// What the blueprint's environment costs a month (and per TTL period) by account
    /// and resource kind, and where central interface endpoints cost less (docs/cost.md).
    #[command(
        after_help = "Examples:\n  airgapctl cost -f plans/hub-spoke.yaml\n  airgapctl cost -f plans/hub-spoke.yaml --usage usage.yaml --output json\n  airgapctl cost refresh-prices --region eu-central-1"
    )]
    Cost(CostCmd),
    /// List the environment's resources as they exist now: logical id, kind,
    /// account and AWS id; with ADDR, one resource: desired and observed attributes,
    /// outputs.
    #[command(
        after_help = "Examples:\n  airgapctl show -f plans/hub-spoke.yaml\n  airgapctl show cluster/apps -f plans/hub-spoke.yaml\n  airgapctl show vpc/workload --simulate --output json"
    )]
    Show(ShowArgs),
    /// Make an existing AWS resource the blueprint's (a VPC or transit gateway the
    /// network team already runs), as Terraform's import: it gets the node's tags, so
    /// plan and apply manage it. Refused, and left as it was, when the blueprint would
    /// replace it.
    #[command(
        after_help = "Examples:\n  airgapctl adopt tgw tgw-0123456789abcdef0 -f plans/hub-spoke.yaml\n  airgapctl adopt vpc/workload vpc-0123456789abcdef0 -f plans/hub-spoke.yaml"
    )]
    Adopt(AdoptArgs),
    /// Print the environment's outputs as they exist now (cluster endpoints and
    /// certificate authorities, repository URIs, VPC and subnet ids, firewall endpoints,
    /// transit gateway); with NAME, that one value alone, for shell use.
    #[command(
        after_help = "Examples:\n  airgapctl output -f plans/hub-spoke.yaml\n  airgapctl output cluster.apps.endpoint -f plans/hub-spoke.yaml\n  airgapctl output vpc.workload.subnets.dataPlane -f plans/hub-spoke.yaml\n  airgapctl output --simulate --output json"
    )]
    Output(OutputArgs),
    /// Write a kubeconfig for a cluster of the environment, as `eksctl utils
    /// write-kubeconfig` does: its endpoint and certificate authority, and a user whose
    /// token comes from `aws eks get-token`.
    #[command(
        after_help = "Examples:\n  airgapctl kubeconfig --cluster apps -f plans/hub-spoke.yaml\n  airgapctl kubeconfig --cluster apps -f plans/hub-spoke.yaml --merge\n  airgapctl kubeconfig --cluster apps -f plans/hub-spoke.yaml --write apps.kubeconfig\n  airgapctl kubeconfig --cluster apps -f plans/hub-spoke.yaml --role arn:aws:iam::333333333333:role/platform-admin --merge"
    )]
    Kubeconfig(KubeconfigArgs),
    /// The least-privilege IAM policy each account's deployer role needs for this
    /// blueprint: what plan, apply and destroy call, scoped to the environment (docs/iam.md).
    #[command(
        after_help = "Examples:\n  airgapctl iam-policy -f plans/hub-spoke.yaml\n  airgapctl iam-policy -f plans/hub-spoke.yaml --account workload --output json\n  airgapctl iam-policy -f plans/hub-spoke.yaml --read-only"
    )]
    IamPolicy(IamPolicyArgs),
    /// What people need to reach the environment: a VPN client configuration with a new
    /// certificate, or a user's certificates revoked (docs/access.md).
    #[command(
        after_help = "Examples:\n  airgapctl access vpn-config --user alice -f plans/hub-spoke.yaml --write alice.ovpn\n  airgapctl access vpn-config --revoke alice -f plans/hub-spoke.yaml"
    )]
    Access(AccessCmd),
    /// Images copied by digest from where they are published into the environment's
    /// ECR repositories, scanned and gated (docs/artifacts.md).
    #[command(
        after_help = "Examples:\n  airgapctl artifacts sync -f plans/artifacts.yaml\n  airgapctl artifacts sync -f plans/artifacts.yaml --fail-on CRITICAL --output json\n  airgapctl artifacts sync -f plans/artifacts.yaml --approved plans/artifacts.lock.json --env prod\n  airgapctl artifacts scan -f plans/artifacts.yaml --fail-on CRITICAL\n  airgapctl artifacts export -f plans/artifacts.yaml --approved plans/artifacts.lock.json --to bundle.tar\n  airgapctl artifacts import -f plans/artifacts.yaml --from bundle.tar"
    )]
    Artifacts(ArtifactsCmd),
    /// Create or update each account's deployer role: its trust, the derived policy
    /// (`iam-policy`), an optional permissions boundary; and the lock table in the hub.
    #[command(
        after_help = "Examples:\n  airgapctl bootstrap -f plans/hub-spoke.yaml --trust arn:aws:iam::999999999999:role/ci --via-role OrganizationAccountAccessRole\n  airgapctl bootstrap -f plans/single-account.yaml --trust arn:aws:iam::111111111111:root --external-id team-a\n  airgapctl bootstrap -f plans/hub-spoke.yaml --trust arn:aws:iam::999999999999:role/ci --print > roles.json"
    )]
    Bootstrap(BootstrapArgs),
    /// Print the JSON Schema of the blueprint format.
    #[command(after_help = "Examples:\n  airgapctl schema > airgapctl.schema.json")]
    Schema,
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  airgapctl completions bash > ~/.local/share/bash-completion/completions/airgapctl\n  airgapctl completions zsh > \"${fpath[1]}/_airgapctl\""
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Where the resources come from: a blueprint or a simulated scenario.
#[derive(Debug, Args)]
pub struct Source {
    /// The blueprint file; repeated, later files are overlays merged over earlier ones
    /// (mappings merge, lists replace, null deletes a key).
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Sets one value of the blueprint after the files, as YAML: `--set
    /// clusters.0.version=1.32` (numbers index lists, `null` deletes); repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", requires = "file")]
    pub set: Vec<String>,
    /// Run against a simulated cloud instead of AWS: the blueprint's resources
    /// with -f, else a built-in scenario [default scenario: hub-spoke].
    #[arg(long, value_enum, value_name = "SCENARIO", num_args = 0..=1)]
    pub simulate: Option<Option<Scenario>>,
    /// Environment name [default: the blueprint's metadata.name, else demo].
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Where the simulated cloud's state is kept [default: .airgap/sim/<env>.json].
    #[arg(long, value_name = "PATH", requires = "simulate")]
    pub sim_state: Option<PathBuf>,
    /// Simulated durations relative to AWS (0.01: a 10-minute cluster takes 6 s).
    #[arg(long, value_name = "FACTOR", default_value_t = 0.01, requires = "simulate")]
    pub sim_time_scale: f64,
    /// Expected AWS durations (poll pacing, rate-limit refills) are multiplied by this.
    /// 1 for AWS; against LocalStack, its AIRGAP_LS_TIME_SCALE (e.g. 0.01).
    #[arg(
        long,
        value_name = "FACTOR",
        env = "AIRGAP_TIME_SCALE",
        default_value_t = 1.0,
        conflicts_with = "simulate"
    )]
    pub time_scale: f64,
    /// Make every create, update and delete of this node fail (to see how failures
    /// look and resume); repeatable.
    #[arg(long, value_name = "NODE", requires = "simulate")]
    pub sim_fail: Vec<String>,
}

impl Source {
    /// A source on AWS (not simulated) from a blueprint file or an environment name,
    /// with the defaults the flags have: for commands that build one themselves.
    pub fn aws(
        file: Vec<PathBuf>,
        set: Vec<String>,
        env: Option<String>,
        time_scale: f64,
    ) -> Source {
        Source {
            file,
            set,
            simulate: None,
            env,
            sim_state: None,
            sim_time_scale: 0.01,
            time_scale,
            sim_fail: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// plans/hub-spoke.yaml (built in): 3 accounts, transit gateway, firewall, private EKS.
    HubSpoke,
    /// A random layered graph of 1000 resources (fixed seed).
    #[value(name = "random-1k")]
    Random1k,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub source: Source,
    /// Exit 0 when there are no changes and 2 when there are.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Plan the deletion of everything, as destroy would.
    #[arg(long)]
    pub destroy: bool,
    /// Also print how many API calls observing the environment took.
    #[arg(long)]
    pub stats: bool,
    /// Save the plan to PLANFILE, for `apply PLANFILE`.
    #[arg(long, value_name = "PLANFILE")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub select: Selection,
}

/// Which part of the environment a plan covers, and what it replaces.
#[derive(Clone, Debug, Default, Args)]
pub struct Selection {
    /// Plan only this resource (an address such as `cluster/apps` names those under it
    /// too) and what it needs: its dependencies in an apply, what depends on it in a
    /// destroy. Repeatable. For exceptional cases, as Terraform's -target: the rest is
    /// left as it is, out of the plan.
    #[arg(long = "target", value_name = "ADDR")]
    pub target: Vec<String>,
    /// Replace this existing resource even though nothing in it changed (a node's exact
    /// address, as `airgapctl show` lists it). Repeatable.
    #[arg(long = "replace", value_name = "ADDR")]
    pub replace: Vec<String>,
    /// No warning that the plan is targeted (commands that target by themselves).
    #[arg(skip)]
    pub quiet: bool,
}

impl Selection {
    pub fn is_empty(&self) -> bool {
        self.target.is_empty() && self.replace.is_empty()
    }
}

#[derive(Debug, Args)]
pub struct ApplyCmd {
    /// A plan saved by `plan --out`: apply exactly it, without asking. Refused if the
    /// blueprint or the environment changed since. The resources and the env come
    /// from the file; provider flags (--simulate, --sim-state, ...) are still needed.
    #[arg(value_name = "PLANFILE", conflicts_with_all = ["file", "env"])]
    pub plan_file: Option<PathBuf>,
    /// Apply even if `verify` finds that the plan would break the air gap (by default a
    /// failing check refuses the apply, exit 5, before any AWS call).
    #[arg(long, env = "AIRGAP_SKIP_VERIFY", value_parser = clap::builder::FalseyValueParser::new())]
    pub skip_verify: bool,
    #[command(flatten)]
    pub args: ApplyArgs,
    /// Lifetime of the environment from now (30m, 4h, 2d), over the blueprint's
    /// metadata.ttl: recorded as its expiry, which `airgapctl gc` acts on.
    #[arg(long, value_name = "TTL", value_parser = parse_ttl)]
    pub ttl: Option<Duration>,
    /// With a PLANFILE the plan's own selection holds.
    #[command(flatten)]
    pub select: Selection,
}

#[derive(Debug, Args)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub args: ApplyArgs,
    /// Plan and show what would be deleted, change nothing (exit 0).
    #[arg(long)]
    pub dry_run: bool,
    /// Without a blueprint: the hub account whose record of --env NAME says which
    /// accounts and region the environment spans.
    #[arg(long, value_name = "ID", requires = "env", conflicts_with_all = ["file", "simulate"])]
    pub hub_account: Option<String>,
    /// With --hub-account: the role to assume in the hub account and, instead of the
    /// roles the record names, in every account of the environment.
    #[arg(long, value_name = "NAME", requires = "hub_account")]
    pub role: Option<String>,
}

/// Where environment records are: the hub account (and --region).
#[derive(Debug, Args)]
pub struct HubArgs {
    /// The hub account (12 digits) whose table holds the environment records.
    #[arg(long, value_name = "ID")]
    pub hub_account: String,
    /// The role to assume in the hub account (and, for gc, instead of the recorded
    /// roles in every account).
    #[arg(long, value_name = "NAME")]
    pub role: Option<String>,
}

#[derive(Debug, Args)]
pub struct EnvsArgs {
    #[command(flatten)]
    pub hub: HubArgs,
    /// Do not count resources (counting observes every kind in every account of each
    /// environment).
    #[arg(long)]
    pub no_counts: bool,
}

#[derive(Debug, Args)]
pub struct GcArgs {
    #[command(flatten)]
    pub hub: HubArgs,
    /// Show the expired environments and what destroying them would delete; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Maximum API calls in flight per environment.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// Environments destroyed at once (their output lines start with `[NAME] `); with
    /// `--output json`, one at a time.
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Expected AWS durations are multiplied by this (see apply).
    #[arg(long, value_name = "FACTOR", env = "AIRGAP_TIME_SCALE", default_value_t = 1.0)]
    pub time_scale: f64,
}

fn parse_ttl(text: &str) -> Result<Duration, String> {
    airgap_blueprint::parse_ttl(text)
        .ok_or_else(|| format!("invalid TTL {text:?}: use e.g. 30m, 4h, 2d, 1d12h"))
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub source: Source,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
    /// Maximum API calls in flight.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u16).range(1..))]
    pub parallelism: u16,
    /// While another airgapctl holds the environment's lock, wait this long for it
    /// (e.g. 30s, 10m) before failing; 0 fails at once.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
    pub lock_timeout: Duration,
    /// At the end, print every API call the command made (by service and operation)
    /// and how the run waited: readiness calls, and how late it saw resources finish.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// The blueprint: its hub account holds the lock, its name is the default --env.
    #[arg(short, long = "file", value_name = "FILE", required_unless_present = "hub_account")]
    pub file: Option<PathBuf>,
    /// The environment to unlock [default: the blueprint's metadata.name].
    #[arg(long, value_name = "NAME", required_unless_present = "file")]
    pub env: Option<String>,
    /// Without a blueprint: the hub account (12 digits) whose lock table holds the lock.
    #[arg(long, value_name = "ID", conflicts_with = "file")]
    pub hub_account: Option<String>,
    /// Without a blueprint: the role to assume in the hub account (name or ARN).
    #[arg(long, value_name = "NAME", requires = "hub_account")]
    pub role: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub auto_approve: bool,
}

/// A duration as `<n><unit>` groups (`90s`, `10m`, `1h30m`; units s, m, h, d), or a
/// plain number of seconds (`0`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("invalid duration {text:?}: use e.g. 0, 30s, 10m, 1h30m");
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || text.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[derive(Debug, Args)]
pub struct AdoptArgs {
    /// The blueprint node to give the resource to (`vpc/workload`; `airgapctl graph`
    /// lists them).
    #[arg(value_name = "ADDR")]
    pub addr: String,
    /// The resource's EC2 id (`vpc-...`, `tgw-...`, `subnet-...`).
    #[arg(value_name = "PHYSICAL-ID")]
    pub physical_id: String,
    #[command(flatten)]
    pub source: Source,
    /// Adopt it even when apply would replace it (delete it and make another).
    #[arg(long)]
    pub force: bool,
    /// While another airgapctl holds the environment's lock, wait this long for it.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// One resource's node id (`vpc/workload`, `cluster/apps`; see `airgapctl show`):
    /// its desired and observed attributes and outputs. Put it before --simulate.
    #[arg(value_name = "ADDR")]
    pub addr: Option<String>,
    #[command(flatten)]
    pub source: Source,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// One output (`cluster.apps.endpoint`): print its value alone, raw (a list comma
    /// separated). Put it before --simulate.
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub source: Source,
}

/// The blueprint of a command that reads one and nothing else: `validate`, `cost`,
/// `iam-policy`.
#[derive(Debug, Args)]
pub struct Blueprint {
    /// The blueprint file; repeated, later files are overlays merged over earlier ones.
    #[arg(short, long = "file", value_name = "FILE", required = true)]
    pub file: Vec<PathBuf>,
    /// Sets one value of the blueprint after the files (`path=value`); repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct IamPolicyArgs {
    #[command(flatten)]
    pub blueprint: Blueprint,
    /// Environment name [default: the blueprint's metadata.name]; the policy is scoped to it.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Only this account (its name under `accounts:`).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Only what `plan` reads: no create, update or delete (`verify --live` reads more).
    #[arg(long)]
    pub read_only: bool,
    /// Also what `airgapctl adopt` needs (tagging existing, untagged resources).
    #[arg(long)]
    pub adopt: bool,
}

#[derive(Debug, Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub policy: IamPolicyArgs,
    /// Who may assume the deployer role: an IAM principal ARN (a role, a user, or an
    /// account's `:root`).
    #[arg(long, value_name = "PRINCIPAL-ARN")]
    pub trust: String,
    /// The ExternalId the trust requires (sts:ExternalId); give the same as the
    /// blueprint's `accounts.<name>.externalId`.
    #[arg(long, value_name = "ID")]
    pub external_id: Option<String>,
    /// A managed policy ARN set as the role's permissions boundary.
    #[arg(long, value_name = "ARN")]
    pub permissions_boundary: Option<String>,
    /// Reach each account through this role of it (e.g. OrganizationAccountAccessRole);
    /// without it the current credentials must already be in each account.
    #[arg(long, value_name = "ROLE")]
    pub via_role: Option<String>,
    /// Print the roles, trusts and policies as JSON instead of creating them.
    #[arg(long)]
    pub print: bool,
}

#[derive(Debug, Args)]
pub struct KubeconfigArgs {
    /// The cluster, by its name in the blueprint (`apps`) [default: the only one].
    #[arg(long, value_name = "NAME")]
    pub cluster: Option<String>,
    /// A role for `aws eks get-token` to assume (`--role-arn`); without it the token is
    /// made with whatever credentials the aws CLI finds.
    #[arg(long, value_name = "ARN")]
    pub role: Option<String>,
    /// Write the kubeconfig to PATH (mode 0600, replacing the file) instead of stdout.
    #[arg(long, value_name = "PATH", conflicts_with = "merge")]
    pub write: Option<PathBuf>,
    /// Merge into $KUBECONFIG (its first file), else ~/.kube/config: entries of the same
    /// name are replaced, others kept, and the current context set to this cluster.
    #[arg(long)]
    pub merge: bool,
    #[command(flatten)]
    pub source: Source,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[command(flatten)]
    pub source: Source,
    /// Graph format [default: dot; json with --output json].
    #[arg(long, value_enum)]
    pub format: Option<GraphFormat>,
    /// With svg or html: only this resource (and those under it), what it needs and
    /// what needs it.
    #[arg(long, value_name = "ADDR")]
    pub focus: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The blueprint file; repeated, later files are overlays merged over earlier ones.
    #[arg(short, long = "file", value_name = "FILE", required_unless_present = "hub_account")]
    pub file: Vec<PathBuf>,
    /// Sets one value of the blueprint after the files (`path=value`); repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", requires = "file")]
    pub set: Vec<String>,
    /// Environment name [default: the blueprint's metadata.name]; it changes names only.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Verify what exists in AWS (every route, gateway, endpoint, firewall rule, cluster
    /// and repository of the environment, read now) instead of what the plan will build.
    #[arg(long)]
    pub live: bool,
    /// Without a blueprint: verify what exists of --env NAME, from its record in this
    /// hub account (its accounts and region); implies --live.
    #[arg(long, value_name = "ID", requires = "env", conflicts_with = "file")]
    pub hub_account: Option<String>,
    /// With --hub-account: the role to assume in the hub account and, instead of the
    /// roles the record names, in every account of the environment.
    #[arg(long, value_name = "NAME", requires = "hub_account")]
    pub role: Option<String>,
    /// On what exists: also look each cluster endpoint's name up with this machine's
    /// resolver; every address must be inside the cluster's VPC.
    #[arg(long)]
    pub dns: bool,
    /// On what exists: also ask AWS Network Access Analyzer (one scope and analysis per
    /// account with spoke subnets: to any internet gateway, not through a firewall; AWS
    /// bills $0.002 per interface analysed) and report its findings beside verify's.
    #[arg(long)]
    pub aws_analyzer: bool,
    /// Also write the results as SARIF 2.1.0 to FILE; `-` prints SARIF instead of the
    /// report.
    #[arg(long, value_name = "FILE")]
    pub sarif: Option<PathBuf>,
    /// Text output: every check's evidence, not only its first line.
    #[arg(long)]
    pub evidence: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz dot, every node and edge.
    Dot,
    /// Nodes and edges as JSON.
    Json,
    /// A picture: accounts as columns, VPCs as boxes, only the dependencies between boxes.
    Svg,
    /// The SVG picture in a page of its own.
    Html,
}

impl Scenario {
    /// The name as given on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::HubSpoke => "hub-spoke",
            Scenario::Random1k => "random-1k",
        }
    }

    /// The scenario of a name as given on the command line.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::value_variants().iter().copied().find(|s| s.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand's help has examples, and each example parses.
    #[test]
    fn every_command_has_examples_that_parse() {
        use clap::CommandFactory;
        let cli = Cli::command();
        for sub in cli.get_subcommands().filter(|c| c.get_name() != "help") {
            let help = sub.get_after_help().map(|h| h.to_string()).unwrap_or_default();
            let examples: Vec<&str> = help
                .strip_prefix("Examples:\n")
                .unwrap_or_else(|| panic!("{} has no examples", sub.get_name()))
                .lines()
                .map(str::trim)
                .collect();
            assert!(!examples.is_empty(), "{}", sub.get_name());
            for example in examples {
                // The command line itself, without what a shell does with its output.
                let line = example.split(['|', '>']).next().unwrap().trim();
                let words: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(words.get(1), Some(&sub.get_name()), "{example}");
                if let Err(e) = Cli::try_parse_from(&words) {
                    panic!("`{example}` does not parse: {e}");
                }
            }
        }
    }

    #[test]
    fn durations_take_units_or_seconds() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        for bad in ["", "s", "1x", "1.5m", "-1s", "10m5"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
