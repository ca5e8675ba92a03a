//! End to end on the emulator: the example estate seeded in West Europe,
//! planned and generated for North Europe, applied, verified, committed and
//! its sources cleaned up — and the same run under injected faults.

mod common;

use azrelo_orchestrate::{Arm, CrashHook, RowOutcome};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_relocates_end_to_end_on_the_emulator() {
    let tmp = tempfile::tempdir().unwrap();
    let (_em, arm) = setup(tmp.path(), None);
    drive(&tmp.path().join("plan"), arm.clone(), CrashHook::none())
        .await
        .unwrap();
    let state = check_final_state(tmp.path());
    // The locked data group's resources stay (rg-data-nodelete, CanNotDelete).
    assert!(
        state
            .keys()
            .any(|k| k.contains("/resourcegroups/rg-shop-data/providers/microsoft.sql/servers/"))
    );
    // The cleanup kept them by reading the locks itself: the emulator, as
    // ARM, would have refused the deletion anyway.
    let vault = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-shop-data/providers/Microsoft.KeyVault/vaults/kv-shop-weu-01"
    );
    let refused = arm.delete(&vault, "2023-07-01").await.unwrap_err();
    assert_eq!(refused.code, "ScopeLocked", "{}", refused.message);
    assert!(
        refused
            .message
            .contains("/providers/Microsoft.Authorization/locks/do-not-delete"),
        "{}",
        refused.message
    );
    // The source app group is kept: an unrelated account lives in it.
    assert!(state.contains_key(&format!("/subscriptions/{SUB}/resourcegroups/rg-shop-app")));
    // The network is kept (a private endpoint in the locked data group
    // still uses it), the load balancer's public IP is gone.
    assert!(state.contains_key(&format!("/subscriptions/{SUB}/resourcegroups/rg-shop-net/providers/microsoft.network/virtualnetworks/vnet-shop-weu")));
    assert!(!state.contains_key(&format!("/subscriptions/{SUB}/resourcegroups/rg-shop-net/providers/microsoft.network/publicipaddresses/pip-shop-lb")));
    assert!(!state.contains_key(&format!("/subscriptions/{SUB}/resourcegroups/rg-shop-app/providers/microsoft.compute/virtualmachines/vm-shop-app-01")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_run_with_injected_faults_reaches_the_same_state() {
    let clean = tempfile::tempdir().unwrap();
    let (_em, arm) = setup(clean.path(), None);
    drive(&clean.path().join("plan"), arm, CrashHook::none())
        .await
        .unwrap();
    let expected = check_final_state(clean.path());

    let tmp = tempfile::tempdir().unwrap();
    let spec = azrelo_emulator::faults::FaultSpec::parse(
        "429=0.04,500=0.03,503=0.03,lro-fail=0.2,seed=12",
    )
    .unwrap();
    let (_em, arm) = setup(tmp.path(), Some(spec));
    // One request at a time: the seeded faults fall on the same requests
    // on every run.
    drive_with(&tmp.path().join("plan"), arm.clone(), CrashHook::none(), 1)
        .await
        .unwrap();
    let retried = arm.retried.load(std::sync::atomic::Ordering::Relaxed);
    let failed = arm
        .failed_operations
        .load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("injected and recovered: {retried} 429/5xx answers, {failed} failed operations");
    assert!(retried >= 20, "only {retried} injected 429/5xx answers");
    assert!(failed >= 1, "only {failed} failed operations");
    let got = check_final_state(tmp.path());
    assert_eq!(got, expected);
}

/// A target changed behind azrelo's back fails verification, which blocks
/// its commit; discard deletes it (back to `prepared`) and a resume
/// re-creates it, verified, and then it commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_target_blocks_its_commit_and_discard_returns_it_to_prepared() {
    use azrelo_orchestrate::{Arm, Options, State, close_gates, status};
    let tmp = tempfile::tempdir().unwrap();
    let (_em, arm) = setup(tmp.path(), None);
    let dir = tmp.path().join("plan");
    let plan = azrelo_run::PlanDir::new(&dir).load_run().unwrap();
    let opts = Options {
        secrets: secrets(),
        poll: std::time::Duration::from_millis(2),
        retry_backoff: std::time::Duration::from_millis(2),
        ..Options::default()
    };
    let engine = std::sync::Arc::new(
        azrelo_orchestrate::Engine::new(plan, arm.clone(), opts, CrashHook::none()).unwrap(),
    );
    let gates: Vec<String> = engine
        .plan
        .gates()
        .iter()
        .map(|(g, _, _)| g.id.clone())
        .collect();
    close_gates(&engine.plan, engine.journal(), &gates).unwrap();
    assert!(engine.apply().await.unwrap().complete());

    // A resource nothing depends on (the VM's agent extensions, used here
    // before, are installed by services now and not deployed by the run).
    let ext = engine
        .plan
        .units
        .iter()
        .find(|u| {
            u.key.as_str().to_ascii_lowercase().ends_with(
                "nsg-shop-web/providers/microsoft.insights/diagnosticsettings/nsg-flow-archive",
            )
        })
        .unwrap()
        .clone();
    // Someone edits the target.
    let mut body = arm
        .get(ext.target_id.as_str(), &ext.api_version)
        .await
        .unwrap()
        .unwrap();
    body["properties"]["logs"][0]["enabled"] = serde_json::json!(false);
    arm.put(ext.target_id.as_str(), &ext.api_version, &body)
        .await
        .unwrap();

    let rows = engine.commit(&[ext.key.to_string()]).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].outcome, RowOutcome::NotCommitted);
    assert!(
        rows[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("/properties/logs"),
        "{rows:?}"
    );
    let st = status(&engine.plan, engine.journal()).unwrap();
    let row = st
        .units
        .iter()
        .find(|r| r.unit == ext.key.as_str())
        .unwrap();
    assert_eq!(row.state, State::VerifyFailed);
    // Cleanup refuses while anything is uncommitted.
    assert!(engine.cleanup_source(&[], true).await.is_err());

    // A resource others depend on cannot be discarded alone.
    let nic = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-shop-app-northeurope/providers/Microsoft.Network/networkInterfaces/nic-vm-shop-web-02"
    );
    let rows = engine.discard(std::slice::from_ref(&nic)).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].outcome, RowOutcome::Kept, "{rows:?}");
    assert!(
        rows[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("vm-shop-web-02"),
        "{rows:?}"
    );
    assert!(arm.get(&nic, "2023-06-01").await.unwrap().is_some());

    let rows = engine.discard(&[ext.key.to_string()]).await.unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r.outcome == RowOutcome::Discarded)
            .count(),
        1,
        "{rows:?}"
    );
    assert!(
        arm.get(ext.target_id.as_str(), &ext.api_version)
            .await
            .unwrap()
            .is_none()
    );
    let st = status(&engine.plan, engine.journal()).unwrap();
    assert_eq!(
        st.units
            .iter()
            .find(|r| r.unit == ext.key.as_str())
            .unwrap()
            .state,
        State::Prepared
    );

    // Resume moves it again, as deployed; now everything commits.
    assert!(engine.apply().await.unwrap().complete());
    let rows = engine.commit(&[]).await.unwrap();
    assert!(
        rows.iter().all(|r| r.outcome == RowOutcome::Committed),
        "{rows:?}"
    );
}
