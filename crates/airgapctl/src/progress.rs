//! Live progress of an apply or destroy, fed by the engine's events.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use airgap_engine::{Event, Op};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::render;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// One JSON object per line, for machines.
    Json,
    /// One text line per event, for logs and pipes.
    Lines,
    /// A counter bar and the running operations, redrawn in place on a terminal.
    Bar,
}

/// Renders events until the engine drops its sender (the run is over).
pub async fn run(mut rx: UnboundedReceiver<Event>, style: Style, prefix: Option<String>) {
    match style {
        Style::Json | Style::Lines => {
            while let Some(e) = rx.recv().await {
                let line = match style {
                    Style::Json => Some(serde_json::to_string(&e).expect("events serialize")),
                    _ => render::event_line(&e),
                };
                if let Some(line) = line {
                    let mut out = std::io::stdout().lock();
                    // A closed pipe (`| head`) must not abort the run; the engine goes on.
                    let _ = writeln!(out, "{}{line}", prefix.as_deref().unwrap_or_default());
                }
            }
        }
        Style::Bar => Bars::new(ProgressDrawTarget::stdout()).run(rx).await,
    }
}

/// How many running operations get a row of their own; the rest are counted.
const ROWS: usize = 8;

struct Running {
    op: Op,
    since: Instant,
    status: String,
}

struct Bars {
    multi: MultiProgress,
    main: ProgressBar,
    rows: Vec<ProgressBar>,
    running: HashMap<String, Running>,
}

impl Bars {
    fn new(target: ProgressDrawTarget) -> Self {
        let multi = MultiProgress::with_draw_target(target);
        let main = multi.add(ProgressBar::new(0));
        main.set_style(
            ProgressStyle::with_template(
                "{bar:40.cyan/blue} {pos}/{len} operations  [{elapsed}]  {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        let rows = (0..ROWS)
            .map(|_| {
                let b = multi.add(ProgressBar::new_spinner());
                b.set_style(ProgressStyle::with_template("  {msg}").expect("valid template"));
                b
            })
            .collect();
        Bars { multi, main, rows, running: HashMap::new() }
    }

    async fn run(mut self, mut rx: UnboundedReceiver<Event>) {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                e = rx.recv() => match e {
                    Some(e) => self.on_event(&e),
                    None => break,
                },
                _ = tick.tick() => self.redraw(),
            }
        }
        self.end();
    }

    /// Leaves the bar at the operations that did end: `finish()` would move it to its
    /// length, so an interrupted or failed run would read 167/167.
    fn end(&self) {
        for r in &self.rows {
            r.finish_and_clear();
        }
        self.main.abandon();
    }

    fn on_event(&mut self, e: &Event) {
        match e {
            Event::RunStarted { operations } => self.main.set_length(*operations as u64),
            Event::Started { node, op, .. } => {
                self.running.insert(
                    node.to_string(),
                    Running { op: *op, since: Instant::now(), status: String::new() },
                );
            }
            Event::Waiting { node, status, .. } => {
                if let Some(r) = self.running.get_mut(node.as_str()) {
                    r.status = status.clone();
                }
            }
            Event::Done { node, .. } => {
                self.running.remove(node.as_str());
                self.main.inc(1);
            }
            Event::Failed { node, .. } => {
                self.running.remove(node.as_str());
                self.main.inc(1);
                self.println(e);
            }
            Event::Skipped { .. } => self.main.inc(1),
            Event::Retrying { .. } | Event::Cancelling { .. } => self.println(e),
            Event::RunFinished { failed, skipped, not_started, .. } => {
                if failed + skipped + not_started > 0 {
                    self.main.set_message(format!(
                        "{} did not finish",
                        render::count_of(failed + skipped + not_started, "operation", "operations")
                    ));
                    return;
                }
            }
        }
        self.redraw();
    }

    fn println(&self, e: &Event) {
        if let Some(line) = render::event_line(e) {
            let _ = self.multi.println(line);
        }
    }

    /// Longest-running first: those are the ones a user waits for.
    fn redraw(&self) {
        let mut running: Vec<_> = self.running.iter().collect();
        running.sort_by_key(|(id, r)| (r.since, id.as_str()));
        for (i, row) in self.rows.iter().enumerate() {
            match running.get(i) {
                Some((id, r)) => row.set_message(format!(
                    "{} {id} {}{:.0}s",
                    render::op_symbol(r.op),
                    if r.status.is_empty() { String::new() } else { format!("({}) ", r.status) },
                    r.since.elapsed().as_secs_f64()
                )),
                None => row.set_message(""),
            }
        }
        let more = running.len().saturating_sub(ROWS);
        self.main.set_message(if more > 0 {
            format!("{} running, {more} not shown", running.len())
        } else {
            format!("{} running", running.len())
        });
    }
}

#[cfg(test)]
mod tests {
    use airgap_engine::NodeId;

    use super::*;

    #[test]
    fn an_interrupted_run_leaves_the_bar_where_it_stopped() {
        let mut bars = Bars::new(ProgressDrawTarget::hidden());
        bars.on_event(&Event::RunStarted { operations: 3 });
        let node = NodeId::from("vpc/a");
        bars.on_event(&Event::Started {
            at_s: 0.0,
            node: node.clone(),
            kind: "vpc".into(),
            op: Op::Create,
        });
        bars.on_event(&Event::Done { at_s: 1.0, node, op: Op::Create, elapsed_s: 1.0 });
        bars.on_event(&Event::Cancelling { at_s: 1.0, in_flight: 0 });
        bars.on_event(&Event::RunFinished {
            at_s: 1.0,
            done: 1,
            failed: 0,
            skipped: 0,
            not_started: 2,
        });
        bars.end();
        assert_eq!((bars.main.position(), bars.main.length()), (1, Some(3)));
        assert_eq!(bars.main.message(), "2 operations did not finish");
    }
}
