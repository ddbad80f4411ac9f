//! `airgapctl show`: what exists of the environment, found by its tags: every
//! declared resource with its AWS id (or `(missing)`), then anything tagged with the
//! env that the blueprint no longer declares.

use std::fmt::Write;

use airgap_engine::{Action, PlanMode};
use serde_json::json;

use super::{out, plan, Target};
use crate::cli::{Global, Output, ShowArgs};
use crate::exit::{CmdResult, ExitStatus};

pub async fn run(args: &ShowArgs, global: &Global) -> CmdResult {
    let target = Target::resolve(&args.source, global).await?;
    let plan = plan::make(&target, PlanMode::Apply).await?;
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
