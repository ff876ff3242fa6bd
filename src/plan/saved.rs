//! Saved plans (`plan --out FILE`, `apply FILE`, `show FILE`): one JSON file with the actions,
//! the prior state's lineage and serial, the non-sensitive variable values, a hash of the
//! configuration and the netform version — never a sensitive value. Applying it applies exactly
//! what it holds; a changed state makes it stale, another lineage makes it foreign.
//!
//! The format is a set of serde-derived structs that refuse unknown fields, with a
//! `format_version`: a file this netform cannot read in full is a damaged plan file, refused
//! before anything is locked, read from the cloud or changed. Reading half a plan and applying
//! the half it understood is how a garbled address once applied in part and reported success.
//!
//! Like OpenTofu's `planfile` package, this module only reads and writes: what `show` prints
//! (the JSON plan and the human rendering) is computed by the caller and handed in as plain data.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use super::attrs::Attrs;
use super::ops::Op;
use super::{Action, Change, Plan, PlanOptions};
use crate::address::Address;
use crate::config::{Config, Mode};
use crate::lang::Value;
use crate::provider::Clouds;
use crate::schema;
use crate::state::Store;

const FORMAT: &str = "netform-plan";
/// Version 1 was decoded by hand and skipped what it could not read; version 2 is read whole or
/// not at all.
pub const FORMAT_VERSION: u64 = 2;

/// Why a plan file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlanFileError {
    #[error("cannot read the plan file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the plan file {path} is damaged: {what}")]
    Damaged { path: String, what: String },
}

impl PlanFileError {
    pub fn help(&self) -> &'static str {
        match self {
            PlanFileError::Read { .. } => {
                "check the path; make a plan file with netform plan --out FILE"
            }
            PlanFileError::Damaged { .. } => {
                "nothing was applied; make a new plan with netform plan --out FILE, then apply that file"
            }
        }
    }
}

/// A value with its unknowns and sets kept, tagged by kind so that reading it back gives the
/// very value that was planned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SavedValue {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<SavedValue>),
    Set(Vec<SavedValue>),
    Map(BTreeMap<String, SavedValue>),
    /// Known after apply; the origin names the attribute it stands for, when it has one.
    Unknown(Option<String>),
}

impl From<&Value> for SavedValue {
    fn from(v: &Value) -> SavedValue {
        match v {
            Value::Null => SavedValue::Null,
            Value::Bool(b) => SavedValue::Bool(*b),
            Value::Number(n) => SavedValue::Number(n.to_f64()),
            Value::String(s) => SavedValue::String(s.clone()),
            Value::List(x) => SavedValue::List(x.iter().map(SavedValue::from).collect()),
            Value::Set(x) => SavedValue::Set(x.iter().map(SavedValue::from).collect()),
            Value::Map(m) => SavedValue::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), SavedValue::from(v)))
                    .collect(),
            ),
            Value::Unknown(o) => SavedValue::Unknown(o.clone()),
        }
    }
}

impl From<&SavedValue> for Value {
    fn from(v: &SavedValue) -> Value {
        match v {
            SavedValue::Null => Value::Null,
            SavedValue::Bool(b) => Value::Bool(*b),
            SavedValue::Number(n) => Value::from_f64(*n),
            SavedValue::String(s) => Value::String(s.clone()),
            SavedValue::List(x) => Value::List(x.iter().map(Value::from).collect()),
            SavedValue::Set(x) => Value::set(x.iter().map(Value::from).collect()),
            SavedValue::Map(m) => {
                Value::Map(m.iter().map(|(k, v)| (k.clone(), Value::from(v))).collect())
            }
            SavedValue::Unknown(o) => Value::Unknown(o.clone()),
        }
    }
}

/// The options the plan was made with.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedOptions {
    pub destroy: bool,
    pub refresh_only: bool,
    pub targets: Vec<Address>,
    pub excludes: Vec<Address>,
    pub replace: Vec<Address>,
}

/// One planned change. Sensitive attributes are saved as unknown: apply evaluates them again
/// from the variables it is given, so the file never holds them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedChange {
    pub address: Address,
    pub action: Action,
    pub create_before_destroy: bool,
    pub before: Option<BTreeMap<String, SavedValue>>,
    pub after: Option<BTreeMap<String, SavedValue>>,
    pub sensitive: BTreeSet<String>,
    pub replace_paths: Vec<String>,
    pub dependencies: Vec<String>,
    pub provider: Option<String>,
    pub each: Option<SavedValue>,
}

/// The whole file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    pub format: String,
    pub format_version: u64,
    pub netform_version: String,
    pub lineage: String,
    pub serial: u64,
    pub had_state: bool,
    pub config_hash: String,
    /// The non-sensitive variables' values.
    pub variables: BTreeMap<String, SavedValue>,
    pub options: SavedOptions,
    pub parallelism: usize,
    pub changes: Vec<SavedChange>,
    pub ops: Vec<Op>,
    /// `show -json FILE`: the plan in Terraform's JSON shape, as it was when saved.
    pub plan: J,
    /// `show FILE`: the plan as `plan` printed it, without colour.
    pub rendered: String,
}

/// What `show FILE` prints, computed by the caller when the plan is saved.
pub struct Views {
    pub json: J,
    pub rendered: String,
}

fn saved_attrs(a: &Option<Attrs>, hide: &BTreeSet<String>) -> Option<BTreeMap<String, SavedValue>> {
    a.as_ref().map(|m| {
        m.iter()
            .map(|(k, v)| {
                let v = if hide.contains(k) {
                    SavedValue::Unknown(None)
                } else {
                    SavedValue::from(v)
                };
                (k.clone(), v)
            })
            .collect()
    })
}

fn attrs(a: &Option<BTreeMap<String, SavedValue>>) -> Option<Attrs> {
    a.as_ref()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), Value::from(v))).collect())
}

impl PlanFile {
    /// The file for a plan: sensitive values (variables and attributes derived from them) left
    /// out.
    pub fn new(p: &Plan, cfg: &Config, parallelism: usize, views: Views) -> PlanFile {
        let variables = p
            .scope
            .vars
            .iter()
            .filter(|(k, _)| !super::modules::is_sensitive_var(&p.scope, cfg, k))
            .map(|(k, v)| (k.clone(), SavedValue::from(v)))
            .collect();
        let changes = p
            .changes
            .iter()
            .map(|c| SavedChange {
                address: c.address.clone(),
                action: c.action,
                create_before_destroy: c.create_before_destroy,
                before: saved_attrs(&c.before, &c.sensitive),
                after: saved_attrs(&c.after, &c.sensitive),
                sensitive: c.sensitive.clone(),
                replace_paths: c.replace_paths.clone(),
                dependencies: c.dependencies.clone(),
                provider: c.provider.clone(),
                each: c.each.as_ref().map(SavedValue::from),
            })
            .collect();
        let o = &p.options;
        PlanFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            netform_version: env!("CARGO_PKG_VERSION").into(),
            lineage: p.prior.lineage.clone(),
            serial: p.prior.serial,
            had_state: p.had_state,
            config_hash: cfg.hash.clone(),
            variables,
            options: SavedOptions {
                destroy: o.destroy,
                refresh_only: o.refresh_only,
                targets: o.targets.clone(),
                excludes: o.excludes.clone(),
                replace: o.replace.clone(),
            },
            parallelism,
            changes,
            ops: p.ops.to_vec(),
            plan: views.json,
            rendered: views.rendered,
        }
    }

    pub fn to_text(&self) -> String {
        // Every field is a string, number, bool or map with string keys: serialising cannot fail,
        // and an empty file would be refused as damaged rather than applied.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }

    /// Reads a plan file whole, or refuses it: `shown` names it in errors.
    pub fn parse(text: &str, shown: &str) -> Result<PlanFile, PlanFileError> {
        let damaged = |what: String| PlanFileError::Damaged {
            path: shown.to_string(),
            what,
        };
        // The header first, so that a plan of another format version says so rather than
        // naming the first field it does not know.
        #[derive(Deserialize)]
        struct Header {
            format: Option<String>,
            format_version: Option<J>,
        }
        let h: Header = serde_json::from_str(text).map_err(|e| {
            damaged(format!(
                "it is not JSON, or not a netform plan (line {}, column {}: {e})",
                e.line(),
                e.column()
            ))
        })?;
        if h.format.as_deref() != Some(FORMAT) {
            return Err(damaged(format!(
                "it is not a netform plan file (no \"format\": \"{FORMAT}\")"
            )));
        }
        match h.format_version.as_ref().and_then(J::as_u64) {
            Some(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(damaged(format!(
                    "its format version is {v}, and this netform reads version {FORMAT_VERSION} (it was made by another netform)"
                )));
            }
            None => return Err(damaged("it has no numeric \"format_version\"".into())),
        }
        let f: PlanFile = serde_json::from_str(text)
            .map_err(|e| damaged(format!("line {}, column {}: {e}", e.line(), e.column())))?;
        f.check().map_err(damaged)?;
        Ok(f)
    }

    /// What serde cannot see: addresses netform could not have written, and operations that do
    /// not belong to the plan's changes.
    fn check(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for c in &self.changes {
            check_address(&c.address)?;
            if c.address.mode != Mode::Managed
                || schema::lookup(c.address.mode, &c.address.ty).is_none()
            {
                return Err(format!(
                    "change \"{}\" is not of a resource type netform manages",
                    c.address
                ));
            }
            if !seen.insert(c.address.clone()) {
                return Err(format!("change \"{}\" appears twice", c.address));
            }
        }
        let ids: BTreeSet<&str> = self.ops.iter().map(|o| o.id.as_str()).collect();
        if ids.len() != self.ops.len() {
            return Err("two operations have the same id".into());
        }
        for o in &self.ops {
            check_address(&o.address)?;
            if !seen.contains(&o.address) {
                return Err(format!(
                    "operation \"{}\" is for {}, which has no change in the plan",
                    o.id, o.address
                ));
            }
            if let Some(d) = o.depends_on.iter().find(|d| !ids.contains(d.as_str())) {
                return Err(format!(
                    "operation \"{}\" depends on \"{d}\", which is not in the plan",
                    o.id
                ));
            }
        }
        for a in self
            .options
            .targets
            .iter()
            .chain(&self.options.excludes)
            .chain(&self.options.replace)
        {
            check_address(a)?;
        }
        super::ops::OpGraph::from_ops(self.ops.clone()).map_err(|e| e.to_string())?;
        Ok(())
    }

    fn options(&self) -> PlanOptions {
        PlanOptions {
            destroy: self.options.destroy,
            refresh: false,
            refresh_only: self.options.refresh_only,
            targets: self.options.targets.clone(),
            excludes: self.options.excludes.clone(),
            replace: self.options.replace.clone(),
            offline: false,
        }
    }

    fn changes(&self) -> Vec<Change> {
        self.changes
            .iter()
            .filter_map(|c| {
                // `check` made sure every type is known.
                let (sch, _) = schema::lookup(c.address.mode, &c.address.ty)?;
                Some(Change {
                    address: c.address.clone(),
                    kind: sch.kind,
                    action: c.action,
                    before: attrs(&c.before),
                    after: attrs(&c.after),
                    replace_paths: c.replace_paths.clone(),
                    create_before_destroy: c.create_before_destroy,
                    dependencies: c.dependencies.clone(),
                    provider: c.provider.clone(),
                    each: c.each.as_ref().map(Value::from),
                    sensitive: c.sensitive.clone(),
                })
            })
            .collect()
    }
}

/// A name netform writes: an identifier, as HCL spells them (the address parser is lenient
/// with what users type; a plan file holds only what netform wrote).
fn ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn check_address(a: &Address) -> Result<(), String> {
    if ident(&a.ty) && ident(&a.name) {
        Ok(())
    } else {
        Err(format!("\"{a}\" is not a resource address"))
    }
}

/// The text of a saved plan.
pub fn save(p: &Plan, cfg: &Config, parallelism: usize, views: Views) -> String {
    PlanFile::new(p, cfg, parallelism, views).to_text()
}

/// Reads and checks the plan file at `file` (relative to `dir`).
pub fn read(dir: &Path, file: &Path) -> Result<PlanFile, PlanFileError> {
    let path = if file.is_absolute() {
        file.to_path_buf()
    } else {
        dir.join(file)
    };
    let shown = file.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => PlanFileError::Damaged {
            path: shown.clone(),
            what: "it is not UTF-8 text".into(),
        },
        _ => PlanFileError::Read {
            path: shown.clone(),
            source: e,
        },
    })?;
    PlanFile::parse(&text, &shown)
}

pub enum LoadError {
    /// Already reported; exit with this code.
    Exit(i32),
    User(String, String),
    /// The cloud's rules or the configuration refuse what the saved plan would do now (for
    /// example a change made outside netform since): nothing was applied.
    Diagnostics(crate::diag::Diagnostics, Box<crate::diag::Sources>),
}

impl From<PlanFileError> for LoadError {
    fn from(e: PlanFileError) -> Self {
        LoadError::User(e.to_string(), e.help().into())
    }
}

pub struct Loaded {
    pub cfg: Config,
    pub clouds: Clouds,
    pub plan: Plan,
    pub store: Store,
    pub warnings: Vec<String>,
    /// The parallelism the plan was made with.
    pub parallelism: usize,
}

/// Resolves the variables (sensitive ones from the environment or files, as at plan time) and
/// sets up the providers; an `Err` is an exit code, already reported.
type Setup<'a> = dyn FnMut(&mut Config) -> Result<(BTreeMap<String, Value>, Clouds), i32> + 'a;

/// Refuses a plan made for another state than the one there is now.
fn check_state(
    f: &PlanFile,
    state: Option<&crate::state::State>,
    shown: &str,
) -> Result<(), LoadError> {
    let stale = |why: String| Err(LoadError::User("Saved plan is stale".into(), why));
    let foreign = |why: String| {
        Err(LoadError::User(
            "Saved plan does not match the given state".into(),
            why,
        ))
    };
    let (lineage, serial) = (&f.lineage, f.serial);
    match state {
        Some(s) if f.had_state && &s.lineage != lineage => foreign(format!(
            "{shown} was made for state lineage {lineage}, and this state is {}; make a new plan",
            s.lineage
        )),
        Some(s) if !f.had_state && !s.resources.is_empty() => stale(format!(
            "{shown} was made before any state existed, and state has changed since; make a new plan"
        )),
        Some(s) if f.had_state && s.serial != serial => stale(format!(
            "the state changed since {shown} was made (serial {serial} → {}); make a new plan",
            s.serial
        )),
        None if f.had_state => foreign(format!(
            "{shown} was made for an existing state, and there is none here"
        )),
        _ => Ok(()),
    }
}

/// Reads a saved plan and rebuilds what apply needs: the configuration and scope (to resolve
/// unknowns), checked against the current state's lineage and serial. The file is read whole
/// and checked before the lock is taken or any provider is set up.
pub fn load_and_replan(
    dir: &Path,
    file: &Path,
    mut store: Store,
    setup: &mut Setup,
) -> Result<Loaded, LoadError> {
    let shown = file.display().to_string();
    let f = read(dir, file)?;
    let mut warnings = Vec::new();
    let mut cfg = crate::config::load_dir(dir).map_err(|_| {
        LoadError::User(
            "the configuration no longer loads".into(),
            "run netform validate to see why".into(),
        )
    })?;
    if f.config_hash != cfg.hash {
        warnings.push(format!(
            "the configuration changed since {shown} was saved; applying exactly the saved plan"
        ));
    }
    // The lock first: the state and the simulator's cloud are read under it.
    store
        .lock(std::time::Duration::ZERO, "apply")
        .map_err(|e| LoadError::User(e.to_string(), e.help().into()))?;
    let (mut vars, clouds) = setup(&mut cfg).map_err(LoadError::Exit)?;
    vars.extend(f.variables.iter().map(|(k, v)| (k.clone(), Value::from(v))));
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
    check_state(&f, state.as_ref(), &shown)?;
    let mut prior = state.clone();
    if let Some(p) = prior.as_mut() {
        p.lineage = f.lineage.clone();
    }
    let mut plan = super::plan(
        super::Inputs {
            cfg: &cfg,
            vars,
            prior,
            clouds: &clouds,
        },
        f.options(),
    )
    .map_err(|d| LoadError::Diagnostics(d, Box::new(cfg.sources.clone())))?;
    if state.is_none() {
        plan.prior.lineage = f.lineage.clone();
    }
    // Exactly what the file holds.
    plan.changes = f.changes();
    plan.ops =
        super::ops::OpGraph::from_ops(f.ops.clone()).map_err(|e| PlanFileError::Damaged {
            path: shown.clone(),
            what: e.to_string(),
        })?;
    Ok(Loaded {
        cfg,
        clouds,
        plan,
        store,
        warnings,
        parallelism: f.parallelism,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ops::{OpAction, Phase};

    fn addr(s: &str) -> Address {
        Address::parse(s).expect("test address")
    }

    fn sample() -> PlanFile {
        let a = addr("alicloud_eip_address.a");
        let after = BTreeMap::from([
            (
                "id".to_string(),
                SavedValue::Unknown(Some("alicloud_eip_address.a.id".into())),
            ),
            ("bandwidth".to_string(), SavedValue::Number(5.0)),
            (
                "tags".to_string(),
                SavedValue::Set(vec![SavedValue::String("x".into())]),
            ),
        ]);
        PlanFile {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            netform_version: "0".into(),
            lineage: "l".into(),
            serial: 3,
            had_state: true,
            config_hash: "h".into(),
            variables: BTreeMap::new(),
            options: SavedOptions::default(),
            parallelism: 10,
            changes: vec![SavedChange {
                address: a.clone(),
                action: Action::Create,
                create_before_destroy: false,
                before: None,
                after: Some(after),
                sensitive: BTreeSet::new(),
                replace_paths: vec![],
                dependencies: vec![],
                provider: None,
                each: None,
            }],
            ops: vec![Op {
                id: "alicloud_eip_address.a#AllocateEipAddress".into(),
                action: OpAction::AllocateEipAddress,
                address: a,
                phase: Phase::Apply,
                depends_on: vec![],
            }],
            plan: J::Null,
            rendered: String::new(),
        }
    }

    fn damaged(text: &str) -> String {
        match PlanFile::parse(text, "p.tfplan") {
            Err(PlanFileError::Damaged { path, what }) => {
                assert_eq!(path, "p.tfplan");
                what
            }
            other => panic!("expected a damaged plan file, got {other:?}"),
        }
    }

    #[test]
    fn round_trips_with_unknowns_and_sets() {
        let f = sample();
        let back = PlanFile::parse(&f.to_text(), "p").expect("reads back");
        assert_eq!(back, f);
        let c = &back.changes()[0];
        let after = c.after.as_ref().expect("after");
        assert_eq!(
            after["id"],
            Value::Unknown(Some("alicloud_eip_address.a.id".into()))
        );
        assert_eq!(after["tags"], Value::set(vec![Value::string("x")]));
    }

    #[test]
    fn values_convert_both_ways() {
        let v = Value::Map(crate::lang::value::Map::from([
            (
                "a".to_string(),
                Value::List(vec![Value::Null, Value::Bool(true)]),
            ),
            ("b".to_string(), Value::unknown()),
        ]));
        assert_eq!(Value::from(&SavedValue::from(&v)), v);
    }

    fn edit(f: impl FnOnce(&mut J)) -> String {
        let mut j = serde_json::to_value(sample()).expect("json");
        f(&mut j);
        j.to_string()
    }

    #[test]
    fn anything_unreadable_is_damage() {
        assert!(damaged("{\"format\": \"netform-plan\", ").contains("not JSON"));
        assert!(damaged("[]").contains("not JSON"));
        assert!(damaged("{}").contains("not a netform plan"));
        let old = edit(|j| j["format_version"] = 1.into());
        assert!(
            damaged(&old).contains("format version is 1"),
            "{}",
            damaged(&old)
        );
        let garbled = edit(|j| j["changes"][0]["address"] = "not an address".into());
        assert!(damaged(&garbled).contains("not an address"));
        let spaced = edit(|j| j["changes"][0]["address"] = "alicloud_eip_address.a b".into());
        assert!(damaged(&spaced).contains("is not a resource address"));
        let action = edit(|j| j["changes"][0]["action"] = "explode".into());
        assert!(damaged(&action).contains("explode"));
        let missing = edit(|j| {
            if let Some(m) = j["changes"][0].as_object_mut() {
                m.remove("sensitive");
            }
        });
        assert!(damaged(&missing).contains("missing field `sensitive`"));
        let extra = edit(|j| j["surprise"] = true.into());
        assert!(damaged(&extra).contains("unknown field `surprise`"));
        let value = edit(|j| j["changes"][0]["after"]["bandwidth"] = 5.into());
        assert!(!damaged(&value).is_empty());
    }

    #[test]
    fn operations_must_belong_to_the_changes() {
        let orphan = edit(|j| j["changes"][0]["address"] = "alicloud_eip_address.b".into());
        assert!(damaged(&orphan).contains("has no change in the plan"));
        let dep = edit(|j| j["ops"][0]["depends_on"] = serde_json::json!(["x#Y"]));
        assert!(damaged(&dep).contains("depends on \"x#Y\""));
        let cycle = edit(|j| j["ops"][0]["depends_on"] = serde_json::json!([j["ops"][0]["id"]]));
        assert!(
            damaged(&cycle).contains("in a cycle"),
            "{}",
            damaged(&cycle)
        );
        let twice = edit(|j| {
            let c = j["changes"][0].clone();
            if let Some(a) = j["changes"].as_array_mut() {
                a.push(c);
            }
        });
        assert!(damaged(&twice).contains("appears twice"));
        let ty = edit(|j| j["changes"][0]["address"] = "alicloud_vpc.a".into());
        assert!(damaged(&ty).contains("not of a resource type netform manages"));
    }

    #[test]
    fn sensitive_attributes_are_saved_unknown() {
        let attrs = Attrs::from([
            ("description".to_string(), Value::string("hunter2")),
            ("bandwidth".to_string(), Value::from(5i64)),
        ]);
        let hide = BTreeSet::from(["description".to_string()]);
        let saved = saved_attrs(&Some(attrs), &hide).expect("attrs");
        assert_eq!(saved["description"], SavedValue::Unknown(None));
        assert_eq!(saved["bandwidth"], SavedValue::Number(5.0));
    }
}
