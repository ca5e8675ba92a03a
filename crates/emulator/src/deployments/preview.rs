//! `validate` and `whatIf`: the template expanded, nothing changed.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use azrelo_arm::id::ResourceId;
use serde_json::{Value, json};

use super::engine::template_error;
use super::expand::expand_pass;
use super::runtime::Resolver;
use super::secrets::leaf;
use super::{Mode, Prepared};
use crate::Emulator;
use crate::state::key;

/// `validate` (the template expands and its resources are listed) and
/// `whatIf` (per resource: Create, Modify or NoChange against the current
/// state); nothing is changed.
pub(crate) fn preview(em: &Emulator, id: &ResourceId, p: &Prepared, mode: Mode) -> Response {
    let mut rt = Resolver::new(em);
    let x = match expand_pass(p, &mut rt) {
        Ok(x) => x,
        Err(e) => {
            let mut err = template_error(&e);
            err["code"] = json!("InvalidTemplate");
            return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": err}))).into_response();
        }
    };
    if mode == Mode::Validate {
        return (
            StatusCode::OK,
            axum::Json(json!({
                "id": id.as_str(),
                "name": p.name,
                "type": "Microsoft.Resources/deployments",
                "properties": {
                    "provisioningState": "Succeeded",
                    "mode": "Incremental",
                    "validatedResources": x.validated,
                },
            })),
        )
            .into_response();
    }
    let inner = em.lock();
    let changes: Vec<Value> = x
        .resources
        .iter()
        .map(|r| {
            let (change, before) = match inner.resources.get(&key(&r.id)) {
                None => ("Create", Value::Null),
                Some(s) => {
                    let mut stored = s.body.get("properties").cloned().unwrap_or(Value::Null);
                    if let Some(m) = stored.as_object_mut() {
                        m.remove("provisioningState");
                    }
                    let same = r.body.get("properties").is_some_and(|p| *p == stored);
                    (if same { "NoChange" } else { "Modify" }, s.body.clone())
                }
            };
            let mut after = r.body.clone();
            after["id"] = json!(r.id);
            after["type"] = json!(r.resource_type);
            after["name"] = json!(leaf(&r.id));
            json!({"resourceId": r.id, "changeType": change, "before": before, "after": after})
        })
        .collect();
    (
        StatusCode::OK,
        axum::Json(json!({"status": "Succeeded", "properties": {"changes": changes}})),
    )
        .into_response()
}
