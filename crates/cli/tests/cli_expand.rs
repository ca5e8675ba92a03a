//! `azrelo expand`: table and JSON output, secrets redacted, errors with positions.

mod common;

use common::azrelo;

/// The diagnostic text without miette's line wrapping and frame characters.
fn flat(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webapp.json");

#[test]
fn expand_table_output() {
    let out = azrelo()
        .args([
            "expand",
            FIXTURE,
            "--param",
            "sqlPassword=Canary-Secret-4711",
            "-g",
            "rg-shop",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("Canary-Secret-4711"));
    insta::assert_snapshot!("expand_table", text);
}

#[test]
fn expand_json_output_redacts_secrets_and_lists_unknowns() {
    let out = azrelo()
        .args([
            "expand",
            FIXTURE,
            "--param",
            "sqlPassword=Canary-Secret-4711",
            "-g",
            "rg-shop",
            "-o",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("Canary-Secret-4711"), "secret leaked");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let app = &v["resources"][2];
    assert_eq!(app["type"], "Microsoft.Web/sites");
    assert_eq!(app["dependsOn"].as_array().unwrap().len(), 2);
    assert_eq!(
        app["body"]["properties"]["siteConfig"]["connectionStrings"][0]["connectionString"],
        "Server=tcp:sql.database.windows.net;Password=***;"
    );
    assert_eq!(v["unresolved"][0]["owner"], app["id"]);
    assert!(
        v["unresolved"][0]["expression"]
            .as_str()
            .unwrap()
            .starts_with("listKeys(")
    );
    assert_eq!(v["outputs"]["appId"], app["id"]);
}

#[test]
fn expand_errors_name_file_line_and_missing_parameter() {
    let a = azrelo().args(["expand", FIXTURE]).assert().code(3);
    let err = flat(&a.get_output().stderr);
    assert!(err.contains("'sqlPassword' has no value"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"resources\": [\n    {\"name\": 1 \"x\": 2}\n  ]\n}",
    )
    .unwrap();
    let a = azrelo()
        .args(["expand", bad.to_str().unwrap()])
        .assert()
        .code(3);
    let err = flat(&a.get_output().stderr);
    assert!(err.contains("bad.json:3:16"), "{err}");
    assert!(err.contains("$.resources[0]"), "{err}");
}
