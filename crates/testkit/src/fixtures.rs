//! Realistic estate exports for tests: Resource Graph rows and ARM GET
//! bodies shaped exactly as Azure returns them (modelled on the REST API
//! specs' example files), one directory per estate under
//! `crates/testkit/fixtures/estates/`. Each directory's `README.md` says
//! what the estate holds and where its shapes come from.

use std::path::PathBuf;

/// The names of the fixture estates, sorted.
pub fn estate_fixtures() -> Vec<String> {
    let root = crate::repo_root().join("crates/testkit/fixtures/estates");
    let mut out: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// The JSON input files of one fixture estate, sorted (pass them to
/// `azrelo_estate::load_inputs`). Panics naming the directory when the
/// estate does not exist.
pub fn estate_fixture(name: &str) -> Vec<PathBuf> {
    let dir = crate::repo_root()
        .join("crates/testkit/fixtures/estates")
        .join(name);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fixture estate {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    out.sort();
    out
}
