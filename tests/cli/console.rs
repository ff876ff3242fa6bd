//! `netform console`: a piped session over a configuration with variables, locals, a module
//! and an applied resource, printed as `terraform console` prints values.

use crate::harness::{Env, Run, redact};

fn console(env: &Env, input: &str, args: &[&str]) -> Run {
    use std::io::Write;
    let mut all = vec!["console"];
    all.extend_from_slice(args);
    let mut c = env.cmd(&all);
    c.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("run netform console");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    let o = child.wait_with_output().expect("wait for netform console");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

const SESSION: &str = r#"var.name
upper("a")
var.ports
var.labels
local.nested
local.banner
var.token
local.auth
issensitive(var.token)
module.naming
module.naming.parts
module.naming.signed
toset(["b", "a", "b"])
tomap({})
[]
{ a = [
  1,
  2 ]
}
path.module
alicloud_eip_address.web.address_name
alicloud_eip_address.web.tags
alicloud_eip_address.web.bandwidth
alicloud_eip_address.web.description
alicloud_eip_address.web
"#;

#[test]
fn a_piped_session_prints_every_value_as_terraform_console_does() {
    let env = Env::copy_of("fixtures/console");
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let state_before = env.read("netform.tfstate").unwrap_or_default();
    let r = console(&env, SESSION, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stderr, "");
    assert!(!r.stdout.contains("s3cr3t"), "{}", r.stdout);
    insta::assert_snapshot!("console_session", redact(&r.stdout));
    // The console writes nothing, and its lock is gone with it.
    assert_eq!(
        env.read("netform.tfstate").unwrap_or_default(),
        state_before
    );
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn an_error_is_shown_the_session_goes_on_and_the_exit_code_is_one() {
    let env = Env::copy_of("fixtures/console");
    let r = console(
        &env,
        "local.nope\nvar.name\nupper(1, 2)\n",
        &["--var", "name=from-the-command-line"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // Before any apply, the resource is not known yet.
    assert_eq!(r.stdout, "\"from-the-command-line\"\n");
    insta::assert_snapshot!("console_errors", r.stderr);
}

#[test]
fn resources_not_applied_yet_are_known_after_apply_and_exit_ends_the_session() {
    let env = Env::copy_of("fixtures/console");
    let r = console(
        &env,
        "alicloud_eip_address.web.ip_address\nexit\nvar.name\n",
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout, "(known after apply)\n");
}
