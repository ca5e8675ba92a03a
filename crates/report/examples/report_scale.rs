//! The report of a synthetic estate (azrelo-estate's generator): time to
//! plan and render, size of report.html and report.xlsx, and — when
//! /usr/bin/chromium exists — how long headless Chromium takes to load the
//! page and run its script (wall time of `--dump-dom`, which includes the
//! browser's own start; the empty-page start is printed for comparison).
//!
//! ```text
//! cargo run --release -p azrelo-report --example report_scale -- 10000 [OUT_DIR]
//! ```

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use azrelo_catalog::Catalog;
use azrelo_plan::PlanOptions;

fn chromium_ms(url: &str) -> Option<(f64, String)> {
    let bin = "/usr/bin/chromium";
    if !std::path::Path::new(bin).exists() {
        return None;
    }
    let profile =
        std::env::temp_dir().join(format!("azrelo-scale-chromium-{}", std::process::id()));
    let t = Instant::now();
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .output()
        .ok()?;
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&out.stdout);
    let head = &dom[..dom.find("<head").unwrap_or(0)];
    Some((ms, head.to_string()))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let out: PathBuf = args
        .get(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join(format!("azrelo-report-scale-{n}")));
    std::fs::create_dir_all(&out).expect("create the output directory");

    let t = Instant::now();
    let estate = azrelo_estate::synth::estate(n);
    let graph = azrelo_graph::build(&estate);
    let plan = azrelo_plan::plan(
        &estate,
        &graph,
        Catalog::embedded(),
        &PlanOptions::new("swedencentral"),
    )
    .expect("the synthetic estate plans");
    println!(
        "estate {} resources, plan {} resources in {} waves: {:.2} s",
        estate.resources.len(),
        plan.resources.len(),
        plan.waves.len(),
        t.elapsed().as_secs_f64()
    );
    std::fs::write(
        out.join("plan.json"),
        serde_json::to_vec(&plan).expect("serialize"),
    )
    .expect("write plan.json");
    azrelo_estate::write_estate(&estate, &out.join("estate.json")).expect("write estate.json");

    let t = Instant::now();
    let report = azrelo_report::load(&out).expect("load");
    let load_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let html = azrelo_report::html::render(&report);
    let render_s = t.elapsed().as_secs_f64();
    std::fs::write(out.join("report.html"), &html).expect("write report.html");
    let t = Instant::now();
    let xlsx = azrelo_report::sheets::xlsx(&report).expect("xlsx");
    let xlsx_s = t.elapsed().as_secs_f64();
    std::fs::write(out.join("report.xlsx"), &xlsx).expect("write report.xlsx");
    println!(
        "report: {} units, {} edges; load {load_s:.2} s, html {render_s:.2} s ({:.1} MB), xlsx {xlsx_s:.2} s ({:.1} MB)",
        report.graph.nodes.len(),
        report.graph.edges.len(),
        html.len() as f64 / 1e6,
        xlsx.len() as f64 / 1e6
    );
    match (
        chromium_ms("about:blank"),
        chromium_ms(&format!("file://{}", out.join("report.html").display())),
    ) {
        (Some((blank, _)), Some((ms, head))) => println!(
            "headless chromium: empty page {blank:.0} ms, report {ms:.0} ms (scripts done: {}, errors: {})",
            head.contains("data-ready=\"1\""),
            head.contains("data-errors")
        ),
        _ => println!("headless chromium: not installed, load time not measured"),
    }
    println!("written to {}", out.display());
}
