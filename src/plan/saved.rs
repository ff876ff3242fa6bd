//! Saved plans (`plan --out FILE`, `apply FILE`): one JSON file with the actions, the prior state's
//! lineage and serial, the non-sensitive variable values, a hash of the configuration and the
//! netform version — never a sensitive value. Applying it applies exactly what it holds; a changed
//! state makes it stale, another lineage makes it foreign.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value as J, json};

use super::attrs::Attrs;
use super::{Action, Change, Plan, PlanOptions};
use crate::address::Address;
use crate::cli::PlanArgs;
use crate::config::Config;
use crate::lang::Value;
use crate::provider::Clouds;
use crate::schema;
use crate::state::Store;

const FORMAT: &str = "netform-plan";

/// Values with their unknowns kept: `{"$unknown": origin}`.
fn enc(v: &Value) -> J {
    match v {
        Value::Unknown(o) => json!({"$unknown": o}),
        Value::List(x) => J::Array(x.iter().map(enc).collect()),
        Value::Set(x) => json!({"$set": x.iter().map(enc).collect::<Vec<_>>()}),
        Value::Map(m) => {
            json!({"$map": m.iter().map(|(k, v)| (k.clone(), enc(v))).collect::<serde_json::Map<_, _>>()})
        }
        other => other.to_json(),
    }
}

fn dec(j: &J) -> Value {
    match j {
        J::Object(m) if m.contains_key("$unknown") => {
            Value::Unknown(m.get("$unknown").and_then(J::as_str).map(str::to_string))
        }
        J::Object(m) if m.contains_key("$set") => Value::set(
            m.get("$set")
                .and_then(J::as_array)
                .map(|a| a.iter().map(dec).collect())
                .unwrap_or_default(),
        ),
        J::Object(m) if m.contains_key("$map") => Value::Map(
            m.get("$map")
                .and_then(J::as_object)
                .map(|o| o.iter().map(|(k, v)| (k.clone(), dec(v))).collect())
                .unwrap_or_default(),
        ),
        J::Array(a) => Value::List(a.iter().map(dec).collect()),
        other => Value::from_json(other),
    }
}

/// A JSON array of strings (anything else: empty).
fn strings(j: Option<&J>) -> Vec<String> {
    j.and_then(J::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Sensitive attributes are saved as unknown: apply evaluates them again from the variables it
/// is given, so the plan file never holds them.
fn enc_attrs(a: &Option<Attrs>, hide: &std::collections::BTreeSet<String>) -> J {
    match a {
        None => J::Null,
        Some(m) => J::Object(
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        if hide.contains(k) {
                            enc(&Value::unknown())
                        } else {
                            enc(v)
                        },
                    )
                })
                .collect(),
        ),
    }
}

fn dec_attrs(j: Option<&J>) -> Option<Attrs> {
    match j {
        Some(J::Object(m)) => Some(m.iter().map(|(k, v)| (k.clone(), dec(v))).collect()),
        _ => None,
    }
}

pub fn save(p: &Plan, cfg: &Config, args: &PlanArgs) -> String {
    let vars: BTreeMap<String, J> = p
        .scope
        .vars
        .iter()
        .filter(|(k, _)| cfg.variables.get(*k).is_none_or(|v| !v.sensitive))
        .map(|(k, v)| (k.clone(), v.to_json()))
        .collect();
    let changes: Vec<J> = p
        .changes
        .iter()
        .map(|c| {
            json!({
                "address": c.address.to_string(),
                "action": c.action,
                "create_before_destroy": c.create_before_destroy,
                "before": enc_attrs(&c.before, &c.sensitive),
                "after": enc_attrs(&c.after, &c.sensitive),
                "sensitive": c.sensitive,
                "replace_paths": c.replace_paths,
                "dependencies": c.dependencies,
                "provider": c.provider,
                "each": c.each.as_ref().map(enc),
            })
        })
        .collect();
    let o = &p.options;
    let j = json!({
        "format": FORMAT,
        "format_version": 1,
        "netform_version": env!("CARGO_PKG_VERSION"),
        "lineage": p.prior.lineage,
        "serial": p.prior.serial,
        "had_state": p.had_state,
        "config_hash": cfg.hash,
        "variables": vars,
        "options": {
            "destroy": o.destroy, "refresh_only": o.refresh_only,
            "targets": o.targets.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "excludes": o.excludes.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "replace": o.replace.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        },
        "parallelism": args.parallelism,
        "changes": changes,
        "ops": p.ops,
        "plan": crate::render::json::plan(p, &cfg.sources),
        "rendered": crate::render::plan::render(p, crate::render::Style::PLAIN),
    });
    serde_json::to_string_pretty(&j).unwrap_or_default() + "\n"
}

pub enum LoadError {
    /// Already reported; exit with this code.
    Exit(i32),
    User(String, String),
    /// The cloud's rules or the configuration refuse what the saved plan would do now (for
    /// example a change made outside netform since): nothing was applied.
    Diagnostics(crate::diag::Diagnostics, Box<crate::diag::Sources>),
}

impl From<crate::cli::Exit> for LoadError {
    fn from(e: crate::cli::Exit) -> Self {
        LoadError::Exit(e.0)
    }
}

pub struct Loaded {
    pub cfg: Config,
    pub clouds: Clouds,
    pub plan: Plan,
    pub store: Store,
    pub warnings: Vec<String>,
}

type Setup<'a> = dyn FnMut(&mut Config, &PlanArgs) -> Result<(BTreeMap<String, Value>, Clouds), crate::cli::Exit>
    + 'a;

/// Reads a saved plan and rebuilds what apply needs: the configuration and scope (to resolve
/// unknowns), checked against the current state's lineage and serial.
pub fn load_and_replan(
    dir: &Path,
    file: &Path,
    mut store: Store,
    setup: &mut Setup,
) -> Result<Loaded, LoadError> {
    let path = if file.is_absolute() {
        file.to_path_buf()
    } else {
        dir.join(file)
    };
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        LoadError::User(
            format!("cannot read the plan file {shown}: {e}"),
            "check the path; make one with netform plan --out FILE".into(),
        )
    })?;
    let j: J = serde_json::from_str(&text).map_err(|e| {
        LoadError::User(
            format!("{shown} is not a netform plan file: {e}"),
            "make one with netform plan --out FILE".into(),
        )
    })?;
    if j.get("format").and_then(J::as_str) != Some(FORMAT) {
        return Err(LoadError::User(
            format!("{shown} is not a netform plan file"),
            "make one with netform plan --out FILE".into(),
        ));
    }
    let mut warnings = Vec::new();
    let mut cfg = crate::config::load_dir(dir).map_err(|_| {
        LoadError::User(
            "the configuration no longer loads".into(),
            "run netform validate to see why".into(),
        )
    })?;
    if j.get("config_hash").and_then(J::as_str) != Some(cfg.hash.as_str()) {
        warnings.push(format!(
            "the configuration changed since {shown} was saved; applying exactly the saved plan"
        ));
    }
    let saved_vars: BTreeMap<String, Value> = j
        .get("variables")
        .and_then(J::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), Value::from_json(v)))
                .collect()
        })
        .unwrap_or_default();
    let args = PlanArgs {
        parallelism: j.get("parallelism").and_then(J::as_u64).unwrap_or(10) as usize,
        refresh: false,
        input: false,
        ..Default::default()
    };
    // The lock first: the state and the simulator's cloud are read under it.
    store
        .lock(std::time::Duration::ZERO, "apply")
        .map_err(|e| LoadError::User(e.to_string(), e.help().into()))?;
    let (mut vars, clouds) = setup(&mut cfg, &args)?;
    vars.extend(saved_vars);
    let state = store
        .read()
        .map_err(|e| LoadError::User(e.to_string(), e.help().into()))?;
    // A run interrupted since (or before) the plan was made left a journal or operations whose
    // outcome is unknown: the saved plan cannot know what they did. `apply` settles them.
    if store.has_journal() || state.as_ref().is_some_and(|s| !s.pending.is_empty()) {
        return Err(LoadError::User(
            "Saved plan is stale".into(),
            format!(
                "a run was interrupted and left operations to settle that {shown} cannot know about; run netform apply (without a plan file) to settle them and finish, or settle them with netform apply, then make a new plan"
            ),
        ));
    }
    let lineage = j.get("lineage").and_then(J::as_str).unwrap_or("");
    let serial = j.get("serial").and_then(J::as_u64).unwrap_or(0);
    let had_state = j.get("had_state").and_then(J::as_bool).unwrap_or(false);
    match &state {
        Some(s) if had_state && s.lineage != lineage => {
            return Err(LoadError::User(
                "Saved plan does not match the given state".into(),
                format!(
                    "{shown} was made for state lineage {lineage}, and this state is {}; make a new plan",
                    s.lineage
                ),
            ));
        }
        Some(s) if !had_state && !s.resources.is_empty() => {
            return Err(LoadError::User(
                "Saved plan is stale".into(),
                format!(
                    "{shown} was made before any state existed, and state has changed since; make a new plan"
                ),
            ));
        }
        Some(s) if had_state && s.serial != serial => {
            return Err(LoadError::User(
                "Saved plan is stale".into(),
                format!(
                    "the state changed since {shown} was made (serial {serial} → {}); make a new plan",
                    s.serial
                ),
            ));
        }
        None if had_state => {
            return Err(LoadError::User(
                "Saved plan does not match the given state".into(),
                format!("{shown} was made for an existing state, and there is none here"),
            ));
        }
        _ => {}
    }
    let o = j.get("options").cloned().unwrap_or(J::Null);
    let addrs = |k: &str| -> Vec<Address> {
        o.get(k)
            .and_then(J::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().and_then(|s| Address::parse(s).ok()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let opts = PlanOptions {
        destroy: o.get("destroy").and_then(J::as_bool).unwrap_or(false),
        refresh: false,
        refresh_only: o.get("refresh_only").and_then(J::as_bool).unwrap_or(false),
        targets: addrs("targets"),
        excludes: addrs("excludes"),
        replace: addrs("replace"),
        offline: false,
    };
    let mut prior = state.clone();
    if let Some(p) = prior.as_mut() {
        p.lineage = lineage.to_string();
    }
    let mut plan = super::plan(
        super::Inputs {
            cfg: &cfg,
            vars,
            prior: prior.clone(),
            clouds: &clouds,
        },
        opts,
    )
    .map_err(|d| LoadError::Diagnostics(d, Box::new(cfg.sources.clone())))?;
    if state.is_none() {
        plan.prior.lineage = lineage.to_string();
    }
    // Exactly what the file holds.
    let mut changes = Vec::new();
    for c in j
        .get("changes")
        .and_then(J::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let Some(address) = c
            .get("address")
            .and_then(J::as_str)
            .and_then(|s| Address::parse(s).ok())
        else {
            continue;
        };
        let Some((sch, _)) = schema::lookup(address.mode, &address.ty) else {
            continue;
        };
        let action: Action = serde_json::from_value(c.get("action").cloned().unwrap_or(J::Null))
            .unwrap_or(Action::NoOp);
        changes.push(Change {
            address,
            kind: sch.kind,
            action,
            before: dec_attrs(c.get("before")),
            after: dec_attrs(c.get("after")),
            replace_paths: strings(c.get("replace_paths")),
            create_before_destroy: c
                .get("create_before_destroy")
                .and_then(J::as_bool)
                .unwrap_or(false),
            dependencies: strings(c.get("dependencies")),
            provider: c.get("provider").and_then(J::as_str).map(str::to_string),
            each: c.get("each").filter(|e| !e.is_null()).map(dec),
            sensitive: strings(c.get("sensitive")).into_iter().collect(),
        });
    }
    plan.changes = changes;
    plan.ops = serde_json::from_value(j.get("ops").cloned().unwrap_or(J::Null)).map_err(|e| {
        LoadError::User(format!("{shown} is damaged: {e}"), "make a new plan".into())
    })?;
    Ok(Loaded {
        cfg,
        clouds,
        plan,
        store,
        warnings,
    })
}
