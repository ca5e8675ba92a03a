//! The boundary between the expression evaluator and template expansion.
//!
//! The evaluator (`eval`, `functions`) knows the expression language and the
//! function library; it knows nothing about template structure. Expansion
//! (`expand`) knows parameters, variables, copy loops, resources and nested
//! deployments, and hands the evaluator a [`Context`] that answers the
//! questions only it can answer.

use crate::value::Value;

/// Where a deployment runs: injected by the caller, never read from Azure.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentContext {
    pub tenant_id: String,
    pub subscription_id: String,
    pub subscription_display_name: String,
    /// `None` for subscription, management-group and tenant scope deployments.
    pub resource_group: Option<ResourceGroupContext>,
    pub management_group: Option<String>,
    pub deployment_name: String,
    /// Deployment location (required for subscription/MG/tenant scope deployments).
    pub location: Option<String>,
    pub environment: CloudEnvironment,
    /// "Now" for `utcNow()` in parameter defaults, as RFC 3339 UTC, e.g. `2026-11-22T16:00:00Z`.
    pub now: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResourceGroupContext {
    pub name: String,
    pub location: String,
    pub tags: indexmap::IndexMap<String, String>,
    pub managed_by: Option<String>,
}

/// The `environment()` object's inputs (Azure public cloud by default).
#[derive(Debug, Clone, PartialEq)]
pub struct CloudEnvironment {
    pub name: String,
    pub resource_manager: String,
    pub authentication_endpoint: String,
    /// Everything else `environment()` returns (gallery, graph, suffixes, …) as an object.
    pub extra: Value,
}

/// A user-defined function (`functions` section): its parameter names and
/// output value template, evaluated in a scope where only its own parameters
/// (and other user functions) are visible.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFunction {
    pub namespace: String,
    pub name: String,
    pub parameters: Vec<String>,
    pub output: serde_json::Value,
}

/// What expansion answers for the evaluator.
///
/// Errors are returned as [`crate::EvalError`]; the evaluator adds the
/// expression position.
pub trait Context {
    /// `parameters('name')` (case-insensitive name).
    fn parameter(&mut self, name: &str) -> Result<Value, crate::EvalError>;
    /// `variables('name')` (case-insensitive; lazily evaluated with cycle detection).
    fn variable(&mut self, name: &str) -> Result<Value, crate::EvalError>;
    /// `copyIndex()` / `copyIndex('loop')` (offset is applied by the evaluator).
    fn copy_index(&mut self, loop_name: Option<&str>) -> Result<i64, crate::EvalError>;
    /// The injected deployment context (scope functions, `environment()`, `utcNow`).
    fn deployment(&self) -> &DeploymentContext;
    /// The `deployment()` object (name, properties.templateLink, …).
    fn deployment_object(&mut self) -> Result<Value, crate::EvalError>;
    /// Look up a user-defined function `namespace.name` (case-insensitive).
    fn user_function(&self, namespace: &str, name: &str) -> Option<UserFunction>;
    /// `reference(...)`, `references(...)`, `list*(...)`, `pickZones` with a live
    /// provider query, `providers()` … — anything that needs Azure. `function` is
    /// the lower-cased function name, `args` the evaluated arguments, `expr` the
    /// original call text. Expansion records the call and usually answers
    /// `Value::Unknown`; it may answer a concrete value it knows (e.g. the
    /// declared `properties` of a resource in the same template are *not* used:
    /// runtime state differs from declared input).
    fn runtime(
        &mut self,
        function: &str,
        args: &[Value],
        expr: &str,
    ) -> Result<Value, crate::EvalError>;
    /// languageVersion 2.0: the resource id of a symbolic resource name, if the
    /// name is a declared resource (used by `resourceId`-free symbolic references
    /// such as `reference('kv')` and `dependsOn`).
    fn symbolic_resource_id(
        &mut self,
        symbolic_name: &str,
    ) -> Option<Result<String, crate::EvalError>>;
    /// Whether runtime functions are allowed where the current expression sits
    /// (only in resource `properties` and `outputs`; not in names, locations,
    /// `copy.count`, …).
    fn runtime_allowed(&self) -> bool;
    /// Whether `utcNow()`/`newGuid()` are allowed (only in parameter defaults).
    fn in_parameter_default(&self) -> bool;
}
