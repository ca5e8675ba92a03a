//! What a relocation left behind, checked against what it started from.
//!
//! * **coverage** — every source resource has its target, or the plan
//!   gives a reason (an action other than move/recreate, a finding naming
//!   it, a manifest entry saying why it was not generated);
//! * **bodies** — a target's body equals its source's modulo the region,
//!   renamed names and re-pointed ids; the schema's read-only, write-only
//!   and sensitive paths and the generator's declared changes (each with
//!   its reason in the manifest) are left out;
//! * **no source id** of a moved resource (or anything below one) and no
//!   source-region endpoint or region value in any target body;
//! * **references resolve** — every id in a target body that names
//!   something the source had, or the target of something it had, exists;
//! * **sources are gone** — every moved source was deleted by the source
//!   cleanup, or kept with the reason the run gave.
//!
//! The source side is what the emulator held after the deployment (GET
//! bodies taken before the run), not what discovery saw: a property or a
//! child discovery misses is a difference here.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use azrelo_arm::IdIndex;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::scan::find_resource_ids;
use azrelo_arm::schema::SchemaFlags;
use azrelo_arm::vocab;
use azrelo_emulator::Emulator;
use azrelo_generate::{ChangeKind, Manifest};
use azrelo_plan::{Action, IdMap, Plan};
use azrelo_run::{PlanDir, Summary};
use serde_json::Value;

use crate::SOURCE_REGION;

/// Everything the checks read.
pub struct Context<'a> {
    pub em: &'a Emulator,
    pub plan: Plan,
    pub manifest: Manifest,
    pub id_map: IdMap,
    /// The source: every stored id before the run → its GET body.
    pub source: IdIndex<Value>,
    /// The plan's scopes.
    pub scopes: Vec<ResourceId>,
    /// Sources the cleanup kept, with why.
    pub kept: IdIndex<String>,
}

/// One thing that is not as it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `no-target`, `body`, `source-id`, `source-endpoint`,
    /// `source-region`, `dangling-reference`, `source-left`.
    pub class: String,
    pub detail: String,
}

/// The checks' result.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Target bodies compared with their source.
    pub compared: usize,
    /// Source resources not moved, each with a reason in the plan.
    pub not_moved: usize,
}

/// Ids the comparison of bodies never looks at (the envelope and azrelo's
/// own bookkeeping).
const ENVELOPE: &[&str] = &[
    "id",
    "name",
    "type",
    "location",
    "etag",
    "systemData",
    "managedBy",
    "apiVersion",
    "resourceGroup",
    "subscriptionId",
    "dependsOn",
    "provenance",
    "scope",
];

impl<'a> Context<'a> {
    /// Read the plan directory back and take the source's bodies from
    /// `source` (GET bodies taken before the run).
    pub fn load(
        dir: &Path,
        em: &'a Emulator,
        source: IdIndex<Value>,
        scopes: &[ResourceId],
        summary: &Summary,
    ) -> Result<Context<'a>, String> {
        let pd = PlanDir::new(dir);
        let plan = pd.read_plan().map_err(|e| e.to_string())?;
        let text = std::fs::read_to_string(pd.manifest_json())
            .map_err(|e| format!("{}: {e}", pd.manifest_json().display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .map_err(|e| format!("{}: {e}", pd.manifest_json().display()))?;
        let kept = summary
            .kept
            .iter()
            .filter_map(|k| Some((ResourceId::parse(&k.resource).ok()?, k.reason.clone())))
            .collect();
        Ok(Context {
            em,
            id_map: IdMap::of(&plan),
            plan,
            manifest,
            source,
            scopes: scopes.to_vec(),
            kept,
        })
    }
}

/// GET bodies of every stored resource within `scopes` (resource groups
/// and deployment records left out), taken in-process.
pub async fn snapshot(em: &Emulator, scopes: &[ResourceId]) -> IdIndex<Value> {
    let mut out = IdIndex::default();
    for id in em.resource_ids() {
        let Ok(rid) = ResourceId::parse(&id) else {
            continue;
        };
        if !matches!(rid.kind(), IdKind::Resource | IdKind::Extension)
            || rid
                .type_or_scope_type()
                .is("Microsoft.Resources/deployments")
            || !scopes.iter().any(|s| rid.is_within(s))
        {
            continue;
        }
        if let Some(b) = get(em, &id).await {
            out.insert(rid, b);
        }
    }
    out
}

/// An in-process GET: the body when it exists.
async fn get(em: &Emulator, id: &str) -> Option<Value> {
    let c = azrelo_testkit::call(em, "GET", &encode_path(id), None).await;
    c.status.is_success().then_some(c.body)
}

/// A resource id as a request path: bytes a URI path may not hold (spaces
/// in names, non-ASCII) percent-encoded, as a client sends them.
fn encode_path(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~:@!$&'()*+,;=".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The principal ids of the identities the plan relocates (a user-assigned
/// identity's, a resource's system-assigned one): one pass over the source.
fn relocated_principals(
    planned: &IdIndex<&azrelo_plan::PlannedResource>,
    source: &IdIndex<Value>,
) -> HashSet<String> {
    source
        .iter()
        .filter(|(id, b)| {
            !vocab::is(
                b["type"].as_str().unwrap_or_default(),
                vocab::ROLE_ASSIGNMENTS,
            ) && creates_target(planned, id.as_str())
        })
        .flat_map(|(_, b)| {
            [
                b.pointer("/identity/principalId"),
                b.pointer("/properties/principalId"),
            ]
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_ascii_lowercase)
            .collect::<Vec<_>>()
        })
        .collect()
}

fn creates_target(planned: &IdIndex<&azrelo_plan::PlannedResource>, id: &str) -> bool {
    planned
        .get(id)
        .is_some_and(|p| matches!(p.action, Action::Move | Action::Recreate))
}

/// Whether a source role assignment's scope (or an ancestor of it) or its
/// principal's identity ([`relocated_principals`]) is relocated.
fn role_assignment_moves(
    ra: &Value,
    planned: &IdIndex<&azrelo_plan::PlannedResource>,
    principals: &HashSet<String>,
) -> bool {
    let scope_moves = ra
        .pointer("/properties/scope")
        .and_then(Value::as_str)
        .and_then(|s| ResourceId::parse(s).ok())
        .is_some_and(|s| {
            std::iter::successors(Some(s), ResourceId::parent)
                .any(|a| creates_target(planned, a.as_str()))
        });
    scope_moves
        || ra
            .pointer("/properties/principalId")
            .and_then(Value::as_str)
            .is_some_and(|p| principals.contains(&p.to_ascii_lowercase()))
}

/// Run every check.
pub async fn compare(cx: &Context<'_>) -> Report {
    let mut report = Report::default();
    let flags = SchemaFlags::embedded();
    let planned: IdIndex<&azrelo_plan::PlannedResource> = cx
        .plan
        .resources
        .iter()
        .map(|r| (r.source_id.clone(), r))
        .collect();
    let skipped: IdIndex<&str> = cx
        .manifest
        .skipped
        .iter()
        .filter_map(|s| Some((ResourceId::parse(&s.resource).ok()?, s.reason.as_str())))
        .collect();
    let named_by_finding: HashSet<String> = cx
        .plan
        .findings
        .iter()
        .filter_map(|f| f.resource.as_deref().map(str::to_ascii_lowercase))
        .collect();
    let role_targets: IdIndex<String> = cx
        .plan
        .role_assignments
        .iter()
        .filter_map(|ra| {
            let src = ResourceId::parse(&ra.source_id).ok()?;
            let name = ra.target_name.clone();
            Some((
                src,
                format!(
                    "{}/providers/Microsoft.Authorization/roleAssignments/{name}",
                    ra.target_scope.trim_end_matches('/')
                ),
            ))
        })
        .collect();
    let principals = relocated_principals(&planned, &cx.source);
    // Role assignments for the new principal of a recreated identity.
    let new_principal_of: IdIndex<String> = cx
        .plan
        .role_assignments
        .iter()
        .filter_map(|ra| match &ra.target_principal {
            azrelo_plan::TargetPrincipal::NewPrincipalOf { identity } => Some((
                ResourceId::parse(&ra.source_id).ok()?,
                cx.id_map
                    .map(identity.as_str())
                    .map_or_else(|| identity.to_string(), |m| m.target),
            )),
            _ => None,
        })
        .collect();
    // Key Vault access policies the plan re-grants to a recreated
    // identity's new principal (`identity-grants`): source principal id →
    // the identity's target id, per target vault.
    let mut regranted: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for a in
        cx.plan.actions.iter().filter(|a| {
            a.executor == "identity-grants" && a.params["kind"] == "keyVaultAccessPolicy"
        })
    {
        if let (Some(v), Some(p), Some(i)) = (
            a.params["vault"].as_str(),
            a.params["sourcePrincipalId"].as_str(),
            a.params["identity"].as_str(),
        ) {
            regranted
                .entry(v.to_ascii_lowercase())
                .or_default()
                .push((p.to_ascii_lowercase(), i.to_string()));
        }
    }
    // Renamed resources: source name → target name, and whether the name
    // can lead a host name (a resource group's never does).
    let renamed: Vec<(String, String, bool)> = cx
        .plan
        .resources
        .iter()
        .filter(|r| matches!(r.action, Action::Move | Action::Recreate))
        .filter(|r| !r.name.eq_ignore_ascii_case(&r.target_name))
        .map(|r| {
            let group = r
                .resource_type
                .eq_ignore_ascii_case("Microsoft.Resources/resourceGroups");
            (r.name.to_string(), r.target_name.to_string(), !group)
        })
        .collect();
    let target_region = cx.plan.target.region.clone();
    let map = Mapper {
        cx,
        renamed: &renamed,
        target_region: &target_region,
    };

    // Coverage and bodies, source by source.
    let mut targets: Vec<(String, String, Value)> = Vec::new(); // (type, target id, body)
    let mut expected_targets: HashSet<String> = HashSet::new();
    for (sid, sbody) in cx.source.iter() {
        let ty = sbody["type"].as_str().unwrap_or_default().to_string();
        let (target, reason): (Option<String>, Option<String>) = match planned.get(sid.as_str()) {
            Some(p) if matches!(p.action, Action::Move | Action::Recreate) => {
                (Some(p.target_id.to_string()), None)
            }
            Some(p) => (None, Some(format!("planned as {}", p.action.as_str()))),
            None => match role_targets.get(sid.as_str()) {
                Some(t) => (Some(t.clone()), None),
                // A role assignment is no regional resource: when neither
                // its scope nor its principal's identity is relocated, it
                // stays valid where it is and the plan rightly leaves it.
                None if vocab::is(&ty, vocab::ROLE_ASSIGNMENTS)
                    && !role_assignment_moves(sbody, &planned, &principals) =>
                {
                    (
                        None,
                        Some("neither its scope nor its principal is relocated".into()),
                    )
                }
                // A child the plan does not list follows its nearest
                // planned ancestor's fate: below a manual or kept
                // resource, it is relocated with it (or not) by that.
                None => match sid.resource_ancestors().find_map(|a| planned.get(a)) {
                    Some(a) if !matches!(a.action, Action::Move | Action::Recreate) => (
                        None,
                        Some(format!(
                            "below {} planned as {}",
                            a.source_id,
                            a.action.as_str()
                        )),
                    ),
                    _ => (cx.id_map.map(sid.as_str()).map(|m| m.target), None),
                },
            },
        };
        if let Some(r) = reason {
            let _ = r;
            report.not_moved += 1;
            continue;
        }
        let why_not = || -> Option<String> {
            if let Some(s) = skipped.get(sid.as_str()) {
                return Some((*s).to_string());
            }
            if named_by_finding.contains(&sid.as_str().to_ascii_lowercase()) {
                return Some("a plan finding names it".into());
            }
            None
        };
        let Some(t) = target else {
            match why_not() {
                Some(_) => report.not_moved += 1,
                None => report.findings.push(Finding {
                    class: "no-target".into(),
                    detail: format!(
                        "{sid} ({ty}) is in the source but neither the plan nor the id map gives it a target, and nothing says why"
                    ),
                }),
            }
            continue;
        };
        expected_targets.insert(t.to_ascii_lowercase());
        let Some(tbody) = get(cx.em, &t).await else {
            match why_not() {
                Some(_) => report.not_moved += 1,
                None => report.findings.push(Finding {
                    class: "no-target".into(),
                    detail: format!("{sid} ({ty}): its target {t} does not exist after the run"),
                }),
            }
            continue;
        };
        report.compared += 1;
        let declared: Vec<String> = cx
            .manifest
            .changes
            .get(sid.as_str())
            .or_else(|| {
                cx.manifest
                    .changes
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(sid.as_str()))
                    .map(|(_, v)| v)
            })
            .into_iter()
            .flatten()
            .filter(|c| !matches!(c.kind, ChangeKind::Reference | ChangeKind::Upgrade))
            .map(|c| c.pointer.to_ascii_lowercase())
            .collect();
        // A retired SKU/feature relocated as its successor: the plan
        // declares each edit (path, source value, successor value). Exactly
        // those differences are accepted: the target must hold the
        // declared successor value there.
        let upgraded: Vec<&azrelo_plan::UpgradeChange> = planned
            .get(sid.as_str())
            .map(|p| p.upgrades.iter().flat_map(|u| u.edits.iter()).collect())
            .unwrap_or_default();
        report
            .findings
            .extend(upgrade_findings(&t, &ty, &tbody, &upgraded, &|v| {
                // A successor value naming a source resource (the subnet an
                // NSG flow log's successor targets) names its target.
                match v.as_str().and_then(|s| cx.id_map.rewrite(s)) {
                    Some((t, _)) => Value::String(t),
                    None => v.clone(),
                }
            }));
        let upgraded: Vec<String> = upgraded
            .iter()
            .map(|e| e.path.to_ascii_lowercase())
            .collect();
        let tflags = flags.get(&ty);
        // A disk the orchestrator copies is created from the copy: its
        // creationData names the snapshot (the data mover's own edit).
        let copied = planned
            .get(sid.as_str())
            .is_some_and(|p| p.data_mover.as_deref() == Some("disk-snapshot-copy"));
        let skip = |p: &str| -> bool {
            (copied && p.starts_with("/properties/creationdata"))
                || declared
                    .iter()
                    .chain(upgraded.iter())
                    .any(|d| p == d || p.starts_with(&format!("{d}/")))
                || tflags
                    .is_some_and(|f| f.is_read_only(p) || f.is_write_only(p) || f.is_sensitive(p))
        };
        // A re-granted access policy names the identity's new principal.
        let regranted_body;
        let sbody = match regranted.get(&t.to_ascii_lowercase()) {
            Some(g) => {
                regranted_body = with_new_principals(cx.em, sbody, g).await;
                &regranted_body
            }
            None => sbody,
        };
        let sbody = &with_inline_children(sid, &normalized(&ty, sbody), &tbody, &cx.source);
        let s_raw = leaves(sbody, &skip, None);
        let s_leaves = leaves(sbody, &skip, Some(&map));
        let mut t_leaves = leaves(&normalized(&ty, &tbody), &skip, None);
        // A role assignment for a recreated identity names the new
        // principal: the one the moved identity has now.
        if let Some(identity) = new_principal_of.get(sid.as_str())
            && let Some(now) = principal_of(cx.em, identity).await
            && t_leaves.get("/properties/principalid") == Some(&Value::String(now))
        {
            t_leaves.insert(
                "/properties/principalid".into(),
                s_leaves
                    .get("/properties/principalid")
                    .cloned()
                    .unwrap_or(Value::Null),
            );
        }
        let diffs = differences(&s_raw, &s_leaves, &t_leaves);
        if let Some((first_class, _)) = diffs.first() {
            report.findings.push(Finding {
                class: format!("body:{first_class}"),
                detail: format!(
                    "{t} ({ty}) differs from its source at {}",
                    diffs
                        .iter()
                        .take(4)
                        .map(|(_, d)| d.as_str())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            });
        }
        targets.push((ty, t, tbody));
    }

    // Target bodies: source ids, source-region endpoints, references.
    let display = azrelo_arm::Regions::embedded()
        .get(SOURCE_REGION)
        .map(|r| r.display_name.clone())
        .unwrap_or_default();
    let mut exists: HashMap<String, bool> = HashMap::new();
    for (ty, t, body) in &targets {
        let own = ResourceId::parse(t).ok();
        let mut strings: Vec<(String, String)> = Vec::new();
        collect_strings(body, String::new(), &mut strings);
        for (pointer, s) in &strings {
            if let Some(src) = cx.id_map.first_source_in(s) {
                report.findings.push(Finding {
                    class: "source-id".into(),
                    detail: format!("{t} ({ty}) still names the source {src} at {pointer}"),
                });
            }
            let last = pointer.rsplit('/').next().unwrap_or_default();
            if !last.eq_ignore_ascii_case("location")
                && (s.eq_ignore_ascii_case(SOURCE_REGION) || s.eq_ignore_ascii_case(&display))
            {
                report.findings.push(Finding {
                    class: "source-region".into(),
                    detail: format!("{t} ({ty}) has the source region '{s}' at {pointer}"),
                });
            } else if host_names(s).any(|h| has_label(h, SOURCE_REGION)) {
                report.findings.push(Finding {
                    class: "source-endpoint".into(),
                    detail: format!("{t} ({ty}) has a source-region endpoint at {pointer}: {s}"),
                });
            }
            for m in find_resource_ids(s) {
                let r = m.id();
                if own.as_ref().is_some_and(|o| r.is_within(o)) || r.resource_group().is_none() {
                    continue;
                }
                let key = r.as_str().to_ascii_lowercase();
                if !expected_targets.contains(&key) {
                    continue;
                }
                let found = match exists.get(&key) {
                    Some(f) => *f,
                    None => {
                        let f = get(cx.em, r.as_str()).await.is_some();
                        exists.insert(key.clone(), f);
                        f
                    }
                };
                if !found {
                    report.findings.push(Finding {
                        class: "dangling-reference".into(),
                        detail: format!(
                            "{t} ({ty}) names {r} at {pointer}, the target of a source resource, which does not exist"
                        ),
                    });
                }
            }
        }
    }

    // Sources: deleted, or kept with a reason.
    for p in &cx.plan.resources {
        if !matches!(p.action, Action::Move | Action::Recreate)
            || !cx.source.contains(p.source_id.as_str())
            || cx.kept.contains(p.source_id.as_str())
            || p.carried_by.is_some()
        {
            continue;
        }
        if get(cx.em, p.source_id.as_str()).await.is_some() {
            report.findings.push(Finding {
                class: "source-left".into(),
                detail: format!(
                    "{} ({}) was moved but its source still exists and the cleanup gave no reason",
                    p.source_id, p.resource_type
                ),
            });
        }
    }
    report
        .findings
        .sort_by(|a, b| (&a.class, &a.detail).cmp(&(&b.class, &b.detail)));
    report
}

/// The declared upgrade edits the target body does not hold: each path
/// must have the successor value the plan declares (absent for a removal),
/// ids in it mapped to their targets by `map`.
fn upgrade_findings(
    t: &str,
    ty: &str,
    tbody: &Value,
    edits: &[&azrelo_plan::UpgradeChange],
    map: &dyn Fn(&Value) -> Value,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in edits {
        let now = value_at_ci(tbody, &e.path);
        let to = e.to.as_ref().map(map);
        let as_declared = match (now, to.as_ref()) {
            (Some(Value::String(a)), Some(Value::String(b))) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        };
        if !as_declared {
            out.push(Finding {
                class: "body:upgrade".into(),
                detail: format!(
                    "{t} ({ty}) at {}: the plan declares the upgrade to {} but the target holds {}",
                    e.path,
                    to.as_ref()
                        .map_or_else(|| "nothing".to_string(), |v| v.to_string()),
                    now.map_or_else(|| "nothing".to_string(), |v| v.to_string())
                ),
            });
        }
    }
    out
}

/// The value at a plain JSON pointer, members matched case-insensitively.
fn value_at_ci<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    for s in path.split('/').skip(1) {
        let s = s.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Value::Object(m) => m.get(&s).or_else(|| {
                m.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&s))
                    .map(|(_, v)| v)
            })?,
            Value::Array(a) => a.get(s.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Source strings as they should read in the target.
struct Mapper<'a, 'b> {
    cx: &'a Context<'b>,
    renamed: &'a [(String, String, bool)],
    target_region: &'a str,
}

impl Mapper<'_, '_> {
    fn map(&self, pointer: &str, s: &str) -> String {
        let mut out = match self.cx.id_map.rewrite(s) {
            Some((t, _)) => t,
            None => s.to_string(),
        };
        // Tags are the owner's words, copied as they are: only the ids in
        // them (hidden-link tags) follow the move, not names or regions.
        if pointer.starts_with("/tags/") {
            return out;
        }
        let last = pointer.rsplit('/').next().unwrap_or_default();
        if out.eq_ignore_ascii_case(SOURCE_REGION) && last.to_ascii_lowercase().contains("location")
        {
            out = self.target_region.to_string();
        }
        // One rename per value: the value is a renamed resource's name, or
        // a host name led by one (`{name}.vault.azure.net`); a name that
        // is only part of a label (`app` in `app-sql.database.windows.net`)
        // or a resource group's name is not a reference to it.
        if let Some((_, to, _)) = self
            .renamed
            .iter()
            .find(|(f, ..)| out.eq_ignore_ascii_case(f))
        {
            return to.clone();
        }
        if is_endpoint(&out)
            && let Some((from, to, _)) = self
                .renamed
                .iter()
                .filter(|(f, _, host)| *host && find_host_label(&out, f).is_some())
                .max_by_key(|(f, ..)| f.len())
        {
            out = replace_host_label(&out, from, to);
        }
        out
    }
}

/// A source body with the child collections its target holds inline
/// (`properties.subnets` of a virtual network) filled from the source's
/// child resources when the source body lacks them: Azure's GET of a
/// virtual network lists its subnets however they were created, the
/// emulator's only those sent inline.
fn with_inline_children(
    sid: &ResourceId,
    sbody: &Value,
    tbody: &Value,
    source: &IdIndex<Value>,
) -> Value {
    let mut b = sbody.clone();
    let Some(tprops) = tbody.get("properties").and_then(Value::as_object) else {
        return b;
    };
    for (key, v) in tprops {
        if !v.is_array()
            || b.get("properties")
                .and_then(|p| p.get(key.as_str()))
                .is_some()
        {
            continue;
        }
        let mut children: Vec<(&ResourceId, &Value)> = source
            .iter()
            .filter(|(id, _)| {
                id.parent().is_some_and(|p| p == *sid)
                    && id
                        .resource_type()
                        .and_then(|t| t.as_str().rsplit('/').next().map(str::to_string))
                        .is_some_and(|last| last.eq_ignore_ascii_case(key))
            })
            .collect();
        if children.is_empty() {
            continue;
        }
        children.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        let items: Vec<Value> = children
            .into_iter()
            .map(|(id, body)| {
                let mut m = serde_json::Map::new();
                m.insert(
                    "name".into(),
                    Value::String(id.name().unwrap_or_default().to_string()),
                );
                if let Some(p) = body.get("properties") {
                    m.insert("properties".into(), p.clone());
                }
                Value::Object(m)
            })
            .collect();
        if let Some(p) = b.get_mut("properties").and_then(Value::as_object_mut) {
            p.insert(key.clone(), Value::Array(items));
        }
    }
    b
}

/// A body as its API means it, for comparing:
/// * tag values are strings (ARM stores `true` as `"true"`);
/// * a diagnostic setting's categories are the enabled ones (a disabled
///   entry routes nothing), without the storage retention policy Azure
///   Monitor retired (learn.microsoft.com/azure/azure-monitor/essentials/
///   migrate-to-azure-storage-lifecycle-policy: new settings cannot set it)
///   nor the metrics' obsolete `timeGrain`;
/// * a role assignment has the properties of its API only
///   (RoleAssignmentProperties in the Authorization REST specification):
///   others a template sent are dropped by Azure, not stored;
/// * a user-assigned identity's `principalId` and `clientId` under
///   `identity.userAssignedIdentities` are the identity's, which Azure
///   fills in (read-only in the common `UserAssignedIdentity` definition,
///   azure-rest-api-specs specification/common-types/resource-management/
///   v5/managedidentity.json), even where a service's own spec forgets to
///   say so (API Management's `UserIdentityProperties`); a recreated
///   identity has new ones.
fn normalized(ty: &str, body: &Value) -> Value {
    let mut b = body.clone();
    if let Some(ua) = b
        .pointer_mut("/identity/userAssignedIdentities")
        .and_then(Value::as_object_mut)
    {
        for v in ua.values_mut().filter_map(Value::as_object_mut) {
            v.retain(|k, _| {
                !k.eq_ignore_ascii_case("principalId") && !k.eq_ignore_ascii_case("clientId")
            });
        }
    }
    if let Some(tags) = b.get_mut("tags").and_then(Value::as_object_mut) {
        for v in tags.values_mut() {
            if let Value::Bool(_) | Value::Number(_) = v {
                *v = Value::String(v.to_string());
            }
        }
    }
    if ty.eq_ignore_ascii_case("Microsoft.Insights/diagnosticSettings") {
        for list in ["logs", "metrics"] {
            if let Some(a) = b
                .pointer_mut(&format!("/properties/{list}"))
                .and_then(Value::as_array_mut)
            {
                a.retain(|e| e.get("enabled") != Some(&Value::Bool(false)));
                for e in a.iter_mut().filter_map(Value::as_object_mut) {
                    e.remove("retentionPolicy");
                    e.remove("timeGrain");
                }
            }
        }
    }
    // Key Vault access policies are a set keyed by tenant and object id
    // (`PUT {vault}/accessPolicies/{add|replace|remove}` match entries by
    // them; `add` appends), so their order carries no meaning.
    if ty.eq_ignore_ascii_case("Microsoft.KeyVault/vaults")
        && let Some(a) = b
            .pointer_mut("/properties/accessPolicies")
            .and_then(Value::as_array_mut)
    {
        a.sort_by_cached_key(|e| {
            (
                e["objectId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
                e["applicationId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
            )
        });
    }
    if ty.eq_ignore_ascii_case("Microsoft.Authorization/roleAssignments")
        && let Some(p) = b.get_mut("properties").and_then(Value::as_object_mut)
    {
        const API: &[&str] = &[
            "roleDefinitionId",
            "principalId",
            "principalType",
            "description",
            "condition",
            "conditionVersion",
            "delegatedManagedIdentityResourceId",
            "scope",
        ];
        p.retain(|k, _| API.iter().any(|a| a.eq_ignore_ascii_case(k)));
    }
    b
}

/// Flatten a body into (pointer, scalar) leaves, leaving out the envelope,
/// nulls, empty containers and the pointers `skip` names; strings of the
/// source mapped through `map`.
fn leaves(
    body: &Value,
    skip: &dyn Fn(&str) -> bool,
    map: Option<&Mapper<'_, '_>>,
) -> BTreeMap<String, Value> {
    fn walk(
        v: &Value,
        p: String,
        out: &mut BTreeMap<String, Value>,
        skip: &dyn Fn(&str) -> bool,
        map: Option<&Mapper<'_, '_>>,
    ) {
        if !p.is_empty() && skip(&p) {
            return;
        }
        match v {
            Value::Null => {}
            Value::Object(m) => {
                for (k, x) in m {
                    if p.is_empty() && ENVELOPE.contains(&k.as_str()) {
                        continue;
                    }
                    let key = map
                        .map(|mp| mp.map("", k))
                        .unwrap_or_else(|| k.clone())
                        .to_ascii_lowercase();
                    walk(
                        x,
                        format!("{p}/{}", key.replace('~', "~0").replace('/', "~1")),
                        out,
                        skip,
                        map,
                    );
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(x, format!("{p}/{i}"), out, skip, map);
                }
            }
            Value::String(s) => {
                let s = match map {
                    Some(mp) => mp.map(&p, s),
                    None => s.clone(),
                };
                out.insert(p, Value::String(s));
            }
            other => {
                out.insert(p, other.clone());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(body, String::new(), &mut out, skip, map);
    out
}

/// The pointers where source and target leaves differ, each with its
/// class and both values (secret-looking values not shown), in pointer
/// order. `raw` is the source as it was, `s` as it should read in the
/// target. Classes: `not-rewritten` (the target kept the source's value
/// where a renamed name, a re-pointed id or the region should have
/// changed), `dropped`, `added`, `changed`.
fn differences(
    raw: &BTreeMap<String, Value>,
    s: &BTreeMap<String, Value>,
    t: &BTreeMap<String, Value>,
) -> Vec<(&'static str, String)> {
    let show = |v: Option<&Value>| -> String {
        match v {
            None => "absent".into(),
            Some(Value::String(x)) if azrelo_arm::secrets::looks_secret(x) => "(secret)".into(),
            Some(x) => {
                let t = x.to_string();
                if t.len() > 80 {
                    format!("{}…", t.chars().take(80).collect::<String>())
                } else {
                    t
                }
            }
        }
    };
    let same = |a: &Value, b: &Value| match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    };
    let mut out = Vec::new();
    for (p, v) in s {
        match t.get(p) {
            Some(w) if same(v, w) => {}
            w => {
                // An empty string is no value (a template's `zones: [""]`).
                if w.is_none() && v.as_str() == Some("") {
                    continue;
                }
                let class = match (w, raw.get(p)) {
                    (None, _) => "dropped",
                    (Some(w), Some(r)) if same(r, w) => "not-rewritten",
                    _ => "changed",
                };
                out.push((
                    class,
                    format!("{p}: source {} → target {}", show(Some(v)), show(w)),
                ));
            }
        }
    }
    for (p, w) in t {
        if !s.contains_key(p) {
            out.push((
                "added",
                format!("{p}: source absent → target {}", show(Some(w))),
            ));
        }
    }
    out
}

/// A vault body whose access policies for re-granted source principals
/// name the principal the recreated identity has now.
async fn with_new_principals(em: &Emulator, body: &Value, regranted: &[(String, String)]) -> Value {
    let mut b = body.clone();
    if let Some(list) = b
        .pointer_mut("/properties/accessPolicies")
        .and_then(Value::as_array_mut)
    {
        for e in list.iter_mut() {
            let oid = e["objectId"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if let Some((_, identity)) = regranted.iter().find(|(p, _)| *p == oid)
                && let Some(now) = principal_of(em, identity).await
            {
                e["objectId"] = Value::String(now);
            }
        }
    }
    b
}

/// The principal id an identity (user-assigned, or a resource's
/// system-assigned identity) has now.
async fn principal_of(em: &Emulator, identity: &str) -> Option<String> {
    let b = get(em, identity).await?;
    b.pointer("/properties/principalId")
        .or_else(|| b.pointer("/identity/principalId"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn collect_strings(v: &Value, p: String, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => out.push((p, s.clone())),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect_strings(x, format!("{p}/{i}"), out);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                // Keys that hold ids (tag keys, identity maps) count too.
                out.push((format!("{p}/{k} (key)"), k.clone()));
                collect_strings(x, format!("{p}/{k}"), out);
            }
        }
        _ => {}
    }
}

/// The host names in a string (runs of host characters with at least
/// three labels): a URL's host, a bare host, the hosts inside a JSON text
/// (a workbook's `serializedData`), never the words around them (a
/// workbook parameter whose saved value is a region is the owner's choice,
/// not an endpoint).
fn host_names(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
        .map(|t| t.trim_matches('.'))
        .filter(|t| t.split('.').filter(|l| !l.is_empty()).count() >= 3)
}

/// A URL or a host name.
fn is_endpoint(s: &str) -> bool {
    s.contains("://")
        || (!s.contains(' ')
            && !s.starts_with('/')
            && s.split('.').filter(|l| !l.is_empty()).count() >= 3)
}

/// Whether `label` occurs in `s` as a DNS label or a label's dash-separated
/// part (`westeurope.cloudapp.azure.com`, `app-westeurope-01.…`),
/// case-insensitively.
fn has_label(s: &str, label: &str) -> bool {
    find_label(s, label).is_some()
}

fn find_label(s: &str, label: &str) -> Option<usize> {
    if label.is_empty() {
        return None;
    }
    let ls = s.to_ascii_lowercase();
    let ll = label.to_ascii_lowercase();
    let bytes = ls.as_bytes();
    let mut from = 0;
    while let Some(i) = ls[from..].find(&ll) {
        let at = from + i;
        let end = at + ll.len();
        let before_ok = at == 0 || !bytes[at - 1].is_ascii_alphanumeric();
        let after_ok = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before_ok && after_ok {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Where `name` is the first label of a host name in `s`: after the start
/// or a character no host holds (`/`, `@`, `:`), and followed by `.`.
fn find_host_label(s: &str, name: &str) -> Option<usize> {
    if name.is_empty() {
        return None;
    }
    let ls = s.to_ascii_lowercase();
    let ln = name.to_ascii_lowercase();
    let b = ls.as_bytes();
    ls.match_indices(&ln).map(|(at, _)| at).find(|&at| {
        let end = at + ln.len();
        let before_ok =
            at == 0 || !(b[at - 1].is_ascii_alphanumeric() || b"-._".contains(&b[at - 1]));
        before_ok && b.get(end) == Some(&b'.')
    })
}

fn replace_host_label(s: &str, from: &str, to: &str) -> String {
    match find_host_label(s, from) {
        Some(at) => format!("{}{to}{}", &s[..at], &s[at + from.len()..]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `newrelic` quickstart across geographies: the New Relic monitor
    /// is already in the target region (eastus), so the plan keeps it, and
    /// its system identity's "Monitoring Reader" assignment on the
    /// subscription stays valid where it is. The plan rightly does not
    /// recreate it; the comparison must not call it a source without a
    /// target. When the identity is relocated, the assignment must have a
    /// target.
    #[test]
    fn a_role_assignment_whose_scope_and_principal_stay_needs_no_target() {
        let sub = "/subscriptions/0b7e6a51-3c2d-4e8f-9a1b-2c3d4e5f6a7b";
        let principal = "e019b3d1-f16d-5c1b-8bfb-77a30a62904a";
        let estate_with = |location: &str| {
            let monitor = serde_json::json!({
                "id": format!("{sub}/resourceGroups/rg-obs/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-newrelic"),
                "name": "id-newrelic",
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
                "location": location,
                "properties": {"principalId": principal, "clientId": "5b2c7e1a-9d3f-4a6b-8c0e-1f2a3b4c5d6e",
                               "tenantId": "72f988bf-86f1-41af-91ab-2d7cd011db47"}
            });
            let text = serde_json::json!({"value": [monitor]}).to_string();
            let opts = azrelo_estate::LoadOptions {
                subscription: sub.trim_start_matches("/subscriptions/").into(),
                resource_group: "rg-obs".into(),
                location: location.into(),
                ..azrelo_estate::LoadOptions::default()
            };
            let inputs = vec![azrelo_estate::InputText {
                name: "resources.json".into(),
                text,
                path: None,
                explicit: true,
            }];
            azrelo_estate::load_texts(inputs, &opts, true).estate
        };
        let ra = serde_json::json!({
            "id": format!("{sub}/providers/Microsoft.Authorization/roleAssignments/37c54f08-fc1f-501a-af13-7ef4dafd16d1"),
            "type": "Microsoft.Authorization/roleAssignments",
            "name": "37c54f08-fc1f-501a-af13-7ef4dafd16d1",
            "properties": {
                "roleDefinitionId": format!("{sub}/providers/Microsoft.Authorization/roleDefinitions/43d0d8ad-25c7-4714-9337-8ba259a9fe05"),
                "principalId": principal,
                "principalType": "ServicePrincipal",
                "scope": sub
            }
        });
        for (location, moves) in [("eastus", false), ("westeurope", true)] {
            let estate = estate_with(location);
            let plan = azrelo_run::plan_estate(
                &estate,
                azrelo_catalog::Catalog::embedded(),
                &azrelo_plan::PlanOptions::new("eastus"),
            )
            .unwrap();
            let planned: IdIndex<&azrelo_plan::PlannedResource> = plan
                .resources
                .iter()
                .map(|r| (r.source_id.clone(), r))
                .collect();
            let source: IdIndex<Value> = estate
                .resources
                .iter()
                .map(|r| (r.id.clone(), serde_json::to_value(r).unwrap()))
                .collect();
            assert_eq!(
                role_assignment_moves(&ra, &planned, &relocated_principals(&planned, &source)),
                moves,
                "identity in {location}"
            );
        }
    }

    #[test]
    fn region_labels_are_found_in_host_names_only_as_whole_labels() {
        assert!(has_label(
            "myapp.westeurope.cloudapp.azure.com",
            "westeurope"
        ));
        assert!(has_label(
            "https://x-westeurope-01.azurewebsites.net/",
            "westeurope"
        ));
        assert!(!has_label(
            "https://northwesteurope.example.net",
            "westeurope"
        ));
        assert!(is_endpoint("myapp.westeurope.cloudapp.azure.com"));
        assert!(!is_endpoint("/subscriptions/s/resourceGroups/rg"));
        assert_eq!(
            replace_host_label("st1.blob.core.windows.net", "st1", "st1ne"),
            "st1ne.blob.core.windows.net"
        );
    }

    /// A region is a source-region endpoint only inside a host name.
    #[test]
    fn source_region_endpoints_are_host_names_that_carry_the_region() {
        let has = |s: &str| host_names(s).any(|h| has_label(h, "westeurope"));
        assert!(has("https://logic-apis-westeurope.azure-apim.net/apim/sql"));
        assert!(has(
            "https://westeurope.servicefabric.azure.com/runtime/clusters/x"
        ));
        assert!(!has(
            r#"{"items":[{"name":"Location","value":"westeurope"}],"link":"https://portal.azure.com/x"}"#
        ));
    }

    /// A renamed name leads a host name only as its whole first label: the
    /// web app `app` is not named by `app-sql.database.windows.net` (its
    /// SQL server's host), and an already renamed host is not renamed
    /// again by a shorter name it starts with.
    #[test]
    fn renamed_names_are_matched_as_a_host_names_first_label_only() {
        assert_eq!(
            find_host_label("jdbc:sqlserver://app-sql.database.windows.net:1433", "app"),
            None
        );
        assert!(
            find_host_label(
                "jdbc:sqlserver://app-sql.database.windows.net:1433",
                "app-sql"
            )
            .is_some()
        );
        assert_eq!(
            replace_host_label("https://kv1.vault.azure.net/", "kv1", "kv1-ne"),
            "https://kv1-ne.vault.azure.net/"
        );
        assert_eq!(
            find_host_label("https://x.kv1.vault.azure.net/", "kv1"),
            None
        );
    }

    #[test]
    fn differences_name_each_pointer_and_hide_secrets() {
        let s: BTreeMap<String, Value> = [
            ("/properties/a".to_string(), Value::from("x")),
            ("/properties/b".to_string(), Value::from(1)),
        ]
        .into_iter()
        .collect();
        let t: BTreeMap<String, Value> = [
            ("/properties/a".to_string(), Value::from("X")),
            (
                "/properties/c".to_string(),
                Value::from("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=abc=="),
            ),
        ]
        .into_iter()
        .collect();
        let d = differences(&s, &s, &t);
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(d[0].0, "dropped");
        assert!(
            d[0].1
                .starts_with("/properties/b: source 1 → target absent")
        );
        assert_eq!(d[1].0, "added");
        assert!(d[1].1.contains("(secret)"), "{d:?}");
    }

    /// The comparison accepts exactly the upgrade the plan declares: a
    /// target with the successor value passes, one that kept the retired
    /// SKU (or holds another value) is a `body:upgrade` finding.
    #[test]
    fn only_the_declared_upgrade_values_are_accepted() {
        let edits = [
            azrelo_plan::UpgradeChange {
                path: "/sku/name".into(),
                from: Some(Value::from("Basic")),
                to: Some(Value::from("Standard")),
                reason: "Basic public IPs were retired on 30 September 2025".into(),
            },
            azrelo_plan::UpgradeChange {
                path: "/properties/publicIPAllocationMethod".into(),
                from: Some(Value::from("Dynamic")),
                to: Some(Value::from("Static")),
                reason: "Standard is static only".into(),
            },
        ];
        let edits: Vec<&azrelo_plan::UpgradeChange> = edits.iter().collect();
        let upgraded = serde_json::json!({
            "sku": { "name": "Standard", "tier": "Regional" },
            "properties": { "publicIPAllocationMethod": "static" }
        });
        assert!(upgrade_findings("t", "ty", &upgraded, &edits, &Value::clone).is_empty());
        let kept = serde_json::json!({
            "sku": { "name": "Basic" },
            "properties": { "publicIPAllocationMethod": "Static" }
        });
        let f = upgrade_findings("t", "ty", &kept, &edits, &Value::clone);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].class, "body:upgrade");
        assert!(f[0].detail.contains("/sku/name"), "{f:?}");
        let missing = serde_json::json!({ "sku": { "name": "Standard" } });
        assert_eq!(
            upgrade_findings("t", "ty", &missing, &edits, &Value::clone).len(),
            1
        );
    }
}
