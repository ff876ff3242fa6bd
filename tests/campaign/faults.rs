//! The fault campaign: apply, then destroy, under injected throttling, server errors and lost
//! answers on every action, in process or over HTTP; each command is rerun until it succeeds
//! (up to a bound), and the cloud is audited after each. Zero duplicates is the point: a retry
//! or a rerun must never make a second object.

use std::path::Path;

use super::audit::{Audit, audit};
use super::server::Server;
use super::{Netform, Scenario, text};

/// 20% throttling, 5% server errors and 5% lost answers on every action.
pub const MODERATE: &str = r#"{"latency_ms": 1, "rates": {"*": {"throttling": 0.2, "service_unavailable": 0.05, "lost_answer": 0.05}}}"#;
/// 45% throttling, 10% server errors and 5% lost answers on every action.
pub const HEAVY: &str = r#"{"latency_ms": 1, "rates": {"*": {"throttling": 0.45, "service_unavailable": 0.1, "lost_answer": 0.05}}}"#;

pub struct FaultOpts {
    pub scenario: Scenario,
    pub label: &'static str,
    pub faults: &'static str,
    pub over_http: bool,
    /// Runs of each command at most (the first and its reruns).
    pub max_runs: usize,
}

#[derive(Debug, Default)]
pub struct Figures {
    pub label: String,
    /// Runs apply needed to succeed with nothing left to do (0: it never did).
    pub apply_runs: usize,
    /// Runs destroy needed (0: it never did).
    pub destroy_runs: usize,
    pub after_apply: Audit,
    pub after_destroy: Audit,
    /// Why runs failed (first line of each failure).
    pub failures: Vec<String>,
}

impl Figures {
    pub fn converged(&self) -> bool {
        self.apply_runs > 0
            && self.destroy_runs > 0
            && self.after_apply.clean()
            && self.after_destroy.clean()
    }

    pub fn row(&self) -> String {
        format!(
            "{:<28} {:>10} {:>12} {:>10} {:>7} {:>6}",
            self.label,
            self.apply_runs,
            self.destroy_runs,
            self.after_apply.duplicates + self.after_destroy.duplicates,
            self.after_apply.orphans + self.after_destroy.orphans,
            self.after_apply.ghosts + self.after_destroy.ghosts
        )
    }

    pub fn header() -> String {
        format!(
            "{:<28} {:>10} {:>12} {:>10} {:>7} {:>6}",
            "fault campaign", "apply runs", "destroy runs", "duplicates", "orphans", "ghosts"
        )
    }
}

/// Runs `args` until it succeeds (and, for apply, a plan shows nothing left), at most `max`
/// times; the number of runs it took, 0 if it never did.
fn until_done(
    nf: &Netform,
    dir: &Path,
    args: &[&str],
    max: usize,
    fails: &mut Vec<String>,
) -> usize {
    for n in 1..=max {
        let o = nf.run(dir, args);
        if o.status.success() {
            let settled = args[0] != "apply"
                || nf.run(dir, &["plan", "--detailed-exitcode"]).status.code() == Some(0);
            if settled {
                return n;
            }
        } else {
            let t = text(&o);
            let why = t
                .lines()
                .find(|l| l.starts_with("error"))
                .unwrap_or("(no error line)");
            fails.push(format!("{} run {n}: {why}", args[0]));
        }
    }
    0
}

pub fn run(nf: &Netform, opts: &FaultOpts) -> Figures {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let server = opts
        .over_http
        .then(|| Server::start(nf, &opts.scenario, Some(opts.faults)));
    let (client, sim_dir) = match &server {
        Some(s) => {
            opts.scenario.write(dir.path(), Some(&s.endpoint));
            (Server::client(nf), s.path().to_path_buf())
        }
        None => {
            opts.scenario.write(dir.path(), None);
            (
                nf.with_env("NETFORM_SIM_FAULTS", opts.faults),
                dir.path().to_path_buf(),
            )
        }
    };
    let mut f = Figures {
        label: opts.label.to_string(),
        ..Figures::default()
    };
    f.apply_runs = until_done(
        &client,
        dir.path(),
        &["apply", "--auto-approve"],
        opts.max_runs,
        &mut f.failures,
    );
    f.after_apply = audit(nf, dir.path(), &sim_dir);
    f.destroy_runs = until_done(
        &client,
        dir.path(),
        &["destroy", "--auto-approve"],
        opts.max_runs,
        &mut f.failures,
    );
    f.after_destroy = audit(nf, dir.path(), &sim_dir);
    f
}
