//! Assigning and unassigning addresses, for an ENI's own address lists and for those a
//! secondary-IPs resource manages on its ENI: the calls (in batches, by list or by count) are
//! the same; which ENI, which attributes and what state records afterwards are the owner's
//! ([`Addresses`]).

use super::strs;
use crate::apply::Update;
use crate::apply::execute::{Exec, Settle, Settled, Updates, replayed};
use crate::lang::Value;
use crate::plan::ops::{Phase, set_delta};
use crate::provider::ApiError;
use crate::provider::wire::ecs;

/// What differs between the owners of addresses.
pub(crate) trait Addresses: Sync {
    /// The ENI the addresses are on.
    fn eni_id(&self, x: &Exec) -> Result<String, ApiError>;
    /// The address-list attribute and its count companion (IPv6 or IPv4).
    fn lists(&self, v6: bool) -> (&'static str, &'static str);
    /// The state after an assign or unassign of `assigned` and `removed` on ENI `id`.
    fn result(
        &self,
        x: &Exec,
        id: &str,
        v6: bool,
        assigned: Vec<String>,
        removed: Vec<String>,
    ) -> Updates;
}

/// Assigns the addresses the plan adds, in batches; or, when only a count is known, lets the
/// cloud pick that many. A batch that fails after others succeeded records those done.
pub(super) fn assign(x: &Exec, o: &dyn Addresses, v6: bool) -> Updates {
    let id = o.eni_id(x)?;
    let (list, count) = o.lists(v6);
    let have = strs(x.current(), list);
    let (_, added) = set_delta(x.current().get(list), x.planned().get(list));
    let mut assigned: Vec<String> = Vec::new();
    match added {
        Some(added) => {
            for (i, chunk) in added.chunks(x.batch()).enumerate() {
                let token = format!("{}-{i}", x.token());
                if let Err(e) = assign_call(x, v6, &id, chunk.to_vec(), None, token) {
                    if assigned.is_empty() {
                        return Err(e);
                    }
                    let mut done = o.result(x, &id, v6, assigned, Vec::new())?;
                    done.push(Update::Failed(e));
                    return Ok(done);
                }
                assigned.extend(chunk.iter().cloned());
            }
        }
        None => {
            let want = x
                .planned()
                .get(count)
                .and_then(Value::coerce_number)
                .ok_or_else(|| x.missing(count))? as usize;
            let mut need = want.saturating_sub(have.len());
            let mut i = 0;
            while need > 0 {
                let n = need.min(x.batch());
                let token = format!("{}-{i}", x.token());
                assigned.extend(assign_call(x, v6, &id, Vec::new(), Some(n as u32), token)?);
                need -= n;
                i += 1;
            }
        }
    }
    o.result(x, &id, v6, assigned, Vec::new())
}

/// One Assign call with its ClientToken (derived from the operation's, one per call): the listed
/// addresses, or `count` the cloud picks. Returns the addresses the answer lists.
pub(crate) fn assign_call(
    x: &Exec,
    v6: bool,
    id: &str,
    listed: Vec<String>,
    count: Option<u32>,
    token: String,
) -> Result<Vec<String>, ApiError> {
    let client_token = Some(token);
    Ok(if v6 {
        x.client()
            .send(&ecs::AssignIpv6Addresses {
                network_interface_id: id.into(),
                ipv6_address: listed,
                ipv6_address_count: count,
                client_token,
            })?
            .ipv6_sets
            .items
    } else {
        x.client()
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

/// What an unassign removes: what the plan removes, everything on destroy.
fn to_remove(x: &Exec, list: &str) -> Vec<String> {
    if x.phase() == Phase::Destroy {
        strs(x.current(), list)
    } else {
        set_delta(x.current().get(list), x.planned().get(list)).0
    }
}

/// Unassigns what the plan removes (everything on destroy), in batches. Unassign takes no
/// ClientToken: an address already gone (a repeat, or removed outside netform) is done.
pub(super) fn unassign(x: &Exec, o: &dyn Addresses, v6: bool) -> Updates {
    let id = o.eni_id(x)?;
    let (list, _) = o.lists(v6);
    let removed = to_remove(x, list);
    for chunk in removed.chunks(x.batch()) {
        match unassign_call(x, v6, &id, chunk.to_vec()) {
            Ok(()) => {}
            // Some of the chunk is gone already (a repeat after a lost answer, or removed
            // outside netform), and the API refuses the whole call for it: unassign what is
            // still there, rather than count it all as done.
            Err(e) if e.code == "InvalidIp.NotFound" => {
                let info = x.describe_eni(&id)?;
                let have = if v6 { &info.ipv6 } else { &info.private_ips };
                let left: Vec<String> = chunk
                    .iter()
                    .filter(|ip| have.contains(ip))
                    .cloned()
                    .collect();
                if !left.is_empty() {
                    unassign_call(x, v6, &id, left)?;
                }
            }
            Err(e) => return Err(e),
        }
    }
    o.result(x, &id, v6, Vec::new(), removed)
}

/// One Unassign call (they take no ClientToken).
fn unassign_call(x: &Exec, v6: bool, id: &str, ips: Vec<String>) -> Result<(), ApiError> {
    if v6 {
        x.client()
            .send(&ecs::UnassignIpv6Addresses {
                network_interface_id: id.into(),
                ipv6_address: ips,
            })
            .map(drop)
    } else {
        x.client()
            .send(&ecs::UnassignPrivateIpAddresses {
                network_interface_id: id.into(),
                private_ip_address: ips,
            })
            .map(drop)
    }
}

/// Listed addresses: those on the ENI are done (the rest the next plan assigns). Addresses
/// the cloud picked (a count): only the token knows which, so the assign is replayed.
pub(super) fn settle_assign(
    x: &Exec,
    o: &dyn Addresses,
    v6: bool,
    how: &Settle,
) -> Result<Settled, ApiError> {
    let id = o.eni_id(x)?;
    let Some(info) = x.client().describe_eni(&id)? else {
        return Ok(Settled::NotDone);
    };
    let (list, _) = o.lists(v6);
    let have = if v6 { &info.ipv6 } else { &info.private_ips };
    match set_delta(x.current().get(list), x.planned().get(list)).1 {
        Some(added) => {
            let on: Vec<String> = added.into_iter().filter(|ip| have.contains(ip)).collect();
            if on.is_empty() {
                return Ok(Settled::NotDone);
            }
            Ok(Settled::Done(o.result(x, &id, v6, on, Vec::new())?))
        }
        None if how.replay => replayed(assign(x, o, v6)),
        None => Ok(Settled::NotDone),
    }
}

/// The addresses the operation removes that are gone from the ENI are done.
pub(super) fn settle_unassign(x: &Exec, o: &dyn Addresses, v6: bool) -> Result<Settled, ApiError> {
    let id = o.eni_id(x)?;
    let Some(info) = x.client().describe_eni(&id)? else {
        return Ok(Settled::NotDone);
    };
    let (list, _) = o.lists(v6);
    let removed = to_remove(x, list);
    let have = if v6 { &info.ipv6 } else { &info.private_ips };
    let gone: Vec<String> = removed
        .into_iter()
        .filter(|ip| !have.contains(ip))
        .collect();
    if gone.is_empty() {
        return Ok(Settled::NotDone);
    }
    Ok(Settled::Done(o.result(x, &id, v6, Vec::new(), gone)?))
}
