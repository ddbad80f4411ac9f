//! Shapes of single SDK calls every service repeats: a lookup where NotFound is an
//! answer, a call whose "already so" answer is success, a tag list as a map, a diff
//! read as the fields it names, and the readiness of what is done once its call returns.

use std::collections::HashMap;
use std::future::Future;

use airgap_engine::{Attrs, Diff, KindError, Op, Readiness};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::errors::{classify, found, gone_is_ok};
use crate::tags;

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
        $req.into_paginator()
            .send()
            .try_collect()
            .await
            .map_err($crate::errors::classify)
            .map(|pages: Vec<_>| {
                pages
                    .into_iter()
                    .flat_map(|p| p.$field.unwrap_or_default())
                    .collect::<Vec<_>>()
            })
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
    diff.changes
        .iter()
        .any(|c| fields.contains(&c.field.as_str()))
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
