//! The operation graph on hand-built changes: cycles are errors naming the cycle, and the
//! ordering of named before automatic address claims stays acyclic, keeps every edge that closes
//! no cycle, and does work linear in the graph it makes.

use std::collections::HashSet;

use super::{OpAction, OpGraph, OpGraphError, Phase, build, build_counted};
use crate::address::{Address, InstanceKey};
use crate::lang::Value;
use crate::plan::attrs::Attrs;
use crate::plan::{Action, Change, Op};
use crate::schema::Kind;

fn op(id: &str, deps: &[&str]) -> Op {
    Op {
        id: id.into(),
        action: OpAction::CreateNetworkInterface,
        address: Address::managed("alicloud_ecs_network_interface", "x", InstanceKey::None),
        phase: Phase::Apply,
        depends_on: deps.iter().map(|d| d.to_string()).collect(),
    }
}

#[test]
fn a_cycle_is_an_error_that_walks_it() {
    let e = OpGraph::from_ops(vec![
        op("a", &["c"]),
        op("b", &["a"]),
        op("c", &["b"]),
        op("d", &[]),
    ])
    .unwrap_err();
    assert_eq!(
        e,
        OpGraphError::Cycle(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    assert!(e.to_string().contains("a → b → c → a"), "{e}");
}

#[test]
fn an_operation_waiting_for_itself_is_a_cycle() {
    assert_eq!(
        OpGraph::from_ops(vec![op("a", &[]), op("b", &["b"])]).unwrap_err(),
        OpGraphError::Cycle(vec!["b".into(), "b".into()])
    );
}

#[test]
fn unknown_dependencies_and_twice_used_ids_are_errors() {
    assert_eq!(
        OpGraph::from_ops(vec![op("a", &["z"])]).unwrap_err(),
        OpGraphError::Missing {
            op: "a".into(),
            missing: "z".into()
        }
    );
    assert_eq!(
        OpGraph::from_ops(vec![op("a", &[]), op("a", &[])]).unwrap_err(),
        OpGraphError::Duplicate("a".into())
    );
}

#[test]
fn the_graph_has_the_edges_the_operations_name() {
    let g = OpGraph::from_ops(vec![op("a", &[]), op("b", &["a"]), op("c", &["a", "b"])])
        .expect("acyclic");
    let mut edges: Vec<_> = g.edges().collect();
    edges.sort();
    assert_eq!(edges, vec![(0, 1), (0, 2), (1, 2)]);
    let mut after_a: Vec<_> = g.dependents(0).collect();
    after_a.sort();
    assert_eq!(after_a, vec![1, 2]);
    assert_eq!(g.len(), 3);
}

/// How an ENI of the test vSwitch takes its addresses: a named or automatic primary address,
/// and named, automatic or no secondary addresses.
#[derive(Clone, Copy)]
enum Shape {
    Named,
    NamedThenAuto,
    AutoThenNamed,
    Auto,
    NamedOnly,
    AutoOnly,
}

fn eni(name: &str, shape: Shape, n: usize) -> Change {
    let mut after = Attrs::new();
    after.insert("vswitch_id".into(), Value::string("vsw-1"));
    let primary = matches!(
        shape,
        Shape::Named | Shape::NamedThenAuto | Shape::NamedOnly
    );
    after.insert(
        "primary_ip_address".into(),
        if primary {
            Value::string(format!("10.0.{n}.1"))
        } else {
            Value::unknown()
        },
    );
    let secondary = match shape {
        Shape::Named | Shape::AutoThenNamed => {
            Value::set(vec![Value::string(format!("10.0.{n}.2"))])
        }
        Shape::NamedThenAuto | Shape::Auto => Value::unknown(),
        Shape::NamedOnly | Shape::AutoOnly => Value::set(Vec::new()),
    };
    after.insert("private_ip_addresses".into(), secondary);
    let address = Address::managed("alicloud_ecs_network_interface", name, InstanceKey::None);
    Change::bare(address, Kind::Eni, Action::Create, None, Some(after))
}

/// Whether `to` is reachable from `from` along the graph's edges.
fn reaches(g: &OpGraph, from: usize, to: usize) -> bool {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
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

/// The claims of the changes, by position in `g`: (named, automatic). A create carries the
/// named secondary addresses of its ENI (`resources::eni::ops::at_create`), so one create can
/// claim both ways; a secondary set not known yet keeps its own (automatic) assign.
fn claims(g: &OpGraph) -> (Vec<usize>, Vec<usize>) {
    let mut named = Vec::new();
    let mut auto = Vec::new();
    for (i, o) in g.iter().enumerate() {
        let shape = shape_of(&o.address);
        let primary_named = matches!(
            shape,
            Shape::Named | Shape::NamedThenAuto | Shape::NamedOnly
        );
        let secondary_named = matches!(shape, Shape::Named | Shape::AutoThenNamed);
        let (is_named, is_auto) = match o.action {
            OpAction::CreateNetworkInterface => (primary_named || secondary_named, !primary_named),
            OpAction::AssignPrivateIpAddresses => (false, true),
            _ => continue,
        };
        if is_named {
            named.push(i);
        }
        if is_auto {
            auto.push(i);
        }
    }
    (named, auto)
}

const SHAPES: [Shape; 6] = [
    Shape::Named,
    Shape::NamedThenAuto,
    Shape::AutoThenNamed,
    Shape::Auto,
    Shape::NamedOnly,
    Shape::AutoOnly,
];

/// The test names each ENI after its shape, so a claim's kind can be read back from its address.
fn shape_of(a: &Address) -> Shape {
    let i = a
        .name
        .strip_prefix('s')
        .and_then(|s| s.split('_').next())
        .and_then(|s| s.parse::<usize>().ok());
    SHAPES[i.unwrap_or(0)]
}

fn mix(picks: &[usize]) -> Vec<Change> {
    let mut changes: Vec<Change> = picks
        .iter()
        .enumerate()
        .map(|(n, &s)| eni(&format!("s{s}_{n}"), SHAPES[s], n))
        .collect();
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    changes
}

#[test]
fn named_claims_go_first_wherever_no_cycle_forbids_it() {
    // Small mixes of every shape, in a fixed pseudo-random sequence.
    let mut seed = 7u64;
    for _ in 0..60 {
        let picks: Vec<usize> = (0..7)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) as usize % SHAPES.len()
            })
            .collect();
        let g = build(&mix(&picks)).expect("the ordering edges close no cycle");
        let (named, auto) = claims(&g);
        for &e in &named {
            for &a in &auto {
                if g[e].address == g[a].address {
                    continue;
                }
                let edge = g.edges().any(|x| x == (e, a));
                // Left out only where the automatic claim already leads to the named one.
                assert!(
                    edge || reaches(&g, a, e),
                    "{picks:?}: {} → {} left out without a cycle",
                    g[e].id,
                    g[a].id
                );
            }
        }
    }
}

#[test]
fn two_enis_that_each_create_automatically_then_name_addresses_order_one_way() {
    // Each create takes an automatic primary and names its secondaries in the same call: one
    // of the two goes first, and nothing orders them the other way.
    let g = build(&mix(&[2, 2])).expect("no cycle");
    let ids = |i: usize| g[i].id.clone();
    let cross: Vec<(String, String)> = g
        .edges()
        .filter(|(x, y)| g[*x].address != g[*y].address)
        .map(|(x, y)| (ids(x), ids(y)))
        .collect();
    assert_eq!(cross.len(), 1, "{cross:?}");
    assert!(cross[0].0.ends_with("#CreateNetworkInterface"), "{cross:?}");
    assert!(cross[0].1.ends_with("#CreateNetworkInterface"), "{cross:?}");
    assert_eq!(g.len(), 2, "no assign operations");
}

#[test]
fn a_large_mixed_vswitch_takes_work_linear_in_the_graph() {
    // n ENIs name their primary and let the cloud pick secondaries, n the other way round.
    let n = 60;
    let picks: Vec<usize> = (0..2 * n).map(|i| if i % 2 == 0 { 1 } else { 2 }).collect();
    let (g, work) = build_counted(&mix(&picks)).expect("no cycle");
    let edges = g.edges().count();
    // Own chains (n: the first kind's create, then its automatic assign; the second kind's
    // create carries its named secondaries), named primaries before every other automatic
    // claim (n·(n-1) secondaries of the others, n·n automatic primaries), named secondaries
    // before the automatic secondaries (n·n) and, one way, before the other automatic primaries
    // (n·(n-1)/2).
    assert_eq!(edges, n + n * (n - 1) + n * n + n * n + n * (n - 1) / 2);
    let size = g.len() + edges;
    assert!(
        work <= 2 * size,
        "{work} steps for {} operations and {edges} edges",
        g.len()
    );
}
