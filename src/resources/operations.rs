//! The operations each kind needs for a change and the edges its attributes decide, dispatched to
//! the kind's `ops.rs`: `plan::ops` builds the one operation graph from these without knowing
//! any kind or attribute. Also what the kinds' operations share: [`Needs`] (which halves of a
//! change need operations, and what moved), the users of each ENI, bind and attach slots, and the
//! address claims in a vSwitch.

use std::collections::HashMap;

use crate::address::Address;
use crate::lang::Value;
use crate::plan::attrs::{Attrs, same};
use crate::plan::ops::{Builder, Links, OpAction, Phase, seq};
use crate::plan::{Action, Change};
use crate::schema::Kind;

use super::{association, attachment, eip, eni, secondary_ips};

/// The operations one change needs, in their own order.
pub(crate) fn ops_of(c: &Change) -> Vec<(OpAction, Phase)> {
    match c.kind {
        Kind::Eni => eni::ops::ops_of(c),
        Kind::SecondaryIps => secondary_ips::ops::ops_of(c),
        Kind::Attachment => attachment::ops::ops_of(c),
        Kind::Eip => eip::ops::ops_of(c),
        Kind::Association => association::ops::ops_of(c),
        _ => Vec::new(),
    }
}

/// Whether the change removes an object the cloud refuses to remove as it is (an EIP with
/// deletion protection on): plan refuses such a change before anything runs.
pub(crate) fn removal_refused(c: &Change) -> bool {
    let releases = matches!(c.action, Action::Delete | Action::Replace);
    releases
        && c.before
            .as_ref()
            .is_some_and(|b| super::undeletable(c.kind, b))
}

/// The cloud id an object's attributes name, for linking other changes to it by value.
pub(crate) fn cloud_id(side: &Attrs) -> Option<&str> {
    match side.get("id") {
        Some(Value::String(id)) => Some(id),
        _ => None,
    }
}

/// The edges a change's own links add: to the ENI it attaches or assigns addresses on, to the
/// EIP and target it binds.
pub(crate) fn links(
    b: &mut Builder,
    changes: &[Change],
    (i, c): (usize, &Change),
    users: &EniUsers,
    l: &mut Links,
) {
    match c.kind {
        Kind::Attachment => attachment::ops::links(b, changes, i, c, l),
        Kind::SecondaryIps => secondary_ips::ops::links(b, changes, i, c, l),
        Kind::Association => association::ops::links(b, changes, (i, c), users, l),
        _ => {}
    }
}

/// The private addresses a change gives up, each with the operation that frees it.
pub(crate) fn address_frees(b: &Builder, c: &Change, frees: &mut HashMap<String, String>) {
    match c.kind {
        Kind::Eni => eni::ops::address_frees(b, c, frees),
        Kind::SecondaryIps => secondary_ips::ops::address_frees(b, c, frees),
        _ => {}
    }
}

/// Edges from the operations that free addresses to this change's operations that take them.
pub(crate) fn address_takes(b: &mut Builder, c: &Change, frees: &HashMap<String, String>) {
    match c.kind {
        Kind::Eni => eni::ops::address_takes(b, c, frees),
        Kind::SecondaryIps => secondary_ips::ops::address_takes(b, c, frees),
        _ => {}
    }
}

/// The slot (keyed by what holds it) a change's operations leave and take, each with the operation.
#[derive(Default)]
pub(crate) struct Slots {
    pub(crate) leaves: Option<(String, String)>,
    pub(crate) joins: Option<(String, String)>,
}

/// The attach or bind slots a change leaves and takes.
pub(crate) fn slots(b: &Builder, c: &Change) -> Slots {
    match c.kind {
        Kind::Attachment => attachment::ops::slots(b, c),
        Kind::Association => association::ops::slots(b, c),
        _ => Slots::default(),
    }
}

/// An operation that takes addresses in a vSwitch, and whether the configuration names them.
pub(crate) struct Claim {
    pub(crate) vswitch: String,
    pub(crate) op: String,
    pub(crate) named: bool,
}

/// The operations of a change that take addresses in a vSwitch.
pub(crate) fn vswitch_claims(b: &Builder, c: &Change) -> Vec<Claim> {
    match c.kind {
        Kind::Eni => eni::ops::vswitch_claims(b, c),
        _ => Vec::new(),
    }
}

/// Attachments and secondary-IP resources by the ENI they point at (change index or id),
/// computed once so linking stays linear.
#[derive(Default)]
pub(crate) struct EniUsers {
    pub(crate) att_of: HashMap<usize, Vec<Address>>,
    pub(crate) sips_of: HashMap<usize, Vec<Address>>,
    pub(crate) sips_of_id: HashMap<String, Vec<Address>>,
}

impl EniUsers {
    pub(crate) fn of(b: &Builder, changes: &[Change]) -> EniUsers {
        let mut u = EniUsers::default();
        for c in changes {
            match c.kind {
                Kind::Attachment => attachment::ops::eni_user(b, c, &mut u),
                Kind::SecondaryIps => secondary_ips::ops::eni_user(b, c, &mut u),
                _ => {}
            }
        }
        u
    }
}

/// Which halves of a change need operations, and what its attributes did between them.
pub(crate) struct Needs<'a> {
    pub(crate) destroy: bool,
    pub(crate) create: bool,
    pub(crate) update: bool,
    c: &'a Change,
}

impl<'a> Needs<'a> {
    pub(crate) fn of(c: &'a Change) -> Needs<'a> {
        Needs {
            destroy: matches!(c.action, Action::Delete | Action::Replace),
            create: matches!(c.action, Action::Create | Action::Replace),
            update: c.action == Action::Update,
            c,
        }
    }

    fn before(&self, k: &str) -> Option<&'a Value> {
        self.c.before.as_ref().and_then(|a| a.get(k))
    }

    fn after(&self, k: &str) -> Option<&'a Value> {
        self.c.after.as_ref().and_then(|a| a.get(k))
    }

    /// Whether the old object holds any address of the set `k`.
    pub(crate) fn holds(&self, k: &str) -> bool {
        !seq(self.before(k)).is_empty()
    }

    /// Whether the new object wants addresses of the set `k` (an unknown set may).
    pub(crate) fn wants(&self, k: &str) -> bool {
        match self.after(k) {
            Some(Value::Unknown(_)) => true,
            v => !seq(v).is_empty(),
        }
    }

    /// Whether any of `keys` changed value (a newly set one counts unless it is null).
    pub(crate) fn changed(&self, keys: &[&str]) -> bool {
        keys.iter().any(|k| match (self.before(k), self.after(k)) {
            (Some(b), Some(a)) => !same(b, a),
            (None, Some(a)) => !a.is_null(),
            _ => false,
        })
    }
}
