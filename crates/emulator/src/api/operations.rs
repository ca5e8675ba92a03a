//! Long-running operations as ARM exposes them: the `Azure-AsyncOperation`
//! status endpoint, the `Location` result endpoint and `Retry-After`.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::error;
use crate::Emulator;
use crate::state::{Outcome, key, rfc3339};

/// A 200/201/202 answer with ARM's long-running operation headers:
/// `Azure-AsyncOperation` (the status endpoint), `Location` (the result
/// endpoint) and, while the operation runs, `Retry-After`.
pub(crate) fn operation_response(
    status: StatusCode,
    body: Value,
    op: &str,
    remaining: Duration,
) -> Response {
    let mut r = if body.is_null() {
        status.into_response()
    } else {
        (status, axum::Json(body)).into_response()
    };
    let status_url = format!("/providers/azrelo.emulator/operations/{op}?api-version=2024-01-01");
    let result_url =
        format!("/providers/azrelo.emulator/operationResults/{op}?api-version=2024-01-01");
    if let Ok(v) = HeaderValue::from_str(&status_url) {
        r.headers_mut().insert("azure-asyncoperation", v);
    }
    if let Ok(v) = HeaderValue::from_str(&result_url) {
        r.headers_mut().insert("location", v);
    }
    if !remaining.is_zero() {
        r.headers_mut()
            .insert("retry-after", retry_after(remaining));
    }
    r
}

/// Seconds until an operation is worth polling again: what remains, at
/// least 1 and at most 15 (ARM's usual range).
pub(crate) fn retry_after(remaining: Duration) -> HeaderValue {
    let secs = remaining.as_secs_f64().ceil().clamp(1.0, 15.0) as u64;
    HeaderValue::from(secs)
}

pub(crate) fn operation_not_found(op: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "OperationNotFound",
        format!("Operation {op} not found."),
        None,
    )
}

/// `GET …/operations/{op}` (Azure-AsyncOperation): `InProgress` until the
/// operation's completion time, then `Succeeded`, `Failed` (with ARM's error)
/// or `Canceled`.
pub(crate) fn operation_status(em: &Emulator, op: &str) -> Response {
    let now = em.clock.now();
    let inner = em.state();
    let Some(o) = inner.operations.get(op) else {
        return operation_not_found(op);
    };
    let done = now >= o.done_at;
    let mut body = json!({
        "id": format!("/providers/azrelo.emulator/operations/{op}"),
        "name": op,
        "status": if done { o.outcome.status() } else { "InProgress" },
        "startTime": rfc3339(o.started_wall + o.started.saturating_sub(o.requested)),
    });
    if done {
        body["endTime"] = json!(rfc3339(
            o.started_wall + o.done_at.saturating_sub(o.requested)
        ));
        if let Outcome::Failed(e) = &o.outcome {
            body["error"] = e.clone();
        }
        return (StatusCode::OK, axum::Json(body)).into_response();
    }
    let total = (o.done_at - o.requested).as_secs_f64().max(f64::EPSILON);
    let pct = (now.saturating_sub(o.requested).as_secs_f64() / total * 100.0).min(99.0);
    body["percentComplete"] = json!(pct.floor());
    let mut r = (StatusCode::OK, axum::Json(body)).into_response();
    r.headers_mut()
        .insert("retry-after", retry_after(o.done_at - now));
    r
}

/// `GET …/operationResults/{op}` (Location): 202 while the operation runs,
/// then the resource (200), nothing (204, a deletion) or the error.
pub(crate) fn operation_result(em: &Emulator, op: &str) -> Response {
    let now = em.clock.now();
    let inner = em.state();
    let Some(o) = inner.operations.get(op) else {
        return operation_not_found(op);
    };
    if now < o.done_at {
        let mut r = StatusCode::ACCEPTED.into_response();
        let url =
            format!("/providers/azrelo.emulator/operationResults/{op}?api-version=2024-01-01");
        if let Ok(v) = HeaderValue::from_str(&url) {
            r.headers_mut().insert("location", v);
        }
        r.headers_mut()
            .insert("retry-after", retry_after(o.done_at - now));
        return r;
    }
    match &o.outcome {
        Outcome::Succeeded => {
            if o.deleting {
                return StatusCode::NO_CONTENT.into_response();
            }
            match o
                .resource
                .as_deref()
                .and_then(|id| inner.resources.get(&key(id)))
            {
                Some(s) => (
                    StatusCode::OK,
                    axum::Json(inner.view(&key(&s.id), &s.body, now)),
                )
                    .into_response(),
                None => StatusCode::NO_CONTENT.into_response(),
            }
        }
        Outcome::Failed(e) => {
            let status = if e["code"] == "InternalExecutionError" {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, axum::Json(json!({"error": e}))).into_response()
        }
        Outcome::Canceled => error(
            StatusCode::CONFLICT,
            "OperationCanceled",
            "The operation was canceled.",
            None,
        ),
    }
}
