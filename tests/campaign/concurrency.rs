//! The concurrency campaign: two applies of one configuration started at the same instant, both
//! with or both without `--lock-timeout`, in process or over HTTP. The lock must let one change
//! the cloud and never both: with a timeout the one that gets the lock second waits and finds
//! nothing to do; without, it is refused with the holder named. The cloud is audited after each trial.

use std::time::Duration;

use super::audit::{Audit, audit};
use super::server::Server;
use super::{Netform, Scenario, wait_code};

pub struct ConcOpts {
    pub scenario: Scenario,
    pub over_http: bool,
    pub lock_timeout: bool,
    pub trials: usize,
}

#[derive(Debug, Default)]
pub struct Figures {
    pub label: String,
    pub trials: usize,
    /// Trials where both runs reported changes to the cloud (must be 0).
    pub both_changed: usize,
    /// Trials that went as the lock promises: one changed the cloud; the other found nothing
    /// to do (with a timeout) or was refused naming the holder (without).
    pub as_promised: usize,
    pub audit: Audit,
    pub notes: Vec<String>,
}

impl Figures {
    pub fn header() -> String {
        format!(
            "{:<34} {:>6} {:>12} {:>11} {:>10} {:>7} {:>6}",
            "concurrency campaign",
            "trials",
            "both changed",
            "as promised",
            "duplicates",
            "orphans",
            "ghosts"
        )
    }

    pub fn row(&self) -> String {
        format!(
            "{:<34} {:>6} {:>12} {:>11} {:>10} {:>7} {:>6}",
            self.label,
            self.trials,
            self.both_changed,
            self.as_promised,
            self.audit.duplicates,
            self.audit.orphans,
            self.audit.ghosts
        )
    }
}

/// Whether an apply's output reports a change to the cloud.
fn changed(out: &str) -> bool {
    out.lines()
        .filter_map(|l| l.split("Apply complete! Resources: ").nth(1))
        .any(|rest| !rest.starts_with("0 added, 0 changed, 0 destroyed"))
}

pub fn run(nf: &Netform, opts: &ConcOpts) -> Figures {
    let mut f = Figures {
        label: format!(
            "{}, {}",
            if opts.over_http {
                "over HTTP"
            } else {
                "in process"
            },
            if opts.lock_timeout {
                "--lock-timeout 60s"
            } else {
                "no lock timeout"
            }
        ),
        ..Figures::default()
    };
    for _ in 0..opts.trials {
        trial(nf, opts, &mut f);
    }
    f
}

fn trial(nf: &Netform, opts: &ConcOpts, f: &mut Figures) {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let latency = format!("{{\"latency_ms\": {}}}", opts.scenario.latency_ms);
    let server = opts
        .over_http
        .then(|| Server::start(nf, &opts.scenario, Some(&latency)));
    let (client, sim_dir) = match &server {
        Some(s) => {
            opts.scenario.write(dir.path(), Some(&s.endpoint));
            (Server::client(nf), s.path().to_path_buf())
        }
        None => {
            opts.scenario.write(dir.path(), None);
            (
                nf.with_env("NETFORM_SIM_FAULTS", &latency),
                dir.path().to_path_buf(),
            )
        }
    };
    // Both runs alike: with the timeout, whichever gets the lock second waits for it.
    let mut args = vec!["apply", "--auto-approve"];
    if opts.lock_timeout {
        args.extend(["--lock-timeout", "60s"]);
    }
    let logs = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (la, lb) = (logs.path().join("a.log"), logs.path().join("b.log"));
    let a = client.spawn_logged(dir.path(), &args, &la);
    let b = client.spawn_logged(dir.path(), &args, &lb);
    let limit = Duration::from_secs(300);
    let (a, b) = (wait_code(a, limit), wait_code(b, limit));
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap_or_default();
    let (ta, tb) = (read(&la), read(&lb));
    f.trials += 1;
    let (ca, cb) = (changed(&ta), changed(&tb));
    if ca && cb {
        f.both_changed += 1;
    }
    let refused = |code: Option<i32>, t: &str| {
        code == Some(1) && t.contains("locked by another netform run") && t.contains("held by")
    };
    let promised = if opts.lock_timeout {
        a == Some(0) && b == Some(0) && (ca != cb)
    } else {
        (ca && a == Some(0) && refused(b, &tb)) || (cb && b == Some(0) && refused(a, &ta))
    };
    if promised {
        f.as_promised += 1;
    } else {
        let tail = |t: &str| {
            t.lines()
                .rev()
                .take(6)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        };
        f.notes.push(format!(
            "first (exit {a:?}):\n{}\nsecond (exit {b:?}):\n{}",
            tail(&ta),
            tail(&tb)
        ));
    }
    f.audit.add(&audit(nf, dir.path(), &sim_dir));
}
