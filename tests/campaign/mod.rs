//! The crash, fault and concurrency campaigns of issue 12, run against the real `netform` binary
//! on the simulator (in process, and over HTTP through `netform sim serve`). The test suite runs
//! them at a bounded size (`tests/cli/campaigns.rs`); `cargo bench --bench campaign`
//! (`scripts/campaign.sh`) runs them at full size. Each prints its figures.
//!
//! - crash: kill -9 at a random instant of a create, an update and a destroy of a configuration of
//!   `units` × (ENI with secondary IPs, its attachment, an EIP, its binding to the ENI) — 340
//!   resources at 85 units — then one rerun of the same command must converge. Every trial is
//!   audited by comparing `sim show` with the state: orphans (objects, attachments, bindings or
//!   addresses the cloud has and state does not know), duplicates (two objects carrying one
//!   address's identity tags) and ghosts (what state records and the cloud lacks).
//! - faults: throttling, server errors and lost answers on every action, in process and over
//!   HTTP; apply (and destroy) rerun until they succeed, duplicates and the rest audited.
//! - concurrency: two applies started at once, with and without `--lock-timeout`, in process
//!   and over HTTP: the lock lets one change the cloud, never both.

#![allow(dead_code)]

pub mod audit;
pub mod setup;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use setup::Scenario;

/// The netform binary under test and the environment every run gets.
#[derive(Clone)]
pub struct Netform {
    pub bin: PathBuf,
    /// Extra environment (the simulator's latency and faults, HTTP credentials).
    pub env: Vec<(String, String)>,
}

impl Netform {
    pub fn new(bin: &str) -> Netform {
        Netform {
            bin: PathBuf::from(bin),
            env: Vec::new(),
        }
    }

    pub fn with_env(&self, k: &str, v: &str) -> Netform {
        let mut n = self.clone();
        n.env.retain(|(x, _)| x != k);
        n.env.push((k.to_string(), v.to_string()));
        n
    }

    pub fn cmd(&self, dir: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.current_dir(dir).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("NETFORM_") || k.starts_with("ALIBABA_CLOUD_") {
                c.env_remove(k);
            }
        }
        c.env("NO_COLOR", "1").stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    pub fn run(&self, dir: &Path, args: &[&str]) -> Output {
        match self.cmd(dir, args).output() {
            Ok(o) => o,
            Err(e) => panic!("cannot run {}: {e}", self.bin.display()),
        }
    }

    /// Starts a run whose output goes nowhere (a pipe nobody reads would stall it once full).
    pub fn spawn(&self, dir: &Path, args: &[&str]) -> Child {
        self.spawn_with(dir, args, Stdio::null(), Stdio::null())
    }

    /// Starts a run whose output is written to `log` (read it with `std::fs::read_to_string`).
    pub fn spawn_logged(&self, dir: &Path, args: &[&str], log: &Path) -> Child {
        let open = || match std::fs::File::create(log) {
            Ok(f) => f,
            Err(e) => panic!("create {}: {e}", log.display()),
        };
        let out = open();
        let err = match out.try_clone() {
            Ok(f) => f,
            Err(e) => panic!("clone {}: {e}", log.display()),
        };
        self.spawn_with(dir, args, out.into(), err.into())
    }

    pub fn spawn_with(&self, dir: &Path, args: &[&str], out: Stdio, err: Stdio) -> Child {
        match self.cmd(dir, args).stdout(out).stderr(err).spawn() {
            Ok(c) => c,
            Err(e) => panic!("cannot run {}: {e}", self.bin.display()),
        }
    }
}

/// Text of an output, both streams.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A small seeded generator (xorshift64*): kill instants are reproducible from the printed seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// Uniform in [0, 1).
    pub fn next(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The seed from `NETFORM_CAMPAIGN_SEED`, else one from the clock (printed with the figures).
pub fn seed() -> u64 {
    std::env::var("NETFORM_CAMPAIGN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
        })
}

/// Copies a directory tree (a prepared configuration with its state and simulated cloud).
pub fn copy_dir(from: &Path, to: &Path) {
    if let Err(e) = std::fs::create_dir_all(to) {
        panic!("create {}: {e}", to.display());
    }
    let entries = match std::fs::read_dir(from) {
        Ok(e) => e,
        Err(e) => panic!("read {}: {e}", from.display()),
    };
    for e in entries.flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else if let Err(err) = std::fs::copy(&p, &dest) {
            panic!("copy {}: {err}", p.display());
        }
    }
}

/// Waits for a child (killing it after `limit`); its exit code, `None` when killed.
pub fn wait_code(mut child: Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(s)) = child.try_wait() {
            return s.code();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

pub mod concurrency;
pub mod crash;
pub mod faults;

pub mod server;
