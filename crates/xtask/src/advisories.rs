//! RustSec advisories against the locked dependencies, from a snapshot of the advisory
//! database kept in the repository (`advisories/advisories.tsv`, made by
//! `advisories/update.py` where GitHub is reachable): cargo-deny and cargo-audit fetch the
//! database from GitHub on every run, which CI cannot reach. A vulnerability or an unsound
//! API in a locked version fails the check unless it is in [`IGNORED`] with its reason;
//! unmaintained crates and notices are listed, not failed (most are deep in others' trees).

/// The snapshot: a header line with the database commit, then one advisory a line.
const DB: &str = include_str!("../advisories/advisories.tsv");

/// Advisories accepted, each with why. Keep this short, and say what would remove it.
const IGNORED: &[(&str, &str)] = &[
    (
        "RUSTSEC-2026-0258",
        "h2 0.3 (unbounded empty DATA frames, a denial of service of an HTTP/2 server or \
         client): only in aws-smithy-http-client's legacy hyper 0.14 stack, which the AWS \
         SDK crates' default `rustls` feature compiles in; airgapctl's clients use the \
         default HTTPS client (hyper 1, h2 0.4.20, patched). Goes with the SDK crates \
         built without their legacy features.",
    ),
    (
        "RUSTSEC-2026-0098",
        "rustls-webpki 0.101 (certificate validation): the same legacy rustls 0.21 stack; \
         the client in use validates with rustls-webpki 0.103.17 (patched).",
    ),
    ("RUSTSEC-2026-0099", "rustls-webpki 0.101: as RUSTSEC-2026-0098 (the legacy stack only)."),
    ("RUSTSEC-2026-0104", "rustls-webpki 0.101: as RUSTSEC-2026-0098 (the legacy stack only)."),
];

/// One advisory of the snapshot.
struct Advisory<'a> {
    id: &'a str,
    krate: &'a str,
    kind: &'a str,
    patched: Vec<&'a str>,
    unaffected: Vec<&'a str>,
}

fn advisories() -> (&'static str, Vec<Advisory<'static>>) {
    let mut lines = DB.lines();
    let header = lines.next().unwrap_or("").trim_start_matches("# ");
    let list = |s: &'static str| s.split(';').filter(|r| !r.trim().is_empty()).collect();
    let all = lines
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() >= 5).then(|| Advisory {
                id: f[0],
                krate: f[1],
                kind: f[2],
                patched: list(f[3]),
                unaffected: list(f[4]),
            })
        })
        .collect();
    (header, all)
}

/// What the check found: failures, and what is only listed.
pub struct Findings {
    pub failures: Vec<String>,
    pub listed: Vec<String>,
    pub ignored: usize,
    pub database: &'static str,
    pub count: usize,
}

/// Checks `(name, version)` of every crates.io package against the snapshot.
pub fn check(packages: &[(&str, &str)]) -> Findings {
    let (database, all) = advisories();
    let mut f =
        Findings { failures: vec![], listed: vec![], ignored: 0, database, count: all.len() };
    for a in &all {
        for (name, version) in packages.iter().filter(|(n, _)| *n == a.krate) {
            let Some(v) = Version::parse(version) else { continue };
            let covered = |reqs: &[&str]| reqs.iter().any(|r| matches(r, &v));
            if covered(&a.patched) || covered(&a.unaffected) {
                continue;
            }
            let line = format!("{} {name} {version} ({})", a.id, a.kind);
            if IGNORED.iter().any(|(id, _)| *id == a.id) {
                f.ignored += 1;
            } else if matches!(a.kind, "vulnerability" | "unsound") {
                f.failures.push(line);
            } else {
                f.listed.push(line);
            }
        }
    }
    f
}

/// A semver version: numbers and a pre-release tag (empty for a release).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Version {
    num: [u64; 3],
    pre: String,
}

impl Version {
    fn parse(s: &str) -> Option<Version> {
        let s = s.trim().split('+').next()?;
        let (nums, pre) = s.split_once('-').unwrap_or((s, ""));
        let mut num = [0; 3];
        let mut parts = nums.split('.');
        for n in &mut num {
            *n = parts.next()?.parse().ok()?;
        }
        Some(Version { num, pre: pre.to_string() })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    /// Numbers first; then a release after its pre-releases, which compare as text
    /// (enough for the `alpha.N` tags the database uses).
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.num.cmp(&other.num).then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            (false, false) => self.pre.cmp(&other.pre),
        })
    }
}

/// Whether `v` meets a requirement as Cargo reads it: comparators joined by commas, each
/// `>=`, `>`, `<=`, `<`, `=`, `^`, `~` or bare (caret) before a version that may be
/// partial (`1`, `1.2`).
fn matches(req: &str, v: &Version) -> bool {
    req.split(',').all(|c| comparator(c.trim(), v))
}

fn comparator(c: &str, v: &Version) -> bool {
    let (op, rest) = ["<=", ">=", "<", ">", "=", "^", "~"]
        .iter()
        .find_map(|op| c.strip_prefix(op).map(|r| (*op, r)))
        .unwrap_or(("^", c));
    let rest = rest.trim();
    let (nums, pre) = rest.split_once('-').unwrap_or((rest, ""));
    let given: Vec<u64> = nums.split('.').filter_map(|n| n.parse().ok()).collect();
    if given.is_empty() || given.len() > 3 {
        return false;
    }
    let at = |n: &[u64], pre: &str| {
        let mut num = [0; 3];
        num[..n.len()].copy_from_slice(n);
        Version { num, pre: pre.to_string() }
    };
    let low = at(&given, pre);
    // The first version past the partial one (`1.2` -> 1.3.0).
    let next = |n: &[u64]| {
        let mut n = n.to_vec();
        *n.last_mut().expect("non-empty") += 1;
        at(&n, "")
    };
    match op {
        ">=" => *v >= low,
        "<" => *v < low,
        ">" if given.len() == 3 => *v > low,
        ">" => *v >= next(&given),
        "<=" if given.len() == 3 => *v <= low,
        "<=" => *v < next(&given),
        "=" if given.len() == 3 => *v == low,
        "=" => *v >= low && *v < next(&given),
        "~" => *v >= low && *v < next(&given[..given.len().min(2)]),
        _ => {
            // Caret: the left-most non-zero number given may not change.
            let keep = given.iter().position(|&n| n != 0).map_or(given.len(), |i| i + 1);
            *v >= low && *v < next(&given[..keep.min(given.len())])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(req: &str, v: &str) -> bool {
        matches(req, &Version::parse(v).unwrap())
    }

    #[test]
    fn requirements_read_as_cargo_reads_them() {
        assert!(m(">= 0.9.1", "0.9.1") && !m(">= 0.9.1", "0.9.0"));
        assert!(m("^0.3.24", "0.3.27") && !m("^0.3.24", "0.4.0") && !m("^0.3.24", "0.3.23"));
        assert!(m("^ 0.3.1", "0.3.9") && !m("^ 0.3.1", "0.4.0"));
        assert!(m("^1.2", "1.9.0") && !m("^1.2", "2.0.0"));
        assert!(m("^0.0.3", "0.0.3") && !m("^0.0.3", "0.0.4"));
        assert!(m("0.54.2", "0.54.9") && !m("0.54.2", "0.55.0"));
        assert!(m("~1.2.3", "1.2.9") && !m("~1.2.3", "1.3.0"));
        assert!(m("< 0.23", "0.22.9") && !m("< 0.23", "0.23.0"));
        assert!(m("<= 0.1.37", "0.1.37") && !m("<= 0.1.37", "0.1.38"));
        assert!(m("<= 0.2", "0.2.9") && !m("<= 0.2", "0.3.0"));
        assert!(m("> 1.2", "1.3.0") && !m("> 1.2", "1.2.9"));
        assert!(m("=0.2.3", "0.2.3") && !m("=0.2.3", "0.2.4"));
        assert!(m(">= 0.23, < 0.23.13", "0.23.5") && !m(">= 0.23, < 0.23.13", "0.23.13"));
        // A pre-release bound: 0.101.7 is below 0.102.0-alpha.0, 0.103.17 above.
        assert!(m("< 0.102.0-alpha.0", "0.101.7") && !m("< 0.102.0-alpha.0", "0.103.17"));
        assert!(m(">= 0.103.12, < 0.104.0-alpha.1", "0.103.17"));
        assert!(!m(">= 0.103.12, < 0.104.0-alpha.1", "0.101.7"));
    }

    #[test]
    fn locked_versions_are_judged_by_patched_and_unaffected_ranges() {
        // h2 0.3.27 is patched for RUSTSEC-2024-0003 (^0.3.24) but not for
        // RUSTSEC-2026-0258 (>= 0.4.16); 0.4.20 is patched for both.
        let f = check(&[("h2", "0.3.27"), ("h2", "0.4.20")]);
        assert!(f.failures.is_empty(), "{:?}", f.failures);
        assert_eq!(f.ignored, 1, "RUSTSEC-2026-0258 on h2 0.3.27, accepted with a reason");
        // An old version fails, naming the advisory.
        let f = check(&[("smallvec", "1.6.0")]);
        assert_eq!(f.failures, ["RUSTSEC-2021-0003 smallvec 1.6.0 (vulnerability)"]);
        // Unmaintained is listed, not failed.
        let f = check(&[("number_prefix", "0.4.0")]);
        assert!(f.failures.is_empty());
        assert_eq!(f.listed, ["RUSTSEC-2025-0119 number_prefix 0.4.0 (unmaintained)"]);
        assert!(f.count > 1000, "the snapshot is read whole: {}", f.count);
    }
}
