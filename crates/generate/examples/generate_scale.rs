//! Scale check: plan and generate a synthetic estate of N resources and
//! report the time of each stage (the generator's own graph pass for
//! settings references and owner-managed references included) and peak
//! memory.
//!
//! `cargo run --release -p azrelo-generate --example generate_scale -- 100000`

use std::time::Instant;

use azrelo_catalog::Catalog;
use azrelo_plan::{PlanOptions, plan};

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
        .unwrap_or(100_000);
    let catalog = Catalog::embedded();
    let estate = azrelo_estate::synth::estate(n);
    let t = Instant::now();
    let g = azrelo_graph::build_with(&estate, catalog);
    let t_graph = t.elapsed();
    let t = Instant::now();
    let p = plan(&estate, &g, catalog, &PlanOptions::new("swedencentral")).expect("plan");
    let t_plan = t.elapsed();
    drop(g);
    let t = Instant::now();
    let out = azrelo_generate::generate(&p, &estate, catalog, azrelo_generate::embedded_flags());
    let t_generate = t.elapsed();
    let resources: usize = out
        .deployments
        .iter()
        .map(|d| d.template["resources"].as_array().map_or(0, Vec::len))
        .sum();
    println!(
        "resources={} planned={} deployments={} template resources={} | graph {:.2}s, plan {:.2}s, generate {:.2}s | peak RSS {:.0} MiB",
        estate.resources.len(),
        p.resources.len(),
        out.deployments.len(),
        resources,
        t_graph.as_secs_f64(),
        t_plan.as_secs_f64(),
        t_generate.as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}
