//! Issue #13 (the relocation corpus), on realistic exports — ARM GET bodies
//! as `az resource show` returns them: what the generator writes into
//! targets when a value is a renamed resource's whole name (a deployment
//! script's environment, a VM extension's settings, a backup instance's
//! data source, a Dapr component's metadata: `references.toml` `[[names]]`),
//! and the region list of a resource created anew (a Cosmos DB account's
//! `locations[].locationName`), and a regional service host a definition
//! holds as an input (a Logic App's managed-connector runtime URL).

use azrelo_catalog::Catalog;
use azrelo_estate::{Estate, InputText, LoadOptions};
use azrelo_generate::{Generated, embedded_flags, generate};
use azrelo_plan::{Plan, PlanOptions, plan};
use serde_json::{Value, json};

const SUB: &str = "/subscriptions/11111111-2222-3333-4444-555555555555";

fn rg(name: &str) -> String {
    format!("{SUB}/resourceGroups/{name}")
}

/// Read exports as `azrelo discover --from-files` does, plan them to
/// `target` and generate.
fn run(files: &[Value], target: &str) -> (Plan, Generated) {
    let inputs = files
        .iter()
        .enumerate()
        .map(|(i, v)| InputText {
            name: format!("export-{i}.json"),
            text: serde_json::to_string_pretty(v).unwrap(),
            path: None,
            explicit: true,
        })
        .collect();
    let opts = LoadOptions {
        subscription: "11111111-2222-3333-4444-555555555555".into(),
        resource_group: "rg-app".into(),
        location: "westeurope".into(),
        ..LoadOptions::default()
    };
    let loaded = azrelo_estate::load_texts(inputs, &opts, true);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let e: Estate = loaded.estate;
    let g = azrelo_graph::build(&e);
    let p = plan(&e, &g, Catalog::embedded(), &PlanOptions::new(target)).unwrap();
    let out = generate(&p, &e, Catalog::embedded(), embedded_flags());
    (p, out)
}

/// The generated resources of a type (nested resources flattened).
fn of_type<'g>(g: &'g Generated, ty: &str) -> Vec<&'g Value> {
    fn walk<'a>(v: &'a Value, ty: &str, out: &mut Vec<&'a Value>) {
        for r in v.as_array().into_iter().flatten() {
            if r["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(ty))
            {
                out.push(r);
            }
            walk(&r["resources"], ty, out);
        }
    }
    let mut out = Vec::new();
    for d in &g.deployments {
        walk(&d.template["resources"], ty, &mut out);
    }
    out
}

fn target_name(p: &Plan, source_id: &str) -> String {
    p.resources
        .iter()
        .find(|r| r.source_id.as_str().eq_ignore_ascii_case(source_id))
        .unwrap_or_else(|| panic!("{source_id} is not planned"))
        .target_name
        .to_string()
}

fn storage_account(name: &str) -> Value {
    json!({
        "id": format!("{}/providers/Microsoft.Storage/storageAccounts/{name}", rg("rg-app")),
        "name": name,
        "type": "Microsoft.Storage/storageAccounts",
        "location": "westeurope",
        "sku": {"name": "Standard_LRS", "tier": "Standard"},
        "kind": "StorageV2",
        "properties": {
            "provisioningState": "Succeeded",
            "creationTime": "2025-03-04T10:11:12.1234567Z",
            "primaryLocation": "westeurope",
            "statusOfPrimary": "available",
            "primaryEndpoints": {"blob": format!("https://{name}.blob.core.windows.net/")},
            "minimumTlsVersion": "TLS1_2",
            "supportsHttpsTrafficOnly": true
        }
    })
}

/// A deployment script (GET of Microsoft.Resources/deploymentScripts, as
/// the deployment-script-azcli quickstarts leave it) reads the account it
/// uploads to from its environment; a VM's diagnostics extension names its
/// storage account in its public settings. Both are the target's names
/// after the move; a value that only contains the name, and the secure
/// value, are left alone.
#[test]
fn a_whole_value_name_in_a_script_environment_or_extension_settings_is_the_targets() {
    let st = storage_account("stdata7x3k");
    let st_id = st["id"].as_str().unwrap().to_string();
    let script = json!({
        "id": format!("{}/providers/Microsoft.Resources/deploymentScripts/upload", rg("rg-app")),
        "name": "upload",
        "type": "Microsoft.Resources/deploymentScripts",
        "location": "westeurope",
        "kind": "AzureCLI",
        "identity": {"type": "None"},
        "properties": {
            "provisioningState": "Succeeded",
            "azCliVersion": "2.52.0",
            "retentionInterval": "PT1H",
            "timeout": "PT30M",
            "cleanupPolicy": "OnSuccess",
            "scriptContent": "az storage blob upload --account-name $AZURE_STORAGE_ACCOUNT -c data -f /tmp/x",
            "environmentVariables": [
                {"name": "AZURE_STORAGE_ACCOUNT", "value": "stdata7x3k"},
                {"name": "CONTAINER", "value": "stdata7x3k-archive"},
                {"name": "AZURE_STORAGE_KEY", "secureValue": "bm90LWEtcmVhbC1rZXk="}
            ],
            "status": {"startTime": "2025-03-04T10:11:12Z", "endTime": "2025-03-04T10:12:12Z"},
            "outputs": {}
        }
    });
    let vm_id = format!(
        "{}/providers/Microsoft.Compute/virtualMachines/vm1",
        rg("rg-app")
    );
    let vm = json!({
        "id": vm_id,
        "name": "vm1",
        "type": "Microsoft.Compute/virtualMachines",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded",
            "vmId": "6c1f0a5e-2b7d-4c55-9f3e-0b1f2a3c4d5e",
            "hardwareProfile": {"vmSize": "Standard_D2s_v3"},
            "storageProfile": {"osDisk": {"osType": "Windows", "createOption": "FromImage"}},
            "osProfile": {"computerName": "vm1", "adminUsername": "azureuser"}
        }
    });
    let ext = json!({
        "id": format!("{vm_id}/extensions/Microsoft.Insights.VMDiagnosticsSettings"),
        "name": "Microsoft.Insights.VMDiagnosticsSettings",
        "type": "Microsoft.Compute/virtualMachines/extensions",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded",
            "publisher": "Microsoft.Azure.Diagnostics",
            "type": "IaaSDiagnostics",
            "typeHandlerVersion": "1.5",
            "autoUpgradeMinorVersion": true,
            "settings": {
                "storageAccount": "stdata7x3k",
                "WadCfg": {"DiagnosticMonitorConfiguration": {"overallQuotaInMB": 4096}}
            }
        }
    });
    let (p, out) = run(&[st, script, vm, ext], "northeurope");
    let new = target_name(&p, &st_id);
    assert_ne!(
        new, "stdata7x3k",
        "a storage account name is global: the target is renamed"
    );

    let s = of_type(&out, "Microsoft.Resources/deploymentScripts");
    let env = s[0]["properties"]["environmentVariables"]
        .as_array()
        .unwrap();
    assert_eq!(env[0]["value"], json!(new), "{env:?}");
    assert_eq!(
        env[1]["value"],
        json!("stdata7x3k-archive"),
        "only a whole value is a name; part of a string is not"
    );
    assert!(
        !serde_json::to_string(&out.deployments[0].template)
            .unwrap()
            .contains("bm90LWEtcmVhbC1rZXk"),
        "the secure value is a parameter, never a name to rewrite"
    );

    let e = of_type(&out, "Microsoft.Compute/virtualMachines/extensions");
    assert_eq!(e[0]["properties"]["settings"]["storageAccount"], json!(new));
}

/// A Backup vault's backup instance (REST "Backup Instances - Get" shape,
/// as backup-create-postgresqlflex-enable-protection leaves it) names its
/// data source by id and by name; its friendlyName is its own and stays.
#[test]
fn a_backup_instance_names_its_relocated_data_source_by_name_too() {
    let pg_id = format!(
        "{}/providers/Microsoft.DBforPostgreSQL/flexibleServers/pgflex01",
        rg("rg-app")
    );
    let pg = json!({
        "id": pg_id,
        "name": "pgflex01",
        "type": "Microsoft.DBforPostgreSQL/flexibleServers",
        "location": "westeurope",
        "sku": {"name": "Standard_B1ms", "tier": "Burstable"},
        "properties": {
            "state": "Ready",
            "version": "16",
            "fullyQualifiedDomainName": "pgflex01.postgres.database.azure.com",
            "storage": {"storageSizeGB": 32},
            "administratorLogin": "pgadmin"
        }
    });
    let vault_id = format!(
        "{}/providers/Microsoft.DataProtection/backupVaults/vault01",
        rg("rg-app")
    );
    let vault = json!({
        "id": vault_id,
        "name": "vault01",
        "type": "Microsoft.DataProtection/backupVaults",
        "location": "westeurope",
        "identity": {"type": "SystemAssigned", "principalId": "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"},
        "properties": {
            "provisioningState": "Succeeded",
            "storageSettings": [{"datastoreType": "VaultStore", "type": "LocallyRedundant"}]
        }
    });
    let source = |object_type: &str| {
        json!({
            "objectType": object_type,
            "resourceID": pg_id,
            "resourceName": "pgflex01",
            "resourceType": "Microsoft.DBforPostgreSQL/flexibleServers",
            "resourceUri": pg_id,
            "resourceLocation": "westeurope",
            "datasourceType": "Microsoft.DBforPostgreSQL/flexibleServers"
        })
    };
    let instance = json!({
        "id": format!("{vault_id}/backupInstances/pgflex01"),
        "name": "pgflex01",
        "type": "Microsoft.DataProtection/backupVaults/backupInstances",
        "properties": {
            "objectType": "BackupInstance",
            "friendlyName": "pgflex01",
            "dataSourceInfo": source("Datasource"),
            "dataSourceSetInfo": source("DatasourceSet"),
            "protectionStatus": {"status": "ProtectionConfigured"},
            "currentProtectionState": "ProtectionConfigured",
            "provisioningState": "Succeeded"
        }
    });
    let (p, out) = run(&[pg, vault, instance], "northeurope");
    let new = target_name(&p, &pg_id);
    assert_ne!(
        new, "pgflex01",
        "a flexible server's name is global: renamed"
    );
    let b = of_type(
        &out,
        "Microsoft.DataProtection/backupVaults/backupInstances",
    );
    assert_eq!(b.len(), 1, "{:?}", out.deployments);
    let props = &b[0]["properties"];
    assert_eq!(props["dataSourceInfo"]["resourceName"], json!(new));
    assert_eq!(props["dataSourceSetInfo"]["resourceName"], json!(new));
    assert_eq!(props["friendlyName"], json!("pgflex01"));
}

/// A Cosmos DB account is created anew under a new name in the target
/// (its name is global), so its region list names the target region. The
/// GET returns the display name (REST "Database Accounts - Get":
/// `"locationName": "West Europe"`).
#[test]
fn a_cosmos_db_account_created_anew_lists_the_target_region() {
    let id = format!(
        "{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos01",
        rg("rg-app")
    );
    let acct = json!({
        "id": id,
        "name": "cosmos01",
        "type": "Microsoft.DocumentDB/databaseAccounts",
        "location": "West Europe",
        "kind": "GlobalDocumentDB",
        "properties": {
            "provisioningState": "Succeeded",
            "documentEndpoint": "https://cosmos01.documents.azure.com:443/",
            "databaseAccountOfferType": "Standard",
            "consistencyPolicy": {"defaultConsistencyLevel": "Session"},
            "locations": [{
                "id": "cosmos01-westeurope",
                "locationName": "West Europe",
                "documentEndpoint": "https://cosmos01-westeurope.documents.azure.com:443/",
                "provisioningState": "Succeeded",
                "failoverPriority": 0,
                "isZoneRedundant": false
            }],
            "writeLocations": [{"id": "cosmos01-westeurope", "locationName": "West Europe", "failoverPriority": 0}],
            "readLocations": [{"id": "cosmos01-westeurope", "locationName": "West Europe", "failoverPriority": 0}]
        }
    });
    let (p, out) = run(&[acct], "northeurope");
    assert_ne!(target_name(&p, &id), "cosmos01");
    // What the plan says is what happens: a new account and a data copy
    // into it, not the in-place add-region/failover path.
    let planned = p
        .resources
        .iter()
        .find(|r| r.source_id.as_str().eq_ignore_ascii_case(&id))
        .unwrap();
    assert_eq!(planned.strategy.as_str(), "redeploy+data");
    assert_eq!(planned.data_mover.as_deref(), Some("cosmos-container-copy"));
    let a = of_type(&out, "Microsoft.DocumentDB/databaseAccounts");
    assert_eq!(a.len(), 1);
    let locs = a[0]["properties"]["locations"].as_array().unwrap();
    assert_eq!(locs.len(), 1);
    assert_eq!(locs[0]["locationName"], json!("northeurope"), "{locs:?}");
    assert_eq!(locs[0]["failoverPriority"], json!(0));
}

/// A Logic App (Consumption) whose definition calls a managed connector
/// through its regional runtime URL (GET of Microsoft.Logic/workflows as
/// logic-app-sql-proc leaves it): relocated, it calls the target region's
/// connector host (`references.toml` `[[regional_hosts]]`); a host that
/// only contains the pattern is left alone.
#[test]
fn a_regional_connector_host_in_a_workflow_definition_is_the_target_regions() {
    let id = format!(
        "{}/providers/Microsoft.Logic/workflows/orders",
        rg("rg-app")
    );
    let wf = json!({
        "id": id,
        "name": "orders",
        "type": "Microsoft.Logic/workflows",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded",
            "createdTime": "2025-03-04T10:11:12.1234567Z",
            "changedTime": "2025-03-04T10:11:12.1234567Z",
            "state": "Enabled",
            "version": "08585000000000000000",
            "accessEndpoint": "https://prod-00.westeurope.logic.azure.com:443/workflows/0123456789abcdef",
            "definition": {
                "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/2016-06-01/workflowdefinition.json#",
                "contentVersion": "1.0.0.0",
                "triggers": {"Recurrence": {"type": "Recurrence", "recurrence": {"frequency": "Hour", "interval": 1}}},
                "actions": {
                    "Execute_stored_procedure": {
                        "type": "ApiConnection",
                        "inputs": {
                            "host": {
                                "api": {"runtimeUrl": "https://logic-apis-westeurope.azure-apim.net/apim/sql"},
                                "connection": {"name": "@parameters('$connections')['sql']['connectionId']"}
                            },
                            "method": "post",
                            "path": "/datasets/default/procedures/@{encodeURIComponent(encodeURIComponent('[dbo].[Proc]'))}"
                        }
                    },
                    "Notify": {
                        "type": "Http",
                        "inputs": {"method": "GET", "uri": "https://mirror.logic-apis-westeurope.azure-apim.net.example.org/x"}
                    }
                }
            },
            "parameters": {}
        }
    });
    let (_p, out) = run(&[wf], "northeurope");
    let w = of_type(&out, "Microsoft.Logic/workflows");
    assert_eq!(w.len(), 1);
    let actions = &w[0]["properties"]["definition"]["actions"];
    assert_eq!(
        actions["Execute_stored_procedure"]["inputs"]["host"]["api"]["runtimeUrl"],
        json!("https://logic-apis-northeurope.azure-apim.net/apim/sql")
    );
    assert_eq!(
        actions["Notify"]["inputs"]["uri"],
        json!("https://mirror.logic-apis-westeurope.azure-apim.net.example.org/x")
    );
}

/// A subnet's service endpoint lists the regions it serves, its network's
/// own region among them (REST "Virtual Networks - Get":
/// `serviceEndpoints[].locations`, e.g. `["westeurope"]` as
/// network-secured-agent deploys it). The network is created anew in the
/// target, so the list names the target region; other regions stay.
#[test]
fn a_service_endpoint_lists_the_target_region() {
    let id = format!(
        "{}/providers/Microsoft.Network/virtualNetworks/vnet01",
        rg("rg-app")
    );
    let vnet = json!({
        "id": id,
        "name": "vnet01",
        "type": "Microsoft.Network/virtualNetworks",
        "location": "westeurope",
        "properties": {
            "provisioningState": "Succeeded",
            "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
            "subnets": [{
                "name": "app",
                "id": format!("{id}/subnets/app"),
                "properties": {
                    "addressPrefix": "10.0.0.0/24",
                    "serviceEndpoints": [
                        {"service": "Microsoft.Storage", "locations": ["westeurope", "eastus2"], "provisioningState": "Succeeded"},
                        {"service": "Microsoft.KeyVault", "locations": ["*"], "provisioningState": "Succeeded"}
                    ]
                }
            }]
        }
    });
    let (_, out) = run(&[vnet], "northeurope");
    let v = of_type(&out, "Microsoft.Network/virtualNetworks");
    assert_eq!(v.len(), 1);
    let eps = &v[0]["properties"]["subnets"][0]["properties"]["serviceEndpoints"];
    assert_eq!(
        eps[0]["locations"],
        json!(["northeurope", "eastus2"]),
        "{eps}"
    );
    assert_eq!(eps[1]["locations"], json!(["*"]), "{eps}");
}

/// A portal dashboard (GET of Microsoft.Portal/dashboards, as the
/// microservice-apps-enterprise-plan quickstart leaves it) names the
/// Application Insights component each part shows by an input whose value
/// is `{Name, SubscriptionId, ResourceGroup}` (the part's `ComponentId`;
/// https://learn.microsoft.com/azure/azure-portal/azure-portal-dashboards-structure):
/// the relocated group is named by its target name (`{rg}-{region}`), so
/// the target dashboard shows the target component, not the source's.
#[test]
fn a_dashboard_part_names_the_relocated_resource_group_of_its_component() {
    let ai_id = format!(
        "{}/providers/Microsoft.Insights/components/ai-app",
        rg("rg-app")
    );
    let ai = json!({
        "id": ai_id,
        "name": "ai-app",
        "type": "microsoft.insights/components",
        "location": "westeurope",
        "kind": "web",
        "properties": {
            "provisioningState": "Succeeded",
            "Application_Type": "web",
            "Ver": "v2",
            "ApplicationId": "ai-app",
            "AppId": "3b4a6f52-1f0c-4f4e-9a57-0d4a3b2c1e0f",
            "IngestionMode": "ApplicationInsights",
            "publicNetworkAccessForIngestion": "Enabled",
            "publicNetworkAccessForQuery": "Enabled"
        }
    });
    let input = json!({
        "name": "ComponentId",
        "value": {
            "Name": "ai-app",
            "SubscriptionId": "11111111-2222-3333-4444-555555555555",
            "ResourceGroup": "rg-app"
        }
    });
    let dash = json!({
        "id": format!("{}/providers/Microsoft.Portal/dashboards/dash-app", rg("rg-app")),
        "name": "dash-app",
        "type": "Microsoft.Portal/dashboards",
        "location": "westeurope",
        "tags": {"hidden-title": "App dashboard"},
        "properties": {
            "lenses": [{
                "order": 0,
                "parts": [
                    {
                        "position": {"x": 0, "y": 0, "colSpan": 2, "rowSpan": 1},
                        "metadata": {
                            "inputs": [input.clone(), {"name": "Version", "value": "1.0"}],
                            "type": "Extension/AppInsightsExtension/PartType/ProactiveDetectionAsyncPart",
                            "asset": {"idInputName": "ComponentId", "type": "ApplicationInsights"},
                            "defaultMenuItemId": "ProactiveDetection"
                        }
                    },
                    {
                        "position": {"x": 2, "y": 0, "colSpan": 1, "rowSpan": 1},
                        "metadata": {
                            "inputs": [input, {"name": "ResourceIds", "value": [ai_id]}],
                            "type": "Extension/AppInsightsExtension/PartType/QuickPulseButtonSmallPart",
                            "asset": {"idInputName": "ComponentId", "type": "ApplicationInsights"}
                        }
                    }
                ]
            }],
            "metadata": {"model": {"timeRange": {"value": {"relative": {"duration": 24, "timeUnit": 1}}, "type": "MsPortalFx.Composition.Configuration.ValueTypes.TimeRange"}}}
        }
    });
    let group = json!({
        "id": rg("rg-app"),
        "name": "rg-app",
        "type": "Microsoft.Resources/resourceGroups",
        "location": "westeurope",
        "properties": {"provisioningState": "Succeeded"}
    });
    let (_, out) = run(&[group, ai, dash], "northeurope");
    let d = of_type(&out, "Microsoft.Portal/dashboards");
    for part in d[0]["properties"]["lenses"][0]["parts"].as_array().unwrap() {
        let value = &part["metadata"]["inputs"][0]["value"];
        assert_eq!(
            value["ResourceGroup"],
            json!("rg-app-northeurope"),
            "{value}"
        );
        assert_eq!(
            value["Name"],
            json!("ai-app"),
            "the component keeps its name"
        );
    }
}
