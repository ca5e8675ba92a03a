//! Building a run from a plan directory's contents, pass by pass: units
//! from the generated templates, units for re-configured and manual
//! resources, units for the plan's actions, the plan's gates on the units
//! they hold, dependencies kept where the wave order allows them plus the
//! order the plan gives each action, the templates checked for source ids,
//! source references (what a kept source still uses) and known locks.

use std::collections::HashSet;

use azrelo_arm::IdIndex;
use azrelo_arm::id::ResourceId;
use azrelo_arm::vocab;
use azrelo_plan::{Action, IdMap, Plan, PlannedResource, RoleAssignmentPlan, Strategy};
use serde_json::{Map, Value};

use super::template::{deployment_name, template_resource_id, used_parameters};
use super::*;

pub(super) struct PendingUnit {
    pub(super) unit: Unit,
    /// Ids the unit mentions (dependency candidates).
    pub(super) refs: Vec<String>,
    /// Ids of the same template (`dependsOn`).
    pub(super) same_template_refs: Vec<String>,
    pub(super) template: Option<String>,
}

/// Lookups over the plan and the estate, built once.
pub(super) struct Lookups<'a> {
    pub by_target: IdIndex<&'a PlannedResource>,
    pub ra_by_target: IdIndex<&'a RoleAssignmentPlan>,
    pub id_map: IdMap,
    pub estate_bodies: IdIndex<&'a Value>,
    /// Extension records (diagnostic settings, locks, exemptions, role
    /// assignments) with their own id and scope removed: the rest are
    /// references.
    pub extension_records: IdIndex<Value>,
}

fn parsed<T>(id: &str, v: T) -> Option<(ResourceId, T)> {
    Some((ResourceId::parse(id).ok()?, v))
}

impl<'a> Lookups<'a> {
    pub(super) fn new(plan: &'a Plan, estate: &'a Value) -> Lookups<'a> {
        let by_target = plan
            .resources
            .iter()
            .map(|r| (r.target_id.clone(), r))
            .collect();
        let ra_by_target = plan
            .role_assignments
            .iter()
            .filter_map(|ra| {
                parsed(
                    &vocab::provider_id(&ra.target_scope, vocab::ROLE_ASSIGNMENTS, &ra.target_name),
                    ra,
                )
            })
            .collect();
        let estate_bodies = estate
            .get("resources")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| parsed(r.get("id")?.as_str()?, r))
            .collect();
        let extension_records = [
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
            let mut m = r.as_object()?.clone();
            for k in ["id", "scope", "resourceId", "provenance"] {
                m.remove(k);
            }
            parsed(r.get("id")?.as_str()?, Value::Object(m))
        })
        .collect();
        Lookups {
            by_target,
            ra_by_target,
            id_map: IdMap::of(plan),
            estate_bodies,
            extension_records,
        }
    }
}

/// Pass 1: One unit per generated template resource.
pub(super) fn template_units(
    l: &Lookups<'_>,
    manifest: &azrelo_generate::Manifest,
    files: &HashMap<String, TemplateFiles>,
    tdir: &std::path::Path,
    seen: &mut IdIndex<()>,
    pending: &mut Vec<PendingUnit>,
) -> Result<(), ModelError> {
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
            .unwrap_or(
                "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            )
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
            let Ok(parsed_target) = ResourceId::parse(&target_id) else {
                return Err(ModelError::Plan(format!(
                    "{}: {target_id} is not a valid resource id",
                    tpath.display()
                )));
            };
            if seen.insert(parsed_target.clone(), ()).is_some() {
                return Err(ModelError::Plan(format!(
                    "{target_id} is generated twice ({})",
                    tpath.display()
                )));
            }
            let text = res.to_string();
            let mut refs: Vec<String> = azrelo_arm::scan::find_resource_ids(&text)
                .map(|m| m.text.to_string())
                .collect();
            let same_template_refs: Vec<String> = res
                .get("dependsOn")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            let planned = l.by_target.get(&target_id).copied();
            let ra = l.ra_by_target.get(&target_id).copied();
            let ty = res["type"].as_str().unwrap_or_default().to_string();
            let api = res["apiVersion"].as_str().unwrap_or_default().to_string();
            let used = used_parameters(&text);
            let mut param_decls = Map::new();
            let mut param_values = Map::new();
            let mut secure = Vec::new();
            let mut principal_params = Vec::new();
            let mut read_params = Vec::new();
            for p in &used {
                let Some(decl) = decls.get(p) else { continue };
                param_decls.insert(p.clone(), decl.clone());
                // Parameters azrelo fills: what the manifest records for
                // them, never a guess from their names.
                if let Some(run) = d
                    .run_parameters
                    .iter()
                    .find(|r| r.name.eq_ignore_ascii_case(p))
                {
                    match &run.value {
                        azrelo_generate::RunValue::PrincipalId { identity } => {
                            principal_params.push((p.clone(), identity.clone()));
                            refs.push(identity.clone());
                        }
                    }
                    continue;
                }
                if let Some(from) = decl
                    .pointer("/metadata/azrelo/readFrom")
                    .and_then(Value::as_str)
                    && let Some(path) = decl
                        .pointer("/metadata/azrelo/path")
                        .and_then(Value::as_str)
                {
                    read_params.push((p.clone(), from.to_string(), path.to_string()));
                    refs.push(from.to_string());
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
                    Some(p.source_id.clone()),
                    p.wave,
                    p.action,
                    Some(p.strategy),
                    p.target_name.to_string(),
                ),
                (None, Some(ra)) => (
                    ResourceId::parse(&ra.source_id).ok(),
                    ra.wave,
                    Action::Recreate,
                    None,
                    ra.target_name.to_string(),
                ),
                (None, None) => (
                    None,
                    d.wave,
                    Action::Move,
                    Some(Strategy::Redeploy),
                    res["name"].as_str().unwrap_or_default().to_string(),
                ),
            };
            // One rule, the plan's: its gates are derived from the same answer.
            let disk_copy = planned.is_some_and(|p| {
                azrelo_plan::gates::is_disk_copy(p, azrelo_catalog::Catalog::embedded())
            });
            let name = deployment_name(d.wave, &target_name, &target_id);
            let target_id = parsed_target;
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
                    gates_cleanup: Vec::new(),
                    procedure: None,
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
                        read_params,
                        variables: template.get("variables").cloned(),
                    }),
                    estate_body: None,
                    note: None,
                    owned: None,
                    source_refs: Vec::new(),
                },
                refs,
                same_template_refs,
                template: Some(d.template_file.clone()),
            });
        }
    }
    Ok(())
}

/// Pass 2: Re-configured globals and resources nothing generates.
pub(super) fn plan_units(
    l: &Lookups<'_>,
    plan: &Plan,
    manifest: &azrelo_generate::Manifest,
    seen: &mut IdIndex<()>,
    pending: &mut Vec<PendingUnit>,
) {
    let skipped: IdIndex<&str> = manifest
        .skipped
        .iter()
        .filter_map(|s| parsed(&s.resource, s.reason.as_str()))
        .collect();
    // Resources an action of the plan relocates (a backup item re-protected
    // by its executor) are no unit of their own.
    let replaced: IdIndex<()> = plan
        .actions
        .iter()
        .flat_map(|a| a.replaces.iter().cloned())
        .map(|id| (id, ()))
        .collect();
    for p in &plan.resources {
        let target = p.target_id.clone();
        if seen.contains(target.as_str()) || replaced.contains(p.source_id.as_str()) {
            continue;
        }
        let (kind, note) = match p.action {
            Action::Reconfigure => (UnitKind::Reconfigure, None),
            Action::Keep => continue,
            // Created by its owner's move: located and verified after it.
            Action::Owned => (UnitKind::Owned, None),
            Action::Manual => (
                UnitKind::Manual,
                Some("the plan marks this resource manual".to_string()),
            ),
            Action::Move | Action::Recreate => {
                if let Some(reason) = skipped.get(&p.source_id) {
                    (UnitKind::Manual, Some(reason.to_string()))
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
        seen.insert(target, ());
        let owned = (kind == UnitKind::Owned).then(|| {
            let w = p.ownership.as_ref();
            OwnedSpec {
                relation: w
                    .map(|w| w.relation)
                    .unwrap_or(azrelo_plan::Relation::CreatedByOwner),
                service: w.map(|w| w.service.to_string()).unwrap_or_default(),
                owner_target: w.and_then(|w| w.owner_target.clone()),
                target: w
                    .map(|w| w.target.clone())
                    .unwrap_or(azrelo_plan::OwnedTargetPlan::Known),
                source_name: p.name.to_string(),
            }
        });
        let estate_body = if kind == UnitKind::Owned {
            None
        } else {
            l.estate_bodies.get(&p.source_id).map(|v| (*v).clone())
        };
        let mut refs = Vec::new();
        // An owned resource exists once its owner moved (and, in a managed
        // group, once that group is found).
        if let Some(o) = &owned {
            refs.extend(o.owner_target.iter().map(ToString::to_string));
            if let azrelo_plan::OwnedTargetPlan::InOwnedGroup { group } = &o.target {
                refs.push(group.to_string());
            }
        }
        // What it names: a resource's properties, or an extension record
        // (a diagnostic setting on a re-configured global names the
        // workspace it sends to, which must exist in the target first).
        let text = match &estate_body {
            Some(b) => b.get("properties").map(Value::to_string),
            None if kind != UnitKind::Owned => {
                l.extension_records.get(&p.source_id).map(Value::to_string)
            }
            None => None,
        };
        if let Some(text) = text {
            for m in azrelo_arm::scan::find_resource_ids(&text) {
                // Through the id map (or an ancestor's mapping).
                let mapped = l.id_map.map(m.text).map(|m| m.target);
                refs.push(mapped.unwrap_or_else(|| m.text.to_string()));
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
                key: p.target_id.clone(),
                kind,
                resource_type: p.resource_type.to_string(),
                api_version: api,
                source_id: Some(p.source_id.clone()),
                source_location: p.location.as_deref().map(str::to_string),
                target_id: p.target_id.clone(),
                target_name: p.target_name.to_string(),
                wave: p.wave,
                action: p.action,
                strategy: Some(p.strategy),
                deps: Vec::new(),
                gates_before: Vec::new(),
                gates_after: Vec::new(),
                gates_cleanup: Vec::new(),
                procedure: None,
                deploy: None,
                estate_body,
                note,
                owned,
                source_refs: Vec::new(),
            },
            refs,
            same_template_refs: Vec::new(),
            template: None,
        });
    }
}

/// Pass 3: The actions of the plan (`plan.json` `actions`) as units: each
/// performed by its executor, keyed by the action's key.
pub(super) fn action_units(
    plan: &Plan,
    seen: &mut IdIndex<()>,
    pending: &mut Vec<PendingUnit>,
) -> Result<(), ModelError> {
    for a in &plan.actions {
        let Some(executor) = Executor::from_id(&a.executor) else {
            return Err(ModelError::Plan(format!(
                "plan.json: action {} names executor '{}', which this azrelo does not run; re-plan with this version",
                a.key, a.executor
            )));
        };
        if seen.insert(a.key.clone(), ()).is_some() {
            return Err(ModelError::Plan(format!(
                "plan.json: action {} is listed twice",
                a.key
            )));
        }
        let ty = a
            .key
            .resource_type()
            .map(|t| t.as_str().to_string())
            .unwrap_or_else(|| executor.id().to_string());
        let target_name = a.key.name().unwrap_or(executor.id()).to_string();
        pending.push(PendingUnit {
            unit: Unit {
                key: a.key.clone(),
                kind: UnitKind::Action(executor),
                resource_type: ty,
                api_version: String::new(),
                source_id: None,
                source_location: None,
                target_id: a.key.clone(),
                target_name,
                wave: a.wave,
                action: if executor == Executor::RoleAssignments {
                    Action::Recreate
                } else {
                    Action::Move
                },
                strategy: None,
                deps: Vec::new(),
                gates_before: Vec::new(),
                gates_after: Vec::new(),
                gates_cleanup: Vec::new(),
                procedure: Some(Procedure {
                    executor,
                    title: a.title.clone(),
                    step: a.step.clone(),
                    params: a.params.clone(),
                }),
                deploy: None,
                owned: None,
                estate_body: None,
                note: None,
                source_refs: Vec::new(),
            },
            refs: Vec::new(),
            same_template_refs: Vec::new(),
            template: None,
        });
    }
    Ok(())
}

/// Pass 4: The plan's gates (`plan.json` `gates`) on the units they hold:
/// before the move, before the commit (after the move) or before the
/// source cleanup; a gate of the whole run on every unit. A manual unit
/// the plan gave no gate (it did not foresee it) gets one, and a warning.
pub(super) fn attach_gates(
    plan: &Plan,
    index: &IdIndex<usize>,
    pending: &mut [PendingUnit],
    warnings: &mut Vec<String>,
) {
    use azrelo_plan::GateStage;
    let mut gate_ids: HashSet<String> = HashSet::new();
    for g in &plan.gates {
        gate_ids.insert(g.id.to_ascii_lowercase());
        let mut owners: Vec<usize> = Vec::new();
        for u in &g.units {
            match index.get(u).copied() {
                Some(i) => owners.push(i),
                None => warnings.push(format!(
                    "gate {} holds {u}, which is no unit of this run",
                    g.id
                )),
            }
        }
        let shared = owners.is_empty();
        if shared && !g.units.is_empty() {
            warnings.push(format!(
                "gate {} holds none of this run's units: it holds the whole run instead",
                g.id
            ));
        }
        let gate = Gate {
            id: g.id.clone(),
            title: g.instruction.clone(),
            stage: g.stage,
            shared,
        };
        if shared {
            owners = (0..pending.len()).collect();
        }
        for i in owners {
            let u = &mut pending[i].unit;
            match g.stage {
                GateStage::Move => u.gates_before.push(gate.clone()),
                GateStage::Commit => u.gates_after.push(gate.clone()),
                GateStage::Cleanup => u.gates_cleanup.push(gate.clone()),
            }
        }
    }
    for p in pending.iter_mut() {
        let own = p.unit.all_gates().any(|g| !g.shared);
        if p.unit.kind == UnitKind::Manual && !own {
            let base = azrelo_plan::gates::gate_id("manual", Some(&p.unit.target_name));
            let mut id = base.clone();
            let mut n = 2;
            while !gate_ids.insert(id.to_ascii_lowercase()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            warnings.push(format!(
                "{} is relocated by hand ({}), but the plan has no gate for it: gate {id} was added; re-plan so plan.json lists it",
                p.unit.key,
                p.unit.note.as_deref().unwrap_or("not automated")
            ));
            p.unit.gates_after.push(Gate {
                id,
                title: format!(
                    "relocate {} yourself ({}), then close the gate",
                    p.unit.target_name,
                    p.unit.note.as_deref().unwrap_or("not automated")
                ),
                stage: GateStage::Commit,
                shared: false,
            });
        }
    }
}

/// Pass 6: The order the plan gives each action: it waits for the units
/// of its `after` and holds the units of its `before`.
pub(super) fn link_actions(
    plan: &Plan,
    index: &IdIndex<usize>,
    pending: &mut [PendingUnit],
) -> Result<(), ModelError> {
    for a in &plan.actions {
        let Some(&me) = index.get(&a.key) else {
            continue;
        };
        for (list, outgoing) in [(&a.after, false), (&a.before, true)] {
            for id in list.iter() {
                // The unit of the id, or of its nearest ancestor.
                let hit = std::iter::successors(Some(id.clone()), |c| c.parent())
                    .find_map(|c| index.get(c.as_str()).copied());
                let Some(j) = hit.filter(|&j| j != me) else {
                    continue;
                };
                if outgoing {
                    pending[j].unit.deps.push(me);
                } else {
                    pending[me].unit.deps.push(j);
                }
            }
        }
    }
    for p in pending.iter_mut() {
        p.unit.deps.sort_unstable();
        p.unit.deps.dedup();
    }
    // An action runs in a wave no earlier than what it waits for.
    let waves: Vec<u32> = pending.iter().map(|p| p.unit.wave).collect();
    for p in pending.iter_mut() {
        if matches!(p.unit.kind, UnitKind::Action(_))
            && let Some(w) = p.unit.deps.iter().map(|&d| waves[d]).max()
        {
            p.unit.wave = p.unit.wave.max(w);
        }
    }
    Ok(())
}

/// Pass 5: Dependencies, kept only where the wave order allows them.
pub(super) fn link_dependencies(index: &IdIndex<usize>, pending: &mut [PendingUnit]) {
    let waves: Vec<u32> = pending.iter().map(|p| p.unit.wave).collect();
    let templates: Vec<Option<String>> = pending.iter().map(|p| p.template.clone()).collect();
    for (i, p) in pending.iter_mut().enumerate() {
        let mut deps: Vec<usize> = Vec::new();
        // The unit of an id, or of its nearest ancestor that is a unit (a
        // subnet → its network; anything → its group).
        let consider = |cand: &ResourceId, same_template_ok: bool, deps: &mut Vec<usize>| {
            let hit = std::iter::successors(Some(cand.clone()), |c| c.parent())
                .find_map(|c| index.get(c.as_str()).copied());
            if let Some(j) = hit
                && j != i
            {
                let same = templates[i].is_some() && templates[i] == templates[j];
                if waves[j] < waves[i] || (same && same_template_ok) {
                    deps.push(j);
                }
            }
        };
        // Every ancestor that is a unit: parent, scope, group.
        for a in std::iter::successors(p.unit.target_id.parent(), |c| c.parent()) {
            consider(&a, true, &mut deps);
        }
        for r in p
            .same_template_refs
            .iter()
            .filter_map(|r| ResourceId::parse(r).ok())
        {
            consider(&r, true, &mut deps);
        }
        for r in p.refs.iter().filter_map(|r| ResourceId::parse(r).ok()) {
            consider(&r, false, &mut deps);
        }
        deps.sort_unstable();
        deps.dedup();
        p.unit.deps = deps;
    }
}

/// Invariant 6: a generated body names no source id of a moved resource
/// nor of anything below one (the generator re-points a NIC's own
/// ipConfiguration ids, a load balancer's pools, … through the moved
/// ancestor). Templates that still do were not written by this generator
/// (an older azrelo, a hand edit): deploying them would reference the
/// source region, so the run stops here instead of guessing.
pub(super) fn check_no_source_ids(
    l: &Lookups<'_>,
    units: &[Unit],
    dir: &std::path::Path,
) -> Result<(), ModelError> {
    for u in units {
        let Some(d) = u.deploy.as_ref() else { continue };
        let text = d.resource.to_string();
        if let Some(id) = l.id_map.first_source_in(&text) {
            return Err(ModelError::Plan(format!(
                "{} ({}) refers to {id}, a source id of a moved resource or of a part of one; \
                 regenerate the templates with `azrelo generate {}` (it re-points such ids to the targets)",
                u.key,
                d.template_file,
                dir.display()
            )));
        }
    }
    Ok(())
}

/// What each unit's source refers to (its parent or scope, and every
/// resource its source body names): a source that stays keeps these in
/// use. Returns the units by source id.
pub(super) fn link_source_refs(l: &Lookups<'_>, units: &mut [Unit]) -> IdIndex<usize> {
    let by_source: IdIndex<usize> = units
        .iter()
        .enumerate()
        .filter(|(_, u)| u.kind != UnitKind::Reconfigure)
        .filter_map(|(i, u)| Some((u.source_id.clone()?, i)))
        .collect();
    let within = |id: &ResourceId| by_source.get_within(id).map(|(_, &j)| j);
    for (i, unit) in units.iter_mut().enumerate() {
        let Some(src) = unit
            .source_id
            .as_ref()
            .map(ResourceId::as_str)
            .and_then(|s| ResourceId::parse(s).ok())
        else {
            continue;
        };
        // Its parent or scope (deleting it would take the child along),
        // and every resource its source body refers to.
        let mut refs: Vec<usize> = src
            .resource_ancestors()
            .filter_map(|a| by_source.get(a).copied())
            .collect();
        let text = match l.estate_bodies.get(src.as_str()) {
            Some(body) => body.get("properties").map(Value::to_string),
            None => l.extension_records.get(src.as_str()).map(Value::to_string),
        };
        if let Some(text) = text {
            refs.extend(azrelo_arm::scan::find_resource_ids(&text).filter_map(|m| within(&m.id())));
        }
        refs.retain(|&j| j != i);
        refs.sort_unstable();
        refs.dedup();
        unit.source_refs = refs;
    }
    by_source
}

/// Estate resources no unit stands for — resources the plan keeps, children
/// carried below a unit — that name a unit's source: each with the unit it
/// lies below (none when the plan keeps it), and the units its body names.
/// When it stays (its covering unit's source stays, or there is none), what
/// it names stays in use: ARM refuses to delete a VPN gateway a connection
/// uses, and a kept workspace would lose its key vault.
pub(super) fn estate_users(
    l: &Lookups<'_>,
    units: &[Unit],
    by_source: &IdIndex<usize>,
) -> Vec<EstateUser> {
    // Re-configured resources (and what lies below them) are re-pointed at
    // the targets: they no longer use the sources.
    let reconfigured: IdIndex<()> = units
        .iter()
        .filter(|u| u.kind == UnitKind::Reconfigure)
        .filter_map(|u| Some((u.source_id.clone()?, ())))
        .collect();
    let mut out = Vec::new();
    for (id, body) in l.estate_bodies.iter() {
        if by_source.contains(id) || reconfigured.contains_within(id) {
            continue;
        }
        let below = by_source.get_within(id).map(|(_, &j)| j);
        let Some(text) = body.get("properties").map(Value::to_string) else {
            continue;
        };
        let mut uses: Vec<usize> = azrelo_arm::scan::find_resource_ids(&text)
            .filter_map(|m| by_source.get_within(&m.id()).map(|(_, &j)| j))
            .filter(|&j| Some(j) != below)
            .collect();
        uses.sort_unstable();
        uses.dedup();
        if !uses.is_empty() {
            out.push(EstateUser {
                id: id.clone(),
                below,
                uses,
            });
        }
    }
    out.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    out
}

/// Every source id the plan names (resources and role assignments):
/// nothing else is ever deleted.
pub(super) fn planned_sources(plan: &Plan) -> IdIndex<()> {
    plan.resources
        .iter()
        .map(|r| r.source_id.as_str())
        .chain(plan.role_assignments.iter().map(|r| r.source_id.as_str()))
        .filter_map(|s| parsed(s, ()))
        .collect()
}

/// The management locks the estate records.
pub(super) fn known_locks(estate: &Value) -> Vec<KnownLock> {
    estate
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
        .collect()
}
