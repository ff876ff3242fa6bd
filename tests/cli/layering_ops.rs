//! Guard for issue 11 on the operation graph: `plan/ops.rs` (and its `ops/` submodules) builds
//! the graph without knowing any kind. No attribute name of the schema appears there as a string
//! literal, and no `Kind::` is matched; both belong in `resources/<kind>/ops.rs`. Test modules
//! (`#[cfg(test)]` and `tests.rs`) may build fixture attributes.

use std::collections::BTreeSet;
use std::path::Path;

use crate::harness::repo;

/// The files of the operation stage that must stay generic over kinds.
const FILES: &[&str] = &["src/plan/ops.rs", "src/plan/ops"];

/// Every attribute name of every kind's schema, read from the schema tables.
fn attribute_names() -> BTreeSet<&'static str> {
    netform::schema::SCHEMAS
        .iter()
        .flat_map(|s| s.attrs.iter().map(|a| a.name))
        .collect()
}

/// The code of `text` outside comments and outside its test module (from `#[cfg(test)]` on).
fn product_code(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .enumerate()
        .map(|(i, l)| {
            let code = match l.find("//") {
                Some(at) if !l[..at].contains('"') => &l[..at],
                _ => l,
            };
            (i + 1, code.to_string())
        })
        .collect()
}

/// `file:line: what` for each attribute-name literal and each `Kind::` in `text`.
fn scan(file: &str, text: &str, names: &BTreeSet<&str>) -> Vec<String> {
    let literal = regex_lite::Regex::new(r#""([a-z0-9_]+)""#).expect("regex");
    let mut found = Vec::new();
    for (line, code) in product_code(text) {
        for m in literal.captures_iter(&code) {
            if names.contains(&m[1]) {
                found.push(format!("{file}:{line}: attribute name \"{}\"", &m[1]));
            }
        }
        if code.contains("Kind::") {
            found.push(format!("{file}:{line}: matches on Kind"));
        }
    }
    found
}

fn files_under(p: &Path, out: &mut Vec<std::path::PathBuf>) {
    if p.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(p)
            .unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for e in entries {
            files_under(&e, out);
        }
    } else if p.extension().is_some_and(|x| x == "rs")
        && p.file_name().is_some_and(|n| n != "tests.rs")
    {
        out.push(p.to_path_buf());
    }
}

#[test]
fn the_operation_graph_names_no_attribute_and_matches_no_kind() {
    let root = repo();
    let names = attribute_names();
    assert!(
        names.contains("network_interface_id") && names.contains("id"),
        "the schema's names were not read: {names:?}"
    );
    let mut files = Vec::new();
    for f in FILES {
        files_under(&root.join(f), &mut files);
    }
    assert!(files.len() >= 2, "found only {files:?}");
    let mut bad = Vec::new();
    for p in &files {
        let rel = p
            .strip_prefix(&root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        bad.extend(scan(&rel, &text, &names));
    }
    assert!(
        bad.is_empty(),
        "the operation graph knows a kind; move this to resources/<kind>/ops.rs:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_scanner_finds_literals_and_kinds_but_not_comments_or_tests() {
    let names: BTreeSet<&str> = ["id", "mode"].into_iter().collect();
    let text = "// \"id\" in a comment\nlet x = get(c, \"mode\");\nmatch k { Kind::Eni => 1 }\nlet y = \"model\";\n#[cfg(test)]\nmod tests { fn t() { get(c, \"id\"); } }\n";
    assert_eq!(
        scan("f.rs", text, &names),
        ["f.rs:2: attribute name \"mode\"", "f.rs:3: matches on Kind"]
    );
}
