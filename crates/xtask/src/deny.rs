//! The supply chain, checked from `cargo metadata` on every `cargo xtask test`: each
//! dependency's license is one we can ship under Apache-2.0, every crate comes from
//! crates.io (or this workspace), no new crate is built in two versions, and no locked
//! version has a RustSec vulnerability or unsound advisory (from the snapshot in
//! `advisories/`, see [`crate::advisories`]). What `cargo deny check` checks, without
//! building cargo-deny or fetching its database from GitHub on every CI run.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Licenses (SPDX ids) a dependency may carry: permissive ones, compatible with
/// distributing airgapctl under Apache-2.0. CDLA-Permissive-2.0 is the data license of
/// Mozilla's root certificates (webpki-root-certs, which reqwest's TLS verifier ships for
/// the artifact sync's HTTPS): permissive, no conditions on software that uses the data.
const ALLOWED: [&str; 14] = [
    "MIT",
    "MIT-0",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Unicode-3.0",
    "Zlib",
    "0BSD",
    "CC0-1.0",
    "BSL-1.0",
    "Unlicense",
    "CDLA-Permissive-2.0",
];

/// Crates built in more than one version today (mostly the AWS SDK's legacy HTTP stack
/// beside the current one). A new one fails the check: raise this on purpose, with the
/// reason in the commit, or unify the versions. 27: rcgen (the VPN's certificate
/// authority) brings x509-parser as an optional dependency it never turns on here; Cargo
/// locks it all the same, with bit-vec 0.10 and synstructure 0.13 beside the versions in
/// use, which `cargo metadata` lists though nothing builds them. 30: oci-client (the
/// artifact sync's registry client) uses base64 0.22 beside the SDK's 0.23, and its
/// oci-spec strum 0.27 (with strum_macros) beside the 0.28 in use.
const DUPLICATE_BUDGET: usize = 30;

pub fn check(cargo: &str) -> Result<String, String> {
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!("cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let packages = packages(&text);
    if packages.is_empty() {
        return Err("cargo metadata listed no packages".into());
    }
    let mut problems = Vec::new();
    let mut versions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in &packages {
        versions.entry(&p.name).or_default().insert(&p.version);
        match p.source.as_deref() {
            None => {}
            Some(s) if s.starts_with("registry+https://github.com/rust-lang/crates.io-index") => {}
            Some(s) => {
                problems.push(format!("{} {} comes from {s}, not crates.io", p.name, p.version))
            }
        }
        if p.source.is_none() {
            continue; // the workspace's own crates
        }
        match p.license.as_deref() {
            None => problems.push(format!("{} {} declares no license", p.name, p.version)),
            Some(l) if !allowed(l) => problems
                .push(format!("{} {} is under {l}, which is not allowed", p.name, p.version)),
            Some(_) => {}
        }
    }
    let dups: Vec<String> = versions
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(n, v)| format!("{n} ({})", v.iter().copied().collect::<Vec<_>>().join(", ")))
        .collect();
    if dups.len() > DUPLICATE_BUDGET {
        problems.push(format!(
            "{} crates are built in several versions, more than the {DUPLICATE_BUDGET} allowed: {}",
            dups.len(),
            dups.join(", ")
        ));
    }
    let locked: Vec<(&str, &str)> = packages
        .iter()
        .filter(|p| p.source.is_some())
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    let adv = crate::advisories::check(&locked);
    problems.extend(adv.failures.iter().map(|f| format!("advisory {f}")));
    if problems.is_empty() {
        let listed = if adv.listed.is_empty() {
            String::new()
        } else {
            format!("; listed, not failed: {}", adv.listed.join(", "))
        };
        Ok(format!(
            "{} crates: licenses allowed, all from crates.io, {} built in two versions \
             (budget {DUPLICATE_BUDGET}); advisories: none open of {} ({}; {} accepted with \
             a reason){listed}",
            packages.len(),
            dups.len(),
            adv.count,
            adv.database,
            adv.ignored,
        ))
    } else {
        Err(problems.join("\n"))
    }
}

struct Package {
    name: String,
    version: String,
    license: Option<String>,
    source: Option<String>,
}

/// The packages of `cargo metadata`'s JSON: its `"packages"` array, read for the four
/// string fields needed (xtask has no dependencies, so no JSON crate).
fn packages(json: &str) -> Vec<Package> {
    let Some(start) = json.find("\"packages\":[") else { return Vec::new() };
    let bytes = json.as_bytes();
    let mut i = start + "\"packages\":[".len();
    let mut out = Vec::new();
    // Each package is one top-level object of the array.
    while i < bytes.len() && bytes[i] == b'{' {
        let end = object_end(bytes, i);
        let obj = &json[i..end];
        out.push(Package {
            name: field(obj, "name").unwrap_or_default(),
            version: field(obj, "version").unwrap_or_default(),
            license: field(obj, "license"),
            source: field(obj, "source"),
        });
        i = end;
        if i < bytes.len() && bytes[i] == b',' {
            i += 1;
        }
    }
    out
}

/// The index after the object starting at `i`, skipping strings.
fn object_end(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0;
    let mut in_str = false;
    while i < b.len() {
        match (in_str, b[i]) {
            (true, b'\\') => i += 1,
            (true, b'"') => in_str = false,
            (false, b'"') => in_str = true,
            (false, b'{' | b'[') => depth += 1,
            (false, b'}' | b']') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// A top-level string field of one package object (`null` is None). Nested objects
/// (dependencies, targets) come after these fields in cargo's output, and the first
/// occurrence is the package's own.
fn field(obj: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\":");
    let at = obj.find(&key)? + key.len();
    let rest = &obj[at..];
    let rest = rest.strip_prefix('"')?;
    let mut s = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => s.extend(chars.next()),
            '"' => return Some(s),
            c => s.push(c),
        }
    }
    None
}

/// Whether an SPDX expression (`A OR B`, `A AND (B OR C)`, cargo's old `A/B`) allows use
/// under the licenses in [`ALLOWED`].
fn allowed(expr: &str) -> bool {
    let spaced = expr.replace('(', " ( ").replace(')', " ) ").replace('/', " OR ");
    let tokens: Vec<&str> = spaced.split_whitespace().collect();
    let mut pos = 0;
    let ok = or_expr(&tokens, &mut pos);
    ok && pos == tokens.len()
}

fn or_expr(t: &[&str], pos: &mut usize) -> bool {
    let mut ok = and_expr(t, pos);
    while t.get(*pos) == Some(&"OR") {
        *pos += 1;
        ok |= and_expr(t, pos);
    }
    ok
}

fn and_expr(t: &[&str], pos: &mut usize) -> bool {
    let mut ok = atom(t, pos);
    while t.get(*pos) == Some(&"AND") {
        *pos += 1;
        ok &= atom(t, pos);
    }
    ok
}

fn atom(t: &[&str], pos: &mut usize) -> bool {
    match t.get(*pos) {
        Some(&"(") => {
            *pos += 1;
            let ok = or_expr(t, pos);
            if t.get(*pos) == Some(&")") {
                *pos += 1;
                ok
            } else {
                false
            }
        }
        Some(id) => {
            *pos += 1;
            let mut id = id.to_string();
            if t.get(*pos) == Some(&"WITH") {
                id = format!("{id} WITH {}", t.get(*pos + 1).unwrap_or(&""));
                *pos += 2;
            }
            ALLOWED.contains(&id.as_str())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spdx_expressions() {
        assert!(allowed("MIT OR Apache-2.0"));
        assert!(allowed("MIT/Apache-2.0"));
        assert!(allowed("MIT OR Apache-2.0 OR LGPL-2.1-or-later"));
        assert!(allowed("ISC AND (Apache-2.0 OR ISC) AND MIT"));
        assert!(allowed("Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT"));
        assert!(!allowed("GPL-3.0-only"));
        assert!(!allowed("MIT AND GPL-2.0-only"));
        assert!(!allowed("(MIT"));
        assert!(!allowed(""));
    }

    #[test]
    fn packages_are_read_from_cargo_metadata_json() {
        let json = r#"{"packages":[{"name":"a","version":"1.0.0","id":"x","license":"MIT","license_file":null,"description":"has \"quotes\" {}","source":"registry+https://github.com/rust-lang/crates.io-index","dependencies":[{"name":"b","source":"git+https://x"}]},{"name":"w","version":"0.1.0","license":null,"source":null}],"workspace_members":[]}"#;
        let p = packages(json);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].name.as_str(), p[0].license.as_deref()), ("a", Some("MIT")));
        assert!(p[0].source.as_deref().unwrap().starts_with("registry+"));
        assert_eq!((p[1].name.as_str(), p[1].source.as_deref()), ("w", None));
    }
}
