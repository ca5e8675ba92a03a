//! Scale check: build the graph of a synthetic estate of N resources and
//! report time and peak memory.
//!
//! `cargo run --release -p azrelo-graph --example scale -- 1000000`

use std::time::Instant;

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn current_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let t0 = Instant::now();
    let estate = azrelo_estate::synth::estate(n);
    let t_gen = t0.elapsed();
    let rss_estate = current_rss_mib().unwrap_or(f64::NAN);
    let t1 = Instant::now();
    let g = azrelo_graph::build(&estate);
    let t_build = t1.elapsed();
    let t2 = Instant::now();
    let cycles = azrelo_graph::cycles(&g);
    let order = azrelo_graph::topological_order(&g);
    let t_ops = t2.elapsed();
    println!(
        "resources={} records={} nodes={} edges={} cycles={} topo={} | generate {:.2}s, build graph {:.2}s, cycles+topological order {:.2}s | RSS with the estate alone {:.0} MiB, peak RSS {:.0} MiB",
        estate.resources.len(),
        estate.len(),
        g.nodes.len(),
        g.edges.len(),
        cycles.len(),
        order.map(|o| o.len()).unwrap_or(0),
        t_gen.as_secs_f64(),
        t_build.as_secs_f64(),
        t_ops.as_secs_f64(),
        rss_estate,
        peak_rss_mib().unwrap_or(f64::NAN)
    );
}
