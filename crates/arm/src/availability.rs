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

use crate::region::{Regions, normalize};
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// Provenance of the embedded providers snapshot (also the `source` line of
/// `data/providers.snapshot`).
pub const PROVIDERS_SNAPSHOT: &str = "ARM providers API (GET /subscriptions/{id}/providers) via Azure/arm-ttk arm-ttk/cache/AllAzureResources.cache.json @ ee07b0c (MIT), as of 2023-11";

const EMBEDDED: &str = include_str!("../data/providers.snapshot");

/// First line of the compact snapshot format.
const MAGIC: &str = "azrelo-providers-snapshot\t1";

// ---------------------------------------------------------------------------
// Snapshot date
// ---------------------------------------------------------------------------

/// The date a snapshot of ARM was taken: `YYYY-MM` or `YYYY-MM-DD`.
///
/// ```
/// use azrelo_arm::availability::SnapshotDate;
/// let d: SnapshotDate = "2023-11".parse().unwrap();
/// assert_eq!(d.to_string(), "2023-11");
/// assert!(d < "2024-01-15".parse().unwrap());
/// assert!("2023-13".parse::<SnapshotDate>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SnapshotDate {
    year: u16,
    month: u8,
    /// 0 when only the month is known.
    day: u8,
}

impl SnapshotDate {
    /// A date with a day; `None` when out of range.
    pub fn ymd(year: u16, month: u8, day: u8) -> Option<SnapshotDate> {
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(SnapshotDate {
            year,
            month,
            day,
        })
    }

    /// A month; `None` when out of range.
    pub fn ym(year: u16, month: u8) -> Option<SnapshotDate> {
        (1..=12).contains(&month).then_some(SnapshotDate {
            year,
            month,
            day: 0,
        })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    pub fn month(self) -> u8 {
        self.month
    }

    /// The day, when the date has one.
    pub fn day(self) -> Option<u8> {
        (self.day != 0).then_some(self.day)
    }
}

impl fmt::Display for SnapshotDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)?;
        if self.day != 0 {
            write!(f, "-{:02}", self.day)?;
        }
        Ok(())
    }
}

/// `s` is not a `YYYY-MM` or `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a snapshot date (expected YYYY-MM or YYYY-MM-DD, e.g. 2023-11)")]
pub struct DateError(pub String);

impl FromStr for SnapshotDate {
    type Err = DateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DateError(s.to_string());
        let parts: Vec<&str> = s.split('-').collect();
        let num = |p: &str, len: usize| -> Option<u16> {
            (p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        };
        match parts.as_slice() {
            [y, m] => {
                SnapshotDate::ym(num(y, 4).ok_or_else(err)?, num(m, 2).ok_or_else(err)? as u8)
                    .ok_or_else(err)
            }
            [y, m, d] => SnapshotDate::ymd(
                num(y, 4).ok_or_else(err)?,
                num(m, 2).ok_or_else(err)? as u8,
                num(d, 2).ok_or_else(err)? as u8,
            )
            .ok_or_else(err),
            _ => Err(err()),
        }
    }
}

impl Serialize for SnapshotDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

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

    /// Parse the raw body of ARM's providers API
    /// (`GET /subscriptions/{id}/providers`); `as_of` is the date every answer
    /// carries (today, for a live call). Region spellings are resolved with
    /// the embedded region catalog.
    ///
    /// ```
    /// use azrelo_arm::availability::{Availability, Status};
    /// let body = br#"{"value":[{"namespace":"Contoso.Widgets","resourceTypes":[
    ///     {"resourceType":"widgets","locations":["West Europe","Sweden Central"],
    ///      "apiVersions":["2024-01-01-preview","2023-06-01"]}]}]}"#;
    /// let a = Availability::from_providers_response(body, "2024-02-01".parse().unwrap()).unwrap();
    /// assert_eq!(a.check("contoso.widgets/widgets", "westeurope").status, Status::Available);
    /// assert_eq!(a.type_info("Contoso.Widgets/widgets").unwrap().newest_stable_api_version(), Some("2023-06-01"));
    /// ```
    pub fn from_providers_response(
        body: &[u8],
        as_of: SnapshotDate,
    ) -> Result<Availability, AvailabilityError> {
        Availability::from_providers_response_with(body, as_of, Regions::embedded())
    }

    /// [`from_providers_response`](Self::from_providers_response) with a
    /// region catalog of your own (e.g. from a live locations call).
    pub fn from_providers_response_with(
        body: &[u8],
        as_of: SnapshotDate,
        regions: &Regions,
    ) -> Result<Availability, AvailabilityError> {
        let v: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| AvailabilityError::Json {
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
        let list = v
            .get("value")
            .and_then(|x| x.as_array())
            .ok_or(AvailabilityError::Shape)?;
        let mut core = Core {
            as_of,
            source: None,
            spellings: vec![],
            versions: vec![],
            location_lists: vec![],
            version_lists: vec![],
            namespaces: vec![],
            types: vec![],
        };
        let mut int = Interner::default();
        for (i, p) in list.iter().enumerate() {
            let ppath = || format!("value[{i}]");
            let ns = str_at(p, "namespace", &ppath)?
                .ok_or_else(|| field_err(format!("value[{i}].namespace"), "missing"))?;
            let ns_idx = core.namespaces.len() as u32;
            core.namespaces.push(ns.to_string());
            let rts = match p.get("resourceTypes") {
                None | Some(serde_json::Value::Null) => continue,
                Some(serde_json::Value::Array(a)) => a,
                Some(_) => {
                    return Err(field_err(
                        format!("value[{i}].resourceTypes"),
                        "expected an array",
                    ));
                }
            };
            for (j, t) in rts.iter().enumerate() {
                let path = || format!("value[{i}].resourceTypes[{j}]");
                let name = str_at(t, "resourceType", &path)?
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| {
                        field_err(
                            format!("value[{i}].resourceTypes[{j}].resourceType"),
                            "missing",
                        )
                    })?;
                let locs: Vec<u32> = strings_at(t, "locations", &path)?
                    .into_iter()
                    .map(|l| intern(&mut int.spellings, &mut core.spellings, l.to_string()))
                    .collect();
                let vers: Vec<u32> = strings_at(t, "apiVersions", &path)?
                    .into_iter()
                    .map(|x| intern(&mut int.versions, &mut core.versions, x.to_string()))
                    .collect();
                let default_version = str_at(t, "defaultApiVersion", &path)?
                    .map(|x| intern(&mut int.versions, &mut core.versions, x.to_string()));
                let mut zones = vec![];
                if let Some(zm) = t.get("zoneMappings").and_then(|x| x.as_array()) {
                    for (k, z) in zm.iter().enumerate() {
                        let zpath = || format!("value[{i}].resourceTypes[{j}].zoneMappings[{k}]");
                        let Some(loc) = str_at(z, "location", &zpath)? else {
                            return Err(field_err(format!("{}.location", zpath()), "missing"));
                        };
                        let s = intern(&mut int.spellings, &mut core.spellings, loc.to_string());
                        let zs = strings_at(z, "zones", &zpath)?
                            .into_iter()
                            .map(str::to_string)
                            .collect();
                        zones.push((s, zs));
                    }
                }
                core.types.push(TypeEntry {
                    namespace: ns_idx,
                    name: name.to_string(),
                    locations: intern(&mut int.location_lists, &mut core.location_lists, locs),
                    versions: intern(&mut int.version_lists, &mut core.version_lists, vers),
                    default_version,
                    zones,
                });
            }
        }
        Ok(Availability::index(core, regions))
    }

    /// Build the lookup structures for a parsed core.
    fn index(core: Core, regions: &Regions) -> Availability {
        let mut by_type = HashMap::with_capacity(core.types.len());
        for (i, t) in core.types.iter().enumerate() {
            let key = format!("{}/{}", core.namespaces[t.namespace as usize], t.name)
                .to_ascii_lowercase();
            // ARM namespaces and types are unique case-insensitively; if a body
            // repeats one, the first entry wins.
            by_type.entry(key).or_insert(i as u32);
        }
        // Region ids 0..n are the catalog's regions; spellings the catalog
        // does not know get ids after them.
        let mut region_by_spelling: HashMap<String, u32> = regions
            .index_entries()
            .map(|(k, i)| (k.to_string(), i as u32))
            .collect();
        let mut region_names: Vec<String> = regions.all().iter().map(|r| r.name.clone()).collect();
        let mut spelling_region = Vec::with_capacity(core.spellings.len());
        for s in &core.spellings {
            let n = normalize(s);
            if n == "global" {
                spelling_region.push(None);
                continue;
            }
            let id = match region_by_spelling.get(&n) {
                Some(&id) => id,
                None => {
                    let id = region_names.len() as u32;
                    region_names.push(n.clone());
                    region_by_spelling.insert(n, id);
                    id
                }
            };
            spelling_region.push(Some(id));
        }
        let mut region_in_snapshot = vec![false; region_names.len()];
        let list_regions = core
            .location_lists
            .iter()
            .map(|list| {
                let mut ids = vec![];
                let mut global = false;
                for &s in list {
                    match spelling_region[s as usize] {
                        Some(id) => {
                            region_in_snapshot[id as usize] = true;
                            ids.push(id);
                        }
                        None => global = true,
                    }
                }
                ids.sort_unstable();
                ids.dedup();
                (ids, global)
            })
            .collect();
        Availability {
            index: Index {
                by_type,
                region_by_spelling,
                region_names,
                region_in_snapshot,
                spelling_region,
                list_regions,
            },
            core,
        }
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

    /// Write the parsed model in azrelo's compact snapshot format (what
    /// `data/providers.snapshot` holds), with `source` as its provenance line.
    ///
    /// The format is line-oriented, tab-separated UTF-8; text fields escape
    /// `%`, tab, CR, LF, `,`, `;` and `=` as `%XX`:
    ///
    /// ```text
    /// azrelo-providers-snapshot<TAB>1
    /// as-of<TAB>2023-11
    /// source<TAB>…provenance…
    /// loc<TAB>West Europe                      (location spelling #0, #1, …)
    /// ver<TAB>2023-07-01                       (api version #0, #1, …)
    /// locs<TAB>0,1,2                           (location list #0, #1, …)
    /// vers<TAB>0,1                             (api-version list #0, #1, …)
    /// ns<TAB>Microsoft.KeyVault                (namespace of the type lines below)
    /// type<TAB>vaults<TAB>locs#<TAB>vers#<TAB>default ver# or -<TAB>loc#=1,2,3;loc#=… or -
    /// ```
    ///
    /// [`from_snapshot`](Self::from_snapshot) reads it back into an equal model.
    pub fn to_snapshot(&self, source: &str) -> String {
        let c = &self.core;
        let mut out = String::with_capacity(512 * 1024);
        let join = |v: &[u32]| v.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        out.push_str(MAGIC);
        out.push('\n');
        out.push_str(&format!("as-of\t{}\n", c.as_of));
        out.push_str(&format!("source\t{}\n", escape(source)));
        for s in &c.spellings {
            out.push_str(&format!("loc\t{}\n", escape(s)));
        }
        for s in &c.versions {
            out.push_str(&format!("ver\t{}\n", escape(s)));
        }
        for l in &c.location_lists {
            out.push_str(&format!("locs\t{}\n", join(l)));
        }
        for l in &c.version_lists {
            out.push_str(&format!("vers\t{}\n", join(l)));
        }
        let mut ns = None;
        for t in &c.types {
            if ns != Some(t.namespace) {
                ns = Some(t.namespace);
                out.push_str(&format!(
                    "ns\t{}\n",
                    escape(&c.namespaces[t.namespace as usize])
                ));
            }
            let default = t
                .default_version
                .map_or_else(|| "-".to_string(), |d| d.to_string());
            let zones = if t.zones.is_empty() {
                "-".to_string()
            } else {
                t.zones
                    .iter()
                    .map(|(l, z)| {
                        let z: Vec<String> = z.iter().map(|x| escape(x)).collect();
                        format!("{l}={}", z.join(","))
                    })
                    .collect::<Vec<_>>()
                    .join(";")
            };
            out.push_str(&format!(
                "type\t{}\t{}\t{}\t{default}\t{zones}\n",
                escape(&t.name),
                t.locations,
                t.versions
            ));
        }
        // Namespaces without types still belong to the model.
        let mut seen = vec![false; c.namespaces.len()];
        for t in &c.types {
            seen[t.namespace as usize] = true;
        }
        for (i, n) in c.namespaces.iter().enumerate() {
            if !seen[i] {
                out.push_str(&format!("ns-empty\t{i}\t{}\n", escape(n)));
            }
        }
        out
    }

    /// Read a snapshot written by [`to_snapshot`](Self::to_snapshot), resolving
    /// region spellings with the embedded region catalog.
    pub fn from_snapshot(text: &str) -> Result<Availability, AvailabilityError> {
        Availability::from_snapshot_with(text, Regions::embedded())
    }

    /// [`from_snapshot`](Self::from_snapshot) with a region catalog of your own.
    pub fn from_snapshot_with(
        text: &str,
        regions: &Regions,
    ) -> Result<Availability, AvailabilityError> {
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let bad = |line: usize, message: String| AvailabilityError::Snapshot { line, message };
        match lines.next() {
            Some((_, l)) if l == MAGIC => {}
            _ => {
                return Err(bad(
                    1,
                    format!("expected the header '{}'", MAGIC.replace('\t', "<TAB>")),
                ));
            }
        }
        let mut as_of = None;
        let mut core = Core {
            as_of: SnapshotDate::ym(1970, 1).expect("valid"),
            source: None,
            spellings: vec![],
            versions: vec![],
            location_lists: vec![],
            version_lists: vec![],
            namespaces: vec![],
            types: vec![],
        };
        // Namespaces are recorded in order of appearance; `ns-empty` lines put
        // type-less namespaces back at their original index.
        let mut namespaces: Vec<(usize, String)> = vec![];
        let mut empty_namespaces: Vec<(usize, String)> = vec![];
        let mut current_ns: Option<u32> = None;
        for (n, line) in lines {
            let fields: Vec<&str> = line.split('\t').collect();
            let index = |s: &str, len: usize, what: &str| -> Result<u32, AvailabilityError> {
                s.parse::<u32>()
                    .ok()
                    .filter(|&i| (i as usize) < len)
                    .ok_or_else(|| bad(n, format!("'{s}' is not a valid {what} index")))
            };
            let list = |s: &str, len: usize, what: &str| -> Result<Vec<u32>, AvailabilityError> {
                if s.is_empty() {
                    return Ok(vec![]);
                }
                s.split(',').map(|x| index(x, len, what)).collect()
            };
            match fields.as_slice() {
                ["as-of", d] => {
                    as_of = Some(
                        d.parse::<SnapshotDate>()
                            .map_err(|e| bad(n, e.to_string()))?,
                    )
                }
                ["source", s] => core.source = Some(unescape(s).map_err(|e| bad(n, e))?),
                ["loc", s] => core.spellings.push(unescape(s).map_err(|e| bad(n, e))?),
                ["ver", s] => core.versions.push(unescape(s).map_err(|e| bad(n, e))?),
                ["locs", l] => {
                    let l = list(l, core.spellings.len(), "location")?;
                    core.location_lists.push(l);
                }
                ["vers", l] => {
                    let l = list(l, core.versions.len(), "api version")?;
                    core.version_lists.push(l);
                }
                ["ns", s] => {
                    let name = unescape(s).map_err(|e| bad(n, e))?;
                    current_ns = Some(namespaces.len() as u32);
                    namespaces.push((namespaces.len(), name));
                }
                ["ns-empty", i, s] => {
                    let i = i
                        .parse::<usize>()
                        .map_err(|_| bad(n, format!("'{i}' is not a namespace index")))?;
                    empty_namespaces.push((i, unescape(s).map_err(|e| bad(n, e))?));
                }
                ["type", name, locs, vers, default, zones] => {
                    let namespace = current_ns
                        .ok_or_else(|| bad(n, "a type line before any 'ns' line".into()))?;
                    let default_version = match *default {
                        "-" => None,
                        d => Some(index(d, core.versions.len(), "api version")?),
                    };
                    let zones = match *zones {
                        "-" => vec![],
                        z => z
                            .split(';')
                            .map(|m| {
                                let (l, zs) = m.split_once('=').ok_or_else(|| {
                                    bad(n, format!("zone mapping '{m}' has no '='"))
                                })?;
                                let l = index(l, core.spellings.len(), "location")?;
                                let zs = if zs.is_empty() {
                                    vec![]
                                } else {
                                    zs.split(',')
                                        .map(|x| unescape(x).map_err(|e| bad(n, e)))
                                        .collect::<Result<_, _>>()?
                                };
                                Ok((l, zs))
                            })
                            .collect::<Result<_, AvailabilityError>>()?,
                    };
                    core.types.push(TypeEntry {
                        namespace,
                        name: unescape(name).map_err(|e| bad(n, e))?,
                        locations: index(locs, core.location_lists.len(), "location list")?,
                        versions: index(vers, core.version_lists.len(), "api-version list")?,
                        default_version,
                        zones,
                    });
                }
                [""] => {}
                _ => {
                    return Err(bad(
                        n,
                        format!(
                            "unrecognised line '{}'",
                            line.chars().take(60).collect::<String>()
                        ),
                    ));
                }
            }
        }
        core.as_of = as_of.ok_or_else(|| bad(1, "no 'as-of' line".into()))?;
        // Re-insert type-less namespaces at their original positions, shifting
        // the namespace index of the types after them.
        empty_namespaces.sort_by_key(|(i, _)| *i);
        let mut names: Vec<String> = namespaces.into_iter().map(|(_, s)| s).collect();
        let mut remap: Vec<u32> = (0..names.len() as u32).collect();
        for (i, name) in empty_namespaces {
            if i > names.len() {
                return Err(bad(0, format!("empty namespace index {i} out of range")));
            }
            names.insert(i, name);
            for r in remap.iter_mut() {
                if *r as usize >= i {
                    *r += 1;
                }
            }
        }
        for t in &mut core.types {
            t.namespace = remap[t.namespace as usize];
        }
        core.namespaces = names;
        Ok(Availability::index(core, regions))
    }

    /// Whether two snapshots hold the same facts (date, source aside).
    pub fn same_facts(&self, other: &Availability) -> bool {
        let strip = |c: &Core| Core {
            source: None,
            ..c.clone()
        };
        strip(&self.core) == strip(&other.core)
    }
}

const ESCAPED: &[char] = &['%', '\t', '\r', '\n', ',', ';', '='];

fn escape(s: &str) -> String {
    if !s.contains(ESCAPED) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if ESCAPED.contains(&c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn unescape(s: &str) -> Result<String, String> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let hex: String = chars.by_ref().take(2).collect();
        let b = u8::from_str_radix(&hex, 16)
            .ok()
            .filter(|b| b.is_ascii())
            .ok_or_else(|| format!("bad escape '%{hex}'"))?;
        out.push(b as char);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> SnapshotDate {
        s.parse().unwrap()
    }

    #[test]
    fn statuses() {
        let a = Availability::embedded();
        assert_eq!(
            a.check("microsoft.keyvault/VAULTS", "westeurope").status,
            Status::Available
        );
        assert_eq!(
            a.check("Microsoft.Network/privateDnsZones", "westeurope")
                .status,
            Status::Global
        );
        assert_eq!(
            a.check("Contoso.Nope/things", "westeurope").status,
            Status::UnknownType
        );
        let atl = a.check("Microsoft.KeyVault/vaults", "atlantis");
        assert_eq!(atl.status, Status::UnknownRegion);
        assert!(atl.detail.contains("not a region the catalog knows"));
        let child = a.check("Microsoft.Network/virtualNetworks/subnets", "West Europe");
        assert_eq!(child.status, Status::Available, "{child:?}");
        let deep = a.check("Microsoft.Sql/servers/databases/unlisted", "West Europe");
        assert_eq!(deep.status, Status::Available, "{deep:?}");
        assert_eq!(
            deep.answered_by.as_deref(),
            Some("Microsoft.Sql/servers/databases")
        );
        assert!(
            deep.detail
                .contains("is a child of Microsoft.Sql/servers/databases")
        );
    }

    #[test]
    fn every_answer_carries_the_snapshot_date() {
        let a = Availability::embedded();
        for t in ["Microsoft.KeyVault/vaults", "Nope.Nope/x"] {
            for r in ["swedencentral", "spaincentral", "atlantis"] {
                assert_eq!(a.check(t, r).snapshot, date("2023-11"));
            }
        }
    }

    #[test]
    fn zones_and_api_versions() {
        let a = Availability::embedded();
        let info = a.type_info("Microsoft.Compute/virtualMachines").unwrap();
        assert!(
            info.api_versions().count() > 20,
            "all api versions are kept"
        );
        let stable = info.newest_stable_api_version().unwrap();
        assert!(is_stable(stable));
        assert!(info.newest_api_version().unwrap() >= stable);
        let web = a.check("Microsoft.Web/hostingEnvironments", "West Europe");
        assert_eq!(web.zones, ["1", "2", "3"]);
    }

    #[test]
    fn version_order() {
        let mut v = vec![
            "2023-01-01-preview",
            "2023-01-01",
            "2022-12-01",
            "2023-02-01-preview",
        ];
        v.sort_by(|a, b| version_key(a).cmp(&version_key(b)));
        assert_eq!(
            v,
            [
                "2022-12-01",
                "2023-01-01-preview",
                "2023-01-01",
                "2023-02-01-preview"
            ]
        );
    }

    const MIXED: &[u8] = br#"{"value":[
        {"namespace":"Contoso.Edge","registrationState":"Registered","resourceTypes":[
          {"resourceType":"policies","locations":["global","West Europe"],"apiVersions":["2022-05-01"]},
          {"resourceType":"operations","locations":[],"apiVersions":["2022-05-01"]},
          {"resourceType":"caches","locations":["North Europe","MSFT Nowhere"],"apiVersions":["2022-05-01","2021-01-01-preview"],
           "defaultApiVersion":"2022-05-01",
           "zoneMappings":[{"location":"North Europe","zones":["2","1"]}]}
        ]},
        {"namespace":"Contoso.Empty"}
    ]}"#;

    #[test]
    fn global_precision() {
        let a = Availability::from_providers_response(MIXED, date("2024-05-02")).unwrap();
        // Listed region of a type that also lists global → available.
        assert_eq!(
            a.check("Contoso.Edge/policies", "westeurope").status,
            Status::Available
        );
        // Not listed, but the type is global → global.
        assert_eq!(
            a.check("Contoso.Edge/policies", "northeurope").status,
            Status::Global
        );
        // No locations at all → global.
        assert_eq!(
            a.check("Contoso.Edge/operations", "eastus").status,
            Status::Global
        );
        // Region known to the snapshot, not listed → not listed.
        assert_eq!(
            a.check("Contoso.Edge/caches", "West Europe").status,
            Status::NotListed
        );
        // Region in the catalog but absent from the snapshot → unknown region.
        let sc = a.check("Contoso.Edge/caches", "Sweden Central");
        assert_eq!(sc.status, Status::UnknownRegion);
        assert!(
            sc.detail.contains("newer than the snapshot"),
            "{}",
            sc.detail
        );
        // A spelling the catalog does not know still answers when listed.
        assert_eq!(
            a.check("Contoso.Edge/caches", "msft nowhere").status,
            Status::Available
        );
        let ne = a.check("CONTOSO.EDGE/CACHES", "(Europe) North Europe");
        assert_eq!(ne.zones, ["2", "1"]);
        assert_eq!(ne.snapshot.to_string(), "2024-05-02");
        assert_eq!(a.namespace_count(), 2);
    }

    #[test]
    fn snapshot_round_trip() {
        let a = Availability::from_providers_response(MIXED, date("2024-05-02")).unwrap();
        let text = a.to_snapshot("test; source=%\tx");
        let b = Availability::from_snapshot(&text).unwrap();
        assert_eq!(
            a.core,
            Core {
                source: None,
                ..b.core.clone()
            }
        );
        assert_eq!(b.source(), Some("test; source=%\tx"));
        assert_eq!(b.to_snapshot("test; source=%\tx"), text);
        assert!(a.same_facts(&b));
    }

    #[test]
    fn escapes() {
        for s in ["plain", "a,b;c=d%e\tf\ng\r", "Zürich %41"] {
            assert_eq!(unescape(&escape(s)).unwrap(), s);
        }
        assert!(unescape("%G1").is_err());
        assert!(unescape("%").is_err());
    }

    #[test]
    fn bad_bodies_say_where() {
        let d = date("2023-11");
        assert!(matches!(
            Availability::from_providers_response(b"{", d),
            Err(AvailabilityError::Json { .. })
        ));
        assert_eq!(
            Availability::from_providers_response(b"[]", d).unwrap_err(),
            AvailabilityError::Shape
        );
        let e = Availability::from_providers_response(br#"{"value":[{}]}"#, d).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the providers response is malformed at value[0].namespace: missing"
        );
        let e = Availability::from_providers_response(
            br#"{"value":[{"namespace":"A.B","resourceTypes":[{"resourceType":"x","locations":["a",3]}]}]}"#,
            d,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the providers response is malformed at value[0].resourceTypes[0].locations[1]: expected a string"
        );
    }

    #[test]
    fn bad_snapshots_say_where() {
        assert!(matches!(
            Availability::from_snapshot("nope"),
            Err(AvailabilityError::Snapshot { line: 1, .. })
        ));
        let text = format!("{MAGIC}\nas-of\t2023-11\nlocs\t0\n");
        assert_eq!(
            Availability::from_snapshot(&text).unwrap_err(),
            AvailabilityError::Snapshot {
                line: 3,
                message: "'0' is not a valid location index".into()
            }
        );
        let text = format!("{MAGIC}\nas-of\t2023-11\nns\tA.B\ntype\tx\t0\t0\t-\t-\n");
        assert!(matches!(
            Availability::from_snapshot(&text),
            Err(AvailabilityError::Snapshot { line: 4, .. })
        ));
        let text = format!("{MAGIC}\nas-of\t2023-13\n");
        assert!(Availability::from_snapshot(&text).is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(date("2023-11-05").to_string(), "2023-11-05");
        assert_eq!(date("2023-11-05").day(), Some(5));
        for bad in [
            "2023",
            "23-11",
            "2023-1",
            "2023-00",
            "2023-11-32",
            "x-y-z",
            "",
        ] {
            assert!(bad.parse::<SnapshotDate>().is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&date("2023-11")).unwrap(),
            "\"2023-11\""
        );
    }
}
