//! `guest-config`: the guest OS network configuration (ifcfg, netplan, …) that brings up the
//! secondary addresses netform manages, rendered from the state by `crate::guest`.

use std::path::Path;

use crate::cli::context::{Ctx, write_file};
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::guest::{GuestInstance, Os};
use crate::outln;

pub fn run(
    ctx: &Ctx,
    instance: Option<&str>,
    os: Option<&str>,
    out: Option<&Path>,
) -> Result<Exit, CliError> {
    let s = ctx.state_or_empty()?;
    let oses: Vec<Os> = match os {
        Some(o) => vec![Os::parse(o).ok_or_else(|| {
            CliError::user(
                format!("unknown --os \"{o}\""),
                "use rhel, debian, sles, netplan, windows or iproute2",
            )
        })?],
        None => Os::ALL.to_vec(),
    };
    let mut insts = crate::guest::from_state::instances(&s);
    if let Some(i) = instance {
        insts.retain(|x| x.instance_id == i);
        if insts.is_empty() {
            return Err(CliError::user(
                format!("no instance {i} with secondary addresses in state"),
                "netform state list shows what netform manages",
            ));
        }
    }
    match out {
        Some(dir) => write_all(&ctx.path(dir), &insts, &oses),
        None if insts.len() == 1 && oses.len() == 1 => {
            for f in crate::guest::render(&insts[0], oses[0]) {
                outln!(ui(), "# --- {} ---\n{}", f.path, f.contents);
            }
            Ok(Exit(0))
        }
        None => Err(CliError::user(
            format!(
                "{} instance(s) × {} OS format(s) make several files",
                insts.len(),
                oses.len()
            ),
            "pass --out DIR, or pick one with --instance ID and --os NAME to print to stdout",
        )),
    }
}

/// One folder per instance and OS under `dir`.
fn write_all(dir: &Path, insts: &[GuestInstance], oses: &[Os]) -> Result<Exit, CliError> {
    let mut n = 0;
    for inst in insts {
        for os in oses {
            for f in crate::guest::render(inst, *os) {
                let p = dir.join(&inst.instance_id).join(os.name()).join(&f.path);
                write_file(&p, &f.contents).map_err(|e| {
                    CliError::user(
                        format!("{e:#}"),
                        "check that the --out directory is writable",
                    )
                })?;
                n += 1;
            }
        }
    }
    outln!(ui(), "Wrote {n} file(s) under {}.", dir.display());
    Ok(Exit(0))
}
