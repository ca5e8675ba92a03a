//! The report in a real headless browser (Debian's Chromium): the page
//! loads with no console error, the graph is visible with its nodes, and a
//! screenshot of the example's report matches the golden image in `docs/`
//! within a tolerance. Also the reports of a handful of corpus quickstarts.
//!
//! Without /usr/bin/chromium the tests print a loud skip line and pass,
//! unless the `CI` environment variable is set (then they fail with the
//! install hint). `AZRELO_UPDATE_GOLDEN=1` rewrites the golden image.

mod common;

use common::*;
use std::path::Path;

const GOLDEN: &str = "docs/report-contoso-shop.png";
const SHOT_W: u32 = 1280;
const SHOT_H: u32 = 1800;

/// Share of pixels whose colour differs by more than `threshold` in any
/// channel.
fn differing(a: &[u8], b: &[u8], threshold: u8) -> f64 {
    let n = a.len() / 4;
    let diff = a
        .chunks(4)
        .zip(b.chunks(4))
        .filter(|(p, q)| {
            p.iter()
                .zip(q.iter())
                .take(3)
                .any(|(x, y)| x.abs_diff(*y) > threshold)
        })
        .count();
    diff as f64 / n.max(1) as f64
}

#[test]
fn the_example_report_loads_cleanly_and_looks_as_it_did() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    write_plan_dir(dir.path(), &example_estate(), "northeurope");
    azrelo_report::write(dir.path(), azrelo_report::Format::Html, None).unwrap();
    let html = dir.path().join("report.html");
    let nodes = check_dom(&dump_dom(&chromium, &html));
    assert_eq!(nodes, 67);

    let shot = dir.path().join("shot.png");
    screenshot(&chromium, &html, &shot, SHOT_W, SHOT_H);
    let golden = root().join(GOLDEN);
    if std::env::var_os("AZRELO_UPDATE_GOLDEN").is_some() || !golden.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{GOLDEN} is missing; create it with AZRELO_UPDATE_GOLDEN=1 cargo test -p azrelo-report --test browser"
        );
        std::fs::copy(&shot, &golden).unwrap();
        eprintln!("wrote {}", golden.display());
        return;
    }
    let (w, h, now) = read_png(&shot);
    let (gw, gh, want) = read_png(&golden);
    assert_eq!((w, h), (gw, gh), "screenshot size changed");
    // Font hinting and anti-aliasing may move a few pixels; a layout change
    // moves many.
    let share = differing(&now, &want, 48);
    assert!(
        share < 0.01,
        "{:.2}% of the pixels differ from {GOLDEN}; look at {} and, if the change is intended, \
         update the golden with AZRELO_UPDATE_GOLDEN=1",
        share * 100.0,
        keep(&shot).display()
    );
}

/// Keep a failing screenshot where a person can look at it.
fn keep(shot: &Path) -> std::path::PathBuf {
    let to = root().join("target/report-screenshot-actual.png");
    let _ = std::fs::copy(shot, &to);
    to
}

#[test]
fn the_pixel_comparison_notices_a_change() {
    let a = vec![255u8; 4 * 100];
    let mut b = a.clone();
    assert_eq!(differing(&a, &b, 48), 0.0);
    for px in b.chunks_mut(4).take(5) {
        px[0] = 0;
    }
    assert!((differing(&a, &b, 48) - 0.05).abs() < 1e-9);
    // Small shading differences are tolerated.
    let c: Vec<u8> = a.iter().map(|x| x - 20).collect();
    assert_eq!(differing(&a, &c, 48), 0.0);
}

/// Quickstarts of the shared corpus with networks, VMs, apps and data.
const QUICKSTARTS: &[&str] = &[
    "microsoft.compute/2-vms-loadbalancer-lbrules",
    "microsoft.network/application-gateway-webapps",
    "microsoft.network/azure-bastion-nsg",
    "microsoft.web/app-service-regional-vnet-integration",
    "microsoft.compute/create-encrypted-managed-disk",
];

#[test]
fn corpus_quickstart_reports_load_in_the_browser() {
    let Some(chromium) = chromium() else { return };
    let mut rendered = 0;
    for name in QUICKSTARTS {
        let Some(estate) = quickstart_estate(name) else {
            eprintln!("quickstart {name} not found under ../shared/corpus");
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let plan = write_plan_dir(dir.path(), &estate, "swedencentral");
        azrelo_report::write(dir.path(), azrelo_report::Format::Html, None).unwrap();
        let html_path = dir.path().join("report.html");
        let html = std::fs::read_to_string(&html_path).unwrap();
        assert!(network_loads(&html).is_empty(), "{name}");
        let nodes = check_dom(&dump_dom(&chromium, &html_path));
        let units = plan
            .resources
            .iter()
            .filter(|r| r.carried_by.is_none())
            .count();
        assert_eq!(nodes, units, "{name}");
        rendered += 1;
    }
    assert!(
        rendered >= 4,
        "only {rendered} quickstarts rendered: is ../shared/corpus there?"
    );
}
