//! Crash test: the example's relocation killed at 20+ points chosen at
//! random (reproducibly: a fixed seed) — after the Nth journal write or ARM
//! call of a process, nothing more happens, as with `kill -9` — and resumed
//! each time. The final state equals an uninterrupted run's: no resource
//! created twice, none missing, every source cleaned up exactly as planned.

mod common;

use azrelo_orchestrate::{CrashHook, EngineError};
use common::*;

/// xorshift64*: the kill points, reproducible from the seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % below
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_twenty_points_and_resumed_reaches_the_uninterrupted_state() {
    let clean = tempfile::tempdir().unwrap();
    let (_em, arm) = setup(clean.path(), None);
    drive(&clean.path().join("plan"), arm, CrashHook::none())
        .await
        .unwrap();
    let expected = check_final_state(clean.path());

    let tmp = tempfile::tempdir().unwrap();
    let (_em, arm) = setup(tmp.path(), None);
    let mut rng = Rng(0x5eed_0fc0_ffee);
    let mut kills = Vec::new();
    loop {
        // Each "process" dies after 1..=60 journal writes or ARM calls.
        let n = 1 + rng.next(60);
        let hook = CrashHook::after(n, false);
        match drive(&tmp.path().join("plan"), arm.clone(), hook.clone()).await {
            Err(EngineError::Crashed) => {
                if std::env::var("AZRELO_TEST_DEBUG").is_ok() {
                    let plan = azrelo_run::PlanDir::new(tmp.path().join("plan"))
                        .load_run()
                        .unwrap();
                    let j = azrelo_orchestrate::open_journal(&tmp.path().join("plan")).unwrap();
                    let st = azrelo_orchestrate::status(&plan, &j).unwrap();
                    eprintln!(
                        "kill {} at {n} (count {}): {:?}",
                        kills.len(),
                        hook.count(),
                        st.counts
                    );
                }
                kills.push(n)
            }
            Ok(()) if hook.fired() => kills.push(n),
            Ok(()) => break,
            Err(e) => panic!("after {} kill(s) ({kills:?}): {e}", kills.len()),
        }
        assert!(kills.len() < 500, "no progress");
    }
    assert!(kills.len() >= 20, "only {} kills: {kills:?}", kills.len());
    let got = check_final_state(tmp.path());
    assert_eq!(got, expected, "killed at {kills:?}");
}
