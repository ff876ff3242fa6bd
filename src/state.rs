//! The state: what netform has applied, in a Terraform v4-like JSON shape, and `Store`, through
//! which the rest of netform reads and writes it in its backend (`crate::backend`).
//!
//! Durability is the point of this module. A write never leaves a state half-written and is a
//! compare-and-swap on what was read; a lock keeps two runs apart; and during apply each
//! completed operation is appended to a journal and made durable, so a crash or Ctrl-C loses
//! nothing that was done, at a cost linear in the size of the change. A leftover journal is
//! folded in by the next run.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use crate::address::{Address, InstanceKey};
use crate::backend::{Backend, Counts, JournalSink, Stamp, VersionMeta};
use crate::config::Mode;

pub const STATE_VERSION: u64 = 4;
const PROVIDER: &str = "provider[\"registry.terraform.io/aliyun/alicloud\"]";

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("state file {path} is {what}")]
    Corrupt { path: String, what: String },
    #[error(
        "state file {path} was written by a newer netform (state version {found}, this netform reads up to {STATE_VERSION})"
    )]
    TooNew { path: String, found: u64 },
    #[error("cannot write state file {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("the state is locked by another netform run ({place}; {holder}); waited {waited}")]
    Locked {
        place: String,
        waited: String,
        holder: String,
    },
    #[error(
        "the state is locked by a run that stopped renewing its lock ({place}; {holder}; its lease expired at {expired}): it was probably killed, or lost its connection"
    )]
    LockExpired {
        place: String,
        holder: String,
        expired: String,
    },
    #[error(
        "the state in {place} changed since this run read it (it read {read}; it is now {found}): another run wrote it first, and nothing was written"
    )]
    Stale {
        place: String,
        read: String,
        found: String,
    },
    #[error("{message}")]
    Backend { message: String, help: &'static str },
}

impl StateError {
    pub fn help(&self) -> &'static str {
        match self {
            StateError::Read { .. } | StateError::Write { .. } => {
                "check the file's permissions and the disk, then run again"
            }
            StateError::Corrupt { .. } => {
                "restore it from its .backup file or version control; netform never treats a damaged state as empty"
            }
            StateError::TooNew { .. } => "upgrade netform to read this state",
            StateError::Locked { .. } => {
                "wait for the other run to finish, or pass --lock-timeout 60s to wait for it"
            }
            StateError::LockExpired { .. } => {
                "make sure that run is no longer running, then take the lock over with netform force-unlock ID (the lock ID above); the next apply folds in its journal"
            }
            StateError::Stale { .. } => "run netform plan again: it reads the state as it is now",
            StateError::Backend { help, .. } => help,
        }
    }
}

/// One resource instance as applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    pub attributes: BTreeMap<String, J>,
    pub dependencies: Vec<String>,
    pub provider: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    pub value: J,
    #[serde(rename = "type")]
    pub ty: J,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct State {
    pub serial: u64,
    pub lineage: String,
    pub resources: BTreeMap<Address, Instance>,
    pub outputs: BTreeMap<String, OutputState>,
    /// Operations whose outcome is not known (a crash, a lost answer, a failure that may have
    /// come after the cloud acted), by intent id; `apply::reconcile` settles them before the next
    /// plan. Written as `pending_operations`, as Pulumi's checkpoints do.
    pub pending: BTreeMap<String, Intent>,
}

/// What an operation is about to do, recorded durably before its first call: enough to find out
/// afterwards whether the cloud did it (and to record the result as the operation would have),
/// or to do it again with the same ClientToken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intent {
    /// Unique in the state's history: the operation's ClientToken (lineage, serial, operation).
    pub id: String,
    /// The operation as the plan named it (id, action, address, phase).
    pub operation: crate::plan::ops::Op,
    /// The change the operation belongs to (`create`, `update`, `delete`, `replace`).
    pub change: crate::plan::Action,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_before_destroy: bool,
    /// The ClientToken its calls carry (suffixed per call where one operation makes several).
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// The resource's attributes in state when the operation started (none for a create).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<BTreeMap<String, J>>,
    /// What it creates or changes: the planned attributes, resolved.
    pub planned: BTreeMap<String, J>,
    /// Planned attributes still unknown when it started (addresses left to a count): `planned`
    /// holds them as null.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
    /// In a journal entry only: what of the intent is what state holds for the address at that
    /// point of the journal, and is left out of the line (`JournalEntry::apply_to` puts it back).
    #[serde(skip)]
    pub in_state: InState,
}

/// What of a journalled intent is left to state (see `Intent::in_state`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum InState {
    /// Nothing: the intent is whole.
    #[default]
    No,
    /// Its current attributes.
    Current,
    /// Its current attributes, and the planned ones but for what `planned` holds (the changes
    /// the operation makes, over the current attributes).
    CurrentAndPlanned,
}

impl State {
    pub fn new(lineage: String) -> State {
        State {
            serial: 0,
            lineage,
            resources: BTreeMap::new(),
            outputs: BTreeMap::new(),
            pending: BTreeMap::new(),
        }
    }

    pub fn to_json(&self) -> J {
        // Plain data (strings, integers, JSON values with string keys): serialising cannot fail.
        serde_json::to_value(StateFile::from(self)).unwrap_or(J::Null)
    }

    /// Reads a state file whole, or refuses it as damaged: anything netform did not write
    /// (an unknown field, a resource type it does not know, an instance twice) is never
    /// read as "nothing", since the next apply would then create everything again.
    pub fn from_json(text: &str, path: &str) -> Result<State, StateError> {
        let corrupt = |what: String| StateError::Corrupt {
            path: path.to_string(),
            what,
        };
        if text.trim().is_empty() {
            return Err(corrupt("empty".into()));
        }
        // A sound file in one pass, typed straight from the text: half the time and memory of
        // a JSON tree first. What this refuses is read again below, for the precise message
        // (every check below passes for a file the typed reader takes, but the version's).
        if let Ok(file) = serde_json::from_str::<StateFile>(text) {
            if file.version > STATE_VERSION {
                return Err(StateError::TooNew {
                    path: path.to_string(),
                    found: file.version,
                });
            }
            return file.into_state().map_err(corrupt);
        }
        let j: J = serde_json::from_str(text).map_err(|e| {
            corrupt(format!(
                "not valid JSON (line {}, column {}: {e}); it may be truncated",
                e.line(),
                e.column()
            ))
        })?;
        // The version first: a newer netform's state may have fields this one does not know.
        let version = j
            .get("version")
            .and_then(J::as_u64)
            .ok_or_else(|| corrupt("not a netform state (no \"version\")".into()))?;
        if version > STATE_VERSION {
            return Err(StateError::TooNew {
                path: path.to_string(),
                found: version,
            });
        }
        precheck(&j).map_err(corrupt)?;
        let mut j = j;
        if let Some(m) = j.as_object_mut()
            && m.get("pending_operations").is_some_and(J::is_null)
        {
            m.remove("pending_operations");
        }
        let file: StateFile =
            serde_json::from_value(j).map_err(|e| corrupt(format!("damaged: {e}")))?;
        file.into_state().map_err(corrupt)
    }

    /// Content equality, ignoring the serial: a serial bumps only when this differs.
    pub fn same_content(&self, other: &State) -> bool {
        self.lineage == other.lineage
            && self.resources == other.resources
            && self.outputs == other.outputs
            && self.pending == other.pending
    }
}

/// The state file as written: Terraform's v4 shape. Fields are declared in alphabetical order,
/// the order `serde_json` wrote them in when the file was built by hand, so that files stay
/// byte-identical across this change.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    lineage: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    netform_version: Option<String>,
    #[serde(default)]
    outputs: BTreeMap<String, OutputState>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pending_operations: Vec<Intent>,
    resources: Vec<ResourceFile>,
    serial: u64,
    version: u64,
}

/// One resource (all its instances).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceFile {
    instances: Vec<InstanceFile>,
    mode: String,
    /// The module instance holding it (`module.net["a"]`); absent for the root module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    module: Option<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
    #[serde(rename = "type")]
    ty: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceFile {
    attributes: BTreeMap<String, J>,
    #[serde(default)]
    dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index_key: Option<J>,
    #[serde(default)]
    schema_version: u64,
}

/// The shape checks whose wording users and tests rely on, before serde reads the rest: a
/// resources or instances field that is not a list is named as such.
fn precheck(j: &J) -> Result<(), String> {
    for k in ["lineage", "serial"] {
        if j.get(k).is_none() {
            return Err(format!("not a netform state (no \"{k}\")"));
        }
    }
    let resources = match j.get("resources") {
        Some(J::Array(list)) => list,
        Some(other) => {
            return Err(format!(
                "damaged: \"resources\" is {}, not a list",
                json_kind(other)
            ));
        }
        None => return Err("not a netform state (no \"resources\")".into()),
    };
    if let Some(p) = j.get("pending_operations")
        && !(p.is_array() || p.is_null())
    {
        return Err(format!(
            "damaged: \"pending_operations\" is {}, not a list of operations",
            json_kind(p)
        ));
    }
    for r in resources {
        let s = |k: &str| r.get(k).and_then(J::as_str).unwrap_or("?");
        if !matches!(r.get("instances"), Some(J::Array(_))) {
            return Err(format!(
                "damaged: {}.{} has no list of instances",
                s("type"),
                s("name")
            ));
        }
    }
    Ok(())
}

impl From<&State> for StateFile {
    fn from(s: &State) -> StateFile {
        // Grouped per module instance and resource, as Terraform's state lists them.
        type Group<'a> = (String, Mode, &'a str, &'a str);
        let mut groups: BTreeMap<Group, Vec<(&Address, &Instance)>> = BTreeMap::new();
        for (a, i) in &s.resources {
            let module = crate::address::module_prefix(&a.module);
            let module = module.strip_suffix('.').unwrap_or(&module).to_string();
            groups
                .entry((module, a.mode, a.ty.as_str(), a.name.as_str()))
                .or_default()
                .push((a, i));
        }
        let resources = groups
            .into_iter()
            .map(|((module, mode, ty, name), insts)| ResourceFile {
                module: (!module.is_empty()).then_some(module),
                provider: Some(
                    match insts.first().and_then(|(_, i)| i.provider.as_deref()) {
                        Some(alias) => format!("{PROVIDER}.{alias}"),
                        None => PROVIDER.to_string(),
                    },
                ),
                instances: insts
                    .iter()
                    .map(|(a, i)| InstanceFile {
                        schema_version: 0,
                        attributes: i.attributes.clone(),
                        dependencies: i.dependencies.clone(),
                        index_key: (!a.key.is_none())
                            .then(|| serde_json::to_value(&a.key).unwrap_or(J::Null)),
                    })
                    .collect(),
                mode: if mode == Mode::Data {
                    "data"
                } else {
                    "managed"
                }
                .into(),
                ty: ty.to_string(),
                name: name.to_string(),
            })
            .collect();
        StateFile {
            version: STATE_VERSION,
            netform_version: Some(env!("CARGO_PKG_VERSION").into()),
            serial: s.serial,
            lineage: s.lineage.clone(),
            outputs: s.outputs.clone(),
            resources,
            pending_operations: s.pending.values().cloned().collect(),
        }
    }
}

impl StateFile {
    fn into_state(self) -> Result<State, String> {
        let mut state = State::new(self.lineage);
        state.serial = self.serial;
        state.outputs = self.outputs;
        state.pending = self
            .pending_operations
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
        for r in self.resources {
            let (ty, name) = (r.ty, r.name);
            let mode = match r.mode.as_str() {
                "data" => Mode::Data,
                "managed" => Mode::Managed,
                other => {
                    return Err(format!(
                        "{ty}.{name} has mode {other:?}, not \"managed\" or \"data\""
                    ));
                }
            };
            let module = match r.module {
                None => Vec::new(),
                Some(m) => match crate::address::parse_module_path(&m, &m) {
                    Ok((path, "")) if !path.is_empty() => path,
                    _ => {
                        return Err(format!(
                            "{ty}.{name} has module {m:?}, not a module address such as module.NAME"
                        ));
                    }
                },
            };
            if crate::schema::lookup(mode, &ty).is_none() {
                return Err(format!(
                    "it holds {ty}.{name}, of a resource type netform does not know ({ty})"
                ));
            }
            let provider = r.provider.and_then(|p| {
                p.strip_prefix(PROVIDER)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .map(str::to_string)
            });
            for inst in r.instances {
                let key = match inst.index_key {
                    None | Some(J::Null) => InstanceKey::None,
                    Some(k) => serde_json::from_value(k)
                        .map_err(|_| format!("bad index_key in {ty}.{name}"))?,
                };
                let address = Address {
                    module: module.clone(),
                    mode,
                    ty: ty.clone(),
                    name: name.clone(),
                    key,
                };
                check_id(&address, &inst.attributes)?;
                if state.resources.contains_key(&address) {
                    return Err(format!("{address} appears twice"));
                }
                state.resources.insert(
                    address,
                    Instance {
                        attributes: inst.attributes,
                        dependencies: inst.dependencies,
                        provider: provider.clone(),
                    },
                );
            }
        }
        Ok(state)
    }
}

/// An instance's id, when it has one, is a string.
fn check_id(address: &Address, attributes: &BTreeMap<String, J>) -> Result<(), String> {
    match attributes.get("id") {
        Some(id) if !(id.is_string() || id.is_null()) => {
            Err(format!("{address} has an id that is not a string ({id})"))
        }
        _ => Ok(()),
    }
}

/// 2: intents leave out what recovery rebuilds (`trimmed`), and `patch` entries change some
/// attributes of an address. 3: `made` entries record what an operation made as changes over its
/// intent's planned attributes, and may end the intent. A netform that reads only an older
/// version refuses a newer journal by its header rather than misreading it.
const JOURNAL_VERSION: u64 = 3;

/// The first line of a journal: which state it belongs to.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct JournalHeader {
    journal: u64,
    lineage: String,
}

impl JournalHeader {
    pub(crate) fn new(lineage: &str) -> JournalHeader {
        JournalHeader {
            journal: JOURNAL_VERSION,
            lineage: lineage.to_string(),
        }
    }
}

/// A journal's text: its header's lineage (none for a journal written before headers existed)
/// and its entries, or what is wrong with it.
pub(crate) fn parse_journal(text: &[u8]) -> Result<(Option<String>, Vec<JournalEntry>), String> {
    let complete = text.ends_with(b"\n");
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut lineage = None;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        if i == 0
            && let Ok(h) = serde_json::from_slice::<JournalHeader>(line)
        {
            if h.journal > JOURNAL_VERSION {
                return Err(format!(
                    "written by a newer netform (journal version {})",
                    h.journal
                ));
            }
            lineage = Some(h.lineage);
            continue;
        }
        match serde_json::from_slice::<JournalEntry>(line) {
            Ok(e) => {
                // What the state reader would refuse must not get into a state through the
                // journal: the next write would leave a state no run can read.
                e.check().map_err(|what| {
                    format!(
                        "damaged at line {} ({what}); restore the state and its journal from a backup, or move the journal aside after checking the cloud by hand",
                        i + 1
                    )
                })?;
                out.push(e)
            }
            // The write a crash cut short: its operation never became durable.
            Err(_) if last && !complete => break,
            Err(e) => {
                return Err(format!(
                    "damaged at line {} ({e}); restore the state and its journal from a backup, or move the journal aside after checking the cloud by hand",
                    i + 1
                ));
            }
        }
    }
    Ok((lineage, out))
}

/// One line of the apply journal.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum JournalEntry {
    Set {
        address: String,
        attributes: BTreeMap<String, J>,
        dependencies: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        provider: Option<String>,
    },
    Remove {
        address: String,
    },
    /// Some attributes of an address state holds change (`set`), or go (`unset`); the rest stay.
    /// An operation that changes part of an object (an assign, a binding's refresh of its EIP)
    /// journals what it changed rather than the whole object again.
    Patch {
        address: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: BTreeMap<String, J>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unset: Vec<String>,
    },
    /// An operation is about to make its first call (fsynced before it does).
    Intent(#[serde(with = "trimmed")] Box<Intent>),
    /// What an operation made at its own address, as changes over its intent (which the journal
    /// holds pending before this line): the intent's planned attributes with `set` written over
    /// them and `unset` taken out, its dependencies and provider. Most of what a create makes is
    /// what was planned, and the intent already holds that. `done`: the intent ends here too, as
    /// a `Done` line after this one would say.
    Made {
        id: String,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        set: BTreeMap<String, J>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unset: Vec<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        done: bool,
    },
    /// An intent's outcome is recorded (by the entries before this one) or known to be nothing.
    Done {
        id: String,
    },
}

/// An intent as the journal writes it: without what recovery rebuilds. The token is the id (as
/// every intent apply records has it); the planned attributes are written as their changes over
/// the current ones where they cover the same keys (none at all for a destroy), less those still
/// unknown (null anyway); and the current attributes are usually what state holds for the address
/// at that point of the journal (`Intent::in_state`). Each is written out whole where it cannot
/// be rebuilt, and a journal written with every field in full reads the same. The operation's id
/// is left out where it is the usual `ADDRESS#Action`, and its dependencies always (they only
/// ordered the run that recorded it; `apply::reconcile::intent_of` leaves them out too).
mod trimmed {
    use std::collections::BTreeMap;

    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value as J;

    use super::{InState, Intent};
    use crate::address::Address;
    use crate::plan::Action;
    use crate::plan::ops::{Op, OpAction, Phase};

    type Map = BTreeMap<String, J>;

    /// The operation, its id left out where it is the usual `ADDRESS#Action` and its phase
    /// where it is `apply` (most operations').
    #[derive(Serialize)]
    struct OpOut<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<&'a str>,
        action: OpAction,
        address: &'a Address,
        #[serde(skip_serializing_if = "is_apply")]
        phase: Phase,
    }

    fn is_apply(p: &Phase) -> bool {
        *p == Phase::Apply
    }

    fn apply_phase() -> Phase {
        Phase::Apply
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OpIn {
        #[serde(default)]
        id: Option<String>,
        action: OpAction,
        address: Address,
        #[serde(default = "apply_phase")]
        phase: Phase,
        #[serde(default)]
        depends_on: Vec<String>,
    }

    fn usual_id(address: &Address, action: OpAction) -> String {
        format!("{address}#{}", action.name())
    }

    /// The planned attributes to write: all of them, or their changes over `base`; less `less`.
    struct Planned<'a> {
        map: &'a Map,
        base: Option<&'a Map>,
        less: &'a [String],
    }

    impl Planned<'_> {
        fn keeps(&self, k: &String, v: &J) -> bool {
            !self.less.contains(k) && self.base.is_none_or(|b| b.get(k) != Some(v))
        }
    }

    impl Serialize for Planned<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(None)?;
            for (k, v) in self.map {
                if self.keeps(k, v) {
                    m.serialize_entry(k, v)?;
                }
            }
            m.end()
        }
    }

    #[derive(Serialize)]
    struct Out<'a> {
        id: &'a str,
        operation: OpOut<'a>,
        change: Action,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        create_before_destroy: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        token: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        provider: Option<&'a str>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        dependencies: &'a [String],
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        current_in_state: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        current: Option<&'a Map>,
        #[serde(skip_serializing_if = "Option::is_none")]
        planned: Option<Planned<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        planned_changes: Option<Planned<'a>>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        unknown: &'a [String],
        /// Every attribute of the type that `planned` (written whole) leaves out is unknown:
        /// what a create usually has, said without naming them (`rest`).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        unknown_rest: bool,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct In {
        id: String,
        operation: OpIn,
        change: Action,
        #[serde(default)]
        create_before_destroy: bool,
        #[serde(default)]
        token: Option<String>,
        #[serde(default)]
        provider: Option<String>,
        #[serde(default)]
        dependencies: Vec<String>,
        #[serde(default)]
        current_in_state: bool,
        #[serde(default)]
        current: Option<Map>,
        #[serde(default)]
        planned: Option<Map>,
        #[serde(default)]
        planned_changes: Option<Map>,
        #[serde(default)]
        unknown: Vec<String>,
        #[serde(default)]
        unknown_rest: bool,
    }

    /// The attributes of `address`'s type that `has` does not hold, in name order; `None` for a
    /// type netform does not know.
    fn rest(address: &Address, has: impl Fn(&str) -> bool) -> Option<Vec<String>> {
        let (sch, _) = crate::schema::lookup(address.mode, &address.ty)?;
        let mut names: Vec<String> = sch
            .attrs
            .iter()
            .filter(|a| a.alias_of.is_none() && !a.unsupported && !has(a.name))
            .map(|a| a.name.to_string())
            .collect();
        names.sort();
        names.dedup();
        Some(names)
    }

    /// `base` with `changes` written over it.
    pub(super) fn over(mut base: Map, changes: Map) -> Map {
        base.extend(changes);
        base
    }

    /// Unknown planned attributes are null (`Intent::unknown`).
    pub(super) fn null_unknown(planned: &mut Map, unknown: &[String]) {
        for k in unknown {
            planned.insert(k.clone(), J::Null);
        }
    }

    // Serde's `with` hands the field as it is declared: a `&Box<Intent>`.
    #[allow(clippy::borrowed_box)]
    pub(super) fn serialize<S: Serializer>(i: &Box<Intent>, s: S) -> Result<S::Ok, S::Error> {
        // Changes over the current attributes rebuild the planned ones only where every current
        // key is planned too (nothing is dropped).
        let base = i
            .current
            .as_ref()
            .filter(|c| c.keys().all(|k| i.planned.contains_key(k)));
        let current_in_state = i.in_state != InState::No;
        let planned = Planned {
            map: &i.planned,
            base,
            less: &i.unknown,
        };
        let changed = base.is_none() || i.planned.iter().any(|(k, v)| planned.keeps(k, v));
        let (planned, planned_changes) = match (base, changed) {
            (None, _) => (Some(planned), None),
            (Some(_), true) => (None, Some(planned)),
            (Some(_), false) => (None, None),
        };
        let op = &i.operation;
        // Written only where the rule gives back exactly the list (the schema knows the type).
        let unknown_rest = planned.is_some()
            && !i.unknown.is_empty()
            && rest(&op.address, |k| {
                i.planned.contains_key(k) && !i.unknown.iter().any(|u| u == k)
            })
            .is_some_and(|r| r == i.unknown);
        Out {
            id: &i.id,
            operation: OpOut {
                id: (op.id != usual_id(&op.address, op.action)).then_some(op.id.as_str()),
                action: op.action,
                address: &op.address,
                phase: op.phase,
            },
            change: i.change,
            create_before_destroy: i.create_before_destroy,
            token: (i.token != i.id).then_some(i.token.as_str()),
            provider: i.provider.as_deref(),
            dependencies: &i.dependencies,
            current_in_state,
            current: i.current.as_ref().filter(|_| !current_in_state),
            planned,
            planned_changes,
            unknown: if unknown_rest { &[] } else { &i.unknown },
            unknown_rest,
        }
        .serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<Intent>, D::Error> {
        let mut i = In::deserialize(d)?;
        if i.unknown_rest {
            let rebuilt = i
                .planned
                .as_ref()
                .and_then(|p| rest(&i.operation.address, |k| p.contains_key(k)));
            i.unknown = rebuilt.ok_or_else(|| {
                serde::de::Error::custom(
                    "unknown_rest needs planned attributes written whole, of a known type",
                )
            })?;
        }
        // Planned as changes over current attributes left to state is only known once the
        // journal is folded up to here: `apply_to` rebuilds it then.
        let (in_state, mut planned) = match (i.current_in_state, i.planned) {
            (false, Some(p)) => (InState::No, p),
            (false, None) => (
                InState::No,
                over(
                    i.current.clone().unwrap_or_default(),
                    i.planned_changes.unwrap_or_default(),
                ),
            ),
            (true, Some(p)) => (InState::Current, p),
            (true, None) => (
                InState::CurrentAndPlanned,
                i.planned_changes.unwrap_or_default(),
            ),
        };
        if in_state != InState::CurrentAndPlanned {
            null_unknown(&mut planned, &i.unknown);
        }
        let o = i.operation;
        let operation = Op {
            id: o.id.unwrap_or_else(|| usual_id(&o.address, o.action)),
            action: o.action,
            address: o.address,
            phase: o.phase,
            depends_on: o.depends_on,
        };
        Ok(Box::new(Intent {
            token: i.token.unwrap_or_else(|| i.id.clone()),
            planned,
            id: i.id,
            operation,
            change: i.change,
            create_before_destroy: i.create_before_destroy,
            provider: i.provider,
            dependencies: i.dependencies,
            current: i.current,
            unknown: i.unknown,
            in_state,
        }))
    }
}

impl JournalEntry {
    /// Whether the entry is one netform could have written: an address it can parse, of a
    /// resource type it knows, with a string id.
    fn check(&self) -> Result<(), String> {
        let address = match self {
            JournalEntry::Set { address, .. }
            | JournalEntry::Remove { address }
            | JournalEntry::Patch { address, .. } => address,
            // Intents carry a typed address, checked as they are read; what a `made` entry
            // makes is checked as it is folded, once its intent is known.
            JournalEntry::Intent(_) | JournalEntry::Done { .. } | JournalEntry::Made { .. } => {
                return Ok(());
            }
        };
        let a = Address::parse(address)?;
        if crate::schema::lookup(a.mode, &a.ty).is_none() {
            return Err(format!(
                "it names {a}, of a resource type netform does not know ({})",
                a.ty
            ));
        }
        match self {
            JournalEntry::Set { attributes, .. } => check_id(&a, attributes),
            JournalEntry::Patch { unset, .. } if unset.iter().any(|k| k == "id") => {
                Err(format!("it removes the id of {a}"))
            }
            JournalEntry::Patch { set, .. } => check_id(&a, set),
            _ => Ok(()),
        }
    }

    /// Folds the entry into `state`; an entry that cannot have followed what came before it
    /// (a `made` entry of an intent that is not pending) is damage, and says why.
    pub fn apply_to(&self, state: &mut State) -> Result<(), String> {
        match self {
            JournalEntry::Set {
                address,
                attributes,
                dependencies,
                provider,
            } => {
                if let Ok(a) = Address::parse(address) {
                    state.resources.insert(
                        a,
                        Instance {
                            attributes: attributes.clone(),
                            dependencies: dependencies.clone(),
                            provider: provider.clone(),
                        },
                    );
                }
            }
            JournalEntry::Remove { address } => {
                if let Ok(a) = Address::parse(address) {
                    state.resources.remove(&a);
                }
            }
            JournalEntry::Patch {
                address,
                set,
                unset,
            } => {
                if let Ok(a) = Address::parse(address)
                    && let Some(inst) = state.resources.get_mut(&a)
                {
                    for k in unset {
                        inst.attributes.remove(k);
                    }
                    for (k, v) in set {
                        inst.attributes.insert(k.clone(), v.clone());
                    }
                }
            }
            JournalEntry::Intent(i) => {
                let mut i = (**i).clone();
                let held = || {
                    state
                        .resources
                        .get(&i.operation.address)
                        .map(|x| x.attributes.clone())
                };
                match std::mem::take(&mut i.in_state) {
                    InState::No => {}
                    InState::Current => i.current = held(),
                    InState::CurrentAndPlanned => {
                        let current = held();
                        let changes = std::mem::take(&mut i.planned);
                        i.planned = trimmed::over(current.clone().unwrap_or_default(), changes);
                        trimmed::null_unknown(&mut i.planned, &i.unknown);
                        i.current = current;
                    }
                }
                state.pending.insert(i.id.clone(), i);
            }
            JournalEntry::Made {
                id,
                set,
                unset,
                done,
            } => {
                let Some(i) = state.pending.get(id) else {
                    return Err(format!(
                        "it records what the operation {id} made, but no intent of that operation is pending there"
                    ));
                };
                let mut attributes = i.planned.clone();
                for k in unset {
                    attributes.remove(k);
                }
                attributes.extend(set.iter().map(|(k, v)| (k.clone(), v.clone())));
                check_id(&i.operation.address, &attributes)?;
                let made = Instance {
                    attributes,
                    dependencies: i.dependencies.clone(),
                    provider: i.provider.clone(),
                };
                state.resources.insert(i.operation.address.clone(), made);
                if *done {
                    state.pending.remove(id);
                }
            }
            JournalEntry::Done { id } => {
                state.pending.remove(id);
            }
        }
        Ok(())
    }
}

/// Who holds a state lock, as Terraform records it (`ID`, `Operation`, `Who`, `Version`,
/// `Created`), plus the host and pid so that a dead holder can be told from a live one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    #[serde(rename = "ID")]
    pub id: String,
    pub operation: String,
    pub who: String,
    pub host: String,
    pub pid: u32,
    pub version: String,
    pub created: String,
}

impl LockInfo {
    pub fn new(operation: &str) -> LockInfo {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown-host".into());
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".into());
        LockInfo {
            id: new_lineage(),
            operation: operation.to_string(),
            who: format!("{user}@{host}"),
            host,
            pid: std::process::id(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: crate::clock::now_rfc3339(),
        }
    }

    pub(crate) fn write_to(&self, f: &mut File) -> std::io::Result<()> {
        use std::io::{Seek, Write};
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        f.set_len(0)?;
        f.seek(std::io::SeekFrom::Start(0))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    }

    pub fn describe(&self) -> String {
        format!(
            "held by {} for {} since {} (pid {} on {}, netform {}, lock ID {})",
            self.who, self.operation, self.created, self.pid, self.host, self.version, self.id
        )
    }
}

/// A workspace's state in its backend, as the rest of netform uses it: reads fold a crashed
/// run's journal in, and every write is a compare-and-swap on the (lineage, serial) this store
/// last read, so a run that read before another run wrote is refused and writes nothing.
pub struct Store {
    backend: Box<dyn Backend>,
    /// What the last read found stored; `None` before the first read.
    seen: Option<Stamp>,
    /// The operation the lock was taken for, recorded with each version written.
    operation: String,
}

/// What a JSON value is, for error messages.
fn json_kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "a list",
        J::Object(_) => "an object",
    }
}

impl Store {
    /// The local backend's state file at `path` (the default workspace, or `--state FILE`).
    pub fn new(path: PathBuf) -> Store {
        Store::with_backend(Box::new(crate::backend::local::LocalBackend::new(path)))
    }

    pub fn with_backend(backend: Box<dyn Backend>) -> Store {
        Store {
            backend,
            seen: None,
            operation: "write".into(),
        }
    }

    /// Where the state lives, for messages (never a credential).
    pub fn place(&self) -> String {
        self.backend.place()
    }

    /// Reads the state, with a crashed run's journal folded in (in memory; the next `write`
    /// stores it). `Ok(None)` only when there is neither a state nor a journal.
    pub fn read(&mut self) -> Result<Option<State>, StateError> {
        let mut state = self.backend.read()?;
        self.seen = Some(state.as_ref().map(|s| (s.lineage.clone(), s.serial)));
        let (lineage, entries) = self.backend.read_journal()?;
        if let (Some(s), Some(l)) = (&state, &lineage)
            && &s.lineage != l
        {
            return Err(StateError::Corrupt {
                path: format!("the journal of {}", self.place()),
                what: format!(
                    "the journal of another state (lineage {l}; the state has lineage {})",
                    s.lineage
                ),
            });
        }
        if !entries.is_empty() || lineage.is_some() {
            // A first apply that crashed has a journal and no state: the journal's lineage keeps
            // the rerun's ClientTokens the same as the crashed run's.
            let s = state.get_or_insert_with(|| State::new(lineage.clone().unwrap_or_default()));
            for (n, e) in entries.iter().enumerate() {
                e.apply_to(s).map_err(|what| StateError::Corrupt {
                    path: format!("the journal of {}", self.place()),
                    what: format!(
                        "damaged at entry {} ({what}); restore the state and its journal from a backup, or move the journal aside after checking the cloud by hand",
                        n + 1
                    ),
                })?;
            }
        }
        Ok(state)
    }

    /// Whether a journal is waiting to be folded into the state. An error reads as "yes": the
    /// write that follows then reports the backend's trouble instead of skipping it.
    pub fn has_journal(&mut self) -> bool {
        self.backend.has_journal().unwrap_or(true)
    }

    /// Takes the lock for `operation` (plan, apply, …), waiting up to `timeout`, and records
    /// who holds it so that a run that finds it taken can say by whom.
    pub fn lock(&mut self, timeout: Duration, operation: &str) -> Result<(), StateError> {
        self.operation = operation.to_string();
        self.backend.lock(&LockInfo::new(operation), timeout)
    }

    /// The stored (lineage, serial) this store last read, reading it now if it never did.
    fn expected(&mut self) -> Result<Stamp, StateError> {
        match &self.seen {
            Some(s) => Ok(s.clone()),
            None => Ok(self.backend.read()?.map(|s| (s.lineage, s.serial))),
        }
    }

    /// Writes the state, bumping the serial only when the content changed since `prior` (or a
    /// journal is to be folded in), as a compare-and-swap on what was read.
    pub fn write(&mut self, state: &mut State, prior: Option<&State>) -> Result<(), StateError> {
        let expect = self.expected()?;
        if let Some(p) = prior {
            if p.same_content(state) && expect.is_some() && !self.backend.has_journal()? {
                state.serial = p.serial;
                return Ok(());
            }
            state.serial = p.serial + 1;
        } else {
            state.serial = state.serial.max(1);
        }
        let counts = Counts::between(prior, state);
        self.store(state, &expect, Some(counts))
    }

    /// Stores `state` exactly as it is (its own lineage and serial), as a compare-and-swap on
    /// what was read: for `state push` and `init -migrate-state`.
    pub fn put(&mut self, state: &State, operation: &str) -> Result<(), StateError> {
        let expect = self.expected()?;
        let before = self.backend.read()?;
        let counts = Counts::between(before.as_ref(), state);
        self.operation = operation.to_string();
        self.store(state, &expect, Some(counts))
    }

    fn store(
        &mut self,
        state: &State,
        expect: &Stamp,
        counts: Option<Counts>,
    ) -> Result<(), StateError> {
        let meta = VersionMeta {
            operation: self.operation.clone(),
            who: LockInfo::new(&self.operation).who,
            counts,
        };
        self.backend.write(state, expect, &meta)?;
        self.seen = Some(Some((state.lineage.clone(), state.serial)));
        Ok(())
    }

    /// Opens the journal of the state with `lineage` for appending; each entry is durable
    /// before `append` returns. A new journal starts with a durable record of the lineage.
    pub fn journal(&mut self, lineage: &str) -> Result<Journal, StateError> {
        Ok(Journal {
            sink: self.backend.journal(lineage)?,
        })
    }

    /// The versions the backend keeps, oldest first.
    pub fn history(&mut self) -> Result<Vec<crate::backend::Version>, StateError> {
        self.backend.history()
    }

    /// One kept version, by serial.
    pub fn version(&mut self, serial: u64) -> Result<Option<State>, StateError> {
        self.backend.version(serial)
    }

    /// The stored state alone, without a journal folded in.
    pub fn read_stored(&mut self) -> Result<Option<State>, StateError> {
        let s = self.backend.read()?;
        self.seen = Some(s.as_ref().map(|s| (s.lineage.clone(), s.serial)));
        Ok(s)
    }

    /// One read-modify-write under the lock taken for `operation` (not waiting for it): `change`
    /// edits the state as read, and what it leaves is written, with a new serial if it changed
    /// anything. Nothing is written when `change` fails; `Ok(None)`, without calling it, when
    /// there is no state.
    pub fn transact<T, E: From<StateError>>(
        &mut self,
        operation: &str,
        change: impl FnOnce(&mut State) -> Result<T, E>,
    ) -> Result<Option<T>, E> {
        self.lock(Duration::ZERO, operation)?;
        let Some(prior) = self.read()? else {
            return Ok(None);
        };
        let mut next = prior.clone();
        let out = change(&mut next)?;
        self.write(&mut next, Some(&prior))?;
        Ok(Some(out))
    }
}

pub struct Journal {
    sink: Box<dyn JournalSink>,
}

impl Journal {
    pub fn append(&mut self, e: &JournalEntry) -> Result<(), StateError> {
        self.append_all(std::slice::from_ref(e))
    }

    /// Appends an operation's results and the end of its intent. A crash may cut the last line
    /// short; the reader forgives only that, and an intent whose end was lost is settled again by
    /// the next run.
    pub fn append_all(&mut self, entries: &[JournalEntry]) -> Result<(), StateError> {
        self.sink.append_all(entries)
    }
}
#[cfg(unix)]
pub(crate) fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
pub(crate) fn set_private(_: &Path) {}

/// Replaces `path` with `bytes` so that a reader sees the old or the new file, never a mix:
/// write a temp file in the same directory, fsync it, rename over, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".netform-tmp")
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    set_private(tmp.path());
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A new lineage: a random (v4) UUID, as Terraform's, so that two states never share one.
pub fn new_lineage() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        let mut s = State::new("l-1".into());
        s.resources.insert(
            Address::managed("alicloud_eip_address", "e", InstanceKey::Int(0)),
            Instance {
                attributes: BTreeMap::from([("id".to_string(), serde_json::json!("eip-1"))]),
                dependencies: vec![],
                provider: None,
            },
        );
        s
    }

    #[test]
    fn round_trips_through_json() {
        let s = sample();
        let text = serde_json::to_string(&s.to_json()).unwrap_or_default();
        assert_eq!(State::from_json(&text, "x").ok(), Some(s));
    }

    #[test]
    fn rejects_empty_truncated_foreign_and_newer_files() {
        assert!(matches!(
            State::from_json("", "x"),
            Err(StateError::Corrupt { .. })
        ));
        assert!(matches!(
            State::from_json("{\"version\": 4, \"ser", "x"),
            Err(StateError::Corrupt { .. })
        ));
        assert!(matches!(
            State::from_json("{\"a\": 1}", "x"),
            Err(StateError::Corrupt { .. })
        ));
        assert!(matches!(
            State::from_json("{\"version\": 9, \"lineage\": \"l\", \"serial\": 1}", "x"),
            Err(StateError::TooNew { found: 9, .. })
        ));
    }

    #[test]
    fn serial_bumps_only_on_change_and_journal_folds_in() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::new(dir.path().join("s.tfstate"));
        let mut s = sample();
        store.write(&mut s, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.serial, 1);
        let prior = s.clone();
        store
            .write(&mut s, Some(&prior))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.serial, 1, "unchanged content keeps its serial");
        let mut j = store.journal(&s.lineage).unwrap_or_else(|e| panic!("{e}"));
        j.append(&JournalEntry::Remove {
            address: "alicloud_eip_address.e[0]".into(),
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let read = store
            .read()
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("state"));
        assert!(
            read.resources.is_empty(),
            "journal entries are folded in on read"
        );
    }

    #[test]
    fn rejects_duplicate_instances_and_non_string_ids() {
        let one = r#"{"instances": [{"attributes": {"id": "eip-1"}}], "mode": "managed", "name": "e", "type": "alicloud_eip_address"}"#;
        let twice = format!(
            r#"{{"version": 4, "serial": 1, "lineage": "l", "resources": [{one}, {one}]}}"#
        );
        assert!(
            matches!(State::from_json(&twice, "x"), Err(StateError::Corrupt { what, .. }) if what.contains("appears twice"))
        );
        let bad_id = r#"{"version": 4, "serial": 1, "lineage": "l", "resources": [{"instances": [{"attributes": {"id": 5}}], "mode": "managed", "name": "e", "type": "alicloud_eip_address"}]}"#;
        assert!(
            matches!(State::from_json(bad_id, "x"), Err(StateError::Corrupt { what, .. }) if what.contains("not a string"))
        );
    }

    #[test]
    fn journals_keep_their_lineage_and_only_a_torn_last_line_is_forgiven() {
        let entry = r#"{"op":"remove","address":"alicloud_eip_address.e"}"#;
        let head = r#"{"journal":1,"lineage":"L1"}"#;
        let ok = format!("{head}\n{entry}\n{entry}\n");
        let (lineage, entries) = parse_journal(ok.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((lineage.as_deref(), entries.len()), (Some("L1"), 2));
        let torn = format!("{head}\n{entry}\n{{\"Remo");
        assert_eq!(parse_journal(torn.as_bytes()).map(|(_, e)| e.len()), Ok(1));
        for bad in [
            format!("{head}\ngarbage\n{entry}\n"),
            format!("garbage\n{entry}\n"),
            format!("{head}\n{{\"Other\":1}}\n"),
            format!("{head}\n{entry}\nnot json but complete\n"),
        ] {
            let e = parse_journal(bad.as_bytes()).expect_err(&bad);
            assert!(e.contains("damaged at line"), "{e}");
        }
    }

    #[test]
    fn a_journal_entry_the_state_reader_would_refuse_is_damage() {
        // Found by the fuzz campaign: these folded into the state in memory, and the next write
        // left a state file that every later run refused to read.
        let head = r#"{"journal":1,"lineage":"L1"}"#;
        for (entry, want) in [
            (
                r#"{"op":"set","address":"aws_instance.x","attributes":{},"dependencies":[]}"#,
                "does not know (aws_instance)",
            ),
            (
                r#"{"op":"set","address":"alicloud_eip_address.e","attributes":{"id":5},"dependencies":[]}"#,
                "not a string",
            ),
            (r#"{"op":"remove","address":"l.]"}"#, "does not know (l)"),
            (r#"{"op":"remove","address":"nonsense"}"#, "invalid address"),
        ] {
            let text = format!("{head}\n{entry}\n");
            let e = parse_journal(text.as_bytes()).expect_err(entry);
            assert!(e.contains("damaged at line 2") && e.contains(want), "{e}");
        }
    }

    #[test]
    fn numbers_read_back_exactly() {
        // Found by the fuzz campaign: serde_json's default float parsing is off by one unit in
        // the last place for some literals, so such a value changed on every write and read.
        let text = r#"{"version": 4, "serial": 1, "lineage": "l", "resources": [{"mode": "managed", "type": "alicloud_eip_address", "name": "e", "instances": [{"attributes": {"id": "eip-1", "x": 7.1519327145e286}}]}]}"#;
        let s = State::from_json(text, "x").unwrap_or_else(|e| panic!("{e}"));
        let again =
            State::from_json(&s.to_json().to_string(), "x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, s);
    }

    #[test]
    fn a_journal_without_state_keeps_its_lineage_and_another_lineage_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::new(dir.path().join("s.tfstate"));
        let mut j = store.journal("first-run").unwrap_or_else(|e| panic!("{e}"));
        j.append(&JournalEntry::Remove {
            address: "alicloud_eip_address.e".into(),
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let read = store.read().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read.map(|s| s.lineage), Some("first-run".to_string()));
        let mut other = sample();
        other.lineage = "someone-else".into();
        std::fs::write(dir.path().join("s.tfstate"), other.to_json().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        match store.read() {
            Err(StateError::Corrupt { what, .. }) => {
                assert!(what.contains("another state"), "{what}")
            }
            r => panic!("{r:?}"),
        }
        let _ = store.lock(Duration::ZERO, "test");
    }

    #[test]
    fn damage_is_never_read_as_nothing() {
        let head = r#""version": 4, "serial": 1, "lineage": "l""#;
        let cases = [
            (format!(r#"{{{head}, "resources": {{}}}}"#), "not a list"),
            (format!(r#"{{{head}, "resources": "x"}}"#), "not a list"),
            (format!(r#"{{{head}}}"#), "no \"resources\""),
            (
                format!(
                    r#"{{{head}, "resources": [{{"mode": "managed", "type": "alicloud_eip_address", "name": "e", "instances": {{}}}}]}}"#
                ),
                "no list of instances",
            ),
            (
                format!(
                    r#"{{{head}, "resources": [{{"mode": "managed", "type": "aws_instance", "name": "e", "instances": []}}]}}"#
                ),
                "does not know (aws_instance)",
            ),
            (
                format!(
                    r#"{{{head}, "resources": [{{"mode": "mystery", "type": "alicloud_eip_address", "name": "e", "instances": []}}]}}"#
                ),
                "mode \"mystery\"",
            ),
        ];
        for (text, want) in cases {
            match State::from_json(&text, "x") {
                Err(StateError::Corrupt { what, .. }) => {
                    assert!(what.contains(want), "{text}: {what}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        let empty = format!(r#"{{{head}, "resources": []}}"#);
        assert!(State::from_json(&empty, "x").is_ok());
    }

    #[test]
    fn fields_netform_does_not_write_are_damage() {
        let head = r#""version": 4, "serial": 1, "lineage": "l""#;
        let eip = r#""mode": "managed", "type": "alicloud_eip_address", "name": "e""#;
        let cases = [
            (
                format!(r#"{{{head}, "resources": [], "extra": 1}}"#),
                "unknown field `extra`",
            ),
            (
                format!(r#"{{{head}, "resources": [{{{eip}, "instances": [], "x": 1}}]}}"#),
                "unknown field `x`",
            ),
            (
                format!(
                    r#"{{{head}, "resources": [{{{eip}, "instances": [{{"attributes": {{}}, "y": 1}}]}}]}}"#
                ),
                "unknown field `y`",
            ),
            (
                format!(r#"{{{head}, "resources": [{{{eip}, "instances": [{{}}]}}]}}"#),
                "missing field `attributes`",
            ),
            (
                format!(r#"{{{head}, "resources": [], "pending_operations": 3}}"#),
                "not a list of operations",
            ),
            (
                format!(r#"{{{head}, "resources": [], "pending_operations": [{{"id": "x"}}]}}"#),
                "missing field",
            ),
            (
                r#"{"version": 4, "serial": "1", "lineage": "l", "resources": []}"#.to_string(),
                "invalid type",
            ),
        ];
        for (text, want) in cases {
            match State::from_json(&text, "x") {
                Err(StateError::Corrupt { what, .. }) => {
                    assert!(what.contains(want), "{text}: {what}")
                }
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn files_written_before_the_typed_format_still_load_and_write_the_same_bytes() {
        // As the hand-written writer laid it out (keys sorted).
        let old = r#"{
  "lineage": "l",
  "netform_version": "0.1.0",
  "outputs": {
    "ip": {
      "type": "string",
      "value": "47.96.1.1"
    }
  },
  "resources": [
    {
      "instances": [
        {
          "attributes": {
            "id": "eip-1"
          },
          "dependencies": [],
          "index_key": 0,
          "schema_version": 0
        }
      ],
      "mode": "managed",
      "name": "e",
      "provider": "provider[\"registry.terraform.io/aliyun/alicloud\"]",
      "type": "alicloud_eip_address"
    }
  ],
  "serial": 7,
  "version": 4
}"#;
        let s = State::from_json(old, "x").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.serial, 7);
        assert_eq!(s.resources.len(), 1);
        let written = serde_json::to_string_pretty(&s.to_json())
            .unwrap_or_default()
            .replace(env!("CARGO_PKG_VERSION"), "0.1.0");
        assert_eq!(written, old);
        // Optional fields left out, and a null pending_operations.
        let sparse = r#"{"version": 4, "serial": 1, "lineage": "l", "pending_operations": null,
            "resources": [{"mode": "managed", "type": "alicloud_eip_address", "name": "e",
            "instances": [{"attributes": {"id": "eip-1"}}]}]}"#;
        let s = State::from_json(sparse, "x").unwrap_or_else(|e| panic!("{e}"));
        assert!(s.pending.is_empty() && s.resources.len() == 1);
    }

    fn intent(current: Option<&str>, planned: &str) -> Intent {
        let attrs = |id: &str| BTreeMap::from([("id".to_string(), serde_json::json!(id))]);
        Intent {
            id: "tok-1".into(),
            operation: crate::plan::ops::Op {
                id: "alicloud_eip_address.e[0]#ReleaseEipAddress".into(),
                action: crate::plan::ops::OpAction::ReleaseEipAddress,
                address: Address::managed("alicloud_eip_address", "e", InstanceKey::Int(0)),
                phase: crate::plan::ops::Phase::Destroy,
                depends_on: Vec::new(),
            },
            change: crate::plan::Action::Delete,
            create_before_destroy: false,
            token: "tok-1".into(),
            provider: None,
            dependencies: Vec::new(),
            current: current.map(attrs),
            planned: attrs(planned),
            unknown: Vec::new(),
            in_state: InState::No,
        }
    }

    #[test]
    fn a_journalled_intent_leaves_out_what_recovery_rebuilds_and_reads_back_whole() {
        for (current, planned, trimmed) in [
            (Some("eip-1"), "eip-1", true),
            (Some("eip-1"), "eip-2", false),
            (None, "eip-1", false),
        ] {
            let i = intent(current, planned);
            let line = serde_json::to_string(&JournalEntry::Intent(Box::new(i.clone())))
                .unwrap_or_default();
            assert!(!line.contains("\"token\""), "{line}");
            assert_eq!(line.contains("\"planned"), !trimmed, "{line}");
            // Changes over the current attributes, not all of them again.
            assert!(
                current.is_none() || !line.contains("\"planned\":"),
                "{line}"
            );
            let (_, back) = parse_journal(format!("{line}\n").as_bytes()).unwrap_or_default();
            assert!(
                matches!(back.as_slice(), [JournalEntry::Intent(b)] if **b == i),
                "{line}"
            );
        }
        // A token other than the id is kept.
        let mut i = intent(Some("eip-1"), "eip-1");
        i.token = "tok-other".into();
        let line =
            serde_json::to_string(&JournalEntry::Intent(Box::new(i.clone()))).unwrap_or_default();
        let (_, back) = parse_journal(format!("{line}\n").as_bytes()).unwrap_or_default();
        assert!(matches!(back.as_slice(), [JournalEntry::Intent(b)] if **b == i));
    }

    /// A patch changes only what it names, and an intent that leaves its current (and planned)
    /// attributes to state reads them back as state held them at that point of the journal.
    #[test]
    fn patches_and_intents_left_to_state_fold_to_what_was_written() {
        let addr = "alicloud_eip_address.e[0]";
        let set = JournalEntry::Set {
            address: addr.into(),
            attributes: BTreeMap::from([
                ("id".to_string(), serde_json::json!("eip-1")),
                ("status".to_string(), serde_json::json!("Available")),
                ("name".to_string(), serde_json::json!("n")),
            ]),
            dependencies: vec![],
            provider: None,
        };
        let patch = JournalEntry::Patch {
            address: addr.into(),
            set: BTreeMap::from([("status".to_string(), serde_json::json!("InUse"))]),
            unset: vec!["name".into()],
        };
        let mut whole = intent(Some("eip-1"), "eip-1");
        let held = BTreeMap::from([
            ("id".to_string(), serde_json::json!("eip-1")),
            ("status".to_string(), serde_json::json!("InUse")),
        ]);
        whole.current = Some(held.clone());
        whole.planned = held.clone();
        let mut left = whole.clone();
        left.in_state = InState::Current;
        let mut text = String::new();
        for e in [set, patch, JournalEntry::Intent(Box::new(left))] {
            text += &serde_json::to_string(&e).unwrap_or_default();
            text.push('\n');
        }
        let line = text.lines().nth(2).unwrap_or_default();
        assert!(
            !line.contains("\"current\":") && !line.contains("\"planned"),
            "the intent repeats what state holds: {line}"
        );
        let (_, entries) = parse_journal(text.as_bytes()).unwrap_or_default();
        let mut s = State::new("l-1".into());
        for e in &entries {
            e.apply_to(&mut s).unwrap_or_else(|e| panic!("{e}"));
        }
        let a = Address::parse(addr).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.resources.get(&a).map(|i| &i.attributes), Some(&held));
        assert_eq!(s.pending.get("tok-1"), Some(&whole));
    }

    /// A create's intent whose unknown attributes are all those it does not plan says so
    /// without naming them, and reads back whole; one that leaves out a different set names it.
    #[test]
    fn a_creates_unknown_attributes_are_the_rest_of_its_type() {
        let (sch, _) = crate::schema::lookup(crate::config::Mode::Managed, "alicloud_eip_address")
            .unwrap_or_else(|| panic!("schema"));
        let mut i = intent(None, "x");
        i.change = crate::plan::Action::Create;
        i.operation.phase = crate::plan::ops::Phase::Apply;
        i.planned = BTreeMap::from([("bandwidth".to_string(), serde_json::json!("5"))]);
        i.unknown = sch
            .attrs
            .iter()
            .filter(|a| a.alias_of.is_none() && !a.unsupported && a.name != "bandwidth")
            .map(|a| a.name.to_string())
            .collect();
        i.unknown.sort();
        for k in &i.unknown {
            i.planned.insert(k.clone(), J::Null);
        }
        let line =
            serde_json::to_string(&JournalEntry::Intent(Box::new(i.clone()))).unwrap_or_default();
        assert!(
            line.contains(r#""unknown_rest":true"#)
                && !line.contains(r#""unknown":"#)
                && !line.contains("phase"),
            "{line}"
        );
        let (_, back) = parse_journal(format!("{line}\n").as_bytes()).unwrap_or_default();
        assert!(matches!(back.as_slice(), [JournalEntry::Intent(b)] if **b == i));
        // An attribute neither planned nor unknown: the rule would call it unknown.
        if let Some(k) = i.unknown.pop() {
            i.planned.remove(&k);
        }
        let line =
            serde_json::to_string(&JournalEntry::Intent(Box::new(i.clone()))).unwrap_or_default();
        assert!(!line.contains("unknown_rest"), "{line}");
        let (_, back) = parse_journal(format!("{line}\n").as_bytes()).unwrap_or_default();
        assert!(matches!(back.as_slice(), [JournalEntry::Intent(b)] if **b == i));
    }

    /// A patch may not take an address's id away.
    #[test]
    fn a_patch_removing_the_id_is_damage() {
        let line = r#"{"op":"patch","address":"alicloud_eip_address.e[0]","unset":["id"]}"#;
        assert!(parse_journal(format!("{line}\n").as_bytes()).is_err());
    }

    /// The form every intent was journalled in before: each field in full.
    #[test]
    fn an_intent_journalled_in_full_still_reads() {
        let i = intent(Some("eip-1"), "eip-1");
        let full = serde_json::json!({
            "op": "intent", "id": "tok-1", "operation": i.operation, "change": "delete",
            "token": "tok-1", "current": {"id": "eip-1"}, "planned": {"id": "eip-1"},
        });
        let (_, back) = parse_journal(format!("{full}\n").as_bytes()).unwrap_or_default();
        assert!(matches!(back.as_slice(), [JournalEntry::Intent(b)] if **b == i));
    }

    #[test]
    fn second_lock_is_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mut a = Store::new(dir.path().join("s.tfstate"));
        let mut b = Store::new(dir.path().join("s.tfstate"));
        a.lock(Duration::ZERO, "apply")
            .unwrap_or_else(|e| panic!("{e}"));
        match b.lock(Duration::ZERO, "plan") {
            Err(e @ StateError::Locked { .. }) => {
                let m = e.to_string();
                assert!(m.contains("for apply"), "{m}");
                assert!(m.contains(&format!("pid {}", std::process::id())), "{m}");
                assert!(m.contains(env!("CARGO_PKG_VERSION")), "{m}");
            }
            other => panic!("{other:?}"),
        }
        drop(a);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("s.tfstate.lock")).ok(),
            Some(String::new()),
            "an ended run leaves no holder behind"
        );
        b.lock(Duration::ZERO, "plan")
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[cfg(test)]
mod transact_tests {
    use super::*;
    use serde_json::json;

    fn one(id: &str) -> State {
        let mut s = State::new("l-t".into());
        s.resources.insert(
            Address::managed("alicloud_eip_address", id, InstanceKey::Int(0)),
            Instance {
                attributes: BTreeMap::from([("id".to_string(), json!(id))]),
                dependencies: vec![],
                provider: None,
            },
        );
        s
    }

    #[test]
    fn a_change_is_written_and_a_failure_writes_nothing() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("s.tfstate");
        let mut store = Store::new(path.clone());
        let none: Result<Option<()>, StateError> = store.transact("state rm", |_| Ok(()));
        assert!(
            matches!(none, Ok(None)),
            "no state: the change is not called"
        );
        let mut s = one("a");
        store.write(&mut s, None).unwrap_or_else(|e| panic!("{e}"));
        // Dropping the store lets go of its lock for the stores below.
        drop(store);
        let before = std::fs::read(&path).unwrap_or_default();
        let failed: Result<Option<()>, StateError> =
            Store::new(path.clone()).transact("state rm", |s| {
                s.resources.clear();
                Err(StateError::Backend {
                    message: "refused".into(),
                    help: "",
                })
            });
        assert!(failed.is_err());
        assert_eq!(
            std::fs::read(&path).unwrap_or_default(),
            before,
            "nothing written"
        );
        let removed = Store::new(path.clone()).transact("state rm", |s| {
            let n = s.resources.len();
            s.resources.clear();
            Ok::<_, StateError>(n)
        });
        assert!(matches!(removed, Ok(Some(1))), "{removed:?}");
        let mut again = Store::new(path);
        let after = again.read().ok().flatten().unwrap_or_else(|| one("x"));
        assert!(after.resources.is_empty());
        assert_eq!(after.serial, s.serial + 1);
    }
}
