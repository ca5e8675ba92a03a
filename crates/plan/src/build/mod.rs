//! Building a plan: selection → move set → decisions → target ids → waves →
//! steps, checklists, role assignments, scenarios, phases, findings.
//!
//! Every pass is linear in nodes + edges (hash maps built once; no all-pairs
//! scans); the only super-linear step is sorting.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::{Availability, Regions};
use azrelo_catalog::{Catalog, Lookup, Severity, Strategy};
use azrelo_estate::{Estate, Resource};
use azrelo_graph::{Graph, NodeKind};

use crate::model::*;
use crate::options::{OptionsError, PlanOptions};
use crate::waves;

mod decide;
mod finish;
mod move_set;
mod role_assignments;
mod select;
mod steps;
mod summary;
mod target_ids;
mod upgrades;

/// How many resource ids a checklist entry or scenario step lists (the
/// complete mapping is on each planned resource).
pub const MAX_LISTED: usize = 50;

/// What a graph node stands for in the estate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rec {
    Resource(usize),
    RoleAssignment(usize),
    Diagnostic(usize),
    Lock(usize),
    Exemption(usize),
    Inline,
    External,
}

/// References that stay valid wherever the referrer moves, so a missing
/// record is not worth a finding: platform objects under a location
/// (`…/Microsoft.Compute/locations/westeurope/publishers/…` image references)
/// and extension resources on a subscription, management group or the
/// tenant (policy assignments, role definitions).
fn stays_valid(id: &ResourceId) -> bool {
    if id.resource_type().is_some_and(|t| {
        t.type_segments()
            .next()
            .is_some_and(|s| s.eq_ignore_ascii_case("locations"))
    }) {
        return true;
    }
    match id.kind() {
        IdKind::Resource => false,
        IdKind::Extension => id.scope().is_some_and(|s| {
            matches!(
                s.kind(),
                IdKind::Subscription | IdKind::ManagementGroup | IdKind::Tenant
            )
        }),
        _ => true,
    }
}

pub(crate) fn is_rg_type(t: &str) -> bool {
    azrelo_arm::vocab::is_resource_group(t)
}

/// Per-node planning state.
#[derive(Debug, Clone)]
pub(crate) struct Slot {
    pub reason: Reason,
    pub action: Action,
    pub strategy: Strategy,
    /// Unit root node (itself unless carried).
    pub unit: u32,
}

/// Shared inputs of the passes.
pub(crate) struct Inputs<'a> {
    pub estate: &'a Estate,
    pub graph: &'a Graph,
    pub catalog: &'a Catalog,
    pub availability: &'a Availability,
    pub regions: &'a Regions,
    pub opts: &'a PlanOptions,
    pub target: String,
    pub recs: Vec<Rec>,
    /// Catalog answer per distinct type, and the index of each node's.
    lookups: Vec<Lookup<'a>>,
    node_lookup: Vec<u32>,
    /// Graph node of each estate resource (by index).
    res_node: Vec<u32>,
    /// Location spelling → canonical region name (a handful of spellings,
    /// looked up once each).
    region_cache: std::cell::RefCell<HashMap<String, std::rc::Rc<str>>>,
}

impl<'a> Inputs<'a> {
    pub fn resource(&self, n: u32) -> Option<&'a Resource> {
        match self.recs[n as usize] {
            Rec::Resource(i) => Some(&self.estate.resources[i]),
            _ => None,
        }
    }

    pub fn node_type(&self, n: u32) -> &str {
        &self.graph.nodes[n as usize].resource_type
    }

    pub fn node_id(&self, n: u32) -> &ResourceId {
        &self.graph.nodes[n as usize].id
    }

    pub fn lookup(&self, n: u32) -> &Lookup<'a> {
        &self.lookups[self.node_lookup[n as usize] as usize]
    }

    /// The canonical region name of a location spelling (`West Europe` →
    /// `westeurope`), normalized when the region catalog does not know it.
    pub fn canonical_region(&self, l: &str) -> std::rc::Rc<str> {
        if let Some(c) = self.region_cache.borrow().get(l) {
            return c.clone();
        }
        let c: std::rc::Rc<str> = self
            .regions
            .get(l)
            .map(|r| r.name.clone())
            .unwrap_or_else(|| azrelo_arm::region::normalize(l))
            .into();
        self.region_cache
            .borrow_mut()
            .insert(l.to_string(), c.clone());
        c
    }

    fn location(&self, n: u32) -> Option<&str> {
        self.graph.nodes[n as usize].location.as_deref()
    }
}

/// Build a plan. Fails only on unusable options; everything about the estate
/// is reported as findings.
pub fn plan(
    estate: &Estate,
    graph: &Graph,
    catalog: &Catalog,
    opts: &PlanOptions,
) -> Result<Plan, OptionsError> {
    plan_with(
        estate,
        graph,
        catalog,
        Availability::embedded(),
        Regions::embedded(),
        opts,
    )
}

/// [`plan`] with explicit availability and region data (tests, live refresh).
pub fn plan_with(
    estate: &Estate,
    graph: &Graph,
    catalog: &Catalog,
    availability: &Availability,
    regions: &Regions,
    opts: &PlanOptions,
) -> Result<Plan, OptionsError> {
    let mut findings: Vec<Finding> = Vec::new();
    let target = match regions.get(&opts.target_region) {
        Some(r) => r.name.clone(),
        None => {
            let norm = azrelo_arm::region::normalize(&opts.target_region);
            if !opts.allow_unknown_region
                || norm.is_empty()
                || !norm.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(OptionsError::UnknownRegion(opts.target_region.clone()));
            }
            findings.push(Finding {
                severity: Severity::Warning,
                code: "unknown-target-region".into(),
                resource: None,
                message: format!(
                    "'{}' is not in the embedded region catalog; it may be newer than the snapshot",
                    opts.target_region
                ),
                remediation: "Check the name with `az account list-locations -o table`; pairing, zones and availability are unknown for it.".into(),
            });
            norm
        }
    };
    let mut lookups = Vec::new();
    let mut node_lookup = Vec::with_capacity(graph.nodes.len());
    let mut seen: HashMap<&str, u32> = HashMap::new();
    for node in &graph.nodes {
        let ix = *seen.entry(&node.resource_type).or_insert_with(|| {
            lookups.push(catalog.entry(&node.resource_type));
            lookups.len() as u32 - 1
        });
        node_lookup.push(ix);
    }
    let inputs = Inputs {
        estate,
        graph,
        catalog,
        availability,
        regions,
        opts,
        target,
        recs: classify(estate, graph),
        region_cache: Default::default(),
        res_node: estate
            .resources
            .iter()
            .map(|r| graph.node(&r.id).unwrap_or(u32::MAX))
            .collect(),
        lookups,
        node_lookup,
    };
    let clock = Stage::start();
    let mut b = Builder::new(&inputs, findings);
    b.select();
    clock.done("select");
    b.close();
    b.unseen_children();
    clock.done("move set");
    b.decide();
    clock.done("decisions");
    b.target_ids(&clock);
    clock.done("names and target ids");
    let role_assignments = b.role_assignments();
    let w = waves::assign(&inputs, &b.slots, &role_assignments.1);
    clock.done("role assignments and waves");
    let plan = b.finish(role_assignments.0, w, &clock);
    clock.done("plan");
    Ok(plan)
}

/// The id of child `id` under the parent id `parent_target`: its last type
/// segment and its name (or `renamed`).
fn child_id(parent_target: &str, id: &ResourceId, renamed: Option<&str>) -> Arc<str> {
    let rt = id.resource_type();
    let seg = rt
        .as_ref()
        .and_then(|t| t.type_segments().last())
        .unwrap_or_default();
    let name = renamed.or(id.name()).unwrap_or_default();
    Arc::from(format!("{parent_target}/{seg}/{name}"))
}

/// The byte offset of the `k`-th `/` of `s` (the leading one is the first).
fn nth_slash(s: &str, k: usize) -> Option<usize> {
    s.bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'/')
        .nth(k - 1)
        .map(|(i, _)| i)
}

/// FNV-1a over the ASCII-lower-cased bytes: a cheap 64-bit key for
/// case-insensitive id sets.
fn ci_hash(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Stage timings, logged at debug level (`azrelo -vv plan …`).
pub(crate) struct Stage(std::time::Instant);

impl Stage {
    fn start() -> Stage {
        Stage(std::time::Instant::now())
    }

    pub(crate) fn done(&self, stage: &str) {
        tracing::debug!(
            stage,
            elapsed_ms = self.0.elapsed().as_millis() as u64,
            "planning"
        );
    }
}

fn classify(estate: &Estate, graph: &Graph) -> Vec<Rec> {
    let mut recs = vec![Rec::External; graph.nodes.len()];
    for (i, r) in estate.resources.iter().enumerate() {
        if let Some(n) = graph.node(&r.id) {
            recs[n as usize] = Rec::Resource(i);
        }
    }
    let mut put = |id: &ResourceId, rec: Rec| {
        if let Some(n) = graph.node(id)
            && recs[n as usize] == Rec::External
        {
            recs[n as usize] = rec;
        }
    };
    for (i, x) in estate.role_assignments.iter().enumerate() {
        put(&x.id, Rec::RoleAssignment(i));
    }
    for (i, x) in estate.diagnostic_settings.iter().enumerate() {
        put(&x.id, Rec::Diagnostic(i));
    }
    for (i, x) in estate.locks.iter().enumerate() {
        put(&x.id, Rec::Lock(i));
    }
    for (i, x) in estate.policy_exemptions.iter().enumerate() {
        put(&x.id, Rec::Exemption(i));
    }
    for (n, node) in graph.nodes.iter().enumerate() {
        if node.kind == NodeKind::Inline {
            recs[n] = Rec::Inline;
        }
    }
    recs
}

pub(crate) struct Builder<'i, 'a> {
    pub inp: &'i Inputs<'a>,
    pub slots: Vec<Option<Slot>>,
    /// Nodes in the move set, in the order they were added.
    pub order: Vec<u32>,
    pub findings: Vec<Finding>,
    pub external: Vec<ExternalReference>,
    /// Target id per node, once computed (shared: children are built from it).
    pub target_ids: Vec<Option<Arc<str>>>,
    pub target_names: Vec<Option<(String, Option<String>)>>,
    /// Existing targets (source node → target id).
    existing: HashMap<u32, ResourceId>,
    /// Role assignment nodes seen from moved scopes or principals.
    ra_nodes: Vec<u32>,
    ra_seen: HashSet<u32>,
    rg_targets: HashMap<String, String>,
    last_rg: Option<(String, String)>,
    sub_targets: HashMap<String, String>,
}

impl<'i, 'a> Builder<'i, 'a> {
    fn new(inp: &'i Inputs<'a>, findings: Vec<Finding>) -> Self {
        let n = inp.graph.nodes.len();
        let mut existing = HashMap::new();
        for (src, tgt) in &inp.opts.existing_targets {
            if let Some(node) = inp.graph.node(src) {
                existing.insert(node, tgt.clone());
            }
        }
        Builder {
            inp,
            slots: vec![None; n],
            order: Vec::new(),
            findings,
            external: Vec::new(),
            target_ids: vec![None; n],
            target_names: vec![None; n],
            existing,
            ra_nodes: Vec::new(),
            ra_seen: HashSet::new(),
            rg_targets: HashMap::new(),
            last_rg: None,
            sub_targets: HashMap::new(),
        }
    }

    fn add(&mut self, n: u32, kind: ReasonKind, by: Option<u32>) -> bool {
        if self.slots[n as usize].is_some() || self.existing.contains_key(&n) {
            return false;
        }
        self.slots[n as usize] = Some(Slot {
            reason: Reason {
                kind,
                by: by.map(|b| self.inp.node_id(b).to_string()),
            },
            action: Action::Move,
            strategy: Strategy::Redeploy,
            unit: n,
        });
        self.order.push(n);
        true
    }
}
