//! Shared input handling: any mix of raw inputs and estate files.

use crate::exit::CliError;
use azrelo_estate::{Estate, LoadOptions, load_inputs};
use std::path::PathBuf;

/// Where template inputs are placed (templates carry no subscription or group).
#[derive(Debug, Clone, clap::Args)]
pub struct TemplatePlacement {
    /// Subscription id assumed for template inputs.
    #[arg(
        long = "template-subscription",
        default_value = "00000000-0000-0000-0000-000000000000"
    )]
    pub subscription: String,
    /// Resource group assumed for template inputs.
    #[arg(long = "template-resource-group", default_value = "azrelo-rg")]
    pub resource_group: String,
    /// Location of that resource group.
    #[arg(long = "template-location", default_value = "westeurope")]
    pub location: String,
}

/// Expand directories into the JSON files they hold (sorted), keep files.
fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| {
                    CliError::bad_input(
                        format!("cannot read {}: {e}", p.display()),
                        "check the path",
                    )
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

pub fn load(paths: &[PathBuf], placement: &TemplatePlacement) -> Result<Estate, CliError> {
    let files = expand_paths(paths)?;
    if files.is_empty() {
        return Err(CliError::bad_input(
            "no input files",
            "pass JSON files or directories: ARM templates, az graph query / az resource list output, ARM GET bodies or an estate file",
        ));
    }
    let opts = LoadOptions {
        subscription: placement.subscription.clone(),
        resource_group: placement.resource_group.clone(),
        location: placement.location.clone(),
    };
    let estate = load_inputs(&files, &opts).map_err(|e| {
        CliError::bad_input(
            e.to_string(),
            "fix the file at the position shown; `azrelo discover --help` lists the accepted input kinds",
        )
    })?;
    for w in &estate.warnings {
        tracing::warn!("{w}");
    }
    Ok(estate)
}
