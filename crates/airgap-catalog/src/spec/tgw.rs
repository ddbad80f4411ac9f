//! Specs of the transit gateway kinds (gateway, route table, attachment, accepter,
//! association, propagation, route).

use serde::{Deserialize, Serialize};

use super::Id;

/// The environment's transit gateway. Default route table association and propagation
/// are off: the spoke and inspection route tables are nodes of their own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransitGatewaySpec {
    pub asn: i64,
    pub auto_accept_shared_attachments: bool,
    pub default_route_table_association: bool,
    pub default_route_table_propagation: bool,
}

/// A route table of the transit gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgwRouteTableSpec {
    pub tgw: Id,
}

/// A VPC's attachment to the transit gateway, one subnet per AZ.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgwAttachmentSpec {
    pub tgw: Id,
    pub vpc: Id,
    pub subnets: Vec<Id>,
    /// Symmetric routing through one AZ, for the inspection VPC's firewall; spokes leave
    /// it out (off) and observe reads it back for every attachment.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub appliance_mode: Option<bool>,
}

/// The transit gateway owner's acceptance of an attachment made from another account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgwAttachmentAccepterSpec {
    pub attachment: Id,
    pub tgw: Id,
}

/// An attachment's association with a TGW route table (the one it routes by).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgwAssociationSpec {
    pub attachment: Id,
    pub route_table: Id,
}

/// An attachment's propagation of its VPC's CIDR into a TGW route table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgwPropagationSpec {
    pub attachment: Id,
    pub route_table: Id,
}

/// A static route of a TGW route table to an attachment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TgwRouteSpec {
    pub route_table: Id,
    pub cidr: String,
    /// The attachment; observe writes `<id> (blackhole)` for a route whose attachment
    /// is gone, so that shows as drift.
    pub attachment: Id,
}

spec_kinds! {
    TransitGatewaySpec => TRANSIT_GATEWAY,
    TgwRouteTableSpec => TGW_ROUTE_TABLE,
    TgwAttachmentSpec => TGW_ATTACHMENT,
    TgwAttachmentAccepterSpec => TGW_ATTACHMENT_ACCEPTER,
    TgwAssociationSpec => TGW_ASSOCIATION,
    TgwPropagationSpec => TGW_PROPAGATION,
    TgwRouteSpec => TGW_ROUTE,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;
    use airgap_engine::Value;

    #[test]
    fn attachment_fields_keep_their_names_and_appliance_mode_is_optional() {
        let a = TgwAttachmentSpec {
            tgw: Id::of("tgw", "id"),
            vpc: Id::of("vpc/a", "id"),
            subnets: vec![Id::of("vpc/a/subnet/transit/a", "id")],
            appliance_mode: None,
        }
        .to_attrs();
        assert!(!a.contains_key("applianceMode"));
        assert_eq!(
            a["subnets"],
            Value::List(vec![Value::reference("vpc/a/subnet/transit/a", "id")])
        );
        let t = TransitGatewaySpec {
            asn: 64512,
            auto_accept_shared_attachments: false,
            default_route_table_association: false,
            default_route_table_propagation: false,
        }
        .to_attrs();
        assert_eq!(t["asn"], Value::Int(64512));
        assert_eq!(t["autoAcceptSharedAttachments"], Value::Bool(false));
        let l = TgwAssociationSpec {
            attachment: "tgw-attach-1".into(),
            route_table: "tgw-rtb-1".into(),
        }
        .to_attrs();
        assert_eq!(l["routeTable"], Value::str("tgw-rtb-1"));
    }
}
