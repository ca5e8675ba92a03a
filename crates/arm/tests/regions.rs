//! The region catalog and type availability against the real ARM data in
//! `../shared/data` (locations API body 2026-03, providers API body 2023-11)
//! and the embedded snapshots.

use azrelo_arm::availability::{Availability, SnapshotDate, Status};
use azrelo_arm::region::{RegionType, Regions, normalize};
use std::collections::{BTreeSet, HashMap};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data");

fn read_shared(file: &str) -> Vec<u8> {
    let path = format!("{SHARED}/{file}");
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} — the shared reference data must sit beside the repo (../shared)")
    })
}

fn shared_providers() -> Availability {
    Availability::from_providers_response(
        &read_shared("providers.json"),
        "2023-11".parse::<SnapshotDate>().unwrap(),
    )
    .unwrap()
}

/// Spellings in `providers.json` (2023-11) that name no region of the
/// locations API (2026-03), each with the reason.
const UNRESOLVED: &[(&str, &str)] = &[
    (
        "MSFT East Asia",
        "Microsoft-internal App Service stamp, listed only by Microsoft.Web types; not a customer region, absent from the locations API",
    ),
    (
        "MSFT East US",
        "Microsoft-internal App Service stamp, listed only by Microsoft.Web types; not a customer region, absent from the locations API",
    ),
    (
        "MSFT North Europe",
        "Microsoft-internal App Service stamp, listed only by Microsoft.Web types; not a customer region, absent from the locations API",
    ),
    (
        "MSFT West US",
        "Microsoft-internal App Service stamp, listed only by Microsoft.Web types; not a customer region, absent from the locations API",
    ),
];

#[test]
fn every_provider_location_spelling_resolves_to_a_catalog_region() {
    let regions = Regions::embedded();
    // The raw ARM body, through the parser a live refresh uses.
    let raw = shared_providers();
    let spellings: BTreeSet<&str> = raw.location_spellings().collect();
    assert_eq!(
        spellings.len(),
        97,
        "distinct location spellings in providers.json"
    );
    let unresolved: Vec<&str> = spellings
        .iter()
        .copied()
        .filter(|s| regions.get(s).is_none())
        .collect();
    let expected: Vec<&str> = UNRESOLVED.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        unresolved, expected,
        "unresolved location spellings changed"
    );
    // Inconsistent casings from the real data resolve to one region.
    for (spelling, name) in [
        ("Australia SouthEast", "australiasoutheast"),
        ("Norway EAST", "norwayeast"),
        ("japan East", "japaneast"),
        ("Central Us", "centralus"),
        ("EAST US STG", "eastusstg"),
        ("Central US (Stage)", "centralusstage"),
        ("JIO India West", "jioindiawest"),
        ("global", "global"),
    ] {
        assert_eq!(
            regions.get(spelling).map(|r| r.name.as_str()),
            Some(name),
            "{spelling}"
        );
    }
    // The embedded snapshot keeps every spelling.
    let embedded: BTreeSet<&str> = Availability::embedded().location_spellings().collect();
    assert_eq!(embedded, spellings);
}

#[test]
fn catalog_counts_and_shapes() {
    let r = Regions::embedded();
    assert_eq!(r.len(), 102);
    assert_eq!(r.physical().count(), 62);
    for region in r.physical() {
        assert!(
            region.geography.is_some(),
            "{} has a geography",
            region.name
        );
        assert!(region.physical_location.is_some(), "{}", region.name);
        for z in &region.zones {
            assert!(
                z.physical_zone.starts_with(&format!("{}-az", region.name)),
                "{}: {z:?}",
                region.name
            );
        }
    }
    // Logical regions never have zones.
    assert!(
        r.all()
            .iter()
            .filter(|x| !x.is_physical())
            .all(|x| x.zones.is_empty())
    );
    let zoned = r.physical().filter(|x| x.has_zones()).count();
    assert_eq!(zoned, 39, "physical regions with availability zones");
}

#[test]
fn every_name_and_display_name_in_any_case_resolves_to_its_region() {
    let r = Regions::embedded();
    for region in r.all() {
        for s in [
            region.name.clone(),
            region.display_name.clone(),
            region.regional_display_name.clone(),
            region.display_name.to_uppercase(),
            region.display_name.to_lowercase(),
            region.display_name.replace(' ', ""),
            format!("  {}  ", region.regional_display_name.to_lowercase()),
        ] {
            assert_eq!(
                r.get(&s).map(|x| x.name.as_str()),
                Some(region.name.as_str()),
                "'{s}'"
            );
        }
    }
}

#[test]
fn no_two_regions_share_a_spelling() {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for region in Regions::embedded().all() {
        let mut own = BTreeSet::new();
        for s in [
            &region.name,
            &region.display_name,
            &region.regional_display_name,
        ] {
            own.insert(normalize(s));
        }
        for k in own {
            if let Some(other) = seen.insert(k.clone(), &region.name) {
                panic!("'{k}' names both {other} and {}", region.name);
            }
        }
    }
}

/// Pairs that name a region the locations API does not list, with the reason.
const PAIRS_OUTSIDE_THE_CATALOG: &[(&str, &str, &str)] = &[(
    "swedencentral",
    "swedensouth",
    "Sweden South is a restricted-access region (reserved for in-country disaster recovery); \
     the locations API lists it only to subscriptions granted access",
)];

/// Physical regions without a paired region (most newer regions are built
/// with availability zones instead of a pair).
const UNPAIRED: &[&str] = &[
    "austriaeast",
    "belgiumcentral",
    "chilecentral",
    "denmarkeast",
    "indonesiacentral",
    "israelcentral",
    "italynorth",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "polandcentral",
    "qatarcentral",
    "spaincentral",
];

#[test]
fn pairs_resolve_to_physical_regions() {
    let r = Regions::embedded();
    let mut outside = vec![];
    let mut unpaired = vec![];
    for region in r.physical() {
        if region.paired_regions.is_empty() {
            unpaired.push(region.name.as_str());
        }
        for p in &region.paired_regions {
            match r.get(p) {
                Some(pr) => assert_eq!(
                    pr.region_type,
                    RegionType::Physical,
                    "{} → {p}",
                    region.name
                ),
                None => outside.push((region.name.as_str(), p.as_str())),
            }
        }
    }
    let expected: Vec<(&str, &str)> = PAIRS_OUTSIDE_THE_CATALOG
        .iter()
        .map(|(a, b, _)| (*a, *b))
        .collect();
    assert_eq!(outside, expected);
    assert_eq!(unpaired, UNPAIRED);
    assert_eq!(r.pair_of("westeurope").unwrap().name, "northeurope");
    assert_eq!(r.pair_of("West US 3").unwrap().name, "eastus");
    assert!(
        r.pair_of("italynorth").is_none(),
        "newer regions have no pair"
    );
}

/// Physical regions of the 2026-03 catalog that no type in the 2023-11
/// providers snapshot lists: they opened (or were announced) after it, so
/// every availability answer there is `unknown-region`.
const NEWER_THAN_SNAPSHOT: &[&str] = &[
    "austriaeast",
    "belgiumcentral",
    "chilecentral",
    "denmarkeast",
    "indonesiacentral",
    "malaysiawest",
    "mexicocentral",
    "newzealandnorth",
    "spaincentral",
];

#[test]
fn physical_regions_newer_than_the_providers_snapshot() {
    let a = Availability::embedded();
    let newer: Vec<&str> = Regions::embedded()
        .physical()
        .filter(|r| !a.snapshot_knows_region(&r.name))
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(newer, NEWER_THAN_SNAPSHOT);
    for region in NEWER_THAN_SNAPSHOT {
        let ans = a.check("Microsoft.KeyVault/vaults", region);
        assert_eq!(ans.status, Status::UnknownRegion, "{region}");
        assert!(
            ans.detail.contains("newer than the snapshot"),
            "{}",
            ans.detail
        );
    }
}

#[test]
fn statuses_over_every_type_and_physical_region_are_consistent() {
    let a = Availability::embedded();
    let regions = Regions::embedded();
    let mut counts: HashMap<Status, usize> = HashMap::new();
    for t in a.types() {
        let ty = t.resource_type();
        let listed: BTreeSet<&str> = t.regions().into_iter().collect();
        for r in regions.physical() {
            let ans = a.check(&ty, &r.name);
            assert_eq!(ans.snapshot.to_string(), "2023-11");
            assert_eq!(ans.answered_by.as_deref(), Some(ty.as_str()));
            let expect = if listed.contains(r.name.as_str()) {
                Status::Available
            } else if t.is_global() {
                Status::Global
            } else if a.snapshot_knows_region(&r.name) {
                Status::NotListed
            } else {
                Status::UnknownRegion
            };
            assert_eq!(ans.status, expect, "{ty} in {}", r.name);
            assert_eq!(a.status(&ty, &r.display_name), expect, "{ty} in {}", r.name);
            *counts.entry(ans.status).or_default() += 1;
        }
    }
    assert_eq!(a.type_count(), 3693);
    assert_eq!(a.namespace_count(), 290);
    assert_eq!(counts.values().sum::<usize>(), 3693 * 62);
    assert!(counts[&Status::Available] > 50_000, "{counts:?}");
    assert!(counts[&Status::NotListed] > 0 && counts[&Status::Global] > 0);
}

#[test]
fn api_versions_for_the_template_generator_and_the_emulator() {
    let a = Availability::embedded();
    let raw_json: serde_json::Value =
        serde_json::from_slice(&read_shared("providers.json")).unwrap();
    // Every api version of every type survives the compact snapshot.
    let mut checked = 0;
    for p in raw_json["value"].as_array().unwrap() {
        let ns = p["namespace"].as_str().unwrap();
        for t in p["resourceTypes"].as_array().unwrap() {
            let ty = format!("{ns}/{}", t["resourceType"].as_str().unwrap());
            let info = a.type_info(&ty.to_uppercase()).unwrap();
            let want: Vec<&str> = t["apiVersions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(info.api_versions().collect::<Vec<_>>(), want, "{ty}");
            assert_eq!(
                info.default_api_version(),
                t["defaultApiVersion"].as_str(),
                "{ty}"
            );
            if let Some(first) = want.first() {
                // ARM lists newest first; the computed newest has the same
                // date (for one date, azrelo ranks the stable version above
                // its preview, where ARM's order varies).
                let newest = info.newest_api_version().unwrap();
                assert_eq!(newest[..10], first[..10], "{ty}");
                assert!(want.contains(&newest));
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 3693);
    let vnet = a.type_info("microsoft.network/virtualnetworks").unwrap();
    assert!(vnet.has_api_version("2023-05-01"));
    assert!(
        !vnet
            .newest_stable_api_version()
            .unwrap()
            .contains("preview")
    );
}
