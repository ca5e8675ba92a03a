//! `azrelo generate` and `azrelo diff` on a plan of the built-in example.

mod common;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");

use common::azrelo;

fn plan_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = azrelo()
        .args(["plan", EXAMPLE, "-t", "swedencentral", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

#[test]
fn generate_writes_templates_parameters_and_manifest() {
    let dir = plan_dir();
    let out = azrelo()
        .args(["generate"])
        .arg(dir.path())
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("templates/manifest.json")).unwrap(),
    )
    .unwrap();
    let deployments = manifest["deployments"].as_array().unwrap();
    assert!(deployments.len() >= 8);
    for d in deployments {
        let t = dir
            .path()
            .join("templates")
            .join(d["templateFile"].as_str().unwrap());
        let p = dir
            .path()
            .join("templates")
            .join(d["parametersFile"].as_str().unwrap());
        let template: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&t).unwrap()).unwrap();
        assert!(
            template["$schema"]
                .as_str()
                .unwrap()
                .contains("eploymentTemplate.json")
        );
        assert!(p.exists(), "{}", p.display());
        assert!(d["command"].as_str().unwrap().starts_with("az deployment "));
    }
    // Backup items are not copied; the manifest says why.
    assert!(
        manifest["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reason"].as_str().unwrap().contains("protect"))
    );
}

#[test]
fn diff_shows_what_changes_for_one_resource() {
    let dir = plan_dir();
    let out = azrelo()
        .arg("diff")
        .arg(dir.path())
        .arg("kv-shop-weu-01")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!("diff_key_vault", String::from_utf8(out.stdout).unwrap());
    let out = azrelo()
        .arg("diff")
        .arg(dir.path())
        .arg("no-such-thing")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}
