//! netform's files end to end: a saved plan that cannot be read whole, or that a failed apply
//! has already partly applied, changes nothing; sensitive values never reach a plan file, `show`,
//! `state show` or an error message.

use crate::harness::Env;

const SECRET: &str = "hunter2-secret";

/// What the cloud and the state hold: compared before and after a refused run.
fn snapshot(env: &Env) -> (String, Option<String>) {
    let sim = env.run(&["sim", "show"]);
    assert_eq!(sim.code, 0, "{}", sim.stderr);
    (sim.stdout, env.read("netform.tfstate"))
}

fn garble_address(env: &Env, file: &str, address: &str) {
    let text = env.read(file).expect("plan file");
    let mut j: serde_json::Value = serde_json::from_str(&text).expect("plan file is JSON");
    let changes = j["changes"].as_array_mut().expect("changes");
    let c = changes
        .iter_mut()
        .find(|c| c["address"] == address)
        .expect("the change to garble");
    c["address"] = "alicloud_eip_association.ed ge!".into();
    env.write(file, &serde_json::to_string_pretty(&j).expect("json"));
}

/// A saved plan with one change's address garbled once applied the rest and said
/// "Apply complete! Resources: 3 added" with exit 0; it is refused whole.
#[test]
fn a_damaged_plan_file_applies_nothing() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["plan", "--out", "p.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    garble_address(&env, "p.tfplan", "alicloud_eip_association.edge");
    let before = snapshot(&env);
    let r = env.run(&["apply", "p.tfplan"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("the plan file p.tfplan is damaged")
            && r.stderr.contains("make a new plan"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("Apply complete"), "{}", r.stdout);
    assert_eq!(snapshot(&env), before, "nothing changed");
    assert!(before.1.is_none(), "no state was written");
    // `show` refuses it the same way.
    let r = env.run(&["show", "p.tfplan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("damaged"), "{}", r.stderr);
}

/// Files that are not plans, truncated plans and plans of another format version.
#[test]
fn unreadable_plan_files_are_refused_before_any_change() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["plan", "--out", "p.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let good = env.read("p.tfplan").expect("plan");
    let old = good.replacen("\"format_version\": 2", "\"format_version\": 1", 1);
    let cases = [
        ("truncated", good[..good.len() / 2].to_string(), "not JSON"),
        ("version", old, "format version is 1"),
        (
            "action",
            good.replacen("\"action\": \"create\"", "\"action\": \"explode\"", 1),
            "explode",
        ),
        (
            "state",
            "{\"version\": 4}".to_string(),
            "not a netform plan",
        ),
    ];
    let before = snapshot(&env);
    for (name, text, says) in cases {
        env.write("bad.tfplan", &text);
        let r = env.run(&["apply", "bad.tfplan"]);
        assert_eq!(r.code, 1, "{name}: {}", r.stderr);
        assert!(
            r.stderr.contains("the plan file bad.tfplan is damaged") && r.stderr.contains(says),
            "{name}: {}",
            r.stderr
        );
        assert_eq!(snapshot(&env), before, "{name}: nothing changed");
    }
}

/// An apply of a saved plan that failed half-way has changed the state: applying the same plan
/// again is refused as stale (Terraform: "Saved plan is stale") and changes nothing.
#[test]
fn a_partly_applied_saved_plan_is_stale() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["plan", "--out", "p.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let fail_binds = (
        "NETFORM_SIM_FAULTS",
        r#"{"rates": {"AssociateEipAddress": {"internal_error": 1.0}}}"#,
    );
    let r = env.run_env(&["apply", "p.tfplan"], &[fail_binds]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        env.read("netform.tfstate")
            .is_some_and(|s| s.contains("alicloud_eip_address")),
        "the first apply did some work"
    );
    let before = snapshot(&env);
    let r = env.run(&["apply", "p.tfplan"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    assert_eq!(snapshot(&env), before, "nothing changed");
    // Once settled by a plain apply, the old plan stays stale: the state moved on.
    let r = env.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = snapshot(&env);
    let r = env.run(&["apply", "p.tfplan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    assert_eq!(snapshot(&env), before, "nothing changed");
}

const SENSITIVE: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

variable "token" {
  type      = string
  sensitive = true
}

resource "alicloud_eip_address" "s" {
  description = "svc-${var.token}"
}

resource "alicloud_eip_address" "t" {
  description = "plain"
}
"#;

fn with_secret(env: &Env, args: &[&str]) -> crate::harness::Run {
    env.run_env(args, &[("NETFORM_VAR_token", SECRET)])
}

fn assert_hidden(what: &str, r: &crate::harness::Run) {
    assert!(
        !r.stdout.contains("hunter2") && !r.stderr.contains("hunter2"),
        "{what} shows the secret:\n{}\n{}",
        r.stdout,
        r.stderr
    );
}

/// A change, a no-change plan and a destroy plan: the file, `show FILE` and `show -json FILE`
/// never hold the secret, and applying the file still works.
#[test]
fn sensitive_values_never_reach_plan_files() {
    let env = Env::empty();
    env.write("main.hcl", SENSITIVE);
    let check = |file: &str| {
        let bytes = std::fs::read(env.path().join(file)).expect("plan file");
        assert!(
            !String::from_utf8_lossy(&bytes).contains("hunter2"),
            "{file} holds the secret"
        );
        assert_hidden("show", &with_secret(&env, &["show", file]));
        assert_hidden("show -json", &with_secret(&env, &["show", "-json", file]));
    };
    let r = with_secret(&env, &["plan", "--out", "change.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    check("change.tfplan");
    let r = with_secret(&env, &["apply", "change.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_hidden("apply", &r);
    assert!(
        env.read("netform.tfstate")
            .is_some_and(|s| s.contains("svc-hunter2-secret")),
        "apply evaluated the sensitive attribute again"
    );
    let r = with_secret(&env, &["plan", "--out", "same.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    check("same.tfplan");
    assert_hidden(
        "plan -json",
        &with_secret(&env, &["plan", "--format", "json"]),
    );
    let r = with_secret(&env, &["plan", "-destroy", "--out", "gone.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    check("gone.tfplan");
    assert_hidden(
        "state show",
        &with_secret(&env, &["state", "show", "alicloud_eip_address.s"]),
    );
    let r = with_secret(&env, &["apply", "gone.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("2 destroyed"), "{}", r.stdout);
}

/// `plan` on a configuration that uses the sensitive `token` in `body`: it fails, says why at the
/// line, and shows neither the secret nor anything derived from it (upper-cased here).
fn refused_without_the_secret(body: &str, says: &str) {
    let env = Env::empty();
    env.write(
        "main.hcl",
        &format!(
            "provider \"alicloud\" {{\n  region = \"cn-hangzhou\"\n  simulator {{}}\n}}\n\nvariable \"token\" {{\n  type      = string\n  sensitive = true\n}}\n{body}"
        ),
    );
    let r = with_secret(&env, &["plan"]);
    assert_eq!(r.code, 1, "{body}\n{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(says), "{body}\n{}", r.stderr);
    assert!(r.stderr.contains("main.hcl:"), "{}", r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr).to_lowercase();
    assert!(
        !all.contains("hunter2"),
        "the secret is shown:\n{}\n{}",
        r.stdout,
        r.stderr
    );
}

#[test]
fn a_failed_validation_of_a_sensitive_variable_hides_its_message() {
    refused_without_the_secret(
        r#"
variable "pin" {
  type      = string
  sensitive = true
  default   = "hunter2-pin"
  validation {
    condition     = length(var.pin) < 4
    error_message = "the pin ${var.pin} is too long"
  }
}
"#,
        "(sensitive value)",
    );
}

#[test]
fn a_sensitive_for_each_is_refused_without_its_keys() {
    refused_without_the_secret(
        r#"
resource "alicloud_eip_address" "e" {
  for_each    = toset([var.token])
  description = "x"
}
"#,
        "sensitive values, or values derived from them, cannot be used as for_each arguments",
    );
}

#[test]
fn a_sensitive_count_is_not_quoted() {
    refused_without_the_secret(
        r#"
resource "alicloud_eip_address" "e" {
  count = upper(var.token)
}
"#,
        "invalid count: a whole number ≥ 0 is required, not (sensitive value)",
    );
}

#[test]
fn an_invalid_address_derived_from_a_secret_is_not_quoted() {
    refused_without_the_secret(
        r#"
resource "alicloud_ecs_network_interface" "a" {
  vswitch_id         = "vsw-bp1web0000000000000"
  security_group_ids = ["sg-bp1basic000000000000"]
  primary_ip_address = upper(var.token)
}
"#,
        "(sensitive value) is not an IPv4 address",
    );
}

#[test]
fn a_failed_conversion_of_a_secret_is_not_quoted() {
    for body in [
        "resource \"alicloud_eip_address\" \"e\" {\n  bandwidth = tonumber(var.token)\n}\n",
        "resource \"alicloud_eip_address\" \"e\" {\n  bandwidth = tonumber(upper(var.token))\n}\n",
        "locals {\n  up = upper(var.token)\n}\nresource \"alicloud_eip_address\" \"e\" {\n  bandwidth = tonumber(local.up)\n}\n",
        "resource \"alicloud_eip_address\" \"e\" {\n  count = tonumber(upper(var.token))\n}\n",
    ] {
        refused_without_the_secret(body, "cannot convert (sensitive value) to number");
    }
}

/// A sensitive variable given a value of the wrong type: the error names the variable, not the
/// value.
#[test]
fn a_sensitive_variable_of_the_wrong_type_is_not_quoted() {
    let env = Env::empty();
    env.write(
        "main.hcl",
        "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n  simulator {}\n}\n\nvariable \"ids\" {\n  type      = map(number)\n  sensitive = true\n}\n",
    );
    let r = env.run(&["plan", "--var", "ids={\"hunter2-secret\" = \"x\"}"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("\"ids\""), "{}", r.stderr);
    assert_hidden("a wrong type", &r);
}

/// `show` and `state show` hide what derives from a sensitive variable. (`show -json` of the
/// state gives the values and marks them in `sensitive_values`, as Terraform's does: asking for
/// JSON is asking for the data.)
#[test]
fn show_and_state_show_hide_sensitive_values() {
    let env = Env::empty();
    env.write("main.hcl", SENSITIVE);
    let r = with_secret(&env, &["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for args in [&["show"][..], &["state", "show", "alicloud_eip_address.s"]] {
        let r = with_secret(&env, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_hidden(&format!("{args:?}"), &r);
        assert!(
            r.stdout
                .contains("description          = (sensitive value)"),
            "{args:?} says what it hides:\n{}",
            r.stdout
        );
    }
    let r = with_secret(&env, &["show", "-json"]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let s = &j["values"]["root_module"]["resources"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["name"] == "s").cloned())
        .expect("resource s");
    assert_eq!(s["sensitive_values"]["description"], true, "{s}");
}

/// A state file with something netform never writes is damaged: apply refuses it before any
/// cloud call, and the state and the cloud stay as they were.
#[test]
fn a_damaged_state_changes_nothing() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = env.read("netform.tfstate").expect("state");
    let mut j: serde_json::Value = serde_json::from_str(&text).expect("json");
    j["resources"][0]["instances"][0]["surprise"] = true.into();
    env.write(
        "netform.tfstate",
        &serde_json::to_string_pretty(&j).expect("json"),
    );
    // A change to make, so that a run that read the damage as "nothing" would act.
    let cfg = env.read("main.hcl").expect("config");
    env.write(
        "main.hcl",
        &cfg.replace(
            "address_name = \"quickstart-edge\"",
            "address_name = \"edge-2\"",
        ),
    );
    let before = snapshot(&env);
    for args in [&["plan"][..], &["apply", "-auto-approve"]] {
        let r = env.run(args);
        assert_eq!(r.code, 1, "{args:?}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("netform.tfstate is damaged")
                && r.stderr.contains("unknown field `surprise`"),
            "{args:?}: {}",
            r.stderr
        );
        assert_eq!(snapshot(&env), before, "{args:?}: nothing changed");
    }
}
