//! The embedded schema flags are exactly what `schema::extract` produces from
//! `../shared/data/bicep-types-az`, and say what the schemas say.

use azrelo_arm::schema::{SCHEMA_FLAGS_JSON, SchemaFlags, TypeFlags, extract};
use std::path::Path;

const SHARED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/bicep-types-az"
);

fn flags(ty: &str) -> &'static TypeFlags {
    SchemaFlags::embedded()
        .get(ty)
        .unwrap_or_else(|| panic!("{ty} is not in the embedded schema flags"))
}

#[test]
fn embedded_file_is_the_extraction_of_the_shared_schemas() {
    let regenerated = extract(Path::new(SHARED)).unwrap();
    assert!(
        regenerated == SCHEMA_FLAGS_JSON,
        "crates/arm/data/schema-flags.json is stale: regenerate it with \
         `cargo run -p azrelo-arm --example refresh_schema_flags`"
    );
    assert!(
        SCHEMA_FLAGS_JSON.len() < 3 * 1024 * 1024,
        "the compact file stays small: {} bytes",
        SCHEMA_FLAGS_JSON.len()
    );
}

#[test]
fn every_indexed_type_is_embedded() {
    let index = std::fs::read_to_string(format!("{SHARED}/index.json")).unwrap();
    let index: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&index).unwrap();
    let embedded = SchemaFlags::embedded();
    assert_eq!(index.len(), 3405);
    assert_eq!(embedded.len(), index.len());
    assert!(!embedded.is_empty());
    for (ty, entry) in &index {
        let f = embedded.get(ty).unwrap_or_else(|| panic!("{ty} missing"));
        assert_eq!(f.api_version, entry["apiVersion"].as_str().unwrap(), "{ty}");
    }
}

#[test]
fn lists_are_sorted_minimal_and_skip_the_envelope() {
    let embedded = SchemaFlags::embedded();
    for ty in embedded.types() {
        let f = embedded.get(ty).unwrap();
        for list in [&f.read_only, &f.write_only, &f.sensitive] {
            assert!(list.is_sorted(), "{ty}: {list:?}");
            for (i, p) in list.iter().enumerate() {
                assert!(p.starts_with('/'), "{ty}: {p}");
                assert!(
                    !["/id", "/name", "/type", "/apiVersion"].contains(&p.as_str()),
                    "{ty}: envelope field {p} listed"
                );
                assert!(
                    !list
                        .iter()
                        .enumerate()
                        .any(|(j, q)| j != i && p.starts_with(&format!("{q}/"))),
                    "{ty}: {p} is below another listed path"
                );
            }
        }
        // Nothing below a read-only path is listed.
        for p in f.write_only.iter().chain(&f.sensitive) {
            assert!(
                !f.read_only.iter().any(|r| p.starts_with(&format!("{r}/"))),
                "{ty}: {p} is below a read-only path"
            );
        }
    }
}

#[test]
fn key_vault() {
    let kv = flags("Microsoft.KeyVault/vaults");
    assert_eq!(kv.api_version, "2026-02-01");
    // The schema does not flag vaultUri read-only (flags 0): it may be sent.
    assert!(!kv.is_read_only("/properties/vaultUri"));
    assert!(kv.is_read_only("/properties/hsmPoolResourceId"));
    assert!(kv.is_read_only("/properties/privateEndpointConnections/0/id"));
    assert!(kv.is_read_only("/systemData/createdAt"));
    assert!(!kv.is_read_only("/properties/accessPolicies/0/objectId"));
    assert!(!kv.is_read_only("/properties/tenantId"));
    assert!(kv.is_write_only("/properties/createMode"));
    assert!(!kv.is_sensitive("/properties/tenantId"));
}

#[test]
fn virtual_network() {
    let vnet = flags("Microsoft.Network/virtualNetworks");
    assert!(vnet.is_read_only("/properties/provisioningState"));
    assert!(vnet.is_read_only("/properties/resourceGuid"));
    assert!(vnet.is_read_only("/etag"));
    // `*` matches any array index, and everything below a read-only path is read-only.
    assert!(
        vnet.read_only
            .contains(&"/properties/subnets/*/properties/ipConfigurations".into())
    );
    assert!(vnet.is_read_only("/properties/subnets/0/properties/ipConfigurations"));
    assert!(vnet.is_read_only("/properties/subnets/17/properties/ipConfigurations/2/id"));
    assert!(vnet.is_read_only("/properties/subnets/0/properties/provisioningState"));
    assert!(!vnet.is_read_only("/properties/subnets"));
    assert!(!vnet.is_read_only("/properties/subnets/0"));
    assert!(!vnet.is_read_only("/properties/subnets/0/properties/addressPrefix"));
    assert!(!vnet.is_read_only("/properties/addressSpace/addressPrefixes/0"));
    assert!(!vnet.is_read_only("/location"));
    // Segment names compare case-insensitively; a prefix of a name is not the name.
    assert!(vnet.is_read_only("/Properties/ProvisioningState"));
    assert!(vnet.is_read_only("/properties/Subnets/0/Properties/IPConfigurations"));
    assert!(!vnet.is_read_only("/properties/provisioning"));
    assert!(!vnet.is_read_only("/properties/provisioningStateX"));
}

#[test]
fn virtual_machine() {
    let vm = flags("Microsoft.Compute/virtualMachines");
    // Sensitive in the schema (StringType sensitive), not flagged write-only.
    assert!(vm.is_sensitive("/properties/osProfile/adminPassword"));
    assert!(!vm.is_write_only("/properties/osProfile/adminPassword"));
    assert!(!vm.is_read_only("/properties/osProfile/adminPassword"));
    assert!(!vm.is_sensitive("/properties/osProfile/adminUsername"));
    assert!(vm.is_read_only("/properties/vmId"));
    assert!(vm.is_read_only("/properties/instanceView/statuses/0/code"));
    assert!(vm.is_read_only("/identity/principalId"));
    assert!(vm.is_read_only("/identity/tenantId"));
    assert!(vm.is_read_only("/identity/userAssignedIdentities/%2Fsubscriptions%2Fx/principalId"));
    assert!(!vm.is_read_only("/identity/type"));
    assert!(!vm.is_read_only("/identity/userAssignedIdentities/anything"));
}

#[test]
fn storage_account() {
    let sa = flags("Microsoft.Storage/storageAccounts");
    assert!(sa.is_read_only("/properties/primaryEndpoints"));
    assert!(sa.is_read_only("/properties/primaryEndpoints/blob"));
    assert!(sa.is_read_only("/properties/provisioningState"));
    assert!(sa.is_read_only("/identity/principalId"));
    assert!(sa.is_read_only("/properties/networkAcls/virtualNetworkRules/3/state"));
    assert!(!sa.is_read_only("/properties/networkAcls/virtualNetworkRules/3/id"));
    assert!(!sa.is_read_only("/sku/name"));
    assert!(sa.is_read_only("/sku/tier"));
    assert!(!sa.is_read_only("/kind"));
}

#[test]
fn web_site_write_only_and_nested_sensitive() {
    let site = flags("microsoft.web/sites");
    assert!(site.is_write_only("/properties/siteConfig"));
    assert!(site.is_write_only("/properties/siteConfig/appSettings/0/value"));
    assert!(site.is_sensitive("/properties/siteConfig/azureStorageAccounts/myshare/accessKey"));
    assert!(!site.is_sensitive("/properties/siteConfig/azureStorageAccounts/myshare/accountName"));
    assert!(site.is_read_only("/properties/defaultHostName"));
}

#[test]
fn discriminated_variants_union_but_writable_wins_over_read_only() {
    // administratorLogin is read-only in the base properties of
    // ServerPropertiesForCreate but written by the Default create mode.
    let pg = flags("Microsoft.DBforPostgreSQL/servers");
    assert!(!pg.is_read_only("/properties/administratorLogin"));
    assert!(pg.is_write_only("/properties/administratorLogin"));
    assert!(pg.is_sensitive("/properties/administratorLoginPassword"));
    assert!(pg.is_read_only("/properties/fullyQualifiedDomainName"));
}

#[test]
fn sensitive_object_types() {
    let hub = flags("Microsoft.NotificationHubs/namespaces/notificationHubs");
    assert!(hub.is_sensitive("/properties/apnsCredential"));
    assert!(hub.is_sensitive("/properties/apnsCredential/properties/keyId"));
}

#[test]
fn lookup_is_case_insensitive() {
    let embedded = SchemaFlags::embedded();
    let lower = embedded.get("microsoft.keyvault/vaults").unwrap();
    assert!(std::ptr::eq(
        lower,
        embedded.get("Microsoft.KeyVault/vaults").unwrap()
    ));
    assert!(std::ptr::eq(
        lower,
        embedded.get("MICROSOFT.KEYVAULT/VAULTS").unwrap()
    ));
    assert!(embedded.get("Microsoft.KeyVault/vaultz").is_none());
    assert!(embedded.get("").is_none());
    assert!(
        embedded
            .get("Microsoft.Network/virtualNetworks/subnets")
            .is_some()
    );
}

#[test]
fn from_json_rejects_duplicates_and_garbage() {
    assert!(SchemaFlags::from_json("[\n]\n").unwrap().is_empty());
    let line = r#"{"t":"a.b/c","v":"1","ro":[],"wo":[],"s":[]}"#;
    assert!(SchemaFlags::from_json(&format!("[{line},{line}]")).is_err());
    assert!(SchemaFlags::from_json("{").is_err());
}
