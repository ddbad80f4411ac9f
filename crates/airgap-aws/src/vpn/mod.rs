//! Private access (issue 21): the Client VPN's certificate authority (`vpn-pki`: the CA
//! in Secrets Manager, the server certificate in ACM) and the endpoint with its target
//! networks, authorization rules and routes (`client-vpn-endpoint`); the Route 53
//! Resolver inbound endpoint (`resolver-endpoint`); the CA's work for `airgapctl access`
//! (client certificates, revocation, the .ovpn file).

pub mod ca;
mod endpoint;
mod pki;
mod resolver;

use std::sync::Arc;

use airgap_engine::Registry;

use crate::clients::PerScope;
use crate::ec2::Ec2;

pub use endpoint::ClientVpnEndpoint;
pub use pki::{read_ca, write_ca, VpnPki};
pub use resolver::ResolverEndpoint;

pub type Acm = PerScope<aws_sdk_acm::Client>;
pub type Secrets = PerScope<aws_sdk_secretsmanager::Client>;

/// The clients of the access kinds.
pub struct VpnClients {
    pub acm: Acm,
    pub secrets: Secrets,
    pub resolver: PerScope<aws_sdk_route53resolver::Client>,
}

pub fn register(registry: &mut Registry, vpn: &Arc<VpnClients>, ec2: &Arc<Ec2>) {
    registry
        .register(Arc::new(VpnPki(Arc::clone(vpn))))
        .register(Arc::new(ClientVpnEndpoint(Arc::clone(ec2))))
        .register(Arc::new(ResolverEndpoint(Arc::clone(vpn))));
}

/// `airgapctl access`: what people need from the environment's VPN.
pub mod access {
    use airgap_engine::{KindError, Scope};

    use super::ca::CaState;
    use super::pki::{read_ca, secrets_of, write_ca};
    use super::VpnClients;
    use crate::ec2::{tag_map, Ec2};
    use crate::errors::classify;
    use crate::tags;

    /// The node ids of the VPN's PKI and endpoint (as the blueprint expands them).
    pub const PKI_NODE: &str = "access/vpn/pki";
    pub const ENDPOINT_NODE: &str = "access/vpn";

    fn missing(what: &str) -> KindError {
        KindError::fatal(
            "NoVpn",
            format!("the environment has no {what}: declare access.vpn and apply first"),
        )
    }

    async fn endpoint_id(ec2: &Ec2, scope: &Scope, env: &str) -> Result<String, KindError> {
        let c = ec2.client(scope)?;
        let out = c.describe_client_vpn_endpoints().send().await.map_err(classify)?;
        out.client_vpn_endpoints()
            .iter()
            .find(|e| {
                tags::owned_id(&tag_map(e.tags()), env).as_deref() == Some(ENDPOINT_NODE)
                    && e.status().and_then(|s| s.code()).map(|c| c.as_str()) != Some("deleted")
            })
            .and_then(|e| e.client_vpn_endpoint_id())
            .map(str::to_string)
            .ok_or_else(|| missing("Client VPN endpoint"))
    }

    async fn ca_secret(vpn: &VpnClients, scope: &Scope, env: &str) -> Result<String, KindError> {
        let c = vpn.secrets.client(scope)?;
        secrets_of(c, env)
            .await?
            .into_iter()
            .find(|s| s.id == PKI_NODE)
            .map(|s| s.arn)
            .ok_or_else(|| missing("VPN certificate authority"))
    }

    /// The environment's VPN in one account and region: its endpoint, and its CA as
    /// the secret holds it when opened.
    pub struct VpnAccess<'a> {
        ec2: &'a aws_sdk_ec2::Client,
        secrets: &'a aws_sdk_secretsmanager::Client,
        endpoint: String,
        secret: String,
        ca: CaState,
    }

    impl<'a> VpnAccess<'a> {
        pub async fn open(
            vpn: &'a VpnClients,
            ec2: &'a Ec2,
            scope: &Scope,
            env: &str,
        ) -> Result<VpnAccess<'a>, KindError> {
            let endpoint = endpoint_id(ec2, scope, env).await?;
            let secret = ca_secret(vpn, scope, env).await?;
            let secrets = vpn.secrets.client(scope)?;
            let ca = read_ca(secrets, &secret).await?;
            Ok(VpnAccess { ec2: ec2.client(scope)?, secrets, endpoint, secret, ca })
        }

        /// An OpenVPN configuration for `user`: the endpoint's
        /// (ExportClientVpnClientConfiguration) with a new client certificate and key
        /// signed by the environment's CA, which records it as issued.
        pub async fn client_config(mut self, user: &str) -> Result<String, KindError> {
            let (cert, key) = self
                .ca
                .client(user)
                .map_err(|e| KindError::fatal("CertificateAuthority", e.to_string()))?;
            write_ca(self.secrets, &self.secret, &self.ca).await?;
            let out = self
                .ec2
                .export_client_vpn_client_configuration()
                .client_vpn_endpoint_id(&self.endpoint)
                .send()
                .await
                .map_err(classify)?;
            let mut text = out.client_configuration().unwrap_or_default().trim_end().to_string();
            text.push_str(&format!("\n<cert>\n{}</cert>\n<key>\n{}</key>\n", cert, key));
            Ok(text)
        }

        /// Revokes `user`'s certificates: the CA's revocation list, imported into the
        /// endpoint (ImportClientVpnClientCertificateRevocationList replaces the previous
        /// one); how many certificates are revoked now.
        pub async fn revoke(mut self, user: &str) -> Result<usize, KindError> {
            let crl =
                self.ca.revoke(user).map_err(|e| KindError::fatal("NotIssued", e.to_string()))?;
            self.ec2
                .import_client_vpn_client_certificate_revocation_list()
                .client_vpn_endpoint_id(&self.endpoint)
                .certificate_revocation_list(crl)
                .send()
                .await
                .map_err(classify)?;
            write_ca(self.secrets, &self.secret, &self.ca).await?;
            Ok(self.ca.issued.iter().filter(|i| i.revoked_at.is_some()).count())
        }
    }
}
