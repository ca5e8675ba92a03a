//! Logical functions (`true`, `false`, `null`, `not`, `bool`, `fail`; the
//! lazy `if`, `and`, `or`): template-functions-logical.md.

use super::*;

pub(super) const NAMES: &[&str] = &["true", "false", "null", "not", "bool", "fail"];

pub(super) fn call(_ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    match c.lname {
        "true" => {
            c.need(0, 0)?;
            Ok(Value::Bool(true))
        }
        "false" => {
            c.need(0, 0)?;
            Ok(Value::Bool(false))
        }
        "null" => {
            c.need(0, 0)?;
            Ok(Value::Null)
        }
        "not" => {
            c.need(1, 1)?;
            Ok(Value::Bool(!want_bool(name, &v[0])?))
        }
        "bool" => {
            c.need(1, 1)?;
            match &v[0] {
                Value::Bool(b) => Ok(Value::Bool(*b)),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
                Value::Int(i) => Ok(Value::Bool(*i != 0)),
                other => Err(err(format!(
                    "bool() can't convert the value '{}' to a boolean",
                    other.to_arm_string()
                ))),
            }
        }
        "fail" => {
            c.need(1, 1)?;
            Err(err(format!("fail(): {}", v[0].to_arm_string())))
        }
        _ => Err(c.not_builtin()),
    }
}

/// The lazy logical functions: `if` evaluates only the chosen branch,
/// `and`/`or` stop at the first deciding argument.
pub(super) fn lazy(ev: &mut Evaluator<'_, '_>, c: &Call<'_>) -> R {
    let (name, args, text) = (c.name, c.args, c.text);
    if c.lname == "if" {
        arity(name, args, 3, 3)?;
        return match ev.eval(&args[0])? {
            Value::Bool(true) => ev.eval(&args[1]),
            Value::Bool(false) => ev.eval(&args[2]),
            Value::Unknown(_) => Ok(Value::unknown(text)),
            other => Err(type_err(name, "Boolean", &other)),
        };
    }
    // and / or
    arity(name, args, 2, usize::MAX)?;
    let want = c.lname == "or";
    let mut unknown = false;
    for a in args {
        match ev.eval(a)? {
            Value::Bool(b) if b == want => return Ok(Value::Bool(want)),
            Value::Bool(_) => {}
            Value::Unknown(_) => unknown = true,
            other => return Err(type_err(name, "Boolean", &other)),
        }
    }
    Ok(if unknown {
        Value::unknown(text)
    } else {
        Value::Bool(!want)
    })
}
