//! The PostgreSQL backend (`backend "pg"`): one database schema shared by every runner, so that
//! ephemeral CI runners on different machines plan and apply against one state.
//!
//! Unlike Terraform's `pg` backend, which upserts blindly and holds an advisory lock it cannot
//! describe, every write here is a compare-and-swap on (lineage, serial) inside a transaction;
//! the lock is a row naming its holder, with a lease that a thread of the holder renews while it
//! runs; apply's journal is rows, so a runner killed mid-apply loses nothing and the next runner,
//! anywhere, folds them in; and every version written is kept. Four tables, in the schema named
//! by `schema_name` (Terraform's default, `terraform_remote_state`), prefixed `netform_` so that
//! they never collide with a Terraform `states` table there:
//!
//! - `netform_workspaces(name PK, lineage, serial, created_at)`: the current (lineage, serial) of
//!   each workspace, the row a write locks (`FOR UPDATE`) and compares;
//! - `netform_state_versions(workspace, serial, lineage, state, written_at, written_by,
//!   operation, added, changed, removed; PK (workspace, serial))`: every version;
//! - `netform_locks(workspace PK, id UNIQUE, operation, who, host, pid, version, created,
//!   locked_at, renewed_at, lease_expires)`: at most one holder per workspace;
//! - `netform_journal(workspace, seq, lineage, entry, lock_id, written_at; PK (workspace, seq))`:
//!   the completed operations of the run in progress (or of one that died); a row without an
//!   entry records the lineage.
//!
//! Times that decide anything (lease expiry) are the database server's, never a runner's clock.
//! The connection string's password is never shown: messages name `user@host:port/dbname`, and
//! any text from the driver is scrubbed of it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::{Client, NoTls};

use super::{Backend, Counts, DEFAULT_WORKSPACE, InitReport, JournalSink, Stamp, Version};
use super::{VersionMeta, local::stamp_text};
use crate::state::{JournalEntry, LockInfo, State, StateError};

/// The tables, created by `netform init` when missing. `{s}` is the quoted schema.
const TABLES: &str = r#"
CREATE TABLE IF NOT EXISTS {s}.netform_workspaces (
    name text PRIMARY KEY,
    lineage text,
    serial bigint,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {s}.netform_state_versions (
    workspace text NOT NULL REFERENCES {s}.netform_workspaces (name) ON DELETE CASCADE,
    serial bigint NOT NULL,
    lineage text NOT NULL,
    state text NOT NULL,
    written_at timestamptz NOT NULL DEFAULT now(),
    written_by text NOT NULL,
    operation text NOT NULL,
    added bigint,
    changed bigint,
    removed bigint,
    PRIMARY KEY (workspace, serial)
);
CREATE TABLE IF NOT EXISTS {s}.netform_locks (
    workspace text PRIMARY KEY REFERENCES {s}.netform_workspaces (name) ON DELETE CASCADE,
    id text NOT NULL UNIQUE,
    operation text NOT NULL,
    who text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    version text NOT NULL,
    created text NOT NULL,
    locked_at timestamptz NOT NULL DEFAULT now(),
    renewed_at timestamptz NOT NULL DEFAULT now(),
    lease_expires timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS {s}.netform_journal (
    workspace text NOT NULL REFERENCES {s}.netform_workspaces (name) ON DELETE CASCADE,
    seq bigserial,
    lineage text NOT NULL,
    entry text,
    lock_id text,
    written_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace, seq)
);
INSERT INTO {s}.netform_workspaces (name) VALUES ('default') ON CONFLICT DO NOTHING;
"#;

/// RFC 3339 in UTC from a timestamptz column, in SQL (no date crate feature needed).
fn rfc3339(col: &str) -> String {
    format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
}

/// The driver's error with its cause: the server's own message for a database error (the
/// driver's Display says only "db error"), else the chain of sources.
fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} (SQLSTATE {})", db.message(), db.code().code());
    }
    let mut out = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        let t = s.to_string();
        if !out.contains(&t) {
            out = format!("{out}: {t}");
        }
        src = s.source();
    }
    out
}

/// What messages may say about the database, and what they must never say.
#[derive(Clone, Debug)]
struct Shown {
    /// `user@host:port/dbname`, without the password.
    at: String,
    schema: String,
    /// The password and the raw connection string, scrubbed from any text shown.
    secrets: Vec<String>,
}

impl Shown {
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in self.secrets.iter().filter(|s| s.len() >= 3) {
            out = out.replace(s.as_str(), "****");
        }
        out
    }

    fn place(&self, workspace: &str) -> String {
        format!(
            "pg backend {} schema \"{}\" workspace \"{workspace}\"",
            self.at, self.schema
        )
    }

    fn err(&self, e: &postgres::Error, doing: &str) -> StateError {
        let text = self.scrub(&describe(e));
        // The server ending the session (an administrator's terminate, a shutdown: SQLSTATE
        // 57P..) or a connection failure (08...) is the connection lost, whichever statement
        // it interrupted.
        let ended = e
            .code()
            .is_some_and(|c| c.code().starts_with("57P") || c.code().starts_with("08"));
        match e.code() {
            Some(c) if *c == SqlState::UNDEFINED_TABLE || *c == SqlState::INVALID_SCHEMA_NAME => {
                StateError::Backend {
                    message: format!(
                        "the pg backend at {} has no netform tables in schema \"{}\" ({doing})",
                        self.at, self.schema
                    ),
                    help: "run netform init: it creates the schema and the tables",
                }
            }
            _ if ended || e.is_closed() || e.as_db_error().is_none() => StateError::Backend {
                message: format!(
                    "lost the connection to the pg backend at {} while {doing}: {text}",
                    self.at
                ),
                help: "check that the database is up and reachable, then run again: the journal in the database keeps every operation that completed, and the next run folds it in",
            },
            _ => StateError::Backend {
                message: format!("the pg backend at {} refused {doing}: {text}", self.at),
                help: "check the database user's rights on the schema (netform init creates what is missing)",
            },
        }
    }
}

/// A configured PostgreSQL backend.
#[derive(Clone)]
pub struct PgSpec {
    /// Holds the password; its Debug output redacts it, and it is never displayed.
    config: postgres::Config,
    shown: Shown,
    /// Quoted, after checking it is a plain identifier.
    schema_sql: String,
    lease: Duration,
    skip_schema_creation: bool,
    skip_table_creation: bool,
}

/// The settings a `pg` backend is built from (already merged from the block, -backend-config
/// and the environment).
pub struct PgSettings {
    pub conn_str: String,
    pub schema_name: String,
    pub skip_schema_creation: bool,
    pub skip_table_creation: bool,
    pub lease: Duration,
}

/// The libpq environment variables netform honours where the connection string is silent.
fn fill_from_env(c: &mut postgres::Config, conn_str: &str, env: &dyn Fn(&str) -> Option<String>) {
    if c.get_hosts().is_empty() {
        match env("PGHOST") {
            Some(h) if h.starts_with('/') => {
                c.host_path(h);
            }
            Some(h) => {
                c.host(&h);
            }
            None if std::path::Path::new("/var/run/postgresql").is_dir() => {
                c.host_path("/var/run/postgresql");
            }
            None => {
                c.host("localhost");
            }
        }
    }
    if c.get_ports().is_empty()
        && let Some(p) = env("PGPORT").and_then(|p| p.parse().ok())
    {
        c.port(p);
    }
    if c.get_user().is_none() {
        let user = env("PGUSER")
            .or_else(|| env("USER"))
            .unwrap_or_else(|| "postgres".into());
        c.user(&user);
    }
    if c.get_password().is_none()
        && let Some(p) = env("PGPASSWORD")
    {
        c.password(p);
    }
    if c.get_dbname().is_none()
        && let Some(d) = env("PGDATABASE")
    {
        c.dbname(&d);
    }
    if !conn_str.contains("sslmode") {
        match env("PGSSLMODE").as_deref() {
            Some("disable") => {
                c.ssl_mode(postgres::config::SslMode::Disable);
            }
            Some("require" | "verify-ca" | "verify-full") => {
                c.ssl_mode(postgres::config::SslMode::Require);
            }
            _ => {}
        }
    }
    if c.get_connect_timeout().is_none() {
        let secs = env("PGCONNECT_TIMEOUT")
            .and_then(|s| s.parse().ok())
            .unwrap_or(10);
        c.connect_timeout(Duration::from_secs(secs));
    }
    if c.get_application_name().is_none() {
        c.application_name(&env("PGAPPNAME").unwrap_or_else(|| "netform".into()));
    }
}

/// `user@host:port/dbname` for messages.
fn describe_config(c: &postgres::Config) -> String {
    let host = match c.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".into(),
    };
    let port = c.get_ports().first().copied().unwrap_or(5432);
    let user = c.get_user().unwrap_or("");
    let db = c.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{db}")
}

impl PgSpec {
    /// Checks the settings; the error never repeats the connection string.
    pub fn new(s: &PgSettings, env: &dyn Fn(&str) -> Option<String>) -> Result<PgSpec, String> {
        let mut config: postgres::Config = s.conn_str.parse().map_err(|e: postgres::Error| {
            format!("conn_str is not a PostgreSQL connection string ({e}); write it as postgres://USER@HOST:PORT/DB?sslmode=disable or host=… port=… dbname=…")
        })?;
        fill_from_env(&mut config, &s.conn_str, env);
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err("sslmode=require: netform's pg backend connects without TLS for now (sslmode=disable or prefer); reach a TLS-only server through a local tunnel".into());
        }
        let ok = s
            .schema_name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.schema_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            && s.schema_name.len() <= 63;
        if !ok {
            return Err(format!(
                "schema_name {:?} is not a plain PostgreSQL identifier (letters, digits and _, at most 63)",
                s.schema_name
            ));
        }
        let mut secrets = vec![s.conn_str.clone()];
        if let Some(p) = config.get_password() {
            secrets.push(String::from_utf8_lossy(p).into_owned());
        }
        secrets.retain(|x| !x.is_empty());
        Ok(PgSpec {
            shown: Shown {
                at: describe_config(&config),
                schema: s.schema_name.clone(),
                secrets,
            },
            schema_sql: format!("\"{}\"", s.schema_name),
            config,
            lease: s.lease,
            skip_schema_creation: s.skip_schema_creation,
            skip_table_creation: s.skip_table_creation,
        })
    }

    pub fn describe(&self) -> String {
        format!("pg ({}, schema \"{}\")", self.shown.at, self.shown.schema)
    }

    fn connect(&self) -> Result<Client, StateError> {
        self.config.connect(NoTls).map_err(|e| StateError::Backend {
            message: format!(
                "cannot connect to the pg backend at {}: {}",
                self.shown.at,
                self.shown.scrub(&describe(&e))
            ),
            help: "check conn_str (or PG_CONN_STR and the PG* variables, or -backend-config) and that the server is running",
        })
    }

    /// `schema.table`, quoted.
    fn t(&self, table: &str) -> String {
        format!("{}.{table}", self.schema_sql)
    }

    pub fn open(&self, workspace: &str) -> Result<PgBackend, StateError> {
        let client = self.connect()?;
        Ok(PgBackend {
            spec: self.clone(),
            ws: workspace.to_string(),
            client: Arc::new(Mutex::new(client)),
            held: None,
        })
    }

    /// Creates the schema and the tables if missing. Two pipelines may run `init` at once:
    /// a transaction-scoped advisory lock makes the second wait instead of failing on a
    /// half-created catalogue entry.
    pub fn init(&self) -> Result<InitReport, StateError> {
        let mut c = self.connect()?;
        let e = |e: postgres::Error| self.shown.err(&e, "creating its schema and tables");
        let mut tx = c.transaction().map_err(e)?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext('netform init ' || $1))",
            &[&self.shown.schema],
        )
        .map_err(e)?;
        if !self.skip_schema_creation {
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", self.schema_sql))
                .map_err(e)?;
        }
        if !self.skip_table_creation {
            tx.batch_execute(&TABLES.replace("{s}", &self.schema_sql))
                .map_err(e)?;
        }
        tx.commit().map_err(e)?;
        let n: i64 = c
            .query_one(
                &format!("SELECT count(*) FROM {}", self.t("netform_workspaces")),
                &[],
            )
            .map_err(e)?
            .get(0);
        Ok(InitReport {
            lines: vec![format!(
                "The pg backend at {} is ready: schema \"{}\", tables netform_workspaces, netform_state_versions, netform_locks and netform_journal; {n} workspace(s).",
                self.shown.at, self.shown.schema
            )],
        })
    }

    pub fn workspaces(&self) -> Result<Vec<String>, StateError> {
        let mut c = self.connect()?;
        let rows = c
            .query(
                &format!(
                    "SELECT name FROM {} ORDER BY name",
                    self.t("netform_workspaces")
                ),
                &[],
            )
            .map_err(|e| self.shown.err(&e, "listing workspaces"))?;
        let mut names: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
        names.sort_by_key(|n| (n != DEFAULT_WORKSPACE, n.clone()));
        Ok(names)
    }

    pub fn create_workspace(&self, name: &str) -> Result<bool, StateError> {
        let mut c = self.connect()?;
        let n = c
            .execute(
                &format!(
                    "INSERT INTO {} (name) VALUES ($1) ON CONFLICT DO NOTHING",
                    self.t("netform_workspaces")
                ),
                &[&name],
            )
            .map_err(|e| self.shown.err(&e, "creating a workspace"))?;
        Ok(n == 1)
    }

    pub fn delete_workspace(&self, name: &str, force: bool) -> Result<(), StateError> {
        let mut b = self.open(name)?;
        b.lock(&LockInfo::new("workspace delete"), Duration::ZERO)?;
        super::local::check_deletable(&mut b, name, force)?;
        // Versions, journal and this very lock go with the row (ON DELETE CASCADE).
        b.with(|c| {
            c.execute(
                &format!(
                    "DELETE FROM {} WHERE name = $1",
                    self.t("netform_workspaces")
                ),
                &[&name],
            )
        })
        .map_err(|e| self.shown.err(&e, "deleting a workspace"))?;
        Ok(())
    }

    /// Takes over the lock `id` if its lease expired; a holder that still renews is running.
    pub fn force_unlock(&self, workspace: &str, id: &str) -> Result<LockInfo, StateError> {
        let mut c = self.connect()?;
        let e = |e: postgres::Error| self.shown.err(&e, "force-unlock");
        let Some((holder, expired, _)) = holder_of(&mut c, self, workspace, Some(id)).map_err(e)?
        else {
            return Err(StateError::Backend {
                message: format!("no lock with ID {id} on {}", self.shown.place(workspace)),
                help: "the lock is free or held under another ID: a refused run prints the lock ID to use",
            });
        };
        if !expired {
            return Err(StateError::Backend {
                message: format!(
                    "lock {id} on {} is held by a run that is still renewing its lease: {}",
                    self.shown.place(workspace),
                    holder.describe()
                ),
                help: "that run is alive: wait for it (or stop it); force-unlock takes over only a lock whose lease expired because its holder was killed or cut off",
            });
        }
        c.execute(
            &format!(
                "DELETE FROM {} WHERE workspace = $1 AND id = $2 AND lease_expires < now()",
                self.t("netform_locks")
            ),
            &[&workspace, &id],
        )
        .map_err(e)?;
        Ok(holder)
    }
}

/// The holder of `workspace`'s lock (only if its ID is `id`, when given): its record, whether
/// its lease expired, and when it expires.
fn holder_of(
    c: &mut Client,
    spec: &PgSpec,
    workspace: &str,
    id: Option<&str>,
) -> Result<Option<(LockInfo, bool, String)>, postgres::Error> {
    let row = c.query_opt(
        &format!(
            "SELECT id, operation, who, host, pid, version, created, lease_expires < now(), {} \
             FROM {} WHERE workspace = $1 AND ($2::text IS NULL OR id = $2)",
            rfc3339("lease_expires"),
            spec.t("netform_locks")
        ),
        &[&workspace, &id],
    )?;
    Ok(row.map(|r| {
        let pid: i32 = r.get(4);
        (
            LockInfo {
                id: r.get(0),
                operation: r.get(1),
                who: r.get(2),
                host: r.get(3),
                pid: pid.max(0) as u32,
                version: r.get(5),
                created: r.get(6),
            },
            r.get(7),
            r.get(8),
        )
    }))
}

/// How a compare-and-swap transaction ended (rolled back unless `Written`).
enum Outcome {
    Written,
    LockLost,
    NoWorkspace,
    Stale(Stamp),
}

/// The lock this run holds, and the thread that renews its lease.
struct Held {
    id: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// One workspace's state in PostgreSQL.
pub struct PgBackend {
    spec: PgSpec,
    ws: String,
    /// Shared with the journal, which appends from the same run.
    client: Arc<Mutex<Client>>,
    held: Option<Held>,
}

fn guard(m: &Mutex<Client>) -> MutexGuard<'_, Client> {
    // A panic while holding the connection leaves it usable for the rows already sent.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for PgBackend {
    fn drop(&mut self) {
        if let Some(mut h) = self.held.take() {
            h.stop.store(true, Ordering::SeqCst);
            if let Some(t) = h.thread.take() {
                let _ = t.join();
            }
            let sql = format!(
                "DELETE FROM {} WHERE workspace = $1 AND id = $2",
                self.spec.t("netform_locks")
            );
            // A database that went away keeps the row until its lease expires.
            let _ = guard(&self.client).execute(&sql, &[&self.ws, &h.id]);
        }
    }
}

impl PgBackend {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        f(&mut guard(&self.client))
    }

    fn err(&self, e: &postgres::Error, doing: &str) -> StateError {
        self.spec.shown.err(e, doing)
    }

    fn lock_id(&self) -> Option<String> {
        self.held.as_ref().map(|h| h.id.clone())
    }

    fn missing_workspace(&self) -> StateError {
        StateError::Backend {
            message: format!(
                "workspace \"{}\" does not exist in the pg backend at {} (schema \"{}\")",
                self.ws, self.spec.shown.at, self.spec.shown.schema
            ),
            help: "create it with netform workspace new NAME (netform init creates \"default\")",
        }
    }

    fn lock_lost(&self) -> StateError {
        StateError::Backend {
            message: format!(
                "this run no longer holds the lock on {}: another run took it over (netform force-unlock) after its lease expired; nothing more was written",
                self.place()
            ),
            help: "run netform plan to see the state as it is now",
        }
    }

    /// Starts the thread that renews the lease every third of it, on its own connection so
    /// that a long transaction on the run's connection never delays it. It stops on `stop`,
    /// or when the row is gone (taken over); a failed renewal is retried on a new connection.
    fn renew(&self, id: &str) -> Held {
        let stop = Arc::new(AtomicBool::new(false));
        let spec = self.spec.clone();
        let (ws, id2, stop2) = (self.ws.clone(), id.to_string(), stop.clone());
        let thread = std::thread::spawn(move || {
            let sql = format!(
                "UPDATE {} SET lease_expires = now() + make_interval(secs => $3), renewed_at = now() WHERE workspace = $1 AND id = $2",
                spec.t("netform_locks")
            );
            let secs = spec.lease.as_secs_f64();
            let every = spec.lease / 3;
            let mut conn: Option<Client> = None;
            let mut last = Instant::now();
            while !stop2.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(20).min(every));
                if last.elapsed() < every {
                    continue;
                }
                last = Instant::now();
                if conn.is_none() {
                    conn = spec.connect().ok();
                }
                let Some(c) = conn.as_mut() else { continue };
                match c.execute(&sql, &[&ws, &id2, &secs]) {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(_) => conn = None,
                }
            }
        });
        Held {
            id: id.to_string(),
            stop,
            thread: Some(thread),
        }
    }

    fn try_lock(&self, info: &LockInfo) -> Result<bool, postgres::Error> {
        let sql = format!(
            "INSERT INTO {} (workspace, id, operation, who, host, pid, version, created, lease_expires) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(secs => $9)) \
             ON CONFLICT (workspace) DO NOTHING",
            self.spec.t("netform_locks")
        );
        let pid = i32::try_from(info.pid).unwrap_or(i32::MAX);
        let secs = self.spec.lease.as_secs_f64();
        let n = self.with(|c| {
            c.execute(
                &sql,
                &[
                    &self.ws,
                    &info.id,
                    &info.operation,
                    &info.who,
                    &info.host,
                    &pid,
                    &info.version,
                    &info.created,
                    &secs,
                ],
            )
        })?;
        Ok(n == 1)
    }
}

impl Backend for PgBackend {
    fn place(&self) -> String {
        self.spec.shown.place(&self.ws)
    }

    fn read(&mut self) -> Result<Option<State>, StateError> {
        let sql = format!(
            "SELECT w.serial, v.state FROM {} w LEFT JOIN {} v ON v.workspace = w.name AND v.serial = w.serial WHERE w.name = $1",
            self.spec.t("netform_workspaces"),
            self.spec.t("netform_state_versions")
        );
        let row = self
            .with(|c| c.query_opt(&sql, &[&self.ws]))
            .map_err(|e| self.err(&e, "reading the state"))?;
        let Some(row) = row else {
            return Err(self.missing_workspace());
        };
        let serial: Option<i64> = row.get(0);
        let text: Option<String> = row.get(1);
        match (serial, text) {
            (None, _) => Ok(None),
            (Some(_), Some(t)) => Ok(Some(State::from_json(&t, &self.place())?)),
            (Some(n), None) => Err(StateError::Corrupt {
                path: self.place(),
                what: format!("damaged: serial {n} is current but no such version is stored"),
            }),
        }
    }

    fn write(
        &mut self,
        state: &State,
        expect: &Stamp,
        meta: &VersionMeta,
    ) -> Result<(), StateError> {
        let text = serde_json::to_string_pretty(&state.to_json()).unwrap_or_default() + "\n";
        let lock_id = self.lock_id();
        let spec = self.spec.clone();
        let ws = self.ws.clone();
        let serial = i64::try_from(state.serial).unwrap_or(i64::MAX);
        let c = meta.counts.unwrap_or_default();
        let counts: [Option<i64>; 3] = match meta.counts {
            Some(_) => [c.added, c.changed, c.removed].map(|n| Some(n as i64)),
            None => [None; 3],
        };
        let outcome = self.with(|client| -> Result<Outcome, postgres::Error> {
            let mut tx = client.transaction()?;
            if let Some(id) = &lock_id {
                let q = format!(
                    "SELECT 1 FROM {} WHERE workspace = $1 AND id = $2",
                    spec.t("netform_locks")
                );
                if tx.query_opt(&q, &[&ws, id])?.is_none() {
                    return Ok(Outcome::LockLost);
                }
            }
            let q = format!(
                "SELECT lineage, serial FROM {} WHERE name = $1 FOR UPDATE",
                spec.t("netform_workspaces")
            );
            let Some(row) = tx.query_opt(&q, &[&ws])? else {
                return Ok(Outcome::NoWorkspace);
            };
            let (l, s): (Option<String>, Option<i64>) = (row.get(0), row.get(1));
            let found: Stamp = l.zip(s.map(|s| s.max(0) as u64));
            if &found != expect {
                return Ok(Outcome::Stale(found));
            }
            tx.execute(
                &format!(
                    "INSERT INTO {} (workspace, serial, lineage, state, written_by, operation, added, changed, removed) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    spec.t("netform_state_versions")
                ),
                &[
                    &ws,
                    &serial,
                    &state.lineage,
                    &text,
                    &meta.who,
                    &meta.operation,
                    &counts[0],
                    &counts[1],
                    &counts[2],
                ],
            )?;
            tx.execute(
                &format!(
                    "UPDATE {} SET lineage = $2, serial = $3 WHERE name = $1",
                    spec.t("netform_workspaces")
                ),
                &[&ws, &state.lineage, &serial],
            )?;
            tx.execute(
                &format!("DELETE FROM {} WHERE workspace = $1", spec.t("netform_journal")),
                &[&ws],
            )?;
            tx.commit()?;
            Ok(Outcome::Written)
        });
        match outcome.map_err(|e| self.err(&e, "writing the state"))? {
            Outcome::Written => Ok(()),
            Outcome::LockLost => Err(self.lock_lost()),
            Outcome::NoWorkspace => Err(self.missing_workspace()),
            Outcome::Stale(found) => Err(StateError::Stale {
                place: self.place(),
                read: stamp_text(expect),
                found: stamp_text(&found),
            }),
        }
    }

    fn lock(&mut self, info: &LockInfo, timeout: Duration) -> Result<(), StateError> {
        let start = Instant::now();
        loop {
            let taken = self.try_lock(info).map_err(|e| match e.code() {
                Some(c) if *c == SqlState::FOREIGN_KEY_VIOLATION => self.missing_workspace(),
                _ => self.err(&e, "taking the lock"),
            })?;
            if taken {
                self.held = Some(self.renew(&info.id));
                return Ok(());
            }
            let holder = self
                .with(|c| holder_of(c, &self.spec, &self.ws, None))
                .map_err(|e| self.err(&e, "reading the lock"))?;
            let Some((holder, expired, until)) = holder else {
                continue; // released in between: try again at once
            };
            if expired {
                return Err(StateError::LockExpired {
                    place: self.place(),
                    holder: holder.describe(),
                    expired: until,
                });
            }
            if start.elapsed() >= timeout {
                return Err(StateError::Locked {
                    place: self.place(),
                    waited: format!("{}s", timeout.as_secs()),
                    holder: holder.describe(),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn journal(&mut self, lineage: &str) -> Result<Box<dyn JournalSink>, StateError> {
        let sink = PgJournal {
            client: self.client.clone(),
            shown: self.spec.shown.clone(),
            table: self.spec.t("netform_journal"),
            locks: self.spec.t("netform_locks"),
            ws: self.ws.clone(),
            lineage: lineage.to_string(),
            lock_id: self.lock_id(),
        };
        // The lineage row first, durable before the first cloud call.
        sink.insert(None, true)?;
        Ok(Box::new(sink))
    }

    fn read_journal(&mut self) -> Result<(Option<String>, Vec<JournalEntry>), StateError> {
        let sql = format!(
            "SELECT seq, lineage, entry FROM {} WHERE workspace = $1 ORDER BY seq",
            self.spec.t("netform_journal")
        );
        let rows = self
            .with(|c| c.query(&sql, &[&self.ws]))
            .map_err(|e| self.err(&e, "reading the journal"))?;
        let mut lineage: Option<String> = None;
        let mut out = Vec::new();
        let place = format!("the journal of {}", self.place());
        for r in rows {
            let (seq, l, entry): (i64, String, Option<String>) = (r.get(0), r.get(1), r.get(2));
            match &lineage {
                Some(x) if *x != l => {
                    return Err(StateError::Corrupt {
                        path: place,
                        what: format!("rows of two lineages ({x} and {l})"),
                    });
                }
                _ => lineage = Some(l),
            }
            if let Some(e) = entry {
                let e = serde_json::from_str(&e).map_err(|err| StateError::Corrupt {
                    path: place.clone(),
                    what: format!("damaged at row {seq} ({err})"),
                })?;
                out.push(e);
            }
        }
        Ok((lineage, out))
    }

    fn has_journal(&mut self) -> Result<bool, StateError> {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE workspace = $1)",
            self.spec.t("netform_journal")
        );
        self.with(|c| c.query_one(&sql, &[&self.ws]).map(|r| r.get(0)))
            .map_err(|e| self.err(&e, "reading the journal"))
    }

    fn history(&mut self) -> Result<Vec<Version>, StateError> {
        let sql = format!(
            "SELECT serial, lineage, {}, written_by, operation, added, changed, removed FROM {} WHERE workspace = $1 ORDER BY serial",
            rfc3339("written_at"),
            self.spec.t("netform_state_versions")
        );
        let rows = self
            .with(|c| c.query(&sql, &[&self.ws]))
            .map_err(|e| self.err(&e, "reading the history"))?;
        Ok(rows
            .iter()
            .map(|r| {
                let serial: i64 = r.get(0);
                let n = |i: usize| r.get::<_, Option<i64>>(i).map(|x| x.max(0) as u64);
                let counts = match (n(5), n(6), n(7)) {
                    (Some(added), Some(changed), Some(removed)) => Some(Counts {
                        added,
                        changed,
                        removed,
                    }),
                    _ => None,
                };
                Version {
                    serial: serial.max(0) as u64,
                    lineage: r.get(1),
                    when: r.get(2),
                    who: r.get(3),
                    operation: r.get(4),
                    counts,
                }
            })
            .collect())
    }

    fn version(&mut self, serial: u64) -> Result<Option<State>, StateError> {
        let sql = format!(
            "SELECT state FROM {} WHERE workspace = $1 AND serial = $2",
            self.spec.t("netform_state_versions")
        );
        let n = i64::try_from(serial).unwrap_or(i64::MAX);
        let row = self
            .with(|c| c.query_opt(&sql, &[&self.ws, &n]))
            .map_err(|e| self.err(&e, "reading a version"))?;
        row.map(|r| State::from_json(&r.get::<_, String>(0), &self.place()))
            .transpose()
    }
}

/// Apply's journal as rows; each append is its own committed statement, so it is durable when
/// `append` returns. With a lock held, a row is written only while the lock is still this run's.
struct PgJournal {
    client: Arc<Mutex<Client>>,
    shown: Shown,
    table: String,
    locks: String,
    ws: String,
    lineage: String,
    lock_id: Option<String>,
}

impl PgJournal {
    /// Inserts one row (`None`: the lineage row, only when the journal is empty).
    fn insert(&self, entry: Option<String>, header: bool) -> Result<(), StateError> {
        let empty_only = if header {
            format!(
                " AND NOT EXISTS (SELECT 1 FROM {} WHERE workspace = $1)",
                self.table
            )
        } else {
            String::new()
        };
        let sql = format!(
            "INSERT INTO {} (workspace, lineage, entry, lock_id) SELECT $1, $2, $3, $4 \
             WHERE ($4::text IS NULL OR EXISTS (SELECT 1 FROM {} WHERE workspace = $1 AND id = $4)){empty_only}",
            self.table, self.locks
        );
        let n = guard(&self.client)
            .execute(&sql, &[&self.ws, &self.lineage, &entry, &self.lock_id])
            .map_err(|e| self.shown.err(&e, "appending to the journal"))?;
        if n == 0 && !header {
            return Err(StateError::Backend {
                message: format!(
                    "this run no longer holds the lock on {}: another run took it over (netform force-unlock) after its lease expired; this operation was done in the cloud but could not be recorded",
                    self.shown.place(&self.ws)
                ),
                help: "run netform plan: refresh finds what the cloud holds",
            });
        }
        Ok(())
    }
}

impl JournalSink for PgJournal {
    fn append(&mut self, e: &JournalEntry) -> Result<(), StateError> {
        let text = serde_json::to_string(e).map_err(|err| StateError::Backend {
            message: format!("cannot encode a journal entry: {err}"),
            help: "this is a bug in netform",
        })?;
        self.insert(Some(text), false)
    }
}
