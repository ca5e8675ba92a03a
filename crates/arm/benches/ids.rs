//! Id parsing and id scanning throughput.
//!
//! `cargo bench -p azrelo-arm --bench ids`

use azrelo_arm::id::ResourceId;
use azrelo_arm::scan::find_resource_ids;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const IDS: &[&str] = &[
    "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11",
    "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg-shop-app",
    "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg-shop-app/providers/Microsoft.Compute/virtualMachines/vm-shop-web-01",
    "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg-shop-net/providers/Microsoft.Network/virtualNetworks/vnet-shop-weu/subnets/snet-web",
    "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg-shop-data/providers/Microsoft.KeyVault/vaults/kv-shop-weu-01/providers/Microsoft.Authorization/roleAssignments/0b6e2f0a-1c1d-4e6f-9a3b-5c7d9e1f3a51",
    "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7",
    "/providers/Microsoft.Management/managementGroups/mg-platform/providers/Microsoft.Authorization/policyAssignments/deny-public-ip",
    "/subscriptions/3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11/resourceGroups/rg-shop-ops/providers/Microsoft.RecoveryServices/vaults/rsv-shop-weu/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-shop-app;vm-shop-web-01/protectedItems/VM;iaasvmcontainerv2;rg-shop-app;vm-shop-web-01",
];

fn text_with_ids(len: usize) -> String {
    let filler =
        "lorem ipsum https://example.com/path/to/thing?x=1 dolor sit amet, \"key\": [1, 2, 3] ";
    let mut s = String::with_capacity(len + 512);
    let mut i = 0;
    while s.len() < len {
        s.push_str(filler);
        if i % 4 == 0 {
            s.push_str("https://management.azure.com");
            s.push_str(IDS[i % IDS.len()]);
            s.push_str("?api-version=2024-01-01 ");
        }
        i += 1;
    }
    s
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Elements(IDS.len() as u64));
    g.bench_function("mixed_ids", |b| {
        b.iter(|| {
            for s in IDS {
                black_box(ResourceId::parse(black_box(s)).unwrap());
            }
        })
    });
    g.finish();
}

fn scan(c: &mut Criterion) {
    let mut g = c.benchmark_group("scan");
    let with_ids = text_with_ids(64 * 1024);
    let count = find_resource_ids(&with_ids).count();
    assert!(count > 100);
    g.throughput(Throughput::Bytes(with_ids.len() as u64));
    g.bench_function("64KiB_with_ids", |b| {
        b.iter(|| black_box(find_resource_ids(black_box(&with_ids)).count()))
    });
    let no_ids: String =
        "lorem ipsum /path/segments/without/ids dolor sit amet ".repeat(1024 * 1024 / 54);
    g.throughput(Throughput::Bytes(no_ids.len() as u64));
    g.bench_function("1MiB_without_ids", |b| {
        b.iter(|| black_box(find_resource_ids(black_box(&no_ids)).count()))
    });
    g.finish();
}

criterion_group!(benches, parse, scan);
criterion_main!(benches);
