//! The HTML report of the example estate: every section, role names, the
//! gates the run stops at, downtime in minutes, and nothing that loads from
//! the network.

mod common;

use common::*;

fn example_html() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    write_plan_dir(dir.path(), &example_estate(), "northeurope");
    let w = azrelo_report::write(dir.path(), azrelo_report::Format::Html, None).unwrap();
    assert_eq!(w.files, vec![dir.path().join("report.html")]);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    (dir, html)
}

#[test]
fn the_example_report_has_every_section() {
    let (_d, html) = example_html();
    for id in [
        "summary",
        "graph-section",
        "timeline",
        "gates",
        "findings",
        "resources",
        "roles",
        "checklist",
        "procedures",
    ] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    // Role names, not GUIDs (the built-in role table).
    for role in [
        "Key Vault Secrets User",
        "SQL DB Contributor",
        "Storage Account Backup Contributor",
    ] {
        assert!(html.contains(role), "{role}");
    }
    // The gates the run stops at (the plan's, as the orchestrator reads
    // them): per-resource manual steps and the manual scenario steps.
    assert!(html.contains("<h2>Gates (33)</h2>"));
    assert!(
        html.contains("vm-running-disks-attached") || html.contains("keep-or-delete-source-vault")
    );
    assert!(html.contains("start-data-copy:kv-shop-weu-northeurope"));
    // Downtime in minutes with its basis.
    assert!(html.contains("15–35 min"), "key vault workload downtime");
    assert!(html.contains("keyvault-backup-restore: each secret"));
    // What stays in the source: the locked resources.
    assert!(html.contains("CanNotDelete lock"));
    // One node per unit, one lane per source resource group (and one for
    // the subscription-scope Defender settings).
    assert_eq!(
        html.matches("<g class=\"n\" ").count() + html.matches("<g class=\"n light\" ").count(),
        67
    );
    assert_eq!(html.matches("class=\"lane-label\"").count(), 5);
    assert!(html.contains(">(subscription scope)</text>"));
}

#[test]
fn nothing_is_loaded_from_the_network() {
    let (_d, html) = example_html();
    let loads = network_loads(&html);
    assert!(loads.is_empty(), "{loads:?}");
    // The checker itself finds what it must.
    for bad in [
        "<img src=\"https://example.com/x.png\">",
        "<link rel=stylesheet href=\"//cdn.example.com/a.css\">",
        "<script src='http://x/y.js'></script>",
        "<style>body{background:url(https://x/y.png)}</style>",
        "<style>@import 'https://x/a.css';</style>",
        "<script>fetch('https://x/api')</script>",
        "<svg><image xlink:href=\"https://x/i.png\"/></svg>",
    ] {
        assert!(!network_loads(bad).is_empty(), "{bad}");
    }
    // Links for reading and local references are fine.
    for ok in [
        "<a href=\"https://learn.microsoft.com/azure\">guide</a>",
        "<path marker-end=\"url(#a-data)\"/>",
        "<div data-src=\"https://x\"></div>",
    ] {
        assert!(network_loads(ok).is_empty(), "{ok}");
    }
}

#[test]
fn text_from_the_plan_is_escaped() {
    use azrelo_report::html::esc;
    assert_eq!(esc("<b a=\"x\">&'"), "&lt;b a=&quot;x&quot;&gt;&amp;&#39;");
    let dir = tempfile::tempdir().unwrap();
    let mut p = write_plan_dir(dir.path(), &example_estate(), "northeurope");
    p.findings[0].message = "<script>alert(1)</script>".into();
    std::fs::write(
        dir.path().join("plan.json"),
        serde_json::to_vec(&p).unwrap(),
    )
    .unwrap();
    azrelo_report::write(dir.path(), azrelo_report::Format::Html, None).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("&lt;script&gt;alert(1)"));
}

#[test]
fn bad_plan_directories_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = azrelo_report::write(dir.path(), azrelo_report::Format::Html, None).unwrap_err();
    assert!(
        e.to_string().contains("plan.json") && e.to_string().contains("azrelo plan --out"),
        "{e}"
    );
    std::fs::write(dir.path().join("plan.json"), "{\"schema\": 1}").unwrap();
    let e = azrelo_report::write(dir.path(), azrelo_report::Format::Html, None).unwrap_err();
    assert!(e.to_string().contains("not an azrelo plan"), "{e}");
    // No output was left behind.
    assert!(!dir.path().join("report.html").exists());
}

#[test]
fn without_an_estate_the_graph_has_units_but_no_edges() {
    let dir = tempfile::tempdir().unwrap();
    write_plan_dir(dir.path(), &example_estate(), "northeurope");
    std::fs::remove_file(dir.path().join("estate.json")).unwrap();
    let r = azrelo_report::load(dir.path()).unwrap();
    assert_eq!(r.graph.nodes.len(), 67);
    assert!(r.graph.edges.is_empty());
}
