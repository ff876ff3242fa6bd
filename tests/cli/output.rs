//! Where output goes: closed pipes, colour, and stdout that carries only a machine format.

use std::process::Stdio;

use crate::harness::Env;

fn applied_quickstart() -> Env {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    env
}

/// `netform state list | head -1`: the reader goes away; netform ends quietly with exit 0.
#[test]
fn a_closed_stdout_ends_quietly_with_exit_0() {
    let env = applied_quickstart();
    for args in [
        &["state", "list"][..],
        &["show"][..],
        &["plan"][..],
        &["output"][..],
    ] {
        let mut child = env
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Closed before netform has started writing: its first write finds no reader.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("internal error"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // As a shell runs it, the pipeline's status being netform's.
    let bin = env!("CARGO_BIN_EXE_netform");
    let sh = std::process::Command::new("bash")
        .arg("-c")
        .arg("set -o pipefail; \"$NETFORM_BIN\" state list | head -1")
        .current_dir(env.path())
        .env("NETFORM_BIN", bin)
        .env("NO_COLOR", "1")
        .output()
        .expect("bash");
    assert_eq!(
        sh.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&sh.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&sh.stdout).lines().count(), 1);
    assert!(
        sh.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&sh.stderr)
    );
}

/// `--color always` colours even a pipe; `-no-color` and `--color never` never colour;
/// `CLICOLOR_FORCE` colours a pipe unless NO_COLOR says otherwise.
#[test]
fn colour_follows_flags_and_the_conventional_variables() {
    let env = Env::copy_of("examples/quickstart");
    let esc = |s: &str| s.contains('\u{1b}');
    let r = env.run(&["--color", "always", "plan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(esc(&r.stdout), "--color always: {}", r.stdout);
    let r = env.run(&["plan", "-no-color", "--color", "always"]);
    assert!(!esc(&r.stdout), "-no-color wins: {}", r.stdout);
    let forced = |args: &[&str], extra: &[(&str, &str)]| {
        let mut c = env.cmd(args);
        c.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
        for (k, v) in extra {
            c.env(k, v);
        }
        let o = c.output().expect("run");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(esc(&forced(&["plan"], &[])), "CLICOLOR_FORCE colours");
    assert!(!esc(&forced(&["plan"], &[("NO_COLOR", "1")])), "NO_COLOR");
    assert!(!esc(&forced(&["plan", "--color", "never"], &[])), "never");
    assert!(!esc(&forced(&["-no-color", "plan"], &[])), "-no-color");
}

/// `plan --format json|markdown --out FILE > x`: x holds only that format; the note about the
/// saved plan goes to stderr.
#[test]
fn plan_machine_formats_with_out_keep_stdout_pure() {
    let env = Env::copy_of("examples/quickstart");
    let r = env.run(&["plan", "--format", "json", "--out", "p.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value =
        serde_json::from_str(&r.stdout).expect("stdout is one JSON document");
    assert_eq!(j["format_version"], "1.2");
    assert!(
        r.stderr.contains("Saved the plan to: p.tfplan"),
        "{}",
        r.stderr
    );
    let r = env.run(&["plan", "--format", "markdown", "--out", "p.tfplan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stdout.contains("Saved the plan"), "{}", r.stdout);
    assert!(!r.stdout.contains("netform apply"), "{}", r.stdout);
    assert!(
        r.stderr.contains("Saved the plan to: p.tfplan"),
        "{}",
        r.stderr
    );
    // Human output keeps Terraform's note on stdout.
    let r = env.run(&["plan", "--out", "p.tfplan"]);
    assert!(
        r.stdout.contains("Saved the plan to: p.tfplan"),
        "{}",
        r.stdout
    );
}

/// `-compact-warnings`: each warning as a summary line, not a full diagnostic.
#[test]
fn compact_warnings_shorten_warnings() {
    let env = Env::copy_of("examples/quickstart");
    env.write("netform.auto.tfvars", "undeclared_thing = 1\n");
    let full = env.run(&["plan"]);
    assert!(full.stderr.contains("warning"), "{}", full.stderr);
    let r2 = env.run(&["plan", "-compact-warnings"]);
    assert_eq!(r2.code, 0, "{}", r2.stderr);
    assert!(r2.stderr.contains("Warnings:\n\n- "), "{}", r2.stderr);
    assert!(
        r2.stderr.contains("without -compact-warnings"),
        "{}",
        r2.stderr
    );
}

/// On a terminal, apply keeps a live progress line (done/total, in flight, elapsed); it never
/// reaches a pipe, a log file or --json output.
#[test]
fn the_progress_line_shows_on_a_terminal_only() {
    let slow = [
        ("NETFORM_SIM_FAULTS", r#"{"async_ms": {"Attaching": 800}}"#),
        ("NETFORM_ALICLOUD_POLL_MS", "50"),
    ];
    let bin = env!("CARGO_BIN_EXE_netform");
    // `script` gives the command a pseudo-terminal, as a person's shell would.
    let on_tty = |env: &Env, args: &str| {
        let mut s = std::process::Command::new("script");
        s.args(["-qec", &format!("{bin} {args}"), "/dev/null"])
            .current_dir(env.path())
            .env("NETFORM_CLOCK", "2026-01-01T00:00:00Z")
            .env("NO_COLOR", "1");
        for (k, v) in slow {
            s.env(k, v);
        }
        let o = s
            .output()
            .expect("script(1) runs the command on a terminal");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let env = Env::copy_of("examples/quickstart");
    let tty = on_tty(&env, "apply --auto-approve");
    assert!(tty.contains("operations done"), "{tty}");
    assert!(tty.contains("in flight"), "{tty}");
    assert!(tty.contains("Apply complete!"), "{tty}");
    let tty = on_tty(&env, "destroy --auto-approve --json");
    assert!(!tty.contains("operations done"), "never in --json:\n{tty}");
    let mut vars = slow.to_vec();
    vars.push(("NETFORM_LOG", "debug"));
    vars.push(("NETFORM_LOG_PATH", "apply.log"));
    let r = env.run_env(&["apply", "--auto-approve"], &vars);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let log = env.read("apply.log").unwrap_or_default();
    for (name, text) in [("stdout", &r.stdout), ("stderr", &r.stderr), ("log", &log)] {
        assert!(!text.contains("operations done"), "{name}:\n{text}");
        assert!(!text.contains('\r'), "{name}:\n{text}");
    }
}
