//! The crate's toolkit, the same for every service: attribute accessors on resolved
//! attributes, id lists compared as sets, id-only outputs, policy documents in a
//! canonical form, the drift of the standard tags, and the shapes every kind's
//! create, update, delete and readiness repeat (adopting, idempotent deletes,
//! readiness from whether a Describe still finds the resource).

use std::collections::HashMap;
use std::future::Future;

use airgap_engine::{Attrs, Created, ErrorClass, KindError, Op, Readiness, Value};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::errors::{classify, found, gone_is_ok};
use crate::tags;

pub(crate) mod acceptance;
mod adopt;
mod calls;
mod fresh;
mod lookup;
mod sets;
pub(crate) use adopt::{not_ours, ours};
pub(crate) use calls::{
    by_state, call_unless_already, changes, lookup, page_items, ready_when_available, settled,
    tag_map, unless_done,
};
pub(crate) use fresh::on_fresh;
pub(crate) use lookup::usable_until_deleted;
pub(crate) use sets::{delta, ids, removals_first, set_of, some_if, sort_refs};

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

fn bad_attr(key: &str, v: Option<&Value>) -> KindError {
    KindError::fatal(
        "BadAttribute",
        format!("attribute {key} is missing or of the wrong type: {v:?}"),
    )
}

pub(crate) use airgap_catalog::names::partition;

/// Outputs that carry only an id.
pub(crate) fn id_out(id: &str) -> Attrs {
    Attrs::from([("id".to_string(), Value::str(id))])
}

/// The id (or ARN) a create call answered with, which it always carries.
pub(crate) fn made<'a>(id: Option<&'a str>, call: &str) -> Result<&'a str, KindError> {
    id.ok_or_else(|| KindError::fatal("NoId", format!("{call} returned no id")))
}

/// A create's answer for a resource whose outputs are only its id (made, or adopted).
pub(crate) fn created(id: &str) -> Created {
    Created { physical_id: id.to_string(), outputs: id_out(id) }
}

/// Every item of a paginated call, its error classified. A macro: the stream type
/// (`PaginationStream`) lives in aws-smithy-async, which is not a dependency, and the
/// paginators of the different operations share no trait a function could name.
/// Sends a create that AWS cannot deduplicate (no client token, no unique name) exactly
/// once: the SDK's retries would send it again after an answer lost on the way back
/// (a reset connection, a timeout, a 5xx after the work was done) and make a second
/// resource. The engine retries instead ([`crate::errors::classify_once`]), and every
/// create looks the resource up by its tags first, so the retry adopts what the lost
/// call made. `$svc` is the service crate (`aws_sdk_ec2`).
macro_rules! send_once {
    ($svc:ident, $call:expr) => {
        $call
            .customize()
            .config_override(
                $svc::config::Builder::default()
                    .retry_config(aws_config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map_err($crate::errors::classify_once)
    };
}
pub(crate) use send_once;

macro_rules! all_pages {
    ($req:expr) => {
        $req.into_paginator().items().send().try_collect().await.map_err($crate::errors::classify)
    };
}
pub(crate) use all_pages;

/// A delete call: a resource already gone is what was wanted.
pub(crate) async fn delete_call<T, E, R>(
    call: impl Future<Output = Result<T, SdkError<E, R>>>,
) -> Result<(), KindError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    gone_is_ok(call.await.map_err(classify))
}

/// Readiness after a delete, from a Describe by id: while it still lists the resource
/// it is `Pending(status)`; an empty answer or NotFound means gone.
pub(crate) fn delete_progress<T>(
    r: Result<T, KindError>,
    listed: impl FnOnce(&T) -> bool,
    status: &str,
) -> Result<Readiness, KindError> {
    Ok(match found(r)? {
        Some(o) if listed(&o) => Readiness::Pending(status.into()),
        _ => Readiness::Gone,
    })
}

/// Readiness of a resource that is usable as soon as it exists, from what a Describe
/// found: after a delete, found is `Pending("deleting")` and nothing is gone;
/// otherwise found is ready with `ready(found)`, and nothing is the `missing` error
/// (right after a create: [`not_visible_yet`]).
pub(crate) fn presence<T>(
    op: Op,
    found: Option<T>,
    ready: impl FnOnce(T) -> Attrs,
    missing: impl FnOnce() -> KindError,
) -> Result<Readiness, KindError> {
    match (op, found) {
        (Op::Delete, None) => Ok(Readiness::Gone),
        (Op::Delete, Some(_)) => Ok(Readiness::Pending("deleting".into())),
        (_, Some(v)) => Ok(Readiness::Ready(ready(v))),
        (_, None) => Err(missing()),
    }
}

/// Right after a create, a Describe may not show the resource yet: NotFound, which the
/// engine's grace period covers.
pub(crate) fn not_visible_yet(message: impl Into<String>) -> KindError {
    KindError::new(ErrorClass::NotFound, "NotVisibleYet", message)
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
            airgap_catalog::names::sorted_json(&v)
        }
        Err(_) => decoded,
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

/// The marks earlier versions left on a parent ([`tags::legacy_marks`]), as the attribute
/// observe reports them in.
pub(crate) fn stale_marks(tags: &HashMap<String, String>) -> Option<(String, Value)> {
    let stale = tags::legacy_marks(tags);
    (!stale.is_empty()).then(|| {
        ("staleTags".to_string(), Value::List(stale.into_iter().map(Value::Str).collect()))
    })
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
    if let Some(stale) = observed.attrs.get("staleTags") {
        diff.changes.push(airgap_engine::FieldChange {
            field: "staleTags".into(),
            old: Some(stale.clone()),
            new: Value::List(Vec::new()),
            forces_replacement: false,
        });
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_the_partition_of_the_region() {
        assert_eq!(partition("eu-central-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition("us-iso-east-1"), "aws-iso");
        assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
    }

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
}
