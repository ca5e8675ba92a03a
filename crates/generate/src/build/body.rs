//! A target body from a source record: envelope and server fields
//! dropped, catalog fixes, read-only stripping, location and name, ids
//! re-pointed, secrets turned into parameters; role assignment bodies.

use azrelo_arm::IdIndex;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_arm::scan::find_resource_ids;
use azrelo_arm::secrets::{is_secret_name, looks_secret};
use azrelo_arm::vocab;
use azrelo_catalog::FixAction;
use azrelo_estate::Estate;
use azrelo_plan::{PlannedResource, TargetPrincipal};
use serde_json::{Map, Value, json};

use super::*;

/// ARM GET-shaped bodies for the estate's extension records (diagnostic
/// settings, locks, policy exemptions), by id.
pub(super) fn record_bodies(estate: &Estate) -> IdIndex<Value> {
    azrelo_estate::arm_shape::extension_bodies(estate)
        .into_iter()
        .filter(|(id, _)| !id.type_or_scope_type().is(vocab::ROLE_ASSIGNMENTS))
        .collect()
}

/// The template resource for one planned resource.
pub(super) fn resource_body(
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
    let target = Some(r.target_id.clone());
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
    // Access policies of recreated principals: re-granted to the new ones.
    changes.extend(super::grants::drop_regranted_access_policies(
        ctx.plan, r, &mut body,
    ));
    // References an owner manages (its kubelet identity, the route table
    // it put on a subnet): the owner's move sets them again. Before the
    // catalog fixes, while the graph's paths still hold.
    let rec = ctx.edits.of(r.source_id.as_str());
    if let Some(rec) = rec {
        changes.extend(settings::drop_owner_managed(&mut body, &rec.drop));
        changes.extend(settings::rename_owned_groups(&mut body, &rec.names_owned));
        changes.extend(settings::bind_tls_later(&mut body, &rec.tls_later));
    }
    // Catalog template fixes for the type (universal ones included). A
    // type's fix with a condition applies only where the plan found it to
    // hold (`PlannedResource::template_fixes`, by id or `action path`): a
    // zonal resource keeps its zones in a target region that has zones.
    let lk = ctx.catalog.entry(ty);
    let universal = ctx.catalog.defaults().universal_template_fixes.len();
    for (i, fix) in lk.template_fixes().into_iter().enumerate() {
        if i >= universal && fix.when.is_some() {
            let label = fix
                .id
                .clone()
                .unwrap_or_else(|| format!("{} {}", fix.action.as_str(), fix.path));
            if !r.template_fixes.iter().any(|l| **l == *label) {
                continue;
            }
        }
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
    // Retired SKUs/features relocated as their successor: the edits the
    // plan resolved against this source (catalog `upgrades`).
    for up in &r.upgrades {
        for e in &up.edits {
            let pointer = match &e.to {
                Some(v) => set_ci(&mut body, &e.path, v.clone()),
                None => remove_ci(&mut body, &e.path),
            };
            changes.push(Change {
                pointer,
                kind: ChangeKind::Upgrade,
                detail: format!("upgrade {} (as {}): {}", up.id, up.to, e.reason),
            });
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
        clean(ctx, ty, rec, props, "/properties", params, changes);
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
    let own = Some(&r.target_id);
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

pub(super) fn role_assignment_body(
    ctx: &Ctx<'_>,
    ra: &azrelo_plan::RoleAssignmentPlan,
    rg_scoped: bool,
    params: &mut Params,
    changes: &mut Vec<Change>,
) -> Value {
    let principal = match &ra.target_principal {
        TargetPrincipal::Same { principal_id } => Value::String(principal_id.clone()),
        TargetPrincipal::NewPrincipalOf { identity } => {
            let p = params.add_kind(
                &format!(
                    "principalId_{}",
                    identity.rsplit('/').next().unwrap_or("identity")
                ),
                ParamKind::Run(RunValue::PrincipalId {
                    identity: identity.clone(),
                }),
            );
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
    if let Some(d) = &ra.description {
        props.insert("description".into(), Value::String(d.clone()));
    }
    // ARM accepts a condition only with its language version, and "2.0" is
    // the only one (REST API Role Assignments - Create: conditionVersion).
    if let Some(c) = &ra.condition {
        props.insert("condition".into(), Value::String(c.clone()));
        props.insert("conditionVersion".into(), Value::String("2.0".into()));
    }
    m.insert("properties".into(), Value::Object(props));
    Value::Object(m)
}

/// Strip read-only/server fields, rewrite ids and source locations, and turn
/// secrets into parameters at their leaf, recursively.
pub(super) fn clean(
    ctx: &Ctx<'_>,
    ty: &str,
    rec: Option<&settings::RecordEdits>,
    v: &mut Value,
    pointer: &str,
    params: &mut Params,
    changes: &mut Vec<Change>,
) {
    clean_in(ctx, ty, rec, v, pointer, params, changes, false)
}

/// [`clean`]; `in_write_only`: below a write-only object, whose leaves are
/// not secrets merely for being below it.
#[allow(clippy::too_many_arguments)]
fn clean_in(
    ctx: &Ctx<'_>,
    ty: &str,
    rec: Option<&settings::RecordEdits>,
    v: &mut Value,
    pointer: &str,
    params: &mut Params,
    changes: &mut Vec<Change>,
    in_write_only: bool,
) {
    match v {
        Value::Object(m) => {
            // `{name, value}` pairs (app settings, environment variables):
            // the value is a secret when the name is a secret's.
            let pair_name = m
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| is_secret_name(n))
                .map(str::to_string);
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
                let sensitive = ctx.flags.is_sensitive(ty, &p);
                let write_only = !in_write_only && ctx.flags.is_write_only(ty, &p);
                let pair_value = k.eq_ignore_ascii_case("value") && pair_name.is_some();
                let child = m.get_mut(&k).expect("key exists");
                // A setting with edits (a connection string naming a moved
                // resource) or a Key Vault reference is not secret as a
                // whole: its secret parts, if any, become parameters below.
                let reference = child.as_str().is_some_and(|s| {
                    settings::is_key_vault_reference(s)
                        || rec.is_some_and(|r| r.strings.contains_key(&p))
                });
                let kind = match child {
                    _ if reference => None,
                    Value::String(s) if s.is_empty() => None,
                    Value::String(_)
                        if sensitive
                            || write_only
                            || pair_value
                            || is_secret_name(&k)
                            || azrelo_arm::secrets::is_type_secret(ty, &p) =>
                    {
                        Some(ParamKind::SecureString)
                    }
                    Value::Object(o) if sensitive && !o.is_empty() => Some(ParamKind::SecureObject),
                    _ => None,
                };
                if let Some(kind) = kind {
                    let base = match (&pair_name, pair_value) {
                        (Some(n), true) => n.as_str(),
                        _ => k.as_str(),
                    };
                    let object = kind == ParamKind::SecureObject;
                    let name = params.add_kind(base, kind);
                    *child = Value::String(format!("[parameters('{name}')]"));
                    changes.push(Change {
                        pointer: p,
                        kind: ChangeKind::Secret,
                        detail: format!(
                            "secure parameter '{name}' ({}; value not copied)",
                            if object {
                                "secureObject"
                            } else {
                                "secureString"
                            }
                        ),
                    });
                    continue;
                }
                let below =
                    in_write_only || (write_only && (child.is_object() || child.is_array()));
                clean_in(ctx, ty, rec, child, &p, params, changes, below);
            }
            repoint_keys(ctx, m, pointer, changes);
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                clean_in(
                    ctx,
                    ty,
                    rec,
                    x,
                    &format!("{pointer}/{i}"),
                    params,
                    changes,
                    in_write_only,
                );
            }
        }
        Value::String(s) => {
            if let Some(edits) = rec.and_then(|r| r.strings.get(pointer)) {
                if let Some((n, below)) = ctx.rewrite_str(s) {
                    changes.push(reference_change(pointer.to_string(), below));
                    *s = n;
                }
                let (out, _) = settings::settle(s, edits, pointer, params, changes);
                *s = out;
                return;
            }
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
                && names_a_region(pointer)
            {
                *s = ctx.plan.target.region.clone();
                changes.push(Change {
                    pointer: pointer.to_string(),
                    kind: ChangeKind::Location,
                    detail: "source region → target region".into(),
                });
            } else if let Some((n, id)) = regional_host(ctx, s) {
                *s = n;
                changes.push(Change {
                    pointer: pointer.to_string(),
                    kind: ChangeKind::Location,
                    detail: format!("the source region's {id} host → the target region's"),
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

/// A string holding a regional service host of a source region
/// (`references.toml` `[[regional_hosts]]`), with the target region's
/// host instead, and the pattern's id.
fn regional_host<'c>(ctx: &Ctx<'c>, s: &str) -> Option<(String, &'c str)> {
    let target = &ctx.plan.target.region;
    ctx.catalog
        .references()
        .regional_hosts
        .iter()
        .find_map(|h| {
            ctx.plan.source_regions.iter().find_map(|from| {
                h.rewrite(s, &from.to_ascii_lowercase(), target)
                    .map(|n| (n, h.id.as_str()))
            })
        })
}

/// Whether the property at `pointer` names a region: `location` and
/// `…Location` members, and the `locationName` of a region list (a Cosmos
/// DB account's `locations[]`, whose GET returns the display name, "West
/// Europe"; <https://learn.microsoft.com/rest/api/cosmos-db-resource-provider/database-accounts/get>).
/// An item of a `locations` list of region names counts too (a subnet's
/// service endpoint, `ServiceEndpointPropertiesFormat.locations`, which
/// must include the network's own region:
/// <https://learn.microsoft.com/azure/virtual-network/virtual-network-service-endpoints-overview>).
/// A source region there becomes the target region: the resource is
/// created anew in the target, so its region list names the target.
fn names_a_region(pointer: &str) -> bool {
    let mut segs = pointer.rsplit('/');
    let last = segs.next().unwrap_or_default().to_ascii_lowercase();
    let item_of_locations = last.parse::<usize>().is_ok()
        && segs
            .next()
            .is_some_and(|p| p.eq_ignore_ascii_case("locations"));
    last.ends_with("location") || last == "locationname" || item_of_locations
}

/// The member of `m` named `key`, matched case-insensitively as ARM does
/// (the source's spelling kept).
fn key_ci(m: &Map<String, Value>, key: &str) -> String {
    m.keys()
        .find(|k| k.eq_ignore_ascii_case(key))
        .cloned()
        .unwrap_or_else(|| key.to_string())
}

/// A pointer segment of a member name.
fn escape(k: &str) -> String {
    k.replace('~', "~0").replace('/', "~1")
}

/// Write `value` at a plain JSON pointer, members matched
/// case-insensitively, objects created on the way; the pointer as the body
/// spells it.
fn set_ci(v: &mut Value, path: &str, value: Value) -> String {
    let segs: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut at = String::new();
    let mut cur = v;
    for (i, s) in segs.iter().enumerate() {
        let Value::Object(m) = cur else { break };
        let k = key_ci(m, s);
        at.push('/');
        at.push_str(&escape(&k));
        if i + 1 == segs.len() {
            m.insert(k, value);
            break;
        }
        cur = m.entry(k).or_insert_with(|| Value::Object(Map::new()));
    }
    at
}

/// Delete the member at a plain JSON pointer, matched case-insensitively;
/// the pointer as the body spells it.
fn remove_ci(v: &mut Value, path: &str) -> String {
    let segs: Vec<String> = path
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect();
    let mut at = String::new();
    let mut cur = Some(v);
    for (i, s) in segs.iter().enumerate() {
        let k = match cur.as_deref() {
            Some(Value::Object(m)) => key_ci(m, s),
            _ => s.clone(),
        };
        at.push('/');
        at.push_str(&escape(&k));
        cur = match cur {
            Some(Value::Object(m)) if i + 1 == segs.len() => {
                m.shift_remove(&k);
                None
            }
            Some(Value::Object(m)) => m.get_mut(&k),
            _ => None,
        };
    }
    at
}
