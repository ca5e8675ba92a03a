//! The permissions of recreated identities (seed 003, catalog scenario
//! `managed-identities`): role assignments no generated template holds
//! (management-group scope; REST `RoleAssignments_Create`, api 2022-04-01),
//! Key Vault access policies (`PUT {vault}/accessPolicies/add`, example
//! specification/keyvault/…/stable/2023-07-01/examples/
//! updateAccessPoliciesAdd.json) and Cosmos DB SQL role assignments
//! (`PUT {account}/sqlRoleAssignments/{id}`, example specification/
//! cosmos-db/…/CosmosDBSqlRoleAssignmentCreateUpdate.json) for the new
//! principal.

use serde_json::{Value, json};

use azrelo_journal::StepOutcome;

use super::{api, param, same};
use crate::engine::*;
use crate::model::Procedure;
use crate::verify::Difference;

fn differs(path: &str, expected: &str, actual: &str) -> Difference {
    Difference {
        path: path.into(),
        expected: expected.into(),
        actual: actual.into(),
    }
}

impl<A: Arm> Engine<A> {
    /// The principal a role assignment action names.
    async fn action_principal(&self, p: &Procedure) -> Result<String, StepError> {
        let principal = &p.params["principal"];
        match principal["kind"].as_str() {
            Some("newPrincipalOf") => {
                let identity = principal["identity"].as_str().unwrap_or_default();
                self.principal_id(identity).await
            }
            _ => principal["principalId"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| StepError::Input("the role assignment names no principal".into())),
        }
    }

    pub(super) async fn role_assignment_put(
        &self,
        i: usize,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let id = self.plan.units[i].target_id.as_str();
        let principal = self.action_principal(p).await?;
        let mut props = json!({
            "roleDefinitionId": param(p, "roleDefinitionId")?,
            "principalId": principal,
        });
        if let Some(t) = p.params["principalType"].as_str() {
            props["principalType"] = json!(t);
        }
        self.arm
            .put(id, api::ROLE_ASSIGNMENTS, &json!({"properties": props}))
            .await?;
        Ok((
            StepOutcome::Succeeded,
            json!({"roleAssignment": id, "principalId": principal}),
        ))
    }

    pub(super) async fn role_assignment_verify(
        &self,
        i: usize,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let id = self.plan.units[i].target_id.as_str();
        let want = self.detail_of(i, step::MOVE)["principalId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let Some(b) = self.arm.get(id, api::ROLE_ASSIGNMENTS).await? else {
            return Err(StepError::Verify(vec![differs(
                "",
                "the role assignment",
                "absent (404)",
            )]));
        };
        let mut d = Vec::new();
        let got = b
            .pointer("/properties/principalId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !same(got, &want) {
            d.push(differs("/properties/principalId", &want, got));
        }
        let role = param(p, "roleDefinitionId")?;
        let got = b
            .pointer("/properties/roleDefinitionId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !got.to_ascii_lowercase().ends_with(
            &role
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase(),
        ) {
            d.push(differs("/properties/roleDefinitionId", role, got));
        }
        if d.is_empty() {
            Ok((StepOutcome::Succeeded, json!({})))
        } else {
            Err(StepError::Verify(d))
        }
    }

    pub(super) async fn grant_put(
        &self,
        _i: usize,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let identity = param(p, "identity")?;
        let principal = self.principal_id(identity).await?;
        match param(p, "kind")? {
            "keyVaultAccessPolicy" => {
                let vault = param(p, "vault")?;
                let tenant = match p.params["tenantId"].as_str() {
                    Some(t) => t.to_string(),
                    None => self
                        .arm
                        .get(vault, api::KEY_VAULT)
                        .await?
                        .and_then(|v| {
                            v.pointer("/properties/tenantId")
                                .and_then(Value::as_str)
                                .map(str::to_string)
                        })
                        .unwrap_or_default(),
                };
                let entry = json!({
                    "tenantId": tenant,
                    "objectId": principal,
                    "permissions": p.params.get("permissions").cloned().unwrap_or(json!({})),
                });
                self.arm
                    .put(
                        &format!("{vault}/accessPolicies/add"),
                        api::KEY_VAULT,
                        &json!({"properties": {"accessPolicies": [entry]}}),
                    )
                    .await?;
                Ok((
                    StepOutcome::Succeeded,
                    json!({"vault": vault, "principalId": principal, "entry": entry}),
                ))
            }
            "cosmosSqlRoleAssignment" => {
                let account = param(p, "account")?;
                let name = param(p, "name")?;
                let id = format!("{account}/sqlRoleAssignments/{name}");
                self.arm
                    .put(
                        &id,
                        api::COSMOS,
                        &json!({"properties": {
                            "roleDefinitionId": param(p, "roleDefinitionId")?,
                            "scope": param(p, "scope")?,
                            "principalId": principal,
                        }}),
                    )
                    .await?;
                Ok((
                    StepOutcome::Succeeded,
                    json!({"roleAssignment": id, "principalId": principal}),
                ))
            }
            other => Err(StepError::Input(format!("unknown grant kind '{other}'"))),
        }
    }

    pub(super) async fn grant_verify(
        &self,
        i: usize,
        p: &Procedure,
    ) -> Result<(StepOutcome, Value), StepError> {
        let done = self.detail_of(i, step::MOVE);
        let principal = done["principalId"].as_str().unwrap_or_default().to_string();
        match param(p, "kind")? {
            "keyVaultAccessPolicy" => {
                let vault = param(p, "vault")?;
                let v = self.arm.get(vault, api::KEY_VAULT).await?.ok_or_else(|| {
                    StepError::Verify(vec![differs("", "the key vault", "absent (404)")])
                })?;
                let entry = v
                    .pointer("/properties/accessPolicies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .find(|e| e["objectId"].as_str().is_some_and(|o| same(o, &principal)));
                let Some(entry) = entry else {
                    return Err(StepError::Verify(vec![differs(
                        "/properties/accessPolicies",
                        &format!("an access policy for {principal}"),
                        "none",
                    )]));
                };
                let want = done["entry"]["permissions"].clone();
                let d = crate::verify::compare(
                    "Microsoft.KeyVault/vaults",
                    &json!({"permissions": want}),
                    &json!({"permissions": entry["permissions"]}),
                );
                if d.is_empty() {
                    Ok((StepOutcome::Succeeded, json!({})))
                } else {
                    Err(StepError::Verify(d))
                }
            }
            _ => {
                let id = done["roleAssignment"].as_str().unwrap_or_default();
                let Some(b) = self.arm.get(id, api::COSMOS).await? else {
                    return Err(StepError::Verify(vec![differs(
                        "",
                        "the SQL role assignment",
                        "absent (404)",
                    )]));
                };
                let got = b
                    .pointer("/properties/principalId")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if same(got, &principal) {
                    Ok((StepOutcome::Succeeded, json!({})))
                } else {
                    Err(StepError::Verify(vec![differs(
                        "/properties/principalId",
                        &principal,
                        got,
                    )]))
                }
            }
        }
    }

    pub(super) async fn grant_undo(&self, i: usize, p: &Procedure) -> Result<Value, StepError> {
        let done = self.detail_of(i, step::MOVE);
        match param(p, "kind")? {
            "keyVaultAccessPolicy" => {
                let vault = param(p, "vault")?;
                if done["entry"].is_null() || self.arm.get(vault, api::KEY_VAULT).await?.is_none() {
                    return Ok(json!({"note": "nothing to remove"}));
                }
                self.arm
                    .put(
                        &format!("{vault}/accessPolicies/remove"),
                        api::KEY_VAULT,
                        &json!({"properties": {"accessPolicies": [done["entry"]]}}),
                    )
                    .await?;
                Ok(json!({"note": "access policy removed"}))
            }
            _ => {
                let id = done["roleAssignment"].as_str().unwrap_or_default();
                let deleted = !id.is_empty() && self.arm.delete(id, api::COSMOS).await?;
                Ok(json!({"deleted": deleted}))
            }
        }
    }
}
