//! Apply: walk the operation graph with a bounded pool of worker threads. An operation runs when
//! everything it depends on is done; a failed one skips its dependents while independent work
//! finishes. Every completed operation is journalled (fsynced) before the next is dispatched, so
//! a crash loses nothing that was done. Values that were unknown at plan time are resolved just
//! before the operation that needs them, by re-evaluating the resource with what apply has made.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value as J;

use crate::address::Address;
use crate::config::{Config, Mode};
use crate::diag::Diagnostics;
use crate::lang::Value;
use crate::lang::eval::Evaluator;
use crate::plan::attrs::{self, Attrs};
use crate::plan::ops::{Op, OpAction, Phase, set_delta};
use crate::plan::{Action, Change, Plan};
use crate::provider::api::{Client, push_list, push_tags};
use crate::provider::{ApiError, Clouds, Params};
use crate::schema::{self, Kind};
use crate::state::{Instance, JournalEntry, OutputState, State, StateError, Store};

/// Progress, for the CLI to show.
#[derive(Clone, Debug)]
pub enum Event {
    Start {
        op: String,
        address: Address,
        action: OpAction,
    },
    Done {
        op: String,
        address: Address,
        action: OpAction,
        elapsed: Duration,
    },
    Failed {
        op: String,
        address: Address,
        action: OpAction,
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
enum Update {
    Set(Address, Attrs),
    Remove(Address),
    /// Refresh the managed object with this cloud id (an ENI after attach, an EIP after bind).
    ById(String, Attrs),
    /// The operation failed after the other updates in its list had been done.
    Failed(ApiError),
}

struct Job {
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
}

/// One ClientToken per logical operation, reused by every retry of it: the state it was planned
/// from (lineage and serial) and the operation's id.
fn client_token(lineage: &str, serial: u64, op: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("{lineage}/{serial}/{op}").as_bytes());
    h.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn sval(a: &Attrs, k: &str) -> Option<String> {
    a.get(k).and_then(|v| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => v.coerce_string(),
        _ => None,
    })
}

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

fn missing(what: &str, addr: &Address) -> ApiError {
    ApiError::new(
        400,
        "netform.Unresolved",
        format!("{addr}: {what} is still unknown when it is needed"),
    )
}

/// Runs one operation against the cloud.
fn execute(
    job: &Job,
    c: &Client,
    cidrs: &BTreeMap<String, (String, String)>,
    batch: usize,
) -> Result<Vec<Update>, ApiError> {
    use OpAction::*;
    let addr = &job.op.address;
    let r = &job.resolved;
    if let Some(e) = &job.blocked {
        return Err(e.clone());
    }
    let cur = job.current.clone().unwrap_or_default();
    let token = &job.token;
    let eni_attrs =
        |info: &crate::provider::api::EniInfo| attrs::eni(info, cidrs.get(&info.vswitch_id));
    // Configuration-only attributes of the ENI that the cloud does not echo back.
    let keep_eni = |mut a: Attrs| {
        for k in ["queue_number", "source_dest_check", "delete_on_release"] {
            if let Some(v) = r.get(k)
                && !v.is_unknown()
                && a.get(k).is_none_or(Value::is_null)
            {
                a.insert(k.into(), v.clone());
            }
        }
        a
    };
    let eni_id_for = |job: &Job| -> Result<String, ApiError> {
        match job.change.kind {
            Kind::Eni => sval(&cur, "id").ok_or_else(|| missing("the ENI id", addr)),
            _ => sval(r, "network_interface_id")
                .or_else(|| sval(&cur, "network_interface_id"))
                .ok_or_else(|| missing("network_interface_id", addr)),
        }
    };
    match job.op.action {
        CreateNetworkInterface => {
            let mut p = Params::new();
            p.insert(
                "VSwitchId".into(),
                sval(r, "vswitch_id").ok_or_else(|| missing("vswitch_id", addr))?,
            );
            push_list(&mut p, "SecurityGroupIds", &strs(r, "security_group_ids"));
            copy_params(
                &mut p,
                r,
                &[
                    ("primary_ip_address", "PrimaryIpAddress"),
                    ("network_interface_name", "NetworkInterfaceName"),
                    ("description", "Description"),
                    ("resource_group_id", "ResourceGroupId"),
                    ("queue_number", "QueueNumber"),
                    ("source_dest_check", "SourceDestCheck"),
                    ("delete_on_release", "DeleteOnRelease"),
                ],
            );
            push_tags(&mut p, &tags_of(r));
            p.insert("ClientToken".into(), token.clone());
            let id = new_id(&c.call("CreateNetworkInterface", p)?, "NetworkInterfaceId")?;
            let info = c.wait_eni(&id, "Available", &format!("creating {id}"))?;
            Ok(vec![Update::Set(addr.clone(), keep_eni(eni_attrs(&info)))])
        }
        ModifyNetworkInterfaceAttribute => {
            let id = eni_id_for(job)?;
            let mut p = Params::new();
            p.insert("NetworkInterfaceId".into(), id.clone());
            p.insert(
                "NetworkInterfaceName".into(),
                sval(r, "network_interface_name").unwrap_or_default(),
            );
            p.insert(
                "Description".into(),
                sval(r, "description").unwrap_or_default(),
            );
            push_list(&mut p, "SecurityGroupId", &strs(r, "security_group_ids"));
            copy_params(
                &mut p,
                r,
                &[
                    ("queue_number", "QueueNumber"),
                    ("source_dest_check", "SourceDestCheck"),
                    ("delete_on_release", "DeleteOnRelease"),
                ],
            );
            c.call("ModifyNetworkInterfaceAttribute", p)?;
            sync_tags(c, "NetworkInterface", &id, &tags_of(&cur), &tags_of(r))?;
            let info = c.describe_eni(&id)?.ok_or_else(|| {
                ApiError::new(404, "InvalidEniId.NotFound", format!("{id} disappeared"))
            })?;
            Ok(vec![Update::Set(addr.clone(), keep_eni(eni_attrs(&info)))])
        }
        AssignPrivateIpAddresses | AssignIpv6Addresses => {
            let v6 = job.op.action == AssignIpv6Addresses;
            let id = eni_id_for(job)?;
            let (list, count) = match (job.change.kind, v6) {
                (Kind::Eni, false) => {
                    ("private_ip_addresses", "secondary_private_ip_address_count")
                }
                (_, false) => ("private_ip_addresses", "private_ip_address_count"),
                (_, true) => ("ipv6_addresses", "ipv6_address_count"),
            };
            let have = strs(&cur, list);
            let (_, added) = set_delta(cur.get(list), r.get(list));
            let (action, item, count_param) = if v6 {
                ("AssignIpv6Addresses", "Ipv6Address", "Ipv6AddressCount")
            } else {
                (
                    "AssignPrivateIpAddresses",
                    "PrivateIpAddress",
                    "SecondaryPrivateIpAddressCount",
                )
            };
            let mut assigned: Vec<String> = Vec::new();
            match added {
                Some(added) => {
                    for (i, chunk) in added.chunks(batch).enumerate() {
                        let mut p = Params::new();
                        p.insert("NetworkInterfaceId".into(), id.clone());
                        push_list(&mut p, item, chunk);
                        p.insert("ClientToken".into(), format!("{token}-{i}"));
                        if let Err(e) = c.call(action, p) {
                            if assigned.is_empty() {
                                return Err(e);
                            }
                            let mut done = ip_result(
                                job,
                                c,
                                &id,
                                list,
                                count,
                                assigned,
                                Vec::new(),
                                cidrs,
                                &keep_eni,
                            )?;
                            done.push(Update::Failed(e));
                            return Ok(done);
                        }
                        assigned.extend(chunk.iter().cloned());
                    }
                }
                None => {
                    let want =
                        r.get(count)
                            .and_then(Value::coerce_number)
                            .ok_or_else(|| missing(count, addr))? as usize;
                    let mut need = want.saturating_sub(have.len());
                    let mut i = 0;
                    while need > 0 {
                        let n = need.min(batch);
                        let mut p = Params::new();
                        p.insert("NetworkInterfaceId".into(), id.clone());
                        p.insert(count_param.into(), n.to_string());
                        p.insert("ClientToken".into(), format!("{token}-{i}"));
                        let j = c.call(action, p)?;
                        let got: Vec<String> = if v6 {
                            j.pointer("/Ipv6Sets/Ipv6Address")
                        } else {
                            j.pointer(
                                "/AssignedPrivateIpAddressesSet/PrivateIpSet/PrivateIpAddress",
                            )
                        }
                        .and_then(J::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default();
                        assigned.extend(got);
                        need -= n;
                        i += 1;
                    }
                }
            }
            ip_result(
                job,
                c,
                &id,
                list,
                count,
                assigned,
                Vec::new(),
                cidrs,
                &keep_eni,
            )
        }
        UnassignPrivateIpAddresses | UnassignIpv6Addresses => {
            let v6 = job.op.action == UnassignIpv6Addresses;
            let id = eni_id_for(job)?;
            let (list, count) = match (job.change.kind, v6) {
                (Kind::Eni, false) => {
                    ("private_ip_addresses", "secondary_private_ip_address_count")
                }
                (_, false) => ("private_ip_addresses", "private_ip_address_count"),
                (_, true) => ("ipv6_addresses", "ipv6_address_count"),
            };
            let removed = if job.op.phase == Phase::Destroy {
                strs(&cur, list)
            } else {
                set_delta(cur.get(list), r.get(list)).0
            };
            let (action, item) = if v6 {
                ("UnassignIpv6Addresses", "Ipv6Address")
            } else {
                ("UnassignPrivateIpAddresses", "PrivateIpAddress")
            };
            for chunk in removed.chunks(batch) {
                let mut p = Params::new();
                p.insert("NetworkInterfaceId".into(), id.clone());
                push_list(&mut p, item, chunk);
                match c.call(action, p) {
                    Ok(_) => {}
                    // Already gone (a retried unassign, or removed outside netform): done.
                    Err(e) if e.code == "InvalidIp.NotFound" => {}
                    Err(e) => return Err(e),
                }
            }
            ip_result(
                job,
                c,
                &id,
                list,
                count,
                Vec::new(),
                removed,
                cidrs,
                &keep_eni,
            )
        }
        DeleteNetworkInterface => {
            let id = sval(&cur, "id").ok_or_else(|| missing("the ENI id", addr))?;
            remove(
                c,
                "DeleteNetworkInterface",
                "NetworkInterfaceId",
                &id,
                "InvalidEniId.NotFound",
                || c.wait_eni_gone(&id),
            )?;
            Ok(vec![Update::Remove(addr.clone())])
        }
        AttachNetworkInterface => {
            let eni = sval(r, "network_interface_id")
                .ok_or_else(|| missing("network_interface_id", addr))?;
            let inst = sval(r, "instance_id").ok_or_else(|| missing("instance_id", addr))?;
            let mut p = Params::new();
            p.insert("NetworkInterfaceId".into(), eni.clone());
            p.insert("InstanceId".into(), inst.clone());
            if let Some(n) = sval(r, "network_card_index") {
                p.insert("NetworkCardIndex".into(), n);
            }
            if let Some(t) = sval(r, "trunk_network_instance_id") {
                p.insert("TrunkNetworkInstanceId".into(), t);
            }
            p.insert("ClientToken".into(), token.clone());
            let info = c.attach(p, &eni, &inst)?;
            let mut a = r.clone();
            a.insert("id".into(), Value::string(format!("{eni}:{inst}")));
            a.insert(
                "device_index".into(),
                info.device_index
                    .map(|d| Value::Number(d as f64))
                    .unwrap_or(Value::Null),
            );
            Ok(vec![
                Update::Set(addr.clone(), a),
                Update::ById(eni, eni_attrs(&info)),
            ])
        }
        DetachNetworkInterface => {
            let eni = sval(&cur, "network_interface_id")
                .ok_or_else(|| missing("network_interface_id", addr))?;
            let inst = sval(&cur, "instance_id").ok_or_else(|| missing("instance_id", addr))?;
            let mut p = Params::new();
            p.insert("NetworkInterfaceId".into(), eni.clone());
            p.insert("InstanceId".into(), inst);
            p.insert("ClientToken".into(), token.clone());
            let mut ups = vec![Update::Remove(addr.clone())];
            match c.detach(p, &eni) {
                Ok(info) => ups.push(Update::ById(eni, eni_attrs(&info))),
                Err(e) if e.code == "InvalidEniId.NotFound" => {}
                Err(e) => return Err(e),
            }
            Ok(ups)
        }
        AllocateEipAddress => {
            let mut p = Params::new();
            copy_params(
                &mut p,
                r,
                &[
                    ("bandwidth", "Bandwidth"),
                    ("internet_charge_type", "InternetChargeType"),
                    ("isp", "ISP"),
                    ("address_name", "Name"),
                    ("description", "Description"),
                    ("ip_address", "IpAddress"),
                    ("resource_group_id", "ResourceGroupId"),
                    ("deletion_protection", "DeletionProtection"),
                ],
            );
            p.insert(
                "InstanceChargeType".into(),
                if sval(r, "payment_type").as_deref() == Some("Subscription") {
                    "PrePaid".into()
                } else {
                    "PostPaid".into()
                },
            );
            push_tags(&mut p, &tags_of(r));
            p.insert("ClientToken".into(), token.clone());
            let id = new_id(&c.call("AllocateEipAddress", p)?, "AllocationId")?;
            let info = c.wait_eip(&id, "Available", &format!("allocating {id}"))?;
            Ok(vec![Update::Set(addr.clone(), attrs::eip(&info))])
        }
        ModifyEipAddressAttribute => {
            let id = sval(&cur, "id").ok_or_else(|| missing("the EIP id", addr))?;
            let mut p = Params::new();
            p.insert("AllocationId".into(), id.clone());
            for (k, param) in [
                ("bandwidth", "Bandwidth"),
                ("address_name", "Name"),
                ("description", "Description"),
                ("deletion_protection", "DeletionProtection"),
            ] {
                p.insert(param.into(), sval(r, k).unwrap_or_default());
            }
            c.call("ModifyEipAddressAttribute", p)?;
            sync_tags(c, "EIP", &id, &tags_of(&cur), &tags_of(r))?;
            let info = c.describe_eip(&id)?.ok_or_else(|| {
                ApiError::new(
                    404,
                    "InvalidAllocationId.NotFound",
                    format!("{id} disappeared"),
                )
            })?;
            Ok(vec![Update::Set(addr.clone(), attrs::eip(&info))])
        }
        ReleaseEipAddress => {
            let id = sval(&cur, "id").ok_or_else(|| missing("the EIP id", addr))?;
            if cur.get("deletion_protection") == Some(&Value::Bool(true)) {
                return Err(ApiError::new(
                    400,
                    "netform.DeletionProtection",
                    format!(
                        "{addr} ({id}) has deletion_protection = true and is never released; set it to false and apply first"
                    ),
                ));
            }
            if sval(&cur, "payment_type").as_deref() == Some("Subscription") {
                return Err(ApiError::new(
                    400,
                    "netform.Subscription",
                    format!(
                        "{addr} ({id}) is a Subscription EIP, which netform cannot release; release it in the console when it expires, then `netform state rm {addr}`"
                    ),
                ));
            }
            remove(
                c,
                "ReleaseEipAddress",
                "AllocationId",
                &id,
                "InvalidAllocationId.NotFound",
                || c.wait_eip_gone(&id),
            )?;
            Ok(vec![Update::Remove(addr.clone())])
        }
        AssociateEipAddress => {
            let alloc = sval(r, "allocation_id").ok_or_else(|| missing("allocation_id", addr))?;
            let target = sval(r, "instance_id").ok_or_else(|| missing("instance_id", addr))?;
            let kind = sval(r, "instance_type")
                .unwrap_or_else(|| crate::plan::diff::infer_kind(&target).to_string());
            let mut p = Params::new();
            p.insert("AllocationId".into(), alloc.clone());
            p.insert("InstanceId".into(), target.clone());
            p.insert("InstanceType".into(), kind.clone());
            let mut a = r.clone();
            a.insert("instance_type".into(), Value::string(kind.clone()));
            if kind == "NetworkInterface" {
                let mode = sval(r, "mode").unwrap_or_else(|| "NAT".into());
                p.insert("Mode".into(), mode.clone());
                if mode == "NAT" {
                    // Alibaba now requires the private IP; the ENI's primary when left out.
                    let ip = match sval(r, "private_ip_address") {
                        Some(ip) => ip,
                        None => {
                            c.describe_eni(&target)?
                                .map(|e| e.primary_ip)
                                .ok_or_else(|| {
                                    ApiError::new(
                                        404,
                                        "InvalidEniId.NotFound",
                                        format!("{target} does not exist"),
                                    )
                                })?
                        }
                    };
                    p.insert("PrivateIpAddress".into(), ip.clone());
                    a.insert("private_ip_address".into(), Value::string(ip));
                }
                a.insert("mode".into(), Value::string(mode));
            } else if let Some(ip) = sval(r, "private_ip_address") {
                p.insert("PrivateIpAddress".into(), ip);
            }
            if let Some(v) = sval(r, "vpc_id") {
                p.insert("VpcId".into(), v);
            }
            p.insert("ClientToken".into(), token.clone());
            c.call("AssociateEipAddress", p)?;
            let info = c.wait_eip(&alloc, "InUse", &format!("binding {alloc} to {target}"))?;
            a.insert("id".into(), Value::string(format!("{alloc}:{target}")));
            for v in a.values_mut() {
                if v.is_unknown() {
                    *v = Value::Null;
                }
            }
            Ok(vec![
                Update::Set(addr.clone(), a),
                Update::ById(alloc, attrs::eip(&info)),
            ])
        }
        UnassociateEipAddress => {
            let alloc =
                sval(&cur, "allocation_id").ok_or_else(|| missing("allocation_id", addr))?;
            let target = sval(&cur, "instance_id").ok_or_else(|| missing("instance_id", addr))?;
            let mut p = Params::new();
            p.insert("AllocationId".into(), alloc.clone());
            p.insert("InstanceId".into(), target);
            if let Some(k) = sval(&cur, "instance_type") {
                p.insert("InstanceType".into(), k);
            }
            if cur.get("force") == Some(&Value::Bool(true)) {
                p.insert("Force".into(), "true".into());
            }
            p.insert("ClientToken".into(), token.clone());
            let mut ups = vec![Update::Remove(addr.clone())];
            match c.call("UnassociateEipAddress", p) {
                Ok(_) => {
                    let info = c.wait_eip(&alloc, "Available", &format!("unbinding {alloc}"))?;
                    ups.push(Update::ById(alloc, attrs::eip(&info)));
                }
                Err(e) if e.code == "InvalidAllocationId.NotFound" => {}
                Err(e) => return Err(e),
            }
            Ok(ups)
        }
        ModifyEipForwardMode => {
            let alloc =
                sval(&cur, "allocation_id").ok_or_else(|| missing("allocation_id", addr))?;
            let mode = sval(r, "mode").unwrap_or_else(|| "NAT".into());
            let mut p = Params::new();
            p.insert("InstanceId".into(), alloc);
            p.insert("Mode".into(), mode.clone());
            c.call("ModifyEipForwardMode", p)?;
            let mut a = cur.clone();
            a.insert("mode".into(), Value::string(mode));
            Ok(vec![Update::Set(addr.clone(), a)])
        }
    }
}

/// Sets each request parameter whose attribute has a value.
fn copy_params(p: &mut Params, r: &Attrs, map: &[(&str, &str)]) {
    for (attr, param) in map {
        if let Some(v) = sval(r, attr) {
            p.insert((*param).into(), v);
        }
    }
}

/// The id a create call answered with; an answer without one is the cloud's error, not ours.
fn new_id(j: &J, key: &str) -> Result<String, ApiError> {
    j.get(key)
        .and_then(J::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::new(
                502,
                "netform.BadResponse",
                format!("the answer has no {key}: {j}"),
            )
        })
}

/// Deletes an object and waits until it is gone; already gone (a retried delete, or removed
/// outside netform) counts as done.
fn remove(
    c: &Client,
    action: &str,
    key: &str,
    id: &str,
    gone_code: &str,
    wait: impl FnOnce() -> Result<(), ApiError>,
) -> Result<(), ApiError> {
    let mut p = Params::new();
    p.insert(key.into(), id.into());
    match c.call(action, p) {
        Ok(_) => wait(),
        Err(e) if e.code == gone_code => Ok(()),
        Err(e) => Err(e),
    }
}

/// The state after an assign or unassign: for an ENI, what the cloud now reports; for a
/// secondary-IPs resource, only the addresses it manages.
#[allow(clippy::too_many_arguments)]
fn ip_result(
    job: &Job,
    c: &Client,
    id: &str,
    list: &str,
    count: &str,
    assigned: Vec<String>,
    removed: Vec<String>,
    cidrs: &BTreeMap<String, (String, String)>,
    keep: &dyn Fn(Attrs) -> Attrs,
) -> Result<Vec<Update>, ApiError> {
    let addr = &job.op.address;
    let eni_attrs =
        |info: &crate::provider::api::EniInfo| attrs::eni(info, cidrs.get(&info.vswitch_id));
    if job.change.kind == Kind::Eni {
        let info = c.describe_eni(id)?.ok_or_else(|| {
            ApiError::new(404, "InvalidEniId.NotFound", format!("{id} disappeared"))
        })?;
        return Ok(vec![Update::Set(addr.clone(), keep(eni_attrs(&info)))]);
    }
    let mut a = job.current.clone().unwrap_or_else(|| {
        let mut a = job.resolved.clone();
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
    a.insert(count.into(), Value::Number(items.len() as f64));
    a.insert("network_interface_id".into(), Value::string(id));
    a.insert("id".into(), Value::string(id));
    if let Some(info) = c.describe_eni(id)? {
        a.extend(attrs::eni_facts(&info, cidrs.get(&info.vswitch_id)));
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
        a.insert(k.into(), Value::Number(n as f64));
    }
    Ok(vec![Update::Set(addr.clone(), a)])
}

fn sync_tags(
    c: &Client,
    ty: &str,
    id: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
) -> Result<(), ApiError> {
    let gone: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    if !gone.is_empty() {
        let mut p = Params::new();
        p.insert("ResourceType".into(), ty.into());
        p.insert("ResourceId.1".into(), id.into());
        push_list(&mut p, "TagKey", &gone);
        c.call("UntagResources", p)?;
    }
    let set: BTreeMap<String, String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !set.is_empty() {
        let mut p = Params::new();
        p.insert("ResourceType".into(), ty.into());
        p.insert("ResourceId.1".into(), id.into());
        push_tags(&mut p, &set);
        c.call("TagResources", p)?;
    }
    Ok(())
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
    let Some(r) = cfg.resource(Mode::Managed, &change.address.ty, &change.address.name) else {
        return Ok(after);
    };
    // Locals this resource uses that were unknown may be known now. Only its own: refreshing
    // every local for every operation would make apply quadratic.
    refresh_locals(cfg, scope, local_order, false);
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
                        .resource_instance(*data, ty, name, &Value::string(k.clone()))
                        .flatten()
                }
                _ => None,
            };
            match direct {
                Some(v) => Some(v),
                None => match Evaluator::new(&*scope, &cfg.dir).eval(&fe.expr) {
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
    for (list, count) in [
        ("private_ip_addresses", "secondary_private_ip_address_count"),
        ("private_ip_addresses", "private_ip_address_count"),
        ("ipv6_addresses", "ipv6_address_count"),
    ] {
        if let (Some(Value::Set(items)), Some(c)) = (out.get(list), out.get(count))
            && c.is_unknown()
        {
            let n = items.len();
            out.insert(count.into(), Value::Number(n as f64));
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
    let mut state = plan.prior.clone();
    // The serial bumps against what was on disk, not the refreshed copy.
    let prior_state = plan.stored.clone();
    let lineage = state.lineage.clone();
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
    let mut ready: VecDeque<&str> = plan
        .ops
        .iter()
        .filter(|o| waiting.get(o.id.as_str()) == Some(&0))
        .map(|o| o.id.as_str())
        .collect();
    let mut scope = plan.scope.clone();
    let local_order = locals_in_order(cfg);
    let locals_of = locals_by_resource(cfg, &local_order);
    let mut report = Report::default();
    // Opened (and its header made durable) before the first cloud call: a journal that cannot
    // be written must stop the run while nothing has changed yet.
    let mut journal = if plan.ops.is_empty() {
        None
    } else {
        Some(store.journal(&lineage)?)
    };
    let mut ids: HashMap<String, Address> = HashMap::new();
    for (a, i) in &state.resources {
        if let Some(J::String(id)) = i.attributes.get("id") {
            ids.insert(id.clone(), a.clone());
        }
    }
    // Per-op completion tallies, to count a change as done when all its operations are.
    let mut remaining_per_change: HashMap<Address, usize> = HashMap::new();
    for o in &plan.ops {
        *remaining_per_change.entry(o.address.clone()).or_default() += 1;
    }
    // Changes without operations (an update of attributes netform only records) count at once.
    for c in &plan.changes {
        if c.is_change() && !remaining_per_change.contains_key(&c.address) {
            if let Some(after) = &c.after {
                let mut a = after.clone();
                for (_, v) in a.iter_mut() {
                    if v.is_unknown() {
                        *v = Value::Null;
                    }
                }
                let inst = instance_for(c, &a);
                state.resources.insert(c.address.clone(), inst);
            }
            count_change(&mut report, c.action);
        }
    }
    // vSwitch CIDRs are recorded on ENIs (guest-config needs them): read once per region.
    let mut cidrs: HashMap<Option<String>, BTreeMap<String, (String, String)>> = HashMap::new();
    if plan.ops.iter().any(|o| {
        changes
            .get(&o.address)
            .is_some_and(|c| matches!(c.kind, Kind::Eni | Kind::SecondaryIps | Kind::Attachment))
    }) {
        let aliases: HashSet<Option<String>> =
            plan.changes.iter().map(|c| c.provider.clone()).collect();
        for a in aliases {
            let m = crate::plan::refresh::vswitch_cidrs(&clouds.client(a.as_deref()))
                .unwrap_or_default();
            cidrs.insert(a, m);
        }
    }
    let batch = clouds.limits.ips_per_assign_call.value.max(1) as usize;
    let workers = opts.parallelism.max(1);
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
    let (res_tx, res_rx) = mpsc::channel::<(Job, Result<Vec<Update>, ApiError>, Duration)>();
    let mut failed_ops: HashSet<String> = HashSet::new();
    let empty = BTreeMap::new();
    std::thread::scope(|s| -> Result<(), ApplyError> {
        for _ in 0..workers {
            let rx = job_rx.clone();
            let tx = res_tx.clone();
            let cidrs = &cidrs;
            let empty = &empty;
            s.spawn(move || {
                loop {
                    let job = {
                        let Ok(guard) = rx.lock() else { return };
                        guard.recv()
                    };
                    let Ok(job) = job else { return };
                    let start = Instant::now();
                    let client = clouds.client(job.change.provider.as_deref());
                    let cidr = cidrs.get(&job.change.provider).unwrap_or(empty);
                    let res = execute(&job, &client, cidr, batch);
                    if tx.send((job, res, start.elapsed())).is_err() {
                        return;
                    }
                }
            });
        }
        drop(res_tx);
        let mut in_flight = 0usize;
        loop {
            while in_flight < workers {
                if opts
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst))
                {
                    for id in ready.drain(..) {
                        report.skipped.push(id.to_string());
                        on_event(&Event::Skipped { op: id.to_string() });
                    }
                    break;
                }
                let Some(id) = ready.pop_front() else { break };
                let Some(op) = ops.get(id) else { continue };
                let Some(change) = changes.get(&op.address) else {
                    continue;
                };
                let resolved = if op.phase == Phase::Apply {
                    resolve(
                        cfg,
                        &mut scope,
                        locals_of
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
                    state
                        .resources
                        .get(&op.address)
                        .map(|i| attrs::from_state(schema::by_kind(change.kind), &i.attributes))
                };
                on_event(&Event::Start {
                    op: op.id.clone(),
                    address: op.address.clone(),
                    action: op.action,
                });
                let job = Job {
                    op: (*op).clone(),
                    change: (*change).clone(),
                    current,
                    resolved,
                    blocked,
                    token: client_token(&lineage, plan.prior.serial, &op.id),
                };
                if job_tx.send(job).is_err() {
                    return Err(ApplyError::Internal("apply workers stopped".into()));
                }
                in_flight += 1;
            }
            if in_flight == 0 {
                break;
            }
            let Ok((job, res, elapsed)) = res_rx.recv() else {
                break;
            };
            in_flight -= 1;
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
            {
                {
                    let j = match &mut journal {
                        Some(j) => j,
                        None => journal.insert(store.journal(&lineage)?),
                    };
                    for u in updates {
                        let entry = match u {
                            Update::Set(addr, _) if replacing_old(&job, &addr, &state) => continue,
                            Update::Remove(addr) if replacing_old(&job, &addr, &state) => continue,
                            Update::Failed(_) => continue,
                            Update::Set(addr, a) => {
                                let mut inst = instance_for(&job.change, &a);
                                if addr != job.change.address {
                                    inst.dependencies.clear();
                                }
                                if let Some(J::String(i)) = inst.attributes.get("id") {
                                    ids.insert(i.clone(), addr.clone());
                                }
                                let e = JournalEntry::Set {
                                    address: addr.to_string(),
                                    attributes: inst.attributes.clone(),
                                    dependencies: inst.dependencies.clone(),
                                    provider: inst.provider.clone(),
                                };
                                // Only objects that stay feed later expressions (outputs, other
                                // resources): the steps of a delete do not.
                                let stays = changes
                                    .get(&addr)
                                    .is_some_and(|ch| ch.action != Action::Delete)
                                    && !(addr == job.change.address
                                        && job.op.phase == Phase::Destroy);
                                if stays && let Some(rv) = scope.resources.get(&addr.resource_key())
                                {
                                    let exp = rv.expansion;
                                    scope.set_instance(
                                        &addr.resource_key(),
                                        exp,
                                        addr.key.clone(),
                                        Value::Map(a.clone()),
                                    );
                                }
                                state.resources.insert(addr, inst);
                                e
                            }
                            Update::Remove(addr) => {
                                state.resources.remove(&addr);
                                if changes
                                    .get(&addr)
                                    .is_some_and(|ch| ch.action == Action::Delete)
                                    && let Some(rv) = scope.resources.get_mut(&addr.resource_key())
                                {
                                    rv.instances.remove(&addr.key);
                                }
                                JournalEntry::Remove {
                                    address: addr.to_string(),
                                }
                            }
                            Update::ById(cloud_id, a) => {
                                let Some(addr) = ids.get(&cloud_id).cloned() else {
                                    continue;
                                };
                                let Some(inst) = state.resources.get_mut(&addr) else {
                                    continue;
                                };
                                let Some((sch, _)) = schema::lookup(addr.mode, &addr.ty) else {
                                    continue;
                                };
                                let mut merged = attrs::from_state(sch, &inst.attributes);
                                for (k, v) in a {
                                    merged.insert(k, v);
                                }
                                inst.attributes = attrs::to_state(&merged);
                                JournalEntry::Set {
                                    address: addr.to_string(),
                                    attributes: inst.attributes.clone(),
                                    dependencies: inst.dependencies.clone(),
                                    provider: inst.provider.clone(),
                                }
                            }
                        };
                        j.append(&entry)?;
                    }
                    if let Some(e) = failure {
                        fail(e, &id, &job, &users, &mut failed_ops, &mut report, on_event);
                        continue;
                    }
                    report.completed.push(id.clone());
                    on_event(&Event::Done {
                        op: id.clone(),
                        address: job.op.address.clone(),
                        action: job.op.action,
                        elapsed,
                    });
                    if let Some(n) = remaining_per_change.get_mut(&job.op.address) {
                        *n -= 1;
                        if *n == 0 {
                            count_change(&mut report, job.change.action);
                        }
                    }
                    for u in users.get(id.as_str()).cloned().unwrap_or_default() {
                        if let Some(w) = waiting.get_mut(u) {
                            *w -= 1;
                            if *w == 0 && !failed_ops.contains(u) {
                                ready.push_back(u);
                            }
                        }
                    }
                }
            }
        }
        drop(job_tx);
        Ok(())
    })?;
    // Outputs from the final values.
    if report.ok() {
        state.outputs.clear();
        if !plan.options.destroy {
            refresh_locals(cfg, &mut scope, &local_order, true);
        }
        for o in cfg.outputs.values() {
            if plan.options.destroy {
                continue;
            }
            match Evaluator::new(&scope, &cfg.dir).eval(&o.value.expr) {
                Ok(v) => {
                    state.outputs.insert(
                        o.name.clone(),
                        OutputState {
                            value: v.to_json(),
                            ty: J::String(v.type_name().into()),
                            sensitive: o.sensitive,
                        },
                    );
                }
                Err(e) => report.warnings.push(
                    crate::diag::Diagnostic::warning(format!(
                        "output \"{}\" could not be evaluated: {}",
                        o.name, e.message
                    ))
                    .at(o.value.range_of(e.span)),
                ),
            }
        }
    }
    store.write(&mut state, prior_state.as_ref())?;
    report.state = Some(state);
    Ok(report)
}

/// Records a failed operation and skips everything downstream of it.
fn fail(
    e: ApiError,
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
    let old_id = job.change.before.as_ref().and_then(|b| sval(b, "id"));
    let now_id = state
        .resources
        .get(addr)
        .and_then(|i| i.attributes.get("id"))
        .and_then(J::as_str)
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
