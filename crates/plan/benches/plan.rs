//! Planning a synthetic estate (the graph is built once, outside the timed
//! loop): `cargo bench -p azrelo-plan --bench plan`.
//! The 1,000,000-resource figure with peak memory comes from
//! `cargo run --release -p azrelo-plan --example plan_scale -- 1000000`.

use azrelo_catalog::Catalog;
use azrelo_plan::{PlanOptions, plan};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let catalog = Catalog::embedded();
    let opts = PlanOptions::new("swedencentral");
    let mut g = c.benchmark_group("plan");
    g.sample_size(10);
    for n in [10_000usize, 100_000] {
        let estate = azrelo_estate::synth::estate(n);
        let graph = azrelo_graph::build(&estate);
        g.bench_function(format!("plan_{}k_resources", n / 1000), |b| {
            b.iter(|| {
                black_box(
                    plan(black_box(&estate), &graph, catalog, &opts)
                        .unwrap()
                        .resources
                        .len(),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
