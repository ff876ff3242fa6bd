//! Modules, end to end: local and git sources, module addresses in plan, state, `-target` and
//! `state` commands, and the refusals (registry sources, missing inputs, a module not installed).

use crate::harness::{Env, redact};

#[test]
fn modules_example_plans_applies_and_replans_to_no_changes() {
    let env = Env::copy_of("examples/modules");
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    insta::assert_snapshot!("modules_plan", redact(&r.stdout));
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    // The outputs come through two levels of modules, with the values the cloud returned.
    assert!(
        r.stdout.contains("public_ips = {api = \"47."),
        "{}",
        r.stdout
    );
    let state = env.read("netform.tfstate").unwrap_or_default();
    assert!(
        state.contains(r#""module": "module.tier[\"api\"].module.eip""#),
        "{state}"
    );
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.run(&["state", "list"]);
    assert!(
        r.stdout
            .contains("module.tier[\"worker\"].module.eip.alicloud_eip_association.this"),
        "{}",
        r.stdout
    );
}

#[test]
fn target_selects_one_module_instance_and_what_it_needs() {
    let env = Env::copy_of("examples/modules");
    let r = env.run(&[
        "plan",
        "--target",
        "module.tier[\"api\"].module.eip.alicloud_eip_association.this",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Plan: 3 to add"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("# module.tier[\"worker\"]"),
        "{}",
        r.stdout
    );
}

#[test]
fn path_module_names_the_module_directory() {
    let env = Env::copy_of("examples/modules");
    let r = env.run(&["plan"]);
    assert!(
        r.stdout.contains("\"made by module modules/tier\""),
        "{}",
        r.stdout
    );
}

const ROOT_CALL: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

module "eip" {
  source = "SOURCE"
  name   = "x"
}
"#;

const EIP_MODULE: &str = r#"
variable "name" {
  type = string
}

variable "bandwidth" {
  type    = number
  default = 7
}

resource "alicloud_eip_address" "this" {
  address_name = var.name
  bandwidth    = var.bandwidth
}

output "ip" {
  value = alicloud_eip_address.this.ip_address
}
"#;

#[test]
fn registry_sources_are_refused_with_what_to_do() {
    let env = Env::empty();
    env.write(
        "main.hcl",
        &ROOT_CALL.replace("SOURCE", "terraform-alicloud-modules/eip/alicloud"),
    );
    let r = env.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("module registry address"), "{}", r.stderr);
    assert!(r.stderr.contains("main.hcl:8"), "{}", r.stderr);
}

#[test]
fn a_module_input_the_module_does_not_declare_and_a_missing_one_are_both_reported() {
    let env = Env::empty();
    std::fs::create_dir_all(env.path().join("m")).expect("mkdir");
    env.write("m/main.hcl", EIP_MODULE);
    env.write(
        "main.hcl",
        &ROOT_CALL
            .replace("SOURCE", "./m")
            .replace("name   = \"x\"", "nmae = \"x\""),
    );
    let r = env.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr
            .contains("module \"eip\" has no input variable \"nmae\""),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("did you mean \"name\"?"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("module \"eip\" needs a value for its input variable \"name\""),
        "{}",
        r.stderr
    );
}

#[test]
fn an_error_inside_a_module_names_the_module_file() {
    let env = Env::empty();
    std::fs::create_dir_all(env.path().join("m")).expect("mkdir");
    env.write(
        "m/main.hcl",
        &EIP_MODULE.replace("var.bandwidth", "var.bandwith"),
    );
    env.write("main.hcl", &ROOT_CALL.replace("SOURCE", "./m"));
    let r = env.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("m/main.hcl:13"), "{}", r.stderr);
    assert!(r.stderr.contains("var.bandwidth"), "{}", r.stderr);
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let st = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        st.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&st.stderr)
    );
}

#[test]
fn git_sources_are_fetched_by_init_at_their_ref() {
    let env = Env::empty();
    let repo = env.path().join("repo");
    std::fs::create_dir_all(repo.join("eip")).expect("mkdir");
    git(&repo, &["init", "--quiet"]);
    std::fs::write(repo.join("eip/main.hcl"), EIP_MODULE).expect("write");
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "v1"]);
    git(&repo, &["tag", "v1"]);
    // A later commit the ref must not pick up.
    std::fs::write(
        repo.join("eip/main.hcl"),
        EIP_MODULE.replace("default = 7", "default = 9"),
    )
    .expect("write");
    git(&repo, &["commit", "--quiet", "-am", "v2"]);
    let source = format!("git::file://{}//eip?ref=v1", repo.display());
    std::fs::create_dir_all(env.path().join("cfg")).expect("mkdir");
    std::fs::write(
        env.path().join("cfg/main.hcl"),
        ROOT_CALL.replace("SOURCE", &source),
    )
    .expect("write");
    let r = env.run(&["-C", "cfg", "plan"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("module \"eip\" is not installed"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("netform init"), "{}", r.stderr);
    let r = env.run(&["-C", "cfg", "init"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("module.eip"), "{}", r.stdout);
    assert!(env.exists("cfg/.netform/modules/eip/eip/main.hcl"));
    let r = env.run(&["-C", "cfg", "plan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("module.eip.alicloud_eip_address.this will be created"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("bandwidth            = \"7\""),
        "{}",
        r.stdout
    );
}

const TWO_EIPS: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

resource "alicloud_eip_address" "a" {
  address_name = "a"
}

resource "alicloud_eip_address" "c" {
  count        = 2
  address_name = "c${count.index}"
}
"#;

const MOVED: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

module "m" {
  source = "./m"
  name   = "a"
}

moved {
  from = alicloud_eip_address.a
  to   = module.m.alicloud_eip_address.this
}

resource "alicloud_eip_address" "c" {
  for_each     = { x = "c0", y = "c1" }
  address_name = each.value
}

moved {
  from = alicloud_eip_address.c[0]
  to   = alicloud_eip_address.c["x"]
}

moved {
  from = alicloud_eip_address.c[1]
  to   = alicloud_eip_address.c["y"]
}
"#;

#[test]
fn moved_blocks_move_into_a_module_and_from_count_to_for_each_without_destroying() {
    let env = Env::empty();
    env.write("main.hcl", TWO_EIPS);
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let before = env.run(&["sim", "show"]).stdout;
    std::fs::create_dir_all(env.path().join("m")).expect("mkdir");
    env.write("m/main.hcl", EIP_MODULE);
    env.write("main.hcl", MOVED);
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    insta::assert_snapshot!("modules_moved_plan", redact(&r.stdout));
    // The module's default bandwidth (7) differs from the root resource's (5): moved, then
    // updated in place, never destroyed.
    assert!(r.stdout.contains("0 to destroy"), "{}", r.stdout);
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let list = env.run(&["state", "list"]).stdout;
    assert_eq!(
        list,
        "alicloud_eip_address.c[\"x\"]\nalicloud_eip_address.c[\"y\"]\nmodule.m.alicloud_eip_address.this\n"
    );
    // The same three EIPs: their ids did not change.
    let after = env.run(&["sim", "show"]).stdout;
    let ids = |s: &str| {
        let mut v: Vec<String> = s
            .split(|c: char| !(c.is_alphanumeric() || c == '-'))
            .filter(|w| w.starts_with("eip-"))
            .map(str::to_string)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert_eq!(ids(&before), ids(&after));
    assert_eq!(ids(&after).len(), 3, "{after}");
}

#[test]
fn removed_with_destroy_false_forgets_without_deleting() {
    let env = Env::empty();
    env.write("main.hcl", TWO_EIPS);
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let kept = TWO_EIPS
        .split("resource \"alicloud_eip_address\" \"c\"")
        .next()
        .unwrap_or("");
    env.write(
        "main.hcl",
        &format!("{kept}\nremoved {{\n  from = alicloud_eip_address.c\n  lifecycle {{\n    destroy = false\n  }}\n}}\n"),
    );
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("# alicloud_eip_address.c[0] will no longer be managed by netform"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("0 to destroy"), "{}", r.stdout);
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        env.run(&["state", "list"]).stdout,
        "alicloud_eip_address.a\n"
    );
    let sim = env.run(&["sim", "show"]).stdout;
    assert!(sim.contains("c0") && sim.contains("c1"), "{sim}");
    // A removed block for something still declared is refused.
    env.write(
        "main.hcl",
        &format!("{TWO_EIPS}\nremoved {{\n  from = alicloud_eip_address.c\n}}\n"),
    );
    let r = env.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("which the configuration still declares"),
        "{}",
        r.stderr
    );
}

/// The id `state show` prints for an address.
fn id_of(env: &Env, addr: &str) -> String {
    let out = env.run(&["state", "show", addr]).stdout;
    out.lines()
        .find(|l| l.trim_start().starts_with("id "))
        .and_then(|l| l.split('"').nth(1))
        .unwrap_or_else(|| panic!("no id in {out}"))
        .to_string()
}

#[test]
fn import_blocks_adopt_objects_and_generated_config_replans_to_no_changes() {
    let env = Env::empty();
    let made = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

resource "alicloud_eip_address" "a" {
  address_name = "a"
  bandwidth    = 3
}

resource "alicloud_ecs_network_interface" "e" {
  network_interface_name             = "e"
  vswitch_id                         = "vsw-bp1web0000000000000"
  security_group_ids                 = ["sg-bp1basic000000000000"]
  secondary_private_ip_address_count = 2
  tags                               = { "team-x" = "net" }
}
"#;
    env.write("main.hcl", made);
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let (eip, eni) = (
        id_of(&env, "alicloud_eip_address.a"),
        id_of(&env, "alicloud_ecs_network_interface.e"),
    );
    let r = env.run(&[
        "state",
        "rm",
        "alicloud_eip_address.a",
        "alicloud_ecs_network_interface.e",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let eni_block = made
        .split("resource \"alicloud_ecs_network_interface\"")
        .next()
        .unwrap_or("");
    env.write(
        "main.hcl",
        &format!(
            "{eni_block}\nimport {{\n  to = alicloud_eip_address.a\n  id = \"{eip}\"\n}}\n\nimport {{\n  for_each = {{ g = \"{eni}\" }}\n  to       = alicloud_ecs_network_interface.g\n  id       = each.value\n}}\n"
        ),
    );
    // Without a resource block for the ENI, the plan says how to get one.
    let r = env.run(&["plan"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("--generate-config-out"), "{}", r.stderr);
    let r = env.run(&[
        "plan",
        "--generate-config-out=generated.hcl",
        "--detailed-exitcode",
    ]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("# alicloud_ecs_network_interface.g will be imported"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Plan: 2 to import, 0 to add, 0 to change, 0 to destroy."),
        "{}",
        r.stdout
    );
    let generated = env.read("generated.hcl").unwrap_or_default();
    assert!(generated.contains("\"team-x\" = \"net\""), "{generated}");
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(id_of(&env, "alicloud_ecs_network_interface.g"), eni);
    // The file is never overwritten.
    let r = env.run(&["plan", "--generate-config-out=generated.hcl"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
}

#[test]
fn conditions_fail_plans_checks_warn_and_replace_triggered_by_replaces() {
    let env = Env::empty();
    env.write(
        "main.hcl",
        r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

variable "bw" {
  default = 5
}

resource "alicloud_eip_address" "a" {
  address_name = "a"
  bandwidth    = var.bw
  lifecycle {
    precondition {
      condition     = var.bw < 100
      error_message = "bandwidth too big"
    }
    postcondition {
      condition     = self.address_name == "a"
      error_message = "wrong name"
    }
  }
}

resource "alicloud_eip_address" "b" {
  address_name = "b"
  lifecycle {
    replace_triggered_by = [alicloud_eip_address.a]
  }
}

check "web" {
  data "alicloud_instances" "web" {
    name_regex = "^web-1$"
  }
  assert {
    condition     = length(data.alicloud_instances.web.instances) == 2
    error_message = "expected two web instances"
  }
}

output "o" {
  value = alicloud_eip_address.a.address_name
  precondition {
    condition     = var.bw > 1
    error_message = "bw must be above 1"
  }
}
"#,
    );
    let r = env.run(&["plan", "--var", "bw=500"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("Resource precondition failed") && r.stderr.contains("bandwidth too big"),
        "{}",
        r.stderr
    );
    let r = env.run(&["plan", "--var", "bw=1"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stderr.contains("bw must be above 1"), "{}", r.stderr);
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // A failed check is a warning: the apply went ahead.
    assert!(
        r.stderr.contains("Check block assertion failed")
            && r.stderr.contains("expected two web instances"),
        "{}",
        r.stderr
    );
    let r = env.run(&["plan", "--var", "bw=6"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("# alicloud_eip_address.a will be updated in-place"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("# alicloud_eip_address.b must be replaced"),
        "{}",
        r.stdout
    );
}

/// Issue 15's "Done means": a root and two levels of modules with moved, import and check blocks
/// plans, applies on the simulator and re-plans to "No changes"; the resource moved into the
/// module is not destroyed.
#[test]
fn done_means_two_levels_of_modules_with_moved_import_and_check() {
    let env = Env::copy_of("examples/modules");
    let example = env.read("main.hcl").unwrap_or_default();
    env.write(
        "main.hcl",
        r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

resource "alicloud_eip_address" "legacy" {
  address_name = "modules-api"
  bandwidth    = 5
}

resource "alicloud_eip_address" "stray" {
  address_name = "stray"
}
"#,
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let legacy = id_of(&env, "alicloud_eip_address.legacy");
    let stray = id_of(&env, "alicloud_eip_address.stray");
    let r = env.run(&["state", "rm", "alicloud_eip_address.stray"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    env.write(
        "main.hcl",
        &format!(
            r#"{example}
moved {{
  from = alicloud_eip_address.legacy
  to   = module.tier["api"].module.eip.alicloud_eip_address.this
}}

resource "alicloud_eip_address" "adopted" {{
  address_name = "stray"
}}

import {{
  to = alicloud_eip_address.adopted
  id = "{stray}"
}}

check "tiers" {{
  assert {{
    condition     = length(module.tier) == 2
    error_message = "two tiers expected"
  }}
}}
"#
        ),
    );
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let out = &r.stdout;
    assert!(
        out.contains("# alicloud_eip_address.legacy has moved to module.tier[\"api\"].module.eip.alicloud_eip_address.this"),
        "{out}"
    );
    assert!(
        out.contains("# alicloud_eip_address.adopted will be imported"),
        "{out}"
    );
    assert!(
        out.contains("Plan: 1 to import, 5 to add, 0 to change, 0 to destroy."),
        "{out}"
    );
    assert!(
        !r.stderr.contains("Check block assertion failed"),
        "{}",
        r.stderr
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    assert_eq!(
        id_of(
            &env,
            "module.tier[\"api\"].module.eip.alicloud_eip_address.this"
        ),
        legacy
    );
    assert_eq!(id_of(&env, "alicloud_eip_address.adopted"), stray);
}

/// Terraform's implied moves: a resource that gains `count` keeps its object as `[0]`, and one
/// that loses it keeps `[0]`'s; the plan says so and destroys nothing.
#[test]
fn adding_count_to_an_applied_resource_moves_it_to_index_zero() {
    let env = Env::empty();
    env.write("main.hcl", TWO_EIPS);
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let counted = TWO_EIPS
        .replace("\"a\" {\n", "\"a\" {\n  count = 1\n")
        .replace("count        = 2", "count        = 1");
    assert!(counted.contains("count = 1"), "{counted}");
    env.write("main.hcl", &counted);
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("# alicloud_eip_address.a has moved to alicloud_eip_address.a[0]"),
        "{}",
        r.stdout
    );
    // c[1] goes (the count went down), a is kept.
    assert!(
        r.stdout.contains("0 to add, 0 to change, 1 to destroy"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("alicloud_eip_address.a[0] will be"),
        "{}",
        r.stdout
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Removing count again moves a[0] back to a.
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    env.write("main.hcl", &counted.replace("  count = 1\n", ""));
    let r = env.run(&["plan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("# alicloud_eip_address.a[0] has moved to alicloud_eip_address.a"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("0 to destroy"), "{}", r.stdout);
}

/// `check` blocks run in every instance of a called module, named by the instance; `import`
/// blocks stay in the root module, refused with Terraform's message.
#[test]
fn checks_run_inside_module_instances_and_imports_there_are_refused() {
    let env = Env::empty();
    std::fs::create_dir_all(env.path().join("m")).expect("mkdir");
    env.write(
        "m/main.hcl",
        r#"
variable "bw" {}

resource "alicloud_eip_address" "this" {
  bandwidth = var.bw
}

check "bw" {
  assert {
    condition     = var.bw < 10
    error_message = "bandwidth ${var.bw} is above 10"
  }
}
"#,
    );
    env.write(
        "main.hcl",
        r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

module "m" {
  source   = "./m"
  for_each = { small = 5, big = 50 }
  bw       = each.value
}
"#,
    );
    let r = env.run(&["plan"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("Check block assertion failed: module.m[\"big\"].check.bw")
            && r.stderr.contains("bandwidth 50 is above 10"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("module.m[\"small\"].check"),
        "{}",
        r.stderr
    );
    env.write(
        "m/import.hcl",
        r#"
import {
  to = alicloud_eip_address.this
  id = "eip-1"
}
"#,
    );
    let r = env.run(&["validate"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("Invalid import configuration")
            && r.stderr.contains(
                "An import block was detected in \"module.m\". Import blocks are only allowed in the root module."
            )
            && r.stderr.contains("m/import.hcl:2"),
        "{}",
        r.stderr
    );
}

const SECRET_MODULE: &str = r#"
variable "name" {}

variable "label" {
  sensitive = true
}

locals {
  full = "eip-${var.name}"
}

resource "alicloud_eip_address" "this" {
  address_name = local.full
  description  = var.label
  bandwidth    = 5
}

output "full" {
  value = local.full
}

output "plain" {
  value = alicloud_eip_address.this.bandwidth
}
"#;

const SECRET_ROOT: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {}
}

variable "token" {
  default   = "hunter2-token"
  sensitive = true
}

module "m" {
  source = "./m"
  name   = var.token
  label  = "not-a-secret-label"
}

output "full" {
  value     = module.m.full
  SENSITIVE
}

output "plain" {
  value = module.m.plain
}
"#;

/// A sensitive value passed into a module stays sensitive in the module's locals, resources and
/// outputs, and in the root output of such an output: hidden in plan output, plan JSON and the
/// saved plan; a root output that shows it must be declared sensitive. A module variable
/// declared sensitive hides what it feeds even when its value is not.
#[test]
fn sensitivity_follows_values_through_module_inputs_and_outputs() {
    let env = Env::empty();
    std::fs::create_dir_all(env.path().join("m")).expect("mkdir");
    env.write("m/main.hcl", SECRET_MODULE);
    env.write("main.hcl", &SECRET_ROOT.replace("SENSITIVE", ""));
    let r = env.run(&["plan"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("output \"full\" refers to sensitive values"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("output \"plain\""), "{}", r.stderr);
    env.write(
        "main.hcl",
        &SECRET_ROOT.replace("SENSITIVE", "sensitive = true"),
    );
    let r = env.run(&["plan", "--out", "p.bin"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("address_name         = (sensitive value)")
            && r.stdout
                .contains("description          = (sensitive value)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("full  = (sensitive value)"),
        "{}",
        r.stdout
    );
    let json = env.run(&["plan", "--json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let saved = std::fs::read(env.path().join("p.bin")).unwrap_or_default();
    let saved = String::from_utf8_lossy(&saved);
    for (what, text) in [
        ("plan", &r.stdout),
        ("plan --json", &json.stdout),
        ("saved plan", &saved.to_string()),
    ] {
        assert!(!text.contains("hunter2"), "{what}: {text}");
        assert!(!text.contains("not-a-secret-label"), "{what}: {text}");
    }
    // The saved plan applies: the module's inputs are evaluated again from the root's values.
    let r = env.run(&["apply", "p.bin"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("hunter2"), "{}", r.stdout);
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = env.run(&["state", "show", "module.m.alicloud_eip_address.this"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("hunter2"), "{}", r.stdout);
    assert!(r.stdout.contains("(sensitive value)"), "{}", r.stdout);
}
