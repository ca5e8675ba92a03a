//! The az conventions of output: `-o json|jsonc|yaml|yamlc|tsv|table|none`
//! on every command and `--query` (JMESPath) applied to a command's JSON
//! before it is formatted (knack `output.py` / `query.py`, what `az` runs).

mod common;

use serde_json::Value;

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/contoso-shop");
/// A small estate with a real blocker (a retired PostgreSQL Single Server).
const RETIRED_PG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/retired-pg");

use common::azrelo;

/// stdout of a command with its exit code.
fn run(args: &[&str]) -> (i32, String) {
    let out = azrelo().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out) = run(args);
    assert_eq!(code, 0, "{args:?}: {out}");
    out
}

#[test]
fn yaml_of_a_region() {
    insta::assert_snapshot!(
        "regions_show_westeurope_yaml",
        ok(&["regions", "show", "westeurope", "-o", "yaml"])
    );
}

#[test]
fn yaml_is_the_json_as_yaml() {
    // Round trip through the JSON: what -o yaml prints is -o json's value.
    let json: Value = serde_json::from_str(&ok(&["regions", "-o", "json"])).unwrap();
    let yaml = ok(&["regions", "-o", "yaml"]);
    assert!(yaml.starts_with("- name: "), "{yaml}");
    assert_eq!(
        yaml.matches("\n- name: ").count() + 1,
        json.as_array().unwrap().len()
    );
    // Zone numbers are strings in the JSON, so quoted in YAML.
    assert!(yaml.contains("- logicalZone: '1'"), "{yaml}");
}

/// tsv: no headers, an object's values sorted by key, lists as their
/// length, nested objects empty (knack `_TsvOutput`).
#[test]
fn tsv_of_regions_follows_az() {
    insta::assert_snapshot!(
        "regions_sweden_tsv",
        ok(&["regions", "--geography", "Sweden", "-o", "tsv"])
    );
    // A multi-select hash gives the columns in the expression's order.
    assert_eq!(
        ok(&[
            "regions",
            "--query",
            "[?name=='westeurope'].{name: name, display: displayName, pairs: pairedRegions}",
            "-o",
            "tsv"
        ]),
        "westeurope\tWest Europe\t1\n"
    );
    // One value a line: the usual way scripts read az.
    let names = ok(&[
        "regions",
        "--query",
        "[?geography=='Sweden'].name",
        "-o",
        "tsv",
    ]);
    assert_eq!(names, "swedencentral\n");
}

#[test]
fn jsonc_is_coloured_only_for_a_terminal_or_when_forced() {
    let args = [
        "regions",
        "show",
        "swedencentral",
        "--query",
        "{name: name, zones: length(zones), paired: pairedRegions}",
        "-o",
        "jsonc",
    ];
    // Not a terminal: plain JSON, as az falls back.
    let plain = ok(&args);
    assert_eq!(
        serde_json::from_str::<Value>(&plain).unwrap(),
        serde_json::json!({"name": "swedencentral", "zones": 3, "paired": ["swedensouth"]})
    );
    let forced = azrelo()
        .args(args)
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    insta::assert_snapshot!(
        "regions_show_swedencentral_jsonc",
        String::from_utf8(forced.stdout).unwrap()
    );
    // NO_COLOR wins over CLICOLOR_FORCE.
    let none = azrelo()
        .args(args)
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(none.stdout).unwrap(), plain);
}

#[test]
fn query_on_types_graph_plan_and_assess() {
    // types availability: a count from the regions list.
    let n: u64 = ok(&[
        "types",
        "availability",
        "Microsoft.KeyVault/vaults",
        "--query",
        "length(regions[?status=='available'])",
        "-o",
        "tsv",
    ])
    .trim()
    .parse()
    .unwrap();
    assert!(n > 30, "{n}");
    // graph: the kinds of edges, sorted and unique.
    let kinds: Value = serde_json::from_str(&ok(&[
        "graph",
        EXAMPLE,
        "--query",
        "sort(edges[].kind) | [0]",
        "-o",
        "json",
    ]))
    .unwrap();
    assert!(kinds.is_string(), "{kinds}");
    // plan: a summary field, and table output of a query result.
    let (code, waves) = run(&[
        "plan",
        EXAMPLE,
        "-t",
        "northeurope",
        "--query",
        "summary.waves",
        "-o",
        "tsv",
    ]);
    assert_eq!(code, 0);
    assert!(waves.trim().parse::<u32>().unwrap() >= 6, "{waves}");
    let (_, table) = run(&[
        "plan",
        EXAMPLE,
        "-t",
        "northeurope",
        "--query",
        "waves[].{number: number, title: title, resources: length(resources)}",
        "-o",
        "table",
    ]);
    let header = table.lines().nth(1).unwrap();
    assert!(
        header.contains("Number") && header.contains("Title") && header.contains("Resources"),
        "{table}"
    );
    // assess: the blockers' codes; exit code 4 is kept under any -o.
    let (code, codes) = run(&[
        "assess",
        RETIRED_PG,
        "-t",
        "swedencentral",
        "--query",
        "findings[?severity=='blocker'].code",
        "-o",
        "tsv",
    ]);
    assert_eq!(code, 4);
    assert_eq!(codes.trim(), "pg-single-server-retired", "{codes}");
}

#[test]
fn none_prints_nothing_and_keeps_the_exit_code() {
    assert_eq!(
        run(&["assess", RETIRED_PG, "-t", "swedencentral", "-o", "none"]),
        (4, String::new())
    );
    assert_eq!(run(&["regions", "-o", "none"]), (0, String::new()));
}

#[test]
fn a_failing_query_is_bad_input_and_a_result_without_scalars_has_no_table() {
    let out = azrelo()
        .args(["regions", "--query", "abs(name)"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--query failed"));
    let out = azrelo()
        .args(["regions", "--query", "[].{z: zones}", "-o", "table"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--query"));
}
