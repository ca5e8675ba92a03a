//! `azrelo regions`, `azrelo types availability` and the CLI's error/exit-code contract.

mod common;

use common::azrelo;

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

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&stdout(args)).unwrap()
}

#[test]
fn regions_json_lists_the_62_physical_regions_with_pairs_and_zones() {
    let v = json(&["regions", "-o", "json"]);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 62);
    let catalog: Vec<&str> = azrelo_arm::Regions::embedded()
        .physical()
        .map(|r| r.name.as_str())
        .collect();
    let names: Vec<&str> = list.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names, catalog,
        "exactly the physical regions, sorted by name"
    );
    let (mut paired, mut zoned) = (0, 0);
    for r in list {
        assert_eq!(r["regionType"], "physical");
        for field in [
            "displayName",
            "regionalDisplayName",
            "geography",
            "geographyGroup",
            "physicalLocation",
        ] {
            assert!(r[field].is_string(), "{field}: {r}");
        }
        paired += usize::from(!r["pairedRegions"].as_array().unwrap().is_empty());
        let zones = r["zones"].as_array().unwrap();
        zoned += usize::from(!zones.is_empty());
        for z in zones {
            assert!(
                z["logicalZone"].is_string() && z["physicalZone"].is_string(),
                "{z}"
            );
        }
    }
    assert_eq!((paired, zoned), (49, 39));
    let we = list.iter().find(|r| r["name"] == "westeurope").unwrap();
    assert_eq!(we["pairedRegions"], serde_json::json!(["northeurope"]));
    assert_eq!(we["zones"].as_array().unwrap().len(), 3);
    assert_eq!(we["zones"][1]["physicalZone"], "westeurope-az3");
}

#[test]
fn regions_all_includes_logical_regions() {
    let v = json(&["regions", "--all", "-o", "json"]);
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 102);
    assert_eq!(
        list.iter().filter(|r| r["regionType"] == "logical").count(),
        40
    );
}

#[test]
fn regions_show_takes_any_spelling() {
    for spelling in [
        "westeurope",
        "WEST EUROPE",
        "(Europe) West Europe",
        "WestEurope",
    ] {
        let v = json(&["regions", "show", spelling, "-o", "json"]);
        assert_eq!(v["name"], "westeurope", "{spelling}");
    }
    let v = json(&["regions", "show", "Australia SouthEast", "-o", "json"]);
    assert_eq!(v["pairedRegions"], serde_json::json!(["australiaeast"]));
}

#[test]
fn geography_filter_and_unknown_geography() {
    let v = json(&["regions", "--geography", "europe", "-o", "json"]);
    assert_eq!(v.as_array().unwrap().len(), 17);
    let a = azrelo()
        .args(["regions", "--geography", "Atlantis"])
        .assert()
        .code(3);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("no region is in the geography 'Atlantis'"),
        "{err}"
    );
    assert!(
        err.contains("United States"),
        "lists the known geographies: {err}"
    );
}

#[test]
fn keyvault_in_swedencentral_answers_with_snapshot_date() {
    let v = json(&[
        "types",
        "availability",
        "Microsoft.KeyVault/vaults",
        "--region",
        "swedencentral",
        "-o",
        "json",
    ]);
    assert_eq!(v["snapshot"], "2023-11");
    assert_eq!(v["status"], "available");
    assert_eq!(v["region"], "swedencentral");
    assert_eq!(v["answeredBy"], "Microsoft.KeyVault/vaults");
    assert!(v["detail"].as_str().unwrap().contains("2023-11"), "{v}");
}

#[test]
fn a_region_newer_than_the_snapshot_is_unknown_not_unavailable() {
    // Regions opened after 2023-11 (e.g. Spain Central, Mexico Central) are in the
    // region catalog but nowhere in the providers snapshot.
    for region in [
        "spaincentral",
        "Mexico Central",
        "(Asia Pacific) New Zealand North",
    ] {
        let v = json(&[
            "types",
            "availability",
            "Microsoft.KeyVault/vaults",
            "-r",
            region,
            "-o",
            "json",
        ]);
        assert_eq!(v["status"], "unknown-region", "{region}: {v}");
        assert_eq!(v["snapshot"], "2023-11");
    }
}

#[test]
fn unknown_types_are_unknown_with_a_region_and_bad_input_without() {
    let v = json(&[
        "types",
        "availability",
        "Contoso.Widgets/gadgets",
        "-r",
        "westeurope",
        "-o",
        "json",
    ]);
    assert_eq!(v["status"], "unknown-type");
    assert!(v["answeredBy"].is_null());
    let a = azrelo()
        .args(["types", "availability", "Contoso.Widgets/gadgets"])
        .assert()
        .code(3);
    let err = String::from_utf8(a.get_output().stderr.clone()).unwrap();
    // miette wraps long lines; compare the words.
    let words = err.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("az provider show -n Contoso.Widgets"),
        "{err}"
    );
    azrelo()
        .args([
            "types",
            "availability",
            "Microsoft.KeyVault/vaults",
            "-r",
            "atlantis",
        ])
        .assert()
        .code(3);
}

#[test]
fn availability_of_a_type_in_every_physical_region() {
    let v = json(&[
        "types",
        "availability",
        "Microsoft.Network/virtualNetworks/subnets",
        "-o",
        "json",
    ]);
    assert_eq!(v["snapshot"], "2023-11");
    assert_eq!(v["answeredBy"], "Microsoft.Network/virtualNetworks");
    assert_eq!(v["global"], false);
    assert!(v["apiVersions"].as_array().unwrap().len() > 50);
    assert_eq!(v["newestStableApiVersion"], "2023-06-01");
    let regions = v["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 62);
    let status = |name: &str| {
        regions
            .iter()
            .find(|r| r["name"] == name)
            .map(|r| r["status"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(status("westeurope"), "available");
    assert_eq!(status("spaincentral"), "unknown-region");
    for r in regions {
        assert!(
            ["available", "not-listed", "unknown-region"].contains(&r["status"].as_str().unwrap()),
            "{r}"
        );
    }
    // Listed locations that are not physical catalog regions (logical stage
    // regions, Microsoft-internal App Service stamps) are reported separately.
    let v = json(&["types", "availability", "Microsoft.Web/sites", "-o", "json"]);
    let other: Vec<&str> = v["otherListedLocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(
        other,
        [
            "centralusstage",
            "eastasiastage",
            "eastus2stage",
            "msfteastasia",
            "msfteastus",
            "msftnortheurope",
            "msftwestus",
            "northcentralusstage"
        ]
    );
    // A global type.
    let v = json(&[
        "types",
        "availability",
        "Microsoft.Network/privateDnsZones",
        "-o",
        "json",
    ]);
    assert_eq!(v["global"], true);
    assert!(
        v["regions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "global")
    );
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
        "regions_show_swedencentral",
        stdout(&["regions", "show", "(Europe) Sweden Central"])
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
    insta::assert_snapshot!(
        "types_availability_kv_spaincentral",
        stdout(&[
            "types",
            "availability",
            "Microsoft.KeyVault/vaults",
            "--region",
            "spaincentral"
        ])
    );
    insta::assert_snapshot!(
        "types_availability_kv_all_regions",
        stdout(&["types", "availability", "microsoft.keyvault/vaults"])
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
    azrelo().args(["regions", "-o", "xml"]).assert().code(2);
    // A query that does not parse is a usage error, as in az.
    azrelo().args(["regions", "--query", "[?"]).assert().code(2);
    // az's conflict: --only-show-errors with --debug or --verbose.
    azrelo()
        .args(["regions", "--only-show-errors", "--debug"])
        .assert()
        .code(2);
}

#[test]
fn completions_are_generated() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let s = stdout(&["completions", shell]);
        assert!(s.contains("azrelo"), "{shell}");
    }
}

#[test]
fn long_help_documents_the_json_fields() {
    let regions = stdout(&["regions", "--help"]);
    for field in [
        "name",
        "displayName",
        "regionalDisplayName",
        "regionType",
        "geographyGroup",
        "physicalLocation",
        "pairedRegions",
        "logicalZone, physicalZone",
    ] {
        assert!(regions.contains(field), "regions --help lacks {field}");
    }
    let types = stdout(&["types", "availability", "--help"]);
    for field in [
        "answeredBy",
        "snapshot",
        "newestStableApiVersion",
        "otherListedLocations",
        "not-listed",
        "unknown-region",
        "unknown-type",
    ] {
        assert!(
            types.contains(field),
            "types availability --help lacks {field}"
        );
    }
}
