//! The operations an attachment's change needs (attach, detach), its links to its ENI (attached
//! after the ENI exists and before the ENI's addresses are assigned; detached before the ENI
//! goes), and the instance slot it leaves and takes.

use crate::lang::Value;
use crate::plan::Change;
use crate::plan::ops::{Builder, Links, OpAction, Phase, get};
use crate::resources::operations::{EniUsers, Needs, Slots};

pub(crate) fn ops_of(c: &Change) -> Vec<(OpAction, Phase)> {
    use OpAction::*;
    let n = Needs::of(c);
    let mut out = Vec::new();
    if n.destroy {
        out.push((DetachNetworkInterface, Phase::Destroy));
    }
    if n.create {
        out.push((AttachNetworkInterface, Phase::Apply));
    }
    out
}

/// Records this attachment as a user of its ENI.
pub(crate) fn eni_user(b: &Builder, c: &Change, u: &mut EniUsers) {
    if let Some(e) = b.link(c, Phase::Apply, "network_interface_id") {
        u.att_of.entry(e).or_default().push(c.address.clone());
    }
}

/// After its ENI exists, before the ENI's addresses; detached before the ENI goes.
pub(crate) fn links(b: &mut Builder, changes: &[Change], i: usize, c: &Change, l: &mut Links) {
    use OpAction::*;
    let a = &c.address;
    let Some(e) = b.link(c, Phase::Apply, "network_interface_id") else {
        return;
    };
    l.specific.insert((i, e));
    let eni = changes[e].address.clone();
    // Attach after the ENI exists; its IPs after the attach.
    b.edge(
        b.has(&eni, CreateNetworkInterface),
        b.has(a, AttachNetworkInterface),
    );
    for act in [AssignPrivateIpAddresses, AssignIpv6Addresses] {
        b.edge(b.has(a, AttachNetworkInterface), b.has(&eni, act));
    }
    // Destroy: unassign, then detach, then delete.
    for act in [UnassignPrivateIpAddresses, UnassignIpv6Addresses] {
        b.edge(
            b.has_in(&eni, act, Phase::Destroy),
            b.has(a, DetachNetworkInterface),
        );
    }
    b.edge(
        b.has(a, DetachNetworkInterface),
        b.has(&eni, DeleteNetworkInterface),
    );
}

/// The instance slot the detach leaves and the attach takes: an instance at its ENI limit takes
/// a new ENI only once another has left.
pub(crate) fn slots(b: &Builder, c: &Change) -> Slots {
    use OpAction::*;
    let key = |ph: Phase| {
        let target = get(c, ph, "instance_id").and_then(Value::as_str)?;
        Some(format!("{target}/"))
    };
    Slots {
        leaves: key(Phase::Destroy).zip(b.has(&c.address, DetachNetworkInterface)),
        joins: key(Phase::Apply).zip(b.has(&c.address, AttachNetworkInterface)),
    }
}
