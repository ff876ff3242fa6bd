//! The operation graph apply walks: the API calls each change needs, and the order Alibaba's
//! rules impose on them (resources.md "Operations", rules.md "Ordering").
//!
//! Create ENI → attach → assign its IPs → bind EIPs; destroy in reverse (unbind → unassign →
//! detach → delete, release after unbind). BINDED / MULTI_BINDED EIPs bind to an unattached ENI,
//! so there it is create → bind → attach and detach → unbind. Operations on one EIP, and on one
//! NAT gateway, never run at once. Edges are added per linked instance, so the graph stays linear
//! in the number of resources.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Action, Change, origin_address};
use crate::address::Address;
use crate::lang::Value;
use crate::schema::Kind;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OpAction {
    UnassociateEipAddress,
    UnassignIpv6Addresses,
    UnassignPrivateIpAddresses,
    DetachNetworkInterface,
    DeleteNetworkInterface,
    ReleaseEipAddress,
    AllocateEipAddress,
    ModifyEipAddressAttribute,
    CreateNetworkInterface,
    ModifyNetworkInterfaceAttribute,
    AttachNetworkInterface,
    AssignPrivateIpAddresses,
    AssignIpv6Addresses,
    AssociateEipAddress,
    ModifyEipForwardMode,
}

impl OpAction {
    pub fn name(self) -> &'static str {
        match self {
            OpAction::UnassociateEipAddress => "UnassociateEipAddress",
            OpAction::UnassignIpv6Addresses => "UnassignIpv6Addresses",
            OpAction::UnassignPrivateIpAddresses => "UnassignPrivateIpAddresses",
            OpAction::DetachNetworkInterface => "DetachNetworkInterface",
            OpAction::DeleteNetworkInterface => "DeleteNetworkInterface",
            OpAction::ReleaseEipAddress => "ReleaseEipAddress",
            OpAction::AllocateEipAddress => "AllocateEipAddress",
            OpAction::ModifyEipAddressAttribute => "ModifyEipAddressAttribute",
            OpAction::CreateNetworkInterface => "CreateNetworkInterface",
            OpAction::ModifyNetworkInterfaceAttribute => "ModifyNetworkInterfaceAttribute",
            OpAction::AttachNetworkInterface => "AttachNetworkInterface",
            OpAction::AssignPrivateIpAddresses => "AssignPrivateIpAddresses",
            OpAction::AssignIpv6Addresses => "AssignIpv6Addresses",
            OpAction::AssociateEipAddress => "AssociateEipAddress",
            OpAction::ModifyEipForwardMode => "ModifyEipForwardMode",
        }
    }

    /// Whether the operation removes something (the destroy half of a change).
    pub fn is_destroy(self) -> bool {
        matches!(
            self,
            OpAction::UnassociateEipAddress
                | OpAction::DetachNetworkInterface
                | OpAction::DeleteNetworkInterface
                | OpAction::ReleaseEipAddress
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Removing the old object (delete, or the first half of a replace).
    Destroy,
    /// Creating or updating.
    Apply,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Op {
    pub id: String,
    pub action: OpAction,
    pub address: Address,
    pub phase: Phase,
    pub depends_on: Vec<String>,
}

fn op_id(addr: &Address, action: OpAction) -> String {
    format!("{addr}#{}", action.name())
}

fn seq(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_seq)
        .map(|s| {
            s.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Addresses to remove and to add between two versions of an address set; `None` for the
/// added side when the new set is not known yet.
pub fn set_delta(
    before: Option<&Value>,
    after: Option<&Value>,
) -> (Vec<String>, Option<Vec<String>>) {
    let b = seq(before);
    match after {
        Some(Value::Unknown(_)) => (Vec::new(), None),
        a => {
            let a = seq(a);
            let removed = b.iter().filter(|x| !a.contains(x)).cloned().collect();
            let added = a.iter().filter(|x| !b.contains(x)).cloned().collect();
            (removed, Some(added))
        }
    }
}

fn get<'a>(c: &'a Change, phase: Phase, k: &str) -> Option<&'a Value> {
    match phase {
        Phase::Destroy => c.before.as_ref().and_then(|a| a.get(k)),
        Phase::Apply => c.after.as_ref().and_then(|a| a.get(k)),
    }
}

/// The operations one change needs, in their own order.
fn ops_of(c: &Change) -> Vec<(OpAction, Phase)> {
    use OpAction::*;
    let destroy = matches!(c.action, Action::Delete | Action::Replace);
    let create = matches!(c.action, Action::Create | Action::Replace);
    let update = c.action == Action::Update;
    let mut out = Vec::new();
    let before = c.before.as_ref();
    let after = c.after.as_ref();
    let has = |k: &str| !seq(before.and_then(|a| a.get(k))).is_empty();
    let wants_ips = |list: &str| match after.and_then(|a| a.get(list)) {
        Some(Value::Unknown(_)) => true,
        v => !seq(v).is_empty(),
    };
    let changed = |keys: &[&str]| {
        keys.iter().any(|k| {
            match (
                before.and_then(|a| a.get(*k)),
                after.and_then(|a| a.get(*k)),
            ) {
                (Some(b), Some(a)) => !super::attrs::same(b, a),
                (None, Some(a)) => !a.is_null(),
                _ => false,
            }
        })
    };
    match c.kind {
        Kind::Eni => {
            if destroy {
                if has("private_ip_addresses") {
                    out.push((UnassignPrivateIpAddresses, Phase::Destroy));
                }
                out.push((DeleteNetworkInterface, Phase::Destroy));
            }
            if create {
                out.push((CreateNetworkInterface, Phase::Apply));
                if wants_ips("private_ip_addresses") {
                    out.push((AssignPrivateIpAddresses, Phase::Apply));
                }
                if wants_ips("ipv6_addresses") {
                    out.push((AssignIpv6Addresses, Phase::Apply));
                }
            }
            if update {
                if changed(&[
                    "network_interface_name",
                    "description",
                    "security_group_ids",
                    "tags",
                    "queue_number",
                    "source_dest_check",
                    "delete_on_release",
                ]) {
                    out.push((ModifyNetworkInterfaceAttribute, Phase::Apply));
                }
                ip_update_ops(c, &mut out);
            }
        }
        Kind::SecondaryIps => {
            if destroy {
                if has("private_ip_addresses") {
                    out.push((UnassignPrivateIpAddresses, Phase::Destroy));
                }
                if has("ipv6_addresses") {
                    out.push((UnassignIpv6Addresses, Phase::Destroy));
                }
            }
            if create {
                if wants_ips("private_ip_addresses") {
                    out.push((AssignPrivateIpAddresses, Phase::Apply));
                }
                if wants_ips("ipv6_addresses") {
                    out.push((AssignIpv6Addresses, Phase::Apply));
                }
            }
            if update {
                ip_update_ops(c, &mut out);
            }
        }
        Kind::Attachment => {
            if destroy {
                out.push((DetachNetworkInterface, Phase::Destroy));
            }
            if create {
                out.push((AttachNetworkInterface, Phase::Apply));
            }
        }
        Kind::Eip => {
            if destroy {
                out.push((ReleaseEipAddress, Phase::Destroy));
            }
            if create {
                out.push((AllocateEipAddress, Phase::Apply));
            }
            if update
                && changed(&[
                    "bandwidth",
                    "address_name",
                    "description",
                    "tags",
                    "deletion_protection",
                ])
            {
                out.push((ModifyEipAddressAttribute, Phase::Apply));
            }
        }
        Kind::Association => {
            if destroy {
                out.push((UnassociateEipAddress, Phase::Destroy));
            }
            if create {
                out.push((AssociateEipAddress, Phase::Apply));
            }
            if update && changed(&["mode"]) {
                out.push((ModifyEipForwardMode, Phase::Apply));
            }
        }
        _ => {}
    }
    out
}

/// An in-place change of an address set: unassign what goes, then assign what comes, so the ENI
/// never holds more than either version.
fn ip_update_ops(c: &Change, out: &mut Vec<(OpAction, Phase)>) {
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

struct Builder {
    ops: BTreeMap<String, Op>,
    by_addr: HashMap<Address, usize>,
    /// Cloud id → the change that owns the object, for linking by value.
    ids: HashMap<String, usize>,
}

impl Builder {
    fn has(&self, addr: &Address, a: OpAction) -> Option<String> {
        let id = op_id(addr, a);
        self.ops.contains_key(&id).then_some(id)
    }

    fn edge(&mut self, from: Option<String>, to: Option<String>) {
        if let (Some(f), Some(t)) = (from, to)
            && f != t
            && let Some(op) = self.ops.get_mut(&t)
            && !op.depends_on.contains(&f)
        {
            op.depends_on.push(f);
        }
    }

    /// What `from` waits for, directly or through others (and `from` itself): an edge from
    /// `from` to any of these would close a cycle.
    fn waited_for(&self, from: &str) -> HashSet<String> {
        let mut seen: HashSet<String> = HashSet::new();
        let mut stack = vec![from];
        while let Some(x) = stack.pop() {
            if !seen.contains(x) {
                seen.insert(x.to_string());
                if let Some(op) = self.ops.get(x) {
                    stack.extend(op.depends_on.iter().map(String::as_str));
                }
            }
        }
        seen
    }

    /// The change an id-valued attribute points at: through the unknown's origin, or the id.
    fn link(&self, c: &Change, phase: Phase, attr: &str) -> Option<usize> {
        let v = get(c, phase, attr).or_else(|| get(c, Phase::Destroy, attr))?;
        if let Some(a) = origin_address(v) {
            return self.by_addr.get(&a).copied();
        }
        v.as_str().and_then(|s| self.ids.get(s).copied())
    }

    fn ops_of_addr(&self, addr: &Address, phase: Phase) -> Vec<String> {
        let prefix = format!("{addr}#");
        self.ops
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(_, o)| o.phase == phase)
            .map(|(k, _)| k.clone())
            .collect()
    }
}

pub fn build(changes: &[Change]) -> Vec<Op> {
    let mut b = Builder {
        ops: BTreeMap::new(),
        by_addr: HashMap::new(),
        ids: HashMap::new(),
    };
    own_ops(&mut b, changes);
    let users = EniUsers::of(&b, changes);
    let mut links = Links::default();
    for (i, c) in changes.iter().enumerate() {
        match c.kind {
            Kind::Attachment => attachment_links(&mut b, changes, i, c, &mut links),
            Kind::SecondaryIps => secondary_links(&mut b, changes, i, c, &mut links),
            Kind::Association => association_links(&mut b, changes, (i, c), &users, &mut links),
            _ => {}
        }
    }
    config_deps(&mut b, changes, &links.specific);
    address_handover(&mut b, changes);
    slot_handover(&mut b, changes);
    named_before_automatic(&mut b, changes);
    one_at_a_time(&mut b, links);
    topo(b.ops)
}

/// Each change's own operations, chained in their order; a create_before_destroy replacement
/// makes its new object (the whole chain) before the old one goes.
fn own_ops(b: &mut Builder, changes: &[Change]) {
    for (i, c) in changes.iter().enumerate() {
        b.by_addr.insert(c.address.clone(), i);
        for side in [c.before.as_ref(), c.after.as_ref()].into_iter().flatten() {
            if let Some(Value::String(id)) = side.get("id") {
                b.ids.insert(id.clone(), i);
            }
        }
        let mut prev: Option<(String, Phase)> = None;
        let list = ops_of(c);
        // The change's operations in their own order (ids sort differently: an Assign id
        // sorts before its ENI's Create).
        let in_order: Vec<(String, Phase)> = list
            .iter()
            .map(|(action, phase)| (op_id(&c.address, *action), *phase))
            .collect();
        for (action, phase) in list {
            let id = op_id(&c.address, action);
            let mut deps = Vec::new();
            if let Some((p, _)) = &prev {
                deps.push(p.clone());
            }
            b.ops.insert(
                id.clone(),
                Op {
                    id: id.clone(),
                    action,
                    address: c.address.clone(),
                    phase,
                    depends_on: deps,
                },
            );
            prev = Some((id, phase));
        }
        // create_before_destroy: the new object first (its whole chain), then the old one goes.
        if c.action == Action::Replace && c.create_before_destroy {
            let of = |ph: Phase| -> Vec<String> {
                in_order
                    .iter()
                    .filter(|(_, p)| *p == ph)
                    .map(|(id, _)| id.clone())
                    .collect()
            };
            let (destroy, apply) = (of(Phase::Destroy), of(Phase::Apply));
            for d in &destroy {
                if let Some(op) = b.ops.get_mut(d) {
                    op.depends_on.retain(|x| !apply.contains(x));
                }
            }
            for a in &apply {
                if let Some(op) = b.ops.get_mut(a) {
                    op.depends_on.retain(|x| !destroy.contains(x));
                }
            }
            if let (Some(first_d), Some(last_a)) = (destroy.first(), apply.last()) {
                b.edge(Some(last_a.clone()), Some(first_d.clone()));
            }
        }
    }
}

/// Attachments and secondary-IP resources by the ENI they point at (change index or id),
/// computed once so linking stays linear.
#[derive(Default)]
struct EniUsers {
    att_of: HashMap<usize, Vec<Address>>,
    sips_of: HashMap<usize, Vec<Address>>,
    sips_of_id: HashMap<String, Vec<Address>>,
}

impl EniUsers {
    fn of(b: &Builder, changes: &[Change]) -> EniUsers {
        let mut u = EniUsers::default();
        for c in changes {
            match c.kind {
                Kind::Attachment => {
                    if let Some(e) = b.link(c, Phase::Apply, "network_interface_id") {
                        u.att_of.entry(e).or_default().push(c.address.clone());
                    }
                }
                Kind::SecondaryIps => {
                    if let Some(e) = b.link(c, Phase::Apply, "network_interface_id") {
                        u.sips_of.entry(e).or_default().push(c.address.clone());
                    }
                    if let Some(id) =
                        get(c, Phase::Apply, "network_interface_id").and_then(Value::as_str)
                    {
                        u.sips_of_id
                            .entry(id.to_string())
                            .or_default()
                            .push(c.address.clone());
                    }
                }
                _ => {}
            }
        }
        u
    }
}

/// Links between instances found by kind: the pairs they order (so the configuration's generic
/// dependencies need not), and the operations on each EIP and NAT gateway, run one at a time.
#[derive(Default)]
struct Links {
    specific: BTreeSet<(usize, usize)>,
    nat_ops: BTreeMap<String, Vec<String>>,
    eip_ops: BTreeMap<usize, Vec<String>>,
}

/// An attachment: after its ENI exists, before the ENI's addresses; detached before the ENI goes.
fn attachment_links(b: &mut Builder, changes: &[Change], i: usize, c: &Change, l: &mut Links) {
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
        if b.ops
            .get(&op_id(&eni, act))
            .is_some_and(|o| o.phase == Phase::Destroy)
        {
            b.edge(b.has(&eni, act), b.has(a, DetachNetworkInterface));
        }
    }
    b.edge(
        b.has(a, DetachNetworkInterface),
        b.has(&eni, DeleteNetworkInterface),
    );
}

/// A secondary-IPs resource: after its ENI is ready; its addresses go before the ENI does.
fn secondary_links(b: &mut Builder, changes: &[Change], i: usize, c: &Change, l: &mut Links) {
    use OpAction::*;
    let a = &c.address;
    if let Some(e) = b.link(c, Phase::Apply, "network_interface_id") {
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

/// A binding: after its EIP, around its target's life, and in turn with the other operations on
/// the same EIP or NAT gateway.
fn association_links(
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
        binding_target_links(b, changes, c, t, users);
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
fn binding_target_links(
    b: &mut Builder,
    changes: &[Change],
    c: &Change,
    t: usize,
    users: &EniUsers,
) {
    use OpAction::*;
    let a = &c.address;
    let binded = |ph: Phase| {
        get(c, ph, "mode")
            .and_then(Value::as_str)
            .is_some_and(|m| m != "NAT")
    };
    let tc = &changes[t];
    let taddr = tc.address.clone();
    if tc.kind == Kind::Eni {
        let att: Vec<Address> = users.att_of.get(&t).cloned().unwrap_or_default();
        if binded(Phase::Apply) {
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
        if binded(Phase::Destroy) {
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
    } else {
        for o in b.ops_of_addr(&taddr, Phase::Apply) {
            b.edge(Some(o), b.has(a, AssociateEipAddress));
        }
    }
}

/// Generic dependencies from the configuration, where no specific link orders the pair.
fn config_deps(b: &mut Builder, changes: &[Change], specific: &BTreeSet<(usize, usize)>) {
    let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        by_key.entry(c.address.resource_key()).or_default().push(i);
    }
    let mut specific_keys: BTreeSet<(String, String)> = BTreeSet::new();
    for (x, y) in specific {
        specific_keys.insert((
            changes[*x].address.resource_key(),
            changes[*y].address.resource_key(),
        ));
    }
    for c in changes {
        for d in &c.dependencies {
            if specific_keys.contains(&(c.address.resource_key(), d.clone())) {
                continue;
            }
            for &j in by_key.get(d).map(Vec::as_slice).unwrap_or(&[]) {
                let dep = &changes[j].address;
                let mine_apply = b.ops_of_addr(&c.address, Phase::Apply);
                let theirs_apply = b.ops_of_addr(dep, Phase::Apply);
                if let (Some(first), Some(last)) = (mine_apply.first(), theirs_apply.last()) {
                    b.edge(Some(last.clone()), Some(first.clone()));
                }
                let mine_destroy = b.ops_of_addr(&c.address, Phase::Destroy);
                let theirs_destroy = b.ops_of_addr(dep, Phase::Destroy);
                if let (Some(last), Some(first)) = (mine_destroy.last(), theirs_destroy.first()) {
                    b.edge(Some(last.clone()), Some(first.clone()));
                }
            }
        }
    }
}

/// An address moving from one ENI to another in the same plan: the one giving it up (unassign,
/// or delete) goes first. One map from address to the operation that frees it keeps this
/// linear.
fn address_handover(b: &mut Builder, changes: &[Change]) {
    use OpAction::*;
    let mut frees: HashMap<String, String> = HashMap::new();
    for c in changes
        .iter()
        .filter(|c| matches!(c.kind, Kind::Eni | Kind::SecondaryIps))
    {
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
    if !frees.is_empty() {
        for c in changes
            .iter()
            .filter(|c| matches!(c.kind, Kind::Eni | Kind::SecondaryIps))
        {
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
    }
}

/// Slots change hands the same way: on one instance, detaches before attaches (an instance
/// at its ENI limit takes a new ENI only once another has left); on one bind target (an ENI's
/// private IP, an instance, a HAVIP, an SLB), unbinds before binds. Per instance and target
/// these lists are short, so the edges stay linear overall.
fn slot_handover(b: &mut Builder, changes: &[Change]) {
    use OpAction::*;
    let mut slots: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for c in changes {
        let (key_attr, leave, join) = match c.kind {
            Kind::Attachment => (
                "instance_id",
                DetachNetworkInterface,
                AttachNetworkInterface,
            ),
            Kind::Association => ("instance_id", UnassociateEipAddress, AssociateEipAddress),
            _ => continue,
        };
        let key = |ph: Phase| {
            let target = get(c, ph, key_attr).and_then(Value::as_str)?;
            let ip = if c.kind == Kind::Association {
                get(c, ph, "private_ip_address")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            } else {
                ""
            };
            Some(format!("{target}/{ip}"))
        };
        if let (Some(k), Some(op)) = (key(Phase::Destroy), b.has(&c.address, leave)) {
            slots.entry(k).or_default().0.push(op);
        }
        if let (Some(k), Some(op)) = (key(Phase::Apply), b.has(&c.address, join)) {
            slots.entry(k).or_default().1.push(op);
        }
    }
    for (leaving, joining) in slots.values() {
        for l in leaving {
            for j in joining {
                if l.split('#').next() != j.split('#').next() {
                    b.edge(Some(l.clone()), Some(j.clone()));
                }
            }
        }
    }
}

/// Addresses the configuration names are claimed before the cloud picks any in the same
/// vSwitch: otherwise an automatic allocation can take an address another ENI of the same plan
/// asks for, and apply fails halfway on ip-unique. Only configurations that mix both in one
/// vSwitch get these edges (explicit × automatic operations there).
fn named_before_automatic(b: &mut Builder, changes: &[Change]) {
    use OpAction::*;
    let mut explicit: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut automatic: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in changes.iter().filter(|c| c.kind == Kind::Eni) {
        let Some(vsw) = get(c, Phase::Apply, "vswitch_id").and_then(Value::as_str) else {
            continue;
        };
        if let Some(id) = b.has(&c.address, CreateNetworkInterface) {
            let named =
                get(c, Phase::Apply, "primary_ip_address").is_some_and(|v| v.as_str().is_some());
            (if named { &mut explicit } else { &mut automatic })
                .entry(vsw.to_string())
                .or_default()
                .push(id);
        }
        if let Some(id) = b.has(&c.address, AssignPrivateIpAddresses) {
            let named = matches!(
                get(c, Phase::Apply, "private_ip_addresses"),
                Some(Value::Set(_) | Value::List(_))
            );
            (if named { &mut explicit } else { &mut automatic })
                .entry(vsw.to_string())
                .or_default()
                .push(id);
        }
    }
    // How many dependencies each automatic operation had before: those are the only ones an
    // edge added here can repeat (each explicit operation is added once to each).
    let had: HashMap<String, usize> = automatic
        .values()
        .flatten()
        .filter_map(|a| Some((a.clone(), b.ops.get(a)?.depends_on.len())))
        .collect();
    for (vsw, autos) in &automatic {
        for e in explicit.get(vsw).map(Vec::as_slice).unwrap_or(&[]) {
            // What `e` waits for is found once, not once per edge (that was cubic in a vSwitch
            // mixing both kinds): the edges added below go into automatic operations `e` does
            // not wait for, so they leave it as it is.
            let waited = b.waited_for(e);
            for a in autos {
                // Never against an operation's own chain, nor where it would close a cycle
                // (two ENIs that each create with an automatic primary address and then assign
                // named ones): such an edge is a preference, and a cycle would leave both
                // ENIs' operations waiting for ever.
                if e.split('#').next() == a.split('#').next() || waited.contains(a) {
                    continue;
                }
                let old = had.get(a).copied().unwrap_or(0);
                if let Some(op) = b.ops.get_mut(a)
                    && !op.depends_on[..old.min(op.depends_on.len())].contains(e)
                {
                    op.depends_on.push(e.clone());
                }
            }
        }
    }
}

/// One operation at a time per EIP and per NAT gateway: chain them in id order, destroys first.
fn one_at_a_time(b: &mut Builder, l: Links) {
    for chain in l.eip_ops.into_values().chain(l.nat_ops.into_values()) {
        let mut chain: Vec<String> = chain;
        chain.sort_by_key(|id| (!id.contains("#Unassociate"), id.clone()));
        chain.dedup();
        for w in chain.windows(2) {
            b.edge(Some(w[0].clone()), Some(w[1].clone()));
        }
    }
}

/// Kahn's algorithm; ties broken by address, then operation, as the JSON plan promises.
/// Operations are handled by their index in id order (a dependency found by binary search),
/// so that no id or address is copied: plans of tens of thousands of operations.
fn topo(ops: BTreeMap<String, Op>) -> Vec<Op> {
    let ops: Vec<Op> = ops.into_values().collect();
    let n = ops.len();
    let mut indeg = vec![0usize; n];
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, o) in ops.iter().enumerate() {
        for d in &o.depends_on {
            if let Ok(j) = ops.binary_search_by(|x| x.id.as_str().cmp(d)) {
                indeg[i] += 1;
                users[j].push(i);
            }
        }
    }
    // The index breaks ties as the id did: the operations are in id order.
    let key = |i: usize| (&ops[i].address, ops[i].phase, ops[i].action, i);
    let mut ready: BTreeSet<_> = (0..n).filter(|&i| indeg[i] == 0).map(key).collect();
    let mut order = Vec::with_capacity(n);
    while let Some((_, _, _, i)) = ready.pop_first() {
        order.push(i);
        for &u in &users[i] {
            indeg[u] -= 1;
            if indeg[u] == 0 {
                ready.insert(key(u));
            }
        }
    }
    let sorted = order.len();
    if sorted < n {
        // A cycle would be a bug in the rules above; keep every operation so apply reports it.
        let mut placed = vec![false; n];
        for &i in &order {
            placed[i] = true;
        }
        order.extend((0..n).filter(|&i| !placed[i]));
    }
    let mut slots: Vec<Option<Op>> = ops.into_iter().map(Some).collect();
    order
        .into_iter()
        .enumerate()
        .filter_map(|(pos, i)| {
            let mut o = slots[i].take()?;
            if pos < sorted {
                o.depends_on.sort();
            }
            Some(o)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::InstanceKey;
    use crate::plan::attrs::Attrs;

    /// An ENI created in `vsw-1`, with its primary address named or left to the cloud.
    fn eni(i: i64, primary: Option<String>) -> Change {
        let address = Address::managed("alicloud_ecs_network_interface", "e", InstanceKey::Int(i));
        let mut after = Attrs::new();
        after.insert("vswitch_id".into(), Value::string("vsw-1"));
        after.insert("id".into(), Value::Unknown(Some(format!("{address}.id"))));
        after.insert(
            "primary_ip_address".into(),
            primary.map_or_else(Value::unknown, Value::string),
        );
        Change {
            address,
            kind: Kind::Eni,
            action: Action::Create,
            before: None,
            after: Some(after),
            replace_paths: Vec::new(),
            create_before_destroy: false,
            dependencies: Vec::new(),
            provider: None,
            each: None,
            sensitive: Default::default(),
        }
    }

    /// A vSwitch with hundreds of ENIs of each kind: every automatic create waits for every
    /// named one, and the order puts all named ones first. (Finding what each named create
    /// waits for once, not once per edge, keeps this quadratic in the edges it must add.)
    #[test]
    fn in_a_vswitch_mixing_both_every_named_address_is_claimed_before_any_automatic_one() {
        let n = 300;
        let changes: Vec<Change> = (0..2 * n)
            .map(|i| {
                eni(
                    i,
                    (i % 2 == 0).then(|| format!("10.0.{}.{}", i / 200, i % 200 + 10)),
                )
            })
            .collect();
        let ops = build(&changes);
        assert_eq!(ops.len(), changes.len());
        let named = |o: &Op| matches!(o.address.key, InstanceKey::Int(i) if i % 2 == 0);
        let named_ids: HashSet<&str> = ops
            .iter()
            .filter(|o| named(o))
            .map(|o| o.id.as_str())
            .collect();
        for o in ops.iter().filter(|o| !named(o)) {
            let waits = o
                .depends_on
                .iter()
                .filter(|d| named_ids.contains(d.as_str()))
                .count();
            assert_eq!(waits, n as usize, "{} waits for {waits}", o.id);
        }
        let first_auto = ops.iter().position(|o| !named(o)).unwrap_or(ops.len());
        assert_eq!(first_auto, n as usize, "named creates come first");
    }
}
