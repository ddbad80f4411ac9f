//! A time-bounded mutation fuzzer over `parse` and `expand`, run by `cargo test`.
//!
//! Blueprints come from pull requests, so any text must give a model or diagnostics:
//! never a panic, never unbounded time, never a span miette cannot render, never a
//! message that quotes megabytes. There is no coverage feedback (no nightly, no
//! cargo-fuzz in CI); instead an input that produces a diagnostic never seen before,
//! or a graph of a new size, joins the corpus, which steers mutations towards the
//! deeper validation rules.
//!
//! `AIRGAP_FUZZ_SECS` (default 20) bounds the run, `AIRGAP_FUZZ_SEED` (default: the
//! clock) fixes the sequence of inputs: a seed always replays the same inputs, a longer
//! run just goes further. Every file in `tests/fuzz-regressions/` runs first, unmutated.
//! A failing input is minimized and saved under `target/tmp/airgap-fuzz/`.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use airgap_blueprint::{expand, parse};
use miette::Diagnostic;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// More CPU time than this for one input (parse and expand, or rendering its
/// diagnostics) is a failure. CPU time of the thread, not the wall clock: a CI runner
/// busy with other builds must not turn a fast input into a failure.
const SLOW: Duration = Duration::from_secs(2);
/// An input still running after this is a hang: the watchdog saves it and ends the
/// process, since a stuck call cannot be interrupted from inside.
const HANG: Duration = Duration::from_secs(30);
/// Messages, labels and help are cut at 400 bytes plus a note; more is unbounded.
const MAX_TEXT: usize = 1024;
/// Inputs are kept under this (a mutation that grows past it is undone): large enough
/// for anything quadratic in the text to show, small enough to keep hundreds of inputs
/// a second in a debug build.
const MAX_INPUT: usize = 256 * 1024;
/// Corpus entries above this are not kept: they would slow every descendant.
const MAX_KEPT: usize = 64 * 1024;
const MAX_CORPUS: usize = 2000;
/// Time spent shrinking each new kind of failure (a slow input takes seconds a try).
const MINIMIZE: Duration = Duration::from_secs(60);

#[test]
fn fuzz_parse_and_expand() {
    let secs: f64 = env_or("AIRGAP_FUZZ_SECS", 20.0);
    let seed: u64 = env_or("AIRGAP_FUZZ_SEED", clock_seed());
    eprintln!("fuzz: seed {seed} for {secs} s (AIRGAP_FUZZ_SEED={seed} replays it)");
    quiet_panics();

    let base = base_corpus();
    let mut f = Fuzzer::new(seed, &base);
    let watchdog = Watchdog::start(seed);
    let started = Instant::now();

    // Regressions first, whatever the time budget.
    for (name, text) in base.iter().filter(|(n, _)| n.starts_with("fuzz-regressions/")) {
        f.run(text, name, &watchdog, false);
    }
    let deadline = started + Duration::from_secs_f64(secs);
    while Instant::now() < deadline {
        let text = f.next_input(&base);
        let label = format!("seed {seed} input {}", f.stats.inputs);
        f.run(&text, &label, &watchdog, true);
    }
    watchdog.stop();

    let s = &f.stats;
    eprintln!(
        "fuzz: {} inputs in {:.1} s (seed {seed}), {} parsed ok, {} refused, {} expanded",
        s.inputs,
        started.elapsed().as_secs_f64(),
        s.parsed,
        s.refused,
        s.expanded,
    );
    let slowest = save(seed, "slowest", "input", &s.slowest_text);
    eprintln!(
        "fuzz: slowest input {:.0} ms of CPU ({} bytes, {}), corpus {} + {} kept, {} distinct messages",
        s.slowest.as_secs_f64() * 1000.0,
        s.slowest_text.len(),
        slowest.display(),
        base.len(),
        f.kept.len(),
        f.seen_messages.len(),
    );
    if !f.failures.is_empty() {
        let list: Vec<String> = f.failures.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        panic!("fuzz found {} kind(s) of failure:\n{}", list.len(), list.join("\n"));
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
        }
        _ => default,
    }
}

fn clock_seed() -> u64 {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    // Short enough to type back in.
    (t.as_nanos() as u64 ^ u64::from(std::process::id())) % 1_000_000_000
}

/// `plans/*.yaml`, then the regression inputs (sorted, so runs are reproducible).
fn base_corpus() -> Vec<(String, String)> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for (dir, prefix, only_yaml) in [
        (manifest.join("../../plans"), "plans/", true),
        (manifest.join("tests/fuzz-regressions"), "fuzz-regressions/", false),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        files.sort();
        for path in files {
            if !path.is_file() || (only_yaml && path.extension().is_none_or(|e| e != "yaml")) {
                continue;
            }
            // Regressions may hold any bytes the parser was given as text: read lossily.
            let bytes = std::fs::read(&path).expect("corpus file is readable");
            let name = format!("{prefix}{}", path.file_name().unwrap().to_string_lossy());
            out.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    assert!(out.iter().any(|(n, _)| n.starts_with("plans/")), "no plans/*.yaml found");
    out
}

// ---------------------------------------------------------------------------------
// One input: run it, check every invariant.

#[derive(Debug)]
enum Outcome {
    Parsed { nodes: usize },
    Refused { messages: Vec<String> },
}

#[derive(Debug, Clone)]
struct Failure {
    /// What broke, stable across inputs (a panic's location, "slow", ...): the
    /// minimizer keeps a reduction only if it breaks the same way.
    kind: String,
    detail: String,
}

fn fail<T>(kind: &str, detail: impl Into<String>) -> Result<T, Failure> {
    Err(Failure { kind: kind.to_string(), detail: detail.into() })
}

thread_local! {
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Panics caught per input are recorded instead of printed: the minimizer provokes
/// the same panic hundreds of times.
fn quiet_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) {
                // The last parts of the path name the place; the registry's prefix is noise.
                let at = info.location().map_or_else(
                    || "?".to_string(),
                    |l| {
                        let parts: Vec<&str> = l.file().rsplit('/').take(3).collect();
                        let file: Vec<&str> = parts.into_iter().rev().collect();
                        format!("{}:{}", file.join("/"), l.line())
                    },
                );
                let msg = info.payload_as_str().unwrap_or("(no message)").to_string();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some((at, msg)));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs one input; the time is that of parse and expand, or of rendering the
/// diagnostics if that took longer.
fn run_one(text: &str) -> (Result<Outcome, Failure>, Duration) {
    let once = || {
        CATCHING.with(|c| c.set(true));
        LAST_PANIC.with(|p| p.borrow_mut().take());
        let start = CpuClock::now();
        let r = panic::catch_unwind(AssertUnwindSafe(|| examine(text)));
        CATCHING.with(|c| c.set(false));
        match r {
            Ok(r) => r,
            Err(_) => {
                let (at, msg) = LAST_PANIC
                    .with(|p| p.borrow_mut().take())
                    .unwrap_or_else(|| ("?".into(), "panic without a message".into()));
                (fail(&format!("panic at {at}"), msg), start.elapsed(), Duration::ZERO)
            }
        }
    };
    let slow = |took: Duration, render: Duration| took > SLOW || render > SLOW;
    let (mut r, mut took, mut render) = once();
    if r.is_ok() && slow(took, render) {
        // CI runners share their cores with other builds: slow twice in a row is the input.
        let (r2, took2, render2) = once();
        (r, took, render) = (r2, took.min(took2), render.min(render2));
        if r.is_ok() && took > SLOW {
            r = fail(
                "slow",
                format!(
                    "parse and expand took {:.2} s of CPU (bound {} s)",
                    took.as_secs_f64(),
                    SLOW.as_secs()
                ),
            );
        } else if r.is_ok() && render > SLOW {
            r = fail(
                "slow render",
                format!(
                    "rendering took {:.2} s of CPU (bound {} s)",
                    render.as_secs_f64(),
                    SLOW.as_secs()
                ),
            );
        }
    }
    (r, took.max(render))
}

/// The CPU time this thread has used (Linux); elsewhere the wall clock.
#[derive(Clone, Copy)]
struct CpuClock(Duration);

impl CpuClock {
    fn now() -> Self {
        CpuClock(thread_cpu_time().unwrap_or_else(|| EPOCH.elapsed()))
    }

    fn elapsed(self) -> Duration {
        Self::now().0.saturating_sub(self.0)
    }
}

static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

#[cfg(target_os = "linux")]
fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

/// Parse, and expand what parses, or render the diagnostics; returns the time of each
/// (the checks are the harness's cost, not the crate's).
fn examine(text: &str) -> (Result<Outcome, Failure>, Duration, Duration) {
    let start = CpuClock::now();
    match parse("fuzz.yaml", text) {
        Ok(bp) => {
            let built = expand(&bp);
            let took = start.elapsed();
            let r = match built {
                Err(e) => fail("expand", format!("a validated blueprint does not expand: {e}")),
                Ok(b) => match b.seal() {
                    Err(e) => {
                        fail("seal", format!("a validated blueprint's graph does not seal: {e:?}"))
                    }
                    Ok(g) => Ok(Outcome::Parsed { nodes: g.len() }),
                },
            };
            (r, took, Duration::ZERO)
        }
        Err(d) => {
            let took = start.elapsed();
            let r = check_diagnostics(text, &d);
            // The CLI renders every problem with its source lines: that must work, and
            // in bounded time, too.
            let start = CpuClock::now();
            let mut out = String::new();
            let r = match miette::GraphicalReportHandler::new().render_report(&mut out, &d) {
                Err(e) if r.is_ok() => fail("render", format!("{e}")),
                _ => r,
            };
            (r, took, start.elapsed())
        }
    }
}

fn check_diagnostics(text: &str, d: &airgap_blueprint::Diagnostics) -> Result<Outcome, Failure> {
    if d.problems().is_empty() {
        return fail("no problem", "refused without a single problem");
    }
    if d.problems().len() > airgap_blueprint::MAX_PROBLEMS {
        return fail("too many problems", format!("{} problems kept", d.problems().len()));
    }
    let mut messages = Vec::with_capacity(d.problems().len());
    for p in d.problems() {
        let m = p.message();
        check_len("message", m)?;
        match p.help_text() {
            None => return fail("no hint", format!("`{}` has no hint", excerpt(m))),
            Some(h) => check_len("help", h)?,
        }
        for l in p.labels().into_iter().flatten() {
            let (a, b) = (l.offset(), l.offset() + l.len());
            if b > text.len() {
                return fail(
                    "span past end",
                    format!("{a}..{b} of {} bytes: {}", text.len(), excerpt(m)),
                );
            }
            if !text.is_char_boundary(a) || !text.is_char_boundary(b) {
                return fail("span off char boundary", format!("{a}..{b}: {}", excerpt(m)));
            }
            if let Some(label) = l.label() {
                check_len("label", label)?;
            }
        }
        let _ = p.line_col();
        messages.push(m.to_string());
    }
    Ok(Outcome::Refused { messages })
}

fn check_len(what: &str, s: &str) -> Result<(), Failure> {
    if s.len() > MAX_TEXT {
        return fail(&format!("long {what}"), format!("{} bytes: {}", s.len(), excerpt(s)));
    }
    Ok(())
}

fn excerpt(s: &str) -> String {
    let cut: String = s.chars().take(160).collect();
    if cut.len() < s.len() {
        format!("{cut}...")
    } else {
        cut
    }
}

// ---------------------------------------------------------------------------------
// The watchdog: a hung input cannot be caught, only recorded before the process ends.

/// The input being run, as the watchdog sees it.
#[derive(Clone, Default)]
struct Running {
    since: Option<Instant>,
    text: Arc<str>,
    label: String,
}

struct Watchdog {
    running: Arc<Mutex<Running>>,
    done: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    fn start(seed: u64) -> Self {
        let running = Arc::new(Mutex::new(Running::default()));
        let done = Arc::new(AtomicBool::new(false));
        let (r, d) = (running.clone(), done.clone());
        let thread = std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let now = r.lock().unwrap().clone();
                if now.since.is_some_and(|s| s.elapsed() > HANG) {
                    let path = save(seed, &now.label, "hang", &now.text);
                    eprintln!(
                        "fuzz: HANG: {} still running after {} s; input saved to {}",
                        now.label,
                        HANG.as_secs(),
                        path.display()
                    );
                    std::process::exit(101);
                }
            }
        });
        Watchdog { running, done, thread: Some(thread) }
    }

    fn enter(&self, text: &str, label: &str) {
        *self.running.lock().unwrap() = Running {
            since: Some(Instant::now()),
            text: Arc::from(text),
            label: label.to_string(),
        };
    }

    fn leave(&self) {
        self.running.lock().unwrap().since = None;
    }

    fn stop(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn failure_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("airgap-fuzz")
}

fn save(seed: u64, label: &str, kind: &str, text: &str) -> PathBuf {
    let dir = failure_dir();
    let _ = std::fs::create_dir_all(&dir);
    let slug: String = format!("{seed}-{label}-{kind}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' })
        .collect();
    let path = dir.join(format!("{slug}.yaml"));
    let _ = std::fs::write(&path, text);
    path
}

/// Drops line chunks, then character chunks, while the input still fails the same way.
fn minimize(text: &str, kind: &str, budget: Duration) -> String {
    let deadline = Instant::now() + budget;
    let still_fails = |t: &str| matches!(run_one(t).0, Err(f) if f.kind == kind);
    let lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let lines = drop_chunks(lines, deadline, |t| still_fails(&t.concat()));
    let chars: Vec<char> = lines.concat().chars().collect();
    drop_chunks(chars, deadline, |t| still_fails(&t.iter().collect::<String>()))
        .into_iter()
        .collect()
}

/// Delta debugging over `cur`'s items (lines or characters): drops chunks of halving
/// size while `still_fails` holds, until single items or the deadline.
fn drop_chunks<T: Clone>(
    mut cur: Vec<T>,
    deadline: Instant,
    still_fails: impl Fn(&[T]) -> bool,
) -> Vec<T> {
    let mut chunk = cur.len().div_ceil(2).max(1);
    while Instant::now() < deadline {
        let mut i = 0;
        while i < cur.len() && Instant::now() < deadline {
            let mut trial = cur.clone();
            trial.drain(i..(i + chunk).min(trial.len()));
            if still_fails(&trial) {
                cur = trial;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    cur
}

// ---------------------------------------------------------------------------------
// The fuzzer: corpus, statistics, failures.

#[derive(Default)]
struct Stats {
    inputs: u64,
    parsed: u64,
    refused: u64,
    expanded: u64,
    slowest: Duration,
    /// Kept to be saved: the place to look when throughput drops.
    slowest_text: String,
}

struct Fuzzer {
    rng: SmallRng,
    seed: u64,
    /// Inputs that did something new, mutated as often as the base corpus.
    kept: Vec<String>,
    seen_messages: HashSet<String>,
    seen_sizes: HashSet<usize>,
    /// Words of the corpus (names, keys, services), for replacements that stay
    /// meaningful: a reference to another account, a known endpoint in a new place.
    words: Vec<String>,
    failures: HashMap<String, String>,
    stats: Stats,
}

impl Fuzzer {
    fn new(seed: u64, base: &[(String, String)]) -> Self {
        let mut words: Vec<String> = base
            .iter()
            .flat_map(|(_, t)| {
                t.split(|c: char| !(c.is_alphanumeric() || "._/:-".contains(c)))
                    .filter(|w| !w.is_empty() && w.len() < 80)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        words.sort();
        words.dedup();
        Fuzzer {
            rng: SmallRng::seed_from_u64(seed),
            seed,
            kept: Vec::new(),
            seen_messages: HashSet::new(),
            seen_sizes: HashSet::new(),
            words,
            failures: HashMap::new(),
            stats: Stats::default(),
        }
    }

    /// `fresh`: a mutated input, kept if it does something new and minimized if it
    /// fails (a regression input is neither).
    fn run(&mut self, text: &str, label: &str, watchdog: &Watchdog, fresh: bool) {
        watchdog.enter(text, label);
        let (r, took) = run_one(text);
        watchdog.leave();
        self.stats.inputs += 1;
        if took > self.stats.slowest {
            self.stats.slowest = took;
            self.stats.slowest_text = text.to_string();
        }
        let new = match r {
            Ok(Outcome::Parsed { nodes }) => {
                self.stats.parsed += 1;
                self.stats.expanded += 1;
                self.seen_sizes.insert(nodes)
            }
            Ok(Outcome::Refused { messages }) => {
                self.stats.refused += 1;
                let mut new = false;
                for m in &messages {
                    new |= self.seen_messages.insert(shape(m));
                }
                new
            }
            Err(f) => {
                match f.kind.as_str() {
                    "expand" | "seal" => self.stats.parsed += 1,
                    k if k.starts_with("panic") || k == "slow" => {}
                    _ => self.stats.refused += 1,
                }
                self.record(text, label, f, fresh);
                false
            }
        };
        if fresh && new && text.len() <= MAX_KEPT {
            if self.kept.len() < MAX_CORPUS {
                self.kept.push(text.to_string());
            } else {
                let i = self.rng.gen_range(0..self.kept.len());
                self.kept[i] = text.to_string();
            }
        }
    }

    fn record(&mut self, text: &str, label: &str, f: Failure, minimize_it: bool) {
        if self.failures.contains_key(&f.kind) {
            return;
        }
        let mut path = save(self.seed, label, &f.kind, text);
        eprintln!("fuzz: FAILURE ({label}): {}: {}\n  input: {}", f.kind, f.detail, path.display());
        if minimize_it {
            let small = minimize(text, &f.kind, MINIMIZE);
            path = save(self.seed, label, &format!("{}-min", f.kind), &small);
            eprintln!(
                "  minimized ({} bytes): {}\n  {:?}",
                small.len(),
                path.display(),
                excerpt(&small)
            );
        }
        self.failures.insert(f.kind, format!("{} ({})", f.detail, path.display()));
    }

    /// Mostly a plan: regression inputs are broken on purpose, and mutations of what is
    /// broken rarely reach validation.
    fn pick_base(&mut self, base: &[(String, String)]) -> String {
        let (plans, regressions): (Vec<_>, Vec<_>) =
            base.iter().partition(|(n, _)| n.starts_with("plans/"));
        let pool =
            if regressions.is_empty() || self.rng.gen_bool(0.9) { plans } else { regressions };
        pool.choose(&mut self.rng).unwrap().1.clone()
    }

    fn next_input(&mut self, base: &[(String, String)]) -> String {
        let mut text = if !self.kept.is_empty() && self.rng.gen_bool(0.4) {
            self.kept.choose(&mut self.rng).unwrap().clone()
        } else {
            self.pick_base(base)
        };
        // Often a single mutation: a stack of eight almost never parses, and what parses is
        // what reaches `expand`.
        let n = if self.rng.gen_bool(0.4) { 1 } else { self.rng.gen_range(1..=8) };
        for _ in 0..n {
            let before = text.clone();
            self.mutate(&mut text, base);
            if text.len() > MAX_INPUT {
                text = before;
            }
        }
        text
    }
}

/// A message with its quoted values and numbers taken out: "a new kind of message",
/// not "a message about a new value".
fn shape(m: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in m.chars() {
        match c {
            '`' => {
                quoted = !quoted;
                out.push('`');
            }
            _ if quoted || c.is_ascii_digit() => {}
            _ => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// Mutations.

/// YAML syntax, at random places.
#[rustfmt::skip]
const SYNTAX: &[&str] = &[
    "&a ", "*a", "<<: *a", "<<: *a\n", "[", "]", "{", "}", "!!str ", "!!int ", "!!map ",
    "!!seq ", "!!binary ", "!custom ", "!<tag:yaml.org,2002:str> ", "---\n", "---", "...\n",
    "? ", "\t", "|\n", "|-\n", ">-\n", "|2\n", "\"", "'", "\0", "\u{feff}", "\r\n", "\r", ": ",
    "- ", "#", ",", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "&", "*", "!", "@", "`", "\\", "%",
    "~", "\n", "  ", "- - - ", "{}", "[]", ": :", "&a [*a]", "? a\n: b\n", "\u{85}", "\u{2028}",
    "\u{202e}", "é", "漢字", "👍", "\x1b[31m", "\x7f",
];

/// Values of every type, for replacing a scalar.
#[rustfmt::skip]
const VALUES: &[&str] = &[
    "~", "null", "''", "\"\"", "true", "false", "yes", "0", "-0", "-1", "1", "1.5", "1e999",
    "-1e999", ".inf", "-.inf", ".nan", "0x7fffffffffffffff", "0x8000000000000000", "0x-1",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808",
    "-9223372036854775809", "18446744073709551616", "99999999999999999999999999999999999",
    "4294967295", "4294967296", "65535", "65536", "2147483648", "0o777", "1_000", "[]", "{}",
    "[a, b]", "[[[]]]", "{a: 1}", "{name: x}", "[~]", "[{}]", "\"\\u0000\"", "\"\\x00\"",
    "\"\\uD800\"", "\"\\U0010FFFF\"", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/0", "0.0.0.0/0",
    "0.0.0.0/32", "256.0.0.0/16", "10.0.0/16", "10.0.0.0/16/16", "10.0.0.0", "10.0.0.0/", "/16",
    "10.0.0.0/4294967312", "10.0.0.0/99999999999999999999", "010.000.000.000/16",
    "10.0.0.0 /16", "::/0", "fd00::/8", "1.2.3.4/32", "255.255.255.255/32", "100.64.0.0/10",
    "10.0.0.0/8", "10.0.0.0/28", "10.0.0.0/29", "10.255.255.240/28", "!!str 5", "!custom x",
    "*a", "&a x", "eu-central-1", "us-east-1", "us-gov-west-1", "cn-north-1", "aws-global",
    "111111111111", "000000000000", "0111111111111", "11111111111",
    "arn:aws:iam::111111111111:role/x", "arn:aws:iam::999999999999:role/x",
    "arn:aws-cn:iam::111111111111:role/a/b/c", "1.35", "1.0", "1.99", "2.0", "0h", "8h", "1d",
    "-1h", "99999999999999999999h", "1h30m", "0s", "1ms", "ü", "Ä_Ö", "名前", "a/b", "../x", "-",
    "--", "a b", "a:b", "*", ".", "x.", "-x-", "UPPER", "s3", "ecr.api", "eks-auth", "kms",
    "logs", "com.amazonaws.eu-central-1.s3", "tcp", "udp", "icmp", "ANY", "0-65535",
    "NoSchedule", "AL2023_x86_64_STANDARD", "BOTTLEROCKET_ARM_64", "m5.large", "t3.nano",
    "ami-0123456789abcdef0", "lt-0123", "$Latest", "cloudwatch", "s3", "vpc-cni", "coredns",
    "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver",
];

/// Integers around the limits of CIDR prefixes, ports, sizes and integer types.
#[rustfmt::skip]
const NUMBERS: &[&str] = &[
    "0", "1", "-1", "2", "7", "8", "15", "16", "17", "27", "28", "29", "31", "32", "33", "63",
    "64", "255", "256", "65535", "65536", "4294967295", "4294967296", "9223372036854775807",
    "18446744073709551616", "999999999999999999999999",
];

impl Fuzzer {
    fn mutate(&mut self, text: &mut String, base: &[(String, String)]) {
        // Out of 48: the fan-out is rare, its inputs are the slowest.
        match self.rng.gen_range(0..48) {
            0 | 1 => self.replace_char(text),
            2 | 3 => {
                let at = boundary(text, &mut self.rng);
                let c = self.random_char();
                text.insert(at, c);
            }
            4 | 5 => self.delete_range(text),
            6..=11 => self.lines(text),
            12 | 13 => self.splice(text, base),
            14 | 15 => self.indent(text),
            16..=19 => {
                let at = boundary(text, &mut self.rng);
                let s = *SYNTAX.choose(&mut self.rng).unwrap();
                text.insert_str(at, s);
            }
            20..=27 => {
                let v = self.value();
                self.replace_value(text, v);
            }
            28..=30 => self.swap_word(text),
            31 | 32 => self.nest(text),
            33 => self.fan_out(text),
            34 | 35 => self.anchor(text),
            36 | 37 => self.number(text),
            38 => self.line_endings(text),
            39 => {
                let at = if self.rng.gen_bool(0.5) { 0 } else { boundary(text, &mut self.rng) };
                text.insert(at, '\u{feff}');
            }
            40 => {
                let at = boundary(text, &mut self.rng);
                text.truncate(at);
            }
            41 | 42 => {
                let at = boundary(text, &mut self.rng);
                let t = self.long_token();
                text.insert_str(at, &t);
            }
            43 => self.pad(text),
            44 | 45 => self.flow_item(text),
            _ => self.dup_key(text),
        }
    }

    /// Adds, removes or repeats an item of a `[...]` list: endpoints, add-ons, domains
    /// and AZ lists change and stay valid often enough to reach `expand`.
    fn flow_item(&mut self, text: &mut String) {
        let lists: Vec<usize> = text.match_indices('[').map(|(i, _)| i + 1).collect();
        let Some(&open) = lists.choose(&mut self.rng) else { return };
        let Some(len) = text[open..].find([']', '\n']) else { return };
        let items: Vec<String> =
            text[open..open + len].split(',').map(|i| i.trim().to_string()).collect();
        let mut items: Vec<String> = items.into_iter().filter(|i| !i.is_empty()).collect();
        match self.rng.gen_range(0..3) {
            0 if !items.is_empty() => {
                let i = self.rng.gen_range(0..items.len());
                items.remove(i);
            }
            1 if !items.is_empty() => {
                let i = self.rng.gen_range(0..items.len());
                items.push(items[i].clone());
            }
            _ => {
                let w = self.words.choose(&mut self.rng).cloned().unwrap_or_default();
                let i = self.rng.gen_range(0..=items.len());
                items.insert(i, w);
            }
        }
        text.replace_range(open..open + len, &items.join(", "));
    }

    /// Pushes a value far to the right on its line: whatever is reported about it sits at
    /// a column past what a terminal renderer's padding takes.
    fn pad(&mut self, text: &mut String) {
        let marks: Vec<usize> =
            text.match_indices(": ").chain(text.match_indices(", ")).map(|(i, _)| i + 2).collect();
        let Some(&at) = marks.choose(&mut self.rng) else { return };
        let n = *[100, 1000, 17_000, 70_000].choose(&mut self.rng).unwrap();
        let unit = if self.rng.gen_bool(0.7) { " " } else { "\t" };
        text.insert_str(at, &unit.repeat(n));
    }

    fn random_char(&mut self) -> char {
        match self.rng.gen_range(0..10) {
            0..=5 => self.rng.gen_range(0x20u8..0x7f) as char,
            6 => *b"\0\t\r\n\x0b\x0c\x1b\x7f".choose(&mut self.rng).unwrap() as char,
            7 => *['é', 'ß', '漢', '👍', '\u{feff}', '\u{85}', '\u{2028}', '\u{a0}', '\u{fffd}']
                .choose(&mut self.rng)
                .unwrap(),
            _ => char::from_u32(self.rng.gen_range(0x80..0x11_0000)).unwrap_or('\u{fffd}'),
        }
    }

    fn replace_char(&mut self, text: &mut String) {
        if text.is_empty() {
            return;
        }
        let at = boundary(text, &mut self.rng);
        let Some(old) = text[at..].chars().next() else { return };
        let new = if old.is_ascii() && self.rng.gen_bool(0.5) {
            // A one-bit flip: near misses like `:` -> `;`, `-` -> `/`.
            let b = (old as u8) ^ (1 << self.rng.gen_range(0..7));
            b as char
        } else {
            self.random_char()
        };
        text.replace_range(at..at + old.len_utf8(), new.encode_utf8(&mut [0; 4]));
    }

    fn delete_range(&mut self, text: &mut String) {
        let a = boundary(text, &mut self.rng);
        let n = if self.rng.gen_bool(0.8) {
            self.rng.gen_range(1..8)
        } else {
            self.rng.gen_range(1..200)
        };
        let b = floor(text, a + n);
        text.replace_range(a..b, "");
    }

    fn lines(&mut self, text: &mut String) {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        if lines.is_empty() {
            return;
        }
        let i = self.rng.gen_range(0..lines.len());
        match self.rng.gen_range(0..4) {
            0 => {
                let l = lines[i].clone();
                lines.insert(i, with_newline(l));
            }
            1 => {
                lines.remove(i);
            }
            2 => {
                let j = self.rng.gen_range(0..lines.len());
                lines.swap(i, j);
            }
            _ => {
                // Moves a block of lines: a field into another section.
                let n = self.rng.gen_range(1..=6).min(lines.len() - i);
                let block: Vec<String> = lines.drain(i..i + n).collect();
                let j = self.rng.gen_range(0..=lines.len());
                for (k, l) in block.into_iter().enumerate() {
                    lines.insert(j + k, with_newline(l));
                }
            }
        }
        *text = lines.concat();
    }

    fn splice(&mut self, text: &mut String, base: &[(String, String)]) {
        let other = if !self.kept.is_empty() && self.rng.gen_bool(0.3) {
            self.kept.choose(&mut self.rng).unwrap().clone()
        } else {
            self.pick_base(base)
        };
        let theirs: Vec<&str> = other.split_inclusive('\n').collect();
        let mut ours: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        if theirs.is_empty() {
            return;
        }
        let a = self.rng.gen_range(0..theirs.len());
        let n = self.rng.gen_range(1..=12).min(theirs.len() - a);
        let at = self.rng.gen_range(0..=ours.len());
        let replace = if self.rng.gen_bool(0.5) { n.min(ours.len() - at) } else { 0 };
        ours.splice(at..at + replace, theirs[a..a + n].iter().map(|l| with_newline(l.to_string())));
        *text = ours.concat();
    }

    fn indent(&mut self, text: &mut String) {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        if lines.is_empty() {
            return;
        }
        let i = self.rng.gen_range(0..lines.len());
        let n = self.rng.gen_range(1..=4);
        let l = &mut lines[i];
        match self.rng.gen_range(0..3) {
            0 => l.insert_str(0, &" ".repeat(n)),
            1 => {
                let spaces = l.len() - l.trim_start_matches(' ').len();
                l.replace_range(0..spaces.min(n), "");
            }
            _ => {
                let spaces = l.len() - l.trim_start_matches(' ').len();
                l.replace_range(0..spaces.min(2), "\t");
            }
        }
        *text = lines.concat();
    }

    /// A replacement value: any type, a corpus word, a long token, or a block
    /// collection at the right indentation.
    fn value(&mut self) -> String {
        match self.rng.gen_range(0..10) {
            0..=4 => VALUES.choose(&mut self.rng).unwrap().to_string(),
            5 | 6 => self.words.choose(&mut self.rng).cloned().unwrap_or_default(),
            7 => self.long_token(),
            8 => {
                let indent = " ".repeat(self.rng.gen_range(0..8));
                let items: Vec<String> = (0..self.rng.gen_range(0..4))
                    .map(|_| format!("\n{indent}- {}", VALUES.choose(&mut self.rng).unwrap()))
                    .collect();
                items.concat()
            }
            _ => {
                let indent = " ".repeat(self.rng.gen_range(1..8));
                let w = self.words.choose(&mut self.rng).cloned().unwrap_or_default();
                format!("\n{indent}{w}: {}", VALUES.choose(&mut self.rng).unwrap())
            }
        }
    }

    /// Replaces what follows a `: ` or `- ` up to the end of the flow item or line.
    fn replace_value(&mut self, text: &mut String, value: String) {
        let marks: Vec<usize> =
            text.match_indices(": ").chain(text.match_indices("- ")).map(|(i, _)| i + 2).collect();
        let Some(&a) = marks.choose(&mut self.rng) else { return };
        let end = text[a..].find([',', '}', ']', '\n', '#']).map_or(text.len(), |i| a + i);
        let end = if self.rng.gen_bool(0.2) {
            // Sometimes the rest of the line, nested flow collections included.
            text[a..].find('\n').map_or(text.len(), |i| a + i)
        } else {
            end
        };
        text.replace_range(a..end, &value);
    }

    fn swap_word(&mut self, text: &mut String) {
        let at = boundary(text, &mut self.rng);
        let is_word = |c: char| c.is_alphanumeric() || "._/-".contains(c);
        let start = text[..at].trim_end_matches(is_word).len();
        let end = text[at..].find(|c: char| !is_word(c)).map_or(text.len(), |i| at + i);
        let Some(w) = self.words.choose(&mut self.rng).cloned() else { return };
        text.replace_range(start..end, &w);
    }

    fn nest(&mut self, text: &mut String) {
        let depth = self.rng.gen_range(1..=100);
        let s = match self.rng.gen_range(0..3) {
            0 => format!("{}{}", "[".repeat(depth), "]".repeat(depth)),
            1 => format!("{}x{}", "{a: ".repeat(depth), "}".repeat(depth)),
            _ => {
                let mut s = String::from("\n");
                for d in 0..depth {
                    s.push_str(&format!("{}a:\n", "  ".repeat(d)));
                }
                s
            }
        };
        if self.rng.gen_bool(0.5) {
            self.replace_value(text, s);
        } else {
            let at = boundary(text, &mut self.rng);
            text.insert_str(at, &s);
        }
    }

    /// Anchors a list item and repeats it through aliases: thousands of VPCs, clusters
    /// or repositories from a few bytes, for whatever is quadratic in their number.
    fn fan_out(&mut self, text: &mut String) {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        let items: Vec<usize> =
            (0..lines.len()).filter(|&i| lines[i].trim_start().starts_with("- ")).collect();
        let Some(&i) = items.choose(&mut self.rng) else { return };
        let indent = lines[i].len() - lines[i].trim_start().len();
        let rest = lines[i].trim_start()[2..].to_string();
        let mut end = i + 1;
        while end < lines.len() {
            let l = &lines[end];
            let ind = l.len() - l.trim_start().len();
            if l.trim().is_empty() || ind <= indent {
                break;
            }
            end += 1;
        }
        let pad = " ".repeat(indent);
        let anchor = format!("fz{}", self.rng.gen_range(0..1000));
        let n = *[10, 100, 1000, 5000, 20000].choose(&mut self.rng).unwrap();
        let head = if end > i + 1 || rest.trim_end().contains(": ") && !rest.starts_with('{') {
            // A block mapping item: the anchor goes on its own line, the body moves under it.
            format!("{pad}- &{anchor}\n{pad}  {rest}")
        } else {
            format!("{pad}- &{anchor} {rest}")
        };
        lines[i] = with_newline(head);
        let copies = format!("{pad}- *{anchor}\n").repeat(n);
        lines.insert(end, copies);
        *text = lines.concat();
    }

    fn anchor(&mut self, text: &mut String) {
        let marks: Vec<usize> = text.match_indices(": ").map(|(i, _)| i + 2).collect();
        if marks.is_empty() {
            return;
        }
        let name = ["a", "b", "x"].choose(&mut self.rng).unwrap();
        let a = *marks.choose(&mut self.rng).unwrap();
        match self.rng.gen_range(0..3) {
            0 => text.insert_str(a, &format!("&{name} ")),
            1 => {
                let end = text[a..].find([',', '}', ']', '\n']).map_or(text.len(), |i| a + i);
                text.replace_range(a..end, &format!("*{name}"));
            }
            _ => {
                // A merge key at the indentation of a random line.
                let lines: Vec<&str> = text.split_inclusive('\n').collect();
                let i = self.rng.gen_range(0..lines.len());
                let indent = lines[i].len() - lines[i].trim_start().len();
                let at: usize = lines[..i].iter().map(|l| l.len()).sum();
                text.insert_str(at, &format!("{}<<: *{name}\n", " ".repeat(indent)));
            }
        }
    }

    fn number(&mut self, text: &mut String) {
        let digits: Vec<usize> =
            text.char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
        let Some(&at) = digits.choose(&mut self.rng) else { return };
        let start = text[..at].trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let end = text[at..].find(|c: char| !c.is_ascii_digit()).map_or(text.len(), |i| at + i);
        let n = NUMBERS.choose(&mut self.rng).unwrap();
        text.replace_range(start..end, n);
    }

    fn line_endings(&mut self, text: &mut String) {
        *text = match self.rng.gen_range(0..3) {
            0 => text.replace('\n', "\r\n"),
            1 => text.replace('\n', "\r"),
            _ => {
                let at = boundary(text, &mut self.rng);
                let i = text[at..].find('\n').map_or(text.len(), |i| at + i);
                let mut t = text.clone();
                if i < t.len() {
                    t.insert(i, '\r');
                }
                t
            }
        };
    }

    fn long_token(&mut self) -> String {
        let n = if self.rng.gen_bool(0.9) {
            self.rng.gen_range(100..5000)
        } else {
            self.rng.gen_range(5000..65536)
        };
        let unit =
            ["x", "9", "ä", "漢", "a-", "10.", "/", "👍", " "].choose(&mut self.rng).unwrap();
        unit.repeat(n / unit.len().max(1))
    }

    fn dup_key(&mut self, text: &mut String) {
        let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
        let keyed: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].contains(": ")).collect();
        let Some(&i) = keyed.choose(&mut self.rng) else { return };
        let n = *[1, 2, 10, 1000].choose(&mut self.rng).unwrap();
        let l = with_newline(lines[i].clone());
        lines.insert(i, l.repeat(n));
        *text = lines.concat();
    }
}

fn with_newline(mut l: String) -> String {
    if !l.ends_with('\n') {
        l.push('\n');
    }
    l
}

/// A random char boundary of `text` (its end included).
fn boundary(text: &str, rng: &mut SmallRng) -> usize {
    floor(text, rng.gen_range(0..=text.len()))
}

fn floor(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}
