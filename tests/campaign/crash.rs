//! The crash campaign: kill -9 at a random instant of a create, an update or a destroy, then one
//! rerun of the same command; a trial converges when that rerun succeeds and leaves nothing to
//! do (for a destroy: nothing in state), and every trial is audited against the cloud.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use super::audit::{Audit, audit};
use super::setup::{Scenario, set_generation};
use super::{Netform, Rng, copy_dir, text};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Create,
    Update,
    Destroy,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::Create, Phase::Update, Phase::Destroy];

    fn args(self) -> &'static [&'static str] {
        match self {
            Phase::Destroy => &["destroy", "--auto-approve"],
            _ => &["apply", "--auto-approve"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Phase::Create => "create",
            Phase::Update => "update",
            Phase::Destroy => "destroy",
        }
    }
}

pub struct CrashOpts {
    pub scenario: Scenario,
    /// Trials per phase: create, update, destroy.
    pub trials: [usize; 3],
    pub seed: u64,
    /// Trials run at once.
    pub jobs: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub trials: usize,
    /// Trials whose run was still going when it was killed (the others had finished).
    pub interrupted: usize,
    /// Operations in flight at the kill: intents the journal holds without an outcome.
    pub in_flight: usize,
    pub converged: usize,
    pub wedged: usize,
    pub audit: Audit,
    /// Why trials did not converge (the rerun's output, abridged).
    pub notes: Vec<String>,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.trials += o.trials;
        self.interrupted += o.interrupted;
        self.in_flight += o.in_flight;
        self.converged += o.converged;
        self.wedged += o.wedged;
        self.audit.add(&o.audit);
        self.notes.extend(o.notes.iter().cloned());
    }
}

pub struct Report {
    pub seed: u64,
    pub resources: usize,
    pub took: [Duration; 3],
    pub phases: Vec<(Phase, Figures)>,
}

impl Report {
    pub fn total(&self) -> Figures {
        let mut t = Figures::default();
        for (_, f) in &self.phases {
            t.add(f);
        }
        t
    }

    /// The figures, as a table.
    pub fn table(&self) -> String {
        let mut out = format!(
            "crash campaign: kill -9 at random instants, then one rerun ({} resources, seed {}; uninterrupted: create {:.1}s, update {:.1}s, destroy {:.1}s)\n{:<8} {:>6} {:>11} {:>9} {:>9} {:>6} {:>7} {:>10} {:>6}\n",
            self.resources,
            self.seed,
            self.took[0].as_secs_f64(),
            self.took[1].as_secs_f64(),
            self.took[2].as_secs_f64(),
            "phase",
            "trials",
            "interrupted",
            "in flight",
            "converged",
            "wedged",
            "orphans",
            "duplicates",
            "ghosts"
        );
        let row = |name: &str, f: &Figures| {
            format!(
                "{name:<8} {:>6} {:>11} {:>9} {:>9} {:>6} {:>7} {:>10} {:>6}\n",
                f.trials,
                f.interrupted,
                f.in_flight,
                f.converged,
                f.wedged,
                f.audit.orphans,
                f.audit.duplicates,
                f.audit.ghosts
            )
        };
        for (p, f) in &self.phases {
            out.push_str(&row(p.name(), f));
        }
        out.push_str(&row("total", &self.total()));
        out
    }
}

/// Prepared starting points: a fresh configuration, and one with generation 0 applied.
struct Start {
    fresh: PathBuf,
    applied: PathBuf,
    /// How long each phase takes uninterrupted.
    took: [Duration; 3],
}

fn timed(nf: &Netform, dir: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let o = nf.run(dir, args);
    assert!(
        o.status.success(),
        "{args:?} in {}: {}",
        dir.display(),
        text(&o)
    );
    start.elapsed()
}

fn prepare(nf: &Netform, root: &Path, sc: &Scenario) -> Start {
    let fresh = root.join("fresh");
    let applied = root.join("applied");
    let _ = std::fs::create_dir_all(&fresh);
    sc.write(&fresh, None);
    copy_dir(&fresh, &applied);
    let create = timed(nf, &applied, Phase::Create.args());
    let upd = root.join("calibrate-update");
    copy_dir(&applied, &upd);
    set_generation(&upd, 1);
    let update = timed(nf, &upd, Phase::Update.args());
    let des = root.join("calibrate-destroy");
    copy_dir(&applied, &des);
    let destroy = timed(nf, &des, Phase::Destroy.args());
    Start {
        fresh,
        applied,
        took: [create, update, destroy],
    }
}

/// Runs the campaign and returns its figures.
pub fn run(nf: &Netform, opts: &CrashOpts) -> Report {
    let nf = nf.with_env("NETFORM_SIM_FAULTS", &opts.scenario.faults());
    let root = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("tempdir: {e}"),
    };
    let start = prepare(&nf, root.path(), &opts.scenario);
    let mut rng = Rng::new(opts.seed);
    let mut plan: Vec<(usize, Phase, f64)> = Vec::new();
    for (i, p) in Phase::ALL.iter().enumerate() {
        for _ in 0..opts.trials[i] {
            plan.push((plan.len(), *p, rng.next()));
        }
    }
    let results: Mutex<Vec<(Phase, Figures)>> = Mutex::new(Vec::new());
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1) {
            s.spawn(|| {
                while let Some(&(i, phase, frac)) = plan.get(next.fetch_add(1, Ordering::SeqCst)) {
                    let f = trial(&nf, root.path(), &start, i, phase, frac);
                    if let Ok(mut r) = results.lock() {
                        r.push((phase, f));
                    }
                }
            });
        }
    });
    let mut phases: Vec<(Phase, Figures)> = Phase::ALL
        .iter()
        .map(|p| (*p, Figures::default()))
        .collect();
    for (p, f) in results.into_inner().unwrap_or_default() {
        if let Some((_, agg)) = phases.iter_mut().find(|(q, _)| *q == p) {
            agg.add(&f);
        }
    }
    // NETFORM_CAMPAIGN_KEEP: leave the trial directories for a look (their path is printed).
    if std::env::var_os("NETFORM_CAMPAIGN_KEEP").is_some() {
        let kept = root.keep();
        println!("trial directories kept in {}", kept.display());
    }
    Report {
        seed: opts.seed,
        resources: opts.scenario.resources(),
        took: start.took,
        phases,
    }
}

/// One trial: start the phase's command, kill -9 it at `frac` of its uninterrupted duration,
/// rerun it once, check that nothing is left to do, audit.
fn trial(nf: &Netform, root: &Path, start: &Start, i: usize, phase: Phase, frac: f64) -> Figures {
    let dir = root.join(format!("trial-{i}"));
    copy_dir(
        if phase == Phase::Create {
            &start.fresh
        } else {
            &start.applied
        },
        &dir,
    );
    if phase == Phase::Update {
        set_generation(&dir, 1);
    }
    let took = match phase {
        Phase::Create => start.took[0],
        Phase::Update => start.took[1],
        Phase::Destroy => start.took[2],
    };
    let mut child = nf.spawn(&dir, phase.args());
    std::thread::sleep(took.mul_f64(frac));
    let running = matches!(child.try_wait(), Ok(None));
    let _ = child.kill();
    let _ = child.wait();
    let mut f = Figures {
        trials: 1,
        interrupted: usize::from(running),
        in_flight: in_flight(&dir),
        ..Figures::default()
    };
    let rerun = nf.run(&dir, phase.args());
    let done = if !rerun.status.success() {
        f.wedged = 1;
        false
    } else if phase == Phase::Destroy {
        state_is_empty(&dir)
    } else {
        nf.run(&dir, &["plan", "--detailed-exitcode"]).status.code() == Some(0)
    };
    f.audit = audit(nf, &dir, &dir);
    if done && f.audit.clean() {
        f.converged = 1;
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        let out = text(&rerun);
        let tail: String = out
            .lines()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        f.notes.push(format!(
            "trial {i} ({}, killed at {:.0}%): rerun exit {:?}; {:?}\n{tail}",
            phase.name(),
            frac * 100.0,
            rerun.status.code(),
            f.audit.details.iter().take(5).collect::<Vec<_>>()
        ));
    }
    f
}

/// Intents the journal left without an outcome.
fn in_flight(dir: &Path) -> usize {
    let Ok(t) = std::fs::read_to_string(dir.join("netform.tfstate.journal")) else {
        return 0;
    };
    let count = |op: &str| t.matches(&format!("{{\"op\":\"{op}\"")).count();
    count("intent").saturating_sub(count("done"))
}

fn state_is_empty(dir: &Path) -> bool {
    let Ok(t) = std::fs::read_to_string(dir.join("netform.tfstate")) else {
        return true;
    };
    let j: serde_json::Value = serde_json::from_str(&t).unwrap_or_default();
    j["resources"].as_array().is_some_and(Vec::is_empty)
}
