//! `azrelo regions`, `azrelo types availability` and the CLI's error/exit-code contract.

use assert_cmd::Command;

fn azrelo() -> Command {
    Command::cargo_bin("azrelo").unwrap()
}

fn stdout(args: &[&str]) -> String {
    let out = azrelo()
        .args(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(out).unwrap()
}

#[test]
fn regions_json_lists_the_62_physical_regions_with_pairs_and_zones() {
    let v: serde_json::Value = serde_json::from_str(&stdout(&["regions", "-o", "json"])).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 62);
    for r in list {
        assert_eq!(r["regionType"], "physical");
        assert!(
            r["pairedRegions"].is_array() && r["zones"].is_array(),
            "{r}"
        );
    }
    let we = list.iter().find(|r| r["name"] == "westeurope").unwrap();
    assert_eq!(we["pairedRegions"], serde_json::json!(["northeurope"]));
    assert_eq!(we["zones"].as_array().unwrap().len(), 3);
    assert_eq!(we["zones"][1]["physicalZone"], "westeurope-az3");
}

#[test]
fn regions_all_includes_logical_regions() {
    let v: serde_json::Value =
        serde_json::from_str(&stdout(&["regions", "--all", "-o", "json"])).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 102);
}

#[test]
fn keyvault_in_swedencentral_answers_with_snapshot_date() {
    let v: serde_json::Value = serde_json::from_str(&stdout(&[
        "types",
        "availability",
        "Microsoft.KeyVault/vaults",
        "--region",
        "swedencentral",
        "-o",
        "json",
    ]))
    .unwrap();
    assert_eq!(v["snapshot"], "2023-11");
    assert_eq!(v["status"], "available");
    assert_eq!(v["region"], "swedencentral");
}

#[test]
fn a_region_newer_than_the_snapshot_is_unknown_not_unavailable() {
    // Regions opened after 2023-11 (e.g. Spain Central, Mexico Central) are in the
    // region catalog but nowhere in the providers snapshot.
    for region in ["spaincentral", "mexicocentral", "newzealandnorth"] {
        let v: serde_json::Value = serde_json::from_str(&stdout(&[
            "types",
            "availability",
            "Microsoft.KeyVault/vaults",
            "-r",
            region,
            "-o",
            "json",
        ]))
        .unwrap();
        assert_eq!(v["status"], "unknown-region", "{region}: {v}");
    }
}

#[test]
fn table_outputs() {
    insta::assert_snapshot!(
        "regions_europe",
        stdout(&["regions", "--geography", "Europe"])
    );
    insta::assert_snapshot!(
        "regions_show_westeurope",
        stdout(&["regions", "show", "West Europe"])
    );
    insta::assert_snapshot!(
        "types_availability_kv_swedencentral",
        stdout(&[
            "types",
            "availability",
            "Microsoft.KeyVault/vaults",
            "--region",
            "Sweden Central"
        ])
    );
}

#[test]
fn bad_input_exits_3_with_a_hint() {
    let a = azrelo()
        .args(["regions", "show", "atlantis"])
        .assert()
        .code(3);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(err.contains("'atlantis' is not an Azure region"), "{err}");
    assert!(err.contains("azrelo regions"), "{err}");
    azrelo()
        .args(["types", "availability", "KeyVault"])
        .assert()
        .code(3);
}

#[test]
fn usage_errors_exit_2() {
    azrelo().args(["no-such-command"]).assert().code(2);
    azrelo().args(["regions", "-o", "yaml"]).assert().code(2);
}

#[test]
fn completions_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let s = stdout(&["completions", shell]);
        assert!(s.contains("azrelo"), "{shell}");
    }
}
