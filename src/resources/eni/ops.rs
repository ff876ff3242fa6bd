//! The operations an ENI's change needs, and the parts of the operation graph its attributes
//! decide: its own address sets (shared with `netform_secondary_private_ips`, which manages the
//! same sets on an ENI it does not own), the addresses it frees and takes when an address moves
//! between ENIs of one plan, and which of its address claims name their addresses.

use std::collections::HashMap;

use crate::lang::Value;
use crate::plan::ops::{Builder, OpAction, Phase, get, seq, set_delta};
use crate::plan::{Action, Change};
use crate::resources::operations::{Claim, Needs};

/// Attributes `ModifyNetworkInterfaceAttribute` changes in place.
const MODIFIABLE: &[&str] = &[
    "network_interface_name",
    "description",
    "security_group_ids",
    "tags",
    "queue_number",
    "source_dest_check",
    "delete_on_release",
];

pub(crate) fn ops_of(c: &Change) -> Vec<(OpAction, Phase)> {
    use OpAction::*;
    let n = Needs::of(c);
    let mut out = Vec::new();
    if n.destroy {
        if n.holds("private_ip_addresses") {
            out.push((UnassignPrivateIpAddresses, Phase::Destroy));
        }
        out.push((DeleteNetworkInterface, Phase::Destroy));
    }
    if n.create {
        out.push((CreateNetworkInterface, Phase::Apply));
        if n.wants("private_ip_addresses") {
            out.push((AssignPrivateIpAddresses, Phase::Apply));
        }
        if n.wants("ipv6_addresses") {
            out.push((AssignIpv6Addresses, Phase::Apply));
        }
    }
    if n.update {
        if n.changed(MODIFIABLE) {
            out.push((ModifyNetworkInterfaceAttribute, Phase::Apply));
        }
        ip_update_ops(c, &mut out);
    }
    out
}

/// An in-place change of an address set: unassign what goes, then assign what comes, so the ENI
/// never holds more than either version.
pub(crate) fn ip_update_ops(c: &Change, out: &mut Vec<(OpAction, Phase)>) {
    use OpAction::*;
    for (list, un, as_) in [
        (
            "private_ip_addresses",
            UnassignPrivateIpAddresses,
            AssignPrivateIpAddresses,
        ),
        ("ipv6_addresses", UnassignIpv6Addresses, AssignIpv6Addresses),
    ] {
        let (removed, added) = set_delta(get(c, Phase::Destroy, list), get(c, Phase::Apply, list));
        if !removed.is_empty() {
            out.push((un, Phase::Apply));
        }
        if added.is_none_or(|a| !a.is_empty()) {
            out.push((as_, Phase::Apply));
        }
    }
}

/// The private addresses this change gives up, each with the operation that frees it: an
/// unassign frees what leaves the set (all of it when the object goes), a delete frees its primary
/// address and whatever no unassign frees first.
pub(crate) fn address_frees(b: &Builder, c: &Change, frees: &mut HashMap<String, String>) {
    use OpAction::*;
    let before = seq(get(c, Phase::Destroy, "private_ip_addresses"));
    let after = seq(get(c, Phase::Apply, "private_ip_addresses"));
    let destroying = matches!(c.action, Action::Delete | Action::Replace);
    if let Some(op) = b.has(&c.address, UnassignPrivateIpAddresses) {
        for ip in before.iter().filter(|ip| destroying || !after.contains(ip)) {
            frees.insert(ip.clone(), op.clone());
        }
    }
    if let Some(op) = b.has(&c.address, DeleteNetworkInterface) {
        if let Some(p) = get(c, Phase::Destroy, "primary_ip_address").and_then(Value::as_str) {
            frees.insert(p.to_string(), op.clone());
        }
        for ip in &before {
            frees.entry(ip.clone()).or_insert_with(|| op.clone());
        }
    }
}

/// The operations of this change that take an address another operation frees, each after the
/// one that frees it.
pub(crate) fn address_takes(b: &mut Builder, c: &Change, frees: &HashMap<String, String>) {
    use OpAction::*;
    let before = seq(get(c, Phase::Destroy, "private_ip_addresses"));
    if let Some(op) = b.has(&c.address, AssignPrivateIpAddresses) {
        for ip in seq(get(c, Phase::Apply, "private_ip_addresses"))
            .iter()
            .filter(|ip| !before.contains(ip) || c.action == Action::Replace)
        {
            if let Some(f) = frees.get(ip) {
                b.edge(Some(f.clone()), Some(op.clone()));
            }
        }
    }
    if let Some(op) = b.has(&c.address, CreateNetworkInterface)
        && let Some(p) = get(c, Phase::Apply, "primary_ip_address").and_then(Value::as_str)
        && let Some(f) = frees.get(p)
    {
        b.edge(Some(f.clone()), Some(op.clone()));
    }
}

/// The ENI's operations that take addresses in its vSwitch: the create (named when the primary
/// address is given) and the assignment of secondary addresses (named when the set is given,
/// automatic when only a count is).
pub(crate) fn vswitch_claims(b: &Builder, c: &Change) -> Vec<Claim> {
    use OpAction::*;
    let Some(vsw) = get(c, Phase::Apply, "vswitch_id").and_then(Value::as_str) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(op) = b.has(&c.address, CreateNetworkInterface) {
        let named =
            get(c, Phase::Apply, "primary_ip_address").is_some_and(|v| v.as_str().is_some());
        out.push(Claim {
            vswitch: vsw.to_string(),
            op,
            named,
        });
    }
    if let Some(op) = b.has(&c.address, AssignPrivateIpAddresses) {
        let named = matches!(
            get(c, Phase::Apply, "private_ip_addresses"),
            Some(Value::Set(_) | Value::List(_))
        );
        out.push(Claim {
            vswitch: vsw.to_string(),
            op,
            named,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{Address, InstanceKey};
    use crate::plan::attrs::Attrs;
    use crate::schema::Kind;

    fn change(action: Action, before: Option<Attrs>, after: Option<Attrs>) -> Change {
        Change {
            address: Address::managed("alicloud_ecs_network_interface", "e", InstanceKey::None),
            kind: Kind::Eni,
            action,
            before,
            after,
            replace_paths: Vec::new(),
            create_before_destroy: false,
            dependencies: Vec::new(),
            provider: None,
            each: None,
            sensitive: Default::default(),
        }
    }

    fn ips(list: &[&str]) -> Value {
        Value::set(list.iter().map(|s| Value::string(*s)).collect())
    }

    #[test]
    fn a_new_eni_assigns_what_it_may_get_and_a_replaced_one_unassigns_first() {
        use OpAction::*;
        let after = Attrs::from([
            ("private_ip_addresses".to_string(), Value::unknown()),
            ("ipv6_addresses".to_string(), ips(&[])),
        ]);
        assert_eq!(
            ops_of(&change(Action::Create, None, Some(after.clone()))),
            [
                (CreateNetworkInterface, Phase::Apply),
                (AssignPrivateIpAddresses, Phase::Apply)
            ]
        );
        let before = Attrs::from([("private_ip_addresses".to_string(), ips(&["10.0.0.5"]))]);
        let replace = ops_of(&change(Action::Replace, Some(before), Some(after)));
        assert_eq!(
            replace[..2],
            [
                (UnassignPrivateIpAddresses, Phase::Destroy),
                (DeleteNetworkInterface, Phase::Destroy)
            ]
        );
    }

    #[test]
    fn an_update_modifies_attributes_and_swaps_only_the_addresses_that_change() {
        use OpAction::*;
        let before = Attrs::from([
            ("description".to_string(), Value::string("a")),
            ("private_ip_addresses".to_string(), ips(&["10.0.0.5"])),
            ("ipv6_addresses".to_string(), ips(&["fd00::1"])),
        ]);
        let mut after = before.clone();
        after.insert("description".into(), Value::string("b"));
        after.insert("private_ip_addresses".into(), ips(&["10.0.0.6"]));
        assert_eq!(
            ops_of(&change(Action::Update, Some(before.clone()), Some(after))),
            [
                (ModifyNetworkInterfaceAttribute, Phase::Apply),
                (UnassignPrivateIpAddresses, Phase::Apply),
                (AssignPrivateIpAddresses, Phase::Apply)
            ]
        );
        assert!(ops_of(&change(Action::Update, Some(before.clone()), Some(before))).is_empty());
    }
}
