//! Scenario gates stop `apply`, `commit` and `cleanup-source` where the
//! plan puts them, and the procedures' automated steps run in the order the
//! guidance gives — proven on a recording layer between the orchestrator and
//! the emulator, which logs every ARM call and every gate closed, in order:
//!
//! * a move gate of a scenario step (`azure-backup/record-vault-settings`,
//!   `managed-identities/find-service-specific-grants`) holds the deployment
//!   of its unit until it is closed;
//! * Azure Backup: protection of a VM stops in the source vault before the
//!   VM is redeployed, and is re-established in the target vault after it;
//! * a commit gate (`reconfigure-vault-settings:rsv-shop-weu`) blocks its
//!   unit's commit;
//! * a run-wide cleanup gate (`general-move-process/commit-move`) refuses
//!   the source cleanup; a unit's cleanup gate
//!   (`keep-or-delete-source-vault:rsv-shop-weu`) keeps that source only.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use azrelo_orchestrate::{
    Arm, ArmError, CrashHook, Engine, EngineError, Options, RowOutcome, close_gates,
};
use azrelo_plan::GateStage;
use common::*;
use serde_json::Value;

/// Logs each call as `METHOD path [resource names of a deployment]`.
#[derive(Clone)]
struct Recorder {
    inner: EmulatorArm,
    log: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn push(&self, line: String) {
        self.log.lock().unwrap().push(line);
    }
}

fn names(body: &Value) -> String {
    body.pointer("/properties/template/resources")
        .and_then(Value::as_array)
        .map(|rs| {
            rs.iter()
                .filter_map(|r| r["name"].as_str())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

impl Arm for Recorder {
    async fn get(&self, path: &str, api: &str) -> Result<Option<Value>, ArmError> {
        self.inner.get(path, api).await
    }
    async fn put(&self, path: &str, api: &str, body: &Value) -> Result<Value, ArmError> {
        self.push(format!(
            "PUT {} [{}]",
            path.to_ascii_lowercase(),
            names(body)
        ));
        self.inner.put(path, api, body).await
    }
    async fn delete(&self, path: &str, api: &str) -> Result<bool, ArmError> {
        self.push(format!("DELETE {}", path.to_ascii_lowercase()));
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
        self.push(format!("POST {}", path.to_ascii_lowercase()));
        self.inner.post(path, api, body).await
    }
}

/// Index of the first log line matching `f`.
fn first(log: &[String], what: &str, f: impl Fn(&str) -> bool) -> usize {
    log.iter()
        .position(|l| f(l))
        .unwrap_or_else(|| panic!("never: {what}"))
}

fn deploys(line: &str, name: &str) -> bool {
    line.starts_with("PUT ")
        && line.contains("/providers/microsoft.resources/deployments/")
        && line.rsplit_once('[').is_some_and(|(_, n)| {
            n.trim_end_matches(']')
                .split(',')
                .any(|x| x.eq_ignore_ascii_case(name))
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_gates_hold_the_run_in_the_planned_order() {
    let tmp = tempfile::tempdir().unwrap();
    let (_em, arm) = setup(tmp.path(), None);
    let rec = Recorder {
        inner: arm,
        log: Arc::new(Mutex::new(Vec::new())),
    };
    let dir = tmp.path().join("plan");
    let plan = azrelo_run::PlanDir::new(&dir).load_run().unwrap();
    let opts = Options {
        parallelism: 4,
        secrets: secrets(),
        poll: Duration::from_millis(2),
        retry_backoff: Duration::from_millis(2),
        step_attempts: 8,
        ..Options::default()
    };
    let engine = Arc::new(Engine::new(plan, rec.clone(), opts, CrashHook::none()).unwrap());
    let stage_of = |id: &str| {
        engine
            .plan
            .gates()
            .iter()
            .find(|(g, _, _)| g.id == id)
            .map(|(g, _, _)| g.stage)
            .unwrap_or_else(|| panic!("no gate {id}"))
    };
    for g in [
        "record-vault-settings",
        "find-service-specific-grants:id-shop-web",
    ] {
        assert_eq!(stage_of(g), GateStage::Move, "{g}");
    }
    assert_eq!(
        stage_of("reconfigure-vault-settings:rsv-shop-weu"),
        GateStage::Commit
    );
    assert_eq!(
        stage_of("keep-or-delete-source-vault:rsv-shop-weu"),
        GateStage::Cleanup
    );
    assert_eq!(stage_of("commit-move"), GateStage::Cleanup);

    // apply: close the move gates as they come up, one round at a time.
    let mut rounds = 0;
    loop {
        let r = engine.apply().await.unwrap();
        assert!(r.failed.is_empty(), "{:?}", r.failed);
        if r.complete() {
            break;
        }
        rounds += 1;
        assert!(rounds < 20, "stuck: {r:?}");
        let moves: Vec<String> = r
            .open_gates
            .iter()
            .filter(|g| stage_of(g) == GateStage::Move)
            .cloned()
            .collect();
        assert!(
            !moves.is_empty(),
            "incomplete without an open move gate: {r:?}"
        );
        for g in &moves {
            rec.push(format!("GATE {g}"));
        }
        close_gates(&engine.plan, engine.journal(), &moves).unwrap();
    }
    let log = rec.log.lock().unwrap().clone();
    // Move gates of scenario steps come before their units' deployments.
    let closed = |g: &str| first(&log, g, |l| l == format!("GATE {g}"));
    let vault = first(&log, "deploy rsv-shop-weu", |l| deploys(l, "rsv-shop-weu"));
    assert!(closed("record-vault-settings") < vault);
    let id = first(&log, "deploy id-shop-web", |l| deploys(l, "id-shop-web"));
    assert!(closed("find-service-specific-grants:id-shop-web") < id);
    // Azure Backup (seed 001): stop protection in the source vault, move
    // the VM, re-protect in the target vault.
    let item = "vm;iaasvmcontainerv2;rg-shop-app;vm-shop-app-01";
    let stop = first(&log, "stop protection", |l| {
        l.starts_with("PUT /subscriptions/")
            && l.contains("/resourcegroups/rg-shop-ops/providers/microsoft.recoveryservices/vaults/rsv-shop-weu/")
            && l.contains(item)
    });
    let vm = first(&log, "deploy vm-shop-app-01", |l| {
        deploys(l, "vm-shop-app-01")
    });
    let reprotect = first(&log, "re-protect", |l| {
        l.starts_with("PUT /subscriptions/")
            && l.contains("/resourcegroups/rg-shop-ops-northeurope/providers/microsoft.recoveryservices/vaults/rsv-shop-weu/")
            && l.contains("/protecteditems/vm;iaasvmcontainerv2;rg-shop-app-northeurope;vm-shop-app-01")
    });
    assert!(
        stop < vm && vm < reprotect,
        "stop {stop}, vm {vm}, re-protect {reprotect}"
    );

    // commit: the vault's commit gate blocks the vault only.
    let rows = engine.commit(&[]).await.unwrap();
    let vault_row = |rows: &[azrelo_orchestrate::ActionRow]| {
        rows.iter()
            .find(|r| {
                r.unit
                    .to_ascii_lowercase()
                    .ends_with("/vaults/rsv-shop-weu")
            })
            .map(|r| (r.outcome, r.detail.clone().unwrap_or_default()))
            .unwrap()
    };
    let (outcome, detail) = vault_row(&rows);
    assert_ne!(outcome, RowOutcome::Committed);
    assert!(
        detail.contains("reconfigure-vault-settings:rsv-shop-weu"),
        "{detail}"
    );
    let commits: Vec<String> = engine
        .plan
        .gates()
        .iter()
        .filter(|(g, _, _)| g.stage == GateStage::Commit)
        .map(|(g, _, _)| g.id.clone())
        .collect();
    close_gates(&engine.plan, engine.journal(), &commits).unwrap();
    let rows = engine.commit(&[]).await.unwrap();
    assert!(
        rows.iter().all(|r| r.outcome == RowOutcome::Committed),
        "{rows:?}"
    );

    // cleanup-source: refused while the run-wide gate is open.
    let before = rec.log.lock().unwrap().len();
    let e = engine.cleanup_source(&[], true).await.unwrap_err();
    assert!(
        matches!(&e, EngineError::Refused(m) if m.contains("commit-move")),
        "{e}"
    );
    assert!(
        !rec.log.lock().unwrap()[before..]
            .iter()
            .any(|l| l.starts_with("DELETE")),
        "nothing deleted while refused"
    );
    let shared: Vec<String> = engine
        .plan
        .shared_gates()
        .iter()
        .filter(|g| g.stage == GateStage::Cleanup)
        .map(|g| g.id.clone())
        .collect();
    close_gates(&engine.plan, engine.journal(), &shared).unwrap();
    // The source vault stays while its own cleanup gate is open.
    let rows = engine.cleanup_source(&[], true).await.unwrap();
    let (outcome, detail) = vault_row(&rows);
    assert_eq!(outcome, RowOutcome::Kept);
    assert!(
        detail.contains("keep-or-delete-source-vault:rsv-shop-weu"),
        "{detail}"
    );
    assert!(
        !rec.log.lock().unwrap().iter().any(|l| l
            == "DELETE /subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourcegroups/rg-shop-ops/providers/microsoft.recoveryservices/vaults/rsv-shop-weu"),
        "the source vault was deleted through its open gate"
    );
    close_gates(
        &engine.plan,
        engine.journal(),
        &["keep-or-delete-source-vault:rsv-shop-weu".to_string()],
    )
    .unwrap();
    let rows = engine.cleanup_source(&[], true).await.unwrap();
    let (_, detail) = vault_row(&rows);
    assert!(
        !detail.contains("keep-or-delete-source-vault"),
        "closed, the gate no longer holds the vault: {detail}"
    );
}
