//! Guards that keep apply generic over kinds, by reading the source: outside its tests, `apply`
//! (`src/apply.rs`, `src/apply/`) spells no attribute name of the schema's tables and matches
//! no resource `Kind` — what a kind's operations send and record is `resources/<kind>/exec.rs`'s.
//! And neither `apply` nor the kinds' execution (`resources/*/exec.rs`, `resources/execute*`)
//! spells a parameter name of the Alibaba API: requests go through the typed structs of
//! `provider::wire`. A violation names the file and line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use netform::config::Mode;
use netform::schema;

use crate::harness::repo;

/// Every attribute name of the schema's tables, managed resources and data sources alike.
fn attribute_names() -> BTreeSet<&'static str> {
    [Mode::Managed, Mode::Data]
        .into_iter()
        .flat_map(|mode| {
            schema::type_names(mode)
                .into_iter()
                .filter_map(move |ty| schema::lookup(mode, ty).map(|(s, _)| s))
        })
        .flat_map(|s| s.attrs.iter().map(|a| a.name))
        .collect()
}

/// The parameter names `provider::wire` declares (`field: Type = "ParameterName"`).
fn parameter_names(root: &Path) -> BTreeSet<String> {
    let decl = regex_lite::Regex::new(r#"=\s*"([A-Z][A-Za-z0-9]*)""#).expect("regex");
    let mut files = Vec::new();
    rust_files(&root.join("src/provider/wire"), &mut files);
    files
        .iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{e}"));
            decl.captures_iter(&text)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The product code of a file, as (line number, line): comments dropped, and every item under
/// `#[cfg(test)]` (a test module, a test-only function) left out, up to its closing brace.
fn product_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut skipping = false;
    let mut depth = 0i64;
    let mut opened = false;
    for (i, line) in text.lines().enumerate() {
        let code = match line.find("//") {
            Some(j) => &line[..j],
            None => line,
        };
        if !skipping && code.trim() == "#[cfg(test)]" {
            (skipping, depth, opened) = (true, 0, false);
            continue;
        }
        if skipping {
            depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            opened |= code.contains('{');
            // An item ends at the brace that closes it, or at `;` when it has no body.
            if (opened && depth <= 0) || (!opened && code.trim_end().ends_with(';')) {
                skipping = false;
            }
            continue;
        }
        out.push((i + 1, code.to_string()));
    }
    out
}

/// The product source files of apply, relative to the repository, with `/`. A `tests.rs` is a
/// test module (declared under `#[cfg(test)]` beside the code it tests).
fn sources(root: &Path, under: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for u in under {
        let p = root.join(u);
        if p.is_dir() {
            rust_files(&p, &mut files);
        } else {
            files.push(p);
        }
    }
    files
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n != "tests.rs" && n != "testing.rs")
        })
        .map(|p| {
            let rel = p
                .strip_prefix(root)
                .unwrap_or(&p)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {rel}: {e}"));
            (rel, text)
        })
        .collect()
}

/// Where `code` has a string literal that is one of `names`, as "file:line: what".
fn literals_of(file: &str, text: &str, names: &dyn Fn(&str) -> bool, what: &str) -> Vec<String> {
    let lit = regex_lite::Regex::new(r#""([A-Za-z0-9_]+)""#).expect("regex");
    product_lines(text)
        .into_iter()
        .flat_map(|(n, code)| {
            lit.captures_iter(&code)
                .filter(|c| names(&c[1]))
                .map(|c| format!("{file}:{n}: {what} \"{}\"", &c[1]))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Where `text` names a resource kind (`Kind::…`) outside its tests. A file with an `enum Kind`
/// of its own (the waiter's kinds of object to read) is not naming the schema's.
fn kind_matches(file: &str, text: &str) -> Vec<String> {
    if text.contains("enum Kind ") {
        return Vec::new();
    }
    product_lines(text)
        .into_iter()
        .filter(|(_, code)| code.contains("Kind::"))
        .map(|(n, _)| format!("{file}:{n}: names a resource Kind"))
        .collect()
}

const APPLY: &[&str] = &["src/apply.rs", "src/apply"];

#[test]
fn apply_spells_no_attribute_name_and_matches_no_kind() {
    let root = repo();
    let names = attribute_names();
    assert!(
        names.contains("network_interface_id") && names.contains("id") && names.len() > 50,
        "read only {} attribute names from the schema",
        names.len()
    );
    let files = sources(&root, APPLY);
    assert!(
        files.len() >= 5,
        "found only {} files of apply",
        files.len()
    );
    let mut bad = Vec::new();
    for (file, text) in &files {
        bad.extend(literals_of(
            file,
            text,
            &|s| names.contains(s),
            "attribute name",
        ));
        bad.extend(kind_matches(file, text));
    }
    assert!(
        bad.is_empty(),
        "apply is generic over kinds: a kind's attributes and operations belong in resources/<kind>/exec.rs (reach them through resources::execute):\n{}",
        bad.join("\n")
    );
}

#[test]
fn apply_and_the_kinds_execution_spell_no_api_parameter() {
    let root = repo();
    let params = parameter_names(&root);
    assert!(
        params.contains("NetworkInterfaceId") && params.contains("AllocationId"),
        "read only {} parameter names from provider::wire",
        params.len()
    );
    let mut under: Vec<String> = APPLY.iter().map(|s| s.to_string()).collect();
    under.push("src/resources/execute.rs".into());
    under.push("src/resources/execute".into());
    for entry in std::fs::read_dir(root.join("src/resources")).unwrap_or_else(|e| panic!("{e}")) {
        let p = entry.unwrap_or_else(|e| panic!("{e}")).path();
        if p.join("exec.rs").is_file() {
            let rel = p.strip_prefix(&root).unwrap_or(&p).join("exec.rs");
            under.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    let under: Vec<&str> = under.iter().map(String::as_str).collect();
    let files = sources(&root, &under);
    assert!(files.len() >= 10, "found only {} files", files.len());
    let bad: Vec<String> = files
        .iter()
        .flat_map(|(file, text)| {
            literals_of(file, text, &|s| params.contains(s), "Alibaba API parameter")
        })
        .collect();
    assert!(
        bad.is_empty(),
        "requests go through provider::wire's typed structs, never by parameter name:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_scan_sees_literals_and_kinds_but_not_tests_or_comments() {
    let text = r#"
fn run() {
    get("network_interface_id"); // "instance_id" in a comment
    match k { Kind::Eni => {} }
}

#[cfg(test)]
mod tests {
    fn t() { get("instance_id"); let _ = Kind::Eip; }
}

#[cfg(test)]
fn only_in_tests() -> &'static str { "mode" }

fn after() { send("NetworkInterfaceId"); }
"#;
    let names = |s: &str| ["network_interface_id", "instance_id", "mode"].contains(&s);
    assert_eq!(
        literals_of("f.rs", text, &names, "attribute name"),
        ["f.rs:3: attribute name \"network_interface_id\""]
    );
    assert_eq!(
        kind_matches("f.rs", text),
        ["f.rs:4: names a resource Kind"]
    );
    let params = |s: &str| s == "NetworkInterfaceId";
    assert_eq!(
        literals_of("f.rs", text, &params, "parameter"),
        ["f.rs:15: parameter \"NetworkInterfaceId\""]
    );
}
