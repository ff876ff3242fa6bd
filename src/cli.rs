//! The command line: parses arguments (`args`), runs one command (`commands`), and hands every
//! byte of output to the printer (`printer`), the one writer of stdout and stderr.
//!
//! A command returns `Ok(Exit(code))` or a `CliError` (`error`), which is printed in one place,
//! [`error::finish`]: user errors exit 1 with diagnostics on stderr, a bug 101 (a panic too),
//! and a reader that closed the pipe ends the run quietly with 0. `plan --detailed-exitcode`
//! exits 2 when there are changes; `fmt --check` exits 3.
//!
//! Layout: `args` (clap types), `context` (what commands share: the directory, the state, the
//! cloud), `commands/*` (one per command), `team` (which backend and workspace hold the
//! state), and the views: `apply_view`, `state_view`, `logging`, `printer`.

use std::path::PathBuf;

mod apply_view;
pub mod args;
mod commands;
mod context;
pub mod error;
mod logging;
pub mod printer;
mod state_view;
mod team;

pub use args::{Cli, Command, PlanArgs};
pub use error::{CliError, Exit};

use commands as cmd;
use context::Ctx;
use printer::{ColorWhen, Printer};

/// The process's printer.
fn ui() -> &'static Printer {
    printer::get()
}

/// Runs the CLI; returns the process exit code.
pub fn run() -> i32 {
    printer::install_panic_hook();
    let cli = match args::parse(std::env::args().collect()) {
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
    let result = context(&cli, printer).and_then(|ctx| dispatch(&ctx, &cli.command));
    error::finish(printer, result)
}

/// The context every command starts from: the directory, the global flags, the workspace.
fn context(cli: &Cli, printer: &Printer) -> Result<Ctx, CliError> {
    let dir = cli.chdir.clone().unwrap_or_else(|| PathBuf::from("."));
    let (workspace, workspace_var) = team::selected_workspace(&dir)
        .map_err(|e| CliError::user(e, "unset it, or run netform workspace select NAME"))?;
    crate::lang::eval::set_workspace(&workspace);
    Ok(Ctx {
        dir,
        cli_state: cli.state.clone(),
        simulator: cli.simulator.clone(),
        backend_config: cli.backend_config.clone(),
        workspace,
        workspace_var,
        style: printer.style(),
    })
}

fn dispatch(ctx: &Ctx, command: &Command) -> Result<Exit, CliError> {
    match command {
        Command::Validate { json } => cmd::validate::run(ctx, *json),
        Command::Fmt { check, diff, files } => cmd::fmt::run(ctx, *check, *diff, files),
        Command::Plan(a) => cmd::plan::run(ctx, a),
        Command::Apply {
            plan_file,
            args,
            auto_approve,
        } => cmd::apply::run(ctx, plan_file.as_deref(), args, *auto_approve, false),
        Command::Destroy { args, auto_approve } => {
            cmd::apply::run(ctx, None, args, *auto_approve, true)
        }
        Command::Show { plan_file, json } => cmd::show::run(ctx, plan_file.as_deref(), *json),
        Command::Graph { ops, format } => cmd::graph::run(ctx, *ops, *format),
        Command::Output { name, json, raw } => cmd::output::run(ctx, name.as_deref(), *json, *raw),
        Command::State(c) => cmd::state::run(ctx, c),
        Command::Import { address, id, vars } => cmd::import::run(ctx, address, id, vars),
        Command::GuestConfig { instance, os, out } => {
            cmd::guest_config::run(ctx, instance.as_deref(), os.as_deref(), out.as_deref())
        }
        Command::Sim(c) => cmd::sim::run(ctx, c),
        Command::Init { migrate_state, .. } => cmd::init::run(ctx, *migrate_state),
        Command::Workspace(c) => cmd::workspace::run(ctx, c),
        Command::ForceUnlock { id, .. } => cmd::force_unlock::run(ctx, id),
        Command::Console(a) => cmd::console::run(ctx, a),
        Command::Version { json } => cmd::meta::version(*json),
        Command::Completions { shell } => cmd::meta::completions(*shell),
        Command::Man { out } => cmd::meta::man(out.as_ref().map(|o| ctx.dir.join(o)).as_deref()),
    }
}
