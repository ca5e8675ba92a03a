//! The embedded snapshots are exactly what the run-time parsers produce from
//! the raw ARM bodies in `../shared/data` (see `crates/arm/data/README.md`).

use azrelo_arm::availability::{Availability, PROVIDERS_SNAPSHOT, SnapshotDate};
use azrelo_arm::region::Regions;

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");
const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

fn read(path: String) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn embedded_providers_snapshot_is_the_parsed_arm_body() {
    let raw = read(format!("{SHARED}/providers.json"));
    let parsed =
        Availability::from_providers_response(&raw, "2023-11".parse::<SnapshotDate>().unwrap())
            .unwrap();
    let regenerated = parsed.to_snapshot(PROVIDERS_SNAPSHOT);
    let embedded = String::from_utf8(read(format!("{DATA}/providers.snapshot"))).unwrap();
    assert!(
        regenerated == embedded,
        "crates/arm/data/providers.snapshot is stale: regenerate it with the refresh_snapshots example (data/README.md)"
    );
    assert!(parsed.same_facts(Availability::embedded()));
    assert_eq!(Availability::embedded().source(), Some(PROVIDERS_SNAPSHOT));
    assert!(
        embedded.len() < 400 * 1024,
        "the compact snapshot stays small: {} bytes",
        embedded.len()
    );
}

#[test]
fn embedded_locations_are_the_arm_body() {
    let raw = read(format!("{SHARED}/locations.json"));
    let embedded = read(format!("{DATA}/locations.json"));
    assert!(
        raw == embedded,
        "crates/arm/data/locations.json differs from ../shared/data/locations.json"
    );
    let parsed = Regions::from_locations_response(&raw).unwrap();
    assert_eq!(parsed.all(), Regions::embedded().all());
}
