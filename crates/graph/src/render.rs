//! Rendering: JSON for scripts, DOT and Mermaid for people.

use crate::Graph;
use serde_json::json;

/// `{"nodes": [{"id","type","location","kind","ownership"?}], "edges": [{"from","to","kind","path","matched"?,"rule"?,...}]}`
/// with `from`/`to` (and an owner) as resource ids.
pub fn to_json(g: &Graph) -> serde_json::Value {
    let nodes: Vec<_> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut o = json!({"id": n.id.as_str(), "type": &*n.resource_type, "location": n.location.as_deref(), "kind": n.kind});
            if let Some(own) = g.ownership(i as u32) {
                let mut w = json!({
                    "owner": own.owner.map(|w| g.nodes[w as usize].id.as_str()),
                    "relation": own.relation.as_str(),
                    "rule": &*own.rule,
                    "service": &*own.service,
                    "path": &*own.path,
                    "matched": &*own.evidence.matched,
                });
                if let Some(v) = own.via_group {
                    w["viaGroup"] = json!(g.nodes[v as usize].id.as_str());
                }
                o["ownership"] = w;
            }
            o
        })
        .collect();
    let edges: Vec<_> = g
        .edges
        .iter()
        .map(|e| {
            let mut o = json!({
                "from": g.nodes[e.from as usize].id.as_str(),
                "to": g.nodes[e.to as usize].id.as_str(),
                "kind": e.kind.name(),
                "path": e.path,
            });
            if let Some(d) = &e.target_detail {
                o["targetDetail"] = json!(d);
            }
            if let Some(ev) = &e.evidence {
                o["matched"] = json!(&*ev.matched);
                o["rule"] = json!(&*ev.rule);
                if let Some(p) = &ev.owner_path {
                    o["ownerPath"] = json!(&**p);
                }
            }
            for (k, v) in [
                ("crossResourceGroup", e.cross_resource_group),
                ("crossSubscription", e.cross_subscription),
                ("crossRegion", e.cross_region),
            ] {
                if v {
                    o[k] = json!(true);
                }
            }
            o
        })
        .collect();
    json!({"nodes": nodes, "edges": edges})
}

fn label(g: &Graph, n: u32) -> String {
    let node = &g.nodes[n as usize];
    let t = node.resource_type.rsplit('/').next().unwrap_or("");
    let name = node.id.name().unwrap_or("/");
    format!("{name}\\n({t})")
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Graphviz DOT. Node ids are quoted resource ids; back-references are dashed.
pub fn to_dot(g: &Graph) -> String {
    let mut out =
        String::from("digraph estate {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n");
    for (i, n) in g.nodes.iter().enumerate() {
        let style = match n.kind {
            crate::NodeKind::External => ", style=dashed",
            crate::NodeKind::Inline => ", style=rounded",
            crate::NodeKind::Resource => "",
        };
        out.push_str(&format!(
            "  \"{}\" [label=\"{}\"{style}];\n",
            dot_escape(n.id.as_str()),
            dot_escape(&label(g, i as u32)).replace("\\\\n", "\\n")
        ));
    }
    for e in &g.edges {
        let style = if e.kind.is_dependency() {
            ""
        } else {
            ", style=dashed"
        };
        out.push_str(&format!(
            "  \"{}\" -> \"{}\" [label=\"{}\"{style}];\n",
            dot_escape(g.nodes[e.from as usize].id.as_str()),
            dot_escape(g.nodes[e.to as usize].id.as_str()),
            e.kind.name()
        ));
    }
    out.push_str("}\n");
    out
}

/// Mermaid `flowchart LR`. Node keys are `n<index>`; labels are quoted.
pub fn to_mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, _) in g.nodes.iter().enumerate() {
        let l = label(g, i as u32)
            .replace("\\n", "<br/>")
            .replace('"', "#quot;");
        out.push_str(&format!("  n{i}[\"{l}\"]\n"));
    }
    for e in &g.edges {
        let arrow = if e.kind.is_dependency() {
            "-->"
        } else {
            "-.->"
        };
        out.push_str(&format!(
            "  n{} {arrow}|{}| n{}\n",
            e.from,
            e.kind.name(),
            e.to
        ));
    }
    out
}
