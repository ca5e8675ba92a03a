//! `azrelo discover`: read inputs into one estate file.

use crate::cmd::arm_args::ArmArgs;
use crate::cmd::inputs::{InputErrors, TemplatePlacement, load_lenient};
use crate::exit::CliError;
use crate::output::{Output, table};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Read an estate from exported files or live from ARM (`--subscription`) into one estate file
///
/// Both modes write the same versioned estate file.
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
/// A template's X.parameters.json beside it is used; parameters without a
/// value stay symbolic (a warning names them). An input that cannot be read
/// is reported, the estate of the rest is written, and the exit code is 3
/// (--strict stops at the first).
///
/// Secrets never enter the estate: credential properties, Key Vault secret
/// values, protectedSettings, connection-string keys, signed URLs' sig/code
/// and tokens are replaced by *** (the rest of a value, such as the account
/// a connection string names, is kept). The file is written readable by
/// its owner only.
///
/// Live discovery (--subscription NAME|ID, or without input files az's
/// current subscription and cloud) reads the same estate from Azure: Resource
/// Graph (paged), a GET per resource where the graph lacks detail, diagnostic
/// settings per resource, role assignments and locks, with bounded concurrency
/// within ARM's throttling. Calls that still fail after retries are reported
/// (stderr and the estate's warnings) and the rest is kept.
///
/// Examples:
///   azrelo discover --from examples/contoso-shop --out estate.json
///   azrelo discover --from rg-export.json --from arg.json -o json
///   azrelo discover -g rg-app --auth cli --out estate.json   # az's current subscription
///   azrelo discover --subscription "Contoso Production" --out estate.json
///   azrelo discover --subscription SUB --arm-endpoint https://127.0.0.1:8443 \
///       --auth token --token t --ca-cert emulator-ca.pem --out estate.json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Input files or directories (repeatable).
    #[arg(long = "from", short = 'f', conflicts_with = "subscriptions")]
    pub from: Vec<PathBuf>,
    /// A template (or any input) to download: https URL; repeatable. Its
    /// X.parameters.json beside it is fetched too when it exists.
    #[arg(
        long = "template-uri",
        value_name = "URL",
        conflicts_with = "subscriptions"
    )]
    pub template_uris: Vec<String>,
    /// Discover live from Azure: a subscription name or id (repeatable).
    /// Without --from, --template-uri or --subscription: AZURE_SUBSCRIPTION_ID,
    /// else az's current subscription (`az account show`).
    #[arg(long = "subscription", value_name = "NAME|ID")]
    pub subscriptions: Vec<String>,
    /// Live discovery: only these resource groups (repeatable; default all).
    #[arg(
        long = "resource-group",
        short = 'g',
        value_name = "RG",
        conflicts_with_all = ["from", "template_uris"]
    )]
    pub resource_groups: Vec<String>,
    /// Live discovery: ARM calls in flight at once.
    #[arg(
        long,
        default_value_t = 8,
        value_name = "N",
        conflicts_with_all = ["from", "template_uris"]
    )]
    pub concurrency: usize,
    /// Live discovery: GET every resource (full detail), not only those the
    /// graph returns without properties.
    #[arg(long = "get-all", conflicts_with_all = ["from", "template_uris"])]
    pub get_all: bool,
    /// Live discovery: do not fetch diagnostic settings (one call per resource).
    #[arg(
        long = "no-diagnostic-settings",
        conflicts_with_all = ["from", "template_uris"]
    )]
    pub no_diagnostic_settings: bool,
    /// Live discovery: do not list the child collections Resource Graph does
    /// not index (event hubs, queues, blob containers, databases, …; a few
    /// calls per resource).
    #[arg(long = "no-children", requires = "subscriptions")]
    pub no_children: bool,
    /// Write the estate here (atomically). Without it the estate goes to stdout with -o json.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub placement: TemplatePlacement,
    #[command(flatten)]
    pub arm: ArmArgs,
}

pub fn run(args: Args, out: &Output, quiet: bool) -> Result<(), CliError> {
    let files = !args.from.is_empty() || !args.template_uris.is_empty();
    let (estate, errors) = if files {
        load_lenient(
            &args.from,
            &args.template_uris,
            &args.placement,
            azrelo_template::MissingParameters::Symbolic,
        )?
    } else {
        (live(&args, quiet)?, InputErrors::default())
    };
    report(&estate, &args, out)?;
    errors.finish()
}

fn report(estate: &azrelo_estate::Estate, args: &Args, out: &Output) -> Result<(), CliError> {
    if let Some(path) = &args.out {
        azrelo_estate::write_estate(estate, path)
            .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?;
    }
    let human = || {
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
        format!(
            "{t}\n{sources}\n{} resources, {} other records, {} warning(s){}.",
            estate.resources.len(),
            estate.len() - estate.resources.len(),
            estate.warnings.len(),
            args.out
                .as_ref()
                .map(|p| format!("; estate written to {}", p.display()))
                .unwrap_or_default()
        )
    };
    // Without --out the result is the estate itself; with it, a summary
    // naming the file.
    match &args.out {
        None => out.print(estate, human),
        Some(path) => out.print(
            &serde_json::json!({
                "estate": path.display().to_string(),
                "resources": estate.resources.len(),
                "roleAssignments": estate.role_assignments.len(),
                "diagnosticSettings": estate.diagnostic_settings.len(),
                "locks": estate.locks.len(),
                "policyExemptions": estate.policy_exemptions.len(),
                "warnings": estate.warnings,
            }),
            human,
        ),
    }
}

/// Live discovery through ARM and Resource Graph.
fn live(args: &Args, quiet: bool) -> Result<azrelo_estate::Estate, CliError> {
    for g in &args.resource_groups {
        azrelo_arm::names::check_resource_group_name(g).map_err(|e| {
            CliError::bad_input(
                format!("--resource-group: {e}"),
                "name an existing resource group",
            )
        })?;
    }
    let subscriptions = crate::az_config::subscriptions_or_default(&args.subscriptions)?;
    if subscriptions.is_empty() {
        return Err(CliError::usage(
            "nothing to discover: no input files and no subscription",
            format!(
                "pass --from FILE_OR_DIR (exports, templates) or --template-uri URL; for live discovery {}",
                crate::az_config::SUBSCRIPTION_HINT
            ),
        ));
    }
    let client = args.arm.client()?;
    let opts = azrelo_live::LiveOptions {
        subscriptions,
        resource_groups: args.resource_groups.clone(),
        concurrency: args.concurrency.max(1),
        get_all: args.get_all,
        diagnostic_settings: !args.no_diagnostic_settings,
        children: !args.no_children,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))?;
    discover_live(&rt, &client, &opts, quiet)
}

/// Live discovery with progress on stderr (a bar on a terminal, lines and a
/// heartbeat elsewhere; nothing when `quiet`) and the calls that failed
/// after retries reported on stderr; the rest is kept.
pub(crate) fn discover_live(
    rt: &tokio::runtime::Runtime,
    client: &azrelo_client::ArmClient,
    opts: &azrelo_live::LiveOptions,
    quiet: bool,
) -> Result<azrelo_estate::Estate, CliError> {
    let progress = crate::progress::Progress::new("discover", quiet);
    let result = azrelo_run::rehearsal::discover_live(rt, client, opts, &progress);
    progress.finish();
    Ok(result?)
}
