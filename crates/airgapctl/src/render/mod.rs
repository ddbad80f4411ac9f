//! Text rendering of plans, events and reports. Pure functions (value in, String
//! out) so that every format is snapshot-tested without running anything.

use std::collections::BTreeMap;
use std::fmt::Write;

use airgap_engine::plan::Summary;
use airgap_engine::{
    Action, Event, FieldChange, Op, Outcome, Plan, PlanMode, PlannedNode, ReadinessFigures, Report,
    Scope, Value,
};

use crate::planview::{self, Counts};

mod values;

use values::{attributes, json_document};

/// `n` and the noun, singular for one ("1 cluster", "2 clusters", "0 clusters").
pub fn count(n: impl Into<u64>, singular: &str, plural: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { singular } else { plural })
}

/// [`count`] for a count held in a `usize`.
pub fn count_of(n: usize, singular: &str, plural: &str) -> String {
    count(n as u64, singular, plural)
}

/// How a plan is shown, decided by the caller so that rendering stays pure and its
/// snapshots plain: colour (a terminal, no `NO_COLOR`, no `--no-color`) and the
/// blueprint's account names, by account id.
#[derive(Clone, Debug, Default)]
pub struct PlanStyle {
    pub color: bool,
    pub account_names: BTreeMap<String, String>,
}

/// ANSI colour, or nothing.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    const GREEN: &'static str = "32";
    const YELLOW: &'static str = "33";
    const RED: &'static str = "31";
    const MAGENTA: &'static str = "35";
    const CYAN: &'static str = "36";
    const BOLD: &'static str = "1";

    fn paint(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn action(self, action: &Action, text: &str) -> String {
        let code = match action {
            Action::Create => Self::GREEN,
            Action::Update { .. } => Self::YELLOW,
            Action::Replace { .. } => Self::MAGENTA,
            Action::Delete => Self::RED,
            Action::Await { .. } => Self::CYAN,
            Action::NoOp => return text.to_string(),
        };
        self.paint(code, text)
    }
}

/// The Terraform-like diff, plain: see [`plan_with`].
pub fn plan(plan: &Plan) -> String {
    plan_with(plan, None, &PlanStyle::default())
}

/// The Terraform-like diff: the changed nodes grouped by account, then by VPC, each
/// node a block (a create with its attributes, an update or replacement with the changed
/// fields, a delete with its physical id); then the changes counted per account and kind,
/// `before_summary` (`plan`'s monthly cost change) and the summary line, which stays the
/// last line whatever comes before it (scripts and tests read it there). Node header
/// lines keep the form `{symbol} {id} ({kind}, {account}/{region})` starting the line,
/// so that they can be grepped whatever group they are in.
pub fn plan_with(plan: &Plan, before_summary: Option<&str>, style: &PlanStyle) -> String {
    let paint = Paint(style.color);
    let mut out = String::new();
    let groups = planview::groups(plan, &style.account_names);
    for g in &groups {
        let _ = writeln!(out, "{}\n", paint.paint(Paint::BOLD, &account_title(g.scope, g.name)));
        for n in &g.nodes {
            node_block(&mut out, n, paint);
        }
        for (vpc, nodes) in &g.vpcs {
            let _ = writeln!(out, "  {}\n", paint.paint(Paint::BOLD, &format!("VPC {vpc}:")));
            for n in nodes {
                node_block(&mut out, n, paint);
            }
        }
    }
    if !groups.is_empty() {
        out.push_str(&counts_tables(plan, &groups));
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

/// `Account main (111111111111/eu-central-1):`, or without a name when the blueprint's
/// is not known (a scenario, an undeclared account).
fn account_title(scope: &Scope, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("Account {name} ({scope}):"),
        None => format!("Account {scope}:"),
    }
}

/// One node: its header line, what changes, and a blank line.
fn node_block(out: &mut String, n: &PlannedNode, paint: Paint) {
    let symbol = paint.action(&n.action, &format!("{:>3}", n.action.symbol()));
    let _ = writeln!(out, "{symbol} {} ({}, {})", n.id, n.kind, n.scope);
    match &n.action {
        Action::Create => {
            if let Some(desired) = &n.desired {
                let declared = n.declared.as_ref().map(|d| &d.attrs);
                out.push_str(&attributes(desired, declared));
            }
        }
        Action::Update { changes } | Action::Replace { changes, .. } => {
            for c in changes {
                out.push_str(&field_change(c, paint));
            }
        }
        Action::Delete => {
            if let Some(current) = &n.current {
                let _ = writeln!(out, "      physical id: {}", current.physical_id);
            }
        }
        Action::Await { outputs } => {
            let _ = writeln!(
                out,
                "      (exists, not ready yet: waits for {} before its dependents)",
                outputs.join(", ")
            );
        }
        Action::NoOp => {}
    }
    out.push('\n');
}

/// The changes counted per account and per kind, as two aligned tables; a column
/// for waits only when something is waited for.
fn counts_tables(plan: &Plan, groups: &[planview::AccountGroup<'_>]) -> String {
    let by_kind = planview::by_kind(plan);
    let waits = groups.iter().any(|g| g.counts.wait > 0);
    let accounts: Vec<(String, Counts)> = groups
        .iter()
        .map(|g| {
            let label = match g.name {
                Some(name) => format!("{name} ({})", g.scope),
                None => g.scope.to_string(),
            };
            (label, g.counts)
        })
        .collect();
    let width = accounts
        .iter()
        .map(|(label, _)| label.len())
        .chain(by_kind.keys().map(|k| k.len()))
        .max()
        .unwrap_or(0)
        .max("By account".len());
    let mut out = String::new();
    let head = |out: &mut String, title: &str| {
        let _ = write!(
            out,
            "{title:<w$}  {:>6} {:>6} {:>7} {:>7}",
            "add",
            "change",
            "replace",
            "destroy",
            w = width + 2
        );
        if waits {
            out.push_str("    wait");
        }
        out.push('\n');
    };
    let row = |out: &mut String, label: &str, c: &Counts| {
        let _ = write!(
            out,
            "  {label:<width$}  {:>6} {:>6} {:>7} {:>7}",
            c.create, c.update, c.replace, c.delete
        );
        if waits {
            let _ = write!(out, " {:>7}", c.wait);
        }
        out.push('\n');
    };
    head(&mut out, "By account");
    for (label, c) in &accounts {
        row(&mut out, label, c);
    }
    head(&mut out, "By kind");
    for (kind, c) in &by_kind {
        row(&mut out, kind, c);
    }
    out
}

fn field_change(c: &FieldChange, paint: Paint) -> String {
    let old = c.old.as_ref().map_or_else(|| "(unset)".to_string(), |v| v.to_string());
    let forces = if c.forces_replacement {
        format!(" {}", paint.paint(Paint::RED, "# forces replacement"))
    } else {
        String::new()
    };
    if let Some(diff) = json_delta(c.old.as_ref(), &c.new, paint) {
        return format!("      {}: JSON document changed{forces}\n{diff}", c.field);
    }
    let mut out = format!("      {}: {old} -> {}{forces}\n", c.field, c.new);
    out.push_str(&list_delta(c.old.as_ref(), &c.new, paint));
    out
}

/// Lines compared beyond this many pairs are not diffed (the change shows as old -> new).
const MAX_DIFF_CELLS: usize = 1 << 20;

/// Two JSON documents (a policy before and after) as one pretty-printed document, each
/// line marked unchanged, `-` removed or `+` added: one line of a policy on one line of
/// the plan, where the one-line strings would hide which statement changed. `None`
/// when either side is not a JSON document, or they are too long to compare.
fn json_delta(old: Option<&Value>, new: &Value, paint: Paint) -> Option<String> {
    let (Some(Value::Str(old)), Value::Str(new)) = (old, new) else { return None };
    let pretty = |s: &str| {
        json_document(s).map(|d| serde_json::to_string_pretty(&d).expect("JSON values serialize"))
    };
    let (old, new) = (pretty(old)?, pretty(new)?);
    let (old, new): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    if (old.len() + 1) * (new.len() + 1) > MAX_DIFF_CELLS {
        return None;
    }
    let mut out = String::new();
    for (mark, line) in line_diff(&old, &new) {
        let mark = match mark {
            '-' => paint.paint(Paint::RED, "-"),
            '+' => paint.paint(Paint::GREEN, "+"),
            _ => " ".to_string(),
        };
        let _ = writeln!(out, "        {mark} {line}");
    }
    Some(out)
}

/// A shortest line diff (longest common subsequence): each line with ' ', '-' or '+'.
fn line_diff<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(char, &'a str)> {
    let (n, m) = (old.len(), new.len());
    // common[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut common = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n.max(m));
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            out.push((' ', old[i]));
            (i, j) = (i + 1, j + 1);
        } else if j == m || (i < n && common[i + 1][j] >= common[i][j + 1]) {
            out.push(('-', old[i]));
            i += 1;
        } else {
            out.push(('+', new[j]));
            j += 1;
        }
    }
    out
}

/// For a list that kept some of its members (an allowlist, subnets), what was added
/// and removed, one per line; nothing when the lists share no member (the line above
/// says it all) or the change is only one of order.
fn list_delta(old: Option<&Value>, new: &Value, paint: Paint) -> String {
    let (Some(Value::List(old)), Value::List(new)) = (old, new) else {
        return String::new();
    };
    let added: Vec<&Value> = new.iter().filter(|v| !old.contains(v)).collect();
    let removed: Vec<&Value> = old.iter().filter(|v| !new.contains(v)).collect();
    let kept = new.iter().any(|v| old.contains(v));
    let mut out = String::new();
    if kept {
        for v in added {
            let _ = writeln!(out, "        {} {v}", paint.paint(Paint::GREEN, "+"));
        }
        for v in removed {
            let _ = writeln!(out, "        {} {v}", paint.paint(Paint::RED, "-"));
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
    fn a_changed_policy_shows_the_lines_that_changed() {
        let c = FieldChange {
            field: "policy".into(),
            old: Some(Value::str(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#,
            )),
            new: Value::str(
                r#"{"Statement":[{"Action":"s3:GetObject","Effect":"Allow"}],"Version":"2012-10-17"}"#,
            ),
            forces_replacement: false,
        };
        assert_eq!(
            field_change(&c, Paint(false)),
            "      policy: JSON document changed\n\
             \x20         {\n\
             \x20           \"Statement\": [\n\
             \x20             {\n\
             \x20       -       \"Action\": \"s3:*\",\n\
             \x20       +       \"Action\": \"s3:GetObject\",\n\
             \x20               \"Effect\": \"Allow\"\n\
             \x20             }\n\
             \x20           ],\n\
             \x20           \"Version\": \"2012-10-17\"\n\
             \x20         }\n"
        );
        // A string that is not JSON keeps the one-line form.
        let c = FieldChange {
            field: "description".into(),
            old: Some(Value::str("{old")),
            new: Value::str("{new"),
            forces_replacement: true,
        };
        assert_eq!(
            field_change(&c, Paint(false)),
            "      description: \"{old\" -> \"{new\" # forces replacement\n"
        );
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
            field_change(&c, Paint(false)),
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
            assert_eq!(field_change(&c, Paint(false)).lines().count(), 1);
        }
    }
}
