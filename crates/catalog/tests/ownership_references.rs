//! The ownership rules and reference patterns are data with a schema: the
//! embedded files hold the facts issue #14 names, and a malformed rule or
//! pattern fails the load naming the file and key.

use azrelo_catalog::{Catalog, OwnerMatch, ReferenceKind, Relation, TargetHow};

/// The embedded files with `file` replaced (or removed when `text` is None).
fn with_file(file: &str, text: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Catalog::embedded_files()
        .iter()
        .filter(|(f, _)| *f != file)
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
    if let Some(t) = text {
        out.push((file.to_string(), t.to_string()));
    }
    out
}

fn embedded(file: &str) -> &'static str {
    Catalog::embedded_files()
        .iter()
        .find(|(f, _)| *f == file)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("{file} is embedded"))
}

fn load_err(file: &str, text: Option<&str>) -> String {
    match Catalog::from_files(&with_file(file, text)) {
        Ok(_) => panic!("{file}: the edit should not load"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_ownership_facts_of_the_issue_are_data() {
    let c = Catalog::embedded();
    let rule = |id: &str| {
        c.ownership_rule(id)
            .unwrap_or_else(|| panic!("ownership rule {id}"))
    };
    // AKS node resource group: managedBy first, then the cluster's property,
    // then the documented MC_ convention; its contents belong to the cluster.
    let aks = rule("aks-node-resource-group");
    assert_eq!(aks.relation, Relation::CreatedByOwner);
    assert!(aks.contents);
    assert_eq!(
        aks.owner_type.as_deref(),
        Some("Microsoft.ContainerService/managedClusters")
    );
    assert!(matches!(aks.matches[0], OwnerMatch::ManagedBy(true)));
    assert!(aks.matches.iter().any(
        |m| matches!(m, OwnerMatch::Name(n) if n.pattern == "MC_{owner_group}_{owner}_{location}")
    ));
    assert_eq!(aks.target.how, TargetHow::Read);
    for id in [
        "container-apps-infrastructure-resource-group",
        "databricks-managed-resource-group",
        "synapse-managed-resource-group",
        "managed-application-resource-group",
        "aro-cluster-resource-group",
        "private-endpoint-nic",
        "network-watcher-per-region",
        "sql-master-database",
        "app-service-default-host-name-binding",
        "app-service-slot-default-host-name-binding",
    ] {
        assert_eq!(rule(id).relation, Relation::CreatedByOwner, "{id}");
    }
    for id in [
        "backup-vm-snapshot-extension",
        "backup-sql-workload-extension",
        "sql-iaas-agent-extension",
        "defender-for-endpoint-extension",
        "azure-monitor-agent-extension",
        "app-service-managed-certificate",
    ] {
        assert_eq!(rule(id).relation, Relation::InstalledByService, "{id}");
    }
    // Issued for the target only once the domain points at it: a person
    // finishes it after the cut-over, and the plan says how.
    assert!(
        rule("app-service-managed-certificate")
            .after_move
            .as_deref()
            .is_some_and(|a| a.contains("cut-over"))
    );
    for id in [
        "sql-virtual-machine-registration",
        "vm-auto-shutdown-schedule",
    ] {
        let r = rule(id);
        assert_eq!(r.relation, Relation::AttachAfterOwner, "{id}");
        // Attached resources are deployed, so the catalog must know how.
        assert!(
            !c.entry(&r.owned).is_default(),
            "{id}: {} is catalogued",
            r.owned
        );
    }
}

#[test]
fn the_reference_patterns_of_the_issue_are_data() {
    let r = Catalog::embedded().references();
    let storage = r.endpoint("storage").unwrap();
    assert!(storage.connection_keys.iter().any(|k| k == "AccountName"));
    assert!(
        storage
            .setting_suffixes
            .iter()
            .any(|k| k == "__accountName")
    );
    let public = r.cloud("AzureCloud").unwrap();
    assert_eq!(public.suffixes["storage"], "core.windows.net");
    let host = storage.host_patterns()[0].render(
        "stfunc01neu",
        &r.cloud("AzureChinaCloud").unwrap().suffixes["storage"],
    );
    assert_eq!(
        host.as_deref(),
        Some("stfunc01neu.blob.core.chinacloudapi.cn")
    );
    for t in [
        "Microsoft.KeyVault/vaults",
        "Microsoft.ServiceBus/namespaces",
        "Microsoft.EventHub/namespaces",
        "Microsoft.DocumentDB/databaseAccounts",
        "Microsoft.Sql/servers",
        "Microsoft.Cache/redis",
        "Microsoft.AppConfiguration/configurationStores",
    ] {
        assert!(
            r.endpoint_for_type(t).is_some(),
            "{t} has an endpoint pattern"
        );
    }
    assert_eq!(
        r.syntax("app-service-key-vault-reference").unwrap().kind,
        ReferenceKind::KeyVaultReference
    );
    assert_eq!(
        r.key("aks-oidc-issuer").unwrap().kind,
        ReferenceKind::FederatedIssuer
    );
    assert_eq!(
        r.key("app-insights-instrumentation-key").unwrap().kind,
        ReferenceKind::InstrumentationKey
    );
}

#[test]
fn missing_files_are_named() {
    let e = load_err("ownership.toml", None);
    assert!(e.contains("missing ownership.toml"), "{e}");
    let e = load_err("references.toml", None);
    assert!(e.contains("missing references.toml"), "{e}");
}

#[test]
fn malformed_ownership_rules_fail_with_file_and_key() {
    let base = embedded("ownership.toml");
    let cases: &[(&str, &str, &str)] = &[
        (
            "MC_{owner_group}_{owner}_{location}\", group = \"any\"",
            "MC_{owner_group}_{cluster}_{location}\", group = \"any\"",
            "unknown placeholder '{cluster}'",
        ),
        (
            "{ name = { pattern = \"{owner}.nic.{*}\", group = \"owner\" } },\n]\ntarget = { how = \"read\", path = \"/properties/networkInterfaces/0/id\", names = \"id\" }\nnote = \"A private endpoint",
            "{ name = { pattern = \"{owner}.{*}.nic\", group = \"owner\" } },\n]\ntarget = { how = \"read\", path = \"/properties/networkInterfaces/0/id\", names = \"id\" }\nnote = \"A private endpoint",
            "must end the pattern",
        ),
        (
            "relation = \"attach-after-owner\"\nowned = \"Microsoft.SqlVirtualMachine/sqlVirtualMachines\"",
            "relation = \"created-by-owner\"\nowned = \"Microsoft.SqlVirtualMachine/sqlVirtualMachines\"",
            "how = \"planned\"",
        ),
        (
            "  { scope_resource = \"/subscriptions/{subscription}/providers/Microsoft.Security/pricings/VirtualMachines\" },\n  { service = true },",
            "  { service = true },\n  { scope_resource = \"/subscriptions/{subscription}/providers/Microsoft.Security/pricings/VirtualMachines\" },",
            "must be the last match",
        ),
        (
            "target = { how = \"read\", path = \"/properties/nodeResourceGroup\", names = \"resource-group\" }",
            "target = { how = \"read\", path = \"/properties/nodeResourceGroup\" }",
            "takes `path` and `names`",
        ),
        (
            "names = \"resource-group\", new_name = \"aro-{owner}-{location}\" }",
            "names = \"resource-group\", new_name = \"aro-{cluster}-{location}\" }",
            "unknown placeholder '{cluster}'",
        ),
        (
            "target = { how = \"same-name\" }",
            "target = { how = \"same-name\", new_name = \"x-{owner}\" }",
            "takes no other keys",
        ),
        (
            "  { owned_property = \"/properties/privateEndpoint/id\" },",
            "  { owned_property = \"properties/privateEndpoint/id\" },",
            "must be a JSON pointer",
        ),
        (
            "id = \"private-link-service-nic\"",
            "id = \"private-endpoint-nic\"",
            "defined twice",
        ),
        (
            "  { managed_by = true },\n  { owner_property = { path = \"/properties/nodeResourceGroup\"",
            "  { managed_by = true, parent = true },\n  { owner_property = { path = \"/properties/nodeResourceGroup\"",
            "ownership.toml",
        ),
        (
            "target = { how = \"planned\" }\nnote = \"The registration",
            "target = { how = \"planned\" }\nafter_move = \"Check it.\"\nnote = \"The registration",
            "`after_move` is for resources azrelo does not deploy",
        ),
    ];
    for (from, to, want) in cases {
        assert!(base.contains(from), "fixture text not found: {from}");
        let e = load_err("ownership.toml", Some(&base.replacen(from, to, 1)));
        assert!(e.starts_with("ownership.toml"), "{e}");
        assert!(e.contains(want), "want '{want}' in: {e}");
    }
    // An empty `after_move` says nothing a person could do.
    let line = base
        .lines()
        .find(|l| l.starts_with("after_move = "))
        .expect("a rule with after_move");
    let e = load_err(
        "ownership.toml",
        Some(&base.replacen(line, "after_move = \"  \"", 1)),
    );
    assert!(
        e.starts_with("ownership.toml") && e.contains("after_move"),
        "{e}"
    );
}

#[test]
fn malformed_reference_patterns_fail_with_file_and_key() {
    let base = embedded("references.toml");
    let cases: &[(&str, &str, &str)] = &[
        (
            "hosts = [\"{name}.blob\",",
            "hosts = [\"blob\",",
            "exactly once",
        ),
        (
            "suffix = \"key-vault\"",
            "suffix = \"vault\"",
            "unknown suffix id 'vault'",
        ),
        (
            "connection_keys = [\"VaultName\"]",
            "connection_keys = [\"AccountName\"]",
            "already claimed",
        ),
        (
            "setting_suffixes = [\"__accountName\"]",
            "setting_suffixes = [\"accountName\"]",
            "must start with '__'",
        ),
        (
            "iot-hub = \"azure-devices.cn\" }",
            "iot-hub = \".azure-devices.cn\" }",
            "without a leading dot",
        ),
        (
            "mysql = \"mysql.database.chinacloudapi.cn\", iot-hub = \"azure-devices.cn\" }",
            "mysql = \"mysql.database.chinacloudapi.cn\" }",
            "same suffix ids",
        ),
        (
            "kind = \"federated-issuer\"",
            "kind = \"name-reference\"",
            "own kind",
        ),
    ];
    for (from, to, want) in cases {
        assert!(base.contains(from), "fixture text not found: {from}");
        let e = load_err("references.toml", Some(&base.replacen(from, to, 1)));
        assert!(e.starts_with("references.toml"), "{e}");
        assert!(e.contains(want), "want '{want}' in: {e}");
    }
}

#[test]
fn a_name_rule_suffix_must_agree_with_the_endpoint_pattern() {
    // One fact in two places is checked: the key vault name rule quotes
    // `.vault.azure.net`, which the key-vault endpoint must produce.
    let base = embedded("references.toml");
    let edited = base.replacen(
        "suffix = \"key-vault\"\nhosts = [\"{name}\"]",
        "suffix = \"key-vault\"\nhosts = [\"{name}.kv\"]",
        1,
    );
    assert_ne!(edited, base);
    let e = load_err("references.toml", Some(&edited));
    assert!(e.contains("dns_suffix '.vault.azure.net'"), "{e}");
    assert!(e.contains("services/key-vault.toml"), "{e}");
}
