//! State and request handling.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

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

mod access;
mod collections;
mod deployments;
mod disks;
mod locks;
use deployments::{Mode, deploy};

use crate::latency::{Clock, LatencyProfile};

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

/// How a long-running operation ended (or will end).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Succeeded,
    /// With ARM's error object (`{"code", "message"}`).
    Failed(Value),
    Canceled,
}

impl Outcome {
    fn status(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "Succeeded",
            Outcome::Failed(_) => "Failed",
            Outcome::Canceled => "Canceled",
        }
    }
}

/// One operation-status record.
#[derive(Debug, Clone)]
struct Operation {
    /// Clock time the operation was requested, started and completes.
    requested: Duration,
    started: Duration,
    done_at: Duration,
    /// Wall-clock start, for `startTime`/`endTime`.
    started_wall: SystemTime,
    outcome: Outcome,
    /// The resource it acts on (original spelling), if any.
    resource: Option<String>,
    /// Whether it deletes the resource (the Location URL then ends in 204).
    deleting: bool,
}

/// What happens to a resource when a timer fires.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    /// The operation ends: `provisioningState` becomes this.
    Finish(&'static str),
    /// The deletion ends: the resource and its children go.
    Remove,
    /// A snapshot's background copy (CopyStart) reaches 100%.
    CopyDone,
}

/// The operation running on a resource.
#[derive(Debug, Clone)]
pub(crate) struct Running {
    /// Timer sequence number (a superseded timer no longer matches).
    seq: u64,
    pub(crate) op: String,
    pub(crate) started: Duration,
    pub(crate) done_at: Duration,
    pub(crate) removing: bool,
}

/// A snapshot's background copy in progress.
#[derive(Debug, Clone)]
pub(crate) struct CopyProgress {
    pub(crate) started: Duration,
    pub(crate) done_at: Duration,
    /// Lower-cased id of the source snapshot.
    pub(crate) source: String,
    seq: u64,
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
    operations: BTreeMap<String, Operation>,
    next_op: u64,
    /// Timers: (due, sequence) in a min-heap, the event of each sequence.
    timers: BinaryHeap<Reverse<(Duration, u64)>>,
    events: HashMap<u64, (String, Event)>,
    next_timer: u64,
    /// Lower-cased id → the operation still running on it.
    running: HashMap<String, Running>,
    /// Lower-cased snapshot id → its background copy in progress.
    copies: HashMap<String, CopyProgress>,
    /// Management locks by the scope they lock (see [`locks`]).
    locks: locks::LockIndex,
    /// Lower-cased id → lower-cased ids of the resources that use it
    /// ([`usage_references`]): the in-use check on DELETE is a lookup of
    /// the resource and the range below it, not a scan.
    referrers: BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// Set `properties.provisioningState` (creating `properties` if absent; a
/// body whose `properties` is not an object is left as it is).
fn set_state(body: &mut Value, state: &str) {
    let Some(m) = body.as_object_mut() else {
        return;
    };
    let p = m.entry("properties").or_insert_with(|| json!({}));
    if let Some(p) = p.as_object_mut() {
        p.insert("provisioningState".into(), json!(state));
    }
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
        // The old version leaves the indexes before the new one enters (a
        // lock rewritten in place keeps its entry).
        if let Some(old) = self.resources.remove(&k) {
            self.index(&old, false);
        }
        self.index(&s, true);
        self.resources.insert(k, s);
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
        self.locks.index(&s.id, &s.body, add);
        let by = key(&s.id);
        for r in usage_references(&s.body) {
            if add {
                self.referrers.entry(r).or_default().insert(by.clone());
            } else if let Some(set) = self.referrers.get_mut(&r) {
                set.remove(&by);
                if set.is_empty() {
                    self.referrers.remove(&r);
                }
            }
        }
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

    fn schedule(&mut self, at: Duration, key: String, event: Event) -> u64 {
        self.next_timer += 1;
        let seq = self.next_timer;
        self.timers.push(Reverse((at, seq)));
        self.events.insert(seq, (key, event));
        seq
    }

    /// Apply every timer due at `now`, in order: operations end, deletions
    /// complete, copies finish. Cheap when nothing is due (one heap peek).
    fn settle(&mut self, now: Duration) {
        while let Some(Reverse((at, seq))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            let Some((k, event)) = self.events.remove(&seq) else {
                continue; // superseded
            };
            match event {
                Event::Finish(state) => {
                    if self.running.get(&k).is_some_and(|r| r.seq == seq) {
                        self.running.remove(&k);
                    }
                    if let Some(mut st) = self.resources.get(&k).cloned() {
                        set_state(&mut st.body, state);
                        // A failure to persist leaves the state in memory
                        // correct; the next write retries the row.
                        let _ = self.store(k, st);
                    }
                }
                Event::Remove => {
                    if self.running.get(&k).is_some_and(|r| r.seq == seq) {
                        self.running.remove(&k);
                    }
                    let _ = self.remove_tree(&k);
                }
                Event::CopyDone => {
                    if self.copies.get(&k).is_some_and(|c| c.seq == seq) {
                        self.copies.remove(&k);
                        if let Some(mut st) = self.resources.get(&k).cloned()
                            && let Some(p) = st
                                .body
                                .get_mut("properties")
                                .and_then(|p| p.as_object_mut())
                        {
                            p.insert("completionPercent".into(), json!(100.0));
                            let _ = self.store(k, st);
                        }
                    }
                }
            }
        }
    }

    /// Remove a resource and everything below it, with the side effects of
    /// removal (disks attached to a removed VM are detached, copies from a
    /// removed snapshot fail).
    fn remove_tree(&mut self, k: &str) -> Result<(), String> {
        let prefix = format!("{k}/");
        // The resource itself, then its children (`k/…`; keys such as
        // `k-other` sort between the two).
        let doomed: Vec<String> = self
            .resources
            .get_key_value(k)
            .into_iter()
            .chain(
                self.resources
                    .range(prefix.clone()..)
                    .take_while(|(x, _)| x.starts_with(&prefix)),
            )
            .map(|(x, _)| x.clone())
            .collect();
        for d in doomed {
            if let Some(st) = self.resources.get(&d).cloned() {
                self.unstore(&d)?;
                self.running.remove(&d);
                disks::on_removed(self, &d, &st);
            }
        }
        Ok(())
    }

    /// Start a long-running operation on resource `k` (or none) lasting
    /// `duration` from `now`; `event` is applied when it completes. Returns
    /// the operation id.
    #[allow(clippy::too_many_arguments)]
    fn start_operation(
        &mut self,
        now: Duration,
        k: Option<&str>,
        resource: Option<&str>,
        duration: Duration,
        outcome: Outcome,
        event: Option<Event>,
        deleting: bool,
    ) -> String {
        self.next_op += 1;
        let op = format!("op-{:012}", self.next_op);
        let done_at = now + duration;
        self.operations.insert(
            op.clone(),
            Operation {
                requested: now,
                started: now,
                done_at,
                started_wall: SystemTime::now(),
                outcome,
                resource: resource.map(str::to_string),
                deleting,
            },
        );
        // Operation records are kept for the most recent operations only, so
        // a long run stays within bounded memory (clients poll right after).
        while self.operations.len() > MAX_OPERATIONS {
            self.operations.pop_first();
        }
        if let (Some(k), Some(event)) = (k, event) {
            if duration.is_zero() {
                // Off profile: the event applies now (no timer).
                self.running.remove(k);
                match event {
                    Event::Remove => {
                        let _ = self.remove_tree(k);
                    }
                    Event::Finish(state) => {
                        // Usually stored with its final state already.
                        if let Some(mut st) = self
                            .resources
                            .get(k)
                            .filter(|st| {
                                st.body.pointer("/properties/provisioningState")
                                    != Some(&json!(state))
                            })
                            .cloned()
                        {
                            set_state(&mut st.body, state);
                            let _ = self.store(k.to_string(), st);
                        }
                    }
                    Event::CopyDone => {}
                }
            } else {
                let removing = event == Event::Remove;
                let seq = self.schedule(done_at, k.to_string(), event);
                self.running.insert(
                    k.to_string(),
                    Running {
                        seq,
                        op: op.clone(),
                        started: now,
                        done_at,
                        removing,
                    },
                );
            }
        }
        op
    }

    /// Postpone the start of the operation running on `k` to `start` (its
    /// duration unchanged): a resource a deployment creates begins when its
    /// dependencies are done.
    pub(crate) fn defer(&mut self, k: &str, start: Duration) {
        let Some(r) = self.running.get(k).cloned() else {
            return;
        };
        if start <= r.started {
            return;
        }
        let Some((_, event)) = self.events.remove(&r.seq) else {
            return;
        };
        let done_at = start + (r.done_at - r.started);
        let seq = self.schedule(done_at, k.to_string(), event);
        self.running.insert(
            k.to_string(),
            Running {
                seq,
                started: start,
                done_at,
                ..r.clone()
            },
        );
        if let Some(o) = self.operations.get_mut(&r.op) {
            o.started = start;
            o.done_at = done_at;
        }
    }

    /// Start a snapshot's background copy of `size_gb` from `source`.
    pub(crate) fn start_copy(&mut self, k: &str, source: &str, now: Duration, took: Duration) {
        let seq = self.schedule(now + took, k.to_string(), Event::CopyDone);
        self.copies.insert(
            k.to_string(),
            CopyProgress {
                started: now,
                done_at: now + took,
                source: source.to_string(),
                seq,
            },
        );
    }

    /// A stored body as a reader sees it at `now` (a copy's progress).
    fn view(&self, k: &str, body: &Value, now: Duration) -> Value {
        let mut v = body.clone();
        if let Some(c) = self.copies.get(k)
            && v.get("properties").is_some_and(|p| p.is_object())
        {
            let total = (c.done_at - c.started).as_secs_f64().max(f64::EPSILON);
            let done = now.saturating_sub(c.started).as_secs_f64();
            let pct = (done / total * 100.0).clamp(0.0, 99.9);
            v["properties"]["completionPercent"] = json!((pct * 10.0).floor() / 10.0);
        }
        v
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
    latency: LatencyProfile,
    clock: Clock,
    /// The only bearer token accepted; `None`: any token (test mode).
    token: Option<Arc<str>>,
    /// Linked-template content served locally: (URL prefix, directory).
    artifacts: Arc<Vec<(String, std::path::PathBuf)>>,
}

impl Emulator {
    /// An empty emulator, throttling as ARM does.
    pub fn new() -> Emulator {
        Emulator {
            throttle: Some(Arc::default()),
            ..Emulator::default()
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
        // Deletions cut short by a restart complete (with their children).
        let mut gone: Vec<String> = Vec::new();
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
                let mut body = body;
                // An operation cut short by a restart completes.
                match body["properties"]["provisioningState"].as_str() {
                    Some("Deleting") => {
                        gone.push(k);
                        continue;
                    }
                    Some("Creating" | "Updating" | "Accepted") => {
                        body["properties"]["provisioningState"] = json!("Succeeded");
                    }
                    _ => {}
                }
                resources.insert(k, Stored { id, body });
            }
        }
        for g in &gone {
            let prefix = format!("{g}/");
            resources.retain(|k: &String, _| !k.starts_with(&prefix));
            db.execute(
                "DELETE FROM resources WHERE key = ?1 OR substr(key, 1, length(?2)) = ?2",
                rusqlite::params![g, prefix],
            )
            .map_err(|e| format!("cannot complete the deletion of {g}: {e}"))?;
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

    /// Operations take the time `profile` says (default: off, immediate).
    pub fn with_latency(mut self, profile: LatencyProfile) -> Emulator {
        self.latency = profile;
        self
    }

    /// Measure operations against `clock` (tests use [`Clock::manual`]).
    pub fn with_clock(mut self, clock: Clock) -> Emulator {
        self.clock = clock;
        self
    }

    /// Serve linked templates (`templateLink.uri`) under `url_prefix` from
    /// the local directory `dir`, as a mirror of the artifact storage a
    /// deployment links to (the emulator works offline; other links fail
    /// with `InvalidContentLink`).
    pub fn with_artifacts(mut self, url_prefix: &str, dir: &std::path::Path) -> Emulator {
        let mut a = self.artifacts.as_ref().clone();
        a.push((url_prefix.to_string(), dir.to_path_buf()));
        self.artifacts = Arc::new(a);
        self
    }

    /// Accept only this bearer token (without it, any bearer token: test
    /// mode).
    pub fn with_token(mut self, token: Option<String>) -> Emulator {
        self.token = token.map(Arc::from);
        self
    }

    /// The latency profile.
    pub fn latency(&self) -> LatencyProfile {
        self.latency
    }

    /// The clock operations are measured against.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// When the operation running on the resource `id` completes, in clock
    /// time ([`Clock::now`]); `None` when nothing runs on it (or it is done).
    /// The deployments API uses it so a resource starts when its
    /// dependencies are done: a deployment lasts as long as its longest
    /// dependency path.
    pub fn busy_until(&self, id: &str) -> Option<Duration> {
        let inner = self.state();
        inner.running.get(&key(id)).map(|r| r.done_at)
    }

    /// Start the operation running on `id` at clock time `start` instead of
    /// when it was requested (no effect if `start` is earlier or nothing
    /// runs on it); returns when it now completes.
    pub fn start_after(&self, id: &str, start: Duration) -> Option<Duration> {
        let mut inner = self.state();
        let k = key(id);
        inner.defer(&k, start);
        inner.running.get(&k).map(|r| r.done_at)
    }

    /// The state, with every operation due by now applied.
    fn state(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.settle(self.clock.now());
        inner
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
                if !m.contains_key("name") {
                    m.insert("name".into(), json!(rid.name().unwrap_or_default()));
                }
                if !m.contains_key("type") {
                    m.insert("type".into(), json!(rid.type_or_scope_type().as_str()));
                }
            }
            if inner.store(key(&id), Stored { id, body }).is_ok() {
                n += 1;
            }
        }
        n
    }

    /// Number of stored resources and resource groups.
    pub fn len(&self) -> usize {
        self.state().resources.len()
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
    // Absolute operation URLs need the scheme (set by `serve`) and the host.
    let scheme = parts
        .extensions
        .get::<crate::serve::Scheme>()
        .map(|s| s.0)
        .unwrap_or("http");
    let base = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && !h.contains(['/', ' ']))
        .map(|h| format!("{scheme}://{h}"))
        .unwrap_or_default();
    // Clients joining an endpoint that ends in '/' with a path that starts
    // with one send `//subscriptions/…`; ARM reads it as one slash.
    let mut parts = parts;
    parts.uri = collapse_slashes(&parts.uri);
    // Endpoints that come before authentication, as in Azure: the cloud's
    // metadata document and the emulated token endpoint.
    if let Some(r) = access::public_endpoint(&em, &parts.method, &parts.uri, &parts.headers, &base)
    {
        return r;
    }
    let mut r = handle(&em, &parts.method, &parts.uri, &parts.headers, body).await;
    if !base.is_empty() {
        for h in ["azure-asyncoperation", "location"] {
            let abs = r
                .headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .filter(|v| v.starts_with('/'))
                .and_then(|v| HeaderValue::from_str(&format!("{base}{v}")).ok());
            if let Some(v) = abs {
                r.headers_mut().insert(h, v);
            }
        }
    }
    r
}

/// A request body as ARM reads it (Newtonsoft, lenient): strict JSON first;
/// otherwise comments, trailing commas and unquoted property names are
/// accepted. The Azure CLI relies on it: `az deployment group create
/// --template-file` splices the template text in verbatim after an unquoted
/// `template:` key (to preserve its whitespace and comments).
fn parse_body(body: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(strict) => {
            let text = std::str::from_utf8(body).map_err(|_| strict.to_string())?;
            azrelo_template::json::parse(&quote_bare_keys(text), "request")
                .map_err(|_| strict.to_string())
        }
    }
}

/// Quote unquoted property names (`{template: …}` → `{"template": …}`),
/// leaving strings and comments alone.
fn quote_bare_keys(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut i = 0;
    // The last significant character outside strings and comments.
    let mut last = b' ';
    while i < b.len() {
        let c = b[i];
        if c == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            out.push_str(&text[start..i]);
            last = b'"';
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            out.push_str(&text[i..end]);
            i = end;
            continue;
        }
        if (c.is_ascii_alphabetic() || c == b'_' || c == b'$') && matches!(last, b'{' | b',') {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'$') {
                i += 1;
            }
            let word = &text[start..i];
            let next = text[i..].trim_start().as_bytes().first().copied();
            if next == Some(b':') {
                out.push('"');
                out.push_str(word);
                out.push('"');
            } else {
                out.push_str(word);
            }
            last = b'a';
            continue;
        }
        // Copy one whole character (UTF-8 safe).
        let ch = text[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        if !ch.is_whitespace() {
            last = if ch.is_ascii() { ch as u8 } else { b'a' };
        }
        i += ch.len_utf8();
    }
    out
}

fn collapse_slashes(uri: &Uri) -> Uri {
    if !uri.path().contains("//") {
        return uri.clone();
    }
    let mut path = String::with_capacity(uri.path().len());
    for c in uri.path().chars() {
        if !(c == '/' && path.ends_with('/')) {
            path.push(c);
        }
    }
    let pq = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    pq.parse().unwrap_or_else(|_| uri.clone())
}

/// Compare two byte strings in time independent of where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn handle(
    em: &Emulator,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    // Authentication: a bearer token must be present; with a configured
    // token only that one is accepted, otherwise any (test mode).
    let bearer = headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer "))
        .map(|h| h[7..].trim());
    let Some(bearer) = bearer else {
        return error(
            StatusCode::UNAUTHORIZED,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            None,
        );
    };
    if let Some(expected) = &em.token
        && !same_secret(expected.as_bytes(), bearer.as_bytes())
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "The access token is invalid.",
            None,
        );
    }
    // Injected faults come before anything else (a flaky front door).
    let mut fail_operation = false;
    if let Some(f) = &em.faults {
        use crate::faults::Fault;
        let draw = f.lock().unwrap_or_else(|e| e.into_inner()).draw_all();
        if let Some(d) = draw.delay {
            tokio::time::sleep(d).await;
        }
        fail_operation = draw.fail_operation;
        match draw.fault {
            Fault::None => {}
            Fault::Dropped => return crate::serve::drop_connection(),
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
        let take = t.lock().unwrap_or_else(|e| e.into_inner()).take(
            &sub,
            bearer,
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
    let mut response = handle_inner(em, method, uri, body, fail_operation).await;
    if let Some((kind, left)) = remaining
        && let Ok(v) = HeaderValue::from_str(&left.to_string())
    {
        response.headers_mut().insert(kind.header(), v);
    }
    response
}

async fn handle_inner(
    em: &Emulator,
    method: &Method,
    uri: &Uri,
    body: Bytes,
    fail_operation: bool,
) -> Response {
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
    // Operation status (Azure-AsyncOperation) and operation results
    // (Location).
    if let Some(op) = lower.strip_prefix("/providers/azrelo.emulator/operations/") {
        return operation_status(em, op);
    }
    if let Some(op) = lower.strip_prefix("/providers/azrelo.emulator/operationresults/") {
        return operation_result(em, op);
    }
    // Subscriptions, tenants (what `az login` and `az account` read).
    if let Some(r) = access::account_endpoint(em, method, &lower) {
        return r;
    }
    // Lists.
    if let Some(scope) = lower.strip_suffix("/resources") {
        return list(em, scope, false);
    }
    if lower.ends_with("/resourcegroups") && method == Method::GET {
        return list(em, &lower, true);
    }
    // Deployment operations and operation status: GET
    // {deployment}/operations[/{id}], {deployment}/operationStatuses/{id}.
    if method == Method::GET
        && let Some(r) = deployments::deployment_subresource(em, path)
    {
        return r;
    }
    // Name checks of the providers with global names (what `az storage
    // account create` and friends call first).
    if method == Method::POST && lower.ends_with("/checknameavailability") {
        return check_name_availability(em, &lower, &body);
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
            let value = parse_body(&body).ok();
            return deploy(em, &did, value, mode).await;
        }
    }
    // Collections: GET {scope}/providers/{ns}/{type}, GET {parent}/{child type}.
    if method == Method::GET
        && ResourceId::parse(path).is_err()
        && let Some(r) = collections::list_collection(em, path)
    {
        return r;
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
        match parse_body(&body) {
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
        (Method::PUT, IdKind::Resource | IdKind::Extension) => {
            put_with(em, &id, value, fail_operation)
        }
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
    let now = em.clock.now();
    let inner = em.state();
    let k = key(id.as_str());
    match inner.resources.get(&k) {
        Some(s) => (StatusCode::OK, axum::Json(inner.view(&k, &s.body, now))).into_response(),
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
    inner.resources.contains_key(&key(id.as_str()))
        || sub_resource(inner, id).is_some()
        || deployments::builtin_child(inner, id)
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

/// A 200/201/202 answer with ARM's long-running operation headers:
/// `Azure-AsyncOperation` (the status endpoint), `Location` (the result
/// endpoint) and, while the operation runs, `Retry-After`.
fn operation_response(status: StatusCode, body: Value, op: &str, remaining: Duration) -> Response {
    let mut r = if body.is_null() {
        status.into_response()
    } else {
        (status, axum::Json(body)).into_response()
    };
    let status_url = format!("/providers/azrelo.emulator/operations/{op}?api-version=2024-01-01");
    let result_url =
        format!("/providers/azrelo.emulator/operationResults/{op}?api-version=2024-01-01");
    if let Ok(v) = HeaderValue::from_str(&status_url) {
        r.headers_mut().insert("azure-asyncoperation", v);
    }
    if let Ok(v) = HeaderValue::from_str(&result_url) {
        r.headers_mut().insert("location", v);
    }
    if !remaining.is_zero() {
        r.headers_mut()
            .insert("retry-after", retry_after(remaining));
    }
    r
}

/// Seconds until an operation is worth polling again: what remains, at
/// least 1 and at most 15 (ARM's usual range).
fn retry_after(remaining: Duration) -> HeaderValue {
    let secs = remaining.as_secs_f64().ceil().clamp(1.0, 15.0) as u64;
    HeaderValue::from(secs)
}

/// RFC 3339 UTC with 7 fractional digits, as ARM writes timestamps (one
/// format for operation status, deployments and disks).
fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let dt = azrelo_template::date::DateTime::from_epoch(d.as_secs() as i64);
    format!(
        "{}.{:07}Z",
        azrelo_template::date::format(&dt, "yyyy-MM-ddTHH:mm:ss"),
        d.subsec_nanos() / 100
    )
}

fn operation_not_found(op: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "OperationNotFound",
        format!("Operation {op} not found."),
        None,
    )
}

/// `GET …/operations/{op}` (Azure-AsyncOperation): `InProgress` until the
/// operation's completion time, then `Succeeded`, `Failed` (with ARM's error)
/// or `Canceled`.
fn operation_status(em: &Emulator, op: &str) -> Response {
    let now = em.clock.now();
    let inner = em.state();
    let Some(o) = inner.operations.get(op) else {
        return operation_not_found(op);
    };
    let done = now >= o.done_at;
    let mut body = json!({
        "id": format!("/providers/azrelo.emulator/operations/{op}"),
        "name": op,
        "status": if done { o.outcome.status() } else { "InProgress" },
        "startTime": rfc3339(o.started_wall + o.started.saturating_sub(o.requested)),
    });
    if done {
        body["endTime"] = json!(rfc3339(
            o.started_wall + o.done_at.saturating_sub(o.requested)
        ));
        if let Outcome::Failed(e) = &o.outcome {
            body["error"] = e.clone();
        }
        return (StatusCode::OK, axum::Json(body)).into_response();
    }
    let total = (o.done_at - o.requested).as_secs_f64().max(f64::EPSILON);
    let pct = (now.saturating_sub(o.requested).as_secs_f64() / total * 100.0).min(99.0);
    body["percentComplete"] = json!(pct.floor());
    let mut r = (StatusCode::OK, axum::Json(body)).into_response();
    r.headers_mut()
        .insert("retry-after", retry_after(o.done_at - now));
    r
}

/// `GET …/operationResults/{op}` (Location): 202 while the operation runs,
/// then the resource (200), nothing (204, a deletion) or the error.
fn operation_result(em: &Emulator, op: &str) -> Response {
    let now = em.clock.now();
    let inner = em.state();
    let Some(o) = inner.operations.get(op) else {
        return operation_not_found(op);
    };
    if now < o.done_at {
        let mut r = StatusCode::ACCEPTED.into_response();
        let url =
            format!("/providers/azrelo.emulator/operationResults/{op}?api-version=2024-01-01");
        if let Ok(v) = HeaderValue::from_str(&url) {
            r.headers_mut().insert("location", v);
        }
        r.headers_mut()
            .insert("retry-after", retry_after(o.done_at - now));
        return r;
    }
    match &o.outcome {
        Outcome::Succeeded => {
            if o.deleting {
                return StatusCode::NO_CONTENT.into_response();
            }
            match o
                .resource
                .as_deref()
                .and_then(|id| inner.resources.get(&key(id)))
            {
                Some(s) => (
                    StatusCode::OK,
                    axum::Json(inner.view(&key(&s.id), &s.body, now)),
                )
                    .into_response(),
                None => StatusCode::NO_CONTENT.into_response(),
            }
        }
        Outcome::Failed(e) => {
            let status = if e["code"] == "InternalExecutionError" {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, axum::Json(json!({"error": e}))).into_response()
        }
        Outcome::Canceled => error(
            StatusCode::CONFLICT,
            "OperationCanceled",
            "The operation was canceled.",
            None,
        ),
    }
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
    // A ReadOnly lock on the group or its subscription refuses the write.
    if let Err(r) = inner.locks.check(id.as_str(), locks::Op::Write) {
        return *r;
    }
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

/// `POST /subscriptions/{sub}/providers/{Namespace}/checkNameAvailability`
/// with `{"name", "type"}`: whether a globally unique name is free, against
/// every subscription the emulator holds (Storage answers `nameAvailable`,
/// `reason: AlreadyExists`, `message`; the other providers the same shape).
fn check_name_availability(em: &Emulator, lower: &str, body: &Bytes) -> Response {
    let req = parse_body(body).unwrap_or(Value::Null);
    let Some(name) = req.get("name").and_then(|n| n.as_str()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request needs a 'name'.",
            None,
        );
    };
    let namespace = lower
        .rsplit_once("/providers/")
        .and_then(|(_, rest)| rest.split('/').next())
        .unwrap_or_default();
    let ty = req
        .get("type")
        .and_then(|t| t.as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            match namespace {
                "microsoft.storage" => "Microsoft.Storage/storageAccounts",
                "microsoft.keyvault" => "Microsoft.KeyVault/vaults",
                "microsoft.containerregistry" => "Microsoft.ContainerRegistry/registries",
                "microsoft.web" => "Microsoft.Web/sites",
                "microsoft.sql" => "Microsoft.Sql/servers",
                _ => "",
            }
            .to_string()
        });
    let taken = em.state().name_taken(&ty, name);
    let mut v = json!({"nameAvailable": !taken});
    if taken {
        v["reason"] = json!("AlreadyExists");
        v["message"] = json!(format!("The name '{name}' is already taken for {ty}."));
    }
    (StatusCode::OK, axum::Json(v)).into_response()
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

/// One step of a JSON pointer.
enum Seg<'a> {
    Key(&'a str),
    Index,
}

/// The JSON pointer (RFC 6901) of a path's shape: every array index is
/// written `0` (see [`read_only`]).
fn shape(path: &[Seg<'_>]) -> String {
    let mut p = String::new();
    for s in path {
        p.push('/');
        match s {
            Seg::Key(k) => p.push_str(&k.replace('~', "~0").replace('/', "~1")),
            Seg::Index => p.push('0'),
        }
    }
    p
}

/// Whether the path is read-only for the type, memoised per type and
/// pointer shape: the schema patterns match an array element with `*` and
/// never name an index, so every element of an array answers alike. A
/// type's pattern list runs to hundreds (a NIC's), and every write of a
/// resource naming others asks.
fn read_only(flags: &'static azrelo_arm::schema::TypeFlags, path: &[Seg<'_>]) -> bool {
    type Memo = HashMap<(usize, String), bool>;
    static MEMO: std::sync::OnceLock<Mutex<Memo>> = std::sync::OnceLock::new();
    let k = (flags as *const _ as usize, shape(path));
    let memo = MEMO.get_or_init(Mutex::default);
    if let Some(&ro) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&k) {
        return ro;
    }
    let ro = flags.is_read_only(&k.1);
    let mut m = memo.lock().unwrap_or_else(|e| e.into_inner());
    // Map keys in bodies are unbounded in principle: stay bounded.
    if m.len() >= 1 << 16 {
        m.clear();
    }
    m.insert(k, ro);
    ro
}

/// The lower-cased ids a resource uses (what keeps them from being
/// deleted): references in its properties except under `creationData`
/// (what a disk or snapshot was copied from — history) and at paths its
/// type's schema marks read-only (back-references ARM maintains and
/// detaches itself: a NIC's `virtualMachine`, a subnet's `ipConfigurations`,
/// a server's `privateEndpointConnections`; see
/// [`azrelo_arm::schema::SchemaFlags`]). A deployment record uses nothing:
/// what it lists (`outputResources`, outputs) is history too, and ARM
/// deletes those resources freely.
fn usage_references(body: &Value) -> std::collections::BTreeSet<String> {
    let ty = body
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    let mut out = Vec::new();
    if ty.eq_ignore_ascii_case("Microsoft.Resources/deployments") {
        return Default::default();
    }
    let Some(p) = body.get("properties").and_then(|p| p.as_object()) else {
        return Default::default();
    };
    let flags = azrelo_arm::schema::SchemaFlags::embedded().get(ty);
    let mut path = vec![Seg::Key("properties")];
    for (name, v) in p {
        if name.eq_ignore_ascii_case("creationData") {
            continue;
        }
        path.push(Seg::Key(name));
        references_at(v, &mut path, flags, &mut out);
        path.pop();
    }
    out.into_iter().map(|r| r.to_ascii_lowercase()).collect()
}

/// References to other resources inside a body's properties, except at
/// paths the type's schema marks read-only: ARM ignores read-only
/// properties in a request (a NIC read back with its `virtualMachine` and
/// written again does not make ARM resolve the VM).
fn references(body: &Value, resource_type: &str) -> Vec<String> {
    let mut out = Vec::new();
    let Some(p) = body.get("properties") else {
        return out;
    };
    let flags = azrelo_arm::schema::SchemaFlags::embedded().get(resource_type);
    let mut path = vec![Seg::Key("properties")];
    references_at(p, &mut path, flags, &mut out);
    out
}

fn references_at<'a>(
    v: &'a Value,
    path: &mut Vec<Seg<'a>>,
    flags: Option<&'static azrelo_arm::schema::TypeFlags>,
    out: &mut Vec<String>,
) {
    match v {
        Value::String(s) => {
            let mut found = find_resource_ids(s).peekable();
            if found.peek().is_some() && !flags.is_some_and(|f| read_only(f, path)) {
                out.extend(found.map(|m| m.text.to_string()));
            }
        }
        Value::Array(a) => {
            for x in a {
                path.push(Seg::Index);
                references_at(x, path, flags, out);
                path.pop();
            }
        }
        Value::Object(m) => {
            for (name, x) in m {
                path.push(Seg::Key(name));
                references_at(x, path, flags, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn put(em: &Emulator, id: &ResourceId, value: Option<Value>) -> Response {
    put_with(em, id, value, false)
}

/// Create or update a resource; with `fail_operation` the PUT is accepted
/// but its operation ends `Failed` (an injected fault).
fn put_with(
    em: &Emulator,
    id: &ResourceId,
    value: Option<Value>,
    fail_operation: bool,
) -> Response {
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
    let now = em.clock.now();
    let mut inner = em.state();
    // The resource group must exist.
    if let Some(rg) = id.resource_group_id()
        && !inner.resources.contains_key(&key(rg.as_str()))
    {
        return not_found(&inner, id);
    }
    // A ReadOnly lock at or above the resource refuses the write.
    if let Err(r) = inner.locks.check(id.as_str(), locks::Op::Write) {
        return *r;
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
    // One operation at a time on a resource (Network and Compute answer
    // 409 AnotherOperationInProgress while one runs).
    if let Some(r) = inner.running.get(&k) {
        return error(
            StatusCode::CONFLICT,
            "AnotherOperationInProgress",
            format!(
                "Another operation on this or dependent resource is in progress: {} is {}.",
                id.as_str(),
                if r.removing {
                    "being deleted"
                } else {
                    "being created or updated"
                }
            ),
            None,
        );
    }
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
    // holds must resolve. Not in a portal dashboard: its `lenses`/`metadata`
    // are opaque objects the Portal RP stores as given (REST spec
    // `DashboardProperties`: "lenses: object", learn.microsoft.com/azure/
    // templates/microsoft.portal/dashboards); a tile naming a missing
    // resource shows an error when rendered, the PUT succeeds.
    let dashboard = ty_s.eq_ignore_ascii_case("Microsoft.Portal/dashboards");
    for r in references(&body, &ty_s).into_iter().filter(|_| !dashboard) {
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
    if props.is_null() {
        *props = json!({});
    }
    let Some(p) = props.as_object_mut() else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid: 'properties' must be an object.",
            None,
        );
    };
    {
        if ty_s.eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities") {
            let seed = format!("{k}#uami");
            let principal = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes());
            let client = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, seed.as_bytes());
            p.insert("principalId".into(), json!(principal.to_string()));
            p.insert("clientId".into(), json!(client.to_string()));
            p.insert("tenantId".into(), json!(TENANT));
        }
    }
    // The disk data path: managed disks, snapshots, copies, attachments.
    let disk_plan = match disks::prepare(&inner, id, &ty_s, &mut body, now, em.latency) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let duration = if existed {
        em.latency.update(&ty_s)
    } else {
        em.latency.create(&ty_s)
    };
    let transitional = if existed { "Updating" } else { "Creating" };
    let (outcome, final_state) = if fail_operation {
        (
            Outcome::Failed(json!({
                "code": "InternalExecutionError",
                "message": "An internal execution error occurred. (injected fault: the operation failed)",
            })),
            "Failed",
        )
    } else {
        (Outcome::Succeeded, "Succeeded")
    };
    set_state(
        &mut body,
        if duration.is_zero() {
            final_state
        } else {
            transitional
        },
    );
    if let Err(e) = inner.store(
        k.clone(),
        Stored {
            id: id.as_str().to_string(),
            body: body.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    disks::apply(&mut inner, &k, id.as_str(), disk_plan, now);
    if !existed
        && !fail_operation
        && ty_s.eq_ignore_ascii_case("Microsoft.Network/virtualNetworks")
        && let Err(e) = auto_network_watcher(&mut inner, id, &body)
    {
        return persistence_failed(e);
    }
    let op = inner.start_operation(
        now,
        Some(&k),
        Some(id.as_str()),
        duration,
        outcome,
        Some(Event::Finish(final_state)),
        false,
    );
    let mut shown = inner.view(&k, &body, now);
    set_state(&mut shown, transitional);
    let (status, with_body) = put_status(&ty_s, existed);
    operation_response(
        status,
        if with_body { shown } else { Value::Null },
        &op,
        duration,
    )
}

/// The status a PUT answers with, and whether it carries the body, as each
/// resource provider's REST specification declares it: Compute disks and
/// snapshots answer 202 (with the resource), storage accounts 202 without a
/// body (200 when the account exists), others 201 on create and 200 on
/// update. SDK pollers reject a status the specification does not list.
fn put_status(resource_type: &str, existed: bool) -> (StatusCode, bool) {
    match resource_type.to_ascii_lowercase().as_str() {
        "microsoft.compute/disks" | "microsoft.compute/snapshots" => (StatusCode::ACCEPTED, true),
        "microsoft.storage/storageaccounts" if !existed => (StatusCode::ACCEPTED, false),
        _ if existed => (StatusCode::OK, true),
        _ => (StatusCode::CREATED, true),
    }
}

/// Network Watcher is enabled automatically: when a virtual network is
/// created in a region of a subscription without a network watcher there,
/// Azure creates the resource group `NetworkWatcherRG` (if missing) and
/// `Microsoft.Network/networkWatchers/NetworkWatcher_<region>` in it
/// (learn.microsoft.com/azure/network-watcher/network-watcher-create:
/// "Network Watcher is automatically enabled when you create or update a
/// virtual network in your subscription"; one watcher per subscription and
/// region, the names as in the `New-AzNetworkWatcher` example). A
/// subscription that opted out (the `DisableNetworkWatcherAutocreation`
/// feature) is not modelled.
fn auto_network_watcher(inner: &mut Inner, vnet: &ResourceId, body: &Value) -> Result<(), String> {
    let (Some(sub), Some(loc)) = (
        vnet.subscription_id(),
        body.get("location").and_then(|l| l.as_str()),
    ) else {
        return Ok(());
    };
    let region = azrelo_arm::Regions::embedded().get(loc).map_or_else(
        || loc.to_ascii_lowercase().replace(' ', ""),
        |r| r.name.clone(),
    );
    let prefix = format!("/subscriptions/{sub}/").to_ascii_lowercase();
    let has_watcher = inner.resources.values().any(|r| {
        let id = r.id.to_ascii_lowercase();
        const WATCHERS: &str = "/providers/microsoft.network/networkwatchers/";
        id.starts_with(&prefix)
            && id
                .find(WATCHERS)
                .is_some_and(|i| !id[i + WATCHERS.len()..].contains('/'))
            && r.body["location"]
                .as_str()
                .and_then(|l| azrelo_arm::Regions::embedded().get(l))
                .is_some_and(|r| r.name == region)
    });
    if has_watcher {
        return Ok(());
    }
    let rg = format!("/subscriptions/{sub}/resourceGroups/NetworkWatcherRG");
    if !inner.resources.contains_key(&key(&rg)) {
        inner.store(
            key(&rg),
            Stored {
                id: rg.clone(),
                body: json!({
                    "id": rg, "name": "NetworkWatcherRG",
                    "type": "Microsoft.Resources/resourceGroups",
                    "location": region, "tags": {},
                    "properties": {"provisioningState": "Succeeded"},
                }),
            },
        )?;
    }
    let name = format!("NetworkWatcher_{region}");
    let id = format!("{rg}/providers/Microsoft.Network/networkWatchers/{name}");
    inner.store(
        key(&id),
        Stored {
            id: id.clone(),
            body: json!({
                "id": id, "name": name,
                "type": "Microsoft.Network/networkWatchers",
                "location": region, "tags": {},
                "properties": {"provisioningState": "Succeeded"},
            }),
        },
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

/// RFC 7386 JSON merge patch: objects merge recursively, `null` removes a
/// member, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Whether a type's PATCH only updates tags (Microsoft.Network's
/// `UpdateTags` operations and resource groups' tags/managedBy); other
/// resource providers apply a merge patch of the resource.
fn patch_tags_only(resource_type: &str) -> bool {
    let t = resource_type.to_ascii_lowercase();
    t.starts_with("microsoft.network/") || t == "microsoft.resources/resourcegroups"
}

/// PATCH: a merge patch of the stored resource as ARM applies it (tags only
/// for Network resources and groups); `id`, `name`, `type` and `location`
/// cannot change. A change beyond tags is an update operation timed by the
/// latency profile.
fn patch(em: &Emulator, id: &ResourceId, value: Option<Value>) -> Response {
    let now = em.clock.now();
    let mut inner = em.state();
    let k = key(id.as_str());
    let Some(mut s) = inner.resources.get(&k).cloned() else {
        return not_found(&inner, id);
    };
    // A ReadOnly lock refuses any PATCH, tags included.
    if let Err(r) = inner.locks.check(&s.id, locks::Op::Write) {
        return *r;
    }
    let Some(Value::Object(p)) = value else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request body must be a JSON object.",
            None,
        );
    };
    if inner.running.contains_key(&k) {
        return error(
            StatusCode::CONFLICT,
            "AnotherOperationInProgress",
            format!(
                "Another operation on this or dependent resource is in progress: {}.",
                id.as_str()
            ),
            None,
        );
    }
    let ty = s.body["type"]
        .as_str()
        .unwrap_or(id.type_or_scope_type().as_str())
        .to_string();
    if let (Some(new), Some(old)) = (
        p.get("location").and_then(|l| l.as_str()),
        s.body.get("location").and_then(|l| l.as_str()),
    ) && !new
        .replace(' ', "")
        .eq_ignore_ascii_case(&old.replace(' ', ""))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidResourceLocation",
            format!(
                "The resource '{}' is in location '{old}'; its location cannot be changed to '{new}'.",
                id.name().unwrap_or_default()
            ),
            None,
        );
    }
    let tags_only = patch_tags_only(&ty) || p.keys().all(|k| k == "tags");
    if tags_only {
        if let Some(tags) = p.get("tags") {
            s.body["tags"] = tags.clone();
        }
        let body = s.body.clone();
        if let Err(e) = inner.store(k.clone(), s) {
            return persistence_failed(e);
        }
        return (StatusCode::OK, axum::Json(inner.view(&k, &body, now))).into_response();
    }
    let mut body = s.body.clone();
    for (field, v) in &p {
        if matches!(field.as_str(), "id" | "name" | "type" | "location") {
            continue;
        }
        if v.is_null() {
            if let Some(m) = body.as_object_mut() {
                m.remove(field);
            }
        } else {
            merge_patch(&mut body[field.as_str()], v);
        }
    }
    if !body.get("properties").is_none_or(|p| p.is_object()) {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContent",
            "The request content was invalid: 'properties' must be an object.",
            None,
        );
    }
    let plan = match disks::prepare(&inner, id, &ty, &mut body, now, em.latency) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let duration = em.latency.update(&ty);
    set_state(
        &mut body,
        if duration.is_zero() {
            "Succeeded"
        } else {
            "Updating"
        },
    );
    if let Err(e) = inner.store(
        k.clone(),
        Stored {
            id: s.id.clone(),
            body: body.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    disks::apply(&mut inner, &k, &s.id, plan, now);
    let op = inner.start_operation(
        now,
        Some(&k),
        Some(&s.id),
        duration,
        Outcome::Succeeded,
        Some(Event::Finish("Succeeded")),
        false,
    );
    let shown = inner.view(&k, &body, now);
    if duration.is_zero() {
        return (StatusCode::OK, axum::Json(shown)).into_response();
    }
    operation_response(StatusCode::ACCEPTED, shown, &op, duration)
}

fn delete(em: &Emulator, id: &ResourceId) -> Response {
    let now = em.clock.now();
    let mut inner = em.state();
    let k = key(id.as_str());
    if !inner.resources.contains_key(&k) {
        return StatusCode::NO_CONTENT.into_response();
    }
    // Already being deleted: the same operation answers again.
    if let Some(r) = inner.running.get(&k).filter(|r| r.removing).cloned() {
        return operation_response(
            StatusCode::ACCEPTED,
            Value::Null,
            &r.op,
            r.done_at.saturating_sub(now),
        );
    }
    // Any lock at, above or below it refuses the deletion (ARM checks locks
    // before the resource provider sees the request).
    if let Err(r) = inner.locks.check(id.as_str(), locks::Op::Delete) {
        return *r;
    }
    let prefix = format!("{k}/");
    // In use: another resource (not one being deleted with it, nor one being
    // deleted itself) refers to it or to one of its children at a writable
    // path. Where a disk or snapshot was copied from (`creationData`) is
    // history, not use; a reference at a read-only path is a back-reference
    // ARM maintains (a NIC's `virtualMachine`, a subnet's
    // `ipConfigurations`, a server's `privateEndpointConnections`): ARM
    // detaches those itself. The referrers come from the index
    // ([`usage_references`]): the resource's own entry and the range below
    // it (`k-other` sorts between `k` and `k/`, hence two lookups), in
    // order, so the answer names the same referrer every time.
    let referrers: std::collections::BTreeSet<&String> = inner
        .referrers
        .get(&k)
        .into_iter()
        .flatten()
        .chain(
            inner
                .referrers
                .range(prefix.clone()..)
                .take_while(|(r, _)| r.starts_with(&prefix))
                .flat_map(|(_, by)| by),
        )
        .collect();
    for sk in referrers {
        // Not one being deleted with it, nor one being deleted itself.
        if *sk == k || sk.starts_with(&prefix) {
            continue;
        }
        if inner.running.get(sk).is_some_and(|r| r.removing) {
            continue;
        }
        let Some(s) = inner.resources.get(sk) else {
            continue;
        };
        let ty = id.type_or_scope_type();
        if let Some(resp) = disks::in_use(id, &s.id, &s.body) {
            return resp;
        }
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
    // How long: the resource's own type, or for a group the longest of what
    // it holds (ARM deletes them in parallel).
    let duration = if id.kind() == IdKind::ResourceGroup {
        inner
            .resources
            .range(prefix.clone()..)
            .take_while(|(x, _)| x.starts_with(&prefix))
            .map(|(_, s)| {
                em.latency
                    .delete(s.body["type"].as_str().unwrap_or_default())
            })
            .max()
            .unwrap_or_default()
            .max(em.latency.delete("Microsoft.Resources/resourceGroups"))
    } else {
        em.latency.delete(id.type_or_scope_type().as_str())
    };
    // A create or update still running is canceled.
    if let Some(r) = inner.running.remove(&k) {
        inner.events.retain(|_, (ek, _)| *ek != k);
        if let Some(o) = inner.operations.get_mut(&r.op) {
            o.outcome = Outcome::Canceled;
            o.done_at = now;
        }
    }
    if !duration.is_zero()
        && let Some(mut st) = inner.resources.get(&k).cloned()
    {
        set_state(&mut st.body, "Deleting");
        if let Err(e) = inner.store(k.clone(), st) {
            return persistence_failed(e);
        }
    }
    let op = inner.start_operation(
        now,
        Some(&k),
        Some(id.as_str()),
        duration,
        Outcome::Succeeded,
        Some(Event::Remove),
        true,
    );
    operation_response(StatusCode::ACCEPTED, Value::Null, &op, duration)
}

fn list(em: &Emulator, scope: &str, groups: bool) -> Response {
    let now = em.clock.now();
    let inner = em.state();
    let prefix = if groups {
        format!("{scope}/")
    } else {
        format!("{}/", scope.trim_end_matches('/'))
    };
    let value: Vec<Value> = inner
        .resources
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(_, s)| {
            ResourceId::parse(&s.id).is_ok_and(|id| {
                if groups {
                    id.kind() == IdKind::ResourceGroup
                } else {
                    // ARM lists top-level resources only.
                    matches!(id.kind(), IdKind::Resource)
                        && id.resource_type().is_some_and(|t| t.depth() == 1)
                }
            })
        })
        .map(|(k, s)| inner.view(k, &s.body, now))
        .collect();
    (StatusCode::OK, axum::Json(json!({"value": value}))).into_response()
}
