//! `azrelo graph`: the dependency graph of an estate.

use crate::cmd::inputs::{TemplatePlacement, load_lenient};
use crate::exit::CliError;
use crate::output::{OutputFormat, print_json, print_text, table};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The formats `azrelo graph` renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    /// A summary table by edge kind, plus cycles.
    Table,
    /// {"nodes": [{"id","type","location","kind"}], "edges": [{"from","to","kind","path",...}]}
    Json,
    /// Graphviz DOT (render with `dot -Tsvg`).
    Dot,
    /// A Mermaid flowchart (paste into Markdown).
    Mermaid,
}

/// The complete dependency graph of an estate (table, json, dot, mermaid)
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
/// A template's X.parameters.json beside it is used; parameters without a
/// value stay symbolic (a warning names them). An input that cannot be read
/// is reported and the graph of the rest is printed, then the exit code is
/// 3 (--strict stops at the first).
///
/// Examples:
///   azrelo graph examples/contoso-shop
///   azrelo graph estate.json --format dot | dot -Tsvg > graph.svg
///   azrelo graph estate.json -o json
///   azrelo graph --template-uri URL   (a raw template, e.g. a quickstart's azuredeploy.json on GitHub)
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
    /// Output format (overrides -o): table, json, dot or mermaid.
    #[arg(long, value_enum)]
    pub format: Option<GraphFormat>,
    #[command(flatten)]
    pub placement: TemplatePlacement,
}

pub fn run(args: Args, out: OutputFormat) -> Result<(), CliError> {
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

fn print(g: &azrelo_graph::Graph, args: &Args, out: OutputFormat) -> Result<(), CliError> {
    let format = args.format.unwrap_or(match out {
        OutputFormat::Json => GraphFormat::Json,
        OutputFormat::Table => GraphFormat::Table,
    });
    match format {
        GraphFormat::Json => print_json(&azrelo_graph::to_json(g)),
        GraphFormat::Dot => print_text(azrelo_graph::to_dot(g).trim_end()),
        GraphFormat::Mermaid => print_text(azrelo_graph::to_mermaid(g).trim_end()),
        GraphFormat::Table => {
            let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
            for e in &g.edges {
                *by_kind.entry(e.kind.name()).or_default() += 1;
            }
            let mut t = table(["Edge kind", "Count"]);
            for (k, v) in by_kind {
                t.add_row([k.to_string(), v.to_string()]);
            }
            print_text(t)?;
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
            print_text(format!(
                "{} nodes ({external} outside the estate), {} edges ({crossing} crossing a resource group, subscription or region), {} cycle(s).",
                g.nodes.len(),
                g.edges.len(),
                cycles.len()
            ))?;
            for c in cycles {
                print_text(format!("cycle: {}", c.members.join(" -> ")))?;
            }
            Ok(())
        }
    }
}
