//! Records the git commit netform is built from, for `netform version` (and nothing else).
//! Outside a git checkout (a source tarball) the commit is "unknown".

// A build script talks to cargo on stdout.
#![allow(clippy::print_stdout)]

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=NETFORM_COMMIT={commit}");
    // Build again when HEAD moves: HEAD itself, the branch it names, and packed refs (git
    // rev-parse --git-path finds them in a worktree too).
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    if let Some(r) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(r);
    }
    for w in watched {
        if let Some(p) = git(&["rev-parse", "--git-path", &w]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
