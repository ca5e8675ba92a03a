//! # azrelo-report — the report a change advisory board reads
//!
//! Owns turning a plan directory (`plan.json` + `estate.json` as `azrelo
//! plan --out` writes them; `templates/`, `journal.db` and `events.jsonl`
//! once a run exists) into:
//!
//! * **one self-contained HTML file** ([`Format::Html`]): an executive
//!   summary (what moves where, blockers with their remediation, downtime
//!   per workload in minutes with its basis, what stays in the source and
//!   why), the dependency graph as an inline SVG picture laid out here in
//!   Rust ([`layout`]: layered by wave, grouped by resource group, crossing
//!   reduction by barycentre; coloured by wave, edges by kind), the waves as
//!   a timeline (planned minutes from the catalog's durations, real ones
//!   from `events.jsonl`), every gate with its instruction, owner and state,
//!   findings filterable by severity and service, role assignments by role
//!   name, the checklist and the scenario procedures. Inline CSS, JS (only
//!   zoom, pan, filter, highlight) and SVG: nothing is fetched when the
//!   file is opened, so it works offline and as a mail attachment;
//! * **tracking spreadsheets** ([`Format::Xlsx`], [`Format::Csv`]): findings,
//!   resources (source → target, action, wave, gates), checklist, gates and
//!   role assignments — one workbook, or one CSV file per sheet.
//!
//! Run state comes from the orchestrator's public API
//! ([`azrelo_run::PlanDir::load_run`], [`azrelo_orchestrate::status`]), never
//! from reading its SQLite journal directly. The entry point for other
//! commands (`plan --out`, `rehearse`) is [`write()`].
//!
//! It must not plan, talk to Azure or change the plan directory beyond the
//! report files it is asked to write (atomically: temporary file, then
//! rename).

pub mod html;
pub mod layout;
pub mod model;
pub mod sheets;

use std::path::{Path, PathBuf};

pub use model::{Report, load};

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One self-contained HTML file.
    Html,
    /// One Excel workbook with a sheet per table.
    Xlsx,
    /// A directory with one CSV file per sheet.
    Csv,
}

impl Format {
    /// Where the report goes by default: `PLAN_DIR/report.html`,
    /// `PLAN_DIR/report.xlsx`, `PLAN_DIR/report-csv/`.
    pub fn default_path(self, plan_dir: &Path) -> PathBuf {
        plan_dir.join(match self {
            Format::Html => "report.html",
            Format::Xlsx => "report.xlsx",
            Format::Csv => "report-csv",
        })
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A file of the plan directory is missing or unreadable.
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    /// The run's journal or templates could not be read.
    #[error("run state in {dir}: {message}")]
    Run { dir: PathBuf, message: String },
    /// Writing the output failed.
    #[error("cannot write {path}: {message}")]
    Output { path: PathBuf, message: String },
}

/// The files a [`write()`] produced.
#[derive(Debug, Clone)]
pub struct Written {
    pub files: Vec<PathBuf>,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// Read the plan directory and write the report in `format` to `out` (a
/// file for HTML and xlsx, a directory for CSV; `None` = the default path
/// inside the plan directory).
pub fn write(plan_dir: &Path, format: Format, out: Option<&Path>) -> Result<Written, ReportError> {
    let report = load(plan_dir)?;
    let out = out
        .map(Path::to_path_buf)
        .unwrap_or_else(|| format.default_path(plan_dir));
    let files = match format {
        Format::Html => {
            write_atomic(&out, html::render(&report).as_bytes())?;
            vec![out]
        }
        Format::Xlsx => {
            let bytes = sheets::xlsx(&report).map_err(|e| ReportError::Output {
                path: out.clone(),
                message: e.to_string(),
            })?;
            write_atomic(&out, &bytes)?;
            vec![out]
        }
        Format::Csv => sheets::write_csv_dir(&report, &out)?,
    };
    let bytes = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    Ok(Written { files, bytes })
}

/// Write a file atomically: a temporary file beside it, then rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let err = |e: std::io::Error| ReportError::Output {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("report");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}
