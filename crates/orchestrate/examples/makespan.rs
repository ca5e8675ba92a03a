//! Makespan benchmark: the example's relocation (apply: prepare, move and
//! verify every resource) on the emulator with the `fast` latency profile
//! (realistic durations × 0.05), pipelined and wave by wave, against the
//! lower bound max(critical path of the dependency graph with the profile's
//! durations, writes ÷ ARM's write refill rate of 10/s).
//!
//! ```text
//! cargo run --release -p azrelo-orchestrate --example makespan -- [PARALLELISM] [small-disks]
//! ```
//!
//! The example's 256 GiB data disk makes one cross-region copy (~128 s in
//! `fast`) dominate the critical path; `small-disks` seeds every source disk
//! at 1 GiB so the rest of the graph decides the makespan.
//!
//! The emulator runs in-process (no sockets) without request throttling;
//! operations are polled every 25 ms. Manual gates are closed up front (an
//! operator who pre-approved them), so a disk's first copy is its final one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use azrelo_emulator::Emulator;
use azrelo_emulator::latency::LatencyProfile;
use azrelo_orchestrate::{
    CrashHook, Engine, GateClosing, GateSelection, Options, RunPlan, Schedule, UnitKind,
    close_gates_with,
};

/// ARM's write refill rate per subscription and principal (tokens/s).
const WRITE_REFILL: f64 = 10.0;

fn duration(
    profile: LatencyProfile,
    plan: &RunPlan,
    i: usize,
    estate: &[(String, serde_json::Value)],
) -> Duration {
    let u = &plan.units[i];
    match u.kind {
        // ARM creates resource groups synchronously (so does the emulator).
        UnitKind::Deploy
            if u.resource_type
                .eq_ignore_ascii_case("Microsoft.Resources/resourceGroups") =>
        {
            Duration::ZERO
        }
        UnitKind::Deploy => profile.create(&u.resource_type),
        UnitKind::DiskCopy => {
            let size = estate
                .iter()
                .find(|(id, _)| Some(id.as_str()) == u.source_id.as_ref().map(|s| s.as_str()))
                .and_then(|(_, r)| r.pointer("/properties/diskSizeGB")?.as_u64())
                .unwrap_or(1);
            // Source snapshot, the cross-region copy, the disk.
            profile.create("Microsoft.Compute/snapshots")
                + profile.copy(size)
                + profile.create(&u.resource_type)
        }
        UnitKind::Reconfigure => profile.update(&u.resource_type),
        // Actions are a few reads and writes of settings; owned resources
        // are created with their owner: a GET or two.
        UnitKind::Manual | UnitKind::Action(_) | UnitKind::Owned => Duration::ZERO,
    }
}

fn critical_path(plan: &RunPlan, d: &[Duration]) -> Duration {
    let mut finish = vec![Duration::ZERO; plan.units.len()];
    for &i in &plan.order {
        let start = plan.units[i]
            .deps
            .iter()
            .map(|&j| finish[j])
            .max()
            .unwrap_or_default();
        finish[i] = start + d[i];
    }
    finish.into_iter().max().unwrap_or_default()
}

async fn run(
    schedule: Schedule,
    parallelism: usize,
    small_disks: bool,
) -> (Duration, Duration, Duration, u64) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plan");
    azrelo_testkit::example::make_plan_dir(&dir, "northeurope");
    let profile = LatencyProfile::Fast;
    let em = Emulator::new().with_throttling(false).with_latency(profile);
    let mut seed = azrelo_testkit::example::estate_seed(&dir);
    if small_disks {
        for (_, b) in seed.iter_mut() {
            if b["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Compute/disks"))
            {
                b["properties"]["diskSizeGB"] = serde_json::json!(1);
            }
        }
    }
    em.seed(seed.clone());
    let mut arm = azrelo_testkit::InProcessArm::new(&em);
    arm.poll = Duration::from_millis(25);
    let plan = azrelo_run::PlanDir::new(&dir).load_run().unwrap();
    let d: Vec<Duration> = (0..plan.units.len())
        .map(|i| duration(profile, &plan, i, &seed))
        .collect();
    let cp = critical_path(&plan, &d);
    let journal = azrelo_orchestrate::open_journal(&dir).unwrap();
    // The gates before a move (the rest wait for their unit to move and do
    // not hold the run up).
    close_gates_with(
        &plan,
        &journal,
        &GateSelection::All,
        &GateClosing::default(),
    )
    .unwrap();
    let opts = Options {
        parallelism,
        schedule,
        secrets: azrelo_testkit::example::secrets(),
        poll: Duration::from_millis(25),
        retry_backoff: Duration::from_millis(25),
        ..Options::default()
    };
    let engine = Arc::new(Engine::new(plan, arm.clone(), opts, CrashHook::none()).unwrap());
    let t0 = Instant::now();
    let report = engine.apply().await.unwrap();
    let makespan = t0.elapsed();
    assert!(report.complete() && report.failed.is_empty(), "{report:?}");
    let writes = arm.writes.load(std::sync::atomic::Ordering::Relaxed);
    let by_writes = Duration::from_secs_f64(writes as f64 / WRITE_REFILL);
    (makespan, cp, by_writes, writes)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let parallelism: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(16);
    let small_disks = std::env::args().any(|a| a == "small-disks");
    println!(
        "example contoso-shop → northeurope, latency profile fast, parallelism {parallelism}{}",
        if small_disks {
            ", source disks 1 GiB"
        } else {
            ""
        }
    );
    println!(
        "{:<10} {:>10} {:>14} {:>14} {:>8} {:>10} {:>7}",
        "schedule", "makespan", "critical path", "writes/refill", "writes", "bound", "ratio"
    );
    for (name, schedule) in [
        ("pipelined", Schedule::Pipelined),
        ("waves", Schedule::Waves),
    ] {
        let (makespan, cp, by_writes, writes) = run(schedule, parallelism, small_disks).await;
        let bound = cp.max(by_writes);
        println!(
            "{name:<10} {:>9.2}s {:>13.2}s {:>13.2}s {writes:>8} {:>9.2}s {:>6.3}x",
            makespan.as_secs_f64(),
            cp.as_secs_f64(),
            by_writes.as_secs_f64(),
            bound.as_secs_f64(),
            makespan.as_secs_f64() / bound.as_secs_f64()
        );
    }
}
