//! Specs of the EC2 networking kinds.

use serde::{Deserialize, Serialize};

use super::Id;

/// A VPC. DNS support and hostnames are on for every VPC of an environment: interface
/// endpoints' private DNS names need both.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcSpec {
    pub cidr: String,
    pub enable_dns_support: bool,
    pub enable_dns_hostnames: bool,
}

/// A subnet of one availability zone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubnetSpec {
    pub vpc: Id,
    pub cidr: String,
    pub az: String,
    /// Whether instances launched here get a public IPv4 address. Never, in an air-gapped
    /// environment: observed, so a subnet switched to it by hand is drift put back.
    pub map_public_ip_on_launch: bool,
}

/// A route table of one VPC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTableSpec {
    pub vpc: Id,
}

/// A subnet's association with a route table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteTableAssociationSpec {
    pub subnet: Id,
    pub route_table: Id,
}

/// An internet gateway attached to one VPC (the inspection VPC's, the only one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InternetGatewaySpec {
    pub vpc: Id,
}

/// A public NAT gateway in one subnet, with its elastic IP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NatGatewaySpec {
    pub subnet: Id,
    pub eip: Id,
}

// Each spec's catalogue entry.
spec_kinds! {
    VpcSpec => VPC,
    SubnetSpec => SUBNET,
    RouteTableSpec => ROUTE_TABLE,
    RouteTableAssociationSpec => ROUTE_TABLE_ASSOCIATION,
    InternetGatewaySpec => INTERNET_GATEWAY,
    NatGatewaySpec => NAT_GATEWAY,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;
    use crate::spec::SpecError;
    use airgap_engine::{Attrs, Value};

    #[test]
    fn a_spec_round_trips_through_attributes_with_its_reference() {
        let s = SubnetSpec {
            vpc: Id::of("vpc/a", "id"),
            cidr: "10.0.0.0/24".into(),
            az: "eu-central-1a".into(),
            map_public_ip_on_launch: false,
        };
        let attrs = s.to_attrs();
        assert_eq!(attrs["vpc"], Value::reference("vpc/a", "id"));
        assert_eq!(attrs["cidr"], Value::str("10.0.0.0/24"));
        assert_eq!(SubnetSpec::from_attrs(&attrs).unwrap(), s);
        // Unresolved, the kind gets a typed error instead of a value.
        assert!(matches!(s.vpc.get(), Err(SpecError::Unresolved(_))));
    }

    #[test]
    fn resolved_and_observed_attributes_read_back_and_extra_keys_are_ignored() {
        let attrs = Attrs::from([
            ("vpc".to_string(), Value::str("vpc-1")),
            ("cidr".to_string(), Value::str("10.0.0.0/24")),
            ("az".to_string(), Value::str("eu-central-1a")),
            ("mapPublicIpOnLaunch".to_string(), Value::Bool(false)),
            ("tagsMissing".to_string(), Value::List(vec![])),
        ]);
        let s = SubnetSpec::from_attrs(&attrs).unwrap();
        assert_eq!(s.vpc.get().unwrap(), "vpc-1");
        let bad = Attrs::from([("cidr".to_string(), Value::Int(3))]);
        assert!(matches!(SubnetSpec::from_attrs(&bad), Err(SpecError::Shape { .. })));
    }

    #[test]
    fn vpc_flags_keep_their_names() {
        let v = VpcSpec {
            cidr: "10.0.0.0/16".into(),
            enable_dns_support: true,
            enable_dns_hostnames: true,
        }
        .to_attrs();
        assert_eq!(v["enableDnsSupport"], Value::Bool(true));
        assert_eq!(v["enableDnsHostnames"], Value::Bool(true));
    }
}
