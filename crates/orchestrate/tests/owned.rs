//! Issue #14 in the run, on the emulator: resources their owner creates are
//! never deployed, only located after the owner moved and verified; a
//! federated credential is recreated with the issuer read from the moved
//! cluster; cleanup leaves owned resources to their owner.
//!
//! The emulator does not run AKS: this test plays it. A GET of a cluster
//! shows its node resource group (default `MC_<group>_<cluster>_<region>`)
//! and, with the OIDC issuer enabled, its issuer URL
//! (`https://<region>.oic.prod-aks.azure.com/<tenant>/<guid>/`,
//! learn.microsoft.com/azure/aks/use-oidc-issuer), and what AKS creates in
//! the new node resource group is seeded as AKS would create it.

mod common;

use azrelo_orchestrate::{CrashHook, State, UnitKind, status};
use common::*;
use serde_json::{Value, json};

/// Plan + generate a fixture estate for North Europe, seed the emulator
/// with it in West Europe.
fn setup_fixture(tmp: &std::path::Path, name: &str) -> (azrelo_emulator::Emulator, EmulatorArm) {
    let plan_dir = tmp.join("plan");
    azrelo_testkit::example::make_plan_dir_from(
        &plan_dir,
        &azrelo_testkit::estate_fixture(name),
        "northeurope",
    );
    let em = azrelo_emulator::Emulator::open(&tmp.join("emulator"))
        .unwrap()
        .with_throttling(false);
    em.seed(estate_seed(&plan_dir));
    let arm = EmulatorArm::new(&em);
    (em, arm)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aks_owned_resources_are_located_and_the_credential_gets_the_new_issuer() {
    let tmp = tempfile::tempdir().unwrap();
    let (em, mut arm) = setup_fixture(tmp.path(), "aks-workload-identity");
    arm.on_get = Some(std::sync::Arc::new(|path: &str, v: &mut Value| {
        let Ok(id) = azrelo_arm::id::ResourceId::parse(path.split('?').next().unwrap_or(path))
        else {
            return;
        };
        if !id.resource_type().is_some_and(|t| {
            t.as_str()
                .eq_ignore_ascii_case("Microsoft.ContainerService/managedClusters")
        }) {
            return;
        }
        let loc = v["location"].as_str().unwrap_or_default().to_string();
        let (rg, name) = (
            id.resource_group().unwrap_or_default(),
            id.name().unwrap_or_default(),
        );
        let p = &mut v["properties"];
        if p.get("nodeResourceGroup").is_none() {
            p["nodeResourceGroup"] = json!(format!("MC_{rg}_{name}_{loc}"));
        }
        if p["oidcIssuerProfile"]["enabled"] == json!(true) {
            p["oidcIssuerProfile"]["issuerURL"] = json!(format!(
                "https://{loc}.oic.prod-aks.azure.com/7c3e9a14-2b6d-4f8e-a1c5-9d0b3e6f2a87/0e5f2c1a-9d8b-4c7e-b6a5-3f2e1d0c9b8a/"
            ));
        }
    }));
    let plan_dir = tmp.path().join("plan");
    let plan = azrelo_run::PlanDir::new(&plan_dir).load_run().unwrap();
    let cluster = plan
        .units
        .iter()
        .find(|u| {
            u.resource_type
                .eq_ignore_ascii_case("Microsoft.ContainerService/managedClusters")
        })
        .unwrap();
    let sub = cluster.target_id.subscription_id().unwrap().to_string();
    let group = format!(
        "MC_{}_{}_northeurope",
        cluster.target_id.resource_group().unwrap(),
        cluster.target_id.name().unwrap()
    );
    let rg = format!("/subscriptions/{sub}/resourceGroups/{group}");
    // What AKS creates for the new cluster (new scale-set and NSG suffixes).
    let at = |ty: &str, name: &str| format!("{rg}/providers/{ty}/{name}");
    em.seed([
        (
            at("Microsoft.Compute/virtualMachineScaleSets", "aks-system-11223344-vmss"),
            json!({"location": "northeurope", "sku": {"name": "Standard_D4ds_v5", "capacity": 3}, "properties": {}}),
        ),
        (
            at("Microsoft.Network/loadBalancers", "kubernetes"),
            json!({"location": "northeurope", "sku": {"name": "Standard"}, "properties": {}}),
        ),
        (
            at("Microsoft.Network/networkSecurityGroups", "aks-agentpool-11223344-nsg"),
            json!({"location": "northeurope", "properties": {"securityRules": []}}),
        ),
        (
            at("Microsoft.Network/routeTables", "aks-agentpool-11223344-routetable"),
            json!({"location": "northeurope", "properties": {"routes": []}}),
        ),
        (
            at("Microsoft.Network/publicIPAddresses", "1a2b3c4d-0000-4000-8000-000000000001"),
            json!({"location": "northeurope", "sku": {"name": "Standard"}, "properties": {"publicIPAllocationMethod": "Static"}}),
        ),
        (
            at("Microsoft.ManagedIdentity/userAssignedIdentities", "aks-prod-weu-agentpool"),
            json!({"location": "northeurope", "properties": {}}),
        ),
        (
            at("Microsoft.ManagedIdentity/userAssignedIdentities", "omsagent-aks-prod-weu"),
            json!({"location": "northeurope", "properties": {}}),
        ),
    ]);
    arm.plays_aks = true;
    drive(&plan_dir, arm.clone(), CrashHook::none())
        .await
        .unwrap();

    let state = dump(&tmp.path().join("emulator"));
    let deleted = arm.deleted.lock().unwrap().clone();
    let journal = azrelo_orchestrate::open_journal(&plan_dir).unwrap();
    let st = status(&plan, &journal).unwrap();
    let bad: Vec<String> = st
        .units
        .iter()
        .filter(|r| !matches!(r.state, State::Done | State::SourceKept))
        .map(|r| format!("{} {:?} {:?}", r.unit, r.state, r.error))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));

    // Every owned unit was located in the new node group, none deployed.
    let owned: Vec<_> = plan
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Owned)
        .collect();
    assert_eq!(
        owned.len(),
        8,
        "{:?}",
        owned.iter().map(|u| &u.key).collect::<Vec<_>>()
    );
    for u in &owned {
        assert!(u.deploy.is_none(), "{}", u.key);
        let located = journal
            .last("relocation", &format!("{}#move", u.key))
            .unwrap()
            .and_then(|r| {
                r.detail
                    .get("target")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| panic!("{}: not located", u.key));
        assert!(
            located
                .to_ascii_lowercase()
                .starts_with(&rg.to_ascii_lowercase()),
            "{}: {located}",
            u.key
        );
        // The source's owned resources are left to their owner: azrelo
        // never deletes one; they are gone with the source cluster.
        let src = u.source_id.as_ref().unwrap().as_str();
        assert!(
            !deleted.iter().any(|d| d.eq_ignore_ascii_case(src)),
            "{src} was deleted on its own"
        );
        assert!(
            !state.contains_key(&src.to_ascii_lowercase()),
            "{src} is left"
        );
    }

    // The credential trusts the moved cluster's issuer.
    let cluster_now =
        azrelo_orchestrate::Arm::get(&arm, cluster.target_id.as_str(), &cluster.api_version)
            .await
            .unwrap()
            .unwrap();
    let issuer = cluster_now["properties"]["oidcIssuerProfile"]["issuerURL"]
        .as_str()
        .unwrap();
    assert!(issuer.starts_with("https://northeurope."), "{issuer}");
    let fic = state
        .iter()
        .find(|(k, _)| k.ends_with("/federatedidentitycredentials/fic-orders-api-aks"))
        .map(|(_, v)| v)
        .unwrap();
    assert_eq!(fic["properties"]["issuer"], issuer);
    // The cluster's own references to what it owns are its own.
    assert!(
        !serde_json::to_string(&cluster_now)
            .unwrap()
            .contains("MC_rg-aks-prod_aks-prod-weu_westeurope")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sql_servers_master_database_is_verified_never_deployed_or_deleted() {
    let tmp = tempfile::tempdir().unwrap();
    let (em, arm) = setup_fixture(tmp.path(), "sql-server-master");
    let plan_dir = tmp.path().join("plan");
    // SQL creates `master` with the server (learn.microsoft.com/sql/
    // relational-databases/databases/system-databases); the emulator knows
    // it inside templates but does not serve it on GET, so the test seeds
    // the target server's as SQL would report it.
    let plan = azrelo_run::PlanDir::new(&plan_dir).load_run().unwrap();
    let master = plan
        .units
        .iter()
        .find(|u| {
            u.key
                .as_str()
                .to_ascii_lowercase()
                .ends_with("/databases/master")
        })
        .unwrap();
    em.seed([(
        master.target_id.to_string(),
        json!({"location": "northeurope", "kind": "v12.0,system", "managedBy": master.target_id.parent().unwrap().to_string(), "sku": {"name": "System", "tier": "System"}, "properties": {"status": "Online"}}),
    )]);
    drive(&plan_dir, arm.clone(), CrashHook::none())
        .await
        .unwrap();
    let journal = azrelo_orchestrate::open_journal(&plan_dir).unwrap();
    let st = status(&plan, &journal).unwrap();
    assert_eq!(master.kind, UnitKind::Owned);
    assert!(master.deploy.is_none());
    let row = st
        .units
        .iter()
        .find(|r| r.unit == master.key.as_str())
        .unwrap();
    assert_eq!(row.state, State::Done, "{row:?}");
    let verified = journal
        .last("relocation", &format!("{}#verify", master.key))
        .unwrap()
        .unwrap();
    assert!(verified.is_done(), "{verified:?}");
    // The target server has its own master (SQL creates it); the source's
    // went with its server, and azrelo sent no DELETE for it.
    let state = dump(&tmp.path().join("emulator"));
    let target = master.target_id.as_str().to_ascii_lowercase();
    assert!(target.contains("northeurope"), "{target}");
    let deleted = arm.deleted.lock().unwrap().clone();
    let src = master.source_id.as_ref().unwrap().as_str();
    assert!(
        !deleted.iter().any(|d| d.eq_ignore_ascii_case(src)),
        "{deleted:?}"
    );
    assert!(!state.contains_key(&src.to_ascii_lowercase()));
}
