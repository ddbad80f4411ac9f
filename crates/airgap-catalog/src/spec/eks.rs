//! Specs of the EKS kinds (cluster, node group, add-on, access entry) and the launch
//! template their node groups use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Id;

/// A private EKS cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EksClusterSpec {
    pub name: String,
    pub role: Id,
    pub subnets: Vec<Id>,
    pub security_groups: Vec<Id>,
    pub endpoint_private_access: bool,
    pub endpoint_public_access: bool,
    /// `API`, `API_AND_CONFIG_MAP` or `CONFIG_MAP`, as EKS spells it.
    pub authentication_mode: String,
    /// The control plane log types enabled; the others are disabled.
    pub logging: Vec<String>,
    /// `None`: the EKS default (the desired spec leaves it out; observe always has it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// The KMS key of the envelope encryption of the cluster's API data.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secrets_key: Option<Id>,
}

impl EksClusterSpec {
    /// A private cluster: the API endpoint is reached inside the VPC only, and access is
    /// managed with access entries. The one place these settings are chosen.
    pub fn private(name: String, role: Id, subnets: Vec<Id>, security_groups: Vec<Id>) -> Self {
        EksClusterSpec {
            name,
            role,
            subnets,
            security_groups,
            endpoint_private_access: true,
            endpoint_public_access: false,
            authentication_mode: "API".into(),
            logging: Vec::new(),
            version: None,
            secrets_key: None,
        }
    }
}

impl EksClusterSpec {
    /// Its sets in one order (EKS keeps none).
    pub fn sorted(mut self) -> Self {
        sort_known(&mut self.subnets);
        sort_known(&mut self.security_groups);
        self.logging.sort();
        self.logging.dedup();
        self
    }
}

/// An enum the EKS API spells by name: each variant with its API name (its serde form
/// too), `ALL`, `as_str` and `parse`.
macro_rules! api_enum {
    ($(#[$m:meta])* pub enum $name:ident {
        $($(#[$vm:meta])* $variant:ident = $text:literal,)*
    }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            pub const ALL: [$name; [$($text),*].len()] = [$($name::$variant),*];

            /// The API's name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value of that API name.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|v| v.as_str() == s)
            }
        }
    };
}

api_enum! {
    /// A Kubernetes taint's effect, spelled as the EKS API spells it.
    #[derive(PartialOrd, Ord, Hash)]
    pub enum TaintEffect {
        NoSchedule = "NO_SCHEDULE",
        NoExecute = "NO_EXECUTE",
        PreferNoSchedule = "PREFER_NO_SCHEDULE",
    }
}

api_enum! {
    /// A node group's `capacityType` (EKS API `CreateNodegroup`): On-Demand or Spot
    /// instances. `CAPACITY_BLOCK` needs a launch template that targets a capacity
    /// reservation, which no node group of ours has. `UpdateNodegroupConfig` has no such
    /// field: a change replaces the group.
    #[derive(Default)]
    pub enum CapacityType {
        /// EKS's default.
        #[default]
        OnDemand = "ON_DEMAND",
        Spot = "SPOT",
    }
}

/// A taint of a node group's nodes. EKS identifies a taint by key and effect; a value
/// is optional (`null` in the attributes when absent, as EKS shows it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Taint {
    pub key: String,
    #[serde(default)]
    pub value: Option<String>,
    pub effect: TaintEffect,
}

/// How many nodes a version update may take out at once (EKS API
/// `NodegroupUpdateConfig`): a number or a percentage, each 1..=100, exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MaxUnavailable {
    #[serde(rename = "maxUnavailable")]
    Nodes(i32),
    #[serde(rename = "maxUnavailablePercentage")]
    Percentage(i32),
}

/// A managed node group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EksNodegroupSpec {
    pub cluster: Id,
    /// The logical name (the AWS name may carry a suffix after a replacement).
    pub name: String,
    pub role: Id,
    pub subnets: Vec<Id>,
    pub instance_types: Vec<String>,
    pub min: i32,
    pub desired: i32,
    pub max: i32,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// The cluster's Kubernetes version; `None`: the cluster's (or the template's image).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub version: Option<String>,
    /// An EKS AMI type, when no launch template is given.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ami_type: Option<String>,
    /// A launch template by id (`lt-...`) or name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub launch_template: Option<Id>,
    /// Its version; `None`: the template's default version.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub launch_template_version: Option<Id>,
    /// `None`: left to EKS (one node at a time) and not compared, so a blueprint
    /// without it plans no change.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub update_config: Option<MaxUnavailable>,
    /// Always in the attributes, so On-Demand asked of a group that is Spot is a change
    /// (a diff compares what the spec has); absent from a stored plan, EKS's default.
    #[serde(default)]
    pub capacity_type: CapacityType,
    /// Observed only: the template's name, so a template given by name compares.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub launch_template_name: Option<String>,
}

impl EksNodegroupSpec {
    /// The form observe gives: sets sorted (EKS keeps no order), a template given by
    /// name named as observed, no template version asked for compared with none.
    pub fn comparable(self, observed: &EksNodegroupSpec) -> Self {
        let mut s = self.sorted();
        if let (Some(Id::Known(lt)), Some(n)) = (&s.launch_template, &observed.launch_template_name)
        {
            if !lt.starts_with("lt-") {
                s.launch_template = Some(Id::Known(n.clone()));
            }
        }
        s
    }

    /// Its sets in one order (EKS keeps none): subnets, instance types, and taints by
    /// key and effect (what identifies a taint).
    pub fn sorted(mut self) -> Self {
        sort_known(&mut self.subnets);
        self.instance_types.sort();
        self.instance_types.dedup();
        self.taints.sort_by(|a, b| (&a.key, a.effect).cmp(&(&b.key, b.effect)));
        self
    }
}

/// Sorts (and dedups) a list of ids once all are known: AWS returns members in no order.
pub fn sort_known(ids: &mut Vec<Id>) {
    if ids.iter().all(|i| matches!(i, Id::Known(_))) {
        ids.sort_by(|a, b| a.get().ok().cmp(&b.get().ok()));
        ids.dedup();
    }
}

/// An EKS add-on, at the version EKS installs by default on `kubernetesVersion`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EksAddonSpec {
    pub cluster: Id,
    pub name: String,
    /// Recorded as a tag on the add-on; `None`: the cluster's default version.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub kubernetes_version: Option<String>,
}

/// The access policies associated with an entry: one (what a blueprint asks for), or
/// several found on an entry changed by hand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Policies {
    One(String),
    Many(Vec<String>),
}

impl Policies {
    pub fn arns(&self) -> Vec<&str> {
        match self {
            Policies::One(p) => vec![p.as_str()],
            Policies::Many(ps) => ps.iter().map(String::as_str).collect(),
        }
    }
}

/// An access entry of an IAM principal, with its access policy association.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EksAccessEntrySpec {
    pub cluster: Id,
    pub principal: String,
    /// `null` when the entry has no policy.
    #[serde(default)]
    pub policy: Option<Policies>,
}

/// The launch template that joins a custom AMI's nodes to their cluster (nodeadm).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateSpec {
    pub name: String,
    pub image_id: String,
    /// The join configuration: the cluster's name, endpoint, CA and service CIDR.
    pub cluster: Id,
    pub endpoint: Id,
    pub ca: Id,
    pub service_cidr: Id,
}

/// What a launch template shows of its spec: EC2 returns no user data in a listing, so
/// the image and a hash of the join configuration are recorded as tags and compared.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LaunchTemplateState {
    pub name: String,
    /// `None` when the tag is missing (a template changed by hand).
    pub image_id: Option<String>,
    /// The hash of the join configuration; `None`: unknown (tag missing, or an input
    /// not known yet).
    pub config: Option<Id>,
}

// Each spec's catalogue entry.
spec_kinds! {
    EksClusterSpec => EKS_CLUSTER,
    EksNodegroupSpec => EKS_NODEGROUP,
    EksAddonSpec => EKS_ADDON,
    EksAccessEntrySpec => EKS_ACCESS_ENTRY,
    LaunchTemplateSpec => LAUNCH_TEMPLATE,
    LaunchTemplateState => LAUNCH_TEMPLATE,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Spec;
    use airgap_engine::Value;

    #[test]
    fn a_taint_keeps_the_attribute_shape_eks_shows() {
        let t = Taint { key: "dedicated".into(), value: None, effect: TaintEffect::NoSchedule };
        let v = serde_json::to_value(&t).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"key": "dedicated", "value": null, "effect": "NO_SCHEDULE"})
        );
        for e in TaintEffect::ALL {
            assert_eq!(TaintEffect::parse(e.as_str()), Some(e));
            assert_eq!(serde_json::to_value(e).unwrap(), e.as_str());
        }
        for c in CapacityType::ALL {
            assert_eq!(CapacityType::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
    }

    #[test]
    fn node_groups_compare_in_observed_order() {
        let ng = EksNodegroupSpec {
            cluster: "demo-apps".into(),
            name: "general".into(),
            role: "arn:aws:iam::1:role/node".into(),
            subnets: vec!["subnet-b".into(), "subnet-a".into()],
            instance_types: vec!["m6i.large".into()],
            min: 1,
            desired: 2,
            max: 3,
            labels: BTreeMap::new(),
            taints: vec![
                Taint { key: "b".into(), value: None, effect: TaintEffect::NoExecute },
                Taint { key: "a".into(), value: Some("x".into()), effect: TaintEffect::NoSchedule },
            ],
            version: None,
            ami_type: None,
            launch_template: Some("mine".into()),
            launch_template_version: None,
            update_config: None,
            capacity_type: CapacityType::Spot,
            launch_template_name: None,
        };
        let mut seen = ng.clone();
        seen.launch_template = Some("lt-1".into());
        seen.launch_template_name = Some("mine".into());
        let c = ng.clone().comparable(&seen);
        assert_eq!(c.subnets, vec![Id::from("subnet-a"), Id::from("subnet-b")]);
        assert_eq!(c.taints[0].key, "a");
        assert_eq!(c.launch_template, Some(Id::from("mine")));
        let a = c.to_attrs();
        assert!(!a.contains_key("version"));
        assert!(!a.contains_key("updateConfig"), "not set, not compared");
        assert_eq!(a["min"], Value::Int(1));
        assert_eq!(EksNodegroupSpec::from_attrs(&a).unwrap(), c);
    }

    #[test]
    fn the_update_config_is_one_of_two_fields() {
        let v = serde_json::to_value(MaxUnavailable::Percentage(25)).unwrap();
        assert_eq!(v, serde_json::json!({"maxUnavailablePercentage": 25}));
        let v = serde_json::to_value(MaxUnavailable::Nodes(2)).unwrap();
        assert_eq!(v, serde_json::json!({"maxUnavailable": 2}));
    }

    #[test]
    fn access_policies_are_one_or_many() {
        let one: Policies = serde_json::from_value(serde_json::json!("arn:p")).unwrap();
        assert_eq!(one.arns(), ["arn:p"]);
        let many: Policies = serde_json::from_value(serde_json::json!(["a", "b"])).unwrap();
        assert_eq!(many.arns(), ["a", "b"]);
    }
}
