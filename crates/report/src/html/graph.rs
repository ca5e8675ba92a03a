//! The dependency graph (inline SVG from [`crate::layout`]) and the wave
//! timeline.

use super::*;

pub(super) fn graph(o: &mut String, r: &Report) {
    let g = &r.graph;
    let plan = &r.plan;
    let items: Vec<Item> = g
        .nodes
        .iter()
        .map(|n| Item {
            layer: n.layer,
            group: n.group,
        })
        .collect();
    let edges: Vec<(usize, usize)> = g.edges.iter().map(|e| (e.from, e.to)).collect();
    let lay = layout::layout(&items, &edges, plan.waves.len(), g.groups.len());
    let _ = write!(
        o,
        "<section id=\"graph-section\"><h2>Dependency graph</h2><p class=\"muted\">{} units (resources carried in a parent's template are counted on it) and {} dependencies, laid out by wave (columns) and source resource group (lanes); an arrow points at what a unit needs. Drag to pan, wheel or buttons to zoom, click a unit to highlight its dependencies.</p>",
        g.nodes.len(),
        g.edges.len()
    );
    o.push_str("<div class=\"filters gctl\"><button type=\"button\" data-zoom=\"in\">+</button><button type=\"button\" data-zoom=\"out\">−</button><button type=\"button\" data-zoom=\"fit\">fit</button><button type=\"button\" data-zoom=\"reset\">reset</button>");
    let waves: Vec<(String, String)> = plan
        .waves
        .iter()
        .map(|w| (w.number.to_string(), format!("{} — {}", w.number, w.title)))
        .collect();
    option_list(o, "g-wave", "wave", "wave", &waves);
    let rgs: Vec<(String, String)> = g
        .groups
        .iter()
        .enumerate()
        .map(|(i, rg)| (i.to_string(), short(rg)))
        .collect();
    option_list(o, "g-rg", "rg", "resource group", &rgs);
    o.push_str("<input type=\"search\" id=\"g-search\" placeholder=\"find a resource\">");
    for f in EdgeFamily::ALL {
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" data-family=\"{0}\" checked> {0}</label>",
            f.as_str()
        );
    }
    o.push_str("</div><div class=\"legend\">");
    for f in EdgeFamily::ALL {
        let _ = write!(
            o,
            "<span><i style=\"background:{}\"></i>{}</span>",
            family_colour(f),
            f.as_str()
        );
    }
    for (i, w) in plan.waves.iter().enumerate() {
        let _ = write!(
            o,
            "<span><i class=\"sw\" style=\"background:{}\"></i>wave {}</span>",
            wave_colour(i),
            w.number
        );
    }
    o.push_str("</div>");
    let (w, h) = (lay.width.ceil(), lay.height.ceil());
    let _ = write!(
        o,
        "<div id=\"graph-wrap\"><svg id=\"graph\" role=\"img\" aria-label=\"dependency graph\" viewBox=\"0 0 {w} {h}\" preserveAspectRatio=\"xMinYMin meet\" data-w=\"{w}\" data-h=\"{h}\"><defs>"
    );
    for f in EdgeFamily::ALL {
        let _ = write!(
            o,
            "<marker id=\"a-{}\" viewBox=\"0 0 8 8\" refX=\"7\" refY=\"4\" markerWidth=\"6\" markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0L8,4L0,8z\" fill=\"{}\"/></marker>",
            f.as_str(),
            family_colour(f)
        );
    }
    o.push_str("</defs><g class=\"lanes\">");
    for (k, (gi, y0, y1)) in lay.lanes.iter().enumerate() {
        let _ = write!(
            o,
            "<rect class=\"lane{}\" x=\"0\" y=\"{y0:.0}\" width=\"{w}\" height=\"{:.0}\"/><text class=\"lane-label\" x=\"4\" y=\"{:.0}\">{}</text>",
            if k % 2 == 1 { " alt" } else { "" },
            y1 - y0,
            y0 + 11.0,
            esc(&short(&g.groups[*gi]))
        );
    }
    for (i, x) in lay.columns.iter().enumerate() {
        if let Some(wv) = plan.waves.get(i) {
            let _ = write!(
                o,
                "<text class=\"col-label\" x=\"{x:.0}\" y=\"20\">wave {} · {}</text>",
                wv.number,
                esc(&wv.title)
            );
        }
    }
    o.push_str("</g><g class=\"edges\">");
    for e in &g.edges {
        let (fx, fy) = lay.pos[e.from];
        let (tx, ty) = lay.pos[e.to];
        let (y1, y2) = (fy + NODE_H / 2.0, ty + NODE_H / 2.0);
        let d = if tx + NODE_W < fx {
            // The dependency is in an earlier column: right side to left side.
            let (x1, x2) = (fx, tx + NODE_W);
            let dx = ((x1 - x2) / 2.0).max(30.0);
            format!(
                "M{x1:.0},{y1:.0}C{:.0},{y1:.0} {:.0},{y2:.0} {x2:.0},{y2:.0}",
                x1 - dx,
                x2 + dx
            )
        } else {
            // Same (or a later) column: a loop out to the left.
            let x = fx.min(tx);
            let bulge = 24.0 + ((y1 - y2).abs() / COL * 10.0).min(40.0);
            format!(
                "M{:.0},{y1:.0}C{:.0},{y1:.0} {:.0},{y2:.0} {:.0},{y2:.0}",
                fx,
                x - bulge,
                x - bulge,
                tx
            )
        };
        let _ = write!(
            o,
            "<path class=\"e f-{}\" data-f=\"{}\" data-t=\"{}\" d=\"{d}\"/>",
            e.family.as_str(),
            e.from,
            e.to
        );
    }
    o.push_str("</g><g class=\"nodes\">");
    for (i, n) in g.nodes.iter().enumerate() {
        let p = &plan.resources[n.resource];
        let (x, y) = lay.pos[i];
        let colour = wave_colour(n.layer);
        let light = matches!(n.layer % WAVE_COLOURS.len(), 5 | 7 | 9 | 10);
        let mut label: String = p.name.chars().take(22).collect();
        if p.name.chars().count() > 22 {
            label.push('…');
        }
        if n.carried > 0 {
            let _ = write!(label, " +{}", n.carried);
        }
        let ty = p.resource_type.rsplit('/').next().unwrap_or("");
        let _ = write!(
            o,
            "<g class=\"n{}\" data-wave=\"{}\" data-rg=\"{}\" data-name=\"{}\" transform=\"translate({x:.0},{y:.0})\"><rect width=\"{NODE_W}\" height=\"{NODE_H}\" rx=\"4\" fill=\"{colour}\"{}/><text x=\"6\" y=\"14\">{}</text><title>{} ({ty})\n{} → {}\nwave {} · {} · {}{}</title></g>",
            if light { " light" } else { "" },
            p.wave,
            n.group,
            esc(&p.name.to_ascii_lowercase()),
            if p.action == Action::Reconfigure || p.action == Action::Keep {
                " stroke-dasharray=\"3 2\""
            } else {
                ""
            },
            esc(&label),
            esc(&p.name),
            esc(&short(p.source_id.as_str())),
            esc(&short(p.target_id.as_str())),
            p.wave,
            p.action.as_str(),
            p.strategy.as_str(),
            if n.carried > 0 {
                format!(" · carries {}", n.carried)
            } else {
                String::new()
            }
        );
    }
    o.push_str("</g></svg></div></section>");
}

pub(super) fn timeline(o: &mut String, r: &Report) {
    o.push_str("<section id=\"timeline\"><h2>Waves</h2>");
    let total: u32 = r
        .waves
        .iter()
        .map(|w| w.planned.minutes)
        .sum::<u32>()
        .max(1);
    let real_end = r
        .waves
        .iter()
        .filter_map(|w| w.real.map(|s| s.start_min + s.minutes))
        .fold(0.0f64, f64::max);
    let has_real = r.waves.iter().any(|w| w.real.is_some());
    let (label_w, bar_w, row_h) = (250.0, 700.0, if has_real { 34.0 } else { 22.0 });
    let scale = bar_w / total as f64;
    let real_scale = if real_end > 0.0 {
        bar_w / real_end
    } else {
        1.0
    };
    let h = 26.0 + r.waves.len() as f64 * row_h;
    let _ = write!(
        o,
        "<p class=\"muted\">Planned minutes per wave from the catalog's durations (the longest unit of each wave; units of a wave run in parallel, gates and copies done by people are not timed){}.</p><svg width=\"{}\" height=\"{h:.0}\" role=\"img\" aria-label=\"wave timeline\">",
        if has_real {
            "; below each, the real span from events.jsonl on its own scale"
        } else {
            ""
        },
        label_w + bar_w + 190.0
    );
    let mut at = 0u32;
    for (i, w) in r.waves.iter().enumerate() {
        let y = 20.0 + i as f64 * row_h;
        let x = label_w + at as f64 * scale;
        let bw = (w.planned.minutes as f64 * scale).max(2.0);
        let _ = write!(
            o,
            "<text class=\"tl-label\" x=\"0\" y=\"{:.0}\">{} · {}</text><rect x=\"{x:.1}\" y=\"{:.0}\" width=\"{bw:.1}\" height=\"12\" rx=\"2\" fill=\"{}\"><title>{}</title></rect><text class=\"tl-val\" x=\"{:.0}\" y=\"{:.0}\">{}</text>",
            y + 10.0,
            w.number,
            esc(&w.title),
            y,
            wave_colour(i),
            esc(&w.planned.basis),
            label_w + bar_w + 8.0,
            y + 10.0,
            esc(&format!(
                "planned {}{}",
                format_minutes([w.planned.minutes; 2]),
                w.real
                    .map(|s| format!(" · real {:.1} min", s.minutes))
                    .unwrap_or_default()
            ))
        );
        if let Some(s) = w.real {
            let _ = write!(
                o,
                "<rect x=\"{:.1}\" y=\"{:.0}\" width=\"{:.1}\" height=\"8\" fill=\"#1d2330\" opacity=\".65\"><title>real {:.1} min</title></rect>",
                label_w + s.start_min * real_scale,
                y + 15.0,
                (s.minutes * real_scale).max(2.0),
                s.minutes
            );
        }
        at += w.planned.minutes;
    }
    o.push_str("</svg><table><thead><tr><th>Wave</th><th>Phase</th><th>Resources</th><th>Planned</th><th>Basis</th><th>Real</th></tr></thead><tbody>");
    for w in &r.waves {
        let _ = write!(
            o,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            w.number,
            esc(&w.title),
            w.resources,
            esc(&format_minutes([w.planned.minutes; 2])),
            esc(&w.planned.basis),
            w.real
                .map(|s| format!("{:.1} min", s.minutes))
                .unwrap_or_else(|| "—".into())
        );
    }
    o.push_str("</tbody></table></section>");
}
