//! `sim serve`: the simulated cloud over Alibaba's signed RPC protocol, for other clients (the
//! real provider code, SDKs, a second netform) until Ctrl-C; the cloud is saved on the way out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cli::args::ServeArgs;
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::config;
use crate::outln;
use crate::provider::sim::Sim;
use crate::provider::sim::serve::AccessKey;

pub fn run(ctx: &Ctx, a: &ServeArgs) -> Result<Exit, CliError> {
    let map = serve_keys(&a.access_keys)?;
    let world = serve_world(ctx, a.world.as_deref())?;
    let sim = Sim::open(&ctx.dir, world.as_deref()).map_err(|e| {
        CliError::user(
            e.to_string(),
            "fix the world file, or run netform sim reset",
        )
    })?;
    for w in &sim.warnings {
        ui().warning(w.clone());
    }
    let sim = Arc::new(sim);
    let record = match &a.record {
        None => None,
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(ctx.dir.join(p))
                .map_err(|e| {
                    CliError::user(
                        format!("cannot open the record file {}: {e}", p.display()),
                        "pick a writable path for --record",
                    )
                })?,
        ),
    };
    let listener = std::net::TcpListener::bind(&a.listen).map_err(|e| {
        CliError::user(
            format!("cannot listen on {}: {e}", a.listen),
            "pick a free port, e.g. --listen 127.0.0.1:0",
        )
    })?;
    let addr = listener
        .local_addr()
        .map(|x| x.to_string())
        .unwrap_or_else(|_| a.listen.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let s2 = stop.clone();
    let _ = ctrlc::set_handler(move || s2.store(true, Ordering::SeqCst));
    outln!(
        ui(),
        "netform simulator listening on http://{addr} (keys: {})",
        map.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    let res =
        crate::provider::sim::serve::serve_recording(listener, sim.clone(), map, stop, record);
    let _ = sim.persist();
    res.map_err(|e| {
        CliError::user(
            format!("the simulator server failed: {e}"),
            "check the address and try again",
        )
    })?;
    outln!(
        ui(),
        "stopped; the simulated cloud is saved in {}",
        crate::provider::sim::sim_dir(&ctx.dir).display()
    );
    Ok(Exit(0))
}

/// The keys `sim serve` accepts: `--access-key ID=SECRET[:TOKEN[@EXPIRY]]` (repeatable), else
/// the `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET` pair with `ALIBABA_CLOUD_SECURITY_TOKEN` when set
/// (what the client itself reads), else a fixed development pair.
fn serve_keys(specs: &[String]) -> Result<BTreeMap<String, AccessKey>, CliError> {
    let mut map = BTreeMap::new();
    for k in specs {
        let (id, key) = AccessKey::parse(k).map_err(|why| {
            // Only the id is echoed: the rest is a secret.
            let id = k.split('=').next().unwrap_or("");
            CliError::user(
                format!("invalid --access-key \"{id}=…\": {why}"),
                "write --access-key ID=SECRET, or ID=SECRET:TOKEN for temporary (STS) credentials",
            )
        })?;
        map.insert(id, key);
    }
    if !map.is_empty() {
        return Ok(map);
    }
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    match (
        var("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        var("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    ) {
        (Some(id), Some(secret)) => {
            let mut key = AccessKey::new(secret);
            key.security_token = var("ALIBABA_CLOUD_SECURITY_TOKEN");
            if id.starts_with("STS.") && key.security_token.is_none() {
                return Err(CliError::user(
                    format!(
                        "{id} is a temporary (STS) AccessKeyId but ALIBABA_CLOUD_SECURITY_TOKEN is not set"
                    ),
                    "set ALIBABA_CLOUD_SECURITY_TOKEN, or give --access-key ID=SECRET:TOKEN",
                ));
            }
            map.insert(id, key);
        }
        _ => {
            map.insert("netform-sim".into(), AccessKey::new("netform-sim-secret"));
        }
    }
    Ok(map)
}

/// The world `sim serve` seeds a new simulated cloud from: `--world` (relative to the
/// configuration directory), else what every other command uses (`--simulator`, else the
/// configuration's `simulator { world = … }`), else the built-in world.
fn serve_world(ctx: &Ctx, flag: Option<&std::path::Path>) -> Result<Option<PathBuf>, CliError> {
    if let Some(w) = flag {
        return Ok(Some(ctx.path(w)));
    }
    let cfg = config::load_dir(&ctx.dir).ok();
    ctx.world_path(cfg.as_ref(), &Default::default())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::provider::{Product, Transport};
    use crate::render::Style;

    fn ctx(dir: &Path) -> Ctx {
        Ctx {
            dir: dir.to_path_buf(),
            cli_state: None,
            simulator: None,
            backend_config: Vec::new(),
            workspace: "default".into(),
            workspace_var: None,
            style: Style::PLAIN,
        }
    }

    /// Defect: `sim serve` seeded from the built-in world whatever the configuration named.
    #[test]
    fn sim_serve_serves_the_configurations_world() {
        let dir = std::env::temp_dir().join(format!("netform-serve-world-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let world = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/worlds/full.json");
        std::fs::copy(world, dir.join("shanghai.json")).expect("copy world");
        std::fs::write(
            dir.join("main.hcl"),
            "provider \"alicloud\" {\n  region = \"cn-shanghai\"\n  simulator { world = \"shanghai.json\" }\n}\n",
        )
        .expect("config");
        let c = ctx(&dir);
        let picked = serve_world(&c, None).ok().flatten();
        assert_eq!(picked, Some(dir.join("shanghai.json")));
        assert_eq!(
            serve_world(&c, Some(Path::new("other.json")))
                .ok()
                .flatten(),
            Some(dir.join("other.json")),
            "--world wins"
        );
        let sim = Sim::open(&dir, picked.as_deref()).expect("open");
        let p: crate::provider::Params =
            [("RegionId".to_string(), "cn-shanghai".to_string())].into();
        let j = sim
            .call(Product::Ecs, "DescribeInstances", &p)
            .expect("describe");
        assert!(j.to_string().contains("i-uf6app100000000000"), "{j}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn access_keys_from_flags_hide_the_secret_when_refused() {
        let Ok(keys) = serve_keys(&["AK1=s3cret".to_string()]) else {
            panic!("a valid key pair");
        };
        assert!(keys.contains_key("AK1"));
        let Err(e) = serve_keys(&["AK2".to_string()]) else {
            panic!("a key without a secret is refused");
        };
        assert!(e.diagnostics[0].summary.contains("AK2"));
    }
}
