//! Readiness of resources usable as soon as their call returns, whose delete a Describe
//! by id follows (lookups where NotFound is `None` are `calls::lookup`).

use std::future::Future;

use airgap_engine::{Check, KindError, Op, Readiness};
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::errors::classify;

/// Readiness of a resource that is usable as soon as its create or update returns, and
/// whose delete is done once a Describe by id (`describe`, sent only after a delete) no
/// longer lists it; until then it is pending with `status` (`deleting`, `releasing`).
pub(crate) async fn usable_until_deleted<T, E, R>(
    check: &Check<'_>,
    describe: impl Future<Output = Result<T, SdkError<E, R>>>,
    listed: impl FnOnce(&T) -> bool,
    status: &str,
) -> Result<Readiness, KindError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if check.op != Op::Delete {
        return Ok(Readiness::Ready(check.outputs.clone()));
    }
    super::delete_progress(describe.await.map_err(classify), listed, status)
}
