//! Specs of the EKS kinds (cluster, node group, add-on, access entry) and the launch template their node groups use.

#[allow(unused_imports)]
use super::{Id, Spec};
