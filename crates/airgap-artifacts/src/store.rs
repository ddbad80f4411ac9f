//! Where a copy reads from and writes to: a registry, or an OCI image layout on disk.

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};

use crate::copy::ACCEPTED;
use crate::layout::Layout;
use crate::registry::Registry;
use crate::ArtifactError;

/// A manifest named by tag or by digest.
#[derive(Clone, Debug)]
pub enum Ref {
    Tag(String),
    Digest(String),
}

impl Ref {
    fn describe(&self, repo: &str) -> String {
        match self {
            Ref::Tag(t) => format!("{repo}:{t}"),
            Ref::Digest(d) => format!("{repo}@{d}"),
        }
    }
}

/// One side of a copy.
pub enum Store<'a> {
    Registry(&'a Registry),
    Layout(&'a Layout),
}

type Blobs = BoxStream<'static, Result<Bytes, std::io::Error>>;

impl Store<'_> {
    pub fn name(&self) -> String {
        match self {
            Store::Registry(r) => r.host.clone(),
            Store::Layout(l) => l.dir.display().to_string(),
        }
    }

    fn oci_ref(r: &Registry, repo: &str, at: &Ref) -> oci_client::Reference {
        match at {
            Ref::Tag(t) => r.tag(repo, t),
            Ref::Digest(d) => r.digest(repo, d),
        }
    }

    /// The manifest's bytes as stored.
    pub async fn manifest(&self, repo: &str, at: &Ref) -> Result<Bytes, ArtifactError> {
        match self {
            Store::Registry(r) => {
                let reference = Self::oci_ref(r, repo, at);
                let (bytes, _) = r
                    .client
                    .pull_manifest_raw(&reference, &r.auth, &ACCEPTED)
                    .await
                    .map_err(|e| r.error(format!("GET manifest {reference}"), e))?;
                Ok(bytes)
            }
            Store::Layout(l) => {
                let digest = match at {
                    Ref::Digest(d) => d.clone(),
                    Ref::Tag(_) => {
                        l.digest_of(&at.describe(repo))?.ok_or_else(|| ArtifactError::Content {
                            reference: l.dir.display().to_string(),
                            message: format!("the layout has no {}", at.describe(repo)),
                        })?
                    }
                };
                l.read_blob(&digest)
            }
        }
    }

    /// The digest stored under `at`, or `None`: a HEAD on a registry.
    pub async fn manifest_digest(
        &self,
        repo: &str,
        at: &Ref,
    ) -> Result<Option<String>, ArtifactError> {
        match self {
            Store::Registry(r) => r.manifest_digest(&Self::oci_ref(r, repo, at)).await,
            Store::Layout(l) => match at {
                Ref::Digest(d) => Ok(l.has_blob(d)?.then(|| d.clone())),
                Ref::Tag(_) => l.digest_of(&at.describe(repo)),
            },
        }
    }

    pub async fn blob_exists(&self, repo: &str, digest: &str) -> Result<bool, ArtifactError> {
        match self {
            Store::Registry(r) => r.blob_exists(repo, digest).await,
            Store::Layout(l) => l.has_blob(digest),
        }
    }

    /// A blob's bytes as they come, checked against the digest by the time they end.
    pub async fn blob(&self, repo: &str, digest: &str) -> Result<Blobs, ArtifactError> {
        match self {
            Store::Registry(r) => {
                let from = r.digest(repo, digest);
                r.client.store_auth_if_needed(from.resolve_registry(), &r.auth).await;
                let s = r
                    .client
                    .pull_blob_stream(&from, digest)
                    .await
                    .map_err(|e| r.error(format!("GET blob {digest}"), e))?;
                Ok(s.stream)
            }
            Store::Layout(l) => l.blob_stream(digest).await,
        }
    }

    /// Both the same registry (one host): a blob can be mounted from one repository into
    /// another instead of copied.
    pub fn same_registry(&self, other: &Store<'_>) -> bool {
        matches!((self, other), (Store::Registry(a), Store::Registry(b)) if a.host == b.host)
    }

    /// Cross-repository mount of a blob the registry holds in `from` (OCI distribution
    /// spec, "Mounting a blob from another repository"): true when the registry answered
    /// 201. ECR mounts only with the registry's BLOB_MOUNTING setting ENABLED and between
    /// repositories of one encryption (ECR user guide, "Blob mounting in Amazon ECR");
    /// otherwise it answers 202 with an upload session, left to expire, and the blob is
    /// copied.
    pub async fn mount_blob(&self, repo: &str, from: &str, digest: &str) -> bool {
        match self {
            Store::Registry(r) => {
                let (to, source) = (r.digest(repo, digest), r.digest(from, digest));
                r.client.store_auth_if_needed(to.resolve_registry(), &r.auth).await;
                match r.client.mount_blob(&to, &source, digest).await {
                    Ok(()) => true,
                    Err(e) => {
                        tracing::debug!(%repo, %from, %digest, error = %e, "not mounted");
                        false
                    }
                }
            }
            Store::Layout(_) => false,
        }
    }

    /// Stores a blob whole (one monolithic PUT on a registry).
    pub async fn put_blob(
        &self,
        repo: &str,
        digest: &str,
        size: u64,
        body: Blobs,
    ) -> Result<(), ArtifactError> {
        match self {
            Store::Registry(r) => {
                let to = r.digest(repo, digest);
                r.client.store_auth_if_needed(to.resolve_registry(), &r.auth).await;
                let body = body.map_err(oci_client::errors::OciDistributionError::from).boxed();
                r.client
                    .push_blob_stream(&to, body, digest, Some(size))
                    .await
                    .map_err(|e| r.error(format!("PUT blob {digest} into {repo}"), e))?;
                Ok(())
            }
            Store::Layout(l) => l.write_blob(digest, size, body).await.map(|_| ()),
        }
    }

    pub async fn put_manifest(
        &self,
        repo: &str,
        at: &Ref,
        bytes: Bytes,
        media_type: &str,
    ) -> Result<(), ArtifactError> {
        match self {
            Store::Registry(r) => {
                let reference = Self::oci_ref(r, repo, at);
                let ct = media_type.parse().map_err(|_| ArtifactError::Content {
                    reference: reference.to_string(),
                    message: format!("media type {media_type} is not a header value"),
                })?;
                r.client.store_auth_if_needed(reference.resolve_registry(), &r.auth).await;
                r.client
                    .push_manifest_raw(&reference, bytes, ct)
                    .await
                    .map_err(|e| r.error(format!("PUT manifest {reference}"), e))?;
                Ok(())
            }
            Store::Layout(l) => {
                let name = match at {
                    Ref::Tag(_) => Some(at.describe(repo)),
                    Ref::Digest(_) => None,
                };
                l.put_manifest(name.as_deref(), &bytes, media_type).map(|_| ())
            }
        }
    }
}
