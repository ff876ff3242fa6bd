//! The pg backend against a real PostgreSQL server (`pgcluster`): runners in different
//! directories share one state; concurrent applies never both change the cloud; a stale writer
//! is refused; a killed holder's lease expires and `force-unlock` hands its work to a fresh
//! runner, which finishes it with nothing lost or done twice; the database going away mid-apply
//! is a clear error and the journal keeps what completed; state pull/push/history; migration
//! from local state; workspaces; and the password never shows.
//!
//! Each test has its own schema (or database) in the one cluster, so they run in parallel. Runs
//! that must share a cloud across directories talk to one `netform sim serve`.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::harness::{Env, Run};
use crate::http::{KEY_ID, SECRET, Server, client_vars, quickstart_over};
use crate::pgcluster::{PASSWORD, cluster};

const SLOW: &str = r#"{"latency_ms": 40}"#;
/// Slow enough that a run is surely still going when the test interrupts it.
const SLOWER: &str = r#"{"latency_ms": 150}"#;
/// EIPs in the pool the kill tests apply.
const POOL: usize = 8;

/// A configuration directory using the pg backend in `schema`, with its environment.
struct Runner {
    env: Env,
    vars: Vec<(String, String)>,
}

fn backend_block(schema: &str) -> String {
    format!("terraform {{\n  backend \"pg\" {{\n    schema_name = \"{schema}\"\n  }}\n}}\n")
}

impl Runner {
    /// The quickstart on the embedded simulator (one directory, its own cloud).
    fn local_cloud(schema: &str, db: &str) -> Runner {
        let env = Env::copy_of("examples/quickstart");
        env.write("backend.hcl", &backend_block(schema));
        let vars = vec![("PG_CONN_STR".into(), cluster().conn_str(db))];
        Runner { env, vars }
    }

    /// The quickstart against `server`: every such runner shares that one cloud.
    fn shared_cloud(server: &Server, schema: &str, db: &str) -> Runner {
        let env = quickstart_over(server);
        env.write("backend.hcl", &backend_block(schema));
        let mut vars: Vec<(String, String)> = client_vars(KEY_ID, SECRET)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        vars.push(("PG_CONN_STR".into(), cluster().conn_str(db)));
        Runner { env, vars }
    }

    /// A pool of EIPs against `server`: creates only, so the kill tests can count exactly what
    /// was taken up. (A killed quickstart, with attaches and bindings in flight, is covered by
    /// `a_quickstart_killed_mid_apply_is_finished_by_a_runner_in_another_directory`.)
    fn eip_pool(server: &Server, schema: &str, db: &str) -> Runner {
        let r = Runner::shared_cloud(server, schema, db);
        r.env.write(
            "main.hcl",
            &format!(
                "provider \"alicloud\" {{\n  region   = \"cn-hangzhou\"\n  endpoint = \"{}\"\n}}\n\nresource \"alicloud_eip_address\" \"pool\" {{\n  count        = {POOL}\n  address_name = \"pool-${{count.index}}\"\n  bandwidth    = 5\n}}\n",
                server.endpoint
            ),
        );
        r
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut vars: Vec<(&str, &str)> = self
            .vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        vars.extend_from_slice(extra);
        self.env.run_env(args, &vars)
    }

    fn ok(&self, args: &[&str]) -> Run {
        self.ok_with(args, &[])
    }

    fn ok_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let r = self.run_with(args, extra);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r
    }

    fn spawn(&self, args: &[&str]) -> Child {
        let mut c = self.env.cmd(args);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c.stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn netform")
    }
}

fn finish(child: Child) -> Run {
    let o = child.wait_with_output().expect("wait for netform");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Waits (polling on one connection) until `schema`'s journal holds `n` operations.
fn wait_for_journal(db: &str, schema: &str, n: i64) {
    let mut c = cluster().admin(db);
    let sql = format!("SELECT count(*) FROM {schema}.netform_journal WHERE entry IS NOT NULL");
    wait_until("journalled operations", Duration::from_secs(60), || {
        c.query_one(&sql, &[])
            .map(|r| r.get::<_, i64>(0) >= n)
            .unwrap_or(false)
    });
}

fn journal_rows(db: &str, schema: &str) -> i64 {
    cluster().count(
        db,
        &format!("SELECT count(*) FROM {schema}.netform_journal WHERE entry IS NOT NULL"),
    )
}

fn versions(db: &str, schema: &str) -> i64 {
    cluster().count(
        db,
        &format!("SELECT count(*) FROM {schema}.netform_state_versions"),
    )
}

fn lock_id(text: &str) -> String {
    regex_lite::Regex::new(r"lock ID ([0-9a-f-]{36})")
        .expect("regex")
        .captures(text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| panic!("no lock ID in: {text}"))
}

/// Exactly the pool, nothing twice.
fn assert_pool_once(cloud: &serde_json::Value) {
    let n = cloud["eip_addresses"].as_object().map(|m| m.len());
    assert_eq!(n, Some(POOL), "{cloud}");
}

/// One ENI and two EIPs: the quickstart done once, nothing twice.
fn assert_quickstart_once(cloud: &serde_json::Value) {
    let n = |k: &str| cloud[k].as_object().map(|m| m.len());
    assert_eq!(n("network_interfaces"), Some(1), "{cloud}");
    assert_eq!(n("eip_addresses"), Some(2), "{cloud}");
}

fn assert_no_changes(r: &Runner) {
    let p = r.run(&["plan", "-detailed-exitcode"]);
    assert_eq!(p.code, 0, "{}{}", p.stdout, p.stderr);
    assert!(p.stdout.contains("No changes"), "{}", p.stdout);
}

#[test]
fn two_runners_share_one_state_and_concurrent_applies_never_both_change_the_cloud() {
    let db = "postgres";
    let mut server = Server::start(&[(KEY_ID, SECRET)], &[("NETFORM_SIM_FAULTS", SLOW)]);
    let a = Runner::shared_cloud(&server, "t_race", db);
    let b = Runner::shared_cloud(&server, "t_race", db);
    a.ok(&["init"]);
    let again = b.ok(&["init"]);
    assert!(
        again.stdout.contains("successfully initialized"),
        "{}",
        again.stdout
    );

    // Round 1: both apply at once without waiting; exactly one changes the cloud.
    let start = Instant::now();
    let (pa, pb) = (
        a.spawn(&["apply", "-auto-approve"]),
        b.spawn(&["apply", "-auto-approve"]),
    );
    let (ra, rb) = (finish(pa), finish(pb));
    let both = start.elapsed();
    let (win, lose) = match (ra.code, rb.code) {
        (0, 1) => (ra, rb),
        (1, 0) => (rb, ra),
        other => panic!(
            "{other:?}\nA: {}{}\nB: {}{}",
            ra.stdout, ra.stderr, rb.stdout, rb.stderr
        ),
    };
    assert!(win.stdout.contains("6 added"), "{}", win.stdout);
    for needle in [
        "locked by another netform run",
        "for apply",
        "pid ",
        "lock ID",
    ] {
        assert!(lose.stderr.contains(needle), "{needle:?}: {}", lose.stderr);
    }
    assert!(
        !lose.stdout.contains("Creating"),
        "the refused run changed nothing"
    );
    assert_eq!(versions(db, "t_race"), 1, "one version written");

    // The other directory sees the first's state.
    assert_no_changes(&b);

    // Round 2: both wait for the lock; the second plans on the first's result.
    let start2 = Instant::now();
    let args = [
        "apply",
        "-auto-approve",
        "-lock-timeout=60s",
        "-var=secondary_ip_count=3",
    ];
    let (pa, pb) = (a.spawn(&args), b.spawn(&args));
    let (ra, rb) = (finish(pa), finish(pb));
    let waited = start2.elapsed();
    assert_eq!(
        (ra.code, rb.code),
        (0, 0),
        "{}{}\n{}{}",
        ra.stdout,
        ra.stderr,
        rb.stdout,
        rb.stderr
    );
    let changed = [&ra, &rb]
        .iter()
        .filter(|r| r.stdout.contains("1 changed"))
        .count();
    let nothing = [&ra, &rb]
        .iter()
        .filter(|r| r.stdout.contains("No changes"))
        .count();
    assert_eq!((changed, nothing), (1, 1), "{}\n{}", ra.stdout, rb.stdout);
    assert_eq!(versions(db, "t_race"), 2);
    assert_quickstart_once(&server.cloud());
    eprintln!(
        "figures: round 1 (no wait): both runs done in {:?}, one applied, the other refused naming the holder; round 2 (-lock-timeout): both done in {waited:?}, one changed, the other waited and found no changes; {} versions",
        both,
        versions(db, "t_race")
    );
}

#[test]
fn a_stale_writer_is_refused_and_writes_nothing() {
    use netform::backend::settings::{BackendDecl, Inputs, resolve};
    use netform::state::{State, StateError, Store};
    let schema = "t_stale";
    let decl = BackendDecl {
        kind: "pg".into(),
        settings: [
            ("conn_str".to_string(), cluster().conn_str("postgres")),
            ("schema_name".to_string(), schema.to_string()),
        ]
        .into_iter()
        .collect(),
        at: "test".into(),
    };
    let spec = resolve(&Inputs {
        decl: Some(&decl),
        cli: &[],
        dir: std::path::Path::new("."),
        env: &|_| None,
    })
    .unwrap_or_else(|e| panic!("{}", e.message));
    spec.init().unwrap_or_else(|e| panic!("{e}"));
    let open = || Store::with_backend(spec.open("default").unwrap_or_else(|e| panic!("{e}")));
    let (mut first, mut second) = (open(), open());
    assert!(first.read().unwrap_or_else(|e| panic!("{e}")).is_none());
    assert!(second.read().unwrap_or_else(|e| panic!("{e}")).is_none());
    let mut s = State::new("stale-lineage".into());
    first.write(&mut s, None).unwrap_or_else(|e| panic!("{e}"));
    let mut other = State::new("stale-lineage".into());
    match second.write(&mut other, None) {
        Err(e @ StateError::Stale { .. }) => {
            assert!(e.to_string().contains("nothing was written"), "{e}")
        }
        r => panic!("{r:?}"),
    }
    assert_eq!(versions("postgres", schema), 1);

    // Many writers at once, each a read then a write, without locks: every write that
    // succeeds is on top of the one before; every other is refused and writes nothing.
    let (threads, rounds) = (8, 15);
    let start = Instant::now();
    let won: Vec<usize> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                sc.spawn(|| {
                    let mut n = 0;
                    let mut st = open();
                    for _ in 0..rounds {
                        let prior = st.read().ok().flatten();
                        let mut next = prior.clone().unwrap_or_else(|| State::new("x".into()));
                        next.outputs.insert(
                            format!("o{}", next.serial),
                            serde_json::from_str(r#"{"value": 1, "type": "number"}"#)
                                .unwrap_or_else(|e| panic!("{e}")),
                        );
                        match st.write(&mut next, prior.as_ref()) {
                            Ok(()) => n += 1,
                            Err(StateError::Stale { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(0)).collect()
    });
    let wins: usize = won.iter().sum();
    let kept = versions("postgres", schema);
    assert_eq!(kept as usize, 1 + wins, "one version per successful write");
    let serials = cluster().query_texts(
        "postgres",
        &format!("SELECT string_agg(serial::text, ',' ORDER BY serial) FROM {schema}.netform_state_versions"),
    );
    let want: Vec<String> = (1..=kept).map(|n| n.to_string()).collect();
    assert_eq!(
        serials,
        vec![want.join(",")],
        "serials are 1..N with no gap or repeat"
    );
    let last = open().read().ok().flatten().map(|s| s.outputs.len());
    assert_eq!(last, Some(wins), "no successful write was lost");
    eprintln!(
        "figures: {threads} writers x {rounds} read-then-write attempts in {:?}: {wins} written, {} refused as stale, 0 lost",
        start.elapsed(),
        threads * rounds - wins
    );
}

#[test]
fn a_killed_holder_is_named_its_lease_expires_and_a_fresh_runner_finishes_its_work() {
    let (db, schema) = ("postgres", "t_kill");
    let lease = "-backend-config=lock_lease=5s";
    let mut server = Server::start(&[(KEY_ID, SECRET)], &[("NETFORM_SIM_FAULTS", SLOWER)]);
    let a = Runner::eip_pool(&server, schema, db);
    a.ok(&["init", lease]);
    let child = a.spawn(&["apply", "-auto-approve", "-parallelism=2", lease]);
    let pid = child.id();
    wait_for_journal(db, schema, 2);
    let mut child = child;
    let _ = child.kill(); // SIGKILL: no destructor, no unlock
    let _ = child.wait();
    let done_before = journal_rows(db, schema);
    let killed_at = Instant::now();

    // Another runner, in another directory, finds the lock and names its holder.
    let b = Runner::eip_pool(&server, schema, db);
    let held = b.run(&["plan", lease]);
    assert_eq!(held.code, 1, "{}", held.stderr);
    assert!(
        held.stderr.contains("locked by another netform run"),
        "{}",
        held.stderr
    );
    assert!(
        held.stderr.contains(&format!("pid {pid}")),
        "{}",
        held.stderr
    );
    let id = lock_id(&held.stderr);
    let early = b.run(&["force-unlock", &id, lease]);
    assert_eq!(
        early.code, 1,
        "a live lease is not taken over: {}",
        early.stderr
    );
    assert!(early.stderr.contains("still renewing"), "{}", early.stderr);

    // Once the lease lapses, the lock is reported as abandoned, with its holder.
    let mut expired = String::new();
    wait_until("the lease to expire", Duration::from_secs(15), || {
        let r = b.run(&["plan", lease]);
        expired = r.stderr;
        expired.contains("stopped renewing")
    });
    let lapse = killed_at.elapsed();
    assert!(
        expired.contains(&format!("pid {pid}")) && expired.contains("force-unlock"),
        "{expired}"
    );
    b.ok(&["force-unlock", &id, lease]);

    let r = b.ok(&["apply", "-auto-approve", lease]);
    assert!(r.stdout.contains("Apply complete!"), "{}", r.stdout);
    assert_no_changes(&b);
    assert_no_changes(&a);
    assert_eq!(journal_rows(db, schema), 0, "the journal was folded in");
    assert!(
        !r.stdout.contains(&format!("{POOL} added")),
        "the killed run's work was taken up, not redone: {}",
        r.stdout
    );
    assert_pool_once(&server.cloud());
    eprintln!(
        "figures: killed after {done_before} journalled operations; the lease (5s) was reported expired {lapse:?} after the kill; the fresh runner finished: {}",
        r.stdout
            .lines()
            .find(|l| l.contains("Apply complete"))
            .unwrap_or("")
    );
}

#[test]
fn the_database_going_away_mid_apply_is_a_clear_error_and_the_journal_keeps_what_completed() {
    let (db, schema) = ("gone_db", "t_gone");
    let c = cluster();
    let mut admin = c.admin("postgres");
    for sql in ["DROP DATABASE IF EXISTS gone_db", "CREATE DATABASE gone_db"] {
        admin
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let lease = "-backend-config=lock_lease=2s";
    let mut server = Server::start(&[(KEY_ID, SECRET)], &[("NETFORM_SIM_FAULTS", SLOWER)]);
    let a = Runner::eip_pool(&server, schema, db);
    a.ok(&["init", lease]);
    let child = a.spawn(&["apply", "-auto-approve", "-parallelism=2", lease]);
    wait_for_journal(db, schema, 2);
    admin
        .batch_execute(
            "ALTER DATABASE gone_db ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'gone_db'",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let r = finish(child);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("lost the connection to the pg backend")
            || r.stderr.contains("cannot connect to the pg backend"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("journal"), "{}", r.stderr);
    assert!(!r.stderr.contains(PASSWORD) && !r.stdout.contains(PASSWORD));
    admin
        .batch_execute("ALTER DATABASE gone_db ALLOW_CONNECTIONS true")
        .unwrap_or_else(|e| panic!("{e}"));
    let kept = journal_rows(db, schema);
    assert!(kept >= 2, "the journal kept what completed: {kept}");

    // The lock it could not release lapses; then a rerun finishes without doing anything twice.
    let mut msg = String::new();
    wait_until("the lease to expire", Duration::from_secs(15), || {
        msg = a.run(&["plan", lease]).stderr;
        msg.contains("stopped renewing")
    });
    a.ok(&["force-unlock", &lock_id(&msg), lease]);
    a.ok(&["apply", "-auto-approve", lease]);
    assert_no_changes(&a);
    assert_pool_once(&server.cloud());
    eprintln!(
        "figures: the database went away with {kept} operations journalled; all were kept and folded in"
    );
}

#[test]
fn state_pull_push_and_history() {
    let schema = "t_pull";
    let r = Runner::local_cloud(schema, "postgres");
    r.ok(&["init"]);
    r.ok(&["apply", "-auto-approve"]);
    r.ok(&["apply", "-auto-approve", "-var=secondary_ip_count=3"]);
    let h = r.ok(&["state", "history"]);
    let lines: Vec<&str> = h.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", h.stdout);
    assert!(
        lines[1].contains("apply") && lines[1].trim_end().ends_with("6       0       0"),
        "{}",
        h.stdout
    );
    assert!(
        lines[2].trim_end().ends_with("0       1       0"),
        "{}",
        h.stdout
    );
    let j: serde_json::Value =
        serde_json::from_str(&r.ok(&["state", "history", "--json"]).stdout).expect("json");
    assert_eq!(j[0]["added"], 6);
    assert_eq!(j[1]["serial"], 2);

    let current = r.ok(&["state", "pull"]).stdout;
    let first = r.ok(&["state", "pull", "--serial", "1"]).stdout;
    let cur: serde_json::Value = serde_json::from_str(&current).expect("state JSON");
    let one: serde_json::Value = serde_json::from_str(&first).expect("state JSON");
    assert_eq!(
        (cur["serial"].as_u64(), one["serial"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(cur["lineage"], one["lineage"]);
    r.env.write("old.tfstate", &first);
    let older = r.run(&["state", "push", "old.tfstate"]);
    assert_eq!(older.code, 1);
    assert!(
        older
            .stderr
            .contains("cannot push serial 1 over the newer serial 2"),
        "{}",
        older.stderr
    );
    let mut foreign = one.clone();
    foreign["lineage"] = "another-lineage".into();
    foreign["serial"] = 9.into();
    r.env.write("foreign.tfstate", &foreign.to_string());
    let unrelated = r.run(&["state", "push", "foreign.tfstate"]);
    assert_eq!(unrelated.code, 1);
    assert!(
        unrelated.stderr.contains("unrelated state"),
        "{}",
        unrelated.stderr
    );
    assert_eq!(
        versions("postgres", schema),
        2,
        "refused pushes wrote nothing"
    );
    // Pushing the first version back on purpose (as a rollback) makes it serial 3.
    let mut rollback = one.clone();
    rollback["serial"] = 2.into();
    r.env.write("rollback.tfstate", &rollback.to_string());
    let pushed = r.ok(&["state", "push", "rollback.tfstate"]);
    assert!(pushed.stdout.contains("as serial 3"), "{}", pushed.stdout);
    let missing = r.run(&["state", "pull", "--serial", "42"]);
    assert!(
        missing.stderr.contains("no version with serial 42"),
        "{}",
        missing.stderr
    );
}

#[test]
fn local_state_migrates_to_pg_keeping_lineage_and_serial() {
    let schema = "t_migrate";
    let env = Env::copy_of("examples/quickstart");
    assert_eq!(env.run(&["apply", "-auto-approve"]).code, 0);
    let local: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").expect("local state")).expect("JSON");
    // A second workspace with a state of its own.
    std::fs::create_dir_all(env.path().join("netform.tfstate.d/dev")).expect("mkdir");
    let mut dev = local.clone();
    dev["lineage"] = "dev-lineage".into();
    dev["resources"] = serde_json::json!([]);
    env.write("netform.tfstate.d/dev/netform.tfstate", &dev.to_string());

    env.write("backend.hcl", &backend_block(schema));
    let r = Runner {
        env,
        vars: vec![("PG_CONN_STR".into(), cluster().conn_str("postgres"))],
    };
    let plain = r.ok(&["init"]);
    assert!(plain.stderr.contains("-migrate-state"), "{}", plain.stderr);
    let m = r.ok(&["init", "-migrate-state"]);
    assert!(
        m.stdout.contains("Workspace \"default\": copied"),
        "{}",
        m.stdout
    );
    assert!(
        m.stdout.contains("Workspace \"dev\": copied"),
        "{}",
        m.stdout
    );
    let pulled: serde_json::Value =
        serde_json::from_str(&r.ok(&["state", "pull"]).stdout).expect("JSON");
    assert_eq!(pulled["lineage"], local["lineage"]);
    assert_eq!(pulled["serial"], local["serial"]);
    assert_eq!(pulled["resources"], local["resources"]);
    assert_no_changes(&r);
    let again = r.ok(&["init", "-migrate-state"]);
    assert!(
        again.stdout.contains("already in the pg backend"),
        "{}",
        again.stdout
    );
    let ws = r.ok(&["workspace", "list"]).stdout;
    assert!(ws.contains("* default") && ws.contains("  dev"), "{ws}");

    // Another lineage locally: the move is refused and nothing is written.
    let mut other = local.clone();
    other["lineage"] = "someone-else".into();
    other["serial"] = 50.into();
    r.env.write("netform.tfstate", &other.to_string());
    let before = versions("postgres", schema);
    let refused = r.run(&["init", "-migrate-state"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("holds another state"),
        "{}",
        refused.stderr
    );
    assert_eq!(versions("postgres", schema), before);
}

#[test]
fn workspaces_keep_one_state_each_and_terraform_workspace_is_evaluated() {
    let schema = "t_ws";
    let r = Runner::local_cloud(schema, "postgres");
    r.env.write(
        "ws.hcl",
        "output \"ws\" {\n  value = terraform.workspace\n}\n",
    );
    r.ok(&["init"]);
    r.ok(&["apply", "-auto-approve"]);
    assert_eq!(r.ok(&["output", "-raw", "ws"]).stdout, "default");
    r.ok(&["destroy", "-auto-approve"]);
    let new = r.ok(&["workspace", "new", "staging"]);
    assert!(
        new.stdout.contains("Created and switched"),
        "{}",
        new.stdout
    );
    assert_eq!(r.ok(&["workspace", "show"]).stdout, "staging\n");
    let plan = r.run(&["plan"]);
    assert!(
        plan.stdout.contains("6 to add"),
        "its own, empty state: {}",
        plan.stdout
    );
    r.ok(&["apply", "-auto-approve"]);
    assert_eq!(r.ok(&["output", "-raw", "ws"]).stdout, "staging");
    let list = r.ok(&["workspace", "list"]).stdout;
    assert_eq!(list, "  default\n* staging\n");
    // The environment chooses the workspace in CI, and then `select` is refused.
    let tf = [("TF_WORKSPACE", "default")];
    assert_eq!(r.ok_with(&["workspace", "show"], &tf).stdout, "default\n");
    let out = r.ok_with(&["output", "-json"], &tf).stdout;
    assert!(
        !out.contains("ws"),
        "default's state has no outputs after destroy: {out}"
    );
    let sel = r.run_with(&["workspace", "select", "staging"], &tf);
    assert!(sel.stderr.contains("TF_WORKSPACE"), "{}", sel.stderr);
    r.ok(&["workspace", "select", "default"]);
    let busy = r.run(&["workspace", "delete", "staging"]);
    assert!(busy.stderr.contains("still manages 6"), "{}", busy.stderr);
    r.ok_with(
        &["destroy", "-auto-approve"],
        &[("NETFORM_WORKSPACE", "staging")],
    );
    r.ok(&["workspace", "delete", "staging"]);
    assert_eq!(r.ok(&["workspace", "list"]).stdout, "* default\n");
    let ci = [("NETFORM_WORKSPACE", "pr-12")];
    let missing = r.run_with(&["plan"], &ci);
    assert!(
        missing
            .stderr
            .contains("workspace \"pr-12\" does not exist"),
        "{}",
        missing.stderr
    );
    let init = r.ok_with(&["init"], &ci);
    assert!(
        init.stdout.contains("Created workspace \"pr-12\""),
        "{}",
        init.stdout
    );
    r.ok_with(&["plan"], &ci);
}

/// Every file under `dir`, for a byte search.
fn files(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
        }
    }
}

#[test]
fn the_password_never_reaches_an_output_a_plan_a_state_or_a_file() {
    const WRONG: &str = "NFpg-wrong-Hh3j-pass";
    let schema = "t_leak";
    let c = cluster();
    let env = Env::copy_of("examples/quickstart");
    env.write("backend.hcl", &backend_block(schema));
    let r = Runner { env, vars: vec![] };
    let conn = c.conn_str("postgres");
    let good = format!("-backend-config=conn_str={conn}");
    let wrong = format!("-backend-config=conn_str={}", conn.replace(PASSWORD, WRONG));
    let no_server = format!(
        "-backend-config=conn_str={}",
        conn.replace(&format!(":{}/", c.port), ":1/")
    );
    let garbled = format!("-backend-config=conn_str={conn}&bogus_option=1");
    let mut outputs = Vec::new();
    let mut run = |args: &[&str], extra: &[(&str, &str)], want: i32| {
        let got = r.run_with(args, extra);
        assert_eq!(got.code, want, "{args:?}: {}{}", got.stdout, got.stderr);
        outputs.push((format!("{args:?}"), got.stdout, got.stderr));
    };
    run(&["init", &good], &[], 0);
    run(&["plan", "-out", "q.plan", &good], &[], 0);
    run(&["show", "q.plan", &good], &[], 0);
    run(&["show", "-json", "q.plan", &good], &[], 0);
    run(&["apply", "q.plan", &good], &[], 0);
    run(&["plan", "-json"], &[("PG_CONN_STR", &conn)], 0);
    run(&["state", "history", &good], &[], 0);
    run(&["state", "pull", &good], &[], 0);
    run(&["workspace", "list", &good], &[], 0);
    run(&["force-unlock", "no-such-lock", &good], &[], 1);
    run(&["plan", &wrong], &[], 1);
    run(&["plan", &no_server], &[], 1);
    run(&["plan", &garbled], &[], 1);
    run(&["apply", "-auto-approve", &wrong], &[], 1);
    run(
        &["plan"],
        &[("PG_CONN_STR", &conn.replace(PASSWORD, WRONG))],
        1,
    );
    run(&["state", "push", "nothing.json", &wrong], &[], 1);
    // Written in the configuration itself, next to a mistake that is reported at its line.
    r.env.write(
        "backend.hcl",
        &format!(
            "terraform {{\n  backend \"pg\" {{\n    conn_str = \"{conn}\"\n    schema_nam = \"{schema}\"\n  }}\n}}\n"
        ),
    );
    run(&["plan"], &[], 1);
    run(&["validate"], &[], 1);
    r.env.write(
        "backend.hcl",
        "terraform {\n  backend \"pg\" {\n    conn_str = \"postgres://netform:${var.pw}@127.0.0.1/postgres\"\n  }\n}\n",
    );
    run(&["plan"], &[], 1);
    std::fs::remove_file(r.env.path().join("backend.hcl")).expect("rm");

    for (what, out, err) in &outputs {
        for s in [PASSWORD, WRONG] {
            assert!(
                !out.contains(s) && !err.contains(s),
                "{what} printed the password:\n{out}{err}"
            );
        }
    }
    let wrong_pw = &outputs[10].2;
    assert!(
        wrong_pw.contains("password authentication failed"),
        "{wrong_pw}"
    );
    assert!(
        outputs[11]
            .2
            .contains("cannot connect to the pg backend at netform@127.0.0.1:1/postgres"),
        "{}",
        outputs[11].2
    );
    assert!(
        outputs[16].2.contains("no setting \"schema_nam\""),
        "{}",
        outputs[16].2
    );
    assert!(outputs[18].2.contains("not a literal"), "{}", outputs[18].2);
    let mut all = Vec::new();
    files(r.env.path(), &mut all);
    assert!(
        all.iter().any(|(n, _)| n.ends_with("q.plan")),
        "the plan file was written"
    );
    for (name, bytes) in &all {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(PASSWORD) && !text.contains(WRONG),
            "{name} holds the password"
        );
    }
    for table in [
        "netform_state_versions",
        "netform_journal",
        "netform_locks",
        "netform_workspaces",
    ] {
        let n = c.count(
            "postgres",
            &format!("SELECT count(*) FROM {schema}.{table} t WHERE t::text LIKE '%{PASSWORD}%'"),
        );
        assert_eq!(n, 0, "{table} holds the password");
    }
    assert!(
        versions("postgres", schema) >= 1,
        "the state is in the database"
    );
}

/// The quickstart, killed mid-apply (an attach or a binding may be in flight), is finished by a
/// runner in another directory: the pending operations are settled against the shared cloud,
/// nothing is refused by netform's own rules, and nothing is made twice.
#[test]
fn a_quickstart_killed_mid_apply_is_finished_by_a_runner_in_another_directory() {
    let (db, schema) = ("postgres", "t_kill_quickstart");
    let lease = "-backend-config=lock_lease=3s";
    let mut server = Server::start(&[(KEY_ID, SECRET)], &[("NETFORM_SIM_FAULTS", SLOWER)]);
    let a = Runner::shared_cloud(&server, schema, db);
    a.ok(&["init", lease]);
    let mut child = a.spawn(&["apply", "-auto-approve", lease]);
    wait_for_journal(db, schema, 5);
    let _ = child.kill(); // SIGKILL: whatever was in flight stays pending
    let _ = child.wait();

    let b = Runner::shared_cloud(&server, schema, db);
    let mut held = String::new();
    wait_until("the lease to expire", Duration::from_secs(20), || {
        held = b.run(&["plan", lease]).stderr;
        held.contains("stopped renewing")
    });
    b.ok(&["force-unlock", &lock_id(&held), lease]);
    let r = b.ok(&["apply", "-auto-approve", lease]);
    assert!(r.stdout.contains("Apply complete!"), "{}", r.stdout);
    assert_no_changes(&b);
    assert_no_changes(&a);
    assert_quickstart_once(&server.cloud());
}
