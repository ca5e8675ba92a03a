//! The emulator's state: stored resources and the indexes kept beside them
//! (global names, references, locks), operation records, and the timers
//! that complete long-running operations lazily against the clock.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use azrelo_arm::id::ResourceId;
use serde_json::{Value, json};

use crate::integrity::{locks, usage_references};
use crate::names::name_key;

/// The emulator's tenant (identities, tokens, subscriptions, Resource Graph).
pub(crate) const TENANT: &str = "72f988bf-0000-0000-0000-00000000e001";

/// Lock `m`, recovering the guard when a panic poisoned it. Every change
/// to the state is made under one lock and each leaves the state
/// consistent before the next begins, except the write-through of a
/// single resource (database row, indexes, map) which
/// [`Inner::store`] orders so that a failure in between leaves at worst a
/// stale index entry for that one resource; a panic in one request must
/// not fail every later one (issue #16), so the poison is cleared.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => {
            m.clear_poison();
            poisoned.into_inner()
        }
    }
}

/// Operation-status records kept (oldest dropped first).
pub(crate) const MAX_OPERATIONS: usize = 10_000;

/// One stored resource (or resource group).
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    /// The id as first written.
    pub(crate) id: String,
    pub(crate) body: Value,
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
    pub(crate) fn status(&self) -> &'static str {
        match self {
            Outcome::Succeeded => "Succeeded",
            Outcome::Failed(_) => "Failed",
            Outcome::Canceled => "Canceled",
        }
    }
}

/// One operation-status record.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    /// Clock time the operation was requested, started and completes.
    pub(crate) requested: Duration,
    pub(crate) started: Duration,
    pub(crate) done_at: Duration,
    /// Wall-clock start, for `startTime`/`endTime`.
    pub(crate) started_wall: SystemTime,
    pub(crate) outcome: Outcome,
    /// The resource it acts on (original spelling), if any.
    pub(crate) resource: Option<String>,
    /// Whether it deletes the resource (the Location URL then ends in 204).
    pub(crate) deleting: bool,
}

/// What happens to a resource when a timer fires.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Event {
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
    pub(crate) seq: u64,
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
    pub(crate) seq: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    /// Write-through persistence (`--data DIR`); `None` in memory.
    pub(crate) db: Option<crate::persist::Db>,
    /// Lower-cased id → resource; a BTreeMap so children follow parents and
    /// lists are ordered.
    pub(crate) resources: BTreeMap<String, Stored>,
    /// How many stored resources have each (type, name), lower-cased: the
    /// global-name check is a lookup, not a scan.
    pub(crate) names: std::collections::HashMap<(String, String), usize>,
    /// Operation id → status.
    pub(crate) operations: BTreeMap<String, Operation>,
    pub(crate) next_op: u64,
    /// Timers: (due, sequence) in a min-heap, the event of each sequence.
    pub(crate) timers: BinaryHeap<Reverse<(Duration, u64)>>,
    pub(crate) events: HashMap<u64, (String, Event)>,
    pub(crate) next_timer: u64,
    /// Lower-cased id → the operation still running on it.
    pub(crate) running: HashMap<String, Running>,
    /// Lower-cased snapshot id → its background copy in progress.
    pub(crate) copies: HashMap<String, CopyProgress>,
    /// Management locks by the scope they lock (see [`locks`]).
    pub(crate) locks: locks::LockIndex,
    /// Lower-cased id → lower-cased ids of the resources that use it
    /// ([`usage_references`]): the in-use check on DELETE is a lookup of
    /// the resource and the range below it, not a scan.
    pub(crate) referrers: BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// Set `properties.provisioningState` (creating `properties` if absent; a
/// body whose `properties` is not an object is left as it is).
pub(crate) fn set_state(body: &mut Value, state: &str) {
    let Some(m) = body.as_object_mut() else {
        return;
    };
    let p = m.entry("properties").or_insert_with(|| json!({}));
    if let Some(p) = p.as_object_mut() {
        p.insert("provisioningState".into(), json!(state));
    }
}

impl Inner {
    /// Store a resource, writing it through to the database first.
    pub(crate) fn store(&mut self, k: String, s: Stored) -> Result<(), String> {
        if let Some(db) = &self.db {
            db.put(&k, &s)?;
        }
        // The old version leaves the indexes before the new one enters (a
        // lock rewritten in place keeps its entry).
        if let Some(old) = self.resources.remove(&k) {
            self.index(&old, false);
        }
        self.index(&s, true);
        let inline = inline_item(&s);
        self.resources.insert(k, s);
        if let Some((parent, name, (collection, item))) = inline {
            self.write_inline(&parent, &collection, &name, Some(item))?;
        }
        Ok(())
    }

    /// Remove a resource, from the database first.
    pub(crate) fn unstore(&mut self, k: &str) -> Result<(), String> {
        if let Some(db) = &self.db {
            db.delete(k)?;
        }
        if let Some(old) = self.resources.remove(k) {
            self.index(&old, false);
            if let Some((parent, name, (collection, _))) = inline_item(&old) {
                self.write_inline(&parent, &collection, &name, None)?;
            }
        }
        Ok(())
    }

    /// A network resource lists its child collections inline, however each
    /// child was created: ARM's GET of a virtual network lists a subnet PUT
    /// on its own (with the security group a later PUT gave it), a load
    /// balancer its backend pools with their addresses, a security group
    /// its rules. Write a child PUT or DELETE on its own into its parent's
    /// collection (`{parent}/{collection}/{name}`), matched by name.
    fn write_inline(
        &mut self,
        parent: &str,
        collection: &str,
        name: &str,
        item: Option<Value>,
    ) -> Result<(), String> {
        let pk = key(parent);
        let Some(p) = self.resources.get(&pk) else {
            return Ok(());
        };
        let mut body = p.body.clone();
        let Some(props) = body
            .as_object_mut()
            .map(|m| m.entry("properties").or_insert_with(|| json!({})))
            .and_then(Value::as_object_mut)
        else {
            return Ok(());
        };
        let member = props
            .keys()
            .find(|k| k.eq_ignore_ascii_case(collection))
            .cloned()
            .unwrap_or_else(|| collection.to_string());
        let list = props.entry(member).or_insert_with(|| json!([]));
        let Some(list) = list.as_array_mut() else {
            return Ok(());
        };
        let at = list.iter().position(|x| {
            x.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        match (item, at) {
            (Some(v), Some(i)) => list[i] = v,
            (Some(v), None) => list.push(v),
            (None, Some(i)) => {
                list.remove(i);
            }
            (None, None) => return Ok(()),
        }
        let stored = Stored {
            id: p.id.clone(),
            body,
        };
        if let Some(db) = &self.db {
            db.put(&pk, &stored)?;
        }
        if let Some(old) = self.resources.remove(&pk) {
            self.index(&old, false);
        }
        self.index(&stored, true);
        self.resources.insert(pk, stored);
        Ok(())
    }

    pub(crate) fn index(&mut self, s: &Stored, add: bool) {
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

    pub(crate) fn schedule(&mut self, at: Duration, key: String, event: Event) -> u64 {
        self.next_timer += 1;
        let seq = self.next_timer;
        self.timers.push(Reverse((at, seq)));
        self.events.insert(seq, (key, event));
        seq
    }

    /// Apply every timer due at `now`, in order: operations end, deletions
    /// complete, copies finish. Cheap when nothing is due (one heap peek).
    pub(crate) fn settle(&mut self, now: Duration) {
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
    pub(crate) fn remove_tree(&mut self, k: &str) -> Result<(), String> {
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
                crate::disks::on_removed(self, &d, &st);
            }
        }
        Ok(())
    }

    /// Start a long-running operation on resource `k` (or none) lasting
    /// `duration` from `now`; `event` is applied when it completes. Returns
    /// the operation id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn start_operation(
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
    pub(crate) fn view(&self, k: &str, body: &Value, now: Duration) -> Value {
        let mut v = body.clone();
        // What ARM never returns (write-only, x-ms-secret, documented
        // hidden values such as a Key Vault secret's value) is not shown.
        if let Some(ty) = v.get("type").and_then(Value::as_str).map(str::to_string) {
            azrelo_arm::secrets::strip_never_returned(&ty, &mut v);
            inline_ids(&ty, &mut v);
        }
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

/// Child types whose parent's GET lists them inline in
/// `properties.{collection}`, however they were created (the Microsoft.Network
/// REST specification: `VirtualNetworkPropertiesFormat.subnets`,
/// `SecurityGroupPropertiesFormat.securityRules`,
/// `RouteTablePropertiesFormat.routes`,
/// `LoadBalancerPropertiesFormat.backendAddressPools` and
/// `.inboundNatRules`). Not every child is (a private DNS zone's virtual
/// network links and record sets are only their own resources). A virtual
/// network's peerings are listed inline by ARM too, but a peering names
/// the remote network, which the emulator's in-use index would then count
/// as a use of it; they are left out until that index knows peerings.
const INLINE_COLLECTIONS: &[&str] = &[
    "Microsoft.Network/virtualNetworks/subnets",
    "Microsoft.Network/networkSecurityGroups/securityRules",
    "Microsoft.Network/routeTables/routes",
    "Microsoft.Network/loadBalancers/backendAddressPools",
    "Microsoft.Network/loadBalancers/inboundNatRules",
];

/// ARM's GET gives each item of an inline collection its id
/// (`{parent}/{collection}/{name}`); the stored parent keeps them without
/// one (see [`inline_item`]), so they are added for the reader.
fn inline_ids(ty: &str, v: &mut Value) {
    let Some(parent) = v.get("id").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    for child in INLINE_COLLECTIONS {
        let Some((parent_ty, collection)) = child.rsplit_once('/') else {
            continue;
        };
        if !parent_ty.eq_ignore_ascii_case(ty) {
            continue;
        }
        let Some(items) = v
            .pointer_mut(&format!("/properties/{collection}"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            if item.contains_key("id") {
                continue;
            }
            if let Some(name) = item.get("name").and_then(Value::as_str) {
                let id = format!("{parent}/{collection}/{name}");
                item.insert("id".into(), json!(id));
            }
        }
    }
}

/// For a child of a network resource (`Microsoft.Network/{type}/{collection}`
/// at `{parent}/{collection}/{name}`): its parent's id, its name, and the
/// item its parent lists inline (collection, `{name, type, properties}`).
fn inline_item(s: &Stored) -> Option<(String, String, (String, Value))> {
    let ty = s.body.get("type").and_then(Value::as_str)?;
    if !INLINE_COLLECTIONS
        .iter()
        .any(|t| t.eq_ignore_ascii_case(ty))
    {
        return None;
    }
    let segs: Vec<&str> = ty.split('/').collect();
    let (head, name) = s.id.rsplit_once('/')?;
    let (parent, collection) = head.rsplit_once('/')?;
    if !collection.eq_ignore_ascii_case(segs[2]) {
        return None;
    }
    let mut item = serde_json::Map::new();
    // Without its `id`: the parent would count as a user of its own child
    // (the referential-integrity index reads ids in bodies).
    item.insert("name".into(), json!(name));
    item.insert("type".into(), json!(ty));
    if let Some(p) = s.body.get("properties") {
        item.insert("properties".into(), p.clone());
    }
    Some((
        parent.to_string(),
        name.to_string(),
        (collection.to_string(), Value::Object(item)),
    ))
}

pub(crate) fn key(id: &str) -> String {
    id.to_ascii_lowercase()
}

impl Inner {
    /// A child written inline in its parent's properties (a subnet in a virtual
    /// network, a rule in a security group, a backend pool in a load balancer):
    /// ARM addresses it as `{parent}/{collection}/{name}`.
    pub(crate) fn sub_resource(&self, id: &ResourceId) -> Option<Value> {
        let raw = id.as_str();
        let (head, name) = raw.rsplit_once('/')?;
        let (parent, collection) = head.rsplit_once('/')?;
        let p = self.resources.get(&key(parent))?;
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

    pub(crate) fn exists(&self, id: &ResourceId) -> bool {
        self.resources.contains_key(&key(id.as_str()))
            || self.sub_resource(id).is_some()
            || crate::deployments::builtin_child(self, id)
    }
}

/// RFC 3339 UTC with 7 fractional digits, as ARM writes timestamps (one
/// format for operation status, deployments and disks).
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let dt = azrelo_template::date::DateTime::from_epoch(d.as_secs() as i64);
    format!(
        "{}.{:07}Z",
        azrelo_template::date::format(&dt, "yyyy-MM-ddTHH:mm:ss"),
        d.subsec_nanos() / 100
    )
}
