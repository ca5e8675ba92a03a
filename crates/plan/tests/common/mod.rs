//! Helpers shared by the plan's tests.

use azrelo_catalog::Catalog;
use azrelo_estate::{InputText, LoadOptions};
use azrelo_plan::{Plan, PlanOptions, check_invariants, plan};
use serde_json::Value;

/// The subscription of [`plan_of_exports`]'s resources.
pub const SUB_ID: &str = "11111111-2222-3333-4444-555555555555";

/// Export files (`az resource show` bodies, lists, …: name and content)
/// of a West Europe group of [`SUB_ID`], read as `azrelo discover` reads
/// them and planned to North Europe; the plan's invariants must hold.
pub fn plan_of_exports(resource_group: &str, files: &[(&str, Value)]) -> Plan {
    let inputs = files
        .iter()
        .map(|(name, v)| InputText {
            name: (*name).to_string(),
            text: serde_json::to_string_pretty(v).unwrap(),
            path: None,
            explicit: true,
        })
        .collect();
    let opts = LoadOptions {
        subscription: SUB_ID.into(),
        resource_group: resource_group.into(),
        location: "westeurope".into(),
        ..LoadOptions::default()
    };
    let loaded = azrelo_estate::load_texts(inputs, &opts, true);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let e = loaded.estate;
    let g = azrelo_graph::build(&e);
    let p = plan(
        &e,
        &g,
        Catalog::embedded(),
        &PlanOptions::new("northeurope"),
    )
    .unwrap();
    let v = check_invariants(&p, &e, &g);
    assert!(v.is_empty(), "invariants violated:\n{}", v.join("\n"));
    p
}
