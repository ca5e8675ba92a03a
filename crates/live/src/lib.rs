//! # azrelo-live — live discovery
//!
//! Owns *fetching* an estate from Azure: Azure Resource Graph (`resources`,
//! resource groups from `resourcecontainers` or the resource-group list),
//! an ARM GET per resource where the graph lacks detail (with the newest
//! non-preview api-version the provider advertises for the type), the
//! diagnostic settings of each resource, the Defender for Cloud plans
//! (`securityresources`), and the role assignments, locks and policy
//! exemptions of each subscription, and what the guidance's procedures
//! need (backup items, containers and policies; the subscription's Defender
//! settings whatever the group filter; every role assignment of each
//! identity at every scope, through `authorizationresources`; see
//! `procedures.rs`) — with bounded concurrency, through
//! [`azrelo_client::ArmClient`] (retries, throttling). Parsing and merging
//! are `azrelo-estate`'s ([`azrelo_estate::ingest`]), so a live estate has
//! exactly the shape of a file-discovered one.
//!
//! Partial failure is the normal case in a large tenant: a call that still
//! fails after the client's retries becomes a [`Failure`] (and an estate
//! warning naming the call and the request id); everything else is kept.
//! Only a failing Resource Graph query for the resources themselves is fatal.

pub mod capacity;

/// The executors of the catalog (`executors.toml`) live reads perform: the
/// role assignments of the identities at every scope (`procedures.rs`,
/// `azrelo discover`) and the target's capacity ([`capacity`], read for
/// `azrelo assess --live`). The labels test checks the labels against it.
pub const EXECUTORS: &[&str] = &["role-assignment-inventory", "quota-check"];
mod procedures;
mod support;

use support::*;
pub use support::{api_versions, lacks_detail, resources_query};

use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_client::{ArmClient, ClientError};
use azrelo_estate::{Estate, InputKind, Provenance, Source, Warning};
use futures::StreamExt;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// api-versions of the fixed endpoints discovery calls (current GA versions
/// in the REST API specs; diagnostic settings' newest is a preview).
pub mod api {
    pub const PROVIDERS: &str = "2021-04-01";
    /// Subscriptions - List.
    pub const SUBSCRIPTIONS: &str = "2022-12-01";
    pub const RESOURCE_GROUPS: &str = "2021-04-01";
    pub const DIAGNOSTIC_SETTINGS: &str = "2021-05-01-preview";
    pub const ROLE_ASSIGNMENTS: &str = "2022-04-01";
    pub const LOCKS: &str = "2020-05-01";
    /// Policy exemptions have preview versions only.
    pub const POLICY_EXEMPTIONS: &str = "2022-07-01-preview";
    pub const POLICY_ASSIGNMENTS: &str = "2022-06-01";
}

/// What to discover.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Subscription ids (at least one).
    pub subscriptions: Vec<String>,
    /// Only these resource groups (case-insensitive); all when empty.
    pub resource_groups: Vec<String>,
    /// Calls in flight at once (the client's throttle still applies).
    pub concurrency: usize,
    /// GET every resource, not only those whose graph row lacks properties.
    pub get_all: bool,
    /// Fetch diagnostic settings per resource.
    pub diagnostic_settings: bool,
    /// List the child collections the Resource Graph does not index (event
    /// hubs, queues, blob containers, databases, …) from each resource
    /// ([`azrelo_arm::resource_graph::unindexed_child_types`]).
    pub children: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            subscriptions: Vec::new(),
            resource_groups: Vec::new(),
            concurrency: 8,
            get_all: false,
            diagnostic_settings: true,
            children: true,
        }
    }
}

/// One call that failed after retries; its part of the estate is missing or
/// only as detailed as the graph row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The call, e.g. `GET /subscriptions/…/diagnosticSettings`.
    pub call: String,
    /// The error (with its `x-ms-client-request-id`).
    pub error: String,
}

/// Progress of the per-resource phase (for a progress line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub phase: &'static str,
    pub done: usize,
    pub total: usize,
}

/// The result: the estate and what could not be fetched.
#[derive(Debug)]
pub struct LiveEstate {
    pub estate: Estate,
    pub failures: Vec<Failure>,
}

/// A fatal discovery error.
#[derive(Debug)]
pub struct LiveError {
    pub message: String,
    pub source: Option<ClientError>,
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)?;
        if let Some(e) = &self.source {
            write!(f, ": {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LiveError {}

/// Fail when a subscription is not among those the credential can see
/// (`GET /subscriptions`, ARM's list for the caller), naming it and the
/// ones it can see. It is the first call: a credential or TLS trust
/// failure stops discovery here, once; another failure of the list skips
/// the check.
async fn check_subscriptions(client: &ArmClient, wanted: &[String]) -> Result<(), LiveError> {
    let visible = match client.list("/subscriptions", api::SUBSCRIPTIONS).await {
        Ok(v) => v,
        // Credentials or TLS trust: every later call would fail alike.
        Err(e) if e.is_fatal_for_run() => {
            return Err(LiveError {
                message: format!("cannot list the subscriptions at {}", client.endpoint()),
                source: Some(e),
            });
        }
        Err(e) => {
            tracing::warn!("cannot list the subscriptions to check them ({e}); going on");
            return Ok(());
        }
    };
    let ids: HashSet<String> = visible
        .iter()
        .filter_map(|s| s.get("subscriptionId").and_then(Value::as_str))
        .map(str::to_ascii_lowercase)
        .collect();
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|w| !ids.contains(&w.to_ascii_lowercase()))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let mut seen: Vec<&str> = visible
        .iter()
        .filter_map(|s| s.get("subscriptionId").and_then(Value::as_str))
        .collect();
    seen.sort_unstable();
    Err(LiveError {
        message: format!(
            "subscription(s) {} not found: the credential sees {}",
            missing.join(", "),
            if seen.is_empty() {
                "no subscription".to_string()
            } else {
                seen.join(", ")
            }
        ),
        source: None,
    })
}

/// Discover the estate of `opts.subscriptions` through `client`.
pub async fn discover(
    client: &ArmClient,
    opts: &LiveOptions,
    progress: Option<&(dyn Fn(Progress) + Send + Sync + '_)>,
) -> Result<LiveEstate, LiveError> {
    if opts.subscriptions.is_empty() {
        return Err(LiveError {
            message: "no subscription given".into(),
            source: None,
        });
    }
    let origin = format!("arm:{}", client.endpoint().trim_end_matches('/'));
    let concurrency = opts.concurrency.max(1);
    let rg_filter: HashSet<String> = opts
        .resource_groups
        .iter()
        .map(|g| g.to_ascii_lowercase())
        .collect();
    let in_scope = |id: &ResourceId| -> bool {
        rg_filter.is_empty()
            || id
                .resource_group()
                .is_some_and(|g| rg_filter.contains(&g.to_ascii_lowercase()))
    };
    let subs_lower: HashSet<String> = opts
        .subscriptions
        .iter()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let mut failures: Vec<Failure> = Vec::new();
    let mut estate = Estate::new();

    // 0. Every subscription asked for is one the credential sees: Resource
    // Graph answers an unknown subscription with no rows, which would be an
    // empty estate and a success. The first call also stops a run whose
    // credentials or endpoint trust are wrong, once, before any other call.
    check_subscriptions(client, &opts.subscriptions).await?;

    // 1. Resource Graph: the resources.
    let query = resources_query(&opts.resource_groups);
    let rows = client
        .resource_graph(&opts.subscriptions, &query)
        .await
        .map_err(|e| LiveError {
            message: format!("the Resource Graph query `{query}` failed"),
            source: Some(e),
        })?;
    let keep = |r: Value| -> Option<(ResourceId, Value)> {
        let id = ResourceId::parse(r.get("id")?.as_str()?).ok()?;
        let sub_ok = id
            .subscription_id()
            .is_some_and(|s| subs_lower.contains(&s.to_ascii_lowercase()));
        (sub_ok && in_scope(&id)).then_some((id, r))
    };
    let mut rows: Vec<(ResourceId, Value)> = rows.into_iter().filter_map(keep).collect();
    // Defender for Cloud plans are subscription settings the graph keeps in
    // `securityresources`, not `resources` (none with a group filter).
    if rg_filter.is_empty() {
        match client
            .resource_graph(&opts.subscriptions, SECURITY_QUERY)
            .await
        {
            Ok(extra) => rows.extend(extra.into_iter().filter_map(keep)),
            // An endpoint without that table (the emulator keeps them in `resources`).
            Err(e) if e.status() == Some(400) => {
                tracing::info!("the `securityresources` table is not available here: {e}")
            }
            Err(e) => failures.push(Failure {
                call: format!("Resource Graph `{SECURITY_QUERY}`"),
                error: e.to_string(),
            }),
        }
    }
    rows.sort_by_key(|(id, _)| id.as_str().to_ascii_lowercase());
    rows.dedup_by(|a, b| a.0 == b.0);

    // 2. Resource groups.
    let mut groups: Vec<(ResourceId, Value, InputKind, String)> = Vec::new();
    let rc_query =
        "resourcecontainers | where type =~ 'microsoft.resources/subscriptions/resourcegroups'";
    match client.resource_graph(&opts.subscriptions, rc_query).await {
        Ok(g) => {
            for r in g {
                if let Some(id) = r
                    .get("id")
                    .and_then(Value::as_str)
                    .and_then(|s| ResourceId::parse(s).ok())
                    && id.kind() == IdKind::ResourceGroup
                    && id
                        .subscription_id()
                        .is_some_and(|s| subs_lower.contains(&s.to_ascii_lowercase()))
                    && in_scope(&id)
                {
                    groups.push((id, r, InputKind::ResourceGraph, "resourcecontainers".into()));
                }
            }
        }
        Err(e) => {
            tracing::info!(
                "resourcecontainers query failed ({e}); listing resource groups instead"
            );
            for sub in &opts.subscriptions {
                let path = format!("/subscriptions/{sub}/resourcegroups");
                match client.list(&path, api::RESOURCE_GROUPS).await {
                    Ok(list) => {
                        for r in list {
                            if let Some(id) = r
                                .get("id")
                                .and_then(Value::as_str)
                                .and_then(|s| ResourceId::parse(s).ok())
                                && in_scope(&id)
                            {
                                groups.push((id, r, InputKind::ArmGet, format!("GET {path}")));
                            }
                        }
                    }
                    Err(e) => failures.push(Failure {
                        call: format!("GET {path}"),
                        error: e.to_string(),
                    }),
                }
            }
        }
    }
    groups.sort_by_key(|(id, ..)| id.as_str().to_ascii_lowercase());
    groups.dedup_by(|a, b| a.0 == b.0);

    // 3. api-versions for the GETs, from the providers endpoint.
    let needs_get: Vec<usize> = (0..rows.len())
        .filter(|&i| opts.get_all || lacks_detail(&rows[i].1))
        .collect();
    let mut namespaces: BTreeMap<(String, String), ()> = BTreeMap::new();
    let versioned: Vec<usize> = if opts.children {
        (0..rows.len()).collect()
    } else {
        needs_get.clone()
    };
    for &i in &versioned {
        let id = &rows[i].0;
        if let (Some(sub), Some(ns)) = (id.subscription_id(), id.provider_namespace()) {
            namespaces.insert((sub.to_ascii_lowercase(), ns.to_ascii_lowercase()), ());
        }
    }
    let provider_results: Vec<_> =
        futures::stream::iter(namespaces.into_keys().map(|(sub, ns)| async move {
            let path = format!("/subscriptions/{sub}/providers/{ns}");
            let r = client.get(&path, api::PROVIDERS).await;
            ((sub, ns), r)
        }))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut versions: HashMap<(String, String), HashMap<String, String>> = HashMap::new();
    for (key, r) in provider_results {
        match r {
            Ok(Some(v)) => {
                versions.insert(key, api_versions(&v));
            }
            Ok(None) => failures.push(Failure {
                call: format!("GET /subscriptions/{}/providers/{}", key.0, key.1),
                error: "the provider is not registered or not known (404)".into(),
            }),
            Err(e) => failures.push(Failure {
                call: format!("GET /subscriptions/{}/providers/{}", key.0, key.1),
                error: e.to_string(),
            }),
        }
    }

    // 4. Per-resource calls: GETs where needed, diagnostic settings.
    let mut jobs: Vec<Job> = Vec::new();
    for &i in &needs_get {
        let id = &rows[i].0;
        match api_version_for(&versions, id) {
            Some(v) => jobs.push(Job::Get { row: i, api: v }),
            None => failures.push(Failure {
                call: format!("GET {id}"),
                error: format!(
                    "no api-version known for {} (provider metadata unavailable); kept the Resource Graph row",
                    id.type_or_scope_type().as_str()
                ),
            }),
        }
    }
    if opts.diagnostic_settings {
        // Resources in resource groups: subscription-level settings
        // (Defender pricings, workspace settings, …) have no diagnostic
        // settings of their own.
        for (i, (id, _)) in rows.iter().enumerate() {
            if id.resource_group().is_some() {
                jobs.push(Job::Diagnostics { row: i });
            }
        }
    }
    let total = jobs.len();
    let done = Arc::new(AtomicUsize::new(0));
    if let Some(p) = progress {
        p(Progress {
            phase: "resources",
            done: 0,
            total,
        });
    }
    let rows_ref = &rows;
    let breaker = Breaker::default();
    let breaker_ref = &breaker;
    let results: Vec<(Job, Result<Fetched, ClientError>)> =
        futures::stream::iter(jobs.into_iter().map(|job| {
            let done = done.clone();
            async move {
                let r = match &job {
                    Job::Get { row, api } => client
                        .get(rows_ref[*row].0.as_str(), api)
                        .await
                        .map(|b| b.map_or(Fetched::Absent, Fetched::Body)),
                    Job::Diagnostics { .. } if breaker_ref.is_open() => Ok(Fetched::Skipped),
                    Job::Diagnostics { row } => {
                        let path = format!(
                            "{}/providers/Microsoft.Insights/diagnosticSettings",
                            rows_ref[*row].0
                        );
                        let r = client.list(&path, api::DIAGNOSTIC_SETTINGS).await;
                        breaker_ref.record(&r);
                        match r {
                            Ok(list) => Ok(Fetched::Body(Value::Array(list))),
                            Err(e) if diagnostics_unsupported(&e) => Ok(Fetched::Absent),
                            Err(e) => Err(e),
                        }
                    }
                };
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(p) = progress {
                    p(Progress {
                        phase: "resources",
                        done: n,
                        total,
                    });
                }
                (job, r)
            }
        }))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut bodies: HashMap<usize, Value> = HashMap::new();
    let mut diagnostics: Vec<(usize, Vec<Value>)> = Vec::new();
    let mut skipped = 0usize;
    for (job, r) in results {
        match (job, r) {
            (Job::Get { row, .. }, Ok(Fetched::Body(body))) => {
                bodies.insert(row, body);
            }
            (Job::Get { row, .. }, Ok(_)) => failures.push(Failure {
                call: format!("GET {}", rows[row].0),
                error: "not found (404): deleted since the graph was indexed? kept the Resource Graph row".into(),
            }),
            (Job::Get { row, api }, Err(e)) => failures.push(Failure {
                call: format!("GET {}?api-version={api}", rows[row].0),
                error: format!("{e}; kept the Resource Graph row"),
            }),
            (Job::Diagnostics { row }, Ok(Fetched::Body(Value::Array(list)))) => {
                diagnostics.push((row, list))
            }
            (Job::Diagnostics { .. }, Ok(Fetched::Skipped)) => skipped += 1,
            (Job::Diagnostics { .. }, Ok(_)) => {}
            (Job::Diagnostics { row }, Err(e)) => failures.push(Failure {
                call: format!("GET {}/providers/Microsoft.Insights/diagnosticSettings", rows[row].0),
                error: e.to_string(),
            }),
        }
    }
    if skipped > 0 {
        failures.push(Failure {
            call: format!(
                "GET {{resource}}/providers/Microsoft.Insights/diagnosticSettings for {skipped} more resource(s)"
            ),
            error: format!(
                "not attempted: the first {BREAKER_THRESHOLD} calls all failed with the same client error and none succeeded, so the endpoint does not serve diagnostic settings; their diagnostic settings are missing from the estate"
            ),
        });
    }
    diagnostics.sort_by_key(|(row, _)| *row);

    // 4b. Children the graph does not index, listed from their parents
    // (with their own GET-shaped bodies), level by level.
    let mut children: Vec<(ResourceId, Value, String)> = Vec::new();
    if opts.children {
        let mut seen: HashSet<String> = rows
            .iter()
            .map(|(id, _)| id.as_str().to_ascii_lowercase())
            .collect();
        let mut frontier: Vec<(ResourceId, Value)> = rows
            .iter()
            .enumerate()
            .filter(|(_, (id, _))| id.kind() == IdKind::Resource)
            .map(|(i, (id, row))| (id.clone(), bodies.get(&i).unwrap_or(row).clone()))
            .collect();
        for _level in 0..MAX_CHILD_DEPTH {
            let lists = child_lists(&frontier, &versions);
            if lists.is_empty() {
                break;
            }
            let total = lists.len();
            let done = Arc::new(AtomicUsize::new(0));
            let results: Vec<(String, String, Result<Vec<Value>, ClientError>)> =
                futures::stream::iter(lists.into_iter().map(|(path, api)| {
                    let done = done.clone();
                    async move {
                        let r = client.list(&path, &api).await;
                        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                        if let Some(p) = progress {
                            p(Progress {
                                phase: "children",
                                done: n,
                                total,
                            });
                        }
                        (path, api, r)
                    }
                }))
                .buffer_unordered(concurrency)
                .collect()
                .await;
            let mut next = Vec::new();
            let mut results = results;
            results.sort_by(|a, b| a.0.cmp(&b.0));
            for (path, api, r) in results {
                match r {
                    Ok(items) => {
                        for item in items {
                            let Some(id) = item
                                .get("id")
                                .and_then(Value::as_str)
                                .and_then(|s| ResourceId::parse(s).ok())
                            else {
                                continue;
                            };
                            if id.kind() != IdKind::Resource
                                || !seen.insert(id.as_str().to_ascii_lowercase())
                            {
                                continue;
                            }
                            next.push((id.clone(), item.clone()));
                            children.push((id, item, path.clone()));
                        }
                    }
                    Err(e) if child_list_unsupported(&e) => {}
                    Err(e) => failures.push(Failure {
                        call: format!("GET {path}?api-version={api}"),
                        error: e.to_string(),
                    }),
                }
            }
            frontier = next;
        }
    }

    // 5. Role assignments, locks and policy exemptions per subscription.
    let mut extension_lists: Vec<(String, Vec<Value>)> = Vec::new();
    let calls: Vec<(String, &str)> = opts
        .subscriptions
        .iter()
        .flat_map(|sub| {
            [
                (
                    format!(
                        "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments"
                    ),
                    api::ROLE_ASSIGNMENTS,
                ),
                (
                    format!("/subscriptions/{sub}/providers/Microsoft.Authorization/locks"),
                    api::LOCKS,
                ),
                (
                    format!(
                        "/subscriptions/{sub}/providers/Microsoft.Authorization/policyExemptions"
                    ),
                    api::POLICY_EXEMPTIONS,
                ),
                // Assignments at the subscription and below (resource
                // groups, resources): Policy Assignments - List.
                (
                    format!(
                        "/subscriptions/{sub}/providers/Microsoft.Authorization/policyAssignments"
                    ),
                    api::POLICY_ASSIGNMENTS,
                ),
            ]
        })
        .collect();
    let ext_results: Vec<_> =
        futures::stream::iter(calls.into_iter().map(|(path, api)| async move {
            let r = client.list(&path, api).await;
            (path, api, r)
        }))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (path, api, r) in ext_results {
        match r {
            Ok(list) => extension_lists.push((path, list)),
            Err(e) => failures.push(Failure {
                call: format!("GET {path}?api-version={api}"),
                error: e.to_string(),
            }),
        }
    }
    // 5a. Extension resources Resource Graph does not hold, on each
    // resource that carries them (event subscriptions, Sentinel rules, …).
    let ext_reads = extension_reads(&rows);
    let ext_results: Vec<_> =
        futures::stream::iter(ext_reads.into_iter().map(|(path, api, one)| async move {
            let r = if one {
                client
                    .get(&path, api)
                    .await
                    .map(|b| b.into_iter().collect::<Vec<_>>())
            } else {
                client.list(&path, api).await
            };
            (path, api, r)
        }))
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for (path, api, r) in ext_results {
        match r {
            Ok(list) => {
                let list: Vec<Value> = list.into_iter().filter(extension_configured).collect();
                if !list.is_empty() {
                    extension_lists.push((path, list));
                }
            }
            // Not there: the provider, the setting or the feature (Sentinel
            // not onboarded) is absent on this resource.
            Err(e) if child_list_unsupported(&e) => {}
            Err(e) => failures.push(Failure {
                call: format!("GET {path}?api-version={api}"),
                error: e.to_string(),
            }),
        }
    }
    extension_lists.sort_by(|a, b| a.0.cmp(&b.0));

    // 5b. What the procedures need: backup items, containers and policies
    // of each vault, Defender settings of each subscription, the
    // identities' role assignments at every scope, Cosmos DB SQL role
    // assignments.
    let (procedure_records, more) =
        procedures::read(client, &opts.subscriptions, &rows, concurrency).await;
    failures.extend(more);

    // 6. Build the estate with azrelo-estate's readers.
    let prov = |path: String, kind: InputKind| Provenance {
        file: origin.clone(),
        path,
        kind,
    };
    let before = estate.len();
    for (id, row, kind, path) in &groups {
        azrelo_estate::ingest(&mut estate, row, prov(format!("{path} {id}"), *kind));
    }
    if !groups.is_empty() {
        estate.sources.push(Source {
            file: format!("{origin} resource groups"),
            kind: groups[0].2,
            records: estate.len() - before,
        });
    }
    let before = estate.len();
    let mut fetched = 0;
    for (i, (id, row)) in rows.iter().enumerate() {
        match bodies.get(&i) {
            Some(body) => {
                fetched += 1;
                let merged = merge_row(row, body);
                azrelo_estate::ingest(
                    &mut estate,
                    &merged,
                    prov(format!("GET {id}"), InputKind::ArmGet),
                );
            }
            None => azrelo_estate::ingest(
                &mut estate,
                row,
                prov(format!("resources {id}"), InputKind::ResourceGraph),
            ),
        }
    }
    estate.sources.push(Source {
        file: format!("{origin} Resource Graph resources ({fetched} completed by GET)"),
        kind: InputKind::ResourceGraph,
        records: estate.len() - before,
    });
    if opts.children {
        let before = estate.len();
        for (id, body, path) in &children {
            azrelo_estate::ingest(
                &mut estate,
                body,
                prov(format!("GET {path} {id}"), InputKind::ArmGet),
            );
        }
        estate.sources.push(Source {
            file: format!("{origin} child collections the Resource Graph does not index"),
            kind: InputKind::ArmGet,
            records: estate.len() - before,
        });
    }
    let before = estate.len();
    for (row, list) in &diagnostics {
        for (j, d) in list.iter().enumerate() {
            azrelo_estate::ingest(
                &mut estate,
                d,
                prov(
                    format!(
                        "GET {}/providers/Microsoft.Insights/diagnosticSettings $.value[{j}]",
                        rows[*row].0
                    ),
                    InputKind::ArmGet,
                ),
            );
        }
    }
    if opts.diagnostic_settings {
        estate.sources.push(Source {
            file: format!("{origin} diagnostic settings"),
            kind: InputKind::ArmGet,
            records: estate.len() - before,
        });
    }
    for (path, list) in &extension_lists {
        let before = estate.len();
        for (j, v) in list.iter().enumerate() {
            let keep = v
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| ResourceId::parse(s).ok())
                .is_some_and(|id| extension_in_scope(&id, v, &rg_filter));
            if keep {
                azrelo_estate::ingest(
                    &mut estate,
                    v,
                    prov(format!("GET {path} $.value[{j}]"), InputKind::ArmGet),
                );
            }
        }
        estate.sources.push(Source {
            file: format!("{origin} GET {path}"),
            kind: InputKind::ArmGet,
            records: estate.len() - before,
        });
    }
    let before = estate.len();
    for (call, v) in &procedure_records {
        azrelo_estate::ingest(
            &mut estate,
            v,
            prov(
                format!("{call} {}", v["id"].as_str().unwrap_or_default()),
                InputKind::ArmGet,
            ),
        );
    }
    if !procedure_records.is_empty() {
        estate.sources.push(Source {
            file: format!("{origin} backup items and policies, Defender settings, role assignments at every scope"),
            kind: InputKind::ArmGet,
            records: estate.len() - before,
        });
    }
    azrelo_estate::dedup_extensions(&mut estate);
    failures.sort_by(|a, b| a.call.cmp(&b.call));
    for f in &failures {
        estate.warnings.push(Warning {
            file: origin.clone(),
            path: f.call.clone(),
            message: format!("live discovery call failed: {}", f.error),
        });
    }
    Ok(LiveEstate { estate, failures })
}

/// What one per-resource call brought back.
#[derive(Debug)]
enum Fetched {
    Body(Value),
    /// 404, or diagnostic settings unsupported for the type.
    Absent,
    /// Not attempted (the endpoint does not serve this API).
    Skipped,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn newest_non_preview_version_wins() {
        use azrelo_arm::availability::newest_stable;
        assert_eq!(
            newest_stable(["2021-01-01", "2023-05-01-preview", "2022-09-01"]),
            Some("2022-09-01")
        );
        assert_eq!(
            newest_stable(["2023-05-01-preview", "2021-01-01-beta"]),
            Some("2023-05-01-preview")
        );
        assert_eq!(newest_stable(std::iter::empty()), None);
        let p = json!({"resourceTypes": [{"resourceType": "servers/databases", "apiVersions": ["2023-08-01-preview", "2021-11-01", "2014-04-01"]}]});
        assert_eq!(api_versions(&p)["servers/databases"], "2021-11-01");
    }

    #[test]
    fn query_escapes_group_names_and_detail_check() {
        assert_eq!(resources_query(&[]), "resources");
        assert_eq!(
            resources_query(&["rg-a".into(), "o'k".into()]),
            "resources | where resourceGroup in~ ('rg-a', 'o\\'k')"
        );
        assert!(lacks_detail(&json!({"id": "x"})));
        assert!(lacks_detail(&json!({"properties": {}})));
        assert!(!lacks_detail(&json!({"properties": {"a": 1}})));
    }

    #[test]
    fn get_body_wins_and_row_fills_gaps() {
        let row =
            json!({"id": "/a", "location": "westeurope", "tags": {"x": "1"}, "properties": {}});
        let body = json!({"id": "/a", "properties": {"p": 1}, "tags": null});
        let m = merge_row(&row, &body);
        assert_eq!(m["location"], "westeurope");
        assert_eq!(m["tags"]["x"], "1");
        assert_eq!(m["properties"]["p"], 1);
    }

    #[test]
    fn breaker_opens_only_after_uniform_client_errors_without_success() {
        let err = |status: u16| -> Result<(), ClientError> {
            Err(ClientError::Arm {
                status,
                code: "InvalidResourceId".into(),
                message: String::new(),
                target: None,
                request_id: String::new(),
            })
        };
        let b = Breaker::default();
        for _ in 0..BREAKER_THRESHOLD - 1 {
            b.record(&err(400));
        }
        // Transient errors and 404s do not count.
        b.record(&err(503));
        b.record(&err(429));
        b.record(&err(404));
        assert!(!b.is_open());
        b.record(&err(400));
        assert!(b.is_open());
        // One success first: never opens.
        let b = Breaker::default();
        b.record(&Ok::<(), ClientError>(()));
        for _ in 0..20 {
            b.record(&err(400));
        }
        assert!(!b.is_open());
    }
}
