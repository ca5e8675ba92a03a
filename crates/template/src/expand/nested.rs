//! Nested and linked deployments: where the nested template comes from
//! (inline, a local `relativePath` file, or the deployment runtime), its
//! target scope, its parameters, running it as a child frame, and what
//! `reference()` of it answers.

use super::MAX_NESTING_DEPTH;
use super::depends::canonical_id;
use super::frame::{Cx, Frame, ParamInput};
use super::resources::{Built, Decl};
use super::result::Unresolved;
use super::{Template, scope_of};
use crate::eval::{self, EvalError, LoopContext, TemplateScope};
use crate::value::Value;
use indexmap::IndexMap;
use std::rc::Rc;

/// An expanded nested deployment, as `reference()` of it answers.
pub(super) struct NestedDeployment {
    /// Its outputs as `reference(name).outputs` shows them.
    outputs: Value,
    name: String,
    api_version: String,
    location: Option<Value>,
    /// The subscription and resource group the deployment resource is in.
    subscription_id: String,
    resource_group: Option<String>,
}

impl NestedDeployment {
    pub(super) fn new(res: &Built, outputs: Value) -> NestedDeployment {
        let segment = |name: &str| {
            let mut it = res.id.split('/');
            it.by_ref().find(|s| s.eq_ignore_ascii_case(name))?;
            it.next().map(str::to_string)
        };
        NestedDeployment {
            outputs,
            name: res.name.clone(),
            api_version: res.api_version.clone(),
            location: res.location.clone(),
            subscription_id: segment("subscriptions").unwrap_or_default(),
            resource_group: segment("resourceGroups"),
        }
    }
}

/// Where a nested deployment's template comes from.
enum Source {
    /// The template document and the file (or URI) it is known by; the URI
    /// it was linked from when a runtime served it by `templateLink`.
    Doc(Rc<serde_json::Value>, String, Option<String>),
    /// Not available: the deployment's outputs stay unknown.
    Unavailable,
    /// Neither `template` nor `templateLink`: nothing to expand.
    Empty,
}

impl Cx<'_, '_> {
    /// Expand a nested deployment as a child frame; returns its outputs as
    /// `reference(name).outputs` shows them (`{name: {type, value}}`).
    pub(super) fn expand_nested(
        &mut self,
        decl: &Decl,
        res: &Built,
        loop_state: Option<&(String, i64)>,
    ) -> Result<Value, EvalError> {
        if self.fr().depth + 1 > MAX_NESTING_DEPTH {
            return Err(EvalError::new(format!(
                "nested deployments go deeper than {MAX_NESTING_DEPTH} levels"
            ))
            .at_path(&decl.path));
        }
        let props = decl.json.get("properties").cloned().unwrap_or_default();
        let path = format!("{}.properties", decl.path);
        let (doc, file, link_uri) = match self.nested_source(&props, res, &path, loop_state)? {
            Source::Doc(doc, file, link) => (doc, file, link),
            Source::Unavailable => {
                return Ok(Value::unknown(format!("reference('{}').outputs", res.name)));
            }
            Source::Empty => return Ok(Value::Object(IndexMap::new())),
        };
        let inner_scope = props
            .get("expressionEvaluationOptions")
            .and_then(|o| o.get("scope"))
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"))
            || props.get("templateLink").is_some();
        let (target, target_scope) = self.nested_target(res, &doc);
        let dpath = if self.fr().deployment_path.is_empty() {
            res.name.clone()
        } else {
            format!("{}/{}", self.fr().deployment_path, res.name)
        };
        let params_in = self.nested_parameters(&props, &path, loop_state)?;
        let mut child = if inner_scope {
            let mut ctx = target.clone();
            if target_scope == TemplateScope::ResourceGroup
                && let Some(group) = &res.target_resource_group
            {
                // Another resource group: a deployment runtime knows its
                // location; offline, keep the parent's.
                let known = self.ask_runtime(
                    "resourcegrouplocation",
                    &[
                        Value::String(target.subscription_id.clone()),
                        Value::String(group.clone()),
                    ],
                    "resourceGroup().location",
                )?;
                ctx.resource_group_location = match known {
                    Some(Value::String(l)) => l,
                    _ => self.fr().target.resource_group_location.clone(),
                };
            }
            let mut child = Frame::new(
                doc,
                file,
                ctx,
                target_scope,
                params_in,
                dpath,
                self.fr().depth + 1,
            );
            child.template_link = link_uri;
            child
        } else {
            // Outer scope: the parent's parameters, variables and functions.
            // A nested template that nevertheless declares parameters (and is
            // passed values for them) sees those first.
            let mut child = Frame::new(
                doc,
                file,
                self.fr().ctx.clone(),
                self.fr().scope,
                params_in,
                dpath,
                self.fr().depth + 1,
            );
            child.template_link = link_uri.or_else(|| self.link_base());
            child.outer = Some(self.f);
            child
        };
        child.target = target;
        child.target_scope = target_scope;
        self.eng.frames.push(child);
        let index = self.eng.frames.len() - 1;
        let outputs = self.at(index).run();
        self.eng.frames.truncate(index);
        let outputs = outputs.map_err(|e| {
            EvalError::new(format!(
                "in nested deployment '{}': {}",
                res.name, e.message
            ))
            .at_path(e.path.as_deref().unwrap_or(&path))
        })?;
        // Outputs as `reference(name).outputs` sees them: {name: {type, value}}.
        let mut o = IndexMap::new();
        for (k, v) in outputs {
            let mut entry = IndexMap::new();
            entry.insert(
                "type".to_string(),
                Value::String(type_name_of(&v).to_string()),
            );
            entry.insert("value".to_string(), v);
            o.insert(k, Value::Object(entry));
        }
        Ok(Value::Object(o))
    }

    /// The nested template: inline, from the deployment runtime (by URI, by
    /// `relativePath` against the linking template's URI, or a template
    /// spec by id; local files are never read then), or a local
    /// `relativePath` file offline. What is not available is listed as
    /// unresolved.
    fn nested_source(
        &mut self,
        props: &serde_json::Value,
        res: &Built,
        path: &str,
        loop_state: Option<&(String, i64)>,
    ) -> Result<Source, EvalError> {
        if let Some(t) = props.get("template") {
            return Ok(Source::Doc(
                Rc::new(t.clone()),
                self.fr().file.clone(),
                None,
            ));
        }
        let Some(link) = props.get("templateLink") else {
            return Ok(Source::Empty);
        };
        let evaluated = res
            .body
            .get("properties")
            .and_then(|p| p.get("templateLink"))
            .cloned()
            .unwrap_or(Value::Null);
        let field = |k: &str| {
            evaluated
                .get(k)
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        if self.has_runtime() {
            let (function, target) = if let Some(u) = field("uri") {
                ("templatelink", Some(u))
            } else if let Some(r) = field("relativePath") {
                ("templatelink", self.link_base().map(|b| join_uri(&b, &r)))
            } else if let Some(i) = field("id") {
                ("templatespec", Some(i))
            } else {
                ("templatelink", None)
            };
            if let Some(t) = target {
                let got = self.ask_runtime(
                    function,
                    &[Value::String(t.clone())],
                    &format!("templateLink {t}"),
                )?;
                if let Some(doc) = got.map(|d| d.to_json()).filter(|d| d.is_object()) {
                    let linked = (function == "templatelink").then(|| t.clone());
                    return Ok(Source::Doc(Rc::new(doc), t, linked));
                }
            }
            let uri = link
                .get("uri")
                .or_else(|| link.get("relativePath"))
                .or_else(|| link.get("id"));
            return Ok(self.unavailable(res, uri));
        }
        let rel = link.get("relativePath").and_then(|r| r.as_str());
        if let (Some(rel), Some(base)) = (rel, self.eng.base_dir.clone()) {
            let rel_v = self.eval_at(
                &serde_json::Value::String(rel.to_string()),
                path,
                loop_state,
            )?;
            let rel = rel_v.as_str().unwrap_or(rel).to_string();
            let p = base.join(&rel);
            let t = Template::from_file(&p).map_err(|e| {
                EvalError::new(format!("linked template '{rel}': {e}")).at_path(path)
            })?;
            return Ok(Source::Doc(t.doc, p.display().to_string(), None));
        }
        // A remote link (uri or template spec id): not available offline.
        Ok(self.unavailable(res, link.get("uri").or_else(|| link.get("id"))))
    }

    /// A linked template that cannot be had: listed as unresolved.
    fn unavailable(&mut self, res: &Built, uri: Option<&serde_json::Value>) -> Source {
        let uri = uri.map(|u| u.to_string()).unwrap_or_default();
        self.eng.out.unresolved.push(Unresolved {
            owner: res.id.clone(),
            expression: format!("templateLink {uri}"),
        });
        Source::Unavailable
    }

    /// Where a nested deployment's resources deploy: the parent's target,
    /// changed by the deployment's `subscriptionId`, `resourceGroup`,
    /// `scope`, `location` and the nested template's own `$schema`.
    fn nested_target(
        &self,
        res: &Built,
        doc: &serde_json::Value,
    ) -> (crate::eval::DeploymentContext, TemplateScope) {
        let mut target = self.fr().target.clone();
        let mut target_scope = self.fr().target_scope;
        let sub = &res.target_subscription;
        let rg = &res.target_resource_group;
        if let Some(s) = sub {
            target.subscription_id = s.clone();
        }
        if let Some(r) = rg {
            target.resource_group = r.clone();
            target_scope = TemplateScope::ResourceGroup;
        } else if sub.is_some() && self.fr().target_scope != TemplateScope::ResourceGroup {
            target_scope = TemplateScope::Subscription;
        }
        let nested_schema_scope = scope_of(doc);
        if nested_schema_scope != TemplateScope::ResourceGroup && rg.is_none() {
            target_scope = nested_schema_scope;
        }
        if let Some(sc) = &res.target_scope {
            if sc.to_ascii_lowercase().contains("/managementgroups/") {
                target_scope = TemplateScope::ManagementGroup;
                if let Some(mg) = sc.rsplit('/').next() {
                    target.management_group = mg.to_string();
                }
            } else if sc == "/" || sc.is_empty() {
                target_scope = TemplateScope::Tenant;
            }
        }
        if let Some(Value::String(l)) = &res.location {
            target.location = l.clone();
        }
        target.deployment_name = res.name.clone();
        (target, target_scope)
    }

    /// Parameter values are evaluated in the parent scope; each entry (or
    /// the whole object) may be an expression yielding `{value: …}`; a
    /// `{reference: …}` entry is a Key Vault secret only a runtime knows.
    fn nested_parameters(
        &mut self,
        props: &serde_json::Value,
        path: &str,
        loop_state: Option<&(String, i64)>,
    ) -> Result<IndexMap<String, ParamInput>, EvalError> {
        let mut params_in = IndexMap::new();
        let Some(p) = props.get("parameters") else {
            return Ok(params_in);
        };
        let Value::Object(o) = self.eval_at(p, &format!("{path}.parameters"), loop_state)? else {
            return Ok(params_in);
        };
        for (k, pv) in o {
            if pv.is_unknown() {
                params_in.insert(k.clone(), ParamInput::Value(pv.clone()));
            } else if let Some(v) = pv.get("value") {
                params_in.insert(k.clone(), ParamInput::Value(v.clone()));
            } else if let Some(r) = pv.get("reference") {
                let expr = format!("Key Vault reference for parameter '{k}'");
                let v =
                    match self.ask_runtime("keyvaultreference", std::slice::from_ref(r), &expr)? {
                        Some(v) => v,
                        None => Value::unknown(expr),
                    };
                params_in.insert(k.clone(), ParamInput::Value(v));
            }
        }
        Ok(params_in)
    }

    /// Evaluate JSON in this frame, inside a loop iteration if given.
    fn eval_at(
        &mut self,
        v: &serde_json::Value,
        path: &str,
        loop_state: Option<&(String, i64)>,
    ) -> Result<Value, EvalError> {
        match loop_state {
            Some((n, i)) => {
                let mut lc = LoopContext {
                    outer: self,
                    name: n,
                    index: *i,
                    property_loop: false,
                };
                eval::evaluate_json(v, &mut lc, path)
            }
            None => eval::evaluate_json(v, self, path),
        }
    }

    /// `reference()` answered offline: a nested deployment of this template
    /// (by name, symbolic name or id; expanded on demand when declared
    /// later). By name the reference is also an implicit dependency; by id
    /// it is not (ARM's rule).
    pub(super) fn reference_offline(
        &mut self,
        function: &str,
        args: &[Value],
        expr: &str,
    ) -> Result<Option<Value>, EvalError> {
        let Some(Value::String(target)) = args.first() else {
            return Ok(None);
        };
        let key = if target.starts_with('/') {
            // By id: the exact deployment when known, else by its name.
            let canonical = canonical_id(target);
            if self.fr().nested_outputs.contains_key(&canonical) {
                Some(canonical)
            } else {
                deployment_name_of(target).map(str::to_ascii_lowercase)
            }
        } else {
            self.fm().referenced.push(target.clone());
            Some(target.to_ascii_lowercase())
        };
        let Some(key) = key.filter(|_| function == "reference") else {
            return Ok(None);
        };
        let by_symbol = !target.starts_with('/')
            && (self.fr().pending_symbols.contains_key(&key)
                || self.fr().symbol_outputs.contains_key(&key));
        if by_symbol {
            if let Some(&i) = self.fr().pending_symbols.get(&key) {
                self.expand_on_demand(i)?;
            }
            if let Some(d) = self.fr().symbol_outputs.get(&key) {
                return Ok(Some(deployment_reference(d, args, expr)));
            }
        } else if let Some(&i) = self.fr().pending_deployments.get(&key) {
            self.expand_on_demand(i)?;
        }
        Ok(self
            .fr()
            .nested_outputs
            .get(&key)
            .map(|d| deployment_reference(d, args, expr)))
    }
}

/// ARM's name of a value's type in `reference(deployment).outputs`.
fn type_name_of(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "String",
        Value::Int(_) => "Int",
        Value::Bool(_) => "Bool",
        Value::Array(_) => "Array",
        Value::Object(_) => "Object",
        _ => "String",
    }
}

/// What `reference()` of a nested deployment answers offline: its
/// properties (the outputs known, the runtime properties unknown), or with
/// `'Full'` the whole envelope the reference function documents
/// (template-functions-resource.md, "reference": `apiVersion`, `location`,
/// `properties`, `subscriptionId`, `resourceGroupName`, `resourceId`,
/// `referenceApiVersion`, `condition`, `isConditionTrue`,
/// `isTemplateResource`, `isAction`, `provisioningOperation`).
fn deployment_reference(d: &NestedDeployment, args: &[Value], expr: &str) -> Value {
    let mut props = IndexMap::new();
    props.insert("outputs".to_string(), d.outputs.clone());
    props.insert("mode".to_string(), Value::String("Incremental".into()));
    props.insert(
        "provisioningState".to_string(),
        Value::String("Succeeded".into()),
    );
    for k in [
        "correlationId",
        "timestamp",
        "duration",
        "outputResources",
        "templateHash",
        "parameters",
    ] {
        props.insert(k.to_string(), Value::unknown(format!("{expr}.{k}")));
    }
    let is_full = |v: &Value| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("full"));
    if !args.iter().skip(1).any(is_full) {
        return Value::Object(props);
    }
    let api_version = match args.get(1) {
        Some(Value::String(v)) if !is_full(&args[1]) => v.clone(),
        _ => d.api_version.clone(),
    };
    let s = |v: &str| Value::String(v.to_string());
    let mut o = IndexMap::new();
    o.insert("apiVersion".to_string(), s(&d.api_version));
    if let Some(l) = &d.location {
        o.insert("location".to_string(), l.clone());
    }
    o.insert("properties".to_string(), Value::Object(props));
    o.insert("subscriptionId".to_string(), s(&d.subscription_id));
    if let Some(g) = &d.resource_group {
        o.insert("resourceGroupName".to_string(), s(g));
    }
    o.insert(
        "resourceId".to_string(),
        s(&format!("Microsoft.Resources/deployments/{}", d.name)),
    );
    o.insert("referenceApiVersion".to_string(), s(&api_version));
    o.insert("condition".to_string(), Value::Bool(true));
    o.insert("isConditionTrue".to_string(), Value::Bool(true));
    o.insert("isTemplateResource".to_string(), Value::Bool(true));
    o.insert("isAction".to_string(), Value::Bool(false));
    o.insert("provisioningOperation".to_string(), s("Create"));
    Value::Object(o)
}

/// `relative` resolved against the URI `base` (RFC 3986 merge: the base's
/// last segment replaced, `.` and `..` segments applied; a query dropped).
fn join_uri(base: &str, relative: &str) -> String {
    let base = base.split(['?', '#']).next().unwrap_or(base);
    let (origin, path) = match base.find("://") {
        Some(i) => match base[i + 3..].find('/') {
            Some(j) => (&base[..i + 3 + j], &base[i + 3 + j..]),
            None => (base, "/"),
        },
        None => ("", base),
    };
    let mut base_segs: Vec<&str> = path.split('/').collect();
    base_segs.pop();
    let mut segs: Vec<&str> = vec![""];
    for seg in base_segs.into_iter().chain(relative.split('/')) {
        match seg {
            "." | "" => {}
            ".." => {
                if segs.len() > 1 {
                    segs.pop();
                }
            }
            s => segs.push(s),
        }
    }
    format!("{origin}{}", segs.join("/"))
}

fn deployment_name_of(id: &str) -> Option<&str> {
    let lower = id.to_ascii_lowercase();
    let i = lower.rfind("/providers/microsoft.resources/deployments/")?;
    Some(&id[i + "/providers/microsoft.resources/deployments/".len()..])
}
