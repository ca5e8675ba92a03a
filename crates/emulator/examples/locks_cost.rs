//! What the management-lock check and the in-use check cost per request, in
//! process (no sockets):
//!
//! `cargo run --release -p azrelo-emulator --example locks_cost -- [RESOURCES] [LOCKS]`
//!
//! Seeds RESOURCES network interfaces (default 20,000) spread over 100
//! resource groups — each naming a VM in its read-only `virtualMachine`, as
//! ARM returns them — and LOCKS `CanNotDelete` locks (default 100) on other
//! resources, then times: PATCH of tags (the lock check on a write), a
//! DELETE refused by a lock (answered before the in-use scan) and a DELETE of
//! a VM whose NIC names it read-only (the in-use check: a lookup in the
//! referrer index, which holds writable references only). Figures are means
//! over the repetitions printed.

use std::time::Instant;

use azrelo_emulator::Emulator;
use serde_json::json;

const SUB: &str = "/subscriptions/00000000-0000-0000-0000-0000000000c5";

/// One in-process request; its status.
async fn call(em: &Emulator, method: &str, path: &str, body: Option<serde_json::Value>) -> u16 {
    azrelo_testkit::call(em, method, path, body)
        .await
        .status
        .as_u16()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let locks: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let em = Emulator::without_throttling();
    let nic = |i: usize| {
        format!(
            "{SUB}/resourceGroups/rg-{}/providers/Microsoft.Network/networkInterfaces/nic-{i}",
            i % 100
        )
    };
    let vm = |i: usize| {
        format!(
            "{SUB}/resourceGroups/rg-{}/providers/Microsoft.Compute/virtualMachines/vm-{i}",
            i % 100
        )
    };
    let mut seed = Vec::with_capacity(2 * n + locks);
    for i in 0..n {
        seed.push((
            nic(i),
            json!({"location": "westeurope", "type": "Microsoft.Network/networkInterfaces",
                   "properties": {"virtualMachine": {"id": vm(i)}, "ipConfigurations": []}}),
        ));
        seed.push((
            vm(i),
            json!({"location": "westeurope", "type": "Microsoft.Compute/virtualMachines", "properties": {}}),
        ));
    }
    for l in 0..locks {
        // Locks on the last NICs (not the ones timed below).
        seed.push((
            format!("{}/providers/Microsoft.Authorization/locks/keep", nic(n - 1 - l)),
            json!({"type": "Microsoft.Authorization/locks", "properties": {"level": "CanNotDelete"}}),
        ));
    }
    let t = Instant::now();
    em.seed(seed);
    println!(
        "seeded {} resources and {locks} locks in {:.0} ms",
        em.len(),
        t.elapsed().as_secs_f64() * 1e3
    );

    let reps = 2_000usize.min(n / 2);
    let t = Instant::now();
    for i in 0..reps {
        let s = call(&em, "PATCH", &nic(i), Some(json!({"tags": {"k": "v"}}))).await;
        assert_eq!(s, 200);
    }
    println!(
        "PATCH tags (lock check on a write): {:.1} µs/request over {reps}",
        t.elapsed().as_secs_f64() * 1e6 / reps as f64
    );

    let locked = reps.min(locks);
    let t = Instant::now();
    for l in 0..locked {
        let s = call(&em, "DELETE", &nic(n - 1 - l), None).await;
        assert_eq!(s, 409);
    }
    println!(
        "DELETE refused by a lock: {:.1} µs/request over {locked}",
        t.elapsed().as_secs_f64() * 1e6 / locked.max(1) as f64
    );

    let dels = 50usize.min(n);
    let t = Instant::now();
    for i in 0..dels {
        let s = call(&em, "DELETE", &vm(i), None).await;
        assert_eq!(s, 202, "{}", vm(i));
    }
    println!(
        "DELETE of a VM its NIC names read-only (in-use check among {} resources): {:.1} µs/request over {dels}",
        em.len() + dels,
        t.elapsed().as_secs_f64() * 1e6 / dels as f64
    );
}
