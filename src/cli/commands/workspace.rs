//! `workspace list|new|select|show|delete`: one state per workspace, in the same backend; the
//! selection is recorded beside the configuration (`cli::team` reads it).

use crate::backend::{DEFAULT_WORKSPACE, valid_workspace_name};
use crate::cli::args::WorkspaceCmd;
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::team::{ENVIRONMENT_FILE, spec};
use crate::cli::ui;

pub fn run(ctx: &Ctx, c: &WorkspaceCmd) -> Result<Exit, CliError> {
    let check = |n: &str| {
        valid_workspace_name(n).map_err(|e| CliError::user(e, "e.g. netform workspace new prod"))
    };
    match c {
        WorkspaceCmd::Show => crate::outln!(ui(), "{}", ctx.workspace),
        WorkspaceCmd::List => {
            let spec = spec(ctx)?;
            for w in spec.workspaces()? {
                let mark = if w == ctx.workspace { "*" } else { " " };
                crate::outln!(ui(), "{mark} {w}");
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
                ui(),
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
            crate::outln!(ui(), "Switched to workspace \"{name}\".");
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
            crate::outln!(ui(), "Deleted workspace \"{name}\"!");
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
