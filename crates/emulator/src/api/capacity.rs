//! Capacity in a region as the target subscription sees it: the compute
//! SKUs offered there (`GET /subscriptions/{s}/providers/Microsoft.Compute/
//! skus?$filter=location eq '{region}'`, REST "Resource Skus - List",
//! api 2021-07-01: `locationInfo[].zones`, `capabilities` with `vCPUs`,
//! `restrictions` with `reasonCode` `NotAvailableForSubscription`) and the
//! usages against the quotas (`GET …/Microsoft.Compute/locations/{region}/
//! usages`, REST "Usage - List": `cores`, `virtualMachines` and one entry
//! per VM family; `GET …/Microsoft.Network/locations/{region}/usages`:
//! `PublicIPAddresses`, `StandardSkuPublicIpAddresses`, `VirtualNetworks`,
//! …). Usages count what the emulator holds in that subscription and
//! region; limits and restrictions are the emulator's configuration
//! ([`crate::Emulator::with_quota_limit`],
//! [`crate::Emulator::with_sku_restriction`]).

use std::collections::{BTreeMap, HashMap};

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error;
use crate::Emulator;

/// The capacity settings of an emulator: quota limits and SKU restrictions
/// per region (lower-case names).
#[derive(Debug, Clone, Default)]
pub struct Capacity {
    /// (region, usage name) → limit.
    pub limits: Vec<(String, String, u64)>,
    /// (region, SKU name): not available to the subscription there.
    pub restrictions: Vec<(String, String)>,
}

/// A VM size: (name, family, vCPUs, memory GB) — sizes of the Azure VM
/// size series documentation (learn.microsoft.com/azure/virtual-machines/
/// sizes), with the family names the usages API reports.
const SIZES: &[(&str, &str, u32, u32)] = &[
    ("Standard_B1s", "standardBSFamily", 1, 1),
    ("Standard_B1ms", "standardBSFamily", 1, 2),
    ("Standard_B2s", "standardBSFamily", 2, 4),
    ("Standard_B2ms", "standardBSFamily", 2, 8),
    ("Standard_B4ms", "standardBSFamily", 4, 16),
    ("Standard_A1_v2", "standardAv2Family", 1, 2),
    ("Standard_A2_v2", "standardAv2Family", 2, 4),
    ("Standard_DS1_v2", "standardDSv2Family", 1, 3),
    ("Standard_DS2_v2", "standardDSv2Family", 2, 7),
    ("Standard_DS3_v2", "standardDSv2Family", 4, 14),
    ("Standard_D2s_v3", "standardDSv3Family", 2, 8),
    ("Standard_D4s_v3", "standardDSv3Family", 4, 16),
    ("Standard_D8s_v3", "standardDSv3Family", 8, 32),
    ("Standard_D2s_v5", "standardDSv5Family", 2, 8),
    ("Standard_D4s_v5", "standardDSv5Family", 4, 16),
    ("Standard_D8s_v5", "standardDSv5Family", 8, 32),
    ("Standard_D16s_v5", "standardDSv5Family", 16, 64),
    ("Standard_D2as_v5", "standardDASv5Family", 2, 8),
    ("Standard_D4as_v5", "standardDASv5Family", 4, 16),
    ("Standard_E2s_v5", "standardESv5Family", 2, 16),
    ("Standard_E4s_v5", "standardESv5Family", 4, 32),
    ("Standard_E8s_v5", "standardESv5Family", 8, 64),
    ("Standard_F2s_v2", "standardFSv2Family", 2, 4),
    ("Standard_F4s_v2", "standardFSv2Family", 4, 8),
    ("Standard_NC6s_v3", "standardNCSv3Family", 6, 112),
    ("Standard_M8ms", "standardMSFamily", 8, 218),
];

/// Default limits (a pay-as-you-go subscription's regional quotas are of
/// this order; the emulator's configuration overrides them).
const DEFAULT_CORES: u64 = 100;
const DEFAULT_FAMILY: u64 = 100;

fn size(name: &str) -> Option<&'static (&'static str, &'static str, u32, u32)> {
    SIZES.iter().find(|s| s.0.eq_ignore_ascii_case(name))
}

fn region_of(name: &str) -> Option<azrelo_arm::region::Region> {
    azrelo_arm::Regions::embedded()
        .get(name)
        .filter(|r| r.is_physical())
        .cloned()
}

/// The capacity endpoints; `None` for any other path.
pub(crate) fn endpoint(em: &Emulator, path: &str, uri: &Uri) -> Option<Response> {
    let lower = path.to_ascii_lowercase();
    let rest = lower.strip_prefix("/subscriptions/")?;
    let (sub, rest) = rest.split_once('/')?;
    if rest == "providers/microsoft.compute/skus" {
        let q = axum::extract::Query::<HashMap<String, String>>::try_from_uri(uri)
            .map(|q| q.0)
            .unwrap_or_default();
        let location = q
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("$filter"))
            .and_then(|(_, f)| {
                let f = f.trim();
                let v = f
                    .strip_prefix("location eq '")
                    .or_else(|| f.strip_prefix("location eq \""))?;
                Some(v.trim_end_matches(['\'', '"']).to_string())
            });
        return Some(skus(em, sub, location.as_deref()));
    }
    let (provider, rest) = rest.strip_prefix("providers/")?.split_once('/')?;
    let loc = rest.strip_prefix("locations/")?.strip_suffix("/usages")?;
    match provider {
        "microsoft.compute" => Some(usages(em, sub, loc, true)),
        "microsoft.network" => Some(usages(em, sub, loc, false)),
        _ => None,
    }
}

fn skus(em: &Emulator, _sub: &str, location: Option<&str>) -> Response {
    let regions: Vec<azrelo_arm::region::Region> = match location {
        Some(l) => match region_of(l) {
            Some(r) => vec![r],
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidLocation",
                    format!("The location '{l}' is not valid."),
                    None,
                );
            }
        },
        None => azrelo_arm::Regions::embedded()
            .all()
            .iter()
            .filter(|r| r.is_physical())
            .cloned()
            .collect(),
    };
    let avail = azrelo_arm::Availability::embedded();
    let mut value = Vec::new();
    for r in &regions {
        if avail
            .check("Microsoft.Compute/virtualMachines", &r.name)
            .status
            == azrelo_arm::availability::Status::NotListed
        {
            continue;
        }
        let zones: Vec<String> = r.zones.iter().map(|z| z.logical_zone.clone()).collect();
        for (name, family, cpus, mem) in SIZES {
            let restricted =
                em.capacity.restrictions.iter().any(|(reg, s)| {
                    reg.eq_ignore_ascii_case(&r.name) && s.eq_ignore_ascii_case(name)
                });
            let restrictions = if restricted {
                json!([{
                    "type": "Location",
                    "values": [r.name],
                    "restrictionInfo": {"locations": [r.name]},
                    "reasonCode": "NotAvailableForSubscription",
                }])
            } else {
                json!([])
            };
            value.push(json!({
                "resourceType": "virtualMachines",
                "name": name,
                "tier": "Standard",
                "size": name.trim_start_matches("Standard_"),
                "family": family,
                "locations": [r.name],
                "locationInfo": [{"location": r.name, "zones": zones, "zoneDetails": []}],
                "capabilities": [
                    {"name": "vCPUs", "value": cpus.to_string()},
                    {"name": "MemoryGB", "value": mem.to_string()},
                ],
                "restrictions": restrictions,
            }));
        }
    }
    (StatusCode::OK, axum::Json(json!({"value": value}))).into_response()
}

fn usages(em: &Emulator, sub: &str, loc: &str, compute: bool) -> Response {
    let Some(region) = region_of(loc) else {
        return error(
            StatusCode::NOT_FOUND,
            "LocationNotAvailableForResourceType",
            format!("The provided location '{loc}' is not available for usages."),
            None,
        );
    };
    let inner = em.state();
    let in_scope = |b: &Value| -> bool {
        b["location"]
            .as_str()
            .and_then(|l| azrelo_arm::Regions::embedded().get(l))
            .is_some_and(|r| r.name == region.name)
    };
    let prefix = format!("/subscriptions/{sub}/");
    let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut families: BTreeMap<String, u64> = BTreeMap::new();
    for s in inner.resources.values() {
        if !s.id.to_ascii_lowercase().starts_with(&prefix) || !in_scope(&s.body) {
            continue;
        }
        let ty = s.body["type"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match ty.as_str() {
            "microsoft.compute/virtualmachines" => {
                *counts.entry("virtualMachines").or_default() += 1;
                if let Some((_, fam, cpus, _)) = s.body["properties"]["hardwareProfile"]["vmSize"]
                    .as_str()
                    .and_then(size)
                {
                    *counts.entry("cores").or_default() += u64::from(*cpus);
                    *families.entry(fam.to_string()).or_default() += u64::from(*cpus);
                }
            }
            "microsoft.compute/virtualmachinescalesets" => {
                let n = s.body["sku"]["capacity"].as_u64().unwrap_or(0);
                *counts.entry("virtualMachineScaleSets").or_default() += 1;
                if let Some((_, fam, cpus, _)) = s.body["sku"]["name"].as_str().and_then(size) {
                    *counts.entry("cores").or_default() += n * u64::from(*cpus);
                    *families.entry(fam.to_string()).or_default() += n * u64::from(*cpus);
                }
            }
            "microsoft.network/publicipaddresses" => {
                *counts.entry("PublicIPAddresses").or_default() += 1;
                if s.body["sku"]["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case("Standard"))
                {
                    *counts.entry("StandardSkuPublicIpAddresses").or_default() += 1;
                }
            }
            "microsoft.network/virtualnetworks" => {
                *counts.entry("VirtualNetworks").or_default() += 1
            }
            "microsoft.network/networkinterfaces" => {
                *counts.entry("NetworkInterfaces").or_default() += 1
            }
            "microsoft.network/loadbalancers" => *counts.entry("LoadBalancers").or_default() += 1,
            _ => {}
        }
    }
    let limit = |name: &str, default: u64| {
        em.capacity
            .limits
            .iter()
            .find(|(r, n, _)| r.eq_ignore_ascii_case(&region.name) && n.eq_ignore_ascii_case(name))
            .map_or(default, |(_, _, l)| *l)
    };
    let entry = |name: &str, label: &str, current: u64, lim: u64| {
        json!({
            "unit": "Count",
            "currentValue": current,
            "limit": lim,
            "name": {"value": name, "localizedValue": label},
        })
    };
    let mut value = Vec::new();
    if compute {
        value.push(entry(
            "cores",
            "Total Regional vCPUs",
            counts.get("cores").copied().unwrap_or(0),
            limit("cores", DEFAULT_CORES),
        ));
        value.push(entry(
            "virtualMachines",
            "Virtual Machines",
            counts.get("virtualMachines").copied().unwrap_or(0),
            limit("virtualMachines", 25_000),
        ));
        value.push(entry(
            "virtualMachineScaleSets",
            "Virtual Machine Scale Sets",
            counts.get("virtualMachineScaleSets").copied().unwrap_or(0),
            limit("virtualMachineScaleSets", 2_500),
        ));
        let mut fams: Vec<&str> = SIZES.iter().map(|s| s.1).collect();
        fams.sort_unstable();
        fams.dedup();
        for f in fams {
            value.push(entry(
                f,
                &format!("{f} vCPUs"),
                families.get(f).copied().unwrap_or(0),
                limit(f, DEFAULT_FAMILY),
            ));
        }
    } else {
        for (name, label, default) in [
            ("PublicIPAddresses", "Public IP Addresses", 1_000),
            (
                "StandardSkuPublicIpAddresses",
                "Public IP Addresses - Standard",
                1_000,
            ),
            ("VirtualNetworks", "Virtual Networks", 1_000),
            ("NetworkInterfaces", "Network Interfaces", 65_536),
            ("LoadBalancers", "Load Balancers", 1_000),
        ] {
            let mut e = entry(
                name,
                label,
                counts.get(name).copied().unwrap_or(0),
                limit(name, default),
            );
            e["id"] = json!(format!(
                "/subscriptions/{sub}/providers/Microsoft.Network/locations/{}/usages/{name}",
                region.name
            ));
            value.push(e);
        }
    }
    (StatusCode::OK, axum::Json(json!({"value": value}))).into_response()
}
