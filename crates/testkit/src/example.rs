//! The repository's example estate (`examples/contoso-shop`) as a test
//! bed: planned and generated into a plan directory exactly as `azrelo plan
//! --out` and `azrelo generate` write it, its ARM bodies to seed an emulator
//! with, the operator's values for its secure parameters, and a dump of a
//! persistent emulator's state.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// The subscription the example estate lives in.
pub const EXAMPLE_SUB: &str = "3f8a1c52-6b0e-4d1a-9c77-2e5b8d0f4a11";

pub use crate::corpus::{example_dir, example_files};

/// `azrelo plan` + `azrelo generate` of the example into `dir` (same files
/// the CLI writes).
pub fn make_plan_dir(dir: &Path, target: &str) {
    make_plan_dir_with(dir, &azrelo_plan::PlanOptions::new(target), &[]);
}

/// [`make_plan_dir`] with plan options of the test's own (a target
/// subscription, …) and input files added to the example's.
pub fn make_plan_dir_with(dir: &Path, opts: &azrelo_plan::PlanOptions, extra: &[PathBuf]) {
    let mut files = example_files();
    files.extend(extra.iter().cloned());
    plan_dir_of(dir, &files, opts);
}

/// [`make_plan_dir`] for any input files (a fixture estate's:
/// [`crate::estate_fixture`]).
pub fn make_plan_dir_from(dir: &Path, files: &[PathBuf], target: &str) {
    plan_dir_of(dir, files, &azrelo_plan::PlanOptions::new(target));
}

fn plan_dir_of(dir: &Path, files: &[PathBuf], opts: &azrelo_plan::PlanOptions) {
    let estate = azrelo_estate::load_inputs(files, &azrelo_estate::LoadOptions::default()).unwrap();
    let g = azrelo_graph::build(&estate);
    let p = azrelo_plan::plan(&estate, &g, azrelo_catalog::Catalog::embedded(), opts).unwrap();
    let out = azrelo_generate::generate(
        &p,
        &estate,
        azrelo_catalog::Catalog::embedded(),
        azrelo_generate::embedded_flags(),
    );
    let pd = azrelo_run::PlanDir::new(dir);
    pd.write_plan(&estate, &p).unwrap();
    pd.write_templates(&out, &pd.templates()).unwrap();
}

/// The example estate as the emulator's starting state: resources, locks,
/// role assignments, diagnostic settings and policy exemptions.
pub fn estate_seed(dir: &Path) -> Vec<(String, Value)> {
    let mut estate: azrelo_estate::Estate =
        serde_json::from_slice(&std::fs::read(dir.join("estate.json")).unwrap()).unwrap();
    estate.reindex();
    // As ARM returns them, read-only back-references (a NIC's
    // `virtualMachine`, a subnet's `ipConfigurations`) included: the
    // emulator, like ARM, does not count them as usage.
    azrelo_estate::arm_shape::arm_bodies(&estate)
}

/// Operator-supplied values for the generated secure parameters.
pub fn secrets() -> std::collections::HashMap<String, Value> {
    [
        ("createMode", json!("Default")),
        // The Event Hubs key of the Defender export's connection string
        // (its namespace is generated: only the secret part is supplied).
        (
            "connectionString_SharedAccessKey",
            json!("redacted-test-value"),
        ),
        ("uri", json!("https://example.invalid/trigger")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Every resource the emulator holds (id → body), from its SQLite store.
pub fn dump(emulator_dir: &Path) -> std::collections::BTreeMap<String, Value> {
    let db = rusqlite::Connection::open(emulator_dir.join("emulator.db")).unwrap();
    let mut stmt = db.prepare("SELECT id, body FROM resources").unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap();
    rows.map(|r| {
        let (id, body) = r.unwrap();
        (
            id.to_ascii_lowercase(),
            serde_json::from_str(&body).unwrap_or(Value::Null),
        )
    })
    .collect()
}
