//! The steps of one unit — prepare, move (deploy or re-configure), verify —
//! and the per-unit state machine that runs them in order.

use serde_json::{Map, Value, json};

use azrelo_arm::vocab::api;
use azrelo_journal::StepOutcome;

use super::*;

impl<A: Arm> Engine<A> {
    /// Values of the principal-id parameters: the new principal of each
    /// recreated identity (user-assigned: `properties.principalId`;
    /// system-assigned: `identity.principalId`). Not secret.
    pub(super) async fn principals(&self, d: &DeploySpec) -> Result<Map<String, Value>, StepError> {
        let mut out = Map::new();
        for (p, identity) in &d.principal_params {
            let api = self
                .plan
                .find(identity)
                .map(|j| self.plan.units[j].api_version.clone())
                .unwrap_or_else(|| "2023-01-31".into());
            let b = self.arm.get(identity, &api).await?.ok_or_else(|| {
                StepError::Arm(ArmError::new(
                    Some(404),
                    "ResourceNotFound",
                    format!("the recreated identity {identity} does not exist yet"),
                ))
            })?;
            let pid = b
                .pointer("/properties/principalId")
                .or_else(|| b.pointer("/identity/principalId"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    StepError::Arm(ArmError::new(
                        None,
                        "PrincipalNotReady",
                        format!("{identity} has no principal id yet"),
                    ))
                })?;
            out.insert(p.clone(), json!(pid));
        }
        Ok(out)
    }

    /// Values of the parameters read from moved resources (`azrelo.readFrom`
    /// metadata): e.g. a moved AKS cluster's new OIDC issuer URL for a
    /// federated credential. GET of the resource's target, value at the
    /// pointer; not secret (issuers, client ids, connection strings of
    /// Application Insights are not credentials).
    pub(super) async fn read_values(
        &self,
        d: &DeploySpec,
    ) -> Result<Map<String, Value>, StepError> {
        let mut out = Map::new();
        for (p, from, path) in &d.read_params {
            let api = self
                .plan
                .find(from)
                .map(|j| self.plan.units[j].api_version.clone())
                .ok_or_else(|| {
                    StepError::Input(format!(
                        "parameter {p} reads {from}, which is not a resource of this run"
                    ))
                })?;
            let b = self.arm.get(from, &api).await?.ok_or_else(|| {
                StepError::Arm(ArmError::new(
                    Some(404),
                    "ResourceNotFound",
                    format!("{from}, which parameter {p} is read from, does not exist yet"),
                ))
            })?;
            let v = b.pointer(path).filter(|v| !v.is_null()).ok_or_else(|| {
                StepError::Arm(ArmError::new(
                    None,
                    "ValueNotReady",
                    format!("{from} has no value at {path} yet (parameter {p})"),
                ))
            })?;
            out.insert(p.clone(), v.clone());
        }
        Ok(out)
    }

    /// The resource as it is deployed (disk: created from the copy).
    pub(super) fn deployed_resource(d: &DeploySpec, copy: Option<&str>) -> Value {
        let mut r = d.resource.clone();
        if let Some(snap) = copy
            && let Some(props) = r.get_mut("properties").and_then(Value::as_object_mut)
        {
            props.insert(
                "creationData".into(),
                json!({"createOption": "Copy", "sourceResourceId": snap}),
            );
        }
        r
    }

    pub(super) async fn deploy(&self, i: usize) -> Result<(StepOutcome, Value), StepError> {
        let u = &self.plan.units[i];
        let d = u
            .deploy
            .as_ref()
            .ok_or_else(|| StepError::Input("no deployment".into()))?;
        self.check_secrets(u)?;
        let copy = if u.kind == UnitKind::DiskCopy {
            let prepared = self.detail_of(i, step::PREPARE);
            let seed_is_final = !u.gates_before.iter().any(|g| !g.shared)
                || prepared.get("final").and_then(Value::as_bool) == Some(true);
            if seed_is_final {
                match prepared.get("copy").and_then(Value::as_str) {
                    Some(c) => Some(c.to_string()),
                    None => Some(self.copy_disk(u, "seed").await?),
                }
            } else {
                // The source was stopped at the final-sync gate: copy the
                // last increment.
                Some(self.copy_disk(u, "final").await?)
            }
        } else {
            None
        };
        let mut principals = self.principals(d).await?;
        principals.extend(self.read_values(d).await?);
        let resource = Self::deployed_resource(d, copy.as_deref());
        let mut template = Map::new();
        template.insert("$schema".into(), json!(d.schema));
        template.insert("contentVersion".into(), json!("1.0.0.0"));
        template.insert("parameters".into(), Value::Object(d.param_decls.clone()));
        if let Some(v) = &d.variables {
            template.insert("variables".into(), v.clone());
        }
        template.insert("resources".into(), json!([resource]));
        let mut params = d.param_values.clone();
        for p in &d.secure_params {
            if let Some(v) = self.opts.secrets.get(p) {
                params.insert(p.clone(), json!({"value": v}));
            }
        }
        for (k, v) in &principals {
            params.insert(k.clone(), json!({"value": v}));
        }
        let mut body = json!({"properties": {"mode": "Incremental", "template": template, "parameters": params}});
        if let Some(l) = &d.location {
            body["location"] = json!(l);
        }
        // A deployment an interrupted run started is still running in ARM:
        // the PUT answers `409 DeploymentActive`, and the engine waits for
        // it to end, then sends the same (idempotent) body again.
        let path = d.path();
        let put = match self
            .put_waiting(&path, api::DEPLOYMENTS, &body, &path, api::DEPLOYMENTS)
            .await
        {
            Ok(v) => Ok(v),
            Err(StepError::Arm(e)) => Err(e),
            Err(other) => return Err(other),
        };
        let out = match put {
            Ok(out) => out,
            Err(mut e) if !e.is_crash() && e.status.is_none() => {
                // A failed deployment: the failing operations' own errors
                // say which resource failed and why.
                if let Some((code, text)) = self.deployment_failure(d).await {
                    e.message = format!("{}{text}", e.message);
                    e.code = code;
                }
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        };
        let state = out
            .pointer("/properties/provisioningState")
            .and_then(Value::as_str)
            .unwrap_or("Succeeded")
            .to_string();
        if !state.eq_ignore_ascii_case("Succeeded") {
            let (code, text) = self
                .deployment_failure(d)
                .await
                .unwrap_or_else(|| ("DeploymentFailed".into(), String::new()));
            return Err(StepError::Arm(ArmError::new(
                None,
                &code,
                format!("deployment {} ended {state}{text}", d.name),
            )));
        }
        Ok((
            StepOutcome::Succeeded,
            json!({"deployment": d.path(), "copy": copy, "principals": principals}),
        ))
    }

    /// Why a deployment failed, as `az deployment … create` reports it:
    /// each failed deployment operation's error (code, message, target),
    /// its details below it, read from `{deployment}/operations`; the
    /// deployment record's error details when no operation failed (a
    /// template the deployment rejected). The first failing operation's
    /// code (`InvalidResourceReference`, not the envelope's
    /// `DeploymentFailed`) and the text to append; `None` when ARM says
    /// nothing more.
    pub(super) async fn deployment_failure(&self, d: &DeploySpec) -> Option<(String, String)> {
        let mut errors: Vec<(Option<String>, Value)> = Vec::new();
        let ops = self
            .arm
            .list(&format!("{}/operations", d.path()), api::DEPLOYMENTS)
            .await
            .unwrap_or_default();
        for op in &ops {
            let failed = op
                .pointer("/properties/provisioningState")
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case("Failed"));
            if let (true, Some(e)) = (failed, op.pointer("/properties/statusMessage/error")) {
                let target = op
                    .pointer("/properties/targetResource/id")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                errors.push((target, e.clone()));
            }
        }
        if errors.is_empty()
            && let Ok(Some(dep)) = self.arm.get(&d.path(), api::DEPLOYMENTS).await
            && let Some(e) = dep.pointer("/properties/error")
        {
            match e.get("details").and_then(Value::as_array) {
                Some(details) if !details.is_empty() => {
                    errors.extend(details.iter().map(|x| (None, x.clone())))
                }
                _ => errors.push((None, e.clone())),
            }
        }
        let code = errors
            .iter()
            .find_map(|(_, e)| e.get("code").and_then(Value::as_str).map(str::to_string))?;
        let mut text = String::new();
        for (target, e) in &errors {
            describe_error(e, target.as_deref(), 1, &mut text);
        }
        Some((code, text))
    }

    pub(super) async fn reconfigure(&self, u: &Unit) -> Result<(StepOutcome, Value), StepError> {
        let Some(current) = self.arm.get(u.target_id.as_str(), &u.api_version).await? else {
            return Ok((
                StepOutcome::Skipped,
                json!({"note": "not found: nothing to re-point"}),
            ));
        };
        let body = writable(&u.resource_type, &current);
        let text = body.to_string();
        let repointed = self.plan.repoint(&text);
        if repointed == text {
            return Ok((
                StepOutcome::Skipped,
                json!({"note": "already points at the targets"}),
            ));
        }
        let new: Value = serde_json::from_str(&repointed)
            .map_err(|e| StepError::Input(format!("re-pointed body is not JSON: {e}")))?;
        self.arm
            .put(u.target_id.as_str(), &u.api_version, &new)
            .await?;
        Ok((
            StepOutcome::Succeeded,
            json!({"body": redact(&u.resource_type, &new)}),
        ))
    }

    /// What the target must look like: (type, body) or None when nothing
    /// was deployed (a skipped re-configuration).
    pub(super) fn expected(&self, i: usize) -> Option<Value> {
        let u = &self.plan.units[i];
        let mv = self.detail_of(i, step::MOVE);
        match u.kind {
            UnitKind::Deploy | UnitKind::DiskCopy => {
                let d = u.deploy.as_ref()?;
                let copy = mv.get("copy").and_then(Value::as_str);
                let mut r = Self::deployed_resource(d, copy);
                let mut values: Map<String, Value> = d
                    .param_values
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.get("value")?.clone())))
                    .collect();
                if let Some(p) = mv.get("principals").and_then(Value::as_object) {
                    values.extend(p.clone());
                }
                substitute(&mut r, &values);
                Some(r)
            }
            UnitKind::Reconfigure => mv.get("body").cloned(),
            UnitKind::Manual | UnitKind::Action(_) | UnitKind::Owned => None,
        }
    }

    pub(super) async fn verify(&self, i: usize) -> Result<(StepOutcome, Value), StepError> {
        let u = &self.plan.units[i];
        if matches!(u.kind, UnitKind::Action(_)) {
            return self.action_step(i, step::VERIFY).await;
        }
        if u.kind == UnitKind::Owned {
            return self.verify_owned(i).await;
        }
        let Some(expected) = self.expected(i) else {
            return Ok((StepOutcome::Succeeded, json!({"note": "nothing deployed"})));
        };
        let Some(actual) = self.arm.get(u.target_id.as_str(), &u.api_version).await? else {
            return Err(StepError::Verify(vec![Difference {
                path: String::new(),
                expected: "the resource".into(),
                actual: "absent (404)".into(),
            }]));
        };
        let diffs = compare(&u.resource_type, &expected, &actual);
        if diffs.is_empty() {
            Ok((StepOutcome::Succeeded, json!({})))
        } else {
            Err(StepError::Verify(diffs))
        }
    }

    /// Drive one unit as far as it can go in this run.
    pub(super) async fn run_unit(&self, i: usize) -> Result<Outcome, StepError> {
        let u = &self.plan.units[i];
        let v = self.view(i)?;
        if u.kind == UnitKind::Manual {
            return Ok(if v.target_exists {
                Outcome::Available
            } else {
                self.emit(
                    u,
                    Step::Gate,
                    EventStatus::Waiting,
                    Some(v.open_gates_after.join(", ")),
                );
                Outcome::Waiting
            });
        }
        if v.state.is_committed() || (v.target_exists && v.verified) {
            return Ok(Outcome::Available);
        }
        if matches!(v.state, State::Discarding | State::DiscardFailed) {
            return Ok(Outcome::Failed(
                "a discard is unfinished: run `azrelo discard` again first".into(),
            ));
        }
        let prepare_done = self
            .journal
            .last(RUN, &step_name(u, step::PREPARE))
            .map_err(StepError::Journal)?
            .is_some_and(|r| r.is_done());
        if !prepare_done {
            let intent = json!({"op": "prepare", "kind": u.kind.as_str(), "target": u.target_id});

            if let Err(e) = self.run_step(i, step::PREPARE, intent).await {
                return fail(e);
            }
        }
        if !v.target_exists {
            if !v.open_gates_before.is_empty() {
                self.emit(
                    u,
                    Step::Gate,
                    EventStatus::Waiting,
                    Some(v.open_gates_before.join(", ")),
                );
                return Ok(Outcome::Waiting);
            }
            let intent = match (&u.deploy, &u.procedure) {
                (Some(d), _) => json!({
                    "op": "deploy", "deployment": d.path(), "target": u.target_id,
                    "secureParameters": d.secure_params,
                }),
                (None, Some(p)) => json!({
                    "op": "action", "executor": p.executor.id(), "target": u.target_id,
                    "step": p.step, "title": p.title,
                }),
                (None, None) => json!({"op": "reconfigure", "target": u.target_id}),
            };
            if let Err(e) = self.run_step(i, step::MOVE, intent).await {
                return fail(e);
            }
        }
        let intent = json!({"op": "verify", "target": u.target_id});
        if let Err(e) = self.run_step(i, step::VERIFY, intent).await {
            return fail(e);
        }
        if !v.open_gates_after.is_empty() {
            self.emit(
                u,
                Step::Gate,
                EventStatus::Waiting,
                Some(v.open_gates_after.join(", ")),
            );
        }
        Ok(Outcome::Available)
    }
}

/// `[parameters('x')]` → its value, where known.
pub(super) fn substitute(v: &mut Value, values: &Map<String, Value>) {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if let Some(inner) = t
                .strip_prefix("[parameters('")
                .and_then(|r| r.strip_suffix("')]"))
                && let Some(val) = values.get(inner)
            {
                *v = val.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| substitute(x, values)),
        Value::Object(m) => m.values_mut().for_each(|x| substitute(x, values)),
        _ => {}
    }
}

/// Remove, anywhere in `v`, every object member for which `drop(pointer,
/// key, value)` holds (`pointer` is the member's JSON pointer below `at`).
pub(super) fn remove_members(v: &mut Value, at: &str, drop: &dyn Fn(&str, &str, &Value) -> bool) {
    match v {
        Value::Object(m) => {
            let keys: Vec<String> = m.keys().cloned().collect();
            for k in keys {
                let p = format!("{at}/{k}");
                if m.get(&k).is_some_and(|x| drop(&p, &k, x)) {
                    m.remove(&k);
                } else if let Some(c) = m.get_mut(&k) {
                    remove_members(c, &p, drop);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                remove_members(x, &format!("{at}/{i}"), drop);
            }
        }
        _ => {}
    }
}

/// The writable part of a GET body: envelope and read-only properties
/// (schema flags) dropped.
pub(super) fn writable(ty: &str, body: &Value) -> Value {
    let flags = azrelo_arm::schema::SchemaFlags::embedded().get(ty);
    let mut out = Map::new();
    if let Some(m) = body.as_object() {
        for (k, v) in m {
            if ["id", "name", "type", "etag", "systemData", "managedBy"]
                .iter()
                .any(|e| e.eq_ignore_ascii_case(k))
            {
                continue;
            }
            out.insert(k.clone(), v.clone());
        }
    }
    let mut v = Value::Object(out);
    remove_members(&mut v, "", &|p, k, _| {
        flags.is_some_and(|f| f.is_read_only(p))
            || (k.eq_ignore_ascii_case("provisioningState")
                && p.strip_suffix(k) == Some("/properties/"))
    });
    v
}

/// A body safe to journal: sensitive and write-only paths (schema flags),
/// members whose names mention a credential and string values that carry
/// one removed — the secret rules the generator uses too
/// (`azrelo_arm::secrets`).
pub(super) fn redact(ty: &str, body: &Value) -> Value {
    let flags = azrelo_arm::schema::SchemaFlags::embedded().get(ty);
    let mut v = body.clone();
    remove_members(&mut v, "", &|p, k, x| {
        flags.is_some_and(|f| f.is_sensitive(p) || f.is_write_only(p))
            || azrelo_arm::secrets::is_type_secret(ty, p)
            || azrelo_arm::secrets::mentions_secret(k)
            || x.as_str().is_some_and(azrelo_arm::secrets::looks_secret)
    });
    v
}

/// One ARM error as `az` prints it: `code: message (target: …)` on its own
/// indented line, its `details` below it; bounded in depth and length.
fn describe_error(e: &Value, target: Option<&str>, depth: usize, out: &mut String) {
    if depth > 4 || out.len() > 8_000 {
        return;
    }
    let code = e.get("code").and_then(Value::as_str).unwrap_or("Error");
    let message = e.get("message").and_then(Value::as_str).unwrap_or("");
    let target = e.get("target").and_then(Value::as_str).or(target);
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
    out.push_str(code);
    if !message.is_empty() {
        out.push_str(": ");
        out.push_str(message.trim());
    }
    if let Some(t) = target {
        out.push_str(&format!(" (target: {t})"));
    }
    for d in e
        .get("details")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        describe_error(d, None, depth + 1, out);
    }
}
