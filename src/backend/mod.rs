//! State backends: where a workspace's state, its lock, its apply journal and its past versions
//! live. `local` keeps them in files beside the configuration (Terraform's local backend, and
//! netform's behaviour before backends existed); `pg` keeps them in PostgreSQL so that runners
//! on different machines share one truth.
//!
//! Every backend gives the same guarantees to `state::Store`, which is all the rest of netform
//! sees: a write is a compare-and-swap on the (lineage, serial) the writer read, so a stale writer
//! is refused and writes nothing; the lock records its holder; the journal of a run that died is
//! read back by the next one; every version written can be listed.

pub mod local;
pub mod pg;
pub mod settings;

use std::time::Duration;

use crate::state::{JournalEntry, LockInfo, State, StateError};

/// The workspace every backend has, which cannot be deleted.
pub const DEFAULT_WORKSPACE: &str = "default";

/// The (lineage, serial) of the stored state, `None` when nothing is stored: what a
/// compare-and-swap expects to find.
pub type Stamp = Option<(String, u64)>;

/// What a written version records besides the state itself.
#[derive(Clone, Debug, Default)]
pub struct VersionMeta {
    pub operation: String,
    pub who: String,
    pub counts: Option<Counts>,
}

/// How many resource instances a version added, changed and removed against the one before.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Counts {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
}

impl Counts {
    pub fn between(before: Option<&State>, after: &State) -> Counts {
        let mut c = Counts::default();
        let empty = std::collections::BTreeMap::new();
        let old = before.map_or(&empty, |s| &s.resources);
        for (a, i) in &after.resources {
            match old.get(a) {
                None => c.added += 1,
                Some(o) if o != i => c.changed += 1,
                Some(_) => {}
            }
        }
        c.removed = old
            .keys()
            .filter(|a| !after.resources.contains_key(*a))
            .count() as u64;
        c
    }
}

/// One kept version of a workspace's state, as `state history` lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Version {
    pub serial: u64,
    pub lineage: String,
    /// RFC 3339, from the backend's clock (the database server's for `pg`).
    pub when: String,
    pub who: String,
    pub operation: String,
    #[serde(flatten)]
    pub counts: Option<Counts>,
}

/// Where a run appends its completed operations, each durable before `append` returns.
pub trait JournalSink: Send {
    fn append(&mut self, e: &JournalEntry) -> Result<(), StateError>;

    /// Appends several entries, all durable before it returns. A sink that can should make
    /// them durable together (one fsync): operations that start or finish together then share
    /// its cost.
    fn append_all(&mut self, entries: &[JournalEntry]) -> Result<(), StateError> {
        for e in entries {
            self.append(e)?;
        }
        Ok(())
    }
}

/// One workspace's state in one backend. Dropping it releases a lock it holds.
pub trait Backend: Send {
    /// Where the state lives, for messages: a path, or the database and schema (never a
    /// credential).
    fn place(&self) -> String;
    /// The stored state, without the journal folded in.
    fn read(&mut self) -> Result<Option<State>, StateError>;
    /// Stores `state` if and only if the stored state is still `expect`; clears the journal
    /// (which `state` includes) in the same step.
    fn write(
        &mut self,
        state: &State,
        expect: &Stamp,
        meta: &VersionMeta,
    ) -> Result<(), StateError>;
    fn lock(&mut self, info: &LockInfo, timeout: Duration) -> Result<(), StateError>;
    /// Opens the journal of the state with `lineage`; a new journal records the lineage first.
    fn journal(&mut self, lineage: &str) -> Result<Box<dyn JournalSink>, StateError>;
    /// The journal's lineage and entries (none when there is no journal).
    fn read_journal(&mut self) -> Result<(Option<String>, Vec<JournalEntry>), StateError>;
    fn has_journal(&mut self) -> Result<bool, StateError>;
    /// The versions kept, oldest first.
    fn history(&mut self) -> Result<Vec<Version>, StateError>;
    fn version(&mut self, serial: u64) -> Result<Option<State>, StateError>;
}

/// A backend as configured: what opens a workspace's state, and manages the workspaces.
pub enum Spec {
    Local(local::LocalSpec),
    Pg(Box<pg::PgSpec>),
}

/// What `netform init` did.
pub struct InitReport {
    pub lines: Vec<String>,
}

impl Spec {
    pub fn kind(&self) -> &'static str {
        match self {
            Spec::Local(_) => "local",
            Spec::Pg(_) => "pg",
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Spec::Local(l) => l.describe(),
            Spec::Pg(p) => p.describe(),
        }
    }

    pub fn open(&self, workspace: &str) -> Result<Box<dyn Backend>, StateError> {
        match self {
            Spec::Local(l) => Ok(Box::new(l.open(workspace))),
            Spec::Pg(p) => Ok(Box::new(p.open(workspace)?)),
        }
    }

    /// Checks the backend and creates what it needs (idempotent).
    pub fn init(&self) -> Result<InitReport, StateError> {
        match self {
            Spec::Local(l) => Ok(l.init()),
            Spec::Pg(p) => p.init(),
        }
    }

    pub fn workspaces(&self) -> Result<Vec<String>, StateError> {
        match self {
            Spec::Local(l) => l.workspaces(),
            Spec::Pg(p) => p.workspaces(),
        }
    }

    pub fn workspace_exists(&self, name: &str) -> Result<bool, StateError> {
        if name == DEFAULT_WORKSPACE {
            return Ok(true);
        }
        Ok(self.workspaces()?.iter().any(|w| w == name))
    }

    /// Creates a workspace; `false` when it already existed.
    pub fn create_workspace(&self, name: &str) -> Result<bool, StateError> {
        match self {
            Spec::Local(l) => l.create_workspace(name),
            Spec::Pg(p) => p.create_workspace(name),
        }
    }

    /// Deletes a workspace and its state; refused while it is locked, has an unfinished
    /// journal, or (unless `force`) still manages resources.
    pub fn delete_workspace(&self, name: &str, force: bool) -> Result<(), StateError> {
        match self {
            Spec::Local(l) => l.delete_workspace(name, force),
            Spec::Pg(p) => p.delete_workspace(name, force),
        }
    }

    /// Removes the lock `id` of `workspace` if its holder is gone; returns the holder it had.
    pub fn force_unlock(&self, workspace: &str, id: &str) -> Result<LockInfo, StateError> {
        match self {
            Spec::Local(l) => l.force_unlock(workspace, id),
            Spec::Pg(p) => p.force_unlock(workspace, id),
        }
    }
}

/// A workspace name is a path segment and a database key: letters, digits, `-`, `_` and `.`,
/// starting with a letter or digit (Terraform allows no `/` either).
pub fn valid_workspace_name(name: &str) -> Result<(), String> {
    let ok_first = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let ok_rest = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok_first && ok_rest && name.len() <= 90 {
        Ok(())
    } else {
        Err(format!(
            "invalid workspace name {name:?}: use letters, digits, '-', '_' and '.', starting with a letter or digit (at most 90)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_names_are_path_and_key_safe() {
        for ok in ["default", "prod", "pr-12", "eu_west.1"] {
            assert!(valid_workspace_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "../x", "a/b", "-x", ".hidden", "a b"] {
            assert!(valid_workspace_name(bad).is_err(), "{bad}");
        }
    }
}
