//! The estimate: one line per billed thing, by account and kind, each priced for a
//! month (730 hours) and for one TTL period (partial hours billed as full hours).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::inventory::{Billable, Resource};
use crate::prices::{Prices, HOURS_PER_MONTH};
use crate::usage::{Known, Usage};

/// What the blueprint tells the estimate beyond the graph.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Account id -> the blueprint's name for it, in the blueprint's order.
    pub accounts: Vec<(String, String)>,
    /// `metadata.ttl`.
    pub ttl: Option<Duration>,
    /// The id of the account holding the registries (a central endpoint's first choice).
    pub shared_account: Option<String>,
    /// The hub's account id.
    pub hub_account: Option<String>,
    /// How many AZs the environment spans.
    pub azs: u32,
    /// The hub inspects traffic between VPCs with a firewall.
    pub firewall: bool,
}

impl Context {
    /// The context of a blueprint.
    pub fn from_blueprint(bp: &airgap_blueprint::Blueprint) -> Context {
        let id_of = |name: &str| bp.account(name).map(|a| a.id.value.clone());
        Context {
            accounts: bp
                .accounts
                .iter()
                .map(|a| (a.id.value.clone(), a.name.value.clone()))
                .collect(),
            ttl: bp.metadata.ttl.as_ref().map(|t| t.value),
            shared_account: bp.registries.as_ref().and_then(|r| id_of(&r.account.value)),
            hub_account: id_of(&bp.hub.account.value),
            firewall: bp.hub.firewall.is_some(),
            azs: u32::try_from(bp.azs().len()).unwrap_or(0),
        }
    }

    /// The account's name, or its id when the blueprint does not name it.
    pub fn account_name(&self, id: &str) -> String {
        self.accounts
            .iter()
            .find(|(i, _)| i == id)
            .map_or_else(|| id.to_string(), |(_, n)| n.clone())
    }
}

/// The kinds of lines, in the order the table shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    InterfaceEndpoints,
    TransitGateway,
    NetworkFirewall,
    NatGateways,
    PublicIpv4,
    ClientVpn,
    Route53Resolver,
    PrivateLinkLoadBalancer,
    EksCluster,
    Nodes,
    KmsKeys,
    Secrets,
    HostedZones,
    LogIngestion,
}

impl Kind {
    /// The name the table shows.
    pub fn title(self) -> &'static str {
        match self {
            Kind::InterfaceEndpoints => "interface endpoints",
            Kind::TransitGateway => "transit gateway",
            Kind::NetworkFirewall => "network firewall",
            Kind::NatGateways => "NAT gateways",
            Kind::PublicIpv4 => "public IPv4",
            Kind::ClientVpn => "Client VPN",
            Kind::Route53Resolver => "Route 53 Resolver",
            Kind::PrivateLinkLoadBalancer => "PrivateLink load balancer",
            Kind::EksCluster => "EKS cluster",
            Kind::Nodes => "nodes",
            Kind::KmsKeys => "KMS keys",
            Kind::Secrets => "Secrets Manager",
            Kind::HostedZones => "private hosted zones",
            Kind::LogIngestion => "log ingestion",
        }
    }
}

/// How a line is billed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", tag = "per")]
pub enum Basis {
    /// `units` billed every hour (an endpoint in 3 AZs: 3 units). Hours of use the usage
    /// file gives a month (a Client VPN's connection-hours) are their average over the
    /// month: `hours / 730` units.
    Hour { units: f64, rate: f64 },
    /// `units` billed a month, prorated by the hour.
    Month { units: f64, rate: f64 },
    /// `units` billed a whole month however short their life, but not at all when gone
    /// within 12 hours (Route 53's hosted zones: "not prorated for partial months", and
    /// "a hosted zone that you delete within 12 hours after creation" is not charged).
    WholeMonth { units: f64, rate: f64 },
    /// Traffic: `gb` a month when the usage file gives it.
    Gb { gb: Option<f64>, rate: f64 },
}

/// One line of the estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    /// The account's blueprint name.
    pub account: String,
    pub kind: Kind,
    /// What is billed, in words.
    pub item: String,
    pub basis: Basis,
    /// A month's cost; `None`: traffic the usage file does not give.
    pub monthly: Option<f64>,
    /// The cost of one TTL period, when the blueprint has a TTL.
    pub ttl_period: Option<f64>,
}

impl Line {
    fn new(ctx: &Context, account: &str, kind: Kind, item: String, basis: Basis) -> Line {
        let ttl_hours = ttl_hours(ctx.ttl);
        let (monthly, ttl_period) = match basis {
            Basis::Hour { units, rate } => {
                (Some(units * rate * HOURS_PER_MONTH), ttl_hours.map(|h| units * rate * h as f64))
            }
            Basis::Month { units, rate } => {
                (Some(units * rate), ttl_hours.map(|h| units * rate * h as f64 / HOURS_PER_MONTH))
            }
            Basis::WholeMonth { units, rate } => {
                (Some(units * rate), ttl_hours.map(|h| if h <= 12 { 0.0 } else { units * rate }))
            }
            Basis::Gb { gb, rate } => {
                // Free (waived) traffic costs nothing whatever its volume.
                let m = if rate == 0.0 { Some(0.0) } else { gb.map(|g| g * rate) };
                (m, ttl_hours.and_then(|h| m.map(|m| m * h as f64 / HOURS_PER_MONTH)))
            }
        };
        Line { account: ctx.account_name(account), kind, item, basis, monthly, ttl_period }
    }
}

/// The hours one TTL period bills: partial hours bill as full hours.
pub fn ttl_hours(ttl: Option<Duration>) -> Option<u64> {
    ttl.map(|t| t.as_secs().div_ceil(3600).max(1))
}

/// The whole estimate.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Estimate {
    pub region: String,
    pub currency: String,
    /// Where the prices come from, and when they were taken.
    pub prices_source: String,
    pub prices_as_of: String,
    pub hours_per_month: f64,
    /// Hours billed for one TTL period, when the blueprint has a TTL.
    pub ttl_hours: Option<u64>,
    /// By account (blueprint order), then kind.
    pub lines: Vec<Line>,
    /// Sum of the lines whose cost is known.
    pub monthly_total: f64,
    pub ttl_period_total: Option<f64>,
    /// Traffic lines priced per GB only (the usage file does not give them).
    pub traffic_unpriced: usize,
    /// What could not be priced at all (an instance type the snapshot lacks).
    pub unpriced: Vec<String>,
}

impl Estimate {
    /// Monthly totals by account, in the order of the lines.
    pub fn by_account(&self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        for l in &self.lines {
            let m = l.monthly.unwrap_or(0.0);
            match out.iter_mut().find(|(a, _)| *a == l.account) {
                Some((_, v)) => *v += m,
                None => out.push((l.account.clone(), m)),
            }
        }
        out
    }

    /// Monthly totals by kind, whatever the account.
    pub fn by_kind(&self) -> BTreeMap<Kind, f64> {
        let mut out = BTreeMap::new();
        for l in &self.lines {
            *out.entry(l.kind).or_insert(0.0) += l.monthly.unwrap_or(0.0);
        }
        out
    }
}

/// The names a usage file may give for this inventory.
pub fn known_names(resources: &[Resource]) -> Known {
    let mut k = Known::default();
    let push = |v: &mut Vec<String>, s: &str| {
        if !v.iter().any(|x| x == s) {
            v.push(s.to_string());
        }
    };
    for r in resources {
        match &r.what {
            Billable::InterfaceEndpoint { vpc, service, .. } => {
                push(&mut k.vpcs, vpc);
                k.services.push((vpc.clone(), service.clone()));
            }
            Billable::TgwAttachment { vpc } => push(&mut k.vpcs, vpc),
            Billable::Firewall { vpc, logs, .. } => {
                push(&mut k.vpcs, vpc);
                if *logs {
                    push(&mut k.logs, "firewall");
                }
            }
            Billable::EksCluster { name, logs: true } => push(&mut k.logs, name),
            _ => {}
        }
        if let Some(piece) = r.what.access_piece() {
            push(&mut k.access, piece);
        }
    }
    k
}

/// Prices every billed resource.
pub fn estimate(resources: &[Resource], prices: &Prices, usage: &Usage, ctx: &Context) -> Estimate {
    let p = prices;
    let mut lines = Vec::new();
    let mut unpriced = Vec::new();
    let hour = |units: f64, rate: f64| Basis::Hour { units, rate };
    let gb = |gb: Option<f64>, rate: f64| Basis::Gb { gb, rate };
    // Hours of use a month from the usage file (none when it does not say), as their
    // month's average of units billed every hour.
    let used = |hours: f64, rate: f64| Basis::Hour { units: hours / HOURS_PER_MONTH, rate };
    let vpc_usage = |vpc: &str| usage.vpcs.get(vpc);
    // Per account: NAT gateways, and firewall endpoints (their hours waive NAT hours).
    let mut nats: BTreeMap<&str, u32> = BTreeMap::new();
    let mut fw_endpoints: BTreeMap<&str, u32> = BTreeMap::new();
    for r in resources {
        let a = r.account.as_str();
        match &r.what {
            Billable::InterfaceEndpoint { vpc, service, azs } => {
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::InterfaceEndpoints,
                    format!("{vpc}: {service}, {azs} AZ"),
                    hour(f64::from(*azs), p.interface_endpoint_hour),
                ));
                let g = vpc_usage(vpc).and_then(|u| u.endpoints.get(service).copied());
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::InterfaceEndpoints,
                    format!("{vpc}: {service}, data processed"),
                    gb(g, p.interface_endpoint_gb),
                ));
            }
            Billable::TgwAttachment { vpc } => {
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::TransitGateway,
                    format!("{vpc}: attachment"),
                    hour(1.0, p.transit_gateway_attachment_hour),
                ));
                let g = vpc_usage(vpc).and_then(|u| u.transit_gateway);
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::TransitGateway,
                    format!("{vpc}: data sent to the transit gateway"),
                    gb(g, p.transit_gateway_gb),
                ));
            }
            Billable::Firewall { vpc, azs, logs } => {
                *fw_endpoints.entry(a).or_default() += azs;
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::NetworkFirewall,
                    format!("{vpc}: {azs} firewall endpoint(s)"),
                    hour(f64::from(*azs), p.firewall_endpoint_hour),
                ));
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::NetworkFirewall,
                    format!("{vpc}: egress inspected"),
                    gb(usage.egress_firewall, p.firewall_gb),
                ));
                if *logs {
                    lines.push(Line::new(
                        ctx,
                        a,
                        Kind::LogIngestion,
                        "firewall: alert and flow logs".into(),
                        gb(usage.logs.get("firewall").copied(), p.log_ingestion_gb),
                    ));
                }
            }
            Billable::NatGateway => *nats.entry(a).or_default() += 1,
            Billable::PublicIp => lines.push(Line::new(
                ctx,
                a,
                Kind::PublicIpv4,
                format!("{}: Elastic IP", r.node),
                hour(1.0, p.public_ipv4_hour),
            )),
            Billable::EksCluster { name, logs } => {
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::EksCluster,
                    format!("{name}: control plane"),
                    hour(1.0, p.eks_cluster_hour),
                ));
                if *logs {
                    lines.push(Line::new(
                        ctx,
                        a,
                        Kind::LogIngestion,
                        format!("{name}: control plane logs"),
                        gb(usage.logs.get(name).copied(), p.log_ingestion_gb),
                    ));
                }
            }
            Billable::Nodegroup { cluster, name, instance_type, desired } => {
                match p.instance_hour.get(instance_type) {
                    Some(rate) => lines.push(Line::new(
                        ctx,
                        a,
                        Kind::Nodes,
                        format!("{cluster}/{name}: {desired} x {instance_type}"),
                        hour(f64::from(*desired), *rate),
                    )),
                    None => unpriced.push(format!(
                        "{cluster}/{name}: {desired} x {instance_type} (no price for {instance_type} in the snapshot)"
                    )),
                }
            }
            Billable::KmsKey => lines.push(Line::new(
                ctx,
                a,
                Kind::KmsKeys,
                format!("{}: customer managed key", r.node),
                Basis::Month { units: 1.0, rate: p.kms_key_month },
            )),
            // Route 53 pricing: a hosted zone a month (queries for an alias to a VPC
            // endpoint are free).
            Billable::HostedZone => lines.push(Line::new(
                ctx,
                a,
                Kind::HostedZones,
                format!("{}: private hosted zone", r.node),
                Basis::WholeMonth { units: 1.0, rate: p.hosted_zone_month },
            )),
            // Secrets Manager pricing: a secret a month, prorated for less than a month.
            Billable::Secret { name } => lines.push(Line::new(
                ctx,
                a,
                Kind::Secrets,
                format!("{}: secret {name}", r.node),
                Basis::Month { units: 1.0, rate: p.secret_month },
            )),
            // AWS Client VPN pricing: each subnet association an hour, billed to the
            // endpoint's account (the VPC's), and each connected client an hour.
            Billable::ClientVpn { vpc, associations } => {
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::ClientVpn,
                    format!("{vpc}: {associations} subnet association(s)"),
                    hour(f64::from(*associations), p.client_vpn_association_hour),
                ));
                let h = usage.access("vpn", "connectionHours").unwrap_or(0.0);
                lines.push(Line::new(
                    ctx,
                    a,
                    Kind::ClientVpn,
                    format!("{vpc}: {h} connection-hours"),
                    used(h, p.client_vpn_connection_hour),
                ));
            }
            // Route 53 pricing: each Resolver endpoint network interface (one per IP
            // address) an hour, billed to the endpoint's account (the VPC's).
            Billable::ResolverEndpoint { vpc, addresses } => lines.push(Line::new(
                ctx,
                a,
                Kind::Route53Resolver,
                format!("{vpc}: {addresses} endpoint address(es)"),
                hour(f64::from(*addresses), p.resolver_endpoint_hour),
            )),
            // Elastic Load Balancing pricing: a Network Load Balancer an hour, billed to
            // its account (the VPC's); its NLCU-hours are not counted.
            Billable::NetworkLoadBalancer { vpc } => lines.push(Line::new(
                ctx,
                a,
                Kind::PrivateLinkLoadBalancer,
                format!("{vpc}: {}, Network Load Balancer", r.node),
                hour(1.0, p.nlb_hour),
            )),
        }
    }
    for (a, n) in nats {
        lines.push(Line::new(
            ctx,
            a,
            Kind::NatGateways,
            format!("{n} NAT gateway(s)"),
            hour(f64::from(n), p.nat_gateway_hour),
        ));
        // Network Firewall's pricing page: NAT gateway hours and GB are waived one for
        // one against the firewall endpoint hours and GB of the same deployment.
        let fw = fw_endpoints.get(a).copied().unwrap_or(0);
        if fw > 0 {
            let waived = n.min(fw);
            lines.push(Line::new(
                ctx,
                a,
                Kind::NatGateways,
                format!("{waived} waived: firewall endpoint hours"),
                hour(-f64::from(waived), p.nat_gateway_hour),
            ));
            // Egress passes the firewall, then a NAT gateway: every NAT GB is a
            // firewall GB, so all of it is waived.
            lines.push(Line::new(
                ctx,
                a,
                Kind::NatGateways,
                "data processed: waived (firewall GB)".into(),
                gb(usage.egress_firewall, 0.0),
            ));
        } else {
            lines.push(Line::new(
                ctx,
                a,
                Kind::NatGateways,
                "data processed".into(),
                gb(usage.egress_firewall, p.nat_gateway_gb),
            ));
        }
    }
    lines.sort_by(|x, y| {
        let rank =
            |l: &Line| ctx.accounts.iter().position(|(_, n)| *n == l.account).unwrap_or(usize::MAX);
        (rank(x), &x.account, x.kind).cmp(&(rank(y), &y.account, y.kind))
    });
    let monthly_total = lines.iter().filter_map(|l| l.monthly).sum();
    let ttl = ttl_hours(ctx.ttl);
    let ttl_period_total = ttl.map(|_| lines.iter().filter_map(|l| l.ttl_period).sum());
    let traffic_unpriced = lines
        .iter()
        .filter(|l| matches!(l.basis, Basis::Gb { gb: None, rate } if rate > 0.0))
        .count();
    Estimate {
        region: p.region.clone(),
        currency: p.currency.clone(),
        prices_source: p.source.clone(),
        prices_as_of: p.as_of.clone(),
        hours_per_month: HOURS_PER_MONTH,
        ttl_hours: ttl,
        lines,
        monthly_total,
        ttl_period_total,
        traffic_unpriced,
        unpriced,
    }
}
