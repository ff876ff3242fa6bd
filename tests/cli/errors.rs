//! How a command ends short (`cli::error`): each error printed once, in the output mode the
//! command is in, exit 1, and nothing changed; flags refused when they are read.

use crate::harness::Env;

#[test]
fn state_rm_refusing_one_address_removes_none_and_says_so_once() {
    let env = Env::copy_of("examples/quickstart");
    assert_eq!(env.run(&["apply", "--auto-approve"]).code, 0);
    let before = env.read("netform.tfstate");
    let r = env.run(&[
        "state",
        "rm",
        "alicloud_eip_association.edge",
        "alicloud_eip_address.nope",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(env.read("netform.tfstate"), before, "state unchanged");
    assert!(
        !r.stdout.contains("Removed"),
        "nothing was removed: {}",
        r.stdout
    );
    let said = "no instance alicloud_eip_address.nope in state";
    assert_eq!(r.stderr.matches(said).count(), 1, "{}", r.stderr);
    let r = env.run(&[
        "state",
        "mv",
        "alicloud_eip_address.edge",
        "alicloud_ecs_network_interface.edge",
    ]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("the types differ"), "{}", r.stderr);
    assert_eq!(env.read("netform.tfstate"), before, "state unchanged");
    let r = env.run(&["state", "rm", "alicloud_eip_association.edge"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("Removed alicloud_eip_association.edge\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Successfully removed 1 resource instance(s)."),
        "{}",
        r.stdout
    );
}

#[test]
fn flags_are_refused_when_read_and_nothing_runs() {
    let env = Env::copy_of("examples/quickstart");
    for (args, says) in [
        (
            &["plan", "--lock-timeout", "soon"][..],
            "invalid duration \"soon\"",
        ),
        (
            &["plan", "--lock-timeout=-1s"][..],
            "invalid duration \"-1s\"",
        ),
        (&["plan", "--format", "yaml"][..], "yaml"),
        (&["graph", "--format", "svg"][..], "svg"),
        (&["apply", "-parallelism=0"][..], "must be at least 1"),
    ] {
        let r = env.run(args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    assert!(!env.exists("netform.tfstate"), "no run touched the state");
    assert!(!env.exists(".netform"), "no run touched the simulator");
}

#[test]
fn an_error_is_printed_once_on_stderr_or_as_one_event_with_json() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["output", "nope"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr.matches("output \"nope\" not found").count(),
        1,
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);

    let r = env.run(&["import", "alicloud_eip_address.nope", "eip-1"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stderr
            .matches("alicloud_eip_address.nope is not declared in the configuration")
            .count(),
        1,
        "{}",
        r.stderr
    );
    assert!(!env.exists("netform.tfstate"), "import changed nothing");

    env.write("broken.hcl", "resource \"alicloud_eip_address\" {\n");
    let r = env.run(&["plan", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let events: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let diags: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["type"] == "diagnostic")
        .collect();
    assert!(!diags.is_empty(), "{}", r.stdout);
    let mut summaries: Vec<String> = diags
        .iter()
        .map(|d| d["diagnostic"]["summary"].to_string())
        .collect();
    let n = summaries.len();
    summaries.dedup();
    assert_eq!(summaries.len(), n, "each error once: {}", r.stdout);
    assert!(diags.iter().all(|d| d["@level"] == "error"), "{}", r.stdout);
    assert!(
        r.stderr.is_empty(),
        "with --json, errors are events: {}",
        r.stderr
    );
}
