//! Issue 11's guard that each resource kind owns its meaning, by reading the source:
//!
//! - the generic stages (`src/plan/`, `src/apply.rs`, `src/apply/`, `src/render/`) spell no
//!   attribute name of the schema tables and name no resource `Kind` variant — what a kind means
//!   lives in `src/resources/<kind>/`, reached through the dispatchers there;
//! - nothing outside the provider layer (`src/provider/`) spells a parameter name of the Alibaba
//!   API: requests go through `provider::wire`'s typed structs.
//!
//! The names are read when the test runs (attributes and kinds from `schema::SCHEMAS`, parameters
//! from `provider::wire`'s declarations), so a new attribute, kind or parameter is guarded without
//! editing this file. Comments, `#[cfg(test)]` items and `tests.rs`/`testing.rs` files are left
//! out; a literal followed by `:` is a key of an output format (`json!({"id": …})`), not an
//! attribute read. A violation names file and line.

use std::collections::BTreeSet;
use std::path::Path;

use netform::schema::SCHEMAS;

use crate::harness::{repo, rust_files};

/// The generic stages that must not know a kind's attributes.
const GENERIC: &[&str] = &["src/plan", "src/apply.rs", "src/apply", "src/render"];

/// Every attribute name of every schema table, managed kinds and data sources alike.
fn attribute_names() -> BTreeSet<&'static str> {
    SCHEMAS
        .iter()
        .flat_map(|s| s.attrs.iter().map(|a| a.name))
        .collect()
}

/// The variants of the schema's `Kind`, as source spells them (`Kind::Eni`).
fn kind_variants() -> BTreeSet<String> {
    SCHEMAS
        .iter()
        .map(|s| format!("Kind::{:?}", s.kind))
        .collect()
}

/// The parameter names `provider::wire` declares (`field: Type = "ParameterName",`), less the
/// values a user writes in HCL that happen to be spelled alike (the bind target `IpAddress`).
fn parameter_names(root: &Path) -> BTreeSet<String> {
    let decl =
        regex_lite::Regex::new(r#"\w+\s*:[^=\n]+=\s*"([A-Z][A-Za-z0-9]*)"\s*,"#).expect("regex");
    let values: BTreeSet<&str> = SCHEMAS
        .iter()
        .flat_map(|s| s.attrs.iter().flat_map(|a| a.values.iter().copied()))
        .collect();
    let mut files = Vec::new();
    rust_files(&root.join("src/provider/wire"), &mut files);
    files
        .iter()
        .flat_map(|p| {
            let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{e}"));
            decl.captures_iter(&text)
                .map(|c| c[1].to_string())
                .filter(|p| !values.contains(p.as_str()))
                .collect::<Vec<_>>()
        })
        .collect()
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

/// The product source files under `under` (files or directories), relative to the repository.
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

/// Where `text` has a string literal that is one of `names` (and not a format key), as
/// "file:line: what".
fn literals_of(file: &str, text: &str, names: &dyn Fn(&str) -> bool, what: &str) -> Vec<String> {
    let lit = regex_lite::Regex::new(r#""([A-Za-z0-9_]+)"(\s*:)?"#).expect("regex");
    product_lines(text)
        .into_iter()
        .flat_map(|(n, code)| {
            lit.captures_iter(&code)
                .filter(|c| c.get(2).is_none() && names(&c[1]))
                .map(|c| format!("{file}:{n}: {what} \"{}\"", &c[1]))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Where `text` names a variant of the schema's `Kind` outside its tests.
fn kind_names(file: &str, text: &str, variants: &BTreeSet<String>) -> Vec<String> {
    let re = regex_lite::Regex::new(r"\bKind::[A-Za-z]+").expect("regex");
    product_lines(text)
        .into_iter()
        .flat_map(|(n, code)| {
            re.find_iter(&code)
                .filter(|m| variants.contains(m.as_str()))
                .map(|m| format!("{file}:{n}: names {}", m.as_str()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_generic_stages_spell_no_attribute_name_and_name_no_kind() {
    let root = repo();
    let names = attribute_names();
    let variants = kind_variants();
    assert!(
        names.contains("network_interface_id") && names.len() > 50,
        "read only {} attribute names from the schema",
        names.len()
    );
    assert!(variants.contains("Kind::Eni") && variants.len() >= 10);
    let files = sources(&root, GENERIC);
    assert!(files.len() >= 30, "found only {} files", files.len());
    let mut bad = Vec::new();
    for (file, text) in &files {
        bad.extend(literals_of(
            file,
            text,
            &|s| names.contains(s),
            "attribute name",
        ));
        bad.extend(kind_names(file, text, &variants));
    }
    assert!(
        bad.is_empty(),
        "plan, apply and render are generic over kinds: move these into src/resources/<kind>/ \
         and reach them through the dispatcher there:\n{}",
        bad.join("\n")
    );
}

#[test]
fn nothing_outside_the_provider_layer_spells_an_api_parameter() {
    let root = repo();
    let params = parameter_names(&root);
    assert!(
        params.contains("NetworkInterfaceId") && params.contains("AllocationId"),
        "read only {} parameter names from provider::wire",
        params.len()
    );
    let under: Vec<String> = std::fs::read_dir(root.join("src"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.ends_with("provider") && !p.ends_with("provider.rs"))
        .map(|p| {
            format!(
                "src/{}",
                p.file_name().unwrap_or_default().to_string_lossy()
            )
        })
        .collect();
    let under: Vec<&str> = under.iter().map(String::as_str).collect();
    let files = sources(&root, &under);
    assert!(files.len() >= 50, "found only {} files", files.len());
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
fn the_scan_sees_literals_and_kinds_but_not_tests_comments_or_format_keys() {
    let text = r#"
fn run() {
    get("network_interface_id"); // "instance_id" in a comment
    match k { Kind::Eni => {} Kind::Var => {} }
    json!({ "mode": "managed" })
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
    let variants: BTreeSet<String> = ["Kind::Eni".to_string(), "Kind::Eip".into()].into();
    assert_eq!(
        kind_names("f.rs", text, &variants),
        ["f.rs:4: names Kind::Eni"]
    );
    let params = |s: &str| s == "NetworkInterfaceId";
    assert_eq!(
        literals_of("f.rs", text, &params, "parameter"),
        ["f.rs:16: parameter \"NetworkInterfaceId\""]
    );
}
