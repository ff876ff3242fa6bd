//! Guard for issue 11's "no attribute-name literal outside the kind": the checker
//! (`src/plan/check/`) and the renderers (`src/render/`) read attributes through the kinds' typed
//! views, so no string literal there may spell an attribute name of the schema tables. The
//! names are read from the schema at test time, so a new attribute is guarded without editing
//! this file; `#[cfg(test)]` modules (fixtures) and comments are skipped. A hit names the file
//! and line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::harness::repo;

/// The directories whose code must not spell an attribute name.
const GUARDED: &[&str] = &["src/plan/check", "src/render"];

/// Every attribute name of every schema table (managed kinds and data sources).
fn attribute_names() -> BTreeSet<&'static str> {
    netform::schema::SCHEMAS
        .iter()
        .flat_map(|s| s.attrs.iter().map(|a| a.name))
        .collect()
}

/// The text of `src` with comments blanked out (newlines kept, so lines still count).
fn without_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let end = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            out.extend(src[i..end].chars().filter(|c| *c == '\n'));
            i = end;
        } else if b[i] == b'"' || b[i] == b'\'' {
            let end = literal_end(src, i);
            out.push_str(&src[i..end]);
            i = end;
        } else {
            let c = src[i..].chars().next().unwrap_or(' ');
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Where the string or char literal (or lifetime) starting at byte `i` ends.
fn literal_end(src: &str, i: usize) -> usize {
    let b = src.as_bytes();
    if b[i] == b'\'' {
        // A char literal ('x', '\n', '"') or a lifetime ('a): only the former is skipped whole.
        let rest = &src[i + 1..];
        if rest.starts_with('\\') {
            return rest[2..].find('\'').map_or(b.len(), |e| i + 1 + 2 + e + 1);
        }
        let c = rest.chars().next().map_or(0, char::len_utf8);
        return if rest[c..].starts_with('\'') {
            i + 1 + c + 1
        } else {
            i + 1
        };
    }
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'"' => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// The byte ranges of `#[cfg(test)]` inline modules, and the names of those declared in files.
fn test_modules(code: &str) -> (Vec<(usize, usize)>, Vec<String>) {
    let re = regex_lite::Regex::new(
        r"#\[cfg\(test\)\]\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+(\w+)\s*([;{])",
    )
    .expect("regex");
    let (mut inline, mut files) = (Vec::new(), Vec::new());
    for c in re.captures_iter(code) {
        let (Some(all), Some(name), Some(open)) = (c.get(0), c.get(1), c.get(2)) else {
            continue;
        };
        if open.as_str() == ";" {
            files.push(name.as_str().to_string());
            continue;
        }
        let mut depth = 0usize;
        let mut end = code.len();
        let mut k = open.start();
        while k < code.len() {
            let ch = code.as_bytes()[k];
            if ch == b'"' || ch == b'\'' {
                k = literal_end(code, k);
                continue;
            }
            if ch == b'{' {
                depth += 1;
            } else if ch == b'}' {
                depth -= 1;
                if depth == 0 {
                    end = k + 1;
                    break;
                }
            }
            k += 1;
        }
        inline.push((all.start(), end));
    }
    (inline, files)
}

/// `src` without comments and with its `#[cfg(test)]` inline modules blanked (newlines kept).
fn product_code(src: &str) -> String {
    let mut code = without_comments(src);
    let (skip, _) = test_modules(&code);
    for (s, e) in skip.into_iter().rev() {
        let lines = "\n".repeat(code[s..e].matches('\n').count());
        code.replace_range(s..e, &lines);
    }
    code
}

/// (line, literal) of every string literal in `src` outside comments and test modules that is
/// exactly one of `names`. A literal followed by a colon is a key of a `json!` object, a key of
/// an output format, and is not an attribute name.
fn scan(src: &str, names: &BTreeSet<&str>) -> Vec<(usize, String)> {
    let code = product_code(src);
    let b = code.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'"' || b[i] == b'\'' {
            let end = literal_end(&code, i);
            let after = code[end..].trim_start();
            let key = after.starts_with(':') && !after.starts_with("::");
            if b[i] == b'"' && end >= i + 2 && !key {
                let text = &code[i + 1..end - 1];
                if names.contains(text) {
                    found.push((code[..i].matches('\n').count() + 1, text.to_string()));
                }
            }
            i = end;
            continue;
        }
        i += code[i..].chars().next().map_or(1, char::len_utf8);
    }
    found
}

/// Lines of `src` outside comments and test modules that dispatch on a resource kind: a
/// `Kind::X =>` arm, a `== Kind::X` test or a `matches!(…, Kind::X)`.
fn kind_dispatch(src: &str) -> Vec<usize> {
    let code = product_code(src);
    let re = regex_lite::Regex::new(
        r"\bKind::\w+\s*(?:=>|\|)|[=!]=\s*(?:[\w:]*::)?Kind::|matches!\([^)]*\bKind::",
    )
    .expect("regex");
    let lines: BTreeSet<usize> = re
        .find_iter(&code)
        .map(|m| code[..m.start()].matches('\n').count() + 1)
        .collect();
    lines.into_iter().collect()
}

/// The Rust files under `dir`, less the files of `#[cfg(test)] mod x;` modules.
fn guarded_files(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    walk(dir, &mut all);
    let mut test_files = BTreeSet::new();
    for p in &all {
        let text =
            std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
        let (_, names) = test_modules(&without_comments(&text));
        let base = match p.file_name().and_then(|f| f.to_str()) {
            Some("mod.rs") => p.parent().map(Path::to_path_buf),
            _ => p
                .parent()
                .map(|d| d.join(p.file_stem().unwrap_or_default())),
        };
        for n in names {
            if let Some(b) = &base {
                test_files.insert(b.join(format!("{n}.rs")));
                test_files.insert(b.join(&n).join("mod.rs"));
            }
        }
    }
    all.retain(|p| !test_files.contains(p));
    all
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn the_checker_and_the_renderers_spell_no_attribute_name_nor_match_kinds() {
    let root = repo();
    let names = attribute_names();
    assert!(
        names.contains("private_ip_addresses") && names.len() > 50,
        "{names:?}"
    );
    let mut bad = Vec::new();
    let mut files = 0;
    for dir in GUARDED {
        for p in guarded_files(&root.join(dir)) {
            files += 1;
            let rel = p.strip_prefix(&root).unwrap_or(&p).display().to_string();
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {rel}: {e}"));
            for (line, name) in scan(&text, &names) {
                bad.push(format!("{rel}:{line}: \"{name}\""));
            }
            for line in kind_dispatch(&text) {
                bad.push(format!("{rel}:{line}: dispatches on a kind"));
            }
        }
    }
    assert!(files >= 10, "found only {files} files in {GUARDED:?}");
    assert!(
        bad.is_empty(),
        "attribute names spelled, or kinds dispatched on, outside their kind (read attributes through the kind's view in src/resources/<kind>/view.rs):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_literal_scanner_skips_comments_chars_and_test_modules() {
    let names: BTreeSet<&str> = ["instance_id", "mode"].into_iter().collect();
    let src = "//! \"mode\" in a doc\nfn f<'a>(x: &'a str) -> char {\n    let _ = (\"instance_id\", '\"', \"a \\\"mode\\\"\");\n    g(\"mode\") /* \"mode\" */\n}\n#[cfg(test)]\nmod tests {\n    fn t() { h(\"mode\", '}'); }\n}\nfn k() { m(\"mode\"); }\n";
    let found = scan(src, &names);
    assert_eq!(
        found,
        [
            (3, "instance_id".to_string()),
            (4, "mode".to_string()),
            (10, "mode".to_string())
        ]
    );
    let (_, files) = test_modules("#[cfg(test)]\nmod tests;\n");
    assert_eq!(files, ["tests"]);
    // A json! key is a format's key, not an attribute name.
    assert!(scan("json!({ \"mode\": \"managed\" })", &names).is_empty());
}

#[test]
fn the_kind_scanner_finds_arms_comparisons_and_matches() {
    let src = "fn f(k: Kind) {\n    match k {\n        Kind::Eni => 1,\n        _ => 0,\n    };\n    if k == Kind::Eip {}\n    let _ = matches!(k, Kind::Eni | Kind::Eip);\n    let _ = Change { kind: crate::schema::Kind::Eni };\n}\n// Kind::Eni => in a comment\n#[cfg(test)]\nmod tests {\n    fn t(k: Kind) -> bool { k == Kind::Eni }\n}\n";
    assert_eq!(kind_dispatch(src), [3, 6, 7]);
}
