//! What `azrelo status` and `azrelo gate` show: every unit's state and every
//! gate, derived from the journal (no ARM call).

use serde::Serialize;
use serde_json::json;

use azrelo_journal::{Journal, StepOutcome};

use crate::engine::{EngineError, check_digest};
use crate::model::{RunPlan, UnitKind};
use crate::state::{RUN, Snapshot, State, gate_step};

/// Status of a plan directory, for `azrelo status` (no ARM calls).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRow {
    pub unit: String,
    pub label: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    pub kind: UnitKind,
    pub wave: u32,
    pub state: State,
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<azrelo_arm::id::ResourceId>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub open_gates: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateRow {
    pub id: String,
    pub unit: String,
    pub title: String,
    pub before_move: bool,
    pub closed: bool,
    /// Who closed it (`gate done --by`, default the OS user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    /// When it was closed (RFC 3339, the journal's time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// The note given when it was closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    pub plan: String,
    pub units: Vec<StatusRow>,
    pub gates: Vec<GateRow>,
    pub counts: std::collections::BTreeMap<String, usize>,
}

/// The status of every unit and gate, from the journal.
pub fn status(plan: &RunPlan, journal: &Journal) -> Result<StatusReport, EngineError> {
    let snap = Snapshot::new(journal.steps(RUN)?);
    let mut counts = std::collections::BTreeMap::new();
    let mut units = Vec::new();
    for &i in &plan.order {
        let u = &plan.units[i];
        let v = snap.view(u);
        *counts.entry(v.state.as_str().to_string()).or_insert(0) += 1;
        let mut open = v.open_gates_before.clone();
        open.extend(v.open_gates_after.iter().cloned());
        units.push(StatusRow {
            unit: u.key.to_string(),
            label: u.label(),
            resource_type: u.resource_type.clone(),
            kind: u.kind,
            wave: u.wave,
            state: v.state,
            verified: v.verified,
            source: u.source_id.clone(),
            open_gates: open,
            error: v.error,
            note: v.note.or_else(|| u.note.clone()),
        });
    }
    let gates = plan
        .gates()
        .into_iter()
        .map(|(g, i, before)| {
            let closed = snap.gate_closed(&g.id);
            let rec = snap.steps.get(&gate_step(&g.id)).filter(|_| closed);
            let text = |key: &str| {
                rec.and_then(|r| r.detail.get(key))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            GateRow {
                id: g.id.clone(),
                unit: plan.units[i].key.to_string(),
                title: g.title.clone(),
                before_move: before,
                closed,
                closed_by: text("by"),
                closed_at: rec.map(|r| r.at.clone()),
                note: text("note"),
            }
        })
        .collect();
    Ok(StatusReport {
        plan: plan.dir.display().to_string(),
        units,
        gates,
        counts,
    })
}

/// Which gates `azrelo gate done` closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GateSelection {
    /// These ids (case-insensitive).
    Ids(Vec<String>),
    /// Every open gate.
    All,
    /// Every open gate of the units of this wave.
    Wave(u32),
}

/// Who closed a gate, when (the journal's time) and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateClosing {
    /// Who did the manual step (default: the operating-system user).
    pub by: Option<String>,
    pub note: Option<String>,
}

/// `azrelo gate done`: close gates (journaled with who, when and a note;
/// no ARM call). Unknown ids, and gates after a move whose resource has not
/// moved, are refused before anything is written; `All` and `Wave` leave
/// the latter open.
pub fn close_gates_with(
    plan: &RunPlan,
    journal: &Journal,
    which: &GateSelection,
    closing: &GateClosing,
) -> Result<Vec<String>, EngineError> {
    check_digest(plan, journal)?;
    let snap = Snapshot::new(journal.steps(RUN)?);
    let gates = plan.gates();
    let mut chosen: Vec<String> = Vec::new();
    let movable = |i: usize, chosen: &[String]| snap.after_move_ready(&plan.units[i], chosen);
    match which {
        GateSelection::Ids(ids) => {
            for id in ids {
                let Some((g, i, before)) =
                    gates.iter().find(|(g, _, _)| g.id.eq_ignore_ascii_case(id))
                else {
                    let mut known: Vec<&str> =
                        gates.iter().map(|(g, _, _)| g.id.as_str()).collect();
                    known.truncate(8);
                    return Err(EngineError::Refused(format!(
                        "no gate '{id}' in this plan (gates: {}{}); `azrelo gate list` lists them",
                        known.join(", "),
                        if gates.len() > 8 { ", …" } else { "" }
                    )));
                };
                if !*before && let Err(why) = movable(*i, &chosen) {
                    return Err(EngineError::Refused(format!(
                        "gate {} comes after its resource has moved, so it cannot be closed yet: {why}; nothing was closed",
                        g.id
                    )));
                }
                chosen.push(g.id.clone());
            }
        }
        GateSelection::All | GateSelection::Wave(_) => {
            for (g, i, before) in &gates {
                if let GateSelection::Wave(w) = which
                    && plan.units[*i].wave != *w
                {
                    continue;
                }
                if snap.gate_closed(&g.id) {
                    continue;
                }
                if !*before && movable(*i, &chosen).is_err() {
                    // Not yet: `gate list` shows it open.
                    continue;
                }
                chosen.push(g.id.clone());
            }
        }
    }
    let by = closing
        .by
        .clone()
        .or_else(|| std::env::var("USER").ok())
        .or_else(|| std::env::var("USERNAME").ok())
        .unwrap_or_else(|| "unknown".into());
    for id in &chosen {
        let s = gate_step(id);
        let record = json!({"op": "gate-done", "gate": id, "by": by, "note": closing.note});
        journal.record_intent(RUN, &s, &record)?;
        journal.record_result(RUN, &s, StepOutcome::Succeeded, &record)?;
    }
    Ok(chosen)
}

/// `azrelo gate done ID…` (see [`close_gates_with`]).
pub fn close_gates(
    plan: &RunPlan,
    journal: &Journal,
    ids: &[String],
) -> Result<Vec<String>, EngineError> {
    close_gates_with(
        plan,
        journal,
        &GateSelection::Ids(ids.to_vec()),
        &GateClosing::default(),
    )
}
