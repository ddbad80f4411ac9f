//! Killing a run with SIGKILL at a chosen point, as a CI runner that is cancelled or
//! preempted would: after a time, after a number of completed operations, or when a
//! given operation starts.

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A small deterministic generator (xorshift64*): a printed seed replays a run.
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [lo, hi) milliseconds.
    pub fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.next() % (hi - lo))
    }
}

/// Where a run is killed.
#[derive(Clone, Debug)]
pub enum KillAt {
    /// After a time.
    Delay(Duration),
    /// Once `n` operations reported done (0: when the operations start).
    Done(usize),
    /// When an operation of a node whose id starts with this begins.
    Starting(String),
}

/// What the run was doing when it was killed.
#[derive(Debug, Default)]
pub struct Killed {
    /// Operations reported done.
    pub done: usize,
    /// Nodes whose operation had started and not finished.
    pub in_flight: Vec<String>,
}

/// Runs `cmd` (its stdout is taken) and kills it at `at`; None if it ended first.
pub fn kill_at(mut cmd: Command, at: &KillAt) -> Option<Killed> {
    let mut child =
        cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("airgapctl starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let killed = match at {
        KillAt::Delay(d) => {
            std::thread::sleep(*d);
            let running = matches!(child.try_wait(), Ok(None));
            child.kill().ok();
            running.then(Killed::default)
        }
        KillAt::Done(_) | KillAt::Starting(_) => {
            let mut k = Killed::default();
            let mut hit = false;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // Progress lines: "[  1.2s] + vpc/workload: creating", "...: done in 0.3s".
                let node = line
                    .split_once("] ")
                    .and_then(|(_, r)| r.get(2..))
                    .and_then(|r| r.split_once(": "))
                    .map(|(n, what)| (n.to_string(), what.to_string()));
                if let Some((node, what)) = node {
                    if what.starts_with("creating")
                        || what.starts_with("deleting")
                        || what.starts_with("updating")
                    {
                        if !k.in_flight.contains(&node) {
                            k.in_flight.push(node.clone());
                        }
                        if matches!(at, KillAt::Starting(p) if node.starts_with(p.as_str())) {
                            hit = true;
                        }
                    } else if what.starts_with("done in ") || what.starts_with("FAILED") {
                        k.in_flight.retain(|n| *n != node);
                        k.done += 1;
                    }
                }
                hit |= match at {
                    KillAt::Done(0) => line.starts_with("Running "),
                    KillAt::Done(n) => k.done >= *n,
                    _ => false,
                };
                if hit {
                    child.kill().ok();
                    break;
                }
            }
            hit.then_some(k)
        }
    };
    child.wait().expect("the child is reaped");
    killed
}
