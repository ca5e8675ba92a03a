//! The rehearsal's report for people: `DIR/rehearsal.md`, and the helpers
//! that shorten ids in it (shared with the CLI's summary table).

use crate::rehearsal::Summary;

/// Milliseconds as seconds with one decimal (`12.3s`).
pub fn secs(ms: u128) -> String {
    format!("{:.1}s", ms as f64 / 1000.0)
}

/// `…/resourceGroups/rg/providers/Microsoft.X/type/name` → `type/name`.
pub fn short(id: &str) -> String {
    let parts: Vec<&str> = id.rsplitn(3, '/').collect();
    match parts.as_slice() {
        [name, ty, _] => format!("{ty}/{name}"),
        _ => id.to_string(),
    }
}

/// A kept source's reason as a group for the summary table (chains of
/// "still used by X, which is kept" become one group).
pub fn reason_category(reason: &str) -> String {
    if reason.starts_with("still used by") {
        "still used by a source that is kept (rehearsal.md names each)".to_string()
    } else if reason.contains("still in the group") {
        "the resource group still holds kept resources or resources outside the plan".to_string()
    } else {
        shorten_ids(reason)
    }
}

/// Every ARM id in a sentence shortened to `type/name`.
pub fn shorten_ids(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let core = w.trim_end_matches([',', '.', ';', ')']);
            if core.starts_with("/subscriptions/") {
                format!("{}{}", short(core), &w[core.len()..])
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// DIR/rehearsal.md: what happened and what a real run asks of the operator.
pub fn markdown(s: &Summary) -> String {
    let c = &s.resources;
    let mut md = String::new();
    md.push_str(&format!(
        "# Relocation rehearsal: {} → {}\n\n",
        azrelo_plan::report::regions_label(&s.source_regions, "-"),
        s.target
    ));
    md.push_str(
        "Rehearsed by `azrelo rehearse` on the built-in ARM emulator (in-process, in memory): \
         no Azure account was used and nothing left this machine. Every step ran through the \
         same code a real relocation uses.\n\n## Outcome\n\n",
    );
    md.push_str("| | |\n|---|---|\n");
    for (k, v) in [
        ("Emulator latency profile", s.latency.to_string()),
        ("Records seeded", s.seeded.to_string()),
        ("Resources discovered (live)", s.discovered.to_string()),
        ("Resources planned", c.planned.to_string()),
        (
            "Findings",
            format!(
                "{} blocker(s), {} warning(s), {} info (plan.md lists them)",
                s.findings.blockers, s.findings.warnings, s.findings.infos
            ),
        ),
        ("Deployments generated", s.deployments.to_string()),
        ("Moved and verified", format!("{}/{}", c.moved, c.units)),
        ("Committed", format!("{}/{}", c.committed, c.units)),
        (
            "Sources deleted / kept",
            if s.source_cleanup {
                format!("{} / {}", c.source_deleted, c.source_kept)
            } else {
                "not cleaned up (--keep-source)".to_string()
            },
        ),
        (
            "Role assignments recreated",
            format!(
                "{} ({} for new principals)",
                s.role_assignments_recreated, s.role_assignments_new_principals
            ),
        ),
        (
            "Gates closed by the rehearsal",
            s.gates_closed.len().to_string(),
        ),
        ("apply/resume rounds", s.rounds.to_string()),
        (
            "Makespan (first apply → last resource verified)",
            secs(s.makespan_ms),
        ),
    ] {
        md.push_str(&format!("| {k} | {v} |\n"));
    }
    md.push_str(
        "\n## Manual gates\n\nThe rehearsal closed these gates itself. **In a real run the operator does each step, then \
         closes the gate with `azrelo gate done PLAN_DIR ID` and continues with `azrelo resume PLAN_DIR`.**\n\n",
    );
    if s.gates_closed.is_empty() {
        md.push_str("None.\n");
    } else {
        md.push_str("| Gate | Resource | When | In a real run the operator does this |\n|---|---|---|---|\n");
        for g in &s.gates_closed {
            let stand_in = g
                .stand_in
                .as_ref()
                .map(|d| format!(" — *{}* (deployment `{d}`)", crate::STAND_IN_LABEL))
                .unwrap_or_default();
            md.push_str(&format!(
                "| `{}` | {} | {} | {}{stand_in} |\n",
                g.id,
                g.resource,
                g.when,
                g.instruction.replace('|', "\\|")
            ));
        }
    }
    md.push_str("\n## Secure parameters\n\n");
    if s.placeholder_parameters.is_empty() {
        md.push_str("None were needed.\n");
    } else {
        md.push_str(
            "The rehearsal gave these secure template parameters placeholder values. In a real run \
             supply them with `azrelo apply PLAN_DIR --parameters FILE` (a JSON object or an ARM \
             parameters file) or as `AZRELO_PARAM_<name>`:\n\n",
        );
        for p in &s.placeholder_parameters {
            md.push_str(&format!("- `{p}`\n"));
        }
    }
    md.push_str("\n## Sources kept\n\n");
    if !s.source_cleanup {
        md.push_str("Source cleanup was skipped (`--keep-source`).\n");
    } else if s.kept.is_empty() {
        md.push_str("None: every source was deleted.\n");
    } else {
        md.push_str(
            "Ids are shortened to type/name here; rehearsal.json has them in full.\n\n\
             | Source | Why it stays |\n|---|---|\n",
        );
        for k in &s.kept {
            md.push_str(&format!(
                "| `{}` | {} |\n",
                short(&k.resource),
                shorten_ids(&k.reason).replace('|', "\\|")
            ));
        }
    }
    let a = &s.artifacts;
    md.push_str(&format!(
        "\n## Files\n\n- `{}`: the estate as live discovery found it\n- `{}`, `{}`: the plan\n- `{}`: the generated ARM templates and manifest.json\n- `{}`: the run's journal (`azrelo status {}` reads it)\n- `{}`: every step as JSON lines\n- `{}`: this report as JSON\n\n## Next\n\n\
         Run the same commands against Azure: `azrelo discover --subscription SUB --out estate.json`, \
         `azrelo plan estate.json --target {} --out plan`, `azrelo generate plan`, \
         `azrelo apply plan --parameters secrets.json`, then `azrelo gate done` / `azrelo resume`, \
         `azrelo commit plan` and `azrelo cleanup-source plan --confirm`.\n",
        a.estate, a.plan, a.plan_report, a.templates, a.journal, a.dir, a.events, a.report_json, s.target
    ));
    md
}
