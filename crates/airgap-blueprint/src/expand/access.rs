//! `access.vpn`: the Client VPN's certificate authority, its security group and the
//! endpoint, associated with the access VPC's endpoints-tier subnets. The clusters it
//! reaches let the VPC in on 443 (`Blueprint::api_access`, in the cluster's security
//! group and the firewall's pass rules), so the VPN needs nothing of its own there.
//!
//! `access.dns`: a Route 53 Resolver inbound endpoint with two addresses in a VPC's
//! endpoints-tier subnets and a security group that admits DNS (TCP and UDP 53) from the
//! VPC and `allowFrom`. The VPN in the same VPC hands its addresses to clients.

use airgap_catalog::spec::{
    node, ClientVpnEndpointSpec, Id, ResolverEndpointSpec, SecurityGroupRuleSpec,
    SecurityGroupSpec, VpnPkiSpec,
};
use airgap_engine::{GraphBuilder, Scope};

use super::az_suffix;
use crate::model::{Blueprint, Dns, Vpc, Vpn};

/// The node of the resolver endpoint.
const DNS: &str = "access/dns";

/// The scope (the VPC's account and the region) and node id of an access VPC.
fn home(bp: &Blueprint, vpc: &Vpc) -> (Scope, String) {
    let account = bp
        .account(&vpc.account.value)
        .map_or_else(|| vpc.account.value.clone(), |a| a.id.value.clone());
    (Scope::new(account, bp.metadata.region.value.clone()), format!("vpc/{}", vpc.name.value))
}

/// The endpoints-tier subnet of each AZ of `azs`.
fn endpoint_subnets<'a>(v: &'a str, azs: &'a [String]) -> impl Iterator<Item = Id> + 'a {
    azs.iter().map(move |az| Id::of(format!("{v}/subnet/endpoints/{}", az_suffix(az)), "id"))
}

pub(super) fn dns(b: &mut GraphBuilder, bp: &Blueprint, env: &str, dns: &Dns, azs: &[String]) {
    let Some(vpc) = bp.vpc(&dns.vpc.value) else { return };
    let (s, v) = home(bp, vpc);
    b.add(node(
        "access/dns/sg",
        s.clone(),
        &SecurityGroupSpec {
            vpc: Id::of(v.as_str(), "id"),
            description: format!("Route 53 Resolver inbound endpoint of {env}"),
        },
    ));
    // The VPC's own range (the VPN's clients arrive translated to its interface there)
    // and the networks named.
    let mut sources = vec![vpc.cidr.value.to_string()];
    sources.extend(dns.allow_from.iter().map(|c| c.value.to_string()));
    sources.dedup();
    for (i, cidr) in sources.iter().enumerate() {
        for protocol in ["udp", "tcp"] {
            b.add(node(
                format!("access/dns/sg/{protocol}/{i}"),
                s.clone(),
                &SecurityGroupRuleSpec {
                    group: Id::of("access/dns/sg", "id"),
                    protocol: protocol.into(),
                    port: 53,
                    cidr: cidr.clone(),
                },
            ));
        }
    }
    // CreateResolverEndpoint takes two addresses at least and advises two zones; with
    // one zone both are in its subnet.
    let mut subnets: Vec<Id> = endpoint_subnets(&v, azs).take(2).collect();
    if let [only] = subnets.as_slice() {
        subnets.push(only.clone());
    }
    b.add(node(
        DNS,
        s,
        &ResolverEndpointSpec {
            name: format!("airgap-{env}-inbound"),
            direction: "INBOUND".into(),
            security_groups: vec![Id::of("access/dns/sg", "id")],
            subnets,
        },
    ));
}

pub(super) fn vpn(b: &mut GraphBuilder, bp: &Blueprint, env: &str, vpn: &Vpn, azs: &[String]) {
    let Some(vpc) = bp.vpc(&vpn.vpc.value) else { return };
    let (s, v) = home(bp, vpc);
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
    // The networks of the DNS servers it hands out (`Blueprint::vpn_dns`).
    let (resolver, dns_nets) = bp.vpn_dns().unwrap_or_default();
    destinations.extend(dns_nets.iter().map(ToString::to_string));
    destinations.sort();
    destinations.dedup();
    // The associated VPC's own range is routed by AWS with each association.
    let routes = destinations
        .iter()
        .filter(|d| d.parse().map_or(true, |n| !vpc.cidr.value.contains(&n)))
        .cloned()
        .collect();
    let used = if vpn.high_availability.value { azs.len() } else { 1 };
    let subnets = endpoint_subnets(&v, azs).take(used).collect();
    // A Resolver inbound endpoint in the same VPC answers clients; without one, the VPC's
    // resolver (its base address + 2) does: clients' queries leave from the associated
    // subnet like the rest of their traffic, translated to the endpoint's interface.
    let dns_servers = match resolver {
        Some(ip) => vec![Id::from(ip.to_string())],
        None => vec![Id::of(DNS, "ip0"), Id::of(DNS, "ip1")],
    };
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
            dns_servers,
            subnets,
            authorize: destinations,
            routes,
        },
    ));
}
