//! The command line as clap types: every command, its flags and how each value is parsed.
//!
//! Values are checked where clap reads them, so a command's `run` never sees a malformed flag:
//! formats are `ValueEnum`s, durations go through [`parse_duration`], and `--parallelism` is
//! refused below 1 by clap's range parser. Before clap sees them, the arguments are rewritten to
//! accept Terraform's habits ([`terraform_style_args`], [`with_env_args`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

use super::printer::ColorWhen;
use crate::config::vars::VarArg;

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

/// `plan --format`: what stdout carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    #[default]
    Human,
    Json,
    Markdown,
}

/// `graph --format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    #[default]
    Dot,
    Mermaid,
}

#[derive(Args, Debug, Clone)]
pub struct PlanArgs {
    /// Save the plan to FILE, for `netform apply FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Newline-delimited JSON events instead of human output.
    #[arg(long)]
    pub json: bool,
    /// What stdout carries.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
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
    /// At most this many API calls in flight (≥ 1); operations waiting on the cloud (an attach, a
    /// binding) do not hold a call's place. With 1, one operation at a time, in plan order.
    #[arg(long, default_value_t = 10, value_parser = AtLeastOne)]
    pub parallelism: usize,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub lock_timeout: Duration,
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

/// What the flags default to on the command line, for the commands that plan without one
/// (`graph --ops`, import, capture, a saved plan's apply).
impl Default for PlanArgs {
    fn default() -> PlanArgs {
        PlanArgs {
            out: None,
            json: false,
            format: PlanFormat::Human,
            detailed_exitcode: false,
            target: Vec::new(),
            exclude: Vec::new(),
            replace: Vec::new(),
            refresh_only: false,
            generate_config_out: None,
            refresh: true,
            destroy: false,
            vars: Vec::new(),
            var_files: Vec::new(),
            parallelism: 10,
            lock_timeout: Duration::ZERO,
            input: true,
            lock: true,
            var_order: Vec::new(),
        }
    }
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

    /// The machine format stdout carries, if any: human lines then go to stderr.
    pub fn machine_output(&self) -> bool {
        self.json || self.format != PlanFormat::Human
    }
}

/// `--parallelism`: clap's range parser (`1..`), whose refusal of 0 is reworded, because
/// `--parallelism 0` would start nothing and wait forever, and clap names the range as
/// `1..18446744073709551615`.
#[derive(Clone, Copy, Debug)]
struct AtLeastOne;

impl TypedValueParser for AtLeastOne {
    type Value = usize;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<usize, clap::Error> {
        let ranged = clap::value_parser!(u64).range(1..);
        match ranged.parse_ref(cmd, arg, value) {
            Ok(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
            Err(e)
                if e.kind() == clap::error::ErrorKind::ValueValidation
                    && value.to_str().is_some_and(|v| v.trim() == "0") =>
            {
                let name = arg.map(ToString::to_string).unwrap_or_default();
                Err(cmd.clone().error(
                    clap::error::ErrorKind::ValueValidation,
                    format!("invalid value '0' for '{name}': must be at least 1"),
                ))
            }
            Err(e) => Err(e),
        }
    }
}

/// A duration as people write it for Terraform's `-lock-timeout`: `500ms`, `30s`, `2m`, `1h`,
/// or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
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
        .ok()
        .and_then(|n| Duration::try_from_secs_f64(n * mul).ok())
        .ok_or_else(|| format!("invalid duration \"{s}\": write e.g. 30s, 2m"))
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
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
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
    /// Evaluate expressions against the configuration and the state, one per line of stdin.
    Console(ConsoleArgs),
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

/// `console`'s flags: the variables as plan takes them, and the state lock (read, never written).
#[derive(Args, Debug, Clone)]
pub struct ConsoleArgs {
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
    /// How long to wait for the state lock (e.g. 30s, 2m).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub lock_timeout: Duration,
    /// Take the state lock while the console runs (default), as Terraform's console does.
    #[arg(long, default_value = "true", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub lock: bool,
}

impl ConsoleArgs {
    /// The plan flags these stand for (files before values, as for import).
    pub fn plan_args(&self) -> PlanArgs {
        PlanArgs {
            vars: self.vars.clone(),
            var_files: self.var_files.clone(),
            lock_timeout: self.lock_timeout,
            lock: self.lock,
            refresh: false,
            ..PlanArgs::default()
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
    Serve(ServeArgs),
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

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on (loopback by default).
    #[arg(long, default_value = "127.0.0.1:8765")]
    pub listen: String,
    /// The world to seed a new simulated cloud from. Default: --simulator, else the
    /// configuration's simulator { world = … }, else the built-in world.
    #[arg(long)]
    pub world: Option<PathBuf>,
    /// An accepted key pair, ID=SECRET, or ID=SECRET:TOKEN[@EXPIRY] for temporary (STS)
    /// credentials whose requests must carry that security token (repeatable). Default: the
    /// ALIBABA_CLOUD_ACCESS_KEY_* variables (and ALIBABA_CLOUD_SECURITY_TOKEN), else
    /// netform-sim=netform-sim-secret.
    #[arg(long = "access-key", value_name = "ID=SECRET[:TOKEN]")]
    pub access_keys: Vec<String>,
    /// Append every answered request (product, action, parameters, answer) to FILE as one
    /// JSON line.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
}

/// Parses the process's arguments, after Terraform's spellings and `TF_CLI_ARGS*` are folded in.
pub fn parse(args: Vec<String>) -> Result<Cli, clap::Error> {
    let m = Cli::command()
        .try_get_matches_from(terraform_style_args(with_env_args(args).into_iter()))?;
    let mut cli = Cli::from_arg_matches(&m)?;
    if let (Some((_, sub)), Some(a)) = (m.subcommand(), cli.command.plan_args_mut()) {
        a.order_vars(sub);
    }
    Ok(cli)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Cli, clap::Error> {
        parse(line.split_whitespace().map(str::to_string).collect())
    }

    #[test]
    fn parallelism_below_one_is_refused_by_the_parser() {
        let e = parse_line("netform apply --parallelism 0")
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("must be at least 1")),
            "{e:?}"
        );
        assert!(parse_line("netform apply --parallelism x").is_err());
        let Ok(cli) = parse_line("netform plan -parallelism=3") else {
            panic!("-parallelism=3 parses");
        };
        let Command::Plan(a) = cli.command else {
            panic!("plan");
        };
        assert_eq!(a.parallelism, 3);
    }

    #[test]
    fn durations_read_as_terraform_writes_them() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err(), "a negative wait");
        assert!(parse_line("netform plan --lock-timeout soon").is_err());
    }

    #[test]
    fn formats_are_value_enums() {
        let Ok(cli) = parse_line("netform plan --format markdown") else {
            panic!("markdown parses");
        };
        let Command::Plan(a) = cli.command else {
            panic!("plan");
        };
        assert_eq!(a.format, PlanFormat::Markdown);
        assert!(a.machine_output());
        assert!(parse_line("netform plan --format yaml").is_err());
        assert!(parse_line("netform graph --format svg").is_err());
    }

    #[test]
    fn defaults_match_the_command_lines() {
        let Ok(cli) = parse_line("netform plan") else {
            panic!("plan parses");
        };
        let Command::Plan(a) = cli.command else {
            panic!("plan");
        };
        let d = PlanArgs::default();
        assert_eq!(
            (
                a.parallelism,
                a.lock_timeout,
                a.refresh,
                a.input,
                a.lock,
                a.format
            ),
            (
                d.parallelism,
                d.lock_timeout,
                d.refresh,
                d.input,
                d.lock,
                d.format
            )
        );
    }

    #[test]
    fn vars_keep_their_command_line_order() {
        let Ok(cli) = parse_line("netform plan --var a=1 --var-file f.tfvars --var b=2") else {
            panic!("parses");
        };
        let Command::Plan(a) = cli.command else {
            panic!("plan");
        };
        let order: Vec<String> = a
            .var_args()
            .into_iter()
            .map(|v| match v {
                VarArg::Var(s) => s,
                VarArg::File(f) => f.display().to_string(),
            })
            .collect();
        assert_eq!(order, ["a=1", "f.tfvars", "b=2"]);
    }
}
