//! The actions of the run: what each automated scenario step's executor
//! does besides deploying templates, with the units it waits for and the
//! units that wait for it. Only ids, names and settings from the estate go
//! into their parameters.

use std::collections::{BTreeMap, HashMap};

use azrelo_arm::IdIndex;
use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::{Value, json};

use super::Ctx;
use super::relations::{Track, is_default_workspace, principals};
use crate::model::*;

/// The run's own namespace for action keys.
const NAMESPACE: &str = "Azrelo.Run";

/// A deterministic, unique unit key for an action:
/// `/subscriptions/{sub}/providers/Azrelo.Run/{kind}/{label}-{hash}`.
pub(crate) fn action_key(sub: &str, kind: &str, label: &str, identity: &[&str]) -> ResourceId {
    let clean: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(60)
        .collect();
    let hash = azrelo_template::hash::guid(identity);
    let text = format!(
        "/subscriptions/{sub}/providers/{NAMESPACE}/{kind}/{clean}-{}",
        &hash[..8]
    );
    // The parts are an id's subscription, a fixed type and a cleaned label:
    // always a valid id.
    ResourceId::parse(&text).unwrap_or_else(|_| {
        ResourceId::parse(&format!("/providers/{NAMESPACE}/{kind}/{}", &hash[..8]))
            .unwrap_or_else(|_| ResourceId::parse("/").expect("the root scope parses"))
    })
}

/// Where a planned resource lands: its target id and wave, when the plan
/// creates it or keeps it in place.
fn landing<'a>(ctx: &'a Ctx<'_>, id: &ResourceId) -> Option<&'a PlannedResource> {
    ctx.by_source.get(id).copied()
}

fn creates(p: &PlannedResource) -> bool {
    p.action.creates_target()
}

fn lower_name(id: &ResourceId) -> String {
    id.name().unwrap_or_default().to_ascii_lowercase()
}

/// The container and item names Azure Backup gives a resource protected in
/// a vault (REST API examples `AzureIaasVm/ConfigureProtection.json`:
/// `IaasVMContainer;iaasvmcontainerv2;{rg};{vm}` / `VM;iaasvmcontainerv2;…`;
/// `AzureStorage/ProtectionContainers_Register.json`:
/// `StorageContainer;Storage;{rg};{account}`; workload containers
/// `VMAppContainer;Compute;{rg};{vm}`).
pub(crate) fn target_names(
    track: Track,
    target: &ResourceId,
    source_item_name: &str,
    share: Option<&str>,
) -> Option<(String, String)> {
    let rg = target.resource_group()?.to_ascii_lowercase();
    let name = lower_name(target);
    match track {
        Track::Vm => Some((
            format!("IaasVMContainer;iaasvmcontainerv2;{rg};{name}"),
            format!("VM;iaasvmcontainerv2;{rg};{name}"),
        )),
        Track::FileShare => Some((
            format!("StorageContainer;Storage;{rg};{name}"),
            format!(
                "AzureFileShare;{}",
                share.unwrap_or_else(|| source_item_name
                    .split_once(';')
                    .map_or(source_item_name, |(_, n)| n))
            ),
        )),
        // The database's name (`SQLDataBase;MSSQLSERVER;sales`) does not
        // change with the VM.
        Track::Workload => Some((
            format!("VMAppContainer;Compute;{rg};{name}"),
            source_item_name.to_string(),
        )),
        Track::Mars => None,
    }
}

pub(crate) fn backup(ctx: &Ctx<'_>, out: &mut Vec<ActionPlan>) {
    const SC: &str = "azure-backup";
    // Items by source vault (deterministic order).
    let mut by_vault: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, it) in ctx.rel.items.iter().enumerate() {
        if it.track == Track::Mars {
            continue;
        }
        let Some(item) = landing(ctx, &it.res.id) else {
            continue;
        };
        if item.action == Action::Keep {
            continue;
        }
        let moves = it
            .protected
            .as_ref()
            .and_then(|p| landing(ctx, p))
            .is_some_and(creates);
        let vault_lands = landing(ctx, &it.vault).is_some();
        if moves && vault_lands {
            by_vault
                .entry(it.vault.as_str().to_ascii_lowercase())
                .or_default()
                .push(i);
        }
    }
    for items in by_vault.values() {
        let first = &ctx.rel.items[items[0]];
        let vault = &first.vault;
        let Some(vp) = landing(ctx, vault) else {
            continue;
        };
        let vault_target = vp.target_id.clone();
        let sub = vault.subscription_id().unwrap_or_default();
        let vname = vault.name().unwrap_or_default();
        let mut waves = Vec::new();
        let capture = action_key(sub, "backupBaselineCapture", vname, &[vault.as_str()]);
        let mut stops = Vec::new();
        let mut reprotects = Vec::new();
        let mut expected = Vec::new();
        for &i in items {
            let it = &ctx.rel.items[i];
            let Some(protected) = it.protected.as_ref() else {
                continue;
            };
            let Some(pp) = landing(ctx, protected) else {
                continue;
            };
            waves.push(pp.wave);
            let item_name = it.res.id.name().unwrap_or_default();
            let share = it.prop("friendlyName");
            let Some((container, target_item)) =
                target_names(it.track, &pp.target_id, item_name, share)
            else {
                continue;
            };
            let item_target = format!(
                "{vault_target}/backupFabrics/Azure/protectionContainers/{container}/protectedItems/{target_item}"
            );
            let container_target =
                format!("{vault_target}/backupFabrics/Azure/protectionContainers/{container}");
            let policy_source = it.prop("policyId").unwrap_or_default().to_string();
            let policy_target = ctx
                .id_map
                .map(&policy_source)
                .map(|m| m.target)
                .unwrap_or_else(|| policy_source.clone());
            let policy_unit = ResourceId::parse(&policy_target)
                .ok()
                .filter(|p| ctx.by_target.contains(p.as_str()));
            let mut replaces = vec![it.res.id.clone()];
            if let Some(c) = it.res.id.parent() {
                replaces.push(c);
            }
            // Stop protection before the resource moves (VMs and databases
            // in VMs; a file share keeps its source protection until the
            // clean-up, where the guidance stops it).
            if matches!(it.track, Track::Vm | Track::Workload) {
                let step = if it.track == Track::Vm {
                    "vm-stop-protection"
                } else {
                    "sqlhana-stop-protection"
                };
                let key = action_key(
                    sub,
                    "backupStopProtection",
                    item_name,
                    &[it.res.id.as_str()],
                );
                out.push(ActionPlan {
                    key: key.clone(),
                    executor: "backup-stop-protection".into(),
                    title: format!(
                        "stop protection of {} in vault {vname} ({})",
                        it.prop("friendlyName").unwrap_or(item_name),
                        if ctx.opts.delete_backup_data {
                            "backup data deleted"
                        } else {
                            "recovery points retained"
                        }
                    ),
                    step: Some(format!("{SC}/{step}")),
                    after: vec![capture.clone()],
                    before: vec![pp.target_id.clone()],
                    replaces: Vec::new(),
                    params: json!({
                        "item": it.res.id,
                        "track": it.track.as_str(),
                        "protectedItemType": it.prop("protectedItemType"),
                        "sourceResourceId": protected,
                        "policyId": policy_source,
                        "deleteBackupData": ctx.opts.delete_backup_data,
                    }),
                    wave: pp.wave,
                });
                stops.push(key);
            }
            let step = match it.track {
                Track::Vm => "vm-reprotect",
                Track::FileShare => "files-reprotect",
                _ => "sqlhana-reconfigure-backup",
            };
            let mut after = vec![pp.target_id.clone(), vault_target.clone()];
            after.extend(policy_unit);
            let key = action_key(sub, "backupReprotect", item_name, &[it.res.id.as_str()]);
            let wave = pp.wave.max(vp.wave);
            waves.push(wave);
            out.push(ActionPlan {
                key: key.clone(),
                executor: "backup-reprotect".into(),
                title: format!(
                    "protect {} in vault {} with policy {}",
                    pp.target_name,
                    vp.target_name,
                    policy_target.rsplit('/').next().unwrap_or_default()
                ),
                step: Some(format!("{SC}/{step}")),
                after,
                before: Vec::new(),
                replaces,
                params: json!({
                    "sourceItem": it.res.id,
                    "track": it.track.as_str(),
                    "targetVault": vault_target,
                    "targetResource": pp.target_id,
                    "container": container_target,
                    "item": item_target,
                    "policyId": policy_target,
                    "protectedItemType": it.prop("protectedItemType"),
                    "workloadType": it.prop("workloadType"),
                    "friendlyName": it.prop("friendlyName"),
                    "extendedProperties": it.res.properties.get("extendedProperties"),
                }),
                wave,
            });
            expected.push(json!({
                "source": it.res.id,
                "target": item_target,
                "policyId": policy_target,
                "track": it.track.as_str(),
            }));
            reprotects.push(key);
        }
        if reprotects.is_empty() {
            continue;
        }
        let first_wave = waves.iter().copied().min().unwrap_or(1);
        let last_wave = waves.iter().copied().max().unwrap_or(1);
        out.push(ActionPlan {
            key: capture.clone(),
            executor: "backup-baseline-capture".into(),
            title: format!(
                "capture the backup configuration of vault {vname} ({} item(s))",
                expected.len()
            ),
            step: Some(format!("{SC}/capture-backup-configuration")),
            after: Vec::new(),
            before: Vec::new(),
            replaces: Vec::new(),
            params: json!({"vault": vault}),
            wave: first_wave,
        });
        out.push(ActionPlan {
            key: action_key(sub, "backupBaselineCompare", vname, &[vault.as_str()]),
            executor: "backup-baseline-compare".into(),
            title: format!(
                "compare vault {} with the baseline of {vname}",
                vp.target_name
            ),
            step: Some(format!("{SC}/validate-backup-configuration")),
            after: reprotects,
            before: Vec::new(),
            replaces: Vec::new(),
            params: json!({
                "baseline": capture,
                "sourceVault": vault,
                "targetVault": vault_target,
                "items": expected,
            }),
            wave: last_wave,
        });
        let _ = stops;
    }
}

/// Security types whose presence in a subscription means Defender for Cloud
/// is configured there.
const DEFENDER_SETTINGS: [&str; 5] = [
    "Microsoft.Security/pricings",
    "Microsoft.Security/settings",
    "Microsoft.Security/autoProvisioningSettings",
    "Microsoft.Security/workspaceSettings",
    "Microsoft.Security/securityContacts",
];

/// The tier of a Defender plan in a subscription, from the estate.
fn pricing_standard(ctx: &Ctx<'_>, sub: &str, plan: &str) -> bool {
    let id = format!("/subscriptions/{sub}/providers/Microsoft.Security/pricings/{plan}");
    ResourceId::parse(&id)
        .ok()
        .and_then(|id| ctx.rel.by_id.get(&id).copied())
        .and_then(|r| r.properties.get("pricingTier").and_then(Value::as_str))
        .is_some_and(|t| t.eq_ignore_ascii_case("Standard"))
}

pub(crate) fn defender(ctx: &Ctx<'_>, out: &mut Vec<ActionPlan>) {
    const SC: &str = "defender-for-cloud";
    // Source subscription → target subscription of what moves.
    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    for r in ctx.resources.iter().filter(|r| creates(r)) {
        if let (Some(s), Some(t)) = (r.source_id.subscription_id(), r.target_id.subscription_id())
            && !s.eq_ignore_ascii_case(t)
        {
            pairs.insert(s.to_ascii_lowercase(), t.to_ascii_lowercase());
        }
    }
    let configured: std::collections::HashSet<String> = ctx
        .estate
        .resources
        .iter()
        .filter(|r| {
            DEFENDER_SETTINGS
                .iter()
                .any(|t| r.resource_type.eq_ignore_ascii_case(t))
        })
        .filter_map(|r| r.id.subscription_id().map(str::to_ascii_lowercase))
        .collect();
    for (source, target) in &pairs {
        if !configured.contains(source) {
            continue;
        }
        // Before anything is deployed in the target subscription: its
        // resource groups wait for it.
        let before: Vec<ResourceId> = ctx
            .resources
            .iter()
            .filter(|r| {
                creates(r)
                    && crate::build::is_rg_type(&r.resource_type)
                    && r.target_id
                        .subscription_id()
                        .is_some_and(|s| s.eq_ignore_ascii_case(target))
            })
            .map(|r| r.target_id.clone())
            .collect();
        out.push(ActionPlan {
            key: action_key(target, "defenderSubscription", source, &[source, target]),
            executor: "defender-subscription".into(),
            title: format!(
                "enable on subscription {target} the Defender for Cloud plans and settings of {source}"
            ),
            step: Some(format!("{SC}/enable-defender-new-subscription")),
            after: Vec::new(),
            before,
            replaces: Vec::new(),
            params: json!({"sourceSubscription": source, "targetSubscription": target}),
            wave: 1,
        });
    }
    // Security solutions on the custom workspaces relocated servers report
    // to: (target workspace, its plan, the solutions, the latest VM wave).
    type Solutions<'p> = (ResourceId, Option<&'p PlannedResource>, Vec<String>, u32);
    let mut by_ws: BTreeMap<String, Solutions<'_>> = BTreeMap::new();
    let sql_vms: IdIndex<()> = ctx
        .estate
        .resources
        .iter()
        .filter(|r| {
            r.resource_type
                .eq_ignore_ascii_case("Microsoft.SqlVirtualMachine/sqlVirtualMachines")
        })
        .filter_map(|r| {
            let vm = r
                .properties
                .get("virtualMachineResourceId")
                .and_then(Value::as_str)?;
            Some((ResourceId::parse(vm).ok()?, ()))
        })
        .collect();
    for vm in ctx.resources.iter().filter(|r| {
        creates(r)
            && r.resource_type
                .eq_ignore_ascii_case("Microsoft.Compute/virtualMachines")
    }) {
        let Some(workspaces) = ctx.rel.reporting.get(&vm.source_id) else {
            continue;
        };
        let sub = vm.source_id.subscription_id().unwrap_or_default();
        for ws in workspaces {
            if is_default_workspace(ws.name().unwrap_or_default()) {
                continue;
            }
            let planned = landing(ctx, ws).filter(|p| p.action != Action::Keep);
            let target = planned
                .filter(|p| creates(p))
                .map_or_else(|| ws.clone(), |p| p.target_id.clone());
            let e = by_ws
                .entry(target.as_str().to_ascii_lowercase())
                .or_insert_with(|| (target.clone(), planned, Vec::new(), vm.wave));
            e.3 = e.3.max(vm.wave);
            let main = if pricing_standard(ctx, sub, "VirtualMachines") {
                "Security"
            } else {
                "SecurityCenterFree"
            };
            let mut wanted = vec![main];
            if sql_vms.contains(vm.source_id.as_str())
                && pricing_standard(ctx, sub, "SqlServerVirtualMachines")
            {
                wanted.extend(["SQLAdvancedThreatProtection", "SQLVulnerabilityAssessment"]);
            }
            for w in wanted {
                if !e.2.iter().any(|x| x == w) {
                    e.2.push(w.to_string());
                }
            }
        }
    }
    for (target, planned, mut solutions, wave) in by_ws.into_values() {
        // Security supersedes SecurityCenterFree on one workspace.
        if solutions.iter().any(|s| s == "Security") {
            solutions.retain(|s| s != "SecurityCenterFree");
        }
        let location = match planned.filter(|p| creates(p)) {
            Some(_) => ctx.target_region.to_string(),
            None => ctx
                .rel
                .by_id
                .get(&target)
                .and_then(|r| r.location.clone())
                .unwrap_or_else(|| ctx.target_region.to_string()),
        };
        let sub = target.subscription_id().unwrap_or_default().to_string();
        let name = target.name().unwrap_or_default().to_string();
        let mut after = Vec::new();
        if let Some(p) = planned.filter(|p| creates(p)) {
            after.push(p.target_id.clone());
        }
        out.push(ActionPlan {
            key: action_key(
                &sub,
                "defenderWorkspaceSolutions",
                &name,
                &[target.as_str()],
            ),
            executor: "defender-workspace-solutions".into(),
            title: format!("install {} on workspace {name}", solutions.join(", ")),
            step: Some(format!("{SC}/servers-install-security-solution")),
            after,
            before: Vec::new(),
            replaces: Vec::new(),
            params: json!({"workspace": target, "location": location, "solutions": solutions}),
            wave,
        });
    }
}

pub(crate) fn identities(ctx: &Ctx<'_>, out: &mut Vec<ActionPlan>) {
    const SC: &str = "managed-identities";
    // Role assignments no generated template can hold (management-group or
    // tenant scope): created directly.
    for ra in ctx.role_assignments {
        let Ok(scope) = ResourceId::parse(&ra.target_scope) else {
            continue;
        };
        if !matches!(scope.kind(), IdKind::ManagementGroup | IdKind::Tenant) {
            continue;
        }
        let id = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            ra.target_scope.trim_end_matches('/'),
            ra.target_name
        );
        let Ok(key) = ResourceId::parse(&id) else {
            continue;
        };
        let after = match &ra.target_principal {
            TargetPrincipal::NewPrincipalOf { identity } => {
                ResourceId::parse(identity).ok().into_iter().collect()
            }
            TargetPrincipal::Same { .. } => Vec::new(),
        };
        out.push(ActionPlan {
            key,
            executor: "role-assignments".into(),
            title: format!(
                "assign role {} at {}",
                ra.role_definition_id.rsplit('/').next().unwrap_or_default(),
                ra.target_scope
            ),
            step: Some(format!("{SC}/grant-same-permissions")),
            after,
            before: Vec::new(),
            replaces: Vec::new(),
            params: json!({
                "scope": ra.target_scope,
                "roleDefinitionId": ra.role_definition_id,
                "principal": ra.target_principal,
                "principalType": ra.principal_type,
                "source": ra.source_id,
            }),
            wave: ra.wave,
        });
    }
    // Grants outside RBAC that name a principal that gets recreated.
    let recreated: HashMap<String, (bool, &PlannedResource)> = principals(ctx.estate)
        .into_iter()
        .filter_map(|(pid, (uami, id))| {
            let p = landing(ctx, &id).filter(|p| creates(p))?;
            Some((pid, (uami, p)))
        })
        .collect();
    if recreated.is_empty() {
        return;
    }
    let kind = |uami: bool| {
        if uami {
            "userAssigned"
        } else {
            "systemAssigned"
        }
    };
    for r in &ctx.estate.resources {
        let ty = r.resource_type.to_ascii_lowercase();
        if ty == "microsoft.keyvault/vaults" {
            let vault = landing(ctx, &r.id).filter(|p| p.action != Action::Keep);
            let target = vault
                .filter(|p| creates(p))
                .map_or_else(|| r.id.clone(), |p| p.target_id.clone());
            for ap in r
                .properties
                .get("accessPolicies")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(oid) = ap.get("objectId").and_then(Value::as_str) else {
                    continue;
                };
                let Some((uami, ident)) = recreated.get(&oid.to_ascii_lowercase()) else {
                    continue;
                };
                let mut after = vec![ident.target_id.clone()];
                if let Some(v) = vault.filter(|p| creates(p)) {
                    after.push(v.target_id.clone());
                }
                let sub = target.subscription_id().unwrap_or_default().to_string();
                out.push(ActionPlan {
                    key: action_key(
                        &sub,
                        "identityGrants",
                        &format!(
                            "kv-{}-{}",
                            r.id.name().unwrap_or_default(),
                            ident.target_name
                        ),
                        &[r.id.as_str(), oid],
                    ),
                    executor: "identity-grants".into(),
                    title: format!(
                        "give {} the access policy {} had on key vault {}",
                        ident.target_name,
                        ident.name,
                        target.name().unwrap_or_default()
                    ),
                    step: Some(format!("{SC}/recreate-service-grants")),
                    after,
                    before: Vec::new(),
                    replaces: Vec::new(),
                    params: json!({
                        "kind": "keyVaultAccessPolicy",
                        "vault": target,
                        "identity": ident.target_id,
                        "identityKind": kind(*uami),
                        "tenantId": ap.get("tenantId"),
                        "permissions": ap.get("permissions"),
                        "sourcePrincipalId": oid,
                    }),
                    wave: ident.wave.max(vault.map_or(0, |v| v.wave)),
                });
            }
        }
        if ty == "microsoft.documentdb/databaseaccounts/sqlroleassignments"
            && let Some(pid) = r.properties.get("principalId").and_then(Value::as_str)
            && let Some((uami, ident)) = recreated.get(&pid.to_ascii_lowercase())
            && let Some(account) = r.id.parent()
        {
            let acct = landing(ctx, &account).filter(|p| p.action != Action::Keep);
            let target_account = acct
                .filter(|p| creates(p))
                .map_or_else(|| account.clone(), |p| p.target_id.clone());
            let rewrite = |k: &str| {
                let v = r
                    .properties
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                ctx.id_map
                    .rewrite(v)
                    .map_or_else(|| v.to_string(), |(t, _)| t)
            };
            let role = rewrite("roleDefinitionId");
            let scope = rewrite("scope");
            let name = azrelo_template::hash::guid(&[
                target_account.as_str(),
                &role,
                &scope,
                ident.target_id.as_str(),
            ]);
            let mut after = vec![ident.target_id.clone()];
            if let Some(a) = acct.filter(|p| creates(p)) {
                after.push(a.target_id.clone());
            }
            let sub = target_account
                .subscription_id()
                .unwrap_or_default()
                .to_string();
            out.push(ActionPlan {
                key: action_key(
                    &sub,
                    "identityGrants",
                    &format!(
                        "cosmos-{}-{}",
                        account.name().unwrap_or_default(),
                        ident.target_name
                    ),
                    &[r.id.as_str()],
                ),
                executor: "identity-grants".into(),
                title: format!(
                    "give {} the Cosmos DB SQL role {} had on {}",
                    ident.target_name,
                    ident.name,
                    target_account.name().unwrap_or_default()
                ),
                step: Some(format!("{SC}/recreate-service-grants")),
                after,
                before: Vec::new(),
                replaces: Vec::new(),
                params: json!({
                    "kind": "cosmosSqlRoleAssignment",
                    "account": target_account,
                    "name": name,
                    "roleDefinitionId": role,
                    "scope": scope,
                    "identity": ident.target_id,
                    "identityKind": kind(*uami),
                    "source": r.id,
                }),
                wave: ident.wave.max(acct.map_or(0, |a| a.wave)),
            });
        }
    }
}
