//! `airgapctl artifacts`: `sync` (the images of an artifacts manifest copied by digest
//! into the environment's ECR repositories, each scanned and gated, the lock file
//! written; with `--approved LOCK`, exactly the digests an approved lock names), `scan`,
//! `export` and `import` (docs/artifacts.md). This module holds what they share: the
//! manifest's items, the blueprint's repositories, the ECR login, the progress bars.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use airgap_artifacts::auth::Credentials;
use airgap_artifacts::{
    copy_image, CopyReport, Gate, Lock, LockEntry, PlatformImage, Registry, RegistryOptions,
    ScanSummary, Severity, Store,
};
use airgap_aws::artifacts::{EcrRegistry, RegistryLogin, ScanState};
use airgap_aws::Provider;
use airgap_blueprint::{ImageRef, Platform};
use airgap_catalog::spec::{EcrRepositorySpec, Spec};
use airgap_engine::Scope;
use miette::miette;
use serde::Serialize;

use super::{out, Backend, Target};
use crate::cli::{ArtifactsAction, ArtifactsCmd, ExportArgs, Global, ImportArgs, Output, SyncArgs};
use crate::exit::{CmdResult, ExitStatus, Failure};

mod bundle;
mod charts;
mod scan;
mod sync;

use bundle::{export, import};
use scan::scan;
use sync::{read_lock, sync};

pub async fn run(cmd: &ArtifactsCmd, global: &Global) -> CmdResult {
    match &cmd.action {
        ArtifactsAction::Sync(args) => sync(args, global).await,
        ArtifactsAction::Scan(args) => scan(args, global).await,
        ArtifactsAction::Export(args) => export(args, global).await,
        ArtifactsAction::Import(args) => import(args, global).await,
    }
}

/// One artifact to copy: from the manifest, or from an approved lock.
struct Item {
    source: ImageRef,
    platforms: Vec<Platform>,
    repository: String,
    tag: String,
    /// From a lock: the digest the tag must name once copied.
    expect: Option<String>,
    /// The source as the manifest (or the lock) writes it.
    written: String,
    /// A Helm chart: copied, not scanned (ECR scans container images).
    chart: bool,
    /// A chart of a classic chart repository: fetched and staged (charts.rs) before the
    /// copy, which reads it from the staging layout.
    repo_chart: Option<charts::RepoChartItem>,
    /// From an approved lock: the quarantine repository the artifact was scanned in,
    /// which `sync --approved` promotes it from.
    quarantined: Option<String>,
}

/// What a sync did to one artifact, as `--output json` prints it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Outcome {
    #[serde(flatten)]
    entry: LockEntry,
    bytes_copied: u64,
    blobs_copied: usize,
    blobs_present: usize,
    /// Mounted from the quarantine repository (ECR's blob mounting), no bytes sent.
    blobs_mounted: usize,
    up_to_date: bool,
    /// The quarantine repository an approved artifact was copied from (`None`: from its
    /// source).
    #[serde(skip_serializing_if = "Option::is_none")]
    promoted_from: Option<String>,
    seconds: f64,
    /// Why it was left out, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// A failed copy or fetch, with the way out when a source refused to be read anonymously
/// or with the credentials found.
fn explain(e: &airgap_artifacts::ArtifactError, source_host: &str) -> String {
    let from_source = match e {
        airgap_artifacts::ArtifactError::Registry { registry, .. } => registry == source_host,
        _ => true,
    };
    if e.is_unauthorized() && from_source {
        format!(
            "{e} (the source wants credentials: `docker login` or `podman login` to it, or \
             name an auth file with --authfile)"
        )
    } else {
        e.to_string()
    }
}

/// How the sources (registries and chart repositories) are reached: the hosts the
/// manifest's `plainHttp` names over HTTP, each with its credentials from the docker or
/// containers auth files (`--authfile` first), anonymous where they have none.
struct Sources {
    plain: Vec<String>,
    creds: Credentials,
}

impl Sources {
    fn new(
        manifest: &airgap_blueprint::Artifacts,
        authfile: Option<&Path>,
    ) -> Result<Sources, Failure> {
        let creds =
            Credentials::discover(authfile).map_err(|e| Failure::invalid(miette!("{e}")))?;
        let plain = manifest.plain_http.iter().map(|s| s.value.clone()).collect();
        Ok(Sources { plain, creds })
    }

    /// The registry an item is copied from.
    fn registry(&self, item: &Item) -> Result<Registry, Failure> {
        let host = &item.source.registry;
        let basic = self.creds.for_host(host).map_err(|e| Failure::invalid(miette!("{e}")))?;
        let plain_http = self.plain.contains(host);
        Ok(Registry::new(host, &RegistryOptions { plain_http, proxy: None, basic }))
    }
}

fn read_manifest(path: &Path) -> Result<airgap_blueprint::Artifacts, Failure> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Failure::invalid(miette!("cannot read {}: {e}", path.display())))?;
    if meta.len() > airgap_blueprint::artifacts::MAX_ARTIFACTS_BYTES {
        return Err(Failure::invalid(miette!(
            help = "an artifacts manifest lists references (docs/artifacts.md)",
            "{} is larger than {} bytes: not an artifacts manifest",
            path.display(),
            airgap_blueprint::artifacts::MAX_ARTIFACTS_BYTES
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::invalid(miette!("cannot read {}: {e}", path.display())))?;
    airgap_blueprint::parse_artifacts(&path.display().to_string(), &text).map_err(Failure::invalid)
}

/// The lock's default place: beside the manifest, `<name>.lock.json`.
fn default_lock(manifest: &Path) -> PathBuf {
    let stem = manifest.file_stem().and_then(|s| s.to_str()).unwrap_or("artifacts");
    manifest.with_file_name(format!("{stem}.lock.json"))
}

fn now_rfc3339() -> String {
    let ms =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis();
    airgap_aws::lock::rfc3339(i64::try_from(ms).unwrap_or(i64::MAX))
}

/// The target registry, logged in; logged in again when the password nears its end.
struct Ecr<'p> {
    provider: &'p Provider,
    api: EcrRegistry<'p>,
    login: RegistryLogin,
    registry: Registry,
}

impl<'p> Ecr<'p> {
    async fn connect(provider: &'p Provider, scope: Scope) -> Result<Ecr<'p>, Failure> {
        let api = provider.ecr_registry(&scope).map_err(kind_failed)?;
        let login = api.login().await.map_err(kind_failed)?;
        let registry = Self::registry(provider, &login);
        Ok(Ecr { provider, api, login, registry })
    }

    fn registry(provider: &Provider, login: &RegistryLogin) -> Registry {
        Registry::new(
            &login.host,
            &RegistryOptions {
                // The emulator serves the registry over HTTP on its port, found by host name
                // like a proxy; AWS serves it over HTTPS at the host GetAuthorizationToken
                // names.
                plain_http: provider.endpoint_url().is_some(),
                proxy: provider.endpoint_url().map(str::to_string),
                basic: Some((login.username.clone(), login.password.clone())),
            },
        )
    }

    /// A fresh password when the one held has less than half an hour left: a copy started
    /// with it may take that long.
    async fn refresh(&mut self) -> Result<(), Failure> {
        if needs_login(self.login.expires_at, SystemTime::now()) {
            self.login = self.api.login().await.map_err(kind_failed)?;
            self.registry = Self::registry(self.provider, &self.login);
        }
        Ok(())
    }
}

/// A password with less than half an hour left is replaced before the next artifact: one
/// copy may take that long, and ECR refuses an expired one mid-upload.
fn needs_login(expires_at: SystemTime, now: SystemTime) -> bool {
    expires_at.duration_since(now).unwrap_or_default() < Duration::from_secs(1800)
}

fn kind_failed(e: airgap_engine::KindError) -> Failure {
    Failure::failed(miette!("{}: {}", e.code, e.message))
}

/// The manifest, the environment it names (connected), and the blueprint's repositories:
/// their nodes (for the tags a created one gets), scope and settings.
struct Loaded {
    manifest: airgap_blueprint::Artifacts,
    target: Target,
    repos: Vec<(String, Scope, EcrRepositorySpec)>,
    /// `registries.scanning: enhanced`: Inspector scans each pushed image by itself, and
    /// StartImageScan (basic scans only) is never called.
    enhanced: bool,
    /// `registries.quarantine`: the prefix of the repositories a sync without an approved
    /// lock copies into.
    quarantine: Option<String>,
}

impl Loaded {
    /// Where an artifact for `repository` goes: its quarantine repository when the
    /// blueprint has one and no approved lock is followed, else the repository itself.
    fn destination(&self, repository: &str, approved: bool) -> String {
        match &self.quarantine {
            Some(q) if !approved => format!("{q}/{repository}"),
            _ => repository.to_string(),
        }
    }

    /// The repositories nodes pull from (the quarantine ones left out).
    fn pulled_from(&self) -> Vec<&str> {
        let prefix = self.quarantine.as_ref().map(|q| format!("{q}/"));
        self.repos
            .iter()
            .map(|(_, _, s)| s.name.as_str())
            .filter(|n| prefix.as_ref().is_none_or(|p| !n.starts_with(p.as_str())))
            .collect()
    }

    async fn new(
        file: &Path,
        env: &Option<String>,
        time_scale: f64,
        global: &Global,
    ) -> Result<Loaded, Failure> {
        let manifest = read_manifest(file)?;
        let dir = file.parent().unwrap_or(Path::new("."));
        let bp_path = dir.join(&manifest.blueprint.value);
        let (bp, _) = super::validate::load(std::slice::from_ref(&bp_path), &[])?;
        manifest.check_against(&bp).map_err(Failure::invalid)?;
        let source = crate::cli::Source::aws(vec![bp_path], vec![], env.clone(), time_scale);
        let target = Target::resolve(&source, global).await?;
        let repos: Vec<(String, Scope, EcrRepositorySpec)> = target
            .graph
            .nodes()
            .filter(|n| n.kind == airgap_catalog::ECR_REPOSITORY.name)
            .filter_map(|n| {
                let spec = EcrRepositorySpec::from_attrs(&n.attrs).ok()?;
                Some((n.id.0.clone(), n.scope.clone(), spec))
            })
            .collect();
        if repos.is_empty() {
            return Err(Failure::invalid(miette!(
                help = "declare registries.repositories in the blueprint",
                "the blueprint declares no repositories"
            )));
        }
        let enhanced =
            target.graph.nodes().any(|n| n.kind == airgap_catalog::ECR_REGISTRY_SCANNING.name);
        let quarantine =
            bp.registries.as_ref().and_then(|r| r.quarantine.as_ref()).map(|q| q.value.clone());
        Ok(Loaded { manifest, target, repos, enhanced, quarantine })
    }

    fn provider(&self) -> Result<&Provider, Failure> {
        match &self.target.backend {
            Backend::Aws(p) => Ok(p),
            _ => Err(Failure::invalid(miette!("artifacts work on AWS only"))),
        }
    }
}

fn severity(text: &str) -> Result<Severity, Failure> {
    text.parse().map_err(|e: String| Failure::invalid(miette!("--fail-on: {e}")))
}

/// The items of a run: the manifest's images, or what an approved lock lists as passed.
/// `layout`: read from an OCI layout, where each is stored under its repository and tag
/// (and, approved, by the digest the lock approved).
fn items_of(
    manifest: &airgap_blueprint::Artifacts,
    approved: Option<&Lock>,
    env: Option<&str>,
    layout: bool,
) -> Result<Vec<Item>, Failure> {
    let Some(lock) = approved else {
        return Ok(manifest
            .images
            .iter()
            .map(|i| Item {
                repo_chart: i.repo_chart.as_ref().filter(|_| !layout).map(|r| {
                    charts::RepoChartItem::new(
                        &r.repo.value,
                        &r.chart.value,
                        &r.version.value,
                        None,
                    )
                }),
                source: if layout {
                    layout_ref(&i.repository.value, &i.tag.value, None)
                } else {
                    i.source.value.clone()
                },
                platforms: if layout {
                    Vec::new()
                } else {
                    i.platforms.iter().map(|p| p.value.clone()).collect()
                },
                repository: i.repository.value.clone(),
                tag: i.tag.value.clone(),
                expect: None,
                written: i.source.value.to_string(),
                chart: i.chart,
                quarantined: None,
            })
            .collect());
    };
    if let Some(env) = env {
        if lock.environment != env {
            return Err(Failure::invalid(miette!(
                help = "an approved lock goes into any environment, but says which: write that environment's name in the lock's `environment` as part of approving it",
                "the lock was written for environment {}, not {env}",
                lock.environment
            )));
        }
    }
    let mut items = Vec::new();
    for e in lock.artifacts.iter().filter(|e| e.gate == Gate::Passed) {
        let (source, platforms) = if layout {
            (layout_ref(&e.repository, &e.tag, Some(&e.digest)), Vec::new())
        } else if e.chart_repo.is_some() {
            // Fetched again from its repository, the .tgz checked against the approved one.
            (charts::staged_ref(&e.repository, &e.tag), Vec::new())
        } else {
            let mut source = ImageRef::parse(&e.source)
                .map_err(|x| Failure::invalid(miette!("lock entry {}: {}", e.source, x.0)))?;
            // By the digest approved, whatever the tag names now.
            source.digest = Some(e.source_digest.clone());
            let platforms = if e.digest == e.source_digest {
                Vec::new()
            } else {
                e.images.iter().filter_map(|i| Platform::parse(&i.platform)).collect()
            };
            (source, platforms)
        };
        items.push(Item {
            source,
            platforms,
            repository: e.repository.clone(),
            tag: e.tag.clone(),
            expect: Some(e.digest.clone()),
            written: e.source.clone(),
            chart: e.chart,
            repo_chart: e.chart_repo.as_ref().filter(|_| !layout).map(|r| {
                charts::RepoChartItem::new(&r.repo, &r.chart, &r.version, Some(&e.source_digest))
            }),
            quarantined: e.quarantine.clone(),
        });
    }
    Ok(items)
}

/// How an image is named in a layout airgapctl wrote.
fn layout_ref(repository: &str, tag: &str, digest: Option<&str>) -> ImageRef {
    ImageRef {
        registry: "layout".into(),
        repository: repository.to_string(),
        tag: Some(tag.to_string()),
        digest: digest.map(str::to_string),
    }
}

/// Where a run's images come from.
enum From<'a> {
    /// Their registries and chart repositories.
    Registries(Sources),
    Layout(&'a airgap_artifacts::Layout),
}

/// What `sync` and `import` share.
struct Run<'a> {
    file: &'a Path,
    /// The images the charts deploy, found for --with-chart-images.
    chart_images: Vec<charts::Found>,
    lock: Option<PathBuf>,
    approved: bool,
    fail_on: Severity,
    scan_timeout: u64,
    time_scale: f64,
}

impl<'a> Run<'a> {
    /// The run of `sync` or `import`, and the manifest, environment and items it works on.
    async fn start(
        file: &'a Path,
        lock: &Option<PathBuf>,
        approved: Option<&Path>,
        gate: &crate::cli::GateArgs,
        layout: bool,
        global: &Global,
    ) -> Result<(Run<'a>, Loaded, Vec<Item>), Failure> {
        let fail_on = severity(&gate.fail_on)?;
        let approved = read_lock(approved)?;
        let loaded = Loaded::new(file, &gate.env, gate.time_scale, global).await?;
        let items =
            items_of(&loaded.manifest, approved.as_ref(), Some(&loaded.target.env), layout)?;
        let run = Run {
            file,
            chart_images: Vec::new(),
            lock: lock.clone(),
            approved: approved.is_some(),
            fail_on,
            scan_timeout: gate.scan_timeout,
            time_scale: gate.time_scale,
        };
        Ok((run, loaded, items))
    }
}

/// A bar per artifact, counting the bytes sent, on a terminal (hidden elsewhere: logs and
/// pipes get the line printed when the artifact is done).
fn bar(text: bool, label: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !text || !std::io::stdout().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner().with_prefix(label.to_string());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {prefix:<40} {bytes} sent ({binary_bytes_per_sec}) {msg}",
        )
        .expect("a valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

fn on_progress(bar: &indicatif::ProgressBar, label: &str, p: airgap_artifacts::Progress) {
    tracing::debug!(artifact = %label, progress = ?p, "copy");
    let airgap_artifacts::Progress::Blob { bytes, skipped, .. } = p;
    if skipped {
        bar.set_message("(some blobs there already)");
    } else {
        bar.inc(bytes);
    }
}

/// A bundle path: a `.tar` file, else an OCI layout directory.
fn is_tar(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tar")
}

/// The layout directory a tar bundle is built in or unpacked to: beside it (same
/// filesystem, so the final rename is cheap), removed afterwards.
fn work_dir(bundle: &Path) -> PathBuf {
    let name = bundle.file_name().and_then(|n| n.to_str()).unwrap_or("bundle");
    bundle.with_file_name(format!(".{name}.layout"))
}

fn io_failed(what: &str, path: &Path, e: impl std::fmt::Display) -> Failure {
    Failure::failed(miette!("{what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_renewed_half_an_hour_before_it_expires() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        // As issued: 12 hours.
        assert!(!needs_login(now + Duration::from_secs(12 * 3600), now));
        assert!(!needs_login(now + Duration::from_secs(1801), now));
        assert!(needs_login(now + Duration::from_secs(1799), now));
        // Expired already (a laptop that slept).
        assert!(needs_login(now - Duration::from_secs(60), now));
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z') && &t[10..11] == "T", "{t}");
    }
}
