//! End-to-end tests against LocalStack: the real `airgapctl` binary, the real SDK, a real
//! LocalStack over HTTP (started with `localstack/start`). One test binary, a module per
//! area, so that cargo links the SDK into one executable instead of thirteen and the
//! tests of every area share the test threads (as separate binaries, each one's slowest
//! test left the other thread idle until it ended). Each test makes its own accounts, so
//! tests of different modules may run side by side against the one LocalStack.
//!
//! `cargo test --test localstack network::` runs one area.

mod support;

mod accounts;
mod artifacts;
mod central;
mod chaos;
mod eks;
mod firewall;
mod iam;
mod lifecycle;
mod network;
mod pricing;
mod registry;
mod scale;
mod verify;
