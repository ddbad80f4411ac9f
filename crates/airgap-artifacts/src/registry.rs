//! One registry, as the copy reaches it: its host, its credentials, and an OCI client
//! configured for it.

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use crate::ArtifactError;

/// How to reach a registry.
#[derive(Clone, Debug, Default)]
pub struct RegistryOptions {
    /// Plain HTTP instead of HTTPS (a mirror on the operator's own network).
    pub plain_http: bool,
    /// An HTTP proxy every request goes through (`http://host:port`). The emulator serves
    /// ECR's registry on its one port by host name, as a proxy would be asked.
    pub proxy: Option<String>,
    /// Credentials: `None` is anonymous (public registries hand out an anonymous bearer
    /// token through their challenge; oci-client follows it).
    pub basic: Option<(String, String)>,
}

/// A registry and its client.
pub struct Registry {
    pub host: String,
    pub(crate) auth: RegistryAuth,
    pub(crate) client: Client,
}

impl Registry {
    pub fn new(host: &str, opts: &RegistryOptions) -> Registry {
        let config = ClientConfig {
            protocol: if opts.plain_http { ClientProtocol::Http } else { ClientProtocol::Https },
            // Whole blobs in one PUT: ECR does not take chunked uploads reliably (it drops
            // chunks; see the crate's documentation).
            use_monolithic_push: true,
            // Indexes are handled here, by platform, never resolved by the client.
            platform_resolver: None,
            http_proxy: opts.proxy.clone(),
            https_proxy: opts.proxy.clone(),
            connect_timeout: Some(std::time::Duration::from_secs(10)),
            read_timeout: Some(std::time::Duration::from_secs(120)),
            user_agent: concat!("airgapctl/", env!("CARGO_PKG_VERSION")),
            ..ClientConfig::default()
        };
        let auth = match &opts.basic {
            Some((u, p)) => RegistryAuth::Basic(u.clone(), p.clone()),
            None => RegistryAuth::Anonymous,
        };
        Registry { host: host.to_string(), auth, client: Client::new(config) }
    }

    pub(crate) fn tag(&self, repository: &str, tag: &str) -> Reference {
        Reference::with_tag(self.host.clone(), repository.to_string(), tag.to_string())
    }

    pub(crate) fn digest(&self, repository: &str, digest: &str) -> Reference {
        Reference::with_digest(self.host.clone(), repository.to_string(), digest.to_string())
    }

    pub(crate) fn error(&self, what: impl Into<String>, e: OciDistributionError) -> ArtifactError {
        ArtifactError::Registry {
            registry: self.host.clone(),
            what: what.into(),
            source: Box::new(e),
        }
    }

    /// The digest the registry has under `reference`, or `None`: HEAD, as the spec's
    /// "checking if content exists" (a GET only where the registry sends no digest).
    pub(crate) async fn manifest_digest(
        &self,
        reference: &Reference,
    ) -> Result<Option<String>, ArtifactError> {
        match self.client.fetch_manifest_digest(reference, &self.auth).await {
            Ok(d) => Ok(Some(d)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(self.error(format!("HEAD {reference}"), e)),
        }
    }

    pub(crate) async fn blob_exists(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<bool, ArtifactError> {
        let r = self.digest(repository, digest);
        self.client.store_auth_if_needed(r.resolve_registry(), &self.auth).await;
        match self.client.blob_exists(&r, digest).await {
            Ok(b) => Ok(b),
            Err(e) if is_not_found(&e) => Ok(false),
            Err(e) => Err(self.error(format!("HEAD blob {digest} in {repository}"), e)),
        }
    }
}

/// A 404, or the distribution spec's MANIFEST_UNKNOWN/BLOB_UNKNOWN in an error body.
fn is_not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ServerError { code: 404, .. } => true,
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .all(|x| matches!(x.code, OciErrorCode::ManifestUnknown | OciErrorCode::BlobUnknown)),
        _ => false,
    }
}
