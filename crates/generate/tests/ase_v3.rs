//! An App Service Environment v2 and its Isolated plans relocate as an
//! App Service Environment v3 with Isolated v2 plans (issue #13, catalog
//! upgrades `ase-v2-to-v3` and `app-service-plan-isolated-to-isolated-v2`).
//!
//! ASE v1/v2 retired on 31 August 2024 and cannot be created since 29
//! January 2024 (learn.microsoft.com/azure/app-service/environment/
//! upgrade-to-asev3); the migration feature turns an ILB v2 into an ILB v3
//! and Isolated I1/I2/I3 plans into I1v2/I2v2/I3v2 (…/environment/migrate).
//! v3 accepts only "None" and "Web, Publishing" load-balancing modes and has
//! no front-end / multi-role pool or IP-SSL addresses. ASE v1 (worker pools,
//! Premium-tier plans) stays a blocker.
//!
//! The bodies are ARM GET results (`az resource show`, Microsoft.Web
//! 2022-03-01) of web-app-asev2-ilb-create / web-app-asp-app-on-asev2-create.

use azrelo_catalog::{GateStage, Severity};
use azrelo_generate::{ChangeKind, Generated};
use azrelo_plan::{GateOrigin, Plan};
use serde_json::{Value, json};

mod common;
use common::generated;

const RG: &str = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-ase";

fn run(resources: Vec<Value>, target: &str) -> (Plan, Generated) {
    common::plan_and_generate(&common::export_estate("rg-ase", resources), target)
}

fn vnet() -> Value {
    json!({
        "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-ase"),
        "name": "vnet-ase",
        "type": "Microsoft.Network/virtualNetworks",
        "location": "westeurope",
        "etag": "W/\"1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b\"",
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "a1b2c3d4-0000-4000-8000-0000000000a1",
            "addressSpace": { "addressPrefixes": ["10.0.0.0/16"] },
            "subnets": [{
                "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-ase/subnets/ase"),
                "name": "ase",
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "properties": {
                    "provisioningState": "Succeeded",
                    "addressPrefix": "10.0.0.0/24",
                    "delegations": [],
                    "privateEndpointNetworkPolicies": "Disabled",
                    "privateLinkServiceNetworkPolicies": "Enabled"
                }
            }],
            "virtualNetworkPeerings": [],
            "enableDdosProtection": false
        }
    })
}

fn ase(kind: &str, ilb_mode: Value) -> Value {
    json!({
        "id": format!("{RG}/providers/Microsoft.Web/hostingEnvironments/ase-web"),
        "name": "ase-web",
        "type": "Microsoft.Web/hostingEnvironments",
        "kind": kind,
        "location": "West Europe",
        "tags": {},
        "properties": {
            "name": "ase-web",
            "location": "West Europe",
            "provisioningState": "Succeeded",
            "status": "Ready",
            "virtualNetwork": {
                "id": format!("{RG}/providers/Microsoft.Network/virtualNetworks/vnet-ase/subnets/ase"),
                "name": "ase",
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "subnet": ""
            },
            "internalLoadBalancingMode": ilb_mode,
            "multiSize": "Standard_D1_V2",
            "multiRoleCount": 2,
            "ipsslAddressCount": 0,
            "dnsSuffix": "ase-web.appserviceenvironment.net",
            "maximumNumberOfMachines": 55,
            "frontEndScaleFactor": 15,
            "suspended": false,
            "hasLinuxWorkers": false,
            "dedicatedHostCount": 0,
            "zoneRedundant": false
        }
    })
}

fn isolated_plan(size: &str) -> Value {
    json!({
        "id": format!("{RG}/providers/Microsoft.Web/serverfarms/asp-web"),
        "name": "asp-web",
        "type": "Microsoft.Web/serverfarms",
        "kind": "app",
        "location": "West Europe",
        "tags": {},
        "sku": { "name": size, "tier": "Isolated", "size": size, "family": "I", "capacity": 1 },
        "properties": {
            "serverFarmId": 31337,
            "name": "asp-web",
            "workerSize": "Default",
            "workerSizeId": 0,
            "currentWorkerSize": "Default",
            "currentWorkerSizeId": 0,
            "currentNumberOfWorkers": 1,
            "status": "Ready",
            "webSpace": "rg-ase-WestEuropewebspace",
            "subscription": "11111111-2222-3333-4444-555555555555",
            "hostingEnvironmentProfile": {
                "id": format!("{RG}/providers/Microsoft.Web/hostingEnvironments/ase-web"),
                "name": "ase-web",
                "type": "Microsoft.Web/hostingEnvironments"
            },
            "maximumNumberOfWorkers": 100,
            "geoRegion": "West Europe",
            "perSiteScaling": false,
            "elasticScaleEnabled": false,
            "maximumElasticWorkerCount": 1,
            "numberOfSites": 0,
            "isSpot": false,
            "reserved": false,
            "isXenon": false,
            "hyperV": false,
            "targetWorkerCount": 0,
            "targetWorkerSizeId": 0,
            "provisioningState": "Succeeded",
            "zoneRedundant": false
        }
    })
}

fn finding<'p>(p: &'p Plan, code: &str) -> &'p azrelo_plan::Finding {
    p.findings
        .iter()
        .find(|f| f.code == code)
        .unwrap_or_else(|| panic!("no finding {code}: {:#?}", p.findings))
}

#[test]
fn an_ilb_ase_v2_and_its_isolated_plan_relocate_as_v3_and_isolated_v2() {
    for target in ["northeurope", "eastus"] {
        let (p, out) = run(
            vec![
                vnet(),
                ase("ASEV2", json!("Web, Publishing")),
                isolated_plan("I2"),
            ],
            target,
        );
        assert!(
            !p.findings.iter().any(|f| f.severity == Severity::Blocker),
            "{target}: {:#?}",
            p.findings
        );
        assert_eq!(finding(&p, "ase-v2-to-v3").severity, Severity::Warning);
        let f = finding(&p, "app-service-plan-isolated-to-isolated-v2");
        assert_eq!(f.severity, Severity::Warning);
        assert!(f.message.contains("I2v2"), "{}", f.message);

        // One approve-upgrade gate before the move of each.
        let gates: Vec<_> = p
            .gates
            .iter()
            .filter(|g| matches!(g.origin, GateOrigin::Upgrade { .. }))
            .collect();
        assert_eq!(gates.len(), 2, "{gates:#?}");
        assert!(
            gates.iter().all(|g| g.stage == GateStage::Move),
            "{gates:#?}"
        );

        let b = generated(&out, "Microsoft.Web/hostingEnvironments");
        assert_eq!(b["kind"], "ASEV3", "{b}");
        let props = &b["properties"];
        assert_eq!(props["internalLoadBalancingMode"], "Web, Publishing", "{b}");
        for gone in [
            "frontEndScaleFactor",
            "multiSize",
            "multiRoleCount",
            "ipsslAddressCount",
            "dnsSuffix",
        ] {
            assert!(props.get(gone).is_none(), "{target}: {gone} kept: {b}");
        }

        let b = generated(&out, "Microsoft.Web/serverfarms");
        assert_eq!(
            b["sku"],
            json!({ "name": "I2v2", "tier": "IsolatedV2", "size": "I2v2", "family": "Iv2", "capacity": 1 }),
            "{b}"
        );
        let declared = out
            .changes
            .values()
            .flatten()
            .filter(|c| c.kind == ChangeKind::Upgrade)
            .count();
        // ASE: kind + 4 removals (the mode is unchanged); plan: 4 SKU members.
        assert_eq!(declared, 9, "{target}: {:#?}", out.changes);
    }
}

#[test]
fn an_external_ase_v2_given_as_a_number_keeps_external_load_balancing() {
    // The flags enum given as a number (0 = None), as asev2-appservice-sql-vpngw
    // deploys it (3 = "Web, Publishing").
    let (p, out) = run(vec![vnet(), ase("ASEV2", json!(0))], "northeurope");
    assert!(
        !p.findings.iter().any(|f| f.severity == Severity::Blocker),
        "{:#?}",
        p.findings
    );
    let b = generated(&out, "Microsoft.Web/hostingEnvironments");
    assert_eq!(b["properties"]["internalLoadBalancingMode"], "None", "{b}");
}

#[test]
fn an_ase_v2_with_web_only_ilb_is_a_blocker_naming_the_mode() {
    // v3 has no "Web"-only internal load balancing: no automatic successor.
    let (p, _) = run(vec![vnet(), ase("ASEV2", json!("Web"))], "northeurope");
    let f = finding(&p, "ase-v2-to-v3");
    assert_eq!(f.severity, Severity::Blocker);
    assert!(f.message.contains("'Web'"), "{}", f.message);
}

#[test]
fn an_ase_v1_stays_a_blocker() {
    let (p, _) = run(vec![vnet(), ase("ASEV1", json!("None"))], "northeurope");
    assert_eq!(finding(&p, "ase-v1-retired").severity, Severity::Blocker);
    assert!(!p.findings.iter().any(|f| f.code == "ase-v2-to-v3"));
}
