//! Apply: walk the operation graph with a bounded pool of worker threads. An operation runs when
//! everything it depends on is done; a failed one skips its dependents while independent work
//! finishes. Every completed operation is journalled (fsynced) before the next is dispatched, so
//! a crash loses nothing that was done. Values that were unknown at plan time are resolved just
//! before the operation that needs them, by re-evaluating the resource with what apply has made.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{OnceLock, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value as J;

use crate::address::Address;
use crate::config::Config;
use crate::diag::Diagnostics;
use crate::lang::Value;
use crate::lang::eval::Evaluator;
use crate::plan::attrs::{self, Attrs};
use crate::plan::ops::{Op, OpAction, Phase};
use crate::plan::{Action, Change, Plan};
use crate::provider::{ApiError, Clouds};
use crate::schema;
use crate::state::{Instance, JournalEntry, OutputState, State, StateError, Store};

mod counting;
pub(crate) mod execute;
mod ready;
pub mod reconcile;
use crate::resources::execute::records_eni_facts;
use execute::{Waiter, execute_with};

/// Progress, for the CLI to show. `phase` tells the destroy half of a change from the rest
/// (Terraform's "Destroying…" against "Creating…"/"Modifying…").
#[derive(Clone, Debug)]
pub enum Event {
    Start {
        op: String,
        address: Address,
        action: OpAction,
        phase: Phase,
    },
    Done {
        op: String,
        address: Address,
        action: OpAction,
        phase: Phase,
        elapsed: Duration,
        /// The cloud id of the resource's object once the operation is done (none once deleted).
        id: Option<String>,
    },
    Failed {
        op: String,
        address: Address,
        action: OpAction,
        phase: Phase,
        elapsed: Duration,
        error: ApiError,
    },
    Skipped {
        op: String,
    },
}

#[derive(Debug, Default)]
pub struct Report {
    pub added: usize,
    pub changed: usize,
    pub destroyed: usize,
    pub completed: Vec<String>,
    pub failed: Vec<(String, ApiError)>,
    pub skipped: Vec<String>,
    pub state: Option<State>,
    /// Problems that did not stop the apply (an output that could not be evaluated).
    pub warnings: Vec<crate::diag::Diagnostic>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.failed.is_empty() && self.skipped.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("{0}")]
    Internal(String),
}

/// What a finished operation changes in state.
#[derive(Debug)]
pub(crate) enum Update {
    Set(Address, Attrs),
    Remove(Address),
    /// Refresh the managed object with this cloud id (an ENI after attach, an EIP after bind).
    ById(String, Attrs),
    /// The operation failed after the other updates in its list had been done.
    Failed(ApiError),
}

pub(crate) struct Job {
    op: Op,
    change: Change,
    /// The resource's attributes in state right now (after earlier operations).
    current: Option<Attrs>,
    /// The planned attributes with unknowns resolved as far as possible.
    resolved: Attrs,
    /// Why the operation must not run although its dependencies are done (a value still unknown,
    /// or an expression that failed once its inputs were known).
    blocked: Option<ApiError>,
    token: String,
    /// The state's lineage, for the identity tags of what the operation creates.
    lineage: String,
}

/// One ClientToken per logical operation, reused by every retry of it: the state it was planned
/// from (lineage and serial) and the operation's id.
fn client_token(lineage: &str, serial: u64, op: &str) -> String {
    use sha2::Digest;
    use std::fmt::Write;
    let h = sha2::Sha256::digest(format!("{lineage}/{serial}/{op}").as_bytes());
    let mut hex = String::with_capacity(32);
    for b in h.iter().take(16) {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

pub(crate) fn sval(a: &Attrs, k: &str) -> Option<String> {
    a.get(k).and_then(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => v.coerce_string(),
        _ => None,
    })
}

fn missing(what: &str, addr: &Address) -> ApiError {
    ApiError::new(
        400,
        "netform.Unresolved",
        format!("{addr}: {what} is still unknown when it is needed"),
    )
}

/// Resolves a change's planned attributes with what is known now: re-evaluates the resource's
/// configuration where the plan had unknowns.
fn resolve(
    cfg: &Config,
    scope: &mut crate::config::eval::Scope,
    local_order: &[String],
    change: &Change,
) -> Result<Attrs, ApiError> {
    let after = change.after.clone().unwrap_or_default();
    if after.values().all(Value::is_wholly_known) {
        return Ok(after);
    }
    let Some(r) = cfg.resource_at(&change.address) else {
        return Ok(after);
    };
    // Locals this resource uses that were unknown may be known now. Only its own: refreshing
    // every local for every operation would make apply quadratic.
    refresh_locals(cfg, scope, local_order, false);
    // A module's variables, locals and outputs follow what its caller now knows.
    crate::plan::modules::refresh(cfg, scope);
    let module = &change.address.module;
    let path: Vec<String> = module.iter().map(|s| s.name.clone()).collect();
    let dir = cfg.module(&path).map_or(&cfg.dir, |m| &m.dir);
    let mut diags = Diagnostics::default();
    // `each.value` may itself hold values that were unknown at plan time (for_each over another
    // resource): take it afresh — straight from the scope for the common `for_each = TYPE.NAME`.
    let each = match (&r.for_each, &change.address.key) {
        (Some(fe), crate::address::InstanceKey::Str(k)) => {
            let direct = match crate::lang::eval::references(&fe.expr).as_slice() {
                [(crate::lang::eval::Ref::Resource(data, ty, name), _)] if matches!(&fe.expr, hcl_edit::expr::Expression::Traversal(t) if t.operators.len() == 1) =>
                {
                    use crate::lang::eval::Lookup;
                    scope
                        .view(module)
                        .resource_instance(*data, ty, name, &Value::string(k.clone()))
                        .flatten()
                }
                _ => None,
            };
            match direct {
                Some(v) => Some(v),
                None => match Evaluator::new(&scope.view(module), dir).eval(&fe.expr) {
                    Ok(Value::Map(m)) => m.get(k).cloned().or_else(|| change.each.clone()),
                    _ => change.each.clone(),
                },
            }
        }
        _ => change.each.clone(),
    };
    let desired = crate::plan::eval_instance(
        cfg,
        r,
        scope,
        module,
        &change.address.key,
        each.as_ref(),
        &mut diags,
    )
    .unwrap_or_default();
    let mut out = after;
    // An expression that only fails now its values are known (indexing a set, a function
    // refusing an argument): the operation reports it, with where it is written.
    if let Some(d) = diags.0.iter().find(|d| d.is_error()) {
        let at = d
            .range
            .as_ref()
            .map(|r| format!("{}: ", cfg.sources.location(r)))
            .unwrap_or_default();
        let help = d
            .help
            .as_ref()
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        return Err(ApiError::new(
            400,
            "netform.Configuration",
            format!("{at}{}{help}", d.summary),
        ));
    }
    let mut pending = Vec::new();
    for (k, v) in desired {
        if v.is_wholly_known() {
            if out.get(k.as_str()).is_none_or(|old| !old.is_wholly_known()) {
                out.insert(k, v);
            }
        } else {
            // Configured, and still not known when its operation is due: an ordering bug. The
            // operation refuses to run rather than send something wrong.
            pending.push(k);
        }
    }
    if !pending.is_empty() {
        return Err(missing(&pending.join(", "), &change.address));
    }
    // A list left to a count follows the count.
    for &(list, count) in crate::resources::execute::counted_lists(change.kind) {
        if let (Some(Value::Set(items)), Some(c)) = (out.get(list), out.get(count))
            && c.is_unknown()
        {
            let n = items.len();
            out.insert(count.into(), Value::from(n));
        }
    }
    Ok(out)
}

pub struct Options {
    pub parallelism: usize,
    /// Set (by Ctrl-C) to stop starting operations: those in flight finish and are recorded,
    /// the rest are reported as not done.
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// Applies a plan. State is journalled per operation and written atomically at the end.
pub fn apply(
    cfg: &Config,
    plan: &Plan,
    clouds: &Clouds,
    store: &mut Store,
    opts: &Options,
    on_event: &mut dyn FnMut(&Event),
) -> Result<Report, ApplyError> {
    let mut walk = Walk::new(cfg, plan, opts.parallelism > 1);
    // Opened (and its header made durable) before the first cloud call: a journal that cannot
    // be written must stop the run while nothing has changed yet.
    let mut journal = if plan.ops.is_empty() {
        None
    } else {
        Some(store.journal(&walk.lineage)?)
    };
    walk.record_changes_without_ops();
    let cidrs = walk.vswitch_cidrs();
    let calls = counting::Calls::new(opts.parallelism);
    let batch = clouds.limits.ips_per_assign_call.value.max(1) as usize;
    let workers = operations_at_once(opts.parallelism);
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
    let (res_tx, res_rx) = mpsc::channel::<Finished>();
    let empty = BTreeMap::new();
    // One batched reader per provider block: its reads go to that block's region.
    let waiters: HashMap<Option<String>, Waiter> = plan
        .changes
        .iter()
        .map(|c| (c.provider.clone(), Waiter::default()))
        .collect();
    let fallback = Waiter::default();
    std::thread::scope(|s| -> Result<(), ApplyError> {
        for _ in 0..workers {
            let rx = job_rx.clone();
            let tx = res_tx.clone();
            let (cidrs, empty, calls, waiters) = (&cidrs, &empty, &calls, &waiters);
            let fallback = &fallback;
            s.spawn(move || {
                loop {
                    let job = {
                        let Ok(guard) = rx.lock() else { return };
                        guard.recv()
                    };
                    let Ok(job) = job else { return };
                    let start = Instant::now();
                    let mut client = clouds.client(job.change.provider.as_deref());
                    let counted = calls.wrap(client.transport);
                    client.transport = &counted;
                    let cidr = match cidrs.get(&job.change.provider) {
                        Some(once) if records_eni_facts(job.change.kind) => {
                            once.get_or_init(|| {
                                crate::plan::refresh::vswitch_cidrs(&client).unwrap_or_default()
                            })
                        }
                        _ => empty,
                    };
                    let waiter = waiters.get(&job.change.provider).unwrap_or(fallback);
                    let res = execute_with(&job, &client, cidr, batch, Some(waiter));
                    if tx.send((job, res, start.elapsed())).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        let mut in_flight = 0usize;
        loop {
            let starting = walk.start_ready(workers - in_flight, opts, on_event);
            in_flight += starting.len();
            // One durable write for the outcomes of what just finished and the intents of what
            // starts now: a finished operation is durable before anything that depends on it
            // starts (its dependents are sent below), and an intent before its first call.
            walk.write_journal(&starting, &mut journal, store)?;
            walk.release_events(on_event);
            for job in starting {
                if job_tx.send(job).is_err() {
                    return Err(ApplyError::Internal("apply workers stopped".into()));
                }
            }
            if in_flight == 0 {
                break;
            }
            let Ok(first) = res_rx.recv() else {
                break;
            };
            // Whatever else has finished meanwhile shares the next write.
            for finished in std::iter::once(first).chain(res_rx.try_iter()) {
                in_flight -= 1;
                walk.finish(finished);
            }
        }
        drop(job_tx);
        Ok(())
    })?;
    log::debug!(target: "netform::apply", "api calls: {}", calls.summary());
    account_for_every_op(plan, opts, &mut walk.report, on_event);
    if walk.report.ok() && !walk.state.pending.is_empty() {
        settle_after_run(
            &mut walk.state,
            clouds,
            store,
            &mut journal,
            &mut walk.report,
        )?;
    }
    walk.finish_outputs();
    let Walk {
        mut state, report, ..
    } = walk;
    store.write(&mut state, plan.stored.as_ref())?;
    Ok(Report {
        state: Some(state),
        ..report
    })
}

/// How many operations run at once for `--parallelism n`: n calls at once (`counting`), and
/// room for seven times as many more operations, which wait for the cloud (an
/// attach, a binding) or back off a throttle without holding a call's place. With 1, one
/// operation at a time: the order is the plan's, as a user asking for 1 expects.
fn operations_at_once(parallelism: usize) -> usize {
    match parallelism.max(1) {
        1 => 1,
        n => n.saturating_mul(8),
    }
}

/// A finished operation: the job, what it did (or why it failed), and how long it took.
type Finished = (Job, Result<Vec<Update>, ApiError>, Duration);

/// The walk of the operation graph: what is ready, what waits on what, state and the evaluation
/// scope as far as apply has got, and what the journal has still to make durable.
struct Walk<'a> {
    cfg: &'a Config,
    plan: &'a Plan,
    changes: HashMap<&'a Address, &'a Change>,
    ops: HashMap<&'a str, &'a Op>,
    /// Per operation, how many of its dependencies are not done yet.
    waiting: HashMap<&'a str, usize>,
    /// Per operation, the operations that depend on it.
    users: HashMap<&'a str, Vec<&'a str>>,
    ready: ready::Ready<'a>,
    scope: crate::config::eval::Scope,
    locals_of: HashMap<String, Vec<String>>,
    local_order: Vec<String>,
    state: State,
    lineage: String,
    report: Report,
    /// Cloud id → the address whose object it is.
    ids: HashMap<String, Address>,
    /// Per-op completion tallies, to count a change as done when all its operations are.
    remaining_per_change: HashMap<Address, usize>,
    failed_ops: HashSet<String>,
    /// Entries of finished operations that are not durable yet.
    unwritten: Vec<JournalEntry>,
    /// Addresses whose instance in `state` may differ from what the journal folds to (see
    /// `record_update`): those the plan's refresh changed from the stored state, until an
    /// entry writes them whole.
    unsynced: HashSet<Address>,
    /// Events that wait for `unwritten` to be durable (an operation is reported done once it
    /// is recorded), and the starts that follow them.
    held: Vec<Event>,
}

impl<'a> Walk<'a> {
    fn new(cfg: &'a Config, plan: &'a Plan, by_chain: bool) -> Walk<'a> {
        let state = plan.prior.clone();
        let changes: HashMap<&Address, &Change> =
            plan.changes.iter().map(|c| (&c.address, c)).collect();
        let ops: HashMap<&str, &Op> = plan.ops.iter().map(|o| (o.id.as_str(), o)).collect();
        let mut waiting: HashMap<&str, usize> = HashMap::new();
        let mut users: HashMap<&str, Vec<&str>> = HashMap::new();
        for o in &plan.ops {
            let n = o
                .depends_on
                .iter()
                .filter(|d| ops.contains_key(d.as_str()))
                .count();
            waiting.insert(&o.id, n);
            for d in &o.depends_on {
                users.entry(d.as_str()).or_default().push(&o.id);
            }
        }
        let mut ready = ready::Ready::new(&plan.ops, &users, by_chain);
        for o in plan
            .ops
            .iter()
            .filter(|o| waiting.get(o.id.as_str()) == Some(&0))
        {
            ready.push(&o.id);
        }
        let local_order = locals_in_order(cfg);
        let locals_of = locals_by_resource(cfg, &local_order);
        let mut ids: HashMap<String, Address> = HashMap::new();
        for (a, i) in &state.resources {
            if let Some(id) = crate::resources::execute::state_id(&i.attributes) {
                ids.insert(id.to_string(), a.clone());
            }
        }
        let mut remaining_per_change: HashMap<Address, usize> = HashMap::new();
        for o in &plan.ops {
            *remaining_per_change.entry(o.address.clone()).or_default() += 1;
        }
        Walk {
            cfg,
            plan,
            changes,
            ops,
            waiting,
            users,
            ready,
            scope: plan.scope.clone(),
            locals_of,
            local_order,
            lineage: state.lineage.clone(),
            state,
            report: Report::default(),
            ids,
            remaining_per_change,
            failed_ops: HashSet::new(),
            unwritten: Vec::new(),
            unsynced: unsynced(plan),
            held: Vec::new(),
        }
    }

    /// Changes without operations (an update of attributes netform only records) count at once.
    fn record_changes_without_ops(&mut self) {
        for c in &self.plan.changes {
            if c.is_change() && !self.remaining_per_change.contains_key(&c.address) {
                if let Some(after) = &c.after {
                    let mut a = after.clone();
                    for (_, v) in a.iter_mut() {
                        if v.is_unknown() {
                            *v = Value::Null;
                        }
                    }
                    let inst = instance_for(c, &a);
                    self.state.resources.insert(c.address.clone(), inst);
                    // State holds it as planned; the journal writes nothing for it.
                    self.unsynced.insert(c.address.clone());
                }
                count_change(&mut self.report, c.action);
            }
        }
    }

    /// vSwitch CIDRs are recorded on ENIs (guest-config needs them): read once per region, by
    /// the first operation that needs them, while the others go on.
    fn vswitch_cidrs(&self) -> Cidrs {
        self.plan
            .changes
            .iter()
            .filter(|c| crate::resources::execute::records_eni_facts(c.kind))
            .map(|c| (c.provider.clone(), OnceLock::new()))
            .collect()
    }

    /// Takes up to `room` ready operations and makes their jobs (their starts are reported
    /// once the journal holds their intents); after a cancel, reports the ready ones skipped.
    fn start_ready(
        &mut self,
        room: usize,
        opts: &Options,
        on_event: &mut dyn FnMut(&Event),
    ) -> Vec<Job> {
        let mut starting = Vec::new();
        while starting.len() < room {
            if opts
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
            {
                for id in self.ready.drain() {
                    self.report.skipped.push(id.to_string());
                    on_event(&Event::Skipped { op: id.to_string() });
                }
                break;
            }
            let Some(id) = self.ready.pop() else {
                break;
            };
            if let Some(job) = self.job(id) {
                self.held.push(Event::Start {
                    op: job.op.id.clone(),
                    address: job.op.address.clone(),
                    action: job.op.action,
                    phase: job.op.phase,
                });
                starting.push(job);
            }
        }
        starting
    }

    /// The job of a ready operation, its values resolved with what apply has made so far.
    fn job(&mut self, id: &str) -> Option<Job> {
        let op = *self.ops.get(id)?;
        let change = *self.changes.get(&op.address)?;
        let resolved = if op.phase == Phase::Apply {
            resolve(
                self.cfg,
                &mut self.scope,
                self.locals_of
                    .get(&change.address.resource_key())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]),
                change,
            )
        } else {
            Ok(change.before.clone().unwrap_or_default())
        };
        let (resolved, blocked) = match resolved {
            Ok(r) => (r, None),
            Err(e) => (change.after.clone().unwrap_or_default(), Some(e)),
        };
        // The destroy half of a replacement works on the old object, which with
        // create_before_destroy is no longer the one state holds.
        let old_half = op.phase == Phase::Destroy && change.action == Action::Replace;
        let current = if old_half && change.create_before_destroy {
            change.before.clone()
        } else {
            self.state
                .resources
                .get(&op.address)
                .map(|i| attrs::from_state(schema::by_kind(change.kind), &i.attributes))
        };
        Some(Job {
            op: op.clone(),
            change: change.clone(),
            current,
            resolved,
            blocked,
            token: client_token(&self.lineage, self.plan.prior.serial, &op.id),
            lineage: self.lineage.clone(),
        })
    }

    /// Makes the finished operations' entries and the starting ones' intents durable, with one
    /// write (and one fsync) for all.
    fn write_journal(
        &mut self,
        starting: &[Job],
        journal: &mut Option<crate::state::Journal>,
        store: &mut Store,
    ) -> Result<(), ApplyError> {
        let mut intents: Vec<crate::state::Intent> = starting
            .iter()
            .filter(|j| j.blocked.is_none())
            .map(reconcile::intent_of)
            .collect();
        // create_before_destroy: the old object's removal is recorded as pending before the new
        // object is made, so that a run killed in between leaves it to be settled rather than as
        // an orphan no state remembers.
        for j in starting {
            intents.extend(old_half_intents(
                j,
                &self.plan.ops,
                self.plan.prior.serial,
                &self.state,
            ));
        }
        let mut entries = std::mem::take(&mut self.unwritten);
        let written = entries.len();
        entries.extend(intents.into_iter().map(|mut i| {
            // The journal folds to this same state up to here: what it holds for the address
            // need not be written again.
            let held = self
                .state
                .resources
                .get(&i.operation.address)
                .map(|x| &x.attributes);
            if i.current.is_some()
                && i.current.as_ref() == held
                && !self.unsynced.contains(&i.operation.address)
            {
                // How much of the planned attributes the line leaves to state is the
                // journal's business (`state::trimmed`); `Current` says only this much.
                i.in_state = crate::state::InState::Current;
            }
            JournalEntry::Intent(Box::new(i))
        }));
        if !entries.is_empty() {
            let j = match journal {
                Some(j) => j,
                None => journal.insert(store.journal(&self.lineage)?),
            };
            j.append_all(&entries)?;
        }
        // The intents are pending whole once written (taken back from their lines rather than
        // cloned for them).
        for e in entries.drain(written..) {
            if let JournalEntry::Intent(i) = e {
                let mut i = *i;
                i.in_state = crate::state::InState::No;
                self.state.pending.insert(i.id.clone(), i);
            }
        }
        Ok(())
    }

    /// Reports what waited for the journal: operations done, failed or skipped, then starts.
    fn release_events(&mut self, on_event: &mut dyn FnMut(&Event)) {
        for e in self.held.drain(..) {
            on_event(&e);
        }
    }

    /// Records a finished operation: its updates in state and the scope, its journal entries
    /// (written with the next batch), and the operations it frees.
    fn finish(&mut self, (job, res, elapsed): Finished) {
        let id = job.op.id.clone();
        // An operation that failed after part of its work (a batch of assigns) still records
        // that part: state holds every completed call.
        let (updates, failure) = match res {
            Ok(mut u) => match u.iter().position(|x| matches!(x, Update::Failed(_))) {
                Some(i) => match u.remove(i) {
                    Update::Failed(e) => (u, Some(e)),
                    _ => (u, None),
                },
                None => (u, None),
            },
            Err(e) => (Vec::new(), Some(e)),
        };
        let mut entries = Vec::new();
        // The operation's address as entries write it, formatted once for all of them.
        let at = job.op.address.to_string();
        for u in updates {
            let Some((entry, recorded)) = record_update(
                u,
                &job,
                &mut self.state,
                &mut self.ids,
                Some(&mut self.unsynced),
            ) else {
                continue;
            };
            mirror_in_scope(&mut self.scope, &self.changes, &job, recorded);
            // The journal holds the intent pending (it was written before the job started):
            // what the operation made at its address is written over the intent's plan.
            let entry = match self.state.pending.get(&job.token) {
                Some(intent) => made_over(entry, intent, &at),
                None => entry,
            };
            entries.push(entry);
        }
        // The intent ends once its outcome is recorded, or when netform refused the operation
        // before any call. Any other failure may have come after the cloud acted (a lost
        // answer, a wait that gave up): the intent stays pending, and the next run settles it
        // against the cloud before it plans. The old half of a create_before_destroy
        // replacement is never given up: until its object is gone, its intent is all that
        // remembers it.
        let keep = old_half(&job.op, &job.change);
        if job.blocked.is_none()
            && failure
                .as_ref()
                .is_none_or(|e| e.refused_before_any_call() && !keep)
        {
            self.state.pending.remove(&job.token);
            end_with(&mut entries, &job.token, &at);
        }
        self.unwritten.append(&mut entries);
        if let Some(e) = failure {
            let failed = Failure { error: e, elapsed };
            let held = &mut self.held;
            fail(
                failed,
                &id,
                &job,
                &self.users,
                &mut self.failed_ops,
                &mut self.report,
                &mut |e: &Event| held.push(e.clone()),
            );
            return;
        }
        self.report.completed.push(id.clone());
        self.held.push(Event::Done {
            op: id.clone(),
            address: job.op.address.clone(),
            action: job.op.action,
            phase: job.op.phase,
            elapsed,
            id: self
                .state
                .resources
                .get(&job.op.address)
                .and_then(|i| crate::resources::execute::state_id(&i.attributes))
                .map(str::to_string),
        });
        if let Some(n) = self.remaining_per_change.get_mut(&job.op.address) {
            *n -= 1;
            if *n == 0 {
                count_change(&mut self.report, job.change.action);
            }
        }
        for u in self.users.get(id.as_str()).cloned().unwrap_or_default() {
            if let Some(w) = self.waiting.get_mut(u) {
                *w -= 1;
                if *w == 0 && !self.failed_ops.contains(u) {
                    self.ready.push(u);
                }
            }
        }
    }

    /// Outputs from the final values, once everything succeeded.
    fn finish_outputs(&mut self) {
        if !self.report.ok() {
            return;
        }
        self.state.outputs.clear();
        if self.plan.options.destroy {
            return;
        }
        refresh_locals(self.cfg, &mut self.scope, &self.local_order, true);
        crate::plan::modules::refresh(self.cfg, &mut self.scope);
        for o in self.cfg.outputs.values() {
            match Evaluator::new(&self.scope, &self.cfg.dir).eval(&o.value.expr) {
                Ok(v) => {
                    self.state.outputs.insert(
                        o.name.clone(),
                        OutputState {
                            value: v.to_json(),
                            ty: J::String(v.type_name().into()),
                            sensitive: o.sensitive,
                        },
                    );
                }
                Err(e) => self.report.warnings.push(
                    crate::diag::Diagnostic::warning(format!(
                        "output \"{}\" could not be evaluated: {}",
                        o.name, e.message
                    ))
                    .at(o.value.range_of(e.span)),
                ),
            }
        }
    }
}

/// vSwitch id → (IPv4 CIDR, IPv6 CIDR), per provider alias.
type Cidrs = HashMap<Option<String>, OnceLock<BTreeMap<String, (String, String)>>>;

/// Settles what stays pending after a run that did everything it planned: the removal of
/// objects a crashed create_before_destroy replacement left behind, which had to wait for the
/// run (an EIP bound to the old ENI is moved first). What still cannot be settled stays pending
/// for the next run, with a warning.
fn settle_after_run(
    state: &mut State,
    clouds: &Clouds,
    store: &mut Store,
    journal: &mut Option<crate::state::Journal>,
    report: &mut Report,
) -> Result<(), ApplyError> {
    let j = match journal {
        Some(j) => j,
        None => journal.insert(store.journal(&state.lineage)?),
    };
    match reconcile::reconcile(state, clouds, reconcile::Mode::Apply(j)) {
        Ok(r) if r.later.is_empty() => {}
        Ok(r) => report.warnings.push(crate::diag::Diagnostic::warning(format!(
            "{} operation(s) of an interrupted run are still pending ({}); the next apply settles them",
            r.later.len(),
            r.later.join(", ")
        ))),
        Err(reconcile::ReconcileError::State(e)) => return Err(e.into()),
        Err(e) => report
            .warnings
            .push(crate::diag::Diagnostic::warning(e.to_string())),
    }
    Ok(())
}

/// Whether `op` is the destroy half of a create_before_destroy replacement: it works on the old
/// object, which state no longer holds once the new one is made.
fn old_half(op: &Op, change: &Change) -> bool {
    op.phase == Phase::Destroy && change.action == Action::Replace && change.create_before_destroy
}

/// The intents of a create_before_destroy replacement's destroy operations, recorded when its
/// first apply operation starts: a run killed before they run leaves them pending, and the next
/// run settles them (deleting the old object once the new one is in state), instead of losing
/// the old object as an orphan. Those already pending are left alone.
fn old_half_intents(
    job: &Job,
    ops: &[Op],
    serial: u64,
    state: &State,
) -> Vec<crate::state::Intent> {
    if !(job.op.phase == Phase::Apply
        && job.change.action == Action::Replace
        && job.change.create_before_destroy)
    {
        return Vec::new();
    }
    ops.iter()
        .filter(|o| o.address == job.change.address && old_half(o, &job.change))
        .map(|o| Job {
            op: o.clone(),
            change: job.change.clone(),
            current: job.change.before.clone(),
            resolved: job.change.before.clone().unwrap_or_default(),
            blocked: None,
            token: client_token(&job.lineage, serial, &o.id),
            lineage: job.lineage.clone(),
        })
        .filter(|j| !state.pending.contains_key(&j.token))
        .map(|j| reconcile::intent_of(&j))
        .collect()
}

/// What recording an update changed, for the evaluation scope to follow.
enum Recorded {
    Set(Address, Attrs),
    Removed(Address),
    /// The managed object of another address was refreshed (state only).
    Refreshed,
}

/// Applies one update of a finished (or settled) operation to `state`, and returns the journal
/// entry that records it; `None` for an update that does not concern state.
///
/// `unsynced` holds the addresses whose instance in `state` may differ from what the journal
/// folds to (stored state plus the entries written so far): an entry for any other address may
/// be a `Patch` against it. A full `Set` or a `Remove` brings an address in step. `None`: every
/// entry is whole.
fn record_update(
    u: Update,
    job: &Job,
    state: &mut State,
    ids: &mut HashMap<String, Address>,
    mut unsynced: Option<&mut HashSet<Address>>,
) -> Option<(JournalEntry, Recorded)> {
    match u {
        Update::Set(addr, _) | Update::Remove(addr) if replacing_old(job, &addr, state) => None,
        Update::Failed(_) => None,
        Update::Set(addr, a) => {
            let mut inst = instance_for(&job.change, &a);
            if addr != job.change.address {
                inst.dependencies.clear();
            }
            if let Some(i) = crate::resources::execute::state_id(&inst.attributes) {
                ids.insert(i.to_string(), addr.clone());
            }
            let e = entry_for(&addr, &inst, state.resources.get(&addr), &mut unsynced);
            state.resources.insert(addr.clone(), inst);
            Some((e, Recorded::Set(addr, a)))
        }
        Update::Remove(addr) => {
            state.resources.remove(&addr);
            if let Some(u) = unsynced {
                u.remove(&addr);
            }
            let e = JournalEntry::Remove {
                address: addr.to_string(),
            };
            Some((e, Recorded::Removed(addr)))
        }
        Update::ById(cloud_id, a) => {
            let addr = ids.get(&cloud_id).cloned()?;
            let inst = state.resources.get_mut(&addr)?;
            let (sch, _) = schema::lookup(addr.mode, &addr.ty)?;
            let before = inst.clone();
            let mut merged = attrs::from_state(sch, &inst.attributes);
            for (k, v) in a {
                merged.insert(k, v);
            }
            inst.attributes = attrs::to_state(&merged);
            let e = entry_for(&addr, inst, Some(&before), &mut unsynced);
            Some((e, Recorded::Refreshed))
        }
    }
}

/// The addresses whose instance in the plan's (refreshed) prior state is not the stored one:
/// the journal folds onto the stored state, so until they are written whole it holds them
/// differently.
fn unsynced(plan: &Plan) -> HashSet<Address> {
    let empty = BTreeMap::new();
    let stored = plan.stored.as_ref().map_or(&empty, |s| &s.resources);
    let prior = &plan.prior.resources;
    let changed = prior
        .iter()
        .filter(|(a, i)| stored.get(*a) != Some(*i))
        .map(|(a, _)| a.clone());
    let gone = stored.keys().filter(|a| !prior.contains_key(*a)).cloned();
    changed.chain(gone).collect()
}

/// The journal entry that takes state from `before` to `inst` at `addr`: only the attributes
/// that changed where the journal holds the address as `before` with the same dependencies and
/// provider (an assign, a refresh after a binding), the whole instance otherwise.
fn entry_for(
    addr: &Address,
    inst: &Instance,
    before: Option<&Instance>,
    unsynced: &mut Option<&mut HashSet<Address>>,
) -> JournalEntry {
    let in_step = unsynced.as_ref().is_some_and(|u| !u.contains(addr));
    match before {
        Some(b)
            if in_step && b.dependencies == inst.dependencies && b.provider == inst.provider =>
        {
            JournalEntry::Patch {
                address: addr.to_string(),
                set: inst
                    .attributes
                    .iter()
                    .filter(|(k, v)| b.attributes.get(*k) != Some(*v))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                unset: b
                    .attributes
                    .keys()
                    .filter(|k| !inst.attributes.contains_key(*k))
                    .cloned()
                    .collect(),
            }
        }
        _ => {
            if let Some(u) = unsynced {
                u.remove(addr);
            }
            JournalEntry::Set {
                address: addr.to_string(),
                attributes: inst.attributes.clone(),
                dependencies: inst.dependencies.clone(),
                provider: inst.provider.clone(),
            }
        }
    }
}

/// `entry` as a `Made` over `intent` where it sets the whole instance at the intent's own
/// address (`at`, as entries write it) with the intent's dependencies and provider (what a
/// create makes): the journal then writes only what differs from the plan the intent already
/// holds.
fn made_over(entry: JournalEntry, intent: &crate::state::Intent, at: &str) -> JournalEntry {
    match entry {
        JournalEntry::Set {
            address,
            attributes,
            dependencies,
            provider,
        } if dependencies == intent.dependencies
            && provider == intent.provider
            && address == at =>
        {
            let planned = &intent.planned;
            JournalEntry::Made {
                id: intent.id.clone(),
                unset: planned
                    .keys()
                    .filter(|k| !attributes.contains_key(*k))
                    .cloned()
                    .collect(),
                set: attributes
                    .into_iter()
                    .filter(|(k, v)| planned.get(k) != Some(v))
                    .collect(),
                done: false,
            }
        }
        other => other,
    }
}

/// Ends the intent `id` after an operation's `entries`: its `Made` entry says so where nothing
/// after it touches the same address (it then moves last, so that the intent ends with the
/// operation's last entry, as a `Done` line would), else a `Done` line follows.
fn end_with(entries: &mut Vec<JournalEntry>, id: &str, at: &str) {
    let elsewhere = |e: &JournalEntry| match e {
        JournalEntry::Set { address, .. }
        | JournalEntry::Patch { address, .. }
        | JournalEntry::Remove { address } => *address != at,
        _ => false,
    };
    let made = entries
        .iter()
        .position(|e| matches!(e, JournalEntry::Made { id: m, .. } if m == id));
    if let Some(p) = made
        && entries[p + 1..].iter().all(elsewhere)
    {
        let mut m = entries.remove(p);
        if let JournalEntry::Made { done, .. } = &mut m {
            *done = true;
        }
        entries.push(m);
        return;
    }
    entries.push(JournalEntry::Done { id: id.to_string() });
}

/// Keeps the evaluation scope in step with state: only objects that stay feed later
/// expressions (outputs, other resources); the steps of a delete do not.
fn mirror_in_scope(
    scope: &mut crate::config::eval::Scope,
    changes: &HashMap<&Address, &Change>,
    job: &Job,
    recorded: Recorded,
) {
    match recorded {
        Recorded::Set(addr, a) => {
            let stays = changes
                .get(&addr)
                .is_some_and(|ch| ch.action != Action::Delete)
                && !(addr == job.change.address && job.op.phase == Phase::Destroy);
            if stays && let Some(rv) = scope.resources.get(&addr.scope_key()) {
                let exp = rv.expansion;
                scope.set_instance(&addr.scope_key(), exp, addr.key.clone(), Value::Map(a));
            }
        }
        Recorded::Removed(addr) => {
            if changes
                .get(&addr)
                .is_some_and(|ch| ch.action == Action::Delete)
                && let Some(rv) = scope.resources.get_mut(&addr.scope_key())
            {
                rv.instances.remove(&addr.key);
            }
        }
        Recorded::Refreshed => {}
    }
}

/// Every operation ends completed, failed or skipped. One that never became ready although
/// nothing failed (its dependencies form a cycle: a bug in the operation graph) must not let the
/// apply report success; after an interrupt, those not reached are simply not done.
fn account_for_every_op(
    plan: &Plan,
    opts: &Options,
    report: &mut Report,
    on_event: &mut dyn FnMut(&Event),
) {
    let seen: HashSet<&str> = report
        .completed
        .iter()
        .chain(&report.skipped)
        .chain(report.failed.iter().map(|(id, _)| id))
        .map(String::as_str)
        .collect();
    let stuck: Vec<&Op> = plan
        .ops
        .iter()
        .filter(|o| !seen.contains(o.id.as_str()))
        .collect();
    let cancelled = opts
        .cancel
        .as_ref()
        .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst));
    for o in stuck {
        // Interrupted: not started, which the interruption's message counts; no line each.
        if cancelled {
            report.skipped.push(o.id.clone());
            continue;
        }
        if !report.failed.is_empty() {
            report.skipped.push(o.id.clone());
            on_event(&Event::Skipped { op: o.id.clone() });
            continue;
        }
        let e = ApiError::new(
            500,
            "netform.Internal",
            "it never became ready: its dependencies form a cycle (a netform bug; please report it). Nothing was sent for it",
        );
        on_event(&Event::Failed {
            op: o.id.clone(),
            address: o.address.clone(),
            action: o.action,
            phase: o.phase,
            elapsed: Duration::ZERO,
            error: e.clone(),
        });
        report.failed.push((o.id.clone(), e));
    }
}

/// An operation's error and how long it ran.
struct Failure {
    error: ApiError,
    elapsed: Duration,
}

/// Records a failed operation and skips everything downstream of it.
fn fail(
    Failure { error: e, elapsed }: Failure,
    id: &str,
    job: &Job,
    users: &HashMap<&str, Vec<&str>>,
    failed_ops: &mut HashSet<String>,
    report: &mut Report,
    on_event: &mut dyn FnMut(&Event),
) {
    on_event(&Event::Failed {
        op: id.to_string(),
        address: job.op.address.clone(),
        action: job.op.action,
        phase: job.op.phase,
        elapsed,
        error: e.clone(),
    });
    report.failed.push((id.to_string(), e));
    let mut stack = vec![id.to_string()];
    while let Some(x) = stack.pop() {
        for u in users.get(x.as_str()).cloned().unwrap_or_default() {
            if failed_ops.insert(u.to_string()) {
                report.skipped.push(u.to_string());
                on_event(&Event::Skipped { op: u.to_string() });
                stack.push(u.to_string());
            }
        }
    }
}

/// Whether an update from the destroy half of a create-before-destroy replacement would touch the
/// new object in state (it must only ever concern the old one).
fn replacing_old(job: &Job, addr: &Address, state: &State) -> bool {
    if !(job.op.phase == Phase::Destroy
        && job.change.action == Action::Replace
        && job.change.create_before_destroy
        && *addr == job.change.address)
    {
        return false;
    }
    let old_id = job
        .change
        .before
        .as_ref()
        .and_then(crate::resources::execute::object_id);
    let now_id = state
        .resources
        .get(addr)
        .and_then(|i| crate::resources::execute::state_id(&i.attributes))
        .map(str::to_string);
    now_id.is_some() && now_id != old_id
}

/// Locals in dependency order (a local may use another), computed once per apply.
fn locals_in_order(cfg: &Config) -> Vec<String> {
    match crate::graph::build(cfg) {
        Ok(g) => g
            .order
            .iter()
            .filter_map(|i| match &g.graph[*i] {
                crate::graph::Node::Local(n) => Some(n.clone()),
                _ => None,
            })
            .collect(),
        Err(_) => cfg.locals.keys().cloned().collect(),
    }
}

/// For each resource, the locals it uses (directly or through other locals), in evaluation order.
fn locals_by_resource(cfg: &Config, order: &[String]) -> HashMap<String, Vec<String>> {
    let Ok(g) = crate::graph::build(cfg) else {
        return HashMap::new();
    };
    let pos: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut out = HashMap::new();
    for r in &cfg.resources {
        let mut found: HashSet<String> = HashSet::new();
        let mut stack = g.deps(&crate::graph::Node::Resource(r.key()));
        while let Some(n) = stack.pop() {
            if let crate::graph::Node::Local(l) = n
                && found.insert(l.clone())
            {
                stack.extend(g.deps(n));
            }
        }
        let mut v: Vec<String> = found.into_iter().collect();
        v.sort_by_key(|l| pos.get(l.as_str()).copied().unwrap_or(usize::MAX));
        out.insert(r.key(), v);
    }
    out
}

/// Re-evaluates locals with what apply knows now: those still unknown (or all of them).
fn refresh_locals(
    cfg: &Config,
    scope: &mut crate::config::eval::Scope,
    order: &[String],
    all: bool,
) {
    for name in order {
        let Some(l) = cfg.locals.get(name) else {
            continue;
        };
        if (all || scope.locals.get(name).is_none_or(|v| !v.is_wholly_known()))
            && let Ok(v) = Evaluator::new(&*scope, &cfg.dir).eval(&l.value.expr)
        {
            scope.locals.insert(name.clone(), v);
        }
    }
}

fn count_change(report: &mut Report, action: Action) {
    match action {
        Action::Create => report.added += 1,
        Action::Update => report.changed += 1,
        Action::Delete => report.destroyed += 1,
        Action::Replace => {
            report.added += 1;
            report.destroyed += 1;
        }
        Action::NoOp => {}
    }
}

fn instance_for(c: &Change, a: &Attrs) -> Instance {
    let mut clean = a.clone();
    for (_, v) in clean.iter_mut() {
        if v.is_unknown() {
            *v = Value::Null;
        }
    }
    Instance {
        attributes: attrs::to_state(&clean),
        dependencies: c.dependencies.clone(),
        provider: c.provider.clone(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::{end_with, made_over};
    use crate::address::{Address, InstanceKey};
    use crate::plan::ops::{Op, OpAction, Phase};
    use crate::state::{InState, Intent, JournalEntry, State};

    fn eip() -> Address {
        Address::managed("alicloud_eip_address", "e", InstanceKey::Int(0))
    }

    fn allocate() -> Intent {
        Intent {
            id: "tok-1".into(),
            operation: Op {
                id: "alicloud_eip_address.e[0]#AllocateEipAddress".into(),
                action: OpAction::AllocateEipAddress,
                address: eip(),
                phase: Phase::Apply,
                depends_on: Vec::new(),
            },
            change: crate::plan::Action::Create,
            create_before_destroy: false,
            token: "tok-1".into(),
            provider: None,
            dependencies: vec!["alicloud_vpc.v".into()],
            current: None,
            planned: BTreeMap::from([
                ("bandwidth".to_string(), json!("5")),
                ("id".to_string(), json!(null)),
                ("name".to_string(), json!(null)),
                ("isp".to_string(), json!("BGP")),
            ]),
            unknown: vec!["id".into()],
            in_state: InState::No,
        }
    }

    fn set(address: &Address, attributes: serde_json::Value, deps: &[&str]) -> JournalEntry {
        JournalEntry::Set {
            address: address.to_string(),
            attributes: serde_json::from_value(attributes).unwrap_or_default(),
            dependencies: deps.iter().map(|d| d.to_string()).collect(),
            provider: None,
        }
    }

    /// Folds `entries` written as journal lines and read back, as a crashed run's are.
    fn fold(entries: &[JournalEntry]) -> State {
        let mut text = String::new();
        for e in entries {
            text += &serde_json::to_string(e).unwrap_or_else(|e| panic!("{e}"));
            text.push('\n');
        }
        let (_, back) =
            crate::state::parse_journal(text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let mut s = State::new("l".into());
        for e in &back {
            e.apply_to(&mut s).unwrap_or_else(|e| panic!("{e}"));
        }
        s
    }

    /// What a create made is written as its changes over the intent, and folds to exactly the
    /// instance the whole `set` entry would have given; the intent ends with it.
    #[test]
    fn a_made_entry_writes_only_what_differs_from_the_plan_and_folds_to_the_whole_instance() {
        let i = allocate();
        let whole = set(
            &eip(),
            json!({"bandwidth": "5", "id": "eip-1", "isp": "BGP", "status": "Available"}),
            &["alicloud_vpc.v"],
        );
        let mut entries = vec![made_over(whole.clone(), &i, &eip().to_string())];
        end_with(&mut entries, &i.id, &eip().to_string());
        let line = serde_json::to_string(&entries[0]).unwrap_or_default();
        assert_eq!(
            line,
            r#"{"op":"made","id":"tok-1","set":{"id":"eip-1","status":"Available"},"unset":["name"],"done":true}"#
        );
        let intent = JournalEntry::Intent(Box::new(i.clone()));
        let by_made = fold(&[intent.clone(), entries[0].clone()]);
        let by_set = fold(&[intent, whole, JournalEntry::Done { id: i.id.clone() }]);
        assert_eq!(by_made, by_set);
        assert!(by_made.pending.is_empty() && by_made.resources.contains_key(&eip()));
    }

    /// Another address, other dependencies: the whole entry stays.
    #[test]
    fn only_the_intents_own_instance_is_written_over_its_plan() {
        let i = allocate();
        let other = Address::managed("alicloud_eip_address", "e", InstanceKey::Int(1));
        for e in [
            set(&other, json!({"id": "eip-2"}), &["alicloud_vpc.v"]),
            set(&eip(), json!({"id": "eip-1"}), &[]),
        ] {
            assert!(matches!(
                made_over(e, &i, &eip().to_string()),
                JournalEntry::Set { .. }
            ));
        }
    }

    /// The intent ends with the operation's last entry: the `made` entry moves last past entries
    /// of other addresses, and a `done` line follows where an entry after it is of its own.
    #[test]
    fn the_intent_ends_after_every_entry_of_its_operation() {
        let i = allocate();
        let made = made_over(
            set(&eip(), json!({"id": "eip-1"}), &["alicloud_vpc.v"]),
            &i,
            &eip().to_string(),
        );
        let other = Address::managed("alicloud_eip_address", "e", InstanceKey::Int(1));
        let patch = |a: &Address| JournalEntry::Patch {
            address: a.to_string(),
            set: BTreeMap::from([("status".to_string(), json!("InUse"))]),
            unset: Vec::new(),
        };
        let mut moved = vec![made.clone(), patch(&other)];
        end_with(&mut moved, &i.id, &eip().to_string());
        assert!(matches!(
            moved.as_slice(),
            [
                JournalEntry::Patch { .. },
                JournalEntry::Made { done: true, .. }
            ]
        ));
        let mut kept = vec![made, patch(&eip())];
        end_with(&mut kept, &i.id, &eip().to_string());
        assert!(matches!(
            kept.as_slice(),
            [
                JournalEntry::Made { done: false, .. },
                JournalEntry::Patch { .. },
                JournalEntry::Done { .. }
            ]
        ));
        let mut none = Vec::new();
        end_with(&mut none, &i.id, &eip().to_string());
        assert!(matches!(none.as_slice(), [JournalEntry::Done { .. }]));
    }

    /// A `made` entry with no intent pending before it cannot have been written by a run.
    #[test]
    fn a_made_entry_without_its_intent_is_damage() {
        let e = JournalEntry::Made {
            id: "tok-9".into(),
            set: BTreeMap::new(),
            unset: Vec::new(),
            done: true,
        };
        assert!(e.apply_to(&mut State::new("l".into())).is_err());
    }
}
