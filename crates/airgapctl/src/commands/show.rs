//! `airgapctl show`: what exists of the environment, found by its tags: every
//! declared resource with its AWS id (or `(missing)`), then anything tagged with the
//! env that the blueprint no longer declares. `show ADDR`: one resource, its desired
//! and observed attributes and its outputs.

use std::fmt::Write;

use airgap_engine::{Action, Attrs, PlanMode, PlannedNode};
use miette::miette;
use serde_json::json;

use super::{out, plan, similar, Target};
use crate::cli::{Global, Output, ShowArgs};
use crate::exit::{CmdResult, ExitStatus, Failure};

pub async fn run(args: &ShowArgs, global: &Global) -> CmdResult {
    let target = Target::resolve(&args.source, global).await?;
    let plan = plan::make(&target, PlanMode::Apply).await?;
    if let Some(addr) = &args.addr {
        let Some(node) = plan.nodes.iter().find(|n| n.id.as_str() == addr) else {
            let near = similar(addr, plan.nodes.iter().map(|n| n.id.as_str()));
            let help = if near.is_empty() {
                "`airgapctl show` (with the same -f or --simulate) lists every resource".into()
            } else {
                format!("did you mean {}?", near.join(", "))
            };
            return Err(Failure::invalid(miette!(
                help = help,
                "environment {} has no resource {addr}",
                target.env
            )));
        };
        one(node, global.output);
        return Ok(ExitStatus::Success);
    }
    let mut rows: Vec<_> = plan
        .nodes
        .iter()
        .map(|n| {
            let declared = !matches!(n.action, Action::Delete);
            (
                n.id.to_string(),
                n.kind.clone(),
                n.scope.account.clone(),
                n.current.as_ref().map(|c| c.physical_id.clone()),
                declared,
            )
        })
        .collect();
    rows.sort();
    match global.output {
        Output::Json => {
            let items: Vec<_> = rows
                .iter()
                .map(|(id, kind, account, physical, declared)| {
                    json!({ "id": id, "kind": kind, "account": account,
                            "physical_id": physical, "declared": declared })
                })
                .collect();
            out(&format!("{}\n", serde_json::to_string_pretty(&items).expect("rows serialize")));
        }
        Output::Text => {
            let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
            let k = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
            let mut text = String::new();
            let exists = rows.iter().filter(|r| r.3.is_some()).count();
            let _ = writeln!(
                text,
                "Environment {}: {exists} of {} declared resources exist.\n",
                target.env,
                rows.iter().filter(|r| r.4).count()
            );
            for (id, kind, account, physical, declared) in &rows {
                let phys = physical.as_deref().unwrap_or("(missing)");
                let note = if *declared { "" } else { "  (not declared)" };
                let _ = writeln!(text, "  {id:<w$}  {kind:<k$}  {account}  {phys}{note}");
            }
            out(&text);
        }
    }
    Ok(ExitStatus::Success)
}

/// What the plan would do to it, in words.
fn action_text(a: &Action) -> &'static str {
    match a {
        Action::NoOp => "none (matches the blueprint)",
        Action::Create => "create (does not exist)",
        Action::Update { .. } => "update in place",
        Action::Replace { .. } => "replace",
        Action::Delete => "delete (no longer declared)",
        Action::Await { .. } => "wait for it (not ready yet)",
    }
}

fn one(n: &PlannedNode, output: Output) {
    let current = n.current.as_ref();
    match output {
        Output::Json => {
            let doc = json!({
                "id": n.id.as_str(),
                "kind": n.kind,
                "scope": n.scope,
                "declared": !matches!(n.action, Action::Delete),
                "physical_id": current.map(|c| &c.physical_id),
                "action": n.action,
                "desired": n.desired,
                "observed": current.map(|c| &c.attrs),
                "outputs": current.map(|c| &c.outputs),
                "parents": current.map(|c| &c.parents),
            });
            out(&format!("{}\n", serde_json::to_string_pretty(&doc).expect("a node serializes")));
        }
        Output::Text => {
            let mut text = String::new();
            let _ = writeln!(text, "{} ({})", n.id, n.kind);
            let phys = current.map_or("(missing)", |c| c.physical_id.as_str());
            let _ = writeln!(text, "  account      {}", n.scope.account);
            let _ = writeln!(text, "  region       {}", n.scope.region);
            let _ = writeln!(text, "  physical id  {phys}");
            let _ = writeln!(text, "  plan         {}", action_text(&n.action));
            section(&mut text, "Desired", n.desired.as_ref());
            section(&mut text, "Observed", current.map(|c| &c.attrs));
            section(&mut text, "Outputs", current.map(|c| &c.outputs));
            if let Some(parents) = current.map(|c| &c.parents).filter(|p| !p.is_empty()) {
                let _ = writeln!(text, "\nDepends on\n  {}", parents.join(", "));
            }
            out(&text);
        }
    }
}

/// `title` and one `key = value` line per attribute; `(none)` when there is no such
/// side (an undeclared resource has no desired state, a missing one no observed).
fn section(text: &mut String, title: &str, attrs: Option<&Attrs>) {
    let _ = writeln!(text, "\n{title}");
    match attrs {
        None => {
            let _ = writeln!(text, "  (none)");
        }
        Some(attrs) => {
            let w = attrs.keys().map(String::len).max().unwrap_or(0);
            for (k, v) in attrs {
                let _ = writeln!(text, "  {k:<w$} = {v}");
            }
        }
    }
}
