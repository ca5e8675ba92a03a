//! Plan invariants on the built-in example, on estates built from the real
//! quickstart corpus, on a synthetic estate and under random selections:
//! every dependency edge is respected by wave order, every moved resource has
//! a unique target id, every role assignment naming a recreated principal is
//! in the recreate list, nothing global is moved.

use std::path::{Path, PathBuf};

use azrelo_catalog::Catalog;
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use azrelo_plan::*;
use proptest::prelude::*;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example() -> Estate {
    let dir = root().join("examples/contoso-shop");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    load_inputs(&files, &LoadOptions::default()).unwrap()
}

fn plan_for(estate: &Estate, opts: &PlanOptions) -> Plan {
    let g = azrelo_graph::build(estate);
    let p = plan(estate, &g, Catalog::embedded(), opts).unwrap();
    let v = check_invariants(&p, estate, &g);
    assert!(v.is_empty(), "invariants violated:\n{}", v.join("\n"));
    p
}

fn res<'p>(p: &'p Plan, suffix: &str) -> &'p PlannedResource {
    p.resources
        .iter()
        .find(|r| {
            r.source_id
                .as_str()
                .to_ascii_lowercase()
                .ends_with(&suffix.to_ascii_lowercase())
        })
        .unwrap_or_else(|| panic!("{suffix} not in plan"))
}

#[test]
fn example_estate_plan_holds_invariants_and_models_the_workload() {
    let e = example();
    let p = plan_for(&e, &PlanOptions::new("swedencentral"));
    assert_eq!(p.schema, SCHEMA);
    assert_eq!(p.target.region, "swedencentral");
    assert_eq!(p.source_regions, ["westeurope"]);
    // Everything in the estate is in the move set.
    assert!(p.summary.resources >= e.resources.len());
    // Resource groups go first and map to {rg}-{region}.
    assert_eq!(p.waves[0].phase, Phase::ResourceGroups);
    assert!(p.target.resource_groups.iter().any(|m| {
        m.target
            .ends_with("/resourceGroups/rg-shop-app-swedencentral")
    }));
    // User-assigned identities are recreated; their role assignments follow
    // them to the new principal.
    let uami = p
        .resources
        .iter()
        .find(|r| {
            r.resource_type
                .eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities")
        })
        .expect("a user-assigned identity");
    assert_eq!(uami.action, Action::Recreate);
    assert!(p.role_assignments.iter().any(|ra| matches!(
        &ra.target_principal,
        TargetPrincipal::NewPrincipalOf { identity } if identity.eq_ignore_ascii_case(uami.target_id.as_str())
    )));
    // Network before compute: the VM's wave is after its NIC's, which is
    // after the VNet's.
    let vnet = res(&p, "/virtualNetworks/vnet-shop-weu");
    let nic = res(&p, "/networkInterfaces/nic-vm-shop-web-01");
    let vm = res(&p, "/virtualMachines/vm-shop-web-01");
    assert!(
        vnet.wave < nic.wave && nic.wave < vm.wave,
        "{} {} {}",
        vnet.wave,
        nic.wave,
        vm.wave
    );
    // Key Vault: a global name gets a new compliant name.
    let kv = res(&p, "/vaults/kv-shop-weu-01");
    assert_ne!(kv.target_name, kv.name);
    assert!(kv.rename_reason.is_some());
    assert!(
        kv.target_id.as_str().ends_with(&format!(
            "/resourceGroups/rg-shop-data-swedencentral/providers/Microsoft.KeyVault/vaults/{}",
            kv.target_name
        )),
        "{}",
        kv.target_id
    );
    // A child's target id hangs off its (renamed) parent's target id.
    let hub = res(&p, "/eventhubs/security-export");
    let ns = res(&p, "/namespaces/evhns-shop-weu");
    assert_eq!(
        hub.target_id.to_string(),
        format!("{}/eventhubs/security-export", ns.target_id)
    );
    assert_ne!(ns.target_name, ns.name);
    // Scenarios from the guidance are instantiated.
    let scenarios: Vec<&str> = p.scenarios.iter().map(|s| s.id.as_str()).collect();
    for want in [
        "general-move-process",
        "azure-backup",
        "managed-identities",
        "defender-for-cloud",
    ] {
        assert!(
            scenarios.contains(&want),
            "scenario {want} missing: {scenarios:?}"
        );
    }
    // Six phases, in order.
    let phases: Vec<ProcessPhase> = p.phases.iter().map(|x| x.phase).collect();
    assert_eq!(phases.len(), 6);
    assert!(phases.windows(2).all(|w| w[0] < w[1]));
    // The id map covers every created resource.
    for r in p.resources.iter().filter(|r| r.action.creates_target()) {
        assert!(
            p.id_map
                .iter()
                .any(|m| m.source == r.source_id && m.target == r.target_id)
        );
    }
}

#[test]
fn keep_policy_reports_same_region_dependencies_as_blockers() {
    let e = example();
    let mut o = PlanOptions::new("swedencentral");
    o.include = vec![Filter::parse("Microsoft.Compute/virtualMachines").unwrap()];
    o.dependency_policy = DependencyPolicy::Keep;
    let p = plan_for(&e, &o);
    assert!(
        p.findings
            .iter()
            .any(|f| f.code == "same-region-dependency-kept" && f.severity == Severity::Blocker)
    );
    assert!(
        p.external_references
            .iter()
            .any(|x| x.resolution == ExternalResolution::KeptInSource)
    );
}

#[test]
fn selection_pulls_in_requirements_and_dependents() {
    let e = example();
    let mut o = PlanOptions::new("swedencentral");
    o.include = vec![Filter::parse("Microsoft.Compute/virtualMachines").unwrap()];
    let p = plan_for(&e, &o);
    let kinds = |k: ReasonKind| p.resources.iter().filter(|r| r.reason.kind == k).count();
    assert_eq!(kinds(ReasonKind::Selected), 3);
    assert!(
        kinds(ReasonKind::Dependency) > 0,
        "NICs, disks, VNet, identities"
    );
    // The backup items protecting moved VMs come along (re-protect in a vault
    // in the target region), and with them the vault.
    assert!(
        p.resources
            .iter()
            .any(|r| r.reason.kind == ReasonKind::SameRegionDependent)
    );
    assert!(p.resources.iter().any(|r| {
        r.resource_type
            .eq_ignore_ascii_case("Microsoft.RecoveryServices/vaults")
    }));
}

#[test]
fn corpus_quickstart_estates_hold_invariants() {
    let dirs = azrelo_testkit::quickstart_dirs();
    assert!(
        dirs.len() > 500,
        "quickstart corpus not found at {}",
        azrelo_testkit::corpus("quickstarts").display()
    );
    let (mut planned, mut resources) = (0, 0);
    let mut merged = Estate::new();
    for (i, d) in dirs.iter().enumerate() {
        let mut files = vec![d.join("azuredeploy.json")];
        if d.join("azuredeploy.parameters.json").exists() {
            files.push(d.join("azuredeploy.parameters.json"));
        }
        let opts = LoadOptions {
            resource_group: format!("rg-qs-{i}"),
            ..LoadOptions::default()
        };
        let Ok(e) = load_inputs(&files, &opts) else {
            continue;
        };
        if e.resources.is_empty() {
            continue;
        }
        let p = plan_for(&e, &PlanOptions::new("swedencentral"));
        planned += 1;
        resources += p.summary.resources;
        for r in e.resources {
            azrelo_estate::insert_resource(&mut merged, r);
        }
        merged.role_assignments.extend(e.role_assignments);
    }
    assert!(planned > 500, "only {planned} quickstarts planned");
    // All of them at once: one graph, one plan.
    let p = plan_for(&merged, &PlanOptions::new("swedencentral"));
    assert!(p.summary.resources >= resources / 2);
}

#[test]
fn synthetic_estate_holds_invariants() {
    let e = azrelo_estate::synth::estate(2_600);
    let p = plan_for(&e, &PlanOptions::new("northeurope"));
    assert!(p.summary.resources >= 2_600);
    assert!(!p.waves.is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn random_selections_hold_invariants(mask in prop::collection::vec(any::<bool>(), 80), keep in any::<bool>()) {
        let e = example();
        let mut o = PlanOptions::new("swedencentral");
        for (i, r) in e.resources.iter().enumerate() {
            if mask.get(i).copied().unwrap_or(false) {
                o.scopes.push(r.id.clone());
            }
        }
        if o.scopes.is_empty() {
            o.scopes.push(e.resources[0].id.clone());
        }
        if keep {
            o.dependency_policy = DependencyPolicy::Keep;
        }
        let _ = plan_for(&e, &o);
    }
}
