//! `azrelo regions`: the Azure region catalog.

use crate::exit::CliError;
use crate::output::{Output, table};
use azrelo_arm::region::{LOCATIONS_SNAPSHOT, Region, RegionType, Regions};
use serde::Serialize;

/// Long help of `azrelo regions` (the JSON field names are a stable contract);
/// attached to the `regions` command in `main.rs`.
pub const LONG_ABOUT: &str = "\
List Azure regions with their pairs and availability zones.

By default only physical regions (those that host resources) are listed;
`--all` adds logical ones (geographies such as `europe`, stage regions).
Source: the ARM locations API (api-version 2022-12-01), snapshot of 2026-03.

JSON (`-o json`): an array (for `show`, one object) with the fields
  name                 programmatic name, e.g. \"westeurope\"
  displayName          e.g. \"West Europe\"
  regionalDisplayName  e.g. \"(Europe) West Europe\"
  regionType           \"physical\" | \"logical\"
  category             \"Recommended\" | \"Other\" | null
  geography            e.g. \"Europe\" (null for most logical regions)
  geographyGroup       e.g. \"Europe\"
  physicalLocation     e.g. \"Netherlands\"
  pairedRegions        [name] (usually one; empty for unpaired regions)
  zones                [{logicalZone, physicalZone}] (empty without zones;
                       the logical→physical mapping is per subscription)

Examples:
  azrelo regions
  azrelo regions --geography Europe
  azrelo regions show \"(Europe) West Europe\"
  azrelo regions --query \"[?zones[0]].name\" -o tsv        # regions with zones
  azrelo regions show westeurope --query pairedRegions[0] -o tsv";

/// `azrelo regions` arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// Only regions in this geography (e.g. `Europe`, `Sweden`, `United States`) or
    /// geography group (e.g. `Europe`, `US`), case-insensitive.
    #[arg(long)]
    pub geography: Option<String>,
    /// Include logical regions (geographies such as `europe`, stage and EUAP regions).
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Sub {
    /// Show one region by any spelling: `westeurope`, `West Europe`, `(Europe) West Europe`.
    ///
    /// Its pair, geography, physical location and availability zones (the
    /// JSON fields are those of `azrelo regions -o json`).
    ///
    /// Examples:
    ///   azrelo regions show westeurope
    ///   azrelo regions show "Sweden Central" -o yaml
    ///   azrelo regions show westeurope --query pairedRegions[0] -o tsv
    #[command(verbatim_doc_comment)]
    Show {
        /// The region name in any spelling.
        name: String,
    },
}

/// The stable JSON shape of a region.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RegionJson<'a> {
    name: &'a str,
    display_name: &'a str,
    regional_display_name: &'a str,
    region_type: RegionType,
    category: Option<&'a str>,
    geography: Option<&'a str>,
    geography_group: Option<&'a str>,
    physical_location: Option<&'a str>,
    paired_regions: &'a [String],
    zones: Vec<ZoneJson<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ZoneJson<'a> {
    logical_zone: &'a str,
    physical_zone: &'a str,
}

fn to_json(r: &Region) -> RegionJson<'_> {
    RegionJson {
        name: &r.name,
        display_name: &r.display_name,
        regional_display_name: &r.regional_display_name,
        region_type: r.region_type,
        category: r.category.as_deref(),
        geography: r.geography.as_deref(),
        geography_group: r.geography_group.as_deref(),
        physical_location: r.physical_location.as_deref(),
        paired_regions: &r.paired_regions,
        zones: r
            .zones
            .iter()
            .map(|z| ZoneJson {
                logical_zone: &z.logical_zone,
                physical_zone: &z.physical_zone,
            })
            .collect(),
    }
}

pub fn run(args: Args, out: &Output) -> Result<(), CliError> {
    let regions = Regions::embedded();
    if let Some(Sub::Show { name }) = args.command {
        return show(regions, &name, out);
    }
    let geo = args.geography.as_deref().map(str::to_ascii_lowercase);
    let list: Vec<&Region> = regions
        .all()
        .iter()
        .filter(|r| args.all || r.region_type == RegionType::Physical)
        .filter(|r| match &geo {
            None => true,
            Some(g) => [&r.geography, &r.geography_group]
                .iter()
                .any(|x| x.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(g))),
        })
        .collect();
    if let (true, Some(g)) = (list.is_empty(), &args.geography) {
        {
            let mut geos: Vec<&str> = regions
                .all()
                .iter()
                .filter_map(|r| r.geography.as_deref())
                .collect();
            geos.sort_unstable();
            geos.dedup();
            return Err(CliError::bad_input(
                format!("no region is in the geography '{g}'"),
                format!("known geographies: {}", geos.join(", ")),
            ));
        }
    }
    let json: Vec<RegionJson> = list.iter().map(|r| to_json(r)).collect();
    out.print(&json, || {
        let mut t = table(["Name", "Display name", "Geography", "Paired with", "Zones"]);
        for r in &list {
            t.add_row([
                r.name.clone(),
                r.display_name.clone(),
                r.geography.clone().unwrap_or_default(),
                if r.paired_regions.is_empty() {
                    "-".to_string()
                } else {
                    r.paired_regions.join(", ")
                },
                if r.zones.is_empty() {
                    "-".to_string()
                } else {
                    r.zones.len().to_string()
                },
            ]);
        }
        format!("{t}\n{} regions. Source: {LOCATIONS_SNAPSHOT}.", list.len())
    })
}

/// The error for a spelling that names no region, with "did you mean"
/// when a region's name is close.
pub(crate) fn unknown_region(name: &str) -> CliError {
    let close: Vec<String> = Regions::embedded()
        .suggest(name)
        .iter()
        .map(|r| format!("{} ({})", r.name, r.display_name))
        .collect();
    let list = "list regions with `azrelo regions` (any spelling works: westeurope, \"West Europe\", \"(Europe) West Europe\")";
    CliError::bad_input(
        format!("'{name}' is not an Azure region"),
        if close.is_empty() {
            list.to_string()
        } else {
            format!("did you mean {}? Or {list}", close.join(", "))
        },
    )
}

fn show(regions: &Regions, name: &str, out: &Output) -> Result<(), CliError> {
    let Some(r) = regions.get(name) else {
        return Err(unknown_region(name));
    };
    out.print(&to_json(r), || {
        let mut t = table(["Field", "Value"]);
        let pair = r
            .paired_regions
            .iter()
            .map(|p| match regions.get(p) {
                Some(pr) => format!("{} ({})", pr.name, pr.display_name),
                None => p.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        let zones = if r.zones.is_empty() {
            "none".to_string()
        } else {
            r.zones
                .iter()
                .map(|z| format!("{} → {}", z.logical_zone, z.physical_zone))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let rows = [
            ("Name", r.name.clone()),
            ("Display name", r.display_name.clone()),
            ("Regional display name", r.regional_display_name.clone()),
            ("Type", format!("{:?}", r.region_type).to_ascii_lowercase()),
            ("Category", r.category.clone().unwrap_or_default()),
            ("Geography", r.geography.clone().unwrap_or_default()),
            (
                "Geography group",
                r.geography_group.clone().unwrap_or_default(),
            ),
            (
                "Physical location",
                r.physical_location.clone().unwrap_or_default(),
            ),
            (
                "Paired region",
                if pair.is_empty() { "none".into() } else { pair },
            ),
            ("Availability zones (logical → physical)", zones),
        ];
        for (k, v) in rows {
            t.add_row([k.to_string(), v]);
        }
        t.to_string()
    })
}
