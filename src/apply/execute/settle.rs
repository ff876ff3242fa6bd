//! Settling an operation whose outcome is unknown (its intent is pending: the run crashed, or
//! the answer never came): did the cloud do it? Each action is judged by what it leaves behind —
//! the object its identity tags name, the addresses on the ENI, the ENI's instance, the EIP's
//! binding, the object being gone — and the updates the operation would have made are rebuilt
//! from that, so state records it exactly as a run that saw the answer would have. How each
//! action is judged is its kind's (`resources::<kind>::exec`); here is what is common: the
//! outcomes, how far settling may go, and the removal of a replaced object.
//!
//! Where the action is idempotent by ClientToken and nothing shows it was done, the caller may
//! allow a replay: the same request with the same token, which the cloud answers with its first
//! answer if it did the work, or does now (it was planned, and the next plan starts from it).

use std::collections::HashSet;

use super::{Exec, Updates};
use crate::apply::Update;
use crate::plan::ops::Phase;
use crate::provider::ApiError;

/// What settling found.
#[derive(Debug)]
pub(crate) enum Settled {
    /// The cloud did it: these are the updates the operation makes.
    Done(Vec<Update>),
    /// Nothing shows it was done: the next plan plans it again, with a new token.
    NotDone,
    /// Not done, and not for a plan to redo (the removal of a replaced object, which no plan
    /// remembers), but not possible yet (an EIP is still bound to it): it stays pending, to be
    /// settled once the run has done the rest.
    Later,
}

/// How far settling may go.
pub(crate) struct Settle<'a> {
    /// Repeat token-idempotent requests (creates, assigns by count) that nothing shows done.
    /// Never for `plan`, which must not change the cloud.
    pub replay: bool,
    /// Cloud ids state already records: an object found by its identity tags that state knows
    /// is an earlier object of the same address (create_before_destroy), not this intent's.
    pub known: &'a HashSet<String>,
}

impl Exec<'_> {
    /// Settles this job's operation (see the module doc).
    pub(in crate::apply) fn settle(&self, how: &Settle) -> Result<Settled, ApiError> {
        let settled = crate::resources::execute::settle(self, how)?;
        // The old object of a create_before_destroy replacement that state no longer holds:
        // left "not done", it would be an orphan. Its removal was planned, so it is done now.
        let c = &self.job.change;
        let old_half = self.job.op.phase == Phase::Destroy
            && c.action == crate::plan::Action::Replace
            && c.create_before_destroy;
        // Only once the new object has taken its place: while state still holds the old one,
        // the replacement was not made, and the next plan makes it (new object first).
        let superseded = crate::resources::execute::object_id(&self.cur)
            .is_some_and(|id| !how.known.contains(&id));
        if matches!(settled, Settled::NotDone) && old_half && superseded && how.replay {
            // Settling has no batched reader, so this is the run `execute_with` would make.
            let again = match &self.job.blocked {
                Some(e) => Err(e.clone()),
                None => crate::resources::execute::run(self),
            };
            return Ok(match replayed(again)? {
                Settled::NotDone => Settled::Later,
                done => done,
            });
        }
        Ok(settled)
    }
}

/// `found` less what state knows, the lowest id first (one is expected; two would be a
/// duplicate, and adopting the same one every time keeps runs consistent).
pub(crate) fn pick<T>(mut found: Vec<T>, id: impl Fn(&T) -> &str, how: &Settle) -> Option<T> {
    found.retain(|x| !how.known.contains(id(x)));
    found.sort_by(|a, b| id(a).cmp(id(b)));
    found.into_iter().next()
}

/// A replay's outcome: done when it recorded something, else not done (its error is the
/// next plan's to meet again, with a fresh token).
pub(crate) fn replayed(u: Updates) -> Result<Settled, ApiError> {
    match u {
        Ok(u) if u.iter().any(|x| !matches!(x, Update::Failed(_))) => Ok(Settled::Done(
            u.into_iter()
                .filter(|x| !matches!(x, Update::Failed(_)))
                .collect(),
        )),
        Ok(_) | Err(_) => Ok(Settled::NotDone),
    }
}
