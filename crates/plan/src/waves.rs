//! Units, cycle breaking and waves.
//!
//! A *unit* is a resource together with everything carried inside its
//! template (children marked `with_parent`, inline sub-resources). The
//! dependency graph is contracted onto units; edges to resources that are not
//! created in the target (global resources re-configured in place, resources
//! already in the target region) impose no order because those already exist.
//!
//! Cycles are broken explicitly: inside each strongly connected component,
//! soft references (peerings, references found in properties, endpoints,
//! diagnostic destinations) are deferred first; any cycle left is broken at
//! the back edges of a deterministic depth-first search. Every deferred edge
//! is reported with the wave after which it is set.
//!
//! Waves: each unit gets an effective phase (its catalog phase, raised to
//! the latest phase among its dependencies) and a level within that phase
//! (one more than the deepest dependency in the same phase). Waves are the
//! distinct (phase, level) pairs in order, so every dependency lands in a
//! strictly earlier wave. Linear in units + edges.

use std::collections::HashMap;

use azrelo_arm::id::IdKind;
use azrelo_catalog::Phase;
use azrelo_graph::EdgeKind;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::build::{Inputs, Slot};
use crate::model::{
    Action, DeferredReference, PlannedResource, RoleAssignmentPlan, StepMode, Wave,
};

/// A role assignment as a unit of its own.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RaNode {
    pub node: u32,
    /// Index in the plan's role assignment list.
    pub index: usize,
    pub scope: Option<u32>,
    pub principal: Option<u32>,
}

/// The result of wave assignment.
#[derive(Debug, Clone, Default)]
pub(crate) struct Waves {
    /// Wave per graph node (0 for nodes outside the move set).
    pub wave_of: Vec<u32>,
    /// Wave per role assignment (index in the plan list).
    pub ra_wave: HashMap<usize, u32>,
    /// (phase, level) per wave number - 1.
    pub keys: Vec<(Phase, u32)>,
    pub deferred: Vec<DeferredReference>,
}

fn soft(kind: EdgeKind) -> bool {
    matches!(
        kind,
        EdgeKind::VnetPeering
            | EdgeKind::PropertyReference
            | EdgeKind::EndpointReference
            | EdgeKind::DiagnosticDestination
            | EdgeKind::SecurityExport
            | EdgeKind::SecurityWorkspace
    )
}

struct UEdge {
    from: u32,
    to: u32,
    /// Graph edge index, or `None` for role-assignment edges.
    kind: EdgeKind,
    from_node: u32,
    to_node: u32,
    path: Box<str>,
}

pub(crate) fn assign(inp: &Inputs<'_>, slots: &[Option<Slot>], ras: &[RaNode]) -> Waves {
    let g = inp.graph;
    // Unit index per node.
    let mut unit_ix = vec![u32::MAX; g.nodes.len()];
    let mut units: Vec<u32> = Vec::new(); // unit index → root node
    let mut phase: Vec<Phase> = Vec::new();
    for (n, s) in slots.iter().enumerate() {
        if let Some(s) = s
            && s.unit as usize == n
        {
            unit_ix[n] = units.len() as u32;
            units.push(n as u32);
            phase.push(inp.lookup(n as u32).entry().phase);
        }
    }
    let ra_base = units.len();
    for ra in ras {
        units.push(ra.node);
        phase.push(Phase::IdentitiesSecrets);
    }
    let unit_of = |n: u32| -> Option<u32> {
        let s = slots[n as usize].as_ref()?;
        let u = unit_ix[s.unit as usize];
        (u != u32::MAX).then_some(u)
    };
    // What exists in the target before anything moves imposes no order; an
    // owned resource exists once its owner moved, so it orders like a
    // created one.
    let exists_already = |n: u32| -> bool {
        slots[n as usize]
            .as_ref()
            .is_some_and(|s| !s.action.creates_target() && s.action != Action::Owned)
    };
    // Unit edges (u depends on v).
    let mut edges: Vec<UEdge> = Vec::new();
    for (n, s) in slots.iter().enumerate() {
        if s.is_none() {
            continue;
        }
        let n = n as u32;
        let Some(u) = unit_of(n) else { continue };
        for e in g.outgoing(n).filter(|e| e.kind.is_dependency()) {
            let Some(v) = unit_of(e.to) else { continue };
            if u == v || exists_already(units[v as usize]) {
                continue;
            }
            edges.push(UEdge {
                from: u,
                to: v,
                kind: e.kind,
                from_node: n,
                to_node: e.to,
                path: e.path.clone(),
            });
        }
    }
    // An extension resource (a policy assignment on a resource group, an
    // event subscription on a topic) needs its scope to exist first; the
    // graph has no parent edge for it.
    for (n, s) in slots.iter().enumerate() {
        if s.is_none() {
            continue;
        }
        let n = n as u32;
        let id = inp.node_id(n);
        if id.kind() != IdKind::Extension {
            continue;
        }
        let Some(scope) = id.scope() else { continue };
        let (Some(u), Some(sn)) = (unit_of(n), g.node(&scope)) else {
            continue;
        };
        let Some(v) = unit_of(sn) else { continue };
        if u == v || exists_already(units[v as usize]) {
            continue;
        }
        edges.push(UEdge {
            from: u,
            to: v,
            kind: EdgeKind::Parent,
            from_node: n,
            to_node: sn,
            path: "$.id".into(),
        });
    }
    for (i, ra) in ras.iter().enumerate() {
        let u = (ra_base + i) as u32;
        for (dep, kind) in [
            (ra.scope, EdgeKind::RoleAssignmentScope),
            (ra.principal, EdgeKind::RoleAssignmentPrincipal),
        ] {
            if let Some(d) = dep
                && let Some(v) = unit_of(d)
                && !exists_already(units[v as usize])
            {
                edges.push(UEdge {
                    from: u,
                    to: v,
                    kind,
                    from_node: ra.node,
                    to_node: d,
                    path: "$".into(),
                });
            }
        }
    }
    let removed = break_cycles(inp, units.len(), &units, &edges);
    // Kahn over the remaining DAG: dependencies first.
    let nu = units.len();
    let mut remaining = vec![0u32; nu];
    let mut dependents: Vec<Vec<u32>> = vec![Vec::new(); nu];
    for (i, e) in edges.iter().enumerate() {
        if removed[i] {
            continue;
        }
        remaining[e.from as usize] += 1;
        dependents[e.to as usize].push(e.from);
    }
    let mut eff: Vec<Phase> = phase.clone();
    let mut level = vec![0u32; nu];
    let mut queue: Vec<u32> = (0..nu as u32)
        .filter(|&u| remaining[u as usize] == 0)
        .collect();
    let mut head = 0;
    while head < queue.len() {
        let v = queue[head];
        head += 1;
        for &u in &dependents[v as usize] {
            let (pv, lv) = (eff[v as usize], level[v as usize]);
            let (pu, lu) = (eff[u as usize], level[u as usize]);
            if pv > pu {
                eff[u as usize] = pv;
                level[u as usize] = lv + 1;
            } else if pv == pu && lv + 1 > lu {
                level[u as usize] = lv + 1;
            }
            remaining[u as usize] -= 1;
            if remaining[u as usize] == 0 {
                queue.push(u);
            }
        }
    }
    debug_assert_eq!(queue.len(), nu, "cycle left after breaking");
    // Waves: distinct (phase, level) in order.
    let mut keys: Vec<(Phase, u32)> = (0..nu).map(|u| (eff[u], level[u])).collect();
    keys.sort();
    keys.dedup();
    let number: HashMap<(Phase, u32), u32> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, i as u32 + 1))
        .collect();
    let unit_wave: Vec<u32> = (0..nu).map(|u| number[&(eff[u], level[u])]).collect();
    let mut wave_of = vec![0u32; g.nodes.len()];
    for (n, s) in slots.iter().enumerate() {
        if s.is_some()
            && let Some(u) = unit_of(n as u32)
        {
            wave_of[n] = unit_wave[u as usize];
        }
    }
    let mut ra_wave = HashMap::new();
    for (i, ra) in ras.iter().enumerate() {
        ra_wave.insert(ra.index, unit_wave[ra_base + i]);
    }
    let mut deferred = Vec::new();
    for (i, e) in edges.iter().enumerate() {
        if !removed[i] {
            continue;
        }
        let after = unit_wave[e.from as usize].max(unit_wave[e.to as usize]);
        let explanation = if e.kind == EdgeKind::VnetPeering {
            format!(
                "peered networks refer to each other; the peering is created after both networks exist (after wave {after})"
            )
        } else {
            format!(
                "part of a dependency cycle: deployed without this reference first, then updated to set it after wave {after}"
            )
        };
        deferred.push(DeferredReference {
            from: inp.node_id(e.from_node).to_string(),
            to: inp.node_id(e.to_node).to_string(),
            kind: e.kind.name().into(),
            path: e.path.to_string(),
            set_after_wave: after,
            explanation,
        });
    }
    deferred.sort_by(|a, b| (&a.from, &a.to, &a.path).cmp(&(&b.from, &b.to, &b.path)));
    Waves {
        wave_of,
        ra_wave,
        keys,
        deferred,
    }
}

/// Which edges to remove so the unit graph is acyclic.
fn break_cycles(inp: &Inputs<'_>, nu: usize, units: &[u32], edges: &[UEdge]) -> Vec<bool> {
    let mut removed = vec![false; edges.len()];
    let comps = |removed: &[bool]| -> Vec<u32> {
        let mut pg = DiGraph::<(), ()>::with_capacity(nu, edges.len());
        for _ in 0..nu {
            pg.add_node(());
        }
        for (i, e) in edges.iter().enumerate() {
            if !removed[i] {
                pg.add_edge(
                    NodeIndex::new(e.from as usize),
                    NodeIndex::new(e.to as usize),
                    (),
                );
            }
        }
        let mut comp = vec![u32::MAX; nu];
        for (ci, scc) in tarjan_scc(&pg).into_iter().enumerate() {
            if scc.len() > 1 {
                for ix in scc {
                    comp[ix.index()] = ci as u32;
                }
            }
        }
        comp
    };
    let comp = comps(&removed);
    let intra = |comp: &[u32], e: &UEdge| {
        comp[e.from as usize] != u32::MAX && comp[e.from as usize] == comp[e.to as usize]
    };
    let mut any = false;
    for (i, e) in edges.iter().enumerate() {
        if intra(&comp, e) && soft(e.kind) {
            removed[i] = true;
            any = true;
        }
    }
    let comp = if any { comps(&removed) } else { comp };
    // Remaining cycles: back edges of a DFS in id order.
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); nu];
    let mut members: Vec<u32> = Vec::new();
    for (i, e) in edges.iter().enumerate() {
        if !removed[i] && intra(&comp, e) {
            adj[e.from as usize].push(i);
        }
    }
    for u in 0..nu {
        if comp[u] != u32::MAX {
            members.push(u as u32);
            adj[u].sort_by(|a, b| {
                inp.node_id(units[edges[*a].to as usize])
                    .cmp(inp.node_id(units[edges[*b].to as usize]))
            });
        }
    }
    members.sort_by(|a, b| {
        inp.node_id(units[*a as usize])
            .cmp(inp.node_id(units[*b as usize]))
    });
    let mut color = vec![0u8; nu];
    for &start in &members {
        if color[start as usize] != 0 {
            continue;
        }
        let mut stack: Vec<(u32, usize)> = vec![(start, 0)];
        color[start as usize] = 1;
        while let Some(&mut (u, ref mut next)) = stack.last_mut() {
            if *next < adj[u as usize].len() {
                let ei = adj[u as usize][*next];
                *next += 1;
                let v = edges[ei].to;
                match color[v as usize] {
                    0 => {
                        color[v as usize] = 1;
                        stack.push((v, 0));
                    }
                    1 => removed[ei] = true,
                    _ => {}
                }
            } else {
                color[u as usize] = 2;
                stack.pop();
            }
        }
    }
    removed
}

/// Human title of a phase family.
pub fn phase_title(p: Phase) -> &'static str {
    match p {
        Phase::ResourceGroups => "Resource groups",
        Phase::Network => "Network",
        Phase::IdentitiesSecrets => "Identities and secrets",
        Phase::DataStores => "Data stores",
        Phase::ComputeApps => "Compute and apps",
        Phase::MonitoringSecurity => "Monitoring and security",
        Phase::Cutover => "Cut-over",
        Phase::Cleanup => "Clean-up",
    }
}

pub(crate) fn wave_list(
    w: &Waves,
    resources: &[PlannedResource],
    ras: &[RoleAssignmentPlan],
) -> Vec<Wave> {
    let mut out: Vec<Wave> = w
        .keys
        .iter()
        .enumerate()
        .map(|(i, (p, _))| {
            let same_phase_before = w.keys[..i].iter().filter(|(q, _)| q == p).count();
            let more = w.keys.iter().filter(|(q, _)| q == p).count() > 1;
            let title = if more {
                format!("{} ({})", phase_title(*p), same_phase_before + 1)
            } else {
                phase_title(*p).to_string()
            };
            Wave {
                number: i as u32 + 1,
                phase: *p,
                title,
                resources: Vec::new(),
                role_assignments: 0,
                manual_gates: 0,
            }
        })
        .collect();
    for r in resources {
        if r.wave == 0 || r.carried_by.is_some() {
            continue;
        }
        let wv = &mut out[r.wave as usize - 1];
        wv.resources.push(r.source_id.as_str().into());
        if r.action != Action::Keep {
            wv.manual_gates += r
                .steps
                .iter()
                .filter(|s| s.mode == StepMode::ManualGate)
                .count();
        }
    }
    for ra in ras {
        if ra.wave > 0 {
            out[ra.wave as usize - 1].role_assignments += 1;
        }
    }
    out
}
