//! Regenerate azrelo's embedded ARM snapshots (`crates/arm/data/`) from the raw
//! bodies of the two ARM APIs, with the same parsers azrelo uses at run time.
//!
//! ```text
//! cargo run -p azrelo-arm --example refresh_snapshots -- \
//!     LOCATIONS.json PROVIDERS.json AS_OF "SOURCE"
//! ```
//!
//! * `LOCATIONS.json` — body of `GET /subscriptions/{id}/locations?api-version=2022-12-01`
//!   (e.g. `az rest --url "https://management.azure.com/subscriptions/{id}/locations?api-version=2022-12-01"`);
//!   validated with `Regions::from_locations_response` and copied as is.
//! * `PROVIDERS.json` — body of `GET /subscriptions/{id}/providers?api-version=2021-04-01`;
//!   parsed with `Availability::from_providers_response` and written in the
//!   compact snapshot format by `Availability::to_snapshot`.
//! * `AS_OF` — `YYYY-MM` or `YYYY-MM-DD`, the date of the providers body.
//! * `SOURCE` — the provenance line (where the bodies came from, as of when).
//!
//! Then update `PROVIDERS_SNAPSHOT` (availability.rs), `LOCATIONS_SNAPSHOT`
//! (region.rs), `data/README.md` and the expectation lists in
//! `crates/arm/tests/regions_snapshot.rs`, and run `cargo test -p azrelo-arm`.
//! The embedded snapshot as committed was produced by:
//!
//! ```text
//! cargo run -p azrelo-arm --example refresh_snapshots -- \
//!     ../shared/data/locations.json ../shared/data/providers.json 2023-11 \
//!     "ARM providers API (GET /subscriptions/{id}/providers) via Azure/arm-ttk arm-ttk/cache/AllAzureResources.cache.json @ ee07b0c (MIT), as of 2023-11"
//! ```

use azrelo_arm::availability::{Availability, SnapshotDate};
use azrelo_arm::region::Regions;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

fn run(args: &[String]) -> Result<(), String> {
    let [locations, providers, as_of, source] = args else {
        return Err(
            "usage: refresh_snapshots LOCATIONS.json PROVIDERS.json AS_OF(YYYY-MM[-DD]) SOURCE"
                .into(),
        );
    };
    let as_of: SnapshotDate = as_of.parse().map_err(|e| format!("{e}"))?;
    let loc_body = std::fs::read(locations).map_err(|e| format!("{locations}: {e}"))?;
    let regions =
        Regions::from_locations_response(&loc_body).map_err(|e| format!("{locations}: {e}"))?;
    let prov_body = std::fs::read(providers).map_err(|e| format!("{providers}: {e}"))?;
    let avail = Availability::from_providers_response_with(&prov_body, as_of, &regions)
        .map_err(|e| format!("{providers}: {e}"))?;
    let snapshot = avail.to_snapshot(source);
    // Round-trip before writing anything.
    let back = Availability::from_snapshot_with(&snapshot, &regions)
        .map_err(|e| format!("the written snapshot does not read back: {e}"))?;
    if !back.same_facts(&avail) {
        return Err("the written snapshot does not read back to the same facts".into());
    }
    let data = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data");
    write_atomically(&data.join("locations.json"), &loc_body)
        .map_err(|e| format!("writing locations.json: {e}"))?;
    write_atomically(&data.join("providers.snapshot"), snapshot.as_bytes())
        .map_err(|e| format!("writing providers.snapshot: {e}"))?;
    println!(
        "locations.json: {} regions ({} physical), {} bytes\nproviders.snapshot: {} namespaces, {} types, {} bytes (from {} bytes of JSON)",
        regions.all().len(),
        regions.physical().count(),
        loc_body.len(),
        avail.namespace_count(),
        avail.type_count(),
        snapshot.len(),
        prov_body.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
