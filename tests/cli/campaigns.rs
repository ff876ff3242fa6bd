//! The campaigns of issue 12 at a size CI affords (`tests/campaign`; the full size is
//! `scripts/campaign.sh`): kill -9 at random instants of a create, an update and a destroy
//! (25 trials of 48 resources), the fault profiles in process and over HTTP, and two applies at once. Each
//! prints its figures (`cargo test campaign -- --nocapture` shows them); a failure shows what
//! went wrong in which trial. `NETFORM_CAMPAIGN_SEED` replays a crash campaign's kill instants.

use crate::campaign::{Netform, Scenario, concurrency, crash, faults, seed};

fn netform() -> Netform {
    Netform::new(env!("CARGO_BIN_EXE_netform"))
}

#[test]
fn crash_campaign_every_kill_converges_in_one_rerun_with_nothing_lost_or_doubled() {
    let r = crash::run(
        &netform(),
        &crash::CrashOpts {
            scenario: Scenario {
                units: 12,
                latency_ms: 3,
            },
            trials: [9, 8, 8],
            seed: seed(),
            jobs: 2,
        },
    );
    println!("{}", r.table());
    let t = r.total();
    assert!(t.trials >= 20);
    assert_eq!(
        (t.converged, t.wedged),
        (t.trials, 0),
        "{}\n{}",
        r.table(),
        t.notes.join("\n\n")
    );
    assert!(t.audit.clean(), "{}\n{:?}", r.table(), t.audit.details);
    // Not vacuous: kills landed while operations were in flight.
    assert!(t.in_flight > 0, "{}", r.table());
}

fn fault_run(label: &'static str, profile: &'static str, http: bool, max_runs: usize) {
    let f = faults::run(
        &netform(),
        &faults::FaultOpts {
            scenario: Scenario {
                units: 6,
                latency_ms: 0,
            },
            label,
            faults: profile,
            over_http: http,
            max_runs,
        },
    );
    println!("{}\n{}", faults::Figures::header(), f.row());
    let why = format!(
        "{}\n{:?}\n{:?}\n{:?}",
        f.row(),
        f.failures,
        f.after_apply.details,
        f.after_destroy.details
    );
    assert!(f.converged(), "{why}");
    assert_eq!(
        f.after_apply.duplicates + f.after_destroy.duplicates,
        0,
        "{why}"
    );
}

/// 20% throttling, 5% server errors and 5% lost answers on every action: one apply and one
/// destroy succeed, nothing is made twice.
#[test]
fn fault_campaign_moderate_faults_converge_at_once_in_process_and_over_http() {
    fault_run("20%/5%/5% in process", faults::MODERATE, false, 1);
    fault_run("20%/5%/5% over HTTP", faults::MODERATE, true, 1);
}

/// 45% throttling and 10% server errors: reruns may be needed, duplicates never.
#[test]
fn fault_campaign_heavy_faults_may_need_reruns_and_never_duplicate() {
    fault_run("45%/10%/5% in process", faults::HEAVY, false, 6);
    fault_run("45%/10%/5% over HTTP", faults::HEAVY, true, 6);
}

#[test]
fn concurrency_campaign_two_applies_never_both_change_the_cloud() {
    println!("{}", concurrency::Figures::header());
    for (over_http, lock_timeout) in [(false, true), (false, false), (true, true), (true, false)] {
        let f = concurrency::run(
            &netform(),
            &concurrency::ConcOpts {
                scenario: Scenario {
                    units: 6,
                    latency_ms: 5,
                },
                over_http,
                lock_timeout,
                trials: 1,
            },
        );
        println!("{}", f.row());
        assert_eq!(f.both_changed, 0, "{}\n{}", f.row(), f.notes.join("\n"));
        assert_eq!(
            f.as_promised,
            f.trials,
            "{}\n{}",
            f.row(),
            f.notes.join("\n")
        );
        assert!(f.audit.clean(), "{}\n{:?}", f.row(), f.audit.details);
    }
}

/// One kill point the random campaign may miss: a create_before_destroy replacement killed
/// after its new ENI is made and before the old one is deleted. The old ENI is then in no state
/// (the new one holds its address); only the intent recorded before the new ENI was made
/// remembers it, and the rerun must delete it rather than leave an orphan.
#[test]
fn a_replacement_killed_between_its_new_object_and_the_old_ones_removal_leaves_no_orphan() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let env = crate::harness::Env::empty();
    env.write(
        "main.hcl",
        r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

resource "alicloud_ecs_network_interface" "e" {
  vswitch_id                         = "vsw-bp1web0000000000000"
  security_group_ids                 = ["sg-bp1basic000000000000"]
  secondary_private_ip_address_count = 2
  lifecycle {
    create_before_destroy = true
  }
}
"#,
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let enis = |env: &crate::harness::Env| -> Vec<String> {
        let show: serde_json::Value =
            serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("sim show is JSON");
        show["network_interfaces"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let old = enis(&env);
    assert_eq!(old.len(), 1, "{old:?}");

    // The old ENI's addresses (the first step of its removal) are throttled for ever: the run is
    // stuck right after the new ENI is made, its addresses with it (and recorded), and is killed
    // there.
    let mut run = env
        .cmd(&[
            "apply",
            "--auto-approve",
            "--replace",
            "alicloud_ecs_network_interface.e",
        ])
        .env(
            "NETFORM_SIM_FAULTS",
            r#"{"rates": {"UnassignPrivateIpAddresses": {"throttling": 1.0}}}"#,
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the replacing apply");
    let out = run.stdout.take().expect("piped stdout");
    let mut seen = String::new();
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("[UnassignPrivateIpAddresses]") {
            break;
        }
    }
    run.kill().expect("kill -9 the apply");
    let _ = run.wait();
    assert!(
        seen.contains("[UnassignPrivateIpAddresses]"),
        "the run never reached the old ENI's addresses:\n{seen}"
    );
    let both = enis(&env);
    assert_eq!(
        both.len(),
        2,
        "killed between the new ENI and the old one's removal: {both:?}"
    );

    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let now = enis(&env);
    assert_eq!(
        now.len(),
        1,
        "the old ENI is deleted, not orphaned: {now:?}\n{}",
        r.stderr
    );
    assert_ne!(now, old, "the new ENI stays");
    let state = env.read("netform.tfstate").unwrap_or_default();
    assert!(state.contains(&now[0]), "state holds the new ENI: {state}");
    assert!(!state.contains("pending_operations"), "{state}");
    let plan = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}
