//! `airgapctl adopt ADDR PHYSICAL-ID -f FILE`: an existing resource (a transit gateway or
//! VPC the network team already runs) made the blueprint node's, as Terraform's `import`:
//! it gets the node's standard tags, so the next plan finds it and manages it. Refused
//! when the resource would be replaced (deleted and made again) to match the blueprint:
//! its tags are taken back and the differences named.

use airgap_aws::adopt::SdkConfig;
use airgap_engine::{Action, NodeId, PlanMode};
use miette::miette;

use super::{lock, out, plan, Backend, Target};
use crate::cli::{AdoptArgs, Global};
use crate::exit::{CmdResult, ExitStatus, Failure};
use crate::render;

pub async fn run(args: &AdoptArgs, global: &Global) -> CmdResult {
    if args.source.simulate.is_some() {
        return Err(Failure::invalid(miette!(
            "adopt tags a resource that exists in AWS; the simulated cloud has none but its own"
        )));
    }
    let mut target = Target::resolve(&args.source, global).await?;
    let id = NodeId::from(args.addr.as_str());
    let Some(node) = target.graph.get(&id).cloned() else {
        let ids = target.graph.nodes().map(|n| n.id.as_str());
        return Err(plan::unknown_address("adopt", &args.addr, ids));
    };
    airgap_aws::adopt::check(&node.kind, &args.physical_id)
        .map_err(|e| Failure::invalid(miette!("adopt {}: {e}", args.addr)))?;
    let Backend::Aws(provider) = &target.backend else {
        return Err(Failure::failed(miette!("adopt needs AWS (a bug: no provider)")));
    };
    let conf = provider.sdk_config(&node.scope.account).cloned().ok_or_else(|| {
        Failure::failed(miette!("no credentials for account {}", node.scope.account))
    })?;
    let region = node.scope.region.clone();
    // Only the node and what it needs are planned; no warning about it.
    target.selection.target = vec![args.addr.clone()];
    target.selection.quiet = true;
    let lease = lock::acquire(
        &target,
        "adopt",
        args.lock_timeout,
        args.source.file.first().map(|p| p.as_path()),
    )
    .await?;
    let result = adopt(&target, (&conf, &region), args, &id).await;
    lock::release(lease).await;
    result
}

/// The account's SDK config and the node's region.
type Aws<'a> = (&'a SdkConfig, &'a str);

async fn adopt(target: &Target, aws: Aws<'_>, args: &AdoptArgs, id: &NodeId) -> CmdResult {
    let physical = args.physical_id.as_str();
    let before = plan::make(target, PlanMode::Apply).await?;
    let current = |p: &airgap_engine::Plan| {
        p.nodes.iter().find(|n| &n.id == id).and_then(|n| n.current.clone())
    };
    match current(&before) {
        Some(c) if c.physical_id == physical => {
            out(&format!("{} is {physical} already: nothing to adopt.\n", args.addr));
            return Ok(ExitStatus::Success);
        }
        Some(c) => {
            return Err(Failure::invalid(miette!(
                help = "destroy it with the environment, or take its airgap: tags off, first",
                "{} is {} in environment {}; it cannot also be {physical}",
                args.addr,
                c.physical_id,
                target.env
            )))
        }
        None => {}
    }
    let tagged = airgap_aws::adopt::tag(aws.0, aws.1, physical, &target.env, id.as_str())
        .await
        .map_err(|e| Failure::failed(miette!("adopt {}: {e}", args.addr)))?;
    let after = match plan::make(target, PlanMode::Apply).await {
        Ok(p) => p,
        Err(e) => {
            take_back(aws, physical, &tagged).await;
            return Err(e);
        }
    };
    let planned = after.nodes.iter().find(|n| &n.id == id);
    let refusal = match planned {
        None => Some("it is not in the plan (a bug)".to_string()),
        Some(n) if n.current.as_ref().map(|c| c.physical_id.as_str()) != Some(physical) => {
            Some(format!(
                "tagged, it is still not found as {}'s resource in account {} ({}): is it there?",
                args.addr, n.scope.account, n.scope.region
            ))
        }
        Some(n) => match &n.action {
            Action::Replace { changes, .. } if !args.force => {
                let fields: Vec<String> = changes
                    .iter()
                    .filter(|c| c.forces_replacement)
                    .map(|c| c.field.clone())
                    .collect();
                Some(format!(
                    "the blueprint would replace it (delete it and make another): {} differ{}",
                    fields.join(", "),
                    if fields.len() == 1 { "s" } else { "" }
                ))
            }
            _ => None,
        },
    };
    if let Some(why) = refusal {
        take_back(aws, physical, &tagged).await;
        return Err(Failure::failed(miette!(
            help = "change the blueprint to match it (or pass --force to let apply replace it)",
            "{physical} was not adopted as {}: {why}; its tags are as they were",
            args.addr
        )));
    }
    out(&render::plan_with(&after, None, &plan::style(target)));
    out(&format!(
        "\nAdopted {physical} as {} of environment {}: plan and apply manage it from now on, \
         and destroy deletes it with the environment.\n",
        args.addr, target.env
    ));
    Ok(ExitStatus::Success)
}

/// Puts the resource's tags back as they were; a failure to is said, not hidden.
async fn take_back(aws: Aws<'_>, physical: &str, tagged: &airgap_aws::adopt::Tagged) {
    if let Err(e) = airgap_aws::adopt::untag(aws.0, aws.1, physical, tagged).await {
        eprintln!("warning: the airgap: tags given to {physical} could not be taken back: {e}");
    }
}
