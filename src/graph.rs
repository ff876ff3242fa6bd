//! The configuration's dependency graph (petgraph): variables, locals, resources, data sources and
//! outputs, with an edge from each thing to what refers to it. Evaluation follows its topological
//! order; a cycle is reported whole, each step with its source location.

use std::collections::HashMap;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, SourceRange};
use crate::lang::eval::Ref;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Var(String),
    Local(String),
    /// `TYPE.NAME` or `data.TYPE.NAME`.
    Resource(String),
    Output(String),
}

impl Node {
    pub fn label(&self) -> String {
        match self {
            Node::Var(n) => format!("var.{n}"),
            Node::Local(n) => format!("local.{n}"),
            Node::Resource(k) => k.clone(),
            Node::Output(n) => format!("output.{n}"),
        }
    }
}

pub struct ConfigGraph {
    pub graph: DiGraph<Node, Option<SourceRange>>,
    pub index: HashMap<Node, NodeIndex>,
    /// Dependencies before dependents.
    pub order: Vec<NodeIndex>,
}

impl ConfigGraph {
    pub fn node(&self, n: &Node) -> Option<NodeIndex> {
        self.index.get(n).copied()
    }

    /// The resources (and data sources) a node depends on, looking through the locals and
    /// variables in between: `x = local.a`, `a = other.id` makes x depend on `other`.
    pub fn resource_deps(&self, n: &Node) -> Vec<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<&Node> = self.deps(n);
        while let Some(d) = stack.pop() {
            if !seen.insert(d.clone()) {
                continue;
            }
            match d {
                Node::Resource(k) => {
                    out.insert(k.clone());
                }
                other => stack.extend(self.deps(other)),
            }
        }
        out.into_iter().collect()
    }

    /// What a node depends on directly.
    pub fn deps(&self, n: &Node) -> Vec<&Node> {
        match self.node(n) {
            Some(i) => self
                .graph
                .neighbors_directed(i, petgraph::Direction::Incoming)
                .map(|d| &self.graph[d])
                .collect(),
            None => Vec::new(),
        }
    }
}

fn ref_node(r: &Ref) -> Node {
    match r {
        Ref::Var(n) => Node::Var(n.clone()),
        Ref::Local(n) => Node::Local(n.clone()),
        Ref::Resource(true, t, n) => Node::Resource(format!("data.{t}.{n}")),
        Ref::Resource(false, t, n) => Node::Resource(format!("{t}.{n}")),
    }
}

pub fn build(cfg: &Config) -> Result<ConfigGraph, Diagnostics> {
    let mut graph: DiGraph<Node, Option<SourceRange>> = DiGraph::new();
    let mut index = HashMap::new();
    let mut add = |g: &mut DiGraph<Node, Option<SourceRange>>, n: Node| {
        *index.entry(n.clone()).or_insert_with(|| g.add_node(n))
    };
    let mut edges: Vec<(Node, Vec<(Ref, Option<SourceRange>)>)> = Vec::new();
    for v in cfg.variables.keys() {
        add(&mut graph, Node::Var(v.clone()));
    }
    for (n, l) in &cfg.locals {
        add(&mut graph, Node::Local(n.clone()));
        edges.push((Node::Local(n.clone()), l.value.refs()));
    }
    for r in &cfg.resources {
        let n = Node::Resource(r.key());
        add(&mut graph, n.clone());
        edges.push((n, r.refs()));
    }
    for (n, o) in &cfg.outputs {
        add(&mut graph, Node::Output(n.clone()));
        let mut refs = o.value.refs();
        refs.extend(
            o.depends_on
                .iter()
                .map(|(r, s)| (r.clone(), Some(s.clone()))),
        );
        edges.push((Node::Output(n.clone()), refs));
    }
    for (to, refs) in edges {
        let Some(&ti) = index.get(&to) else { continue };
        for (r, span) in refs {
            // References to undeclared names are reported by the evaluator, with suggestions.
            if let Some(&fi) = index.get(&ref_node(&r))
                && graph.find_edge(fi, ti).is_none()
            {
                graph.add_edge(fi, ti, span);
            }
        }
    }
    let order = match toposort(&graph, None) {
        Ok(o) => o,
        Err(_) => return Err(cycles(&graph, cfg)),
    };
    Ok(ConfigGraph {
        graph,
        index,
        order,
    })
}

fn cycles(graph: &DiGraph<Node, Option<SourceRange>>, cfg: &Config) -> Diagnostics {
    let mut diags = Diagnostics::default();
    for scc in tarjan_scc(graph) {
        let is_cycle = scc.len() > 1 || graph.find_edge(scc[0], scc[0]).is_some();
        if !is_cycle {
            continue;
        }
        // Walk the cycle in reference order so the message reads as a chain.
        let mut members = scc.clone();
        members.sort_by_key(|i| graph[*i].clone());
        let start = members[0];
        let mut chain = vec![start];
        let mut cur = start;
        loop {
            // Edges point from a dependency to what refers to it; walk them backwards so the
            // chain reads "a refers to b refers to c".
            let next = graph
                .neighbors_directed(cur, petgraph::Direction::Incoming)
                .filter(|n| scc.contains(n))
                .min_by_key(|n| graph[*n].clone());
            match next {
                Some(n) if n == start => break,
                Some(n) if !chain.contains(&n) => {
                    chain.push(n);
                    cur = n;
                }
                _ => break,
            }
        }
        let names: Vec<String> = chain.iter().map(|i| graph[*i].label()).collect();
        let mut detail = Vec::new();
        let mut first_range = None;
        for w in 0..chain.len() {
            let from = chain[w];
            let to = chain[(w + 1) % chain.len()];
            if let Some(e) = graph.find_edge(to, from)
                && let Some(r) = &graph[e]
            {
                first_range.get_or_insert_with(|| r.clone());
                detail.push(format!(
                    "{} refers to {} at {}",
                    graph[from].label(),
                    graph[to].label(),
                    cfg.sources.location(r)
                ));
            }
        }
        let mut cycle = names.clone();
        cycle.push(names[0].clone());
        diags.push(
            Diagnostic::error(format!("cycle: {}", cycle.join(" → ")))
                .at(first_range)
                .with_detail(detail.join("\n"))
                .with_help("break the cycle by removing one of these references"),
        );
    }
    diags
}
