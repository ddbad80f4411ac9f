//! The artifacts manifest (`ARTIFACTS.yaml`): the images an environment's registry is fed
//! with by `airgapctl artifacts sync`, parsed like a blueprint: every problem at once,
//! each at its file:line:col with a fix, before anything is fetched.
//!
//! ```yaml
//! apiVersion: airgapctl.dev/v1alpha1
//! kind: Artifacts
//! blueprint: hub-spoke.yaml        # the environment, relative to this file
//! images:
//!   - source: docker.io/library/nginx:1.27.3
//!     repository: mirror/nginx      # one of the blueprint's registries.repositories
//!     platforms: [linux/amd64]      # default: every platform of the source
//! charts:                           # Helm charts stored as OCI artifacts
//!   - source: oci://ghcr.io/example/charts/app:1.2.3
//!     repository: charts/app
//!   - repo: https://charts.example.com/stable   # a classic chart repository (index.yaml)
//!     chart: app
//!     version: 1.2.3
//!     repository: charts/app
//! ```

use std::fmt;

use crate::diag::{Code, Diagnostics, Problem, Sink, Source};
use crate::model::{Blueprint, Spanned};
use crate::yaml;

/// The `kind` of an artifacts manifest.
pub const ARTIFACTS_KIND: &str = "Artifacts";
/// At most this many bytes: a manifest lists artifacts, it holds none.
pub const MAX_ARTIFACTS_BYTES: u64 = 1 << 20;

/// A parsed, validated artifacts manifest.
#[derive(Debug, Clone)]
pub struct Artifacts {
    /// The text, for diagnostics built later (a repository the blueprint lacks).
    pub source: Source,
    /// The blueprint's path as written (relative to the manifest's directory).
    pub blueprint: Spanned<String>,
    /// Source registries (`host[:port]`) reached over plain HTTP: a mirror on the
    /// operator's machine or network. Every other registry is HTTPS.
    pub plain_http: Vec<Spanned<String>>,
    /// The images, in the order written.
    pub images: Vec<ImageEntry>,
}

/// One image (or chart) to copy.
#[derive(Debug, Clone)]
pub struct ImageEntry {
    /// Where it comes from: an OCI reference. For a chart of a classic chart repository
    /// (`repo`), the chart as airgapctl stores it, read from the run's staging area
    /// (registry `chart-repo`, path the entry's repository, tag the version's OCI tag).
    pub source: Spanned<ImageRef>,
    /// The environment's repository it goes to.
    pub repository: Spanned<String>,
    /// The tag it gets there: the source's tag unless written.
    pub tag: Spanned<String>,
    /// The platforms wanted; empty: all of the source's.
    pub platforms: Vec<Spanned<Platform>>,
    /// A Helm chart stored as an OCI artifact (`charts:`), not a container image: ECR
    /// does not scan it.
    pub chart: bool,
    /// A chart of a classic chart repository (`repo:`, `chart:`, `version:`), fetched
    /// from its `index.yaml` and pushed as an OCI artifact in `helm push`'s form.
    pub repo_chart: Option<RepoChart>,
}

/// A chart of a classic Helm chart repository: an HTTP(S) URL serving `index.yaml` and
/// the charts' .tgz files, as `helm repo add` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoChart {
    /// The repository's URL, without a trailing `/` (index.yaml is under it).
    pub repo: Spanned<String>,
    /// The chart's name: its key under `entries` in index.yaml.
    pub chart: Spanned<String>,
    /// The exact version wanted (SemVer, as index.yaml lists it).
    pub version: Spanned<String>,
}

/// The registry name of the charts airgapctl builds from classic chart repositories:
/// they are read from a staging area, never from a registry of this name.
pub const CHART_REPO_STAGING: &str = "chart-repo";

/// The OCI tag Helm gives a chart version: OCI tags have no `+`, so `helm push` writes it
/// as `_` (Helm's pkg/registry, registryUnderscoreMessage).
pub fn chart_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// Whether `s` is a classic chart repository URL: `http://` or `https://`, a host, no
/// query, fragment or user info (credentials do not belong in a manifest).
pub fn chart_repo_url_problem(s: &str) -> Option<&'static str> {
    let rest = match s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")) {
        Some(r) => r,
        None if s.starts_with("oci://") => {
            return Some("an oci:// reference is an OCI chart: write it as `source:`")
        }
        None => return Some("the URL does not start with https:// or http://"),
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return Some("the URL has no host");
    }
    if host.contains('@') {
        return Some("the URL holds credentials");
    }
    if rest.contains('?') || rest.contains('#') {
        return Some("the URL has a query or fragment");
    }
    if rest.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("the URL has spaces");
    }
    None
}

/// A reference in the grammar of the distribution project's `reference` package (what
/// docker, skopeo and crane accept): `[host[:port]/]path[:tag][@sha256:hex]`, with
/// Docker Hub's defaults (`nginx` is `docker.io/library/nginx`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `host[:port]`.
    pub registry: String,
    /// The repository path in that registry.
    pub repository: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest, if any (pinned: the tag is then only a label).
    pub digest: Option<String>,
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Why a reference does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefError(pub String);

/// Whether `s` is a tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` (OCI distribution spec,
/// "Pulling manifests").
pub fn is_tag(s: &str) -> bool {
    let mut chars = s.chars();
    s.len() <= 128
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// Whether `s` is a sha256 digest: ECR keeps only those (ECR API reference,
/// ImageIdentifier.imageDigest: "The sha256 digest of the image manifest").
pub fn is_sha256_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64 && h.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}

/// One path component: lowercase letters and digits, separated by `.`, `_`, `__` or
/// runs of `-` (OCI distribution spec, the `<name>` grammar).
fn is_path_component(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() || !b[0].is_ascii_alphanumeric() || !b[b.len() - 1].is_ascii_alphanumeric() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            i += 1;
            continue;
        }
        let sep_end = match c {
            b'.' => i + 1,
            b'_' if b.get(i + 1) == Some(&b'_') => i + 2,
            b'_' => i + 1,
            b'-' => i + b[i..].iter().take_while(|&&c| c == b'-').count(),
            _ => return false,
        };
        if !b.get(sep_end).is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            return false;
        }
        i = sep_end;
    }
    true
}

impl ImageRef {
    /// Parses a reference, with Docker Hub's defaults.
    pub fn parse(text: &str) -> Result<ImageRef, RefError> {
        let err = |m: &str| Err(RefError(m.to_string()));
        if text.is_empty() || text.len() > 1024 {
            return err("a reference is 1 to 1024 characters");
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) if is_sha256_digest(d) => (r, Some(d.to_string())),
            Some(_) => return err("the digest is not sha256:<64 lowercase hex digits>"),
            None => (text, None),
        };
        // The tag is after the last ':' that follows the last '/' (a ':' before it is a
        // registry's port).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(t) = tag {
            if !is_tag(t) {
                return err("the tag is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
            }
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_string(), path.to_string())
            }
            _ if name.contains('/') => ("docker.io".to_string(), name.to_string()),
            _ => ("docker.io".to_string(), format!("library/{name}")),
        };
        let host_ok = !registry.is_empty()
            && registry.split(':').next().is_some_and(|h| {
                !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
            })
            && registry.split_once(':').is_none_or(|(_, p)| p.parse::<u16>().is_ok());
        if !host_ok {
            return err("the registry is not host[:port]");
        }
        if path.len() > 255 || !path.split('/').all(is_path_component) {
            return err("the repository path is not lowercase letters and digits separated by . _ __ - in /-separated parts");
        }
        if tag.is_none() && digest.is_none() {
            return err("the reference has neither a tag nor a digest");
        }
        Ok(ImageRef { registry, repository: path, tag: tag.map(str::to_string), digest })
    }
}

/// A platform: `os/architecture[/variant]` as image indexes write it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Platform {
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// e.g. `v8`, if written.
    pub variant: Option<String>,
}

impl Platform {
    /// Parses `os/arch[/variant]`.
    pub fn parse(text: &str) -> Option<Platform> {
        let parts: Vec<&str> = text.split('/').collect();
        let good = |s: &str| {
            !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| good(p)) {
            return None;
        }
        Some(Platform {
            os: parts[0].into(),
            architecture: parts[1].into(),
            variant: parts.get(2).map(|v| v.to_string()),
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Parses and validates an artifacts manifest; `name` is shown in diagnostics.
pub fn parse_artifacts(name: &str, text: &str) -> Result<Artifacts, Diagnostics> {
    let mut sink = Sink::new(name, text);
    let root = match yaml::parse(text) {
        Ok(Some(root)) => root,
        Ok(None) => {
            sink.report(Code::Yaml, (0..0).into(), "the artifacts manifest is empty", "empty file")
                .help("start from plans/artifacts.yaml");
            return Err(Diagnostics::from_sink(name, sink));
        }
        Err(e) => return Err(crate::yaml_failure(name, text, e)),
    };
    let mut p = crate::parse::Parser::new(&mut sink);
    let parsed = p.artifacts(&root);
    match parsed {
        Some(a) if sink.problems.is_empty() => Ok(a),
        _ => Err(Diagnostics::from_sink(name, sink)),
    }
}

impl Artifacts {
    /// Every image goes to a repository the blueprint declares (with its settings and
    /// its pull policy): the others are reported, each at its line.
    pub fn check_against(&self, bp: &Blueprint) -> Result<(), Diagnostics> {
        let declared: Vec<&str> = bp
            .registries
            .iter()
            .flat_map(|r| r.repositories.iter().map(|s| s.value.as_str()))
            .collect();
        let mut problems = Vec::new();
        for img in &self.images {
            if declared.contains(&img.repository.value.as_str()) {
                continue;
            }
            let help = if declared.is_empty() {
                "declare the repository under registries.repositories in the blueprint".to_string()
            } else {
                format!(
                    "use one of the blueprint's repositories ({}) or declare it under \
                     registries.repositories",
                    declared.join(", ")
                )
            };
            problems.push(
                Problem::new(
                    &self.source,
                    Code::InvalidValue,
                    img.repository.span,
                    format!(
                        "repository `{}` is not one of the blueprint's registries",
                        img.repository.value
                    ),
                    "not declared in the blueprint",
                )
                .with_help(help),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Diagnostics::new(self.source.name(), problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> ImageRef {
        ImageRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    #[test]
    fn references_take_docker_hubs_defaults_and_ports() {
        let a = r("nginx:1.27");
        assert_eq!((a.registry.as_str(), a.repository.as_str()), ("docker.io", "library/nginx"));
        assert_eq!(a.tag.as_deref(), Some("1.27"));
        let b = r("127.0.0.1:5000/demo/app:v1");
        assert_eq!((b.registry.as_str(), b.repository.as_str()), ("127.0.0.1:5000", "demo/app"));
        let d = format!("sha256:{}", "a".repeat(64));
        let c = r(&format!("registry.k8s.io/pause@{d}"));
        assert_eq!((c.tag, c.digest.as_deref()), (None, Some(d.as_str())));
        let e = r(&format!("localhost:5000/x:t@{d}"));
        assert_eq!(e.to_string(), format!("localhost:5000/x:t@{d}"));
    }

    #[test]
    fn bad_references_say_why() {
        for bad in [
            "",
            "nginx",
            "Nginx:1",
            "nginx:-x",
            "nginx@sha256:abc",
            "nginx@md5:0123",
            "host:notaport/x:1",
            "a//b:1",
            "a__-b:1",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn the_example_manifest_names_hub_spokes_repositories() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../plans/");
        let text = std::fs::read_to_string(format!("{root}artifacts.yaml")).unwrap();
        let a = parse_artifacts("plans/artifacts.yaml", &text).expect("valid");
        assert_eq!(a.images.len(), 2);
        assert_eq!(a.images[0].tag.value, "1.27.3");
        let bp_text = std::fs::read_to_string(format!("{root}{}", a.blueprint.value)).unwrap();
        let bp = crate::parse("plans/hub-spoke.yaml", &bp_text).expect("valid blueprint");
        a.check_against(&bp).expect("declared repositories");
    }

    const HEAD: &str =
        "apiVersion: airgapctl.dev/v1alpha1\nkind: Artifacts\nblueprint: bp.yaml\ncharts:\n";

    #[test]
    fn a_chart_of_a_classic_repository_is_read_with_its_tag_as_helm_writes_it() {
        let text = format!(
            "{HEAD}  - repo: https://charts.example.com/stable/\n    chart: app\n    version: 1.2.3+build.4\n    repository: charts/app\n  - source: oci://ghcr.io/x/app:1.0.0\n    repository: charts/app\n"
        );
        let a = parse_artifacts("a.yaml", &text).unwrap_or_else(|d| panic!("{d:?}"));
        let c = &a.images[0];
        let r = c.repo_chart.as_ref().expect("a classic chart");
        assert_eq!(r.repo.value, "https://charts.example.com/stable");
        assert_eq!((r.chart.value.as_str(), r.version.value.as_str()), ("app", "1.2.3+build.4"));
        assert_eq!(c.tag.value, "1.2.3_build.4");
        assert!(c.chart && c.source.value.registry == CHART_REPO_STAGING);
        assert!(a.images[1].repo_chart.is_none());
        assert_eq!(chart_tag("0.1.0"), "0.1.0");
    }

    #[test]
    fn a_bad_classic_chart_entry_is_reported_at_its_line_with_a_fix() {
        let text = format!(
            "{HEAD}  - repo: charts.example.com/stable\n    chart: app\n    version: 1.0.0\n    repository: charts/app\n  - repo: https://charts.example.com\n    chart: app\n    repository: charts/app\n  - repo: oci://ghcr.io/x\n    chart: app\n    version: 1.0.0\n    repository: charts/app\n    source: oci://ghcr.io/x/app:1.0.0\n"
        );
        let d = parse_artifacts("a.yaml", &text).unwrap_err();
        let found: Vec<(usize, usize, &str, &str)> = d
            .problems()
            .iter()
            .map(|p| {
                let (l, c) = p.line_col();
                (l, c, p.message(), p.help_text().unwrap_or_default())
            })
            .collect();
        let at = |line: usize, what: &str, fix: &str| {
            assert!(
                found.iter().any(|(l, _, m, h)| *l == line && m.contains(what) && h.contains(fix)),
                "no `{what}` (fix `{fix}`) at line {line}: {found:?}"
            )
        };
        at(
            5,
            "is not a chart repository URL: the URL does not start with https://",
            "helm repo add",
        );
        at(9, "has no `version`", "version: 1.2.3");
        at(16, "both `source` and `repo`", "oci://");
        assert_eq!(found.len(), 3, "{found:?}");
        for bad in ["https://", "https://u:p@host/x", "https://h/x?y=1", "ftp://h"] {
            assert!(chart_repo_url_problem(bad).is_some(), "{bad}");
        }
        assert!(chart_repo_url_problem("http://127.0.0.1:8080/charts").is_none());
    }

    #[test]
    fn platforms() {
        assert_eq!(Platform::parse("linux/arm64/v8").unwrap().to_string(), "linux/arm64/v8");
        for bad in ["linux", "linux/", "Linux/amd64", "a/b/c/d"] {
            assert!(Platform::parse(bad).is_none(), "{bad}");
        }
    }
}
