//! The campaign engine. Each target's cases run in a child process (this test binary, re-run
//! for one test) so that an abort, a stack overflow, an allocation past the memory budget or a
//! hang is a finding with its input, not the end of the run:
//!
//! - the child runs case after case on a thread with the CLI's 8 MiB stack, each under
//!   `catch_unwind`; a panic is shrunk (proptest's shrinking of the mutations, then deleting
//!   byte ranges) and saved under `target/fuzz-failures/<target>/`;
//! - before each case the child writes it to an "in flight" file, so when the child dies the
//!   parent saves that input as the crash, then starts a new child after it;
//! - the global allocator counts live heap bytes: in a child an allocation past the budget
//!   (`NETFORM_FUZZ_MEM_MB`, 512 by default) fails, which aborts the child — a finding;
//! - a case slower than the time budget is reported (and saved); a child silent for
//!   `NETFORM_FUZZ_HANG_S` seconds is killed and its case saved as a hang.
//!
//! Every case is generated from (seed, target, index) alone, so a run is reproducible and a
//! restarted child continues where the dead one stopped.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proptest::strategy::{BoxedStrategy, Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A case: named files (a configuration, a state and its journal, an HTTP answer, …).
pub type Case = Vec<(String, Vec<u8>)>;

pub trait Fuzz {
    fn cases(&self) -> BoxedStrategy<Case>;
    /// Runs one case, returning how it ended (tallied, to show how deep the cases get). Errors
    /// are fine; a panic is a bug.
    fn run(&mut self, case: &Case) -> &'static str;
}

pub struct Target {
    pub name: &'static str,
    /// Cases when `NETFORM_FUZZ_CASES` is not set: sized so that the whole binary stays under
    /// a minute in a debug build on two cores.
    pub ci_cases: u64,
    pub build: fn(&Path) -> Box<dyn Fuzz>,
}

/// A panic found before and not yet fixed: it is still reported on every run, but does not fail
/// it. Matched by where it panics and what it says.
pub struct Known {
    pub target: &'static str,
    /// The start of the panic's `file:line`.
    pub at: &'static str,
    pub message: &'static str,
    /// The minimised input, a finding directory under `tests/fuzz/known/`.
    pub input: &'static str,
}

// ---- the memory budget -------------------------------------------------------------------------

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static CAP: AtomicUsize = AtomicUsize::new(usize::MAX);

/// The system allocator, counting live bytes and refusing any allocation past [`CAP`].
pub struct Budget;

fn reserve(n: usize) -> bool {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    if now > CAP.load(Ordering::Relaxed) {
        LIVE.fetch_sub(n, Ordering::Relaxed);
        return false;
    }
    PEAK.fetch_max(now, Ordering::Relaxed);
    true
}

unsafe impl GlobalAlloc for Budget {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if !reserve(l.size()) {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc(l) };
        if p.is_null() {
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        if !reserve(l.size()) {
            return std::ptr::null_mut();
        }
        let p = unsafe { System.alloc_zeroed(l) };
        if p.is_null() {
            LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        if new > l.size() && !reserve(new - l.size()) {
            return std::ptr::null_mut();
        }
        let q = unsafe { System.realloc(p, l, new) };
        if q.is_null() {
            if new > l.size() {
                LIVE.fetch_sub(new - l.size(), Ordering::Relaxed);
            }
        } else if new < l.size() {
            LIVE.fetch_sub(l.size() - new, Ordering::Relaxed);
        }
        q
    }
}

// ---- settings ----------------------------------------------------------------------------------

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

fn cases_for(t: &Target) -> u64 {
    env_u64(&format!("NETFORM_FUZZ_CASES_{}", t.name.to_uppercase()))
        .or_else(|| env_u64("NETFORM_FUZZ_CASES"))
        .unwrap_or(t.ci_cases)
}

fn seed() -> u64 {
    env_u64("NETFORM_FUZZ_SEED").unwrap_or(0x6e65_7466_6f72_6d00)
}

fn slow_budget() -> Duration {
    let default = if cfg!(debug_assertions) { 3000 } else { 1000 };
    Duration::from_millis(env_u64("NETFORM_FUZZ_SLOW_MS").unwrap_or(default))
}

fn hang_budget() -> Duration {
    Duration::from_secs(env_u64("NETFORM_FUZZ_HANG_S").unwrap_or(120))
}

fn mem_budget() -> usize {
    (env_u64("NETFORM_FUZZ_MEM_MB").unwrap_or(512) as usize) << 20
}

/// A scratch directory for a target's files, in memory where there is a tmpfs: the state lock
/// fsyncs, which on a disk costs more than the rest of a case.
pub fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::Builder::new()
            .prefix("netform-fuzz")
            .tempdir_in(shm)
    } else {
        tempfile::tempdir()
    };
    dir.or_else(|_| tempfile::tempdir())
        .unwrap_or_else(|e| panic!("a scratch directory: {e}"))
}

/// `target/fuzz-failures`.
pub fn failures_root() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(&tmp).join("fuzz-failures")
}

fn hash_of(x: impl Hash) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    x.hash(&mut h);
    h.finish()
}

/// The runner whose random stream makes case `index` of `target`.
fn runner(seed: u64, target: &str, index: u64) -> TestRunner {
    let a = hash_of((seed, target, index));
    let b = hash_of((a, index, seed));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&a.to_le_bytes());
    bytes[8..].copy_from_slice(&b.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::XorShift, &bytes),
    )
}

// ---- cases on disk -----------------------------------------------------------------------------

fn encode(index: u64, case: &Case) -> Vec<u8> {
    let mut out = format!("netform-fuzz-case {index}\n").into_bytes();
    for (name, bytes) in case {
        out.extend_from_slice(format!("{name}\t{}\n", bytes.len()).as_bytes());
        out.extend_from_slice(bytes);
        out.push(b'\n');
    }
    out
}

fn decode(b: &[u8]) -> Option<(u64, Case)> {
    let nl = b.iter().position(|c| *c == b'\n')?;
    let head = std::str::from_utf8(&b[..nl]).ok()?;
    let index = head.strip_prefix("netform-fuzz-case ")?.parse().ok()?;
    let mut rest = &b[nl + 1..];
    let mut case = Vec::new();
    while !rest.is_empty() {
        let nl = rest.iter().position(|c| *c == b'\n')?;
        let line = std::str::from_utf8(&rest[..nl]).ok()?;
        let (name, len) = line.split_once('\t')?;
        let len: usize = len.parse().ok()?;
        let body = rest.get(nl + 1..nl + 1 + len)?;
        case.push((name.to_string(), body.to_vec()));
        rest = rest.get(nl + 2 + len..).unwrap_or(&[]);
    }
    Some((index, case))
}

/// Saves a finding: its files (as the target reads them) and `finding.txt`. Returns the directory.
fn save(target: &str, kind: &str, sig: &str, case: &Case, notes: &str) -> PathBuf {
    let dir = failures_root().join(target).join(format!(
        "{kind}-{:08x}-{:08x}",
        hash_of(sig) as u32,
        hash_of(case) as u32
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    for (name, bytes) in case {
        let _ = std::fs::write(dir.join(name), bytes);
    }
    let replay = format!(
        "replay: NETFORM_FUZZ_REPLAY={} cargo test --test fuzz {target} -- --nocapture\n",
        dir.display()
    );
    let _ = std::fs::write(
        dir.join("finding.txt"),
        format!("target: {target}\nkind: {kind}\nsignature: {sig}\n{replay}{notes}\n"),
    );
    dir
}

fn load_case(dir: &Path) -> Case {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n != "finding.txt") && p.is_file())
        .map(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, std::fs::read(&p).unwrap_or_default())
        })
        .collect()
}

// ---- panics ------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Caught {
    at: String,
    message: String,
    backtrace: Option<String>,
}

thread_local! {
    static LAST: RefCell<Option<Caught>> = const { RefCell::new(None) };
}
static BACKTRACE: AtomicBool = AtomicBool::new(false);

fn quiet_panics() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let p = info.payload();
        let message = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic)".into());
        let backtrace = BACKTRACE
            .load(Ordering::Relaxed)
            .then(|| std::backtrace::Backtrace::force_capture().to_string());
        LAST.with(|l| {
            *l.borrow_mut() = Some(Caught {
                at,
                message,
                backtrace,
            })
        });
    }));
}

/// Runs one case: how it ended, or its panic.
fn attempt(f: &mut dyn Fuzz, case: &Case) -> Result<&'static str, Caught> {
    LAST.with(|l| *l.borrow_mut() = None);
    std::panic::catch_unwind(AssertUnwindSafe(|| f.run(case))).map_err(|_| {
        LAST.with(|l| l.borrow_mut().take()).unwrap_or(Caught {
            at: "?".into(),
            message: "panic without a record".into(),
            backtrace: None,
        })
    })
}

fn known_for(target: &str, c: &Caught) -> Option<&'static Known> {
    crate::KNOWN_PANICS
        .iter()
        .find(|k| k.target == target && c.at.starts_with(k.at) && c.message.contains(k.message))
}

// ---- the child ---------------------------------------------------------------------------------

struct Inflight(std::fs::File);

impl Inflight {
    fn put(&self, index: u64, case: &Case) {
        let b = encode(index, case);
        let _ = self.0.set_len(0);
        let _ = self.0.write_all_at(&b, 0);
    }
}

/// Shrinks a panicking case: proptest's simplification of the recipe, then byte ranges deleted
/// from each file while the same panic (by location) still happens. Bounded in time.
fn minimise(
    f: &mut dyn Fuzz,
    tree: &mut dyn ValueTree<Value = Case>,
    sig: &str,
    inflight: &Inflight,
    index: u64,
) -> Case {
    let deadline =
        Instant::now() + Duration::from_secs(env_u64("NETFORM_FUZZ_MINIMISE_S").unwrap_or(20));
    let mut fails = |c: &Case| {
        inflight.put(index, c);
        attempt(f, c).is_err_and(|p| p.at == sig)
    };
    let mut best = tree.current();
    if tree.simplify() {
        while Instant::now() < deadline {
            let c = tree.current();
            if fails(&c) {
                best = c;
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
    }
    // Drop whole files, then byte ranges, largest first.
    let mut i = 0;
    while i < best.len() && best.len() > 1 && Instant::now() < deadline {
        let mut c = best.clone();
        c.remove(i);
        if fails(&c) {
            best = c;
        } else {
            i += 1;
        }
    }
    for fi in 0..best.len() {
        let mut chunk = best[fi].1.len().div_ceil(2).max(1);
        loop {
            let mut at = 0;
            while at < best[fi].1.len() && Instant::now() < deadline {
                let mut c = best.clone();
                let end = (at + chunk).min(c[fi].1.len());
                c[fi].1.drain(at..end);
                if fails(&c) {
                    best = c;
                } else {
                    at += chunk;
                }
            }
            if chunk == 1 || Instant::now() >= deadline {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    best
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "@@fuzz {line}");
    let _ = out.flush();
}

fn child(t: &Target, corpus: &Path) {
    let start = env_u64("NETFORM_FUZZ_START").unwrap_or(0);
    let end = env_u64("NETFORM_FUZZ_END").unwrap_or(0);
    let seed = seed();
    let Some(inflight_path) = std::env::var_os("NETFORM_FUZZ_INFLIGHT") else {
        panic!("NETFORM_FUZZ_INFLIGHT is not set");
    };
    let inflight = Inflight(
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(inflight_path)
            .unwrap_or_else(|e| panic!("in-flight file: {e}")),
    );
    let mut seen: BTreeSet<String> = std::env::var("NETFORM_FUZZ_SEEN")
        .unwrap_or_default()
        .split('\u{1f}')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let mut f = (t.build)(corpus);
    let strategy = f.cases();
    quiet_panics();
    CAP.store(mem_budget(), Ordering::Relaxed);
    let slow = slow_budget();
    let mut slow_saved = 0;
    let mut max_case = Duration::ZERO;
    let mut max_mem = 0usize;
    let mut last_say = Instant::now();
    let mut outcomes: BTreeMap<&str, u64> = BTreeMap::new();
    for index in start..end {
        let mut runner = runner(seed, t.name, index);
        let mut tree = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree,
            Err(e) => panic!("generating case {index}: {e}"),
        };
        let case = tree.current();
        inflight.put(index, &case);
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let t0 = Instant::now();
        let caught = attempt(f.as_mut(), &case);
        let took = t0.elapsed();
        max_case = max_case.max(took);
        max_mem = max_mem.max(PEAK.load(Ordering::Relaxed).saturating_sub(base));
        let p = match caught {
            Ok(outcome) => {
                *outcomes.entry(outcome).or_insert(0) += 1;
                None
            }
            Err(p) => {
                *outcomes.entry("PANIC").or_insert(0) += 1;
                Some(p)
            }
        };
        if let Some(p) = p {
            if let Some(k) = known_for(t.name, &p) {
                say(&format!("known {index} {}\t{}", p.at, k.input));
            } else if seen.insert(p.at.clone()) {
                // Reported as found before shrinking, in case shrinking meets a crash.
                let first = p.message.lines().next().unwrap_or("");
                let raw = save(
                    t.name,
                    "panic",
                    &p.at,
                    &case,
                    &format!(
                        "seed: {seed:#x}\ncase: {index}\nat: {}\nmessage: {}\n(not minimised)",
                        p.at, p.message
                    ),
                );
                say(&format!(
                    "panic {index} {}\t{}\t{first}",
                    p.at,
                    raw.display()
                ));
                let small = minimise(f.as_mut(), tree.as_mut(), &p.at, &inflight, index);
                BACKTRACE.store(true, Ordering::Relaxed);
                let last = attempt(f.as_mut(), &small)
                    .err()
                    .unwrap_or_else(|| p.clone());
                BACKTRACE.store(false, Ordering::Relaxed);
                let notes = format!(
                    "seed: {seed:#x}\ncase: {index}\nat: {}\nmessage: {}\n\n{}",
                    last.at,
                    last.message,
                    last.backtrace.unwrap_or_default()
                );
                let dir = save(t.name, "panic", &p.at, &small, &notes);
                if dir != raw {
                    let _ = std::fs::remove_dir_all(&raw);
                }
                say(&format!("minimised {index} {}\t{}", p.at, dir.display()));
            } else {
                say(&format!("repeat {index} {}", p.at));
            }
        }
        if took > slow {
            let dir = if slow_saved < 10 {
                slow_saved += 1;
                save(
                    t.name,
                    "slow",
                    "slow",
                    &case,
                    &format!("seed: {seed:#x}\ncase: {index}\ntook: {took:?}"),
                )
                .display()
                .to_string()
            } else {
                "(not saved: more than 10 slow cases)".into()
            };
            say(&format!("slow {index} {}\t{dir}", took.as_millis()));
        }
        if last_say.elapsed() > Duration::from_millis(500) {
            say(&format!("progress {}", index + 1));
            last_say = Instant::now();
        }
    }
    let tally: Vec<String> = outcomes.iter().map(|(k, v)| format!("{k}={v}")).collect();
    say(&format!(
        "done {} {} {} {}",
        end.saturating_sub(start),
        max_mem,
        max_case.as_micros(),
        tally.join(";")
    ));
}

// ---- the parent --------------------------------------------------------------------------------

#[derive(Default)]
struct Report {
    cases: u64,
    panics: BTreeMap<String, (u64, String, String)>,
    known: BTreeMap<String, (u64, String)>,
    crashes: Vec<(String, u64, String)>,
    slow: Vec<(u64, u64, String)>,
    max_mem: usize,
    max_case_us: u64,
    outcomes: BTreeMap<String, u64>,
}

enum Event {
    Line(String),
    Eof,
}

/// Runs children until `n` cases are done; each crash is saved and the next child starts after it.
fn campaign_parent(t: &Target, corpus: &Path) -> Report {
    let n = cases_for(t);
    let mut r = Report::default();
    let mut start = 0;
    let work = failures_root().join(".work");
    let _ = std::fs::create_dir_all(&work);
    let inflight = work.join(format!("{}-{}.inflight", t.name, std::process::id()));
    let stderr_path = work.join(format!("{}-{}.stderr", t.name, std::process::id()));
    let mut crashes = 0;
    while start < n {
        let seen: Vec<String> = r.panics.keys().cloned().collect();
        let stderr = std::fs::File::create(&stderr_path)
            .unwrap_or_else(|e| panic!("{}: {e}", stderr_path.display()));
        let mut child = Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")))
            .args([t.name, "--exact", "--nocapture", "--test-threads=1"])
            .env("NETFORM_FUZZ_CHILD", t.name)
            .env("NETFORM_FUZZ_START", start.to_string())
            .env("NETFORM_FUZZ_END", n.to_string())
            .env("NETFORM_FUZZ_SEED", seed().to_string())
            .env("NETFORM_FUZZ_CORPUS", corpus)
            .env("NETFORM_FUZZ_INFLIGHT", &inflight)
            .env("NETFORM_FUZZ_SEEN", seen.join("\u{1f}"))
            .env_remove("NETFORM_FUZZ_REPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .unwrap_or_else(|e| panic!("starting the {} child: {e}", t.name));
        let Some(out) = child.stdout.take() else {
            panic!("child stdout")
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(Event::Line(line)).is_err() {
                    return;
                }
            }
            let _ = tx.send(Event::Eof);
        });
        let mut done = false;
        let mut hung = false;
        let mut next = start;
        loop {
            match rx.recv_timeout(hang_budget()) {
                Ok(Event::Line(line)) => {
                    // libtest may have printed "test NAME ... " on the same line.
                    let Some(rest) = line.find("@@fuzz ").map(|i| &line[i + 7..]) else {
                        continue;
                    };
                    let (kind, rest) = rest.split_once(' ').unwrap_or((rest, ""));
                    let (index, rest) = rest.split_once(' ').unwrap_or((rest, ""));
                    let index: u64 = index.parse().unwrap_or(0);
                    next = next.max(index);
                    match kind {
                        "progress" => {}
                        "panic" => {
                            let mut p = rest.splitn(3, '\t');
                            let (sig, dir, msg) = (
                                p.next().unwrap_or("").to_string(),
                                p.next().unwrap_or("").to_string(),
                                p.next().unwrap_or("").to_string(),
                            );
                            r.panics.insert(sig, (1, dir, msg));
                        }
                        "minimised" => {
                            let (sig, dir) = rest.split_once('\t').unwrap_or((rest, ""));
                            if let Some(e) = r.panics.get_mut(sig) {
                                e.1 = dir.to_string();
                            }
                        }
                        "repeat" => {
                            if let Some(e) = r.panics.get_mut(rest) {
                                e.0 += 1;
                            }
                        }
                        "known" => {
                            let (sig, input) = rest.split_once('\t').unwrap_or((rest, ""));
                            r.known
                                .entry(sig.to_string())
                                .or_insert((0, input.to_string()))
                                .0 += 1;
                        }
                        "slow" => {
                            let (ms, dir) = rest.split_once('\t').unwrap_or((rest, ""));
                            r.slow
                                .push((index, ms.parse().unwrap_or(0), dir.to_string()));
                        }
                        "done" => {
                            let mut p = rest.splitn(3, ' ');
                            r.max_mem = r
                                .max_mem
                                .max(p.next().and_then(|x| x.parse().ok()).unwrap_or(0));
                            r.max_case_us = r
                                .max_case_us
                                .max(p.next().and_then(|x| x.parse().ok()).unwrap_or(0));
                            for kv in p.next().unwrap_or("").split(';') {
                                if let Some((k, v)) = kv.split_once('=') {
                                    *r.outcomes.entry(k.to_string()).or_insert(0) +=
                                        v.parse::<u64>().unwrap_or(0);
                                }
                            }
                            done = true;
                        }
                        _ => {}
                    }
                }
                Ok(Event::Eof) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    hung = true;
                    let _ = child.kill();
                    break;
                }
            }
        }
        let status = child.wait();
        let _ = reader.join();
        if done {
            r.cases += n - start;
            break;
        }
        // The child died (or hung): its in-flight case is the finding.
        let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
        let tail: String = {
            let lines: Vec<&str> = err.lines().collect();
            let why: Vec<&str> = lines
                .iter()
                .copied()
                .filter(|l| {
                    l.contains("memory allocation of")
                        || l.contains("overflowed its stack")
                        || l.contains("fatal runtime error")
                        || l.contains("panicked at")
                })
                .take(5)
                .collect();
            format!(
                "{}\n...\n{}",
                why.join("\n"),
                lines[lines.len().saturating_sub(60)..].join("\n")
            )
        };
        let kind = if hung {
            "hang"
        } else if err.contains("memory allocation of") {
            "memory"
        } else if err.contains("has overflowed its stack") {
            "stack-overflow"
        } else {
            "crash"
        };
        let (index, case) = std::fs::read(&inflight)
            .ok()
            .and_then(|b| decode(&b))
            .unwrap_or((next, Vec::new()));
        let dir = save(
            t.name,
            kind,
            kind,
            &case,
            &format!(
                "seed: {:#x}\ncase: {index}\nexit: {status:?}\n\nstderr (end):\n{tail}",
                seed()
            ),
        );
        r.cases += index + 1 - start;
        r.crashes
            .push((kind.to_string(), index, dir.display().to_string()));
        start = index + 1;
        crashes += 1;
        if crashes >= 20 {
            r.crashes.push((
                "gave-up".into(),
                index,
                "20 crashes: stopped this target".into(),
            ));
            break;
        }
    }
    let _ = std::fs::remove_file(&inflight);
    let _ = std::fs::remove_file(&stderr_path);
    r
}

/// Replays a saved finding in this process, without catching anything.
fn replay(t: &Target, corpus: &Path, dir: &Path) {
    let case = load_case(dir);
    let mut f = (t.build)(corpus);
    let t0 = Instant::now();
    let outcome = f.run(&case);
    println!(
        "{}: no panic: {outcome} ({:?})",
        dir.display(),
        t0.elapsed()
    );
}

/// The test of one target: parent, child or replay, as the environment says.
pub fn campaign(t: &'static Target) {
    if let Ok(dir) = std::env::var("NETFORM_FUZZ_REPLAY") {
        let dir = PathBuf::from(dir);
        let for_this = dir
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == t.name);
        if for_this {
            replay(t, &crate::corpus::ensure(), &dir);
        }
        return;
    }
    if std::env::var("NETFORM_FUZZ_CHILD").as_deref() == Ok(t.name) {
        let corpus = PathBuf::from(std::env::var_os("NETFORM_FUZZ_CORPUS").unwrap_or_default());
        let worker = std::thread::Builder::new()
            .name(format!("fuzz-{}", t.name))
            .stack_size(8 << 20)
            .spawn(move || child(t, &corpus))
            .unwrap_or_else(|e| panic!("{e}"));
        if worker.join().is_err() {
            panic!("the {} child failed outside a case", t.name);
        }
        return;
    }
    for k in crate::KNOWN_PANICS.iter().filter(|k| k.target == t.name) {
        println!(
            "fuzz {}: KNOWN_PANICS lists a panic at {} ({:?}; input tests/fuzz/known/{}): cases meeting it are counted, not failed",
            t.name, k.at, k.message, k.input
        );
    }
    let corpus = crate::corpus::ensure();
    let t0 = Instant::now();
    let r = campaign_parent(t, &corpus);
    let wall = t0.elapsed();
    let mut out = format!(
        "fuzz {:<12} {:>9} cases  {:>3} panics  {:>3} crashes  {:>3} known  {:>3} slow  max case {:>7.1} ms  max heap {:>6.1} MB  {:>7.1} s  (seed {:#x})\n",
        t.name,
        r.cases,
        r.panics.len(),
        r.crashes.len(),
        r.known.values().map(|k| k.0).sum::<u64>(),
        r.slow.len(),
        r.max_case_us as f64 / 1000.0,
        r.max_mem as f64 / (1 << 20) as f64,
        wall.as_secs_f64(),
        seed()
    );
    if !r.outcomes.is_empty() {
        let total: u64 = r.outcomes.values().sum::<u64>().max(1);
        let parts: Vec<String> = r
            .outcomes
            .iter()
            .map(|(k, v)| format!("{k} {:.1}%", *v as f64 * 100.0 / total as f64))
            .collect();
        out.push_str(&format!("  outcomes: {}\n", parts.join(", ")));
    }
    for (sig, (count, dir, msg)) in &r.panics {
        out.push_str(&format!(
            "  PANIC ({count} cases) at {sig}: {msg}\n    minimised input: {dir}\n"
        ));
    }
    for (kind, index, dir) in &r.crashes {
        out.push_str(&format!(
            "  {} (case {index}): {dir}\n",
            kind.to_uppercase()
        ));
    }
    for (sig, (count, input)) in &r.known {
        out.push_str(&format!(
            "  known panic ({count} cases) at {sig}, listed in KNOWN_PANICS (tests/fuzz/known/{input}); remove it once fixed\n"
        ));
    }
    for (index, ms, dir) in &r.slow {
        out.push_str(&format!("  slow case {index}: {ms} ms: {dir}\n"));
    }
    print!("{out}");
    let _ = std::io::stdout().flush();
    assert!(
        r.panics.is_empty() && r.crashes.is_empty(),
        "the {} fuzz target found {} panic(s) and {} crash(es):\n{out}",
        t.name,
        r.panics.len(),
        r.crashes.len()
    );
}
