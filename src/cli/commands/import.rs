//! `import ADDR ID`: the engine (`plan::import::adopt`) reads the object from the cloud and
//! records it in state, so the next plan diffs it against the configuration instead of creating
//! a second one. This command only gathers the inputs and writes the state under its lock.

use std::time::Duration;

use crate::address::Address;
use crate::cli::args::PlanArgs;
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::outln;
use crate::plan::import::{AdoptError, adopt, declared};
use crate::state::State;

fn refused(e: AdoptError) -> CliError {
    CliError::user(e.to_string(), e.help())
}

pub fn run(ctx: &Ctx, address: &str, id: &str, vars: &[String]) -> Result<Exit, CliError> {
    let addr = Address::parse(address)
        .map_err(|e| CliError::user(e, "addresses look like TYPE.NAME or TYPE.NAME[0]"))?;
    let mut cfg = ctx.load()?;
    // Refused before anything is locked or read.
    declared(&cfg, &addr).map_err(refused)?;
    let a = PlanArgs {
        vars: vars.to_vec(),
        input: false,
        ..PlanArgs::default()
    };
    let values = ctx.vars(&mut cfg, &a)?;
    let mut store = ctx.store_for(&cfg)?;
    store.lock(Duration::ZERO, "import")?;
    let prior = store.read()?;
    let clouds = ctx.clouds(&cfg, &values)?;
    let mut state = prior
        .clone()
        .unwrap_or_else(|| State::new(crate::state::new_lineage()));
    let ty = adopt(&cfg, &mut state, &addr, id, &clouds).map_err(refused)?;
    store.write(&mut state, prior.as_ref())?;
    outln!(
        ui(),
        "{addr}: Import prepared!\n  Prepared {ty} for import\n\nImport successful!\n\nThe resource is now in netform's state; run netform plan to see how it compares with the configuration."
    );
    Ok(Exit(0))
}
