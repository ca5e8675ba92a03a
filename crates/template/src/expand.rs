//! Template expansion: from a template document, parameter values and a
//! deployment context to the concrete resources a deployment creates.
//!
//! Semantics follow the ARM template reference:
//! * parameters: provided values are taken literally (never unescaped or
//!   evaluated); defaults are expressions that may use other parameters,
//!   `utcNow()` and `newGuid()`; types, `allowedValues` and length/value
//!   bounds are checked;
//! * variables are evaluated lazily, with cycles reported by name; `copy`
//!   arrays at variable and property level;
//! * resources: `condition`, resource `copy` loops (0–800), child resources
//!   nested in `resources` arrays (full type and name; no implicit dependency
//!   on the parent, as ARM), extension resources through `scope` or the older
//!   `ns/type/providers/extType` form, ids built for the template's scope;
//! * `dependsOn` entries by id, name, `type/name`, copy-loop name or (in
//!   languageVersion 2.0) symbolic name; entries to condition-false resources
//!   are dropped; `reference()` by name adds an implicit dependency;
//! * nested deployments with inner or outer evaluation scope and target
//!   resource group/subscription; linked templates by `relativePath` from
//!   local files; nested outputs resolve `reference('<deployment>').outputs`;
//! * languageVersion 2.0: resources keyed by symbolic name, `existing`.
//!
//! Runtime-only values (`reference` of a resource, `list*`, …) stay
//! [`Value::Unknown`] and are listed in [`Expanded::unresolved`].

use crate::eval::{
    self, Context, DeploymentContext, EvalError, LoopContext, TemplateScope, UserFunction,
};
use crate::value::Value;
use indexmap::IndexMap;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// ARM's limit of resources per template (copies included).
pub const MAX_RESOURCES_PER_TEMPLATE: usize = 800;
/// How deep nested deployments may go.
pub const MAX_NESTING_DEPTH: usize = 16;

/// A parsed template document.
#[derive(Debug, Clone)]
pub struct Template {
    pub doc: Rc<serde_json::Value>,
    /// Where it came from (for messages and `relativePath` links).
    pub file: String,
}

/// An expansion failure.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpandError {
    Parse(crate::json::ParseError),
    /// An evaluation or validation error in a template file.
    Template {
        file: String,
        error: EvalError,
    },
}

impl fmt::Display for ExpandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpandError::Parse(e) => write!(f, "{e}"),
            ExpandError::Template { file, error } => write!(f, "{file}: {error}"),
        }
    }
}

impl std::error::Error for ExpandError {}

impl Template {
    /// Parse template text (lenient JSON).
    pub fn parse(text: &str, file: &str) -> Result<Template, ExpandError> {
        let doc = crate::json::parse(text, file).map_err(ExpandError::Parse)?;
        if !doc.is_object() {
            return Err(ExpandError::Template {
                file: file.to_string(),
                error: EvalError::new("a template must be a JSON object").at_path("$"),
            });
        }
        Ok(Template {
            doc: Rc::new(doc),
            file: file.to_string(),
        })
    }

    /// Read and parse a template file.
    pub fn from_file(path: &Path) -> Result<Template, ExpandError> {
        let text = std::fs::read_to_string(path).map_err(|e| ExpandError::Template {
            file: path.display().to_string(),
            error: EvalError::new(format!("cannot read the file: {e}")),
        })?;
        Template::parse(&text, &path.display().to_string())
    }

    /// The scope the template deploys to, from its `$schema`.
    pub fn scope(&self) -> TemplateScope {
        scope_of(&self.doc)
    }
}

fn scope_of(doc: &serde_json::Value) -> TemplateScope {
    let schema = doc
        .get("$schema")
        .and_then(|s| s.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if schema.contains("subscriptiondeploymenttemplate") {
        TemplateScope::Subscription
    } else if schema.contains("managementgroupdeploymenttemplate") {
        TemplateScope::ManagementGroup
    } else if schema.contains("tenantdeploymenttemplate") {
        TemplateScope::Tenant
    } else {
        TemplateScope::ResourceGroup
    }
}

/// Inputs of an expansion.
#[derive(Debug, Clone, Default)]
pub struct ExpandOptions {
    pub context: DeploymentContext,
    /// Parameter values (taken literally, as from a parameters file).
    pub parameters: IndexMap<String, serde_json::Value>,
    /// Directory for `relativePath` linked templates (defaults to the template's).
    pub base_dir: Option<PathBuf>,
    /// Override the scope from `$schema`.
    pub scope: Option<TemplateScope>,
    /// The URI the template is deployed from, if it is deployed by link
    /// (`deployment().properties.templateLink.uri`). `None` models a local
    /// file deployment, where `templateLink` does not exist.
    pub template_link: Option<String>,
}

/// A concrete resource of the deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExpandedResource {
    /// Full ARM resource id.
    pub id: String,
    /// Full type, e.g. `Microsoft.Sql/servers/databases`.
    #[serde(rename = "type")]
    pub resource_type: String,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    /// Full name as templates write it (`server/db`).
    pub name: String,
    #[serde(rename = "symbolicName", skip_serializing_if = "Option::is_none")]
    pub symbolic_name: Option<String>,
    /// Evaluated location (may be unknown or absent).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_value"
    )]
    pub location: Option<Value>,
    /// Every other top-level field, evaluated: `properties`, `sku`, `kind`,
    /// `identity`, `tags`, `zones`, `plan`, `extendedLocation`, `scope`, …
    #[serde(serialize_with = "ser_map")]
    pub body: IndexMap<String, Value>,
    /// Resolved explicit (and `reference`-by-name) dependencies, as resource ids.
    #[serde(rename = "dependsOn")]
    pub depends_on: Vec<String>,
    /// The `condition` outcome (resources with `false` are listed but not deployed).
    pub condition: bool,
    /// Which nested deployment it came from (`""` for the top level, else `a/b`).
    pub deployment: String,
    #[serde(rename = "copyIndex", skip_serializing_if = "Option::is_none")]
    pub copy_index: Option<i64>,
}

impl ExpandedResource {
    /// The evaluated `properties`, if any.
    pub fn properties(&self) -> Option<&Value> {
        self.body.get("properties")
    }
}

fn ser_map<S: serde::Serializer>(m: &IndexMap<String, Value>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in m {
        map.serialize_entry(k, &v.to_json())?;
    }
    map.end()
}

fn ser_opt_value<S: serde::Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => v.to_json().serialize(s),
        None => s.serialize_none(),
    }
}

/// A runtime-only value left symbolic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    /// Resource id, or `outputs.<name>`.
    pub owner: String,
    /// The original expression text.
    pub expression: String,
}

/// The result of an expansion.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Expanded {
    pub resources: Vec<ExpandedResource>,
    #[serde(serialize_with = "ser_map")]
    pub outputs: IndexMap<String, Value>,
    pub unresolved: Vec<Unresolved>,
    /// Non-fatal observations (ignored parameters, unresolvable dependsOn, …).
    pub warnings: Vec<String>,
    /// Values of secure parameters (`secureString`, string leaves of
    /// `secureObject`), for [`Expanded::redact`]. Never serialized.
    #[serde(skip)]
    pub secrets: Vec<String>,
}

/// What replaces a secret value in redacted output.
pub const REDACTED: &str = "***";

impl Expanded {
    /// Replace every secure parameter value in resources, outputs and
    /// warnings with `***`: exact matches always, and occurrences inside longer
    /// strings (connection strings, scripts) for values of 6 or more
    /// characters. Outputs of type `secureString`/`secureObject` are masked
    /// whole. Call before showing or writing an expansion anywhere.
    pub fn redact(&mut self) {
        let mut secrets: Vec<String> = self
            .secrets
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        if secrets.is_empty() {
            return;
        }
        let fix = |v: &mut Value| redact_value(v, &secrets);
        for r in &mut self.resources {
            if let Some(l) = &mut r.location {
                fix(l);
            }
            for v in r.body.values_mut() {
                fix(v);
            }
        }
        for v in self.outputs.values_mut() {
            fix(v);
        }
        for w in &mut self.warnings {
            *w = redact_str(w, &secrets);
        }
    }
}

fn redact_str(s: &str, secrets: &[String]) -> String {
    let mut out = s.to_string();
    for sec in secrets {
        if out == *sec {
            return REDACTED.to_string();
        }
        if sec.chars().count() >= 6 && out.contains(sec.as_str()) {
            out = out.replace(sec.as_str(), REDACTED);
        }
    }
    out
}

fn redact_value(v: &mut Value, secrets: &[String]) {
    match v {
        Value::String(s) => *s = redact_str(s, secrets),
        Value::Array(a) => a.iter_mut().for_each(|x| redact_value(x, secrets)),
        Value::Object(o) => o.values_mut().for_each(|x| redact_value(x, secrets)),
        _ => {}
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// What a deployment engine answers at deployment time: `reference()`,
/// `list*()`, `newGuid()` in parameter defaults and the other runtime-only
/// functions. Offline expansion ([`expand`]) has none and keeps those values
/// symbolic; a deployment engine (azrelo's emulator) passes one to
/// [`expand_with`] to evaluate them against the state of its cloud, as ARM
/// does after the referenced resource is deployed.
pub trait Runtime {
    /// Answer a runtime function call: `Ok(Some(v))` is its value,
    /// `Ok(None)` keeps it symbolic (not known yet, e.g. the resource is not
    /// deployed yet), `Err(message)` fails the expansion (e.g. the referenced
    /// resource does not exist).
    fn call(&mut self, call: &RuntimeCall<'_>) -> Result<Option<Value>, String>;

    /// Told the outputs of each nested deployment once it is expanded
    /// (`{name: {type, value}}`, as `reference(deployment).outputs` shows
    /// them). `id` is the nested deployment's resource id.
    fn nested_outputs(&mut self, _deployment: &str, _id: &str, _outputs: &Value) {}
}

/// One runtime function call, with its arguments evaluated.
#[derive(Debug)]
pub struct RuntimeCall<'a> {
    /// Lower-case function name: a template function (`reference`,
    /// `listkeys`, `newguid`, `pickzones`, …) or one of the engine's own
    /// questions: `keyvaultreference` (args: the parameter's `reference`
    /// object), `templatelink` (args: a linked template's URI; answer: the
    /// template document) and `resourcegrouplocation` (args: subscription
    /// id, resource group name).
    pub function: &'a str,
    pub args: &'a [Value],
    /// The call's text, e.g. `reference('kv').vaultUri`.
    pub expr: &'a str,
    /// The deployment path of the template being evaluated (`""` for the
    /// top level, else `a/b` as in [`ExpandedResource::deployment`]).
    pub deployment: &'a str,
    /// Where that template's resources deploy.
    pub target: &'a DeploymentContext,
    pub scope: TemplateScope,
}

/// Expand a template, keeping runtime-only values symbolic.
pub fn expand(template: &Template, options: &ExpandOptions) -> Result<Expanded, ExpandError> {
    expand_inner(template, options, None)
}

/// Expand a template, asking `runtime` for the values only a deployment
/// knows (see [`Runtime`]); what it does not answer stays symbolic.
pub fn expand_with(
    template: &Template,
    options: &ExpandOptions,
    runtime: &mut (dyn Runtime + 'static),
) -> Result<Expanded, ExpandError> {
    expand_inner(template, options, Some(runtime as *mut dyn Runtime))
}

fn expand_inner(
    template: &Template,
    options: &ExpandOptions,
    runtime: Option<*mut dyn Runtime>,
) -> Result<Expanded, ExpandError> {
    let base_dir = options
        .base_dir
        .clone()
        .or_else(|| Path::new(&template.file).parent().map(Path::to_path_buf));
    let scope = options.scope.unwrap_or_else(|| template.scope());
    let mut shared = Shared {
        out: Expanded::default(),
        base_dir,
        total: 0,
        runtime,
    };
    let params: IndexMap<String, ParamInput> = options
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), ParamInput::Literal(v.clone())))
        .collect();
    let mut frame = Frame::new(
        template.doc.clone(),
        template.file.clone(),
        options.context.clone(),
        scope,
        params,
        String::new(),
        0,
    );
    frame.template_link = options.template_link.clone();
    let outputs = frame.run(&mut shared).map_err(|e| ExpandError::Template {
        file: frame.file.clone(),
        error: e,
    })?;
    shared.out.outputs = outputs;
    Ok(shared.out)
}

/// State shared by all frames of one expansion.
struct Shared {
    out: Expanded,
    base_dir: Option<PathBuf>,
    total: usize,
    /// The deployment-time runtime of [`expand_with`]; it outlives the
    /// expansion (borrowed for its whole call).
    runtime: Option<*mut dyn Runtime>,
}

/// How a parameter value was supplied.
#[derive(Clone)]
enum ParamInput {
    /// From a parameters file or the command line: taken literally.
    Literal(serde_json::Value),
    /// From a parent deployment: already evaluated.
    Value(Value),
}

#[derive(Clone)]
enum Slot {
    Pending,
    InProgress,
    Done(Value),
}

/// One resource declaration, flattened (children lifted, full type and name
/// expressions composed).
#[derive(Clone)]
struct Decl {
    json: Rc<serde_json::Value>,
    path: String,
    symbolic: Option<String>,
    /// Parent name/type prefixes for children nested in `resources` arrays.
    parent: Option<ParentInfo>,
}

#[derive(Clone)]
struct ParentInfo {
    full_type: String,
    /// The evaluated parent name (children are lifted per parent instance).
    name: String,
    /// The parent's copy loop position, visible to the child's expressions.
    copy: Option<(String, i64)>,
}

struct Frame {
    doc: Rc<serde_json::Value>,
    file: String,
    ctx: DeploymentContext,
    /// The scope used for `resourceGroup()`, `resourceId()` etc.
    scope: TemplateScope,
    /// Where resources deploy (differs from `ctx` for outer-scope nested templates).
    target: DeploymentContext,
    target_scope: TemplateScope,
    params_in: IndexMap<String, ParamInput>,
    params: HashMap<String, (String, Slot)>,
    secure: HashSet<String>,
    vars: HashMap<String, (String, Slot)>,
    var_copies: HashMap<String, serde_json::Value>,
    functions: HashMap<String, UserFunction>,
    deployment_path: String,
    depth: usize,
    in_default: bool,
    /// Nested deployment outputs by lower-case deployment name.
    nested_outputs: HashMap<String, Value>,
    /// Deployment declarations by lower-case name (for on-demand expansion).
    pending_deployments: HashMap<String, usize>,
    decls: Vec<Decl>,
    done_decls: HashSet<usize>,
    /// languageVersion 2.0: nested deployments by symbolic name (declaration index, outputs).
    pending_symbols: HashMap<String, usize>,
    symbol_outputs: HashMap<String, Value>,
    /// languageVersion 2.0 `existing` resources (referenceable, not deployed).
    existing_symbols: HashSet<String>,
    /// `deployment().properties.templateLink.uri`, when deployed by link.
    template_link: Option<String>,
    /// This frame's resources: index in `Shared::out.resources` and dependsOn data.
    mine: Vec<(usize, PendingDeps)>,
    /// Names referenced by `reference()` while evaluating the current resource.
    referenced: Vec<String>,
    /// Unknown expressions met while evaluating the current resource.
    unknowns: Vec<String>,
    /// Parent frame for outer-scope nested templates: parameter/variable lookups go there.
    outer: Option<*mut Frame>,
    shared: Option<*mut Shared>,
}

impl Frame {
    fn new(
        doc: Rc<serde_json::Value>,
        file: String,
        ctx: DeploymentContext,
        scope: TemplateScope,
        params_in: IndexMap<String, ParamInput>,
        deployment_path: String,
        depth: usize,
    ) -> Frame {
        Frame {
            doc,
            file,
            target: ctx.clone(),
            ctx,
            scope,
            target_scope: scope,
            params_in,
            params: HashMap::new(),
            secure: HashSet::new(),
            vars: HashMap::new(),
            var_copies: HashMap::new(),
            functions: HashMap::new(),
            deployment_path,
            depth,
            in_default: false,
            nested_outputs: HashMap::new(),
            pending_deployments: HashMap::new(),
            decls: Vec::new(),
            done_decls: HashSet::new(),
            mine: Vec::new(),
            template_link: None,
            existing_symbols: HashSet::new(),
            pending_symbols: HashMap::new(),
            symbol_outputs: HashMap::new(),
            referenced: Vec::new(),
            unknowns: Vec::new(),
            outer: None,
            shared: None,
        }
    }

    fn shared(&mut self) -> &mut Shared {
        // SAFETY: `shared` is set by `run` to a `&mut Shared` that outlives the
        // frame's evaluation and is not otherwise accessed while the frame runs
        // (nested frames get the same pointer and run strictly nested).
        unsafe { &mut *self.shared.expect("frame is running") }
    }

    fn outer(&mut self) -> Option<&mut Frame> {
        // SAFETY: the parent frame outlives the nested frame, which runs
        // strictly inside the parent's call stack; the parent is not used
        // through any other path while the nested frame runs.
        self.outer.map(|p| unsafe { &mut *p })
    }

    fn run(&mut self, shared: &mut Shared) -> Result<IndexMap<String, Value>, EvalError> {
        self.shared = Some(shared as *mut Shared);
        TARGET.with(|t| {
            t.borrow_mut()
                .push((self.target.clone(), self.target_scope))
        });
        let r = self.run_inner();
        TARGET.with(|t| t.borrow_mut().pop());
        r
    }

    fn run_inner(&mut self) -> Result<IndexMap<String, Value>, EvalError> {
        let doc = self.doc.clone();
        // Parameters.
        if let Some(p) = doc.get("parameters").and_then(|p| p.as_object()) {
            if p.len() > 256 {
                return Err(EvalError::new(format!(
                    "the template declares {} parameters; ARM allows at most 256",
                    p.len()
                ))
                .at_path("$.parameters"));
            }
            for (k, decl) in p {
                let t = decl
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                if t == "securestring" || t == "secureobject" {
                    self.secure.insert(k.to_ascii_lowercase());
                }
                self.params
                    .insert(k.to_ascii_lowercase(), (k.clone(), Slot::Pending));
            }
        }
        let declared: HashSet<String> = self.params.keys().cloned().collect();
        let extra: Vec<String> = self
            .params_in
            .keys()
            .filter(|k| !declared.contains(&k.to_ascii_lowercase()))
            .cloned()
            .collect();
        for k in extra {
            let file = self.file.clone();
            self.shared().out.warnings.push(format!(
                "{file}: the parameter '{k}' is not declared by the template and was ignored"
            ));
        }
        // Evaluate every parameter now so missing values fail early.
        let names: Vec<String> = self.params.values().map(|(n, _)| n.clone()).collect();
        for n in &names {
            self.parameter(n)?;
        }
        // Variables.
        if let Some(v) = doc.get("variables").and_then(|v| v.as_object()) {
            for (k, _) in v {
                if k.eq_ignore_ascii_case("copy") {
                    continue;
                }
                self.vars
                    .insert(k.to_ascii_lowercase(), (k.clone(), Slot::Pending));
            }
            if let Some(copies) = v.get("copy").and_then(|c| c.as_array()) {
                for c in copies {
                    if let Some(name) = c.get("name").and_then(|n| n.as_str()) {
                        self.var_copies.insert(name.to_ascii_lowercase(), c.clone());
                        self.vars
                            .insert(name.to_ascii_lowercase(), (name.to_string(), Slot::Pending));
                    }
                }
            }
        }
        // User-defined functions.
        if let Some(fs) = doc.get("functions").and_then(|f| f.as_array()) {
            for ns in fs {
                let nsname = ns.get("namespace").and_then(|n| n.as_str()).unwrap_or("");
                if let Some(members) = ns.get("members").and_then(|m| m.as_object()) {
                    for (mname, m) in members {
                        let parameters = m
                            .get("parameters")
                            .and_then(|p| p.as_array())
                            .map(|a| {
                                a.iter()
                                    .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                                    .map(str::to_string)
                                    .collect()
                            })
                            .unwrap_or_default();
                        let output = m
                            .get("output")
                            .and_then(|o| o.get("value"))
                            .cloned()
                            .unwrap_or(serde_json::Value::Null);
                        self.functions.insert(
                            format!(
                                "{}.{}",
                                nsname.to_ascii_lowercase(),
                                mname.to_ascii_lowercase()
                            ),
                            UserFunction { parameters, output },
                        );
                    }
                }
            }
        }
        // Resources: flatten declarations.
        let lv2 = doc
            .get("languageVersion")
            .and_then(|l| l.as_str())
            .is_some_and(|l| l.starts_with('2'));
        match doc.get("resources") {
            Some(serde_json::Value::Array(a)) => {
                for (i, r) in a.iter().enumerate() {
                    self.decls.push(Decl {
                        json: Rc::new(r.clone()),
                        path: format!("$.resources[{i}]"),
                        symbolic: None,
                        parent: None,
                    });
                }
            }
            Some(serde_json::Value::Object(o)) => {
                for (sym, r) in o {
                    self.decls.push(Decl {
                        json: Rc::new(r.clone()),
                        path: format!("$.resources.{sym}"),
                        symbolic: Some(sym.clone()),
                        parent: None,
                    });
                }
            }
            Some(serde_json::Value::Null) | None => {}
            Some(_) => {
                return Err(EvalError::new(
                    "'resources' must be an array (or an object in languageVersion 2.0)",
                )
                .at_path("$.resources"));
            }
        }
        let _ = lv2;
        for (i, d) in self.decls.iter().enumerate() {
            if d.json.get("existing").and_then(|e| e.as_bool()) == Some(true) {
                if let Some(sym) = &d.symbolic {
                    self.existing_symbols.insert(sym.to_ascii_lowercase());
                }
                continue;
            }
            // languageVersion 2.0 references modules by symbolic name.
            if is_deployment_type(&d.json)
                && let Some(sym) = &d.symbolic
            {
                self.pending_symbols.insert(sym.to_ascii_lowercase(), i);
            }
            if is_deployment_type(&d.json)
                && let Some(n) = d.json.get("name").and_then(|n| n.as_str())
                && !n.starts_with('[')
            {
                self.pending_deployments.insert(n.to_ascii_lowercase(), i);
            }
        }
        let mut i = 0;
        while i < self.decls.len() {
            self.expand_decl(i)?;
            i += 1;
        }
        let count = self.mine.len();
        if count > MAX_RESOURCES_PER_TEMPLATE {
            return Err(EvalError::new(format!(
                "the template expands to {count} resources; ARM allows at most {MAX_RESOURCES_PER_TEMPLATE} per deployment (split it into nested deployments)"
            )));
        }
        self.resolve_depends_on()?;
        // Outputs.
        let mut outputs = IndexMap::new();
        if let Some(o) = doc.get("outputs").and_then(|o| o.as_object()) {
            for (name, out) in o {
                let path = format!("$.outputs.{name}");
                if let Some(c) = out.get("condition")
                    && eval::evaluate_json(c, self, &format!("{path}.condition"))?
                        == Value::Bool(false)
                {
                    continue;
                }
                self.unknowns.clear();
                let value = if let Some(copy) = out.get("copy") {
                    let count = eval::copy_count(
                        copy.get("count").unwrap_or(&serde_json::Value::Null),
                        self,
                        &format!("{path}.copy.count"),
                    )?;
                    let Some(count) = count else {
                        outputs.insert(
                            name.clone(),
                            Value::unknown(format!("copy count of output '{name}'")),
                        );
                        continue;
                    };
                    let mut items = Vec::new();
                    for index in 0..count {
                        let mut lc = LoopContext {
                            outer: self,
                            name: "",
                            index,
                            property_loop: false,
                        };
                        items.push(eval::evaluate_json(
                            copy.get("input").unwrap_or(&serde_json::Value::Null),
                            &mut lc,
                            &format!("{path}.copy.input"),
                        )?);
                    }
                    Value::Array(items)
                } else {
                    eval::evaluate_json(
                        out.get("value").unwrap_or(&serde_json::Value::Null),
                        self,
                        &format!("{path}.value"),
                    )?
                };
                let value = coerce_output(out, value);
                let secure_output = out.get("type").and_then(|t| t.as_str()).is_some_and(|t| {
                    t.eq_ignore_ascii_case("securestring") || t.eq_ignore_ascii_case("secureobject")
                });
                let value = if secure_output {
                    let mut found = Vec::new();
                    collect_strings(&value, &mut found);
                    self.shared().out.secrets.extend(found);
                    Value::String(REDACTED.to_string())
                } else {
                    value
                };
                let unknowns = std::mem::take(&mut self.unknowns);
                let owner = if self.deployment_path.is_empty() {
                    format!("outputs.{name}")
                } else {
                    format!("{}:outputs.{name}", self.deployment_path)
                };
                for expression in unknowns {
                    self.shared().out.unresolved.push(Unresolved {
                        owner: owner.clone(),
                        expression,
                    });
                }
                outputs.insert(name.clone(), value);
            }
        }
        Ok(outputs)
    }

    /// Expand a nested deployment declared later, while another resource is
    /// being evaluated (its `reference()` needs the outputs now); the
    /// in-progress resource's unknowns and references are kept aside.
    fn expand_on_demand(&mut self, i: usize) -> Result<(), EvalError> {
        let unknowns = std::mem::take(&mut self.unknowns);
        let referenced = std::mem::take(&mut self.referenced);
        let r = self.expand_decl(i);
        self.unknowns = unknowns;
        self.referenced = referenced;
        r
    }

    fn expand_decl(&mut self, i: usize) -> Result<(), EvalError> {
        if !self.done_decls.insert(i) {
            return Ok(());
        }
        let decl = self.decls[i].clone();
        let j = decl.json.clone();
        if !j.is_object() {
            return Err(
                EvalError::new("a resource declaration must be an object").at_path(&decl.path)
            );
        }
        if j.get("existing").and_then(|e| e.as_bool()) == Some(true) {
            // languageVersion 2.0 'existing': referenceable, not deployed.
            return Ok(());
        }
        if j.get("extension").is_some() || j.get("import").is_some() {
            // A Bicep extensibility resource (Kubernetes, Microsoft Graph, …):
            // deployed by an extension, not by Azure Resource Manager.
            let what = j
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or("?")
                .to_string();
            let file = self.file.clone();
            self.shared().out.warnings.push(format!(
                "{file}{}: '{what}' is an extensibility resource, not an ARM resource; skipped",
                decl.path
            ));
            return Ok(());
        }
        match j.get("copy") {
            Some(copy) if copy.is_object() => {
                let name = copy
                    .get("name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("")
                    .to_string();
                let count = {
                    let cpath = format!("{}.copy.count", decl.path);
                    let cpath = cpath.as_str();
                    let count_json = copy
                        .get("count")
                        .cloned()
                        .unwrap_or(serde_json::Value::Null);
                    match &decl.parent {
                        Some(ParentInfo {
                            copy: Some((pn, pi)),
                            ..
                        }) => {
                            let (pn, pi) = (pn.clone(), *pi);
                            let mut lc = LoopContext {
                                outer: self,
                                name: &pn,
                                index: pi,
                                property_loop: false,
                            };
                            eval::copy_count(&count_json, &mut lc, cpath)?
                        }
                        _ => eval::copy_count(&count_json, self, cpath)?,
                    }
                };
                let Some(count) = count else {
                    // The number of instances is only known at deployment time.
                    let owner = format!("{}{}", self.file, decl.path);
                    self.shared().out.unresolved.push(Unresolved {
                        owner,
                        expression: format!("copy count of '{name}'"),
                    });
                    return Ok(());
                };
                for index in 0..count {
                    self.expand_instance(&decl, Some((&name, index)))?;
                }
                Ok(())
            }
            _ => self.expand_instance(&decl, None),
        }
    }

    fn expand_instance(&mut self, decl: &Decl, copy: Option<(&str, i64)>) -> Result<(), EvalError> {
        let loop_state: Option<(String, i64)> = copy
            .map(|(n, i)| (n.to_string(), i))
            .or_else(|| decl.parent.as_ref().and_then(|p| p.copy.clone()));
        match loop_state {
            Some((name, index)) => {
                // Evaluate inside the loop context, then record.
                let mut lc = LoopContext {
                    outer: self,
                    name: &name,
                    index,
                    property_loop: false,
                };
                let res = instance(&mut lc, decl)?;
                let copy_index = copy.map(|(_, i)| i);
                self.record(decl, res, copy_index, Some((name.clone(), index)))
            }
            None => {
                let res = instance(self, decl)?;
                self.record(decl, res, None, None)
            }
        }
    }

    fn record(
        &mut self,
        decl: &Decl,
        mut res: Built,
        copy_index: Option<i64>,
        loop_state: Option<(String, i64)>,
    ) -> Result<(), EvalError> {
        let json = decl.json.clone();
        let full_name = res.name.clone();
        // Nested children lifted with this instance as their parent.
        if let Some(children) = json.get("resources").and_then(|r| r.as_array()) {
            for (ci, c) in children.iter().enumerate() {
                self.decls.push(Decl {
                    json: Rc::new(c.clone()),
                    path: format!("{}.resources[{ci}]", decl.path),
                    symbolic: None,
                    parent: Some(ParentInfo {
                        full_type: res.resource_type.clone(),
                        name: full_name.clone(),
                        copy: loop_state.clone(),
                    }),
                });
            }
        }
        let unknowns = std::mem::take(&mut self.unknowns);
        let referenced = std::mem::take(&mut self.referenced);
        res.referenced = referenced;
        // Nested deployment: expand it.
        if res
            .resource_type
            .eq_ignore_ascii_case("Microsoft.Resources/deployments")
            && res.condition
        {
            let outputs = self.expand_nested(decl, &res, loop_state.as_ref())?;
            // expand_nested re-evaluated the parameters already captured above.
            self.referenced.clear();
            self.unknowns.clear();
            if let (Some(sym), None) = (&decl.symbolic, copy_index) {
                self.symbol_outputs
                    .insert(sym.to_ascii_lowercase(), outputs.clone());
            }
            if let Some(rt) = self.shared().runtime {
                let path = if self.deployment_path.is_empty() {
                    res.name.clone()
                } else {
                    format!("{}/{}", self.deployment_path, res.name)
                };
                // SAFETY: see `Frame::ask_runtime`.
                unsafe { &mut *rt }.nested_outputs(&path, &res.id, &outputs);
            }
            self.nested_outputs
                .insert(canonical_id(&res.id), outputs.clone());
            self.nested_outputs
                .insert(res.name.to_ascii_lowercase(), outputs);
        }
        let total = {
            let sh = self.shared();
            sh.total += 1;
            sh.total
        };
        if total > MAX_RESOURCES_PER_TEMPLATE * 50 {
            return Err(EvalError::new(format!(
                "the deployment expands to more than {} resources in all; refusing to continue",
                MAX_RESOURCES_PER_TEMPLATE * 50
            )));
        }
        let id = res.id.clone();
        for expression in unknowns {
            self.shared().out.unresolved.push(Unresolved {
                owner: id.clone(),
                expression,
            });
        }
        let dp = self.deployment_path.clone();
        let pending = PendingDeps {
            raw: res.depends_on_raw,
            referenced: res.referenced,
            symbolic: decl.symbolic.clone(),
            copy_name: json
                .get("copy")
                .and_then(|c| c.get("name"))
                .and_then(|n| n.as_str())
                .map(str::to_string),
        };
        let r = ExpandedResource {
            id,
            resource_type: res.resource_type,
            api_version: res.api_version,
            name: res.name,
            symbolic_name: decl.symbolic.clone(),
            location: res.location,
            body: res.body,
            depends_on: Vec::new(),
            condition: res.condition,
            deployment: dp,
            copy_index,
        };
        let sh = self.shared();
        sh.out.resources.push(r);
        let index = sh.out.resources.len() - 1;
        self.mine.push((index, pending));
        Ok(())
    }

    fn expand_nested(
        &mut self,
        decl: &Decl,
        res: &Built,
        loop_state: Option<&(String, i64)>,
    ) -> Result<Value, EvalError> {
        if self.depth + 1 > MAX_NESTING_DEPTH {
            return Err(EvalError::new(format!(
                "nested deployments go deeper than {MAX_NESTING_DEPTH} levels"
            ))
            .at_path(&decl.path));
        }
        let j = decl.json.clone();
        let props = j.get("properties").cloned().unwrap_or_default();
        let path = format!("{}.properties", decl.path);
        // The nested template document.
        // With a deployment runtime, linked templates come from it (by URI,
        // by `relativePath` against the linking template's URI, or a
        // template spec by id); local files are never read then.
        let mut link_uri: Option<String> = None;
        let via_runtime = if props.get("template").is_none()
            && props.get("templateLink").is_some()
            && self.shared().runtime.is_some()
        {
            let tl = res
                .body
                .get("properties")
                .and_then(|p| p.get("templateLink"))
                .cloned()
                .unwrap_or(Value::Null);
            let field = |k: &str| tl.get(k).and_then(|v| v.as_str()).map(str::to_string);
            let (function, target) = if let Some(u) = field("uri") {
                ("templatelink", Some(u))
            } else if let Some(r) = field("relativePath") {
                ("templatelink", self.link_base().map(|b| join_uri(&b, &r)))
            } else if let Some(i) = field("id") {
                ("templatespec", Some(i))
            } else {
                ("templatelink", None)
            };
            match target {
                Some(t) => {
                    let got = self.ask_runtime(
                        function,
                        &[Value::String(t.clone())],
                        &format!("templateLink {t}"),
                    )?;
                    match got.map(|d| d.to_json()) {
                        Some(doc) if doc.is_object() => {
                            if function == "templatelink" {
                                link_uri = Some(t.clone());
                            }
                            Some((Rc::new(doc), t))
                        }
                        _ => None,
                    }
                }
                None => None,
            }
        } else {
            None
        };
        let (doc, file): (Rc<serde_json::Value>, String) = if let Some(t) = props.get("template") {
            (Rc::new(t.clone()), self.file.clone())
        } else if let Some(found) = via_runtime {
            found
        } else if let Some(link) = props.get("templateLink")
            && self.shared().runtime.is_some()
        {
            let uri = link
                .get("uri")
                .or_else(|| link.get("relativePath"))
                .or_else(|| link.get("id"))
                .map(|u| u.to_string())
                .unwrap_or_default();
            let owner = res.id.clone();
            self.shared().out.unresolved.push(Unresolved {
                owner,
                expression: format!("templateLink {uri}"),
            });
            return Ok(Value::unknown(format!("reference('{}').outputs", res.name)));
        } else if let Some(link) = props.get("templateLink") {
            let rel = link.get("relativePath").and_then(|r| r.as_str());
            match (rel, self.shared().base_dir.clone()) {
                (Some(rel), Some(base)) => {
                    let rel_v = self.eval_at(
                        &serde_json::Value::String(rel.to_string()),
                        &path,
                        loop_state,
                    )?;
                    let rel = rel_v.as_str().unwrap_or(rel).to_string();
                    let p = base.join(&rel);
                    let t = Template::from_file(&p).map_err(|e| {
                        EvalError::new(format!("linked template '{rel}': {e}")).at_path(&path)
                    })?;
                    (t.doc, p.display().to_string())
                }
                _ => {
                    // A remote link (uri or template spec id): not available
                    // offline, unless a deployment runtime serves it.
                    let evaluated = res
                        .body
                        .get("properties")
                        .and_then(|p| p.get("templateLink"))
                        .and_then(|l| l.get("uri"))
                        .and_then(|u| u.as_str())
                        .map(str::to_string);
                    let fetched = match &evaluated {
                        Some(u) => self
                            .ask_runtime(
                                "templatelink",
                                &[Value::String(u.clone())],
                                &format!("templateLink {u}"),
                            )?
                            .map(|doc| (doc.to_json(), u.clone())),
                        None => None,
                    };
                    match fetched {
                        Some((doc, u)) if doc.is_object() => (Rc::new(doc), u),
                        _ => {
                            let uri = link
                                .get("uri")
                                .or_else(|| link.get("id"))
                                .map(|u| u.to_string())
                                .unwrap_or_default();
                            let owner = res.id.clone();
                            self.shared().out.unresolved.push(Unresolved {
                                owner,
                                expression: format!("templateLink {uri}"),
                            });
                            return Ok(Value::unknown(format!(
                                "reference('{}').outputs",
                                res.name
                            )));
                        }
                    }
                }
            }
        } else {
            return Ok(Value::Object(IndexMap::new()));
        };
        let inner_scope = props
            .get("expressionEvaluationOptions")
            .and_then(|o| o.get("scope"))
            .and_then(|s| s.as_str())
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"))
            || props.get("templateLink").is_some();
        // Target scope.
        let mut target = self.target.clone();
        let mut target_scope = self.target_scope;
        let sub = res.target_subscription.clone();
        let rg = res.target_resource_group.clone();
        if let Some(s) = &sub {
            target.subscription_id = s.clone();
        }
        if let Some(r) = &rg {
            target.resource_group = r.clone();
            target_scope = TemplateScope::ResourceGroup;
        } else if sub.is_some() && self.target_scope != TemplateScope::ResourceGroup {
            target_scope = TemplateScope::Subscription;
        }
        let nested_schema_scope = scope_of(&doc);
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
        let dpath = if self.deployment_path.is_empty() {
            res.name.clone()
        } else {
            format!("{}/{}", self.deployment_path, res.name)
        };
        // Parameter values are evaluated in the parent scope; each entry (or
        // the whole object) may be an expression yielding {value: …}.
        let mut params_in = IndexMap::new();
        if let Some(p) = props.get("parameters") {
            let ppath = format!("{path}.parameters");
            let evaluated = self.eval_at(p, &ppath, loop_state)?;
            if let Value::Object(o) = evaluated {
                for (k, pv) in o {
                    if pv.is_unknown() {
                        params_in.insert(k.clone(), ParamInput::Value(pv.clone()));
                    } else if let Some(v) = pv.get("value") {
                        params_in.insert(k.clone(), ParamInput::Value(v.clone()));
                    } else if let Some(r) = pv.get("reference") {
                        // A Key Vault secret: only a deployment runtime knows it.
                        let expr = format!("Key Vault reference for parameter '{k}'");
                        let v = match self.ask_runtime(
                            "keyvaultreference",
                            std::slice::from_ref(r),
                            &expr,
                        )? {
                            Some(v) => v,
                            None => Value::unknown(expr),
                        };
                        params_in.insert(k.clone(), ParamInput::Value(v));
                    }
                }
            }
        }
        let outputs = if inner_scope {
            let mut ctx = target.clone();
            if target_scope == TemplateScope::ResourceGroup
                && let Some(group) = &rg
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
                    _ => self.target.resource_group_location.clone(),
                };
            }
            let mut child = Frame::new(
                doc,
                file,
                ctx,
                target_scope,
                params_in,
                dpath,
                self.depth + 1,
            );
            child.target = target;
            child.target_scope = target_scope;
            child.template_link = link_uri.clone();
            let shared = self.shared.expect("running");
            // SAFETY: see `Frame::shared`.
            let r = child.run(unsafe { &mut *shared });
            r.map_err(|e| {
                EvalError::new(format!(
                    "in nested deployment '{}': {}",
                    res.name, e.message
                ))
                .at_path(e.path.as_deref().unwrap_or(&path))
            })?
        } else {
            // Outer scope: the parent's parameters, variables and functions.
            // A nested template that nevertheless declares parameters (and is
            // passed values for them) sees those first.
            let mut child = Frame::new(
                doc,
                file,
                self.ctx.clone(),
                self.scope,
                params_in,
                dpath,
                self.depth + 1,
            );
            child.target = target;
            child.target_scope = target_scope;
            child.template_link = link_uri.clone().or_else(|| self.link_base());
            child.outer = Some(self as *mut Frame);
            let shared = self.shared.expect("running");
            // SAFETY: see `Frame::shared`.
            let r = child.run(unsafe { &mut *shared });
            r.map_err(|e| {
                EvalError::new(format!(
                    "in nested deployment '{}': {}",
                    res.name, e.message
                ))
                .at_path(e.path.as_deref().unwrap_or(&path))
            })?
        };
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

    /// Resolve `dependsOn` (and `reference()`-by-name) entries of this frame's resources.
    fn resolve_depends_on(&mut self) -> Result<(), EvalError> {
        let mine = std::mem::take(&mut self.mine);
        let file = self.file.clone();
        let existing = std::mem::take(&mut self.existing_symbols);
        let sh = self.shared();
        let resources = &sh.out.resources;
        let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_full_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_last_name: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_path: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_copy: HashMap<String, Vec<usize>> = HashMap::new();
        let mut by_symbol: HashMap<String, Vec<usize>> = HashMap::new();
        for (k, (idx, p)) in mine.iter().enumerate() {
            let r = &resources[*idx];
            by_id.entry(canonical_id(&r.id)).or_default().push(k);
            by_full_name
                .entry(r.name.to_ascii_lowercase())
                .or_default()
                .push(k);
            if let Some(last) = r.name.rsplit('/').next()
                && last.len() != r.name.len()
            {
                by_last_name
                    .entry(last.to_ascii_lowercase())
                    .or_default()
                    .push(k);
            }
            by_path
                .entry(interleave(&r.resource_type, &r.name).to_ascii_lowercase())
                .or_default()
                .push(k);
            if let Some(c) = &p.copy_name {
                by_copy.entry(c.to_ascii_lowercase()).or_default().push(k);
            }
            if let Some(s) = &p.symbolic {
                by_symbol.entry(s.to_ascii_lowercase()).or_default().push(k);
                if let Some(ci) = r.copy_index {
                    by_symbol
                        .entry(format!("{}[{ci}]", s.to_ascii_lowercase()))
                        .or_default()
                        .push(k);
                }
            }
        }
        let mut warnings = Vec::new();
        // ARM rejects a template that declares the same resource twice; report
        // it (compiler test baselines do it on purpose) and keep expanding.
        for ks in by_id.values() {
            let deployed: Vec<usize> = ks
                .iter()
                .copied()
                .filter(|&k| resources[mine[k].0].condition)
                .collect();
            if deployed.len() > 1 {
                warnings.push(format!(
                    "{file}: the resource '{}' is declared {} times; Azure Resource Manager rejects duplicates",
                    resources[mine[deployed[0]].0].id,
                    deployed.len()
                ));
            }
        }
        // Per resource: (dependency, weak). A weak edge comes from a plain name
        // that matches several resources (or only a child's last name segment):
        // ARM's own resolution is exact, ours can only guess among candidates.
        let mut edges: Vec<Vec<(usize, bool)>> = vec![Vec::new(); mine.len()];
        for (k, (idx, p)) in mine.iter().enumerate() {
            let r = &resources[*idx];
            for (entry, explicit) in p
                .raw
                .iter()
                .map(|e| (e, true))
                .chain(p.referenced.iter().map(|e| (e, false)))
            {
                let key = entry.to_ascii_lowercase();
                let (hits, weak): (Option<&Vec<usize>>, bool) = if key.starts_with('/') {
                    (by_id.get(&canonical_id(&key)), false)
                } else if let Some(h) = by_symbol.get(&key).or_else(|| by_copy.get(&key)) {
                    (Some(h), false)
                } else if let Some(h) = by_path.get(&key).or_else(|| by_full_name.get(&key)) {
                    (Some(h), h.len() > 1)
                } else {
                    (by_last_name.get(&key), true)
                };
                match hits {
                    Some(h) => edges[k].extend(h.iter().copied().filter(|&d| d != k).map(|d| (d, weak))),
                    None if explicit && !key.starts_with('/') && !existing.contains(&key) => warnings.push(format!(
                        "{file}: dependsOn entry '{entry}' of '{}' names no resource of the template; ignored",
                        r.name
                    )),
                    None => {}
                }
            }
            // Dependencies on condition-false resources are dropped (ARM's rule).
            edges[k].retain(|(d, _)| resources[mine[*d].0].condition);
            let mut seen = HashSet::new();
            edges[k].retain(|(d, _)| seen.insert(*d));
        }
        // ARM rejects circular dependencies at validation: a cycle of exact
        // edges is an error, reported by name.
        let strong: Vec<Vec<usize>> = edges
            .iter()
            .map(|e| e.iter().filter(|(_, w)| !w).map(|(d, _)| *d).collect())
            .collect();
        if let Some(cycle) = find_cycle(&strong) {
            let names: Vec<String> = cycle
                .iter()
                .map(|&k| resources[mine[k].0].name.clone())
                .collect();
            return Err(EvalError::new(format!(
                "circular dependency between resources: {} -> {}",
                names.join(" -> "),
                names[0]
            ))
            .at_path("$.resources"));
        }
        // A guessed edge that would close a cycle is dropped, with a warning.
        let mut graph = strong;
        for (k, list) in edges.iter().enumerate() {
            for &(d, weak) in list {
                if weak && !graph[k].contains(&d) {
                    if reaches(&graph, d, k) {
                        warnings.push(format!(
                            "{file}: the ambiguous dependsOn name from '{}' to '{}' would form a cycle; ignored",
                            resources[mine[k].0].name,
                            resources[mine[d].0].name
                        ));
                    } else {
                        graph[k].push(d);
                    }
                }
            }
        }
        let resolved: Vec<(usize, Vec<String>)> = graph
            .iter()
            .enumerate()
            .map(|(k, ds)| {
                (
                    mine[k].0,
                    ds.iter()
                        .map(|&d| resources[mine[d].0].id.clone())
                        .collect(),
                )
            })
            .collect();
        for (idx, ids) in resolved {
            sh.out.resources[idx].depends_on = ids;
        }
        sh.out.warnings.extend(warnings);
        Ok(())
    }
}

/// Whether `to` is reachable from `from` (iterative DFS).
fn reaches(graph: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; graph.len()];
    let mut stack = vec![from];
    while let Some(n) = stack.pop() {
        if n == to {
            return true;
        }
        if !std::mem::replace(&mut seen[n], true) {
            stack.extend(graph[n].iter().copied());
        }
    }
    false
}

/// One cycle of a directed graph (as node indices), if any. Iterative,
/// linear in nodes + edges.
fn find_cycle(edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    // 0 = unvisited, 1 = on stack, 2 = done
    let mut state = vec![0u8; edges.len()];
    let mut parent = vec![usize::MAX; edges.len()];
    for start in 0..edges.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if *next < edges[node].len() {
                let to = edges[node][*next];
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        parent[to] = node;
                        stack.push((to, 0));
                    }
                    1 => {
                        // Back edge node -> to: walk parents from node up to `to`.
                        let mut cycle = vec![node];
                        let mut cur = node;
                        while cur != to {
                            cur = parent[cur];
                            cycle.push(cur);
                        }
                        cycle.reverse();
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                stack.pop();
            }
        }
    }
    None
}

/// A lower-case id in which ARM's equivalent spellings of a resource group id
/// coincide: `subscriptionResourceId('Microsoft.Resources/resourceGroups', rg)`
/// yields `/subscriptions/s/providers/Microsoft.Resources/resourceGroups/rg`.
fn canonical_id(id: &str) -> String {
    let lower = id.to_ascii_lowercase();
    match lower.find("/providers/microsoft.resources/resourcegroups/") {
        Some(i) if lower[..i].matches('/').count() == 2 => {
            format!(
                "{}/resourcegroups/{}",
                &lower[..i],
                &lower[i + "/providers/microsoft.resources/resourcegroups/".len()..]
            )
        }
        _ => lower,
    }
}

/// `ns/t1/n1/t2/n2` from a full type and a full name.
fn interleave(rtype: &str, name: &str) -> String {
    let mut segs = rtype.split('/');
    let mut out = segs.next().unwrap_or("").to_string();
    for (t, n) in segs.zip(name.split('/')) {
        out.push('/');
        out.push_str(t);
        out.push('/');
        out.push_str(n);
    }
    out
}

struct PendingDeps {
    raw: Vec<String>,
    referenced: Vec<String>,
    symbolic: Option<String>,
    copy_name: Option<String>,
}

fn is_deployment_type(j: &serde_json::Value) -> bool {
    j.get("type")
        .and_then(|t| t.as_str())
        .is_some_and(|t| t.eq_ignore_ascii_case("Microsoft.Resources/deployments"))
}

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

fn coerce_output(decl: &serde_json::Value, v: Value) -> Value {
    let t = decl
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match (t.as_str(), v) {
        ("int", Value::String(s)) => s.parse().map(Value::Int).unwrap_or(Value::String(s)),
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        ("string", Value::Int(i)) => Value::String(i.to_string()),
        (_, v) => v,
    }
}

/// The evaluated parts of one resource instance.
struct Built {
    id: String,
    resource_type: String,
    api_version: String,
    name: String,
    location: Option<Value>,
    body: IndexMap<String, Value>,
    condition: bool,
    depends_on_raw: Vec<String>,
    referenced: Vec<String>,
    target_subscription: Option<String>,
    target_resource_group: Option<String>,
    target_scope: Option<String>,
}

/// Fields that describe the declaration rather than the resource.
const NON_BODY: &[&str] = &[
    "type",
    "apiversion",
    "name",
    "dependson",
    "copy",
    "condition",
    "comments",
    "resources",
    "metadata",
    "existing",
    "location",
    "import",
    "extension",
    "asserts",
];

/// Evaluate one resource instance in `ctx` (the frame, or a loop context over it).
fn instance(ctx: &mut dyn Context, decl: &Decl) -> Result<Built, EvalError> {
    let j = &decl.json;
    let path = &decl.path;
    let get = |k: &str| j.get(k);
    let str_field = |ctx: &mut dyn Context, k: &str| -> Result<Option<Value>, EvalError> {
        match get(k) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => eval::evaluate_json(v, ctx, &format!("{path}.{k}")).map(Some),
        }
    };
    let raw_type = get("type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| EvalError::new("the resource has no 'type'").at_path(path))?;
    let api_version = get("apiVersion")
        .and_then(|a| a.as_str())
        .unwrap_or("")
        .to_string();
    let condition = match get("condition") {
        None => true,
        Some(c) => match eval::evaluate_json(c, ctx, &format!("{path}.condition"))? {
            Value::Bool(b) => b,
            Value::Unknown(_) => true,
            Value::String(s) if s.eq_ignore_ascii_case("true") => true,
            Value::String(s) if s.eq_ignore_ascii_case("false") => false,
            other => {
                return Err(EvalError::new(format!(
                    "the resource condition must be a boolean, not '{}'",
                    other.type_name()
                ))
                .at_path(&format!("{path}.condition")));
            }
        },
    };
    let name_v = match str_field(ctx, "name") {
        Ok(Some(v)) => v,
        Ok(None) => return Err(EvalError::new("the resource has no 'name'").at_path(path)),
        Err(_) if !condition => Value::unknown(
            get("name")
                .and_then(|n| n.as_str())
                .unwrap_or("name")
                .trim_matches(|c| c == '[' || c == ']'),
        ),
        Err(e) => return Err(e),
    };
    let own_name = match &name_v {
        Value::String(s) => s.clone(),
        Value::Unknown(u) => format!("[{}]", u.expr),
        other => other.to_arm_string(),
    };
    // Full type and name for resources nested in a parent's `resources` array:
    // a relative type (`databases`, `blobServices/containers`,
    // `providers/links`) is a child: type and name are prefixed with the
    // parent's. A full type under the parent's type is a child whose name may
    // or may not already include the parent's. Any other full type is an
    // independent resource that was merely written inside the parent.
    let is_relative = raw_type
        .split('/')
        .next()
        .is_some_and(|first| !first.contains('.'));
    let (mut full_type, mut full_name) = match &decl.parent {
        Some(p) if is_relative => (
            format!("{}/{}", p.full_type, raw_type),
            format!("{}/{}", p.name, own_name),
        ),
        Some(p)
            if raw_type
                .to_ascii_lowercase()
                .starts_with(&format!("{}/", p.full_type.to_ascii_lowercase())) =>
        {
            let type_segs = raw_type.split('/').count() - 1;
            if own_name.split('/').count() >= type_segs {
                (raw_type.to_string(), own_name.clone())
            } else {
                (raw_type.to_string(), format!("{}/{}", p.name, own_name))
            }
        }
        _ => (raw_type.to_string(), own_name.clone()),
    };
    let location = str_field(ctx, "location")?;
    let mut body = IndexMap::new();
    if let Some(o) = j.as_object() {
        for (k, v) in o {
            if NON_BODY.contains(&k.to_ascii_lowercase().as_str()) {
                continue;
            }
            if k.eq_ignore_ascii_case("properties")
                && raw_type.eq_ignore_ascii_case("Microsoft.Resources/deployments")
            {
                // The nested template is expanded separately, in its own scope.
                let mut props = IndexMap::new();
                if let Some(po) = v.as_object() {
                    for (pk, pv) in po {
                        if pk.eq_ignore_ascii_case("template") {
                            continue;
                        }
                        match eval::evaluate_json(pv, ctx, &format!("{path}.properties.{pk}")) {
                            Ok(v) => {
                                props.insert(pk.clone(), v);
                            }
                            // Not deployed: its inputs may be meaningless (Bicep's
                            // `if (!empty(x))` modules reading x.name).
                            Err(_) if !condition => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                body.insert(k.clone(), Value::Object(props));
                continue;
            }
            let val = match eval::evaluate_json(v, ctx, &format!("{path}.{k}")) {
                Ok(v) => v,
                // A resource that is not deployed may hold expressions that only
                // make sense when it is (e.g. an index into an empty array).
                Err(_) if !condition => continue,
                Err(e) => return Err(e),
            };
            if val == Value::Null {
                continue; // null is treated as absent
            }
            body.insert(k.clone(), val);
        }
    }
    // dependsOn entries (evaluated).
    let mut depends_on_raw = Vec::new();
    if let Some(d) = get("dependsOn") {
        match eval::evaluate_json(d, ctx, &format!("{path}.dependsOn"))? {
            Value::Array(a) => {
                for x in a {
                    match x {
                        Value::String(s) => depends_on_raw.push(s),
                        Value::Null => {}
                        Value::Unknown(_) => {}
                        other => depends_on_raw.push(other.to_arm_string()),
                    }
                }
            }
            Value::Null => {}
            other => {
                return Err(EvalError::new(format!(
                    "'dependsOn' must be an array, not '{}'",
                    other.type_name()
                ))
                .at_path(&format!("{path}.dependsOn")));
            }
        }
    }
    // Ids.
    let deployment_ctx = ctx.deployment().clone();
    let (target, target_scope) = frame_target(ctx);
    let target = target.unwrap_or(deployment_ctx);
    let scope_prefix = match target_scope {
        TemplateScope::ResourceGroup => format!(
            "/subscriptions/{}/resourceGroups/{}",
            target.subscription_id, target.resource_group
        ),
        TemplateScope::Subscription => format!("/subscriptions/{}", target.subscription_id),
        TemplateScope::ManagementGroup => format!(
            "/providers/Microsoft.Management/managementGroups/{}",
            target.management_group
        ),
        TemplateScope::Tenant => String::new(),
    };
    let mut target_subscription = None;
    let mut target_resource_group = None;
    let mut target_scope_prop = None;
    let is_deployment = full_type.eq_ignore_ascii_case("Microsoft.Resources/deployments");
    if is_deployment {
        // A deployment that is not deployed may target nonsense (Bicep modules
        // guarded by `if`): ignore errors there.
        match str_field(ctx, "subscriptionId") {
            Ok(Some(Value::String(s))) => target_subscription = Some(s),
            Ok(_) => {}
            Err(_) if !condition => {}
            Err(e) => return Err(e),
        }
        match str_field(ctx, "resourceGroup") {
            Ok(Some(Value::String(r))) => target_resource_group = Some(r),
            Ok(_) => {}
            Err(_) if !condition => {}
            Err(e) => return Err(e),
        }
        body.shift_remove("subscriptionId");
        body.shift_remove("resourceGroup");
    }
    let scope_value = body.get("scope").cloned();
    if is_deployment && let Some(Value::String(s)) = &scope_value {
        target_scope_prop = Some(s.clone());
    }
    let id = if is_deployment {
        let sub = target_subscription
            .clone()
            .unwrap_or_else(|| target.subscription_id.clone());
        match (&target_resource_group, target_scope) {
            // A `scope` property targets a management group or the tenant.
            (None, _) if target_scope_prop.is_some() => {
                let sc = target_scope_prop.as_deref().unwrap_or("").trim_matches('/');
                if sc.is_empty() {
                    format!("/providers/Microsoft.Resources/deployments/{full_name}")
                } else if sc.to_ascii_lowercase().starts_with("providers/")
                    || sc.to_ascii_lowercase().starts_with("subscriptions/")
                {
                    format!("/{sc}/providers/Microsoft.Resources/deployments/{full_name}")
                } else {
                    format!("/providers/{sc}/providers/Microsoft.Resources/deployments/{full_name}")
                }
            }
            (Some(rg), _) => format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Resources/deployments/{full_name}"
            ),
            (None, _) if target_subscription.is_some() => {
                format!(
                    "/subscriptions/{sub}/providers/Microsoft.Resources/deployments/{full_name}"
                )
            }
            (None, TemplateScope::ResourceGroup) => format!(
                "/subscriptions/{sub}/resourceGroups/{}/providers/Microsoft.Resources/deployments/{full_name}",
                target.resource_group
            ),
            (None, TemplateScope::Subscription) => {
                format!(
                    "/subscriptions/{sub}/providers/Microsoft.Resources/deployments/{full_name}"
                )
            }
            (None, _) => {
                format!("{scope_prefix}/providers/Microsoft.Resources/deployments/{full_name}")
            }
        }
    } else if full_type.eq_ignore_ascii_case("Microsoft.Resources/resourceGroups") {
        let sub = target.subscription_id.clone();
        format!("/subscriptions/{sub}/resourceGroups/{full_name}")
    } else if let Some(i) = full_type.to_ascii_lowercase().find("/providers/") {
        // Older extension form: type 'ns/type/providers/extType', name 'res/extNs/extName'.
        let base_type = &full_type[..i];
        let ext_type = &full_type[i + "/providers/".len()..];
        let base_segments = base_type.split('/').count() - 1;
        let names: Vec<&str> = full_name.split('/').collect();
        if names.len() < base_segments + 2 && own_name.starts_with('[') {
            // The name is only known at deployment time.
            let id =
                format!("{scope_prefix}/providers/{base_type}/{full_name}/providers/{ext_type}");
            full_type = ext_type.to_string();
            return Ok(Built {
                id,
                resource_type: full_type,
                api_version,
                name: full_name,
                location,
                body,
                condition,
                depends_on_raw,
                referenced: Vec::new(),
                target_subscription: None,
                target_resource_group: None,
                target_scope: None,
            });
        }
        if names.len() < base_segments + 2 {
            return Err(EvalError::new(format!(
                "the extension resource name '{full_name}' must be '<resource name>/<extension namespace>/<extension name>' for the type '{full_type}'"
            ))
            .at_path(&format!("{path}.name")));
        }
        let base = interleave(base_type, &names[..base_segments].join("/"));
        let ext_names = &names[base_segments + 1..];
        let ext_full = format!("{}/{}", names[base_segments], ext_type);
        let ext = interleave(&ext_full, &ext_names.join("/"));
        let id = format!("{scope_prefix}/providers/{base}/providers/{ext}");
        full_type = ext_full;
        full_name = ext_names.join("/");
        id
    } else {
        let type_segs = full_type.split('/').count() - 1;
        let name_segs = full_name.split('/').count();
        if type_segs != name_segs && !own_name.starts_with('[') {
            return Err(EvalError::new(format!(
                "the resource name '{full_name}' has {name_segs} segment(s) but the type '{full_type}' needs {type_segs}: a child resource's name must include its parents' names"
            ))
            .at_path(&format!("{path}.name")));
        }
        let provider = interleave(&full_type, &full_name);
        match &scope_value {
            Some(Value::String(sc)) if sc.starts_with('/') => {
                format!("{}/providers/{provider}", sc.trim_end_matches('/'))
            }
            Some(Value::String(sc)) if !sc.is_empty() => {
                // Relative id (languageVersion 2.0 / Bicep): relative to the deployment scope.
                format!(
                    "{scope_prefix}/providers/{}/providers/{provider}",
                    sc.trim_matches('/')
                )
            }
            _ => format!("{scope_prefix}/providers/{provider}"),
        }
    };
    Ok(Built {
        id,
        resource_type: full_type,
        api_version,
        name: full_name,
        location,
        body,
        condition,
        depends_on_raw,
        referenced: Vec::new(),
        target_subscription,
        target_resource_group,
        target_scope: target_scope_prop,
    })
}

thread_local! {
    /// The target (where resources deploy) of the innermost running frame.
    static TARGET: std::cell::RefCell<Vec<(DeploymentContext, TemplateScope)>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn frame_target(ctx: &mut dyn Context) -> (Option<DeploymentContext>, TemplateScope) {
    TARGET.with(|t| match t.borrow().last() {
        Some((c, s)) => (Some(c.clone()), *s),
        None => (None, ctx.scope()),
    })
}

impl Frame {
    fn param_value(&mut self, key: &str) -> Result<Value, EvalError> {
        let (name, slot) = match self.params.get(key) {
            Some(x) => x.clone(),
            None => {
                return Err(EvalError::new(format!(
                    "the template parameter '{key}' is not found; declare it in the 'parameters' section"
                )));
            }
        };
        match slot {
            Slot::Done(v) => return Ok(v),
            Slot::InProgress => {
                return Err(EvalError::new(format!(
                    "the default values of parameters form a cycle through '{name}'"
                )));
            }
            Slot::Pending => {}
        }
        self.params
            .insert(key.to_string(), (name.clone(), Slot::InProgress));
        let doc = self.doc.clone();
        let decl = &doc["parameters"][&name];
        let path = format!("$.parameters.{name}");
        let provided = self
            .params_in
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.clone());
        let value = match provided {
            Some(ParamInput::Literal(v)) => Value::from_json(&v),
            // A null value passed to a nested deployment counts as not given
            // (the default applies), which Bicep modules rely on.
            Some(ParamInput::Value(v))
                if v != Value::Null || decl.get("defaultValue").is_none() =>
            {
                v
            }
            _ => match decl.get("defaultValue") {
                Some(d) => {
                    let was = self.in_default;
                    self.in_default = true;
                    let r = eval::evaluate_json(d, self, &format!("{path}.defaultValue"));
                    self.in_default = was;
                    r?
                }
                None if decl.get("nullable").and_then(|n| n.as_bool()) == Some(true) => Value::Null,
                None => {
                    return Err(EvalError::new(format!(
                        "the template parameter '{name}' has no value: supply it in a parameters file or with --param {name}=VALUE"
                    ))
                    .at_path(&path));
                }
            },
        };
        let value = check_param(&name, decl, value, self.secure.contains(key), &doc)
            .map_err(|e| e.at_path(&path))?;
        if self.secure.contains(key) {
            let mut found = Vec::new();
            collect_strings(&value, &mut found);
            self.shared().out.secrets.extend(found);
        }
        self.params
            .insert(key.to_string(), (name, Slot::Done(value.clone())));
        Ok(value)
    }

    fn var_value(&mut self, key: &str) -> Result<Value, EvalError> {
        let (name, slot) = match self.vars.get(key) {
            Some(x) => x.clone(),
            None => {
                return Err(EvalError::new(format!(
                    "the template variable '{key}' is not found; declare it in the 'variables' section"
                )));
            }
        };
        match slot {
            Slot::Done(v) => return Ok(v),
            Slot::InProgress => {
                return Err(EvalError::new(format!(
                    "the variables form a cycle through '{name}'"
                )));
            }
            Slot::Pending => {}
        }
        self.vars
            .insert(key.to_string(), (name.clone(), Slot::InProgress));
        let doc = self.doc.clone();
        let value = if let Some(spec) = self.var_copies.get(key).cloned() {
            let arr = serde_json::Value::Array(vec![spec]);
            let mut items = eval::property_copy(&arr, self, "$.variables.copy")?;
            items.pop().map(|(_, v)| v).unwrap_or(Value::Null)
        } else {
            let v = &doc["variables"][&name];
            eval::evaluate_json(v, self, &format!("$.variables.{name}"))?
        };
        self.vars
            .insert(key.to_string(), (name, Slot::Done(value.clone())));
        Ok(value)
    }
}

/// Check and coerce a parameter value against its declaration.
fn check_param(
    name: &str,
    decl: &serde_json::Value,
    v: Value,
    secure: bool,
    doc: &serde_json::Value,
) -> Result<Value, EvalError> {
    let show = |v: &Value| {
        if secure {
            "(secure value)".to_string()
        } else {
            let s = v.to_arm_string();
            if s.chars().count() > 80 {
                format!("{}…", s.chars().take(80).collect::<String>())
            } else {
                s
            }
        }
    };
    if v.is_unknown() {
        return Ok(v);
    }
    let mut decl = decl.clone();
    // User-defined types: follow a $ref into `definitions`.
    let mut hops = 0;
    while let Some(r) = decl.get("$ref").and_then(|r| r.as_str()) {
        hops += 1;
        let Some(key) = r.strip_prefix("#/definitions/") else {
            break;
        };
        match doc.get("definitions").and_then(|d| d.get(key)) {
            Some(d) if hops < 16 => {
                let nullable = decl.get("nullable").cloned();
                decl = d.clone();
                if let (Some(n), Some(o)) = (nullable, decl.as_object_mut()) {
                    o.insert("nullable".into(), n);
                }
            }
            _ => {
                return Err(EvalError::new(format!(
                    "the parameter '{name}' refers to the undefined type '{r}'"
                )));
            }
        }
    }
    let t = decl
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if v == Value::Null && decl.get("nullable").and_then(|n| n.as_bool()) == Some(true) {
        return Ok(v);
    }
    let v = match (t.as_str(), v) {
        ("int", Value::String(s)) => s.trim().parse::<i64>().map(Value::Int).map_err(|_| {
            EvalError::new(format!(
                "the value '{}' of the parameter '{name}' is not an integer",
                if secure {
                    "(secure value)".into()
                } else {
                    s.clone()
                }
            ))
        })?,
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        ("bool", Value::String(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        (t, v) => {
            let ok = match t {
                "string" | "securestring" => matches!(v, Value::String(_)),
                "int" => matches!(v, Value::Int(_)),
                "bool" => matches!(v, Value::Bool(_)),
                "object" | "secureobject" => matches!(v, Value::Object(_)),
                "array" => matches!(v, Value::Array(_)),
                _ => true,
            };
            if !ok {
                return Err(EvalError::new(format!(
                    "the parameter '{name}' expects a value of type '{t}', but got a value of type '{}'",
                    v.type_name()
                )));
            }
            v
        }
    };
    if let Some(allowed) = decl.get("allowedValues").and_then(|a| a.as_array()) {
        let allowed: Vec<Value> = allowed.iter().map(Value::from_json).collect();
        let fits = |x: &Value| {
            allowed.iter().any(|a| match (a, x) {
                (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
                (a, b) => a == b,
            })
        };
        let ok = match &v {
            Value::Array(items) if t == "array" => items.iter().all(fits),
            other => fits(other),
        };
        if !ok {
            return Err(EvalError::new(format!(
                "the value {} of the parameter '{name}' is not one of the allowed values",
                show(&v)
            )));
        }
    }
    let len = match &v {
        Value::String(s) => Some(s.chars().count() as i64),
        Value::Array(a) => Some(a.len() as i64),
        _ => None,
    };
    if let Some(len) = len {
        if let Some(min) = decl.get("minLength").and_then(|m| m.as_i64())
            && len < min
        {
            return Err(EvalError::new(format!(
                "the parameter '{name}' must have a length of at least {min} (it has {len})"
            )));
        }
        if let Some(max) = decl.get("maxLength").and_then(|m| m.as_i64())
            && len > max
        {
            return Err(EvalError::new(format!(
                "the parameter '{name}' must have a length of at most {max} (it has {len})"
            )));
        }
    }
    if let Value::Int(i) = v {
        if let Some(min) = decl.get("minValue").and_then(|m| m.as_i64())
            && i < min
        {
            return Err(EvalError::new(format!(
                "the parameter '{name}' must be at least {min} (it is {})",
                show(&v)
            )));
        }
        if let Some(max) = decl.get("maxValue").and_then(|m| m.as_i64())
            && i > max
        {
            return Err(EvalError::new(format!(
                "the parameter '{name}' must be at most {max} (it is {})",
                show(&v)
            )));
        }
    }
    Ok(v)
}

impl Frame {
    /// The URI this frame's template was linked from, or its nearest
    /// outer frame's (what `relativePath` links are relative to).
    fn link_base(&mut self) -> Option<String> {
        if let Some(u) = &self.template_link {
            return Some(u.clone());
        }
        self.outer().and_then(|o| o.link_base())
    }

    /// The deployment-time answer of a runtime function, when there is a
    /// runtime and it knows.
    fn ask_runtime(
        &mut self,
        function: &str,
        args: &[Value],
        expr: &str,
    ) -> Result<Option<Value>, EvalError> {
        let Some(rt) = self.shared().runtime else {
            return Ok(None);
        };
        let call = RuntimeCall {
            function,
            args,
            expr,
            deployment: &self.deployment_path,
            target: &self.target,
            scope: self.target_scope,
        };
        // SAFETY: the runtime is borrowed mutably by `expand_with` for the
        // whole expansion and only used here and in `record`, never
        // re-entrantly (it does not call back into the engine).
        unsafe { &mut *rt }.call(&call).map_err(EvalError::new)
    }
}

impl Context for Frame {
    fn parameter(&mut self, name: &str) -> Result<Value, EvalError> {
        let key = name.to_ascii_lowercase();
        if self.outer.is_some()
            && !self.params.contains_key(&key)
            && let Some(o) = self.outer()
        {
            return o.parameter(name);
        }
        self.param_value(&key)
    }
    fn variable(&mut self, name: &str) -> Result<Value, EvalError> {
        if let Some(o) = self.outer() {
            return o.variable(name);
        }
        self.var_value(&name.to_ascii_lowercase())
    }
    fn copy_index(&mut self, loop_name: Option<&str>) -> Result<i64, EvalError> {
        Err(EvalError::new(match loop_name {
            Some(n) => format!("copyIndex('{n}') is used outside the copy loop '{n}'"),
            None => "copyIndex() is used outside of a copy loop".to_string(),
        }))
    }
    fn deployment(&self) -> &DeploymentContext {
        &self.ctx
    }
    fn scope(&self) -> TemplateScope {
        self.scope
    }
    fn deployment_object(&mut self) -> Value {
        let mut props = IndexMap::new();
        props.insert(
            "template".to_string(),
            Value::Object(
                [
                    (
                        "contentVersion".to_string(),
                        Value::from_json(
                            self.doc
                                .get("contentVersion")
                                .unwrap_or(&serde_json::Value::String("1.0.0.0".into())),
                        ),
                    ),
                    (
                        "metadata".to_string(),
                        Value::from_json(
                            self.doc.get("metadata").unwrap_or(&serde_json::Value::Null),
                        ),
                    ),
                ]
                .into_iter()
                .collect(),
            ),
        );
        if let Some(uri) = &self.template_link {
            let mut link = IndexMap::new();
            link.insert("uri".to_string(), Value::String(uri.clone()));
            link.insert(
                "contentVersion".to_string(),
                Value::String("1.0.0.0".into()),
            );
            props.insert("templateLink".to_string(), Value::Object(link));
        }
        props.insert(
            "templateHash".to_string(),
            Value::String(crate::hash::unique_string(&[&self.file])),
        );
        props.insert("mode".to_string(), Value::String("Incremental".into()));
        props.insert(
            "provisioningState".to_string(),
            Value::String("Accepted".into()),
        );
        let mut o = IndexMap::new();
        o.insert(
            "name".to_string(),
            Value::String(self.ctx.deployment_name.clone()),
        );
        o.insert("properties".to_string(), Value::Object(props));
        if self.scope != TemplateScope::ResourceGroup {
            o.insert(
                "location".to_string(),
                Value::String(self.ctx.location.clone()),
            );
        }
        Value::Object(o)
    }
    fn user_function(&self, namespace: &str, name: &str) -> Option<UserFunction> {
        let key = format!(
            "{}.{}",
            namespace.to_ascii_lowercase(),
            name.to_ascii_lowercase()
        );
        if let Some(f) = self.functions.get(&key) {
            return Some(f.clone());
        }
        // SAFETY: see `Frame::outer`.
        self.outer
            .and_then(|p| unsafe { &*p }.user_function(namespace, name))
    }
    fn runtime(&mut self, function: &str, args: &[Value], expr: &str) -> Result<Value, EvalError> {
        match function {
            "reference" | "references" => {
                if let Some(Value::String(target)) = args.first() {
                    // By name (or symbolic name) the reference is also an
                    // implicit dependency; by id it is not (ARM's rule).
                    let key = if target.starts_with('/') {
                        // By id: the exact deployment when known, else by its name.
                        let canonical = canonical_id(target);
                        if self.nested_outputs.contains_key(&canonical) {
                            Some(canonical)
                        } else {
                            deployment_name_of(target).map(str::to_ascii_lowercase)
                        }
                    } else {
                        self.referenced.push(target.clone());
                        Some(target.to_ascii_lowercase())
                    };
                    // A nested deployment's outputs are known offline.
                    if let (Some(key), "reference") = (key, function) {
                        let by_symbol = !target.starts_with('/')
                            && (self.pending_symbols.contains_key(&key)
                                || self.symbol_outputs.contains_key(&key));
                        if by_symbol {
                            if let Some(&i) = self.pending_symbols.get(&key) {
                                self.expand_on_demand(i)?;
                            }
                            if let Some(out) = self.symbol_outputs.get(&key) {
                                return Ok(deployment_reference(out, expr));
                            }
                        } else if let Some(&i) = self.pending_deployments.get(&key) {
                            self.expand_on_demand(i)?;
                        }
                        if let Some(out) = self.nested_outputs.get(&key) {
                            return Ok(deployment_reference(out, expr));
                        }
                    }
                }
                // languageVersion 2.0: an `existing` resource by symbolic
                // name is the resource its declaration names.
                let mut by_id = None;
                if let Some(Value::String(target)) = args.first()
                    && self.shared().runtime.is_some()
                    && self.existing_symbols.contains(&target.to_ascii_lowercase())
                    && let Some(decl) = self
                        .decls
                        .iter()
                        .find(|d| {
                            d.symbolic
                                .as_deref()
                                .is_some_and(|s| s.eq_ignore_ascii_case(target))
                        })
                        .cloned()
                    && let Ok(built) = instance(self, &decl)
                {
                    let mut a = args.to_vec();
                    a[0] = Value::String(built.id);
                    by_id = Some(a);
                }
                let args = by_id.as_deref().unwrap_or(args);
                if let Some(v) = self.ask_runtime(function, args, expr)? {
                    return Ok(v);
                }
                self.unknowns.push(expr.to_string());
                Ok(Value::unknown(expr))
            }
            _ => {
                if let Some(v) = self.ask_runtime(function, args, expr)? {
                    return Ok(v);
                }
                self.unknowns.push(expr.to_string());
                Ok(Value::unknown(expr))
            }
        }
    }
    fn in_parameter_default(&self) -> bool {
        self.in_default
    }
}

/// What `reference()` of a nested deployment answers offline: its outputs,
/// plus the deployment's runtime properties as unknowns.
fn deployment_reference(outputs: &Value, expr: &str) -> Value {
    let mut o = IndexMap::new();
    o.insert("outputs".to_string(), outputs.clone());
    o.insert("mode".to_string(), Value::String("Incremental".into()));
    o.insert(
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
        o.insert(k.to_string(), Value::unknown(format!("{expr}.{k}")));
    }
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
