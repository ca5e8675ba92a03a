//! The deployments API: `Microsoft.Resources/deployments` at resource group
//! and subscription scope, executed by azrelo's template engine through the
//! same rules as direct PUTs, with `validate` and `whatIf`.

use super::*;
/// `Microsoft.Resources/deployments` at resource group or subscription
/// scope: the inline template is expanded by azrelo's template engine and its
/// resources are created in dependency order through the same rules as
/// direct PUTs; the deployment records its outcome, outputs and the first
/// error.
pub(super) async fn deploy(
    em: &Emulator,
    id: &ResourceId,
    value: Option<Value>,
    mode: Mode,
) -> Response {
    use azrelo_template::{DeploymentContext, ExpandOptions, Template, TemplateScope, expand};
    let body = value.unwrap_or_else(|| json!({}));
    let props = &body["properties"];
    let Some(template) = props.get("template").filter(|t| t.is_object()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidTemplate",
            "The deployment needs properties.template (templateLink is not supported by the emulator).",
            None,
        );
    };
    let name = id.name().unwrap_or("deployment").to_string();
    let mut opts = ExpandOptions {
        context: DeploymentContext::default(),
        parameters: Default::default(),
        base_dir: None,
        scope: None,
        template_link: None,
    };
    opts.context.subscription_id = id.subscription_id().unwrap_or_default().to_string();
    opts.context.deployment_name = name.clone();
    match id.resource_group() {
        Some(rg) => {
            let loc = {
                let inner = em.inner.lock().expect("emulator state");
                let Some(g) = id
                    .resource_group_id()
                    .and_then(|g| inner.resources.get(&key(g.as_str())).cloned())
                else {
                    return not_found(&inner, id);
                };
                g.body["location"]
                    .as_str()
                    .unwrap_or("westeurope")
                    .to_string()
            };
            opts.context.resource_group = rg.to_string();
            opts.context.resource_group_location = loc.clone();
            opts.context.location = loc;
            opts.scope = Some(TemplateScope::ResourceGroup);
        }
        None => {
            let loc = body["location"]
                .as_str()
                .unwrap_or("westeurope")
                .to_string();
            opts.context.location = loc;
            opts.scope = Some(TemplateScope::Subscription);
        }
    }
    if let Some(Value::Object(ps)) = props.get("parameters") {
        for (k, v) in ps {
            if let Some(val) = v.get("value") {
                opts.parameters.insert(k.clone(), val.clone());
            }
        }
    }
    let outcome = Template::parse(&template.to_string(), &name)
        .map_err(|e| e.to_string())
        .and_then(|t| expand(&t, &opts).map_err(|e| e.to_string()));
    if mode != Mode::Deploy {
        return preview(em, id, &name, outcome, mode);
    }
    let (state, error_body, outputs, created) = match outcome {
        Err(e) => (
            "Failed",
            Some(json!({"code": "InvalidTemplate", "message": e})),
            json!({}),
            Vec::new(),
        ),
        Ok(mut x) => {
            x.redact();
            let outputs: serde_json::Map<String, Value> = x
                .outputs
                .iter()
                .map(|(k, v)| (k.clone(), json!({"value": v.to_json()})))
                .collect();
            let resources = deployable(&x);
            let order = deployment_order(&resources);
            let mut failed = None;
            let mut created = Vec::new();
            for i in order {
                let r = resources[i];
                let mut b = serde_json::Map::new();
                if let Some(l) = &r.location {
                    b.insert("location".into(), l.to_json());
                }
                for (k, v) in &r.body {
                    if k != "scope" {
                        b.insert(k.clone(), v.to_json());
                    }
                }
                let Ok(rid) = ResourceId::parse(&r.id) else {
                    failed = Some(
                        json!({"code": "InvalidResourceId", "message": format!("{} is not a resource id", r.id)}),
                    );
                    break;
                };
                let resp = match rid.kind() {
                    IdKind::ResourceGroup => put_group(em, &rid, Some(Value::Object(b))),
                    _ => put(em, &rid, Some(Value::Object(b))),
                };
                let status = resp.status();
                if status.is_success() {
                    created.push(json!({"id": r.id}));
                } else {
                    let detail = axum::body::to_bytes(resp.into_body(), 1 << 20)
                        .await
                        .ok()
                        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                        .map(|v| v["error"].clone())
                        .unwrap_or(Value::Null);
                    failed = Some(json!({
                        "code": "DeploymentFailed",
                        "message": format!("{} failed with status {}", r.id, status.as_u16()),
                        "target": r.id,
                        "details": [detail],
                    }));
                    break;
                }
            }
            match failed {
                Some(e) => ("Failed", Some(e), Value::Object(outputs), created),
                None => ("Succeeded", None, Value::Object(outputs), created),
            }
        }
    };
    let mut record = json!({
        "id": id.as_str(),
        "name": name,
        "type": "Microsoft.Resources/deployments",
        "properties": {
            "provisioningState": state,
            "mode": props.get("mode").cloned().unwrap_or(json!("Incremental")),
            "outputs": outputs,
            "outputResources": created,
        },
    });
    if let Some(e) = error_body {
        record["properties"]["error"] = e;
    }
    let mut inner = em.inner.lock().expect("emulator state");
    if let Err(e) = inner.store(
        key(id.as_str()),
        Stored {
            id: id.as_str().to_string(),
            body: record.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    lro_with(&mut inner, StatusCode::CREATED, record, state)
}

/// The resources a deployment creates: those whose condition holds, nested
/// deployments aside (their resources are expanded inline).
fn deployable(x: &azrelo_template::Expanded) -> Vec<&azrelo_template::ExpandedResource> {
    x.resources
        .iter()
        .filter(|r| {
            r.condition
                && !r
                    .resource_type
                    .eq_ignore_ascii_case("Microsoft.Resources/deployments")
        })
        .collect()
}

/// Deployment order: explicit `dependsOn` plus what ARM infers (a child
/// after its parent, an extension after its scope); among ready resources the
/// earliest in the template goes first, and a cycle is broken at its earliest
/// member. Kahn's algorithm over an id index: linear in resources + edges.
fn deployment_order(resources: &[&azrelo_template::ExpandedResource]) -> Vec<usize> {
    use std::collections::{BTreeSet, HashMap};
    let n = resources.len();
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, r) in resources.iter().enumerate() {
        by_id.entry(r.id.to_ascii_lowercase()).or_default().push(i);
    }
    // waiting[i]: unfinished resources i waits for; dependents[j]: who waits on j.
    let mut waiting = vec![0usize; n];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, r) in resources.iter().enumerate() {
        let mut deps: Vec<String> = r
            .depends_on
            .iter()
            .map(|x| x.to_ascii_lowercase())
            .collect();
        if let Ok(rid) = ResourceId::parse(&r.id) {
            let up = if rid.kind() == IdKind::Extension {
                rid.scope()
            } else {
                rid.parent()
            };
            if let Some(p) = up {
                deps.push(p.as_str().to_ascii_lowercase());
            }
        }
        for d in deps {
            for &j in by_id.get(&d).into_iter().flatten() {
                waiting[i] += 1;
                dependents[j].push(i);
            }
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut next_undone = 0;
    while order.len() < n {
        let i = match ready.pop_first() {
            Some(i) => i,
            None => {
                while done[next_undone] {
                    next_undone += 1;
                }
                next_undone
            }
        };
        if done[i] {
            continue;
        }
        done[i] = true;
        order.push(i);
        for &k in &dependents[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 && !done[k] {
                ready.insert(k);
            }
        }
    }
    order
}

/// What a deployment request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Deploy,
    Validate,
    WhatIf,
}

/// `validate` (the template expands and its resources are listed) and
/// `whatIf` (per resource: Create, Modify or NoChange against the current
/// state); nothing is changed.
fn preview(
    em: &Emulator,
    id: &ResourceId,
    name: &str,
    outcome: Result<azrelo_template::Expanded, String>,
    mode: Mode,
) -> Response {
    let x = match outcome {
        Ok(x) => x,
        Err(e) => return error(StatusCode::BAD_REQUEST, "InvalidTemplate", e, None),
    };
    let resources = deployable(&x);
    if mode == Mode::Validate {
        let validated: Vec<Value> = resources.iter().map(|r| json!({"id": r.id})).collect();
        return (
            StatusCode::OK,
            axum::Json(json!({
                "id": id.as_str(),
                "name": name,
                "properties": {"provisioningState": "Succeeded", "validatedResources": validated},
            })),
        )
            .into_response();
    }
    let inner = em.inner.lock().expect("emulator state");
    let changes: Vec<Value> = resources
        .iter()
        .map(|r| {
            let change = match inner.resources.get(&key(&r.id)) {
                None => "Create",
                Some(s) => {
                    let same = r
                        .body
                        .get("properties")
                        .map(|p| p.to_json())
                        .is_some_and(|p| {
                            let mut stored =
                                s.body.get("properties").cloned().unwrap_or(Value::Null);
                            if let Some(m) = stored.as_object_mut() {
                                m.remove("provisioningState");
                            }
                            p == stored
                        });
                    if same { "NoChange" } else { "Modify" }
                }
            };
            json!({"resourceId": r.id, "changeType": change})
        })
        .collect();
    (
        StatusCode::OK,
        axum::Json(json!({"status": "Succeeded", "properties": {"changes": changes}})),
    )
        .into_response()
}
