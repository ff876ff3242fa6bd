//! Executing operations, per kind: the one place that says which kind's code runs an
//! [`OpAction`] (`run`) and judges its outcome after a lost answer (`settle`), and what apply
//! asks of a kind without knowing it (the cloud id in attributes, which counts follow which
//! address lists, whether ENI facts are recorded). The operations themselves are in each kind's
//! `exec.rs`; adding and removing addresses, shared by ENIs and secondary-IPs resources, in
//! `execute/addresses.rs`.

use std::collections::BTreeMap;

use serde_json::Value as J;

use super::{association, attachment, eip, eni, secondary_ips};
use crate::apply::execute::{Exec, Settle, Settled, Updates};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::plan::ops::OpAction;
use crate::provider::ApiError;
use crate::schema::Kind;

mod addresses;
pub(crate) use addresses::{Addresses, assign_call};

/// Runs the operation `x` describes.
pub(crate) fn run(x: &Exec) -> Updates {
    use OpAction::*;
    match x.action() {
        CreateNetworkInterface => eni::exec::create(x),
        ModifyNetworkInterfaceAttribute => eni::exec::modify(x),
        AssignPrivateIpAddresses => addresses::assign(x, owner(x.kind()), false),
        AssignIpv6Addresses => addresses::assign(x, owner(x.kind()), true),
        UnassignPrivateIpAddresses => addresses::unassign(x, owner(x.kind()), false),
        UnassignIpv6Addresses => addresses::unassign(x, owner(x.kind()), true),
        DeleteNetworkInterface => eni::exec::delete(x),
        AttachNetworkInterface => attachment::exec::attach(x),
        DetachNetworkInterface => attachment::exec::detach(x),
        AllocateEipAddress => eip::exec::allocate(x),
        ModifyEipAddressAttribute => eip::exec::modify(x),
        ReleaseEipAddress => eip::exec::release(x),
        AssociateEipAddress => association::exec::associate(x),
        UnassociateEipAddress => association::exec::unassociate(x),
        ModifyEipForwardMode => association::exec::modify_mode(x),
    }
}

/// Judges whether the cloud did the operation `x` describes (`apply::execute::settle`).
pub(crate) fn settle(x: &Exec, how: &Settle) -> Result<Settled, ApiError> {
    use OpAction::*;
    match x.action() {
        CreateNetworkInterface => eni::exec::settle_create(x, how),
        AllocateEipAddress => eip::exec::settle_allocate(x, how),
        AssignPrivateIpAddresses => addresses::settle_assign(x, owner(x.kind()), false, how),
        AssignIpv6Addresses => addresses::settle_assign(x, owner(x.kind()), true, how),
        UnassignPrivateIpAddresses => addresses::settle_unassign(x, owner(x.kind()), false),
        UnassignIpv6Addresses => addresses::settle_unassign(x, owner(x.kind()), true),
        AttachNetworkInterface => attachment::exec::settle_attach(x),
        DetachNetworkInterface => attachment::exec::settle_detach(x),
        AssociateEipAddress => association::exec::settle_associate(x),
        UnassociateEipAddress => association::exec::settle_unassociate(x),
        DeleteNetworkInterface => eni::exec::settle_delete(x),
        ReleaseEipAddress => eip::exec::settle_release(x),
        // Attribute changes: the refresh before the next plan reads what the cloud has, and
        // the plan makes whatever change is still missing.
        ModifyNetworkInterfaceAttribute | ModifyEipAddressAttribute | ModifyEipForwardMode => {
            Ok(Settled::NotDone)
        }
    }
}

/// Whose addresses an assign or unassign changes: the ENI's own, or those a secondary-IPs
/// resource manages on its ENI.
fn owner(kind: Kind) -> &'static dyn Addresses {
    match kind {
        Kind::Eni => &eni::exec::OwnAddresses,
        _ => &secondary_ips::exec::ManagedAddresses,
    }
}

/// The (address list, count) pairs of a kind where the count follows the list once the list
/// is known at apply.
pub(crate) fn counted_lists(kind: Kind) -> &'static [(&'static str, &'static str)] {
    match kind {
        Kind::Eni => eni::exec::COUNTED,
        Kind::SecondaryIps => secondary_ips::exec::COUNTED,
        _ => &[],
    }
}

/// Whether a kind's operations record ENI facts, which need the vSwitches' CIDRs.
pub(crate) fn records_eni_facts(kind: Kind) -> bool {
    matches!(kind, Kind::Eni | Kind::SecondaryIps | Kind::Attachment)
}

/// The cloud id of a resource's object, from its attributes.
pub(crate) fn object_id(a: &Attrs) -> Option<String> {
    crate::apply::sval(a, "id")
}

/// The cloud id of a resource's object, from its attributes as state stores them.
pub(crate) fn state_id(a: &BTreeMap<String, J>) -> Option<&str> {
    a.get("id").and_then(J::as_str)
}

/// Settles a removal: done when the object the current attributes name (by `id`) no longer
/// exists, as `describe` finds it.
pub(crate) fn settle_gone<T>(
    x: &Exec,
    describe: impl FnOnce(&str) -> Result<Option<T>, ApiError>,
) -> Result<Settled, ApiError> {
    let Some(id) = crate::apply::sval(x.current(), "id") else {
        return Ok(Settled::NotDone);
    };
    Ok(match describe(&id)? {
        None => Settled::Done(vec![crate::apply::Update::Remove(x.address().clone())]),
        Some(_) => Settled::NotDone,
    })
}

/// A list or set of strings (empty when absent).
pub(crate) fn strs(a: &Attrs, k: &str) -> Vec<String> {
    a.get(k)
        .and_then(Value::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The `tags` attribute as strings.
pub(crate) fn tags_of(a: &Attrs) -> BTreeMap<String, String> {
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
pub(crate) fn num(a: &Attrs, k: &str) -> Option<u32> {
    a.get(k)
        .and_then(Value::coerce_number)
        .filter(|n| *n >= 0.0)
        .map(|n| n as u32)
}

pub(crate) fn flag(a: &Attrs, k: &str) -> Option<bool> {
    a.get(k).and_then(Value::coerce_bool)
}

/// Tag keys to remove and tags to set, going from `old` to `new`.
pub(crate) fn tag_delta(
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

/// Unknown values recorded as null: state holds only what is known.
pub(crate) fn nulled_unknowns(a: &mut Attrs) {
    for v in a.values_mut() {
        if v.is_unknown() {
            *v = Value::Null;
        }
    }
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
