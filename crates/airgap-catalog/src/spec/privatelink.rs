//! Specs of the PrivateLink kinds (`access.privateLink`): an internal Network Load
//! Balancer with its listeners, the target group behind it, and the VPC endpoint service
//! third parties connect to.

use serde::{Deserialize, Serialize};

use super::Id;

/// A target group of IP targets (TCP). Its targets are not the environment's: a
/// workload registers them (AWS Load Balancer Controller's TargetGroupBinding, or by
/// hand), so they are not in the spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetGroupSpec {
    /// Up to 32 characters: letters, digits and hyphens, no hyphen first or last.
    pub name: String,
    pub protocol: String,
    pub port: i32,
    pub vpc: Id,
    /// `ip` (pods and instances alike, by address).
    pub target_type: String,
}

/// A listener of a load balancer, forwarding to one target group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerSpec {
    pub protocol: String,
    pub port: i32,
    pub target_group: Id,
}

/// An internal Network Load Balancer and its listeners (which are kept with it: a
/// listener has no life without its load balancer, and is listed only by it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadBalancerSpec {
    /// Up to 32 characters: letters, digits and hyphens, not starting with `internal-`.
    pub name: String,
    /// `internal`: addresses in its subnets only.
    pub scheme: String,
    /// One subnet per availability zone.
    pub subnets: Vec<Id>,
    pub listeners: Vec<ListenerSpec>,
}

/// A VPC endpoint service in front of Network Load Balancers: consumers in the allowed
/// principals' accounts create interface endpoints to it, and each connection waits
/// for the owner's acceptance when `acceptance_required`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointServiceSpec {
    pub load_balancers: Vec<Id>,
    pub acceptance_required: bool,
    /// IAM principal ARNs (`arn:aws:iam::<account>:root`, a role, a user).
    pub allowed_principals: Vec<String>,
}

// Each spec's catalogue entry.
spec_kinds! {
    TargetGroupSpec => TARGET_GROUP,
    LoadBalancerSpec => LOAD_BALANCER,
    EndpointServiceSpec => ENDPOINT_SERVICE,
}
