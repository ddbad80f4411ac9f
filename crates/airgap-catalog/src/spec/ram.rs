//! Specs of the RAM kinds (share, association, invitation accepter).

use serde::{Deserialize, Serialize};

use super::Id;

/// A resource share of the owner's resources (their ARNs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RamShareSpec {
    pub name: String,
    pub resources: Vec<Id>,
    #[serde(default)]
    pub allow_external_principals: bool,
}

/// A share's association with one principal (an account id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RamAssociationSpec {
    pub share: Id,
    pub principal: String,
}

/// The acceptance, in a principal account, of the invitation to a share.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RamInvitationAccepterSpec {
    pub share: Id,
}

// Each spec's catalogue entry.
spec_kinds! {
    RamShareSpec => RAM_SHARE,
    RamAssociationSpec => RAM_ASSOCIATION,
    RamInvitationAccepterSpec => RAM_INVITATION_ACCEPTER,
}
