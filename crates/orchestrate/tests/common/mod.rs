//! Shared test bed: the example estate planned and generated into a plan
//! directory, an emulator seeded with the example in its source region, and
//! an in-process [`Arm`] over the emulator's router (no sockets).
//!
//! The adapter follows ARM's client rules the way `azrelo-client` does:
//! long-running operations are polled through `Azure-AsyncOperation` until
//! `Succeeded`/`Failed`/`Canceled`, then the resource is read; 429 and 5xx
//! are retried (waiting at most a few milliseconds, not `Retry-After`'s
//! seconds: it is a test client).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request};
use azrelo_emulator::Emulator;
use azrelo_orchestrate::{
    Arm, ArmError, CrashHook, Engine, EngineError, Options, RowOutcome, State, UnitKind,
    close_gates, status,
};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

#[derive(Clone)]
pub struct EmulatorArm {
    router: axum::Router,
    pub poll: Duration,
    /// Write requests (PUT, PATCH, POST, DELETE) ARM accepted.
    pub writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// 429/5xx answers seen (and retried).
    pub retried: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// Long-running operations that ended Failed/Canceled.
    pub failed_operations: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl EmulatorArm {
    pub fn new(em: &Emulator) -> EmulatorArm {
        EmulatorArm {
            router: azrelo_emulator::router(em.clone()),
            poll: Duration::from_millis(2),
            writes: Default::default(),
            retried: Default::default(),
            failed_operations: Default::default(),
        }
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Option<String>, Value), String> {
        let uri = if path.contains("api-version=") {
            path.to_string()
        } else if path.contains('?') {
            format!("{path}&api-version={api}")
        } else {
            format!("{path}?api-version={api}")
        };
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("authorization", "Bearer orchestrator-test")
            .header("content-type", "application/json")
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .map_err(|e| e.to_string())?;
        let write = req.method() != Method::GET;
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        if write && status < 400 {
            self.writes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let op = resp
            .headers()
            .get("azure-asyncoperation")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .map_err(|e| e.to_string())?;
        Ok((
            status,
            op,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// One call with retries of 429/5xx/transport errors.
    async fn call(
        &self,
        method: Method,
        path: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<(u16, Option<String>, Value), ArmError> {
        let mut last = None;
        for _ in 0..12 {
            match self.raw(method.clone(), path, api, body).await {
                Ok((s, _, v)) if s == 429 || s >= 500 => {
                    self.retried
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    last = Some(err(s, &v));
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
                Ok(ok) => return Ok(ok),
                Err(e) => {
                    last = Some(ArmError::new(None, "Transport", e));
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
            }
        }
        Err(last.unwrap_or_else(|| ArmError::new(None, "Transport", "no answer")))
    }

    async fn wait(&self, op: &str) -> Result<(), ArmError> {
        loop {
            let (s, _, v) = self.call(Method::GET, op, "2024-01-01", None).await?;
            if s >= 400 {
                return Err(err(s, &v));
            }
            match v
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("InProgress")
            {
                "Succeeded" => return Ok(()),
                "Failed" | "Canceled" => {
                    self.failed_operations
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let e = v.get("error").cloned().unwrap_or(Value::Null);
                    return Err(ArmError::new(
                        None,
                        e.get("code")
                            .and_then(Value::as_str)
                            .unwrap_or("OperationFailed"),
                        e.get("message")
                            .and_then(Value::as_str)
                            .unwrap_or("the operation failed"),
                    ));
                }
                _ => tokio::time::sleep(self.poll).await,
            }
        }
    }
}

fn err(status: u16, v: &Value) -> ArmError {
    let e = v.get("error").cloned().unwrap_or(Value::Null);
    ArmError::new(
        Some(status),
        e.get("code").and_then(Value::as_str).unwrap_or("HttpError"),
        e.get("message").and_then(Value::as_str).unwrap_or(""),
    )
}

impl Arm for EmulatorArm {
    async fn get(&self, path: &str, api: &str) -> Result<Option<Value>, ArmError> {
        let (s, _, v) = self.call(Method::GET, path, api, None).await?;
        match s {
            404 => Ok(None),
            s if s >= 400 => Err(err(s, &v)),
            _ => Ok(Some(v)),
        }
    }

    async fn put(&self, path: &str, api: &str, body: &Value) -> Result<Value, ArmError> {
        let (s, op, v) = self.call(Method::PUT, path, api, Some(body)).await?;
        if s >= 400 {
            return Err(err(s, &v));
        }
        if let Some(op) = op {
            self.wait(&op).await?;
        }
        Ok(self.get(path, api).await?.unwrap_or(v))
    }

    async fn delete(&self, path: &str, api: &str) -> Result<bool, ArmError> {
        let (s, op, v) = self.call(Method::DELETE, path, api, None).await?;
        match s {
            404 | 204 => Ok(false),
            s if s >= 400 => Err(err(s, &v)),
            _ => {
                if let Some(op) = op {
                    self.wait(&op).await?;
                }
                Ok(true)
            }
        }
    }

    async fn list(&self, path: &str, api: &str) -> Result<Vec<Value>, ArmError> {
        let mut out = Vec::new();
        let mut next = Some(path.to_string());
        while let Some(p) = next.take() {
            let (s, _, v) = self.call(Method::GET, &p, api, None).await?;
            if s >= 400 {
                return Err(err(s, &v));
            }
            out.extend(
                v.get("value")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default(),
            );
            next = v.get("nextLink").and_then(Value::as_str).map(|l| {
                l.split_once("://")
                    .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_string()))
                    .unwrap_or_else(|| l.to_string())
            });
        }
        Ok(out)
    }

    async fn post(
        &self,
        path: &str,
        api: &str,
        body: Option<&Value>,
    ) -> Result<Option<Value>, ArmError> {
        let (s, op, v) = self.call(Method::POST, path, api, body).await?;
        if s >= 400 {
            return Err(err(s, &v));
        }
        if let Some(op) = op {
            self.wait(&op).await?;
        }
        Ok(Some(v))
    }
}

pub fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contoso-shop")
}

/// `azrelo plan` + `azrelo generate` of the example into `dir` (same files
/// the CLI writes).
pub fn make_plan_dir(dir: &Path, target: &str) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(example_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let estate =
        azrelo_estate::load_inputs(&files, &azrelo_estate::LoadOptions::default()).unwrap();
    let g = azrelo_graph::build(&estate);
    let p = azrelo_plan::plan(
        &estate,
        &g,
        azrelo_catalog::Catalog::embedded(),
        &azrelo_plan::PlanOptions::new(target),
    )
    .unwrap();
    let out = azrelo_generate::generate(
        &p,
        &estate,
        azrelo_catalog::Catalog::embedded(),
        azrelo_generate::embedded_flags(),
    );
    let pd = azrelo_run::PlanDir::new(dir);
    pd.write_plan(&estate, &p).unwrap();
    pd.write_templates(&out, &pd.templates()).unwrap();
}

/// The example estate as the emulator's starting state: resources, locks,
/// role assignments, diagnostic settings and policy exemptions.
pub fn estate_seed(dir: &Path) -> Vec<(String, Value)> {
    let mut estate: azrelo_estate::Estate =
        serde_json::from_slice(&std::fs::read(dir.join("estate.json")).unwrap()).unwrap();
    estate.reindex();
    // As ARM returns them, read-only back-references (a NIC's
    // `virtualMachine`, a subnet's `ipConfigurations`) included: the
    // emulator, like ARM, does not count them as usage.
    azrelo_estate::arm_shape::arm_bodies(&estate)
}

/// An unrelated resource (not in the plan) in a source group, and one in a
/// group of its own: both must survive the relocation untouched.
pub fn unrelated() -> Vec<(String, Value)> {
    vec![
        (
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg-shop-app/providers/Microsoft.Storage/storageAccounts/stunrelated01"
            ),
            json!({"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {"minimumTlsVersion": "TLS1_2"}, "tags": {"owner": "someone-else"}}),
        ),
        (
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg-unrelated/providers/Microsoft.Network/networkSecurityGroups/nsg-unrelated"
            ),
            json!({"location": "westeurope", "properties": {"securityRules": []}}),
        ),
    ]
}

/// Operator-supplied values for the generated secure parameters.
pub fn secrets() -> std::collections::HashMap<String, Value> {
    [
        ("createMode", json!("Default")),
        (
            "connectionString",
            json!(
                "Endpoint=sb://example/;SharedAccessKeyName=x;SharedAccessKey=redacted-test-value"
            ),
        ),
        ("uri", json!("https://example.invalid/trigger")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Every resource the emulator holds (id → body), from its SQLite store.
pub fn dump(emulator_dir: &Path) -> std::collections::BTreeMap<String, Value> {
    let db = rusqlite::Connection::open(emulator_dir.join("emulator.db")).unwrap();
    let mut stmt = db.prepare("SELECT id, body FROM resources").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    rows.map(|r| {
        let (id, body) = r.unwrap();
        (
            id.to_ascii_lowercase(),
            serde_json::from_str(&body).unwrap_or(Value::Null),
        )
    })
    .collect()
}

/// The operator's whole relocation: apply (closing gates as they come up),
/// commit, cleanup-source --confirm. Idempotent: a resumed drive continues.
pub async fn drive(dir: &Path, arm: EmulatorArm, hook: Arc<CrashHook>) -> Result<(), EngineError> {
    drive_with(dir, arm, hook, 8).await
}

/// [`drive`] with a given parallelism (1 makes the request order, and so
/// the emulator's seeded faults, reproducible).
pub async fn drive_with(
    dir: &Path,
    arm: EmulatorArm,
    hook: Arc<CrashHook>,
    parallelism: usize,
) -> Result<(), EngineError> {
    let plan = azrelo_run::PlanDir::new(dir).load_run()?;
    let opts = Options {
        parallelism,
        secrets: secrets(),
        poll: Duration::from_millis(2),
        retry_backoff: Duration::from_millis(2),
        step_attempts: 8,
        ..Options::default()
    };
    let engine = Arc::new(Engine::new(plan, arm.clone(), opts, hook)?);
    for _ in 0..20 {
        let r = engine.apply().await?;
        assert!(r.failed.is_empty(), "failures: {:?}", r.failed);
        if r.complete() {
            break;
        }
        assert!(
            !r.open_gates.is_empty(),
            "stuck without an open gate: {r:?}"
        );
        // The operator's part of a manual relocation of a backup item:
        // stop protection in the source vault (the plan's instruction).
        for u in engine
            .plan
            .units
            .iter()
            .filter(|u| u.kind == UnitKind::Manual)
        {
            if u.gates_after.iter().any(|g| r.open_gates.contains(&g.id))
                && u.resource_type.ends_with("protectedItems")
            {
                let src = u.source_id.as_ref().unwrap().as_str();
                azrelo_orchestrate::Arm::delete(&arm, src, "2023-04-01")
                    .await
                    .map_err(|e| EngineError::Refused(e.to_string()))?;
            }
        }
        close_gates(&engine.plan, engine.journal(), &r.open_gates)?;
    }
    let rows = engine.commit(&[]).await?;
    assert!(
        rows.iter().all(|r| r.outcome == RowOutcome::Committed),
        "{rows:?}"
    );
    let rows = engine.cleanup_source(&[], true).await?;
    if std::env::var("AZRELO_TEST_DEBUG").is_ok() {
        for r in &rows {
            eprintln!("{} {} {:?}", r.outcome.as_str(), r.unit, r.detail);
        }
    }
    Ok(())
}

pub fn setup(
    tmp: &Path,
    faults: Option<azrelo_emulator::faults::FaultSpec>,
) -> (Emulator, EmulatorArm) {
    let plan_dir = tmp.join("plan");
    make_plan_dir(&plan_dir, "northeurope");
    let mut em = Emulator::open(&tmp.join("emulator"))
        .unwrap()
        .with_throttling(false);
    if let Some(f) = faults {
        em = em.with_faults(f);
    }
    em.seed(estate_seed(&plan_dir));
    em.seed(unrelated());
    let arm = EmulatorArm::new(&em);
    (em, arm)
}

/// A unit at the end of a relocation: its source deleted or kept for a
/// reported reason; an action (no source of its own) committed.
fn finished(r: &azrelo_orchestrate::StatusRow) -> bool {
    matches!(r.state, State::Done | State::SourceKept)
        || (r.source.is_none()
            && matches!(r.kind, UnitKind::Action(_))
            && r.state == State::Committed)
}

/// What the final state must be; returns the state (ids → type, location)
/// for comparisons between runs.
pub fn check_final_state(tmp: &Path) -> BTreeMap<String, (String, String)> {
    let plan_dir = tmp.join("plan");
    let plan = azrelo_run::PlanDir::new(&plan_dir).load_run().unwrap();
    let state = dump(&tmp.join("emulator"));
    let journal = azrelo_orchestrate::open_journal(&plan_dir).unwrap();
    let st = status(&plan, &journal).unwrap();
    let bad: Vec<String> = st
        .units
        .iter()
        .filter(|r| !finished(r))
        .map(|r| format!("{} {:?} {:?}", r.unit, r.state, r.error))
        .collect();
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    for u in &plan.units {
        let target = state.get(&u.target_id.as_str().to_ascii_lowercase());
        match u.kind {
            UnitKind::Deploy | UnitKind::DiskCopy => {
                let t = target.unwrap_or_else(|| panic!("{} missing in the target", u.target_id));
                if let Some(loc) = t.get("location").and_then(Value::as_str)
                    && loc != "global"
                {
                    assert_eq!(
                        loc.replace(' ', "").to_ascii_lowercase(),
                        "northeurope",
                        "{}",
                        u.target_id
                    );
                }
            }
            UnitKind::Reconfigure | UnitKind::Manual | UnitKind::Action(_) => {}
        }
        // Sources: deleted unless kept for a reported reason.
        if let (Some(src), UnitKind::Deploy | UnitKind::DiskCopy) = (&u.source_id, u.kind) {
            let row = st.units.iter().find(|r| r.unit == u.key.as_str()).unwrap();
            let exists = state.contains_key(&src.as_str().to_ascii_lowercase());
            match row.state {
                State::Done => assert!(!exists, "{src} should be deleted"),
                State::SourceKept => {
                    let note = row.note.clone().unwrap_or_default();
                    assert!(
                        note.contains("locked")
                            || note.contains("lock")
                            || note.contains("still used by")
                            || note.contains("still in the group"),
                        "{src} kept: {note}"
                    );
                }
                s => panic!("{src}: {s:?}"),
            }
        }
    }
    // Role assignments for recreated identities name the new principals.
    let p: Value =
        serde_json::from_slice(&std::fs::read(plan_dir.join("plan.json")).unwrap()).unwrap();
    let mut checked = 0;
    for ra in p["roleAssignments"].as_array().unwrap() {
        let id = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            ra["targetScope"].as_str().unwrap(),
            ra["targetName"].as_str().unwrap()
        );
        let body = state
            .get(&id.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("{id} missing"));
        let principal = body
            .pointer("/properties/principalId")
            .and_then(Value::as_str)
            .unwrap();
        if let Some(identity) = ra
            .pointer("/targetPrincipal/identity")
            .and_then(Value::as_str)
        {
            let ib = &state[&identity.to_ascii_lowercase()];
            let new = ib
                .pointer("/properties/principalId")
                .or_else(|| ib.pointer("/identity/principalId"))
                .and_then(Value::as_str)
                .unwrap();
            assert_eq!(
                principal, new,
                "{id} must name the new principal of {identity}"
            );
            assert_ne!(principal, ra["sourcePrincipalId"].as_str().unwrap());
            checked += 1;
        }
    }
    assert!(
        checked >= 3,
        "role assignments for new principals checked: {checked}"
    );
    // Nothing outside the plan was touched.
    for (id, body) in unrelated() {
        let got = state
            .get(&id.to_ascii_lowercase())
            .unwrap_or_else(|| panic!("{id} was deleted"));
        assert_eq!(got["properties"], body["properties"], "{id} changed");
        assert_eq!(got["tags"], body["tags"]);
    }
    // Re-configured globals now point at the targets (e.g. Defender's
    // workspace setting at the relocated workspace, DNS zone links at the
    // relocated network).
    let mut repointed = 0;
    for u in plan
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Reconfigure)
    {
        let Some(body) = state.get(&u.target_id.as_str().to_ascii_lowercase()) else {
            continue;
        };
        let text = body["properties"].to_string();
        for m in azrelo_arm::scan::find_resource_ids(&text) {
            assert!(
                plan.id_map
                    .target(m.text)
                    .is_none_or(|t| t.eq_ignore_ascii_case(m.text)),
                "{} still points at the source {}",
                u.target_id,
                m.text
            );
            if plan
                .id_map
                .iter()
                .any(|(_, t)| t.eq_ignore_ascii_case(m.text))
            {
                repointed += 1;
            }
        }
    }
    assert!(repointed >= 4, "re-pointed references: {repointed}");
    // No secret value reached the journal or the event log.
    for f in ["journal.db", "journal.db-wal", "events.jsonl"] {
        let bytes = std::fs::read(plan_dir.join(f)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for v in secrets().values() {
            let v = v.as_str().unwrap();
            assert!(!text.contains(v), "a secure parameter value is in {f}");
        }
    }
    // Sources were deleted only after their commit.
    for u in &plan.units {
        let c = journal
            .last("relocation", &format!("{}#commit", u.key))
            .unwrap();
        if let Some(d) = journal
            .last("relocation", &format!("{}#delete-source", u.key))
            .unwrap()
        {
            let c = c.expect("a cleanup without a commit");
            assert!(
                c.is_done() && c.seq < d.seq,
                "{}: cleanup before commit",
                u.key
            );
        }
    }
    state
        .iter()
        .map(|(id, b)| {
            (
                id.clone(),
                (
                    b.get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                    b.get("location")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_ascii_lowercase(),
                ),
            )
        })
        .collect()
}
