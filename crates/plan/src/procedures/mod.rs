//! The guidance's procedures in a plan: the scenarios that apply,
//! instantiated on the plan's resources (narrowed by each step's `only`),
//! the actions the run's executors perform for their automated steps, and
//! — in [`crate::gates`] — the gates their manual steps become.

use std::collections::{HashMap, HashSet};

use azrelo_arm::IdIndex;
use azrelo_arm::id::ResourceId;
use azrelo_catalog::Catalog;
use azrelo_estate::Estate;

use crate::build::MAX_LISTED;
use crate::id_map::IdMap;
use crate::model::*;
use crate::options::PlanOptions;

pub(crate) mod actions;
pub(crate) mod relations;

use relations::Relations;
pub use relations::is_default_workspace;

/// What the procedures are built from.
pub(crate) struct Ctx<'a> {
    pub estate: &'a Estate,
    pub catalog: &'a Catalog,
    pub opts: &'a PlanOptions,
    pub target_region: &'a str,
    pub resources: &'a [PlannedResource],
    pub role_assignments: &'a [RoleAssignmentPlan],
    pub id_map: IdMap,
    pub rel: Relations<'a>,
    pub by_source: IdIndex<&'a PlannedResource>,
    pub by_target: IdIndex<&'a PlannedResource>,
    /// Ids of the estate's non-resource records (role assignments,
    /// diagnostic settings, locks, exemptions).
    pub records: IdIndex<()>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        estate: &'a Estate,
        catalog: &'a Catalog,
        opts: &'a PlanOptions,
        target_region: &'a str,
        resources: &'a [PlannedResource],
        role_assignments: &'a [RoleAssignmentPlan],
        id_map: &[IdMapping],
    ) -> Ctx<'a> {
        Ctx {
            estate,
            catalog,
            opts,
            target_region,
            resources,
            role_assignments,
            id_map: IdMap::new(id_map),
            rel: Relations::new(estate),
            by_source: resources.iter().map(|r| (r.source_id.clone(), r)).collect(),
            by_target: resources.iter().map(|r| (r.target_id.clone(), r)).collect(),
            records: estate
                .role_assignments
                .iter()
                .map(|r| &r.id)
                .chain(estate.diagnostic_settings.iter().map(|r| &r.id))
                .chain(estate.locks.iter().map(|r| &r.id))
                .chain(estate.policy_exemptions.iter().map(|r| &r.id))
                .map(|id| (id.clone(), ()))
                .collect(),
        }
    }
}

/// The actions of the run, in a deterministic order.
pub(crate) fn actions(ctx: &Ctx<'_>) -> Vec<ActionPlan> {
    let mut out = Vec::new();
    actions::backup(ctx, &mut out);
    actions::defender(ctx, &mut out);
    actions::identities(ctx, &mut out);
    out.sort_by(|a, b| {
        a.wave
            .cmp(&b.wave)
            .then_with(|| a.key.as_str().cmp(b.key.as_str()))
    });
    out
}

/// The scenarios that apply, with the resources each step concerns (after
/// its `only`) and the actions that carry out its automated steps.
pub(crate) fn scenarios(ctx: &Ctx<'_>, actions: &[ActionPlan]) -> Vec<ScenarioPlan> {
    let mut by_type: HashMap<String, Vec<(&ResourceId, &str)>> = HashMap::new();
    for r in ctx.resources {
        if r.action == Action::Keep {
            continue;
        }
        by_type
            .entry(r.resource_type.to_ascii_lowercase())
            .or_default()
            .push((&r.source_id, &r.name));
    }
    // The subscriptions resources move out of, and what the estate holds in
    // them (settings of the subscription itself).
    let subs = relations::subscriptions(
        ctx.resources
            .iter()
            .filter(|r| r.action.creates_target())
            .map(|r| &r.source_id),
    );
    let mut in_subs: HashMap<String, Vec<(&ResourceId, &str)>> = HashMap::new();
    for r in &ctx.estate.resources {
        if r.id
            .subscription_id()
            .is_some_and(|s| subs.contains(&s.to_ascii_lowercase()))
            && r.id.resource_group().is_none()
        {
            in_subs
                .entry(r.resource_type.to_ascii_lowercase())
                .or_default()
                .push((&r.id, &r.name));
        }
    }
    let types: Vec<&str> = by_type.keys().map(String::as_str).collect();
    let sub_types: Vec<&str> = in_subs.keys().map(String::as_str).collect();
    let mut by_step: HashMap<&str, Vec<String>> = HashMap::new();
    for a in actions {
        if let Some(s) = &a.step {
            by_step
                .entry(s.as_str())
                .or_default()
                .push(a.key.to_string());
        }
    }
    let mut out = Vec::new();
    for sc in ctx.catalog.scenarios_triggered(types, sub_types) {
        let steps = sc
            .steps
            .iter()
            .filter_map(|st| {
                let mut seen: HashSet<String> = HashSet::new();
                let mut res: Vec<&str> = Vec::new();
                for t in &st.applies_to {
                    let t = t.to_ascii_lowercase();
                    let planned = by_type.get(&t).into_iter().flatten();
                    let context = in_subs.get(&t).into_iter().flatten();
                    for (id, name) in planned.chain(context) {
                        if st.only.is_some_and(|o| !ctx.rel.holds(o, id, name)) {
                            continue;
                        }
                        if seen.insert(id.as_str().to_ascii_lowercase()) {
                            res.push(id.as_str());
                        }
                    }
                }
                if !st.applies_to.is_empty() && res.is_empty() {
                    return None;
                }
                let count = res.len();
                res.sort_unstable();
                res.truncate(MAX_LISTED);
                let key = format!("{}/{}", sc.id, st.id);
                Some(ScenarioStepPlan {
                    id: st.id.clone(),
                    title: st.title.clone(),
                    phase: st.phase,
                    mode: st.mode,
                    instruction: st.instruction.clone(),
                    count,
                    resources: res.into_iter().map(str::to_owned).collect(),
                    checklist: st.checklist.clone(),
                    executor: st.executor.clone(),
                    instead: st.instead.clone(),
                    actions: by_step.get(key.as_str()).cloned().unwrap_or_default(),
                    gates: Vec::new(),
                })
            })
            .collect();
        out.push(ScenarioPlan {
            id: sc.id.clone(),
            title: sc.title.clone(),
            summary: sc.summary.clone(),
            steps,
        });
    }
    out
}

/// The resources of a scenario step (all of them, not only the listed
/// ones), for the gates: planned resources of its types that its `only`
/// holds for.
pub(crate) fn step_resources<'a>(
    ctx: &Ctx<'a>,
    st: &azrelo_catalog::ScenarioStep,
) -> Vec<&'a PlannedResource> {
    ctx.resources
        .iter()
        .filter(|r| r.action != Action::Keep)
        .filter(|r| {
            st.applies_to
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&r.resource_type))
        })
        .filter(|r| {
            st.only
                .is_none_or(|o| ctx.rel.holds(o, &r.source_id, &r.name))
        })
        .collect()
}
