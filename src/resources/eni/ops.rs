//! The operations an ENI's change needs, and the parts of the operation graph its attributes
//! decide: its own address sets (shared with `netform_secondary_private_ips`, which manages the
//! same sets on an ENI it does not own), the addresses it frees and takes when an address moves
//! between ENIs of one plan, and which of its address claims name their addresses.
//!
//! A new ENI gets its secondary addresses in its CreateNetworkInterface call, as
//! terraform-provider-alicloud sends them (`PrivateIpAddress.N` or
//! `SecondaryPrivateIpAddressCount`, `Ipv6Address.N` or `Ipv6AddressCount`), whenever one call can
//! carry them ([`at_create`]); only a set too large for one call, or one not known at plan time,
//! keeps an Assign operation of its own (after the attach when the plan attaches the ENI).

use std::collections::HashMap;

use crate::lang::Value;
use crate::plan::attrs::Attrs;
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

/// The most addresses of one family a CreateNetworkInterface carries. The SDK model bounds
/// `PrivateIpAddress.N`, `Ipv6Address.N` and `Ipv6AddressCount` at 10 (ECS 2014-05-26
/// CreateNetworkInterfaceRequest), and 10 is also no more than an Available ENI holds in either
/// limits profile (49 / 10 IPv4, 10 IPv6): so an ENI the plan attaches afterwards never needs
/// more while unattached than rules.md's check of the attach already allows, and the plan-time
/// checks stay what they were. Larger sets keep their Assign operation, after the attach.
pub(crate) const CREATE_CARRIES: usize = 10;

/// What a new ENI's create sends of one address family.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AtCreate {
    /// The ENI wants none.
    Nothing,
    /// These named addresses.
    Named(Vec<String>),
    /// This many addresses the cloud picks.
    Count(u32),
    /// None: the set is too large for one call, or not known yet, and an Assign operation of
    /// its own gives it.
    Later,
}

/// What the create of an ENI with attributes `a` sends of its IPv4 (or IPv6) secondary
/// addresses. The graph (whether the ENI has an Assign operation) and the create's execution
/// both decide by this, so they agree.
pub(crate) fn at_create(a: &Attrs, v6: bool) -> AtCreate {
    let (list, count) = super::exec::COUNTED[usize::from(v6)];
    let list_unknown = a.get(list).is_some_and(Value::is_unknown);
    let named = match a.get(list) {
        Some(Value::Unknown(_)) | None | Some(Value::Null) => None,
        Some(v) => match v.as_seq() {
            Some(s) => {
                let ips: Option<Vec<String>> =
                    s.iter().map(|x| x.as_str().map(str::to_string)).collect();
                let Some(ips) = ips else {
                    return AtCreate::Later;
                };
                Some(ips)
            }
            None => return AtCreate::Later,
        },
    };
    match named {
        Some(ips) if ips.is_empty() => AtCreate::Nothing,
        Some(ips) if ips.len() <= CREATE_CARRIES => AtCreate::Named(ips),
        Some(_) => AtCreate::Later,
        None => match a.get(count) {
            // A set still unknown with no count may be anything.
            None | Some(Value::Null) if list_unknown => AtCreate::Later,
            None | Some(Value::Null) => AtCreate::Nothing,
            Some(v) => match v.coerce_number() {
                Some(n) if n <= 0.0 => AtCreate::Nothing,
                // A named primary with counted secondaries would make the create both a named
                // and an automatic claim, which no order can keep from taking an address
                // another such create names: the count waits for its own Assign, an
                // automatic claim that comes after every named one.
                Some(_) if !v6 && primary_named(a) => AtCreate::Later,
                Some(n) if n <= CREATE_CARRIES as f64 => AtCreate::Count(n as u32),
                _ => AtCreate::Later,
            },
        },
    }
}

/// Whether the ENI names its primary address (an unknown one is the cloud's pick as far as the
/// plan can tell, as in [`vswitch_claims`]).
fn primary_named(a: &Attrs) -> bool {
    a.get("primary_ip_address")
        .is_some_and(|v| v.as_str().is_some())
}

/// What the change's new object sends at create of one family (nothing for a change that
/// creates none).
fn created_with(c: &Change, v6: bool) -> AtCreate {
    match &c.after {
        Some(a) if Needs::of(c).create => at_create(a, v6),
        _ => AtCreate::Nothing,
    }
}

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
        if created_with(c, false) == AtCreate::Later {
            out.push((AssignPrivateIpAddresses, Phase::Apply));
        }
        if created_with(c, true) == AtCreate::Later {
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
    if let Some(op) = b.has(&c.address, CreateNetworkInterface) {
        let primary = get(c, Phase::Apply, "primary_ip_address")
            .and_then(Value::as_str)
            .map(str::to_string);
        let secondary = match created_with(c, false) {
            AtCreate::Named(ips) => ips,
            _ => Vec::new(),
        };
        for ip in primary.iter().chain(&secondary) {
            if let Some(f) = frees.get(ip) {
                b.edge(Some(f.clone()), Some(op.clone()));
            }
        }
    }
}

/// The ENI's operations that take addresses in its vSwitch: the create (named for a given
/// primary address and for the named secondary addresses it carries, automatic for a primary
/// left to the cloud and for a count it carries: one create can be both) and the assignment of
/// secondary addresses (named when the set is given, automatic when only a count is).
pub(crate) fn vswitch_claims(b: &Builder, c: &Change) -> Vec<Claim> {
    use OpAction::*;
    let Some(vsw) = get(c, Phase::Apply, "vswitch_id").and_then(Value::as_str) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(op) = b.has(&c.address, CreateNetworkInterface) {
        let primary_named = c.after.as_ref().is_some_and(primary_named);
        let secondary = created_with(c, false);
        let named = primary_named || matches!(secondary, AtCreate::Named(_));
        let automatic = !primary_named || matches!(secondary, AtCreate::Count(_));
        for (is_named, claims) in [(true, named), (false, automatic)] {
            if claims {
                out.push(Claim {
                    vswitch: vsw.to_string(),
                    op: op.clone(),
                    named: is_named,
                });
            }
        }
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
        let address = Address::managed("alicloud_ecs_network_interface", "e", InstanceKey::None);
        Change::bare(address, Kind::Eni, action, before, after)
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

    fn num(n: u32) -> Value {
        Value::from(n as usize)
    }

    #[test]
    fn the_create_carries_a_set_or_count_that_fits_one_call_and_nothing_else() {
        let ten: Vec<String> = (1..=10).map(|i| format!("10.0.0.{i}")).collect();
        let ten_refs: Vec<&str> = ten.iter().map(String::as_str).collect();
        let eleven: Vec<String> = (1..=11).map(|i| format!("10.0.0.{i}")).collect();
        let eleven_refs: Vec<&str> = eleven.iter().map(String::as_str).collect();
        let of = |pairs: &[(&str, Value)]| -> Attrs {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect()
        };
        let cases: Vec<(Attrs, AtCreate)> = vec![
            (of(&[]), AtCreate::Nothing),
            // A named primary keeps a count out of the create (see `at_create`).
            (
                of(&[
                    ("primary_ip_address", Value::string("10.0.0.9")),
                    ("secondary_private_ip_address_count", num(2)),
                ]),
                AtCreate::Later,
            ),
            (
                of(&[("secondary_private_ip_address_count", num(2))]),
                AtCreate::Count(2),
            ),
            (
                of(&[
                    ("private_ip_addresses", ips(&[])),
                    ("secondary_private_ip_address_count", num(0)),
                ]),
                AtCreate::Nothing,
            ),
            (
                of(&[
                    ("private_ip_addresses", ips(&ten_refs)),
                    ("secondary_private_ip_address_count", num(10)),
                ]),
                AtCreate::Named({
                    let mut sorted = ten.clone();
                    sorted.sort();
                    sorted
                }),
            ),
            (
                of(&[("private_ip_addresses", ips(&eleven_refs))]),
                AtCreate::Later,
            ),
            (
                of(&[
                    ("private_ip_addresses", Value::unknown()),
                    ("secondary_private_ip_address_count", num(2)),
                ]),
                AtCreate::Count(2),
            ),
            (
                of(&[
                    ("private_ip_addresses", Value::unknown()),
                    ("secondary_private_ip_address_count", num(11)),
                ]),
                AtCreate::Later,
            ),
            (
                of(&[
                    ("private_ip_addresses", Value::unknown()),
                    ("secondary_private_ip_address_count", Value::unknown()),
                ]),
                AtCreate::Later,
            ),
            (
                of(&[(
                    "private_ip_addresses",
                    Value::set(vec![Value::string("10.0.0.1"), Value::unknown()]),
                )]),
                AtCreate::Later,
            ),
        ];
        for (a, want) in cases {
            assert_eq!(at_create(&a, false), want, "{a:?}");
        }
        let v6 = of(&[
            ("ipv6_addresses", Value::unknown()),
            ("ipv6_address_count", num(3)),
        ]);
        assert_eq!(at_create(&v6, true), AtCreate::Count(3));
        assert_eq!(at_create(&v6, false), AtCreate::Nothing);
    }

    #[test]
    fn a_new_eni_whose_addresses_fit_its_create_has_no_assign_and_a_larger_one_keeps_it() {
        use OpAction::*;
        let small = Attrs::from([
            ("private_ip_addresses".to_string(), Value::unknown()),
            ("secondary_private_ip_address_count".to_string(), num(2)),
            ("ipv6_addresses".to_string(), ips(&["fd00::1"])),
        ]);
        assert_eq!(
            ops_of(&change(Action::Create, None, Some(small))),
            [(CreateNetworkInterface, Phase::Apply)]
        );
        let large = Attrs::from([
            ("private_ip_addresses".to_string(), Value::unknown()),
            ("secondary_private_ip_address_count".to_string(), num(30)),
        ]);
        assert_eq!(
            ops_of(&change(Action::Create, None, Some(large))),
            [
                (CreateNetworkInterface, Phase::Apply),
                (AssignPrivateIpAddresses, Phase::Apply)
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
