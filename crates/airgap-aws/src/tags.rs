//! The tags that are airgapctl's state: every resource it creates carries the
//! environment, its logical id and the manager, so a later run (or a destroy without
//! the blueprint) finds it again.

use std::collections::HashMap;

pub const ENV: &str = "airgap:env";
pub const ID: &str = "airgap:id";
pub const MANAGED_BY: &str = "airgap:managed-by";
pub const MANAGER: &str = "airgapctl";

/// Marks that earlier versions wrote on a parent for each sub-resource AWS cannot tag
/// (`airgap:route:<cidr>` = node id, and the same for associations, propagations, rules
/// and acceptances). Nothing reads or writes them now (sub-resources are paired with their
/// nodes by identity); as they count against the parent's 50 tags, the parent's update
/// removes them.
const LEGACY_MARKS: [&str; 5] =
    ["airgap:route:", "airgap:assoc:", "airgap:prop:", "airgap:rule:", "airgap:accept:"];

/// The legacy marks among a parent's tags, sorted.
pub fn legacy_marks(tags: &HashMap<String, String>) -> Vec<String> {
    let mut keys: Vec<String> =
        tags.keys().filter(|k| LEGACY_MARKS.iter().any(|m| k.starts_with(m))).cloned().collect();
    keys.sort();
    keys
}

/// The standard tags of a resource, `Name` included (what the console shows).
pub fn standard(env: &str, id: &str) -> Vec<(String, String)> {
    vec![
        (ENV.to_string(), env.to_string()),
        (ID.to_string(), id.to_string()),
        (MANAGED_BY.to_string(), MANAGER.to_string()),
        ("Name".to_string(), format!("{env}/{id}")),
    ]
}

/// Tag pairs as a map, from any SDK tag type.
pub fn to_map<'a>(
    pairs: impl IntoIterator<Item = (Option<&'a str>, Option<&'a str>)>,
) -> HashMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string())))
        .collect()
}

/// The logical id of a resource that belongs to `env`; None for anything else, so
/// nothing without the env tag is ever adopted or deleted, whatever a server-side
/// filter returned.
pub fn owned_id(tags: &HashMap<String, String>, env: &str) -> Option<String> {
    (tags.get(ENV).map(String::as_str) == Some(env)).then(|| tags.get(ID).cloned()).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_resources_of_the_env_are_owned() {
        let mut t = HashMap::from([
            (ENV.to_string(), "demo".to_string()),
            (ID.to_string(), "vpc/a".to_string()),
        ]);
        assert_eq!(owned_id(&t, "demo").as_deref(), Some("vpc/a"));
        assert_eq!(owned_id(&t, "other"), None);
        t.remove(ID);
        assert_eq!(owned_id(&t, "demo"), None);
    }

    #[test]
    fn standard_tags_name_the_env_and_node() {
        let t: HashMap<_, _> = standard("demo", "vpc/a").into_iter().collect();
        assert_eq!(t[ENV], "demo");
        assert_eq!(t[ID], "vpc/a");
        assert_eq!(t[MANAGED_BY], "airgapctl");
        assert_eq!(t["Name"], "demo/vpc/a");
    }
}
