//! `airgapctl artifacts sync`: the images of an artifacts manifest copied by digest into
//! the environment's ECR repositories, each scanned and gated; the lock file written.
//! With `--approved LOCK`, exactly the digests an approved lock names (docs/artifacts.md).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use airgap_artifacts::{
    copy_image, CopyReport, Gate, Lock, LockEntry, PlatformImage, Registry, RegistryOptions,
    ScanSummary, Severity,
};
use airgap_aws::artifacts::{RegistryLogin, ScanState};
use airgap_aws::Provider;
use airgap_blueprint::{ImageRef, Platform};
use airgap_catalog::spec::{EcrRepositorySpec, Spec};
use airgap_engine::Scope;
use miette::miette;
use serde::Serialize;

use super::{out, Backend, Target};
use crate::cli::{ArtifactsAction, ArtifactsCmd, Global, Output, SyncArgs};
use crate::exit::{CmdResult, ExitStatus, Failure};

pub async fn run(cmd: &ArtifactsCmd, global: &Global) -> CmdResult {
    match &cmd.action {
        ArtifactsAction::Sync(args) => sync(args, global).await,
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
    let secs =
        SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
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
        let left = self.login.expires_at.duration_since(SystemTime::now()).unwrap_or_default();
        if left < Duration::from_secs(1800) {
            self.login = self.provider.registry_login(&self.scope).await.map_err(kind_failed)?;
            self.registry = Self::registry(self.provider, &self.login);
        }
        Ok(())
    }
}

fn kind_failed(e: airgap_engine::KindError) -> Failure {
    Failure::failed(miette!("{}: {}", e.code, e.message))
}

async fn sync(args: &SyncArgs, global: &Global) -> CmdResult {
    let started = Instant::now();
    let manifest = read_manifest(&args.file)?;
    let fail_on: Severity =
        args.fail_on.parse().map_err(|e: String| Failure::invalid(miette!("--fail-on: {e}")))?;
    let dir = args.file.parent().unwrap_or(Path::new("."));
    let bp_path = dir.join(&manifest.blueprint.value);
    let (bp, _) = super::validate::load(std::slice::from_ref(&bp_path), &[])?;
    manifest.check_against(&bp).map_err(Failure::invalid)?;
    let approved = args
        .approved
        .as_ref()
        .map(|p| Lock::read(p))
        .transpose()
        .map_err(|e| Failure::invalid(miette!("{e}")))?;

    let source =
        crate::cli::Source::aws(vec![bp_path.clone()], vec![], args.env.clone(), args.time_scale);
    let target = Target::resolve(&source, global).await?;
    let Backend::Aws(provider) = &target.backend else {
        return Err(Failure::invalid(miette!("artifacts work on AWS only")));
    };
    // The blueprint's repositories: their nodes (for the tags a created one gets), scope
    // and settings.
    let repos: Vec<(String, Scope, EcrRepositorySpec)> = target
        .graph
        .nodes()
        .filter(|n| n.kind == airgap_catalog::ECR_REPOSITORY.name)
        .filter_map(|n| {
            let spec = EcrRepositorySpec::from_attrs(&n.attrs).ok()?;
            Some((n.id.0.clone(), n.scope.clone(), spec))
        })
        .collect();
    let Some((_, scope, _)) = repos.first() else {
        return Err(Failure::invalid(miette!(
            help = "declare registries.repositories in the blueprint",
            "the blueprint declares no repositories"
        )));
    };
    let mut ecr = Ecr::connect(provider, scope.clone()).await?;

    let items: Vec<Item> = match &approved {
        Some(lock) => {
            if lock.environment != target.env {
                return Err(Failure::invalid(miette!(
                    help = "an approved lock is synced into any environment with --env, but says which it was written for",
                    "the lock was written for environment {}, not {} (give --env {} to sync it here)",
                    lock.environment, target.env, target.env
                )));
            }
            let mut items = Vec::new();
            for e in &lock.artifacts {
                if e.gate != Gate::Passed {
                    continue;
                }
                let mut source = ImageRef::parse(&e.source)
                    .map_err(|x| Failure::invalid(miette!("lock entry {}: {}", e.source, x.0)))?;
                // By the digest approved, whatever the tag names now.
                source.digest = Some(e.source_digest.clone());
                let platforms = if e.digest == e.source_digest {
                    Vec::new()
                } else {
                    e.images.iter().filter_map(|i| Platform::parse(&i.platform)).collect()
                };
                items.push(Item {
                    source,
                    platforms,
                    repository: e.repository.clone(),
                    tag: e.tag.clone(),
                    expect: Some(e.digest.clone()),
                    written: e.source.clone(),
                });
            }
            items
        }
        None => manifest
            .images
            .iter()
            .map(|i| Item {
                source: i.source.value.clone(),
                platforms: i.platforms.iter().map(|p| p.value.clone()).collect(),
                repository: i.repository.value.clone(),
                tag: i.tag.value.clone(),
                expect: None,
                written: i.source.value.to_string(),
            })
            .collect(),
    };

    let plain: Vec<&str> = manifest.plain_http.iter().map(|s| s.value.as_str()).collect();
    let poll = Duration::from_secs_f64((5.0 * args.time_scale).clamp(0.05, 5.0));
    let text = global.output == Output::Text;
    let mut outcomes = Vec::new();
    for item in &items {
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
        let src = Registry::new(
            &item.source.registry,
            &RegistryOptions {
                plain_http: plain.contains(&item.source.registry.as_str()),
                proxy: None,
                basic: None,
            },
        );
        let label = format!("{}:{}", item.repository, item.tag);
        let copied = copy_image(
            &src,
            &item.source,
            &item.platforms,
            &ecr.registry,
            &item.repository,
            &item.tag,
            &|p| {
                tracing::debug!(artifact = %label, progress = ?p, "copy");
            },
        )
        .await;
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
        let scan = wait_for_scans(
            provider,
            repo_scope,
            &item.repository,
            &report.images,
            spec.scan_on_push,
            poll,
            args.scan_timeout,
        )
        .await?;
        let gate = gate_of(&scan, fail_on);
        if gate == Gate::Failed && approved.is_none() {
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
    let lock_path = args.lock.clone().unwrap_or_else(|| default_lock(&args.file));
    if approved.is_none() {
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
                "lock": (approved.is_none()).then(|| lock_path.display().to_string()),
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
                if approved.is_none() { format!(" Lock: {}", lock_path.display()) } else { String::new() },
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

/// Passed: a complete scan with nothing at or above the threshold.
fn gate_of(scan: &ScanSummary, fail_on: Severity) -> Gate {
    let over = scan
        .findings
        .iter()
        .any(|(k, &n)| n > 0 && k.parse::<Severity>().is_ok_and(|s| s.fails(fail_on)));
    if scan.status == "COMPLETE" && !over {
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
