//! # azrelo-template — an offline ARM template engine
//!
//! Owns the ARM template language as Azure Resource Manager evaluates it:
//!
//! * [`json`] — lenient JSON (comments, trailing commas, raw newlines in
//!   strings) with file/line/column/JSON-path errors;
//! * [`expr`] — the expression language (lexer, parser, AST);
//! * [`eval`] and the function library — every function of the template
//!   reference, with runtime-only values kept symbolic ([`value::Value::Unknown`]);
//! * [`hash`] — `uniqueString()` and `guid()` as Azure computes them;
//! * [`limits`] — ARM's template limits and azrelo's evaluation budget, so
//!   hostile templates fail fast with a clear error;
//! * [`expand`](mod@expand) — template expansion: parameters, variables, user functions,
//!   copy loops, conditions, child and extension resources, nested and linked
//!   deployments, languageVersion 2.0 — producing the concrete resources a
//!   deployment would create.
//!
//! The API is parse → evaluate with a deployment context → expanded
//! deployment: [`expand::Template::parse`] then [`expand::expand`].
//!
//! It must not call Azure, read anything but the template files it is given,
//! or guess a value only Azure knows.

#![forbid(unsafe_code)]

pub mod cidr;
pub mod date;
pub mod eval;
pub mod expand;
pub mod expr;
mod functions;
pub mod hash;
pub mod json;
pub mod limits;
pub mod value;

pub use eval::{Context, DeploymentContext, EvalError, TemplateScope};
pub use expand::{
    ExpandOptions, Expanded, ExpandedResource, MissingParameters, Runtime, RuntimeCall, Template,
    expand, expand_with,
};
pub use limits::Limits;
pub use value::Value;
