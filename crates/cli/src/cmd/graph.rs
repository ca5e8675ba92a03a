//! `azrelo graph`: the dependency graph of an estate.

use crate::cmd::inputs::{TemplatePlacement, load_lenient};
use crate::exit::CliError;
use crate::output::{Output, print_text, table};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The diagrams `azrelo graph --render` draws instead of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Diagram {
    /// Graphviz DOT (render with `dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (paste into Markdown).
    Mermaid,
}

/// The complete dependency graph of an estate (table, JSON, DOT or Mermaid)
///
/// Build the complete dependency graph of an estate: explicit dependsOn and
/// every implicit reference (ids in any string, identities, role assignments,
/// diagnostic settings, private endpoints and DNS, backup, Defender for Cloud,
/// Key Vault and storage endpoints), each edge with the JSON path where the
/// reference sits. Inputs are the same as `azrelo discover` (raw files or an
/// estate).
///
/// Edge `from` refers to `to`; every kind but `back_reference` means `from`
/// depends on `to`.
///
/// The result (-o json, --query) is {"nodes": [{"id", "type", "location",
/// "kind"}], "edges": [{"from", "to", "kind", "path", ...}]}; -o table
/// summarises it by edge kind, with cycles. --render dot|mermaid draws the
/// graph as a diagram instead (with neither -o nor --query).
///
/// A template's X.parameters.json beside it is used; parameters without a
/// value stay symbolic (a warning names them). An input that cannot be read
/// is reported and the graph of the rest is printed, then the exit code is
/// 3 (--strict stops at the first).
///
/// Examples:
///   azrelo graph examples/contoso-shop
///   azrelo graph estate.json --render dot | dot -Tsvg > graph.svg
///   azrelo graph estate.json -o json
///   azrelo graph estate.json --query "edges[?crossRegion].[from, to]" -o tsv
///   azrelo graph --template-uri https://raw.githubusercontent.com/Azure/azure-quickstart-templates/master/quickstarts/microsoft.storage/storage-account-create/azuredeploy.json
///   azrelo graph quickstarts/*/*/azuredeploy.json --template-resource-group '{dir}'
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Input files or directories.
    #[arg(required_unless_present = "template_uris")]
    pub inputs: Vec<PathBuf>,
    /// A template (or any input) to download: https URL; repeatable. Its
    /// X.parameters.json beside it is fetched too when it exists.
    #[arg(long = "template-uri", value_name = "URL")]
    pub template_uris: Vec<String>,
    /// Draw the graph as a diagram instead of printing the result:
    /// Graphviz `dot` or a `mermaid` flowchart (not with -o or --query).
    #[arg(long, value_enum, value_name = "DIAGRAM")]
    pub render: Option<Diagram>,
    /// Replaced by -o and --render (kept to say so).
    #[arg(long, hide = true, value_name = "FORMAT")]
    pub format: Option<String>,
    #[command(flatten)]
    pub placement: TemplatePlacement,
}

pub fn run(args: Args, out: &Output) -> Result<(), CliError> {
    if let Some(f) = &args.format {
        return Err(CliError::usage(
            format!("`azrelo graph --format {f}` is no longer accepted"),
            "use -o table|json|yaml|tsv for the graph, --render dot|mermaid for a diagram",
        ));
    }
    if args.render.is_some() && out.chosen() {
        return Err(CliError::usage(
            "--render draws a diagram: it cannot be combined with -o or --query",
            "leave out --render for the graph's JSON (-o json, --query), or -o and --query for the diagram",
        ));
    }
    let (estate, errors) = load_lenient(
        &args.inputs,
        &args.template_uris,
        &args.placement,
        azrelo_template::MissingParameters::Symbolic,
    )?;
    let started = std::time::Instant::now();
    let g = azrelo_graph::build(&estate);
    tracing::info!(
        nodes = g.nodes.len(),
        edges = g.edges.len(),
        sources = estate.sources.len(),
        ms = started.elapsed().as_millis() as u64,
        "graph built"
    );
    print(&g, &args, out)?;
    errors.finish()
}

fn print(g: &azrelo_graph::Graph, args: &Args, out: &Output) -> Result<(), CliError> {
    match args.render {
        Some(Diagram::Dot) => return print_text(azrelo_graph::to_dot(g).trim_end()),
        Some(Diagram::Mermaid) => return print_text(azrelo_graph::to_mermaid(g).trim_end()),
        None => {}
    }
    out.print(&azrelo_graph::to_json(g), || {
        let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &g.edges {
            *by_kind.entry(e.kind.name()).or_default() += 1;
        }
        let mut t = table(["Edge kind", "Count"]);
        for (k, v) in by_kind {
            t.add_row([k.to_string(), v.to_string()]);
        }
        let external = g
            .nodes
            .iter()
            .filter(|n| n.kind == azrelo_graph::NodeKind::External)
            .count();
        let crossing = g
            .edges
            .iter()
            .filter(|e| e.cross_resource_group || e.cross_subscription || e.cross_region)
            .count();
        let cycles = azrelo_graph::cycles(g);
        let mut text = format!(
            "{t}\n{} nodes ({external} outside the estate), {} edges ({crossing} crossing a resource group, subscription or region), {} cycle(s).",
            g.nodes.len(),
            g.edges.len(),
            cycles.len()
        );
        for c in cycles {
            text.push_str(&format!("\ncycle: {}", c.members.join(" -> ")));
        }
        text
    })
}
