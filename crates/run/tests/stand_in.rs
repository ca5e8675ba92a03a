//! The rehearsal stands in for the operator at a manual relocation's gate
//! (issue #13, class "the rehearsal closes a manual relocation's gate
//! without creating the resource, so a role assignment for its new
//! principal finds none"; the corpus found it on the Kusto, Data Share,
//! Synapse, Digital Twins and Dev Center quickstarts).
//!
//! The estate is what `az resource show` / `az role assignment list` return
//! for an Azure Data Explorer cluster with a system-assigned identity that
//! reads a storage account (the `kusto-event-hub` quickstart's shape). The
//! catalog has no entry for `Microsoft.Kusto/clusters`, so the plan
//! relocates it by hand; the role assignment for its new principal follows
//! its gate.

use std::sync::Arc;

use azrelo_catalog::Catalog;
use azrelo_estate::{InputText, LoadOptions};
use azrelo_plan::PlanOptions;
use azrelo_run::{Outcome, PlanDir, Rehearsal, STAND_IN_LABEL, Silent};
use serde_json::{Value, json};

const SUB_ID: &str = "11111111-2222-3333-4444-555555555555";
const PRINCIPAL: &str = "6f1f2a4b-9c0d-4e2f-8a3b-5c6d7e8f9a0b";

fn exports() -> Vec<(&'static str, Value)> {
    let rg = format!("/subscriptions/{SUB_ID}/resourceGroups/rg-adx");
    let storage = format!("{rg}/providers/Microsoft.Storage/storageAccounts/adxingest7q");
    let cluster = json!({
        "id": format!("{rg}/providers/Microsoft.Kusto/Clusters/adx7qcluster"),
        "name": "adx7qcluster",
        "type": "Microsoft.Kusto/Clusters",
        "location": "westeurope",
        "sku": {"name": "Dev(No SLA)_Standard_E2a_v4", "tier": "Basic", "capacity": 1},
        "identity": {
            "type": "SystemAssigned",
            "principalId": PRINCIPAL,
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"
        },
        "etag": "\"2d0b3e41-0000-0d00-0000-6571c2a40000\"",
        "properties": {
            "provisioningState": "Succeeded",
            "state": "Running",
            "uri": "https://adx7qcluster.westeurope.kusto.windows.net",
            "dataIngestionUri": "https://ingest-adx7qcluster.westeurope.kusto.windows.net",
            "enableDiskEncryption": false,
            "enableStreamingIngest": false,
            "enablePurge": false,
            "enableDoubleEncryption": false,
            "engineType": "V3",
            "publicNetworkAccess": "Enabled",
            "restrictOutboundNetworkAccess": "Disabled"
        }
    });
    let account = json!({
        "id": storage,
        "name": "adxingest7q",
        "type": "Microsoft.Storage/storageAccounts",
        "location": "westeurope",
        "kind": "StorageV2",
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
        "properties": {
            "provisioningState": "Succeeded",
            "accessTier": "Hot",
            "minimumTlsVersion": "TLS1_2",
            "supportsHttpsTrafficOnly": true,
            "allowBlobPublicAccess": false,
            "primaryLocation": "westeurope",
            "statusOfPrimary": "available",
            "primaryEndpoints": {"blob": "https://adxingest7q.blob.core.windows.net/"}
        }
    });
    // `az role assignment list --scope <account>` (Storage Blob Data Reader).
    let assignment = json!({
        "id": format!("{storage}/providers/Microsoft.Authorization/roleAssignments/3f2b8c51-7d0e-4a4b-9f3e-2c1d0a9b8e7f"),
        "name": "3f2b8c51-7d0e-4a4b-9f3e-2c1d0a9b8e7f",
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": format!("/subscriptions/{SUB_ID}/providers/Microsoft.Authorization/roleDefinitions/2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"),
            "principalId": PRINCIPAL,
            "principalType": "ServicePrincipal",
            "scope": storage,
        }
    });
    vec![
        ("resources.json", json!({"value": [account, cluster]})),
        ("role-assignments.json", json!([assignment])),
    ]
}

#[test]
fn the_rehearsal_creates_a_manual_relocation_before_closing_its_gate_and_says_so() {
    let inputs = exports()
        .into_iter()
        .map(|(name, v)| InputText {
            name: name.into(),
            text: serde_json::to_string_pretty(&v).unwrap(),
            path: None,
            explicit: true,
        })
        .collect();
    let opts = LoadOptions {
        subscription: SUB_ID.into(),
        resource_group: "rg-adx".into(),
        location: "westeurope".into(),
        ..LoadOptions::default()
    };
    let loaded = azrelo_estate::load_texts(inputs, &opts, true);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rehearsal");
    let rehearsal = Rehearsal {
        out: out.clone(),
        plan: PlanOptions::new("northeurope"),
        catalog: Catalog::embedded(),
        latency: azrelo_run::Latency::Off,
        keep_source: false,
        parallelism: 4,
    };
    let summary = match rehearsal.run(&loaded.estate, Arc::new(Silent)) {
        Ok(Outcome::Done(s)) => s,
        Ok(Outcome::Blocked(p)) => panic!("blocked: {:?}", p.findings),
        // Before the stand-in: "the recreated identity … does not exist yet".
        Err(e) => panic!("the rehearsal failed: {e}"),
    };
    // The role assignment for the cluster's new principal was recreated.
    assert_eq!(summary.role_assignments_new_principals, 1, "{summary:#?}");
    // The cluster's gate: stood in for, and labelled as such.
    let stood: Vec<_> = summary
        .gates_closed
        .iter()
        .filter(|g| g.stand_in.is_some())
        .collect();
    assert_eq!(stood.len(), 1, "{:#?}", summary.gates_closed);
    assert!(stood[0].resource.contains("adx7qcluster"), "{stood:?}");
    let md = std::fs::read_to_string(out.join("rehearsal.md")).unwrap();
    assert!(md.contains(STAND_IN_LABEL), "{md}");
    // The journal says who created it: the gate's record carries the label.
    let dir = PlanDir::new(&out);
    let run = dir.load_run().unwrap();
    let journal = azrelo_orchestrate::Journal::open(&dir.journal()).unwrap();
    let st = azrelo_orchestrate::status(&run, &journal).unwrap();
    let gate = st
        .gates
        .iter()
        .find(|g| g.id.eq_ignore_ascii_case(&stood[0].id))
        .unwrap();
    assert!(gate.closed);
    assert!(
        gate.note
            .as_deref()
            .is_some_and(|n| n.starts_with(STAND_IN_LABEL)),
        "{gate:?}"
    );
    // Nothing the rehearsal stood in for is in the templates `apply` runs.
    let manifest = std::fs::read_to_string(out.join("templates/manifest.json")).unwrap();
    assert!(!manifest.contains("azrelo-stand-in"), "{manifest}");
}
