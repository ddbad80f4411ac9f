//! Unit tests of the AWS resource kinds, each against a client whose calls
//! `aws-smithy-mocks` rules answer: no network. One test binary with a module per kind
//! (or per shared behaviour), so the SDK is linked once rather than once per file.
//!
//! `cargo test --workspace --test kinds route::` runs one module.

mod eks_mock;
#[macro_use]
mod mock;

mod batched_readiness;
mod blocker_refs;
mod blockers;
mod ecr_scanning;
mod eks_kinds;
mod eks_nodegroup;
mod fresh_ids;
mod kms_iam;
mod log_group;
mod nat_gateway;
mod nfw;
mod nfw_firewall;
mod ram_accepter;
mod ram_share;
mod route;
mod security_group_rule;
mod send_once;
mod tgw_accept;
mod tgw_attachment;
mod vpc_endpoint;
mod vpn_pki;
