//! The `vpn-pki` kind: the Client VPN's CA, kept in Secrets Manager under
//! `airgap/<env>/vpn-ca`, and the server certificate it signs, imported into ACM with the
//! CA as its chain. Client VPN needs the server certificate in ACM in the endpoint's
//! region (CreateClientVpnEndpoint, ServerCertificateArn); client certificates issued by
//! the same CA authenticate with the same ARN as their root chain ("if the client
//! certificate was issued by the same CA as the server certificate, you can use the
//! server certificate ARN": Client VPN Administrator Guide, "Mutual authentication").
//!
//! Neither has a client token that spans both calls: a retried create finds the secret
//! by name and the certificate by its tags before making either.

use std::collections::HashMap;
use std::sync::Arc;

use airgap_catalog::spec::{Spec, VpnPkiSpec};
use airgap_engine::{
    Attrs, Change, Check, Created, ErrorClass, Kind, KindError, Observed, Op, Readiness, Resolved,
    Scope, Updated, Value,
};
use async_trait::async_trait;
use aws_sdk_acm::primitives::Blob;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType};

use super::ca::CaState;
use super::VpnClients;
use crate::ec2::kind_meta;
use crate::errors::{classify, code_of};
use crate::kit::lookup;
use crate::tags;

pub struct VpnPki(pub Arc<VpnClients>);

fn outputs(cert: &str, secret: &str) -> Attrs {
    let mut o = Attrs::new();
    // `arn`: the server certificate's, what the endpoint names.
    o.insert("id".into(), Value::str(cert));
    o.insert("arn".into(), Value::str(cert));
    o.insert("serverCertificateArn".into(), Value::str(cert));
    o.insert("secretArn".into(), Value::str(secret));
    o
}

/// A secret of the environment: (node id, name, ARN, description).
pub(super) struct Secret {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) arn: String,
    description: String,
}

/// The environment's secrets: names under `airgap/<env>/` (Secrets Manager's `name`
/// filter matches a prefix: API reference, ListSecrets, Filters) that carry its tag.
pub(super) async fn secrets_of(
    c: &aws_sdk_secretsmanager::Client,
    env: &str,
) -> Result<Vec<Secret>, KindError> {
    let filter =
        Filter::builder().key(FilterNameStringType::Name).values(format!("airgap/{env}/")).build();
    let pages: Vec<_> = c
        .list_secrets()
        .filters(filter)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(classify)?;
    Ok(pages
        .into_iter()
        .flat_map(|p| p.secret_list.unwrap_or_default())
        .filter_map(|s| {
            let t = tags::to_map(s.tags().iter().map(|t| (t.key(), t.value())));
            Some(Secret {
                id: tags::owned_id(&t, env)?,
                name: s.name()?.to_string(),
                arn: s.arn()?.to_string(),
                description: s.description().unwrap_or_default().to_string(),
            })
        })
        .collect())
}

/// The environment's certificates: (node id, ARN, domain).
async fn certificates_of(
    c: &aws_sdk_acm::Client,
    env: &str,
) -> Result<Vec<(String, String, String)>, KindError> {
    let pages: Vec<_> =
        c.list_certificates().into_paginator().send().try_collect().await.map_err(classify)?;
    let list: Vec<_> =
        pages.into_iter().flat_map(|p| p.certificate_summary_list.unwrap_or_default()).collect();
    let mut out = Vec::new();
    for cert in list {
        let Some(arn) = cert.certificate_arn() else { continue };
        // Deleted between the calls: skipped.
        let Some(t) = lookup(c.list_tags_for_certificate().certificate_arn(arn).send()).await?
        else {
            continue;
        };
        let t = tags::to_map(t.tags().iter().map(|t| (Some(t.key()), t.value())));
        if let Some(id) = tags::owned_id(&t, env) {
            out.push((id, arn.to_string(), cert.domain_name().unwrap_or_default().to_string()));
        }
    }
    Ok(out)
}

fn acm_tags(env: &str, id: &str) -> Vec<aws_sdk_acm::types::Tag> {
    tags::standard(env, id)
        .into_iter()
        .filter_map(|(k, v)| aws_sdk_acm::types::Tag::builder().key(k).value(v).build().ok())
        .collect()
}

/// The CA of `secret`, stored or new. New: created with the node's tags, its client
/// request token derived from the node so a retry after a lost answer is the same
/// request (Secrets Manager API reference, CreateSecret, ClientRequestToken).
async fn ca_for(
    c: &aws_sdk_secretsmanager::Client,
    node: &Resolved,
    spec: &VpnPkiSpec,
) -> Result<(CaState, String), KindError> {
    if let Some(s) = secrets_of(c, &node.env).await?.into_iter().find(|s| s.name == spec.secret) {
        if s.id != node.id.0 {
            return Err(KindError::fatal(
                "SecretTaken",
                format!("the secret {} belongs to {} of this environment", s.name, s.id),
            ));
        }
        let ca = read_ca(c, &s.arn).await?;
        return Ok((ca, s.arn));
    }
    let ca = CaState::new(&spec.name)
        .map_err(|e| KindError::fatal("CertificateAuthority", e.to_string()))?;
    // The token names this CA: a retry of the same request is the same version, and a
    // retry that made a new CA (the first answer was lost and the listing did not show
    // the secret yet) meets the name taken, answered below with the stored one.
    let token = format!(
        "{:016x}{:016x}",
        airgap_engine::fnv1a(&[node.env.as_bytes(), node.id.0.as_bytes()]),
        airgap_engine::fnv1a(&[ca.certificate.as_bytes()])
    );
    let mut req = c
        .create_secret()
        .name(&spec.secret)
        .description(&spec.name)
        .secret_string(ca.to_json())
        .client_request_token(token);
    for (k, v) in tags::standard(&node.env, &node.id.0) {
        req = req.tags(aws_sdk_secretsmanager::types::Tag::builder().key(k).value(v).build());
    }
    match req.send().await {
        Ok(out) => Ok((ca, out.arn().unwrap_or_default().to_string())),
        // Secrets Manager API reference, CreateSecret: ResourceExistsException when the
        // name is taken; the secret a lost answer made is read back (NotFound until the
        // listing shows it: the engine retries).
        Err(e) if code_of(&e) == Some("ResourceExistsException") => {
            let found = secrets_of(c, &node.env).await?.into_iter().find(|s| s.name == spec.secret);
            match found {
                Some(s) if s.id == node.id.0 => Ok((read_ca(c, &s.arn).await?, s.arn)),
                Some(s) => Err(KindError::fatal(
                    "SecretTaken",
                    format!("the secret {} belongs to {} of this environment", s.name, s.id),
                )),
                None => Err(KindError::new(
                    ErrorClass::NotFound,
                    "ResourceExistsException",
                    format!("the secret {} exists but is not listed yet", spec.secret),
                )),
            }
        }
        Err(e) => Err(classify(e)),
    }
}

/// The CA kept in secret `arn`.
pub async fn read_ca(c: &aws_sdk_secretsmanager::Client, arn: &str) -> Result<CaState, KindError> {
    let v = c.get_secret_value().secret_id(arn).send().await.map_err(classify)?;
    CaState::from_json(v.secret_string().unwrap_or_default())
        .map_err(|e| KindError::fatal("CertificateAuthority", e.to_string()))
}

/// Stores `ca` (issued and revoked certificates) back into secret `arn`.
pub async fn write_ca(
    c: &aws_sdk_secretsmanager::Client,
    arn: &str,
    ca: &CaState,
) -> Result<(), KindError> {
    c.put_secret_value()
        .secret_id(arn)
        .secret_string(ca.to_json())
        .send()
        .await
        .map_err(classify)?;
    Ok(())
}

/// Imports a server certificate for `spec.server` signed by `ca`, tagged as the node's.
async fn import_server(
    c: &aws_sdk_acm::Client,
    node: &Resolved,
    spec: &VpnPkiSpec,
    ca: &CaState,
) -> Result<String, KindError> {
    let (cert, key) = ca
        .server(&spec.server)
        .map_err(|e| KindError::fatal("CertificateAuthority", e.to_string()))?;
    let out = c
        .import_certificate()
        .certificate(Blob::new(cert))
        .private_key(Blob::new(key))
        .certificate_chain(Blob::new(ca.certificate.clone()))
        .set_tags(Some(acm_tags(&node.env, &node.id.0)))
        .send()
        .await
        .map_err(classify)?;
    Ok(out.certificate_arn().unwrap_or_default().to_string())
}

#[async_trait]
impl Kind for VpnPki {
    kind_meta!(VPN_PKI);

    async fn observe(&self, env: &str, scope: &Scope) -> Result<Vec<Observed>, KindError> {
        let secrets = secrets_of(self.0.secrets.client(scope)?, env).await?;
        let certs = certificates_of(self.0.acm.client(scope)?, env).await?;
        let mut by_id: HashMap<String, (Option<Secret>, Option<(String, String)>)> = HashMap::new();
        for s in secrets {
            let key = s.id.clone();
            by_id.entry(key).or_default().0 = Some(s);
        }
        for (id, arn, domain) in certs {
            by_id.entry(id).or_default().1 = Some((arn, domain));
        }
        Ok(by_id
            .into_iter()
            .map(|(id, (secret, cert))| {
                let (cert_arn, domain) = cert.unwrap_or_default();
                let (name, secret_name, secret_arn) =
                    secret.map(|s| (s.description, s.name, s.arn)).unwrap_or_default();
                let spec = VpnPkiSpec { name, secret: secret_name, server: domain };
                let physical =
                    if cert_arn.is_empty() { secret_arn.clone() } else { cert_arn.clone() };
                Observed {
                    id: id.as_str().into(),
                    attrs: spec.to_attrs(),
                    outputs: outputs(&cert_arn, &secret_arn),
                    physical_id: physical,
                    parents: vec![],
                }
            })
            .collect())
    }

    async fn create(&self, node: &Resolved) -> Result<Created, KindError> {
        let spec = VpnPkiSpec::from_attrs(&node.attrs)?;
        let (ca, secret_arn) = ca_for(self.0.secrets.client(&node.scope)?, node, &spec).await?;
        let acm = self.0.acm.client(&node.scope)?;
        let existing =
            certificates_of(acm, &node.env).await?.into_iter().find(|(id, ..)| *id == node.id.0);
        let cert = match existing {
            Some((_, arn, _)) => arn,
            None => import_server(acm, node, &spec, &ca).await?,
        };
        Ok(Created { physical_id: cert.clone(), outputs: outputs(&cert, &secret_arn) })
    }

    // Only the server certificate's name changes in place: a new certificate from the
    // same CA (clients' certificates stay valid), the old one deleted once unused.
    async fn update(&self, change: Change<'_>) -> Result<Updated, KindError> {
        let node = change.node;
        let spec = VpnPkiSpec::from_attrs(&node.attrs)?;
        let (ca, secret_arn) = ca_for(self.0.secrets.client(&node.scope)?, node, &spec).await?;
        let cert = import_server(self.0.acm.client(&node.scope)?, node, &spec, &ca).await?;
        Ok(Updated::done(outputs(&cert, &secret_arn)))
    }

    async fn delete(&self, scope: &Scope, current: &Observed) -> Result<(), KindError> {
        let acm = self.0.acm.client(scope)?;
        if let Some(Value::Str(arn)) = current.outputs.get("serverCertificateArn") {
            if is_acm_arn(arn) {
                // In use by the endpoint until it is gone: ResourceInUseException, a
                // conflict the engine waits out.
                match acm.delete_certificate().certificate_arn(arn).send().await {
                    Ok(_) => {}
                    Err(e) if code_of(&e) == Some("ResourceNotFoundException") => {}
                    Err(e) => return Err(classify(e)),
                }
            }
        }
        if let Some(Value::Str(arn)) = current.outputs.get("secretArn") {
            if !arn.is_empty() {
                // Without recovery: a destroyed environment leaves nothing, and a new one
                // of the same name must be able to take the name at once (a secret
                // scheduled for deletion keeps it for 7-30 days).
                let r = self
                    .0
                    .secrets
                    .client(scope)?
                    .delete_secret()
                    .secret_id(arn)
                    .force_delete_without_recovery(true)
                    .send()
                    .await;
                match r {
                    Ok(_) => {}
                    Err(e) if code_of(&e) == Some("ResourceNotFoundException") => {}
                    Err(e) => return Err(classify(e)),
                }
            }
        }
        Ok(())
    }

    async fn ready(&self, check: Check<'_>) -> Result<Readiness, KindError> {
        let acm = self.0.acm.client(check.scope)?;
        let cert = server_certificate(&check);
        if check.op == Op::Delete {
            return self.deleted(&check, cert.as_deref()).await;
        }
        let Some(cert) = cert else {
            // A secret without its certificate (a run stopped between the two): the
            // create that follows imports it; nothing to ask ACM yet.
            return Err(KindError::new(
                ErrorClass::NotFound,
                "ResourceNotFoundException",
                "the server certificate is not imported yet".to_string(),
            ));
        };
        match lookup(acm.describe_certificate().certificate_arn(&cert).send()).await? {
            None => Err(KindError::new(
                ErrorClass::NotFound,
                "ResourceNotFoundException",
                format!("certificate {cert} not visible yet"),
            )),
            Some(d) => {
                let status =
                    d.certificate().and_then(|c| c.status()).map(|s| s.as_str().to_string());
                match status.as_deref() {
                    Some("ISSUED") | None => Ok(Readiness::Ready(check.outputs.clone())),
                    Some(s) => Ok(Readiness::Pending(s.to_string())),
                }
            }
        }
    }
}

impl VpnPki {
    /// Gone once ACM no longer has the certificate and Secrets Manager no longer has the
    /// CA. A secret deleted without recovery is removed later ("Secrets Manager performs
    /// the actual deletion with an asynchronous background process, so there might be a
    /// short delay before the secret is permanently deleted": API reference, DeleteSecret,
    /// ForceDeleteWithoutRecovery) and keeps its name until then, so the node counts as
    /// gone only when DescribeSecret answers ResourceNotFoundException: a new environment
    /// of the same name can then take the name.
    async fn deleted(&self, check: &Check<'_>, cert: Option<&str>) -> Result<Readiness, KindError> {
        if let Some(cert) = cert {
            let acm = self.0.acm.client(check.scope)?;
            if lookup(acm.describe_certificate().certificate_arn(cert).send()).await?.is_some() {
                return Ok(Readiness::Pending("certificate deleting".into()));
            }
        }
        if let Some(Value::Str(secret)) = check.outputs.get("secretArn") {
            if !secret.is_empty() {
                let c = self.0.secrets.client(check.scope)?;
                if lookup(c.describe_secret().secret_id(secret).send()).await?.is_some() {
                    return Ok(Readiness::Pending("secret deleting".into()));
                }
            }
        }
        Ok(Readiness::Gone)
    }
}

/// The server certificate's ARN, only when it is ACM's: observe names the node by its
/// secret when no certificate was imported yet (a run stopped between the two calls),
/// and that ARN must never reach ACM, whose ARN pattern refuses it (botocore,
/// shape `Arn`, the type of `CertificateArn`: `arn:[\w+=/,.@-]+:acm:...`).
fn server_certificate(check: &Check<'_>) -> Option<String> {
    let cert = match check.outputs.get("serverCertificateArn") {
        Some(Value::Str(a)) if !a.is_empty() => a.as_str(),
        _ => check.physical_id,
    };
    is_acm_arn(cert).then(|| cert.to_string())
}

/// Whether `arn` names an ACM resource (`arn:<partition>:acm:...`).
fn is_acm_arn(arn: &str) -> bool {
    arn.split(':').nth(2) == Some("acm") && arn.starts_with("arn:")
}
