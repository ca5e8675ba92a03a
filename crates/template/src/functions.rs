//! The ARM template function library.
//!
//! One dispatcher, [`call`], over every function of the template-functions
//! reference (array, CIDR, comparison, date, deployment, lambda, logical,
//! numeric, object, resource, scope, string). Names are case-insensitive.
//! `if`, `and`, `or`, `coalesce` and the lambda functions evaluate their
//! arguments lazily, as the engine does. A function applied to an
//! [`Value::Unknown`] argument returns an unknown keeping the call's text,
//! except functions that only move values around (`createArray`,
//! `createObject`, `array`, `union` of objects, …) which keep the unknown in
//! place.

use crate::eval::{EvalError, Evaluator, TemplateScope};
use crate::expr::{Expr, ExprKind};
use crate::hash;
use crate::value::Value;
use indexmap::IndexMap;

type R = Result<Value, EvalError>;

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

/// Dispatch a built-in function call.
pub(crate) fn call(ev: &mut Evaluator<'_, '_>, name: &str, args: &[Expr], whole: &Expr) -> R {
    let lname = name.to_ascii_lowercase();
    let text = ev.text(whole).to_string();
    // Lazy and lambda forms first.
    match lname.as_str() {
        "if" => {
            arity(name, args, 3, 3)?;
            let c = ev.eval(&args[0])?;
            return match c {
                Value::Bool(true) => ev.eval(&args[1]),
                Value::Bool(false) => ev.eval(&args[2]),
                Value::Unknown(_) => Ok(Value::unknown(text)),
                other => Err(type_err(name, "Boolean", &other)),
            };
        }
        "and" | "or" => {
            arity(name, args, 2, usize::MAX)?;
            let want = lname == "or";
            let mut unknown = false;
            for a in args {
                match ev.eval(a)? {
                    Value::Bool(b) if b == want => return Ok(Value::Bool(want)),
                    Value::Bool(_) => {}
                    Value::Unknown(_) => unknown = true,
                    other => return Err(type_err(name, "Boolean", &other)),
                }
            }
            return Ok(if unknown {
                Value::unknown(text)
            } else {
                Value::Bool(!want)
            });
        }
        "coalesce" => {
            arity(name, args, 1, usize::MAX)?;
            for a in args {
                match ev.eval(a)? {
                    Value::Null => continue,
                    Value::Unknown(_) => return Ok(Value::unknown(text)),
                    v => return Ok(v),
                }
            }
            return Ok(Value::Null);
        }
        "lambda" => {
            return Err(err(
                "lambda() can only be used as a direct argument of filter, map, reduce, sort, toObject, groupBy or mapValues",
            ));
        }
        "lambdavariables" => {
            arity(name, args, 1, 1)?;
            let n = ev.eval(&args[0])?;
            return ev.lambda_var(want_str(name, &n)?);
        }
        "filter" | "map" | "reduce" | "sort" | "toobject" | "groupby" | "mapvalues" => {
            return lambda_fn(ev, &lname, name, args, &text);
        }
        _ => {}
    }

    let mut vals = Vec::with_capacity(args.len());
    for a in args {
        vals.push(ev.eval(a)?);
    }

    if lname.starts_with("list") || RUNTIME_FUNCTIONS.contains(&lname.as_str()) {
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
    builtin(ev, &lname, name, args, vals, &text)
}

fn builtin(
    ev: &mut Evaluator<'_, '_>,
    lname: &str,
    name: &str,
    args: &[Expr],
    v: Vec<Value>,
    text: &str,
) -> R {
    let n = v.len();
    let need = |min: usize, max: usize| arity(name, args, min, max);
    match lname {
        // ---------------------------------------------------------- deployment
        "parameters" => {
            need(1, 1)?;
            ev.ctx.parameter(want_str(name, &v[0])?)
        }
        "variables" => {
            need(1, 1)?;
            ev.ctx.variable(want_str(name, &v[0])?)
        }
        "deployment" => {
            need(0, 0)?;
            Ok(ev.ctx.deployment_object())
        }
        "environment" => {
            need(0, 0)?;
            Ok(environment(&ev.ctx.deployment().cloud))
        }
        "copyindex" => {
            need(0, 2)?;
            let (loop_name, offset) = match v.as_slice() {
                [] => (None, 0),
                [Value::Int(o)] => (None, *o),
                [Value::String(s)] => (Some(s.as_str()), 0),
                [Value::String(s), Value::Int(o)] => (Some(s.as_str()), *o),
                _ => {
                    return Err(err(
                        "copyIndex() takes an optional loop name and an optional integer offset",
                    ));
                }
            };
            let i = ev.ctx.copy_index(loop_name)?;
            Ok(Value::Int(i + offset))
        }
        // ---------------------------------------------------------- scope
        "subscription" => {
            need(0, 0)?;
            let d = ev.ctx.deployment();
            Ok(obj([
                ("id", format!("/subscriptions/{}", d.subscription_id).into()),
                ("subscriptionId", d.subscription_id.clone().into()),
                ("tenantId", d.tenant_id.clone().into()),
                ("displayName", d.subscription_display_name.clone().into()),
            ]))
        }
        "resourcegroup" => {
            need(0, 0)?;
            if ev.ctx.scope() != TemplateScope::ResourceGroup {
                return Err(err(
                    "resourceGroup() can only be used in a template deployed to a resource group",
                ));
            }
            let d = ev.ctx.deployment();
            Ok(obj([
                (
                    "id",
                    format!(
                        "/subscriptions/{}/resourceGroups/{}",
                        d.subscription_id, d.resource_group
                    )
                    .into(),
                ),
                ("name", d.resource_group.clone().into()),
                ("type", "Microsoft.Resources/resourceGroups".into()),
                ("location", d.resource_group_location.clone().into()),
                ("tags", Value::Object(IndexMap::new())),
                (
                    "properties",
                    obj([("provisioningState", "Succeeded".into())]),
                ),
            ]))
        }
        "tenant" => {
            need(0, 0)?;
            let d = ev.ctx.deployment();
            Ok(obj([
                ("id", format!("/tenants/{}", d.tenant_id).into()),
                ("tenantId", d.tenant_id.clone().into()),
                ("countryCode", "US".into()),
                ("displayName", "azrelo tenant".into()),
            ]))
        }
        "managementgroup" => {
            need(0, 1)?;
            let d = ev.ctx.deployment();
            let mg = match v.first() {
                Some(x) => want_str(name, x)?.to_string(),
                None => d.management_group.clone(),
            };
            Ok(obj([
                (
                    "id",
                    format!("/providers/Microsoft.Management/managementGroups/{mg}").into(),
                ),
                ("name", mg.clone().into()),
                ("type", "Microsoft.Management/managementGroups".into()),
                (
                    "properties",
                    obj([
                        ("displayName", mg.into()),
                        ("tenantId", d.tenant_id.clone().into()),
                    ]),
                ),
            ]))
        }
        // ---------------------------------------------------------- resource ids
        "resourceid" => resource_id(ev, name, &v),
        "subscriptionresourceid" => {
            if n < 2 {
                return Err(err(format!("{name}() expects a resource type and names")));
            }
            let strs = all_strs(name, &v)?;
            let t = type_position(&strs).ok_or_else(|| missing_type(name))?;
            if t > 1 {
                return Err(err(format!(
                    "{name}() takes an optional subscription id before the resource type"
                )));
            }
            let sub = if t == 1 {
                strs[0].to_string()
            } else {
                ev.ctx.deployment().subscription_id.clone()
            };
            let tail = provider_path(name, strs[t], &strs[t + 1..])?;
            Ok(format!("/subscriptions/{sub}/providers/{tail}").into())
        }
        "tenantresourceid" => {
            let strs = all_strs(name, &v)?;
            if strs.len() < 2 {
                return Err(err(format!("{name}() expects a resource type and names")));
            }
            let tail = provider_path(name, strs[0], &strs[1..])?;
            Ok(format!("/providers/{tail}").into())
        }
        "managementgroupresourceid" => {
            let strs = all_strs(name, &v)?;
            let t = type_position(&strs).ok_or_else(|| missing_type(name))?;
            let mg = if t == 1 {
                strs[0].to_string()
            } else {
                ev.ctx.deployment().management_group.clone()
            };
            let tail = provider_path(name, strs[t], &strs[t + 1..])?;
            Ok(
                format!("/providers/Microsoft.Management/managementGroups/{mg}/providers/{tail}")
                    .into(),
            )
        }
        "extensionresourceid" => {
            let strs = all_strs(name, &v)?;
            if strs.len() < 3 {
                return Err(err(format!(
                    "{name}() expects a base resource id, a resource type and names"
                )));
            }
            let tail = provider_path(name, strs[1], &strs[2..])?;
            Ok(format!("{}/providers/{tail}", strs[0].trim_end_matches('/')).into())
        }
        // ---------------------------------------------------------- logical
        "true" => {
            need(0, 0)?;
            Ok(Value::Bool(true))
        }
        "false" => {
            need(0, 0)?;
            Ok(Value::Bool(false))
        }
        "null" => {
            need(0, 0)?;
            Ok(Value::Null)
        }
        "not" => {
            need(1, 1)?;
            Ok(Value::Bool(!want_bool(name, &v[0])?))
        }
        "bool" => {
            need(1, 1)?;
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
            need(1, 1)?;
            Err(err(format!("fail(): {}", v[0].to_arm_string())))
        }
        // ---------------------------------------------------------- comparison
        "equals" => {
            need(2, 2)?;
            Ok(Value::Bool(v[0] == v[1]))
        }
        "greater" | "greaterorequals" | "less" | "lessorequals" => {
            need(2, 2)?;
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
        // ---------------------------------------------------------- numeric
        "add" | "sub" | "mul" | "div" | "mod" => {
            need(2, 2)?;
            let (a, b) = (want_int(name, &v[0])?, want_int(name, &v[1])?);
            let r = match lname {
                "add" => a.checked_add(b),
                "sub" => a.checked_sub(b),
                "mul" => a.checked_mul(b),
                "div" | "mod" if b == 0 => {
                    return Err(err(format!(
                        "the template function '{name}' can't divide by zero"
                    )));
                }
                "div" => a.checked_div(b),
                _ => a.checked_rem(b),
            };
            r.map(Value::Int).ok_or_else(|| {
                err(format!(
                    "the template function '{name}' overflowed 64-bit integers"
                ))
            })
        }
        "int" => {
            need(1, 1)?;
            match &v[0] {
                Value::Int(i) => Ok(Value::Int(*i)),
                Value::Float(f) => Ok(Value::Int(f.trunc() as i64)),
                Value::String(s) => s.trim().parse::<i64>().map(Value::Int).map_err(|_| {
                    err(format!(
                        "int() can't convert the string '{s}' to an integer"
                    ))
                }),
                other => Err(type_err(name, "String or Integer", other)),
            }
        }
        "float" => {
            need(1, 1)?;
            match &v[0] {
                Value::Int(i) => Ok(Value::Float(*i as f64)),
                Value::Float(f) => Ok(Value::Float(*f)),
                Value::String(s) => s.trim().parse::<f64>().map(Value::Float).map_err(|_| {
                    err(format!(
                        "float() can't convert the string '{s}' to a number"
                    ))
                }),
                other => Err(type_err(name, "String or Integer", other)),
            }
        }
        "max" | "min" => {
            need(1, usize::MAX)?;
            let items: Vec<Value> = if n == 1 {
                match &v[0] {
                    Value::Array(a) => a.clone(),
                    x => vec![x.clone()],
                }
            } else {
                v.clone()
            };
            let mut best: Option<i64> = None;
            for x in &items {
                let i = want_int(name, x)?;
                best = Some(match best {
                    None => i,
                    Some(b) if lname == "max" => b.max(i),
                    Some(b) => b.min(i),
                });
            }
            best.map(Value::Int)
                .ok_or_else(|| err(format!("{name}() of an empty array")))
        }
        "range" => {
            need(2, 2)?;
            let (start, count) = (want_int(name, &v[0])?, want_int(name, &v[1])?);
            if !(0..=10_000).contains(&count) {
                return Err(err(format!(
                    "range() count must be between 0 and 10000, not {count}"
                )));
            }
            if start.checked_add(count).is_none() {
                return Err(err("range() overflows 64-bit integers"));
            }
            Ok(Value::Array(
                (start..start + count).map(Value::Int).collect(),
            ))
        }
        // ---------------------------------------------------------- arrays & objects
        "array" => {
            need(1, 1)?;
            Ok(match &v[0] {
                Value::Array(a) => Value::Array(a.clone()),
                x => Value::Array(vec![x.clone()]),
            })
        }
        "createarray" => Ok(Value::Array(v)),
        "createobject" => {
            if !n.is_multiple_of(2) {
                return Err(err(
                    "createObject() expects key/value pairs (an even number of arguments)",
                ));
            }
            let mut o = IndexMap::new();
            for pair in v.chunks(2) {
                o.insert(want_str(name, &pair[0])?.to_string(), pair[1].clone());
            }
            Ok(Value::Object(o))
        }
        "concat" => {
            need(1, usize::MAX)?;
            if v.iter().all(|x| matches!(x, Value::Array(_) | Value::Null))
                && v.iter().any(|x| matches!(x, Value::Array(_)))
            {
                let mut out = Vec::new();
                for x in v {
                    if let Value::Array(a) = x {
                        out.extend(a);
                    }
                }
                Ok(Value::Array(out))
            } else {
                let mut s = String::new();
                for x in &v {
                    match x {
                        Value::Array(_) => {
                            return Err(err(
                                "concat() can't mix arrays and strings: pass only arrays or only strings",
                            ));
                        }
                        other => s.push_str(&other.to_arm_string()),
                    }
                }
                Ok(Value::String(s))
            }
        }
        "contains" => {
            need(2, 2)?;
            match (&v[0], &v[1]) {
                (Value::Unknown(_), _) | (_, Value::Unknown(_)) => Ok(Value::unknown(text)),
                (Value::String(s), item) => Ok(Value::Bool(s.contains(&item.to_arm_string()))),
                (Value::Array(a), item) => Ok(Value::Bool(a.contains(item))),
                (Value::Object(_), Value::String(k)) => Ok(Value::Bool(v[0].get(k).is_some())),
                (Value::Object(_), other) => {
                    Ok(Value::Bool(v[0].get(&other.to_arm_string()).is_some()))
                }
                (other, _) => Err(type_err(name, "String, Array or Object", other)),
            }
        }
        "empty" => {
            need(1, 1)?;
            Ok(Value::Bool(match &v[0] {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Object(o) => o.is_empty(),
                Value::Unknown(_) => return Ok(Value::unknown(text)),
                other => return Err(type_err(name, "String, Array or Object", other)),
            }))
        }
        "length" => {
            need(1, 1)?;
            Ok(Value::Int(match &v[0] {
                Value::String(s) => s.chars().count() as i64,
                Value::Array(a) => a.len() as i64,
                Value::Object(o) => o.len() as i64,
                Value::Unknown(_) => return Ok(Value::unknown(text)),
                other => return Err(type_err(name, "Array, String or Object", other)),
            }))
        }
        "first" | "last" => {
            need(1, 1)?;
            match &v[0] {
                Value::String(s) => {
                    let c = if lname == "first" {
                        s.chars().next()
                    } else {
                        s.chars().last()
                    };
                    Ok(Value::String(c.map(String::from).unwrap_or_default()))
                }
                Value::Array(a) => Ok(if lname == "first" {
                    a.first()
                } else {
                    a.last()
                }
                .cloned()
                .unwrap_or(Value::Null)),
                Value::Unknown(_) => Ok(Value::unknown(text)),
                other => Err(type_err(name, "Array or String", other)),
            }
        }
        "indexof" | "lastindexof" => {
            need(2, 2)?;
            match (&v[0], &v[1]) {
                (Value::String(s), item) => {
                    let (h, needle) = (s.to_lowercase(), item.to_arm_string().to_lowercase());
                    let found = if lname == "indexof" {
                        h.find(&needle)
                    } else {
                        h.rfind(&needle)
                    };
                    Ok(Value::Int(
                        found.map(|b| h[..b].chars().count() as i64).unwrap_or(-1),
                    ))
                }
                (Value::Array(a), item) => {
                    let found = if lname == "indexof" {
                        a.iter().position(|x| x == item)
                    } else {
                        a.iter().rposition(|x| x == item)
                    };
                    Ok(Value::Int(found.map(|i| i as i64).unwrap_or(-1)))
                }
                (other, _) => Err(type_err(name, "Array or String", other)),
            }
        }
        "skip" | "take" => {
            need(2, 2)?;
            let k = want_int(name, &v[1])?.max(0) as usize;
            match &v[0] {
                Value::String(s) => Ok(Value::String(if lname == "skip" {
                    s.chars().skip(k).collect()
                } else {
                    s.chars().take(k).collect()
                })),
                Value::Array(a) => Ok(Value::Array(if lname == "skip" {
                    a.iter().skip(k).cloned().collect()
                } else {
                    a.iter().take(k).cloned().collect()
                })),
                Value::Unknown(_) => Ok(Value::unknown(text)),
                other => Err(type_err(name, "Array or String", other)),
            }
        }
        "distinct" => {
            // Not in the function reference; Bicep's baselines use it: the
            // array without repeated items, first occurrences kept.
            need(1, 1)?;
            let mut out: Vec<Value> = Vec::new();
            for x in want_array(name, &v[0])? {
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Ok(Value::Array(out))
        }
        "flatten" => {
            need(1, 1)?;
            let mut out = Vec::new();
            for x in want_array(name, &v[0])? {
                match x {
                    Value::Array(inner) => out.extend(inner.iter().cloned()),
                    Value::Unknown(_) => return Ok(Value::unknown(text)),
                    other => return Err(type_err(name, "Array of arrays", other)),
                }
            }
            Ok(Value::Array(out))
        }
        "join" => {
            need(2, 2)?;
            let a = want_array(name, &v[0])?;
            let d = want_str(name, &v[1])?;
            Ok(Value::String(
                a.iter()
                    .map(Value::to_arm_string)
                    .collect::<Vec<_>>()
                    .join(d),
            ))
        }
        "indexfromend" | "tryindexfromend" => {
            need(2, 2)?;
            let a = want_array(name, &v[0])?;
            let i = want_int(name, &v[1])?;
            if i >= 1 && (i as usize) <= a.len() {
                Ok(a[a.len() - i as usize].clone())
            } else if lname == "tryindexfromend" {
                Ok(Value::Null)
            } else {
                Err(err(format!(
                    "indexFromEnd(): index {i} is out of bounds for an array of length {}",
                    a.len()
                )))
            }
        }
        "tryget" => {
            need(2, usize::MAX)?;
            let mut cur = v[0].clone();
            for k in &v[1..] {
                cur = match (&cur, k) {
                    (Value::Object(_), Value::String(s)) => {
                        cur.get(s).cloned().unwrap_or(Value::Null)
                    }
                    (Value::Array(a), Value::Int(i)) => {
                        if *i >= 0 && (*i as usize) < a.len() {
                            a[*i as usize].clone()
                        } else {
                            Value::Null
                        }
                    }
                    (Value::Unknown(_), _) => return Ok(Value::unknown(text)),
                    _ => Value::Null,
                };
            }
            Ok(cur)
        }
        "intersection" => {
            need(2, usize::MAX)?;
            match &v[0] {
                Value::Array(first) => {
                    let mut out: Vec<Value> = Vec::new();
                    for x in first {
                        if out.contains(x) {
                            continue;
                        }
                        let mut all = true;
                        for other in &v[1..] {
                            if !want_array(name, other)?.contains(x) {
                                all = false;
                                break;
                            }
                        }
                        if all {
                            out.push(x.clone());
                        }
                    }
                    Ok(Value::Array(out))
                }
                Value::Object(first) => {
                    let mut out = IndexMap::new();
                    'keys: for (k, x) in first {
                        for other in &v[1..] {
                            if want_object(name, other)?.get(k) != Some(x) {
                                continue 'keys;
                            }
                        }
                        out.insert(k.clone(), x.clone());
                    }
                    Ok(Value::Object(out))
                }
                other => Err(type_err(name, "Array or Object", other)),
            }
        }
        "union" => {
            need(1, usize::MAX)?;
            if v.iter().all(|x| matches!(x, Value::Array(_) | Value::Null)) {
                let mut out: Vec<Value> = Vec::new();
                for x in v.iter().filter_map(Value::as_array).flatten() {
                    if !out.contains(x) {
                        out.push(x.clone());
                    }
                }
                Ok(Value::Array(out))
            } else if v
                .iter()
                .all(|x| matches!(x, Value::Object(_) | Value::Null | Value::Unknown(_)))
            {
                if v.iter().any(Value::is_unknown) {
                    return Ok(Value::unknown(text));
                }
                let mut out = IndexMap::new();
                for x in v.iter().filter_map(Value::as_object) {
                    deep_merge(&mut out, x);
                }
                Ok(Value::Object(out))
            } else if v.iter().any(Value::is_unknown) {
                Ok(Value::unknown(text))
            } else {
                Err(err("union() expects only arrays or only objects"))
            }
        }
        "shallowmerge" => {
            need(1, 1)?;
            let mut out = IndexMap::new();
            for x in want_array(name, &v[0])? {
                match x {
                    Value::Object(o) => {
                        for (k, x) in o {
                            out.insert(k.clone(), x.clone());
                        }
                    }
                    Value::Unknown(_) => return Ok(Value::unknown(text)),
                    other => return Err(type_err(name, "Array of objects", other)),
                }
            }
            Ok(Value::Object(out))
        }
        "objectkeys" => {
            need(1, 1)?;
            match &v[0] {
                Value::Unknown(_) => Ok(Value::unknown(text)),
                x => Ok(Value::Array(
                    want_object(name, x)?
                        .keys()
                        .map(|k| Value::String(k.clone()))
                        .collect(),
                )),
            }
        }
        "items" => {
            need(1, 1)?;
            if v[0].is_unknown() {
                return Ok(Value::unknown(text));
            }
            let o = want_object(name, &v[0])?;
            let mut entries: Vec<(&String, &Value)> = o.iter().collect();
            // Culture-aware order as the engine sorts: case-insensitive, lower case first on ties.
            entries.sort_by(|a, b| culture_cmp(a.0, b.0));
            Ok(Value::Array(
                entries
                    .into_iter()
                    .map(|(k, x)| obj([("key", Value::String(k.clone())), ("value", x.clone())]))
                    .collect(),
            ))
        }
        "json" => {
            need(1, 1)?;
            let s = want_str(name, &v[0])?;
            let parsed = match crate::json::parse(s, "json()") {
                Ok(p) => p,
                // Newtonsoft, which ARM uses, also reads single-quoted JSON.
                Err(e) if !s.contains('"') && s.contains('\'') => {
                    crate::json::parse(&s.replace('\'', "\""), "json()").map_err(|_| {
                        err(format!(
                            "json(): the string is not valid JSON: {}",
                            e.message
                        ))
                    })?
                }
                Err(e) => {
                    return Err(err(format!(
                        "json(): the string is not valid JSON: {}",
                        e.message
                    )));
                }
            };
            Ok(Value::from_json(&parsed))
        }
        // ---------------------------------------------------------- strings
        "string" => {
            need(1, 1)?;
            Ok(Value::String(v[0].to_arm_string()))
        }
        "tolower" | "toupper" => {
            need(1, 1)?;
            let s = want_str(name, &v[0])?;
            Ok(Value::String(if lname == "tolower" {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            }))
        }
        "trim" => {
            need(1, 1)?;
            Ok(Value::String(want_str(name, &v[0])?.trim().to_string()))
        }
        "startswith" | "endswith" => {
            need(2, 2)?;
            let (s, p) = (
                want_str(name, &v[0])?.to_lowercase(),
                want_str(name, &v[1])?.to_lowercase(),
            );
            Ok(Value::Bool(if lname == "startswith" {
                s.starts_with(&p)
            } else {
                s.ends_with(&p)
            }))
        }
        "replace" => {
            need(3, 3)?;
            let s = want_str(name, &v[0])?;
            let old = want_str(name, &v[1])?;
            if old.is_empty() {
                // The engine returns the input unchanged (quickstarts rely on
                // replace(x, sasToken, '') with an empty token).
                return Ok(Value::String(s.to_string()));
            }
            Ok(Value::String(s.replace(old, want_str(name, &v[2])?)))
        }
        "split" => {
            need(2, 2)?;
            let s = want_str(name, &v[0])?;
            let delims: Vec<String> = match &v[1] {
                Value::String(d) => vec![d.clone()],
                Value::Array(a) => a.iter().map(Value::to_arm_string).collect(),
                other => return Err(type_err(name, "String or Array", other)),
            };
            let mut parts = vec![s.to_string()];
            for d in delims.iter().filter(|d| !d.is_empty()) {
                parts = parts
                    .iter()
                    .flat_map(|p| p.split(d.as_str()).map(str::to_string).collect::<Vec<_>>())
                    .collect();
            }
            Ok(Value::Array(parts.into_iter().map(Value::String).collect()))
        }
        "substring" => {
            need(2, 3)?;
            let s: Vec<char> = want_str(name, &v[0])?.chars().collect();
            let start = want_int(name, &v[1])?;
            let len = match v.get(2) {
                Some(x) => want_int(name, x)?,
                None => s.len() as i64 - start,
            };
            if start < 0 || len < 0 || start + len > s.len() as i64 {
                return Err(err(format!(
                    "substring(): start index {start} and length {len} are out of range for a string of length {}",
                    s.len()
                )));
            }
            Ok(Value::String(
                s[start as usize..(start + len) as usize].iter().collect(),
            ))
        }
        "padleft" => {
            need(2, 3)?;
            let s = v[0].to_arm_string();
            let total = want_int(name, &v[1])?;
            if total > 16_000 {
                return Err(err("padLeft(): the total length may not exceed 16000"));
            }
            let pad = match v.get(2) {
                Some(p) => {
                    let p = want_str(name, p)?;
                    let mut cs = p.chars();
                    match (cs.next(), cs.next()) {
                        (Some(c), None) => c,
                        _ => return Err(err("padLeft(): the padding must be a single character")),
                    }
                }
                None => ' ',
            };
            let count = s.chars().count();
            let mut out = String::new();
            for _ in count..total.max(0) as usize {
                out.push(pad);
            }
            out.push_str(&s);
            Ok(Value::String(out))
        }
        "format" => {
            need(1, usize::MAX)?;
            format_net(want_str(name, &v[0])?, &v[1..]).map(Value::String)
        }
        "base64" => {
            need(1, 1)?;
            Ok(Value::String(b64_encode(want_str(name, &v[0])?.as_bytes())))
        }
        "base64tostring" | "base64tojson" => {
            need(1, 1)?;
            let bytes = b64_decode(want_str(name, &v[0])?)
                .ok_or_else(|| err(format!("{name}(): the value is not valid base64")))?;
            let s = String::from_utf8(bytes)
                .map_err(|_| err(format!("{name}(): the decoded value is not UTF-8 text")))?;
            if lname == "base64tostring" {
                Ok(Value::String(s))
            } else {
                let j = crate::json::parse(&s, "base64ToJson()")
                    .map_err(|e| err(format!("base64ToJson(): {}", e.message)))?;
                Ok(Value::from_json(&j))
            }
        }
        "datauri" => {
            need(1, 1)?;
            Ok(Value::String(format!(
                "data:text/plain;charset=utf8;base64,{}",
                b64_encode(v[0].to_arm_string().as_bytes())
            )))
        }
        "datauritostring" => {
            need(1, 1)?;
            let s = want_str(name, &v[0])?;
            let (meta, data) = s
                .strip_prefix("data:")
                .and_then(|r| r.split_once(','))
                .ok_or_else(|| err("dataUriToString(): the value is not a data URI"))?;
            let bytes = if meta.ends_with(";base64") {
                b64_decode(data).ok_or_else(|| err("dataUriToString(): invalid base64 data"))?
            } else {
                percent_decode(data).into_bytes()
            };
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        "uri" => {
            need(2, 2)?;
            Ok(Value::String(uri_combine(
                want_str(name, &v[0])?,
                want_str(name, &v[1])?,
            )))
        }
        "uricomponent" => {
            need(1, 1)?;
            Ok(Value::String(percent_encode(&v[0].to_arm_string())))
        }
        "uricomponenttostring" => {
            need(1, 1)?;
            Ok(Value::String(percent_decode(want_str(name, &v[0])?)))
        }
        "uniquestring" | "guid" => {
            need(1, usize::MAX)?;
            let parts = all_strs(name, &v)?;
            Ok(Value::String(if lname == "uniquestring" {
                hash::unique_string(&parts)
            } else {
                hash::guid(&parts)
            }))
        }
        "newguid" => {
            need(0, 0)?;
            if !ev.ctx.in_parameter_default() {
                return Err(err(
                    "newGuid() can only be used in the default value of a parameter",
                ));
            }
            ev.ctx.runtime("newguid", &v, text)
        }
        "utcnow" => {
            need(0, 1)?;
            if !ev.ctx.in_parameter_default() {
                return Err(err(
                    "utcNow() can only be used in the default value of a parameter",
                ));
            }
            let now = crate::date::parse(&ev.ctx.deployment().now)
                .ok_or_else(|| err("the deployment context's 'now' is not an RFC 3339 time"))?;
            let fmt = match v.first() {
                Some(f) => want_str(name, f)?.to_string(),
                None => "yyyyMMddTHHmmssZ".to_string(),
            };
            Ok(Value::String(crate::date::format(&now, &fmt)))
        }
        "datetimeadd" => {
            need(2, 3)?;
            let base = want_str(name, &v[0])?;
            let t = crate::date::parse(base)
                .ok_or_else(|| err(format!("dateTimeAdd(): '{base}' is not a date-time")))?;
            let d = want_str(name, &v[1])?;
            let secs = crate::date::parse_duration(d)
                .ok_or_else(|| err(format!("dateTimeAdd(): '{d}' is not an ISO 8601 duration")))?;
            let t2 = t.add_seconds(secs);
            let fmt = match v.get(2) {
                Some(f) => want_str(name, f)?.to_string(),
                None => "yyyy-MM-ddTHH:mm:ssZ".to_string(),
            };
            Ok(Value::String(crate::date::format(&t2, &fmt)))
        }
        "datetimefromepoch" => {
            need(1, 1)?;
            let t = crate::date::DateTime::from_epoch(want_int(name, &v[0])?);
            Ok(Value::String(crate::date::format(
                &t,
                "yyyy-MM-ddTHH:mm:ssZ",
            )))
        }
        "datetimetoepoch" => {
            need(1, 1)?;
            let s = want_str(name, &v[0])?;
            let t = crate::date::parse(s)
                .ok_or_else(|| err(format!("dateTimeToEpoch(): '{s}' is not a date-time")))?;
            Ok(Value::Int(t.epoch()))
        }
        "like" => {
            // Not in the function reference; Bicep's baselines exercise it as a
            // glob match where '*' matches any run of characters.
            need(2, 2)?;
            Ok(Value::Bool(glob_match(
                want_str(name, &v[0])?.as_bytes(),
                want_str(name, &v[1])?.as_bytes(),
            )))
        }
        // ---------------------------------------------------------- CIDR
        "parsecidr" => {
            need(1, 1)?;
            crate::cidr::parse_cidr(want_str(name, &v[0])?).map_err(err)
        }
        "cidrsubnet" => {
            need(3, 3)?;
            crate::cidr::cidr_subnet(
                want_str(name, &v[0])?,
                want_int(name, &v[1])?,
                want_int(name, &v[2])?,
            )
            .map(Value::String)
            .map_err(err)
        }
        "cidrhost" => {
            need(2, 2)?;
            crate::cidr::cidr_host(want_str(name, &v[0])?, want_int(name, &v[1])?)
                .map(Value::String)
                .map_err(err)
        }
        _ => Err(err(format!(
            "the template function '{name}' is not valid (not a built-in ARM template function)"
        ))),
    }
}

/// String order as the engine compares (.NET culture-aware, invariant
/// culture): case-insensitive first, lower case before upper case on ties
/// (`greater('A', 'a')` is true; `items()` yields `abcKey` before `ABCKey`).
fn culture_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.to_lowercase()
        .cmp(&b.to_lowercase())
        .then_with(|| b.cmp(a))
}

/// `*`-glob matching in linear time (greedy with backtracking to the last star).
fn glob_match(s: &[u8], p: &[u8]) -> bool {
    let (mut i, mut j) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while i < s.len() {
        if j < p.len() && p[j] != b'*' && p[j] == s[i] {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == b'*' {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(st) = star {
            j = st + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    p[j..].iter().all(|&c| c == b'*')
}

fn obj<const N: usize>(pairs: [(&str, Value); N]) -> Value {
    Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

fn deep_merge(into: &mut IndexMap<String, Value>, from: &IndexMap<String, Value>) {
    for (k, v) in from {
        let existing = into.iter().position(|(ek, _)| ek.eq_ignore_ascii_case(k));
        match (existing, v) {
            (Some(i), Value::Object(src)) => {
                if let Some((_, Value::Object(dst))) = into.get_index_mut(i) {
                    deep_merge(dst, src);
                } else if let Some((_, slot)) = into.get_index_mut(i) {
                    *slot = v.clone();
                }
            }
            (Some(i), _) => {
                if let Some((_, slot)) = into.get_index_mut(i) {
                    *slot = v.clone();
                }
            }
            (None, _) => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

fn all_strs<'v>(name: &str, v: &'v [Value]) -> Result<Vec<&'v str>, EvalError> {
    v.iter().map(|x| want_str(name, x)).collect()
}

/// Index of the resource type argument (`Namespace/type…`).
fn type_position(strs: &[&str]) -> Option<usize> {
    strs.iter().position(|s| {
        let mut it = s.split('/');
        let ns = it.next().unwrap_or("");
        ns.contains('.') && it.next().is_some_and(|t| !t.is_empty())
    })
}

fn missing_type(name: &str) -> EvalError {
    err(format!(
        "{name}() needs a resource type such as 'Microsoft.Network/virtualNetworks'"
    ))
}

/// `Namespace/type1/name1/type2/name2…` from a type and its names.
fn provider_path(fname: &str, rtype: &str, names: &[&str]) -> Result<String, EvalError> {
    // ARM tolerates a trailing '/' on the type ('Microsoft.Web/serverfarms/').
    let rtype = rtype.trim_end_matches('/');
    let mut segs = rtype.split('/');
    let ns = segs.next().unwrap_or("");
    let types: Vec<&str> = segs.collect();
    // Names may also be given '/'-joined.
    let names: Vec<&str> = names.iter().flat_map(|n| n.split('/')).collect();
    if types.len() != names.len() {
        return Err(err(format!(
            "{fname}(): the type '{rtype}' has {} segment(s) after the namespace but {} name segment(s) were given ({})",
            types.len(),
            names.len(),
            names.join(", ")
        )));
    }
    let mut out = ns.to_string();
    for (t, n) in types.iter().zip(names) {
        out.push('/');
        out.push_str(t);
        out.push('/');
        out.push_str(n);
    }
    Ok(out)
}

fn resource_id(ev: &mut Evaluator<'_, '_>, name: &str, v: &[Value]) -> R {
    let strs = all_strs(name, v)?;
    let t = type_position(&strs).ok_or_else(|| missing_type(name))?;
    let d = ev.ctx.deployment();
    let tail = provider_path(name, strs[t], &strs[t + 1..])?;
    let (sub, rg): (String, Option<String>) = match t {
        0 => match ev.ctx.scope() {
            TemplateScope::ResourceGroup => {
                (d.subscription_id.clone(), Some(d.resource_group.clone()))
            }
            TemplateScope::Subscription => (d.subscription_id.clone(), None),
            TemplateScope::ManagementGroup | TemplateScope::Tenant => {
                return Ok(Value::String(format!("/providers/{tail}")));
            }
        },
        1 => (d.subscription_id.clone(), Some(strs[0].to_string())),
        2 => (strs[0].to_string(), Some(strs[1].to_string())),
        _ => {
            return Err(err(format!(
                "{name}() takes at most a subscription id and a resource group name before the resource type"
            )));
        }
    };
    Ok(Value::String(match rg {
        Some(rg) => format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{tail}"),
        None => format!("/subscriptions/{sub}/providers/{tail}"),
    }))
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

/// The `environment()` object of a cloud (values from the template-functions
/// reference for AzureCloud; the sovereign clouds' documented endpoints).
pub fn environment(cloud: &str) -> Value {
    let (name, arm, login, graph, portal, suffixes): (
        &str,
        &str,
        &str,
        &str,
        &str,
        [(&str, &str); 6],
    ) = match cloud.to_ascii_lowercase().as_str() {
        "azurechinacloud" => (
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn/",
            "https://login.chinacloudapi.cn/",
            "https://graph.chinacloudapi.cn/",
            "https://portal.azure.cn",
            [
                ("storage", "core.chinacloudapi.cn"),
                ("sqlServerHostname", ".database.chinacloudapi.cn"),
                ("keyvaultDns", ".vault.azure.cn"),
                ("acrLoginServer", ".azurecr.cn"),
                ("azureFrontDoorEndpointSuffix", ""),
                ("azureDatalakeStoreFileSystem", ""),
            ],
        ),
        "azureusgovernment" => (
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net/",
            "https://login.microsoftonline.us/",
            "https://graph.windows.net/",
            "https://portal.azure.us",
            [
                ("storage", "core.usgovcloudapi.net"),
                ("sqlServerHostname", ".database.usgovcloudapi.net"),
                ("keyvaultDns", ".vault.usgovcloudapi.net"),
                ("acrLoginServer", ".azurecr.us"),
                ("azureFrontDoorEndpointSuffix", "azurefd.us"),
                ("azureDatalakeStoreFileSystem", ""),
            ],
        ),
        _ => (
            "AzureCloud",
            "https://management.azure.com/",
            "https://login.microsoftonline.com/",
            "https://graph.windows.net/",
            "https://portal.azure.com",
            [
                ("storage", "core.windows.net"),
                ("sqlServerHostname", ".database.windows.net"),
                ("keyvaultDns", ".vault.azure.net"),
                ("acrLoginServer", ".azurecr.io"),
                ("azureFrontDoorEndpointSuffix", "azurefd.net"),
                ("azureDatalakeStoreFileSystem", "azuredatalakestore.net"),
            ],
        ),
    };
    let mut sfx: IndexMap<String, Value> = suffixes
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    sfx.insert(
        "azureDatalakeAnalyticsCatalogAndJob".into(),
        Value::String("azuredatalakeanalytics.net".into()),
    );
    obj([
        ("name", name.into()),
        ("gallery", "https://gallery.azure.com/".into()),
        ("graph", graph.into()),
        ("portal", portal.into()),
        ("graphAudience", graph.into()),
        ("activeDirectoryDataLake", "https://datalake.azure.net/".into()),
        ("batch", "https://batch.core.windows.net/".into()),
        ("media", "https://rest.media.azure.net".into()),
        ("sqlManagement", "https://management.core.windows.net:8443/".into()),
        (
            "vmImageAliasDoc",
            "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/master/arm-compute/quickstart-templates/aliases.json".into(),
        ),
        ("resourceManager", arm.into()),
        (
            "authentication",
            obj([
                ("loginEndpoint", login.into()),
                (
                    "audiences",
                    Value::Array(vec![
                        "https://management.core.windows.net/".into(),
                        arm.into(),
                    ]),
                ),
                ("tenant", "common".into()),
                ("identityProvider", "AAD".into()),
            ]),
        ),
        ("suffixes", Value::Object(sfx)),
    ])
}

/// .NET composite formatting: `{0}`, `{1,-8}`, `{0:N0}`, `{{`/`}}`.
fn format_net(fmt: &str, args: &[Value]) -> Result<String, EvalError> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut spec = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) => spec.push(ch),
                        None => return Err(err(format!("format(): unclosed '{{' in '{fmt}'"))),
                    }
                }
                let (head, fspec) = match spec.split_once(':') {
                    Some((h, f)) => (h, Some(f)),
                    None => (spec.as_str(), None),
                };
                let (idx, align) = match head.split_once(',') {
                    Some((i, a)) => (i, a.trim().parse::<i64>().ok()),
                    None => (head, None),
                };
                let i: usize = idx.trim().parse().map_err(|_| {
                    err(format!("format(): '{{{spec}}}' is not a valid placeholder"))
                })?;
                let v = args.get(i).ok_or_else(|| {
                    err(format!(
                        "format(): placeholder {{{i}}} has no argument ({} given)",
                        args.len()
                    ))
                })?;
                let s = format_value(v, fspec);
                match align {
                    Some(w) if w > 0 && (s.chars().count() as i64) < w => {
                        out.push_str(&" ".repeat(w as usize - s.chars().count()));
                        out.push_str(&s);
                    }
                    Some(w) if w < 0 && (s.chars().count() as i64) < -w => {
                        out.push_str(&s);
                        out.push_str(&" ".repeat((-w) as usize - s.chars().count()));
                    }
                    _ => out.push_str(&s),
                }
            }
            '}' => return Err(err(format!("format(): unmatched '}}' in '{fmt}'"))),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn format_value(v: &Value, spec: Option<&str>) -> String {
    let (Value::Int(i), Some(spec)) = (v, spec) else {
        return v.to_arm_string();
    };
    let (kind, digits) = spec.split_at(spec.len().min(1));
    let digits: usize = digits.parse().unwrap_or(0);
    match kind {
        "N" | "n" => {
            let s = i.unsigned_abs().to_string();
            let mut grouped = String::new();
            for (k, ch) in s.chars().enumerate() {
                if k > 0 && (s.len() - k) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(ch);
            }
            let sign = if *i < 0 { "-" } else { "" };
            if digits > 0 {
                format!("{sign}{grouped}.{}", "0".repeat(digits))
            } else {
                format!("{sign}{grouped}")
            }
        }
        "D" | "d" => {
            let s = i.unsigned_abs().to_string();
            let sign = if *i < 0 { "-" } else { "" };
            format!("{sign}{}{s}", "0".repeat(digits.saturating_sub(s.len())))
        }
        "X" => format!("{:0w$X}", i, w = digits),
        "x" => format!("{:0w$x}", i, w = digits),
        _ => i.to_string(),
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub(crate) fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut buf = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = B64.iter().position(|&x| x == c)? as u32;
        buf = buf << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits & 0xff) as u8);
        }
    }
    Some(out)
}

/// `Uri.EscapeDataString`: everything but RFC 3986 unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `uri(base, relative)` with .NET `Uri` resolution for the common cases.
fn uri_combine(base: &str, rel: &str) -> String {
    if rel.contains("://") {
        return rel.to_string();
    }
    if let Some(stripped) = rel.strip_prefix('/') {
        // Absolute path: keep scheme and authority.
        if let Some(i) = base.find("://") {
            let after = &base[i + 3..];
            let host_end = after.find('/').map_or(base.len(), |j| i + 3 + j);
            return format!("{}/{}", &base[..host_end], stripped);
        }
    }
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") || base.ends_with('/') => {
            format!("{}{}", &base[..=i], rel)
        }
        _ => format!("{base}/{rel}"),
    }
}
