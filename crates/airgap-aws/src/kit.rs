//! The crate's toolkit, the same for every service: attribute accessors on resolved
//! attributes, id lists compared as sets, id-only outputs, policy documents in a
//! canonical form, and the drift of the standard tags.

use std::collections::HashMap;

use airgap_engine::{Attrs, KindError, Value};

use crate::tags;

/// Attribute accessors on resolved attributes; a missing or mistyped one is a bug in
/// the expansion, reported as fatal.
pub(crate) fn s(attrs: &Attrs, key: &str) -> Result<String, KindError> {
    match attrs.get(key) {
        Some(Value::Str(v)) => Ok(v.clone()),
        other => Err(bad_attr(key, other)),
    }
}

pub(crate) fn opt_s(attrs: &Attrs, key: &str) -> Option<String> {
    attrs.get(key).and_then(Value::as_str).map(str::to_string)
}

pub(crate) fn b(attrs: &Attrs, key: &str, default: bool) -> bool {
    match attrs.get(key) {
        Some(Value::Bool(v)) => *v,
        _ => default,
    }
}

pub(crate) fn list(attrs: &Attrs, key: &str) -> Result<Vec<String>, KindError> {
    match attrs.get(key) {
        Some(Value::List(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad_attr(key, Some(v)))
            })
            .collect(),
        None => Ok(Vec::new()),
        other => Err(bad_attr(key, other)),
    }
}

fn bad_attr(key: &str, v: Option<&Value>) -> KindError {
    KindError::fatal(
        "BadAttribute",
        format!("attribute {key} is missing or of the wrong type: {v:?}"),
    )
}

/// A sorted list of ids: AWS returns members in no particular order.
pub(crate) fn id_set(ids: impl IntoIterator<Item = impl Into<String>>) -> Value {
    let mut v: Vec<String> = ids.into_iter().map(Into::into).collect();
    v.sort();
    v.dedup();
    Value::List(v.into_iter().map(Value::Str).collect())
}

/// Desired attributes with their id lists sorted like [`id_set`], for comparison.
pub(crate) fn sorted_lists(attrs: &Attrs, keys: &[&str]) -> Attrs {
    let mut a = attrs.clone();
    for k in keys {
        if let Some(Value::List(items)) = a.get_mut(*k) {
            if items.iter().all(|v| v.as_str().is_some()) {
                items.sort_by(|x, y| x.as_str().cmp(&y.as_str()));
                items.dedup();
            }
        }
    }
    a
}

/// Outputs that carry only an id.
pub(crate) fn id_out(id: &str) -> Attrs {
    Attrs::from([("id".to_string(), Value::str(id))])
}

/// A policy document in a canonical form (parsed and re-serialized with sorted keys),
/// so formatting differences between the blueprint and AWS are not drift. AWS returns
/// endpoint policies as JSON, sometimes URL-encoded, and without their `Version`
/// (LocalStack does the same, for parity), so the version is left out of the comparison.
pub(crate) fn canonical_policy(doc: &str) -> String {
    let decoded = if doc.trim_start().starts_with('%') || doc.contains("%22") {
        percent_decode(doc)
    } else {
        doc.to_string()
    };
    match serde_json::from_str::<serde_json::Value>(&decoded) {
        Ok(mut v) => {
            if let Some(m) = v.as_object_mut() {
                m.remove("Version");
            }
            sorted_json(&v)
        }
        Err(_) => decoded,
    }
}

/// JSON text with object keys sorted at every level, whatever map order serde_json
/// was built with.
fn sorted_json(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    format!(
                        "{}:{}",
                        serde_json::Value::String(k.clone()),
                        sorted_json(&m[k])
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(a) => {
            format!(
                "[{}]",
                a.iter().map(sorted_json).collect::<Vec<_>>().join(",")
            )
        }
        other => other.to_string(),
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Standard tags missing or altered on a resource, recorded by observe as the
/// `tagsMissing` attribute so a removed `Name` or manager tag shows as drift.
pub(crate) fn missing_tags(
    tags: &HashMap<String, String>,
    env: &str,
    id: &str,
) -> Option<(String, Value)> {
    let missing: Vec<Value> = tags::standard(env, id)
        .into_iter()
        .filter(|(k, v)| tags.get(k) != Some(v))
        .map(|(k, _)| Value::Str(k))
        .collect();
    (!missing.is_empty()).then(|| ("tagsMissing".to_string(), Value::List(missing)))
}

/// A kind's own diff plus the tag drift observe found.
pub(crate) fn with_tag_drift(
    mut diff: airgap_engine::Diff,
    observed: &airgap_engine::Observed,
) -> airgap_engine::Diff {
    if let Some(missing) = observed.attrs.get("tagsMissing") {
        diff.changes.push(airgap_engine::FieldChange {
            field: "tags".into(),
            old: Some(missing.clone()),
            new: Value::str("airgap:env, airgap:id, airgap:managed-by, Name"),
            forces_replacement: false,
        });
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_compare_by_content() {
        let a = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
        let b = "{\n  \"Statement\": [ {\"Resource\":\"*\", \"Action\":\"s3:GetObject\",\"Principal\":\"*\",\"Effect\":\"Allow\"}],\n \"Version\": \"2012-10-17\"}";
        assert_eq!(canonical_policy(a), canonical_policy(b));
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(canonical_policy(encoded), r#"{"Statement":[]}"#);
        // Described endpoint policies come back without their version.
        let unversioned = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;
        assert_eq!(canonical_policy(a), canonical_policy(unversioned));
    }

    #[test]
    fn id_lists_compare_as_sets() {
        let desired = Attrs::from([(
            "subnets".to_string(),
            Value::List(vec![Value::str("subnet-b"), Value::str("subnet-a")]),
        )]);
        let sorted = sorted_lists(&desired, &["subnets"]);
        assert_eq!(sorted["subnets"], id_set(["subnet-a", "subnet-b"]));
    }
}
