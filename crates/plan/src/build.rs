//! Building a plan: selection → move set → decisions → target ids → waves →
//! steps, checklists, role assignments, scenarios, phases, findings.
//!
//! Every pass is linear in nodes + edges (hash maps built once; no all-pairs
//! scans); the only super-linear step is sorting.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::{Availability, Regions};
use azrelo_catalog::{
    Automation, Catalog, Lookup, NameScope, Resolution, RuleContext, Severity, StepMode, Strategy,
    SuffixRule, Truth,
};
use azrelo_estate::{Estate, Resource};
use azrelo_graph::{EdgeKind, Graph, NodeKind};
use serde_json::Value;

use crate::assess;
use crate::model::*;
use crate::options::{NamingRule, OptionsError, PlanOptions};
use crate::waves;

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

/// Edge kinds whose two ends must be in the same region: keeping one end in
/// the source while the other moves cannot work.
pub(crate) fn same_region(kind: EdgeKind) -> bool {
    matches!(
        kind,
        EdgeKind::NicSubnet
            | EdgeKind::NicNsg
            | EdgeKind::SubnetNsg
            | EdgeKind::SubnetRouteTable
            | EdgeKind::SubnetNatGateway
            | EdgeKind::LoadBalancerBackend
            | EdgeKind::LoadBalancerFrontendSubnet
            | EdgeKind::AppGatewaySubnet
            | EdgeKind::PublicIp
            | EdgeKind::VmNic
            | EdgeKind::VmDisk
            | EdgeKind::PrivateEndpointSubnet
            | EdgeKind::BackupProtectedResource
    )
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

    /// The user's selection.
    fn select(&mut self) {
        let opts = self.inp.opts;
        for (i, r) in self.inp.estate.resources.iter().enumerate() {
            let in_scope = opts.scopes.is_empty() || opts.scopes.iter().any(|s| r.id.is_within(s));
            if !in_scope {
                continue;
            }
            if !opts.include.is_empty() && !opts.include.iter().any(|f| f.matches(r)) {
                continue;
            }
            if opts.exclude.iter().any(|f| f.matches(r)) {
                continue;
            }
            let n = self.inp.res_node[i];
            if n != u32::MAX {
                self.add(n, ReasonKind::Selected, None);
            }
        }
    }

    /// Close the selection over what it requires and what cannot stay behind.
    fn close(&mut self) {
        let g = self.inp.graph;
        let policy = self.inp.opts.dependency_policy;
        let mut i = 0;
        let mut not_in_estate: HashSet<u32> = HashSet::new();
        while i < self.order.len() {
            let n = self.order[i];
            i += 1;
            // Forward: what n requires.
            let outgoing: Vec<_> = g.outgoing(n).filter(|e| e.kind.is_dependency()).collect();
            for e in outgoing {
                let t = e.to;
                if self.slots[t as usize].is_some() {
                    continue;
                }
                let from = self.inp.node_id(n).as_str().to_owned();
                let to = self.inp.node_id(t).as_str().to_owned();
                if let Some(existing) = self.existing.get(&t) {
                    self.external.push(ExternalReference {
                        from,
                        to,
                        kind: e.kind.name().into(),
                        path: e.path.to_string(),
                        resolution: ExternalResolution::ExistingTarget {
                            target: existing.to_string(),
                        },
                    });
                    continue;
                }
                match self.inp.recs[t as usize] {
                    Rec::External => {
                        let global = self.is_global_node(t);
                        self.external.push(ExternalReference {
                            from: from.clone(),
                            to: to.clone(),
                            kind: e.kind.name().into(),
                            path: e.path.to_string(),
                            resolution: if global {
                                ExternalResolution::Global
                            } else {
                                ExternalResolution::NotInEstate
                            },
                        });
                        if !global && !stays_valid(self.inp.node_id(t)) && not_in_estate.insert(t) {
                            self.findings.push(Finding {
                                severity: if same_region(e.kind) {
                                    Severity::Blocker
                                } else {
                                    Severity::Warning
                                },
                                code: "dependency-not-in-estate".into(),
                                resource: Some(from),
                                message: format!(
                                    "depends on {to} ({}, at {}), which is not in the inputs{}",
                                    e.kind.name(),
                                    e.path,
                                    if same_region(e.kind) {
                                        "; it must be in the same region as the moved resource"
                                    } else {
                                        ""
                                    }
                                ),
                                remediation: "Add an export of it to the inputs (so it is planned too), or map it to an existing target with --existing-target SOURCE=TARGET.".into(),
                            });
                        }
                    }
                    Rec::Inline | Rec::Resource(_) => {
                        // A child cannot live in another region than its
                        // parent: parents always come along.
                        if policy == DependencyPolicy::Add
                            || e.kind == EdgeKind::Parent
                            || self.is_global_node(t)
                        {
                            self.add(t, ReasonKind::Dependency, Some(n));
                        } else {
                            self.keep_external(n, t, e.kind, &e.path);
                        }
                    }
                    _ => {}
                }
            }
            // Reverse: what cannot stay behind when n moves.
            let n_is_container = is_rg_type(self.inp.node_type(n))
                || matches!(
                    self.inp.node_id(n).kind(),
                    IdKind::Subscription | IdKind::ManagementGroup | IdKind::Tenant
                );
            let incoming: Vec<_> = g.incoming(n).filter(|e| e.kind.is_dependency()).collect();
            for e in incoming {
                let m = e.from;
                if self.slots[m as usize].is_some() {
                    continue;
                }
                match (e.kind, self.inp.recs[m as usize]) {
                    (EdgeKind::RoleAssignmentScope | EdgeKind::RoleAssignmentPrincipal, _)
                        if self.ra_seen.insert(m) =>
                    {
                        self.ra_nodes.push(m);
                    }
                    (
                        EdgeKind::DiagnosticSource
                        | EdgeKind::LockScope
                        | EdgeKind::PolicyExemptionScope,
                        Rec::Diagnostic(_) | Rec::Lock(_) | Rec::Exemption(_),
                    ) => {
                        self.add(m, ReasonKind::Extension, Some(n));
                    }
                    (EdgeKind::Parent, Rec::Inline) if !n_is_container => {
                        self.add(m, ReasonKind::Child, Some(n));
                    }
                    (EdgeKind::Parent, Rec::Resource(_)) if !n_is_container => {
                        let lk = self.inp.lookup(m);
                        if lk.travels_with_parent() {
                            self.add(m, ReasonKind::Child, Some(n));
                        }
                    }
                    (EdgeKind::BackupProtectedResource, Rec::Resource(_))
                        if policy == DependencyPolicy::Add =>
                    {
                        self.add(m, ReasonKind::SameRegionDependent, Some(n));
                    }
                    _ => {}
                }
            }
        }
    }

    fn keep_external(&mut self, n: u32, t: u32, kind: EdgeKind, path: &str) {
        let from = self.inp.node_id(n).as_str().to_owned();
        let to = self.inp.node_id(t).as_str().to_owned();
        if same_region(kind) {
            self.findings.push(Finding {
                severity: Severity::Blocker,
                code: "same-region-dependency-kept".into(),
                resource: Some(from.clone()),
                message: format!(
                    "depends on {to} ({}, at {path}), which must be in the same region but is kept in the source by --dependencies keep",
                    kind.name()
                ),
                remediation: "Include it in the selection, or map it to an existing resource in the target region with --existing-target SOURCE=TARGET.".into(),
            });
        }
        self.external.push(ExternalReference {
            from,
            to,
            kind: kind.name().into(),
            path: path.to_string(),
            resolution: ExternalResolution::KeptInSource,
        });
    }

    fn is_global_node(&self, n: u32) -> bool {
        let loc = self.inp.location(n);
        if loc.is_some_and(|l| l.eq_ignore_ascii_case("global")) {
            return true;
        }
        self.inp.recs[n as usize] != Rec::External
            && self.inp.lookup(n).strategy() == Strategy::Global
    }

    /// Action, strategy and unit for every node of the move set.
    fn decide(&mut self) {
        let target = &self.inp.target;
        let order = self.order.clone();
        for &n in &order {
            let lk = self.inp.lookup(n);
            let strategy = lk.strategy();
            let loc = self.inp.location(n);
            let in_target = loc.is_some_and(|l| *self.inp.canonical_region(l) == **target);
            let action = if self.inp.recs[n as usize] == Rec::Inline {
                Action::Move
            } else if in_target {
                Action::Keep
            } else if strategy == Strategy::Global
                || loc.is_some_and(|l| l.eq_ignore_ascii_case("global"))
                // Subscription-, management-group- and tenant-scoped
                // resources (Defender plans and settings, subscription
                // policy, budgets) are not regional: re-configure them.
                || self.inp.node_id(n).resource_group().is_none()
            {
                Action::Reconfigure
            } else {
                match strategy {
                    Strategy::Recreate => Action::Recreate,
                    Strategy::Manual => Action::Manual,
                    _ => Action::Move,
                }
            };
            let slot = self.slots[n as usize].as_mut().expect("in move set");
            slot.action = action;
            slot.strategy = if action == Action::Reconfigure {
                Strategy::Global
            } else {
                strategy
            };
        }
        // A child cannot be created while its parent stays: a child of a
        // resource kept (already in the target) is kept; a child of a global
        // resource is re-configured in place. Parents first (shorter ids).
        let mut by_depth = order.clone();
        by_depth.sort_by_key(|&n| self.inp.node_id(n).as_str().len());
        for &n in &by_depth {
            let Some(parent) = self.parent_in_set(n) else {
                continue;
            };
            let parent_action = self.slots[parent as usize].as_ref().map(|s| s.action);
            let slot = self.slots[n as usize].as_mut().expect("in move set");
            match parent_action {
                Some(Action::Keep) if slot.action != Action::Keep => {
                    slot.action = Action::Keep;
                }
                Some(Action::Reconfigure) if slot.action.creates_target() => {
                    slot.action = Action::Reconfigure;
                    slot.strategy = Strategy::Global;
                }
                _ => {}
            }
        }
        // An extension (diagnostic setting, lock, exemption, …) on a resource
        // that is not recreated in the target stays where it is; its settings
        // are re-pointed in place.
        for &n in &order {
            let id = self.inp.node_id(n);
            if id.kind() != IdKind::Extension {
                continue;
            }
            let Some(scope) = id.scope() else { continue };
            if !matches!(scope.kind(), IdKind::Resource | IdKind::Extension) {
                continue;
            }
            let scope_creates = self
                .inp
                .graph
                .node(&scope)
                .and_then(|s| self.slots[s as usize].as_ref())
                .is_some_and(|s| s.action.creates_target());
            let slot = self.slots[n as usize].as_mut().expect("in move set");
            if !scope_creates && slot.action.creates_target() {
                slot.action = Action::Reconfigure;
                slot.strategy = Strategy::Global;
            }
        }
        // Units: a carried node belongs to its nearest non-carried ancestor
        // in the move set.
        for &n in &order {
            let mut cur = n;
            let mut hops = 0;
            while self.carried(cur) && hops < 64 {
                match self.parent_in_set(cur) {
                    Some(p) => cur = p,
                    None => break,
                }
                hops += 1;
            }
            self.slots[n as usize].as_mut().expect("in set").unit = cur;
        }
    }

    fn carried(&self, n: u32) -> bool {
        match self.inp.recs[n as usize] {
            Rec::Inline => true,
            Rec::Resource(_) => self.inp.lookup(n).travels_with_parent(),
            _ => false,
        }
    }

    fn parent_in_set(&self, n: u32) -> Option<u32> {
        let p = self
            .inp
            .graph
            .outgoing(n)
            .find(|e| e.kind == EdgeKind::Parent)
            .map(|e| e.to)?;
        if is_rg_type(self.inp.node_type(p)) {
            return None;
        }
        self.slots[p as usize].as_ref().map(|_| p)
    }

    fn target_subscription(&mut self, sub: &str) -> String {
        if let Some(t) = self.sub_targets.get(sub) {
            return t.clone();
        }
        let opts = self.inp.opts;
        let t = opts
            .subscription_map
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(sub))
            .map(|(_, t)| t.clone())
            .or_else(|| opts.target_subscription.clone())
            .unwrap_or_else(|| sub.to_string());
        self.sub_targets.insert(sub.to_string(), t.clone());
        t
    }

    fn target_rg(&mut self, rg: &str) -> String {
        // Resources arrive grouped by resource group: try the last one first.
        if let Some((src, t)) = &self.last_rg
            && src == rg
        {
            return t.clone();
        }
        let t = self.target_rg_slow(rg);
        self.last_rg = Some((rg.to_string(), t.clone()));
        t
    }

    fn target_rg_slow(&mut self, rg: &str) -> String {
        let key = rg.to_ascii_lowercase();
        if let Some(t) = self.rg_targets.get(&key) {
            return t.clone();
        }
        let opts = self.inp.opts;
        let t = match opts
            .resource_group_map
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(rg))
        {
            Some((_, t)) => t.clone(),
            None => {
                let raw = opts
                    .resource_group_pattern
                    .replace("{rg}", rg)
                    .replace("{region}", &self.inp.target);
                let rule = self
                    .inp
                    .catalog
                    .entry(azrelo_arm::vocab::RESOURCE_GROUPS)
                    .name_rule();
                if rule.check(&raw).is_ok() {
                    raw
                } else {
                    rule.propose(&raw, SuffixRule::Keep)
                }
            }
        };
        self.rg_targets.insert(key, t.clone());
        t
    }

    /// Target names and ids.
    fn target_ids(&mut self, clock: &Stage) {
        // Names first: global names must be unique among the source names
        // (the sources still exist) and the proposals.
        let mut taken: HashSet<(String, String)> = HashSet::new();
        for (i, r) in self.inp.estate.resources.iter().enumerate() {
            // Only names in a global namespace can collide across groups.
            let n = self.inp.res_node[i];
            let global = n != u32::MAX && self.inp.lookup(n).name_rule().scope == NameScope::Global;
            if global {
                taken.insert((
                    r.resource_type.to_ascii_lowercase(),
                    r.name.to_ascii_lowercase(),
                ));
            }
        }
        let mut next_k: HashMap<(String, String), u32> = HashMap::new();
        // Can any target resource group be its source group? Only then do
        // resource-group-scoped names need checking.
        let rg_may_stay = !self.inp.opts.resource_group_pattern.contains("{region}")
            || self
                .inp
                .opts
                .resource_group_map
                .iter()
                .any(|(s, t)| s.eq_ignore_ascii_case(t));
        let order = self.order.clone();
        let source_region_of = |b: &Self, n: u32| -> String {
            b.inp
                .location(n)
                .map(|l| b.inp.canonical_region(l).to_string())
                .unwrap_or_default()
        };
        for &n in &order {
            let slot = self.slots[n as usize].as_ref().expect("in set");
            // Unchanged names are not stored (`None`): most keep theirs.
            if !slot.action.creates_target() || self.inp.recs[n as usize] == Rec::Inline {
                continue;
            }
            let lk = self.inp.lookup(n);
            let rule = lk.name_rule();
            if !matches!(rule.scope, NameScope::Global | NameScope::ResourceGroup) {
                continue;
            }
            if rule.scope == NameScope::ResourceGroup && !rg_may_stay {
                continue;
            }
            let id = self.inp.node_id(n).clone();
            let name = id.name().unwrap_or_default().to_string();
            let same_rg = rule.scope == NameScope::ResourceGroup
                && id.resource_group().is_some_and(|rg| {
                    let src_sub = id.subscription_id().unwrap_or_default().to_string();
                    let t = self.target_rg(rg);
                    t.eq_ignore_ascii_case(rg) && self.target_subscription(&src_sub) == src_sub
                });
            let needs = match rule.scope {
                NameScope::Global => Some(
                    "the name is globally unique (a DNS name) and the source still exists during the move",
                ),
                NameScope::ResourceGroup if same_rg => Some(
                    "the target stays in the source resource group, where the source still holds the name",
                ),
                _ => None,
            };
            let Some(why) = needs else {
                continue;
            };
            let src_region = source_region_of(self, n);
            let target = self.inp.target.clone();
            let suffix = match &self.inp.opts.naming {
                NamingRule::Suffix(s) => SuffixRule::Append(s),
                NamingRule::ReplaceRegion { source, target: t } => SuffixRule::ReplaceRegion {
                    source: source.as_deref().unwrap_or(&src_region),
                    target: t.as_deref().unwrap_or(&target),
                },
            };
            let ty = self.inp.node_type(n).to_ascii_lowercase();
            let mut proposal = rule.propose(&name, suffix);
            if taken.contains(&(ty.clone(), proposal.to_ascii_lowercase())) {
                // Number the collisions; the counter per base keeps this linear.
                let base = proposal.clone();
                let k = next_k
                    .entry((ty.clone(), base.to_ascii_lowercase()))
                    .or_insert(2);
                while *k < 100_000 {
                    let candidate = rule.propose(&base, SuffixRule::Append(&k.to_string()));
                    *k += 1;
                    if !taken.contains(&(ty.clone(), candidate.to_ascii_lowercase())) {
                        proposal = candidate;
                        break;
                    }
                }
            }
            taken.insert((ty, proposal.to_ascii_lowercase()));
            if rule.scope == NameScope::Global {
                self.findings.push(Finding {
                    severity: Severity::Info,
                    code: "global-name".into(),
                    resource: Some(id.as_str().to_owned()),
                    message: format!(
                        "'{name}' is a globally unique name{}; the target is named '{proposal}'",
                        rule.dns_suffix
                            .as_deref()
                            .map(|s| format!(" ({name}{s})"))
                            .unwrap_or_default()
                    ),
                    remediation: "Update clients, DNS records and connection strings to the new name, or choose another with --name-suffix / --region-token.".into(),
                });
            }
            self.target_names[n as usize] = Some((proposal, Some(why.to_string())));
        }
        clock.done("names");
        // Ids, parents and scopes first (memoized recursion over the id).
        let mut memo: HashMap<ResourceId, Arc<str>> = HashMap::new();
        for &n in &order {
            let id = self.inp.node_id(n).clone();
            self.target_of_node(&id, Some(n), &mut memo, 0);
        }
        clock.done("target ids");
        // Unique target ids among created targets.
        // Keyed by a 64-bit hash of the lower-cased id (cheap to compute and
        // compare); equal hashes are confirmed on the ids themselves.
        let mut seen: HashMap<u64, u32> = HashMap::new();
        for &n in &order {
            let slot = self.slots[n as usize].as_ref().expect("in set");
            if !slot.action.creates_target() {
                continue;
            }
            let t = self.target_ids[n as usize].clone().expect("target id set");
            let mut key = ci_hash(&t);
            let mut clash = None;
            while let Some(&other) = seen.get(&key) {
                if self.target_ids[other as usize]
                    .as_ref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(&t))
                {
                    clash = Some(other);
                    break;
                }
                key = key.wrapping_add(1);
            }
            if let Some(other) = clash {
                self.findings.push(Finding {
                    severity: Severity::Blocker,
                    code: "target-id-collision".into(),
                    resource: Some(self.inp.node_id(n).as_str().to_owned()),
                    message: format!(
                        "would get the target id {t}, which {} also gets",
                        self.inp.node_id(other)
                    ),
                    remediation: "Map the source resource groups to different target groups with --resource-group-map SOURCE=TARGET.".into(),
                });
            } else {
                seen.insert(key, n);
            }
        }
    }

    /// The target id of any id (moved or not).
    fn target_of(
        &mut self,
        id: &ResourceId,
        memo: &mut HashMap<ResourceId, Arc<str>>,
        depth: usize,
    ) -> Arc<str> {
        let node = self.inp.graph.node(id);
        self.target_of_node(id, node, memo, depth)
    }

    /// [`Builder::target_of`] when the node of `id` is already known. Target
    /// ids are built as strings from the source id's own text (no re-parse):
    /// the subscription and resource group segments are mapped, the last name
    /// is replaced when the resource is renamed, a child is appended to its
    /// parent's target and an extension to its scope's target.
    fn target_of_node(
        &mut self,
        id: &ResourceId,
        node: Option<u32>,
        memo: &mut HashMap<ResourceId, Arc<str>>,
        depth: usize,
    ) -> Arc<str> {
        if let Some(n) = node {
            if let Some(t) = &self.target_ids[n as usize] {
                return t.clone();
            }
            if let Some(t) = self.existing.get(&n) {
                return Arc::from(t.as_str());
            }
        } else if let Some(t) = memo.get(id) {
            return t.clone();
        }
        let slot = node.and_then(|n| self.slots[n as usize].as_ref().map(|s| s.action));
        let same = || Arc::from(id.as_str());
        let t: Arc<str> = match (slot, id.kind()) {
            // Not in the move set: the id stays, unless an ancestor moves (an
            // implicit parent such as `…/fileServices/default` that no input
            // lists): then it hangs off the ancestor's target.
            (None, IdKind::Resource)
                if depth < 32 && id.resource_type().is_some_and(|t| t.depth() > 1) =>
            {
                match id.parent() {
                    Some(parent) => {
                        let tp = self.target_of(&parent, memo, depth + 1);
                        if tp.eq_ignore_ascii_case(parent.as_str()) {
                            same()
                        } else {
                            child_id(&tp, id, None)
                        }
                    }
                    None => same(),
                }
            }
            (None, _) => same(),
            (Some(action), _)
                if !action.creates_target()
                    && !is_rg_type(self.inp.node_type(node.unwrap_or(0))) =>
            {
                same()
            }
            (Some(_), IdKind::ResourceGroup) => Arc::from(self.target_group(
                id.subscription_id().unwrap_or_default(),
                id.resource_group().unwrap_or_default(),
            )),
            (Some(_), IdKind::Extension) if depth < 32 => {
                let name = self.name_for(node);
                match id.scope() {
                    Some(scope) => {
                        // An extension on a resource group follows the
                        // resources of that group to their target group, even
                        // when the inputs do not list the group itself.
                        let scope_planned = self
                            .inp
                            .graph
                            .node(&scope)
                            .is_some_and(|s| self.slots[s as usize].is_some());
                        let ts = if scope.kind() == IdKind::ResourceGroup && !scope_planned {
                            Arc::from(self.target_group(
                                scope.subscription_id().unwrap_or_default(),
                                scope.resource_group().unwrap_or_default(),
                            ))
                        } else {
                            self.target_of(&scope, memo, depth + 1)
                        };
                        let suffix = &id.as_str()[scope.as_str().len()..];
                        let mut s = format!("{}{}", ts.trim_end_matches('/'), suffix);
                        if let Some(nm) = name
                            && let Some(pos) = s.rfind('/')
                        {
                            s.truncate(pos + 1);
                            s.push_str(&nm);
                        }
                        Arc::from(s)
                    }
                    None => same(),
                }
            }
            (Some(_), IdKind::Resource) if depth < 32 => {
                let renamed = self.name_for(node);
                let is_child = id.resource_type().is_some_and(|t| t.depth() > 1);
                match (is_child, id.parent()) {
                    (true, Some(parent)) => {
                        let parent_planned = self
                            .inp
                            .graph
                            .node(&parent)
                            .is_some_and(|p| self.slots[p as usize].is_some());
                        // A moving child takes its parent along even when the
                        // inputs do not list the parent: same name, target group.
                        let tp = self.target_of(&parent, memo, depth + 1);
                        // An unlisted parent with no moving ancestor still
                        // goes to the target group with its name.
                        let tp = if !parent_planned && tp.eq_ignore_ascii_case(parent.as_str()) {
                            match self.relocated(&parent, None) {
                                Some(t) => Arc::from(t),
                                None => tp,
                            }
                        } else {
                            tp
                        };
                        child_id(&tp, id, renamed.as_deref())
                    }
                    _ => match self.relocated(id, renamed.as_deref()) {
                        Some(t) => Arc::from(t),
                        None => same(),
                    },
                }
            }
            _ => same(),
        };
        match node {
            Some(n) => self.target_ids[n as usize] = Some(t.clone()),
            None => {
                memo.insert(id.clone(), t.clone());
            }
        }
        t
    }

    /// The id of the target resource group of a source group.
    fn target_group(&mut self, sub: &str, rg: &str) -> String {
        let (ts, tr) = (self.target_subscription(sub), self.target_rg(rg));
        format!("/subscriptions/{ts}/resourceGroups/{tr}")
    }

    /// The id text in its target subscription and resource group, with the
    /// last name replaced when `renamed` (the text after the scope segments
    /// is kept as written).
    fn relocated(&mut self, id: &ResourceId, renamed: Option<&str>) -> Option<String> {
        let raw = id.as_str();
        let (scope, tail_at) = match (id.subscription_id(), id.resource_group()) {
            (Some(sub), Some(rg)) => (self.target_group(sub, rg), nth_slash(raw, 5)),
            (Some(sub), None) => {
                let ts = self.target_subscription(sub);
                (format!("/subscriptions/{ts}"), nth_slash(raw, 3))
            }
            _ => (String::new(), Some(0)),
        };
        let tail = &raw[tail_at?..];
        let mut s = scope;
        match (renamed, tail.rfind('/')) {
            (Some(nm), Some(pos)) => {
                s.push_str(&tail[..=pos]);
                s.push_str(nm);
            }
            _ => s.push_str(tail),
        }
        Some(s)
    }

    fn name_for(&self, node: Option<u32>) -> Option<String> {
        let n = node?;
        self.target_names[n as usize]
            .as_ref()
            .map(|(n, _)| n.clone())
    }

    /// Role assignments to recreate, and (node, scope node, principal node)
    /// triples for the wave computation.
    fn role_assignments(&mut self) -> (Vec<RoleAssignmentPlan>, Vec<waves::RaNode>) {
        let g = self.inp.graph;
        let mut out = Vec::new();
        let mut nodes = Vec::new();
        let mut ras = self.ra_nodes.clone();
        ras.sort_by_cached_key(|n| self.inp.node_id(*n).as_str().to_ascii_lowercase());
        let mut memo = HashMap::new();
        for m in ras {
            let Rec::RoleAssignment(i) = self.inp.recs[m as usize] else {
                continue;
            };
            let ra = &self.inp.estate.role_assignments[i];
            let scope_node = g
                .outgoing(m)
                .find(|e| e.kind == EdgeKind::RoleAssignmentScope)
                .map(|e| e.to);
            let principal_node = g
                .outgoing(m)
                .find(|e| e.kind == EdgeKind::RoleAssignmentPrincipal)
                .map(|e| e.to);
            let moves = |b: &Self, n: Option<u32>| {
                n.and_then(|n| b.slots[n as usize].as_ref())
                    .is_some_and(|s| s.action.creates_target())
            };
            let mut reasons = Vec::new();
            if moves(self, scope_node) {
                reasons.push(RoleAssignmentReason::ScopeMoves);
            }
            let principal_recreated = moves(self, principal_node);
            if principal_recreated {
                reasons.push(RoleAssignmentReason::PrincipalRecreated);
            }
            if reasons.is_empty() {
                continue;
            }
            let source_scope = ra.scope.clone();
            let target_scope = match ResourceId::parse(&source_scope) {
                Ok(s) => self.target_of(&s, &mut memo, 0).to_string(),
                Err(_) => source_scope.clone(),
            };
            let target_principal = match principal_node {
                Some(p) if principal_recreated => TargetPrincipal::NewPrincipalOf {
                    identity: self.target_ids[p as usize]
                        .as_ref()
                        .map(|t| t.to_string())
                        .unwrap_or_else(|| self.inp.node_id(p).to_string()),
                },
                _ => TargetPrincipal::Same {
                    principal_id: ra.principal_id.clone(),
                },
            };
            let principal_key = match &target_principal {
                TargetPrincipal::Same { principal_id } => principal_id.clone(),
                TargetPrincipal::NewPrincipalOf { identity } => identity.clone(),
            };
            let target_name = azrelo_template::hash::guid(&[
                &target_scope,
                &principal_key,
                &ra.role_definition_id,
            ]);
            nodes.push(waves::RaNode {
                node: m,
                index: out.len(),
                scope: scope_node.filter(|&s| self.slots[s as usize].is_some()),
                principal: principal_node.filter(|&p| self.slots[p as usize].is_some()),
            });
            out.push(RoleAssignmentPlan {
                source_id: ra.id.as_str().to_owned(),
                role_definition_id: ra.role_definition_id.clone(),
                source_scope,
                target_scope,
                source_principal_id: ra.principal_id.clone(),
                principal_type: ra.principal_type.clone(),
                target_principal,
                target_name,
                wave: 0,
                reasons,
            });
        }
        (out, nodes)
    }

    /// Everything else, once waves are known.
    fn finish(mut self, mut ras: Vec<RoleAssignmentPlan>, w: waves::Waves, clock: &Stage) -> Plan {
        let inp = self.inp;
        for (i, ra) in ras.iter_mut().enumerate() {
            ra.wave = w.ra_wave.get(&i).copied().unwrap_or(1);
        }
        // Resources in wave order, then by id.
        let mut nodes: Vec<u32> = self.order.clone();
        // Wave, then id (ASCII case-insensitive, like id equality); the
        // lower-cased key is computed once per node, so comparisons are plain
        // byte compares.
        nodes.sort_by_cached_key(|n| {
            (
                w.wave_of[*n as usize],
                inp.node_id(*n).as_str().to_ascii_lowercase(),
            )
        });
        let mut ctx_cache: Vec<(String, bool, RuleContext)> = Vec::new();
        let mut cross_sub: HashMap<String, bool> = HashMap::new();
        let mut tcache: HashMap<u32, TypeCache<'_>> = HashMap::new();
        let universal = inp.catalog.defaults().universal_template_fixes.len();
        let mut resources = Vec::with_capacity(nodes.len());
        let mut id_map = Vec::new();
        // Per checklist item: how many resources, and the first few ids.
        let mut checklist_map: HashMap<&str, (usize, Vec<String>)> = HashMap::new();
        let mut source_regions: Vec<String> = Vec::new();
        let mut seen_regions: HashSet<String> = HashSet::new();
        let mut uncatalogued: HashSet<String> = HashSet::new();
        for &n in &nodes {
            let slot = self.slots[n as usize].clone().expect("in set");
            let id = inp.node_id(n);
            let lk = inp.lookup(n);
            let entry = lk.entry();
            let target_id = self.target_ids[n as usize]
                .clone()
                .unwrap_or_else(|| Arc::from(id.as_str()));
            let source_id: Arc<str> = Arc::from(id.as_str());
            let name: Arc<str> = Arc::from(id.name().unwrap_or_default());
            let (target_name, rename_reason) = match &self.target_names[n as usize] {
                Some((t, why)) => (Arc::from(t.as_str()), why.clone()),
                None if is_rg_type(inp.node_type(n)) && slot.action.creates_target() => {
                    // A resource group's target name comes from the mapping.
                    let t = ResourceId::parse(&target_id)
                        .ok()
                        .and_then(|t| t.resource_group().map(Arc::<str>::from))
                        .unwrap_or_else(|| name.clone());
                    let why = (*t != *name).then(|| {
                        "resource groups are mapped (--resource-group-map / --resource-group-pattern)"
                            .to_string()
                    });
                    (t, why)
                }
                None => (name.clone(), None),
            };
            if slot.action.creates_target() {
                id_map.push(IdMapping {
                    source: source_id.clone(),
                    target: target_id.clone(),
                });
            }
            if inp.recs[n as usize] == Rec::Inline {
                // Inline sub-resources only contribute to the id map.
                continue;
            }
            let loc = inp.location(n);
            if let Some(l) = loc
                && slot.action.creates_target()
            {
                let canon = inp.canonical_region(l);
                if !canon.is_empty() && &*canon != "global" && !seen_regions.contains(&*canon) {
                    seen_regions.insert(canon.to_string());
                    source_regions.push(canon.to_string());
                }
            }
            let carried_by = (slot.unit != n).then(|| inp.node_id(slot.unit).as_str().to_owned());
            // Per-type facts, computed once per distinct type.
            let tc = tcache
                .entry(inp.node_lookup[n as usize])
                .or_insert_with(|| {
                    let checklist: Vec<_> = lk
                        .checklist()
                        .into_iter()
                        .map(|c| (c, Arc::from(c.item.id.as_str())))
                        .collect();
                    let fixes: Vec<_> = lk
                        .template_fixes()
                        .into_iter()
                        .skip(universal)
                        .map(|f| {
                            let label =
                                f.id.clone()
                                    .unwrap_or_else(|| format!("{} {}", f.action.as_str(), f.path));
                            (f, Arc::from(label))
                        })
                        .collect();
                    let needs_view = !lk.rules().is_empty()
                        || checklist.iter().any(|(c, _)| c.when.is_some())
                        || fixes.iter().any(|(f, _)| f.when.is_some());
                    TypeCache {
                        checklist,
                        fixes,
                        needs_view,
                        steps: HashMap::new(),
                        service: lk.service().map(|s| Arc::from(s.id.as_str())),
                        data_mover: lk.data_mover().map(|m| Arc::from(m.id.as_str())),
                        empty_steps: Arc::from(Vec::new()),
                    }
                });
            // Condition context and resource view (only when a condition needs it).
            let needs_view = tc.needs_view;
            let view = if needs_view {
                Some(View::new(inp, n))
            } else {
                None
            };
            let ctx: Option<&RuleContext> = if needs_view {
                let src = loc.unwrap_or_default();
                let sub = id.subscription_id().unwrap_or_default();
                let cross = match cross_sub.get(sub) {
                    Some(c) => *c,
                    None => {
                        let c = self.target_subscription(sub) != sub;
                        cross_sub.insert(sub.to_string(), c);
                        c
                    }
                };
                // A handful of (location, cross-subscription) pairs: a short list.
                let i = match ctx_cache
                    .iter()
                    .position(|(l, c, _)| l == src && *c == cross)
                {
                    Some(i) => i,
                    None => {
                        let mut ctx = RuleContext::for_regions(src, &inp.target);
                        ctx.cross_subscription = Some(cross);
                        ctx_cache.push((src.to_string(), cross, ctx));
                        ctx_cache.len() - 1
                    }
                };
                Some(&ctx_cache[i].2)
            } else {
                None
            };
            let eval = |c: &azrelo_catalog::Condition| -> Truth {
                match (&view, ctx) {
                    (Some(v), Some(ctx)) => c.evaluate_view(v, ctx),
                    _ => Truth::Unknown,
                }
            };
            // Checklist (not for carried children: their unit root's list covers them).
            let mut checklist = Vec::new();
            if carried_by.is_none() && slot.action != Action::Keep {
                for (item, label) in &tc.checklist {
                    let applies = item.when.is_none_or(|c| eval(c) != Truth::False);
                    if applies {
                        checklist.push(label.clone());
                        let e = checklist_map.entry(item.item.id.as_str()).or_default();
                        e.0 += 1;
                        if e.1.len() < MAX_LISTED {
                            e.1.push(id.as_str().to_owned());
                        }
                    }
                }
            }
            let template_fixes: Vec<Arc<str>> = if slot.action.creates_target() {
                tc.fixes
                    .iter()
                    .filter(|(f, _)| f.when.as_ref().is_none_or(|c| eval(c) != Truth::False))
                    .map(|(_, label)| label.clone())
                    .collect()
            } else {
                Vec::new()
            };
            // Rules → findings.
            if slot.action != Action::Keep {
                for rule in lk.rules() {
                    match eval(&rule.when) {
                        Truth::True => self.findings.push(Finding {
                            severity: rule.severity,
                            code: rule.id.clone(),
                            resource: Some(id.as_str().to_owned()),
                            message: rule.message.clone(),
                            remediation: rule.remediation.clone(),
                        }),
                        Truth::Unknown if rule.severity == Severity::Blocker => {
                            self.findings.push(Finding {
                                severity: Severity::Warning,
                                code: rule.id.clone(),
                                resource: Some(id.as_str().to_owned()),
                                message: format!(
                                    "could not be checked offline (a value is unknown): {}",
                                    rule.message
                                ),
                                remediation: rule.remediation.clone(),
                            })
                        }
                        _ => {}
                    }
                }
            }
            if lk.is_default() && uncatalogued.insert(inp.node_type(n).to_ascii_lowercase()) {
                self.findings.push(Finding {
                    severity: Severity::Warning,
                    code: "catalog-default".into(),
                    resource: Some(id.as_str().to_owned()),
                    message: format!(
                        "{} is not in the relocation catalog; the conservative default applies (manual relocation, flagged for review)",
                        inp.node_type(n)
                    ),
                    remediation: "Decide how this type relocates (redeploy, data copy, recreate) and record it in a catalog override (--catalog DIR).".into(),
                });
            }
            let steps = if carried_by.is_some() {
                tc.empty_steps.clone()
            } else {
                tc.steps
                    .entry((slot.action, slot.strategy))
                    .or_insert_with(|| Arc::from(steps_for(slot.action, slot.strategy, lk)))
                    .clone()
            };
            resources.push(PlannedResource {
                source_id,
                resource_type: inp.graph.nodes[n as usize].resource_type.clone(),
                name,
                location: inp.graph.nodes[n as usize].location.clone(),
                action: slot.action,
                strategy: slot.strategy,
                target_id,
                target_name,
                rename_reason,
                wave: w.wave_of[n as usize],
                carried_by,
                reason: slot.reason.clone(),
                service: tc.service.clone(),
                catalog_match: match lk.resolution() {
                    Resolution::Exact => CatalogMatch::Exact,
                    Resolution::Extension { .. } => CatalogMatch::Extension,
                    Resolution::Inherited { .. } => CatalogMatch::Inherited,
                    Resolution::Default => CatalogMatch::Default,
                },
                phase: entry.phase,
                downtime: entry.downtime,
                resource_mover: entry.resource_mover,
                data_mover: tc.data_mover.clone(),
                steps,
                checklist,
                template_fixes,
            });
        }
        clock.done("per-resource plans");
        // Assessment findings that look at the move set as a whole.
        assess::assess(&mut self, &resources);
        clock.done("assessment");
        // Checklist entries in catalog order.
        let mut checklist = Vec::new();
        for item in inp.catalog.checklist_items() {
            if let Some((count, res)) = checklist_map.remove(item.id.as_str()) {
                checklist.push(ChecklistEntry {
                    id: item.id.clone(),
                    title: item.title.clone(),
                    instruction: item.instruction.clone(),
                    automation: item.automation,
                    count,
                    resources: res,
                });
            }
        }
        let scenarios = scenarios(inp.catalog, &resources);
        clock.done("checklist and scenarios");
        let workloads = workloads(&resources);
        let mut findings = std::mem::take(&mut self.findings);
        findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.code.cmp(&b.code))
                .then_with(|| a.resource.cmp(&b.resource))
        });
        findings.dedup();
        let mut external = std::mem::take(&mut self.external);
        external.sort_by(|a, b| (&a.from, &a.to, &a.path).cmp(&(&b.from, &b.to, &b.path)));
        external.dedup_by(|a, b| a.from == b.from && a.to == b.to && a.path == b.path);
        let waves = waves::wave_list(&w, &resources, &ras);
        let phases = crate::phases::phases(
            &resources,
            &waves,
            &ras,
            &checklist,
            &scenarios,
            &findings,
            &w,
            external.len(),
        );
        clock.done("findings, waves and phases");
        let summary = summarize(
            &resources,
            &ras,
            &waves,
            &findings,
            &checklist,
            &scenarios,
            &w,
            &external,
            uncatalogued.len(),
        );
        let mut rg_map: Vec<Mapping> = Vec::new();
        let mut sub_map: Vec<Mapping> = self
            .sub_targets
            .iter()
            .map(|(s, t)| Mapping {
                source: s.clone(),
                target: t.clone(),
            })
            .collect();
        sub_map.sort_by(|a, b| a.source.cmp(&b.source));
        for r in &resources {
            if is_rg_type(&r.resource_type) && r.action.creates_target() {
                rg_map.push(Mapping {
                    source: r.source_id.to_string(),
                    target: r.target_id.to_string(),
                });
            }
        }
        rg_map.sort_by(|a, b| a.source.cmp(&b.source));
        Plan {
            schema: SCHEMA.into(),
            generator: format!("azrelo {}", env!("CARGO_PKG_VERSION")),
            target: Target {
                region: inp.target.clone(),
                display_name: inp.regions.get(&inp.target).map(|r| r.display_name.clone()),
                subscriptions: sub_map,
                resource_groups: rg_map,
                dependency_policy: inp.opts.dependency_policy,
            },
            source_regions,
            availability_snapshot: inp.availability.snapshot().to_string(),
            summary,
            phases,
            waves,
            resources,
            id_map,
            role_assignments: ras,
            deferred_references: w.deferred.clone(),
            external_references: external,
            workloads,
            checklist,
            scenarios,
            findings,
        }
    }
}

/// Per-type facts, computed once per distinct type; the strings every
/// resource of the type shares are reference-counted, not copied.
struct TypeCache<'c> {
    checklist: Vec<(azrelo_catalog::AppliedChecklistItem<'c>, Arc<str>)>,
    /// The type's own fixes (the universal ones apply to every resource).
    fixes: Vec<(&'c azrelo_catalog::TemplateFix, Arc<str>)>,
    needs_view: bool,
    steps: HashMap<(Action, Strategy), Arc<[Step]>>,
    service: Option<Arc<str>>,
    data_mover: Option<Arc<str>>,
    empty_steps: Arc<[Step]>,
}

/// The resource as a condition sees it (ARM GET shape), without copying it:
/// `properties` and `sku` are borrowed from the estate record; small members
/// are materialized on first use.
struct View<'r> {
    id: &'r ResourceId,
    resource_type: &'r str,
    r: Option<&'r Resource>,
    cells: [std::cell::OnceCell<Value>; 8],
}

impl<'r> View<'r> {
    fn new(inp: &Inputs<'r>, n: u32) -> View<'r> {
        View {
            id: &inp.graph.nodes[n as usize].id,
            resource_type: &inp.graph.nodes[n as usize].resource_type,
            r: inp.resource(n),
            cells: Default::default(),
        }
    }

    fn cell(&self, i: usize, f: impl FnOnce() -> Option<Value>) -> Option<&Value> {
        let v = self.cells[i].get_or_init(|| f().unwrap_or(Value::Null));
        (!v.is_null()).then_some(v)
    }
}

impl azrelo_catalog::ResourceView for View<'_> {
    fn member(&self, name: &str) -> Option<&Value> {
        let r = self.r;
        let is = |k: &str| name.eq_ignore_ascii_case(k);
        if is("properties") {
            r.map(|r| &r.properties)
        } else if is("sku") {
            r.and_then(|r| r.sku.as_ref())
        } else if is("extendedLocation") {
            r.and_then(|r| r.extended_location.as_ref())
        } else if is("plan") {
            r.and_then(|r| r.plan.as_ref())
        } else if is("id") {
            self.cell(0, || Some(Value::String(self.id.as_str().to_owned())))
        } else if is("type") {
            self.cell(1, || Some(Value::String(self.resource_type.to_owned())))
        } else if is("name") {
            self.cell(2, || r.map(|r| Value::String(r.name.clone())))
        } else if is("location") {
            self.cell(3, || r.and_then(|r| r.location.clone()).map(Value::String))
        } else if is("kind") {
            self.cell(4, || r.and_then(|r| r.kind.clone()).map(Value::String))
        } else if is("zones") {
            self.cell(5, || {
                r.filter(|r| !r.zones.is_empty())
                    .map(|r| Value::Array(r.zones.iter().cloned().map(Value::String).collect()))
            })
        } else if is("identity") {
            self.cell(6, || {
                r.and_then(|r| r.identity.as_ref())
                    .and_then(|i| serde_json::to_value(i).ok())
            })
        } else if is("tags") {
            self.cell(7, || {
                r.filter(|r| !r.tags.is_empty())
                    .and_then(|r| serde_json::to_value(&r.tags).ok())
            })
        } else {
            None
        }
    }
}

fn step(
    kind: StepKind,
    phase: azrelo_catalog::ProcessPhase,
    mode: StepMode,
    detail: String,
) -> Step {
    Step {
        kind,
        phase,
        mode,
        detail: Arc::from(detail),
    }
}

/// Per-resource steps by action and strategy.
fn steps_for(action: Action, strategy: Strategy, lk: &Lookup<'_>) -> Vec<Step> {
    use StepMode::{Automated as A, ManualGate as M};
    use azrelo_catalog::ProcessPhase as P;
    let mover = lk.data_mover();
    let mover_title = mover.map(|m| m.title.clone()).unwrap_or_default();
    let manual_mover = mover.is_some_and(|m| {
        matches!(
            m.kind,
            azrelo_catalog::DataMoverKind::Rebuild | azrelo_catalog::DataMoverKind::ExportImport
        )
    });
    let mut s = Vec::new();
    match action {
        Action::Keep => {}
        Action::Reconfigure => {
            s.push(step(
                StepKind::Reconfigure,
                P::Move,
                A,
                "not regional: update references to the target resources".into(),
            ));
        }
        Action::Manual => {
            s.push(step(
                StepKind::ManualRelocation,
                P::Move,
                M,
                lk.entry().notes.clone(),
            ));
            s.push(step(StepKind::Verify, P::CommitOrDiscard, M, String::new()));
            s.push(step(StepKind::DeleteSource, P::CleanUp, M, String::new()));
        }
        Action::Move | Action::Recreate => {
            s.push(step(
                StepKind::GenerateTemplate,
                P::Prepare,
                A,
                String::new(),
            ));
            match strategy {
                Strategy::RedeployData => {
                    s.push(step(
                        StepKind::StartDataCopy,
                        P::Prepare,
                        if manual_mover { M } else { A },
                        mover_title.clone(),
                    ));
                }
                Strategy::Replicate => {
                    s.push(step(
                        StepKind::StartDataCopy,
                        P::Prepare,
                        M,
                        format!("configure {mover_title}"),
                    ));
                }
                _ => {}
            }
            s.push(step(StepKind::Deploy, P::Move, A, String::new()));
            match strategy {
                Strategy::RedeployData => s.push(step(
                    StepKind::FinalSync,
                    P::Move,
                    M,
                    format!("{mover_title}: final delta, then switch clients"),
                )),
                Strategy::Replicate => s.push(step(
                    StepKind::FinalSync,
                    P::Move,
                    M,
                    format!("{mover_title}: fail over to the target"),
                )),
                _ => {}
            }
            if action == Action::Recreate {
                s.push(step(
                    StepKind::RepointDependents,
                    P::Move,
                    A,
                    "new identity: dependents and grants move to the new instance".into(),
                ));
            }
            s.push(step(StepKind::Verify, P::CommitOrDiscard, A, String::new()));
            s.push(step(StepKind::DeleteSource, P::CleanUp, M, String::new()));
        }
    }
    s
}

fn downtime_rank(d: Downtime) -> u8 {
    match d {
        Downtime::Hot => 0,
        Downtime::Warm => 1,
        Downtime::Cold => 2,
    }
}

fn workloads(resources: &[PlannedResource]) -> Vec<Workload> {
    let mut by_rg: Vec<(String, Workload)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in resources {
        if !r.action.creates_target() || r.carried_by.is_some() {
            continue;
        }
        let Ok(id) = ResourceId::parse(&r.source_id) else {
            continue;
        };
        let Some(rg) = id.resource_group_id() else {
            continue;
        };
        let key = rg.as_str().to_ascii_lowercase();
        let i = *index.entry(key.clone()).or_insert_with(|| {
            by_rg.push((
                key,
                Workload {
                    resource_group: rg.to_string(),
                    resources: 0,
                    downtime: Downtime::Hot,
                    driven_by: Vec::new(),
                },
            ));
            by_rg.len() - 1
        });
        let w = &mut by_rg[i].1;
        w.resources += 1;
        let (a, b) = (downtime_rank(r.downtime), downtime_rank(w.downtime));
        if a > b {
            w.downtime = r.downtime;
            w.driven_by = vec![r.source_id.to_string()];
        } else if a == b && a > 0 && w.driven_by.len() < 5 {
            w.driven_by.push(r.source_id.to_string());
        }
    }
    let mut out: Vec<Workload> = by_rg.into_iter().map(|(_, w)| w).collect();
    out.sort_by(|a, b| a.resource_group.cmp(&b.resource_group));
    out
}

fn scenarios(catalog: &Catalog, resources: &[PlannedResource]) -> Vec<ScenarioPlan> {
    let mut by_type: HashMap<String, Vec<&str>> = HashMap::new();
    for r in resources {
        if r.action == Action::Keep {
            continue;
        }
        by_type
            .entry(r.resource_type.to_ascii_lowercase())
            .or_default()
            .push(&r.source_id);
    }
    let types: Vec<&str> = by_type.keys().map(String::as_str).collect();
    let mut out = Vec::new();
    for sc in catalog.scenarios_for(types.iter().copied()) {
        let steps = sc
            .steps
            .iter()
            .filter_map(|st| {
                let mut res: Vec<&str> = Vec::new();
                for t in &st.applies_to {
                    if let Some(v) = by_type.get(&t.to_ascii_lowercase()) {
                        res.extend(v.iter().copied());
                    }
                }
                if !st.applies_to.is_empty() && res.is_empty() {
                    return None;
                }
                let count = res.len();
                res.sort_unstable();
                res.truncate(MAX_LISTED);
                Some(ScenarioStepPlan {
                    id: st.id.clone(),
                    title: st.title.clone(),
                    phase: st.phase,
                    mode: st.mode,
                    instruction: st.instruction.clone(),
                    count,
                    resources: res.into_iter().map(str::to_owned).collect(),
                    checklist: st.checklist.clone(),
                })
            })
            .collect();
        out.push(ScenarioPlan {
            id: sc.id.clone(),
            title: sc.title.clone(),
            summary: sc.summary.clone(),
            steps,
        });
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn summarize(
    resources: &[PlannedResource],
    ras: &[RoleAssignmentPlan],
    waves: &[Wave],
    findings: &[Finding],
    checklist: &[ChecklistEntry],
    scenarios: &[ScenarioPlan],
    w: &waves::Waves,
    external: &[ExternalReference],
    uncatalogued: usize,
) -> Summary {
    let mut s = Summary {
        resources: resources.len(),
        role_assignments: ras.len(),
        waves: waves.len(),
        deferred_references: w.deferred.len(),
        external_references: external.len(),
        uncatalogued_types: uncatalogued,
        ..Summary::default()
    };
    for r in resources {
        match r.reason.kind {
            ReasonKind::Selected => s.selected += 1,
            ReasonKind::Dependency => s.added_as_dependencies += 1,
            _ => s.added_as_dependents += 1,
        }
        if r.carried_by.is_some() {
            s.carried_with_parent += 1;
            continue;
        }
        match r.action {
            Action::Move => s.moved += 1,
            Action::Recreate => s.recreated += 1,
            Action::Reconfigure => s.reconfigured += 1,
            Action::Manual => s.manual += 1,
            Action::Keep => s.kept += 1,
        }
        s.manual_gates += r
            .steps
            .iter()
            .filter(|st| st.mode == StepMode::ManualGate)
            .count();
    }
    s.manual_gates += checklist
        .iter()
        .filter(|c| c.automation == Automation::Manual)
        .count();
    s.manual_gates += scenarios
        .iter()
        .flat_map(|sc| &sc.steps)
        .filter(|st| st.mode == StepMode::ManualGate)
        .count();
    for f in findings {
        match f.severity {
            Severity::Blocker => s.blockers += 1,
            Severity::Warning => s.warnings += 1,
            Severity::Info => s.infos += 1,
        }
    }
    s
}
