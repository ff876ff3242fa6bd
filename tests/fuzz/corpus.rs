//! Seed corpora. Configurations come from the repository (examples/*/*.hcl,
//! fixtures/rules/*/*/*.hcl, fixtures/worlds and the rules' worlds); states, journals and saved
//! plans are made fresh by the netform binary on the simulator (so they are always in the
//! current format): each example is planned, applied, planned again, planned for destroy.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use netform::state::{JournalEntry, State, Store};

pub const EXAMPLES: &[&str] = &["quickstart", "web-tier", "nat-gateway"];

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files under `dir` (recursively) whose name ends with `suffix`, sorted.
pub fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn read_all(paths: &[PathBuf]) -> Vec<Vec<u8>> {
    paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// The configuration seeds: every example and every rule fixture.
pub fn hcl_seeds() -> Vec<Vec<u8>> {
    let mut paths = files(&repo().join("examples"), ".hcl");
    paths.extend(files(&repo().join("fixtures/rules"), ".hcl"));
    assert!(paths.len() > 10, "configuration seeds: {paths:?}");
    read_all(&paths)
}

fn netform(dir: &Path, args: &[&str]) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_netform"));
    c.current_dir(dir).args(args);
    for (k, _) in std::env::vars() {
        if k.starts_with("NETFORM_") || k.starts_with("ALIBABA_CLOUD_") {
            c.env_remove(k);
        }
    }
    let out = c
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("netform {args:?}: {e}"));
    assert!(
        out.status.success(),
        "netform {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for e in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{}: {e}", from.display()))
        .flatten()
    {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name()))
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        }
    }
}

/// A journal in the library's own format for `state`: every instance set, then a few removed.
fn journal_for(state: &State, at: &Path) {
    let mut store = Store::new(at.join("j.tfstate"));
    let mut j = store
        .journal(&state.lineage)
        .unwrap_or_else(|e| panic!("journal: {e}"));
    for (addr, inst) in &state.resources {
        j.append(&JournalEntry::Set {
            address: addr.to_string(),
            attributes: inst.attributes.clone(),
            dependencies: inst.dependencies.clone(),
            provider: inst.provider.clone(),
        })
        .unwrap_or_else(|e| panic!("journal: {e}"));
    }
    for addr in state.resources.keys().take(2) {
        j.append(&JournalEntry::Remove {
            address: addr.to_string(),
        })
        .unwrap_or_else(|e| panic!("journal: {e}"));
    }
}

fn generate(root: &Path) {
    for sub in ["states", "journals", "plans", "contexts"] {
        std::fs::create_dir_all(root.join(sub)).unwrap_or_else(|e| panic!("{e}"));
    }
    for ex in EXAMPLES {
        let dir = root.join("contexts").join(ex);
        copy_dir(&repo().join("examples").join(ex), &dir);
        let plans = root.join("plans");
        let out = |name: &str| plans.join(format!("{ex}-{name}.tfplan"));
        netform(&dir, &["plan", "--out", &out("fresh").to_string_lossy()]);
        netform(&dir, &["apply", "--auto-approve"]);
        netform(&dir, &["plan", "--out", &out("nochange").to_string_lossy()]);
        netform(
            &dir,
            &[
                "plan",
                "--destroy",
                "--out",
                &out("destroy").to_string_lossy(),
            ],
        );
        if *ex == "quickstart" {
            netform(
                &dir,
                &[
                    "plan",
                    "--var",
                    "secondary_ip_count=2",
                    "--out",
                    &out("change").to_string_lossy(),
                ],
            );
        }
        let state_path = dir.join("netform.tfstate");
        let text = std::fs::read_to_string(&state_path).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.join("states").join(format!("{ex}.tfstate")), &text)
            .unwrap_or_else(|e| panic!("{e}"));
        let state = State::from_json(&text, "seed").unwrap_or_else(|e| panic!("{e}"));
        let jdir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        journal_for(&state, jdir.path());
        std::fs::copy(
            jdir.path().join("j.tfstate.journal"),
            root.join("journals").join(format!("{ex}.journal")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// The generated corpus, made once per test process (the children get its path).
pub fn ensure() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = crate::engine::failures_root()
            .parent()
            .map(|p| p.join("fuzz-corpus"))
            .unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&base).unwrap_or_else(|e| panic!("{e}"));
        // Corpora of earlier runs are litter once a day old.
        for e in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 86_400);
            if old {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let dir = tempfile::Builder::new()
            .prefix("run-")
            .tempdir_in(&base)
            .unwrap_or_else(|e| panic!("{e}"))
            .keep();
        generate(&dir);
        dir
    })
    .clone()
}
