//! Defender for Cloud in the plan (seed 000): a `DefaultWorkspace-*`
//! in the move set gets a finding saying cleanup-source keeps it and why;
//! the procedure belongs to every selection of a subscription with Defender.

use azrelo_catalog::{Catalog, Severity};
use azrelo_estate::{LoadOptions, load_inputs};
use azrelo_plan::*;

#[test]
fn a_default_workspace_is_kept_with_a_finding() {
    let mut files = azrelo_testkit::example_files();
    // A file of this test's own (no temp-dir crate among the plan's
    // dev-dependencies); removed at the end.
    let extra = std::env::temp_dir().join(format!(
        "azrelo-plan-default-workspace-{}.json",
        std::process::id()
    ));
    let sub = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";
    let name = format!("DefaultWorkspace-{sub}-WEU");
    std::fs::write(
        &extra,
        serde_json::json!({"count": 1, "data": [{
            "id": format!("/subscriptions/{sub}/resourceGroups/DefaultResourceGroup-WEU/providers/Microsoft.OperationalInsights/workspaces/{name}"),
            "name": name,
            "type": "microsoft.operationalinsights/workspaces",
            "location": "westeurope",
            "resourceGroup": "DefaultResourceGroup-WEU",
            "subscriptionId": sub,
            "properties": {"customerId": "0a0b0c0d-0000-4000-8000-000000000001", "sku": {"name": "PerGB2018"}, "retentionInDays": 30}
        }]})
        .to_string(),
    )
    .unwrap();
    files.push(extra.clone());
    let e = load_inputs(&files, &LoadOptions::default());
    let _ = std::fs::remove_file(&extra);
    let e = e.unwrap();
    let g = azrelo_graph::build(&e);
    let p = plan(
        &e,
        &g,
        Catalog::embedded(),
        &PlanOptions::new("northeurope"),
    )
    .unwrap();
    let f: Vec<&Finding> = p
        .findings
        .iter()
        .filter(|f| f.code == "default-workspace-kept")
        .collect();
    assert_eq!(f.len(), 1, "{:?}", p.findings);
    assert_eq!(f[0].severity, Severity::Info);
    assert!(f[0].resource.as_deref().unwrap().ends_with(&name));
    // The custom workspace gets no such finding.
    assert!(!p.findings.iter().any(|f| {
        f.code == "default-workspace-kept"
            && f.resource
                .as_deref()
                .is_some_and(|r| r.ends_with("log-shop-weu"))
    }));
    assert!(!is_default_workspace("DefaultWorkspace-"));
    assert!(!is_default_workspace(
        "DefaultWorkspac\u{e9}-é-with-multibyte"
    ));
}

/// Issue #15, item 2: the Defender for Cloud procedure belongs to a plan
/// whenever the subscription has Defender plans or settings — whatever the
/// selection, since they are settings of the subscription.
#[test]
fn the_defender_procedure_is_in_every_selection_of_a_subscription_with_defender() {
    let files = azrelo_testkit::example_files();
    let e = load_inputs(&files, &LoadOptions::default()).unwrap();
    let g = azrelo_graph::build(&e);
    let sub = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";
    // A group with nothing of Defender in it: only the network.
    let mut o = PlanOptions::new("northeurope");
    o.scopes.push(
        azrelo_arm::id::ResourceId::parse(&format!(
            "/subscriptions/{sub}/resourceGroups/rg-shop-net"
        ))
        .unwrap(),
    );
    let p = plan(&e, &g, Catalog::embedded(), &o).unwrap();
    assert!(
        !p.resources
            .iter()
            .any(|r| r.resource_type.starts_with("Microsoft.Security/")),
        "the selection itself holds no Defender resource"
    );
    assert!(
        p.scenarios.iter().any(|s| s.id == "defender-for-cloud"),
        "{:?}",
        p.scenarios.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
}
