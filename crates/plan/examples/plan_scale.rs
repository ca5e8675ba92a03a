//! Scale check: plan a synthetic estate of N resources and report the time
//! of each stage and peak memory.
//!
//! `cargo run --release -p azrelo-plan --example plan_scale -- 1000000`

use azrelo_catalog::Catalog;
use azrelo_plan::{PlanOptions, check_invariants, plan};
use std::time::Instant;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    // Stage timings: RUST_LOG=azrelo_plan=debug.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let catalog = Catalog::embedded();
    let t0 = Instant::now();
    let estate = azrelo_estate::synth::estate(n);
    let t_gen = t0.elapsed();
    let t1 = Instant::now();
    let g = azrelo_graph::build(&estate);
    let t_graph = t1.elapsed();
    let t2 = Instant::now();
    let p = plan(&estate, &g, catalog, &PlanOptions::new("swedencentral")).expect("plan");
    let t_plan = t2.elapsed();
    let t3 = Instant::now();
    let violations = check_invariants(&p, &estate, &g);
    let t_check = t3.elapsed();
    let mut codes: std::collections::BTreeMap<&str, usize> = Default::default();
    for f in &p.findings {
        *codes.entry(f.code.as_str()).or_default() += 1;
    }
    eprintln!("findings by code: {codes:?}");
    println!(
        "resources={} planned={} waves={} role_assignments={} findings={} violations={} | generate {:.2}s, graph {:.2}s, plan {:.2}s, invariant check {:.2}s | peak RSS {:.0} MiB",
        estate.resources.len(),
        p.resources.len(),
        p.waves.len(),
        p.role_assignments.len(),
        p.findings.len(),
        violations.len(),
        t_gen.as_secs_f64(),
        t_graph.as_secs_f64(),
        t_plan.as_secs_f64(),
        t_check.as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}
