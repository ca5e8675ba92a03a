//! Planning an estate in hand: the dependency graph, the plan, and the
//! independent invariant check a plan must pass before anything uses it.

use azrelo_catalog::{Catalog, Severity};
use azrelo_estate::Estate;
use azrelo_plan::{Plan, PlanOptions, check_invariants};

use crate::RunError;

/// The plan of `estate` for `opts` with `catalog`. A plan that fails
/// [`check_invariants`] is an internal error, never returned.
pub fn plan_estate(
    estate: &Estate,
    catalog: &Catalog,
    opts: &PlanOptions,
) -> Result<Plan, RunError> {
    tracing::info!(resources = estate.resources.len(), "estate loaded");
    let graph = azrelo_graph::build(estate);
    tracing::info!(
        nodes = graph.nodes.len(),
        edges = graph.edges.len(),
        "graph built"
    );
    let plan = azrelo_plan::plan(estate, &graph, catalog, opts).map_err(|e| {
        // "Did you mean" for a misspelt --target.
        let close: Vec<String> = azrelo_arm::Regions::embedded()
            .suggest(&opts.target_region)
            .iter()
            .map(|r| r.name.clone())
            .collect();
        let help = if close.is_empty()
            || azrelo_arm::Regions::embedded()
                .get(&opts.target_region)
                .is_some()
        {
            "run `azrelo regions` to list region names".to_string()
        } else {
            format!(
                "did you mean {}? (`azrelo regions` lists them all)",
                close.join(", ")
            )
        };
        RunError::bad_input(e.to_string(), help)
    })?;
    let violations = check_invariants(&plan, estate, &graph);
    if !violations.is_empty() {
        return Err(RunError::failure(format!(
            "internal error: the plan violates {} invariant(s); please report this with the inputs:\n  {}",
            violations.len(),
            violations.join("\n  ")
        )));
    }
    Ok(plan)
}

/// How many blocking findings the plan has.
pub fn blockers(plan: &Plan) -> usize {
    plan.findings
        .iter()
        .filter(|f| f.severity == Severity::Blocker)
        .count()
}
