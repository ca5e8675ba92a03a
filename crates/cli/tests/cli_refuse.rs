//! Issue #18: corruption and bad input are refused, never silently used —
//! a changed or foreign template, an emptied journal, an invalid resource
//! group mapping, a misspelt target — and gates close with who, when and
//! why; a cleanup preview is a success.

mod common;

use assert_cmd::Command;
use std::path::Path;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");

fn azrelo() -> Command {
    let mut c = common::azrelo();
    c.env("AZRELO_ARM_ENDPOINT", "http://127.0.0.1:9")
        .env("AZRELO_AUTH", "token")
        .env("AZRELO_TOKEN", "t");
    c
}

fn stderr(c: &mut Command, code: i32) -> String {
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(code), "{err}");
    err
}

fn plan_dir(dir: &Path) {
    azrelo()
        .args(["-q", "plan", EXAMPLE, "--target", "northeurope", "--out"])
        .arg(dir)
        .assert()
        .success();
    azrelo()
        .args(["-q", "generate"])
        .arg(dir)
        .assert()
        .success();
}

#[test]
fn changed_or_foreign_templates_are_refused_by_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plan");
    plan_dir(&dir);
    let t = dir.join("templates");
    assert!(t.join("SHA256SUMS").exists());
    // Untouched: status reads the run.
    azrelo().args(["-q", "status"]).arg(&dir).assert().success();
    // A template replaced by [1,2,3].
    let victim = std::fs::read_dir(&t)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.ends_with(".json") && !n.ends_with(".parameters.json") && n != "manifest.json"
        })
        .unwrap();
    let original = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, "[1,2,3]").unwrap();
    let err = stderr(azrelo().args(["status"]).arg(&dir), 3);
    let name = victim.file_name().unwrap().to_string_lossy().into_owned();
    assert!(err.contains(&name) && err.contains("changed"), "{err}");
    std::fs::write(&victim, original).unwrap();
    // A foreign template beside the generated ones.
    std::fs::write(t.join("extra.json"), "{}").unwrap();
    let err = stderr(azrelo().args(["status"]).arg(&dir), 3);
    assert!(
        err.contains("extra.json") && err.contains("foreign"),
        "{err}"
    );
    std::fs::remove_file(t.join("extra.json")).unwrap();
    azrelo().args(["-q", "status"]).arg(&dir).assert().success();
}

#[test]
fn an_emptied_journal_is_not_a_fresh_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plan");
    plan_dir(&dir);
    // A run's journal, then emptied.
    azrelo()
        .args([
            "-q",
            "gate",
            "done",
            "--all",
            "--note",
            "checked by hand",
            "--by",
            "ops-1",
        ])
        .arg(&dir)
        .assert()
        .success();
    let out = azrelo()
        .args(["-o", "json", "gate", "list"])
        .arg(&dir)
        .output()
        .unwrap();
    let gates: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = gates.as_array().unwrap();
    // Before a move, every gate closes; after one, only once its resource
    // has moved (here, none has): those stay open.
    assert!(
        list.iter()
            .filter(|g| g["beforeMove"] == true)
            .all(|g| g["closed"] == true),
        "{gates}"
    );
    let waiting: Vec<&serde_json::Value> = list.iter().filter(|g| g["closed"] == false).collect();
    assert!(waiting.iter().all(|g| g["beforeMove"] == false), "{gates}");
    for g in list.iter().filter(|g| g["closed"] == true) {
        assert_eq!(g["closedBy"], "ops-1", "{g}");
        assert_eq!(g["note"], "checked by hand", "{g}");
        assert!(g["closedAt"].is_string(), "{g}");
    }
    // Closing one of them by id is refused, naming why; nothing closes.
    let first = waiting
        .first()
        .expect("the example has gates after a move (final syncs)");
    let id = first["id"].as_str().unwrap();
    let err = stderr(azrelo().args(["gate", "done"]).arg(&dir).arg(id), 3);
    // miette wraps the message: words, without its frame.
    let flat = err
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains(id)
            && flat.contains("has not moved yet")
            && flat.contains("nothing was closed"),
        "{err}"
    );
    // Who and why are in the journal.
    let db = rusqlite::Connection::open(dir.join("journal.db")).unwrap();
    let body: String = db
        .query_row(
            "SELECT body FROM records WHERE step LIKE 'gate#%' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        body.contains("ops-1") && body.contains("checked by hand"),
        "{body}"
    );
    drop(db);
    // Gate ids paste into a shell: no ';'.
    assert!(
        gates
            .as_array()
            .unwrap()
            .iter()
            .all(|g| !g["id"].as_str().unwrap().contains(';'))
    );
    for f in ["journal.db-wal", "journal.db-shm"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    std::fs::write(dir.join("journal.db"), b"").unwrap();
    let err = stderr(azrelo().args(["status"]).arg(&dir), 1);
    assert!(
        err.contains("empty") && err.contains("restore it from a backup"),
        "{err}"
    );
}

#[test]
fn invalid_group_maps_and_misspelt_targets_are_refused() {
    let err = stderr(
        azrelo().args([
            "plan",
            EXAMPLE,
            "--target",
            "northeurope",
            "--resource-group-map",
            "rg-shop-app=../../x/EVIL",
        ]),
        3,
    );
    assert!(err.contains("contains '/'"), "{err}");
    let err = stderr(
        azrelo().args(["plan", EXAMPLE, "--target", "northeurop"]),
        3,
    );
    assert!(err.contains("did you mean northeurope"), "{err}");
}

/// Issue #18: a missing secure parameter is found before the first write
/// (exit 5, as for any step the operator owes), not minutes into a run.
#[test]
fn missing_secure_parameters_stop_apply_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plan");
    plan_dir(&dir);
    let t = std::time::Instant::now();
    let err = stderr(azrelo().args(["apply"]).arg(&dir), 5);
    assert!(
        err.contains("connectionString") && err.contains("nothing was"),
        "{err}"
    );
    assert!(t.elapsed() < std::time::Duration::from_secs(30));
    // Nothing started: there is nothing to resume.
    stderr(azrelo().args(["resume"]).arg(&dir), 3);
}
