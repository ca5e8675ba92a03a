//! The availability check (executor `availability-check`): zonal resources
//! against a target region without zones, and every moved type against the
//! provider snapshot (a region the snapshot does not know is unknown, never
//! unavailable).

use std::path::{Path, PathBuf};

use azrelo_catalog::{Catalog, Severity};
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use azrelo_plan::*;

fn example() -> Estate {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contoso-shop");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    load_inputs(&files, &LoadOptions::default()).unwrap()
}

fn plan_to(opts: PlanOptions) -> Plan {
    let e = example();
    let g = azrelo_graph::build(&e);
    plan(&e, &g, Catalog::embedded(), &opts).unwrap()
}

#[test]
fn zonal_resources_in_a_region_without_zones_are_named() {
    let p = plan_to(PlanOptions::new("westcentralus"));
    let zonal: Vec<&Finding> = p
        .findings
        .iter()
        .filter(|f| f.code == "zones-unavailable")
        .collect();
    // Three VMs, their disks and NICs… and the zone-redundant public IP.
    assert!(zonal.len() >= 4, "{zonal:?}");
    assert!(zonal.iter().all(|f| f.severity == Severity::Warning));
    assert!(zonal.iter().any(|f| {
        f.resource
            .as_deref()
            .is_some_and(|r| r.ends_with("/virtualMachines/vm-shop-web-02"))
            && f.message.contains("zone(s) 2")
    }));
    // A region with zones has none of these findings.
    let p = plan_to(PlanOptions::new("swedencentral"));
    assert!(!p.findings.iter().any(|f| f.code == "zones-unavailable"));
}

#[test]
fn a_region_the_snapshot_does_not_know_is_unknown_not_unavailable() {
    let mut o = PlanOptions::new("newregionwest");
    o.allow_unknown_region = true;
    let p = plan_to(o);
    let f: Vec<&Finding> = p
        .findings
        .iter()
        .filter(|f| f.code == "type-availability")
        .collect();
    assert!(!f.is_empty());
    assert!(f.iter().all(|f| f.severity != Severity::Blocker), "{f:?}");
    assert!(
        f[0].message
            .contains("does not know the region newregionwest"),
        "{}",
        f[0].message
    );
}
