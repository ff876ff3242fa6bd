//! The vector test: expressions from Terraform's, go-cty's and hcl's own test tables, with the
//! value or error Terraform gives, evaluated here (`tests/vectors/*.json`).
//!
//! Each file is a JSON array of `{ "expr", "want" | "error", "source" }`: `want` is the value
//! as JSON (sets as sorted lists), `error` is `true` for "fails" or a text the error message
//! must contain; `template: true` marks a bare template (the text of a `templatefile` file)
//! rather than an expression. `scripts/vectors-extract.py` wrote the files taken from upstream
//! tables;
//! `fidelity.json` holds the cases of issue 15 and hcl's template and splat tables, written by
//! hand. File functions read `tests/vectors/files`, a copy of Terraform's test data.

use std::path::{Path, PathBuf};

use super::Value;
use super::eval::{Evaluator, Lookup, NameKind, Ref};

struct Empty;

impl Lookup for Empty {
    fn var(&self, name: &str) -> Option<Value> {
        // One sensitive variable, for issensitive().
        (name == "secret").then(|| Value::string("hunter2"))
    }
    fn local(&self, _: &str) -> Option<Value> {
        None
    }
    fn resource(&self, _: bool, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn names(&self, _: NameKind) -> Vec<String> {
        Vec::new()
    }
    fn sensitive(&self, r: &Ref) -> bool {
        *r == Ref::Var("secret".into())
    }
}

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Numbers compare by value (`4` and `4.0` are one number), everything else structurally.
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Number(x), J::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p == q || ((p - q).abs() <= 1e-12 * p.abs().max(q.abs())),
            _ => x == y,
        },
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, p)| y.get(k).is_some_and(|q| same(p, q)))
        }
        _ => a == b,
    }
}

/// Runs one vector; `Err` says how it differs.
fn check(case: &serde_json::Value, base: &Path) -> Result<(), String> {
    let src = case["expr"].as_str().ok_or("no expr")?;
    let got = if case["template"] == serde_json::Value::Bool(true) {
        // A bare template, as a `templatefile` file holds.
        super::eval::render_template(src, Default::default(), base).map_err(|message| {
            super::eval::EvalError {
                message,
                span: None,
                help: None,
            }
        })
    } else {
        // HCL's expression parser skips the blank lines around an expression; hcl-edit's
        // does not, and in a configuration file the attribute parser has already done so.
        match hcl_edit::parser::parse_expr(src.trim()) {
            Ok(expr) => Evaluator::new(&Empty, base).eval(&expr),
            // A syntax error is an error too, for the vectors that expect one.
            Err(e) => Err(super::eval::EvalError {
                message: e.to_string(),
                span: None,
                help: None,
            }),
        }
    };
    match (&got, case.get("want"), case.get("error")) {
        (Ok(v), Some(want), None) => {
            let j = v.to_json();
            if v.is_wholly_known() && same(&j, want) {
                Ok(())
            } else {
                Err(format!("got {j}, want {want}"))
            }
        }
        (Err(e), Some(want), None) => Err(format!("failed: {}; want {want}", e.message)),
        (Ok(v), None, Some(_)) => Err(format!("got {}, want an error", v.to_json())),
        (Err(e), None, Some(serde_json::Value::String(text))) => {
            if e.message.contains(text.as_str()) {
                Ok(())
            } else {
                Err(format!("error {:?} lacks {text:?}", e.message))
            }
        }
        (Err(_), None, Some(_)) => Ok(()),
        _ => Err("a vector has exactly one of want and error".into()),
    }
}

#[test]
fn vectors_from_terraform_cty_and_hcl() {
    let base = dir().join("files");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("tests/vectors exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("vector file reads");
        let cases: Vec<serde_json::Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        for case in &cases {
            total += 1;
            if let Err(why) = check(case, &base) {
                failures.push(format!(
                    "{}: {} ({}): {why}",
                    f.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default(),
                    case["expr"],
                    case["source"].as_str().unwrap_or("")
                ));
            }
        }
    }
    assert!(total >= 500, "only {total} vectors");
    assert!(
        failures.is_empty(),
        "{} of {total} vectors differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
