//! Reading inputs: content sniffing, per-kind readers, merging with provenance.
//!
//! Kinds are recognised from content, never from flags or file names:
//!
//! | content | kind |
//! |---|---|
//! | object with `schema: "azrelo.estate/v1"` | estate file |
//! | object whose `$schema` names `deploymentParameters` | parameters file |
//! | object with `$schema` naming a deployment template, or with `resources` and `contentVersion` | ARM template |
//! | object with a `data` array (and `count`/`skip_token`/`total_records`) | Azure Resource Graph result |
//! | object with a `value` array | ARM GET list body |
//! | object with `id` and `type` | ARM GET body of one resource |
//! | array whose rows carry `subscriptionId` and `tenantId` | Azure Resource Graph rows (bare array) |
//! | array whose rows carry `id`, `type` and `resourceGroup` but no `tenantId` | `az resource list` |
//!
//! A parameters file is applied to the template named `X.json` when it is
//! `X.parameters.json`, or to the only template when there is exactly one.

use crate::model::*;
use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_template::{DeploymentContext, ExpandOptions, Template, expand};
use indexmap::IndexMap;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// How template inputs are placed (templates carry no subscription or resource group).
#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub subscription: String,
    pub resource_group: String,
    pub location: String,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "azrelo-rg".into(),
            location: "westeurope".into(),
        }
    }
}

/// A fatal input error: what, where (file, line/column or JSON path) and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message}", location.as_ref().map(|l| format!(" {l}")).unwrap_or_default())]
pub struct LoadError {
    pub file: String,
    /// `line:column` or a JSON path.
    pub location: Option<String>,
    pub message: String,
}

fn err(file: &str, location: Option<String>, message: impl Into<String>) -> LoadError {
    LoadError {
        file: file.to_string(),
        location,
        message: message.into(),
    }
}

/// Recognise an input's kind from its content.
pub fn detect(v: &Value) -> Option<InputKind> {
    match v {
        Value::Object(o) => {
            if o.get("schema").and_then(|s| s.as_str()) == Some(SCHEMA) {
                return Some(InputKind::Estate);
            }
            let schema = o
                .get("$schema")
                .and_then(|s| s.as_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            if schema.contains("deploymentparameters") {
                return Some(InputKind::Parameters);
            }
            if schema.contains("deploymenttemplate")
                || (o.contains_key("resources") && o.contains_key("contentVersion"))
            {
                return Some(InputKind::Template);
            }
            if o.get("data").is_some_and(Value::is_array)
                && (o.contains_key("count")
                    || o.contains_key("skip_token")
                    || o.contains_key("total_records")
                    || o.contains_key("totalRecords"))
            {
                return Some(InputKind::ResourceGraph);
            }
            if o.get("value").is_some_and(Value::is_array) {
                return Some(InputKind::ArmGet);
            }
            if o.contains_key("id") && o.contains_key("type") {
                return Some(InputKind::ArmGet);
            }
            None
        }
        Value::Array(a) => {
            let first = a.iter().find(|x| x.is_object())?;
            if first.get("subscriptionId").is_some() && first.get("tenantId").is_some() {
                Some(InputKind::ResourceGraph)
            } else if first.get("id").is_some() && first.get("type").is_some() {
                Some(InputKind::ResourceList)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Read any mix of inputs (and estate files) into one estate.
pub fn load_inputs(paths: &[PathBuf], opts: &LoadOptions) -> Result<Estate, LoadError> {
    let mut docs: Vec<(PathBuf, Value, InputKind)> = Vec::new();
    for p in paths {
        let file = p.display().to_string();
        let text = std::fs::read_to_string(p)
            .map_err(|e| err(&file, None, format!("cannot read the file: {e}")))?;
        let v = azrelo_template::json::parse(&text, &file).map_err(|e| {
            err(
                &file,
                Some(format!("{}:{} ({})", e.line, e.column, e.path)),
                format!("not valid JSON: {}", e.message),
            )
        })?;
        let kind = detect(&v).ok_or_else(|| {
            err(
                &file,
                None,
                "not a recognised input: expected an ARM template, a parameters file, `az graph query -o json` output, `az resource list -o json` output, an ARM GET body or an azrelo estate",
            )
        })?;
        docs.push((p.clone(), v, kind));
    }
    let mut estate = Estate::new();
    let templates: Vec<usize> = (0..docs.len())
        .filter(|&i| docs[i].2 == InputKind::Template)
        .collect();
    let parameter_files: Vec<usize> = (0..docs.len())
        .filter(|&i| docs[i].2 == InputKind::Parameters)
        .collect();
    for (i, (path, v, kind)) in docs.iter().enumerate() {
        let file = path.display().to_string();
        let before = estate.len();
        match kind {
            InputKind::Estate => merge_estate(&mut estate, v, &file)?,
            InputKind::Parameters => {
                let paired = templates.iter().any(|&t| pairs_with(&docs[t].0, path))
                    || (templates.len() == 1 && parameter_files.len() == 1);
                if !paired {
                    estate.warnings.push(Warning {
                        file: file.clone(),
                        path: "$".into(),
                        message: "a parameters file without its template (name it X.parameters.json beside X.json, or pass exactly one template) was ignored".into(),
                    });
                }
            }
            InputKind::Template => {
                let params = parameter_files
                    .iter()
                    .find(|&&p| pairs_with(path, &docs[p].0))
                    .or(if templates.len() == 1 && parameter_files.len() == 1 {
                        parameter_files.first()
                    } else {
                        None
                    })
                    .map(|&p| (&docs[p].1, docs[p].0.display().to_string()));
                read_template(&mut estate, path, v, params, opts)?;
            }
            InputKind::ResourceGraph => {
                let rows = match v {
                    Value::Array(a) => a.as_slice(),
                    _ => v["data"].as_array().map(Vec::as_slice).unwrap_or(&[]),
                };
                let base = if v.is_array() { "$" } else { "$.data" };
                for (j, row) in rows.iter().enumerate() {
                    ingest(&mut estate, row, prov(&file, format!("{base}[{j}]"), *kind));
                }
            }
            InputKind::ResourceList => {
                for (j, row) in v.as_array().into_iter().flatten().enumerate() {
                    ingest(&mut estate, row, prov(&file, format!("$[{j}]"), *kind));
                }
            }
            InputKind::ArmGet => {
                if let Some(list) = v.get("value").and_then(|x| x.as_array()) {
                    for (j, row) in list.iter().enumerate() {
                        ingest(
                            &mut estate,
                            row,
                            prov(&file, format!("$.value[{j}]"), *kind),
                        );
                    }
                } else {
                    ingest(&mut estate, v, prov(&file, "$".into(), *kind));
                }
            }
        }
        let _ = i;
        estate.sources.push(Source {
            file,
            kind: *kind,
            records: estate.len() - before,
        });
    }
    // The same extension record may come from several inputs (e.g. ARG and a GET list).
    dedup_extensions(&mut estate);
    Ok(estate)
}

fn pairs_with(template: &Path, params: &Path) -> bool {
    let (Some(t), Some(p)) = (template.file_stem(), params.file_name()) else {
        return false;
    };
    let p = p.to_string_lossy().to_ascii_lowercase();
    let t = t.to_string_lossy().to_ascii_lowercase();
    template.parent() == params.parent() && p == format!("{t}.parameters.json")
}

fn prov(file: &str, path: String, kind: InputKind) -> Provenance {
    Provenance {
        file: file.to_string(),
        path,
        kind,
    }
}

fn read_template(
    estate: &mut Estate,
    path: &Path,
    v: &Value,
    params: Option<(&Value, String)>,
    opts: &LoadOptions,
) -> Result<(), LoadError> {
    let file = path.display().to_string();
    let template =
        Template::parse(&v.to_string(), &file).map_err(|e| err(&file, None, e.to_string()))?;
    let mut parameters = IndexMap::new();
    if let Some((p, _)) = params {
        for (k, pv) in p
            .get("parameters")
            .and_then(|x| x.as_object())
            .into_iter()
            .flatten()
        {
            if let Some(val) = pv.get("value") {
                parameters.insert(k.clone(), val.clone());
            } else if pv.get("reference").is_some() {
                let mut m = serde_json::Map::new();
                m.insert(
                    azrelo_template::value::UNKNOWN_MARKER.to_string(),
                    Value::String(format!("Key Vault reference for parameter '{k}'")),
                );
                parameters.insert(k.clone(), Value::Object(m));
            }
        }
    }
    let options = ExpandOptions {
        context: DeploymentContext {
            subscription_id: opts.subscription.clone(),
            resource_group: opts.resource_group.clone(),
            resource_group_location: opts.location.clone(),
            location: opts.location.clone(),
            ..Default::default()
        },
        parameters,
        base_dir: path.parent().map(Path::to_path_buf),
        ..Default::default()
    };
    let mut x = expand(&template, &options).map_err(|e| {
        err(
            &file,
            None,
            format!("{e} (supply parameters with a X.parameters.json file beside the template)"),
        )
    })?;
    // Secure parameter values never enter the estate.
    x.redact();
    for w in &x.warnings {
        estate.warnings.push(Warning {
            file: file.clone(),
            path: "$".into(),
            message: w.clone(),
        });
    }
    for (i, r) in x.resources.iter().enumerate() {
        if !r.condition {
            continue;
        }
        let mut o = serde_json::Map::new();
        o.insert("id".into(), Value::String(r.id.clone()));
        o.insert("type".into(), Value::String(r.resource_type.clone()));
        o.insert("name".into(), Value::String(r.name.clone()));
        if let Some(l) = &r.location {
            o.insert("location".into(), l.to_json());
        }
        for (k, val) in &r.body {
            o.insert(k.clone(), val.to_json());
        }
        o.insert("apiVersion".into(), Value::String(r.api_version.clone()));
        o.insert(
            "dependsOn".into(),
            Value::Array(r.depends_on.iter().cloned().map(Value::String).collect()),
        );
        ingest(
            estate,
            &Value::Object(o),
            prov(
                &file,
                format!("resources[{i}] ({})", r.name),
                InputKind::Template,
            ),
        );
    }
    Ok(())
}

fn merge_estate(estate: &mut Estate, v: &Value, file: &str) -> Result<(), LoadError> {
    let other: Estate = serde_json::from_value(v.clone())
        .map_err(|e| err(file, None, format!("not a valid {SCHEMA} estate: {e}")))?;
    for r in other.resources {
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

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k)
        .and_then(|x| x.as_str())
        .filter(|x| !x.is_empty())
        .map(str::to_string)
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
                scope: s(&props, "scope").unwrap_or_else(|| scope_of(&id)),
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
            let enabled = |k: &str, field: &[&str]| -> Vec<String> {
                props
                    .get(k)
                    .and_then(|x| x.as_array())
                    .into_iter()
                    .flatten()
                    .filter(|e| e.get("enabled").and_then(|b| b.as_bool()).unwrap_or(true))
                    .filter_map(|e| field.iter().find_map(|f| s(e, f)))
                    .collect()
            };
            estate.diagnostic_settings.push(DiagnosticSetting {
                resource_id: scope_of(&id),
                workspace_id: s(&props, "workspaceId"),
                event_hub_authorization_rule_id: s(&props, "eventHubAuthorizationRuleId"),
                event_hub_name: s(&props, "eventHubName"),
                storage_account_id: s(&props, "storageAccountId"),
                marketplace_partner_id: s(&props, "marketplacePartnerId"),
                logs: enabled("logs", &["category", "categoryGroup"]),
                metrics: enabled("metrics", &["category"]),
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
            let r = resource_from(v, id, rtype, props, provenance);
            insert_resource(estate, r);
        }
    }
}

fn resource_from(
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

/// How much a record tells: populated fields plus the size of its properties.
fn richness(r: &Resource) -> usize {
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
