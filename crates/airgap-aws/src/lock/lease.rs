//! A held lease, and the heartbeat that renews it in the background until it is
//! released or lost.

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{ms, now_ms, rfc3339, LeaseOptions, LockError, LockInfo, LockTable};

/// A held lease, renewed in the background until released.
pub struct Lease {
    table: LockTable,
    info: LockInfo,
    lost: watch::Receiver<Option<String>>,
    heartbeat: JoinHandle<()>,
}

impl Lease {
    pub(super) fn start(table: LockTable, info: LockInfo, opts: LeaseOptions) -> Lease {
        let (tx, lost) = watch::channel(None);
        let heartbeat = tokio::spawn(heartbeat(table.clone(), info.clone(), opts, tx));
        Lease { table, info, lost, heartbeat }
    }

    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// Resolves with the reason once the lease is lost (never, while it is held).
    pub fn lost(&self) -> impl std::future::Future<Output = String> + Send + 'static {
        let mut rx = self.lost.clone();
        async move {
            loop {
                if let Some(reason) = rx.borrow_and_update().clone() {
                    return reason;
                }
                if rx.changed().await.is_err() {
                    // The heartbeat ended without losing the lease: released.
                    std::future::pending::<()>().await;
                }
            }
        }
    }

    /// Whether the lease was lost, and why.
    pub fn lost_reason(&self) -> Option<String> {
        self.lost.borrow().clone()
    }

    /// Stops the heartbeat and deletes the lease (if it is still ours).
    pub async fn release(self) -> Result<(), LockError> {
        self.heartbeat.abort();
        if let Some(reason) = self.lost_reason() {
            return Err(LockError::Lost { env: self.info.env.clone(), reason });
        }
        match self.table.delete_if_token(&self.info.env, &self.info.token).await {
            Ok(()) => Ok(()),
            Err(LockError::NotLocked { .. }) => Err(LockError::Lost {
                env: self.info.env.clone(),
                reason: "it was no longer ours when released".to_string(),
            }),
            Err(e) => Err(e),
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // Not released: the lease expires on its own.
        self.heartbeat.abort();
    }
}

async fn heartbeat(
    table: LockTable,
    info: LockInfo,
    opts: LeaseOptions,
    lost: watch::Sender<Option<String>>,
) {
    let mut valid_until = info.expires_at_ms;
    let retry = opts.poll.min(opts.heartbeat);
    let mut next = opts.heartbeat;
    loop {
        tokio::time::sleep(next).await;
        let expires = now_ms().saturating_add(ms(opts.lease));
        match table.renew(&info.env, &info.token, expires).await {
            Ok(()) => {
                valid_until = expires;
                next = opts.heartbeat;
            }
            Err(LockError::Lost { reason, .. }) => {
                let _ = lost.send(Some(reason));
                return;
            }
            Err(e) => {
                tracing::warn!(env = %info.env, error = %e, "could not renew the lock");
                if now_ms() >= valid_until {
                    let _ = lost.send(Some(format!(
                        "it expired at {} before it could be renewed ({e})",
                        rfc3339(valid_until)
                    )));
                    return;
                }
                next = retry;
            }
        }
    }
}
