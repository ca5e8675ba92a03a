//! `azrelo report`: the report a change board reads (HTML) and the
//! tracking spreadsheets (xlsx, csv) of a plan directory.

use crate::exit::CliError;
use crate::output::Output;
use azrelo_report::{Format, ReportError};
use std::path::PathBuf;

/// Write the relocation report of a plan directory: one self-contained HTML page, or spreadsheets
///
/// html (default): one file that loads nothing from the network (inline
/// CSS, SVG and a small script for zoom, pan and filters), readable offline
/// and as a mail attachment: the executive summary (what moves where,
/// blockers with remediation, downtime per workload in minutes with its
/// basis, what stays in the source and why), the dependency graph by wave
/// and resource group, the waves as a timeline (planned minutes; real ones
/// from events.jsonl once a run exists), every gate with its instruction,
/// owner and state, findings by severity and service, role assignments by
/// role name, the checklist and the procedures.
///
/// xlsx: one workbook with the sheets Findings, Resources (source → target,
/// action, wave, gates, state), Checklist (one row per item and resource,
/// with a Done column), Gates and Role assignments.
///
/// csv: the same sheets as one CSV file each (findings.csv, resources.csv,
/// checklist.csv, gates.csv, role-assignments.csv) in a directory.
///
/// PLAN_DIR is the directory `azrelo plan --out` wrote; gates and states
/// come from the run once `azrelo generate` / `azrelo apply` ran in it.
///
/// Examples:
///   azrelo report plan/                          # plan/report.html
///   azrelo report plan/ --out /tmp/cab.html
///   azrelo report plan/ --format xlsx            # plan/report.xlsx
///   azrelo report plan/ --format csv --out csv/  # csv/findings.csv, …
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Directory with plan.json and estate.json (from `azrelo plan --out`).
    pub plan_dir: PathBuf,
    /// Output file (html, xlsx) or directory (csv). Default: PLAN_DIR/report.html,
    /// PLAN_DIR/report.xlsx or PLAN_DIR/report-csv/.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What to write.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    pub format: ReportFormat,
}

/// See `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Html,
    Xlsx,
    Csv,
}

pub fn run(args: Args, out: &Output) -> Result<(), CliError> {
    let format = match args.format {
        ReportFormat::Html => Format::Html,
        ReportFormat::Xlsx => Format::Xlsx,
        ReportFormat::Csv => Format::Csv,
    };
    let written =
        azrelo_report::write(&args.plan_dir, format, args.out.as_deref()).map_err(|e| match e {
            ReportError::Input { .. } => CliError::bad_input(
                e.to_string(),
                "pass the directory `azrelo plan --out DIR` wrote",
            ),
            other => CliError::failure(other.to_string()),
        })?;
    let files: Vec<String> = written
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    out.print(
        &serde_json::json!({
            "files": files,
            "bytes": written.bytes,
        }),
        || format!("Wrote {} ({} bytes).", files.join(", "), written.bytes),
    )
}
