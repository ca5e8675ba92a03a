//! Tracking spreadsheets: findings, resources (source → target, action,
//! wave, gates), checklist (one row per item × resource, with an empty
//! `Done` column to tick), gates and role assignments. The same rows go to
//! one xlsx workbook (`rust_xlsxwriter`: bold frozen header, autofilter,
//! column widths) or to one CSV file per sheet (`csv`).

use std::path::{Path, PathBuf};

use azrelo_plan::report::{principal, reasons, role_name, short};
use rust_xlsxwriter::{Format as XFormat, Workbook, XlsxError};

use crate::{Report, ReportError};

/// A cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl Cell {
    /// As CSV text.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
        }
    }
}

fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn n(x: impl Into<f64>) -> Cell {
    Cell::Number(x.into())
}

/// One table.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Sheet name, also the CSV file stem (lower-cased, `-` for spaces).
    pub name: &'static str,
    pub header: Vec<&'static str>,
    /// Column widths in characters (xlsx).
    pub widths: Vec<f64>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    /// `findings.csv`, `role-assignments.csv`, …
    pub fn file_name(&self) -> String {
        format!("{}.csv", self.name.to_ascii_lowercase().replace(' ', "-"))
    }
}

/// Every sheet of the report, in order.
pub fn sheets(r: &Report) -> Vec<Sheet> {
    let plan = &r.plan;
    let service_of = crate::model::service_of(plan);
    let findings = Sheet {
        name: "Findings",
        header: vec![
            "Severity",
            "Code",
            "Service",
            "Resource",
            "Finding",
            "Remediation",
            "Resource id",
        ],
        widths: vec![10.0, 30.0, 16.0, 34.0, 60.0, 60.0, 60.0],
        rows: plan
            .findings
            .iter()
            .map(|f| {
                let rid = f.resource.clone().unwrap_or_default();
                vec![
                    t(f.severity.as_str()),
                    t(&f.code),
                    t(service_of
                        .get(&rid.to_ascii_lowercase())
                        .cloned()
                        .unwrap_or_default()),
                    t(if rid.is_empty() {
                        String::new()
                    } else {
                        short(&rid)
                    }),
                    t(&f.message),
                    t(&f.remediation),
                    t(rid),
                ]
            })
            .collect(),
    };
    let state = |target: &str| -> String {
        r.run
            .as_ref()
            .and_then(|run| run.states.get(&target.to_ascii_lowercase()).cloned())
            .unwrap_or_default()
    };
    let resources = Sheet {
        name: "Resources",
        header: vec![
            "Wave",
            "Resource",
            "Type",
            "Action",
            "Strategy",
            "Data mover",
            "Downtime",
            "Target name",
            "Renamed because",
            "Carried by",
            "Gates",
            "State",
            "Source id",
            "Target id",
        ],
        widths: vec![
            6.0, 34.0, 40.0, 11.0, 14.0, 22.0, 9.0, 30.0, 30.0, 30.0, 40.0, 12.0, 60.0, 60.0,
        ],
        rows: plan
            .resources
            .iter()
            .map(|p| {
                vec![
                    n(p.wave),
                    t(p.name.to_string()),
                    t(p.resource_type.to_string()),
                    t(p.action.as_str()),
                    t(p.strategy.as_str()),
                    t(p.data_mover.as_deref().unwrap_or("")),
                    t(p.downtime.as_str()),
                    t(p.target_name.to_string()),
                    t(p.rename_reason.clone().unwrap_or_default()),
                    t(p.carried_by
                        .as_ref()
                        .map(|x| x.as_str())
                        .map(short)
                        .unwrap_or_default()),
                    t(r.gates_by_resource
                        .get(&p.source_id.as_str().to_ascii_lowercase())
                        .map(|g| g.join("\n"))
                        .unwrap_or_default()),
                    t(state(p.target_id.as_str())),
                    t(p.source_id.to_string()),
                    t(p.target_id.to_string()),
                ]
            })
            .collect(),
    };
    // Checklist: one row per item × resource (every planned resource lists
    // its own items), in the plan's item order, then wave.
    let mut checklist_rows = Vec::new();
    for c in &plan.checklist {
        for p in plan
            .resources
            .iter()
            .filter(|p| p.checklist.iter().any(|i| **i == *c.id))
        {
            checklist_rows.push(vec![
                t(&c.id),
                t(&c.title),
                t(match c.automation {
                    azrelo_catalog::Automation::Automated => "automated",
                    azrelo_catalog::Automation::Manual => "manual",
                }),
                n(p.wave),
                t(short(p.source_id.as_str())),
                t(&c.instruction),
                t(""),
                t(p.source_id.to_string()),
            ]);
        }
    }
    let checklist = Sheet {
        name: "Checklist",
        header: vec![
            "Item",
            "Title",
            "Automation",
            "Wave",
            "Resource",
            "Instruction",
            "Done",
            "Resource id",
        ],
        widths: vec![26.0, 40.0, 11.0, 6.0, 34.0, 70.0, 8.0, 60.0],
        rows: checklist_rows,
    };
    let gates = Sheet {
        name: "Gates",
        header: vec![
            "Wave",
            "Gate",
            "When",
            "Owner",
            "Instruction",
            "State",
            "Owner id",
        ],
        widths: vec![6.0, 44.0, 15.0, 34.0, 70.0, 12.0, 60.0],
        rows: r
            .gates
            .iter()
            .map(|g| {
                vec![
                    n(g.wave),
                    t(&g.id),
                    t(g.when),
                    t(short(&g.owner)),
                    t(&g.instruction),
                    t(g.state),
                    t(&g.owner),
                ]
            })
            .collect(),
    };
    let roles = Sheet {
        name: "Role assignments",
        header: vec![
            "Wave",
            "Role",
            "Target scope",
            "Principal",
            "Why",
            "Role definition id",
            "Target scope id",
        ],
        widths: vec![6.0, 34.0, 40.0, 50.0, 30.0, 60.0, 60.0],
        rows: plan
            .role_assignments
            .iter()
            .map(|ra| {
                vec![
                    n(ra.wave),
                    t(role_name(&ra.role_definition_id)),
                    t(short(&ra.target_scope)),
                    t(principal(ra).replace('`', "")),
                    t(reasons(ra)),
                    t(&ra.role_definition_id),
                    t(&ra.target_scope),
                ]
            })
            .collect(),
    };
    vec![findings, resources, checklist, gates, roles]
}

/// The workbook's bytes.
pub fn xlsx(r: &Report) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = XFormat::new().set_bold();
    let wrap = XFormat::new().set_text_wrap();
    for s in sheets(r) {
        let ws = wb.add_worksheet();
        ws.set_name(s.name)?;
        for (c, h) in s.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &bold)?;
            if let Some(w) = s.widths.get(c) {
                ws.set_column_width(c as u16, *w)?;
            }
        }
        for (ri, row) in s.rows.iter().enumerate() {
            let rr = ri as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Number(x) => {
                        ws.write_number(rr, c as u16, *x)?;
                    }
                    Cell::Text(v) if v.contains('\n') || v.len() > 60 => {
                        ws.write_string_with_format(rr, c as u16, v, &wrap)?;
                    }
                    Cell::Text(v) => {
                        ws.write_string(rr, c as u16, v)?;
                    }
                }
            }
        }
        ws.set_freeze_panes(1, 0)?;
        if !s.rows.is_empty() {
            ws.autofilter(0, 0, s.rows.len() as u32, s.header.len() as u16 - 1)?;
        }
    }
    wb.save_to_buffer()
}

/// One sheet as CSV bytes.
pub fn csv_bytes(s: &Sheet) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&s.header)?;
    for row in &s.rows {
        w.write_record(row.iter().map(Cell::text))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Write every sheet as `DIR/<sheet>.csv` (each file atomically).
pub fn write_csv_dir(r: &Report, dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    if dir.exists() && !dir.is_dir() {
        return Err(ReportError::Output {
            path: dir.to_path_buf(),
            message: "is a file; CSV output is a directory with one file per sheet".into(),
        });
    }
    let mut out = Vec::new();
    for s in sheets(r) {
        let path = dir.join(s.file_name());
        let bytes = csv_bytes(&s).map_err(|e| ReportError::Output {
            path: path.clone(),
            message: e.to_string(),
        })?;
        crate::write_atomic(&path, &bytes)?;
        out.push(path);
    }
    Ok(out)
}
