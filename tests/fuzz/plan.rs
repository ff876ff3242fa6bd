//! The saved-plan reader: `plan::saved::load_and_replan` (what `apply PLANFILE` runs) on a
//! mutated plan file, in a directory holding the quickstart configuration and its simulated cloud,
//! with its state or without one. The plan it returns is rendered as apply shows it. The parsing
//! is not separable from the replanning without changing plan/saved.rs, so the whole library path
//! is driven, with the in-process simulator answering.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use proptest::prelude::*;

use crate::engine::{Case, Fuzz, Target};
use crate::mutate::{Format, Pool, make, recipe};
use netform::plan::saved::{LoadError, load_and_replan};
use netform::provider::sim::Sim;
use netform::provider::{Clouds, Transport, api::Timing};
use netform::state::Store;

pub static TARGET: Target = Target {
    name: "saved_plan",
    ci_cases: 1200,
    build,
};

const PLAN_TOKENS: &[&str] = &[
    "\"format\"",
    "\"netform-plan\"",
    "\"config_hash\"",
    "\"lineage\"",
    "\"serial\"",
    "\"had_state\"",
    "\"variables\"",
    "\"options\"",
    "\"changes\"",
    "\"ops\"",
    "\"action\"",
    "\"address\"",
    "\"before\"",
    "\"after\"",
    "\"$unknown\"",
    "\"$set\"",
    "\"$map\"",
    "\"create\"",
    "\"update\"",
    "\"delete\"",
    "\"replace\"",
    "\"no-op\"",
    "\"read\"",
    "\"targets\"",
    "\"destroy\"",
    "\"parallelism\"",
];

struct Plans {
    pool: Pool,
    /// The quickstart configuration with its state, and a copy without one.
    with_state: tempfile::TempDir,
    without_state: tempfile::TempDir,
    sim: Arc<Sim>,
    limits: netform::limits::Limits,
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::create_dir_all(to);
    for e in std::fs::read_dir(from).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else if !e.file_name().to_string_lossy().ends_with(".lock") {
            let _ = std::fs::copy(&p, to.join(e.file_name()));
        }
    }
}

fn build(corpus: &Path) -> Box<dyn Fuzz> {
    let tokens: Vec<&str> = crate::state::JSON_TOKENS
        .iter()
        .chain(PLAN_TOKENS)
        .copied()
        .collect();
    let seeds = crate::corpus::read_all(&crate::corpus::files(&corpus.join("plans"), ".tfplan"));
    let ctx = corpus.join("contexts").join("quickstart");
    let with_state = crate::engine::scratch();
    let without_state = crate::engine::scratch();
    copy_dir(&ctx, with_state.path());
    copy_dir(&ctx, without_state.path());
    let _ = std::fs::remove_file(without_state.path().join("netform.tfstate"));
    let sim = Sim::open(with_state.path(), None).unwrap_or_else(|e| panic!("{e}"));
    let limits = sim
        .with_cloud(|c| c.limits.clone())
        .unwrap_or_else(|| panic!("simulator limits"));
    Box::new(Plans {
        pool: Pool::new(seeds, &tokens),
        with_state,
        without_state,
        sim: Arc::new(sim),
        limits,
    })
}

impl Fuzz for Plans {
    fn cases(&self) -> BoxedStrategy<Case> {
        let p = self.pool.clone();
        (
            recipe(&self.pool, Format::Json, 1.0),
            prop::bool::weighted(0.7),
        )
            .prop_map(move |(r, with_state)| {
                let mut case = vec![(
                    "context".to_string(),
                    if with_state {
                        b"state".to_vec()
                    } else {
                        b"none".to_vec()
                    },
                )];
                if let Some(b) = make(&p, Format::Json, &r) {
                    case.push(("plan.tfplan".to_string(), b));
                }
                case
            })
            .boxed()
    }

    fn run(&mut self, case: &Case) -> &'static str {
        let get = |n: &str| {
            case.iter()
                .find(|(name, _)| name == n)
                .map(|(_, b)| b.as_slice())
        };
        let dir: PathBuf = match get("context") {
            Some(b"none") => self.without_state.path().to_path_buf(),
            _ => self.with_state.path().to_path_buf(),
        };
        let file = dir.join("fuzz.tfplan");
        std::fs::write(&file, get("plan.tfplan").unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        let store = Store::new(dir.join("netform.tfstate"));
        let (sim, limits) = (self.sim.clone(), self.limits.clone());
        let mut setup = |cfg: &mut netform::config::Config| {
            let vars = netform::config::vars::resolve(cfg, &Default::default()).map_err(|_| 1)?;
            let clouds = Clouds {
                transport: sim.clone() as Arc<dyn Transport>,
                per_alias: Default::default(),
                regions: [(None, "cn-hangzhou".to_string())].into_iter().collect(),
                timing: Timing::simulator(),
                sim: Some(sim.clone()),
                limits: limits.clone(),
            };
            Ok((vars, clouds))
        };
        match load_and_replan(&dir, Path::new("fuzz.tfplan"), store, &mut setup) {
            Ok(loaded) => {
                let _ = netform::render::plan::render(&loaded.plan, netform::render::Style::PLAIN);
                let _ = netform::render::json::plan(&loaded.plan, &loaded.cfg.sources);
                "loaded"
            }
            Err(LoadError::Diagnostics(d, sources)) => {
                crate::hcl::show(&d, &sources);
                "replan refused"
            }
            Err(LoadError::User(m, _)) if m.contains("not a netform plan") => "not a plan",
            Err(LoadError::User(m, _)) if m.contains("stale") || m.contains("does not match") => {
                "stale or foreign"
            }
            Err(LoadError::User(m, _)) if m.contains("damaged") => "damaged",
            Err(LoadError::User(..)) => "refused",
            Err(LoadError::Exit(_)) => "exit",
        }
    }
}
