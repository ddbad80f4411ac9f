//! The real `airgapctl` binary run as a user runs it, against LocalStack: one runner for
//! every end-to-end test file.
//!
//! Each [`Cli`] has its own scratch directory (the working directory of every run, where
//! blueprints are written and `.airgap/` state lands) and its own copy of the binary, so
//! that a build of another checkout into a shared target directory cannot swap the binary
//! in the middle of a test. Runs get a clean environment: the base credentials `test` /
//! `test` and nothing from the developer's shell (no profile, region, endpoint or AWS
//! config files), so a test passes or fails the same everywhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A scratch directory with a private copy of the binary, talking to one endpoint.
pub struct Cli {
    dir: PathBuf,
    bin: PathBuf,
    endpoint: String,
    envs: Vec<(String, String)>,
}

impl Cli {
    /// `bin` is the test's `env!("CARGO_BIN_EXE_airgapctl")`; `name` makes the scratch
    /// directory unique among the tests of one process.
    pub fn new(bin: &str, name: &str, endpoint: &str) -> Cli {
        let dir = std::env::temp_dir().join(format!("airgapctl-e2e-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let copy = dir.join("airgapctl");
        // A hard link, not a copy, where the file system allows: cargo replaces a binary
        // by linking a new file, so the link keeps this build's. A copy is open for
        // writing a moment, and a child another test thread forks meanwhile inherits that
        // descriptor: exec of the copy then fails with ETXTBSY ("Text file busy"), which
        // `run` retries.
        if std::fs::hard_link(bin, &copy).is_err() {
            std::fs::copy(bin, &copy).expect("a copy of the airgapctl binary");
        }
        Cli { dir, bin: copy, endpoint: endpoint.to_string(), envs: Vec::new() }
    }

    /// An environment variable every run of this runner gets.
    pub fn env(mut self, key: &str, value: &str) -> Cli {
        self.envs.push((key.to_string(), value.to_string()));
        self
    }

    /// The scratch directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `text` to `file` in the scratch directory; returns the file name, which
    /// runs take as a relative path.
    pub fn write(&self, file: &str, text: &str) -> String {
        std::fs::write(self.dir.join(file), text).expect("scratch directory is writable");
        file.to_string()
    }

    /// The command for `args` (`--endpoint-url` added), not started: for tests that run
    /// two at once or stop one midway.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_env(args, &[])
    }

    /// [`Cli::command`] with extra environment variables for this run alone.
    pub fn command_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .args(["--endpoint-url", self.endpoint.as_str()])
            .current_dir(&self.dir)
            .env_clear()
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_CONFIG_FILE", self.dir.join("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", self.dir.join("no-aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        for (k, v) in &self.envs {
            c.env(k, v);
        }
        for (k, v) in envs {
            c.env(k, v);
        }
        c
    }

    /// Runs `airgapctl args` to completion.
    pub fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    /// [`Cli::run`] with extra environment variables for this run alone.
    pub fn run_env(&self, args: &[&str], envs: &[(&str, &str)]) -> Run {
        let started = Instant::now();
        let out = busy_retry(|| self.command_env(args, envs).output()).expect("airgapctl runs");
        Run::of(args, out, started.elapsed())
    }

    /// [`Cli::run`] from async code, without blocking the runtime's thread (a test may
    /// drive LocalStack calls of its own meanwhile).
    pub async fn run_async(&self, args: &[&str]) -> Run {
        let started = Instant::now();
        let mut wait = Duration::from_millis(20);
        let out = loop {
            match tokio::process::Command::from(self.command(args)).output().await {
                Err(e)
                    if e.kind() == std::io::ErrorKind::ExecutableFileBusy && wait.as_secs() < 2 =>
                {
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
                r => break r.expect("airgapctl runs"),
            }
        };
        Run::of(args, out, started.elapsed())
    }
}

/// `start()` again while exec answers ETXTBSY (see [`Cli::new`]), for about 2 s.
pub fn busy_retry<T>(mut start: impl FnMut() -> std::io::Result<T>) -> std::io::Result<T> {
    let mut wait = Duration::from_millis(20);
    loop {
        match start() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && wait.as_secs() < 2 => {
                std::thread::sleep(wait);
                wait *= 2;
            }
            r => return r,
        }
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A finished run.
#[derive(Debug)]
pub struct Run {
    /// The exit code; -1 when a signal ended the process.
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// Wall time of the run.
    pub took: Duration,
    /// The arguments, for messages.
    pub args: String,
}

impl Run {
    /// A finished process's run.
    pub fn of(args: &[&str], out: Output, took: Duration) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            took,
            args: args.join(" "),
        }
    }

    /// Asserts the exit code, showing the ends of both outputs when it differs.
    #[track_caller]
    pub fn expect(self, code: i32, what: &str) -> Run {
        self.check(code, what);
        self
    }

    /// [`Run::expect`] on a borrowed run.
    #[track_caller]
    pub fn check(&self, code: i32, what: &str) {
        assert_eq!(
            self.code,
            code,
            "{what} (airgapctl {}): exit {}{}\n--- stdout\n{}\n--- stderr\n{}",
            self.args,
            self.code,
            causes(&self.stdout, &self.stderr),
            tail(&self.stdout),
            tail(&self.stderr)
        );
    }

    /// Index of the first stdout line containing `needle`.
    #[track_caller]
    pub fn line(&self, needle: &str) -> usize {
        self.stdout
            .lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no line with `{needle}` in:\n{}", self.stdout))
    }

    /// The API calls `plan --stats` reports on its `Observe: ... N API calls` line.
    #[track_caller]
    pub fn observe_calls(&self) -> u64 {
        self.stdout
            .lines()
            .find_map(|l| {
                let l = l.strip_prefix("Observe: ")?;
                let (_, rest) = l.split_once("), ")?;
                rest.strip_suffix(" API calls")?.parse().ok()
            })
            .unwrap_or_else(|| panic!("no call count in:\n{}", self.stdout))
    }

    /// The run's own report line ("Apply complete in 9.7s: ..."), or "".
    pub fn report(&self) -> &str {
        self.stdout.lines().find(|l| l.contains(" complete in ")).unwrap_or_default()
    }

    /// Logs wall time and the run's report, for the test output.
    pub fn timing(&self, what: &str) {
        eprintln!("{what}: {:.1}s wall; {}", self.took.as_secs_f64(), self.report());
    }
}

/// The causes a failed run names, to lead a failure's message: its summary's `Errors:`
/// block and stderr's error lines (miette's plain headline is `  x message`). A CI log
/// keeps the head and the end of a long message, and a run's progress lines would push
/// them out of both.
fn causes(stdout: &str, stderr: &str) -> String {
    let summary = stdout
        .lines()
        .skip_while(|l| *l != "Errors:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .take(20);
    let errors = stderr
        .lines()
        .filter(|l| {
            let l = l.trim_start();
            ["error", "Error", "x "].iter().any(|p| l.starts_with(p))
        })
        .take(10);
    let lines: Vec<&str> = summary.chain(errors).collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("\n--- causes\n{}", lines.join("\n"))
}

/// The end of a long output (JSON plans are long).
pub fn tail(s: &str) -> &str {
    let mut i = s.len().saturating_sub(6000);
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

#[cfg(test)]
mod tests {
    use super::causes;

    #[test]
    fn causes_are_the_summarys_errors_and_stderrs_error_lines() {
        let stdout = "[ 1.0s] + vpc/a: creating\n\nApply failed after 2.0s: 1 failed.\n\nErrors:\n  \
                      + vpc/a (vpc): create: Boom: no\n  + vpc/b (vpc): create: Bang\n\n2 skipped.\n";
        let stderr = "WARN something\n  x apply failed\n";
        assert_eq!(
            causes(stdout, stderr),
            "\n--- causes\n  + vpc/a (vpc): create: Boom: no\n  + vpc/b (vpc): create: Bang\n  x apply failed"
        );
        assert_eq!(causes("all done\n", "WARN only\n"), "");
    }
}
