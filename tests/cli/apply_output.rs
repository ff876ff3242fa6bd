//! Apply's output in Terraform's words: human lines (snapshots), the heartbeat of long
//! operations, and the `--json` event stream.

use crate::harness::{Env, redact};

fn events(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// One worker, so that the order of the lines is the plan's and the snapshot is stable.
#[test]
fn apply_and_destroy_lines_read_as_terraforms() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["apply", "--auto-approve", "--parallelism", "1"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines: String = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("alicloud_") || l.starts_with("Apply complete"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("apply_lines", redact(&lines));
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("\nApply complete! Resources: 0 added, 0 changed, 0 destroyed.\n"),
        "an apply with nothing to do still ends as Terraform's does:\n{}",
        r.stdout
    );
    // One address changed: an in-place update in two API operations, each named.
    let main = env.read("main.hcl").unwrap_or_default();
    env.write(
        "main.hcl",
        &main.replace(
            "cidrhost(local.cidr, 21 + i)",
            "i == 3 ? cidrhost(local.cidr, 30) : cidrhost(local.cidr, 21 + i)",
        ),
    );
    let r = env.run(&["apply", "--auto-approve", "--parallelism", "1"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines: String = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("alicloud_") || l.starts_with("Apply complete"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("modify_lines", redact(&lines));
    let r = env.run(&["destroy", "--auto-approve", "--parallelism", "1"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let lines: String = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("alicloud_") || l.starts_with("Destroy complete"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("destroy_lines", redact(&lines));
}

/// An operation longer than the heartbeat's period says it is still running, as Terraform's
/// `Still creating... [10s elapsed]` does (the period shortened here by NETFORM_HEARTBEAT_MS).
#[test]
fn long_operations_print_still_lines() {
    let env = Env::copy_of("examples/quickstart");
    let slow = [
        ("NETFORM_SIM_FAULTS", r#"{"async_ms": {"Attaching": 900}}"#),
        ("NETFORM_HEARTBEAT_MS", "200"),
        ("NETFORM_ALICLOUD_POLL_MS", "50"),
    ];
    let r = env.run_env(&["apply", "--auto-approve"], &slow);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let still = regex_lite::Regex::new(
        r"(?m)^alicloud_ecs_network_interface_attachment\.app: Still creating\.\.\. \[\d+s elapsed\]$",
    )
    .expect("regex");
    let n = still.find_iter(&r.stdout).count();
    assert!(n >= 2, "a 0.9 s attach beats every 0.2 s:\n{}", r.stdout);
    let start = r
        .stdout
        .find("alicloud_ecs_network_interface_attachment.app: Creating...")
        .expect("start");
    let beat = still.find(&r.stdout).map_or(0, |m| m.start());
    let done = r
        .stdout
        .find("alicloud_ecs_network_interface_attachment.app: Creation complete")
        .expect("done");
    assert!(start < beat && beat < done, "{}", r.stdout);
    // With --json, the beats are apply_progress events.
    let r = env.run_env(
        &["destroy", "--auto-approve", "--json"],
        &[
            ("NETFORM_SIM_FAULTS", r#"{"async_ms": {"Detaching": 900}}"#),
            ("NETFORM_HEARTBEAT_MS", "200"),
            ("NETFORM_ALICLOUD_POLL_MS", "50"),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let progress: Vec<_> = events(&r.stdout)
        .into_iter()
        .filter(|e| e["type"] == "apply_progress")
        .collect();
    assert!(!progress.is_empty(), "{}", r.stdout);
    assert_eq!(progress[0]["hook"]["action"], "delete");
    assert!(progress[0]["hook"]["elapsed_seconds"].is_u64());
}

/// `apply --json`: Terraform's event sequence and field names, every line one JSON object.
#[test]
fn apply_json_is_terraforms_event_stream() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["apply", "--auto-approve", "--json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let ev = events(&r.stdout);
    let types: Vec<&str> = ev.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(types.first(), Some(&"version"), "{types:?}");
    assert_eq!(ev[0]["ui"], "1.2");
    let first_apply = types
        .iter()
        .position(|t| *t == "apply_start")
        .expect("apply_start");
    let plan_summary = types
        .iter()
        .position(|t| *t == "change_summary")
        .expect("plan summary");
    assert!(
        types[1..plan_summary]
            .iter()
            .all(|t| *t == "planned_change")
    );
    assert_eq!(plan_summary - 1, 6, "six planned changes: {types:?}");
    assert_eq!(
        types[plan_summary + 1],
        "outputs",
        "planned outputs: {types:?}"
    );
    assert_eq!(
        ev[plan_summary + 1]["outputs"]["app_eni_id"]["action"],
        "create"
    );
    assert!(plan_summary < first_apply);
    assert_eq!(types[types.len() - 2], "change_summary");
    assert_eq!(types[types.len() - 1], "outputs");
    for e in &ev {
        for k in ["@level", "@message", "@module", "@timestamp", "type"] {
            assert!(e.get(k).is_some(), "{k} missing: {e}");
        }
    }
    let planned = &ev[1]["change"];
    assert_eq!(planned["action"], "create");
    for k in [
        "addr",
        "module",
        "resource",
        "implied_provider",
        "resource_type",
        "resource_name",
        "resource_key",
    ] {
        assert!(planned["resource"].get(k).is_some(), "{k}: {planned}");
    }
    let starts = types.iter().filter(|t| **t == "apply_start").count();
    let completes = types.iter().filter(|t| **t == "apply_complete").count();
    assert_eq!(starts, completes);
    let eni_done = ev
        .iter()
        .find(|e| {
            e["type"] == "apply_complete"
                && e["hook"]["resource"]["addr"] == "alicloud_ecs_network_interface.app"
        })
        .expect("eni complete");
    assert_eq!(eni_done["hook"]["action"], "create");
    assert_eq!(eni_done["hook"]["id_key"], "id");
    assert!(
        eni_done["hook"]["id_value"]
            .as_str()
            .is_some_and(|v| v.starts_with("eni-"))
    );
    assert_eq!(eni_done["hook"]["elapsed_seconds"], 0);
    let summary = &ev[ev.len() - 2];
    assert_eq!(summary["changes"]["operation"], "apply");
    assert_eq!(summary["changes"]["add"], 6);
    assert_eq!(
        summary["@message"],
        "Apply complete! Resources: 6 added, 0 changed, 0 destroyed."
    );
    let outs = &ev[ev.len() - 1]["outputs"];
    assert_eq!(outs["app_eni_id"]["type"], "string");
    assert_eq!(outs["app_eni_id"]["sensitive"], false);
}

/// A failed operation: Terraform's `errored after` line, and `apply_errored` with --json.
#[test]
fn a_failed_operation_says_errored() {
    let env = Env::copy_of("examples/quickstart");
    let fault = [(
        "NETFORM_SIM_FAULTS",
        r#"{"rates": {"AttachNetworkInterface": {"internal_error": 1.0}}}"#,
    )];
    let r = env.run_env(&["apply", "--auto-approve", "--json"], &fault);
    assert_eq!(r.code, 1);
    let ev = events(&r.stdout);
    let errored = ev
        .iter()
        .find(|e| e["type"] == "apply_errored")
        .expect("apply_errored");
    assert_eq!(errored["@level"], "error");
    assert_eq!(
        errored["hook"]["resource"]["addr"],
        "alicloud_ecs_network_interface_attachment.app"
    );
    assert!(
        ev.iter()
            .any(|e| e["type"] == "diagnostic" && e["@level"] == "error")
    );
    let env = Env::copy_of("examples/quickstart");
    let r = env.run_env(&["apply", "--auto-approve"], &fault);
    assert!(
        r.stdout
            .contains("alicloud_ecs_network_interface_attachment.app: Creation errored after 0s"),
        "{}",
        r.stdout
    );
}
