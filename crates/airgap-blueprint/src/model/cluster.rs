//! The `clusters` section of the model: clusters, their node groups, and the node
//! group's spec as the blueprint writes it.

use airgap_catalog::spec::{EksNodegroupSpec, Id};
use airgap_section_derive::Section;
use serde_json::json;

use super::Spanned;
use crate::carve::Ipv4Net;
use crate::regions;
use crate::section::choice_leaf;

/// One private EKS cluster.
#[derive(Debug, Clone, Section)]
#[section(noun = "cluster", named)]
pub struct Cluster {
    /// Unique cluster name.
    #[section(schema = json!({ "pattern": "^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$" }))]
    pub name: Spanned<String>,
    /// The VPC it lives in.
    pub vpc: Spanned<String>,
    /// Kubernetes version; `None` = the EKS default.
    #[section(schema = json!({ "type": ["string", "number"], "pattern": "^1\\.[1-9][0-9]?$" }))]
    pub version: Option<Spanned<String>>,
    /// CIDRs allowed to reach the private API endpoint.
    pub api_access_cidrs: Vec<Spanned<Ipv4Net>>,
    /// Envelope-encrypt secrets with a KMS key (default true).
    #[section(default = true)]
    pub secrets_encryption: Spanned<bool>,
    /// Control plane log types.
    #[section(schema = json!({ "uniqueItems": true, "items": { "enum": regions::CLUSTER_LOG_TYPES } }))]
    pub logging: Vec<Spanned<String>>,
    /// IAM principal ARNs granted cluster admin through access entries.
    #[section(schema = json!({ "items": { "type": "string", "pattern": "^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:(role|user)/" } }))]
    pub admins: Vec<Spanned<String>>,
    /// EKS add-ons.
    #[section(schema = json!({ "uniqueItems": true, "items": { "enum": regions::ADDONS } }))]
    pub addons: Vec<Spanned<String>>,
    /// Existing IAM roles to use instead of creating them.
    pub roles: ClusterRoles,
    /// Managed node groups.
    pub nodegroups: Vec<Nodegroup>,
}

/// `clusters[].roles`.
#[derive(Debug, Clone, Default, Section)]
pub struct ClusterRoles {
    /// Existing cluster role ARN.
    #[section(schema = json!({ "pattern": ROLE_ARN }))]
    pub cluster: Option<Spanned<String>>,
    /// Existing node role ARN.
    #[section(schema = json!({ "pattern": ROLE_ARN }))]
    pub node: Option<Spanned<String>>,
}

/// What an existing role's ARN looks like (schema only: the parser names what is wrong).
const ROLE_ARN: &str = "^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/";

/// One managed node group.
#[derive(Debug, Clone, Section)]
#[section(noun = "node group")]
pub struct Nodegroup {
    /// Name, unique in its cluster.
    #[section(schema = json!({ "pattern": "^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$" }))]
    pub name: Spanned<String>,
    /// Instance types (default `[m6i.large]`).
    #[section(
        default = vec!["m6i.large".into()],
        schema = json!({ "minItems": 1, "items": { "type": "string", "pattern": "^[a-z][a-z0-9-]*\\.[a-z0-9]+$" } })
    )]
    pub instance_types: Vec<Spanned<String>>,
    /// Scaling bounds.
    pub scaling: Scaling,
    /// Which image the nodes boot: one of the keys `amiType`, `launchTemplate`, `amiId`.
    #[section(with = crate::parse::ami)]
    pub ami: Spanned<Ami>,
    /// Kubernetes labels.
    #[section(schema = json!({ "additionalProperties": { "type": ["string", "number"] } }))]
    pub labels: Vec<(Spanned<String>, Spanned<String>)>,
    /// Kubernetes taints.
    pub taints: Vec<Taint>,
    /// `updateConfig`: how many nodes a version update may take out at once; `None`
    /// leaves it to EKS.
    pub update_config: Option<Spanned<MaxUnavailable>>,
    /// `capacityType`: `ON_DEMAND` (default) or `SPOT`; a change replaces the group.
    #[section(default = CapacityType::OnDemand)]
    pub capacity_type: Spanned<CapacityType>,
}

impl Nodegroup {
    /// The node group's spec with what its blueprint entry says: a new setting of a node
    /// group is a field here, in the spec and in the kind. Expansion gives the references
    /// (`cluster`, `role`, `subnets`), the cluster's `version`, and the image.
    pub fn spec(
        &self,
        cluster: Id,
        role: Id,
        subnets: Vec<Id>,
        version: Option<String>,
    ) -> EksNodegroupSpec {
        EksNodegroupSpec {
            cluster,
            name: self.name.value.clone(),
            role,
            subnets,
            instance_types: self.instance_types.iter().map(|t| t.value.clone()).collect(),
            min: self.scaling.min.value as i32,
            desired: self.scaling.desired.value as i32,
            max: self.scaling.max.value as i32,
            labels: self.labels.iter().map(|(k, v)| (k.value.clone(), v.value.clone())).collect(),
            taints: self
                .taints
                .iter()
                .map(|t| airgap_catalog::spec::Taint {
                    key: t.key.value.clone(),
                    value: t.value.as_ref().map(|v| v.value.clone()),
                    effect: t.effect.value,
                })
                .collect(),
            version,
            ami_type: None,
            launch_template: None,
            launch_template_version: None,
            update_config: self.update_config.as_ref().map(|u| u.value),
            capacity_type: self.capacity_type.value,
            launch_template_name: None,
        }
    }
}

/// `nodegroups[].capacityType`: the node group spec's own type.
pub use airgap_catalog::spec::CapacityType;

choice_leaf!(CapacityType, CapacityType::ALL.map(|c| (c.as_str(), c)));

/// `nodegroups[].updateConfig`: `maxUnavailable` or `maxUnavailablePercentage`, the node
/// group spec's own type.
pub use airgap_catalog::spec::MaxUnavailable;

/// `nodegroups[].scaling` (defaults min 1, desired 2, max 3).
#[derive(Debug, Clone, Section)]
pub struct Scaling {
    /// Minimum size.
    #[section(default = 1, min = 0, max = 1000)]
    pub min: Spanned<u32>,
    /// Desired size.
    #[section(default = 2, min = 0, max = 1000)]
    pub desired: Spanned<u32>,
    /// Maximum size.
    #[section(default = 3, min = 1, max = 1000)]
    pub max: Spanned<u32>,
}

/// The node image: exactly one of `amiType`, `launchTemplate`, `amiId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ami {
    /// An EKS-managed AMI type (default `AL2023_x86_64_STANDARD`).
    Type(String),
    /// An existing launch template by id or name, with optional version.
    LaunchTemplate {
        /// `lt-...` id or template name.
        id_or_name: String,
        /// Version; `None` = default version.
        version: Option<String>,
    },
    /// A custom AMI id (the launch template is generated).
    Id(String),
}

/// Taint effect: the node group spec's own type, so a taint keeps one shape from the
/// blueprint to the EKS call.
pub use airgap_catalog::spec::TaintEffect;

choice_leaf!(TaintEffect, TaintEffect::ALL.map(|e| (e.as_str(), e)));

/// One taint.
#[derive(Debug, Clone, Section)]
#[section(noun = "a taint")]
pub struct Taint {
    /// Key.
    pub key: Spanned<String>,
    /// Value (may be empty).
    pub value: Option<Spanned<String>>,
    /// Effect.
    pub effect: Spanned<TaintEffect>,
}
