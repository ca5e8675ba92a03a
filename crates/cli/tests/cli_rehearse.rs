//! `azrelo rehearse`: the whole relocation of the example estate on the
//! in-process emulator, as a process — exit codes, the human summary
//! (snapshot, volatile fields redacted), the `-o json` contract, that every
//! planned resource ends committed (read back with `azrelo status`), that the
//! artifacts a real run leaves are written, and that blockers stop the
//! rehearsal before anything moves (exit 4, like `azrelo plan`).

mod common;

use serde_json::Value;
use std::path::Path;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");

use common::azrelo;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = azrelo().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Durations (`4.1s`) become `[t]`; in a table row the padding before the
/// closing border is adjusted so the row keeps its width.
fn redact_times(text: &str) -> String {
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut s = String::new();
        let mut i = 0;
        while i < chars.len() {
            let start = i;
            let mut j = i;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            let preceded_ok = start == 0 || !chars[start - 1].is_alphanumeric();
            if preceded_ok
                && j > start
                && j + 2 < chars.len() + 1
                && chars.get(j) == Some(&'.')
                && chars.get(j + 1).is_some_and(|c| c.is_ascii_digit())
                && chars.get(j + 2) == Some(&'s')
                && chars.get(j + 3).is_none_or(|c| !c.is_alphanumeric())
            {
                s.push_str("[t]");
                i = j + 3;
            } else {
                s.push(chars[i]);
                i += 1;
            }
        }
        let (old, new) = (chars.len(), s.chars().count());
        if old != new && s.ends_with('│') {
            let body: String = s.chars().take(new - 1).collect();
            let trimmed = body.trim_end();
            let pad = old - 1 - trimmed.chars().count();
            s = format!("{trimmed}{}│", " ".repeat(pad));
        }
        out.push(s);
    }
    out.join("\n")
}

fn status_units(dir: &Path) -> Vec<Value> {
    let (code, stdout, stderr) = run(&["-o", "json", "status", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    v["units"].as_array().unwrap().clone()
}

#[test]
fn rehearse_contoso_moves_commits_and_cleans_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rehearsal");
    let d = dir.to_str().unwrap();
    let (code, stdout, stderr) = run(&["rehearse", EXAMPLE, "--target", "northeurope", "--out", d]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    // Every file a real relocation leaves behind, plus the report.
    for f in [
        "estate.json",
        "plan.json",
        "plan.md",
        "templates/manifest.json",
        "journal.db",
        "events.jsonl",
        "rehearsal.md",
        "rehearsal.json",
        "report.html",
    ] {
        assert!(dir.join(f).exists(), "{f} missing");
    }
    // Only what the rehearsal writes is there (a second run replaces it).
    for e in std::fs::read_dir(&dir).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().to_string();
        assert!(
            [
                "estate.json",
                "plan.json",
                "plan.md",
                "templates",
                "events.jsonl",
                "rehearsal.md",
                "rehearsal.json",
                "report.html"
            ]
            .contains(&n.as_str())
                || n.starts_with("journal.db"),
            "unexpected file {n}"
        );
    }

    // Every planned resource is committed, and its source deleted or kept
    // for a stated reason; the journal (read by `azrelo status`) says so.
    let plan: Value =
        serde_json::from_slice(&std::fs::read(dir.join("plan.json")).unwrap()).unwrap();
    let units = status_units(&dir);
    for u in &units {
        let state = u["state"].as_str().unwrap();
        // An action of the plan (a backup re-protection, …) has no source
        // of its own: it ends committed.
        let action = u.get("source").is_none() && state == "committed";
        assert!(state == "done" || state == "source-kept" || action, "{u}");
    }
    let unit_ids: std::collections::HashSet<String> = units
        .iter()
        .map(|u| u["unit"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    // Resources an action relocates (backup items re-protected in the
    // target vault) are no unit of their own.
    let replaced: std::collections::HashSet<String> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["replaces"].as_array().cloned().unwrap_or_default())
        .map(|id| id.as_str().unwrap().to_ascii_lowercase())
        .collect();
    for a in plan["actions"].as_array().unwrap() {
        let key = a["key"].as_str().unwrap().to_ascii_lowercase();
        assert!(unit_ids.contains(&key), "action {key} was not run");
    }
    for r in plan["resources"].as_array().unwrap() {
        if replaced.contains(&r["sourceId"].as_str().unwrap().to_ascii_lowercase()) {
            continue;
        }
        let target = r["targetId"].as_str().unwrap().to_ascii_lowercase();
        assert!(
            unit_ids.contains(&target),
            "planned resource {target} ({}) was not run",
            r["action"]
        );
    }

    // Each gate was closed by the rehearsal and reported with what the
    // operator does in a real run.
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("rehearsal.json")).unwrap()).unwrap();
    let gates = report["gatesClosed"].as_array().unwrap();
    assert!(!gates.is_empty());
    for g in gates {
        let line = format!("gate {}", g["id"].as_str().unwrap());
        assert!(
            stderr.lines().any(|l| l.starts_with(&line)
                && l.contains("closed by the rehearsal; in a real run the operator does this: ")),
            "{line} not reported:\n{stderr}"
        );
        assert!(!g["instruction"].as_str().unwrap().is_empty(), "{g}");
    }
    let (code, gl, _) = run(&["-o", "json", "gate", "list", d]);
    assert_eq!(code, 0);
    let gl: Value = serde_json::from_str(&gl).unwrap();
    assert!(gl.as_array().unwrap().iter().all(|g| g["closed"] == true));
    assert_eq!(gl.as_array().unwrap().len(), gates.len());
    let md = std::fs::read_to_string(dir.join("rehearsal.md")).unwrap();
    assert!(md.contains("In a real run the operator does this"), "{md}");

    // The summary's counts agree with the journal.
    let c = &report["resources"];
    assert_eq!(c["units"].as_u64().unwrap() as usize, units.len());
    assert_eq!(c["committed"], c["units"]);
    assert_eq!(c["moved"], c["units"]);
    let deleted = units
        .iter()
        .filter(|u| u["state"] == "done" && u.get("source").is_some())
        .count();
    assert_eq!(c["sourceDeleted"].as_u64().unwrap() as usize, deleted);
    assert!(deleted > 0);
    assert!(
        report["kept"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["reason"].as_str().unwrap().starts_with("locked by")),
        "a locked source is kept and says why"
    );
    assert!(report["roleAssignmentsRecreated"].as_u64().unwrap() >= 2);

    // Placeholder secrets never reach the journal's event log.
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert!(!events.contains("rehearsal-placeholder"));

    let redacted = redact_times(&stdout.replace(d, "[DIR]"));
    insta::assert_snapshot!("rehearse_contoso_northeurope", redacted);
}

#[test]
fn rehearse_json_keep_source_leaves_every_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let d = dir.to_str().unwrap();
    let (code, stdout, stderr) = run(&[
        "-o",
        "json",
        "rehearse",
        EXAMPLE,
        "-t",
        "North Europe",
        "--out",
        d,
        "--keep-source",
    ]);
    assert_eq!(code, 0, "{stderr}");
    // -o json: stdout is the summary only, stderr has no progress lines.
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(!stderr.contains("closed by the rehearsal"), "{stderr}");
    assert_eq!(v["schema"], "azrelo.rehearsal/v1");
    assert_eq!(v["target"], "northeurope");
    assert_eq!(v["sourceCleanup"], false);
    assert_eq!(v["resources"]["sourceDeleted"], 0);
    assert_eq!(v["resources"]["committed"], v["resources"]["units"]);
    assert_eq!(
        v["artifacts"]["plan"],
        dir.join("plan.json").to_str().unwrap()
    );
    // The change board's page, written after the run and named.
    assert_eq!(
        v["artifacts"]["reportHtml"],
        dir.join("report.html").to_str().unwrap()
    );
    for key in [
        "makespanMs",
        "totalMs",
        "rounds",
        "gatesClosed",
        "placeholderParameters",
    ] {
        assert!(v.get(key).is_some(), "{key} missing: {v}");
    }
    // Committed, not cleaned up.
    for u in status_units(&dir) {
        assert_eq!(u["state"], "committed", "{u}");
    }
    // Running the same command again replaces the previous rehearsal (only
    // its own files were there), with a fresh journal.
    let (code, _, stderr) = run(&[
        "-o",
        "json",
        "rehearse",
        EXAMPLE,
        "-t",
        "northeurope",
        "--out",
        d,
        "--keep-source",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("replacing the previous rehearsal"),
        "{stderr}"
    );
    for u in status_units(&dir) {
        assert_eq!(u["state"], "committed", "{u}");
    }
}

#[test]
fn rehearse_stops_at_blockers_with_exit_4_before_moving_anything() {
    // A PostgreSQL Single Server is retired: no region accepts a new one
    // (a blocker, as `azrelo plan` reports).
    let retired_pg = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/retired-pg");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("r");
    let (code, stdout, stderr) = run(&[
        "rehearse",
        retired_pg,
        "--target",
        "swedencentral",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 4, "{stdout}\n{stderr}");
    assert!(
        // The findings table (the Code column wraps at 30 characters).
        stdout.contains("pg-single-server-retired") && stdout.contains("blocker"),
        "{stdout}"
    );
    // miette wraps long lines: compare the words.
    let words = stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("nothing was moved"), "{stderr}");
    assert!(
        dir.join("plan.json").exists(),
        "the plan is kept for review"
    );
    assert!(!dir.join("journal.db").exists(), "nothing ran");
}

#[test]
fn rehearse_refuses_a_non_empty_out_dir_and_bad_flags() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
    let (code, _, stderr) = run(&[
        "rehearse",
        EXAMPLE,
        "-t",
        "northeurope",
        "--out",
        tmp.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("not empty"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
        "mine"
    );
    let (code, _, _) = run(&[
        "rehearse",
        EXAMPLE,
        "-t",
        "northeurope",
        "--latency",
        "slow",
    ]);
    assert_eq!(code, 2);
    let (code, stdout, _) = run(&["rehearse", "--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("nothing leaves this machine"), "{stdout}");
    assert!(
        stdout.contains("azrelo rehearse examples/contoso-shop"),
        "{stdout}"
    );
}
