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
    DEFAULT_MAX_INPUT_BYTES, InputText, LoadError, LoadOptions, Loaded, dedup_extensions, detect,
    ingest, insert_resource, load_files, load_inputs, load_paths, load_texts, parameter_values,
    read_input,
};

/// Write an estate as pretty JSON, atomically (temporary file, then rename),
/// readable by its owner only (mode 0600 on Unix): an estate is operator
/// data (names, addresses, topology) even with its secrets redacted.
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
        let f = create_private(&tmp)?;
        let mut w = std::io::BufWriter::new(f);
        serde_json::to_writer_pretty(&mut w, estate).map_err(std::io::Error::other)?;
        use std::io::Write;
        w.write_all(b"\n")?;
        w.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

/// Create (truncate) a file readable and writable by its owner only
/// (0600 on Unix; elsewhere the platform's default).
pub fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}
