//! `azrelo generate`: deployable ARM templates for the target region.

use crate::exit::CliError;
use crate::output::{Output, table};
use azrelo_catalog::Catalog;
use azrelo_plan::Plan;
use azrelo_run::PlanDir;
use std::path::{Path, PathBuf};

/// Generate deployable ARM templates for the target region from a plan directory
///
/// Generate the target deployments of a plan: for each wave and target
/// resource group (subscription-level for resource groups), NAME.json and
/// NAME.parameters.json that deploy as they are with
/// `az deployment group create --template-file NAME.json --parameters @NAME.parameters.json`,
/// and manifest.json listing them in order with their scope and command.
///
/// Locations become the target region, names the plan's target names, every
/// reference to a moved resource is rewritten through the plan's id map,
/// read-only and server-generated properties are dropped, and every secret
/// becomes a secureString parameter without a value (supply it at deployment).
///
/// PLAN_DIR is the directory `azrelo plan --out` wrote (plan.json + estate.json).
///
/// Examples:
///   azrelo plan examples/contoso-shop -t swedencentral --out plan
///   azrelo generate plan --out plan/templates
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Directory with plan.json and estate.json (from `azrelo plan --out`).
    pub plan_dir: PathBuf,
    /// Where to write the templates (default: PLAN_DIR/templates).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Show what changes between each source resource and its generated target
///
/// What changes between each source resource and its generated target:
/// location, name, re-pointed references, dropped properties (with the reason
/// for each) and secrets turned into parameters.
///
/// Examples:
///   azrelo diff plan
///   azrelo diff plan kv-shop-weu-01
///   azrelo diff plan /subscriptions/…/vaults/kv-shop-weu-01 -o json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct DiffArgs {
    /// Directory with plan.json and estate.json (from `azrelo plan --out`).
    pub plan_dir: PathBuf,
    /// Only this resource: its id, or a name (matches the last id segment).
    pub resource: Option<String>,
}

fn load_and_generate(dir: &Path) -> Result<(Plan, azrelo_generate::Generated), CliError> {
    Ok(PlanDir::new(dir).generate(Catalog::embedded())?)
}

pub fn run_diff(args: DiffArgs, out: &Output) -> Result<(), CliError> {
    let (plan, generated) = load_and_generate(&args.plan_dir)?;
    let wanted = |id: &str| match &args.resource {
        None => true,
        Some(w) => {
            id.eq_ignore_ascii_case(w)
                || id
                    .rsplit('/')
                    .next()
                    .is_some_and(|n| n.eq_ignore_ascii_case(w))
        }
    };
    let rows: Vec<(&azrelo_plan::PlannedResource, Vec<&azrelo_generate::Change>)> = plan
        .resources
        .iter()
        .filter(|r| wanted(r.source_id.as_str()))
        .filter_map(|r| {
            let changes = generated.changes.get(r.source_id.as_str())?;
            Some((r, changes.iter().collect()))
        })
        .collect();
    if rows.is_empty() {
        return Err(CliError::bad_input(
            match &args.resource {
                Some(w) => format!("no generated resource matches '{w}'"),
                None => "the plan generates no resources".to_string(),
            },
            "pass a source id or name from plan.json (resources[].sourceId)",
        ));
    }
    let v: Vec<serde_json::Value> = rows
        .iter()
        .map(|(r, c)| {
            serde_json::json!({
                "source": r.source_id,
                "target": r.target_id,
                "changes": c,
            })
        })
        .collect();
    out.print(&v, || {
        let mut text = String::new();
        for (r, changes) in &rows {
            text.push_str(&format!(
                "{} ({})\n  source {}\n  target {}\n",
                r.name, r.resource_type, r.source_id, r.target_id
            ));
            for c in changes {
                let mark = match c.kind {
                    azrelo_generate::ChangeKind::Dropped => "-",
                    azrelo_generate::ChangeKind::Secret => "!",
                    _ => "~",
                };
                text.push_str(&format!("  {mark} {} {}\n", c.pointer, c.detail));
            }
            text.push('\n');
        }
        text
    })
}

pub fn run(args: Args, out: &Output) -> Result<(), CliError> {
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| args.plan_dir.join("templates"));
    let (generated, manifest) = write_templates(&args.plan_dir, &dir)?;
    out.print(&manifest, || {
        let mut t = table([
            "#",
            "Deployment",
            "Wave",
            "Scope",
            "Resources",
            "Secure parameters",
        ]);
        for m in &manifest.deployments {
            let scope = match &m.scope {
                azrelo_generate::DeploymentScope::Subscription { location, .. } => {
                    format!("subscription ({location})")
                }
                azrelo_generate::DeploymentScope::ResourceGroup { resource_group, .. } => {
                    resource_group.clone()
                }
            };
            t.add_row([
                m.order.to_string(),
                m.name.clone(),
                m.wave.to_string(),
                scope,
                m.resources.to_string(),
                m.secure_parameters.len().to_string(),
            ]);
        }
        format!(
            "{t}\n{} deployment(s) written to {} with manifest.json; {} resource(s) not generated (see manifest.json).",
            generated.deployments.len(),
            dir.display(),
            generated.skipped.len()
        )
    })
}

/// Generate the templates of the plan in PLAN_DIR and write them, their
/// parameter files and manifest.json into DIR (created if needed).
fn write_templates(
    plan_dir: &Path,
    dir: &Path,
) -> Result<(azrelo_generate::Generated, azrelo_generate::Manifest), CliError> {
    let (_, generated) = load_and_generate(plan_dir)?;
    let manifest = PlanDir::new(plan_dir).write_templates(&generated, dir)?;
    Ok((generated, manifest))
}
