//! `durations.toml`: every data mover and downtime class has its entry,
//! lookups answer listed and unlisted types, and bad files are refused with
//! the file and key at fault.

use azrelo_catalog::{Catalog, Downtime};

fn with_durations(edit: impl Fn(&str) -> String) -> Result<Catalog, String> {
    let files: Vec<(String, String)> = Catalog::embedded_files()
        .iter()
        .map(|(p, t)| {
            let t = if *p == "durations.toml" {
                edit(t)
            } else {
                t.to_string()
            };
            (p.to_string(), t)
        })
        .collect();
    Catalog::from_files(&files).map_err(|e| e.to_string())
}

#[test]
fn every_mover_and_class_has_durations() {
    let c = Catalog::embedded();
    let d = c.durations();
    for m in c.data_movers() {
        let md = d.mover(&m.id).unwrap_or_else(|| panic!("{}", m.id));
        assert!(md.outage_minutes[0] <= md.outage_minutes[1]);
        assert!(!md.basis.is_empty());
    }
    for class in [Downtime::Cold, Downtime::Warm, Downtime::Hot] {
        assert!(d.class(class).is_some());
    }
    // Listed (any case) and unlisted types.
    assert_eq!(d.deploy_minutes("microsoft.apimanagement/SERVICE").0, 40);
    let (m, basis) = d.deploy_minutes("Microsoft.Network/networkSecurityGroups");
    assert_eq!(m, d.deploy.default_minutes);
    assert!(basis.contains("configuration-only"));
}

#[test]
fn a_missing_or_unknown_mover_entry_is_refused() {
    let e = with_durations(|t| t.replace("id = \"azcopy\"", "id = \"az-copy-typo\"")).unwrap_err();
    assert!(
        e.contains("durations.toml") && e.contains("az-copy-typo"),
        "{e}"
    );
    let e = with_durations(|t| {
        let cut = t.find("[[movers]]\nid = \"azcopy\"").unwrap();
        let end = t[cut + 10..].find("[[movers]]").unwrap() + cut + 10;
        format!("{}{}", &t[..cut], &t[end..])
    })
    .unwrap_err();
    assert!(e.contains("'azcopy' has no durations entry"), "{e}");
}

#[test]
fn bad_ranges_and_missing_classes_are_refused() {
    let e =
        with_durations(|t| t.replace("outage_minutes = [30, 240]", "outage_minutes = [240, 30]"))
            .unwrap_err();
    assert!(e.contains("classes[2]"), "{e}");
    let e = with_durations(|t| t.replace("downtime = \"hot\"", "downtime = \"warm\"")).unwrap_err();
    assert!(
        e.contains("classes") && e.contains("exactly one entry"),
        "{e}"
    );
    let e = with_durations(|_| String::new()).unwrap_err();
    assert!(e.contains("durations.toml"), "{e}");
}
