//! # azrelo-estate — what an Azure estate holds
//!
//! Owns the estate model and its versioned JSON format (`azrelo.estate/v1`):
//! resources (with identities, properties, tags, …), role assignments,
//! diagnostic settings, locks and policy exemptions, each with the input file
//! and JSON path it came from. Reads every input kind users can export —
//! ARM templates and exports (through `azrelo-template`), Azure Resource Graph
//! results, `az resource list`, ARM GET bodies, and estate files — recognising
//! the kind from content, and merges them (deduplicated by id; the richer
//! record wins; conflicts are reported).
//!
//! It must not talk to Azure (live discovery is `azrelo-live`'s) or derive
//! dependencies (that is `azrelo-graph`'s).

pub mod arm_shape;
pub mod model;
pub mod read;
pub mod synth;

pub use model::*;
pub use read::{
    LoadError, LoadOptions, dedup_extensions, detect, ingest, insert_resource, load_inputs,
};

/// Write an estate as pretty JSON, atomically (temporary file, then rename).
pub fn write_estate(estate: &Estate, path: &std::path::Path) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("estate.json"),
        std::process::id()
    ));
    {
        let f = std::fs::File::create(&tmp)?;
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut w, estate).map_err(std::io::Error::other)?;
        use std::io::Write;
        w.write_all(b"\n")?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}
