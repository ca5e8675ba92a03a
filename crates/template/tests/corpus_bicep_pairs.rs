//! Equivalence: for every pair in `../shared/corpus/bicep-pairs`, `main.json`
//! (classic resources array) and `main.symbolicnames.json` (languageVersion
//! 2.0) expand to the same resources — ids, types, properties and dependsOn —
//! under the same parameters (required ones synthesized from the classic
//! file's declarations). Exceptions are listed with a reason in
//! `tests/expectations/bicep-pairs.txt`.

use azrelo_template::{ExpandOptions, Template, expand};
use std::collections::BTreeMap;

type Shape = BTreeMap<String, (String, serde_json::Value, Vec<String>)>;

/// Runtime-only values are compared as "unknown": their expression text
/// legitimately differs between the forms (`reference(resourceId(...))` in
/// classic output vs `reference('symbol')` in languageVersion 2.0).
fn normalize(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(o) => {
            if o.len() == 1 && o.contains_key(azrelo_template::value::UNKNOWN_MARKER) {
                return serde_json::json!("<unknown>");
            }
            serde_json::Value::Object(o.into_iter().map(|(k, v)| (k, normalize(v))).collect())
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(normalize).collect())
        }
        other => other,
    }
}

fn shape(x: &azrelo_template::Expanded) -> Shape {
    x.resources
        .iter()
        .filter(|r| r.condition)
        .map(|r| {
            let mut deps: Vec<String> = r
                .depends_on
                .iter()
                .map(|d| d.to_ascii_lowercase())
                .collect();
            deps.sort();
            deps.dedup();
            (
                r.id.to_ascii_lowercase(),
                (
                    r.resource_type.to_ascii_lowercase(),
                    normalize(r.properties().map(|p| p.to_json()).unwrap_or_default()),
                    deps,
                ),
            )
        })
        .collect()
}

#[test]
fn classic_and_symbolic_forms_expand_alike() {
    let root = azrelo_testkit::corpus("bicep-pairs");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("main.json").exists())
        .collect();
    dirs.sort();
    assert_eq!(dirs.len(), 184);
    let expected = azrelo_testkit::expectations(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/expectations/bicep-pairs.txt"),
    );
    let mut failures = Vec::new();
    let mut both_fail: Vec<String> = Vec::new();
    let mut equal = 0;
    for d in &dirs {
        let name = d.file_name().unwrap().to_string_lossy().to_string();
        let classic = Template::parse(
            &std::fs::read_to_string(d.join("main.json")).unwrap(),
            "main.json",
        );
        let symbolic = Template::parse(
            &std::fs::read_to_string(d.join("main.symbolicnames.json")).unwrap(),
            "main.symbolicnames.json",
        );
        let (classic, symbolic) = match (classic, symbolic) {
            (Ok(a), Ok(b)) => (a, b),
            (a, b) => {
                failures.push((name, format!("parse: {:?} / {:?}", a.err(), b.err())));
                continue;
            }
        };
        let mut params = indexmap::IndexMap::new();
        // Object and array parameters whose shape the templates use but do not
        // declare: supplied by hand, as a user deploying them would.
        let overrides: &[(&str, &str, serde_json::Value)] = &[
            (
                "baselines__Loops_LF",
                "accounts",
                serde_json::json!([{"name": "a", "location": "westeurope"}, {"name": "b", "location": "westeurope"}]),
            ),
            (
                "baselines__LoopsIndexed_LF",
                "accounts",
                serde_json::json!([{"name": "a", "location": "westeurope"}, {"name": "b", "location": "westeurope"}]),
            ),
            (
                "baselines__Resources_CRLF",
                "cosmosDb",
                serde_json::json!({"account": "acct", "databaseName": "db", "containerName": "c"}),
            ),
            (
                "user_submitted__201__key-vault-secret-create",
                "secretsObject",
                serde_json::json!({"secrets": [{"secretName": "s1", "secretValue": "v1"}]}),
            ),
            (
                "baselines__Parameters_CRLF",
                "myAny",
                serde_json::json!({"property": "x"}),
            ),
            (
                "baselines__Parameters_LF",
                "myAny",
                serde_json::json!({"property": "x"}),
            ),
        ];
        for (pair, p, v) in overrides {
            if name == *pair {
                params.insert(p.to_string(), v.clone());
            }
        }
        azrelo_testkit::supply_required(&classic.doc, &mut params, true);
        azrelo_testkit::supply_required(&symbolic.doc, &mut params, true);
        let mut opts = ExpandOptions {
            parameters: params,
            base_dir: Some(d.clone()),
            ..Default::default()
        };
        if name == "baselines__Outputs_CRLF" {
            // Its outputs index an object by resourceGroup().location ('eastus' or 'westus').
            opts.context.resource_group_location = "eastus".into();
        }
        match (expand(&classic, &opts), expand(&symbolic, &opts)) {
            (Ok(a), Ok(b)) => {
                let (sa, sb) = (shape(&a), shape(&b));
                if sa == sb {
                    equal += 1;
                } else {
                    let only_a: Vec<_> = sa.keys().filter(|k| !sb.contains_key(*k)).collect();
                    let only_b: Vec<_> = sb.keys().filter(|k| !sa.contains_key(*k)).collect();
                    let differing: Vec<_> = sa
                        .iter()
                        .filter(|(k, v)| sb.get(*k).is_some_and(|w| w != *v))
                        .map(|(k, v)| {
                            let w = &sb[k];
                            let what = if v.0 != w.0 {
                                "type"
                            } else if v.1 != w.1 {
                                "properties"
                            } else {
                                "dependsOn"
                            };
                            format!(
                                "{k} ({what}: {:?} vs {:?})",
                                if what == "dependsOn" {
                                    format!("{:?}", v.2)
                                } else {
                                    String::new()
                                },
                                if what == "dependsOn" {
                                    format!("{:?}", w.2)
                                } else {
                                    String::new()
                                }
                            )
                        })
                        .collect();
                    failures.push((
                        name,
                        format!("only classic: {only_a:?}; only symbolic: {only_b:?}; differing: {differing:?}"),
                    ));
                }
            }
            (Err(a), Err(b)) => {
                both_fail.push(name.clone());
                failures.push((name, format!("both forms fail: classic {a} / symbolic {b}")));
            }
            (a, b) => failures.push((
                name,
                format!(
                    "expansion: classic {:?} / symbolic {:?}",
                    a.err().map(|e| e.to_string()),
                    b.err().map(|e| e.to_string())
                ),
            )),
        }
    }
    println!(
        "bicep-pairs: {equal}/{} pairs expand to the same resources; {} listed in expectations",
        dirs.len(),
        expected.len()
    );
    let mismatch = azrelo_testkit::expectation_mismatch(&failures, &expected);
    assert!(mismatch.is_empty(), "{mismatch}");
    // An excused pair must fail in both forms alike: never excuse a divergence.
    let diverging: Vec<&String> = expected.keys().filter(|k| !both_fail.contains(k)).collect();
    assert!(
        diverging.is_empty(),
        "excused pairs must fail in both forms: {diverging:?}"
    );
}
