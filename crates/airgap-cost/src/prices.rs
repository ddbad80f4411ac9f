//! Price snapshots: one JSON file per region, shipped with the tool (`prices/*.json`,
//! compiled in), or given with `--prices FILE`. Every figure names its source page in
//! `sources`; the file says where and when it was taken (`source`, `asOf`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Hours in a billing month, as AWS's pricing pages and calculator count them.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// The prices of one region, in `currency` (USD).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Prices {
    pub region: String,
    pub currency: String,
    /// Where the figures come from, in words.
    pub source: String,
    /// When they were taken.
    pub as_of: String,
    /// An interface endpoint, per AZ (per network interface) and hour.
    pub interface_endpoint_hour: f64,
    /// Data processed by interface endpoints, per GB (first tier).
    pub interface_endpoint_gb: f64,
    /// A transit gateway VPC attachment, per hour (billed to the VPC's owner).
    pub transit_gateway_attachment_hour: f64,
    /// Data sent from a VPC into the transit gateway, per GB.
    pub transit_gateway_gb: f64,
    /// A Network Firewall endpoint (one per AZ), per hour.
    pub firewall_endpoint_hour: f64,
    /// Traffic processed by the firewall, per GB.
    pub firewall_gb: f64,
    /// A NAT gateway, per hour.
    pub nat_gateway_hour: f64,
    /// Data processed by a NAT gateway, per GB.
    pub nat_gateway_gb: f64,
    /// A public IPv4 address (an Elastic IP), per hour.
    pub public_ipv4_hour: f64,
    /// An EKS cluster, per hour.
    pub eks_cluster_hour: f64,
    /// A customer managed KMS key, per month (prorated hourly).
    pub kms_key_month: f64,
    /// CloudWatch Logs ingestion, per GB.
    pub log_ingestion_gb: f64,
    /// A Route 53 hosted zone, per month (a central endpoint needs a private one per
    /// service name).
    pub hosted_zone_month: f64,
    /// A Client VPN endpoint's subnet association (target network), per hour.
    pub client_vpn_association_hour: f64,
    /// A connected Client VPN client, per hour.
    pub client_vpn_connection_hour: f64,
    /// A Secrets Manager secret, per month (prorated hourly).
    pub secret_month: f64,
    /// A Route 53 Resolver endpoint's IP address (one network interface each), per hour.
    pub resolver_endpoint_hour: f64,
    /// A Network Load Balancer, per hour (its capacity units not included).
    pub nlb_hour: f64,
    /// On-demand EC2 instances, per type and hour.
    #[serde(default)]
    pub instance_hour: BTreeMap<String, f64>,
    /// The page each figure was taken from, by field name.
    #[serde(default)]
    pub sources: BTreeMap<String, String>,
}

/// The snapshots shipped with the tool.
const SHIPPED: &[(&str, &str)] = &[
    ("eu-central-1", include_str!("../prices/eu-central-1.json")),
    ("us-east-1", include_str!("../prices/us-east-1.json")),
];

/// Why prices could not be had.
#[derive(Debug, thiserror::Error)]
pub enum PricesError {
    #[error("no price snapshot ships for region {region} (shipped: {shipped}); give one with --prices FILE")]
    NoSnapshot { region: String, shipped: String },
    #[error("cannot read the price file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// serde_json's message carries the line and column.
    #[error("{path}: not a price snapshot: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: {field} is {value}: a price is a finite number, zero or more")]
    Negative { path: String, field: String, value: f64 },
    #[error("{path} holds the prices of {found}, but the environment is in {wanted}")]
    Region { path: String, found: String, wanted: String },
}

impl Prices {
    /// The regions a snapshot ships for.
    pub fn shipped_regions() -> Vec<&'static str> {
        SHIPPED.iter().map(|(r, _)| *r).collect()
    }

    /// The snapshot shipped for `region`.
    pub fn shipped(region: &str) -> Result<Prices, PricesError> {
        let (_, text) =
            SHIPPED.iter().find(|(r, _)| *r == region).ok_or_else(|| PricesError::NoSnapshot {
                region: region.to_string(),
                shipped: Self::shipped_regions().join(", "),
            })?;
        Self::parse(&format!("prices/{region}.json (shipped)"), text)
    }

    /// A snapshot read from `path`, which must be for `region`.
    pub fn from_file(path: &std::path::Path, region: &str) -> Result<Prices, PricesError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|source| PricesError::Io { path: name.clone(), source })?;
        let p = Self::parse(&name, &text)?;
        if p.region != region {
            return Err(PricesError::Region {
                path: name,
                found: p.region,
                wanted: region.to_string(),
            });
        }
        Ok(p)
    }

    /// Parses a snapshot's text; `name` is shown in errors.
    pub fn parse(name: &str, text: &str) -> Result<Prices, PricesError> {
        let p: Prices = serde_json::from_str(text)
            .map_err(|source| PricesError::Json { path: name.to_string(), source })?;
        let instance = p.instance_hour.iter().map(|(t, v)| (format!("instanceHour.{t}"), *v));
        for (field, value) in
            p.scalars().into_iter().map(|(f, v)| (f.to_string(), v)).chain(instance)
        {
            if !value.is_finite() || value < 0.0 {
                return Err(PricesError::Negative { path: name.to_string(), field, value });
            }
        }
        Ok(p)
    }

    /// Every single-figure price with its JSON field name.
    pub fn scalars(&self) -> [(&'static str, f64); 18] {
        [
            ("interfaceEndpointHour", self.interface_endpoint_hour),
            ("interfaceEndpointGb", self.interface_endpoint_gb),
            ("transitGatewayAttachmentHour", self.transit_gateway_attachment_hour),
            ("transitGatewayGb", self.transit_gateway_gb),
            ("firewallEndpointHour", self.firewall_endpoint_hour),
            ("firewallGb", self.firewall_gb),
            ("natGatewayHour", self.nat_gateway_hour),
            ("natGatewayGb", self.nat_gateway_gb),
            ("publicIpv4Hour", self.public_ipv4_hour),
            ("eksClusterHour", self.eks_cluster_hour),
            ("kmsKeyMonth", self.kms_key_month),
            ("logIngestionGb", self.log_ingestion_gb),
            ("hostedZoneMonth", self.hosted_zone_month),
            ("clientVpnAssociationHour", self.client_vpn_association_hour),
            ("clientVpnConnectionHour", self.client_vpn_connection_hour),
            ("secretMonth", self.secret_month),
            ("resolverEndpointHour", self.resolver_endpoint_hour),
            ("nlbHour", self.nlb_hour),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_snapshot_parses_and_cites_a_source_for_each_price() {
        for region in Prices::shipped_regions() {
            let p = Prices::shipped(region).unwrap();
            assert_eq!(p.region, region);
            assert_eq!(p.currency, "USD");
            for (field, _) in p.scalars() {
                assert!(p.sources.contains_key(field), "{region}: no source for {field}");
            }
            assert!(p.sources.contains_key("instanceHour"), "{region}");
            assert!(!p.as_of.is_empty() && !p.source.is_empty());
        }
    }

    #[test]
    fn frankfurt_interface_endpoint_is_0_012_per_az_hour() {
        assert_eq!(Prices::shipped("eu-central-1").unwrap().interface_endpoint_hour, 0.012);
    }

    #[test]
    fn unknown_region_and_bad_files_are_refused() {
        let e = Prices::shipped("eu-nowhere-9").unwrap_err();
        assert!(e.to_string().contains("eu-central-1"), "{e}");

        let text = include_str!("../prices/eu-central-1.json");
        let neg = text.replace("\"firewallGb\": 0.065", "\"firewallGb\": -1");
        let e = Prices::parse("p.json", &neg).unwrap_err();
        assert!(e.to_string().contains("firewallGb is -1"), "{e}");

        let unknown = text.replace("\"asOf\"", "\"natHour\": 1,\n  \"asOf\"");
        let e = Prices::parse("p.json", &unknown).unwrap_err();
        assert!(e.to_string().contains("unknown field `natHour`"), "{e}");
        assert!(e.to_string().contains("line 5 column 11"), "{e}");
    }

    #[test]
    fn a_file_for_another_region_is_refused() {
        let dir = std::env::temp_dir().join(format!("airgap-cost-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.json");
        std::fs::write(&path, include_str!("../prices/us-east-1.json")).unwrap();
        let e = Prices::from_file(&path, "eu-central-1").unwrap_err();
        assert!(e.to_string().contains("prices of us-east-1"), "{e}");
        assert_eq!(Prices::from_file(&path, "us-east-1").unwrap().interface_endpoint_hour, 0.01);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
