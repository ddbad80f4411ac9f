//! `airgapctl cost`: the estimate and the price refresh (docs/cost.md).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `cost -f FILE ...`, or `cost refresh-prices`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct CostCmd {
    #[command(subcommand)]
    pub action: Option<CostAction>,
    #[command(flatten)]
    pub args: CostArgs,
}

#[derive(Debug, Subcommand)]
pub enum CostAction {
    /// Fetch the prices of --region REGION through the AWS Price List Query API
    /// (pricing:GetProducts) and write a snapshot for --prices (docs/cost.md).
    RefreshPrices(RefreshPricesArgs),
}

#[derive(Debug, Args)]
pub struct RefreshPricesArgs {
    /// Where to write the snapshot [default: prices-<region>.json].
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The region of the Price List Query API's endpoint: us-east-1, eu-central-1 or
    /// ap-south-1 (any of them answers the prices of every region).
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub api_region: String,
    /// Also price this instance type (repeatable); those of the region's shipped snapshot
    /// always are.
    #[arg(long, value_name = "TYPE")]
    pub instance_type: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CostArgs {
    #[command(flatten)]
    pub blueprint: super::Blueprint,
    /// Traffic in GB a month (YAML: per VPC and endpoint service, firewall egress, logs)
    /// and Client VPN connection-hours a month; without it traffic is priced per GB only.
    #[arg(long, value_name = "FILE")]
    pub usage: Option<PathBuf>,
    /// A price snapshot (JSON, the shipped ones' format) instead of the one shipped for
    /// the blueprint's region.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Environment name [default: the blueprint's metadata.name]; it changes names only.
    #[arg(long, value_name = "NAME")]
    pub env: Option<String>,
}
