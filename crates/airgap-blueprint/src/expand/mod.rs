//! Blueprint -> resource graph. Every AWS resource the environment needs becomes a
//! node with a stable logical address (its `airgap:id` tag), so a later run maps what
//! exists back onto the same nodes.
//!
//! Kind names are those of the catalogue (`airgap_catalog::ALL`); the AWS provider implements
//! the same names.
//!
//! [`expand_as`] lays out the network account (`hub`: transit gateway, RAM share,
//! the inspection VPC's routes; `firewall`: rule groups, policy, firewall, log groups;
//! the inspection VPC itself here), then calls `spoke::spoke` for each spoke VPC and
//! `cluster::cluster_nodes` for each cluster, and adds the ECR repositories
//! (`registry`) last.

use airgap_catalog::spec::{
    node, ElasticIpSpec, Id, InternetGatewaySpec, NatGatewaySpec, RouteTableAssociationSpec,
    RouteTableSpec, SubnetSpec, VpcSpec,
};
use airgap_engine::{GraphBuilder, Scope, Value};
// The short AZ suffix used in addresses (`eu-central-1a` -> `a`): the catalogue's, so the
// firewall kind keys its endpoints by the same letter.
use airgap_catalog::names::az_letter as az_suffix;

use crate::carve::{carve_inspection, CarveError, InspectionTier};
use crate::model::{Blueprint, SubnetTier};

mod access;
mod central;
mod cluster;
pub(crate) mod firewall;
mod hub;
mod registry;
mod spoke;

use cluster::cluster_nodes;
use spoke::spoke;

/// The tier's name in logical addresses and tags.
pub fn tier_name(t: SubnetTier) -> &'static str {
    match t {
        SubnetTier::ControlPlane => "controlPlane",
        SubnetTier::DataPlane => "dataPlane",
        SubnetTier::Endpoints => "endpoints",
        SubnetTier::Transit => "transit",
    }
}

fn inspection_tier_name(t: InspectionTier) -> &'static str {
    match t {
        InspectionTier::Transit => "transit",
        InspectionTier::Firewall => "firewall",
        InspectionTier::Public => "public",
    }
}

/// A VPC of the environment; DNS support and hostnames on, as interface endpoints'
/// private names need.
fn add_vpc(b: &mut GraphBuilder, id: &str, scope: &Scope, cidr: &str) {
    b.add(node(
        id,
        scope.clone(),
        &VpcSpec { cidr: cidr.to_string(), enable_dns_support: true, enable_dns_hostnames: true },
    ));
}

/// A subnet of VPC node `v` with a route table of its own and their association:
/// `{v}/subnet/{tier}/{az}`, `{v}/rt/{tier}/{az}` and `{v}/rt/{tier}/{az}/assoc`. Returns
/// the route table's node id.
fn add_subnet(
    b: &mut GraphBuilder,
    v: &str,
    scope: &Scope,
    tier: &str,
    az: &str,
    cidr: &str,
    zone: &str,
) -> String {
    let sn = format!("{v}/subnet/{tier}/{az}");
    let rt = format!("{v}/rt/{tier}/{az}");
    b.add(node(
        sn.as_str(),
        scope.clone(),
        &SubnetSpec {
            vpc: Id::of(v, "id"),
            cidr: cidr.to_string(),
            az: zone.to_string(),
            // No public addresses anywhere, the inspection VPC's public subnets included:
            // only the NAT gateways there have one, an elastic IP of their own.
            map_public_ip_on_launch: false,
        },
    ));
    b.add(node(rt.as_str(), scope.clone(), &RouteTableSpec { vpc: Id::of(v, "id") }));
    b.add(node(
        format!("{rt}/assoc"),
        scope.clone(),
        &RouteTableAssociationSpec {
            subnet: Id::of(sn.as_str(), "id"),
            route_table: Id::of(rt.as_str(), "id"),
        },
    ));
    rt
}

fn r(node: &str, output: &str) -> Value {
    Value::reference(node, output)
}

/// Expands a validated blueprint into the declared resource graph (not yet sealed),
/// for the environment its `metadata.name` names.
pub fn expand(bp: &Blueprint) -> Result<GraphBuilder, CarveError> {
    expand_as(bp, &bp.metadata.name.value)
}

/// Expands a validated blueprint for the environment `env` (`--env`, one blueprint for
/// many ephemeral environments): AWS names that must be unique (cluster, roles, log
/// groups, key alias) derive from it, so environments of one blueprint never collide.
/// `env` must pass [`crate::check_env_name`].
pub fn expand_as(bp: &Blueprint, env: &str) -> Result<GraphBuilder, CarveError> {
    let region = bp.metadata.region.value.clone();
    let scope_of = |account: &str| {
        let id = bp.account(account).map_or_else(|| account.to_string(), |a| a.id.value.clone());
        Scope::new(id, region.clone())
    };
    let azs = bp.azs();
    let mut b = GraphBuilder::new();
    let hub = &bp.hub;
    let net = scope_of(&hub.account.value);

    hub::transit_gateway(&mut b, bp, env, &net, &scope_of);

    // Inspection VPC: the environment's only way out.
    let v = "vpc/inspection";
    add_vpc(&mut b, v, &net, &hub.inspection_vpc.cidr.value.to_string());
    b.add(node("vpc/inspection/igw", net.clone(), &InternetGatewaySpec { vpc: Id::of(v, "id") }));
    for s in carve_inspection(&hub.inspection_vpc, &azs)? {
        let (tier, az) = (inspection_tier_name(s.tier), az_suffix(&s.az));
        add_subnet(&mut b, v, &net, tier, az, &s.cidr.to_string(), &s.az);
    }
    let firewall = hub.firewall.as_ref();
    for az in &azs {
        let az = az_suffix(az);
        b.add(node(format!("{v}/eip/{az}"), net.clone(), &ElasticIpSpec {}));
        b.add(
            node(
                format!("{v}/nat/{az}"),
                net.clone(),
                &NatGatewaySpec {
                    subnet: Id::of(format!("{v}/subnet/public/{az}"), "id"),
                    eip: Id::of(format!("{v}/eip/{az}"), "id"),
                },
            )
            // AWS refuses a public NAT in a VPC without an internet gateway, and the
            // gateway cannot detach while the NAT's address is mapped.
            .after("vpc/inspection/igw"),
        );
    }
    if let Some(fw) = firewall {
        firewall::firewall(&mut b, bp, env, fw, &net, v, &azs);
    }
    hub::inspection_routes(&mut b, bp, &net, v, &azs, firewall.is_some());

    for vpc in &bp.vpcs {
        spoke(&mut b, bp, vpc, &scope_of(&vpc.account.value), &net, &azs)?;
    }
    central::central(&mut b, bp, &scope_of);
    for cluster in &bp.clusters {
        let vpc = bp.vpc(&cluster.vpc.value).expect("validated: the cluster's VPC exists");
        cluster_nodes(&mut b, bp, env, cluster, &scope_of(&vpc.account.value), &azs);
    }
    if let Some(reg) = &bp.registries {
        let s = scope_of(&reg.account.value);
        registry::registry(&mut b, bp, reg, &s);
    }
    if let Some(dns) = &bp.access.dns {
        access::dns(&mut b, bp, env, dns, &azs);
    }
    if let Some(vpn) = &bp.access.vpn {
        access::vpn(&mut b, bp, env, vpn, &azs);
    }
    for p in &bp.access.private_link {
        access::private_link(&mut b, bp, env, p, &azs);
    }
    Ok(b)
}
