//! A hermetic harness: a temp directory per test, a fixed clock, NO_COLOR, no inherited
//! NETFORM_* or ALIBABA_CLOUD_* variables.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for e in std::fs::read_dir(from).expect("read fixture dir") {
        let e = e.expect("entry");
        let p = e.path();
        let name = e.file_name();
        if name == ".netform" || name.to_string_lossy().starts_with("netform.tfstate") {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &to.join(&name));
        } else {
            std::fs::copy(&p, to.join(&name)).expect("copy");
        }
    }
}

impl Env {
    /// A temp directory holding a copy of `rel` (relative to the repository).
    pub fn copy_of(rel: &str) -> Env {
        let dir = tempfile::tempdir().expect("tempdir");
        copy_dir(&repo().join(rel), dir.path());
        Env { dir }
    }

    pub fn empty() -> Env {
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).expect("write");
    }

    pub fn read(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.path().join(name)).ok()
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path().join(name).exists()
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_netform"));
        c.current_dir(self.path()).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("NETFORM_") || k.starts_with("ALIBABA_CLOUD_") || k.starts_with("TF_")
            {
                c.env_remove(k);
            }
        }
        c.env("NO_COLOR", "1")
            .env("NETFORM_CLOCK", "2026-01-01T00:00:00Z")
            .stdin(std::process::Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("run netform"))
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Run::from(c.output().expect("run netform"))
    }
}

/// Masks what differs between runs (cloud ids, public addresses, lineages) for snapshots.
pub fn redact(s: &str) -> String {
    let re = [
        (r"eni-bp1[a-z0-9]{17}", "eni-[id]"),
        (r"eip-bp1[a-z0-9]{17}", "eip-[id]"),
        (r"47\.96\.\d+\.\d+", "47.96.x.x"),
        (
            r"00:16:3e:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}",
            "00:16:3e:xx:xx:xx",
        ),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[lineage]",
        ),
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[tmp]"),
    ];
    let mut out = s.to_string();
    for (p, r) in re {
        out = regex_lite::Regex::new(p)
            .expect("regex")
            .replace_all(&out, r)
            .into_owned();
    }
    out
}

/// Starts `netform sim serve --listen 127.0.0.1:0 ARGS…` in `env` with `vars`, and reads the
/// address it listens on from its first line. The caller owns the child (and stops it).
pub fn spawn_sim_serve(
    env: &Env,
    args: &[&str],
    vars: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut all = vec!["sim", "serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut cmd = env.cmd(&all);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn netform sim serve");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the server's first line");
    let endpoint = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(str::to_string);
    let Some(endpoint) = endpoint else {
        let _ = child.kill();
        let out = child.wait_with_output().expect("server output");
        panic!(
            "sim serve printed no address: {line:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    (child, endpoint)
}

/// Where, in apply's output, the first line starting with `prefix` (Terraform's
/// `ADDR: Creating...`, `ADDR: Creation complete`) is, naming the API `action` in brackets when
/// one is given (a resource that takes several operations). Panics with the output if none is.
pub fn line_at(out: &str, prefix: &str, action: Option<&str>) -> usize {
    let mut at = 0;
    for line in out.split_inclusive('\n') {
        let named = action.is_none_or(|a| line.trim_end().ends_with(&format!("[{a}]")));
        if line.starts_with(prefix) && named {
            return at;
        }
        at += line.len();
    }
    panic!("no line {prefix:?} naming {action:?} in output:\n{out}")
}

/// Every `.rs` file under `dir`, in path order: the source guards' walk.
pub fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}
