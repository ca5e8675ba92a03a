//! Deployment records: the record and operations a run leaves (nested
//! deployments included), and `GET` of a deployment's operations and
//! operation status.

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use azrelo_arm::id::ResourceId;
use serde_json::{Value, json};

use super::API;
use super::engine::{Op, Run, Status, status_text};
use super::secrets::crate_hash;
use crate::Emulator;
use crate::api::operations::retry_after;
use crate::api::{error, persistence_failed};
use crate::state::{Event, Stored, key, rfc3339};

/// Store the deployment record, its nested deployments and their
/// operations, and answer the PUT.
pub(crate) fn finish(em: &Emulator, id: &ResourceId, run: Run) -> Response {
    let now = em.clock().now();
    let running = run.end > now;
    let final_state = run.record["properties"]["provisioningState"]
        .as_str()
        .unwrap_or("Failed")
        .to_string();
    let mut inner = em.lock();
    // Nested deployment records (ARM keeps one per nested deployment, with
    // its outputs), where their scope exists.
    let mut records: Vec<(String, String)> = vec![(String::new(), id.as_str().to_string())];
    for (n, s) in &run.nested {
        records.push((n.path.to_ascii_lowercase(), n.id.clone()));
        let Ok(nid) = ResourceId::parse(&n.id) else {
            continue;
        };
        if let Some(rg) = nid.resource_group_id()
            && !inner.resources.contains_key(&key(rg.as_str()))
        {
            continue;
        }
        let state = if *s == Status::Succeeded {
            "Succeeded"
        } else {
            "Failed"
        };
        let outputs = run
            .nested_outputs
            .get(&key(&n.id))
            .map(|o| {
                let mut m = serde_json::Map::new();
                for (k, v) in o.as_object().into_iter().flatten() {
                    m.insert(k.clone(), v.clone());
                }
                Value::Object(m)
            })
            .unwrap_or(json!({}));
        let body = json!({
            "id": n.id,
            "name": nid.name().unwrap_or_default(),
            "type": "Microsoft.Resources/deployments",
            "properties": {
                "provisioningState": state,
                "mode": "Incremental",
                "timestamp": rfc3339(run.wall),
                "outputs": outputs,
            },
        });
        let _ = inner.store(
            key(&n.id),
            Stored {
                id: n.id.clone(),
                body,
            },
        );
    }
    // Operations: each resource under the deployment it belongs to, each
    // nested deployment under its parent.
    let mut by_deployment: HashMap<String, Vec<Value>> = HashMap::new();
    let render = |op: &Op, dep_id: &str| -> Value {
        let op_id =
            crate_hash(&format!("{dep_id}|{}|{}", op.target_id, op.operation)).to_uppercase();
        let mut v = json!({
            "id": format!("{dep_id}/operations/{op_id}"),
            "operationId": op_id,
            "properties": {
                "provisioningOperation": op.operation,
                "provisioningState": if op.status == Status::Succeeded { "Succeeded" } else { "Failed" },
                "timestamp": rfc3339(op.wall),
                "duration": iso_duration(op.end.saturating_sub(op.start)),
                "trackingId": uuid::Uuid::new_v4().to_string(),
                "serviceRequestId": uuid::Uuid::new_v4().to_string(),
                "statusCode": status_text(op.http),
                "statusMessage": match &op.error {
                    Some(e) => json!({"status": "Failed", "error": e}),
                    None => json!({"status": "Succeeded"}),
                },
                "targetResource": {
                    "id": op.target_id,
                    "resourceType": op.target_type,
                    "resourceName": op.target_name,
                    "apiVersion": op.api_version,
                },
            },
            // Emulated start/end, turned into Running/Succeeded at read time.
            "$clock": [op.start.as_secs_f64(), op.end.as_secs_f64()],
        });
        if op.error.is_none()
            && let Some(m) = v["properties"].as_object_mut()
        {
            m.remove("statusMessage");
            m.insert("statusMessage".into(), json!({"status": "Succeeded"}));
        }
        v
    };
    let dep_id_of = |path: &str| -> String {
        records
            .iter()
            .find(|(p, _)| *p == path.to_ascii_lowercase())
            .map(|(_, i)| i.clone())
            .unwrap_or_else(|| id.as_str().to_string())
    };
    for op in &run.ops {
        let dep_id = dep_id_of(&op.deployment);
        by_deployment
            .entry(key(&dep_id))
            .or_default()
            .push(render(op, &dep_id));
    }
    for (n, s) in &run.nested {
        let parent = dep_id_of(&n.parent);
        let op = Op {
            deployment: n.parent.clone(),
            target_id: n.id.clone(),
            target_type: "Microsoft.Resources/deployments".into(),
            target_name: n.path.rsplit('/').next().unwrap_or(&n.path).to_string(),
            api_version: API.into(),
            operation: "Create",
            status: s.clone(),
            http: if *s == Status::Succeeded { 201 } else { 400 },
            error: (*s == Status::Failed).then(|| json!({"code": "DeploymentFailed", "message": "At least one resource deployment operation failed. Please list deployment operations for details."})),
            start: std::time::Duration::ZERO,
            end: run.end,
            wall: run.wall,
        };
        by_deployment
            .entry(key(&parent))
            .or_default()
            .push(render(&op, &parent));
    }
    for (_, dep) in &records {
        let list = by_deployment.remove(&key(dep)).unwrap_or_default();
        let oid = format!("{dep}/$operations");
        let _ = inner.store(
            key(&oid),
            Stored {
                id: oid.clone(),
                body: json!({"type": "azrelo.emulator/deploymentOperations", "value": list}),
            },
        );
    }
    // The deployment record: Running until its last resource completes.
    let mut record = run.record;
    if running {
        record["properties"]["provisioningState"] = json!("Running");
    }
    if let Err(e) = inner.store(
        key(id.as_str()),
        Stored {
            id: id.as_str().to_string(),
            body: record.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    if running {
        inner.schedule(
            run.end,
            key(id.as_str()),
            Event::Finish(leak_state(&final_state)),
        );
        record["properties"]["provisioningState"] = json!("Accepted");
    }
    drop(inner);
    let url = format!(
        "{}/operationStatuses/{}?api-version={API}",
        id.as_str(),
        crate_hash(&format!("{}|{}", id.as_str(), rfc3339(run.wall))).to_uppercase()
    );
    let mut r = (StatusCode::CREATED, axum::Json(record)).into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        r.headers_mut().insert("azure-asyncoperation", v.clone());
        r.headers_mut().insert("location", v);
    }
    // While it runs, tell clients when to poll (the Azure SDKs otherwise
    // wait their default 30 s before the first poll).
    if running {
        let remaining = run.end.saturating_sub(em.clock.now());
        r.headers_mut()
            .insert("retry-after", retry_after(remaining));
    }
    r
}

pub(crate) fn leak_state(s: &str) -> &'static str {
    match s {
        "Succeeded" => "Succeeded",
        "Canceled" => "Canceled",
        _ => "Failed",
    }
}

/// `GET {deployment}/operations[/{operationId}]` and
/// `GET {deployment}/operationStatuses/{id}`; `None` when the path is
/// neither.
pub(crate) fn deployment_subresource(em: &Emulator, path: &str) -> Option<Response> {
    let lower = path.to_ascii_lowercase();
    // `GET {scope}/providers/Microsoft.Resources/deployments`: the
    // deployments at exactly that scope (Deployments - List At Scope).
    if let Some(scope) = lower.strip_suffix("/providers/microsoft.resources/deployments") {
        let prefix = format!("{scope}/providers/microsoft.resources/deployments/");
        let inner = em.state();
        let value: Vec<Value> = inner
            .resources
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(_, s)| s.body.clone())
            .collect();
        return Some((StatusCode::OK, axum::Json(json!({"value": value}))).into_response());
    }
    let marker = "/providers/microsoft.resources/deployments/";
    let at = lower.rfind(marker)?;
    let rest = &path[at + marker.len()..];
    let mut parts = rest.splitn(3, '/');
    let name = parts.next()?;
    let what = parts.next()?.to_ascii_lowercase();
    let op = parts.next();
    if what != "operations" && what != "operationstatuses" {
        return None;
    }
    let dep_id = &path[..at + marker.len() + name.len()];
    let now = em.clock().now().as_secs_f64();
    let inner = em.state();
    let Some(dep) = inner.resources.get(&key(dep_id)) else {
        return Some(error(
            StatusCode::NOT_FOUND,
            "DeploymentNotFound",
            format!("Deployment '{name}' could not be found."),
            None,
        ));
    };
    match what.as_str() {
        "operationstatuses" => {
            let state = dep.body["properties"]["provisioningState"]
                .as_str()
                .unwrap_or("Running");
            let status = match state {
                "Accepted" | "Running" => "Running",
                s => s,
            };
            let mut v = json!({"status": status});
            if let Some(e) = dep.body["properties"].get("error")
                && status == "Failed"
            {
                v["error"] = e.clone();
            }
            let mut r = (StatusCode::OK, axum::Json(v)).into_response();
            if status == "Running" {
                // Poll again soon (the SDKs' default otherwise is 30 s).
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
            }
            Some(r)
        }
        "operations" => {
            let ops = inner
                .resources
                .get(&key(&format!("{dep_id}/$operations")))
                .map(|s| s.body["value"].as_array().cloned().unwrap_or_default())
                .unwrap_or_default();
            let shown: Vec<Value> = ops
                .into_iter()
                .map(|mut o| {
                    let end = o["$clock"][1].as_f64().unwrap_or(0.0);
                    if let Some(m) = o.as_object_mut() {
                        m.remove("$clock");
                    }
                    if end > now {
                        o["properties"]["provisioningState"] = json!("Running");
                        o["properties"]["statusMessage"] = json!({"status": "Running"});
                    }
                    o
                })
                .collect();
            match op {
                None => Some((StatusCode::OK, axum::Json(json!({"value": shown}))).into_response()),
                Some(o) => Some(
                    match shown.into_iter().find(|x| {
                        x["operationId"]
                            .as_str()
                            .is_some_and(|i| i.eq_ignore_ascii_case(o))
                    }) {
                        Some(x) => (StatusCode::OK, axum::Json(x)).into_response(),
                        None => error(
                            StatusCode::NOT_FOUND,
                            "DeploymentOperationNotFound",
                            format!(
                                "Deployment operation '{o}' of deployment '{name}' could not be found."
                            ),
                            None,
                        ),
                    },
                ),
            }
        }
        _ => None,
    }
}

/// ISO 8601 duration (`PT1M2.5S`), as ARM writes `duration`.
pub(crate) fn iso_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let frac = d.subsec_micros();
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if frac > 0 {
        out.push_str(&format!("{s}.{frac:06}S"));
    } else {
        out.push_str(&format!("{s}S"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_iso_8601() {
        use std::time::Duration;
        assert_eq!(iso_duration(Duration::from_secs(0)), "PT0S");
        assert_eq!(iso_duration(Duration::from_millis(1500)), "PT1.500000S");
        assert_eq!(iso_duration(Duration::from_secs(3723)), "PT1H2M3S");
    }
}
