//! `force-unlock ID`: takes over a lock whose holder is gone (killed, or cut off past its
//! lease), never one that is alive.

use crate::backend::local::LocalSpec;
use crate::backend::{DEFAULT_WORKSPACE, Spec};
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::team::spec;
use crate::cli::ui;

/// `force-unlock ID`: takes over a lock whose holder is gone (never one that is alive).
pub fn run(ctx: &Ctx, id: &str) -> Result<Exit, CliError> {
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
        ui(),
        "The lock {id} on workspace \"{ws}\" was removed; it was {}.\nnetform state has been successfully unlocked! The next apply folds in whatever that run recorded in its journal.",
        holder.describe()
    );
    Ok(Exit(0))
}
