//! NETFORM_LOG / TF_LOG: every API call with action, region, duration, attempt, HTTP status,
//! RequestId and error code, planner decisions at debug, on stderr or in NETFORM_LOG_PATH; and
//! never a secret (AccessKey secret, STS token, signature, sensitive values).

use crate::harness::{Env, spawn_sim_serve};

#[test]
fn logs_show_each_api_call_and_the_planners_decisions() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run_env(&["apply", "--auto-approve"], &[("NETFORM_LOG", "debug")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let call = regex_lite::Regex::new(
        r"\[INFO\] netform::api: ecs:CreateNetworkInterface region=cn-hangzhou attempt=1 duration_ms=\d+ status=200 request_id=\S+",
    )
    .expect("regex");
    assert!(call.is_match(&r.stderr), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("[DEBUG] netform::plan: alicloud_ecs_network_interface.app: Create"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stdout.contains("netform::api"),
        "logs never reach stdout"
    );
    // TF_LOG is an alias; NETFORM_LOG_PATH takes the records off stderr.
    let r = env.run_env(
        &["plan"],
        &[("TF_LOG", "INFO"), ("NETFORM_LOG_PATH", "netform.log")],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("netform::api"), "{}", r.stderr);
    let log = env.read("netform.log").unwrap_or_default();
    assert!(log.contains("ecs:DescribeNetworkInterfaces"), "{log}");
    assert!(!log.contains("[DEBUG]"), "info leaves out debug:\n{log}");
    // Failed attempts say so, with the HTTP status and the error code.
    let r = env.run_env(
        &["destroy", "--auto-approve"],
        &[
            ("NETFORM_LOG", "info"),
            ("NETFORM_ALICLOUD_BACKOFF_MS", "1"),
            (
                "NETFORM_SIM_FAULTS",
                r#"{"rates": {"DetachNetworkInterface": {"internal_error": 1.0}}}"#,
            ),
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let failed = regex_lite::Regex::new(
        r"ecs:DetachNetworkInterface region=cn-hangzhou attempt=2 duration_ms=\d+ status=5\d\d( request_id=\S+)? error_code=\S+",
    )
    .expect("regex");
    assert!(failed.is_match(&r.stderr), "{}", r.stderr);
    // Without a level, no records; an unknown level is reported.
    let r = env.run_env(&["plan"], &[("NETFORM_LOG", "loud")]);
    assert!(
        r.stderr.contains("ignoring NETFORM_LOG=\"loud\""),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("netform::api"), "{}", r.stderr);
}

/// Over signed HTTP with temporary (STS) credentials and a sensitive variable, trace logs
/// hold none of the secrets.
#[test]
fn logs_never_hold_a_secret() {
    const ID: &str = "STS.logtestkeyid";
    const SECRET: &str = "log-test-secret-value-7781";
    const TOKEN: &str = "log-test-security-token-5523";
    const SENSITIVE: &str = "sensitive-description-9931";
    let server = Env::empty();
    let key = format!("{ID}={SECRET}:{TOKEN}");
    let (mut child, endpoint) = spawn_sim_serve(&server, &["--access-key", &key], &[]);
    let env = Env::empty();
    env.write(
        "main.hcl",
        &format!(
            r#"
provider "alicloud" {{
  region   = "cn-hangzhou"
  endpoint = "{endpoint}"
}}

variable "note" {{
  type      = string
  sensitive = true
  default   = "{SENSITIVE}"
}}

resource "alicloud_eip_address" "x" {{
  bandwidth   = 5
  description = var.note
}}
"#
        ),
    );
    let vars = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", ID),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", TOKEN),
        ("NETFORM_ALICLOUD_POLL_MS", "10"),
        ("NETFORM_LOG", "trace"),
        ("NETFORM_LOG_PATH", "trace.log"),
    ];
    let r = env.run_env(&["apply", "--auto-approve"], &vars);
    let r2 = env.run_env(&["destroy", "--auto-approve"], &vars[..4]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r2.code, 0, "{}{}", r2.stdout, r2.stderr);
    let log = env.read("trace.log").unwrap_or_default();
    assert!(log.contains("vpc:AllocateEipAddress"), "{log}");
    for (what, secret) in [
        ("the AccessKey secret", SECRET),
        ("the STS token", TOKEN),
        ("a sensitive value", SENSITIVE),
        ("a signature", "Signature"),
        ("an authorization header", "Authorization"),
    ] {
        for (name, text) in [("log", &log), ("stderr", &r.stderr), ("stdout", &r.stdout)] {
            assert!(!text.contains(secret), "{what} in the {name}:\n{text}");
        }
    }
}
