//! What a reviewer asks of a plan beyond its decisions: how long each wave
//! should take and how long each workload is down — derived from the plan
//! and the catalog's planned durations (`durations.toml`), each estimate
//! with its basis. (The gates a run stops at are the plan's own
//! [`Plan::gates`](crate::Plan::gates), see [`crate::gates`].)

use std::collections::BTreeMap;

use azrelo_catalog::{Catalog, Downtime};

use crate::model::{Action, Plan, PlannedResource};

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
