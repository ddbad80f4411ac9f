//! Commands that work without a blueprint reach the hub account directly: its id
//! (`--hub-account`), the role to assume there (`--role`) and the region (`--region`).

use airgap_aws::{AccountSpec, Provider};
use miette::miette;

use crate::cli::Global;
use crate::exit::Failure;

/// The region of commands without a blueprint: `--region` (or `AWS_REGION`).
pub fn region(global: &Global) -> Result<String, Failure> {
    global.region.clone().ok_or_else(|| {
        Failure::invalid(miette!(
            help = "the lock table and the environment records are in the hub account, in the \
                    environments' region",
            "without a blueprint, give the region with --region (or AWS_REGION)"
        ))
    })
}

pub fn check_account_id(id: &str) -> Result<(), Failure> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Failure::invalid(miette!("invalid account id {id:?}: expected 12 digits")))
    }
}

/// Clients for the hub account alone (its identity checked).
pub async fn connect(
    global: &Global,
    hub_account: &str,
    role: Option<&str>,
) -> Result<Provider, Failure> {
    check_account_id(hub_account)?;
    let region = region(global)?;
    let hub = AccountSpec {
        name: "hub".to_string(),
        id: hub_account.to_string(),
        role: role.map(str::to_string),
        external_id: None,
        session_name: Some("airgapctl".to_string()),
    };
    super::connect(global, &region, &[hub], None).await
}
