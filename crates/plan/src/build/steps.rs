//! Per-resource steps (cached per type × action) and the ARM-shaped view
//! of a resource that catalog conditions are evaluated on.

use std::collections::HashMap;
use std::sync::Arc;

use azrelo_arm::id::ResourceId;
use azrelo_catalog::{Lookup, StepMode, Strategy};
use serde_json::Value;

use super::*;

/// Steps by action, strategy and the resource's data mover.
pub(super) type StepsByMover = HashMap<(Action, Strategy, Option<Arc<str>>), Arc<[Step]>>;

/// Per-type facts, computed once per distinct type; the strings every
/// resource of the type shares are reference-counted, not copied.
pub(super) struct TypeCache<'c> {
    pub(super) checklist: Vec<(azrelo_catalog::AppliedChecklistItem<'c>, Arc<str>)>,
    /// The type's own fixes (the universal ones apply to every resource).
    pub(super) fixes: Vec<(&'c azrelo_catalog::TemplateFix, Arc<str>)>,
    pub(super) needs_view: bool,
    pub(super) steps: StepsByMover,
    pub(super) service: Option<Arc<str>>,
    /// The type's default data mover.
    pub(super) data_mover: Option<Arc<str>>,
    pub(super) empty_steps: Arc<[Step]>,
}

/// The resource as a condition sees it (ARM GET shape), without copying it:
/// `properties` and `sku` are borrowed from the estate record; small members
/// are materialized on first use.
pub(super) struct View<'r> {
    id: &'r ResourceId,
    resource_type: &'r str,
    r: Option<&'r Resource>,
    cells: [std::cell::OnceCell<Value>; 8],
}

impl<'r> View<'r> {
    pub(super) fn new(inp: &Inputs<'r>, n: u32) -> View<'r> {
        View {
            id: &inp.graph.nodes[n as usize].id,
            resource_type: &inp.graph.nodes[n as usize].resource_type,
            r: inp.resource(n),
            cells: Default::default(),
        }
    }

    pub(super) fn cell(&self, i: usize, f: impl FnOnce() -> Option<Value>) -> Option<&Value> {
        let v = self.cells[i].get_or_init(|| f().unwrap_or(Value::Null));
        (!v.is_null()).then_some(v)
    }
}

impl azrelo_catalog::ResourceView for View<'_> {
    fn member(&self, name: &str) -> Option<&Value> {
        let r = self.r;
        let is = |k: &str| name.eq_ignore_ascii_case(k);
        if is("properties") {
            r.map(|r| &r.properties)
        } else if is("sku") {
            r.and_then(|r| r.sku.as_ref())
        } else if is("extendedLocation") {
            r.and_then(|r| r.extended_location.as_ref())
        } else if is("plan") {
            r.and_then(|r| r.plan.as_ref())
        } else if is("id") {
            self.cell(0, || Some(Value::String(self.id.as_str().to_owned())))
        } else if is("type") {
            self.cell(1, || Some(Value::String(self.resource_type.to_owned())))
        } else if is("name") {
            self.cell(2, || r.map(|r| Value::String(r.name.clone())))
        } else if is("location") {
            self.cell(3, || r.and_then(|r| r.location.clone()).map(Value::String))
        } else if is("kind") {
            self.cell(4, || r.and_then(|r| r.kind.clone()).map(Value::String))
        } else if is("zones") {
            self.cell(5, || {
                r.filter(|r| !r.zones.is_empty())
                    .map(|r| Value::Array(r.zones.iter().cloned().map(Value::String).collect()))
            })
        } else if is("identity") {
            self.cell(6, || {
                r.and_then(|r| r.identity.as_ref())
                    .and_then(|i| serde_json::to_value(i).ok())
            })
        } else if is("tags") {
            self.cell(7, || {
                r.filter(|r| !r.tags.is_empty())
                    .and_then(|r| serde_json::to_value(&r.tags).ok())
            })
        } else {
            None
        }
    }
}

pub(super) fn step(
    kind: StepKind,
    phase: azrelo_catalog::ProcessPhase,
    mode: StepMode,
    detail: String,
) -> Step {
    Step {
        kind,
        phase,
        mode,
        detail: Arc::from(detail),
    }
}

/// Per-resource steps by action, strategy and the resource's data mover
/// (the type's default or a conditional one, see `Lookup::data_mover_for`).
pub(super) fn steps_for(
    action: Action,
    strategy: Strategy,
    lk: &Lookup<'_>,
    mover: Option<&azrelo_catalog::DataMover>,
) -> Vec<Step> {
    use StepMode::{Automated as A, ManualGate as M};
    use azrelo_catalog::ProcessPhase as P;
    let mover_title = mover.map(|m| m.title.clone()).unwrap_or_default();
    // A data copy is automated only when azrelo runs the mover (it names
    // an executor in the catalog): every other mover is a gate of the run.
    let manual_mover = mover.is_none_or(|m| m.executor.is_none());
    let mut s = Vec::new();
    match action {
        Action::Keep => {}
        Action::Owned => return owned_steps(azrelo_catalog::Relation::CreatedByOwner, ""),
        Action::Reconfigure => {
            s.push(step(
                StepKind::Reconfigure,
                P::Move,
                A,
                "not regional: update references to the target resources".into(),
            ));
        }
        Action::Manual => {
            s.push(step(
                StepKind::ManualRelocation,
                P::Move,
                M,
                lk.entry().notes.clone(),
            ));
            s.push(step(StepKind::Verify, P::CommitOrDiscard, M, String::new()));
            s.push(step(StepKind::DeleteSource, P::CleanUp, M, String::new()));
        }
        Action::Move | Action::Recreate => {
            s.push(step(
                StepKind::GenerateTemplate,
                P::Prepare,
                A,
                String::new(),
            ));
            match strategy {
                Strategy::RedeployData => {
                    s.push(step(
                        StepKind::StartDataCopy,
                        P::Prepare,
                        if manual_mover { M } else { A },
                        mover_title.clone(),
                    ));
                }
                Strategy::Replicate => {
                    s.push(step(
                        StepKind::StartDataCopy,
                        P::Prepare,
                        M,
                        format!("configure {mover_title}"),
                    ));
                }
                _ => {}
            }
            s.push(step(StepKind::Deploy, P::Move, A, String::new()));
            match strategy {
                Strategy::RedeployData => s.push(step(
                    StepKind::FinalSync,
                    P::Move,
                    M,
                    format!("{mover_title}: final delta, then switch clients"),
                )),
                Strategy::Replicate => s.push(step(
                    StepKind::FinalSync,
                    P::Move,
                    M,
                    format!("{mover_title}: fail over to the target"),
                )),
                _ => {}
            }
            if action == Action::Recreate {
                s.push(step(
                    StepKind::RepointDependents,
                    P::Move,
                    A,
                    "new identity: dependents and grants move to the new instance".into(),
                ));
            }
            s.push(step(StepKind::Verify, P::CommitOrDiscard, A, String::new()));
            s.push(step(StepKind::DeleteSource, P::CleanUp, M, String::new()));
        }
    }
    s
}

/// The steps of an owned resource: its owner's move (or the service)
/// creates it, then azrelo verifies it and maps its id. No deploy, no
/// source deletion (the owner's deletion takes it along).
pub(super) fn owned_steps(relation: azrelo_catalog::Relation, detail: &str) -> Vec<Step> {
    use StepMode::Automated as A;
    use azrelo_catalog::ProcessPhase as P;
    let kind = match relation {
        azrelo_catalog::Relation::InstalledByService => StepKind::InstalledByService,
        _ => StepKind::CreatedByOwner,
    };
    vec![
        step(kind, P::Move, A, detail.to_string()),
        step(
            StepKind::Verify,
            P::CommitOrDiscard,
            A,
            "it exists in the target once its owner moved; its target id is mapped".into(),
        ),
    ]
}

/// The steps of a resource that attaches to another after it moved: its
/// deploy step becomes the attach step.
pub(super) fn attach_steps(steps: &[Step], detail: &str) -> Vec<Step> {
    steps
        .iter()
        .map(|s| {
            if s.kind == StepKind::Deploy {
                step(
                    StepKind::AttachAfterOwner,
                    s.phase,
                    s.mode,
                    detail.to_string(),
                )
            } else {
                s.clone()
            }
        })
        .collect()
}
