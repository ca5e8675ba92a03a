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
//! Every expansion runs within [`Limits`]: ARM's own template limits and a
//! budget on evaluated value size and total work, so hostile input fails
//! fast with an error naming the JSON path and expression.
//!
//! Runtime-only values (`reference` of a resource, `list*`, …) stay
//! [`Value::Unknown`](crate::value::Value::Unknown) and are listed in
//! [`Expanded::unresolved`].
//!
//! Layout: `frame` holds the engine (one frame per template being
//! expanded, nested deployments as child frames addressed by index),
//! `params` parameters, variables and user functions, `resources` one
//! resource instance, `copy` declarations and copy loops, `nested`
//! nested and linked deployments, `depends` `dependsOn` resolution,
//! `outputs` the outputs section, `result` what an expansion returns and
//! `runtime` the deployment-time hook.

mod copy;
mod depends;
mod frame;
mod nested;
mod outputs;
mod params;
mod resources;
mod result;
mod runtime;

pub use crate::limits::{Limits, Usage};
pub use result::{Expanded, ExpandedResource, REDACTED, Unresolved};
pub use runtime::{Runtime, RuntimeCall};

use crate::eval::{DeploymentContext, EvalError, TemplateScope};
use indexmap::IndexMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// ARM's limit of resources per template (copies included).
pub const MAX_RESOURCES_PER_TEMPLATE: usize = crate::limits::ARM_MAX_RESOURCES;
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
    /// Parse template text (lenient JSON) within the default [`Limits`].
    pub fn parse(text: &str, file: &str) -> Result<Template, ExpandError> {
        Template::parse_with(text, file, &Limits::default())
    }

    /// Parse template text (lenient JSON), refusing text longer than
    /// `limits.max_template_bytes`.
    pub fn parse_with(text: &str, file: &str, limits: &Limits) -> Result<Template, ExpandError> {
        let fail = |error| ExpandError::Template {
            file: file.to_string(),
            error,
        };
        limits
            .check_template_size(text.len() as u64)
            .map_err(fail)?;
        let doc = crate::json::parse(text, file).map_err(ExpandError::Parse)?;
        if !doc.is_object() {
            return Err(fail(
                EvalError::new("a template must be a JSON object").at_path("$"),
            ));
        }
        Ok(Template {
            doc: Rc::new(doc),
            file: file.to_string(),
        })
    }

    /// Read and parse a template file within the default [`Limits`].
    pub fn from_file(path: &Path) -> Result<Template, ExpandError> {
        Template::from_file_with(path, &Limits::default())
    }

    /// Read and parse a template file; a file larger than
    /// `limits.max_template_bytes` is refused before it is read.
    pub fn from_file_with(path: &Path, limits: &Limits) -> Result<Template, ExpandError> {
        let file = path.display().to_string();
        let fail = |error| ExpandError::Template {
            file: file.clone(),
            error,
        };
        let unreadable = |e: std::io::Error| EvalError::new(format!("cannot read the file: {e}"));
        let size = std::fs::metadata(path)
            .map_err(|e| fail(unreadable(e)))?
            .len();
        limits.check_template_size(size).map_err(fail)?;
        let text = std::fs::read_to_string(path).map_err(|e| fail(unreadable(e)))?;
        Template::parse_with(&text, &file, limits)
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

/// What happens to a parameter that has neither a value nor a default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MissingParameters {
    /// The expansion fails naming the parameter, as ARM does.
    #[default]
    Error,
    /// The parameter becomes a symbolic unknown (`parameters('name')`),
    /// kept the way runtime-only values are (invariant 3: never guessed),
    /// and is listed in [`Expanded::missing_parameters`] and
    /// [`Expanded::unresolved`] so callers can warn. For graphing and
    /// discovering templates whose deployment values azrelo cannot see, as
    /// checkov graphs such templates symbolically.
    Symbolic,
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
    /// Bounds on template size, evaluated values and work.
    pub limits: Limits,
    /// Parameters without a value or default: an error (default) or symbolic.
    pub missing_parameters: MissingParameters,
}

/// Expand a template, keeping runtime-only values symbolic.
pub fn expand(template: &Template, options: &ExpandOptions) -> Result<Expanded, ExpandError> {
    frame::expand_template(template, options, None)
}

/// Expand a template, asking `runtime` for the values only a deployment
/// knows (see [`Runtime`]); what it does not answer stays symbolic.
pub fn expand_with(
    template: &Template,
    options: &ExpandOptions,
    runtime: &mut (dyn Runtime + 'static),
) -> Result<Expanded, ExpandError> {
    frame::expand_template(template, options, Some(runtime))
}
