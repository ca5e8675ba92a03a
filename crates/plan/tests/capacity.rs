//! Quota and SKU availability read live (`assess --live`, executor
//! `quota-check`): the figures ARM returns for the target subscription
//! become findings about what the plan creates there; without them quota is
//! reported as unknown. The ARM shapes are REST "Resource Skus - List"
//! (api 2021-07-01: `locationInfo[].zones`, `capabilities` `vCPUs`,
//! `restrictions[].reasonCode` `NotAvailableForSubscription`, see
//! learn.microsoft.com/azure/azure-resource-manager/troubleshooting/
//! error-sku-not-available) and compute / network "Usage - List".

use std::path::{Path, PathBuf};

use azrelo_catalog::{Catalog, Severity};
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use azrelo_plan::capacity::{CapacityFacts, SubscriptionCapacity};
use azrelo_plan::*;
use serde_json::json;

const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

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

fn sku(name: &str, vcpus: u32, zones: &[&str], restricted: bool) -> serde_json::Value {
    let restrictions = if restricted {
        json!([{"type": "Location", "values": ["swedencentral"],
                "restrictionInfo": {"locations": ["swedencentral"]},
                "reasonCode": "NotAvailableForSubscription"}])
    } else {
        json!([])
    };
    json!({
        "resourceType": "virtualMachines", "name": name, "tier": "Standard",
        "family": "standardDSv5Family", "locations": ["swedencentral"],
        "locationInfo": [{"location": "swedencentral", "zones": zones}],
        "capabilities": [{"name": "vCPUs", "value": vcpus.to_string()}],
        "restrictions": restrictions
    })
}

fn usage(name: &str, current: u64, limit: u64) -> serde_json::Value {
    json!({"unit": "Count", "currentValue": current, "limit": limit,
           "name": {"value": name, "localizedValue": name}})
}

fn plan_with(facts: Option<CapacityFacts>) -> Plan {
    let e = example();
    let g = azrelo_graph::build(&e);
    let mut o = PlanOptions::new("swedencentral");
    o.capacity = facts;
    plan(&e, &g, Catalog::embedded(), &o).unwrap()
}

fn codes(p: &Plan) -> Vec<(&str, Severity)> {
    p.findings
        .iter()
        .map(|f| (f.code.as_str(), f.severity))
        .collect()
}

#[test]
fn without_live_facts_quota_is_unknown() {
    let p = plan_with(None);
    assert!(codes(&p).contains(&("quota-unknown", Severity::Info)));
}

#[test]
fn live_figures_replace_unknown_quota_and_name_each_shortfall() {
    let skus = [
        sku("Standard_D2s_v5", 2, &["1", "2", "3"], false),
        // The app VM is zonal in zone 1; the size is offered in 2 and 3 only.
        sku("Standard_D4s_v5", 4, &["2", "3"], false),
    ];
    let usages = [
        usage("cores", 90, 100),
        usage("standardDSv5Family", 0, 100),
        usage("PublicIPAddresses", 1, 10),
    ];
    let providers = [
        json!({"namespace": "Microsoft.Compute", "registrationState": "Registered"}),
        json!({"namespace": "Microsoft.Network", "registrationState": "NotRegistered"}),
    ];
    let cap = SubscriptionCapacity::from_arm(SUB, "swedencentral", &skus, &usages, &providers);
    let p = plan_with(Some(CapacityFacts {
        subscriptions: vec![cap],
    }));
    let c = codes(&p);
    assert!(!c.iter().any(|(k, _)| *k == "quota-unknown"), "{c:?}");
    let find = |code: &str| {
        p.findings
            .iter()
            .filter(|f| f.code == code)
            .collect::<Vec<_>>()
    };
    // 2 + 2 + 4 vCPUs needed, 10 left of the regional total.
    let q = find("quota-insufficient");
    assert!(q.is_empty(), "8 of 10 free vCPUs fit: {q:?}");
    let info = find("quota");
    assert_eq!(info.len(), 1);
    assert!(
        info[0]
            .message
            .contains("Total regional vCPUs: 8 needed, 90 of 100 used"),
        "{}",
        info[0].message
    );
    let z = find("sku-zone-unavailable");
    assert_eq!(z.len(), 1, "{z:?}");
    assert!(
        z[0].resource
            .as_deref()
            .unwrap()
            .ends_with("vm-shop-app-01")
    );
    assert_eq!(z[0].severity, Severity::Blocker);
    let r = find("provider-not-registered");
    assert!(
        r.iter().any(|f| f.message.contains("microsoft.network")),
        "{r:?}"
    );
}

#[test]
fn a_restricted_size_and_a_full_quota_are_blockers() {
    let skus = [
        sku("Standard_D2s_v5", 2, &["1", "2", "3"], true),
        sku("Standard_D4s_v5", 4, &["1", "2", "3"], false),
    ];
    let usages = [usage("cores", 95, 100), usage("standardDSv5Family", 0, 100)];
    let cap = SubscriptionCapacity::from_arm(SUB, "swedencentral", &skus, &usages, &[]);
    let p = plan_with(Some(CapacityFacts {
        subscriptions: vec![cap],
    }));
    let restricted: Vec<_> = p
        .findings
        .iter()
        .filter(|f| f.code == "sku-restricted")
        .collect();
    assert_eq!(restricted.len(), 2, "both web VMs use the restricted size");
    assert!(
        restricted[0]
            .message
            .contains("NotAvailableForSubscription")
    );
    let q: Vec<_> = p
        .findings
        .iter()
        .filter(|f| f.code == "quota-insufficient")
        .collect();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].severity, Severity::Blocker);
    assert!(
        q[0].message.contains("needs 8, 5 are left"),
        "{}",
        q[0].message
    );
    // A size the region does not list at all.
    let cap = SubscriptionCapacity::from_arm(SUB, "swedencentral", &skus[..1], &usages, &[]);
    let p = plan_with(Some(CapacityFacts {
        subscriptions: vec![cap],
    }));
    assert!(
        p.findings
            .iter()
            .any(|f| f.code == "sku-not-offered" && f.message.contains("Standard_D4s_v5"))
    );
}
