//! Parsing and validating a set of catalog files.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::condition;
use crate::durations::Durations;
use crate::model::{
    Automation, ChecklistItem, ChecklistRef, DataMover, Defaults, Downtime, Executor, FixRef,
    Scenario, Service, StepMode, TemplateFix, TypeEntry,
};
use crate::ownership::{OwnershipFile, OwnershipRule};
use crate::references::References;

mod validate;

pub(crate) use validate::{check_condition, check_id, check_type, check_url, validate};

/// Why a catalog could not be loaded. Every variant names the file (relative
/// to the catalog root) and the key or id at fault.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A directory or file could not be read.
    #[error("cannot read catalog file {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// TOML syntax or schema error (unknown key, unknown strategy, …).
    #[error("{file}: {message}")]
    Parse {
        /// File.
        file: String,
        /// The TOML parser's message, with line and column and the key.
        message: String,
    },
    /// A required file is missing.
    #[error("catalog is missing {file} ({what})")]
    Missing {
        /// File.
        file: String,
        /// What it should hold.
        what: String,
    },
    /// A semantic error.
    #[error("{file}: {key}: {message}")]
    Invalid {
        /// File.
        file: String,
        /// Key path inside the file, e.g. `types[2].checklist`.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

pub(crate) fn invalid(
    file: &str,
    key: impl Into<String>,
    message: impl Into<String>,
) -> CatalogError {
    CatalogError::Invalid {
        file: file.to_string(),
        key: key.into(),
        message: message.into(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChecklistFile {
    items: Vec<ChecklistItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoversFile {
    movers: Vec<DataMover>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecutorsFile {
    executors: Vec<Executor>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixesFile {
    fixes: Vec<TemplateFix>,
}

/// Everything read from the files, before indexing.
pub(crate) struct Parts {
    pub checklist: Vec<ChecklistItem>,
    pub movers: Vec<DataMover>,
    pub executors: Vec<Executor>,
    pub fixes: Vec<TemplateFix>,
    pub defaults: Defaults,
    pub durations: Durations,
    pub services: Vec<Service>,
    pub scenarios: Vec<Scenario>,
    pub ownership: Vec<OwnershipRule>,
    pub references: References,
}

fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError::Parse {
        file: file.to_string(),
        message: e.to_string().trim_end().to_string(),
    })
}

fn stem(file: &str) -> &str {
    let name = file.rsplit('/').next().unwrap_or(file);
    name.strip_suffix(".toml").unwrap_or(name)
}

/// Read every `.toml` file under `dir` as (relative path, text), sorted.
pub(crate) fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, CatalogError> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), CatalogError> {
        let rd = std::fs::read_dir(dir).map_err(|source| CatalogError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for e in rd {
            let e = e.map_err(|source| CatalogError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            let p = e.path();
            if p.is_dir() {
                walk(root, &p, out)?;
            } else if p.extension().is_some_and(|x| x == "toml") {
                let text = std::fs::read_to_string(&p).map_err(|source| CatalogError::Io {
                    path: p.clone(),
                    source,
                })?;
                let rel = p
                    .strip_prefix(root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, text));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Parse the files of a catalog (paths relative to its root).
pub(crate) fn parse_files(
    files: &[(impl AsRef<str>, impl AsRef<str>)],
) -> Result<Parts, CatalogError> {
    let (mut checklist, mut movers, mut fixes, mut defaults) = (None, None, None, None);
    let mut executors = None;
    let (mut ownership, mut references) = (None, None);
    let mut durations = None;
    let (mut services, mut scenarios) = (Vec::new(), Vec::new());
    for (file, text) in files {
        let (file, text) = (file.as_ref(), text.as_ref());
        match file {
            "checklist.toml" => checklist = Some(parse::<ChecklistFile>(file, text)?.items),
            "data-movers.toml" => movers = Some(parse::<MoversFile>(file, text)?.movers),
            "executors.toml" => executors = Some(parse::<ExecutorsFile>(file, text)?.executors),
            "template-fixes.toml" => fixes = Some(parse::<FixesFile>(file, text)?.fixes),
            "defaults.toml" => defaults = Some(parse::<Defaults>(file, text)?),
            "ownership.toml" => ownership = Some(parse::<OwnershipFile>(file, text)?.rules),
            "references.toml" => references = Some(parse::<References>(file, text)?),
            "durations.toml" => durations = Some(parse::<Durations>(file, text)?),
            f if f.starts_with("services/") => {
                let mut s: Service = parse(file, text)?;
                s.file = file.to_string();
                services.push(s);
            }
            f if f.starts_with("scenarios/") => {
                let mut s: Scenario = parse(file, text)?;
                s.file = file.to_string();
                scenarios.push(s);
            }
            other => {
                return Err(invalid(
                    other,
                    "(file)",
                    "unexpected file: catalog files are checklist.toml, data-movers.toml, executors.toml, template-fixes.toml, defaults.toml, durations.toml, ownership.toml, references.toml, services/*.toml and scenarios/*.toml",
                ));
            }
        }
    }
    let need = |f: &str, what: &str| CatalogError::Missing {
        file: f.into(),
        what: what.into(),
    };
    Ok(Parts {
        checklist: checklist.ok_or_else(|| need("checklist.toml", "the shared checklist items"))?,
        movers: movers.ok_or_else(|| need("data-movers.toml", "the data movers"))?,
        executors: executors
            .ok_or_else(|| need("executors.toml", "the executors automated steps name"))?,
        fixes: fixes.ok_or_else(|| need("template-fixes.toml", "the shared template fixes"))?,
        defaults: defaults.ok_or_else(|| need("defaults.toml", "the entry for unlisted types"))?,
        durations: durations.ok_or_else(|| need("durations.toml", "the planned durations"))?,
        services,
        scenarios,
        ownership: ownership.ok_or_else(|| {
            need(
                "ownership.toml",
                "the rules for resources that belong to other resources",
            )
        })?,
        references: references.ok_or_else(|| {
            need(
                "references.toml",
                "the patterns of references in settings and the clouds' DNS suffixes",
            )
        })?,
    })
}
