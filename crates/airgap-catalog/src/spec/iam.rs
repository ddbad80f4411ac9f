//! Specs of the IAM and KMS kinds (role, role policy, key, alias).

use serde::{Deserialize, Serialize};

use super::Id;

/// A role one AWS service may assume (the trust policy's only statement).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IamRoleSpec {
    pub name: String,
    /// The trusted service (`eks.amazonaws.com`); observed, a trust policy of another
    /// shape is its whole canonical document, so it differs and is rewritten.
    pub service: String,
}

/// A managed policy attached to a role (by the role's name).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IamRolePolicySpec {
    pub role: Id,
    pub policy: String,
}

/// A symmetric KMS key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KmsKeySpec {
    pub description: String,
    #[serde(default)]
    pub rotation: bool,
}

/// An alias (`alias/...`) of a key (its id).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KmsAliasSpec {
    pub name: String,
    pub key: Id,
}

// Each spec's catalogue entry.
spec_kinds! {
    IamRoleSpec => IAM_ROLE,
    IamRolePolicySpec => IAM_ROLE_POLICY,
    KmsKeySpec => KMS_KEY,
    KmsAliasSpec => KMS_ALIAS,
}
