//! The simulator's files, shared by every process that uses them: two runs of the in-process
//! simulator, a `netform sim call` made while an apply runs, `sim serve` and an apply on the
//! same directory. Each process keeps the cloud in memory, so each read-modify-write of the files
//! happens under an OS lock on `.netform/sim.lock`, held across the read and the write: after
//! taking it a process first catches up with what the others wrote since it last looked (their
//! journal lines, or a snapshot one of them folded), then acts, then appends its own line. The
//! processes so serialise call by call, and none overwrites what another did.
//!
//! A process killed while holding the lock releases it with its last file descriptor, so a
//! crash never wedges the others.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::cloud::{Cloud, Live};
use super::world::World;
use super::{Inner, JournalLine, SimError, Snapshot};
use crate::provider::{ApiError, Params, Product};

pub(super) const SNAPSHOT: &str = "cloud.json";
pub(super) const JOURNAL: &str = "journal.ndjson";

/// Enough of a file's metadata to tell a rewritten file from the one read before (a snapshot is
/// replaced by a rename, so its inode changes; length and mtime cover systems without inodes).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct FileId {
    ino: u64,
    len: u64,
    modified: Option<SystemTime>,
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        #[cfg(unix)]
        let ino = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let ino = 0;
        FileId {
            ino,
            len: meta.len(),
            modified: meta.modified().ok(),
        }
    }

    pub(super) fn at(path: &Path) -> Option<FileId> {
        std::fs::metadata(path).ok().map(|m| FileId::of(&m))
    }
}

/// What of the files on disk a process's cloud reflects.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Seen {
    /// The snapshot the cloud was loaded from (none: the world's initial cloud).
    pub snapshot: Option<FileId>,
    /// The inode of the journal read so far, and how many bytes of it (whole lines).
    pub journal_ino: Option<u64>,
    pub read: u64,
    /// The journal ends in part of a line (a writer killed mid-line): the next line written
    /// starts on a new one, so that it is not glued to the fragment.
    pub torn: bool,
}

/// Where the world came from, to start over from it when the files are removed (`sim reset`).
#[derive(Clone, Debug)]
pub(super) enum Origin {
    Builtin,
    File { text: String, origin: String },
}

impl Origin {
    pub(super) fn world(&self) -> Result<World, SimError> {
        match self {
            Origin::Builtin => Ok(World::builtin()),
            Origin::File { text, origin } => {
                World::from_json(text, origin).map_err(|e| SimError::World(e.to_string()))
            }
        }
    }
}

/// The exclusive lock on a simulator directory's files, released when dropped (or when the
/// process dies). `None` when `create` is false and the directory does not exist: there is
/// nothing on disk to read, and a run that only reads leaves no trace.
pub(super) fn lock(dir: &Path, create: bool) -> Result<Option<File>, SimError> {
    if !create && !dir.is_dir() {
        return Ok(None);
    }
    let path = lock_path(dir);
    let io = |source| SimError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io)?;
    loop {
        match f.lock() {
            Ok(()) => return Ok(Some(f)),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io(e)),
        }
    }
}

/// Beside the directory, not in it: `sim reset` removes the directory while holding the lock.
fn lock_path(dir: &Path) -> PathBuf {
    let mut p = dir.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

/// The snapshot in `dir`, if there is one, and its identity.
pub(super) fn read_snapshot(dir: &Path) -> Result<Option<(Snapshot, FileId)>, SimError> {
    let path = dir.join(SNAPSHOT);
    let mut f = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(SimError::Io {
                path: path.display().to_string(),
                source,
            });
        }
    };
    let corrupt = |what: String| SimError::Corrupt {
        path: path.display().to_string(),
        what: format!("{what}; run `netform sim reset` to start over from the world"),
    };
    let id = f
        .metadata()
        .map(|m| FileId::of(&m))
        .map_err(|e| corrupt(e.to_string()))?;
    let mut text = String::new();
    f.read_to_string(&mut text)
        .map_err(|e| corrupt(e.to_string()))?;
    let snap: Snapshot = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    Ok(Some((snap, id)))
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io {
        path: path.display().to_string(),
        source,
    }
}

impl Inner {
    /// Brings the cloud up to date with the files; the caller holds the lock.
    pub(super) fn catch_up(&mut self) -> Result<(), SimError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        let journal = dir.join(JOURNAL);
        let now = FileId::at(&journal);
        // A journal removed or replaced since it was read: another process folded it into a new
        // snapshot (or `sim reset` removed both).
        let replaced = match (self.seen.journal_ino, now) {
            (Some(ino), Some(j)) => ino != j.ino || j.len < self.seen.read,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if replaced || FileId::at(&dir.join(SNAPSHOT)) != self.seen.snapshot {
            self.reload(&dir)?;
        }
        self.replay(&journal)
    }

    /// Starts again from the snapshot (or the world when there is none).
    fn reload(&mut self, dir: &Path) -> Result<(), SimError> {
        let (world, live, hash, folded, id) = match read_snapshot(dir)? {
            Some((s, id)) => (s.world, s.live, s.world_hash, s.journal_seq, Some(id)),
            None => (
                self.origin.world()?,
                Live::default(),
                self.origin_hash.clone(),
                0,
                None,
            ),
        };
        let limits = world.limits().map_err(|e| SimError::World(e.to_string()))?;
        let async_ms = self.cloud.async_ms.clone();
        self.cloud = Cloud::new(world, limits, live, async_ms);
        self.seed_hash = hash;
        self.seq = folded;
        self.seen = Seen {
            snapshot: id,
            ..Seen::default()
        };
        Ok(())
    }

    /// Replays the journal's whole lines not read yet, but those already in the cloud (folded
    /// into its snapshot, or written by this process). Another process's calls take effect at
    /// once here, as on reopening: async states are the calling process's own.
    pub(super) fn replay(&mut self, journal: &Path) -> Result<(), SimError> {
        let io = io_err(journal);
        let mut f = match File::open(journal) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io(e)),
        };
        let ino = f.metadata().map(|m| FileId::of(&m).ino).map_err(&io)?;
        f.seek(SeekFrom::Start(self.seen.read)).map_err(&io)?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf).map_err(&io)?;
        let whole = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let lines: Vec<JournalLine> = buf[..whole]
            .split(|b| *b == b'\n')
            .filter_map(|l| serde_json::from_slice::<JournalLine>(l).ok())
            // Numbered lines up to `seq` are in the cloud already; unnumbered ones are from
            // before lines were numbered, and only ever read on opening.
            .filter(|j| j.seq == 0 || j.seq > self.seq)
            .collect();
        if !lines.is_empty() {
            // What this process still has in an async state ends now: another process's call
            // that follows it saw it ended, and both must agree on the order.
            let clock = self.cloud.now_ms;
            self.cloud.settle_all();
            let saved = std::mem::take(&mut self.cloud.async_ms);
            for j in lines {
                self.seq = self.seq.max(j.seq);
                let _ = self.cloud.handle(j.product(), &j.action, &j.params);
            }
            self.cloud.async_ms = saved;
            self.cloud.now_ms = clock;
        }
        self.seen.journal_ino = Some(ino);
        self.seen.read += whole as u64;
        self.seen.torn = buf.len() > whole;
        Ok(())
    }

    /// Appends a call that changed the cloud to the journal; the caller holds the lock and has
    /// caught up, so the line's number follows every other process's.
    pub(super) fn append(
        &mut self,
        product: Product,
        action: &str,
        params: &Params,
    ) -> Result<(), ApiError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        let path = dir.join(JOURNAL);
        let fail = |e: std::io::Error| {
            ApiError::new(
                500,
                "InternalError",
                format!("simulator cannot write {}: {e}", path.display()),
            )
        };
        std::fs::create_dir_all(&dir).map_err(fail)?;
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(fail)?;
        self.seq += 1;
        let mut line = Vec::new();
        if self.seen.torn {
            line.push(b'\n');
        }
        line.extend(
            serde_json::to_vec(&JournalLine {
                seq: self.seq,
                product: Some(product.prefix().to_string()),
                action: action.to_string(),
                params: params.clone(),
            })
            .unwrap_or_default(),
        );
        line.push(b'\n');
        f.write_all(&line).map_err(fail)?;
        let meta = f.metadata().map_err(fail)?;
        self.seen.journal_ino = Some(FileId::of(&meta).ino);
        self.seen.read = meta.len();
        self.seen.torn = false;
        Ok(())
    }

    /// Folds the journal into a new snapshot; the caller holds the lock and has caught up.
    pub(super) fn fold(&mut self) -> Result<(), SimError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        let journal = dir.join(JOURNAL);
        if !journal.exists() {
            return Ok(());
        }
        self.cloud.settle_all();
        let snap = Snapshot {
            format: 1,
            world_hash: self.seed_hash.clone(),
            world: self.cloud.world.clone(),
            live: self.cloud.live.clone(),
            journal_seq: self.seq,
        };
        let io = io_err(&dir);
        let text = serde_json::to_vec_pretty(&snap).unwrap_or_default();
        let path = dir.join(SNAPSHOT);
        crate::state::write_atomic(&path, &text).map_err(&io)?;
        std::fs::remove_file(&journal).map_err(&io)?;
        self.seen = Seen {
            snapshot: FileId::at(&path),
            ..Seen::default()
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests;
