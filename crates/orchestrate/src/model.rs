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

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use azrelo_arm::id::ResourceId;
use azrelo_arm::vocab;
use azrelo_generate::Manifest;
use azrelo_plan::{Action, IdMap, Plan, StepKind, StepMode};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Errors reading a plan directory.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("{0}")]
    Plan(String),
}

/// How a unit is executed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
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
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Deploy => "deploy",
            UnitKind::DiskCopy => "disk-copy",
            UnitKind::Reconfigure => "reconfigure",
            UnitKind::Manual => "manual",
        }
    }
}

/// A manual step the operator closes with `azrelo gate done ID`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Gate {
    pub id: String,
    pub title: String,
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
    pub key: String,
    pub kind: UnitKind,
    pub resource_type: String,
    pub api_version: String,
    pub source_id: Option<String>,
    /// Region of the source (for the disk mover's source snapshot).
    pub source_location: Option<String>,
    pub target_id: String,
    pub target_name: String,
    pub wave: u32,
    pub action: String,
    pub strategy: String,
    /// Prerequisites (indexes into [`RunPlan::units`]).
    pub deps: Vec<usize>,
    /// Gates that must be closed before the move (e.g. a data copy azrelo
    /// does not automate).
    pub gates_before: Vec<Gate>,
    /// Gates after the move (final sync / cut-over).
    pub gates_after: Vec<Gate>,
    pub deploy: Option<DeploySpec>,
    /// For reconfigure: the estate body (source of the re-pointed PUT).
    pub estate_body: Option<Value>,
    /// Why it is not automated (manual units).
    pub note: Option<String>,
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
        self.gates_before.iter().chain(self.gates_after.iter())
    }
}

/// A management lock known from the estate.
#[derive(Debug, Clone)]
pub struct KnownLock {
    pub id: String,
    pub scope: String,
    pub level: String,
}

/// Everything a run needs, loaded once.
#[derive(Debug, Clone)]
pub struct RunPlan {
    pub dir: PathBuf,
    pub target_region: String,
    pub units: Vec<Unit>,
    /// Lower-cased target id → unit.
    pub index: HashMap<String, usize>,
    /// Lower-cased source id → unit.
    pub by_source: HashMap<String, usize>,
    /// Every source id the plan names (lower-cased): nothing else is ever
    /// deleted.
    pub planned_sources: HashSet<String>,
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

/// Sanitised as the generator names principal parameters
/// (`principalId_<last id segment>` with non-alphanumerics as `_`).
fn principal_param(identity: &str) -> String {
    let last = identity.rsplit('/').next().unwrap_or("identity");
    let s: String = last
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    format!("principalId_{s}")
}

/// The target id of a template resource deployed at `scope`.
pub fn template_resource_id(scope: &str, resource: &Value) -> Option<String> {
    let ty = resource.get("type")?.as_str()?;
    let name = resource.get("name")?.as_str()?;
    if vocab::is(ty, vocab::RESOURCE_GROUPS) {
        let sub = scope.split('/').nth(2)?;
        return Some(format!("/subscriptions/{sub}/resourceGroups/{name}"));
    }
    let base = resource
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or(scope);
    let mut segs = ty.split('/');
    let ns = segs.next()?;
    let types: Vec<&str> = segs.collect();
    let names: Vec<&str> = name.split('/').collect();
    if types.len() != names.len() || types.is_empty() {
        return None;
    }
    let mut id = format!("{}/providers/{ns}", base.trim_end_matches('/'));
    for (t, n) in types.iter().zip(names) {
        id.push('/');
        id.push_str(t);
        id.push('/');
        id.push_str(n);
    }
    Some(id)
}

/// `parameters('NAME')` references in a JSON text.
fn used_parameters(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut rest = 0;
    while let Some(i) = lower[rest..].find("parameters('") {
        let start = rest + i + "parameters('".len();
        if let Some(end) = text[start..].find('\'') {
            let n = text[start..start + end].to_string();
            if !out.contains(&n) {
                out.push(n);
            }
            rest = start + end;
        } else {
            break;
        }
    }
    out
}

/// Every prefix of `id` that ends on a segment boundary, longest first
/// (the id itself excluded): its parents, scopes, group and subscription.
fn ancestors(id: &str) -> impl Iterator<Item = &str> {
    id.char_indices()
        .filter(|(_, c)| *c == '/')
        .map(move |(i, _)| &id[..i])
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
}

/// Ancestors that are resources (a parent or an extension's scope), not
/// groups or subscriptions: a resource in a moved group does not move with
/// it unless the plan says so.
fn resource_ancestors(id: &str) -> impl Iterator<Item = &str> {
    ancestors(id).filter(|a| {
        a.rsplit_once("/providers/")
            .is_some_and(|(_, rest)| rest.matches('/').count() >= 2)
    })
}

fn deployment_name(wave: u32, target_name: &str, target_id: &str) -> String {
    let h = Sha256::digest(target_id.to_ascii_lowercase().as_bytes());
    let hex: String = h[..4].iter().map(|b| format!("{b:02x}")).collect();
    let short: String = target_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    format!("azrelo-w{wave:02}-{short}-{hex}")
}

struct PendingUnit {
    unit: Unit,
    /// Lower-cased ids the unit mentions (dependency candidates).
    refs: Vec<String>,
    /// Lower-cased ids of the same template (`dependsOn` + ancestors).
    same_template_refs: Vec<String>,
    template: Option<String>,
}

impl RunPlan {
    /// The units of a run, their dependencies and gates, from the plan
    /// directory's contents.
    pub fn build(inputs: RunInputs) -> Result<RunPlan, ModelError> {
        let RunInputs {
            dir,
            plan,
            manifest,
            templates: files,
            estate,
            digest,
        } = inputs;
        let dir = dir.as_path();
        let tdir = dir.join("templates");

        // Plan lookups.
        let by_target: HashMap<String, &azrelo_plan::PlannedResource> = plan
            .resources
            .iter()
            .map(|r| (r.target_id.to_ascii_lowercase(), r))
            .collect();
        let by_source_plan: HashMap<String, &azrelo_plan::PlannedResource> = plan
            .resources
            .iter()
            .map(|r| (r.source_id.to_ascii_lowercase(), r))
            .collect();
        let ra_by_target: HashMap<String, &azrelo_plan::RoleAssignmentPlan> = plan
            .role_assignments
            .iter()
            .map(|ra| {
                (
                    vocab::provider_id(&ra.target_scope, vocab::ROLE_ASSIGNMENTS, &ra.target_name)
                        .to_ascii_lowercase(),
                    ra,
                )
            })
            .collect();
        let id_map = IdMap::of(&plan);
        let estate_bodies: HashMap<String, &Value> = estate
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| Some((r.get("id")?.as_str()?.to_ascii_lowercase(), r)))
            .collect();

        // Extension records (diagnostic settings, locks, exemptions, role
        // assignments) keep their references at the top level; their own
        // id and scope are not references.
        let extension_records: HashMap<String, Value> = [
            "diagnosticSettings",
            "locks",
            "policyExemptions",
            "roleAssignments",
        ]
        .iter()
        .flat_map(|list| {
            estate
                .get(*list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .filter_map(|r| {
            let id = r.get("id")?.as_str()?.to_ascii_lowercase();
            let mut m = r.as_object()?.clone();
            for k in ["id", "scope", "resourceId", "provenance"] {
                m.remove(k);
            }
            Some((id, Value::Object(m)))
        })
        .collect();
        let mut pending: Vec<PendingUnit> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();

        // 1. One unit per generated template resource.
        for d in &manifest.deployments {
            let tpath = tdir.join(&d.template_file);
            let Some(TemplateFiles {
                template,
                parameters: params_file,
            }) = files.get(&d.template_file)
            else {
                return Err(ModelError::File {
                    path: tpath,
                    message: "listed in manifest.json but not read".into(),
                });
            };
            let (scope, location) = (d.scope.id(), d.scope.location().map(str::to_string));
            let decls = template
                .get("parameters")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let values = params_file
                .get("parameters")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let schema = template
                .get("$schema")
                .and_then(Value::as_str)
                .unwrap_or("https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#")
                .to_string();
            let resources = template
                .get("resources")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for res in resources {
                let Some(target_id) = template_resource_id(&scope, &res) else {
                    return Err(ModelError::Plan(format!(
                        "{}: a resource without a usable type/name: {}",
                        tpath.display(),
                        res
                    )));
                };
                let lower = target_id.to_ascii_lowercase();
                if !seen.insert(lower.clone()) {
                    return Err(ModelError::Plan(format!(
                        "{target_id} is generated twice ({})",
                        tpath.display()
                    )));
                }
                let text = res.to_string();
                let mut refs: Vec<String> = azrelo_arm::scan::find_resource_ids(&text)
                    .map(|m| m.text.to_ascii_lowercase())
                    .collect();
                let same_template_refs: Vec<String> = res
                    .get("dependsOn")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_ascii_lowercase))
                    .collect();
                let planned = by_target.get(&lower).copied();
                let ra = ra_by_target.get(&lower).copied();
                let ty = res["type"].as_str().unwrap_or_default().to_string();
                let api = res["apiVersion"].as_str().unwrap_or_default().to_string();
                let used = used_parameters(&text);
                let mut param_decls = Map::new();
                let mut param_values = Map::new();
                let mut secure = Vec::new();
                let mut principal_params = Vec::new();
                let principal_of = ra.and_then(|ra| match &ra.target_principal {
                    azrelo_plan::TargetPrincipal::NewPrincipalOf { identity } => {
                        Some(identity.to_string())
                    }
                    _ => None,
                });
                for p in &used {
                    let Some(decl) = decls.get(p) else { continue };
                    param_decls.insert(p.clone(), decl.clone());
                    if let Some(identity) = principal_of
                        .as_ref()
                        .filter(|i| principal_param(i).eq_ignore_ascii_case(p))
                    {
                        principal_params.push((p.clone(), identity.clone()));
                        refs.push(identity.to_ascii_lowercase());
                        continue;
                    }
                    if let Some(v) = values.get(p) {
                        param_values.insert(p.clone(), v.clone());
                        continue;
                    }
                    let ty = decl.get("type").and_then(Value::as_str).unwrap_or("");
                    let has_default = decl.get("defaultValue").is_some();
                    if ty.eq_ignore_ascii_case("secureString")
                        || ty.eq_ignore_ascii_case("secureObject")
                        || !has_default
                    {
                        secure.push(p.clone());
                    }
                }
                let mut resource = res.clone();
                if let Some(m) = resource.as_object_mut() {
                    m.remove("dependsOn");
                }
                let (source_id, wave, action, strategy, target_name) = match (planned, ra) {
                    (Some(p), _) => (
                        Some(p.source_id.to_string()),
                        p.wave,
                        p.action.as_str().to_string(),
                        p.strategy.as_str().to_string(),
                        p.target_name.to_string(),
                    ),
                    (None, Some(ra)) => (
                        Some(ra.source_id.to_string()),
                        ra.wave,
                        "recreate".into(),
                        "role-assignment".into(),
                        ra.target_name.to_string(),
                    ),
                    (None, None) => (
                        None,
                        d.wave,
                        "move".into(),
                        "redeploy".into(),
                        res["name"].as_str().unwrap_or_default().to_string(),
                    ),
                };
                let disk_copy = planned.is_some_and(|p| {
                    p.data_mover.as_deref() == Some("disk-snapshot-copy")
                        && vocab::is(&ty, vocab::DISKS)
                        && p.steps.iter().any(|s| {
                            s.kind == StepKind::StartDataCopy && s.mode == StepMode::Automated
                        })
                });
                let name = deployment_name(d.wave, &target_name, &target_id);
                pending.push(PendingUnit {
                    unit: Unit {
                        key: target_id.clone(),
                        kind: if disk_copy {
                            UnitKind::DiskCopy
                        } else {
                            UnitKind::Deploy
                        },
                        resource_type: ty,
                        api_version: api,
                        source_id,
                        source_location: planned
                            .and_then(|p| p.location.as_deref().map(str::to_string)),
                        target_id,
                        target_name,
                        wave,
                        action,
                        strategy,
                        deps: Vec::new(),
                        gates_before: Vec::new(),
                        gates_after: Vec::new(),
                        deploy: Some(DeploySpec {
                            scope: scope.clone(),
                            location: location.clone(),
                            name,
                            template_file: d.template_file.clone(),
                            schema: schema.clone(),
                            resource,
                            param_decls,
                            param_values,
                            secure_params: secure,
                            principal_params,
                            variables: template.get("variables").cloned(),
                        }),
                        estate_body: None,
                        note: None,
                        source_refs: Vec::new(),
                    },
                    refs,
                    same_template_refs,
                    template: Some(d.template_file.clone()),
                });
            }
        }

        // 2. Re-configured globals and resources nothing generates.
        let skipped: HashMap<String, String> = manifest
            .skipped
            .iter()
            .map(|s| (s.resource.to_ascii_lowercase(), s.reason.clone()))
            .collect();
        for p in &plan.resources {
            let lower = p.target_id.to_ascii_lowercase();
            if seen.contains(&lower) {
                continue;
            }
            let (kind, note) = match p.action {
                Action::Reconfigure => (UnitKind::Reconfigure, None),
                Action::Keep => continue,
                Action::Manual => (
                    UnitKind::Manual,
                    Some("the plan marks this resource manual".to_string()),
                ),
                Action::Move | Action::Recreate => {
                    if let Some(reason) = skipped.get(&p.source_id.to_ascii_lowercase()) {
                        (UnitKind::Manual, Some(reason.clone()))
                    } else if p.carried_by.is_some() {
                        // Written inline in its parent (a subnet, a rule).
                        continue;
                    } else {
                        (
                            UnitKind::Manual,
                            Some("no template was generated for it".to_string()),
                        )
                    }
                }
            };
            seen.insert(lower);
            let estate_body = estate_bodies
                .get(&p.source_id.to_ascii_lowercase())
                .map(|v| (*v).clone());
            let mut refs = Vec::new();
            if let Some(b) = &estate_body {
                let text = b
                    .get("properties")
                    .map(Value::to_string)
                    .unwrap_or_default();
                for m in azrelo_arm::scan::find_resource_ids(&text) {
                    // Through the id map (or an ancestor's mapping).
                    let mapped = id_map.map(m.text).map(|m| m.target);
                    refs.push(
                        mapped
                            .unwrap_or_else(|| m.text.to_string())
                            .to_ascii_lowercase(),
                    );
                }
            }
            let api = azrelo_arm::Availability::embedded()
                .type_info_or_parent(&p.resource_type)
                .and_then(|(t, _)| {
                    t.newest_stable_api_version()
                        .or_else(|| t.newest_api_version())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| "2022-09-01".to_string());
            pending.push(PendingUnit {
                unit: Unit {
                    key: p.target_id.to_string(),
                    kind,
                    resource_type: p.resource_type.to_string(),
                    api_version: api,
                    source_id: Some(p.source_id.to_string()),
                    source_location: p.location.as_deref().map(str::to_string),
                    target_id: p.target_id.to_string(),
                    target_name: p.target_name.to_string(),
                    wave: p.wave,
                    action: p.action.as_str().to_string(),
                    strategy: p.strategy.as_str().to_string(),
                    deps: Vec::new(),
                    gates_before: Vec::new(),
                    gates_after: Vec::new(),
                    deploy: None,
                    estate_body,
                    note,
                    source_refs: Vec::new(),
                },
                refs,
                same_template_refs: Vec::new(),
                template: None,
            });
        }

        let index: HashMap<String, usize> = pending
            .iter()
            .enumerate()
            .map(|(i, p)| (p.unit.target_id.to_ascii_lowercase(), i))
            .collect();

        // 3. Gates from the plan's manual steps (delete-source is the
        // operator's `cleanup-source --confirm`).
        let mut gate_ids: HashSet<String> = HashSet::new();
        for p in &plan.resources {
            let owner = index
                .get(&p.target_id.to_ascii_lowercase())
                .copied()
                .or_else(|| {
                    let carrier = p.carried_by.as_ref()?;
                    let c = by_source_plan.get(&carrier.to_ascii_lowercase())?;
                    index.get(&c.target_id.to_ascii_lowercase()).copied()
                });
            let Some(owner) = owner else { continue };
            let unit_kind = pending[owner].unit.kind;
            for s in p.steps.iter() {
                let before = match s.kind {
                    StepKind::StartDataCopy | StepKind::ExportConfiguration => true,
                    // A disk's final sync is its last incremental copy, taken
                    // after the operator stopped the source: before the move.
                    StepKind::FinalSync => unit_kind == UnitKind::DiskCopy,
                    StepKind::ManualRelocation => false,
                    _ => continue,
                };
                let automated = s.mode == StepMode::Automated;
                let title = match (s.kind, automated) {
                    (StepKind::StartDataCopy, true) if unit_kind == UnitKind::DiskCopy => continue,
                    (StepKind::StartDataCopy, true) => format!(
                        "copy the data of {} ({}): azrelo does not automate this data mover; run it, then close the gate",
                        p.name,
                        p.data_mover.as_deref().unwrap_or("data mover")
                    ),
                    (_, true) => continue,
                    (k, false) => {
                        let what = serde_json::to_value(k)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default();
                        if s.detail.is_empty() {
                            format!("{what} of {}", p.name)
                        } else {
                            format!("{what} of {}: {}", p.name, s.detail)
                        }
                    }
                };
                let kind = serde_json::to_value(s.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "gate".into());
                let base = format!("{kind}:{}", p.target_name);
                let mut id = base.clone();
                let mut n = 2;
                while !gate_ids.insert(id.to_ascii_lowercase()) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                let g = Gate { id, title };
                if before {
                    pending[owner].unit.gates_before.push(g);
                } else {
                    pending[owner].unit.gates_after.push(g);
                }
            }
        }
        for p in pending.iter_mut() {
            if p.unit.kind == UnitKind::Manual && p.unit.gates_after.is_empty() {
                let base = format!("manual:{}", p.unit.target_name);
                let mut id = base.clone();
                let mut n = 2;
                while !gate_ids.insert(id.to_ascii_lowercase()) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                p.unit.gates_after.push(Gate {
                    id,
                    title: format!(
                        "relocate {} yourself ({}), then close the gate",
                        p.unit.target_name,
                        p.unit.note.as_deref().unwrap_or("not automated")
                    ),
                });
            }
        }

        // 4. Dependencies, kept only where the wave order allows them.
        let waves: Vec<u32> = pending.iter().map(|p| p.unit.wave).collect();
        let templates: Vec<Option<String>> = pending.iter().map(|p| p.template.clone()).collect();
        for (i, p) in pending.iter_mut().enumerate() {
            let own = p.unit.target_id.to_ascii_lowercase();
            let mut deps: Vec<usize> = Vec::new();
            let consider = |cand: &str, same_template_ok: bool, deps: &mut Vec<usize>| {
                let hit = std::iter::once(cand)
                    .chain(ancestors(cand))
                    .find_map(|c| index.get(c).copied());
                if let Some(j) = hit
                    && j != i
                {
                    let same = templates[i].is_some() && templates[i] == templates[j];
                    if waves[j] < waves[i] || (same && same_template_ok) {
                        deps.push(j);
                    }
                }
            };
            for a in ancestors(&own) {
                consider(a, true, &mut deps);
            }
            for r in &p.same_template_refs {
                consider(r, true, &mut deps);
            }
            for r in &p.refs {
                consider(r, false, &mut deps);
            }
            deps.sort_unstable();
            deps.dedup();
            p.unit.deps = deps;
        }

        let mut units: Vec<Unit> = pending.into_iter().map(|p| p.unit).collect();
        // Invariant 6: a generated body names no source id of a moved
        // resource nor of anything below one (the generator re-points a
        // NIC's own ipConfiguration ids, a load balancer's pools, … through
        // the moved ancestor). Templates that still do were not written by
        // this generator (an older azrelo, a hand edit): deploying them
        // would reference the source region, so the run stops here instead
        // of guessing.
        for u in &units {
            let Some(d) = u.deploy.as_ref() else { continue };
            let text = d.resource.to_string();
            if let Some(id) = id_map.first_source_in(&text) {
                return Err(ModelError::Plan(format!(
                    "{} ({}) refers to {id}, a source id of a moved resource or of a part of one; \
                     regenerate the templates with `azrelo generate {}` (it re-points such ids to the targets)",
                    u.key,
                    d.template_file,
                    dir.display()
                )));
            }
        }
        let warnings = Vec::new();
        let order = topo_order(&units)?;
        let by_source: HashMap<String, usize> = units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.kind != UnitKind::Reconfigure)
            .filter_map(|(i, u)| Some((u.source_id.as_ref()?.to_ascii_lowercase(), i)))
            .collect();
        for (i, unit) in units.iter_mut().enumerate() {
            let Some(src) = unit.source_id.as_ref().map(|s| s.to_ascii_lowercase()) else {
                continue;
            };
            // Its parent or scope (deleting it would take the child along),
            // and every resource its source body refers to.
            let mut refs: Vec<usize> = resource_ancestors(&src)
                .filter_map(|a| by_source.get(a).copied())
                .collect();
            let text = if let Some(body) = estate_bodies.get(&src) {
                body.get("properties").map(Value::to_string)
            } else {
                extension_records.get(&src).map(Value::to_string)
            };
            if let Some(text) = text {
                refs.extend(azrelo_arm::scan::find_resource_ids(&text).filter_map(|m| {
                    let l = m.text.to_ascii_lowercase();
                    std::iter::once(l.as_str())
                        .chain(resource_ancestors(&l))
                        .find_map(|c| by_source.get(c).copied())
                }));
            }
            refs.retain(|&j| j != i);
            refs.sort_unstable();
            refs.dedup();
            unit.source_refs = refs;
        }
        let mut planned_sources: HashSet<String> = plan
            .resources
            .iter()
            .map(|r| r.source_id.to_ascii_lowercase())
            .collect();
        planned_sources.extend(
            plan.role_assignments
                .iter()
                .map(|r| r.source_id.to_ascii_lowercase()),
        );
        let locks = estate
            .get("locks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|l| {
                Some(KnownLock {
                    id: l.get("id")?.as_str()?.to_string(),
                    scope: l.get("scope")?.as_str()?.to_string(),
                    level: l.get("level")?.as_str()?.to_string(),
                })
            })
            .collect();
        Ok(RunPlan {
            dir: dir.to_path_buf(),
            target_region: plan.target.region.to_string(),
            units,
            index,
            by_source,
            planned_sources,
            locks,
            id_map,
            digest,
            order,
            warnings,
        })
    }

    /// The unit whose key or target id is `s` (case-insensitive), or whose
    /// source id is.
    pub fn find(&self, s: &str) -> Option<usize> {
        let l = s.to_ascii_lowercase();
        self.index
            .get(&l)
            .or_else(|| self.by_source.get(&l))
            .copied()
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

    /// Every gate of the run: (gate, unit index, before the move?).
    pub fn gates(&self) -> Vec<(&Gate, usize, bool)> {
        let mut v = Vec::new();
        for (i, u) in self.units.iter().enumerate() {
            v.extend(u.gates_before.iter().map(|g| (g, i, true)));
            v.extend(u.gates_after.iter().map(|g| (g, i, false)));
        }
        v
    }
}

fn topo_order(units: &[Unit]) -> Result<Vec<usize>, ModelError> {
    let mut indeg: Vec<usize> = units.iter().map(|u| u.deps.len()).collect();
    let mut rev = vec![Vec::new(); units.len()];
    for (i, u) in units.iter().enumerate() {
        for &d in &u.deps {
            rev[d].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<(u32, usize)> = indeg
        .iter()
        .enumerate()
        .filter(|(_, d)| **d == 0)
        .map(|(i, _)| (units[i].wave, i))
        .collect();
    let mut order = Vec::with_capacity(units.len());
    while let Some(first) = ready.iter().next().copied() {
        ready.remove(&first);
        let i = first.1;
        order.push(i);
        for &j in &rev[i] {
            indeg[j] -= 1;
            if indeg[j] == 0 {
                ready.insert((units[j].wave, j));
            }
        }
    }
    if order.len() != units.len() {
        let stuck: Vec<&str> = units
            .iter()
            .enumerate()
            .filter(|(i, _)| !order.contains(i))
            .map(|(_, u)| u.key.as_str())
            .take(5)
            .collect();
        return Err(ModelError::Plan(format!(
            "the resources' dependencies form a cycle (among {}); re-run `azrelo plan`",
            stuck.join(", ")
        )));
    }
    Ok(order)
}

/// Whether `id` is `scope` or inside it (segment boundary, case-insensitive).
pub fn within(id: &str, scope: &str) -> bool {
    let (a, b) = (id.to_ascii_lowercase(), scope.to_ascii_lowercase());
    let b = b.trim_end_matches('/');
    a == b || a.starts_with(&format!("{b}/"))
}

/// Parse-check helper used by callers that need a typed id.
pub fn parse_id(s: &str) -> Option<ResourceId> {
    ResourceId::parse(s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn template_ids_for_children_extensions_and_groups() {
        let rg = "/subscriptions/s/resourceGroups/rg";
        assert_eq!(
            template_resource_id(
                rg,
                &json!({"type": "Microsoft.Network/privateEndpoints/privateDnsZoneGroups", "name": "pe/default"})
            )
            .unwrap(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/privateEndpoints/pe/privateDnsZoneGroups/default"
        );
        assert_eq!(
            template_resource_id(
                "/subscriptions/s",
                &json!({"type": "Microsoft.Resources/resourceGroups", "name": "g"})
            )
            .unwrap(),
            "/subscriptions/s/resourceGroups/g"
        );
        assert_eq!(
            template_resource_id(
                rg,
                &json!({"type": "Microsoft.Authorization/locks", "name": "l", "scope": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"})
            )
            .unwrap(),
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv/providers/Microsoft.Authorization/locks/l"
        );
        assert!(template_resource_id(rg, &json!({"type": "A.B/c/d", "name": "x"})).is_none());
    }

    #[test]
    fn parameters_and_ancestors() {
        assert_eq!(
            used_parameters("[parameters('a')] x [Parameters('b')] [parameters('a')]"),
            ["a", "b"]
        );
        let a: Vec<&str> = ancestors("/subscriptions/s/resourceGroups/rg").collect();
        assert_eq!(
            a,
            [
                "/subscriptions/s/resourceGroups",
                "/subscriptions/s",
                "/subscriptions"
            ]
        );
        assert_eq!(principal_param("/x/id-shop-app"), "principalId_id_shop_app");
        assert!(within("/A/b/C", "/a/B"));
        assert!(!within("/a/bc", "/a/b"));
        let n = deployment_name(3, "vm/with.dots", "/x");
        assert!(
            n.len() <= 64 && n.starts_with("azrelo-w03-vm-with-dots-"),
            "{n}"
        );
    }
}
