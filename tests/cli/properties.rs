//! Property tests over generated configurations: plan → apply → plan is empty (also after a
//! random change), and apply never starts an operation before everything it depends on is done —
//! nor before what Alibaba's ordering rules require (attach → assign → bind).

use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;

use crate::harness::Env;

#[derive(Clone, Debug)]
struct EniSpec {
    /// Secondary addresses as a list (offsets into the vSwitch), or a count.
    ips: Result<Vec<u8>, u8>,
    /// Attach to web-1 (0) or web-2 (1), or leave unattached.
    attach: Option<u8>,
    /// Bind an EIP (to the first listed address, or the primary).
    eip: bool,
}

fn eni_spec() -> impl Strategy<Value = EniSpec> {
    (
        prop_oneof![
            prop::collection::btree_set(0u8..24, 0..5).prop_map(|s| Ok(s.into_iter().collect())),
            (0u8..5).prop_map(Err)
        ],
        prop::option::of(0u8..2),
        any::<bool>(),
    )
        .prop_map(|(ips, attach, eip)| EniSpec { ips, attach, eip })
}

/// At most 2 ENIs per instance keeps every generated case inside ecs.g6.xlarge's 3 ENIs.
fn specs() -> impl Strategy<Value = Vec<EniSpec>> {
    prop::collection::vec(eni_spec(), 0..4).prop_map(|mut v| {
        let mut per = [0; 2];
        for s in &mut v {
            if let Some(i) = s.attach {
                per[i as usize] += 1;
                if per[i as usize] > 2 {
                    s.attach = None;
                }
            }
        }
        v
    })
}

/// Distinct addresses per ENI: ENI i takes 101 + 25*i + k (k < 24), clear of the world's
/// instances (.10–.14), HAVIP (.100) and SLB (.200); its primary is .20 + i.
fn render(specs: &[EniSpec], bind_instance_eip: bool) -> String {
    let mut s = String::from(
        "provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n  simulator {}\n}\n\n\
         data \"alicloud_instances\" \"web\" {\n  name_regex = \"^web-\"\n}\n\n\
         locals {\n  hosts = { for i in data.alicloud_instances.web.instances : i.name => i }\n}\n",
    );
    for (i, e) in specs.iter().enumerate() {
        let base = 101 + 25 * i as u32;
        s.push_str(&format!(
            "\nresource \"alicloud_ecs_network_interface\" \"e{i}\" {{\n  vswitch_id         = \"vsw-bp1web0000000000000\"\n  security_group_ids = [\"sg-bp1basic000000000000\"]\n  primary_ip_address = \"192.168.{}.{}\"\n",
            1,
            20 + i
        ));
        match &e.ips {
            Ok(list) => {
                let ips: Vec<String> = list
                    .iter()
                    .map(|o| format!("\"192.168.1.{}\"", base + *o as u32))
                    .collect();
                s.push_str(&format!("  private_ip_addresses = [{}]\n", ips.join(", ")));
            }
            Err(n) => s.push_str(&format!("  secondary_private_ip_address_count = {n}\n")),
        }
        s.push_str("}\n");
        if let Some(h) = e.attach {
            s.push_str(&format!(
                "\nresource \"alicloud_ecs_network_interface_attachment\" \"a{i}\" {{\n  network_interface_id = alicloud_ecs_network_interface.e{i}.id\n  instance_id          = local.hosts[\"web-{}\"].id\n}}\n",
                h + 1
            ));
        }
        if e.eip {
            // Always explicit: an omitted private_ip_address keeps whatever it was bound to, and
            // removing that address under it is a rule violation, not a valid case.
            let ip = match &e.ips {
                Ok(list) if !list.is_empty() => format!(
                    "\n  private_ip_address = \"192.168.1.{}\"",
                    base + list[0] as u32
                ),
                _ => format!("\n  private_ip_address = \"192.168.1.{}\"", 20 + i),
            };
            s.push_str(&format!(
                "\nresource \"alicloud_eip_address\" \"p{i}\" {{\n  address_name = \"p{i}\"\n}}\n\nresource \"alicloud_eip_association\" \"p{i}\" {{\n  allocation_id = alicloud_eip_address.p{i}.id\n  instance_id   = alicloud_ecs_network_interface.e{i}.id{ip}\n}}\n"
            ));
        }
    }
    if bind_instance_eip {
        s.push_str("\nresource \"alicloud_eip_address\" \"inst\" {}\n\nresource \"alicloud_eip_association\" \"inst\" {\n  allocation_id = alicloud_eip_address.inst.id\n  instance_id   = local.hosts[\"web-2\"].id\n}\n");
    }
    s
}

/// Checks an apply's JSON events against the saved plan's operation graph.
fn check_order(plan_json: &serde_json::Value, events: &str) {
    let ops = plan_json["operations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let deps: BTreeMap<String, Vec<String>> = ops
        .iter()
        .map(|o| {
            (
                o["id"].as_str().unwrap_or("").to_string(),
                o["depends_on"]
                    .as_array()
                    .map(|d| {
                        d.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut started = 0;
    for line in events.lines() {
        let Ok(e) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let op = e["hook"]["op"].as_str().unwrap_or("").to_string();
        match e["type"].as_str() {
            Some("apply_start") => {
                started += 1;
                for d in deps.get(&op).cloned().unwrap_or_default() {
                    assert!(
                        done.contains(&d),
                        "{op} started before its dependency {d} was done\n{events}"
                    );
                }
                // The domain rules, independently of how the graph was built.
                if let Some(eni) = op.strip_suffix("#AssignPrivateIpAddresses") {
                    for (id, _) in deps
                        .iter()
                        .filter(|(id, _)| id.ends_with("#AttachNetworkInterface"))
                    {
                        let att_deps = &deps[id];
                        if att_deps
                            .iter()
                            .any(|d| d == &format!("{eni}#CreateNetworkInterface"))
                        {
                            assert!(done.contains(id), "{op} ran before the attach {id}");
                        }
                    }
                }
            }
            Some("apply_complete") => {
                done.insert(op);
            }
            _ => {}
        }
    }
    assert_eq!(started, ops.len(), "every operation ran once\n{events}");
}

/// Returns false when the plan is (rightly) refused because an address this configuration names
/// was taken by the cloud's automatic allocation in an earlier step: the case is not a valid
/// configuration for that cloud, and the checker saying so is the correct outcome.
fn apply_checked(env: &Env) -> bool {
    let r = env.run(&["plan", "--out", "p.tfplan"]);
    if r.code == 1 && r.stderr.contains("error[ip-unique]") && r.stderr.contains("already uses") {
        return false;
    }
    assert_eq!(
        r.code,
        0,
        "plan failed:\n{}\n{}\n{}",
        env.read("main.hcl").unwrap_or_default(),
        r.stdout,
        r.stderr
    );
    let show = env.run(&["show", "--json", "p.tfplan"]);
    let plan: serde_json::Value = serde_json::from_str(&show.stdout).expect("plan json");
    let r = env.run(&["apply", "--json", "--parallelism", "4", "p.tfplan"]);
    assert_eq!(
        r.code,
        0,
        "apply failed:\n{}\n{}\n{}",
        env.read("main.hcl").unwrap_or_default(),
        r.stdout,
        r.stderr
    );
    check_order(&plan, &r.stdout);
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(
        r.code,
        0,
        "plan after apply is not empty:\n{}\n{}",
        env.read("main.hcl").unwrap_or_default(),
        r.stdout
    );
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, max_shrink_iters: 20, ..ProptestConfig::default() })]

    #[test]
    fn plan_apply_plan_is_empty_and_order_holds(first in specs(), second in specs(), inst in any::<bool>()) {
        let env = Env::empty();
        env.write("main.hcl", &render(&first, inst));
        prop_assert!(apply_checked(&env), "the first step names only free addresses");
        // Any other configuration reached from there converges too (updates, replaces, deletes).
        env.write("main.hcl", &render(&second, !inst));
        if !apply_checked(&env) {
            return Ok(());
        }
        let r = env.run(&["destroy", "--auto-approve"]);
        prop_assert_eq!(r.code, 0, "{}", r.stderr);
        let cloud: serde_json::Value = serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("json");
        prop_assert_eq!(cloud, serde_json::json!({"eip_addresses": {}, "network_interfaces": {}}));
    }
}
