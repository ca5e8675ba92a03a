//! The expansion engine: one [`Frame`] per template being expanded (the
//! top-level template, then one per nested deployment), kept on a stack in
//! the [`Engine`] and addressed by index, and [`Cx`], the evaluator's view of
//! one frame (it implements [`Context`]).
//!
//! A nested deployment runs as a child frame pushed on top of its parent's;
//! an outer-scope child reads its parent's parameters, variables and
//! functions through the parent's index. All frames share the engine's
//! result and the deployment runtime, so nothing is aliased: a [`Cx`] holds
//! the one `&mut Engine` and a frame index.

use super::nested::NestedDeployment;
use super::resources::Decl;
use super::{ExpandError, ExpandOptions, Expanded, MissingParameters, Runtime, Template};
use crate::eval::{Context, DeploymentContext, EvalError, TemplateScope, UserFunction};
use crate::limits::Budget;
use crate::value::Value;
use indexmap::IndexMap;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// State shared by all frames of one expansion.
pub(super) struct Engine<'r> {
    pub out: Expanded,
    /// Directory of `relativePath` links (offline).
    pub base_dir: Option<PathBuf>,
    /// Resources recorded so far, over all frames.
    pub total: usize,
    /// The deployment-time runtime of [`expand_with`](super::expand_with).
    pub runtime: Option<&'r mut dyn Runtime>,
    /// The running frames, outermost first.
    pub frames: Vec<Frame>,
    /// The evaluation budget of [`ExpandOptions::limits`].
    pub budget: Budget,
    /// What a parameter without value or default becomes.
    pub missing: MissingParameters,
}

/// How a parameter value was supplied.
#[derive(Clone)]
pub(super) enum ParamInput {
    /// From a parameters file or the command line: taken literally.
    Literal(serde_json::Value),
    /// From a parent deployment: already evaluated.
    Value(Value),
}

/// A lazily evaluated parameter or variable.
#[derive(Clone)]
pub(super) enum Slot {
    Pending,
    InProgress,
    Done(Value),
}

/// One template being expanded.
pub(super) struct Frame {
    pub doc: Rc<serde_json::Value>,
    pub file: String,
    pub ctx: DeploymentContext,
    /// The scope used for `resourceGroup()`, `resourceId()` etc.
    pub scope: TemplateScope,
    /// Where resources deploy (differs from `ctx` for outer-scope nested templates).
    pub target: DeploymentContext,
    pub target_scope: TemplateScope,
    pub params_in: IndexMap<String, ParamInput>,
    /// Declared parameters by lower-case name: (name as declared, slot).
    pub params: HashMap<String, (String, Slot)>,
    /// Lower-case names of `secureString`/`secureObject` parameters.
    pub secure: HashSet<String>,
    pub vars: HashMap<String, (String, Slot)>,
    /// Variable `copy` specs by lower-case name.
    pub var_copies: HashMap<String, serde_json::Value>,
    pub functions: HashMap<String, UserFunction>,
    pub deployment_path: String,
    pub depth: usize,
    pub in_default: bool,
    /// Expanded nested deployments by lower-case deployment name and by canonical id.
    pub nested_outputs: HashMap<String, Rc<NestedDeployment>>,
    /// Deployment declarations by lower-case name (for on-demand expansion).
    pub pending_deployments: HashMap<String, usize>,
    pub decls: Vec<Decl>,
    pub done_decls: HashSet<usize>,
    /// languageVersion 2.0: nested deployments by symbolic name (declaration index).
    pub pending_symbols: HashMap<String, usize>,
    /// languageVersion 2.0: expanded nested deployments by symbolic name.
    pub symbol_outputs: HashMap<String, Rc<NestedDeployment>>,
    /// languageVersion 2.0 `existing` resources (referenceable, not deployed).
    pub existing_symbols: HashSet<String>,
    /// `deployment().properties.templateLink.uri`, when deployed by link.
    pub template_link: Option<String>,
    /// This frame's resources: index in `Engine::out.resources` and dependsOn data.
    pub mine: Vec<(usize, super::depends::PendingDeps)>,
    /// Names referenced by `reference()` while evaluating the current resource.
    pub referenced: Vec<String>,
    /// Unknown expressions met while evaluating the current resource.
    pub unknowns: Vec<String>,
    /// The parent frame of an outer-scope nested template: parameter,
    /// variable and function lookups go there.
    pub outer: Option<usize>,
}

impl Frame {
    pub fn new(
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
        }
    }
}

/// The evaluator's view of one running frame.
pub(super) struct Cx<'e, 'r> {
    pub eng: &'e mut Engine<'r>,
    /// Index of the frame in `eng.frames`.
    pub f: usize,
}

/// Expand a template with an optional deployment runtime.
pub(super) fn expand_template(
    template: &Template,
    options: &ExpandOptions,
    runtime: Option<&mut dyn Runtime>,
) -> Result<Expanded, ExpandError> {
    let base_dir = options
        .base_dir
        .clone()
        .or_else(|| Path::new(&template.file).parent().map(Path::to_path_buf));
    let scope = options.scope.unwrap_or_else(|| template.scope());
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
    let mut engine = Engine {
        out: Expanded::default(),
        base_dir,
        total: 0,
        runtime,
        frames: vec![frame],
        budget: Budget::new(options.limits.clone()),
        missing: options.missing_parameters,
    };
    let outputs = Cx {
        eng: &mut engine,
        f: 0,
    }
    .run()
    .map_err(|e| ExpandError::Template {
        file: template.file.clone(),
        error: e,
    })?;
    engine.out.outputs = outputs;
    engine.out.usage = engine.budget.usage();
    Ok(engine.out)
}

impl<'r> Cx<'_, 'r> {
    pub fn fr(&self) -> &Frame {
        &self.eng.frames[self.f]
    }

    pub fn fm(&mut self) -> &mut Frame {
        &mut self.eng.frames[self.f]
    }

    /// The same engine seen from another frame (a parent, or a child just pushed).
    pub fn at(&mut self, f: usize) -> Cx<'_, 'r> {
        Cx {
            eng: &mut *self.eng,
            f,
        }
    }

    /// A warning of this frame's template file.
    pub fn warn(&mut self, message: impl std::fmt::Display) {
        let w = format!("{}{message}", self.fr().file);
        self.eng.out.warnings.push(w);
    }

    /// Expand this frame's template: parameters, variables, functions,
    /// resources, dependencies, outputs.
    pub fn run(&mut self) -> Result<IndexMap<String, Value>, EvalError> {
        self.declare_parameters()?;
        self.declare_variables()?;
        self.declare_functions();
        self.declare_resources()?;
        self.expand_resources()?;
        self.resolve_depends_on()?;
        self.outputs()
    }

    /// The URI this frame's template was linked from, or its nearest
    /// outer frame's (what `relativePath` links are relative to).
    pub fn link_base(&self) -> Option<String> {
        let mut f = Some(self.f);
        while let Some(i) = f {
            let frame = &self.eng.frames[i];
            if let Some(u) = &frame.template_link {
                return Some(u.clone());
            }
            f = frame.outer;
        }
        None
    }
}

impl Context for Cx<'_, '_> {
    fn parameter(&mut self, name: &str) -> Result<Value, EvalError> {
        let key = name.to_ascii_lowercase();
        match self.fr().outer {
            Some(o) if !self.fr().params.contains_key(&key) => self.at(o).parameter(name),
            _ => self.param_value(&key),
        }
    }
    fn variable(&mut self, name: &str) -> Result<Value, EvalError> {
        match self.fr().outer {
            Some(o) => self.at(o).variable(name),
            None => self.var_value(&name.to_ascii_lowercase()),
        }
    }
    fn copy_index(&mut self, loop_name: Option<&str>) -> Result<i64, EvalError> {
        Err(EvalError::new(match loop_name {
            Some(n) => format!("copyIndex('{n}') is used outside the copy loop '{n}'"),
            None => "copyIndex() is used outside of a copy loop".to_string(),
        }))
    }
    fn deployment(&self) -> &DeploymentContext {
        &self.fr().ctx
    }
    fn scope(&self) -> TemplateScope {
        self.fr().scope
    }
    fn deployment_object(&mut self) -> Value {
        deployment_object(self.fr())
    }
    fn user_function(&self, namespace: &str, name: &str) -> Option<UserFunction> {
        let key = format!(
            "{}.{}",
            namespace.to_ascii_lowercase(),
            name.to_ascii_lowercase()
        );
        let mut f = Some(self.f);
        while let Some(i) = f {
            let frame = &self.eng.frames[i];
            if let Some(u) = frame.functions.get(&key) {
                return Some(u.clone());
            }
            f = frame.outer;
        }
        None
    }
    fn runtime(&mut self, function: &str, args: &[Value], expr: &str) -> Result<Value, EvalError> {
        if function == "reference" || function == "references" {
            if let Some(v) = self.reference_offline(function, args, expr)? {
                return Ok(v);
            }
            let by_id = self.existing_by_id(args);
            let args = by_id.as_deref().unwrap_or(args);
            if let Some(v) = self.ask_runtime(function, args, expr)? {
                return Ok(v);
            }
        } else if let Some(v) = self.ask_runtime(function, args, expr)? {
            return Ok(v);
        }
        self.fm().unknowns.push(expr.to_string());
        Ok(Value::unknown(expr))
    }
    fn in_parameter_default(&self) -> bool {
        self.fr().in_default
    }
    fn budget(&mut self) -> Option<&mut Budget> {
        Some(&mut self.eng.budget)
    }
}

/// The `deployment()` object of a frame.
fn deployment_object(frame: &Frame) -> Value {
    let mut props = IndexMap::new();
    props.insert(
        "template".to_string(),
        Value::Object(
            [
                (
                    "contentVersion".to_string(),
                    Value::from_json(
                        frame
                            .doc
                            .get("contentVersion")
                            .unwrap_or(&serde_json::Value::String("1.0.0.0".into())),
                    ),
                ),
                (
                    "metadata".to_string(),
                    Value::from_json(
                        frame
                            .doc
                            .get("metadata")
                            .unwrap_or(&serde_json::Value::Null),
                    ),
                ),
            ]
            .into_iter()
            .collect(),
        ),
    );
    if let Some(uri) = &frame.template_link {
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
        Value::String(crate::hash::unique_string(&[&frame.file])),
    );
    props.insert("mode".to_string(), Value::String("Incremental".into()));
    props.insert(
        "provisioningState".to_string(),
        Value::String("Accepted".into()),
    );
    let mut o = IndexMap::new();
    o.insert(
        "name".to_string(),
        Value::String(frame.ctx.deployment_name.clone()),
    );
    o.insert("properties".to_string(), Value::Object(props));
    if frame.scope != TemplateScope::ResourceGroup {
        o.insert(
            "location".to_string(),
            Value::String(frame.ctx.location.clone()),
        );
    }
    Value::Object(o)
}
