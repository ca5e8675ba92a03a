//! What a run executes, built from a plan directory's contents ([`RunInputs`]:
//! `plan.json`, `estate.json` and the generator's `templates/` — manifest +
//! one template and parameters file per wave × scope — read by
//! `azrelo_run::PlanDir`).
//!
//! The unit of execution is one *resource* of a generated template (a
//! "unit"): its own deployment (the template reduced to that resource, the
//! parameters it uses, `dependsOn` dropped), so the scheduler can start it as
//! soon as the resources it references exist — no barrier between waves.
//! Global resources the plan re-configures, and resources the plan creates
//! but the generator could not template (manual), are units too.
//!
//! Dependencies come from the resources themselves: a unit depends on every
//! unit whose target id (or an ancestor of it: subnet → virtual network) it
//! mentions, on its parent/scope/resource group, and a role assignment for a
//! recreated principal on that identity. An edge is kept only when the plan's
//! wave order allows it (earlier wave, or the same template), so the graph is
//! acyclic exactly when the plan is sound (invariant 5).

use std::collections::HashMap;
use std::path::PathBuf;

use azrelo_arm::IdIndex;
use azrelo_arm::id::ResourceId;
use azrelo_arm::vocab;
use azrelo_generate::Manifest;
use azrelo_plan::{IdMap, Plan};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

mod build;
mod executor;
mod order;
mod template;

pub use template::template_resource_id;

/// Errors reading a plan directory.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{0}")]
    Plan(String),
}

/// How a unit is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// Deploy the generated template resource (redeploy, recreate).
    Deploy,
    /// Managed disk with the snapshot data mover: incremental snapshot,
    /// CopyStart to the target region, disk from the copy.
    DiskCopy,
    /// Global resource: PUT its current settings re-pointed to the targets.
    Reconfigure,
    /// Not automated: the operator does it and closes the unit's gate.
    Manual,
    /// An action of the plan (`plan.json` `actions`) its executor performs.
    Action(Executor),
    /// Created by its owner's move or installed by a platform service:
    /// located once the owner moved (known id, read from the moved owner,
    /// or found in its new managed group) and verified; never deployed,
    /// discarded or deleted by azrelo.
    Owned,
}

impl UnitKind {
    /// As shown and serialized: the kind, or an action's executor id.
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Deploy => "deploy",
            UnitKind::DiskCopy => "disk-copy",
            UnitKind::Reconfigure => "reconfigure",
            UnitKind::Manual => "manual",
            UnitKind::Action(e) => e.id(),
            UnitKind::Owned => "owned",
        }
    }
}

impl serde::Serialize for UnitKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

pub use executor::{EXECUTORS, Executor};

/// What the run needs to find an owned resource's target.
#[derive(Debug, Clone)]
pub struct OwnedSpec {
    pub relation: azrelo_plan::Relation,
    /// Who creates or installs it.
    pub service: String,
    /// The owner's target id (after its move).
    pub owner_target: Option<ResourceId>,
    /// How the target is known.
    pub target: azrelo_plan::OwnedTargetPlan,
    /// The source name (matched in the owner's new managed group).
    pub source_name: String,
}

/// A manual step the operator closes with `azrelo gate done ID` (the
/// plan's gates, `plan.json` `gates`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Gate {
    pub id: String,
    pub title: String,
    /// What it holds back: the move, the commit or the source cleanup.
    pub stage: azrelo_plan::GateStage,
    /// A gate of the whole run, held by every unit (not the unit's own; a
    /// gate holding several named units is each one's own).
    pub shared: bool,
}

/// One generated deployment, reduced to a single resource.
#[derive(Debug, Clone)]
pub struct DeploySpec {
    /// `/subscriptions/S` or `/subscriptions/S/resourceGroups/RG`.
    pub scope: String,
    /// Location of a subscription-scope deployment.
    pub location: Option<String>,
    /// Deterministic deployment name (same on every run and resume).
    pub name: String,
    /// The generated file it comes from.
    pub template_file: String,
    pub schema: String,
    /// The resource, `dependsOn` removed.
    pub resource: Value,
    /// Declarations of the parameters the resource uses.
    pub param_decls: Map<String, Value>,
    /// Values from the generated parameters file (non-secret).
    pub param_values: Map<String, Value>,
    /// Secure parameters the operator supplies (never journaled).
    pub secure_params: Vec<String>,
    /// Principal-id parameters filled from a recreated identity:
    /// (parameter, identity target id).
    pub principal_params: Vec<(String, String)>,
    /// Parameters read from a moved resource when the unit deploys (the
    /// generator's `azrelo.readFrom` metadata: an AKS cluster's new OIDC
    /// issuer for a federated credential, a new component's connection
    /// string, a recreated identity's client id): (parameter, resource
    /// target id, JSON pointer into its GET body).
    pub read_params: Vec<(String, String, String)>,
    pub variables: Option<Value>,
}

impl DeploySpec {
    /// The deployment's ARM path.
    pub fn path(&self) -> String {
        vocab::provider_id(&self.scope, vocab::DEPLOYMENTS, &self.name)
    }
}

/// One unit of execution.
#[derive(Debug, Clone)]
pub struct Unit {
    /// Stable key: the target id (journal steps are `KEY#step`).
    pub key: ResourceId,
    pub kind: UnitKind,
    pub resource_type: String,
    pub api_version: String,
    pub source_id: Option<ResourceId>,
    /// Region of the source (for the disk mover's source snapshot).
    pub source_location: Option<String>,
    pub target_id: ResourceId,
    pub target_name: String,
    pub wave: u32,
    pub action: azrelo_plan::Action,
    /// The catalog's strategy (`None` for a role assignment the plan
    /// recreates: no catalog entry decides it).
    pub strategy: Option<azrelo_plan::Strategy>,
    /// Prerequisites (indexes into [`RunPlan::units`]).
    pub deps: Vec<usize>,
    /// Gates that must be closed before the move (e.g. a data copy azrelo
    /// does not automate).
    pub gates_before: Vec<Gate>,
    /// Gates after the move (final sync / cut-over): they hold the commit.
    pub gates_after: Vec<Gate>,
    /// Gates that hold the source cleanup.
    pub gates_cleanup: Vec<Gate>,
    /// For an action: what its executor does, with its parameters.
    pub procedure: Option<Procedure>,
    pub deploy: Option<DeploySpec>,
    /// For reconfigure: the estate body (source of the re-pointed PUT).
    pub estate_body: Option<Value>,
    /// Why it is not automated (manual units).
    pub note: Option<String>,
    /// For owned units: how to find and check its target.
    pub owned: Option<OwnedSpec>,
    /// Units whose *source* this unit's source refers to (from the estate):
    /// a source that stays keeps these in use.
    pub source_refs: Vec<usize>,
}

impl Unit {
    /// A short label for tables and progress.
    pub fn label(&self) -> String {
        let t = self.resource_type.rsplit('/').next().unwrap_or("");
        format!("{t}/{}", self.target_name)
    }

    pub fn all_gates(&self) -> impl Iterator<Item = &Gate> {
        self.gates_before
            .iter()
            .chain(self.gates_after.iter())
            .chain(self.gates_cleanup.iter())
    }
}

/// What an action unit's executor does.
#[derive(Debug, Clone)]
pub struct Procedure {
    pub executor: Executor,
    pub title: String,
    /// The scenario step it carries out (`scenario/step`).
    pub step: Option<String>,
    /// The plan's parameters (ids, names, settings; no secrets).
    pub params: Value,
}

/// A management lock known from the estate.
#[derive(Debug, Clone)]
pub struct KnownLock {
    pub id: String,
    pub scope: String,
    pub level: String,
}

/// An estate resource no unit stands for (the plan keeps it, or it lies
/// below a unit) whose body names units' sources.
#[derive(Debug, Clone)]
pub struct EstateUser {
    pub id: ResourceId,
    /// The unit it lies below, if any: it stays when that unit's source
    /// stays; with none, the plan leaves it in place.
    pub below: Option<usize>,
    /// The units whose sources it names.
    pub uses: Vec<usize>,
}

/// Everything a run needs, loaded once.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub dir: PathBuf,
    pub target_region: String,
    pub units: Vec<Unit>,
    /// Target id → unit.
    pub index: IdIndex<usize>,
    /// Source id → unit (re-configured globals, whose source is their
    /// target, excluded).
    pub by_source: IdIndex<usize>,
    /// Estate resources no unit stands for that use a unit's source.
    pub estate_users: Vec<EstateUser>,
    /// Every source id the plan names: nothing else is ever deleted.
    pub planned_sources: IdIndex<()>,
    pub locks: Vec<KnownLock>,
    /// The plan's id map.
    pub id_map: IdMap,
    /// SHA-256 of plan.json and the manifest (a resumed run must use the
    /// same plan).
    pub digest: String,
    /// Topological order of the units (prerequisites first).
    pub order: Vec<usize>,
    /// What the loader noticed that does not stop a run (printed by
    /// `azrelo apply`). A generated template naming a source id of a moved
    /// resource is not one of them: that stops the load.
    pub warnings: Vec<String>,
}

/// What a run is built from: the plan directory's contents, read by
/// `azrelo_run::PlanDir` (the orchestrator reads no plan files itself).
#[derive(Debug, Clone)]
pub struct RunInputs {
    /// The plan directory: the journal and the event log live there.
    pub dir: PathBuf,
    pub plan: Plan,
    pub manifest: Manifest,
    /// Each deployment's files, by the manifest's template file name.
    pub templates: HashMap<String, TemplateFiles>,
    /// `estate.json` as JSON (`{}` when the directory has none).
    pub estate: Value,
    /// [`digest`] of `plan.json` and `manifest.json`.
    pub digest: String,
}

/// A generated deployment's two files.
#[derive(Debug, Clone)]
pub struct TemplateFiles {
    pub template: Value,
    /// The parameters file (`{}` when there is none).
    pub parameters: Value,
}

/// The digest a run is bound to: SHA-256 (first 16 bytes, hex) of the bytes
/// of `plan.json` and `manifest.json`, so a resumed run uses the same plan.
pub fn digest(plan_json: &[u8], manifest_json: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(plan_json);
    h.update(manifest_json);
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl RunPlan {
    /// The units of a run, their dependencies and gates, from the plan
    /// directory's contents (see the `build` module for each pass).
    pub fn build(inputs: RunInputs) -> Result<RunPlan, ModelError> {
        let RunInputs {
            dir,
            plan,
            manifest,
            templates: files,
            estate,
            digest,
        } = inputs;
        if plan.schema != azrelo_plan::SCHEMA {
            return Err(ModelError::Plan(format!(
                "plan.json is schema {}, this azrelo runs {}: its gates and actions are not in it; re-run `azrelo plan` (and `azrelo generate`)",
                plan.schema,
                azrelo_plan::SCHEMA
            )));
        }
        let l = build::Lookups::new(&plan, &estate);
        let mut pending = Vec::new();
        let mut seen = IdIndex::new();
        let mut warnings = Vec::new();
        build::template_units(
            &l,
            &manifest,
            &files,
            &dir.join("templates"),
            &mut seen,
            &mut pending,
        )?;
        build::plan_units(&l, &plan, &manifest, &mut seen, &mut pending);
        build::action_units(&plan, &mut seen, &mut pending)?;
        let index: IdIndex<usize> = pending
            .iter()
            .enumerate()
            .map(|(i, p)| (p.unit.target_id.clone(), i))
            .collect();
        build::attach_gates(&plan, &index, &mut pending, &mut warnings);
        build::link_dependencies(&index, &mut pending);
        build::link_actions(&plan, &index, &mut pending)?;
        let mut units: Vec<Unit> = pending.into_iter().map(|p| p.unit).collect();
        build::check_no_source_ids(&l, &units, &dir)?;
        let order = order::topo_order(&units)?;
        let by_source = build::link_source_refs(&l, &mut units);
        let estate_users = build::estate_users(&l, &units, &by_source);
        let planned_sources = build::planned_sources(&plan);
        let locks = build::known_locks(&estate);
        let id_map = l.id_map;
        Ok(RunPlan {
            dir,
            target_region: plan.target.region.to_string(),
            units,
            index,
            by_source,
            estate_users,
            planned_sources,
            locks,
            id_map,
            digest,
            order,
            warnings,
        })
    }

    /// Gates of the whole run (held by every unit), once each.
    pub fn shared_gates(&self) -> Vec<&Gate> {
        let mut seen = std::collections::HashSet::new();
        self.units
            .iter()
            .flat_map(|u| u.all_gates())
            .filter(|g| g.shared && seen.insert(g.id.to_ascii_lowercase()))
            .collect()
    }

    /// The unit whose key or target id is `s` (case-insensitive), or whose
    /// source id is.
    pub fn find(&self, s: &str) -> Option<usize> {
        self.index.get(s).or_else(|| self.by_source.get(s)).copied()
    }

    /// Rewrite every id inside `s` that names a moved resource (or lies
    /// below one: a subnet of a moved network) to its target id.
    pub fn repoint(&self, s: &str) -> String {
        self.id_map
            .rewrite(s)
            .map_or_else(|| s.to_string(), |(t, _)| t)
    }

    /// Dependents of each unit (reverse edges).
    pub fn dependents(&self) -> Vec<Vec<usize>> {
        let mut out = vec![Vec::new(); self.units.len()];
        for (i, u) in self.units.iter().enumerate() {
            for &d in &u.deps {
                out[d].push(i);
            }
        }
        out
    }

    /// Every gate of the run once: (gate, unit index, before the move?). A
    /// gate that holds several units (or the whole run) is listed with the
    /// first unit that holds it.
    pub fn gates(&self) -> Vec<(&Gate, usize, bool)> {
        let mut v = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, u) in self.units.iter().enumerate() {
            for g in u.all_gates() {
                if !seen.insert(g.id.to_ascii_lowercase()) {
                    continue;
                }
                v.push((g, i, g.stage == azrelo_plan::GateStage::Move));
            }
        }
        v
    }
}

/// Whether `id` is `scope` or lies below it ([`ResourceId::is_within`];
/// false when either is not a resource id).
pub fn within(id: &str, scope: &str) -> bool {
    match (ResourceId::parse(id), ResourceId::parse(scope)) {
        (Ok(id), Ok(scope)) => id.is_within(&scope),
        _ => false,
    }
}
