//! A throwaway PostgreSQL cluster for the pg backend's tests: one per test binary run, started
//! on first use from Debian's `postgresql` package (`initdb` and `postgres` in
//! /usr/lib/postgresql/*/bin, or on PATH, or in `NETFORM_PG_BIN`), in a temp directory, on a free
//! loopback port, with password (SCRAM) authentication so that the tests can look for the
//! password everywhere.
//!
//! PostgreSQL refuses to run as root, and CI runs as root: the cluster then runs as `nobody`.
//! The server is a child of a thread that lives as long as the test process, with a
//! parent-death signal, so it stops when the tests end however they end. It is never skipped: if
//! it cannot start, every test that needs it fails and says what to install.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The password of the cluster's superuser, `netform`; the leak tests search for it.
pub const PASSWORD: &str = "NFpg-Zq8w-s3cret-Lk2v";
const USER: &str = "netform";

pub struct Cluster {
    pub port: u16,
    /// The directory of the cluster's data and socket.
    pub base: PathBuf,
}

impl Cluster {
    /// A connection string to `db` (the `postgres` database unless another was created).
    pub fn conn_str(&self, db: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// A superuser connection, for the tests' own checks and for breaking things on purpose.
    pub fn admin(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.conn_str(db), postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to the test cluster: {e}"))
    }

    /// Rows of `sql` (one column, as text) in `db`.
    pub fn query_texts(&self, db: &str, sql: &str) -> Vec<String> {
        let mut c = self.admin(db);
        c.query(sql, &[])
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect()
    }

    pub fn count(&self, db: &str, sql: &str) -> i64 {
        let mut c = self.admin(db);
        c.query_one(sql, &[])
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(-1)
    }
}

const INSTALL: &str = "the pg backend's tests need a PostgreSQL server: apt-get install postgresql (Debian's package provides /usr/lib/postgresql/*/bin/initdb and postgres), or set NETFORM_PG_BIN to a directory holding initdb and postgres";

/// The cluster, started on first call; a failure to start fails the calling test.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match CLUSTER.get_or_init(start) {
        Ok(c) => c,
        Err(e) => panic!("{e}\n{INSTALL}"),
    }
}

/// The directory holding `initdb` and `postgres`, newest version first.
fn bin_dir() -> Option<PathBuf> {
    if let Ok(d) = std::env::var("NETFORM_PG_BIN") {
        return Some(PathBuf::from(d));
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, b)) = found.pop() {
        return Some(b);
    }
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p).find(|d| d.join("initdb").exists() && d.join("postgres").exists())
    })
}

/// The uid and gid to run the server as: ours, or `nobody`'s when we are root.
fn identity() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions; getpwnam is given a NUL-terminated name and its
    // result is read at once, before another call could reuse its buffer.
    unsafe {
        if libc::geteuid() != 0 {
            return None;
        }
        let p = libc::getpwnam(c"nobody".as_ptr());
        if p.is_null() {
            return Some((65534, 65534));
        }
        Some(((*p).pw_uid, (*p).pw_gid))
    }
}

/// Removes clusters left by earlier runs whose process is gone (their servers died with them).
fn sweep(tmp: &Path) {
    for e in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("netform-pg-") else {
            continue;
        };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn start() -> Result<Cluster, String> {
    let bin = bin_dir().ok_or("no initdb found")?;
    let tmp = std::env::temp_dir();
    sweep(&tmp);
    let base = tmp.join(format!("netform-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).map_err(|e| format!("create {}: {e}", base.display()))?;
    let who = identity();
    let pwfile = base.join("pw");
    std::fs::write(&pwfile, PASSWORD).map_err(|e| e.to_string())?;
    if let Some((uid, gid)) = who {
        for p in [&base, &pwfile] {
            std::os::unix::fs::chown(p, Some(uid), Some(gid)).map_err(|e| format!("chown: {e}"))?;
        }
    }
    let data = base.join("data");
    let mut initdb = Command::new(bin.join("initdb"));
    initdb
        .args([
            "-D",
            &data.to_string_lossy(),
            "-U",
            USER,
            "-A",
            "scram-sha-256",
        ])
        .arg(format!("--pwfile={}", pwfile.display()))
        .args(["--locale=C", "-E", "UTF8", "--no-sync"])
        .current_dir(&base)
        .env("LC_ALL", "C");
    if let Some((uid, gid)) = who {
        initdb.uid(uid).gid(gid);
    }
    let out = initdb
        .output()
        .map_err(|e| format!("run {}: {e}", bin.join("initdb").display()))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("find a free port: {e}"))?;
    spawn_server(&bin, &base, &data, port, who)?;
    let cluster = Cluster { port, base };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match postgres::Client::connect(&cluster.conn_str("postgres"), postgres::NoTls) {
            Ok(_) => return Ok(cluster),
            Err(e) if Instant::now() > deadline => {
                let log =
                    std::fs::read_to_string(cluster.base.join("server.log")).unwrap_or_default();
                return Err(format!(
                    "the test PostgreSQL server did not come up: {e}\n{log}"
                ));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// Starts `postgres` from a thread that never ends, so that its parent-death signal (SIGQUIT,
/// an immediate shutdown) fires only when the test process exits.
fn spawn_server(
    bin: &Path,
    base: &Path,
    data: &Path,
    port: u16,
    who: Option<(u32, u32)>,
) -> Result<(), String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (bin, base, data) = (bin.to_path_buf(), base.to_path_buf(), data.to_path_buf());
    std::thread::spawn(move || {
        let log = std::fs::File::create(base.join("server.log"));
        let mut cmd = Command::new(bin.join("postgres"));
        cmd.args(["-D", &data.to_string_lossy(), "-p", &port.to_string()])
            .args(["-k", &base.to_string_lossy()])
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .args(["-c", "max_connections=300", "-c", "synchronous_commit=on"])
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if let Ok(f) = log {
            cmd.stderr(f);
        }
        if let Some((uid, gid)) = who {
            cmd.uid(uid).gid(gid);
        }
        // SAFETY: prctl is async-signal-safe; it runs in the child between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT);
                Ok(())
            });
        }
        let res = cmd.spawn();
        let started = res.is_ok();
        let _ = tx.send(res.map(|_| ()).map_err(|e| format!("start postgres: {e}")));
        if started {
            // Parked for good: this thread's end would stop the server.
            loop {
                std::thread::park();
            }
        }
    });
    rx.recv().map_err(|e| e.to_string())?
}
