//! Capacity of a target subscription read live (executor `quota-check`):
//! SKUs with restrictions and zones, compute and network usages, provider
//! registration — against the emulator seeded with the example estate.

use azrelo_client::{ArmClient, ClientOptions, Tuning};
use azrelo_emulator::Emulator;
use azrelo_estate::{LoadOptions, load_inputs};
use azrelo_testkit::{Served, Transport};
use serde_json::Value;
use std::path::PathBuf;

const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

fn seeded(em: Emulator) -> Emulator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/contoso-shop");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let estate = load_inputs(&files, &LoadOptions::default()).unwrap();
    em.seed(azrelo_estate::arm_shape::arm_bodies(&estate));
    em
}

#[tokio::test]
async fn skus_usages_and_providers_are_read_as_arm_answers_them() {
    let em = seeded(
        Emulator::new()
            .with_quota_limit("westeurope", "cores", 10)
            .with_sku_restriction("westeurope", "Standard_D2s_v5"),
    );
    let served = Served::start(em, Transport::Http).await;
    let o = ClientOptions::emulator(&served.endpoint, "capacity-test", None);
    let c = ArmClient::with_tuning(
        o,
        Tuning {
            time_scale: 0.01,
            ..Tuning::default()
        },
    )
    .unwrap();
    let (a, failures) = azrelo_live::capacity::capacity(
        &c,
        SUB,
        "West Europe",
        &[
            "Microsoft.Compute".into(),
            "Microsoft.NoSuchProvider".into(),
        ],
    )
    .await;
    assert!(failures.is_empty(), "{failures:?}");
    let d2 = a
        .skus
        .iter()
        .find(|s| s["name"] == "Standard_D2s_v5")
        .expect("D2s_v5 listed");
    assert_eq!(
        d2["restrictions"][0]["reasonCode"],
        "NotAvailableForSubscription"
    );
    assert!(
        d2["locationInfo"][0]["zones"]
            .as_array()
            .is_some_and(|z| !z.is_empty())
    );
    // Only the region asked for.
    assert!(a.skus.iter().all(|s| s["locations"][0] == "westeurope"));
    let cores = a
        .usages
        .iter()
        .find(|u| u["name"]["value"] == "cores")
        .expect("cores usage");
    // The example's three VMs: 2 + 2 + 4 vCPUs.
    assert_eq!(cores["currentValue"].as_u64(), Some(8));
    assert_eq!(cores["limit"].as_u64(), Some(10));
    assert!(
        a.usages
            .iter()
            .any(|u| u["name"]["value"] == "PublicIPAddresses"),
        "network usages are read too"
    );
    let ns: Vec<&str> = a
        .providers
        .iter()
        .filter_map(|p| p["namespace"].as_str())
        .collect();
    assert_eq!(ns, ["Microsoft.Compute"], "an unknown namespace is skipped");
    assert_eq!(
        a.providers[0]["registrationState"],
        Value::from("Registered")
    );
}
