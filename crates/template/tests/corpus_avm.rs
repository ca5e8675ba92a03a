//! Robustness: every Azure Verified Module (`../shared/corpus/avm-modules`)
//! expands given its required parameters, except those listed with a reason
//! in `tests/expectations/avm.txt`.

mod common;

use azrelo_template::limits::{Limits, Usage};
use azrelo_template::{ExpandOptions, Template, expand};

#[test]
fn every_avm_module_expands() {
    let root = common::corpus("avm-modules");
    let mut files = Vec::new();
    common::files_named(&root, &["main.json"], &mut files);
    assert!(files.len() >= 100, "found only {} modules", files.len());
    let expected = common::expectations("avm.txt");
    let (mut peak, mut heaviest) = (
        Usage::default(),
        [String::new(), String::new(), String::new(), String::new()],
    );
    let mut failures = Vec::new();
    let (mut ok, mut resources) = (0, 0);
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let tpl = match Template::parse(&text, &rel) {
            Ok(t) => t,
            Err(e) => {
                failures.push((rel, e.to_string()));
                continue;
            }
        };
        let mut params = indexmap::IndexMap::new();
        // Parameters typed optional that a module nevertheless dereferences
        // unconditionally (a disk encryption set cannot exist without a key).
        const PRACTICALLY_REQUIRED: &[(&str, &str)] = &[(
            "compute__disk-encryption-set/main.json",
            "customerManagedKey",
        )];
        for (file, p) in PRACTICALLY_REQUIRED {
            if rel == *file {
                let decl = &tpl.doc["parameters"][p];
                params.insert(p.to_string(), common::synthesize(decl, &tpl.doc));
            }
        }
        common::supply_required(&tpl.doc, &mut params, true);
        let opts = ExpandOptions {
            parameters: params,
            ..Default::default()
        };
        match expand(&tpl, &opts) {
            Ok(x) => {
                ok += 1;
                resources += x.resources.len();
                peak = peak_usage(peak, x.usage, &rel, &mut heaviest);
            }
            Err(e) => failures.push((rel, e.to_string())),
        }
    }
    println!(
        "avm-modules: {ok}/{} expand ({resources} resources); {} listed in expectations",
        files.len(),
        expected.len()
    );
    println!("avm-modules: peak usage {peak:?} by {heaviest:?}");
    assert_headroom(peak, &heaviest);
    let mismatch = common::expectation_mismatch(&failures, &expected);
    assert!(mismatch.is_empty(), "{mismatch}");
    assert!(
        expected.len() * 100 <= files.len().max(100),
        "more than 1% excused"
    );
}

/// The largest use of each budget across the corpus, and which template.
fn peak_usage(peak: Usage, u: Usage, rel: &str, heaviest: &mut [String; 4]) -> Usage {
    let mut p = peak;
    if u.steps > p.steps {
        p.steps = u.steps;
        heaviest[0] = rel.to_string();
    }
    if u.evaluated_bytes > p.evaluated_bytes {
        p.evaluated_bytes = u.evaluated_bytes;
        heaviest[1] = rel.to_string();
    }
    if u.largest_value_bytes > p.largest_value_bytes {
        p.largest_value_bytes = u.largest_value_bytes;
        heaviest[2] = rel.to_string();
    }
    if u.deepest_nesting > p.deepest_nesting {
        p.deepest_nesting = u.deepest_nesting;
        heaviest[3] = rel.to_string();
    }
    p
}

/// The default limits are generous: no corpus template comes within a
/// factor of 8 of any of them.
fn assert_headroom(peak: Usage, heaviest: &[String; 4]) {
    let l = Limits::default();
    assert!(peak.steps * 8 <= l.max_steps, "steps {peak:?} {heaviest:?}");
    assert!(
        peak.evaluated_bytes * 8 <= l.max_evaluated_bytes,
        "evaluated bytes {peak:?} {heaviest:?}"
    );
    assert!(
        peak.largest_value_bytes * 8 <= l.max_value_bytes,
        "largest value {peak:?} {heaviest:?}"
    );
    assert!(
        peak.deepest_nesting * 8 <= l.max_nesting,
        "nesting {peak:?} {heaviest:?}"
    );
}
