//! `sim show|reset|call`: the embedded simulator's cloud, looked at, reset to its world, or
//! called as another client would. `sim serve` and `sim capture` have modules of their own.

use crate::cli::args::SimCmd;
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::config::{self, Config};
use crate::outln;
use crate::provider::Transport;
use crate::provider::sim::Sim;

pub fn run(ctx: &Ctx, c: &SimCmd) -> Result<Exit, CliError> {
    match c {
        SimCmd::Reset => reset(ctx),
        SimCmd::Serve(a) => super::sim_serve::run(ctx, a),
        SimCmd::Capture {
            out,
            vars,
            var_files,
        } => super::sim_capture::run(ctx, out, vars, var_files),
        SimCmd::Show => {
            let (_, sim) = open(ctx)?;
            let j = sim
                .with_cloud(crate::provider::sim::show)
                .unwrap_or_default();
            outln!(
                ui(),
                "{}",
                serde_json::to_string_pretty(&j).unwrap_or_default()
            );
            Ok(Exit(0))
        }
        SimCmd::Call { action, params } => call(ctx, action, params),
    }
}

fn reset(ctx: &Ctx) -> Result<Exit, CliError> {
    match Sim::reset(&ctx.dir) {
        Ok(true) => outln!(
            ui(),
            "The simulated cloud was reset; the next run starts from the world."
        ),
        Ok(false) => outln!(
            ui(),
            "There is no simulated cloud here yet; nothing to reset."
        ),
        Err(e) => {
            return Err(CliError::user(
                format!(
                    "cannot remove {}: {e}",
                    crate::provider::sim::sim_dir(&ctx.dir).display()
                ),
                "check permissions",
            ));
        }
    }
    Ok(Exit(0))
}

/// The simulated cloud of this directory, seeded from the configuration's world (if the
/// configuration loads; `sim` commands work beside a broken one).
fn open(ctx: &Ctx) -> Result<(Option<Config>, Sim), CliError> {
    let cfg = config::load_dir(&ctx.dir).ok();
    let world = ctx.world_path(cfg.as_ref(), &Default::default())?;
    let sim = Sim::open(&ctx.dir, world.as_deref())
        .map_err(|e| CliError::user(e.to_string(), "run netform sim reset to start over"))?;
    Ok((cfg, sim))
}

/// One API action; the cloud's answer, or its error as the API returns it (exit 1), on stdout.
fn call(ctx: &Ctx, action: &str, params: &[String]) -> Result<Exit, CliError> {
    let (cfg, sim) = open(ctx)?;
    let mut p = crate::provider::Params::new();
    for kv in params {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(CliError::user(
                format!("invalid parameter \"{kv}\""),
                "write Key=Value, e.g. NetworkInterfaceId=eni-…",
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
            );
            Ok(Exit(0))
        }
        Err(e) => {
            outln!(
                ui(),
                "{}",
                serde_json::json!({"Code": e.code, "Message": e.message, "RequestId": e.request_id})
            );
            Ok(Exit(1))
        }
    }
}
