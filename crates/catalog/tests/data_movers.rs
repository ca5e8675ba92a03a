//! Conditional data movers (`data_mover_when`): a type's mover may depend on
//! the move, decided by the rule vocabulary. Key Vault backups restore only
//! in the same geography and subscription (learn.microsoft.com/azure/
//! key-vault/general/overview-security-worlds); elsewhere the contents are
//! exported and imported. A file naming an unknown conditional mover is
//! refused with the file and key at fault.

use azrelo_catalog::{Catalog, RuleContext};
use serde_json::json;

fn with_file(file: &str, edit: impl Fn(&str) -> String) -> Result<Catalog, String> {
    let files: Vec<(String, String)> = Catalog::embedded_files()
        .iter()
        .map(|(p, t)| {
            let t = if *p == file { edit(t) } else { t.to_string() };
            (p.to_string(), t)
        })
        .collect();
    Catalog::from_files(&files).map_err(|e| e.to_string())
}

/// The mover a type gets for a resource body moving source → target.
fn mover(c: &Catalog, ty: &str, body: &serde_json::Value, ctx: &RuleContext) -> String {
    let lk = c.entry(ty);
    assert!(lk.data_mover_is_conditional(), "{ty}");
    lk.data_mover_for(|cond| cond.evaluate(body, ctx))
        .unwrap()
        .id
        .clone()
}

#[test]
fn key_vault_contents_move_by_backup_within_a_geography_and_by_export_elsewhere() {
    let c = Catalog::embedded();
    // ARM GET of a vault (Vaults_Get, api 2023-07-01), trimmed.
    let vault = json!({
        "type": "Microsoft.KeyVault/vaults",
        "location": "westeurope",
        "properties": {"sku": {"family": "A", "name": "standard"}, "enableRbacAuthorization": true}
    });
    let same = |cross_sub: bool| {
        let mut ctx = RuleContext::for_regions("westeurope", "northeurope");
        ctx.cross_subscription = Some(cross_sub);
        ctx
    };
    let mut other_geo = RuleContext::for_regions("westeurope", "eastus");
    other_geo.cross_subscription = Some(false);
    for ty in [
        "Microsoft.KeyVault/vaults",
        "Microsoft.KeyVault/vaults/secrets",
        "Microsoft.KeyVault/vaults/keys",
    ] {
        assert_eq!(
            mover(c, ty, &vault, &same(false)),
            "keyvault-backup-restore"
        );
        assert_eq!(mover(c, ty, &vault, &same(true)), "keyvault-export-import");
        assert_eq!(mover(c, ty, &vault, &other_geo), "keyvault-export-import");
        // A move the catalog cannot place (unknown geography) takes the path
        // that works everywhere.
        let unknown = RuleContext::default();
        assert_eq!(mover(c, ty, &vault, &unknown), "keyvault-export-import");
        assert_eq!(
            c.entry(ty).data_mover().unwrap().id,
            "keyvault-backup-restore"
        );
    }
    let m = c.data_mover("keyvault-export-import").unwrap();
    assert_eq!(m.kind, azrelo_catalog::DataMoverKind::ExportImport);
    assert!(m.executor.is_none(), "azrelo does not run it: a gate");
    assert!(!m.sources.is_empty());
    // A type without conditions keeps its one mover.
    assert!(
        !c.entry("Microsoft.Storage/storageAccounts")
            .data_mover_is_conditional()
    );
}

#[test]
fn an_unknown_conditional_mover_is_refused() {
    let e = with_file("services/key-vault.toml", |t| {
        t.replacen(
            "{ id = \"keyvault-export-import\"",
            "{ id = \"keyvault-teleport\"",
            1,
        )
    })
    .unwrap_err();
    assert!(
        e.contains("services/key-vault.toml")
            && e.contains("data_mover_when[0].id")
            && e.contains("keyvault-teleport"),
        "{e}"
    );
}
