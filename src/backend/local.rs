//! The local backend: the state is a file (`netform.tfstate` beside the configuration, or the
//! backend's `path`, or `--state FILE`) with companions `.backup` (the version before), `.lock`
//! (an OS file lock, `flock`, holding the holder's record) and `.journal` (apply's per-operation
//! log). A workspace other than `default` lives in `netform.tfstate.d/NAME/netform.tfstate`,
//! as Terraform lays out `terraform.tfstate.d/NAME/terraform.tfstate`.
//!
//! An OS file lock dies with its process, so a local lock is never stale: `force-unlock` only
//! clears the record a killed holder left behind, and refuses while the holder runs.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{Backend, Counts, DEFAULT_WORKSPACE, InitReport, JournalSink, Stamp, Version};
use super::{VersionMeta, valid_workspace_name};
use crate::state::{
    JournalEntry, JournalHeader, LockInfo, State, StateError, parse_journal, set_private,
    write_atomic,
};

/// Where the local backend keeps each workspace's state.
#[derive(Clone, Debug)]
pub struct LocalSpec {
    /// The default workspace's state file.
    pub path: PathBuf,
    /// Holds one folder per other workspace.
    pub workspace_dir: PathBuf,
}

/// The file name a non-default workspace's state has inside its folder.
pub const STATE_FILE: &str = "netform.tfstate";
/// The folder of non-default workspaces, beside the default state file.
pub const WORKSPACE_DIR: &str = "netform.tfstate.d";

impl LocalSpec {
    pub fn describe(&self) -> String {
        format!("local (state file {})", self.path.display())
    }

    pub fn state_path(&self, workspace: &str) -> PathBuf {
        if workspace == DEFAULT_WORKSPACE {
            self.path.clone()
        } else {
            self.workspace_dir.join(workspace).join(STATE_FILE)
        }
    }

    pub fn open(&self, workspace: &str) -> LocalBackend {
        LocalBackend::new(self.state_path(workspace))
    }

    pub fn init(&self) -> InitReport {
        InitReport {
            lines: vec![format!(
                "The local backend keeps the state in {}.",
                self.path.display()
            )],
        }
    }

    pub fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let mut out = vec![DEFAULT_WORKSPACE.to_string()];
        let rd = match std::fs::read_dir(&self.workspace_dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => {
                return Err(StateError::Read {
                    path: self.workspace_dir.display().to_string(),
                    source: e,
                });
            }
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter(|n| valid_workspace_name(n).is_ok() && n != DEFAULT_WORKSPACE)
            .collect();
        names.sort();
        out.extend(names);
        Ok(out)
    }

    pub fn create_workspace(&self, name: &str) -> Result<bool, StateError> {
        if self.workspaces()?.iter().any(|w| w == name) {
            return Ok(false);
        }
        let dir = self.workspace_dir.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| StateError::Write {
            path: dir.display().to_string(),
            source: e,
        })?;
        Ok(true)
    }

    pub fn delete_workspace(&self, name: &str, force: bool) -> Result<(), StateError> {
        let mut b = self.open(name);
        // Holding the lock while deleting keeps a run from writing into a folder going away.
        b.lock(&LockInfo::new("workspace delete"), Duration::ZERO)?;
        check_deletable(&mut b, name, force)?;
        let dir = self.workspace_dir.join(name);
        drop(b);
        std::fs::remove_dir_all(&dir).map_err(|e| StateError::Write {
            path: dir.display().to_string(),
            source: e,
        })
    }

    pub fn force_unlock(&self, workspace: &str, id: &str) -> Result<LockInfo, StateError> {
        let b = self.open(workspace);
        let path = b.lock_path();
        let shown = path.display().to_string();
        let holder = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str::<LockInfo>(&t).ok());
        let Some(holder) = holder.filter(|h| h.id == id) else {
            return Err(StateError::Backend {
                message: format!("no lock with ID {id} on {shown}"),
                help: "the lock is free or held under another ID: a refused run prints the lock ID to use",
            });
        };
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StateError::Write {
                path: shown.clone(),
                source: e,
            })?;
        match f.try_lock() {
            Ok(()) => {
                // The holder died (an OS lock ends with its process) and left its record.
                let _ = f.set_len(0);
                Ok(holder)
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(StateError::Backend {
                message: format!(
                    "the lock on {shown} is held by a running process: {}",
                    holder.describe()
                ),
                help: "a local lock is an OS file lock that ends when its process ends, so it is never stale: wait for that run, or stop it (Ctrl-C lets it record what it did)",
            }),
            Err(std::fs::TryLockError::Error(e)) => Err(StateError::Write {
                path: shown,
                source: e,
            }),
        }
    }
}

/// Refuses to delete a workspace whose journal is unfinished or whose state (unless `force`)
/// still manages resources: deleting them would orphan cloud objects.
pub(crate) fn check_deletable(
    b: &mut dyn Backend,
    name: &str,
    force: bool,
) -> Result<(), StateError> {
    if b.has_journal()? {
        return Err(StateError::Backend {
            message: format!("workspace \"{name}\" has the journal of an unfinished apply"),
            help: "select it and run netform apply to finish, then delete it",
        });
    }
    let n = b.read()?.map_or(0, |s| {
        s.resources
            .keys()
            .filter(|a| a.mode == crate::config::Mode::Managed)
            .count()
    });
    if n > 0 && !force {
        return Err(StateError::Backend {
            message: format!("workspace \"{name}\" still manages {n} resource instance(s)"),
            help: "destroy them first (netform destroy in that workspace), or pass -force to forget them",
        });
    }
    Ok(())
}

/// One workspace's state file and its companions.
pub struct LocalBackend {
    pub path: PathBuf,
    lock: Option<File>,
    backed_up: bool,
}

impl Drop for LocalBackend {
    /// Clears the holder's record before the lock goes (with the file handle), so that a lock
    /// file left behind never names a run that has ended.
    fn drop(&mut self) {
        if let Some(f) = self.lock.take() {
            let _ = f.set_len(0);
        }
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

impl LocalBackend {
    pub fn new(path: PathBuf) -> LocalBackend {
        LocalBackend {
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

    fn read_file(&self, path: &Path) -> Result<Option<State>, StateError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(Some(State::from_json(&text, &path.display().to_string())?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StateError::Read {
                path: path.display().to_string(),
                source: e,
            }),
        }
    }

    /// The parent folder must exist for a workspace's first write.
    fn ensure_dir(&self) -> std::io::Result<()> {
        match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() && !d.exists() => std::fs::create_dir_all(d),
            _ => Ok(()),
        }
    }
}

/// The modification time of `path` as RFC 3339 (local history has no other record of "when").
fn modified(path: &Path) -> String {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok())
        .map(|t| {
            jiff::Timestamp::from_second(t.as_second())
                .unwrap_or(t)
                .to_string()
        })
        .unwrap_or_default()
}

impl Backend for LocalBackend {
    fn place(&self) -> String {
        format!("state file {}", self.shown())
    }

    fn read(&mut self) -> Result<Option<State>, StateError> {
        self.read_file(&self.path)
    }

    fn write(
        &mut self,
        state: &State,
        expect: &Stamp,
        _meta: &VersionMeta,
    ) -> Result<(), StateError> {
        // The file lock keeps runs apart; this check also refuses a writer that never took it
        // (or read before another run wrote).
        let found = self.read_file(&self.path)?.map(|s| (s.lineage, s.serial));
        if &found != expect {
            return Err(StateError::Stale {
                place: self.place(),
                read: stamp_text(expect),
                found: stamp_text(&found),
            });
        }
        let shown = self.shown();
        let err = |e: std::io::Error| StateError::Write {
            path: shown.clone(),
            source: e,
        };
        self.ensure_dir().map_err(err)?;
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

    fn lock(&mut self, info: &LockInfo, timeout: Duration) -> Result<(), StateError> {
        let path = self.lock_path();
        let io_err = |e: std::io::Error| StateError::Write {
            path: path.display().to_string(),
            source: e,
        };
        self.ensure_dir().map_err(io_err)?;
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err)?;
        let start = Instant::now();
        loop {
            match f.try_lock() {
                Ok(()) => {
                    // The holder's details are informative; failing to write them must not
                    // fail a run that holds the lock.
                    let _ = info.write_to(&mut f);
                    self.lock = Some(f);
                    return Ok(());
                }
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    let holder = read_holder(&path);
                    return Err(StateError::Locked {
                        place: format!("lock file {}", path.display()),
                        waited: format!("{}s", timeout.as_secs()),
                        holder,
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e)),
            }
        }
    }

    fn journal(&mut self, lineage: &str) -> Result<Box<dyn JournalSink>, StateError> {
        let path = self.journal_path();
        let write_err = |e: std::io::Error| StateError::Write {
            path: path.display().to_string(),
            source: e,
        };
        self.ensure_dir().map_err(write_err)?;
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(write_err)?;
        set_private(&path);
        if file.metadata().map_err(write_err)?.len() == 0 {
            let header = JournalHeader::new(lineage);
            let mut line =
                serde_json::to_vec(&header).map_err(|e| write_err(std::io::Error::other(e)))?;
            line.push(b'\n');
            file.write_all(&line)
                .and_then(|_| file.sync_data())
                .map_err(write_err)?;
        }
        Ok(Box::new(FileJournal { file, path }))
    }

    /// Only the last line may be torn (a write the crash cut short, with no newline after it);
    /// garbage anywhere else is damage.
    fn read_journal(&mut self) -> Result<(Option<String>, Vec<JournalEntry>), StateError> {
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

    fn has_journal(&mut self) -> Result<bool, StateError> {
        Ok(self.journal_path().exists())
    }

    /// The local backend keeps two versions: the state file and its `.backup`.
    fn history(&mut self) -> Result<Vec<Version>, StateError> {
        let backup = self.read_file(&self.backup_path())?;
        let current = self.read_file(&self.path)?;
        let mut out = Vec::new();
        if let Some(b) = &backup {
            out.push(version_of(b, &self.backup_path(), None));
        }
        if let Some(c) = &current {
            let counts = Counts::between(backup.as_ref(), c);
            out.push(version_of(c, &self.path, Some(counts)));
        }
        Ok(out)
    }

    fn version(&mut self, serial: u64) -> Result<Option<State>, StateError> {
        for p in [self.path.clone(), self.backup_path()] {
            if let Some(s) = self.read_file(&p)?.filter(|s| s.serial == serial) {
                return Ok(Some(s));
            }
        }
        Ok(None)
    }
}

fn version_of(s: &State, path: &Path, counts: Option<Counts>) -> Version {
    Version {
        serial: s.serial,
        lineage: s.lineage.clone(),
        when: modified(path),
        who: String::new(),
        operation: String::new(),
        counts,
    }
}

/// `lineage L serial N`, or `no state`, for a stale-write message.
pub(crate) fn stamp_text(s: &Stamp) -> String {
    match s {
        Some((l, n)) => format!("lineage {l} serial {n}"),
        None => "no state".into(),
    }
}

struct FileJournal {
    file: File,
    path: PathBuf,
}

impl JournalSink for FileJournal {
    fn append(&mut self, e: &JournalEntry) -> Result<(), StateError> {
        self.append_all(std::slice::from_ref(e))
    }

    /// One write and one fsync for all the entries: a crash can cut only the last line short,
    /// which the reader forgives.
    fn append_all(&mut self, entries: &[JournalEntry]) -> Result<(), StateError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut lines = Vec::new();
        for e in entries {
            // Encoded straight into the batch (a line that cannot be encoded is left out, as
            // before; every entry netform makes encodes).
            let at = lines.len();
            if serde_json::to_writer(&mut lines, e).is_err() {
                lines.truncate(at);
            }
            lines.push(b'\n');
        }
        self.file
            .write_all(&lines)
            .and_then(|_| self.file.sync_data())
            .map_err(|err| StateError::Write {
                path: self.path.display().to_string(),
                source: err,
            })
    }
}

/// Who holds the lock at `path`, as its record says. A run that has just taken the lock writes
/// its record a moment later: an empty or half-written record is read again for a little while
/// before the holder is called unknown.
fn read_holder(path: &Path) -> String {
    let start = std::time::Instant::now();
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
