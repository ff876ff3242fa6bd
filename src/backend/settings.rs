//! Which backend a configuration uses, and with what settings: the `terraform { backend "…" {} }`
//! block, then `-backend-config` (KEY=VALUE or a file of `key = "value"` lines, later ones win),
//! then the environment (`PG_CONN_STR`, `PG_SCHEMA_NAME`, …, as Terraform's `pg` backend reads
//! them; libpq's `PG*` variables fill what the connection string leaves out). Settings are
//! literals, as in Terraform: a pipeline keeps secrets out of the files with -backend-config or
//! the environment. Nothing here is ever written to disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Spec;
use super::local::{LocalSpec, WORKSPACE_DIR};
use super::pg::{PgSettings, PgSpec};

/// The backends netform has.
pub const KINDS: &[&str] = &["local", "pg"];

/// The settings each backend takes (Terraform's names; `lock_lease` is netform's own).
pub fn settings_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "local" => &["path", "workspace_dir"],
        "pg" => &[
            "conn_str",
            "schema_name",
            "skip_schema_creation",
            "skip_table_creation",
            "skip_index_creation",
            "lock_lease",
        ],
        _ => &[],
    }
}

/// A `backend "KIND" { … }` block as the loader found it, its values as literal text.
#[derive(Clone, Debug, PartialEq)]
pub struct BackendDecl {
    pub kind: String,
    pub settings: BTreeMap<String, String>,
    /// `file:line`, for messages.
    pub at: String,
}

/// Why the backend settings cannot be used; neither part repeats a setting's value.
#[derive(Debug)]
pub struct SettingsError {
    pub message: String,
    pub help: String,
}

fn err(message: impl Into<String>, help: impl Into<String>) -> SettingsError {
    SettingsError {
        message: message.into(),
        help: help.into(),
    }
}

pub struct Inputs<'a> {
    pub decl: Option<&'a BackendDecl>,
    /// `-backend-config` values, in order.
    pub cli: &'a [String],
    /// The configuration directory (relative paths are resolved against it).
    pub dir: &'a Path,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

/// `-backend-config` values as settings: `KEY=VALUE`, or a file of HCL attributes.
fn cli_settings(
    kind: &str,
    cli: &[String],
    dir: &Path,
) -> Result<BTreeMap<String, String>, SettingsError> {
    let mut out = BTreeMap::new();
    for item in cli {
        if let Some((k, v)) = item.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(v);
            out.insert(k.trim().to_string(), v.to_string());
            continue;
        }
        let path = if Path::new(item).is_absolute() {
            PathBuf::from(item)
        } else {
            dir.join(item)
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            err(
                format!("cannot read the -backend-config file {item}: {e}"),
                "pass KEY=VALUE, or a file of key = \"value\" lines",
            )
        })?;
        let body: hcl_edit::structure::Body = text.parse().map_err(|_| {
            err(
                format!("the -backend-config file {item} is not HCL attributes"),
                "write one key = \"value\" per line",
            )
        })?;
        for s in body.iter() {
            let Some(a) = s.as_attribute() else {
                return Err(err(
                    format!("the -backend-config file {item} holds a block"),
                    "write only key = \"value\" lines",
                ));
            };
            let key = a.key.as_str().to_string();
            let Some(v) = literal(&a.value) else {
                return Err(err(
                    format!("{key} in the -backend-config file {item} is not a literal"),
                    "backend settings are plain strings, numbers or booleans",
                ));
            };
            out.insert(key, v);
        }
    }
    for k in out.keys() {
        check_key(kind, k, "-backend-config")?;
    }
    Ok(out)
}

/// A literal string, number or boolean as text; `None` for anything to evaluate.
pub fn literal(e: &hcl_edit::expr::Expression) -> Option<String> {
    use hcl_edit::expr::Expression as E;
    match e {
        E::String(s) => Some(s.value().to_string()),
        E::Bool(b) => Some(b.value().to_string()),
        E::Number(n) => Some(n.value().to_string()),
        E::StringTemplate(t) => {
            let mut out = String::new();
            for el in t.iter() {
                match el {
                    hcl_edit::template::Element::Literal(l) => out.push_str(l.value()),
                    _ => return None,
                }
            }
            Some(out)
        }
        _ => None,
    }
}

/// An unknown setting is named with those the backend takes.
pub fn check_key(kind: &str, key: &str, from: &str) -> Result<(), SettingsError> {
    if settings_of(kind).contains(&key) {
        return Ok(());
    }
    Err(err(
        format!("the {kind} backend has no setting \"{key}\" (from {from})"),
        format!("the {kind} backend takes {}", settings_of(kind).join(", ")),
    ))
}

fn parse_bool(key: &str, v: &str) -> Result<bool, SettingsError> {
    match v {
        "true" | "1" => Ok(true),
        "false" | "0" | "" => Ok(false),
        _ => Err(err(
            format!("{key} must be true or false"),
            format!("write {key} = true"),
        )),
    }
}

fn parse_lease(v: &str) -> Result<Duration, SettingsError> {
    let bad = || {
        err(
            format!("lock_lease {v:?} is not a duration of at least 1s"),
            "write lock_lease = \"30s\" (or 2m)",
        )
    };
    let (num, mul) = if let Some(n) = v.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60.0)
    } else {
        (v, 1.0)
    };
    let secs: f64 = num.trim().parse().map_err(|_| bad())?;
    if !(1.0..=86_400.0).contains(&(secs * mul)) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs * mul))
}

/// The backend to use.
pub fn resolve(i: &Inputs) -> Result<Spec, SettingsError> {
    let Some(decl) = i.decl else {
        if !i.cli.is_empty() {
            return Err(err(
                "-backend-config was given, but the configuration declares no backend",
                "add terraform { backend \"pg\" {} } (or \"local\") to the configuration",
            ));
        }
        return Ok(Spec::Local(local_default(i.dir, None, None)));
    };
    let mut s = decl.settings.clone();
    s.extend(cli_settings(&decl.kind, i.cli, i.dir)?);
    match decl.kind.as_str() {
        "local" => {
            let path = s.get("path").map(|p| i.dir.join(p));
            let wd = s.get("workspace_dir").map(|p| i.dir.join(p));
            Ok(Spec::Local(local_default(i.dir, path, wd)))
        }
        "pg" => {
            let get = |k: &str, env: &str| s.get(k).cloned().or_else(|| (i.env)(env));
            let settings = PgSettings {
                conn_str: get("conn_str", "PG_CONN_STR").unwrap_or_default(),
                schema_name: get("schema_name", "PG_SCHEMA_NAME")
                    .unwrap_or_else(|| "terraform_remote_state".into()),
                skip_schema_creation: parse_bool(
                    "skip_schema_creation",
                    &get("skip_schema_creation", "PG_SKIP_SCHEMA_CREATION").unwrap_or_default(),
                )?,
                skip_table_creation: parse_bool(
                    "skip_table_creation",
                    &get("skip_table_creation", "PG_SKIP_TABLE_CREATION").unwrap_or_default(),
                )?,
                lease: match get("lock_lease", "NETFORM_PG_LOCK_LEASE") {
                    Some(v) => parse_lease(&v)?,
                    None => Duration::from_secs(30),
                },
            };
            PgSpec::new(&settings, i.env)
                .map(|p| Spec::Pg(Box::new(p)))
                .map_err(|m| {
                    err(
                        format!("backend \"pg\" ({}): {m}", decl.at),
                        "fix the setting in the block, -backend-config or the environment",
                    )
                })
        }
        other => Err(err(
            format!("unknown backend type \"{other}\" at {}", decl.at),
            format!("netform supports {}", supported()),
        )),
    }
}

/// `"local" and "pg"`, for messages.
pub fn supported() -> String {
    let k: Vec<String> = KINDS.iter().map(|k| format!("\"{k}\"")).collect();
    k.join(" and ")
}

fn local_default(dir: &Path, path: Option<PathBuf>, workspace_dir: Option<PathBuf>) -> LocalSpec {
    LocalSpec {
        path: path.unwrap_or_else(|| dir.join("netform.tfstate")),
        workspace_dir: workspace_dir.unwrap_or_else(|| dir.join(WORKSPACE_DIR)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(kind: &str, kv: &[(&str, &str)]) -> BackendDecl {
        BackendDecl {
            kind: kind.into(),
            settings: kv
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            at: "main.hcl:2".into(),
        }
    }

    #[test]
    fn cli_settings_override_the_block_and_the_environment_fills_the_rest() {
        let d = decl(
            "pg",
            &[("conn_str", "postgres://a@h1/db"), ("schema_name", "s1")],
        );
        let env = |k: &str| (k == "PG_SCHEMA_NAME").then(|| "from_env".to_string());
        let cli = vec!["schema_name=s2".to_string()];
        let spec = resolve(&Inputs {
            decl: Some(&d),
            cli: &cli,
            dir: Path::new("/c"),
            env: &env,
        });
        match spec {
            Ok(Spec::Pg(p)) => assert!(p.describe().contains("schema \"s2\""), "{}", p.describe()),
            _ => panic!("a pg spec"),
        }
        let none = decl("pg", &[("conn_str", "postgres://a@h1/db")]);
        match resolve(&Inputs {
            decl: Some(&none),
            cli: &[],
            dir: Path::new("/c"),
            env: &env,
        }) {
            Ok(Spec::Pg(p)) => assert!(p.describe().contains("from_env"), "{}", p.describe()),
            _ => panic!("a pg spec"),
        }
    }

    #[test]
    fn unknown_settings_and_kinds_name_what_is_supported_and_never_the_value() {
        let d = decl("pg", &[]);
        let cli = vec!["conn=postgres://u:hunter22@h/db".to_string()];
        let e = resolve(&Inputs {
            decl: Some(&d),
            cli: &cli,
            dir: Path::new("/c"),
            env: &|_| None,
        })
        .err()
        .map(|e| format!("{} {}", e.message, e.help))
        .unwrap_or_default();
        assert!(
            e.contains("no setting \"conn\"") && e.contains("conn_str"),
            "{e}"
        );
        assert!(!e.contains("hunter22"), "{e}");
        let s3 = decl("s3", &[]);
        let e = resolve(&Inputs {
            decl: Some(&s3),
            cli: &[],
            dir: Path::new("/c"),
            env: &|_| None,
        })
        .err()
        .map(|e| format!("{} {}", e.message, e.help))
        .unwrap_or_default();
        assert!(
            e.contains("\"s3\" at main.hcl:2") && e.contains("\"local\" and \"pg\""),
            "{e}"
        );
    }

    #[test]
    fn a_bad_connection_string_is_refused_without_repeating_it() {
        let d = decl(
            "pg",
            &[("conn_str", "host=h password=hunter22 bogus_option=1")],
        );
        let e = resolve(&Inputs {
            decl: Some(&d),
            cli: &[],
            dir: Path::new("/c"),
            env: &|_| None,
        })
        .err()
        .map(|e| e.message)
        .unwrap_or_default();
        assert!(e.contains("not a PostgreSQL connection string"), "{e}");
        assert!(!e.contains("hunter22"), "{e}");
    }
}
