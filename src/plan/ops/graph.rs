//! The operation graph as plan keeps it: the operations in topological order, each naming what it
//! waits for (the shape the saved plan and apply's scheduler read), and the same edges as one
//! petgraph graph, which `graph --ops` renders and which is checked for cycles whenever it is made,
//! from the builder or from a saved plan.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Deref;

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::Op;

/// Why operations do not make a graph apply can walk.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpGraphError {
    #[error("two operations have the id \"{0}\"")]
    Duplicate(String),
    #[error("operation \"{op}\" depends on \"{missing}\", which is not in the plan")]
    Missing { op: String, missing: String },
    /// The operations on one cycle, the first repeated at the end.
    #[error("the operations wait for each other in a cycle: {}", .0.join(" → "))]
    Cycle(Vec<String>),
}

/// Operations and the order between them. Node `i` of the graph is operation `i`; an edge runs
/// from an operation to one that waits for it.
#[derive(Clone, Debug, Default)]
pub struct OpGraph {
    ops: Vec<Op>,
    graph: DiGraph<(), ()>,
}

impl OpGraph {
    /// The graph of `ops` (in the order given) and their `depends_on`; an error for a duplicate
    /// id, a dependency on an operation not there, or a cycle.
    pub fn from_ops(ops: Vec<Op>) -> Result<OpGraph, OpGraphError> {
        // foldhash: ids are the plan's own; SipHash was a tenth of this function at scale.
        let mut at: HashMap<&str, NodeIndex, foldhash::fast::RandomState> =
            HashMap::with_capacity_and_hasher(ops.len(), Default::default());
        let mut graph = DiGraph::with_capacity(ops.len(), ops.len());
        for o in &ops {
            let n = graph.add_node(());
            if at.insert(o.id.as_str(), n).is_some() {
                return Err(OpGraphError::Duplicate(o.id.clone()));
            }
        }
        for (i, o) in ops.iter().enumerate() {
            let mut from: Vec<NodeIndex> = Vec::with_capacity(o.depends_on.len());
            for d in &o.depends_on {
                let Some(&n) = at.get(d.as_str()) else {
                    return Err(OpGraphError::Missing {
                        op: o.id.clone(),
                        missing: d.clone(),
                    });
                };
                from.push(n);
            }
            // One edge per pair even if the list names an operation twice.
            from.sort();
            from.dedup();
            for n in from {
                graph.add_edge(n, NodeIndex::new(i), ());
            }
        }
        if let Some(cycle) = find_cycle(&graph) {
            let ids = cycle.iter().map(|n| ops[n.index()].id.clone()).collect();
            return Err(OpGraphError::Cycle(ids));
        }
        Ok(OpGraph { ops, graph })
    }

    /// The edges as (operation, operation that waits for it), by position.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.graph
            .edge_references()
            .map(|e| (e.source().index(), e.target().index()))
    }

    /// The positions of the operations that wait for operation `i`.
    pub fn dependents(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.graph
            .neighbors_directed(NodeIndex::new(i), Direction::Outgoing)
            .map(NodeIndex::index)
    }

    /// The petgraph graph itself (node `i` is operation `i`).
    pub fn graph(&self) -> &DiGraph<(), ()> {
        &self.graph
    }
}

/// The operations, in the graph's order: what the saved plan holds and apply schedules.
impl Deref for OpGraph {
    type Target = [Op];

    fn deref(&self) -> &[Op] {
        &self.ops
    }
}

impl<'a> IntoIterator for &'a OpGraph {
    type Item = &'a Op;
    type IntoIter = std::slice::Iter<'a, Op>;

    fn into_iter(self) -> Self::IntoIter {
        self.ops.iter()
    }
}

/// One cycle of the graph, as its nodes in order with the first repeated at the end: found in a
/// strongly connected component of more than one node, or one waiting for itself (one Tarjan
/// pass), then walked back to its start breadth-first inside that component.
fn find_cycle(g: &DiGraph<(), ()>) -> Option<Vec<NodeIndex>> {
    let scc = tarjan_scc(g)
        .into_iter()
        .find(|c| c.len() > 1 || c.iter().any(|n| g.contains_edge(*n, *n)))?;
    let start = *scc.iter().min()?;
    let inside: HashSet<NodeIndex> = scc.iter().copied().collect();
    let mut parent: HashMap<NodeIndex, NodeIndex> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        for m in g.neighbors_directed(n, Direction::Outgoing) {
            if m == start {
                let mut path = vec![n];
                let mut at = n;
                while let Some(&p) = parent.get(&at) {
                    path.push(p);
                    at = p;
                }
                path.reverse();
                path.push(start);
                return Some(path);
            }
            if inside.contains(&m) && m != start && !parent.contains_key(&m) {
                parent.insert(m, n);
                queue.push_back(m);
            }
        }
    }
    None
}
