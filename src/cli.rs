//! The command line: parses arguments, runs the engine, and hands every byte of output to the
//! printer (`printer`), the one writer of stdout and stderr.
//!
//! User errors exit 1 with diagnostics on stderr; `plan --detailed-exitcode` exits 2 when there are
//! changes; `fmt --check` exits 3; a bug panics, which Rust turns into exit 101.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::address::Address;
use crate::apply;
use crate::config::vars::{VarArg, VarInputs};
use crate::config::{self, Config};
use crate::diag::{Diagnostic, Sources};
use crate::lang::Value;
use crate::plan::{self, Plan, PlanOptions};
use crate::provider::configure;
use crate::provider::sim::Sim;
use crate::provider::{Clouds, Transport};
use crate::render::{self, Style};
use crate::state::{State, Store};
use crate::{errln, humanln, outln};

mod apply_view;
mod logging;
mod meta;
pub mod printer;
mod state_view;

use printer::{ColorWhen, Printer};

/// The process's printer.
fn ui() -> &'static Printer {
    printer::get()
}

mod team;

#[derive(Parser, Debug)]
#[command(name = "netform", version, about = "Declarative Alibaba Cloud networking: ENIs, secondary IPs and EIPs", long_about = None)]
pub struct Cli {
    /// Run as if started in DIR.
    #[arg(short = 'C', long = "chdir", global = true, value_name = "DIR")]
    pub chdir: Option<PathBuf>,
    /// The state file (default: netform.tfstate in the configuration directory).
    #[arg(long, global = true, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Use the embedded simulator (optionally seeded from WORLD), whatever the configuration says.
    #[arg(long, global = true, value_name = "WORLD", num_args = 0..=1, default_missing_value = "")]
    pub simulator: Option<String>,
    /// A backend setting, KEY=VALUE, or a file of key = "value" lines (repeatable; never saved).
    #[arg(long = "backend-config", global = true, value_name = "KEY=VALUE|FILE")]
    pub backend_config: Vec<String>,
    /// Colour: auto (a terminal, unless NO_COLOR or CLICOLOR=0; CLICOLOR_FORCE forces it),
    /// always or never.
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
    /// No colour (Terraform's -no-color).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Warnings as one summary line each (Terraform's -compact-warnings).
    #[arg(long, global = true)]
    pub compact_warnings: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone, Default)]
pub struct PlanArgs {
    /// Save the plan to FILE, for `netform apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Newline-delimited JSON events instead of human output.
    #[arg(long)]
    pub json: bool,
    /// human, json or markdown.
    #[arg(long, default_value = "human")]
    pub format: String,
    /// Exit 2 when there are changes, 0 when there are none.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    pub exclude: Vec<String>,
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    #[arg(long)]
    pub refresh_only: bool,
    /// Write resource blocks for import targets the configuration lacks to FILE (plan only).
    #[arg(long, value_name = "FILE")]
    pub generate_config_out: Option<PathBuf>,
    #[arg(long, default_value = "true", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub refresh: bool,
    #[arg(long)]
    pub destroy: bool,
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// At most this many operations at once (≥ 1).
    #[arg(long, default_value_t = 10, value_parser = parse_parallelism)]
    pub parallelism: usize,
    #[arg(long, default_value = "0s")]
    pub lock_timeout: String,
    #[arg(long, default_value = "true", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub input: bool,
    /// Take the state lock (default). --lock=false runs unlocked, with a warning.
    #[arg(long, default_value = "true", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub lock: bool,
    /// --var and --var-file as they were interleaved on the command line (filled in after
    /// parsing: clap keeps the two lists apart).
    #[arg(skip)]
    pub var_order: Vec<VarArg>,
}

impl PlanArgs {
    /// `--var` and `--var-file` in command-line order, as Terraform applies them (the later
    /// wins). Built without a command line (import, capture), files come before values.
    pub fn var_args(&self) -> Vec<VarArg> {
        if !self.var_order.is_empty() {
            return self.var_order.clone();
        }
        let files = self.var_files.iter().cloned().map(VarArg::File);
        files
            .chain(self.vars.iter().cloned().map(VarArg::Var))
            .collect()
    }

    /// Records the command line's order of `--var` and `--var-file` from clap's indices.
    fn order_vars(&mut self, m: &clap::ArgMatches) {
        let mut all: Vec<(usize, VarArg)> = Vec::new();
        if let Some(idx) = m.indices_of("vars") {
            all.extend(idx.zip(self.vars.iter().cloned().map(VarArg::Var)));
        }
        if let Some(idx) = m.indices_of("var_files") {
            all.extend(idx.zip(self.var_files.iter().cloned().map(VarArg::File)));
        }
        all.sort_by_key(|(i, _)| *i);
        self.var_order = all.into_iter().map(|(_, v)| v).collect();
    }
}

/// `--parallelism 0` would start nothing and wait forever: refuse it when the flag is read.
fn parse_parallelism(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{s:?} is not a whole number")),
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check the configuration without touching the cloud or the state.
    Validate {
        #[arg(long)]
        json: bool,
    },
    /// Rewrite configuration files in the canonical style.
    Fmt {
        #[arg(long)]
        check: bool,
        #[arg(long)]
        diff: bool,
        files: Vec<PathBuf>,
    },
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make the changes (from a fresh plan, or exactly those of a saved plan).
    Apply {
        plan_file: Option<PathBuf>,
        #[command(flatten)]
        args: PlanArgs,
        #[arg(long)]
        auto_approve: bool,
    },
    /// Destroy everything this configuration manages.
    Destroy {
        #[command(flatten)]
        args: PlanArgs,
        #[arg(long)]
        auto_approve: bool,
    },
    /// Show the state or a saved plan.
    Show {
        plan_file: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// The resource graph, or with --ops the operation graph apply walks.
    Graph {
        #[arg(long)]
        ops: bool,
        #[arg(long, default_value = "dot")]
        format: String,
    },
    /// Outputs from the state.
    Output {
        name: Option<String>,
        #[arg(long)]
        json: bool,
        #[arg(long)]
        raw: bool,
    },
    /// Inspect and edit the state.
    #[command(subcommand)]
    State(StateCmd),
    /// Adopt an existing cloud object into state under ADDR (which the configuration declares).
    Import {
        address: String,
        id: String,
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
    },
    /// Render the guest OS network configuration for secondary IPs.
    GuestConfig {
        #[arg(long)]
        instance: Option<String>,
        #[arg(long)]
        os: Option<String>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The embedded simulator.
    #[command(subcommand)]
    Sim(SimCmd),
    /// Prepare the backend: check it, create its schema and tables if missing (safe to repeat).
    Init {
        /// Copy the local state (every workspace) into the configured backend.
        #[arg(long)]
        migrate_state: bool,
        /// Accepted for Terraform's pipelines; init never asks.
        #[arg(long, default_value = "true", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
        input: bool,
    },
    /// Workspaces: one state per workspace, in the same backend.
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
    /// Take over a lock whose holder is gone (killed, or cut off past its lease).
    ForceUnlock {
        id: String,
        /// Accepted for Terraform's pipelines; force-unlock never asks.
        #[arg(long)]
        force: bool,
    },
    /// netform's version, the commit it was built from and the platform.
    Version {
        #[arg(long)]
        json: bool,
    },
    /// A shell completion script on stdout (e.g. netform completions bash > /etc/bash_completion.d/netform).
    Completions { shell: clap_complete::Shell },
    /// The man page on stdout, or with --out DIR one page per command.
    Man {
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

impl Command {
    /// The plan flags of plan, apply and destroy.
    fn plan_args_mut(&mut self) -> Option<&mut PlanArgs> {
        match self {
            Command::Plan(a)
            | Command::Apply { args: a, .. }
            | Command::Destroy { args: a, .. } => Some(a),
            _ => None,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum WorkspaceCmd {
    List,
    New {
        name: String,
    },
    Select {
        name: String,
        /// Create it when it does not exist.
        #[arg(long)]
        or_create: bool,
    },
    Show,
    Delete {
        name: String,
        /// Delete even if its state still manages resources.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum StateCmd {
    List,
    Show {
        address: String,
    },
    Rm {
        addresses: Vec<String>,
    },
    Mv {
        from: String,
        to: String,
    },
    /// Print the stored state (or the version with --serial N).
    Pull {
        #[arg(long)]
        serial: Option<u64>,
    },
    /// Store FILE as the state (same lineage, serial not older; --force skips the checks).
    Push {
        file: PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// The versions kept: serial, when, who, operation and change counts.
    History {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum SimCmd {
    /// The simulated cloud: ENIs and EIPs.
    Show,
    /// Start over from the world.
    Reset,
    /// One API action on the simulated cloud, as another client would make it.
    Call { action: String, params: Vec<String> },
    /// Serve the simulated cloud over Alibaba's signed RPC protocol.
    Serve {
        /// Address to listen on (loopback by default).
        #[arg(long, default_value = "127.0.0.1:8765")]
        listen: String,
        /// The world to seed a new simulated cloud from. Default: --simulator, else the
        /// configuration's simulator { world = … }, else the built-in world.
        #[arg(long)]
        world: Option<PathBuf>,
        /// An accepted key pair, ID=SECRET, or ID=SECRET:TOKEN[@EXPIRY] for temporary (STS)
        /// credentials whose requests must carry that security token (repeatable). Default: the
        /// ALIBABA_CLOUD_ACCESS_KEY_* variables (and ALIBABA_CLOUD_SECURITY_TOKEN), else
        /// netform-sim=netform-sim-secret.
        #[arg(long = "access-key", value_name = "ID=SECRET[:TOKEN]")]
        access_keys: Vec<String>,
        /// Append every answered request (product, action, parameters, answer) to FILE as one
        /// JSON line.
        #[arg(long, value_name = "FILE")]
        record: Option<PathBuf>,
    },
    /// Read the account the provider block points at (the real cloud, or an endpoint such as
    /// `sim serve`) into a world file for the simulator.
    Capture {
        /// The world file to write (relative to the configuration directory).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
        #[arg(long = "var-file", value_name = "FILE")]
        var_files: Vec<PathBuf>,
    },
}

/// How a run ends.
pub struct Exit(pub i32);

struct Ctx {
    dir: PathBuf,
    cli_state: Option<PathBuf>,
    simulator: Option<String>,
    backend_config: Vec<String>,
    /// The selected workspace, and the environment variable that chose it, if one did.
    workspace: String,
    workspace_var: Option<&'static str>,
    style: Style,
    err_style: Style,
}

/// Diagnostics on stderr (the printer decides colour, so the style is not needed).
fn eprint_diags(diags: &[Diagnostic], sources: &Sources, _st: Style) {
    ui().diags(diags, sources);
}

/// Diagnostics on stderr, or as `diagnostic` events on stdout with `--json`: the printer knows
/// which mode the command is in.
fn report_diags(diags: &[Diagnostic], sources: &Sources, _st: Style, _json: bool) {
    ui().diags(diags, sources);
}

fn user_error(msg: impl Into<String>, help: impl Into<String>, _st: Style) -> Exit {
    ui().error(msg, help);
    Exit(1)
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, mul) = if let Some(n) = s.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (s, 1.0)
    };
    num.parse::<f64>()
        .map(|n| Duration::from_secs_f64(n * mul))
        .map_err(|_| format!("invalid duration \"{s}\": write e.g. 30s, 2m"))
}

impl Ctx {
    /// The selected workspace's state in the configured backend (or `--state FILE`), for a
    /// command that has not loaded the configuration.
    fn store(&self) -> Result<Store, Exit> {
        team::store(self)
    }

    /// The same, for a command that has loaded `cfg`.
    fn store_for(&self, cfg: &Config) -> Result<Store, Exit> {
        team::open_store(self, cfg.backend.as_ref())
    }

    fn load(&self) -> Result<Config, Exit> {
        config::load_dir(&self.dir).map_err(|f| {
            report_diags(&f.diags.0, &f.sources, self.err_style, ui().json_events());
            Exit(1)
        })
    }

    fn vars(
        &self,
        cfg: &mut Config,
        a: &PlanArgs,
    ) -> Result<std::collections::BTreeMap<String, Value>, Exit> {
        let inputs = VarInputs {
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
        let mut inputs = inputs;
        let sources_before = cfg.sources.files().len();
        match config::vars::resolve(cfg, &inputs) {
            Ok(v) => Ok(v),
            // On a terminal, with --input (the default), ask for what is missing, as Terraform does.
            Err(d)
                if a.input
                    && !ui().json_events()
                    && std::io::stdin().is_terminal()
                    && d.0
                        .iter()
                        .all(|x| x.summary.starts_with("no value for required variable")) =>
            {
                for name in cfg.variables.keys().cloned().collect::<Vec<_>>() {
                    if !d
                        .0
                        .iter()
                        .any(|x| x.summary == format!("no value for required variable \"{name}\""))
                    {
                        continue;
                    }
                    let desc = cfg
                        .variables
                        .get(&name)
                        .and_then(|v| v.description.clone())
                        .unwrap_or_default();
                    let line = ui().ask(&format!("var.{name}\n  {desc}\n\n  Enter a value: "));
                    inputs.args.push(VarArg::Var(format!("{name}={line}")));
                    ui().human("\n");
                }
                cfg.sources.truncate(sources_before);
                config::vars::resolve(cfg, &inputs).map_err(|d| {
                    report_diags(&d.0, &cfg.sources, self.err_style, ui().json_events());
                    Exit(1)
                })
            }
            Err(d) => {
                report_diags(&d.0, &cfg.sources, self.err_style, ui().json_events());
                Err(Exit(1))
            }
        }
    }

    /// The cloud the configuration selects (provider::configure), its problems rendered here.
    fn clouds(
        &self,
        cfg: &Config,
        vars: &std::collections::BTreeMap<String, Value>,
    ) -> Result<Clouds, Exit> {
        match configure::clouds(cfg, vars, self.simulator.as_deref(), &self.dir) {
            Ok(a) => {
                report_diags(
                    &a.warnings,
                    &cfg.sources,
                    self.err_style,
                    ui().json_events(),
                );
                Ok(a.clouds)
            }
            Err(f) => Err(self.provider_failure(f, &cfg.sources)),
        }
    }

    /// Renders why the provider could not be assembled; a bug exits 101.
    fn provider_failure(&self, f: configure::Failure, sources: &Sources) -> Exit {
        match f {
            configure::Failure::Config(d) => {
                eprint_diags(&d, sources, self.err_style);
                Exit(1)
            }
            configure::Failure::Internal(what) => {
                errln!(ui(), "internal error: {what}");
                Exit(101)
            }
        }
    }

    /// The world file the simulator is seeded from (provider::configure::world_path).
    fn world_path(
        &self,
        cfg: Option<&Config>,
        scope: &crate::config::eval::Scope,
    ) -> Result<Option<PathBuf>, Exit> {
        configure::world_path(self.simulator.as_deref(), cfg, scope).map_err(|f| {
            let none = Sources::default();
            self.provider_failure(f, cfg.map_or(&none, |c| &c.sources))
        })
    }
}

fn persist_sim(ctx: &Ctx, clouds: &Clouds) {
    if let Some(sim) = &clouds.sim
        && let Err(e) = sim.persist()
    {
        eprint_diags(
            &[Diagnostic::error(e.to_string())],
            &Sources::default(),
            ctx.err_style,
        );
    }
}

fn read_state(ctx: &Ctx, store: &mut Store) -> Result<Option<State>, Exit> {
    store
        .read()
        .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))
}

fn plan_options(a: &PlanArgs, destroy: bool, ctx: &Ctx) -> Result<PlanOptions, Exit> {
    let parse = |v: &[String]| -> Result<Vec<Address>, Exit> {
        v.iter()
            .map(|s| {
                Address::parse(s).map_err(|e| {
                    user_error(
                        e,
                        "addresses look like TYPE.NAME, TYPE.NAME[0] or TYPE.NAME[\"key\"]",
                        ctx.err_style,
                    )
                })
            })
            .collect()
    };
    Ok(PlanOptions {
        destroy: destroy || a.destroy,
        refresh: a.refresh,
        refresh_only: a.refresh_only,
        targets: parse(&a.target)?,
        excludes: parse(&a.exclude)?,
        replace: parse(&a.replace)?,
        offline: false,
    })
}

/// Plans, reporting diagnostics; shared by plan, apply and destroy.
struct Planned {
    cfg: Config,
    clouds: Clouds,
    plan: Plan,
    store: Store,
}

/// Plans under the state lock, taken for `operation`. Everything the plan reads (the state, the
/// journal, the simulator's cloud) is read after the lock is held, never before: a second run
/// waiting on `--lock-timeout` must see what the first one did.
fn make_plan(ctx: &Ctx, a: &PlanArgs, destroy: bool, operation: &str) -> Result<Planned, Exit> {
    ui().set_json_events(a.json);
    ui().set_machine(a.json || a.format != "human");
    let mut cfg = ctx.load()?;
    let mut vars = ctx.vars(&mut cfg, a)?;
    if let Some(f) = &a.generate_config_out {
        generate_config(ctx, &cfg, &vars, f)?;
        cfg = ctx.load()?;
        vars = ctx.vars(&mut cfg, a)?;
    }
    let opts = plan_options(a, destroy, ctx)?;
    let mut store = ctx.store_for(&cfg)?;
    let timeout = parse_duration(&a.lock_timeout)
        .map_err(|e| user_error(e, "pass --lock-timeout 30s", ctx.err_style))?;
    if a.lock {
        store
            .lock(timeout, operation)
            .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
    } else {
        ui().warning(
            "running without the state lock (--lock=false): another run changing this state at the same time can lose changes",
        );
    }
    let prior = read_state(ctx, &mut store)?;
    let clouds = ctx.clouds(&cfg, &vars)?;
    let writes = matches!(operation, "apply" | "destroy");
    let prior = settle_pending(ctx, &mut store, prior, &clouds, writes)?;
    let plan = plan::plan(
        plan::Inputs {
            cfg: &cfg,
            vars,
            prior,
            clouds: &clouds,
        },
        opts,
    )
    .map_err(|d| {
        report_diags(&d.0, &cfg.sources, ctx.err_style, a.json);
        Exit(1)
    })?;
    if !plan.warnings.is_empty() {
        report_diags(&plan.warnings.0, &cfg.sources, ctx.err_style, a.json);
    }
    warn_unmatched_replace(&plan);
    Ok(Planned {
        cfg,
        clouds,
        plan,
        store,
    })
}

/// Settles the operations a crashed or failed run left pending (`apply::reconcile`) before
/// anything is planned. An apply or destroy records what it finds and folds the crashed run's
/// journal into the state file, so the serial moves on and this run's ClientTokens are new;
/// a plan only looks, in memory.
fn settle_pending(
    ctx: &Ctx,
    store: &mut Store,
    prior: Option<State>,
    clouds: &Clouds,
    writes: bool,
) -> Result<Option<State>, Exit> {
    use crate::apply::reconcile::{Mode, reconcile};
    let Some(mut state) = prior else {
        return Ok(None);
    };
    let fail = |e: &dyn std::fmt::Display| {
        user_error(
            e.to_string(),
            "the state and its journal are unchanged; run again",
            ctx.err_style,
        )
    };
    let done = if writes && !state.pending.is_empty() {
        let mut journal = store.journal(&state.lineage).map_err(|e| fail(&e))?;
        reconcile(&mut state, clouds, Mode::Apply(&mut journal)).map_err(|e| fail(&e))?
    } else {
        reconcile(&mut state, clouds, Mode::Look).map_err(|e| fail(&e))?
    };
    let settled = done.adopted.len() + done.not_done.len();
    if settled > 0 && !ui().json_events() {
        errln!(
            ui(),
            "Settled {settled} operation(s) an interrupted run left pending: {} done by the cloud (now in state), {} not done (planned again).",
            done.adopted.len(),
            done.not_done.len()
        );
    }
    if writes && store.has_journal() {
        let stored = state.clone();
        store
            .write(&mut state, Some(&stored))
            .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
    }
    Ok(Some(state))
}

/// `--replace ADDR` that matches no instance in the plan replaces nothing: say so, rather than
/// let a typo pass for a replacement.
fn warn_unmatched_replace(plan: &Plan) {
    for r in &plan.options.replace {
        if !plan.changes.iter().any(|c| r.matches(&c.address)) {
            ui().warning(format!(
                "--replace {r} matches no resource instance: nothing is replaced for it"
            ));
        }
    }
}

/// `--generate-config-out=FILE`: resource blocks for the import targets not declared, written
/// before planning so that the plan includes them.
fn generate_config(
    ctx: &Ctx,
    cfg: &Config,
    vars: &std::collections::BTreeMap<String, Value>,
    f: &std::path::Path,
) -> Result<(), Exit> {
    let clouds = ctx.clouds(cfg, vars)?;
    let scope = crate::config::eval::Scope {
        vars: vars.clone(),
        ..Default::default()
    };
    let path = ctx.dir.join(f);
    match plan::import::generate_config(cfg, &scope, &clouds, &path) {
        Ok(n) => {
            humanln!(
                ui(),
                "Wrote configuration for {n} imported resource(s) to {}.\n",
                f.display()
            );
            Ok(())
        }
        Err(e) => Err(user_error(
            e,
            "choose a new file name, and check the import blocks' ids",
            ctx.err_style,
        )),
    }
}

fn cmd_plan(ctx: &Ctx, a: &PlanArgs) -> Result<Exit, Exit> {
    if a.json {
        apply_view::version_event(ui());
    }
    let p = make_plan(ctx, a, false, "plan")?;
    show_plan(ctx, &p, a)?;
    if let Some(f) = &a.out {
        let path = if f.is_absolute() {
            f.clone()
        } else {
            ctx.dir.join(f)
        };
        let saved = plan::saved::save(&p.plan, &p.cfg, a);
        if let Err(e) = crate::state::write_atomic(&path, saved.as_bytes()) {
            return Err(user_error(
                format!("cannot write the plan file {}: {e}", path.display()),
                "check the directory exists and is writable",
                ctx.err_style,
            ));
        }
        if !a.json {
            humanln!(ui(), "\nSaved the plan to: {}", f.display());
            // Terraform leaves out what to type next when a pipeline, not a person, runs it.
            if std::env::var_os("TF_IN_AUTOMATION").is_none_or(|v| v.is_empty()) {
                humanln!(
                    ui(),
                    "\nTo perform exactly these actions, run:\n  netform apply {}",
                    f.display()
                );
            }
        }
    }
    if a.detailed_exitcode && p.plan.has_changes() {
        return Ok(Exit(2));
    }
    Ok(Exit(0))
}

/// The plan in the format asked for: `--json` events, or `--format human|json|markdown` on
/// stdout.
fn show_plan(ctx: &Ctx, p: &Planned, a: &PlanArgs) -> Result<(), Exit> {
    if a.json {
        apply_view::plan_events(&p.plan, ui());
        return Ok(());
    }
    let text = match a.format.as_str() {
        "json" => {
            serde_json::to_string_pretty(&render::json::plan(&p.plan, &p.cfg.sources))
                .unwrap_or_default()
                + "\n"
        }
        "markdown" => render::markdown::render(&p.plan),
        "human" => render::plan::render(&p.plan, ui().style()),
        other => {
            return Err(user_error(
                format!("unknown --format \"{other}\""),
                "use human, json or markdown",
                ctx.err_style,
            ));
        }
    };
    ui().out(&text);
    Ok(())
}

fn confirm(ctx: &Ctx, what: &str) -> Result<bool, Exit> {
    if !std::io::stdin().is_terminal() {
        return Err(user_error(
            format!("{what} needs confirmation, and there is no terminal to ask on"),
            "pass --auto-approve, or apply a saved plan file (netform plan --out FILE; netform apply FILE)",
            ctx.err_style,
        ));
    }
    let line = ui().ask(
        "\nDo you want to perform these actions?\n  netform will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ",
    );
    Ok(line.trim() == "yes")
}

/// A flag Ctrl-C sets; apply then finishes what is in flight, records it, and stops.
fn interrupt_flag() -> Arc<std::sync::atomic::AtomicBool> {
    let flag = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let f = flag.clone();
    let _ = ctrlc::set_handler(move || {
        if f.swap(true, std::sync::atomic::Ordering::SeqCst) {
            // A second Ctrl-C: stop now; the journal already holds every completed operation.
            std::process::exit(130);
        }
        errln!(
            ui(),
            "\nInterrupt received: finishing the operations in flight, then stopping. Press Ctrl-C again to stop at once."
        );
    });
    flag
}

fn run_apply(ctx: &Ctx, planned: Planned, a: &PlanArgs) -> Result<Exit, Exit> {
    let Planned {
        cfg,
        clouds,
        plan,
        mut store,
    } = planned;
    let res = {
        let mut view = apply_view::ApplyView::new(ui(), &plan, a.json);
        apply::apply(
            &cfg,
            &plan,
            &clouds,
            &mut store,
            &apply::Options {
                parallelism: a.parallelism,
                cancel: Some(interrupt_flag()),
            },
            &mut |e| view.on_event(e),
        )
    };
    persist_sim(ctx, &clouds);
    let report = match res {
        Ok(r) => r,
        Err(e) => {
            return Err(user_error(
                e.to_string(),
                "the state journal keeps every completed operation; run netform plan to see where things stand",
                ctx.err_style,
            ));
        }
    };
    if !report.warnings.is_empty() {
        report_diags(&report.warnings, &cfg.sources, ctx.err_style, a.json);
    }
    if !report.ok() {
        report_apply_failure(&report, &plan, &cfg.sources);
        return Err(Exit(1));
    }
    apply_view::summary(
        ui(),
        a.json,
        plan.options.destroy,
        (report.added, report.changed, report.destroyed),
        report.state.as_ref(),
    );
    Ok(Exit(0))
}

/// Why an apply stopped short: interrupted, or which operations failed and what was skipped.
fn report_apply_failure(report: &apply::Report, plan: &Plan, sources: &Sources) {
    if report.failed.is_empty() {
        let not_started = plan.ops.len().saturating_sub(report.completed.len());
        ui().diags(
            &[Diagnostic::error(format!(
                "apply was interrupted: {} operation(s) done and recorded in state, {not_started} not started",
                report.completed.len()
            ))
            .with_help("run netform apply again to finish; netform plan shows what is left")],
            sources,
        );
        return;
    }
    let mut diags = Vec::new();
    for (op, e) in &report.failed {
        let mut d = Diagnostic::error(format!("{op} failed: {}: {}", e.code, e.message));
        if let Some(r) = e.rule() {
            d = d.with_rule(r);
        }
        let detail = format!(
            "RequestId: {}{}\ndone: {} operation(s); failed: {}; not done (skipped): {}",
            e.request_id,
            e.recommend
                .as_ref()
                .map(|r| format!("\nRecommend: {r}"))
                .unwrap_or_default(),
            report.completed.len(),
            report.failed.len(),
            if report.skipped.is_empty() {
                "none".to_string()
            } else {
                report.skipped.join(", ")
            }
        );
        diags.push(d.with_detail(detail).with_help("state records everything that completed; fix the cause and run netform apply again to finish"));
    }
    ui().diags(&diags, sources);
}

/// The first planning option set on a command line that applies a saved plan: they shape a
/// plan, so with a saved one they would be silently ignored (Terraform refuses them too).
fn planning_flag(a: &PlanArgs) -> Option<&'static str> {
    [
        (!a.vars.is_empty(), "--var"),
        (!a.var_files.is_empty(), "--var-file"),
        (!a.target.is_empty(), "--target"),
        (!a.exclude.is_empty(), "--exclude"),
        (!a.replace.is_empty(), "--replace"),
        (a.destroy, "--destroy"),
        (a.refresh_only, "--refresh-only"),
        (!a.refresh, "--refresh=false"),
    ]
    .into_iter()
    .find_map(|(set, flag)| set.then_some(flag))
}

fn cmd_apply(
    ctx: &Ctx,
    plan_file: Option<&Path>,
    a: &PlanArgs,
    auto: bool,
    destroy: bool,
) -> Result<Exit, Exit> {
    if a.json {
        ui().set_json_events(true);
        apply_view::version_event(ui());
    }
    if let Some(f) = plan_file {
        if let Some(flag) = planning_flag(a) {
            return Err(user_error(
                format!("{flag} cannot be used when applying a saved plan"),
                "the saved plan already holds what was planned with its variables and options; plan again with the flag (netform plan --out FILE …), then apply that file",
                ctx.err_style,
            ));
        }
        let p = plan::saved::load_and_replan(ctx_dir(ctx), f, ctx.store()?, &mut |cfg, args| {
            let vars = ctx.vars(cfg, args)?;
            let clouds = ctx.clouds(cfg, &vars)?;
            Ok((vars, clouds))
        })
        .map_err(|e| match e {
            plan::saved::LoadError::Exit(code) => Exit(code),
            plan::saved::LoadError::User(msg, help) => user_error(msg, help, ctx.err_style),
            plan::saved::LoadError::Diagnostics(d, sources) => {
                report_diags(&d.0, &sources, ctx.err_style, a.json);
                Exit(1)
            }
        })?;
        for w in &p.warnings {
            eprint_diags(
                &[Diagnostic::warning(w.clone())],
                &Sources::default(),
                ctx.err_style,
            );
        }
        let planned = Planned {
            cfg: p.cfg,
            clouds: p.clouds,
            plan: p.plan,
            store: p.store,
        };
        return run_apply(ctx, planned, a);
    }
    let p = make_plan(ctx, a, destroy, if destroy { "destroy" } else { "apply" })?;
    show_plan(ctx, &p, a)?;
    if !p.plan.has_changes() {
        // A crashed run's journal was folded into the state file before planning
        // (`settle_pending`), so the serial has moved on even when there is nothing to do.
        // Terraform ends a run with nothing to do the same way as any other.
        let state = p.plan.stored.clone();
        apply_view::summary(ui(), a.json, destroy, (0, 0, 0), state.as_ref());
        return Ok(Exit(0));
    }
    if !auto && !confirm(ctx, if destroy { "destroy" } else { "apply" })? {
        humanln!(ui(), "\nApply cancelled.");
        return Err(Exit(1));
    }
    if !a.json {
        humanln!(ui());
    }
    run_apply(ctx, p, a)
}

fn ctx_dir(ctx: &Ctx) -> &Path {
    &ctx.dir
}

fn cmd_validate(ctx: &Ctx, json: bool) -> Result<Exit, Exit> {
    let (diags, sources) = match config::load_dir(&ctx.dir) {
        Err(f) => (f.diags, f.sources),
        Ok(cfg) => {
            let inputs = VarInputs {
                env: VarInputs::from_env(),
                ..Default::default()
            };
            config::validate_config(cfg, &inputs)
        }
    };
    let errors = diags.error_count();
    if json {
        let j = serde_json::json!({
            "format_version": "1.0",
            "valid": errors == 0,
            "error_count": errors,
            "warning_count": diags.warning_count(),
            "diagnostics": diags.0.iter().map(|d| sources.diagnostic_json(d)).collect::<Vec<_>>(),
        });
        outln!(
            ui(),
            "{}",
            serde_json::to_string_pretty(&j).unwrap_or_default()
        );
    } else {
        eprint_diags(&diags.0, &sources, ctx.err_style);
        if errors == 0 {
            outln!(
                ui(),
                "{}",
                ctx.style.green("Success! The configuration is valid.")
            );
        }
    }
    Ok(Exit(if errors == 0 { 0 } else { 1 }))
}

fn cmd_fmt(ctx: &Ctx, check: bool, diff: bool, files: &[PathBuf]) -> Result<Exit, Exit> {
    let mut paths: Vec<PathBuf> = if files.is_empty() {
        std::fs::read_dir(&ctx.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|e| e == "hcl" || e == "tfvars"))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        files
            .iter()
            .map(|f| {
                if f.is_absolute() {
                    f.clone()
                } else {
                    ctx.dir.join(f)
                }
            })
            .collect()
    };
    paths.sort();
    let mut changed = false;
    let mut failed = false;
    for p in paths {
        let shown = p.strip_prefix(&ctx.dir).unwrap_or(&p).display().to_string();
        let src = match std::fs::read_to_string(&p) {
            Ok(s) => s,
            Err(e) => {
                eprint_diags(
                    &[Diagnostic::error(format!("cannot read {shown}: {e}"))],
                    &Sources::default(),
                    ctx.err_style,
                );
                failed = true;
                continue;
            }
        };
        match crate::fmt::format_source(&src) {
            Ok(new) if new != src => {
                changed = true;
                outln!(ui(), "{shown}");
                if diff {
                    let d = similar::TextDiff::from_lines(&src, &new);
                    ui().out(
                        &d.unified_diff()
                            .header(&format!("old/{shown}"), &format!("new/{shown}"))
                            .to_string(),
                    );
                }
                if !check && let Err(e) = crate::state::write_atomic(&p, new.as_bytes()) {
                    eprint_diags(
                        &[Diagnostic::error(format!("cannot write {shown}: {e}"))],
                        &Sources::default(),
                        ctx.err_style,
                    );
                    failed = true;
                }
            }
            Ok(_) => {}
            Err(crate::fmt::FmtError::Parse {
                message,
                line,
                column,
            }) => {
                let mut s = Sources::default();
                let f = s.add(shown.clone(), src.clone());
                let byte = src
                    .split_inclusive('\n')
                    .take(line.saturating_sub(1))
                    .map(str::len)
                    .sum::<usize>()
                    + column.saturating_sub(1);
                eprint_diags(
                    &[Diagnostic::error(format!(
                        "syntax error: {}",
                        message.lines().next().unwrap_or("")
                    ))
                    .at(Some(crate::diag::SourceRange {
                        file: f,
                        start: byte,
                        end: (byte + 1).min(src.len()),
                    }))
                    .with_help("fix the syntax; fmt changes nothing in a file it cannot parse")],
                    &s,
                    ctx.err_style,
                );
                failed = true;
            }
        }
    }
    if failed {
        return Ok(Exit(1));
    }
    Ok(Exit(if check && changed { 3 } else { 0 }))
}

fn state_or_empty(ctx: &Ctx) -> Result<State, Exit> {
    Ok(read_state(ctx, &mut ctx.store()?)?.unwrap_or_else(|| State::new(String::new())))
}

fn cmd_show(ctx: &Ctx, plan_file: Option<&Path>, json: bool) -> Result<Exit, Exit> {
    if let Some(f) = plan_file {
        let text = std::fs::read_to_string(ctx.dir.join(f)).map_err(|e| {
            user_error(
                format!("cannot read the plan file {}: {e}", f.display()),
                "check the path",
                ctx.err_style,
            )
        })?;
        let j: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            user_error(
                format!("{} is not a netform plan file: {e}", f.display()),
                "make one with netform plan --out FILE",
                ctx.err_style,
            )
        })?;
        if json {
            outln!(
                ui(),
                "{}",
                serde_json::to_string_pretty(j.get("plan").unwrap_or(&j)).unwrap_or_default()
            );
        } else {
            outln!(
                ui(),
                "{}",
                j.get("rendered").and_then(|v| v.as_str()).unwrap_or("")
            );
        }
        return Ok(Exit(0));
    }
    let s = state_or_empty(ctx)?;
    let sensitive = sensitive_attributes(ctx);
    if json {
        outln!(
            ui(),
            "{}",
            serde_json::to_string_pretty(&state_view::json(&s, &sensitive)).unwrap_or_default()
        );
        return Ok(Exit(0));
    }
    if s.resources.is_empty() {
        outln!(ui(), "The state is empty. No resources are represented.");
        return Ok(Exit(0));
    }
    ui().out(&state_view::render(&s, &sensitive));
    Ok(Exit(0))
}

/// What the configuration beside the state marks sensitive (nothing when it does not load).
fn sensitive_attributes(ctx: &Ctx) -> state_view::Sensitive {
    config::load_dir(&ctx.dir)
        .map(|c| plan::sensitive_attributes(&c))
        .unwrap_or_default()
}

fn cmd_output(ctx: &Ctx, name: Option<&str>, json: bool, raw: bool) -> Result<Exit, Exit> {
    let s = state_or_empty(ctx)?;
    match name {
        Some(n) => {
            let Some(o) = s.outputs.get(n) else {
                return Err(user_error(
                    format!("output \"{n}\" not found"),
                    "the state has no such output: check the name, or run netform apply first",
                    ctx.err_style,
                ));
            };
            if json {
                outln!(ui(), "{}", o.value);
            } else if raw {
                match Value::from_json(&o.value).coerce_string() {
                    Some(v) => ui().out(&v),
                    None => {
                        return Err(user_error(
                            format!("output \"{n}\" is not a string, number or bool"),
                            "use --json for structured values",
                            ctx.err_style,
                        ));
                    }
                }
            } else {
                outln!(ui(), "{}", Value::from_json(&o.value));
            }
        }
        None => {
            if json {
                outln!(
                    ui(),
                    "{}",
                    serde_json::to_string_pretty(&state_view::outputs(&s)).unwrap_or_default()
                );
            } else {
                for (k, o) in &s.outputs {
                    let v = if o.sensitive {
                        "<sensitive>".into()
                    } else {
                        Value::from_json(&o.value).to_string()
                    };
                    outln!(ui(), "{k} = {v}");
                }
            }
        }
    }
    Ok(Exit(0))
}

/// `import ADDR ID`: reads the object from the cloud and records it in state, so the next plan
/// diffs it against the configuration instead of creating a second one.
fn cmd_import(ctx: &Ctx, address: &str, id: &str, vars: &[String]) -> Result<Exit, Exit> {
    let addr = Address::parse(address).map_err(|e| {
        user_error(
            e,
            "addresses look like TYPE.NAME or TYPE.NAME[0]",
            ctx.err_style,
        )
    })?;
    let mut cfg = ctx.load()?;
    let Some(r) = cfg.resource_at(&addr).cloned() else {
        return Err(user_error(
            format!("{addr} is not declared in the configuration"),
            format!(
                "add a resource \"{}\" \"{}\" {{ … }} block first, then import into it",
                addr.ty, addr.name
            ),
            ctx.err_style,
        ));
    };
    let a = PlanArgs {
        vars: vars.to_vec(),
        ..Default::default()
    };
    let vals = ctx.vars(&mut cfg, &a)?;
    let mut store = ctx.store_for(&cfg)?;
    store
        .lock(Duration::ZERO, "import")
        .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
    let prior = read_state(ctx, &mut store)?;
    let clouds = ctx.clouds(&cfg, &vals)?;
    let mut state = prior
        .clone()
        .unwrap_or_else(|| State::new(crate::state::new_lineage()));
    if state.resources.contains_key(&addr) {
        return Err(user_error(
            format!("{addr} is already in state"),
            format!("netform state rm {addr} first to import another object there"),
            ctx.err_style,
        ));
    }
    let deps = crate::graph::build(&cfg)
        .map(|g| g.resource_deps(&crate::graph::Node::Resource(addr.resource_key())))
        .unwrap_or_default();
    let inst =
        crate::plan::import::import(&addr, r.kind.kind, id, r.provider.clone(), deps, &clouds)
            .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
    state.resources.insert(addr.clone(), inst);
    store
        .write(&mut state, prior.as_ref())
        .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
    outln!(
        ui(),
        "{addr}: Import prepared!\n  Prepared {} for import\n\nImport successful!\n\nThe resource is now in netform's state; run netform plan to see how it compares with the configuration.",
        r.ty
    );
    Ok(Exit(0))
}

fn cmd_state(ctx: &Ctx, c: &StateCmd) -> Result<Exit, Exit> {
    if matches!(
        c,
        StateCmd::Pull { .. } | StateCmd::Push { .. } | StateCmd::History { .. }
    ) {
        return team::cmd_state(ctx, c);
    }
    let mut store = ctx.store()?;
    match c {
        StateCmd::List => {
            for a in state_or_empty(ctx)?.resources.keys() {
                outln!(ui(), "{a}");
            }
        }
        StateCmd::Show { address } => {
            let a = Address::parse(address)
                .map_err(|e| user_error(e, "addresses look like TYPE.NAME[0]", ctx.err_style))?;
            let s = state_or_empty(ctx)?;
            let Some(i) = s.resources.get(&a) else {
                return Err(user_error(
                    format!("no instance {a} in state"),
                    "netform state list shows what is there",
                    ctx.err_style,
                ));
            };
            let mut one = State::new(s.lineage.clone());
            one.resources.insert(a, i.clone());
            ui().out(&state_view::render(&one, &sensitive_attributes(ctx)));
        }
        StateCmd::Rm { addresses } if addresses.is_empty() => {
            return Err(user_error(
                "state rm needs at least one address",
                "netform state rm TYPE.NAME[0]",
                ctx.err_style,
            ));
        }
        StateCmd::Rm { addresses } => {
            store
                .lock(Duration::ZERO, "state rm")
                .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
            let Some(prior) = read_state(ctx, &mut store)? else {
                return Err(user_error(
                    "there is no state",
                    "nothing to remove",
                    ctx.err_style,
                ));
            };
            let mut s = prior.clone();
            for a in addresses {
                let addr = Address::parse(a).map_err(|e| {
                    user_error(e, "addresses look like TYPE.NAME[0]", ctx.err_style)
                })?;
                let matching: Vec<Address> = s
                    .resources
                    .keys()
                    .filter(|k| addr.matches(k))
                    .cloned()
                    .collect();
                if matching.is_empty() {
                    return Err(user_error(
                        format!("no instance {addr} in state"),
                        "netform state list shows what is there; nothing was removed",
                        ctx.err_style,
                    ));
                }
                for m in matching {
                    s.resources.remove(&m);
                    outln!(ui(), "Removed {m}");
                }
                // An operation left pending on a forgotten address must not bring it back when
                // the next apply settles it.
                s.pending.retain(|_, i| !addr.matches(&i.operation.address));
            }
            store
                .write(&mut s, Some(&prior))
                .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
            outln!(
                ui(),
                "Successfully removed {} resource instance(s). They still exist in the cloud; netform no longer manages them.",
                prior.resources.len() - s.resources.len()
            );
        }
        StateCmd::Mv { from, to } => {
            store
                .lock(Duration::ZERO, "state mv")
                .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
            let Some(prior) = read_state(ctx, &mut store)? else {
                return Err(user_error(
                    "there is no state",
                    "nothing to move",
                    ctx.err_style,
                ));
            };
            let f = Address::parse(from)
                .map_err(|e| user_error(e, "addresses look like TYPE.NAME[0]", ctx.err_style))?;
            let t = Address::parse(to)
                .map_err(|e| user_error(e, "addresses look like TYPE.NAME[0]", ctx.err_style))?;
            if f.ty != t.ty {
                return Err(user_error(
                    format!("cannot move {f} to {t}: the types differ"),
                    "state mv renames; it cannot change a resource's type",
                    ctx.err_style,
                ));
            }
            let mut s = prior.clone();
            if s.resources.contains_key(&t) {
                return Err(user_error(
                    format!("{t} already exists in state"),
                    "remove or move it first",
                    ctx.err_style,
                ));
            }
            let Some(i) = s.resources.remove(&f) else {
                return Err(user_error(
                    format!("no instance {f} in state"),
                    "netform state list shows what is there",
                    ctx.err_style,
                ));
            };
            s.resources.insert(t.clone(), i);
            store
                .write(&mut s, Some(&prior))
                .map_err(|e| user_error(e.to_string(), e.help(), ctx.err_style))?;
            outln!(
                ui(),
                "Move \"{f}\" to \"{t}\"\nSuccessfully moved 1 object(s)."
            );
        }
        StateCmd::Pull { .. } | StateCmd::Push { .. } | StateCmd::History { .. } => {}
    }
    Ok(Exit(0))
}

fn cmd_sim(ctx: &Ctx, c: &SimCmd) -> Result<Exit, Exit> {
    match c {
        SimCmd::Reset => {
            match Sim::reset(&ctx.dir) {
                Ok(true) => {
                    outln!(
                        ui(),
                        "The simulated cloud was reset; the next run starts from the world."
                    )
                }
                Ok(false) => outln!(
                    ui(),
                    "There is no simulated cloud here yet; nothing to reset."
                ),
                Err(e) => {
                    return Err(user_error(
                        format!(
                            "cannot remove {}: {e}",
                            crate::provider::sim::sim_dir(&ctx.dir).display()
                        ),
                        "check permissions",
                        ctx.err_style,
                    ));
                }
            }
            Ok(Exit(0))
        }
        SimCmd::Serve {
            listen,
            world,
            access_keys,
            record,
        } => cmd_serve(
            ctx,
            listen,
            world.as_deref(),
            access_keys,
            record.as_deref(),
        ),
        SimCmd::Capture {
            out,
            vars,
            var_files,
        } => cmd_capture(ctx, out, vars, var_files),
        SimCmd::Show | SimCmd::Call { .. } => {
            let cfg = config::load_dir(&ctx.dir).ok();
            let world = ctx.world_path(cfg.as_ref(), &Default::default())?;
            let sim = Sim::open(&ctx.dir, world.as_deref()).map_err(|e| {
                user_error(
                    e.to_string(),
                    "run netform sim reset to start over",
                    ctx.err_style,
                )
            })?;
            match c {
                SimCmd::Show => {
                    let j = sim
                        .with_cloud(crate::provider::sim::show)
                        .unwrap_or_default();
                    outln!(
                        ui(),
                        "{}",
                        serde_json::to_string_pretty(&j).unwrap_or_default()
                    );
                }
                SimCmd::Call { action, params } => {
                    let mut p = crate::provider::Params::new();
                    for kv in params {
                        let Some((k, v)) = kv.split_once('=') else {
                            return Err(user_error(
                                format!("invalid parameter \"{kv}\""),
                                "write Key=Value, e.g. NetworkInterfaceId=eni-…",
                                ctx.err_style,
                            ));
                        };
                        p.insert(k.to_string(), v.to_string());
                    }
                    let region = cfg
                        .as_ref()
                        .and_then(|c| c.providers.first())
                        .and_then(|p| p.attrs.iter().find(|a| a.name == "region"))
                        .and_then(|a| a.value.expr.as_str().map(str::to_string))
                        .unwrap_or_else(|| "cn-hangzhou".into());
                    p.entry("RegionId".into()).or_insert(region);
                    let res = sim.call(crate::provider::Product::of_action(action, &p), action, &p);
                    let _ = sim.persist();
                    match res {
                        Ok(j) => {
                            outln!(
                                ui(),
                                "{}",
                                serde_json::to_string_pretty(&j).unwrap_or_default()
                            )
                        }
                        Err(e) => {
                            outln!(
                                ui(),
                                "{}",
                                serde_json::json!({"Code": e.code, "Message": e.message, "RequestId": e.request_id})
                            );
                            return Ok(Exit(1));
                        }
                    }
                }
                _ => {}
            }
            Ok(Exit(0))
        }
    }
}

/// `sim capture`: the provider's account as a world file. Nothing is written unless the whole
/// account was read and makes a valid world.
fn cmd_capture(
    ctx: &Ctx,
    out: &Path,
    vars: &[String],
    var_files: &[PathBuf],
) -> Result<Exit, Exit> {
    let mut cfg = ctx.load()?;
    let args = PlanArgs {
        vars: vars.to_vec(),
        var_files: var_files.to_vec(),
        ..Default::default()
    };
    let values = ctx.vars(&mut cfg, &args)?;
    let clouds = ctx.clouds(&cfg, &values)?;
    let world = crate::provider::capture::capture(&clouds).map_err(|e| {
        user_error(
            format!("cannot capture the account: {e}"),
            "check the provider block's region and endpoint, and that the AccessKey may call Describe* actions",
            ctx.err_style,
        )
    })?;
    let path = if out.is_absolute() {
        out.to_path_buf()
    } else {
        ctx.dir.join(out)
    };
    let text = serde_json::to_string_pretty(&world).map_err(|e| {
        user_error(
            format!("cannot write the world: {e}"),
            "report this",
            ctx.err_style,
        )
    })?;
    write_file(&path, &(text + "\n")).map_err(|e| {
        user_error(
            format!("{e:#}"),
            "check the directory is writable",
            ctx.err_style,
        )
    })?;
    let regions: Vec<&str> = world.regions.iter().map(|r| r.id.as_str()).collect();
    outln!(
        ui(),
        "Captured {}: VPCs {}, vSwitches {}, security groups {}, instances {}, NAT gateways {}, HAVIPs {}, SLBs {}, instance types {}.",
        regions.join(", "),
        world.vpcs.len(),
        world.vswitches.len(),
        world.security_groups.len(),
        world.instances.len(),
        world.nat_gateways.len(),
        world.havips.len(),
        world.slbs.len(),
        world.limits.instance_types.len(),
    );
    outln!(
        ui(),
        "Wrote {}; use it with --simulator={} or simulator {{ world = \"…\" }}.",
        path.display(),
        out.display()
    );
    Ok(Exit(0))
}

/// The keys `sim serve` accepts: `--access-key ID=SECRET[:TOKEN[@EXPIRY]]` (repeatable), else
/// the `ALIBABA_CLOUD_ACCESS_KEY_ID`/`_SECRET` pair with `ALIBABA_CLOUD_SECURITY_TOKEN` when set
/// (what the client itself reads), else a fixed development pair.
fn serve_keys(
    ctx: &Ctx,
    specs: &[String],
) -> Result<std::collections::BTreeMap<String, crate::provider::sim::serve::AccessKey>, Exit> {
    use crate::provider::sim::serve::AccessKey;
    let mut map = std::collections::BTreeMap::new();
    for k in specs {
        let (id, key) = AccessKey::parse(k).map_err(|why| {
            // Only the id is echoed: the rest is a secret.
            let id = k.split('=').next().unwrap_or("");
            user_error(
                format!("invalid --access-key \"{id}=…\": {why}"),
                "write --access-key ID=SECRET, or ID=SECRET:TOKEN for temporary (STS) credentials",
                ctx.err_style,
            )
        })?;
        map.insert(id, key);
    }
    if map.is_empty() {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        match (
            var("ALIBABA_CLOUD_ACCESS_KEY_ID"),
            var("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
        ) {
            (Some(id), Some(secret)) => {
                let mut key = AccessKey::new(secret);
                key.security_token = var("ALIBABA_CLOUD_SECURITY_TOKEN");
                if id.starts_with("STS.") && key.security_token.is_none() {
                    return Err(user_error(
                        format!(
                            "{id} is a temporary (STS) AccessKeyId but ALIBABA_CLOUD_SECURITY_TOKEN is not set"
                        ),
                        "set ALIBABA_CLOUD_SECURITY_TOKEN, or give --access-key ID=SECRET:TOKEN",
                        ctx.err_style,
                    ));
                }
                map.insert(id, key);
            }
            _ => {
                map.insert("netform-sim".into(), AccessKey::new("netform-sim-secret"));
            }
        }
    }
    Ok(map)
}

/// The world `sim serve` seeds a new simulated cloud from: `--world` (relative to the
/// configuration directory), else what every other command uses (`--simulator`, else the
/// configuration's `simulator { world = … }`), else the built-in world.
fn serve_world(ctx: &Ctx, flag: Option<&Path>) -> Result<Option<PathBuf>, Exit> {
    if let Some(w) = flag {
        return Ok(Some(if w.is_absolute() {
            w.to_path_buf()
        } else {
            ctx.dir.join(w)
        }));
    }
    let cfg = config::load_dir(&ctx.dir).ok();
    ctx.world_path(cfg.as_ref(), &Default::default())
}

fn cmd_serve(
    ctx: &Ctx,
    listen: &str,
    world: Option<&Path>,
    keys: &[String],
    record: Option<&Path>,
) -> Result<Exit, Exit> {
    let map = serve_keys(ctx, keys)?;
    let world = serve_world(ctx, world)?;
    let sim = Sim::open(&ctx.dir, world.as_deref()).map_err(|e| {
        user_error(
            e.to_string(),
            "fix the world file, or run netform sim reset",
            ctx.err_style,
        )
    })?;
    for w in &sim.warnings {
        eprint_diags(
            &[Diagnostic::warning(w.clone())],
            &Sources::default(),
            ctx.err_style,
        );
    }
    let sim = Arc::new(sim);
    let record = match record {
        None => None,
        Some(p) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(ctx.dir.join(p))
                .map_err(|e| {
                    user_error(
                        format!("cannot open the record file {}: {e}", p.display()),
                        "pick a writable path for --record",
                        ctx.err_style,
                    )
                })?,
        ),
    };
    let listener = std::net::TcpListener::bind(listen).map_err(|e| {
        user_error(
            format!("cannot listen on {listen}: {e}"),
            "pick a free port, e.g. --listen 127.0.0.1:0",
            ctx.err_style,
        )
    })?;
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| listen.to_string());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let _ = ctrlc::set_handler(move || s2.store(true, std::sync::atomic::Ordering::SeqCst));
    outln!(
        ui(),
        "netform simulator listening on http://{addr} (keys: {})",
        map.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    let res =
        crate::provider::sim::serve::serve_recording(listener, sim.clone(), map, stop, record);
    let _ = sim.persist();
    match res {
        Ok(()) => {
            outln!(
                ui(),
                "stopped; the simulated cloud is saved in {}",
                crate::provider::sim::sim_dir(&ctx.dir).display()
            );
            Ok(Exit(0))
        }
        Err(e) => Err(user_error(
            format!("the simulator server failed: {e}"),
            "check the address and try again",
            ctx.err_style,
        )),
    }
}

fn cmd_graph(ctx: &Ctx, ops: bool, format: &str) -> Result<Exit, Exit> {
    let f = match format {
        "dot" => render::graph::Format::Dot,
        "mermaid" => render::graph::Format::Mermaid,
        other => {
            return Err(user_error(
                format!("unknown graph format \"{other}\""),
                "use dot or mermaid",
                ctx.err_style,
            ));
        }
    };
    if ops {
        let p = make_plan(
            ctx,
            &PlanArgs {
                refresh: true,
                parallelism: 10,
                lock_timeout: "0s".into(),
                format: "human".into(),
                ..Default::default()
            },
            false,
            "graph",
        )?;
        ui().out(&render::graph::operations(&p.plan.ops, f));
    } else {
        let cfg = ctx.load()?;
        let g = crate::graph::build(&cfg).map_err(|d| {
            eprint_diags(&d.0, &cfg.sources, ctx.err_style);
            Exit(1)
        })?;
        ui().out(&render::graph::resources(&g, f));
    }
    Ok(Exit(0))
}

fn cmd_guest(
    ctx: &Ctx,
    instance: Option<&str>,
    os: Option<&str>,
    out: Option<&Path>,
) -> Result<Exit, Exit> {
    let s = state_or_empty(ctx)?;
    let oses: Vec<crate::guest::Os> = match os {
        Some(o) => vec![crate::guest::Os::parse(o).ok_or_else(|| {
            user_error(
                format!("unknown --os \"{o}\""),
                "use rhel, debian, sles, netplan, windows or iproute2",
                ctx.err_style,
            )
        })?],
        None => crate::guest::Os::ALL.to_vec(),
    };
    let mut insts = crate::guest::from_state::instances(&s);
    if let Some(i) = instance {
        insts.retain(|x| x.instance_id == i);
        if insts.is_empty() {
            return Err(user_error(
                format!("no instance {i} with secondary addresses in state"),
                "netform state list shows what netform manages",
                ctx.err_style,
            ));
        }
    }
    let single = insts.len() == 1 && oses.len() == 1;
    match out {
        None if !single => Err(user_error(
            format!(
                "{} instance(s) × {} OS format(s) make several files",
                insts.len(),
                oses.len()
            ),
            "pass --out DIR, or pick one with --instance ID and --os NAME to print to stdout",
            ctx.err_style,
        )),
        None => {
            for f in crate::guest::render(&insts[0], oses[0]) {
                outln!(ui(), "# --- {} ---\n{}", f.path, f.contents);
            }
            Ok(Exit(0))
        }
        Some(dir) => {
            let dir = if dir.is_absolute() {
                dir.to_path_buf()
            } else {
                ctx.dir.join(dir)
            };
            let mut n = 0;
            for inst in &insts {
                for os in &oses {
                    for f in crate::guest::render(inst, *os) {
                        let p = dir.join(&inst.instance_id).join(os.name()).join(&f.path);
                        write_file(&p, &f.contents).map_err(|e| {
                            user_error(
                                format!("{e:#}"),
                                "check that the --out directory is writable",
                                ctx.err_style,
                            )
                        })?;
                        n += 1;
                    }
                }
            }
            outln!(ui(), "Wrote {n} file(s) under {}.", dir.display());
            Ok(Exit(0))
        }
    }
}

/// Writes one generated file, creating its folders; the error says which step failed on which path.
fn write_file(p: &Path, contents: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    crate::state::write_atomic(p, contents.as_bytes())
        .with_context(|| format!("cannot write {}", p.display()))
}

/// Terraform spells its long flags with one dash (`-auto-approve`, `-var=x=1`); accept those too.
/// Single-letter flags (`-C`) are left alone.
pub fn terraform_style_args(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = false;
    for a in args {
        if rest || a == "--" {
            rest = true;
            out.push(a);
            continue;
        }
        let name = a.split('=').next().unwrap_or("");
        let long_single = a.starts_with('-')
            && !a.starts_with("--")
            && name.len() > 2
            && name[1..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '-');
        out.push(if long_single { format!("-{a}") } else { a });
    }
    out
}

/// Terraform's `TF_CLI_ARGS` and `TF_CLI_ARGS_<command>` (and `NETFORM_CLI_ARGS…`): extra
/// arguments a pipeline sets once, inserted right after the command's name, so flags given on
/// the command line come later and win. Split on whitespace (no quoting).
fn with_env_args(args: Vec<String>) -> Vec<String> {
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let Some(at) = args.iter().skip(1).position(|a| names.contains(a)) else {
        return args;
    };
    let at = at + 1;
    let cmd = args[at].replace('-', "_");
    let mut extra = Vec::new();
    for prefix in ["TF_CLI_ARGS", "NETFORM_CLI_ARGS"] {
        for var in [prefix.to_string(), format!("{prefix}_{cmd}")] {
            if let Ok(v) = std::env::var(&var) {
                extra.extend(v.split_whitespace().map(str::to_string));
            }
        }
    }
    let mut out = args;
    let tail = out.split_off(at + 1);
    out.extend(extra);
    out.extend(tail);
    out
}

/// Runs the CLI; returns the process exit code.
pub fn run() -> i32 {
    printer::install_panic_hook();
    let parsed = Cli::command()
        .try_get_matches_from(terraform_style_args(
            with_env_args(std::env::args().collect()).into_iter(),
        ))
        .and_then(|m| {
            let mut cli = Cli::from_arg_matches(&m)?;
            if let (Some((_, sub)), Some(a)) = (m.subcommand(), cli.command.plan_args_mut()) {
                a.order_vars(sub);
            }
            Ok(cli)
        });
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            // Usage errors exit 1, never 2 (2 means "changes").
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 1,
            };
        }
    };
    let color = if cli.no_color {
        ColorWhen::Never
    } else {
        cli.color
    };
    let printer = printer::init(color);
    printer.set_compact_warnings(cli.compact_warnings);
    logging::init(printer);
    let dir = match &cli.chdir {
        Some(d) => d.clone(),
        None => PathBuf::from("."),
    };
    let (workspace, workspace_var) = match team::selected_workspace(&dir) {
        Ok(w) => w,
        Err(e) => {
            let st = printer.err_style();
            let Exit(code) = user_error(e, "unset it, or run netform workspace select NAME", st);
            return code;
        }
    };
    crate::lang::eval::set_workspace(&workspace);
    let ctx = Ctx {
        dir,
        cli_state: cli.state.clone(),
        simulator: cli.simulator.clone(),
        backend_config: cli.backend_config.clone(),
        workspace,
        workspace_var,
        style: printer.style(),
        err_style: printer.err_style(),
    };
    let r = match &cli.command {
        Command::Validate { json } => cmd_validate(&ctx, *json),
        Command::Fmt { check, diff, files } => cmd_fmt(&ctx, *check, *diff, files),
        Command::Plan(a) => cmd_plan(&ctx, a),
        Command::Apply {
            plan_file,
            args,
            auto_approve,
        } => cmd_apply(&ctx, plan_file.as_deref(), args, *auto_approve, false),
        Command::Destroy { args, auto_approve } => cmd_apply(&ctx, None, args, *auto_approve, true),
        Command::Show { plan_file, json } => cmd_show(&ctx, plan_file.as_deref(), *json),
        Command::Graph { ops, format } => cmd_graph(&ctx, *ops, format),
        Command::Output { name, json, raw } => cmd_output(&ctx, name.as_deref(), *json, *raw),
        Command::State(c) => cmd_state(&ctx, c),
        Command::Import { address, id, vars } => cmd_import(&ctx, address, id, vars),
        Command::GuestConfig { instance, os, out } => {
            cmd_guest(&ctx, instance.as_deref(), os.as_deref(), out.as_deref())
        }
        Command::Sim(c) => cmd_sim(&ctx, c),
        Command::Init { migrate_state, .. } => team::cmd_init(&ctx, *migrate_state),
        Command::Workspace(c) => team::cmd_workspace(&ctx, c),
        Command::ForceUnlock { id, .. } => team::cmd_force_unlock(&ctx, id),
        Command::Version { json } => meta::cmd_version(*json),
        Command::Completions { shell } => meta::cmd_completions(*shell),
        Command::Man { out } => meta::cmd_man(
            out.as_ref().map(|o| ctx.dir.join(o)).as_deref(),
            ctx.err_style,
        ),
    };
    match r {
        Ok(Exit(c)) | Err(Exit(c)) => printer.finish(c),
    }
}

#[cfg(test)]
mod serve_tests {
    use super::*;
    use crate::provider::{Product, Transport};

    fn ctx(dir: &Path) -> Ctx {
        Ctx {
            dir: dir.to_path_buf(),
            cli_state: None,
            simulator: None,
            backend_config: Vec::new(),
            workspace: "default".into(),
            workspace_var: None,
            style: Style::PLAIN,
            err_style: Style::PLAIN,
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
}
