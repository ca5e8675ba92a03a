//! The tracking spreadsheets of the example: CSV contents as snapshots, and
//! the xlsx workbook read back (calamine) holding exactly the same rows.

mod common;

use azrelo_report::sheets::{Cell, sheets};
use calamine::{Data, Reader, Xlsx};
use common::*;

fn example_report() -> (tempfile::TempDir, azrelo_report::Report) {
    let dir = tempfile::tempdir().unwrap();
    write_plan_dir(dir.path(), &example_estate(), "northeurope");
    let r = azrelo_report::load(dir.path()).unwrap();
    (dir, r)
}

#[test]
fn csv_files_one_per_sheet() {
    let (dir, _) = example_report();
    let out = dir.path().join("csv");
    let w = azrelo_report::write(dir.path(), azrelo_report::Format::Csv, Some(&out)).unwrap();
    let names: Vec<String> = w
        .files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "findings.csv",
            "resources.csv",
            "checklist.csv",
            "gates.csv",
            "role-assignments.csv"
        ]
    );
    let read = |n: &str| std::fs::read_to_string(out.join(n)).unwrap();
    insta::assert_snapshot!("findings_csv", read("findings.csv"));
    insta::assert_snapshot!("gates_csv", read("gates.csv"));
    insta::assert_snapshot!("role_assignments_csv", read("role-assignments.csv"));
    // Resources and checklist are long: their header and a few rows.
    let head = |s: String, n: usize| s.lines().take(n).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!("resources_csv_head", head(read("resources.csv"), 12));
    insta::assert_snapshot!("checklist_csv_head", head(read("checklist.csv"), 8));
    // Every planned resource is a row; every checklist entry's count is
    // matched by its rows.
    let r = azrelo_report::load(dir.path()).unwrap();
    let mut rdr = csv::Reader::from_path(out.join("resources.csv")).unwrap();
    assert_eq!(rdr.records().count(), r.plan.resources.len());
    let mut rdr = csv::Reader::from_path(out.join("checklist.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    for c in &r.plan.checklist {
        assert_eq!(
            rows.iter().filter(|x| &x[0] == c.id.as_str()).count(),
            c.count,
            "{}",
            c.id
        );
    }
}

#[test]
fn the_workbook_holds_the_same_rows() {
    let (dir, r) = example_report();
    let w = azrelo_report::write(dir.path(), azrelo_report::Format::Xlsx, None).unwrap();
    assert_eq!(w.files, vec![dir.path().join("report.xlsx")]);
    let mut wb: Xlsx<_> = calamine::open_workbook(dir.path().join("report.xlsx")).unwrap();
    let expected = sheets(&r);
    assert_eq!(
        wb.sheet_names(),
        expected
            .iter()
            .map(|s| s.name.to_string())
            .collect::<Vec<_>>()
    );
    for s in &expected {
        let range = wb.worksheet_range(s.name).unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|c| match c {
                        Data::Empty => String::new(),
                        Data::Float(f) => Cell::Number(*f).text(),
                        Data::Int(i) => i.to_string(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(rows[0], s.header, "{}", s.name);
        assert_eq!(rows.len(), s.rows.len() + 1, "{}", s.name);
        for (got, want) in rows[1..].iter().zip(&s.rows) {
            let want: Vec<String> = want.iter().map(Cell::text).collect();
            // calamine drops trailing empty cells of a row.
            assert_eq!(got[..], want[..got.len()], "{}", s.name);
            assert!(want[got.len()..].iter().all(String::is_empty), "{}", s.name);
        }
    }
}
