//! Scale benchmark: plan, apply, re-plan and destroy for N ENIs with 5 secondary IPs and an EIP
//! each, on the embedded simulator, through the real binary. Prints wall-clock figures and the
//! ratio between sizes measured in the same run (the machine is shared and noisy: compare ratios,
//! not absolute numbers). Run: `cargo bench --bench scale` (set NETFORM_BENCH_SIZES=100,1000 to
//! choose sizes).

// A benchmark's product is the figures it prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::Command;
use std::time::{Duration, Instant};

const WORLD: &str = r#"{
  "seed": 1,
  "profile": "current",
  "regions": [{ "id": "cn-hangzhou", "zones": ["cn-hangzhou-h", "cn-hangzhou-i"] }],
  "vpcs": [{ "id": "vpc-bp1bench00000000000", "region": "cn-hangzhou", "cidr_block": "10.0.0.0/8" }],
  "vswitches": [{ "id": "vsw-bp1bench00000000000", "vpc_id": "vpc-bp1bench00000000000", "zone_id": "cn-hangzhou-h", "cidr_block": "10.0.0.0/16" }],
  "security_groups": [{ "id": "sg-bp1bench00000000000", "vpc_id": "vpc-bp1bench00000000000", "security_group_type": "enterprise" }]
}"#;

fn config(n: usize) -> String {
    format!(
        r#"provider "alicloud" {{
  region = "cn-hangzhou"
  simulator {{
    world = "world.json"
  }}
}}

resource "alicloud_ecs_network_interface" "eni" {{
  count                              = {n}
  network_interface_name             = "bench-${{count.index}}"
  vswitch_id                         = "vsw-bp1bench00000000000"
  security_group_ids                 = ["sg-bp1bench00000000000"]
  secondary_private_ip_address_count = 5
}}

resource "alicloud_eip_address" "eip" {{
  count = {n}
}}

resource "alicloud_eip_association" "bind" {{
  count         = {n}
  allocation_id = alicloud_eip_address.eip[count.index].id
  instance_id   = alicloud_ecs_network_interface.eni[count.index].id
}}
"#
    )
}

fn run(dir: &std::path::Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_netform"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run netform");
    let took = start.elapsed();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(2),
        "netform {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

struct Row {
    n: usize,
    plan: Duration,
    apply: Duration,
    replan: Duration,
    destroy: Duration,
}

fn main() {
    let sizes: Vec<usize> = std::env::var("NETFORM_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1000]);
    let mut rows = Vec::new();
    for &n in &sizes {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("world.json"), WORLD).expect("world");
        std::fs::write(dir.path().join("main.hcl"), config(n)).expect("config");
        let plan = run(dir.path(), &["plan", "--detailed-exitcode"]);
        let apply = run(dir.path(), &["apply", "--auto-approve"]);
        let replan = run(dir.path(), &["plan", "--detailed-exitcode"]);
        let destroy = run(dir.path(), &["destroy", "--auto-approve"]);
        rows.push(Row {
            n,
            plan,
            apply,
            replan,
            destroy,
        });
    }
    println!(
        "{:>6} {:>10} {:>10} {:>10} {:>10} {:>14}",
        "ENIs", "plan", "apply", "re-plan", "destroy", "apply/resource"
    );
    for r in &rows {
        let resources = r.n * 3;
        println!(
            "{:>6} {:>9.2}s {:>9.2}s {:>9.2}s {:>9.2}s {:>12.2}ms",
            r.n,
            r.plan.as_secs_f64(),
            r.apply.as_secs_f64(),
            r.replan.as_secs_f64(),
            r.destroy.as_secs_f64(),
            r.apply.as_secs_f64() * 1000.0 / resources as f64
        );
    }
    if let (Some(a), Some(b)) = (rows.first(), rows.last())
        && b.n > a.n
    {
        let k = b.n as f64 / a.n as f64;
        println!(
            "\nsize ×{k:.0}: plan ×{:.1}, apply ×{:.1}, re-plan ×{:.1}, destroy ×{:.1} (linear would be ×{k:.0})",
            b.plan.as_secs_f64() / a.plan.as_secs_f64(),
            b.apply.as_secs_f64() / a.apply.as_secs_f64(),
            b.replan.as_secs_f64() / a.replan.as_secs_f64(),
            b.destroy.as_secs_f64() / a.destroy.as_secs_f64()
        );
    }
}
