//! `airgapctl access vpn-config`: a user's OpenVPN configuration for the environment's
//! Client VPN, or their certificates revoked.

use std::io::Write;

use miette::miette;

use super::{out, Backend, Target};
use crate::cli::{AccessAction, AccessCmd, Global};
use crate::exit::{CmdResult, ExitStatus, Failure};

pub async fn run(cmd: &AccessCmd, global: &Global) -> CmdResult {
    let AccessAction::VpnConfig(args) = &cmd.action;
    let target = Target::resolve(&args.source, global).await?;
    let Backend::Aws(provider) = &target.backend else {
        return Err(Failure::invalid(miette!("access works on AWS only, not with --simulate")));
    };
    let node =
        target.graph.get(&airgap_aws::vpn::access::ENDPOINT_NODE.into()).ok_or_else(|| {
            Failure::invalid(miette!(
                help = "declare access.vpn in the blueprint (docs/access.md) and apply it",
                "the blueprint declares no VPN"
            ))
        })?;
    let scope = node.scope.clone();
    let failed =
        |e: airgap_engine::KindError| Failure::failed(miette!("{}: {}", e.code, e.message));
    if let Some(user) = &args.revoke {
        let n = provider.vpn_revoke(&scope, &target.env, user).await.map_err(failed)?;
        out(&format!(
            "Revoked the certificates of {user}; the endpoint's revocation list has {n} certificate{}.\n",
            if n == 1 { "" } else { "s" }
        ));
        return Ok(ExitStatus::Success);
    }
    let user = args.user.as_deref().expect("clap requires --user without --revoke");
    let text = provider.vpn_client_config(&scope, &target.env, user).await.map_err(failed)?;
    match &args.write {
        None => out(&text),
        Some(path) => {
            write_private(path, &text)
                .map_err(|e| Failure::failed(miette!("cannot write {}: {e}", path.display())))?;
            out(&format!("Wrote {} for {user}.\n", path.display()));
        }
    }
    Ok(ExitStatus::Success)
}

/// The file holds a private key: readable by its owner only.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path)?;
    f.write_all(text.as_bytes())
}
