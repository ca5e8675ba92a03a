//! Reading and merging inputs of every kind; bad input.

use azrelo_arm::id::ResourceId;
use azrelo_estate::{InputKind, LoadOptions, detect, load_inputs, write_estate};
use serde_json::json;
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, v: &serde_json::Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

const SUB: &str = "00000000-0000-0000-0000-000000000000";

fn st_id() -> String {
    format!(
        "/subscriptions/{SUB}/resourceGroups/azrelo-rg/providers/Microsoft.Storage/storageAccounts/stmerge01"
    )
}

#[test]
fn kinds_are_recognised_from_content() {
    assert_eq!(
        detect(
            &json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "resources": []})
        ),
        Some(InputKind::Template)
    );
    assert_eq!(
        detect(
            &json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "parameters": {}})
        ),
        Some(InputKind::Parameters)
    );
    assert_eq!(
        detect(&json!({"count": 0, "data": [], "skip_token": null})),
        Some(InputKind::ResourceGraph)
    );
    assert_eq!(
        detect(&json!([{"id": "/subscriptions/x", "subscriptionId": "x", "tenantId": "t"}])),
        Some(InputKind::ResourceGraph)
    );
    assert_eq!(
        detect(
            &json!([{"id": "/subscriptions/x/resourceGroups/r", "type": "t", "resourceGroup": "r"}])
        ),
        Some(InputKind::ResourceList)
    );
    assert_eq!(detect(&json!({"value": []})), Some(InputKind::ArmGet));
    assert_eq!(
        detect(&json!({"id": "/subscriptions/x", "type": "Microsoft.Resources/subscriptions"})),
        Some(InputKind::ArmGet)
    );
    assert_eq!(
        detect(&json!({"schema": "azrelo.estate/v1"})),
        Some(InputKind::Estate)
    );
    assert_eq!(detect(&json!({"hello": "world"})), None);
    assert_eq!(detect(&json!(42)), None);
}

/// The same storage account from all four input kinds: one record, the
/// richest description kept, provenance from every input, a conflict reported.
#[test]
fn merge_across_all_four_input_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let template = write(
        d,
        "main.json",
        &json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "parameters": {"name": {"type": "string"}},
            "resources": [{"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01",
                "name": "[parameters('name')]", "location": "westeurope", "kind": "StorageV2",
                "sku": {"name": "Standard_LRS"}, "properties": {"minimumTlsVersion": "TLS1_2"}}]
        }),
    );
    let params = write(
        d,
        "main.parameters.json",
        &json!({
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
            "parameters": {"name": {"value": "stmerge01"}}
        }),
    );
    let arg = write(
        d,
        "arg.json",
        &json!({"count": 1, "skip_token": null, "data": [{
        "id": st_id(), "name": "stmerge01", "type": "microsoft.storage/storageaccounts", "tenantId": "t",
        "location": "westeurope", "resourceGroup": "azrelo-rg", "subscriptionId": SUB, "kind": "StorageV2",
        "sku": {"name": "Standard_GRS"}, "tags": {"env": "prod"},
        "properties": {"minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": true,
            "primaryEndpoints": {"blob": "https://stmerge01.blob.core.windows.net/"}}}]}),
    );
    let list = write(
        d,
        "list.json",
        &json!([{"id": st_id(), "name": "stmerge01", "type": "Microsoft.Storage/storageAccounts",
        "location": "westeurope", "resourceGroup": "azrelo-rg", "properties": null, "kind": "StorageV2"}]),
    );
    let get = write(
        d,
        "get.json",
        &json!({"id": st_id(), "name": "stmerge01", "type": "Microsoft.Storage/storageAccounts",
        "location": "westeurope", "properties": {"minimumTlsVersion": "TLS1_0"}}),
    );
    let estate = load_inputs(&[template, params, arg, list, get], &LoadOptions::default()).unwrap();
    assert_eq!(estate.resources.len(), 1, "deduplicated by id");
    let r = &estate.resources[0];
    assert_eq!(
        r.resource_type, "Microsoft.Storage/storageAccounts",
        "canonical spelling from the id, not ARG's lower case"
    );
    assert_eq!(
        r.sku.as_ref().unwrap()["name"],
        "Standard_GRS",
        "the richer (Resource Graph) record wins"
    );
    let kinds: Vec<InputKind> = r.provenance.iter().map(|p| p.kind).collect();
    for k in [
        InputKind::Template,
        InputKind::ResourceGraph,
        InputKind::ResourceList,
        InputKind::ArmGet,
    ] {
        assert!(kinds.contains(&k), "provenance lacks {k:?}: {kinds:?}");
    }
    assert!(
        estate
            .warnings
            .iter()
            .any(|w| w.message.contains("described differently") && w.message.contains("get.json")),
        "{:?}",
        estate.warnings
    );
    let kinds: Vec<_> = estate.sources.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            InputKind::Template,
            InputKind::Parameters,
            InputKind::ResourceGraph,
            InputKind::ResourceList,
            InputKind::ArmGet
        ]
    );
}

#[test]
fn typed_records_from_arg_and_get_lists() {
    let files = azrelo_testkit::example_files();
    let e = load_inputs(&files, &LoadOptions::default()).unwrap();
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    assert_eq!(e.role_assignments.len(), 7);
    assert_eq!(e.diagnostic_settings.len(), 6);
    assert_eq!(e.locks.len(), 2);
    assert_eq!(e.policy_exemptions.len(), 1);
    let kv_diag = e
        .diagnostic_settings
        .iter()
        .find(|d| d.id.name() == Some("kv-audit-to-eventhub"))
        .unwrap();
    assert!(kv_diag.resource_id.ends_with("/vaults/kv-shop-weu-01"));
    assert_eq!(
        kv_diag.logs,
        [azrelo_estate::DiagnosticEntry::category_group("audit")]
    );
    let vm = e.resource(&ResourceId::parse("/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg-shop-app/providers/Microsoft.Compute/virtualMachines/vm-shop-app-01").unwrap()).unwrap();
    let ident = vm.identity.as_ref().unwrap();
    assert_eq!(
        ident.principal_id.as_deref(),
        Some("6d1e6c7a-95c4-4a0b-9e2a-3c4d5e6f7a0b")
    );
    assert_eq!(ident.user_assigned.len(), 1);
}

#[test]
fn bad_input_names_file_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bad = d.join("broken.json");
    std::fs::write(&bad, "{\n  \"data\": [\n    {\"id\": 1,,}\n  ]\n}").unwrap();
    let e = load_inputs(&[bad], &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("broken.json 3:"), "{e}");
    assert!(e.to_string().contains("$.data[0]"), "{e}");
    let odd = write(d, "odd.json", &json!({"hello": "world"}));
    let e = load_inputs(&[odd], &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("not a recognised input"), "{e}");
    // Invalid ids and rows without ids are warnings with the JSON path; the rest is kept.
    let rows = write(
        d,
        "rows.json",
        &json!({"count": 3, "skip_token": null, "data": [
            {"id": "/subscriptions/x/resourceGroups", "subscriptionId": "x", "tenantId": "t", "type": "x"},
            {"name": "no id", "subscriptionId": "x", "tenantId": "t"},
            {"id": st_id(), "subscriptionId": SUB, "tenantId": "t", "type": "microsoft.storage/storageaccounts"}
        ]}),
    );
    let e = load_inputs(&[rows], &LoadOptions::default()).unwrap();
    assert_eq!(e.resources.len(), 1);
    assert_eq!(e.warnings.len(), 2, "{:?}", e.warnings);
    assert_eq!(e.warnings[0].path, "$.data[0]");
    assert!(e.warnings[0].message.contains("invalid resource id"));
    assert_eq!(e.warnings[1].path, "$.data[1]");
    // A template whose required parameter is missing: a clear error.
    let t = write(
        d,
        "needs.json",
        &json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "parameters": {"p": {"type": "string"}}, "resources": []}),
    );
    let e = load_inputs(&[t], &LoadOptions::default()).unwrap_err();
    assert!(e.to_string().contains("'p' has no value"), "{e}");
}

#[test]
fn estate_files_round_trip_and_are_written_atomically() {
    let files = azrelo_testkit::example_files();
    let e = load_inputs(&files, &LoadOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("estate.json");
    write_estate(&e, &out).unwrap();
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|x| x.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    let again = load_inputs(&[out], &LoadOptions::default()).unwrap();
    assert_eq!(again.resources.len(), e.resources.len());
    assert_eq!(again.role_assignments.len(), e.role_assignments.len());
    assert_eq!(again.resources[0].provenance, e.resources[0].provenance);
}

#[test]
fn secure_template_parameters_never_enter_the_estate() {
    let dir = tempfile::tempdir().unwrap();
    let t = write(
        dir.path(),
        "vm.json",
        &json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {"pw": {"type": "securestring", "defaultValue": "Canary-Estate-Secret-99"}},
        "resources": [{"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2023-09-01", "name": "vm1",
            "properties": {"osProfile": {"adminPassword": "[parameters('pw')]"}}}]}),
    );
    let e = load_inputs(&[t], &LoadOptions::default()).unwrap();
    let text = serde_json::to_string(&e).unwrap();
    assert!(!text.contains("Canary-Estate-Secret-99"));
}

/// `managedBy` says who owns a resource or resource group (an AKS node
/// resource group, a SQL server's `master`); Resource Graph rows and ARM GET
/// bodies both carry it, and merging with an input that lacks it (a template,
/// a GET of a type whose api-version omits it) keeps it.
#[test]
fn managed_by_survives_every_input_and_merge() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = format!(
        "/subscriptions/{SUB}/resourcegroups/rg-aks/providers/Microsoft.ContainerService/managedClusters/aks-prod"
    );
    let mc = format!("/subscriptions/{SUB}/resourceGroups/MC_rg-aks_aks-prod_westeurope");
    let server = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-sql/providers/Microsoft.Sql/servers/sql-prod"
    );
    // A resourcecontainers row (az graph query) with managedBy.
    let arg = write(
        dir.path(),
        "arg.json",
        &json!({"count": 1, "data": [{
            "id": mc, "name": "MC_rg-aks_aks-prod_westeurope",
            "type": "microsoft.resources/subscriptions/resourcegroups",
            "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47", "kind": "", "location": "westeurope",
            "resourceGroup": "MC_rg-aks_aks-prod_westeurope", "subscriptionId": SUB,
            "managedBy": cluster, "sku": null, "plan": null,
            "properties": {"provisioningState": "Succeeded"}, "tags": {"aks-managed-cluster-name": "aks-prod"},
            "identity": null, "zones": null, "extendedLocation": null
        }, {
            "id": format!("{server}/databases/master"), "name": "master",
            "type": "microsoft.sql/servers/databases", "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
            "kind": "v12.0,system", "location": "westeurope", "resourceGroup": "rg-sql", "subscriptionId": SUB,
            "managedBy": server, "sku": {"name": "System", "tier": "System", "capacity": 0}, "plan": null,
            "properties": {"status": "Online"}, "tags": null, "identity": null, "zones": null, "extendedLocation": null
        }]}),
    );
    // A richer GET body of the resource group without managedBy.
    let get = write(
        dir.path(),
        "rg.get.json",
        &json!({"id": mc, "name": "MC_rg-aks_aks-prod_westeurope", "type": "Microsoft.Resources/resourceGroups",
                "location": "westeurope", "tags": {"aks-managed-cluster-name": "aks-prod", "aks-managed-cluster-rg": "rg-aks"},
                "properties": {"provisioningState": "Succeeded", "note": "a richer record"}}),
    );
    for files in [vec![arg.clone(), get.clone()], vec![get, arg]] {
        let e = load_inputs(&files, &LoadOptions::default()).unwrap();
        let g = e.resource(&ResourceId::parse(&mc).unwrap()).unwrap();
        assert_eq!(g.resource_type, "Microsoft.Resources/resourceGroups");
        assert_eq!(g.managed_by.as_deref(), Some(cluster.as_str()), "{files:?}");
        let db = e
            .resource(&ResourceId::parse(&format!("{server}/databases/master")).unwrap())
            .unwrap();
        assert_eq!(db.managed_by.as_deref(), Some(server.as_str()));
        assert_eq!(db.kind.as_deref(), Some("v12.0,system"));
    }
}

/// An estate written before diagnostic settings kept their entries (logs
/// and metrics as bare names) still reads: a name is an enabled entry, a
/// category group when it is one ("allLogs", "audit").
#[test]
fn an_older_estate_s_diagnostic_names_read_as_entries() {
    let d: azrelo_estate::DiagnosticSetting = serde_json::from_value(serde_json::json!({
        "id": "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Insights/diagnosticSettings/d",
        "resourceId": "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv",
        "logs": ["audit", "AuditEvent"],
        "metrics": ["AllMetrics"]
    }))
    .unwrap();
    use azrelo_estate::DiagnosticEntry as E;
    assert_eq!(
        d.logs,
        [E::category_group("audit"), E::category("AuditEvent")]
    );
    assert_eq!(d.metrics, [E::category("AllMetrics")]);
    assert_eq!(
        serde_json::to_value(&d.logs).unwrap(),
        serde_json::json!([{"categoryGroup": "audit", "enabled": true}, {"category": "AuditEvent", "enabled": true}])
    );
}
