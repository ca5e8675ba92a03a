//! `azrelo types`: facts about resource types (availability per region, api versions).

use crate::exit::CliError;
use crate::output::{Output, table};
use azrelo_arm::availability::{Answer, Availability, SnapshotDate, Status};
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
    /// Where a resource type is offered, from the providers snapshot, and its api versions.
    ///
    /// The embedded snapshot of ARM's providers API is from 2023-11, older than
    /// the region list. A status is one of:
    ///   available       the snapshot lists the region for the type
    ///   global          the type is not regional (lists 'global', or no location)
    ///   not-listed      the region existed in 2023-11 but was not listed for the
    ///                   type: UNKNOWN today, not unavailable
    ///   unknown-region  no type in the snapshot lists the region (it opened
    ///                   later): UNKNOWN
    ///   unknown-type    the snapshot does not know the type: UNKNOWN
    /// Child types the provider does not list (e.g. .../virtualNetworks/subnets)
    /// answer with their nearest listed parent (`answeredBy`).
    ///
    /// JSON (`-o json`) with --region — one object:
    ///   resourceType, answeredBy (string|null), region, status, zones (string array),
    ///   snapshot ("YYYY-MM"), detail
    /// JSON without --region — one object:
    ///   resourceType, answeredBy, snapshot, source, global (bool),
    ///   defaultApiVersion, newestApiVersion, newestStableApiVersion (string|null),
    ///   apiVersions (string array, as ARM lists them, newest first),
    ///   regions (array of {name, displayName, status, zones}: every physical region),
    ///   otherListedLocations (string array: listed locations that are not physical
    ///   regions of the catalog, e.g. logical stage regions, internal stamps)
    ///
    /// Examples:
    ///   azrelo types availability Microsoft.KeyVault/vaults --region swedencentral
    ///   azrelo types availability Microsoft.Network/virtualNetworks -o json
    #[command(verbatim_doc_comment)]
    Availability {
        /// Full resource type, e.g. `Microsoft.KeyVault/vaults` (any case).
        resource_type: String,
        /// Only this region (any spelling: swedencentral, "Sweden Central", "(Europe) Sweden Central").
        #[arg(long, short = 'r')]
        region: Option<String>,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnswerJson<'a> {
    resource_type: &'a str,
    answered_by: Option<&'a str>,
    region: &'a str,
    status: Status,
    zones: &'a [String],
    snapshot: SnapshotDate,
    detail: &'a str,
}

impl<'a> From<&'a Answer> for AnswerJson<'a> {
    fn from(a: &'a Answer) -> Self {
        AnswerJson {
            resource_type: &a.resource_type,
            answered_by: a.answered_by.as_deref(),
            region: &a.region,
            status: a.status,
            zones: &a.zones,
            snapshot: a.snapshot,
            detail: &a.detail,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TypeJson<'a> {
    resource_type: &'a str,
    answered_by: String,
    snapshot: SnapshotDate,
    source: Option<&'a str>,
    global: bool,
    default_api_version: Option<&'a str>,
    newest_api_version: Option<&'a str>,
    newest_stable_api_version: Option<&'a str>,
    api_versions: Vec<&'a str>,
    regions: Vec<RegionStatus<'a>>,
    other_listed_locations: Vec<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionStatus<'a> {
    name: &'a str,
    display_name: &'a str,
    status: Status,
    zones: Vec<String>,
}

pub fn run(args: Args, out: &Output) -> Result<(), CliError> {
    match args.command {
        Sub::Availability {
            resource_type,
            region,
        } => availability(&resource_type, region.as_deref(), out),
    }
}

fn zones_cell(zones: &[String]) -> String {
    if zones.is_empty() {
        "-".into()
    } else {
        zones.join(",")
    }
}

fn availability(resource_type: &str, region: Option<&str>, out: &Output) -> Result<(), CliError> {
    ResourceType::parse(resource_type).map_err(|e| {
        CliError::bad_input(
            e,
            "write the full type with its namespace, e.g. Microsoft.KeyVault/vaults",
        )
    })?;
    let avail = Availability::embedded();
    let regions = Regions::embedded();
    if let Some(region) = region {
        if regions.get(region).is_none() {
            return Err(crate::cmd::regions::unknown_region(region));
        }
        let a = avail.check(resource_type, region);
        return out.print(&AnswerJson::from(&a), || {
            let mut t = table(["Type", "Region", "Status", "Zones", "Snapshot"]);
            t.add_row([
                a.resource_type.clone(),
                a.region.clone(),
                a.status.label().to_string(),
                zones_cell(&a.zones),
                a.snapshot.to_string(),
            ]);
            format!("{t}\n{}", a.detail)
        });
    }
    let Some((info, _)) = avail.type_info_or_parent(resource_type) else {
        return Err(CliError::bad_input(
            format!(
                "the {} providers snapshot does not know the type {resource_type}",
                avail.snapshot()
            ),
            match avail.suggest_types(resource_type).as_slice() {
                [] => format!(
                    "check the spelling (Namespace/type), or ask Azure: az provider show -n {}",
                    resource_type.split('/').next().unwrap_or(resource_type)
                ),
                close => format!("did you mean {}?", close.join(", ")),
            },
        ));
    };
    let answered_by = info.resource_type();
    let statuses: Vec<(&azrelo_arm::Region, Answer)> = regions
        .physical()
        .map(|r| (r, avail.check(resource_type, &r.name)))
        .collect();
    let other: Vec<&str> = info
        .regions()
        .into_iter()
        .filter(|name| regions.get(name).is_none_or(|r| !r.is_physical()))
        .collect();
    let json = TypeJson {
        resource_type,
        answered_by: answered_by.clone(),
        snapshot: avail.snapshot(),
        source: avail.source(),
        global: info.is_global(),
        default_api_version: info.default_api_version(),
        newest_api_version: info.newest_api_version(),
        newest_stable_api_version: info.newest_stable_api_version(),
        api_versions: info.api_versions().collect(),
        regions: statuses
            .iter()
            .map(|(r, a)| RegionStatus {
                name: &r.name,
                display_name: &r.display_name,
                status: a.status,
                zones: a.zones.clone(),
            })
            .collect(),
        other_listed_locations: other.clone(),
    };
    out.print(&json, || {
        {
            let mut t = table(["Region", "Display name", "Status", "Zones"]);
            for (r, a) in &statuses {
                t.add_row([
                    r.name.clone(),
                    r.display_name.clone(),
                    a.status.label().to_string(),
                    zones_cell(&a.zones),
                ]);
            }
            let count = |s: Status| statuses.iter().filter(|(_, a)| a.status == s).count();
            let mut summary = format!(
                "{answered_by}{}: snapshot {} — {} available, {} global, {} not listed, {} regions newer than the snapshot (of {} physical regions).",
                if answered_by.eq_ignore_ascii_case(resource_type) {
                    String::new()
                } else {
                    format!(" (answering for {resource_type})")
                },
                avail.snapshot(),
                count(Status::Available),
                count(Status::Global),
                count(Status::NotListed),
                count(Status::UnknownRegion),
                statuses.len(),
            );
            summary.push_str("\nNot listed and newer regions are unknown, not unavailable.");
            if !other.is_empty() {
                summary.push_str(&format!("\nAlso listed: {}.", other.join(", ")));
            }
            let newest = info.newest_api_version().unwrap_or("-");
            let stable = info.newest_stable_api_version().unwrap_or("-");
            summary.push_str(&format!(
                "\nApi versions: newest {newest}, newest stable {stable}, default {}; {} in all.",
                info.default_api_version().unwrap_or("-"),
                info.api_versions().count()
            ));
            if let Some(source) = avail.source() {
                summary.push_str(&format!("\nSource: {source}."));
            }
            format!("{t}\n{summary}")
        }
    })
}
