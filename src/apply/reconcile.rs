//! Reconciliation: before a run plans, every operation a previous run left pending (its intent
//! was recorded, its outcome never was: the process was killed, the answer was lost, a wait
//! gave up) is settled against the cloud (`execute::settle`), and state records what the cloud
//! did exactly as the operation would have. Only then does the plan compare configuration with
//! state, so it never asks for what is already done — an ENI attached twice, an EIP bound twice,
//! an object created twice — and netform's own plan-time rules never refuse the rerun.
//!
//! `apply` and `destroy` reconcile for real: findings are journalled (and folded into the state
//! file by the caller) and token-idempotent creates that nothing shows done are replayed.
//! `plan` only looks, in memory, and changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use super::execute::{Settle, Settled, settle_job};
use super::{Job, Update, record_update};
use crate::address::Address;
use crate::plan::Change;
use crate::plan::attrs;
use crate::provider::{ApiError, Clouds};
use crate::schema;
use crate::state::{Intent, Journal, JournalEntry, State, StateError};

/// What a reconciliation did, for the caller to report.
#[derive(Debug, Default, PartialEq)]
pub struct Reconciled {
    /// Operations the cloud had done, now recorded in state (operation ids).
    pub adopted: Vec<String>,
    /// Operations the cloud had not done; the plan will ask for them again.
    pub not_done: Vec<String>,
    /// Operations that stay pending, to be settled after the run (`Settled::Later`).
    pub later: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(
        "cannot settle the operation {op} that an interrupted run left pending: {error}; nothing was changed, run again once the cloud answers"
    )]
    Cloud { op: String, error: Box<ApiError> },
    #[error(transparent)]
    State(#[from] StateError),
}

/// How a run reconciles: `Apply` journals what it finds and may replay creates; `Look` only
/// looks, for `plan`.
pub enum Mode<'a> {
    Apply(&'a mut Journal),
    Look,
}

/// Settles every pending intent of `state` (see the module doc), updating `state`.
pub fn reconcile(
    state: &mut State,
    clouds: &Clouds,
    mut mode: Mode,
) -> Result<Reconciled, ReconcileError> {
    let mut out = Reconciled::default();
    if state.pending.is_empty() {
        return Ok(out);
    }
    let mut intents: Vec<Intent> = state.pending.values().cloned().collect();
    // What was made first (a create_before_destroy's new object must be in state before its
    // old one's removal is judged), then by kind: a later kind may refer to an earlier one's.
    intents.sort_by_key(|i| {
        (
            i.operation.phase == crate::plan::ops::Phase::Destroy,
            i.operation.action,
            i.id.clone(),
        )
    });
    let batch = clouds.limits.ips_per_assign_call.value.max(1) as usize;
    let mut cidrs: HashMap<Option<String>, BTreeMap<String, (String, String)>> = HashMap::new();
    for intent in intents {
        let op = intent.operation.id.clone();
        let Some(job) = job_of(&intent, &state.lineage) else {
            // An address of a type netform no longer knows: nothing to settle it with.
            out.not_done.push(op);
            finish(state, &mut mode, &intent.id, Vec::new())?;
            continue;
        };
        let client = clouds.client(intent.provider.as_deref());
        let cidr = match cidrs.get(&intent.provider) {
            Some(c) => c,
            None => {
                let c = crate::plan::refresh::vswitch_cidrs(&client).map_err(|error| {
                    ReconcileError::Cloud {
                        op: op.clone(),
                        error: Box::new(error),
                    }
                })?;
                cidrs.entry(intent.provider.clone()).or_insert(c)
            }
        };
        let known = known_ids(state);
        let how = Settle {
            replay: matches!(mode, Mode::Apply(_)),
            known: &known,
        };
        let settled = settle_job(&job, &client, cidr, batch, &how).map_err(|error| {
            ReconcileError::Cloud {
                op: op.clone(),
                error: Box::new(error),
            }
        })?;
        let updates = match settled {
            Settled::Done(u) => {
                out.adopted.push(op);
                u
            }
            Settled::NotDone => {
                out.not_done.push(op);
                Vec::new()
            }
            Settled::Later => {
                out.later.push(op);
                continue;
            }
        };
        let entries = record(state, &job, updates);
        finish(state, &mut mode, &intent.id, entries)?;
    }
    Ok(out)
}

/// Ends an intent: its entries, then `Done`, journalled together in `Apply` mode.
fn finish(
    state: &mut State,
    mode: &mut Mode,
    id: &str,
    mut entries: Vec<JournalEntry>,
) -> Result<(), StateError> {
    state.pending.remove(id);
    if let Mode::Apply(j) = mode {
        entries.push(JournalEntry::Done { id: id.to_string() });
        j.append_all(&entries)?;
    }
    Ok(())
}

/// Applies a settled operation's updates to `state`, returning their journal entries.
fn record(state: &mut State, job: &Job, updates: Vec<Update>) -> Vec<JournalEntry> {
    let mut ids: HashMap<String, Address> = HashMap::new();
    for (a, i) in &state.resources {
        if let Some(id) = crate::resources::execute::state_id(&i.attributes) {
            ids.insert(id.to_string(), a.clone());
        }
    }
    updates
        .into_iter()
        .filter_map(|u| record_update(u, job, state, &mut ids, None).map(|(e, _)| e))
        .collect()
}

/// Every cloud id state records.
fn known_ids(state: &State) -> HashSet<String> {
    state
        .resources
        .values()
        .filter_map(|i| crate::resources::execute::state_id(&i.attributes))
        .map(str::to_string)
        .collect()
}

/// The job an intent describes, as the run that recorded it built it.
pub(super) fn job_of(intent: &Intent, lineage: &str) -> Option<Job> {
    let address = intent.operation.address.clone();
    let (sch, _) = schema::lookup(address.mode, &address.ty)?;
    let current = intent.current.as_ref().map(|c| attrs::from_state(sch, c));
    let mut resolved = attrs::from_state(sch, &intent.planned);
    for k in &intent.unknown {
        resolved.insert(k.clone(), crate::lang::Value::Unknown(None));
    }
    Some(Job {
        op: intent.operation.clone(),
        change: Change {
            address,
            kind: sch.kind,
            action: intent.change,
            before: current.clone(),
            after: Some(resolved.clone()),
            replace_paths: Vec::new(),
            create_before_destroy: intent.create_before_destroy,
            dependencies: intent.dependencies.clone(),
            provider: intent.provider.clone(),
            each: None,
            sensitive: Default::default(),
        },
        current,
        resolved,
        blocked: None,
        token: intent.token.clone(),
        lineage: lineage.to_string(),
    })
}

/// The intent a job records before its first call.
pub(super) fn intent_of(job: &Job) -> Intent {
    let unknown = job
        .resolved
        .iter()
        .filter(|(_, v)| v.is_unknown())
        .map(|(k, _)| k.clone())
        .collect();
    Intent {
        id: job.token.clone(),
        // Its dependencies only order the run that records it: recovery settles each intent on
        // its own, and they would make every intent as long as its operation's fan-in.
        operation: crate::plan::ops::Op {
            depends_on: Vec::new(),
            ..job.op.clone()
        },
        change: job.change.action,
        create_before_destroy: job.change.create_before_destroy,
        token: job.token.clone(),
        provider: job.change.provider.clone(),
        dependencies: job.change.dependencies.clone(),
        current: job.current.as_ref().map(attrs::to_state),
        planned: attrs::to_state(&job.resolved),
        unknown,
        in_state: crate::state::InState::No,
    }
}

#[cfg(test)]
mod tests;
