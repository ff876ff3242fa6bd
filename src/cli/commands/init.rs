//! `init`: checks the backend and creates what it needs (safe to repeat); with
//! `-migrate-state`, copies the local state (every workspace) into the configured backend.

use std::time::Duration;

use crate::backend::Spec;
use crate::backend::local::LocalSpec;
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::team::spec_of;
use crate::cli::ui;
use crate::state::{State, Store};

/// `netform init`: checks the backend and creates what it needs; with `-migrate-state`, copies
/// the local state (every workspace) into it. Safe to run again.
pub fn run(ctx: &Ctx, migrate: bool) -> Result<Exit, CliError> {
    install_modules(ctx)?;
    let cfg = ctx.load()?;
    let spec = spec_of(ctx, cfg.backend.as_ref())?;
    let report = spec.init()?;
    crate::outln!(ui(), "Initializing the backend: {}", spec.describe());
    for l in &report.lines {
        crate::outln!(ui(), "{l}");
    }
    if ctx.workspace_var.is_some() && spec.create_workspace(&ctx.workspace)? {
        crate::outln!(
            ui(),
            "Created workspace \"{}\" (selected by {}).",
            ctx.workspace,
            ctx.workspace_var.unwrap_or("")
        );
    }
    let local = LocalSpec {
        path: ctx.dir.join("netform.tfstate"),
        workspace_dir: ctx.dir.join(crate::backend::local::WORKSPACE_DIR),
    };
    let same_place = matches!(&spec, Spec::Local(l) if l.path == local.path);
    if migrate && !same_place {
        migrate_state(&local, &spec)?;
    } else if !same_place && local.path.exists() {
        crate::errln!(
            ui(),
            "Warning: {} is not used by the {} backend; netform init -migrate-state copies it (and its workspaces) there.",
            local.path.display(),
            spec.kind()
        );
    }
    crate::outln!(ui(), "\nnetform has been successfully initialized.");
    Ok(Exit(0))
}

/// Git modules first: the configuration cannot load without them.
fn install_modules(ctx: &Ctx) -> Result<(), CliError> {
    let done = crate::config::modules::install(&ctx.dir).map_err(|e| {
        CliError::user(
            format!("installing modules: {e}"),
            "check the module's git source and ref, and that git can reach it",
        )
    })?;
    for m in done {
        let how = if m.fetched {
            "fetched"
        } else {
            "already installed"
        };
        crate::outln!(ui(), "- module.{}: {how} ({})", m.key, m.source);
    }
    Ok(())
}

/// One workspace to copy: its name and its local state (journal folded in).
struct Source {
    name: String,
    state: State,
}

/// Copies each local workspace's state, lineage and serial, into `to`. Everything is checked
/// before anything is written: a destination holding another lineage refuses the whole move.
fn migrate_state(from: &LocalSpec, to: &Spec) -> Result<(), CliError> {
    let mut sources = Vec::new();
    for name in from.workspaces()? {
        let mut s = Store::with_backend(Box::new(from.open(&name)));
        if let Some(state) = s.read()? {
            sources.push(Source { name, state });
        }
    }
    if sources.is_empty() {
        crate::outln!(ui(), "There is no local state to migrate.");
        return Ok(());
    }
    let mut plans = Vec::new();
    for src in &sources {
        to.create_workspace(&src.name)?;
        let mut dest = Store::with_backend(to.open(&src.name)?);
        dest.lock(Duration::ZERO, "init -migrate-state")?;
        let there = dest.read()?;
        match &there {
            Some(t) if t.lineage != src.state.lineage => {
                return Err(CliError::user(
                    format!(
                        "workspace \"{}\" in the {} backend holds another state (lineage {}; the local one is {}): nothing was migrated",
                        src.name,
                        to.kind(),
                        t.lineage,
                        src.state.lineage
                    ),
                    "these are different infrastructures: pick another schema_name or workspace, or delete that workspace first",
                ));
            }
            Some(t) if t.serial >= src.state.serial => {
                crate::outln!(
                    ui(),
                    "Workspace \"{}\": already in the {} backend (serial {}).",
                    src.name,
                    to.kind(),
                    t.serial
                );
            }
            _ => plans.push((src, dest)),
        }
    }
    for (src, mut dest) in plans {
        dest.put(&src.state, "init -migrate-state")?;
        crate::outln!(
            ui(),
            "Workspace \"{}\": copied to the {} backend (lineage {}, serial {}, {} resource instance(s)).",
            src.name,
            to.kind(),
            src.state.lineage,
            src.state.serial,
            src.state.resources.len()
        );
    }
    crate::outln!(
        ui(),
        "The local files are left as they were; remove them once you have checked the {} backend (netform state pull).",
        to.kind()
    );
    Ok(())
}
