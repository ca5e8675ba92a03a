//! `azrelo report`: the HTML page and the spreadsheets of a plan directory;
//! the gates plan.md and the report count before `generate` are the gates
//! the run stops at after it; after a rehearsal the report shows the run's
//! states, closed gates and real wave durations.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::cargo_bin("azrelo")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn plan_dir(dir: &Path) {
    let (code, _, stderr) = run(&[
        "plan",
        EXAMPLE,
        "--target",
        "northeurope",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
}

/// (gate id, `before` its unit's move or `after` it) from a gates.csv.
fn gate_ids_in_csv(path: &Path) -> BTreeSet<(String, String)> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    rdr.records()
        .map(|r| {
            let r = r.unwrap();
            let when = if r[2].contains("move") && r[2].starts_with("before") {
                "before"
            } else {
                "after"
            };
            (r[1].to_string(), when.to_string())
        })
        .collect()
}

#[test]
fn report_writes_html_xlsx_and_csv() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plan");
    plan_dir(&dir);
    let d = dir.to_str().unwrap();
    let (code, stdout, stderr) = run(&["report", d]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("report.html"), "{stdout}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<svg id=\"graph\""));
    // plan.md points at it.
    let md = std::fs::read_to_string(dir.join("plan.md")).unwrap();
    assert!(md.contains("[report.html](report.html)"));

    let (code, stdout, stderr) = run(&["-o", "json", "report", d, "--format", "xlsx"]);
    assert_eq!(code, 0, "{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert!(v["files"][0].as_str().unwrap().ends_with("report.xlsx"));
    assert!(v["bytes"].as_u64().unwrap() > 5_000);
    // An xlsx file is a zip archive.
    assert!(
        std::fs::read(dir.join("report.xlsx"))
            .unwrap()
            .starts_with(b"PK")
    );

    let csv_dir = tmp.path().join("csv");
    let (code, _, stderr) = run(&[
        "report",
        d,
        "--format",
        "csv",
        "--out",
        csv_dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    for f in [
        "findings.csv",
        "resources.csv",
        "checklist.csv",
        "gates.csv",
        "role-assignments.csv",
    ] {
        assert!(csv_dir.join(f).exists(), "{f}");
    }
}

#[test]
fn gates_counted_from_the_plan_are_the_gates_the_run_stops_at() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plan");
    plan_dir(&dir);
    let d = dir.to_str().unwrap();
    let before = tmp.path().join("before");
    let (code, _, stderr) = run(&[
        "report",
        d,
        "--format",
        "csv",
        "--out",
        before.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let planned = gate_ids_in_csv(&before.join("gates.csv"));
    let md = std::fs::read_to_string(dir.join("plan.md")).unwrap();
    assert!(
        md.contains(&format!("| Gates the run stops at | {} (", planned.len())),
        "{md}"
    );

    let (code, _, stderr) = run(&["generate", d]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = run(&["-o", "json", "gate", "list", d]);
    assert_eq!(code, 0, "{stderr}");
    let listed: BTreeSet<(String, String)> = serde_json::from_str::<Value>(&stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let when = if g["beforeMove"].as_bool().unwrap() {
                "before"
            } else {
                "after"
            };
            (g["id"].as_str().unwrap().to_string(), when.to_string())
        })
        .collect();
    assert_eq!(planned, listed);
    // As many as plan.json lists (one piece of knowledge: the plan's).
    let plan: Value =
        serde_json::from_slice(&std::fs::read(dir.join("plan.json")).unwrap()).unwrap();
    assert_eq!(planned.len(), plan["gates"].as_array().unwrap().len());
    assert!(planned.len() > 13, "manual scenario steps are gates too");

    // After generate, the report reads the run's own gate list.
    let after = tmp.path().join("after");
    let (code, _, stderr) = run(&[
        "report",
        d,
        "--format",
        "csv",
        "--out",
        after.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(gate_ids_in_csv(&after.join("gates.csv")), listed);
}

#[test]
fn after_a_rehearsal_the_report_shows_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("rehearsal");
    let d = dir.to_str().unwrap();
    let (code, stdout, stderr) = run(&["rehearse", EXAMPLE, "--target", "northeurope", "--out", d]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let (code, _, stderr) = run(&["report", d]);
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("run state from the journal"));
    // Every gate was closed on the operator's behalf.
    let plan: Value =
        serde_json::from_slice(&std::fs::read(dir.join("plan.json")).unwrap()).unwrap();
    let n = plan["gates"].as_array().unwrap().len();
    assert!(
        html.contains(&format!("gates {n} closed of {n}")),
        "gate states"
    );
    // Real wave spans from events.jsonl next to the planned ones.
    assert!(html.contains(" · real "), "real durations");
    let (code, _, stderr) = run(&["report", d, "--format", "csv"]);
    assert_eq!(code, 0, "{stderr}");
    let mut rdr = csv::Reader::from_path(dir.join("report-csv/resources.csv")).unwrap();
    let states: BTreeSet<String> = rdr.records().map(|r| r.unwrap()[11].to_string()).collect();
    assert!(
        states.iter().any(|s| s == "committed" || s == "done"),
        "{states:?}"
    );
}

#[test]
fn report_of_a_directory_without_a_plan_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run(&["report", tmp.path().to_str().unwrap()]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("plan.json") && stderr.contains("azrelo plan --out"),
        "{stderr}"
    );
}
