//! What a reviewer asks of a plan beyond its decisions: the gates a run
//! will actually stop at, how long each wave should take and how long each
//! workload is down — derived from the plan and the catalog's planned
//! durations (`durations.toml`), each estimate with its basis.
//!
//! Gates are counted the way the orchestrator builds them
//! (`azrelo_orchestrate::RunPlan::load`): per resource, a gate before the
//! move for each manual data copy / export step (and for an automated data
//! copy azrelo does not run itself — every mover but the disk snapshot
//! copy), a gate after the move for each manual final sync or manual
//! relocation, and one for a manual resource without such a step — a
//! resource the plan marks manual, or one whose type the catalog says the
//! generator never emits (`not_generated`). Plan-wide checklist and
//! scenario steps are not gates a run stops at. The generator also turns a
//! resource whose body is missing from the inputs into a manual unit (one
//! more gate); `azrelo gate list` after `azrelo generate` is the final word.

use std::collections::{BTreeMap, HashMap, HashSet};

use azrelo_catalog::{Catalog, Downtime, StepMode};

use crate::model::{Action, Plan, PlannedResource, StepKind};

/// The data mover the orchestrator runs itself (no gate for its copy).
const AUTOMATED_MOVER: &str = "disk-snapshot-copy";

/// A gate a run stops at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunGate {
    /// The id `azrelo gate done` takes (`start-data-copy:kv-shop-weu-01`).
    pub id: String,
    /// The resource whose step it is (source id).
    pub resource: String,
    /// Its target name.
    pub target_name: String,
    /// The step kind (`start-data-copy`, `final-sync`, …; `manual` for a
    /// manual resource).
    pub kind: String,
    /// Before the resource's move (else after it).
    pub before_move: bool,
    /// What the operator does.
    pub instruction: String,
    pub wave: u32,
}

fn kind_name(k: StepKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "gate".into())
}

fn is_disk_copy(p: &PlannedResource) -> bool {
    p.data_mover.as_deref() == Some(AUTOMATED_MOVER)
        && p.resource_type
            .eq_ignore_ascii_case("Microsoft.Compute/disks")
        && p.steps
            .iter()
            .any(|s| s.kind == StepKind::StartDataCopy && s.mode == StepMode::Automated)
}

/// Every gate the run of this plan stops at, in the orchestrator's order and
/// with its ids.
pub fn run_gates(plan: &Plan, catalog: &Catalog) -> Vec<RunGate> {
    let by_source: HashMap<String, &PlannedResource> = plan
        .resources
        .iter()
        .map(|r| (r.source_id.as_str().to_ascii_lowercase(), r))
        .collect();
    // The unit that owns a resource's gates: its own, or its carrier's.
    // A resource the generator never emits is a (manual) unit of its own,
    // even when a parent carries its kind.
    let not_generated = |p: &PlannedResource| -> Option<&str> {
        catalog
            .entry(&p.resource_type)
            .entry()
            .not_generated
            .as_deref()
            .filter(|_| matches!(p.action, Action::Move | Action::Recreate))
    };
    fn owner<'p>(
        by_source: &HashMap<String, &'p PlannedResource>,
        p: &'p PlannedResource,
        own_unit: bool,
    ) -> Option<&'p PlannedResource> {
        let own = match &p.carried_by {
            Some(c) if !own_unit => by_source.get(&c.as_str().to_ascii_lowercase()).copied()?,
            _ => p,
        };
        (own.action != Action::Keep).then_some(own)
    }
    let mut ids: HashSet<String> = HashSet::new();
    let mut unique = |base: String| {
        let mut id = base.clone();
        let mut n = 2;
        while !ids.insert(id.to_ascii_lowercase()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    };
    let mut out = Vec::new();
    let mut has_after: HashSet<String> = HashSet::new();
    for p in &plan.resources {
        let Some(o) = owner(&by_source, p, not_generated(p).is_some()) else {
            continue;
        };
        let disk = is_disk_copy(o);
        for s in p.steps.iter() {
            let before = match s.kind {
                StepKind::StartDataCopy | StepKind::ExportConfiguration => true,
                StepKind::FinalSync => disk,
                StepKind::ManualRelocation => false,
                _ => continue,
            };
            let automated = s.mode == StepMode::Automated;
            let instruction = match (s.kind, automated) {
                (StepKind::StartDataCopy, true) if disk => continue,
                (StepKind::StartDataCopy, true) => format!(
                    "copy the data of {} ({}): azrelo does not automate this data mover; run it, then close the gate",
                    p.name,
                    p.data_mover.as_deref().unwrap_or("data mover")
                ),
                (_, true) => continue,
                (k, false) if s.detail.is_empty() => format!("{} of {}", kind_name(k), p.name),
                (k, false) => format!("{} of {}: {}", kind_name(k), p.name, s.detail),
            };
            let kind = kind_name(s.kind);
            if !before {
                has_after.insert(o.target_id.as_str().to_ascii_lowercase());
            }
            out.push(RunGate {
                id: unique(gate_id(&format!("{kind}:{}", p.target_name))),
                resource: p.source_id.to_string(),
                target_name: p.target_name.to_string(),
                kind,
                before_move: before,
                instruction,
                wave: p.wave,
            });
        }
    }
    for p in &plan.resources {
        let note = match (p.action, not_generated(p)) {
            (_, Some(why)) => why,
            (Action::Manual, None) if p.carried_by.is_none() => {
                "the plan marks this resource manual"
            }
            _ => continue,
        };
        if has_after.contains(&p.target_id.as_str().to_ascii_lowercase()) {
            continue;
        }
        out.push(RunGate {
            id: unique(gate_id(&format!("manual:{}", p.target_name))),
            resource: p.source_id.to_string(),
            target_name: p.target_name.to_string(),
            kind: "manual".into(),
            before_move: false,
            instruction: format!(
                "relocate {} yourself ({note}), then close the gate",
                p.target_name
            ),
            wave: p.wave,
        });
    }
    out.sort_by_key(|g| g.wave);
    out
}

/// Planned duration of one wave.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaveEstimate {
    pub number: u32,
    /// Minutes from the wave's start until its last resource is deployed
    /// (units of a wave run in parallel: the longest one sets it). Manual
    /// gates are not timed.
    pub minutes: u32,
    /// The resource that sets it (source id), if any.
    pub driven_by: Option<String>,
    /// How the figure is made up.
    pub basis: String,
}

/// Planned minutes per wave from the catalog's durations.
pub fn wave_estimates(plan: &Plan, catalog: &Catalog) -> Vec<WaveEstimate> {
    let d = catalog.durations();
    let mut best: BTreeMap<u32, (u32, Option<&PlannedResource>, String)> = plan
        .waves
        .iter()
        .map(|w| (w.number, (0, None, String::new())))
        .collect();
    for p in &plan.resources {
        if p.carried_by.is_some() || !matches!(p.action, Action::Move | Action::Recreate) {
            continue;
        }
        let (deploy, deploy_basis) = d.deploy_minutes(&p.resource_type);
        let copy = p
            .data_mover
            .as_deref()
            .and_then(|m| d.mover(m).map(|md| (m, md.copy_minutes)));
        let total = deploy + copy.map(|c| c.1).unwrap_or(0);
        let basis = match copy {
            Some((m, c)) => format!(
                "{}: {c} min {m} copy + {deploy} min deploy ({deploy_basis})",
                crate::report::short(p.source_id.as_str())
            ),
            None => format!(
                "{}: {deploy} min deploy ({deploy_basis})",
                crate::report::short(p.source_id.as_str())
            ),
        };
        let e = best.entry(p.wave).or_insert((0, None, String::new()));
        if total > e.0 {
            *e = (total, Some(p), basis);
        }
    }
    let reconfigure = |n: u32| {
        plan.resources
            .iter()
            .any(|p| p.wave == n && p.action == Action::Reconfigure)
    };
    best.into_iter()
        .map(|(number, (minutes, p, basis))| {
            let (minutes, basis) = if p.is_none() && reconfigure(number) {
                (
                    d.deploy.default_minutes,
                    format!(
                        "settings re-pointed in place: {} min ({})",
                        d.deploy.default_minutes, d.deploy.basis
                    ),
                )
            } else if p.is_none() {
                (0, "nothing deployed".to_string())
            } else {
                (minutes, basis)
            };
            WaveEstimate {
                number,
                minutes,
                driven_by: p.map(|p| p.source_id.to_string()),
                basis,
            }
        })
        .collect()
}

/// Downtime of one workload (the resources of one source resource group).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DowntimeEstimate {
    /// Source resource group id.
    pub resource_group: String,
    pub resources: usize,
    /// The class of the resource that sets the estimate.
    pub downtime: Downtime,
    /// Outage at cut-over, `[low, high]` minutes.
    pub minutes: [u32; 2],
    /// The resource that sets it (source id).
    pub driven_by: Option<String>,
    /// How the figure is made up.
    pub basis: String,
}

/// The source resource group id of a resource id (`/subscriptions/S/resourceGroups/RG`).
pub fn resource_group_of(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let at = lower.find("/resourcegroups/")?;
    let rest = &id[at + "/resourcegroups/".len()..];
    let end = rest.find('/').map(|e| at + 16 + e).unwrap_or(id.len());
    Some(id[..end].to_string())
}

/// Outage at cut-over per workload, from the catalog's durations: the
/// longest outage among its resources (a named data mover's final step,
/// else its downtime class) plus the client switch when anything stops.
pub fn downtime_estimates(plan: &Plan, catalog: &Catalog) -> Vec<DowntimeEstimate> {
    let d = catalog.durations();
    struct Acc<'p> {
        resources: usize,
        worst: Option<(&'p PlannedResource, [u32; 2], Downtime, String)>,
    }
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    for p in &plan.resources {
        if p.action == Action::Keep {
            continue;
        }
        let Some(rg) = resource_group_of(p.source_id.as_str()) else {
            continue;
        };
        let acc = groups.entry(rg).or_insert(Acc {
            resources: 0,
            worst: None,
        });
        acc.resources += 1;
        if p.action == Action::Reconfigure {
            continue;
        }
        let mover = p
            .data_mover
            .as_deref()
            .and_then(|m| d.mover(m).map(|md| (m, md)));
        let (range, why) = match (mover, d.class(p.downtime)) {
            (Some((m, md)), _) => (md.outage_minutes, format!("{m}: {}", md.basis)),
            (None, Some(c)) => (
                c.outage_minutes,
                format!("{} class: {}", p.downtime.as_str(), c.basis),
            ),
            (None, None) => continue,
        };
        let worse = match &acc.worst {
            None => true,
            Some((_, r, _, _)) => (range[1], range[0]) > (r[1], r[0]),
        };
        if worse {
            acc.worst = Some((p, range, p.downtime, why));
        }
    }
    groups
        .into_iter()
        .map(|(rg, acc)| match acc.worst {
            Some((p, [lo, hi], class, why)) if hi > 0 => DowntimeEstimate {
                resource_group: rg,
                resources: acc.resources,
                downtime: class,
                minutes: [lo + d.switch.minutes, hi + d.switch.minutes],
                driven_by: Some(p.source_id.to_string()),
                basis: format!(
                    "{} ({why}) + {} min client switch",
                    crate::report::short(p.source_id.as_str()),
                    d.switch.minutes
                ),
            },
            Some((p, _, class, why)) => DowntimeEstimate {
                resource_group: rg,
                resources: acc.resources,
                downtime: class,
                minutes: [0, 0],
                driven_by: Some(p.source_id.to_string()),
                basis: format!(
                    "nothing stops: {} ({why}); clients switch while both serve",
                    crate::report::short(p.source_id.as_str())
                ),
            },
            None => DowntimeEstimate {
                resource_group: rg,
                resources: acc.resources,
                downtime: Downtime::Hot,
                minutes: [0, 0],
                driven_by: None,
                basis: "nothing is deployed: settings are re-pointed in place".into(),
            },
        })
        .collect()
}

/// What the client switch at cut-over stands for (the note under a
/// downtime table).
pub fn switch_note(catalog: &Catalog) -> String {
    let s = &catalog.durations().switch;
    format!("Client switch ({} min): {}.", s.minutes, s.basis)
}

/// `12–45 min`, `0 min`, `2 h–4 h`.
pub fn format_minutes([lo, hi]: [u32; 2]) -> String {
    fn one(m: u32) -> String {
        if m >= 120 && m.is_multiple_of(60) {
            format!("{} h", m / 60)
        } else {
            format!("{m} min")
        }
    }
    if lo == hi {
        one(lo)
    } else if lo < 120 && hi < 120 {
        format!("{lo}–{hi} min")
    } else {
        format!("{}–{}", one(lo), one(hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_groups_of_ids() {
        assert_eq!(
            resource_group_of(
                "/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.Web/sites/x"
            )
            .as_deref(),
            Some("/subscriptions/s/resourceGroups/rg-a")
        );
        assert_eq!(
            resource_group_of("/subscriptions/s/resourcegroups/RG").as_deref(),
            Some("/subscriptions/s/resourcegroups/RG")
        );
        assert_eq!(resource_group_of("/subscriptions/s"), None);
    }

    #[test]
    fn minutes_read_well() {
        assert_eq!(format_minutes([0, 0]), "0 min");
        assert_eq!(format_minutes([15, 35]), "15–35 min");
        assert_eq!(format_minutes([35, 245]), "35 min–245 min");
        assert_eq!(format_minutes([120, 240]), "2 h–4 h");
    }
}

/// A gate id an operator can paste into a shell unquoted: letters, digits
/// and `. _ : / -`; anything else (`;` of backup item names, spaces,
/// quotes, `$`, …) becomes `-`. The orchestrator names its gates with the
/// same function, so the plan's list is the run's.
pub fn gate_id(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod gate_ids {
    #[test]
    fn gate_ids_are_shell_safe() {
        assert_eq!(super::gate_id("manual:kv;rm -rf"), "manual:kv-rm--rf");
        assert_eq!(super::gate_id("data-copy:sql/db1"), "data-copy:sql/db1");
        assert_eq!(super::gate_id("x $(y) 'z'"), "x---y---z-");
    }
}
