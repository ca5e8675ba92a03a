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

use std::collections::{HashMap, HashSet};

use azrelo_template::{
    ExpandOptions, Runtime, RuntimeCall, Template, TemplateScope, Value as TValue,
};

use super::*;

/// A deployment's API version in the ids and links the emulator writes.
const API: &str = "2024-03-01";

/// What a deployment request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Deploy,
    Validate,
    WhatIf,
}

/// Everything needed to expand the deployment's template again.
struct Prepared {
    template: Value,
    name: String,
    opts: ExpandOptions,
    /// Parameter names declared secure (their values are never shown).
    secure: HashSet<String>,
}

/// `PUT {scope}/providers/Microsoft.Resources/deployments/{name}` and the
/// `validate` / `whatIf` POSTs.
pub(super) async fn deploy(
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
                let inner = em.inner.lock().expect("emulator state");
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
        return preview(em, id, &prepared, mode);
    }
    {
        let inner = em.inner.lock().expect("emulator state");
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
    let run = execute(em, id, &prepared, props).await;
    finish(em, id, run)
}

/// A Key Vault reference in the parameters (`{"keyVault": {"id"},
/// "secretName", "secretVersion"?}`): the secret must exist in the emulator.
fn key_vault_reference(em: &Emulator, r: &Value) -> Result<Value, String> {
    let vault = r["keyVault"]["id"]
        .as_str()
        .ok_or("the Key Vault reference has no keyVault.id")?;
    let secret = r["secretName"]
        .as_str()
        .ok_or("the Key Vault reference has no secretName")?;
    let sid = format!("{}/secrets/{secret}", vault.trim_end_matches('/'));
    let inner = em.inner.lock().expect("emulator state");
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

// ---------------------------------------------------------------------------
// The runtime: reference(), list*(), newGuid() from the emulator's state.

/// Answers the runtime functions of one deployment.
struct Resolver {
    em: Emulator,
    /// After the first expansion: the ids the deployment itself creates
    /// (lower-cased); a reference to one of them waits, to anything else
    /// missing fails.
    planned: Option<HashSet<String>>,
    /// (deployment path, lower-case name or symbolic name) → id, from the
    /// previous expansion, for `reference('name')`.
    names: HashMap<(String, String), String>,
    /// `newGuid()` values: stable across the repeated expansions.
    guids: HashMap<(String, String, usize), String>,
    guid_seen: HashMap<(String, String), usize>,
    /// Nested deployment outputs by lower-case deployment id.
    nested: HashMap<String, Value>,
    /// Locations of the resource groups the deployment creates.
    group_locations: HashMap<String, String>,
    /// Whether the last expansion learned new nested outputs (a resource
    /// evaluated before them may resolve in the next expansion).
    learned: bool,
}

impl Resolver {
    fn new(em: &Emulator) -> Resolver {
        Resolver {
            em: em.clone(),
            planned: None,
            names: HashMap::new(),
            guids: HashMap::new(),
            guid_seen: HashMap::new(),
            nested: HashMap::new(),
            group_locations: HashMap::new(),
            learned: false,
        }
    }

    /// Learn the deployment's own resources from an expansion.
    fn learn(&mut self, x: &azrelo_template::Expanded) {
        let mut planned = HashSet::new();
        for r in &x.resources {
            if !r.condition {
                continue;
            }
            planned.insert(key(&r.id));
            if r.resource_type
                .eq_ignore_ascii_case("Microsoft.Resources/resourceGroups")
                && let Some(TValue::String(l)) = &r.location
            {
                self.group_locations.insert(key(&r.id), l.clone());
            }
            let path = r.deployment.to_ascii_lowercase();
            self.names
                .insert((path.clone(), r.name.to_ascii_lowercase()), r.id.clone());
            if let Some(s) = &r.symbolic_name {
                self.names
                    .insert((path.clone(), s.to_ascii_lowercase()), r.id.clone());
            }
            // `reference('type/name')` is also accepted by ARM.
            self.names.insert(
                (
                    path,
                    format!("{}/{}", r.resource_type, r.name).to_ascii_lowercase(),
                ),
                r.id.clone(),
            );
        }
        self.planned = Some(planned);
    }

    /// The id a `reference()`/`list*()` target names.
    fn target_id(&self, target: &str, call: &RuntimeCall<'_>) -> Option<String> {
        if target.starts_with('/') {
            return Some(target.to_string());
        }
        let path = call.deployment.to_ascii_lowercase();
        let name = target.to_ascii_lowercase();
        if let Some(id) = self.names.get(&(path, name.clone())).or_else(|| {
            self.names
                .iter()
                .find(|((_, n), _)| *n == name)
                .map(|(_, id)| id)
        }) {
            return Some(id.clone());
        }
        // A child by its own name, when that is unambiguous.
        let mut found = self
            .names
            .iter()
            .filter(|((_, n), _)| n.rsplit('/').next() == Some(name.as_str()))
            .map(|(_, id)| id.to_ascii_lowercase())
            .collect::<Vec<_>>();
        found.sort();
        found.dedup();
        match found.as_slice() {
            [one] => self
                .names
                .values()
                .find(|id| id.eq_ignore_ascii_case(one))
                .cloned(),
            _ => None,
        }
    }

    fn exists(&self, id: &str) -> bool {
        let inner = self.em.inner.lock().expect("emulator state");
        inner.resources.contains_key(&key(id))
    }

    /// `reference(id[, apiVersion[, 'Full']])`.
    fn reference(&self, id: &str, api_version: &str, full: bool) -> Result<Option<TValue>, String> {
        let k = key(id);
        if let Some(out) = self.nested.get(&k) {
            let mut v =
                json!({"outputs": out, "provisioningState": "Succeeded", "mode": "Incremental"});
            if full {
                v = json!({"properties": v});
            }
            return Ok(Some(TValue::from_json(&v)));
        }
        let inner = self.em.inner.lock().expect("emulator state");
        let stored = inner.resources.get(&k).map(|s| s.body.clone()).or_else(|| {
            ResourceId::parse(id)
                .ok()
                .and_then(|rid| sub_resource(&inner, &rid))
        });
        let Some(mut body) = stored else {
            let builtin = ResourceId::parse(id)
                .ok()
                .is_some_and(|rid| builtin_child(&inner, &rid));
            drop(inner);
            if builtin {
                let rid = ResourceId::parse(id).ok();
                let mut body = json!({
                    "id": id,
                    "name": leaf(id),
                    "type": rid.map(|r| r.type_or_scope_type().as_str().to_string()).unwrap_or_default(),
                    "properties": {},
                });
                let inner = self.em.inner.lock().expect("emulator state");
                enrich(&mut body, &inner);
                drop(inner);
                let v = if full {
                    body
                } else {
                    body["properties"].clone()
                };
                return Ok(Some(TValue::from_json(&v)));
            }
            return self.missing(id);
        };
        enrich(&mut body, &inner);
        drop(inner);
        let v = if full {
            // ARM's full reference: the resource plus its reference metadata.
            let rid = ResourceId::parse(id).ok();
            if let Some(m) = body.as_object_mut() {
                m.insert("apiVersion".into(), json!(api_version));
                m.insert("referenceApiVersion".into(), json!(api_version));
                m.insert(
                    "subscriptionId".into(),
                    json!(
                        rid.as_ref()
                            .and_then(|r| r.subscription_id())
                            .unwrap_or_default()
                    ),
                );
                m.insert(
                    "resourceGroupName".into(),
                    json!(
                        rid.as_ref()
                            .and_then(|r| r.resource_group())
                            .unwrap_or_default()
                    ),
                );
                m.insert("condition".into(), json!(true));
                m.insert("isConditionTrue".into(), json!(true));
                m.insert("isTemplateResource".into(), json!(false));
                m.insert("isAction".into(), json!(false));
                m.insert("provisioningOperation".into(), json!("Read"));
            }
            body
        } else {
            body.get("properties").cloned().unwrap_or(json!({}))
        };
        Ok(Some(TValue::from_json(&v)))
    }

    /// A referenced resource that does not exist: wait for it when the
    /// deployment creates it, else fail as ARM does.
    fn missing(&self, id: &str) -> Result<Option<TValue>, String> {
        match &self.planned {
            None => Ok(None),
            Some(p) if p.contains(&key(id)) => Ok(None),
            // Under a resource the deployment is still creating (a child
            // Azure makes with it): wait for the parent.
            Some(p)
                if ResourceId::parse(id).is_ok_and(|rid| {
                    std::iter::successors(rid.parent(), |x| x.parent())
                        .any(|a| p.contains(&key(a.as_str())) && !self.exists(a.as_str()))
                }) =>
            {
                Ok(None)
            }
            Some(_) => {
                let (ty, name, rg) = match ResourceId::parse(id) {
                    Ok(rid) => (
                        rid.type_or_scope_type().as_str().to_string(),
                        rid.full_name().unwrap_or_default().to_string(),
                        rid.resource_group().unwrap_or_default().to_string(),
                    ),
                    Err(_) => (String::new(), id.to_string(), String::new()),
                };
                Err(format!(
                    "ResourceNotFound: The Resource '{ty}/{name}' under resource group '{rg}' was not found."
                ))
            }
        }
    }

    /// `list*(id, apiVersion[, body])`: the keys, credentials or SAS tokens
    /// of an existing resource, generated (see [`list_result`]).
    fn list(&self, function: &str, id: &str, args: &[TValue]) -> Result<Option<TValue>, String> {
        let stored = {
            let inner = self.em.inner.lock().expect("emulator state");
            match inner.resources.get(&key(id)) {
                Some(s) => Some(s.body.clone()),
                // Children ARM creates with their parent (a namespace's
                // RootManageSharedAccessKey, a function app's host/default,
                // a workflow's triggers) answer too.
                None => ResourceId::parse(id)
                    .ok()
                    .filter(|rid| builtin_child(&inner, rid))
                    .map(|rid| json!({"type": rid.type_or_scope_type().as_str()})),
            }
        };
        let Some(body) = stored else {
            return self.missing(id);
        };
        let api = args.get(1).and_then(|a| a.as_str()).unwrap_or("");
        let request = args.get(2).map(|a| a.to_json()).unwrap_or(Value::Null);
        match list_result(function, id, &body, api, &request) {
            Some(v) => Ok(Some(TValue::from_json(&v))),
            None => Err(format!(
                "The emulator does not implement {function}() for resources of type '{}'.",
                body["type"].as_str().unwrap_or("?")
            )),
        }
    }
}

impl Runtime for Resolver {
    fn call(&mut self, call: &RuntimeCall<'_>) -> Result<Option<TValue>, String> {
        let f = call.function;
        let target = call.args.first().and_then(|a| a.as_str());
        if f == "reference" {
            let Some(t) = target else { return Ok(None) };
            let Some(id) = self.target_id(t, call) else {
                return match &self.planned {
                    None => Ok(None),
                    Some(_) => Err(format!(
                        "InvalidTemplate: The template reference '{t}' is not valid: could not find template resource or resource copy with this name."
                    )),
                };
            };
            let full = call
                .args
                .get(2)
                .and_then(|a| a.as_str())
                .is_some_and(|s| s.eq_ignore_ascii_case("full"));
            let api = call.args.get(1).and_then(|a| a.as_str()).unwrap_or("");
            return self.reference(&id, api, full);
        }
        if f.starts_with("list") {
            let Some(t) = target else { return Ok(None) };
            let Some(id) = self.target_id(t, call) else {
                return Ok(None);
            };
            return self.list(f, &id, call.args);
        }
        match f {
            "newguid" => {
                let k = (call.deployment.to_string(), call.expr.to_string());
                let n = self.guid_seen.entry(k.clone()).or_default();
                *n += 1;
                let slot = (k.0, k.1, *n);
                let g = self
                    .guids
                    .entry(slot)
                    .or_insert_with(|| uuid::Uuid::new_v4().to_string());
                Ok(Some(TValue::String(g.clone())))
            }
            "resourcegrouplocation" => {
                let sub = call.args.first().and_then(|a| a.as_str()).unwrap_or("");
                let rg = call.args.get(1).and_then(|a| a.as_str()).unwrap_or("");
                let id = format!("/subscriptions/{sub}/resourceGroups/{rg}");
                let stored = {
                    let inner = self.em.inner.lock().expect("emulator state");
                    inner
                        .resources
                        .get(&key(&id))
                        .and_then(|g| g.body["location"].as_str().map(str::to_string))
                };
                Ok(stored
                    .or_else(|| self.group_locations.get(&key(&id)).cloned())
                    .map(TValue::String))
            }
            "templatespec" => {
                // A template spec version's main template.
                let id = target.unwrap_or("");
                let inner = self.em.inner.lock().expect("emulator state");
                Ok(inner
                    .resources
                    .get(&key(id))
                    .map(|s| {
                        // `mainTemplate` (2021-05-01 on), `template` (the
                        // 2019-06-01-preview API).
                        let p = &s.body["properties"];
                        if p["mainTemplate"].is_object() {
                            p["mainTemplate"].clone()
                        } else {
                            p["template"].clone()
                        }
                    })
                    .filter(|t| t.is_object())
                    .map(|t| TValue::from_json(&t)))
            }
            "templatelink" => {
                let uri = target.unwrap_or("");
                Ok(linked_template(&self.em, uri).map(|v| TValue::from_json(&v)))
            }
            "keyvaultreference" => {
                let r = call
                    .args
                    .first()
                    .map(|a| a.to_json())
                    .unwrap_or(Value::Null);
                let vault = r["keyVault"]["id"].as_str().unwrap_or("").to_string();
                if self.planned.is_none()
                    || self.planned.as_ref().is_some_and(|p| {
                        let sid = format!(
                            "{}/secrets/{}",
                            vault.trim_end_matches('/'),
                            r["secretName"].as_str().unwrap_or("")
                        );
                        (p.contains(&key(&vault)) || p.contains(&key(&sid))) && !self.exists(&sid)
                    })
                {
                    return Ok(None);
                }
                key_vault_reference(&self.em, &r)
                    .map(|v| Some(TValue::from_json(&v)))
                    .map_err(|e| format!("KeyVaultParameterReferenceSecretRetrieveFailed: {e}"))
            }
            "deployer" => Ok(Some(TValue::from_json(&json!({
                "objectId": "00000000-0000-0000-0000-00000000d3d1",
                "tenantId": TENANT,
                "userPrincipalName": "deployer@azrelo.emulator",
            })))),
            "pickzones" => {
                // pickZones(provider, type, location[, count, offset]):
                // the region's logical zones when it has them.
                let loc = call.args.get(2).and_then(|a| a.as_str()).unwrap_or("");
                let count = call
                    .args
                    .get(3)
                    .and_then(|a| a.as_int())
                    .unwrap_or(1)
                    .max(0) as usize;
                let offset = call
                    .args
                    .get(4)
                    .and_then(|a| a.as_int())
                    .unwrap_or(0)
                    .max(0) as usize;
                let zones: Vec<Value> = azrelo_arm::Regions::embedded()
                    .get(loc)
                    .map(|r| {
                        r.zones
                            .iter()
                            .skip(offset)
                            .take(count)
                            .map(|z| json!(z.logical_zone))
                            .collect()
                    })
                    .unwrap_or_default();
                Ok(Some(TValue::from_json(&Value::Array(zones))))
            }
            _ => Ok(None),
        }
    }

    fn nested_outputs(&mut self, _deployment: &str, id: &str, outputs: &TValue) {
        if !outputs.contains_unknown() {
            let v = outputs.to_json();
            if self.nested.get(&key(id)) != Some(&v) {
                self.nested.insert(key(id), v);
                self.learned = true;
            }
        }
    }
}

/// A linked template from the emulator's artifact mirror
/// ([`Emulator::with_artifacts`]): the file under the directory mapped to
/// the URI's prefix (query string, e.g. a SAS token, ignored; no `..`).
fn linked_template(em: &Emulator, uri: &str) -> Option<Value> {
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

/// Secret-shaped value: base64 of `bytes` bytes derived from a per-process
/// random salt and `seed` (stable for a resource within a run of the
/// emulator, different between runs; never logged).
fn secret(seed: &str, bytes: usize) -> String {
    static SALT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let salt = SALT.get_or_init(|| uuid::Uuid::new_v4().to_string());
    let mut raw = Vec::with_capacity(bytes + 16);
    let mut n = 0u32;
    while raw.len() < bytes {
        let u = uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_OID,
            format!("{salt}|{seed}|{n}").as_bytes(),
        );
        raw.extend_from_slice(u.as_bytes());
        n += 1;
    }
    raw.truncate(bytes);
    base64(&raw)
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= c.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The last segment of an id (a resource's own name).
fn leaf(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

/// The name of the top-level resource of an id (`…/providers/NS/type/NAME/…`).
fn top_name(id: &str) -> String {
    ResourceId::parse(id)
        .ok()
        .and_then(|r| {
            r.full_name()
                .map(|n| n.split('/').next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| leaf(id).to_string())
}

/// What a `list*()` call answers for a resource, in the shape the resource
/// provider documents (REST API references of each `listKeys`/… action).
fn list_result(
    function: &str,
    id: &str,
    body: &Value,
    api_version: &str,
    request: &Value,
) -> Option<Value> {
    let ty = body["type"].as_str().unwrap_or("").to_ascii_lowercase();
    let k = |n: &str| secret(&format!("{id}#{n}"), 64);
    let name = top_name(id);
    let sas = |what: &str| {
        format!(
            "sv=2022-11-02&ss=bfqt&srt=sco&sp=rl&se=2030-01-01T00:00:00Z&sig={}",
            uri_escape(&secret(&format!("{id}#{what}"), 32))
        )
    };
    let f = function.to_ascii_lowercase();
    Some(match (ty.as_str(), f.as_str()) {
        // Storage: StorageAccounts_ListKeys, ListAccountSAS, ListServiceSAS.
        // Before 2016-01-01 the storage API answered {key1, key2}.
        ("microsoft.storage/storageaccounts", "listkeys") if api_version < "2016-01-01" => {
            json!({"key1": k("key1"), "key2": k("key2")})
        }
        ("microsoft.storage/storageaccounts", "listkeys") => json!({"keys": [
            {"keyName": "key1", "value": k("key1"), "permissions": "FULL"},
            {"keyName": "key2", "value": k("key2"), "permissions": "FULL"},
        ]}),
        ("microsoft.storage/storageaccounts", "listaccountsas") => {
            json!({"accountSasToken": sas("account")})
        }
        ("microsoft.storage/storageaccounts", "listservicesas") => {
            let _ = request;
            json!({"serviceSasToken": sas("service")})
        }
        // Event Hubs / Service Bus / Relay / Notification Hubs authorization rules.
        (t, "listkeys") if t.ends_with("/authorizationrules") => {
            let ns = name.clone();
            let rule = leaf(id).to_string();
            // Event Hubs, Service Bus and Relay namespaces share the Service Bus DNS zone.
            let host = "servicebus.windows.net";
            let (p, s) = (k("primary"), k("secondary"));
            let mut v = json!({
                "primaryConnectionString": format!("Endpoint=sb://{ns}.{host}/;SharedAccessKeyName={rule};SharedAccessKey={p}"),
                "secondaryConnectionString": format!("Endpoint=sb://{ns}.{host}/;SharedAccessKeyName={rule};SharedAccessKey={s}"),
                "primaryKey": p,
                "secondaryKey": s,
                "keyName": rule,
            });
            if t.contains("/eventhubs/") || t.contains("/topics/") || t.contains("/queues/") {
                let entity = id.rsplit('/').nth(2).unwrap_or("");
                for c in ["primaryConnectionString", "secondaryConnectionString"] {
                    if let Some(s) = v[c].as_str() {
                        v[c] = json!(format!("{s};EntityPath={entity}"));
                    }
                }
            }
            v
        }
        // Cosmos DB: DatabaseAccounts_ListKeys / ListConnectionStrings.
        ("microsoft.documentdb/databaseaccounts", "listkeys") => json!({
            "primaryMasterKey": k("pm"), "secondaryMasterKey": k("sm"),
            "primaryReadonlyMasterKey": k("pr"), "secondaryReadonlyMasterKey": k("sr"),
        }),
        ("microsoft.documentdb/databaseaccounts", "listconnectionstrings") => json!({
            "connectionStrings": [
                {"connectionString": format!("AccountEndpoint=https://{name}.documents.azure.com:443/;AccountKey={}", k("pm")), "description": "Primary SQL Connection String"},
                {"connectionString": format!("AccountEndpoint=https://{name}.documents.azure.com:443/;AccountKey={}", k("sm")), "description": "Secondary SQL Connection String"},
            ]
        }),
        // Cache for Redis, Maps, SignalR, Web PubSub, Search admin keys, Cognitive Services.
        ("microsoft.cache/redis", "listkeys") => {
            json!({"primaryKey": k("p"), "secondaryKey": k("s")})
        }
        ("microsoft.maps/accounts", "listkeys") => json!({
            "primaryKey": k("p"), "secondaryKey": k("s"),
            "primaryKeyLastUpdated": "2026-01-01T00:00:00Z", "secondaryKeyLastUpdated": "2026-01-01T00:00:00Z",
        }),
        ("microsoft.signalrservice/signalr" | "microsoft.signalrservice/webpubsub", "listkeys") => {
            let (p, s) = (k("p"), k("s"));
            let host = if ty.ends_with("webpubsub") {
                "webpubsub.azure.com"
            } else {
                "service.signalr.net"
            };
            json!({
                "primaryKey": p, "secondaryKey": s,
                "primaryConnectionString": format!("Endpoint=https://{name}.{host};AccessKey={p};Version=1.0;"),
                "secondaryConnectionString": format!("Endpoint=https://{name}.{host};AccessKey={s};Version=1.0;"),
            })
        }
        ("microsoft.search/searchservices", "listadminkeys") => {
            json!({"primaryKey": k("p"), "secondaryKey": k("s")})
        }
        ("microsoft.search/searchservices", "listquerykeys") => {
            json!({"value": [{"name": "", "key": k("q")}]})
        }
        ("microsoft.cognitiveservices/accounts", "listkeys") => {
            json!({"key1": k("k1"), "key2": k("k2")})
        }
        // Log Analytics: SharedKeys_GetSharedKeys (listKeys).
        ("microsoft.operationalinsights/workspaces", "listkeys" | "sharedkeys") => {
            json!({"primarySharedKey": k("p"), "secondarySharedKey": k("s")})
        }
        // Container Registry: Registries_ListCredentials.
        ("microsoft.containerregistry/registries", "listcredentials") => json!({
            "username": name,
            "passwords": [{"name": "password", "value": k("p")}, {"name": "password2", "value": k("s")}],
        }),
        // IoT Hub: IotHubResource_ListKeys.
        // The hub's shared access policies: those it declares
        // (properties.authorizationPolicies), else the five defaults.
        ("microsoft.devices/iothubs", "listkeys") => {
            let declared = body["properties"]["authorizationPolicies"]
                .as_array()
                .filter(|a| !a.is_empty())
                .cloned();
            let policies: Vec<(String, String)> = match declared {
                Some(a) => a
                    .iter()
                    .map(|p| {
                        (
                            p["keyName"].as_str().unwrap_or("policy").to_string(),
                            p["rights"].as_str().unwrap_or("ServiceConnect").to_string(),
                        )
                    })
                    .collect(),
                None => [
                    (
                        "iothubowner",
                        "RegistryWrite, ServiceConnect, DeviceConnect",
                    ),
                    ("service", "ServiceConnect"),
                    ("device", "DeviceConnect"),
                    ("registryRead", "RegistryRead"),
                    ("registryReadWrite", "RegistryWrite"),
                ]
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            };
            json!({"value": policies.iter().map(|(n, r)| json!({
                "keyName": n, "primaryKey": k(&format!("{n}1")), "secondaryKey": k(&format!("{n}2")), "rights": r,
            })).collect::<Vec<_>>()})
        }
        ("microsoft.devices/provisioningservices", "listkeys") => json!({"value": [
            {"keyName": "provisioningserviceowner", "primaryKey": k("p"), "secondaryKey": k("s"), "rights": "ServiceConfig, DeviceConnect, EnrollmentWrite"},
        ]}),
        // Batch: BatchAccount_GetKeys (listKeys).
        ("microsoft.batch/batchaccounts", "listkeys") => {
            json!({"accountName": name, "primary": k("p"), "secondary": k("s")})
        }
        // Automation: Keys_ListByAutomationAccount.
        ("microsoft.automation/automationaccounts", "listkeys") => json!({"keys": [
            {"KeyName": "Primary", "Permissions": "Full", "Value": k("p")},
            {"KeyName": "Secondary", "Permissions": "Full", "Value": k("s")},
        ]}),
        // App Service: publishing credentials, app settings, function keys.
        ("microsoft.web/sites" | "microsoft.web/sites/slots", "listpublishingcredentials") => {
            json!({"properties": {
                "publishingUserName": format!("${name}"),
                "publishingPassword": k("pub"),
                "scmUri": format!("https://${name}:{}@{name}.scm.azurewebsites.net", k("pub")),
            }})
        }
        (
            "microsoft.web/sites" | "microsoft.web/sites/slots" | "microsoft.web/sites/host",
            "listkeys" | "listhostkeys",
        ) => {
            json!({"masterKey": k("master"), "functionKeys": {"default": k("default")}, "systemKeys": {}})
        }
        ("microsoft.web/sites/functions", "listkeys" | "listsecrets") => json!({
            "default": k("fn"),
            "key": k("fn"),
            "trigger_url": format!("https://{name}.azurewebsites.net/api/{}?code={}", leaf(id), k("fn")),
        }),
        ("microsoft.web/sites/config", "list") => {
            json!({"properties": body["properties"].clone()})
        }
        // Logic Apps: Workflows_ListCallbackUrl.
        ("microsoft.logic/workflows", "listcallbackurl") => {
            let sig = uri_escape(&secret(&format!("{id}#sig"), 32));
            let base = format!(
                "https://prod-00.westeurope.logic.azure.com:443/workflows/{}",
                crate_hash(&name)
            );
            json!({
                "value": format!("{base}?api-version=2016-10-01&sp=%2F%2A&sv=1.0&sig={sig}"),
                "method": "POST",
                "basePath": base,
                "queries": {"api-version": "2016-10-01", "sp": "/*", "sv": "1.0", "sig": sig},
            })
        }
        // Logic Apps: WorkflowTriggers_ListCallbackUrl.
        ("microsoft.logic/workflows/triggers", "listcallbackurl") => {
            let sig = uri_escape(&secret(&format!("{id}#sig"), 32));
            let wf = id.rsplit('/').nth(2).unwrap_or("");
            let base = format!(
                "https://prod-00.{}.logic.azure.com:443/workflows/{}/triggers/{}/paths/invoke",
                "westeurope",
                crate_hash(wf),
                leaf(id)
            );
            json!({
                "value": format!("{base}?api-version=2016-10-01&sp=%2Ftriggers%2F{}%2Frun&sv=1.0&sig={sig}", leaf(id)),
                "method": "POST",
                "basePath": base,
                "queries": {"api-version": "2016-10-01", "sp": format!("/triggers/{}/run", leaf(id)), "sv": "1.0", "sig": sig},
            })
        }
        // Managed clusters: ListClusterAdmin/UserCredentials.
        (
            "microsoft.containerservice/managedclusters",
            "listclusteradmincredential" | "listclusterusercredential",
        ) => json!({"kubeconfigs": [
            {"name": "clusterAdmin", "value": base64(format!("apiVersion: v1\nkind: Config\nclusters:\n- name: {name}\n  cluster:\n    server: https://{name}.hcp.westeurope.azmk8s.io:443\nusers:\n- name: clusterAdmin\n  user:\n    token: {}\n", k("token")).as_bytes())},
        ]}),
        // Media, Communication, App Configuration, Purview, Web PubSub style keys.
        ("microsoft.communication/communicationservices", "listkeys") => {
            let (p, s) = (k("p"), k("s"));
            json!({
                "primaryKey": p, "secondaryKey": s,
                "primaryConnectionString": format!("endpoint=https://{name}.communication.azure.com/;accesskey={p}"),
                "secondaryConnectionString": format!("endpoint=https://{name}.communication.azure.com/;accesskey={s}"),
            })
        }
        ("microsoft.appconfiguration/configurationstores", "listkeys") => json!({"value": [
            {"id": "p", "name": "Primary", "value": k("p"), "connectionString": format!("Endpoint=https://{name}.azconfig.io;Id=p;Secret={}", k("p")), "readOnly": false},
            {"id": "s", "name": "Secondary", "value": k("s"), "connectionString": format!("Endpoint=https://{name}.azconfig.io;Id=s;Secret={}", k("s")), "readOnly": false},
        ]}),
        ("microsoft.maps/accounts", "listsas") => json!({"accountSasToken": sas("maps")}),
        ("microsoft.datafactory/factories/integrationruntimes", "listauthkeys") => {
            json!({"authKey1": format!("IR@{}", k("a1")), "authKey2": format!("IR@{}", k("a2"))})
        }
        ("microsoft.logic/integrationaccounts", "listcallbackurl") => json!({
            "value": format!(
                "https://prod-00.westeurope.logic.azure.com:443/integrationAccounts/{}?api-version=2015-08-01-preview&sp=%2F%2F%2A&sv=1.0&sig={}",
                crate_hash(id),
                uri_escape(&secret(&format!("{id}#sig"), 32))
            ),
        }),
        ("microsoft.devices/iothubs/iothubkeys", "listkeys") => json!({
            "keyName": leaf(id), "primaryKey": k("p"), "secondaryKey": k("s"),
            "rights": "RegistryWrite, ServiceConnect, DeviceConnect",
        }),
        (
            "microsoft.notificationhubs/namespaces/notificationhubs/authorizationrules",
            "listkeys",
        ) => {
            let (p, s) = (k("p"), k("s"));
            json!({
                "primaryConnectionString": format!("Endpoint=sb://{name}.servicebus.windows.net/;SharedAccessKeyName={};SharedAccessKey={p}", leaf(id)),
                "secondaryConnectionString": format!("Endpoint=sb://{name}.servicebus.windows.net/;SharedAccessKeyName={};SharedAccessKey={s}", leaf(id)),
                "primaryKey": p, "secondaryKey": s, "keyName": leaf(id),
            })
        }
        ("microsoft.desktopvirtualization/hostpools", "listregistrationtokens") => {
            json!({"value": [{"token": k("reg"), "expirationTime": "2030-01-01T00:00:00Z"}]})
        }
        _ => return None,
    })
}

/// A stable short hex string for a name (ids inside generated URLs).
fn crate_hash(s: &str) -> String {
    format!("{:016x}", azrelo_template::hash::murmur64(s.as_bytes()))
}

/// Percent-encoding for a query value.
fn uri_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Complete a stored resource the way ARM's GET shows it: the read-only
/// properties its provider computes ([`computed_properties`], stored values
/// win), ids on inline children (`{id}/{collection}/{name}`, as the network
/// provider returns subnets, IP configurations, pools…) and dynamically
/// allocated private IP addresses (the 5th address of the subnet onwards:
/// Azure reserves the first four, learn.microsoft.com/azure/virtual-network/
/// virtual-networks-faq#are-there-any-restrictions-on-using-ip-addresses-within-these-subnets).
fn enrich(body: &mut Value, inner: &Inner) {
    let computed = computed_properties(body, inner);
    if !body["properties"].is_object() {
        body["properties"] = json!({});
    }
    fill(&mut body["properties"], Value::Object(computed));
    let id = body["id"].as_str().unwrap_or("").to_string();
    if let Some(props) = body["properties"].as_object_mut() {
        for (collection, items) in props.iter_mut() {
            let Some(items) = items.as_array_mut() else {
                continue;
            };
            for (i, item) in items.iter_mut().enumerate() {
                let Some(name) = item["name"].as_str().map(str::to_string) else {
                    continue;
                };
                if !item.is_object() {
                    continue;
                }
                if item.get("id").is_none() {
                    item["id"] = json!(format!("{id}/{collection}/{name}"));
                }
                if !item["properties"].is_object() {
                    item["properties"] = json!({});
                }
                let p = &mut item["properties"];
                let dynamic = !p["privateIPAllocationMethod"]
                    .as_str()
                    .is_some_and(|m| m.eq_ignore_ascii_case("static"));
                if dynamic
                    && p.get("privateIPAddress").is_none()
                    && let Some(subnet) = p["subnet"]["id"].as_str()
                    && let Some(ip) = allocate_ip(inner, subnet, i)
                {
                    p["privateIPAddress"] = json!(ip);
                    p["privateIPAllocationMethod"] = json!("Dynamic");
                }
            }
        }
    }
}

/// Fill what `dst` lacks from `src`, recursively (objects only).
fn fill(dst: &mut Value, src: Value) {
    let (Some(d), Value::Object(s)) = (dst.as_object_mut(), src) else {
        return;
    };
    for (k, v) in s {
        match d.iter_mut().find(|(dk, _)| dk.eq_ignore_ascii_case(&k)) {
            Some((_, existing)) => {
                if existing.is_object() && v.is_object() {
                    fill(existing, v);
                }
            }
            None => {
                d.insert(k, v);
            }
        }
    }
}

/// The `n`-th dynamically allocated address of a subnet (IPv4).
fn allocate_ip(inner: &Inner, subnet_id: &str, n: usize) -> Option<String> {
    let rid = ResourceId::parse(subnet_id).ok()?;
    let subnet = inner
        .resources
        .get(&key(subnet_id))
        .map(|s| s.body.clone())
        .or_else(|| sub_resource(inner, &rid))?;
    let p = &subnet["properties"];
    let prefix = p["addressPrefix"]
        .as_str()
        .or_else(|| p["addressPrefixes"][0].as_str())?;
    let (addr, _) = prefix.split_once('/')?;
    let octets: Vec<u32> = addr.split('.').filter_map(|o| o.parse().ok()).collect();
    if octets.len() != 4 {
        return None;
    }
    let base = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3];
    let a = base.checked_add(4 + n as u32)?;
    Some(format!(
        "{}.{}.{}.{}",
        a >> 24,
        (a >> 16) & 255,
        (a >> 8) & 255,
        a & 255
    ))
}

/// The last usable address of a subnet (a VPN gateway's BGP peering
/// address sits at the top of the GatewaySubnet).
fn last_usable_ip(inner: &Inner, subnet_id: &str) -> Option<String> {
    let rid = ResourceId::parse(subnet_id).ok()?;
    let subnet = inner
        .resources
        .get(&key(subnet_id))
        .map(|s| s.body.clone())
        .or_else(|| sub_resource(inner, &rid))?;
    let p = &subnet["properties"];
    let prefix = p["addressPrefix"]
        .as_str()
        .or_else(|| p["addressPrefixes"][0].as_str())?;
    let (addr, len) = prefix.split_once('/')?;
    let len: u32 = len.parse().ok().filter(|l| *l <= 30)?;
    let octets: Vec<u32> = addr.split('.').filter_map(|o| o.parse().ok()).collect();
    if octets.len() != 4 {
        return None;
    }
    let base = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3];
    let a = base + (1u32 << (32 - len)) - 2;
    Some(format!(
        "{}.{}.{}.{}",
        a >> 24,
        (a >> 16) & 255,
        (a >> 8) & 255,
        a & 255
    ))
}

/// Children Azure creates with their parent (or on demand), which exist
/// without a PUT of their own: a namespace's `RootManageSharedAccessKey`,
/// an IoT hub's `events` endpoint and shared access policies, a function
/// app's `host/default`, a workflow's triggers, a Recovery Services vault's
/// `Azure` fabric and its protection containers (created when an item is
/// protected), Cosmos DB's built-in SQL role definitions, a virtual hub's
/// default route tables, a dev center's default gallery and its images,
/// Azure Machine Learning's curated environments, a server's `master`
/// database. The parent must exist.
pub(super) fn builtin_child(inner: &Inner, id: &ResourceId) -> bool {
    if id.kind() != IdKind::Resource {
        return false;
    }
    let Some(parent) = id.parent() else {
        return false;
    };
    let ty = id.type_or_scope_type().as_str().to_ascii_lowercase();
    let name = id.name().unwrap_or_default().to_ascii_lowercase();
    let known = match ty.as_str() {
        "microsoft.servicebus/namespaces/authorizationrules"
        | "microsoft.eventhub/namespaces/authorizationrules"
        | "microsoft.relay/namespaces/authorizationrules"
        | "microsoft.notificationhubs/namespaces/authorizationrules" => {
            name == "rootmanagesharedaccesskey"
        }
        "microsoft.notificationhubs/namespaces/notificationhubs/authorizationrules" => {
            name == "defaultfullsharedaccesssignature"
                || name == "defaultlistensharedaccesssignature"
        }
        "microsoft.devices/iothubs/eventhubendpoints" => {
            name == "events" || name == "operationsmonitoringevents"
        }
        "microsoft.devices/iothubs/iothubkeys" => matches!(
            name.as_str(),
            "iothubowner" | "service" | "device" | "registryread" | "registryreadwrite"
        ),
        "microsoft.web/sites/host" => name == "default",
        "microsoft.recoveryservices/vaults/backupfabrics" => name == "azure",
        "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers" => true,
        "microsoft.documentdb/databaseaccounts/apis" => {
            matches!(
                name.as_str(),
                "sql" | "mongodb" | "cassandra" | "gremlin" | "table"
            )
        }
        "microsoft.documentdb/databaseaccounts/sqlroledefinitions" => {
            name == "00000000-0000-0000-0000-000000000001"
                || name == "00000000-0000-0000-0000-000000000002"
        }
        "microsoft.network/virtualhubs/hubroutetables" => {
            name == "defaultroutetable" || name == "noneroutetable"
        }
        "microsoft.devcenter/devcenters/galleries" => name == "default",
        // A dev center gallery lists the images of the gallery it attaches
        // (the default one: the marketplace images).
        "microsoft.devcenter/devcenters/galleries/images" => true,
        "microsoft.recoveryservices/vaults/backuppolicies" => {
            matches!(
                name.as_str(),
                "defaultpolicy" | "enhancedpolicy" | "hourlylogbackup"
            )
        }
        "microsoft.machinelearningservices/workspaces/environments/versions" => parent
            .name()
            .is_some_and(|e| e.to_ascii_lowercase().starts_with("azureml-")),
        "microsoft.machinelearningservices/workspaces/environments" => name.starts_with("azureml-"),
        // Asset containers are created with their first version.
        "microsoft.machinelearningservices/workspaces/data"
        | "microsoft.machinelearningservices/workspaces/codes"
        | "microsoft.machinelearningservices/workspaces/models"
        | "microsoft.machinelearningservices/workspaces/components" => true,
        "microsoft.sql/servers/databases" => name == "master",
        "microsoft.web/hostingenvironments/configurations" => name == "networking",
        "microsoft.logic/workflows/triggers" => {
            let Some(wf) = inner.resources.get(&key(parent.as_str())) else {
                return false;
            };
            return wf.body["properties"]["definition"]["triggers"]
                .as_object()
                .is_some_and(|t| t.keys().any(|k| k.eq_ignore_ascii_case(&name)));
        }
        _ => false,
    };
    known && (inner.resources.contains_key(&key(parent.as_str())) || builtin_child(inner, &parent))
}

/// Read-only properties ARM returns for a resource that the emulator can
/// derive the way Azure does (endpoints from the name and cloud suffixes,
/// stable generated ids); merged under what the resource stores.
fn computed_properties(body: &Value, inner: &Inner) -> serde_json::Map<String, Value> {
    let ty = body["type"].as_str().unwrap_or("").to_ascii_lowercase();
    let id = body["id"].as_str().unwrap_or("");
    let name = body["name"].as_str().unwrap_or("").to_string();
    let loc = body["location"]
        .as_str()
        .unwrap_or("westeurope")
        .to_ascii_lowercase()
        .replace(' ', "");
    let p = &body["properties"];
    let guid = |what: &str| {
        uuid::Uuid::new_v5(
            &uuid::Uuid::NAMESPACE_URL,
            format!("{id}#{what}").as_bytes(),
        )
        .to_string()
    };
    let v = match ty.as_str() {
        "microsoft.storage/storageaccounts" => json!({
            "primaryEndpoints": {
                "blob": format!("https://{name}.blob.core.windows.net/"),
                "queue": format!("https://{name}.queue.core.windows.net/"),
                "table": format!("https://{name}.table.core.windows.net/"),
                "file": format!("https://{name}.file.core.windows.net/"),
                "web": format!("https://{name}.z6.web.core.windows.net/"),
                "dfs": format!("https://{name}.dfs.core.windows.net/"),
            },
            "primaryLocation": loc,
            "statusOfPrimary": "available",
        }),
        "microsoft.keyvault/vaults" => {
            json!({"vaultUri": format!("https://{name}.vault.azure.net/")})
        }
        "microsoft.keyvault/vaults/secrets" => json!({
            "secretUri": format!("https://{}.vault.azure.net/secrets/{}", top_name(id), leaf(id)),
            "secretUriWithVersion": format!("https://{}.vault.azure.net/secrets/{}/{}", top_name(id), leaf(id), guid("v").replace('-', "")),
        }),
        "microsoft.keyvault/vaults/keys" => json!({
            "keyUri": format!("https://{}.vault.azure.net/keys/{}", top_name(id), leaf(id)),
            "keyUriWithVersion": format!("https://{}.vault.azure.net/keys/{}/{}", top_name(id), leaf(id), guid("v").replace('-', "")),
        }),
        "microsoft.web/sites" | "microsoft.web/sites/slots" => {
            let host = if ty.ends_with("slots") {
                format!("{}-{}.azurewebsites.net", top_name(id), leaf(id))
            } else {
                format!("{name}.azurewebsites.net")
            };
            json!({
                "defaultHostName": host,
                "hostNames": [host],
                "enabledHostNames": [host, host.replace(".azurewebsites.net", ".scm.azurewebsites.net")],
                "state": "Running",
                "inboundIpAddress": "20.50.2.10",
                "outboundIpAddresses": "20.50.2.1,20.50.2.2",
                "possibleOutboundIpAddresses": "20.50.2.1,20.50.2.2,20.50.2.3",
                "customDomainVerificationId": crate_hash(id).to_uppercase(),
            })
        }
        "microsoft.web/staticsites" => {
            json!({"defaultHostname": format!("{}.azurestaticapps.net", crate_hash(id))})
        }
        "microsoft.sql/servers" => {
            json!({"fullyQualifiedDomainName": format!("{name}.database.windows.net")})
        }
        "microsoft.sql/managedinstances" => json!({
            "fullyQualifiedDomainName": format!("{name}.{}.database.windows.net", &crate_hash(id)[..12])
        }),
        "microsoft.dbforpostgresql/flexibleservers" | "microsoft.dbforpostgresql/servers" => {
            json!({"fullyQualifiedDomainName": format!("{name}.postgres.database.azure.com")})
        }
        "microsoft.dbformysql/flexibleservers" | "microsoft.dbformysql/servers" => {
            json!({"fullyQualifiedDomainName": format!("{name}.mysql.database.azure.com")})
        }
        "microsoft.documentdb/databaseaccounts" => {
            json!({"documentEndpoint": format!("https://{name}.documents.azure.com:443/")})
        }
        "microsoft.containerregistry/registries" => {
            json!({"loginServer": format!("{}.azurecr.io", name.to_ascii_lowercase())})
        }
        "microsoft.cache/redis" => json!({
            "hostName": format!("{name}.redis.cache.windows.net"), "port": 6379, "sslPort": 6380,
        }),
        "microsoft.eventhub/namespaces"
        | "microsoft.servicebus/namespaces"
        | "microsoft.relay/namespaces" => json!({
            "serviceBusEndpoint": format!("https://{name}.servicebus.windows.net:443/"),
        }),
        "microsoft.insights/components" => {
            let ik = guid("ikey");
            json!({
                "InstrumentationKey": ik,
                "ConnectionString": format!("InstrumentationKey={ik};IngestionEndpoint=https://{loc}-0.in.applicationinsights.azure.com/;LiveEndpoint=https://{loc}.livediagnostics.monitor.azure.com/"),
                "AppId": guid("appid"),
            })
        }
        "microsoft.operationalinsights/workspaces" => json!({"customerId": guid("customer")}),
        // Azure Local cluster: `cloudId`, "Unique, immutable resource id"
        // (read-only, assigned by the RP; REST spec AzureStackHCI `ClusterProperties`).
        "microsoft.azurestackhci/clusters" => json!({"cloudId": guid("cloud")}),
        // A public Azure Spring Apps app: `url` "<app>.<service>.azuremicroservices.io"
        // (REST spec AppPlatform example Apps_Get.json); none when not public.
        "microsoft.appplatform/spring/apps" if p["public"] == json!(true) => {
            let mut seg = id.rsplit('/');
            let (app, service) = (seg.next().unwrap_or(""), seg.nth(1).unwrap_or(""));
            json!({"url": format!("{app}.{service}.azuremicroservices.io")})
        }
        "microsoft.cognitiveservices/accounts" => {
            let sub = p["customSubDomainName"].as_str().map(str::to_string);
            let endpoint = match &sub {
                Some(s) => format!("https://{s}.cognitiveservices.azure.com/"),
                None => format!("https://{loc}.api.cognitive.microsoft.com/"),
            };
            let mut v = json!({"endpoint": endpoint, "endpoints": {}});
            if let Some(s) = &sub {
                v["endpoints"]["OpenAI Language Model Instance API"] =
                    json!(format!("https://{s}.openai.azure.com/"));
            }
            v
        }
        "microsoft.signalrservice/signalr" => {
            json!({"hostName": format!("{name}.service.signalr.net"), "externalIP": "20.50.3.1"})
        }
        "microsoft.signalrservice/webpubsub" => {
            json!({"hostName": format!("{name}.webpubsub.azure.com")})
        }
        "microsoft.devices/iothubs" => json!({
            "hostName": format!("{name}.azure-devices.net"),
            "eventHubEndpoints": {"events": {
                "endpoint": format!("sb://ihsuprodamres000dednamespace.servicebus.windows.net/"),
                "path": name.to_ascii_lowercase(),
                "partitionCount": p["eventHubEndpoints"]["events"]["partitionCount"].as_i64().unwrap_or(4),
                "retentionTimeInDays": 1,
            }},
        }),
        "microsoft.devices/provisioningservices" => json!({
            "serviceOperationsHostName": format!("{name}.azure-devices-provisioning.net"),
            "deviceProvisioningHostName": "global.azure-devices-provisioning.net",
            "idScope": format!("0ne{}", &crate_hash(id)[..8].to_uppercase()),
        }),
        "microsoft.network/publicipaddresses" => {
            let h = azrelo_template::hash::murmur64(id.to_ascii_lowercase().as_bytes());
            let mut v = json!({"ipAddress": format!("20.{}.{}.{}", 50 + (h % 100), (h >> 8) % 256, 1 + (h >> 16) % 254)});
            if let Some(label) = p["dnsSettings"]["domainNameLabel"].as_str() {
                v["dnsSettings"] = json!({
                    "domainNameLabel": label,
                    "fqdn": format!("{label}.{loc}.cloudapp.azure.com"),
                });
            }
            v
        }
        "microsoft.containerservice/managedclusters" => {
            let prefix = p["dnsPrefix"].as_str().unwrap_or(&name).to_string();
            json!({
                "fqdn": format!("{prefix}-{}.hcp.{loc}.azmk8s.io", &crate_hash(id)[..8]),
                "nodeResourceGroup": format!("MC_{}_{name}_{loc}", ResourceId::parse(id).ok().and_then(|r| r.resource_group().map(str::to_string)).unwrap_or_default()),
                "identityProfile": {"kubeletidentity": {
                    "resourceId": format!("{id}-agentpool"),
                    "clientId": guid("kubelet-client"),
                    "objectId": guid("kubelet-object"),
                }},
                "oidcIssuerProfile": {"enabled": p["oidcIssuerProfile"]["enabled"].as_bool().unwrap_or(false), "issuerURL": format!("https://{loc}.oic.prod-aks.azure.com/{TENANT}/{}/", guid("oidc"))},
                // Each enabled add-on runs as its own managed identity.
                "addonProfiles": p["addonProfiles"].as_object().map(|a| {
                    a.iter()
                        .filter(|(_, v)| v["enabled"].as_bool() == Some(true))
                        .map(|(k, _)| {
                            (k.clone(), json!({"identity": {
                                "resourceId": format!("/subscriptions/{}/resourcegroups/MC_{name}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}-{name}", ResourceId::parse(id).ok().and_then(|r| r.subscription_id().map(str::to_string)).unwrap_or_default(), k.to_ascii_lowercase()),
                                "clientId": guid(&format!("addon-{k}-client")),
                                "objectId": guid(&format!("addon-{k}-object")),
                            }}))
                        })
                        .collect::<serde_json::Map<_, _>>()
                }).unwrap_or_default(),
            })
        }
        "microsoft.app/managedenvironments" => json!({
            "defaultDomain": format!("{}.{loc}.azurecontainerapps.io", &crate_hash(id)[..10]),
            "staticIp": "20.50.5.1",
        }),
        "microsoft.app/containerapps" => json!({
            "latestRevisionFqdn": format!("{name}--{}.{loc}.azurecontainerapps.io", &crate_hash(id)[..7]),
            "configuration": {"ingress": {"fqdn": format!("{name}.{}.{loc}.azurecontainerapps.io", &crate_hash(id)[..10])}},
        }),
        "microsoft.compute/virtualmachines" => json!({"vmId": guid("vmid")}),
        "microsoft.containerinstance/containergroups" => {
            let ip = &p["ipAddress"];
            let private = ip["type"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case("private"))
                || (ip.is_null() && p["subnetIds"].is_array());
            let addr = if private {
                p["subnetIds"][0]["id"]
                    .as_str()
                    .and_then(|s| allocate_ip(inner, s, 0))
                    .unwrap_or_else(|| "10.0.0.4".into())
            } else {
                let h = azrelo_template::hash::murmur64(id.to_ascii_lowercase().as_bytes());
                format!(
                    "20.{}.{}.{}",
                    50 + (h % 100),
                    (h >> 8) % 256,
                    1 + (h >> 16) % 254
                )
            };
            let mut v = json!({"ipAddress": {"ip": addr, "type": if private { "Private" } else { "Public" }}});
            if let Some(label) = ip["dnsNameLabel"].as_str() {
                v["ipAddress"]["fqdn"] = json!(format!("{label}.{loc}.azurecontainer.io"));
            }
            v
        }
        "microsoft.cdn/profiles" => json!({"frontDoorId": guid("fdid")}),
        "microsoft.machinelearningservices/workspaces/environments" => {
            json!({"latestVersion": "1", "isArchived": false})
        }
        "microsoft.machinelearningservices/workspaces/jobs" => json!({"services": {
            "Studio": {"endpoint": format!("https://ml.azure.com/runs/{name}?wsid={}", ResourceId::parse(id).ok().and_then(|r| r.parent()).map(|p| p.as_str().to_string()).unwrap_or_default()), "jobServiceType": "Studio"},
            "Tracking": {"endpoint": format!("azureml://{loc}.api.azureml.ms/mlflow/v1.0{}", id), "jobServiceType": "Tracking"},
        }}),
        "microsoft.web/hostingenvironments" => json!({
            "dnsSuffix": format!("{name}.appserviceenvironment.net"),
            "internalInboundIpAddresses": ["10.0.0.4"],
        }),
        "microsoft.web/hostingenvironments/configurations" => json!({
            "internalInboundIpAddresses": ["10.0.0.4"],
            "externalInboundIpAddresses": ["20.50.6.1"],
            "windowsOutboundIpAddresses": ["20.50.6.2"],
            "linuxOutboundIpAddresses": ["20.50.6.3"],
        }),
        "microsoft.servicefabric/clusters" => json!({
            "clusterId": guid("sf"),
            "clusterEndpoint": format!("https://{loc}.servicefabric.azure.com/runtime/clusters/{}", guid("sf")),
            "clusterState": "WaitingForNodes",
        }),
        "microsoft.network/virtualnetworkgateways" => {
            let gw_subnet = p["ipConfigurations"][0]["properties"]["subnet"]["id"]
                .as_str()
                .and_then(|s| last_usable_ip(inner, s))
                .unwrap_or_else(|| "10.0.255.254".into());
            json!({"bgpSettings": {
                "asn": p["bgpSettings"]["asn"].as_i64().unwrap_or(65515),
                "bgpPeeringAddress": gw_subnet,
                "peerWeight": 0,
            }})
        }
        "microsoft.cdn/profiles/customdomains" => json!({"validationProperties": {
            "validationToken": crate_hash(id),
            "expirationDate": "2030-01-01T00:00:00Z",
        }}),
        "microsoft.network/dnszones" | "microsoft.network/privatednszones" => json!({
            "nameServers": ["ns1-01.azure-dns.com.", "ns2-01.azure-dns.net.", "ns3-01.azure-dns.org.", "ns4-01.azure-dns.info."],
            "numberOfRecordSets": 2,
        }),
        t if t.starts_with("microsoft.network/dnszones/")
            || t.starts_with("microsoft.network/privatednszones/") =>
        {
            let zone = top_name(id);
            let rec = leaf(id);
            let fqdn = if rec == "@" {
                format!("{zone}.")
            } else {
                format!("{rec}.{zone}.")
            };
            json!({"fqdn": fqdn})
        }
        "microsoft.apimanagement/service" => {
            let host = format!("{name}.azure-api.net");
            json!({
                "gatewayUrl": format!("https://{host}"),
                "portalUrl": format!("https://{name}.portal.azure-api.net"),
                "developerPortalUrl": format!("https://{name}.developer.azure-api.net"),
                "managementApiUrl": format!("https://{name}.management.azure-api.net"),
                "scmUrl": format!("https://{name}.scm.azure-api.net"),
                "publicIPAddresses": ["20.50.4.1"],
                "privateIPAddresses": ["10.0.0.4"],
                "hostnameConfigurations": [{"type": "Proxy", "hostName": host, "negotiateClientCertificate": false, "defaultSslBinding": true, "certificateSource": "BuiltIn"}],
            })
        }
        "microsoft.digitaltwins/digitaltwinsinstances" => {
            json!({"hostName": format!("{name}.api.{}.digitaltwins.azure.net", &loc[..3.min(loc.len())])})
        }
        "microsoft.kusto/clusters" => json!({
            "uri": format!("https://{name}.{loc}.kusto.windows.net"),
            "dataIngestionUri": format!("https://ingest-{name}.{loc}.kusto.windows.net"),
        }),
        "microsoft.eventgrid/topics" | "microsoft.eventgrid/domains" => {
            json!({"endpoint": format!("https://{name}.{loc}-1.eventgrid.azure.net/api/events")})
        }
        "microsoft.healthdataaiservices/deidservices" => {
            json!({"serviceUrl": format!("https://{}.api.deid.azure.com", &crate_hash(id)[..12])})
        }
        "microsoft.timeseriesinsights/environments" => json!({
            "dataAccessId": guid("tsi"),
            "dataAccessFqdn": format!("{}.env.timeseries.azure.com", guid("tsi")),
        }),
        "microsoft.certificateregistration/certificateorders" => json!({
            "domainVerificationToken": crate_hash(id),
            "status": "Issued",
            "signedCertificate": {
                "thumbprint": format!("{}{}{}", crate_hash(id), crate_hash(&format!("{id}#2")), crate_hash(&format!("{id}#3"))).to_uppercase().chars().take(40).collect::<String>(),
                "subject": format!("CN={}", p["distinguishedName"].as_str().unwrap_or("").trim_start_matches("CN=")),
                "issuer": "CN=Go Daddy Secure Certificate Authority - G2",
            },
        }),
        "microsoft.web/certificates" => json!({
            "thumbprint": format!("{}{}{}", crate_hash(id), crate_hash(&format!("{id}#2")), crate_hash(&format!("{id}#3"))).to_uppercase().chars().take(40).collect::<String>(),
            "subjectName": p["hostNames"][0].clone(),
            "expirationDate": "2030-01-01T00:00:00Z",
        }),
        "microsoft.desktopvirtualization/hostpools" => {
            let mut v = json!({});
            if p["registrationInfo"]["expirationTime"].is_string() {
                v["registrationInfo"] = json!({"token": secret(&format!("{id}#reg"), 48), "registrationTokenOperation": "Update"});
            }
            v
        }
        "microsoft.machinelearningservices/workspaces" => json!({
            "workspaceId": guid("ws"),
            "discoveryUrl": format!("https://{loc}.api.azureml.ms/discovery"),
        }),
        "microsoft.synapse/workspaces" => json!({"connectivityEndpoints": {
            "web": format!("https://web.azuresynapse.net?workspace=%2fsubscriptions%2f{}", name),
            "dev": format!("https://{name}.dev.azuresynapse.net"),
            "sql": format!("{name}.sql.azuresynapse.net"),
            "sqlOnDemand": format!("{name}-ondemand.sql.azuresynapse.net"),
        }}),
        "microsoft.cdn/profiles/afdendpoints" => json!({
            "hostName": format!("{}-{}.z01.azurefd.net", leaf(id), &crate_hash(id)[..12]),
        }),
        "microsoft.cdn/profiles/endpoints" => {
            json!({"hostName": format!("{}.azureedge.net", leaf(id))})
        }
        "microsoft.network/frontdoors" => json!({"cname": format!("{name}.azurefd.net")}),
        "microsoft.network/trafficmanagerprofiles" => json!({"dnsConfig": {
            "relativeName": p["dnsConfig"]["relativeName"].clone(),
            "fqdn": format!("{}.trafficmanager.net", p["dnsConfig"]["relativeName"].as_str().unwrap_or(&name)),
            "ttl": p["dnsConfig"]["ttl"].clone(),
        }}),
        "microsoft.automation/automationaccounts" => json!({
            "registrationUrl": format!("https://{}.agentsvc.{loc}.azure-automation.net/accounts/{}", guid("reg"), guid("reg")),
        }),
        "microsoft.batch/batchaccounts" => {
            json!({"accountEndpoint": format!("{name}.{loc}.batch.azure.com")})
        }
        "microsoft.search/searchservices" => json!({}),
        "microsoft.databricks/workspaces" => json!({
            "workspaceUrl": format!("adb-{}.azuredatabricks.net", &crate_hash(id)[..14]),
            "workspaceId": format!("{}", azrelo_template::hash::murmur64(id.as_bytes()) % 10_000_000_000_000_000),
        }),
        "microsoft.appconfiguration/configurationstores" => {
            json!({"endpoint": format!("https://{name}.azconfig.io")})
        }
        "microsoft.communication/communicationservices" => {
            json!({"hostName": format!("{name}.communication.azure.com")})
        }
        "microsoft.healthcareapis/workspaces/fhirservices" => json!({}),
        "microsoft.network/bastionhosts" => {
            json!({"dnsName": format!("bst-{}.bastion.azure.com", guid("bst"))})
        }
        _ => json!({}),
    };
    let mut m = match v {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    m.entry("provisioningState").or_insert(json!("Succeeded"));
    m
}

// ---------------------------------------------------------------------------
// Expansion passes.

/// One resource of an expansion, ready to be deployed.
struct Planned {
    id: String,
    resource_type: String,
    name: String,
    api_version: String,
    /// The PUT body (secure values redacted).
    body: Value,
    /// Lower-cased ids it waits for (explicit, parent/scope, and the
    /// `dependsOn` of the nested deployments around it).
    deps: Vec<String>,
    /// The deployment path it belongs to (`""` top level).
    deployment: String,
    /// The first expression the engine could not evaluate, if any.
    unknown: Option<String>,
}

/// A nested deployment of an expansion.
struct NestedDeployment {
    id: String,
    /// Its own path (`a/b`).
    path: String,
    /// Where its record is written (its parent's path).
    parent: String,
}

/// The result of one expansion.
struct Pass {
    /// Nested deployments linked by URI (id, uri): not available offline.
    links: Vec<(String, String)>,
    resources: Vec<Planned>,
    nested: Vec<NestedDeployment>,
    outputs: serde_json::Map<String, Value>,
    /// The first output the engine could not evaluate.
    unknown_output: Option<(String, String)>,
    unresolved: usize,
    validated: Vec<Value>,
}

/// The first unknown inside a value, as its expression.
fn first_unknown(v: &TValue) -> Option<String> {
    match v {
        TValue::Unknown(u) => Some(u.expr.clone()),
        TValue::Array(a) => a.iter().find_map(first_unknown),
        TValue::Object(o) => o.values().find_map(first_unknown),
        _ => None,
    }
}

/// Expand the deployment's template once, asking `rt` for runtime values.
fn expand_pass(p: &Prepared, rt: &mut Resolver) -> Result<Pass, String> {
    let t = Template {
        doc: std::rc::Rc::new(p.template.clone()),
        file: p.name.clone(),
    };
    rt.guid_seen.clear();
    rt.learned = false;
    let raw = azrelo_template::expand_with(&t, &p.opts, rt).map_err(|e| e.to_string())?;
    rt.learn(&raw);
    let mut shown = raw.clone();
    shown.redact();
    let lower = |s: &str| s.to_ascii_lowercase();
    // Nested deployments: path → (id, dependsOn).
    let mut nested = Vec::new();
    let mut nested_deps: HashMap<String, Vec<String>> = HashMap::new();
    let mut path_of_id: HashMap<String, String> = HashMap::new();
    for r in raw.resources.iter().filter(|r| r.condition) {
        if r.resource_type
            .eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            let path = if r.deployment.is_empty() {
                r.name.clone()
            } else {
                format!("{}/{}", r.deployment, r.name)
            };
            nested_deps.insert(
                lower(&path),
                r.depends_on.iter().map(|d| lower(d)).collect(),
            );
            path_of_id.insert(lower(&r.id), lower(&path));
            nested.push(NestedDeployment {
                id: r.id.clone(),
                path,
                parent: r.deployment.clone(),
            });
        }
    }
    // What the engine could not evaluate, per resource (names included).
    let mut unresolved_by_owner: HashMap<String, String> = HashMap::new();
    for u in &raw.unresolved {
        unresolved_by_owner
            .entry(lower(&u.owner))
            .or_insert_with(|| u.expression.clone());
    }
    let mut resources = Vec::new();
    let mut validated = Vec::new();
    // Resources are created with the values the template gives them, secure
    // ones included, exactly as a direct PUT would send them; only the
    // deployment record (outputs, parameters) is redacted.
    for r in raw.resources.iter() {
        if !r.condition
            || r.resource_type
                .eq_ignore_ascii_case("Microsoft.Resources/deployments")
        {
            continue;
        }
        let mut body = serde_json::Map::new();
        if let Some(l) = &r.location {
            body.insert("location".into(), l.to_json());
        }
        for (k, v) in &r.body {
            if k != "scope" {
                body.insert(k.clone(), v.to_json());
            }
        }
        // `subscriptionResourceId('Microsoft.Resources/resourceGroups', n)`
        // spells a group `/subscriptions/{s}/providers/Microsoft.Resources/
        // resourceGroups/{n}`: the same group.
        let mut deps: Vec<String> = r
            .depends_on
            .iter()
            .map(|d| {
                lower(d).replace(
                    "/providers/microsoft.resources/resourcegroups/",
                    "/resourcegroups/",
                )
            })
            .collect();
        if let Ok(rid) = ResourceId::parse(&r.id) {
            let up = if rid.kind() == IdKind::Extension {
                rid.scope()
            } else {
                rid.parent()
            };
            if let Some(u) = up {
                deps.push(lower(u.as_str()));
            }
        }
        // The dependsOn of every enclosing nested deployment.
        let mut path = lower(&r.deployment);
        while !path.is_empty() {
            if let Some(d) = nested_deps.get(&path) {
                deps.extend(d.iter().cloned());
            }
            path = match path.rsplit_once('/') {
                Some((p, _)) => p.to_string(),
                None => String::new(),
            };
        }
        // A dependency on a nested deployment is one on everything in it.
        let mut expanded_deps = Vec::new();
        for d in deps {
            match path_of_id.get(&d) {
                Some(p) => expanded_deps.push(format!("deployment:{p}")),
                None => expanded_deps.push(d),
            }
        }
        // A name the engine could not evaluate shows as `[expression]`.
        let unknown = unresolved_by_owner
            .get(&lower(&r.id))
            .cloned()
            .or_else(|| {
                (r.id.contains("['") || (r.id.contains('[') && r.id.contains('(')))
                    .then(|| format!("the name {}", r.name))
            })
            .or_else(|| r.location.as_ref().and_then(first_unknown))
            .or_else(|| r.body.values().find_map(first_unknown));
        validated.push(json!({"id": r.id, "type": r.resource_type, "apiVersion": r.api_version}));
        resources.push(Planned {
            id: r.id.clone(),
            resource_type: r.resource_type.clone(),
            name: r.name.clone(),
            api_version: r.api_version.clone(),
            body: Value::Object(body),
            deps: expanded_deps,
            deployment: r.deployment.clone(),
            unknown,
        });
    }
    let mut outputs = serde_json::Map::new();
    let mut unknown_output = None;
    for (k, v) in &shown.outputs {
        if unknown_output.is_none()
            && let Some(u) = first_unknown(v)
        {
            unknown_output = Some((k.clone(), u));
        }
        outputs.insert(
            k.clone(),
            json!({"type": output_type(&p.template, k, v), "value": v.to_json()}),
        );
    }
    // Linked templates by URI: the emulator works offline.
    let links = raw
        .unresolved
        .iter()
        .filter_map(|u| {
            u.expression
                .strip_prefix("templateLink ")
                .map(|uri| (u.owner.clone(), uri.trim_matches('"').to_string()))
        })
        .collect();
    Ok(Pass {
        links,
        resources,
        nested,
        outputs,
        unknown_output,
        unresolved: raw.unresolved.len(),
        validated,
    })
}

/// An output's declared type, as ARM reports it (`String`, `Int`, `Bool`,
/// `Array`, `Object`, `SecureString`…).
fn output_type(template: &Value, name: &str, v: &TValue) -> String {
    let declared = template["outputs"]
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
        .and_then(|(_, d)| d["type"].as_str())
        .unwrap_or("");
    match declared.to_ascii_lowercase().as_str() {
        "string" => "String".into(),
        "int" => "Int".into(),
        "bool" => "Bool".into(),
        "array" => "Array".into(),
        "object" => "Object".into(),
        "securestring" => "SecureString".into(),
        "secureobject" => "SecureObject".into(),
        _ => match v {
            TValue::Int(_) => "Int",
            TValue::Bool(_) => "Bool",
            TValue::Array(_) => "Array",
            TValue::Object(_) => "Object",
            _ => "String",
        }
        .into(),
    }
}

// ---------------------------------------------------------------------------
// Running a deployment.

/// How one resource action ended.
#[derive(Debug, Clone, PartialEq)]
enum Status {
    Succeeded,
    Failed,
}

/// One deployment operation, before it is rendered.
struct Op {
    deployment: String,
    target_id: String,
    target_type: String,
    target_name: String,
    api_version: String,
    operation: &'static str,
    status: Status,
    http: u16,
    error: Option<Value>,
    /// Emulated start and end (clock time), and the wall clock at start.
    start: std::time::Duration,
    end: std::time::Duration,
    wall: std::time::SystemTime,
}

/// The outcome of a deployment run.
struct Run {
    record: Value,
    ops: Vec<Op>,
    nested: Vec<(NestedDeployment, Status)>,
    nested_outputs: HashMap<String, Value>,
    /// When the last resource completes (clock time).
    end: std::time::Duration,
    wall: std::time::SystemTime,
}

fn status_text(code: u16) -> &'static str {
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
type Done = HashMap<String, (Status, std::time::Duration)>;

/// The state of a dependency: `None` when the deployment does not create it
/// (it exists already or is external), `Some(None)` while pending,
/// `Some(Some(..))` once finished. `deployment:{path}` stands for
/// everything of a nested deployment.
fn dep_state(
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
fn in_deployment(path: &str, of: &str) -> bool {
    let d = of.to_ascii_lowercase();
    d == path || d.starts_with(&format!("{path}/"))
}

/// Deploy every resource of the template, each as soon as what it needs is
/// done, expanding again whenever runtime values may have become known.
async fn execute(em: &Emulator, id: &ResourceId, p: &Prepared, props: &Value) -> Run {
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
fn template_error(e: &str) -> Value {
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

fn json_type(v: &Value) -> &'static str {
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
async fn put_one(
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

/// Store the deployment record, its nested deployments and their
/// operations, and answer the PUT.
fn finish(em: &Emulator, id: &ResourceId, run: Run) -> Response {
    let now = em.clock().now();
    let running = run.end > now;
    let final_state = run.record["properties"]["provisioningState"]
        .as_str()
        .unwrap_or("Failed")
        .to_string();
    let mut inner = em.inner.lock().expect("emulator state");
    // Nested deployment records (ARM keeps one per nested deployment, with
    // its outputs), where their scope exists.
    let mut records: Vec<(String, String)> = vec![(String::new(), id.as_str().to_string())];
    for (n, s) in &run.nested {
        records.push((n.path.to_ascii_lowercase(), n.id.clone()));
        let Ok(nid) = ResourceId::parse(&n.id) else {
            continue;
        };
        if let Some(rg) = nid.resource_group_id()
            && !inner.resources.contains_key(&key(rg.as_str()))
        {
            continue;
        }
        let state = if *s == Status::Succeeded {
            "Succeeded"
        } else {
            "Failed"
        };
        let outputs = run
            .nested_outputs
            .get(&key(&n.id))
            .map(|o| {
                let mut m = serde_json::Map::new();
                for (k, v) in o.as_object().into_iter().flatten() {
                    m.insert(k.clone(), v.clone());
                }
                Value::Object(m)
            })
            .unwrap_or(json!({}));
        let body = json!({
            "id": n.id,
            "name": nid.name().unwrap_or_default(),
            "type": "Microsoft.Resources/deployments",
            "properties": {
                "provisioningState": state,
                "mode": "Incremental",
                "timestamp": rfc3339(run.wall),
                "outputs": outputs,
            },
        });
        let _ = inner.store(
            key(&n.id),
            Stored {
                id: n.id.clone(),
                body,
            },
        );
    }
    // Operations: each resource under the deployment it belongs to, each
    // nested deployment under its parent.
    let mut by_deployment: HashMap<String, Vec<Value>> = HashMap::new();
    let render = |op: &Op, dep_id: &str| -> Value {
        let op_id =
            crate_hash(&format!("{dep_id}|{}|{}", op.target_id, op.operation)).to_uppercase();
        let mut v = json!({
            "id": format!("{dep_id}/operations/{op_id}"),
            "operationId": op_id,
            "properties": {
                "provisioningOperation": op.operation,
                "provisioningState": if op.status == Status::Succeeded { "Succeeded" } else { "Failed" },
                "timestamp": rfc3339(op.wall),
                "duration": iso_duration(op.end.saturating_sub(op.start)),
                "trackingId": uuid::Uuid::new_v4().to_string(),
                "serviceRequestId": uuid::Uuid::new_v4().to_string(),
                "statusCode": status_text(op.http),
                "statusMessage": match &op.error {
                    Some(e) => json!({"status": "Failed", "error": e}),
                    None => json!({"status": "Succeeded"}),
                },
                "targetResource": {
                    "id": op.target_id,
                    "resourceType": op.target_type,
                    "resourceName": op.target_name,
                    "apiVersion": op.api_version,
                },
            },
            // Emulated start/end, turned into Running/Succeeded at read time.
            "$clock": [op.start.as_secs_f64(), op.end.as_secs_f64()],
        });
        if op.error.is_none()
            && let Some(m) = v["properties"].as_object_mut()
        {
            m.remove("statusMessage");
            m.insert("statusMessage".into(), json!({"status": "Succeeded"}));
        }
        v
    };
    let dep_id_of = |path: &str| -> String {
        records
            .iter()
            .find(|(p, _)| *p == path.to_ascii_lowercase())
            .map(|(_, i)| i.clone())
            .unwrap_or_else(|| id.as_str().to_string())
    };
    for op in &run.ops {
        let dep_id = dep_id_of(&op.deployment);
        by_deployment
            .entry(key(&dep_id))
            .or_default()
            .push(render(op, &dep_id));
    }
    for (n, s) in &run.nested {
        let parent = dep_id_of(&n.parent);
        let op = Op {
            deployment: n.parent.clone(),
            target_id: n.id.clone(),
            target_type: "Microsoft.Resources/deployments".into(),
            target_name: n.path.rsplit('/').next().unwrap_or(&n.path).to_string(),
            api_version: API.into(),
            operation: "Create",
            status: s.clone(),
            http: if *s == Status::Succeeded { 201 } else { 400 },
            error: (*s == Status::Failed).then(|| json!({"code": "DeploymentFailed", "message": "At least one resource deployment operation failed. Please list deployment operations for details."})),
            start: std::time::Duration::ZERO,
            end: run.end,
            wall: run.wall,
        };
        by_deployment
            .entry(key(&parent))
            .or_default()
            .push(render(&op, &parent));
    }
    for (_, dep) in &records {
        let list = by_deployment.remove(&key(dep)).unwrap_or_default();
        let oid = format!("{dep}/$operations");
        let _ = inner.store(
            key(&oid),
            Stored {
                id: oid.clone(),
                body: json!({"type": "azrelo.emulator/deploymentOperations", "value": list}),
            },
        );
    }
    // The deployment record: Running until its last resource completes.
    let mut record = run.record;
    if running {
        record["properties"]["provisioningState"] = json!("Running");
    }
    if let Err(e) = inner.store(
        key(id.as_str()),
        Stored {
            id: id.as_str().to_string(),
            body: record.clone(),
        },
    ) {
        return persistence_failed(e);
    }
    if running {
        inner.schedule(
            run.end,
            key(id.as_str()),
            Event::Finish(leak_state(&final_state)),
        );
        record["properties"]["provisioningState"] = json!("Accepted");
    }
    drop(inner);
    let url = format!(
        "{}/operationStatuses/{}?api-version={API}",
        id.as_str(),
        crate_hash(&format!("{}|{}", id.as_str(), rfc3339(run.wall))).to_uppercase()
    );
    let mut r = (StatusCode::CREATED, axum::Json(record)).into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        r.headers_mut().insert("azure-asyncoperation", v.clone());
        r.headers_mut().insert("location", v);
    }
    // While it runs, tell clients when to poll (the Azure SDKs otherwise
    // wait their default 30 s before the first poll).
    if running {
        let remaining = run.end.saturating_sub(em.clock.now());
        r.headers_mut()
            .insert("retry-after", retry_after(remaining));
    }
    r
}

fn leak_state(s: &str) -> &'static str {
    match s {
        "Succeeded" => "Succeeded",
        "Canceled" => "Canceled",
        _ => "Failed",
    }
}

/// `GET {deployment}/operations[/{operationId}]` and
/// `GET {deployment}/operationStatuses/{id}`; `None` when the path is
/// neither.
pub(super) fn deployment_subresource(em: &Emulator, path: &str) -> Option<Response> {
    let lower = path.to_ascii_lowercase();
    // `GET {scope}/providers/Microsoft.Resources/deployments`: the
    // deployments at exactly that scope (Deployments - List At Scope).
    if let Some(scope) = lower.strip_suffix("/providers/microsoft.resources/deployments") {
        let prefix = format!("{scope}/providers/microsoft.resources/deployments/");
        let inner = em.state();
        let value: Vec<Value> = inner
            .resources
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(_, s)| s.body.clone())
            .collect();
        return Some((StatusCode::OK, axum::Json(json!({"value": value}))).into_response());
    }
    let marker = "/providers/microsoft.resources/deployments/";
    let at = lower.rfind(marker)?;
    let rest = &path[at + marker.len()..];
    let mut parts = rest.splitn(3, '/');
    let name = parts.next()?;
    let what = parts.next()?.to_ascii_lowercase();
    let op = parts.next();
    if what != "operations" && what != "operationstatuses" {
        return None;
    }
    let dep_id = &path[..at + marker.len() + name.len()];
    let now = em.clock().now().as_secs_f64();
    let inner = em.state();
    let Some(dep) = inner.resources.get(&key(dep_id)) else {
        return Some(error(
            StatusCode::NOT_FOUND,
            "DeploymentNotFound",
            format!("Deployment '{name}' could not be found."),
            None,
        ));
    };
    match what.as_str() {
        "operationstatuses" => {
            let state = dep.body["properties"]["provisioningState"]
                .as_str()
                .unwrap_or("Running");
            let status = match state {
                "Accepted" | "Running" => "Running",
                s => s,
            };
            let mut v = json!({"status": status});
            if let Some(e) = dep.body["properties"].get("error")
                && status == "Failed"
            {
                v["error"] = e.clone();
            }
            let mut r = (StatusCode::OK, axum::Json(v)).into_response();
            if status == "Running" {
                // Poll again soon (the SDKs' default otherwise is 30 s).
                r.headers_mut()
                    .insert("retry-after", HeaderValue::from_static("1"));
            }
            Some(r)
        }
        "operations" => {
            let ops = inner
                .resources
                .get(&key(&format!("{dep_id}/$operations")))
                .map(|s| s.body["value"].as_array().cloned().unwrap_or_default())
                .unwrap_or_default();
            let shown: Vec<Value> = ops
                .into_iter()
                .map(|mut o| {
                    let end = o["$clock"][1].as_f64().unwrap_or(0.0);
                    if let Some(m) = o.as_object_mut() {
                        m.remove("$clock");
                    }
                    if end > now {
                        o["properties"]["provisioningState"] = json!("Running");
                        o["properties"]["statusMessage"] = json!({"status": "Running"});
                    }
                    o
                })
                .collect();
            match op {
                None => Some((StatusCode::OK, axum::Json(json!({"value": shown}))).into_response()),
                Some(o) => Some(
                    match shown.into_iter().find(|x| {
                        x["operationId"]
                            .as_str()
                            .is_some_and(|i| i.eq_ignore_ascii_case(o))
                    }) {
                        Some(x) => (StatusCode::OK, axum::Json(x)).into_response(),
                        None => error(
                            StatusCode::NOT_FOUND,
                            "DeploymentOperationNotFound",
                            format!(
                                "Deployment operation '{o}' of deployment '{name}' could not be found."
                            ),
                            None,
                        ),
                    },
                ),
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// validate and whatIf.

/// `validate` (the template expands and its resources are listed) and
/// `whatIf` (per resource: Create, Modify or NoChange against the current
/// state); nothing is changed.
fn preview(em: &Emulator, id: &ResourceId, p: &Prepared, mode: Mode) -> Response {
    let mut rt = Resolver::new(em);
    let x = match expand_pass(p, &mut rt) {
        Ok(x) => x,
        Err(e) => {
            let mut err = template_error(&e);
            err["code"] = json!("InvalidTemplate");
            return (StatusCode::BAD_REQUEST, axum::Json(json!({"error": err}))).into_response();
        }
    };
    if mode == Mode::Validate {
        return (
            StatusCode::OK,
            axum::Json(json!({
                "id": id.as_str(),
                "name": p.name,
                "type": "Microsoft.Resources/deployments",
                "properties": {
                    "provisioningState": "Succeeded",
                    "mode": "Incremental",
                    "validatedResources": x.validated,
                },
            })),
        )
            .into_response();
    }
    let inner = em.inner.lock().expect("emulator state");
    let changes: Vec<Value> = x
        .resources
        .iter()
        .map(|r| {
            let (change, before) = match inner.resources.get(&key(&r.id)) {
                None => ("Create", Value::Null),
                Some(s) => {
                    let mut stored = s.body.get("properties").cloned().unwrap_or(Value::Null);
                    if let Some(m) = stored.as_object_mut() {
                        m.remove("provisioningState");
                    }
                    let same = r.body.get("properties").is_some_and(|p| *p == stored);
                    (if same { "NoChange" } else { "Modify" }, s.body.clone())
                }
            };
            let mut after = r.body.clone();
            after["id"] = json!(r.id);
            after["type"] = json!(r.resource_type);
            after["name"] = json!(leaf(&r.id));
            json!({"resourceId": r.id, "changeType": change, "before": before, "after": after})
        })
        .collect();
    (
        StatusCode::OK,
        axum::Json(json!({"status": "Succeeded", "properties": {"changes": changes}})),
    )
        .into_response()
}

/// ISO 8601 duration (`PT1M2.5S`), as ARM writes `duration`.
fn iso_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let frac = d.subsec_micros();
    let mut out = String::from("PT");
    if h > 0 {
        out.push_str(&format!("{h}H"));
    }
    if m > 0 {
        out.push_str(&format!("{m}M"));
    }
    if frac > 0 {
        out.push_str(&format!("{s}.{frac:06}S"));
    } else {
        out.push_str(&format!("{s}S"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn secrets_are_stable_per_seed_and_distinct_between_seeds() {
        let a = secret("x#key1", 64);
        assert_eq!(a, secret("x#key1", 64));
        assert_ne!(a, secret("x#key2", 64));
        assert_eq!(a.len(), 88);
    }

    #[test]
    fn durations_are_iso_8601() {
        use std::time::Duration;
        assert_eq!(iso_duration(Duration::from_secs(0)), "PT0S");
        assert_eq!(iso_duration(Duration::from_millis(1500)), "PT1.500000S");
        assert_eq!(iso_duration(Duration::from_secs(3723)), "PT1H2M3S");
    }
}
