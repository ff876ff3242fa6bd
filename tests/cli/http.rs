//! The real HTTP client against `netform sim serve`: the quickstart applied over signed RPC must
//! leave the same state and the same simulated cloud as the in-process simulator; a wrong secret
//! changes nothing; injected throttling and slow asynchronous states are ridden out without
//! duplicates; and the AccessKey secret never reaches a file or an output.
//!
//! Both runs start from a state file with the same fixed lineage. ClientTokens derive from the
//! lineage and the simulator derives ids from the world seed and the ClientToken, so the two runs
//! are compared for exact equality instead of through an id-normalising redaction (which would
//! also have to cope with maps keyed, and so ordered, by those ids).

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use serde_json::Value as J;

use crate::harness::{Env, Run};

pub const KEY_ID: &str = "netform-sim";
pub const SECRET: &str = "netform-sim-secret";
const LINEAGE: &str = "0f0f0f0f-1111-4222-8333-444455556666";

/// A `netform sim serve` child in its own directory, stopped (SIGINT, then kill) on drop.
pub struct Server {
    pub env: Env,
    child: Option<Child>,
    pub endpoint: String,
}

impl Server {
    pub fn start(keys: &[(&str, &str)], vars: &[(&str, &str)]) -> Server {
        let env = Env::empty();
        let keys: Vec<String> = keys
            .iter()
            .flat_map(|(id, secret)| ["--access-key".to_string(), format!("{id}={secret}")])
            .collect();
        let args: Vec<&str> = keys.iter().map(String::as_str).collect();
        let (child, endpoint) = crate::harness::spawn_sim_serve(&env, &args, vars);
        Server {
            env,
            child: Some(child),
            endpoint,
        }
    }

    /// Stops the server the way a user does (Ctrl-C), so it saves the simulated cloud; returns
    /// its stderr.
    pub fn stop(&mut self) -> String {
        let Some(mut child) = self.child.take() else {
            return String::new();
        };
        let _ = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if !matches!(child.try_wait(), Ok(Some(_))) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("sim serve did not stop on SIGINT");
        }
        let out = child.wait_with_output().expect("server output");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// `netform sim show` in the server's directory, after stopping it.
    pub fn cloud(&mut self) -> J {
        self.stop();
        sim_show(&self.env)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn sim_show(env: &Env) -> J {
    let r = env.run(&["sim", "show"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).expect("sim show prints JSON")
}

fn show_json(env: &Env, vars: &[(&str, &str)]) -> J {
    let r = env.run_env(&["show", "--json"], vars);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).expect("show --json prints JSON")
}

/// An empty state with a fixed lineage, so both runs derive the same ClientTokens.
fn seed_state(env: &Env) {
    env.write(
        "netform.tfstate",
        &format!(
            r#"{{"version": 4, "serial": 0, "lineage": "{LINEAGE}", "outputs": {{}}, "resources": []}}"#
        ),
    );
}

/// The quickstart, run in process, as the reference: its state and its simulated cloud.
fn in_process_reference() -> (J, J) {
    let env = Env::copy_of("examples/quickstart");
    seed_state(&env);
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    (show_json(&env, &[]), sim_show(&env))
}

/// The quickstart with its provider pointed at `server` instead of the embedded simulator.
pub fn quickstart_over(server: &Server) -> Env {
    let env = Env::copy_of("examples/quickstart");
    let main = env.read("main.hcl").expect("main.hcl");
    assert!(main.contains("  simulator {}\n"));
    env.write(
        "main.hcl",
        &main.replace(
            "  simulator {}\n",
            &format!("  endpoint = \"{}\"\n", server.endpoint),
        ),
    );
    env
}

/// Credentials plus pacing suited to a loopback server (the cloud defaults poll every 2 s).
pub fn client_vars<'a>(id: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", id),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret),
        ("NETFORM_ALICLOUD_POLL_MS", "10"),
        ("NETFORM_ALICLOUD_BACKOFF_MS", "5"),
    ]
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

fn assert_no_changes(env: &Env, vars: &[(&str, &str)]) {
    let r = env.run_env(&["plan", "--detailed-exitcode"], vars);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("No changes. Your infrastructure matches the configuration."),
        "{}",
        r.stdout
    );
}

/// Calls the server answered (throttled ones included), from its saved simulated cloud.
fn requests_answered(server: &Server) -> u64 {
    let text = server
        .env
        .read(".netform/sim/cloud.json")
        .expect("the server saved its cloud");
    let j: J = serde_json::from_str(&text).expect("cloud.json");
    j["live"]["requests"].as_u64().expect("a request count")
}

/// The quickstart applied through a fresh server (with `faults` in its environment), then an
/// empty plan: the state, the server's simulated cloud, and how many calls it answered.
fn quickstart_over_http(faults: Option<&str>) -> (J, J, u64) {
    let vars: Vec<(&str, &str)> = faults
        .map(|f| ("NETFORM_SIM_FAULTS", f))
        .into_iter()
        .collect();
    let mut server = Server::start(&[(KEY_ID, SECRET)], &vars);
    let env = quickstart_over(&server);
    seed_state(&env);
    let vars = client_vars(KEY_ID, SECRET);
    let r = env.run_env(&["apply", "--auto-approve"], &vars);
    ok(&r);
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    assert_no_changes(&env, &vars);
    let state = show_json(&env, &vars);
    let cloud = server.cloud();
    (state, cloud, requests_answered(&server))
}

#[test]
fn quickstart_over_http_matches_the_in_process_run() {
    let (state, cloud) = in_process_reference();
    let (got_state, got_cloud, _) = quickstart_over_http(None);
    assert_eq!(got_state, state);
    assert_eq!(got_cloud, cloud);
    // The comparison is not vacuous: the reference holds the quickstart's ENI and EIPs.
    assert_eq!(
        cloud["network_interfaces"].as_object().map(|m| m.len()),
        Some(1)
    );
    assert_eq!(cloud["eip_addresses"].as_object().map(|m| m.len()), Some(2));
}

#[test]
fn a_wrong_secret_is_refused_and_changes_nothing() {
    let pristine = sim_show(&Env::empty());
    let mut server = Server::start(&[(KEY_ID, SECRET)], &[]);
    let env = quickstart_over(&server);

    let r = env.run_env(
        &["apply", "--auto-approve"],
        &client_vars(KEY_ID, "not-the-secret"),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("SignatureDoesNotMatch"), "{}", r.stderr);
    assert!(!env.exists("netform.tfstate"), "no state is written");

    // With a state already there, it is left byte for byte as it was.
    seed_state(&env);
    let before = std::fs::read(env.path().join("netform.tfstate")).expect("state");
    let r = env.run_env(
        &["apply", "--auto-approve"],
        &client_vars(KEY_ID, "not-the-secret"),
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("SignatureDoesNotMatch"), "{}", r.stderr);
    let after = std::fs::read(env.path().join("netform.tfstate")).expect("state");
    assert_eq!(before, after);

    // An AccessKey the server does not know is refused as such.
    let r = env.run_env(&["plan"], &client_vars("LTAI-unknown", SECRET));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("InvalidAccessKeyId.NotFound"),
        "{}",
        r.stderr
    );

    assert_eq!(server.cloud(), pristine, "the simulated cloud is untouched");
}

#[test]
fn throttled_apply_converges_without_duplicates() {
    let (state, cloud) = in_process_reference();
    let (_, _, calm) = quickstart_over_http(None);
    let (got_state, got_cloud, throttled) =
        quickstart_over_http(Some(r#"{"rates": {"*": {"throttling": 0.3}}}"#));
    // The same run took more calls: throttling happened and was retried through.
    assert!(
        throttled > calm,
        "{throttled} calls throttled vs {calm} calm"
    );
    // Exactly one ENI and two EIPs: a retried create reused its ClientToken.
    assert_eq!(
        got_cloud["network_interfaces"].as_object().map(|m| m.len()),
        Some(1)
    );
    assert_eq!(
        got_cloud["eip_addresses"].as_object().map(|m| m.len()),
        Some(2)
    );
    assert_eq!(got_cloud, cloud);
    assert_eq!(got_state, state);
}

#[test]
fn slow_asynchronous_states_are_waited_out() {
    let (state, cloud) = in_process_reference();
    let faults = r#"{"async_ms": {"Attaching": 200, "Detaching": 200, "Deleting": 200,
        "Associating": 200, "Unassociating": 200, "Releasing": 200}}"#;
    let mut server = Server::start(&[(KEY_ID, SECRET)], &[("NETFORM_SIM_FAULTS", faults)]);
    let env = quickstart_over(&server);
    seed_state(&env);
    let vars = client_vars(KEY_ID, SECRET);
    let start = Instant::now();
    ok(&env.run_env(&["apply", "--auto-approve"], &vars));
    // Attaching then Associating lie on one path: the apply really waited for them.
    assert!(start.elapsed() >= Duration::from_millis(400));
    assert_no_changes(&env, &vars);
    assert_eq!(show_json(&env, &vars), state);

    ok(&env.run_env(&["destroy", "--auto-approve"], &vars));
    let after: J =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("state JSON");
    assert_eq!(after["resources"], serde_json::json!([]));
    let got = server.cloud();
    assert_eq!(
        got,
        serde_json::json!({"eip_addresses": {}, "network_interfaces": {}})
    );
    assert_ne!(cloud, got, "the reference had resources to destroy");
}

/// Every file under `dir`, with its path, for a byte search.
fn files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push((
                p.display().to_string(),
                std::fs::read(&p).expect("read file"),
            ));
        }
    }
}

#[test]
fn the_secret_never_reaches_a_file_or_an_output() {
    const LEAKY: &str = "NFLEAK-q7Z3-secret-Xw9k";
    const WRONG: &str = "NFLEAK-wrong-secret-Pp2m";
    let mut server = Server::start(&[("LTAI-leaktest", LEAKY)], &[]);
    let env = quickstart_over(&server);
    let vars = client_vars("LTAI-leaktest", LEAKY);
    let mut outputs = Vec::new();
    let mut run = |args: &[&str], vars: &[(&str, &str)], want: i32| {
        let r = env.run_env(args, vars);
        assert_eq!(r.code, want, "{args:?}: {}{}", r.stdout, r.stderr);
        outputs.push((format!("{args:?}"), r.stdout, r.stderr));
    };
    run(&["plan", "--out", "quickstart.plan"], &vars, 0);
    run(&["show", "quickstart.plan"], &vars, 0);
    run(&["show", "--json", "quickstart.plan"], &vars, 0);
    run(&["apply", "quickstart.plan"], &vars, 0);
    run(&["plan", "--json"], &vars, 0);
    run(&["show", "--json"], &vars, 0);
    run(&["state", "list"], &vars, 0);
    // A second apply writes the backup; the failures below exercise the error paths.
    run(
        &["apply", "--auto-approve", "--var", "secondary_ip_count=3"],
        &vars,
        0,
    );
    run(&["plan"], &client_vars("LTAI-leaktest", WRONG), 1);
    run(&["plan"], &client_vars("LTAI-unknown", LEAKY), 1);
    run(&["destroy", "--auto-approve"], &vars, 0);
    let server_err = server.stop();

    assert!(env.exists("quickstart.plan") && env.exists("netform.tfstate"));
    assert!(env.exists("netform.tfstate.backup"), "a backup was written");
    let mut all = Vec::new();
    files(env.path(), &mut all);
    files(server.env.path(), &mut all);
    for (name, bytes) in &all {
        for s in [LEAKY, WRONG] {
            assert!(
                !String::from_utf8_lossy(bytes).contains(s),
                "{name} contains the secret"
            );
        }
    }
    outputs.push(("sim serve".into(), String::new(), server_err));
    for (what, out, err) in &outputs {
        for s in [LEAKY, WRONG] {
            assert!(
                !out.contains(s) && !err.contains(s),
                "{what} printed the secret"
            );
        }
    }
}
