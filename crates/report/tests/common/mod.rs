//! Shared helpers: plan directories built in-process (as `azrelo plan
//! --out` writes them) and headless Chromium.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use azrelo_catalog::Catalog;
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use azrelo_plan::{PlanOptions, check_invariants, plan};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example estate (examples/contoso-shop).
pub fn example_estate() -> Estate {
    let dir = root().join("examples/contoso-shop");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    load_inputs(&files, &LoadOptions::default()).unwrap()
}

/// An estate from one quickstart template of the shared corpus.
pub fn quickstart_estate(name: &str) -> Option<Estate> {
    let d = root().join("../shared/corpus/quickstarts").join(name);
    if !d.exists() {
        return None;
    }
    let mut files = vec![d.join("azuredeploy.json")];
    if !files[0].exists() {
        return None;
    }
    if d.join("azuredeploy.parameters.json").exists() {
        files.push(d.join("azuredeploy.parameters.json"));
    }
    load_inputs(
        &files,
        &LoadOptions {
            resource_group: "rg-quickstart".into(),
            ..LoadOptions::default()
        },
    )
    .ok()
}

/// Write DIR/plan.json and DIR/estate.json for `estate` planned to `target`.
pub fn write_plan_dir(dir: &Path, estate: &Estate, target: &str) -> azrelo_plan::Plan {
    let g = azrelo_graph::build(estate);
    let p = plan(estate, &g, Catalog::embedded(), &PlanOptions::new(target)).unwrap();
    assert!(check_invariants(&p, estate, &g).is_empty());
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("plan.json"),
        serde_json::to_vec_pretty(&p).unwrap(),
    )
    .unwrap();
    azrelo_estate::write_estate(estate, &dir.join("estate.json")).unwrap();
    p
}

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Headless Chromium, or `None` (after a loud skip line) when it is not
/// installed and this is not CI. On CI (env `CI` set) its absence fails.
pub fn chromium() -> Option<PathBuf> {
    let p = PathBuf::from(CHROMIUM);
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{CHROMIUM} is missing: the report's browser tests need Debian's chromium \
             (`apt-get update && apt-get install -y chromium`; .ci/run installs it)"
        );
    }
    eprintln!(
        "\n*** skipped: install chromium (`apt-get install -y chromium`) to run the report's headless-browser checks ***\n"
    );
    None
}

fn base_args(cmd: &mut Command, profile: &Path) {
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
}

/// The DOM after the page's scripts ran.
pub fn dump_dom(chromium: &Path, html: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium);
    base_args(&mut cmd, profile.path());
    let out = cmd
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A PNG screenshot of the page's top `width` × `height` pixels.
pub fn screenshot(chromium: &Path, html: &Path, png: &Path, width: u32, height: u32) {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium);
    base_args(&mut cmd, profile.path());
    let out = cmd
        .arg(format!("--window-size={width},{height}"))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success() && png.exists(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Check a dumped DOM: the page's scripts finished, recorded no error, and
/// the graph is visible with nodes. Returns the node count.
pub fn check_dom(dom: &str) -> usize {
    let html_tag = &dom[..dom.find("<head").expect("a head")];
    assert!(
        html_tag.contains("data-ready=\"1\""),
        "scripts did not finish: {html_tag}"
    );
    assert!(
        !html_tag.contains("data-errors"),
        "the page reported errors: {html_tag}"
    );
    let svg_at = dom.find("<svg id=\"graph\"").expect("the graph svg");
    let svg_tag = &dom[svg_at..svg_at + dom[svg_at..].find('>').unwrap()];
    assert!(
        svg_tag.contains("data-visible=\"1\""),
        "graph not visible: {svg_tag}"
    );
    let nodes: usize = svg_tag
        .split("data-nodes=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("data-nodes");
    nodes
}

/// Decoded RGBA pixels.
pub fn read_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let rgba: Vec<u8> = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|c| [c[0], c[1], c[2], 255])
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (info.width, info.height, rgba)
}

/// Every place in an HTML page that would make the browser fetch something
/// from the network: `src`/`href`/`srcset`/`poster`/`data`/`action`/
/// `xlink:href` attributes with an absolute or protocol-relative URL on any
/// element but `<a>` (a link is only followed when clicked), CSS `url(…)`
/// and `@import` of such URLs, and any `http(s)://` inside a `<script>`.
pub fn network_loads(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    let lower = html.to_ascii_lowercase();
    let remote = |v: &str| {
        let v = v
            .trim()
            .trim_start_matches(['"', '\''])
            .to_ascii_lowercase();
        v.starts_with("http://") || v.starts_with("https://") || v.starts_with("//")
    };
    // Tags and their attributes.
    let mut at = 0;
    while let Some(open) = lower[at..].find('<') {
        let start = at + open;
        let Some(len) = lower[start..].find('>') else {
            break;
        };
        let tag = &lower[start + 1..start + len];
        at = start + len + 1;
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ':')
            .collect();
        if name.is_empty() {
            continue;
        }
        for attr in [
            "src=",
            "href=",
            "srcset=",
            "poster=",
            "data=",
            "action=",
            "xlink:href=",
            "background=",
        ] {
            let mut from = 0;
            while let Some(i) = tag[from..].find(attr) {
                let pos = from + i;
                from = pos + attr.len();
                // Only whole attribute names (not data-src=, etc.).
                if pos > 0 && !tag.as_bytes()[pos - 1].is_ascii_whitespace() {
                    continue;
                }
                if name == "a" && attr == "href=" {
                    continue;
                }
                if remote(&tag[from..]) {
                    found.push(format!("<{}>", &tag[..tag.len().min(120)]));
                }
            }
        }
        if name == "script" {
            let end = lower[at..]
                .find("</script")
                .map(|e| at + e)
                .unwrap_or(lower.len());
            if lower[at..end].contains("http://") || lower[at..end].contains("https://") {
                found.push("a URL inside <script>".into());
            }
            at = end;
        }
    }
    // CSS.
    for pat in ["url(", "@import"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(pat) {
            let pos = from + i + pat.len();
            from = pos;
            if remote(lower[pos..].trim_start_matches([' ', '('])) {
                found.push(format!("{pat}{}", &lower[pos..(pos + 60).min(lower.len())]));
            }
        }
    }
    found
}
