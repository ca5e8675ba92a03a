//! Function conformance: every documented output in `../shared/corpus/arm-functions`.
//!
//! Each example is expanded with its default parameters; every output listed
//! under `outputs` in `expected.json` must equal the documented value (object
//! key order is not significant). Outputs under `skip` carry a reason in the
//! corpus and are not asserted.

use azrelo_template::{ExpandOptions, Template, expand};

#[test]
fn every_documented_function_output_matches() {
    let root = azrelo_testkit::corpus("arm-functions");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let (mut passed, mut total, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        let outputs = expected["outputs"].as_object().unwrap();
        skipped += expected["skip"].as_object().map_or(0, |s| s.len());
        total += outputs.len();
        let text = std::fs::read_to_string(dir.join("template.json")).unwrap();
        let result =
            Template::parse(&text, &name).and_then(|t| expand(&t, &ExpandOptions::default()));
        match result {
            Err(e) => failures.push(format!("{name}: expansion failed: {e}")),
            Ok(x) => {
                for (out, want) in outputs {
                    match x.outputs.get(out) {
                        Some(got) if &got.to_json() == want => passed += 1,
                        Some(got) => failures.push(format!(
                            "{name}.{out}: got {}, documented {want}",
                            got.to_json()
                        )),
                        None => failures.push(format!("{name}.{out}: no such output")),
                    }
                }
            }
        }
    }
    println!(
        "arm-functions: {passed}/{total} documented outputs match ({skipped} skipped by the corpus with reasons)"
    );
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
