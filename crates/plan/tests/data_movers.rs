//! The data mover of a resource is chosen per move from the catalog's data
//! (`data_mover_when`), not per type: a key vault's contents restore from
//! per-object backups only into a vault in the same geography and the same
//! subscription ("Azure Key Vault security worlds and geographic
//! boundaries", learn.microsoft.com/azure/key-vault/general/
//! overview-security-worlds); otherwise the plan uses export/import (the
//! relocation guide, learn.microsoft.com/azure/operational-excellence/
//! relocation-key-vault) and says so in a warning, not a blocker. Built on
//! the example estate's Resource Graph rows plus ARM GET bodies of a
//! vault's secret and key (`GET {vault}/secrets/{name}`, api 2023-07-01).

use std::path::{Path, PathBuf};

use azrelo_catalog::{Catalog, Severity, StepMode};
use azrelo_estate::{Estate, InputText, LoadOptions, load_texts};
use azrelo_plan::*;

const VAULT: &str = "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg-shop-data/providers/Microsoft.KeyVault/vaults/kv-shop-weu-01";

/// ARM GET bodies of a secret and a key of the example's vault, as the
/// Key Vault resource provider returns them (values are never returned).
fn children() -> String {
    serde_json::json!({ "value": [
        {
            "id": format!("{VAULT}/secrets/sql-admin-password"),
            "name": "sql-admin-password",
            "type": "Microsoft.KeyVault/vaults/secrets",
            "location": "westeurope",
            "properties": {
                "attributes": { "enabled": true, "created": 1764201600, "updated": 1764201600 },
                "secretUri": "https://kv-shop-weu-01.vault.azure.net/secrets/sql-admin-password",
                "secretUriWithVersion": "https://kv-shop-weu-01.vault.azure.net/secrets/sql-admin-password/4387e9f3d6e14c459867679a90fd0f79"
            }
        },
        {
            "id": format!("{VAULT}/keys/cmk-storage"),
            "name": "cmk-storage",
            "type": "Microsoft.KeyVault/vaults/keys",
            "location": "westeurope",
            "properties": {
                "attributes": { "enabled": true, "exportable": false, "created": 1764201600, "updated": 1764201600 },
                "kty": "RSA",
                "keyOps": ["wrapKey", "unwrapKey"],
                "keySize": 2048,
                "keyUri": "https://kv-shop-weu-01.vault.azure.net/keys/cmk-storage",
                "keyUriWithVersion": "https://kv-shop-weu-01.vault.azure.net/keys/cmk-storage/fd618d9519b74f9aae94ade66b876acc"
            }
        }
    ]})
    .to_string()
}

fn estate() -> Estate {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contoso-shop");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut inputs: Vec<InputText> = files
        .iter()
        .map(|p| InputText {
            name: p.display().to_string(),
            text: std::fs::read_to_string(p).unwrap(),
            path: Some(p.clone()),
            explicit: true,
        })
        .collect();
    inputs.push(InputText {
        name: "vault-children.json".into(),
        text: children(),
        path: None,
        explicit: true,
    });
    let loaded = load_texts(inputs, &LoadOptions::default(), true);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    loaded.estate
}

fn plan_for(estate: &Estate, opts: &PlanOptions) -> Plan {
    let g = azrelo_graph::build(estate);
    let p = plan(estate, &g, Catalog::embedded(), opts).unwrap();
    let v = check_invariants(&p, estate, &g);
    assert!(v.is_empty(), "invariants violated:\n{}", v.join("\n"));
    p
}

/// (name, data mover, start-data-copy step) of the vault and of its
/// secret and key (children carried in its template have no steps).
fn movers(p: &Plan) -> Vec<(String, Option<String>, Option<String>)> {
    p.resources
        .iter()
        .filter(|r| {
            r.source_id.as_str().starts_with(VAULT)
                && r.resource_type.starts_with("Microsoft.KeyVault/vaults")
        })
        .map(|r| {
            let copy = r
                .steps
                .iter()
                .find(|s| s.kind == StepKind::StartDataCopy)
                .map(|s| {
                    assert_eq!(s.mode, StepMode::ManualGate, "azrelo runs no vault mover");
                    s.detail.to_string()
                });
            (
                r.source_id.as_str().rsplit('/').next().unwrap().to_string(),
                r.data_mover.as_deref().map(str::to_string),
                copy,
            )
        })
        .collect()
}

fn findings<'p>(p: &'p Plan, code: &str) -> Vec<&'p Finding> {
    p.findings.iter().filter(|f| f.code == code).collect()
}

fn copy_gate(p: &Plan) -> &GatePlan {
    p.gates
        .iter()
        .find(|g| {
            g.resource.as_ref().is_some_and(|r| r.as_str() == VAULT)
                && g.id.starts_with("start-data-copy")
        })
        .expect("the vault's data-copy gate")
}

#[test]
fn a_vault_in_the_same_geography_and_subscription_is_backed_up_and_restored() {
    let e = estate();
    let p = plan_for(&e, &PlanOptions::new("northeurope"));
    let m = movers(&p);
    assert_eq!(m.len(), 3, "vault, secret, key: {m:?}");
    for (name, mover, _) in &m {
        assert_eq!(
            mover.as_deref(),
            Some("keyvault-backup-restore"),
            "{name}: {m:?}"
        );
    }
    assert!(findings(&p, "keyvault-backup-cross-geography").is_empty());
    assert!(findings(&p, "keyvault-backup-cross-subscription").is_empty());
    assert!(
        copy_gate(&p)
            .instruction
            .contains("keyvault-backup-restore")
    );
}

#[test]
fn a_vault_across_geographies_moves_by_export_import_with_a_warning() {
    let e = estate();
    let p = plan_for(&e, &PlanOptions::new("swedencentral"));
    let m = movers(&p);
    assert_eq!(m.len(), 3, "{m:?}");
    for (name, mover, _) in &m {
        assert_eq!(
            mover.as_deref(),
            Some("keyvault-export-import"),
            "{name}: {m:?}"
        );
    }
    let vault = m.iter().find(|(n, ..)| n == "kv-shop-weu-01").unwrap();
    assert_eq!(
        vault.2.as_deref(),
        Some("Key Vault export and re-import of current values")
    );
    let f = findings(&p, "keyvault-backup-cross-geography");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(f[0].message.contains("keyvault-export-import"), "{f:?}");
    // What export/import cannot carry is said too.
    assert!(!findings(&p, "keyvault-non-exportable-certificates").is_empty());
    assert!(
        !p.findings
            .iter()
            .any(|f| f.severity == Severity::Blocker && f.code.starts_with("keyvault")),
        "{:?}",
        p.findings
    );
    let gate = &copy_gate(&p).instruction;
    assert!(
        gate.contains("keyvault-export-import") && gate.contains("PFX"),
        "{gate}"
    );
}

#[test]
fn a_vault_into_another_subscription_moves_by_export_import() {
    let e = estate();
    let mut o = PlanOptions::new("northeurope");
    o.target_subscription = Some("9b2d4e61-0c3a-4f58-8e21-7a6b5c4d3e2f".into());
    let p = plan_for(&e, &o);
    for (name, mover, _) in movers(&p) {
        assert_eq!(mover.as_deref(), Some("keyvault-export-import"), "{name}");
    }
    let f = findings(&p, "keyvault-backup-cross-subscription");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].severity, Severity::Warning);
    assert!(findings(&p, "keyvault-backup-cross-geography").is_empty());
}
