//! `state list|show|rm|mv` (`pull|push|history` are in `state_versions`). `rm` and `mv` edit
//! the state in one `Store::transact`: locked, read, changed, written, or nothing written at
//! all.

use crate::address::Address;
use crate::cli::args::StateCmd;
use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::{state_view, ui};
use crate::outln;
use crate::state::State;

const ADDRESS_HELP: &str = "addresses look like TYPE.NAME[0]";

pub fn run(ctx: &Ctx, c: &StateCmd) -> Result<Exit, CliError> {
    match c {
        StateCmd::List => {
            let mut store = ctx.store()?;
            let s = store.read()?.unwrap_or_else(|| State::new(String::new()));
            for a in s.resources.keys() {
                outln!(ui(), "{a}");
            }
        }
        StateCmd::Show { address } => show(ctx, address)?,
        StateCmd::Rm { addresses } => rm(ctx, addresses)?,
        StateCmd::Mv { from, to } => mv(ctx, from, to)?,
        StateCmd::Pull { serial } => return super::state_versions::pull(ctx, *serial),
        StateCmd::Push { file, force } => return super::state_versions::push(ctx, file, *force),
        StateCmd::History { json } => return super::state_versions::history(ctx, *json),
    }
    Ok(Exit(0))
}

fn parse(address: &str) -> Result<Address, CliError> {
    Address::parse(address).map_err(|e| CliError::user(e, ADDRESS_HELP))
}

fn show(ctx: &Ctx, address: &str) -> Result<(), CliError> {
    // The store is opened first, as for every state command: a broken backend is reported
    // before a bad address.
    let mut store = ctx.store()?;
    let a = parse(address)?;
    let s = store.read()?.unwrap_or_else(|| State::new(String::new()));
    let Some(i) = s.resources.get(&a) else {
        return Err(CliError::user(
            format!("no instance {a} in state"),
            "netform state list shows what is there",
        ));
    };
    let mut one = State::new(s.lineage.clone());
    one.resources.insert(a, i.clone());
    let sensitive = super::show::sensitive_attributes(ctx);
    ui().out(&state_view::render(&one, &sensitive));
    Ok(())
}

fn rm(ctx: &Ctx, addresses: &[String]) -> Result<(), CliError> {
    let mut store = ctx.store()?;
    if addresses.is_empty() {
        return Err(CliError::user(
            "state rm needs at least one address",
            "netform state rm TYPE.NAME[0]",
        ));
    }
    let removed = store.transact("state rm", |s| {
        let mut removed = Vec::new();
        for a in addresses {
            let addr = parse(a)?;
            let matching: Vec<Address> = s
                .resources
                .keys()
                .filter(|k| addr.matches(k))
                .cloned()
                .collect();
            if matching.is_empty() {
                return Err(CliError::user(
                    format!("no instance {addr} in state"),
                    "netform state list shows what is there; nothing was removed",
                ));
            }
            for m in matching {
                s.resources.remove(&m);
                removed.push(m);
            }
            // An operation left pending on a forgotten address must not bring it back when
            // the next apply settles it.
            s.pending.retain(|_, i| !addr.matches(&i.operation.address));
        }
        Ok(removed)
    })?;
    let Some(removed) = removed else {
        return Err(CliError::user("there is no state", "nothing to remove"));
    };
    for m in &removed {
        outln!(ui(), "Removed {m}");
    }
    outln!(
        ui(),
        "Successfully removed {} resource instance(s). They still exist in the cloud; netform no longer manages them.",
        removed.len()
    );
    Ok(())
}

fn mv(ctx: &Ctx, from: &str, to: &str) -> Result<(), CliError> {
    let mut store = ctx.store()?;
    let moved = store.transact("state mv", |s| {
        let f = parse(from)?;
        let t = parse(to)?;
        if f.ty != t.ty {
            return Err(CliError::user(
                format!("cannot move {f} to {t}: the types differ"),
                "state mv renames; it cannot change a resource's type",
            ));
        }
        if s.resources.contains_key(&t) {
            return Err(CliError::user(
                format!("{t} already exists in state"),
                "remove or move it first",
            ));
        }
        let Some(i) = s.resources.remove(&f) else {
            return Err(CliError::user(
                format!("no instance {f} in state"),
                "netform state list shows what is there",
            ));
        };
        s.resources.insert(t.clone(), i);
        Ok((f, t))
    })?;
    let Some((f, t)) = moved else {
        return Err(CliError::user("there is no state", "nothing to move"));
    };
    outln!(
        ui(),
        "Move \"{f}\" to \"{t}\"\nSuccessfully moved 1 object(s)."
    );
    Ok(())
}
