//! Independent checks of a finished plan against its estate and graph. The
//! planner is built to satisfy them; the tests (and `azrelo plan`, which
//! refuses to write a plan that violates them) hold it to that.

use std::collections::{HashMap, HashSet};

use azrelo_arm::IdIndex;
use azrelo_arm::id::ResourceId;
use azrelo_estate::Estate;
use azrelo_graph::{EdgeKind, Graph, NodeKind};

use crate::model::*;

/// Every violated invariant, as a readable sentence (empty: all hold).
pub fn check_invariants(plan: &Plan, estate: &Estate, graph: &Graph) -> Vec<String> {
    let mut out = Vec::new();
    let mut by_id: HashMap<ResourceId, usize> = HashMap::new();
    for (i, r) in plan.resources.iter().enumerate() {
        match ResourceId::parse(r.source_id.as_str()) {
            Ok(id) => {
                by_id.insert(id, i);
            }
            Err(e) => out.push(format!("resource id {} does not parse: {e}", r.source_id)),
        }
    }
    // Resolve a graph node to a planned resource (inline sub-resources to
    // their parent).
    let resolve = |n: u32| -> Option<usize> {
        let mut cur = n;
        for _ in 0..16 {
            if let Some(&i) = by_id.get(&graph.nodes[cur as usize].id) {
                return Some(i);
            }
            if graph.nodes[cur as usize].kind != NodeKind::Inline {
                return None;
            }
            cur = graph.outgoing(cur).find(|e| e.kind == EdgeKind::Parent)?.to;
        }
        None
    };
    let unit = |i: usize| -> &ResourceId {
        plan.resources[i]
            .carried_by
            .as_ref()
            .unwrap_or(&plan.resources[i].source_id)
    };
    let deferred: HashSet<(String, String)> = plan
        .deferred_references
        .iter()
        .map(|d| (d.from.to_ascii_lowercase(), d.to.to_ascii_lowercase()))
        .collect();
    // 1. Wave order.
    for e in graph.edges.iter().filter(|e| e.kind.is_dependency()) {
        let (Some(a), Some(b)) = (resolve(e.from), resolve(e.to)) else {
            continue;
        };
        let (ra, rb) = (&plan.resources[a], &plan.resources[b]);
        // A dependency on something that already exists in the target (a
        // global resource re-configured in place, a resource kept) imposes
        // no order; the unit root decides.
        let root_b = rb
            .carried_by
            .as_ref()
            .and_then(|c| by_id.get(c).copied())
            .unwrap_or(b);
        if unit(a) == unit(b) || !plan.resources[root_b].action.creates_target() {
            continue;
        }
        let key = (
            graph.nodes[e.from as usize]
                .id
                .as_str()
                .to_ascii_lowercase(),
            graph.nodes[e.to as usize].id.as_str().to_ascii_lowercase(),
        );
        if deferred.contains(&key) {
            continue;
        }
        if ra.wave <= rb.wave {
            out.push(format!(
                "{} (wave {}) depends on {} (wave {}) via {} at {}, but is not in a later wave",
                ra.source_id,
                ra.wave,
                rb.source_id,
                rb.wave,
                e.kind.name(),
                e.path
            ));
        }
    }
    let by_source: HashMap<&ResourceId, usize> = plan
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.source_id, i))
        .collect();
    let target_to_res: IdIndex<usize> = plan
        .resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.target_id.clone(), i))
        .collect();
    for ra in &plan.role_assignments {
        if let Some(&s) = target_to_res.get(&ra.target_scope)
            && plan.resources[s].action.creates_target()
            && ra.wave <= plan.resources[s].wave
        {
            out.push(format!(
                "role assignment {} (wave {}) is not after its scope {} (wave {})",
                ra.source_id, ra.wave, plan.resources[s].source_id, plan.resources[s].wave
            ));
        }
        if let TargetPrincipal::NewPrincipalOf { identity } = &ra.target_principal
            && let Some(&p) = target_to_res.get(identity)
            && ra.wave <= plan.resources[p].wave
        {
            out.push(format!(
                "role assignment {} (wave {}) is not after its principal's identity {} (wave {})",
                ra.source_id, ra.wave, plan.resources[p].source_id, plan.resources[p].wave
            ));
        }
    }
    // 2. Unique target ids among created resources, none equal to a source
    // id (the sources still exist while the targets are created).
    let mut seen: HashMap<&ResourceId, &ResourceId> = HashMap::new();
    for r in plan.resources.iter().filter(|r| r.action.creates_target()) {
        if by_source.contains_key(&r.target_id) {
            out.push(format!(
                "{} is created at {}, which is the id of a source resource",
                r.source_id, r.target_id
            ));
        }
        if let Some(other) = seen.insert(&r.target_id, &r.source_id)
            && !plan
                .findings
                .iter()
                .any(|f| f.code == "target-id-collision")
        {
            out.push(format!(
                "{} and {} get the same target id {}",
                other, r.source_id, r.target_id
            ));
        }
    }
    // 3. Role assignments naming a recreated principal are in the list
    // (or a finding says which listed one stands for them: ARM keeps one
    // assignment per principal, role and scope).
    let listed: HashSet<String> = plan
        .role_assignments
        .iter()
        .map(|r| r.source_id.to_ascii_lowercase())
        .chain(
            plan.findings
                .iter()
                .filter(|f| f.code == "role-assignment-duplicate")
                .filter_map(|f| f.resource.as_deref().map(str::to_ascii_lowercase)),
        )
        .collect();
    for ra in &estate.role_assignments {
        let Some(n) = graph.node(&ra.id) else {
            continue;
        };
        let Some(p) = graph
            .outgoing(n)
            .find(|e| e.kind == EdgeKind::RoleAssignmentPrincipal)
            .map(|e| e.to)
        else {
            continue;
        };
        let Some(&i) = by_source.get(&graph.nodes[p as usize].id) else {
            continue;
        };
        if plan.resources[i].action.creates_target()
            && !listed.contains(&ra.id.as_str().to_ascii_lowercase())
        {
            out.push(format!(
                "role assignment {} names the principal of {}, which is recreated, but is not in the recreate list",
                ra.id, plan.resources[i].source_id
            ));
        }
    }
    // 4. Nothing global is moved.
    for r in &plan.resources {
        let global = r.strategy == Strategy::Global || r.action == Action::Reconfigure;
        if global
            && (r.action.creates_target()
                || r.target_id != r.source_id
                || r.steps.iter().any(|s| s.kind == StepKind::Deploy))
        {
            out.push(format!(
                "{} is global but is planned as {} to {}",
                r.source_id,
                r.action.as_str(),
                r.target_id
            ));
        }
    }
    // 5. What an owner creates or a service installs is never deployed or
    // deleted on its own, and comes after its owner (ARCHITECTURE.md,
    // invariant 9).
    for (n, o) in graph.owned() {
        if !o.relation.is_owned() {
            continue;
        }
        let Some(&i) = by_source.get(&graph.nodes[n as usize].id) else {
            continue;
        };
        let r = &plan.resources[i];
        if r.action == Action::Keep {
            continue;
        }
        let own_steps = r.steps.iter().find(|s| {
            matches!(
                s.kind,
                StepKind::Deploy | StepKind::DeleteSource | StepKind::GenerateTemplate
            )
        });
        if r.action != Action::Owned || own_steps.is_some() {
            out.push(format!(
                "{} belongs to {} but is planned as {}{}",
                r.source_id,
                o.owner
                    .map(|w| graph.nodes[w as usize].id.to_string())
                    .unwrap_or_else(|| "a platform service".into()),
                r.action.as_str(),
                own_steps
                    .map(|s| format!(" with its own {:?} step", s.kind))
                    .unwrap_or_default()
            ));
        }
        if let Some(w) = o.owner
            && let Some(&j) = by_source.get(&graph.nodes[w as usize].id)
            && plan.resources[j].action.creates_target()
            && r.wave < plan.resources[j].wave
        {
            out.push(format!(
                "{} (wave {}) is verified before its owner {} (wave {}) moved",
                r.source_id, r.wave, plan.resources[j].source_id, plan.resources[j].wave
            ));
        }
    }
    out
}
