//! Rows and bodies into the estate: one resource per id, the richest
//! reading kept, secrets redacted at ingest, extension records deduplicated.

use super::*;

pub(super) fn merge_estate(estate: &mut Estate, v: &Value, file: &str) -> Result<(), LoadError> {
    let other: Estate = serde_json::from_value(v.clone())
        .map_err(|e| err(file, None, format!("not a valid {SCHEMA} estate: {e}")))?;
    for mut r in other.resources {
        // An estate written by an older azrelo, or edited by hand, may
        // hold secrets: the policy applies to it as to any input.
        redact_resource(&mut r);
        insert_resource(estate, r);
    }
    estate.role_assignments.extend(other.role_assignments);
    estate.diagnostic_settings.extend(other.diagnostic_settings);
    estate.locks.extend(other.locks);
    estate.policy_exemptions.extend(other.policy_exemptions);
    estate.warnings.extend(other.warnings);
    dedup_extensions(estate);
    Ok(())
}

/// Drop repeated extension records (role assignments, diagnostic settings,
/// locks, policy exemptions) by id, keeping the first (e.g. the same record
/// from Resource Graph and from an ARM GET list).
pub fn dedup_extensions(estate: &mut Estate) {
    fn dedup<T>(v: &mut Vec<T>, id: impl Fn(&T) -> &ResourceId) {
        let mut seen = std::collections::HashSet::new();
        v.retain(|x| seen.insert(id(x).clone()));
    }
    dedup(&mut estate.role_assignments, |x| &x.id);
    dedup(&mut estate.diagnostic_settings, |x| &x.id);
    dedup(&mut estate.locks, |x| &x.id);
    dedup(&mut estate.policy_exemptions, |x| &x.id);
}

pub(super) fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(|x| x.as_str())
        .filter(|x| !x.is_empty())
        .map(str::to_string)
}

/// A resource group's scope in its canonical form: a template's
/// `subscriptionResourceId('Microsoft.Resources/resourceGroups', name)`
/// is `/subscriptions/S/providers/Microsoft.Resources/resourceGroups/NAME`,
/// which ARM accepts as the group `/subscriptions/S/resourceGroups/NAME`
/// (and names the assignment below the latter). Any other text is kept.
pub(crate) fn canonical_group_scope(scope: &str) -> String {
    const FORM: &str = "/providers/microsoft.resources/resourcegroups/";
    let lower = scope.to_ascii_lowercase();
    match lower.find(FORM) {
        Some(at)
            if lower.starts_with("/subscriptions/")
                && !lower[..at]
                    .trim_start_matches("/subscriptions/")
                    .contains('/') =>
        {
            format!(
                "{}/resourceGroups/{}",
                &scope[..at],
                &scope[at + FORM.len()..]
            )
        }
        _ => scope.to_string(),
    }
}

/// Read one record (a resource row or body) into the estate.
pub fn ingest(estate: &mut Estate, v: &Value, provenance: Provenance) {
    let (pfile, ppath) = (provenance.file.clone(), provenance.path.clone());
    let warn = |estate: &mut Estate, message: String| {
        estate.warnings.push(Warning {
            file: pfile.clone(),
            path: ppath.clone(),
            message,
        })
    };
    let Some(id_text) = v.get("id").and_then(|x| x.as_str()) else {
        warn(estate, "the record has no 'id'; skipped".into());
        return;
    };
    let id = match ResourceId::parse(id_text) {
        Ok(id) => id,
        Err(e) => {
            warn(estate, format!("invalid resource id: {e}; skipped"));
            return;
        }
    };
    let rtype = id.type_or_scope_type().as_str().to_string();
    let props = v.get("properties").cloned().unwrap_or(Value::Null);
    let scope_of = |id: &ResourceId| id.scope().map(|s| s.to_string()).unwrap_or_default();
    match rtype.to_ascii_lowercase().as_str() {
        "microsoft.authorization/roleassignments" => {
            let ra = RoleAssignment {
                scope: s(&props, "scope")
                    .map(|x| canonical_group_scope(&x))
                    .unwrap_or_else(|| scope_of(&id)),
                role_definition_id: s(&props, "roleDefinitionId").unwrap_or_default(),
                principal_id: s(&props, "principalId").unwrap_or_default(),
                principal_type: s(&props, "principalType"),
                condition: s(&props, "condition"),
                description: s(&props, "description"),
                id,
                provenance: vec![provenance],
            };
            if ra.principal_id.is_empty() {
                warn(estate, "role assignment without principalId".into());
            }
            estate.role_assignments.push(ra);
        }
        "microsoft.insights/diagnosticsettings" => {
            // The entries as ARM returns them (see `DiagnosticEntry`); az CLI
            // lists (`az monitor diagnostic-settings list`) have the same
            // objects under `properties`.
            let entries = |k: &str| -> Vec<DiagnosticEntry> {
                props
                    .get(k)
                    .and_then(|x| x.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|e| serde_json::from_value(e.clone()).ok())
                    .collect()
            };
            estate.diagnostic_settings.push(DiagnosticSetting {
                resource_id: scope_of(&id),
                workspace_id: s(&props, "workspaceId"),
                event_hub_authorization_rule_id: s(&props, "eventHubAuthorizationRuleId"),
                event_hub_name: s(&props, "eventHubName"),
                storage_account_id: s(&props, "storageAccountId"),
                marketplace_partner_id: s(&props, "marketplacePartnerId"),
                log_analytics_destination_type: s(&props, "logAnalyticsDestinationType"),
                service_bus_rule_id: s(&props, "serviceBusRuleId"),
                logs: entries("logs"),
                metrics: entries("metrics"),
                id,
                provenance: vec![provenance],
            });
        }
        "microsoft.authorization/locks" => estate.locks.push(Lock {
            scope: scope_of(&id),
            level: s(&props, "level").unwrap_or_default(),
            notes: s(&props, "notes"),
            id,
            provenance: vec![provenance],
        }),
        "microsoft.authorization/policyexemptions" => {
            estate.policy_exemptions.push(PolicyExemption {
                scope: scope_of(&id),
                policy_assignment_id: s(&props, "policyAssignmentId").unwrap_or_default(),
                category: s(&props, "exemptionCategory"),
                expires_on: s(&props, "expiresOn"),
                display_name: s(&props, "displayName"),
                id,
                provenance: vec![provenance],
            })
        }
        _ => {
            let mut r = resource_from(v, id, rtype, props, provenance);
            redact_resource(&mut r);
            insert_resource(estate, r);
        }
    }
}

pub(super) fn resource_from(
    v: &Value,
    id: ResourceId,
    rtype: String,
    props: Value,
    provenance: Provenance,
) -> Resource {
    let identity = v.get("identity").filter(|i| i.is_object()).map(|i| {
        let user_assigned = i
            .get("userAssignedIdentities")
            .and_then(|u| u.as_object())
            .map(|u| {
                u.iter()
                    .map(|(k, e)| {
                        (
                            k.clone(),
                            UserAssigned {
                                principal_id: s(e, "principalId"),
                                client_id: s(e, "clientId"),
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Identity {
            kind: s(i, "type").unwrap_or_default(),
            principal_id: s(i, "principalId"),
            tenant_id: s(i, "tenantId"),
            user_assigned,
        }
    });
    let name = match id.kind() {
        IdKind::Resource | IdKind::Extension => id.full_name().unwrap_or_default(),
        _ => id.name().unwrap_or_default().to_string(),
    };
    let tags = v
        .get("tags")
        .and_then(|t| t.as_object())
        .map(|t| {
            t.iter()
                .map(|(k, x)| {
                    (
                        k.clone(),
                        x.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| x.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let nonnull = |k: &str| v.get(k).filter(|x| !x.is_null()).cloned();
    Resource {
        resource_type: rtype,
        name,
        location: s(v, "location"),
        sku: nonnull("sku"),
        kind: s(v, "kind"),
        zones: v
            .get("zones")
            .and_then(|z| z.as_array())
            .map(|z| {
                z.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        identity,
        properties: props,
        tags,
        managed_by: s(v, "managedBy"),
        extended_location: nonnull("extendedLocation"),
        plan: nonnull("plan"),
        api_version: s(v, "apiVersion"),
        depends_on: v
            .get("dependsOn")
            .and_then(|d| d.as_array())
            .map(|d| {
                d.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        id,
        provenance: vec![provenance],
    }
}

/// The secret policy (`azrelo_arm::secrets`) applied to a record at
/// ingest: no estate file holds a secret. Properties by every rule (schema
/// flags, type rules, names, values), tag values by the value rules.
pub(super) fn redact_resource(r: &mut Resource) {
    azrelo_arm::secrets::redact_body(&r.resource_type, &mut r.properties, "/properties");
    for v in r.tags.values_mut() {
        if let Some(x) = azrelo_arm::secrets::redact_text(v) {
            *v = x;
        }
    }
}

/// How much a record tells: populated fields plus the size of its properties.
pub(super) fn richness(r: &Resource) -> usize {
    let fields = [
        r.location.is_some(),
        r.sku.is_some(),
        r.kind.is_some(),
        !r.zones.is_empty(),
        r.identity.is_some(),
        !r.tags.is_empty(),
        r.managed_by.is_some(),
        r.api_version.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let props = match &r.properties {
        Value::Null => 0,
        p => p.to_string().len(),
    };
    fields * 16 + props
}

/// Insert or merge a resource: deduplicated by id; the richer record wins and
/// a disagreement between two inputs is reported naming both.
pub fn insert_resource(estate: &mut Estate, r: Resource) {
    let Some(&i) = estate.index_mut().get(&r.id) else {
        let n = estate.resources.len();
        estate.index_mut().insert(r.id.clone(), n);
        estate.resources.push(r);
        return;
    };
    let old = &estate.resources[i];
    let mut conflicts = Vec::new();
    if let (Some(a), Some(b)) = (&old.location, &r.location)
        && !azrelo_arm::region::normalize(a).eq(&azrelo_arm::region::normalize(b))
    {
        conflicts.push(format!("location '{a}' vs '{b}'"));
    }
    if !old.properties.is_null() && !r.properties.is_null() && old.properties != r.properties {
        conflicts.push("properties differ".to_string());
    }
    let (old_src, new_src) = (
        old.provenance
            .first()
            .map(|p| format!("{} {}", p.file, p.path))
            .unwrap_or_default(),
        r.provenance
            .first()
            .map(|p| format!("{} {}", p.file, p.path))
            .unwrap_or_default(),
    );
    let richer_new = richness(&r) > richness(old);
    if !conflicts.is_empty() {
        let w = Warning {
            file: r
                .provenance
                .first()
                .map(|p| p.file.clone())
                .unwrap_or_default(),
            path: r
                .provenance
                .first()
                .map(|p| p.path.clone())
                .unwrap_or_default(),
            message: format!(
                "{} is described differently by {old_src} and {new_src} ({}); the {} record is kept",
                r.id,
                conflicts.join(", "),
                if richer_new {
                    "second (richer)"
                } else {
                    "first (richer)"
                }
            ),
        };
        estate.warnings.push(w);
    }
    let old = &mut estate.resources[i];
    let mut provenance = std::mem::take(&mut old.provenance);
    provenance.extend(r.provenance.iter().cloned());
    if richer_new {
        let mut depends_on = std::mem::take(&mut old.depends_on);
        let managed_by = old.managed_by.take();
        *old = r;
        depends_on.extend(std::mem::take(&mut old.depends_on));
        depends_on.dedup();
        old.depends_on = depends_on;
        // `managedBy` says who owns the resource; an input that lacks it
        // (a template, a GET body of an older api-version) does not unsay it.
        if old.managed_by.is_none() {
            old.managed_by = managed_by;
        }
    } else {
        old.depends_on.extend(r.depends_on);
        old.depends_on.dedup();
        if old.managed_by.is_none() {
            old.managed_by = r.managed_by;
        }
    }
    old.provenance = provenance;
}

#[cfg(test)]
mod group_scope_tests {
    use super::canonical_group_scope;

    /// The `vm-msi-linux-terraform` quickstart assigns a role with the
    /// scope `subscriptionResourceId('Microsoft.Resources/resourceGroups',
    /// …)`; the plan must see the resource group to re-point it.
    #[test]
    fn a_resource_group_scope_in_provider_form_is_the_group() {
        let sub = "/subscriptions/00000000-0000-0000-0000-0000000000e2";
        assert_eq!(
            canonical_group_scope(&format!(
                "{sub}/providers/Microsoft.Resources/resourceGroups/rg-qs"
            )),
            format!("{sub}/resourceGroups/rg-qs")
        );
        let other =
            format!("{sub}/resourceGroups/rg-qs/providers/Microsoft.Storage/storageAccounts/sa");
        assert_eq!(canonical_group_scope(&other), other);
        assert_eq!(canonical_group_scope(sub), sub);
    }
}
