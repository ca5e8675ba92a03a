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
    use azrelo_orchestrate::{
        Arm, GateClosing, GateSelection, Options, State, close_gates_with, status,
    };
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
    // Every gate that can be closed before the run; those after a move
    // once it has moved.
    let all = || {
        close_gates_with(
            &engine.plan,
            engine.journal(),
            &GateSelection::All,
            &GateClosing::default(),
        )
        .unwrap()
    };
    all();
    assert!(engine.apply().await.unwrap().complete());
    all();

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

/// A deployment that fails is reported as `az deployment … create` reports
/// it: with the failing operation's own error (its code, message and
/// target resource), not only ARM's envelope `DeploymentFailed: At least
/// one resource deployment operation failed` (issue #13).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_deployment_names_its_failing_operation_and_error() {
    use azrelo_orchestrate::{Options, close_gates};
    let tmp = tempfile::tempdir().unwrap();
    let (_em, arm) = setup(tmp.path(), None);
    let dir = tmp.path().join("plan");
    // A generated storage account now names a subnet that does not exist
    // (in a group that does: ARM checks references into existing groups).
    let gone = format!(
        "/subscriptions/{SUB}/resourceGroups/rg-shop-net/providers/Microsoft.Network/virtualNetworks/vnet-gone/subnets/snet-gone"
    );
    let mut sabotaged = None;
    for f in std::fs::read_dir(dir.join("templates")).unwrap() {
        let p = f.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if !name.ends_with(".json") || name.ends_with(".parameters.json") || name == "manifest.json"
        {
            continue;
        }
        let mut t: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let Some(r) = t["resources"].as_array_mut().and_then(|rs| {
            rs.iter_mut()
                .find(|r| r["type"] == "Microsoft.Storage/storageAccounts")
        }) else {
            continue;
        };
        r["properties"]["networkAcls"] = serde_json::json!({
            "defaultAction": "Deny",
            "virtualNetworkRules": [{"id": gone, "action": "Allow"}]
        });
        sabotaged = Some(r["name"].as_str().unwrap_or_default().to_string());
        let text = serde_json::to_string_pretty(&t).unwrap();
        std::fs::write(&p, &text).unwrap();
        // As if `azrelo generate` had written it: its checksum too.
        use sha2::Digest;
        let sum: String = sha2::Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let sums = dir.join("templates/SHA256SUMS");
        let listed = std::fs::read_to_string(&sums).unwrap();
        let fixed: String = listed
            .lines()
            .map(|l| match l.split_once("  ") {
                Some((_, n)) if n == name => format!("{sum}  {n}\n"),
                _ => format!("{l}\n"),
            })
            .collect();
        std::fs::write(&sums, fixed).unwrap();
        break;
    }
    let account = sabotaged.expect("the example generates a storage account");
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
    // The gates before a move (gates after one close once it moved).
    let gates: Vec<String> = engine
        .plan
        .gates()
        .iter()
        .filter(|(_, _, before)| *before)
        .map(|(g, _, _)| g.id.clone())
        .collect();
    close_gates(&engine.plan, engine.journal(), &gates).unwrap();
    let summary = engine.apply().await.unwrap();
    assert!(!summary.complete());
    let st = azrelo_orchestrate::status(&engine.plan, engine.journal()).unwrap();
    let failed: Vec<String> = st
        .units
        .iter()
        .filter(|r| r.unit.contains(&account))
        .filter_map(|r| r.error.clone())
        .collect();
    let e = failed
        .first()
        .unwrap_or_else(|| panic!("{account} did not fail: {:?}", st.units));
    assert!(!e.starts_with("DeploymentFailed"), "{e}");
    assert!(
        e.contains("InvalidResourceReference") || e.contains("NotFound"),
        "{e}"
    );
    assert!(
        e.contains("snet-gone"),
        "the operation's message is missing: {e}"
    );
    assert!(
        e.to_ascii_lowercase()
            .contains(&account.to_ascii_lowercase()),
        "{e}"
    );
}

/// A gate after a move (a final sync, a cut-over) is a step on the target:
/// `gate done ID` refuses it until its resource has moved (naming why, and
/// closing nothing), `--all` leaves it open; once moved it closes, and the
/// journal keeps who closed it, when and the note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_after_a_move_waits_for_its_resource_to_move() {
    use azrelo_orchestrate::{
        Engine, EngineError, GateClosing, GateSelection, Options, UnitKind, close_gates,
        close_gates_with, status,
    };
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
    let engine = std::sync::Arc::new(Engine::new(plan, arm, opts, CrashHook::none()).unwrap());
    let plan = &engine.plan;
    let after: Vec<String> = plan
        .gates()
        .into_iter()
        .filter(|(_, i, before)| !before && plan.units[*i].kind != UnitKind::Manual)
        .map(|(g, _, _)| g.id.clone())
        .collect();
    assert!(
        !after.is_empty(),
        "the example has no gate after an automated move"
    );
    let j = engine.journal();
    let err = close_gates(plan, j, &after[..1]).unwrap_err();
    let EngineError::Refused(m) = err else {
        panic!("{err:?}")
    };
    assert!(m.contains(&after[0]) && m.contains("has not moved"), "{m}");
    assert!(status(plan, j).unwrap().gates.iter().all(|g| !g.closed));

    let closing = GateClosing {
        by: Some("alice".into()),
        note: Some("CHG-1234".into()),
    };
    let first = close_gates_with(plan, j, &GateSelection::All, &closing).unwrap();
    assert!(first.iter().all(|g| !after.contains(g)), "{first:?}");
    for _ in 0..10 {
        let r = engine.apply().await.unwrap();
        assert!(r.failed.is_empty(), "{:?}", r.failed);
        if r.complete() {
            break;
        }
        close_gates_with(plan, j, &GateSelection::All, &closing).unwrap();
    }
    let closed = close_gates_with(plan, j, &GateSelection::All, &closing).unwrap();
    assert!(after.iter().all(|g| closed.contains(g)), "{closed:?}");
    let st = status(plan, j).unwrap();
    for g in st.gates.iter().filter(|g| after.contains(&g.id)) {
        assert!(g.closed, "{g:?}");
        assert_eq!(g.closed_by.as_deref(), Some("alice"));
        assert_eq!(g.note.as_deref(), Some("CHG-1234"));
        assert!(
            g.closed_at.as_deref().is_some_and(|t| t.contains('T')),
            "{g:?}"
        );
    }
}

/// Issue #18: a `CopyStart` whose answer is lost (the request reached ARM
/// and the copy runs, the client saw a 500) is adopted: the retried step
/// finds the copy in flight and waits for it — or, when its PUT comes
/// first, waits out ARM's 409 "another incremental snapshot of the same
/// disk is being copied" — and the run reaches the gates before the
/// disks' final sync as a clean one does: no failure, no copy started twice.
/// (About two minutes: copies take time here.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_start_whose_answer_was_lost_is_adopted_not_failed() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use azrelo_orchestrate::{ArmError, State};
    use serde_json::Value;

    /// Forwards everything; the first CopyStart PUT goes on in the
    /// background while the caller gets a 500.
    #[derive(Clone)]
    struct LostCopyStart {
        inner: EmulatorArm,
        fired: Arc<AtomicBool>,
        copy_starts: Arc<AtomicU64>,
    }
    impl Arm for LostCopyStart {
        async fn get(&self, path: &str, api: &str) -> Result<Option<Value>, ArmError> {
            self.inner.get(path, api).await
        }
        async fn put(&self, path: &str, api: &str, body: &Value) -> Result<Value, ArmError> {
            let copy_start = body
                .pointer("/properties/creationData/createOption")
                .and_then(Value::as_str)
                == Some("CopyStart");
            if copy_start {
                self.copy_starts.fetch_add(1, Ordering::SeqCst);
                if !self.fired.swap(true, Ordering::SeqCst) {
                    let (inner, path, api, body) = (
                        self.inner.clone(),
                        path.to_string(),
                        api.to_string(),
                        body.clone(),
                    );
                    tokio::spawn(async move {
                        let _ = inner.put(&path, &api, &body).await;
                    });
                    // The request is on its way; its answer is lost.
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    return Err(ArmError::new(
                        Some(500),
                        "InternalServerError",
                        "injected: the CopyStart answer was lost",
                    ));
                }
            }
            self.inner.put(path, api, body).await
        }
        async fn delete(&self, path: &str, api: &str) -> Result<bool, ArmError> {
            self.inner.delete(path, api).await
        }
        async fn list(&self, path: &str, api: &str) -> Result<Vec<Value>, ArmError> {
            self.inner.list(path, api).await
        }
        async fn post(
            &self,
            path: &str,
            api: &str,
            body: Option<&Value>,
        ) -> Result<Option<Value>, ArmError> {
            self.inner.post(path, api, body).await
        }
    }

    let tmp = tempfile::tempdir().unwrap();
    let plan_dir = tmp.path().join("plan");
    make_plan_dir(&plan_dir, "northeurope");
    // Copies take time (the `fast` profile), so the lost one is still
    // running when the step is retried.
    let em = azrelo_emulator::Emulator::open(&tmp.path().join("emulator"))
        .unwrap()
        .with_throttling(false)
        .with_latency(azrelo_emulator::latency::LatencyProfile::Fast);
    em.seed(estate_seed(&plan_dir));
    em.seed(unrelated());
    let arm = LostCopyStart {
        inner: EmulatorArm::new(&em),
        fired: Arc::new(AtomicBool::new(false)),
        copy_starts: Arc::new(AtomicU64::new(0)),
    };
    let plan = azrelo_run::PlanDir::new(&plan_dir).load_run().unwrap();
    assert!(
        plan.units
            .iter()
            .any(|u| u.kind == azrelo_orchestrate::UnitKind::DiskCopy),
        "the example has disks to copy"
    );
    let opts = azrelo_orchestrate::Options {
        secrets: secrets(),
        poll: std::time::Duration::from_millis(20),
        retry_backoff: std::time::Duration::from_millis(20),
        ..azrelo_orchestrate::Options::default()
    };
    let engine = Arc::new(
        azrelo_orchestrate::Engine::new(plan, arm.clone(), opts, CrashHook::none()).unwrap(),
    );
    // The first run goes as far as the gates before the disks' final
    // sync: each disk's seed copy (the first CopyStart, the lost one) done.
    let r = engine.apply().await.unwrap();
    assert!(arm.fired.load(Ordering::SeqCst), "no CopyStart was sent");
    assert!(r.failed.is_empty(), "{:?}", r.failed);
    let st = azrelo_orchestrate::status(&engine.plan, engine.journal()).unwrap();
    let disks: Vec<_> = st
        .units
        .iter()
        .filter(|u| u.kind == azrelo_orchestrate::UnitKind::DiskCopy)
        .collect();
    assert!(
        disks
            .iter()
            .all(|u| u.state == State::WaitingGate && u.error.is_none()),
        "{:?}",
        disks
            .iter()
            .map(|u| (&u.unit, u.state, &u.error))
            .collect::<Vec<_>>()
    );
    // One seed copy per disk: the lost one adopted (found in flight), or —
    // when the retry's PUT overtook it — sent once more and its 409
    // waited out.
    let n = disks.len() as u64;
    let sent = arm.copy_starts.load(Ordering::SeqCst);
    assert!(
        sent == n || sent == n + 1,
        "{sent} CopyStart requests for {n} disks"
    );
    eprintln!(
        "CopyStart requests: {} for {} disk(s)",
        arm.copy_starts.load(Ordering::SeqCst),
        disks.len()
    );
}
