//! The operations ready to run, longest remaining chain first.
//!
//! With latency, apply takes about calls × latency / parallelism only if the calls keep coming
//! until the end. Taken in the order they became ready, the operations at the ends of chains
//! (an EIP's binding, after its ENI's create and assign) are left for last, when there is too
//! little other work to fill the calls' places while each of them waits for the cloud. Taking
//! first the operation with the most operations still behind it starts every chain's tail as
//! early as its head allows. Ties keep the plan's order. With `--parallelism 1` operations run
//! one at a time in the order they become ready, as the plan lists them: the order a user
//! reading the plan expects.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use crate::plan::ops::Op;

/// A queue of ready operation ids.
pub(super) struct Ready<'a> {
    heap: BinaryHeap<(usize, Reverse<usize>, &'a str)>,
    /// Per operation: its priority (the longest chain of operations from it to the end, itself
    /// included) and its place in the plan. Empty: first ready, first taken.
    rank: HashMap<&'a str, (usize, usize)>,
    pushed: usize,
}

impl<'a> Ready<'a> {
    /// A queue for the operations of `ops`; `by_chain` false takes them first ready, first
    /// taken.
    pub(super) fn new(
        ops: &'a [Op],
        users: &HashMap<&'a str, Vec<&'a str>>,
        by_chain: bool,
    ) -> Self {
        let rank = if by_chain {
            let chain = chains(ops, users);
            ops.iter()
                .enumerate()
                .map(|(i, o)| {
                    let id = o.id.as_str();
                    (id, (chain.get(id).copied().unwrap_or(0), i))
                })
                .collect()
        } else {
            HashMap::new()
        };
        Ready {
            heap: BinaryHeap::new(),
            rank,
            pushed: 0,
        }
    }

    pub(super) fn push(&mut self, id: &'a str) {
        let (chain, place) = self.rank.get(id).copied().unwrap_or((0, self.pushed));
        self.pushed += 1;
        self.heap.push((chain, Reverse(place), id));
    }

    pub(super) fn pop(&mut self) -> Option<&'a str> {
        self.heap.pop().map(|(_, _, id)| id)
    }

    /// Empties the queue, in the order it would have been taken.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = &'a str> + '_ {
        std::iter::from_fn(move || self.pop())
    }
}

/// Per operation, the number of operations on the longest chain from it through those that
/// depend on it: computed once, from the last operations back, in time linear in the graph.
/// Operations on a cycle (which never run) get none.
fn chains<'a>(ops: &'a [Op], users: &HashMap<&'a str, Vec<&'a str>>) -> HashMap<&'a str, usize> {
    let known: HashMap<&str, ()> = ops.iter().map(|o| (o.id.as_str(), ())).collect();
    // Kahn's order from the last operations back: an operation is done once every operation
    // depending on it is.
    let mut left: HashMap<&str, usize> = ops
        .iter()
        .map(|o| {
            let n = users
                .get(o.id.as_str())
                .map_or(0, |u| u.iter().filter(|x| known.contains_key(*x)).count());
            (o.id.as_str(), n)
        })
        .collect();
    let mut todo: Vec<&str> = left
        .iter()
        .filter(|(_, n)| **n == 0)
        .map(|(id, _)| *id)
        .collect();
    let by_id: HashMap<&str, &Op> = ops.iter().map(|o| (o.id.as_str(), o)).collect();
    let mut chain: HashMap<&str, usize> = HashMap::with_capacity(ops.len());
    while let Some(id) = todo.pop() {
        let longest = users.get(id).map_or(0, |u| {
            u.iter()
                .filter_map(|x| chain.get(x))
                .copied()
                .max()
                .unwrap_or(0)
        });
        chain.insert(id, longest + 1);
        let Some(op) = by_id.get(id) else { continue };
        for d in &op.depends_on {
            if let Some(n) = left.get_mut(d.as_str()) {
                *n -= 1;
                if *n == 0 {
                    todo.push(d.as_str());
                }
            }
        }
    }
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{Address, InstanceKey};
    use crate::plan::ops::{OpAction, Phase};

    fn op(id: &str, deps: &[&str]) -> Op {
        Op {
            id: id.to_string(),
            action: OpAction::CreateNetworkInterface,
            address: Address::managed("t", id, InstanceKey::None),
            phase: Phase::Apply,
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
        }
    }

    fn users(ops: &[Op]) -> HashMap<&str, Vec<&str>> {
        let mut u: HashMap<&str, Vec<&str>> = HashMap::new();
        for o in ops {
            for d in &o.depends_on {
                u.entry(d.as_str()).or_default().push(&o.id);
            }
        }
        u
    }

    /// Two chains: a lone leaf first in the plan, then a head with two operations behind it.
    fn plan() -> Vec<Op> {
        vec![
            op("leaf", &[]),
            op("head", &[]),
            op("mid", &["head"]),
            op("tail", &["mid"]),
        ]
    }

    #[test]
    fn the_longest_chain_goes_first_and_ties_keep_the_plans_order() {
        let ops = plan();
        let u = users(&ops);
        let mut r = Ready::new(&ops, &u, true);
        r.push("leaf");
        r.push("head");
        assert_eq!(r.pop(), Some("head"));
        r.push("mid");
        assert_eq!(r.drain().collect::<Vec<_>>(), ["mid", "leaf"]);
        let other = [op("b", &[]), op("a", &[])];
        let mut r = Ready::new(&other, &HashMap::new(), true);
        r.push("a");
        r.push("b");
        assert_eq!(r.drain().collect::<Vec<_>>(), ["b", "a"]);
    }

    #[test]
    fn without_chains_the_first_ready_is_the_first_taken() {
        let ops = plan();
        let u = users(&ops);
        let mut r = Ready::new(&ops, &u, false);
        r.push("tail");
        r.push("head");
        assert_eq!(r.pop(), Some("tail"));
        r.push("leaf");
        assert_eq!(r.drain().collect::<Vec<_>>(), ["head", "leaf"]);
    }

    #[test]
    fn a_chain_counts_its_longest_branch_and_a_cycle_counts_nothing() {
        let mut ops = plan();
        ops.push(op("side", &["head"]));
        ops.push(op("x", &["y"]));
        ops.push(op("y", &["x"]));
        let u = users(&ops);
        let c = chains(&ops, &u);
        assert_eq!(c.get("head"), Some(&3));
        assert_eq!(c.get("side"), Some(&1));
        assert_eq!(c.get("leaf"), Some(&1));
        assert_eq!(c.get("x"), None);
    }
}
