//! The campaigns of issue 12 at full size, through the real binary (see
//! `tests/campaign/mod.rs`): `cargo bench --bench campaign -- [crash|faults|concurrency|all]
//! [--trials N] [--units U] [--latency MS] [--jobs J] [--seed S]`; `NETFORM_CAMPAIGN_BIN` runs
//! them against another netform binary. `scripts/campaign.sh` runs
//! them all. Prints each campaign's figures; exits 1 when a campaign found a duplicate, an
//! orphan, a ghost, a wedged rerun or two runs changing the cloud at once.

#![allow(clippy::print_stdout, clippy::print_stderr)]
// A benchmark reports its figures on the terminal.

#[path = "../tests/campaign/mod.rs"]
mod campaign;

use campaign::{Netform, Scenario, concurrency, crash, faults};

struct Args {
    what: String,
    trials: usize,
    units: usize,
    latency: u64,
    jobs: usize,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        what: "all".into(),
        trials: 100,
        units: 85,
        latency: 2,
        jobs: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        seed: campaign::seed(),
    };
    let mut it = std::env::args().skip(1).filter(|x| x != "--bench");
    while let Some(x) = it.next() {
        let mut num = || it.next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        match x.as_str() {
            "--trials" => a.trials = num() as usize,
            "--units" => a.units = num() as usize,
            "--latency" => a.latency = num(),
            "--jobs" => a.jobs = num().max(1) as usize,
            "--seed" => a.seed = num(),
            w => a.what = w.to_string(),
        }
    }
    a
}

fn main() {
    let a = args();
    // NETFORM_CAMPAIGN_BIN: run the campaigns against another netform (an older build, to
    // compare figures).
    let bin = std::env::var("NETFORM_CAMPAIGN_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_netform").to_string());
    let nf = Netform::new(&bin);
    let sc = Scenario {
        units: a.units,
        latency_ms: a.latency,
    };
    let mut ok = true;
    if matches!(a.what.as_str(), "crash" | "all") {
        ok &= run_crash(&nf, sc, &a);
    }
    if matches!(a.what.as_str(), "faults" | "all") {
        ok &= run_faults(&nf, sc);
    }
    if matches!(a.what.as_str(), "concurrency" | "all") {
        ok &= run_concurrency(&nf, sc, a.trials.clamp(1, 5));
    }
    if !ok {
        std::process::exit(1);
    }
}

fn run_crash(nf: &Netform, sc: Scenario, a: &Args) -> bool {
    let per = a.trials / 3;
    let opts = crash::CrashOpts {
        scenario: sc,
        trials: [a.trials - 2 * per, per, per],
        seed: a.seed,
        jobs: a.jobs,
    };
    let start = std::time::Instant::now();
    let r = crash::run(nf, &opts);
    println!("{}", r.table());
    let t = r.total();
    println!(
        "trials: {}, converged: {}, wedged: {}, orphans: {}, duplicates: {}, ghosts: {} ({:.0}s)\n",
        t.trials,
        t.converged,
        t.wedged,
        t.audit.orphans,
        t.audit.duplicates,
        t.audit.ghosts,
        start.elapsed().as_secs_f64()
    );
    for n in &t.notes {
        println!("{n}\n");
    }
    t.converged == t.trials
}

fn run_faults(nf: &Netform, sc: Scenario) -> bool {
    println!("{}", faults::Figures::header());
    let mut ok = true;
    for (label, profile, max_runs) in [
        ("20%/5%/5% in process", faults::MODERATE, 1),
        ("20%/5%/5% over HTTP", faults::MODERATE, 1),
        ("45%/10%/5% in process", faults::HEAVY, 6),
        ("45%/10%/5% over HTTP", faults::HEAVY, 6),
    ] {
        let f = faults::run(
            nf,
            &faults::FaultOpts {
                scenario: sc,
                label,
                faults: profile,
                over_http: label.contains("HTTP"),
                max_runs,
            },
        );
        println!("{}", f.row());
        for x in f
            .failures
            .iter()
            .chain(&f.after_apply.details)
            .chain(&f.after_destroy.details)
        {
            println!("    {x}");
        }
        ok &= f.converged();
    }
    println!();
    ok
}

fn run_concurrency(nf: &Netform, sc: Scenario, trials: usize) -> bool {
    println!("{}", concurrency::Figures::header());
    let mut ok = true;
    for (over_http, lock_timeout) in [(false, true), (false, false), (true, true), (true, false)] {
        let f = concurrency::run(
            nf,
            &concurrency::ConcOpts {
                scenario: sc,
                over_http,
                lock_timeout,
                trials,
            },
        );
        println!("{}", f.row());
        for n in &f.notes {
            println!("    {n}");
        }
        ok &= f.both_changed == 0 && f.as_promised == f.trials && f.audit.clean();
    }
    println!();
    ok
}
