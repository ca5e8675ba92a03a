//! Reading a plan directory into what the report shows: the plan, the
//! dependency graph between its units, gates with their state, waves with
//! planned and real durations, downtime per workload and what stays in the
//! source. The HTML page and the spreadsheets render this one model.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use azrelo_catalog::Catalog;
use azrelo_estate::Estate;
use azrelo_graph::EdgeKind;
use azrelo_plan::estimate::{self, DowntimeEstimate, WaveEstimate};
use azrelo_plan::{Action, ExternalResolution, Plan, PlannedResource};
use serde_json::Value;

use crate::ReportError;

/// Edge families, for colour and filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EdgeFamily {
    Structure,
    Network,
    Identity,
    Data,
    Monitoring,
    Reference,
}

impl EdgeFamily {
    pub const ALL: [EdgeFamily; 6] = [
        EdgeFamily::Structure,
        EdgeFamily::Network,
        EdgeFamily::Identity,
        EdgeFamily::Data,
        EdgeFamily::Monitoring,
        EdgeFamily::Reference,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EdgeFamily::Structure => "structure",
            EdgeFamily::Network => "network",
            EdgeFamily::Identity => "identity",
            EdgeFamily::Data => "data",
            EdgeFamily::Monitoring => "monitoring",
            EdgeFamily::Reference => "reference",
        }
    }

    pub fn of(kind: EdgeKind) -> EdgeFamily {
        use EdgeKind::*;
        match kind {
            Parent | DependsOn | OwnedBy | InstalledBy | AttachedTo | OwnerManaged => {
                EdgeFamily::Structure
            }
            NicSubnet
            | NicNsg
            | SubnetNsg
            | SubnetRouteTable
            | SubnetNatGateway
            | LoadBalancerBackend
            | LoadBalancerFrontendSubnet
            | AppGatewaySubnet
            | PublicIp
            | VnetPeering
            | VmNic
            | PrivateEndpointSubnet
            | DnsZoneGroupZone
            | DnsZoneVnetLink => EdgeFamily::Network,
            UserAssignedIdentity
            | RoleAssignmentScope
            | RoleAssignmentPrincipal
            | IdentityClientId
            | FederatedIssuer
            | CertificateThumbprint => EdgeFamily::Identity,
            VmDisk
            | PrivateEndpointTarget
            | BackupProtectedResource
            | BackupPolicy
            | EndpointReference
            | NameReference
            | KeyVaultReference
            | InstrumentationKey => EdgeFamily::Data,
            DiagnosticSource
            | DiagnosticDestination
            | SecurityExport
            | SecurityWorkspace
            | PolicyExemptionScope
            | PolicyExemptionAssignment
            | LockScope => EdgeFamily::Monitoring,
            PropertyReference | BackReference | TagLink => EdgeFamily::Reference,
        }
    }
}

/// A unit of the move (a resource not carried by another), as drawn.
#[derive(Debug, Clone)]
pub struct GraphNode {
    /// Index into [`Plan::resources`].
    pub resource: usize,
    /// Index into [`Plan::waves`] (the layer).
    pub layer: usize,
    /// Index into [`ReportGraph::groups`].
    pub group: usize,
    /// Resources carried inside its template.
    pub carried: usize,
}

/// A dependency between two units: `from` needs `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphEdge {
    pub from: usize,
    pub to: usize,
    pub family: EdgeFamily,
}

/// The units and their dependencies.
#[derive(Debug, Clone, Default)]
pub struct ReportGraph {
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
    /// Source resource group ids (lanes), first-seen order.
    pub groups: Vec<String>,
}

/// A gate of the run with its state.
#[derive(Debug, Clone)]
pub struct GateView {
    pub id: String,
    pub wave: u32,
    /// The resource (unit) whose gate it is: source id when known.
    pub owner: String,
    pub before_move: bool,
    /// When it stops the run (`before the move`, `after the move, before
    /// the commit`, `before the source cleanup`, …).
    pub when: &'static str,
    pub instruction: String,
    /// `closed`, `open` (a run exists), `not started`.
    pub state: &'static str,
}

/// A wave on the timeline.
#[derive(Debug, Clone)]
pub struct WaveView {
    pub number: u32,
    pub title: String,
    pub resources: usize,
    pub planned: WaveEstimate,
    /// Real minutes from `events.jsonl` (first start to last success of its
    /// units), once a run exists.
    pub real: Option<RealSpan>,
}

/// A real time span, in minutes after the run's first event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RealSpan {
    pub start_min: f64,
    pub minutes: f64,
}

/// Something that stays in the source region, and why.
#[derive(Debug, Clone)]
pub struct KeptView {
    pub what: String,
    pub why: String,
}

/// The run, when the plan directory has one.
#[derive(Debug, Clone, Default)]
pub struct RunView {
    /// Lower-cased target id → state (`pending`, `moved`, `committed`, …).
    pub states: HashMap<String, String>,
    /// State → units.
    pub counts: BTreeMap<String, usize>,
    pub events: usize,
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct Report {
    pub dir: PathBuf,
    pub plan: Plan,
    pub graph: ReportGraph,
    pub gates: Vec<GateView>,
    /// Whether the gates come from the run's own model (templates
    /// generated) rather than from the plan alone.
    pub gates_from_run: bool,
    pub waves: Vec<WaveView>,
    pub downtime: Vec<DowntimeEstimate>,
    pub kept: Vec<KeptView>,
    pub run: Option<RunView>,
    /// Lower-cased source id → gate ids.
    pub gates_by_resource: HashMap<String, Vec<String>>,
    /// Resources of the estate that are not in the move set, per source
    /// resource group.
    pub not_selected: BTreeMap<String, usize>,
}

fn input_err(path: &Path, message: impl Into<String>) -> ReportError {
    ReportError::Input {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Read `DIR/plan.json` (required), `DIR/estate.json` (for the graph and the
/// kept-in-source list), and the run when `DIR/templates/manifest.json`,
/// `DIR/journal.db` or `DIR/events.jsonl` exist.
pub fn load(dir: &Path) -> Result<Report, ReportError> {
    let plan_path = dir.join("plan.json");
    let text = std::fs::read_to_string(&plan_path).map_err(|e| {
        input_err(
            &plan_path,
            format!("{e} — point at a directory written by `azrelo plan --out DIR`"),
        )
    })?;
    let plan: Plan = serde_json::from_str(&text)
        .map_err(|e| input_err(&plan_path, format!("not an azrelo plan: {e}")))?;
    if plan.schema != azrelo_plan::SCHEMA {
        return Err(input_err(
            &plan_path,
            format!(
                "schema '{}' is not {}; re-run `azrelo plan` with this version",
                plan.schema,
                azrelo_plan::SCHEMA
            ),
        ));
    }
    let estate_path = dir.join("estate.json");
    let estate: Option<Estate> = if estate_path.exists() {
        let text = std::fs::read_to_string(&estate_path)
            .map_err(|e| input_err(&estate_path, e.to_string()))?;
        let mut e: Estate = serde_json::from_str(&text)
            .map_err(|e| input_err(&estate_path, format!("not an azrelo estate: {e}")))?;
        e.reindex();
        Some(e)
    } else {
        None
    };
    build(dir, plan, estate.as_ref(), Catalog::embedded())
}

/// Build the report of a plan (and its estate, when known) in `dir`.
pub fn build(
    dir: &Path,
    plan: Plan,
    estate: Option<&Estate>,
    catalog: &Catalog,
) -> Result<Report, ReportError> {
    let graph = unit_graph(&plan, estate);
    let (gates, gates_from_run, run) = gates_and_run(dir, &plan, catalog)?;
    let mut gates_by_resource: HashMap<String, Vec<String>> = HashMap::new();
    for g in &gates {
        gates_by_resource
            .entry(g.owner.to_ascii_lowercase())
            .or_default()
            .push(g.id.clone());
    }
    let real = real_spans(dir, &plan);
    let planned = estimate::wave_estimates(&plan, catalog);
    let waves = plan
        .waves
        .iter()
        .zip(planned)
        .map(|(w, p)| WaveView {
            number: w.number,
            title: w.title.clone(),
            resources: w.resources.len(),
            planned: p,
            real: real.get(&w.number).copied(),
        })
        .collect();
    let downtime = estimate::downtime_estimates(&plan, catalog);
    let (kept, not_selected) = kept_in_source(&plan, estate);
    Ok(Report {
        dir: dir.to_path_buf(),
        plan,
        graph,
        gates,
        gates_from_run,
        waves,
        downtime,
        kept,
        run,
        gates_by_resource,
        not_selected,
    })
}

/// The unit root of a resource (following `carried_by`), as an index.
fn roots(plan: &Plan) -> Vec<usize> {
    let by_source = index_by_source(plan);
    (0..plan.resources.len())
        .map(|i| {
            let mut at = i;
            // Bounded: carried_by chains are short and acyclic in a sound
            // plan; the bound guards against a hand-edited one.
            for _ in 0..16 {
                match plan.resources[at]
                    .carried_by
                    .as_ref()
                    .and_then(|c| by_source.get(&c.as_str().to_ascii_lowercase()))
                {
                    Some(&p) if p != at => at = p,
                    _ => break,
                }
            }
            at
        })
        .collect()
}

fn unit_graph(plan: &Plan, estate: Option<&Estate>) -> ReportGraph {
    let root = roots(plan);
    let wave_index: HashMap<u32, usize> = plan
        .waves
        .iter()
        .enumerate()
        .map(|(i, w)| (w.number, i))
        .collect();
    let mut g = ReportGraph::default();
    let mut group_index: HashMap<String, usize> = HashMap::new();
    let mut node_of: HashMap<usize, usize> = HashMap::new();
    let mut carried = vec![0usize; plan.resources.len()];
    for (i, &r) in root.iter().enumerate() {
        if r != i {
            carried[r] += 1;
        }
    }
    for (i, r) in plan.resources.iter().enumerate() {
        if root[i] != i {
            continue;
        }
        let rg = estimate::resource_group_of(r.source_id.as_str())
            .unwrap_or_else(|| "(subscription scope)".to_string());
        let group = *group_index
            .entry(rg.to_ascii_lowercase())
            .or_insert_with(|| {
                g.groups.push(rg.clone());
                g.groups.len() - 1
            });
        node_of.insert(i, g.nodes.len());
        g.nodes.push(GraphNode {
            resource: i,
            layer: wave_index.get(&r.wave).copied().unwrap_or(0),
            group,
            carried: carried[i],
        });
    }
    let Some(estate) = estate else { return g };
    let eg = azrelo_graph::build(estate);
    let by_source = index_by_source(plan);
    let node_for = |n: u32| -> Option<usize> {
        let id = eg.nodes[n as usize].id.to_string().to_ascii_lowercase();
        let i = by_source.get(&id)?;
        node_of.get(&root[*i]).copied()
    };
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for e in &eg.edges {
        if !e.kind.is_dependency() {
            continue;
        }
        let (Some(from), Some(to)) = (node_for(e.from), node_for(e.to)) else {
            continue;
        };
        if from == to || !seen.insert((from, to)) {
            continue;
        }
        // Everything in a lane needs its resource group: the lane says so;
        // drawing those edges would only bury the others.
        let target = &plan.resources[g.nodes[to].resource];
        if target
            .resource_type
            .eq_ignore_ascii_case("Microsoft.Resources/resourceGroups")
            && g.nodes[from].group == g.nodes[to].group
        {
            continue;
        }
        g.edges.push(GraphEdge {
            from,
            to,
            family: EdgeFamily::of(e.kind),
        });
    }
    g
}

fn gates_and_run(
    dir: &Path,
    plan: &Plan,
    _catalog: &Catalog,
) -> Result<(Vec<GateView>, bool, Option<RunView>), ReportError> {
    let has_templates = dir.join("templates").join("manifest.json").exists();
    let has_journal = dir.join("journal.db").exists();
    let events = std::fs::read_to_string(dir.join("events.jsonl"))
        .map(|t| t.lines().filter(|l| !l.trim().is_empty()).count())
        .unwrap_or(0);
    // The gates are the plan's (`plan.json`); a run only adds their state.
    let view = |closed: Option<&HashSet<String>>| -> Vec<GateView> {
        plan.gates
            .iter()
            .map(|g| GateView {
                id: g.id.clone(),
                wave: g.wave,
                owner: g
                    .resource
                    .as_ref()
                    .or(g.units.first())
                    .map_or_else(|| "the whole run".to_string(), |r| r.to_string()),
                before_move: g.before_move(),
                when: azrelo_plan::report::gate_when(g),
                instruction: g.instruction.clone(),
                state: match closed {
                    None => "not started",
                    Some(c) if c.contains(&g.id.to_ascii_lowercase()) => "closed",
                    Some(_) => "open",
                },
            })
            .collect()
    };
    if !has_templates {
        return Ok((view(None), false, None));
    }
    let run_err = |message: String| ReportError::Run {
        dir: dir.to_path_buf(),
        message,
    };
    let rp = azrelo_run::PlanDir::new(dir)
        .load_run()
        .map_err(|e| run_err(e.to_string()))?;
    let status = if has_journal {
        let journal = azrelo_orchestrate::Journal::open(&azrelo_run::PlanDir::new(dir).journal())
            .map_err(|e| run_err(e.to_string()))?;
        Some(azrelo_orchestrate::status(&rp, &journal).map_err(|e| run_err(e.to_string()))?)
    } else {
        None
    };
    let closed: Option<HashSet<String>> = status.as_ref().map(|s| {
        s.gates
            .iter()
            .filter(|g| g.closed)
            .map(|g| g.id.to_ascii_lowercase())
            .collect()
    });
    let mut gates = view(closed.as_ref());
    gates.sort_by_key(|g| g.wave);
    let run = status.map(|s| RunView {
        states: s
            .units
            .iter()
            .map(|u| (u.unit.to_ascii_lowercase(), u.state.as_str().to_string()))
            .collect(),
        counts: s.counts.clone(),
        events,
    });
    Ok((gates, true, run))
}

/// Per wave, the real span from `events.jsonl`: from the first `started`
/// to the last `succeeded` event of its units (minutes after the run's
/// first event). Units are matched to waves through the plan's target ids.
fn real_spans(dir: &Path, plan: &Plan) -> HashMap<u32, RealSpan> {
    let Ok(text) = std::fs::read_to_string(dir.join("events.jsonl")) else {
        return HashMap::new();
    };
    let mut wave_of: HashMap<String, u32> = plan
        .resources
        .iter()
        .map(|r| (r.target_id.as_str().to_ascii_lowercase(), r.wave))
        .collect();
    for ra in &plan.role_assignments {
        wave_of.insert(
            format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/{}",
                ra.target_scope, ra.target_name
            )
            .to_ascii_lowercase(),
            ra.wave,
        );
    }
    let mut first: Option<time::OffsetDateTime> = None;
    let mut spans: HashMap<u32, (time::OffsetDateTime, time::OffsetDateTime)> = HashMap::new();
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(at) = v.get("at").and_then(Value::as_str).and_then(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
        }) else {
            continue;
        };
        first = Some(first.map_or(at, |f| f.min(at)));
        let unit = v.get("unit").and_then(Value::as_str).unwrap_or("");
        let Some(&wave) = wave_of.get(&unit.to_ascii_lowercase()) else {
            continue;
        };
        let status = v.get("status").and_then(Value::as_str).unwrap_or("");
        if !matches!(status, "started" | "succeeded" | "skipped") {
            continue;
        }
        let e = spans.entry(wave).or_insert((at, at));
        e.0 = e.0.min(at);
        e.1 = e.1.max(at);
    }
    let Some(first) = first else {
        return HashMap::new();
    };
    let min = |d: time::Duration| d.as_seconds_f64() / 60.0;
    spans
        .into_iter()
        .map(|(w, (a, b))| {
            (
                w,
                RealSpan {
                    start_min: min(a - first),
                    minutes: min(b - a),
                },
            )
        })
        .collect()
}

/// What stays in the source region and why: sources moved resources keep
/// referring to, locked sources, resources already in the target, and the
/// estate's resources outside the move set (per resource group).
fn kept_in_source(
    plan: &Plan,
    estate: Option<&Estate>,
) -> (Vec<KeptView>, BTreeMap<String, usize>) {
    let mut kept = Vec::new();
    let mut by_target: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for x in &plan.external_references {
        if x.resolution == ExternalResolution::KeptInSource {
            by_target.entry(x.to.clone()).or_default().push(&x.from);
        }
    }
    for (to, froms) in by_target {
        let mut names: Vec<String> = froms
            .iter()
            .map(|f| azrelo_plan::report::short(f))
            .collect();
        names.sort();
        names.dedup();
        kept.push(KeptView {
            what: to,
            why: format!(
                "stays in the source: moved resources keep referring to it ({})",
                names.join(", ")
            ),
        });
    }
    let planned: HashSet<String> = plan
        .resources
        .iter()
        .map(|r| r.source_id.as_str().to_ascii_lowercase())
        .collect();
    if let Some(estate) = estate {
        for l in &estate.locks {
            let scope = l.scope.to_ascii_lowercase();
            if planned.contains(&scope) {
                kept.push(KeptView {
                    what: l.scope.clone(),
                    why: format!(
                        "{} lock {}: the source cannot be deleted until the lock is removed (cleanup-source keeps it and reports it)",
                        l.level,
                        l.id.full_name().unwrap_or_default()
                    ),
                });
            }
        }
    }
    for r in &plan.resources {
        if r.action == Action::Keep {
            kept.push(KeptView {
                what: r.source_id.to_string(),
                why: "already in the target region: stays as it is".into(),
            });
        }
    }
    let mut not_selected = BTreeMap::new();
    if let Some(estate) = estate {
        for r in &estate.resources {
            if planned.contains(&r.id.to_string().to_ascii_lowercase()) {
                continue;
            }
            let rg = estimate::resource_group_of(&r.id.to_string())
                .unwrap_or_else(|| "(subscription scope)".into());
            *not_selected.entry(rg).or_insert(0) += 1;
        }
    }
    (kept, not_selected)
}

/// The planned resource a node stands for.
pub fn node_resource<'r>(report: &'r Report, node: &GraphNode) -> &'r PlannedResource {
    &report.plan.resources[node.resource]
}

/// Each planned resource's index by its source id (lower-case).
fn index_by_source(plan: &Plan) -> HashMap<String, usize> {
    plan.resources
        .iter()
        .enumerate()
        .map(|(i, r)| (r.source_id.as_str().to_ascii_lowercase(), i))
        .collect()
}

/// Each planned resource's service (catalog name) by its source id
/// (lower-case), for the findings' service column and filter.
pub(crate) fn service_of(plan: &Plan) -> HashMap<String, String> {
    plan.resources
        .iter()
        .filter_map(|p| {
            Some((
                p.source_id.as_str().to_ascii_lowercase(),
                p.service.as_deref()?.to_string(),
            ))
        })
        .collect()
}
