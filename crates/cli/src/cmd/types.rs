//! `azrelo types`: facts about resource types.

use crate::exit::CliError;
use crate::output::{OutputFormat, print_json, print_text, table};
use azrelo_arm::availability::{Availability, PROVIDERS_SNAPSHOT};
use azrelo_arm::id::ResourceType;
use azrelo_arm::region::Regions;
use serde::Serialize;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Sub,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Where a resource type is offered, from the provider snapshot.
    ///
    /// The snapshot of ARM's providers API is from 2023-11, older than the
    /// region list: a region it does not list for the type is reported as
    /// *unknown*, never as unavailable. Every answer carries the snapshot date.
    ///
    /// JSON output (`-o json`) with `--region`: `{resourceType, region, status,
    /// zones, snapshot, detail}` where status is one of `available`, `global`,
    /// `not-listed`, `unknown-region`, `unknown-type`. Without `--region`:
    /// `{resourceType, snapshot, apiVersions, regions: [{name, zones}]}`.
    ///
    /// Examples:
    ///   azrelo types availability Microsoft.KeyVault/vaults --region swedencentral
    ///   azrelo types availability Microsoft.Network/virtualNetworks
    #[command(verbatim_doc_comment)]
    Availability {
        /// Full resource type, e.g. `Microsoft.KeyVault/vaults`.
        resource_type: String,
        /// Only this region (any spelling).
        #[arg(long, short = 'r')]
        region: Option<String>,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnswerJson<'a> {
    resource_type: &'a str,
    region: &'a str,
    status: azrelo_arm::availability::Status,
    zones: &'a [String],
    snapshot: &'a str,
    detail: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionsJson<'a> {
    resource_type: &'a str,
    snapshot: &'a str,
    api_versions: &'a [String],
    regions: Vec<RegionZones>,
}

#[derive(Serialize)]
struct RegionZones {
    name: String,
    zones: Vec<String>,
}

pub fn run(args: Args, out: OutputFormat) -> Result<(), CliError> {
    match args.command {
        Sub::Availability {
            resource_type,
            region,
        } => availability(&resource_type, region.as_deref(), out),
    }
}

fn availability(
    resource_type: &str,
    region: Option<&str>,
    out: OutputFormat,
) -> Result<(), CliError> {
    ResourceType::parse(resource_type).map_err(|e| {
        CliError::bad_input(
            e,
            "write the full type with its namespace, e.g. Microsoft.KeyVault/vaults",
        )
    })?;
    let avail = Availability::embedded();
    if let Some(region) = region {
        if Regions::embedded().get(region).is_none() {
            return Err(CliError::bad_input(
                format!("'{region}' is not an Azure region"),
                "list regions with `azrelo regions`",
            ));
        }
        let a = avail.check(resource_type, region);
        return match out {
            OutputFormat::Json => print_json(&AnswerJson {
                resource_type: &a.resource_type,
                region: &a.region,
                status: a.status,
                zones: &a.zones,
                snapshot: a.snapshot,
                detail: &a.detail,
            }),
            OutputFormat::Table => {
                let mut t = table(["Type", "Region", "Status", "Zones", "Snapshot"]);
                t.add_row([
                    a.resource_type.clone(),
                    a.region.clone(),
                    a.status.label().to_string(),
                    if a.zones.is_empty() {
                        "-".into()
                    } else {
                        a.zones.join(",")
                    },
                    a.snapshot.to_string(),
                ]);
                print_text(t)?;
                print_text(&a.detail)
            }
        };
    }
    let Some((info, _)) = avail.type_info_or_parent(resource_type) else {
        return Err(CliError::bad_input(
            format!(
                "the {} provider snapshot does not know the type {resource_type}",
                avail.snapshot()
            ),
            "check the spelling (Namespace/type), or ask Azure: az provider show -n NAMESPACE",
        ));
    };
    let regions = avail.regions_for(resource_type).unwrap_or_default();
    match out {
        OutputFormat::Json => print_json(&RegionsJson {
            resource_type,
            snapshot: avail.snapshot(),
            api_versions: &info.api_versions,
            regions: regions
                .into_iter()
                .map(|(name, zones)| RegionZones { name, zones })
                .collect(),
        }),
        OutputFormat::Table => {
            let mut t = table(["Region", "Zones"]);
            for (name, zones) in &regions {
                t.add_row([
                    name.clone(),
                    if zones.is_empty() {
                        "-".into()
                    } else {
                        zones.join(",")
                    },
                ]);
            }
            print_text(t)?;
            print_text(format!(
                "{} lists {} region(s) for {}. Regions not listed are unknown, not unavailable.\nSource: {PROVIDERS_SNAPSHOT}.",
                avail.snapshot(),
                regions.len(),
                info.resource_type
            ))
        }
    }
}
