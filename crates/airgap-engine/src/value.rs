//! Attribute values, with references to other nodes' outputs.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::graph::NodeId;

/// A node's attributes (desired or observed), ordered so plans render stably.
pub type Attrs = BTreeMap<String, Value>;

/// A reference to an output of another node, e.g. a subnet's `vpcId` naming
/// `vpc/workload`'s `id`. References are what give the graph its edges.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ref {
    #[serde(rename = "$ref")]
    pub node: NodeId,
    pub output: String,
}

/// An attribute value. `Unknown` stands for a value only known after apply
/// (an output of a node that is still to be created or replaced).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<Value>),
    Ref(Ref),
    Unknown(UnknownMarker),
    Map(BTreeMap<String, Value>),
}

/// Serialized form of [`Value::Unknown`]: `{"$unknown": true}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnknownMarker {
    #[serde(rename = "$unknown")]
    pub unknown: bool,
}

impl Value {
    pub const UNKNOWN: Value = Value::Unknown(UnknownMarker { unknown: true });

    pub fn str(s: impl Into<String>) -> Self {
        Value::Str(s.into())
    }

    pub fn reference(node: impl Into<NodeId>, output: impl Into<String>) -> Self {
        Value::Ref(Ref { node: node.into(), output: output.into() })
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        match self {
            Value::Unknown(_) => true,
            Value::List(items) => items.iter().any(Value::is_unknown),
            Value::Map(m) => m.values().any(Value::is_unknown),
            _ => false,
        }
    }

    /// Every reference inside this value, depth first.
    pub fn refs(&self) -> Vec<&Ref> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a Ref>) {
        match self {
            Value::Ref(r) => out.push(r),
            Value::List(items) => items.iter().for_each(|v| v.collect_refs(out)),
            Value::Map(m) => m.values().for_each(|v| v.collect_refs(out)),
            _ => {}
        }
    }

    /// Replaces every reference by what `lookup` returns for it.
    pub fn resolve(&self, lookup: &impl Fn(&Ref) -> Value) -> Value {
        match self {
            Value::Ref(r) => lookup(r),
            Value::List(items) => Value::List(items.iter().map(|v| v.resolve(lookup)).collect()),
            Value::Map(m) => {
                Value::Map(m.iter().map(|(k, v)| (k.clone(), v.resolve(lookup))).collect())
            }
            other => other.clone(),
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} = {v}")?;
                }
                f.write_str("}")
            }
            Value::Ref(r) => write!(f, "${{{}.{}}}", r.node, r.output),
            Value::Unknown(_) => f.write_str("(known after apply)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_keeps_refs_and_unknowns() {
        let v = Value::List(vec![
            Value::reference("vpc/a", "id"),
            Value::UNKNOWN,
            Value::str("x"),
            Value::Int(3),
        ]);
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, r#"[{"$ref":"vpc/a","output":"id"},{"$unknown":true},"x",3]"#);
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn resolve_replaces_nested_refs() {
        let v = Value::Map(BTreeMap::from([(
            "ids".to_string(),
            Value::List(vec![Value::reference("a", "id"), Value::reference("b", "id")]),
        )]));
        let r = v.resolve(&|r: &Ref| Value::str(format!("{}-x", r.node)));
        assert_eq!(r.to_string(), r#"{ids = ["a-x", "b-x"]}"#);
        assert!(!r.is_unknown());
        assert_eq!(v.refs().len(), 2);
    }
}
