//! Text rendering of plans, events and reports. Pure functions (value in, String
//! out) so that every format is snapshot-tested without running anything.

use std::collections::BTreeMap;
use std::fmt::Write;

use airgap_engine::plan::Summary;
use airgap_engine::{
    Action, Event, FieldChange, Op, Outcome, Plan, PlanMode, ReadinessFigures, Report, Value,
};

/// `n` and the noun, singular for one ("1 cluster", "2 clusters", "0 clusters").
pub fn count(n: impl Into<u64>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// [`count`] for a count held in a `usize`.
pub fn count_of(n: usize, singular: &str, plural: &str) -> String {
    count(n as u64, singular, plural)
}

/// The Terraform-like diff: one block per changed node, then the summary line.
/// Unchanged nodes are left out; nodes are sorted by id so related ones sit together.
pub fn plan(plan: &Plan) -> String {
    plan_with(plan, None)
}

/// [`plan`] with one more line just before the summary line (`plan`'s monthly cost
/// change), so the summary stays the last line.
pub fn plan_with(plan: &Plan, before_summary: Option<&str>) -> String {
    let mut out = String::new();
    let mut nodes: Vec<_> = plan.nodes.iter().filter(|n| n.action != Action::NoOp).collect();
    nodes.sort_by(|a, b| a.id.cmp(&b.id));
    for n in &nodes {
        let _ = writeln!(out, "{:>3} {} ({}, {})", n.action.symbol(), n.id, n.kind, n.scope);
        match &n.action {
            Action::Update { changes } | Action::Replace { changes, .. } => {
                for c in changes {
                    out.push_str(&field_change(c));
                }
            }
            Action::Await { outputs } => {
                let _ = writeln!(
                    out,
                    "      (exists, not ready yet: waits for {} before its dependents)",
                    outputs.join(", ")
                );
            }
            Action::NoOp | Action::Create | Action::Delete => {}
        }
    }
    if !nodes.is_empty() {
        out.push('\n');
    }
    if let Some(line) = before_summary {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&summary_line(&plan.summary(), plan.mode));
    out.push('\n');
    for (node, why) in &plan.refused {
        out.push_str(&format!("Refused: {node}: {why}\n"));
    }
    out
}

fn field_change(c: &FieldChange) -> String {
    let old = c.old.as_ref().map_or_else(|| "(unset)".to_string(), |v| v.to_string());
    let forces = if c.forces_replacement { " # forces replacement" } else { "" };
    let mut out = format!("      {}: {old} -> {}{forces}\n", c.field, c.new);
    out.push_str(&list_delta(c.old.as_ref(), &c.new));
    out
}

/// For a list that kept some of its members (an allowlist, subnets), what was added
/// and removed, one per line; nothing when the lists share no member (the line above
/// says it all) or the change is only one of order.
fn list_delta(old: Option<&Value>, new: &Value) -> String {
    let (Some(Value::List(old)), Value::List(new)) = (old, new) else {
        return String::new();
    };
    let added: Vec<&Value> = new.iter().filter(|v| !old.contains(v)).collect();
    let removed: Vec<&Value> = old.iter().filter(|v| !new.contains(v)).collect();
    let kept = new.iter().any(|v| old.contains(v));
    let mut out = String::new();
    if kept {
        for v in added {
            let _ = writeln!(out, "        + {v}");
        }
        for v in removed {
            let _ = writeln!(out, "        - {v}");
        }
    }
    out
}

pub fn summary_line(s: &Summary, mode: PlanMode) -> String {
    if s.create + s.update + s.replace + s.delete + s.wait == 0 {
        return match mode {
            PlanMode::Apply => "No changes. The environment matches the blueprint.".into(),
            PlanMode::Destroy => "No changes. The environment has no resources.".into(),
        };
    }
    let wait = if s.wait > 0 { format!(" {} to wait for.", s.wait) } else { String::new() };
    format!(
        "Plan: {} to add, {} to change, {} to replace, {} to destroy.{wait}",
        s.create, s.update, s.replace, s.delete
    )
}

/// What destroy asks confirmation for: how many resources per account and kind.
pub fn destroy_counts(plan: &Plan) -> String {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for n in plan.nodes.iter().filter(|n| n.action == Action::Delete) {
        *counts.entry((n.scope.account.as_str(), n.kind.as_str())).or_default() += 1;
    }
    let mut out = String::new();
    if counts.is_empty() {
        out.push_str(&summary_line(&plan.summary(), plan.mode));
        out.push('\n');
        return out;
    }
    let width = counts.keys().map(|(_, k)| k.len()).max().unwrap_or(0);
    let mut last_account = "";
    for ((account, kind), n) in &counts {
        if *account != last_account {
            let total: usize =
                counts.iter().filter(|((a, _), _)| a == account).map(|(_, n)| n).sum();
            let noun = if total == 1 { "resource" } else { "resources" };
            let _ = writeln!(out, "Account {account}: {total} {noun}");
            last_account = account;
        }
        let _ = writeln!(out, "  - {kind:<width$} {n:>4}");
    }
    out.push('\n');
    out.push_str(&summary_line(&plan.summary(), plan.mode));
    out.push('\n');
    out
}

/// Observe calls by `kind:operation`, for `plan --stats`.
pub fn stats(observations: usize, calls: &BTreeMap<String, u64>) -> String {
    let total: u64 = calls.values().sum();
    let head = format!(
        "Observe: {} (kinds x scopes), {}\n",
        count_of(observations, "batch", "batches"),
        count(total, "API call", "API calls")
    );
    call_table(head, calls)
}

/// Every API call a command made, for `apply --stats` and `destroy --stats`.
pub fn calls(calls: &BTreeMap<String, u64>) -> String {
    let total: u64 = calls.values().sum();
    call_table(format!("API calls: {total}\n"), calls)
}

/// `head`, then one aligned line per call and its count.
fn call_table(mut out: String, calls: &BTreeMap<String, u64>) -> String {
    let width = calls.keys().map(String::len).max().unwrap_or(0);
    for (call, n) in calls {
        let _ = writeln!(out, "  {call:<width$} {n:>6}");
    }
    out
}

/// How a run waited for resources, for `--stats`.
pub fn readiness(r: &ReadinessFigures) -> String {
    format!(
        "Readiness: {} for {} ({:.1} calls per resource waited for); \
         seen finished at most {:.1} s late (p50), {:.1} s (p99)\n",
        count(r.calls, "call", "calls"),
        count(r.checks, "check", "checks"),
        r.calls_per_op,
        r.lag_p50_s,
        r.lag_p99_s
    )
}

pub fn op_symbol(op: Op) -> &'static str {
    match op {
        Op::Create => "+",
        Op::Update => "~",
        Op::Delete => "-",
    }
}

fn op_verb(op: Op) -> &'static str {
    match op {
        Op::Create => "creating",
        Op::Update => "updating",
        Op::Delete => "deleting",
    }
}

fn stamp(at_s: f64) -> String {
    format!("[{at_s:>6.1}s]")
}

/// One line per event, for progress on a non-terminal. `None` for events that need
/// no line of their own (the final summary covers the end of the run).
pub fn event_line(e: &Event) -> Option<String> {
    Some(match e {
        Event::RunStarted { operations } => {
            format!("Running {}.", count_of(*operations, "operation", "operations"))
        }
        Event::Started { at_s, node, op, .. } => {
            format!("{} {} {node}: {}", stamp(*at_s), op_symbol(*op), op_verb(*op))
        }
        Event::Waiting { at_s, node, op, status } => {
            format!("{} {} {node}: waiting ({status})", stamp(*at_s), op_symbol(*op))
        }
        Event::Retrying { at_s, node, op, error, after_s } => format!(
            "{} {} {node}: retrying in {after_s:.1}s: {error}",
            stamp(*at_s),
            op_symbol(*op)
        ),
        Event::Done { at_s, node, op, elapsed_s } => {
            format!("{} {} {node}: done in {elapsed_s:.1}s", stamp(*at_s), op_symbol(*op))
        }
        Event::Failed { at_s, node, op, error, .. } => {
            format!("{} {} {node}: FAILED: {error}", stamp(*at_s), op_symbol(*op))
        }
        Event::Skipped { node, op, cause } => {
            format!("[       ] {} {node}: skipped ({cause} failed)", op_symbol(*op))
        }
        Event::Cancelling { at_s, in_flight: 0 } => {
            format!("{} cancelling: no new calls will start", stamp(*at_s))
        }
        Event::Cancelling { at_s, in_flight } => format!(
            "{} cancelling: no new calls will start; waiting for {in_flight} in flight",
            stamp(*at_s)
        ),
        Event::RunFinished { .. } => return None,
    })
}

/// The end-of-run summary. On failure only root causes are listed: dependents that
/// were skipped because of them are counted, not listed.
pub fn report(r: &Report, mode: PlanMode) -> String {
    let verb = match mode {
        PlanMode::Apply => "Apply",
        PlanMode::Destroy => "Destroy",
    };
    let done_of = |op: Op| {
        r.ops.iter().filter(|o| o.op == op && matches!(o.outcome, Outcome::Done { .. })).count()
    };
    let done = format!(
        "{} created, {} updated, {} deleted",
        done_of(Op::Create),
        done_of(Op::Update),
        done_of(Op::Delete)
    );
    let mut out = String::new();
    if r.succeeded() {
        let _ = write!(out, "{verb} complete in {:.1}s: {done}.", r.elapsed_s);
        if r.longest_chain_s > 0.0 {
            let _ = write!(out, " Longest chain of operations: {:.1}s.", r.longest_chain_s);
        }
        out.push('\n');
        return out;
    }
    let failed = r.count(|o| matches!(o, Outcome::Failed { .. }));
    let skipped = r.count(|o| matches!(o, Outcome::Skipped { .. }));
    let interrupted = r.count(|o| matches!(o, Outcome::Interrupted));
    let not_started = r.count(|o| matches!(o, Outcome::NotStarted));
    let how = if r.cancelled { "interrupted" } else { "failed" };
    let _ = write!(out, "{verb} {how} after {:.1}s: {done}", r.elapsed_s);
    for (n, what) in [
        (failed, "failed"),
        (skipped, "skipped"),
        (interrupted, "interrupted"),
        (not_started, "not started"),
    ] {
        if n > 0 {
            let _ = write!(out, ", {n} {what}");
        }
    }
    out.push_str(".\n");
    if failed > 0 {
        out.push_str("\nErrors:\n");
        for o in r.root_causes() {
            if let Outcome::Failed { error, .. } = &o.outcome {
                let _ = writeln!(
                    out,
                    "  {} {} ({}): {}: {error}",
                    op_symbol(o.op),
                    o.node,
                    o.kind,
                    o.op
                );
            }
        }
    }
    if skipped > 0 {
        let _ = writeln!(
            out,
            "{skipped} dependent operation{} skipped because of the errors above.",
            if skipped == 1 { " was" } else { "s were" }
        );
    }
    if r.cancelled && (interrupted + not_started) > 0 {
        out.push_str("Run the command again to continue from where it stopped.\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(items: &[&str]) -> Value {
        Value::List(items.iter().map(|s| Value::str(*s)).collect())
    }

    #[test]
    fn counts_of_one_are_singular() {
        assert_eq!(count_of(1, "cluster", "clusters"), "1 cluster");
        assert_eq!(count_of(0, "cluster", "clusters"), "0 clusters");
        assert_eq!(count(2u64, "batch", "batches"), "2 batches");
        assert_eq!(
            event_line(&Event::RunStarted { operations: 1 }).as_deref(),
            Some("Running 1 operation.")
        );
        let r = ReadinessFigures {
            calls: 1,
            checks: 1,
            calls_per_op: 1.0,
            lag_p50_s: 0.0,
            lag_p99_s: 0.0,
        };
        assert!(readiness(&r).starts_with("Readiness: 1 call for 1 check ("), "{}", readiness(&r));
        let one = BTreeMap::from([("ec2:DescribeVpcs".to_string(), 1u64)]);
        assert!(stats(1, &one).starts_with("Observe: 1 batch (kinds x scopes), 1 API call\n"));
    }

    #[test]
    fn list_changes_name_what_was_added_and_removed() {
        let c = FieldChange {
            field: "domains".into(),
            old: Some(strs(&[".amazonaws.com", "api.partner.example"])),
            new: strs(&["api.partner.example", "registry.example.org"]),
            forces_replacement: false,
        };
        assert_eq!(
            field_change(&c),
            "      domains: [\".amazonaws.com\", \"api.partner.example\"] -> \
             [\"api.partner.example\", \"registry.example.org\"]\n\
             \x20       + \"registry.example.org\"\n\
             \x20       - \".amazonaws.com\"\n"
        );
        // Nothing in common, or only the order changed: the line says it all.
        for (old, new) in [(&["a"][..], &["b"][..]), (&["a", "b"], &["b", "a"])] {
            let c = FieldChange {
                field: "x".into(),
                old: Some(strs(old)),
                new: strs(new),
                forces_replacement: false,
            };
            assert_eq!(field_change(&c).lines().count(), 1);
        }
    }
}
