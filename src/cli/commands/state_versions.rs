//! `state pull|push|history`: the stored versions of the state, copied out, replaced (with
//! Terraform's lineage and serial checks) or listed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::context::Ctx;
use crate::cli::error::{CliError, Exit};
use crate::cli::ui;
use crate::state::State;

pub fn pull(ctx: &Ctx, serial: Option<u64>) -> Result<Exit, CliError> {
    let mut store = ctx.store()?;
    let state = match serial {
        Some(n) => match store.version(n)? {
            Some(s) => s,
            None => {
                return Err(CliError::user(
                    format!("{} keeps no version with serial {n}", store.place()),
                    "netform state history lists the versions kept",
                ));
            }
        },
        None => {
            let s = store.read_stored()?;
            if store.has_journal() {
                crate::errln!(
                    ui(),
                    "Warning: an unfinished apply left a journal that this version does not include; the next plan or apply folds it in."
                );
            }
            s.unwrap_or_else(|| State::new(String::new()))
        }
    };
    let text = serde_json::to_string_pretty(&state.to_json()).unwrap_or_default();
    crate::outln!(ui(), "{text}");
    Ok(Exit(0))
}

/// `state push FILE`, with Terraform's checks: the same lineage, and a serial not older than the
/// stored one (`-force` skips both). The pushed state becomes a new version.
pub fn push(ctx: &Ctx, file: &Path, force: bool) -> Result<Exit, CliError> {
    let path: PathBuf = if file.is_absolute() {
        file.to_path_buf()
    } else {
        ctx.dir.join(file)
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::user(
            format!("cannot read {}: {e}", file.display()),
            "check the path",
        )
    })?;
    let pushed = State::from_json(&text, &file.display().to_string())?;
    let mut store = ctx.store()?;
    store.lock(Duration::ZERO, "state push")?;
    let current = store.read_stored()?;
    let refuse = |msg: String| {
        Err(CliError::user(
            msg,
            "pull the current state (netform state pull), or pass -force to overwrite it anyway",
        ))
    };
    if store.has_journal() && !force {
        return refuse(
            "an unfinished apply's journal is waiting to be folded in; run netform apply first"
                .into(),
        );
    }
    let mut next = pushed.clone();
    if let Some(c) = &current {
        if c.lineage != pushed.lineage && !force {
            return refuse(format!(
                "cannot push a state of lineage {} over the unrelated state of lineage {} ({})",
                pushed.lineage,
                c.lineage,
                store.place()
            ));
        }
        if pushed.serial < c.serial && !force {
            return refuse(format!(
                "cannot push serial {} over the newer serial {} ({})",
                pushed.serial,
                c.serial,
                store.place()
            ));
        }
        if c.same_content(&pushed) {
            crate::outln!(
                ui(),
                "The state is already as pushed (serial {}); nothing was written.",
                c.serial
            );
            return Ok(Exit(0));
        }
        // A new version, after every kept one.
        next.serial = pushed.serial.max(c.serial + 1);
    } else {
        next.serial = pushed.serial.max(1);
    }
    store.put(&next, "state push")?;
    crate::outln!(
        ui(),
        "Pushed {} to {} as serial {}.",
        file.display(),
        store.place(),
        next.serial
    );
    Ok(Exit(0))
}

pub fn history(ctx: &Ctx, json: bool) -> Result<Exit, CliError> {
    let mut store = ctx.store()?;
    let versions = store.history()?;
    if json {
        let j = serde_json::to_string_pretty(&versions).unwrap_or_default();
        crate::outln!(ui(), "{j}");
        return Ok(Exit(0));
    }
    if versions.is_empty() {
        crate::outln!(ui(), "{} holds no state yet.", store.place());
        return Ok(Exit(0));
    }
    crate::outln!(
        ui(),
        "{:>6}  {:<20}  {:<28}  {:<20}  {:>7} {:>7} {:>7}",
        "SERIAL",
        "WHEN",
        "WHO",
        "OPERATION",
        "ADDED",
        "CHANGED",
        "REMOVED"
    );
    for v in &versions {
        let n = |f: fn(&crate::backend::Counts) -> u64| {
            v.counts
                .as_ref()
                .map_or("-".to_string(), |c| f(c).to_string())
        };
        crate::outln!(
            ui(),
            "{:>6}  {:<20}  {:<28}  {:<20}  {:>7} {:>7} {:>7}",
            v.serial,
            v.when,
            if v.who.is_empty() { "-" } else { &v.who },
            if v.operation.is_empty() {
                "-"
            } else {
                &v.operation
            },
            n(|c| c.added),
            n(|c| c.changed),
            n(|c| c.removed)
        );
    }
    Ok(Exit(0))
}
