//! Specs of the IAM and KMS kinds (role, role policy, key, alias).

#[allow(unused_imports)]
use super::{Id, Spec};
