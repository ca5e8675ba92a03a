//! The deployment runtime: `reference()`, `list*()`, `newGuid()`, Key Vault
//! references, template specs and linked templates answered from the
//! emulator's state (see `azrelo_template::Runtime`).

use std::collections::{HashMap, HashSet};

use azrelo_arm::id::ResourceId;
use azrelo_template::{Runtime, RuntimeCall, Value as TValue};
use serde_json::{Value, json};

use super::computed::{builtin_child, enrich};
use super::secrets::{leaf, list_result};
use super::{key_vault_reference, linked_template};
use crate::Emulator;
use crate::state::{TENANT, key};

/// Answers the runtime functions of one deployment.
pub(crate) struct Resolver {
    pub(crate) em: Emulator,
    /// After the first expansion: the ids the deployment itself creates
    /// (lower-cased); a reference to one of them waits, to anything else
    /// missing fails.
    pub(crate) planned: Option<HashSet<String>>,
    /// (deployment path, lower-case name or symbolic name) → id, from the
    /// previous expansion, for `reference('name')`.
    pub(crate) names: HashMap<(String, String), String>,
    /// `newGuid()` values: stable across the repeated expansions.
    pub(crate) guids: HashMap<(String, String, usize), String>,
    pub(crate) guid_seen: HashMap<(String, String), usize>,
    /// Nested deployment outputs by lower-case deployment id.
    pub(crate) nested: HashMap<String, Value>,
    /// Locations of the resource groups the deployment creates.
    pub(crate) group_locations: HashMap<String, String>,
    /// Whether the last expansion learned new nested outputs (a resource
    /// evaluated before them may resolve in the next expansion).
    pub(crate) learned: bool,
}

impl Resolver {
    pub(crate) fn new(em: &Emulator) -> Resolver {
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
    pub(crate) fn learn(&mut self, x: &azrelo_template::Expanded) {
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
        let inner = self.em.lock();
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
        let inner = self.em.lock();
        let stored = inner.resources.get(&k).map(|s| s.body.clone()).or_else(|| {
            ResourceId::parse(id)
                .ok()
                .and_then(|rid| inner.sub_resource(&rid))
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
                let inner = self.em.lock();
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
            let inner = self.em.lock();
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
                    let inner = self.em.lock();
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
                let inner = self.em.lock();
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
                let whole = |i: usize, default: i64| {
                    call.args
                        .get(i)
                        .and_then(|a| a.as_int())
                        .unwrap_or(default)
                        .max(0) as usize
                };
                let (count, offset) = (whole(3, 1), whole(4, 0));
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
