//! Defender for Cloud (seed 000, catalog scenario `defender-for-cloud`):
//! the source subscription's configuration mirrored to a new target
//! subscription, and the Security solutions on the custom workspaces
//! relocated servers report to. REST shapes: Microsoft.Security pricings
//! (specification/security/…/stable/2024-01-01/examples/Pricings/
//! PutPricingByNameDefenderForServers_example.json: `pricingTier`,
//! `subPlan`, `extensions`), settings (`kind: DataExportSettings`,
//! `enabled`; 2022-05-01), autoProvisioningSettings (`autoProvision`),
//! workspaceSettings (`workspaceId`, `scope`; 2017-08-01-preview),
//! securityContacts (2020-01-01-preview); OperationsManagement solutions
//! (`plan.product: OMSGallery/Security`, `properties.workspaceResourceId`;
//! 2015-11-01-preview).

use serde_json::{Value, json};

use azrelo_journal::StepOutcome;

use super::{api, param, same};
use crate::engine::*;
use crate::model::Procedure;
use crate::verify::{Difference, compare};

/// One subscription-level Defender setting: where it lives and the body
/// the target must have (a subset of what a GET returns).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Setting {
    /// `pricings`, `settings`, `autoProvisioningSettings`, …
    pub kind: &'static str,
    pub name: String,
    pub body: Value,
}

impl Setting {
    fn api(&self) -> &'static str {
        match self.kind {
            "pricings" => api::PRICINGS,
            "settings" => api::SETTINGS,
            "autoProvisioningSettings" => api::AUTO_PROVISIONING,
            "workspaceSettings" => api::WORKSPACE_SETTINGS,
            _ => api::SECURITY_CONTACTS,
        }
    }

    fn path(&self, sub: &str) -> String {
        format!(
            "/subscriptions/{sub}/providers/Microsoft.Security/{}/{}",
            self.kind, self.name
        )
    }

    fn key(&self) -> String {
        format!("{}/{}", self.kind, self.name.to_ascii_lowercase())
    }

    fn to_json(&self) -> Value {
        json!({"kind": self.kind, "name": self.name, "body": self.body})
    }

    fn from_json(v: &Value) -> Option<Setting> {
        let kind = KINDS.iter().find(|k| Some(**k) == v["kind"].as_str())?;
        Some(Setting {
            kind,
            name: v["name"].as_str()?.to_string(),
            body: v["body"].clone(),
        })
    }
}

const KINDS: [&str; 5] = [
    "pricings",
    "settings",
    "autoProvisioningSettings",
    "workspaceSettings",
    "securityContacts",
];

/// The settings of `want` the target does not have as wanted.
pub(crate) fn changes<'a>(want: &'a [Setting], current: &[Setting]) -> Vec<&'a Setting> {
    want.iter()
        .filter(|w| {
            current
                .iter()
                .find(|c| c.key() == w.key())
                .is_none_or(|c| !diffs(w, c).is_empty())
        })
        .collect()
}

fn diffs(want: &Setting, got: &Setting) -> Vec<Difference> {
    let ty = format!("Microsoft.Security/{}", want.kind);
    compare(&ty, &want.body, &got.body)
}

impl<A: Arm> Engine<A> {
    /// One `Microsoft.Security` collection of a subscription (empty when
    /// the provider answers 404).
    async fn security_list(&self, sub: &str, kind: &'static str) -> Result<Vec<Value>, StepError> {
        let probe = Setting {
            kind,
            name: String::new(),
            body: Value::Null,
        };
        let path = format!("/subscriptions/{sub}/providers/Microsoft.Security/{kind}");
        match self.arm.list(&path, probe.api()).await {
            Ok(l) => Ok(l),
            Err(e) if e.is_crash() => Err(e.into()),
            Err(e) if e.status == Some(404) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// The Defender settings of a subscription: plans that are on (with
    /// their sub-plans and extensions), the integration settings,
    /// auto-provisioning, workspace settings and security contacts.
    async fn security_config(&self, sub: &str) -> Result<Vec<Setting>, StepError> {
        let mut out = Vec::new();
        for kind in KINDS {
            let list = self.security_list(sub, kind).await?;
            for b in list {
                let Some(name) = b["name"].as_str() else {
                    continue;
                };
                let p = &b["properties"];
                let body = match kind {
                    "pricings" => {
                        if !p["pricingTier"]
                            .as_str()
                            .is_some_and(|t| t.eq_ignore_ascii_case("Standard"))
                        {
                            // Only what the source has on is enabled.
                            continue;
                        }
                        let mut props = json!({"pricingTier": "Standard"});
                        for k in ["subPlan", "extensions"] {
                            if let Some(v) = p.get(k).filter(|v| !v.is_null()) {
                                props[k] = v.clone();
                            }
                        }
                        json!({"properties": props})
                    }
                    "settings" => json!({
                        "kind": b.get("kind").cloned().unwrap_or(json!("DataExportSettings")),
                        "properties": {"enabled": p.get("enabled")},
                    }),
                    "autoProvisioningSettings" => {
                        json!({"properties": {"autoProvision": p.get("autoProvision")}})
                    }
                    "workspaceSettings" => json!({"properties": {
                        "workspaceId": p.get("workspaceId"),
                        "scope": p.get("scope"),
                    }}),
                    _ => {
                        let mut props = p.clone();
                        if let Some(m) = props.as_object_mut() {
                            m.remove("provisioningState");
                        }
                        json!({"properties": props})
                    }
                };
                out.push(Setting {
                    kind,
                    name: name.to_string(),
                    body,
                });
            }
        }
        Ok(out)
    }

    /// What the target subscription must have (the source's settings, the
    /// workspace re-pointed to a moved workspace and scoped to the target)
    /// and what it has now.
    pub(super) async fn defender_read(
        &self,
        p: &Procedure,
    ) -> Result<(Vec<Setting>, Vec<Setting>), StepError> {
        let source = param(p, "sourceSubscription")?;
        let target = param(p, "targetSubscription")?;
        let mut want = self.security_config(source).await?;
        for w in &mut want {
            if w.kind == "workspaceSettings" {
                let ws = w.body["properties"]["workspaceId"]
                    .as_str()
                    .map(|s| self.plan.repoint(s));
                w.body["properties"]["workspaceId"] = json!(ws);
                w.body["properties"]["scope"] = json!(format!("/subscriptions/{target}"));
            }
        }
        let current = self.security_config_all(target).await?;
        Ok((want, current))
    }

    /// Every setting of the target as it is (pricings whatever the tier).
    async fn security_config_all(&self, sub: &str) -> Result<Vec<Setting>, StepError> {
        let mut out = Vec::new();
        for kind in KINDS {
            let list = self.security_list(sub, kind).await?;
            for b in list {
                if let Some(name) = b["name"].as_str() {
                    out.push(Setting {
                        kind,
                        name: name.to_string(),
                        body: b.clone(),
                    });
                }
            }
        }
        Ok(out)
    }

    pub(super) async fn defender_prepare(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let (want, current) = self.defender_read(p).await?;
        let before: Vec<Value> = want
            .iter()
            .map(|w| {
                current.iter().find(|c| c.key() == w.key()).map_or(
                    json!({"kind": w.kind, "name": w.name, "absent": true}),
                    |c| c.to_json(),
                )
            })
            .collect();
        Ok((
            StepOutcome::Succeeded,
            json!({
                "want": want.iter().map(Setting::to_json).collect::<Vec<_>>(),
                "before": before,
            }),
        ))
    }

    fn wanted(&self, i: usize) -> Vec<Setting> {
        self.detail_of(i, step::PREPARE)["want"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Setting::from_json)
            .collect()
    }

    pub(super) async fn defender_mirror(
        &self,
        i: usize,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let target = param(p, "targetSubscription")?;
        let want = self.wanted(i);
        let current = self.security_config_all(target).await?;
        let todo = changes(&want, &current);
        let mut changed = Vec::new();
        for w in &todo {
            self.arm.put(&w.path(target), w.api(), &w.body).await?;
            changed.push(w.key());
        }
        Ok((
            if changed.is_empty() {
                StepOutcome::Skipped
            } else {
                StepOutcome::Succeeded
            },
            json!({"changed": changed, "note": format!("{} of {} setting(s) set", changed.len(), want.len())}),
        ))
    }

    pub(super) async fn defender_verify(
        &self,
        i: usize,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let target = param(p, "targetSubscription")?;
        let want = self.wanted(i);
        let current = self.security_config_all(target).await?;
        let mut d = Vec::new();
        for w in &want {
            match current.iter().find(|c| c.key() == w.key()) {
                None => d.push(Difference {
                    path: w.key(),
                    expected: w.body.to_string(),
                    actual: "absent".into(),
                }),
                Some(c) => d.extend(diffs(w, c).into_iter().map(|mut x| {
                    x.path = format!("{}{}", w.key(), x.path);
                    x
                })),
            }
        }
        if d.is_empty() {
            Ok((StepOutcome::Succeeded, json!({"settings": want.len()})))
        } else {
            Err(StepError::Verify(d))
        }
    }

    /// Discard: what the run changed goes back to what it was (a plan that
    /// was off goes back to Free; a setting that did not exist is removed).
    pub(super) async fn defender_undo(&self, i: usize, p: &Procedure) -> Result<Value, StepError> {
        let target = param(p, "targetSubscription")?;
        let changed: Vec<String> = self.detail_of(i, step::MOVE)["changed"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let before = self.detail_of(i, step::PREPARE)["before"].clone();
        let mut restored = 0;
        for b in before.as_array().into_iter().flatten() {
            let kind = b["kind"].as_str().unwrap_or_default();
            let name = b["name"].as_str().unwrap_or_default();
            if !changed
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&format!("{kind}/{name}")))
            {
                continue;
            }
            let Some(s) =
                Setting::from_json(&json!({"kind": kind, "name": name, "body": b["body"]}))
            else {
                continue;
            };
            if b["absent"].as_bool() == Some(true) {
                match kind {
                    "pricings" => {
                        self.arm
                            .put(
                                &s.path(target),
                                s.api(),
                                &json!({"properties": {"pricingTier": "Free"}}),
                            )
                            .await?;
                    }
                    "autoProvisioningSettings" => {
                        self.arm
                            .put(
                                &s.path(target),
                                s.api(),
                                &json!({"properties": {"autoProvision": "Off"}}),
                            )
                            .await?;
                    }
                    _ => {
                        self.arm.delete(&s.path(target), s.api()).await?;
                    }
                }
            } else {
                let mut body = b["body"].clone();
                if let Some(m) = body.as_object_mut() {
                    for k in ["id", "name", "type", "systemData"] {
                        m.remove(k);
                    }
                }
                self.arm.put(&s.path(target), s.api(), &body).await?;
            }
            restored += 1;
        }
        Ok(json!({"note": format!("{restored} Defender setting(s) restored on {target}")}))
    }

    fn solution_ids(p: &Procedure) -> Result<Vec<(String, String)>, StepError> {
        let ws = param(p, "workspace")?;
        let (rg, name) = ws
            .rsplit_once("/providers/")
            .map(|(rg, rest)| {
                (
                    rg.to_string(),
                    rest.rsplit('/').next().unwrap_or_default().to_string(),
                )
            })
            .ok_or_else(|| StepError::Input(format!("{ws} is not a workspace id")))?;
        Ok(p.params["solutions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| {
                (
                    s.to_string(),
                    format!("{rg}/providers/Microsoft.OperationsManagement/solutions/{s}({name})"),
                )
            })
            .collect())
    }

    pub(super) async fn solutions_install(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let ws = param(p, "workspace")?;
        let location = param(p, "location")?;
        let mut created = Vec::new();
        for (product, id) in Self::solution_ids(p)? {
            if let Some(b) = self.arm.get(&id, api::SOLUTIONS).await?
                && same(
                    b.pointer("/properties/workspaceResourceId")
                        .and_then(Value::as_str)
                        .unwrap_or_default(),
                    ws,
                )
            {
                continue;
            }
            let name = id.rsplit('/').next().unwrap_or_default();
            self.arm
                .put(
                    &id,
                    api::SOLUTIONS,
                    &json!({
                        "location": location,
                        "plan": {
                            "name": name,
                            "publisher": "Microsoft",
                            "product": format!("OMSGallery/{product}"),
                            "promotionCode": "",
                        },
                        "properties": {"workspaceResourceId": ws},
                    }),
                )
                .await?;
            created.push(id);
        }
        Ok((StepOutcome::Succeeded, json!({"created": created})))
    }

    pub(super) async fn solutions_verify(
        &self,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let ws = param(p, "workspace")?;
        let mut d = Vec::new();
        for (_, id) in Self::solution_ids(p)? {
            match self.arm.get(&id, api::SOLUTIONS).await? {
                None => d.push(Difference {
                    path: id,
                    expected: "installed".into(),
                    actual: "absent".into(),
                }),
                Some(b) => {
                    let got = b
                        .pointer("/properties/workspaceResourceId")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if !same(got, ws) {
                        d.push(Difference {
                            path: format!("{id}/properties/workspaceResourceId"),
                            expected: ws.into(),
                            actual: got.into(),
                        });
                    }
                }
            }
        }
        if d.is_empty() {
            Ok((StepOutcome::Succeeded, json!({})))
        } else {
            Err(StepError::Verify(d))
        }
    }

    pub(super) async fn solutions_undo(
        &self,
        i: usize,
        _p: &Procedure,
    ) -> Result<Value, StepError> {
        let created: Vec<String> = self.detail_of(i, step::MOVE)["created"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        for id in &created {
            self.arm.delete(id, api::SOLUTIONS).await?;
        }
        Ok(json!({"note": format!("{} solution(s) removed", created.len())}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pricing(name: &str, sub_plan: &str) -> Setting {
        Setting {
            kind: "pricings",
            name: name.into(),
            body: json!({"properties": {"pricingTier": "Standard", "subPlan": sub_plan}}),
        }
    }

    #[test]
    fn only_what_differs_is_a_change() {
        let want = vec![
            pricing("VirtualMachines", "P2"),
            pricing("StorageAccounts", "DefenderForStorageV2"),
        ];
        let current = vec![
            Setting {
                kind: "pricings",
                name: "virtualmachines".into(),
                body: json!({"id": "/x", "properties": {"pricingTier": "Standard", "subPlan": "P2", "freeTrialRemainingTime": "PT0S"}}),
            },
            Setting {
                kind: "pricings",
                name: "StorageAccounts".into(),
                body: json!({"properties": {"pricingTier": "Free"}}),
            },
        ];
        let c = changes(&want, &current);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "StorageAccounts");
        assert_eq!(changes(&want, &[]).len(), 2);
        assert_eq!(
            Setting::from_json(&want[0].to_json()),
            Some(want[0].clone())
        );
    }
}
