//! A create's attributes as the plan shows them: `name = value` lines, long lists and maps
//! spread over lines, policy documents pretty-printed in `jsonencode(...)` form, unknown
//! values with the output they will come from.

use std::fmt::Write;

use airgap_engine::{Attrs, Value};

use crate::planview;

/// Indent of an attribute line under its node's header.
const ATTR_INDENT: usize = 6;
/// Lists longer than this show their first items and a count of the rest.
const MAX_ITEMS: usize = 25;
/// Lists and maps whose one-line form is longer than this are spread over lines.
const INLINE_WIDTH: usize = 60;

/// A create's desired attributes, one `name = value` line each (names aligned), values
/// still unknown as `(known after apply)` followed by the output they come from when the
/// declared node says.
pub(super) fn attributes(desired: &Attrs, declared: Option<&Attrs>) -> String {
    let width = desired.keys().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in desired {
        let decl = declared.and_then(|d| d.get(k));
        let lines = value_lines(v, decl, ATTR_INDENT);
        let _ = writeln!(out, "{:ATTR_INDENT$}{k:<width$} = {}", "", lines.join("\n"));
    }
    out
}

/// `v` as text: its first line goes after `name = `; any further lines are indented
/// relative to `indent`, the column of the name.
fn value_lines(v: &Value, declared: Option<&Value>, indent: usize) -> Vec<String> {
    match v {
        Value::Unknown(_) => vec![unknown_text(declared)],
        Value::Str(s) => match json_document(s) {
            Some(doc) => json_lines(&doc, indent),
            None => vec![v.to_string()],
        },
        Value::List(items) => {
            if inline(v, declared) {
                return vec![v.to_string()];
            }
            let pad = " ".repeat(indent + 4);
            let mut lines = vec!["[".to_string()];
            for (i, item) in items.iter().take(MAX_ITEMS).enumerate() {
                let decl = planview::declared_item(declared, i);
                let mut item_lines = value_lines(item, decl, indent + 4);
                comma_after_value(&mut item_lines);
                let first = item_lines.remove(0);
                lines.push(format!("{pad}{first}"));
                lines.extend(item_lines);
            }
            if items.len() > MAX_ITEMS {
                lines.push(format!(
                    "{pad}# ... {} more (`--output json` lists them all)",
                    items.len() - MAX_ITEMS
                ));
            }
            lines.push(format!("{}]", " ".repeat(indent + 2)));
            lines
        }
        Value::Map(m) => {
            if inline(v, declared) {
                return vec![v.to_string()];
            }
            let pad = " ".repeat(indent + 4);
            let width = m.keys().map(String::len).max().unwrap_or(0);
            let mut lines = vec!["{".to_string()];
            for (k, item) in m {
                let decl = planview::declared_entry(declared, k);
                let mut item_lines = value_lines(item, decl, indent + 4);
                let first = item_lines.remove(0);
                lines.push(format!("{pad}{k:<width$} = {first}"));
                lines.extend(item_lines);
            }
            lines.push(format!("{}}}", " ".repeat(indent + 2)));
            lines
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Ref(_) => vec![v.to_string()],
    }
}

/// `(known after apply)`, and the output it will be when the declared value names one.
fn unknown_text(declared: Option<&Value>) -> String {
    match planview::reference(declared) {
        Some(r) => format!("(known after apply) # {}.{}", r.node, r.output),
        None => "(known after apply)".to_string(),
    }
}

/// A list item's comma goes after its value, before a `# comment`.
fn comma_after_value(lines: &mut [String]) {
    let Some(last) = lines.last_mut() else { return };
    match last.find(" # ") {
        Some(at) => last.insert(at, ','),
        None => last.push(','),
    }
}

/// Whether a list or map reads well on one line: short, with no unknown whose source
/// a comment would name, and no JSON document to spread out.
fn inline(v: &Value, declared: Option<&Value>) -> bool {
    fn has_multiline(v: &Value) -> bool {
        match v {
            Value::Str(s) => json_document(s).is_some(),
            Value::List(items) => items.iter().any(has_multiline),
            Value::Map(m) => m.values().any(has_multiline),
            _ => false,
        }
    }
    let names_refs = v.is_unknown() && declared.is_some_and(|d| !d.refs().is_empty());
    !names_refs && !has_multiline(v) && v.to_string().len() <= INLINE_WIDTH
}

/// A string that holds a JSON object or array (a policy document), parsed.
pub(super) fn json_document(s: &str) -> Option<serde_json::Value> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(s)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .map(sorted_keys)
}

/// The document with every object's keys in sorted order: serde_json keeps insertion
/// order when another crate of the build turns on its `preserve_order` feature, and a
/// plan must print (and diff) a policy the same way whatever the build.
fn sorted_keys(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            let mut pairs: Vec<(String, J)> = m.into_iter().collect();
            pairs.sort_by(|a, b| a.0.cmp(&b.0));
            J::Object(pairs.into_iter().map(|(k, v)| (k, sorted_keys(v))).collect())
        }
        J::Array(items) => J::Array(items.into_iter().map(sorted_keys).collect()),
        other => other,
    }
}

/// A JSON document pretty-printed, in Terraform's `jsonencode(...)` form.
fn json_lines(doc: &serde_json::Value, indent: usize) -> Vec<String> {
    let pretty = serde_json::to_string_pretty(doc).expect("JSON values serialize");
    let pad = " ".repeat(indent + 2);
    let mut lines = Vec::new();
    for (i, line) in pretty.lines().enumerate() {
        lines.push(if i == 0 { format!("jsonencode({line}") } else { format!("{pad}{line}") });
    }
    if let Some(last) = lines.last_mut() {
        last.push(')');
    }
    lines
}
