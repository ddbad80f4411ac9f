//! What in a resource graph is billed: the nodes of the kinds AWS charges for, each read
//! from its typed spec (as `airgap-verify` reads the graph). Everything else the graph
//! holds (VPCs, subnets, routes, security groups, roles, gateway endpoints, the transit
//! gateway itself, RAM, ACM certificates) costs nothing by itself.
//!
//! A billed kind is a variant of [`Billable`] with what its price depends on, read in
//! [`billable`] from the node's spec, and priced by one arm of [`crate::estimate()`].

use airgap_catalog::spec::{
    ClientVpnEndpointSpec, EksClusterSpec, EksNodegroupSpec, FirewallSpec, Id, LoadBalancerSpec,
    ResolverEndpointSpec, Spec, SpecError, TgwAttachmentSpec, VpcEndpointInterfaceSpec, VpnPkiSpec,
};
use airgap_engine::{Graph, Node};

/// The node of the hub's inspection VPC (the expansion's fixed address).
pub const INSPECTION_VPC: &str = "vpc/inspection";

/// One billed resource: its node, the account (id) it is billed to, and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub node: String,
    pub account: String,
    pub what: Billable,
}

/// The billed kinds, with what their price depends on.
#[derive(Clone, Debug, PartialEq)]
pub enum Billable {
    /// An interface endpoint: billed per AZ (one network interface per subnet) and hour.
    InterfaceEndpoint {
        vpc: String,
        service: String,
        azs: u32,
    },
    /// A transit gateway VPC attachment, billed to the VPC's owner.
    TgwAttachment {
        vpc: String,
    },
    /// A Network Firewall: one endpoint per subnet (AZ).
    Firewall {
        vpc: String,
        azs: u32,
        logs: bool,
    },
    NatGateway,
    /// An Elastic IP: a public IPv4 address.
    PublicIp,
    /// An EKS cluster; `logs`: control plane logging is on (CloudWatch ingestion).
    EksCluster {
        name: String,
        logs: bool,
    },
    /// A managed node group: `desired` nodes of its first instance type (EKS launches
    /// on-demand capacity by the order of the list).
    Nodegroup {
        cluster: String,
        name: String,
        instance_type: String,
        desired: u32,
    },
    KmsKey,
    /// A Route 53 private hosted zone (a central endpoint's name), billed a month.
    HostedZone,
    /// A Secrets Manager secret (the VPN's CA), billed a month.
    Secret {
        name: String,
    },
    /// A Client VPN endpoint (`access.vpn`): billed per subnet association (target
    /// network) and hour, and per connected client and hour (the usage file's
    /// `access.vpn.connectionHours`).
    ClientVpn {
        vpc: String,
        associations: u32,
    },
    /// A Route 53 Resolver endpoint (`access.dns`): billed per IP address (one network
    /// interface each) and hour. Its queries are not counted.
    ResolverEndpoint {
        vpc: String,
        addresses: u32,
    },
    /// The internal Network Load Balancer of an `access.privateLink` entry with `vpc`:
    /// billed per hour. Its capacity units (NLCU-hours) are not counted; the endpoint
    /// service in front of it costs its owner nothing.
    NetworkLoadBalancer {
        vpc: String,
    },
}

impl Billable {
    /// The name of the `access` piece it is, as the usage file's `access.<piece>` names
    /// it; `None`: not an access piece.
    pub fn access_piece(&self) -> Option<&'static str> {
        match self {
            Billable::ClientVpn { .. } => Some("vpn"),
            _ => None,
        }
    }
}

/// Why a node could not be read: a bug in the expansion, never the user's input.
#[derive(Debug, thiserror::Error)]
#[error("node {node}: {source}")]
pub struct InventoryError {
    pub node: String,
    #[source]
    pub source: SpecError,
}

fn spec<S: Spec>(n: &Node) -> Result<S, InventoryError> {
    S::from_attrs(&n.attrs).map_err(|source| InventoryError { node: n.id.to_string(), source })
}

/// The VPC's name as a blueprint and a usage file give it (`vpc/workload` is
/// `workload`, the hub's is `inspection`).
pub fn vpc_name(id: &Id) -> String {
    let node = match id {
        Id::Ref(r) => r.node.to_string(),
        Id::Known(s) => s.clone(),
        Id::Unknown(_) => "(known after apply)".into(),
    };
    node.strip_prefix("vpc/").map(str::to_string).unwrap_or(node)
}

/// The VPC of a subnet, by its name (`vpc/access/subnet/endpoints/a` is in `access`), for a
/// spec that names subnets but not their VPC. An observed spec names the subnet by its id
/// (`subnet-...`), which is given as it is.
pub fn subnet_vpc(id: &Id) -> String {
    match id {
        Id::Ref(r) => {
            let node = r.node.as_str();
            let vpc = node.split_once("/subnet/").map_or(node, |(vpc, _)| vpc);
            vpc.strip_prefix("vpc/").unwrap_or(vpc).to_string()
        }
        other => vpc_name(other),
    }
}

/// The service's short name (`com.amazonaws.eu-central-1.ecr.api` is `ecr.api`).
pub fn short_service(service: &str, region: &str) -> String {
    let prefix = format!("com.amazonaws.{region}.");
    service.strip_prefix(&prefix).unwrap_or(service).to_string()
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What `node` is billed as, if anything.
pub fn billable(node: &Node) -> Result<Option<Resource>, InventoryError> {
    let k = node.kind.as_str();
    let what = if k == airgap_catalog::VPC_ENDPOINT_INTERFACE.name {
        let s: VpcEndpointInterfaceSpec = spec(node)?;
        Billable::InterfaceEndpoint {
            vpc: vpc_name(&s.vpc),
            service: short_service(&s.service, &node.scope.region),
            azs: count(s.subnets.len()),
        }
    } else if k == airgap_catalog::TGW_ATTACHMENT.name {
        let s: TgwAttachmentSpec = spec(node)?;
        Billable::TgwAttachment { vpc: vpc_name(&s.vpc) }
    } else if k == airgap_catalog::FIREWALL.name {
        let s: FirewallSpec = spec(node)?;
        Billable::Firewall {
            vpc: vpc_name(&s.vpc),
            azs: count(s.subnets.len()),
            logs: s.alert_log_group.is_some() || s.flow_log_group.is_some(),
        }
    } else if k == airgap_catalog::NAT_GATEWAY.name {
        Billable::NatGateway
    } else if k == airgap_catalog::ELASTIC_IP.name {
        Billable::PublicIp
    } else if k == airgap_catalog::EKS_CLUSTER.name {
        let s: EksClusterSpec = spec(node)?;
        // The blueprint's name (`cluster/apps` is `apps`), not the AWS one (which carries
        // the environment's): the usage file and the table use the blueprint's.
        let id = node.id.as_str();
        let name = id.strip_prefix("cluster/").unwrap_or(id).to_string();
        Billable::EksCluster { name, logs: !s.logging.is_empty() }
    } else if k == airgap_catalog::EKS_NODEGROUP.name {
        let s: EksNodegroupSpec = spec(node)?;
        let cluster = match &s.cluster {
            Id::Ref(r) => r.node.to_string(),
            other => vpc_name(other),
        };
        Billable::Nodegroup {
            cluster: cluster.strip_prefix("cluster/").map(str::to_string).unwrap_or(cluster),
            name: s.name,
            instance_type: s.instance_types.first().cloned().unwrap_or_default(),
            desired: u32::try_from(s.desired).unwrap_or(0),
        }
    } else if k == airgap_catalog::KMS_KEY.name {
        Billable::KmsKey
    } else if k == airgap_catalog::ROUTE53_ZONE.name {
        Billable::HostedZone
    } else if k == airgap_catalog::VPN_PKI.name {
        // The CA's secret; the server certificate ACM holds is free (imported).
        let s: VpnPkiSpec = spec(node)?;
        Billable::Secret { name: s.secret }
    } else if k == airgap_catalog::CLIENT_VPN_ENDPOINT.name {
        let s: ClientVpnEndpointSpec = spec(node)?;
        Billable::ClientVpn { vpc: vpc_name(&s.vpc), associations: count(s.subnets.len()) }
    } else if k == airgap_catalog::RESOLVER_ENDPOINT.name {
        // One address per subnet listed (a subnet listed twice holds two), one network
        // interface each.
        let s: ResolverEndpointSpec = spec(node)?;
        Billable::ResolverEndpoint {
            vpc: s.subnets.first().map(subnet_vpc).unwrap_or_default(),
            addresses: count(s.subnets.len()),
        }
    } else if k == airgap_catalog::LOAD_BALANCER.name {
        // One load balancer whatever its subnets; its VPC from theirs.
        let s: LoadBalancerSpec = spec(node)?;
        Billable::NetworkLoadBalancer { vpc: s.subnets.first().map(subnet_vpc).unwrap_or_default() }
    } else {
        return Ok(None);
    };
    Ok(Some(Resource { node: node.id.to_string(), account: node.scope.account.clone(), what }))
}

/// Every billed resource of a graph, in the graph's order.
pub fn inventory(graph: &Graph) -> Result<Vec<Resource>, InventoryError> {
    let mut out = Vec::new();
    for n in graph.nodes() {
        if let Some(r) = billable(n)? {
            out.push(r);
        }
    }
    Ok(out)
}
