//! Reading, patching, deleting and listing resources and resource groups.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::{Value, json};

use super::operations::operation_response;
use super::{error, invalid_content, persistence_failed};
use crate::Emulator;
use crate::disks;
use crate::integrity::{self, locks};
use crate::state::{Event, Inner, Outcome, Stored, key, set_state};

pub(crate) fn get(em: &Emulator, id: &ResourceId) -> Response {
    let now = em.clock.now();
    let inner = em.state();
    let k = key(id.as_str());
    match inner.resources.get(&k) {
        Some(s) => (StatusCode::OK, axum::Json(inner.view(&k, &s.body, now))).into_response(),
        None => match inner
            .sub_resource(id)
            .or_else(|| super::behaviours::default_body(&inner, id))
        {
            Some(v) => (StatusCode::OK, axum::Json(v)).into_response(),
            None => not_found(&inner, id),
        },
    }
}

pub(crate) fn not_found(inner: &Inner, id: &ResourceId) -> Response {
    if let Some(rg) = id.resource_group_id()
        && !inner.resources.contains_key(&key(rg.as_str()))
    {
        return error(
            StatusCode::NOT_FOUND,
            "ResourceGroupNotFound",
            format!(
                "Resource group '{}' could not be found.",
                id.resource_group().unwrap_or_default()
            ),
            None,
        );
    }
    let ty = id.type_or_scope_type();
    error(
        StatusCode::NOT_FOUND,
        "ResourceNotFound",
        format!(
            "The Resource '{}/{}' under resource group '{}' was not found.",
            ty.as_str(),
            id.full_name().unwrap_or_default(),
            id.resource_group().unwrap_or_default()
        ),
        None,
    )
}

/// RFC 7386 JSON merge patch: objects merge recursively, `null` removes a
/// member, anything else replaces.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// PATCH: a merge patch of the stored resource as ARM applies it (tags only
/// for Network resources and groups); `id`, `name`, `type` and `location`
/// cannot change. A change beyond tags is an update operation timed by the
/// latency profile.
pub(crate) fn patch(em: &Emulator, id: &ResourceId, value: Option<Value>) -> Response {
    let now = em.clock.now();
    let mut inner = em.state();
    let k = key(id.as_str());
    let Some(mut s) = inner.resources.get(&k).cloned() else {
        return not_found(&inner, id);
    };
    // A ReadOnly lock refuses any PATCH, tags included.
    if let Err(r) = inner.locks.check(&s.id, locks::Op::Write) {
        return *r;
    }
    let Some(Value::Object(p)) = value else {
        return invalid_content("The request body must be a JSON object.");
    };
    if inner.running.contains_key(&k) {
        return error(
            StatusCode::CONFLICT,
            "AnotherOperationInProgress",
            format!(
                "Another operation on this or dependent resource is in progress: {}.",
                id.as_str()
            ),
            None,
        );
    }
    let ty = s.body["type"]
        .as_str()
        .unwrap_or(id.type_or_scope_type().as_str())
        .to_string();
    if let (Some(new), Some(old)) = (
        p.get("location").and_then(|l| l.as_str()),
        s.body.get("location").and_then(|l| l.as_str()),
    ) && !new
        .replace(' ', "")
        .eq_ignore_ascii_case(&old.replace(' ', ""))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidResourceLocation",
            format!(
                "The resource '{}' is in location '{old}'; its location cannot be changed to '{new}'.",
                id.name().unwrap_or_default()
            ),
            None,
        );
    }
    let tags_only = crate::types::facts(&ty).patch_tags_only || p.keys().all(|k| k == "tags");
    if tags_only {
        if let Some(tags) = p.get("tags") {
            s.body["tags"] = tags.clone();
        }
        let body = s.body.clone();
        if let Err(e) = inner.store(k.clone(), s) {
            return persistence_failed(e);
        }
        return (StatusCode::OK, axum::Json(inner.view(&k, &body, now))).into_response();
    }
    let mut body = s.body.clone();
    for (field, v) in &p {
        if matches!(field.as_str(), "id" | "name" | "type" | "location") {
            continue;
        }
        if v.is_null() {
            if let Some(m) = body.as_object_mut() {
                m.remove(field);
            }
        } else {
            merge_patch(&mut body[field.as_str()], v);
        }
    }
    if !body.get("properties").is_none_or(|p| p.is_object()) {
        return invalid_content("The request content was invalid: 'properties' must be an object.");
    }
    let plan = match disks::prepare(&inner, id, &ty, &mut body, now, em.latency) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    let duration = em.latency.update(&ty);
    set_state(
        &mut body,
        if duration.is_zero() {
            "Succeeded"
        } else {
            "Updating"
        },
    );
    if let Err(e) = inner.store(
        k.clone(),
        Stored {
            id: s.id.clone(),
            body: body.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    disks::apply(&mut inner, &k, &s.id, plan, now);
    let op = inner.start_operation(
        now,
        Some(&k),
        Some(&s.id),
        duration,
        Outcome::Succeeded,
        Some(Event::Finish("Succeeded")),
        false,
    );
    let shown = inner.view(&k, &body, now);
    if duration.is_zero() {
        return (StatusCode::OK, axum::Json(shown)).into_response();
    }
    operation_response(StatusCode::ACCEPTED, shown, &op, duration)
}

pub(crate) fn delete(em: &Emulator, id: &ResourceId) -> Response {
    let now = em.clock.now();
    let mut inner = em.state();
    let k = key(id.as_str());
    if !inner.resources.contains_key(&k) {
        return StatusCode::NO_CONTENT.into_response();
    }
    // Already being deleted: the same operation answers again.
    if let Some(r) = inner.running.get(&k).filter(|r| r.removing).cloned() {
        return operation_response(
            StatusCode::ACCEPTED,
            Value::Null,
            &r.op,
            r.done_at.saturating_sub(now),
        );
    }
    // Any lock at, above or below it refuses the deletion (ARM checks locks
    // before the resource provider sees the request).
    if let Err(r) = inner.locks.check(id.as_str(), locks::Op::Delete) {
        return *r;
    }
    let prefix = format!("{k}/");
    // In use: another resource still refers to it (or to a child).
    if let Err(r) = integrity::check_in_use(&inner, id, &k) {
        return *r;
    }
    // How long: the resource's own type, or for a group the longest of what
    // it holds (ARM deletes them in parallel).
    let duration = if id.kind() == IdKind::ResourceGroup {
        inner
            .resources
            .range(prefix.clone()..)
            .take_while(|(x, _)| x.starts_with(&prefix))
            .map(|(_, s)| {
                em.latency
                    .delete(s.body["type"].as_str().unwrap_or_default())
            })
            .max()
            .unwrap_or_default()
            .max(em.latency.delete("Microsoft.Resources/resourceGroups"))
    } else {
        em.latency.delete(id.type_or_scope_type().as_str())
    };
    // A create or update still running is canceled.
    if let Some(r) = inner.running.remove(&k) {
        inner.events.retain(|_, (ek, _)| *ek != k);
        if let Some(o) = inner.operations.get_mut(&r.op) {
            o.outcome = Outcome::Canceled;
            o.done_at = now;
        }
    }
    if !duration.is_zero()
        && let Some(mut st) = inner.resources.get(&k).cloned()
    {
        set_state(&mut st.body, "Deleting");
        if let Err(e) = inner.store(k.clone(), st) {
            return persistence_failed(e);
        }
    }
    let op = inner.start_operation(
        now,
        Some(&k),
        Some(id.as_str()),
        duration,
        Outcome::Succeeded,
        Some(Event::Remove),
        true,
    );
    operation_response(StatusCode::ACCEPTED, Value::Null, &op, duration)
}

pub(crate) fn list(em: &Emulator, scope: &str, groups: bool) -> Response {
    let now = em.clock.now();
    let inner = em.state();
    let prefix = if groups {
        format!("{scope}/")
    } else {
        format!("{}/", scope.trim_end_matches('/'))
    };
    let value: Vec<Value> = inner
        .resources
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(_, s)| {
            ResourceId::parse(&s.id).is_ok_and(|id| {
                if groups {
                    id.kind() == IdKind::ResourceGroup
                } else {
                    // ARM lists top-level resources only.
                    matches!(id.kind(), IdKind::Resource)
                        && id.resource_type().is_some_and(|t| t.depth() == 1)
                }
            })
        })
        .map(|(k, s)| inner.view(k, &s.body, now))
        .collect();
    (StatusCode::OK, axum::Json(json!({"value": value}))).into_response()
}
