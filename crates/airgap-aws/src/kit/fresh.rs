//! Calls on a resource created moments earlier, inside the same step.
//!
//! EC2 and KMS are eventually consistent: "if you run a command to modify or describe
//! the resource that you just created, its ID might not have propagated throughout the
//! system, and you will get an error responding that the resource does not exist"
//! (Amazon EC2 developer guide, "Eventual consistency in the Amazon EC2 API", which
//! asks for exponential backoff up to a few minutes). A create that goes on to call
//! ModifyVpcAttribute, AttachInternetGateway, ModifySubnetAttribute or
//! EnableKeyRotation with the id it was just given retries that call here, on the id it
//! holds. Failing the step instead would have the engine run the whole create again,
//! whose lookup by tag is itself eventually consistent and could make a second
//! resource. This is the one place a kind waits on its own; every other retry is the
//! engine's policy.

use std::future::Future;
use std::time::Duration;

use airgap_engine::{ErrorClass, KindError};
use tokio::time::{sleep, Instant};

/// How long a new id may take to be visible to the next call (Terraform's AWS
/// provider waits as long for the same errors: its `PropagationTimeout`, 2 minutes).
pub(crate) const PROPAGATION: Duration = Duration::from_secs(120);

/// `call` again, with backoff (1 s doubling to 15 s), while it answers NotFound for at
/// most [`PROPAGATION`]; any other answer at once.
pub(crate) async fn on_fresh<T, F, Fut>(mut call: F) -> Result<T, KindError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, KindError>>,
{
    let deadline = Instant::now() + PROPAGATION;
    let mut wait = Duration::from_secs(1);
    loop {
        match call().await {
            Err(e) if e.class == ErrorClass::NotFound && Instant::now() + wait <= deadline => {
                tracing::debug!(error = %e, ?wait, "not visible yet; calling again");
                sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(15));
            }
            r => return r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn gone() -> KindError {
        KindError::new(ErrorClass::NotFound, "InvalidVpcID.NotFound", "not yet")
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_is_called_again_until_visible_and_other_errors_return_at_once() {
        let n = Cell::new(0);
        let r = on_fresh(|| {
            n.set(n.get() + 1);
            async {
                if n.get() < 3 {
                    Err(gone())
                } else {
                    Ok(n.get())
                }
            }
        })
        .await;
        assert_eq!(r.unwrap(), 3);
        let n = Cell::new(0);
        let r: Result<(), _> = on_fresh(|| {
            n.set(n.get() + 1);
            async { Err(KindError::fatal("InvalidParameterValue", "no")) }
        })
        .await;
        assert_eq!((r.unwrap_err().class, n.get()), (ErrorClass::Fatal, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn an_id_that_never_appears_fails_after_the_propagation_time() {
        let start = Instant::now();
        let r: Result<(), _> = on_fresh(|| async { Err(gone()) }).await;
        assert_eq!(r.unwrap_err().class, ErrorClass::NotFound);
        let took = start.elapsed();
        assert!(took <= PROPAGATION && took >= PROPAGATION / 2, "{took:?}");
    }
}
