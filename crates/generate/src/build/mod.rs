//! Generating the deployments.

use std::collections::HashSet;

use azrelo_arm::IdIndex;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_catalog::Catalog;
use azrelo_estate::{Estate, Resource};
use azrelo_plan::{Action, IdMap, Mapped, Plan, PlannedResource};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::manifest::DeploymentScope;
use serde_json::{Map, Value, json};

use crate::Flags;

mod body;
mod grants;
mod groups;
mod paths;
mod rewrite;
mod settings;

use body::*;
use groups::*;
use paths::*;
use rewrite::*;

/// ARM limits a deployment must stay within (template reference, "Template
/// limits"): 800 resources (copies included), 256 parameters, 4 MB.
pub(super) const MAX_RESOURCES: usize = 800;
pub(super) const MAX_PARAMETERS: usize = 256;
pub(super) const MAX_TEMPLATE_BYTES: usize = 4 * 1024 * 1024;

/// One generated deployment.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// File stem: `NAME.json` + `NAME.parameters.json`.
    pub name: String,
    pub wave: u32,
    pub scope: DeploymentScope,
    pub template: Value,
    pub parameters: Value,
    /// Source ids of the resources it creates.
    pub resources: Vec<String>,
    /// Those of them written inline in their parent (subnets, security
    /// rules, routes) rather than as separate template resources.
    pub inlined: Vec<String>,
    /// Secure parameters the operator must supply (never given a value).
    pub secure_parameters: Vec<String>,
    /// Parameters azrelo fills itself at run time, each with what fills it
    /// (the manifest records them; the orchestrator reads the record, never
    /// a parameter's name).
    pub run_parameters: Vec<RunParameter>,
    /// Parameters read from moved resources when the deployment runs (a
    /// new component's connection string, a recreated identity's client
    /// id, a moved cluster's OIDC issuer).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub read_parameters: Vec<ReadParameter>,
}

/// A parameter azrelo fills at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunParameter {
    pub name: String,
    pub value: RunValue,
}

/// What fills a [`RunParameter`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum RunValue {
    /// The principal id of a recreated identity once it exists in the
    /// target: a user-assigned identity's `properties.principalId`, a
    /// resource's system-assigned `identity.principalId`. `identity` is its
    /// target id.
    PrincipalId { identity: String },
}

/// How a generated parameter is declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ParamKind {
    /// A secret string the operator supplies.
    SecureString,
    /// A secret object (a sensitive property whose value is an object).
    SecureObject,
    /// Filled by azrelo at run time.
    Run(RunValue),
}

impl ParamKind {
    fn declaration(&self) -> Value {
        match self {
            ParamKind::SecureString => {
                json!({"type": "secureString", "metadata": {"description": "Secret value for the target (not copied from the source): supply it at deployment, e.g. from Key Vault."}})
            }
            ParamKind::SecureObject => {
                json!({"type": "secureObject", "metadata": {"description": "Secret object for the target (not copied from the source): supply it at deployment, e.g. from Key Vault."}})
            }
            ParamKind::Run(RunValue::PrincipalId { identity }) => {
                json!({"type": "string", "metadata": {"description": format!("Filled by azrelo at run time: the principal id of {identity} once it exists in the target.")}})
            }
        }
    }
}

/// Everything generated for a plan.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Generated {
    pub schema: String,
    pub target_region: String,
    pub deployments: Vec<Deployment>,
    /// Resources the plan creates that are not generated, with why
    /// (manual relocations; records without a body in the inputs).
    pub skipped: Vec<(String, String)>,
    /// What was removed or replaced, per source id: (JSON pointer, reason).
    pub changes: IndexMap<String, Vec<Change>>,
}

/// One edit from source to target body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub pointer: String,
    pub kind: ChangeKind,
    pub detail: String,
}

/// See [`Change`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    Location,
    Name,
    Reference,
    Dropped,
    Set,
    Secret,
    /// A retired SKU/feature relocated as its successor: an edit the plan
    /// resolved and declares (`PlannedResource::upgrades`).
    Upgrade,
}

/// Top-level members that are never written back.
pub(super) const ENVELOPE_DROP: &[&str] = &[
    "id",
    "etag",
    "systemData",
    "managedBy",
    "resourceGroup",
    "subscriptionId",
    "tenantId",
    "apiVersion",
];

/// Properties ARM computes (dropped even without schema flags).
pub(super) const SERVER_FIELDS: &[&str] = &[
    "provisioningState",
    "resourceGuid",
    "creationTime",
    "createdTime",
    "createdAt",
    "lastModifiedTime",
    "timeCreated",
    "changedTime",
];

pub(super) struct Ctx<'a> {
    plan: &'a Plan,
    flags: &'a dyn Flags,
    catalog: &'a Catalog,
    id_map: IdMap,
    target_has_zones: Option<bool>,
    source_regions: HashSet<String>,
    /// Names and endpoints in settings to rewrite, values to read from
    /// moved resources, owner-managed references to drop.
    edits: settings::Edits,
}

impl Ctx<'_> {
    /// The target of a source id: its entry in the plan's id map, else — for
    /// a sub-resource the plan does not list on its own (a NIC's
    /// `ipConfigurations`, a load balancer's pools and frontends, an
    /// application gateway's internal parts, private endpoint connections)
    /// — its nearest moved ancestor's target id followed by the rest of the
    /// path as written (sub-resource names are kept; a renamed parent
    /// changes only its own segment). The ancestors are the parent chain
    /// (an extension's parent is its scope) up to the first scope that is
    /// not a resource: resource groups and subscriptions do not carry what
    /// lies in them. At most one map lookup per ancestor: O(depth).
    fn map_id(&self, id: &str) -> Option<Mapped> {
        self.id_map.map(id)
    }

    /// Rewrite every id inside a string that names a moved resource or lies
    /// below one; `None` when nothing changes, else the new string and
    /// whether any id was re-pointed through an ancestor.
    fn rewrite_str(&self, s: &str) -> Option<(String, bool)> {
        self.id_map.rewrite(s)
    }
}

/// A parameter whose value is read from a moved resource when the
/// deployment runs (`azrelo.readFrom` metadata the orchestrator fills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadParameter {
    pub name: String,
    /// Target id of the resource the value is read from.
    pub from: String,
    /// JSON pointer of the value in that resource's GET body.
    pub path: String,
}

/// The parameters being collected for a deployment: secure ones (never
/// given a value) and ones read from moved resources.
#[derive(Default)]
pub(super) struct Params {
    names: Vec<String>,
    reads: Vec<ReadParameter>,
    /// The read parameters used since last taken (one body's).
    used: Vec<ReadParameter>,
    taken: HashSet<String>,
    kinds: std::collections::HashMap<String, ParamKind>,
}

impl Params {
    /// A parameter read from `from` at `path`: one per (resource, path).
    fn read(&mut self, base: &str, from: &str, path: &str) -> String {
        let r = match self
            .reads
            .iter()
            .find(|r| r.from.eq_ignore_ascii_case(from) && r.path == path)
        {
            Some(r) => r.clone(),
            None => {
                let r = ReadParameter {
                    name: self.fresh(base),
                    from: from.to_string(),
                    path: path.to_string(),
                };
                self.reads.push(r.clone());
                r
            }
        };
        let name = r.name.clone();
        if !self.used.contains(&r) {
            self.used.push(r);
        }
        name
    }

    /// A secure string parameter named after `base`.
    fn add(&mut self, base: &str) -> String {
        self.add_kind(base, ParamKind::SecureString)
    }

    /// A parameter named after `base` (made a valid, unique name), declared
    /// as `kind`.
    fn add_kind(&mut self, base: &str, kind: ParamKind) -> String {
        let name = self.fresh(base);
        self.names.push(name.clone());
        self.kinds.insert(name.clone(), kind);
        name
    }

    fn fresh(&mut self, base: &str) -> String {
        let mut name: String = base
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            name.insert(0, 'p');
        }
        let stem = name.clone();
        let mut k = 2;
        while !self.taken.insert(name.to_ascii_lowercase()) {
            name = format!("{stem}_{k}");
            k += 1;
        }
        name
    }

    /// Take `names` (collected in `from`) into this deployment's set.
    fn take(&mut self, names: Vec<String>, from: &Params) {
        for n in names {
            self.taken.insert(n.to_ascii_lowercase());
            if let Some(k) = from.kinds.get(&n) {
                self.kinds.insert(n.clone(), k.clone());
            }
            self.names.push(n);
        }
    }
}

/// Generate the deployments of a plan.
pub fn generate(plan: &Plan, estate: &Estate, catalog: &Catalog, flags: &dyn Flags) -> Generated {
    generate_selected(plan, estate, catalog, flags, Selection::Plan)
}

/// The target bodies of the resources the plan relocates by hand (action
/// `manual`), as the
/// generator would write them for a move: same body rules, same id map,
/// one deployment per wave × scope, no role assignments (the plan's
/// templates carry those). `generate` never writes these: a real run stops
/// at each one's gate and the operator creates it. The rehearsal uses them
/// to stand in for the operator (`azrelo_run::Rehearsal`), so what follows
/// the gate (a role assignment for the resource's new principal) is
/// rehearsed for real. A resource without a body in the inputs is listed
/// in `skipped`.
pub fn stand_ins(plan: &Plan, estate: &Estate, catalog: &Catalog, flags: &dyn Flags) -> Generated {
    generate_selected(plan, estate, catalog, flags, Selection::HandRelocated)
}

/// Which resources [`generate_selected`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selection {
    /// What the plan creates (`move`, `recreate`) and its role assignments.
    Plan,
    /// Only what the plan leaves to the operator ([`stand_ins`]).
    HandRelocated,
}

fn generate_selected(
    plan: &Plan,
    estate: &Estate,
    catalog: &Catalog,
    flags: &dyn Flags,
    selection: Selection,
) -> Generated {
    let regions = azrelo_arm::Regions::embedded();
    let ctx = Ctx {
        edits: settings::edits(plan, estate, catalog),
        plan,
        flags,
        catalog,
        id_map: IdMap::of(plan),
        target_has_zones: regions.get(&plan.target.region).map(|r| r.has_zones()),
        source_regions: plan
            .source_regions
            .iter()
            .flat_map(|r| {
                let mut v = vec![r.to_ascii_lowercase()];
                if let Some(reg) = regions.get(r) {
                    v.push(reg.display_name.to_ascii_lowercase());
                }
                v
            })
            .collect(),
    };
    let mut out = Generated {
        schema: "azrelo.generated/v1".into(),
        target_region: plan.target.region.clone(),
        deployments: Vec::new(),
        skipped: Vec::new(),
        changes: IndexMap::new(),
    };
    // Group created resources by (wave, target scope).
    type Key = (u32, String, Option<String>);
    let mut groups: IndexMap<Key, Vec<&PlannedResource>> = IndexMap::new();
    for r in &plan.resources {
        let not_generated = catalog
            .entry(&r.resource_type)
            .entry()
            .not_generated
            .as_ref()
            .filter(|_| matches!(r.action, Action::Move | Action::Recreate));
        if selection == Selection::HandRelocated {
            // A type the catalog never generates (private endpoint
            // connections, backup items) is not created by hand either.
            if r.action != Action::Manual || r.carried_by.is_some() {
                continue;
            }
        } else if let Some(why) = not_generated {
            out.skipped.push((r.source_id.to_string(), why.clone()));
            continue;
        } else if !matches!(r.action, Action::Move | Action::Recreate) {
            if r.action == Action::Manual && r.carried_by.is_none() {
                out.skipped.push((
                    r.source_id.to_string(),
                    "manual relocation: the catalog has no safe automated path".into(),
                ));
            }
            continue;
        }
        let tid = &r.target_id;
        let sub = tid.subscription_id().unwrap_or_default().to_string();
        let rg = match tid.kind() {
            IdKind::ResourceGroup => None,
            _ => tid.resource_group().map(str::to_string),
        };
        groups.entry((r.wave, sub, rg)).or_default().push(r);
    }
    // Role assignments join the group of their target scope's resource group.
    let mut ra_groups: IndexMap<Key, Vec<&azrelo_plan::RoleAssignmentPlan>> = IndexMap::new();
    for ra in plan
        .role_assignments
        .iter()
        .filter(|_| selection == Selection::Plan)
    {
        let Ok(scope) = ResourceId::parse(&ra.target_scope) else {
            continue;
        };
        // At a management group (or the tenant) no deployment of the plan
        // can hold it: the run creates it directly (the plan's
        // `role-assignments` action).
        let Some(sub) = scope.subscription_id().map(str::to_string) else {
            continue;
        };
        let rg = scope.resource_group().map(str::to_string);
        ra_groups.entry((ra.wave, sub, rg)).or_default().push(ra);
    }
    let mut keys: Vec<Key> = groups.keys().cloned().collect();
    for k in ra_groups.keys() {
        if !groups.contains_key(k) {
            keys.push(k.clone());
        }
    }
    keys.sort();
    let by_source: IdIndex<&Resource> =
        estate.resources.iter().map(|r| (r.id.clone(), r)).collect();
    let records = record_bodies(estate);
    for key in keys {
        let (wave, sub, rg) = key.clone();
        let members = groups.get(&key).cloned().unwrap_or_default();
        let ras = ra_groups.get(&key).cloned().unwrap_or_default();
        let mut chunk: Vec<Value> = Vec::new();
        let mut chunk_sources: Vec<String> = Vec::new();
        let mut chunk_inlined: Vec<String> = Vec::new();
        let mut params = Params::default();
        let mut part = 1;
        let in_group: IdIndex<()> = members.iter().map(|r| (r.target_id.clone(), ())).collect();
        let flush = |chunk: &mut Vec<Value>,
                     chunk_sources: &mut Vec<String>,
                     chunk_inlined: &mut Vec<String>,
                     params: &mut Params,
                     part: &mut usize,
                     out: &mut Generated| {
            if chunk.is_empty() {
                return;
            }
            let scope = match &rg {
                Some(rg) => DeploymentScope::ResourceGroup {
                    subscription_id: sub.clone(),
                    resource_group: rg.clone(),
                },
                None => DeploymentScope::Subscription {
                    subscription_id: sub.clone(),
                    location: plan.target.region.clone(),
                },
            };
            let stem = match &rg {
                Some(rg) => format!("w{wave:02}-{rg}"),
                None => format!("w{wave:02}-subscription-{}", &sub[..sub.len().min(8)]),
            };
            let name = if *part > 1 {
                format!("{stem}-{part}")
            } else {
                stem
            };
            let schema = if rg.is_some() {
                "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#"
            } else {
                "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#"
            };
            let mut p = Map::new();
            let mut secure = Vec::new();
            let mut run = Vec::new();
            for n in &params.names {
                let kind = params
                    .kinds
                    .get(n)
                    .cloned()
                    .unwrap_or(ParamKind::SecureString);
                p.insert(n.clone(), kind.declaration());
                match kind {
                    ParamKind::Run(value) => run.push(RunParameter {
                        name: n.clone(),
                        value,
                    }),
                    _ => secure.push(n.clone()),
                }
            }
            for r in &params.reads {
                p.insert(
                    r.name.clone(),
                    json!({"type": "string", "metadata": {
                        "description": format!("Read from {} ({}) once it exists in the target: azrelo apply fills it.", r.from, r.path),
                        "azrelo": {"readFrom": r.from, "path": r.path},
                    }}),
                );
            }
            params.names.clear();
            let template = json!({
                "$schema": schema,
                "contentVersion": "1.0.0.0",
                "metadata": {
                    "generator": format!("azrelo {}", env!("CARGO_PKG_VERSION")),
                    "plan": plan.schema,
                    "wave": wave,
                },
                "parameters": Value::Object(p),
                "resources": Value::Array(std::mem::take(chunk)),
            });
            let parameters = json!({
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                "contentVersion": "1.0.0.0",
                "parameters": {},
            });
            out.deployments.push(Deployment {
                name,
                wave,
                scope,
                template,
                parameters,
                resources: std::mem::take(chunk_sources),
                inlined: std::mem::take(chunk_inlined),
                secure_parameters: secure,
                run_parameters: run,
                read_parameters: std::mem::take(&mut params.reads),
            });
            params.taken.clear();
            params.kinds.clear();
            *part += 1;
        };
        // Build every body of the group first (parameter names unique across
        // the group), fold inline children into their parents, then cut into
        // deployments within ARM's limits.
        let mut all = Params::default();
        let mut built: Vec<Built> = Vec::new();
        for r in &members {
            let src = match by_source.get(r.source_id.as_str()) {
                Some(res) => serde_json::to_value(res).ok(),
                None => records.get(r.source_id.as_str()).cloned(),
            };
            let Some(src) = src else {
                if r.carried_by.is_none() {
                    out.skipped.push((
                        r.source_id.to_string(),
                        "no resource body in the inputs (only referenced)".into(),
                    ));
                }
                continue;
            };
            let mut changes = Vec::new();
            let before = all.names.len();
            all.used.clear();
            let body = resource_body(&ctx, r, src, &in_group, &mut all, &mut changes);
            built.push(Built {
                source: r.source_id.to_string(),
                target: r.target_id.as_str().to_ascii_lowercase(),
                inline_as: catalog.entry(&r.resource_type).entry().inline_as.clone(),
                body,
                params: all.names[before..].to_vec(),
                reads: std::mem::take(&mut all.used),
                folded: Vec::new(),
            });
            if !changes.is_empty() {
                out.changes.insert(r.source_id.to_string(), changes);
            }
        }
        fold_inline_children(&mut built);
        let mut bytes = 0usize;
        for b in built {
            let size = serde_json::to_string(&b.body).map(|s| s.len()).unwrap_or(0);
            if chunk.len() + 1 > MAX_RESOURCES
                || params.names.len() + params.reads.len() + b.params.len() + b.reads.len()
                    > MAX_PARAMETERS
                || bytes + size > MAX_TEMPLATE_BYTES
            {
                flush(
                    &mut chunk,
                    &mut chunk_sources,
                    &mut chunk_inlined,
                    &mut params,
                    &mut part,
                    &mut out,
                );
                bytes = 0;
            }
            bytes += size;
            params.take(b.params, &all);
            for r in b.reads {
                if !params.reads.contains(&r) {
                    params.taken.insert(r.name.to_ascii_lowercase());
                    params.reads.push(r);
                }
            }
            chunk.push(b.body);
            chunk_sources.push(b.source);
            chunk_sources.extend(b.folded.iter().cloned());
            chunk_inlined.extend(b.folded);
        }
        for ra in ras {
            let mut local = Params {
                taken: std::mem::take(&mut params.taken),
                ..Params::default()
            };
            let mut changes = Vec::new();
            let body = role_assignment_body(&ctx, ra, rg.is_some(), &mut local, &mut changes);
            if !changes.is_empty() {
                out.changes.insert(ra.source_id.clone(), changes);
            }
            params.taken = local.taken;
            params.names.extend(local.names);
            params.kinds.extend(local.kinds);
            chunk.push(body);
            chunk_sources.push(ra.source_id.clone());
        }
        flush(
            &mut chunk,
            &mut chunk_sources,
            &mut chunk_inlined,
            &mut params,
            &mut part,
            &mut out,
        );
    }
    if selection == Selection::Plan {
        add_missing_resource_groups(&mut out, plan);
    }
    out
}
