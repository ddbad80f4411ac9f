//! The artifacts manifest's shape (see `crate::artifacts`).

use std::collections::HashMap;

use miette::SourceSpan;

use super::{keys, Parser};
use crate::artifacts::{
    chart_repo_url_problem, chart_tag, Artifacts, ImageEntry, ImageRef, Platform, RepoChart,
    CHART_REPO_STAGING,
};
use crate::diag::Code;
use crate::model::Spanned;
use crate::yaml::Node;

impl Parser<'_> {
    pub(crate) fn artifacts(&mut self, root: &Node) -> Option<Artifacts> {
        let top = SourceSpan::from(root.span.offset()..root.span.offset());
        let o = self.obj(root, top, "the artifacts manifest", keys::ARTIFACTS)?;
        let api_version = self.req_string(&o, "apiVersion", "the artifacts manifest");
        if !api_version.value.is_empty() && api_version.value != crate::API_VERSION {
            self.sink
                .report(
                    Code::ApiVersion,
                    api_version.span,
                    format!("unsupported apiVersion `{}`", api_version.value),
                    "unsupported",
                )
                .help(format!("use apiVersion: {}", crate::API_VERSION));
        }
        let kind = self.req_string(&o, "kind", "the artifacts manifest");
        if !kind.value.is_empty() && kind.value != crate::artifacts::ARTIFACTS_KIND {
            self.sink
                .report(Code::Kind, kind.span, format!("kind `{}` is not Artifacts", kind.value), "wrong kind")
                .help("an artifacts manifest has kind: Artifacts (a blueprint is given with -f to the other commands)");
        }
        let blueprint = self.req_string(&o, "blueprint", "the artifacts manifest");
        let plain_http = self.string_list(&o, "plainHttp");
        let mut images = Vec::new();
        // (repository, tag) -> where first written: two entries that would write one tag.
        let mut seen: HashMap<(String, String), SourceSpan> = HashMap::new();
        let mut entries: Vec<(&Node, bool)> = Vec::new();
        if let Some((_, v)) = self.get(&o, "images") {
            entries.extend(self.list(v, "`images`").iter().map(|n| (n, false)));
        }
        if let Some((_, v)) = self.get(&o, "charts") {
            entries.extend(self.list(v, "`charts`").iter().map(|n| (n, true)));
        }
        {
            for (item, chart) in entries {
                let Some(img) = self.image(item, chart) else { continue };
                let key = (img.repository.value.clone(), img.tag.value.clone());
                if let Some(&first) = seen.get(&key) {
                    self.sink
                        .report(
                            Code::DuplicateName,
                            img.tag.span,
                            format!("{}:{} is written by two entries", key.0, key.1),
                            "second entry for this tag",
                        )
                        .also(first, "first here")
                        .help("give one of them another `tag`");
                    continue;
                }
                seen.insert(key, img.tag.span);
                images.push(img);
            }
        }
        if images.is_empty() && self.sink.problems.is_empty() {
            self.sink
                .report(Code::Missing, o.owner, "the manifest lists no images or charts", "nothing to copy")
                .help("list images under `images:` and charts under `charts:` (see docs/artifacts.md)");
        }
        Some(Artifacts { source: self.sink.source.clone(), blueprint, plain_http, images })
    }

    fn image(&mut self, item: &Node, chart: bool) -> Option<ImageEntry> {
        let (noun, allowed) =
            if chart { ("a chart", keys::CHART) } else { ("an image", keys::IMAGE) };
        let o = self.obj(item, Self::item_owner(item), noun, allowed)?;
        if chart && ["repo", "chart", "version"].iter().any(|k| self.get(&o, k).is_some()) {
            return self.repo_chart(&o);
        }
        let text = self.req_string(&o, "source", noun);
        // Helm writes OCI chart references as oci://...
        let reference = if chart {
            text.value.strip_prefix("oci://").unwrap_or(&text.value)
        } else {
            &text.value
        };
        let source = match ImageRef::parse(reference) {
            Ok(r) => Spanned::new(r, text.span),
            Err(e) if !text.value.is_empty() => {
                self.sink
                    .report(
                        Code::InvalidValue,
                        text.span,
                        format!("`{}` is not an image reference: {}", text.value, e.0),
                        "not an image reference",
                    )
                    .help("write [registry/]repository:tag or ...@sha256:<digest>, e.g. docker.io/library/nginx:1.27.3");
                return None;
            }
            Err(_) => return None,
        };
        let repository = self.repository(&o, noun, "mirror/nginx");
        let tag = match self.tag(&o) {
            Some((t, _)) => t,
            None => match &source.tag {
                Some(t) => Spanned::new(t.clone(), source.span),
                None => {
                    self.sink
                        .report(
                            Code::Missing,
                            source.span,
                            "an image pinned by digest alone needs a `tag` for the environment's repository",
                            "no tag to push under",
                        )
                        .help("add `tag:` to the entry (repositories have immutable tags: pick a version-like one)");
                    Spanned::new(String::new(), source.span)
                }
            },
        };
        let mut platforms = Vec::new();
        if let Some((_, v)) = self.get(&o, "platforms") {
            for n in self.list(v, "`platforms`") {
                let Some(s) = self.string(n, "a platform") else { continue };
                match Platform::parse(&s.value) {
                    Some(p) if platforms.iter().any(|q: &Spanned<Platform>| q.value == p) => {
                        self.sink
                            .report(
                                Code::DuplicateName,
                                s.span,
                                format!("{p} is listed twice"),
                                "listed twice",
                            )
                            .help("list each platform once");
                    }
                    Some(p) => platforms.push(Spanned::new(p, s.span)),
                    None => {
                        self.sink
                            .report(
                                Code::InvalidValue,
                                s.span,
                                format!("`{}` is not a platform", s.value),
                                "not os/arch[/variant]",
                            )
                            .help("write os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8");
                    }
                }
            }
        }
        Some(ImageEntry { source, repository, tag, platforms, chart, repo_chart: None })
    }

    /// An entry's `repository`, reported at its value when it is no ECR repository name.
    fn repository(&mut self, o: &super::Obj, noun: &str, example: &str) -> Spanned<String> {
        let repository = self.req_string(o, "repository", noun);
        if !repository.value.is_empty() && !crate::validate::is_repository_name(&repository.value) {
            self.sink
                .report(
                    Code::InvalidValue,
                    repository.span,
                    format!("`{}` is not an ECR repository name", repository.value),
                    "invalid repository name",
                )
                .help(format!(
                    "use lowercase letters, digits and ._- in /-separated parts, e.g. {example}"
                ));
        }
        repository
    }

    /// An entry's own `tag`, if written, and whether it is a tag (reported where it is not).
    fn tag(&mut self, o: &super::Obj) -> Option<(Spanned<String>, bool)> {
        let t = self.opt_string(o, "tag")?;
        let valid = crate::artifacts::is_tag(&t.value);
        if !valid {
            self.sink
                .report(
                    Code::InvalidValue,
                    t.span,
                    format!("`{}` is not a tag", t.value),
                    "invalid tag",
                )
                .help("a tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
        }
        Some((t, valid))
    }

    /// A chart of a classic chart repository: `repo`, `chart` and `version`, no `source`.
    fn repo_chart(&mut self, o: &super::Obj) -> Option<ImageEntry> {
        let noun = "a chart";
        if let Some((k, _)) = self.get(o, "source") {
            self.sink
                .report(
                    Code::InvalidValue,
                    k.span,
                    "a chart entry has both `source` and `repo`/`chart`/`version`",
                    "two sources",
                )
                .help("write an OCI chart as `source: oci://...`, or a classic chart repository's chart as `repo:`, `chart:` and `version:`");
            return None;
        }
        let mut fields = Vec::new();
        for (key, example) in [
            ("repo", "repo: https://charts.example.com/stable (the URL `helm repo add` takes)"),
            ("chart", "chart: app (the chart's name in the repository's index.yaml)"),
            ("version", "version: 1.2.3 (the exact chart version; ranges are not resolved)"),
        ] {
            match self.opt_string(o, key) {
                Some(v) if !v.value.trim().is_empty() => fields.push(v),
                found => {
                    let span = found.map_or(o.owner, |v| v.span);
                    self.sink
                        .report(
                            Code::Missing,
                            span,
                            format!("a chart from a chart repository has no `{key}`"),
                            format!("`{key}` is required here"),
                        )
                        .help(format!("add {example}"));
                }
            }
        }
        let repository = self.repository(o, noun, "charts/app");
        let [repo, name, version]: [Spanned<String>; 3] = fields.try_into().ok()?;
        let mut ok = true;
        if let Some(why) = chart_repo_url_problem(&repo.value) {
            ok = false;
            self.sink
                .report(
                    Code::InvalidValue,
                    repo.span,
                    format!("`{}` is not a chart repository URL: {why}", repo.value),
                    "not an http(s) URL",
                )
                .help("write the repository's URL as `helm repo add` takes it, e.g. https://charts.example.com/stable; an OCI chart goes in `source: oci://...`");
        }
        if !name.value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            ok = false;
            self.sink
                .report(
                    Code::InvalidValue,
                    name.span,
                    format!("`{}` is not a chart name", name.value),
                    "not a chart name",
                )
                .help("a chart's name is letters, digits, - _ and . (its key in index.yaml)");
        }
        let tag = chart_tag(&version.value);
        if !crate::artifacts::is_tag(&tag) {
            ok = false;
            self.sink
                .report(
                    Code::InvalidValue,
                    version.span,
                    format!("`{}` is not a chart version", version.value),
                    "not a version",
                )
                .help("write the exact version index.yaml lists, e.g. 1.2.3 (SemVer; `+` becomes `_` in the tag, as helm push does)");
        }
        let tag = match self.tag(o) {
            Some((t, valid)) => {
                ok &= valid;
                t
            }
            None => Spanned::new(tag, version.span),
        };
        if !ok {
            return None;
        }
        let source = Spanned::new(
            ImageRef {
                registry: CHART_REPO_STAGING.into(),
                repository: repository.value.clone(),
                tag: Some(tag.value.clone()),
                digest: None,
            },
            repo.span,
        );
        Some(ImageEntry {
            source,
            repository,
            tag,
            platforms: Vec::new(),
            chart: true,
            repo_chart: Some(RepoChart {
                repo: Spanned::new(repo.value.trim_end_matches('/').to_string(), repo.span),
                chart: name,
                version,
            }),
        })
    }
}
