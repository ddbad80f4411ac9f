//! The OCI artifact `helm push` makes of a chart's .tgz: its config (the chart's metadata
//! as Helm's Go code marshals it) and its manifest.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::{ChartFiles, CHART_LAYER_MEDIA_TYPE, CONFIG_MEDIA_TYPE};
use crate::copy::sha256;

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

#[cfg(test)]
mod tests {
    use super::super::tests::tgz;
    use super::super::*;
    use super::*;

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
