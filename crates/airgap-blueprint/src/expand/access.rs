//! `access.vpn`: the Client VPN's certificate authority, its security group and the
//! endpoint, associated with the access VPC's endpoints-tier subnets. The clusters it
//! reaches let the VPC in on 443 (`Blueprint::api_access`, in the cluster's security
//! group and the firewall's pass rules), so the VPN needs nothing of its own there.

use airgap_catalog::spec::{node, ClientVpnEndpointSpec, Id, SecurityGroupSpec, VpnPkiSpec};
use airgap_engine::{GraphBuilder, Scope};

use super::az_suffix;
use crate::model::{Blueprint, Vpn};

pub(super) fn vpn(b: &mut GraphBuilder, bp: &Blueprint, env: &str, vpn: &Vpn, azs: &[String]) {
    let Some(vpc) = bp.vpc(&vpn.vpc.value) else { return };
    let account = bp
        .account(&vpc.account.value)
        .map_or_else(|| vpc.account.value.clone(), |a| a.id.value.clone());
    let s = Scope::new(account, bp.metadata.region.value.clone());
    let v = format!("vpc/{}", vpc.name.value);
    b.add(node(
        "access/vpn/pki",
        s.clone(),
        &VpnPkiSpec {
            name: format!("airgap {env} VPN CA"),
            secret: format!("airgap/{env}/vpn-ca"),
            server: format!("vpn.{env}.airgap.internal"),
        },
    ));
    b.add(node(
        "access/vpn/sg",
        s.clone(),
        &SecurityGroupSpec {
            vpc: Id::of(v.as_str(), "id"),
            description: format!("Client VPN of {env}"),
        },
    ));
    // Where clients may go: the named clusters' VPCs (their security groups admit 443
    // from the VPN's VPC only) and the listed networks.
    let mut destinations: Vec<String> = vpn
        .clusters
        .iter()
        .filter_map(|c| bp.clusters.iter().find(|k| k.name.value == c.value))
        .filter_map(|c| bp.vpc(&c.vpc.value))
        .map(|v| v.cidr.value.to_string())
        .chain(vpn.cidrs.iter().map(|c| c.value.to_string()))
        .collect();
    destinations.sort();
    destinations.dedup();
    // The associated VPC's own range is routed by AWS with each association.
    let routes =
        destinations.iter().filter(|d| **d != vpc.cidr.value.to_string()).cloned().collect();
    let used = if vpn.high_availability.value { azs.len() } else { 1 };
    let subnets = azs
        .iter()
        .take(used)
        .map(|az| Id::of(format!("{v}/subnet/endpoints/{}", az_suffix(az)), "id"))
        .collect();
    // The VPC's resolver (its base address + 2) answers the private names: clients'
    // queries leave from the associated subnet like the rest of their traffic.
    let resolver = std::net::Ipv4Addr::from(vpc.cidr.value.first() + 2).to_string();
    b.add(node(
        "access/vpn",
        s,
        &ClientVpnEndpointSpec {
            description: format!("airgap {env}"),
            client_cidr: vpn.client_cidr.value.to_string(),
            server_certificate: Id::of("access/vpn/pki", "arn"),
            vpc: Id::of(v.as_str(), "id"),
            security_groups: vec![Id::of("access/vpn/sg", "id")],
            split_tunnel: true,
            transport: vpn.transport.value.clone(),
            dns_servers: vec![resolver],
            subnets,
            authorize: destinations,
            routes,
        },
    ));
}
