//! The example pipelines' script (examples/ci/netform-ci.sh), end to end against the
//! simulator, as a pull request, its merge and a later scheduled drift check run it: the plan
//! and its comment body, the apply of exactly that saved plan, no drift, then drift after an
//! out-of-band change made with `netform sim call`.

use std::process::Command;

use crate::harness::{Env, Run, repo};

fn script(env: &Env, step: &str) -> Run {
    let out = Command::new("bash")
        .arg(repo().join("examples/ci/netform-ci.sh"))
        .arg(step)
        .current_dir(env.path())
        .env("NETFORM", env!("CARGO_BIN_EXE_netform"))
        .env("NETFORM_DIR", env.path())
        .env("NETFORM_CI_OUT", env.path().join("ci-out"))
        .env("NETFORM_CLOCK", "2026-01-01T00:00:00Z")
        .env_remove("NETFORM_CI_CLOUD")
        .output()
        .expect("run the pipeline script");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn the_pipeline_script_plans_comments_applies_the_saved_plan_and_finds_drift() {
    let env = Env::copy_of("examples/quickstart");
    // Pull request: fmt --check, validate, plan --out; the comment body is the markdown plan.
    let r = script(&env, "pr");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let body = env.read("ci-out/plan.md").expect("comment body");
    assert!(body.starts_with("<!-- netform-plan -->\n"), "{body}");
    assert!(body.contains("| 6 | 0 | 0 |"), "{body}");
    assert!(
        !body.contains("Saved the plan"),
        "stdout stays pure:\n{body}"
    );
    assert_eq!(env.read("ci-out/changes").as_deref(), Some("true\n"));
    assert!(env.exists("ci-out/tfplan"));
    assert!(!env.exists("netform.tfstate"), "a plan changes nothing");
    // Merge: apply exactly the saved plan.
    let r = script(&env, "apply");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("Apply complete! Resources: 6 added, 0 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    // The same plan again is stale: the state moved on.
    let r = script(&env, "apply");
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("Saved plan is stale"), "{}", r.stderr);
    // Schedule: no drift yet.
    let r = script(&env, "drift");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!env.exists("ci-out/drift.md"));
    // Someone renames the ENI by hand; the next scheduled run finds it.
    let eni = env.run(&["output", "-raw", "app_eni_id"]).stdout;
    let r = env.run(&[
        "sim",
        "call",
        "ModifyNetworkInterfaceAttribute",
        &format!("NetworkInterfaceId={eni}"),
        "NetworkInterfaceName=renamed-by-hand",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = script(&env, "drift");
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let issue = env.read("ci-out/drift.md").expect("issue body");
    assert!(issue.starts_with("<!-- netform-drift -->\n"), "{issue}");
    assert!(
        issue.contains("network_interface_name = \"quickstart-app\" -> \"renamed-by-hand\""),
        "{issue}"
    );
    // An unformatted file stops the pull-request step with fmt's exit code.
    env.write("extra.hcl", "locals {\n  x=1\n}\n");
    let r = script(&env, "pr");
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("extra.hcl"), "{}", r.stderr);
}

/// Both pipelines run their steps through the script, so the test above covers them.
#[test]
fn both_pipelines_call_the_tested_script() {
    for f in [
        "examples/ci/github/netform.yml",
        "examples/ci/gitlab/.gitlab-ci.yml",
    ] {
        let text = std::fs::read_to_string(repo().join(f)).expect("pipeline file");
        for step in [
            "netform-ci.sh pr",
            "netform-ci.sh apply",
            "netform-ci.sh drift",
        ] {
            assert!(text.contains(step), "{f} runs {step}");
        }
        assert!(
            !text.contains("netform plan"),
            "{f}: netform commands belong in the script"
        );
    }
}
