//! The operations a `netform_secondary_private_ips` change needs (assign and unassign, on an ENI
//! it does not own), and its links: after its ENI is ready, its addresses gone before the ENI
//! goes; as an ENI's user, what a binding to that ENI's addresses waits for.

use std::collections::HashMap;

use crate::lang::Value;
use crate::plan::Change;
use crate::plan::ops::{Builder, Links, OpAction, Phase, get};
use crate::resources::eni::ops as eni_ops;
use crate::resources::operations::{EniUsers, Needs};

pub(crate) fn ops_of(c: &Change) -> Vec<(OpAction, Phase)> {
    use OpAction::*;
    let n = Needs::of(c);
    let mut out = Vec::new();
    if n.destroy {
        if n.holds("private_ip_addresses") {
            out.push((UnassignPrivateIpAddresses, Phase::Destroy));
        }
        if n.holds("ipv6_addresses") {
            out.push((UnassignIpv6Addresses, Phase::Destroy));
        }
    }
    if n.create {
        if n.wants("private_ip_addresses") {
            out.push((AssignPrivateIpAddresses, Phase::Apply));
        }
        if n.wants("ipv6_addresses") {
            out.push((AssignIpv6Addresses, Phase::Apply));
        }
    }
    if n.update {
        eni_ops::ip_update_ops(c, &mut out);
    }
    out
}

/// Records this resource as a user of its ENI, by the ENI's change and by its id.
pub(crate) fn eni_user(b: &Builder, c: &Change, u: &mut EniUsers) {
    if let Some(e) = b.link(c, Phase::Apply, "network_interface_id") {
        u.sips_of.entry(e).or_default().push(c.address.clone());
    }
    if let Some(id) = get(c, Phase::Apply, "network_interface_id").and_then(Value::as_str) {
        u.sips_of_id
            .entry(id.to_string())
            .or_default()
            .push(c.address.clone());
    }
}

/// After its ENI is ready; its addresses go before the ENI does.
pub(crate) fn links(b: &mut Builder, changes: &[Change], i: usize, c: &Change, l: &mut Links) {
    use OpAction::*;
    let a = &c.address;
    // Named by `instance_id`, its ENI id is its own attribute, unknown until apply: that links
    // it to itself, not to an ENI of the plan.
    if let Some(e) = b
        .link(c, Phase::Apply, "network_interface_id")
        .filter(|e| *e != i)
    {
        l.specific.insert((i, e));
        let eni = changes[e].address.clone();
        for last in b.ops_of_addr(&eni, Phase::Apply) {
            for act in [AssignPrivateIpAddresses, AssignIpv6Addresses] {
                b.edge(Some(last.clone()), b.has(a, act));
            }
        }
        for act in [UnassignPrivateIpAddresses, UnassignIpv6Addresses] {
            b.edge(b.has(a, act), b.has(&eni, DeleteNetworkInterface));
        }
    }
}

/// The addresses it gives up: the same address set as an ENI's.
pub(crate) fn address_frees(b: &Builder, c: &Change, frees: &mut HashMap<String, String>) {
    eni_ops::address_frees(b, c, frees);
}

/// The addresses it takes: the same address set as an ENI's.
pub(crate) fn address_takes(b: &mut Builder, c: &Change, frees: &HashMap<String, String>) {
    eni_ops::address_takes(b, c, frees);
}
