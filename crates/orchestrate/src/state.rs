//! The per-resource state machine, modelled on Azure Resource Mover's move
//! states (learn.microsoft.com/azure/resource-mover/about-move-process):
//!
//! ```text
//! pending → preparing → prepared → moving → moved (commit pending)
//!         → committing → committed → deleting-source → done
//! ```
//!
//! with a failed state for each transition (`prepare-failed`, `move-failed`,
//! `verify-failed`, `commit-failed`, `delete-source-failed`), `discard`
//! taking a moved resource back to `prepared` (its target deleted),
//! `waiting-gate` for a manual step the operator closes, `not-automated` for
//! what the plan leaves to a person, and `source-kept` when cleanup left the
//! source alone (a lock, or a group with resources outside the plan).
//!
//! A state is never stored: it is *derived* from the journal (the latest
//! record of each step, ordered by sequence number), so the journal is the
//! single source of truth and resume needs no separate bookkeeping.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{RunPlan, Unit, UnitKind};
use azrelo_journal::{StepOutcome, StepPhase, StepRecord};

/// The journal run every command of a plan directory shares.
pub const RUN: &str = "relocation";

/// Per-resource state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    Pending,
    Preparing,
    PrepareFailed,
    Prepared,
    WaitingGate,
    NotAutomated,
    Moving,
    MoveFailed,
    VerifyFailed,
    Moved,
    Discarding,
    DiscardFailed,
    Committing,
    CommitFailed,
    Committed,
    DeletingSource,
    DeleteSourceFailed,
    SourceKept,
    Done,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Preparing => "preparing",
            State::PrepareFailed => "prepare-failed",
            State::Prepared => "prepared",
            State::WaitingGate => "waiting-gate",
            State::NotAutomated => "not-automated",
            State::Moving => "moving",
            State::MoveFailed => "move-failed",
            State::VerifyFailed => "verify-failed",
            State::Moved => "moved",
            State::Discarding => "discarding",
            State::DiscardFailed => "discard-failed",
            State::Committing => "committing",
            State::CommitFailed => "commit-failed",
            State::Committed => "committed",
            State::DeletingSource => "deleting-source",
            State::DeleteSourceFailed => "delete-source-failed",
            State::SourceKept => "source-kept",
            State::Done => "done",
        }
    }

    pub fn is_failed(self) -> bool {
        matches!(
            self,
            State::PrepareFailed
                | State::MoveFailed
                | State::VerifyFailed
                | State::DiscardFailed
                | State::CommitFailed
                | State::DeleteSourceFailed
        )
    }

    /// Committed or further along.
    pub fn is_committed(self) -> bool {
        matches!(
            self,
            State::Committed
                | State::DeletingSource
                | State::DeleteSourceFailed
                | State::SourceKept
                | State::Done
        )
    }
}

/// A step a unit records in the journal (`KEY#step`) and reports in
/// events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Prepare,
    Move,
    Verify,
    Commit,
    Discard,
    /// Source cleanup.
    DeleteSource,
    /// Waiting at a manual gate (events only: gates are journaled as
    /// `gate#ID`, see [`gate_step`]).
    Gate,
}

impl Step {
    /// Every step a unit journals, in the order it goes through them.
    pub const JOURNALED: [Step; 6] = [
        Step::Prepare,
        Step::Move,
        Step::Verify,
        Step::Commit,
        Step::Discard,
        Step::DeleteSource,
    ];

    /// The name in journal step keys and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Prepare => "prepare",
            Step::Move => "move",
            Step::Verify => "verify",
            Step::Commit => "commit",
            Step::Discard => "discard",
            Step::DeleteSource => "delete-source",
            Step::Gate => "gate",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The steps under their short names.
pub mod step {
    use super::Step;
    pub const PREPARE: Step = Step::Prepare;
    pub const MOVE: Step = Step::Move;
    pub const VERIFY: Step = Step::Verify;
    pub const COMMIT: Step = Step::Commit;
    pub const DISCARD: Step = Step::Discard;
    pub const CLEANUP: Step = Step::DeleteSource;
}

/// The journal key of a unit's step: `KEY#step`.
pub fn step_name(unit: &Unit, step: Step) -> String {
    format!("{}#{step}", unit.key)
}

pub fn gate_step(id: &str) -> String {
    format!("gate#{}", id.to_ascii_lowercase())
}

/// Where a unit stands, derived from the journal.
#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub state: State,
    /// The target exists (moved and not discarded since): dependents may go.
    pub target_exists: bool,
    /// The latest verification of the current move passed.
    pub verified: bool,
    pub open_gates_before: Vec<String>,
    pub open_gates_after: Vec<String>,
    /// Open gates that hold the unit's source cleanup.
    pub open_gates_cleanup: Vec<String>,
    /// The latest error, when the state is a failed one.
    pub error: Option<String>,
    /// The latest note (e.g. why a source was kept).
    pub note: Option<String>,
}

/// The latest records of a run, by step name.
pub struct Snapshot {
    pub steps: HashMap<String, StepRecord>,
}

impl Snapshot {
    pub fn new(records: Vec<StepRecord>) -> Snapshot {
        Snapshot {
            steps: records.into_iter().map(|r| (r.step.clone(), r)).collect(),
        }
    }

    pub fn get(&self, unit: &Unit, s: Step) -> Option<&StepRecord> {
        self.steps.get(&step_name(unit, s))
    }

    pub fn gate_closed(&self, id: &str) -> bool {
        self.steps
            .get(&gate_step(id))
            .is_some_and(StepRecord::is_done)
    }

    /// Whether a gate after `unit`'s move can be closed: an after-move
    /// gate is a step on the target, so the unit must have moved; for a
    /// unit azrelo does not automate the gate *is* the move, once the gates
    /// before it are closed (or are in `closing`, closed together with it).
    /// `Err` says why not.
    pub fn after_move_ready(&self, unit: &Unit, closing: &[String]) -> Result<(), String> {
        let v = self.view(unit);
        if unit.kind == UnitKind::Manual {
            let open: Vec<&str> = v
                .open_gates_before
                .iter()
                .filter(|g| !closing.iter().any(|c| c.eq_ignore_ascii_case(g)))
                .map(String::as_str)
                .collect();
            return if open.is_empty() {
                Ok(())
            } else {
                Err(format!("close {} first", open.join(", ")))
            };
        }
        if v.target_exists {
            Ok(())
        } else {
            Err(format!(
                "{} has not moved yet ({}); `azrelo resume` moves it and stops at this gate",
                unit.label(),
                v.state.as_str()
            ))
        }
    }

    /// Derive a unit's state.
    pub fn view(&self, unit: &Unit) -> UnitView {
        let seq = |r: Option<&StepRecord>| r.map_or(-1, |r| r.seq);
        let err = |r: &StepRecord| {
            r.detail
                .get("error")
                .and_then(|e| e.as_str())
                .map(str::to_string)
                .or_else(|| {
                    r.detail
                        .get("differences")
                        .map(|d| format!("differs from what was deployed: {d}"))
                })
        };
        let note = |r: &StepRecord| {
            r.detail
                .get("note")
                .and_then(|e| e.as_str())
                .map(str::to_string)
        };
        let prepare = self.get(unit, step::PREPARE);
        let mv = self.get(unit, step::MOVE);
        let verify = self.get(unit, step::VERIFY);
        let commit = self.get(unit, step::COMMIT);
        let discard = self.get(unit, step::DISCARD);
        let cleanup = self.get(unit, step::CLEANUP);
        let open_before: Vec<String> = unit
            .gates_before
            .iter()
            .filter(|g| !self.gate_closed(&g.id))
            .map(|g| g.id.clone())
            .collect();
        let open_after: Vec<String> = unit
            .gates_after
            .iter()
            .filter(|g| !self.gate_closed(&g.id))
            .map(|g| g.id.clone())
            .collect();
        let open_cleanup: Vec<String> = unit
            .gates_cleanup
            .iter()
            .filter(|g| !self.gate_closed(&g.id))
            .map(|g| g.id.clone())
            .collect();
        // A manual unit is relocated once its own gates are closed (gates of
        // the whole run hold its commit, not its existence).
        let own_open = unit
            .gates_before
            .iter()
            .chain(unit.gates_after.iter())
            .any(|g| !g.shared && !self.gate_closed(&g.id));
        // The current move is the latest one after the latest discard.
        let discarded_after_move = seq(discard) > seq(mv);
        let move_done = mv.is_some_and(StepRecord::is_done) && !discarded_after_move;
        let verify_current = verify.filter(|v| v.seq > seq(mv) && !discarded_after_move);
        let verified = verify_current.is_some_and(StepRecord::is_done);
        let mut view = UnitView {
            state: State::Pending,
            target_exists: false,
            verified,
            open_gates_before: open_before,
            open_gates_after: open_after,
            open_gates_cleanup: open_cleanup,
            error: None,
            note: None,
        };
        if unit.kind == UnitKind::Manual {
            view.target_exists = !own_open;
            view.verified = !own_open;
        } else {
            view.target_exists = move_done;
        }
        let state = if let Some(c) = cleanup.filter(|c| c.seq > seq(commit) && commit.is_some()) {
            match (c.phase, c.outcome) {
                (StepPhase::Intent, _) => State::DeletingSource,
                (_, Some(StepOutcome::Failed)) => {
                    view.error = err(c);
                    State::DeleteSourceFailed
                }
                (_, Some(StepOutcome::Skipped)) => {
                    view.note = note(c);
                    State::SourceKept
                }
                _ => State::Done,
            }
        } else if let Some(c) = commit.filter(|c| c.seq > seq(discard)) {
            match (c.phase, c.outcome) {
                (StepPhase::Intent, _) => State::Committing,
                (_, Some(StepOutcome::Failed)) => match verify_current {
                    // The commit's re-verification found a difference.
                    Some(v) if v.seq > c.seq && v.outcome == Some(StepOutcome::Failed) => {
                        view.error = err(v);
                        State::VerifyFailed
                    }
                    _ => {
                        view.error = err(c);
                        State::CommitFailed
                    }
                },
                _ => State::Committed,
            }
        } else if let Some(d) = discard.filter(|_| discarded_after_move) {
            match (d.phase, d.outcome) {
                (StepPhase::Intent, _) => State::Discarding,
                (_, Some(StepOutcome::Failed)) => {
                    view.error = err(d);
                    State::DiscardFailed
                }
                _ => State::Prepared,
            }
        } else if unit.kind == UnitKind::Manual {
            if view.target_exists {
                State::Moved
            } else {
                State::NotAutomated
            }
        } else if let Some(m) = mv {
            match (m.phase, m.outcome) {
                (StepPhase::Intent, _) => State::Moving,
                (_, Some(StepOutcome::Failed)) => {
                    view.error = err(m);
                    State::MoveFailed
                }
                _ => match verify_current {
                    Some(v) if v.is_done() => {
                        if view.open_gates_after.is_empty() {
                            State::Moved
                        } else {
                            State::WaitingGate
                        }
                    }
                    Some(v) if v.outcome == Some(StepOutcome::Failed) => {
                        view.error = err(v);
                        State::VerifyFailed
                    }
                    _ => State::Moving,
                },
            }
        } else if let Some(p) = prepare {
            match (p.phase, p.outcome) {
                (StepPhase::Intent, _) => State::Preparing,
                (_, Some(StepOutcome::Failed)) => {
                    view.error = err(p);
                    State::PrepareFailed
                }
                _ if !view.open_gates_before.is_empty() => State::WaitingGate,
                _ => State::Prepared,
            }
        } else {
            State::Pending
        };
        view.state = state;
        view
    }

    /// Views of every unit of a plan.
    pub fn views(&self, plan: &RunPlan) -> Vec<UnitView> {
        plan.units.iter().map(|u| self.view(u)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "/subscriptions/s/resourceGroups/t";
    use crate::model::{Gate, Unit};
    use serde_json::{Value, json};

    fn unit(kind: UnitKind) -> Unit {
        Unit {
            key: azrelo_arm::ResourceId::parse(T).unwrap(),
            kind,
            resource_type: "X.Y/z".into(),
            api_version: "2020-01-01".into(),
            source_id: Some(
                azrelo_arm::ResourceId::parse("/subscriptions/s/resourceGroups/s").unwrap(),
            ),
            source_location: None,
            target_id: azrelo_arm::ResourceId::parse(T).unwrap(),
            target_name: "t".into(),
            wave: 1,
            action: azrelo_plan::Action::Move,
            strategy: Some(azrelo_plan::Strategy::Redeploy),
            deps: vec![],
            gates_before: vec![],
            gates_after: vec![Gate {
                id: "final-sync:t".into(),
                title: "t".into(),
                stage: azrelo_plan::GateStage::Commit,
                shared: false,
            }],
            gates_cleanup: vec![],
            procedure: None,
            deploy: None,
            estate_body: None,
            note: None,
            owned: None,
            source_refs: vec![],
        }
    }

    fn rec(seq: i64, step: &str, outcome: Option<StepOutcome>, detail: Value) -> StepRecord {
        StepRecord {
            run: RUN.into(),
            step: step.into(),
            seq,
            phase: if outcome.is_some() {
                StepPhase::Result
            } else {
                StepPhase::Intent
            },
            intent: json!({}),
            outcome,
            detail,
            attempts: 1,
            at: String::new(),
        }
    }

    #[test]
    fn states_follow_the_journal() {
        let u = unit(UnitKind::Deploy);
        let ok = Some(StepOutcome::Succeeded);
        let mut recs = vec![rec(
            1,
            "/subscriptions/s/resourceGroups/t#prepare",
            ok,
            json!({}),
        )];
        assert_eq!(Snapshot::new(recs.clone()).view(&u).state, State::Prepared);
        recs.push(rec(
            2,
            "/subscriptions/s/resourceGroups/t#move",
            None,
            json!({}),
        ));
        assert_eq!(Snapshot::new(recs.clone()).view(&u).state, State::Moving);
        recs[1] = rec(3, "/subscriptions/s/resourceGroups/t#move", ok, json!({}));
        recs.push(rec(
            4,
            "/subscriptions/s/resourceGroups/t#verify",
            ok,
            json!({}),
        ));
        let v = Snapshot::new(recs.clone()).view(&u);
        assert_eq!(v.state, State::WaitingGate, "the final-sync gate is open");
        assert!(v.target_exists && v.verified);
        recs.push(rec(5, "gate#final-sync:t", ok, json!({})));
        assert_eq!(Snapshot::new(recs.clone()).view(&u).state, State::Moved);
        // Discard: back to prepared, the target gone.
        recs.push(rec(
            6,
            "/subscriptions/s/resourceGroups/t#discard",
            ok,
            json!({}),
        ));
        let v = Snapshot::new(recs.clone()).view(&u);
        assert_eq!(v.state, State::Prepared);
        assert!(!v.target_exists && !v.verified);
        // Moved again, committed, source kept by a lock, then deleted.
        recs.push(rec(
            7,
            "/subscriptions/s/resourceGroups/t#move",
            ok,
            json!({}),
        ));
        recs.push(rec(
            8,
            "/subscriptions/s/resourceGroups/t#verify",
            ok,
            json!({}),
        ));
        recs.push(rec(
            9,
            "/subscriptions/s/resourceGroups/t#commit",
            ok,
            json!({}),
        ));
        assert_eq!(Snapshot::new(recs.clone()).view(&u).state, State::Committed);
        recs.push(rec(
            10,
            "/subscriptions/s/resourceGroups/t#delete-source",
            Some(StepOutcome::Skipped),
            json!({"note": "locked by /l"}),
        ));
        let v = Snapshot::new(recs.clone()).view(&u);
        assert_eq!(v.state, State::SourceKept);
        assert_eq!(v.note.as_deref(), Some("locked by /l"));
        recs.push(rec(
            11,
            "/subscriptions/s/resourceGroups/t#delete-source",
            ok,
            json!({}),
        ));
        assert_eq!(Snapshot::new(recs).view(&u).state, State::Done);
    }

    #[test]
    fn failures_and_manual_units() {
        let u = unit(UnitKind::Deploy);
        let recs = vec![rec(
            1,
            "/subscriptions/s/resourceGroups/t#move",
            Some(StepOutcome::Failed),
            json!({"error": "Conflict"}),
        )];
        let v = Snapshot::new(recs).view(&u);
        assert_eq!(v.state, State::MoveFailed);
        assert_eq!(v.error.as_deref(), Some("Conflict"));
        let m = unit(UnitKind::Manual);
        assert_eq!(Snapshot::new(vec![]).view(&m).state, State::NotAutomated);
        let closed = vec![rec(
            1,
            "gate#final-sync:t",
            Some(StepOutcome::Succeeded),
            json!({}),
        )];
        let v = Snapshot::new(closed).view(&m);
        assert_eq!(v.state, State::Moved);
        assert!(v.target_exists);
    }
}
