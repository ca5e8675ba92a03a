//! The Azure region catalog.
//!
//! Built from the body of ARM's locations API
//! (`GET /subscriptions/{id}/locations?api-version=2022-12-01`). The embedded
//! snapshot (`data/locations.json`, as of 2026-03) is read by the same parser a
//! live refresh uses: [`Regions::from_locations_response`].
//!
//! Lookup accepts every spelling users and Azure produce — `westeurope`,
//! `West Europe`, `WEST EUROPE`, `(Europe) West Europe`, `Australia SouthEast`
//! — by normalising to lower-case ASCII alphanumerics after stripping a
//! `(Geography) ` prefix.
//!
//! ```
//! let regions = azrelo_arm::region::Regions::embedded();
//! let we = regions.get("(Europe) West Europe").unwrap();
//! assert_eq!(we.name, "westeurope");
//! assert_eq!(we.paired_regions, ["northeurope"]);
//! assert_eq!(we.zones.len(), 3);
//! ```

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Provenance of the embedded snapshot.
pub const LOCATIONS_SNAPSHOT: &str = "ARM locations API (api-version 2022-12-01) via Azure/terraform-azurerm-avm-utl-regions @ 9064b20b, as of 2026-03";

const EMBEDDED: &str = include_str!("../data/locations.json");

/// Physical regions host resources; logical ones (`europe`, `asia`, …) group them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionType {
    Physical,
    Logical,
}

/// A logical availability zone of a subscription and the physical zone it maps to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneMapping {
    pub logical_zone: String,
    pub physical_zone: String,
}

/// One Azure region, as ARM's locations API describes it.
///
/// ```
/// let r = azrelo_arm::Regions::embedded().get("Sweden Central").unwrap();
/// assert!(r.is_physical());
/// assert_eq!(r.geography.as_deref(), Some("Sweden"));
/// assert_eq!(r.paired_regions, ["swedensouth"]);
/// assert_eq!(r.zones.iter().map(|z| z.logical_zone.as_str()).collect::<Vec<_>>(), ["1", "2", "3"]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Programmatic name, e.g. `westeurope`.
    pub name: String,
    /// e.g. `West Europe`.
    pub display_name: String,
    /// e.g. `(Europe) West Europe`.
    pub regional_display_name: String,
    pub region_type: RegionType,
    /// `Recommended`, `Other`, …
    pub category: Option<String>,
    pub geography: Option<String>,
    pub geography_group: Option<String>,
    pub physical_location: Option<String>,
    /// Paired region names (programmatic), usually one.
    pub paired_regions: Vec<String>,
    /// Availability zones; empty when the region has none.
    pub zones: Vec<ZoneMapping>,
    pub latitude: Option<String>,
    pub longitude: Option<String>,
}

impl Region {
    /// Whether the region hosts resources (as opposed to a logical grouping
    /// such as `europe` or `unitedstates`).
    pub fn is_physical(&self) -> bool {
        self.region_type == RegionType::Physical
    }

    /// Whether the region has availability zones.
    pub fn has_zones(&self) -> bool {
        !self.zones.is_empty()
    }

    /// The physical zone a logical zone (`"1"`, `"2"`, `"3"`) maps to for the
    /// subscription the catalog was read with (the mapping differs per
    /// subscription).
    pub fn physical_zone(&self, logical: &str) -> Option<&str> {
        self.zones
            .iter()
            .find(|z| z.logical_zone == logical)
            .map(|z| z.physical_zone.as_str())
    }
}

/// Why a locations body could not be read.
#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    #[error("the locations response is not valid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "the locations response has no 'value' array (expected the body of GET /subscriptions/{{id}}/locations)"
    )]
    Shape,
    #[error("location #{index} in the response has no 'name'")]
    MissingName { index: usize },
}

/// The region catalog with a lookup index over every spelling.
#[derive(Debug, Clone)]
pub struct Regions {
    regions: Vec<Region>,
    index: HashMap<String, usize>,
}

/// Normalise a region spelling: drop a leading `(Geography) ` prefix, keep
/// ASCII alphanumerics, lower-case. Two spellings name the same region when
/// they normalise equally.
///
/// ```
/// use azrelo_arm::region::normalize;
/// assert_eq!(normalize("(Europe) West Europe"), "westeurope");
/// assert_eq!(normalize("Australia SouthEast"), "australiasoutheast");
/// assert_eq!(normalize(" East US 2 "), "eastus2");
/// ```
pub fn normalize(s: &str) -> String {
    let s = s.trim();
    let s = match (s.starts_with('('), s.find(')')) {
        (true, Some(i)) => &s[i + 1..],
        _ => s,
    };
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn str_field<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(|x| x.as_str())
}

impl Regions {
    /// The embedded snapshot (parsed once).
    pub fn embedded() -> &'static Regions {
        static CELL: OnceLock<Regions> = OnceLock::new();
        CELL.get_or_init(|| {
            Regions::from_locations_response(EMBEDDED.as_bytes())
                .unwrap_or_else(|e| panic!("embedded locations snapshot is invalid: {e}"))
        })
    }

    /// Parse the raw body of ARM's locations API
    /// (`GET /subscriptions/{id}/locations?api-version=2022-12-01`): the same
    /// parser for the embedded snapshot and a live refresh. Unknown fields are
    /// ignored; a location without `metadata.regionType: Physical` is logical.
    ///
    /// ```
    /// use azrelo_arm::region::{Regions, RegionType};
    /// let body = br#"{"value":[{"name":"swedencentral","displayName":"Sweden Central",
    ///   "regionalDisplayName":"(Europe) Sweden Central",
    ///   "metadata":{"regionType":"Physical","geography":"Sweden","geographyGroup":"Europe",
    ///     "pairedRegion":[{"name":"swedensouth","id":"/subscriptions/x/locations/swedensouth"}]},
    ///   "availabilityZoneMappings":[{"logicalZone":"2","physicalZone":"swedencentral-az1"},
    ///                               {"logicalZone":"1","physicalZone":"swedencentral-az3"}]}]}"#;
    /// let regions = Regions::from_locations_response(body).unwrap();
    /// let sc = regions.get("SWEDEN CENTRAL").unwrap();
    /// assert_eq!(sc.region_type, RegionType::Physical);
    /// assert_eq!(sc.physical_zone("1"), Some("swedencentral-az3"));
    /// ```
    pub fn from_locations_response(body: &[u8]) -> Result<Regions, RegionError> {
        let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| RegionError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        let list = v
            .get("value")
            .and_then(|x| x.as_array())
            .ok_or(RegionError::Shape)?;
        let mut regions = Vec::with_capacity(list.len());
        for (index, item) in list.iter().enumerate() {
            let name = str_field(item, "name").ok_or(RegionError::MissingName { index })?;
            let meta = item.get("metadata").cloned().unwrap_or_default();
            let region_type = match str_field(&meta, "regionType") {
                Some(t) if t.eq_ignore_ascii_case("physical") => RegionType::Physical,
                _ => RegionType::Logical,
            };
            let paired_regions = meta
                .get("pairedRegion")
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|p| str_field(p, "name").map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let mut zones: Vec<ZoneMapping> = item
                .get("availabilityZoneMappings")
                .and_then(|x| x.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|z| {
                            Some(ZoneMapping {
                                logical_zone: str_field(z, "logicalZone")?.to_string(),
                                physical_zone: str_field(z, "physicalZone")?.to_string(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            zones.sort_by(|a, b| a.logical_zone.cmp(&b.logical_zone));
            let display_name = str_field(item, "displayName").unwrap_or(name).to_string();
            regions.push(Region {
                name: name.to_string(),
                regional_display_name: str_field(item, "regionalDisplayName")
                    .unwrap_or(&display_name)
                    .to_string(),
                display_name,
                region_type,
                category: str_field(&meta, "regionCategory").map(str::to_string),
                geography: str_field(&meta, "geography").map(str::to_string),
                geography_group: str_field(&meta, "geographyGroup").map(str::to_string),
                physical_location: str_field(&meta, "physicalLocation").map(str::to_string),
                paired_regions,
                zones,
                latitude: str_field(&meta, "latitude").map(str::to_string),
                longitude: str_field(&meta, "longitude").map(str::to_string),
            });
        }
        regions.sort_by(|a, b| a.name.cmp(&b.name));
        let mut index = HashMap::with_capacity(regions.len() * 3);
        // Programmatic names first, so that a display name can never shadow
        // another region's name; then physical regions' display names before
        // logical ones'.
        for (i, r) in regions.iter().enumerate() {
            index.entry(normalize(&r.name)).or_insert(i);
        }
        for physical in [true, false] {
            for (i, r) in regions.iter().enumerate() {
                if r.is_physical() == physical {
                    for spelling in [&r.display_name, &r.regional_display_name] {
                        index.entry(normalize(spelling)).or_insert(i);
                    }
                }
            }
        }
        Ok(Regions { regions, index })
    }

    /// Look a region up by any spelling: programmatic name, display name or
    /// regional display name, in any case, with or without spaces and
    /// punctuation.
    ///
    /// ```
    /// let regions = azrelo_arm::Regions::embedded();
    /// for s in ["westeurope", "West Europe", "WEST EUROPE", "WestEurope", "(Europe) West Europe"] {
    ///     assert_eq!(regions.get(s).unwrap().name, "westeurope");
    /// }
    /// assert_eq!(regions.get("Australia SouthEast").unwrap().name, "australiasoutheast");
    /// assert!(regions.get("atlantis").is_none());
    /// ```
    pub fn get(&self, spelling: &str) -> Option<&Region> {
        self.index
            .get(&normalize(spelling))
            .map(|&i| &self.regions[i])
    }

    /// All regions (physical and logical), sorted by name.
    pub fn all(&self) -> &[Region] {
        &self.regions
    }

    /// Every normalised spelling the lookup index holds, with the position in
    /// [`all`](Self::all) of the region it names.
    pub(crate) fn index_entries(&self) -> impl Iterator<Item = (&str, usize)> {
        self.index.iter().map(|(k, &i)| (k.as_str(), i))
    }

    /// Number of regions (physical and logical).
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The distinct geographies (`Europe`, `United States`, …), sorted.
    pub fn geographies(&self) -> Vec<&str> {
        let mut g: Vec<&str> = self
            .regions
            .iter()
            .filter_map(|r| r.geography.as_deref())
            .collect();
        g.sort_unstable();
        g.dedup();
        g
    }

    /// Physical regions only, sorted by name.
    pub fn physical(&self) -> impl Iterator<Item = &Region> {
        self.regions
            .iter()
            .filter(|r| r.region_type == RegionType::Physical)
    }

    /// The paired region of `spelling`, if it has one.
    pub fn pair_of(&self, spelling: &str) -> Option<&Region> {
        let r = self.get(spelling)?;
        r.paired_regions.first().and_then(|p| self.get(p))
    }

    /// Whether two regions share a geography (e.g. Key Vault backup/restore
    /// only works within one). `None` when either is unknown.
    pub fn same_geography(&self, a: &str, b: &str) -> Option<bool> {
        let (ra, rb) = (self.get(a)?, self.get(b)?);
        Some(ra.geography.is_some() && ra.geography == rb.geography)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        let r = Regions::embedded();
        for s in [
            "westeurope",
            "West Europe",
            "WEST EUROPE",
            "west europe",
            "WestEurope",
            "(Europe) West Europe",
            " westeurope ",
        ] {
            assert_eq!(r.get(s).map(|x| x.name.as_str()), Some("westeurope"), "{s}");
        }
        assert_eq!(
            r.get("Australia SouthEast").unwrap().name,
            "australiasoutheast"
        );
        assert_eq!(
            r.get("Germany West Central").unwrap().name,
            "germanywestcentral"
        );
        assert!(r.get("atlantis").is_none());
    }

    #[test]
    fn counts_pairs_zones() {
        let r = Regions::embedded();
        assert_eq!(r.all().len(), 102);
        assert_eq!(r.physical().count(), 62);
        assert_eq!(r.pair_of("northeurope").unwrap().name, "westeurope");
        let sc = r.get("swedencentral").unwrap();
        assert_eq!(sc.zones.len(), 3);
        assert_eq!(r.same_geography("westeurope", "northeurope"), Some(true));
        assert_eq!(r.same_geography("westeurope", "eastus"), Some(false));
    }

    #[test]
    fn bad_bodies() {
        assert!(matches!(
            Regions::from_locations_response(b"{"),
            Err(RegionError::Json { .. })
        ));
        assert!(matches!(
            Regions::from_locations_response(b"{}"),
            Err(RegionError::Shape)
        ));
        assert!(matches!(
            Regions::from_locations_response(br#"{"value":[{}]}"#),
            Err(RegionError::MissingName { index: 0 })
        ));
    }
}
