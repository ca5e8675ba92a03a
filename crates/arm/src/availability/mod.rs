//! Resource-type availability per region, and api versions per type, from a
//! snapshot of ARM's providers API.
//!
//! # Where the facts come from
//!
//! [`Availability::from_providers_response`] parses the raw body of
//! `GET /subscriptions/{id}/providers` — the same parser for a live refresh and
//! for the embedded snapshot. The embedded snapshot (`data/providers.snapshot`)
//! is that parsed model written by [`Availability::to_snapshot`] (a compact,
//! line-oriented form, ~0.3 MB instead of 2 MB of JSON) and read back by
//! [`Availability::from_snapshot`]; a test re-parses the original ARM body and
//! asserts the embedded file is byte-for-byte what the parser produces.
//! Regenerate it with the `refresh_snapshots` example (see `data/README.md`).
//!
//! # What an answer means
//!
//! The embedded snapshot is from **November 2023**, older than the region
//! catalog, so an answer is honest about what it does not know. The
//! [`Status`] of a type in a region is one of:
//!
//! | status | JSON | meaning | deployable? |
//! |---|---|---|---|
//! | [`Status::Available`] | `available` | the snapshot lists the region for the type | yes |
//! | [`Status::Global`] | `global` | the type is not regional: it lists `global` and not this region, or lists no location at all | yes (location `global`, or inherits its scope) |
//! | [`Status::NotListed`] | `not-listed` | the region existed at snapshot time (other types list it) but this type did not list it | **unknown** — the service may have arrived since |
//! | [`Status::UnknownRegion`] | `unknown-region` | no type in the snapshot lists the region (it opened later, or is not an Azure region) | **unknown** |
//! | [`Status::UnknownType`] | `unknown-type` | the snapshot does not know the type (nor a parent of it) | **unknown** |
//!
//! Nothing here ever says "unavailable": only ARM at deployment time can.
//! Every [`Answer`] carries the snapshot date.
//!
//! Child types (`Microsoft.Network/virtualNetworks/subnets`) are looked up as
//! the provider lists them (`virtualNetworks/subnets`); a child type the
//! provider does not list answers with its nearest listed parent, since a
//! child lives where its parent lives.
//!
//! ```
//! use azrelo_arm::availability::{Availability, Status};
//!
//! let a = Availability::embedded();
//! let ans = a.check("Microsoft.KeyVault/vaults", "West Europe");
//! assert_eq!(ans.status, Status::Available);
//! assert_eq!(ans.snapshot.to_string(), "2023-11");
//!
//! // Spain Central opened after the snapshot: unknown, not unavailable.
//! let ans = a.check("microsoft.keyvault/VAULTS", "(Europe) Spain Central");
//! assert_eq!(ans.status, Status::UnknownRegion);
//! assert!(!ans.status.is_available() && ans.status.is_unknown());
//!
//! // Api versions for template generation and the emulator.
//! let kv = a.type_info("Microsoft.KeyVault/vaults").unwrap();
//! assert!(kv.has_api_version("2019-09-01"));
//! assert!(kv.newest_stable_api_version().unwrap() >= "2023-02-01");
//! ```

use crate::region::normalize;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

mod date;
mod providers;
mod snapshot;

pub use date::{DateError, SnapshotDate};

/// Provenance of the embedded providers snapshot (also the `source` line of
/// `data/providers.snapshot`).
pub const PROVIDERS_SNAPSHOT: &str = "ARM providers API (GET /subscriptions/{id}/providers) via Azure/arm-ttk arm-ttk/cache/AllAzureResources.cache.json @ ee07b0c (MIT), as of 2023-11";

const EMBEDDED: &str = include_str!("../../data/providers.snapshot");

// ---------------------------------------------------------------------------
// Snapshot date
// ---------------------------------------------------------------------------

// ---------------------------------------------------------------------------
// Status and answers
// ---------------------------------------------------------------------------

/// The availability of one type in one region, as far as a snapshot knows.
/// See the [module docs](self) for the table of meanings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The snapshot lists the region for the type.
    Available,
    /// The type is not regional (`global`, or no location list at all).
    Global,
    /// The region existed at snapshot time but the type did not list it:
    /// unknown today, not "unavailable".
    NotListed,
    /// The snapshot does not know the region at all (newer than the snapshot,
    /// or not an Azure region): unknown.
    UnknownRegion,
    /// The snapshot does not know the type: unknown.
    UnknownType,
}

impl Status {
    /// Whether the snapshot positively says the type can be deployed there.
    pub fn is_available(self) -> bool {
        matches!(self, Status::Available | Status::Global)
    }

    /// Whether the honest answer is "we do not know" (every status that is not
    /// available; none of them means unavailable).
    pub fn is_unknown(self) -> bool {
        !self.is_available()
    }

    /// The JSON spelling (`available`, `not-listed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::Global => "global",
            Status::NotListed => "not-listed",
            Status::UnknownRegion => "unknown-region",
            Status::UnknownType => "unknown-type",
        }
    }

    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::Global => "global",
            Status::NotListed => "unknown (not listed in snapshot)",
            Status::UnknownRegion => "unknown (region not in snapshot)",
            Status::UnknownType => "unknown (type not in snapshot)",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An answer about one type in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// The type as asked.
    pub resource_type: String,
    /// The provider's entry that answered (`Namespace/type` as the provider
    /// spells it): the type itself, or its nearest listed parent for an
    /// unlisted child type. `None` for [`Status::UnknownType`].
    pub answered_by: Option<String>,
    /// Canonical region name when the region catalog knows the spelling, else
    /// the spelling as given.
    pub region: String,
    pub status: Status,
    /// Availability zones the snapshot lists for the type in this region
    /// (empty when it lists none).
    pub zones: Vec<String>,
    /// Date of the snapshot the answer comes from.
    pub snapshot: SnapshotDate,
    /// One sentence explaining the status, with how to verify it when unknown.
    pub detail: String,
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a providers body or snapshot could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AvailabilityError {
    #[error("the providers response is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "the providers response has no 'value' array at the top level (expected the body of GET /subscriptions/{{id}}/providers)"
    )]
    Shape,
    #[error("the providers response is malformed at {path}: {message}")]
    Field { path: String, message: String },
    #[error("the providers snapshot is malformed at line {line}: {message}")]
    Snapshot { line: usize, message: String },
}

fn field_err(path: String, message: &str) -> AvailabilityError {
    AvailabilityError::Field {
        path,
        message: message.to_string(),
    }
}

// ---------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------

/// One resource type as the snapshot stores it (indices into the tables of
/// [`Core`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TypeEntry {
    namespace: u32,
    /// `type[/child]` as the provider spells it.
    name: String,
    /// Index into `location_lists`.
    locations: u32,
    /// Index into `version_lists`.
    versions: u32,
    /// Index into `versions`.
    default_version: Option<u32>,
    /// `(spelling index, zones)` as listed by `zoneMappings`.
    zones: Vec<(u32, Vec<String>)>,
}

/// What the snapshot says, with repeated strings and lists interned. This
/// part is what [`Availability::to_snapshot`] writes; everything else is
/// derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Core {
    as_of: SnapshotDate,
    source: Option<String>,
    /// Distinct location spellings, in order of first appearance.
    spellings: Vec<String>,
    /// Distinct api versions, in order of first appearance.
    versions: Vec<String>,
    /// Distinct location lists (indices into `spellings`, provider order).
    location_lists: Vec<Vec<u32>>,
    /// Distinct api-version lists (indices into `versions`, provider order).
    version_lists: Vec<Vec<u32>>,
    namespaces: Vec<String>,
    types: Vec<TypeEntry>,
}

impl Core {
    /// No namespaces yet, as of `as_of`.
    fn empty(as_of: SnapshotDate) -> Core {
        Core {
            as_of,
            source: None,
            spellings: vec![],
            versions: vec![],
            location_lists: vec![],
            version_lists: vec![],
            namespaces: vec![],
            types: vec![],
        }
    }
}

/// Interns strings and lists while parsing.
#[derive(Default)]
struct Interner {
    spellings: HashMap<String, u32>,
    versions: HashMap<String, u32>,
    location_lists: HashMap<Vec<u32>, u32>,
    version_lists: HashMap<Vec<u32>, u32>,
}

fn intern<K: std::hash::Hash + Eq + Clone>(
    map: &mut HashMap<K, u32>,
    table: &mut Vec<K>,
    key: K,
) -> u32 {
    if let Some(&i) = map.get(&key) {
        return i;
    }
    let i = table.len() as u32;
    table.push(key.clone());
    map.insert(key, i);
    i
}

/// Derived, per-catalog lookup structures.
#[derive(Debug, Clone)]
struct Index {
    /// Lower-cased `Namespace/type` → index into `core.types`.
    by_type: HashMap<String, u32>,
    /// Normalised spelling (catalog or snapshot) → region id.
    region_by_spelling: HashMap<String, u32>,
    /// Canonical name per region id (catalog name, or normalised spelling for
    /// locations the catalog does not know).
    region_names: Vec<String>,
    /// Whether any type in the snapshot lists the region.
    region_in_snapshot: Vec<bool>,
    /// Region id per spelling index; `None` for `global`.
    spelling_region: Vec<Option<u32>>,
    /// Per location list: sorted region ids, and whether it lists `global`.
    list_regions: Vec<(Vec<u32>, bool)>,
}

/// The resource-type index of one providers snapshot.
///
/// Parse a live body with [`Availability::from_providers_response`], or use
/// the [embedded snapshot](Availability::embedded).
#[derive(Debug, Clone)]
pub struct Availability {
    core: Core,
    index: Index,
}

/// What the snapshot says about one resource type (a view into
/// [`Availability`]).
#[derive(Debug, Clone, Copy)]
pub struct TypeInfo<'a> {
    a: &'a Availability,
    t: &'a TypeEntry,
}

impl<'a> TypeInfo<'a> {
    /// The provider namespace as the provider spells it, e.g. `Microsoft.KeyVault`.
    pub fn namespace(&self) -> &'a str {
        &self.a.core.namespaces[self.t.namespace as usize]
    }

    /// The type path below the namespace, e.g. `virtualNetworks/subnets`.
    pub fn type_path(&self) -> &'a str {
        &self.t.name
    }

    /// `Namespace/type[/child]` as the provider spells it.
    pub fn resource_type(&self) -> String {
        format!("{}/{}", self.namespace(), self.t.name)
    }

    /// Locations as the provider lists them (display names, inconsistent
    /// casing, possibly `global`). Empty for types that are not regional.
    pub fn locations(&self) -> impl Iterator<Item = &'a str> + 'a {
        let spellings = &self.a.core.spellings;
        self.a.core.location_lists[self.t.locations as usize]
            .iter()
            .map(move |&i| spellings[i as usize].as_str())
    }

    /// Canonical region names the type is listed in (catalog names where the
    /// catalog knows the spelling), sorted, without `global`.
    pub fn regions(&self) -> Vec<&'a str> {
        let names = &self.a.index.region_names;
        let mut v: Vec<&str> = self.a.index.list_regions[self.t.locations as usize]
            .0
            .iter()
            .map(|&r| names[r as usize].as_str())
            .collect();
        v.sort_unstable();
        v
    }

    /// Whether the type is not regional: it lists `global`, or no location.
    pub fn is_global(&self) -> bool {
        let (regions, global) = &self.a.index.list_regions[self.t.locations as usize];
        *global || regions.is_empty()
    }

    /// Api versions as the provider lists them (ARM lists newest first).
    pub fn api_versions(&self) -> impl Iterator<Item = &'a str> + 'a {
        let versions = &self.a.core.versions;
        self.a.core.version_lists[self.t.versions as usize]
            .iter()
            .map(move |&i| versions[i as usize].as_str())
    }

    /// Whether the provider lists `version` for the type (exact, as ARM
    /// compares api versions case-insensitively).
    pub fn has_api_version(&self, version: &str) -> bool {
        self.api_versions().any(|v| v.eq_ignore_ascii_case(version))
    }

    /// The provider's `defaultApiVersion`, when it declares one.
    pub fn default_api_version(&self) -> Option<&'a str> {
        self.t
            .default_version
            .map(|i| self.a.core.versions[i as usize].as_str())
    }

    /// The newest api version, previews included.
    pub fn newest_api_version(&self) -> Option<&'a str> {
        self.api_versions()
            .max_by(|a, b| version_key(a).cmp(&version_key(b)))
    }

    /// The newest api version without a suffix (`-preview`, `-beta`, …), else
    /// the newest of all (see [`newest_stable`]).
    pub fn newest_stable_api_version(&self) -> Option<&'a str> {
        newest_stable(self.api_versions())
    }

    /// Zones the provider lists for the type in `region` (any spelling);
    /// empty when it lists none.
    pub fn zones_in(&self, region: &str) -> &'a [String] {
        let Some(id) = self.a.region_id(region) else {
            return &[];
        };
        self.t
            .zones
            .iter()
            .find(|(s, _)| self.a.index.spelling_region[*s as usize] == Some(id))
            .map(|(_, z)| z.as_slice())
            .unwrap_or(&[])
    }
}

/// An api version is stable when it is a bare date (`2023-07-01`).
/// The newest api version without a suffix (`-preview`, `-beta`, …) among
/// `versions`, else the newest of all: what a client picks when nothing asks
/// for a specific version. Shared by the embedded snapshot and live
/// discovery's reading of the providers endpoint.
pub fn newest_stable<'a>(versions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut stable: Option<&'a str> = None;
    let mut any: Option<&'a str> = None;
    for v in versions {
        let newer = |best: Option<&str>| best.is_none_or(|b| version_key(v) > version_key(b));
        if newer(any) {
            any = Some(v);
        }
        if is_stable(v) && newer(stable) {
            stable = Some(v);
        }
    }
    stable.or(any)
}

fn is_stable(v: &str) -> bool {
    v.len() == 10
}

/// Orders api versions: by date, then a stable version after the previews of
/// the same date, then by suffix.
fn version_key(v: &str) -> (&str, bool, &str) {
    let (date, suffix) = v.split_at(v.len().min(10));
    (date, suffix.is_empty(), suffix)
}

// ---------------------------------------------------------------------------
// Parsing the ARM body
// ---------------------------------------------------------------------------

fn str_at<'v>(
    v: &'v serde_json::Value,
    key: &str,
    path: &dyn Fn() -> String,
) -> Result<Option<&'v str>, AvailabilityError> {
    match v.get(key) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field_err(format!("{}.{key}", path()), "expected a string")),
    }
}

fn strings_at<'v>(
    v: &'v serde_json::Value,
    key: &str,
    path: &dyn Fn() -> String,
) -> Result<Vec<&'v str>, AvailabilityError> {
    match v.get(key) {
        None | Some(serde_json::Value::Null) => Ok(vec![]),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(k, x)| {
                x.as_str()
                    .ok_or_else(|| field_err(format!("{}.{key}[{k}]", path()), "expected a string"))
            })
            .collect(),
        Some(_) => Err(field_err(
            format!("{}.{key}", path()),
            "expected an array of strings",
        )),
    }
}

impl Availability {
    /// The embedded snapshot (as of 2023-11), parsed once on first use.
    pub fn embedded() -> &'static Availability {
        static CELL: OnceLock<Availability> = OnceLock::new();
        CELL.get_or_init(|| {
            Availability::from_snapshot(EMBEDDED)
                // The file is generated by `to_snapshot` and checked by tests.
                .unwrap_or_else(|e| panic!("embedded providers snapshot is invalid: {e}"))
        })
    }

    fn region_id(&self, spelling: &str) -> Option<u32> {
        self.index
            .region_by_spelling
            .get(&normalize(spelling))
            .copied()
    }

    /// The date of the snapshot every answer carries.
    pub fn snapshot(&self) -> SnapshotDate {
        self.core.as_of
    }

    /// Where the snapshot came from, when it says (the embedded one does).
    pub fn source(&self) -> Option<&str> {
        self.core.source.as_deref()
    }

    /// What the snapshot knows about exactly this type (case-insensitive).
    pub fn type_info(&self, resource_type: &str) -> Option<TypeInfo<'_>> {
        self.index
            .by_type
            .get(&resource_type.trim().to_ascii_lowercase())
            .map(|&i| TypeInfo {
                a: self,
                t: &self.core.types[i as usize],
            })
    }

    /// The type's own entry, or for a child type the provider does not list
    /// separately, the entry of its nearest listed parent (a child lives where
    /// its parent lives and shares its provider's api versions). The flag is
    /// true when a parent answered.
    ///
    /// ```
    /// let a = azrelo_arm::Availability::embedded();
    /// // Listed by the provider as `servers/databases`.
    /// let (info, inherited) = a.type_info_or_parent("microsoft.sql/SERVERS/databases").unwrap();
    /// assert_eq!((info.resource_type().as_str(), inherited), ("Microsoft.Sql/servers/databases", false));
    /// // Not listed (the 2023-11 snapshot has no `virtualNetworks/subnets`): the parent answers.
    /// let (info, inherited) = a.type_info_or_parent("Microsoft.Network/virtualNetworks/subnets").unwrap();
    /// assert_eq!((info.resource_type().as_str(), inherited), ("Microsoft.Network/virtualNetworks", true));
    /// ```
    pub fn type_info_or_parent(&self, resource_type: &str) -> Option<(TypeInfo<'_>, bool)> {
        let mut t = resource_type.trim();
        let mut inherited = false;
        loop {
            if let Some(info) = self.type_info(t) {
                return Some((info, inherited));
            }
            let (parent, _) = t.rsplit_once('/')?;
            if !parent.contains('/') {
                return None;
            }
            t = parent;
            inherited = true;
        }
    }

    /// Every type in the snapshot, in provider order.
    pub fn types(&self) -> impl Iterator<Item = TypeInfo<'_>> {
        self.core.types.iter().map(move |t| TypeInfo { a: self, t })
    }

    /// Number of types in the snapshot.
    pub fn type_count(&self) -> usize {
        self.core.types.len()
    }

    /// Number of provider namespaces in the snapshot.
    pub fn namespace_count(&self) -> usize {
        self.core.namespaces.len()
    }

    /// Every distinct location spelling in the snapshot (types' `locations`
    /// and `zoneMappings`), in order of first appearance.
    pub fn location_spellings(&self) -> impl Iterator<Item = &str> {
        self.core.spellings.iter().map(String::as_str)
    }

    /// Whether any type in the snapshot lists the region (any spelling):
    /// `false` means the region is newer than the snapshot or not a region.
    pub fn snapshot_knows_region(&self, region: &str) -> bool {
        self.region_id(region)
            .is_some_and(|id| self.index.region_in_snapshot[id as usize])
    }

    /// Just the [`Status`] of [`check`](Self::check), without building the
    /// explanation: for hot loops over large estates.
    ///
    /// ```
    /// use azrelo_arm::availability::{Availability, Status};
    /// let a = Availability::embedded();
    /// assert_eq!(a.status("Microsoft.Network/privateDnsZones", "swedencentral"), Status::Global);
    /// ```
    pub fn status(&self, resource_type: &str, region: &str) -> Status {
        let Some((info, _)) = self.type_info_or_parent(resource_type) else {
            return Status::UnknownType;
        };
        let region_id = self.region_id(region);
        let (listed, global) = &self.index.list_regions[info.t.locations as usize];
        if region_id.is_some_and(|id| listed.binary_search(&id).is_ok()) {
            Status::Available
        } else if *global || listed.is_empty() {
            Status::Global
        } else if region_id.is_some_and(|id| self.index.region_in_snapshot[id as usize]) {
            Status::NotListed
        } else {
            Status::UnknownRegion
        }
    }

    /// Whether `resource_type` can be deployed in `region` (any spelling), as
    /// far as the snapshot knows. Never fails: what it does not know is an
    /// unknown status, explained in [`Answer::detail`].
    pub fn check(&self, resource_type: &str, region: &str) -> Answer {
        let region_id = self.region_id(region);
        let region_name = match region_id {
            Some(id) => self.index.region_names[id as usize].clone(),
            None => region.trim().to_string(),
        };
        let snapshot = self.core.as_of;
        let answer = |status, answered_by, zones, detail| Answer {
            resource_type: resource_type.to_string(),
            answered_by,
            region: region_name.clone(),
            status,
            zones,
            snapshot,
            detail,
        };
        let Some((info, inherited)) = self.type_info_or_parent(resource_type) else {
            return answer(
                Status::UnknownType,
                None,
                vec![],
                format!(
                    "the {snapshot} providers snapshot does not list the type {resource_type}; \
                     check the spelling, or ask Azure: az provider show -n {}",
                    resource_type.split('/').next().unwrap_or(resource_type)
                ),
            );
        };
        let provider_type = info.resource_type();
        let child_note = if inherited {
            format!(" ({resource_type} is a child of {provider_type} and lives where it does)")
        } else {
            String::new()
        };
        let (listed, global) = &self.index.list_regions[info.t.locations as usize];
        if let Some(id) = region_id
            && listed.binary_search(&id).is_ok()
        {
            return answer(
                Status::Available,
                Some(provider_type.clone()),
                info.zones_in(region).to_vec(),
                format!(
                    "the {snapshot} providers snapshot lists {region_name} for {provider_type}{child_note}"
                ),
            );
        }
        if *global || listed.is_empty() {
            let why = if *global {
                "its locations include 'global'"
            } else {
                "the provider lists no location for it"
            };
            return answer(
                Status::Global,
                Some(provider_type.clone()),
                vec![],
                format!(
                    "{provider_type} is not a regional type ({why}, {snapshot} snapshot); \
                     it is deployed with location 'global' or inherits its parent's scope{child_note}"
                ),
            );
        }
        let namespace = info.namespace();
        let type_path = info.type_path();
        let verify = format!(
            "verify with: az provider show -n {namespace} --query \"resourceTypes[?resourceType=='{type_path}'].locations\""
        );
        if region_id.is_some_and(|id| self.index.region_in_snapshot[id as usize]) {
            answer(
                Status::NotListed,
                Some(provider_type.clone()),
                vec![],
                format!(
                    "the {snapshot} providers snapshot does not list {region_name} for {provider_type}{child_note}; \
                     that is unknown, not unavailable (the service may have arrived since, and the \
                     snapshot shows one subscription's view: restricted-access regions appear only to \
                     subscriptions granted access) — {verify}"
                ),
            )
        } else {
            let why = if region_id.is_some() {
                "the region is newer than the snapshot"
            } else {
                "it is not a region the catalog knows"
            };
            answer(
                Status::UnknownRegion,
                Some(provider_type.clone()),
                vec![],
                format!(
                    "no type in the {snapshot} providers snapshot lists {region_name} ({why}); \
                     availability of {provider_type} there is unknown — {verify}"
                ),
            )
        }
    }

    // -----------------------------------------------------------------------
    // The compact snapshot format
    // -----------------------------------------------------------------------

    /// Whether two snapshots hold the same facts (date, source aside).
    pub fn same_facts(&self, other: &Availability) -> bool {
        let strip = |c: &Core| Core {
            source: None,
            ..c.clone()
        };
        strip(&self.core) == strip(&other.core)
    }
}

#[cfg(test)]
mod tests;
