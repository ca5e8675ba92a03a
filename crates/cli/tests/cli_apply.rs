//! `azrelo apply | resume | status | commit | discard | cleanup-source | gate`
//! as processes against the emulator (served in-process over HTTP): the
//! whole chain from live discovery to source cleanup, the exit codes, and the
//! crash test — the `azrelo` process aborted at 20+ seeded points
//! (`AZRELO_CRASH_AFTER=N`: abort right after the Nth journal write or ARM
//! call) and resumed each time, ending where an uninterrupted run ends.

use assert_cmd::Command;
use azrelo_emulator::Emulator;
use azrelo_testkit::{Background, Transport};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");
const SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

fn azrelo(endpoint: &str) -> Command {
    let mut c = Command::cargo_bin("azrelo").unwrap();
    for v in [
        "AZRELO_CA_CERT",
        "AZURE_CLIENT_SECRET",
        "AZRELO_CRASH_AFTER",
        "RUST_LOG",
    ] {
        c.env_remove(v);
    }
    c.env("AZRELO_ARM_ENDPOINT", endpoint)
        .env("AZRELO_AUTH", "token")
        .env("AZRELO_TOKEN", "cli-apply-test");
    c
}

/// `azrelo plan` of the example to North Europe and `azrelo generate`,
/// into `plan`.
fn plan_and_generate(ep: &str, plan: &Path) {
    azrelo(ep)
        .args(["-q", "plan", EXAMPLE, "--target", "northeurope", "--out"])
        .arg(plan)
        .assert()
        .success();
    azrelo(ep)
        .args(["-q", "generate"])
        .arg(plan)
        .assert()
        .success();
}

/// The example as the source region's state: resources (as ARM returns
/// them, read-only back-references included), locks, role assignments,
/// diagnostic settings, policy exemptions; plus two resources outside the
/// plan.
fn seed(em: &Emulator, extensions: bool) {
    let files = azrelo_testkit::example_files();
    let estate =
        azrelo_estate::load_inputs(&files, &azrelo_estate::LoadOptions::default()).unwrap();
    // As ARM returns them (read-only back-references included); the
    // extension records only when asked.
    let mut out = azrelo_estate::arm_shape::arm_bodies(&estate);
    if !extensions {
        out.truncate(estate.resources.len());
    }
    out.extend(unrelated());
    em.seed(out);
}

fn unrelated() -> Vec<(String, Value)> {
    vec![
        (
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg-shop-app/providers/Microsoft.Storage/storageAccounts/stunrelated01"
            ),
            json!({"location": "westeurope", "kind": "StorageV2", "sku": {"name": "Standard_LRS"}, "properties": {"minimumTlsVersion": "TLS1_2"}, "tags": {"owner": "someone-else"}}),
        ),
        (
            format!(
                "/subscriptions/{SUB}/resourceGroups/rg-shop-net/providers/Microsoft.Network/networkSecurityGroups/nsg-unrelated"
            ),
            json!({"location": "westeurope", "properties": {"securityRules": []}, "tags": {"owner": "someone-else"}}),
        ),
    ]
}

/// Serve a seeded, persistent emulator (state in `dir/emulator.db`) on a
/// background runtime.
fn emulator(dir: &Path, extensions: bool) -> Background {
    let em = Emulator::open(dir).unwrap().with_throttling(false);
    seed(&em, extensions);
    Background::start(em, Transport::Http)
}

/// Every resource the emulator holds: id → body.
fn bodies(dir: &Path) -> BTreeMap<String, Value> {
    let db = rusqlite::Connection::open(dir.join("emulator.db")).unwrap();
    let mut stmt = db.prepare("SELECT id, body FROM resources").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    rows.map(|r| {
        let (id, body) = r.unwrap();
        (
            id.to_ascii_lowercase(),
            serde_json::from_str(&body).unwrap(),
        )
    })
    .collect()
}

/// Every resource the emulator holds: id → (type, location, tags).
fn dump(dir: &Path) -> BTreeMap<String, (String, String, Value)> {
    bodies(dir)
        .into_iter()
        .map(|(id, b)| {
            (
                id,
                (
                    b["type"].as_str().unwrap_or("").to_ascii_lowercase(),
                    b["location"].as_str().unwrap_or("").to_ascii_lowercase(),
                    b["tags"].clone(),
                ),
            )
        })
        .collect()
}

fn secrets(dir: &Path) -> PathBuf {
    let p = dir.join("secrets.json");
    std::fs::write(
        &p,
        json!({"createMode": "Default", "connectionString_SharedAccessKey": "test-only", "uri": "https://example.invalid/x"}).to_string(),
    )
    .unwrap();
    p
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// apply → (exit 5 at gates) → gate done → resume → commit → cleanup-source
/// --confirm; each step may be re-run (resume semantics).
/// Resume until moved, commit and clean up. With `by_group`, commit the
/// resources of one resource group first (`-g`).
fn relocate(
    ep: &str,
    plan: &Path,
    secrets: &Path,
    crash_after: Option<u64>,
    by_group: bool,
) -> Result<(), String> {
    let run = |args: &[&str]| -> Result<std::process::Output, String> {
        let mut c = azrelo(ep);
        if let Some(n) = crash_after {
            c.env("AZRELO_CRASH_AFTER", n.to_string());
        }
        let out = c.args(args).output().unwrap();
        match out.status.code() {
            // Killed (abort): the crash hook fired.
            None => Err("killed".into()),
            Some(0) | Some(5) => Ok(out),
            Some(c) => panic!(
                "azrelo {args:?} exited {c}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    };
    let p = plan.to_str().unwrap();
    let s = secrets.to_str().unwrap();
    for _ in 0..10 {
        let out = run(&["-q", "-o", "json", "resume", p, "--parameters", s])?;
        let report = json_of(&out);
        let gates: Vec<String> = report["openGates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap().to_string())
            .collect();
        // Once everything moved, the gates after a move (final syncs) are
        // left: the commit needs them closed.
        if report["available"] == report["total"] && gates.is_empty() {
            break;
        }
        assert!(!gates.is_empty(), "stuck: {report}");
        let mut args = vec!["-q", "gate", "done", p];
        args.extend(gates.iter().map(String::as_str));
        azrelo(ep).args(&args).assert().success();
    }
    if by_group {
        // -g selects by resource group name, as --resource does by id.
        azrelo(ep)
            .args(["-q", "commit", p, "-g", "rg-nope"])
            .assert()
            .code(3);
        let some = json_of(&run(&[
            "-q",
            "-o",
            "json",
            "commit",
            p,
            "-g",
            "rg-shop-net",
        ])?);
        let some = some.as_array().unwrap();
        assert!(!some.is_empty(), "nothing committed in rg-shop-net");
        assert!(
            some.iter().all(|r| r["unit"]
                .as_str()
                .unwrap()
                .to_ascii_lowercase()
                .contains("/resourcegroups/rg-shop-net")),
            "{some:?}"
        );
    }
    run(&["-q", "commit", p])?;
    // Without --confirm: a preview (exit 0) of exactly what --confirm does.
    let preview = json_of(&run(&["-q", "-o", "json", "cleanup-source", p])?);
    let done = json_of(&run(&[
        "-q",
        "-o",
        "json",
        "cleanup-source",
        p,
        "--confirm",
    ])?);
    let rows = |v: &Value| {
        let mut r: Vec<(String, String)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let o = r["outcome"].as_str().unwrap();
                let o = match o {
                    "would delete" => "deleted",
                    "would keep" => "kept",
                    o => o,
                };
                (r["unit"].as_str().unwrap().to_string(), o.to_string())
            })
            .collect();
        r.sort();
        r
    };
    assert_eq!(
        rows(&done),
        rows(&preview),
        "preview and confirmed run differ"
    );
    Ok(())
}

#[test]
fn live_discovery_to_cleanup_on_the_emulator() {
    let tmp = tempfile::tempdir().unwrap();
    let served = emulator(&tmp.path().join("em"), true);
    let ep = served.endpoint.clone();
    let estate = tmp.path().join("estate.json");
    let plan = tmp.path().join("plan");
    let p = plan.to_str().unwrap();
    azrelo(&ep)
        .args(["-q", "discover", "--subscription", SUB, "--out"])
        .arg(&estate)
        .assert()
        .success();
    azrelo(&ep)
        .args(["-q", "plan"])
        .arg(&estate)
        // Live discovery sees everything in the subscription: the
        // resources that are not part of this relocation are left out.
        .args([
            "--target",
            "northeurope",
            "--exclude",
            "tag:owner=someone-else",
            "--out",
            p,
        ])
        .assert()
        .success();
    azrelo(&ep).args(["-q", "generate", p]).assert().success();
    let before = dump(&tmp.path().join("em"));

    // Nothing has run: status says pending; resume refuses; validate
    // changes nothing.
    let st = json_of(
        &azrelo(&ep)
            .args(["-o", "json", "status", p])
            .output()
            .unwrap(),
    );
    assert!(
        st["units"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["state"] == "pending"
                || (u["kind"] == "manual" && u["state"] == "not-automated")),
        "{st}"
    );
    azrelo(&ep).args(["resume", p]).assert().code(3);
    let secrets = secrets(tmp.path());
    azrelo(&ep)
        .args(["-q", "apply", p, "--validate-only", "--parameters"])
        .arg(&secrets)
        .assert()
        .success();
    assert_eq!(
        dump(&tmp.path().join("em")),
        before,
        "--validate-only changed something"
    );
    // --what-if: ARM's what-if per deployment (what it would create),
    // nothing changed either.
    let rows = json_of(
        &azrelo(&ep)
            .args(["-q", "-o", "json", "apply", p, "--what-if", "--parameters"])
            .arg(&secrets)
            .output()
            .unwrap(),
    );
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r["outcome"] == "valid" && r["detail"].is_string()),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .any(|r| r["detail"].as_str().unwrap().contains("create ")),
        "{rows:?}"
    );
    assert_eq!(
        dump(&tmp.path().join("em")),
        before,
        "--what-if changed something"
    );

    // apply stops at the manual gates with exit code 5.
    azrelo(&ep)
        .args(["-q", "apply", p, "--parameters"])
        .arg(&secrets)
        .assert()
        .code(5);
    azrelo(&ep)
        .args(["gate", "done", p, "no-such-gate"])
        .assert()
        .code(3);
    // Not everything is moved: cleanup refuses and deletes nothing.
    azrelo(&ep)
        .args(["-q", "cleanup-source", p, "--confirm"])
        .assert()
        .code(1);
    assert!(
        before
            .keys()
            .all(|k| dump(&tmp.path().join("em")).contains_key(k))
    );

    relocate(&ep, &plan, &secrets, None, true).unwrap();
    let st = json_of(
        &azrelo(&ep)
            .args(["-o", "json", "status", p])
            .output()
            .unwrap(),
    );
    let after = dump(&tmp.path().join("em"));
    for u in st["units"].as_array().unwrap() {
        let state = u["state"].as_str().unwrap();
        // An action (a backup re-protection, …) has no source: it ends
        // committed.
        let action = u.get("source").is_none() && state == "committed";
        assert!(state == "done" || state == "source-kept" || action, "{u}");
        let target = u["unit"].as_str().unwrap().to_ascii_lowercase();
        if u["kind"] == "deploy" || u["kind"] == "disk-copy" {
            let (_, loc, _) = after
                .get(&target)
                .unwrap_or_else(|| panic!("{target} missing"));
            assert!(
                loc.is_empty() || loc == "global" || loc == "northeurope",
                "{target} in {loc}"
            );
            let src = u["source"].as_str().unwrap().to_ascii_lowercase();
            assert_eq!(
                after.contains_key(&src),
                state == "source-kept",
                "{src}: {state}"
            );
        }
    }
    for (id, body) in unrelated() {
        let (_, _, tags) = &after[&id.to_ascii_lowercase()];
        assert_eq!(tags, &body["tags"], "{id} was touched");
    }
    // Locked sources were kept and said so.
    assert!(
        st["units"].as_array().unwrap().iter().any(|u| u["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("locked by"))),
        "no source kept for a lock"
    );
    // Role assignments of recreated identities name the new principals.
    let all = bodies(&tmp.path().join("em"));
    let plan_json: Value =
        serde_json::from_slice(&std::fs::read(plan.join("plan.json")).unwrap()).unwrap();
    let mut new_principals = 0;
    for ra in plan_json["roleAssignments"].as_array().unwrap() {
        let Some(identity) = ra
            .pointer("/targetPrincipal/identity")
            .and_then(Value::as_str)
        else {
            continue;
        };
        let id = format!(
            "{}/providers/Microsoft.Authorization/roleAssignments/{}",
            ra["targetScope"].as_str().unwrap(),
            ra["targetName"].as_str().unwrap()
        )
        .to_ascii_lowercase();
        let ib = &all[&identity.to_ascii_lowercase()];
        let principal = ib
            .pointer("/properties/principalId")
            .or_else(|| ib.pointer("/identity/principalId"))
            .and_then(Value::as_str)
            .unwrap();
        assert_eq!(
            all[&id]["properties"]["principalId"].as_str(),
            Some(principal),
            "{id}"
        );
        new_principals += 1;
    }
    assert!(
        new_principals >= 2,
        "role assignments for new principals: {new_principals}"
    );
    // The journal and the event log are in the plan directory.
    assert!(plan.join("journal.db").exists());
    let events = std::fs::read_to_string(plan.join("events.jsonl")).unwrap();
    assert!(
        events
            .lines()
            .all(|l| serde_json::from_str::<Value>(l).is_ok())
    );
    assert!(
        !events.contains("test-only"),
        "a secret reached the event log"
    );
}

/// xorshift64*: reproducible kill points.
fn next(state: &mut u64, below: u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D) % below
}

#[test]
fn apply_killed_at_twenty_points_resumes_to_the_uninterrupted_state() {
    let setup = |tmp: &Path| {
        let served = emulator(&tmp.join("em"), true);
        let ep = served.endpoint.clone();
        let plan = tmp.join("plan");
        plan_and_generate(&ep, &plan);
        // `resume` needs a started run: the first apply starts it (and runs
        // to the first gates).
        (served, ep, plan)
    };
    let clean = tempfile::tempdir().unwrap();
    let (_served, ep, plan) = setup(clean.path());
    let s = secrets(clean.path());
    azrelo(&ep)
        .args(["-q", "apply"])
        .arg(&plan)
        .arg("--parameters")
        .arg(&s)
        .assert()
        .code(5);
    relocate(&ep, &plan, &s, None, false).unwrap();
    let expected = dump(&clean.path().join("em"));

    let tmp = tempfile::tempdir().unwrap();
    let (_served_crash, ep, plan) = setup(tmp.path());
    let s = secrets(tmp.path());
    // The first kill is in the very first apply.
    let out = azrelo(&ep)
        .env("AZRELO_CRASH_AFTER", "3")
        .args(["-q", "apply"])
        .arg(&plan)
        .arg("--parameters")
        .arg(&s)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        None,
        "AZRELO_CRASH_AFTER=3 must abort the process"
    );
    let mut kills = vec![3];
    let mut rng = 0x0c0f_fee5_eed5_u64;
    loop {
        let n = 1 + next(&mut rng, 40);
        match relocate(&ep, &plan, &s, Some(n), false) {
            Ok(()) => break,
            Err(_) => kills.push(n),
        }
        assert!(kills.len() < 400, "no progress after {kills:?}");
    }
    // One more pass without the hook: everything is finished already.
    relocate(&ep, &plan, &s, None, false).unwrap();
    assert!(kills.len() >= 20, "only {} kills: {kills:?}", kills.len());
    let got = dump(&tmp.path().join("em"));
    let diff: Vec<_> = expected
        .keys()
        .filter(|k| !got.contains_key(*k))
        .map(|k| format!("missing {k}"))
        .chain(
            got.keys()
                .filter(|k| !expected.contains_key(*k))
                .map(|k| format!("extra {k}")),
        )
        .collect();
    assert!(
        diff.is_empty(),
        "after kills at {kills:?}:\n{}",
        diff.join("\n")
    );
    for (k, (ty, loc, _)) in &expected {
        assert_eq!((ty, loc), (&got[k].0, &got[k].1), "{k}");
    }
}

/// Serve a seeded emulator whose operations take time (the `fast` latency
/// profile: realistic durations × 0.05), so a killed `apply` leaves
/// deployments and disk copies running in the emulator.
fn emulator_with_latency(dir: &Path) -> Background {
    let em = Emulator::open(dir)
        .unwrap()
        .with_throttling(false)
        .with_latency(azrelo_emulator::latency::LatencyProfile::Fast);
    seed(&em, true);
    Background::start(em, Transport::Http)
}

/// Issue #18: `kill -9` of `apply` while deployments and disk copies are
/// in flight, then one `resume`: the resume adopts the work in flight (no
/// `409 DeploymentActive`, no "being copied" failure) and ends exactly
/// where an uninterrupted apply ends — at the manual gates, nothing failed.
#[test]
fn apply_killed_with_work_in_flight_converges_in_one_resume() {
    let run_to_gates = |ep: &str, plan: &Path, s: &Path, args: &[&str]| {
        let out = azrelo(ep)
            .args(["-q", "-o", "json"])
            .args(args)
            .arg(plan)
            .arg("--parameters")
            .arg(s)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(5),
            "{args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        json_of(&out)
    };
    let setup = |tmp: &Path| {
        let served = emulator_with_latency(&tmp.join("em"));
        let ep = served.endpoint.clone();
        let plan = tmp.join("plan");
        plan_and_generate(&ep, &plan);
        let s = secrets(tmp);
        (served, ep, plan, s)
    };
    // Uninterrupted: where an apply stops.
    let clean = tempfile::tempdir().unwrap();
    let (_served, ep, plan, s) = setup(clean.path());
    let expected = run_to_gates(&ep, &plan, &s, &["apply"]);
    assert_eq!(expected["failed"], json!([]), "{expected}");

    for kill_after_ms in [1500u64, 4000] {
        let tmp = tempfile::tempdir().unwrap();
        let (_served, ep, plan, s) = setup(tmp.path());
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("azrelo"))
            .args(["-q", "apply"])
            .arg(&plan)
            .arg("--parameters")
            .arg(&s)
            .env("AZRELO_ARM_ENDPOINT", &ep)
            .env("AZRELO_AUTH", "token")
            .env("AZRELO_TOKEN", "cli-apply-test")
            .env_remove("AZRELO_CRASH_AFTER")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(kill_after_ms));
        // SIGKILL: no clean-up of any kind.
        let _ = child.kill();
        let status = child.wait().unwrap();
        assert!(
            status.code().is_none(),
            "apply finished before the kill at {kill_after_ms} ms; nothing was in flight"
        );
        // Work was in flight: steps whose intent is journaled without a
        // result (deployments, disk copies the emulator is still running).
        let in_flight: Vec<String> = azrelo_orchestrate::open_journal(&plan)
            .unwrap()
            .steps(azrelo_orchestrate::state::RUN)
            .unwrap()
            .into_iter()
            .filter(|r| r.phase == azrelo_journal::StepPhase::Intent)
            .map(|r| r.step)
            .collect();
        assert!(
            !in_flight.is_empty(),
            "nothing in flight at the kill at {kill_after_ms} ms"
        );
        eprintln!(
            "kill at {kill_after_ms} ms: {} step(s) in flight, e.g. {:?}",
            in_flight.len(),
            in_flight.iter().take(3).collect::<Vec<_>>()
        );
        let got = run_to_gates(&ep, &plan, &s, &["resume"]);
        assert_eq!(
            got["failed"],
            json!([]),
            "after a kill at {kill_after_ms} ms: {got}"
        );
        assert_eq!(
            (&got["available"], &got["openGates"]),
            (&expected["available"], &expected["openGates"]),
            "after a kill at {kill_after_ms} ms: {got}\nuninterrupted: {expected}"
        );
    }
}

/// Issue #18: without a terminal, `apply` prints a line per step (and a
/// heartbeat), with no escape codes.
#[test]
fn apply_without_a_terminal_prints_progress_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let served = emulator(&tmp.path().join("em"), true);
    let ep = served.endpoint.clone();
    let plan = tmp.path().join("plan");
    plan_and_generate(&ep, &plan);
    let s = secrets(tmp.path());
    let out = azrelo(&ep)
        .args(["apply"])
        .arg(&plan)
        .arg("--parameters")
        .arg(&s)
        .env("AZRELO_HEARTBEAT_SECS", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    let lines = err.lines().filter(|l| l.contains(" apply: ")).count();
    assert!(lines > 20, "a line per step: {err}");
    assert!(err.contains(" verified)"), "{err}");
    assert!(err.contains("apply: finished in"), "{err}");
    assert!(!err.contains('\u{1b}'), "no escape codes: {err:?}");
}
