//! Array functions (`array`, `createArray`, `concat`, `contains`, `empty`,
//! `length`, `first`, `last`, `indexOf`, `skip`, `take`, `flatten`, `join`,
//! `indexFromEnd`, `tryGet`, …): template-functions-array.md.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "array",
    "createarray",
    "concat",
    "contains",
    "empty",
    "length",
    "first",
    "last",
    "indexof",
    "lastindexof",
    "skip",
    "take",
    "distinct",
    "flatten",
    "join",
    "indexfromend",
    "tryindexfromend",
    "tryget",
];

pub(super) fn call(ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    let lname = c.lname;
    let text = c.text;
    match c.lname {
        "array" => {
            c.need(1, 1)?;
            Ok(match &v[0] {
                Value::Array(a) => Value::Array(a.clone()),
                x => Value::Array(vec![x.clone()]),
            })
        }
        "createarray" => Ok(Value::Array(v)),
        "concat" => {
            c.need(1, usize::MAX)?;
            c.fits(ev, v.iter().map(weight).sum())?;
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
            c.need(2, 2)?;
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
            c.need(1, 1)?;
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
            c.need(1, 1)?;
            Ok(Value::Int(match &v[0] {
                Value::String(s) => s.chars().count() as i64,
                Value::Array(a) => a.len() as i64,
                Value::Object(o) => o.len() as i64,
                Value::Unknown(_) => return Ok(Value::unknown(text)),
                other => return Err(type_err(name, "Array, String or Object", other)),
            }))
        }
        "first" | "last" => {
            c.need(1, 1)?;
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
            c.need(2, 2)?;
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
            c.need(2, 2)?;
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
            c.need(1, 1)?;
            let mut out: Vec<Value> = Vec::new();
            for x in want_array(name, &v[0])? {
                ev.steps(out.len() as u64)?;
                if !out.contains(x) {
                    out.push(x.clone());
                }
            }
            Ok(Value::Array(out))
        }
        "flatten" => {
            c.need(1, 1)?;
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
            c.need(2, 2)?;
            let a = want_array(name, &v[0])?;
            let d = want_str(name, &v[1])?;
            c.fits(ev, weight(&v[0]) + (d.len() * a.len()) as u64)?;
            Ok(Value::String(
                a.iter()
                    .map(Value::to_arm_string)
                    .collect::<Vec<_>>()
                    .join(d),
            ))
        }
        "indexfromend" | "tryindexfromend" => {
            c.need(2, 2)?;
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
            c.need(2, usize::MAX)?;
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
        _ => Err(c.not_builtin()),
    }
}
