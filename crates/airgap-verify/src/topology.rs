//! The analysis' own model of an environment: only what the checks read, with ids that
//! are logical addresses (from the plan's graph) or AWS ids (from observed state, later).
//! Building it from a graph is [`crate::from_graph`]; every check reads this, never the
//! graph, so the same checks can run on what exists.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::prefix::Prefix;

/// What a VPC is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VpcRole {
    /// A workload VPC: private, all egress through the transit gateway.
    Spoke,
    /// The hub's inspection VPC: the firewall, the NAT gateways, the internet gateway.
    Inspection,
}

#[derive(Clone, Debug)]
pub struct Vpc {
    pub id: String,
    pub cidr: Prefix,
    pub role: VpcRole,
    /// The route table of subnets without an association; `None`: one that holds the
    /// local route only (a new VPC's main route table, which airgapctl never changes).
    pub main_route_table: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Subnet {
    pub id: String,
    pub vpc: String,
    pub cidr: Prefix,
    /// The full zone name (`eu-central-1a`).
    pub az: String,
    pub route_table: Option<String>,
    pub map_public_ip_on_launch: bool,
}

/// Where a VPC route sends traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Target {
    /// The VPC itself (the implicit local route).
    Local,
    TransitGateway {
        id: String,
    },
    NatGateway {
        id: String,
    },
    InternetGateway {
        id: String,
    },
    /// The endpoint of a Network Firewall in one zone.
    FirewallEndpoint {
        firewall: String,
        az: String,
    },
    /// A gateway endpoint (S3, DynamoDB): the service's prefix list, not the internet.
    GatewayEndpoint {
        id: String,
    },
    /// A target that no longer exists: packets are dropped.
    Blackhole {
        id: String,
    },
    /// Anything this model does not follow (a peering connection, an egress-only
    /// gateway, an instance or interface): taken as leaving the environment.
    Other {
        id: String,
    },
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Local => f.write_str("local"),
            Target::TransitGateway { id } => write!(f, "transit gateway {id}"),
            Target::NatGateway { id } => write!(f, "NAT gateway {id}"),
            Target::InternetGateway { id } => write!(f, "internet gateway {id}"),
            Target::FirewallEndpoint { firewall, az } => {
                write!(f, "firewall endpoint {firewall} ({az})")
            }
            Target::GatewayEndpoint { id } => write!(f, "gateway endpoint {id}"),
            Target::Blackhole { id } => write!(f, "blackhole ({id})"),
            Target::Other { id } => write!(f, "{id}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Route {
    pub dest: Prefix,
    pub target: Target,
    /// The route's own id (its node, or `<table>:<cidr>`), shown as evidence.
    pub id: String,
}

#[derive(Clone, Debug)]
pub struct RouteTable {
    pub id: String,
    pub vpc: String,
    pub routes: Vec<Route>,
}

#[derive(Clone, Debug)]
pub struct TgwAttachment {
    pub id: String,
    pub tgw: String,
    pub vpc: String,
    /// One subnet per zone: where the attachment's interfaces are.
    pub subnets: Vec<String>,
    pub appliance_mode: bool,
}

/// Where a TGW route sends traffic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum TgwTarget {
    Attachment { id: String },
    Blackhole,
}

#[derive(Clone, Debug)]
pub struct TgwRoute {
    pub dest: Prefix,
    pub target: TgwTarget,
    pub id: String,
}

#[derive(Clone, Debug)]
pub struct TgwRouteTable {
    pub id: String,
    pub tgw: String,
    /// The attachments that route by this table.
    pub associations: Vec<String>,
    /// The attachments whose VPC CIDR this table learns.
    pub propagations: Vec<String>,
    /// Static routes (and blackholes).
    pub routes: Vec<TgwRoute>,
}

#[derive(Clone, Debug)]
pub struct NatGateway {
    pub id: String,
    pub subnet: String,
}

#[derive(Clone, Debug)]
pub struct InternetGateway {
    pub id: String,
    pub vpc: Option<String>,
}

/// A gateway the model knows exists but does not route through (egress-only internet
/// gateway, peering connection): their presence in a spoke is the finding.
#[derive(Clone, Debug)]
pub struct OtherGateway {
    pub id: String,
    pub kind: String,
    pub vpc: String,
}

#[derive(Clone, Debug)]
pub struct RuleGroup {
    pub id: String,
    pub rule_order: Option<String>,
    pub home_net: Vec<Prefix>,
    pub domains: Vec<String>,
    pub target_types: Vec<String>,
    /// Suricata rules.
    pub rules: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct FirewallPolicy {
    pub id: String,
    pub rule_order: Option<String>,
    pub stateless_default: String,
    pub stateless_fragment_default: Option<String>,
    pub stateful_default: Vec<String>,
    /// In priority order; a group the model cannot find is listed by id in `missing`.
    pub rule_groups: Vec<RuleGroup>,
    pub missing_groups: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Firewall {
    pub id: String,
    pub vpc: String,
    /// One per zone: the firewall's endpoint is in it, and packets leaving the endpoint
    /// are routed by its route table.
    pub subnets: Vec<String>,
    pub policy: Option<FirewallPolicy>,
    pub alert_log: Option<String>,
    pub flow_log: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Endpoint {
    pub id: String,
    pub vpc: String,
    /// The service's short name (`ecr.api`, `s3`).
    pub service: String,
    pub gateway: bool,
    pub private_dns: bool,
    /// The policy document; `None`: AWS's default, full access.
    pub policy: Option<serde_json::Value>,
}

/// A private hosted zone that answers an endpoint service's name in the VPCs associated
/// with it (central endpoints): `targets` are the endpoints its records alias to.
#[derive(Clone, Debug)]
pub struct PrivateZone {
    pub id: String,
    /// The service whose private DNS name the zone is (`sts`), if it is one.
    pub service: Option<String>,
    pub vpcs: Vec<String>,
    pub targets: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct SgRule {
    pub id: String,
    pub group: String,
    pub protocol: String,
    pub port: i32,
    pub cidr: Prefix,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub id: String,
    pub name: String,
    pub subnets: Vec<String>,
    pub security_groups: Vec<String>,
    pub public_access: bool,
    pub private_access: bool,
    /// The roles of its node groups (ARNs, or `${node.output}` before apply).
    pub node_roles: Vec<String>,
    /// The API server's URL, once it exists (what `--dns` resolves).
    pub endpoint: Option<String>,
}

/// An AWS Client VPN endpoint: a way into the environment for people. Client VPN
/// translates a client's address to that of the endpoint's network interface in the
/// associated subnet ("How AWS Client VPN works"), so from the VPC on a client's traffic
/// is the subnet's, routed by its route table like any other; what a client may send
/// into the VPC at all is bounded first by the endpoint's routes and authorization rules.
#[derive(Clone, Debug)]
pub struct ClientVpn {
    pub id: String,
    /// The VPC its target networks are in.
    pub vpc: String,
    /// The addresses handed to clients.
    pub client_cidr: Prefix,
    /// Only the endpoint's routes go through the VPN; off, every packet of a client
    /// does (the client's default route is the tunnel), and the endpoint's routes decide
    /// where it goes on.
    pub split_tunnel: bool,
    /// The target networks: the associated subnets (one per zone).
    pub subnets: Vec<String>,
    /// Destinations clients may reach (authorization rules, any group).
    pub authorizations: Vec<VpnAuthorization>,
    /// The endpoint's route table, the route AWS adds for the VPC's own CIDR with each
    /// association included.
    pub routes: Vec<VpnRoute>,
}

#[derive(Clone, Debug)]
pub struct VpnAuthorization {
    /// `<endpoint>:authorize/<cidr>`.
    pub id: String,
    pub dest: Prefix,
}

#[derive(Clone, Debug)]
pub struct VpnRoute {
    /// `<endpoint>:route/<cidr>@<subnet>`.
    pub id: String,
    pub dest: Prefix,
    /// The associated subnet the route sends clients' packets into the VPC through.
    pub subnet: String,
}

/// A VPC endpoint service (PrivateLink): a way in for third parties. A consumer in an
/// allowed principal's account creates an interface endpoint to it; its connection
/// carries traffic to the service's load balancers once accepted, or at once when
/// acceptance is not required ("Configure an endpoint service", PrivateLink guide).
#[derive(Clone, Debug)]
pub struct EndpointService {
    pub id: String,
    pub acceptance_required: bool,
    /// The principals allowed to connect (`*`: every AWS account).
    pub allowed_principals: Vec<String>,
    pub load_balancers: Vec<ServiceLoadBalancer>,
}

/// A load balancer behind an endpoint service.
#[derive(Clone, Debug)]
pub struct ServiceLoadBalancer {
    pub id: String,
    /// `internal` or `internet-facing`; `None`: not known (a load balancer an operator
    /// named, in an account not read).
    pub scheme: Option<String>,
    /// Its VPC, when known.
    pub vpc: Option<String>,
}

/// Who may pull from a repository besides its own account.
#[derive(Clone, Debug, PartialEq)]
pub enum Pull {
    Principals(Vec<String>),
    /// A repository policy that is not a plain pull grant: its text.
    Other(String),
}

#[derive(Clone, Debug)]
pub struct Repository {
    pub id: String,
    pub name: String,
    pub scan_on_push: bool,
    pub immutable_tags: bool,
    pub pull: Pull,
}

/// An environment's network and the settings the checks read.
#[derive(Clone, Debug, Default)]
pub struct Topology {
    pub region: String,
    pub vpcs: BTreeMap<String, Vpc>,
    pub subnets: BTreeMap<String, Subnet>,
    pub route_tables: BTreeMap<String, RouteTable>,
    pub attachments: BTreeMap<String, TgwAttachment>,
    pub tgw_route_tables: BTreeMap<String, TgwRouteTable>,
    pub nat_gateways: Vec<NatGateway>,
    pub internet_gateways: Vec<InternetGateway>,
    pub other_gateways: Vec<OtherGateway>,
    pub firewalls: Vec<Firewall>,
    pub endpoints: Vec<Endpoint>,
    /// Private hosted zones of central endpoints.
    pub zones: Vec<PrivateZone>,
    pub sg_rules: Vec<SgRule>,
    pub clusters: Vec<Cluster>,
    pub repositories: Vec<Repository>,
    /// The Client VPN endpoints; `None`: not read (what `--live` gives until
    /// `airgap_aws::inspect` reads them: the `vpn.*` checks then do not apply). A plan
    /// always says: `Some`, empty without `access.vpn`.
    pub client_vpns: Option<Vec<ClientVpn>>,
    /// The VPC endpoint services in front of the environment's load balancers, or
    /// tagged as its own; `None`: not read.
    pub endpoint_services: Option<Vec<EndpointService>>,
    /// What the cluster endpoints' names resolve to, by cluster id (`verify --dns`);
    /// empty when nothing was resolved.
    pub dns: BTreeMap<String, Resolution>,
}

/// A name looked up with the system resolver: its IPv4 addresses, or why it failed.
pub type Resolution = Result<Vec<std::net::Ipv4Addr>, String>;

impl Topology {
    /// The VPCs of a role, in id order.
    pub fn vpcs_of(&self, role: VpcRole) -> impl Iterator<Item = &Vpc> {
        self.vpcs.values().filter(move |v| v.role == role)
    }

    /// The route table a subnet's traffic is routed by.
    pub fn route_table_of(&self, subnet: &Subnet) -> Option<&RouteTable> {
        let id = subnet
            .route_table
            .as_ref()
            .or_else(|| self.vpcs.get(&subnet.vpc).and_then(|v| v.main_route_table.as_ref()))?;
        self.route_tables.get(id)
    }

    /// The environment's own address space: every VPC's CIDR.
    pub fn private_ranges(&self) -> Vec<Prefix> {
        self.vpcs.values().map(|v| v.cidr).collect()
    }

    /// The VPC of a cluster: its subnets'.
    pub fn vpc_of_cluster(&self, c: &Cluster) -> Option<&Vpc> {
        c.subnets.iter().find_map(|s| self.subnets.get(s)).and_then(|s| self.vpcs.get(&s.vpc))
    }

    /// The inbound rules of a cluster's security groups that admit its API (TCP 443, or
    /// every protocol).
    pub fn api_rules<'a>(&'a self, c: &'a Cluster) -> impl Iterator<Item = &'a SgRule> + 'a {
        self.sg_rules.iter().filter(|r| c.security_groups.contains(&r.group)).filter(|r| {
            (r.protocol == "tcp" && r.port == 443) || matches!(r.protocol.as_str(), "-1" | "all")
        })
    }

    pub fn firewall(&self, id: &str) -> Option<&Firewall> {
        self.firewalls.iter().find(|f| f.id == id)
    }
}
