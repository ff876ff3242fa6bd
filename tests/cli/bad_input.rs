//! Bad input: every error names file:line:column, says what to do, and changes nothing — no
//! cloud call, no simulated cloud created, state byte for byte the same.

use crate::harness::Env;

/// An applied quickstart whose configuration we then break.
fn applied() -> Env {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env
}

fn snapshot_files(env: &Env) -> (Option<String>, Option<String>) {
    (
        env.read("netform.tfstate"),
        env.read(".netform/sim/cloud.json"),
    )
}

fn assert_refused(env: &Env, args: &[&str], needles: &[&str]) -> String {
    let before = snapshot_files(env);
    let r = env.run(args);
    assert_eq!(r.code, 1, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "{n:?} missing from:\n{}", r.stderr);
    }
    assert_eq!(snapshot_files(env), before, "nothing on disk may change");
    r.stderr
}

#[test]
fn syntax_error_names_the_position() {
    let env = Env::copy_of("examples/quickstart");
    env.write(
        "broken.hcl",
        "resource \"alicloud_eip_address\" \"x\" {\n  bandwidth = \n}\n",
    );
    let err = assert_refused(
        &env,
        &["plan"],
        &["error: syntax error", "--> broken.hcl:2:15"],
    );
    insta::assert_snapshot!("syntax_error", err);
    assert!(!env.exists(".netform"));
}

#[test]
fn all_configuration_errors_are_reported_together() {
    let env = applied();
    env.write(
        "broken.hcl",
        r#"resource "alicloud_eip_adress" "a" {}

resource "alicloud_eip_address" "b" {
  bandwith = 5
}

resource "alicloud_ecs_network_interface" "c" {
  vswitch_id         = var.nope
  security_group_ids = ["sg-1"]
}

locals {
  x = local.y
  y = local.x
}
"#,
    );
    let err = assert_refused(
        &env,
        &["plan"],
        &[
            "did you mean \"alicloud_eip_address\"",
            "did you mean \"bandwidth\"",
            "broken.hcl:4:3",
        ],
    );
    insta::assert_snapshot!("many_errors", err);
}

#[test]
fn undefined_reference_and_cycle() {
    let env = Env::copy_of("examples/quickstart");
    env.write("extra.hcl", "locals {\n  a = var.nope\n}\n");
    assert_refused(
        &env,
        &["plan"],
        &["undeclared input variable", "extra.hcl:2:7"],
    );
    env.write(
        "extra.hcl",
        "locals {\n  a = local.b\n  b = local.c\n  c = local.a\n}\n",
    );
    let err = assert_refused(
        &env,
        &["plan"],
        &["cycle: local.a → local.b → local.c → local.a"],
    );
    assert!(err.contains("extra.hcl:"), "{err}");
}

#[test]
fn invalid_ip_and_type_errors() {
    let env = Env::copy_of("examples/quickstart");
    env.write(
        "extra.hcl",
        "resource \"alicloud_eip_address\" \"x\" {\n  isp = \"BPG\"\n  tags = \"no\"\n}\n",
    );
    assert_refused(
        &env,
        &["plan"],
        &[
            "did you mean \"BGP\"",
            "extra.hcl:2:9",
            "a map of strings is required",
        ],
    );
    env.write(
        "extra.hcl",
        "locals {\n  bad = cidrhost(\"10.0.0.0/33\", 1)\n}\n",
    );
    assert_refused(&env, &["plan"], &["cidrhost", "extra.hcl:2"]);
}

#[test]
fn missing_variable_and_failed_validation() {
    let env = Env::copy_of("examples/quickstart");
    env.write("extra.hcl", "variable \"needed\" {\n  type = string\n}\n");
    assert_refused(
        &env,
        &["plan"],
        &[
            "no value for required variable \"needed\"",
            "extra.hcl:1:1",
            "--var needed=VALUE",
        ],
    );
    let env = Env::copy_of("examples/quickstart");
    assert_refused(
        &env,
        &["plan", "--var", "secondary_ip_count=20"],
        &[
            "invalid value for variable \"secondary_ip_count\"",
            "at most 15 private IPs",
        ],
    );
}

#[test]
fn corrupt_truncated_and_newer_state_are_errors_not_empty() {
    let env = Env::copy_of("examples/quickstart");
    env.write("netform.tfstate", "");
    assert_refused(
        &env,
        &["plan"],
        &["is empty", "restore it from its .backup"],
    );
    env.write("netform.tfstate", "{\"version\": 4, \"serial\": 3, \"lin");
    assert_refused(&env, &["plan"], &["not valid JSON", "truncated"]);
    env.write(
        "netform.tfstate",
        "{\"version\": 9, \"serial\": 1, \"lineage\": \"x\", \"resources\": []}",
    );
    assert_refused(&env, &["plan"], &["newer netform", "state version 9"]);
    assert!(!env.exists(".netform"), "no cloud call was made");
}

#[test]
fn a_held_lock_refuses_the_run() {
    let env = applied();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(env.path().join("netform.tfstate.lock"))
        .expect("lock file");
    lock.lock().expect("take lock");
    assert_refused(
        &env,
        &["apply", "--auto-approve"],
        &["locked by another netform run", "--lock-timeout"],
    );
    drop(lock);
}

#[test]
fn saved_plan_from_another_lineage_is_refused() {
    let a = applied();
    let b = Env::copy_of("examples/quickstart");
    assert_eq!(b.run(&["apply", "--auto-approve"]).code, 0);
    assert_eq!(b.run(&["plan", "--destroy", "--out", "d.tfplan"]).code, 0);
    std::fs::copy(b.path().join("d.tfplan"), a.path().join("d.tfplan")).expect("copy plan");
    assert_refused(
        &a,
        &["apply", "d.tfplan"],
        &["Saved plan does not match the given state"],
    );
}

#[test]
fn apply_without_a_terminal_or_approval_refuses() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["apply"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
    assert!(!env.exists("netform.tfstate"));
    assert!(!env.exists(".netform"));
}

#[test]
fn usage_errors_exit_1_not_2() {
    let env = Env::empty();
    assert_eq!(env.run(&["plan", "--no-such-flag"]).code, 1);
    assert_eq!(env.run(&["frobnicate"]).code, 1);
}

#[test]
fn malformed_and_repeated_addresses_are_configuration_errors() {
    let env = Env::copy_of("examples/quickstart");
    env.write(
        "extra.hcl",
        "resource \"alicloud_ecs_network_interface\" \"x\" {\n  vswitch_id = \"vsw-bp1web0000000000000\"\n  security_group_ids = [\"sg-bp1basic000000000000\"]\n  primary_ip_address = \"192.168.1.300\"\n  private_ip_addresses = [\"192.168.1.31\", \"192.168.1.31\"]\n}\n",
    );
    assert_refused(
        &env,
        &["plan"],
        &[
            "\"192.168.1.300\" is not an IPv4 address",
            "extra.hcl:4:24",
            "\"192.168.1.31\" is listed twice",
            "extra.hcl:5:26",
        ],
    );
}

#[test]
fn values_the_api_does_not_take_are_refused_at_their_line() {
    let env = applied();
    env.write(
        "bounds.hcl",
        r#"resource "alicloud_ecs_network_interface" "neg" {
  vswitch_id                         = "vsw-bp1web0000000000000"
  security_group_ids                 = ["sg-bp1basic000000000000"]
  secondary_private_ip_address_count = -1
}

resource "alicloud_ecs_network_interface" "nogroup" {
  vswitch_id         = "vsw-bp1web0000000000000"
  security_group_ids = []
}
"#,
    );
    assert_refused(
        &env,
        &["apply", "--auto-approve"],
        &[
            "--> bounds.hcl:4:",
            "a whole number ≥ 0 is required",
            "--> bounds.hcl:9:",
            "at least 1 element is required",
        ],
    );
}

#[test]
fn an_absurd_count_is_an_error_not_a_crash() {
    let env = applied();
    env.write(
        "huge.hcl",
        "resource \"alicloud_eip_address\" \"many\" {\n  count = 18446744073709551616\n}\n",
    );
    assert_refused(&env, &["plan"], &["invalid count", "--> huge.hcl:2:"]);
}

#[test]
fn a_file_that_is_not_utf8_is_shown_at_its_bad_byte_and_a_dangling_link_is_named() {
    let env = applied();
    std::fs::write(
        env.path().join("latin1.hcl"),
        b"# ok\nlocals {\n  name = \"caf\xe9\"\n}\n",
    )
    .expect("write");
    assert_refused(
        &env,
        &["plan"],
        &["latin1.hcl is not UTF-8", "--> latin1.hcl:3:"],
    );
    std::fs::remove_file(env.path().join("latin1.hcl")).expect("remove");
    std::os::unix::fs::symlink(env.path().join("gone.txt"), env.path().join("link.hcl"))
        .expect("symlink");
    assert_refused(&env, &["plan"], &["cannot read link.hcl", "symbolic link"]);
}

#[test]
fn depends_on_an_undeclared_resource_is_an_error() {
    let env = applied();
    env.write(
        "dep.hcl",
        "resource \"alicloud_eip_address\" \"dep\" {\n  depends_on = [alicloud_eip_address.ap]\n}\n",
    );
    assert_refused(
        &env,
        &["plan"],
        &[
            "reference to undeclared resource \"alicloud_eip_address.ap\"",
            "--> dep.hcl:2:",
            "did you mean \"alicloud_eip_address.app\"?",
        ],
    );
}

#[test]
fn parallelism_zero_is_refused_when_the_flag_is_read() {
    let env = applied();
    assert_refused(
        &env,
        &["apply", "--auto-approve", "--parallelism", "0"],
        &["--parallelism", "must be at least 1"],
    );
}

#[test]
fn a_saved_plan_takes_no_variables_or_planning_options() {
    let env = applied();
    env.write(
        "more.hcl",
        "resource \"alicloud_eip_address\" \"more\" {}\n",
    );
    let r = env.run(&["plan", "--out", "p.plan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for extra in [
        &["--var", "secondary_ip_count=2"][..],
        &["--target", "alicloud_eip_address.more"][..],
        &["--destroy"][..],
    ] {
        let mut args = vec!["apply", "p.plan"];
        args.extend_from_slice(extra);
        assert_refused(
            &env,
            &args,
            &[extra[0], "cannot be used when applying a saved plan"],
        );
    }
    let r = env.run(&["apply", "p.plan"]);
    assert_eq!(r.code, 0, "the plan itself still applies: {}", r.stderr);
}

#[test]
fn a_damaged_journal_or_one_of_another_state_is_refused_before_any_cloud_call() {
    let env = applied();
    let entry = r#"{"op":"remove","address":"alicloud_eip_address.edge"}"#;
    env.write(
        "netform.tfstate.journal",
        &format!("{{\"journal\":1,\"lineage\":\"x\"}}\ngarbage\n{entry}\n"),
    );
    assert_refused(
        &env,
        &["apply", "--auto-approve"],
        &["netform.tfstate.journal", "damaged at line 2"],
    );
    env.write(
        "netform.tfstate.journal",
        &format!("{{\"journal\":1,\"lineage\":\"someone-else\"}}\n{entry}\n"),
    );
    assert_refused(
        &env,
        &["apply", "--auto-approve"],
        &["the journal of another state (lineage someone-else"],
    );
}

#[test]
fn destroying_a_protected_eip_is_refused_at_plan_time_and_nothing_is_destroyed() {
    let env = Env::copy_of("examples/quickstart");
    let main = env.read("main.hcl").expect("main.hcl");
    env.write(
        "main.hcl",
        &main.replace(
            "  address_name = \"quickstart-edge\"\n",
            "  address_name        = \"quickstart-edge\"\n  deletion_protection = true\n",
        ),
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_refused(
        &env,
        &["destroy", "--auto-approve"],
        &[
            "alicloud_eip_address.edge cannot be released: its deletion protection is on",
            "--> main.hcl:",
            "set deletion_protection = false",
        ],
    );
}

#[test]
fn a_literal_of_the_wrong_type_is_reported_with_the_other_configuration_errors() {
    let env = applied();
    env.write(
        "types.hcl",
        r#"resource "alicloud_eip_address" "t" {
  isp = ["BGP"]
}

resource "alicloud_eip_address" "u" {
  bandwith = 5
}
"#,
    );
    assert_refused(
        &env,
        &["plan"],
        &[
            "invalid value for \"isp\"",
            "--> types.hcl:2:",
            "unknown attribute \"bandwith\"",
        ],
    );
}
