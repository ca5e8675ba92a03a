//! The human report of an [`Assessment`]: aligned plain-text tables for the
//! terminal and Markdown for a file or a ticket. (JSON is the serde form of
//! the assessment, schema [`crate::assess::SCHEMA`].)

use crate::assess::*;
use std::fmt::Write;

/// Columns padded to their widest cell, two spaces apart.
fn columns(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let n = cells.len();
        let mut s = String::new();
        for (i, c) in cells.into_iter().enumerate() {
            s.push_str(c);
            if i + 1 < n {
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

/// The plan required: the chosen one, or what each subscription has kept.
fn plan_text(a: &Assessment) -> String {
    match a.plan {
        Some(p) => p.to_string(),
        None => "as enabled: P1 or P2 kept, P2 where off".to_string(),
    }
}

fn headline(a: &Assessment) -> String {
    let s = &a.summary;
    let paths: Vec<String> = s.by_path.iter().map(|(p, n)| format!("{p} {n}")).collect();
    format!(
        "{} machines: {} ready, {} ready after apply, {} need a manual step, {} blocked ({})",
        s.machines,
        s.ready,
        s.ready_after_apply,
        s.needs_manual,
        s.blocked,
        if paths.is_empty() {
            "none".to_string()
        } else {
            paths.join(", ")
        }
    )
}

fn status(p: &Prerequisite) -> &'static str {
    match p.status {
        PrereqStatus::Ok => "ok",
        PrereqStatus::Missing if p.recommended => "recommended",
        PrereqStatus::Missing => "missing",
        PrereqStatus::Unknown => "unknown",
        PrereqStatus::Manual => "manual",
    }
}

fn fix(f: Fix) -> &'static str {
    match f {
        Fix::Apply => "apply",
        Fix::Manual => "manual",
        Fix::None => "-",
    }
}

fn open_reasons(reasons: &[Reason]) -> String {
    let open: Vec<&str> = reasons
        .iter()
        .filter(|r| r.severity >= Severity::Action)
        .map(|r| r.code.as_str())
        .collect();
    if open.is_empty() {
        "-".into()
    } else {
        open.join(", ")
    }
}

fn machine_note(m: &MachineAssessment) -> String {
    let mut notes = Vec::new();
    if m.legacy_to_unified {
        notes.push("legacy MMA → unified".to_string());
    }
    if m.in_device_list == Some(false) {
        notes.push("not in device list".to_string());
    }
    if let Some(c) = &m.connector {
        notes.push(format!("connector {c}"));
    }
    notes.join("; ")
}

/// Plain-text report for the terminal.
pub fn render_text(a: &Assessment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Defender for Endpoint → Defender for Cloud: servers (plan {})",
        plan_text(a)
    );
    let _ = writeln!(out, "{}", headline(a));
    if a.summary.legacy_to_unified > 0 {
        let _ = writeln!(
            out,
            "{} Windows Server 2012 R2/2016 machine(s) move from the legacy MMA-based solution to the unified solution",
            a.summary.legacy_to_unified
        );
    }
    let _ = writeln!(out, "\nPrerequisites");
    let rows: Vec<Vec<String>> = a
        .prerequisites
        .iter()
        .map(|p| {
            vec![
                p.subscription.clone(),
                p.check.clone(),
                status(p).into(),
                p.current.clone(),
                p.required.clone(),
                fix(p.fix).into(),
            ]
        })
        .collect();
    out.push_str(&columns(
        &[
            "SUBSCRIPTION",
            "CHECK",
            "STATUS",
            "CURRENT",
            "REQUIRED",
            "FIX",
        ],
        &rows,
    ));
    if !a.connectors.is_empty() {
        let _ = writeln!(out, "\nConnectors");
        let rows: Vec<Vec<String>> = a
            .connectors
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.cloud.as_str().into(),
                    c.verdict.as_str().into(),
                    open_reasons(&c.reasons),
                ]
            })
            .collect();
        out.push_str(&columns(&["CONNECTOR", "CLOUD", "VERDICT", "OPEN"], &rows));
    }
    let _ = writeln!(out, "\nMachines");
    let rows: Vec<Vec<String>> = a
        .machines
        .iter()
        .map(|m| {
            vec![
                m.name.clone(),
                m.path.as_str().into(),
                m.os.clone(),
                m.verdict.as_str().into(),
                m.deploy.clone().unwrap_or_else(|| "-".into()),
                open_reasons(&m.reasons),
                machine_note(m),
            ]
        })
        .collect();
    out.push_str(&columns(
        &["MACHINE", "PATH", "OS", "VERDICT", "DEPLOY", "OPEN", "NOTE"],
        &rows,
    ));
    let with_open: Vec<&MachineAssessment> = a
        .machines
        .iter()
        .filter(|m| m.reasons.iter().any(|r| r.severity >= Severity::Action))
        .collect();
    if !with_open.is_empty() {
        let _ = writeln!(out, "\nWhat blocks or needs action");
        for m in with_open {
            if m.manual_steps.is_empty() {
                let _ = writeln!(out, "  {} ({})", m.name, m.verdict.as_str());
            } else {
                let _ = writeln!(
                    out,
                    "  {} ({}: {})",
                    m.name,
                    m.verdict.as_str(),
                    m.manual_steps.join(", ")
                );
            }
            for r in m.reasons.iter().filter(|r| r.severity >= Severity::Action) {
                let tag = if r.severity == Severity::Blocker {
                    "blocker"
                } else {
                    "action"
                };
                let _ = writeln!(out, "    - [{tag}, {}] {}", fix(r.fix), r.message);
            }
        }
    }
    if a.device_list_provided {
        let _ = writeln!(out, "\nDefender device list");
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let _ = writeln!(
            out,
            "  devices without a machine: {}",
            list(&a.devices_without_machine)
        );
        let _ = writeln!(
            out,
            "  machines missing from the device list: {}",
            list(&a.machines_missing_from_device_list)
        );
        if a.summary.client_devices_ignored > 0 {
            let _ = writeln!(
                out,
                "  client devices left out (not servers): {}",
                a.summary.client_devices_ignored
            );
        }
    }
    for w in &a.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// Markdown report (for `--report FILE` or `--format markdown`).
pub fn render_markdown(a: &Assessment) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Servers: Defender for Endpoint → Defender for Cloud\n"
    );
    let _ = writeln!(
        out,
        "Required plan: Defender for Servers **{}**.\n",
        plan_text(a)
    );
    let _ = writeln!(out, "{}.\n", headline(a));
    let _ = writeln!(out, "## Prerequisites\n");
    let _ = writeln!(
        out,
        "| subscription | check | status | current | required | fix |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for p in &a.prerequisites {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            p.subscription,
            p.check,
            status(p),
            md_escape(&p.current),
            md_escape(&p.required),
            fix(p.fix)
        );
    }
    if !a.connectors.is_empty() {
        let _ = writeln!(out, "\n## Multicloud connectors\n");
        let _ = writeln!(out, "| connector | cloud | verdict | reasons |");
        let _ = writeln!(out, "|---|---|---|---|");
        for c in &a.connectors {
            let reasons: Vec<String> = c.reasons.iter().map(|r| md_escape(&r.message)).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.name,
                c.cloud.as_str(),
                c.verdict.as_str(),
                if reasons.is_empty() {
                    "-".into()
                } else {
                    reasons.join("<br>")
                }
            );
        }
    }
    let _ = writeln!(out, "\n## Machines\n");
    let _ = writeln!(out, "| machine | path | OS | verdict | deploys | notes |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for m in &a.machines {
        let _ = writeln!(
            out,
            "| {} | {} | {} | **{}** | {} | {} |",
            md_escape(&m.name),
            m.path.as_str(),
            md_escape(&m.os),
            m.verdict.as_str(),
            m.deploy.as_deref().unwrap_or("-"),
            md_escape(&machine_note(m))
        );
    }
    let detailed: Vec<&MachineAssessment> = a
        .machines
        .iter()
        .filter(|m| !m.reasons.is_empty())
        .collect();
    if !detailed.is_empty() {
        let _ = writeln!(out, "\n## Reasons per machine\n");
        for m in detailed {
            let _ = writeln!(out, "### {} — {}\n", m.name, m.verdict.as_str());
            for r in &m.reasons {
                let sev = match r.severity {
                    Severity::Blocker => "blocker",
                    Severity::Action => "action",
                    Severity::Info => "info",
                };
                let _ = writeln!(
                    out,
                    "- **{sev}** `{}` ({}, step `{}`): {}",
                    r.code,
                    fix(r.fix),
                    r.step,
                    r.message
                );
            }
            out.push('\n');
        }
    }
    if a.device_list_provided {
        let _ = writeln!(out, "## Defender device list\n");
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.iter()
                    .map(|x| format!("`{x}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        let _ = writeln!(
            out,
            "- Devices without a machine: {}",
            list(&a.devices_without_machine)
        );
        let _ = writeln!(
            out,
            "- Machines missing from the device list: {}\n",
            list(&a.machines_missing_from_device_list)
        );
        if a.summary.client_devices_ignored > 0 {
            let _ = writeln!(
                out,
                "Client devices left out (not servers): {}.\n",
                a.summary.client_devices_ignored
            );
        }
    }
    let _ = writeln!(out, "## Procedure (catalog scenario `{SCENARIO}`)\n");
    for (i, s) in a.procedure.iter().enumerate() {
        let open = if s.open > 0 {
            format!(" — {} open", s.open)
        } else {
            String::new()
        };
        let _ = writeln!(out, "{}. {} ({}){open}", i + 1, s.title, s.mode);
    }
    if !a.warnings.is_empty() {
        let _ = writeln!(out, "\n## Warnings\n");
        for w in &a.warnings {
            let _ = writeln!(out, "- {}", md_escape(w));
        }
    }
    out
}
