//! `sim capture`: the provider's account as a world file. Nothing is written unless the whole
//! account was read and makes a valid world.

use std::path::{Path, PathBuf};

use crate::cli::args::PlanArgs;
use crate::cli::context::{Ctx, write_file};
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::outln;

pub fn run(
    ctx: &Ctx,
    out: &Path,
    vars: &[String],
    var_files: &[PathBuf],
) -> Result<Exit, CliError> {
    let mut cfg = ctx.load()?;
    let args = PlanArgs {
        vars: vars.to_vec(),
        var_files: var_files.to_vec(),
        input: false,
        ..PlanArgs::default()
    };
    let values = ctx.vars(&mut cfg, &args)?;
    let clouds = ctx.clouds(&cfg, &values)?;
    let world = crate::provider::capture::capture(&clouds).map_err(|e| {
        CliError::user(
            format!("cannot capture the account: {e}"),
            "check the provider block's region and endpoint, and that the AccessKey may call Describe* actions",
        )
    })?;
    let path = ctx.path(out);
    let text = serde_json::to_string_pretty(&world)
        .map_err(|e| CliError::internal(format!("cannot write the world: {e}")))?;
    write_file(&path, &(text + "\n"))
        .map_err(|e| CliError::user(format!("{e:#}"), "check the directory is writable"))?;
    let regions: Vec<&str> = world.regions.iter().map(|r| r.id.as_str()).collect();
    outln!(
        ui(),
        "Captured {}: VPCs {}, vSwitches {}, security groups {}, instances {}, NAT gateways {}, HAVIPs {}, SLBs {}, instance types {}.",
        regions.join(", "),
        world.vpcs.len(),
        world.vswitches.len(),
        world.security_groups.len(),
        world.instances.len(),
        world.nat_gateways.len(),
        world.havips.len(),
        world.slbs.len(),
        world.limits.instance_types.len(),
    );
    outln!(
        ui(),
        "Wrote {}; use it with --simulator={} or simulator {{ world = \"…\" }}.",
        path.display(),
        out.display()
    );
    Ok(Exit(0))
}
