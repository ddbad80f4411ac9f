//! A chart's archive: the gzip, the tar, and the Chart.yaml and values.yaml files of the
//! chart and of its subcharts.

use std::collections::BTreeMap;
use std::io::Read as _;

use serde_json::Value as J;

use super::MAX_UNPACKED_BYTES;

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
