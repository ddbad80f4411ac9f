//! Helm charts of classic chart repositories (an HTTP(S) URL serving `index.yaml` and the
//! charts' .tgz files, as `helm repo add` takes it), made into the OCI artifact `helm push`
//! makes of a .tgz, staged in an OCI layout from which the one copy (HEAD first, whole
//! blobs) pushes them; and the files of a chart's .tgz that say what it deploys.

use std::collections::BTreeMap;
use std::io::Read as _;

use bytes::Bytes;
use serde_json::Value as J;

use crate::copy::{sha256, OCI_MANIFEST};
use crate::layout::Layout;
use crate::store::{Ref, Store};
use crate::ArtifactError;

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
}

impl Default for ChartRepos {
    fn default() -> Self {
        Self::new()
    }
}

impl ChartRepos {
    pub fn new() -> ChartRepos {
        let http = reqwest::Client::builder()
            .user_agent(concat!("airgapctl/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(std::time::Duration::from_secs(10))
            .timeout(std::time::Duration::from_secs(300))
            .build()
            .expect("an HTTP client");
        ChartRepos { http }
    }

    async fn get(&self, url: &str, limit: usize) -> Result<Bytes, ArtifactError> {
        let mut resp =
            self.http.get(url).send().await.map_err(|e| repo_err(url, format!("GET: {e}")))?;
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

/// The files of a chart's archive that say what it is and what it deploys.
#[derive(Clone, Debug, Default)]
pub struct ChartFiles {
    /// The top chart's Chart.yaml, as JSON.
    pub chart: J,
    /// The modification time of its Chart.yaml in the archive (Unix seconds).
    pub chart_mtime: u64,
    /// `(path, Chart.yaml, values.yaml)` of the top chart and of each subchart in it
    /// (unpacked under `charts/`, or a .tgz there), as JSON.
    pub charts: Vec<(String, J, J)>,
}

/// gzip (RFC 1952) around a deflate stream: the header skipped, the stream inflated.
fn gunzip(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    if data.len() < 18 || data[0] != 0x1f || data[1] != 0x8b || data[2] != 8 {
        return Err("not gzip".into());
    }
    let flags = data[3];
    let mut pos = 10;
    if flags & 4 != 0 {
        let xlen = u16::from_le_bytes([data[pos], data[pos + 1]]) as usize;
        pos += 2 + xlen;
    }
    for bit in [8, 16] {
        if flags & bit != 0 {
            pos +=
                data.get(pos..).and_then(|d| d.iter().position(|&b| b == 0)).ok_or("bad gzip")? + 1;
        }
    }
    if flags & 2 != 0 {
        pos += 2;
    }
    let body = data.get(pos..).ok_or("truncated gzip")?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(body, limit)
        .map_err(|e| format!("gzip: {e:?}"))
}

fn yaml(path: &str, bytes: &[u8]) -> Result<J, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| format!("{path} is not UTF-8"))?;
    airgap_blueprint::yaml_to_json(text)
        .map(|v| v.unwrap_or(J::Null))
        .map_err(|e| format!("{path}: {e}"))
}

/// Reads a chart archive (`<name>/Chart.yaml`, `<name>/values.yaml`, subcharts under
/// `<name>/charts/`).
pub fn chart_files(tgz: &[u8]) -> Result<ChartFiles, String> {
    let mut out = ChartFiles::default();
    read_archive(tgz, "", 0, &mut out)?;
    if out.chart.is_null() {
        return Err("the archive has no Chart.yaml".into());
    }
    Ok(out)
}

fn read_archive(
    tgz: &[u8],
    prefix: &str,
    depth: usize,
    out: &mut ChartFiles,
) -> Result<(), String> {
    let tar = gunzip(tgz, MAX_UNPACKED_BYTES)?;
    let mut archive = tar::Archive::new(&tar[..]);
    // chart directory -> (Chart.yaml, values.yaml)
    let mut dirs: BTreeMap<String, (J, J)> = BTreeMap::new();
    let mut nested: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in archive.entries().map_err(|e| format!("tar: {e}"))? {
        let mut entry = entry.map_err(|e| format!("tar: {e}"))?;
        let path = entry.path().map_err(|e| format!("tar: {e}"))?.to_string_lossy().to_string();
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        // A chart's directory: its name, then `charts/<name>` for each subchart level.
        let Some((file, dir)) = parts.split_last() else { continue };
        let is_chart_dir = !dir.is_empty()
            && dir.len() % 2 == 1
            && dir.iter().skip(1).step_by(2).all(|p| *p == "charts");
        let is_nested_tgz = dir.len() % 2 == 0
            && dir.len() >= 2
            && dir.last() == Some(&"charts")
            && file.ends_with(".tgz");
        if !(is_chart_dir && (*file == "Chart.yaml" || *file == "values.yaml")) && !is_nested_tgz {
            continue;
        }
        let mtime = entry.header().mtime().unwrap_or(0);
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| format!("tar: {e}"))?;
        let dir = format!("{prefix}{}", dir.join("/"));
        if is_nested_tgz {
            nested.push((format!("{dir}/{file}"), bytes));
            continue;
        }
        let doc = yaml(&format!("{dir}/{file}"), &bytes)?;
        let slot = dirs.entry(dir.clone()).or_insert((J::Null, J::Null));
        if *file == "Chart.yaml" {
            if depth == 0 && dir.matches('/').count() == 0 {
                out.chart = doc.clone();
                out.chart_mtime = mtime;
            }
            slot.0 = doc;
        } else {
            slot.1 = doc;
        }
    }
    out.charts.extend(dirs.into_iter().map(|(d, (c, v))| (d, c, v)));
    if depth < 3 {
        for (path, bytes) in nested {
            read_archive(&bytes, &format!("{path}!"), depth + 1, out)?;
        }
    }
    Ok(())
}

/// A string as Helm's chart metadata keeps it: Go's json from YAML gives numbers and
/// booleans written where a string is expected as their text.
fn text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        J::Number(n) => n.to_string(),
        J::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// Helm's sanitizeString (pkg/chart Metadata.Validate): white space as a space, what does
/// not print dropped.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if c.is_control() {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

/// JSON as Go's encoding/json writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped (they
/// only occur inside strings, so the whole text can be rewritten).
fn go_json(text: String) -> String {
    if !text.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return text;
    }
    text.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// A field of a Go struct as encoding/json writes it.
enum F {
    V(J),
    /// A list of structs, each already written.
    Structs(Vec<String>),
}

/// Writes `"key":value` pairs in the order given, leaving out empty ones (Go's omitempty;
/// a key written `!key` has none).
fn go_object(fields: Vec<(&str, F)>) -> String {
    let mut s = String::from("{");
    for (k, v) in fields {
        let empty = match &v {
            F::V(J::Null) => true,
            F::V(J::String(x)) => x.is_empty(),
            F::V(J::Array(x)) => x.is_empty(),
            F::V(J::Object(x)) => x.is_empty(),
            F::V(J::Bool(b)) => !b,
            F::V(J::Number(_)) => false,
            F::Structs(x) => x.is_empty(),
        };
        if empty && !k.starts_with('!') {
            continue;
        }
        let k = k.trim_start_matches('!');
        if s.len() > 1 {
            s.push(',');
        }
        s.push_str(&serde_json::to_string(k).expect("JSON"));
        s.push(':');
        match v {
            F::V(v) => s.push_str(&v.to_string()),
            F::Structs(items) => {
                s.push('[');
                s.push_str(&items.join(","));
                s.push(']');
            }
        }
    }
    s.push('}');
    s
}

fn strings(v: &J, clean: bool) -> J {
    J::Array(
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| J::String(if clean { sanitize(&text(x)) } else { text(x) }))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The config blob `helm push` writes: the chart's metadata (Chart.yaml) as Helm's
/// `chart.Metadata` marshals it with Go's encoding/json (Helm's pkg/registry client.go
/// Push: `configData, err := json.Marshal(meta)`; the fields, their order and omitempty
/// from pkg/chart Metadata, Maintainer and Dependency; strings sanitized by
/// Metadata.Validate; an unset apiVersion read as v1 by the loader).
pub fn helm_config(meta: &J) -> Vec<u8> {
    let s = |k: &str| F::V(J::String(sanitize(&text(&meta[k]))));
    let raw = |k: &str| F::V(J::String(text(&meta[k])));
    let list = |k: &str| meta[k].as_array().cloned().unwrap_or_default();
    let maintainers = list("maintainers")
        .iter()
        .map(|m| {
            let f = |k: &str| F::V(J::String(sanitize(&text(&m[k]))));
            go_object(vec![("name", f("name")), ("email", f("email")), ("url", f("url"))])
        })
        .collect();
    let dependencies = list("dependencies")
        .iter()
        .map(|d| {
            let f = |k: &str| F::V(J::String(text(&d[k])));
            go_object(vec![
                ("!name", f("name")),
                ("version", f("version")),
                ("!repository", f("repository")),
                ("condition", f("condition")),
                ("tags", F::V(strings(&d["tags"], false))),
                ("enabled", F::V(J::Bool(d["enabled"].as_bool().unwrap_or(false)))),
                ("import-values", F::V(d["import-values"].clone())),
                ("alias", f("alias")),
            ])
        })
        .collect();
    // Go writes a map's keys sorted.
    let annotations: BTreeMap<String, String> = meta["annotations"]
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), text(v))).collect())
        .unwrap_or_default();
    let api = match text(&meta["apiVersion"]) {
        a if a.is_empty() => "v1".to_string(),
        a => a,
    };
    let doc = go_object(vec![
        ("name", s("name")),
        ("home", s("home")),
        ("sources", F::V(strings(&meta["sources"], true))),
        ("version", raw("version")),
        ("description", s("description")),
        ("keywords", F::V(strings(&meta["keywords"], true))),
        ("maintainers", F::Structs(maintainers)),
        ("icon", s("icon")),
        ("apiVersion", F::V(J::String(api))),
        ("condition", s("condition")),
        ("tags", s("tags")),
        ("appVersion", s("appVersion")),
        ("deprecated", F::V(J::Bool(meta["deprecated"].as_bool().unwrap_or(false)))),
        ("annotations", F::V(serde_json::to_value(&annotations).expect("JSON"))),
        ("kubeVersion", s("kubeVersion")),
        ("dependencies", F::Structs(dependencies)),
        ("type", raw("type")),
    ]);
    go_json(doc).into_bytes()
}

/// `t` (Unix seconds, UTC) as RFC 3339.
fn rfc3339(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
}

/// The manifest `helm push` writes for a chart: an OCI image manifest (Go's ocispec.Manifest:
/// no `mediaType` field, Helm leaves it unset) of the config and the .tgz as its one layer,
/// with the annotations of Helm's generateOCIAnnotations (pkg/registry/chart.go: description,
/// title, version, url, created, source, authors, then the chart's own annotations but
/// title and version). `created` is the time of Chart.yaml in the archive: `helm push` takes
/// the .tgz file's modification time (pkg/pusher/ocipusher.go), which a download does not
/// keep, and the archive's own time keeps the digest the same for the same .tgz.
pub fn helm_manifest(tgz: &[u8], config: &[u8], files: &ChartFiles) -> Vec<u8> {
    let meta = &files.chart;
    let mut ann: BTreeMap<String, String> = BTreeMap::new();
    let mut add = |k: &str, v: String| {
        if !v.trim().is_empty() {
            ann.insert(k.to_string(), v);
        }
    };
    add("org.opencontainers.image.description", sanitize(&text(&meta["description"])));
    add("org.opencontainers.image.title", sanitize(&text(&meta["name"])));
    add("org.opencontainers.image.version", text(&meta["version"]));
    add("org.opencontainers.image.url", sanitize(&text(&meta["home"])));
    add("org.opencontainers.image.created", rfc3339(files.chart_mtime));
    if let Some(first) = meta["sources"].as_array().and_then(|a| a.first()) {
        add("org.opencontainers.image.source", sanitize(&text(first)));
    }
    if let Some(ms) = meta["maintainers"].as_array().filter(|a| !a.is_empty()) {
        let authors: Vec<String> = ms
            .iter()
            .map(|m| {
                let (n, e) = (sanitize(&text(&m["name"])), sanitize(&text(&m["email"])));
                if e.is_empty() {
                    n
                } else {
                    format!("{n} ({e})")
                }
            })
            .collect();
        add("org.opencontainers.image.authors", authors.join(", "));
    }
    if let Some(o) = meta["annotations"].as_object() {
        for (k, v) in o {
            if k != "org.opencontainers.image.title" && k != "org.opencontainers.image.version" {
                ann.insert(k.clone(), text(v));
            }
        }
    }
    let descriptor = |mt: &str, bytes: &[u8]| {
        format!(
            "{{\"mediaType\":{},\"digest\":\"{}\",\"size\":{}}}",
            serde_json::to_string(mt).expect("JSON"),
            sha256(bytes),
            bytes.len()
        )
    };
    let mut m = format!(
        "{{\"schemaVersion\":2,\"config\":{},\"layers\":[{}]",
        descriptor(CONFIG_MEDIA_TYPE, config),
        descriptor(CHART_LAYER_MEDIA_TYPE, tgz)
    );
    if !ann.is_empty() {
        m.push_str(",\"annotations\":");
        m.push_str(&serde_json::to_string(&ann).expect("JSON"));
    }
    m.push('}');
    go_json(m).into_bytes()
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

    #[test]
    fn the_config_is_chart_yaml_as_helm_marshals_its_metadata() {
        let meta = airgap_blueprint::yaml_to_json(
            "apiVersion: v2\nname: app\nversion: 1.2.3+b.1\ndescription: |\n  A <chart>\n  & more\n\
             type: application\nappVersion: 2.0\nkeywords: [web]\nmaintainers:\n  - name: Ann\n    email: a@x\n\
             annotations:\n  z: last\n  a: first\ndependencies:\n  - name: db\n    version: 1.x\n    repository: ''\n\
             home: https://x\n",
        )
        .unwrap()
        .unwrap();
        let got = String::from_utf8(helm_config(&meta)).unwrap();
        assert_eq!(
            got,
            concat!(
                r#"{"name":"app","home":"https://x","version":"1.2.3+b.1","#,
                r#""description":"A \u003cchart\u003e \u0026 more ","keywords":["web"],"#,
                r#""maintainers":[{"name":"Ann","email":"a@x"}],"apiVersion":"v2","#,
                r#""appVersion":"2.0","annotations":{"a":"first","z":"last"},"#,
                r#""dependencies":[{"name":"db","version":"1.x","repository":""}],"type":"application"}"#
            )
        );
        // Helm 2's charts have no apiVersion: the loader reads them as v1.
        let old = serde_json::json!({"name": "x", "version": "1.0.0"});
        assert_eq!(
            String::from_utf8(helm_config(&old)).unwrap(),
            r#"{"name":"x","version":"1.0.0","apiVersion":"v1"}"#
        );
    }

    #[test]
    fn the_manifest_is_helm_pushs_and_the_same_for_the_same_archive() {
        let chart = "apiVersion: v2\nname: app\nversion: 0.1.0\nhome: https://x\nannotations:\n  org.opencontainers.image.title: ignored\n  extra: kept\n";
        let archive =
            tgz(&[("app/Chart.yaml", chart), ("app/values.yaml", "replicas: 1\n")], 86_400 * 365);
        let dir = std::env::temp_dir().join(format!("airgap-helm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let layout = Layout::create(&dir).unwrap();
        let (d1, files) = stage(&layout, "charts/app", "0.1.0", &archive).unwrap();
        let (d2, _) = stage(&layout, "charts/app", "0.1.0", &archive).unwrap();
        assert_eq!(d1, d2);
        assert_eq!(files.chart["name"], "app");
        let m: J = serde_json::from_slice(&layout.read_blob(&d1).unwrap()).unwrap();
        assert!(m.get("mediaType").is_none(), "{m}");
        assert_eq!(m["config"]["mediaType"], CONFIG_MEDIA_TYPE);
        assert_eq!(m["layers"][0]["mediaType"], CHART_LAYER_MEDIA_TYPE);
        assert_eq!(m["layers"][0]["digest"], sha256(&archive).as_str());
        assert_eq!(m["layers"][0]["size"], archive.len());
        let a = &m["annotations"];
        assert_eq!(a["org.opencontainers.image.title"], "app");
        assert_eq!(a["org.opencontainers.image.created"], "1971-01-01T00:00:00Z");
        assert_eq!(a["org.opencontainers.image.url"], "https://x");
        assert_eq!(a["extra"], "kept");
        assert_eq!(layout.digest_of("charts/app:0.1.0").unwrap().as_deref(), Some(d1.as_str()));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_767_225_599), "2025-12-31T23:59:59Z");
        assert!(chart_files(b"not gzip at all, not at all").is_err());
    }
}
