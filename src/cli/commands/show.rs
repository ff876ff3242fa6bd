//! `show [PLAN_FILE]`: the state (human, or Terraform's `show -json` form) or a saved plan.

use std::path::Path;

use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::{state_view, ui};
use crate::config;
use crate::outln;
use crate::plan;

pub fn run(ctx: &Ctx, plan_file: Option<&Path>, json: bool) -> Result<Exit, CliError> {
    if let Some(f) = plan_file {
        return show_saved(ctx, f, json);
    }
    let s = ctx.state_or_empty()?;
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

/// A saved plan: the plan's JSON, or the text it was shown as when it was made.
fn show_saved(ctx: &Ctx, f: &Path, json: bool) -> Result<Exit, CliError> {
    let saved =
        plan::saved::read(&ctx.dir, f).map_err(|e| CliError::user(e.to_string(), e.help()))?;
    if json {
        outln!(
            ui(),
            "{}",
            serde_json::to_string_pretty(&saved.plan).unwrap_or_default()
        );
    } else {
        outln!(ui(), "{}", saved.rendered);
    }
    Ok(Exit(0))
}

/// What the configuration beside the state marks sensitive (nothing when it does not load).
pub fn sensitive_attributes(ctx: &Ctx) -> state_view::Sensitive {
    config::load_dir(&ctx.dir)
        .map(|c| crate::plan::sensitive_attributes(&c))
        .unwrap_or_default()
}
