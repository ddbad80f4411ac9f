//! One image copied from its source into a repository of the target, by digest.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use airgap_blueprint::{ImageRef, Platform};
use futures_util::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use serde_json::Value as J;
use sha2::{Digest as _, Sha256};

use crate::store::{Ref, Store};
use crate::ArtifactError;

/// The manifest formats a registry may answer with (OCI image spec; Docker's v2 schema 2),
/// which ECR stores (ECR user guide, "Container image manifest format support").
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub(crate) const ACCEPTED: [&str; 4] = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST];

/// What the copy reports as it goes, for progress bars.
#[derive(Clone, Debug)]
pub enum Progress {
    /// Bytes of a blob went up (or were found there already: `skipped`).
    Blob { digest: String, bytes: u64, skipped: bool },
}

/// One platform's image in what was copied: what ECR scans.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformImage {
    /// `os/arch[/variant]`, or `unknown` for an image whose platform is not written.
    pub platform: String,
    pub digest: String,
}

/// What one copy did.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CopyReport {
    /// The source manifest's digest (the index, for a multi-platform image).
    pub source_digest: String,
    /// The digest the target's tag names: the source's, unless platforms were left out
    /// of an index (a new index, of the platforms kept).
    pub digest: String,
    pub media_type: String,
    /// The images, one per platform kept.
    pub images: Vec<PlatformImage>,
    /// Blob bytes sent to the target (0: all there already).
    pub bytes_copied: u64,
    pub blobs_copied: usize,
    pub blobs_present: usize,
    /// Blobs the target registry mounted from the source repository (same registry),
    /// sending no bytes.
    pub blobs_mounted: usize,
    pub manifests_copied: usize,
    /// The target had the tag on this digest already: nothing was read beyond the
    /// source's manifest.
    pub up_to_date: bool,
}

/// What became of one blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BlobDone {
    Copied,
    Present,
    Mounted,
}

impl CopyReport {
    fn count(&mut self, done: BlobDone) {
        match done {
            BlobDone::Copied => self.blobs_copied += 1,
            BlobDone::Present => self.blobs_present += 1,
            BlobDone::Mounted => self.blobs_mounted += 1,
        }
    }
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(bytes);
    let out = h.finalize();
    let mut s = String::with_capacity(71);
    s.push_str("sha256:");
    for b in out.iter() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The media type of a manifest: its `mediaType`, or (the OCI spec lets it be left out)
/// what its fields show.
fn media_type_of(doc: &J) -> String {
    if let Some(m) = doc["mediaType"].as_str() {
        return m.to_string();
    }
    if doc.get("manifests").is_some() {
        OCI_INDEX.to_string()
    } else {
        OCI_MANIFEST.to_string()
    }
}

fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

fn platform_of(entry: &J) -> Option<Platform> {
    let p = &entry["platform"];
    Some(Platform {
        os: p["os"].as_str()?.to_string(),
        architecture: p["architecture"].as_str()?.to_string(),
        variant: p["variant"].as_str().map(str::to_string),
    })
}

/// A platform asked for matches an entry: same os and architecture, and the variant if
/// one is asked for.
fn matches(want: &Platform, have: &Platform) -> bool {
    want.os == have.os
        && want.architecture == have.architecture
        && (want.variant.is_none() || want.variant == have.variant)
}

/// A blob a manifest refers to.
struct Blob {
    digest: String,
    size: u64,
}

/// The config and layers of an image manifest. Non-distributable ("foreign") layers stay
/// where they are, as skopeo leaves them: the registry of their `urls` serves them.
fn blobs_of(reference: &str, doc: &J) -> Result<Vec<Blob>, ArtifactError> {
    let bad =
        |m: &str| ArtifactError::Content { reference: reference.to_string(), message: m.into() };
    let mut out = Vec::new();
    let descriptor = |d: &J| -> Result<Blob, ArtifactError> {
        let digest = d["digest"].as_str().ok_or_else(|| bad("a descriptor has no digest"))?;
        if !airgap_blueprint::artifacts::is_sha256_digest(digest) {
            return Err(bad(&format!("{digest} is not a sha256 digest (ECR keeps only those)")));
        }
        let size = d["size"].as_u64().ok_or_else(|| bad("a descriptor has no size"))?;
        Ok(Blob { digest: digest.to_string(), size })
    };
    out.push(descriptor(&doc["config"])?);
    for l in doc["layers"].as_array().ok_or_else(|| bad("the manifest has no layers"))? {
        let mt = l["mediaType"].as_str().unwrap_or_default();
        if mt.contains("foreign") || mt.contains("nondistributable") {
            continue;
        }
        out.push(descriptor(l)?);
    }
    Ok(out)
}

struct Ctx<'a> {
    src: &'a Store<'a>,
    src_repo: &'a str,
    dst: &'a Store<'a>,
    dst_repo: &'a str,
    progress: &'a (dyn Fn(Progress) + Sync),
    bytes: AtomicU64,
}

impl Ctx<'_> {
    /// A manifest of the source, and the digest of its bytes as they came (what the
    /// target will compute), checked against the digest asked for.
    async fn pull_manifest(&self, at: &Ref) -> Result<(bytes::Bytes, String), ArtifactError> {
        let bytes = self.src.manifest(self.src_repo, at).await?;
        let digest = sha256(&bytes);
        if let Ref::Digest(want) = at {
            if *want != digest {
                return Err(ArtifactError::Content {
                    reference: format!("{}/{}@{want}", self.src.name(), self.src_repo),
                    message: format!("the manifest's bytes hash to {digest}, not {want}"),
                });
            }
        }
        Ok((bytes, digest))
    }

    /// One blob: HEAD at the target first; else, within one registry, a mount from the
    /// source repository; else streamed from the source (checked against its digest as
    /// it comes) into one monolithic PUT (checked by the target).
    async fn blob(&self, blob: &Blob) -> Result<BlobDone, ArtifactError> {
        let sent_none = if self.dst.blob_exists(self.dst_repo, &blob.digest).await? {
            Some(BlobDone::Present)
        } else if self.src.same_registry(self.dst)
            && self.src_repo != self.dst_repo
            && self.dst.mount_blob(self.dst_repo, self.src_repo, &blob.digest).await
        {
            Some(BlobDone::Mounted)
        } else {
            None
        };
        if let Some(done) = sent_none {
            (self.progress)(Progress::Blob {
                digest: blob.digest.clone(),
                bytes: blob.size,
                skipped: true,
            });
            return Ok(done);
        }
        let stream = self.src.blob(self.src_repo, &blob.digest).await?;
        let counted = Arc::new(AtomicU64::new(0));
        let c = Arc::clone(&counted);
        let body = stream
            .map_ok(move |b| {
                c.fetch_add(b.len() as u64, Ordering::Relaxed);
                b
            })
            .boxed();
        self.dst.put_blob(self.dst_repo, &blob.digest, blob.size, body).await?;
        let sent = counted.load(Ordering::Relaxed);
        self.bytes.fetch_add(sent, Ordering::Relaxed);
        (self.progress)(Progress::Blob {
            digest: blob.digest.clone(),
            bytes: sent,
            skipped: false,
        });
        Ok(BlobDone::Copied)
    }

    /// An image manifest (by digest) and its blobs, unless the target has it.
    async fn image(&self, digest: &str, report: &mut CopyReport) -> Result<(), ArtifactError> {
        let at = Ref::Digest(digest.to_string());
        if self.dst.manifest_digest(self.dst_repo, &at).await?.is_some() {
            return Ok(());
        }
        let (bytes, _) = self.pull_manifest(&at).await?;
        let doc: J = serde_json::from_slice(&bytes).map_err(|e| ArtifactError::Content {
            reference: digest.to_string(),
            message: format!("the manifest is not JSON: {e}"),
        })?;
        let mt = media_type_of(&doc);
        if is_index(&mt) {
            return Err(ArtifactError::Content {
                reference: digest.to_string(),
                message: "an index inside an index: nested indexes are not copied".into(),
            });
        }
        let blobs = blobs_of(digest, &doc)?;
        // A few blobs at a time: layers are large, and the machine's link is the limit.
        let results: Vec<BlobDone> = futures_util::stream::iter(blobs.iter().map(|b| self.blob(b)))
            .buffer_unordered(4)
            .try_collect()
            .await?;
        for done in results {
            report.count(done);
        }
        self.dst.put_manifest(self.dst_repo, &at, bytes, &mt).await?;
        report.manifests_copied += 1;
        Ok(())
    }
}

/// Copies `source` (the `platforms` of it; all when empty), read from `src`, into
/// `dst_repo:tag` of `dst`.
#[allow(clippy::too_many_arguments)]
pub async fn copy_image(
    src: &Store<'_>,
    source: &ImageRef,
    platforms: &[Platform],
    dst: &Store<'_>,
    dst_repo: &str,
    tag: &str,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<CopyReport, ArtifactError> {
    let ctx = Ctx {
        src,
        src_repo: &source.repository,
        dst,
        dst_repo,
        progress,
        bytes: AtomicU64::new(0),
    };
    let top = match &source.digest {
        Some(d) => Ref::Digest(d.clone()),
        None => Ref::Tag(source.tag.clone().unwrap_or_else(|| "latest".into())),
    };
    let (bytes, source_digest) = ctx.pull_manifest(&top).await?;
    let doc: J = serde_json::from_slice(&bytes).map_err(|e| ArtifactError::Content {
        reference: source.to_string(),
        message: format!("the manifest is not JSON: {e}"),
    })?;
    let media_type = media_type_of(&doc);
    let mut report = CopyReport {
        source_digest: source_digest.clone(),
        media_type: media_type.clone(),
        ..Default::default()
    };

    // What the target's tag is to name, and the images under it.
    let (top_bytes, children): (bytes::Bytes, Vec<(String, PlatformImage)>) =
        if is_index(&media_type) {
            let entries = doc["manifests"].as_array().cloned().unwrap_or_default();
            if let Some(want) = platforms
                .iter()
                .find(|w| !entries.iter().any(|e| platform_of(e).is_some_and(|p| matches(w, &p))))
            {
                let available: Vec<String> =
                    entries.iter().filter_map(platform_of).map(|p| p.to_string()).collect();
                return Err(ArtifactError::NoPlatform {
                    reference: source.to_string(),
                    platform: want.to_string(),
                    available: available.join(", "),
                });
            }
            let kept: Vec<J> = entries
                .iter()
                .filter(|e| {
                    platforms.is_empty()
                        || platform_of(e).is_some_and(|p| platforms.iter().any(|w| matches(w, &p)))
                })
                .cloned()
                .collect();
            let children = kept
                .iter()
                .filter_map(|e| {
                    let d = e["digest"].as_str()?.to_string();
                    let platform =
                        platform_of(e).map_or_else(|| "unknown".to_string(), |p| p.to_string());
                    Some((d.clone(), PlatformImage { platform, digest: d }))
                })
                .collect();
            if kept.len() == entries.len() {
                (bytes, children)
            } else {
                // A new index of the platforms kept: the source's other fields as they are.
                let mut narrowed = doc.clone();
                narrowed["manifests"] = J::Array(kept);
                (bytes::Bytes::from(serde_json::to_vec(&narrowed).expect("JSON")), children)
            }
        } else {
            let platform =
                if platforms.is_empty() { "unknown".to_string() } else { platforms[0].to_string() };
            (
                bytes.clone(),
                vec![(
                    source_digest.clone(),
                    PlatformImage { platform, digest: source_digest.clone() },
                )],
            )
        };
    let digest = sha256(&top_bytes);
    report.digest = digest.clone();
    report.images = children.iter().map(|(_, p)| p.clone()).collect();

    // HEAD first: the tag on this digest already means the whole image is there (a
    // registry accepts a manifest only once everything it refers to is).
    let at_tag = Ref::Tag(tag.to_string());
    match dst.manifest_digest(dst_repo, &at_tag).await? {
        Some(existing) if existing == digest => {
            report.up_to_date = true;
            return Ok(report);
        }
        Some(existing) => {
            return Err(ArtifactError::TagTaken {
                target: format!("{}/{dst_repo}:{tag}", dst.name()),
                existing,
                wanted: digest,
            })
        }
        None => {}
    }
    if is_index(&media_type) {
        for (d, _) in &children {
            ctx.image(d, &mut report).await?;
        }
    } else {
        // A single image: its blobs, then the manifest by tag below.
        let blobs = blobs_of(&source.to_string(), &doc)?;
        for b in &blobs {
            report.count(ctx.blob(b).await?);
        }
    }
    dst.put_manifest(dst_repo, &at_tag, top_bytes, &media_type).await?;
    report.manifests_copied += 1;
    report.bytes_copied = ctx.bytes.load(Ordering::Relaxed);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn media_types_and_platforms_are_read_as_written_or_inferred() {
        assert_eq!(media_type_of(&json!({"manifests": []})), OCI_INDEX);
        assert_eq!(media_type_of(&json!({"layers": []})), OCI_MANIFEST);
        assert_eq!(media_type_of(&json!({"mediaType": DOCKER_LIST})), DOCKER_LIST);
        let e = json!({"platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}});
        let p = platform_of(&e).unwrap();
        assert!(matches(&Platform::parse("linux/arm64").unwrap(), &p));
        assert!(matches(&Platform::parse("linux/arm64/v8").unwrap(), &p));
        assert!(!matches(&Platform::parse("linux/arm64/v7").unwrap(), &p));
        assert!(!matches(&Platform::parse("linux/amd64").unwrap(), &p));
    }

    #[test]
    fn foreign_layers_stay_and_bad_digests_are_refused() {
        let d = format!("sha256:{}", "b".repeat(64));
        let doc = json!({
            "config": {"digest": d, "size": 2},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": 5},
                {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "digest": d, "size": 9}
            ]
        });
        assert_eq!(blobs_of("x", &doc).unwrap().len(), 2);
        let bad = json!({"config": {"digest": "sha512:00", "size": 1}, "layers": []});
        assert!(blobs_of("x", &bad).is_err());
    }

    #[test]
    fn digests_are_sha256_of_the_bytes() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
