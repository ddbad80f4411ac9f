//! The images a chart deploys, found without rendering it (`artifacts sync
//! --with-chart-images`): what the chart says it deploys, and what its values name.
//!
//! * Chart.yaml's `artifacthub.io/images` annotation: a YAML list of `{name, image,
//!   whitelisted?, platforms?}` in a string (Artifact Hub's Helm annotations,
//!   docs/helm_annotations.md of artifacthub/hub), which publishers keep for Artifact Hub's
//!   scans;
//! * values.yaml: under every key `image`, a string that parses as a reference, or the
//!   mapping `{registry?, repository, tag?, digest?}` most charts use (the tag, when unset,
//!   is the chart's appVersion: `helm create`'s templates default to it).
//!
//! Templates are not rendered: an image a template builds from other values, or one a
//! value switches on, is not found; the manifest lists such images itself.

use airgap_blueprint::artifacts::is_sha256_digest;
use airgap_blueprint::ImageRef;
use serde_json::Value as J;

use crate::helm::ChartFiles;

/// An image a chart deploys, and where it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartImage {
    pub image: ImageRef,
    /// e.g. `app/Chart.yaml artifacthub.io/images` or `app/values.yaml controller.image`.
    pub found: String,
}

fn text(v: &J) -> Option<String> {
    match v {
        J::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        J::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The image an `image:` value names, if it names one.
fn image_of(v: &J, app_version: Option<&str>) -> Option<ImageRef> {
    match v {
        J::String(s) => ImageRef::parse(s.trim()).ok(),
        J::Object(o) => {
            let repository = o.get("repository").and_then(text)?;
            let mut reference = match o.get("registry").and_then(text) {
                Some(r) => format!("{}/{repository}", r.trim_end_matches('/')),
                None => repository,
            };
            let tag = o.get("tag").and_then(text).or_else(|| app_version.map(str::to_string));
            let digest = o.get("digest").and_then(text).filter(|d| is_sha256_digest(d));
            if let Some(t) = tag {
                reference.push(':');
                reference.push_str(&t);
            }
            if let Some(d) = digest {
                reference.push('@');
                reference.push_str(&d);
            }
            ImageRef::parse(&reference).ok()
        }
        _ => None,
    }
}

fn walk(v: &J, path: &str, app_version: Option<&str>, out: &mut Vec<(ImageRef, String)>) {
    match v {
        J::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                if k == "image" {
                    if let Some(img) = image_of(x, app_version) {
                        out.push((img, p.clone()));
                        continue;
                    }
                }
                walk(x, &p, app_version, out);
            }
        }
        J::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, &format!("{path}[{i}]"), app_version, out);
            }
        }
        _ => {}
    }
}

/// Every image the chart and its subcharts name, each once (the first place it was
/// found), in the order found.
pub fn chart_images(files: &ChartFiles) -> Vec<ChartImage> {
    let mut found: Vec<(ImageRef, String)> = Vec::new();
    for (dir, chart, values) in &files.charts {
        if let Some(list) = chart["annotations"]["artifacthub.io/images"].as_str() {
            let items = airgap_blueprint::yaml_to_json(list).ok().flatten().unwrap_or(J::Null);
            for item in items.as_array().into_iter().flatten() {
                if let Some(img) =
                    item["image"].as_str().and_then(|s| ImageRef::parse(s.trim()).ok())
                {
                    found.push((img, format!("{dir}/Chart.yaml artifacthub.io/images")));
                }
            }
        }
        let app_version = text(&chart["appVersion"]);
        let mut in_values = Vec::new();
        walk(values, "", app_version.as_deref(), &mut in_values);
        found.extend(in_values.into_iter().map(|(i, p)| (i, format!("{dir}/values.yaml {p}"))));
    }
    let mut out: Vec<ChartImage> = Vec::new();
    for (image, where_) in found {
        if !out.iter().any(|c| c.image == image) {
            out.push(ChartImage { image, found: where_ });
        }
    }
    out
}

/// The declared repository an image goes into: the one named as the image's repository
/// path, else the first whose last part is the image's last part (`mirror/nginx` for
/// `docker.io/library/nginx`).
pub fn repository_for<'a>(image: &ImageRef, declared: &[&'a str]) -> Option<&'a str> {
    let last = image.repository.rsplit('/').next().unwrap_or_default();
    declared.iter().copied().find(|d| *d == image.repository).or_else(|| {
        declared.iter().copied().find(|d| d.rsplit_once('/').is_some_and(|(_, l)| l == last))
    })
}

/// The tag an image gets in the environment's repository: its own, else (pinned by digest
/// alone) `sha256-<hex>`, the digest as a tag.
pub fn tag_for(image: &ImageRef) -> String {
    match (&image.tag, &image.digest) {
        (Some(t), _) => t.clone(),
        (None, Some(d)) => d.replace(':', "-"),
        (None, None) => "latest".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::helm::tests::tgz;

    fn names(files: &ChartFiles) -> Vec<(String, String)> {
        chart_images(files).into_iter().map(|c| (c.image.to_string(), c.found)).collect()
    }

    #[test]
    fn images_come_from_the_artifact_hub_annotation_and_the_values() {
        let chart = "apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: \"2.4\"\nannotations:\n  artifacthub.io/images: |\n    - name: web\n      image: ghcr.io/example/web:2.4\n    - name: helper\n      image: busybox:1.37\n      platforms: [linux/amd64]\n";
        let values = "image:\n  repository: example/web\n  tag: \"\"\nsidecar:\n  image: quay.io/example/sidecar:0.3@sha256:0000000000000000000000000000000000000000000000000000000000000000\nworkers:\n  - image:\n      registry: registry.k8s.io\n      repository: pause\n      tag: 3.10\nnotAnImage:\n  image: \"{{ .Values.x }}\"\nuntagged:\n  image: nginx\nrepeat:\n  image: busybox:1.37\n";
        let sub = "apiVersion: v2\nname: db\nversion: 0.1.0\nappVersion: 16.1\n";
        let subvalues = "image:\n  repository: library/postgres\n";
        let archive = tgz(
            &[
                ("web/Chart.yaml", chart),
                ("web/values.yaml", values),
                ("web/charts/db/Chart.yaml", sub),
                ("web/charts/db/values.yaml", subvalues),
                ("web/templates/x.yaml", "image: not/read:1\n"),
            ],
            0,
        );
        let files = crate::helm::chart_files(&archive).unwrap();
        let zero = format!("sha256:{}", "0".repeat(64));
        assert_eq!(
            names(&files),
            vec![
                ("ghcr.io/example/web:2.4".into(), "web/Chart.yaml artifacthub.io/images".into()),
                (
                    "docker.io/library/busybox:1.37".into(),
                    "web/Chart.yaml artifacthub.io/images".into()
                ),
                ("docker.io/example/web:2.4".into(), "web/values.yaml image".into()),
                (
                    format!("quay.io/example/sidecar:0.3@{zero}"),
                    "web/values.yaml sidecar.image".into()
                ),
                // An unquoted 3.10 is the number 3.1 in YAML: Helm renders it so too.
                ("registry.k8s.io/pause:3.1".into(), "web/values.yaml workers[0].image".into()),
                (
                    "docker.io/library/postgres:16.1".into(),
                    "web/charts/db/values.yaml image".into()
                ),
            ]
        );
    }

    #[test]
    fn a_subchart_packed_as_a_tgz_is_read_too() {
        let inner = tgz(
            &[
                ("db/Chart.yaml", "name: db\nversion: 0.1.0\n"),
                ("db/values.yaml", "image: postgres:16\n"),
            ],
            0,
        );
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in [
            ("app/Chart.yaml", b"name: app\nversion: 1.0.0\n".to_vec()),
            ("app/charts/db-0.1.0.tgz", inner),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path, &data[..]).unwrap();
        }
        let outer = crate::helm::tests::gzip(&b.into_inner().unwrap());
        let files = crate::helm::chart_files(&outer).unwrap();
        assert_eq!(files.chart["name"], "app");
        assert_eq!(
            names(&files),
            vec![(
                "docker.io/library/postgres:16".to_string(),
                "app/charts/db-0.1.0.tgz!db/values.yaml image".to_string()
            )]
        );
    }

    #[test]
    fn an_image_goes_to_the_repository_of_its_path_or_of_its_last_part() {
        let declared = ["mirror/nginx", "library/busybox", "other/busybox", "mirror/web"];
        let r = |s: &str| repository_for(&ImageRef::parse(s).unwrap(), &declared);
        assert_eq!(r("nginx:1"), Some("mirror/nginx"));
        assert_eq!(r("busybox:1"), Some("library/busybox"));
        assert_eq!(r("ghcr.io/x/busybox:1"), Some("library/busybox"));
        assert_eq!(r("ghcr.io/example/web:2"), Some("mirror/web"));
        assert_eq!(r("ghcr.io/example/api:2"), None);
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            tag_for(&ImageRef::parse(&format!("x@{d}")).unwrap()),
            format!("sha256-{}", "a".repeat(64))
        );
    }
}
