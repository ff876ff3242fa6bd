//! One operation against the cloud, generic over kinds: the context an operation runs in
//! ([`Exec`]: its job, a client for its region, the batched reader of the apply, the vSwitch
//! CIDRs and the address batch size), the reads and waits every kind uses, and the errors an
//! answer can lead to. What each [`OpAction`] sends and what state records from the answer is the
//! kind's (`resources::<kind>::exec`, dispatched by `resources::execute`).
//!
//! Calls that take a ClientToken get one derived from the operation's token, so a retried or
//! resumed operation never does the work twice; calls that take none (attach, detach, unassign,
//! delete, release) are made safe to repeat by checking state instead.

use std::collections::BTreeMap;

use super::{Job, Update, missing};
use crate::address::Address;
use crate::identity;
use crate::plan::attrs::Attrs;
use crate::plan::ops::{OpAction, Phase};
use crate::provider::ApiError;
use crate::provider::api::{Client, EipInfo, EniInfo};
use crate::provider::wire::{Request, Tags};
use crate::schema::Kind;

/// What an operation changes in state, or why it failed before changing anything.
pub(crate) type Updates = Result<Vec<Update>, ApiError>;

/// The id a create call answered with (`what` names the object); an answer without one is the
/// cloud's error, not ours.
pub(crate) fn new_id(id: String, what: &str) -> Result<String, ApiError> {
    if id.is_empty() {
        return Err(ApiError::new(
            502,
            "netform.BadResponse",
            format!("the answer has no {what}"),
        ));
    }
    Ok(id)
}

/// Deletes an object and waits until it is gone; already gone (a retried delete, or removed
/// outside netform) counts as done.
pub(crate) fn remove<R: Request>(
    c: &Client,
    req: &R,
    gone_code: &str,
    wait: impl FnOnce() -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    match c.send(req) {
        Ok(_) => wait(),
        Err(e) if e.code == gone_code => Ok(()),
        Err(e) => Err(e),
    }
}

/// Runs one operation against the cloud, reading objects with calls of its own.
#[cfg(test)]
pub(super) fn execute(
    job: &Job,
    c: &Client,
    cidrs: &BTreeMap<String, (String, String)>,
    batch: usize,
) -> Updates {
    execute_with(job, c, cidrs, batch, None)
}

/// Runs one operation against the cloud; with a `waiter`, its reads (and the polls of its
/// waits) join those of the other operations of the apply.
pub(super) fn execute_with(
    job: &Job,
    c: &Client,
    cidrs: &BTreeMap<String, (String, String)>,
    batch: usize,
    waiter: Option<&Waiter>,
) -> Updates {
    if let Some(e) = &job.blocked {
        return Err(e.clone());
    }
    crate::resources::execute::run(&Exec::new(job, c, cidrs, batch, waiter))
}

mod settle;
mod waiter;
pub(crate) use settle::{Settle, Settled, pick, replayed};
pub(super) use waiter::Waiter;

/// Settles an operation whose outcome is unknown (`settle`).
pub(super) fn settle_job(
    job: &Job,
    c: &Client,
    cidrs: &BTreeMap<String, (String, String)>,
    batch: usize,
    how: &Settle,
) -> Result<Settled, ApiError> {
    Exec::new(job, c, cidrs, batch, None).settle(how)
}

/// One operation with what it needs: the job, a client for its region, the vSwitch CIDRs (for
/// the ENI facts guest-config reads) and the largest address batch per call.
pub(crate) struct Exec<'a> {
    job: &'a Job,
    c: &'a Client<'a>,
    cidrs: &'a BTreeMap<String, (String, String)>,
    batch: usize,
    /// The resource's attributes in state right now.
    cur: Attrs,
    /// Where reads join those of the apply's other operations (none: each its own call).
    waiter: Option<&'a Waiter>,
}

impl<'a> Exec<'a> {
    fn new(
        job: &'a Job,
        c: &'a Client<'a>,
        cidrs: &'a BTreeMap<String, (String, String)>,
        batch: usize,
        waiter: Option<&'a Waiter>,
    ) -> Self {
        Exec {
            job,
            c,
            cidrs,
            batch: batch.max(1),
            cur: job.current.clone().unwrap_or_default(),
            waiter,
        }
    }

    pub(crate) fn client(&self) -> &Client<'a> {
        self.c
    }

    pub(crate) fn address(&self) -> &Address {
        &self.job.op.address
    }

    pub(crate) fn action(&self) -> OpAction {
        self.job.op.action
    }

    pub(crate) fn phase(&self) -> Phase {
        self.job.op.phase
    }

    pub(crate) fn kind(&self) -> Kind {
        self.job.change.kind
    }

    /// The operation's ClientToken; calls that need several derive theirs from it.
    pub(crate) fn token(&self) -> &str {
        &self.job.token
    }

    /// The largest number of addresses one call assigns or unassigns.
    pub(crate) fn batch(&self) -> usize {
        self.batch
    }

    /// The planned attributes, resolved.
    pub(crate) fn planned(&self) -> &Attrs {
        &self.job.resolved
    }

    /// The resource's attributes in state right now (empty when it has none).
    pub(crate) fn current(&self) -> &Attrs {
        &self.cur
    }

    /// The resource's attributes in state, `None` when state has no object for it yet.
    pub(crate) fn recorded(&self) -> Option<&Attrs> {
        self.job.current.as_ref()
    }

    /// The IPv4 and IPv6 CIDRs of a vSwitch, as read before the apply.
    pub(crate) fn cidr(&self, vswitch: &str) -> Option<&(String, String)> {
        self.cidrs.get(vswitch)
    }

    /// The error of an operation that needs a value still unknown.
    pub(crate) fn missing(&self, what: &str) -> ApiError {
        missing(what, self.address())
    }

    /// The configured tags plus netform's identity tags (`crate::identity`), for a create: the
    /// object says from birth which address and state it belongs to, so a run that crashes
    /// before recording it leaves it findable.
    pub(crate) fn tags_with_identity(
        &self,
        configured: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut t = identity::user_tags(configured);
        t.extend(identity::tags(&self.job.lineage, self.address()));
        t
    }

    /// The identity tags alone: what settling a create looks objects up by.
    pub(crate) fn identity(&self) -> Tags {
        Tags(identity::tags(&self.job.lineage, self.address()))
    }

    pub(crate) fn describe_eni(&self, id: &str) -> Result<EniInfo, ApiError> {
        self.eni_now(id)?
            .ok_or_else(|| ApiError::new(404, "InvalidEniId.NotFound", format!("{id} disappeared")))
    }

    /// The ENI as the cloud describes it now, read with the other operations' reads.
    pub(crate) fn eni_now(&self, id: &str) -> Result<Option<EniInfo>, ApiError> {
        match self.waiter {
            Some(w) => w.eni(self.c, id),
            None => self.c.describe_eni(id),
        }
    }

    /// The EIP as the cloud describes it now, read with the other operations' reads.
    pub(crate) fn eip_now(&self, id: &str) -> Result<Option<EipInfo>, ApiError> {
        match self.waiter {
            Some(w) => w.eip(self.c, id),
            None => self.c.describe_eip(id),
        }
    }

    pub(crate) fn wait_eni(&self, id: &str, want: &str, what: &str) -> Result<EniInfo, ApiError> {
        self.c
            .wait(what, || Ok(self.eni_now(id)?.filter(|e| e.status == want)))
    }

    pub(crate) fn wait_eni_gone(&self, id: &str) -> Result<(), ApiError> {
        self.c.wait(&format!("deleting {id}"), || {
            Ok(self.eni_now(id)?.is_none().then_some(()))
        })
    }

    pub(crate) fn wait_eip(&self, id: &str, want: &str, what: &str) -> Result<EipInfo, ApiError> {
        self.c
            .wait(what, || Ok(self.eip_now(id)?.filter(|e| e.status == want)))
    }

    pub(crate) fn wait_eip_gone(&self, id: &str) -> Result<(), ApiError> {
        self.c.wait(&format!("releasing {id}"), || {
            Ok(self.eip_now(id)?.is_none().then_some(()))
        })
    }
}

/// Jobs for the kinds' unit tests, which cannot build one themselves (its fields are apply's).
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::BTreeMap;

    use super::{Job, Updates, execute};
    use crate::address::{Address, InstanceKey};
    use crate::plan::attrs::Attrs;
    use crate::plan::ops::{Op, OpAction, Phase};
    use crate::plan::{Action, Change};
    use crate::provider::api::Client;
    use crate::schema::Kind;

    pub(crate) const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    /// An operation of `action` on a resource of type `ty`: an update when it has `current`
    /// attributes, else a create.
    pub(crate) fn job(
        kind: Kind,
        ty: &str,
        action: OpAction,
        current: Option<Attrs>,
        resolved: Attrs,
    ) -> Job {
        let address = Address::managed(ty, "x", InstanceKey::None);
        Job {
            op: Op {
                id: format!("{address}#{}", action.name()),
                action,
                address: address.clone(),
                phase: Phase::Apply,
                depends_on: Vec::new(),
            },
            change: Change::bare(
                address,
                kind,
                if current.is_some() {
                    Action::Update
                } else {
                    Action::Create
                },
                current.clone(),
                Some(resolved.clone()),
            ),
            current,
            resolved,
            blocked: None,
            token: TOKEN.into(),
            lineage: "test-lineage".into(),
        }
    }

    /// The job as the destroy half of its change.
    pub(crate) fn destroying(mut j: Job) -> Job {
        j.op.phase = Phase::Destroy;
        j
    }

    pub(crate) fn with_token(mut j: Job, token: String) -> Job {
        j.token = token;
        j
    }

    pub(crate) fn address(j: &Job) -> &Address {
        &j.op.address
    }

    pub(crate) fn kind(j: &Job) -> Kind {
        j.change.kind
    }

    /// Runs the job with its own reads (no batched reader), no vSwitch CIDRs and batches of 10.
    pub(crate) fn run(j: &Job, c: &Client) -> Updates {
        execute(j, c, &BTreeMap::new(), 10)
    }
}
