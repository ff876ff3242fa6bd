//! Where the HTTP client sends its calls and how it signs them, seen from the other end: small
//! recording servers stand in for the product endpoints and note every request (action, how it
//! was signed), answering each with an empty but well-formed list. The provider block's
//! `signature_version`, `endpoint`, `endpoints { ecs/vpc/slb }` and `NETFORM_ALICLOUD_ENDPOINT`
//! decide which server sees which action.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::harness::{Env, Run};

/// One request as a recording server saw it.
#[derive(Clone, Debug)]
struct Seen {
    action: String,
    query: BTreeMap<String, String>,
    authorization: String,
}

/// A loopback server that answers every request with `{"RequestId": …}` (an empty list for any
/// Describe call) and records it; stopped on drop.
struct Recorder {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

impl Recorder {
    fn start() -> Recorder {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind loopback");
        let url = format!(
            "http://{}",
            server.server_addr().to_ip().expect("an IP listener")
        );
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (seen2, stop2) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let Ok(Some(req)) = server.recv_timeout(Duration::from_millis(20)) else {
                    continue;
                };
                let header = |n: &'static str| {
                    req.headers()
                        .iter()
                        .find(|h| h.field.equiv(n))
                        .map(|h| h.value.to_string())
                        .unwrap_or_default()
                };
                let query = parse_query(req.url().split_once('?').map_or("", |(_, q)| q));
                let action = match header("x-acs-action") {
                    a if !a.is_empty() => a,
                    _ => query.get("Action").cloned().unwrap_or_default(),
                };
                let authorization = header("authorization");
                if let Ok(mut s) = seen2.lock() {
                    s.push(Seen {
                        action,
                        query,
                        authorization,
                    });
                }
                let _ = req.respond(tiny_http::Response::from_string(
                    r#"{"RequestId":"recorded"}"#,
                ));
            }
        });
        Recorder {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("recorder lock").clone()
    }

    fn actions(&self) -> Vec<String> {
        let mut a: Vec<String> = self.seen().into_iter().map(|s| s.action).collect();
        a.sort();
        a.dedup();
        a
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

const CREDS: &[(&str, &str)] = &[
    ("ALIBABA_CLOUD_ACCESS_KEY_ID", "recorder-key"),
    ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "recorder-secret"),
    ("NETFORM_ALICLOUD_POLL_MS", "10"),
    ("NETFORM_ALICLOUD_BACKOFF_MS", "5"),
];

/// A configuration whose only cloud reads are data sources of all three products.
fn reading_config(provider_body: &str) -> Env {
    let env = Env::empty();
    env.write(
        "main.hcl",
        &format!(
            r#"provider "alicloud" {{
  region = "cn-hangzhou"
{provider_body}}}

data "alicloud_instances" "all" {{}}
data "alicloud_vswitches" "all" {{}}
data "alicloud_slb_load_balancers" "all" {{}}

output "counts" {{
  value = [
    length(data.alicloud_instances.all.instances),
    length(data.alicloud_vswitches.all.vswitches),
    length(data.alicloud_slb_load_balancers.all.balancers),
  ]
}}
"#
        ),
    );
    env
}

fn ok(r: &Run) {
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn signature_version_v1_signs_with_hmac_sha1_and_v3_is_the_default() {
    let server = Recorder::start();
    let env = reading_config(&format!(
        "  endpoint = \"{}\"\n  signature_version = \"v1\"\n",
        server.url
    ));
    ok(&env.run(&["validate"]));
    ok(&env.run_env(&["plan"], CREDS));
    // Every product's calls are signed the chosen way.
    assert_eq!(
        server.actions(),
        [
            "DescribeInstanceTypes",
            "DescribeInstances",
            "DescribeLoadBalancers",
            "DescribeVSwitches"
        ]
    );
    let seen = server.seen();
    for s in &seen {
        assert_eq!(
            s.query.get("SignatureMethod").map(String::as_str),
            Some("HMAC-SHA1"),
            "{s:?}"
        );
        assert!(s.query.contains_key("Signature"), "{s:?}");
        assert!(s.authorization.is_empty(), "{s:?}");
    }

    let server = Recorder::start();
    let env = reading_config(&format!("  endpoint = \"{}\"\n", server.url));
    ok(&env.run_env(&["plan"], CREDS));
    let seen = server.seen();
    assert!(!seen.is_empty());
    for s in &seen {
        assert!(s.authorization.starts_with("ACS3-HMAC-SHA256 "), "{s:?}");
        assert!(!s.query.contains_key("SignatureMethod"), "{s:?}");
    }
}

#[test]
fn an_unknown_signature_version_is_refused_naming_the_line_and_the_values() {
    let env = reading_config("  signature_version = \"v2\"\n");
    let r = env.run(&["validate"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("signature_version must be \"v1\" or \"v3\", not \"v2\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.hcl:3:"), "{}", r.stderr);

    // Through a variable, it is caught when the provider is assembled, before any call.
    let env = reading_config("  signature_version = var.sig\n");
    let mut main = env.read("main.hcl").expect("main.hcl");
    main.push_str("variable \"sig\" {\n  type = string\n}\n");
    env.write("main.hcl", &main);
    let r = env.run_env(&["plan", "--var", "sig=HMAC"], CREDS);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("signature_version must be \"v1\" or \"v3\", not \"HMAC\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.hcl:3:"), "{}", r.stderr);
}

/// ECS actions of a reading plan (the instance-type probe and the instances data source).
const ECS: &[&str] = &["DescribeInstanceTypes", "DescribeInstances"];

#[test]
fn a_product_endpoint_beats_endpoint_which_beats_the_environment() {
    let (all, vpc, env_server) = (Recorder::start(), Recorder::start(), Recorder::start());
    let env = reading_config(&format!(
        "  endpoint = \"{}\"\n  endpoints {{\n    vpc = \"{}\"\n  }}\n",
        all.url, vpc.url
    ));
    let mut vars = CREDS.to_vec();
    vars.push(("NETFORM_ALICLOUD_ENDPOINT", env_server.url.as_str()));
    ok(&env.run_env(&["plan"], &vars));
    assert_eq!(all.actions(), [ECS[0], ECS[1], "DescribeLoadBalancers"]);
    assert_eq!(vpc.actions(), ["DescribeVSwitches"]);
    assert!(env_server.actions().is_empty(), "endpoint beats the env");

    // Without `endpoint`, the environment's endpoint takes the products the block leaves out.
    let (slb, env_server) = (Recorder::start(), Recorder::start());
    let env = reading_config(&format!(
        "  endpoints {{\n    slb = \"{}\"\n  }}\n",
        slb.url
    ));
    let mut vars = CREDS.to_vec();
    vars.push(("NETFORM_ALICLOUD_ENDPOINT", env_server.url.as_str()));
    ok(&env.run_env(&["plan"], &vars));
    assert_eq!(slb.actions(), ["DescribeLoadBalancers"]);
    assert_eq!(env_server.actions(), [ECS[0], ECS[1], "DescribeVSwitches"]);
}

#[test]
fn endpoints_names_only_ecs_vpc_and_slb() {
    let env = reading_config(
        "  endpoints {\n    ecs = \"http://127.0.0.1:9\"\n    oss = \"http://127.0.0.1:9\"\n    vpcs = \"http://127.0.0.1:9\"\n  }\n",
    );
    let r = env.run(&["validate"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("unknown product \"oss\" in endpoints"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("main.hcl:5:"), "{}", r.stderr);
    assert!(r.stderr.contains("ecs, vpc and slb"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean \"vpc\"?"), "{}", r.stderr);

    // A value that is not an endpoint is refused at its line, before any call.
    let env = reading_config("  endpoints {\n    ecs = \"ftp://example.com\"\n  }\n");
    let r = env.run_env(&["plan"], CREDS);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("ftp://example.com"), "{}", r.stderr);
    assert!(r.stderr.contains("main.hcl:4:"), "{}", r.stderr);
}

/// An endpoint that refuses connections is reported within seconds, with what to check — not
/// after a minute of backoff meant for a busy cloud.
#[test]
fn a_refused_endpoint_fails_within_seconds_with_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let env = Env::copy_of("examples/quickstart");
    let main = env.read("main.hcl").expect("main.hcl");
    env.write(
        "main.hcl",
        &main.replace(
            "  simulator {}\n",
            &format!("  endpoint = \"http://127.0.0.1:{port}\"\n"),
        ),
    );
    let start = std::time::Instant::now();
    let r = env.run_env(
        &["apply", "--auto-approve"],
        &[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"),
        ],
    );
    let took = start.elapsed();
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(
        r.stderr.contains("cannot reach") && r.stderr.contains(&format!("127.0.0.1:{port}")),
        "{}",
        r.stderr
    );
    assert!(!env.exists("netform.tfstate"));
}
