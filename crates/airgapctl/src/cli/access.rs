//! `airgapctl access`: VPN configurations and PrivateLink connections.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Source;

#[derive(Debug, Args)]
pub struct AccessCmd {
    #[command(subcommand)]
    pub action: AccessAction,
}

#[derive(Debug, Subcommand)]
pub enum AccessAction {
    /// An OpenVPN (.ovpn) configuration of the environment's Client VPN for one user, with
    /// a new client certificate signed by the environment's CA; or, with --revoke, every
    /// certificate of that user put on the endpoint's revocation list.
    VpnConfig(VpnConfigArgs),
    /// The connection requests of third parties' endpoints to the environment's
    /// privateLink services, with their state; --accept or --reject answers one first.
    #[command(
        after_help = "Examples:\n  airgapctl access connections -f plans/hub-spoke.yaml\n  airgapctl access connections -f plans/hub-spoke.yaml --accept vpce-0123456789abcdef0\n  airgapctl access connections -f plans/hub-spoke.yaml --reject vpce-0123456789abcdef0 --output json"
    )]
    Connections(ConnectionsArgs),
}

#[derive(Debug, Args)]
pub struct ConnectionsArgs {
    /// Accept the connection of this endpoint (a consumer's vpce-... id).
    #[arg(long, value_name = "ENDPOINT", conflicts_with = "reject")]
    pub accept: Option<String>,
    /// Reject the connection of this endpoint.
    #[arg(long, value_name = "ENDPOINT")]
    pub reject: Option<String>,
    #[command(flatten)]
    pub source: Source,
}

#[derive(Debug, Args)]
pub struct VpnConfigArgs {
    /// The user the certificate is issued to (its common name).
    #[arg(long, value_name = "NAME", required_unless_present = "revoke")]
    pub user: Option<String>,
    /// Revoke every certificate issued to NAME instead.
    #[arg(long, value_name = "NAME", conflicts_with_all = ["user", "write"])]
    pub revoke: Option<String>,
    /// Write the configuration to PATH (mode 0600) instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub write: Option<PathBuf>,
    #[command(flatten)]
    pub source: Source,
}
