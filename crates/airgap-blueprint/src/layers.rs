//! Overlays: `-f base.yaml -f pr.yaml --set path=value`, one blueprint from several sources.
//!
//! Later files merge over earlier ones as Helm and kustomize users expect: mappings merge
//! key by key, lists and scalars replace, and `null` deletes a key. `--set a.b=value` then
//! sets single values (`value` is YAML: `--set 'x=[a, b]'`), a number indexing a list
//! (`vpcs.0.cidr`). Every node keeps its span, so a problem is reported in the file (or the
//! `--set`) that wrote the value.
//!
//! Spans are offsets into one virtual text, the sources one after the other; a problem is
//! moved back into its own source before it is shown ([`Layers::relocate`]).

use std::collections::HashMap;
use std::sync::Arc;

use miette::{NamedSource, SourceSpan};

use crate::diag::{Code, Diagnostics, Problem, Sink, Source};
use crate::yaml::{self, Kind, Node};

/// One source of a blueprint: a file's name (as diagnostics show it) and text.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The name diagnostics give it (the path, `<stdin>`).
    pub name: String,
    /// Its text.
    pub text: String,
}

/// The name the `--set` values are shown under in diagnostics.
pub const SET_SOURCE: &str = "--set";

/// Where each source sits in the virtual text.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    /// Each source with the offset of its first byte in the virtual text.
    parts: Vec<(Source, usize)>,
}

impl Layers {
    /// The source holding virtual offset `offset`, and the offset in it.
    pub fn find(&self, offset: usize) -> Option<(&Source, usize)> {
        self.parts
            .iter()
            .rev()
            .find(|(_, base)| *base <= offset)
            .map(|(src, base)| (src, offset - base))
    }

    /// True when the blueprint came from one source (offsets are that file's own).
    pub fn is_single(&self) -> bool {
        self.parts.len() <= 1
    }

    /// File name, 1-based line and column of a virtual offset.
    pub fn position(&self, offset: usize) -> Option<(String, usize, usize)> {
        let (src, at) = self.find(offset)?;
        let (line, col) = crate::diag::line_col(src.inner(), at);
        Some((src.name().to_string(), line, col))
    }

    /// `p`, moved into the source its primary label points at.
    pub(crate) fn relocate(&self, p: Problem) -> Problem {
        if self.is_single() {
            return p;
        }
        p.relocate(|offset| self.find(offset).map(|(s, at)| (s.clone(), at)))
    }
}

/// Parses `layers` merged in order, then applies `sets` (`path=value`), and validates the
/// result; the blueprint's [`crate::Blueprint::layers`] say where each source sits. One
/// layer and no settings is exactly [`crate::parse`].
pub fn parse_layers(layers: &[Layer], sets: &[String]) -> Result<crate::Blueprint, Diagnostics> {
    let Some(first) = layers.first() else {
        return Err(Diagnostics::new("<none>", Vec::new()));
    };
    if layers.len() == 1 && sets.is_empty() {
        return crate::parse(&first.name, &first.text);
    }
    let mut virtual_text = String::new();
    let mut parts = Vec::new();
    let mut roots = Vec::new();
    for layer in layers {
        let base = virtual_text.len();
        virtual_text.push_str(&layer.text);
        virtual_text.push('\n');
        let source = NamedSource::new(&layer.name, Arc::new(layer.text.clone()));
        parts.push((source, base));
        match yaml::parse(&layer.text) {
            Ok(Some(mut root)) => {
                shift(&mut root, base);
                roots.push(root);
            }
            // An empty overlay changes nothing; an empty first file is reported below.
            Ok(None) => {}
            Err(e) => return Err(crate::yaml_failure(&layer.name, &layer.text, e)),
        }
    }
    let set_text = sets.join("\n");
    let set_base = virtual_text.len();
    if !sets.is_empty() {
        virtual_text.push_str(&set_text);
        virtual_text.push('\n');
        parts.push((NamedSource::new(SET_SOURCE, Arc::new(set_text.clone())), set_base));
    }
    let layers_at = Layers { parts };
    let name = layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(" + ");

    let mut roots = roots.into_iter();
    let mut root = roots.next();
    for over in roots {
        root = match root {
            Some(base) => merge(base, over),
            None => Some(over),
        };
    }
    let Some(mut root) = root else {
        return crate::parse(&first.name, "");
    };
    let mut set_sink = Sink::new(SET_SOURCE, &set_text);
    let mut offset = 0;
    for line in sets {
        apply_set(&mut root, line, offset, set_base, &mut set_sink);
        offset += line.len() + 1;
    }
    if !set_sink.problems.is_empty() {
        return Err(Diagnostics::from_sink(SET_SOURCE, set_sink));
    }
    crate::parse_root(&name, &virtual_text, root, &layers_at)
}

/// Moves every span of `n`'s tree by `by` bytes.
fn shift(n: &mut Node, by: usize) {
    n.span = SourceSpan::from(n.span.offset() + by..n.span.offset() + by + n.span.len());
    match &mut n.kind {
        Kind::Scalar { .. } => {}
        Kind::Seq(items) => items.iter_mut().for_each(|i| shift(i, by)),
        Kind::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            shift(k, by);
            shift(v, by);
        }),
    }
}

/// `over` merged onto `base`: mappings key by key, everything else replaced; `None` when
/// `over` is null (the key is deleted).
fn merge(base: Node, over: Node) -> Option<Node> {
    if over.is_null() {
        return None;
    }
    match (base.kind, over.kind) {
        (Kind::Map(pairs), Kind::Map(over_pairs)) => {
            // Keys found through an index, not a scan: two files of 100,000 keys each
            // merge in linear time.
            let mut slots: Vec<Option<(Node, Node)>> = pairs.into_iter().map(Some).collect();
            let mut index: HashMap<String, usize> = HashMap::new();
            for (i, slot) in slots.iter().enumerate() {
                if let Some((k, _)) = slot {
                    index.entry(k.scalar().unwrap_or_default().to_string()).or_insert(i);
                }
            }
            for (k, v) in over_pairs {
                let key = k.scalar().unwrap_or_default().to_string();
                match index.get(&key).copied() {
                    Some(i) => {
                        slots[i] = slots[i]
                            .take()
                            .and_then(|(bk, bv)| merge(bv, v).map(|merged| (bk, merged)));
                    }
                    None if v.is_null() => {}
                    None => {
                        index.insert(key, slots.len());
                        slots.push(Some((k, v)));
                    }
                }
            }
            Some(Node { kind: Kind::Map(slots.into_iter().flatten().collect()), span: base.span })
        }
        (_, kind) => Some(Node { kind, span: over.span }),
    }
}

/// Applies one `path=value` line at `line_at` in the `--set` text (`base` in the virtual
/// text) to `root`, reporting what is wrong with it into `sink`.
fn apply_set(root: &mut Node, line: &str, line_at: usize, base: usize, sink: &mut Sink) {
    let whole = SourceSpan::from(line_at..line_at + line.len());
    let Some((path, value_text)) = line.split_once('=') else {
        sink.report(Code::Yaml, whole, format!("--set {line}: no `=`"), "path=value expected")
            .help("write --set path=value, e.g. --set clusters.0.nodeGroups.0.desiredSize=1");
        return;
    };
    let value_at = line_at + path.len() + 1;
    let mut value = match yaml::parse(value_text) {
        Ok(Some(v)) => v,
        Ok(None) => Node {
            kind: Kind::Scalar { text: String::new(), plain: true },
            span: SourceSpan::from(value_at..value_at),
        },
        Err(e) => {
            sink.report(
                Code::Yaml,
                SourceSpan::from(value_at + e.offset..value_at + e.offset),
                format!("--set {path}: the value is not YAML: {}", e.message),
                e.label,
            )
            .help("quote the value for the shell: --set 'path=[a, b]'");
            return;
        }
    };
    shift(&mut value, base + value_at);
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        sink.report(
            Code::Yaml,
            SourceSpan::from(line_at..line_at + path.len()),
            format!("--set {path}: an empty key in the path"),
            "here",
        )
        .help("keys are separated by single dots: a.b.c");
        return;
    }
    let path_span = SourceSpan::from(line_at..line_at + path.len());
    if let Err(msg) = set_at(root, &segments, value) {
        sink.report(Code::Yaml, path_span, format!("--set {path}: {msg}"), "this path")
            .help("the path names keys of mappings and 0-based positions in lists");
    }
}

/// Sets (or with a null value, deletes) the node at `path` under `node`; missing mapping
/// keys are created, list positions must exist.
fn set_at(node: &mut Node, path: &[&str], value: Node) -> Result<(), String> {
    let (first, rest) = path.split_first().ok_or("an empty path")?;
    match &mut node.kind {
        Kind::Map(pairs) => {
            let i = pairs.iter().position(|(k, _)| k.scalar() == Some(first));
            if rest.is_empty() {
                match (i, value.is_null()) {
                    (Some(i), true) => {
                        pairs.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => pairs[i].1 = value,
                    (None, false) => {
                        let key = Node {
                            kind: Kind::Scalar { text: first.to_string(), plain: true },
                            span: value.span,
                        };
                        pairs.push((key, value));
                    }
                }
                return Ok(());
            }
            let i = match i {
                Some(i) => i,
                None => {
                    let key = Node {
                        kind: Kind::Scalar { text: first.to_string(), plain: true },
                        span: value.span,
                    };
                    pairs.push((key, Node { kind: Kind::Map(Vec::new()), span: value.span }));
                    pairs.len() - 1
                }
            };
            set_at(&mut pairs[i].1, rest, value)
        }
        Kind::Seq(items) => {
            let len = items.len();
            let i: usize = first
                .parse()
                .map_err(|_| format!("`{first}` is not a position in a list of {len}"))?;
            if i >= len {
                return Err(format!("position {i} is past the end of a list of {len}"));
            }
            if rest.is_empty() {
                if value.is_null() {
                    items.remove(i);
                } else {
                    items[i] = value;
                }
                return Ok(());
            }
            set_at(&mut items[i], rest, value)
        }
        Kind::Scalar { text, .. } => Err(format!("`{first}` is under `{text}`, which is a value")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(texts: &[&str], sets: &[&str]) -> serde_json::Value {
        let layers: Vec<Layer> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Layer { name: format!("f{i}.yaml"), text: t.to_string() })
            .collect();
        let mut root: Option<Node> = None;
        let mut base = 0;
        for l in &layers {
            let mut n = yaml::parse(&l.text).unwrap().unwrap();
            shift(&mut n, base);
            base += l.text.len() + 1;
            root = match root {
                Some(r) => merge(r, n),
                None => Some(n),
            };
        }
        let mut root = root.unwrap();
        let text = sets.join("\n");
        let mut sink = Sink::new(SET_SOURCE, &text);
        let mut at = 0;
        for line in text.split('\n').filter(|l| !l.is_empty()) {
            apply_set(&mut root, line, at, base, &mut sink);
            at += line.len() + 1;
        }
        assert!(sink.problems.is_empty(), "{:?}", sink.problems);
        root.to_json()
    }

    #[test]
    fn maps_merge_lists_replace_and_null_deletes() {
        let v = merged(
            &["a: {b: 1, c: 2}\nl: [1, 2]\nd: x\n", "a: {c: 3, e: 4}\nl: [9]\nd: null\n"],
            &[],
        );
        assert_eq!(v, serde_json::json!({"a": {"b": 1, "c": 3, "e": 4}, "l": [9]}));
    }

    #[test]
    fn settings_set_create_index_and_delete() {
        let v = merged(
            &["a: {b: 1}\nl: [{x: 1}, {x: 2}]\n"],
            &["a.b=2", "a.n.m=[p, q]", "l.1.x=5", "a.gone=null", "l.0=null"],
        );
        assert_eq!(v, serde_json::json!({"a": {"b": 2, "n": {"m": ["p", "q"]}}, "l": [{"x": 5}]}));
    }
}
