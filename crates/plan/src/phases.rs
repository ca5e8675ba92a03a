//! The six generic phases of a move (Microsoft's relocation process and
//! Azure Resource Mover's model): verify prerequisites, analyze
//! dependencies, prepare, move, commit or discard, clean up the source —
//! filled with what this plan does in each.

use azrelo_catalog::{Automation, ProcessPhase, Severity, StepMode};

use crate::model::*;
use crate::waves::Waves;

fn title(p: ProcessPhase) -> &'static str {
    match p {
        ProcessPhase::VerifyPrerequisites => "Verify prerequisites",
        ProcessPhase::AnalyzeDependencies => "Analyze dependencies",
        ProcessPhase::Prepare => "Prepare",
        ProcessPhase::Move => "Move",
        ProcessPhase::CommitOrDiscard => "Commit or discard",
        ProcessPhase::CleanUp => "Clean up the source",
    }
}

const ALL: [ProcessPhase; 6] = [
    ProcessPhase::VerifyPrerequisites,
    ProcessPhase::AnalyzeDependencies,
    ProcessPhase::Prepare,
    ProcessPhase::Move,
    ProcessPhase::CommitOrDiscard,
    ProcessPhase::CleanUp,
];

fn act(
    title: impl Into<String>,
    mode: StepMode,
    detail: impl Into<String>,
    count: usize,
) -> Activity {
    Activity {
        title: title.into(),
        mode,
        detail: detail.into(),
        count,
        wave: None,
    }
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn phases(
    resources: &[PlannedResource],
    waves: &[Wave],
    ras: &[RoleAssignmentPlan],
    checklist: &[ChecklistEntry],
    scenarios: &[ScenarioPlan],
    findings: &[Finding],
    w: &Waves,
    external: usize,
) -> Vec<PhasePlan> {
    use StepMode::{Automated as A, ManualGate as M};
    let mut out: Vec<PhasePlan> = ALL
        .iter()
        .map(|p| PhasePlan {
            phase: *p,
            title: title(*p).into(),
            activities: Vec::new(),
        })
        .collect();
    let roots: Vec<&PlannedResource> = resources
        .iter()
        .filter(|r| r.carried_by.is_none())
        .collect();
    let creating = roots.iter().filter(|r| r.action.creates_target()).count();
    let blockers = findings
        .iter()
        .filter(|f| f.severity == Severity::Blocker)
        .count();
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    let mut types: Vec<&str> = roots.iter().map(|r| &*r.resource_type).collect();
    types.sort_unstable_by_key(|t| t.to_ascii_lowercase());
    types.dedup_by(|a, b| a.eq_ignore_ascii_case(b));

    // 1. Verify prerequisites.
    let v = &mut out[0].activities;
    v.push(act(
        "Check that the target region offers every resource type",
        A,
        format!("{} types checked against the embedded provider snapshot; unknown is reported as a warning, never as unavailable", types.len()),
        types.len(),
    ));
    v.push(act(
        "Resolve blockers",
        if blockers > 0 { M } else { A },
        format!("{blockers} blocker(s) and {warnings} warning(s) in the findings"),
        blockers,
    ));
    v.push(act(
        "Confirm quota and SKU capacity in the target",
        M,
        "Quota is not known offline: compare vCPU, public IP and service quotas with `az vm list-usage` / `az network list-usages` for the target region",
        creating,
    ));
    v.push(act(
        "Confirm permissions and policy",
        M,
        "Owner (or Contributor + User Access Administrator) on source and target scopes; Azure Policy (allowed locations, required tags) must allow the target deployments",
        1,
    ));

    // 2. Analyze dependencies.
    let carried = resources.iter().filter(|r| r.carried_by.is_some()).count();
    out[1].activities.push(act(
        "Dependency analysis",
        A,
        format!(
            "{} resources in the move set ({} carried inside a parent's template), {} wave(s), {} deferred reference(s), {} reference(s) to resources that do not move",
            resources.len(),
            carried,
            waves.len(),
            w.deferred.len(),
            external
        ),
        resources.len(),
    ));
    out[1].activities.push(act(
        "Choose a strategy per resource",
        A,
        "from the relocation catalog: global, redeploy, redeploy+data, replicate, recreate or manual",
        roots.len(),
    ));

    // 3-6: per wave.
    for wv in waves {
        let members: Vec<&&PlannedResource> =
            roots.iter().filter(|r| r.wave == wv.number).collect();
        let deploy = members
            .iter()
            .filter(|r| matches!(r.action, Action::Move | Action::Recreate))
            .count();
        let data = members
            .iter()
            .filter(|r| r.steps.iter().any(|s| s.kind == StepKind::StartDataCopy))
            .count();
        let manual = members
            .iter()
            .filter(|r| r.action == Action::Manual)
            .count();
        let reconf = members
            .iter()
            .filter(|r| r.action == Action::Reconfigure)
            .count();
        let owned = members.iter().filter(|r| r.action == Action::Owned).count();
        if deploy > 0 {
            let mut a = act(
                format!("Wave {}: generate templates", wv.number),
                A,
                wv.title.clone(),
                deploy,
            );
            a.wave = Some(wv.number);
            out[2].activities.push(a);
        }
        if data > 0 {
            let mut a = act(
                format!("Wave {}: start data copy / replication", wv.number),
                if members.iter().any(|r| {
                    r.steps
                        .iter()
                        .any(|s| s.kind == StepKind::StartDataCopy && s.mode == M)
                }) {
                    M
                } else {
                    A
                },
                "named data movers per resource",
                data,
            );
            a.wave = Some(wv.number);
            out[2].activities.push(a);
        }
        let mut parts = Vec::new();
        if deploy > 0 {
            parts.push(format!("deploy {deploy}"));
        }
        if reconf > 0 {
            parts.push(format!("re-configure {reconf}"));
        }
        if manual > 0 {
            parts.push(format!("relocate {manual} by hand"));
        }
        if owned > 0 {
            parts.push(format!(
                "verify {owned} resource(s) their owners created or services installed"
            ));
        }
        if wv.role_assignments > 0 {
            parts.push(format!("create {} role assignment(s)", wv.role_assignments));
        }
        if !parts.is_empty() {
            let mut a = act(
                format!("Wave {}: {}", wv.number, wv.title),
                if manual > 0 { M } else { A },
                parts.join(", "),
                members.len() + wv.role_assignments,
            );
            a.wave = Some(wv.number);
            out[3].activities.push(a);
        }
    }
    let recreated_principals = ras
        .iter()
        .filter(|r| matches!(r.target_principal, TargetPrincipal::NewPrincipalOf { .. }))
        .count();
    if recreated_principals > 0 {
        out[3].activities.push(act(
            "Grant new principals",
            A,
            "role assignments for recreated identities are created once their principal ids are known",
            recreated_principals,
        ));
    }
    // Commit or discard.
    out[4].activities.push(act(
        "Verify every target resource",
        A,
        "exists, provisioningState Succeeded, properties match the generated template",
        creating,
    ));
    out[4].activities.push(act(
        "Commit or discard",
        M,
        "commit keeps the target; discard deletes what was created in the target and leaves the source untouched",
        1,
    ));
    // Clean up.
    out[5].activities.push(act(
        "Remove source locks, then delete source resources in reverse wave order",
        M,
        "only after commit; data stores last, after their final sync is confirmed",
        creating,
    ));
    out[5].activities.push(act(
        "Delete move artifacts",
        M,
        "staging storage, snapshots copied for the move, temporary peerings",
        1,
    ));
    // Manual checklist items and scenario steps, in their phase.
    let manual_items = checklist
        .iter()
        .filter(|c| c.automation == Automation::Manual)
        .count();
    if manual_items > 0 {
        out[3].activities.push(act(
            "Manual checklist",
            M,
            format!("{manual_items} item(s) that do not travel and must be redone by a person (see the checklist)"),
            manual_items,
        ));
    }
    for sc in scenarios {
        for st in &sc.steps {
            let ix = ALL.iter().position(|p| *p == st.phase).unwrap_or(3);
            out[ix].activities.push(act(
                format!("{}: {}", sc.title, st.title),
                st.mode,
                st.instruction.clone(),
                st.count,
            ));
        }
    }
    out
}
