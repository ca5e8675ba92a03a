//! Completeness of the relocation catalog against the guidance it encodes:
//! every service in the catalog table of `../shared/domain/relocation-guidance.md`
//! (and every linked guide named under it) has an entry, every type in the
//! built-in example estate resolves to a catalog entry (never the default),
//! the seed scenarios exist, and every name rule's proposal satisfies its own
//! check.

use std::collections::BTreeSet;
use std::path::Path;

use azrelo_catalog::{Catalog, Resolution, SuffixRule};

fn guidance() -> String {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/domain/relocation-guidance.md");
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The "Service" column of the section-1 table.
fn table_services(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_table = false;
    for line in md.lines() {
        if line.starts_with("| Service |") {
            in_table = true;
            continue;
        }
        if in_table {
            if !line.starts_with('|') {
                break;
            }
            if line.starts_with("|---") {
                continue;
            }
            let cell = line
                .trim_start_matches('|')
                .split('|')
                .next()
                .unwrap_or("")
                .trim();
            out.push(cell.to_string());
        }
    }
    out
}

#[test]
fn every_service_in_the_guidance_has_a_catalog_entry() {
    let md = guidance();
    let services = table_services(&md);
    assert!(services.len() >= 30, "table not found: {services:?}");
    // Linked guides named in the paragraph under the table.
    let linked = [
        "API Management",
        "Azure Cache for Redis",
        "AI Search",
        "Container Apps",
        "Batch",
        "IoT Hub",
        "Logic Apps",
        "Stream Analytics",
        "MySQL/MariaDB",
        "Power BI",
    ];
    for l in linked {
        assert!(
            md.contains(l.split('/').next().unwrap()),
            "{l} is not in the guidance text"
        );
    }
    let c = Catalog::embedded();
    let covered: BTreeSet<String> = c
        .services()
        .iter()
        .flat_map(|s| s.guidance_names.iter().map(|n| n.to_ascii_lowercase()))
        .collect();
    let missing: Vec<&str> = services
        .iter()
        .map(String::as_str)
        .chain(linked)
        .filter(|s| !covered.contains(&s.to_ascii_lowercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "services without a catalog entry: {missing:?}"
    );
    assert!(c.services().len() >= 35, "{} services", c.services().len());
}

#[test]
fn every_type_in_the_example_estate_is_catalogued() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/contoso-shop");
    let mut types = BTreeSet::new();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let rows = v
            .get("data")
            .or_else(|| v.get("value"))
            .and_then(|x| x.as_array().cloned())
            .unwrap_or_else(|| vec![v.clone()]);
        for r in rows {
            if let Some(t) = r.get("type").and_then(|t| t.as_str()) {
                types.insert(t.to_ascii_lowercase());
            }
        }
    }
    assert!(types.len() > 25, "{types:?}");
    let c = Catalog::embedded();
    let defaulted: Vec<&String> = types
        .iter()
        .filter(|t| {
            // Resource Graph spells resource groups as a subscription child.
            let t = t.replace(
                "microsoft.resources/subscriptions/resourcegroups",
                "microsoft.resources/resourcegroups",
            );
            c.entry(&t).is_default()
        })
        .collect();
    assert!(
        defaulted.is_empty(),
        "types that fall back to the default: {defaulted:?}"
    );
}

#[test]
fn seed_scenarios_exist_and_are_ordered() {
    let c = Catalog::embedded();
    for id in [
        "general-move-process",
        "azure-backup",
        "managed-identities",
        "defender-for-cloud",
        "defender-endpoint-to-cloud",
    ] {
        let s = c
            .scenario(id)
            .unwrap_or_else(|| panic!("scenario {id} missing"));
        assert!(s.steps.len() >= 5, "{id} has {} steps", s.steps.len());
        assert!(
            s.steps.windows(2).all(|w| w[0].phase <= w[1].phase),
            "{id} steps out of phase order"
        );
    }
}

#[test]
fn strategies_name_their_data_movers_and_names_are_self_consistent() {
    let c = Catalog::embedded();
    let mut n = 0;
    for (s, t) in c.types() {
        n += 1;
        if t.strategy.needs_data_mover() {
            let m = t
                .data_mover
                .as_deref()
                .unwrap_or_else(|| panic!("{}: {} needs a data mover", s.id, t.resource_type));
            assert!(
                c.data_mover(m).is_some(),
                "{}: unknown mover {m}",
                t.resource_type
            );
        }
        let lk = c.entry(&t.resource_type);
        assert_eq!(*lk.resolution(), Resolution::Exact);
        let rule = lk.name_rule();
        for name in [
            "shop-weu-01",
            "a",
            "Contoso_Prod.Web (1)",
            "x".repeat(300).as_str(),
        ] {
            let p = rule.propose(
                name,
                SuffixRule::ReplaceRegion {
                    source: "weu",
                    target: "sdc",
                },
            );
            assert!(
                rule.check(&p).is_ok(),
                "{}: proposal {p:?} for {name:?} fails its own rule: {:?}",
                t.resource_type,
                rule.check(&p)
            );
        }
    }
    assert!(n >= 300, "only {n} types");
}
