//! Specs of the Route 53 kinds: the private hosted zones of central interface endpoints
//! and their associations with the VPCs that use them.

use serde::{Deserialize, Serialize};

use super::Id;

/// A private hosted zone, created with (and so associated with) `vpc`, whose `records`
/// answer with an alias to a VPC endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostedZoneSpec {
    /// The zone's domain, without the trailing dot.
    pub name: String,
    pub vpc: Id,
    /// The region of `vpc` (Route 53 is global; a VPC is named by id and region).
    pub region: String,
    pub records: Vec<AliasRecordSpec>,
}

/// An alias A record: `name` answers with the addresses of `target` (a VPC endpoint's
/// regional DNS name) in the hosted zone `targetZone` (the endpoint's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AliasRecordSpec {
    pub name: String,
    pub target: Id,
    pub target_zone: Id,
}

/// `vpc` (of this node's account) associated with `zone`, owned by `zoneAccount`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZoneAssociationSpec {
    pub zone: Id,
    pub zone_account: String,
    pub vpc: Id,
    pub region: String,
}

// Each spec's catalogue entry.
spec_kinds! {
    HostedZoneSpec => ROUTE53_ZONE,
    ZoneAssociationSpec => ROUTE53_ASSOCIATION,
}
