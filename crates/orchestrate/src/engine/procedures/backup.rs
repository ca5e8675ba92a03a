//! Azure Backup (seed 001, catalog scenario `azure-backup`): the source
//! vault's baseline, stopping protection before a resource moves,
//! re-protecting it in the target vault, and comparing the target vault
//! with the baseline. REST shapes from the Recovery Services backup
//! specification's examples (specification/recoveryservicesbackup/
//! resource-manager/Microsoft.RecoveryServices/stable/2023-04-01/examples):
//! `AzureIaasVm/StopProtection.json` (PUT with `protectionState:
//! ProtectionStopped`, retained data), `Common/ProtectedItem_Delete.json`
//! (DELETE: stop and delete the data), `Common/RefreshContainers.json`
//! (POST `backupFabrics/Azure/refreshContainers`),
//! `AzureStorage/ProtectionContainers_Register.json` (PUT a
//! `StorageContainer` container), `AzureIaasVm/BackupProtectableItems_List.json`,
//! and ConfigureProtection (PUT `protectionContainers/{c}/protectedItems/{i}`
//! with `policyId` and `sourceResourceId`), all long-running (202).

use serde_json::{Map, Value, json};

use azrelo_journal::StepOutcome;

use super::{api, param, same};
use crate::engine::*;
use crate::model::Procedure;
use crate::verify::{Difference, compare};

const POLICIES: &str = "Microsoft.RecoveryServices/vaults/backupPolicies";

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

fn last(id: &str) -> &str {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
}

fn diff(
    path: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> Difference {
    Difference {
        path: path.into(),
        expected: expected.into(),
        actual: actual.into(),
    }
}

impl<A: Arm> Engine<A> {
    /// Everything of a vault the baseline holds.
    async fn read_vault(&self, vault: &str) -> Result<Value, StepError> {
        let body = self.arm.get(vault, api::BACKUP).await?.ok_or_else(|| {
            StepError::Arm(ArmError::new(
                Some(404),
                "ResourceNotFound",
                format!("the vault {vault} does not exist"),
            ))
        })?;
        let p = body.get("properties").cloned().unwrap_or(Value::Null);
        let pick = |k: &str| p.get(k).cloned().unwrap_or(Value::Null);
        let storage = self
            .arm
            .get(
                &format!("{vault}/backupstorageconfig/vaultstorageconfig"),
                api::BACKUP,
            )
            .await?
            .and_then(|b| b.get("properties").cloned());
        let config = self
            .arm
            .get(&format!("{vault}/backupconfig/vaultconfig"), api::BACKUP)
            .await?
            .and_then(|b| b.get("properties").cloned());
        let mut policies = Map::new();
        for pol in self
            .arm
            .list(&format!("{vault}/backupPolicies"), api::BACKUP)
            .await?
        {
            let name = pol["name"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let mut props = pol.get("properties").cloned().unwrap_or(json!({}));
            if let Some(m) = props.as_object_mut() {
                m.remove("protectedItemsCount");
                m.remove("provisioningState");
            }
            policies.insert(name, props);
        }
        let mut items = Vec::new();
        for it in self
            .arm
            .list(&format!("{vault}/backupProtectedItems"), api::BACKUP)
            .await?
        {
            items.push(json!({
                "id": it["id"],
                "protectedItemType": it.pointer("/properties/protectedItemType"),
                "workloadType": it.pointer("/properties/workloadType"),
                "friendlyName": it.pointer("/properties/friendlyName"),
                "sourceResourceId": it.pointer("/properties/sourceResourceId"),
                "policyId": it.pointer("/properties/policyId"),
                "protectionState": it.pointer("/properties/protectionState"),
                "diskExclusionProperties": it.pointer("/properties/extendedProperties/diskExclusionProperties"),
            }));
        }
        let containers: Vec<Value> = self
            .arm
            .list(&format!("{vault}/backupProtectionContainers"), api::BACKUP)
            .await?
            .into_iter()
            .map(|c| c["name"].clone())
            .collect();
        let diagnostics: Vec<Value> = match self
            .arm
            .list(
                &format!("{vault}/providers/Microsoft.Insights/diagnosticSettings"),
                api::DIAGNOSTIC_SETTINGS,
            )
            .await
        {
            Ok(list) => list
                .into_iter()
                .map(|d| {
                    let cats = |k: &str| {
                        let mut v: Vec<String> = d
                            .pointer(&format!("/properties/{k}"))
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter(|l| l.get("enabled").and_then(Value::as_bool) != Some(false))
                            .filter_map(|l| {
                                l.get("category")
                                    .or_else(|| l.get("categoryGroup"))
                                    .and_then(Value::as_str)
                                    .map(str::to_string)
                            })
                            .collect();
                        v.sort();
                        v
                    };
                    json!({"name": d["name"], "logs": cats("logs"), "metrics": cats("metrics")})
                })
                .collect(),
            Err(e) if e.is_crash() => return Err(e.into()),
            // A vault whose diagnostic settings cannot be read: recorded as
            // unknown, not as none.
            Err(_) => vec![json!({"unknown": true})],
        };
        Ok(json!({
            "vault": vault,
            "sku": body.get("sku"),
            "redundancySettings": pick("redundancySettings"),
            "securitySettings": pick("securitySettings"),
            "monitoringSettings": pick("monitoringSettings"),
            "publicNetworkAccess": pick("publicNetworkAccess"),
            "storageConfig": storage,
            "vaultConfig": config,
            "policies": policies,
            "items": items,
            "containers": containers,
            "diagnosticSettings": diagnostics,
        }))
    }

    pub(super) async fn backup_capture(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let vault = param(p, "vault")?;
        let baseline = self.read_vault(vault).await?;
        Ok((StepOutcome::Succeeded, json!({"baseline": baseline})))
    }

    pub(super) fn backup_capture_verify(
        &self,
        i: usize,
    ) -> Result<(StepOutcome, Value), StepError> {
        let mv = self.detail_of(i, step::MOVE);
        if mv.pointer("/baseline/vault").is_some() {
            Ok((StepOutcome::Succeeded, json!({})))
        } else {
            Err(StepError::Verify(vec![diff(
                "/baseline",
                "the captured baseline",
                "none in the journal",
            )]))
        }
    }

    pub(super) async fn backup_stop_prepare(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let item = param(p, "item")?;
        let before = self.arm.get(item, api::BACKUP).await?;
        Ok((
            StepOutcome::Succeeded,
            json!({"before": before.map(|b| json!({
                "protectionState": b.pointer("/properties/protectionState"),
                "policyId": b.pointer("/properties/policyId"),
            }))}),
        ))
    }

    pub(super) async fn backup_stop(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let item = param(p, "item")?;
        let delete = p.params["deleteBackupData"].as_bool() == Some(true);
        let Some(current) = self.arm.get(item, api::BACKUP).await? else {
            return Ok((
                StepOutcome::Skipped,
                json!({"note": "the item is not protected any more"}),
            ));
        };
        if delete {
            self.arm.delete(item, api::BACKUP).await?;
            return Ok((
                StepOutcome::Succeeded,
                json!({"stopped": item, "backupData": "deleted"}),
            ));
        }
        if s(&current, "/properties/protectionState").eq_ignore_ascii_case("ProtectionStopped") {
            return Ok((
                StepOutcome::Succeeded,
                json!({"stopped": item, "backupData": "retained", "note": "already stopped"}),
            ));
        }
        let body = json!({"properties": {
            "protectedItemType": current.pointer("/properties/protectedItemType").or(p.params.get("protectedItemType")),
            "sourceResourceId": current.pointer("/properties/sourceResourceId").or(p.params.get("sourceResourceId")),
            "protectionState": "ProtectionStopped",
        }});
        self.arm.put(item, api::BACKUP, &body).await?;
        Ok((
            StepOutcome::Succeeded,
            json!({"stopped": item, "backupData": "retained"}),
        ))
    }

    pub(super) async fn backup_stop_verify(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let item = param(p, "item")?;
        let delete = p.params["deleteBackupData"].as_bool() == Some(true);
        match self.arm.get(item, api::BACKUP).await? {
            None => Ok((StepOutcome::Succeeded, json!({}))),
            Some(_) if delete => Err(StepError::Verify(vec![diff(
                "",
                "the item deleted with its backup data",
                "still there",
            )])),
            Some(b) => {
                let state = s(&b, "/properties/protectionState");
                if state.eq_ignore_ascii_case("ProtectionStopped") {
                    Ok((StepOutcome::Succeeded, json!({})))
                } else {
                    Err(StepError::Verify(vec![diff(
                        "/properties/protectionState",
                        "ProtectionStopped",
                        state,
                    )]))
                }
            }
        }
    }

    /// Discard: the resource stays in the source, so its protection resumes
    /// with its original policy (a PUT with `policyId` on a stopped item).
    pub(super) async fn backup_stop_undo(
        &self,
        i: usize,
        p: &Procedure,
    ) -> Result<Value, StepError> {
        let item = param(p, "item")?;
        if p.params["deleteBackupData"].as_bool() == Some(true) {
            return Ok(
                json!({"note": "its backup data was deleted: protect the source again yourself"}),
            );
        }
        let before = self.detail_of(i, step::PREPARE);
        let policy = before
            .pointer("/before/policyId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .or_else(|| p.params["policyId"].as_str());
        let was_protected = before
            .pointer("/before/protectionState")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.eq_ignore_ascii_case("ProtectionStopped"));
        let (Some(policy), true) = (policy, was_protected) else {
            return Ok(json!({"note": "it was not protected before the run: nothing to resume"}));
        };
        let Some(current) = self.arm.get(item, api::BACKUP).await? else {
            return Ok(json!({"note": "the item is gone: protect the source again yourself"}));
        };
        let body = json!({"properties": {
            "protectedItemType": current.pointer("/properties/protectedItemType"),
            "sourceResourceId": current.pointer("/properties/sourceResourceId"),
            "policyId": policy,
        }});
        self.arm.put(item, api::BACKUP, &body).await?;
        Ok(json!({"note": "protection resumed in the source vault"}))
    }

    pub(super) async fn backup_reprotect(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let track = param(p, "track")?;
        let vault = param(p, "targetVault")?;
        let target = param(p, "targetResource")?;
        let container = param(p, "container")?;
        let item = param(p, "item")?;
        let policy = param(p, "policyId")?;
        let name = last(target);
        let mut props = Map::new();
        props.insert("sourceResourceId".into(), json!(target));
        props.insert("policyId".into(), json!(policy));
        match track {
            "azure-vm" => {
                // The vault discovers VMs to protect on a refresh.
                self.arm
                    .post(
                        &format!("{vault}/backupFabrics/Azure/refreshContainers"),
                        api::BACKUP,
                        None,
                    )
                    .await?;
                props.insert(
                    "protectedItemType".into(),
                    json!("Microsoft.Compute/virtualMachines"),
                );
                if let Some(d) = p
                    .params
                    .pointer("/extendedProperties/diskExclusionProperties")
                    .filter(|d| !d.is_null())
                {
                    props.insert(
                        "extendedProperties".into(),
                        json!({"diskExclusionProperties": d}),
                    );
                }
            }
            "azure-file-share" => {
                self.register_container(
                    container,
                    json!({
                        "friendlyName": name,
                        "backupManagementType": "AzureStorage",
                        "sourceResourceId": target,
                        "containerType": "StorageContainer",
                        "acquireStorageAccountLock": "Acquire",
                    }),
                )
                .await?;
                props.insert(
                    "protectedItemType".into(),
                    json!("AzureFileShareProtectedItem"),
                );
                if let Some(f) = p.params["friendlyName"].as_str() {
                    props.insert("friendlyName".into(), json!(f));
                }
            }
            "workload-in-vm" => {
                let workload = p.params["workloadType"].as_str().unwrap_or("SQLDataBase");
                self.register_container(
                    container,
                    json!({
                        "friendlyName": name,
                        "backupManagementType": "AzureWorkload",
                        "sourceResourceId": target,
                        "containerType": "VMAppContainer",
                        "workloadType": workload,
                    }),
                )
                .await?;
                // Rediscover the databases of the registered VM.
                self.arm
                    .post(&format!("{container}/inquire"), api::BACKUP, None)
                    .await?;
                props.insert(
                    "protectedItemType".into(),
                    p.params
                        .get("protectedItemType")
                        .cloned()
                        .unwrap_or(json!("AzureVmWorkloadSQLDatabase")),
                );
            }
            other => {
                return Err(StepError::Input(format!(
                    "backup track '{other}' is not re-protected by azrelo"
                )));
            }
        }
        self.arm
            .put(item, api::BACKUP, &json!({"properties": props}))
            .await?;
        Ok((
            StepOutcome::Succeeded,
            json!({"item": item, "container": container, "policyId": policy}),
        ))
    }

    /// Register a container (idempotent: skipped when it is registered).
    async fn register_container(&self, container: &str, props: Value) -> Result<(), StepError> {
        if let Some(c) = self.arm.get(container, api::BACKUP).await?
            && s(&c, "/properties/registrationStatus").eq_ignore_ascii_case("Registered")
        {
            return Ok(());
        }
        self.arm
            .put(container, api::BACKUP, &json!({"properties": props}))
            .await?;
        Ok(())
    }

    pub(super) async fn backup_reprotect_verify(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let item = param(p, "item")?;
        let policy = param(p, "policyId")?;
        let target = param(p, "targetResource")?;
        let Some(b) = self.arm.get(item, api::BACKUP).await? else {
            return Err(StepError::Verify(vec![diff(
                "",
                "the protected item",
                "absent (404)",
            )]));
        };
        let mut d = Vec::new();
        if !same(s(&b, "/properties/policyId"), policy) {
            d.push(diff(
                "/properties/policyId",
                policy,
                s(&b, "/properties/policyId"),
            ));
        }
        if !same(s(&b, "/properties/sourceResourceId"), target) {
            d.push(diff(
                "/properties/sourceResourceId",
                target,
                s(&b, "/properties/sourceResourceId"),
            ));
        }
        let state = s(&b, "/properties/protectionState");
        if state.eq_ignore_ascii_case("ProtectionStopped") {
            d.push(diff("/properties/protectionState", "protected", state));
        }
        if d.is_empty() {
            Ok((StepOutcome::Succeeded, json!({"protectionState": state})))
        } else {
            Err(StepError::Verify(d))
        }
    }

    /// Discard: the target resource goes, so does its new backup item (and
    /// the registration of a storage account or workload container).
    pub(super) async fn backup_reprotect_undo(&self, p: &Procedure) -> Result<Value, StepError> {
        let item = param(p, "item")?;
        let deleted = self.arm.delete(item, api::BACKUP).await?;
        if p.params["track"].as_str() != Some("azure-vm") {
            let container = param(p, "container")?;
            self.arm.delete(container, api::BACKUP).await?;
        }
        Ok(json!({"deleted": deleted, "note": "target protection removed"}))
    }

    /// Verify of the comparison unit: the target vault against the
    /// baseline captured before the move.
    pub(super) async fn backup_compare(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let baseline_key = param(p, "baseline")?;
        let target_vault = param(p, "targetVault")?;
        let baseline = self.detail_of_key(baseline_key, step::MOVE)["baseline"].clone();
        if baseline.is_null() {
            return Err(StepError::Input(format!(
                "no baseline journaled by {baseline_key}: it must run first"
            )));
        }
        let now = self.read_vault(target_vault).await?;
        let d = compare_baseline(
            &baseline,
            &now,
            p.params["items"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        if d.is_empty() {
            Ok((
                StepOutcome::Succeeded,
                json!({"compared": p.params["items"].as_array().map_or(0, Vec::len), "differences": 0}),
            ))
        } else {
            Err(StepError::Verify(d))
        }
    }
}

/// Differences between the source vault's baseline and the target vault,
/// for the items the run re-protected (`expected`: source item, target
/// item, target policy id).
pub(crate) fn compare_baseline(base: &Value, now: &Value, expected: &[Value]) -> Vec<Difference> {
    let mut d = Vec::new();
    let find = |list: &Value, id: &str| -> Option<Value> {
        list.as_array()?
            .iter()
            .find(|x| x["id"].as_str().is_some_and(|i| same(i, id)))
            .cloned()
    };
    let mut policies_used: Vec<String> = Vec::new();
    for e in expected {
        let (src, tgt) = (s(e, "/source"), s(e, "/target"));
        let Some(before) = find(&base["items"], src) else {
            d.push(diff(
                format!("items/{src}"),
                "in the baseline",
                "not captured before the move",
            ));
            continue;
        };
        let Some(after) = find(&now["items"], tgt) else {
            d.push(diff(format!("items/{tgt}"), "protected", "absent"));
            continue;
        };
        let sp = last(s(&before, "/policyId")).to_string();
        let tp = last(s(&after, "/policyId")).to_string();
        if !sp.eq_ignore_ascii_case(&tp) {
            d.push(diff(format!("items/{tgt}/policyId"), sp.clone(), tp));
        }
        if s(&after, "/protectionState").eq_ignore_ascii_case("ProtectionStopped") {
            d.push(diff(
                format!("items/{tgt}/protectionState"),
                "protected",
                "ProtectionStopped",
            ));
        }
        let (be, ae) = (
            &before["diskExclusionProperties"],
            &after["diskExclusionProperties"],
        );
        let both_absent = be.is_null() && ae.is_null();
        if !both_absent && !compare(POLICIES, be, ae).is_empty() {
            d.push(diff(
                format!("items/{tgt}/extendedProperties/diskExclusionProperties"),
                be.to_string(),
                ae.to_string(),
            ));
        }
        if !sp.is_empty() && !policies_used.iter().any(|x| x.eq_ignore_ascii_case(&sp)) {
            policies_used.push(sp);
        }
    }
    // The policies the items use: same schedule, retention and settings.
    for name in &policies_used {
        let key = name.to_ascii_lowercase();
        match (base["policies"].get(&key), now["policies"].get(&key)) {
            (Some(b), Some(n)) => {
                for x in compare(POLICIES, b, n) {
                    d.push(diff(
                        format!("policies/{name}{}", x.path),
                        x.expected,
                        x.actual,
                    ));
                }
            }
            (Some(_), None) => d.push(diff(format!("policies/{name}"), "recreated", "absent")),
            _ => {}
        }
    }
    // Vault-level settings.
    for (k, ptrs) in [
        (
            "storageConfig",
            &[
                "/storageModelType",
                "/storageType",
                "/crossRegionRestoreFlag",
            ][..],
        ),
        (
            "vaultConfig",
            &["/softDeleteFeatureState", "/enhancedSecurityState"][..],
        ),
    ] {
        for ptr in ptrs {
            let b = base[k].pointer(ptr);
            let n = now[k].pointer(ptr);
            if let Some(b) = b.filter(|b| !b.is_null())
                && n.map(|n| n.to_string().to_ascii_lowercase())
                    != Some(b.to_string().to_ascii_lowercase())
            {
                d.push(diff(
                    format!("{k}{ptr}"),
                    b.to_string(),
                    n.map_or("absent".into(), Value::to_string),
                ));
            }
        }
    }
    for k in ["monitoringSettings", "securitySettings"] {
        if !base[k].is_null() {
            for x in compare(POLICIES, &base[k], &now[k]) {
                d.push(diff(format!("{k}{}", x.path), x.expected, x.actual));
            }
        }
    }
    // Diagnostic settings: the same names and categories.
    if let Some(list) = base["diagnosticSettings"].as_array() {
        for b in list.iter().filter(|b| b.get("unknown").is_none()) {
            let name = b["name"].as_str().unwrap_or_default();
            let hit = now["diagnosticSettings"].as_array().and_then(|l| {
                l.iter().find(|x| {
                    x["name"]
                        .as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                })
            });
            match hit {
                None => d.push(diff(
                    format!("diagnosticSettings/{name}"),
                    "recreated",
                    "absent",
                )),
                Some(n) => {
                    for k in ["logs", "metrics"] {
                        if b[k] != n[k] {
                            d.push(diff(
                                format!("diagnosticSettings/{name}/{k}"),
                                b[k].to_string(),
                                n[k].to_string(),
                            ));
                        }
                    }
                }
            }
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(policy_days: u32, state: &str, storage: &str) -> Value {
        json!({
            "policies": {"daily": {"retentionPolicy": {"dailySchedule": {"retentionDuration": {"count": policy_days}}}}},
            "items": [
                {"id": "/s/v1/i", "policyId": "/s/v1/backupPolicies/Daily", "protectionState": "Protected"},
                {"id": "/t/v2/i", "policyId": "/t/v2/backupPolicies/daily", "protectionState": state}
            ],
            "storageConfig": {"storageModelType": storage},
            "diagnosticSettings": [{"name": "to-law", "logs": ["CoreAzureBackup"], "metrics": []}],
        })
    }

    #[test]
    fn a_faithful_target_compares_clean_and_each_drift_is_named() {
        let base = vault(30, "Protected", "GeoRedundant");
        let items = [json!({"source": "/s/v1/i", "target": "/t/v2/i"})];
        assert_eq!(compare_baseline(&base, &base, &items), vec![]);
        let drift = vault(7, "ProtectionStopped", "LocallyRedundant");
        let d = compare_baseline(&base, &drift, &items);
        let paths: Vec<&str> = d.iter().map(|x| x.path.as_str()).collect();
        assert!(
            paths.contains(&"items//t/v2/i/protectionState"),
            "{paths:?}"
        );
        assert!(
            paths.iter().any(|p| p.starts_with("policies/Daily/")),
            "{paths:?}"
        );
        assert!(
            paths.contains(&"storageConfig/storageModelType"),
            "{paths:?}"
        );
        let mut gone = base.clone();
        gone["diagnosticSettings"] = json!([]);
        let d = compare_baseline(&base, &gone, &items);
        assert_eq!(d[0].path, "diagnosticSettings/to-law");
    }
}
