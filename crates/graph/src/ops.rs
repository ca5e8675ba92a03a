//! Graph operations over dependency edges (back-references excluded).

use crate::Graph;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

/// A strongly connected component with more than one node (or a self loop).
#[derive(Debug, Clone, Serialize)]
pub struct Cycle {
    /// Resource ids in the cycle.
    pub members: Vec<String>,
}

fn dependency_graph(g: &Graph) -> DiGraph<(), ()> {
    let mut pg = DiGraph::<(), ()>::with_capacity(g.nodes.len(), g.edges.len());
    for _ in 0..g.nodes.len() {
        pg.add_node(());
    }
    for e in g.edges.iter().filter(|e| e.kind.is_dependency()) {
        pg.add_edge(
            NodeIndex::new(e.from as usize),
            NodeIndex::new(e.to as usize),
            (),
        );
    }
    pg
}

/// Everything `selection` needs, transitively (the selection included).
pub fn closure(g: &Graph, selection: &[u32]) -> Vec<u32> {
    walk(g, selection, true)
}

/// Everything that (transitively) depends on `selection`: what breaks if it moves.
pub fn reverse_dependencies(g: &Graph, selection: &[u32]) -> Vec<u32> {
    walk(g, selection, false)
}

fn walk(g: &Graph, start: &[u32], forward: bool) -> Vec<u32> {
    let mut seen = vec![false; g.nodes.len()];
    let mut stack: Vec<u32> = start.to_vec();
    let mut out = Vec::new();
    while let Some(n) = stack.pop() {
        if std::mem::replace(&mut seen[n as usize], true) {
            continue;
        }
        out.push(n);
        let next: Vec<u32> = if forward {
            g.outgoing(n)
                .filter(|e| e.kind.is_dependency())
                .map(|e| e.to)
                .collect()
        } else {
            g.incoming(n)
                .filter(|e| e.kind.is_dependency())
                .map(|e| e.from)
                .collect()
        };
        stack.extend(next.into_iter().filter(|m| !seen[*m as usize]));
    }
    out.sort_unstable();
    out
}

/// Dependency cycles (strongly connected components), reported by id.
pub fn cycles(g: &Graph) -> Vec<Cycle> {
    let pg = dependency_graph(g);
    let mut out: Vec<Cycle> = petgraph::algo::tarjan_scc(&pg)
        .into_iter()
        .filter(|c| c.len() > 1 || pg.contains_edge(c[0], c[0]))
        .map(|c| {
            let mut members: Vec<String> = c
                .iter()
                .map(|n| g.nodes[n.index()].id.to_string())
                .collect();
            members.sort();
            Cycle { members }
        })
        .collect();
    out.sort_by(|a, b| a.members.cmp(&b.members));
    out
}

/// Nodes ordered so that every node comes after everything it depends on, or
/// the cycles that prevent such an order.
pub fn topological_order(g: &Graph) -> Result<Vec<u32>, Vec<Cycle>> {
    let pg = dependency_graph(g);
    match petgraph::algo::toposort(&pg, None) {
        // toposort puts `from` before `to`; dependencies (`to`) must come first.
        Ok(order) => Ok(order.into_iter().rev().map(|n| n.index() as u32).collect()),
        Err(_) => Err(cycles(g)),
    }
}
