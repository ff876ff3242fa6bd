//! Language and resource features end to end: drift, lifecycle, flags, IPv6, BINDED mode,
//! data sources, outputs, guest-config, machine formats, crash safety.

use crate::harness::{Env, line_at, redact};

const PROVIDER: &str = "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n  simulator {}\n}\n\ndata \"alicloud_instances\" \"web1\" {\n  name_regex = \"^web-1$\"\n}\n";

fn env_with(body: &str) -> Env {
    let env = Env::empty();
    env.write("main.hcl", &format!("{PROVIDER}\n{body}"));
    env
}

fn ok(env: &Env, args: &[&str]) -> String {
    let r = env.run(args);
    assert!(
        r.code == 0 || r.code == 2,
        "netform {args:?} exited {}:\n{}\n{}",
        r.code,
        r.stdout,
        r.stderr
    );
    r.stdout
}

const ENI: &str = r#"
resource "alicloud_ecs_network_interface" "a" {
  vswitch_id         = "vsw-bp1web0000000000000"
  security_group_ids = ["sg-bp1basic000000000000"]
  primary_ip_address = "192.168.1.40"
  private_ip_addresses = ["192.168.1.41", "192.168.1.42"]
  description        = "first"
}
"#;

#[test]
fn drift_is_shown_separately_and_refresh_only_adopts_it() {
    let env = env_with(ENI);
    ok(&env, &["apply", "--auto-approve"]);
    let state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("json");
    let id = state["resources"][0]["instances"][0]["attributes"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // Someone adds an address outside netform.
    let r = env.run(&[
        "sim",
        "call",
        "AssignPrivateIpAddresses",
        &format!("NetworkInterfaceId={id}"),
        "PrivateIpAddress.1=192.168.1.43",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2);
    let out = redact(&r.stdout);
    let drift = out
        .find("Note: Objects have changed outside of netform")
        .expect("drift section");
    let changes = out.find("will be updated in-place").expect("changes");
    assert!(drift < changes, "drift comes first:\n{out}");
    assert!(
        out.contains("- \"192.168.1.43\","),
        "the plan removes the stray address:\n{out}"
    );
    let r = env.run(&["apply", "--refresh-only", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let state = env.read("netform.tfstate").unwrap_or_default();
    assert!(
        state.contains("192.168.1.43"),
        "refresh-only records the drift in state"
    );
}

#[test]
fn a_drifted_eip_is_shown_with_its_own_naming_attributes() {
    let env = env_with(
        "resource \"alicloud_eip_address\" \"web\" {\n  address_name = \"web\"\n  description  = \"first\"\n}\n",
    );
    ok(&env, &["apply", "--auto-approve"]);
    let state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("json");
    let id = state["resources"][0]["instances"][0]["attributes"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = env.run(&[
        "sim",
        "call",
        "ModifyEipAddressAttribute",
        &format!("AllocationId={id}"),
        "Description=changed",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let out = redact(&env.run(&["plan"]).stdout);
    let drift = &out[..out
        .find("Terraform will perform")
        .or(out.find("netform will perform"))
        .unwrap_or(out.len())];
    assert!(
        drift.contains("alicloud_eip_address.web has changed")
            && drift.contains("address_name")
            && drift.contains("\"web\""),
        "the drift names the EIP by its address_name, as its schema says:\n{out}"
    );
}

#[test]
fn lifecycle_ignore_changes_prevent_destroy_and_replace() {
    let env = env_with(&ENI.replace("description        = \"first\"", "description        = \"first\"\n  lifecycle {\n    ignore_changes  = [description]\n    prevent_destroy = true\n  }"));
    ok(&env, &["apply", "--auto-approve"]);
    let main = env.read("main.hcl").unwrap_or_default();
    env.write("main.hcl", &main.replace("\"first\"", "\"second\""));
    assert_eq!(
        env.run(&["plan", "--detailed-exitcode"]).code,
        0,
        "ignored attribute does not diff"
    );
    let r = env.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("prevent_destroy"), "{}", r.stderr);
    env.write(
        "main.hcl",
        &env.read("main.hcl")
            .unwrap_or_default()
            .replace("prevent_destroy = true", "prevent_destroy = false"),
    );
    let r = env.run(&["plan", "--replace", "alicloud_ecs_network_interface.a"]);
    assert!(
        r.stdout
            .contains("# alicloud_ecs_network_interface.a will be replaced, as requested")
            && r.stdout
                .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        r.stdout
    );
    // A force-new attribute: a different primary address replaces the ENI.
    env.write(
        "main.hcl",
        &env.read("main.hcl")
            .unwrap_or_default()
            .replace("192.168.1.40", "192.168.1.39"),
    );
    let r = env.run(&["plan"]);
    assert!(r.stdout.contains("# forces replacement"), "{}", r.stdout);
    insta::assert_snapshot!("replace_plan", redact(&r.stdout));
}

#[test]
fn target_exclude_and_destroy_flags() {
    let env = env_with(&format!(
        "{ENI}\nresource \"alicloud_eip_address\" \"x\" {{}}\n"
    ));
    let r = env.run(&["plan", "--target", "alicloud_eip_address.x"]);
    assert!(
        r.stdout.contains("Plan: 1 to add")
            && !r.stdout.contains("alicloud_ecs_network_interface.a"),
        "{}",
        r.stdout
    );
    let r = env.run(&["plan", "--exclude", "alicloud_eip_address.x"]);
    assert!(
        r.stdout.contains("Plan: 1 to add") && !r.stdout.contains("alicloud_eip_address.x will"),
        "{}",
        r.stdout
    );
    ok(&env, &["apply", "--auto-approve"]);
    let r = env.run(&["plan", "--destroy"]);
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 0 to change, 2 to destroy."),
        "{}",
        r.stdout
    );
}

#[test]
fn ipv6_addresses_on_an_attached_eni() {
    let env = env_with(
        r#"
resource "alicloud_ecs_network_interface" "v6" {
  vswitch_id         = "vsw-bp1web0000000000000"
  security_group_ids = ["sg-bp1basic000000000000"]
  primary_ip_address = "192.168.1.50"
  ipv6_address_count = 2
  secondary_private_ip_address_count = 1
}

resource "alicloud_ecs_network_interface_attachment" "v6" {
  network_interface_id = alicloud_ecs_network_interface.v6.id
  instance_id          = data.alicloud_instances.web1.instances[0].id
}
"#,
    );
    let out = ok(&env, &["apply", "--auto-approve"]);
    // Two IPv6 addresses fit the create's one call: the ENI comes with them, then attaches.
    let attach = line_at(
        &out,
        "alicloud_ecs_network_interface_attachment.v6: Creating...",
        None,
    );
    let created = line_at(
        &out,
        "alicloud_ecs_network_interface.v6: Creation complete",
        None,
    );
    assert!(created < attach, "{out}");
    assert!(!out.contains("AssignIpv6Addresses"), "{out}");
    let state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("json");
    let eni = state["resources"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|x| x["type"] == "alicloud_ecs_network_interface")
        })
        .cloned()
        .unwrap_or_default();
    let v6s = eni["instances"][0]["attributes"]["ipv6_addresses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(v6s.len(), 2);
    assert!(
        v6s.iter().all(|a| a
            .as_str()
            .is_some_and(|s| s.starts_with("2408:4005:3ff:8501:"))),
        "{v6s:?}"
    );
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn binded_mode_binds_before_attach_and_unbinds_after_detach() {
    let env = env_with(
        r#"
resource "alicloud_ecs_network_interface" "b" {
  vswitch_id         = "vsw-bp1web0000000000000"
  security_group_ids = ["sg-bp1basic000000000000"]
  primary_ip_address = "192.168.1.60"
}

resource "alicloud_ecs_network_interface_attachment" "b" {
  network_interface_id = alicloud_ecs_network_interface.b.id
  instance_id          = data.alicloud_instances.web1.instances[0].id
}

resource "alicloud_eip_address" "b" {}

resource "alicloud_eip_association" "b" {
  allocation_id = alicloud_eip_address.b.id
  instance_id   = alicloud_ecs_network_interface.b.id
  mode          = "BINDED"
}
"#,
    );
    let out = ok(&env, &["apply", "--auto-approve"]);
    let bind = line_at(&out, "alicloud_eip_association.b: Creation complete", None);
    let attach = line_at(
        &out,
        "alicloud_ecs_network_interface_attachment.b: Creating...",
        None,
    );
    assert!(
        bind < attach,
        "BINDED binds to the unattached ENI first:\n{out}"
    );
    let out = ok(&env, &["destroy", "--auto-approve"]);
    let detach = line_at(
        &out,
        "alicloud_ecs_network_interface_attachment.b: Destruction complete",
        None,
    );
    let unbind = line_at(&out, "alicloud_eip_association.b: Destroying...", None);
    assert!(detach < unbind, "detach before unbind:\n{out}");
}

#[test]
fn data_sources_sensitive_outputs_and_deprecated_names() {
    let env = env_with(
        r#"
data "alicloud_vswitches" "all" {
  zone_id = "cn-hangzhou-h"
}
data "alicloud_security_groups" "sg" {}
data "alicloud_nat_gateways" "n" {}
data "alicloud_havips" "h" {}
data "alicloud_slb_load_balancers" "intranet" {
  address_type = "intranet"
}
data "alicloud_instance_types" "g7" {
  instance_type_family = "ecs.g7"
}

resource "alicloud_eip" "old" {
  name = "legacy-name"
}

output "counts" {
  value = {
    vswitches = length(data.alicloud_vswitches.all.vswitches)
    groups    = length(data.alicloud_security_groups.sg.groups)
    nat       = length(data.alicloud_nat_gateways.n.gateways)
    havip     = data.alicloud_havips.h.havips[0].ip_address
    slb       = data.alicloud_slb_load_balancers.intranet.balancers[0].address_type
    g7_enis   = data.alicloud_instance_types.g7.instance_types[*].eni_quantity
  }
}

output "secret" {
  value     = "hunter2"
  sensitive = true
}
"#,
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: \"alicloud_eip\" is deprecated"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("warning: \"name\" is deprecated"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stdout.contains("hunter2"),
        "sensitive output hidden:\n{}",
        r.stdout
    );
    let j: serde_json::Value =
        serde_json::from_str(&env.run(&["output", "--json", "counts"]).stdout).expect("json");
    assert_eq!(j["havip"], "192.168.1.100");
    assert_eq!(j["slb"], "intranet");
    assert!(j["vswitches"].as_f64().is_some_and(|n| n >= 2.0), "{j}");
    assert!(
        j["g7_enis"].as_array().is_some_and(|a| !a.is_empty()),
        "{j}"
    );
    assert_eq!(env.run(&["output", "--raw", "secret"]).stdout, "hunter2");
}

#[test]
fn machine_formats_json_events_and_markdown() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["plan", "--json"]);
    let types: Vec<String> = r
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|e| e["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(types.first().map(String::as_str), Some("version"));
    assert_eq!(types.iter().filter(|t| *t == "planned_change").count(), 6);
    // Terraform's order: the summary, then the planned outputs.
    assert_eq!(
        types
            .iter()
            .rev()
            .take(2)
            .map(String::as_str)
            .collect::<Vec<_>>(),
        ["outputs", "change_summary"]
    );
    for l in r.stdout.lines() {
        let e: serde_json::Value = serde_json::from_str(l).expect("ndjson");
        assert!(
            e["@level"].is_string()
                && e["@message"].is_string()
                && e["@timestamp"] == "2026-01-01T00:00:00Z"
        );
    }
    let r = env.run(&["plan", "--format", "json"]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(j["format_version"], "1.2");
    let ops = j["operations"].as_array().cloned().unwrap_or_default();
    let pos = |id: &str| ops.iter().position(|o| o["id"] == id).unwrap_or(usize::MAX);
    assert!(
        pos("alicloud_ecs_network_interface_attachment.app#AttachNetworkInterface")
            < pos("alicloud_ecs_network_interface.app#AssignPrivateIpAddresses")
    );
    let eni = j["resource_changes"]
        .as_array()
        .and_then(|c| {
            c.iter()
                .find(|x| x["address"] == "alicloud_ecs_network_interface.app")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(eni["change"]["actions"], serde_json::json!(["create"]));
    assert_eq!(eni["change"]["after_unknown"]["id"], true);
    let r = env.run(&["plan", "--format", "markdown"]);
    assert!(
        r.stdout.contains("| 6 | 0 | 0 |")
            && r.stdout.contains("<details>")
            && r.stdout.contains("```diff"),
        "{}",
        r.stdout
    );
}

#[test]
fn guest_config_writes_files_for_the_attached_eni() {
    let env = Env::copy_of("examples/quickstart");
    ok(&env, &["apply", "--auto-approve"]);
    let r = env.run(&["guest-config", "--out", "guest"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let script = std::fs::read_to_string(
        env.path()
            .join("guest/i-bp1web1000000000000/iproute2/netform-ip.sh"),
    )
    .expect("script");
    for ip in [
        "192.168.1.21",
        "192.168.1.22",
        "192.168.1.23",
        "192.168.1.24",
    ] {
        assert!(script.contains(ip), "{script}");
    }
    assert!(script.contains("eth1"), "{script}");
    let r = env.run(&[
        "guest-config",
        "--instance",
        "i-bp1web1000000000000",
        "--os",
        "rhel",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("IPADDR=192.168.1.21"), "{}", r.stdout);
}

#[test]
fn an_interrupted_apply_loses_nothing_and_the_next_run_converges() {
    let env = Env::copy_of("examples/nat-gateway");
    let mut child = env
        .cmd(&["apply", "--auto-approve", "--parallelism", "1"])
        .env("NETFORM_SIM_FAULTS", r#"{"latency_ms": 40}"#)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    // Kill it once it has made durable progress, before it could have finished.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !env.exists("netform.tfstate.journal") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        env.exists("netform.tfstate.journal"),
        "the run was interrupted mid-way"
    );
    assert!(
        !env.exists("netform.tfstate"),
        "state is only folded at the end"
    );
    // Whatever completed is in state (via the journal) and in the simulated cloud; the next apply
    // finishes the job without duplicating anything.
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
    let cloud: serde_json::Value =
        serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("json");
    assert_eq!(
        cloud["eip_addresses"].as_object().map(|m| m.len()),
        Some(4),
        "no duplicate EIPs: {cloud}"
    );
    assert!(
        !env.exists("netform.tfstate.journal"),
        "the journal was folded in"
    );
}

#[test]
fn secondary_ips_on_an_instance_primary_eni_and_their_guest_config() {
    let env = env_with(
        r#"
data "alicloud_instances" "web2" {
  name_regex = "^web-2$"
}

resource "netform_secondary_private_ips" "web2" {
  instance_id          = data.alicloud_instances.web2.instances[0].id
  private_ip_addresses = ["192.168.1.71", "192.168.1.72"]
}
"#,
    );
    let out = ok(&env, &["apply", "--auto-approve"]);
    assert!(out.contains("1 added"), "{out}");
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
    let r = env.run(&[
        "guest-config",
        "--instance",
        "i-bp1web2000000000000",
        "--os",
        "debian",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("eth0:0")
            && r.stdout.contains("192.168.1.71")
            && r.stdout.contains("192.168.1.72"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("netmask 255.255.255.0"), "{}", r.stdout);
    // Destroying it unassigns only its own addresses; the instance keeps its primary ENI.
    ok(&env, &["destroy", "--auto-approve"]);
    let cloud = env.run(&["sim", "show"]).stdout;
    assert!(!cloud.contains("192.168.1.71"), "{cloud}");
    let listed = env.run(&["state", "list"]);
    assert!(
        !listed.stdout.contains("netform_secondary_private_ips"),
        "destroy leaves nothing in state: {}",
        listed.stdout
    );
}

#[test]
fn tfvars_files_depends_on_and_create_before_destroy() {
    let env = env_with(
        r#"
variable "name" {
  type = string
}

variable "bw" {
  type    = number
  default = 1
}

resource "alicloud_eip_address" "first" {
  address_name = var.name
  bandwidth    = var.bw
}

resource "alicloud_eip_address" "second" {
  address_name = "second"
  depends_on   = [alicloud_eip_address.first]
  lifecycle {
    create_before_destroy = true
  }
}
"#,
    );
    env.write("netform.tfvars", "name = \"from-tfvars\"\nbw = 3\n");
    env.write("z.auto.tfvars", "bw = 4\n");
    let r = env.run(&["plan"]);
    assert!(
        r.stdout.contains("\"from-tfvars\"") && r.stdout.contains("bandwidth            = \"4\""),
        "auto.tfvars wins over netform.tfvars:\n{}",
        r.stdout
    );
    let r = env.run(&["plan", "--var-file", "other.tfvars"]);
    assert_eq!(r.code, 1, "a missing --var-file is an error");
    env.write("other.tfvars", "bw = 7\n");
    let r = env.run(&["plan", "--var-file", "other.tfvars"]);
    assert!(
        r.stdout.contains("bandwidth            = \"7\""),
        "{}",
        r.stdout
    );
    let out = ok(&env, &["apply", "--auto-approve"]);
    let first = line_at(&out, "alicloud_eip_address.first: Creation complete", None);
    let second = line_at(&out, "alicloud_eip_address.second: Creating...", None);
    assert!(first < second, "depends_on orders the operations:\n{out}");
    // create_before_destroy: the replacement exists before the old one is released.
    let r = env.run(&[
        "apply",
        "--auto-approve",
        "--replace",
        "alicloud_eip_address.second",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("+/- create replacement and then destroy"),
        "{}",
        r.stdout
    );
    let alloc = line_at(
        &r.stdout,
        "alicloud_eip_address.second: Creation complete",
        None,
    );
    let release = line_at(
        &r.stdout,
        "alicloud_eip_address.second: Destroying...",
        None,
    );
    assert!(alloc < release, "{}", r.stdout);
    // The old object went, the new one stayed and is the one in state.
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
    let cloud: serde_json::Value =
        serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("json");
    assert_eq!(
        cloud["eip_addresses"].as_object().map(|m| m.len()),
        Some(2),
        "{cloud}"
    );
}

#[test]
fn a_second_region_through_a_provider_alias() {
    let env = env_with(
        r#"
provider "alicloud" {
  alias  = "bj"
  region = "cn-beijing"
  simulator {}
}

data "alicloud_instances" "bj" {
  provider   = alicloud.bj
  name_regex = "^bj-web-1$"
}

resource "alicloud_ecs_network_interface" "bj" {
  provider           = alicloud.bj
  vswitch_id         = data.alicloud_instances.bj.instances[0].vswitch_id
  security_group_ids = data.alicloud_instances.bj.instances[0].security_groups
}

resource "alicloud_eip_address" "bj" {
  provider = alicloud.bj
}

resource "alicloud_eip_association" "bj" {
  provider      = alicloud.bj
  allocation_id = alicloud_eip_address.bj.id
  instance_id   = alicloud_ecs_network_interface.bj.id
}
"#,
    );
    ok(&env, &["apply", "--auto-approve"]);
    let state = env.read("netform.tfstate").unwrap_or_default();
    assert!(
        state.contains("eni-2ze") && state.contains("\"region\": \"cn-beijing\""),
        "{state}"
    );
    assert!(
        state.contains("provider[\\\"registry.terraform.io/aliyun/alicloud\\\"].bj"),
        "{state}"
    );
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
    env.write(
        "extra.hcl",
        "resource \"alicloud_eip_address\" \"x\" {\n  provider = alicloud.sh\n}\n",
    );
    let r = env.run(&["plan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("alicloud.sh, which is not declared"),
        "{}",
        r.stderr
    );
}

#[test]
fn import_adopts_an_existing_eip_and_plan_diffs_it() {
    let env = env_with(
        "resource \"alicloud_eip_address\" \"adopted\" {\n  address_name = \"made-elsewhere\"\n  bandwidth    = 5\n}\n",
    );
    let r = env.run(&[
        "sim",
        "call",
        "AllocateEipAddress",
        "Name=made-elsewhere",
        "Bandwidth=5",
        "ClientToken=outside-1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let created: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let id = created["AllocationId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let r = env.run(&["import", "alicloud_eip_address.adopted", &id]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        env.run(&["plan", "--detailed-exitcode"]).code,
        0,
        "the adopted EIP matches its configuration"
    );
    let r = env.run(&["import", "alicloud_eip_address.adopted", &id]);
    assert_eq!(r.code, 1, "importing twice is refused");
    let r = env.run(&["import", "alicloud_eip_address.nope", &id]);
    assert!(
        r.code == 1 && r.stderr.contains("not declared in the configuration"),
        "{}",
        r.stderr
    );
}

#[test]
fn ctrl_c_finishes_what_is_in_flight_records_it_and_stops() {
    interrupted_by("INT");
}

/// What a CI runner sends when a job is cancelled (SIGTERM) or its terminal goes (SIGHUP) is
/// handled like Ctrl-C.
#[test]
fn sigterm_and_sighup_are_handled_like_ctrl_c() {
    interrupted_by("TERM");
    interrupted_by("HUP");
}

fn interrupted_by(signal: &str) {
    let env = Env::copy_of("examples/nat-gateway");
    let child = env
        .cmd(&["apply", "--auto-approve", "--parallelism", "1"])
        .env("NETFORM_SIM_FAULTS", r#"{"latency_ms": 40}"#)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !env.exists("netform.tfstate.journal") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let pid = child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status();
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("apply was interrupted") && stderr.contains("not started"),
        "{stderr}"
    );
    assert!(
        env.exists("netform.tfstate") && !env.exists("netform.tfstate.journal"),
        "state folded on the way out"
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cloud: serde_json::Value =
        serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("json");
    assert_eq!(
        cloud["eip_addresses"].as_object().map(|m| m.len()),
        Some(4),
        "{cloud}"
    );
}

#[test]
fn locals_and_outputs_known_only_after_apply_are_resolved_in_dependency_order() {
    let env = env_with(
        r#"
resource "alicloud_eip_address" "x" {}

resource "alicloud_eip_address" "y" {
  # Known only once x exists: resolved during apply, before y is allocated.
  description = local.a
}

locals {
  a = "after-${local.b}"
  b = alicloud_eip_address.x.ip_address
}

output "label" {
  value = local.a
}
"#,
    );
    let r = env.run(&["plan"]);
    assert!(
        r.stdout
            .contains("description          = (known after apply)")
            && r.stdout.contains("+ label = (known after apply)"),
        "{}",
        r.stdout
    );
    let out = ok(&env, &["apply", "--auto-approve"]);
    let label = env.run(&["output", "--raw", "label"]).stdout;
    assert!(label.starts_with("after-47.96."), "{label}\n{out}");
    let state = env.read("netform.tfstate").unwrap_or_default();
    assert!(
        state.contains(&format!("\"description\": \"{label}\"")),
        "y got the resolved value:\n{state}"
    );
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn a_failed_operation_skips_its_dependents_and_independent_work_finishes() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run_env(
        &["apply", "--auto-approve"],
        &[(
            "NETFORM_SIM_FAULTS",
            r#"{"rates": {"AttachNetworkInterface": {"internal_error": 1.0}}}"#,
        )],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("AttachNetworkInterface failed: InternalError"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("not done (skipped): alicloud_eip_association.app#AssociateEipAddress"),
        "{}",
        r.stderr
    );
    // The EIP on the other instance has nothing to do with the attach and went ahead.
    assert!(
        r.stdout
            .contains("alicloud_eip_association.edge: Creation complete"),
        "{}",
        r.stdout
    );
    let state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("state");
    let types: Vec<&str> = state["resources"]
        .as_array()
        .map(|rs| rs.iter().filter_map(|r| r["type"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        types.contains(&"alicloud_eip_association")
            && !types.contains(&"alicloud_ecs_network_interface_attachment"),
        "{state}"
    );
    // A server error may come after the cloud acted: the attach stays pending, for the next
    // run to settle before it plans.
    assert_eq!(
        state["pending_operations"][0]["operation"]["action"], "AttachNetworkInterface",
        "{state}"
    );
    // Once the fault is gone, apply finishes the rest.
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // The ENI came with its addresses: only the attachment and the binding are left.
    assert!(
        r.stdout.contains("2 added, 0 changed, 0 destroyed"),
        "{}",
        r.stdout
    );
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn lowering_a_count_never_removes_an_address_an_eip_is_bound_to() {
    let env = env_with(
        r#"
resource "alicloud_ecs_network_interface" "a" {
  vswitch_id                         = "vsw-bp1web0000000000000"
  security_group_ids                 = ["sg-bp1basic000000000000"]
  primary_ip_address                 = "192.168.1.30"
  secondary_private_ip_address_count = 4
}

resource "alicloud_eip_address" "e" {}

resource "alicloud_eip_association" "e" {
  allocation_id      = alicloud_eip_address.e.id
  instance_id        = alicloud_ecs_network_interface.a.id
  private_ip_address = element(tolist(alicloud_ecs_network_interface.a.private_ip_addresses), 3)
}
"#,
    );
    ok(&env, &["apply", "--auto-approve"]);
    let state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("json");
    let bound = state["resources"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["type"] == "alicloud_eip_association"))
        .map(|x| {
            x["instances"][0]["attributes"]["private_ip_address"]
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    assert!(bound.starts_with("192.168.1."), "{state}");
    let main = env.read("main.hcl").unwrap_or_default();
    env.write(
        "main.hcl",
        &main.replace("= 4", "= 2").replace(
            "element(tolist(alicloud_ecs_network_interface.a.private_ip_addresses), 3)",
            &format!("\"{bound}\""),
        ),
    );
    let r = env.run(&["plan"]);
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains(&format!("- \"{bound}\"")),
        "the bound address stays:\n{}",
        r.stdout
    );
    ok(&env, &["apply", "--auto-approve"]);
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
}

#[test]
fn shrinking_a_count_drops_the_gone_instances_from_outputs_and_exclude_is_exact() {
    let env = env_with(
        r#"
variable "n" {
  type    = number
  default = 3
}

resource "alicloud_eip_address" "e" {
  count = var.n
}

resource "alicloud_eip_address" "ip" {}
resource "alicloud_eip_address" "ip2" {}

resource "alicloud_eip_association" "a" {
  allocation_id = alicloud_eip_address.ip.id
  instance_id   = data.alicloud_instances.web1.instances[0].id
}

output "ips" {
  value = alicloud_eip_address.e[*].ip_address
}
"#,
    );
    let r = env.run(&["plan", "--exclude", "alicloud_eip_address.ip2"]);
    assert!(
        r.stdout
            .contains("alicloud_eip_association.a will be created"),
        "a depends on ip, not ip2:\n{}",
        r.stdout
    );
    ok(&env, &["apply", "--auto-approve"]);
    ok(&env, &["apply", "--auto-approve", "--var", "n=1"]);
    let j: serde_json::Value =
        serde_json::from_str(&env.run(&["output", "--json", "ips"]).stdout).expect("json");
    assert_eq!(j.as_array().map(Vec::len), Some(1), "{j}");
    assert_eq!(
        env.run(&["plan", "--detailed-exitcode", "--var", "n=1"])
            .code,
        0
    );
}

#[test]
fn an_expression_that_fails_once_values_are_known_fails_its_operation_with_the_location() {
    let env = env_with(
        r#"
resource "alicloud_ecs_network_interface" "a" {
  vswitch_id                         = "vsw-bp1web0000000000000"
  security_group_ids                 = ["sg-bp1basic000000000000"]
  secondary_private_ip_address_count = 2
}

resource "alicloud_eip_address" "e" {}

resource "alicloud_eip_association" "e" {
  allocation_id      = alicloud_eip_address.e.id
  instance_id        = alicloud_ecs_network_interface.a.id
  private_ip_address = alicloud_ecs_network_interface.a.private_ip_addresses[0]
}
"#,
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("netform.Configuration")
            && r.stderr.contains("main.hcl:22:")
            && r.stderr.contains("set"),
        "{}",
        r.stderr
    );
}

#[test]
fn sensitive_values_stay_out_of_plans_and_plan_files() {
    let env = env_with(
        r#"
variable "token" {
  type      = string
  sensitive = true
}

locals {
  label = "svc-${var.token}"
}

resource "alicloud_eip_address" "s" {
  description = local.label
}
"#,
    );
    let secret = [("NETFORM_VAR_token", "hunter2-secret")];
    let r = env.run_env(&["plan", "--out", "s.tfplan"], &secret);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("description          = (sensitive value)"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("hunter2"));
    let saved = env.read("s.tfplan").unwrap_or_default();
    assert!(
        !saved.contains("hunter2"),
        "the plan file holds no sensitive value"
    );
    let r = env.run_env(&["plan", "--format", "json"], &secret);
    assert!(
        !r.stdout.contains("hunter2") && r.stdout.contains("\"after_sensitive\""),
        "{}",
        r.stdout
    );
    // Applying the saved plan evaluates the sensitive attribute again from the variable.
    let r = env.run_env(&["apply", "s.tfplan"], &secret);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("hunter2"));
    assert!(
        env.read("netform.tfstate")
            .unwrap_or_default()
            .contains("svc-hunter2-secret")
    );
    // An output that shows it must say it is sensitive.
    env.write("out.hcl", "output \"leak\" {\n  value = local.label\n}\n");
    let r = env.run_env(&["plan"], &secret);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("output \"leak\" refers to sensitive values")
            && r.stderr.contains("sensitive = true"),
        "{}",
        r.stderr
    );
}

#[test]
fn targeting_warns_on_a_typo_and_auto_tfvars_warn_on_undeclared_names() {
    let env = env_with("resource \"alicloud_eip_address\" \"x\" {}\n");
    env.write("extra.auto.tfvars", "nope = 1\n");
    let r = env.run(&["plan", "--target", "alicloud_eip_adress.x"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("alicloud_eip_adress.x matches no resource")
            && r.stderr.contains("did you mean alicloud_eip_address.x?"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("resource targeting is in effect"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("extra.auto.tfvars sets \"nope\", which is not declared"),
        "{}",
        r.stderr
    );
}

#[test]
fn every_resource_kind_imports_back_to_an_empty_plan() {
    let env = Env::copy_of("examples/quickstart");
    ok(&env, &["apply", "--auto-approve"]);
    let state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("json");
    let mut ids = Vec::new();
    for r in state["resources"].as_array().cloned().unwrap_or_default() {
        let addr = format!(
            "{}.{}",
            r["type"].as_str().unwrap_or(""),
            r["name"].as_str().unwrap_or("")
        );
        ids.push((
            addr,
            r["instances"][0]["attributes"]["id"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        ));
    }
    assert_eq!(ids.len(), 6);
    for (addr, _) in &ids {
        assert_eq!(env.run(&["state", "rm", addr]).code, 0);
    }
    for (addr, id) in &ids {
        let r = env.run(&["import", addr, id]);
        assert_eq!(r.code, 0, "{addr} {id}: {}", r.stderr);
    }
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        r.code, 0,
        "imported objects match their configuration:\n{}",
        r.stdout
    );
    assert_eq!(
        env.run(&[
            "state",
            "rm",
            "alicloud_ecs_network_interface_attachment.app"
        ])
        .code,
        0
    );
    let r = env.run(&[
        "import",
        "alicloud_ecs_network_interface_attachment.app",
        "not-a-pair",
    ]);
    assert!(
        r.code == 1 && r.stderr.contains("ENI_ID:INSTANCE_ID"),
        "{}",
        r.stderr
    );
}

/// A crashed run's journal is folded into the state file by the next apply even when that apply
/// has nothing to do, so the serial moves on and later ClientTokens never repeat the crashed
/// run's.
#[test]
fn an_apply_with_nothing_to_do_still_folds_a_crashed_runs_journal() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").expect("state")).expect("json");
    let serial = state["serial"].as_u64().expect("serial");
    let lineage = state["lineage"].as_str().expect("lineage");
    let eip = state["resources"]
        .as_array()
        .and_then(|rs| {
            rs.iter()
                .find(|r| r["type"] == "alicloud_eip_address" && r["name"] == "edge")
        })
        .expect("the edge EIP");
    // What a run killed just after recording its last operation leaves behind.
    let entry = serde_json::json!({
        "op": "set",
        "address": "alicloud_eip_address.edge",
        "attributes": eip["instances"][0]["attributes"],
        "dependencies": [],
    });
    env.write(
        "netform.tfstate.journal",
        &format!("{{\"journal\":1,\"lineage\":\"{lineage}\"}}\n{entry}\n"),
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("No changes"), "{}", r.stdout);
    assert!(
        !env.exists("netform.tfstate.journal"),
        "the journal was folded"
    );
    let after: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").expect("state")).expect("json");
    assert_eq!(after["serial"].as_u64(), Some(serial + 1));
}

/// Kills an apply of `example` (one operation at a time, slowed) once its journal holds
/// `intents` intents: operations are then in flight.
fn killed_mid_apply(example: &str, intents: usize) -> Env {
    let env = Env::copy_of(example);
    let mut child = env
        .cmd(&["apply", "--auto-approve", "--parallelism", "1"])
        .env("NETFORM_SIM_FAULTS", r#"{"latency_ms": 30}"#)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        let n = env
            .read("netform.tfstate.journal")
            .map(|j| j.matches("\"op\":\"intent\"").count())
            .unwrap_or(0);
        if n >= intents {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(env.exists("netform.tfstate.journal"), "killed mid-run");
    env
}

/// After a crash, `plan` settles the pending operations only in memory: it shows what is left
/// without refusing anything, and changes neither the state, its journal nor the cloud; the
/// next apply settles them for real and converges, nothing made twice.
#[test]
fn a_plan_after_a_crash_looks_without_changing_anything_and_apply_converges() {
    let env = killed_mid_apply("examples/web-tier", 8);
    let files = |env: &Env| {
        (
            env.read("netform.tfstate"),
            env.read("netform.tfstate.journal"),
            env.run(&["sim", "show"]).stdout,
        )
    };
    let before = files(&env);
    let r = env.run(&["plan"]);
    assert_ne!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(files(&env), before, "plan changed nothing");
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Settled"), "{}", r.stderr);
    assert!(!env.exists("netform.tfstate.journal"));
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
    let cloud: serde_json::Value =
        serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("json");
    assert_eq!(cloud["eip_addresses"].as_object().map(|m| m.len()), Some(3));
    let enis = cloud["network_interfaces"]
        .as_object()
        .map(|m| m.values().filter(|e| e["Type"] != "Primary").count());
    assert_eq!(enis, Some(3), "{cloud}");
}

/// A saved plan cannot know what an interrupted run's pending operations did: applying it is
/// refused as stale, before any call, and apply without it settles them.
#[test]
fn a_saved_plan_is_stale_while_an_interrupted_run_has_operations_to_settle() {
    let env = Env::copy_of("examples/web-tier");
    let r = env.run(&["plan", "--out", "web.plan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let env2 = killed_mid_apply("examples/web-tier", 4);
    std::fs::copy(env.path().join("web.plan"), env2.path().join("web.plan")).expect("copy");
    let before = env2.run(&["sim", "show"]).stdout;
    let r = env2.run(&["apply", "web.plan"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    assert_eq!(env2.run(&["sim", "show"]).stdout, before);
    let r = env2.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// `state rm` forgets the pending operations of what it removes: the next apply does not bring
/// the address back by settling them.
#[test]
fn state_rm_drops_the_pending_operations_of_what_it_removes() {
    let env = Env::copy_of("examples/quickstart");
    assert_eq!(env.run(&["apply", "--auto-approve"]).code, 0);
    let mut state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").expect("state")).expect("json");
    state["pending_operations"] = serde_json::json!([{
        "id": "pending-1",
        "operation": {"id": "alicloud_eip_address.edge#ModifyEipAddressAttribute",
                      "action": "ModifyEipAddressAttribute", "address": "alicloud_eip_address.edge",
                      "phase": "apply", "depends_on": []},
        "change": "update", "token": "pending-1", "planned": {}
    }]);
    env.write("netform.tfstate", &state.to_string());
    let r = env.run(&["state", "rm", "alicloud_eip_address.edge"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let after = env.read("netform.tfstate").expect("state");
    assert!(!after.contains("pending_operations"), "{after}");
}

/// Two ENIs that each take an automatic primary address and then named secondary ones: the
/// "named addresses first" ordering once closed a cycle between them, and apply reported
/// success with their operations never run.
#[test]
fn enis_with_automatic_primaries_and_named_secondaries_are_all_created() {
    let env = env_with(
        r#"
resource "alicloud_ecs_network_interface" "e" {
  count                = 3
  vswitch_id           = "vsw-bp1web0000000000000"
  security_group_ids   = ["sg-bp1basic000000000000"]
  private_ip_addresses = ["192.168.1.${130 + count.index * 3}", "192.168.1.${131 + count.index * 3}"]
}
"#,
    );
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("3 added"), "{}", r.stdout);
    assert_eq!(env.run(&["plan", "--detailed-exitcode"]).code, 0);
}
