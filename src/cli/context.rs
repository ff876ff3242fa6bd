//! What every command starts from: the configuration directory, the global flags, the selected
//! workspace, and the steps most commands share (load the configuration, resolve variables,
//! open the state, assemble the cloud), each failing with a [`CliError`] for the caller to
//! return.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::error::CliError;
use super::{PlanArgs, team, ui};
use crate::config::vars::{VarArg, VarInputs};
use crate::config::{self, Config};
use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::lang::Value;
use crate::provider::Clouds;
use crate::provider::configure;
use crate::render::Style;
use crate::state::{State, Store};

pub struct Ctx {
    pub dir: PathBuf,
    pub cli_state: Option<PathBuf>,
    pub simulator: Option<String>,
    pub backend_config: Vec<String>,
    /// The selected workspace, and the environment variable that chose it, if one did.
    pub workspace: String,
    pub workspace_var: Option<&'static str>,
    /// Colour for what goes to stdout.
    pub style: Style,
}

impl Ctx {
    /// `path` as given on the command line, relative to the configuration directory.
    pub fn path(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.dir.join(path)
        }
    }

    /// The selected workspace's state in the configured backend (or `--state FILE`), for a
    /// command that has not loaded the configuration.
    pub fn store(&self) -> Result<Store, CliError> {
        team::store(self)
    }

    /// The same, for a command that has loaded `cfg`.
    pub fn store_for(&self, cfg: &Config) -> Result<Store, CliError> {
        team::open_store(self, cfg.backend.as_ref())
    }

    pub fn load(&self) -> Result<Config, CliError> {
        config::load_dir(&self.dir).map_err(|f| CliError::diags(f.diags.0, f.sources))
    }

    /// The variables' values: the command line (files relative to the configuration directory),
    /// the environment, and on a terminal what the user types for those still missing.
    pub fn vars(
        &self,
        cfg: &mut Config,
        a: &PlanArgs,
    ) -> Result<BTreeMap<String, Value>, CliError> {
        let mut inputs = VarInputs {
            args: a
                .var_args()
                .into_iter()
                .map(|v| match v {
                    VarArg::File(f) if !f.is_absolute() => VarArg::File(self.dir.join(f)),
                    other => other,
                })
                .collect(),
            env: VarInputs::from_env(),
        };
        let sources_before = cfg.sources.files().len();
        match config::vars::resolve(cfg, &inputs) {
            Ok(v) => Ok(v),
            // On a terminal, with --input (the default), ask for what is missing, as Terraform does.
            Err(d) if a.input && can_ask(&d) => {
                ask_missing(cfg, &d, &mut inputs);
                cfg.sources.truncate(sources_before);
                config::vars::resolve(cfg, &inputs)
                    .map_err(|d| CliError::diags(d.0, cfg.sources.clone()))
            }
            Err(d) => Err(CliError::diags(d.0, cfg.sources.clone())),
        }
    }

    /// The cloud the configuration selects (provider::configure); its warnings are shown here.
    pub fn clouds(&self, cfg: &Config, vars: &BTreeMap<String, Value>) -> Result<Clouds, CliError> {
        match configure::clouds(cfg, vars, self.simulator.as_deref(), &self.dir) {
            Ok(a) => {
                ui().diags(&a.warnings, &cfg.sources);
                Ok(a.clouds)
            }
            Err(f) => Err(provider_failure(f, &cfg.sources)),
        }
    }

    /// The world file the simulator is seeded from (provider::configure::world_path).
    pub fn world_path(
        &self,
        cfg: Option<&Config>,
        scope: &crate::config::eval::Scope,
    ) -> Result<Option<PathBuf>, CliError> {
        configure::world_path(self.simulator.as_deref(), cfg, scope).map_err(|f| {
            let none = Sources::default();
            provider_failure(f, cfg.map_or(&none, |c| &c.sources))
        })
    }

    /// The state, or an empty one when there is none yet (show, output, guest-config).
    pub fn state_or_empty(&self) -> Result<State, CliError> {
        Ok(self
            .store()?
            .read()?
            .unwrap_or_else(|| State::new(String::new())))
    }
}

/// Whether the only trouble is required variables without a value, and a person is there to
/// type them.
fn can_ask(d: &Diagnostics) -> bool {
    !ui().json_events()
        && std::io::stdin().is_terminal()
        && d.0
            .iter()
            .all(|x| x.summary.starts_with("no value for required variable"))
}

/// Prompts for each required variable `d` reports missing, adding the answers to `inputs`.
fn ask_missing(cfg: &Config, d: &Diagnostics, inputs: &mut VarInputs) {
    for name in cfg.variables.keys() {
        let missing = format!("no value for required variable \"{name}\"");
        if !d.0.iter().any(|x| x.summary == missing) {
            continue;
        }
        let desc = cfg
            .variables
            .get(name)
            .and_then(|v| v.description.clone())
            .unwrap_or_default();
        let line = ui().ask(&format!("var.{name}\n  {desc}\n\n  Enter a value: "));
        inputs.args.push(VarArg::Var(format!("{name}={line}")));
        ui().human("\n");
    }
}

/// Why the provider could not be assembled; a bug exits 101.
fn provider_failure(f: configure::Failure, sources: &Sources) -> CliError {
    match f {
        configure::Failure::Config(d) => CliError::diags(d, sources.clone()),
        configure::Failure::Internal(what) => CliError::internal(what),
    }
}

/// Saves the simulated cloud after a run that changed it; a failure is reported and the run's
/// outcome stands (the state already records what was done).
pub fn persist_sim(clouds: &Clouds) {
    if let Some(sim) = &clouds.sim
        && let Err(e) = sim.persist()
    {
        ui().diags(&[Diagnostic::error(e.to_string())], &Sources::default());
    }
}

/// Writes one generated file, creating its folders; the error says which step failed on which
/// path.
pub fn write_file(p: &Path, contents: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    crate::state::write_atomic(p, contents.as_bytes())
        .with_context(|| format!("cannot write {}", p.display()))
}
