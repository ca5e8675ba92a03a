//! Evaluating expressions and template JSON.
//!
//! The evaluator knows the expression language and the function library; it
//! knows nothing about template structure. Expansion hands it a [`Context`]
//! that answers what only expansion knows (parameters, variables, copy
//! indexes, runtime lookups).

use crate::expr::{self, Expr, ExprKind, TemplateString};
use crate::functions;
use crate::limits::Budget;
use crate::value::Value;
use indexmap::IndexMap;
use std::fmt;

/// An evaluation error: what went wrong, in which expression, at which JSON path.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError {
    pub message: String,
    /// The expression being evaluated, when known.
    pub expression: Option<String>,
    /// JSON path of the template value, when known (e.g. `$.resources[2].name`).
    pub path: Option<String>,
}

impl EvalError {
    pub fn new(message: impl Into<String>) -> Self {
        EvalError {
            message: message.into(),
            expression: None,
            path: None,
        }
    }

    pub fn at_path(mut self, path: &str) -> Self {
        if self.path.is_none() {
            self.path = Some(path.to_string());
        }
        self
    }

    pub fn in_expression(mut self, expr: &str) -> Self {
        if self.expression.is_none() {
            let mut e: String = expr.chars().take(300).collect();
            if e.len() < expr.len() {
                e.push('…');
            }
            self.expression = Some(e);
        }
        self
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.path {
            write!(f, "{p}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(e) = &self.expression {
            write!(f, " (in expression '[{e}]')")?;
        }
        Ok(())
    }
}

impl std::error::Error for EvalError {}

/// The scope a template deploys to (from its `$schema`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateScope {
    ResourceGroup,
    Subscription,
    ManagementGroup,
    Tenant,
}

/// Where a deployment runs: injected by the caller, never read from Azure.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentContext {
    pub tenant_id: String,
    pub subscription_id: String,
    pub subscription_display_name: String,
    /// Resource group name (for resource-group scope deployments).
    pub resource_group: String,
    /// Resource group location.
    pub resource_group_location: String,
    pub management_group: String,
    pub deployment_name: String,
    /// Deployment location (subscription scope and above); defaults to the RG location.
    pub location: String,
    /// `AzureCloud`, `AzureChinaCloud` or `AzureUSGovernment`.
    pub cloud: String,
    /// "Now" as RFC 3339 UTC, for `utcNow()` in parameter defaults.
    pub now: String,
}

impl Default for DeploymentContext {
    fn default() -> Self {
        DeploymentContext {
            tenant_id: "00000000-0000-0000-0000-000000000000".into(),
            subscription_id: "00000000-0000-0000-0000-000000000000".into(),
            subscription_display_name: "azrelo subscription".into(),
            resource_group: "azrelo-rg".into(),
            resource_group_location: "westeurope".into(),
            management_group: "azrelo-mg".into(),
            deployment_name: "azrelo-deployment".into(),
            location: "westeurope".into(),
            cloud: "AzureCloud".into(),
            now: "2026-01-01T00:00:00Z".into(),
        }
    }
}

/// A user-defined function (`functions` section).
#[derive(Debug, Clone, PartialEq)]
pub struct UserFunction {
    pub parameters: Vec<String>,
    pub output: serde_json::Value,
}

/// What expansion answers for the evaluator.
pub trait Context {
    /// `parameters('name')` (case-insensitive).
    fn parameter(&mut self, name: &str) -> Result<Value, EvalError>;
    /// `variables('name')` (case-insensitive).
    fn variable(&mut self, name: &str) -> Result<Value, EvalError>;
    /// `copyIndex()` / `copyIndex('loop')`, before any offset.
    fn copy_index(&mut self, loop_name: Option<&str>) -> Result<i64, EvalError>;
    /// The injected deployment context.
    fn deployment(&self) -> &DeploymentContext;
    /// The scope of the template being evaluated.
    fn scope(&self) -> TemplateScope;
    /// The `deployment()` object.
    fn deployment_object(&mut self) -> Value;
    /// A user-defined function `namespace.name` (case-insensitive).
    fn user_function(&self, namespace: &str, name: &str) -> Option<UserFunction>;
    /// Anything that needs Azure: `reference`, `references`, `list*`,
    /// `pickZones`, `providers`, `newGuid`/`utcNow` outside defaults… `function`
    /// is lower-case, `expr` the original call text. Usually answers
    /// `Value::Unknown`.
    fn runtime(&mut self, function: &str, args: &[Value], expr: &str) -> Result<Value, EvalError>;
    /// Whether `utcNow()`/`newGuid()` may produce a value here (parameter defaults).
    fn in_parameter_default(&self) -> bool {
        false
    }
    /// The expansion's evaluation budget ([`crate::limits`]); `None`
    /// evaluates without one (only ARM's own limits apply).
    fn budget(&mut self) -> Option<&mut Budget> {
        None
    }
}

/// Evaluation of one expression tree: the source text (for unknowns and
/// errors) and the lambda variable stack.
pub struct Evaluator<'a, 'c> {
    pub(crate) src: &'a str,
    pub(crate) ctx: &'c mut dyn Context,
    pub(crate) lambda_vars: Vec<(String, Value)>,
    depth: usize,
}

const MAX_EVAL_DEPTH: usize = 64;

impl<'a, 'c> Evaluator<'a, 'c> {
    pub fn new(src: &'a str, ctx: &'c mut dyn Context) -> Self {
        Evaluator {
            src,
            ctx,
            lambda_vars: Vec::new(),
            depth: 0,
        }
    }

    pub(crate) fn text(&self, e: &Expr) -> &'a str {
        self.src.get(e.span.clone()).unwrap_or("")
    }

    pub fn eval(&mut self, e: &Expr) -> Result<Value, EvalError> {
        grow_stack(|| self.eval_node(e))
    }

    fn eval_node(&mut self, e: &Expr) -> Result<Value, EvalError> {
        match &e.kind {
            ExprKind::Str(s) => Ok(Value::String(s.clone())),
            ExprKind::Int(i) => Ok(Value::Int(*i)),
            ExprKind::Member(base, name) => {
                let b = self.eval(base)?;
                member(&b, name, self.text(e))
            }
            ExprKind::Index(base, idx) => {
                let b = self.eval(base)?;
                let i = self.eval(idx)?;
                index(&b, &i, self.text(e))
            }
            ExprKind::Call { name, args } => {
                self.depth += 1;
                if self.depth > MAX_EVAL_DEPTH * 4 {
                    return Err(EvalError::new("expression evaluation nested too deeply"));
                }
                let r = functions::call(self, name, args, e);
                self.depth -= 1;
                self.account(r?, e)
            }
            ExprKind::UserCall {
                namespace,
                name,
                args,
            } => {
                let v = self.user_call(namespace, name, args)?;
                self.account(v, e)
            }
        }
    }

    /// Count a call's result against the budget (one step, its size).
    fn account(&mut self, v: Value, e: &Expr) -> Result<Value, EvalError> {
        let text = self.text(e);
        if let Some(b) = self.ctx.budget() {
            b.value(&v, || format!("the value of '{}'", shorten(text)))?;
        }
        Ok(v)
    }

    /// Refuse to build a value of `bytes` over the budget's value limit;
    /// `what` names it. For functions whose result can be far larger than
    /// their arguments (`replace`, `format`, `join`, …).
    pub(crate) fn fits(
        &mut self,
        bytes: u64,
        what: impl FnOnce() -> String,
    ) -> Result<(), EvalError> {
        match self.ctx.budget() {
            Some(b) => b.fits(bytes, what),
            None => Ok(()),
        }
    }

    /// The budget's limit of one value, if there is a budget.
    pub(crate) fn value_limit(&mut self) -> Option<u64> {
        self.ctx.budget().map(|b| b.limits().max_value_bytes)
    }

    /// Count `n` steps of work done inside one function (the comparisons of
    /// the quadratic array functions).
    pub(crate) fn steps(&mut self, n: u64) -> Result<(), EvalError> {
        match self.ctx.budget() {
            Some(b) => b.steps(n),
            None => Ok(()),
        }
    }

    fn user_call(&mut self, ns: &str, name: &str, args: &[Expr]) -> Result<Value, EvalError> {
        if ns.eq_ignore_ascii_case("__bicep") && self.ctx.user_function(ns, name).is_none() {
            // Bicep's namespace: user functions compiled from `func`, else built-ins.
            let call = Expr {
                kind: ExprKind::Call {
                    name: name.to_string(),
                    args: args.to_vec(),
                },
                span: 0..0,
            };
            return self.eval(&call);
        }
        let Some(f) = self.ctx.user_function(ns, name) else {
            return Err(EvalError::new(format!(
                "the template function '{ns}.{name}' is not defined in the template's 'functions' section"
            )));
        };
        if f.parameters.len() != args.len() {
            return Err(EvalError::new(format!(
                "the user-defined function '{ns}.{name}' takes {} argument(s) but {} were given",
                f.parameters.len(),
                args.len()
            )));
        }
        self.depth += 1;
        if self.depth > MAX_EVAL_DEPTH {
            return Err(EvalError::new(format!(
                "user-defined function '{ns}.{name}' recursed too deeply"
            )));
        }
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval(a)?);
        }
        let mut inner = UdfContext {
            outer: &mut *self.ctx,
            params: f.parameters.iter().cloned().zip(values).collect(),
        };
        let r = evaluate_json(&f.output, &mut inner, "$.functions");
        self.depth -= 1;
        r
    }

    /// Look a lambda variable up (innermost first).
    pub(crate) fn lambda_var(&self, name: &str) -> Result<Value, EvalError> {
        self.lambda_vars
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                EvalError::new(format!(
                    "lambdaVariables('{name}') is not a variable of an enclosing lambda"
                ))
            })
    }
}

/// Run `f` with enough stack for one more level of evaluation: a new
/// stack segment is allocated when less than 1 MiB remains, so nested
/// evaluation (variables using variables, deep expressions, deep JSON)
/// cannot overflow a thread's stack, whatever its size; depth is bounded by
/// [`crate::limits::Limits`] instead.
pub(crate) fn grow_stack<T>(f: impl FnOnce() -> T) -> T {
    // The red zone covers what runs between two checks: one function call,
    // or copying and dropping a value nested `Limits::max_value_depth` deep.
    stacker::maybe_grow(1024 * 1024, 4 * 1024 * 1024, f)
}

/// An expression's text cut to 120 characters for messages.
pub(crate) fn shorten(text: &str) -> String {
    let mut e: String = text.chars().take(120).collect();
    if e.len() < text.len() {
        e.push('…');
    }
    e
}

/// The [`Context`] methods a context nested in another (`self.outer`)
/// answers as the outer one does.
macro_rules! forward_to_outer {
    () => {
        fn deployment(&self) -> &DeploymentContext {
            self.outer.deployment()
        }
        fn scope(&self) -> TemplateScope {
            self.outer.scope()
        }
        fn deployment_object(&mut self) -> Value {
            self.outer.deployment_object()
        }
        fn user_function(&self, namespace: &str, name: &str) -> Option<UserFunction> {
            self.outer.user_function(namespace, name)
        }
        fn runtime(
            &mut self,
            function: &str,
            args: &[Value],
            expr: &str,
        ) -> Result<Value, EvalError> {
            self.outer.runtime(function, args, expr)
        }
        fn budget(&mut self) -> Option<&mut Budget> {
            self.outer.budget()
        }
    };
}

/// The scope of a user-defined function: only its own parameters.
struct UdfContext<'a> {
    outer: &'a mut dyn Context,
    params: Vec<(String, Value)>,
}

impl Context for UdfContext<'_> {
    fn parameter(&mut self, name: &str) -> Result<Value, EvalError> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                EvalError::new(format!(
                    "user-defined functions can only use their own parameters; '{name}' is not one"
                ))
            })
    }
    fn variable(&mut self, name: &str) -> Result<Value, EvalError> {
        Err(EvalError::new(format!(
            "user-defined functions cannot use variables ('{name}')"
        )))
    }
    fn copy_index(&mut self, _: Option<&str>) -> Result<i64, EvalError> {
        Err(EvalError::new(
            "user-defined functions cannot use copyIndex()",
        ))
    }
    forward_to_outer!();
}

/// `.name` on a value: case-insensitive property access.
pub(crate) fn member(b: &Value, name: &str, text: &str) -> Result<Value, EvalError> {
    match b {
        Value::Unknown(_) => Ok(Value::unknown(text)),
        Value::Object(_) => b.get(name).cloned().ok_or_else(|| {
            let keys: Vec<&str> = b
                .as_object()
                .map(|o| o.keys().map(String::as_str).take(20).collect())
                .unwrap_or_default();
            EvalError::new(format!(
                "the language expression property '{name}' doesn't exist, available properties are '{}'",
                keys.join(", ")
            ))
        }),
        Value::Null => Err(EvalError::new(format!(
            "the language expression property '{name}' can't be evaluated: the value is null"
        ))),
        other => Err(EvalError::new(format!(
            "the language expression property '{name}' can't be evaluated on a value of type '{}'",
            other.type_name()
        ))),
    }
}

/// `[i]` on a value.
pub(crate) fn index(b: &Value, i: &Value, text: &str) -> Result<Value, EvalError> {
    match (b, i) {
        (Value::Unknown(_), _) | (_, Value::Unknown(_)) => Ok(Value::unknown(text)),
        (Value::Array(a), Value::Int(n)) => {
            if *n < 0 || *n as usize >= a.len() {
                Err(EvalError::new(format!(
                    "the language expression index '{n}' is out of bounds for an array of length {}",
                    a.len()
                )))
            } else {
                Ok(a[*n as usize].clone())
            }
        }
        (Value::Object(_), Value::String(k)) => member(b, k, text),
        (Value::Array(_), other) => Err(EvalError::new(format!(
            "an array index must be an integer, not a value of type '{}'",
            other.type_name()
        ))),
        (Value::Object(_), other) => Err(EvalError::new(format!(
            "an object property name must be a string, not a value of type '{}'",
            other.type_name()
        ))),
        (other, _) => Err(EvalError::new(format!(
            "a value of type '{}' can't be indexed",
            other.type_name()
        ))),
    }
}

/// The names of every built-in template function (lower case, sorted),
/// for tools and fuzzers that generate expressions.
pub fn function_names() -> Vec<&'static str> {
    functions::names()
}

/// Evaluate one template string: an expression (`[...]`), an escaped literal
/// (`[[...]`) or a plain literal.
pub fn evaluate_string(s: &str, ctx: &mut dyn Context) -> Result<Value, EvalError> {
    match expr::classify(s) {
        TemplateString::Literal(l) => Ok(Value::String(l.into_owned())),
        TemplateString::Expression(text) => {
            if text.trim().is_empty() {
                return Ok(Value::String(s.to_string()));
            }
            let e = expr::parse(text).map_err(|e| {
                EvalError::new(format!("the template language expression is invalid: {e}"))
                    .in_expression(text)
            })?;
            if let Some(b) = ctx.budget() {
                b.enter().map_err(|err| err.in_expression(text))?;
            }
            let mut ev = Evaluator::new(text, &mut *ctx);
            let r = ev.eval(&e).map_err(|err| err.in_expression(text));
            if let Some(b) = ctx.budget() {
                b.leave();
            }
            r
        }
    }
}

/// Evaluate every string of a JSON tree. `path` is the JSON path of `v` for
/// error messages. A `null` result for an object property keeps the property
/// (callers drop nulls where ARM treats them as absent).
pub fn evaluate_json(
    v: &serde_json::Value,
    ctx: &mut dyn Context,
    path: &str,
) -> Result<Value, EvalError> {
    grow_stack(|| evaluate_json_node(v, ctx, path))
}

fn evaluate_json_node(
    v: &serde_json::Value,
    ctx: &mut dyn Context,
    path: &str,
) -> Result<Value, EvalError> {
    if let Some(b) = ctx.budget() {
        let literal = match v {
            serde_json::Value::String(s) if !s.starts_with('[') => s.len() as u64,
            _ => 0,
        };
        b.literal(32 + literal).map_err(|e| e.at_path(path))?;
    }
    match v {
        serde_json::Value::String(s) => evaluate_string(s, ctx).map_err(|e| e.at_path(path)),
        serde_json::Value::Array(a) => {
            let mut out = Vec::with_capacity(a.len());
            for (i, x) in a.iter().enumerate() {
                out.push(evaluate_json(x, ctx, &format!("{path}[{i}]"))?);
            }
            Ok(Value::Array(out))
        }
        serde_json::Value::Object(o) => {
            let mut out = IndexMap::with_capacity(o.len());
            for (k, x) in o {
                if k.eq_ignore_ascii_case("copy") && is_property_copy(x) {
                    for (name, value) in property_copy(x, ctx, &format!("{path}.copy"))? {
                        out.insert(name, value);
                    }
                    continue;
                }
                // Property names may be expressions too (ARM evaluates them:
                // `"userAssignedIdentities": {"[resourceId(...)]": {}}`).
                let key = if k.starts_with('[') && k.ends_with(']') && !k.starts_with("[[") {
                    match evaluate_string(k, ctx).map_err(|e| e.at_path(path))? {
                        Value::String(s) => s,
                        _ => k.clone(),
                    }
                } else if let Some(rest) = k.strip_prefix("[[") {
                    format!("[{rest}")
                } else {
                    k.clone()
                };
                let val = evaluate_json(x, ctx, &format!("{path}.{k}"))?;
                out.insert(key, val);
            }
            Ok(Value::Object(out))
        }
        other => Ok(Value::from_json(other)),
    }
}

/// Maximum iterations of one copy loop (ARM's limit).
pub const MAX_COPY_COUNT: i64 = crate::limits::ARM_MAX_COPY_COUNT;

/// A `copy` array of `{name, count, input}` objects (property or variable copy).
pub fn is_property_copy(v: &serde_json::Value) -> bool {
    v.as_array().is_some_and(|a| {
        !a.is_empty()
            && a.iter().all(|c| {
                c.get("name").is_some() && c.get("count").is_some() && c.get("input").is_some()
            })
    })
}

/// Evaluate a copy count: an integer from 0 to 800, or `None` when it
/// depends on a value only Azure knows (e.g. a nested deployment's output
/// that is itself runtime-only).
pub fn copy_count(
    v: &serde_json::Value,
    ctx: &mut dyn Context,
    path: &str,
) -> Result<Option<i64>, EvalError> {
    let n = evaluate_json(v, ctx, path)?;
    match n {
        Value::Int(n) if (0..=MAX_COPY_COUNT).contains(&n) => Ok(Some(n)),
        Value::Int(n) => Err(EvalError::new(format!(
            "the copy count must be between 0 and {MAX_COPY_COUNT}, not {n}"
        ))
        .at_path(path)),
        Value::Unknown(_) => Ok(None),
        other => Err(EvalError::new(format!(
            "the copy count must be an integer, not a value of type '{}'",
            other.type_name()
        ))
        .at_path(path)),
    }
}

/// Expand a property/variable `copy` array into `(name, value)` pairs; the
/// value is an array, or unknown when the count is.
pub fn property_copy(
    v: &serde_json::Value,
    ctx: &mut dyn Context,
    path: &str,
) -> Result<Vec<(String, Value)>, EvalError> {
    let mut out: Vec<(String, Vec<Value>)> = Vec::new();
    let mut unknown_counts = Vec::new();
    for (i, spec) in v.as_array().into_iter().flatten().enumerate() {
        let spath = format!("{path}[{i}]");
        let name = match evaluate_json(&spec["name"], ctx, &format!("{spath}.name"))? {
            Value::String(s) => s,
            other => {
                return Err(EvalError::new(format!(
                    "the copy name must be a string, not '{}'",
                    other.type_name()
                ))
                .at_path(&spath));
            }
        };
        let Some(count) = copy_count(&spec["count"], ctx, &format!("{spath}.count"))? else {
            out.push((name, Vec::new()));
            unknown_counts.push(out.len() - 1);
            continue;
        };
        let mut items = Vec::with_capacity(count as usize);
        for index in 0..count {
            let mut lc = LoopContext {
                outer: &mut *ctx,
                name: &name,
                index,
                property_loop: true,
            };
            items.push(evaluate_json(
                &spec["input"],
                &mut lc,
                &format!("{spath}.input"),
            )?);
        }
        out.push((name, items));
    }
    Ok(out
        .into_iter()
        .enumerate()
        .map(|(i, (name, items))| {
            if unknown_counts.contains(&i) {
                let v = Value::unknown(format!("copy count of '{name}'"));
                (name, v)
            } else {
                (name, Value::Array(items))
            }
        })
        .collect())
}

/// A context inside one iteration of a named copy loop.
pub struct LoopContext<'a> {
    pub outer: &'a mut dyn Context,
    pub name: &'a str,
    pub index: i64,
    /// A property or variable `copy` (unnamed `copyIndex()` prefers the enclosing loop).
    pub property_loop: bool,
}

impl Context for LoopContext<'_> {
    fn parameter(&mut self, name: &str) -> Result<Value, EvalError> {
        self.outer.parameter(name)
    }
    fn variable(&mut self, name: &str) -> Result<Value, EvalError> {
        self.outer.variable(name)
    }
    fn copy_index(&mut self, loop_name: Option<&str>) -> Result<i64, EvalError> {
        match loop_name {
            // Unnamed copyIndex() means the resource (or output) loop; inside a
            // property loop that is the enclosing one, when there is one.
            None if self.property_loop => self.outer.copy_index(None).or(Ok(self.index)),
            None => Ok(self.index),
            Some(n) if n.eq_ignore_ascii_case(self.name) => Ok(self.index),
            Some(n) => self.outer.copy_index(Some(n)),
        }
    }
    forward_to_outer!();
    fn in_parameter_default(&self) -> bool {
        self.outer.in_parameter_default()
    }
}
