//! The report's tables: gates, findings, resources, role assignments,
//! checklist and procedures.

use super::*;

pub(super) fn gates(o: &mut String, r: &Report) {
    let _ = write!(
        o,
        "<section id=\"gates\"><h2>Gates ({})</h2><p class=\"muted\">{} The run stops at each (exit code 5) until it is closed with <code>azrelo gate done DIR ID</code>.</p>",
        r.gates.len(),
        if r.gates_from_run {
            "From the run's own model of the generated templates."
        } else {
            "Counted from the plan as the orchestrator builds them; after <code>azrelo generate</code> the report reads the run's own list."
        }
    );
    o.push_str("<div class=\"filters\" data-filter-for=\"t-gates\"><input type=\"search\" placeholder=\"filter\">");
    let states: BTreeSet<&str> = r.gates.iter().map(|g| g.state).collect();
    let states: Vec<(String, String)> = states
        .into_iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    option_list(o, "f-gate-state", "state", "state", &states);
    o.push_str("<span class=\"count\"></span></div><table id=\"t-gates\"><thead><tr><th>Wave</th><th>Gate</th><th>When</th><th>Owner</th><th>Instruction</th><th>State</th></tr></thead><tbody>");
    for g in r.gates.iter().take(HTML_ROWS) {
        let _ = write!(
            o,
            "<tr data-state=\"{}\"><td class=\"num\">{}</td><td><code>{}</code></td><td>{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            g.state,
            g.wave,
            esc(&g.id),
            g.when,
            esc(&g.owner),
            esc(&short(&g.owner)),
            esc(&g.instruction),
            g.state
        );
    }
    o.push_str("</tbody></table>");
    rest_note(o, r.gates.len(), "gates");
    o.push_str("</section>");
}

pub(super) fn findings(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let service_of = crate::model::service_of(plan);
    let _ = write!(
        o,
        "<section id=\"findings\"><h2>Findings ({})</h2><div class=\"filters\" data-filter-for=\"t-findings\"><input type=\"search\" placeholder=\"filter\">",
        plan.findings.len()
    );
    let sevs: Vec<(String, String)> = ["blocker", "warning", "info"]
        .iter()
        .map(|s| (s.to_string(), s.to_string()))
        .collect();
    option_list(o, "f-sev", "sev", "severity", &sevs);
    let svcs: BTreeSet<String> = plan
        .findings
        .iter()
        .filter_map(|f| {
            service_of
                .get(&f.resource.as_deref()?.to_ascii_lowercase())
                .cloned()
        })
        .collect();
    let svcs: Vec<(String, String)> = svcs.into_iter().map(|s| (s.clone(), s)).collect();
    option_list(o, "f-svc", "svc", "service", &svcs);
    o.push_str("<span class=\"count\"></span></div><table id=\"t-findings\"><thead><tr><th>Severity</th><th>Code</th><th>Service</th><th>Resource</th><th>Finding</th><th>Remediation</th></tr></thead><tbody>");
    for f in plan.findings.iter().take(HTML_ROWS) {
        let svc = f
            .resource
            .as_deref()
            .and_then(|r| service_of.get(&r.to_ascii_lowercase()))
            .cloned()
            .unwrap_or_default();
        let sev = f.severity.as_str();
        let _ = write!(
            o,
            "<tr data-sev=\"{sev}\" data-svc=\"{}\"><td class=\"sev-{sev}\">{sev}</td><td><code>{}</code></td><td>{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            esc(&svc),
            esc(&f.code),
            esc(&svc),
            esc(f.resource.as_deref().unwrap_or("")),
            esc(&f
                .resource
                .as_deref()
                .map(short)
                .unwrap_or_else(|| "—".into())),
            esc(&f.message),
            esc(&f.remediation)
        );
    }
    o.push_str("</tbody></table>");
    rest_note(o, plan.findings.len(), "findings");
    o.push_str("</section>");
}

pub(super) fn resources(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let _ = write!(
        o,
        "<section id=\"resources\"><h2>Resources ({})</h2><div class=\"filters\" data-filter-for=\"t-resources\"><input type=\"search\" placeholder=\"filter\">",
        plan.resources.len()
    );
    let waves: Vec<(String, String)> = plan
        .waves
        .iter()
        .map(|w| (w.number.to_string(), w.number.to_string()))
        .collect();
    option_list(o, "f-res-wave", "wave", "wave", &waves);
    let actions: BTreeSet<&str> = plan.resources.iter().map(|p| p.action.as_str()).collect();
    let actions: Vec<(String, String)> = actions
        .into_iter()
        .map(|a| (a.to_string(), a.to_string()))
        .collect();
    option_list(o, "f-res-action", "action", "action", &actions);
    o.push_str("<span class=\"count\"></span></div><table id=\"t-resources\"><thead><tr><th>Wave</th><th>Resource</th><th>Type</th><th>Action</th><th>Strategy</th><th>Target</th><th>Gates</th>");
    if r.run.is_some() {
        o.push_str("<th>State</th>");
    }
    o.push_str("</tr></thead><tbody>");
    for p in plan.resources.iter().take(HTML_ROWS) {
        let gates = r
            .gates_by_resource
            .get(&p.source_id.as_str().to_ascii_lowercase())
            .map(|g| g.len())
            .unwrap_or(0);
        let strategy = match &p.data_mover {
            Some(m) => format!("{} ({m})", p.strategy.as_str()),
            None => p.strategy.as_str().to_string(),
        };
        let target = if p.target_name != p.name {
            format!("<b>{}</b>", esc(&p.target_name))
        } else {
            esc(&p.target_name)
        };
        let _ = write!(
            o,
            "<tr data-wave=\"{}\" data-action=\"{}\"><td class=\"num\">{}</td><td title=\"{}\">{}{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td title=\"{}\">{target}</td><td class=\"num\">{}</td>",
            p.wave,
            p.action.as_str(),
            p.wave,
            esc(p.source_id.as_str()),
            esc(&p.name),
            p.carried_by
                .as_ref()
                .map(|x| x.as_str())
                .map(|c| format!(" <span class=\"muted\">(in {})</span>", esc(&short(c))))
                .unwrap_or_default(),
            esc(&p.resource_type),
            p.action.as_str(),
            esc(&strategy),
            esc(p.target_id.as_str()),
            if gates > 0 {
                gates.to_string()
            } else {
                String::new()
            }
        );
        if let Some(run) = &r.run {
            let _ = write!(
                o,
                "<td>{}</td>",
                esc(run
                    .states
                    .get(&p.target_id.as_str().to_ascii_lowercase())
                    .map(String::as_str)
                    .unwrap_or(""))
            );
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
    rest_note(o, plan.resources.len(), "resources");
    o.push_str("</section>");
}

pub(super) fn roles(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let _ = write!(
        o,
        "<section id=\"roles\"><h2>Role assignments to create ({})</h2>",
        plan.role_assignments.len()
    );
    if plan.role_assignments.is_empty() {
        o.push_str("<p class=\"muted\">None.</p></section>");
        return;
    }
    o.push_str("<table><thead><tr><th>Wave</th><th>Role</th><th>Target scope</th><th>Principal</th><th>Why</th></tr></thead><tbody>");
    for ra in &plan.role_assignments {
        let role = azrelo_arm::roles::builtin_role(&ra.role_definition_id);
        let _ = write!(
            o,
            "<tr><td class=\"num\">{}</td><td title=\"{}\">{}</td><td title=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
            ra.wave,
            esc(&match role {
                Some(b) => format!("{} ({})", b.description, ra.role_definition_id),
                None => format!("custom role {}", ra.role_definition_id),
            }),
            esc(&azrelo_plan::report::role_name(&ra.role_definition_id)),
            esc(&ra.target_scope),
            esc(&short(&ra.target_scope)),
            esc(&principal(ra).replace('`', "")),
            esc(&reasons(ra))
        );
    }
    o.push_str("</tbody></table></section>");
}

pub(super) fn checklist(o: &mut String, r: &Report) {
    let plan = &r.plan;
    let _ = write!(
        o,
        "<section id=\"checklist\"><h2>Checklist: what does not travel ({})</h2><div class=\"filters\" data-filter-for=\"t-checklist\"><input type=\"search\" placeholder=\"filter\">",
        plan.checklist.len()
    );
    option_list(
        o,
        "f-check",
        "auto",
        "automation",
        &[
            ("manual".into(), "manual".into()),
            ("automated".into(), "automated".into()),
        ],
    );
    o.push_str("<span class=\"count\"></span></div><table id=\"t-checklist\"><thead><tr><th>Item</th><th>Automation</th><th>Instruction</th><th>Resources</th></tr></thead><tbody>");
    for c in &plan.checklist {
        let auto = match c.automation {
            azrelo_catalog::Automation::Automated => "automated",
            azrelo_catalog::Automation::Manual => "manual",
        };
        let names: Vec<String> = c.resources.iter().map(|r| short(r)).collect();
        let more = if c.count > c.resources.len() {
            format!(" and {} more", c.count - c.resources.len())
        } else {
            String::new()
        };
        let _ = write!(
            o,
            "<tr data-auto=\"{auto}\"><td><b>{}</b><br><code>{}</code></td><td>{auto}</td><td>{}</td><td>{}{more}</td></tr>",
            esc(&c.title),
            esc(&c.id),
            esc(&c.instruction),
            esc(&names.join(", "))
        );
    }
    o.push_str("</tbody></table></section>");
}

pub(super) fn procedures(o: &mut String, r: &Report) {
    let plan = &r.plan;
    o.push_str("<section id=\"procedures\"><h2>Procedures</h2>");
    for sc in &plan.scenarios {
        let _ = write!(
            o,
            "<details><summary><b>{}</b> — {} step(s)</summary><p>{}</p><ol>",
            esc(&sc.title),
            sc.steps.len(),
            esc(&sc.summary)
        );
        for st in &sc.steps {
            let _ = write!(
                o,
                "<li><b>{}</b> <span class=\"muted\">({}, {})</span>: {}{}</li>",
                esc(&st.title),
                st.phase.as_str(),
                match st.mode {
                    azrelo_catalog::StepMode::Automated => "automated",
                    azrelo_catalog::StepMode::ManualGate => "manual",
                },
                esc(&st.instruction),
                if st.resources.is_empty() {
                    String::new()
                } else {
                    format!(
                        " <span class=\"muted\">[{}{}]</span>",
                        esc(&st
                            .resources
                            .iter()
                            .map(|r| short(r))
                            .collect::<Vec<_>>()
                            .join(", ")),
                        if st.count > st.resources.len() {
                            format!(" and {} more", st.count - st.resources.len())
                        } else {
                            String::new()
                        }
                    )
                }
            );
        }
        o.push_str("</ol></details>");
    }
    o.push_str("<details><summary><b>The six phases</b></summary>");
    for p in &plan.phases {
        let _ = write!(o, "<h3>{}</h3><ul>", esc(&p.title));
        for a in &p.activities {
            let _ = write!(
                o,
                "<li><b>{}</b>{}: {}</li>",
                esc(&a.title),
                if a.mode == azrelo_catalog::StepMode::ManualGate {
                    " (manual)"
                } else {
                    ""
                },
                esc(&a.detail)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</details></section>");
}
