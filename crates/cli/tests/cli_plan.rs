//! `azrelo assess` and `azrelo plan` on the built-in example estate:
//! snapshots of the human-facing output (assessment table, plan.md), the
//! plan.json contract, determinism, exit codes and bad input.

mod common;

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

/// A small estate with a real blocker: a PostgreSQL Single Server (Resource
/// Graph rows), a retired offer no region accepts any more.
const RETIRED_PG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/retired-pg");

#[test]
fn assess_prints_findings() {
    // Sweden Central is outside West Europe's geography: the key vault's
    // contents move by export/import (a warning that says so), nothing
    // blocks.
    let (code, stdout, stderr) = run(&["assess", EXAMPLE, "--target", "swedencentral"]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("assess_contoso_swedencentral", stdout);
}

#[test]
fn assess_exits_4_on_blockers() {
    let (code, stdout, stderr) = run(&["assess", RETIRED_PG, "--target", "swedencentral"]);
    assert_eq!(code, 4, "{stdout}\n{stderr}");
    assert!(stderr.contains("blocker"), "{stderr}");
    assert!(
        stdout.contains("pg-single-server-retired") && stdout.contains("blocker"),
        "{stdout}"
    );
}

#[test]
fn assess_json_has_stable_fields() {
    let (code, stdout, _) = run(&["assess", EXAMPLE, "-t", "Sweden Central", "-o", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["target"], "swedencentral");
    let findings = v["findings"].as_array().unwrap();
    // Key Vault backups do not restore across geographies: a warning
    // naming the export/import path the plan uses instead.
    assert!(findings.iter().any(|f| {
        f["code"] == "keyvault-backup-cross-geography"
            && f["severity"] == "warning"
            && f["message"]
                .as_str()
                .is_some_and(|m| m.contains("keyvault-export-import"))
    }));
    for f in findings {
        for key in ["severity", "code", "message", "remediation"] {
            assert!(f.get(key).is_some(), "{f}");
        }
    }
    let (code, stdout, _) = run(&["assess", RETIRED_PG, "-t", "swedencentral", "-o", "json"]);
    assert_eq!(code, 4);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "pg-single-server-retired" && f["severity"] == "blocker"),
        "{v}"
    );
}

#[test]
fn a_key_vault_across_geographies_moves_by_export_import() {
    // The data mover is chosen per move from the catalog's data
    // (`data_mover_when`): backup/restore within the geography,
    // export/import across it; the data-copy gate names the chosen one.
    let mover = |target: &str| {
        let (code, stdout, stderr) = run(&["plan", EXAMPLE, "-t", target, "-o", "json"]);
        assert_eq!(code, 0, "{stderr}");
        let plan: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let vault = plan["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["type"] == "Microsoft.KeyVault/vaults")
            .cloned()
            .unwrap();
        let gate = plan["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| {
                g["resource"] == vault["sourceId"]
                    && g["id"].as_str().unwrap().starts_with("start-data-copy")
            })
            .cloned()
            .unwrap_or_else(|| panic!("no data-copy gate for the vault: {}", plan["gates"]));
        (vault["dataMover"].clone(), gate["instruction"].clone())
    };
    let (m, gate) = mover("swedencentral");
    assert_eq!(m, "keyvault-export-import");
    let gate = gate.as_str().unwrap();
    assert!(
        gate.contains("keyvault-export-import") && gate.contains("PFX"),
        "{gate}"
    );
    let (m, gate) = mover("northeurope");
    assert_eq!(m, "keyvault-backup-restore");
    assert!(gate.as_str().unwrap().contains("keyvault-backup-restore"));
}

#[test]
fn same_geography_target_has_no_blockers() {
    // North Europe is West Europe's pair, in the same geography: Key Vault
    // backup/restore works, so nothing blocks.
    let (code, stdout, stderr) = run(&["assess", EXAMPLE, "--target", "northeurope"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("0 blocker(s)"), "{stdout}");
}

#[test]
fn plan_writes_plan_json_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plan");
    let (code, stdout, stderr) = run(&[
        "plan",
        EXAMPLE,
        "--target",
        "swedencentral",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("Plan westeurope → swedencentral"),
        "{stdout}"
    );
    let json = std::fs::read_to_string(out.join("plan.json")).unwrap();
    let plan: azrelo_plan::Plan = serde_json::from_str(&json).unwrap();
    assert_eq!(plan.schema, azrelo_plan::SCHEMA);
    assert!(plan.summary.waves >= 6);
    let md = std::fs::read_to_string(out.join("plan.md")).unwrap();
    insta::assert_snapshot!("plan_md_contoso_swedencentral", md);
    // No temporary files are left behind.
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names.len(),
        4,
        "plan.json, plan.md, report.html, estate.json: {names:?}"
    );
    // The change board's page is written with the plan and named.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"));
    assert!(
        stdout.contains(&out.join("report.html").display().to_string()),
        "{stdout}"
    );
    // The same plan on stdout with -o json, byte for byte, and deterministic.
    let (_, a, _) = run(&["plan", EXAMPLE, "-t", "swedencentral", "-o", "json"]);
    let (_, b, _) = run(&["plan", EXAMPLE, "-t", "swedencentral", "-o", "json"]);
    assert_eq!(a, b);
    assert_eq!(a, json);
}

#[test]
fn plan_never_contains_secrets() {
    let (_, stdout, _) = run(&["plan", EXAMPLE, "-t", "swedencentral", "-o", "json"]);
    // The example carries an Event Hubs connection string (Defender
    // continuous export) and a Logic App trigger URL with a SAS signature;
    // neither may surface in a plan.
    for needle in ["AccountKey=", "SharedAccessKey=", "sig="] {
        assert!(!stdout.contains(needle), "{needle} leaked into the plan");
    }
}

#[test]
fn plan_bad_input_exits_3_with_a_hint() {
    let (code, _, stderr) = run(&["plan", EXAMPLE, "--target", "atlantis"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("atlantis") && stderr.contains("azrelo regions"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&[
        "plan",
        EXAMPLE,
        "-t",
        "swedencentral",
        "--include",
        "virtualMachines",
    ]);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("tag:KEY"), "{stderr}");
    let (code, _, stderr) = run(&[
        "plan",
        EXAMPLE,
        "-t",
        "swedencentral",
        "--scope",
        "not-an-id",
    ]);
    assert_eq!(code, 3, "{stderr}");
}

#[test]
fn plan_selection_and_keep_policy() {
    let (code, stdout, stderr) = run(&[
        "plan",
        EXAMPLE,
        "-t",
        "swedencentral",
        "--include",
        "Microsoft.Storage/*",
        "--dependencies",
        "keep",
        "-o",
        "json",
    ]);
    assert!(code == 0 || code == 4, "{stderr}");
    let plan: azrelo_plan::Plan = serde_json::from_str(&stdout).unwrap();
    assert!(plan.resources.iter().all(|r| {
        r.resource_type
            .to_ascii_lowercase()
            .starts_with("microsoft.storage/")
            || r.reason.kind != azrelo_plan::ReasonKind::Selected
    }));
    assert_eq!(
        plan.target.dependency_policy,
        azrelo_plan::DependencyPolicy::Keep
    );
}

/// Seed 001: stopping protection in the source vault retains the backup
/// data unless the operator says to delete it.
#[test]
fn backup_data_is_retained_unless_deletion_is_asked_for() {
    let stop_params = |extra: &[&str]| -> Vec<serde_json::Value> {
        let mut args = vec!["plan", EXAMPLE, "-t", "northeurope", "-o", "json"];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = run(&args);
        assert_eq!(code, 0, "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["executor"] == "backup-stop-protection")
            .map(|a| a["params"]["deleteBackupData"].clone())
            .collect()
    };
    let retained = stop_params(&[]);
    assert!(!retained.is_empty());
    assert!(retained.iter().all(|d| d == false));
    let deleted = stop_params(&["--delete-backup-data"]);
    assert_eq!(deleted.len(), retained.len());
    assert!(deleted.iter().all(|d| d == true));
}
