//! `airgapctl access vpn-config`: a user's OpenVPN configuration for the environment's
//! Client VPN, or their certificates revoked. `airgapctl access connections`: the
//! connection requests to the environment's privateLink services, answered.

use std::io::Write;

use miette::miette;

use super::{out, Backend, Target};
use crate::cli::{AccessAction, AccessCmd, ConnectionsArgs, Global, Output};
use crate::exit::{CmdResult, ExitStatus, Failure};

pub async fn run(cmd: &AccessCmd, global: &Global) -> CmdResult {
    let args = match &cmd.action {
        AccessAction::VpnConfig(args) => args,
        AccessAction::Connections(args) => return connections(args, global).await,
    };
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
        let vpn = provider.vpn_access(&scope, &target.env).await.map_err(failed)?;
        let n = vpn.revoke(user).await.map_err(failed)?;
        out(&format!(
            "Revoked the certificates of {user}; the endpoint's revocation list has {n} certificate{}.\n",
            if n == 1 { "" } else { "s" }
        ));
        return Ok(ExitStatus::Success);
    }
    let user = args.user.as_deref().expect("clap requires --user without --revoke");
    let vpn = provider.vpn_access(&scope, &target.env).await.map_err(failed)?;
    let text = vpn.client_config(user).await.map_err(failed)?;
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

async fn connections(args: &ConnectionsArgs, global: &Global) -> CmdResult {
    let target = Target::resolve(&args.source, global).await?;
    let Backend::Aws(provider) = &target.backend else {
        return Err(Failure::invalid(miette!("access works on AWS only, not with --simulate")));
    };
    // The accounts the blueprint's endpoint services are in.
    let mut scopes: Vec<airgap_engine::Scope> = target
        .graph
        .nodes()
        .filter(|n| n.kind == airgap_catalog::ENDPOINT_SERVICE.name)
        .map(|n| n.scope.clone())
        .collect();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(Failure::invalid(miette!(
            help = "declare access.privateLink in the blueprint (docs/access.md) and apply it",
            "the blueprint declares no privateLink service"
        )));
    }
    let answer = match (&args.accept, &args.reject) {
        (Some(e), _) => Some((e.as_str(), true)),
        (None, Some(e)) => Some((e.as_str(), false)),
        (None, None) => None,
    };
    let failed =
        |e: airgap_engine::KindError| Failure::failed(miette!("{}: {}", e.code, e.message));
    let mut all = Vec::new();
    for scope in &scopes {
        all.extend(
            provider.privatelink_connections(scope, &target.env, answer).await.map_err(failed)?,
        );
    }
    if let Some((endpoint, _)) = answer {
        if !all.iter().any(|c| c.endpoint_id == endpoint) {
            return Err(Failure::failed(miette!(
                help = "run `airgapctl access connections` without --accept/--reject to list them",
                "no endpoint {endpoint} is connected to the environment's privateLink services"
            )));
        }
    }
    match global.output {
        Output::Json => out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&all).expect("connections serialize")
        )),
        Output::Text if all.is_empty() => out("No connection requests.\n"),
        Output::Text => {
            let mut text =
                format!("{:<36} {:<24} {:<14} {}\n", "SERVICE", "ENDPOINT", "OWNER", "STATE");
            for c in &all {
                text.push_str(&format!(
                    "{:<36} {:<24} {:<14} {}\n",
                    c.service, c.endpoint_id, c.owner, c.state
                ));
            }
            out(&text);
        }
    }
    Ok(ExitStatus::Success)
}
