//! The network sections of the model: `hub` (transit gateway, RAM, inspection VPC,
//! firewall), the spoke `vpcs` and the top-level `endpoints` layout.

use airgap_section_derive::Section;
use serde_json::json;

use super::{Spanned, PREFIX_MAX, PREFIX_MIN};
use crate::carve::Ipv4Net;
use crate::regions;
use crate::section::choice_leaf;

/// `hub`.
#[derive(Debug, Clone, Section)]
pub struct Hub {
    /// Logical account that owns the transit gateway and inspection VPC.
    pub account: Spanned<String>,
    /// Transit gateway settings.
    pub transit_gateway: TransitGateway,
    /// Resource Access Manager sharing.
    pub ram: Ram,
    /// The inspection VPC all spoke traffic is routed through.
    #[section(required)]
    pub inspection_vpc: InspectionVpc,
    /// AWS Network Firewall in the inspection VPC; `None` = no firewall.
    pub firewall: Option<Firewall>,
}

/// `hub.transitGateway`.
#[derive(Debug, Clone, Section)]
pub struct TransitGateway {
    /// An existing transit gateway of the hub account (`tgw-...`) to use instead of
    /// creating one: airgapctl adds its route tables, attachments and RAM share to it and
    /// never changes or deletes the gateway itself. Written `id`.
    #[section(with = crate::parse::existing_tgw)]
    pub existing: Option<Spanned<String>>,
    /// Private BGP ASN (default 64512). The schema says the private ranges; the parser
    /// takes any ASN so that validation can say which ranges AWS allows.
    #[section(
        default = 64512,
        min = 1,
        max = 4_294_967_295,
        schema = json!({ "minimum": 64512, "maximum": 4_294_967_294u64 })
    )]
    pub asn: Spanned<u32>,
    /// Accept attachments from shared accounts without a manual step (default false).
    #[section(default = false)]
    pub auto_accept_shared_attachments: Spanned<bool>,
}

/// `hub.ram`.
#[derive(Debug, Clone, Section)]
pub struct Ram {
    /// Share with the whole AWS Organization instead of account by account (default false).
    #[section(default = false)]
    pub organization: Spanned<bool>,
}

/// `hub.inspectionVpc`.
#[derive(Debug, Clone, Section)]
pub struct InspectionVpc {
    /// The VPC CIDR (required).
    pub cidr: Spanned<Ipv4Net>,
    /// Per-AZ subnet prefix lengths.
    pub subnets: InspectionSubnets,
}

/// `hub.inspectionVpc.subnets`: prefix length per AZ of each tier.
#[derive(Debug, Clone, Section)]
pub struct InspectionSubnets {
    /// Transit gateway attachment subnets (default 28).
    #[section(default = 28, min = PREFIX_MIN, max = PREFIX_MAX)]
    pub transit: Spanned<u8>,
    /// Firewall endpoint subnets (default 28).
    #[section(default = 28, min = PREFIX_MIN, max = PREFIX_MAX)]
    pub firewall: Spanned<u8>,
    /// Public subnets (default 28), reserved for controlled egress.
    #[section(default = 28, min = PREFIX_MIN, max = PREFIX_MAX)]
    pub public: Spanned<u8>,
}

/// `hub.firewall`.
#[derive(Debug, Clone, Section)]
pub struct Firewall {
    /// TLS SNI / HTTP Host allowlist; a leading dot allows subdomains.
    pub allow_domains: Vec<Spanned<String>>,
    /// Stateful 5-tuple pass rules.
    pub allow_rules: Vec<AllowRule>,
    /// Log destinations and retention.
    pub logging: FirewallLogging,
    /// Protect the firewall from deletion (default false).
    #[section(default = false)]
    pub deletion_protection: Spanned<bool>,
}

/// Protocol of a firewall allow rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (no port).
    Icmp,
}

choice_leaf!(Protocol, [("tcp", Protocol::Tcp), ("udp", Protocol::Udp), ("icmp", Protocol::Icmp)]);

/// One `hub.firewall.allowRules` entry.
#[derive(Debug, Clone, Section)]
#[section(noun = "an allow rule", check = crate::parse::icmp_has_no_port)]
pub struct AllowRule {
    /// Protocol.
    pub protocol: Spanned<Protocol>,
    /// Destination network.
    pub destination: Spanned<Ipv4Net>,
    /// Destination port; `None` = any.
    #[section(min = 1, max = 65535)]
    pub port: Option<Spanned<u16>>,
}

/// Where firewall logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogDestination {
    /// A CloudWatch log group per log type.
    Cloudwatch,
    /// Not logged.
    None,
}

choice_leaf!(
    LogDestination,
    [("cloudwatch", LogDestination::Cloudwatch), ("none", LogDestination::None)]
);

/// `hub.firewall.logging`.
#[derive(Debug, Clone, Section)]
pub struct FirewallLogging {
    /// Alert logs (default cloudwatch).
    #[section(default = LogDestination::Cloudwatch)]
    pub alert: Spanned<LogDestination>,
    /// Flow logs (default none).
    #[section(default = LogDestination::None)]
    pub flow: Spanned<LogDestination>,
    /// CloudWatch retention in days (default 30): one of the retentions CloudWatch Logs
    /// has, which validation checks with a suggestion.
    #[section(default = 30, min = 1, max = 3653, schema = json!({ "enum": regions::LOG_RETENTION_DAYS }))]
    pub retention_days: Spanned<u32>,
}

/// One spoke VPC.
#[derive(Debug, Clone, Section)]
#[section(noun = "VPC", named)]
pub struct Vpc {
    /// Unique VPC name.
    #[section(schema = json!({ "$ref": "#/$defs/name" }))]
    pub name: Spanned<String>,
    /// Logical account that owns it.
    pub account: Spanned<String>,
    /// The VPC CIDR.
    pub cidr: Spanned<Ipv4Net>,
    /// Per-AZ subnet prefix lengths.
    pub subnets: SubnetPrefixes,
    /// VPC endpoints (default: the S3 gateway and the interface endpoints a private EKS
    /// cluster needs).
    #[section(with = crate::parse::vpc_endpoints)]
    pub endpoints: Endpoints,
}

/// The subnet tiers of a spoke VPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubnetTier {
    /// EKS control plane ENIs.
    ControlPlane,
    /// Nodes and pods.
    DataPlane,
    /// Interface endpoint ENIs.
    Endpoints,
    /// Transit gateway attachment.
    Transit,
}

/// `vpcs[].subnets`: prefix length per AZ of each tier.
#[derive(Debug, Clone, Section)]
#[section(def = "vpcSubnets")]
pub struct SubnetPrefixes {
    /// Default 28.
    #[section(default = 28, min = PREFIX_MIN, max = PREFIX_MAX)]
    pub control_plane: Spanned<u8>,
    /// Default 20.
    #[section(default = 20, min = PREFIX_MIN, max = PREFIX_MAX)]
    pub data_plane: Spanned<u8>,
    /// Default 24.
    #[section(default = 24, min = PREFIX_MIN, max = PREFIX_MAX)]
    pub endpoints: Spanned<u8>,
    /// Default 28.
    #[section(default = 28, min = PREFIX_MIN, max = PREFIX_MAX)]
    pub transit: Spanned<u8>,
}

impl SubnetPrefixes {
    /// The tiers with their prefixes, in carving order.
    pub fn tiers(&self) -> [(SubnetTier, u8); 4] {
        [
            (SubnetTier::ControlPlane, self.control_plane.value),
            (SubnetTier::DataPlane, self.data_plane.value),
            (SubnetTier::Endpoints, self.endpoints.value),
            (SubnetTier::Transit, self.transit.value),
        ]
    }
}

/// `vpcs[].endpoints`.
#[derive(Debug, Clone, Default, Section)]
pub struct Endpoints {
    /// Gateway endpoints (s3, dynamodb).
    #[section(schema = json!({ "uniqueItems": true, "items": { "enum": regions::GATEWAY_SERVICES } }))]
    pub gateway: Vec<Spanned<String>>,
    /// Interface endpoints.
    #[section(schema = json!({ "uniqueItems": true, "items": { "enum": regions::INTERFACE_SERVICES } }))]
    pub interface: Vec<Spanned<String>>,
    /// Endpoint policies by service name, as JSON objects.
    #[section(with = crate::parse::policies)]
    pub policies: Vec<(Spanned<String>, Spanned<serde_json::Value>)>,
}

/// `endpoints` (top level): where the interface endpoints of the VPCs live.
#[derive(Debug, Clone, Section)]
#[section(schema = json!({ "description": "Where the interface endpoints live: in every VPC (per-vpc, the default) or once in `vpc`, reached from the others over the transit gateway through Route 53 private hosted zones (central)." }))]
pub struct EndpointLayout {
    /// `per-vpc` (default) or `central`.
    #[section(default = EndpointMode::PerVpc)]
    pub mode: Spanned<EndpointMode>,
    /// The VPC that holds the central endpoints (`central` only).
    #[section(schema = json!({ "description": "The VPC that holds the central endpoints." }))]
    pub vpc: Option<Spanned<String>>,
    /// The services made central; empty: every interface service that two VPCs or more
    /// list and that a private hosted zone can serve.
    #[section(schema = json!({ "uniqueItems": true, "description": "The services made central; default: every interface service that two VPCs or more list and that a private hosted zone can serve." }))]
    pub services: Vec<Spanned<String>>,
}

/// `endpoints.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointMode {
    /// Each VPC has its own interface endpoints, private DNS on.
    PerVpc,
    /// One set in `endpoints.vpc`, private DNS off, reached from the other VPCs over the
    /// transit gateway through Route 53 private hosted zones associated with them.
    Central,
}

choice_leaf!(EndpointMode, [("per-vpc", EndpointMode::PerVpc), ("central", EndpointMode::Central)]);
