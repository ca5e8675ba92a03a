//! Region lookup and type-availability throughput, and the cost of loading
//! the snapshots.
//!
//! `cargo bench -p azrelo-arm --bench availability`

use azrelo_arm::availability::{Availability, SnapshotDate};
use azrelo_arm::region::Regions;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const EMBEDDED: &str = include_str!("../data/providers.snapshot");
const LOCATIONS: &[u8] = include_bytes!("../data/locations.json");

const QUERIES: &[(&str, &str)] = &[
    ("Microsoft.KeyVault/vaults", "swedencentral"),
    ("Microsoft.Network/virtualNetworks/subnets", "West Europe"),
    (
        "microsoft.compute/virtualmachines",
        "(Europe) Spain Central",
    ),
    ("Microsoft.Network/privateDnsZones", "eastus2"),
    ("Microsoft.Web/sites", "Australia SouthEast"),
    ("Contoso.Nope/widgets", "northeurope"),
    ("Microsoft.Storage/storageAccounts", "germanynorth"),
    ("Microsoft.Sql/servers/databases", "UK South"),
];

fn bench(c: &mut Criterion) {
    let regions = Regions::embedded();
    let avail = Availability::embedded();

    c.bench_function("regions/from_locations_response (102 locations)", |b| {
        b.iter(|| Regions::from_locations_response(black_box(LOCATIONS)).unwrap())
    });
    c.bench_function("availability/from_snapshot (embedded, 3693 types)", |b| {
        b.iter(|| Availability::from_snapshot(black_box(EMBEDDED)).unwrap())
    });
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/providers.json"
    ));
    if let Ok(raw) = raw {
        let as_of: SnapshotDate = "2023-11".parse().unwrap();
        c.bench_function(
            "availability/from_providers_response (2 MB ARM body)",
            |b| b.iter(|| Availability::from_providers_response(black_box(&raw), as_of).unwrap()),
        );
    }

    let mut g = c.benchmark_group("lookups");
    g.throughput(Throughput::Elements(QUERIES.len() as u64));
    g.bench_function("regions.get", |b| {
        b.iter(|| {
            for (_, r) in QUERIES {
                black_box(regions.get(black_box(r)));
            }
        })
    });
    g.bench_function("availability.status", |b| {
        b.iter(|| {
            for (t, r) in QUERIES {
                black_box(avail.status(black_box(t), black_box(r)));
            }
        })
    });
    g.bench_function("availability.check (with explanation)", |b| {
        b.iter(|| {
            for (t, r) in QUERIES {
                black_box(avail.check(black_box(t), black_box(r)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
