//! A small YAML tree with byte spans, built from `saphyr-parser` events.
//!
//! We keep scalars as raw text (plus whether they were quoted) so that
//! `version: 1.30` stays "1.30" and account ids keep leading zeros; typing
//! happens later, where the field's meaning is known.

use std::collections::HashMap;

use miette::SourceSpan;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A YAML node with the byte range it came from.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) kind: Kind,
    pub(crate) span: SourceSpan,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Scalar { text: String, plain: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// The resolved type of a scalar under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarType {
    Null,
    Bool,
    Int,
    Float,
    Str,
}

impl Node {
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    pub(crate) fn scalar_type(&self) -> Option<ScalarType> {
        match &self.kind {
            Kind::Scalar { text, plain: true } => Some(resolve(text)),
            Kind::Scalar { plain: false, .. } => Some(ScalarType::Str),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        self.scalar_type() == Some(ScalarType::Null)
    }

    /// Human name of the node's type, for "expected X, found Y".
    pub(crate) fn type_name(&self) -> &'static str {
        match (&self.kind, self.scalar_type()) {
            (Kind::Seq(_), _) => "a list",
            (Kind::Map(_), _) => "a mapping",
            (_, Some(ScalarType::Null)) => "nothing (null)",
            (_, Some(ScalarType::Bool)) => "a boolean",
            (_, Some(ScalarType::Int)) => "an integer",
            (_, Some(ScalarType::Float)) => "a number",
            _ => "a string",
        }
    }

    /// JSON view of the node, typing plain scalars by the YAML 1.2 core schema.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.scalar().unwrap_or_default().to_string(), v.to_json()))
                    .collect(),
            ),
            Kind::Scalar { text, .. } => match self.scalar_type() {
                Some(ScalarType::Null) => Value::Null,
                Some(ScalarType::Bool) => Value::Bool(text.eq_ignore_ascii_case("true")),
                Some(ScalarType::Int) => {
                    parse_int(text).map(Value::from).unwrap_or_else(|| Value::String(text.clone()))
                }
                Some(ScalarType::Float) => text
                    .parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(text.clone())),
                _ => Value::String(text.clone()),
            },
        }
    }
}

/// Parses a decimal, `0x` or `0o` integer.
pub(crate) fn parse_int(text: &str) -> Option<i64> {
    let (neg, t) = match text.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let v = if let Some(h) = t.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = t.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else {
        t.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn resolve(text: &str) -> ScalarType {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return ScalarType::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return ScalarType::Bool,
        ".inf" | "-.inf" | "+.inf" | ".nan" | ".NaN" | ".NAN" | ".Inf" | ".INF" => {
            return ScalarType::Float
        }
        _ => {}
    }
    if parse_int(text).is_some() && !text.starts_with("+0x") && !text.starts_with("-0x") {
        return ScalarType::Int;
    }
    let t = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some((a, b)) => (digits(a) || a.is_empty()) && (digits(b) || (b.is_empty() && digits(a))),
        None => digits(mantissa),
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    if mantissa_ok && exp_ok {
        ScalarType::Float
    } else {
        ScalarType::Str
    }
}

/// A YAML syntax error with its byte offset.
#[derive(Debug)]
pub(crate) struct YamlError {
    pub(crate) offset: usize,
    pub(crate) message: String,
    /// The label at `offset`.
    pub(crate) label: &'static str,
    /// How to fix it.
    pub(crate) help: &'static str,
}

impl YamlError {
    pub(crate) fn at(offset: usize, message: impl Into<String>) -> Self {
        YamlError {
            offset,
            message: message.into(),
            label: "here",
            help: "fix the YAML syntax first; validation runs once the file parses",
        }
    }
}

/// At most this many nodes in a document once its aliases are expanded. An alias copies
/// its anchor's whole tree, so nine levels of ten aliases ("billion laughs") would make
/// 10^9 nodes from a few hundred bytes; a real blueprint has a few thousand.
pub(crate) const MAX_NODES: usize = 200_000;

/// At most this many bytes of scalars copied by aliases: the node budget alone lets one
/// alias of a megabyte value be copied 200,000 times.
pub(crate) const MAX_ALIAS_BYTES: usize = crate::MAX_BLUEPRINT_BYTES as usize;

/// At most this deep a nesting of sequences and mappings (a blueprint needs about 8).
pub(crate) const MAX_DEPTH: usize = 64;

/// Nodes in `n`'s tree, itself included, and the bytes of its scalars.
fn size(n: &Node) -> (usize, usize) {
    let add = |(a, b): (usize, usize), (c, d): (usize, usize)| (a + c, b + d);
    match &n.kind {
        Kind::Scalar { text, .. } => (1, text.len()),
        Kind::Seq(items) => items.iter().map(size).fold((1, 0), add),
        Kind::Map(pairs) => pairs.iter().map(|(k, v)| add(size(k), size(v))).fold((1, 0), add),
    }
}

/// Parses the first document of `text`. Returns `Ok(None)` for an empty stream.
/// Refuses a document deeper than [`MAX_DEPTH`], or larger than [`MAX_NODES`] or
/// [`MAX_ALIAS_BYTES`] once its aliases are expanded, before building it: memory and
/// time stay bounded by the limits, whatever the input.
pub(crate) fn parse(text: &str) -> Result<Option<Node>, YamlError> {
    // saphyr reports character indices; miette wants byte offsets.
    let mut byte_of: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    byte_of.push(text.len());
    let to_byte = |ci: usize| byte_of.get(ci).copied().unwrap_or(text.len());
    let span_of = |s: &Span| {
        let a = to_byte(s.start.index());
        let b = to_byte(s.end.index()).max(a);
        SourceSpan::from(a..b)
    };

    let mut stack: Vec<Frame> = Vec::new();
    // Each anchored node with the size of its tree.
    let mut anchors: HashMap<usize, (Node, (usize, usize))> = HashMap::new();
    let mut nodes = 0usize;
    let mut copied_bytes = 0usize;
    let mut root: Option<Node> = None;
    let mut docs = 0;
    for ev in Parser::new_from_str(text) {
        let (event, span) =
            ev.map_err(|e| explain(text, &stack, to_byte(e.marker().index()), e.info()))?;
        let finished: Option<(Node, usize)> = match event {
            Event::DocumentStart(_) => {
                docs += 1;
                if docs > 1 {
                    return Err(YamlError::at(
                        span_of(&span).offset(),
                        "a blueprint is a single YAML document; found a second one",
                    ));
                }
                None
            }
            Event::Scalar(value, style, anchor, _) => Some((
                Node {
                    kind: Kind::Scalar {
                        text: value.into_owned(),
                        plain: matches!(style, ScalarStyle::Plain),
                    },
                    span: span_of(&span),
                },
                anchor,
            )),
            Event::Alias(id) => {
                let offset = span_of(&span).offset();
                let (node, (n, bytes)) = anchors
                    .get(&id)
                    .ok_or_else(|| YamlError::at(offset, "alias refers to an unknown anchor"))?;
                // Counted before the copy is made.
                nodes += n - 1;
                if nodes > MAX_NODES {
                    return Err(too_many(offset));
                }
                copied_bytes += bytes;
                if copied_bytes > MAX_ALIAS_BYTES {
                    return Err(YamlError::at(
                        offset,
                        format!(
                            "the aliases copy more than {MAX_ALIAS_BYTES} bytes of values (each \
                             alias copies its anchor's whole tree); a blueprint needs far less: \
                             use fewer aliases"
                        ),
                    ));
                }
                Some((Node { span: span_of(&span), ..node.clone() }, 0))
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(YamlError::at(
                    span_of(&span).offset(),
                    format!(
                        "the document nests deeper than {MAX_DEPTH} levels; a blueprint needs \
                         far fewer: flatten it"
                    ),
                ));
            }
            // A sequence and a mapping open a frame alike; the end tells them apart.
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let map = matches!(event, Event::MappingStart(..));
                stack.push(Frame {
                    start: span_of(&span).offset(),
                    anchor,
                    items: Vec::new(),
                    map,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let f = stack.pop().expect("balanced events");
                let end_event = span_of(&span);
                let end = if f.items.is_empty() {
                    end_event.offset() + end_event.len()
                } else {
                    f.items.last().map(|n| n.span.offset() + n.span.len()).unwrap_or(f.start)
                };
                let span = SourceSpan::from(f.start..end.max(f.start));
                let kind = if f.map {
                    let mut it = f.items.into_iter();
                    let mut pairs = Vec::new();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    Kind::Map(pairs)
                } else {
                    Kind::Seq(f.items)
                };
                Some((Node { kind, span }, f.anchor))
            }
            _ => None,
        };
        if let Some((node, anchor)) = finished {
            nodes += 1;
            if nodes > MAX_NODES {
                return Err(too_many(node.span.offset()));
            }
            if anchor != 0 {
                anchors.insert(anchor, (node.clone(), size(&node)));
            }
            match stack.last_mut() {
                Some(f) => f.items.push(node),
                None => root = root.or(Some(node)),
            }
        }
    }
    Ok(root)
}

/// The parser's error at `offset`, placed where the mistake is and explained when it
/// is a common one. The parser notices an unclosed `[` or `{` only where the next key
/// begins, so without this the report points at the line after the mistake.
fn explain(text: &str, stack: &[Frame], offset: usize, info: &str) -> YamlError {
    let line_start = |at: usize| text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent = |at: usize| {
        let start = line_start(at);
        text[start..].len() - text[start..].trim_start_matches(' ').len()
    };
    if let Some(open) = stack.last().filter(|f| f.flow(text)) {
        let bracket = &text[open.start..open.start + 1];
        let close = if bracket == "[" { "]" } else { "}" };
        // A flow collection's later lines are indented deeper than the line that opened
        // it; a line that is not, on which the parser fails, is past where it should
        // have ended.
        let err_line = line_start(offset.min(text.len()));
        if err_line > line_start(open.start) && indent(err_line) <= indent(open.start) {
            return YamlError {
                label: "opened here",
                help: if bracket == "[" {
                    "close the list with `]` after its last item, or write it as indented \
                     `- item` lines"
                } else {
                    "close the mapping with `}` after its last entry, or write it as indented \
                     `key: value` lines"
                },
                ..YamlError::at(
                    open.start,
                    format!(
                        "this `{bracket}` is never closed: `{close}` expected before line {} \
                         (where the parser stopped: {info})",
                        text[..err_line].matches('\n').count() + 1
                    ),
                )
            };
        }
    }
    // The parser names a tab where the value before it ends (the end of the previous
    // line); the tab that breaks the indentation is the one to point at.
    let own_line = line_start(offset.min(text.len()));
    if let Some(tab) = indenting_tab(text, own_line, offset)
        .filter(|&tab| info.contains("tab") || line_start(tab) == own_line)
    {
        return YamlError {
            help: "indent with spaces only (an editor setting: insert spaces for tabs)",
            ..YamlError::at(
                tab,
                format!("{info}: YAML does not allow tabs in indentation; use spaces"),
            )
        };
    }
    YamlError::at(offset, info)
}

/// The first tab in the indentation of the line at `from` or of the next one that
/// reaches past `offset`: where a tab-indented line makes the parser fail.
fn indenting_tab(text: &str, from: usize, offset: usize) -> Option<usize> {
    let mut start = from;
    for _ in 0..2 {
        let line = &text[start..];
        let indent = &line[..line.len() - line.trim_start_matches([' ', '\t']).len()];
        if let Some(i) = indent.find('\t') {
            return Some(start + i);
        }
        if start > offset {
            return None;
        }
        start += line.find('\n')? + 1;
    }
    None
}

fn too_many(offset: usize) -> YamlError {
    YamlError::at(
        offset,
        format!(
            "the document expands to more than {MAX_NODES} values (each alias copies its \
             anchor's whole tree); a blueprint needs a few thousand: use fewer aliases"
        ),
    )
}

struct Frame {
    start: usize,
    anchor: usize,
    items: Vec<Node>,
    map: bool,
}

impl Frame {
    /// Opened by `[` or `{` (flow style) rather than by indentation.
    fn flow(&self, text: &str) -> bool {
        matches!(text.as_bytes().get(self.start), Some(b'[' | b'{'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_types() {
        let text = "a: 1.30\nb: [x, 'y']\nc:\n  d: ~\n";
        let root = parse(text).unwrap().unwrap();
        let Kind::Map(m) = &root.kind else { panic!() };
        assert_eq!(m[0].1.scalar(), Some("1.30"));
        assert_eq!(m[0].1.scalar_type(), Some(ScalarType::Float));
        let s = m[0].1.span;
        assert_eq!(&text[s.offset()..s.offset() + s.len()], "1.30");
        let Kind::Seq(items) = &m[1].1.kind else { panic!() };
        assert_eq!(items[1].scalar_type(), Some(ScalarType::Str));
        assert_eq!(
            root.to_json(),
            serde_json::json!({"a": 1.3, "b": ["x", "y"], "c": {"d": null}})
        );
    }

    #[test]
    fn resolves_scalars() {
        for (t, ty) in [
            ("12", ScalarType::Int),
            ("012345678901", ScalarType::Int),
            ("0x1F", ScalarType::Int),
            ("1e3", ScalarType::Float),
            (".5", ScalarType::Float),
            ("true", ScalarType::Bool),
            ("yes", ScalarType::Str),
            ("10.0.0.0/16", ScalarType::Str),
            ("1.2.3", ScalarType::Str),
        ] {
            assert_eq!(resolve(t), ty, "{t}");
        }
    }

    /// Ordinary aliases still work under the budget (the alias bomb is refused in
    /// tests/robustness.rs); nesting is bounded at the level that goes over.
    #[test]
    fn alias_expansion_and_nesting_are_bounded() {
        let fine = "base: &b {cidr: 10.0.0.0/16}\none: *b\ntwo: *b\n";
        let root = parse(fine).unwrap().unwrap();
        assert_eq!(root.to_json()["two"]["cidr"], "10.0.0.0/16");

        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("deeper than 64"), "{e:?}");
        assert_eq!(e.offset, MAX_DEPTH);
        let ok = format!("{}{}", "[".repeat(60), "]".repeat(60));
        assert!(parse(&ok).is_ok());
    }

    /// Few nodes, many bytes: a long value copied by aliases counts by its bytes.
    #[test]
    fn alias_copies_are_bounded_in_bytes() {
        let value = "x".repeat(100_000);
        let fine = format!("v: &v {value}\nl: [{}]\n", vec!["*v"; 40].join(", "));
        assert!(parse(&fine).is_ok());
        let big = format!("v: &v {value}\nl: [{}]\n", vec!["*v"; 50].join(", "));
        let e = parse(&big).unwrap_err();
        assert!(e.message.contains("more than 4194304 bytes"), "{e:?}");
        assert!(big[e.offset..].starts_with("*v"), "{}", &big[e.offset..e.offset + 10]);
    }

    #[test]
    fn syntax_error_has_offset() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.offset > 0, "{e:?}");
    }
}
