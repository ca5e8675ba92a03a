use super::snapshot::{MAGIC, escape, unescape};
use super::*;

fn date(s: &str) -> SnapshotDate {
    s.parse().unwrap()
}

#[test]
fn statuses() {
    let a = Availability::embedded();
    assert_eq!(
        a.check("microsoft.keyvault/VAULTS", "westeurope").status,
        Status::Available
    );
    assert_eq!(
        a.check("Microsoft.Network/privateDnsZones", "westeurope")
            .status,
        Status::Global
    );
    assert_eq!(
        a.check("Contoso.Nope/things", "westeurope").status,
        Status::UnknownType
    );
    let atl = a.check("Microsoft.KeyVault/vaults", "atlantis");
    assert_eq!(atl.status, Status::UnknownRegion);
    assert!(atl.detail.contains("not a region the catalog knows"));
    let child = a.check("Microsoft.Network/virtualNetworks/subnets", "West Europe");
    assert_eq!(child.status, Status::Available, "{child:?}");
    let deep = a.check("Microsoft.Sql/servers/databases/unlisted", "West Europe");
    assert_eq!(deep.status, Status::Available, "{deep:?}");
    assert_eq!(
        deep.answered_by.as_deref(),
        Some("Microsoft.Sql/servers/databases")
    );
    assert!(
        deep.detail
            .contains("is a child of Microsoft.Sql/servers/databases")
    );
}

#[test]
fn every_answer_carries_the_snapshot_date() {
    let a = Availability::embedded();
    for t in ["Microsoft.KeyVault/vaults", "Nope.Nope/x"] {
        for r in ["swedencentral", "spaincentral", "atlantis"] {
            assert_eq!(a.check(t, r).snapshot, date("2023-11"));
        }
    }
}

#[test]
fn zones_and_api_versions() {
    let a = Availability::embedded();
    let info = a.type_info("Microsoft.Compute/virtualMachines").unwrap();
    assert!(
        info.api_versions().count() > 20,
        "all api versions are kept"
    );
    let stable = info.newest_stable_api_version().unwrap();
    assert!(is_stable(stable));
    assert!(info.newest_api_version().unwrap() >= stable);
    let web = a.check("Microsoft.Web/hostingEnvironments", "West Europe");
    assert_eq!(web.zones, ["1", "2", "3"]);
}

#[test]
fn version_order() {
    let mut v = vec![
        "2023-01-01-preview",
        "2023-01-01",
        "2022-12-01",
        "2023-02-01-preview",
    ];
    v.sort_by(|a, b| version_key(a).cmp(&version_key(b)));
    assert_eq!(
        v,
        [
            "2022-12-01",
            "2023-01-01-preview",
            "2023-01-01",
            "2023-02-01-preview"
        ]
    );
}

const MIXED: &[u8] = br#"{"value":[
    {"namespace":"Contoso.Edge","registrationState":"Registered","resourceTypes":[
      {"resourceType":"policies","locations":["global","West Europe"],"apiVersions":["2022-05-01"]},
      {"resourceType":"operations","locations":[],"apiVersions":["2022-05-01"]},
      {"resourceType":"caches","locations":["North Europe","MSFT Nowhere"],"apiVersions":["2022-05-01","2021-01-01-preview"],
       "defaultApiVersion":"2022-05-01",
       "zoneMappings":[{"location":"North Europe","zones":["2","1"]}]}
    ]},
    {"namespace":"Contoso.Empty"}
]}"#;

#[test]
fn global_precision() {
    let a = Availability::from_providers_response(MIXED, date("2024-05-02")).unwrap();
    // Listed region of a type that also lists global → available.
    assert_eq!(
        a.check("Contoso.Edge/policies", "westeurope").status,
        Status::Available
    );
    // Not listed, but the type is global → global.
    assert_eq!(
        a.check("Contoso.Edge/policies", "northeurope").status,
        Status::Global
    );
    // No locations at all → global.
    assert_eq!(
        a.check("Contoso.Edge/operations", "eastus").status,
        Status::Global
    );
    // Region known to the snapshot, not listed → not listed.
    assert_eq!(
        a.check("Contoso.Edge/caches", "West Europe").status,
        Status::NotListed
    );
    // Region in the catalog but absent from the snapshot → unknown region.
    let sc = a.check("Contoso.Edge/caches", "Sweden Central");
    assert_eq!(sc.status, Status::UnknownRegion);
    assert!(
        sc.detail.contains("newer than the snapshot"),
        "{}",
        sc.detail
    );
    // A spelling the catalog does not know still answers when listed.
    assert_eq!(
        a.check("Contoso.Edge/caches", "msft nowhere").status,
        Status::Available
    );
    let ne = a.check("CONTOSO.EDGE/CACHES", "(Europe) North Europe");
    assert_eq!(ne.zones, ["2", "1"]);
    assert_eq!(ne.snapshot.to_string(), "2024-05-02");
    assert_eq!(a.namespace_count(), 2);
}

#[test]
fn snapshot_round_trip() {
    let a = Availability::from_providers_response(MIXED, date("2024-05-02")).unwrap();
    let text = a.to_snapshot("test; source=%\tx");
    let b = Availability::from_snapshot(&text).unwrap();
    assert_eq!(
        a.core,
        Core {
            source: None,
            ..b.core.clone()
        }
    );
    assert_eq!(b.source(), Some("test; source=%\tx"));
    assert_eq!(b.to_snapshot("test; source=%\tx"), text);
    assert!(a.same_facts(&b));
}

#[test]
fn escapes() {
    for s in ["plain", "a,b;c=d%e\tf\ng\r", "Zürich %41"] {
        assert_eq!(unescape(&escape(s)).unwrap(), s);
    }
    assert!(unescape("%G1").is_err());
    assert!(unescape("%").is_err());
}

#[test]
fn bad_bodies_say_where() {
    let d = date("2023-11");
    assert!(matches!(
        Availability::from_providers_response(b"{", d),
        Err(AvailabilityError::Json { .. })
    ));
    assert_eq!(
        Availability::from_providers_response(b"[]", d).unwrap_err(),
        AvailabilityError::Shape
    );
    let e = Availability::from_providers_response(br#"{"value":[{}]}"#, d).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the providers response is malformed at value[0].namespace: missing"
    );
    let e = Availability::from_providers_response(
        br#"{"value":[{"namespace":"A.B","resourceTypes":[{"resourceType":"x","locations":["a",3]}]}]}"#,
        d,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the providers response is malformed at value[0].resourceTypes[0].locations[1]: expected a string"
    );
}

#[test]
fn bad_snapshots_say_where() {
    assert!(matches!(
        Availability::from_snapshot("nope"),
        Err(AvailabilityError::Snapshot { line: 1, .. })
    ));
    let text = format!("{MAGIC}\nas-of\t2023-11\nlocs\t0\n");
    assert_eq!(
        Availability::from_snapshot(&text).unwrap_err(),
        AvailabilityError::Snapshot {
            line: 3,
            message: "'0' is not a valid location index".into()
        }
    );
    let text = format!("{MAGIC}\nas-of\t2023-11\nns\tA.B\ntype\tx\t0\t0\t-\t-\n");
    assert!(matches!(
        Availability::from_snapshot(&text),
        Err(AvailabilityError::Snapshot { line: 4, .. })
    ));
    let text = format!("{MAGIC}\nas-of\t2023-13\n");
    assert!(Availability::from_snapshot(&text).is_err());
}

#[test]
fn dates() {
    assert_eq!(date("2023-11-05").to_string(), "2023-11-05");
    assert_eq!(date("2023-11-05").day(), Some(5));
    for bad in [
        "2023",
        "23-11",
        "2023-1",
        "2023-00",
        "2023-11-32",
        "x-y-z",
        "",
    ] {
        assert!(bad.parse::<SnapshotDate>().is_err(), "{bad}");
    }
    assert_eq!(
        serde_json::to_string(&date("2023-11")).unwrap(),
        "\"2023-11\""
    );
}
