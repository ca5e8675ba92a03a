//! Live discovery speed against the emulator (throttling on, like ARM):
//! a synthetic estate of N resources (`azrelo_estate::synth`) is seeded,
//! then discovered at several concurrencies. Prints wall time, requests,
//! client-side throttle waits and 429s, and the throttle's lower bound:
//! reads beyond the usable burst ÷ the read refill rate.
//!
//!     cargo run --release -p azrelo-live --example discover_bench -- [N] [--get-all]

use azrelo_client::{ArmClient, ClientOptions, ThrottleConfig};
use azrelo_emulator::Emulator;
use azrelo_live::{LiveOptions, discover};
use std::collections::BTreeSet;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(400);
    let get_all = args.iter().any(|a| a == "--get-all");
    let estate = azrelo_estate::synth::estate(n);
    let subs: BTreeSet<String> = estate
        .resources
        .iter()
        .filter_map(|r| r.id.subscription_id().map(str::to_string))
        .collect();
    println!(
        "synthetic estate: {} resources in {} subscription(s); get_all={get_all}",
        estate.resources.len(),
        subs.len()
    );
    for concurrency in [4, 16, 64] {
        let em = Emulator::new().with_throttling(true);
        em.seed(estate.resources.iter().filter_map(|r| {
            let mut v = serde_json::to_value(r).ok()?;
            let m = v.as_object_mut()?;
            m.remove("provenance");
            m.remove("dependsOn");
            Some((r.id.to_string(), v))
        }));
        let served = azrelo_testkit::Served::start(em, azrelo_testkit::Transport::Http).await;
        let url = served.endpoint.clone();
        let mut o = ClientOptions::emulator(&url, &format!("bench-{concurrency}"), None);
        o.max_concurrency = concurrency;
        let client = ArmClient::new(o).unwrap();
        let opts = LiveOptions {
            subscriptions: subs.iter().cloned().collect(),
            concurrency,
            get_all,
            ..LiveOptions::default()
        };
        let t0 = Instant::now();
        let live = discover(&client, &opts, None).await.unwrap();
        let took = t0.elapsed();
        let s = client.stats();
        // Reads per subscription beyond the burst the client uses freely
        // (capacity − reserve), at the refill rate; subscriptions in parallel.
        let t = ThrottleConfig::default();
        let usable = t.reads.capacity - (t.reads.capacity * t.reserve_fraction).floor();
        let per_sub = s.requests as f64 / subs.len() as f64;
        let bound = ((per_sub - usable).max(0.0)) / t.reads.refill_per_sec;
        println!(
            "concurrency {concurrency:>3}: {:>7.2} s for {} resources, {} requests ({} retries, {} × 429), {} throttle waits; throttle bound {:.2} s → ratio {:.2}; {} failures",
            took.as_secs_f64(),
            live.estate.resources.len(),
            s.requests,
            s.retries,
            s.throttled,
            s.throttle_waits,
            bound,
            if bound > 0.0 {
                took.as_secs_f64() / bound
            } else {
                f64::NAN
            },
            live.failures.len(),
        );
    }
}
