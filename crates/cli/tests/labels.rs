//! Labels are true (issue #15, item 1): every catalog step, checklist item
//! and data mover labelled `automated` names an executor of
//! `executors.toml`; every executor is registered by the part of azrelo its
//! `performed_by` names (the registries below are the code's own lists);
//! every executor is exercised by a named test that exists; and every
//! executor `apply` performs has units in the run of the procedures estate
//! (`azrelo_testkit::procedures`) relocated across subscriptions.

use std::collections::BTreeSet;
use std::path::Path;

use azrelo_catalog::{Automation, Catalog, PerformedBy, StepMode};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// Where each executor is exercised: a test (file, function) that fails
/// when the executor does not do what its description says.
const EXERCISED: &[(&str, &str, &str)] = &[
    (
        "availability-check",
        "crates/plan/tests/availability.rs",
        "zonal_resources_in_a_region_without_zones_are_named",
    ),
    (
        "catalog-rules",
        "crates/cli/tests/cli_plan.rs",
        "assess_json_has_stable_fields",
    ),
    (
        "name-rules",
        "crates/plan/tests/invariants.rs",
        "example_estate_plan_holds_invariants_and_models_the_workload",
    ),
    (
        "dependency-graph",
        "crates/plan/tests/invariants.rs",
        "example_estate_plan_holds_invariants_and_models_the_workload",
    ),
    (
        "backup-tracks",
        "crates/orchestrate/tests/model.rs",
        "the_example_becomes_units_with_the_dependencies_arm_needs",
    ),
    (
        "quota-check",
        "crates/cli/tests/cli_assess_live.rs",
        "assess_live_reads_quota_and_sizes_of_the_target",
    ),
    (
        "role-assignment-inventory",
        "crates/live/tests/contoso.rs",
        "live_discovery_of_the_seeded_example_matches_file_discovery",
    ),
    (
        "template-generation",
        "crates/generate/tests/generate.rs",
        "example_templates_reexpand_and_hold_the_invariants",
    ),
    (
        "deploy",
        "crates/orchestrate/tests/e2e.rs",
        "example_relocates_end_to_end_on_the_emulator",
    ),
    (
        "disk-snapshot-copy",
        "crates/orchestrate/tests/e2e.rs",
        "example_relocates_end_to_end_on_the_emulator",
    ),
    (
        "reconfigure",
        "crates/orchestrate/tests/e2e.rs",
        "example_relocates_end_to_end_on_the_emulator",
    ),
    (
        "verify",
        "crates/orchestrate/tests/e2e.rs",
        "a_changed_target_blocks_its_commit_and_discard_returns_it_to_prepared",
    ),
    (
        "source-cleanup",
        "crates/orchestrate/tests/e2e.rs",
        "example_relocates_end_to_end_on_the_emulator",
    ),
    (
        "role-assignments",
        "crates/orchestrate/tests/procedures.rs",
        "a_cross_subscription_relocation_runs_the_procedures",
    ),
    (
        "identity-grants",
        "crates/orchestrate/tests/procedures.rs",
        "a_cross_subscription_relocation_runs_the_procedures",
    ),
    (
        "backup-baseline-capture",
        "crates/orchestrate/tests/procedures.rs",
        "a_cross_subscription_relocation_runs_the_procedures",
    ),
    (
        "backup-stop-protection",
        "crates/orchestrate/tests/gate_order.rs",
        "scenario_gates_hold_the_run_in_the_planned_order",
    ),
    (
        "backup-reprotect",
        "crates/orchestrate/tests/procedures.rs",
        "a_cross_subscription_relocation_runs_the_procedures",
    ),
    (
        "backup-baseline-compare",
        "crates/orchestrate/tests/procedures.rs",
        "a_cross_subscription_relocation_runs_the_procedures",
    ),
    (
        "defender-subscription",
        "crates/orchestrate/tests/procedures.rs",
        "a_cross_subscription_relocation_runs_the_procedures",
    ),
    (
        "defender-workspace-solutions",
        "crates/orchestrate/tests/procedures.rs",
        "a_cross_subscription_relocation_runs_the_procedures",
    ),
    (
        "defender-servers-assess",
        "crates/defender/tests/assess_cases.rs",
        "aws_machine_without_a_connector_is_blocked_gcp_with_a_ready_one_is_ready",
    ),
    (
        "defender-servers-apply",
        "crates/defender/tests/apply_emulator.rs",
        "apply_puts_exactly_the_missing_settings_and_a_second_run_puts_nothing",
    ),
];

/// The registry of the part of azrelo that performs `by`.
fn registries(by: PerformedBy) -> Vec<(&'static str, &'static [&'static str])> {
    match by {
        PerformedBy::Plan => vec![("azrelo_plan", azrelo_plan::EXECUTORS)],
        // Read by azrelo-live, judged by the plan.
        PerformedBy::AssessLive => vec![
            ("azrelo_live", azrelo_live::EXECUTORS),
            ("azrelo_plan", azrelo_plan::EXECUTORS),
        ],
        PerformedBy::Discover => vec![("azrelo_live", azrelo_live::EXECUTORS)],
        PerformedBy::Generate => vec![("azrelo_generate", azrelo_generate::EXECUTORS)],
        PerformedBy::Apply | PerformedBy::CleanupSource => {
            vec![("azrelo_orchestrate", azrelo_orchestrate::model::EXECUTORS)]
        }
        PerformedBy::DefenderServers => {
            vec![("azrelo_defender", azrelo_defender::EXECUTORS)]
        }
    }
}

#[test]
fn every_automated_label_names_an_executor_that_is_registered_and_exercised() {
    let c = Catalog::embedded();
    let mut labelled: BTreeSet<String> = BTreeSet::new();
    for sc in c.scenarios() {
        for st in sc.steps.iter().filter(|s| s.mode == StepMode::Automated) {
            let e = st
                .executor
                .as_deref()
                .unwrap_or_else(|| panic!("{}/{} is automated without an executor", sc.id, st.id));
            labelled.insert(e.to_string());
        }
    }
    for item in c
        .checklist_items()
        .filter(|i| i.automation == Automation::Automated)
    {
        let e = item
            .executor
            .as_deref()
            .unwrap_or_else(|| panic!("{} is automated without an executor", item.id));
        labelled.insert(e.to_string());
    }
    for m in c.data_movers() {
        if let Some(e) = &m.executor {
            labelled.insert(e.clone());
        }
    }
    for e in &labelled {
        assert!(c.executor(e).is_some(), "label names unknown executor {e}");
    }
    // Each executor: registered where it is performed, exercised by a test.
    for ex in c.executors() {
        for (krate, reg) in registries(ex.performed_by) {
            assert!(
                reg.contains(&ex.id.as_str()),
                "{} ({}) is not registered by {krate}",
                ex.id,
                ex.performed_by.as_str()
            );
        }
        let (_, file, test) = EXERCISED
            .iter()
            .find(|(id, _, _)| *id == ex.id)
            .unwrap_or_else(|| panic!("no test exercises executor {}", ex.id));
        let text = std::fs::read_to_string(Path::new(ROOT).join(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(
            text.contains(&format!("fn {test}(")),
            "{file} has no test {test} (exercising {})",
            ex.id
        );
    }
    // No registry claims an executor the catalog does not define.
    for reg in [
        azrelo_plan::EXECUTORS,
        azrelo_live::EXECUTORS,
        azrelo_generate::EXECUTORS,
        azrelo_orchestrate::model::EXECUTORS,
        azrelo_defender::EXECUTORS,
    ] {
        for id in reg {
            assert!(
                c.executor(id).is_some(),
                "{id} registered but not in the catalog"
            );
        }
    }
    // The steps the issue found mislabelled name what performs them now.
    for (scenario, step, executor) in [
        (
            "azure-backup",
            "capture-backup-configuration",
            "backup-baseline-capture",
        ),
        (
            "azure-backup",
            "validate-backup-configuration",
            "backup-baseline-compare",
        ),
        (
            "azure-backup",
            "vm-stop-protection",
            "backup-stop-protection",
        ),
        ("azure-backup", "vm-reprotect", "backup-reprotect"),
        ("general-move-process", "check-quota", "quota-check"),
        (
            "managed-identities",
            "recreate-service-grants",
            "identity-grants",
        ),
        (
            "defender-for-cloud",
            "enable-defender-new-subscription",
            "defender-subscription",
        ),
        (
            "defender-for-cloud",
            "servers-install-security-solution",
            "defender-workspace-solutions",
        ),
    ] {
        let sc = c.scenario(scenario).unwrap();
        let Some(st) = sc.steps.iter().find(|s| s.id == step) else {
            panic!("{scenario}/{step} missing")
        };
        assert_eq!(st.executor.as_deref(), Some(executor), "{scenario}/{step}");
    }
}

#[test]
fn every_executor_apply_performs_has_units_in_a_run() {
    // The procedures estate relocated to another subscription: every kind
    // of unit and action.
    let tmp = tempfile::tempdir().unwrap();
    let extra = azrelo_testkit::procedures::extra_inputs(tmp.path());
    let dir = tmp.path().join("plan");
    let mut opts = azrelo_plan::PlanOptions::new("northeurope");
    opts.target_subscription = Some(azrelo_testkit::procedures::TARGET_SUB.into());
    let mut files: Vec<std::path::PathBuf> =
        std::fs::read_dir(Path::new(ROOT).join("examples/contoso-shop"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
    files.sort();
    files.push(extra);
    let estate =
        azrelo_estate::load_inputs(&files, &azrelo_estate::LoadOptions::default()).unwrap();
    let g = azrelo_graph::build(&estate);
    let p = azrelo_plan::plan(&estate, &g, Catalog::embedded(), &opts).unwrap();
    let out = azrelo_generate::generate(
        &p,
        &estate,
        Catalog::embedded(),
        azrelo_generate::embedded_flags(),
    );
    let pd = azrelo_run::PlanDir::new(&dir);
    pd.write_plan(&estate, &p).unwrap();
    pd.write_templates(&out, &pd.templates()).unwrap();
    let plan = azrelo_run::PlanDir::new(&dir).load_run().unwrap();
    let kinds: BTreeSet<&str> = plan.units.iter().map(|u| u.kind.as_str()).collect();
    let c = Catalog::embedded();
    for ex in c
        .executors()
        .iter()
        .filter(|e| e.performed_by == PerformedBy::Apply)
    {
        let evidence = match ex.id.as_str() {
            // Every unit is verified after its move; role assignments also
            // come through the generated templates.
            "verify" => !plan.units.is_empty(),
            "disk-snapshot-copy" => kinds.contains("disk-copy"),
            id => kinds.contains(id),
        };
        assert!(
            evidence,
            "no unit of the run is performed by {} ({kinds:?})",
            ex.id
        );
    }
}
