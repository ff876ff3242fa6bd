//! Two runs on one configuration: the lock serialises them, and the second reads the state and
//! the simulated cloud only once it holds the lock, so it sees what the first did and changes
//! nothing twice. A run that finds the lock taken says who holds it.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::Env;

/// Waits until the first run holds the lock (its holder record is written).
fn wait_for_holder(env: &Env) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if env
            .read("netform.tfstate.lock")
            .is_some_and(|t| t.contains("\"Operation\""))
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the first run never took the lock");
}

#[test]
fn a_second_apply_waits_for_the_first_and_changes_nothing_twice() {
    let env = Env::copy_of("examples/quickstart");
    let slow = ("NETFORM_SIM_FAULTS", r#"{"latency_ms": 30}"#);
    let first = env
        .cmd(&["apply", "--auto-approve"])
        .env(slow.0, slow.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the first apply");
    wait_for_holder(&env);

    let refused = env.run(&["plan"]);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    for needle in ["locked by another netform run", "for apply", "pid "] {
        assert!(
            refused.stderr.contains(needle),
            "{needle:?} missing: {}",
            refused.stderr
        );
    }

    let second = env.run_env(
        &["apply", "--auto-approve", "--lock-timeout", "60s"],
        &[slow],
    );
    let first = first.wait_with_output().expect("first apply");
    let first_out = String::from_utf8_lossy(&first.stdout);
    assert!(first.status.success(), "{first_out}");
    assert!(first_out.contains("Resources: 6 added"), "{first_out}");
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    assert!(
        second.stdout.contains("No changes") || second.stdout.contains("0 added"),
        "the second run saw the first's work: {}",
        second.stdout
    );
    let cloud: serde_json::Value =
        serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("sim show is JSON");
    assert_eq!(
        cloud["eip_addresses"].as_object().map(|m| m.len()),
        Some(2),
        "two EIPs in the cloud, not four: {cloud}"
    );
}

/// `netform sim call` while an apply runs on the in-process simulator: each keeps the cloud in
/// memory, and the apply's snapshot at its end used to overwrite the call's EIP. Now every
/// change is made under the simulator's file lock after catching up with the other's, so the
/// cloud afterwards holds both.
#[test]
fn a_sim_call_during_an_apply_is_not_lost() {
    let env = Env::copy_of("examples/quickstart");
    let apply = env
        .cmd(&["apply", "--auto-approve"])
        .env("NETFORM_SIM_FAULTS", r#"{"latency_ms": 40}"#)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the apply");
    // Once the apply has changed the cloud (its first call is journalled).
    let journal = env.path().join(".netform/sim/journal.ndjson");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !journal.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(journal.exists(), "the apply never changed the cloud");
    let call = env.run(&["sim", "call", "AllocateEipAddress", "RegionId=cn-hangzhou"]);
    assert_eq!(call.code, 0, "{}{}", call.stdout, call.stderr);
    let answer: serde_json::Value = serde_json::from_str(&call.stdout).expect("JSON answer");
    let theirs = answer["AllocationId"]
        .as_str()
        .unwrap_or_else(|| panic!("no AllocationId: {answer}"))
        .to_string();
    let apply = apply.wait_with_output().expect("the apply");
    let out = String::from_utf8_lossy(&apply.stdout);
    assert!(apply.status.success(), "{out}");
    assert!(out.contains("Resources: 6 added"), "{out}");

    let cloud: serde_json::Value =
        serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("sim show is JSON");
    let eips = cloud["eip_addresses"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    assert!(
        eips.contains_key(&theirs),
        "the call's EIP is kept: {cloud}"
    );
    assert_eq!(
        eips.len(),
        3,
        "the apply's two EIPs and the call's: {cloud}"
    );
    let state = env.read("netform.tfstate").unwrap_or_default();
    for id in eips.keys().filter(|k| **k != theirs) {
        assert!(state.contains(id.as_str()), "{id} is the apply's: {state}");
    }
    let plan = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
}
