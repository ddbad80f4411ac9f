//! The VPN's certificate authority: made once per environment, kept in Secrets Manager
//! as JSON ([`CaState`]: the CA's certificate and key, the client certificates issued and
//! revoked), and used to sign the server certificate, client certificates and the
//! certificate revocation list.
//!
//! Keys are RSA 2048: Client VPN's mutual authentication takes RSA 1024- and 2048-bit
//! certificates (Client VPN Administrator Guide, "Rules and best practices"), and its own
//! walkthrough makes them with easy-rsa's RSA 2048 default ("Mutual authentication").

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    RevocationReason, RevokedCertParams, SerialNumber, PKCS_RSA_SHA256,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Error)]
pub enum CaError {
    #[error("certificate: {0}")]
    Cert(#[from] rcgen::Error),
    #[error("the CA secret is not airgapctl's: {0}")]
    Secret(String),
    #[error("no client certificate was issued to `{0}`")]
    NotIssued(String),
}

/// A client certificate issued.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Issued {
    pub name: String,
    /// Hex.
    pub serial: String,
    pub not_after: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// What the secret keeps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaState {
    pub name: String,
    pub certificate: String,
    pub key: String,
    #[serde(default)]
    pub issued: Vec<Issued>,
    #[serde(default)]
    pub crl_number: u64,
}

/// How long what the CA signs is valid: the CA ten years, the rest two. Client VPN refuses
/// expired certificates, and an environment outlives neither without a new apply.
const CA_DAYS: i64 = 3650;
const LEAF_DAYS: i64 = 730;

fn ca_params(name: &str, not_before: OffsetDateTime) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(DnType::CommonName, name);
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    p.not_before = not_before;
    p.not_after = not_before + Duration::days(CA_DAYS);
    p.key_identifier_method = KeyIdMethod::Sha256;
    p
}

fn serial() -> (SerialNumber, String) {
    let bytes: [u8; 16] = rand::random();
    // Positive: the top bit clear (RFC 5280 4.1.2.2).
    let mut b = bytes;
    b[0] &= 0x7f;
    (SerialNumber::from_slice(&b), b.iter().map(|x| format!("{x:02x}")).collect())
}

impl CaState {
    /// A new CA named `name`.
    pub fn new(name: &str) -> Result<CaState, CaError> {
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
        let now = OffsetDateTime::now_utc() - Duration::minutes(5);
        let cert = ca_params(name, now).self_signed(&key)?;
        Ok(CaState {
            name: name.to_string(),
            certificate: cert.pem(),
            key: key.serialize_pem(),
            issued: Vec::new(),
            crl_number: 0,
        })
    }

    pub fn from_json(text: &str) -> Result<CaState, CaError> {
        serde_json::from_str(text).map_err(|e| CaError::Secret(e.to_string()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("strings serialize")
    }

    fn issuer(&self) -> Result<Issuer<'static, KeyPair>, CaError> {
        // The issuer is the CA's name, key and key usages: the same parameters that made
        // the CA certificate (its dates do not enter what it signs).
        let key = KeyPair::from_pem(&self.key)?;
        Ok(Issuer::new(ca_params(&self.name, OffsetDateTime::now_utc()), key))
    }

    fn leaf(
        &self,
        cn: &str,
        usage: ExtendedKeyUsagePurpose,
    ) -> Result<(String, String, String, OffsetDateTime), CaError> {
        let key = KeyPair::generate_for(&PKCS_RSA_SHA256)?;
        let mut p = CertificateParams::new(vec![cn.to_string()])?;
        p.distinguished_name = DistinguishedName::new();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        p.extended_key_usages = vec![usage];
        let now = OffsetDateTime::now_utc() - Duration::minutes(5);
        p.not_before = now;
        p.not_after = now + Duration::days(LEAF_DAYS);
        let (number, hex) = serial();
        p.serial_number = Some(number);
        p.use_authority_key_identifier_extension = true;
        let cert = p.signed_by(&key, &self.issuer()?)?;
        Ok((cert.pem(), key.serialize_pem(), hex, p.not_after))
    }

    /// The server certificate for `domain`: (certificate PEM, key PEM).
    pub fn server(&self, domain: &str) -> Result<(String, String), CaError> {
        let (cert, key, _, _) = self.leaf(domain, ExtendedKeyUsagePurpose::ServerAuth)?;
        Ok((cert, key))
    }

    /// A client certificate for `user`, recorded as issued: (certificate PEM, key PEM).
    pub fn client(&mut self, user: &str) -> Result<(String, String), CaError> {
        let (cert, key, serial, not_after) =
            self.leaf(user, ExtendedKeyUsagePurpose::ClientAuth)?;
        self.issued.push(Issued {
            name: user.to_string(),
            serial,
            not_after: not_after.to_string(),
            revoked_at: None,
        });
        Ok((cert, key))
    }

    /// Revokes every certificate issued to `user`; the CRL (PEM) listing all revoked ones.
    pub fn revoke(&mut self, user: &str) -> Result<String, CaError> {
        let now = OffsetDateTime::now_utc();
        let mut found = false;
        for i in self.issued.iter_mut().filter(|i| i.name == user) {
            found = true;
            if i.revoked_at.is_none() {
                i.revoked_at = Some(now.to_string());
            }
        }
        if !found {
            return Err(CaError::NotIssued(user.to_string()));
        }
        self.crl()
    }

    /// The CRL of every revoked certificate, signed by the CA, with the next number.
    pub fn crl(&mut self) -> Result<String, CaError> {
        self.crl_number += 1;
        let now = OffsetDateTime::now_utc() - Duration::minutes(5);
        let revoked = self
            .issued
            .iter()
            .filter(|i| i.revoked_at.is_some())
            .map(|i| RevokedCertParams {
                serial_number: SerialNumber::from_slice(&hex_bytes(&i.serial)),
                revocation_time: now,
                reason_code: Some(RevocationReason::CessationOfOperation),
                invalidity_date: None,
            })
            .collect();
        let params = CertificateRevocationListParams {
            this_update: now,
            next_update: now + Duration::days(LEAF_DAYS),
            crl_number: SerialNumber::from(self.crl_number),
            issuing_distribution_point: None,
            revoked_certs: revoked,
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer()?)?.pem()?)
    }
}

fn hex_bytes(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_signs_what_it_issues_and_survives_its_secret() {
        let mut ca = CaState::new("airgap t VPN CA").unwrap();
        let again = CaState::from_json(&ca.to_json()).unwrap();
        assert_eq!(again, ca);
        let (server, key) = again.server("vpn.t.airgap.internal").unwrap();
        assert!(server.starts_with("-----BEGIN CERTIFICATE-----") && key.contains("PRIVATE KEY"));
        let (client, _) = ca.client("alice").unwrap();
        assert!(client.contains("BEGIN CERTIFICATE"));
        assert_eq!(ca.issued.len(), 1);
        assert_eq!(ca.issued[0].serial.len(), 32);
        let crl = ca.revoke("alice").unwrap();
        assert!(crl.starts_with("-----BEGIN X509 CRL-----"), "{crl}");
        assert!(ca.issued[0].revoked_at.is_some());
        assert!(matches!(ca.revoke("bob"), Err(CaError::NotIssued(_))));
        assert_eq!(ca.crl_number, 1);
    }
}
