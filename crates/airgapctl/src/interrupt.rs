//! Ctrl-C during a run: the first cancels (no new calls; those in flight finish
//! and the report is printed), the second abandons the run at once.

use tokio_util::sync::CancellationToken;

/// Where interrupts come from: SIGINT in the binary, a channel in tests.
pub trait Source {
    /// Waits for the next interrupt; `false` when there will be none.
    fn next(&mut self) -> impl std::future::Future<Output = bool> + Send;
}

/// SIGINT, listened for from creation on: a Ctrl-C that arrives before the
/// watching task first runs must not fall through to the default (kill) action.
pub struct Interrupts {
    #[cfg(unix)]
    sig: tokio::signal::unix::Signal,
}

impl Interrupts {
    pub fn listen() -> std::io::Result<Self> {
        Ok(Interrupts {
            #[cfg(unix)]
            sig: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?,
        })
    }
}

impl Source for Interrupts {
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        return self.sig.recv().await.is_some();
        #[cfg(not(unix))]
        return tokio::signal::ctrl_c().await.is_ok();
    }
}

impl Source for tokio::sync::mpsc::UnboundedReceiver<()> {
    async fn next(&mut self) -> bool {
        self.recv().await.is_some()
    }
}

/// Cancels `cancel` on the first interrupt and calls `abandon` on the second. Once
/// `over` is cancelled (the runs are over; the command is finishing: the report, the
/// lock's release, the record), any interrupt calls `abandon`: there is nothing left to
/// stop gently, and the listener has displaced SIGINT's default action, so ignoring it
/// would leave Ctrl-C without effect. The caller keeps this running until it exits.
pub async fn watch(
    mut src: impl Source,
    cancel: CancellationToken,
    over: CancellationToken,
    abandon: impl FnOnce(),
) {
    if !src.next().await {
        return;
    }
    if !over.is_cancelled() {
        eprintln!(
            "\nInterrupted: no new operations will start; waiting for those in flight. \
             Press Ctrl-C again to exit at once."
        );
        cancel.cancel();
        if !src.next().await {
            return;
        }
    }
    abandon();
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    use tokio::sync::mpsc;

    use super::*;

    #[tokio::test]
    async fn first_cancels_second_abandons() {
        let (tx, rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let abandoned = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&abandoned);
        let over = CancellationToken::new();
        let task = tokio::spawn(watch(rx, cancel.clone(), over.clone(), move || {
            flag.store(true, Ordering::SeqCst)
        }));
        tx.send(()).unwrap();
        cancel.cancelled().await;
        assert!(!abandoned.load(Ordering::SeqCst));
        // The run ended (in-flight calls finished); the command still finishes its work,
        // and a second Ctrl-C then must still exit at once.
        over.cancel();
        tokio::task::yield_now().await;
        assert!(!abandoned.load(Ordering::SeqCst));
        tx.send(()).unwrap();
        task.await.unwrap();
        assert!(abandoned.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn after_the_runs_a_first_interrupt_abandons() {
        let (tx, rx) = mpsc::unbounded_channel();
        let (cancel, over) = (CancellationToken::new(), CancellationToken::new());
        over.cancel();
        let abandoned = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&abandoned);
        let task = tokio::spawn(watch(rx, cancel.clone(), over, move || {
            flag.store(true, Ordering::SeqCst)
        }));
        tx.send(()).unwrap();
        task.await.unwrap();
        assert!(abandoned.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn no_interrupt_no_cancel() {
        let (tx, rx) = mpsc::unbounded_channel::<()>();
        let cancel = CancellationToken::new();
        drop(tx);
        watch(rx, cancel.clone(), CancellationToken::new(), || {
            panic!("abandoned without an interrupt")
        })
        .await;
        assert!(!cancel.is_cancelled());
    }
}
