//! `graph`: the resource graph, or with `--ops` the operation graph apply would walk, as DOT or
//! Mermaid.

use super::plan::make_plan;
use crate::cli::args::{GraphFormat, PlanArgs};
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::render;

pub fn run(ctx: &Ctx, ops: bool, format: GraphFormat) -> Result<Exit, CliError> {
    let f = match format {
        GraphFormat::Dot => render::graph::Format::Dot,
        GraphFormat::Mermaid => render::graph::Format::Mermaid,
    };
    if ops {
        // As before the flags were typed: never prompts, and reads without the lock (saying so).
        let a = PlanArgs {
            input: false,
            lock: false,
            ..PlanArgs::default()
        };
        let p = make_plan(ctx, &a, false, "graph")?;
        ui().out(&render::graph::operations(&p.plan.ops, f));
    } else {
        let cfg = ctx.load()?;
        let g = crate::graph::build(&cfg).map_err(|d| CliError::diags(d.0, cfg.sources.clone()))?;
        ui().out(&render::graph::resources(&g, f));
    }
    Ok(Exit(0))
}
