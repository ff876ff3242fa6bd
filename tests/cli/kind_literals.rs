//! Guard for issue 11's "each resource kind owns its meaning" in the generic part of `src/plan/`
//! (everything but the checker in `plan/check/` and the operations in `plan/ops.rs`, which have
//! their own guards): no string literal that is an attribute name of a schema, and no
//! `Kind::Variant`, outside test code. The names are read from the schema registry when the
//! test runs, so an attribute added to a kind is guarded at once. A violation names file and line.

use std::collections::BTreeSet;
use std::path::Path;

use netform::schema::SCHEMAS;

use crate::harness::repo;

/// Every attribute name of every schema, managed and data.
fn attribute_names() -> BTreeSet<&'static str> {
    SCHEMAS
        .iter()
        .flat_map(|s| s.attrs.iter().map(|a| a.name))
        .collect()
}

/// `text` with test modules (`#[cfg(test)]` followed by an inline `mod … {`) blanked out, line
/// breaks kept so that line numbers still hold.
fn without_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(l) = lines.next() {
        let inline_mod = l.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod ") && n.contains('{'));
        if !inline_mod {
            out.push_str(l);
            continue;
        }
        out.push('\n');
        let mut depth = 0i64;
        for m in lines.by_ref() {
            depth += m.matches('{').count() as i64 - m.matches('}').count() as i64;
            out.push('\n');
            if depth <= 0 {
                break;
            }
        }
    }
    out
}

/// The string literals of Rust source, with their line numbers; comments and char literals are
/// skipped.
fn string_literals(code: &str) -> Vec<(usize, String)> {
    let b: Vec<char> = code.chars().collect();
    let (mut i, mut line) = (0, 1);
    let mut out = Vec::new();
    while i < b.len() {
        match b[i] {
            '\n' => line += 1,
            '/' if b.get(i + 1) == Some(&'/') => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            // '"' and '\"' are characters, not the start of a string.
            '\'' if b.get(i + 2) == Some(&'\'') => i += 2,
            '\'' if b.get(i + 1) == Some(&'\\') && b.get(i + 3) == Some(&'\'') => i += 3,
            '"' => {
                let (start, mut s) = (line, String::new());
                i += 1;
                while i < b.len() && b[i] != '"' {
                    if b[i] == '\\' {
                        s.push(b[i]);
                        i += 1;
                    }
                    if let Some(&c) = b.get(i) {
                        if c == '\n' {
                            line += 1;
                        }
                        s.push(c);
                    }
                    i += 1;
                }
                out.push((start, s));
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The violations in one file's text: attribute-name literals and `Kind::` variants.
fn scan(file: &str, text: &str, names: &BTreeSet<&str>) -> Vec<String> {
    let code = without_tests(text);
    let mut bad: Vec<(usize, String)> = string_literals(&code)
        .into_iter()
        .filter(|(_, s)| names.contains(s.as_str()))
        .map(|(l, s)| (l, format!("attribute name \"{s}\"")))
        .collect();
    let kind = regex_lite::Regex::new(r"\bKind::[A-Z]\w*").expect("regex");
    for (n, l) in code.lines().enumerate() {
        let l = l.split("//").next().unwrap_or("");
        for m in kind.find_iter(l) {
            bad.push((n + 1, format!("per-kind {}", m.as_str())));
        }
    }
    bad.sort();
    bad.into_iter()
        .map(|(l, what)| format!("{file}:{l}: {what}"))
        .collect()
}

/// The generic plan files: `src/plan/*.rs` but the operations, and no subdirectory (the
/// checker's `plan/check/` is guarded by its own test).
fn plan_files(root: &Path) -> Vec<String> {
    let dir = root.join("src/plan");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "rs"))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| n != "ops.rs" && n != "tests.rs")
        .map(|n| format!("src/plan/{n}"))
        .collect();
    files.sort();
    files
}

#[test]
fn generic_plan_code_names_no_attribute_and_matches_no_kind() {
    let root = repo();
    let names = attribute_names();
    assert!(
        names.contains("private_ip_addresses") && names.contains("instances"),
        "the schema registry lists too little: {names:?}"
    );
    let files = plan_files(&root);
    assert!(
        files.iter().any(|f| f == "src/plan/mod.rs") && files.len() >= 5,
        "{files:?}"
    );
    let mut bad = Vec::new();
    for f in &files {
        let text =
            std::fs::read_to_string(root.join(f)).unwrap_or_else(|e| panic!("read {f}: {e}"));
        bad.extend(scan(f, &text, &names));
    }
    assert!(
        bad.is_empty(),
        "plan/ is generic over kinds: move these into the kind's module in src/resources/ and call it through a dispatcher there:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_literal_scanner_sees_code_and_skips_comments_chars_and_tests() {
    let names: BTreeSet<&str> = ["id", "tags"].into();
    let text = concat!(
        "//! \"id\" in a doc comment\n",
        "fn f(a: &A) { a.get(\"id\"); let c = '\"'; g(\"tags and more\") } // \"tags\"\n",
        "fn k(k: Kind) -> bool { k == Kind::Eip }\n",
        "let s = \"a \\\"quoted\\\" word\"; let t = \"tags\";\n",
        "#[cfg(test)]\n",
        "mod tests {\n",
        "    fn t() { a.get(\"id\"); Kind::Eni; }\n",
        "}\n",
        "fn after() { h(\"tags\") }\n",
    );
    assert_eq!(
        scan("x.rs", text, &names),
        [
            "x.rs:2: attribute name \"id\"",
            "x.rs:3: per-kind Kind::Eip",
            "x.rs:4: attribute name \"tags\"",
            "x.rs:9: attribute name \"tags\"",
        ]
    );
}
