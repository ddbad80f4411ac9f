//! Helm charts of classic chart repositories (an HTTP(S) URL serving `index.yaml` and the
//! charts' .tgz files, as `helm repo add` takes it), made into the OCI artifact `helm push`
//! makes of a .tgz, staged in an OCI layout from which the one copy (HEAD first, whole
//! blobs) pushes them; and the files of a chart's .tgz that say what it deploys.

use bytes::Bytes;
use serde_json::Value as J;

use crate::auth::Credentials;
use crate::copy::{sha256, OCI_MANIFEST};
use crate::layout::Layout;
use crate::store::{Ref, Store};
use crate::ArtifactError;

mod archive;
mod form;

pub use archive::{chart_files, ChartFiles};
pub use form::{helm_config, helm_manifest};

/// Helm's media types (Helm's pkg/registry/constants.go).
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// What Helm before 3.7 wrote as the chart layer; Helm still reads it.
const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";

/// An index.yaml larger than this is refused (the largest public ones are tens of MB).
const MAX_INDEX_BYTES: usize = 128 << 20;
/// A chart .tgz larger than this is refused (Helm's own loader refuses charts over 20 MiB
/// unpacked, so a compressed one is smaller).
const MAX_CHART_BYTES: usize = 32 << 20;
/// Unpacked: Helm's loader limit for a chart archive (pkg/chart/loader, MaxDecompressedChartSize).
const MAX_UNPACKED_BYTES: usize = 100 << 20;

fn repo_err(url: &str, message: impl Into<String>) -> ArtifactError {
    ArtifactError::ChartRepo { url: url.to_string(), message: message.into() }
}

/// One version of a chart as index.yaml lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexEntry {
    pub version: String,
    /// Absolute, or relative to the repository's URL.
    pub urls: Vec<String>,
    /// sha256 hex of the .tgz (Helm's repo index `digest`), when the index has one.
    pub digest: Option<String>,
}

/// The versions index.yaml lists for `chart` (`entries.<chart>[]`), read as YAML events:
/// a repository's index may list tens of thousands of versions, none of which but the
/// chart's is kept.
pub fn index_entries(url: &str, text: &str, chart: &str) -> Result<Vec<IndexEntry>, ArtifactError> {
    use saphyr_parser::{Event, Parser};
    struct Frame {
        map: bool,
        key: Option<String>,
        expecting_key: bool,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut out: Vec<IndexEntry> = Vec::new();
    // Where a frame sits: root map > entries map > chart's list > version map > urls list.
    let at = |stack: &[Frame], depth: usize| -> bool {
        stack.len() == depth
            && stack[0].map
            && stack[0].key.as_deref() == Some("entries")
            && stack.get(1).is_some_and(|f| f.map && f.key.as_deref() == Some(chart))
            && stack.get(2).is_some_and(|f| !f.map)
            && stack.get(3).is_none_or(|f| f.map)
    };
    for ev in Parser::new_from_str(text) {
        let (event, _) = ev.map_err(|e| {
            repo_err(
                url,
                format!("index.yaml is not YAML: {} (line {})", e.info(), e.marker().line()),
            )
        })?;
        match event {
            Event::Scalar(value, ..) => {
                if let Some(top) = stack.last_mut() {
                    if top.map && top.expecting_key {
                        top.key = Some(value.into_owned());
                        top.expecting_key = false;
                        continue;
                    }
                }
                if at(&stack, 4) {
                    let e = out.last_mut().expect("an entry opened");
                    match stack[3].key.as_deref() {
                        Some("version") => e.version = value.into_owned(),
                        Some("digest") => e.digest = Some(value.into_owned()),
                        _ => {}
                    }
                } else if at(&stack, 5) && stack[3].key.as_deref() == Some("urls") {
                    out.last_mut().expect("an entry opened").urls.push(value.into_owned());
                }
                if let Some(top) = stack.last_mut() {
                    top.expecting_key = top.map;
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let map = matches!(event, Event::MappingStart(..));
                if map && at(&stack, 3) {
                    out.push(IndexEntry::default());
                }
                stack.push(Frame { map, key: None, expecting_key: map });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                if let Some(top) = stack.last_mut() {
                    top.expecting_key = top.map;
                }
            }
            Event::Alias(_) => {
                if let Some(top) = stack.last_mut() {
                    top.expecting_key = top.map;
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// A relative `urls` entry resolved against the repository's URL as Helm resolves it
/// (Helm's pkg/repo ResolveReferenceURL: the base gets a trailing `/`, and keeps its query).
pub fn resolve_url(base: &str, reference: &str) -> Result<String, ArtifactError> {
    if let Ok(abs) = reqwest::Url::parse(reference) {
        return Ok(abs.to_string());
    }
    let mut b = reqwest::Url::parse(base).map_err(|e| repo_err(base, e.to_string()))?;
    let path = format!("{}/", b.path().trim_end_matches('/'));
    b.set_path(&path);
    let query = b.query().map(str::to_string);
    let mut joined = b.join(reference).map_err(|e| repo_err(base, format!("{reference}: {e}")))?;
    joined.set_query(query.as_deref());
    Ok(joined.to_string())
}

/// A chart's .tgz, fetched from its repository and checked against the index's digest.
#[derive(Clone, Debug)]
pub struct FetchedChart {
    /// Where the .tgz came from.
    pub url: String,
    /// `sha256:<hex>` of the .tgz.
    pub digest: String,
    pub tgz: Bytes,
}

/// An HTTP(S) client for chart repositories.
pub struct ChartRepos {
    http: reqwest::Client,
    creds: Credentials,
}

impl Default for ChartRepos {
    fn default() -> Self {
        Self::new()
    }
}

impl ChartRepos {
    /// Anonymous, as public chart repositories are read.
    pub fn new() -> ChartRepos {
        Self::with_credentials(Credentials::none())
    }

    /// With `creds`, each request sends the credentials of its own host only (helm's
    /// default: a chart's URL on another host does not get the repository's password).
    pub fn with_credentials(creds: Credentials) -> ChartRepos {
        let http = reqwest::Client::builder()
            .user_agent(concat!("airgapctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .expect("an HTTP client");
        ChartRepos { http, creds }
    }

    async fn get(&self, url: &str, limit: usize) -> Result<Bytes, ArtifactError> {
        let mut req = self.http.get(url);
        let parsed = reqwest::Url::parse(url).map_err(|e| repo_err(url, e.to_string()))?;
        if let Some(host) = parsed.host_str() {
            let host = match parsed.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_string(),
            };
            if let Some((user, password)) = self.creds.for_host(&host)? {
                req = req.basic_auth(user, Some(password));
            }
        }
        let mut resp = req.send().await.map_err(|e| repo_err(url, format!("GET: {e}")))?;
        if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
            let message = format!("GET answered {}", resp.status());
            return Err(ArtifactError::ChartRepoUnauthorized { url: url.to_string(), message });
        }
        if !resp.status().is_success() {
            return Err(repo_err(url, format!("GET answered {}", resp.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| repo_err(url, e.to_string()))? {
            body.extend_from_slice(&chunk);
            if body.len() > limit {
                return Err(repo_err(url, format!("larger than {limit} bytes")));
            }
        }
        Ok(Bytes::from(body))
    }

    /// `version` of `chart` from the repository at `repo`: its index.yaml read, its .tgz
    /// downloaded and checked against the index's digest (when given, `want` too: the
    /// digest a lock approved).
    pub async fn fetch(
        &self,
        repo: &str,
        chart: &str,
        version: &str,
        want: Option<&str>,
    ) -> Result<FetchedChart, ArtifactError> {
        let index_url = resolve_url(repo, "index.yaml")?;
        let text = self.get(&index_url, MAX_INDEX_BYTES).await?;
        let text = std::str::from_utf8(&text).map_err(|_| repo_err(&index_url, "not UTF-8"))?;
        let entries = index_entries(&index_url, text, chart)?;
        if entries.is_empty() {
            return Err(repo_err(&index_url, format!("lists no chart `{chart}`")));
        }
        let Some(entry) = entries.iter().find(|e| e.version == version) else {
            let mut listed: Vec<&str> = entries.iter().map(|e| e.version.as_str()).collect();
            listed.truncate(10);
            return Err(repo_err(
                &index_url,
                format!("lists no version {version} of `{chart}` (it lists {})", listed.join(", ")),
            ));
        };
        let first = entry
            .urls
            .first()
            .ok_or_else(|| repo_err(&index_url, format!("`{chart}` {version} has no urls")))?;
        let url = resolve_url(repo, first)?;
        let tgz = self.get(&url, MAX_CHART_BYTES).await?;
        let digest = sha256(&tgz);
        if let Some(d) = &entry.digest {
            if format!("sha256:{}", d.trim_start_matches("sha256:")) != digest {
                return Err(repo_err(
                    &url,
                    format!("the .tgz hashes to {digest}, not the index's digest {d}"),
                ));
            }
        }
        if let Some(w) = want {
            if w != digest {
                return Err(repo_err(&url, format!("the .tgz is {digest}, not {w} (approved)")));
            }
        }
        Ok(FetchedChart { url, digest, tgz })
    }
}

/// Writes a chart's OCI artifact (`helm push`'s form) into `layout` under
/// `<repository>:<tag>`, for the copy to push; its manifest's digest.
pub fn stage(
    layout: &Layout,
    repository: &str,
    tag: &str,
    tgz: &[u8],
) -> Result<(String, ChartFiles), ArtifactError> {
    let files = chart_files(tgz).map_err(|m| ArtifactError::Content {
        reference: format!("{repository}:{tag}"),
        message: format!("not a chart archive: {m}"),
    })?;
    let config = helm_config(&files.chart);
    let manifest = helm_manifest(tgz, &config, &files);
    layout.write_bytes(tgz)?;
    layout.write_bytes(&config)?;
    let digest =
        layout.put_manifest(Some(&format!("{repository}:{tag}")), &manifest, OCI_MANIFEST)?;
    Ok((digest, files))
}

/// The .tgz of a chart stored as an OCI artifact: its manifest's chart layer, read whole.
pub async fn chart_archive(
    store: &Store<'_>,
    repo: &str,
    at: &Ref,
) -> Result<Bytes, ArtifactError> {
    let name = format!("{}/{repo}", store.name());
    let bytes = store.manifest(repo, at).await?;
    let doc: J = serde_json::from_slice(&bytes).map_err(|e| ArtifactError::Content {
        reference: name.clone(),
        message: format!("the manifest is not JSON: {e}"),
    })?;
    let layer = doc["layers"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| {
            let mt = l["mediaType"].as_str().unwrap_or_default();
            mt == CHART_LAYER_MEDIA_TYPE || mt == LEGACY_CHART_LAYER_MEDIA_TYPE
        })
        .and_then(|l| l["digest"].as_str())
        .ok_or_else(|| ArtifactError::Content {
            reference: name.clone(),
            message: format!("not a Helm chart: no layer of media type {CHART_LAYER_MEDIA_TYPE}"),
        })?
        .to_string();
    use futures_util::TryStreamExt;
    let mut stream = store.blob(repo, &layer).await?;
    let mut out = Vec::new();
    while let Some(chunk) = stream.try_next().await.map_err(|e| ArtifactError::Content {
        reference: name.clone(),
        message: format!("{layer}: {e}"),
    })? {
        out.extend_from_slice(&chunk);
        if out.len() > MAX_CHART_BYTES {
            return Err(ArtifactError::Content {
                reference: name,
                message: format!("the chart is larger than {MAX_CHART_BYTES} bytes"),
            });
        }
    }
    if sha256(&out) != layer {
        return Err(ArtifactError::Content {
            reference: name,
            message: format!("the chart layer does not hash to {layer}"),
        });
    }
    Ok(Bytes::from(out))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A gzip member around `data` (RFC 1952), for archives built in tests.
    pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        out.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
        out.extend((!crc).to_le_bytes());
        out.extend((data.len() as u32).to_le_bytes());
        out
    }

    /// A chart archive of `files` (path, text), each dated `mtime`.
    pub(crate) fn tgz(files: &[(&str, &str)], mtime: u64) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, text) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(mtime);
            h.set_cksum();
            b.append_data(&mut h, path, text.as_bytes()).unwrap();
        }
        gzip(&b.into_inner().unwrap())
    }

    const INDEX: &str = r#"apiVersion: v1
entries:
  other:
  - version: 1.2.3
    urls: [other-1.2.3.tgz]
  app:
  - apiVersion: v2
    name: app
    version: 1.2.3
    digest: 0123abcd
    urls:
    - charts/app-1.2.3.tgz
    - https://mirror.example.com/app-1.2.3.tgz
    maintainers:
    - name: x
  - version: "1.0.0"
    urls: ["https://cdn.example.com/app-1.0.0.tgz"]
generated: "2026-01-01T00:00:00Z"
"#;

    #[test]
    fn index_yaml_lists_a_charts_versions_with_their_urls_and_digests() {
        let e = index_entries("u", INDEX, "app").unwrap();
        assert_eq!(
            e,
            vec![
                IndexEntry {
                    version: "1.2.3".into(),
                    urls: vec![
                        "charts/app-1.2.3.tgz".into(),
                        "https://mirror.example.com/app-1.2.3.tgz".into()
                    ],
                    digest: Some("0123abcd".into()),
                },
                IndexEntry {
                    version: "1.0.0".into(),
                    urls: vec!["https://cdn.example.com/app-1.0.0.tgz".into()],
                    digest: None,
                },
            ]
        );
        assert_eq!(index_entries("u", INDEX, "other").unwrap().len(), 1);
        assert!(index_entries("u", INDEX, "none").unwrap().is_empty());
        assert!(index_entries("u", "entries: [", "app").is_err());
    }

    #[test]
    fn urls_resolve_against_the_repository_as_helm_resolves_them() {
        let r = |b: &str, u: &str| resolve_url(b, u).unwrap();
        assert_eq!(r("https://h/stable", "app-1.tgz"), "https://h/stable/app-1.tgz");
        assert_eq!(r("https://h/stable/", "charts/app-1.tgz"), "https://h/stable/charts/app-1.tgz");
        assert_eq!(r("https://h/stable", "/abs/app-1.tgz"), "https://h/abs/app-1.tgz");
        assert_eq!(r("https://h/stable", "https://cdn/x.tgz"), "https://cdn/x.tgz");
        // The base's query stays (a signed URL's, say), as in Helm.
        assert_eq!(r("https://h/s?sig=1", "app.tgz"), "https://h/s/app.tgz?sig=1");
        assert_eq!(r("http://127.0.0.1:8080", "index.yaml"), "http://127.0.0.1:8080/index.yaml");
    }

    #[tokio::test]
    async fn an_oci_charts_archive_is_read_back_from_its_layer() {
        let archive = tgz(&[("app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n")], 0);
        let dir = std::env::temp_dir().join(format!("airgap-helm-read-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let layout = Layout::create(&dir).unwrap();
        stage(&layout, "charts/app", "0.1.0", &archive).unwrap();
        let store = Store::Layout(&layout);
        let back = chart_archive(&store, "charts/app", &Ref::Tag("0.1.0".into())).await.unwrap();
        assert_eq!(&back[..], &archive[..]);
        // An image is not a chart.
        let cfg = layout.write_bytes(b"{}").unwrap();
        let m = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{cfg}","size":2}},"layers":[]}}"#
        );
        layout.put_manifest(Some("mirror/x:1"), m.as_bytes(), OCI_MANIFEST).unwrap();
        let err = chart_archive(&store, "mirror/x", &Ref::Tag("1".into())).await.unwrap_err();
        assert!(err.to_string().contains("not a Helm chart"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
