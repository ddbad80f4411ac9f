//! Specs of the remaining EC2 kinds (elastic IP, route, security group and rule, VPC endpoints).

use serde::{Deserialize, Serialize};

use super::Id;

/// An elastic IP of the VPC domain: nothing to choose, it is all in its outputs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ElasticIpSpec {}

/// A route of a VPC route table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteSpec {
    pub route_table: Id,
    pub cidr: String,
    /// An internet, NAT or transit gateway, a firewall or VPC endpoint, told apart by
    /// the id's prefix. Observe writes `<id> (blackhole)` for a route whose target is
    /// gone, so that shows as drift.
    pub target: Id,
}

/// A security group of one VPC; its name derives from env and node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupSpec {
    pub vpc: Id,
    pub description: String,
}

/// An ingress rule of a security group: one protocol, one port, one CIDR.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroupRuleSpec {
    pub group: Id,
    pub protocol: String,
    pub port: i32,
    pub cidr: String,
}

/// A gateway endpoint (S3, DynamoDB) in the route tables of a VPC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcEndpointGatewaySpec {
    pub vpc: Id,
    pub service: String,
    pub route_tables: Vec<Id>,
    /// The endpoint policy; none means AWS's default (full access).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy: Option<String>,
}

/// An interface endpoint: a network interface per subnet, behind security groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VpcEndpointInterfaceSpec {
    pub vpc: Id,
    pub service: String,
    pub subnets: Vec<Id>,
    pub security_groups: Vec<Id>,
    pub private_dns: bool,
    /// The endpoint policy; none means AWS's default (full access).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub policy: Option<String>,
}

// Each spec's catalogue entry.
spec_kinds! {
    ElasticIpSpec => ELASTIC_IP,
    RouteSpec => ROUTE,
    SecurityGroupSpec => SECURITY_GROUP,
    SecurityGroupRuleSpec => SECURITY_GROUP_RULE,
    VpcEndpointGatewaySpec => VPC_ENDPOINT_GATEWAY,
    VpcEndpointInterfaceSpec => VPC_ENDPOINT_INTERFACE,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;
    use airgap_engine::{Attrs, Value};

    #[test]
    fn an_elastic_ip_has_no_attributes() {
        assert_eq!(ElasticIpSpec {}.to_attrs(), Attrs::new());
        assert_eq!(ElasticIpSpec::from_attrs(&Attrs::new()), Ok(ElasticIpSpec {}));
    }

    #[test]
    fn rule_port_is_a_number_and_endpoint_fields_keep_their_names() {
        let r = SecurityGroupRuleSpec {
            group: Id::of("vpc/a/sg/endpoints", "id"),
            protocol: "tcp".into(),
            port: 443,
            cidr: "10.0.0.0/16".into(),
        }
        .to_attrs();
        assert_eq!(r["port"], Value::Int(443));
        let e = VpcEndpointInterfaceSpec {
            vpc: "vpc-1".into(),
            service: "com.amazonaws.eu-central-1.ecr.api".into(),
            subnets: vec![],
            security_groups: vec!["sg-1".into()],
            private_dns: true,
            policy: None,
        }
        .to_attrs();
        assert_eq!(e["privateDns"], Value::Bool(true));
        assert_eq!(e["securityGroups"], Value::List(vec![Value::str("sg-1")]));
        assert!(!e.contains_key("policy"));
    }
}
