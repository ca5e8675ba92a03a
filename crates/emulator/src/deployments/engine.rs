//! Running a deployment: each resource as soon as what it needs is done
//! (parallel in emulated time), expanding again as runtime values become
//! known, through the same handlers as a direct PUT.

use std::collections::{HashMap, HashSet};

use azrelo_arm::id::{IdKind, ResourceId};
use serde_json::{Value, json};

use super::Prepared;
use super::expand::{NestedDeployment, Planned, expand_pass};
use super::records::iso_duration;
use super::runtime::Resolver;
use crate::Emulator;
use crate::api::put::{put, put_group};
use crate::state::{key, rfc3339};

/// How one resource action ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Status {
    Succeeded,
    Failed,
}

/// One deployment operation, before it is rendered.
pub(crate) struct Op {
    pub(crate) deployment: String,
    pub(crate) target_id: String,
    pub(crate) target_type: String,
    pub(crate) target_name: String,
    pub(crate) api_version: String,
    pub(crate) operation: &'static str,
    pub(crate) status: Status,
    pub(crate) http: u16,
    pub(crate) error: Option<Value>,
    /// Emulated start and end (clock time), and the wall clock at start.
    pub(crate) start: std::time::Duration,
    pub(crate) end: std::time::Duration,
    pub(crate) wall: std::time::SystemTime,
}

/// The outcome of a deployment run.
pub(crate) struct Run {
    pub(crate) record: Value,
    pub(crate) ops: Vec<Op>,
    pub(crate) nested: Vec<(NestedDeployment, Status)>,
    pub(crate) nested_outputs: HashMap<String, Value>,
    /// When the last resource completes (clock time).
    pub(crate) end: std::time::Duration,
    pub(crate) wall: std::time::SystemTime,
}

pub(crate) fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "NoContent",
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        503 => "ServiceUnavailable",
        _ => "Unknown",
    }
}

/// Lower-case id → (status, clock time it completes).
pub(crate) type Done = HashMap<String, (Status, std::time::Duration)>;

/// The state of a dependency: `None` when the deployment does not create it
/// (it exists already or is external), `Some(None)` while pending,
/// `Some(Some(..))` once finished. `deployment:{path}` stands for
/// everything of a nested deployment.
pub(crate) fn dep_state(
    d: &str,
    resources: &[Planned],
    done: &Done,
    start: std::time::Duration,
) -> Option<Option<(Status, std::time::Duration)>> {
    if let Some(path) = d.strip_prefix("deployment:") {
        if let Some(st) = done.get(d) {
            return Some(Some(st.clone()));
        }
        let mut worst = (Status::Succeeded, start);
        let mut any = false;
        for r in resources
            .iter()
            .filter(|r| in_deployment(path, &r.deployment))
        {
            any = true;
            match done.get(&key(&r.id)) {
                None => return Some(None),
                Some((s, t)) => {
                    if *s == Status::Failed {
                        worst.0 = Status::Failed;
                    }
                    worst.1 = worst.1.max(*t);
                }
            }
        }
        return any.then_some(Some(worst));
    }
    if resources.iter().any(|r| key(&r.id) == d) {
        Some(done.get(d).cloned())
    } else {
        None
    }
}

/// Whether a resource of deployment path `of` is inside the nested
/// deployment `path` (lower-case).
pub(crate) fn in_deployment(path: &str, of: &str) -> bool {
    let d = of.to_ascii_lowercase();
    d == path || d.starts_with(&format!("{path}/"))
}

/// Deploy every resource of the template, each as soon as what it needs is
/// done, expanding again whenever runtime values may have become known.
pub(crate) async fn execute(em: &Emulator, id: &ResourceId, p: &Prepared, props: &Value) -> Run {
    let wall = std::time::SystemTime::now();
    let start = em.clock().now();
    let mut rt = Resolver::new(em);
    let mut ops: Vec<Op> = Vec::new();
    // Lower-case id → (status, clock time it completes).
    let mut done: Done = HashMap::new();
    let mut errors: Vec<Value> = Vec::new();
    let mut created: Vec<Value> = Vec::new();
    let mut pass = match expand_pass(p, &mut rt) {
        Ok(x) => Some(x),
        Err(e) => {
            errors.push(template_error(&e));
            None
        }
    };
    // Expand again now that the deployment's own resources are known:
    // references by name resolve, references to missing resources fail,
    // nested deployments see the groups the deployment creates.
    if pass.is_some() {
        match expand_pass(p, &mut rt) {
            Ok(x) => pass = Some(x),
            Err(e) => {
                errors.push(template_error(&e));
                pass = None;
            }
        }
    }
    // Nested deployments linked by URI fail: the emulator cannot download
    // them (ARM: InvalidContentLink when a link cannot be fetched).
    if let Some(x) = &pass {
        for (dep, uri) in &x.links {
            if let Some(n) = x.nested.iter().find(|n| n.id.eq_ignore_ascii_case(dep)) {
                done.insert(
                    format!("deployment:{}", n.path.to_ascii_lowercase()),
                    (Status::Failed, start),
                );
            }
            errors.push(json!({
                "code": "InvalidContentLink",
                "target": dep,
                "message": format!("Unable to download deployment content from '{uri}': the emulator works offline and deploys inline templates only."),
            }));
        }
    }
    let mut final_pass = None;
    let mut force: Option<usize> = None;
    let mut forced_once: HashSet<usize> = HashSet::new();
    // Each round deploys something, forces a cycle open or learns nested
    // outputs, so the loop ends; the cap turns a bug into a clear error.
    let mut rounds = 0usize;
    while let Some(x) = pass.take() {
        rounds += 1;
        if rounds > 4 * (x.resources.len() + x.nested.len()) + 64 {
            errors.push(json!({
                "code": "DeploymentEvaluationFailed",
                "message": "The emulator could not finish evaluating the template (no convergence after repeated evaluations).",
            }));
            final_pass = Some(x);
            break;
        }
        let dep_state = |d: &str, done: &Done| dep_state(d, &x.resources, done, start);
        let mut progressed = false;
        // A round starts what was ready when it began: a resource whose
        // dependency completes in this round waits for the next one. ARM
        // runs independent resources in parallel, so one two steps down a
        // dependency chain starts after every one-step sibling has started
        // (and, with like durations, finished) — never before it.
        let ready = done.clone();
        for i in 0..x.resources.len() {
            let r = &x.resources[i];
            let k = key(&r.id);
            if done.contains_key(&k) {
                continue;
            }
            let mut ready_at = start;
            let mut blocked = false;
            let mut dep_failed = false;
            for d in &r.deps {
                match dep_state(d, &ready) {
                    None => {}
                    Some(None) => blocked = true,
                    Some(Some((Status::Failed, _))) => dep_failed = true,
                    Some(Some((Status::Succeeded, t))) => ready_at = ready_at.max(t),
                }
            }
            if dep_failed {
                // Not attempted: a dependency failed (ARM skips it).
                done.insert(k, (Status::Failed, ready_at));
                progressed = true;
                continue;
            }
            if (blocked && force != Some(i)) || r.unknown.is_some() {
                continue;
            }
            let (status, code, err, end) = put_one(em, r, ready_at).await;
            if status == Status::Succeeded {
                created.push(json!({"id": r.id}));
            } else if let Some(e) = &err {
                let mut d = e.clone();
                if d.get("target").is_none() {
                    d["target"] = json!(r.id);
                }
                errors.push(d);
            }
            ops.push(Op {
                deployment: r.deployment.clone(),
                target_id: r.id.clone(),
                target_type: r.resource_type.clone(),
                target_name: r.name.clone(),
                api_version: r.api_version.clone(),
                operation: "Create",
                status: status.clone(),
                // An asynchronous create (202, e.g. storage accounts and
                // disks) is recorded with the status its operation ended
                // with, as ARM's deployment operations show ("OK").
                http: if code == 202 && status == Status::Succeeded {
                    200
                } else {
                    code
                },
                error: err,
                start: ready_at,
                end,
                wall: std::time::SystemTime::now(),
            });
            done.insert(k, (status, end));
            progressed = true;
        }
        force = None;
        if !progressed && std::mem::take(&mut rt.learned) && x.unresolved > 0 {
            // Nested outputs became known after what reads them was
            // evaluated: evaluate again.
            match expand_pass(p, &mut rt) {
                Ok(nx) => {
                    pass = Some(nx);
                    continue;
                }
                Err(e) => {
                    errors.push(template_error(&e));
                    final_pass = Some(x);
                    break;
                }
            }
        }
        if !progressed {
            // Nothing can move. A dependency cycle ARM's inference made
            // (parent ↔ child) is broken at its earliest member whose
            // pending dependencies are all evaluable; otherwise stop.
            let forced = x.resources.iter().position(|r| {
                !done.contains_key(&key(&r.id))
                    && r.unknown.is_none()
                    && r.deps.iter().all(|d| match dep_state(d, &done) {
                        Some(None) => x
                            .resources
                            .iter()
                            .find(|o| key(&o.id) == *d)
                            .is_some_and(|o| o.unknown.is_none()),
                        _ => true,
                    })
            });
            match forced {
                Some(i) if !forced_once.contains(&i) => {
                    forced_once.insert(i);
                    force = Some(i);
                    pass = Some(x);
                    continue;
                }
                _ => {
                    final_pass = Some(x);
                    break;
                }
            }
        }
        // Runtime values may now be known: expand again when some were not.
        if x.unresolved > 0 {
            match expand_pass(p, &mut rt) {
                Ok(nx) => pass = Some(nx),
                Err(e) => {
                    errors.push(template_error(&e));
                    final_pass = Some(x);
                }
            }
        } else {
            pass = Some(x);
        }
    }
    // What could not be deployed: values the emulator cannot evaluate.
    let mut outputs = json!({});
    if let Some(x) = &final_pass {
        for r in &x.resources {
            if done.contains_key(&key(&r.id)) {
                continue;
            }
            if r.unknown.is_none() {
                errors.push(json!({
                    "code": "DeploymentDependencyNotSatisfied",
                    "target": r.id,
                    "message": format!("{} was not deployed: a resource it depends on could not be evaluated.", r.id),
                }));
            }
            if let Some(u) = &r.unknown {
                errors.push(json!({
                    "code": "DeploymentEvaluationFailed",
                    "target": r.id,
                    "message": format!("The emulator cannot evaluate '[{u}]' for {} (a runtime value it does not know).", r.id),
                }));
            }
        }
        if errors.is_empty() {
            match &x.unknown_output {
                Some((name, u)) => errors.push(json!({
                    "code": "DeploymentOutputEvaluationFailed",
                    "message": format!("Unable to evaluate template outputs: '{name}': the emulator cannot evaluate '[{u}]'."),
                })),
                None => outputs = Value::Object(x.outputs.clone()),
            }
        }
    }
    let end = done
        .values()
        .map(|(_, t)| *t)
        .max()
        .unwrap_or(start)
        .max(start);
    let nested = final_pass
        .map(|x| {
            x.nested
                .into_iter()
                .map(|n| {
                    let path = n.path.to_ascii_lowercase();
                    let failed = x.resources.iter().any(|r| {
                        let d = r.deployment.to_ascii_lowercase();
                        (d == path || d.starts_with(&format!("{path}/")))
                            && !matches!(done.get(&key(&r.id)), Some((Status::Succeeded, _)))
                    });
                    let s = if failed {
                        Status::Failed
                    } else {
                        Status::Succeeded
                    };
                    (n, s)
                })
                .collect()
        })
        .unwrap_or_default();
    let state = if errors.is_empty() {
        "Succeeded"
    } else {
        "Failed"
    };
    let parameters: serde_json::Map<String, Value> = p
        .opts
        .parameters
        .iter()
        .map(|(k, v)| {
            let secure = p.secure.contains(&k.to_ascii_lowercase());
            let ty = if secure { "SecureString" } else { json_type(v) };
            let shown = if secure {
                json!({"type": ty})
            } else {
                json!({"type": ty, "value": v})
            };
            (k.clone(), shown)
        })
        .collect();
    let mut record = json!({
        "id": id.as_str(),
        "name": p.name,
        "type": "Microsoft.Resources/deployments",
        "properties": {
            "templateHash": azrelo_template::hash::unique_string(&[&p.template.to_string()]),
            "parameters": parameters,
            "mode": props.get("mode").cloned().unwrap_or(json!("Incremental")),
            "provisioningState": state,
            "timestamp": rfc3339(wall),
            "duration": iso_duration(end.saturating_sub(start)),
            "correlationId": uuid::Uuid::new_v4().to_string(),
            "outputs": outputs,
            "outputResources": created,
        },
    });
    if id.resource_group().is_none() {
        record["location"] = json!(p.opts.context.location);
    }
    if let Some(uri) = &p.opts.template_link {
        record["properties"]["templateLink"] = json!({"uri": uri, "contentVersion": "1.0.0.0"});
    }
    if !errors.is_empty() {
        record["properties"]["error"] = if errors.len() == 1
            && errors[0]["code"] == "InvalidTemplate"
            && ops.is_empty()
        {
            errors[0].clone()
        } else {
            json!({
                "code": "DeploymentFailed",
                "message": "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
                "details": errors,
            })
        };
    }
    Run {
        record,
        ops,
        nested,
        nested_outputs: rt.nested,
        end,
        wall,
    }
}

/// A template (expansion) error as an ARM error object: the runtime's
/// `Code: message` errors keep their code.
pub(crate) fn template_error(e: &str) -> Value {
    for code in [
        "ResourceNotFound",
        "InvalidTemplate",
        "KeyVaultParameterReferenceSecretRetrieveFailed",
    ] {
        if let Some(i) = e.find(&format!("{code}: ")) {
            return json!({"code": code, "message": e[i + code.len() + 2..].to_string()});
        }
    }
    json!({"code": "InvalidTemplate", "message": format!("Deployment template validation failed: '{e}'.")})
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "Bool",
        Value::Number(n) if n.is_i64() => "Int",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
        _ => "String",
    }
}

/// Create one resource through the same handlers as a direct PUT; start its
/// operation when its dependencies are done (`ready_at`, clock time).
pub(crate) async fn put_one(
    em: &Emulator,
    r: &Planned,
    ready_at: std::time::Duration,
) -> (Status, u16, Option<Value>, std::time::Duration) {
    let Ok(rid) = ResourceId::parse(&r.id) else {
        return (
            Status::Failed,
            400,
            Some(
                json!({"code": "InvalidResourceId", "message": format!("'{}' is not a valid resource id.", r.id), "target": r.id}),
            ),
            ready_at,
        );
    };
    let resp = match rid.kind() {
        IdKind::ResourceGroup => put_group(em, &rid, Some(r.body.clone())),
        _ => put(em, &rid, Some(r.body.clone())),
    };
    let code = resp.status().as_u16();
    if resp.status().is_success() {
        let end = em
            .start_after(&r.id, ready_at)
            .unwrap_or(ready_at)
            .max(ready_at);
        return (Status::Succeeded, code, None, end);
    }
    let err = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .map(|v| v["error"].clone())
        .filter(|e| e.is_object())
        .unwrap_or_else(|| json!({"code": "ResourceDeploymentFailure", "message": format!("The resource operation failed with status {code}.")}));
    (Status::Failed, code, Some(err), ready_at)
}
