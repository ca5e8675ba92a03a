//! Resource-type availability per region, from a snapshot of ARM's providers API.
//!
//! The embedded snapshot (`data/providers.json`, the body of
//! `GET /subscriptions/{id}/providers` reduced by `data/refresh.py`) is from
//! **November 2023**, older than the region catalog. So an answer is honest
//! about what it does not know:
//!
//! * [`Status::Available`] — the snapshot lists the region for the type;
//! * [`Status::Global`] — the type is not regional (its only location is `global`);
//! * [`Status::NotListed`] — the region existed at snapshot time but is not
//!   listed for the type: *unknown* today (the service may have arrived since);
//! * [`Status::UnknownRegion`] — the region does not appear anywhere in the
//!   snapshot (opened later): *unknown*;
//! * [`Status::UnknownType`] — the snapshot does not know the type.
//!
//! Only `Available` and `Global` are positive; none of the others means
//! "unavailable". Every answer carries the snapshot date.
//!
//! ```
//! use azrelo_arm::availability::{Availability, Status};
//! let a = Availability::embedded();
//! let ans = a.check("Microsoft.KeyVault/vaults", "West Europe");
//! assert_eq!(ans.status, Status::Available);
//! assert_eq!(ans.snapshot, "2023-11");
//! ```

use crate::region::{Regions, normalize};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Date of the embedded providers snapshot.
pub const SNAPSHOT_DATE: &str = "2023-11";
/// Provenance of the embedded providers snapshot.
pub const PROVIDERS_SNAPSHOT: &str = "ARM providers API via Azure/arm-ttk cache/AllAzureResources.cache.json @ ee07b0c, as of 2023-11";

const EMBEDDED: &str = include_str!("../data/providers.json");

/// The availability of one type in one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Available,
    Global,
    NotListed,
    UnknownRegion,
    UnknownType,
}

impl Status {
    /// Whether the snapshot positively says the type can be deployed there.
    pub fn is_available(self) -> bool {
        matches!(self, Status::Available | Status::Global)
    }

    /// Short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Status::Available => "available",
            Status::Global => "global",
            Status::NotListed => "unknown (not listed)",
            Status::UnknownRegion => "unknown (region newer than snapshot)",
            Status::UnknownType => "unknown (type not in snapshot)",
        }
    }
}

/// An answer about one type in one region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub resource_type: String,
    /// Canonical region name when the region is known to the catalog, else the input.
    pub region: String,
    pub status: Status,
    /// Availability zones the snapshot lists for the type in this region.
    pub zones: Vec<String>,
    /// Date of the snapshot the answer comes from.
    pub snapshot: &'static str,
    /// One sentence explaining the status.
    pub detail: String,
}

/// What the snapshot says about one resource type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeInfo {
    /// `Namespace/type[/child]` as the provider spells it.
    pub resource_type: String,
    /// Locations as listed (provider spelling).
    pub locations: Vec<String>,
    /// Newest first, as the provider lists them.
    pub api_versions: Vec<String>,
    pub default_api_version: Option<String>,
    /// Zones per location (provider spelling of the location).
    pub zone_mappings: Vec<(String, Vec<String>)>,
    #[serde(skip)]
    normalized: HashSet<String>,
    #[serde(skip)]
    global: bool,
}

impl TypeInfo {
    /// The newest non-preview api version, else the newest.
    pub fn newest_stable_api_version(&self) -> Option<&str> {
        self.api_versions
            .iter()
            .find(|v| !v.contains("preview"))
            .or(self.api_versions.first())
            .map(String::as_str)
    }
}

/// Why a providers body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AvailabilityError {
    #[error("the providers response is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "the providers response has no 'value' array (expected the body of GET /subscriptions/{{id}}/providers)"
    )]
    Shape,
    #[error("provider #{index} has no 'namespace'")]
    MissingNamespace { index: usize },
}

/// The type → regions index.
#[derive(Debug, Clone)]
pub struct Availability {
    types: HashMap<String, TypeInfo>,
    known_regions: HashSet<String>,
    snapshot: &'static str,
}

fn s(v: &serde_json::Value, k: &str) -> Option<String> {
    v.get(k).and_then(|x| x.as_str()).map(str::to_string)
}

fn strings(v: &serde_json::Value, k: &str) -> Vec<String> {
    v.get(k)
        .and_then(|x| x.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Canonical key of a location spelling: the catalog name when known.
fn region_key(regions: &Regions, spelling: &str) -> String {
    regions
        .get(spelling)
        .map(|r| r.name.clone())
        .unwrap_or_else(|| normalize(spelling))
}

impl Availability {
    /// The embedded snapshot (parsed once, on first use).
    pub fn embedded() -> &'static Availability {
        static CELL: OnceLock<Availability> = OnceLock::new();
        CELL.get_or_init(|| {
            Availability::from_providers_response(EMBEDDED.as_bytes(), SNAPSHOT_DATE)
                .unwrap_or_else(|e| panic!("embedded providers snapshot is invalid: {e}"))
        })
    }

    /// Parse the body of ARM's providers API; `as_of` is the snapshot date
    /// carried by every answer (`"live"` for a fresh call).
    pub fn from_providers_response(
        body: &[u8],
        as_of: &'static str,
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
        let regions = Regions::embedded();
        let mut types = HashMap::new();
        let mut known_regions = HashSet::new();
        for (index, p) in list.iter().enumerate() {
            let ns = s(p, "namespace").ok_or(AvailabilityError::MissingNamespace { index })?;
            let Some(rts) = p.get("resourceTypes").and_then(|x| x.as_array()) else {
                continue;
            };
            for t in rts {
                let Some(rt) = s(t, "resourceType") else {
                    continue;
                };
                let full = format!("{ns}/{rt}");
                let locations = strings(t, "locations");
                let normalized: HashSet<String> =
                    locations.iter().map(|l| region_key(regions, l)).collect();
                let global = !locations.is_empty() && normalized.iter().all(|l| l == "global");
                known_regions.extend(normalized.iter().cloned());
                let zone_mappings = t
                    .get("zoneMappings")
                    .and_then(|x| x.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|z| Some((s(z, "location")?, strings(z, "zones"))))
                            .collect()
                    })
                    .unwrap_or_default();
                types.insert(
                    full.to_ascii_lowercase(),
                    TypeInfo {
                        resource_type: full,
                        locations,
                        api_versions: strings(t, "apiVersions"),
                        default_api_version: s(t, "defaultApiVersion"),
                        zone_mappings,
                        normalized,
                        global,
                    },
                );
            }
        }
        Ok(Availability {
            types,
            known_regions,
            snapshot: as_of,
        })
    }

    /// The snapshot date answers carry.
    pub fn snapshot(&self) -> &'static str {
        self.snapshot
    }

    /// What the snapshot knows about a type (case-insensitive).
    pub fn type_info(&self, resource_type: &str) -> Option<&TypeInfo> {
        self.types.get(&resource_type.to_ascii_lowercase())
    }

    /// The type's own entry, or for a child type the provider does not list
    /// separately (e.g. `Microsoft.Network/virtualNetworks/subnets`) the entry
    /// of its nearest listed ancestor: child resources live where their parent
    /// lives and share its api versions. The second value is true when an
    /// ancestor answered.
    pub fn type_info_or_parent(&self, resource_type: &str) -> Option<(&TypeInfo, bool)> {
        let mut t = resource_type;
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

    /// Number of types in the snapshot.
    pub fn type_count(&self) -> usize {
        self.types.len()
    }

    /// Every distinct location spelling in the snapshot.
    pub fn location_spellings(&self) -> HashSet<&str> {
        self.types
            .values()
            .flat_map(|t| t.locations.iter().map(String::as_str))
            .collect()
    }

    /// Whether `resource_type` can be deployed in `region`, as far as the
    /// snapshot knows.
    pub fn check(&self, resource_type: &str, region: &str) -> Answer {
        let regions = Regions::embedded();
        let key = region_key(regions, region);
        let region_name = regions
            .get(region)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| region.to_string());
        let answer = |status: Status, zones: Vec<String>, detail: String| Answer {
            resource_type: resource_type.to_string(),
            region: region_name.clone(),
            status,
            zones,
            snapshot: self.snapshot,
            detail,
        };
        let Some((info, inherited)) = self.type_info_or_parent(resource_type) else {
            return answer(
                Status::UnknownType,
                vec![],
                format!(
                    "the {} provider snapshot does not list the type {resource_type}; check `az provider show` for the target subscription",
                    self.snapshot
                ),
            );
        };
        if info.global || info.locations.is_empty() {
            return answer(
                Status::Global,
                vec![],
                format!(
                    "{} is not a regional type (location 'global')",
                    info.resource_type
                ),
            );
        }
        if info.normalized.contains(&key) {
            let zones = info
                .zone_mappings
                .iter()
                .find(|(l, _)| region_key(regions, l) == key)
                .map(|(_, z)| z.clone())
                .unwrap_or_default();
            return answer(
                Status::Available,
                zones,
                if inherited {
                    format!(
                        "{resource_type} is a child of {}, which is offered in {region_name} (providers snapshot {})",
                        info.resource_type, self.snapshot
                    )
                } else {
                    format!(
                        "{} is offered in {region_name} (providers snapshot {})",
                        info.resource_type, self.snapshot
                    )
                },
            );
        }
        if self.known_regions.contains(&key) {
            answer(
                Status::NotListed,
                vec![],
                format!(
                    "the {} snapshot does not list {region_name} for {}; it may have arrived since — verify with `az provider show -n {} --query \"resourceTypes[?resourceType=='{}'].locations\"`",
                    self.snapshot,
                    info.resource_type,
                    info.resource_type.split('/').next().unwrap_or(""),
                    info.resource_type.split_once('/').map_or("", |x| x.1)
                ),
            )
        } else {
            answer(
                Status::UnknownRegion,
                vec![],
                format!(
                    "{region_name} does not appear in the {} providers snapshot (newer region or unknown spelling); availability is unknown",
                    self.snapshot
                ),
            )
        }
    }

    /// Every region the snapshot lists for a type, as canonical names where
    /// the catalog knows them, with their zones.
    pub fn regions_for(&self, resource_type: &str) -> Option<Vec<(String, Vec<String>)>> {
        let regions = Regions::embedded();
        let (info, _) = self.type_info_or_parent(resource_type)?;
        let mut out: Vec<(String, Vec<String>)> = info
            .locations
            .iter()
            .map(|l| {
                let zones = info
                    .zone_mappings
                    .iter()
                    .find(|(z, _)| normalize(z) == normalize(l))
                    .map(|(_, z)| z.clone())
                    .unwrap_or_default();
                (region_key(regions, l), zones)
            })
            .collect();
        out.sort();
        out.dedup_by(|a, b| a.0 == b.0);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(
            a.check("Microsoft.KeyVault/vaults", "atlantis").status,
            Status::UnknownRegion
        );
        let child = a.check("Microsoft.Network/virtualNetworks/subnets", "West Europe");
        assert_eq!(child.status, Status::Available, "{child:?}");
        assert!(
            child
                .detail
                .contains("child of Microsoft.Network/virtualNetworks")
        );
    }

    #[test]
    fn every_answer_carries_the_snapshot_date() {
        let a = Availability::embedded();
        for t in ["Microsoft.KeyVault/vaults", "Nope.Nope/x"] {
            assert_eq!(a.check(t, "swedencentral").snapshot, "2023-11");
        }
    }

    #[test]
    fn zones_and_api_versions() {
        let a = Availability::embedded();
        let info = a.type_info("Microsoft.Compute/virtualMachines").unwrap();
        assert!(!info.api_versions.is_empty());
        assert!(info.newest_stable_api_version().is_some());
    }
}
