//! Helpers shared by the end-to-end tests.

// Each test file is a crate of its own and uses only some of these.
#![allow(dead_code)]

pub mod census;
pub mod kill;
