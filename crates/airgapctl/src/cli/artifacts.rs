//! `airgapctl artifacts`: sync, scan, export and import (docs/artifacts.md).

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct ArtifactsCmd {
    #[command(subcommand)]
    pub action: ArtifactsAction,
}

#[derive(Debug, Subcommand)]
pub enum ArtifactsAction {
    /// Copy the manifest's images into the environment's repositories by digest (what is
    /// there already is skipped), wait for their scans, gate on the findings, and write
    /// the lock file. Exit 1 when an artifact fails the gate or cannot be copied.
    Sync(SyncArgs),
    /// The findings of every image stored in the environment's repositories, by severity,
    /// as ECR's last scan of each reported them (--rescan scans again first). Exit 1 when
    /// an image has findings at or above --fail-on.
    Scan(ScanArgs),
    /// The manifest's images (or an approved lock's) copied from their registries into an
    /// OCI image layout, or a .tar of one, to carry across a physical gap. No AWS call.
    Export(ExportArgs),
    /// A bundle `export` wrote, pushed into the environment's repositories like `sync`
    /// (what is there already skipped, scans waited for, the gate, the lock file).
    Import(ImportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The artifacts manifest.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// The bundle: PATH.tar, or a directory (an OCI image layout).
    #[arg(long, value_name = "PATH")]
    pub to: PathBuf,
    #[command(flatten)]
    pub pick: PickArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The artifacts manifest (its `blueprint:` names the environment).
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// The bundle `export` wrote: PATH.tar, or the layout directory.
    #[arg(long, value_name = "PATH")]
    pub from: PathBuf,
    /// Where the lock file is written [default: beside the manifest, NAME.lock.json].
    #[arg(long, value_name = "PATH")]
    pub lock: Option<PathBuf>,
    /// Import exactly the artifacts this approved lock lists as passed, by digest.
    #[arg(long, value_name = "LOCK")]
    pub approved: Option<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The artifacts manifest (its `blueprint:` names the environment).
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Start a new basic scan of every image and wait for it (ECR allows one per image
    /// a day; an image scanned already today keeps its last scan).
    #[arg(long)]
    pub rescan: bool,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// The scan gate and the environment, shared by `artifacts sync`, `import` and `scan`.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// Findings of this severity or above fail the gate: LOW, MEDIUM, HIGH, CRITICAL.
    #[arg(long, value_name = "SEVERITY", default_value = "HIGH")]
    pub fail_on: String,
    /// Seconds to wait for an image's scan before it fails the gate.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub scan_timeout: u64,
    /// Environment name [default: the blueprint's metadata.name].
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
    /// Expected AWS durations (scan polling) are multiplied by this.
    #[arg(long, value_name = "FACTOR", env = "AIRGAP_TIME_SCALE", default_value_t = 1.0)]
    pub time_scale: f64,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The artifacts manifest (its `blueprint:` names the environment).
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Where the lock file is written [default: beside the manifest, NAME.lock.json].
    #[arg(long, value_name = "PATH")]
    pub lock: Option<PathBuf>,
    #[command(flatten)]
    pub pick: PickArgs,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// What is copied and from where with which credentials, shared by `artifacts sync` and
/// `export` (the two that read the sources).
#[derive(Debug, Args)]
pub struct PickArgs {
    /// Copy exactly the artifacts this approved lock file lists as passed, by their
    /// digests, instead of the manifest's references.
    #[arg(long, value_name = "LOCK")]
    pub approved: Option<PathBuf>,
    /// Add the images the manifest's charts deploy, as images: those Chart.yaml's
    /// artifacthub.io/images annotation lists and those under `image` keys of values.yaml
    /// (each into the declared repository of its path or last path part). An approved
    /// lock lists them already.
    #[arg(long, conflicts_with = "approved")]
    pub with_chart_images: bool,
    /// Credentials for the source registries and chart repositories: a docker
    /// `config.json` or containers `auth.json`, asked before `$REGISTRY_AUTH_FILE`,
    /// `$XDG_RUNTIME_DIR/containers/auth.json`, `~/.config/containers/auth.json` and
    /// `~/.docker/config.json` (credential helpers included). Hosts without an entry
    /// are reached anonymously.
    #[arg(long, value_name = "FILE")]
    pub authfile: Option<PathBuf>,
}
