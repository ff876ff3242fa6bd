//! Commands about netform itself: version, completions, man pages; and fmt's list of files.

use crate::harness::Env;

#[test]
fn version_says_version_commit_and_platform() {
    let env = Env::empty();
    let r = env.run(&["version"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("netform v0.1.0 ("), "{}", r.stdout);
    assert!(r.stdout.contains("\non linux_") || r.stdout.contains("\non "));
    let r = env.run(&["version", "-json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(j["netform_version"], env!("CARGO_PKG_VERSION"));
    assert!(j["commit"].as_str().is_some_and(|c| !c.is_empty()), "{j}");
    assert!(
        j["platform"].as_str().is_some_and(|p| p.contains('_')),
        "{j}"
    );
}

#[test]
fn completions_generate_for_every_shell() {
    let env = Env::empty();
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let r = env.run(&["completions", shell]);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        assert!(r.stdout.contains("netform"), "{shell}");
        assert!(r.stdout.contains("refresh-only"), "{shell}: flags of plan");
    }
    let r = env.run(&["completions", "bash"]);
    env.write("netform.bash", &r.stdout);
    let syntax = std::process::Command::new("bash")
        .args(["-n", "netform.bash"])
        .current_dir(env.path())
        .output()
        .expect("bash -n");
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    assert_eq!(env.run(&["completions", "tcsh"]).code, 1);
}

#[test]
fn man_pages_generate() {
    let env = Env::empty();
    let r = env.run(&["man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains(".TH netform 1"), "{}", r.stdout);
    assert!(r.stdout.contains("apply"));
    let r = env.run(&["man", "--out", "man"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for page in [
        "netform.1",
        "netform-plan.1",
        "netform-apply.1",
        "netform-state.1",
    ] {
        assert!(env.exists(&format!("man/{page}")), "{page}");
    }
}

/// Terraform's fmt lists the files it rewrote; files already formatted are not listed.
#[test]
fn fmt_lists_the_files_it_rewrote() {
    let env = Env::empty();
    env.write(
        "a.hcl",
        "resource \"alicloud_eip_address\" \"x\" {\n  bandwidth=5\n}\n",
    );
    env.write(
        "b.hcl",
        "resource \"alicloud_eip_address\" \"y\" {\n  bandwidth = 5\n}\n",
    );
    let r = env.run(&["fmt"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "a.hcl\n");
    let r = env.run(&["fmt"]);
    assert_eq!(r.stdout, "", "nothing left to rewrite");
}
