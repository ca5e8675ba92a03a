//! Collection GETs: `GET {scope}/providers/{namespace}/{type}` and
//! `GET {parent}/{childType}` list the resources of one type, as ARM's list
//! operations do. What discovery reads: diagnostic settings of a resource
//! (`{id}/providers/Microsoft.Insights/diagnosticSettings`), role assignments,
//! locks and policy exemptions of a subscription, subnets of a network, all
//! storage accounts of a group or subscription.
//!
//! Scope rule, as ARM's list operations behave: listing at a subscription or
//! resource group returns every resource of that type within it (e.g.
//! "Role Assignments - List For Subscription", "Management Locks - List At
//! Subscription Level", "Policy Exemptions - List" include those on groups and
//! resources below); listing under a resource returns only its own children or
//! extensions (e.g. "Diagnostic Settings - List" for one resource).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::{Value, json};

use crate::Emulator;
use crate::state::key;

/// `Some(response)` when `path` names a collection (a valid id once a name is
/// appended), `None` otherwise.
pub(crate) fn list_collection(em: &Emulator, path: &str) -> Option<Response> {
    let path = path.trim_end_matches('/');
    let probe = ResourceId::parse(&format!("{path}/x")).ok()?;
    let ty = probe.resource_type()?;
    let container = probe.parent()?;
    let deep = matches!(
        container.kind(),
        IdKind::Subscription | IdKind::ResourceGroup
    );
    let now = em.clock.now();
    let inner = em.state();
    let prefix = format!("{}/", key(container.as_str()));
    let mut value: Vec<Value> = inner
        .resources
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .filter(|(_, s)| {
            ResourceId::parse(&s.id).is_ok_and(|id| {
                id.resource_type().is_some_and(|t| t.is(ty.as_str()))
                    && (deep || id.parent().is_some_and(|p| p == container))
            })
        })
        .map(|(k, s)| inner.view(k, &s.body, now))
        .collect();
    // Children ARM also keeps inline in the parent (subnets, security rules,
    // routes…) are listed from the parent's body when not stored on their own.
    if !deep && !probe.is_extension() {
        let segment = path.rsplit('/').next().unwrap_or_default();
        if let Some(items) = inner
            .resources
            .get(&key(container.as_str()))
            .and_then(|p| p.body.get("properties")?.as_object())
            .and_then(|props| {
                props
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(segment))?
                    .1
                    .as_array()
            })
        {
            for item in items {
                let Some(name) = item.get("name").and_then(Value::as_str) else {
                    continue;
                };
                let child = container.child(segment, name);
                let listed = value.iter().any(|v| {
                    v.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|i| i.eq_ignore_ascii_case(child.as_str()))
                });
                if !listed && let Some(v) = inner.sub_resource(&child) {
                    value.push(v);
                }
            }
        }
    }
    // A child implies its parent: a stored blob container whose
    // `blobServices/default` was never stored itself (seeded estates hold
    // only what an export listed) still has that parent in ARM, which
    // lists it.
    if !deep && !probe.is_extension() {
        let mut implied: Vec<ResourceId> = Vec::new();
        for (_, s) in inner
            .resources
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
        {
            let Ok(id) = ResourceId::parse(&s.id) else {
                continue;
            };
            let mut cur = id.parent();
            while let Some(p) = cur {
                if p.parent().as_ref() == Some(&container) {
                    if p.resource_type().is_some_and(|t| t.is(ty.as_str()))
                        && !inner.resources.contains_key(&key(p.as_str()))
                        && !implied.contains(&p)
                    {
                        implied.push(p);
                    }
                    break;
                }
                cur = p.parent();
            }
        }
        for p in implied {
            value.push(json!({
                "id": p.as_str(),
                "name": p.name().unwrap_or_default(),
                "type": p.type_or_scope_type().as_str(),
                "properties": {},
            }));
        }
    }
    // Settings every parent has without anyone creating them (a vault's
    // built-in policies, a subscription's Defender plans), once each.
    for d in super::behaviours::listed_defaults(&inner, &container, ty.as_str()) {
        let same = |v: &Value| {
            v["id"]
                .as_str()
                .zip(d["id"].as_str())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        if !value.iter().any(same) {
            value.push(d);
        }
    }
    Some((StatusCode::OK, axum::Json(json!({"value": value}))).into_response())
}
