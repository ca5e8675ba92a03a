//! The source procedures run on the emulator (issue #15's "done when"): the
//! example estate — VMs protected by Azure Backup, Defender for Cloud plans
//! and settings on its subscription, a user-assigned identity that also
//! holds roles at a management group and in a second subscription —
//! relocated to North Europe *and* to another subscription:
//!
//! * seed 001: protection is re-established in the target vault (the
//!   `protectionContainers/…/protectedItems` PUTs) and the baseline
//!   comparison is clean;
//! * seed 000: the target subscription ends with the source's Defender
//!   configuration (plans with sub-plans and extensions, settings,
//!   auto-provisioning, workspace settings re-pointed, security contacts);
//! * seed 003: the identity's role assignments at the management group and
//!   in the second subscription are recreated for its new principal.

mod common;

use std::path::Path;

use azrelo_orchestrate::{CrashHook, State, UnitKind, status};
use common::*;
use serde_json::{Value, json};

use azrelo_testkit::procedures::*;

fn setup(tmp: &Path) -> EmulatorArm {
    let plan_dir = tmp.join("plan");
    let extra = extra_inputs(tmp);
    let mut opts = azrelo_plan::PlanOptions::new("northeurope");
    opts.target_subscription = Some(TARGET_SUB.into());
    azrelo_testkit::example::make_plan_dir_with(&plan_dir, &opts, &[extra]);
    let em = azrelo_emulator::Emulator::open(&tmp.join("emulator"))
        .unwrap()
        .with_throttling(false);
    em.seed(estate_seed(&plan_dir));
    em.seed(extra_seed());
    EmulatorArm::new(&em)
}

/// The target id of the unit whose source id ends with `suffix` (lower
/// case).
fn target_of(plan: &azrelo_orchestrate::RunPlan, suffix: &str) -> azrelo_arm::ResourceId {
    plan.units
        .iter()
        .find(|u| {
            u.source_id
                .as_ref()
                .is_some_and(|s| s.as_str().to_ascii_lowercase().ends_with(suffix))
        })
        .unwrap_or_else(|| panic!("no unit relocates a source ending {suffix}"))
        .target_id
        .clone()
}

fn get<'a>(state: &'a std::collections::BTreeMap<String, Value>, id: &str) -> Option<&'a Value> {
    state.get(&id.to_ascii_lowercase())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_subscription_relocation_runs_the_procedures() {
    let tmp = tempfile::tempdir().unwrap();
    let arm = setup(tmp.path());
    let plan_dir = tmp.path().join("plan");
    // --validate-only: every action says what it would do; nothing changes.
    {
        let before = dump(&tmp.path().join("emulator"));
        let plan = azrelo_run::PlanDir::new(&plan_dir).load_run().unwrap();
        let engine = azrelo_orchestrate::Engine::new(
            plan,
            arm.clone(),
            azrelo_orchestrate::Options {
                secrets: secrets(),
                ..azrelo_orchestrate::Options::default()
            },
            CrashHook::none(),
        )
        .unwrap();
        let rows = engine.validate().await.unwrap();
        let actions: Vec<_> = rows
            .iter()
            .filter(|r| r.unit.contains("/providers/Azrelo.Run/"))
            .collect();
        assert!(actions.len() >= 10, "{rows:?}");
        for r in &actions {
            assert_eq!(
                r.outcome,
                azrelo_orchestrate::RowOutcome::Valid,
                "{} {:?}",
                r.unit,
                r.detail
            );
            assert!(r.detail.as_deref().is_some_and(|d| !d.is_empty()));
        }
        assert_eq!(
            dump(&tmp.path().join("emulator")),
            before,
            "--validate-only changed something"
        );
    }
    drive(&plan_dir, arm.clone(), CrashHook::none())
        .await
        .unwrap();
    let plan = azrelo_run::PlanDir::new(&plan_dir).load_run().unwrap();
    let journal = azrelo_orchestrate::open_journal(&plan_dir).unwrap();
    let st = status(&plan, &journal).unwrap();
    let state = dump(&tmp.path().join("emulator"));
    let actions = |e: &str| -> Vec<&azrelo_orchestrate::StatusRow> {
        st.units
            .iter()
            .filter(|r| matches!(r.kind, UnitKind::Action(x) if x.id() == e))
            .collect()
    };
    for e in [
        "backup-baseline-capture",
        "backup-stop-protection",
        "backup-reprotect",
        "backup-baseline-compare",
        "defender-subscription",
        "defender-workspace-solutions",
        "role-assignments",
        "identity-grants",
    ] {
        let rows = actions(e);
        assert!(!rows.is_empty(), "no {e} action ran");
        for r in rows {
            assert_eq!(r.state, State::Committed, "{} {:?}", r.unit, r.error);
            assert!(r.verified, "{} not verified", r.unit);
        }
    }

    // Seed 001: each protected VM is protected again, in the target vault
    // of the target subscription, with the target policy.
    let items: Vec<(&String, &Value)> = state
        .iter()
        .filter(|(k, _)| {
            k.starts_with(&format!("/subscriptions/{TARGET_SUB}/"))
                && k.contains("/providers/microsoft.recoveryservices/vaults/")
                && k.contains("/protecteditems/vm;iaasvmcontainerv2;")
        })
        .collect();
    assert!(!items.is_empty(), "no VM protected in the target vault");
    for (k, item) in &items {
        let vm = item
            .pointer("/properties/sourceResourceId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            vm.starts_with(&format!("/subscriptions/{TARGET_SUB}/")) && get(&state, &vm).is_some(),
            "{k} protects {vm}, not a relocated VM"
        );
        let policy = item
            .pointer("/properties/policyId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            k.starts_with(policy.split("/backuppolicies/").next().unwrap_or("-")),
            "{k}: policy {policy} is not the target vault's"
        );
        assert!(get(&state, &policy).is_some(), "{policy} missing");
    }
    // SQL Server in a VM: the workload container is registered in the
    // target vault and the database protected through it.
    let sql: Vec<(&String, &Value)> = state
        .iter()
        .filter(|(k, _)| {
            k.starts_with(&format!("/subscriptions/{TARGET_SUB}/"))
                && k.contains("/protectioncontainers/vmappcontainer;compute;")
                && k.ends_with("/protecteditems/sqldatabase;mssqlserver;shopdb")
        })
        .collect();
    assert_eq!(
        sql.len(),
        1,
        "the SQL database is not protected in the target"
    );
    let container = sql[0].0.split("/protecteditems/").next().unwrap();
    assert_eq!(
        state[container]["properties"]["registrationStatus"],
        "Registered"
    );
    assert!(
        sql[0].1["properties"]["policyId"]
            .as_str()
            .is_some_and(|p| p
                .to_ascii_lowercase()
                .ends_with("/backuppolicies/sqlpolicy-daily")
                && p.to_ascii_lowercase()
                    .starts_with(&format!("/subscriptions/{TARGET_SUB}/")))
    );
    // The baseline comparison is a unit that fails on any difference: it
    // committed, so it was clean; the journal holds its verdict.
    let compare = actions("backup-baseline-compare");
    assert!(compare.iter().all(|r| r.error.is_none()));

    // Seed 000: the target subscription has the source's Defender
    // configuration.
    let settings = |sub: &str| -> std::collections::BTreeMap<String, Value> {
        let prefix = format!("/subscriptions/{sub}/providers/microsoft.security/");
        state
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(&prefix)?;
                let kind = rest.split('/').next()?;
                if ![
                    "pricings",
                    "settings",
                    "autoprovisioningsettings",
                    "workspacesettings",
                    "securitycontacts",
                ]
                .contains(&kind)
                {
                    return None;
                }
                let mut p = v["properties"].clone();
                if let Some(o) = p.as_object_mut() {
                    // Read-only or per-subscription values.
                    for ro in [
                        "freeTrialRemainingTime",
                        "enablementTime",
                        "deprecated",
                        "replacedBy",
                        "resourcesCoverageStatus",
                        "provisioningState",
                    ] {
                        o.remove(ro);
                    }
                }
                Some((rest.to_string(), p))
            })
            .collect()
    };
    let source = settings(SUB);
    let target = settings(TARGET_SUB);
    assert!(
        source.keys().any(|k| k.starts_with("pricings/")),
        "the example has Defender plans: {source:?}"
    );
    for (k, want) in &source {
        // A plan that is off needs nothing: the emulator, as Defender for
        // Cloud, answers Free for a plan never set.
        if want["pricingTier"] == "Free" {
            assert!(
                target.get(k).is_none_or(|g| g["pricingTier"] == "Free"),
                "{k}"
            );
            continue;
        }
        let got = target
            .get(k)
            .unwrap_or_else(|| panic!("{k} missing in the target subscription"));
        if k.starts_with("workspacesettings/") {
            // Re-pointed to the relocated workspace.
            let ws = got["workspaceId"].as_str().unwrap().to_ascii_lowercase();
            assert!(
                ws.starts_with(&format!("/subscriptions/{TARGET_SUB}/")),
                "{k}: {ws}"
            );
            continue;
        }
        for (field, v) in want.as_object().into_iter().flatten() {
            if field == "scope" {
                continue;
            }
            assert_eq!(&got[field], v, "{k}.{field}");
        }
    }

    // Seed 000: the storage account's Defender for Storage override is on
    // the relocated account.
    let account = target_of(&plan, "/storageaccounts/stshopweu01");
    let dfs = get(
        &state,
        &format!("{account}/providers/Microsoft.Security/defenderForStorageSettings/current"),
    )
    .expect("the override is on the target account");
    assert_eq!(dfs["properties"]["overrideSubscriptionLevelSettings"], true);
    assert_eq!(
        dfs["properties"]["malwareScanning"]["onUpload"]["capGBPerMonth"],
        5000
    );

    // Seed 003: the identity's roles at the management group and in the
    // second subscription now name its new principal.
    let identity = plan
        .units
        .iter()
        .find(|u| {
            u.target_id
                .as_str()
                .to_ascii_lowercase()
                .ends_with("/userassignedidentities/id-shop-web")
        })
        .expect("the identity is relocated");
    let new_principal = get(&state, identity.target_id.as_str())
        .and_then(|b| b.pointer("/properties/principalId"))
        .and_then(Value::as_str)
        .unwrap()
        .to_ascii_lowercase();
    assert_ne!(new_principal, PRINCIPAL);
    for (scope, role) in [
        (MG.to_string(), READER),
        (
            format!("/subscriptions/{SHARED_SUB}/resourceGroups/rg-shared-data"),
            BLOB_READER,
        ),
    ] {
        let prefix = format!("{scope}/providers/microsoft.authorization/roleassignments/")
            .to_ascii_lowercase();
        let found = state.iter().any(|(k, v)| {
            k.starts_with(&prefix)
                && v.pointer("/properties/principalId")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.eq_ignore_ascii_case(&new_principal))
                && v.pointer("/properties/roleDefinitionId")
                    .and_then(Value::as_str)
                    .is_some_and(|r| r.to_ascii_lowercase().ends_with(role))
        });
        assert!(
            found,
            "no {role} assignment for the new principal at {scope}"
        );
    }
    // Seed 003: the relocated vault's access policy names the new principal.
    let target_vault = target_of(&plan, "/vaults/kv-shop-legacy-01");
    assert!(
        target_vault
            .as_str()
            .starts_with(&format!("/subscriptions/{TARGET_SUB}/"))
    );
    let vault = get(&state, target_vault.as_str()).expect("the target vault exists");
    let policies = vault["properties"]["accessPolicies"].as_array().unwrap();
    assert!(
        policies.iter().any(|p| {
            p["objectId"]
                .as_str()
                .is_some_and(|o| o.eq_ignore_ascii_case(&new_principal))
                && p["permissions"]["secrets"] == json!(["get", "list"])
        }),
        "{policies:?}"
    );
    // Seed 003: the relocated Cosmos DB account grants the new principal the
    // relocated custom SQL role, at the account.
    let cosmos = target_of(&plan, "/databaseaccounts/cosmos-shop-weu");
    let prefix = format!("{cosmos}/sqlroleassignments/").to_ascii_lowercase();
    let grant = state
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, v)| v)
        .find(|v| {
            v["properties"]["principalId"]
                .as_str()
                .is_some_and(|p| p.eq_ignore_ascii_case(&new_principal))
        })
        .expect("a SQL role assignment for the new principal");
    assert_eq!(
        grant["properties"]["roleDefinitionId"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some(format!("{cosmos}/sqlRoleDefinitions/{COSMOS_ROLE}").to_ascii_lowercase())
    );
    assert_eq!(
        grant["properties"]["scope"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some(cosmos.as_str().to_ascii_lowercase())
    );
    // Seed 000: the Security solution is on the relocated custom workspace
    // the server reports to.
    let ws = state
        .keys()
        .find(|k| {
            k.starts_with(&format!("/subscriptions/{TARGET_SUB}/"))
                && k.ends_with("/providers/microsoft.operationalinsights/workspaces/log-shop-weu")
        })
        .expect("workspace relocated")
        .clone();
    let solution = state
        .iter()
        .find(|(k, _)| {
            k.contains("/providers/microsoft.operationsmanagement/solutions/security(log-shop-weu)")
        })
        .map(|(_, v)| v)
        .expect("Security solution installed");
    assert_eq!(
        solution["properties"]["workspaceResourceId"]
            .as_str()
            .map(str::to_ascii_lowercase),
        Some(ws)
    );
}
