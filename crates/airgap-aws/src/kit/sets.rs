//! Lists of references compared and changed as sets: AWS keeps the members of a
//! subnet or security group list in no particular order, and its Modify calls take
//! what to add and what to remove.

use airgap_catalog::spec::Id;
use airgap_engine::KindError;

/// The values of resolved references.
pub(crate) fn ids(refs: &[Id]) -> Result<Vec<String>, KindError> {
    refs.iter().map(|r| r.get().map(str::to_string).map_err(KindError::from)).collect()
}

/// Resolved references in one order, repeats kept (a subnet listed twice holds two of
/// a resolver endpoint's addresses), so that lists AWS answers in any order compare.
pub(crate) fn sort_refs(refs: &mut [Id]) {
    refs.sort_by(|a, b| a.get().ok().cmp(&b.get().ok()));
}

/// Sorted and without repeats: what AWS keeps as a set (subnets, actions, principals,
/// log types) in one order, so that it compares as a set.
pub(crate) fn set_of<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    let mut v: Vec<String> = items.into_iter().map(Into::into).collect();
    v.sort();
    v.dedup();
    v
}

/// Members to add and to remove to go from `have` to `want`.
pub(crate) fn delta(want: &[String], have: &[String]) -> (Vec<String>, Vec<String>) {
    (
        want.iter().filter(|x| !have.contains(x)).cloned().collect(),
        have.iter().filter(|x| !want.contains(x)).cloned().collect(),
    )
}

/// The subnets a Modify call of a transit gateway attachment or an interface endpoint
/// adds, given those it removes: none while it removes any, and then the Conflict the
/// update answers after the call, which the engine retries; the retry compares with the
/// resource again and adds the rest. AWS keeps one subnet per zone
/// (DuplicateSubnetsInSameZone) and documents no answer to a call that removes a zone's
/// subnet and adds another of that zone; a call of its own for each, removals first, is
/// never that call (openshift/aws-vpce-operator does the same).
pub(crate) fn removals_first(
    add: Vec<String>,
    remove: &[String],
    what: &str,
) -> (Vec<String>, Option<KindError>) {
    if add.is_empty() || remove.is_empty() {
        return (add, None);
    }
    let later = KindError::new(
        airgap_engine::ErrorClass::Conflict,
        "SubnetsMoving",
        format!(
            "{what}: removed {} first; {} added by a call of its own",
            remove.join(", "),
            add.join(", ")
        ),
    );
    (Vec::new(), Some(later))
}

/// A list for an optional request parameter: none rather than an empty one.
pub(crate) fn some_if(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_adds_and_removes_what_differs() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(delta(&s(&["a", "b"]), &s(&["b", "c"])), (s(&["a"]), s(&["c"])));
        assert_eq!(some_if(Vec::new()), None);
        assert_eq!(set_of(["b", "a", "b"]), s(&["a", "b"]));
        assert!(ids(&[Id::of("n", "id")]).is_err());
        assert_eq!(ids(&["x".into()]).unwrap(), s(&["x"]));
    }

    #[test]
    fn subnets_are_removed_before_others_are_added() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let (add, later) = removals_first(s(&["b"]), &s(&["a"]), "x");
        assert!(add.is_empty());
        let later = later.expect("the add waits");
        assert_eq!(later.class, airgap_engine::ErrorClass::Conflict);
        assert!(later.to_string().contains("removed a first; b added"), "{later}");
        assert_eq!(removals_first(s(&["b"]), &[], "x").0, s(&["b"]));
        assert!(removals_first(s(&["b"]), &[], "x").1.is_none());
        assert!(removals_first(Vec::new(), &s(&["a"]), "x").1.is_none());
    }
}
