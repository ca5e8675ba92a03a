//! Shared test bed of the orchestrator's tests: the example estate planned
//! and generated into a plan directory and an in-process `Arm` over the
//! emulator (both from `azrelo-testkit`), an emulator seeded with the
//! example in its source region, the operator's whole relocation and the
//! final-state check.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use azrelo_emulator::Emulator;
use azrelo_orchestrate::{
    CrashHook, Engine, EngineError, Options, RowOutcome, State, UnitKind, close_gates, status,
};
use serde_json::{Value, json};

pub use azrelo_testkit::example::EXAMPLE_SUB as SUB;

pub use azrelo_testkit::InProcessArm as EmulatorArm;
pub use azrelo_testkit::example::{dump, estate_seed, make_plan_dir, secrets};

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
    drive_checked(dir, arm, hook, parallelism, true).await
}

/// [`drive_with`]; `preview_knows` false when the source holds what the
/// inputs do not (the preview cannot foresee ARM's refusals then).
pub async fn drive_checked(
    dir: &Path,
    arm: EmulatorArm,
    hook: Arc<CrashHook>,
    parallelism: usize,
    preview_knows: bool,
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
        // Complete, the run may still list gates after a move (a final
        // sync, a cut-over): they become closable once their resource has
        // moved, and the commit needs them closed.
        if r.complete() && r.open_gates.is_empty() {
            break;
        }
        assert!(
            !r.open_gates.is_empty(),
            "stuck without an open gate: {r:?}"
        );
        close_gates(&engine.plan, engine.journal(), &r.open_gates)?;
    }
    let rows = engine.commit(&[]).await?;
    assert!(
        rows.iter().all(|r| r.outcome == RowOutcome::Committed),
        "{rows:?}"
    );
    // The preview lists exactly what the confirmed run then does.
    let preview = engine.cleanup_source(&[], false).await?;
    let rows = engine.cleanup_source(&[], true).await?;
    let as_done = |o: RowOutcome| match o {
        RowOutcome::WouldDelete => RowOutcome::Deleted,
        RowOutcome::WouldKeep => RowOutcome::Kept,
        o => o,
    };
    let mut expected: Vec<(String, &str)> = preview
        .iter()
        .map(|r| (r.unit.clone(), as_done(r.outcome).as_str()))
        .collect();
    let mut got: Vec<(String, &str)> = rows
        .iter()
        .map(|r| (r.unit.clone(), r.outcome.as_str()))
        .collect();
    expected.sort();
    got.sort();
    if preview_knows {
        assert_eq!(got, expected, "the preview differs from the confirmed run");
    }
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
            // Owned: created by the owner (or a service), verified by the run.
            UnitKind::Reconfigure | UnitKind::Manual | UnitKind::Action(_) | UnitKind::Owned => {}
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
