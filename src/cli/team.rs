//! How every command finds its state: the configured backend (`crate::backend`), the selected
//! workspace, or `--state FILE`. The commands of team state (`init`, `workspace …`,
//! `force-unlock`, `state pull|push|history`) are in `commands`.
//!
//! The selected workspace is `NETFORM_WORKSPACE`, else `TF_WORKSPACE` (so a CI job picks one
//! without a file), else what `workspace select` wrote to `.netform/environment` beside the
//! configuration (Terraform keeps it in `.terraform/environment`), else `default`.

use std::path::Path;

use super::context::Ctx;
use super::error::CliError;
use crate::backend::settings::{self, BackendDecl};
use crate::backend::{DEFAULT_WORKSPACE, Spec, valid_workspace_name};
use crate::state::Store;

/// Where `workspace select` records the choice, under the configuration directory.
pub(super) const ENVIRONMENT_FILE: &str = ".netform/environment";

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
pub(super) fn spec_of(ctx: &Ctx, decl: Option<&BackendDecl>) -> Result<Spec, CliError> {
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
pub(super) fn spec(ctx: &Ctx) -> Result<Spec, CliError> {
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
