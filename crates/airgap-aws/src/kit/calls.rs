//! Shapes of single SDK calls and readiness every service repeats: a lookup where
//! NotFound is an answer, a call whose error says it was done already, a tag list as a
//! map, a diff read as the fields it names, readiness from a lifecycle state, and
//! resources that take effect with the call that makes them.

use std::collections::HashMap;
use std::future::Future;

use airgap_engine::{Attrs, Diff, KindError, Op, Readiness};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::errors::{classify, code_of, found, gone_is_ok};
use crate::tags;

/// A call that a retry (or someone else) may have made already: `Some(output)` when it
/// went through now, `None` when AWS answered one of `codes` (done before), otherwise
/// the classified error.
pub(crate) fn unless_done<T, E, R>(
    r: Result<T, SdkError<E, R>>,
    codes: &[&str],
) -> Result<Option<T>, KindError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if code_of(&e).is_some_and(|c| codes.contains(&c)) => Ok(None),
        Err(e) => Err(classify(e)),
    }
}

/// Readiness from a Describe by id of a resource with a lifecycle state: `state` is
/// `None` when the Describe did not find it (gone after a delete, not visible yet
/// right after a create). `deleted` is gone; a state in `usable` is ready with
/// `outputs`; `failed(state)` names the states that will never become usable; anything
/// else is pending.
pub(crate) fn by_state(
    op: Op,
    physical_id: &str,
    state: Option<&str>,
    usable: &[&str],
    outputs: impl FnOnce() -> Attrs,
    failed: impl FnOnce(&str) -> Option<KindError>,
) -> Result<Readiness, KindError> {
    let Some(st) = state else {
        return match op {
            Op::Delete => Ok(Readiness::Gone),
            _ => Err(super::not_visible_yet(format!("{physical_id} is not visible yet"))),
        };
    };
    Ok(match op {
        Op::Delete if st == "deleted" => Readiness::Gone,
        Op::Delete => Readiness::Pending(st.to_string()),
        _ if usable.contains(&st) => Readiness::Ready(outputs()),
        _ => match failed(st) {
            Some(e) => return Err(e),
            None => Readiness::Pending(st.to_string()),
        },
    })
}

/// Readiness of a resource usable once its state is `available`, from the state a
/// Describe by id found (`None`: not found).
pub(crate) fn ready_when_available(
    op: Op,
    physical_id: &str,
    state: Option<&str>,
) -> Result<Readiness, KindError> {
    by_state(op, physical_id, state, &["available"], || super::id_out(physical_id), |_| None)
}

/// A Describe (or Get) by id or name: NotFound is `None`, not an error.
pub(crate) async fn lookup<T, E, R>(
    call: impl Future<Output = Result<T, SdkError<E, R>>>,
) -> Result<Option<T>, KindError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    found(call.await.map_err(classify))
}

/// Every item of a paginated call whose paginator has no item stream (RAM's): the
/// pages' `$field` lists in order, the error classified. A macro for the reason
/// [`all_pages`](crate::kit::all_pages) is one.
macro_rules! page_items {
    ($req:expr, $field:ident) => {
        $req.into_paginator().send().try_collect().await.map_err($crate::errors::classify).map(
            |pages: Vec<_>| {
                pages.into_iter().flat_map(|p| p.$field.unwrap_or_default()).collect::<Vec<_>>()
            },
        )
    };
}
pub(crate) use page_items;

/// Any SDK's tags as a map: `kv` gives an item's key and value.
pub(crate) fn tag_map<T>(items: &[T], kv: fn(&T) -> (&str, &str)) -> HashMap<String, String> {
    tags::to_map(items.iter().map(|t| {
        let (k, v) = kv(t);
        (Some(k), Some(v))
    }))
}

/// Whether the diff changes any of `fields`.
pub(crate) fn changes(diff: &Diff, fields: &[&str]) -> bool {
    diff.changes.iter().any(|c| fields.contains(&c.field.as_str()))
}

/// A call made to bring something about (a delete, a detach, an untag): an answer that
/// says it already is so (NotFound, or one of the `already` codes) is success.
pub(crate) async fn call_unless_already<T, E, R>(
    call: impl Future<Output = Result<T, SdkError<E, R>>>,
    already: &[&str],
) -> Result<(), KindError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match call.await.map_err(classify) {
        Err(e) if already.contains(&e.code.as_str()) => Ok(()),
        r => gone_is_ok(r),
    }
}

/// Readiness of what exists once its call returned (an attachment, a mark): ready, or
/// gone after a delete, with nothing to wait for.
pub(crate) fn settled(op: Op, outputs: &Attrs) -> Readiness {
    match op {
        Op::Delete => Readiness::Gone,
        _ => Readiness::Ready(outputs.clone()),
    }
}
