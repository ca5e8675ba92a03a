//! Building the dependency graph of a synthetic 100,000-resource estate:
//! `cargo bench -p azrelo-graph --bench graph`.
//! (The 1,000,000-resource figure with peak memory comes from
//! `cargo run --release -p azrelo-graph --example scale -- 1000000`.)

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let estate = azrelo_estate::synth::estate(100_000);
    let mut g = c.benchmark_group("graph");
    g.sample_size(10);
    g.bench_function("build_100k_resources", |b| {
        b.iter(|| black_box(azrelo_graph::build(black_box(&estate)).edges.len()))
    });
    let graph = azrelo_graph::build(&estate);
    g.bench_function("cycles_100k_resources", |b| {
        b.iter(|| black_box(azrelo_graph::cycles(&graph).len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
