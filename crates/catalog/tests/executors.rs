//! `executors.toml` and the `automated` labels: an automated step, checklist
//! item or data mover must name a known executor, a manual one none, and a
//! file that breaks the rule is refused with the file and key at fault.
//! (That each executor is implemented and exercised is proven by
//! `crates/cli/tests/labels.rs`.)

use azrelo_catalog::{Automation, Catalog, StepMode};

fn with_file(file: &str, edit: impl Fn(&str) -> String) -> Result<Catalog, String> {
    let files: Vec<(String, String)> = Catalog::embedded_files()
        .iter()
        .map(|(p, t)| {
            let t = if *p == file { edit(t) } else { t.to_string() };
            (p.to_string(), t)
        })
        .collect();
    Catalog::from_files(&files).map_err(|e| e.to_string())
}

#[test]
fn every_automated_label_names_a_known_executor() {
    let c = Catalog::embedded();
    let known = |e: &str| c.executor(e).is_some();
    for sc in c.scenarios() {
        for st in &sc.steps {
            match st.mode {
                StepMode::Automated => assert!(
                    st.executor.as_deref().is_some_and(known),
                    "{}/{}",
                    sc.id,
                    st.id
                ),
                StepMode::ManualGate => assert!(st.executor.is_none(), "{}/{}", sc.id, st.id),
            }
        }
    }
    for item in c.checklist_items() {
        assert_eq!(
            item.automation == Automation::Automated,
            item.executor.as_deref().is_some_and(known),
            "{}",
            item.id
        );
    }
    // Exactly the disk snapshot copy is run by azrelo among the movers.
    let run: Vec<&str> = c
        .data_movers()
        .iter()
        .filter(|m| m.executor.is_some())
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(run, ["disk-snapshot-copy"]);
}

#[test]
fn an_automated_step_without_an_executor_is_refused() {
    let e = with_file("scenarios/azure-backup.toml", |t| {
        t.replacen("executor = \"backup-baseline-capture\"\n", "", 1)
    })
    .unwrap_err();
    assert!(
        e.contains("scenarios/azure-backup.toml")
            && e.contains(".executor")
            && e.contains("names no executor"),
        "{e}"
    );
}

#[test]
fn an_unknown_executor_is_refused() {
    let e = with_file("scenarios/azure-backup.toml", |t| {
        t.replacen(
            "executor = \"backup-reprotect\"",
            "executor = \"resource-mover\"",
            1,
        )
    })
    .unwrap_err();
    assert!(e.contains("unknown executor 'resource-mover'"), "{e}");
}

#[test]
fn a_manual_item_naming_an_executor_is_refused() {
    let e = with_file("checklist.toml", |t| {
        t.replacen(
            "automation = \"manual\"",
            "automation = \"manual\"\nexecutor = \"deploy\"",
            1,
        )
    })
    .unwrap_err();
    assert!(
        e.contains("checklist.toml") && e.contains("is manual"),
        "{e}"
    );
}

#[test]
fn a_gate_on_an_automated_step_is_refused() {
    let e = with_file("scenarios/general-move-process.toml", |t| {
        t.replacen(
            "executor = \"dependency-graph\"",
            "executor = \"dependency-graph\"\ngate = \"cleanup\"",
            1,
        )
    })
    .unwrap_err();
    assert!(e.contains(".gate"), "{e}");
}

#[test]
fn executors_are_unique_and_described() {
    let e = with_file("executors.toml", |t| {
        let first = t.find("[[executors]]").unwrap();
        let second = t[first + 1..].find("[[executors]]").unwrap() + first + 1;
        format!("{t}\n{}", &t[first..second])
    })
    .unwrap_err();
    assert!(e.contains("defined twice"), "{e}");
}
