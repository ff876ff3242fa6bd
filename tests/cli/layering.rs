//! Guards that keep the layers apart, by reading the source: nothing outside `cli` imports
//! `crate::cli` (the command line sits on top of the engine, never under it), and `plan`,
//! `apply` and `provider` do not import `crate::render` (the engine computes; views render).
//! A violation names the file and line.

use crate::harness::{repo, rust_files};

/// Known violations waiting on work in another branch, as (file, forbidden module). Each entry
/// is a debt: remove it when the file stops importing the module, and the test keeps it so.
const ALLOWED: &[(&str, &str)] = &[];
/// One forbidden import found: where, and of what.
#[derive(Debug, PartialEq, Eq)]
struct Violation {
    file: String,
    line: usize,
    module: &'static str,
}

/// The modules `file` (a path relative to the repository, with `/`) must not import.
fn forbidden(file: &str) -> Vec<&'static str> {
    let in_module =
        |m: &str| file == format!("src/{m}.rs") || file.starts_with(&format!("src/{m}/"));
    let mut out = Vec::new();
    if !in_module("cli") {
        out.push("cli");
    }
    if ["plan", "apply", "provider"].iter().any(|m| in_module(m)) {
        out.push("render");
    }
    out
}

/// Where `text` names `crate::MODULE` for each module in `modules`: as a path
/// (`crate::cli::Exit`, `use crate::render;`) or inside a grouped import
/// (`use crate::{address, cli};`, over several lines too). Comments are skipped.
fn scan(file: &str, text: &str, modules: &[&'static str]) -> Vec<Violation> {
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let line_of = |byte: usize| code[..byte].matches('\n').count() + 1;
    let mut found = Vec::new();
    for &m in modules {
        let path = regex_lite::Regex::new(&format!(r"\bcrate::{m}\b")).expect("regex");
        let group = regex_lite::Regex::new(r"\bcrate::\{[^}]*\}").expect("regex");
        let word = regex_lite::Regex::new(&format!(r"(?:^|[{{,\s]){m}\b")).expect("regex");
        for hit in path.find_iter(&code) {
            found.push((hit.start(), m));
        }
        for g in group.find_iter(&code) {
            for w in word.find_iter(g.as_str()) {
                found.push((g.start() + w.end() - m.len(), m));
            }
        }
    }
    found.sort();
    found
        .into_iter()
        .map(|(byte, module)| Violation {
            file: file.to_string(),
            line: line_of(byte),
            module,
        })
        .collect()
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let root = repo();
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(
        files.len() > 50,
        "found only {} files under src/",
        files.len()
    );
    let mut bad = Vec::new();
    let mut debts_used = Vec::new();
    for p in &files {
        let rel = p
            .strip_prefix(&root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        for v in scan(&rel, &text, &forbidden(&rel)) {
            if ALLOWED.contains(&(v.file.as_str(), v.module)) {
                debts_used.push((rel.clone(), v.module));
            } else {
                bad.push(format!(
                    "{}:{}: imports crate::{}",
                    v.file, v.line, v.module
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "modules import a layer above them (cli sits on top; plan, apply and provider never render):\n{}",
        bad.join("\n")
    );
    let stale: Vec<_> = ALLOWED
        .iter()
        .filter(|(f, m)| !debts_used.iter().any(|(g, n)| g == f && n == m))
        .collect();
    assert!(
        stale.is_empty(),
        "these allowed violations are gone: remove them from ALLOWED in tests/cli/layering.rs: {stale:?}"
    );
}

#[test]
fn the_scanner_finds_paths_and_grouped_imports_and_skips_comments() {
    let text = "//! Not crate::cli in a comment.\nuse crate::address;\nuse crate::{\n    config,\n    render::Style,\n};\nfn f() { crate::cli::run(); } // crate::render here is a comment\n";
    let found = scan("src/plan/x.rs", text, &["cli", "render"]);
    let at: Vec<(usize, &str)> = found.iter().map(|v| (v.line, v.module)).collect();
    assert_eq!(at, [(5, "render"), (7, "cli")], "{found:?}");
    assert!(
        scan(
            "src/plan/x.rs",
            "use crate::client;\nuse crate::renderer;\n",
            &["cli", "render"]
        )
        .is_empty()
    );
    assert_eq!(forbidden("src/cli/commands/plan.rs"), Vec::<&str>::new());
    assert_eq!(forbidden("src/cli.rs"), Vec::<&str>::new());
    assert_eq!(forbidden("src/apply/execute.rs"), ["cli", "render"]);
    assert_eq!(forbidden("src/provider.rs"), ["cli", "render"]);
    assert_eq!(forbidden("src/render/plan.rs"), ["cli"]);
}
