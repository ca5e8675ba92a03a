//! Numeric functions (`add`, `sub`, `mul`, `div`, `mod`, `int`, `float`,
//! `min`, `max`, `range`): template-functions-numeric.md.

use super::*;

pub(super) const NAMES: &[&str] = &[
    "add", "sub", "mul", "div", "mod", "int", "float", "max", "min", "range",
];

pub(super) fn call(_ev: &mut Evaluator<'_, '_>, c: &Call<'_>, v: Vec<Value>) -> R {
    let name = c.name;
    let lname = c.lname;
    let n = v.len();
    match c.lname {
        "add" | "sub" | "mul" | "div" | "mod" => {
            c.need(2, 2)?;
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
            c.need(1, 1)?;
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
            c.need(1, 1)?;
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
            c.need(1, usize::MAX)?;
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
            c.need(2, 2)?;
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
        _ => Err(c.not_builtin()),
    }
}
