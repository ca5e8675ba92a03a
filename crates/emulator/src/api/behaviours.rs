//! What a PUT of some types does beyond storing the body
//! ([`crate::types::Behaviour`]), and the bodies of settings every vault or
//! subscription has without anyone creating them
//! ([`crate::types::DefaultBody`]). Shapes from the REST API specifications'
//! examples: Recovery Services backup (specification/recoveryservicesbackup/
//! resource-manager/Microsoft.RecoveryServices/stable/2023-04-01/examples:
//! `AzureIaasVm/StopProtection.json`, `AzureIaasVm/BackupPolicies_List.json`,
//! `AzureStorage/ProtectionContainers_Register.json`,
//! `Common/BackupStorageConfig_Get.json`), Key Vault
//! (`updateAccessPoliciesAdd.json`, 2023-07-01), Cosmos DB
//! (`CosmosDBSqlRoleAssignmentCreateUpdate.json`) and Microsoft.Security
//! (`Pricings/GetPricingByNameVirtualMachines_example.json`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::{Map, Value, json};

use super::error;
use crate::state::{Inner, Stored, TENANT, key};
use crate::types::{Behaviour, DefaultBody};

type Refusal = Box<Response>;

fn bad(code: &str, message: impl Into<String>) -> Refusal {
    Box::new(error(StatusCode::BAD_REQUEST, code, message, None))
}

fn exists(inner: &Inner, id: &str) -> bool {
    ResourceId::parse(id).is_ok_and(|r| inner.exists(&r) || default_body(inner, &r).is_some())
}

/// Whether `id` names something missing from a resource group the emulator
/// holds (a reference into a group it does not hold is not judged, as in
/// [`crate::integrity::check_references`]).
fn missing(inner: &Inner, id: &str) -> bool {
    let Ok(r) = ResourceId::parse(id) else {
        return true;
    };
    let held = r
        .resource_group_id()
        .is_none_or(|g| inner.resources.contains_key(&key(g.as_str())));
    held && !exists(inner, id)
}

/// The Backup management type of a protected item type (REST
/// `ProtectedItem` discriminators).
fn management_type(item_type: &str) -> (&'static str, &'static str) {
    let t = item_type.to_ascii_lowercase();
    if t.ends_with("/virtualmachines") {
        ("AzureIaasVM", "VM")
    } else if t.starts_with("azurefileshare") {
        ("AzureStorage", "AzureFileShare")
    } else if t == "azurevmworkloadsaphanadatabase" {
        ("AzureWorkload", "SAPHanaDatabase")
    } else if t.starts_with("azurevmworkload") {
        ("AzureWorkload", "SQLDataBase")
    } else if t.starts_with("mab") {
        ("MAB", "FileFolder")
    } else {
        ("Invalid", "Invalid")
    }
}

/// Apply the type's behaviour to a PUT. `Ok(Some(response))`: the request
/// is answered here (an action, not a resource); `Ok(None)`: store `body`
/// as usual; `Err`: refused.
pub(crate) fn before_put(
    inner: &mut Inner,
    id: &ResourceId,
    body: &mut Value,
    b: Behaviour,
) -> Result<Option<Response>, Refusal> {
    match b {
        Behaviour::BackupProtectedItem => protected_item(inner, id, body).map(|_| None),
        Behaviour::BackupContainer => container(inner, body).map(|_| None),
        Behaviour::KeyVaultAccessPolicies => access_policies(inner, id, body).map(Some),
        Behaviour::CosmosSqlRoleAssignment => sql_role_assignment(inner, id, body).map(|_| None),
    }
}

fn protected_item(inner: &Inner, id: &ResourceId, body: &mut Value) -> Result<(), Refusal> {
    let stored = inner.resources.get(&key(id.as_str()));
    // A PUT updates the item: a stop keeps its policy (StopProtection.json
    // answers with `policyId`), a resume names one again.
    let mut props: Map<String, Value> = stored
        .and_then(|s| s.body.get("properties")?.as_object().cloned())
        .unwrap_or_default();
    if let Some(given) = body.get("properties").and_then(Value::as_object) {
        for (k, v) in given {
            props.insert(k.clone(), v.clone());
        }
    }
    let str_of = |m: &Map<String, Value>, k: &str| {
        m.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let item_type = str_of(&props, "protectedItemType");
    let source = str_of(&props, "sourceResourceId");
    let policy = str_of(&props, "policyId");
    let state = str_of(&props, "protectionState");
    let stopping = state.eq_ignore_ascii_case("ProtectionStopped");
    if item_type.is_empty() {
        return Err(bad(
            "BMSUserErrorInvalidInput",
            "properties.protectedItemType is required.",
        ));
    }
    // A database item may name its VM through its container only.
    let workload = item_type
        .to_ascii_lowercase()
        .starts_with("azurevmworkload");
    if (source.is_empty() && !workload)
        || (!source.is_empty() && !stopping && missing(inner, &source))
    {
        return Err(bad(
            "BMSUserErrorSourceResourceNotFound",
            format!("The resource to protect '{source}' was not found."),
        ));
    }
    if !stopping {
        if policy.is_empty() || missing(inner, &policy) {
            return Err(bad(
                "BMSUserErrorPolicyNotFound",
                format!("The backup policy '{policy}' was not found in the vault."),
            ));
        }
        let vault = id
            .as_str()
            .to_ascii_lowercase()
            .find("/backupfabrics/")
            .map(|i| &id.as_str()[..i]);
        if vault.is_some_and(|v| {
            !policy
                .to_ascii_lowercase()
                .starts_with(&v.to_ascii_lowercase())
        }) {
            return Err(bad(
                "BMSUserErrorPolicyNotFound",
                format!("The backup policy '{policy}' is not a policy of this vault."),
            ));
        }
    }
    let (bmt, workload) = management_type(&item_type);
    // A file share or a database is protected through a registered
    // container (ProtectionContainers_Register.json).
    if matches!(bmt, "AzureStorage" | "AzureWorkload")
        && let Some(c) = id.parent()
    {
        let registered = inner
            .resources
            .get(&key(c.as_str()))
            .and_then(|s| s.body.pointer("/properties/registrationStatus"))
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("Registered"));
        if !registered {
            return Err(bad(
                "BMSUserErrorContainerNotRegistered",
                format!(
                    "The container '{}' is not registered with the vault: register it first.",
                    c.name().unwrap_or_default()
                ),
            ));
        }
    }
    // One vault per resource: an item for the same resource in another
    // vault (even stopped with its data retained) refuses a second one.
    if bmt == "AzureIaasVM" {
        let vault_of = |s: &str| {
            let l = s.to_ascii_lowercase();
            l.find("/backupfabrics/").map(|i| l[..i].to_string())
        };
        let mine = vault_of(id.as_str());
        let other = inner.resources.values().find(|s| {
            s.body["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(crate::types::PROTECTED_ITEMS))
                && vault_of(&s.id) != mine
                && s.body
                    .pointer("/properties/sourceResourceId")
                    .and_then(Value::as_str)
                    .is_some_and(|x| x.eq_ignore_ascii_case(&source))
        });
        if let Some(o) = other {
            return Err(bad(
                "BMSUserErrorAlreadyProtectedByAnotherVault",
                format!(
                    "'{source}' is already protected by another vault ({}); stop its protection and delete its backup data there first.",
                    vault_of(&o.id).unwrap_or_default()
                ),
            ));
        }
    }
    // What the service reports about the item.
    let container = id
        .parent()
        .and_then(|c| c.name().map(str::to_string))
        .unwrap_or_default();
    let container_name = container
        .split_once(';')
        .map_or(container.clone(), |(_, rest)| rest.to_string());
    let friendly = props
        .get("friendlyName")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| match bmt {
            "AzureIaasVM" => source.rsplit('/').next().unwrap_or_default().to_string(),
            _ => id
                .name()
                .unwrap_or_default()
                .rsplit(';')
                .next()
                .unwrap_or_default()
                .to_string(),
        });
    props.insert("backupManagementType".into(), json!(bmt));
    props.insert("workloadType".into(), json!(workload));
    props.insert("containerName".into(), json!(container_name));
    props.insert("friendlyName".into(), json!(friendly));
    props.insert("protectionStatus".into(), json!("Healthy"));
    props.insert("healthStatus".into(), json!("Passed"));
    if bmt == "AzureIaasVM" {
        props.insert("virtualMachineId".into(), json!(source));
    }
    if !stopping {
        // A newly protected item waits for its first backup.
        let first = stored.is_none()
            || state.is_empty()
            || stored
                .and_then(|s| s.body.pointer("/properties/protectionState"))
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("ProtectionStopped"));
        if first {
            props.insert("protectionState".into(), json!("IRPending"));
        }
    }
    body["properties"] = Value::Object(props);
    Ok(())
}

fn container(inner: &Inner, body: &mut Value) -> Result<(), Refusal> {
    let source = body
        .pointer("/properties/sourceResourceId")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if source.is_empty() || missing(inner, &source) {
        return Err(bad(
            "BMSUserErrorSourceResourceNotFound",
            format!("The resource to register '{source}' was not found."),
        ));
    }
    let props = body["properties"].as_object_mut();
    if let Some(p) = props {
        p.insert("registrationStatus".into(), json!("Registered"));
        p.insert("healthStatus".into(), json!("Healthy"));
        p.entry("protectedItemCount").or_insert(json!(0));
    }
    Ok(())
}

/// `PUT {vault}/accessPolicies/{add|replace|remove}`: merge into, replace
/// or remove from the vault's access policies (by tenant and object id);
/// 200 with the policies of the request.
fn access_policies(
    inner: &mut Inner,
    id: &ResourceId,
    body: &mut Value,
) -> Result<Response, Refusal> {
    let op = id.name().unwrap_or_default().to_ascii_lowercase();
    if !matches!(op.as_str(), "add" | "replace" | "remove") {
        return Err(bad(
            "BadRequest",
            format!("The access policy operation '{op}' is not one of add, replace, remove."),
        ));
    }
    let Some(vault) = id.parent() else {
        return Err(bad("BadRequest", "No vault."));
    };
    let k = key(vault.as_str());
    let Some(mut stored) = inner.resources.get(&k).cloned() else {
        return Err(Box::new(error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The vault '{}' was not found.",
                vault.name().unwrap_or_default()
            ),
            None,
        )));
    };
    let entries: Vec<Value> = body
        .pointer("/properties/accessPolicies")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let policies = stored.body["properties"]
        .as_object_mut()
        .map(|p| p.entry("accessPolicies").or_insert(json!([])));
    let Some(Value::Array(list)) = policies else {
        return Err(bad("BadRequest", "The vault has no properties."));
    };
    for e in &entries {
        let Some(oid) = e["objectId"].as_str() else {
            return Err(bad("BadRequest", "An access policy needs an objectId."));
        };
        let same = |x: &Value| {
            x["objectId"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case(oid))
                && x["tenantId"]
                    .as_str()
                    .unwrap_or(TENANT)
                    .eq_ignore_ascii_case(e["tenantId"].as_str().unwrap_or(TENANT))
        };
        let at = list.iter().position(same);
        match (op.as_str(), at) {
            ("add", Some(i)) => {
                for cat in ["keys", "secrets", "certificates", "storage"] {
                    let mut have: Vec<Value> = list[i]["permissions"][cat]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    for p in e["permissions"][cat].as_array().into_iter().flatten() {
                        if !have.iter().any(|h| {
                            h.as_str()
                                .zip(p.as_str())
                                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
                        }) {
                            have.push(p.clone());
                        }
                    }
                    if !have.is_empty() {
                        list[i]["permissions"][cat] = Value::Array(have);
                    }
                }
            }
            ("add" | "replace", None) => list.push(e.clone()),
            ("replace", Some(i)) => list[i] = e.clone(),
            ("remove", Some(i)) => {
                list.remove(i);
            }
            _ => {}
        }
    }
    let id_text = stored.id.clone();
    if let Err(e) = inner.store(k, stored) {
        return Ok(super::persistence_failed(e));
    }
    Ok((
        StatusCode::OK,
        axum::Json(json!({
            "id": format!("{id_text}/accessPolicies/"),
            "type": "Microsoft.KeyVault/vaults/accessPolicies",
            "properties": {"accessPolicies": entries},
        })),
    )
        .into_response())
}

fn sql_role_assignment(inner: &Inner, id: &ResourceId, body: &Value) -> Result<(), Refusal> {
    let Some(account) = id.parent() else {
        return Err(bad("BadRequest", "No account."));
    };
    let p = |k: &str| {
        body.pointer(&format!("/properties/{k}"))
            .and_then(Value::as_str)
            .unwrap_or_default()
    };
    if p("principalId").is_empty() {
        return Err(bad("BadRequest", "principalId is required."));
    }
    let role = p("roleDefinitionId");
    if role.is_empty() || missing(inner, role) {
        return Err(bad(
            "NotFound",
            format!("The SQL role definition '{role}' was not found in the account."),
        ));
    }
    let scope = p("scope");
    let within = ResourceId::parse(scope).is_ok_and(|s| s.is_within(&account) || s == account);
    if !within {
        return Err(bad(
            "BadRequest",
            format!(
                "The scope '{scope}' is not within the account '{}'.",
                account.as_str()
            ),
        ));
    }
    Ok(())
}

/// The body of a setting nobody created, when the type has one and the
/// resource is one its parent always has.
pub(crate) fn default_body(inner: &Inner, id: &ResourceId) -> Option<Value> {
    if id.kind() != IdKind::Resource {
        return None;
    }
    let ty = id.type_or_scope_type();
    let which = crate::types::facts(ty.as_str()).default_body?;
    let name = id.name()?.to_string();
    let props = match which {
        DefaultBody::BackupPolicy => {
            if !crate::deployments::builtin_child(inner, id) {
                return None;
            }
            backup_policy(&name)
        }
        DefaultBody::VaultStorageConfig | DefaultBody::VaultConfig => {
            if !crate::deployments::builtin_child(inner, id) {
                return None;
            }
            if which == DefaultBody::VaultStorageConfig {
                json!({"storageModelType": "GeoRedundant", "storageType": "GeoRedundant",
                       "storageTypeState": "Unlocked", "crossRegionRestoreFlag": false})
            } else {
                json!({"softDeleteFeatureState": "Enabled", "enhancedSecurityState": "Enabled"})
            }
        }
        DefaultBody::SecurityPricing => {
            // Only the plans Defender for Cloud has, on a subscription.
            if id
                .parent()
                .is_some_and(|p| p.kind() != IdKind::Subscription)
                && id.resource_group().is_some()
            {
                return None;
            }
            PRICINGS.iter().find(|p| p.eq_ignore_ascii_case(&name))?;
            json!({"pricingTier": "Free", "freeTrialRemainingTime": "PT0S"})
        }
        DefaultBody::AutoProvisioning => {
            if !name.eq_ignore_ascii_case("default") || id.resource_group().is_some() {
                return None;
            }
            json!({"autoProvision": "Off"})
        }
        DefaultBody::SqlMasterDatabase => return sql_master_database(inner, id),
    };
    Some(json!({
        "id": id.as_str(),
        "name": name,
        "type": ty.as_str(),
        "properties": props,
    }))
}

/// A server's `master` database as ARM returns it (the REST API's
/// `Databases_ListByServer` example: kind `v12.0,system`, SKU `System`
/// capacity 0, service objective `System0`, the server as `managedBy`, the
/// server's location).
fn sql_master_database(inner: &Inner, id: &ResourceId) -> Option<Value> {
    if !crate::deployments::builtin_child(inner, id) {
        return None;
    }
    let server = id.parent()?;
    let location = inner
        .resources
        .get(&key(server.as_str()))
        .and_then(|s| s.body["location"].as_str().map(str::to_string))?;
    let sku = json!({"name": "System", "tier": "System", "capacity": 0});
    Some(json!({
        "id": id.as_str(),
        "name": "master",
        "type": "Microsoft.Sql/servers/databases",
        "location": location,
        "kind": "v12.0,system",
        "managedBy": server.as_str(),
        "sku": sku,
        "properties": {
            "collation": "SQL_Latin1_General_CP1_CI_AS",
            "maxSizeBytes": 32212254720u64,
            "status": "Online",
            "catalogCollation": "SQL_Latin1_General_CP1_CI_AS",
            "zoneRedundant": false,
            "readScale": "Disabled",
            "currentServiceObjectiveName": "System0",
            "requestedServiceObjectiveName": "System0",
            "currentSku": sku,
        },
    }))
}

/// The default bodies a list of `ty` under `container` includes besides
/// what is stored.
pub(crate) fn listed_defaults(inner: &Inner, container: &ResourceId, ty: &str) -> Vec<Value> {
    let names: &[&str] = match crate::types::facts(ty).default_body {
        Some(DefaultBody::BackupPolicy) => &["DefaultPolicy", "EnhancedPolicy", "HourlyLogBackup"],
        Some(DefaultBody::SecurityPricing) => PRICINGS,
        Some(DefaultBody::AutoProvisioning) => &["default"],
        Some(DefaultBody::SqlMasterDatabase) => &["master"],
        _ => &[],
    };
    let segment = ty.rsplit('/').next().unwrap_or_default();
    names
        .iter()
        .filter_map(|n| {
            let id = if container.kind() == IdKind::Subscription {
                ResourceId::parse(&format!("{}/providers/{ty}/{n}", container.as_str())).ok()?
            } else {
                container.child(segment, n)
            };
            if inner.resources.contains_key(&key(id.as_str())) {
                return None;
            }
            default_body(inner, &id)
        })
        .collect()
}

/// The Defender for Cloud plans a subscription has (REST
/// `Pricings_List`; every one Free until enabled).
const PRICINGS: &[&str] = &[
    "VirtualMachines",
    "SqlServers",
    "AppServices",
    "StorageAccounts",
    "SqlServerVirtualMachines",
    "KeyVaults",
    "Arm",
    "OpenSourceRelationalDatabases",
    "CosmosDbs",
    "Containers",
    "CloudPosture",
    "Api",
    "AI",
];

/// A vault's built-in policies (BackupPolicies_List.json: `DefaultPolicy`
/// daily at 30 days, `EnhancedPolicy` every 4 hours, `HourlyLogBackup` for
/// SQL in VMs).
fn backup_policy(name: &str) -> Value {
    let daily = json!({
        "schedulePolicyType": "SimpleSchedulePolicy",
        "scheduleRunFrequency": "Daily",
        "scheduleRunTimes": ["2024-01-01T02:00:00Z"],
        "scheduleWeeklyFrequency": 0
    });
    let retention = |days: u32| {
        json!({
            "retentionPolicyType": "LongTermRetentionPolicy",
            "dailySchedule": {
                "retentionTimes": ["2024-01-01T02:00:00Z"],
                "retentionDuration": {"count": days, "durationType": "Days"}
            }
        })
    };
    match name.to_ascii_lowercase().as_str() {
        "enhancedpolicy" => json!({
            "backupManagementType": "AzureIaasVM",
            "policyType": "V2",
            "instantRpRetentionRangeInDays": 7,
            "schedulePolicy": {
                "schedulePolicyType": "SimpleSchedulePolicyV2",
                "scheduleRunFrequency": "Hourly",
                "hourlySchedule": {"interval": 4, "scheduleWindowStartTime": "2024-01-01T08:00:00Z", "scheduleWindowDuration": 12}
            },
            "retentionPolicy": retention(30),
            "timeZone": "UTC",
            "protectedItemsCount": 0
        }),
        "hourlylogbackup" => json!({
            "backupManagementType": "AzureWorkload",
            "workLoadType": "SQLDataBase",
            "settings": {"timeZone": "UTC", "issqlcompression": false, "isCompression": false},
            "subProtectionPolicy": [
                {"policyType": "Full", "schedulePolicy": daily, "retentionPolicy": retention(30)},
                {"policyType": "Log", "schedulePolicy": {"schedulePolicyType": "LogSchedulePolicy", "scheduleFrequencyInMins": 60},
                 "retentionPolicy": {"retentionPolicyType": "SimpleRetentionPolicy", "retentionDuration": {"count": 30, "durationType": "Days"}}}
            ],
            "protectedItemsCount": 0
        }),
        _ => json!({
            "backupManagementType": "AzureIaasVM",
            "instantRpRetentionRangeInDays": 2,
            "schedulePolicy": daily,
            "retentionPolicy": retention(30),
            "timeZone": "UTC",
            "protectedItemsCount": 0
        }),
    }
}

/// Whether a stored record is of `ty`.
fn is(s: &Stored, ty: &str) -> bool {
    s.body["type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case(ty))
}

/// `GET {vault}/backupProtectedItems` and `{vault}/backupProtectionContainers`
/// (REST `BackupProtectedItems_List`, `BackupProtectionContainers_List`):
/// every item of the vault, every registered or implied container.
pub(crate) fn vault_list(em: &crate::Emulator, path: &str) -> Option<Response> {
    let lower = path.to_ascii_lowercase();
    let (vault, what) = if let Some(v) = lower.strip_suffix("/backupprotecteditems") {
        (&path[..v.len()], "items")
    } else if let Some(v) = lower.strip_suffix("/backupprotectioncontainers") {
        (&path[..v.len()], "containers")
    } else {
        return None;
    };
    let vid = ResourceId::parse(vault).ok()?;
    if !vid
        .type_or_scope_type()
        .as_str()
        .eq_ignore_ascii_case("Microsoft.RecoveryServices/vaults")
    {
        return None;
    }
    let now = em.clock.now();
    let inner = em.state();
    if !inner.resources.contains_key(&key(vault)) {
        return Some(super::resources::not_found(&inner, &vid));
    }
    let prefix = format!("{}/", key(vault));
    let below = || {
        inner
            .resources
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
    };
    let value: Vec<Value> = match what {
        "items" => below()
            .filter(|(_, s)| is(s, crate::types::PROTECTED_ITEMS))
            .map(|(k, s)| inner.view(k, &s.body, now))
            .collect(),
        _ => {
            let mut out: Vec<Value> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (k, s) in below() {
                let c = if is(s, crate::types::CONTAINERS) {
                    Some((s.id.clone(), Some(inner.view(k, &s.body, now))))
                } else if is(s, crate::types::PROTECTED_ITEMS) {
                    ResourceId::parse(&s.id)
                        .ok()
                        .and_then(|i| i.parent())
                        .map(|c| (c.to_string(), None))
                } else {
                    None
                };
                let Some((cid, body)) = c else { continue };
                if !seen.insert(cid.to_ascii_lowercase()) {
                    continue;
                }
                out.push(body.unwrap_or_else(|| {
                    let name = cid.rsplit('/').next().unwrap_or_default().to_string();
                    json!({
                        "id": cid, "name": name, "type": crate::types::CONTAINERS,
                        "properties": {"registrationStatus": "Registered", "healthStatus": "Healthy",
                                       "backupManagementType": "AzureIaasVM", "containerType": "Microsoft.Compute/virtualMachines"}
                    })
                }));
            }
            out
        }
    };
    Some((StatusCode::OK, axum::Json(json!({"value": value}))).into_response())
}

/// `POST {vault}/backupFabrics/{fabric}/refreshContainers` and `POST
/// {container}/inquire`: 202 with a `Location` to poll
/// (`Common/RefreshContainers.json`); nothing else changes in the
/// emulator (what they discover is what exists).
pub(crate) fn vault_action(em: &crate::Emulator, path: &str) -> Option<Response> {
    let lower = path.to_ascii_lowercase();
    let target = lower
        .strip_suffix("/refreshcontainers")
        .or_else(|| lower.strip_suffix("/inquire"))?;
    let id = ResourceId::parse(&path[..target.len()]).ok()?;
    if !id
        .as_str()
        .to_ascii_lowercase()
        .contains("/providers/microsoft.recoveryservices/vaults/")
    {
        return None;
    }
    let now = em.clock.now();
    let mut inner = em.state();
    let vault = id
        .as_str()
        .to_ascii_lowercase()
        .find("/backupfabrics/")
        .map(|i| id.as_str()[..i].to_string())?;
    if !inner.resources.contains_key(&key(&vault)) {
        let v = ResourceId::parse(&vault).ok()?;
        return Some(super::resources::not_found(&inner, &v));
    }
    let took = em.latency.update(crate::types::CONTAINERS);
    let op = inner.start_operation(
        now,
        None,
        None,
        took,
        crate::state::Outcome::Succeeded,
        None,
        false,
    );
    let mut r = super::operations::operation_response(StatusCode::ACCEPTED, Value::Null, &op, took);
    r.headers_mut().remove("azure-asyncoperation");
    Some(r)
}
