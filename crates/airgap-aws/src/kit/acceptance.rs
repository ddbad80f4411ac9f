//! An acceptance (of a transit gateway attachment, of a RAM share's invitation) is no
//! resource of its own: its physical id is the accepted thing's id with a suffix of its
//! kind, as physical ids order deletes and must differ from the accepted thing's; and a
//! delete of it is complete at once, since the owner's side ends the sharing.

use airgap_engine::{Check, Op};

/// What the acceptance being checked accepted, its `suffix` taken off; `None` after a
/// delete, which leaves nothing to wait for.
pub(crate) fn accepted_of<'a>(check: &Check<'a>, suffix: &str) -> Option<&'a str> {
    (check.op != Op::Delete)
        .then(|| check.physical_id.strip_suffix(suffix).unwrap_or(check.physical_id))
}
