//! Backends without a database: the backend block is read (an unknown type is an error at its
//! line naming what is supported), the local backend's `path`, its workspaces in
//! `netform.tfstate.d/NAME/`, `terraform.workspace`, and `force-unlock` on a local lock.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::Env;

fn refused(env: &Env, args: &[&str], needles: &[&str]) -> String {
    let r = env.run(args);
    assert_eq!(r.code, 1, "{args:?}: {}{}", r.stdout, r.stderr);
    for n in needles {
        assert!(
            r.stderr.contains(n),
            "{args:?}: {n:?} missing: {}",
            r.stderr
        );
    }
    r.stderr
}

#[test]
fn backend_blocks_are_read_and_anything_else_is_an_error_at_its_line() {
    let env = Env::copy_of("examples/quickstart");
    env.write(
        "backend.hcl",
        "terraform {\n  backend \"s3\" {\n    bucket = \"b\"\n  }\n}\n",
    );
    refused(
        &env,
        &["plan"],
        &[
            "unknown backend type \"s3\"",
            "backend.hcl:2",
            "\"local\" and \"pg\"",
        ],
    );
    refused(&env, &["validate"], &["unknown backend type \"s3\""]);
    env.write(
        "backend.hcl",
        "terraform {\n  cloud {\n    organization = \"o\"\n  }\n}\n",
    );
    refused(&env, &["plan"], &["HCP Terraform", "backend.hcl:2"]);
    env.write(
        "backend.hcl",
        "terraform {\n  backend \"local\" {\n    paht = \"x\"\n  }\n}\n",
    );
    refused(
        &env,
        &["plan"],
        &[
            "no setting \"paht\"",
            "backend.hcl:3",
            "path, workspace_dir",
        ],
    );
    std::fs::remove_file(env.path().join("backend.hcl")).expect("rm");
    refused(
        &env,
        &["plan", "-backend-config=path=x.tfstate"],
        &["declares no backend"],
    );
    assert!(!env.exists(".netform"), "nothing ran");

    // The local backend's path is used, and a pg backend refuses --state.
    env.write(
        "backend.hcl",
        "terraform {\n  required_version = \">= 1.5\"\n  backend \"local\" {\n    path = \"states/main.tfstate\"\n  }\n}\n",
    );
    let r = env.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("other than backend are ignored"),
        "{}",
        r.stderr
    );
    assert!(env.exists("states/main.tfstate") && !env.exists("netform.tfstate"));
    assert_eq!(env.run(&["state", "list"]).stdout.lines().count(), 6);
    let r = env.run(&["state", "list", "-backend-config=path=states/other.tfstate"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, ""),
        "-backend-config wins: {}",
        r.stderr
    );
    // A -backend-config file (Terraform's *.tfbackend) of key = "value" lines.
    env.write("other.tfbackend", "path = \"states/other.tfstate\"\n");
    let r = env.run(&["state", "list", "--backend-config", "other.tfbackend"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{}", r.stderr);
    env.write("bad.tfbackend", "paht = \"x\"\n");
    refused(
        &env,
        &["state", "list", "-backend-config=bad.tfbackend"],
        &["no setting \"paht\" (from -backend-config)"],
    );
    env.write("backend.hcl", "terraform {\n  backend \"pg\" {}\n}\n");
    refused(
        &env,
        &["plan", "--state", "x.tfstate"],
        &["--state names a local state file"],
    );
}

#[test]
fn local_workspaces_keep_one_state_each_beside_the_default() {
    let env = Env::copy_of("examples/quickstart");
    env.write(
        "ws.hcl",
        "output \"ws\" {\n  value = terraform.workspace\n}\n",
    );
    let ok = |args: &[&str], vars: &[(&str, &str)]| {
        let r = env.run_env(args, vars);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
        r.stdout
    };
    ok(&["apply", "-auto-approve"], &[]);
    assert_eq!(ok(&["output", "-raw", "ws"], &[]), "default");
    ok(&["destroy", "-auto-approve"], &[]);
    assert!(ok(&["workspace", "new", "dev"], &[]).contains("Created and switched"));
    assert!(env.path().join("netform.tfstate.d/dev").is_dir());
    assert_eq!(env.read(".netform/environment").as_deref(), Some("dev\n"));
    ok(&["apply", "-auto-approve"], &[]);
    assert!(env.exists("netform.tfstate.d/dev/netform.tfstate"));
    assert_eq!(ok(&["output", "-raw", "ws"], &[]), "dev");
    assert_eq!(
        ok(&["state", "list"], &[("NETFORM_WORKSPACE", "default")]),
        ""
    );
    assert_eq!(ok(&["workspace", "list"], &[]), "  default\n* dev\n");
    let h = ok(&["state", "history"], &[]);
    assert!(h.contains("SERIAL") && h.lines().count() == 2, "{h}");
    refused(
        &env,
        &["workspace", "delete", "dev"],
        &["cannot delete the selected workspace"],
    );
    refused(&env, &["workspace", "new", "dev"], &["already exists"]);
    refused(
        &env,
        &["workspace", "new", "../x"],
        &["invalid workspace name"],
    );
    let r = env.run_env(&["plan"], &[("TF_WORKSPACE", "nope")]);
    assert!(
        r.stderr.contains("workspace \"nope\" does not exist"),
        "{}",
        r.stderr
    );
    ok(&["workspace", "select", "default"], &[]);
    refused(&env, &["workspace", "delete", "dev"], &["still manages 6"]);
    ok(&["workspace", "delete", "dev", "-force"], &[]);
    assert!(!env.path().join("netform.tfstate.d/dev").exists());
}

#[test]
fn force_unlock_refuses_a_live_local_holder_and_clears_a_killed_ones_record() {
    let env = Env::copy_of("examples/nat-gateway");
    let mut child = env
        .cmd(&["apply", "-auto-approve", "-parallelism=1"])
        .env("NETFORM_SIM_FAULTS", r#"{"latency_ms": 60}"#)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn apply");
    let deadline = Instant::now() + Duration::from_secs(20);
    let holder: serde_json::Value = loop {
        let text = env.read("netform.tfstate.lock").unwrap_or_default();
        if let Ok(j) = serde_json::from_str(&text) {
            break j;
        }
        assert!(Instant::now() < deadline, "the apply never took the lock");
        std::thread::sleep(Duration::from_millis(5));
    };
    let id = holder["ID"].as_str().expect("a lock ID").to_string();
    refused(
        &env,
        &["force-unlock", &id],
        &["held by a running process", "never stale"],
    );
    refused(
        &env,
        &["force-unlock", "not-the-id"],
        &["no lock with ID not-the-id"],
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        env.read("netform.tfstate.lock")
            .is_some_and(|t| t.contains(&id))
    );
    let r = env.run(&["force-unlock", &id]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("successfully unlocked"), "{}", r.stdout);
    assert_eq!(env.read("netform.tfstate.lock").as_deref(), Some(""));
    let r = env.run(&["apply", "-auto-approve"]);
    assert_eq!(
        r.code, 0,
        "the killed run's journal is folded in: {}{}",
        r.stdout, r.stderr
    );
}
