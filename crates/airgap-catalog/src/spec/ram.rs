//! Specs of the RAM kinds (share, association, invitation accepter).

#[allow(unused_imports)]
use super::{Id, Spec};
