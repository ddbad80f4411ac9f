//! `access.vpn`: the Client VPN's certificate authority, its security group and the
//! endpoint, associated with the access VPC's endpoints-tier subnets. The clusters it
//! reaches let the VPC in on 443 (`Blueprint::api_access`, in the cluster's security
//! group and the firewall's pass rules), so the VPN needs nothing of its own there.
//!
//! `access.dns`: a Route 53 Resolver inbound endpoint with two addresses in a VPC's
//! endpoints-tier subnets and a security group that admits DNS (TCP and UDP 53) from the
//! VPC and `allowFrom`. The VPN in the same VPC hands its addresses to clients.
//!
//! `access.privateLink`: per entry, a VPC endpoint service (acceptance required, the
//! principals allowed) in front of an internal NLB: one the environment makes in the
//! entry's VPC (its endpoints subnets, a TCP listener forwarding to an IP target group
//! the workload registers its targets in), or the one an operator names.

use airgap_catalog::names::fit;
use airgap_catalog::spec::{
    node, ClientVpnEndpointSpec, EndpointServiceSpec, Id, ListenerSpec, LoadBalancerSpec,
    ResolverEndpointSpec, SecurityGroupRuleSpec, SecurityGroupSpec, TargetGroupSpec, VpnPkiSpec,
};
use airgap_engine::{GraphBuilder, Scope};

use super::az_suffix;
use crate::model::{Blueprint, Dns, PrivateLink, Vpc, Vpn};

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

/// ELB names: 32 characters at most, and none may start with `internal-` (CreateLoadBalancer,
/// Name).
const ELB_NAME: usize = 32;

pub(super) fn private_link(
    b: &mut GraphBuilder,
    bp: &Blueprint,
    env: &str,
    p: &PrivateLink,
    azs: &[String],
) {
    let id = format!("access/privatelink/{}", p.name.value);
    let region = bp.metadata.region.value.clone();
    let (scope, load_balancers) = match (&p.vpc, &p.load_balancer_arn) {
        (Some(v), _) => {
            let Some(vpc) = bp.vpc(&v.value) else { return };
            let (s, vid) = home(bp, vpc);
            let mut name = fit(&format!("{env}-{}", p.name.value), ELB_NAME);
            if name.starts_with("internal-") {
                name = fit(&format!("ag-{name}"), ELB_NAME);
            }
            let targets = format!("{id}/targets");
            b.add(node(
                targets.as_str(),
                s.clone(),
                &TargetGroupSpec {
                    name: name.clone(),
                    protocol: "TCP".into(),
                    port: p.port.value,
                    vpc: Id::of(vid.as_str(), "id"),
                    target_type: "ip".into(),
                },
            ));
            let nlb = format!("{id}/nlb");
            b.add(node(
                nlb.as_str(),
                s.clone(),
                &LoadBalancerSpec {
                    name,
                    scheme: "internal".into(),
                    subnets: endpoint_subnets(&vid, azs).collect(),
                    listeners: vec![ListenerSpec {
                        protocol: "TCP".into(),
                        port: p.port.value,
                        target_group: Id::of(targets.as_str(), "arn"),
                    }],
                },
            ));
            (s, vec![Id::of(nlb.as_str(), "arn")])
        }
        (None, Some(arn)) => {
            // Validated: arn:<partition>:elasticloadbalancing:<region>:<account>:...
            let account = arn.value.split(':').nth(4).unwrap_or_default().to_string();
            (Scope::new(account, region), vec![Id::from(arn.value.clone())])
        }
        (None, None) => return,
    };
    let mut allowed_principals: Vec<String> =
        p.allowed_principals.iter().map(|a| a.value.clone()).collect();
    allowed_principals.sort();
    allowed_principals.dedup();
    b.add(node(
        id,
        scope,
        &EndpointServiceSpec {
            load_balancers,
            acceptance_required: p.acceptance_required.value,
            allowed_principals,
        },
    ));
}
