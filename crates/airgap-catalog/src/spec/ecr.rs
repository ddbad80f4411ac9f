//! Specs of the ECR repository kind.

#[allow(unused_imports)]
use super::{Id, Spec};
