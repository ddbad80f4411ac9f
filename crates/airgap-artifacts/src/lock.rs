//! The lock file: what a sync copied, by digest, with its scan and the gate's verdict.
//! A person or a CI job reviews it, and `sync --approved LOCK` copies exactly those
//! digests (not what the tags name by then) into the repositories the nodes pull from.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::copy::PlatformImage;
use crate::ArtifactError;

/// The lock file's format version; a reader refuses another.
pub const LOCK_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lock {
    pub version: u32,
    /// The environment (metadata.name of the blueprint).
    pub environment: String,
    /// The registry the artifacts were copied into.
    pub registry: String,
    /// The gate's threshold when it was written.
    pub fail_on: String,
    pub artifacts: Vec<LockEntry>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LockEntry {
    /// The reference as the manifest writes it.
    pub source: String,
    /// What that reference named when copied.
    pub source_digest: String,
    pub repository: String,
    pub tag: String,
    /// What the tag names in the registry.
    pub digest: String,
    pub images: Vec<PlatformImage>,
    pub scan: ScanSummary,
    pub gate: Gate,
    /// RFC 3339, UTC.
    pub synced_at: String,
    /// A Helm chart (an OCI artifact ECR does not scan), not a container image.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub chart: bool,
    /// A chart of a classic chart repository: where it was taken from. `source` is then
    /// the .tgz's URL, `sourceDigest` the .tgz's sha256, `digest` the OCI artifact pushed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chart_repo: Option<ChartRepoSource>,
    /// Where the artifact was put instead of `repository`, which nodes pull from: the
    /// quarantine repository (`registries.quarantine`), until an approved lock copies it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quarantine: Option<String>,
}

/// A chart of a classic chart repository, as the manifest names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartRepoSource {
    /// The repository's URL (index.yaml is under it).
    pub repo: String,
    pub chart: String,
    pub version: String,
}

/// Findings by severity over the artifact's images, as ECR reported them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanSummary {
    /// COMPLETE, or why not (FAILED, UNSUPPORTED_IMAGE, the time waited out).
    pub status: String,
    pub findings: BTreeMap<String, u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    /// No finding at or above the threshold: approvable.
    Passed,
    /// Findings at or above the threshold, or no complete scan: left out.
    Failed,
}

impl Lock {
    pub fn read(path: &Path) -> Result<Lock, ArtifactError> {
        let err = |m: String| ArtifactError::Lock { path: path.display().to_string(), message: m };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        // A lock lists digests; a file this large is not one.
        if meta.len() > 16 << 20 {
            return Err(err("larger than 16 MiB: not a lock file".into()));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let lock: Lock =
            serde_json::from_str(&text).map_err(|e| err(format!("not a lock file: {e}")))?;
        if lock.version != LOCK_VERSION {
            return Err(err(format!(
                "lock file version {} (this airgapctl reads {LOCK_VERSION})",
                lock.version
            )));
        }
        Ok(lock)
    }

    /// Written whole to a temporary file, then renamed: a killed run leaves the old lock.
    pub fn write(&self, path: &Path) -> Result<(), ArtifactError> {
        let err = |m: String| ArtifactError::Lock { path: path.display().to_string(), message: m };
        let tmp = path.with_extension("lock.tmp");
        let text = serde_json::to_string_pretty(self).expect("lock serializes") + "\n";
        std::fs::write(&tmp, text).map_err(|e| err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| err(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_round_trips_and_another_version_is_refused() {
        let dir = std::env::temp_dir().join(format!("airgap-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.lock.json");
        let lock = Lock {
            version: LOCK_VERSION,
            environment: "demo".into(),
            registry: "1.dkr.ecr.eu-central-1.amazonaws.com".into(),
            fail_on: "HIGH".into(),
            artifacts: vec![LockEntry {
                source: "nginx:1".into(),
                source_digest: "sha256:a".into(),
                repository: "mirror/nginx".into(),
                tag: "1".into(),
                digest: "sha256:a".into(),
                images: vec![],
                scan: ScanSummary {
                    status: "COMPLETE".into(),
                    findings: BTreeMap::from([("HIGH".into(), 1)]),
                },
                gate: Gate::Failed,
                synced_at: "2026-12-02T00:00:00Z".into(),
                chart: false,
                chart_repo: None,
                quarantine: None,
            }],
        };
        lock.write(&path).unwrap();
        assert_eq!(Lock::read(&path).unwrap(), lock);
        std::fs::write(
            &path,
            r#"{"version":2,"environment":"d","registry":"r","failOn":"HIGH","artifacts":[]}"#,
        )
        .unwrap();
        assert!(Lock::read(&path).unwrap_err().to_string().contains("version 2"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
