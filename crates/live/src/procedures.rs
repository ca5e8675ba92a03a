//! What the guidance's procedures need besides the resources themselves
//! (read by [`crate::discover`] after the resources):
//!
//! * **Azure Backup** (seed 001): for each Recovery Services vault, its
//!   protected items, protection containers and backup policies
//!   (`backupProtectedItems`, `backupProtectionContainers`, `backupPolicies`
//!   lists) and its storage and vault configuration;
//! * **Defender for Cloud** (seed 000): the settings of each subscription —
//!   plans (pricings), integration settings, auto-provisioning, workspace
//!   settings, security contacts — whatever the resource-group filter (they
//!   belong to the subscription), and each storage account's Defender for
//!   Storage override;
//! * **managed identities** (seed 003): every role assignment of each
//!   discovered identity at every scope — other subscriptions and
//!   management groups included — from Resource Graph's
//!   `authorizationresources` at tenant scope (executor
//!   `role-assignment-inventory`), and Cosmos DB SQL role assignments.
//!
//! Calls that fail are failures of the discovery (reported), never fatal.

use azrelo_client::ArmClient;
use futures::StreamExt;
use serde_json::Value;

use crate::Failure;
use azrelo_arm::id::ResourceId;

/// api-versions of these reads (REST API specs).
pub mod api {
    pub const BACKUP: &str = "2023-04-01";
    pub const PRICINGS: &str = "2024-01-01";
    pub const SETTINGS: &str = "2022-05-01";
    pub const AUTO_PROVISIONING: &str = "2017-08-01-preview";
    pub const WORKSPACE_SETTINGS: &str = "2017-08-01-preview";
    pub const SECURITY_CONTACTS: &str = "2020-01-01-preview";
    pub const DEFENDER_FOR_STORAGE: &str = "2022-12-01-preview";
    pub const COSMOS: &str = "2024-05-15";
}

/// Principal ids per Resource Graph query (its `in~` list stays short).
const PRINCIPALS_PER_QUERY: usize = 100;

/// One read: a list (`value`) or a single resource.
enum Read {
    List(String, &'static str),
    One(String, &'static str),
}

/// The records to ingest (call, body) and the calls that failed.
pub(crate) async fn read(
    client: &ArmClient,
    subscriptions: &[String],
    rows: &[(ResourceId, Value)],
    concurrency: usize,
) -> (Vec<(String, Value)>, Vec<Failure>) {
    let mut reads = Vec::new();
    for sub in subscriptions {
        for (kind, api) in [
            ("pricings", api::PRICINGS),
            ("settings", api::SETTINGS),
            ("autoProvisioningSettings", api::AUTO_PROVISIONING),
            ("workspaceSettings", api::WORKSPACE_SETTINGS),
            ("securityContacts", api::SECURITY_CONTACTS),
        ] {
            reads.push(Read::List(
                format!("/subscriptions/{sub}/providers/Microsoft.Security/{kind}"),
                api,
            ));
        }
    }
    let is = |id: &ResourceId, t: &str| id.type_or_scope_type().as_str().eq_ignore_ascii_case(t);
    let mut principals: Vec<String> = Vec::new();
    for (id, row) in rows {
        if is(id, "Microsoft.RecoveryServices/vaults") {
            for list in [
                "backupProtectedItems",
                "backupProtectionContainers",
                "backupPolicies",
            ] {
                reads.push(Read::List(format!("{id}/{list}"), api::BACKUP));
            }
            reads.push(Read::One(
                format!("{id}/backupstorageconfig/vaultstorageconfig"),
                api::BACKUP,
            ));
            reads.push(Read::One(
                format!("{id}/backupconfig/vaultconfig"),
                api::BACKUP,
            ));
        }
        if is(id, "Microsoft.Storage/storageAccounts") {
            reads.push(Read::One(
                format!("{id}/providers/Microsoft.Security/defenderForStorageSettings/current"),
                api::DEFENDER_FOR_STORAGE,
            ));
        }
        if is(id, "Microsoft.DocumentDB/databaseAccounts") {
            reads.push(Read::List(format!("{id}/sqlRoleAssignments"), api::COSMOS));
        }
        if is(id, azrelo_arm::vocab::USER_ASSIGNED_IDENTITIES)
            && let Some(p) = row
                .pointer("/properties/principalId")
                .and_then(Value::as_str)
        {
            principals.push(p.to_ascii_lowercase());
        }
        if let Some(p) = row.pointer("/identity/principalId").and_then(Value::as_str) {
            principals.push(p.to_ascii_lowercase());
        }
    }
    principals.sort();
    principals.dedup();
    let results: Vec<(String, Result<Vec<Value>, azrelo_client::ClientError>)> =
        futures::stream::iter(reads.into_iter().map(|r| async move {
            match r {
                Read::List(path, api) => {
                    let r = client.list(&path, api).await;
                    (format!("GET {path}?api-version={api}"), r)
                }
                Read::One(path, api) => {
                    let r = client
                        .get(&path, api)
                        .await
                        .map(|b| b.into_iter().collect());
                    (format!("GET {path}?api-version={api}"), r)
                }
            }
        }))
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let mut records = Vec::new();
    let mut failures = Vec::new();
    for (call, r) in results {
        match r {
            Ok(list) => {
                for v in list {
                    // A storage account's Defender settings matter when they
                    // override the subscription's.
                    let storage_default = call.contains("/defenderForStorageSettings/")
                        && v.pointer("/properties/overrideSubscriptionLevelSettings")
                            .and_then(Value::as_bool)
                            != Some(true);
                    // `Pricings_List` answers every plan; a Free one is not
                    // configured.
                    let free_plan = call.contains("/Microsoft.Security/pricings?")
                        && v.pointer("/properties/pricingTier")
                            .and_then(Value::as_str)
                            .is_some_and(|t| t.eq_ignore_ascii_case("Free"));
                    if !storage_default && !free_plan {
                        records.push((call.clone(), v));
                    }
                }
            }
            // Not there (no Defender settings, a vault type without backup).
            Err(e) if e.status() == Some(404) => {}
            Err(e) => failures.push(Failure {
                call,
                error: e.to_string(),
            }),
        }
    }
    // Role assignments of the identities at every scope.
    for chunk in principals.chunks(PRINCIPALS_PER_QUERY) {
        let list = chunk
            .iter()
            .map(|p| format!("'{p}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let query = format!(
            "authorizationresources | where type =~ 'microsoft.authorization/roleassignments' and properties.principalId in~ ({list})"
        );
        match client.resource_graph(&[], &query).await {
            Ok(rows) => {
                for r in rows {
                    records.push(("Resource Graph authorizationresources".to_string(), r));
                }
            }
            Err(e) => failures.push(Failure {
                call: "Resource Graph authorizationresources (the identities' role assignments at every scope)".into(),
                error: e.to_string(),
            }),
        }
    }
    records.sort_by(|a, b| {
        let id = |v: &Value| v["id"].as_str().unwrap_or_default().to_ascii_lowercase();
        id(&a.1).cmp(&id(&b.1))
    });
    (records, failures)
}
