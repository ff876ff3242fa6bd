//! Conformance with Alibaba's own SDKs: `netform sim serve` and netform's HTTP client are judged by
//! the official Python SDKs (Tea V3 and classic V1), whose request and answer models are read
//! from the installed packages at test time (tests/conformance/).
//!
//! - `sdk_families_drive_every_action`: both SDK families call every action netform uses against
//!   `sim serve`, with their typed request models, and check answers, paging, filters,
//!   idempotency, errors and signatures (tests/conformance/drive.py).
//! - `netform_requests_and_answers_fit_the_sdk_models`: netform applies, updates and destroys a
//!   configuration of every resource kind through `sim serve --record`; every request it sent must
//!   name an action and parameters the SDK request models list, and every answer field must be in
//!   the SDK response model (tests/conformance/recorded.py).
//!
//! The SDKs come from `NETFORM_SDK_PYTHON` (a Python that has them, as `.ci/run` sets it) or are
//! installed once into `target/sdk-venv` from tests/conformance/requirements.txt. The tests never
//! skip: without the SDKs they fail, naming the command that installs them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value as J;

use crate::harness::{Env, Run, repo};

const KEY_ID: &str = "conformance-key";
const SECRET: &str = "conformance-secret";

fn conformance_dir() -> PathBuf {
    repo().join("tests").join("conformance")
}

fn world_file() -> PathBuf {
    conformance_dir().join("world.json")
}

/// The virtualenv the test installs the SDKs into: `target/sdk-venv`.
fn venv_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(&tmp).join("sdk-venv")
}

fn fix_hint() -> String {
    let venv = venv_dir();
    format!(
        "to fix: `python3 -m venv {v} && {v}/bin/python -m pip install -r tests/conformance/requirements.txt` \
         (or set NETFORM_SDK_PYTHON to a Python that has the packages of tests/conformance/requirements.txt)",
        v = venv.display()
    )
}

fn run_logged(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let tail = |b: &[u8]| {
        let s = String::from_utf8_lossy(b);
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    };
    Err(format!(
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        tail(&out.stdout),
        tail(&out.stderr)
    ))
}

/// Checks that `python` imports both SDK families.
fn check_sdks(python: &Path) -> Result<(), String> {
    run_logged(Command::new(python).args([
        "-c",
        "import alibabacloud_ecs20140526.client, alibabacloud_vpc20160428.client, \
         alibabacloud_slb20140515.client, alibabacloud_tea_openapi, aliyunsdkcore.client, \
         aliyunsdkecs, aliyunsdkvpc, aliyunsdkslb",
    ]))
}

/// Creates `target/sdk-venv` from requirements.txt unless it is already there for the same
/// requirements; one process at a time (a file lock), so parallel test runs share it.
fn install_venv() -> Result<PathBuf, String> {
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    let requirements = conformance_dir().join("requirements.txt");
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|e| format!("cannot read {}: {e}", requirements.display()))?;
    let stamp = venv.join(".netform-requirements");
    std::fs::create_dir_all(venv.parent().unwrap_or(&venv))
        .map_err(|e| format!("cannot create {}: {e}", venv.display()))?;
    let lock_path = venv.with_extension("lock");
    let lock = std::fs::File::create(&lock_path)
        .map_err(|e| format!("cannot create {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path.display()))?;
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && python.exists() {
        return Ok(python);
    }
    eprintln!(
        "installing Alibaba's Python SDKs into {} (once)…",
        venv.display()
    );
    let _ = std::fs::remove_dir_all(&venv);
    run_logged(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run_logged(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(&requirements),
    )?;
    std::fs::write(&stamp, &wanted)
        .map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(python)
}

/// A Python that has the SDKs, or a panic that says how to get one.
fn sdk_python() -> PathBuf {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = PYTHON.get_or_init(|| {
        let python = match std::env::var_os("NETFORM_SDK_PYTHON") {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => install_venv()?,
        };
        check_sdks(&python)?;
        Ok(python)
    });
    match found {
        Ok(p) => p.clone(),
        Err(e) => panic!(
            "the SDK conformance test needs Alibaba's Python SDKs and could not get them:\n{e}\n{}",
            fix_hint()
        ),
    }
}

/// Runs one of the conformance scripts; returns (success, what it printed).
fn python_script(script: &str, args: &[String]) -> (bool, String) {
    let out = Command::new(sdk_python())
        .arg(conformance_dir().join(script))
        .args(args)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `netform sim serve` on a free loopback port, seeded from the conformance world; stopped
/// (SIGINT, then kill) when dropped.
struct Server {
    _env: Env,
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    endpoint: String,
}

impl Server {
    fn start(record: Option<&Path>) -> Server {
        let env = Env::empty();
        let world = world_file().display().to_string();
        let key = format!("{KEY_ID}={SECRET}");
        let mut args = vec!["--world", &world, "--access-key", &key];
        let record = record.map(|p| p.display().to_string());
        if let Some(r) = &record {
            args.extend(["--record", r.as_str()]);
        }
        let (child, endpoint) = crate::harness::spawn_sim_serve(&env, &args, &[]);
        Server {
            _env: env,
            child: Some(child),
            endpoint,
        }
    }

    fn host_port(&self) -> String {
        self.endpoint.trim_start_matches("http://").to_string()
    }

    /// Stops the server as a user does (Ctrl-C), so that its record is complete.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
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

#[test]
fn sdk_families_drive_every_action() {
    sdk_python();
    let server = Server::start(None);
    let (ok, report) = python_script(
        "drive.py",
        &[
            "--endpoint".into(),
            server.host_port(),
            "--key-id".into(),
            KEY_ID.into(),
            "--key-secret".into(),
            SECRET.into(),
            "--world".into(),
            world_file().display().to_string(),
        ],
    );
    assert!(
        ok,
        "Alibaba's SDKs disagree with sim serve (tests/conformance/drive.py):\n{report}"
    );
}

/// What the recorded apply, update and destroy must have sent, once netform speaks the API
/// as the SDKs model it.
const EXPECTED_ACTIONS: &[&str] = &[
    "ecs:CreateNetworkInterface",
    "ecs:AttachNetworkInterface",
    "ecs:DetachNetworkInterface",
    "ecs:DeleteNetworkInterface",
    "ecs:AssignPrivateIpAddresses",
    "ecs:UnassignPrivateIpAddresses",
    "ecs:AssignIpv6Addresses",
    "ecs:UnassignIpv6Addresses",
    "ecs:ModifyNetworkInterfaceAttribute",
    "ecs:TagResources",
    "ecs:UntagResources",
    "ecs:DescribeNetworkInterfaces",
    "ecs:DescribeInstances",
    "ecs:DescribeSecurityGroups",
    "ecs:DescribeInstanceTypes",
    "vpc:AllocateEipAddress",
    "vpc:AssociateEipAddress",
    "vpc:UnassociateEipAddress",
    "vpc:ReleaseEipAddress",
    "vpc:ModifyEipAddressAttribute",
    "vpc:ModifyEipForwardMode",
    "vpc:DeletionProtection",
    "vpc:TagResources",
    "vpc:UnTagResources",
    "vpc:DescribeEipAddresses",
    "vpc:DescribeVSwitches",
    "vpc:DescribeNatGateways",
    "vpc:DescribeForwardTableEntries",
    "vpc:DescribeHaVips",
    "slb:DescribeLoadBalancers",
];

/// The address parameters of CreateNetworkInterface the configuration's new ENIs send, so that
/// the models check them too.
const CREATE_CARRIES: &[&str] = &[
    "PrivateIpAddress.1",
    "SecondaryPrivateIpAddressCount",
    "Ipv6Address.1",
];

/// Whether a recorded CreateNetworkInterface request carries parameter `p`.
fn create_sent(record: &Path, p: &str) -> bool {
    std::fs::read_to_string(record)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<J>(l).ok())
        .any(|j| j["action"] == "CreateNetworkInterface" && j["params"].get(p).is_some())
}

/// How many entries the configuration's data sources must see in the conformance world: more
/// than one page of 10 each, so a client that does not page loses some.
fn expected_counts() -> J {
    let world: J = serde_json::from_str(
        &std::fs::read_to_string(world_file()).expect("read the conformance world"),
    )
    .expect("world JSON");
    let list = |k: &str| world[k].as_array().cloned().unwrap_or_default();
    let main_vpc = "vpc-bp1conf00000000000";
    let in_region = |x: &J| x["region"] == "cn-hangzhou";
    let in_vpc = |x: &J| x["vpc_id"] == main_vpc;
    let havips_in_vpc = list("havips")
        .iter()
        .filter(|h| {
            list("vswitches")
                .iter()
                .any(|s| s["id"] == h["vswitch_id"] && in_vpc(s))
        })
        .count();
    serde_json::json!({
        "instances": list("instances").iter().filter(|x| in_region(x)).count(),
        "vswitches": list("vswitches").iter().filter(|x| in_vpc(x)).count(),
        "groups": list("security_groups").iter().filter(|x| in_vpc(x)).count(),
        "gateways": list("nat_gateways").iter().filter(|x| in_vpc(x)).count(),
        "havips": havips_in_vpc,
    })
}

#[test]
fn netform_requests_and_answers_fit_the_sdk_models() {
    // Fail early, before the apply, when the SDKs cannot be had.
    sdk_python();
    let record_dir = tempfile::tempdir().expect("tempdir");
    let record = record_dir.path().join("record.jsonl");
    let mut server = Server::start(Some(&record));
    let env = Env::copy_of("tests/conformance/netform");
    let vars = [
        ("NETFORM_ALICLOUD_ENDPOINT", server.endpoint.as_str()),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", KEY_ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("NETFORM_ALICLOUD_POLL_MS", "10"),
        ("NETFORM_ALICLOUD_BACKOFF_MS", "5"),
    ];
    let mut problems = Vec::new();
    let mut step = |what: &str, args: &[&str], want: i32| -> Run {
        let r = env.run_env(args, &vars);
        if r.code != want {
            problems.push(format!(
                "`netform {}` ({what}) exited {}, expected {want}:\n{}{}",
                args.join(" "),
                r.code,
                r.stdout,
                r.stderr
            ));
        }
        r
    };
    step("create", &["apply", "--auto-approve"], 0);
    let counts = step("outputs", &["output", "--json", "counts"], 0);
    step(
        "nothing left to do after the create",
        &["plan", "--detailed-exitcode"],
        0,
    );
    step(
        "update",
        &["apply", "--auto-approve", "--var", "update=true"],
        0,
    );
    step(
        "nothing left to do after the update",
        &["plan", "--detailed-exitcode", "--var", "update=true"],
        0,
    );
    step(
        "destroy",
        &["destroy", "--auto-approve", "--var", "update=true"],
        0,
    );
    let got: J = serde_json::from_str(&counts.stdout).unwrap_or(J::Null);
    let want = expected_counts();
    for (k, v) in want.as_object().into_iter().flatten() {
        if got.get(k) != Some(v) {
            problems.push(format!(
                "the data sources saw {k} = {}, the world has {v} (all pages)",
                got.get(k).unwrap_or(&J::Null)
            ));
        }
    }
    server.stop();
    for p in CREATE_CARRIES {
        if !create_sent(&record, p) {
            problems.push(format!(
                "no CreateNetworkInterface carried {p}: the new ENIs' addresses belong in their create"
            ));
        }
    }
    let mut args = vec![record.display().to_string()];
    for a in EXPECTED_ACTIONS {
        args.push("--expect".into());
        args.push((*a).to_string());
    }
    let (ok, report) = python_script("recorded.py", &args);
    if !ok {
        problems.push(format!(
            "netform's requests or sim serve's answers are not in Alibaba's SDK models (tests/conformance/recorded.py):\n{report}"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
