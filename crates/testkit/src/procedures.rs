//! The procedures estate: what the example estate (`examples/contoso-shop`)
//! lacks for every source procedure to have work in a relocation, as input
//! rows added to the example's:
//!
//! * seed 003: id-shop-web's role assignments at a management group and in
//!   a second subscription (Resource Graph `authorizationresources` rows at
//!   tenant scope), a Key Vault granting it an access policy (not RBAC), a
//!   Cosmos DB account granting it a custom data-plane SQL role;
//! * seed 000: a legacy Log Analytics agent on vm-shop-app-01 reporting to
//!   the custom workspace log-shop-weu (the Security solution), a Defender
//!   for Storage override on stshopweu01;
//! * seed 001: SQL Server in vm-shop-app-01, protected through its
//!   registered workload container with a workload policy.
//!
//! Relocated with a target subscription of its own ([`TARGET_SUB`]), every
//! executor `apply` performs has work.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The example's subscription.
const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";
/// The target subscription of the relocation.
pub const TARGET_SUB: &str = "7c1d2e3f-0000-4a5b-8c9d-0e1f2a3b4c5d";
/// A second subscription the identity holds a role in.
pub const SHARED_SUB: &str = "5e6f7a8b-1111-4c2d-9e0f-1a2b3c4d5e6f";
/// The management group the identity holds a role at.
pub const MG: &str = "/providers/Microsoft.Management/managementGroups/mg-contoso-platform";
/// id-shop-web's principal in the example.
pub const PRINCIPAL: &str = "6d1e6c7a-95c4-4a0b-9e2a-3c4d5e6f7a01";
/// The example's tenant.
pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// Reader (built-in role definition).
pub const READER: &str = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
/// The example's Recovery Services vault.
const VAULT: &str = "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg-shop-ops/providers/Microsoft.RecoveryServices/vaults/rsv-shop-weu";
/// The custom Cosmos DB SQL role granted to the identity.
pub const COSMOS_ROLE: &str = "7d3c1b2a-0000-4e5f-9a8b-0c1d2e3f4a05";
/// Storage Blob Data Reader (built-in role definition).
pub const BLOB_READER: &str = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

fn ra_row(scope: &str, name: &str, role: &str) -> Value {
    let id = format!("{scope}/providers/Microsoft.Authorization/roleAssignments/{name}");
    json!({
        "id": id,
        "name": name,
        "type": "microsoft.authorization/roleassignments",
        "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "properties": {
            "roleDefinitionId": format!("/providers/Microsoft.Authorization/roleDefinitions/{role}"),
            "principalId": PRINCIPAL,
            "principalType": "ServicePrincipal",
            "scope": scope,
        }
    })
}

/// The identity's role assignments outside its subscription, as Resource
/// Graph's `authorizationresources` lists them at tenant scope.
pub fn extra_inputs(dir: &Path) -> PathBuf {
    let shared = format!("/subscriptions/{SHARED_SUB}/resourceGroups/rg-shared-data");
    let rg = |g: &str| format!("/subscriptions/{SUB}/resourceGroups/{g}");
    let rows = json!({"count": 11, "data": [
        ra_row(MG, "9b1c2d3e-0000-4f5a-8b9c-0d1e2f3a4b01", READER),
        ra_row(&shared, "9b1c2d3e-0000-4f5a-8b9c-0d1e2f3a4b02", BLOB_READER),
        // A vault with access policies (not RBAC) granting the identity.
        {
            "id": format!("{}/providers/Microsoft.KeyVault/vaults/kv-shop-legacy-01", rg("rg-shop-data")),
            "name": "kv-shop-legacy-01",
            "type": "microsoft.keyvault/vaults",
            "location": "westeurope",
            "resourceGroup": "rg-shop-data",
            "subscriptionId": SUB,
            "properties": {
                "tenantId": TENANT,
                "sku": {"family": "A", "name": "standard"},
                "enableRbacAuthorization": false,
                "enableSoftDelete": true,
                "softDeleteRetentionInDays": 90,
                "accessPolicies": [{
                    "tenantId": TENANT,
                    "objectId": PRINCIPAL,
                    "permissions": {"secrets": ["get", "list"], "keys": [], "certificates": []}
                }]
            }
        },
        // The legacy Log Analytics agent of vm-shop-app-01 reports to the
        // custom workspace log-shop-weu (its customer id).
        {
            "id": format!("{}/providers/Microsoft.Compute/virtualMachines/vm-shop-app-01/extensions/OmsAgentForLinux", rg("rg-shop-app")),
            "name": "OmsAgentForLinux",
            "type": "microsoft.compute/virtualmachines/extensions",
            "location": "westeurope",
            "resourceGroup": "rg-shop-app",
            "subscriptionId": SUB,
            "properties": {
                "publisher": "Microsoft.EnterpriseCloud.Monitoring",
                "type": "OmsAgentForLinux",
                "typeHandlerVersion": "1.19",
                "autoUpgradeMinorVersion": true,
                "settings": {"workspaceId": "8c7d6e5f-3333-4a1b-9c2d-1e0f9a8b7c01"}
            }
        },
        // Defender for Storage on stshopweu01 overrides the subscription's
        // settings (malware scanning with a cap): mirrored to the target.
        {
            "id": format!("{}/providers/Microsoft.Storage/storageAccounts/stshopweu01/providers/Microsoft.Security/defenderForStorageSettings/current", rg("rg-shop-data")),
            "name": "current",
            "type": "microsoft.security/defenderforstoragesettings",
            "properties": {
                "isEnabled": true,
                "overrideSubscriptionLevelSettings": true,
                "malwareScanning": {"onUpload": {"isEnabled": true, "capGBPerMonth": 5000}},
                "sensitiveDataDiscovery": {"isEnabled": false}
            }
        },
        // A Cosmos DB account whose data plane grants the identity a custom
        // SQL role (seed 003: data-plane role assignments are recreated).
        {
            "id": format!("{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-shop-weu", rg("rg-shop-data")),
            "name": "cosmos-shop-weu",
            "type": "microsoft.documentdb/databaseaccounts",
            "kind": "GlobalDocumentDB",
            "location": "westeurope",
            "resourceGroup": "rg-shop-data",
            "subscriptionId": SUB,
            "properties": {
                "databaseAccountOfferType": "Standard",
                "consistencyPolicy": {"defaultConsistencyLevel": "Session"},
                "locations": [{"locationName": "West Europe", "failoverPriority": 0, "isZoneRedundant": false}],
                "disableLocalAuth": true
            }
        },
        {
            "id": format!("{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-shop-weu/sqlRoleDefinitions/{COSMOS_ROLE}", rg("rg-shop-data")),
            "name": COSMOS_ROLE,
            "type": "microsoft.documentdb/databaseaccounts/sqlroledefinitions",
            "resourceGroup": "rg-shop-data",
            "subscriptionId": SUB,
            "properties": {
                "roleName": "shop-reader",
                "type": "CustomRole",
                "assignableScopes": [format!("{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-shop-weu", rg("rg-shop-data"))],
                "permissions": [{"dataActions": ["Microsoft.DocumentDB/databaseAccounts/readMetadata", "Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers/items/read"]}]
            }
        },
        {
            "id": format!("{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-shop-weu/sqlRoleAssignments/9b1c2d3e-0000-4f5a-8b9c-0d1e2f3a4b03", rg("rg-shop-data")),
            "name": "9b1c2d3e-0000-4f5a-8b9c-0d1e2f3a4b03",
            "type": "microsoft.documentdb/databaseaccounts/sqlroleassignments",
            "resourceGroup": "rg-shop-data",
            "subscriptionId": SUB,
            "properties": {
                "roleDefinitionId": format!("{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-shop-weu/sqlRoleDefinitions/{COSMOS_ROLE}", rg("rg-shop-data")),
                "principalId": PRINCIPAL,
                "scope": format!("{}/providers/Microsoft.DocumentDB/databaseAccounts/cosmos-shop-weu", rg("rg-shop-data"))
            }
        },
        // SQL Server in vm-shop-app-01, protected by the vault with a
        // workload policy (seed 001's SQL/SAP HANA in a VM track).
        {
            "id": format!("{VAULT}/backupPolicies/SqlPolicy-daily"),
            "name": "SqlPolicy-daily",
            "type": "Microsoft.RecoveryServices/vaults/backupPolicies",
            "resourceGroup": "rg-shop-ops",
            "subscriptionId": SUB,
            "properties": {
                "backupManagementType": "AzureWorkload",
                "workLoadType": "SQLDataBase",
                "settings": {"timeZone": "UTC", "issqlcompression": false},
                "subProtectionPolicy": [{
                    "policyType": "Full",
                    "schedulePolicy": {"schedulePolicyType": "SimpleSchedulePolicy", "scheduleRunFrequency": "Daily", "scheduleRunTimes": ["2026-01-01T02:00:00Z"]},
                    "retentionPolicy": {"retentionPolicyType": "LongTermRetentionPolicy", "dailySchedule": {"retentionTimes": ["2026-01-01T02:00:00Z"], "retentionDuration": {"count": 30, "durationType": "Days"}}}
                }]
            }
        },
        // Its workload container, registered with the vault (a database is
        // protected through it).
        {
            "id": format!("{VAULT}/backupFabrics/Azure/protectionContainers/VMAppContainer;Compute;rg-shop-app;vm-shop-app-01"),
            "name": "VMAppContainer;Compute;rg-shop-app;vm-shop-app-01",
            "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers",
            "resourceGroup": "rg-shop-ops",
            "subscriptionId": SUB,
            "properties": {
                "friendlyName": "vm-shop-app-01",
                "backupManagementType": "AzureWorkload",
                "containerType": "VMAppContainer",
                "workloadType": "SQLDataBase",
                "registrationStatus": "Registered",
                "healthStatus": "Healthy",
                "sourceResourceId": format!("{}/providers/Microsoft.Compute/virtualMachines/vm-shop-app-01", rg("rg-shop-app"))
            }
        },
        {
            "id": format!("{VAULT}/backupFabrics/Azure/protectionContainers/VMAppContainer;Compute;rg-shop-app;vm-shop-app-01/protectedItems/SQLDataBase;mssqlserver;shopdb"),
            "name": "SQLDataBase;mssqlserver;shopdb",
            "type": "Microsoft.RecoveryServices/vaults/backupFabrics/protectionContainers/protectedItems",
            "resourceGroup": "rg-shop-ops",
            "subscriptionId": SUB,
            "properties": {
                "friendlyName": "shopdb",
                "protectedItemType": "AzureVmWorkloadSQLDatabase",
                "backupManagementType": "AzureWorkload",
                "workloadType": "SQLDataBase",
                "serverName": "vm-shop-app-01",
                "parentName": "MSSQLSERVER",
                "parentType": "AzureVmWorkloadSQLInstance",
                "protectionState": "Protected",
                "containerName": "VMAppContainer;Compute;rg-shop-app;vm-shop-app-01",
                "sourceResourceId": format!("{}/providers/Microsoft.Compute/virtualMachines/vm-shop-app-01", rg("rg-shop-app")),
                "policyId": format!("{VAULT}/backupPolicies/SqlPolicy-daily")
            }
        },
    ]});
    let p = dir.join("arg-authorizationresources-other-scopes.json");
    std::fs::write(&p, serde_json::to_vec_pretty(&rows).unwrap()).unwrap();
    p
}

/// What the emulator must hold besides the example for the extra rows: the
/// second subscription's resource group the identity has a role in.
pub fn extra_seed() -> Vec<(String, Value)> {
    vec![(
        format!("/subscriptions/{SHARED_SUB}/resourceGroups/rg-shared-data"),
        json!({"location": "westeurope", "properties": {}}),
    )]
}
