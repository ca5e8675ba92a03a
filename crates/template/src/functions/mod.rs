//! The ARM template function library.
//!
//! One dispatcher, [`call`], over every function of the template-functions
//! reference, one module per family of the reference (array, CIDR,
//! comparison, date, deployment, lambda, logical, numeric, object, resource,
//! scope, string). Names are case-insensitive. `if`, `and`, `or`,
//! `coalesce` and the lambda functions evaluate their arguments lazily, as
//! the engine does. A function applied to an [`Value::Unknown`] argument
//! returns an unknown keeping the call's text, except functions that only
//! move values around (`createArray`, `createObject`, `array`, `union` of
//! objects, …) which keep the unknown in place.

mod array;
mod cidr;
mod comparison;
mod date;
mod deployment;
mod encoding;
mod lambda;
mod logical;
mod numeric;
mod object;
mod resource;
mod scope;
mod string;

use crate::eval::{EvalError, Evaluator, TemplateScope};
use crate::expr::{Expr, ExprKind};
use crate::hash;
use crate::limits::weight;
use crate::value::Value;
use indexmap::IndexMap;
use std::collections::HashMap;
use std::sync::OnceLock;

type R = Result<Value, EvalError>;

/// One built-in function call: its name (lower-cased and as written), its
/// argument expressions and the call's text.
pub(super) struct Call<'t> {
    pub lname: &'t str,
    pub name: &'t str,
    pub args: &'t [Expr],
    pub text: &'t str,
}

impl Call<'_> {
    /// Check the number of arguments.
    fn need(&self, min: usize, max: usize) -> Result<(), EvalError> {
        arity(self.name, self.args, min, max)
    }

    /// Refuse to build this call's result when it would be `bytes` or more
    /// over the budget's value limit (checked before building it).
    fn fits(&self, ev: &mut Evaluator<'_, '_>, bytes: u64) -> Result<(), EvalError> {
        ev.fits(bytes, || {
            format!("the value of '{}'", crate::eval::shorten(self.text))
        })
    }

    fn not_builtin(&self) -> EvalError {
        err(format!(
            "the template function '{}' is not valid (not a built-in ARM template function)",
            self.name
        ))
    }
}

/// A family's evaluation of its functions, given the evaluated arguments.
type Family = fn(&mut Evaluator<'_, '_>, &Call<'_>, Vec<Value>) -> R;

/// Every eagerly evaluated built-in by lower-case name.
fn families() -> &'static HashMap<&'static str, Family> {
    static MAP: OnceLock<HashMap<&'static str, Family>> = OnceLock::new();
    MAP.get_or_init(|| {
        let all: [(&[&str], Family); 11] = [
            (deployment::NAMES, deployment::call),
            (scope::NAMES, scope::call),
            (resource::NAMES, resource::call),
            (logical::NAMES, logical::call),
            (comparison::NAMES, comparison::call),
            (numeric::NAMES, numeric::call),
            (array::NAMES, array::call),
            (object::NAMES, object::call),
            (string::NAMES, string::call),
            (date::NAMES, date::call),
            (cidr::NAMES, cidr::call),
        ];
        all.into_iter()
            .flat_map(|(names, f)| names.iter().map(move |n| (*n, f)))
            .collect()
    })
}

/// The runtime-only functions (besides `list*`): answered by the context.
const RUNTIME_FUNCTIONS: &[&str] = &[
    "extensions",
    "reference",
    "references",
    "pickzones",
    "providers",
    "deployer",
    "tologicalzone",
    "tologicalzones",
    "tophysicalzone",
    "tophysicalzones",
];

/// Every built-in function name the library knows, lower case, sorted;
/// runtime-only ones included (`list*` stands as `listkeys` and
/// `listsecrets`).
pub(crate) fn names() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = families()
        .keys()
        .copied()
        .chain(["if", "and", "or", "coalesce"])
        .chain(lambda::NAMES.iter().copied())
        .chain(RUNTIME_FUNCTIONS.iter().copied())
        .chain(["listkeys", "listsecrets"])
        .collect();
    all.sort_unstable();
    all
}

fn err(msg: impl Into<String>) -> EvalError {
    EvalError::new(msg)
}

fn arity(name: &str, args: &[Expr], min: usize, max: usize) -> Result<(), EvalError> {
    if args.len() < min || args.len() > max {
        let expected = if min == max {
            format!("{min}")
        } else if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(err(format!(
            "the template function '{name}' expects {expected} argument(s), but {} were given",
            args.len()
        )));
    }
    Ok(())
}

fn type_err(name: &str, expected: &str, got: &Value) -> EvalError {
    err(format!(
        "the template function '{name}' expects its argument to be of type '{expected}'; the provided value is of type '{}'",
        got.type_name()
    ))
}

fn want_str<'v>(name: &str, v: &'v Value) -> Result<&'v str, EvalError> {
    v.as_str().ok_or_else(|| type_err(name, "String", v))
}

fn want_int(name: &str, v: &Value) -> Result<i64, EvalError> {
    match v {
        Value::Int(i) => Ok(*i),
        _ => Err(type_err(name, "Integer", v)),
    }
}

fn want_array<'v>(name: &str, v: &'v Value) -> Result<&'v Vec<Value>, EvalError> {
    v.as_array().ok_or_else(|| type_err(name, "Array", v))
}

fn want_object<'v>(name: &str, v: &'v Value) -> Result<&'v IndexMap<String, Value>, EvalError> {
    v.as_object().ok_or_else(|| type_err(name, "Object", v))
}

fn want_bool(name: &str, v: &Value) -> Result<bool, EvalError> {
    v.as_bool().ok_or_else(|| type_err(name, "Boolean", v))
}

fn all_strs<'v>(name: &str, v: &'v [Value]) -> Result<Vec<&'v str>, EvalError> {
    v.iter().map(|x| want_str(name, x)).collect()
}

/// Parse the argument of a JSON-family function (`json`, `base64ToJson`)
/// as ARM does, with Json.NET's leniency (see [`crate::json`]).
fn json_value(fname: &str, text: &str) -> R {
    let options = crate::json::JsonOptions {
        newtonsoft: true,
        ..Default::default()
    };
    crate::json::parse_with(text, fname, options)
        .map(|j| Value::from_json(&j))
        .map_err(|e| {
            err(format!(
                "{fname}(): the string is not valid JSON: {} (line {}, column {})",
                e.message, e.line, e.column
            ))
        })
}

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// Whether a function's result is unknown whenever an argument is (or, for
/// the string-producing ones, contains) an unknown.
fn propagates_unknown(lname: &str) -> bool {
    // Only the constructors keep an unknown argument in place.
    !matches!(lname, "createarray" | "createobject" | "array")
}

fn string_producing(lname: &str) -> bool {
    matches!(
        lname,
        "string"
            | "format"
            | "concat"
            | "base64"
            | "uniquestring"
            | "guid"
            | "uri"
            | "uricomponent"
            | "datauri"
            | "join"
            | "tolower"
            | "toupper"
            | "replace"
            | "substring"
            | "padleft"
            | "trim"
            | "equals"
    )
}

/// Dispatch a built-in function call.
pub(crate) fn call(ev: &mut Evaluator<'_, '_>, name: &str, args: &[Expr], whole: &Expr) -> R {
    let lname = name.to_ascii_lowercase();
    let text = ev.text(whole).to_string();
    let c = Call {
        lname: &lname,
        name,
        args,
        text: &text,
    };
    // Lazy and lambda forms first.
    match c.lname {
        "if" | "and" | "or" => return logical::lazy(ev, &c),
        "coalesce" => return comparison::coalesce(ev, &c),
        l if lambda::NAMES.contains(&l) => return lambda::call(ev, &c),
        _ => {}
    }

    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(ev.eval(a)?);
    }

    if lname.starts_with("list") || RUNTIME_FUNCTIONS.contains(&c.lname) {
        return ev.ctx.runtime(&lname, &vals, &text);
    }
    if propagates_unknown(&lname) {
        let unknown = if string_producing(&lname) {
            vals.iter().any(Value::contains_unknown)
        } else {
            vals.iter().any(Value::is_unknown)
        };
        if unknown {
            return Ok(Value::unknown(text));
        }
    }
    match families().get(c.lname) {
        Some(family) => family(ev, &c, vals),
        None => Err(c.not_builtin()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every name a family lists is one it evaluates (the lists and the
    /// `match` arms stay in step).
    #[test]
    fn every_listed_name_is_evaluated() {
        struct Nothing(crate::eval::DeploymentContext);
        impl crate::eval::Context for Nothing {
            fn parameter(&mut self, _: &str) -> R {
                Ok(Value::Null)
            }
            fn variable(&mut self, _: &str) -> R {
                Ok(Value::Null)
            }
            fn copy_index(&mut self, _: Option<&str>) -> Result<i64, EvalError> {
                Ok(0)
            }
            fn deployment(&self) -> &crate::eval::DeploymentContext {
                &self.0
            }
            fn scope(&self) -> TemplateScope {
                TemplateScope::ResourceGroup
            }
            fn deployment_object(&mut self) -> Value {
                Value::Null
            }
            fn user_function(&self, _: &str, _: &str) -> Option<crate::eval::UserFunction> {
                None
            }
            fn runtime(&mut self, _: &str, _: &[Value], e: &str) -> R {
                Ok(Value::unknown(e))
            }
        }
        let mut ctx = Nothing(Default::default());
        for (name, family) in families() {
            let mut ev = Evaluator::new("", &mut ctx);
            let c = Call {
                lname: name,
                name,
                args: &[],
                text: "",
            };
            if let Err(x) = family(&mut ev, &c, Vec::new()) {
                assert!(!x.message.contains("is not valid"), "{name}: {x}");
            }
        }
    }
}
