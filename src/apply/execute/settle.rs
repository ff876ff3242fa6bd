//! Settling an operation whose outcome is unknown (its intent is pending: the run crashed, or
//! the answer never came): did the cloud do it? Each action is judged by what it leaves behind —
//! the object its identity tags name, the addresses on the ENI, the ENI's instance, the EIP's
//! binding, the object being gone — and the updates the operation would have made are rebuilt
//! from that, so state records it exactly as a run that saw the answer would have.
//!
//! Where the action is idempotent by ClientToken and nothing shows it was done, the caller may
//! allow a replay: the same request with the same token, which the cloud answers with its first
//! answer if it did the work, or does now (it was planned, and the next plan starts from it).

use std::collections::HashSet;

use super::{Exec, Updates};
use crate::apply::Update;
use crate::identity;
use crate::lang::Value;
use crate::plan::attrs::{self, Attrs};
use crate::plan::ops::{OpAction, Phase, set_delta};
use crate::provider::ApiError;
use crate::provider::api::{EipInfo, EniInfo};
use crate::provider::wire::{Tags, ecs, vpc};

/// What settling found.
#[derive(Debug)]
pub(in crate::apply) enum Settled {
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
pub(in crate::apply) struct Settle<'a> {
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
        let settled = self.settle_action(how)?;
        // The old object of a create_before_destroy replacement that state no longer holds:
        // left "not done", it would be an orphan. Its removal was planned, so it is done now.
        let c = &self.job.change;
        let old_half = self.job.op.phase == Phase::Destroy
            && c.action == crate::plan::Action::Replace
            && c.create_before_destroy;
        // Only once the new object has taken its place: while state still holds the old one,
        // the replacement was not made, and the next plan makes it (new object first).
        let superseded = sval(&self.cur, "id").is_some_and(|id| !how.known.contains(&id));
        if matches!(settled, Settled::NotDone) && old_half && superseded && how.replay {
            return Ok(
                match self.replayed(super::execute_with(
                    self.job, self.c, self.cidrs, self.batch, None,
                ))? {
                    Settled::NotDone => Settled::Later,
                    done => done,
                },
            );
        }
        Ok(settled)
    }

    fn settle_action(&self, how: &Settle) -> Result<Settled, ApiError> {
        use OpAction::*;
        match self.job.op.action {
            CreateNetworkInterface => self.settle_create_eni(how),
            AllocateEipAddress => self.settle_allocate_eip(how),
            AssignPrivateIpAddresses => self.settle_assign(false, how),
            AssignIpv6Addresses => self.settle_assign(true, how),
            UnassignPrivateIpAddresses => self.settle_unassign(false),
            UnassignIpv6Addresses => self.settle_unassign(true),
            AttachNetworkInterface => self.settle_attach(),
            DetachNetworkInterface => self.settle_detach(),
            AssociateEipAddress => self.settle_associate(),
            UnassociateEipAddress => self.settle_unassociate(),
            DeleteNetworkInterface => self.settle_delete_eni(),
            ReleaseEipAddress => self.settle_release_eip(),
            // Attribute changes: the refresh before the next plan reads what the cloud has, and
            // the plan makes whatever change is still missing.
            ModifyNetworkInterfaceAttribute | ModifyEipAddressAttribute | ModifyEipForwardMode => {
                Ok(Settled::NotDone)
            }
        }
    }

    fn identity(&self) -> Tags {
        Tags(identity::tags(&self.job.lineage, self.addr()))
    }

    /// `found` less what state knows, the lowest id first (one is expected; two would be a
    /// duplicate, and adopting the same one every time keeps runs consistent).
    fn pick<T>(mut found: Vec<T>, id: impl Fn(&T) -> &str, how: &Settle) -> Option<T> {
        found.retain(|x| !how.known.contains(id(x)));
        found.sort_by(|a, b| id(a).cmp(id(b)));
        found.into_iter().next()
    }

    fn settle_create_eni(&self, how: &Settle) -> Result<Settled, ApiError> {
        let found = self.c.enis_where(&ecs::DescribeNetworkInterfaces {
            tag: self.identity(),
            ..Default::default()
        })?;
        // One on its way out is an earlier object of the address, not this intent's.
        let found = found
            .into_iter()
            .filter(|e| e.status != "Deleting")
            .collect();
        match Self::pick(found, |e: &EniInfo| &e.id, how) {
            Some(e) => {
                let info = match e.status.as_str() {
                    "Available" | "InUse" => e,
                    _ => self
                        .c
                        .wait_eni(&e.id, "Available", &format!("creating {}", e.id))?,
                };
                Ok(Settled::Done(vec![Update::Set(
                    self.addr().clone(),
                    self.keep_eni(self.eni_attrs(&info)),
                )]))
            }
            None if how.replay => self.replayed(self.create_eni()),
            None => Ok(Settled::NotDone),
        }
    }

    fn settle_allocate_eip(&self, how: &Settle) -> Result<Settled, ApiError> {
        let found = self.c.eips_where(&vpc::DescribeEipAddresses {
            tag: self.identity(),
            ..Default::default()
        })?;
        let found = found
            .into_iter()
            .filter(|e| e.status != "Releasing")
            .collect();
        match Self::pick(found, |e: &EipInfo| &e.id, how) {
            Some(e) => Ok(Settled::Done(vec![Update::Set(
                self.addr().clone(),
                attrs::eip(&e),
            )])),
            None if how.replay => self.replayed(self.allocate_eip()),
            None => Ok(Settled::NotDone),
        }
    }

    /// A replay's outcome: done when it recorded something, else not done (its error is the
    /// next plan's to meet again, with a fresh token).
    fn replayed(&self, u: Updates) -> Result<Settled, ApiError> {
        match u {
            Ok(u) if u.iter().any(|x| !matches!(x, Update::Failed(_))) => Ok(Settled::Done(
                u.into_iter()
                    .filter(|x| !matches!(x, Update::Failed(_)))
                    .collect(),
            )),
            Ok(_) | Err(_) => Ok(Settled::NotDone),
        }
    }

    /// Listed addresses: those on the ENI are done (the rest the next plan assigns). Addresses
    /// the cloud picked (a count): only the token knows which, so the assign is replayed.
    fn settle_assign(&self, v6: bool, how: &Settle) -> Result<Settled, ApiError> {
        let id = self.eni_id()?;
        let Some(info) = self.c.describe_eni(&id)? else {
            return Ok(Settled::NotDone);
        };
        let (list, count) = self.lists(v6);
        let have = if v6 { &info.ipv6 } else { &info.private_ips };
        match set_delta(self.cur.get(list), self.r().get(list)).1 {
            Some(added) => {
                let on: Vec<String> = added.into_iter().filter(|ip| have.contains(ip)).collect();
                if on.is_empty() {
                    return Ok(Settled::NotDone);
                }
                Ok(Settled::Done(self.ip_result(
                    &id,
                    list,
                    count,
                    on,
                    Vec::new(),
                )?))
            }
            None if how.replay => self.replayed(self.assign(v6)),
            None => Ok(Settled::NotDone),
        }
    }

    /// The addresses the operation removes that are gone from the ENI are done.
    fn settle_unassign(&self, v6: bool) -> Result<Settled, ApiError> {
        let id = self.eni_id()?;
        let Some(info) = self.c.describe_eni(&id)? else {
            return Ok(Settled::NotDone);
        };
        let (list, count) = self.lists(v6);
        let removed = if self.job.op.phase == Phase::Destroy {
            super::strs(&self.cur, list)
        } else {
            set_delta(self.cur.get(list), self.r().get(list)).0
        };
        let have = if v6 { &info.ipv6 } else { &info.private_ips };
        let gone: Vec<String> = removed
            .into_iter()
            .filter(|ip| !have.contains(ip))
            .collect();
        if gone.is_empty() {
            return Ok(Settled::NotDone);
        }
        Ok(Settled::Done(self.ip_result(
            &id,
            list,
            count,
            Vec::new(),
            gone,
        )?))
    }

    /// Done when the ENI is on the instance (waiting out Attaching).
    fn settle_attach(&self) -> Result<Settled, ApiError> {
        let r = self.r();
        let (Some(eni), Some(inst)) = (sval(r, "network_interface_id"), sval(r, "instance_id"))
        else {
            return Ok(Settled::NotDone);
        };
        let Some(e) = self.c.describe_eni(&eni)? else {
            return Ok(Settled::NotDone);
        };
        if e.instance_id.as_deref() != Some(inst.as_str())
            || !matches!(e.status.as_str(), "Attaching" | "InUse")
        {
            return Ok(Settled::NotDone);
        }
        match self.c.wait_attached(&eni, &inst) {
            Ok(info) => Ok(Settled::Done(self.attached(r.clone(), &eni, &inst, &info))),
            // The attach the crashed run asked for failed after all: not done.
            Err(e) if e.code == "netform.AttachFailed" => Ok(Settled::NotDone),
            Err(e) => Err(e),
        }
    }

    /// Done when the ENI is off the instance (or gone).
    fn settle_detach(&self) -> Result<Settled, ApiError> {
        let (Some(eni), Some(inst)) = (
            sval(&self.cur, "network_interface_id"),
            sval(&self.cur, "instance_id"),
        ) else {
            return Ok(Settled::NotDone);
        };
        let mut ups = vec![Update::Remove(self.addr().clone())];
        match self.c.describe_eni(&eni)? {
            None => {}
            Some(e) if e.instance_id.as_deref() == Some(inst.as_str()) => {
                return Ok(Settled::NotDone);
            }
            Some(e) => ups.push(Update::ById(eni, self.eni_attrs(&e))),
        }
        Ok(Settled::Done(ups))
    }

    /// Done when the EIP is bound to the target (waiting out Associating).
    fn settle_associate(&self) -> Result<Settled, ApiError> {
        let r = self.r();
        let (Some(alloc), Some(target)) = (sval(r, "allocation_id"), sval(r, "instance_id")) else {
            return Ok(Settled::NotDone);
        };
        let Some(e) = self.c.describe_eip(&alloc)? else {
            return Ok(Settled::NotDone);
        };
        if e.instance_id.as_deref() != Some(target.as_str()) {
            return Ok(Settled::NotDone);
        }
        let Some(info) = self.c.wait_bound(&alloc, &target)? else {
            return Ok(Settled::NotDone);
        };
        let mut a = r.clone();
        let kind = info
            .instance_type
            .clone()
            .or_else(|| sval(r, "instance_type"))
            .unwrap_or_else(|| crate::plan::diff::infer_kind(&target).to_string());
        if kind == "NetworkInterface" {
            let mode = info
                .mode
                .clone()
                .or_else(|| sval(r, "mode"))
                .unwrap_or_else(|| "NAT".into());
            if let Some(ip) = info
                .private_ip
                .clone()
                .or_else(|| sval(r, "private_ip_address"))
            {
                a.insert("private_ip_address".into(), Value::string(ip));
            }
            a.insert("mode".into(), Value::string(mode));
        }
        a.insert("instance_type".into(), Value::string(kind));
        Ok(Settled::Done(self.bound(a, &alloc, &target, &info)))
    }

    /// Done when the EIP is no longer bound to the target (or gone).
    fn settle_unassociate(&self) -> Result<Settled, ApiError> {
        let (Some(alloc), Some(target)) = (
            sval(&self.cur, "allocation_id"),
            sval(&self.cur, "instance_id"),
        ) else {
            return Ok(Settled::NotDone);
        };
        let mut ups = vec![Update::Remove(self.addr().clone())];
        match self.c.describe_eip(&alloc)? {
            None => {}
            Some(e) if e.instance_id.as_deref() == Some(target.as_str()) => {
                return Ok(Settled::NotDone);
            }
            Some(e) => ups.push(Update::ById(alloc, attrs::eip(&e))),
        }
        Ok(Settled::Done(ups))
    }

    fn settle_delete_eni(&self) -> Result<Settled, ApiError> {
        let Some(id) = sval(&self.cur, "id") else {
            return Ok(Settled::NotDone);
        };
        Ok(match self.c.describe_eni(&id)? {
            None => Settled::Done(vec![Update::Remove(self.addr().clone())]),
            Some(_) => Settled::NotDone,
        })
    }

    fn settle_release_eip(&self) -> Result<Settled, ApiError> {
        let Some(id) = sval(&self.cur, "id") else {
            return Ok(Settled::NotDone);
        };
        Ok(match self.c.describe_eip(&id)? {
            None => Settled::Done(vec![Update::Remove(self.addr().clone())]),
            Some(_) => Settled::NotDone,
        })
    }
}

fn sval(a: &Attrs, k: &str) -> Option<String> {
    crate::apply::sval(a, k)
}
