//! Lambda functions (`filter`, `map`, `reduce`, `sort`, `toObject`,
//! `groupBy`, `mapValues`; `lambda`, `lambdaVariables`):
//! template-functions-lambda.md. The lambda body is evaluated per item with
//! the lambda's variables pushed on the evaluator's stack.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "lambda",
    "lambdavariables",
    "filter",
    "map",
    "reduce",
    "sort",
    "toobject",
    "groupby",
    "mapvalues",
];

/// Dispatch a lambda function (its arguments are evaluated here, lazily).
pub(super) fn call(ev: &mut Evaluator<'_, '_>, c: &Call<'_>) -> R {
    let (name, args) = (c.name, c.args);
    match c.lname {
        "lambda" => Err(err(
            "lambda() can only be used as a direct argument of filter, map, reduce, sort, toObject, groupBy or mapValues",
        )),
        "lambdavariables" => {
            arity(name, args, 1, 1)?;
            let n = ev.eval(&args[0])?;
            ev.lambda_var(want_str(name, &n)?)
        }
        "filter" | "map" | "reduce" | "sort" | "toobject" | "groupby" | "mapvalues" => {
            lambda_fn(ev, c.lname, name, args, c.text)
        }
        _ => Err(c.not_builtin()),
    }
}

fn lambda_fn(ev: &mut Evaluator<'_, '_>, lname: &str, name: &str, args: &[Expr], text: &str) -> R {
    // Parse lambda(...) arguments: returns (var names, body).
    fn as_lambda(e: &Expr) -> Option<(Vec<String>, &Expr)> {
        if let ExprKind::Call { name, args } = &e.kind
            && name.eq_ignore_ascii_case("lambda")
            && !args.is_empty()
        {
            let mut vars = Vec::new();
            for a in &args[..args.len() - 1] {
                match &a.kind {
                    ExprKind::Str(s) => vars.push(s.clone()),
                    _ => return None,
                }
            }
            return Some((vars, &args[args.len() - 1]));
        }
        None
    }
    let lam = |i: usize| -> Result<(Vec<String>, &Expr), EvalError> {
        args.get(i).and_then(as_lambda).ok_or_else(|| {
            err(format!(
                "argument {} of {name}() must be a lambda expression: lambda('x', ...)",
                i + 1
            ))
        })
    };
    let apply =
        |ev: &mut Evaluator<'_, '_>, vars: &[String], body: &Expr, values: Vec<Value>| -> R {
            let base = ev.lambda_vars.len();
            for (n, v) in vars.iter().zip(values) {
                ev.lambda_vars.push((n.clone(), v));
            }
            let r = ev.eval(body);
            ev.lambda_vars.truncate(base);
            r
        };
    let min = if lname == "reduce" { 3 } else { 2 };
    let max = if lname == "toobject" { 3 } else { min };
    arity(name, args, min, max)?;
    let input = ev.eval(&args[0])?;
    if input.is_unknown() {
        return Ok(Value::unknown(text));
    }
    match lname {
        "filter" | "map" => {
            let arr = want_array(name, &input)?.clone();
            let (vars, body) = lam(1)?;
            let mut out = Vec::new();
            for (i, x) in arr.into_iter().enumerate() {
                let r = apply(ev, &vars, body, vec![x.clone(), Value::Int(i as i64)])?;
                if lname == "map" {
                    out.push(r);
                } else {
                    match r {
                        Value::Bool(true) => out.push(x),
                        Value::Bool(false) => {}
                        Value::Unknown(_) => return Ok(Value::unknown(text)),
                        other => return Err(type_err(name, "Boolean (lambda result)", &other)),
                    }
                }
            }
            Ok(Value::Array(out))
        }
        "reduce" => {
            let arr = want_array(name, &input)?.clone();
            let mut acc = ev.eval(&args[1])?;
            let (vars, body) = lam(2)?;
            for (i, x) in arr.into_iter().enumerate() {
                acc = apply(ev, &vars, body, vec![acc, x, Value::Int(i as i64)])?;
            }
            Ok(acc)
        }
        "sort" => {
            let mut arr = want_array(name, &input)?.clone();
            let (vars, body) = lam(1)?;
            // Insertion sort with the user's less-than predicate (stable; arrays are small).
            let mut sorted: Vec<Value> = Vec::with_capacity(arr.len());
            for x in arr.drain(..) {
                let mut pos = sorted.len();
                for (j, y) in sorted.iter().enumerate() {
                    if apply(ev, &vars, body, vec![x.clone(), y.clone()])? == Value::Bool(true) {
                        pos = j;
                        break;
                    }
                }
                sorted.insert(pos, x);
            }
            Ok(Value::Array(sorted))
        }
        "toobject" => {
            let arr = want_array(name, &input)?.clone();
            let (kv, kb) = lam(1)?;
            let val = if args.len() == 3 { Some(lam(2)?) } else { None };
            let mut out = IndexMap::new();
            for x in arr {
                let k = apply(ev, &kv, kb, vec![x.clone()])?;
                let key = match k {
                    Value::String(s) => s,
                    Value::Unknown(_) => return Ok(Value::unknown(text)),
                    other => return Err(type_err(name, "String (key lambda result)", &other)),
                };
                let value = match &val {
                    Some((vv, vb)) => apply(ev, vv, vb, vec![x])?,
                    None => x,
                };
                out.insert(key, value);
            }
            Ok(Value::Object(out))
        }
        "groupby" => {
            let arr = want_array(name, &input)?.clone();
            let (kv, kb) = lam(1)?;
            let mut out: IndexMap<String, Value> = IndexMap::new();
            for x in arr {
                let key = match apply(ev, &kv, kb, vec![x.clone()])? {
                    Value::String(s) => s,
                    Value::Unknown(_) => return Ok(Value::unknown(text)),
                    other => other.to_arm_string(),
                };
                match out.entry(key).or_insert_with(|| Value::Array(Vec::new())) {
                    Value::Array(a) => a.push(x),
                    _ => unreachable!("groupBy buckets are arrays"),
                }
            }
            Ok(Value::Object(out))
        }
        _ => {
            // mapValues
            let o = want_object(name, &input)?.clone();
            let (vars, body) = lam(1)?;
            let mut out = IndexMap::new();
            for (k, x) in o {
                out.insert(k, apply(ev, &vars, body, vec![x])?);
            }
            Ok(Value::Object(out))
        }
    }
}
