//! State and request handling.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use azrelo_arm::availability::Status;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::scan::find_resource_ids;
use azrelo_catalog::{Catalog, NameScope};
use serde_json::{Value, json};

mod deployments;
use deployments::{Mode, deploy};

/// Operation-status records kept (oldest dropped first).
const MAX_OPERATIONS: usize = 10_000;

const TENANT: &str = "72f988bf-0000-0000-0000-00000000e001";

/// One stored resource (or resource group).
#[derive(Debug, Clone)]
struct Stored {
    /// The id as first written.
    id: String,
    body: Value,
}

#[derive(Debug, Default)]
struct Inner {
    /// Write-through persistence (`--data DIR`); `None` in memory.
    db: Option<rusqlite::Connection>,
    /// Lower-cased id → resource; a BTreeMap so children follow parents and
    /// lists are ordered.
    resources: BTreeMap<String, Stored>,
    /// How many stored resources have each (type, name), lower-cased: the
    /// global-name check is a lookup, not a scan.
    names: std::collections::HashMap<(String, String), usize>,
    /// Operation id → status.
    operations: BTreeMap<String, String>,
    next_op: u64,
}

fn name_key(body: &Value) -> (String, String) {
    let field = |f: &str| {
        body.get(f)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    (field("type"), field("name"))
}

impl Inner {
    /// Store a resource, writing it through to the database first.
    fn store(&mut self, k: String, s: Stored) -> Result<(), String> {
        if let Some(db) = &self.db {
            db.execute(
                "INSERT OR REPLACE INTO resources (key, id, body) VALUES (?1, ?2, ?3)",
                rusqlite::params![k, s.id, s.body.to_string()],
            )
            .map_err(|e| format!("cannot persist {}: {e}", s.id))?;
        }
        self.index(&s, true);
        if let Some(old) = self.resources.insert(k, s) {
            self.index(&old, false);
        }
        Ok(())
    }

    /// Remove a resource, from the database first.
    fn unstore(&mut self, k: &str) -> Result<(), String> {
        if let Some(db) = &self.db {
            db.execute("DELETE FROM resources WHERE key = ?1", [k])
                .map_err(|e| format!("cannot persist the deletion of {k}: {e}"))?;
        }
        if let Some(old) = self.resources.remove(k) {
            self.index(&old, false);
        }
        Ok(())
    }

    fn index(&mut self, s: &Stored, add: bool) {
        let key = name_key(&s.body);
        if add {
            *self.names.entry(key).or_default() += 1;
        } else if let Some(c) = self.names.get_mut(&key) {
            *c -= 1;
            if *c == 0 {
                self.names.remove(&key);
            }
        }
    }

    /// Whether a resource of this type already holds this name.
    fn name_taken(&self, resource_type: &str, name: &str) -> bool {
        self.names.contains_key(&(
            resource_type.to_ascii_lowercase(),
            name.to_ascii_lowercase(),
        ))
    }
}

fn persistence_failed(e: String) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "PersistenceFailed",
        e,
        None,
    )
}

/// The emulator's state. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Emulator {
    inner: Arc<Mutex<Inner>>,
    throttle: Option<Arc<Mutex<crate::throttle::Throttle>>>,
    faults: Option<Arc<Mutex<crate::faults::Faults>>>,
}

impl Emulator {
    /// An empty emulator, throttling as ARM does.
    pub fn new() -> Emulator {
        Emulator {
            inner: Arc::default(),
            throttle: Some(Arc::default()),
            faults: None,
        }
    }

    /// An emulator whose state lives in an SQLite database in `dir`
    /// (`emulator.db`, WAL mode), loaded now and written through on every
    /// change, so it survives a restart.
    pub fn open(dir: &std::path::Path) -> Result<Emulator, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join("emulator.db");
        let db = rusqlite::Connection::open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
             CREATE TABLE IF NOT EXISTS resources (key TEXT PRIMARY KEY, id TEXT NOT NULL, body TEXT NOT NULL);",
        )
        .map_err(|e| format!("cannot initialise {}: {e}", path.display()))?;
        let mut resources = BTreeMap::new();
        {
            let mut stmt = db
                .prepare("SELECT key, id, body FROM resources")
                .map_err(|e| e.to_string())?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .map_err(|e| e.to_string())?;
            for row in rows {
                let (k, id, body) = row.map_err(|e| e.to_string())?;
                let body: Value = serde_json::from_str(&body).map_err(|e| {
                    format!("{}: stored body of {id} is not JSON: {e}", path.display())
                })?;
                resources.insert(k, Stored { id, body });
            }
        }
        let em = Emulator::new();
        {
            let mut inner = em
                .inner
                .lock()
                .map_err(|_| "emulator state poisoned".to_string())?;
            for st in resources.values() {
                inner.index(st, true);
            }
            inner.resources = resources;
            inner.db = Some(db);
        }
        Ok(em)
    }

    /// Turn ARM's throttling on or off.
    pub fn with_throttling(mut self, on: bool) -> Emulator {
        self.throttle = on.then(Arc::default);
        self
    }

    /// Inject faults at the given rates (reproducible for a seed).
    pub fn with_faults(mut self, spec: crate::faults::FaultSpec) -> Emulator {
        self.faults = Some(Arc::new(Mutex::new(crate::faults::Faults::new(spec))));
        self
    }

    /// An empty emulator that never throttles (`--no-throttle`).
    pub fn without_throttling() -> Emulator {
        Emulator::default()
    }

    /// Load existing resources (an azrelo estate's resource groups and
    /// resources) as they are, without the checks a PUT makes: the state a
    /// relocation starts from.
    pub fn seed(&self, resources: impl IntoIterator<Item = (String, Value)>) -> usize {
        let mut inner = self.inner.lock().expect("emulator state");
        let mut n = 0;
        for (id, mut body) in resources {
            let Ok(rid) = ResourceId::parse(&id) else {
                continue;
            };
            if let Some(rg) = rid.resource_group_id() {
                let loc = body["location"]
                    .as_str()
                    .unwrap_or("westeurope")
                    .to_string();
                let k = key(rg.as_str());
                if !inner.resources.contains_key(&k) {
                    let group = Stored {
                        id: rg.to_string(),
                        body: json!({
                            "id": rg.as_str(),
                            "name": rg.resource_group().unwrap_or_default(),
                            "type": "Microsoft.Resources/resourceGroups",
                            "location": loc,
                            "properties": {"provisioningState": "Succeeded"},
                        }),
                    };
                    if inner.store(k, group).is_err() {
                        continue;
                    }
                }
            }
            if let Some(m) = body.as_object_mut() {
                m.insert("id".into(), json!(id));
            }
            if inner.store(key(&id), Stored { id, body }).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// Number of stored resources and resource groups.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.resources.len()).unwrap_or(0)
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The HTTP router: every path goes to the ARM dispatcher.
pub fn router(emulator: Emulator) -> Router {
    Router::new().fallback(dispatch).with_state(emulator)
}

fn error(
    status: StatusCode,
    code: &str,
    message: impl Into<String>,
    target: Option<&str>,
) -> Response {
    let mut e = json!({"error": {"code": code, "message": message.into()}});
    if let Some(t) = target {
        e["error"]["target"] = json!(t);
    }
    (status, axum::Json(e)).into_response()
}

fn api_version(uri: &Uri) -> Option<String> {
    uri.query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        k.eq_ignore_ascii_case("api-version").then(|| v.to_string())
    })
}

async fn dispatch(State(em): State<Emulator>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, 4 * 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestTooLarge",
                "The request body exceeds 4 MB.",
                None,
            );
        }
    };
    handle(&em, &parts.method, &parts.uri, &parts.headers, body).await
}

async fn handle(
    em: &Emulator,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    // Authentication: a bearer token must be present (any token: test mode).
    let authorized = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer "));
    if !authorized {
        return error(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            None,
        );
    }
    // Injected faults come before anything else (a flaky front door).
    if let Some(f) = &em.faults {
        use crate::faults::Fault;
        let fault = f.lock().expect("fault state").draw();
        match fault {
            Fault::None => {}
            Fault::Throttled => {
                let mut r = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "TooManyRequests",
                    "Injected fault: the request was throttled.",
                    None,
                );
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
                return r;
            }
            Fault::InternalError => {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "Injected fault: internal server error.",
                    None,
                );
            }
            Fault::Unavailable => {
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "Injected fault: the service is temporarily unavailable.",
                    None,
                );
            }
        }
    }
    // Throttling per subscription and principal (the token stands for it).
    let mut remaining: Option<(crate::throttle::Kind, u32)> = None;
    if let Some(t) = &em.throttle {
        use crate::throttle::{Kind, Take};
        let kind = match *method {
            Method::GET | Method::HEAD => Kind::Read,
            Method::DELETE => Kind::Delete,
            _ => Kind::Write,
        };
        let sub = uri
            .path()
            .split('/')
            .nth(2)
            .filter(|_| {
                uri.path()
                    .to_ascii_lowercase()
                    .starts_with("/subscriptions/")
            })
            .unwrap_or("tenant")
            .to_string();
        let principal = headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let take = t.lock().expect("throttle state").take(
            &sub,
            &principal,
            kind,
            std::time::Instant::now(),
        );
        match take {
            Take::Allowed(left) => remaining = Some((kind, left)),
            Take::Throttled(secs) => {
                let mut r = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "SubscriptionRequestsThrottled",
                    format!(
                        "Number of requests for subscription '{sub}' and operation exceeded the backoff limit. Please try again after '{secs}' seconds."
                    ),
                    None,
                );
                if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                    r.headers_mut().insert("retry-after", v);
                }
                r.headers_mut()
                    .insert(kind.header(), HeaderValue::from_static("0"));
                return r;
            }
        }
    }
    let mut response = handle_inner(em, method, uri, body).await;
    if let Some((kind, left)) = remaining
        && let Ok(v) = HeaderValue::from_str(&left.to_string())
    {
        response.headers_mut().insert(kind.header(), v);
    }
    response
}

async fn handle_inner(em: &Emulator, method: &Method, uri: &Uri, body: Bytes) -> Response {
    let path = uri.path().trim_end_matches('/');
    let Some(api) = api_version(uri) else {
        return error(
            StatusCode::BAD_REQUEST,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
            None,
        );
    };
    let _ = api;
    let lower = path.to_ascii_lowercase();
    // Azure Resource Graph.
    if lower == "/providers/microsoft.resourcegraph/resources" && method == Method::POST {
        return resource_graph(em, &body);
    }
    // Locations and providers, from the embedded snapshots.
    if lower.ends_with("/locations")
        && lower.starts_with("/subscriptions/")
        && method == Method::GET
    {
        let sub = path.split('/').nth(2).unwrap_or_default();
        let value: Vec<Value> = azrelo_arm::Regions::embedded()
            .all()
            .iter()
            .map(|r| {
                json!({
                    "id": format!("/subscriptions/{sub}/locations/{}", r.name),
                    "name": r.name,
                    "displayName": r.display_name,
                    "regionalDisplayName": r.regional_display_name,
                    "metadata": {
                        "regionType": if r.is_physical() { "Physical" } else { "Logical" },
                        "geography": r.geography,
                        "geographyGroup": r.geography_group,
                        "physicalLocation": r.physical_location,
                        "pairedRegion": r.paired_regions.iter().map(|p| json!({"name": p})).collect::<Vec<_>>(),
                    },
                })
            })
            .collect();
        return (StatusCode::OK, axum::Json(json!({"value": value}))).into_response();
    }
    if let Some(ns) = lower
        .strip_prefix("/subscriptions/")
        .and_then(|rest| rest.split_once("/providers/"))
        .map(|(_, ns)| ns.to_string())
        .filter(|ns| !ns.contains('/'))
        && method == Method::GET
    {
        let a = azrelo_arm::Availability::embedded();
        let types: Vec<Value> = a
            .types()
            .filter(|t| t.namespace().eq_ignore_ascii_case(&ns))
            .map(|t| {
                json!({
                    "resourceType": t.type_path(),
                    "locations": t.locations().collect::<Vec<_>>(),
                    "apiVersions": t.api_versions().collect::<Vec<_>>(),
                })
            })
            .collect();
        if types.is_empty() {
            return error(
                StatusCode::NOT_FOUND,
                "InvalidResourceNamespace",
                format!("The resource namespace '{ns}' is invalid."),
                None,
            );
        }
        let namespace = a
            .types()
            .find(|t| t.namespace().eq_ignore_ascii_case(&ns))
            .map(|t| t.namespace().to_string())
            .unwrap_or(ns);
        return (
            StatusCode::OK,
            axum::Json(json!({"namespace": namespace, "registrationState": "Registered", "resourceTypes": types})),
        )
            .into_response();
    }
    // Operation status.
    if let Some(op) = lower.strip_prefix("/providers/azrelo.emulator/operations/") {
        let inner = em.inner.lock().expect("emulator state");
        return match inner.operations.get(op) {
            Some(s) => (StatusCode::OK, axum::Json(json!({"status": s}))).into_response(),
            None => error(
                StatusCode::NOT_FOUND,
                "OperationNotFound",
                format!("Operation {op} not found."),
                None,
            ),
        };
    }
    // Lists.
    if let Some(scope) = lower.strip_suffix("/resources") {
        return list(em, scope, false);
    }
    if lower.ends_with("/resourcegroups") && method == Method::GET {
        return list(em, &lower, true);
    }
    // Deployment validate / whatIf: POST {deployment}/validate|whatIf.
    if method == Method::POST {
        let (base, mode) = if let Some(b) = lower.strip_suffix("/validate") {
            (&path[..b.len()], Some(Mode::Validate))
        } else if let Some(b) = lower.strip_suffix("/whatif") {
            (&path[..b.len()], Some(Mode::WhatIf))
        } else {
            (path, None)
        };
        if let (Some(mode), Ok(did)) = (mode, ResourceId::parse(base))
            && did
                .type_or_scope_type()
                .as_str()
                .eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            let value = serde_json::from_slice(&body).ok();
            return deploy(em, &did, value, mode).await;
        }
    }
    let id = match ResourceId::parse(path) {
        Ok(id) => id,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidResourceId",
                e.to_string(),
                Some(path),
            );
        }
    };
    let value: Option<Value> = if body.is_empty() {
        None
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => Some(v),
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestContent",
                    format!("The request content was invalid and could not be deserialized: {e}"),
                    None,
                );
            }
        }
    };
    let is_deployment = id
        .type_or_scope_type()
        .as_str()
        .eq_ignore_ascii_case("Microsoft.Resources/deployments");
    match (method.clone(), id.kind()) {
        (Method::PUT, IdKind::Resource) if is_deployment => {
            deploy(em, &id, value, Mode::Deploy).await
        }
        (Method::GET, _) => get(em, &id),
        (Method::PUT, IdKind::ResourceGroup) => put_group(em, &id, value),
        (Method::PUT, IdKind::Resource | IdKind::Extension) => put(em, &id, value),
        (Method::PATCH, IdKind::Resource | IdKind::Extension | IdKind::ResourceGroup) => {
            patch(em, &id, value)
        }
        (Method::DELETE, IdKind::ResourceGroup | IdKind::Resource | IdKind::Extension) => {
            delete(em, &id)
        }
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("{method} is not supported on {path}."),
            None,
        ),
    }
}

fn key(id: &str) -> String {
    id.to_ascii_lowercase()
}

fn get(em: &Emulator, id: &ResourceId) -> Response {
    let inner = em.inner.lock().expect("emulator state");
    match inner.resources.get(&key(id.as_str())) {
        Some(s) => (StatusCode::OK, axum::Json(s.body.clone())).into_response(),
        None => match sub_resource(&inner, id) {
            Some(v) => (StatusCode::OK, axum::Json(v)).into_response(),
            None => not_found(&inner, id),
        },
    }
}

/// A child written inline in its parent's properties (a subnet in a virtual
/// network, a rule in a security group, a backend pool in a load balancer):
/// ARM addresses it as `{parent}/{collection}/{name}`.
fn sub_resource(inner: &Inner, id: &ResourceId) -> Option<Value> {
    let raw = id.as_str();
    let (head, name) = raw.rsplit_once('/')?;
    let (parent, collection) = head.rsplit_once('/')?;
    let p = inner.resources.get(&key(parent))?;
    let items = p
        .body
        .get("properties")?
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(collection))?
        .1
        .as_array()?;
    let item = items.iter().find(|x| {
        x.get("name")
            .and_then(|n| n.as_str())
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
    })?;
    let mut v = item.clone();
    if let Some(m) = v.as_object_mut() {
        m.insert("id".into(), json!(raw));
    }
    Some(v)
}

fn exists(inner: &Inner, id: &ResourceId) -> bool {
    inner.resources.contains_key(&key(id.as_str())) || sub_resource(inner, id).is_some()
}

fn not_found(inner: &Inner, id: &ResourceId) -> Response {
    if let Some(rg) = id.resource_group_id()
        && !inner.resources.contains_key(&key(rg.as_str()))
    {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!(
                "Resource group '{}' could not be found.",
                id.resource_group().unwrap_or_default()
            ),
            None,
        );
    }
    let ty = id.type_or_scope_type();
    error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!(
            "The Resource '{}/{}' under resource group '{}' was not found.",
            ty.as_str(),
            id.full_name().unwrap_or_default(),
            id.resource_group().unwrap_or_default()
        ),
        None,
    )
}

fn lro(inner: &mut Inner, status: StatusCode, body: Value) -> Response {
    lro_with(inner, status, body, "Succeeded")
}

fn lro_with(inner: &mut Inner, status: StatusCode, body: Value, outcome: &str) -> Response {
    inner.next_op += 1;
    let op = format!("op-{:012}", inner.next_op);
    inner.operations.insert(op.clone(), outcome.into());
    // Operation records are kept for the most recent operations only, so a
    // long run stays within bounded memory (clients poll right after).
    while inner.operations.len() > MAX_OPERATIONS {
        inner.operations.pop_first();
    }
    let url = format!("/providers/azrelo.emulator/operations/{op}?api-version=2024-01-01");
    let mut r = (status, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        r.headers_mut().insert("azure-asyncoperation", v.clone());
        r.headers_mut().insert("location", v);
    }
    r
}

fn put_group(em: &Emulator, id: &ResourceId, value: Option<Value>) -> Response {
    let Some(location) = value
        .as_ref()
        .and_then(|v| v.get("location"))
        .and_then(|l| l.as_str())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "LocationRequired",
            "The location property is required for this definition.",
            None,
        );
    };
    if azrelo_arm::Regions::embedded().get(location).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "LocationNotAvailableForResourceGroup",
            format!("The provided location '{location}' is not available for resource group."),
            None,
        );
    }
    let mut inner = em.inner.lock().expect("emulator state");
    let k = key(id.as_str());
    let existed = inner.resources.contains_key(&k);
    let body = json!({
        "id": id.as_str(),
        "name": id.resource_group().unwrap_or_default(),
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": value.as_ref().and_then(|v| v.get("tags")).cloned().unwrap_or(json!({})),
        "properties": {"provisioningState": "Succeeded"},
    });
    if let Err(e) = inner.store(
        k,
        Stored {
            id: id.as_str().to_string(),
            body: body.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, axum::Json(body)).into_response()
}

/// Error codes ARM uses when a globally unique name is taken.
fn name_taken_code(resource_type: &str) -> &'static str {
    match resource_type.to_ascii_lowercase().as_str() {
        "microsoft.storage/storageaccounts" => "StorageAccountAlreadyTaken",
        "microsoft.keyvault/vaults" => "VaultAlreadyExists",
        "microsoft.web/sites" => "WebsiteAlreadyExists",
        "microsoft.containerregistry/registries" => "AlreadyInUse",
        "microsoft.documentdb/databaseaccounts" => "DatabaseAccountNameAlreadyExists",
        "microsoft.sql/servers" => "ServerAlreadyExists",
        _ => "NameNotAvailable",
    }
}

/// Error codes ARM uses when a resource still in use is deleted.
fn in_use_code(resource_type: &str) -> &'static str {
    match resource_type.to_ascii_lowercase().as_str() {
        "microsoft.network/virtualnetworks/subnets" | "microsoft.network/virtualnetworks" => {
            "InUseSubnetCannotBeDeleted"
        }
        "microsoft.network/networkinterfaces" => "NicInUse",
        "microsoft.network/publicipaddresses" => "PublicIPAddressInUse",
        "microsoft.network/networksecuritygroups" => "InUseNetworkSecurityGroupCannotBeDeleted",
        _ => "ResourceInUse",
    }
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// References to other resources inside a body's properties.
fn references(body: &Value) -> Vec<String> {
    let mut ss = Vec::new();
    if let Some(p) = body.get("properties") {
        strings(p, &mut ss);
    }
    let mut out = Vec::new();
    for s in ss {
        for m in find_resource_ids(s) {
            out.push(m.text.to_string());
        }
    }
    out
}

fn put(em: &Emulator, id: &ResourceId, value: Option<Value>) -> Response {
    let mut body = value.unwrap_or_else(|| json!({}));
    if !body.is_object() {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request body must be a JSON object.",
            None,
        );
    }
    let ty = id.type_or_scope_type();
    let ty_s = ty.as_str().to_string();
    let mut inner = em.inner.lock().expect("emulator state");
    // The resource group must exist.
    if let Some(rg) = id.resource_group_id()
        && !inner.resources.contains_key(&key(rg.as_str()))
    {
        return not_found(&inner, id);
    }
    // So must the parent of a child resource (and the scope of an extension
    // below a resource group).
    let parent = if id.kind() == IdKind::Extension {
        id.scope()
    } else {
        id.parent()
    };
    // ARM creates singleton service children (`…/fileServices/default`,
    // `…/blobServices/default`) with their parent.
    let implicit = |p: &ResourceId| {
        p.name().is_some_and(|n| n.eq_ignore_ascii_case("default"))
            && p.parent()
                .is_some_and(|g| inner.resources.contains_key(&key(g.as_str())))
    };
    if let Some(p) = &parent
        && matches!(p.kind(), IdKind::Resource | IdKind::Extension)
        && !exists(&inner, p)
        && !implicit(p)
    {
        return error(
            StatusCode::NOT_FOUND,
            "ParentResourceNotFound",
            format!(
                "Can not perform requested operation on nested resource. Parent resource '{}' not found.",
                p.full_name().unwrap_or_default()
            ),
            None,
        );
    }
    // Location against the provider snapshot (unknown is not unavailable:
    // only a type the snapshot knows without the region is refused).
    if let Some(loc) = body.get("location").and_then(|l| l.as_str())
        && !loc.eq_ignore_ascii_case("global")
    {
        let a = azrelo_arm::Availability::embedded().check(&ty_s, loc);
        if a.status == Status::NotListed {
            return error(
                StatusCode::BAD_REQUEST,
                "LocationNotAvailableForResourceType",
                format!(
                    "The provided location '{loc}' is not available for resource type '{ty_s}'."
                ),
                None,
            );
        }
        if a.status == Status::UnknownType
            && azrelo_arm::Availability::embedded()
                .type_info(&ty_s)
                .is_none()
            && !azrelo_arm::Availability::embedded()
                .types()
                .any(|t| t.namespace().eq_ignore_ascii_case(ty.namespace()))
        {
            return error(
                StatusCode::BAD_REQUEST,
                "NoRegisteredProviderFound",
                format!(
                    "No registered resource provider found for location '{loc}' and type '{ty_s}'."
                ),
                None,
            );
        }
    }
    let k = key(id.as_str());
    let existed = inner.resources.contains_key(&k);
    // Globally unique names.
    let name = id.name().unwrap_or_default().to_string();
    if !existed
        && Catalog::embedded().entry(&ty_s).name_rule().scope == NameScope::Global
        && inner.name_taken(&ty_s, &name)
    {
        return error(
            StatusCode::CONFLICT,
            name_taken_code(&ty_s),
            format!(
                "The name '{name}' is already in use for {ty_s}; names of this type are globally unique."
            ),
            None,
        );
    }
    // Referential integrity: references into resource groups the emulator
    // holds must resolve.
    for r in references(&body) {
        let Ok(rid) = ResourceId::parse(&r) else {
            continue;
        };
        if rid.as_str().eq_ignore_ascii_case(id.as_str()) || rid.is_within(id) {
            continue;
        }
        let Some(rg) = rid.resource_group_id() else {
            continue;
        };
        if !matches!(rid.kind(), IdKind::Resource | IdKind::Extension) {
            continue;
        }
        // Role and policy definitions live above the group (ARM resolves
        // group-scoped spellings of them); deployments are records.
        let rt = rid.type_or_scope_type();
        if rt
            .namespace()
            .eq_ignore_ascii_case("Microsoft.Authorization")
            || rt
                .as_str()
                .eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            continue;
        }
        if inner.resources.contains_key(&key(rg.as_str())) && !exists(&inner, &rid) {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidResourceReference",
                format!(
                    "Resource {} referenced by resource {} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.",
                    rid.as_str(),
                    id.as_str()
                ),
                Some(id.as_str()),
            );
        }
    }
    // Identities.
    if let Some(ident) = body.get_mut("identity").and_then(|i| i.as_object_mut()) {
        let kind = ident
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if kind.contains("systemassigned") {
            let principal =
                uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{k}#system").as_bytes());
            ident.insert("principalId".into(), json!(principal.to_string()));
            ident.insert("tenantId".into(), json!(TENANT));
        }
        if let Some(Value::Object(ua)) = ident.get_mut("userAssignedIdentities") {
            for (uid, v) in ua.iter_mut() {
                let Some(u) = inner.resources.get(&key(uid)) else {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "InvalidIdentity",
                        format!("The user-assigned identity '{uid}' was not found."),
                        None,
                    );
                };
                *v = json!({
                    "principalId": u.body["properties"]["principalId"],
                    "clientId": u.body["properties"]["clientId"],
                });
            }
        }
    }
    let obj = body.as_object_mut().expect("checked object");
    obj.insert("id".into(), json!(id.as_str()));
    obj.insert("name".into(), json!(name));
    obj.insert("type".into(), json!(ty_s));
    let props = obj.entry("properties").or_insert_with(|| json!({}));
    if let Some(p) = props.as_object_mut() {
        if ty_s.eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities") {
            let seed = format!("{k}#uami");
            let principal = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes());
            let client = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, seed.as_bytes());
            p.insert("principalId".into(), json!(principal.to_string()));
            p.insert("clientId".into(), json!(client.to_string()));
            p.insert("tenantId".into(), json!(TENANT));
        }
        p.insert("provisioningState".into(), json!("Succeeded"));
    }
    if let Err(e) = inner.store(
        k,
        Stored {
            id: id.as_str().to_string(),
            body: body.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    let mut shown = body;
    shown["properties"]["provisioningState"] = json!(if existed { "Updating" } else { "Creating" });
    lro(
        &mut inner,
        if existed {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        },
        shown,
    )
}

/// `POST /providers/Microsoft.ResourceGraph/resources`: rows in ARG's
/// shape (`type` and `resourceGroup` lower-cased as ARG returns them).
fn resource_graph(em: &Emulator, body: &Bytes) -> Response {
    let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let Some(q) = req.get("query").and_then(|q| q.as_str()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "The request needs a 'query'.",
            None,
        );
    };
    let query = match crate::graph_query::Query::parse(q) {
        Ok(q) => q,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!("Please provide a valid query: {}", e.0),
                None,
            );
        }
    };
    let subs: Vec<String> = req
        .get("subscriptions")
        .and_then(|s| s.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_ascii_lowercase))
                .collect()
        })
        .unwrap_or_default();
    let inner = em.inner.lock().expect("emulator state");
    let rows: Vec<serde_json::Map<String, Value>> = inner
        .resources
        .values()
        .filter_map(|s| {
            let id = ResourceId::parse(&s.id).ok()?;
            let sub = id.subscription_id()?.to_string();
            if !subs.is_empty() && !subs.contains(&sub.to_ascii_lowercase()) {
                return None;
            }
            let wanted = match query.table.as_str() {
                "resourcecontainers" => id.kind() == IdKind::ResourceGroup,
                _ => id.kind() == IdKind::Resource,
            };
            if !wanted || s.body["type"] == "Microsoft.Resources/deployments" {
                return None;
            }
            let b = &s.body;
            let ty = if id.kind() == IdKind::ResourceGroup {
                "microsoft.resources/subscriptions/resourcegroups".to_string()
            } else {
                b["type"].as_str().unwrap_or_default().to_ascii_lowercase()
            };
            let mut m = serde_json::Map::new();
            m.insert("id".into(), json!(s.id));
            m.insert("name".into(), b.get("name").cloned().unwrap_or(Value::Null));
            m.insert("type".into(), json!(ty));
            m.insert("tenantId".into(), json!(TENANT));
            for k in [
                "kind",
                "location",
                "managedBy",
                "sku",
                "plan",
                "properties",
                "tags",
                "identity",
                "zones",
                "extendedLocation",
            ] {
                m.insert(k.into(), b.get(k).cloned().unwrap_or(Value::Null));
            }
            m.insert(
                "resourceGroup".into(),
                json!(id.resource_group().unwrap_or_default().to_ascii_lowercase()),
            );
            m.insert("subscriptionId".into(), json!(sub));
            Some(m)
        })
        .collect();
    let all = query.run(rows.iter());
    let total = all.len();
    let options = req.get("options").cloned().unwrap_or(Value::Null);
    let top = options
        .get("$top")
        .and_then(|t| t.as_u64())
        .map(|t| t.clamp(1, 1000) as usize)
        .unwrap_or(1000);
    let skip = options
        .get("$skipToken")
        .and_then(|t| t.as_str())
        .and_then(|t| t.parse::<usize>().ok())
        .or_else(|| {
            options
                .get("$skip")
                .and_then(|t| t.as_u64())
                .map(|t| t as usize)
        })
        .unwrap_or(0);
    let page: Vec<Value> = all.into_iter().skip(skip).take(top).collect();
    let mut resp = json!({
        "totalRecords": total,
        "count": page.len(),
        "data": page,
        "facets": [],
        "resultTruncated": "false",
    });
    if skip + top < total {
        resp["$skipToken"] = json!((skip + top).to_string());
    }
    (StatusCode::OK, axum::Json(resp)).into_response()
}

fn patch(em: &Emulator, id: &ResourceId, value: Option<Value>) -> Response {
    let mut inner = em.inner.lock().expect("emulator state");
    let k = key(id.as_str());
    let Some(mut s) = inner.resources.get(&k).cloned() else {
        return not_found(&inner, id);
    };
    if let Some(tags) = value.as_ref().and_then(|v| v.get("tags")) {
        s.body["tags"] = tags.clone();
    }
    let body = s.body.clone();
    if let Err(e) = inner.store(k, s) {
        return persistence_failed(e);
    }
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn delete(em: &Emulator, id: &ResourceId) -> Response {
    let mut inner = em.inner.lock().expect("emulator state");
    let k = key(id.as_str());
    if !inner.resources.contains_key(&k) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let prefix = format!("{k}/");
    // In use: another resource (not one being deleted with it) refers to it
    // or to one of its children.
    for s in inner.resources.values() {
        let sk = key(&s.id);
        if sk == k || sk.starts_with(&prefix) {
            continue;
        }
        for r in references(&s.body) {
            let rk = r.to_ascii_lowercase();
            if rk == k || rk.starts_with(&prefix) {
                let ty = id.type_or_scope_type();
                return error(
                    StatusCode::CONFLICT,
                    in_use_code(ty.as_str()),
                    format!(
                        "{} is in use by {} and cannot be deleted.",
                        id.as_str(),
                        s.id
                    ),
                    None,
                );
            }
        }
    }
    let doomed: Vec<String> = inner
        .resources
        .keys()
        .filter(|x| **x == k || x.starts_with(&prefix))
        .cloned()
        .collect();
    for d in doomed {
        if let Err(e) = inner.unstore(&d) {
            return persistence_failed(e);
        }
    }
    lro(&mut inner, StatusCode::ACCEPTED, Value::Null)
}

fn list(em: &Emulator, scope: &str, groups: bool) -> Response {
    let inner = em.inner.lock().expect("emulator state");
    let prefix = if groups {
        format!("{scope}/")
    } else {
        format!("{}/", scope.trim_end_matches('/'))
    };
    let value: Vec<Value> = inner
        .resources
        .iter()
        .filter(|(k, s)| {
            k.starts_with(&prefix)
                && ResourceId::parse(&s.id).is_ok_and(|id| {
                    if groups {
                        id.kind() == IdKind::ResourceGroup
                    } else {
                        // ARM lists top-level resources only.
                        matches!(id.kind(), IdKind::Resource)
                            && id.resource_type().is_some_and(|t| t.depth() == 1)
                    }
                })
        })
        .map(|(_, s)| s.body.clone())
        .collect();
    (StatusCode::OK, axum::Json(json!({"value": value}))).into_response()
}
