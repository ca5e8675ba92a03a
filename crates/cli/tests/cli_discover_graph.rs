//! `azrelo discover` and `azrelo graph` on the built-in example estate.

use assert_cmd::Command;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");
const HUB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../graph/tests/ground_truth");

fn azrelo() -> Command {
    Command::cargo_bin("azrelo").unwrap()
}

fn stdout(args: &[&str]) -> String {
    String::from_utf8(
        azrelo()
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone(),
    )
    .unwrap()
}

#[test]
fn discover_writes_an_estate_that_later_commands_accept() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("estate.json");
    let text = stdout(&[
        "discover",
        "--from",
        EXAMPLE,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        text.contains("68 resources, 16 other records, 0 warning(s)"),
        "{text}"
    );
    let estate: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(estate["schema"], "azrelo.estate/v1");
    assert_eq!(estate["roleAssignments"].as_array().unwrap().len(), 7);
    // The graph of the estate file equals the graph of the raw inputs.
    let from_raw = stdout(&["graph", EXAMPLE, "-o", "json"]);
    let from_estate = stdout(&["graph", out.to_str().unwrap(), "-o", "json"]);
    assert_eq!(from_raw, from_estate);
}

#[test]
fn graph_summary_table() {
    let text = stdout(&["graph", EXAMPLE]);
    insta::assert_snapshot!("graph_contoso_table", text);
}

#[test]
fn graph_renders_dot_and_mermaid() {
    let dot = stdout(&["graph", HUB, "--format", "dot"]);
    assert!(dot.starts_with("digraph estate {") && dot.trim_end().ends_with('}'));
    assert!(dot.contains("[label=\"vnet_peering\"]"));
    let mermaid = stdout(&["graph", HUB, "--format", "mermaid"]);
    insta::assert_snapshot!("graph_hub_spoke_mermaid", mermaid);
}

#[test]
fn bad_inputs_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("x.json");
    std::fs::write(&bad, "{\"hello\": 1}").unwrap();
    let a = azrelo()
        .args(["graph", bad.to_str().unwrap()])
        .assert()
        .code(3);
    let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(err.contains("not a recognised input"), "{err}");
    azrelo().args(["discover"]).assert().code(2);
}
