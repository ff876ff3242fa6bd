//! The configuration's dependency graph (petgraph): variables, locals, resources, data sources and
//! outputs, with an edge from each thing to what refers to it. Evaluation follows its topological
//! order; a cycle is reported whole, each step with its source location.
//!
//! Called modules are in the same graph: a node inside a module is named with the module's
//! static path (`module.net.module.eni.` + the name), a module call is a node of its own that
//! everything inside the module follows, and an input variable follows what its argument in the
//! calling module refers to.

use std::collections::HashMap;

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};

use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics, SourceRange};
use crate::lang::eval::Ref;

/// Each name is qualified by its module's static prefix (`module.net.`; nothing in the root).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Var(String),
    Local(String),
    /// `TYPE.NAME` or `data.TYPE.NAME`.
    Resource(String),
    Output(String),
    /// A module call: `module.net` (or `module.net.module.eni`).
    Module(String),
}

/// Splits a qualified name into its module's static call path and the name in that module.
pub fn split(q: &str) -> (Vec<String>, &str) {
    match crate::address::parse_module_path(q, q) {
        Ok((path, rest)) => (path.into_iter().map(|s| s.name).collect(), rest),
        Err(_) => (Vec::new(), q),
    }
}

/// `module.a.module.b.` for the call path `["a", "b"]`.
pub fn prefix_of(path: &[String]) -> String {
    path.iter().map(|n| format!("module.{n}.")).collect()
}

impl Node {
    pub fn label(&self) -> String {
        let kind = |q: &str, what: &str| {
            let (path, name) = split(q);
            format!("{}{what}.{name}", prefix_of(&path))
        };
        match self {
            Node::Var(n) => kind(n, "var"),
            Node::Local(n) => kind(n, "local"),
            Node::Resource(k) | Node::Module(k) => k.clone(),
            Node::Output(n) => kind(n, "output"),
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

/// The nodes a reference made in the module at `prefix` depends on: a whole-module reference
/// depends on all of its outputs.
fn ref_nodes(r: &Ref, prefix: &str, cfg: &Config) -> Vec<Node> {
    match r {
        Ref::Var(n) => vec![Node::Var(format!("{prefix}{n}"))],
        Ref::Local(n) => vec![Node::Local(format!("{prefix}{n}"))],
        Ref::Resource(true, t, n) => vec![Node::Resource(format!("{prefix}data.{t}.{n}"))],
        Ref::Resource(false, t, n) => vec![Node::Resource(format!("{prefix}{t}.{n}"))],
        Ref::Module(m, out) => {
            let child = format!("{prefix}module.{m}");
            let outputs: Vec<Node> = match (cfg.modules.get(m), out) {
                (Some(_), Some(o)) => vec![Node::Output(format!("{child}.{o}"))],
                (Some(c), None) => c
                    .body
                    .outputs
                    .keys()
                    .map(|o| Node::Output(format!("{child}.{o}")))
                    .collect(),
                (None, _) => Vec::new(),
            };
            let mut v = vec![Node::Module(child)];
            v.extend(outputs);
            // The whole module (`depends_on = [module.x]`, `module.x` as a value) also waits
            // for everything the module manages.
            if let (Some(c), None) = (cfg.modules.get(m), out) {
                for sub in c.body.all_modules() {
                    let p = prefix_of(&sub.path);
                    v.extend(
                        sub.resources
                            .iter()
                            .map(|r| Node::Resource(format!("{p}{}", r.key()))),
                    );
                }
            }
            v
        }
    }
}

type Edges = Vec<(Node, Vec<(Node, Option<SourceRange>)>)>;

/// Adds one module's nodes and the edges of their references; `call` is the node of the call
/// that made this module instance (none for the root), which every node inside follows.
fn add_module(
    cfg: &Config,
    graph: &mut DiGraph<Node, Option<SourceRange>>,
    index: &mut HashMap<Node, NodeIndex>,
    edges: &mut Edges,
    call: Option<&Node>,
) {
    let prefix = prefix_of(&cfg.path);
    let resolve = |refs: Vec<(Ref, Option<SourceRange>)>| -> Vec<(Node, Option<SourceRange>)> {
        refs.into_iter()
            .flat_map(|(r, s)| {
                ref_nodes(&r, &prefix, cfg)
                    .into_iter()
                    .map(move |n| (n, s.clone()))
            })
            .collect()
    };
    let mut mine: Vec<(Node, Vec<(Node, Option<SourceRange>)>)> = Vec::new();
    for v in cfg.variables.keys() {
        mine.push((Node::Var(format!("{prefix}{v}")), Vec::new()));
    }
    for (n, l) in &cfg.locals {
        mine.push((Node::Local(format!("{prefix}{n}")), resolve(l.value.refs())));
    }
    for r in &cfg.resources {
        mine.push((
            Node::Resource(format!("{prefix}{}", r.key())),
            resolve(r.refs()),
        ));
    }
    for (n, o) in &cfg.outputs {
        let mut refs = o.value.refs();
        refs.extend(
            o.depends_on
                .iter()
                .map(|(r, s)| (r.clone(), Some(s.clone()))),
        );
        mine.push((Node::Output(format!("{prefix}{n}")), resolve(refs)));
    }
    for (name, m) in &cfg.modules {
        let node = Node::Module(format!("{prefix}module.{name}"));
        mine.push((node.clone(), resolve(m.meta_refs())));
        add_module(&m.body, graph, index, edges, Some(&node));
        let child = prefix_of(&m.body.path);
        // An input variable follows what its argument refers to, in this module.
        for a in &m.args {
            if m.body.variables.contains_key(&a.name) {
                edges.push((
                    Node::Var(format!("{child}{}", a.name)),
                    resolve(a.value.refs()),
                ));
            }
        }
    }
    for (n, mut deps) in mine {
        index
            .entry(n.clone())
            .or_insert_with(|| graph.add_node(n.clone()));
        if let Some(c) = call {
            deps.push((c.clone(), None));
        }
        edges.push((n, deps));
    }
}

pub fn build(cfg: &Config) -> Result<ConfigGraph, Diagnostics> {
    let mut graph: DiGraph<Node, Option<SourceRange>> = DiGraph::new();
    let mut index = HashMap::new();
    let mut edges: Edges = Vec::new();
    add_module(cfg, &mut graph, &mut index, &mut edges, None);
    for (to, deps) in edges {
        let Some(&ti) = index.get(&to) else { continue };
        for (from, span) in deps {
            // References to undeclared names are reported by the evaluator, with suggestions.
            if let Some(&fi) = index.get(&from)
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
