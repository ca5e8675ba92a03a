//! Comparison functions (`equals`, `greater`, `less`, …; the lazy
//! `coalesce`): template-functions-comparison.md.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "equals",
    "greater",
    "greaterorequals",
    "less",
    "lessorequals",
];

pub(super) fn call(_ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    let lname = c.lname;
    match c.lname {
        "equals" => {
            c.need(2, 2)?;
            Ok(Value::Bool(v[0] == v[1]))
        }
        "greater" | "greaterorequals" | "less" | "lessorequals" => {
            c.need(2, 2)?;
            let ord = match (&v[0], &v[1]) {
                (Value::Int(a), Value::Int(b)) => a.cmp(b),
                (Value::String(a), Value::String(b)) => culture_cmp(a, b),
                (a, b) => {
                    return Err(err(format!(
                        "the template function '{name}' expects two integers or two strings, got '{}' and '{}'",
                        a.type_name(),
                        b.type_name()
                    )));
                }
            };
            use std::cmp::Ordering::*;
            Ok(Value::Bool(match lname {
                "greater" => ord == Greater,
                "greaterorequals" => ord != Less,
                "less" => ord == Less,
                _ => ord != Greater,
            }))
        }
        _ => Err(c.not_builtin()),
    }
}

/// String order as the engine compares (.NET culture-aware, invariant
/// culture): case-insensitive first, lower case before upper case on ties
/// (`greater('A', 'a')` is true; `items()` yields `abcKey` before `ABCKey`).
pub(super) fn culture_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.to_lowercase()
        .cmp(&b.to_lowercase())
        .then_with(|| b.cmp(a))
}

/// `coalesce(a, b, …)`: the first argument that is not null, evaluated lazily.
pub(super) fn coalesce(ev: &mut Evaluator<'_, '_>, c: &Call<'_>) -> R {
    arity(c.name, c.args, 1, usize::MAX)?;
    for a in c.args {
        match ev.eval(a)? {
            Value::Null => continue,
            Value::Unknown(_) => return Ok(Value::unknown(c.text)),
            v => return Ok(v),
        }
    }
    Ok(Value::Null)
}
