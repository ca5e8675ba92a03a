//! The estate's extension records written back in ARM's GET shape — the
//! inverse of what `read` parses. One place for it: the generator copies
//! these bodies into target templates, and the emulator's `--seed` stores
//! them as existing resources so live discovery finds what file discovery
//! found.

use serde_json::{Map, Value, json};

use azrelo_arm::id::ResourceId;

use crate::Estate;

/// Every record of the estate as ARM returns it, for seeding a rehearsal
/// cloud (`azrelo emulator serve --seed`, tests): resources (without azrelo's
/// `provenance` and `dependsOn`), then [`extension_bodies`].
pub fn arm_bodies(estate: &Estate) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = estate
        .resources
        .iter()
        .filter_map(|r| {
            let mut v = serde_json::to_value(r).ok()?;
            let m = v.as_object_mut()?;
            m.remove("provenance");
            m.remove("dependsOn");
            Some((r.id.to_string(), v))
        })
        .collect();
    out.extend(
        extension_bodies(estate)
            .into_iter()
            .map(|(id, body)| (id.to_string(), body)),
    );
    out
}

/// ARM GET-shaped bodies (`type`, `properties`) of the estate's role
/// assignments, diagnostic settings, locks and policy exemptions, in that
/// order, each with its id.
pub fn extension_bodies(estate: &Estate) -> Vec<(ResourceId, Value)> {
    let mut out = Vec::with_capacity(
        estate.role_assignments.len()
            + estate.diagnostic_settings.len()
            + estate.locks.len()
            + estate.policy_exemptions.len(),
    );
    for ra in &estate.role_assignments {
        let mut p = Map::new();
        p.insert("scope".into(), Value::String(ra.scope.clone()));
        p.insert(
            "roleDefinitionId".into(),
            Value::String(ra.role_definition_id.clone()),
        );
        p.insert("principalId".into(), Value::String(ra.principal_id.clone()));
        for (k, v) in [
            ("principalType", &ra.principal_type),
            ("condition", &ra.condition),
            ("description", &ra.description),
        ] {
            if let Some(v) = v {
                p.insert(k.into(), Value::String(v.clone()));
            }
        }
        out.push((
            ra.id.clone(),
            json!({"type": "Microsoft.Authorization/roleAssignments", "properties": Value::Object(p)}),
        ));
    }
    for d in &estate.diagnostic_settings {
        let mut p = Map::new();
        for (k, v) in [
            ("workspaceId", &d.workspace_id),
            (
                "eventHubAuthorizationRuleId",
                &d.event_hub_authorization_rule_id,
            ),
            ("eventHubName", &d.event_hub_name),
            ("storageAccountId", &d.storage_account_id),
            ("marketplacePartnerId", &d.marketplace_partner_id),
            (
                "logAnalyticsDestinationType",
                &d.log_analytics_destination_type,
            ),
            ("serviceBusRuleId", &d.service_bus_rule_id),
        ] {
            if let Some(v) = v {
                p.insert(k.into(), Value::String(v.clone()));
            }
        }
        let entries = |l: &[crate::DiagnosticEntry]| -> Vec<Value> {
            l.iter().map(|e| Value::Object(e.0.clone())).collect()
        };
        let (logs, metrics) = (entries(&d.logs), entries(&d.metrics));
        p.insert("logs".into(), Value::Array(logs));
        p.insert("metrics".into(), Value::Array(metrics));
        out.push((
            d.id.clone(),
            json!({"type": "Microsoft.Insights/diagnosticSettings", "properties": Value::Object(p)}),
        ));
    }
    for l in &estate.locks {
        let mut p = Map::new();
        p.insert("level".into(), Value::String(l.level.clone()));
        if let Some(n) = &l.notes {
            p.insert("notes".into(), Value::String(n.clone()));
        }
        out.push((
            l.id.clone(),
            json!({"type": "Microsoft.Authorization/locks", "properties": Value::Object(p)}),
        ));
    }
    for x in &estate.policy_exemptions {
        let mut p = Map::new();
        p.insert(
            "policyAssignmentId".into(),
            Value::String(x.policy_assignment_id.clone()),
        );
        for (k, v) in [
            ("exemptionCategory", &x.category),
            ("expiresOn", &x.expires_on),
            ("displayName", &x.display_name),
        ] {
            if let Some(v) = v {
                p.insert(k.into(), Value::String(v.clone()));
            }
        }
        out.push((
            x.id.clone(),
            json!({"type": "Microsoft.Authorization/policyExemptions", "properties": Value::Object(p)}),
        ));
    }
    out
}
