//! Two `Sim`s opened on one directory stand for two processes: each has its own cloud in
//! memory and its own handles on the files, and the lock is taken per open file, so they exclude
//! each other exactly as two processes do.

use super::super::{Sim, sim_dir};
use crate::provider::{Params, Product, Transport};
use serde_json::Value as J;

fn temp(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("netform-sim-disk-{name}"))
        .tempdir()
        .expect("tempdir")
}

fn allocate(s: &Sim, token: &str) -> String {
    let mut p = Params::new();
    p.insert("RegionId".into(), "cn-hangzhou".into());
    p.insert("ClientToken".into(), token.into());
    let j = s
        .call(Product::Vpc, "AllocateEipAddress", &p)
        .expect("allocate");
    j["AllocationId"].as_str().expect("an id").to_string()
}

fn eips(s: &Sim) -> Vec<String> {
    s.with_cloud(|c| c.live.eips.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn a_call_from_another_process_is_neither_lost_nor_overwritten() {
    let dir = temp("two");
    let apply = Sim::open(dir.path(), None).expect("open");
    let mine = allocate(&apply, "apply-1");
    // `netform sim call` while the apply runs: it opens, calls and folds the journal.
    let call = Sim::open(dir.path(), None).expect("open");
    assert_eq!(
        eips(&call),
        vec![mine.clone()],
        "it reads what the apply did"
    );
    let theirs = allocate(&call, "call-1");
    call.persist().expect("persist");
    drop(call);
    // The apply goes on (its next call sees the other's EIP), then folds its own.
    let later = allocate(&apply, "apply-2");
    let mut seen = eips(&apply);
    seen.sort();
    let mut want = vec![mine, theirs, later];
    want.sort();
    assert_eq!(seen, want, "the apply sees the call's EIP");
    apply.persist().expect("persist");
    let reopened = Sim::open(dir.path(), None).expect("reopen");
    let mut after = eips(&reopened);
    after.sort();
    assert_eq!(after, want, "nothing was overwritten");
}

#[test]
fn two_processes_calling_at_once_serialise_and_keep_every_object() {
    let dir = temp("threads");
    let path = dir.path().to_path_buf();
    // Both open the (empty) cloud before either calls.
    let opened = std::sync::Arc::new(std::sync::Barrier::new(2));
    let runs: Vec<_> = (0..2)
        .map(|n| {
            let path = path.clone();
            let opened = opened.clone();
            std::thread::spawn(move || {
                let s = Sim::open(&path, None).expect("open");
                opened.wait();
                let ids: Vec<String> = (0..40)
                    .map(|i| allocate(&s, &format!("p{n}-{i}")))
                    .collect();
                s.persist().expect("persist");
                ids
            })
        })
        .collect();
    let mut made: Vec<String> = runs
        .into_iter()
        .flat_map(|h| h.join().expect("a run"))
        .collect();
    made.sort();
    made.dedup();
    assert_eq!(made.len(), 80, "every id distinct");
    let s = Sim::open(&path, None).expect("reopen");
    let mut have = eips(&s);
    have.sort();
    assert_eq!(have, made);
}

/// A writer killed mid-line leaves a fragment; the next line is not glued to it (and lost).
#[test]
fn a_line_after_a_torn_one_is_kept() {
    let dir = temp("torn");
    let s = Sim::open(dir.path(), None).expect("open");
    let first = allocate(&s, "t-1");
    drop(s);
    let journal = sim_dir(dir.path()).join(super::JOURNAL);
    let mut text = std::fs::read(&journal).expect("journal");
    text.extend_from_slice(b"{\"seq\": 9, \"acti");
    std::fs::write(&journal, text).expect("tear");
    let s = Sim::open(dir.path(), None).expect("open");
    let second = allocate(&s, "t-2");
    drop(s);
    let s = Sim::open(dir.path(), None).expect("reopen");
    let mut have = eips(&s);
    have.sort();
    let mut want = vec![first, second];
    want.sort();
    assert_eq!(have, want);
}

/// `sim reset` under another process: its next change starts over from the world rather than
/// writing a journal on top of a cloud that is gone.
#[test]
fn a_reset_is_seen_by_a_process_that_had_the_cloud_open() {
    let dir = temp("reset");
    let s = Sim::open(dir.path(), None).expect("open");
    allocate(&s, "r-1");
    assert!(Sim::reset(dir.path()).expect("reset"));
    let after = allocate(&s, "r-2");
    assert_eq!(eips(&s), vec![after.clone()]);
    s.persist().expect("persist");
    let reopened = Sim::open(dir.path(), None).expect("reopen");
    assert_eq!(eips(&reopened), vec![after]);
}

/// Only reading leaves no file behind.
#[test]
fn reading_a_cloud_that_was_never_changed_writes_nothing() {
    let dir = temp("read");
    let s = Sim::open(dir.path(), None).expect("open");
    let mut p = Params::new();
    p.insert("RegionId".into(), "cn-hangzhou".into());
    let j: J = s
        .call(Product::Vpc, "DescribeEipAddresses", &p)
        .expect("describe");
    assert!(j.get("RequestId").is_some());
    s.persist().expect("persist");
    assert!(!dir.path().join(".netform").exists());
}
