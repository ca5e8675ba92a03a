//! Project habits checked against `cargo metadata`, so they cannot drift:
//!
//! * `ARCHITECTURE.md`'s crate dependency table equals the workspace's real
//!   normal dependencies between azrelo crates;
//! * every crate starts with a `//!` doc comment saying what it owns and
//!   opts into the workspace lints;
//! * every package in the dependency tree has a licence the project accepts
//!   (an SPDX expression satisfiable with the allow-list below);
//! * no crate comes from anywhere but crates.io or this repository;
//! * duplicate versions of a crate are the known, upstream-caused ones
//!   listed below (a new duplicate fails, and so does a listed one that has
//!   gone: the list is kept honest).
//!
//! This is the licence/bans/sources policy `cargo deny` would check, done
//! over `cargo metadata` because cargo-deny is not installed on CI machines
//! and its advisory database cannot be fetched there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    azrelo_testkit::repo_root()
}

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .arg("--manifest-path")
        .arg(root().join("Cargo.toml"))
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo metadata: {e}"));
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

fn workspace_packages(m: &Value) -> Vec<&Value> {
    let members: BTreeSet<&str> = m["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    m["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| members.contains(p["id"].as_str().unwrap_or_default()))
        .collect()
}

/// `azrelo-x` → `x` (as the table writes them).
fn short(name: &str) -> &str {
    name.strip_prefix("azrelo-").unwrap_or(name)
}

#[test]
fn architecture_crate_dependency_table_matches_cargo_metadata() {
    let m = metadata();
    let mut actual: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in workspace_packages(&m) {
        let deps = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .filter(|n| n.starts_with("azrelo-"))
            .map(|n| short(n).to_string())
            .collect();
        actual.insert(p["name"].as_str().unwrap().to_string(), deps);
    }
    let doc = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let start = doc
        .find("<!-- crate-deps:begin -->")
        .expect("ARCHITECTURE.md has the crate-deps table markers");
    let end = doc.find("<!-- crate-deps:end -->").unwrap();
    let mut documented: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in doc[start..end].lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_string();
        let deps = cells[2]
            .split(',')
            .filter_map(|d| {
                let d = d.trim();
                d.starts_with('`')
                    .then(|| d.split('`').nth(1).unwrap_or_default().to_string())
            })
            .collect();
        documented.insert(name, deps);
    }
    let mut diff = Vec::new();
    for name in actual
        .keys()
        .chain(documented.keys())
        .collect::<BTreeSet<_>>()
    {
        let (a, d) = (actual.get(name), documented.get(name));
        if a != d {
            diff.push(format!(
                "{name}: Cargo.toml says {:?}, ARCHITECTURE.md says {:?}",
                a.map(|s| s.iter().collect::<Vec<_>>()),
                d.map(|s| s.iter().collect::<Vec<_>>())
            ));
        }
    }
    assert!(
        diff.is_empty(),
        "ARCHITECTURE.md's crate dependency table is out of date:\n{}",
        diff.join("\n")
    );
}

#[test]
fn every_crate_says_what_it_owns_and_uses_the_workspace_lints() {
    let m = metadata();
    let mut missing = Vec::new();
    for p in workspace_packages(&m) {
        let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap());
        let toml = std::fs::read_to_string(&manifest).unwrap();
        if !toml.contains("[lints]\nworkspace = true") {
            missing.push(format!(
                "{}: no `[lints] workspace = true`",
                manifest.display()
            ));
        }
        for t in p["targets"].as_array().unwrap() {
            let kinds: Vec<&str> = t["kind"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .collect();
            if !kinds.iter().any(|k| *k == "lib" || *k == "bin") {
                continue;
            }
            let src = t["src_path"].as_str().unwrap();
            let text = std::fs::read_to_string(src).unwrap();
            if !text.trim_start().starts_with("//!") {
                missing.push(format!("{src}: does not start with a `//!` doc comment"));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Licences the project accepts (permissive; the project itself is MIT).
const ALLOWED_LICENSES: &[&str] = &[
    "MIT",
    "MIT-0",
    "Apache-2.0",
    "Apache-2.0 WITH LLVM-exception",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "ISC",
    "Zlib",
    "0BSD",
    "Unlicense",
    "CC0-1.0",
    "BSL-1.0",
    "Unicode-3.0",
    "CDLA-Permissive-2.0",
];

/// Whether an SPDX expression (`A OR B`, `A AND B`, parentheses, `WITH`,
/// and the old `A/B` form) can be satisfied with [`ALLOWED_LICENSES`].
fn license_ok(expr: &str) -> bool {
    let normalized = expr
        .replace('/', " OR ")
        .replace('(', " ( ")
        .replace(')', " ) ");
    let tokens: Vec<&str> = normalized.split_whitespace().collect();
    let mut pos = 0;
    let ok = or_expr(&tokens, &mut pos);
    ok && pos == tokens.len()
}

fn or_expr(t: &[&str], pos: &mut usize) -> bool {
    let mut ok = and_expr(t, pos);
    while t.get(*pos) == Some(&"OR") {
        *pos += 1;
        ok |= and_expr(t, pos);
    }
    ok
}

fn and_expr(t: &[&str], pos: &mut usize) -> bool {
    let mut ok = atom(t, pos);
    while t.get(*pos) == Some(&"AND") {
        *pos += 1;
        ok &= atom(t, pos);
    }
    ok
}

fn atom(t: &[&str], pos: &mut usize) -> bool {
    match t.get(*pos) {
        Some(&"(") => {
            *pos += 1;
            let ok = or_expr(t, pos);
            if t.get(*pos) == Some(&")") {
                *pos += 1;
            }
            ok
        }
        Some(id) => {
            *pos += 1;
            let mut name = id.to_string();
            if t.get(*pos) == Some(&"WITH") {
                name = format!("{name} WITH {}", t.get(*pos + 1).unwrap_or(&""));
                *pos += 2;
            }
            ALLOWED_LICENSES.contains(&name.as_str())
        }
        None => false,
    }
}

#[test]
fn the_licence_expression_reader_follows_spdx() {
    assert!(license_ok("MIT OR Apache-2.0"));
    assert!(license_ok("MIT/Apache-2.0"));
    assert!(license_ok("(MIT OR Apache-2.0) AND Unicode-3.0"));
    assert!(license_ok("MIT OR Apache-2.0 OR LGPL-2.1-or-later"));
    assert!(license_ok(
        "Apache-2.0 WITH LLVM-exception OR Apache-2.0 OR MIT"
    ));
    assert!(!license_ok("GPL-3.0-only"));
    assert!(!license_ok("MIT AND GPL-3.0-only"));
    assert!(!license_ok("LGPL-2.1-or-later"));
    assert!(!license_ok(""));
}

#[test]
fn every_dependency_has_an_accepted_licence_and_comes_from_crates_io() {
    let m = metadata();
    let mut bad = Vec::new();
    for p in m["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let version = p["version"].as_str().unwrap();
        match p["license"].as_str() {
            Some(l) if license_ok(l) => {}
            Some(l) => bad.push(format!("{name} {version}: licence `{l}` is not accepted")),
            None => bad.push(format!("{name} {version}: no licence declared")),
        }
        match p["source"].as_str() {
            None => {}
            Some("registry+https://github.com/rust-lang/crates.io-index") => {}
            Some(s) => bad.push(format!("{name} {version}: from {s}, not crates.io")),
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// Crates present in two versions, all because of upstream crates' own
/// requirements (`cargo tree -d` shows the chains). Update with care: a
/// duplicate azrelo introduces itself should be removed, not listed.
const KNOWN_DUPLICATES: &[(&str, &str)] = &[
    (
        "base64",
        "azure_core/typespec pin 0.22; hyper-util, reqwest, pem use 0.23",
    ),
    (
        "bit-vec",
        "rcgen's yasna uses 0.9; proptest/bit-set (dev) use 0.10",
    ),
    (
        "cpufeatures",
        "sha2 0.10 uses 0.2; rand 0.10's chacha20 (azure_core) uses 0.3",
    ),
    (
        "foldhash",
        "hashbrown 0.15 (petgraph) and 0.17 (rusqlite's hashlink)",
    ),
    ("getrandom", "ring uses 0.2; rand 0.10 / uuid use 0.4"),
    ("hashbrown", "petgraph uses 0.15; rusqlite's hashlink 0.17"),
    (
        "miniz_oxide",
        "png (report's dev-dependency) uses 0.8; flate2 and backtrace 0.9",
    ),
    (
        "object",
        "stacker's build-time ar_archive_writer uses 0.39; backtrace/addr2line 0.40",
    ),
    ("syn", "async-trait is on syn 3; the other proc macros on 2"),
    (
        "synstructure",
        "rcgen's asn1-rs-derive uses 0.13; yoke/zerofrom-derive (url's icu) 0.14",
    ),
    (
        "unicode-width",
        "comfy-table/indicatif use 0.2; miette's textwrap 0.1",
    ),
    (
        "windows-sys",
        "ring pins 0.52; clap's anstyle and others 0.61 (Windows only)",
    ),
];

#[test]
fn duplicate_versions_are_the_known_upstream_ones() {
    let m = metadata();
    let mut versions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for p in m["packages"].as_array().unwrap() {
        versions
            .entry(p["name"].as_str().unwrap())
            .or_default()
            .insert(p["version"].as_str().unwrap());
    }
    let dups: BTreeSet<&str> = versions
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(n, _)| *n)
        .collect();
    let known: BTreeSet<&str> = KNOWN_DUPLICATES.iter().map(|(n, _)| *n).collect();
    let new: Vec<String> = dups
        .difference(&known)
        .map(|n| format!("{n} {:?}", versions[n]))
        .collect();
    let gone: Vec<&&str> = known.difference(&dups).collect();
    assert!(
        new.is_empty(),
        "new duplicate versions (align the versions, or list them with the reason): {new:?}"
    );
    assert!(
        gone.is_empty(),
        "no longer duplicated, remove from KNOWN_DUPLICATES: {gone:?}"
    );
}
