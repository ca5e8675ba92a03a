//! Robustness: every Azure Verified Module (`../shared/corpus/avm-modules`)
//! expands given its required parameters, except those listed with a reason
//! in `tests/expectations/avm.txt`.

mod peak;

use azrelo_template::{ExpandOptions, Template, expand};

#[test]
fn every_avm_module_expands() {
    let root = azrelo_testkit::corpus("avm-modules");
    let mut files = Vec::new();
    azrelo_testkit::files_named(&root, &["main.json"], &mut files);
    assert!(files.len() >= 100, "found only {} modules", files.len());
    let expected = azrelo_testkit::expectations(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expectations/avm.txt"),
    );
    let mut peak = peak::Peak::default();
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
                params.insert(p.to_string(), azrelo_testkit::synthesize(decl, &tpl.doc));
            }
        }
        azrelo_testkit::supply_required(&tpl.doc, &mut params, true);
        let opts = ExpandOptions {
            parameters: params,
            ..Default::default()
        };
        match expand(&tpl, &opts) {
            Ok(x) => {
                ok += 1;
                resources += x.resources.len();
                peak.record(x.usage, &rel);
            }
            Err(e) => failures.push((rel, e.to_string())),
        }
    }
    println!(
        "avm-modules: {ok}/{} expand ({resources} resources); {} listed in expectations",
        files.len(),
        expected.len()
    );
    peak.assert_headroom("avm-modules");
    let mismatch = azrelo_testkit::expectation_mismatch(&failures, &expected);
    assert!(mismatch.is_empty(), "{mismatch}");
    assert!(
        expected.len() * 100 <= files.len().max(100),
        "more than 1% excused"
    );
}
