//! ECR as `airgapctl artifacts` uses it beyond the repository kind: the registry's
//! credentials, a declared repository created when a sync comes before `apply`, and the
//! scan findings of an image.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use airgap_catalog::spec::EcrRepositorySpec;
use airgap_engine::{KindError, Scope};
use aws_sdk_ecr::types::ImageIdentifier;

use crate::ecr::Ecr;
use crate::errors::classify;

/// Credentials for the registry's distribution API.
#[derive(Clone)]
pub struct RegistryLogin {
    /// `host` of the registry (`<account>.dkr.ecr.<region>.amazonaws.com`).
    pub host: String,
    pub username: String,
    pub password: String,
    /// When ECR stops taking the password (12 hours after it was issued: ECR API
    /// reference, GetAuthorizationToken, "valid for 12 hours").
    pub expires_at: SystemTime,
}

impl std::fmt::Debug for RegistryLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryLogin").field("host", &self.host).finish_non_exhaustive()
    }
}

/// ECR in one account and region: one client, for every call `artifacts` makes there.
#[derive(Clone, Copy)]
pub struct EcrRegistry<'a>(&'a aws_sdk_ecr::Client);

impl<'a> EcrRegistry<'a> {
    pub fn new(ecr: &'a Ecr, scope: &Scope) -> Result<Self, KindError> {
        Ok(EcrRegistry(ecr.client(scope)?))
    }

    /// GetAuthorizationToken: `authorizationToken` is base64 of `AWS:<password>`, and
    /// `proxyEndpoint` is `https://<host>` (ECR API reference, AuthorizationData).
    pub async fn login(self) -> Result<RegistryLogin, KindError> {
        let out = self.0.get_authorization_token().send().await.map_err(classify)?;
        let data = out
            .authorization_data()
            .first()
            .ok_or_else(|| KindError::fatal("NoToken", "GetAuthorizationToken returned no data"))?;
        let token = data.authorization_token().unwrap_or_default();
        let decoded =
            decode_base64(token).and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| {
                KindError::fatal("BadToken", "the authorization token is not base64 text")
            })?;
        let (username, password) = decoded.split_once(':').ok_or_else(|| {
            KindError::fatal("BadToken", "the authorization token is not user:password")
        })?;
        let endpoint = data.proxy_endpoint().unwrap_or_default();
        let host = endpoint
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        if host.is_empty() {
            return Err(KindError::fatal(
                "NoEndpoint",
                "GetAuthorizationToken returned no proxyEndpoint",
            ));
        }
        let expires_at = data
            .expires_at()
            .and_then(|t| SystemTime::try_from(*t).ok())
            .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(12 * 3600));
        Ok(RegistryLogin { host, username: username.into(), password: password.into(), expires_at })
    }

    /// Whether the repository exists; if not, creates it with the blueprint's settings
    /// (tag mutability, scan on push, lifecycle policy) and tags, as the repository kind
    /// would (its pull policy is the kind's to set: `apply`).
    /// True when created.
    pub async fn ensure_repository(
        self,
        env: &str,
        node_id: &str,
        spec: &EcrRepositorySpec,
    ) -> Result<bool, KindError> {
        let c = self.0;
        match c.describe_repositories().repository_names(&spec.name).send().await.map_err(classify)
        {
            Ok(_) => return Ok(false),
            Err(e) if e.code == "RepositoryNotFoundException" => {}
            Err(e) => return Err(e),
        }
        let req = crate::ecr::create_request(c, spec, env, node_id)?;
        match req.send().await.map_err(classify) {
            Ok(_) => {
                if spec.lifecycle_policy.is_some() {
                    crate::ecr::set_lifecycle_policy(
                        c,
                        &spec.name,
                        spec.lifecycle_policy.as_deref(),
                    )
                    .await?;
                }
                Ok(true)
            }
            // Another run made it between the calls.
            Err(e) if e.code == "RepositoryAlreadyExistsException" => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// DescribeImageScanFindings for one image (ECR API reference: findings are per image
    /// manifest; ScanNotFoundException when it has not been scanned).
    pub async fn scan_state(self, repository: &str, digest: &str) -> Result<ScanState, KindError> {
        let c = self.0;
        let out = c
            .describe_image_scan_findings()
            .repository_name(repository)
            .image_id(by_digest(digest))
            .send()
            .await
            .map_err(classify);
        let out = match out {
            Ok(o) => o,
            Err(e) if e.code == "ScanNotFoundException" => return Ok(ScanState::None),
            Err(e) => return Err(e),
        };
        let status = out.image_scan_status();
        let name =
            status.and_then(|s| s.status()).map(|s| s.as_str().to_string()).unwrap_or_default();
        Ok(match name.as_str() {
            // ACTIVE: enhanced scanning's continuous monitoring of a scanned image ("Continuous
            // scan is selected for image.", aws/aws-cli#6759); COMPLETE: a basic scan, or an
            // enhanced scan on push.
            "COMPLETE" | "ACTIVE" => {
                ScanState::Complete(counts(c, repository, digest, &out).await?)
            }
            "IN_PROGRESS" | "PENDING" => ScanState::InProgress,
            _ => ScanState::Other {
                status: name,
                description: status.and_then(|s| s.description()).unwrap_or_default().to_string(),
            },
        })
    }

    /// StartImageScan (basic scanning, for a repository without scan on push). ECR allows
    /// one scan per image per 24 hours (LimitExceededException): then the last one stands.
    /// Not for an enhanced registry: StartImageScan "starts a basic image vulnerability scan"
    /// (ECR API reference), and Inspector scans what its rules match by itself.
    pub async fn start_scan(self, repository: &str, digest: &str) -> Result<(), KindError> {
        match self
            .0
            .start_image_scan()
            .repository_name(repository)
            .image_id(by_digest(digest))
            .send()
            .await
            .map_err(classify)
        {
            Ok(_) => Ok(()),
            Err(e) if e.code == "LimitExceededException" => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Removes an image that failed the gate from a repository nodes pull from.
    pub async fn delete_image(self, repository: &str, digest: &str) -> Result<(), KindError> {
        self.0
            .batch_delete_image()
            .repository_name(repository)
            .image_ids(by_digest(digest))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// Every image of a repository (DescribeImages, paginated: one call per 100 images),
    /// with its last scan's summary (ECR API reference, ImageDetail.imageScanStatus and
    /// imageScanFindingsSummary). DescribeImages summarizes basic scans only
    /// (aws/containers-roadmap#1662): an image it gives no scan status is asked with
    /// DescribeImageScanFindings, which answers enhanced scans too.
    pub async fn list_images(self, repository: &str) -> Result<Vec<StoredImage>, KindError> {
        use crate::kit::all_pages;
        let c = self.0;
        let details: Vec<aws_sdk_ecr::types::ImageDetail> =
            all_pages!(c.describe_images().repository_name(repository))?;
        let mut images: Vec<StoredImage> = details
            .iter()
            .map(|d| StoredImage {
                digest: d.image_digest().unwrap_or_default().to_string(),
                tags: d.image_tags().to_vec(),
                media_type: d.image_manifest_media_type().unwrap_or_default().to_string(),
                pushed_at: d.image_pushed_at().map(|t| t.secs()),
                scan_status: d
                    .image_scan_status()
                    .and_then(|s| s.status())
                    .map(|s| s.as_str().to_string()),
                findings: crate::ecr::severity_counts(
                    d.image_scan_findings_summary().and_then(|f| f.finding_severity_counts()),
                ),
            })
            .collect();
        const INDEXES: [&str; 2] = [
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
        ];
        for image in images.iter_mut() {
            if image.scan_status.is_some() || INDEXES.contains(&image.media_type.as_str()) {
                continue;
            }
            match self.scan_state(repository, &image.digest).await? {
                ScanState::None => {}
                ScanState::InProgress => image.scan_status = Some("IN_PROGRESS".into()),
                ScanState::Complete(counts) => {
                    image.scan_status = Some("COMPLETE".into());
                    image.findings = counts;
                }
                ScanState::Other { status, .. } => image.scan_status = Some(status),
            }
        }
        Ok(images)
    }
}

/// Standard base64 (RFC 4648), which the token is; nothing else in the crate needs a codec.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// An image named by its digest (ImageIdentifier; a tag would name what it names now).
fn by_digest(digest: &str) -> ImageIdentifier {
    ImageIdentifier::builder().image_digest(digest).build()
}

/// An image's scan, as far as it has gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScanState {
    /// No scan of this image (a repository without scan on push).
    None,
    InProgress,
    /// COMPLETE, with counts by severity.
    Complete(BTreeMap<String, u64>),
    /// FAILED, UNSUPPORTED_IMAGE, ... with ECR's description.
    Other {
        status: String,
        description: String,
    },
}

/// Findings by severity. A basic scan gives `findingSeverityCounts`; an enhanced
/// (Amazon Inspector) scan lists `enhancedFindings`, each with its severity (CRITICAL,
/// HIGH, MEDIUM, LOW, INFORMATIONAL, UNTRIAGED), and tools that read only the counts miss
/// them (aws/aws-cli#6759, kubescape/kubescape#2962): counted here over every page
/// (DescribeImageScanFindings pages them with nextToken).
async fn counts(
    c: &aws_sdk_ecr::Client,
    repository: &str,
    digest: &str,
    first: &aws_sdk_ecr::operation::describe_image_scan_findings::DescribeImageScanFindingsOutput,
) -> Result<BTreeMap<String, u64>, KindError> {
    let findings = first.image_scan_findings();
    let mut counts =
        crate::ecr::severity_counts(findings.and_then(|f| f.finding_severity_counts()));
    if !counts.is_empty() || findings.is_none_or(|f| f.enhanced_findings().is_empty()) {
        return Ok(counts);
    }
    let mut add = |page: &[aws_sdk_ecr::types::EnhancedImageScanFinding]| {
        for f in page {
            let severity = f.severity().unwrap_or("UNTRIAGED").to_string();
            *counts.entry(severity).or_default() += 1;
        }
    };
    add(findings.map(|f| f.enhanced_findings()).unwrap_or_default());
    let mut token = first.next_token().map(str::to_string);
    while let Some(t) = token {
        let page = c
            .describe_image_scan_findings()
            .repository_name(repository)
            .image_id(by_digest(digest))
            .next_token(t)
            .send()
            .await
            .map_err(classify)?;
        add(page.image_scan_findings().map(|f| f.enhanced_findings()).unwrap_or_default());
        token = page.next_token().map(str::to_string);
    }
    Ok(counts)
}

/// An image stored in a repository, as DescribeImages reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredImage {
    pub digest: String,
    pub tags: Vec<String>,
    /// The manifest's media type (an index is not scanned; its images are).
    pub media_type: String,
    /// Seconds since the epoch.
    pub pushed_at: Option<i64>,
    /// The last scan's status (COMPLETE, IN_PROGRESS, FAILED, ...), if any.
    pub scan_status: Option<String>,
    /// The last scan's findings by severity.
    pub findings: BTreeMap<String, u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_the_token() {
        assert_eq!(decode_base64("QVdTOnNlY3JldA==").unwrap(), b"AWS:secret");
        assert_eq!(decode_base64("QVdTOng=").unwrap(), b"AWS:x");
        assert!(decode_base64("not base64!").is_none());
    }
}
