//! A price snapshot from the AWS Price List Query API (`pricing:GetProducts`): the
//! queries to send and how to read their answers. Pure: the caller sends the queries
//! (`airgap_aws::pricing`) and hands the answers back.
//!
//! Each price is one product of the price list: a service code and `TERM_MATCH` filters
//! narrow it down on the server; the product's `usagetype` (which carries a region prefix,
//! `EUC1-NatGateway-Hours`) is then matched by its suffix here. The service codes,
//! product families and usage types are those Infracost queries the same prices by
//! (infracost/infracost, `internal/resources/aws/`: `vpc_endpoint.go`,
//! `ec2_transit_gateway_vpc_attachment.go`, `networkfirewall_firewall.go`,
//! `nat_gateway.go`, `eks_cluster.go`, `kms_key.go`, `cloudwatch_log_group.go`,
//! `route53_zone.go`, `instance.go`, `ec2_client_vpn_network_association.go`,
//! `ec2_client_vpn_endpoint.go`, `secretsmanager_secret.go`,
//! `route53_resolver_endpoint.go`, `lb.go`); the in-use public IPv4 address is the AmazonVPC usage
//! type `PublicIPv4:InUseAddress` AWS bills since February 2024. Client VPN's products are
//! found by region and usage type alone, as Infracost finds them: no product family or
//! operation of theirs is documented. The answer's shape
//! (`PriceList`: one JSON document per product, `terms.OnDemand.*.priceDimensions.*` with
//! `beginRange` and `pricePerUnit.USD`) is the GetProducts API reference's.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::prices::Prices;

/// One `GetProducts` query and the product it must find.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The snapshot field it fills (`natGatewayHour`, or `instanceHour` with `instance`).
    pub field: &'static str,
    /// For `instanceHour`: the instance type.
    pub instance: Option<String>,
    pub service_code: &'static str,
    /// `TERM_MATCH` filters: (field, value).
    pub filters: Vec<(String, String)>,
    /// The product's `usagetype`, without its region prefix; empty: any.
    pub usagetype: &'static str,
}

impl Query {
    /// The field and instance type, as errors name it.
    pub fn name(&self) -> String {
        match &self.instance {
            Some(t) => format!("{}.{t}", self.field),
            None => self.field.to_string(),
        }
    }
}

/// Why an answer could not be read into a price.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("{query}: the price list has no product with usage type *{usagetype} ({seen} product(s) answered)")]
    NotFound { query: String, usagetype: String, seen: usize },
    #[error(
        "{query}: {count} products with different prices match ({skus}); the query is ambiguous"
    )]
    Ambiguous { query: String, count: usize, skus: String },
    #[error("{query}: product {sku} is not a price list document: {why}")]
    Malformed { query: String, sku: String, why: String },
    #[error("{field}: no query answered it")]
    Missing { field: String },
}

/// The queries of a region's snapshot; `instance_types` are priced too.
pub fn queries(region: &str, instance_types: &[String]) -> Vec<Query> {
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    let q = |field, service_code, filters: Vec<(String, String)>, usagetype| Query {
        field,
        instance: None,
        service_code,
        filters,
        usagetype,
    };
    let r = ("regionCode", region);
    let mut out = vec![
        q(
            "interfaceEndpointHour",
            "AmazonVPC",
            f(&[r, ("productFamily", "VpcEndpoint")]),
            "VpcEndpoint-Hours",
        ),
        q(
            "interfaceEndpointGb",
            "AmazonVPC",
            f(&[r, ("productFamily", "VpcEndpoint")]),
            "VpcEndpoint-Bytes",
        ),
        q(
            "transitGatewayAttachmentHour",
            "AmazonVPC",
            f(&[r, ("operation", "TransitGatewayVPC")]),
            "TransitGateway-Hours",
        ),
        q(
            "transitGatewayGb",
            "AmazonVPC",
            f(&[r, ("operation", "TransitGatewayVPC")]),
            "TransitGateway-Bytes",
        ),
        q(
            "firewallEndpointHour",
            "AWSNetworkFirewall",
            f(&[r, ("productFamily", "AWS Firewall")]),
            "Endpoint-Hour",
        ),
        q(
            "firewallGb",
            "AWSNetworkFirewall",
            f(&[r, ("productFamily", "AWS Firewall")]),
            "Traffic-GB-Processed",
        ),
        q(
            "natGatewayHour",
            "AmazonEC2",
            f(&[r, ("productFamily", "NAT Gateway")]),
            "NatGateway-Hours",
        ),
        q(
            "natGatewayGb",
            "AmazonEC2",
            f(&[r, ("productFamily", "NAT Gateway")]),
            "NatGateway-Bytes",
        ),
        q("publicIpv4Hour", "AmazonVPC", f(&[r]), "PublicIPv4:InUseAddress"),
        q(
            "eksClusterHour",
            "AmazonEKS",
            f(&[r, ("productFamily", "Compute")]),
            "AmazonEKS-Hours:perCluster",
        ),
        q("kmsKeyMonth", "awskms", f(&[r, ("productFamily", "Encryption Key")]), "KMS-Keys"),
        q(
            "logIngestionGb",
            "AmazonCloudWatch",
            f(&[r, ("productFamily", "Data Payload")]),
            "DataProcessing-Bytes",
        ),
        // Hosted zones are global: no region code.
        q(
            "hostedZoneMonth",
            "AmazonRoute53",
            f(&[("productFamily", "DNS Zone"), ("usagetype", "HostedZone")]),
            "HostedZone",
        ),
        // Client VPN bills each subnet association as an "endpoint hour".
        q("clientVpnAssociationHour", "AmazonVPC", f(&[r]), "ClientVPN-EndpointHours"),
        q("clientVpnConnectionHour", "AmazonVPC", f(&[r]), "ClientVPN-ConnectionHours"),
        q(
            "secretMonth",
            "AWSSecretsManager",
            f(&[r, ("productFamily", "Secret")]),
            "AWSSecretsManager-Secrets",
        ),
        // A Resolver endpoint's network interfaces; the family also holds the queries
        // through endpoints (`*-DNS-Queries`), which the usage type leaves out.
        q(
            "resolverEndpointHour",
            "AmazonRoute53",
            f(&[r, ("productFamily", "DNS Query")]),
            "ResolverNetworkInterface",
        ),
        // A Network Load Balancer's hours; the family also holds its capacity units
        // (`*-LCUUsage`), which the usage type leaves out, and other load balancers'
        // hours share the usage type in families of their own.
        q(
            "nlbHour",
            "AWSELB",
            f(&[r, ("productFamily", "Load Balancer-Network")]),
            "LoadBalancerUsage",
        ),
    ];
    for t in instance_types {
        out.push(Query {
            field: "instanceHour",
            instance: Some(t.clone()),
            service_code: "AmazonEC2",
            filters: f(&[
                r,
                ("productFamily", "Compute Instance"),
                ("instanceType", t),
                ("tenancy", "Shared"),
                ("operatingSystem", "Linux"),
                ("preInstalledSw", "NA"),
                ("capacitystatus", "Used"),
                ("licenseModel", "No License required"),
            ]),
            usagetype: "",
        });
    }
    out
}

fn usagetype_matches(actual: &str, wanted: &str) -> bool {
    wanted.is_empty() || actual == wanted || actual.ends_with(&format!("-{wanted}"))
}

/// The on-demand USD price of a product's first tier (`beginRange` 0).
fn first_tier_usd(query: &str, sku: &str, doc: &Value) -> Result<f64, RefreshError> {
    let bad = |why: &str| RefreshError::Malformed {
        query: query.to_string(),
        sku: sku.to_string(),
        why: why.to_string(),
    };
    let terms = doc["terms"]["OnDemand"].as_object().ok_or_else(|| bad("no terms.OnDemand"))?;
    let mut dims: Vec<&Value> = terms
        .values()
        .filter_map(|t| t["priceDimensions"].as_object())
        .flat_map(|d| d.values())
        .collect();
    dims.sort_by_key(|d| {
        d["beginRange"].as_str().and_then(|b| b.parse::<f64>().ok()).unwrap_or(0.0) as u64
    });
    let first = dims.first().ok_or_else(|| bad("no price dimension"))?;
    first["pricePerUnit"]["USD"]
        .as_str()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| bad("no pricePerUnit.USD number"))
}

/// The price a query's answer (its `PriceList` documents) gives.
pub fn price(query: &Query, price_list: &[String]) -> Result<f64, RefreshError> {
    let name = query.name();
    let mut found: Vec<(String, f64)> = Vec::new();
    for text in price_list {
        let doc: Value = serde_json::from_str(text).map_err(|e| RefreshError::Malformed {
            query: name.clone(),
            sku: "?".into(),
            why: e.to_string(),
        })?;
        let sku = doc["product"]["sku"].as_str().unwrap_or("?").to_string();
        let usagetype = doc["product"]["attributes"]["usagetype"].as_str().unwrap_or("");
        if usagetype_matches(usagetype, query.usagetype) {
            found.push((sku.clone(), first_tier_usd(&name, &sku, &doc)?));
        }
    }
    match found.as_slice() {
        [] => Err(RefreshError::NotFound {
            query: name,
            usagetype: query.usagetype.to_string(),
            seen: price_list.len(),
        }),
        [(_, p), rest @ ..] if rest.iter().all(|(_, q)| q == p) => Ok(*p),
        _ => Err(RefreshError::Ambiguous {
            query: name,
            count: found.len(),
            skus: found.iter().map(|(s, p)| format!("{s} {p}")).collect::<Vec<_>>().join(", "),
        }),
    }
}

/// The snapshot the answers make. `source` says where and when they were taken.
pub fn snapshot(
    region: &str,
    source: String,
    as_of: String,
    answers: &[(Query, Vec<String>)],
) -> Result<Prices, RefreshError> {
    let mut scalar: BTreeMap<&str, f64> = BTreeMap::new();
    let mut instance_hour = BTreeMap::new();
    let mut sources = BTreeMap::new();
    for (q, list) in answers {
        let p = price(q, list)?;
        match &q.instance {
            Some(t) => {
                instance_hour.insert(t.clone(), p);
            }
            None => {
                scalar.insert(q.field, p);
            }
        }
        let filters: Vec<String> = q.filters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let what = format!(
            "GetProducts ServiceCode={} {}{}",
            q.service_code,
            filters.join(" "),
            if q.usagetype.is_empty() {
                String::new()
            } else {
                format!(", usagetype *{}", q.usagetype)
            }
        );
        let key =
            if q.instance.is_some() { "instanceHour".to_string() } else { q.field.to_string() };
        if q.instance.is_none() || !sources.contains_key(&key) {
            let what = if q.instance.is_some() {
                what.replace(
                    &format!("instanceType={} ", q.instance.as_deref().unwrap_or("")),
                    "instanceType=<type> ",
                )
            } else {
                what
            };
            sources.insert(key, what);
        }
    }
    let get = |field: &'static str| {
        scalar.get(field).copied().ok_or(RefreshError::Missing { field: field.to_string() })
    };
    Ok(Prices {
        region: region.to_string(),
        currency: "USD".into(),
        source,
        as_of,
        interface_endpoint_hour: get("interfaceEndpointHour")?,
        interface_endpoint_gb: get("interfaceEndpointGb")?,
        transit_gateway_attachment_hour: get("transitGatewayAttachmentHour")?,
        transit_gateway_gb: get("transitGatewayGb")?,
        firewall_endpoint_hour: get("firewallEndpointHour")?,
        firewall_gb: get("firewallGb")?,
        nat_gateway_hour: get("natGatewayHour")?,
        nat_gateway_gb: get("natGatewayGb")?,
        public_ipv4_hour: get("publicIpv4Hour")?,
        eks_cluster_hour: get("eksClusterHour")?,
        kms_key_month: get("kmsKeyMonth")?,
        log_ingestion_gb: get("logIngestionGb")?,
        hosted_zone_month: get("hostedZoneMonth")?,
        client_vpn_association_hour: get("clientVpnAssociationHour")?,
        client_vpn_connection_hour: get("clientVpnConnectionHour")?,
        secret_month: get("secretMonth")?,
        resolver_endpoint_hour: get("resolverEndpointHour")?,
        nlb_hour: get("nlbHour")?,
        instance_hour,
        sources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The emulator's GetProducts fixture: eu-central-1 products at the shipped
    /// snapshot's figures, and decoys.
    const FIXTURE: &str = include_str!("../../../localstack/airgap_ext/pricing_products.json");

    /// What GetProducts answers, applied here as the emulator applies it: the service
    /// code, and each TERM_MATCH filter equal to the product's attribute (or family).
    fn answer(q: &Query) -> Vec<String> {
        let doc: Value = serde_json::from_str(FIXTURE).unwrap();
        doc["products"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["serviceCode"] == q.service_code)
            .filter(|p| {
                q.filters.iter().all(|(k, v)| {
                    let got = if k == "productFamily" {
                        &p["product"]["productFamily"]
                    } else {
                        &p["product"]["attributes"][k.as_str()]
                    };
                    got.as_str() == Some(v.as_str())
                })
            })
            .map(|p| p.to_string())
            .collect()
    }

    #[test]
    fn the_fixture_refreshes_to_the_shipped_frankfurt_figures() {
        let shipped = Prices::shipped("eu-central-1").unwrap();
        let types: Vec<String> = shipped.instance_hour.keys().cloned().collect();
        let answers: Vec<(Query, Vec<String>)> = queries("eu-central-1", &types)
            .into_iter()
            .map(|q| {
                let a = answer(&q);
                (q, a)
            })
            .collect();
        let p = snapshot("eu-central-1", "test".into(), "2026-12-01".into(), &answers).unwrap();
        assert_eq!(p.scalars(), shipped.scalars());
        assert_eq!(p.instance_hour, shipped.instance_hour);
        assert_eq!(p.sources.len(), 19, "{:?}", p.sources.keys());
        assert!(p.sources["natGatewayHour"].contains("ServiceCode=AmazonEC2"), "{:?}", p.sources);
        assert!(p.sources["instanceHour"].contains("instanceType=<type>"), "{:?}", p.sources);
        // What a refresh writes reads back as a snapshot.
        let text = serde_json::to_string_pretty(&p).unwrap();
        assert_eq!(Prices::parse("refreshed", &text).unwrap(), p);
    }

    #[test]
    fn decoys_are_left_and_missing_or_ambiguous_products_are_errors() {
        let q =
            |field| queries("eu-central-1", &[]).into_iter().find(|q| q.field == field).unwrap();
        // The region's NAT gateway, not us-east-1's (the filter), hours not bytes (usage type).
        assert_eq!(price(&q("natGatewayHour"), &answer(&q("natGatewayHour"))).unwrap(), 0.052);
        // In-use, not idle, public IPv4; first tier of the endpoint bytes.
        assert_eq!(
            price(&q("interfaceEndpointGb"), &answer(&q("interfaceEndpointGb"))).unwrap(),
            0.01
        );
        assert_eq!(price(&q("hostedZoneMonth"), &answer(&q("hostedZoneMonth"))).unwrap(), 0.5);
        // The secret's month, not its API requests (the family); Frankfurt's Client VPN
        // association, not Tokyo's: the region filter is what leaves Tokyo's ($0.15) out.
        assert_eq!(price(&q("secretMonth"), &answer(&q("secretMonth"))).unwrap(), 0.4);
        let assoc = q("clientVpnAssociationHour");
        assert_eq!(price(&assoc, &answer(&assoc)).unwrap(), 0.1);
        let anywhere = Query { filters: Vec::new(), ..assoc };
        let e = price(&anywhere, &answer(&anywhere)).unwrap_err();
        assert!(e.to_string().contains("2 products with different prices"), "{e}");
        // The Resolver endpoint's interfaces, not the queries through it: same service,
        // region and family, told apart by the usage type.
        let resolver = q("resolverEndpointHour");
        assert_eq!(answer(&resolver).len(), 2);
        assert_eq!(price(&resolver, &answer(&resolver)).unwrap(), 0.125);
        // The Network Load Balancer's hour, not its capacity units (same family, the usage
        // type) nor an Application Load Balancer's hour (same usage type, the family).
        let nlb = q("nlbHour");
        assert_eq!(answer(&nlb).len(), 2);
        assert_eq!(price(&nlb, &answer(&nlb)).unwrap(), 0.027);
        let any_family = Query { filters: nlb.filters[..1].to_vec(), ..nlb };
        assert_eq!(answer(&any_family).len(), 3);

        let none = price(&q("natGatewayHour"), &[]).unwrap_err();
        assert!(
            none.to_string().contains("no product with usage type *NatGateway-Hours"),
            "{none}"
        );

        // Two regions' NAT gateways at different prices: refused, not guessed.
        let mut both = answer(&q("natGatewayHour"));
        let doc: Value = serde_json::from_str(FIXTURE).unwrap();
        let other = doc["products"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["product"]["attributes"]["usagetype"] == "USE1-NatGateway-Hours")
            .unwrap();
        both.push(other.to_string());
        let e = price(&q("natGatewayHour"), &both).unwrap_err();
        assert!(e.to_string().contains("2 products with different prices"), "{e}");

        let e = price(&q("natGatewayHour"), &["{\"product\": {\"sku\": \"X\", \"attributes\": {\"usagetype\": \"NatGateway-Hours\"}}}".into()]).unwrap_err();
        assert!(
            e.to_string().contains("product X is not a price list document: no terms.OnDemand"),
            "{e}"
        );
    }
}
