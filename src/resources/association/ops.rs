//! The operations a binding's change needs (associate, unassociate, the forward-mode change), and
//! its links: after its EIP, around its target's life (an ENI's creation, attachments and
//! addresses; BINDED modes bind before the attach), one at a time with the other operations on
//! the same EIP or NAT gateway, and the bind target slot it leaves and takes.

use crate::address::Address;
use crate::lang::Value;
use crate::plan::Change;
use crate::plan::ops::{Builder, Links, OpAction, Phase, get};
use crate::resources::operations::{EniUsers, Needs, Slots};
use crate::schema::Kind;

pub(crate) fn ops_of(c: &Change) -> Vec<(OpAction, Phase)> {
    use OpAction::*;
    let n = Needs::of(c);
    let mut out = Vec::new();
    if n.destroy {
        out.push((UnassociateEipAddress, Phase::Destroy));
    }
    if n.create {
        out.push((AssociateEipAddress, Phase::Apply));
    }
    if n.update && n.changed(&["mode"]) {
        out.push((ModifyEipForwardMode, Phase::Apply));
    }
    out
}

/// After its EIP, around its target's life, and in turn with the other operations on the same
/// EIP or NAT gateway.
pub(crate) fn links(
    b: &mut Builder,
    changes: &[Change],
    (i, c): (usize, &Change),
    users: &EniUsers,
    l: &mut Links,
) {
    use OpAction::*;
    let a = &c.address;
    if let Some(e) = b.link(c, Phase::Apply, "allocation_id") {
        l.specific.insert((i, e));
        let eip = changes[e].address.clone();
        b.edge(
            b.has(&eip, AllocateEipAddress),
            b.has(a, AssociateEipAddress),
        );
        b.edge(
            b.has(a, UnassociateEipAddress),
            b.has(&eip, ReleaseEipAddress),
        );
        b.edge(
            b.has(&eip, ModifyEipAddressAttribute),
            b.has(a, AssociateEipAddress),
        );
        l.eip_ops
            .entry(e)
            .or_default()
            .extend(b.has(a, UnassociateEipAddress));
        l.eip_ops
            .entry(e)
            .or_default()
            .extend(b.has(a, AssociateEipAddress));
    }
    if let Some(t) = b.link(c, Phase::Apply, "instance_id") {
        l.specific.insert((i, t));
        target_links(b, changes, c, t, users);
    }
    // The instance id may be an ENI that a secondary-IPs resource (not this plan's
    // ENI) carries addresses on.
    let tid = get(c, Phase::Apply, "instance_id")
        .or_else(|| get(c, Phase::Destroy, "instance_id"))
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(tid) = &tid {
        if tid.starts_with("ngw-") {
            l.nat_ops
                .entry(tid.clone())
                .or_default()
                .extend(b.has(a, UnassociateEipAddress));
            l.nat_ops
                .entry(tid.clone())
                .or_default()
                .extend(b.has(a, AssociateEipAddress));
        }
        for x in users.sips_of_id.get(tid).cloned().unwrap_or_default() {
            b.edge(
                b.has(&x, AssignPrivateIpAddresses),
                b.has(a, AssociateEipAddress),
            );
            b.edge(
                b.has(a, UnassociateEipAddress),
                b.has(&x, UnassignPrivateIpAddresses),
            );
        }
    }
}

/// A binding to target `t` of this plan: to an ENI, around its creation, attachments and
/// addresses (BINDED modes bind before the attach); to anything else, after it is ready.
fn target_links(b: &mut Builder, changes: &[Change], c: &Change, t: usize, users: &EniUsers) {
    use OpAction::*;
    let a = &c.address;
    let tc = &changes[t];
    let taddr = tc.address.clone();
    if tc.kind != Kind::Eni {
        for o in b.ops_of_addr(&taddr, Phase::Apply) {
            b.edge(Some(o), b.has(a, AssociateEipAddress));
        }
        return;
    }
    let att: Vec<Address> = users.att_of.get(&t).cloned().unwrap_or_default();
    if binded(c, Phase::Apply) {
        b.edge(
            b.has(&taddr, CreateNetworkInterface),
            b.has(a, AssociateEipAddress),
        );
        for x in &att {
            b.edge(
                b.has(a, AssociateEipAddress),
                b.has(x, AttachNetworkInterface),
            );
        }
    } else {
        for o in b.ops_of_addr(&taddr, Phase::Apply) {
            b.edge(Some(o), b.has(a, AssociateEipAddress));
        }
        for x in &att {
            b.edge(
                b.has(x, AttachNetworkInterface),
                b.has(a, AssociateEipAddress),
            );
        }
    }
    if binded(c, Phase::Destroy) {
        for x in &att {
            b.edge(
                b.has(x, DetachNetworkInterface),
                b.has(a, UnassociateEipAddress),
            );
        }
    } else {
        for act in [UnassignPrivateIpAddresses, UnassignIpv6Addresses] {
            b.edge(b.has(a, UnassociateEipAddress), b.has(&taddr, act));
        }
        for x in &att {
            b.edge(
                b.has(a, UnassociateEipAddress),
                b.has(x, DetachNetworkInterface),
            );
        }
    }
    b.edge(
        b.has(a, UnassociateEipAddress),
        b.has(&taddr, DeleteNetworkInterface),
    );
    // An EIP on a secondary IP that another resource assigns comes after it.
    for x in users.sips_of.get(&t).cloned().unwrap_or_default() {
        b.edge(
            b.has(&x, AssignPrivateIpAddresses),
            b.has(a, AssociateEipAddress),
        );
        b.edge(
            b.has(a, UnassociateEipAddress),
            b.has(&x, UnassignPrivateIpAddresses),
        );
    }
}

/// Whether the binding's mode on this side binds to an unattached ENI (BINDED, MULTI_BINDED).
fn binded(c: &Change, ph: Phase) -> bool {
    get(c, ph, "mode")
        .and_then(Value::as_str)
        .is_some_and(|m| m != "NAT")
}

/// The bind target slot (an ENI's private IP, an instance, a HAVIP, an SLB) the unbind leaves
/// and the bind takes.
pub(crate) fn slots(b: &Builder, c: &Change) -> Slots {
    use OpAction::*;
    let key = |ph: Phase| {
        let target = get(c, ph, "instance_id").and_then(Value::as_str)?;
        let ip = get(c, ph, "private_ip_address")
            .and_then(Value::as_str)
            .unwrap_or("");
        Some(format!("{target}/{ip}"))
    };
    Slots {
        leaves: key(Phase::Destroy).zip(b.has(&c.address, UnassociateEipAddress)),
        joins: key(Phase::Apply).zip(b.has(&c.address, AssociateEipAddress)),
    }
}

#[cfg(test)]
mod tests {
    use crate::address::{Address, InstanceKey};
    use crate::lang::Value;
    use crate::plan::attrs::Attrs;
    use crate::plan::ops::{OpAction, OpGraph, build};
    use crate::plan::{Action, Change};
    use crate::schema::Kind;

    fn create(ty: &str, kind: Kind, after: Attrs) -> Change {
        let address = Address::managed(ty, "x", InstanceKey::None);
        Change::bare(address, kind, Action::Create, None, Some(after))
    }

    /// An ENI, its attachment and an EIP bound to it in `mode`: the operation graph.
    fn graph(mode: &str) -> OpGraph {
        let unknown = |of: &str| Value::Unknown(Some(format!("{of}.id")));
        let eni = "alicloud_ecs_network_interface.x";
        let changes = vec![
            create(
                "alicloud_ecs_network_interface",
                Kind::Eni,
                Attrs::from([("private_ip_addresses".to_string(), Value::set(Vec::new()))]),
            ),
            create(
                "alicloud_ecs_network_interface_attachment",
                Kind::Attachment,
                Attrs::from([
                    ("network_interface_id".to_string(), unknown(eni)),
                    ("instance_id".to_string(), Value::string("i-1")),
                ]),
            ),
            create("alicloud_eip_address", Kind::Eip, Attrs::new()),
            create(
                "alicloud_eip_association",
                Kind::Association,
                Attrs::from([
                    (
                        "allocation_id".to_string(),
                        unknown("alicloud_eip_address.x"),
                    ),
                    ("instance_id".to_string(), unknown(eni)),
                    ("mode".to_string(), Value::string(mode)),
                ]),
            ),
        ];
        build(&changes).expect("no cycle")
    }

    /// Whether operation `b` waits, directly or not, for operation `a`.
    fn before(g: &OpGraph, a: OpAction, b: OpAction) -> bool {
        let at = |x: OpAction| g.iter().position(|o| o.action == x);
        let (Some(from), Some(to)) = (at(a), at(b)) else {
            return false;
        };
        let mut stack = vec![from];
        let mut seen = std::collections::HashSet::new();
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n) {
                stack.extend(g.dependents(n));
            }
        }
        false
    }

    #[test]
    fn binded_modes_bind_before_the_attach_and_nat_after_it() {
        use OpAction::*;
        let binded = graph("BINDED");
        assert!(before(&binded, AssociateEipAddress, AttachNetworkInterface));
        assert!(!before(
            &binded,
            AttachNetworkInterface,
            AssociateEipAddress
        ));
        assert!(before(&binded, AllocateEipAddress, AssociateEipAddress));
        assert!(before(&binded, CreateNetworkInterface, AssociateEipAddress));
        let nat = graph("NAT");
        assert!(before(&nat, AttachNetworkInterface, AssociateEipAddress));
        assert!(!before(&nat, AssociateEipAddress, AttachNetworkInterface));
    }
}
