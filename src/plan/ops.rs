//! The operation graph apply walks: the API calls each change needs, and the order Alibaba's
//! rules impose on them (resources.md "Operations", rules.md "Ordering").
//!
//! This module is the generic part: the operations, the builder of the one petgraph graph
//! ([`OpGraph`]) that plan stores, apply walks and `graph --ops` renders, and the orderings that
//! hold whatever the kinds are (a change's own chain, `create_before_destroy`, the
//! configuration's dependencies, hand-overs of addresses and slots, named address claims before
//! automatic ones, one operation at a time per EIP and NAT gateway). Which operations a change
//! needs and what its attributes link it to is each kind's own (`resources/<kind>/ops.rs`,
//! dispatched from `resources::operations`).
//!
//! Create ENI (with the secondary IPs one call carries) → attach → assign any others → bind
//! EIPs; destroy in reverse (unbind → unassign →
//! detach → delete, release after unbind). BINDED / MULTI_BINDED EIPs bind to an unattached ENI,
//! so there it is create → bind → attach and detach → unbind. Operations on one EIP, and on one
//! NAT gateway, never run at once. Edges are added per linked instance, so the graph stays linear
//! in the number of resources.

mod graph;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::rc::Rc;

use petgraph::Direction;
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use serde::{Deserialize, Serialize};

use super::{Action, Change, origin_address};
use crate::address::Address;
use crate::lang::Value;
use crate::resources::operations::{self, EniUsers};

pub use self::graph::{OpGraph, OpGraphError};

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

/// The strings of a sequence value; nothing for anything else.
pub(crate) fn seq(v: Option<&Value>) -> Vec<String> {
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

/// An attribute of the change's old object (destroy) or new one (apply).
pub(crate) fn get<'a>(c: &'a Change, phase: Phase, k: &str) -> Option<&'a Value> {
    match phase {
        Phase::Destroy => c.before.as_ref().and_then(|a| a.get(k)),
        Phase::Apply => c.after.as_ref().and_then(|a| a.get(k)),
    }
}

/// Maps keyed by addresses, operation ids and cloud ids: foldhash (seeded per process) instead
/// of SipHash, which led the plan's profile. The keys come from the user's own configuration and
/// state, and the seed still varies per run.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// The operation graph while it is built: a node per operation, an edge from each operation to
/// one that waits for it. Operations are named by id, which is what the kinds' link rules hold.
pub(crate) struct Builder<'a> {
    /// The edges only: node `n`'s operation is `ops[n]` (nodes are never removed).
    graph: StableDiGraph<(), ()>,
    ops: Vec<Op>,
    /// The graph's edges, to refuse a second copy of one without scanning a node's edges (an
    /// operation can have thousands: named claims before automatic ones in a large vSwitch).
    edges: FastSet<(NodeIndex, NodeIndex)>,
    /// Operation id → node.
    index: FastMap<String, NodeIndex>,
    /// Address → the change there (the last, if several) and its operations in id order: the
    /// kinds ask for an address's operation by action, thousands of times per plan, and this
    /// answers without formatting its id.
    /// (Keys borrowed from the changes: no copy of 30,000 addresses.)
    by_addr: FastMap<&'a Address, (usize, Vec<NodeIndex>)>,
    /// Cloud id → the change that owns the object, for linking by value.
    ids: FastMap<&'a str, usize>,
    /// Steps the ordering of named before automatic claims took, for tests that keep it linear.
    work: usize,
}

impl<'a> Builder<'a> {
    fn new(changes: usize) -> Builder<'a> {
        Builder {
            graph: StableDiGraph::with_capacity(changes, changes),
            ops: Vec::with_capacity(changes),
            edges: FastSet::default(),
            index: FastMap::with_capacity_and_hasher(changes, Default::default()),
            by_addr: FastMap::with_capacity_and_hasher(changes, Default::default()),
            ids: FastMap::default(),
            work: 0,
        }
    }

    /// The node of `addr`'s operation `a`.
    fn node(&self, addr: &Address, a: OpAction) -> Option<NodeIndex> {
        let (_, nodes) = self.by_addr.get(addr)?;
        nodes
            .iter()
            .copied()
            .find(|n| self.ops[n.index()].action == a)
    }

    /// The id of `addr`'s operation `a`, when the plan has it.
    pub(crate) fn has(&self, addr: &Address, a: OpAction) -> Option<String> {
        self.node(addr, a).map(|n| self.ops[n.index()].id.clone())
    }

    /// The id of `addr`'s operation `a`, when the plan has it in `phase`.
    pub(crate) fn has_in(&self, addr: &Address, a: OpAction, phase: Phase) -> Option<String> {
        let op = &self.ops[self.node(addr, a)?.index()];
        (op.phase == phase).then(|| op.id.clone())
    }

    /// Adds the operation `action` of the change `i` at `addr`, unless it is there already.
    fn add_op(&mut self, i: usize, addr: &'a Address, action: OpAction, phase: Phase) {
        if self.node(addr, action).is_some() {
            return;
        }
        let id = op_id(addr, action);
        let n = self.graph.add_node(());
        debug_assert_eq!(n.index(), self.ops.len());
        self.index.insert(id.clone(), n);
        self.ops.push(Op {
            id,
            action,
            address: addr.clone(),
            phase,
            depends_on: Vec::new(),
        });
        let ops = &self.ops;
        let nodes = &mut self
            .by_addr
            .entry(addr)
            .or_insert_with(|| (i, Vec::new()))
            .1;
        // Id order: the ids of one address differ only in the action's name.
        let at = nodes.partition_point(|m| ops[m.index()].action.name() < action.name());
        nodes.insert(at, n);
    }

    /// `to` waits for `from`, when both exist and are two operations.
    pub(crate) fn edge(&mut self, from: Option<String>, to: Option<String>) {
        if let (Some(f), Some(t)) = (from, to)
            && f != t
            && let (Some(&f), Some(&t)) = (self.index.get(&f), self.index.get(&t))
            && self.edges.insert((f, t))
        {
            self.graph.add_edge(f, t, ());
        }
    }

    fn unedge(&mut self, from: &str, to: &str) {
        if let (Some(&f), Some(&t)) = (self.index.get(from), self.index.get(to))
            && self.edges.remove(&(f, t))
            && let Some(e) = self.graph.find_edge(f, t)
        {
            self.graph.remove_edge(e);
        }
    }

    /// The change an id-valued attribute points at: through the unknown's origin, or the id.
    pub(crate) fn link(&self, c: &Change, phase: Phase, attr: &str) -> Option<usize> {
        let v = get(c, phase, attr).or_else(|| get(c, Phase::Destroy, attr))?;
        if let Some(a) = origin_address(v) {
            return self.by_addr.get(&a).map(|(i, _)| *i);
        }
        v.as_str().and_then(|s| self.ids.get(s).copied())
    }

    /// `addr`'s operations in `phase`, in id order.
    pub(crate) fn ops_of_addr(&self, addr: &Address, phase: Phase) -> Vec<String> {
        self.by_addr
            .get(addr)
            .map(|(_, nodes)| {
                nodes
                    .iter()
                    .map(|n| &self.ops[n.index()])
                    .filter(|o| o.phase == phase)
                    .map(|o| o.id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Kahn's algorithm over the graph: ready operations by `class` first, then by address,
    /// phase and operation. Operations on a cycle are left out.
    fn kahn(&mut self, class: impl Fn(NodeIndex) -> u8) -> Vec<NodeIndex> {
        let g = &self.graph;
        let ops = &self.ops;
        // The address by reference: a copy per ready operation was most of this sort's cost.
        let key = |n: NodeIndex| {
            let o = &ops[n.index()];
            (class(n), &o.address, o.phase, o.action, n)
        };
        let mut indeg: Vec<usize> = vec![0; ops.len()];
        let mut ready = BTreeSet::new();
        for n in g.node_indices() {
            let d = g.neighbors_directed(n, Direction::Incoming).count();
            self.work += d + 1;
            if d == 0 {
                ready.insert(key(n));
            }
            indeg[n.index()] = d;
        }
        let mut out = Vec::with_capacity(g.node_count());
        while let Some(first) = ready.pop_first() {
            let n = first.4;
            out.push(n);
            for u in g.neighbors_directed(n, Direction::Outgoing) {
                self.work += 1;
                let d = &mut indeg[u.index()];
                *d -= 1;
                if *d == 0 {
                    ready.insert(key(u));
                }
            }
        }
        out
    }

    /// The graph in topological order (ties by address, then operation, as the JSON plan
    /// promises), each operation naming what it waits for. A cycle is an error naming it.
    fn finish(mut self) -> Result<OpGraph, OpGraphError> {
        let order = self.kahn(|_| 0);
        let mut done = vec![false; self.ops.len()];
        for n in &order {
            done[n.index()] = true;
        }
        // Operations on a cycle keep their place after the rest, in id order, so the error can
        // name them.
        let mut rest: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|n| !done[n.index()])
            .collect();
        rest.sort_by(|a, b| self.ops[a.index()].id.cmp(&self.ops[b.index()].id));
        let order: Vec<NodeIndex> = order.into_iter().chain(rest).collect();
        let deps: Vec<Vec<String>> = order
            .iter()
            .map(|&n| {
                let mut d: Vec<String> = self
                    .graph
                    .neighbors_directed(n, Direction::Incoming)
                    .map(|d| self.ops[d.index()].id.clone())
                    .collect();
                d.sort();
                d
            })
            .collect();
        // Each operation moves into its place: no copy of the graph's operations.
        let mut slots: Vec<Option<Op>> = std::mem::take(&mut self.ops)
            .into_iter()
            .map(Some)
            .collect();
        let ops = order
            .into_iter()
            .zip(deps)
            .filter_map(|(n, depends_on)| {
                let mut o = slots[n.index()].take()?;
                o.depends_on = depends_on;
                Some(o)
            })
            .collect();
        OpGraph::from_ops(ops)
    }
}

/// The operation graph of a plan's changes: each change's operations and the edges between them.
/// A cycle is a bug in the ordering rules, reported with the operations on it.
pub fn build(changes: &[Change]) -> Result<OpGraph, OpGraphError> {
    build_counted(changes).map(|(g, _)| g)
}

/// [`build`], and the steps the ordering of named before automatic claims took.
fn build_counted(changes: &[Change]) -> Result<(OpGraph, usize), OpGraphError> {
    let mut b = Builder::new(changes.len());
    own_ops(&mut b, changes);
    let users = EniUsers::of(&b, changes);
    let mut links = Links::default();
    for (i, c) in changes.iter().enumerate() {
        operations::links(&mut b, changes, (i, c), &users, &mut links);
    }
    config_deps(&mut b, changes, &links.specific);
    address_handover(&mut b, changes);
    slot_handover(&mut b, changes);
    named_before_automatic(&mut b, changes);
    one_at_a_time(&mut b, links);
    let work = b.work;
    Ok((b.finish()?, work))
}

/// Each change's own operations, chained in their order; a create_before_destroy replacement
/// makes its new object (the whole chain) before the old one goes.
fn own_ops<'a>(b: &mut Builder<'a>, changes: &'a [Change]) {
    for (i, c) in changes.iter().enumerate() {
        b.by_addr
            .entry(&c.address)
            .or_insert_with(|| (i, Vec::new()))
            .0 = i;
        for side in [c.before.as_ref(), c.after.as_ref()].into_iter().flatten() {
            if let Some(id) = operations::cloud_id(side) {
                b.ids.insert(id, i);
            }
        }
        let list = operations::ops_of(c);
        for &(action, phase) in &list {
            b.add_op(i, &c.address, action, phase);
        }
        // The change's operations in their own order (ids sort differently: an Assign id
        // sorts before its ENI's Create).
        let in_order: Vec<(String, Phase)> = list
            .iter()
            .filter_map(|&(action, phase)| b.has(&c.address, action).map(|id| (id, phase)))
            .collect();
        for w in in_order.windows(2) {
            b.edge(Some(w[0].0.clone()), Some(w[1].0.clone()));
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
                for a in &apply {
                    b.unedge(a, d);
                    b.unedge(d, a);
                }
            }
            if let (Some(first_d), Some(last_a)) = (destroy.first(), apply.last()) {
                b.edge(Some(last_a.clone()), Some(first_d.clone()));
            }
        }
    }
}

/// Links between instances found by kind: the pairs they order (so the configuration's generic
/// dependencies need not), and the operations on each EIP and NAT gateway, run one at a time.
#[derive(Default)]
pub(crate) struct Links {
    pub(crate) specific: BTreeSet<(usize, usize)>,
    pub(crate) nat_ops: BTreeMap<String, Vec<String>>,
    pub(crate) eip_ops: BTreeMap<usize, Vec<String>>,
}

/// Each change's resource key (`TYPE.NAME` with its module path), formatted once per resource:
/// the changes come sorted by address, so one resource's instances are neighbours.
fn resource_keys(changes: &[Change]) -> Vec<Rc<str>> {
    let same = |a: &Address, b: &Address| {
        a.mode == b.mode
            && a.ty == b.ty
            && a.name == b.name
            && a.module.len() == b.module.len()
            && a.module
                .iter()
                .zip(&b.module)
                .all(|(x, y)| x.name == y.name)
    };
    let mut keys: Vec<Rc<str>> = Vec::with_capacity(changes.len());
    for (i, c) in changes.iter().enumerate() {
        let key = match keys.last() {
            Some(k) if same(&changes[i - 1].address, &c.address) => k.clone(),
            _ => Rc::from(c.address.resource_key()),
        };
        keys.push(key);
    }
    keys
}

/// Generic dependencies from the configuration, where no specific link orders the pair.
fn config_deps(b: &mut Builder, changes: &[Change], specific: &BTreeSet<(usize, usize)>) {
    let keys = resource_keys(changes);
    let mut by_key: FastMap<Rc<str>, Vec<usize>> = FastMap::default();
    for (i, k) in keys.iter().enumerate() {
        by_key.entry(k.clone()).or_default().push(i);
    }
    let mut specific_keys: FastMap<Rc<str>, FastSet<Rc<str>>> = FastMap::default();
    for &(x, y) in specific {
        specific_keys
            .entry(keys[x].clone())
            .or_default()
            .insert(keys[y].clone());
    }
    for (i, c) in changes.iter().enumerate() {
        if c.dependencies.is_empty() {
            continue;
        }
        let ordered = specific_keys.get(&keys[i]);
        let mine_apply = b.ops_of_addr(&c.address, Phase::Apply);
        let mine_destroy = b.ops_of_addr(&c.address, Phase::Destroy);
        for d in &c.dependencies {
            if ordered.is_some_and(|s| s.contains(d.as_str())) {
                continue;
            }
            for &j in by_key.get(d.as_str()).map(Vec::as_slice).unwrap_or(&[]) {
                let dep = &changes[j].address;
                let theirs_apply = b.ops_of_addr(dep, Phase::Apply);
                if let (Some(first), Some(last)) = (mine_apply.first(), theirs_apply.last()) {
                    b.edge(Some(last.clone()), Some(first.clone()));
                }
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
    let mut frees: HashMap<String, String> = HashMap::new();
    for c in changes {
        operations::address_frees(b, c, &mut frees);
    }
    if !frees.is_empty() {
        for c in changes {
            operations::address_takes(b, c, &frees);
        }
    }
}

/// Slots change hands the same way: on one instance, detaches before attaches (an instance
/// at its ENI limit takes a new ENI only once another has left); on one bind target (an ENI's
/// private IP, an instance, a HAVIP, an SLB), unbinds before binds. Per instance and target
/// these lists are short, so the edges stay linear overall.
fn slot_handover(b: &mut Builder, changes: &[Change]) {
    let mut slots: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for c in changes {
        let s = operations::slots(b, c);
        if let Some((k, op)) = s.leaves {
            slots.entry(k).or_default().0.push(op);
        }
        if let Some((k, op)) = s.joins {
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
/// vSwitch get these edges (named × automatic operations there).
///
/// Such an edge is a preference: never against an operation's own chain, nor where it would
/// close a cycle (two ENIs that each create with an automatic primary address and then assign
/// named ones), since a cycle would leave both ENIs' operations waiting for ever. Rather than
/// search for a path the other way before each edge, one topological order of the graph so far
/// decides: an edge is added only when it runs forward in that order, so none can close a
/// cycle, and the work is one pass over the graph plus one comparison per pair. The order puts
/// named claims as early as their own dependencies allow (then what leads to them, automatic
/// claims last), so an edge is left out only where the two claims compete.
fn named_before_automatic(b: &mut Builder, changes: &[Change]) {
    let mut named: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut automatic: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in changes {
        for claim in operations::vswitch_claims(b, c) {
            (if claim.named {
                &mut named
            } else {
                &mut automatic
            })
            .entry(claim.vswitch)
            .or_default()
            .push(claim.op);
        }
    }
    automatic.retain(|vsw, _| named.contains_key(vsw));
    if automatic.is_empty() {
        return;
    }
    let nodes = |m: &BTreeMap<String, Vec<String>>| -> HashSet<NodeIndex> {
        m.values()
            .flatten()
            .filter_map(|id| b.index.get(id).copied())
            .collect()
    };
    let (named_nodes, auto_nodes) = (nodes(&named), nodes(&automatic));
    let leads = b.ancestors(&named_nodes);
    // A claim both named and automatic (a create that names its secondary addresses and lets
    // the cloud pick its primary) goes after the purely named ones and what leads to them.
    let order = b.kahn(
        |n| match (named_nodes.contains(&n), auto_nodes.contains(&n)) {
            (true, false) => 0,
            (true, true) => 2,
            _ if !leads.contains(&n) => 4,
            (false, true) => 3,
            (false, false) => 1,
        },
    );
    let pos: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, n)| (b.ops[n.index()].id.as_str(), i))
        .collect();
    let mut edges = Vec::new();
    for (vsw, autos) in &automatic {
        for e in named.get(vsw).map(Vec::as_slice).unwrap_or(&[]) {
            for a in autos {
                b.work += 1;
                let forward = matches!((pos.get(e.as_str()), pos.get(a.as_str())), (Some(x), Some(y)) if x < y);
                if forward && e.split('#').next() != a.split('#').next() {
                    edges.push((e.clone(), a.clone()));
                }
            }
        }
    }
    for (e, a) in edges {
        b.edge(Some(e), Some(a));
    }
}

impl Builder<'_> {
    /// `from` and every operation that leads to one of them.
    fn ancestors(&mut self, from: &HashSet<NodeIndex>) -> HashSet<NodeIndex> {
        let mut seen = from.clone();
        let mut stack: Vec<NodeIndex> = from.iter().copied().collect();
        while let Some(n) = stack.pop() {
            for p in self.graph.neighbors_directed(n, Direction::Incoming) {
                self.work += 1;
                if seen.insert(p) {
                    stack.push(p);
                }
            }
        }
        seen
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

#[cfg(test)]
mod tests;
