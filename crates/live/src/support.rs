//! What [`discover`](crate::discover) leans on: the Resource Graph query
//! for resources, merging a graph row with its ARM GET body, the api-version
//! per type, the child collections of a resource, and telling an
//! unsupported endpoint from a transient failure (the diagnostic-settings
//! breaker).

use super::*;

/// Diagnostic-settings calls that all fail alike before any succeeds.
pub(crate) const BREAKER_THRESHOLD: usize = 5;

/// Stops asking for diagnostic settings when the endpoint evidently does
/// not serve them: the first [`BREAKER_THRESHOLD`] calls all failed with a
/// client error (4xx other than 404/408/429 — not transient, not "none
/// here") and none succeeded. Saves the throttle budget for the rest.
#[derive(Default)]
pub(crate) struct Breaker {
    successes: AtomicUsize,
    failures: AtomicUsize,
    open: std::sync::atomic::AtomicBool,
}

impl Breaker {
    pub(crate) fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    pub(crate) fn record<T>(&self, r: &Result<T, ClientError>) {
        match r {
            Ok(_) => {
                self.successes.fetch_add(1, Ordering::Relaxed);
            }
            Err(e)
                if !e.is_retryable()
                    && !diagnostics_unsupported(e)
                    && e.status().is_some_and(|s| (400..500).contains(&s)) =>
            {
                let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= BREAKER_THRESHOLD && self.successes.load(Ordering::Relaxed) == 0 {
                    self.open.store(true, Ordering::Relaxed);
                }
            }
            Err(_) => {}
        }
    }
}

/// How many levels of children below a graph row are listed (a namespace's
/// event hubs' consumer groups, a storage account's blob service's
/// containers' immutability policies).
pub(crate) const MAX_CHILD_DEPTH: usize = 3;

/// The child collections to list below `parents`: `(path, api-version)`
/// for each child type the graph does not index
/// ([`azrelo_arm::resource_graph::unindexed_child_types`]) and the parent's
/// body does not already hold inline (a virtual network's `subnets`, a
/// security group's `securityRules`: `properties.<collection>` as an
/// array), with the provider's api-version for the child type.
pub(crate) fn child_lists(
    parents: &[(ResourceId, Value)],
    versions: &HashMap<(String, String), HashMap<String, String>>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (id, body) in parents {
        let Some(ty) = id.resource_type() else {
            continue;
        };
        for child in azrelo_arm::resource_graph::unindexed_child_types(ty.as_str()) {
            let inline = body
                .get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| {
                    p.iter()
                        .any(|(k, v)| k.eq_ignore_ascii_case(child) && v.is_array())
                });
            if inline {
                continue;
            }
            let path = format!("{}/{child}", id.as_str());
            let Ok(probe) = ResourceId::parse(&format!("{path}/x")) else {
                continue;
            };
            if let Some(api) = api_version_for(versions, &probe) {
                out.push((path, api));
            }
        }
    }
    out
}

/// Extension resources that Resource Graph's `resources` table does not
/// hold, read on each discovered resource of the type that carries them:
/// (resource type, extension path below `{id}/providers/`, api-version,
/// whether the path names one resource rather than a list). Each is
/// something the resource's relocation must carry or name:
/// * Event Grid event subscriptions on a custom topic or domain (an
///   extension resource; "recreate the event subscriptions on the new
///   topic": learn.microsoft.com/azure/event-grid/relocate-event-grid-custom-topics);
/// * Microsoft Sentinel's onboarding state, analytics and automation rules
///   on a workspace (extension resources of the workspace, REST API
///   2023-02-01);
/// * a storage account's classic Microsoft Defender for Storage setting
///   (`advancedThreatProtectionSettings/current`, 2019-01-01; only an
///   enabled one is kept — every account answers the default);
/// * guest configuration assignments on a virtual machine (2022-01-25).
pub(crate) const EXTENSION_READS: &[(&str, &str, &str, bool)] = &[
    (
        "Microsoft.EventGrid/topics",
        "Microsoft.EventGrid/eventSubscriptions",
        "2022-06-15",
        false,
    ),
    (
        "Microsoft.EventGrid/domains",
        "Microsoft.EventGrid/eventSubscriptions",
        "2022-06-15",
        false,
    ),
    (
        "Microsoft.OperationalInsights/workspaces",
        "Microsoft.SecurityInsights/onboardingStates",
        "2023-02-01",
        false,
    ),
    (
        "Microsoft.OperationalInsights/workspaces",
        "Microsoft.SecurityInsights/alertRules",
        "2023-02-01",
        false,
    ),
    (
        "Microsoft.OperationalInsights/workspaces",
        "Microsoft.SecurityInsights/automationRules",
        "2023-02-01",
        false,
    ),
    (
        "Microsoft.Storage/storageAccounts",
        "Microsoft.Security/advancedThreatProtectionSettings/current",
        "2019-01-01",
        true,
    ),
    (
        "Microsoft.Compute/virtualMachines",
        "Microsoft.GuestConfiguration/guestConfigurationAssignments",
        "2022-01-25",
        false,
    ),
];

/// The [`EXTENSION_READS`] of `rows`: (path, api-version, one resource).
pub(crate) fn extension_reads(rows: &[(ResourceId, Value)]) -> Vec<(String, &'static str, bool)> {
    let mut out = Vec::new();
    for (id, _) in rows {
        if id.kind() != IdKind::Resource {
            continue;
        }
        let Some(ty) = id.resource_type() else {
            continue;
        };
        for (parent, path, api, one) in EXTENSION_READS {
            if ty.as_str().eq_ignore_ascii_case(parent) {
                out.push((format!("{}/providers/{path}", id.as_str()), *api, *one));
            }
        }
    }
    out
}

/// Whether an extension read's answer is configuration to relocate: a
/// Defender for Storage (classic) setting only when enabled.
pub(crate) fn extension_configured(v: &Value) -> bool {
    let ty = v.get("type").and_then(Value::as_str).unwrap_or_default();
    if ty.eq_ignore_ascii_case("Microsoft.Security/advancedThreatProtectionSettings") {
        return v.pointer("/properties/isEnabled").and_then(Value::as_bool) == Some(true);
    }
    true
}

/// A child collection that cannot be listed (the type has no list
/// operation, the provider does not know it here) is "none", not a failure.
pub(crate) fn child_list_unsupported(e: &ClientError) -> bool {
    matches!(e.status(), Some(400 | 404 | 405))
}

/// The Defender for Cloud plans, from the graph's `securityresources` table.
pub(crate) const SECURITY_QUERY: &str =
    "securityresources | where type =~ 'microsoft.security/pricings'";

#[derive(Debug)]
pub(crate) enum Job {
    Get { row: usize, api: String },
    Diagnostics { row: usize },
}

/// The Resource Graph query for the resources (resource groups filtered
/// server-side when given).
pub fn resources_query(resource_groups: &[String]) -> String {
    if resource_groups.is_empty() {
        "resources".to_string()
    } else {
        let list: Vec<String> = resource_groups
            .iter()
            .map(|g| format!("'{}'", g.replace('\\', "\\\\").replace('\'', "\\'")))
            .collect();
        format!("resources | where resourceGroup in~ ({})", list.join(", "))
    }
}

/// A graph row lacks detail when it has no properties at all (types the
/// graph indexes without their properties).
pub fn lacks_detail(row: &Value) -> bool {
    match row.get("properties") {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(_) => false,
    }
}

/// The GET body with the graph row's fields where the body has none (the
/// body is authoritative; the row adds e.g. a `location` some GETs omit).
pub(crate) fn merge_row(row: &Value, body: &Value) -> Value {
    let mut out = body.clone();
    if let (Some(o), Some(r)) = (out.as_object_mut(), row.as_object()) {
        for k in [
            "id",
            "type",
            "name",
            "location",
            "kind",
            "sku",
            "tags",
            "identity",
            "zones",
            "managedBy",
            "plan",
            "extendedLocation",
        ] {
            let missing = o.get(k).is_none_or(Value::is_null);
            if missing && let Some(v) = r.get(k).filter(|v| !v.is_null()) {
                o.insert(k.to_string(), v.clone());
            }
        }
    }
    out
}

/// A provider's newest non-preview api-version per type (lower-cased type
/// path), or its newest preview when it has nothing else. ARM's providers
/// answer: `{"namespace", "resourceTypes": [{"resourceType", "apiVersions"}]}`
/// (<https://learn.microsoft.com/rest/api/resources/providers/get>).
pub fn api_versions(provider: &Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for t in provider
        .get("resourceTypes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(name) = t.get("resourceType").and_then(Value::as_str) else {
            continue;
        };
        let versions = t
            .get("apiVersions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        if let Some(v) = azrelo_arm::availability::newest_stable(versions) {
            out.insert(name.to_ascii_lowercase(), v.to_string());
        }
    }
    out
}

pub(crate) fn api_version_for(
    versions: &HashMap<(String, String), HashMap<String, String>>,
    id: &ResourceId,
) -> Option<String> {
    let sub = id.subscription_id()?.to_ascii_lowercase();
    let ns = id.provider_namespace()?.to_ascii_lowercase();
    let known = versions.get(&(sub, ns))?;
    // The type itself, else its nearest listed ancestor: a provider's child
    // types share its API versions (one spec per provider version), and
    // some children are not listed in the provider metadata.
    let mut t = id.resource_type();
    while let Some(ty) = t {
        if let Some(v) = known.get(&ty.type_path().to_ascii_lowercase()) {
            return Some(v.clone());
        }
        t = ty.parent_type();
    }
    None
}

/// A resource type without diagnostic settings answers 404 or a 400 naming
/// the type as unsupported; that is "none", not a failure.
pub(crate) fn diagnostics_unsupported(e: &ClientError) -> bool {
    e.status() == Some(404)
        || (e.status() == Some(400)
            && e.code().is_some_and(|c| {
                matches!(
                    c.to_ascii_lowercase().as_str(),
                    "resourcetypenotsupported"
                        | "invalidresourcetype"
                        | "resourcenotsupported"
                        | "notsupported"
                )
            }))
}

/// With a resource-group filter, keep role assignments and locks whose scope
/// lies in a selected group (those at subscription scope and above are not
/// part of the selection).
pub(crate) fn extension_in_scope(id: &ResourceId, v: &Value, rg_filter: &HashSet<String>) -> bool {
    if rg_filter.is_empty() {
        return true;
    }
    let scope = v
        .get("properties")
        .and_then(|p| p.get("scope"))
        .and_then(Value::as_str)
        .and_then(|s| ResourceId::parse(s).ok())
        .or_else(|| id.scope());
    scope
        .as_ref()
        .and_then(ResourceId::resource_group)
        .is_some_and(|g| rg_filter.contains(&g.to_ascii_lowercase()))
}
