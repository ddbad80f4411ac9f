//! `artifacts sync` (and the push `import` shares with it): each artifact copied by digest,
//! its scan waited for and gated, the lock file written.

use airgap_artifacts::Ref;

use super::*;

pub(super) async fn sync(args: &SyncArgs, global: &Global) -> CmdResult {
    let (mut run, loaded, mut items) = Run::start(
        &args.file,
        &args.lock,
        args.pick.approved.as_deref(),
        &args.gate,
        false,
        global,
    )
    .await?;
    let sources = Sources::new(&loaded.manifest, args.pick.authfile.as_deref())?;
    let declared = loaded.pulled_from();
    let (staging, found) = super::charts::prepare(
        &mut items,
        &sources,
        &declared,
        args.pick.with_chart_images,
        global.output == Output::Text,
    )
    .await?;
    run.chart_images = found;
    let staged = staging.as_ref().map(|s| &s.layout);
    push_items(&loaded, &items, From::Registries(sources), staged, &run, global).await
}

pub(super) fn read_lock(path: Option<&Path>) -> Result<Option<Lock>, Failure> {
    path.map(Lock::read).transpose().map_err(|e| Failure::invalid(miette!("{e}")))
}

/// Copies each item into its repository, waits for its scans, gates, and writes the lock.
pub(super) async fn push_items(
    loaded: &Loaded,
    items: &[Item],
    from: From<'_>,
    staged: Option<&airgap_artifacts::Layout>,
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
        // Nodes pull only what an approved lock put in the repositories: without one, a
        // blueprint with `registries.quarantine` gets the copy in quarantine.
        let dest = loaded.destination(&item.repository, run.approved);
        let (node_id, repo_scope, spec) =
            repos.iter().find(|(_, _, s)| s.name == dest).expect("checked against the blueprint");
        let repo_ecr = provider.ecr_registry(repo_scope).map_err(kind_failed)?;
        if repo_ecr.ensure_repository(&target.env, node_id, spec).await.map_err(kind_failed)?
            && text
        {
            out(&format!("created repository {} (apply sets its pull policy)\n", spec.name));
        }
        let label = format!("{dest}:{}", item.tag);
        // An approved artifact still in its quarantine repository is promoted from there:
        // the bytes that were scanned, all of them under the approved digest, with no call
        // to the source (which the machine promoting them may not reach).
        let promoted = match &from {
            From::Registries(_) => quarantined_copy(&ecr, item).await,
            From::Layout(_) => None,
        };
        // A chart repository that could not be read matters only to a copy from it.
        if let Some(e) = super::charts::fetch_error(item).filter(|_| promoted.is_none()) {
            if text {
                out(&format!("{label:<40} FAILED: {e}\n"));
            }
            outcomes.push(failed_outcome(item, e, t0));
            continue;
        }
        let registry;
        let (src, source, platforms) = match (&from, staged, &promoted) {
            (_, _, Some(q)) => (Store::Registry(&ecr.registry), q, &[][..]),
            // A chart of a classic chart repository, staged as helm push's OCI artifact.
            (From::Registries(_), Some(l), None) if item.repo_chart.is_some() => {
                (Store::Layout(l), &item.source, &item.platforms[..])
            }
            (From::Registries(sources), _, None) => {
                registry = sources.registry(item)?;
                (Store::Registry(&registry), &item.source, &item.platforms[..])
            }
            (From::Layout(l), _, None) => (Store::Layout(l), &item.source, &item.platforms[..]),
        };
        let bar = bar(text, &label);
        let copied = copy_image(
            &src,
            source,
            platforms,
            &Store::Registry(&ecr.registry),
            &dest,
            &item.tag,
            &|p| on_progress(&bar, &label, p),
        )
        .await;
        bar.finish_and_clear();
        let report = match copied {
            Ok(r) => r,
            Err(e) => {
                // The login hint is for a source; a promotion reads the target registry.
                let e = match &promoted {
                    Some(_) => e.to_string(),
                    None => super::explain(&e, &source.registry),
                };
                if text {
                    out(&format!("{label:<40} FAILED: {e}\n"));
                }
                outcomes.push(failed_outcome(item, &e, t0));
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
                repo_ecr,
                &dest,
                &report.images,
                spec.scan_on_push || loaded.enhanced,
                poll,
                run.scan_timeout,
            )
            .await?
        };
        let gate = gate_of(&scan, fail_on);
        if gate == Gate::Failed {
            // Out of the repositories nodes pull from: a failed image is not left there
            // (nor in quarantine, whose immutable tag would refuse the fixed image).
            repo_ecr.delete_image(&dest, &report.digest).await.map_err(kind_failed)?;
            for i in &report.images {
                let _ = repo_ecr.delete_image(&dest, &i.digest).await;
            }
        }
        if text {
            out(&format!("{}\n", line(&label, &report, &scan, gate, t0.elapsed())));
        }
        // Promoted from quarantine: the source digest is the lock's, not the copy's.
        let source_digest = match (&promoted, &item.source.digest) {
            (Some(_), Some(d)) => d.clone(),
            _ => report.source_digest.clone(),
        };
        // A classic repository's chart: its .tgz's URL and digest are its source.
        let (source, source_digest) = super::charts::fetched_source(item)
            .unwrap_or_else(|| (item.written.clone(), source_digest));
        outcomes.push(Outcome {
            entry: LockEntry {
                source,
                source_digest,
                repository: item.repository.clone(),
                tag: item.tag.clone(),
                digest: report.digest.clone(),
                images: report.images.clone(),
                scan,
                gate,
                synced_at: now_rfc3339(),
                chart: item.chart,
                chart_repo: item.repo_chart.as_ref().map(|r| r.source.clone()),
                quarantine: (dest != item.repository).then(|| dest.clone()),
            },
            bytes_copied: report.bytes_copied,
            blobs_copied: report.blobs_copied,
            blobs_present: report.blobs_present,
            blobs_mounted: report.blobs_mounted,
            up_to_date: report.up_to_date,
            promoted_from: promoted.map(|p| p.repository),
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
                "chartImages": (!run.chart_images.is_empty()).then_some(&run.chart_images),
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

/// Where an approved item can be promoted from: its quarantine repository, when that
/// still holds the approved digest. `None` sends the copy to the source, by that digest
/// (the same bytes): the copy was expired from quarantine (a lifecycle rule), or the
/// HEAD was refused (the endpoint policy of a VPC holding a cluster does not let it pull
/// from quarantine).
async fn quarantined_copy(ecr: &Ecr<'_>, item: &Item) -> Option<ImageRef> {
    let (q, digest) = (item.quarantined.as_ref()?, item.expect.as_ref()?);
    let at = Ref::Digest(digest.clone());
    match Store::Registry(&ecr.registry).manifest_digest(q, &at).await {
        Ok(Some(_)) => Some(ImageRef {
            registry: ecr.login.host.clone(),
            repository: q.clone(),
            tag: None,
            digest: Some(digest.clone()),
        }),
        Ok(None) => {
            tracing::info!(repository = %q, %digest, "not in quarantine any more: copied from its source");
            None
        }
        Err(e) => {
            tracing::warn!(repository = %q, %digest, error = %e, "cannot read quarantine: copied from its source");
            None
        }
    }
}

pub(super) fn failed_outcome(item: &Item, error: &str, t0: Instant) -> Outcome {
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
            chart_repo: item.repo_chart.as_ref().map(|r| r.source.clone()),
            quarantine: None,
        },
        bytes_copied: 0,
        blobs_copied: 0,
        blobs_present: 0,
        blobs_mounted: 0,
        up_to_date: false,
        promoted_from: None,
        seconds: t0.elapsed().as_secs_f64(),
        error: Some(error.to_string()),
    }
}

/// Waits for every image's scan (ECR scans image manifests, not indexes), summing the
/// findings; a scan that does not complete in `timeout` is reported as such.
pub(super) async fn wait_for_scans(
    registry: EcrRegistry<'_>,
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
            match registry.scan_state(repository, &img.digest).await.map_err(kind_failed)? {
                ScanState::Complete(counts) => {
                    for (k, v) in counts {
                        *summary.findings.entry(k).or_default() += v;
                    }
                    break;
                }
                ScanState::None if !started => {
                    registry.start_scan(repository, &img.digest).await.map_err(kind_failed)?;
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
pub(super) fn gate_of(scan: &ScanSummary, fail_on: Severity) -> Gate {
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

pub(super) fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

pub(super) fn line(
    label: &str,
    r: &CopyReport,
    scan: &ScanSummary,
    gate: Gate,
    took: Duration,
) -> String {
    let copy = if r.up_to_date {
        "up to date".to_string()
    } else {
        let mounted = match r.blobs_mounted {
            0 => String::new(),
            n => format!(", {n} mounted"),
        };
        format!(
            "{} in {} blobs ({} there already{mounted})",
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
