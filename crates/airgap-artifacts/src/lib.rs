//! Artifacts: images copied from the registries they are published in into the
//! environment's private ECR, by digest, as `airgapctl artifacts sync` does; the lock
//! file that records what was copied, its scan and whether it passed the gate.
//!
//! No AWS SDK here: ECR is reached as the OCI registry it is (the distribution API),
//! with the credentials the caller got from `GetAuthorizationToken`. The copy follows
//! what skopeo and crane do, under ECR's rules:
//!
//! * digests are kept: manifests are pushed as the source's bytes, so the digest in ECR
//!   is the source's (unless platforms are left out of an index, which makes a new one);
//! * HEAD first: a manifest (and a blob) the target has is not sent again, so a second run
//!   copies nothing;
//! * blobs go up whole, in one PUT (ECR drops chunks of chunked uploads; the Zarf and
//!   Hauler issues record it), streamed, with their size and digest, which the registry
//!   checks; blobs coming down are checked against their digest as they stream.

pub mod auth;
pub mod chart_images;
pub mod copy;
pub mod helm;
pub mod layout;
pub mod lock;
mod registry;
pub mod severity;
pub mod store;

pub use copy::{copy_image, CopyReport, PlatformImage, Progress};
pub use layout::Layout;
pub use lock::{ChartRepoSource, Gate, Lock, LockEntry, ScanSummary};
pub use registry::{Registry, RegistryOptions};
pub use severity::Severity;
pub use store::{Ref, Store};

/// Why a copy failed.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    /// A registry answered with an error, or could not be reached.
    #[error("{registry}: {what}: {source}")]
    Registry {
        registry: String,
        what: String,
        #[source]
        source: Box<oci_client::errors::OciDistributionError>,
    },
    /// The source's content is not what its reference promised, or not an image.
    #[error("{reference}: {message}")]
    Content { reference: String, message: String },
    /// A platform asked for is not in the source's index.
    #[error("{reference} has no {platform} image (it has: {available})")]
    NoPlatform { reference: String, platform: String, available: String },
    /// The target's tag names another image: repositories have immutable tags.
    #[error(
        "{target} already names {existing}, not {wanted}: the repository's tags are immutable; \
         give the entry another tag"
    )]
    TagTaken { target: String, existing: String, wanted: String },
    /// A classic chart repository could not be read, or its chart is not what its index
    /// says.
    #[error("{url}: {message}")]
    ChartRepo { url: String, message: String },
    /// A chart repository answered 401: it wants credentials, or others than those sent.
    #[error("{url}: {message}")]
    ChartRepoUnauthorized { url: String, message: String },
    /// A credentials file (or helper) cannot be read, or its entry for a host is broken.
    #[error("credentials: {path}: {message}")]
    Credentials { path: String, message: String },
    /// The lock file cannot be read or written.
    #[error("{path}: {message}")]
    Lock { path: String, message: String },
}

impl ArtifactError {
    /// The source refused the credentials sent, or wanted some and got none.
    pub fn is_unauthorized(&self) -> bool {
        use oci_client::errors::OciDistributionError as E;
        match self {
            ArtifactError::Registry { source, .. } => matches!(
                source.as_ref(),
                E::UnauthorizedError { .. } | E::ServerError { code: 401, .. }
            ),
            ArtifactError::ChartRepoUnauthorized { .. } => true,
            _ => false,
        }
    }
}
