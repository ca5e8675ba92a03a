//! Generating the deployments.

use std::collections::{HashMap, HashSet};

use azrelo_arm::IdIndex;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::scan::find_resource_ids;
use azrelo_arm::vocab;
use azrelo_catalog::{Catalog, FixAction};
use azrelo_estate::{Estate, Resource};
use azrelo_plan::{Action, IdMap, Mapped, Plan, PlannedResource, TargetPrincipal};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::manifest::DeploymentScope;
use serde_json::{Map, Value, json};

use crate::Flags;
use azrelo_arm::secrets::{is_secret_name, looks_secret};

/// ARM limits a deployment must stay within (template reference, "Template
/// limits"): 800 resources (copies included), 256 parameters, 4 MB.
const MAX_RESOURCES: usize = 800;
const MAX_PARAMETERS: usize = 256;
const MAX_TEMPLATE_BYTES: usize = 4 * 1024 * 1024;

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
}

/// Top-level members that are never written back.
const ENVELOPE_DROP: &[&str] = &[
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
const SERVER_FIELDS: &[&str] = &[
    "provisioningState",
    "resourceGuid",
    "creationTime",
    "createdTime",
    "createdAt",
    "lastModifiedTime",
    "timeCreated",
    "changedTime",
];

struct Ctx<'a> {
    plan: &'a Plan,
    flags: &'a dyn Flags,
    catalog: &'a Catalog,
    id_map: IdMap,
    target_has_zones: Option<bool>,
    source_regions: HashSet<String>,
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

/// One secure parameter being collected for a deployment.
struct Params {
    names: Vec<String>,
    taken: HashSet<String>,
}

impl Params {
    fn add(&mut self, base: &str) -> String {
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
        self.names.push(name.clone());
        name
    }
}

/// Generate the deployments of a plan.
pub fn generate(plan: &Plan, estate: &Estate, catalog: &Catalog, flags: &dyn Flags) -> Generated {
    let regions = azrelo_arm::Regions::embedded();
    let ctx = Ctx {
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
        if let Some(why) = catalog
            .entry(&r.resource_type)
            .entry()
            .not_generated
            .as_ref()
            && matches!(r.action, Action::Move | Action::Recreate)
        {
            out.skipped.push((r.source_id.to_string(), why.clone()));
            continue;
        }
        if !matches!(r.action, Action::Move | Action::Recreate) {
            if r.action == Action::Manual && r.carried_by.is_none() {
                out.skipped.push((
                    r.source_id.to_string(),
                    "manual relocation: the catalog has no safe automated path".into(),
                ));
            }
            continue;
        }
        let Ok(tid) = ResourceId::parse(&r.target_id) else {
            out.skipped
                .push((r.source_id.to_string(), "target id does not parse".into()));
            continue;
        };
        let sub = tid.subscription_id().unwrap_or_default().to_string();
        let rg = match tid.kind() {
            IdKind::ResourceGroup => None,
            _ => tid.resource_group().map(str::to_string),
        };
        groups.entry((r.wave, sub, rg)).or_default().push(r);
    }
    // Role assignments join the group of their target scope's resource group.
    let mut ra_groups: IndexMap<Key, Vec<&azrelo_plan::RoleAssignmentPlan>> = IndexMap::new();
    for ra in &plan.role_assignments {
        let Ok(scope) = ResourceId::parse(&ra.target_scope) else {
            continue;
        };
        let sub = scope.subscription_id().unwrap_or_default().to_string();
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
    let by_source: HashMap<String, &Resource> = estate
        .resources
        .iter()
        .map(|r| (r.id.as_str().to_ascii_lowercase(), r))
        .collect();
    let records = record_bodies(estate);
    for key in keys {
        let (wave, sub, rg) = key.clone();
        let members = groups.get(&key).cloned().unwrap_or_default();
        let ras = ra_groups.get(&key).cloned().unwrap_or_default();
        let mut chunk: Vec<Value> = Vec::new();
        let mut chunk_sources: Vec<String> = Vec::new();
        let mut chunk_inlined: Vec<String> = Vec::new();
        let mut params = Params {
            names: Vec::new(),
            taken: HashSet::new(),
        };
        let mut part = 1;
        let in_group: IdIndex<()> = members
            .iter()
            .filter_map(|r| Some((ResourceId::parse(&r.target_id).ok()?, ())))
            .collect();
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
            for n in &params.names {
                p.insert(
                    n.clone(),
                    json!({"type": "secureString", "metadata": {"description": "Secret value for the target (not copied from the source): supply it at deployment, e.g. from Key Vault."}}),
                );
            }
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
                secure_parameters: std::mem::take(&mut params.names),
            });
            params.taken.clear();
            *part += 1;
        };
        // Build every body of the group first (parameter names unique across
        // the group), fold inline children into their parents, then cut into
        // deployments within ARM's limits.
        let mut all = Params {
            names: Vec::new(),
            taken: HashSet::new(),
        };
        let mut built: Vec<Built> = Vec::new();
        for r in &members {
            let key = r.source_id.to_ascii_lowercase();
            let src = match by_source.get(&key) {
                Some(res) => serde_json::to_value(res).ok(),
                None => records.get(&key).cloned(),
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
            let body = resource_body(&ctx, r, src, &in_group, &mut all, &mut changes);
            built.push(Built {
                source: r.source_id.to_string(),
                target: r.target_id.to_ascii_lowercase(),
                inline_as: catalog.entry(&r.resource_type).entry().inline_as.clone(),
                body,
                params: all.names[before..].to_vec(),
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
                || params.names.len() + b.params.len() > MAX_PARAMETERS
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
            params
                .taken
                .extend(b.params.iter().map(|n| n.to_ascii_lowercase()));
            params.names.extend(b.params);
            chunk.push(b.body);
            chunk_sources.push(b.source);
            chunk_sources.extend(b.folded.iter().cloned());
            chunk_inlined.extend(b.folded);
        }
        for ra in ras {
            let mut local = Params {
                names: Vec::new(),
                taken: std::mem::take(&mut params.taken),
            };
            let mut changes = Vec::new();
            let body = role_assignment_body(&ctx, ra, rg.is_some(), &mut local, &mut changes);
            if !changes.is_empty() {
                out.changes.insert(ra.source_id.clone(), changes);
            }
            params.taken = local.taken;
            params.names.extend(local.names);
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
    add_missing_resource_groups(&mut out, plan);
    out
}

/// Every target resource group a deployment goes to must exist first: the
/// groups the plan moves are created by their own resources; groups the
/// inputs did not list (template inputs, partial exports) are created by a
/// subscription-level deployment placed first.
fn add_missing_resource_groups(out: &mut Generated, plan: &Plan) {
    let mut created: HashSet<String> = HashSet::new();
    for d in &out.deployments {
        if let DeploymentScope::Subscription {
            subscription_id, ..
        } = &d.scope
        {
            for r in d.template["resources"].as_array().into_iter().flatten() {
                if r["type"]
                    .as_str()
                    .is_some_and(|t| vocab::is(t, vocab::RESOURCE_GROUPS))
                {
                    let name = r["name"].as_str().unwrap_or_default();
                    created.insert(format!("{subscription_id}/{name}").to_ascii_lowercase());
                }
            }
        }
    }
    let mut missing: IndexMap<String, Vec<String>> = IndexMap::new();
    for d in &out.deployments {
        if let DeploymentScope::ResourceGroup {
            subscription_id,
            resource_group,
        } = &d.scope
        {
            let key = format!("{subscription_id}/{resource_group}").to_ascii_lowercase();
            if created.insert(key) {
                missing
                    .entry(subscription_id.clone())
                    .or_default()
                    .push(resource_group.clone());
            }
        }
    }
    for (i, (sub, groups)) in missing.into_iter().enumerate() {
        let resources: Vec<Value> = groups
            .iter()
            .map(|g| {
                json!({
                    "type": vocab::RESOURCE_GROUPS,
                    "apiVersion": vocab::api::RESOURCE_GROUPS_IN_TEMPLATES,
                    "name": g,
                    "location": plan.target.region,
                })
            })
            .collect();
        let template = json!({
            "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "metadata": {
                "generator": format!("azrelo {}", env!("CARGO_PKG_VERSION")),
                "plan": plan.schema,
                "wave": 0,
                "purpose": "target resource groups the inputs do not list",
            },
            "parameters": {},
            "resources": resources,
        });
        out.deployments.insert(
            i,
            Deployment {
                name: format!("w00-resource-groups-{}", &sub[..sub.len().min(8)]),
                wave: 0,
                scope: DeploymentScope::Subscription {
                    subscription_id: sub,
                    location: plan.target.region.clone(),
                },
                template,
                parameters: json!({
                    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
                    "contentVersion": "1.0.0.0",
                    "parameters": {},
                }),
                resources: Vec::new(),
                inlined: Vec::new(),
                secure_parameters: Vec::new(),
            },
        );
    }
}

/// A generated resource before it is placed in a deployment.
struct Built {
    source: String,
    /// Lower-cased target id.
    target: String,
    inline_as: Option<String>,
    body: Value,
    /// Secure parameters it introduced.
    params: Vec<String>,
    /// Source ids of children folded into it.
    folded: Vec<String>,
}

/// Write children that ARM also manages as a parent's collection property
/// (subnets, security rules, routes) inline in their parent when both are in
/// the same group, so that redeploying the parent never deletes them; other
/// resources' `dependsOn` on such a child point at the parent instead.
fn fold_inline_children(built: &mut Vec<Built>) {
    let index: HashMap<String, usize> = built
        .iter()
        .enumerate()
        .map(|(i, b)| (b.target.clone(), i))
        .collect();
    let mut moves: Vec<(usize, usize, String)> = Vec::new();
    for (i, b) in built.iter().enumerate() {
        let Some(prop) = &b.inline_as else { continue };
        let Some(parent) = b
            .target
            .rfind('/')
            .and_then(|p| b.target[..p].rfind('/').map(|q| &b.target[..q]))
        else {
            continue;
        };
        if let Some(&pi) = index.get(parent) {
            moves.push((i, pi, prop.clone()));
        }
    }
    if moves.is_empty() {
        return;
    }
    let mut redirect: HashMap<String, String> = HashMap::new();
    let mut remove: HashSet<usize> = HashSet::new();
    for (ci, pi, prop) in moves {
        let child = &built[ci];
        let name = child
            .target
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let entry = json!({
            "name": child.body.get("name").and_then(|n| n.as_str()).and_then(|n| n.rsplit('/').next()).unwrap_or(&name),
            "properties": child.body.get("properties").cloned().unwrap_or_else(|| json!({})),
        });
        let (child_source, child_params, child_target) = (
            child.source.clone(),
            child.params.clone(),
            child.target.clone(),
        );
        let parent = &mut built[pi];
        let props = parent
            .body
            .as_object_mut()
            .map(|m| m.entry("properties").or_insert_with(|| json!({})));
        if let Some(Value::Object(props)) = props {
            let list = props.entry(prop.as_str()).or_insert_with(|| json!([]));
            if let Value::Array(a) = list {
                let same = a.iter().position(|x| {
                    x.get("name")
                        .and_then(|n| n.as_str())
                        .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                });
                match same {
                    Some(k) => a[k] = entry,
                    None => a.push(entry),
                }
            }
        }
        parent.params.extend(child_params);
        parent.folded.push(child_source);
        redirect.insert(child_target, parent.target.clone());
        remove.insert(ci);
    }
    let mut i = 0;
    built.retain(|_| {
        let keep = !remove.contains(&i);
        i += 1;
        keep
    });
    for b in built.iter_mut() {
        let own = b.target.clone();
        if let Some(Value::Array(deps)) = b.body.get_mut("dependsOn") {
            let mut out: Vec<Value> = Vec::new();
            for d in deps.drain(..) {
                let key = d.as_str().unwrap_or_default().to_ascii_lowercase();
                let to = redirect.get(&key).cloned();
                let v = match to {
                    Some(p) if p == own => continue,
                    Some(p) => Value::String(p),
                    None => d,
                };
                if !out.iter().any(|x| {
                    x.as_str().map(str::to_ascii_lowercase)
                        == v.as_str().map(str::to_ascii_lowercase)
                }) {
                    out.push(v);
                }
            }
            *deps = out;
        }
        if b.body
            .get("dependsOn")
            .and_then(|d| d.as_array())
            .is_some_and(|a| a.is_empty())
            && let Some(m) = b.body.as_object_mut()
        {
            m.shift_remove("dependsOn");
        }
    }
}

/// ARM GET-shaped bodies for the estate's extension records (diagnostic
/// settings, locks, policy exemptions), by lower-cased id.
fn record_bodies(estate: &Estate) -> HashMap<String, Value> {
    azrelo_estate::arm_shape::extension_bodies(estate)
        .into_iter()
        .filter(|(id, _)| !id.type_or_scope_type().is(vocab::ROLE_ASSIGNMENTS))
        .map(|(id, body)| (id.as_str().to_ascii_lowercase(), body))
        .collect()
}

/// The template resource for one planned resource.
fn resource_body(
    ctx: &Ctx<'_>,
    r: &PlannedResource,
    src: Value,
    in_group: &IdIndex<()>,
    params: &mut Params,
    changes: &mut Vec<Change>,
) -> Value {
    let ty = &*r.resource_type;
    let mut body = src;
    let Value::Object(m) = &mut body else {
        return Value::Null;
    };
    // The estate's own bookkeeping is not ARM.
    for k in ["provenance", "dependsOn"] {
        m.shift_remove(k);
    }
    let api = m
        .shift_remove("apiVersion")
        .and_then(|v| v.as_str().map(str::to_string))
        .or_else(|| {
            azrelo_arm::Availability::embedded()
                .type_info(ty)
                .and_then(|t| t.newest_stable_api_version().map(str::to_string))
        })
        .unwrap_or_else(|| "2023-01-01".into());
    for k in ENVELOPE_DROP {
        if m.shift_remove(*k).is_some() {
            changes.push(Change {
                pointer: format!("/{k}"),
                kind: ChangeKind::Dropped,
                detail: "read-only envelope field".into(),
            });
        }
    }
    // Name: the full template name (parent segments for children).
    let target = ResourceId::parse(&r.target_id).ok();
    let full_name = target
        .as_ref()
        .and_then(|t| t.full_name())
        .unwrap_or_else(|| r.target_name.to_string());
    if *r.target_name != *r.name {
        changes.push(Change {
            pointer: "/name".into(),
            kind: ChangeKind::Name,
            detail: format!("{} → {}", r.name, r.target_name),
        });
    }
    // A name that starts with '[' is a literal, not an expression.
    let full_name = if full_name.starts_with('[') {
        format!("[{full_name}")
    } else {
        full_name
    };
    m.insert("name".into(), Value::String(full_name));
    m.insert("type".into(), Value::String(ty.to_string()));
    // Location.
    if let Some(loc) = m
        .get("location")
        .and_then(|l| l.as_str())
        .map(str::to_string)
        && !loc.eq_ignore_ascii_case("global")
    {
        m.insert(
            "location".into(),
            Value::String(ctx.plan.target.region.clone()),
        );
        changes.push(Change {
            pointer: "/location".into(),
            kind: ChangeKind::Location,
            detail: format!("{loc} → {}", ctx.plan.target.region),
        });
    }
    if ctx.target_has_zones == Some(false) && m.shift_remove("zones").is_some() {
        changes.push(Change {
            pointer: "/zones".into(),
            kind: ChangeKind::Dropped,
            detail: "the target region has no availability zones".into(),
        });
    }
    // Identity: user-assigned keys re-pointed, principals dropped.
    if let Some(Value::Object(ident)) = m.get_mut("identity") {
        for k in ["principalId", "tenantId"] {
            if ident.shift_remove(k).is_some() {
                changes.push(Change {
                    pointer: format!("/identity/{k}"),
                    kind: ChangeKind::Dropped,
                    detail: "assigned by Azure to the new identity".into(),
                });
            }
        }
        if let Some(Value::Object(ua)) = ident.shift_remove("userAssigned") {
            let mut out = Map::new();
            for (k, _) in ua {
                let t = ctx.map_id(&k).map(|m| m.target).unwrap_or(k);
                out.insert(t, json!({}));
            }
            ident.insert("userAssignedIdentities".into(), Value::Object(out));
        }
    }
    if let Some(Value::Object(tags)) = m.get("tags")
        && tags.is_empty()
    {
        m.shift_remove("tags");
    }
    for k in ["zones", "sku", "kind", "plan", "extendedLocation"] {
        if m.get(k)
            .is_some_and(|v| v.is_null() || v.as_array().is_some_and(|a| a.is_empty()))
        {
            m.shift_remove(k);
        }
    }
    // Catalog template fixes for the type (universal ones included).
    let lk = ctx.catalog.entry(ty);
    for fix in lk.template_fixes() {
        match fix.action {
            FixAction::Remove => {
                for p in remove_at(&mut body, &fix.path) {
                    changes.push(Change {
                        pointer: p,
                        kind: ChangeKind::Dropped,
                        detail: fix.reason.clone(),
                    });
                }
            }
            FixAction::Empty => {
                for p in empty_at(&mut body, &fix.path) {
                    changes.push(Change {
                        pointer: p,
                        kind: ChangeKind::Dropped,
                        detail: fix.reason.clone(),
                    });
                }
            }
            FixAction::Set => {
                if let Some(v) = &fix.value
                    && !fix.path.contains('*')
                    && fix.path != "/location"
                {
                    let v = fill(v, &ctx.plan.target.region, &r.target_name);
                    set_at(&mut body, &fix.path, v);
                    changes.push(Change {
                        pointer: fix.path.clone(),
                        kind: ChangeKind::Set,
                        detail: fix.reason.clone(),
                    });
                }
            }
            FixAction::RepointIds | FixAction::NeedsInput => {}
        }
    }
    // Top-level members the schema marks read-only (e.g. the whole
    // `properties` of a site extension) go entirely.
    if let Value::Object(m) = &mut body {
        let keys: Vec<String> = m.keys().cloned().collect();
        for k in keys {
            if matches!(
                k.as_str(),
                "name" | "type" | "apiVersion" | "location" | "dependsOn"
            ) {
                continue;
            }
            let p = format!("/{k}");
            if ctx.flags.is_read_only(ty, &p) {
                m.shift_remove(&k);
                changes.push(Change {
                    pointer: p,
                    kind: ChangeKind::Dropped,
                    detail: "read-only (set by Azure)".into(),
                });
            }
        }
    }
    // Read-only and server-computed properties, ids, secrets: one walk.
    if let Value::Object(m) = &mut body
        && let Some(props) = m.get_mut("properties")
    {
        clean(ctx, ty, props, "/properties", params, changes);
    }
    // Ids anywhere else in the body (tag keys and values, extended
    // locations, …).
    if let Value::Object(m) = &mut body {
        for (k, v) in m.iter_mut() {
            if !matches!(k.as_str(), "name" | "type" | "properties") {
                repoint_all(ctx, v, &format!("/{k}"), changes);
            }
        }
    }
    // dependsOn: same-template dependencies by target id (references inside
    // the body that name another resource of this deployment).
    let mut deps: Vec<String> = Vec::new();
    let own = ResourceId::parse(&r.target_id).ok();
    collect_refs(&body, &mut |s| {
        for m in find_resource_ids(s) {
            let t = m.id();
            // References to itself or its own children (a load balancer's
            // rules naming its own pools) are not dependencies.
            if own.as_ref().is_some_and(|own| t.is_within(own)) {
                continue;
            }
            // A sub-resource of another resource of this deployment (a NIC
            // naming a load balancer's backend pool) depends on that
            // resource, as the dependency graph resolves it.
            if let Some((n, ())) = in_group.get_within(&t) {
                let t = m.text[..n].to_string();
                if !deps.iter().any(|d| d.eq_ignore_ascii_case(&t)) {
                    deps.push(t);
                }
            }
        }
    });
    // A child depends on its parent when both are in the template.
    if let Some(t) = &target
        && let Some(p) = t.parent()
        && in_group.contains(p.as_str())
        && !deps.iter().any(|d| d.eq_ignore_ascii_case(p.as_str()))
    {
        deps.push(p.to_string());
    }
    let Value::Object(m) = &mut body else {
        return body;
    };
    // Extension resources: scope to the target resource.
    if let Some(t) = &target
        && t.is_extension()
        && let Some(scope) = t.scope()
    {
        let name = t.name().unwrap_or_default().to_string();
        m.insert("name".into(), Value::String(name));
        m.insert("scope".into(), Value::String(scope.to_string()));
        if in_group.contains(scope.as_str()) {
            deps.push(scope.to_string());
        }
    }
    deps.sort();
    deps.dedup();
    let mut ordered = Map::new();
    ordered.insert("type".into(), m.shift_remove("type").unwrap_or(Value::Null));
    ordered.insert("apiVersion".into(), Value::String(api));
    for (k, v) in std::mem::take(m) {
        ordered.insert(k, v);
    }
    if !deps.is_empty() {
        ordered.insert(
            "dependsOn".into(),
            Value::Array(deps.into_iter().map(Value::String).collect()),
        );
    }
    Value::Object(ordered)
}

fn role_assignment_body(
    ctx: &Ctx<'_>,
    ra: &azrelo_plan::RoleAssignmentPlan,
    rg_scoped: bool,
    params: &mut Params,
    changes: &mut Vec<Change>,
) -> Value {
    let principal = match &ra.target_principal {
        TargetPrincipal::Same { principal_id } => Value::String(principal_id.clone()),
        TargetPrincipal::NewPrincipalOf { identity } => {
            let p = params.add(&format!(
                "principalId_{}",
                identity.rsplit('/').next().unwrap_or("identity")
            ));
            Value::String(format!("[parameters('{p}')]"))
        }
    };
    let mut m = Map::new();
    m.insert("type".into(), Value::String(vocab::ROLE_ASSIGNMENTS.into()));
    m.insert(
        "apiVersion".into(),
        Value::String(vocab::api::ROLE_ASSIGNMENTS.into()),
    );
    m.insert("name".into(), Value::String(ra.target_name.clone()));
    // The deployment's own scope is implicit; anything narrower is named.
    let kind = ResourceId::parse(&ra.target_scope).map(|s| s.kind()).ok();
    let implicit = matches!(
        (rg_scoped, kind),
        (true, Some(IdKind::ResourceGroup)) | (false, Some(IdKind::Subscription))
    );
    if !implicit {
        m.insert("scope".into(), Value::String(ra.target_scope.clone()));
    }
    let mut props = Map::new();
    // A role definition id written at a moved resource's scope
    // (`{vault}/providers/Microsoft.Authorization/roleDefinitions/{guid}`)
    // names the same role at the target's scope.
    let role = match ctx.rewrite_str(&ra.role_definition_id) {
        Some((t, below)) => {
            changes.push(reference_change(
                "/properties/roleDefinitionId".into(),
                below,
            ));
            t
        }
        None => ra.role_definition_id.clone(),
    };
    props.insert("roleDefinitionId".into(), Value::String(role));
    props.insert("principalId".into(), principal);
    if let Some(t) = &ra.principal_type {
        props.insert("principalType".into(), Value::String(t.clone()));
    }
    m.insert("properties".into(), Value::Object(props));
    Value::Object(m)
}

/// Strip read-only/server fields, rewrite ids and source locations, and turn
/// secrets into parameters, recursively.
fn clean(
    ctx: &Ctx<'_>,
    ty: &str,
    v: &mut Value,
    pointer: &str,
    params: &mut Params,
    changes: &mut Vec<Change>,
) {
    match v {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                if SERVER_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(&k))
                    || ctx.flags.is_read_only(ty, &p)
                {
                    m.shift_remove(&k);
                    changes.push(Change {
                        pointer: p,
                        kind: ChangeKind::Dropped,
                        detail: "read-only (set by Azure)".into(),
                    });
                    continue;
                }
                let secret_name = is_secret_name(&k) || ctx.flags.is_sensitive(ty, &p);
                let child = m.get_mut(&k).expect("key exists");
                let is_scalar_secret = secret_name
                    && matches!(child, Value::String(_) | Value::Object(_))
                    && !child.as_str().is_some_and(|s| s.is_empty());
                if is_scalar_secret {
                    let name = params.add(&k);
                    *child = Value::String(format!("[parameters('{name}')]"));
                    changes.push(Change {
                        pointer: p,
                        kind: ChangeKind::Secret,
                        detail: format!("secure parameter '{name}' (value not copied)"),
                    });
                    continue;
                }
                clean(ctx, ty, child, &p, params, changes);
            }
            repoint_keys(ctx, m, pointer, changes);
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                clean(ctx, ty, x, &format!("{pointer}/{i}"), params, changes);
            }
        }
        Value::String(s) => {
            if looks_secret(s) {
                let base = pointer.rsplit('/').next().unwrap_or("secret");
                let name = params.add(base);
                *s = format!("[parameters('{name}')]");
                changes.push(Change {
                    pointer: pointer.to_string(),
                    kind: ChangeKind::Secret,
                    detail: format!("credential-bearing value → secure parameter '{name}'"),
                });
                return;
            }
            if let Some((n, below)) = ctx.rewrite_str(s) {
                changes.push(reference_change(pointer.to_string(), below));
                *s = n;
            } else if ctx.source_regions.contains(&s.to_ascii_lowercase())
                && pointer.to_ascii_lowercase().ends_with("location")
            {
                *s = ctx.plan.target.region.clone();
                changes.push(Change {
                    pointer: pointer.to_string(),
                    kind: ChangeKind::Location,
                    detail: "source region → target region".into(),
                });
            }
            // A literal starting with '[' would be read as an expression
            // (source values are literals; the parameter references this
            // walk writes are never walked again).
            if s.starts_with('[') {
                s.insert(0, '[');
            }
        }
        _ => {}
    }
}

/// The change recorded for a re-pointed string or key.
fn reference_change(pointer: String, below: bool) -> Change {
    Change {
        pointer,
        kind: ChangeKind::Reference,
        detail: if below {
            "re-pointed to the target resource (a sub-resource of a moved resource: its path below the parent is kept)".into()
        } else {
            "re-pointed to the target resource".into()
        },
    }
}

/// Object keys that hold ids (tag keys such as `hidden-link:{id}` that App
/// Service and Application Insights use, maps keyed by resource id) are
/// re-pointed like any string; order is kept.
fn repoint_keys(
    ctx: &Ctx<'_>,
    m: &mut Map<String, Value>,
    pointer: &str,
    changes: &mut Vec<Change>,
) {
    if !m.keys().any(|k| ctx.rewrite_str(k).is_some()) {
        return;
    }
    for (k, x) in std::mem::take(m) {
        match ctx.rewrite_str(&k) {
            Some((nk, below)) => {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                changes.push(reference_change(p, below));
                m.insert(nk, x);
            }
            None => {
                m.insert(k, x);
            }
        }
    }
}

/// Re-point ids in every string and key of a member outside `properties`
/// (tags, `extendedLocation`, …): no secret or read-only handling there.
fn repoint_all(ctx: &Ctx<'_>, v: &mut Value, pointer: &str, changes: &mut Vec<Change>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                let p = format!("{pointer}/{}", k.replace('~', "~0").replace('/', "~1"));
                repoint_all(ctx, x, &p, changes);
            }
            repoint_keys(ctx, m, pointer, changes);
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                repoint_all(ctx, x, &format!("{pointer}/{i}"), changes);
            }
        }
        Value::String(s) => {
            if let Some((n, below)) = ctx.rewrite_str(s) {
                changes.push(reference_change(pointer.to_string(), below));
                *s = n;
            }
        }
        _ => {}
    }
}

fn collect_refs(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, f)),
        Value::Object(m) => m.values().for_each(|x| collect_refs(x, f)),
        _ => {}
    }
}

fn fill(v: &Value, region: &str, name: &str) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.replace("{target_location}", region)
                .replace("{target_name}", name),
        ),
        other => other.clone(),
    }
}

/// Pointers (with `*`) matched in `v`, deepest-last, as concrete pointers.
fn matches(v: &Value, path: &str) -> Vec<String> {
    fn walk(v: &Value, segs: &[&str], at: String, out: &mut Vec<String>) {
        let Some((first, rest)) = segs.split_first() else {
            out.push(at);
            return;
        };
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if *first == "*" || k.eq_ignore_ascii_case(first) {
                        walk(x, rest, format!("{at}/{k}"), out);
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if *first == "*" || first.parse::<usize>() == Ok(i) {
                        walk(x, rest, format!("{at}/{i}"), out);
                    }
                }
            }
            _ => {}
        }
    }
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let mut out = Vec::new();
    walk(v, &segs, String::new(), &mut out);
    out
}

fn remove_at(v: &mut Value, path: &str) -> Vec<String> {
    let mut hits = matches(v, path);
    // Remove array elements from the back so indexes stay valid.
    hits.reverse();
    let mut done = Vec::new();
    for p in hits {
        let (parent, last) = match p.rfind('/') {
            Some(i) => (p[..i].to_string(), p[i + 1..].to_string()),
            None => continue,
        };
        let Some(container) = v.pointer_mut(&parent) else {
            continue;
        };
        let removed = match container {
            Value::Object(m) => m.shift_remove(&last).is_some(),
            Value::Array(a) => match last.parse::<usize>() {
                Ok(i) if i < a.len() => {
                    a.remove(i);
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if removed {
            done.push(p);
        }
    }
    done
}

fn empty_at(v: &mut Value, path: &str) -> Vec<String> {
    let hits = matches(v, path);
    let mut done = Vec::new();
    for p in hits {
        if let Some(x) = v.pointer_mut(&p) {
            match x {
                Value::Array(a) if !a.is_empty() => {
                    a.clear();
                    done.push(p);
                }
                Value::Object(m) if !m.is_empty() => {
                    m.clear();
                    done.push(p);
                }
                _ => {}
            }
        }
    }
    done
}

fn set_at(v: &mut Value, path: &str, value: Value) {
    let segs: Vec<&str> = path.split('/').skip(1).collect();
    let mut cur = v;
    for (i, s) in segs.iter().enumerate() {
        let last = i + 1 == segs.len();
        let Value::Object(m) = cur else { return };
        if last {
            m.insert((*s).to_string(), value);
            return;
        }
        cur = m
            .entry((*s).to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}
