//! The validated blueprint model. Every user-written value keeps its source
//! span so later stages (planning, apply errors) can point back at the line
//! that caused them. Defaulted values carry the span of their parent key.

use std::net::Ipv4Addr;
use std::time::Duration;

use airgap_section_derive::Section;
use miette::SourceSpan;
use serde_json::json;

use crate::carve::Ipv4Net;
use crate::diag::Source;
use crate::regions;
use crate::section::choice_leaf;

mod cluster;
mod network;

pub use cluster::*;
pub use network::*;

/// The prefix lengths AWS allows for a VPC's CIDR block and for a subnet: /16 to /28
/// (Amazon VPC user guide, "VPC CIDR blocks" and "Subnet sizing").
pub(crate) const PREFIX_MIN: i64 = 16;
pub(crate) const PREFIX_MAX: i64 = 28;

/// A value and the bytes of the blueprint it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it was written (or, for defaults, the enclosing key).
    pub span: SourceSpan,
}

impl<T> Spanned<T> {
    /// Pairs a value with its span.
    pub fn new(value: T, span: SourceSpan) -> Self {
        Spanned { value, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// At most this many spoke VPCs in one blueprint. Each adds a return route to the
/// inspection VPC's firewall and public route tables, which also hold the default route,
/// and AWS takes at most 1,000 routes in a route table: "Routes per route table
/// (non-propagated routes)", default 50, "You can increase this quota up to a maximum of
/// 1,000" (Amazon VPC quotas, VPC user guide). The parser reads no more than this, so a
/// few kilobytes of aliases cannot make validation walk thousands of VPCs.
pub const MAX_VPCS: usize = 999;

/// `vpcs` as the parser reads it and the schema describes it: bounded by [`MAX_VPCS`].
pub(crate) const VPCS: crate::section::Field =
    crate::section::Field { key: "vpcs", min: None, max: Some(MAX_VPCS as i64), one_of: None };
/// Why, as the message for one VPC too many says it.
pub(crate) const VPCS_BOUND: &str =
    "each adds a route to the inspection VPC's route tables, which take at most 1,000";

/// A parsed and fully validated blueprint.
#[derive(Debug, Clone)]
pub struct Blueprint {
    /// The source text, so later stages can build diagnostics from spans. With overlays,
    /// the sources one after the other; [`Blueprint::position`] finds the file of a span.
    pub source: Source,
    /// Where each overlay's text sits in `source` (empty for a single file).
    pub layers: crate::Layers,
    /// `apiVersion`, always `airgapctl.dev/v1alpha1` after validation.
    pub api_version: Spanned<String>,
    /// `kind`, always `Environment` after validation.
    pub kind: Spanned<String>,
    /// Environment identity.
    pub metadata: Metadata,
    /// Logical account name -> account, in file order.
    pub accounts: Vec<Account>,
    /// How many AZs, or which ones.
    pub availability_zones: Spanned<AzSpec>,
    /// The network hub: transit gateway, inspection VPC, firewall.
    pub hub: Hub,
    /// Spoke VPCs attached to the transit gateway, at most [`MAX_VPCS`].
    pub vpcs: Vec<Vpc>,
    /// Private EKS clusters.
    pub clusters: Vec<Cluster>,
    /// Private ECR repositories, if any.
    pub registries: Option<Registries>,
    /// Where interface endpoints live: in every VPC (default) or central.
    pub endpoints: Option<EndpointLayout>,
    /// How people reach the environment from outside (`access`).
    pub access: Access,
}

/// `access`: how people reach the private environment.
#[derive(Debug, Clone, Default, Section)]
#[section(schema = json!({ "description": "How people reach the private environment from outside." }))]
pub struct Access {
    /// `access.vpn`: an AWS Client VPN endpoint with mutual TLS.
    pub vpn: Option<Vpn>,
    /// `access.dns`: a Route 53 Resolver inbound endpoint.
    pub dns: Option<Dns>,
    /// `access.privateLink`: services third parties reach through PrivateLink.
    pub private_link: Vec<PrivateLink>,
}

/// An `access.privateLink` entry: a VPC endpoint service in front of an internal Network
/// Load Balancer, which the environment makes (in `vpc`, with a target group the
/// workload registers its targets in) or an operator names (`loadBalancerArn`).
#[derive(Debug, Clone, Section)]
#[section(
    noun = "privateLink service",
    named,
    schema = json!({
        "description": "A VPC endpoint service third parties connect to through PrivateLink, in front of an internal Network Load Balancer the environment makes in `vpc` (with an IP target group the workload registers its targets in) or the one `loadBalancerArn` names.",
        "required": ["name", "allowedPrincipals"]
    })
)]
pub struct PrivateLink {
    /// Lower-case letters, digits and hyphens; names the nodes and AWS names.
    #[section(schema = json!({ "pattern": "^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$" }))]
    pub name: Spanned<String>,
    /// The VPC of `vpcs` the load balancer is made in (its endpoints subnets).
    pub vpc: Option<Spanned<String>>,
    /// An existing Network Load Balancer instead.
    #[section(schema = json!({ "pattern": "^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/net/" }))]
    pub load_balancer_arn: Option<Spanned<String>>,
    /// The TCP port of the listener and of the targets.
    #[section(default = 443, min = 1, max = 65535)]
    pub port: Spanned<i32>,
    /// IAM principals (`arn:<partition>:iam::<account>:root`, a role or a user) whose
    /// endpoints may connect.
    #[section(schema = json!({ "minItems": 1, "uniqueItems": true, "items": { "type": "string", "pattern": "^arn:aws[a-z-]*:iam::[0-9]{12}:(root|role/.+|user/.+)$" } }))]
    pub allowed_principals: Vec<Spanned<String>>,
    /// Each connection waits for `airgapctl access connections --accept` (default true).
    #[section(default = true)]
    pub acceptance_required: Spanned<bool>,
}

/// `access.dns`: a Route 53 Resolver inbound endpoint, so that resolvers outside the VPCs
/// (on-premises, and the VPN's clients) resolve the environment's private names.
#[derive(Debug, Clone, Section)]
#[section(schema = json!({ "description": "A Route 53 Resolver inbound endpoint in `vpc` (two addresses in its endpoints-tier subnets): resolvers outside the VPCs, and the VPN's clients when the VPN is in the same VPC, resolve the environment's private names through it." }))]
pub struct Dns {
    /// The VPC of `vpcs` whose resolver answers (its `endpoints` tier subnets hold the
    /// endpoint's addresses).
    pub vpc: Spanned<String>,
    /// Networks besides the VPC's own whose resolvers may query it (TCP and UDP 53).
    #[section(schema = json!({ "uniqueItems": true, "description": "Networks besides the VPC's own whose resolvers may query the endpoint (TCP and UDP 53)." }))]
    pub allow_from: Vec<Spanned<Ipv4Net>>,
}

/// `access.vpn`.
#[derive(Debug, Clone, Section)]
#[section(schema = json!({ "description": "An AWS Client VPN endpoint with mutual TLS in the account of `vpc`, associated with its endpoints-tier subnets; clients reach the named clusters' API and the listed CIDRs through the transit gateway and the firewall." }))]
pub struct Vpn {
    /// The VPC of `vpcs` the endpoint is associated with (its `endpoints` tier subnets);
    /// the endpoint lives in that VPC's account.
    pub vpc: Spanned<String>,
    /// The addresses handed to clients: /12 to /22, overlapping no VPC.
    pub client_cidr: Spanned<Ipv4Net>,
    /// Clusters whose API (443) the VPN reaches.
    #[section(schema = json!({ "uniqueItems": true }))]
    pub clusters: Vec<Spanned<String>>,
    /// Other destinations the VPN reaches.
    #[section(schema = json!({ "uniqueItems": true }))]
    pub cidrs: Vec<Spanned<Ipv4Net>>,
    /// Associate a subnet in every AZ (default false: the first AZ only; AWS bills each
    /// association by the hour).
    #[section(default = false)]
    pub high_availability: Spanned<bool>,
    /// `udp` (default) or `tcp`.
    #[section(one_of = &["udp", "tcp"], default = "udp".into())]
    pub transport: Spanned<String>,
}

impl Blueprint {
    /// The networks that may reach cluster `c`'s API on 443: its `apiAccessCidrs`, and
    /// the VPN's VPC when `access.vpn.clusters` names it (Client VPN translates a
    /// client's address to the endpoint's interface in the associated subnet for traffic
    /// that leaves that subnet: Client VPN Administrator Guide, "How Client VPN works"),
    /// spanned where the blueprint says so.
    pub fn api_access(&self, c: &Cluster) -> Vec<Spanned<Ipv4Net>> {
        let mut out = c.api_access_cidrs.clone();
        if let Some(vpn) = &self.access.vpn {
            let by_vpn = vpn.clusters.iter().find(|n| n.value == c.name.value);
            if let (Some(name), Some(vpc)) = (by_vpn, self.vpc(&vpn.vpc.value)) {
                if !out.iter().any(|o| o.value == vpc.cidr.value) {
                    out.push(Spanned::new(vpc.cidr.value, name.span));
                }
            }
        }
        out
    }
}

impl Blueprint {
    /// The DNS servers the VPN hands to its clients, and the networks that hold them,
    /// which the VPN must authorize too (Client VPN denies every destination no rule
    /// authorizes: Administrator Guide, "Authorization rules"): with `access.dns` in the
    /// VPN's VPC, its endpoint's addresses (known after apply, `None`) in the endpoints
    /// subnets of the first two AZs; otherwise the VPC's resolver, its base address + 2.
    pub fn vpn_dns(&self) -> Option<(Option<Ipv4Addr>, Vec<Ipv4Net>)> {
        let vpn = self.access.vpn.as_ref()?;
        let vpc = self.vpc(&vpn.vpc.value)?;
        match &self.access.dns {
            Some(d) if d.vpc.value == vpc.name.value => {
                let azs: Vec<String> = self.azs().into_iter().take(2).collect();
                let nets = crate::carve::carve_vpc(vpc, &azs)
                    .ok()?
                    .into_iter()
                    .filter(|s| s.tier == SubnetTier::Endpoints)
                    .map(|s| s.cidr)
                    .collect();
                Some((None, nets))
            }
            _ => {
                let ip = Ipv4Addr::from(vpc.cidr.value.first() + 2);
                Some((Some(ip), vec![Ipv4Net::new(ip, 32).ok()?]))
            }
        }
    }
}

impl Blueprint {
    /// The file (as diagnostics name it), 1-based line and column a span's offset points
    /// at, whichever overlay wrote it.
    pub fn position(&self, offset: usize) -> (String, usize, usize) {
        self.layers.position(offset).unwrap_or_else(|| {
            let (line, col) = crate::diag::line_col(self.source.inner(), offset);
            (self.source.name().to_string(), line, col)
        })
    }

    /// The AZ names in use: an explicit list as written, or the first N
    /// AZs of the region's static table.
    pub fn azs(&self) -> Vec<String> {
        match &self.availability_zones.value {
            AzSpec::Explicit(list) => list.iter().map(|a| a.value.clone()).collect(),
            AzSpec::Count(n) => {
                let region = &self.metadata.region.value;
                crate::regions::az_letters(region)
                    .unwrap_or("abcdef")
                    .chars()
                    .take(usize::from(*n))
                    .map(|l| format!("{region}{l}"))
                    .collect()
            }
        }
    }

    /// The account with this logical name.
    pub fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name.value == name)
    }

    /// The VPC with this name.
    pub fn vpc(&self, name: &str) -> Option<&Vpc> {
        self.vpcs.iter().find(|v| v.name.value == name)
    }

    /// Central endpoints: the VPC that holds them and the services made central (each
    /// listed by some VPC, in first-listed order). `None` in per-VPC mode.
    pub fn central(&self) -> Option<(&Vpc, Vec<String>)> {
        let layout = self.endpoints.as_ref()?;
        if layout.mode.value != EndpointMode::Central {
            return None;
        }
        let host = self.vpc(&layout.vpc.as_ref()?.value)?;
        let mut services: Vec<String> = Vec::new();
        for v in &self.vpcs {
            for s in &v.endpoints.interface {
                // By default only what two VPCs or more share: one VPC's endpoint moved
                // elsewhere saves nothing and adds the traffic's way through the hub.
                let wanted = if layout.services.is_empty() {
                    let users = self
                        .vpcs
                        .iter()
                        .filter(|v| v.endpoints.interface.iter().any(|i| i.value == s.value))
                        .count();
                    users > 1 && crate::regions::centralizable(&s.value)
                } else {
                    layout.services.iter().any(|c| c.value == s.value)
                };
                if wanted && !services.contains(&s.value) {
                    services.push(s.value.clone());
                }
            }
        }
        Some((host, services))
    }
}

/// `metadata`.
#[derive(Debug, Clone, Section)]
pub struct Metadata {
    /// Environment name; every resource is tagged `airgap:env=<name>`.
    #[section(schema = json!({ "$ref": "#/$defs/name", "description": "Environment name; resources are tagged airgap:env=<name>." }))]
    pub name: Spanned<String>,
    /// AWS region, e.g. `eu-central-1`.
    #[section(schema = json!({ "enum": regions::REGIONS.iter().map(|r| r.0).collect::<Vec<_>>() }))]
    pub region: Spanned<String>,
    /// Lifetime of an ephemeral environment: `30m`, `8h`, `2d`, `1d12h`.
    #[section(schema = json!({ "description": "Lifetime, e.g. 30m, 8h, 2d." }))]
    pub ttl: Option<Spanned<Duration>>,
}

/// One entry of `accounts`.
#[derive(Debug, Clone)]
pub struct Account {
    /// The logical name other sections refer to.
    pub name: Spanned<String>,
    /// 12-digit account id.
    pub id: Spanned<String>,
    /// Role to assume; `None` means the current credentials.
    pub role: Option<Spanned<String>>,
    /// `sts:ExternalId` for the assume-role call.
    pub external_id: Option<Spanned<String>>,
    /// Role session name; defaults to `airgapctl-<env>` at run time.
    pub session_name: Option<Spanned<String>>,
}

impl Account {
    /// The full role ARN to assume, expanding a bare role name with this
    /// account's id.
    pub fn role_arn(&self) -> Option<String> {
        self.role.as_ref().map(|r| {
            if r.value.starts_with("arn:") {
                r.value.clone()
            } else {
                format!("arn:aws:iam::{}:role/{}", self.id.value, r.value)
            }
        })
    }
}

/// `availabilityZones`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AzSpec {
    /// The first N AZs of the region.
    Count(u8),
    /// These AZs, by name.
    Explicit(Vec<Spanned<String>>),
}

impl Registries {
    /// The quarantine repository of `repository`, when `quarantine` is set.
    pub fn quarantine_of(&self, repository: &str) -> Option<String> {
        self.quarantine.as_ref().map(|q| format!("{}/{repository}", q.value))
    }

    /// Every quarantine repository, in declaration order.
    pub fn quarantine_repositories(&self) -> Vec<String> {
        self.repositories.iter().filter_map(|r| self.quarantine_of(&r.value)).collect()
    }
}

/// How the registry scans the environment's images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scanning {
    /// ECR's own scan of each pushed image (`scanOnPush`).
    Basic,
    /// Amazon Inspector, continuously: images are scanned again as vulnerabilities are
    /// published, at Inspector's price per image.
    Enhanced,
}

choice_leaf!(Scanning, [("basic", Scanning::Basic), ("enhanced", Scanning::Enhanced)]);

/// `registries`.
#[derive(Debug, Clone, Section)]
pub struct Registries {
    /// Logical account that owns the repositories.
    pub account: Spanned<String>,
    /// Repository names.
    #[section(schema = json!({ "uniqueItems": true }))]
    pub repositories: Vec<Spanned<String>>,
    /// `immutableTags` (default true): a tag, once pushed, names one digest for good.
    #[section(default = true)]
    pub immutable_tags: Spanned<bool>,
    /// `scanOnPush` (default true): ECR's basic scan of every pushed image.
    #[section(default = true)]
    pub scan_on_push: Spanned<bool>,
    /// `scanning` (default `basic`): `enhanced` turns on Amazon Inspector's continuous
    /// scanning for the repositories, in the registry's scanning configuration.
    #[section(default = Scanning::Basic, schema = json!({ "description": "basic: ECR's scan of each pushed image; enhanced: Amazon Inspector's continuous scanning of the repositories (the registry's scanning configuration, shared with its other repositories)." }))]
    pub scanning: Spanned<Scanning>,
    /// `quarantine`: a name prefix. `artifacts sync` pushes what no approved lock lists
    /// into `<prefix>/<repository>`, which nodes cannot pull, and only `--approved`
    /// copies into the repositories themselves.
    #[section(schema = json!({ "description": "A name prefix: artifacts sync pushes what no approved lock lists into <prefix>/<repository>, which nodes cannot pull; only sync --approved copies into the repositories themselves." }))]
    pub quarantine: Option<Spanned<String>>,
    /// `lifecycle.rules`: the rules of the ECR lifecycle policy every repository gets, each
    /// as its JSON with the span of its list item; empty: no lifecycle policy.
    #[section(with = crate::parse::lifecycle)]
    pub lifecycle: Vec<Spanned<serde_json::Value>>,
}
