//! The state file: what netform has applied, in a Terraform v4-like JSON shape.
//!
//! Durability is the point of this module. The file is replaced atomically (temp file, fsync,
//! rename, fsync of the directory) and never left half-written; the previous version is kept as
//! `.backup`; a separate lock file (std's `File::lock`) keeps two runs apart; and during apply
//! each completed operation is appended to a journal and fsynced, so a crash or Ctrl-C loses
//! nothing that was done, at a cost linear in the size of the change. A leftover journal is
//! folded in by the next run.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value as J, json};

use crate::address::{Address, InstanceKey};
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
    #[error(
        "the state is locked by another netform run (lock file {path}; {holder}); waited {waited}"
    )]
    Locked {
        path: String,
        waited: String,
        holder: String,
    },
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
        let mut groups: BTreeMap<(Mode, &str, &str), Vec<(&Address, &Instance)>> = BTreeMap::new();
        for (a, i) in &self.resources {
            groups
                .entry((a.mode, a.ty.as_str(), a.name.as_str()))
                .or_default()
                .push((a, i));
        }
        let resources: Vec<J> = groups
            .into_iter()
            .map(|((mode, ty, name), insts)| {
                let provider = match insts.first().and_then(|(_, i)| i.provider.as_deref()) {
                    Some(alias) => format!("{PROVIDER}.{alias}"),
                    None => PROVIDER.to_string(),
                };
                let instances: Vec<J> = insts
                    .iter()
                    .map(|(a, i)| {
                        let mut o = json!({
                            "schema_version": 0,
                            "attributes": i.attributes,
                            "dependencies": i.dependencies,
                        });
                        if !a.key.is_none() {
                            o["index_key"] = serde_json::to_value(&a.key).unwrap_or(J::Null);
                        }
                        o
                    })
                    .collect();
                json!({
                    "mode": if mode == Mode::Data { "data" } else { "managed" },
                    "type": ty,
                    "name": name,
                    "provider": provider,
                    "instances": instances,
                })
            })
            .collect();
        let mut j = json!({
            "version": STATE_VERSION,
            "netform_version": env!("CARGO_PKG_VERSION"),
            "serial": self.serial,
            "lineage": self.lineage,
            "outputs": self.outputs,
            "resources": resources,
        });
        if !self.pending.is_empty() {
            j["pending_operations"] =
                serde_json::to_value(self.pending.values().collect::<Vec<_>>()).unwrap_or(J::Null);
        }
        j
    }

    pub fn from_json(text: &str, path: &str) -> Result<State, StateError> {
        let corrupt = |what: String| StateError::Corrupt {
            path: path.to_string(),
            what,
        };
        if text.trim().is_empty() {
            return Err(corrupt("empty".into()));
        }
        let j: J = serde_json::from_str(text).map_err(|e| {
            corrupt(format!(
                "not valid JSON (line {}, column {}: {e}); it may be truncated",
                e.line(),
                e.column()
            ))
        })?;
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
        let lineage = j
            .get("lineage")
            .and_then(J::as_str)
            .ok_or_else(|| corrupt("not a netform state (no \"lineage\")".into()))?
            .to_string();
        let serial = j
            .get("serial")
            .and_then(J::as_u64)
            .ok_or_else(|| corrupt("not a netform state (no \"serial\")".into()))?;
        let mut state = State::new(lineage);
        state.serial = serial;
        if let Some(outs) = j.get("outputs") {
            state.outputs = serde_json::from_value(outs.clone())
                .map_err(|e| corrupt(format!("malformed outputs: {e}")))?;
        }
        match j.get("pending_operations") {
            None | Some(J::Null) => {}
            Some(list) => {
                let intents: Vec<Intent> = serde_json::from_value(list.clone()).map_err(|e| {
                    corrupt(format!(
                        "damaged: \"pending_operations\" is not a list of operations ({e})"
                    ))
                })?;
                state.pending = intents.into_iter().map(|i| (i.id.clone(), i)).collect();
            }
        }
        // Anything but a list here is damage, never "no resources": reading it as empty would
        // have the next apply create everything again.
        let resources = match j.get("resources") {
            Some(J::Array(list)) => list.as_slice(),
            Some(other) => {
                return Err(corrupt(format!(
                    "damaged: \"resources\" is {}, not a list",
                    json_kind(other)
                )));
            }
            None => return Err(corrupt("not a netform state (no \"resources\")".into())),
        };
        for r in resources {
            let s = |k: &str| r.get(k).and_then(J::as_str).map(str::to_string);
            let (Some(mode), Some(ty), Some(name)) = (s("mode"), s("type"), s("name")) else {
                return Err(corrupt("a resource lacks mode, type or name".into()));
            };
            let mode = match mode.as_str() {
                "data" => Mode::Data,
                "managed" => Mode::Managed,
                other => {
                    return Err(corrupt(format!(
                        "{ty}.{name} has mode {other:?}, not \"managed\" or \"data\""
                    )));
                }
            };
            if crate::schema::lookup(mode, &ty).is_none() {
                return Err(corrupt(format!(
                    "it holds {ty}.{name}, of a resource type netform does not know ({ty})"
                )));
            }
            let instances = match r.get("instances") {
                Some(J::Array(list)) => list.as_slice(),
                _ => {
                    return Err(corrupt(format!(
                        "damaged: {ty}.{name} has no list of instances"
                    )));
                }
            };
            let provider = s("provider").and_then(|p| {
                p.strip_prefix(PROVIDER)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .map(str::to_string)
            });
            for inst in instances {
                let key = match inst.get("index_key") {
                    None | Some(J::Null) => InstanceKey::None,
                    Some(k) => serde_json::from_value(k.clone())
                        .map_err(|_| corrupt(format!("bad index_key in {ty}.{name}")))?,
                };
                let attributes: BTreeMap<String, J> = match inst.get("attributes") {
                    Some(J::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    _ => {
                        return Err(corrupt(format!(
                            "{ty}.{name} has an instance without attributes"
                        )));
                    }
                };
                let dependencies = inst
                    .get("dependencies")
                    .and_then(J::as_array)
                    .map(|d| {
                        d.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(id) = attributes.get("id")
                    && !(id.is_string() || id.is_null())
                {
                    return Err(corrupt(format!(
                        "{ty}.{name} has an id that is not a string ({id})"
                    )));
                }
                let address = Address {
                    mode,
                    ty: ty.clone(),
                    name: name.clone(),
                    key,
                };
                if state.resources.contains_key(&address) {
                    return Err(corrupt(format!("{address} appears twice")));
                }
                state.resources.insert(
                    address,
                    Instance {
                        attributes,
                        dependencies,
                        provider: provider.clone(),
                    },
                );
            }
        }
        Ok(state)
    }

    /// Content equality, ignoring the serial: a serial bumps only when this differs.
    pub fn same_content(&self, other: &State) -> bool {
        self.lineage == other.lineage
            && self.resources == other.resources
            && self.outputs == other.outputs
            && self.pending == other.pending
    }
}

const JOURNAL_VERSION: u64 = 1;

/// The first line of a journal: which state it belongs to.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalHeader {
    journal: u64,
    lineage: String,
}

/// A journal's text: its header's lineage (none for a journal written before headers existed)
/// and its entries, or what is wrong with it.
fn parse_journal(text: &[u8]) -> Result<(Option<String>, Vec<JournalEntry>), String> {
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
            Ok(e) => out.push(e),
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
    /// An operation is about to make its first call (fsynced before it does).
    Intent(Box<Intent>),
    /// An intent's outcome is recorded (by the entries before this one) or known to be nothing.
    Done {
        id: String,
    },
}

impl JournalEntry {
    pub fn apply_to(&self, state: &mut State) {
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
            JournalEntry::Intent(i) => {
                state.pending.insert(i.id.clone(), (**i).clone());
            }
            JournalEntry::Done { id } => {
                state.pending.remove(id);
            }
        }
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

    fn write_to(&self, f: &mut File) -> std::io::Result<()> {
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

/// Who holds the lock at `path`, as its record says. A run that has just taken the lock writes
/// its record a moment later: an empty or half-written record is read again for a little while
/// before the holder is called unknown.
fn read_holder(path: &Path) -> String {
    let start = Instant::now();
    loop {
        let info = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok());
        match info {
            Some(i) => return i.describe(),
            None if start.elapsed() < Duration::from_millis(500) => {
                std::thread::sleep(Duration::from_millis(10));
            }
            None => return "holder unknown".to_string(),
        }
    }
}

/// The state file and its companions: `.backup`, `.lock` and `.journal`.
pub struct Store {
    pub path: PathBuf,
    lock: Option<File>,
    backed_up: bool,
}

impl Drop for Store {
    /// Clears the holder's record before the lock goes (with the file handle), so that a lock
    /// file left behind never names a run that has ended.
    fn drop(&mut self) {
        if let Some(f) = self.lock.take() {
            let _ = f.set_len(0);
        }
    }
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

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl Store {
    pub fn new(path: PathBuf) -> Store {
        Store {
            path,
            lock: None,
            backed_up: false,
        }
    }

    pub fn backup_path(&self) -> PathBuf {
        sibling(&self.path, ".backup")
    }

    pub fn lock_path(&self) -> PathBuf {
        sibling(&self.path, ".lock")
    }

    pub fn journal_path(&self) -> PathBuf {
        sibling(&self.path, ".journal")
    }

    fn shown(&self) -> String {
        self.path.display().to_string()
    }

    /// Reads the state, with a crashed run's journal folded in (in memory; `fold_journal`
    /// writes it). `Ok(None)` only when no state file exists.
    pub fn read(&self) -> Result<Option<State>, StateError> {
        let mut state = match std::fs::read_to_string(&self.path) {
            Ok(text) => Some(State::from_json(&text, &self.shown())?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(StateError::Read {
                    path: self.shown(),
                    source: e,
                });
            }
        };
        let (lineage, entries) = self.read_journal()?;
        if let (Some(s), Some(l)) = (&state, &lineage)
            && &s.lineage != l
        {
            return Err(StateError::Corrupt {
                path: self.journal_path().display().to_string(),
                what: format!(
                    "the journal of another state (lineage {l}; {} has lineage {})",
                    self.shown(),
                    s.lineage
                ),
            });
        }
        if !entries.is_empty() || lineage.is_some() {
            // A first apply that crashed has a journal and no state: the journal's lineage keeps
            // the rerun's ClientTokens the same as the crashed run's.
            let s = state.get_or_insert_with(|| State::new(lineage.clone().unwrap_or_default()));
            for e in &entries {
                e.apply_to(s);
            }
        }
        Ok(state)
    }

    pub fn has_journal(&self) -> bool {
        self.journal_path().exists()
    }

    /// The journal's lineage (from its header) and entries. Only the last line may be torn (a
    /// write the crash cut short, with no newline after it); garbage anywhere else is damage.
    fn read_journal(&self) -> Result<(Option<String>, Vec<JournalEntry>), StateError> {
        let path = self.journal_path();
        let shown = path.display().to_string();
        let text = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, Vec::new())),
            Err(e) => {
                return Err(StateError::Read {
                    path: shown,
                    source: e,
                });
            }
        };
        parse_journal(&text).map_err(|what| StateError::Corrupt { path: shown, what })
    }

    /// Takes the lock, waiting up to `timeout`.
    /// Takes the lock for `operation` (plan, apply, …), waiting up to `timeout`, and records
    /// who holds it in the lock file so that a run that finds it taken can say by whom.
    pub fn lock(&mut self, timeout: Duration, operation: &str) -> Result<(), StateError> {
        let path = self.lock_path();
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StateError::Write {
                path: path.display().to_string(),
                source: e,
            })?;
        let start = Instant::now();
        loop {
            match f.try_lock() {
                Ok(()) => {
                    // The holder's details are informative; failing to write them must not
                    // fail a run that holds the lock.
                    let _ = LockInfo::new(operation).write_to(&mut f);
                    self.lock = Some(f);
                    return Ok(());
                }
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = read_holder(&path);
                    return Err(StateError::Locked {
                        path: path.display().to_string(),
                        waited: format!("{}s", timeout.as_secs()),
                        holder,
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(StateError::Write {
                        path: path.display().to_string(),
                        source: e,
                    });
                }
            }
        }
    }

    /// Writes the state atomically, bumping the serial only when the content changed since
    /// `prior`. Keeps the previous file as `.backup` (once per run).
    pub fn write(&mut self, state: &mut State, prior: Option<&State>) -> Result<(), StateError> {
        if let Some(p) = prior {
            if p.same_content(state) && self.path.exists() && !self.has_journal() {
                state.serial = p.serial;
                return Ok(());
            }
            state.serial = p.serial + 1;
        } else {
            state.serial = state.serial.max(1);
        }
        let shown = self.shown();
        let err = |e: std::io::Error| StateError::Write {
            path: shown.clone(),
            source: e,
        };
        if !self.backed_up && self.path.exists() {
            std::fs::copy(&self.path, self.backup_path()).map_err(err)?;
            set_private(&self.backup_path());
            self.backed_up = true;
        }
        let text = serde_json::to_string_pretty(&state.to_json()).unwrap_or_default() + "\n";
        write_atomic(&self.path, text.as_bytes()).map_err(err)?;
        let _ = std::fs::remove_file(self.journal_path());
        Ok(())
    }

    /// Opens the journal of the state with `lineage` for appending; each entry is fsynced
    /// before `append` returns. A new journal starts with a durable header naming the lineage.
    pub fn journal(&self, lineage: &str) -> Result<Journal, StateError> {
        let path = self.journal_path();
        let write_err = |e: std::io::Error| StateError::Write {
            path: path.display().to_string(),
            source: e,
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(write_err)?;
        set_private(&path);
        if file.metadata().map_err(write_err)?.len() == 0 {
            let header = JournalHeader {
                journal: JOURNAL_VERSION,
                lineage: lineage.to_string(),
            };
            let mut line =
                serde_json::to_vec(&header).map_err(|e| write_err(std::io::Error::other(e)))?;
            line.push(b'\n');
            file.write_all(&line)
                .and_then(|_| file.sync_data())
                .map_err(write_err)?;
        }
        Ok(Journal { file, path })
    }
}

pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    pub fn append(&mut self, e: &JournalEntry) -> Result<(), StateError> {
        self.append_all(std::slice::from_ref(e))
    }

    /// Appends entries with one write and one fsync: an operation's results and the end of its
    /// intent. A crash may cut the last line short; the reader forgives only that, and an intent
    /// whose end was lost is settled again by the next run.
    pub fn append_all(&mut self, entries: &[JournalEntry]) -> Result<(), StateError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut text = Vec::new();
        for e in entries {
            let line = serde_json::to_vec(e).map_err(|err| StateError::Write {
                path: self.path.display().to_string(),
                source: std::io::Error::other(err),
            })?;
            text.extend(line);
            text.push(b'\n');
        }
        self.file
            .write_all(&text)
            .and_then(|_| self.file.sync_data())
            .map_err(|err| StateError::Write {
                path: self.path.display().to_string(),
                source: err,
            })
    }
}

#[cfg(unix)]
fn set_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
}

#[cfg(not(unix))]
fn set_private(_: &Path) {}

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

/// A new lineage: random enough to tell states apart, without a uuid dependency.
pub fn new_lineage() -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    h.update(now.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let tmp = tempfile::NamedTempFile::new().ok();
    if let Some(t) = &tmp {
        h.update(t.path().as_os_str().as_encoded_bytes());
    }
    let b = h.finalize();
    let x: String = b.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> State {
        let mut s = State::new("l-1".into());
        s.resources.insert(
            Address::managed("alicloud_eip_address", "e", InstanceKey::Int(0)),
            Instance {
                attributes: BTreeMap::from([("id".to_string(), json!("eip-1"))]),
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
        std::fs::write(&store.path, other.to_json().to_string()).unwrap_or_else(|e| panic!("{e}"));
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
