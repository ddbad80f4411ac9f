//! Specs of the Network Firewall kinds (rule group, policy, firewall) and the log groups they log to.

#[allow(unused_imports)]
use super::{Id, Spec};
