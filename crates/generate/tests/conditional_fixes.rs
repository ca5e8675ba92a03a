//! A catalog template fix with a condition applies only where the plan
//! found the condition to hold (`PlannedResource::template_fixes`), not on
//! every resource of the type: a zonal public IP keeps its zones in a
//! target region with availability zones (northeurope) and loses them only
//! where the region has none (ukwest), as `drop-zones-without-target-zones`
//! says. The generator used to apply every fix of the type, so zonal
//! resources lost their zones everywhere, and the manifest gave the wrong
//! reason ("the target region has no availability zones").

use azrelo_catalog::Catalog;
use azrelo_estate::{InputText, LoadOptions};
use azrelo_generate::{ChangeKind, embedded_flags, generate};
use azrelo_plan::{PlanOptions, plan};
use serde_json::{Value, json};

/// A zone-redundant Standard public IP as ARM returns it.
fn zonal_pip() -> Value {
    json!({
        "id": "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-web/providers/Microsoft.Network/publicIPAddresses/pip-web",
        "name": "pip-web",
        "type": "Microsoft.Network/publicIPAddresses",
        "location": "westeurope",
        "zones": ["1", "2", "3"],
        "sku": { "name": "Standard", "tier": "Regional" },
        "properties": {
            "provisioningState": "Succeeded",
            "ipAddress": "20.61.14.9",
            "publicIPAddressVersion": "IPv4",
            "publicIPAllocationMethod": "Static",
            "idleTimeoutInMinutes": 4
        }
    })
}

fn generated_pip(target: &str) -> (Value, Vec<azrelo_generate::Change>) {
    let inputs = vec![InputText {
        name: "resources.json".into(),
        text: serde_json::to_string(&json!({ "value": [zonal_pip()] })).unwrap(),
        path: None,
        explicit: true,
    }];
    let opts = LoadOptions {
        subscription: "11111111-2222-3333-4444-555555555555".into(),
        resource_group: "rg-web".into(),
        location: "westeurope".into(),
        ..LoadOptions::default()
    };
    let loaded = azrelo_estate::load_texts(inputs, &opts, true);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let e = loaded.estate;
    let g = azrelo_graph::build(&e);
    let p = plan(&e, &g, Catalog::embedded(), &PlanOptions::new(target)).unwrap();
    let out = generate(&p, &e, Catalog::embedded(), embedded_flags());
    let body = out
        .deployments
        .iter()
        .flat_map(|d| {
            d.template["resources"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|r| r["type"] == "Microsoft.Network/publicIPAddresses")
        .expect("the address is generated");
    let changes = out.changes.values().flatten().cloned().collect();
    (body, changes)
}

#[test]
fn zones_are_kept_where_the_target_region_has_zones() {
    let (b, changes) = generated_pip("northeurope");
    assert_eq!(b["zones"], json!(["1", "2", "3"]), "{b}");
    assert!(
        !changes
            .iter()
            .any(|c| c.pointer == "/zones" && c.kind == ChangeKind::Dropped),
        "{changes:?}"
    );
}

#[test]
fn zones_are_dropped_where_the_target_region_has_none() {
    let (b, changes) = generated_pip("ukwest");
    assert!(b.get("zones").is_none(), "{b}");
    assert!(
        changes
            .iter()
            .any(|c| c.pointer == "/zones" && c.detail.contains("no availability zones")),
        "{changes:?}"
    );
}
