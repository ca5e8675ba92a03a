//! Reading a fleet from files: every input `azrelo-estate` reads (ARM
//! templates and exports, `az graph query`, `az resource list`, ARM GET
//! bodies, estate files) plus Defender device lists (portal CSV export or the
//! machines API's JSON). Directories contribute their `.json` and `.csv`
//! files, sorted.

use crate::devices::{self, DeviceFileError};
use crate::inventory;
use crate::model::Fleet;
use std::path::{Path, PathBuf};

/// An input that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("no input files: pass JSON or CSV files or directories")]
    NoInputs,
    #[error("{path}: {message}")]
    Io { path: String, message: String },
    #[error(transparent)]
    Estate(#[from] azrelo_estate::LoadError),
    #[error(transparent)]
    Devices(#[from] DeviceFileError),
}

fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FilesError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| FilesError::Io {
                path: p.display().to_string(),
                message: format!("cannot read the directory: {e}"),
            })?;
            let mut files: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                        x.eq_ignore_ascii_case("json") || x.eq_ignore_ascii_case("csv")
                    })
                })
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

fn read(p: &Path) -> Result<String, FilesError> {
    std::fs::read_to_string(p).map_err(|e| FilesError::Io {
        path: p.display().to_string(),
        message: format!("cannot read the file: {e}"),
    })
}

/// Read a fleet from files and directories.
pub fn load(paths: &[PathBuf]) -> Result<Fleet, FilesError> {
    let files = expand(paths)?;
    if files.is_empty() {
        return Err(FilesError::NoInputs);
    }
    let mut estate_files = Vec::new();
    let mut devices = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let is_csv = f
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x.eq_ignore_ascii_case("csv"));
        if is_csv {
            devices.extend(devices::parse_csv(&read(&f)?, &name)?);
            continue;
        }
        let text = read(&f)?;
        let json_ext = f
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x.eq_ignore_ascii_case("json"));
        if !json_ext && devices::looks_like_csv(&text) && !text.trim().is_empty() {
            devices.extend(devices::parse_csv(&text, &name)?);
            continue;
        }
        // A Defender machines API answer is a device list; anything else goes
        // to the estate readers (which report unrecognised content).
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) if devices::is_device_json(&v) => devices.extend(devices::parse_json(&v, &name)?),
            _ => estate_files.push(f),
        }
    }
    let estate = if estate_files.is_empty() {
        azrelo_estate::Estate::new()
    } else {
        azrelo_estate::load_inputs(&estate_files, &azrelo_estate::LoadOptions::default())?
    };
    let mut fleet = inventory::from_estate(&estate);
    fleet.devices = devices;
    Ok(fleet)
}
