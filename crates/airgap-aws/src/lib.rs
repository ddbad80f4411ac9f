//! AWS resource kinds of airgapctl: each implements `airgap_engine::Kind` on the AWS SDK
//! for Rust. Observe is one tag-filtered, paginated Describe per kind, account and
//! region; every create carries its tags in the same call.

pub mod adopt;
pub mod analyzer;
pub mod artifacts;
pub mod bootstrap;
pub mod clients;
pub mod ec2;
pub mod ecr;
pub mod ecr_scanning;
pub mod eks;
pub mod errors;
pub mod iam;
pub mod inspect;
mod kit;
pub mod kms;
pub mod lock;
pub mod logs;
pub mod nfw;
pub mod pricing;
pub mod privatelink;
pub mod provider;
pub mod ram;
pub mod record;
pub mod route53;
pub mod stats;
pub mod tags;
pub mod vpn;

pub use provider::{AccountSpec, Provider, ProviderConfig, ProviderError};
pub use stats::CallStats;
