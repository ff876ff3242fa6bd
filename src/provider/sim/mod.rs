//! The embedded Alibaba Cloud simulator: a [`Transport`] that answers in process.
//!
//! The live cloud persists under `.netform/sim/` in the configuration directory as a snapshot
//! (`cloud.json`) plus an append-only journal of the mutating calls made since (`journal.ndjson`),
//! so saving after every call costs one line, not a rewrite. Opening replays the journal; `persist`
//! folds it into a new snapshot. Nothing is created on disk until the first call that changes the
//! cloud, so a run that fails early leaves no trace. Several processes may use the files at once:
//! each call catches up with the others under a file lock first (`disk`).

pub mod cloud;
mod describe;
mod disk;
mod eip;
mod eni;
mod index;
pub mod serve;
#[cfg(test)]
mod tests;
mod tokens;
pub mod world;

pub use describe::forward_table_id;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value as J;

use self::cloud::{Cloud, Live};
use self::world::{Faults, World};
use crate::provider::{ApiError, Params, Product, Transport};

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("{0}")]
    World(String),
    #[error("the simulated cloud in {path} is damaged: {what}")]
    Corrupt { path: String, what: String },
    #[error("cannot write the simulated cloud in {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Serialize, Deserialize)]
struct Snapshot {
    format: u32,
    world_hash: String,
    world: World,
    live: Live,
    /// The sequence number of the last journal line folded into this snapshot: a process
    /// killed between writing the snapshot and removing the journal leaves lines that are
    /// already in it, and replaying them again would do their work twice.
    #[serde(default)]
    journal_seq: u64,
}

#[derive(Serialize, Deserialize)]
struct JournalLine {
    /// Increasing per line; 0 in journals written before lines were numbered.
    #[serde(default)]
    seq: u64,
    /// The product's endpoint prefix (`ecs`, `vpc`): TagResources exists in both. Absent in
    /// journals written before the simulator told products apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    product: Option<String>,
    action: String,
    params: Params,
}

impl JournalLine {
    fn product(&self) -> Product {
        if let Some(p) = Product::ALL
            .into_iter()
            .find(|p| Some(p.prefix()) == self.product.as_deref())
        {
            return p;
        }
        // An old line: its action names the product, but for TagResources, whose ResourceType does.
        let eip_tags = self
            .params
            .get("ResourceType")
            .is_some_and(|t| t.eq_ignore_ascii_case("EIP"));
        match self.action.as_str() {
            "TagResources" | "UntagResources" if eip_tags => Product::Vpc,
            a if a.contains("Eip") || a == "DeletionProtection" || a == "UnTagResources" => {
                Product::Vpc
            }
            _ => Product::Ecs,
        }
    }
}

struct Inner {
    cloud: Cloud,
    dir: Option<PathBuf>,
    faults: Faults,
    rng: u64,
    /// The sequence number of the last journal line in the cloud (this process's, another's, or
    /// folded into the snapshot).
    seq: u64,
    /// Hash of the world file the live cloud was seeded from (recorded in every snapshot).
    seed_hash: String,
    /// The world a cloud with no snapshot starts from, and its hash.
    origin: disk::Origin,
    origin_hash: String,
    /// What of the files the cloud reflects.
    seen: disk::Seen,
}

impl Inner {
    /// Takes the files' lock and catches up with them, for a call (`create`: one that may
    /// write). `None` where there are no files and the call only reads.
    fn sync(&mut self, create: bool) -> Result<Option<std::fs::File>, SimError> {
        let Some(dir) = self.dir.clone() else {
            return Ok(None);
        };
        let Some(lock) = disk::lock(&dir, create)? else {
            return Ok(None);
        };
        self.catch_up()?;
        Ok(Some(lock))
    }
}

pub struct Sim {
    inner: Mutex<Inner>,
    start: Instant,
    latency_ms: u64,
    /// Warnings for the user (a world file edited after the cloud was seeded).
    pub warnings: Vec<String>,
}

fn world_hash(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The directory the simulated cloud of a configuration lives in.
pub fn sim_dir(config_dir: &Path) -> PathBuf {
    config_dir.join(".netform").join("sim")
}

/// Faults from `NETFORM_SIM_FAULTS` (the same JSON as a world's `faults` section) win over the
/// world's own.
fn env_faults() -> Result<Option<Faults>, SimError> {
    match std::env::var("NETFORM_SIM_FAULTS") {
        Ok(s) if !s.trim().is_empty() => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| SimError::World(format!("NETFORM_SIM_FAULTS is not valid: {e}"))),
        _ => Ok(None),
    }
}

impl Sim {
    /// Opens the simulated cloud of a configuration directory, seeding it from the world
    /// (`world_file`, or the built-in world) when it does not exist yet.
    pub fn open(config_dir: &Path, world_file: Option<&Path>) -> Result<Sim, SimError> {
        let dir = sim_dir(config_dir);
        let origin = match world_file {
            Some(p) => disk::Origin::File {
                text: std::fs::read_to_string(p).map_err(|e| {
                    SimError::World(format!("cannot read the world file {}: {e}", p.display()))
                })?,
                origin: p.display().to_string(),
            },
            None => disk::Origin::Builtin,
        };
        let (hash, named) = match &origin {
            disk::Origin::File { text, origin } => (world_hash(text), origin.clone()),
            disk::Origin::Builtin => (world_hash(""), "the built-in world".to_string()),
        };
        // Read under the lock: a snapshot and journal being rewritten are never read half-way.
        let lock = disk::lock(&dir, false)?;
        let mut warnings = Vec::new();
        let (world, live, seed_hash, folded, seen) = match disk::read_snapshot(&dir)? {
            Some((snap, id)) => {
                if snap.world_hash != hash {
                    warnings.push(format!(
                        "{named} differs from the world the simulated cloud was seeded from; the live cloud is unchanged. Run `netform sim reset` to re-seed it."
                    ));
                }
                // The hash stays that of the world the cloud was seeded from, so the warning
                // lasts until `sim reset`, however many runs persist the cloud meanwhile.
                (
                    snap.world,
                    snap.live,
                    snap.world_hash,
                    snap.journal_seq,
                    Some(id),
                )
            }
            None => (origin.world()?, Live::default(), hash.clone(), 0, None),
        };
        let mut sim = Sim::build(world, live, Some(dir.clone()), seed_hash)?;
        sim.warnings = warnings;
        let inner = sim
            .inner
            .get_mut()
            .map_err(|_| SimError::World("poisoned".into()))?;
        inner.origin = origin;
        inner.origin_hash = hash;
        inner.seq = folded;
        inner.seen.snapshot = seen;
        // Replay what runs did after the last snapshot.
        if lock.is_some() {
            inner.replay(&dir.join(disk::JOURNAL))?;
        }
        Ok(sim)
    }

    /// A simulator that lives only in memory (tests, benchmarks).
    pub fn in_memory(world: World) -> Result<Sim, SimError> {
        Sim::build(world, Live::default(), None, String::new())
    }

    fn build(
        world: World,
        live: Live,
        dir: Option<PathBuf>,
        hash: String,
    ) -> Result<Sim, SimError> {
        let limits = world.limits().map_err(|e| SimError::World(e.to_string()))?;
        let mut faults = world.faults.clone();
        if let Some(f) = env_faults()? {
            faults = f;
        }
        let latency_ms = faults.latency_ms;
        let cloud = Cloud::new(world.clone(), limits, live, faults.async_ms.clone());
        let rng = world.seed ^ 0x9e37_79b9_7f4a_7c15;
        Ok(Sim {
            inner: Mutex::new(Inner {
                cloud,
                dir,
                faults,
                rng,
                seq: 0,
                origin_hash: hash.clone(),
                seed_hash: hash,
                origin: disk::Origin::Builtin,
                seen: disk::Seen::default(),
            }),
            start: Instant::now(),
            latency_ms,
            warnings: Vec::new(),
        })
    }

    /// Folds the journal into a new snapshot, with what every process wrote to it. A no-op
    /// when there is nothing to fold.
    pub fn persist(&self) -> Result<(), SimError> {
        let mut inner = self
            .inner
            .lock()
            .map_err(|_| SimError::World("poisoned".into()))?;
        let Some(_lock) = inner.sync(false)? else {
            return Ok(());
        };
        inner.fold()
    }

    /// Runs `f` with the cloud (up to date with what other processes did), for `sim show` and
    /// tests. A cloud whose files cannot be read now is shown as this process last saw it.
    pub fn with_cloud<T>(&self, f: impl FnOnce(&Cloud) -> T) -> Option<T> {
        let mut inner = self.inner.lock().ok()?;
        let _lock = inner.sync(false).ok().flatten();
        let now = self.start.elapsed().as_millis() as u64;
        inner.cloud.settle(now);
        Some(f(&inner.cloud))
    }

    /// Removes the simulated cloud of a configuration directory (under the lock: a process
    /// using it sees it gone on its next call and starts over from the world).
    pub fn reset(config_dir: &Path) -> std::io::Result<bool> {
        let dir = sim_dir(config_dir);
        let _lock = disk::lock(&dir, false).map_err(std::io::Error::other)?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The requests answered so far (for tests of "no cloud call was made").
    pub fn request_count(&self) -> u64 {
        self.inner
            .lock()
            .map(|i| i.cloud.live.requests)
            .unwrap_or(0)
    }
}

fn next_rand(state: &mut u64) -> f64 {
    // xorshift64*: good enough to spread injected faults, and seedable.
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
}

impl Transport for Sim {
    fn call(&self, product: Product, action: &str, params: &Params) -> Result<J, ApiError> {
        if self.latency_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(self.latency_ms));
        }
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| ApiError::new(500, "InternalError", "simulator lock poisoned"))?;
        let inner = &mut *guard;
        let mutating = Cloud::is_mutating(action);
        // Held until the answer: the call reads and changes the cloud every process shares.
        let _lock = inner
            .sync(mutating)
            .map_err(|e| ApiError::new(500, "InternalError", format!("simulator: {e}")))?;
        inner.cloud.live.requests += 1;
        let request_id = format!("SIM-{:08X}", inner.cloud.live.requests);
        let now = self.start.elapsed().as_millis() as u64;
        inner.cloud.settle(now);
        if let Some(rates) = inner
            .faults
            .rates
            .get(action)
            .or_else(|| inner.faults.rates.get("*"))
            .cloned()
        {
            let r = next_rand(&mut inner.rng);
            let fault = if r < rates.throttling {
                Some((
                    400,
                    "Throttling.User",
                    "Request was denied due to user flow control.",
                ))
            } else if r < rates.throttling + rates.service_unavailable {
                Some((
                    503,
                    "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.",
                ))
            } else if r < rates.throttling + rates.service_unavailable + rates.internal_error {
                Some((
                    500,
                    "InternalError",
                    "The request processing has failed due to some unknown error.",
                ))
            } else {
                None
            };
            if let Some((status, code, msg)) = fault {
                let mut e = ApiError::new(status, code, msg);
                e.request_id = request_id;
                return Err(e);
            }
        }
        let result = inner.cloud.handle(product, action, params);
        if mutating && result.is_ok() {
            inner.append(product, action, params)?;
            // The cloud has acted; the answer may still never reach the caller.
            let lost = inner.faults.rates_for(action).lost_answer;
            if lost > 0.0 && next_rand(&mut inner.rng) < lost {
                let mut e = crate::provider::ApiError::no_answer(format!(
                    "{action}: the connection dropped before the answer arrived (simulated)"
                ));
                e.request_id = request_id;
                return Err(e);
            }
        }
        match result {
            Ok(mut j) => {
                if let J::Object(m) = &mut j {
                    m.insert("RequestId".into(), J::String(request_id));
                }
                Ok(j)
            }
            Err(mut e) => {
                e.request_id = request_id;
                Err(e)
            }
        }
    }
}

/// For `sim show`: the live cloud as JSON, each ENI and EIP as Describe* would answer it (a
/// primary ENI only once it holds secondary addresses: the world's own are not news).
pub fn show(cloud: &Cloud) -> J {
    let idx = cloud.eips_by_target();
    let enis: BTreeMap<&String, J> = cloud
        .live
        .enis
        .iter()
        .filter(|(_, e)| !e.primary || !e.private_ips.is_empty())
        .map(|(k, e)| {
            (
                k,
                serde_json::to_value(cloud.eni_set(e, &idx)).unwrap_or_default(),
            )
        })
        .collect();
    let eips: BTreeMap<&String, J> = cloud
        .live
        .eips
        .iter()
        .map(|(k, e)| {
            (
                k,
                serde_json::to_value(cloud.eip_address(e)).unwrap_or_default(),
            )
        })
        .collect();
    serde_json::json!({"network_interfaces": enis, "eip_addresses": eips})
}
