//! One operation against the cloud: the typed requests each [`OpAction`] sends (built from
//! `provider::wire`, never by hand), the waits for asynchronous states, and the state updates the
//! answers lead to.
//!
//! Calls that take a ClientToken get one derived from the operation's token, so a retried or
//! resumed operation never does the work twice; calls that take none (attach, detach, unassign,
//! delete, release) are made safe to repeat by checking state instead.

use std::collections::BTreeMap;

use super::{Job, Update, missing, sval};
use crate::lang::Value;
use crate::plan::attrs::{self, Attrs};
use crate::plan::ops::{OpAction, Phase, set_delta};
use crate::provider::ApiError;
use crate::provider::api::{Client, EipInfo, EniInfo};
use crate::provider::wire::{Request, Tags, ecs, vpc};
use crate::schema::Kind;

type Updates = Result<Vec<Update>, ApiError>;

fn strs(a: &Attrs, k: &str) -> Vec<String> {
    a.get(k)
        .and_then(Value::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn tags_of(a: &Attrs) -> BTreeMap<String, String> {
    a.get("tags")
        .and_then(Value::as_map)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.coerce_string().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default()
}

/// A whole-number attribute as a request parameter.
fn num(a: &Attrs, k: &str) -> Option<u32> {
    a.get(k)
        .and_then(Value::coerce_number)
        .filter(|n| *n >= 0.0)
        .map(|n| n as u32)
}

fn flag(a: &Attrs, k: &str) -> Option<bool> {
    a.get(k).and_then(Value::coerce_bool)
}

/// The id a create call answered with; an answer without one is the cloud's error, not ours.
fn new_id(id: String, key: &str) -> Result<String, ApiError> {
    if id.is_empty() {
        return Err(ApiError::new(
            502,
            "netform.BadResponse",
            format!("the answer has no {key}"),
        ));
    }
    Ok(id)
}

/// Deletes an object and waits until it is gone; already gone (a retried delete, or removed
/// outside netform) counts as done.
fn remove<R: Request>(
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

/// Tag keys to remove and tags to set, going from `old` to `new`.
fn tag_delta(
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> (Vec<String>, BTreeMap<String, String>) {
    let gone = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let set = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (gone, set)
}

/// ENI tags are ECS's, under ResourceType `eni`.
fn retag_eni(
    c: &Client,
    id: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (gone, set) = tag_delta(old, new);
    if !gone.is_empty() {
        c.send(&ecs::UntagResources {
            resource_type: ecs::ENI_RESOURCE_TYPE.into(),
            resource_id: vec![id.into()],
            tag_key: gone,
            all: None,
        })?;
    }
    if !set.is_empty() {
        c.send(&ecs::TagResources {
            resource_type: ecs::ENI_RESOURCE_TYPE.into(),
            resource_id: vec![id.into()],
            tag: Tags(set),
        })?;
    }
    Ok(())
}

/// EIP tags are VPC's, under ResourceType `EIP`; VPC's removal action is `UnTagResources`.
fn retag_eip(
    c: &Client,
    id: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let (gone, set) = tag_delta(old, new);
    if !gone.is_empty() {
        c.send(&vpc::UnTagResources {
            resource_type: vpc::EIP_RESOURCE_TYPE.into(),
            resource_id: vec![id.into()],
            tag_key: gone,
            all: None,
        })?;
    }
    if !set.is_empty() {
        c.send(&vpc::TagResources {
            resource_type: vpc::EIP_RESOURCE_TYPE.into(),
            resource_id: vec![id.into()],
            tag: Tags(set),
        })?;
    }
    Ok(())
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
    use OpAction::*;
    if let Some(e) = &job.blocked {
        return Err(e.clone());
    }
    let x = Exec {
        job,
        c,
        cidrs,
        batch: batch.max(1),
        cur: job.current.clone().unwrap_or_default(),
        waiter,
    };
    match job.op.action {
        CreateNetworkInterface => x.create_eni(),
        ModifyNetworkInterfaceAttribute => x.modify_eni(),
        AssignPrivateIpAddresses => x.assign(false),
        AssignIpv6Addresses => x.assign(true),
        UnassignPrivateIpAddresses => x.unassign(false),
        UnassignIpv6Addresses => x.unassign(true),
        DeleteNetworkInterface => x.delete_eni(),
        AttachNetworkInterface => x.attach(),
        DetachNetworkInterface => x.detach(),
        AllocateEipAddress => x.allocate_eip(),
        ModifyEipAddressAttribute => x.modify_eip(),
        ReleaseEipAddress => x.release_eip(),
        AssociateEipAddress => x.associate(),
        UnassociateEipAddress => x.unassociate(),
        ModifyEipForwardMode => x.modify_mode(),
    }
}

mod settle;
mod waiter;
pub(super) use settle::{Settle, Settled};
pub(super) use waiter::Waiter;

/// Settles an operation whose outcome is unknown (`settle`).
pub(super) fn settle_job(
    job: &Job,
    c: &Client,
    cidrs: &BTreeMap<String, (String, String)>,
    batch: usize,
    how: &Settle,
) -> Result<Settled, ApiError> {
    let x = Exec {
        job,
        c,
        cidrs,
        batch: batch.max(1),
        cur: job.current.clone().unwrap_or_default(),
        waiter: None,
    };
    x.settle(how)
}

/// One operation with what it needs: the job, a client for its region, the vSwitch CIDRs (for
/// the ENI facts guest-config reads) and the largest address batch per call.
struct Exec<'a> {
    job: &'a Job,
    c: &'a Client<'a>,
    cidrs: &'a BTreeMap<String, (String, String)>,
    batch: usize,
    /// The resource's attributes in state right now.
    cur: Attrs,
    /// Where reads join those of the apply's other operations (none: each its own call).
    waiter: Option<&'a Waiter>,
}

impl Exec<'_> {
    fn addr(&self) -> &crate::address::Address {
        &self.job.op.address
    }

    /// The planned attributes, resolved.
    fn r(&self) -> &Attrs {
        &self.job.resolved
    }

    fn missing(&self, what: &str) -> ApiError {
        missing(what, self.addr())
    }

    fn eni_attrs(&self, info: &EniInfo) -> Attrs {
        attrs::eni(info, self.cidrs.get(&info.vswitch_id))
    }

    /// The configured tags plus netform's identity tags (`crate::identity`), for a create: the
    /// object says from birth which address and state it belongs to, so a run that crashes
    /// before recording it leaves it findable.
    fn tags_with_identity(&self) -> BTreeMap<String, String> {
        let mut t = crate::identity::user_tags(&tags_of(self.r()));
        t.extend(crate::identity::tags(&self.job.lineage, self.addr()));
        t
    }

    /// Configuration-only attributes of the ENI that the cloud does not echo back.
    fn keep_eni(&self, mut a: Attrs) -> Attrs {
        for k in ["queue_number", "source_dest_check", "delete_on_release"] {
            if let Some(v) = self.r().get(k)
                && !v.is_unknown()
                && a.get(k).is_none_or(Value::is_null)
            {
                a.insert(k.into(), v.clone());
            }
        }
        a
    }

    /// The ENI an operation works on: the ENI resource's own id, or the one a secondary-IPs
    /// resource names.
    fn eni_id(&self) -> Result<String, ApiError> {
        match self.job.change.kind {
            Kind::Eni => sval(&self.cur, "id").ok_or_else(|| self.missing("the ENI id")),
            _ => sval(self.r(), "network_interface_id")
                .or_else(|| sval(&self.cur, "network_interface_id"))
                .ok_or_else(|| self.missing("network_interface_id")),
        }
    }

    fn describe_eni(&self, id: &str) -> Result<EniInfo, ApiError> {
        self.eni_now(id)?
            .ok_or_else(|| ApiError::new(404, "InvalidEniId.NotFound", format!("{id} disappeared")))
    }

    /// The ENI as the cloud describes it now, read with the other operations' reads.
    fn eni_now(&self, id: &str) -> Result<Option<EniInfo>, ApiError> {
        match self.waiter {
            Some(w) => w.eni(self.c, id),
            None => self.c.describe_eni(id),
        }
    }

    fn eip_now(&self, id: &str) -> Result<Option<EipInfo>, ApiError> {
        match self.waiter {
            Some(w) => w.eip(self.c, id),
            None => self.c.describe_eip(id),
        }
    }

    fn wait_eni(&self, id: &str, want: &str, what: &str) -> Result<EniInfo, ApiError> {
        self.c
            .wait(what, || Ok(self.eni_now(id)?.filter(|e| e.status == want)))
    }

    fn wait_eni_gone(&self, id: &str) -> Result<(), ApiError> {
        self.c.wait(&format!("deleting {id}"), || {
            Ok(self.eni_now(id)?.is_none().then_some(()))
        })
    }

    fn wait_eip(&self, id: &str, want: &str, what: &str) -> Result<EipInfo, ApiError> {
        self.c
            .wait(what, || Ok(self.eip_now(id)?.filter(|e| e.status == want)))
    }

    fn wait_eip_gone(&self, id: &str) -> Result<(), ApiError> {
        self.c.wait(&format!("releasing {id}"), || {
            Ok(self.eip_now(id)?.is_none().then_some(()))
        })
    }

    fn create_eni(&self) -> Updates {
        let r = self.r();
        let req = ecs::CreateNetworkInterface {
            v_switch_id: sval(r, "vswitch_id").ok_or_else(|| self.missing("vswitch_id"))?,
            security_group_ids: strs(r, "security_group_ids"),
            primary_ip_address: sval(r, "primary_ip_address"),
            network_interface_name: sval(r, "network_interface_name"),
            description: sval(r, "description"),
            resource_group_id: sval(r, "resource_group_id"),
            queue_number: num(r, "queue_number"),
            source_dest_check: flag(r, "source_dest_check"),
            delete_on_release: flag(r, "delete_on_release"),
            tag: Tags(self.tags_with_identity()),
            client_token: Some(self.job.token.clone()),
            ..Default::default()
        };
        let created = self.c.send(&req)?;
        let id = new_id(created.network_interface_id.clone(), "NetworkInterfaceId")?;
        // The answer describes the new ENI: one that is Available already needs no wait (and
        // no Describe call).
        if created.status == "Available" {
            let info = EniInfo::from(created);
            return Ok(vec![Update::Set(
                self.addr().clone(),
                self.keep_eni(self.eni_attrs(&info)),
            )]);
        }
        let info = match self.wait_eni(&id, "Available", &format!("creating {id}")) {
            Ok(info) => info,
            // The ENI exists: state records it from the create's answer whatever the wait
            // says, so the next run refreshes it instead of creating another.
            Err(e) => {
                let info = EniInfo::from(created);
                return Ok(vec![
                    Update::Set(self.addr().clone(), self.keep_eni(self.eni_attrs(&info))),
                    Update::Failed(e),
                ]);
            }
        };
        Ok(vec![Update::Set(
            self.addr().clone(),
            self.keep_eni(self.eni_attrs(&info)),
        )])
    }

    fn modify_eni(&self) -> Updates {
        let id = self.eni_id()?;
        let r = self.r();
        self.c.send(&ecs::ModifyNetworkInterfaceAttribute {
            network_interface_id: id.clone(),
            network_interface_name: Some(sval(r, "network_interface_name").unwrap_or_default()),
            description: Some(sval(r, "description").unwrap_or_default()),
            security_group_id: strs(r, "security_group_ids"),
            queue_number: num(r, "queue_number"),
            source_dest_check: flag(r, "source_dest_check"),
            delete_on_release: flag(r, "delete_on_release"),
        })?;
        retag_eni(self.c, &id, &tags_of(&self.cur), &tags_of(r))?;
        let info = self.describe_eni(&id)?;
        Ok(vec![Update::Set(
            self.addr().clone(),
            self.keep_eni(self.eni_attrs(&info)),
        )])
    }

    /// The address-list attribute and its count companion for this resource kind.
    fn lists(&self, v6: bool) -> (&'static str, &'static str) {
        match (self.job.change.kind, v6) {
            (Kind::Eni, false) => ("private_ip_addresses", "secondary_private_ip_address_count"),
            (_, false) => ("private_ip_addresses", "private_ip_address_count"),
            (_, true) => ("ipv6_addresses", "ipv6_address_count"),
        }
    }

    /// Assigns the addresses the plan adds, in batches; or, when only a count is known, lets the
    /// cloud pick that many. A batch that fails after others succeeded records those done.
    fn assign(&self, v6: bool) -> Updates {
        let id = self.eni_id()?;
        let (list, count) = self.lists(v6);
        let have = strs(&self.cur, list);
        let (_, added) = set_delta(self.cur.get(list), self.r().get(list));
        let mut assigned: Vec<String> = Vec::new();
        match added {
            Some(added) => {
                for (i, chunk) in added.chunks(self.batch).enumerate() {
                    if let Err(e) = self.assign_call(v6, &id, chunk.to_vec(), None, i) {
                        if assigned.is_empty() {
                            return Err(e);
                        }
                        let mut done = self.ip_result(&id, list, count, assigned, Vec::new())?;
                        done.push(Update::Failed(e));
                        return Ok(done);
                    }
                    assigned.extend(chunk.iter().cloned());
                }
            }
            None => {
                let want = self
                    .r()
                    .get(count)
                    .and_then(Value::coerce_number)
                    .ok_or_else(|| self.missing(count))? as usize;
                let mut need = want.saturating_sub(have.len());
                let mut i = 0;
                while need > 0 {
                    let n = need.min(self.batch);
                    assigned.extend(self.assign_call(v6, &id, Vec::new(), Some(n as u32), i)?);
                    need -= n;
                    i += 1;
                }
            }
        }
        self.ip_result(&id, list, count, assigned, Vec::new())
    }

    /// One Assign call (the `i`th of the operation, which names its ClientToken): the listed
    /// addresses, or `count` the cloud picks. Returns the addresses the answer lists.
    fn assign_call(
        &self,
        v6: bool,
        id: &str,
        listed: Vec<String>,
        count: Option<u32>,
        i: usize,
    ) -> Result<Vec<String>, ApiError> {
        let client_token = Some(format!("{}-{i}", self.job.token));
        Ok(if v6 {
            self.c
                .send(&ecs::AssignIpv6Addresses {
                    network_interface_id: id.into(),
                    ipv6_address: listed,
                    ipv6_address_count: count,
                    client_token,
                })?
                .ipv6_sets
                .items
        } else {
            self.c
                .send(&ecs::AssignPrivateIpAddresses {
                    network_interface_id: id.into(),
                    private_ip_address: listed,
                    secondary_private_ip_address_count: count,
                    client_token,
                })?
                .assigned_private_ip_addresses_set
                .private_ip_set
                .items
        })
    }

    /// Unassigns what the plan removes (everything on destroy), in batches. Unassign takes no
    /// ClientToken: an address already gone (a repeat, or removed outside netform) is done.
    fn unassign(&self, v6: bool) -> Updates {
        let id = self.eni_id()?;
        let (list, count) = self.lists(v6);
        let removed = if self.job.op.phase == Phase::Destroy {
            strs(&self.cur, list)
        } else {
            set_delta(self.cur.get(list), self.r().get(list)).0
        };
        for chunk in removed.chunks(self.batch) {
            match self.unassign_call(v6, &id, chunk.to_vec()) {
                Ok(()) => {}
                // Some of the chunk is gone already (a repeat after a lost answer, or removed
                // outside netform), and the API refuses the whole call for it: unassign what is
                // still there, rather than count it all as done.
                Err(e) if e.code == "InvalidIp.NotFound" => {
                    let info = self.describe_eni(&id)?;
                    let have = if v6 { &info.ipv6 } else { &info.private_ips };
                    let left: Vec<String> = chunk
                        .iter()
                        .filter(|ip| have.contains(ip))
                        .cloned()
                        .collect();
                    if !left.is_empty() {
                        self.unassign_call(v6, &id, left)?;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        self.ip_result(&id, list, count, Vec::new(), removed)
    }

    /// Whether none of the addresses a secondary-IPs resource manages is still on its ENI (or the
    /// ENI is gone): its destroy is then complete, whichever of its unassign calls ends last.
    fn all_released(&self, id: &str) -> Result<bool, ApiError> {
        let cur = self.job.current.clone().unwrap_or_default();
        let mut managed = strs(&cur, "private_ip_addresses");
        managed.extend(strs(&cur, "ipv6_addresses"));
        Ok(match self.eni_now(id)? {
            None => true,
            Some(info) => !managed
                .iter()
                .any(|ip| info.private_ips.contains(ip) || info.ipv6.contains(ip)),
        })
    }

    /// One Unassign call (they take no ClientToken).
    fn unassign_call(&self, v6: bool, id: &str, ips: Vec<String>) -> Result<(), ApiError> {
        if v6 {
            self.c
                .send(&ecs::UnassignIpv6Addresses {
                    network_interface_id: id.into(),
                    ipv6_address: ips,
                })
                .map(drop)
        } else {
            self.c
                .send(&ecs::UnassignPrivateIpAddresses {
                    network_interface_id: id.into(),
                    private_ip_address: ips,
                })
                .map(drop)
        }
    }

    /// The state after an assign or unassign: for an ENI, what the cloud now reports; for a
    /// secondary-IPs resource, only the addresses it manages.
    fn ip_result(
        &self,
        id: &str,
        list: &str,
        count: &str,
        assigned: Vec<String>,
        removed: Vec<String>,
    ) -> Updates {
        let addr = self.addr();
        if self.job.change.kind == Kind::Eni {
            let info = self.describe_eni(id)?;
            return Ok(vec![Update::Set(
                addr.clone(),
                self.keep_eni(self.eni_attrs(&info)),
            )]);
        }
        if self.job.op.phase == Phase::Destroy && self.all_released(id)? {
            return Ok(vec![Update::Remove(addr.clone())]);
        }
        let mut a = self.job.current.clone().unwrap_or_else(|| {
            let mut a = self.job.resolved.clone();
            for k in ["private_ip_addresses", "ipv6_addresses"] {
                a.insert(k.into(), Value::set(Vec::new()));
            }
            a
        });
        let mut items = strs(&a, list);
        items.retain(|x| !removed.contains(x));
        items.extend(assigned);
        a.insert(
            list.into(),
            Value::set(items.iter().map(|s| Value::string(s.clone())).collect()),
        );
        a.insert(count.into(), Value::from(items.len()));
        a.insert("network_interface_id".into(), Value::string(id));
        a.insert("id".into(), Value::string(id));
        if let Some(info) = self.eni_now(id)? {
            a.extend(attrs::eni_facts(&info, self.cidrs.get(&info.vswitch_id)));
        }
        for (_, v) in a.iter_mut() {
            if v.is_unknown() {
                *v = Value::Null;
            }
        }
        for k in ["private_ip_addresses", "ipv6_addresses"] {
            if a.get(k).is_none_or(Value::is_null) {
                a.insert(k.into(), Value::set(Vec::new()));
            }
        }
        for (k, l) in [
            ("private_ip_address_count", "private_ip_addresses"),
            ("ipv6_address_count", "ipv6_addresses"),
        ] {
            let n = a
                .get(l)
                .and_then(Value::as_seq)
                .map(<[Value]>::len)
                .unwrap_or(0);
            a.insert(k.into(), Value::from(n));
        }
        Ok(vec![Update::Set(addr.clone(), a)])
    }

    fn delete_eni(&self) -> Updates {
        let id = sval(&self.cur, "id").ok_or_else(|| self.missing("the ENI id"))?;
        remove(
            self.c,
            &ecs::DeleteNetworkInterface {
                network_interface_id: id.clone(),
            },
            "InvalidEniId.NotFound",
            || self.wait_eni_gone(&id),
        )?;
        Ok(vec![Update::Remove(self.addr().clone())])
    }

    fn attach(&self) -> Updates {
        let r = self.r();
        let eni =
            sval(r, "network_interface_id").ok_or_else(|| self.missing("network_interface_id"))?;
        let inst = sval(r, "instance_id").ok_or_else(|| self.missing("instance_id"))?;
        let info = self.c.attach(&ecs::AttachNetworkInterface {
            network_interface_id: eni.clone(),
            instance_id: inst.clone(),
            network_card_index: num(r, "network_card_index"),
            trunk_network_instance_id: sval(r, "trunk_network_instance_id"),
        })?;
        Ok(self.attached(r.clone(), &eni, &inst, &info))
    }

    /// The updates of an attachment in place: the attachment (from its planned attributes `a`)
    /// and the ENI it attached, as the cloud now describes it.
    fn attached(&self, mut a: Attrs, eni: &str, inst: &str, info: &EniInfo) -> Vec<Update> {
        a.insert("id".into(), Value::string(format!("{eni}:{inst}")));
        a.insert(
            "device_index".into(),
            info.device_index.map(Value::from).unwrap_or(Value::Null),
        );
        vec![
            Update::Set(self.addr().clone(), a),
            Update::ById(eni.to_string(), self.eni_attrs(info)),
        ]
    }

    fn detach(&self) -> Updates {
        let eni = sval(&self.cur, "network_interface_id")
            .ok_or_else(|| self.missing("network_interface_id"))?;
        let inst = sval(&self.cur, "instance_id").ok_or_else(|| self.missing("instance_id"))?;
        let mut ups = vec![Update::Remove(self.addr().clone())];
        match self.c.detach(&ecs::DetachNetworkInterface {
            network_interface_id: eni.clone(),
            instance_id: inst,
            trunk_network_instance_id: None,
        }) {
            Ok(info) => ups.push(Update::ById(eni, self.eni_attrs(&info))),
            Err(e) if e.code == "InvalidEniId.NotFound" => {}
            Err(e) => return Err(e),
        }
        Ok(ups)
    }

    /// Turns an EIP's deletion protection on or off: its own VPC action, not a parameter of
    /// AllocateEipAddress or ModifyEipAddressAttribute.
    fn protect(&self, id: &str, on: bool) -> Result<(), ApiError> {
        self.c.send(&vpc::DeletionProtection {
            instance_id: id.into(),
            r#type: vpc::EIP_PROTECTION_TYPE.into(),
            protection_enable: Some(on),
            client_token: Some(format!("{}-protect", self.job.token)),
        })?;
        Ok(())
    }

    fn allocate_eip(&self) -> Updates {
        let r = self.r();
        let prepaid = sval(r, "payment_type").as_deref() == Some("Subscription");
        let req = vpc::AllocateEipAddress {
            bandwidth: sval(r, "bandwidth"),
            internet_charge_type: sval(r, "internet_charge_type"),
            instance_charge_type: Some(if prepaid { "PrePaid" } else { "PostPaid" }.into()),
            isp: sval(r, "isp"),
            name: sval(r, "address_name"),
            description: sval(r, "description"),
            ip_address: sval(r, "ip_address"),
            resource_group_id: sval(r, "resource_group_id"),
            tag: Tags(self.tags_with_identity()),
            client_token: Some(self.job.token.clone()),
        };
        let allocated = self.c.send(&req)?;
        let id = new_id(allocated.allocation_id, "AllocationId")?;
        let mut info = match self.wait_eip(&id, "Available", &format!("allocating {id}")) {
            Ok(info) => info,
            // The EIP exists: recorded from the answer (id and address) whatever the wait
            // says; the next refresh reads the rest.
            Err(e) => {
                let mut a = Attrs::new();
                a.insert("id".into(), Value::string(id));
                a.insert("ip_address".into(), Value::string(allocated.eip_address));
                return Ok(vec![Update::Set(self.addr().clone(), a), Update::Failed(e)]);
            }
        };
        if flag(r, "deletion_protection") == Some(true) {
            // The EIP exists now: record it even if protecting it fails, so it is not leaked;
            // the next plan shows the protection still to set.
            if let Err(e) = self.protect(&id, true) {
                return Ok(vec![
                    Update::Set(self.addr().clone(), attrs::eip(&info)),
                    Update::Failed(e),
                ]);
            }
            info.deletion_protection = true;
        }
        Ok(vec![Update::Set(self.addr().clone(), attrs::eip(&info))])
    }

    fn modify_eip(&self) -> Updates {
        let id = sval(&self.cur, "id").ok_or_else(|| self.missing("the EIP id"))?;
        let r = self.r();
        self.c.send(&vpc::ModifyEipAddressAttribute {
            allocation_id: id.clone(),
            bandwidth: sval(r, "bandwidth"),
            name: Some(sval(r, "address_name").unwrap_or_default()),
            description: Some(sval(r, "description").unwrap_or_default()),
        })?;
        retag_eip(self.c, &id, &tags_of(&self.cur), &tags_of(r))?;
        // Only a configured value changes the protection: left out, it stays as it is.
        if let Some(want) = flag(r, "deletion_protection")
            && want != (flag(&self.cur, "deletion_protection") == Some(true))
        {
            self.protect(&id, want)?;
        }
        let info = self.eip_now(&id)?.ok_or_else(|| {
            ApiError::new(
                404,
                "InvalidAllocationId.NotFound",
                format!("{id} disappeared"),
            )
        })?;
        Ok(vec![Update::Set(self.addr().clone(), attrs::eip(&info))])
    }

    fn release_eip(&self) -> Updates {
        let addr = self.addr();
        let id = sval(&self.cur, "id").ok_or_else(|| self.missing("the EIP id"))?;
        if self.cur.get("deletion_protection") == Some(&Value::Bool(true)) {
            return Err(ApiError::new(
                400,
                "netform.DeletionProtection",
                format!(
                    "{addr} ({id}) has deletion_protection = true and is never released; set it to false and apply first"
                ),
            ));
        }
        if sval(&self.cur, "payment_type").as_deref() == Some("Subscription") {
            return Err(ApiError::new(
                400,
                "netform.Subscription",
                format!(
                    "{addr} ({id}) is a Subscription EIP, which netform cannot release; release it in the console when it expires, then `netform state rm {addr}`"
                ),
            ));
        }
        remove(
            self.c,
            &vpc::ReleaseEipAddress {
                allocation_id: id.clone(),
            },
            "InvalidAllocationId.NotFound",
            || self.wait_eip_gone(&id),
        )?;
        Ok(vec![Update::Remove(addr.clone())])
    }

    fn associate(&self) -> Updates {
        let r = self.r();
        let alloc = sval(r, "allocation_id").ok_or_else(|| self.missing("allocation_id"))?;
        let target = sval(r, "instance_id").ok_or_else(|| self.missing("instance_id"))?;
        let kind = sval(r, "instance_type")
            .unwrap_or_else(|| crate::plan::diff::infer_kind(&target).to_string());
        let mut req = vpc::AssociateEipAddress {
            allocation_id: alloc.clone(),
            instance_id: target.clone(),
            instance_type: Some(kind.clone()),
            vpc_id: sval(r, "vpc_id"),
            client_token: Some(self.job.token.clone()),
            ..Default::default()
        };
        let mut a = r.clone();
        a.insert("instance_type".into(), Value::string(kind.clone()));
        if kind == "NetworkInterface" {
            let mode = sval(r, "mode").unwrap_or_else(|| "NAT".into());
            req.mode = Some(mode.clone());
            if mode == "NAT" {
                // Alibaba requires the private IP; the ENI's primary when left out.
                let ip = match sval(r, "private_ip_address") {
                    Some(ip) => ip,
                    None => self
                        .eni_now(&target)?
                        .map(|e| e.primary_ip)
                        .ok_or_else(|| {
                            ApiError::new(
                                404,
                                "InvalidEniId.NotFound",
                                format!("{target} does not exist"),
                            )
                        })?,
                };
                req.private_ip_address = Some(ip.clone());
                a.insert("private_ip_address".into(), Value::string(ip));
            }
            a.insert("mode".into(), Value::string(mode));
        } else {
            req.private_ip_address = sval(r, "private_ip_address");
        }
        self.c.send(&req)?;
        let info = self.wait_eip(&alloc, "InUse", &format!("binding {alloc} to {target}"))?;
        Ok(self.bound(a, &alloc, &target, &info))
    }

    /// The updates of a binding in place: the association (its attributes `a`) and the EIP, as
    /// the cloud now describes it.
    fn bound(&self, mut a: Attrs, alloc: &str, target: &str, info: &EipInfo) -> Vec<Update> {
        a.insert("id".into(), Value::string(format!("{alloc}:{target}")));
        for v in a.values_mut() {
            if v.is_unknown() {
                *v = Value::Null;
            }
        }
        vec![
            Update::Set(self.addr().clone(), a),
            Update::ById(alloc.to_string(), attrs::eip(info)),
        ]
    }

    fn unassociate(&self) -> Updates {
        let alloc =
            sval(&self.cur, "allocation_id").ok_or_else(|| self.missing("allocation_id"))?;
        let target = sval(&self.cur, "instance_id").ok_or_else(|| self.missing("instance_id"))?;
        let req = vpc::UnassociateEipAddress {
            allocation_id: alloc.clone(),
            instance_id: Some(target),
            instance_type: sval(&self.cur, "instance_type"),
            force: (self.cur.get("force") == Some(&Value::Bool(true))).then_some(true),
            client_token: Some(self.job.token.clone()),
            ..Default::default()
        };
        let mut ups = vec![Update::Remove(self.addr().clone())];
        match self.c.send(&req) {
            Ok(_) => {
                let info = self.wait_eip(&alloc, "Available", &format!("unbinding {alloc}"))?;
                ups.push(Update::ById(alloc, attrs::eip(&info)));
            }
            Err(e) if e.code == "InvalidAllocationId.NotFound" => {}
            Err(e) => return Err(e),
        }
        Ok(ups)
    }

    fn modify_mode(&self) -> Updates {
        let alloc =
            sval(&self.cur, "allocation_id").ok_or_else(|| self.missing("allocation_id"))?;
        let mode = sval(self.r(), "mode").unwrap_or_else(|| "NAT".into());
        self.c.send(&vpc::ModifyEipForwardMode {
            instance_id: alloc,
            mode: mode.clone(),
            client_token: Some(self.job.token.clone()),
        })?;
        let mut a = self.cur.clone();
        a.insert("mode".into(), Value::string(mode));
        Ok(vec![Update::Set(self.addr().clone(), a)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{Address, InstanceKey};
    use crate::plan::ops::Op;
    use crate::plan::{Action, Change};
    use crate::provider::api::fake::{self, Fake, World};

    const TOKEN: &str = "0123456789abcdef0123456789abcdef";

    fn attrs(pairs: &[(&str, Value)]) -> Attrs {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn tags(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::string(*v)))
                .collect(),
        )
    }

    fn job(kind: Kind, ty: &str, action: OpAction, current: Option<Attrs>, resolved: Attrs) -> Job {
        let address = Address::managed(ty, "x", InstanceKey::None);
        Job {
            op: Op {
                id: format!("{address}#{}", action.name()),
                action,
                address: address.clone(),
                phase: Phase::Apply,
                depends_on: Vec::new(),
            },
            change: Change {
                address,
                kind,
                action: if current.is_some() {
                    Action::Update
                } else {
                    Action::Create
                },
                before: current.clone(),
                after: Some(resolved.clone()),
                replace_paths: Vec::new(),
                create_before_destroy: false,
                dependencies: Vec::new(),
                provider: None,
                each: None,
                sensitive: Default::default(),
            },
            current,
            resolved,
            blocked: None,
            token: TOKEN.into(),
            lineage: "test-lineage".into(),
        }
    }

    fn run(f: &Fake, job: &Job) -> Updates {
        execute(job, &f.client(), &BTreeMap::new(), 10)
    }

    /// The attributes an update sets on the operation's own address.
    fn set_attrs(u: &[Update]) -> Option<&Attrs> {
        u.iter().find_map(|u| match u {
            Update::Set(_, a) => Some(a),
            _ => None,
        })
    }

    #[test]
    fn eni_tags_change_through_ecs_with_resource_type_eni() {
        let mut e = fake::eni("eni-1");
        e.tags = wire_tags(&[("old", "1"), ("keep", "1")]);
        let f = Fake::new(World {
            enis: vec![e],
            ..World::default()
        });
        let cur = attrs(&[
            ("id", Value::string("eni-1")),
            ("tags", tags(&[("old", "1"), ("keep", "1")])),
        ]);
        let want = attrs(&[
            ("vswitch_id", Value::string("vsw-1")),
            ("tags", tags(&[("keep", "1"), ("new", "2")])),
        ]);
        let j = job(
            Kind::Eni,
            "alicloud_network_interface",
            OpAction::ModifyNetworkInterfaceAttribute,
            Some(cur),
            want,
        );
        let u = run(&f, &j);
        assert!(u.is_ok(), "{u:?}");
        for action in ["TagResources", "UntagResources"] {
            let calls = f.calls_of(action);
            assert_eq!(calls.len(), 1, "{action}");
            assert_eq!(calls[0].product, crate::provider::Product::Ecs);
            assert_eq!(calls[0].params["ResourceType"], "eni");
        }
        let left = f.eni("eni-1").map(|e| e.tags.to_map()).unwrap_or_default();
        assert_eq!(
            left.keys().map(String::as_str).collect::<Vec<_>>(),
            ["keep", "new"]
        );
    }

    /// The simulator as the cloud, for operations that create (the fake only records).
    fn sim(faults: Option<crate::provider::sim::world::Faults>) -> crate::provider::sim::Sim {
        let mut w = crate::provider::sim::world::World::builtin();
        if let Some(f) = faults {
            w.faults = f;
        }
        crate::provider::sim::Sim::in_memory(w).unwrap_or_else(|e| panic!("{e}"))
    }

    fn on_sim(s: &crate::provider::sim::Sim, job: &Job) -> Updates {
        let c = Client {
            transport: s,
            region: "cn-hangzhou".into(),
            timing: crate::provider::api::Timing {
                wait_timeout: std::time::Duration::from_millis(50),
                ..fake::fast()
            },
        };
        execute(job, &c, &BTreeMap::new(), 10)
    }

    fn new_eni() -> Attrs {
        attrs(&[
            ("vswitch_id", Value::string("vsw-bp1web0000000000000")),
            (
                "security_group_ids",
                Value::set(vec![Value::string("sg-bp1basic000000000000")]),
            ),
            ("tags", tags(&[("team", "net")])),
        ])
    }

    #[test]
    fn created_enis_and_eips_carry_identity_tags_that_state_does_not_show() {
        let s = sim(None);
        let eni = job(
            Kind::Eni,
            "alicloud_ecs_network_interface",
            OpAction::CreateNetworkInterface,
            None,
            new_eni(),
        );
        let eip = job(
            Kind::Eip,
            "alicloud_eip_address",
            OpAction::AllocateEipAddress,
            None,
            attrs(&[("tags", tags(&[("team", "net")]))]),
        );
        for (i, mut j) in [eni, eip].into_iter().enumerate() {
            j.token = format!("{TOKEN}-{i}");
            let u = on_sim(&s, &j).unwrap_or_else(|e| panic!("{e}"));
            let a = set_attrs(&u).unwrap_or_else(|| panic!("no Set"));
            assert_eq!(a.get("tags"), Some(&tags(&[("team", "net")])), "{a:?}");
            let id = sval(a, "id").unwrap_or_default();
            let cloud_tags = s
                .with_cloud(|c| {
                    c.live
                        .enis
                        .get(&id)
                        .map(|e| e.tags.clone())
                        .or_else(|| c.live.eips.get(&id).map(|e| e.tags.clone()))
                })
                .flatten()
                .unwrap_or_default();
            assert!(crate::identity::matches(
                &cloud_tags,
                "test-lineage",
                &j.op.address
            ));
            assert_eq!(cloud_tags.get("team").map(String::as_str), Some("net"));
        }
    }

    #[test]
    fn a_create_whose_wait_stays_throttled_still_records_what_it_made() {
        let faults: crate::provider::sim::world::Faults = serde_json::from_str(
            r#"{"rates": {"DescribeNetworkInterfaces": {"throttling": 1.0},
                          "DescribeEipAddresses": {"throttling": 1.0}}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let s = sim(Some(faults));
        let eni = job(
            Kind::Eni,
            "alicloud_ecs_network_interface",
            OpAction::CreateNetworkInterface,
            None,
            new_eni(),
        );
        let eip = job(
            Kind::Eip,
            "alicloud_eip_address",
            OpAction::AllocateEipAddress,
            None,
            Attrs::new(),
        );
        for (i, mut j) in [eni, eip].into_iter().enumerate() {
            j.token = format!("{TOKEN}-{i}");
            let u = on_sim(&s, &j).unwrap_or_else(|e| panic!("{e}"));
            let id = set_attrs(&u).and_then(|a| sval(a, "id"));
            assert!(id.is_some_and(|i| i.starts_with("eni-") || i.starts_with("eip-")));
            if j.change.kind == Kind::Eni {
                // The create's answer shows the ENI Available: no wait, so no Describe to fail.
                assert!(!u.iter().any(|x| matches!(x, Update::Failed(_))), "{u:?}");
                continue;
            }
            assert!(
                matches!(u.last(), Some(Update::Failed(e)) if e.code.starts_with("Throttling")),
                "{u:?}"
            );
        }
    }

    fn wire_tags(pairs: &[(&str, &str)]) -> crate::provider::wire::EcsTags {
        crate::provider::wire::EcsTags::from_map(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn eip_tag_removal_is_vpc_untag_resources_with_resource_type_eip() {
        let mut e = fake::eip("eip-1");
        e.tags = crate::provider::wire::VpcTags::from_map(
            &[("gone".to_string(), "1".to_string())].into(),
        );
        let f = Fake::new(World {
            eips: vec![e],
            ..World::default()
        });
        let j = job(
            Kind::Eip,
            "alicloud_eip_address",
            OpAction::ModifyEipAddressAttribute,
            Some(attrs(&[
                ("id", Value::string("eip-1")),
                ("tags", tags(&[("gone", "1")])),
            ])),
            attrs(&[("tags", tags(&[]))]),
        );
        let u = run(&f, &j);
        assert!(u.is_ok(), "{u:?}");
        let calls = f.calls_of("UnTagResources");
        assert_eq!(calls.len(), 1, "{:?}", f.actions());
        assert_eq!(calls[0].product, crate::provider::Product::Vpc);
        assert_eq!(calls[0].params["ResourceType"], "EIP");
        assert_eq!(calls[0].params["TagKey.1"], "gone");
        assert!(f.eip("eip-1").is_some_and(|e| e.tags.items.is_empty()));
    }

    #[test]
    fn a_protected_eip_is_allocated_then_protected_by_its_own_action() {
        let f = Fake::new(World::default());
        let j = job(
            Kind::Eip,
            "alicloud_eip_address",
            OpAction::AllocateEipAddress,
            None,
            attrs(&[
                ("bandwidth", Value::string("5")),
                ("deletion_protection", Value::Bool(true)),
            ]),
        );
        let u = run(&f, &j);
        assert!(u.is_ok(), "{u:?}");
        let alloc = f.calls_of("AllocateEipAddress");
        assert!(!alloc[0].params.contains_key("DeletionProtection"));
        let p = f.calls_of("DeletionProtection");
        assert_eq!(p.len(), 1, "{:?}", f.actions());
        let p = &p[0].params;
        assert_eq!(p["InstanceId"], "eip-fake1");
        assert_eq!(p["Type"], "EIP");
        assert_eq!(p["ProtectionEnable"], "true");
        assert_eq!(p["ClientToken"], format!("{TOKEN}-protect"));
        assert!(f.eip("eip-fake1").is_some_and(|e| e.deletion_protection));
        let a = u.ok();
        let a = a.as_deref().and_then(set_attrs);
        assert_eq!(
            a.and_then(|a| a.get("deletion_protection")),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn an_update_calls_deletion_protection_only_when_the_value_changes() {
        let modify = |before: bool, after: Option<bool>| {
            let f = Fake::new(World {
                eips: vec![fake::eip("eip-1")],
                ..World::default()
            });
            let mut want = attrs(&[("description", Value::string("d"))]);
            if let Some(b) = after {
                want.insert("deletion_protection".into(), Value::Bool(b));
            }
            let j = job(
                Kind::Eip,
                "alicloud_eip_address",
                OpAction::ModifyEipAddressAttribute,
                Some(attrs(&[
                    ("id", Value::string("eip-1")),
                    ("deletion_protection", Value::Bool(before)),
                ])),
                want,
            );
            let u = run(&f, &j);
            assert!(u.is_ok(), "{u:?}");
            assert!(
                !f.calls_of("ModifyEipAddressAttribute")[0]
                    .params
                    .contains_key("DeletionProtection")
            );
            f.calls_of("DeletionProtection")
                .into_iter()
                .map(|c| c.params["ProtectionEnable"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(modify(false, Some(true)), ["true"]);
        assert_eq!(modify(true, Some(false)), ["false"]);
        assert!(modify(true, Some(true)).is_empty());
        assert!(modify(true, None).is_empty(), "left out, it stays");
    }

    #[test]
    fn a_protected_eip_is_never_released() {
        let f = Fake::new(World {
            eips: vec![fake::eip("eip-1")],
            ..World::default()
        });
        let mut j = job(
            Kind::Eip,
            "alicloud_eip_address",
            OpAction::ReleaseEipAddress,
            Some(attrs(&[
                ("id", Value::string("eip-1")),
                ("deletion_protection", Value::Bool(true)),
            ])),
            Attrs::new(),
        );
        j.op.phase = Phase::Destroy;
        let e = run(&f, &j).map(|_| ()).map_err(|e| e.code);
        assert_eq!(e, Err("netform.DeletionProtection".to_string()));
        assert!(f.calls().is_empty());
    }

    fn attachment(status: &str, instance: &str) -> (std::sync::Arc<Fake>, Attrs) {
        let mut e = fake::eni("eni-1");
        e.status = status.into();
        e.instance_id = instance.into();
        let f = Fake::new(World {
            enis: vec![e],
            ..World::default()
        });
        let a = attrs(&[
            ("network_interface_id", Value::string("eni-1")),
            ("instance_id", Value::string("i-1")),
        ]);
        (f, a)
    }

    #[test]
    fn a_repeated_attach_or_detach_is_done_without_a_call() {
        let (f, a) = attachment("InUse", "i-1");
        let j = job(
            Kind::Attachment,
            "alicloud_network_interface_attachment",
            OpAction::AttachNetworkInterface,
            None,
            a,
        );
        let u = run(&f, &j);
        assert!(u.is_ok(), "{u:?}");
        assert!(f.calls_of("AttachNetworkInterface").is_empty());
        let (f, a) = attachment("Available", "");
        let mut j = job(
            Kind::Attachment,
            "alicloud_network_interface_attachment",
            OpAction::DetachNetworkInterface,
            Some(a),
            Attrs::new(),
        );
        j.op.phase = Phase::Destroy;
        let u = run(&f, &j);
        assert!(u.is_ok(), "{u:?}");
        assert!(f.calls_of("DetachNetworkInterface").is_empty());
    }

    #[test]
    fn attach_and_detach_send_no_client_token() {
        let (f, a) = attachment("Available", "");
        let j = job(
            Kind::Attachment,
            "alicloud_network_interface_attachment",
            OpAction::AttachNetworkInterface,
            None,
            a.clone(),
        );
        let u = run(&f, &j);
        assert!(u.is_ok(), "{u:?}");
        let mut j = job(
            Kind::Attachment,
            "alicloud_network_interface_attachment",
            OpAction::DetachNetworkInterface,
            Some(a),
            Attrs::new(),
        );
        j.op.phase = Phase::Destroy;
        let u = run(&f, &j);
        assert!(u.is_ok(), "{u:?}");
        for action in ["AttachNetworkInterface", "DetachNetworkInterface"] {
            let calls = f.calls_of(action);
            assert_eq!(calls.len(), 1, "{action}");
            assert!(!calls[0].params.contains_key("ClientToken"), "{action}");
        }
    }
}
