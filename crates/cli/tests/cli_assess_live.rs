//! `azrelo assess --live` (executor `quota-check`): the target
//! subscription's VM sizes, quotas and provider registrations read from ARM
//! (the emulator, with a quota limit and a restricted size configured)
//! replace "quota unknown" with figures and blockers.

mod common;

use azrelo_emulator::Emulator;
use azrelo_testkit::{Background, Transport};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");

use common::azrelo;

fn emulator(em: Emulator) -> Background {
    let files = azrelo_testkit::example_files();
    let estate =
        azrelo_estate::load_inputs(&files, &azrelo_estate::LoadOptions::default()).unwrap();
    em.seed(azrelo_estate::arm_shape::arm_bodies(&estate));
    Background::start(em, Transport::Http)
}

fn findings(v: &serde_json::Value) -> Vec<(String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn assess_live_reads_quota_and_sizes_of_the_target() {
    let served = emulator(
        Emulator::new()
            .with_quota_limit("swedencentral", "cores", 6)
            .with_sku_restriction("swedencentral", "Standard_D4s_v5"),
    );
    let offline = azrelo()
        .args(["assess", EXAMPLE, "-t", "swedencentral", "-o", "json"])
        .output()
        .unwrap();
    let offline: serde_json::Value = serde_json::from_slice(&offline.stdout).unwrap();
    assert!(findings(&offline).iter().any(|(c, _)| c == "quota-unknown"));

    let out = azrelo()
        .args([
            "assess",
            EXAMPLE,
            "-t",
            "swedencentral",
            "--live",
            "--arm-endpoint",
            &served.endpoint,
            "--auth",
            "token",
            "-o",
            "json",
        ])
        .env("AZRELO_TOKEN", "emulator-token")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "blockers: exit code 4");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = findings(&v);
    assert!(!f.iter().any(|(c, _)| c == "quota-unknown"), "{f:?}");
    // The three VMs need 2 + 2 + 4 vCPUs; the region allows 6.
    assert!(
        f.iter()
            .any(|(c, m)| c == "quota-insufficient" && m.contains("needs 8, 6 are left")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(c, m)| c == "sku-restricted" && m.contains("Standard_D4s_v5")),
        "{f:?}"
    );
    assert!(
        f.iter()
            .any(|(c, m)| c == "quota" && m.contains("Total regional vCPUs: 8 needed, 0 of 6 used")),
        "{f:?}"
    );
}
