//! The commands of team state: `init`, `workspace …`, `force-unlock`, `state pull|push|history`,
//! and how every command finds its state — the configured backend (`crate::backend`), the
//! selected workspace, or `--state FILE`.
//!
//! The selected workspace is `NETFORM_WORKSPACE`, else `TF_WORKSPACE` (so a CI job picks one
//! without a file), else what `workspace select` wrote to `.netform/environment` beside the
//! configuration (Terraform keeps it in `.terraform/environment`), else `default`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::args::{StateCmd, WorkspaceCmd};
use super::context::Ctx;
use super::error::{CliError, Exit};
use crate::backend::local::LocalSpec;
use crate::backend::settings::{self, BackendDecl};
use crate::backend::{DEFAULT_WORKSPACE, Spec, valid_workspace_name};
use crate::state::{State, Store};

/// Where `workspace select` records the choice, under the configuration directory.
const ENVIRONMENT_FILE: &str = ".netform/environment";

/// The selected workspace and, when an environment variable chose it, that variable's name.
pub(super) fn selected_workspace(dir: &Path) -> Result<(String, Option<&'static str>), String> {
    let from_env = ["NETFORM_WORKSPACE", "TF_WORKSPACE"]
        .into_iter()
        .find_map(|k| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty())
                .map(|v| (v, k))
        });
    let (name, var) = match from_env {
        Some((v, k)) => (v, Some(k)),
        None => match std::fs::read_to_string(dir.join(ENVIRONMENT_FILE)) {
            Ok(t) if !t.trim().is_empty() => (t.trim().to_string(), None),
            _ => (DEFAULT_WORKSPACE.to_string(), None),
        },
    };
    valid_workspace_name(&name).map_err(|e| match var {
        Some(k) => format!("{k}: {e}"),
        None => format!("{ENVIRONMENT_FILE}: {e}"),
    })?;
    Ok((name, var))
}

/// The backend block, loading the configuration for it; a directory without configuration
/// files uses the local backend's defaults (`show`, `state list` beside a lone state file).
fn decl_of_dir(ctx: &Ctx) -> Result<Option<BackendDecl>, CliError> {
    let has_config = std::fs::read_dir(&ctx.dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .any(|e| e.path().extension().is_some_and(|x| x == "hcl"))
        })
        .unwrap_or(false);
    if !has_config {
        return Ok(None);
    }
    Ok(ctx.load()?.backend)
}

/// The configured backend, settings merged from the block, -backend-config and the environment.
fn spec_of(ctx: &Ctx, decl: Option<&BackendDecl>) -> Result<Spec, CliError> {
    let env = |k: &str| std::env::var(k).ok();
    settings::resolve(&settings::Inputs {
        decl,
        cli: &ctx.backend_config,
        dir: &ctx.dir,
        env: &env,
    })
    .map_err(|e| CliError::user(e.message, e.help))
}

/// The backend of the configuration in `ctx.dir`.
fn spec(ctx: &Ctx) -> Result<Spec, CliError> {
    let decl = decl_of_dir(ctx)?;
    spec_of(ctx, decl.as_ref())
}

/// The selected workspace's state: `--state FILE` when given (the local backend only), else the
/// configured backend's.
pub(super) fn open_store(ctx: &Ctx, decl: Option<&BackendDecl>) -> Result<Store, CliError> {
    let spec = spec_of(ctx, decl)?;
    if let Some(p) = &ctx.cli_state {
        if let Spec::Pg(_) = spec {
            return Err(CliError::user(
                "--state names a local state file, and this configuration keeps its state in the pg backend",
                "drop --state (netform state pull > FILE copies the state out)",
            ));
        }
        let path = if p.is_absolute() {
            p.clone()
        } else {
            ctx.dir.join(p)
        };
        return Ok(Store::new(path));
    }
    if let Spec::Local(l) = &spec
        && ctx.workspace != DEFAULT_WORKSPACE
        && !l.workspace_dir.join(&ctx.workspace).is_dir()
    {
        return Err(missing_workspace(ctx));
    }
    let backend = spec.open(&ctx.workspace)?;
    Ok(Store::with_backend(backend))
}

/// The selected workspace's state, for commands that have not loaded the configuration.
pub(super) fn store(ctx: &Ctx) -> Result<Store, CliError> {
    let decl = if ctx.cli_state.is_some() {
        // An explicit state file needs no valid configuration; a pg backend declared in one
        // that loads still refuses it.
        crate::config::load_dir(&ctx.dir)
            .ok()
            .and_then(|c| c.backend)
    } else {
        decl_of_dir(ctx)?
    };
    open_store(ctx, decl.as_ref())
}

fn missing_workspace(ctx: &Ctx) -> CliError {
    let how = match ctx.workspace_var {
        Some(var) => format!(
            "{var} selects it: create it with netform workspace new {0} (or netform init, which creates the workspace {var} names)",
            ctx.workspace
        ),
        None => format!(
            "create it with netform workspace new {0}, or select another with netform workspace select NAME",
            ctx.workspace
        ),
    };
    CliError::user(
        format!("workspace \"{}\" does not exist", ctx.workspace),
        how,
    )
}

/// `netform init`: checks the backend and creates what it needs; with `-migrate-state`, copies
/// the local state (every workspace) into it. Safe to run again.
pub(super) fn cmd_init(ctx: &Ctx, migrate: bool) -> Result<Exit, CliError> {
    // Git modules first: the configuration cannot load without them.
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
        crate::outln!(super::ui(), "- module.{}: {how} ({})", m.key, m.source);
    }
    let cfg = ctx.load()?;
    let spec = spec_of(ctx, cfg.backend.as_ref())?;
    let report = spec.init()?;
    crate::outln!(super::ui(), "Initializing the backend: {}", spec.describe());
    for l in &report.lines {
        crate::outln!(super::ui(), "{l}");
    }
    if ctx.workspace_var.is_some() && spec.create_workspace(&ctx.workspace)? {
        crate::outln!(
            super::ui(),
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
            super::ui(),
            "Warning: {} is not used by the {} backend; netform init -migrate-state copies it (and its workspaces) there.",
            local.path.display(),
            spec.kind()
        );
    }
    crate::outln!(super::ui(), "\nnetform has been successfully initialized.");
    Ok(Exit(0))
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
        crate::outln!(super::ui(), "There is no local state to migrate.");
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
                    super::ui(),
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
            super::ui(),
            "Workspace \"{}\": copied to the {} backend (lineage {}, serial {}, {} resource instance(s)).",
            src.name,
            to.kind(),
            src.state.lineage,
            src.state.serial,
            src.state.resources.len()
        );
    }
    crate::outln!(
        super::ui(),
        "The local files are left as they were; remove them once you have checked the {} backend (netform state pull).",
        to.kind()
    );
    Ok(())
}

pub(super) fn cmd_workspace(ctx: &Ctx, c: &WorkspaceCmd) -> Result<Exit, CliError> {
    let check = |n: &str| {
        valid_workspace_name(n).map_err(|e| CliError::user(e, "e.g. netform workspace new prod"))
    };
    match c {
        WorkspaceCmd::Show => crate::outln!(super::ui(), "{}", ctx.workspace),
        WorkspaceCmd::List => {
            let spec = spec(ctx)?;
            for w in spec.workspaces()? {
                let mark = if w == ctx.workspace { "*" } else { " " };
                crate::outln!(super::ui(), "{mark} {w}");
            }
        }
        WorkspaceCmd::New { name } => {
            check(name)?;
            let spec = spec(ctx)?;
            if !spec.create_workspace(name)? {
                return Err(CliError::user(
                    format!("workspace \"{name}\" already exists"),
                    format!("select it with netform workspace select {name}"),
                ));
            }
            select(ctx, name)?;
            crate::outln!(
                super::ui(),
                "Created and switched to workspace \"{name}\"!\n\nIt has no state yet: netform plan and apply start it."
            );
        }
        WorkspaceCmd::Select { name, or_create } => {
            check(name)?;
            let spec = spec(ctx)?;
            if !spec.workspace_exists(name)? {
                if !or_create {
                    return Err(CliError::user(
                        format!("workspace \"{name}\" does not exist"),
                        format!("create it with netform workspace new {name}, or pass -or-create"),
                    ));
                }
                spec.create_workspace(name)?;
            }
            select(ctx, name)?;
            crate::outln!(super::ui(), "Switched to workspace \"{name}\".");
        }
        WorkspaceCmd::Delete { name, force } => {
            check(name)?;
            if name == DEFAULT_WORKSPACE || *name == ctx.workspace {
                return Err(CliError::user(
                    format!(
                        "cannot delete the {} workspace \"{name}\"",
                        if name == DEFAULT_WORKSPACE {
                            "default"
                        } else {
                            "selected"
                        }
                    ),
                    "select another workspace first (the default workspace is never deleted)",
                ));
            }
            let spec = spec(ctx)?;
            if !spec.workspace_exists(name)? {
                return Err(CliError::user(
                    format!("workspace \"{name}\" does not exist"),
                    "netform workspace list shows them",
                ));
            }
            spec.delete_workspace(name, *force)?;
            crate::outln!(super::ui(), "Deleted workspace \"{name}\"!");
        }
    }
    Ok(Exit(0))
}

/// Records the selected workspace; refused while an environment variable overrides it.
fn select(ctx: &Ctx, name: &str) -> Result<(), CliError> {
    if let Some(var) = ctx.workspace_var {
        return Err(CliError::user(
            format!("the workspace is chosen by {var} (\"{}\")", ctx.workspace),
            format!("unset {var} to select workspaces with netform workspace select"),
        ));
    }
    let path = ctx.dir.join(ENVIRONMENT_FILE);
    let res = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|_| crate::state::write_atomic(&path, format!("{name}\n").as_bytes()));
    res.map_err(|e| {
        CliError::user(
            format!("cannot write {}: {e}", path.display()),
            "check that the configuration directory is writable",
        )
    })
}

/// `force-unlock ID`: takes over a lock whose holder is gone (never one that is alive).
pub(super) fn cmd_force_unlock(ctx: &Ctx, id: &str) -> Result<Exit, CliError> {
    let (spec, ws) = match &ctx.cli_state {
        Some(p) => (
            Spec::Local(LocalSpec {
                path: ctx.dir.join(p),
                workspace_dir: ctx.dir.join(crate::backend::local::WORKSPACE_DIR),
            }),
            DEFAULT_WORKSPACE.to_string(),
        ),
        None => (spec(ctx)?, ctx.workspace.clone()),
    };
    let holder = spec.force_unlock(&ws, id)?;
    crate::outln!(
        super::ui(),
        "The lock {id} on workspace \"{ws}\" was removed; it was {}.\nnetform state has been successfully unlocked! The next apply folds in whatever that run recorded in its journal.",
        holder.describe()
    );
    Ok(Exit(0))
}

pub(super) fn cmd_state(ctx: &Ctx, c: &StateCmd) -> Result<Exit, CliError> {
    match c {
        StateCmd::Pull { serial } => pull(ctx, *serial),
        StateCmd::Push { file, force } => push(ctx, file, *force),
        StateCmd::History { json } => history(ctx, *json),
        _ => Ok(Exit(0)),
    }
}

fn pull(ctx: &Ctx, serial: Option<u64>) -> Result<Exit, CliError> {
    let mut store = store(ctx)?;
    let state = match serial {
        Some(n) => match store.version(n)? {
            Some(s) => s,
            None => {
                return Err(CliError::user(
                    format!("{} keeps no version with serial {n}", store.place()),
                    "netform state history lists the versions kept",
                ));
            }
        },
        None => {
            let s = store.read_stored()?;
            if store.has_journal() {
                crate::errln!(
                    super::ui(),
                    "Warning: an unfinished apply left a journal that this version does not include; the next plan or apply folds it in."
                );
            }
            s.unwrap_or_else(|| State::new(String::new()))
        }
    };
    let text = serde_json::to_string_pretty(&state.to_json()).unwrap_or_default();
    crate::outln!(super::ui(), "{text}");
    Ok(Exit(0))
}

/// `state push FILE`, with Terraform's checks: the same lineage, and a serial not older than the
/// stored one (`-force` skips both). The pushed state becomes a new version.
fn push(ctx: &Ctx, file: &Path, force: bool) -> Result<Exit, CliError> {
    let path: PathBuf = if file.is_absolute() {
        file.to_path_buf()
    } else {
        ctx.dir.join(file)
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::user(
            format!("cannot read {}: {e}", file.display()),
            "check the path",
        )
    })?;
    let pushed = State::from_json(&text, &file.display().to_string())?;
    let mut store = store(ctx)?;
    store.lock(Duration::ZERO, "state push")?;
    let current = store.read_stored()?;
    let refuse = |msg: String| {
        Err(CliError::user(
            msg,
            "pull the current state (netform state pull), or pass -force to overwrite it anyway",
        ))
    };
    if store.has_journal() && !force {
        return refuse(
            "an unfinished apply's journal is waiting to be folded in; run netform apply first"
                .into(),
        );
    }
    let mut next = pushed.clone();
    if let Some(c) = &current {
        if c.lineage != pushed.lineage && !force {
            return refuse(format!(
                "cannot push a state of lineage {} over the unrelated state of lineage {} ({})",
                pushed.lineage,
                c.lineage,
                store.place()
            ));
        }
        if pushed.serial < c.serial && !force {
            return refuse(format!(
                "cannot push serial {} over the newer serial {} ({})",
                pushed.serial,
                c.serial,
                store.place()
            ));
        }
        if c.same_content(&pushed) {
            crate::outln!(
                super::ui(),
                "The state is already as pushed (serial {}); nothing was written.",
                c.serial
            );
            return Ok(Exit(0));
        }
        // A new version, after every kept one.
        next.serial = pushed.serial.max(c.serial + 1);
    } else {
        next.serial = pushed.serial.max(1);
    }
    store.put(&next, "state push")?;
    crate::outln!(
        super::ui(),
        "Pushed {} to {} as serial {}.",
        file.display(),
        store.place(),
        next.serial
    );
    Ok(Exit(0))
}

fn history(ctx: &Ctx, json: bool) -> Result<Exit, CliError> {
    let mut store = store(ctx)?;
    let versions = store.history()?;
    if json {
        let j = serde_json::to_string_pretty(&versions).unwrap_or_default();
        crate::outln!(super::ui(), "{j}");
        return Ok(Exit(0));
    }
    if versions.is_empty() {
        crate::outln!(super::ui(), "{} holds no state yet.", store.place());
        return Ok(Exit(0));
    }
    crate::outln!(
        super::ui(),
        "{:>6}  {:<20}  {:<28}  {:<20}  {:>7} {:>7} {:>7}",
        "SERIAL",
        "WHEN",
        "WHO",
        "OPERATION",
        "ADDED",
        "CHANGED",
        "REMOVED"
    );
    for v in &versions {
        let n = |f: fn(&crate::backend::Counts) -> u64| {
            v.counts
                .as_ref()
                .map_or("-".to_string(), |c| f(c).to_string())
        };
        crate::outln!(
            super::ui(),
            "{:>6}  {:<20}  {:<28}  {:<20}  {:>7} {:>7} {:>7}",
            v.serial,
            v.when,
            if v.who.is_empty() { "-" } else { &v.who },
            if v.operation.is_empty() {
                "-"
            } else {
                &v.operation
            },
            n(|c| c.added),
            n(|c| c.changed),
            n(|c| c.removed)
        );
    }
    Ok(Exit(0))
}
