//! Key Vault access policies of recreated identities (issue #15's class in
//! the corpus: the target vault held the source principal's entry and the
//! new principal's). A user-assigned identity redeployed in the target has a
//! new principal id (managed identities "can't be moved", learn.microsoft.com
//! /entra/identity/managed-identities-azure-resources/how-to-managed-identity-
//! regional-move); the plan's `identity-grants` action gives the new
//! principal the source principal's permissions (`accessPolicies/add`), so
//! the generated vault does not carry the source principal's entry, while
//! an entry for a principal that stays (a group) is kept. Built from ARM GET
//! bodies (UserAssignedIdentities_Get 2023-01-31, Vaults_Get 2023-07-01).

use azrelo_catalog::Catalog;
use azrelo_estate::{InputText, LoadOptions, load_texts};
use azrelo_generate::{ChangeKind, embedded_flags, generate};
use azrelo_plan::{PlanOptions, plan};
use serde_json::{Value, json};

const RG: &str = "/subscriptions/5a1f0c3e-2b7d-4e8a-9c61-0d2e4f6a8b10/resourceGroups/rg-app";
const OLD_PRINCIPAL: &str = "8e2c1d4f-6a3b-4c5d-9e7f-1a2b3c4d5e6f";
const GROUP: &str = "c4b3a291-7d6e-4f50-8a1b-2c3d4e5f6a7b";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

fn bodies() -> Value {
    let policy = |oid: &str| {
        json!({
            "tenantId": TENANT,
            "objectId": oid,
            "permissions": { "secrets": ["get", "list"], "keys": [], "certificates": [] }
        })
    };
    json!({ "value": [
        {
            "id": format!("{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app"),
            "name": "id-app",
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
            "location": "westeurope",
            "tags": {},
            "properties": {
                "tenantId": TENANT,
                "principalId": OLD_PRINCIPAL,
                "clientId": "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
            }
        },
        {
            "id": format!("{RG}/providers/Microsoft.KeyVault/vaults/kv-app-weu"),
            "name": "kv-app-weu",
            "type": "Microsoft.KeyVault/vaults",
            "location": "westeurope",
            "tags": {},
            "properties": {
                "sku": { "family": "A", "name": "standard" },
                "tenantId": TENANT,
                "accessPolicies": [policy(OLD_PRINCIPAL), policy(GROUP)],
                "enabledForDeployment": false,
                "enableSoftDelete": true,
                "softDeleteRetentionInDays": 90,
                "enableRbacAuthorization": false,
                "vaultUri": "https://kv-app-weu.vault.azure.net/",
                "provisioningState": "Succeeded",
                "publicNetworkAccess": "Enabled"
            }
        }
    ]})
}

#[test]
fn a_recreated_identitys_access_policy_is_regranted_not_copied() {
    let loaded = load_texts(
        vec![InputText {
            name: "arm-get.json".into(),
            text: bodies().to_string(),
            path: None,
            explicit: true,
        }],
        &LoadOptions::default(),
        true,
    );
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
    let vault = p
        .resources
        .iter()
        .find(|r| {
            r.resource_type
                .eq_ignore_ascii_case("Microsoft.KeyVault/vaults")
        })
        .unwrap();
    // The plan re-grants the source principal's entry to the new one.
    let grant = p
        .actions
        .iter()
        .find(|a| a.executor == "identity-grants")
        .expect("an identity-grants action");
    assert_eq!(grant.params["sourcePrincipalId"], OLD_PRINCIPAL);
    assert_eq!(grant.params["vault"], vault.target_id.as_str());
    let out = generate(&p, &e, Catalog::embedded(), embedded_flags());
    let name = vault.target_name.to_string();
    let body = out
        .deployments
        .iter()
        .flat_map(|d| d.template["resources"].as_array().unwrap())
        .find(|b| b["type"] == "Microsoft.KeyVault/vaults" && b["name"] == name.as_str())
        .expect("the vault is generated");
    let oids: Vec<&str> = body["properties"]["accessPolicies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["objectId"].as_str().unwrap())
        .collect();
    assert_eq!(
        oids,
        [GROUP],
        "the group's entry stays, the old principal's goes"
    );
    let changes = &out.changes[vault.source_id.as_str()];
    assert!(
        changes
            .iter()
            .any(|c| c.pointer == "/properties/accessPolicies/0"
                && c.kind == ChangeKind::Reference
                && c.detail.contains("identity-grants")),
        "{changes:?}"
    );
}
