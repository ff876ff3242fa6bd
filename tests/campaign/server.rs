//! `netform sim serve` for the HTTP campaigns: a server in its own directory (holding the
//! campaign's world, and its configuration so that `sim show` there reads the same world),
//! stopped with SIGINT on drop.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;

use super::{Netform, Scenario};

pub struct Server {
    pub dir: tempfile::TempDir,
    pub endpoint: String,
    child: Option<Child>,
}

impl Server {
    /// Starts a server seeded with `sc`'s world, with `faults` (NETFORM_SIM_FAULTS) if given.
    pub fn start(nf: &Netform, sc: &Scenario, faults: Option<&str>) -> Server {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("tempdir: {e}"),
        };
        sc.write(dir.path(), None);
        let nf = match faults {
            Some(f) => nf.with_env("NETFORM_SIM_FAULTS", f),
            None => nf.clone(),
        };
        // Its first line says where it listens; what it prints after that (nothing, unless
        // it fails) goes to a log, so no pipe fills up.
        let log = dir.path().join("serve.log");
        let err = match std::fs::File::create(&log) {
            Ok(f) => f,
            Err(e) => panic!("create {}: {e}", log.display()),
        };
        let mut child = nf.spawn_with(
            dir.path(),
            &["sim", "serve", "--listen", "127.0.0.1:0"],
            std::process::Stdio::piped(),
            err.into(),
        );
        let mut line = String::new();
        if let Some(out) = child.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let Some(endpoint) = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .map(str::to_string)
        else {
            let _ = child.kill();
            let _ = child.wait();
            let why = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("sim serve printed no address: {line:?} {why}");
        };
        Server {
            dir,
            endpoint,
            child: Some(child),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// How a client reaches this server: its credentials, and pacing for loopback.
    pub fn client(nf: &Netform) -> Netform {
        nf.with_env("ALIBABA_CLOUD_ACCESS_KEY_ID", "netform-sim")
            .with_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "netform-sim-secret")
            .with_env("NETFORM_ALICLOUD_POLL_MS", "5")
            .with_env("NETFORM_ALICLOUD_BACKOFF_MS", "5")
            .with_env("NETFORM_ALICLOUD_RATE_LIMITS", "Describe*=off,*=off")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = std::process::Command::new("kill")
                .args(["-INT", &c.id().to_string()])
                .status();
            let start = std::time::Instant::now();
            while start.elapsed() < std::time::Duration::from_secs(10) {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
