//! Input variable values from every source, in Terraform's precedence (lowest first): `default`,
//! `TF_VAR_<name>` then `NETFORM_VAR_<name>` environment variables, `terraform.tfvars` and
//! `netform.tfvars` (each also as `.tfvars.json`), `*.auto.tfvars` and `*.auto.tfvars.json` (name
//! order), then `--var` and `--var-file` in the order they were given on the command line, the
//! later winning. A file whose name ends in `.json` is Terraform's JSON variables syntax (one
//! object); any other is HCL. Values are converted to the declared type and then validated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use hcl_edit::structure::Structure;

use super::{Config, Expr};
use crate::diag::{Diagnostic, Diagnostics, SourceRange};
use crate::lang::Value;
use crate::lang::eval::{Evaluator, Lookup, NameKind, NoNames};
use crate::lang::sensitive::{SHOWN, Secrets};
use crate::lang::types::Type;

/// One `--var NAME=VALUE` or `--var-file FILE`, kept in command-line order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VarArg {
    Var(String),
    File(PathBuf),
}

/// What the command line and environment contribute.
#[derive(Clone, Debug, Default)]
pub struct VarInputs {
    /// `--var` and `--var-file`, in command-line order.
    pub args: Vec<VarArg>,
    /// Variables from the environment, lowest precedence first: `(name, raw value, the
    /// environment variable's own name)`.
    pub env: Vec<(String, String, String)>,
}

impl VarInputs {
    /// `TF_VAR_*` (Terraform's spelling, so existing pipelines keep working), then
    /// `NETFORM_VAR_*`, which wins for the same name; each in name order.
    pub fn from_env() -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for prefix in ["TF_VAR_", "NETFORM_VAR_"] {
            let mut found: Vec<(String, String, String)> = std::env::vars()
                .filter_map(|(k, v)| {
                    k.strip_prefix(prefix)
                        .map(|n| (n.to_string(), v, k.clone()))
                })
                .collect();
            found.sort();
            out.extend(found);
        }
        out
    }
}

/// The variables files read without being named, in Terraform's order: `terraform.tfvars`,
/// `netform.tfvars` (each with its `.json` twin), then `*.auto.tfvars(.json)` by name.
fn auto_files(dir: &Path) -> Vec<PathBuf> {
    let mut auto: Vec<PathBuf> = [
        "terraform.tfvars",
        "terraform.tfvars.json",
        "netform.tfvars",
        "netform.tfvars.json",
    ]
    .iter()
    .map(|n| dir.join(n))
    .filter(|p| p.is_file())
    .collect();
    if let Ok(rd) = std::fs::read_dir(dir) {
        let mut extra: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().is_some_and(|n| {
                    let n = n.to_string_lossy();
                    n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json")
                })
            })
            .collect();
        extra.sort();
        auto.extend(extra);
    }
    auto
}

/// Variables and nothing else: what a validation condition may refer to.
pub(crate) struct OnlyVars<'a>(pub &'a BTreeMap<String, Value>);
impl Lookup for OnlyVars<'_> {
    fn var(&self, name: &str) -> Option<Value> {
        self.0.get(name).cloned()
    }
    fn local(&self, _: &str) -> Option<Value> {
        None
    }
    fn resource(&self, _: bool, _: &str, _: &str) -> Option<Value> {
        None
    }
    fn names(&self, kind: NameKind) -> Vec<String> {
        match kind {
            NameKind::Variable => self.0.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

struct Raw {
    value: Value,
    range: Option<SourceRange>,
    source: String,
}

fn is_primitive(t: &Type) -> bool {
    matches!(t, Type::String | Type::Number | Type::Bool | Type::Any)
}

/// Resolves every declared variable. tfvars files are added to `cfg.sources` so that their errors
/// render with source lines like any other.
pub fn resolve(
    cfg: &mut Config,
    inputs: &VarInputs,
) -> Result<BTreeMap<String, Value>, Diagnostics> {
    let mut diags = Diagnostics::default();
    let mut raw: BTreeMap<String, Raw> = BTreeMap::new();
    let dir = cfg.dir.clone();

    // Defaults.
    let defaults: Vec<(String, Expr)> = cfg
        .variables
        .values()
        .filter_map(|v| v.default.clone().map(|d| (v.name.clone(), d)))
        .collect();
    for (name, e) in defaults {
        match Evaluator::new(&NoNames, &dir).eval(&e.expr) {
            Ok(v) => {
                raw.insert(
                    name,
                    Raw {
                        value: v,
                        range: e.range(),
                        source: "default".into(),
                    },
                );
            }
            Err(err) => diags.push(
                Diagnostic::error(format!(
                    "invalid default for variable \"{name}\": {}",
                    err.message
                ))
                .at(e.range_of(err.span))
                .with_help("a default must be a literal value; it cannot refer to other objects"),
            ),
        }
    }
    // Environment.
    for (name, text, var) in &inputs.env {
        if let Some(decl) = cfg.variables.get(name) {
            let v = parse_cli_value(&decl.ty, text)
                .map_err(|m| Diagnostic::error(format!("invalid value in {var}: {m}")));
            match v {
                Ok(v) => {
                    raw.insert(
                        name.clone(),
                        Raw {
                            value: v,
                            range: None,
                            source: var.clone(),
                        },
                    );
                }
                Err(d) => diags.push(d),
            }
        }
    }
    for f in auto_files(&dir) {
        load_tfvars(cfg, &f, false, &mut raw, &mut diags);
    }
    // --var and --var-file, in command-line order: the later wins.
    for arg in &inputs.args {
        let item = match arg {
            VarArg::File(f) => {
                load_tfvars(cfg, f, true, &mut raw, &mut diags);
                continue;
            }
            VarArg::Var(item) => item,
        };
        let Some((name, text)) = item.split_once('=') else {
            diags.push(
                Diagnostic::error(format!("invalid --var \"{item}\": expected NAME=VALUE"))
                    .with_help("write --var name=value"),
            );
            continue;
        };
        let Some(decl) = cfg.variables.get(name) else {
            diags.push(
                Diagnostic::error(format!("--var sets \"{name}\", which is not declared"))
                    .with_help(format!(
                        "declare it with variable \"{name}\" {{}} or remove the flag"
                    )),
            );
            continue;
        };
        let parsed = parse_cli_value(&decl.ty, text).map_err(|m| {
            if decl.sensitive {
                secrets_of(&Value::string(text)).redact(&m)
            } else {
                m
            }
        });
        match parsed {
            Ok(v) => {
                raw.insert(
                    name.to_string(),
                    Raw {
                        value: v,
                        range: None,
                        source: "--var".into(),
                    },
                );
            }
            Err(m) => diags.push(Diagnostic::error(format!(
                "invalid --var value for \"{name}\": {m}"
            ))),
        }
    }

    let mut values = BTreeMap::new();
    for (name, decl) in &cfg.variables {
        match raw.remove(name) {
            None => diags.push(
                Diagnostic::error(format!("no value for required variable \"{name}\""))
                    .at(Some(decl.range.clone()))
                    .with_help(format!(
                        "set it with --var {name}=VALUE, NETFORM_VAR_{name} (or TF_VAR_{name}), a terraform.tfvars file, or give the variable a default"
                    )),
            ),
            Some(r) => match decl.ty.convert(&r.value) {
                Ok(v) => {
                    values.insert(name.clone(), v);
                }
                Err(m) => diags.push(
                    Diagnostic::error(format!(
                        "invalid value for variable \"{name}\" (from {}): {}",
                        r.source,
                        if decl.sensitive { secrets_of(&r.value).redact(&m) } else { m }
                    ))
                        .at(r.range.or(Some(decl.range.clone())))
                        .with_help(format!("the variable's type is {}", decl.ty)),
                ),
            },
        }
    }
    if diags.has_errors() {
        return Err(diags);
    }
    validate(cfg, &values, &dir, &mut diags);
    if diags.has_errors() {
        return Err(diags);
    }
    // Warnings (undeclared names in auto-loaded variables files) travel with the configuration.
    cfg.warnings.extend(diags);
    Ok(values)
}

/// The textual forms of one sensitive value, to redact from messages.
fn secrets_of(v: &Value) -> Secrets {
    let mut s = Secrets::new();
    s.add(v);
    s
}

/// Runs the variables' validation blocks, which see the converted values. A sensitive
/// variable's value never appears in what they report: a message that refers to it is replaced,
/// as Terraform does.
fn validate(cfg: &Config, values: &BTreeMap<String, Value>, dir: &Path, diags: &mut Diagnostics) {
    let lookup = OnlyVars(values);
    for decl in cfg.variables.values() {
        let secrets = match values.get(&decl.name) {
            Some(v) if decl.sensitive => secrets_of(v),
            _ => Secrets::new(),
        };
        let mut ds = Diagnostics::default();
        for (cond, msg) in &decl.validations {
            let mut ev = Evaluator::new(&lookup, dir);
            match ev.eval(&cond.expr) {
                Ok(Value::Bool(true)) | Ok(Value::Unknown(_)) => {}
                Ok(Value::Bool(false)) => {
                    let (label, detail) = if decl.sensitive && !msg.refs().is_empty() {
                        (
                            SHOWN.to_string(),
                            "the error message refers to a sensitive value, so it is not shown"
                                .to_string(),
                        )
                    } else {
                        let text = ev
                            .eval(&msg.expr)
                            .ok()
                            .and_then(|m| m.coerce_string())
                            .unwrap_or_else(|| "validation failed".into());
                        (text.clone(), text)
                    };
                    ds.push(
                        Diagnostic::error(format!("invalid value for variable \"{}\"", decl.name))
                            .at(cond.range())
                            .with_label(label)
                            .with_detail(detail)
                            .with_help("change the value, or the validation rule"),
                    );
                }
                Ok(other) => ds.push(
                    Diagnostic::error(format!(
                        "a validation condition must be a bool, not {}",
                        other.type_name()
                    ))
                    .at(cond.range()),
                ),
                Err(e) => ds.push(
                    Diagnostic::error(format!("invalid validation condition: {}", e.message))
                        .at(cond.range_of(e.span))
                        .with_help("a validation condition may refer only to its own variable"),
                ),
            }
        }
        secrets.redact_all(&mut ds);
        diags.extend(ds);
    }
}

/// A `--var` / environment value: primitive types take the raw text, others are HCL.
fn parse_cli_value(ty: &Type, text: &str) -> Result<Value, String> {
    if is_primitive(ty) {
        return Ok(Value::string(text));
    }
    let e = hcl_edit::parser::parse_expr(text).map_err(|e| e.message().to_string())?;
    Evaluator::new(&NoNames, Path::new("."))
        .eval(&e)
        .map_err(|e| e.message)
}

fn load_tfvars(
    cfg: &mut Config,
    path: &Path,
    explicit: bool,
    raw: &mut BTreeMap<String, Raw>,
    diags: &mut Diagnostics,
) {
    let shown = path
        .strip_prefix(&cfg.dir)
        .unwrap_or(path)
        .display()
        .to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(format!(
                "cannot read variables file {shown}: {e}"
            )));
            return;
        }
    };
    let file = cfg.sources.add(shown.clone(), text.clone());
    if shown.ends_with(".json") {
        load_tfvars_json(cfg, (file, &shown, &text), explicit, raw, diags);
        return;
    }
    let body = match hcl_edit::parser::parse_body(&text) {
        Ok(b) => b,
        Err(e) => {
            let start = e.location().offset().min(text.len());
            diags.push(
                Diagnostic::error(format!(
                    "syntax error in {shown}: {}",
                    e.message().lines().next().unwrap_or("")
                ))
                .at(Some(SourceRange {
                    file,
                    start,
                    end: (start + 1).min(text.len()),
                })),
            );
            return;
        }
    };
    for s in body.iter() {
        let Structure::Attribute(a) = s else {
            diags.push(Diagnostic::error(format!(
                "{shown} may hold only NAME = VALUE lines"
            )));
            continue;
        };
        let name = a.key.as_str().to_string();
        let e = Expr {
            file,
            expr: a.value.clone(),
        };
        if !cfg.variables.contains_key(&name) {
            diags.push(undeclared(&shown, &name, e.range(), explicit));
            continue;
        }
        match Evaluator::new(&NoNames, &cfg.dir.clone()).eval(&a.value) {
            Ok(v) => {
                raw.insert(
                    name,
                    Raw {
                        value: v,
                        range: e.range(),
                        source: shown.clone(),
                    },
                );
            }
            Err(err) => diags.push(
                Diagnostic::error(format!("invalid value for \"{name}\": {}", err.message))
                    .at(e.range_of(err.span))
                    .with_help("values in variables files are literals"),
            ),
        }
    }
}

/// A variables file setting a name no `variable` block declares: Terraform warns for the
/// files it reads by itself and refuses the ones named on the command line.
fn undeclared(shown: &str, name: &str, at: Option<SourceRange>, explicit: bool) -> Diagnostic {
    let d = Diagnostic::warning(format!("{shown} sets \"{name}\", which is not declared"))
        .at(at)
        .with_help("declare the variable or remove the line");
    if explicit {
        Diagnostic {
            severity: crate::diag::Severity::Error,
            ..d
        }
    } else {
        d
    }
}

/// Terraform's JSON variables file: one object, each property a variable's value.
fn load_tfvars_json(
    cfg: &mut Config,
    (file, shown, text): (usize, &str, &str),
    explicit: bool,
    raw: &mut BTreeMap<String, Raw>,
    diags: &mut Diagnostics,
) {
    let whole = Some(SourceRange {
        file,
        start: 0,
        end: text.len().min(1),
    });
    let j: serde_json::Value = match serde_json::from_str(text) {
        Ok(j) => j,
        Err(e) => {
            let start = text
                .split_inclusive('\n')
                .take(e.line().saturating_sub(1))
                .map(str::len)
                .sum::<usize>()
                + e.column().saturating_sub(1);
            let start = start.min(text.len());
            diags.push(
                Diagnostic::error(format!("syntax error in {shown}: {e}")).at(Some(SourceRange {
                    file,
                    start,
                    end: (start + 1).min(text.len()),
                })),
            );
            return;
        }
    };
    let Some(obj) = j.as_object() else {
        diags.push(
            Diagnostic::error(format!("{shown} must hold one JSON object"))
                .at(whole)
                .with_help("write {\"name\": value, …}"),
        );
        return;
    };
    for (name, v) in obj {
        if !cfg.variables.contains_key(name) {
            diags.push(undeclared(shown, name, whole.clone(), explicit));
            continue;
        }
        raw.insert(
            name.clone(),
            Raw {
                value: Value::from_json(v),
                range: None,
                source: shown.to_string(),
            },
        );
    }
}

/// A variable's validation blocks, against its value (in `lookup`): each failing condition is an
/// error with the rule's message.
pub(crate) fn check_validations(
    decl: &crate::config::Variable,
    lookup: &dyn Lookup,
    dir: &Path,
    diags: &mut Diagnostics,
) {
    for (cond, msg) in &decl.validations {
        let mut ev = Evaluator::new(lookup, dir);
        match ev.eval(&cond.expr) {
            Ok(Value::Bool(true)) | Ok(Value::Unknown(_)) => {}
            Ok(Value::Bool(false)) => {
                let text = ev
                    .eval(&msg.expr)
                    .ok()
                    .and_then(|m| m.coerce_string())
                    .unwrap_or_else(|| "validation failed".into());
                diags.push(
                    Diagnostic::error(format!("invalid value for variable \"{}\"", decl.name))
                        .at(cond.range())
                        .with_label(text.clone())
                        .with_detail(text)
                        .with_help("change the value, or the validation rule"),
                );
            }
            Ok(other) => diags.push(
                Diagnostic::error(format!(
                    "a validation condition must be a bool, not {}",
                    other.type_name()
                ))
                .at(cond.range()),
            ),
            Err(e) => diags.push(
                Diagnostic::error(format!("invalid validation condition: {}", e.message))
                    .at(cond.range_of(e.span))
                    .with_help("a validation condition may refer only to its own variable"),
            ),
        }
    }
}
