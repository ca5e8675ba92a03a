//! `azrelo expand`: expand an ARM template offline.

use crate::exit::CliError;
use crate::output::{OutputFormat, print_json, print_text, table};
use azrelo_template::expand::ExpandError;
use azrelo_template::{DeploymentContext, ExpandOptions, Template, expand};
use indexmap::IndexMap;
use std::path::PathBuf;

/// Expand an ARM template offline into the resources it deploys
///
/// Expand an ARM template (or compiled Bicep) offline: the concrete resources
/// a deployment would create, with full ids, evaluated properties and
/// resolved dependsOn.
///
/// Values only Azure knows (reference(), list*(), ...) stay symbolic and are
/// listed under "unresolved". Secure parameter values are never printed.
///
/// JSON output (-o json): {"resources": [{id, type, apiVersion, name,
/// symbolicName?, location?, body, dependsOn, condition, deployment,
/// copyIndex?}], "outputs": {...}, "unresolved": [{owner, expression}],
/// "warnings": [...]}. An unknown value is {"$azrelo.unknown": "<expression>"}.
///
/// Examples:
///   azrelo expand azuredeploy.json --parameters azuredeploy.parameters.json
///   azrelo expand main.json --param vmName=web01 --resource-group rg-app -o json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The template file (JSON; comments and trailing commas are accepted).
    pub template: PathBuf,
    /// A deployment parameters file ({"parameters": {"name": {"value": ...}}}); repeatable, later files win.
    #[arg(long = "parameters", short = 'p')]
    pub parameters: Vec<PathBuf>,
    /// A parameter value NAME=VALUE (VALUE is JSON if it parses as JSON, else a string); repeatable.
    #[arg(long = "param")]
    pub param: Vec<String>,
    /// Subscription id of the deployment context.
    #[arg(long, default_value = "00000000-0000-0000-0000-000000000000")]
    pub subscription: String,
    /// Resource group of the deployment context.
    #[arg(long, short = 'g', default_value = "azrelo-rg")]
    pub resource_group: String,
    /// Location of the resource group (and of subscription-scope deployments).
    #[arg(long, short = 'l', default_value = "westeurope")]
    pub location: String,
    /// Deployment name (deployment().name).
    #[arg(long, default_value = "azrelo-deployment")]
    pub deployment_name: String,
    /// Tenant id of the deployment context.
    #[arg(long, default_value = "00000000-0000-0000-0000-000000000000")]
    pub tenant: String,
}

fn read_parameters(
    path: &PathBuf,
    into: &mut IndexMap<String, serde_json::Value>,
) -> Result<(), CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::bad_input(
            format!("cannot read the parameters file {}: {e}", path.display()),
            "check the path",
        )
    })?;
    let doc = azrelo_template::json::parse(&text, &path.display().to_string())
        .map_err(|e| CliError::bad_input(e.to_string(), "fix the JSON syntax at that position"))?;
    let Some(params) = doc.get("parameters").and_then(|p| p.as_object()) else {
        return Err(CliError::bad_input(
            format!(
                "{}: not a deployment parameters file (no 'parameters' object)",
                path.display()
            ),
            "a parameters file looks like {\"parameters\": {\"name\": {\"value\": ...}}}",
        ));
    };
    for (k, v) in params {
        if let Some(val) = v.get("value") {
            into.insert(k.clone(), val.clone());
        } else if v.get("reference").is_some() {
            // A Key Vault reference: the secret is not available offline.
            let mut m = serde_json::Map::new();
            m.insert(
                azrelo_template::value::UNKNOWN_MARKER.to_string(),
                serde_json::Value::String(format!("Key Vault reference for parameter '{k}'")),
            );
            into.insert(k.clone(), serde_json::Value::Object(m));
        } else {
            return Err(CliError::bad_input(
                format!(
                    "{}: parameter '{k}' has neither 'value' nor 'reference'",
                    path.display()
                ),
                "write {\"value\": ...} for the parameter",
            ));
        }
    }
    Ok(())
}

pub fn run(args: Args, out: OutputFormat) -> Result<(), CliError> {
    let text = std::fs::read_to_string(&args.template).map_err(|e| {
        CliError::bad_input(
            format!("cannot read the template {}: {e}", args.template.display()),
            "check the path",
        )
    })?;
    let template =
        Template::parse(&text, &args.template.display().to_string()).map_err(template_error)?;
    let mut parameters = IndexMap::new();
    for p in &args.parameters {
        read_parameters(p, &mut parameters)?;
    }
    for kv in &args.param {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(CliError::bad_input(
                format!("--param '{kv}' is not NAME=VALUE"),
                "write --param name=value",
            ));
        };
        let value =
            serde_json::from_str(v).unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
        parameters.insert(k.to_string(), value);
    }
    let options = ExpandOptions {
        context: DeploymentContext {
            tenant_id: args.tenant,
            subscription_id: args.subscription,
            resource_group: args.resource_group,
            resource_group_location: args.location.clone(),
            location: args.location,
            deployment_name: args.deployment_name,
            ..Default::default()
        },
        parameters,
        ..Default::default()
    };
    let mut expanded = expand(&template, &options).map_err(template_error)?;
    // Secure parameter values never leave the process.
    expanded.redact();
    for w in &expanded.warnings {
        tracing::warn!("{w}");
    }
    match out {
        OutputFormat::Json => print_json(&expanded),
        OutputFormat::Table => {
            let mut t = table(["Type", "Name", "Location", "Deployed", "Depends on"]);
            for r in &expanded.resources {
                t.add_row([
                    r.resource_type.clone(),
                    r.name.clone(),
                    r.location
                        .as_ref()
                        .map(|l| l.to_arm_string())
                        .unwrap_or_default(),
                    if r.condition {
                        "yes".into()
                    } else {
                        "no (condition)".into()
                    },
                    r.depends_on.len().to_string(),
                ]);
            }
            print_text(t)?;
            print_text(format!(
                "{} resource(s), {} output(s), {} runtime-only value(s) left symbolic, {} warning(s).",
                expanded.resources.len(),
                expanded.outputs.len(),
                expanded.unresolved.len(),
                expanded.warnings.len()
            ))
        }
    }
}

fn template_error(e: ExpandError) -> CliError {
    CliError::bad_input(
        e.to_string(),
        "fix the template at the position shown (or supply the missing parameter)",
    )
}
