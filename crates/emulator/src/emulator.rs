//! The emulator's handle: its shared state, the behaviour it is configured
//! with (throttling, faults, latency profile, clock, bearer token, artifact
//! mirror), seeding from an estate and the few questions other parts of
//! azrelo ask it directly.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use azrelo_arm::id::ResourceId;
use serde_json::{Value, json};

use crate::latency::{Clock, LatencyProfile};
use crate::state::{Inner, Stored, key};

/// The emulator's state. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Emulator {
    pub(crate) inner: Arc<Mutex<Inner>>,
    pub(crate) throttle: Option<Arc<Mutex<crate::throttle::Throttle>>>,
    pub(crate) faults: Option<Arc<Mutex<crate::faults::Faults>>>,
    pub(crate) latency: LatencyProfile,
    pub(crate) clock: Clock,
    /// The only bearer token accepted; `None`: any token (test mode).
    pub(crate) token: Option<Arc<str>>,
    /// Linked-template content served locally: (URL prefix, directory).
    pub(crate) artifacts: Arc<Vec<(String, std::path::PathBuf)>>,
    /// Quota limits and SKU restrictions per region.
    pub(crate) capacity: Arc<crate::api::capacity::Capacity>,
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
        let (db, resources) = crate::persist::Db::open(dir)?;
        let em = Emulator::new();
        {
            let mut inner = em.lock();
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

    /// The subscription's quota `limit` for the usage `name` (`cores`, a
    /// VM family such as `standardDSv5Family`, `PublicIPAddresses`, …) in
    /// `region` (default: 100 vCPUs in total and per family, 1000 public IP
    /// addresses).
    pub fn with_quota_limit(mut self, region: &str, name: &str, limit: u64) -> Emulator {
        let mut c = self.capacity.as_ref().clone();
        c.limits.push((
            azrelo_arm::region::normalize(region),
            name.to_string(),
            limit,
        ));
        self.capacity = Arc::new(c);
        self
    }

    /// The VM size `sku` is not available to the subscription in `region`
    /// (a `NotAvailableForSubscription` restriction, as for a region that
    /// needs an access request).
    pub fn with_sku_restriction(mut self, region: &str, sku: &str) -> Emulator {
        let mut c = self.capacity.as_ref().clone();
        c.restrictions
            .push((azrelo_arm::region::normalize(region), sku.to_string()));
        self.capacity = Arc::new(c);
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
    pub(crate) fn state(&self) -> MutexGuard<'_, Inner> {
        let mut inner = self.lock();
        inner.settle(self.clock.now());
        inner
    }

    /// The state as it is (no timers applied), recovered from a poisoned
    /// lock (see [`crate::state::lock`]).
    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        crate::state::lock(&self.inner)
    }

    /// An empty emulator that never throttles (`--no-throttle`).
    pub fn without_throttling() -> Emulator {
        Emulator::default()
    }

    /// Load existing resources (an azrelo estate's resource groups and
    /// resources) as they are, without the checks a PUT makes: the state a
    /// relocation starts from.
    pub fn seed(&self, resources: impl IntoIterator<Item = (String, Value)>) -> usize {
        let mut inner = self.lock();
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
        // A child implies its parents (an export may list a file share but
        // not its `fileServices/default`): ARM has them, so the seeded
        // cloud has them too, with the bodies ARM shows for an untouched
        // default.
        let ids: Vec<String> = inner.resources.values().map(|s| s.id.clone()).collect();
        for id in ids {
            let Ok(rid) = ResourceId::parse(&id) else {
                continue;
            };
            // Children only: an extension's scope is not implied by it.
            if rid.kind() != azrelo_arm::id::IdKind::Resource {
                continue;
            }
            let mut cur = rid.parent();
            while let Some(p) = cur {
                if p.kind() != azrelo_arm::id::IdKind::Resource {
                    break;
                }
                let k = key(p.as_str());
                if !inner.resources.contains_key(&k) {
                    let body = json!({
                        "id": p.as_str(),
                        "name": p.name().unwrap_or_default(),
                        "type": p.type_or_scope_type().as_str(),
                        "properties": {},
                    });
                    let _ = inner.store(
                        k,
                        Stored {
                            id: p.to_string(),
                            body,
                        },
                    );
                }
                cur = p.parent();
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

    /// The ids of every stored resource and resource group (deployment
    /// records included), sorted case-insensitively: what a test compares
    /// before and after a relocation, whatever the list APIs show.
    pub fn resource_ids(&self) -> Vec<String> {
        self.state()
            .resources
            .values()
            .map(|s| s.id.clone())
            .collect()
    }
}
