//! The relocation corpus (issue #13): quickstarts of `../shared/corpus`
//! deployed on the emulator, discovered live, relocated end to end to a
//! region of the same geography and one of another geography, compared
//! with their source and scanned for leaked secrets (see the crate docs).
//!
//! `cargo test -p azrelo-corpus --test relocation -- --nocapture` runs
//! every quickstart in both target kinds (about 2.5 minutes in a debug
//! build on 2 cores); `AZRELO_CORPUS=sample` runs a fixed sample (every
//! [`STRIDE`]-th quickstart of the sorted corpus, both target kinds). The test
//! fails when a case fails that `tests/expectations/relocation.txt` does
//! not list, when a listed case of the run passes (remove its line then),
//! or when a target kind relocates less than [`FLOOR`] percent.
//! `cargo run --release -p azrelo-corpus --example relocate_corpus` runs
//! the whole corpus with the same code and prints the same tables.

use std::path::Path;
use std::time::Instant;

use azrelo_corpus::{TargetKind, Verdict, cases, default_jobs, key, run_all, sample, table};

/// Every STRIDE-th quickstart is in the sample (`AZRELO_CORPUS=sample`).
const STRIDE: usize = 4;

/// The share of deployable quickstarts that must relocate end to end, per
/// target kind, in a full run: issue #13's 95% (today 95.2% in both
/// kinds; every failure is listed with its reason in the expectations
/// file, which is the exact guard).
const FLOOR: f64 = 95.0;

/// The floor of the sample (`AZRELO_CORPUS=sample`, every 4th
/// quickstart): a quarter of the corpus does not hold the whole corpus's
/// share exactly, so the sample guards against a collapse only.
const SAMPLE_FLOOR: f64 = 90.0;

#[test]
fn quickstarts_relocate_end_to_end_in_both_target_kinds() {
    let sampled = std::env::var("AZRELO_CORPUS").is_ok_and(|v| v == "sample");
    let all = if sampled {
        sample(STRIDE)
    } else {
        cases(&TargetKind::ALL)
    };
    let jobs = default_jobs();
    let root = tempfile::tempdir().expect("a temporary directory");
    let started = Instant::now();
    let results = run_all(&all, jobs, root.path(), false, &|_| {});
    println!("{}", table::render(&results, started.elapsed()));
    let failures = table::failures(&results);
    for (k, why) in &failures {
        println!("  {k}\t{why}");
    }
    // Only the cases this run covers are compared with the file.
    let run: std::collections::HashSet<String> =
        all.iter().map(|(q, k)| key(&q.name, *k)).collect();
    let mut expected = azrelo_testkit::expectations(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expectations/relocation.txt"),
    );
    expected.retain(|k, _| run.contains(k));
    let mismatch = azrelo_testkit::expectation_mismatch(&failures, &expected);
    assert!(
        mismatch.is_empty(),
        "the failures differ from tests/expectations/relocation.txt:\n{mismatch}"
    );
    assert!(
        results
            .iter()
            .all(|r| r.verdict != Verdict::NotDeployable
                || !failures.iter().any(|(k, _)| *k == r.key())),
        "a case cannot both be skipped and fail"
    );
    let floor = if sampled { SAMPLE_FLOOR } else { FLOOR };
    for (kind, t) in table::tally(&results) {
        assert!(
            t.rate() >= floor,
            "{}: {}/{} relocated ({:.1}%) < {floor}%",
            kind.label(),
            t.relocated,
            t.counted,
            t.rate()
        );
    }
}
