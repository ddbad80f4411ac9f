//! Specs of the remaining EC2 kinds (elastic IP, route, security group and rule, VPC endpoints).

#[allow(unused_imports)]
use super::{Id, Spec};
