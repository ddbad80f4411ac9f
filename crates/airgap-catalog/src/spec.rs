//! Typed specs: one serde struct per kind, the shape both ends agree on. The blueprint
//! expansion builds a spec and turns it into a node's attributes ([`node`]); the AWS
//! kind reads the same struct back from the resolved attributes ([`Spec::from_attrs`])
//! and maps what it observes into it, so a diff compares like with like and a renamed
//! or mistyped field is a compile error instead of a missing map key.
//!
//! Attributes stay the engine's currency (it diffs, renders and hashes them without
//! knowing any kind); a field that names another node's output is an [`Id`], which
//! holds the reference (a graph edge) until the engine resolves it.

use airgap_engine::{Attrs, KindFacts, Node, NodeId, Ref, Scope, Value};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Ties spec types to their catalogue entries (`Spec::KIND`): one line per kind, in a
/// table at the end of each spec file, instead of an `impl` block after every struct.
macro_rules! spec_kinds {
    ($($spec:ty => $kind:ident),+ $(,)?) => {
        $(impl $crate::spec::Spec for $spec {
            const KIND: &'static $crate::KindFacts = &$crate::$kind;
        })+
    };
}

pub mod ec2;
pub mod ec2x;
pub mod ecr;
pub mod eks;
pub mod iam;
pub mod nfw;
pub mod privatelink;
pub mod ram;
pub mod route53;
pub mod tgw;
pub mod vpn;

pub use ec2::*;
pub use ec2x::*;
pub use ecr::*;
pub use eks::*;
pub use iam::*;
pub use nfw::*;
pub use privatelink::*;
pub use ram::*;
pub use route53::*;
pub use tgw::*;
pub use vpn::*;

#[derive(Debug, Error, PartialEq)]
pub enum SpecError {
    /// The attributes do not have the spec's shape: a bug in the expansion or in the
    /// kind's observe, never the user's input (the blueprint is validated first).
    #[error("attributes of a {kind} do not match its spec: {reason}")]
    Shape { kind: &'static str, reason: String },
    /// A reference was not resolved before the kind needed its value.
    #[error("a value is not known yet: {0}")]
    Unresolved(String),
}

/// A spec that does not fit is a bug in airgapctl, not something a retry mends.
impl From<SpecError> for airgap_engine::KindError {
    fn from(e: SpecError) -> Self {
        airgap_engine::KindError::fatal("BadSpec", e.to_string())
    }
}

/// A kind's typed spec.
pub trait Spec: Serialize + DeserializeOwned {
    /// The catalogue entry of the kind this spec describes.
    const KIND: &'static KindFacts;

    /// The attributes the engine carries: the spec's fields by their serde names, optional
    /// fields left out when absent (AWS shows no value for them either).
    fn to_attrs(&self) -> Attrs {
        match serde_json::to_value(self).and_then(serde_json::from_value::<Attrs>) {
            Ok(a) => a,
            // A spec is plain data (strings, numbers, lists, maps, references): it always
            // converts; anything else is a spec type written wrong, found by its tests.
            Err(e) => panic!("spec of {} does not convert to attributes: {e}", Self::KIND.name),
        }
    }

    /// Reads the spec from attributes (resolved, for a kind; observed, for a diff).
    /// Attributes that are not part of the spec (observe's `tagsMissing`) are ignored.
    fn from_attrs(attrs: &Attrs) -> Result<Self, SpecError> {
        serde_json::to_value(attrs)
            .and_then(serde_json::from_value)
            .map_err(|e| SpecError::Shape { kind: Self::KIND.name, reason: e.to_string() })
    }
}

/// A node of the spec's kind.
pub fn node<S: Spec>(id: impl Into<NodeId>, scope: Scope, spec: &S) -> Node {
    let mut n = Node::new(id, S::KIND.name, scope);
    n.attrs = spec.to_attrs();
    n
}

/// A value that may come from another node: known now, or a reference to an output
/// (a graph edge) resolved before the kind runs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Id {
    Ref(Ref),
    /// Serialized as `{"$unknown": true}`: known after apply.
    Unknown(airgap_engine::value::UnknownMarker),
    Known(String),
}

impl Id {
    /// A reference to `node`'s `output`.
    pub fn of(node: impl Into<NodeId>, output: &str) -> Self {
        Id::Ref(Ref { node: node.into(), output: output.to_string() })
    }

    /// The value, once resolved (the engine resolves every reference before a kind's
    /// create or update runs).
    pub fn get(&self) -> Result<&str, SpecError> {
        match self {
            Id::Known(s) => Ok(s),
            other => Err(SpecError::Unresolved(Value::from(other.clone()).to_string())),
        }
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id::Known(s.to_string())
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        Id::Known(s)
    }
}

impl From<Id> for Value {
    fn from(id: Id) -> Self {
        match id {
            Id::Ref(r) => Value::Ref(r),
            Id::Unknown(_) => Value::UNKNOWN,
            Id::Known(s) => Value::Str(s),
        }
    }
}
