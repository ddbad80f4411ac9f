//! What `#[derive(Section)]` (crate `airgap-section-derive`) builds on: how each type of
//! field is read from a mapping and described in the JSON schema. A model struct that
//! derives `Section` lists its fields once; the parser, its accepted keys and its schema
//! come from that list, so they cannot drift apart.
//!
//! The reading rules are the parser's (`parse`): nothing stops at the first problem, a
//! refused value is replaced by a poisoned placeholder (or its default) so validation
//! skips it, and a defaulted value carries the span of the mapping that holds it.

use std::convert::Infallible;
use std::net::Ipv4Addr;

use miette::SourceSpan;
use serde_json::{json, Map, Value as Json};

use crate::carve::Ipv4Net;
use crate::diag::Code;
use crate::model::Spanned;
use crate::parse::{Obj, Parser};
use crate::yaml::{Kind, Node, ScalarType};

/// One key of a mapping, as the derive writes it.
pub(crate) struct Field {
    /// The YAML key.
    pub key: &'static str,
    /// Bounds of an integer (inclusive); `None`: the type's own.
    pub min: Option<i64>,
    pub max: Option<i64>,
    /// The only values a string may take (`udp`, `tcp`); `None`: any.
    pub one_of: Option<&'static [&'static str]>,
}

impl Field {
    /// A key with no bounds.
    pub(crate) const fn key(key: &'static str) -> Field {
        Field { key, min: None, max: None, one_of: None }
    }

    fn quoted(&self) -> String {
        format!("`{}`", self.key)
    }
}

/// A mapping of the blueprint: its keys, how its fields are read, its schema.
pub(crate) trait Section: Sized {
    /// How a list item of this type is named in messages (`node group`).
    const NOUN: &'static str;
    /// Its entry in the schema's `$defs`.
    const DEF: &'static str;
    /// The keys it accepts, in declaration order.
    fn keys() -> Vec<&'static str>;
    /// Reads the fields of a mapping already checked for unknown and duplicate keys;
    /// `what` names the mapping in messages.
    fn read_fields(p: &mut Parser<'_>, o: &Obj<'_>, what: &str) -> Self;
    /// The mapping's schema (an object with exactly its keys).
    fn object_schema(s: &mut Schema) -> Json;

    /// A list item of this type.
    fn item(p: &mut Parser<'_>, node: &Node) -> Option<Self> {
        let o = p.obj(node, Parser::item_owner(node), Self::NOUN, &Self::keys())?;
        Some(Self::read_fields(p, &o, &a(Self::NOUN)))
    }
}

/// A field's type: how it is read when present, what it is when absent, its schema.
pub(crate) trait Value: Sized {
    /// What `default = ...` is written as: the value without a span.
    type Plain;
    /// Whether the key must be written when no default is given.
    const REQUIRED: bool;
    /// Reads `f.key` of `o`; `what` names `o` in "has no" messages.
    fn field(
        p: &mut Parser<'_>,
        o: &Obj<'_>,
        f: &Field,
        what: &str,
        default: Option<Self::Plain>,
    ) -> Self;
    /// The field's schema, with its default.
    fn schema(s: &mut Schema, f: &Field, default: Option<&Self::Plain>) -> Json;
}

/// Where a leaf value is read: its node, the key it stands under (or the node, in a
/// list), how messages name it, and its field's bounds.
pub(crate) struct At<'a> {
    pub key: SourceSpan,
    pub node: &'a Node,
    pub what: &'a str,
    pub field: &'a Field,
}

/// A value read from one node: a string, a number, a CIDR, one of a few names. Written
/// with `leaf!`, which lays out the four answers.
pub(crate) trait Leaf: Sized {
    /// Reads `at.node`; `None` once the problem is reported.
    fn read(p: &mut Parser<'_>, at: &At<'_>) -> Option<Spanned<Self>>;
    /// What stands in for a required value that is missing or refused.
    fn placeholder() -> Self;
    /// Its schema.
    fn schema(s: &mut Schema, f: &Field) -> Json;
    /// Itself as a schema `default`.
    fn to_json(&self) -> Json;
}

/// `impl Leaf`: `leaf!(Type, read |p, at| .., placeholder .., schema |s, f| .., json |v| ..)`.
macro_rules! leaf {
    ($t:ty, read |$p:ident, $at:ident| $read:expr, placeholder $ph:expr,
     schema |$s:ident, $f:ident| $schema:expr, json |$v:ident| $json:expr $(,)?) => {
        impl $crate::section::Leaf for $t {
            fn read(
                $p: &mut $crate::parse::Parser<'_>,
                $at: &$crate::section::At<'_>,
            ) -> Option<$crate::model::Spanned<Self>> {
                $read
            }
            fn placeholder() -> Self {
                $ph
            }
            fn schema(
                $s: &mut $crate::section::Schema,
                $f: &$crate::section::Field,
            ) -> serde_json::Value {
                $schema
            }
            fn to_json(&self) -> serde_json::Value {
                let $v = self;
                $json
            }
        }
    };
}
pub(crate) use leaf;

/// "a cluster" from "cluster"; a noun that has its article keeps it.
pub(crate) fn a(noun: &str) -> String {
    if noun.starts_with("a ") || noun.starts_with("an ") {
        noun.to_string()
    } else {
        format!("a {noun}")
    }
}

/// The schema's `$defs`, filled as the sections are described.
#[derive(Default)]
pub(crate) struct Schema {
    pub(crate) defs: Map<String, Json>,
}

impl Schema {
    /// A `$ref` to `T`'s definition, described once.
    pub(crate) fn def<T: Section>(&mut self) -> Json {
        if !self.defs.contains_key(T::DEF) {
            // Reserved first: a section that contains itself refers instead of recursing.
            self.defs.insert(T::DEF.to_string(), Json::Null);
            let schema = T::object_schema(self);
            self.defs.insert(T::DEF.to_string(), schema);
        }
        reference(T::DEF)
    }

    /// A `$ref` to a hand-written definition.
    pub(crate) fn def_json(&mut self, name: &str, schema: Json) -> Json {
        self.defs.entry(name.to_string()).or_insert(schema);
        reference(name)
    }
}

fn reference(name: &str) -> Json {
    json!({ "$ref": format!("#/$defs/{name}") })
}

/// Sets each key of `extra` (an object, or null for nothing) in `v`.
pub(crate) fn merge(v: &mut Json, extra: Json) {
    if let (Json::Object(v), Json::Object(extra)) = (v, extra) {
        v.extend(extra);
    }
}

/// The schema of a mapping with exactly `props`.
pub(crate) fn object(
    props: Map<String, Json>,
    required: Vec<&'static str>,
    rest: Map<String, Json>,
    extra: Json,
) -> Json {
    let mut v = json!({ "type": "object", "additionalProperties": false });
    if !required.is_empty() {
        v["required"] = json!(required);
    }
    v["properties"] = Json::Object(props);
    merge(&mut v, Json::Object(rest));
    merge(&mut v, extra);
    v
}

/// How a sub-mapping is named in messages: its path under a mapping that is a path
/// itself (`` `hub.inspectionVpc` ``), else its key (`` `scaling` `` of a node group).
fn sub_what(parent: &str, key: &str) -> String {
    match parent.strip_prefix('`').and_then(|p| p.strip_suffix('`')) {
        Some(path) if !path.contains('`') => format!("`{path}.{key}`"),
        _ => format!("`{key}`"),
    }
}

/// A sub-mapping (`scaling`): absent or refused, its fields take their defaults, with
/// the span of the mapping that holds it.
pub(crate) fn sub<T: Section>(p: &mut Parser<'_>, o: &Obj<'_>, f: &Field, parent: &str) -> T {
    let what = sub_what(parent, f.key);
    let sub = p.sub_or_empty(o, f.key, &what, &T::keys());
    T::read_fields(p, &sub, &what)
}

/// A sub-mapping that must be written (`hub`, `metadata`). Missing or not a mapping, it
/// is reported once: its fields are placeholders and defaults, and what they would
/// report (each required key missing) is not said again.
pub(crate) fn required_sub<T: Section>(
    p: &mut Parser<'_>,
    o: &Obj<'_>,
    f: &Field,
    parent: &str,
) -> T {
    let what = sub_what(parent, f.key);
    let found = p.req(o, f.key, parent);
    if let Some(sub) = found.and_then(|(k, v)| p.obj(v, k.span, &what, &T::keys())) {
        return T::read_fields(p, &sub, &what);
    }
    let owner = found.map_or(o.owner(), |(k, _)| k.span);
    let (kept, omitted) = (p.sink.problems.len(), p.sink.omitted);
    let placeholder = T::read_fields(p, &Obj::empty(owner), &what);
    p.sink.problems.truncate(kept);
    p.sink.omitted = omitted;
    placeholder
}

/// An optional sub-mapping (`registries`).
pub(crate) fn optional_sub<T: Section>(
    p: &mut Parser<'_>,
    o: &Obj<'_>,
    f: &Field,
    parent: &str,
) -> Option<T> {
    let what = sub_what(parent, f.key);
    let (k, v) = p.get(o, f.key)?;
    let sub = p.obj(v, k.span, &what, &T::keys())?;
    Some(T::read_fields(p, &sub, &what))
}

/// A list of mappings (`nodegroups`); `_parent` as the other readers take it.
pub(crate) fn items<T: Section>(
    p: &mut Parser<'_>,
    o: &Obj<'_>,
    f: &Field,
    _parent: &str,
) -> Vec<T> {
    capped_items(p, o, f, None)
}

/// A list of mappings with at most `f.max` items, `why` telling the user where the bound
/// comes from. The items past it are refused unread: validating them would cost time
/// for nothing (aliases let a few kilobytes of text list thousands of VPCs).
pub(crate) fn capped_items<T: Section>(
    p: &mut Parser<'_>,
    o: &Obj<'_>,
    f: &Field,
    why: Option<&str>,
) -> Vec<T> {
    let Some((_, v)) = p.get(o, f.key) else {
        return Vec::new();
    };
    let mut list = p.list(v, &f.quoted());
    let max = f.max.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(0));
    if list.len() > max {
        let reason = why.map_or_else(String::new, |w| format!(" ({w})"));
        p.sink
            .report(
                Code::InvalidValue,
                list[max].span,
                format!(
                    "{} lists {} {}s; a blueprint takes at most {max}{reason}",
                    f.quoted(),
                    list.len(),
                    T::NOUN
                ),
                "one too many",
            )
            .help(format!(
                "keep at most {max} entries in {}: split the environment into several blueprints",
                f.quoted()
            ));
        list = &list[..max];
        p.cut.insert(f.key);
    }
    list.iter().filter_map(|item| T::item(p, item)).collect()
}

/// `Value` of a section as a sub-mapping, an optional one and a list of them: each read
/// by `$read` and described by `$schema`.
macro_rules! section_value {
    ($($ty:ty => $read:ident, |$s:ident, $f:ident| $schema:expr;)*) => {$(
        impl<T: Section> Value for $ty {
            type Plain = Infallible;
            const REQUIRED: bool = false;

            fn field(p: &mut Parser<'_>, o: &Obj<'_>, f: &Field, what: &str, _: Option<Infallible>) -> Self {
                $read(p, o, f, what)
            }

            fn schema($s: &mut Schema, $f: &Field, _: Option<&Infallible>) -> Json {
                $schema
            }
        }
    )*};
}

section_value! {
    T => sub, |s, _f| s.def::<T>();
    Option<T> => optional_sub, |s, _f| s.def::<T>();
    Vec<T> => items, |s, f| {
        let mut v = json!({ "type": "array", "items": s.def::<T>() });
        if let Some(max) = f.max {
            v["maxItems"] = json!(max);
        }
        v
    };
}

impl<T: Leaf> Value for Spanned<T> {
    type Plain = T;
    const REQUIRED: bool = true;

    fn field(p: &mut Parser<'_>, o: &Obj<'_>, f: &Field, what: &str, default: Option<T>) -> Self {
        match p.get(o, f.key) {
            None => match default {
                Some(d) => Spanned::new(d, o.owner()),
                None => {
                    p.req(o, f.key, what);
                    p.placeholder(T::placeholder(), o.owner())
                }
            },
            Some((k, v)) => {
                match T::read(p, &At { key: k.span, node: v, what: &f.quoted(), field: f }) {
                    Some(x) => x,
                    None => match default {
                        Some(d) => p.poisoned(d, v.span),
                        None => p.placeholder(T::placeholder(), o.owner()),
                    },
                }
            }
        }
    }

    fn schema(s: &mut Schema, f: &Field, default: Option<&T>) -> Json {
        let mut v = T::schema(s, f);
        if let Some(d) = default {
            v["default"] = d.to_json();
        }
        v
    }
}

impl<T: Leaf> Value for Option<Spanned<T>> {
    type Plain = Infallible;
    const REQUIRED: bool = false;

    fn field(p: &mut Parser<'_>, o: &Obj<'_>, f: &Field, _: &str, _: Option<Infallible>) -> Self {
        let (k, v) = p.get(o, f.key)?;
        T::read(p, &At { key: k.span, node: v, what: &f.quoted(), field: f })
    }

    fn schema(s: &mut Schema, f: &Field, _: Option<&Infallible>) -> Json {
        T::schema(s, f)
    }
}

impl<T: Leaf> Value for Vec<Spanned<T>> {
    type Plain = Vec<T>;
    const REQUIRED: bool = false;

    fn field(p: &mut Parser<'_>, o: &Obj<'_>, f: &Field, _: &str, default: Option<Vec<T>>) -> Self {
        let Some((_, v)) = p.get(o, f.key) else {
            let owner = o.owner();
            return default
                .unwrap_or_default()
                .into_iter()
                .map(|d| Spanned::new(d, owner))
                .collect();
        };
        let what = format!("an entry of {}", f.quoted());
        let list = p.list(v, &f.quoted());
        list.iter()
            .filter_map(|n| T::read(p, &At { key: n.span, node: n, what: &what, field: f }))
            .collect()
    }

    fn schema(s: &mut Schema, f: &Field, default: Option<&Vec<T>>) -> Json {
        let mut v = json!({ "type": "array", "items": T::schema(s, f) });
        if let Some(d) = default {
            v["default"] = Json::Array(d.iter().map(Leaf::to_json).collect());
        }
        v
    }
}

/// A mapping of free keys to values (`labels`), in file order.
impl<K: Leaf, V: Leaf> Value for Vec<(Spanned<K>, Spanned<V>)> {
    type Plain = Infallible;
    const REQUIRED: bool = false;

    fn field(p: &mut Parser<'_>, o: &Obj<'_>, f: &Field, _: &str, _: Option<Infallible>) -> Self {
        let Some((_, v)) = p.get(o, f.key) else {
            return Vec::new();
        };
        let Kind::Map(pairs) = &v.kind else {
            p.wrong_type(v, &f.quoted(), "a mapping");
            return Vec::new();
        };
        let (kw, vw) = (format!("a key of {}", f.quoted()), format!("a value of {}", f.quoted()));
        let mut out = Vec::new();
        for (k, val) in pairs {
            let key = K::read(p, &At { key: k.span, node: k, what: &kw, field: f });
            let value = V::read(p, &At { key: k.span, node: val, what: &vw, field: f });
            if let (Some(k), Some(val)) = (key, value) {
                out.push((k, val));
            }
        }
        out
    }

    fn schema(s: &mut Schema, f: &Field, _: Option<&Infallible>) -> Json {
        json!({ "type": "object", "additionalProperties": V::schema(s, f) })
    }
}

leaf!(
    String,
    read |p, at| match at.field.one_of {
        None => p.string(at.node, at.what),
        Some(names) => {
            let options: Vec<(&str, &str)> = names.iter().map(|n| (*n, *n)).collect();
            let c = p.choice(at.node, at.what, &options)?;
            Some(Spanned::new(c.value.to_string(), c.span))
        }
    },
    placeholder String::new(),
    schema |_s, f| match f.one_of {
        None => json!({ "type": "string" }),
        Some(names) => json!({ "enum": names }),
    },
    json |v| json!(v),
);

leaf!(
    bool,
    read |p, at| {
        if at.node.scalar_type() == Some(ScalarType::Bool) {
            let b = at.node.scalar().is_some_and(|t| t.eq_ignore_ascii_case("true"));
            return Some(Spanned::new(b, at.node.span));
        }
        p.wrong_type(at.node, at.what, "true or false");
        None
    },
    placeholder false,
    schema |_s, _f| json!({ "type": "boolean" }),
    json |v| json!(v),
);

/// Integers, bounded by the field's `min`/`max` or else by the type.
macro_rules! int_leaf {
    ($($t:ty),*) => {$(
        leaf!(
            $t,
            read |p, at| {
                let min = at.field.min.unwrap_or(<$t>::MIN as i64);
                let max = at.field.max.unwrap_or(<$t>::MAX as i64);
                let n = p.int(at.node, at.what, min, max)?;
                // In range, so it fits: the bounds are the type's or inside them.
                <$t>::try_from(n.value).ok().map(|v| Spanned::new(v, n.span))
            },
            placeholder 0,
            schema |_s, f| {
                let mut v = json!({ "type": "integer" });
                if let Some(min) = f.min {
                    v["minimum"] = json!(min);
                }
                if let Some(max) = f.max {
                    v["maximum"] = json!(max);
                }
                v
            },
            json |v| json!(v),
        );
    )*};
}
int_leaf!(u8, u16, u32, i32);

leaf!(
    Ipv4Net,
    read |p, at| p.cidr(at.node, at.what),
    placeholder Ipv4Net::new(Ipv4Addr::UNSPECIFIED, 32).expect("a /32 is valid"),
    schema |_s, _f| reference("cidr"),
    json |v| json!(v.to_string()),
);

/// A value that is one of a few names (`NO_SCHEDULE`, `basic`): read with "did you
/// mean", described as an `enum`.
macro_rules! choice_leaf {
    ($t:ty, $options:expr) => {
        $crate::section::leaf!(
            $t,
            read |p, at| p.choice(at.node, at.what, &$options),
            placeholder $options[0].1,
            schema |_s, _f| {
                let names: Vec<&str> = $options.iter().map(|(n, _)| *n).collect();
                serde_json::json!({ "enum": names })
            },
            json |v| serde_json::json!($options.iter().find(|(_, o)| o == v).map(|(n, _)| *n)),
        );
    };
}
pub(crate) use choice_leaf;
