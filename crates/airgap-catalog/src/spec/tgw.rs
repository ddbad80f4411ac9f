//! Specs of the transit gateway kinds (gateway, route table, attachment, accepter, association, propagation, route).

#[allow(unused_imports)]
use super::{Id, Spec};
