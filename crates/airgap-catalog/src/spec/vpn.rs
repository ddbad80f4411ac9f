//! Specs of the private access kinds: the Client VPN's PKI and endpoint, the Route 53
//! Resolver inbound endpoint.

use serde::{Deserialize, Serialize};

use super::Id;

/// The VPN's certificate authority and server certificate. `name` is the CA's common
/// name; `secret` the Secrets Manager name that keeps the CA (its certificate and key,
/// the client certificates issued and revoked); `server` the server certificate's
/// common name (Client VPN wants a domain name there: Administrator Guide, "Mutual
/// authentication").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpnPkiSpec {
    pub name: String,
    pub secret: String,
    pub server: String,
}

/// A Client VPN endpoint with mutual TLS, its subnets, who may reach what, and routes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientVpnEndpointSpec {
    pub description: String,
    /// Addresses handed to clients: /12 to /22, overlapping no VPC it reaches.
    pub client_cidr: String,
    /// The server certificate's ACM ARN; clients' certificates are issued by the same CA,
    /// so it is the client root chain too.
    pub server_certificate: Id,
    pub vpc: Id,
    pub security_groups: Vec<Id>,
    /// Only the routes of the endpoint go through the VPN; the rest of a client's traffic
    /// stays on its own network.
    pub split_tunnel: bool,
    /// `udp` or `tcp`.
    pub transport: String,
    /// Up to two: the access VPC's resolver, or the addresses of a Resolver inbound
    /// endpoint there.
    pub dns_servers: Vec<Id>,
    /// Target networks: one subnet per availability zone.
    pub subnets: Vec<Id>,
    /// Destination CIDRs every authenticated client may reach.
    pub authorize: Vec<String>,
    /// Destination CIDRs routed through every associated subnet (the associated VPC's own
    /// CIDR is routed by AWS).
    pub routes: Vec<String>,
}

/// A Route 53 Resolver endpoint: one address in each subnet listed (a subnet may be
/// listed twice for two addresses in one zone). AWS picks the addresses; they are its
/// outputs `ip0`, `ip1`, ... in ascending order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolverEndpointSpec {
    /// Up to 64 characters: letters, digits, `-`, `_` and spaces, not only digits.
    pub name: String,
    /// `INBOUND` (queries from outside the VPC to its resolver).
    pub direction: String,
    pub security_groups: Vec<Id>,
    /// Two to six (CreateResolverEndpoint's IpAddresses).
    pub subnets: Vec<Id>,
}

// Each spec's catalogue entry.
spec_kinds! {
    VpnPkiSpec => VPN_PKI,
    ClientVpnEndpointSpec => CLIENT_VPN_ENDPOINT,
    ResolverEndpointSpec => RESOLVER_ENDPOINT,
}
