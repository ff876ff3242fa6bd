//! Scale benchmark (issue 16): plan, apply, no-op plan and destroy of N chains of an ENI with two
//! secondary IPs, an EIP and its binding (3 resources a chain) on the embedded simulator, through
//! the real (release) binary, each step a process of its own. From one run it prints:
//!
//! - wall time, CPU time (user + system) and peak memory (the child's `ru_maxrss`) of every
//!   step at each size, and the ratios between sizes (on a shared machine a process may get a
//!   fraction of a core: CPU time is the steadier figure);
//! - API calls per resource by action (the apply's debug summary);
//! - bytes written to disk by the apply process (`/proc/<pid>/io` `write_bytes`, read while the
//!   exited child is still a zombie) against the final state file's size. The simulated cloud's
//!   own files live on tmpfs (`.netform/sim` is a link to `/dev/shm`), so only netform's state
//!   writes are counted;
//! - an apply at 50 ms per call and `--parallelism 10` against the bound
//!   max(critical path, calls × latency / parallelism), the critical path being measured as the
//!   apply of a single chain at the same latency;
//! - where `terraform` and its null provider are installed, Terraform's plan and apply of the
//!   same shape (null resources) and the ratio; skipped with a note otherwise.
//!
//! Run: `cargo bench --bench scale`. Environment: `NETFORM_BENCH_SIZES` (resources, default
//! `3000,9000,30000`), `NETFORM_BENCH_LATENCY_SIZE` (resources of the latency run, default 600,
//! 0 to skip), `NETFORM_BENCH_TERRAFORM` (resources of the Terraform comparison, default 300,
//! 0 to skip), `NETFORM_BENCH_TF_MIRROR` (a provider mirror holding hashicorp/null, made by
//! `scripts/terraform-mirror.sh`, where the Terraform registry cannot be reached).

// A benchmark's product is the figures it prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WORLD: &str = r#"{
  "seed": 1,
  "profile": "current",
  "regions": [{ "id": "cn-hangzhou", "zones": ["cn-hangzhou-h", "cn-hangzhou-i"] }],
  "vpcs": [{ "id": "vpc-bp1bench00000000000", "region": "cn-hangzhou", "cidr_block": "10.0.0.0/8" }],
  "vswitches": [{ "id": "vsw-bp1bench00000000000", "vpc_id": "vpc-bp1bench00000000000", "zone_id": "cn-hangzhou-h", "cidr_block": "10.0.0.0/16" }],
  "security_groups": [{ "id": "sg-bp1bench00000000000", "vpc_id": "vpc-bp1bench00000000000", "security_group_type": "enterprise" }]
}"#;

const LATENCY_MS: u64 = 50;
const PARALLELISM: usize = 10;

fn config(chains: usize) -> String {
    format!(
        r#"provider "alicloud" {{
  region = "cn-hangzhou"
  simulator {{
    world = "world.json"
  }}
}}

resource "alicloud_ecs_network_interface" "eni" {{
  count                              = {chains}
  network_interface_name             = "bench-${{count.index}}"
  vswitch_id                         = "vsw-bp1bench00000000000"
  security_group_ids                 = ["sg-bp1bench00000000000"]
  secondary_private_ip_address_count = 2
}}

resource "alicloud_eip_address" "eip" {{
  count = {chains}
}}

resource "alicloud_eip_association" "bind" {{
  count         = {chains}
  allocation_id = alicloud_eip_address.eip[count.index].id
  instance_id   = alicloud_ecs_network_interface.eni[count.index].id
}}
"#
    )
}

/// One process's figures.
struct Step {
    wall: Duration,
    /// User plus system CPU time: steadier than wall time on a shared machine, where a
    /// process may get a fraction of a core.
    cpu: Duration,
    /// Peak resident memory, bytes.
    peak: u64,
    /// Bytes the process caused to be written to storage.
    written: u64,
    stderr: String,
}

/// `/proc/<pid>/io`'s `write_bytes`, 0 where it cannot be read.
fn write_bytes(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("write_bytes:"))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Runs netform (or another program) in `dir` and measures it. The child is waited for in two
/// steps: `waitid(WNOWAIT)` leaves it a zombie whose I/O counters can still be read, then
/// `wait4` reaps it with its resource usage.
fn run(prog: &Path, dir: &Path, args: &[&str], env: &[(&str, &str)], ok: &[i32]) -> Step {
    let start = Instant::now();
    // Reaped below by `wait4`, which also gives its resource usage.
    #[allow(clippy::zombie_processes)]
    let mut child = Command::new(prog)
        .current_dir(dir)
        .args(args)
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", prog.display()));
    let mut err_pipe = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let pid = child.id() as i32;
    // SAFETY: plain libc calls on our own child's pid with zeroed out-parameters.
    let (code, rusage) = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT,
        );
        let wall = start.elapsed();
        let written = write_bytes(pid);
        let mut status = 0;
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::wait4(pid, &mut status, 0, &mut ru);
        let code = if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        };
        let tv = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        let cpu = tv(ru.ru_utime) + tv(ru.ru_stime);
        (code, (wall, written, ru.ru_maxrss as u64 * 1024, cpu))
    };
    let stderr = reader.join().unwrap_or_default();
    assert!(
        ok.contains(&code),
        "{} {args:?} exited {code}:\n{stderr}",
        prog.display()
    );
    Step {
        wall: rusage.0,
        written: rusage.1,
        peak: rusage.2,
        cpu: rusage.3,
        stderr,
    }
}

fn netform() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_netform"))
}

/// A fresh configuration directory on disk (the target dir's tmp, not tmpfs, so that state
/// writes are counted), its simulated cloud on tmpfs.
fn workdir(chains: usize, tag: &str) -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix(&format!("scale-{tag}-"))
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir");
    std::fs::write(dir.path().join("world.json"), WORLD).expect("world");
    std::fs::write(dir.path().join("main.hcl"), config(chains)).expect("config");
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        let sim = shm.join(format!(
            "netform-scale-{}-{}",
            std::process::id(),
            dir.path()
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("x")
        ));
        std::fs::create_dir_all(&sim).expect("sim dir");
        std::fs::create_dir_all(dir.path().join(".netform")).expect(".netform");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&sim, dir.path().join(".netform").join("sim")).expect("link");
    }
    dir
}

/// Removes the tmpfs half of a work directory.
fn cleanup(dir: &Path) {
    if let Ok(target) = std::fs::read_link(dir.join(".netform").join("sim")) {
        let _ = std::fs::remove_dir_all(target);
    }
}

/// The apply's debug summary of API calls: `api calls: total=N Action=n …`.
fn calls(stderr: &str) -> BTreeMap<String, u64> {
    let Some(line) = stderr.lines().rev().find(|l| l.contains("api calls:")) else {
        return BTreeMap::new();
    };
    line.split("api calls:")
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

struct Row {
    resources: usize,
    plan: Step,
    apply: Step,
    noop: Step,
    destroy: Step,
    state_size: u64,
    calls: BTreeMap<String, u64>,
}

fn measure(resources: usize) -> Row {
    let chains = (resources / 3).max(1);
    let dir = workdir(chains, "size");
    let p = dir.path();
    let plan = run(netform(), p, &["plan", "--detailed-exitcode"], &[], &[2]);
    let apply = run(
        netform(),
        p,
        &["apply", "--auto-approve"],
        &[("NETFORM_LOG", "debug")],
        &[0],
    );
    let state_size = std::fs::metadata(p.join("netform.tfstate"))
        .map(|m| m.len())
        .unwrap_or(0);
    let noop = run(netform(), p, &["plan", "--detailed-exitcode"], &[], &[0]);
    let destroy = run(netform(), p, &["destroy", "--auto-approve"], &[], &[0]);
    cleanup(p);
    Row {
        resources: chains * 3,
        calls: calls(&apply.stderr),
        plan,
        apply,
        noop,
        destroy,
        state_size,
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn mb(b: u64) -> f64 {
    b as f64 / 1_048_576.0
}

fn print_sizes(rows: &[Row]) {
    println!("== plan / apply / no-op plan / destroy (embedded simulator, no latency) ==");
    println!("(each step: wall s / CPU s / peak MB)");
    println!(
        "{:>9} | {:>19} | {:>19} | {:>19} | {:>19}",
        "resources", "plan", "apply", "no-op plan", "destroy"
    );
    let cell = |s: &Step| {
        format!(
            "{:>6.2} {:>6.2} {:>5.0}",
            secs(s.wall),
            secs(s.cpu),
            mb(s.peak)
        )
    };
    for r in rows {
        println!(
            "{:>9} | {} | {} | {} | {}",
            r.resources,
            cell(&r.plan),
            cell(&r.apply),
            cell(&r.noop),
            cell(&r.destroy),
        );
    }
    for w in rows.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        let k = b.resources as f64 / a.resources as f64;
        let ratio = |x: &Step, y: &Step| {
            format!(
                "x{:.2} (CPU x{:.2})",
                secs(y.wall) / secs(x.wall).max(1e-9),
                secs(y.cpu) / secs(x.cpu).max(1e-9)
            )
        };
        println!(
            "{} -> {} (x{k:.1}): plan {}, apply {}, no-op plan {}, destroy {}",
            a.resources,
            b.resources,
            ratio(&a.plan, &b.plan),
            ratio(&a.apply, &b.apply),
            ratio(&a.noop, &b.noop),
            ratio(&a.destroy, &b.destroy),
        );
    }
    if let (Some(a), Some(b)) = (rows.first(), rows.last())
        && rows.len() > 2
    {
        let k = b.resources as f64 / a.resources as f64;
        println!(
            "{} -> {} (x{k:.1}): plan x{:.2} (CPU x{:.2}), apply x{:.2} (CPU x{:.2})",
            a.resources,
            b.resources,
            secs(b.plan.wall) / secs(a.plan.wall).max(1e-9),
            secs(b.plan.cpu) / secs(a.plan.cpu).max(1e-9),
            secs(b.apply.wall) / secs(a.apply.wall).max(1e-9),
            secs(b.apply.cpu) / secs(a.apply.cpu).max(1e-9),
        );
    }
    println!("\n== API calls per resource during apply, by action ==");
    for r in rows {
        let per: Vec<String> = r
            .calls
            .iter()
            .map(|(k, v)| format!("{k}={:.2}", *v as f64 / r.resources as f64))
            .collect();
        println!("{:>9}: {}", r.resources, per.join(" "));
    }
    println!("\n== bytes written to disk by apply against the final state ==");
    for r in rows {
        println!(
            "{:>9}: written {:.1} MB, state {:.1} MB, ratio {:.2}",
            r.resources,
            mb(r.apply.written),
            mb(r.state_size),
            r.apply.written as f64 / r.state_size.max(1) as f64
        );
    }
}

/// Apply at 50 ms a call against max(critical path, calls × latency / parallelism).
fn latency_run(resources: usize) {
    let latency = format!(r#"{{"latency_ms":{LATENCY_MS}}}"#);
    let par = PARALLELISM.to_string();
    let apply = |chains: usize| {
        let dir = workdir(chains, "latency");
        let s = run(
            netform(),
            dir.path(),
            &["apply", "--auto-approve", "--parallelism", &par],
            &[("NETFORM_SIM_FAULTS", &latency), ("NETFORM_LOG", "debug")],
            &[0],
        );
        cleanup(dir.path());
        s
    };
    let one = apply(1);
    let chains = (resources / 3).max(1);
    let all = apply(chains);
    let c = calls(&all.stderr);
    let total = c.get("total").copied().unwrap_or(0);
    let mutating: u64 = c
        .iter()
        .filter(|(k, _)| *k != "total" && !k.starts_with("Describe"))
        .map(|(_, v)| v)
        .sum();
    let per_call = Duration::from_millis(LATENCY_MS);
    let by_calls = per_call.mul_f64(total as f64 / PARALLELISM as f64);
    let bound = by_calls.max(one.wall);
    println!(
        "\n== apply at {LATENCY_MS} ms a call, --parallelism {PARALLELISM}, {} resources ==",
        chains * 3
    );
    println!(
        "calls {total} ({mutating} changing, {} Describe); critical path (one chain) {:.2}s",
        total - mutating,
        secs(one.wall)
    );
    println!(
        "apply {:.2}s (CPU {:.2}s), bound max({:.2}s, {total} x {LATENCY_MS} ms / {PARALLELISM} = {:.2}s) = {:.2}s: {:.2}x the bound",
        secs(all.wall),
        secs(all.cpu),
        secs(one.wall),
        secs(by_calls),
        secs(bound),
        secs(all.wall) / secs(bound).max(1e-9)
    );
    let by_mutating = per_call.mul_f64(mutating as f64 / PARALLELISM as f64);
    println!(
        "(counting only the {mutating} changing calls the bound is {:.2}s: {:.2}x)",
        secs(by_mutating.max(one.wall)),
        secs(all.wall) / secs(by_mutating.max(one.wall)).max(1e-9)
    );
}

fn terraform_config(chains: usize) -> String {
    format!(
        r#"terraform {{
  required_providers {{
    null = {{ source = "hashicorp/null" }}
  }}
}}

resource "null_resource" "eni" {{
  count    = {chains}
  triggers = {{ name = "bench-${{count.index}}" }}
}}

resource "null_resource" "eip" {{
  count = {chains}
}}

resource "null_resource" "bind" {{
  count    = {chains}
  triggers = {{ eip = null_resource.eip[count.index].id, eni = null_resource.eni[count.index].id }}
}}
"#
    )
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(name))
            .find(|f| f.is_file())
    })
}

/// Terraform's plan and apply of the same shape, with netform's at the same size.
fn terraform_run(resources: usize) {
    let Some(tf) = find_on_path("terraform") else {
        println!("\n(terraform is not installed: no comparison)");
        return;
    };
    let chains = (resources / 3).max(1);
    let dir = tempfile::Builder::new()
        .prefix("scale-terraform-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("tempdir");
    std::fs::write(dir.path().join("main.tf"), terraform_config(chains)).expect("main.tf");
    // Where the registry cannot be reached, a filesystem mirror (scripts/terraform-mirror.sh).
    let rc = dir.path().join("terraform.rc");
    let mut env = vec![("TF_IN_AUTOMATION", "1".to_string())];
    if let Some(mirror) = std::env::var_os("NETFORM_BENCH_TF_MIRROR") {
        let mirror =
            std::fs::canonicalize(&mirror).expect("NETFORM_BENCH_TF_MIRROR is a directory");
        let text = format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path = {:?}\n  }}\n}}\n",
            mirror.display().to_string()
        );
        std::fs::write(&rc, text).expect("terraform.rc");
        env.push(("TF_CLI_CONFIG_FILE", rc.display().to_string()));
    }
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let init = Command::new(&tf)
        .current_dir(dir.path())
        .args(["init", "-input=false", "-no-color"])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !init.is_ok_and(|s| s.success()) {
        println!(
            "\n(terraform is installed but `terraform init` cannot get the null provider: no comparison; \
             scripts/terraform-mirror.sh DIR and NETFORM_BENCH_TF_MIRROR=DIR make a mirror of it)"
        );
        return;
    }
    let tplan = run(
        &tf,
        dir.path(),
        &["plan", "-input=false", "-no-color", "-out=tf.plan"],
        &env,
        &[0],
    );
    let tapply = run(
        &tf,
        dir.path(),
        &["apply", "-input=false", "-no-color", "tf.plan"],
        &env,
        &[0],
    );
    let n = workdir(chains, "vs-terraform");
    let nplan = run(
        netform(),
        n.path(),
        &["plan", "--detailed-exitcode"],
        &[],
        &[2],
    );
    let napply = run(netform(), n.path(), &["apply", "--auto-approve"], &[], &[0]);
    cleanup(n.path());
    println!(
        "\n== Terraform (null provider) against netform, {} resources ==",
        chains * 3
    );
    println!(
        "terraform plan {:.2}s apply {:.2}s; netform plan {:.2}s apply {:.2}s; terraform / netform: plan x{:.1}, apply x{:.1}",
        secs(tplan.wall),
        secs(tapply.wall),
        secs(nplan.wall),
        secs(napply.wall),
        secs(tplan.wall) / secs(nplan.wall).max(1e-9),
        secs(tapply.wall) / secs(napply.wall).max(1e-9),
    );
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("NETFORM_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![3000, 9000, 30000]);
    let rows: Vec<Row> = sizes.iter().map(|&n| measure(n)).collect();
    print_sizes(&rows);
    let latency = env_usize("NETFORM_BENCH_LATENCY_SIZE", 600);
    if latency > 0 {
        latency_run(latency);
    }
    let tf = env_usize("NETFORM_BENCH_TERRAFORM", 300);
    if tf > 0 {
        terraform_run(tf);
    }
}
