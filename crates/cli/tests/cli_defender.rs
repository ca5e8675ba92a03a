//! `azrelo defender servers assess|apply`: reports, exit codes, and apply
//! against the in-process emulator (first run changes, second run and
//! validate-only change nothing).

mod common;

use serde_json::{Value, json};
use std::path::PathBuf;

use common::azrelo;

fn fleet() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../defender/tests/fixtures/contoso-fleet")
        .display()
        .to_string()
}

#[test]
fn assess_reports_verdicts_and_exits_4_on_blockers() {
    let out = azrelo()
        .args(["defender", "servers", "assess", &fleet()])
        .assert()
        .code(4)
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        // Default plan: keep the enabled one (subscription A's Plan 1).
        text.contains("15 machines: 5 ready, 3 ready after apply, 3 need a manual step, 4 blocked"),
        "{text}"
    );
    assert!(text.contains("arc-old-03"));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("4 machine(s) blocked"), "{err}");
}

#[test]
fn assess_json_markdown_and_report_file() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("servers.md");
    let out = azrelo()
        .args([
            "defender",
            "servers",
            "assess",
            &fleet(),
            "-o",
            "json",
            "--plan",
            "p1",
            "--report",
        ])
        .arg(&report)
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["schema"], "azrelo.defender-servers/v2");
    assert_eq!(v["plan"], "P1");
    assert_eq!(v["summary"]["machines"], 15);
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.starts_with("# Servers: Defender for Endpoint → Defender for Cloud"),
        "{md}"
    );
    assert!(md.contains("| arc-old-03 | arc-on-prem | Windows Server 2008 R2 | **blocked** |"));
    // --render markdown on stdout.
    let out = azrelo()
        .args([
            "defender",
            "servers",
            "assess",
            &fleet(),
            "--render",
            "markdown",
        ])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("## Procedure (catalog scenario `defender-endpoint-to-cloud`)")
    );
    // A document and -o cannot both win; the old --format says what replaced it.
    for extra in [
        &["--render", "markdown", "-o", "json"][..],
        &["--format", "json"],
    ] {
        let out = azrelo()
            .args(["defender", "servers", "assess", &fleet()])
            .args(extra)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let err = String::from_utf8(out).unwrap();
        assert!(err.contains("--render"), "{extra:?}: {err}");
    }
}

#[test]
fn assess_bad_inputs_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("devices.csv");
    std::fs::write(&csv, "Foo,Bar\n1,2\n").unwrap();
    let out = azrelo()
        .args(["defender", "servers", "assess"])
        .arg(&csv)
        .assert()
        .code(3)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(err.contains("no device name column"), "{err}");
    azrelo()
        .args(["defender", "servers", "assess", "/nonexistent/fleet.json"])
        .assert()
        .code(3);
    // No input and no subscription: usage error.
    azrelo()
        .args(["defender", "servers", "assess"])
        .assert()
        .code(2);
}

const SUB: &str = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";

/// An emulator on 127.0.0.1:0 with a fresh subscription (Free plan, nothing
/// set) holding one Linux VM; served while the handle lives.
fn emulator() -> azrelo_testkit::Background {
    let em = azrelo_emulator::Emulator::new();
    em.seed([(
        format!("/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-lnx-01"),
        json!({"name": "vm-lnx-01", "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
               "properties": {"storageProfile": {"osDisk": {"osType": "Linux"},
                              "imageReference": {"offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2"}},
                              "osProfile": {"computerName": "vm-lnx-01"}}}),
    )]);
    azrelo_testkit::Background::start(em, azrelo_testkit::Transport::Http)
}

fn apply(endpoint: &str, journal: &std::path::Path, extra: &[&str]) -> Value {
    let out = azrelo()
        .args([
            "defender",
            "servers",
            "apply",
            "--subscription",
            SUB,
            "--arm-endpoint",
            endpoint,
        ])
        .args(["--auth", "token", "-o", "json", "--journal"])
        .arg(journal)
        .args(extra)
        .env("AZRELO_TOKEN", "test-token")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

fn steps(v: &Value) -> Vec<String> {
    let mut s: Vec<String> = v["apply"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["step"].as_str().unwrap().to_string())
        .collect();
    s.sort();
    s
}

#[test]
fn apply_against_the_emulator_is_idempotent_and_validate_only_changes_nothing() {
    let served = emulator();
    let endpoint = served.endpoint.clone();
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.sqlite");

    let dry = apply(&endpoint, &journal, &["--validate-only"]);
    assert!(!journal.exists(), "validate-only opens no journal");
    let expected = [
        "pricing/VirtualMachines",
        "settings/WDATP",
        "settings/WDATP_UNIFIED_SOLUTION",
        "vulnerability-assessment/AzureServersSetting",
    ];
    assert_eq!(steps(&dry), expected);
    assert!(
        dry["apply"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "would-apply")
    );
    // Still the same after the dry run.
    assert_eq!(
        steps(&apply(&endpoint, &journal, &["--validate-only"])),
        expected
    );

    let first = apply(&endpoint, &journal, &[]);
    assert_eq!(steps(&first), expected);
    assert!(
        first["apply"]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["outcome"] == "applied")
    );
    assert!(
        first["apply"]["run"]
            .as_str()
            .unwrap()
            .starts_with("defender-servers/")
    );
    assert!(journal.exists());
    assert_eq!(first["assessment"]["summary"]["ready"], 1);

    let second = apply(&endpoint, &journal, &[]);
    assert!(steps(&second).is_empty(), "{second}");
    assert_eq!(second["apply"]["unchanged"].as_array().unwrap().len(), 5);

    // Live assessment of the same subscription: every prerequisite now holds.
    let out = azrelo()
        .args([
            "defender",
            "servers",
            "assess",
            "--subscription",
            SUB,
            "--arm-endpoint",
            &endpoint,
        ])
        .args(["--auth", "token", "-o", "json"])
        .env("AZRELO_TOKEN", "test-token")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let live: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(live["summary"]["ready"], 1, "{live}");
    assert_eq!(live["machines"][0]["name"], "vm-lnx-01");
    assert_eq!(live["machines"][0]["deploy"], "MDE.Linux");
    assert!(
        live["prerequisites"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "ok"),
        "{live}"
    );

    // Live plus a device export: the device list joins the live fleet.
    let csv = dir.path().join("devices.csv");
    std::fs::write(
        &csv,
        "Device Name,OS Platform,OS Distribution,OS Version,Health Status\n\
         vm-lnx-01,Linux,Ubuntu,22.4,Active\n\
         onprem-db-07,WindowsServer2016,,1607,Active\n",
    )
    .unwrap();
    let out = azrelo()
        .args([
            "defender",
            "servers",
            "assess",
            "--subscription",
            SUB,
            "--arm-endpoint",
            &endpoint,
        ])
        .args(["--auth", "token", "-o", "json"])
        .arg(&csv)
        .env("AZRELO_TOKEN", "test-token")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let mixed: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        mixed["devicesWithoutMachine"],
        json!(["onprem-db-07"]),
        "{mixed}"
    );
    // The on-premises device needs Arc: a manual step, named.
    assert_eq!(mixed["summary"]["needsManual"], 1, "{mixed}");
    let db = mixed["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "onprem-db-07")
        .unwrap();
    assert_eq!(db["manualSteps"], json!(["onprem-connect-arc"]), "{db}");

    // The table output says the same.
    let out = azrelo()
        .args([
            "defender",
            "servers",
            "apply",
            "--subscription",
            SUB,
            "--arm-endpoint",
            &endpoint,
        ])
        .args(["--auth", "token", "--validate-only"])
        .env("AZRELO_TOKEN", "test-token")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("would change 0, already in place 5"),
        "{text}"
    );
}
