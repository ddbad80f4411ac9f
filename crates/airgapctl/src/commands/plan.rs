//! `airgapctl plan`: what apply (or destroy) would change.

use std::collections::HashSet;

use airgap_engine::{NodeId, Plan, PlanError, PlanMode};
use miette::miette;

use super::cost::money;
use super::{out, Target};
use crate::cli::{Global, Output, PlanArgs, Scenario, Source};
use crate::exit::{CmdResult, ExitStatus, Failure};
use crate::planfile::{PlanFile, Resources};
use crate::{planview, render};

/// Observes the environment and plans it.
/// An existing transit gateway the blueprint names must exist in the hub account and
/// leave attachments to the environment's own route tables; said before anything is
/// created, with where the blueprint names it. A destroy never reads it: the environment
/// never owned it.
async fn check_existing_tgw(target: &Target) -> Result<(), Failure> {
    let (Some(span), crate::commands::Backend::Aws(provider)) = (&target.span, &target.backend)
    else {
        return Ok(());
    };
    let Some(tgw) = &span.existing_tgw else {
        return Ok(());
    };
    let hub = airgap_engine::Scope::new(span.hub_account.clone(), span.region.clone());
    let found = provider
        .check_existing_transit_gateway(&hub, &tgw.id, tgw.auto_accept)
        .await
        .map_err(|e| {
            Failure::failed(miette!(
                "{}: cannot read the transit gateway {}: {}: {}",
                tgw.at,
                tgw.id,
                e.code,
                e.message
            ))
        })?;
    if found.is_empty() {
        return Ok(());
    }
    let mut text =
        format!("{}: hub.transitGateway.id {} cannot be used by this environment:", tgw.at, tgw.id);
    for m in &found {
        text.push_str(&format!("\n  - {}\n    fix: {}", m.what, m.fix));
    }
    Err(Failure::invalid(miette!("{text}")))
}

pub async fn make(target: &Target, mode: PlanMode) -> Result<Plan, Failure> {
    if mode == PlanMode::Apply {
        let today = airgap_aws::lock::rfc3339(airgap_aws::lock::now_ms());
        for w in retired_versions(&target.graph, &today[..10]) {
            eprintln!("warning: {w}");
        }
        check_existing_tgw(target).await?;
    }
    let extra = target.extra_scopes();
    let replace = replaced(target, mode)?;
    let mut plan = airgap_engine::plan_replacing(
        &target.env,
        &target.graph,
        &target.registry,
        mode,
        &extra,
        &replace,
    )
    .await
    .map_err(|e| match e {
        PlanError::UnknownKind { .. } => Failure::failed(miette!(
            help = "this blueprint needs a resource kind the AWS provider does not \
                    implement yet; remove that part of the blueprint or use --simulate",
            "planning failed: {e}"
        )),
        e => Failure::failed(miette!("planning failed: {e}")),
    })?;
    let targets = &target.selection.target;
    if !targets.is_empty() {
        let mut keep = Vec::new();
        for addr in targets {
            let found = plan.addressed(addr);
            if found.is_empty() {
                let ids = plan.nodes.iter().map(|n| n.id.as_str());
                return Err(unknown_address("--target", addr, ids));
            }
            keep.extend(found);
        }
        let before = plan.nodes.len();
        plan.restrict(&keep);
        // As Terraform says it: a targeted plan is for exceptional cases.
        if !target.selection.quiet {
            eprintln!(
                "warning: --target: the plan covers {} of {before} resources; the others may \
             have changes it does not show",
                plan.nodes.len()
            );
        }
    }
    Ok(plan)
}

/// The nodes `--replace` names, each an exact address of the declared graph.
fn replaced(target: &Target, mode: PlanMode) -> Result<HashSet<NodeId>, Failure> {
    let mut out = HashSet::new();
    if target.selection.replace.is_empty() {
        return Ok(out);
    }
    if mode == PlanMode::Destroy {
        return Err(Failure::invalid(miette!("--replace replaces in an apply; a destroy deletes")));
    }
    for addr in &target.selection.replace {
        let id = NodeId::from(addr.as_str());
        if target.graph.get(&id).is_none() {
            let ids = target.graph.nodes().map(|n| n.id.as_str());
            return Err(unknown_address("--replace", addr, ids));
        }
        out.insert(id);
    }
    Ok(out)
}

/// An address that names nothing: exit 3, with the closest ones.
pub fn unknown_address<'a>(flag: &str, addr: &str, ids: impl Iterator<Item = &'a str>) -> Failure {
    let ids: Vec<&str> = ids.collect();
    let near = super::similar(addr, ids.iter().copied());
    let help = if near.is_empty() {
        "`airgapctl graph -f FILE` lists the addresses".to_string()
    } else {
        format!("did you mean {}?", near.join(", "))
    };
    Failure::invalid(miette!(help = help, "{flag} {addr}: the environment has no such resource"))
}

/// Clusters asked for a Kubernetes version EKS no longer runs on `today` (YYYY-MM-DD):
/// CreateCluster refuses it, and EKS upgrades a cluster still on it by itself. A warning,
/// not a refusal: `validate` cannot know the date, and an existing cluster can still be
/// planned, upgraded and destroyed.
fn retired_versions(graph: &airgap_engine::Graph, today: &str) -> Vec<String> {
    graph
        .nodes()
        .filter(|n| n.kind == "eks-cluster")
        .filter_map(|n| {
            let v = n.attrs.get("version")?.as_str()?;
            let end = airgap_catalog::k8s::end_of_support(v)?;
            (end < today).then(|| {
                format!(
                    "{}: EKS ended support for Kubernetes {v} on {end}; CreateCluster refuses \
                     it and EKS upgrades clusters still on it. Set a newer version.",
                    n.id
                )
            })
        })
        .collect()
}

pub async fn run(args: &PlanArgs, global: &Global) -> CmdResult {
    let output = global.output;
    let mut target = Target::resolve(&args.source, global).await?;
    target.selection = args.select.clone();
    let mode = if args.destroy { PlanMode::Destroy } else { PlanMode::Apply };
    let plan = make(&target, mode).await?;
    match output {
        Output::Text => {
            out(&render::plan_with(&plan, cost_change(&plan).as_deref(), &style(&target)))
        }
        Output::Json => {
            let doc = planview::document(&plan, &target.account_names);
            out(&format!("{}\n", serde_json::to_string_pretty(&doc).expect("plans serialize")))
        }
    }
    if let Some(path) = &args.out {
        let provider = crate::planfile::ProviderRef::of(
            args.source.simulate.is_some(),
            global.endpoint_url.as_ref(),
        );
        PlanFile::new(&plan, &resources(&args.source, &target), provider)
            .with_selection(&args.select)
            .write(path)?;
        if output == Output::Text {
            let mut cmd = format!("airgapctl apply {}", path.display());
            if args.source.simulate.is_some() {
                cmd.push_str(" --simulate");
            }
            if let Some(state) = &args.source.sim_state {
                cmd.push_str(&format!(" --sim-state {}", state.display()));
            }
            out(&format!(
                "\nSaved the plan to {}. To apply exactly this plan, run:\n    {cmd}\n",
                path.display()
            ));
        }
    }
    if args.stats {
        let stats = render::stats(plan.observations, &target.calls());
        // JSON output stays a single document; the stats go beside it.
        match output {
            Output::Text => out(&format!("\n{stats}")),
            Output::Json => eprint!("{stats}"),
        }
    }
    Ok(if args.detailed_exitcode && plan.has_changes() {
        ExitStatus::Changes
    } else {
        ExitStatus::Success
    })
}

/// How `target`'s plans are shown on stdout: coloured as decided at start, with the
/// blueprint's account names.
pub fn style(target: &Target) -> render::PlanStyle {
    render::PlanStyle { color: super::color(), account_names: target.account_names.clone() }
}

/// The plan's monthly cost change (docs/cost.md), for the region's shipped prices;
/// nothing when the plan changes nothing or no snapshot ships for the region.
fn cost_change(plan: &Plan) -> Option<String> {
    if !plan.has_changes() {
        return None;
    }
    let region = &plan.nodes.first()?.scope.region;
    let prices = airgap_cost::Prices::shipped(region).ok()?;
    let c = airgap_cost::plan_cost(plan, &prices);
    let sign = if c.change() >= 0.005 { "+" } else { "" };
    let unread = match c.unread {
        0 => String::new(),
        n => format!(
            "; {} whose attributes could not be read {} left out",
            crate::render::count_of(n, "resource", "resources"),
            if n == 1 { "is" } else { "are" }
        ),
    };
    Some(format!(
        "Monthly cost change: {sign}{} ({} -> {} a month, traffic aside{unread}; `airgapctl cost \
         -f FILE` gives the lines).",
        money(c.change()),
        money(c.before),
        money(c.after),
    ))
}

/// Where `target`'s resources came from, as a saved plan records it.
fn resources(source: &Source, target: &Target) -> Resources {
    match (source.file.is_empty(), target.blueprint_hash) {
        (false, Some(hash)) => {
            Resources::Blueprint { paths: source.file.clone(), sets: source.set.clone(), hash }
        }
        _ => Resources::Scenario(source.simulate.flatten().unwrap_or(Scenario::HubSpoke)),
    }
}
