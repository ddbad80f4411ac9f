//! Adopting what a create finds under the node's name: a resource whose tags name this
//! node of this env is what an interrupted create made; anything else is refused.

use std::collections::HashMap;

use airgap_engine::{KindError, Resolved};

use crate::tags;

/// Whether `t` (the tags of `physical_id`, found under the node's name) make it this
/// node's, to adopt: never another node's or env's, nor the instance a replacement
/// replaces. The refusal (fatal `code`) says what `what` is instead.
pub(crate) fn ours(
    code: &str,
    what: &str,
    node: &Resolved,
    t: &HashMap<String, String>,
    physical_id: &str,
) -> Result<(), KindError> {
    if tags::owned_id(t, &node.env).as_deref() == Some(node.id.0.as_str())
        && node.replaces.as_deref() != Some(physical_id)
    {
        return Ok(());
    }
    let found = format!("airgap:env={:?}, airgap:id={:?}", t.get(tags::ENV), t.get(tags::ID));
    Err(not_ours(code, what, node, &found))
}

/// The refusal (fatal `code`) of a create whose name `what` holds is taken by something
/// that is not this node's; `found` says what it is instead. Only the user can resolve it.
pub(crate) fn not_ours(code: &str, what: &str, node: &Resolved, found: &str) -> KindError {
    KindError::fatal(
        code,
        format!(
            "{what} exists but is not {} of env {} ({found}); rename it in the blueprint or \
             remove it",
            node.id, node.env
        ),
    )
}
