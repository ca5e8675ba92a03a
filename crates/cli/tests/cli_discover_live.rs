//! `azrelo discover --subscription …`: live discovery against the emulator
//! (served in-process, seeded with the example estate as `azrelo emulator
//! serve --seed` does) writes the same estate as file discovery.

mod common;

use azrelo_emulator::Emulator;
use azrelo_testkit::{Background, Transport};
use std::collections::BTreeMap;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");
const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

use common::azrelo;

/// Serve an emulator seeded with the example on a background runtime.
fn emulator(em: Emulator) -> Background {
    let files = azrelo_testkit::example_files();
    let estate =
        azrelo_estate::load_inputs(&files, &azrelo_estate::LoadOptions::default()).unwrap();
    em.seed(azrelo_estate::arm_shape::arm_bodies(&estate));
    Background::start(em, Transport::Http)
}

/// What live discovery reads that exported files do not hold: settings
/// every vault and subscription has and the containers of a vault's items
/// (read for the Backup and Defender procedures).
fn service_default(k: &str) -> bool {
    (k.contains("/backupfabrics/azure/protectioncontainers/") && !k.contains("/protecteditems/"))
        || k.ends_with("/backupstorageconfig/vaultstorageconfig")
        || k.ends_with("/backupconfig/vaultconfig")
        || ["defaultpolicy", "enhancedpolicy", "hourlylogbackup"]
            .iter()
            .any(|p| k.ends_with(&format!("/backuppolicies/{p}")))
        || k.ends_with("/providers/microsoft.security/autoprovisioningsettings/default")
}

fn resources(path: &std::path::Path) -> BTreeMap<String, (String, Option<String>)> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_ascii_lowercase(),
                (
                    r["type"].as_str().unwrap().to_ascii_lowercase(),
                    r["location"].as_str().map(str::to_string),
                ),
            )
        })
        .filter(|(k, _)| !service_default(k))
        .collect()
}

#[test]
fn live_discovery_writes_the_same_resources_as_file_discovery() {
    let served = emulator(Emulator::new());
    let url = served.endpoint.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file.json");
    let live = dir.path().join("live.json");
    azrelo()
        .args([
            "discover",
            "--from",
            EXAMPLE,
            "--out",
            file.to_str().unwrap(),
        ])
        .assert()
        .success();
    let out = azrelo()
        .args([
            "discover",
            "--subscription",
            SUB,
            "--arm-endpoint",
            &url,
            "--auth",
            "token",
            "--out",
            live.to_str().unwrap(),
            "-o",
            "json",
        ])
        .env("AZRELO_TOKEN", "emulator-token")
        .assert()
        .success()
        .get_output()
        .clone();
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The example's 68 resources, and the service defaults of its vault
    // and subscription the files do not hold.
    let defaults = |path: &std::path::Path| {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| service_default(&r["id"].as_str().unwrap().to_ascii_lowercase()))
            .count()
    };
    let extra = defaults(&live) - defaults(&file);
    assert!(
        extra >= 6,
        "vault configurations, built-in policies, containers"
    );
    // And the parents ARM lists above the children the export holds (a
    // share's `fileServices/default`, the backup vault's fabric), which
    // live discovery reads from the child collections the graph does not
    // index.
    let (mut f, l) = (resources(&file), resources(&live));
    let mut implied = 0;
    for (id, v) in &l {
        if !f.contains_key(id) && f.keys().any(|c| c.starts_with(&format!("{id}/"))) {
            f.insert(id.clone(), v.clone());
            implied += 1;
        }
    }
    assert_eq!(summary["resources"], 68 + extra + implied, "{summary}");
    assert_eq!(f, l);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("emulator-token"), "{stderr}");
}

#[test]
fn a_failing_resource_graph_is_fatal_and_named() {
    let spec = azrelo_emulator::faults::FaultSpec::parse("503=1,seed=1").unwrap();
    let served = emulator(Emulator::new().with_faults(spec));
    let url = served.endpoint.clone();
    let out = azrelo()
        .args([
            "discover",
            "--subscription",
            SUB,
            "--arm-endpoint",
            &url,
            "--auth",
            "token",
            "--token",
            "t",
            "--max-retries",
            "1",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Resource Graph") && stderr.contains("ServiceUnavailable"),
        "{stderr}"
    );
    assert!(stderr.contains("x-ms-client-request-id"), "{stderr}");
}

#[test]
fn connection_flags_are_checked_before_any_call() {
    // --auth token without a token.
    let out = azrelo()
        .args([
            "discover",
            "--subscription",
            SUB,
            "--arm-endpoint",
            "http://127.0.0.1:9",
            "--auth",
            "token",
        ])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--auth token needs --token"));
    // Bearer tokens never travel in clear text beyond loopback.
    let out = azrelo()
        .args([
            "discover",
            "--subscription",
            SUB,
            "--arm-endpoint",
            "http://arm.example.com",
            "--auth",
            "token",
            "--token",
            "t",
        ])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("clear text"));
    // Files and live discovery are exclusive; one of them is needed.
    azrelo()
        .args(["discover", "--from", EXAMPLE, "--subscription", SUB])
        .assert()
        .code(2);
    azrelo().args(["discover"]).assert().code(2);
    // Sovereign clouds by name are accepted (no call is made: bad auth input first).
    let out = azrelo()
        .args([
            "discover",
            "--subscription",
            SUB,
            "--arm-endpoint",
            "AzureChinaCloud",
            "--auth",
            "sp-secret",
            "--tenant",
            "t",
            "--client-id",
            "c",
        ])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("AZURE_CLIENT_SECRET"));
}

/// Issue #18: an unknown subscription is an error naming it, not an empty
/// estate and exit 0; an invalid resource group name is refused up front.
#[test]
fn an_unknown_subscription_or_group_name_is_an_error() {
    let served = emulator(Emulator::new());
    let url = served.endpoint.clone();
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("estate.json");
    let unknown = "11111111-2222-3333-4444-555555555555";
    let out = azrelo()
        .args([
            "discover",
            "--subscription",
            unknown,
            "--arm-endpoint",
            &url,
            "--auth",
            "token",
            "--token",
            "t",
            "--out",
            out_file.to_str().unwrap(),
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(unknown) && stderr.contains("not found") && stderr.contains(SUB),
        "{stderr}"
    );
    assert!(!out_file.exists(), "no estate is written");
    let out = azrelo()
        .args([
            "discover",
            "--subscription",
            SUB,
            "--resource-group",
            "../../x/EVIL",
            "--arm-endpoint",
            &url,
            "--auth",
            "token",
            "--token",
            "t",
        ])
        .assert()
        .code(3)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("contains '/'"));
}

/// Issue #18: without a terminal, progress is plain lines (no bar, no
/// ANSI); `--log-format json` makes every stderr line a JSON object.
#[test]
fn progress_without_a_terminal_is_lines_and_json_on_request() {
    let served = emulator(Emulator::new());
    let url = served.endpoint.clone();
    let run = |extra: &[&str]| {
        let out = azrelo()
            .args([
                "discover",
                "--subscription",
                SUB,
                "--arm-endpoint",
                &url,
                "--auth",
                "token",
                "--token",
                "t",
            ])
            .args(extra)
            .env("AZRELO_HEARTBEAT_SECS", "1")
            .assert()
            .success()
            .get_output()
            .clone();
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let text = run(&[]);
    assert!(text.contains("discover: "), "{text}");
    assert!(text.contains("discover: finished in"), "{text}");
    assert!(!text.contains('\u{1b}'), "no ANSI escapes: {text:?}");
    let json = run(&["--log-format", "json", "-v"]);
    let lines: Vec<&str> = json.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 2, "{json}");
    for l in lines {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        assert!(v["timestamp"].is_string() && v["level"].is_string(), "{l}");
    }
}
