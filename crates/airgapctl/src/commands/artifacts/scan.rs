//! `artifacts scan`: the last scan of every stored image, from DescribeImages; with
//! `--rescan`, scanned again first.

use super::sync::wait_for_scans;
use super::*;
use crate::cli::ScanArgs;

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

pub(super) fn is_index(media_type: &str) -> bool {
    media_type == airgap_artifacts::copy::OCI_INDEX
        || media_type == airgap_artifacts::copy::DOCKER_LIST
}

pub(super) async fn scan(args: &ScanArgs, global: &Global) -> CmdResult {
    let fail_on = severity(&args.gate.fail_on)?;
    let loaded = Loaded::new(&args.file, &args.gate.env, args.gate.time_scale, global).await?;
    let provider = loaded.provider()?;
    let poll = Duration::from_secs_f64((5.0 * args.gate.time_scale).clamp(0.05, 5.0));
    let mut all = Vec::new();
    for (_, scope, spec) in &loaded.repos {
        let registry = provider.ecr_registry(scope).map_err(kind_failed)?;
        let images = match registry.list_images(&spec.name).await {
            Ok(i) => i,
            // Declared, not created yet (no apply, no sync): nothing stored.
            Err(e) if e.code == "RepositoryNotFoundException" => continue,
            Err(e) => return Err(kind_failed(e)),
        };
        // Enhanced scanning rescans continuously: nothing to start.
        let images = if args.rescan && !loaded.enhanced {
            let scanned: Vec<PlatformImage> = images
                .iter()
                .filter(|i| !is_index(&i.media_type))
                .map(|i| PlatformImage { platform: String::new(), digest: i.digest.clone() })
                .collect();
            for i in &scanned {
                registry.start_scan(&spec.name, &i.digest).await.map_err(kind_failed)?;
            }
            wait_for_scans(registry, &spec.name, &scanned, true, poll, args.gate.scan_timeout)
                .await?;
            registry.list_images(&spec.name).await.map_err(kind_failed)?
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
