//! The quickstart, as the "Done means" lists it: plan, apply in order, an empty second
//! plan, a one-address change, and a destroy that leaves nothing behind.

use crate::harness::{Env, line_at, redact};

#[test]
fn plan_shows_six_creations_and_exits_2() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    insta::assert_snapshot!("quickstart_plan", redact(&r.stdout));
    assert!(!env.exists("netform.tfstate"), "plan writes no state");
    assert!(!env.exists(".netform"), "plan creates no simulated cloud");
}

#[test]
fn apply_runs_in_dependency_order_then_plan_is_empty_then_destroy_empties_everything() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let out = &r.stdout;
    assert!(
        out.contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."),
        "{out}"
    );
    // create ENI (its four secondary IPs in the same call) → attach → bind the EIP to one of
    // them.
    let create = line_at(
        out,
        "alicloud_ecs_network_interface.app: Creation complete",
        None,
    );
    let attach = line_at(
        out,
        "alicloud_ecs_network_interface_attachment.app: Creation complete",
        None,
    );
    let bind_start = line_at(out, "alicloud_eip_association.app: Creating...", None);
    let alloc = line_at(out, "alicloud_eip_address.app: Creation complete", None);
    assert!(
        create < attach && attach < bind_start && alloc < bind_start,
        "{out}"
    );
    assert!(!out.contains("AssignPrivateIpAddresses"), "{out}");

    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("No changes. Your infrastructure matches the configuration.")
    );

    // One changed address: one in-place update with exactly one - and one +.
    let main = env.read("main.hcl").unwrap_or_default();
    env.write(
        "main.hcl",
        &main.replace(
            "cidrhost(local.cidr, 21 + i)",
            "i == 3 ? cidrhost(local.cidr, 30) : cidrhost(local.cidr, 21 + i)",
        ),
    );
    let r = env.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        r.stdout
    );
    let minus: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("- \""))
        .collect();
    let plus: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("+ \""))
        .collect();
    assert_eq!(minus, vec!["          - \"192.168.1.24\","], "{}", r.stdout);
    assert_eq!(plus, vec!["          + \"192.168.1.30\","], "{}", r.stdout);
    insta::assert_snapshot!("quickstart_one_ip_changed", redact(&r.stdout));
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{}",
        r.stdout
    );

    let r = env.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let out = &r.stdout;
    // Reverse order: unbind → unassign → detach → delete; release after unbind.
    let unbind = line_at(
        out,
        "alicloud_eip_association.app: Destruction complete",
        None,
    );
    let unassign = line_at(
        out,
        "alicloud_ecs_network_interface.app: Destroying...",
        Some("UnassignPrivateIpAddresses"),
    );
    let detach_start = line_at(
        out,
        "alicloud_ecs_network_interface_attachment.app: Destroying...",
        None,
    );
    let detach = line_at(
        out,
        "alicloud_ecs_network_interface_attachment.app: Destruction complete",
        None,
    );
    let delete = line_at(
        out,
        "alicloud_ecs_network_interface.app: Destroying...",
        Some("DeleteNetworkInterface"),
    );
    let release = line_at(out, "alicloud_eip_address.app: Destroying...", None);
    assert!(
        unbind < unassign && unassign < detach_start && detach < delete && unbind < release,
        "{out}"
    );
    let state: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("state json");
    assert_eq!(state["resources"], serde_json::json!([]));
    let r = env.run(&["sim", "show"]);
    let cloud: serde_json::Value = serde_json::from_str(&r.stdout).expect("sim show json");
    assert_eq!(
        cloud,
        serde_json::json!({"eip_addresses": {}, "network_interfaces": {}})
    );
}

#[test]
fn state_is_private_pretty_and_terraform_shaped() {
    let env = Env::copy_of("examples/quickstart");
    assert_eq!(env.run(&["apply", "--auto-approve"]).code, 0);
    let text = env.read("netform.tfstate").unwrap_or_default();
    let j: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(j["version"], 4);
    assert_eq!(j["serial"], 1);
    assert!(j["lineage"].as_str().is_some_and(|l| l.len() == 36));
    assert!(text.contains("\n  \"resources\": ["), "pretty-printed");
    let eni = j["resources"]
        .as_array()
        .and_then(|r| {
            r.iter()
                .find(|x| x["type"] == "alicloud_ecs_network_interface")
        })
        .cloned()
        .unwrap_or_default();
    let attrs = &eni["instances"][0]["attributes"];
    assert_eq!(attrs["vswitch_cidr"], "192.168.1.0/24");
    assert!(
        attrs["mac"]
            .as_str()
            .is_some_and(|m| m.starts_with("00:16:3e:"))
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path().join("netform.tfstate"))
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0);
        assert_eq!(mode, 0o600);
    }
    // A no-op apply does not bump the serial.
    assert_eq!(env.run(&["apply", "--auto-approve"]).code, 0);
    let j2: serde_json::Value =
        serde_json::from_str(&env.read("netform.tfstate").unwrap_or_default()).expect("json");
    assert_eq!(j2["serial"], 1);
}
