//! Alibaba's list calls answer 10 entries unless asked for more, and the simulator pages the same
//! way. An account with a dozen of everything must lose nothing: every data source sees all
//! twelve, and the twelfth instance (on the second page) can be used.

use serde_json::{Value as J, json};

use crate::harness::Env;

const N: usize = 12;

/// A world with N of every listable kind in one VPC, each vSwitch a /24 of its own.
fn world() -> J {
    let vsw = |i: usize| format!("vsw-bp1page{i:02}0000000000");
    let instances: Vec<J> = (0..N)
        .map(|i| {
            json!({
                "id": format!("i-bp1page{i:02}00000000000"), "name": format!("page-{i:02}"),
                "region": "cn-hangzhou", "zone_id": "cn-hangzhou-h", "instance_type": "ecs.g7.xlarge",
                "status": "Running", "vpc_id": "vpc-bp1page000000000000", "vswitch_id": vsw(i),
                "private_ip": format!("10.0.{i}.10"), "security_group_ids": ["sg-bp1page00000000000000"]
            })
        })
        .collect();
    json!({
        "seed": 3,
        "regions": [{"id": "cn-hangzhou", "zones": ["cn-hangzhou-h"]}],
        "vpcs": [{"id": "vpc-bp1page000000000000", "region": "cn-hangzhou", "cidr_block": "10.0.0.0/16"}],
        "vswitches": (0..N).map(|i| json!({"id": vsw(i), "vpc_id": "vpc-bp1page000000000000",
            "zone_id": "cn-hangzhou-h", "cidr_block": format!("10.0.{i}.0/24")})).collect::<Vec<_>>(),
        "security_groups": (0..N).map(|i| json!({"id": format!("sg-bp1page{i:02}000000000000"),
            "vpc_id": "vpc-bp1page000000000000", "security_group_type": "normal"})).collect::<Vec<_>>(),
        "instances": instances,
        "nat_gateways": (0..N).map(|i| json!({"id": format!("ngw-bp1page{i:02}0000000000"),
            "region": "cn-hangzhou", "vpc_id": "vpc-bp1page000000000000", "dnat_ips": []})).collect::<Vec<_>>(),
        "havips": (0..N).map(|i| json!({"id": format!("havip-bp1page{i:02}0000000000"), "vswitch_id": vsw(i),
            "ip_address": format!("10.0.{i}.100"), "status": "Available"})).collect::<Vec<_>>(),
        "slbs": (0..N).map(|i| json!({"id": format!("lb-bp1page{i:02}00000000000"), "region": "cn-hangzhou",
            "address_type": "intranet", "vswitch_id": vsw(i), "address": format!("10.0.{i}.200")})).collect::<Vec<_>>(),
    })
}

const CONFIG: &str = r#"
provider "alicloud" {
  region = "cn-hangzhou"
  simulator {
    world = "world.json"
  }
}

data "alicloud_instances" "all" {}
data "alicloud_vswitches" "all" {}
data "alicloud_security_groups" "all" {}
data "alicloud_nat_gateways" "all" {}
data "alicloud_havips" "all" {}
data "alicloud_slb_load_balancers" "all" {}

locals {
  last = [for i in data.alicloud_instances.all.instances : i if i.name == "page-11"][0]
}

resource "alicloud_ecs_network_interface" "last" {
  vswitch_id         = local.last.vswitch_id
  security_group_ids = local.last.security_groups
}

resource "alicloud_ecs_network_interface_attachment" "last" {
  network_interface_id = alicloud_ecs_network_interface.last.id
  instance_id          = local.last.id
}

output "counts" {
  value = [
    length(data.alicloud_instances.all.instances),
    length(data.alicloud_vswitches.all.vswitches),
    length(data.alicloud_security_groups.all.groups),
    length(data.alicloud_nat_gateways.all.gateways),
    length(data.alicloud_havips.all.havips),
    length(data.alicloud_slb_load_balancers.all.balancers),
  ]
}

output "last_primary_eni" {
  value = local.last.primary_network_interface_id
}
"#;

#[test]
fn a_dozen_of_everything_behind_ten_per_page_is_all_seen_and_usable() {
    let env = Env::empty();
    env.write("world.json", &world().to_string());
    env.write("main.hcl", CONFIG);
    let run = env.run(&["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let out = env.run(&["output", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let j: J = serde_json::from_str(&out.stdout).expect("output --json is JSON");
    let counts = j
        .pointer("/counts/value")
        .or_else(|| j.get("counts"))
        .cloned();
    assert_eq!(counts, Some(json!([N, N, N, N, N, N])), "{}", out.stdout);
    let eni = j
        .pointer("/last_primary_eni/value")
        .or_else(|| j.get("last_primary_eni"))
        .and_then(J::as_str)
        .unwrap_or_default()
        .to_string();
    assert!(
        eni.starts_with("eni-"),
        "the 12th instance's primary ENI: {}",
        out.stdout
    );
}
