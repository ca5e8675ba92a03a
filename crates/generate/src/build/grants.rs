//! Key Vault access policies of identities the plan recreates.
//!
//! A recreated identity (a moved resource's system-assigned identity, a
//! user-assigned identity redeployed under a new name) gets a new principal
//! id in the target; its source principal is deleted with the source. The
//! plan's `identity-grants` actions give the new principal the source
//! principal's permissions on the target vault
//! (`PUT {vault}/accessPolicies/add`, operationKind add, api 2023-07-01:
//! an entry is keyed by its tenantId and objectId), so the vault's template
//! does not carry the source principal's entry: it would grant a principal
//! that no longer exists once the source is cleaned up.

use azrelo_plan::{Plan, PlannedResource};
use serde_json::Value;

use super::{Change, ChangeKind};

/// The source principal ids the plan re-grants on this (target) vault.
fn regranted(plan: &Plan, r: &PlannedResource) -> Vec<(String, String)> {
    plan.actions
        .iter()
        .filter(|a| a.executor == "identity-grants")
        .filter(|a| a.params["kind"].as_str() == Some("keyVaultAccessPolicy"))
        .filter(|a| {
            a.params["vault"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case(r.target_id.as_str()))
        })
        .filter_map(|a| {
            Some((
                a.params["sourcePrincipalId"].as_str()?.to_ascii_lowercase(),
                a.params["identity"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            ))
        })
        .collect()
}

/// Drop the access policy entries of recreated principals from a vault
/// body; each dropped entry is recorded as a re-pointed principal reference.
pub(super) fn drop_regranted_access_policies(
    plan: &Plan,
    r: &PlannedResource,
    body: &mut Value,
) -> Vec<Change> {
    if !r
        .resource_type
        .eq_ignore_ascii_case("Microsoft.KeyVault/vaults")
    {
        return Vec::new();
    }
    let regranted = regranted(plan, r);
    if regranted.is_empty() {
        return Vec::new();
    }
    let Some(list) = body
        .pointer_mut("/properties/accessPolicies")
        .and_then(Value::as_array_mut)
    else {
        return Vec::new();
    };
    let mut changes = Vec::new();
    let mut i = 0;
    list.retain(|e| {
        let at = i;
        i += 1;
        let oid = e["objectId"].as_str().unwrap_or_default().to_ascii_lowercase();
        match regranted.iter().find(|(p, _)| *p == oid) {
            Some((_, identity)) => {
                changes.push(Change {
                    pointer: format!("/properties/accessPolicies/{at}"),
                    kind: ChangeKind::Reference,
                    detail: format!(
                        "the access policy of the source principal of {identity}: azrelo gives the identity's new principal the same permissions (identity-grants)"
                    ),
                });
                false
            }
            None => true,
        }
    });
    changes
}
