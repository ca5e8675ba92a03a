//! PUT of a resource group or a resource: ARM's checks in ARM's order
//! (group, locks, parent, location, operation in progress, global name,
//! references, identities, the disk data path), then the write and its
//! long-running operation.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use azrelo_arm::availability::Status;
use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::{Value, json};

use super::operations::operation_response;
use super::resources::not_found;
use super::{error, invalid_content, persistence_failed};
use crate::Emulator;
use crate::integrity::{self, locks};
use crate::state::{Event, Outcome, Stored, TENANT, key, set_state};
use crate::{defaults, disks, names};

pub(crate) fn put_group(em: &Emulator, id: &ResourceId, value: Option<Value>) -> Response {
    let Some(location) = value
        .as_ref()
        .and_then(|v| v.get("location"))
        .and_then(|l| l.as_str())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "LocationRequired",
            "The location property is required for this definition.",
            None,
        );
    };
    if azrelo_arm::Regions::embedded().get(location).is_none() {
        return error(
            StatusCode::BAD_REQUEST,
            "LocationNotAvailableForResourceGroup",
            format!("The provided location '{location}' is not available for resource group."),
            None,
        );
    }
    let mut inner = em.lock();
    // A ReadOnly lock on the group or its subscription refuses the write.
    if let Err(r) = inner.locks.check(id.as_str(), locks::Op::Write) {
        return *r;
    }
    let k = key(id.as_str());
    let existed = inner.resources.contains_key(&k);
    let body = json!({
        "id": id.as_str(),
        "name": id.resource_group().unwrap_or_default(),
        "type": "Microsoft.Resources/resourceGroups",
        "location": location,
        "tags": value.as_ref().and_then(|v| v.get("tags")).cloned().unwrap_or(json!({})),
        "properties": {"provisioningState": "Succeeded"},
    });
    if let Err(e) = inner.store(
        k,
        Stored {
            id: id.as_str().to_string(),
            body: body.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    (status, axum::Json(body)).into_response()
}

pub(crate) fn put(em: &Emulator, id: &ResourceId, value: Option<Value>) -> Response {
    put_with(em, id, value, false)
}

/// Create or update a resource; with `fail_operation` the PUT is accepted
/// but its operation ends `Failed` (an injected fault).
pub(crate) fn put_with(
    em: &Emulator,
    id: &ResourceId,
    value: Option<Value>,
    fail_operation: bool,
) -> Response {
    let mut body = value.unwrap_or_else(|| json!({}));
    if !body.is_object() {
        return invalid_content("The request body must be a JSON object.");
    }
    let ty = id.type_or_scope_type();
    let ty_s = ty.as_str().to_string();
    let facts = crate::types::facts(&ty_s);
    let now = em.clock.now();
    let mut inner = em.state();
    // The resource group must exist.
    if let Some(rg) = id.resource_group_id()
        && !inner.resources.contains_key(&key(rg.as_str()))
    {
        return not_found(&inner, id);
    }
    // A ReadOnly lock at or above the resource refuses the write.
    if let Err(r) = inner.locks.check(id.as_str(), locks::Op::Write) {
        return *r;
    }
    // So must the parent of a child resource (and the scope of an extension
    // below a resource group).
    let parent = if id.kind() == IdKind::Extension {
        id.scope()
    } else {
        id.parent()
    };
    // ARM creates singleton service children (`…/fileServices/default`,
    // `…/blobServices/default`) with their parent.
    let implicit = |p: &ResourceId| {
        p.name().is_some_and(|n| n.eq_ignore_ascii_case("default"))
            && p.parent()
                .is_some_and(|g| inner.resources.contains_key(&key(g.as_str())))
    };
    if let Some(p) = &parent
        && matches!(p.kind(), IdKind::Resource | IdKind::Extension)
        && !inner.exists(p)
        && !implicit(p)
    {
        return error(
            StatusCode::NOT_FOUND,
            "ParentResourceNotFound",
            format!(
                "Can not perform requested operation on nested resource. Parent resource '{}' not found.",
                p.full_name().unwrap_or_default()
            ),
            None,
        );
    }
    // Location against the provider snapshot (unknown is not unavailable:
    // only a type the snapshot knows without the region is refused).
    if let Some(loc) = body.get("location").and_then(|l| l.as_str())
        && !loc.eq_ignore_ascii_case("global")
    {
        let a = azrelo_arm::Availability::embedded().check(&ty_s, loc);
        if a.status == Status::NotListed {
            return error(
                StatusCode::BAD_REQUEST,
                "LocationNotAvailableForResourceType",
                format!(
                    "The provided location '{loc}' is not available for resource type '{ty_s}'."
                ),
                None,
            );
        }
        if a.status == Status::UnknownType
            && azrelo_arm::Availability::embedded()
                .type_info(&ty_s)
                .is_none()
            && !azrelo_arm::Availability::embedded()
                .types()
                .any(|t| t.namespace().eq_ignore_ascii_case(ty.namespace()))
        {
            return error(
                StatusCode::BAD_REQUEST,
                "NoRegisteredProviderFound",
                format!(
                    "No registered resource provider found for location '{loc}' and type '{ty_s}'."
                ),
                None,
            );
        }
    }
    let k = key(id.as_str());
    let existed = inner.resources.contains_key(&k);
    // One operation at a time on a resource (Network and Compute answer
    // 409 AnotherOperationInProgress while one runs).
    if let Some(r) = inner.running.get(&k) {
        return error(
            StatusCode::CONFLICT,
            "AnotherOperationInProgress",
            format!(
                "Another operation on this or dependent resource is in progress: {} is {}.",
                id.as_str(),
                if r.removing {
                    "being deleted"
                } else {
                    "being created or updated"
                }
            ),
            None,
        );
    }
    // Globally unique names.
    let name = id.name().unwrap_or_default().to_string();
    if !existed && let Err(r) = names::check_global_name(&inner, &ty_s, &name) {
        return *r;
    }
    // Referential integrity.
    if let Err(r) = integrity::check_references(&inner, id, &ty_s, &body) {
        return *r;
    }
    // What the type does beyond storing the body (an action answered here,
    // checks and fields of its own).
    if let Some(b) = facts.behaviour {
        match super::behaviours::before_put(&mut inner, id, &mut body, b) {
            Ok(Some(answer)) => return answer,
            Ok(None) => {}
            Err(r) => return *r,
        }
    }
    // Identities.
    if let Some(ident) = body.get_mut("identity").and_then(|i| i.as_object_mut()) {
        let kind = ident
            .get("type")
            .and_then(|t| t.as_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if kind.contains("systemassigned") {
            let principal =
                uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, format!("{k}#system").as_bytes());
            ident.insert("principalId".into(), json!(principal.to_string()));
            ident.insert("tenantId".into(), json!(TENANT));
        }
        if let Some(Value::Object(ua)) = ident.get_mut("userAssignedIdentities") {
            for (uid, v) in ua.iter_mut() {
                let Some(u) = inner.resources.get(&key(uid)) else {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "InvalidIdentity",
                        format!("The user-assigned identity '{uid}' was not found."),
                        None,
                    );
                };
                *v = json!({
                    "principalId": u.body["properties"]["principalId"],
                    "clientId": u.body["properties"]["clientId"],
                });
            }
        }
    }
    let Some(obj) = body.as_object_mut() else {
        return invalid_content("The request body must be a JSON object.");
    };
    obj.insert("id".into(), json!(id.as_str()));
    obj.insert("name".into(), json!(name));
    obj.insert("type".into(), json!(ty_s));
    // `zones` is a string array in every provider's API (Compute, Network,
    // Storage...); a template that writes an `int` zone parameter
    // (`"zones": ["[parameters('zone')]"]` with `"type": "Int"`, as the
    // sql-vm-new-storage-ultrassd quickstart does) is accepted and read
    // back as `["2"]`.
    if let Some(Value::Array(zones)) = obj.get_mut("zones") {
        for z in zones.iter_mut() {
            if let Value::Number(n) = z {
                *z = Value::String(n.to_string());
            }
        }
    }
    let props = obj.entry("properties").or_insert_with(|| json!({}));
    if props.is_null() {
        *props = json!({});
    }
    let Some(p) = props.as_object_mut() else {
        return invalid_content("The request content was invalid: 'properties' must be an object.");
    };
    {
        if ty_s.eq_ignore_ascii_case("Microsoft.ManagedIdentity/userAssignedIdentities") {
            let seed = format!("{k}#uami");
            let principal = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, seed.as_bytes());
            let client = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, seed.as_bytes());
            p.insert("principalId".into(), json!(principal.to_string()));
            p.insert("clientId".into(), json!(client.to_string()));
            p.insert("tenantId".into(), json!(TENANT));
        }
    }
    // The disk data path: managed disks, snapshots, copies, attachments.
    let disk_plan = match disks::prepare(&inner, id, &ty_s, &mut body, now, em.latency) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let duration = if existed {
        em.latency.update(&ty_s)
    } else {
        em.latency.create(&ty_s)
    };
    let transitional = if existed { "Updating" } else { "Creating" };
    let (outcome, final_state) = if fail_operation {
        (
            Outcome::Failed(json!({
                "code": "InternalExecutionError",
                "message": "An internal execution error occurred. (injected fault: the operation failed)",
            })),
            "Failed",
        )
    } else {
        (Outcome::Succeeded, "Succeeded")
    };
    set_state(
        &mut body,
        if duration.is_zero() {
            final_state
        } else {
            transitional
        },
    );
    if let Err(e) = inner.store(
        k.clone(),
        Stored {
            id: id.as_str().to_string(),
            body: body.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    disks::apply(&mut inner, &k, id.as_str(), disk_plan, now);
    if !existed
        && !fail_operation
        && let Some(what) = facts.on_create
        && let Err(e) = defaults::create(&mut inner, what, id, &body)
    {
        return persistence_failed(e);
    }
    let op = inner.start_operation(
        now,
        Some(&k),
        Some(id.as_str()),
        duration,
        outcome,
        Some(Event::Finish(final_state)),
        false,
    );
    let mut shown = inner.view(&k, &body, now);
    set_state(&mut shown, transitional);
    let (status, with_body) = facts.put.status(existed);
    operation_response(
        status,
        if with_body { shown } else { Value::Null },
        &op,
        duration,
    )
}
