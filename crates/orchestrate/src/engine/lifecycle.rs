//! After (or instead of) the move: ARM's validate and what-if, commit
//! (re-verify, then record) and discard (delete the uncommitted target).
use std::collections::HashSet;

use serde_json::{Map, Value, json};

use azrelo_arm::vocab::{self, api};
use azrelo_journal::StepOutcome;

use super::*;

impl<A: Arm> Engine<A> {
    /// `--validate-only`: ARM validate of every deployment, and the read-only
    /// checks of every action with what it would do; nothing changes and
    /// nothing is journaled.
    pub async fn validate(&self) -> Result<Vec<ActionRow>, EngineError> {
        self.preview(false).await
    }

    /// `--what-if`: ARM what-if of every deployment — per deployment, how
    /// many resources it would create, modify or leave unchanged (the
    /// `changeType`s of the what-if result, learn.microsoft.com/azure/
    /// azure-resource-manager/templates/deploy-what-if); nothing changes
    /// and nothing is journaled.
    pub async fn what_if(&self) -> Result<Vec<ActionRow>, EngineError> {
        self.preview(true).await
    }

    async fn preview(&self, what_if: bool) -> Result<Vec<ActionRow>, EngineError> {
        let op = if what_if { "whatIf" } else { "validate" };
        let mut rows = Vec::new();
        for &i in &self.plan.order {
            let u = &self.plan.units[i];
            if matches!(u.kind, UnitKind::Action(_)) {
                rows.push(match self.action_validate(i).await {
                    Ok(what) => ActionRow {
                        unit: u.key.to_string(),
                        outcome: RowOutcome::Valid,
                        detail: Some(what),
                    },
                    Err(StepError::Crashed) => return Err(EngineError::Crashed),
                    Err(e) => ActionRow {
                        unit: u.key.to_string(),
                        outcome: RowOutcome::Invalid,
                        detail: Some(e.message()),
                    },
                });
                continue;
            }
            let Some(d) = &u.deploy else { continue };
            if let Err(e) = self.check_secrets(u) {
                rows.push(ActionRow {
                    unit: u.key.to_string(),
                    outcome: RowOutcome::Invalid,
                    detail: Some(e.message()),
                });
                continue;
            }
            let mut template = Map::new();
            template.insert("$schema".into(), json!(d.schema));
            template.insert("contentVersion".into(), json!("1.0.0.0"));
            template.insert("parameters".into(), Value::Object(d.param_decls.clone()));
            template.insert("resources".into(), json!([d.resource]));
            let mut params = d.param_values.clone();
            for p in &d.secure_params {
                if let Some(v) = self.opts.secrets.get(p) {
                    params.insert(p.clone(), json!({"value": v}));
                }
            }
            // A principal that does not exist yet: a placeholder GUID.
            for (p, _) in &d.principal_params {
                params.insert(
                    p.clone(),
                    json!({"value": "00000000-0000-0000-0000-000000000000"}),
                );
            }
            let mut body = json!({"properties": {"mode": "Incremental", "template": template, "parameters": params}});
            if let Some(l) = &d.location {
                body["location"] = json!(l);
            }
            // ARM validates a resource-group deployment only in an existing
            // group. A group the plan creates does not exist yet: validate
            // at subscription scope, the group and a nested deployment into
            // it (inner expression scope), as one template.
            let mut path = format!("{}/{op}", d.path());
            if let Some((sub, rg)) = d.scope.split_once("/resourceGroups/") {
                let exists = match self.arm.get(&d.scope, api::RESOURCE_GROUPS).await {
                    Ok(b) => b.is_some(),
                    Err(e) if e.is_crash() => return Err(EngineError::Crashed),
                    Err(_) => true,
                };
                if !exists {
                    let inner = body["properties"].clone();
                    let mut nested = inner;
                    nested["expressionEvaluationOptions"] = json!({"scope": "inner"});
                    body = json!({
                        "location": self.plan.target_region,
                        "properties": {"mode": "Incremental", "template": {
                            "$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
                            "contentVersion": "1.0.0.0",
                            "resources": [
                                {"type": vocab::RESOURCE_GROUPS, "apiVersion": api::RESOURCE_GROUPS,
                                 "name": rg, "location": self.plan.target_region},
                                {"type": vocab::DEPLOYMENTS, "apiVersion": api::DEPLOYMENTS,
                                 "name": d.name, "resourceGroup": rg,
                                 "dependsOn": [format!("[resourceId('{}', '{rg}')]", vocab::RESOURCE_GROUPS)],
                                 "properties": nested}
                            ]
                        }}
                    });
                    path = format!(
                        "{}/{op}",
                        vocab::provider_id(sub, vocab::DEPLOYMENTS, &d.name)
                    );
                }
            }
            let r = self.arm.post(&path, api::DEPLOYMENTS, Some(&body)).await;
            rows.push(match r {
                Ok(body) => ActionRow {
                    unit: u.key.to_string(),
                    outcome: RowOutcome::Valid,
                    detail: what_if.then(|| changes_summary(body.as_ref())),
                },
                Err(e) if e.is_crash() => return Err(EngineError::Crashed),
                Err(e) => ActionRow {
                    unit: u.key.to_string(),
                    outcome: RowOutcome::Invalid,
                    detail: Some(e.to_string()),
                },
            });
        }
        Ok(rows)
    }

    pub(super) fn selected(&self, only: &[String]) -> Result<HashSet<usize>, EngineError> {
        if only.is_empty() {
            return Ok((0..self.plan.units.len()).collect());
        }
        let mut out = HashSet::new();
        for s in only {
            let scope = ResourceId::parse(s).ok();
            let inside = |id: &ResourceId| scope.as_ref().is_some_and(|sc| id.is_within(sc));
            let hits: Vec<usize> = self
                .plan
                .units
                .iter()
                .enumerate()
                .filter(|(_, u)| {
                    u.key.as_str().eq_ignore_ascii_case(s)
                        || u.source_id.as_ref().is_some_and(inside)
                        || inside(&u.target_id)
                })
                .map(|(i, _)| i)
                .collect();
            if hits.is_empty() {
                return Err(EngineError::Refused(format!(
                    "{s} is not a resource of this plan (nor a scope containing one)"
                )));
            }
            out.extend(hits);
        }
        Ok(out)
    }

    /// `commit`: re-verify each moved resource and mark it committed. A
    /// difference (or an open gate) blocks that resource's commit.
    pub async fn commit(&self, only: &[String]) -> Result<Vec<ActionRow>, EngineError> {
        let sel = self.selected(only)?;
        let mut rows = Vec::new();
        for &i in &self.plan.order {
            if !sel.contains(&i) {
                continue;
            }
            let u = &self.plan.units[i];
            let v = self.view(i).map_err(step_to_engine)?;
            if v.state.is_committed() {
                continue;
            }
            let refuse = |why: String| ActionRow {
                unit: u.key.to_string(),
                outcome: RowOutcome::NotCommitted,
                detail: Some(why),
            };
            if !v.target_exists {
                rows.push(refuse(format!("not moved yet ({})", v.state.as_str())));
                continue;
            }
            if !v.open_gates_after.is_empty() {
                rows.push(refuse(format!(
                    "close gate(s) {} first",
                    v.open_gates_after.join(", ")
                )));
                continue;
            }
            if u.kind != UnitKind::Manual && !v.verified {
                rows.push(refuse(format!(
                    "verification failed: {}",
                    v.error.unwrap_or_else(|| "not verified".into())
                )));
                continue;
            }
            let name = step_name(u, step::COMMIT);
            self.write_intent(&name, &json!({"op": "commit", "target": u.target_id}))
                .map_err(step_to_engine)?;
            // Verify again: the target may have changed since the move.
            let check = if u.kind == UnitKind::Manual {
                Ok((StepOutcome::Succeeded, json!({})))
            } else {
                self.verify(i).await
            };
            match check {
                Ok(_) => {
                    self.write_result(&name, StepOutcome::Succeeded, &json!({}))
                        .map_err(step_to_engine)?;
                    self.emit(u, step::COMMIT, EventStatus::Succeeded, None);
                    rows.push(ActionRow {
                        unit: u.key.to_string(),
                        outcome: RowOutcome::Committed,
                        detail: None,
                    });
                }
                Err(StepError::Crashed) => return Err(EngineError::Crashed),
                Err(e) => {
                    self.write_result(&name, StepOutcome::Failed, &e.detail())
                        .map_err(step_to_engine)?;
                    if matches!(e, StepError::Verify(_)) {
                        // The move no longer verifies: record it, so status
                        // shows verify-failed.
                        let vs = step_name(u, step::VERIFY);
                        self.write_intent(&vs, &json!({"op": "verify", "target": u.target_id}))
                            .map_err(step_to_engine)?;
                        self.write_result(&vs, StepOutcome::Failed, &e.detail())
                            .map_err(step_to_engine)?;
                    }
                    self.emit(u, step::COMMIT, EventStatus::Failed, Some(e.message()));
                    rows.push(refuse(e.message()));
                }
            }
        }
        Ok(rows)
    }

    /// `discard`: delete the targets of moved, uncommitted resources
    /// (dependents first) and put re-configured settings back; they return
    /// to `prepared`.
    pub async fn discard(&self, only: &[String]) -> Result<Vec<ActionRow>, EngineError> {
        let sel = self.selected(only)?;
        let views: Vec<UnitView> = (0..self.plan.units.len())
            .map(|i| self.view(i))
            .collect::<Result<_, _>>()
            .map_err(step_to_engine)?;
        let touched = |v: &UnitView| {
            v.target_exists
                || matches!(
                    v.state,
                    State::Moving
                        | State::MoveFailed
                        | State::VerifyFailed
                        | State::Discarding
                        | State::DiscardFailed
                )
        };
        let dependents = self.plan.dependents();
        let mut rows = Vec::new();
        for &i in self.plan.order.iter().rev() {
            if !sel.contains(&i) {
                continue;
            }
            let u = &self.plan.units[i];
            let v = &views[i];
            if v.state.is_committed() {
                rows.push(ActionRow {
                    unit: u.key.to_string(),
                    outcome: RowOutcome::Kept,
                    detail: Some("committed: a committed move cannot be discarded".into()),
                });
                continue;
            }
            if !touched(v) {
                continue;
            }
            if let Some(&j) = dependents[i]
                .iter()
                .find(|&&j| !sel.contains(&j) && touched(&views[j]))
            {
                rows.push(ActionRow {
                    unit: u.key.to_string(),
                    outcome: RowOutcome::Kept,
                    detail: Some(format!(
                        "{} depends on it and is not discarded with it",
                        self.plan.units[j].key
                    )),
                });
                continue;
            }
            let name = step_name(u, step::DISCARD);
            self.write_intent(&name, &json!({"op": "discard", "target": u.target_id}))
                .map_err(step_to_engine)?;
            let r = self.discard_one(i).await;
            match r {
                Ok(detail) => {
                    self.write_result(&name, StepOutcome::Succeeded, &detail)
                        .map_err(step_to_engine)?;
                    self.emit(u, step::DISCARD, EventStatus::Succeeded, None);
                    rows.push(ActionRow {
                        unit: u.key.to_string(),
                        outcome: RowOutcome::Discarded,
                        detail: detail
                            .get("note")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    });
                }
                Err(StepError::Crashed) => return Err(EngineError::Crashed),
                Err(e) => {
                    self.write_result(&name, StepOutcome::Failed, &e.detail())
                        .map_err(step_to_engine)?;
                    rows.push(ActionRow {
                        unit: u.key.to_string(),
                        outcome: RowOutcome::DiscardFailed,
                        detail: Some(e.message()),
                    });
                }
            }
        }
        Ok(rows)
    }

    pub(super) async fn discard_one(&self, i: usize) -> Result<Value, StepError> {
        let u = &self.plan.units[i];
        match u.kind {
            UnitKind::Manual => Ok(json!({"note": "not automated: undo it yourself"})),
            UnitKind::Action(_) => self.action_discard(i).await,
            // Its owner's discard removes it (or the service's, later).
            UnitKind::Owned => Ok(json!({"note": "created by its owner: discarded with it"})),
            UnitKind::Reconfigure => {
                let before = self
                    .detail_of(i, step::PREPARE)
                    .get("before")
                    .cloned()
                    .unwrap_or(Value::Null);
                let mv = self
                    .journal
                    .last(RUN, &step_name(u, step::MOVE))
                    .map_err(StepError::Journal)?;
                let changed = mv.is_some_and(|m| m.outcome == Some(StepOutcome::Succeeded));
                if changed && before.is_object() {
                    self.arm
                        .put(u.target_id.as_str(), &u.api_version, &before)
                        .await?;
                    Ok(json!({"note": "settings restored"}))
                } else {
                    Ok(json!({"note": "nothing was changed"}))
                }
            }
            UnitKind::Deploy | UnitKind::DiskCopy => {
                let api = if vocab::is(&u.resource_type, vocab::RESOURCE_GROUPS) {
                    api::RESOURCE_GROUPS
                } else {
                    u.api_version.as_str()
                };
                let deleted = self.arm.delete(u.target_id.as_str(), api).await?;
                if u.kind == UnitKind::DiskCopy
                    && let Some(d) = &u.deploy
                {
                    for phase in ["seed", "final"] {
                        let disk = u.target_name.chars().take(60).collect::<String>();
                        let snap = vocab::provider_id(
                            &d.scope,
                            vocab::SNAPSHOTS,
                            &format!("{disk}-azrelo-{phase}"),
                        );
                        self.arm.delete(&snap, api::SNAPSHOTS).await?;
                    }
                }
                Ok(json!({"deleted": deleted}))
            }
        }
    }
}

/// A what-if result as `create 2, modify 1, no change 3` (the resource
/// group of a new group's nested form counts too).
fn changes_summary(body: Option<&Value>) -> String {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let changes = body
        .and_then(|b| b.pointer("/properties/changes"))
        .and_then(Value::as_array);
    for c in changes.into_iter().flatten() {
        let kind = c
            .get("changeType")
            .and_then(Value::as_str)
            .unwrap_or("Unknown");
        // ARM's change types are PascalCase: NoChange → "no change".
        let mut words = String::new();
        for (i, ch) in kind.chars().enumerate() {
            if ch.is_ascii_uppercase() && i > 0 {
                words.push(' ');
            }
            words.push(ch.to_ascii_lowercase());
        }
        *counts.entry(words).or_insert(0) += 1;
    }
    if counts.is_empty() {
        return "no change reported".into();
    }
    counts
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}
