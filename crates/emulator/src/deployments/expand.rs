//! One expansion of a deployment's template: the resources ready to be
//! deployed (with their dependencies), nested deployments and outputs.

use std::collections::HashMap;

use azrelo_arm::id::{IdKind, ResourceId};
use azrelo_template::{Template, Value as TValue};
use serde_json::{Value, json};

use super::Prepared;
use super::runtime::Resolver;

/// One resource of an expansion, ready to be deployed.
pub(crate) struct Planned {
    pub(crate) id: String,
    pub(crate) resource_type: String,
    pub(crate) name: String,
    pub(crate) api_version: String,
    /// The PUT body (secure values redacted).
    pub(crate) body: Value,
    /// Lower-cased ids it waits for (explicit, parent/scope, and the
    /// `dependsOn` of the nested deployments around it).
    pub(crate) deps: Vec<String>,
    /// The deployment path it belongs to (`""` top level).
    pub(crate) deployment: String,
    /// The first expression the engine could not evaluate, if any.
    pub(crate) unknown: Option<String>,
}

/// A nested deployment of an expansion.
pub(crate) struct NestedDeployment {
    pub(crate) id: String,
    /// Its own path (`a/b`).
    pub(crate) path: String,
    /// Where its record is written (its parent's path).
    pub(crate) parent: String,
}

/// The result of one expansion.
pub(crate) struct Pass {
    /// Nested deployments linked by URI (id, uri): not available offline.
    pub(crate) links: Vec<(String, String)>,
    pub(crate) resources: Vec<Planned>,
    pub(crate) nested: Vec<NestedDeployment>,
    pub(crate) outputs: serde_json::Map<String, Value>,
    /// The first output the engine could not evaluate.
    pub(crate) unknown_output: Option<(String, String)>,
    pub(crate) unresolved: usize,
    pub(crate) validated: Vec<Value>,
}

/// The first unknown inside a value, as its expression.
pub(crate) fn first_unknown(v: &TValue) -> Option<String> {
    match v {
        TValue::Unknown(u) => Some(u.expr.clone()),
        TValue::Array(a) => a.iter().find_map(first_unknown),
        TValue::Object(o) => o.values().find_map(first_unknown),
        _ => None,
    }
}

/// Expand the deployment's template once, asking `rt` for runtime values.
pub(crate) fn expand_pass(p: &Prepared, rt: &mut Resolver) -> Result<Pass, String> {
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
pub(crate) fn output_type(template: &Value, name: &str, v: &TValue) -> String {
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
