//! Before a copy: the charts of classic chart repositories fetched (index.yaml, the .tgz
//! checked against the index's digest) and staged as `helm push`'s OCI artifact in a
//! layout the copy reads from, so they go into ECR as OCI charts do (HEAD first, whole
//! blobs); and, with `--with-chart-images`, the images the charts deploy added as images.

use airgap_artifacts::chart_images::{chart_images, repository_for, tag_for};
use airgap_artifacts::helm::{self, ChartRepos};
use airgap_artifacts::{ChartRepoSource, Layout, Ref};

use super::*;

/// A chart of a classic chart repository, as a run takes it.
#[derive(Clone, Debug)]
pub(super) struct RepoChartItem {
    pub(super) source: ChartRepoSource,
    /// From an approved lock: the .tgz's digest, which the one fetched must have.
    pub(super) approved: Option<String>,
    /// Once fetched: the .tgz's URL and digest, or why it could not be fetched.
    pub(super) fetched: Option<Result<(String, String), String>>,
}

impl RepoChartItem {
    pub(super) fn new(repo: &str, chart: &str, version: &str, approved: Option<&str>) -> Self {
        RepoChartItem {
            source: ChartRepoSource {
                repo: repo.to_string(),
                chart: chart.to_string(),
                version: version.to_string(),
            },
            approved: approved.map(str::to_string),
            fetched: None,
        }
    }
}

/// How a staged chart is named: the staging layout holds it under its repository and tag.
pub(super) fn staged_ref(repository: &str, tag: &str) -> ImageRef {
    ImageRef {
        registry: airgap_blueprint::artifacts::CHART_REPO_STAGING.into(),
        repository: repository.to_string(),
        tag: Some(tag.to_string()),
        digest: None,
    }
}

/// The layout the staged charts are read from; removed when the run ends.
pub(super) struct Staging {
    pub(super) layout: Layout,
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.layout.dir);
    }
}

/// An image a chart deploys, as `--with-chart-images` found it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Found {
    /// The chart, as `repository:tag`.
    pub(super) chart: String,
    pub(super) image: String,
    /// Where in the chart it was read.
    pub(super) found: String,
    /// The declared repository it goes into.
    pub(super) repository: Option<String>,
    pub(super) tag: String,
    /// The manifest (or another chart) lists it already: not added twice.
    pub(super) listed: bool,
}

/// Fetches and stages the classic charts among `items` (a chart that cannot be fetched is
/// marked, and fails alone in the copy); with `with_images`, adds the images every chart
/// deploys as items. An image without a declared repository fails the run (exit 3) before
/// anything is copied.
pub(super) async fn prepare(
    items: &mut Vec<Item>,
    sources: &Sources,
    declared: &[&str],
    with_images: bool,
    text: bool,
) -> Result<(Option<Staging>, Vec<Found>), Failure> {
    let mut staging: Option<Staging> = None;
    let repos = ChartRepos::with_credentials(sources.creds.clone());
    let mut archives: Vec<(String, Vec<u8>)> = Vec::new();
    for item in items.iter_mut() {
        let label = format!("{}:{}", item.repository, item.tag);
        if let Some(rc) = &mut item.repo_chart {
            if staging.is_none() {
                let dir =
                    std::env::temp_dir().join(format!("airgapctl-charts-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&dir);
                let layout = Layout::create(&dir).map_err(|e| Failure::failed(miette!("{e}")))?;
                staging = Some(Staging { layout });
            }
            let layout = &staging.as_ref().expect("created above").layout;
            let s = &rc.source;
            let fetched =
                match repos.fetch(&s.repo, &s.chart, &s.version, rc.approved.as_deref()).await {
                    Ok(f) => helm::stage(layout, &item.repository, &item.tag, &f.tgz).map(|_| f),
                    Err(e) => Err(e),
                };
            match fetched {
                Ok(f) => {
                    rc.fetched = Some(Ok((f.url.clone(), f.digest.clone())));
                    if with_images {
                        archives.push((label, f.tgz.to_vec()));
                    }
                }
                Err(e) => rc.fetched = Some(Err(super::explain(&e, &rc.source.repo))),
            }
        } else if with_images && item.chart {
            let registry = sources.registry(item)?;
            let at = match (&item.source.digest, &item.source.tag) {
                (Some(d), _) => Ref::Digest(d.clone()),
                (None, t) => Ref::Tag(t.clone().unwrap_or_else(|| "latest".into())),
            };
            let tgz =
                helm::chart_archive(&Store::Registry(&registry), &item.source.repository, &at)
                    .await
                    .map_err(|e| {
                        Failure::failed(miette!("{label}: reading the chart for its images: {e}"))
                    })?;
            archives.push((label, tgz.to_vec()));
        }
    }

    let mut found: Vec<Found> = Vec::new();
    for (label, tgz) in archives {
        let files = helm::chart_files(&tgz)
            .map_err(|m| Failure::failed(miette!("{label}: not a chart archive: {m}")))?;
        for ci in chart_images(&files) {
            let image = ci.image.to_string();
            let repository = repository_for(&ci.image, declared).map(str::to_string);
            let tag = tag_for(&ci.image);
            let listed = items.iter().any(|i| {
                i.source == ci.image
                    || repository.as_ref().is_some_and(|r| i.repository == *r && i.tag == tag)
            }) || found.iter().any(|f| f.image == image);
            found.push(Found {
                chart: label.clone(),
                image,
                found: ci.found,
                repository,
                tag,
                listed,
            });
        }
    }
    let missing: Vec<&Found> =
        found.iter().filter(|f| f.repository.is_none() && !f.listed).collect();
    if !missing.is_empty() {
        let lines: Vec<String> = missing
            .iter()
            .map(|f| format!("  {} (chart {}, {})", f.image, f.chart, f.found))
            .collect();
        return Err(Failure::invalid(miette!(
            help = format!(
                "declare a repository for each under registries.repositories in the blueprint \
                 (named as the image's path, or ending in /<its last path part>: one of {} does \
                 not), or list the image under `images:` in the manifest with its repository",
                declared.join(", ")
            ),
            "{} image{} the charts deploy {} no repository in the blueprint:\n{}",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            if missing.len() == 1 { "has" } else { "have" },
            lines.join("\n")
        )));
    }
    for f in found.iter().filter(|f| !f.listed) {
        let (Some(repository), Ok(source)) = (&f.repository, ImageRef::parse(&f.image)) else {
            continue;
        };
        items.push(Item {
            source,
            platforms: Vec::new(),
            repository: repository.clone(),
            tag: f.tag.clone(),
            expect: None,
            written: f.image.clone(),
            chart: false,
            repo_chart: None,
            quarantined: None,
        });
    }
    if text {
        for f in &found {
            let to = match (&f.repository, f.listed) {
                (_, true) => "listed already".to_string(),
                (Some(r), false) => format!("-> {r}:{}", f.tag),
                (None, false) => "no repository".to_string(),
            };
            out(&format!("{} deploys {} ({}): {to}\n", f.chart, f.image, f.found));
        }
    }
    Ok((staging, found))
}

/// Where a staged chart was fetched from, for the lock: the .tgz's URL and digest.
pub(super) fn fetched_source(item: &Item) -> Option<(String, String)> {
    match item.repo_chart.as_ref()?.fetched.as_ref()? {
        Ok(f) => Some(f.clone()),
        Err(_) => None,
    }
}

/// Why a chart of a classic chart repository could not be fetched, if it could not.
pub(super) fn fetch_error(item: &Item) -> Option<&str> {
    match item.repo_chart.as_ref()?.fetched.as_ref()? {
        Err(e) => Some(e),
        Ok(_) => None,
    }
}
