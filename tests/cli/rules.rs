//! Alibaba's rules end to end (rules.md): every rule has a violating fixture whose plan exits 1
//! naming the rule (its diagnostic snapshot-tested) and writing no plan file, and a near-miss
//! fixture, valid and exactly at the limit, that applies. A rule broken between plan and apply by
//! another client is refused by the simulator with the rule's code.

use std::path::PathBuf;

use crate::harness::{Env, redact, repo};

/// `(rule id, variant dir)` for every fixture under fixtures/rules.
fn fixtures(prefix: &str) -> Vec<(String, String)> {
    let root = repo().join("fixtures/rules");
    let mut out = Vec::new();
    for rule in std::fs::read_dir(&root).expect("fixtures/rules") {
        let rule = rule.expect("entry").path();
        for v in std::fs::read_dir(&rule).expect("rule dir") {
            let v: PathBuf = v.expect("entry").path();
            let name = v
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with(prefix) {
                let id = rule
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                out.push((id, name));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_rule_has_a_violating_and_a_near_miss_fixture() {
    for r in netform::rules::RULES {
        for kind in ["violate", "near-miss"] {
            let p = repo()
                .join("fixtures/rules")
                .join(r.id)
                .join(kind)
                .join("main.hcl");
            assert!(p.exists(), "missing {}", p.display());
        }
    }
    let ids: Vec<String> = fixtures("violate").into_iter().map(|x| x.0).collect();
    for id in &ids {
        assert!(
            netform::rules::rule(id).is_some(),
            "fixture for unknown rule {id}"
        );
    }
}

#[test]
fn violating_fixtures_exit_1_naming_the_rule_and_write_no_plan() {
    let mut failures = Vec::new();
    for (rule, variant) in fixtures("violate") {
        let env = Env::copy_of(&format!("fixtures/rules/{rule}/{variant}"));
        let r = env.run(&["plan", "--out", "p.tfplan"]);
        if r.code != 1 || !r.stderr.contains(&format!("error[{rule}]")) {
            failures.push(format!("{rule}/{variant}: exit {}\n{}", r.code, r.stderr));
            continue;
        }
        assert!(
            !env.exists("p.tfplan"),
            "{rule}/{variant} wrote a plan file"
        );
        assert!(
            !env.exists("netform.tfstate"),
            "{rule}/{variant} wrote state"
        );
        insta::assert_snapshot!(format!("rule_{rule}_{variant}"), redact(&r.stderr));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn near_miss_fixtures_apply() {
    let mut failures = Vec::new();
    for (rule, variant) in fixtures("near-miss") {
        let env = Env::copy_of(&format!("fixtures/rules/{rule}/{variant}"));
        let r = env.run(&["apply", "--auto-approve"]);
        if r.code != 0 {
            failures.push(format!(
                "{rule}/{variant}: exit {}\n{}{}",
                r.code, r.stdout, r.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_violation_made_outside_netform_between_plan_and_apply_is_refused() {
    // At the limit: nat-target (ecs.g6.large) takes 2 ENIs and the plan attaches the second.
    let env = Env::copy_of("fixtures/rules/eni-per-instance/near-miss");
    let r = env.run(&["plan", "--out", "p.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Another client attaches an ENI to the same instance first.
    let r = env.run(&[
        "sim",
        "call",
        "CreateNetworkInterface",
        "VSwitchId=vsw-bp1app0000000000000",
        "SecurityGroupId=sg-bp1basic000000000000",
        "ClientToken=outside-1",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let id = regex_lite::Regex::new(r"eni-bp1[a-z0-9]{17}")
        .expect("regex")
        .find(&r.stdout)
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| panic!("no ENI id in {}", r.stdout));
    let r = env.run(&[
        "sim",
        "call",
        "AttachNetworkInterface",
        &format!("NetworkInterfaceId={id}"),
        "InstanceId=i-bp1nattarget000000",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // Loading the saved plan re-evaluates it against the cloud, and the plan-time check sees
    // the instance's new ENI: the apply stops before any call, with exit 1.
    let r = env.run(&["apply", "p.tfplan"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("ecs.g6.large takes 2"), "{all}");
    assert!(
        !env.exists("netform.tfstate")
            || !env
                .read("netform.tfstate")
                .unwrap_or_default()
                .contains("network_interface_attachment"),
        "{all}"
    );
    // The simulator enforces the same rule on the same call, with its code, whoever makes it.
    let r = env.run(&[
        "sim",
        "call",
        "CreateNetworkInterface",
        "VSwitchId=vsw-bp1app0000000000000",
        "SecurityGroupId=sg-bp1basic000000000000",
        "ClientToken=outside-2",
    ]);
    let id2 = regex_lite::Regex::new(r"eni-bp1[a-z0-9]{17}")
        .expect("regex")
        .find(&r.stdout)
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| panic!("no ENI id in {}", r.stdout));
    let r = env.run(&[
        "sim",
        "call",
        "AttachNetworkInterface",
        &format!("NetworkInterfaceId={id2}"),
        "InstanceId=i-bp1nattarget000000",
    ]);
    assert_ne!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("EniPerInstanceLimitExceeded"), "{all}");
    assert!(all.contains("eni-per-instance"), "{all}");
}

/// One generated case: ENIs with secondary IPs attached to one instance of the built-in world.
#[derive(Debug, Clone)]
struct Case {
    instance: (&'static str, &'static str, &'static str),
    enis: usize,
    ips: usize,
}

fn case_hcl(c: &Case) -> String {
    let mut s =
        String::from("provider \"alicloud\" {\n  region = \"cn-hangzhou\"\n  simulator {}\n}\n");
    for i in 0..c.enis {
        s.push_str(&format!(
            "\nresource \"alicloud_ecs_network_interface\" \"e{i}\" {{\n  vswitch_id = \"{}\"\n  security_group_ids = [\"sg-bp1basic000000000000\"]\n  secondary_private_ip_address_count = {}\n}}\n\nresource \"alicloud_ecs_network_interface_attachment\" \"e{i}\" {{\n  network_interface_id = alicloud_ecs_network_interface.e{i}.id\n  instance_id = \"{}\"\n}}\n",
            c.instance.2, c.ips, c.instance.0
        ));
    }
    s
}

fn rule_ids(stderr: &str) -> std::collections::BTreeSet<String> {
    regex_lite::Regex::new(r"error\[([a-z0-9-]+)\]")
        .expect("regex")
        .captures_iter(stderr)
        .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
        .collect()
}

/// The same operations the plan would make, straight to an in-memory simulator with no check:
/// the first rule the simulator refuses on.
fn simulator_refusal(c: &Case) -> Option<String> {
    use netform::provider::Transport;
    use netform::provider::sim::{Sim, world::World};
    let sim = Sim::in_memory(World::builtin()).expect("built-in world");
    let call = |action: &str, kv: &[(&str, String)]| {
        let p: netform::provider::Params =
            kv.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        sim.call(action, &p)
    };
    let mut ids = Vec::new();
    for i in 0..c.enis {
        let j = call(
            "CreateNetworkInterface",
            &[
                ("RegionId", "cn-hangzhou".into()),
                ("VSwitchId", c.instance.2.into()),
                ("SecurityGroupId", "sg-bp1basic000000000000".into()),
                ("ClientToken", format!("prop-{i}")),
            ],
        );
        match j {
            Ok(j) => ids.push(
                j["NetworkInterfaceId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ),
            Err(e) => return e.rule().map(str::to_string),
        }
    }
    for id in &ids {
        if let Err(e) = call(
            "AttachNetworkInterface",
            &[
                ("NetworkInterfaceId", id.clone()),
                ("InstanceId", c.instance.0.into()),
            ],
        ) {
            return e.rule().map(str::to_string);
        }
    }
    for (n, id) in ids.iter().enumerate() {
        let mut left = c.ips;
        let mut k = 0;
        while left > 0 {
            let b = left.min(10);
            if let Err(e) = call(
                "AssignPrivateIpAddresses",
                &[
                    ("NetworkInterfaceId", id.clone()),
                    ("SecondaryPrivateIpAddressCount", b.to_string()),
                    ("ClientToken", format!("prop-a{n}-{k}")),
                ],
            ) {
                return e.rule().map(str::to_string);
            }
            left -= b;
            k += 1;
        }
    }
    None
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Both directions: a plan the check passes applies without a rule error; a case that breaks
    /// exactly one rule is named by the check, and the simulator, given the same operations
    /// unchecked, refuses with that rule.
    #[test]
    fn check_and_simulator_agree(
        inst in proptest::sample::select(vec![
            ("i-bp1web1000000000000", "ecs.g7.xlarge", "vsw-bp1web0000000000000"),
            ("i-bp1web2000000000000", "ecs.g6.xlarge", "vsw-bp1web0000000000000"),
            ("i-bp1nattarget000000", "ecs.g6.large", "vsw-bp1app0000000000000"),
            ("i-bp1appstop00000000", "ecs.g7.large", "vsw-bp1app0000000000000"),
        ]),
        enis in 1usize..=4,
        ips in 0usize..=16,
    ) {
        let c = Case { instance: inst, enis, ips };
        let env = Env::empty();
        env.write("main.hcl", &case_hcl(&c));
        let r = env.run(&["plan"]);
        let found = rule_ids(&r.stderr);
        if r.code == 0 {
            let a = env.run(&["apply", "--auto-approve"]);
            proptest::prop_assert_eq!(a.code, 0, "{:?}: check passed, apply failed:\n{}{}", c, a.stdout, a.stderr);
            proptest::prop_assert_eq!(simulator_refusal(&c), None);
        } else {
            proptest::prop_assert_eq!(r.code, 1, "{}", r.stderr);
            proptest::prop_assert!(!found.is_empty(), "{}", r.stderr);
            if found.len() == 1 {
                let rule = found.iter().next().cloned();
                proptest::prop_assert_eq!(simulator_refusal(&c), rule, "{:?}\n{}", c, r.stderr);
            } else {
                proptest::prop_assert!(simulator_refusal(&c).is_some_and(|x| found.contains(&x)), "{:?}\n{}", c, r.stderr);
            }
        }
    }
}
