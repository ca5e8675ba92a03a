//! `azrelo discover`: read inputs into one estate file.

use crate::cmd::inputs::{TemplatePlacement, load};
use crate::exit::CliError;
use crate::output::{OutputFormat, print_json, print_text, table};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Read an estate from exported files into one versioned estate file.
///
/// Accepted inputs (any mix; the kind is recognised from the content):
///   - ARM templates and exports (az group export, portal export, own templates,
///     compiled Bicep), with X.parameters.json beside X.json
///   - Azure Resource Graph results: az graph query -q "..." -o json
///     (resources, resourcecontainers, authorizationresources, securityresources)
///   - az resource list -o json
///   - ARM GET bodies: one resource, or a {"value": [...]} list such as the
///     diagnostic settings, role assignments or locks of a resource
///   - azrelo estate files
///
/// Directories are read for their *.json files. Records are deduplicated by id;
/// when inputs disagree the richer record wins and the conflict is reported.
///
/// Examples:
///   azrelo discover --from examples/contoso-shop --out estate.json
///   azrelo discover --from rg-export.json --from arg.json -o json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Input files or directories (repeatable).
    #[arg(long = "from", short = 'f', required = true)]
    pub from: Vec<PathBuf>,
    /// Write the estate here (atomically). Without it the estate goes to stdout with -o json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub placement: TemplatePlacement,
}

pub fn run(args: Args, out: OutputFormat) -> Result<(), CliError> {
    let estate = load(&args.from, &args.placement)?;
    if let Some(path) = &args.out {
        azrelo_estate::write_estate(&estate, path)
            .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?;
    }
    match out {
        OutputFormat::Json if args.out.is_none() => print_json(&estate),
        OutputFormat::Json => print_json(&serde_json::json!({
            "estate": args.out.as_ref().map(|p| p.display().to_string()),
            "resources": estate.resources.len(),
            "roleAssignments": estate.role_assignments.len(),
            "diagnosticSettings": estate.diagnostic_settings.len(),
            "locks": estate.locks.len(),
            "policyExemptions": estate.policy_exemptions.len(),
            "warnings": estate.warnings,
        })),
        OutputFormat::Table => {
            let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
            for r in &estate.resources {
                *by_type.entry(r.resource_type.clone()).or_default() += 1;
            }
            let mut t = table(["Type", "Count"]);
            for (k, v) in &by_type {
                t.add_row([k.clone(), v.to_string()]);
            }
            for (k, v) in [
                ("role assignments", estate.role_assignments.len()),
                ("diagnostic settings", estate.diagnostic_settings.len()),
                ("locks", estate.locks.len()),
                ("policy exemptions", estate.policy_exemptions.len()),
            ] {
                if v > 0 {
                    t.add_row([format!("({k})"), v.to_string()]);
                }
            }
            print_text(t)?;
            let mut sources = table(["Input", "Kind", "Records"]);
            for s in &estate.sources {
                sources.add_row([
                    s.file.clone(),
                    serde_json::to_value(s.kind)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    s.records.to_string(),
                ]);
            }
            print_text(sources)?;
            print_text(format!(
                "{} resources, {} other records, {} warning(s){}.",
                estate.resources.len(),
                estate.len() - estate.resources.len(),
                estate.warnings.len(),
                args.out
                    .map(|p| format!("; estate written to {}", p.display()))
                    .unwrap_or_default()
            ))
        }
    }
}
