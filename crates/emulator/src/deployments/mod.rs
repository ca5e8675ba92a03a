//! The deployments API: `Microsoft.Resources/deployments` at resource group
//! and subscription scope, executed by azrelo's template engine through the
//! same rules as direct PUTs, with deployment operations, `validate` and
//! `whatIf`.
//!
//! How a deployment runs, as ARM does it (learn.microsoft.com/azure/
//! azure-resource-manager/templates/resource-dependency: resources without
//! a dependency between them deploy in parallel; template-functions-resource:
//! `reference()` is evaluated at deployment time once the resource exists;
//! the REST references of `Deployments` and `Deployment Operations` for the
//! shapes):
//!
//! * the template is expanded with a [`Runtime`] that answers `reference()`,
//!   `list*()` and `newGuid()` from the emulator's state: a resource is
//!   evaluated only once what it references exists, so the expansion is
//!   repeated as resources get created until nothing changes;
//! * a resource starts when its dependencies (explicit `dependsOn`, its
//!   parent, its extension scope, the `dependsOn` of the nested deployments
//!   around it) are done; independent resources run in parallel (with a
//!   latency profile their operations overlap in emulated time, and the
//!   deployment lasts as long as its longest dependency path);
//! * each resource action is a deployment operation
//!   (`GET …/deployments/{name}/operations[/{id}]`), in ARM's shape;
//! * a failed resource fails the deployment with ARM's `DeploymentFailed`
//!   whose `details` list every failed resource (`target` = its id);
//!   resources that depend on a failed one are not attempted;
//! * nested deployments get their own record (with outputs) and operations;
//! * templates come inline or by `templateLink` (URI, `relativePath`, a
//!   template spec id) from the emulator's artifact mirror
//!   ([`Emulator::with_artifacts`]); the emulator never goes online, and
//!   links it cannot serve fail with ARM's `InvalidContentLink`;
//! * the deployment's own state goes Accepted (the PUT's answer) → Running →
//!   Succeeded/Failed; without a latency profile it is final in the answer.
//!
//! `list*()` answers are secret-shaped values generated per resource from a
//! per-process random salt (stable within a run); they are never logged.
//!
//! What the emulator cannot know is never invented silently: runtime
//! properties are synthesized only where ARM's value has a documented shape
//! (endpoints derived from the name, generated keys), and anything else left
//! symbolic fails the resource with a clear message.

use std::collections::HashSet;

use axum::http::StatusCode;
use axum::response::Response;
use azrelo_arm::id::ResourceId;
use azrelo_template::{ExpandOptions, TemplateScope};
use serde_json::{Value, json};

use crate::Emulator;
use crate::api::error;
use crate::api::resources::not_found;
use crate::state::{TENANT, key, rfc3339};

mod computed;
mod engine;
mod expand;
mod preview;
mod records;
mod runtime;
mod secrets;

pub(crate) use computed::builtin_child;
pub(crate) use records::deployment_subresource;

/// A deployment's API version in the ids and links the emulator writes.
pub(crate) const API: &str = "2024-03-01";

/// What a deployment request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Deploy,
    Validate,
    WhatIf,
}

/// Everything needed to expand the deployment's template again.
pub(crate) struct Prepared {
    pub(crate) template: Value,
    pub(crate) name: String,
    pub(crate) opts: ExpandOptions,
    /// Parameter names declared secure (their values are never shown).
    pub(crate) secure: HashSet<String>,
}

/// `PUT {scope}/providers/Microsoft.Resources/deployments/{name}` and the
/// `validate` / `whatIf` POSTs.
pub(crate) async fn deploy(
    em: &Emulator,
    id: &ResourceId,
    value: Option<Value>,
    mode: Mode,
) -> Response {
    let body = value.unwrap_or_else(|| json!({}));
    let props = &body["properties"];
    // The template: inline, or linked by URI (served by the emulator's
    // artifact mirror, see `Emulator::with_artifacts`).
    let link = props["templateLink"]["uri"].as_str().map(str::to_string);
    let fetched;
    let template = match (props.get("template").filter(|t| t.is_object()), &link) {
        (Some(t), _) => t,
        (None, Some(uri)) => match linked_template(em, uri) {
            Some(t) if t.is_object() => {
                fetched = t;
                &fetched
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "InvalidContentLink",
                    format!(
                        "Unable to download deployment content from '{uri}': the emulator works offline and serves linked templates from its artifact mirror only."
                    ),
                    None,
                );
            }
        },
        (None, None) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidTemplate",
                "The deployment needs properties.template or properties.templateLink.uri.",
                None,
            );
        }
    };
    let name = id.name().unwrap_or("deployment").to_string();
    let mut opts = ExpandOptions::default();
    opts.context.subscription_id = id.subscription_id().unwrap_or_default().to_string();
    opts.context.tenant_id = TENANT.to_string();
    opts.context.deployment_name = name.clone();
    opts.context.now = rfc3339(std::time::SystemTime::now());
    opts.template_link = link.clone();
    match id.resource_group() {
        Some(rg) => {
            let loc = {
                let inner = em.lock();
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
            let Some(loc) = body["location"].as_str() else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "LocationRequired",
                    "The location property is required for this definition (a subscription-scope deployment).",
                    None,
                );
            };
            opts.context.location = loc.to_string();
            opts.scope = Some(TemplateScope::Subscription);
        }
    }
    let mut secure = HashSet::new();
    for (k, decl) in template["parameters"].as_object().into_iter().flatten() {
        let t = decl["type"].as_str().unwrap_or("").to_ascii_lowercase();
        if t == "securestring" || t == "secureobject" {
            secure.insert(k.to_ascii_lowercase());
        }
    }
    if let Some(Value::Object(ps)) = props.get("parameters") {
        for (k, v) in ps {
            if let Some(val) = v.get("value") {
                opts.parameters.insert(k.clone(), val.clone());
            } else if let Some(r) = v.get("reference") {
                match key_vault_reference(em, r) {
                    Ok(val) => {
                        opts.parameters.insert(k.clone(), val);
                    }
                    Err(e) => {
                        return error(
                            StatusCode::BAD_REQUEST,
                            "KeyVaultParameterReferenceSecretRetrieveFailed",
                            format!("Parameter '{k}': {e}"),
                            None,
                        );
                    }
                }
            }
        }
    }
    let prepared = Prepared {
        template: template.clone(),
        name: name.clone(),
        opts,
        secure,
    };
    if mode != Mode::Deploy {
        return preview::preview(em, id, &prepared, mode);
    }
    {
        let inner = em.lock();
        if let Some(s) = inner.resources.get(&key(id.as_str()))
            && matches!(
                s.body["properties"]["provisioningState"].as_str(),
                Some("Accepted" | "Running")
            )
            && em.latency() != crate::latency::LatencyProfile::Off
        {
            return error(
                StatusCode::CONFLICT,
                "DeploymentActive",
                format!(
                    "Unable to edit or replace deployment '{name}': previous deployment from '{}' is still active.",
                    s.body["properties"]["timestamp"].as_str().unwrap_or("")
                ),
                None,
            );
        }
    }
    let run = engine::execute(em, id, &prepared, props).await;
    records::finish(em, id, run)
}

/// A Key Vault reference in the parameters (`{"keyVault": {"id"},
/// "secretName", "secretVersion"?}`): the secret must exist in the emulator.
pub(crate) fn key_vault_reference(em: &Emulator, r: &Value) -> Result<Value, String> {
    let vault = r["keyVault"]["id"]
        .as_str()
        .ok_or("the Key Vault reference has no keyVault.id")?;
    let secret = r["secretName"]
        .as_str()
        .ok_or("the Key Vault reference has no secretName")?;
    let sid = format!("{}/secrets/{secret}", vault.trim_end_matches('/'));
    let inner = em.lock();
    if !inner.resources.contains_key(&key(vault)) {
        return Err(format!("the Key Vault '{vault}' was not found."));
    }
    match inner.resources.get(&key(&sid)) {
        Some(s) => Ok(s.body["properties"]["value"].clone()),
        None => Err(format!(
            "the secret '{secret}' was not found in the Key Vault '{vault}'."
        )),
    }
}

/// A linked template from the emulator's artifact mirror
/// ([`Emulator::with_artifacts`]): the file under the directory mapped to
/// the URI's prefix (query string, e.g. a SAS token, ignored; no `..`).
pub(crate) fn linked_template(em: &Emulator, uri: &str) -> Option<Value> {
    let uri = uri.split('?').next().unwrap_or(uri);
    em.artifacts.iter().find_map(|(prefix, dir)| {
        let rest = uri.strip_prefix(prefix.as_str())?;
        let mut path = dir.clone();
        for seg in rest.split('/').filter(|s| !s.is_empty() && *s != ".") {
            if seg == ".." || seg.contains([':', '\\']) {
                return None;
            }
            path.push(seg);
        }
        let text = std::fs::read_to_string(&path).ok()?;
        azrelo_template::json::parse(&text, uri).ok()
    })
}
