//! Describe calls by id or name, where a resource that does not exist is an answer
//! (`None`), not an error.

use std::future::Future;

use airgap_engine::KindError;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::errors::{classify, found};

/// The answer of a Describe of one resource; NotFound is `None`.
pub(crate) async fn described<T, E, R>(
    call: impl Future<Output = Result<T, SdkError<E, R>>>,
) -> Result<Option<T>, KindError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    found(call.await.map_err(classify))
}
