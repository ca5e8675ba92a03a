//! The gates a run stops at — one piece of knowledge: the plan derives
//! them, records them in `plan.json` (`Plan::gates`), and the orchestrator
//! and the reports read them from there.
//!
//! * **Per-resource steps.** A gate before the move for each manual data
//!   copy or export step (a data mover azrelo does not run: every mover
//!   without an executor in the catalog), a gate before the move for the
//!   final sync of a disk copied by snapshot (the VM is stopped, then the
//!   last increment copied) and after the move for any other manual final
//!   sync or manual relocation.
//! * **Manual resources.** One gate after the move for a resource nothing
//!   relocates automatically — the plan marks it manual, the generator never
//!   emits its type (`not_generated`), or the inputs hold no body for it —
//!   unless it already has an after-move gate, or an action of the run
//!   relocates it (a backup item re-protected by `backup-reprotect`).
//! * **Upgrades.** One gate before the move for each resource relocated as
//!   the successor of a retired SKU/feature (catalog `upgrades`): the
//!   operator approves the upgraded design (its behaviour changes are the
//!   plan's finding of the same code) before it is deployed.
//! * **Manual scenario steps** (of procedures run by `apply`: not those with
//!   a command of their own): where their phase or `gate` puts them — the
//!   move, the commit or the source cleanup. A step of the prerequisites or
//!   the dependency analysis is one decision: one gate holding every unit of
//!   its resources; a later step is work on each resource: one gate per
//!   unit. A step none of whose resources is a unit (settings of a
//!   subscription, a backup item an action relocates) holds the whole run.
//!
//! Gate ids are `KIND:TARGET-NAME` (`start-data-copy:kv-shop-weu-01`,
//! `vm-running-disks-attached:vm-web-01`) or the step id alone for a
//! run-wide gate, reduced to characters safe in a shell
//! ([`gate_id`]); a repeat gets `-2`, `-3`, ….

use std::collections::HashSet;

use azrelo_arm::IdIndex;
use azrelo_arm::id::ResourceId;
use azrelo_catalog::{GateScope, GateStage, ProcessPhase, StepMode};

use crate::model::*;
use crate::procedures::{Ctx, step_resources};

/// A gate id from its parts, with every character outside
/// `[A-Za-z0-9._:-]` (`;` in backup item names, parentheses, spaces)
/// replaced by `-`, so it can be pasted into a shell unquoted.
pub fn gate_id(kind: &str, name: Option<&str>) -> String {
    let raw = match name {
        Some(n) => format!("{kind}:{n}"),
        None => kind.to_string(),
    };
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn kind_name(k: StepKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "gate".into())
}

/// Whether the unit of a planned resource is a disk copied by the snapshot
/// mover azrelo runs (its final sync comes before its move).
pub fn is_disk_copy(p: &PlannedResource, catalog: &azrelo_catalog::Catalog) -> bool {
    p.resource_type
        .eq_ignore_ascii_case(azrelo_arm::vocab::DISKS)
        && p.data_mover
            .as_deref()
            .and_then(|m| catalog.data_mover(m))
            .is_some_and(|m| m.executor.as_deref() == Some("disk-snapshot-copy"))
        && p.steps
            .iter()
            .any(|s| s.kind == StepKind::StartDataCopy && s.mode == StepMode::Automated)
}

/// Whether the inputs hold a body for `id` the generator can template (a
/// resource, or a role assignment, diagnostic setting, lock or exemption
/// record) — the generator skips a resource without one.
fn has_body(ctx: &Ctx<'_>, id: &ResourceId) -> bool {
    ctx.rel.by_id.contains(id.as_str()) || ctx.records.contains(id.as_str())
}

struct Ids(HashSet<String>);

impl Ids {
    fn unique(&mut self, base: String) -> String {
        let mut id = base.clone();
        let mut n = 2;
        while !self.0.insert(id.to_ascii_lowercase()) {
            id = format!("{base}-{n}");
            n += 1;
        }
        id
    }
}

/// Every gate of the run, in run order (by wave; run-wide move gates
/// first), and each manual scenario step's gate ids recorded on it.
pub(crate) fn derive(
    ctx: &Ctx<'_>,
    scenarios: &mut [ScenarioPlan],
    actions: &[ActionPlan],
) -> Vec<GatePlan> {
    let catalog = ctx.catalog;
    let replaced: IdIndex<()> = actions
        .iter()
        .flat_map(|a| a.replaces.iter().cloned())
        .map(|id| (id, ()))
        .collect();
    let not_generated = |p: &PlannedResource| -> Option<String> {
        if !matches!(p.action, Action::Move | Action::Recreate) {
            return None;
        }
        if let Some(why) = catalog
            .entry(&p.resource_type)
            .entry()
            .not_generated
            .clone()
        {
            return Some(why);
        }
        (p.carried_by.is_none() && !has_body(ctx, &p.source_id))
            .then(|| "no resource body in the inputs (only referenced)".to_string())
    };
    // The unit that owns a resource's gates: its own, or its carrier's. A
    // resource the generator never emits is a (manual) unit of its own.
    let owner = |p: &'_ PlannedResource, own_unit: bool| -> Option<ResourceId> {
        if replaced.contains(p.source_id.as_str()) {
            return None;
        }
        let own = match &p.carried_by {
            Some(c) if !own_unit => ctx.by_source.get(c).copied()?,
            _ => p,
        };
        (own.action != Action::Keep).then(|| own.target_id.clone())
    };
    let mut ids = Ids(HashSet::new());
    let mut out = Vec::new();
    let mut has_after: IdIndex<()> = IdIndex::new();
    for p in ctx.resources {
        let skipped = not_generated(p);
        let Some(unit) = owner(p, skipped.is_some()) else {
            continue;
        };
        let disk = ctx
            .by_target
            .get(&unit)
            .is_some_and(|o| is_disk_copy(o, catalog));
        for s in p.steps.iter() {
            if s.mode == StepMode::Automated {
                continue;
            }
            let stage = match s.kind {
                StepKind::StartDataCopy | StepKind::ExportConfiguration => GateStage::Move,
                // A disk's final sync is its last incremental copy, taken
                // after the operator stopped the source: before the move.
                StepKind::FinalSync if disk => GateStage::Move,
                StepKind::FinalSync | StepKind::ManualRelocation => GateStage::Commit,
                _ => continue,
            };
            let kind = kind_name(s.kind);
            let instruction = match (s.kind, p.data_mover.as_deref()) {
                (StepKind::StartDataCopy, Some(m)) => match catalog.data_mover(m) {
                    // The mover this resource's move uses (the plan chose it
                    // per resource), with what it does, step by step.
                    Some(d) => format!(
                        "copy the data of {} with {} ({m}): {} azrelo does not run this data mover; run it, then close the gate",
                        p.name, d.title, d.description
                    ),
                    None => format!(
                        "copy the data of {} ({m}): azrelo does not run this data mover; run it, then close the gate",
                        p.name
                    ),
                },
                _ if s.detail.is_empty() => format!("{kind} of {}", p.name),
                _ => format!("{kind} of {}: {}", p.name, s.detail),
            };
            if stage == GateStage::Commit {
                has_after.insert(unit.clone(), ());
            }
            out.push(GatePlan {
                id: ids.unique(gate_id(&kind, Some(&p.target_name))),
                origin: GateOrigin::ResourceStep { step: s.kind },
                stage,
                units: vec![unit.clone()],
                resource: Some(p.source_id.clone()),
                instruction,
                wave: p.wave,
            });
        }
    }
    for p in ctx.resources {
        if replaced.contains(p.source_id.as_str()) {
            continue;
        }
        let note = match (p.action, not_generated(p)) {
            (_, Some(why)) => why,
            (Action::Manual, None) if p.carried_by.is_none() => {
                "the plan marks this resource manual".to_string()
            }
            _ => continue,
        };
        if has_after.contains(p.target_id.as_str()) {
            continue;
        }
        out.push(GatePlan {
            id: ids.unique(gate_id("manual", Some(&p.target_name))),
            origin: GateOrigin::ManualResource,
            stage: GateStage::Commit,
            units: vec![p.target_id.clone()],
            resource: Some(p.source_id.clone()),
            instruction: format!(
                "relocate {} yourself ({note}), then close the gate",
                p.target_name
            ),
            wave: p.wave,
        });
    }
    // Upgrades: the operator approves the successor's design before the move.
    for p in ctx.resources {
        if p.upgrades.is_empty() {
            continue;
        }
        let Some(unit) = owner(p, not_generated(p).is_some()) else {
            continue;
        };
        out.push(GatePlan {
            id: ids.unique(gate_id("approve-upgrade", Some(&p.target_name))),
            origin: GateOrigin::Upgrade {
                upgrades: p.upgrades.iter().map(|u| u.id.clone()).collect(),
            },
            stage: GateStage::Move,
            units: vec![unit],
            resource: Some(p.source_id.clone()),
            instruction: format!(
                "approve the upgraded design of {}: it is relocated as {} ({}), with the behaviour changes the plan's finding {} lists; check them (NSG rules, outbound path, sizing), then close the gate",
                p.target_name,
                p.upgrades
                    .iter()
                    .map(|u| u.to.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
                p.upgrades
                    .iter()
                    .flat_map(|u| u.edits.iter())
                    .map(|e| format!(
                        "{} {} → {}",
                        e.path,
                        e.from.as_ref().map_or_else(|| "absent".to_string(), |v| v.to_string()),
                        e.to.as_ref().map_or_else(|| "removed".to_string(), |v| v.to_string())
                    ))
                    .collect::<Vec<_>>()
                    .join(", "),
                p.upgrades
                    .iter()
                    .map(|u| u.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            wave: p.wave,
        });
    }
    // Manual scenario steps of the procedures `apply` runs.
    let last_wave = ctx.resources.iter().map(|r| r.wave).max().unwrap_or(1);
    // Types the estate holds as settings of a subscription (no group).
    let subscription_types: HashSet<String> = ctx
        .estate
        .resources
        .iter()
        .filter(|r| r.id.resource_group().is_none())
        .map(|r| r.resource_type.to_ascii_lowercase())
        .collect();
    for sc in scenarios.iter_mut() {
        let Some(def) = catalog.scenario(&sc.id) else {
            continue;
        };
        if def.command.is_some() {
            continue;
        }
        for step in sc.steps.iter_mut() {
            if step.mode != StepMode::ManualGate {
                continue;
            }
            let Some(st) = def.steps.iter().find(|s| s.id == step.id) else {
                continue;
            };
            let stage = st.gate.unwrap_or_else(|| GateStage::of_phase(st.phase));
            let instruction = format!("{}: {}", st.title, st.instruction);
            let mut units: Vec<(ResourceId, &PlannedResource)> = Vec::new();
            let mut seen: HashSet<String> = HashSet::new();
            let mut regional = 0;
            for r in step_resources(ctx, st) {
                // Settings of a subscription are no unit a gate can hold.
                if r.source_id.resource_group().is_none() {
                    continue;
                }
                regional += 1;
                if let Some(u) = owner(r, not_generated(r).is_some())
                    && seen.insert(u.as_str().to_ascii_lowercase())
                {
                    units.push((u, r));
                }
            }
            // A step about regional resources none of which moves (Defender
            // for Containers without a cluster) stops nothing; one about the
            // subscription's settings only holds the whole run.
            if regional == 0
                && st
                    .applies_to
                    .iter()
                    .any(|t| !subscription_types.contains(&t.to_ascii_lowercase()))
            {
                continue;
            }
            let origin = GateOrigin::ScenarioStep {
                scenario: sc.id.clone(),
                step: st.id.clone(),
            };
            if units.is_empty() {
                let id = ids.unique(gate_id(&st.id, None));
                step.gates.push(id.clone());
                out.push(GatePlan {
                    id,
                    origin,
                    stage,
                    units: Vec::new(),
                    resource: None,
                    instruction,
                    wave: if stage == GateStage::Move {
                        1
                    } else {
                        last_wave
                    },
                });
                continue;
            }
            // A decision taken once for the relocation: one gate for all.
            let all = match st.gate_scope {
                Some(GateScope::All) => true,
                Some(GateScope::Each) => false,
                None => matches!(
                    st.phase,
                    ProcessPhase::VerifyPrerequisites | ProcessPhase::AnalyzeDependencies
                ),
            };
            if all {
                let id = ids.unique(gate_id(&st.id, None));
                step.gates.push(id.clone());
                let wave = units.iter().map(|(_, r)| r.wave).min().unwrap_or(1);
                out.push(GatePlan {
                    id,
                    origin,
                    stage,
                    resource: (units.len() == 1).then(|| units[0].1.source_id.clone()),
                    units: units.into_iter().map(|(u, _)| u).collect(),
                    instruction,
                    wave,
                });
                continue;
            }
            for (u, r) in units {
                let name = ctx
                    .by_target
                    .get(&u)
                    .map_or_else(|| r.target_name.to_string(), |o| o.target_name.to_string());
                let id = ids.unique(gate_id(&st.id, Some(&name)));
                step.gates.push(id.clone());
                out.push(GatePlan {
                    id,
                    origin: origin.clone(),
                    stage,
                    units: vec![u],
                    resource: Some(r.source_id.clone()),
                    instruction: instruction.clone(),
                    wave: r.wave,
                });
            }
        }
    }
    out.sort_by_key(|g| (g.wave, !g.units.is_empty()));
    out
}

#[cfg(test)]
mod tests {
    use super::gate_id;

    #[test]
    fn gate_ids_are_shell_safe() {
        assert_eq!(
            gate_id("manual", Some("VM;iaasvmcontainerv2;rg;vm1")),
            "manual:VM-iaasvmcontainerv2-rg-vm1"
        );
        assert_eq!(
            gate_id("keep-default-workspace", None),
            "keep-default-workspace"
        );
        assert_eq!(
            gate_id("start-data-copy", Some("Security(law 1)")),
            "start-data-copy:Security-law-1-"
        );
    }
}
