//! Smaller commands: validate, fmt, output, state, show, graph, saved plans.

use crate::harness::Env;

#[test]
fn validate_json_counts_errors_and_makes_no_cloud_call() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["validate", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(j["valid"], true);
    assert_eq!(j["error_count"], 0);
    assert!(!env.exists(".netform"));
    env.write(
        "extra.hcl",
        "resource \"alicloud_eip_address\" \"x\" {\n  bandwith = 5\n}\n",
    );
    let r = env.run(&["validate", "--json"]);
    assert_eq!(r.code, 1);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(j["valid"], false);
    assert_eq!(j["diagnostics"][0]["range"]["filename"], "extra.hcl");
    assert_eq!(j["diagnostics"][0]["range"]["start"]["line"], 2);
    assert!(
        j["diagnostics"][0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("did you mean \"bandwidth\"")),
        "{j}"
    );
}

#[test]
fn fmt_check_exits_3_and_fmt_rewrites_keeping_comments() {
    let env = Env::empty();
    env.write("main.hcl", "# keep me\nresource \"alicloud_eip_address\" \"x\" {\n  bandwidth = 5\n  address_name=\"a\" # and me\n}\n");
    let r = env.run(&["fmt", "--check"]);
    assert_eq!(r.code, 3);
    assert_eq!(r.stdout.trim(), "main.hcl");
    let r = env.run(&["fmt", "--check", "--diff"]);
    assert!(
        r.stdout.contains("+  address_name = \"a\" # and me"),
        "{}",
        r.stdout
    );
    assert_eq!(env.run(&["fmt"]).code, 0);
    assert_eq!(
        env.read("main.hcl").unwrap_or_default(),
        "# keep me\nresource \"alicloud_eip_address\" \"x\" {\n  bandwidth    = 5\n  address_name = \"a\" # and me\n}\n"
    );
    assert_eq!(env.run(&["fmt", "--check"]).code, 0);
}

#[test]
fn outputs_state_list_show_and_mv_rm() {
    let env = Env::copy_of("examples/quickstart");
    assert_eq!(env.run(&["apply", "--auto-approve"]).code, 0);
    let r = env.run(&["output", "app_eni_id", "--raw"]);
    assert!(r.stdout.starts_with("eni-bp1"), "{}", r.stdout);
    let r = env.run(&["output", "--json"]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(
        j["edge_public_ip"]["value"]
            .as_str()
            .is_some_and(|v| v.starts_with("47.96."))
    );
    let r = env.run(&["state", "list"]);
    assert_eq!(r.stdout.lines().count(), 6, "{}", r.stdout);
    let r = env.run(&[
        "state",
        "mv",
        "alicloud_eip_address.edge",
        "alicloud_eip_address.edge2",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        env.run(&["state", "list"])
            .stdout
            .contains("alicloud_eip_address.edge2")
    );
    let r = env.run(&["state", "rm", "alicloud_eip_address.nope"]);
    assert_eq!(r.code, 1);
    let r = env.run(&["state", "rm", "alicloud_eip_association.edge"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.run(&["state", "list"]).stdout.lines().count(), 5);
}

#[test]
fn saved_plan_applies_exactly_and_then_is_stale() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["plan", "--out", "q.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved = env.read("q.tfplan").unwrap_or_default();
    assert!(saved.contains("\"lineage\""));
    let r = env.run(&["show", "--json", "q.tfplan"]);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(j["format_version"], "1.2");
    assert_eq!(j["resource_changes"].as_array().map(Vec::len), Some(6));
    let r = env.run(&["apply", "q.tfplan"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("6 added"), "{}", r.stdout);
    let before = env.read("netform.tfstate");
    let r = env.run(&["apply", "q.tfplan"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    assert_eq!(env.read("netform.tfstate"), before, "state unchanged");
}

#[test]
fn graph_prints_dot_and_mermaid_for_resources_and_operations() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["graph"]);
    assert!(r.stdout.starts_with("digraph netform {"), "{}", r.stdout);
    assert!(r.stdout.contains("\"alicloud_ecs_network_interface.app\" -> \"alicloud_ecs_network_interface_attachment.app\""), "{}", r.stdout);
    let r = env.run(&["graph", "--ops", "--format", "mermaid"]);
    assert!(r.stdout.starts_with("flowchart LR"), "{}", r.stdout);
    assert!(r.stdout.contains("AttachNetworkInterface"));
}

#[test]
fn variables_come_from_the_environment_and_cli_flags_win() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run_env(&["plan"], &[("NETFORM_VAR_secondary_ip_count", "2")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("secondary_private_ip_address_count = 2"),
        "{}",
        r.stdout
    );
    let r = env.run_env(
        &["plan", "--var", "secondary_ip_count=3"],
        &[("NETFORM_VAR_secondary_ip_count", "2")],
    );
    assert!(
        r.stdout.contains("secondary_private_ip_address_count = 3"),
        "{}",
        r.stdout
    );
}

/// Every example applies on a fresh simulator, plans empty afterwards, and destroys cleanly.
#[test]
fn every_example_round_trips() {
    for ex in [
        "examples/quickstart",
        "examples/web-tier",
        "examples/nat-gateway",
    ] {
        let env = Env::copy_of(ex);
        assert_eq!(env.run(&["fmt", "--check"]).code, 0, "{ex} is formatted");
        let r = env.run(&["apply", "--auto-approve"]);
        assert_eq!(r.code, 0, "{ex}: {}{}", r.stdout, r.stderr);
        let r = env.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(r.code, 0, "{ex} replans empty: {}", r.stdout);
        let r = env.run(&["destroy", "--auto-approve"]);
        assert_eq!(r.code, 0, "{ex}: {}", r.stderr);
        let cloud: serde_json::Value =
            serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("json");
        assert_eq!(
            cloud,
            serde_json::json!({"eip_addresses": {}, "network_interfaces": {}}),
            "{ex}"
        );
    }
}

#[test]
fn terraform_single_dash_flags_are_accepted() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["plan", "-detailed-exitcode", "-var=secondary_ip_count=2"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stdout.contains("secondary_private_ip_address_count = 2"),
        "{}",
        r.stdout
    );
    let r = env.run(&["apply", "-auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_world_edited_after_seeding_warns_and_sim_reset_reseeds() {
    let env = Env::copy_of("examples/quickstart");
    let world =
        std::fs::read_to_string(crate::harness::repo().join("fixtures/worlds/default.json"))
            .expect("world");
    env.write("world.json", &world);
    let main = env.read("main.hcl").unwrap_or_default();
    env.write(
        "main.hcl",
        &main.replace(
            "simulator {}",
            "simulator {\n    world = \"world.json\"\n  }",
        ),
    );
    assert_eq!(env.run(&["apply", "--auto-approve"]).code, 0);
    env.write("world.json", &world.replace("\"seed\": 42", "\"seed\": 43"));
    let r = env.run(&["plan"]);
    assert!(
        r.stderr
            .contains("differs from the world the simulated cloud was seeded from"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("No changes."),
        "the live cloud is unchanged: {}",
        r.stdout
    );
    let r = env.run(&["sim", "reset"]);
    assert_eq!(r.code, 0);
    assert!(!env.exists(".netform/sim"));
    // After a reset the objects in state are gone from the cloud: refresh reports them deleted.
    let r = env.run(&["plan"]);
    assert!(
        r.stdout.contains("has been deleted") && r.stdout.contains("Plan: 6 to add"),
        "{}",
        r.stdout
    );
}

/// A create without a ClientToken is a new object each time, as on Alibaba Cloud: the second
/// `sim call` neither returns the first EIP's id nor replaces it.
#[test]
fn sim_call_twice_without_a_token_allocates_two_eips() {
    let env = Env::empty();
    let ids: Vec<String> = (0..2)
        .map(|_| {
            let r = env.run(&["sim", "call", "AllocateEipAddress", "RegionId=cn-hangzhou"]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
            j["AllocationId"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
    let cloud: serde_json::Value =
        serde_json::from_str(&env.run(&["sim", "show"]).stdout).expect("json");
    assert_eq!(cloud["eip_addresses"].as_object().map(|m| m.len()), Some(2));
}
