//! Graphs as DOT or mermaid: the resource graph, or the operation graph apply walks.

use std::fmt::Write;

use crate::graph::ConfigGraph;
use crate::plan::OpGraph;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Dot,
    Mermaid,
}

fn edges_out(nodes: &[String], edges: &[(usize, usize)], f: Format) -> String {
    let mut s = String::new();
    match f {
        Format::Dot => {
            s.push_str("digraph netform {\n  rankdir = \"LR\";\n");
            for n in nodes {
                let _ = writeln!(s, "  {};", serde_json::Value::String(n.clone()));
            }
            for (a, b) in edges {
                let _ = writeln!(
                    s,
                    "  {} -> {};",
                    serde_json::Value::String(nodes[*a].clone()),
                    serde_json::Value::String(nodes[*b].clone())
                );
            }
            s.push_str("}\n");
        }
        Format::Mermaid => {
            s.push_str("flowchart LR\n");
            for (i, n) in nodes.iter().enumerate() {
                let _ = writeln!(s, "  n{i}[\"{}\"]", n.replace('"', "#quot;"));
            }
            for (a, b) in edges {
                let _ = writeln!(s, "  n{a} --> n{b}");
            }
        }
    }
    s
}

/// Dependencies point from what is needed to what needs it.
pub fn resources(g: &ConfigGraph, f: Format) -> String {
    let mut idx: Vec<_> = g.graph.node_indices().collect();
    idx.sort_by_key(|i| g.graph[*i].label());
    let nodes: Vec<String> = idx.iter().map(|i| g.graph[*i].label()).collect();
    let pos = |n: petgraph::graph::NodeIndex| idx.iter().position(|x| *x == n).unwrap_or(0);
    let mut edges: Vec<(usize, usize)> = g
        .graph
        .edge_indices()
        .filter_map(|e| g.graph.edge_endpoints(e))
        .map(|(a, b)| (pos(a), pos(b)))
        .collect();
    edges.sort();
    edges_out(&nodes, &edges, f)
}

/// The plan's operation graph, the one apply walks: an edge from an operation to one that waits
/// for it.
pub fn operations(ops: &OpGraph, f: Format) -> String {
    let nodes: Vec<String> = ops.iter().map(|o| o.id.clone()).collect();
    let mut edges: Vec<(usize, usize)> = ops.edges().collect();
    edges.sort();
    edges_out(&nodes, &edges, f)
}
