//! `artifacts export` and `import`: the manifest's artifacts as an OCI image layout (a
//! directory or a deterministic tar), carried across a physical gap and pushed there as
//! `sync` pushes.

use super::sync::{human_bytes, push_items};
use super::*;

/// `artifacts export`: the manifest's images (or an approved lock's) copied from their
/// registries into an OCI image layout, or a tar of one, to carry across a physical gap.
/// No AWS call: this runs on the connected side.
pub(super) async fn export(args: &ExportArgs, global: &Global) -> CmdResult {
    let started = Instant::now();
    let manifest = read_manifest(&args.file)?;
    let dir = args.file.parent().unwrap_or(Path::new("."));
    let (bp, _) = super::super::validate::load(&[dir.join(&manifest.blueprint.value)], &[])?;
    manifest.check_against(&bp).map_err(Failure::invalid)?;
    let approved = read_lock(args.pick.approved.as_deref())?;
    let mut items = items_of(&manifest, approved.as_ref(), None, false)?;
    let layout_dir = if is_tar(&args.to) { work_dir(&args.to) } else { args.to.clone() };
    let layout = airgap_artifacts::Layout::create(&layout_dir)
        .map_err(|e| Failure::failed(miette!("{e}")))?;
    let sources = Sources::new(&manifest, args.pick.authfile.as_deref())?;
    let text = global.output == Output::Text;
    let declared: Vec<&str> = bp
        .registries
        .iter()
        .flat_map(|r| r.repositories.iter().map(|s| s.value.as_str()))
        .collect();
    let (staging, found) =
        super::charts::prepare(&mut items, &sources, &declared, args.pick.with_chart_images, text)
            .await?;
    let mut reports = Vec::new();
    let mut failed = 0;
    for item in &items {
        let label = format!("{}:{}", item.repository, item.tag);
        if let Some(e) = super::charts::fetch_error(item) {
            failed += 1;
            if text {
                out(&format!("{label:<40} FAILED: {e}\n"));
            }
            continue;
        }
        let registry = sources.registry(item)?;
        let bar = bar(text, &label);
        let src = match &staging {
            Some(s) if item.repo_chart.is_some() => Store::Layout(&s.layout),
            _ => Store::Registry(&registry),
        };
        let r = copy_image(
            &src,
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
                let e = super::explain(&e, &item.source.registry);
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
                "chartImages": (!found.is_empty()).then_some(&found),
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
pub(super) fn write_tar(layout: &Path, to: &Path) -> Result<(), Failure> {
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
pub(super) async fn import(args: &ImportArgs, global: &Global) -> CmdResult {
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
    let result = push_items(&loaded, &items, From::Layout(&layout), None, &run, global).await;
    if let Some(dir) = &unpacked {
        let _ = std::fs::remove_dir_all(dir);
    }
    result
}
