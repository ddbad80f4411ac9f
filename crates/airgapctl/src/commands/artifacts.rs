//! `airgapctl artifacts sync`: the images of an artifacts manifest copied by digest into
//! the environment's ECR repositories, each scanned and gated; the lock file written.
//! With `--approved LOCK`, exactly the digests an approved lock names (docs/artifacts.md).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use airgap_artifacts::{
    copy_image, CopyReport, Gate, Lock, LockEntry, PlatformImage, Registry, RegistryOptions,
    ScanSummary, Severity, Store,
};
use airgap_aws::artifacts::{RegistryLogin, ScanState};
use airgap_aws::Provider;
use airgap_blueprint::{ImageRef, Platform};
use airgap_catalog::spec::{EcrRepositorySpec, Spec};
use airgap_engine::Scope;
use miette::miette;
use serde::Serialize;

use super::{out, Backend, Target};
use crate::cli::{
    ArtifactsAction, ArtifactsCmd, ExportArgs, Global, ImportArgs, Output, ScanArgs, SyncArgs,
};
use crate::exit::{CmdResult, ExitStatus, Failure};

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
    up_to_date: bool,
    seconds: f64,
    /// Why it was left out, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
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
    scope: Scope,
    login: RegistryLogin,
    registry: Registry,
}

impl<'p> Ecr<'p> {
    async fn connect(provider: &'p Provider, scope: Scope) -> Result<Ecr<'p>, Failure> {
        let login = provider.registry_login(&scope).await.map_err(kind_failed)?;
        let registry = Self::registry(provider, &login);
        Ok(Ecr { provider, scope, login, registry })
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
            self.login = self.provider.registry_login(&self.scope).await.map_err(kind_failed)?;
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
}

impl Loaded {
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
        Ok(Loaded { manifest, target, repos })
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
    /// Their registries; these hosts over plain HTTP.
    Registries(Vec<String>),
    Layout(&'a airgap_artifacts::Layout),
}

/// What `sync` and `import` share.
struct Run<'a> {
    file: &'a Path,
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
            lock: lock.clone(),
            approved: approved.is_some(),
            fail_on,
            scan_timeout: gate.scan_timeout,
            time_scale: gate.time_scale,
        };
        Ok((run, loaded, items))
    }
}

async fn sync(args: &SyncArgs, global: &Global) -> CmdResult {
    let (run, loaded, items) =
        Run::start(&args.file, &args.lock, args.approved.as_deref(), &args.gate, false, global)
            .await?;
    let plain = loaded.manifest.plain_http.iter().map(|s| s.value.clone()).collect();
    push_items(&loaded, &items, From::Registries(plain), &run, global).await
}

fn read_lock(path: Option<&Path>) -> Result<Option<Lock>, Failure> {
    path.map(Lock::read).transpose().map_err(|e| Failure::invalid(miette!("{e}")))
}

/// Copies each item into its repository, waits for its scans, gates, and writes the lock.
async fn push_items(
    loaded: &Loaded,
    items: &[Item],
    from: From<'_>,
    run: &Run<'_>,
    global: &Global,
) -> CmdResult {
    let started = Instant::now();
    let (target, repos) = (&loaded.target, &loaded.repos);
    let provider = loaded.provider()?;
    let mut ecr = Ecr::connect(provider, repos[0].1.clone()).await?;
    let fail_on = run.fail_on;
    let poll = Duration::from_secs_f64((5.0 * run.time_scale).clamp(0.05, 5.0));
    let text = global.output == Output::Text;
    let mut outcomes = Vec::new();
    for item in items {
        let t0 = Instant::now();
        ecr.refresh().await?;
        let (node_id, repo_scope, spec) = repos
            .iter()
            .find(|(_, _, s)| s.name == item.repository)
            .expect("checked against the blueprint");
        if provider
            .ensure_repository(repo_scope, &target.env, node_id, spec)
            .await
            .map_err(kind_failed)?
            && text
        {
            out(&format!("created repository {} (apply sets its pull policy)\n", spec.name));
        }
        let registry;
        let src = match &from {
            From::Registries(plain) => {
                registry = Registry::new(
                    &item.source.registry,
                    &RegistryOptions {
                        plain_http: plain.contains(&item.source.registry),
                        proxy: None,
                        basic: None,
                    },
                );
                Store::Registry(&registry)
            }
            From::Layout(l) => Store::Layout(l),
        };
        let label = format!("{}:{}", item.repository, item.tag);
        let bar = bar(text, &label);
        let copied = copy_image(
            &src,
            &item.source,
            &item.platforms,
            &Store::Registry(&ecr.registry),
            &item.repository,
            &item.tag,
            &|p| on_progress(&bar, &label, p),
        )
        .await;
        bar.finish_and_clear();
        let report = match copied {
            Ok(r) => r,
            Err(e) => {
                if text {
                    out(&format!("{label:<40} FAILED: {e}\n"));
                }
                outcomes.push(failed_outcome(item, &e.to_string(), t0));
                continue;
            }
        };
        if let Some(want) = &item.expect {
            if &report.digest != want {
                let msg = format!("copied {} but the lock approved {want}", report.digest);
                if text {
                    out(&format!("{label:<40} FAILED: {msg}\n"));
                }
                outcomes.push(failed_outcome(item, &msg, t0));
                continue;
            }
        }
        let scan = if item.chart {
            // ECR's scans read container images' packages; a chart has none (the emulator,
            // like ECR, answers UNSUPPORTED_IMAGE). Its images are listed and gated as images.
            ScanSummary { status: NOT_SCANNED.into(), findings: Default::default() }
        } else {
            wait_for_scans(
                provider,
                repo_scope,
                &item.repository,
                &report.images,
                spec.scan_on_push,
                poll,
                run.scan_timeout,
            )
            .await?
        };
        let gate = gate_of(&scan, fail_on);
        if gate == Gate::Failed {
            // Out of the repositories nodes pull from: a failed image is not left there.
            provider
                .delete_image(repo_scope, &item.repository, &report.digest)
                .await
                .map_err(kind_failed)?;
            for i in &report.images {
                let _ = provider.delete_image(repo_scope, &item.repository, &i.digest).await;
            }
        }
        if text {
            out(&format!("{}\n", line(&label, &report, &scan, gate, t0.elapsed())));
        }
        outcomes.push(Outcome {
            entry: LockEntry {
                source: item.written.clone(),
                source_digest: report.source_digest.clone(),
                repository: item.repository.clone(),
                tag: item.tag.clone(),
                digest: report.digest.clone(),
                images: report.images.clone(),
                scan,
                gate,
                synced_at: now_rfc3339(),
                chart: item.chart,
            },
            bytes_copied: report.bytes_copied,
            blobs_copied: report.blobs_copied,
            blobs_present: report.blobs_present,
            up_to_date: report.up_to_date,
            seconds: t0.elapsed().as_secs_f64(),
            error: None,
        });
    }

    let lock = Lock {
        version: airgap_artifacts::lock::LOCK_VERSION,
        environment: target.env.clone(),
        registry: ecr.login.host.clone(),
        fail_on: fail_on.to_string(),
        artifacts: outcomes.iter().map(|o| o.entry.clone()).collect(),
    };
    let lock_path = run.lock.clone().unwrap_or_else(|| default_lock(run.file));
    if !run.approved {
        lock.write(&lock_path).map_err(|e| Failure::failed(miette!("{e}")))?;
    }
    let bytes: u64 = outcomes.iter().map(|o| o.bytes_copied).sum();
    let failed = outcomes.iter().filter(|o| o.entry.gate == Gate::Failed).count();
    match global.output {
        Output::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "environment": target.env,
                "registry": ecr.login.host,
                "failOn": fail_on.to_string(),
                "lock": (!run.approved).then(|| lock_path.display().to_string()),
                "bytesCopied": bytes,
                "seconds": started.elapsed().as_secs_f64(),
                "artifacts": outcomes,
            }))
            .expect("serializes")
        )),
        Output::Text => {
            out(&format!(
                "{} artifact{} into {}: {} copied in {:.1} s; {} passed, {} failed the gate (--fail-on {}).{}\n",
                outcomes.len(),
                if outcomes.len() == 1 { "" } else { "s" },
                ecr.login.host,
                human_bytes(bytes),
                started.elapsed().as_secs_f64(),
                outcomes.len() - failed,
                failed,
                fail_on,
                if run.approved { String::new() } else { format!(" Lock: {}", lock_path.display()) },
            ));
        }
    }
    Ok(if failed > 0 { ExitStatus::Failed } else { ExitStatus::Success })
}

fn failed_outcome(item: &Item, error: &str, t0: Instant) -> Outcome {
    Outcome {
        entry: LockEntry {
            source: item.written.clone(),
            source_digest: item.source.digest.clone().unwrap_or_default(),
            repository: item.repository.clone(),
            tag: item.tag.clone(),
            digest: String::new(),
            images: Vec::new(),
            scan: ScanSummary { status: "NOT_COPIED".into(), findings: Default::default() },
            gate: Gate::Failed,
            synced_at: now_rfc3339(),
            chart: item.chart,
        },
        bytes_copied: 0,
        blobs_copied: 0,
        blobs_present: 0,
        up_to_date: false,
        seconds: t0.elapsed().as_secs_f64(),
        error: Some(error.to_string()),
    }
}

/// Waits for every image's scan (ECR scans image manifests, not indexes), summing the
/// findings; a scan that does not complete in `timeout` is reported as such.
async fn wait_for_scans(
    provider: &Provider,
    scope: &Scope,
    repository: &str,
    images: &[PlatformImage],
    scan_on_push: bool,
    poll: Duration,
    timeout: u64,
) -> Result<ScanSummary, Failure> {
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let mut summary = ScanSummary { status: "COMPLETE".into(), findings: Default::default() };
    for img in images {
        let mut started = scan_on_push;
        loop {
            match provider.scan_state(scope, repository, &img.digest).await.map_err(kind_failed)? {
                ScanState::Complete(counts) => {
                    for (k, v) in counts {
                        *summary.findings.entry(k).or_default() += v;
                    }
                    break;
                }
                ScanState::None if !started => {
                    provider
                        .start_scan(scope, repository, &img.digest)
                        .await
                        .map_err(kind_failed)?;
                    started = true;
                }
                ScanState::Other { status, description } => {
                    summary.status = if description.is_empty() {
                        status
                    } else {
                        format!("{status}: {description}")
                    };
                    return Ok(summary);
                }
                ScanState::None | ScanState::InProgress => {}
            }
            if Instant::now() >= deadline {
                summary.status = format!("NOT_COMPLETE after {timeout} s");
                return Ok(summary);
            }
            tokio::time::sleep(poll).await;
        }
    }
    Ok(summary)
}

/// The scan status of a chart.
const NOT_SCANNED: &str = "NOT_SCANNED (a Helm chart)";

/// Passed: a complete scan with nothing at or above the threshold (a chart: not scanned).
fn gate_of(scan: &ScanSummary, fail_on: Severity) -> Gate {
    let over = scan
        .findings
        .iter()
        .any(|(k, &n)| n > 0 && k.parse::<Severity>().is_ok_and(|s| s.fails(fail_on)));
    if (scan.status == "COMPLETE" || scan.status == NOT_SCANNED) && !over {
        Gate::Passed
    } else {
        Gate::Failed
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

fn line(label: &str, r: &CopyReport, scan: &ScanSummary, gate: Gate, took: Duration) -> String {
    let copy = if r.up_to_date {
        "up to date".to_string()
    } else {
        format!(
            "{} in {} blobs ({} there already)",
            human_bytes(r.bytes_copied),
            r.blobs_copied,
            r.blobs_present
        )
    };
    let findings = if scan.findings.is_empty() {
        "no findings".to_string()
    } else {
        scan.findings.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    };
    let gate = match gate {
        Gate::Passed => "passed",
        Gate::Failed => "FAILED the gate",
    };
    format!(
        "{label:<40} {} {copy}, {:.1} s; scan {}: {findings}; {gate}",
        &r.digest[..r.digest.len().min(19)],
        took.as_secs_f64(),
        scan.status
    )
}

/// One stored image in `artifacts scan`'s report.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stored {
    repository: String,
    #[serde(flatten)]
    image: airgap_aws::artifacts::StoredImage,
    /// Whether its findings fail the threshold (an index is never scanned: false).
    over_threshold: bool,
}

fn is_index(media_type: &str) -> bool {
    media_type == airgap_artifacts::copy::OCI_INDEX
        || media_type == airgap_artifacts::copy::DOCKER_LIST
}

async fn scan(args: &ScanArgs, global: &Global) -> CmdResult {
    let fail_on = severity(&args.gate.fail_on)?;
    let loaded = Loaded::new(&args.file, &args.gate.env, args.gate.time_scale, global).await?;
    let provider = loaded.provider()?;
    let poll = Duration::from_secs_f64((5.0 * args.gate.time_scale).clamp(0.05, 5.0));
    let mut all = Vec::new();
    for (_, scope, spec) in &loaded.repos {
        let images = match provider.list_images(scope, &spec.name).await {
            Ok(i) => i,
            // Declared, not created yet (no apply, no sync): nothing stored.
            Err(e) if e.code == "RepositoryNotFoundException" => continue,
            Err(e) => return Err(kind_failed(e)),
        };
        let images = if args.rescan {
            let scanned: Vec<PlatformImage> = images
                .iter()
                .filter(|i| !is_index(&i.media_type))
                .map(|i| PlatformImage { platform: String::new(), digest: i.digest.clone() })
                .collect();
            for i in &scanned {
                provider.start_scan(scope, &spec.name, &i.digest).await.map_err(kind_failed)?;
            }
            wait_for_scans(
                provider,
                scope,
                &spec.name,
                &scanned,
                true,
                poll,
                args.gate.scan_timeout,
            )
            .await?;
            provider.list_images(scope, &spec.name).await.map_err(kind_failed)?
        } else {
            images
        };
        for image in images {
            let over = !is_index(&image.media_type)
                && image
                    .findings
                    .iter()
                    .any(|(k, &n)| n > 0 && k.parse::<Severity>().is_ok_and(|s| s.fails(fail_on)));
            all.push(Stored { repository: spec.name.clone(), image, over_threshold: over });
        }
    }
    let over = all.iter().filter(|s| s.over_threshold).count();
    match global.output {
        Output::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "environment": loaded.target.env,
                "failOn": fail_on.to_string(),
                "images": all,
                "overThreshold": over,
            }))
            .expect("serializes")
        )),
        Output::Text => {
            let mut text = format!(
                "{:<28} {:<16} {:<19} {:<12} {}\n",
                "REPOSITORY", "TAGS", "DIGEST", "SCAN", "FINDINGS"
            );
            for s in &all {
                let tags =
                    if s.image.tags.is_empty() { "-".to_string() } else { s.image.tags.join(",") };
                let scan = if is_index(&s.image.media_type) {
                    "index".to_string()
                } else {
                    s.image.scan_status.clone().unwrap_or_else(|| "NONE".into())
                };
                let findings = if s.image.findings.is_empty() {
                    "-".to_string()
                } else {
                    s.image
                        .findings
                        .iter()
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                text.push_str(&format!(
                    "{:<28} {:<16} {:<19} {:<12} {findings}{}\n",
                    s.repository,
                    tags,
                    &s.image.digest[..s.image.digest.len().min(19)],
                    scan,
                    if s.over_threshold { "  <- at or above --fail-on" } else { "" }
                ));
            }
            text.push_str(&format!(
                "{} image{} in {} repositor{}; {over} with findings at or above {fail_on}.\n",
                all.len(),
                if all.len() == 1 { "" } else { "s" },
                loaded.repos.len(),
                if loaded.repos.len() == 1 { "y" } else { "ies" },
            ));
            out(&text);
        }
    }
    Ok(if over > 0 { ExitStatus::Failed } else { ExitStatus::Success })
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

/// `artifacts export`: the manifest's images (or an approved lock's) copied from their
/// registries into an OCI image layout, or a tar of one, to carry across a physical gap.
/// No AWS call: this runs on the connected side.
async fn export(args: &ExportArgs, global: &Global) -> CmdResult {
    let started = Instant::now();
    let manifest = read_manifest(&args.file)?;
    let dir = args.file.parent().unwrap_or(Path::new("."));
    let (bp, _) = super::validate::load(&[dir.join(&manifest.blueprint.value)], &[])?;
    manifest.check_against(&bp).map_err(Failure::invalid)?;
    let approved = read_lock(args.approved.as_deref())?;
    let items = items_of(&manifest, approved.as_ref(), None, false)?;
    let layout_dir = if is_tar(&args.to) { work_dir(&args.to) } else { args.to.clone() };
    let layout = airgap_artifacts::Layout::create(&layout_dir)
        .map_err(|e| Failure::failed(miette!("{e}")))?;
    let plain: Vec<String> = manifest.plain_http.iter().map(|s| s.value.clone()).collect();
    let text = global.output == Output::Text;
    let mut reports = Vec::new();
    let mut failed = 0;
    for item in &items {
        let registry = Registry::new(
            &item.source.registry,
            &RegistryOptions {
                plain_http: plain.contains(&item.source.registry),
                proxy: None,
                basic: None,
            },
        );
        let label = format!("{}:{}", item.repository, item.tag);
        let bar = bar(text, &label);
        let r = copy_image(
            &Store::Registry(&registry),
            &item.source,
            &item.platforms,
            &Store::Layout(&layout),
            &item.repository,
            &item.tag,
            &|p| on_progress(&bar, &label, p),
        )
        .await;
        bar.finish_and_clear();
        match r {
            Ok(r) if item.expect.as_ref().is_some_and(|d| *d != r.digest) => {
                failed += 1;
                if text {
                    out(&format!(
                        "{label:<40} FAILED: exported {} but the lock approved {}\n",
                        r.digest,
                        item.expect.as_deref().unwrap_or_default()
                    ));
                }
            }
            Ok(r) => {
                if text {
                    out(&format!(
                        "{label:<40} {} {}\n",
                        &r.digest[..r.digest.len().min(19)],
                        if r.up_to_date {
                            "up to date".to_string()
                        } else {
                            human_bytes(r.bytes_copied)
                        }
                    ));
                }
                reports.push(serde_json::json!({"repository": item.repository, "tag": item.tag, "source": item.written, "report": r}));
            }
            Err(e) => {
                failed += 1;
                if text {
                    out(&format!("{label:<40} FAILED: {e}\n"));
                }
            }
        }
    }
    if is_tar(&args.to) {
        write_tar(&layout_dir, &args.to)?;
        std::fs::remove_dir_all(&layout_dir)
            .map_err(|e| io_failed("cannot remove", &layout_dir, e))?;
    }
    let bytes: u64 = reports.iter().filter_map(|r| r["report"]["bytesCopied"].as_u64()).sum();
    let size = if is_tar(&args.to) {
        std::fs::metadata(&args.to).map(|m| m.len()).unwrap_or(0)
    } else {
        0
    };
    match global.output {
        Output::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({
                "bundle": args.to.display().to_string(),
                "bundleBytes": size,
                "bytesCopied": bytes,
                "seconds": started.elapsed().as_secs_f64(),
                "artifacts": reports,
                "failed": failed,
            }))
            .expect("serializes")
        )),
        Output::Text => out(&format!(
            "{} artifact{} exported to {} ({} copied in {:.1} s){}.\n",
            reports.len(),
            if reports.len() == 1 { "" } else { "s" },
            args.to.display(),
            human_bytes(bytes),
            started.elapsed().as_secs_f64(),
            if failed > 0 { format!("; {failed} failed") } else { String::new() }
        )),
    }
    Ok(if failed > 0 { ExitStatus::Failed } else { ExitStatus::Success })
}

/// The layout as an uncompressed tar (its blobs are compressed already), written to a
/// temporary name and renamed: a killed export leaves no truncated bundle.
fn write_tar(layout: &Path, to: &Path) -> Result<(), Failure> {
    let tmp = to.with_extension("tar.partial");
    let file = std::fs::File::create(&tmp).map_err(|e| io_failed("cannot create", &tmp, e))?;
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    tar.mode(tar::HeaderMode::Deterministic);
    tar.append_dir_all(".", layout).map_err(|e| io_failed("cannot write", &tmp, e))?;
    let file = tar.into_inner().map_err(|e| io_failed("cannot write", &tmp, e))?;
    file.into_inner()
        .map_err(|e| io_failed("cannot write", &tmp, e.error()))?
        .sync_all()
        .map_err(|e| io_failed("cannot write", &tmp, e))?;
    std::fs::rename(&tmp, to).map_err(|e| io_failed("cannot rename", &tmp, e))
}

/// `artifacts import`: a bundle `export` wrote, pushed into the environment's
/// repositories like `sync` (HEAD first, scans, gate, lock), from the disk.
async fn import(args: &ImportArgs, global: &Global) -> CmdResult {
    let (run, loaded, items) =
        Run::start(&args.file, &args.lock, args.approved.as_deref(), &args.gate, true, global)
            .await?;
    let unpacked = is_tar(&args.from).then(|| work_dir(&args.from));
    if let Some(dir) = &unpacked {
        let _ = std::fs::remove_dir_all(dir);
        let file = std::fs::File::open(&args.from)
            .map_err(|e| Failure::invalid(miette!("cannot read {}: {e}", args.from.display())))?;
        let mut tar = tar::Archive::new(std::io::BufReader::new(file));
        // unpack() refuses entries that would land outside `dir` (`..`, absolute paths).
        tar.unpack(dir).map_err(|e| {
            Failure::invalid(miette!("{} is not a readable tar: {e}", args.from.display()))
        })?;
    }
    let dir = unpacked.clone().unwrap_or_else(|| args.from.clone());
    let layout =
        airgap_artifacts::Layout::open(&dir).map_err(|e| Failure::invalid(miette!("{e}")))?;
    let result = push_items(&loaded, &items, From::Layout(&layout), &run, global).await;
    if let Some(dir) = &unpacked {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
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
    fn the_gate_passes_complete_scans_under_the_threshold_and_charts() {
        let scan = |status: &str, f: &[(&str, u64)]| ScanSummary {
            status: status.into(),
            findings: f.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        };
        assert_eq!(gate_of(&scan("COMPLETE", &[("MEDIUM", 3)]), Severity::High), Gate::Passed);
        assert_eq!(gate_of(&scan("COMPLETE", &[("HIGH", 1)]), Severity::High), Gate::Failed);
        assert_eq!(gate_of(&scan("COMPLETE", &[("HIGH", 0)]), Severity::High), Gate::Passed);
        assert_eq!(gate_of(&scan("UNSUPPORTED_IMAGE", &[]), Severity::High), Gate::Failed);
        assert_eq!(gate_of(&scan("NOT_COMPLETE after 600 s", &[]), Severity::High), Gate::Failed);
        assert_eq!(gate_of(&scan(NOT_SCANNED, &[]), Severity::Critical), Gate::Passed);
    }

    #[test]
    fn dates_are_rfc3339_utc() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z') && &t[10..11] == "T", "{t}");
    }
}
