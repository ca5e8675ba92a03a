//! Bounded evaluation (issue #18): the two memory bombs of the issue fail
//! fast with an error naming the limit, the JSON path and the expression,
//! using less than 1 GiB; ARM's own template limits are enforced; the input
//! size is capped.
//!
//! How memory is bounded in the test: each bomb runs in a child process —
//! this test binary again, running only `bombs_fail_on_their_limit` with
//! `AZRELO_LIMITS_CHILD` naming the bomb — under an address-space limit of
//! 1 GiB (`ulimit -v`, RLIMIT_AS). Were the budget not working, the child's
//! allocations would fail at 1 GiB and it would abort instead of printing
//! the error; the child also prints its peak resident set (`VmHWM`), which
//! the parent checks is under 1 GiB. (Without `sh`/Linux the child runs the
//! bombs in-process, bounded by the same budget.)

mod peak;

use azrelo_template::limits::{ARM_MAX_VARIABLES, Limits};
use azrelo_template::{ExpandOptions, Template, expand};
use serde_json::json;
use std::path::Path;

const CHILD: &str = "AZRELO_LIMITS_CHILD";

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Expand a bomb with the default limits; its error text.
fn explode(name: &str) -> String {
    let text = fixture(name);
    let t = Template::parse(&text, name).unwrap();
    match expand(&t, &ExpandOptions::default()) {
        Ok(x) => panic!("{name} expanded ({} resources)", x.resources.len()),
        Err(e) => e.to_string(),
    }
}

/// The errors each bomb must fail with (limit, JSON path, expression).
fn check_doubling(e: &str) {
    assert!(e.contains("Limits::max_value_bytes"), "{e}");
    assert!(e.contains("$.variables.v18"), "{e}");
    assert!(
        e.contains("concat(variables('v17'), variables('v17'))"),
        "{e}"
    );
}

fn check_copy(e: &str) {
    assert!(e.contains("Limits::max_evaluated_bytes"), "{e}");
    assert!(e.contains("$.resources[0].properties.copy[0].input"), "{e}");
    assert!(e.contains("variables('s')"), "{e}");
}

/// In a child: run one bomb and report. Otherwise: both bombs in-process.
#[test]
fn bombs_fail_on_their_limit() {
    match std::env::var(CHILD).as_deref() {
        Ok("doubling") => {
            let e = explode("bomb-doubling-variables.json");
            println!("error={e}");
            check_doubling(&e);
        }
        Ok("copy") => {
            let e = explode("bomb-copy-800x800.json");
            println!("error={e}");
            check_copy(&e);
        }
        _ => {
            check_doubling(&explode("bomb-doubling-variables.json"));
            check_copy(&explode("bomb-copy-800x800.json"));
            return;
        }
    }
    println!("peak_rss_kib={}", peak::peak_rss_kib().unwrap_or(0));
}

/// Run one bomb in a child process limited to 1 GiB of address space.
fn run_child(which: &str) -> String {
    const GIB_KIB: u64 = 1024 * 1024;
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {GIB_KIB} && exec \"$0\" \"$@\""))
        .arg(exe)
        .args([
            "--exact",
            "bombs_fail_on_their_limit",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, which)
        .output()
        .expect("sh runs the child");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "the {which} bomb did not fail cleanly within 1 GiB: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let peak: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("peak_rss_kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak_rss_kib line:\n{stdout}"));
    println!("{which} bomb: peak RSS {} MiB", peak / 1024);
    if cfg!(target_os = "linux") {
        assert!(peak > 0 && peak < GIB_KIB, "peak RSS {peak} KiB");
    }
    stdout
}

#[cfg(unix)]
#[test]
fn variables_doubling_60_times_stop_at_the_value_limit_within_1_gib() {
    let out = run_child("doubling");
    check_doubling(&out);
}

#[cfg(unix)]
#[test]
fn a_copy_of_800_x_800_large_strings_stops_at_the_evaluated_bytes_limit_within_1_gib() {
    let out = run_child("copy");
    check_copy(&out);
}

fn base() -> serde_json::Value {
    json!({"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
           "contentVersion": "1.0.0.0", "resources": []})
}

fn try_expand(t: &serde_json::Value, limits: Limits) -> Result<azrelo_template::Expanded, String> {
    let t = Template::parse(&t.to_string(), "t.json").map_err(|e| e.to_string())?;
    let opts = ExpandOptions {
        limits,
        ..Default::default()
    };
    expand(&t, &opts).map_err(|e| e.to_string())
}

/// ARM's template limits (best-practices.md, "Template limits"): 256
/// variables, 64 outputs, 800 resources, copy counts to 800.
#[test]
fn arm_template_limits_are_enforced() {
    let mut t = base();
    let vars: serde_json::Map<String, serde_json::Value> = (0..=ARM_MAX_VARIABLES)
        .map(|i| (format!("v{i}"), json!(i)))
        .collect();
    t["variables"] = serde_json::Value::Object(vars);
    let e = try_expand(&t, Limits::default()).unwrap_err();
    assert!(e.contains("257 variables; ARM allows at most 256"), "{e}");

    let mut t = base();
    let outputs: serde_json::Map<String, serde_json::Value> = (0..65)
        .map(|i| (format!("o{i}"), json!({"type": "int", "value": i})))
        .collect();
    t["outputs"] = serde_json::Value::Object(outputs);
    let e = try_expand(&t, Limits::default()).unwrap_err();
    assert!(e.contains("65 outputs; ARM allows at most 64"), "{e}");

    // 801 resources from two loops: refused as the 801st is recorded.
    let mut t = base();
    t["resources"] = json!([
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-05-01",
         "name": "[concat('a', copyIndex())]", "copy": {"name": "a", "count": 800}},
        {"type": "Microsoft.Network/publicIPAddresses", "apiVersion": "2023-05-01",
         "name": "[concat('b', copyIndex())]", "copy": {"name": "b", "count": 800}}
    ]);
    let e = try_expand(&t, Limits::default()).unwrap_err();
    assert!(e.contains("more than 800 resources"), "{e}");
    assert!(e.contains("$.resources[1]"), "{e}");
}

#[test]
fn deep_variable_chains_evaluate_and_the_nesting_limit_is_reported() {
    // All 256 variables ARM allows, each using the previous: evaluates on a
    // test thread's small stack (the evaluator grows its stack).
    let mut t = base();
    let mut vars = serde_json::Map::new();
    vars.insert("v0".into(), json!("x"));
    for i in 1..ARM_MAX_VARIABLES {
        vars.insert(
            format!("v{i}"),
            json!(format!("[concat(variables('v{}'), 'y')]", i - 1)),
        );
    }
    t["variables"] = serde_json::Value::Object(vars);
    t["outputs"] = json!({"o": {"type": "int", "value": "[length(variables('v255'))]"}});
    let x = try_expand(&t, Limits::default()).unwrap();
    assert_eq!(x.outputs["o"].to_json(), json!(256));
    assert!(x.usage.deepest_nesting >= 256, "{:?}", x.usage);
    let e = try_expand(
        &t,
        Limits {
            max_nesting: 100,
            ..Limits::default()
        },
    )
    .unwrap_err();
    assert!(e.contains("Limits::max_nesting"), "{e}");
}

#[test]
fn nested_loops_stop_at_the_evaluated_bytes_limit_naming_the_path() {
    // range() is capped at 10,000 items by ARM; a map over a map of them
    // builds 10,000 arrays of 10,000 items.
    let mut t = base();
    t["outputs"] = json!({"o": {"type": "array",
        "value": "[map(range(0, 10000), lambda('i', map(range(0, 10000), lambda('j', 1))))]"}});
    let e = try_expand(&t, Limits::default()).unwrap_err();
    assert!(e.contains("Limits::max_evaluated_bytes"), "{e}");
    assert!(e.contains("$.outputs.o.value"), "{e}");
}

#[test]
fn quadratic_array_functions_count_their_comparisons() {
    // union() of large arrays is quadratic: its comparisons count as steps.
    let mut t = base();
    t["outputs"] = json!({"o": {"type": "array",
        "value": "[union(range(0, 10000), range(10000, 10000), range(20000, 10000), range(30000, 10000))]"}});
    let e = try_expand(&t, Limits::default()).unwrap_err();
    assert!(e.contains("Limits::max_steps"), "{e}");
}

#[test]
fn values_nested_too_deep_are_refused() {
    // Arrays in arrays, 750 levels deep through variables (the limit is 256).
    let mut t = base();
    let mut vars = serde_json::Map::new();
    vars.insert(
        "d0".into(),
        json!("[createArray(createArray(createArray(1)))]"),
    );
    for i in 1..250 {
        vars.insert(
            format!("d{i}"),
            json!(format!(
                "[createArray(createArray(createArray(variables('d{}'))))]",
                i - 1
            )),
        );
    }
    t["variables"] = serde_json::Value::Object(vars);
    t["outputs"] = json!({"o": {"type": "array", "value": "[variables('d249')]"}});
    let e = try_expand(&t, Limits::default()).unwrap_err();
    assert!(e.contains("Limits::max_value_depth"), "{e}");
}

#[test]
fn functions_that_multiply_their_input_are_checked_before_they_build() {
    for (expr, what) in [
        // 16,000 × 4,000 bytes = 64 MB from one call.
        (
            "[replace(padLeft('', 16000, 'x'), 'x', padLeft('', 4000, 'y'))]",
            "replace(",
        ),
        // A 2 GB alignment width.
        ("[format('{0,2000000000}', 'a')]", "format("),
        ("[format('{0:D2000000000}', 1)]", "format("),
        // 10,000 × a 16,000-byte separator.
        ("[join(range(0, 10000), padLeft('', 16000, 'x'))]", "join("),
    ] {
        let mut t = base();
        t["outputs"] = json!({"o": {"type": "string", "value": expr}});
        let e = try_expand(&t, Limits::default()).unwrap_err();
        assert!(
            e.contains("Limits::max_value_bytes") && e.contains(what),
            "{expr}: {e}"
        );
    }
}

#[test]
fn template_input_is_capped() {
    let limits = Limits {
        max_template_bytes: 1000,
        ..Limits::default()
    };
    let text = format!("{{\"resources\": [], \"x\": \"{}\"}}", "a".repeat(2000));
    let e = Template::parse_with(&text, "big.json", &limits)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("big.json") && e.contains("Limits::max_template_bytes"),
        "{e}"
    );
    let dir = std::env::temp_dir().join(format!("azrelo-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("big.json");
    std::fs::write(&file, &text).unwrap();
    let e = Template::from_file_with(&file, &limits)
        .unwrap_err()
        .to_string();
    std::fs::remove_dir_all(&dir).ok();
    assert!(e.contains(&format!("{} bytes", text.len())), "{e}");
    // The default accepts every corpus template (the largest is under 1 MB).
    assert!(Limits::default().max_template_bytes >= 4 * 1024 * 1024);
}
