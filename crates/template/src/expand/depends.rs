//! `dependsOn` resolution within one template: entries by id, name,
//! `type/name`, copy-loop name or symbolic name, plus `reference()` by name;
//! dependencies on condition-false resources dropped; cycles of exact edges
//! rejected (as ARM does at validation), guessed edges that would close one
//! dropped with a warning.

use super::frame::Cx;
use super::resources::interleave;
use crate::eval::EvalError;
use std::collections::{HashMap, HashSet};

/// What a recorded resource needs for its `dependsOn` to be resolved.
pub(super) struct PendingDeps {
    pub raw: Vec<String>,
    pub referenced: Vec<String>,
    pub symbolic: Option<String>,
    pub copy_name: Option<String>,
}

/// A lower-case id in which ARM's equivalent spellings of a resource group id
/// coincide: `subscriptionResourceId('Microsoft.Resources/resourceGroups', rg)`
/// yields `/subscriptions/s/providers/Microsoft.Resources/resourceGroups/rg`.
pub(super) fn canonical_id(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    match lower.find("/providers/microsoft.resources/resourcegroups/") {
        Some(i) if lower[..i].matches('/').count() == 2 => {
            format!(
                "{}/resourcegroups/{}",
                &lower[..i],
                &lower[i + "/providers/microsoft.resources/resourcegroups/".len()..]
            )
        }
        _ => lower,
    }
}

/// Lookup tables over one frame's resources (indexes into its `mine`).
#[derive(Default)]
struct Index {
    by_id: HashMap<String, Vec<usize>>,
    by_full_name: HashMap<String, Vec<usize>>,
    by_last_name: HashMap<String, Vec<usize>>,
    by_path: HashMap<String, Vec<usize>>,
    by_copy: HashMap<String, Vec<usize>>,
    by_symbol: HashMap<String, Vec<usize>>,
}

impl Cx<'_, '_> {
    /// Resolve `dependsOn` (and `reference()`-by-name) entries of this frame's resources.
    pub(super) fn resolve_depends_on(&mut self) -> Result<(), EvalError> {
        let mine = std::mem::take(&mut self.fm().mine);
        let existing = std::mem::take(&mut self.fm().existing_symbols);
        let file = self.fr().file.clone();
        let resources = &self.eng.out.resources;
        let mut ix = Index::default();
        for (k, (idx, p)) in mine.iter().enumerate() {
            let r = &resources[*idx];
            ix.by_id.entry(canonical_id(&r.id)).or_default().push(k);
            ix.by_full_name
                .entry(r.name.to_ascii_lowercase())
                .or_default()
                .push(k);
            if let Some(last) = r.name.rsplit('/').next()
                && last.len() != r.name.len()
            {
                ix.by_last_name
                    .entry(last.to_ascii_lowercase())
                    .or_default()
                    .push(k);
            }
            ix.by_path
                .entry(interleave(&r.resource_type, &r.name).to_ascii_lowercase())
                .or_default()
                .push(k);
            if let Some(c) = &p.copy_name {
                ix.by_copy
                    .entry(c.to_ascii_lowercase())
                    .or_default()
                    .push(k);
            }
            if let Some(s) = &p.symbolic {
                ix.by_symbol
                    .entry(s.to_ascii_lowercase())
                    .or_default()
                    .push(k);
                if let Some(ci) = r.copy_index {
                    ix.by_symbol
                        .entry(format!("{}[{ci}]", s.to_ascii_lowercase()))
                        .or_default()
                        .push(k);
                }
            }
        }
        let mut warnings = Vec::new();
        // ARM rejects a template that declares the same resource twice; report
        // it (compiler test baselines do it on purpose) and keep expanding.
        for ks in ix.by_id.values() {
            let deployed: Vec<usize> = ks
                .iter()
                .copied()
                .filter(|&k| resources[mine[k].0].condition)
                .collect();
            if deployed.len() > 1 {
                warnings.push(format!(
                    "{file}: the resource '{}' is declared {} times; Azure Resource Manager rejects duplicates",
                    resources[mine[deployed[0]].0].id,
                    deployed.len()
                ));
            }
        }
        // Per resource: (dependency, weak). A weak edge comes from a plain name
        // that matches several resources (or only a child's last name segment):
        // ARM's own resolution is exact, ours can only guess among candidates.
        let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new(); mine.len()];
        for (k, (idx, p)) in mine.iter().enumerate() {
            let r = &resources[*idx];
            for (entry, explicit) in p
                .raw
                .iter()
                .map(|e| (e, true))
                .chain(p.referenced.iter().map(|e| (e, false)))
            {
                let key = entry.to_ascii_lowercase();
                let (hits, weak): (Option<&Vec<usize>>, bool) = if key.starts_with('/') {
                    (ix.by_id.get(&canonical_id(&key)), false)
                } else if let Some(h) = ix.by_symbol.get(&key).or_else(|| ix.by_copy.get(&key)) {
                    (Some(h), false)
                } else if let Some(h) = ix.by_path.get(&key).or_else(|| ix.by_full_name.get(&key)) {
                    (Some(h), h.len() > 1)
                } else {
                    (ix.by_last_name.get(&key), true)
                };
                match hits {
                    Some(h) => edges[k].extend(h.iter().copied().filter(|&d| d != k).map(|d| (d, weak))),
                    None if explicit && !key.starts_with('/') && !existing.contains(&key) => warnings.push(format!(
                        "{file}: dependsOn entry '{entry}' of '{}' names no resource of the template; ignored",
                        r.name
                    )),
                    None => {}
                }
            }
            // Dependencies on condition-false resources are dropped (ARM's rule).
            edges[k].retain(|(d, _)| resources[mine[*d].0].condition);
            let mut seen = HashSet::new();
            edges[k].retain(|(d, _)| seen.insert(*d));
        }
        // ARM rejects circular dependencies at validation: a cycle of exact
        // edges is an error, reported by name.
        let strong: Vec<Vec<usize>> = edges
            .iter()
            .map(|e| e.iter().filter(|(_, w)| !w).map(|(d, _)| *d).collect())
            .collect();
        if let Some(cycle) = find_cycle(&strong) {
            let names: Vec<String> = cycle
                .iter()
                .map(|&k| resources[mine[k].0].name.clone())
                .collect();
            return Err(EvalError::new(format!(
                "circular dependency between resources: {} -> {}",
                names.join(" -> "),
                names[0]
            ))
            .at_path("$.resources"));
        }
        // A guessed edge that would close a cycle is dropped, with a warning.
        let mut graph = strong;
        for (k, list) in edges.iter().enumerate() {
            for &(d, weak) in list {
                if weak && !graph[k].contains(&d) {
                    if reaches(&graph, d, k) {
                        warnings.push(format!(
                            "{file}: the ambiguous dependsOn name from '{}' to '{}' would form a cycle; ignored",
                            resources[mine[k].0].name,
                            resources[mine[d].0].name
                        ));
                    } else {
                        graph[k].push(d);
                    }
                }
            }
        }
        let resolved: Vec<(usize, Vec<String>)> = graph
            .iter()
            .enumerate()
            .map(|(k, ds)| {
                (
                    mine[k].0,
                    ds.iter()
                        .map(|&d| resources[mine[d].0].id.clone())
                        .collect(),
                )
            })
            .collect();
        let out = &mut self.eng.out;
        for (idx, ids) in resolved {
            out.resources[idx].depends_on = ids;
        }
        out.warnings.extend(warnings);
        Ok(())
    }
}

/// Whether `to` is reachable from `from` (iterative DFS).
fn reaches(graph: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; graph.len()];
    let mut stack = vec![from];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if !std::mem::replace(&mut seen[n], true) {
            stack.extend(graph[n].iter().copied());
        }
    }
    false
}

/// One cycle of a directed graph (as node indices), if any. Iterative,
/// linear in nodes + edges.
fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    // 0 = unvisited, 1 = on stack, 2 = done
    let mut state = vec![0u8; edges.len()];
    let mut parent = vec![usize::MAX; edges.len()];
    for start in 0..edges.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < edges[node].len() {
                let to = edges[node][*next];
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        parent[to] = node;
                        stack.push((to, 0));
                    }
                    1 => {
                        // Back edge node -> to: walk parents from node up to `to`.
                        let mut cycle = vec![node];
                        let mut cur = node;
                        while cur != to {
                            cur = parent[cur];
                            cycle.push(cur);
                        }
                        cycle.reverse();
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    None
}
