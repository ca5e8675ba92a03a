//! The relocation corpus, every case, one command:
//!
//! ```text
//! cargo run --release -p azrelo-corpus --example relocate_corpus -- [OPTIONS]
//!   --kind same-geography|cross-geography   only this target kind (default both)
//!   --only SUBSTRING                        only quickstarts whose name contains it
//!   --jobs N                                relocations at once (default: 4 per core)
//!   --out DIR                               keep failed runs' plan directories here
//!   --expectations                          print the failures as expectation lines
//! ```
//!
//! Prints the per-service and per-failure-class tables, the duration, and
//! every failure with its reason; exits 1 when the failures differ from
//! `crates/corpus/tests/expectations/relocation.txt` (a full run only).

use std::path::PathBuf;
use std::time::Instant;

use azrelo_corpus::{TargetKind, Verdict, cases, run_all, table};

fn main() {
    let mut kinds = TargetKind::ALL.to_vec();
    let mut only: Option<String> = None;
    let mut jobs = azrelo_corpus::default_jobs();
    let mut out: Option<PathBuf> = None;
    let mut lines = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--kind" => {
                let k = args.next().unwrap_or_default();
                kinds = vec![TargetKind::parse(&k).unwrap_or_else(|| {
                    eprintln!("--kind {k}: use same-geography or cross-geography");
                    std::process::exit(2)
                })];
            }
            "--only" => only = args.next(),
            "--jobs" => {
                jobs = args.next().and_then(|n| n.parse().ok()).unwrap_or_else(|| {
                    eprintln!("--jobs needs a number");
                    std::process::exit(2)
                })
            }
            "--out" => out = args.next().map(PathBuf::from),
            "--expectations" => lines = true,
            other => {
                eprintln!("unknown argument {other}; see the example's documentation");
                std::process::exit(2)
            }
        }
    }
    let mut all = cases(&kinds);
    if let Some(o) = &only {
        all.retain(|(q, _)| q.name.contains(o.as_str()));
    }
    let full = only.is_none() && kinds.len() == 2;
    let tmp = std::env::temp_dir().join(format!("azrelo-corpus-{}", std::process::id()));
    let root = out.clone().unwrap_or_else(|| tmp.clone());
    let started = Instant::now();
    let total = all.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results = run_all(&all, jobs, &root, out.is_some(), &|r| {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Verdict::Failed(f) = &r.verdict {
            eprintln!(
                "[{n}/{total}] {} {:.1}s FAILED {}",
                r.key(),
                r.elapsed.as_secs_f64(),
                f.reason()
            );
        } else if n.is_multiple_of(50) {
            eprintln!("[{n}/{total}] …");
        }
    });
    let wall = started.elapsed();
    if out.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    println!("{}", table::render(&results, wall));
    let failures = table::failures(&results);
    if lines {
        println!("\nexpectation lines:");
        for (k, why) in &failures {
            println!("{k}\t{why}");
        }
    }
    if full {
        let expected = azrelo_testkit::expectations(
            &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/expectations/relocation.txt"),
        );
        let m = azrelo_testkit::expectation_mismatch(&failures, &expected);
        if !m.is_empty() {
            println!("\nthe failures differ from tests/expectations/relocation.txt:\n{m}");
            std::process::exit(1);
        }
    }
}
