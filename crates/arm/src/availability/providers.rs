//! Parsing ARM's providers response (`GET /subscriptions/{id}/providers`)
//! into the availability model: the same parser for a live refresh and the
//! embedded snapshot's source.

use crate::region::{Regions, normalize};
use std::collections::HashMap;

use super::*;

impl Availability {
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
        let mut core = Core::empty(as_of);
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
    pub(super) fn index(core: Core, regions: &Regions) -> Availability {
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
}
