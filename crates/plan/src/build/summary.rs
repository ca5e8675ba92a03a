//! Workloads and the summary counts of a plan.

use std::collections::HashMap;

use azrelo_arm::id::ResourceId;
use azrelo_catalog::Severity;

use crate::waves;

use super::*;

pub(super) fn downtime_rank(d: Downtime) -> u8 {
    match d {
        Downtime::Hot => 0,
        Downtime::Warm => 1,
        Downtime::Cold => 2,
    }
}

pub(super) fn workloads(resources: &[PlannedResource]) -> Vec<Workload> {
    let mut by_rg: Vec<(String, Workload)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in resources {
        if !r.action.creates_target() || r.carried_by.is_some() {
            continue;
        }
        let Ok(id) = ResourceId::parse(r.source_id.as_str()) else {
            continue;
        };
        let Some(rg) = id.resource_group_id() else {
            continue;
        };
        let key = rg.as_str().to_ascii_lowercase();
        let i = *index.entry(key.clone()).or_insert_with(|| {
            by_rg.push((
                key,
                Workload {
                    resource_group: rg.to_string(),
                    resources: 0,
                    downtime: Downtime::Hot,
                    driven_by: Vec::new(),
                },
            ));
            by_rg.len() - 1
        });
        let w = &mut by_rg[i].1;
        w.resources += 1;
        let (a, b) = (downtime_rank(r.downtime), downtime_rank(w.downtime));
        if a > b {
            w.downtime = r.downtime;
            w.driven_by = vec![r.source_id.to_string()];
        } else if a == b && a > 0 && w.driven_by.len() < 5 {
            w.driven_by.push(r.source_id.to_string());
        }
    }
    let mut out: Vec<Workload> = by_rg.into_iter().map(|(_, w)| w).collect();
    out.sort_by(|a, b| a.resource_group.cmp(&b.resource_group));
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn summarize(
    resources: &[PlannedResource],
    ras: &[RoleAssignmentPlan],
    waves: &[Wave],
    findings: &[Finding],
    gates: &[GatePlan],
    w: &waves::Waves,
    external: &[ExternalReference],
    uncatalogued: usize,
) -> Summary {
    let mut s = Summary {
        resources: resources.len(),
        role_assignments: ras.len(),
        waves: waves.len(),
        deferred_references: w.deferred.len(),
        external_references: external.len(),
        uncatalogued_types: uncatalogued,
        ..Summary::default()
    };
    for r in resources {
        match r.reason.kind {
            ReasonKind::Selected => s.selected += 1,
            ReasonKind::Dependency => s.added_as_dependencies += 1,
            _ => s.added_as_dependents += 1,
        }
        if r.carried_by.is_some() {
            s.carried_with_parent += 1;
            continue;
        }
        match r.action {
            Action::Move => s.moved += 1,
            Action::Recreate => s.recreated += 1,
            Action::Reconfigure => s.reconfigured += 1,
            Action::Manual => s.manual += 1,
            Action::Keep => s.kept += 1,
            Action::Owned => s.owned += 1,
        }
    }
    // The gates the run stops at (manual checklist items are work, not
    // gates: the checklist lists them).
    s.manual_gates = gates.len();
    for f in findings {
        match f.severity {
            Severity::Blocker => s.blockers += 1,
            Severity::Warning => s.warnings += 1,
            Severity::Info => s.infos += 1,
        }
    }
    s
}
