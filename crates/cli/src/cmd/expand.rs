//! `azrelo expand`: expand an ARM template offline.

use crate::exit::CliError;
use crate::output::{Output, table};
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
///   azrelo expand --template-uri https://example.com/templates/azuredeploy.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The template file (JSON; comments and trailing commas are accepted).
    #[arg(
        required_unless_present = "template_uri",
        conflicts_with = "template_uri"
    )]
    pub template: Option<PathBuf>,
    /// Download the template from this https URL instead.
    #[arg(long = "template-uri", value_name = "URL")]
    pub template_uri: Option<String>,
    /// Largest template or parameters file read (bytes, or 64MiB, 1GiB).
    #[arg(
        long = "max-input-size",
        env = "AZRELO_MAX_INPUT_SIZE",
        default_value = "512MiB",
        value_name = "SIZE",
        value_parser = crate::cmd::inputs::parse_size
    )]
    pub max_input_bytes: u64,
    /// A deployment parameters file ({"parameters": {"name": {"value": ...}}}); repeatable, later files win.
    #[arg(long = "parameters", short = 'p')]
    pub parameters: Vec<PathBuf>,
    /// A parameter value NAME=VALUE (VALUE is JSON if it parses as JSON, else a string); repeatable.
    #[arg(long = "param")]
    pub param: Vec<String>,
    /// Subscription of the deployment context (name or id; default:
    /// AZURE_SUBSCRIPTION_ID, else az's current subscription, else
    /// 00000000-0000-0000-0000-000000000000).
    #[arg(long, value_name = "NAME|ID")]
    pub subscription: Option<String>,
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
    path: &std::path::Path,
    max: u64,
    into: &mut IndexMap<String, serde_json::Value>,
) -> Result<(), CliError> {
    let file = path.display().to_string();
    let text = azrelo_estate::read_input(path, max).map_err(|e| {
        CliError::bad_input(format!("the parameters file {file}: {e}"), "check the path")
    })?;
    let doc = azrelo_template::json::parse(&text, &file)
        .map_err(|e| CliError::bad_input(e.to_string(), "fix the JSON syntax at that position"))?;
    let values = azrelo_estate::parameter_values(&doc, &file).map_err(|e| {
        CliError::bad_input(
            e.to_string(),
            "a parameters file looks like {\"parameters\": {\"name\": {\"value\": ...}}}",
        )
    })?;
    into.extend(values);
    Ok(())
}

pub fn run(args: Args, out: &Output) -> Result<(), CliError> {
    let (name, text, base_dir) = match (&args.template, &args.template_uri) {
        (Some(path), _) => {
            let text = azrelo_estate::read_input(path, args.max_input_bytes).map_err(|e| {
                CliError::bad_input(
                    format!("the template {}: {e}", path.display()),
                    "check the path",
                )
            })?;
            (
                path.display().to_string(),
                text,
                path.parent().map(PathBuf::from),
            )
        }
        (None, Some(uri)) => {
            let text = crate::cmd::inputs::fetch(uri, args.max_input_bytes).map_err(|e| {
                CliError::bad_input(format!("{uri}: {e}"), "check the URL (https, public)")
            })?;
            (uri.clone(), text, None)
        }
        (None, None) => {
            return Err(CliError::bad_input(
                "no template",
                "pass a template file or --template-uri URL",
            ));
        }
    };
    let template = Template::parse(&text, &name).map_err(template_error)?;
    let mut parameters = IndexMap::new();
    for p in &args.parameters {
        read_parameters(p, args.max_input_bytes, &mut parameters)?;
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
            subscription_id: match &args.subscription {
                Some(s) => crate::az_config::resolve_subscription(s)?,
                None => crate::az_config::default_subscription()?
                    .unwrap_or_else(|| "00000000-0000-0000-0000-000000000000".into()),
            },
            resource_group: args.resource_group,
            resource_group_location: args.location.clone(),
            location: args.location,
            deployment_name: args.deployment_name,
            ..Default::default()
        },
        parameters,
        base_dir,
        template_link: args.template_uri.clone(),
        ..Default::default()
    };
    let mut expanded = expand(&template, &options).map_err(template_error)?;
    // Secure parameter values never leave the process.
    expanded.redact();
    for w in &expanded.warnings {
        tracing::warn!("{w}");
    }
    out.print(&expanded, || {
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
        format!(
            "{t}\n{} resource(s), {} output(s), {} runtime-only value(s) left symbolic, {} warning(s).",
            expanded.resources.len(),
            expanded.outputs.len(),
            expanded.unresolved.len(),
            expanded.warnings.len()
        )
    })
}

fn template_error(e: ExpandError) -> CliError {
    CliError::bad_input(
        e.to_string(),
        "fix the template at the position shown (or supply the missing parameter)",
    )
}
