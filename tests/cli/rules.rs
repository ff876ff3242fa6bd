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
