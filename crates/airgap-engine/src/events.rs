//! Typed progress events. The engine sends them; reporters (the CLI) render them.

use std::sync::{Arc, Mutex};

use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::graph::NodeId;
use crate::kind::{ErrorClass, Op};

/// Something that happened during a run. `at_s` is seconds since the run started.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    RunStarted {
        operations: usize,
    },
    Started {
        at_s: f64,
        node: NodeId,
        kind: String,
        op: Op,
    },
    /// The call was made; now waiting for the resource to become usable (or gone).
    Waiting {
        at_s: f64,
        node: NodeId,
        op: Op,
        status: String,
    },
    Retrying {
        at_s: f64,
        node: NodeId,
        op: Op,
        error: String,
        after_s: f64,
    },
    Done {
        at_s: f64,
        node: NodeId,
        op: Op,
        elapsed_s: f64,
    },
    Failed {
        at_s: f64,
        node: NodeId,
        op: Op,
        error: String,
        class: ErrorClass,
    },
    /// Not run because `cause` failed; reports show root causes only.
    Skipped {
        node: NodeId,
        op: Op,
        cause: NodeId,
    },
    Cancelling {
        at_s: f64,
        in_flight: usize,
    },
    RunFinished {
        at_s: f64,
        done: usize,
        failed: usize,
        skipped: usize,
        not_started: usize,
    },
}

/// A subscriber. Called from the executor's loop: keep it quick.
pub trait EventSink: Send + Sync {
    fn send(&self, event: &Event);
}

impl EventSink for UnboundedSender<Event> {
    fn send(&self, event: &Event) {
        // A reporter that went away must not stop the run.
        let _ = UnboundedSender::send(self, event.clone());
    }
}

/// Collects events in memory; for tests.
#[derive(Default)]
pub struct Recorder(pub Mutex<Vec<Event>>);

impl EventSink for Recorder {
    fn send(&self, event: &Event) {
        self.0.lock().expect("recorder lock").push(event.clone());
    }
}

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.0.lock().expect("recorder lock").clone()
    }
}

/// The subscribers of a run.
#[derive(Clone, Default)]
pub struct Events {
    sinks: Vec<Arc<dyn EventSink>>,
}

impl Events {
    pub fn none() -> Self {
        Self::default()
    }

    pub fn subscribe(&mut self, sink: Arc<dyn EventSink>) -> &mut Self {
        self.sinks.push(sink);
        self
    }

    /// Sends the event `make` builds; without subscribers it is never built, which
    /// keeps large unobserved runs (benchmarks) cheap.
    pub fn emit(&self, make: impl FnOnce() -> Event) {
        if self.sinks.is_empty() {
            return;
        }
        let event = make();
        for s in &self.sinks {
            s.send(&event);
        }
    }
}
